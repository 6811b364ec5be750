//! The plain JS objects the engine returns (releases, phases, activities, events, jobs, process
//! summaries), converted from the core's types. Field names are camelCase, times are `Date`,
//! statuses and kinds are the same snake_case strings as in Rust and Python.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use napi_derive::napi;
use serde_json::{Map, Value};
use trainyard::release::{ActivityState, PhaseState, ReleaseState};

/// A JSON object with insertion order kept (outputs, inputs, variables).
pub type JsonObject = Map<String, Value>;

pub fn json_object(map: &IndexMap<String, Value>) -> JsonObject {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn snake<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// A registered process version, as returned by `registerProcess`.
#[napi(object)]
pub struct ProcessInfo {
    /// Process id.
    pub id: String,
    /// Version (1, 2, …): a new one only when the definition changed.
    pub version: u32,
    /// Validation warnings (e.g. `unresolved_process`).
    pub warnings: Vec<crate::errors::Problem>,
}

/// A registered process id with its latest version, as listed by `listProcesses`.
#[napi(object)]
pub struct ProcessSummary {
    /// Process id.
    pub id: String,
    /// Latest version.
    pub version: u32,
}

/// One attempt of an automated activity, handed to an executor.
#[napi(object)]
#[derive(Clone)]
pub struct Job {
    /// Job id: `<release>/<phase>/<activity>/<attempt>`; pass it to `completeJob`.
    pub id: String,
    /// Release id.
    pub release_id: String,
    /// Phase id.
    pub phase_id: String,
    /// Activity id.
    pub activity_id: String,
    /// Attempt (0 = first run).
    pub attempt: u32,
    /// Executor name.
    pub executor: String,
    /// The resolved `with` values.
    #[napi(ts_type = "Record<string, any>")]
    pub inputs: JsonObject,
    /// When the attempt times out, if the activity has a `timeout`.
    pub deadline: Option<DateTime<Utc>>,
}

impl From<&trainyard::executor::Job> for Job {
    fn from(j: &trainyard::executor::Job) -> Self {
        Job {
            id: j.id.clone(),
            release_id: j.release_id.clone(),
            phase_id: j.phase_id.clone(),
            activity_id: j.activity_id.clone(),
            attempt: j.attempt,
            executor: j.executor.clone(),
            inputs: json_object(&j.inputs),
            deadline: j.deadline,
        }
    }
}

/// A release's schedule.
#[napi(object)]
pub struct Schedule {
    /// Planned start.
    pub start: DateTime<Utc>,
    /// Planned end.
    pub end: Option<DateTime<Utc>>,
    /// Whether the clock activates it at `start`.
    pub auto_start: bool,
}

/// One approval decision recorded on an approval activity.
#[napi(object)]
pub struct Approval {
    /// Who decided.
    pub approver: String,
    /// Approved (`true`) or rejected (`false`).
    pub approved: bool,
    /// When.
    pub at: DateTime<Utc>,
    /// The comment given.
    pub comment: Option<String>,
}

/// An activity of a release at run time.
#[napi(object)]
pub struct Activity {
    /// Activity id.
    pub id: String,
    /// Display name from the definition.
    pub name: Option<String>,
    /// `automated` | `approval` | `manual` | `subprocess` | `wait`.
    #[napi(ts_type = "ActivityKind")]
    pub kind: String,
    /// `pending` | `queued` | `running` | `waiting_for_input` | `on_hold` | `success` | `failed` |
    /// `ignored` | `skipped` | `aborted`.
    #[napi(ts_type = "ActivityStatus")]
    pub status: String,
    /// Attempt (0 = first run).
    pub attempt: u32,
    /// Outputs (executor outputs, substitutes given with `ignore`, manual field values).
    #[napi(ts_type = "Record<string, any>")]
    pub outputs: JsonObject,
    /// Approval decisions of the current attempt.
    pub approvals: Vec<Approval>,
    /// Whether the approval deadline escalated.
    pub escalated: bool,
    /// The last failure message.
    pub error: Option<String>,
    /// Why it was skipped: `condition` | `manual` | `upstream_failed` | `release_failed`.
    #[napi(ts_type = "SkipReason")]
    pub skip_reason: Option<String>,
    /// The job of the current attempt (automated activities).
    pub job_id: Option<String>,
    /// The child release of the current attempt (subprocess activities).
    pub child_id: Option<String>,
    /// The `with` values of the current attempt's job.
    #[napi(ts_type = "Record<string, any>")]
    pub job_inputs: JsonObject,
    /// When it first left `pending` in this attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A phase of a release at run time.
#[napi(object)]
pub struct Phase {
    /// Phase id.
    pub id: String,
    /// Display name from the definition.
    pub name: Option<String>,
    /// `pending` | `scheduled` | `running` | `on_hold` | `success` | `failed` | `skipped` | `aborted`.
    #[napi(ts_type = "PhaseStatus")]
    pub status: String,
    /// Whether this is a rollback phase.
    pub rollback: bool,
    /// Why it was skipped.
    #[napi(ts_type = "SkipReason")]
    pub skip_reason: Option<String>,
    /// Evaluated phase outputs (set when it ends).
    #[napi(ts_type = "Record<string, any>")]
    pub outputs: JsonObject,
    /// The phase's variables, evaluated when it started.
    #[napi(ts_type = "Record<string, any>")]
    pub variables: JsonObject,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// When it may start (`not_before`), once known.
    pub not_before: Option<DateTime<Utc>>,
    /// Its activities by id, in definition order.
    #[napi(ts_type = "Record<string, Activity>")]
    pub activities: IndexMap<String, Activity>,
}

/// The subprocess activity a child release runs for.
#[napi(object)]
pub struct ParentLink {
    /// The parent release.
    pub release: String,
    /// The parent's phase.
    pub phase: String,
    /// The parent's subprocess activity.
    pub activity: String,
}

/// A release: a run of a process, as folded from its events.
#[napi(object)]
pub struct Release {
    /// Release id.
    pub id: String,
    /// Sequence number of its last event.
    pub seq: i64,
    /// Display name.
    pub name: String,
    /// `standard` | `hotfix` | `feature` | `system`.
    #[napi(ts_type = "ReleaseKind")]
    pub kind: String,
    /// `draft` | `scheduled` | `running` | `on_hold` | `success` | `partial_success` | `failed` | `aborted`.
    #[napi(ts_type = "ReleaseStatus")]
    pub status: String,
    /// `account` or `org:<id>`.
    pub scope: String,
    /// Process id.
    pub process_id: String,
    /// Pinned process version.
    pub process_version: u32,
    /// Inputs (defaults ⊕ input set ⊕ overrides).
    #[napi(ts_type = "Record<string, any>")]
    pub inputs: JsonObject,
    /// Owners.
    pub owners: Vec<String>,
    /// Release group, if a group generated it.
    pub group: Option<String>,
    /// The parent activity, for a child release of a subprocess activity.
    pub parent: Option<ParentLink>,
    /// Global variables, evaluated at activation.
    #[napi(ts_type = "Record<string, any>")]
    pub variables: JsonObject,
    /// Schedule, once scheduled.
    pub schedule: Option<Schedule>,
    /// Release attempt (restart increments it).
    pub attempt: u32,
    /// Archived.
    pub archived: bool,
    /// Ended failed after running its rollback phases.
    pub rolled_back: bool,
    /// Rollback phases are running.
    pub rolling_back: bool,
    /// A critical phase failed: no new work starts.
    pub halted: bool,
    /// Paused by an operator.
    pub paused: bool,
    /// Activated before its scheduled start.
    pub pre_executed: bool,
    /// Who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// Who activated it.
    pub started_by: Option<String>,
    /// When it was activated.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// When its last event happened.
    pub updated_at: Option<DateTime<Utc>>,
    /// Phases by id: regular phases in definition order, then rollback phases.
    #[napi(ts_type = "Record<string, Phase>")]
    pub phases: IndexMap<String, Phase>,
}

fn activity(state: &ActivityState, def: Option<&trainyard::model::Activity>) -> Activity {
    Activity {
        id: state.id.clone(),
        name: def.and_then(|d| d.name.clone()),
        kind: def.map(|d| d.kind.as_str().to_string()).unwrap_or_default(),
        status: state.status.as_str().to_string(),
        attempt: state.attempt,
        outputs: json_object(&state.outputs),
        approvals: state
            .approvals
            .iter()
            .map(|a| Approval {
                approver: a.approver.clone(),
                approved: a.approved,
                at: a.at,
                comment: a.comment.clone(),
            })
            .collect(),
        escalated: state.escalated,
        error: state.error.clone(),
        skip_reason: state.skip_reason.map(|r| snake(&r)),
        job_id: state.job_id.clone(),
        child_id: state.child_id.clone(),
        job_inputs: json_object(&state.job_inputs),
        started_at: state.started_at,
        ended_at: state.ended_at,
    }
}

fn phase(state: &PhaseState, def: Option<&trainyard::model::Phase>, rollback: bool) -> Phase {
    Phase {
        id: state.id.clone(),
        name: def.and_then(|d| d.name.clone()),
        status: state.status.as_str().to_string(),
        rollback,
        skip_reason: state.skip_reason.map(|r| snake(&r)),
        outputs: json_object(&state.outputs),
        variables: json_object(&state.variables),
        started_at: state.started_at,
        ended_at: state.ended_at,
        not_before: state.not_before,
        activities: state
            .activities
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), activity(a, def.and_then(|d| d.activities.get(i)))))
            .collect(),
    }
}

impl From<&ReleaseState> for Release {
    fn from(r: &ReleaseState) -> Self {
        let process = r.plan.as_ref().map(|p| p.process.clone());
        let regular = r.plan.as_ref().map(|p| p.regular).unwrap_or(usize::MAX);
        let phase_def = |i: usize| {
            process.as_ref().and_then(|p| if i < regular { p.phases.get(i) } else { p.rollback.get(i - regular) })
        };
        Release {
            id: r.id.clone(),
            seq: r.seq as i64,
            name: r.name.clone(),
            kind: r.kind.as_str().to_string(),
            status: r.status.as_str().to_string(),
            scope: r.scope.clone(),
            process_id: r.process_id.clone(),
            process_version: r.process_version,
            inputs: json_object(&r.inputs),
            owners: r.owners.clone(),
            group: r.group.clone(),
            parent: r.parent.as_ref().map(|p| ParentLink {
                release: p.release.clone(),
                phase: p.activity.phase.clone(),
                activity: p.activity.activity.clone(),
            }),
            variables: json_object(&r.variables),
            schedule: r.schedule.as_ref().map(|s| Schedule { start: s.start, end: s.end, auto_start: s.auto_start }),
            attempt: r.attempt,
            archived: r.archived,
            rolled_back: r.rolled_back,
            rolling_back: r.rolling_back,
            halted: r.halted,
            paused: r.paused,
            pre_executed: r.pre_executed,
            created_by: r.created_by.clone(),
            created_at: r.created_at,
            started_by: r.started_by.clone(),
            started_at: r.started_at,
            ended_at: r.ended_at,
            updated_at: r.updated_at,
            phases: r
                .phases
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.clone(), phase(p, phase_def(i), i >= regular)))
                .collect(),
        }
    }
}

/// One event of a release's history (its audit trail).
#[napi(object)]
pub struct Event {
    /// Position in the release's log, from 1, without gaps.
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who caused it (`system` for the clock and the engine).
    pub actor: String,
    /// What happened: `created`, `scheduled`, `activated`, `activity_succeeded`, `ended`, …
    pub kind: String,
    /// The event's data (its fields, snake_case as in the Rust serialization; times as RFC 3339 text).
    #[napi(ts_type = "Record<string, any>")]
    pub data: JsonObject,
    /// The reason or comment given with the command.
    pub comment: Option<String>,
}

impl From<&trainyard::release::Event> for Event {
    fn from(e: &trainyard::release::Event) -> Self {
        let data = match serde_json::to_value(e) {
            Ok(Value::Object(mut m)) => match m.remove("data") {
                Some(Value::Object(d)) => d,
                Some(other) => JsonObject::from_iter([("value".to_string(), other)]),
                None => JsonObject::new(),
            },
            _ => JsonObject::new(),
        };
        Event {
            seq: e.seq as i64,
            at: e.at,
            actor: e.actor.clone(),
            kind: e.kind.name().to_string(),
            data,
            comment: e.comment.clone(),
        }
    }
}

/// A job claimed by an external worker (`claimJobs`): the job and its lease.
#[napi(object)]
#[derive(Clone)]
pub struct ClaimedJob {
    /// Job id: `<release>/<phase>/<activity>/<attempt>` (the same on a redelivery).
    pub id: String,
    /// Release id.
    pub release_id: String,
    /// Phase id.
    pub phase_id: String,
    /// Activity id.
    pub activity_id: String,
    /// Attempt (0 = first run).
    pub attempt: u32,
    /// Executor name.
    pub executor: String,
    /// The resolved `with` values (secrets resolved).
    #[napi(ts_type = "Record<string, any>")]
    pub inputs: JsonObject,
    /// When the attempt times out, if the activity has a `timeout`.
    pub deadline: Option<DateTime<Utc>>,
    /// The lease token: pass it to `heartbeat` and `completeJob`. A redelivery (the lease expired)
    /// gets a new one and makes this one stale (`conflict`).
    pub lease_token: String,
    /// How many times the job was handed out, this time included (1 = first delivery).
    pub deliveries: u32,
}

impl From<trainyard::store::ClaimedJob> for ClaimedJob {
    fn from(c: trainyard::store::ClaimedJob) -> Self {
        let j = Job::from(&c.job);
        ClaimedJob {
            id: j.id,
            release_id: j.release_id,
            phase_id: j.phase_id,
            activity_id: j.activity_id,
            attempt: j.attempt,
            executor: j.executor,
            inputs: j.inputs,
            deadline: j.deadline,
            lease_token: c.token,
            deliveries: c.deliveries,
        }
    }
}

/// A job in the store with its lease, as listed by `listJobs`.
#[napi(object)]
pub struct JobRecord {
    /// The job (inputs as stored: secret references unresolved).
    pub job: Job,
    /// The worker holding (or last holding) the lease; absent if never claimed.
    pub worker: Option<String>,
    /// When the lease ends; absent if never claimed.
    pub lease_until: Option<DateTime<Utc>>,
    /// How many times it was handed out.
    pub deliveries: u32,
}

impl From<&trainyard::store::JobRecord> for JobRecord {
    fn from(r: &trainyard::store::JobRecord) -> Self {
        JobRecord {
            job: Job::from(&r.job),
            worker: r.worker.clone(),
            lease_until: r.lease_until,
            deliveries: r.deliveries,
        }
    }
}

/// One version of a named input set.
#[napi(object)]
pub struct InputSet {
    /// The process it belongs to.
    pub process_id: String,
    /// Its name.
    pub name: String,
    /// Its version (1, 2, …: a new one each time the values change).
    pub version: u32,
    /// The values.
    #[napi(ts_type = "Record<string, any>")]
    pub values: JsonObject,
}

impl From<&trainyard::InputSet> for InputSet {
    fn from(s: &trainyard::InputSet) -> Self {
        InputSet {
            process_id: s.process_id.clone(),
            name: s.name.clone(),
            version: s.version,
            values: json_object(&s.values),
        }
    }
}

/// An input set of a process with its latest version, as listed by `listInputSets`.
#[napi(object)]
pub struct InputSetSummary {
    /// Its name.
    pub name: String,
    /// Its latest version.
    pub version: u32,
}

/// A notification (DESIGN §8), as delivered to `subscribe` functions.
#[napi(object)]
#[derive(Clone)]
pub struct Notification {
    /// What happened.
    #[napi(ts_type = "NotificationKind")]
    pub kind: String,
    /// The release.
    pub release_id: String,
    /// The release's display name.
    pub release_name: String,
    /// The phase, for phase and activity notifications.
    pub phase: Option<String>,
    /// The activity, for activity notifications.
    pub activity: Option<String>,
    /// For `release_ended` and `phase_ended`: the final status (`skipped` for a skipped phase).
    pub status: Option<String>,
    /// Who should hear about it: user ids, group names, `group:<name>` for approver groups.
    pub recipients: Vec<String>,
    /// When it happened (the event's time).
    pub at: DateTime<Utc>,
    /// The sequence number of the event that caused it (with `releaseId`, a key for de-duplication).
    pub seq: i64,
    /// A one-line human-readable text.
    pub message: String,
}

impl From<&trainyard::notify::Notification> for Notification {
    fn from(n: &trainyard::notify::Notification) -> Self {
        Notification {
            kind: n.kind.as_str().to_string(),
            release_id: n.release_id.clone(),
            release_name: n.release_name.clone(),
            phase: n.phase.clone(),
            activity: n.activity.clone(),
            status: n.status.clone(),
            recipients: n.recipients.clone(),
            at: n.at,
            seq: n.seq as i64,
            message: n.message.clone(),
        }
    }
}

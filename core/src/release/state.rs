//! The runtime state of one release, as folded from its events by [`super::evolve`].

use super::{ActivityStatus, PhaseStatus, Plan, ReleaseKind, ReleaseStatus, SkipReason, TimerKey, Timers};
use crate::Timestamp;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Where a release is in its life, before the per-node roll-up takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Draft.
    Draft,
    /// Scheduled.
    Scheduled,
    /// Activated: the status is rolled up from the phases.
    Active,
    /// Aborted by an operator.
    Aborted,
    /// Ended (success, partial_success, failed).
    Ended,
    /// Deleted (draft or scheduled).
    Deleted,
}

/// The schedule of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Planned start.
    pub start: Timestamp,
    /// Planned end.
    pub end: Option<Timestamp>,
    /// Activate automatically at `start`.
    pub auto_start: bool,
}

/// One approval decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// Who decided.
    pub approver: String,
    /// Approved or rejected.
    pub approved: bool,
    /// When.
    pub at: Timestamp,
    /// The comment given.
    pub comment: Option<String>,
    /// The approver entries (by index) this person covers.
    pub covers: Vec<usize>,
}

/// The state of one activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityState {
    /// Activity id.
    pub id: String,
    /// Status.
    pub status: ActivityStatus,
    /// Attempt (0 = first run).
    pub attempt: u32,
    /// Dependencies not yet done (incremental readiness).
    pub unfinished_deps: u32,
    /// A dependency failed: it will be skipped with `upstream_failed`.
    pub blocked: bool,
    /// Outputs (success, ignore substitutes, manual field values, approvals).
    pub outputs: IndexMap<String, Value>,
    /// Approval decisions of the current attempt.
    pub approvals: Vec<ApprovalRecord>,
    /// Whether the approval deadline escalated (adds `escalate_to`).
    pub escalated: bool,
    /// The last failure message.
    pub error: Option<String>,
    /// The structured facts of the last failure, when its executor gave them (cleared with
    /// `error`). Left out of snapshots when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<crate::executor::FailureDetail>,
    /// Why it was skipped.
    pub skip_reason: Option<SkipReason>,
    /// The job of the current attempt (automated).
    pub job_id: Option<String>,
    /// The child release of the current attempt (subprocess).
    pub child_id: Option<String>,
    /// The `with` values of the current attempt's job.
    pub job_inputs: IndexMap<String, Value>,
    /// `with` values changed by a fix-and-continue retry (merged over the definition's).
    pub input_overrides: IndexMap<String, Value>,
    /// When it first left `pending` in this attempt.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// When it went `on_hold` (waiting for a failure decision); cleared when it leaves. Left out
    /// of snapshots when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_at: Option<Timestamp>,
}

impl ActivityState {
    /// A pending activity that has not run, waiting for `unfinished_deps` dependencies.
    pub fn pending(id: String, unfinished_deps: u32) -> Self {
        ActivityState {
            id,
            status: ActivityStatus::Pending,
            attempt: 0,
            unfinished_deps,
            blocked: false,
            outputs: IndexMap::new(),
            approvals: Vec::new(),
            escalated: false,
            error: None,
            last_failure: None,
            skip_reason: None,
            job_id: None,
            child_id: None,
            job_inputs: IndexMap::new(),
            input_overrides: IndexMap::new(),
            started_at: None,
            ended_at: None,
            held_at: None,
        }
    }
}

/// The state of one phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseState {
    /// Phase id.
    pub id: String,
    /// Status (rolled up from the activities while the phase runs).
    pub status: PhaseStatus,
    /// Whether the phase started (and has not ended).
    pub started: bool,
    /// Dependencies not yet done.
    pub unfinished_deps: u32,
    /// A dependency failed: it will be skipped with `upstream_failed`.
    pub blocked: bool,
    /// Why it was skipped.
    pub skip_reason: Option<SkipReason>,
    /// Evaluated phase outputs (set when it ends).
    pub outputs: IndexMap<String, Value>,
    /// The phase's variables, evaluated when it started.
    pub variables: IndexMap<String, Value>,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// When it may start (`not_before`), once known.
    pub not_before: Option<Timestamp>,
    /// Activities by status (indexed by [`ActivityStatus::index`]).
    pub counts: [u32; 10],
    /// Its activities.
    pub activities: Vec<ActivityState>,
    /// The phase's attempt: 0, then one more each time a `rewind` reset it after it had run.
    /// Left out of snapshots when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempt: u32,
    /// The earlier attempts a `rewind` replaced, oldest first, with their outputs (what is
    /// downstream reads [`PhaseState::outputs`], the latest). Left out of snapshots when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<PhaseAttempt>,
    /// The earliest start set by `reschedule_phase` (replaces the definition's `not_before`).
    /// Left out of snapshots when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescheduled: Option<Timestamp>,
}

/// An earlier attempt of a phase, kept when a `rewind` ran it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseAttempt {
    /// The attempt (0 = the first run).
    pub attempt: u32,
    /// How it ended (`running` or `on_hold` when it was rewound before it ended).
    pub status: PhaseStatus,
    /// Its evaluated outputs.
    pub outputs: IndexMap<String, Value>,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The state of a release: folded from its events, never stored apart from them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseState {
    /// Release id (UUID v7).
    pub id: String,
    /// Sequence number of the last event applied (0 = none).
    pub seq: u64,
    /// Display name.
    pub name: String,
    /// Kind.
    pub kind: ReleaseKind,
    /// Process id.
    pub process_id: String,
    /// Pinned process version.
    pub process_version: u32,
    /// `account` or `org:<id>`.
    pub scope: String,
    /// Inputs (defaults ⊕ input set ⊕ overrides).
    pub inputs: IndexMap<String, Value>,
    /// Owners: the people and groups responsible for the release.
    pub owners: Vec<String>,
    /// The release's managers (users or groups): notified like the owners, and responsible for
    /// manual activities nobody else owns. Left out of snapshots when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub release_managers: Vec<String>,
    /// Stakeholders (users or groups): they receive the release's progress notifications and may
    /// read it whatever their roles. Left out of snapshots when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stakeholders: Vec<String>,
    /// Whether a person changed the release with `update` (a release-group occurrence edited by
    /// hand is then left alone when its group is edited). Left out of snapshots when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
    /// Release group, if generated by one.
    pub group: Option<String>,
    /// Input set used (name, version).
    pub input_set: Option<(String, u32)>,
    /// The parent activity when this is a child release of a subprocess.
    pub parent: Option<super::ParentLink>,
    /// The release-group occurrence it was generated for (`<group>@<start>`).
    pub occurrence: Option<String>,
    /// Labels, description, version and links (left out of snapshots when empty).
    #[serde(default, skip_serializing_if = "super::Metadata::is_empty")]
    pub metadata: super::Metadata,
    /// Global variables, evaluated at activation.
    pub variables: IndexMap<String, Value>,
    /// Schedule, once scheduled.
    pub schedule: Option<Schedule>,
    /// Life stage.
    pub stage: Stage,
    /// Status (rolled up).
    pub status: ReleaseStatus,
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
    /// A `rollback` failure policy fired: the rollback phases run once nothing else is in flight.
    pub rollback_requested: bool,
    /// Paused by an operator.
    pub paused: bool,
    /// Activated before its scheduled start.
    pub pre_executed: bool,
    /// Who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Who scheduled it last.
    pub scheduled_by: Option<String>,
    /// Who activated it (the "starter" for `forbid_self_approval`; when the clock activates a
    /// scheduled release, whoever scheduled it).
    pub started_by: Option<String>,
    /// When it was activated.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// When its last event happened.
    pub updated_at: Option<Timestamp>,
    /// Phases, regular then rollback (same order as the [`Plan`]).
    pub phases: Vec<PhaseState>,
    /// Pending timers and when they are due.
    pub timers: Timers,
    /// Nodes whose dependencies are done and that wait to be started: `(phase, None)` for a phase,
    /// `(phase, Some(activity))` for an activity.
    pub ready: BTreeSet<(usize, Option<usize>)>,
    /// Started phases whose activities have all ended (they close at the next `decide`).
    pub closing: BTreeSet<usize>,
    /// Activities with `records` that succeeded and whose delivery is recorded at the next
    /// `decide` (`delivery_recorded`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub recording: BTreeSet<(usize, usize)>,
    /// Activities by status across the release.
    pub counts: [u32; 10],
    /// Phases by status across the release (regular and rollback).
    pub phase_counts: [u32; 8],
    /// Critical phases that ended failed.
    pub critical_failures: u32,
    /// Non-critical phases that ended failed.
    pub noncritical_failures: u32,
    /// Whether the last risk assessment found the release expected to end after its planned end
    /// (see [`super::risk`]); false for a release without a planned end. Left out of snapshots
    /// when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub at_risk: bool,
    /// The amendments of the release's plan (inserted activities, reassigned and delegated
    /// approvals), in the order of their events: [`ReleaseState::attach_plan`] applies them to the
    /// process version's plan. Left out of snapshots when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amendments: Vec<super::PlanAmendment>,
    /// Gates that were opened, with their targets and what those resolved to
    /// ([`super::gates`]; [`ReleaseState::waiting_gates`] are the ones still waiting). Left out
    /// of snapshots when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<super::gates::GateWait>,
    /// The locks the release holds or waits for ([`super::locks`]). Left out of snapshots when
    /// empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<super::locks::LockClaim>,
    /// The plan this state runs (not serialized: re-attached from the process version).
    #[serde(skip)]
    pub plan: Option<Arc<Plan>>,
}

impl ReleaseState {
    /// An empty state for a release of `plan`, before its `created` event.
    pub fn new(id: impl Into<String>, plan: Arc<Plan>) -> Self {
        let phases: Vec<PhaseState> = plan
            .phases
            .iter()
            .map(|p| {
                let mut counts = [0u32; 10];
                counts[ActivityStatus::Pending.index()] = p.activities.len() as u32;
                PhaseState {
                    id: p.id.clone(),
                    status: PhaseStatus::Pending,
                    started: false,
                    unfinished_deps: p.deps.len() as u32,
                    blocked: false,
                    skip_reason: None,
                    outputs: IndexMap::new(),
                    variables: IndexMap::new(),
                    started_at: None,
                    ended_at: None,
                    not_before: None,
                    counts,
                    attempt: 0,
                    attempts: Vec::new(),
                    rescheduled: None,
                    activities: p
                        .activities
                        .iter()
                        .map(|a| ActivityState::pending(a.id.clone(), a.deps.len() as u32))
                        .collect(),
                }
            })
            .collect();
        let mut counts = [0u32; 10];
        counts[ActivityStatus::Pending.index()] = phases.iter().map(|p| p.activities.len() as u32).sum();
        let mut phase_counts = [0u32; 8];
        phase_counts[PhaseStatus::Pending.index()] = phases.len() as u32;
        ReleaseState {
            id: id.into(),
            seq: 0,
            name: String::new(),
            kind: ReleaseKind::Standard,
            process_id: plan.process.id.clone(),
            process_version: plan.version,
            scope: "account".into(),
            inputs: IndexMap::new(),
            owners: Vec::new(),
            release_managers: Vec::new(),
            stakeholders: Vec::new(),
            edited: false,
            group: None,
            input_set: None,
            parent: None,
            occurrence: None,
            metadata: super::Metadata::default(),
            variables: IndexMap::new(),
            schedule: None,
            stage: Stage::Draft,
            status: ReleaseStatus::Draft,
            attempt: 0,
            archived: false,
            rolled_back: false,
            rolling_back: false,
            halted: false,
            rollback_requested: false,
            paused: false,
            pre_executed: false,
            created_by: String::new(),
            created_at: None,
            scheduled_by: None,
            started_by: None,
            started_at: None,
            ended_at: None,
            updated_at: None,
            phases,
            timers: Timers::default(),
            ready: BTreeSet::new(),
            closing: BTreeSet::new(),
            recording: BTreeSet::new(),
            counts,
            phase_counts,
            critical_failures: 0,
            noncritical_failures: 0,
            at_risk: false,
            amendments: Vec::new(),
            gates: Vec::new(),
            locks: Vec::new(),
            plan: Some(plan),
        }
    }

    /// Moves a draft onto another process version: its phases and counters are those of `plan`
    /// (a draft has no progress to keep); everything about the release itself stays.
    pub fn rebase(&mut self, plan: Arc<Plan>) {
        let fresh = ReleaseState::new(self.id.clone(), plan);
        self.phases = fresh.phases;
        self.counts = fresh.counts;
        self.phase_counts = fresh.phase_counts;
        self.ready.clear();
        self.closing.clear();
        self.critical_failures = 0;
        self.noncritical_failures = 0;
        self.amendments.clear();
        self.plan = fresh.plan;
    }

    /// Attaches the plan of the release's process version, with the release's
    /// [`ReleaseState::amendments`] applied (a state decoded from a snapshot has none attached).
    pub fn attach_plan(&mut self, base: Arc<Plan>) {
        self.plan = Some(if self.amendments.is_empty() {
            base
        } else {
            let mut process = (*base.process).clone();
            for amendment in &self.amendments {
                amendment.apply(&mut process);
            }
            Plan::new(Arc::new(process), base.version)
        });
    }

    /// The plan (always attached for states built by the engine).
    pub fn plan(&self) -> &Arc<Plan> {
        self.plan.as_ref().expect("a release state always has its plan attached")
    }

    /// The phase with this id.
    pub fn phase(&self, id: &str) -> Option<&PhaseState> {
        self.plan().phase_index(id).map(|i| &self.phases[i])
    }

    /// The activity `phase/activity`.
    pub fn activity(&self, phase: &str, activity: &str) -> Option<&ActivityState> {
        let p = self.plan().phase_index(phase)?;
        let a = self.plan().phases[p].activity_index(activity)?;
        Some(&self.phases[p].activities[a])
    }

    /// Number of activities in `status` across the release.
    pub fn count(&self, status: ActivityStatus) -> u32 {
        self.counts[status.index()]
    }

    /// The earliest pending timer.
    pub fn next_timer(&self) -> Option<(&TimerKey, &Timestamp)> {
        self.timers.next()
    }

    /// The whole state as JSON (without the plan; timers as a list of pairs), for comparing states
    /// in tests.
    pub fn comparable(&self) -> serde_json::Value {
        crate::store::encode_snapshot(self).unwrap_or_else(|e| serde_json::Value::String(e.to_string()))
    }
}

impl PartialEq for ReleaseState {
    fn eq(&self, other: &Self) -> bool {
        self.comparable() == other.comparable()
    }
}

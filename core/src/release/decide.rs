//! `decide(state, command, ctx)`: the pure decision function. It reads the state and the command
//! and returns the events that record what happens, or refuses with an error. No I/O, no clock
//! reads (the time comes in `ctx`), no randomness; nothing is changed.

use super::state::Stage;
use super::{
    ActivityStatus, AfterFailure, Command, Decision, Event, EventKind, PhaseStatus, Plan, ReleaseState, ReleaseStatus,
    SkipReason, TimerKey, approvals, command, inputs,
};
use crate::access::Actor;
use crate::expr::eval::{self, Scope};
use crate::model::{ActivityKind, DeadlineAction, FailurePolicy};
use crate::{Error, Problem, Result, Timestamp};
use chrono::Duration as ChronoDuration;
use indexmap::IndexMap;
use serde_json::Value;
use std::sync::Arc;

/// What a decision needs besides the state and the command.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The current time (from the engine's clock).
    pub now: Timestamp,
    /// Who issues the command.
    pub actor: &'a Actor,
    /// The reason or comment given with the command.
    pub comment: Option<&'a str>,
    /// Until when a freeze window covers this release's services or environments (the engine
    /// works it out from its freezes): automated activities wait, `queued`, until then.
    pub frozen_until: Option<Timestamp>,
}

/// Collects the events of one decision with their envelopes.
struct Out<'a> {
    events: Vec<Event>,
    next_seq: u64,
    ctx: &'a Ctx<'a>,
}

impl Out<'_> {
    fn push(&mut self, kind: EventKind) {
        let comment = if self.events.is_empty() { self.ctx.comment.map(str::to_string) } else { None };
        self.events.push(Event {
            seq: self.next_seq,
            at: self.ctx.now,
            actor: self.ctx.actor.id.clone(),
            kind,
            comment,
        });
        self.next_seq += 1;
    }
}

/// What a new release is created with.
#[derive(Debug, Clone, Default)]
pub struct NewRelease {
    /// Display name.
    pub name: String,
    /// Kind.
    pub kind: super::ReleaseKind,
    /// `account` or `org:<id>`.
    pub scope: String,
    /// Explicit input values (merged over the input set and the defaults).
    pub inputs: IndexMap<String, Value>,
    /// Values of the input set used, with its name and version.
    pub input_set: Option<(String, u32, IndexMap<String, Value>)>,
    /// Owners.
    pub owners: Vec<String>,
    /// Release group.
    pub group: Option<String>,
    /// The parent activity (child releases of subprocess activities).
    pub parent: Option<super::ParentLink>,
    /// The release-group occurrence it was generated for (`<group>@<start>`).
    pub occurrence: Option<String>,
}

/// Decides the creation of a release (its first event).
pub fn decide_create(plan: &Arc<Plan>, new: &NewRelease, ctx: &Ctx<'_>) -> Result<Vec<Event>> {
    let mut problems = Vec::new();
    if new.name.trim().is_empty() {
        problems.push(Problem::new(
            "name",
            "missing_field",
            "a release needs a name, e.g. \"Week 15 System Release - April 2025\"",
        ));
    }
    if !(new.scope == "account" || new.scope.strip_prefix("org:").is_some_and(|o| !o.is_empty())) {
        problems.push(Problem::new(
            "scope",
            "invalid_value",
            format!("`{}` is not a scope; use `account` or `org:<id>`", new.scope),
        ));
    }
    let merged = inputs::merge(&plan.process, new.input_set.as_ref().map(|s| &s.2), &new.inputs);
    if let Err(Error::InvalidInput { problems: p }) = inputs::check(&plan.process, &merged, false) {
        problems.extend(p);
    }
    if !problems.is_empty() {
        return Err(Error::InvalidInput { problems });
    }
    let mut out = Out { events: Vec::new(), next_seq: 1, ctx };
    out.push(EventKind::Created {
        name: new.name.clone(),
        release_kind: new.kind,
        process_id: plan.process.id.clone(),
        process_version: plan.version,
        scope: new.scope.clone(),
        inputs: merged,
        owners: new.owners.clone(),
        group: new.group.clone(),
        input_set: new.input_set.as_ref().map(|(n, v, _)| (n.clone(), *v)),
        parent: new.parent.clone(),
        occurrence: new.occurrence.clone(),
    });
    Ok(out.events)
}

/// Decides what a command does to a release: the events to append, or an error (nothing changes).
pub fn decide(state: &ReleaseState, cmd: &Command, ctx: &Ctx<'_>) -> Result<Vec<Event>> {
    let mut out = Out { events: Vec::new(), next_seq: state.seq + 1, ctx };
    if state.stage == Stage::Deleted {
        if matches!(cmd, Command::Advance) {
            return Ok(Vec::new());
        }
        return Err(Error::NotFound {
            kind: "release".into(),
            id: state.id.clone(),
            hint: Some("it was deleted".into()),
        });
    }
    check_release_status(state, cmd)?;
    let now = ctx.now;
    match cmd {
        Command::Update { name, inputs: new_inputs, owners } => {
            let merged = new_inputs.as_ref().map(|i| {
                let mut m = state.inputs.clone();
                for (k, v) in i {
                    if v.is_null() {
                        m.shift_remove(k);
                    } else {
                        m.insert(k.clone(), v.clone());
                    }
                }
                inputs::merge(&state.plan().process, None, &m)
            });
            if let Some(m) = &merged {
                inputs::check(&state.plan().process, m, false)?;
            }
            if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
                return Err(Error::InvalidInput {
                    problems: vec![Problem::new("name", "missing_field", "a release name cannot be empty")],
                });
            }
            out.push(EventKind::Updated { name: name.clone(), inputs: merged, owners: owners.clone() });
        }
        Command::Delete => out.push(EventKind::Deleted),
        Command::Schedule { start, end, auto_start } => {
            if let Some(e) = end {
                if e <= start {
                    return Err(Error::Schedule { message: format!("the end {e} must be after the start {start}") });
                }
            }
            inputs::check(&state.plan().process, &state.inputs, true)?;
            out.push(EventKind::Scheduled { start: *start, end: *end, auto_start: *auto_start });
        }
        Command::Activate { force } => {
            inputs::check(&state.plan().process, &state.inputs, true)?;
            let early = state.schedule.as_ref().is_some_and(|s| now < s.start);
            let variables = global_variables(state, now).map_err(|message| Error::Expression {
                expression: "variables".into(),
                location: format!("process `{}` variables", state.process_id),
                message,
            })?;
            out.push(EventKind::Activated { early, forced: *force, variables });
        }
        Command::Pause => {
            if state.paused {
                return Err(transition(state, cmd, "release", "on_hold (already paused)", &["resume", "abort"]));
            }
            out.push(EventKind::Paused);
        }
        Command::Resume => {
            if !state.paused {
                return Err(transition(
                    state,
                    cmd,
                    "release",
                    &format!("{} (not paused)", state.status),
                    &["pause", "abort"],
                ));
            }
            out.push(EventKind::Resumed);
        }
        Command::Abort { reason } => {
            if reason.trim().is_empty() {
                return Err(Error::InvalidInput {
                    problems: vec![Problem::new(
                        "reason",
                        "missing_field",
                        "abort needs a reason; it is recorded in the audit trail",
                    )],
                });
            }
            out.push(EventKind::Aborted);
        }
        Command::Restart => out.push(EventKind::Restarted { attempt: state.attempt + 1 }),
        Command::Archive => {
            if state.archived {
                return Err(Error::Conflict { message: format!("release {} is already archived", state.id) });
            }
            out.push(EventKind::Archived);
        }
        Command::Approve { .. } | Command::Reject { .. } => {
            let (p, a) = target(state, cmd)?;
            decide_approval(state, p, a, matches!(cmd, Command::Approve { .. }), &mut out)?;
        }
        Command::CompleteManual { values, .. } => {
            let (p, a) = target(state, cmd)?;
            let outputs = check_manual_values(state.plan(), p, a, values)?;
            out.push(EventKind::ActivitySucceeded {
                phase: phase_id(state, p),
                activity: act_id(state, p, a),
                outputs,
            });
        }
        Command::Retry { inputs: new_inputs, .. } => {
            let (p, a) = target(state, cmd)?;
            out.push(EventKind::ActivityDecided {
                phase: phase_id(state, p),
                activity: act_id(state, p, a),
                decision: Decision::Retry { inputs: new_inputs.clone() },
            });
            let mut overrides = state.phases[p].activities[a].input_overrides.clone();
            if let Some(i) = new_inputs {
                overrides.extend(i.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            start_activity(state, p, a, state.phases[p].activities[a].attempt + 1, &overrides, &mut out);
        }
        Command::Ignore { outputs, .. } => {
            let (p, a) = target(state, cmd)?;
            out.push(EventKind::ActivityDecided {
                phase: phase_id(state, p),
                activity: act_id(state, p, a),
                decision: Decision::Ignore { outputs: outputs.clone() },
            });
        }
        Command::Fail { .. } => {
            let (p, a) = target(state, cmd)?;
            out.push(EventKind::ActivityDecided {
                phase: phase_id(state, p),
                activity: act_id(state, p, a),
                decision: Decision::Fail,
            });
            halt_if_critical(state, p, false, &mut out);
        }
        Command::Skip { .. } => {
            let (p, a) = target(state, cmd)?;
            out.push(EventKind::ActivitySkipped {
                phase: phase_id(state, p),
                activity: act_id(state, p, a),
                reason: SkipReason::Manual,
            });
        }
        Command::StartJob { job_id } => {
            let (p, a) = job_target(state, job_id, &[ActivityStatus::Queued])?;
            let timeout = state.plan().activity_def(p, a).timeout.as_ref().map(|t| now + secs(t.as_secs()));
            out.push(EventKind::ActivityStarted {
                phase: phase_id(state, p),
                activity: act_id(state, p, a),
                due: timeout,
            });
        }
        Command::SucceedJob { job_id, outputs } => {
            let (p, a) = job_target(state, job_id, &[ActivityStatus::Queued, ActivityStatus::Running])?;
            out.push(EventKind::ActivitySucceeded {
                phase: phase_id(state, p),
                activity: act_id(state, p, a),
                outputs: outputs.clone(),
            });
        }
        Command::FailJob { job_id, message, retryable } => {
            let (p, a) = job_target(state, job_id, &[ActivityStatus::Queued, ActivityStatus::Running])?;
            fail_activity(state, p, a, message.clone(), *retryable, &mut out);
        }
        Command::ChildEnded { phase, activity, child_id, status, outputs, message } => {
            let (p, a) = locate(state, phase, activity)?;
            let act = &state.phases[p].activities[a];
            if act.child_id.as_deref() != Some(child_id.as_str()) || act.status != ActivityStatus::Running {
                return Err(Error::Conflict {
                    message: format!(
                        "child release {child_id} is not the running attempt of {phase}/{activity} (it is {})",
                        act.status
                    ),
                });
            }
            match status {
                ReleaseStatus::Success | ReleaseStatus::PartialSuccess => out.push(EventKind::ActivitySucceeded {
                    phase: phase.clone(),
                    activity: activity.clone(),
                    outputs: outputs.clone(),
                }),
                other => {
                    let why = message.clone().unwrap_or_else(|| format!("child release {child_id} ended {other}"));
                    fail_activity(state, p, a, why, true, &mut out)
                }
            }
        }
        Command::FireTimer { timer } => fire_timer(state, timer, &mut out)?,
        Command::Advance => advance(state, &mut out),
    }
    Ok(out.events)
}

// ----- status checks -----

fn check_release_status(state: &ReleaseState, cmd: &Command) -> Result<()> {
    let name = cmd.name();
    let table_governs = !matches!(
        cmd,
        Command::StartJob { .. }
            | Command::SucceedJob { .. }
            | Command::FailJob { .. }
            | Command::ChildEnded { .. }
            | Command::FireTimer { .. }
            | Command::Advance
    );
    if table_governs && !state.status.allowed_commands().contains(&name) {
        return Err(transition(state, cmd, "release", state.status.as_str(), state.status.allowed_commands()));
    }
    if matches!(cmd, Command::Update { .. }) && state.stage != Stage::Draft {
        return Err(transition(state, cmd, "release", state.status.as_str(), state.status.allowed_commands()));
    }
    Ok(())
}

fn transition(state: &ReleaseState, cmd: &Command, what: &str, status: &str, allowed: &[&str]) -> Error {
    let target = match cmd.activity() {
        Some((p, a)) if what == "activity" => format!("activity {p}/{a} of release {}", state.id),
        _ => format!("release {}", state.id),
    };
    Error::InvalidTransition {
        target,
        status: status.to_string(),
        command: cmd.name().to_string(),
        allowed: allowed.iter().map(|s| s.to_string()).collect(),
    }
}

/// Commands a person may issue to an activity in this status.
pub fn activity_commands(kind: ActivityKind, status: ActivityStatus) -> &'static [&'static str] {
    match (kind, status) {
        (_, ActivityStatus::Pending) => &["skip"],
        (ActivityKind::Approval, ActivityStatus::WaitingForInput) => &["approve", "reject"],
        (ActivityKind::Manual, ActivityStatus::WaitingForInput) => &["complete_manual"],
        (_, ActivityStatus::OnHold) => &["retry", "ignore", "fail"],
        _ => &[],
    }
}

/// Resolves the activity a person's command targets and checks its status allows the command.
fn target(state: &ReleaseState, cmd: &Command) -> Result<(usize, usize)> {
    let (phase, activity) = cmd.activity().expect("activity command");
    let (p, a) = locate(state, phase, activity)?;
    let kind = state.plan().activity_def(p, a).kind;
    let status = state.phases[p].activities[a].status;
    let allowed = activity_commands(kind, status);
    if !allowed.contains(&cmd.name()) {
        let status_text = format!("{status} ({} activity)", kind.as_str());
        return Err(transition(state, cmd, "activity", &status_text, allowed));
    }
    Ok((p, a))
}

fn locate(state: &ReleaseState, phase: &str, activity: &str) -> Result<(usize, usize)> {
    let plan = state.plan();
    let p = plan.phase_index(phase).ok_or_else(|| Error::NotFound {
        kind: "phase".into(),
        id: phase.to_string(),
        hint: Some(format!(
            "phases of `{}`: {}",
            plan.process.id,
            plan.phases.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
        )),
    })?;
    let a = plan.phases[p].activity_index(activity).ok_or_else(|| Error::NotFound {
        kind: "activity".into(),
        id: format!("{phase}/{activity}"),
        hint: Some(format!(
            "activities of phase `{phase}`: {}",
            plan.phases[p].activities.iter().map(|a| a.id.as_str()).collect::<Vec<_>>().join(", ")
        )),
    })?;
    Ok((p, a))
}

fn job_target(state: &ReleaseState, job_id: &str, statuses: &[ActivityStatus]) -> Result<(usize, usize)> {
    let (_, phase, activity, _) = command::parse_job_id(job_id).ok_or_else(|| Error::NotFound {
        kind: "job".into(),
        id: job_id.to_string(),
        hint: Some("job ids look like <release>/<phase>/<activity>/<attempt>".into()),
    })?;
    let (p, a) = locate(state, phase, activity)?;
    let act = &state.phases[p].activities[a];
    if act.job_id.as_deref() != Some(job_id) {
        return Err(Error::Conflict {
            message: format!("job {job_id} is stale: activity {phase}/{activity} is now on attempt {}", act.attempt),
        });
    }
    if !statuses.contains(&act.status) {
        return Err(Error::InvalidTransition {
            target: format!("job {job_id}"),
            status: act.status.to_string(),
            command: "report a job outcome".into(),
            allowed: vec![],
        });
    }
    Ok((p, a))
}

fn phase_id(state: &ReleaseState, p: usize) -> String {
    state.plan().phases[p].id.clone()
}

fn act_id(state: &ReleaseState, p: usize, a: usize) -> String {
    state.plan().phases[p].activities[a].id.clone()
}

fn secs(s: u64) -> ChronoDuration {
    ChronoDuration::seconds(s.min(i64::MAX as u64 / 1000) as i64)
}

// ----- starting work -----

/// Starts activity `(p, a)` at `attempt`: queues its job, opens it for people, or starts its wait.
fn start_activity(
    state: &ReleaseState,
    p: usize,
    a: usize,
    attempt: u32,
    overrides: &IndexMap<String, Value>,
    out: &mut Out<'_>,
) {
    let def = state.plan().activity_def(p, a);
    let (phase, activity) = (phase_id(state, p), act_id(state, p, a));
    let now = out.ctx.now;
    match def.kind {
        ActivityKind::Subprocess => {
            let mut with: serde_json::Map<String, Value> =
                def.with.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for (k, v) in overrides {
                with.insert(k.clone(), v.clone());
            }
            match eval::interpolate(&Value::Object(with), &Scope::activity(state, p, a)) {
                Ok(Value::Object(resolved)) => out.push(EventKind::SubprocessStarted {
                    child_id: child_release_id(&state.id, &phase, &activity, attempt),
                    phase,
                    activity,
                    attempt,
                    process: def.process.clone().unwrap_or_default(),
                    version: def.version,
                    inputs: resolved.into_iter().collect(),
                    due: def.timeout.as_ref().map(|t| now + secs(t.as_secs())),
                }),
                Ok(_) => unreachable_expression(state, p, a, "`with` did not evaluate to a mapping", out),
                Err(message) => unreachable_expression(
                    state,
                    p,
                    a,
                    &format!("expression_error in `with` of {phase}/{activity}: {message}"),
                    out,
                ),
            }
        }
        ActivityKind::Automated if out.ctx.frozen_until.is_some_and(|until| until > now) => {
            let until = out.ctx.frozen_until.expect("checked");
            out.push(EventKind::ActivityFrozen { phase, activity, attempt, until });
        }
        ActivityKind::Automated => {
            let mut with: serde_json::Map<String, Value> =
                def.with.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            for (k, v) in overrides {
                with.insert(k.clone(), v.clone());
            }
            match eval::interpolate(&Value::Object(with), &Scope::activity(state, p, a)) {
                Ok(Value::Object(resolved)) => {
                    let executor = def.executor.clone().unwrap_or_default();
                    out.push(EventKind::ActivityQueued {
                        phase: phase.clone(),
                        activity: activity.clone(),
                        attempt,
                        job_id: command::job_id(&state.id, &phase, &activity, attempt),
                        executor,
                        inputs: resolved.into_iter().collect(),
                    });
                }
                Ok(_) => unreachable_expression(state, p, a, "`with` did not evaluate to a mapping", out),
                Err(message) => unreachable_expression(
                    state,
                    p,
                    a,
                    &format!("expression_error in `with` of {phase}/{activity}: {message}"),
                    out,
                ),
            }
        }
        ActivityKind::Approval | ActivityKind::Manual => {
            let deadline = def.deadline.as_ref().map(|d| now + secs(d.as_secs()));
            let remind_at = def.remind_every.as_ref().filter(|r| r.as_secs() > 0).map(|r| now + secs(r.as_secs()));
            out.push(EventKind::ActivityWaiting { phase, activity, attempt, deadline, remind_at });
        }
        ActivityKind::Wait => {
            let due = match (&def.duration, &def.until) {
                (Some(d), _) => Ok(now + secs(d.as_secs())),
                (None, Some(until)) => wait_until(until, state, p, a),
                (None, None) => Ok(now),
            };
            match due {
                Ok(due) if due <= now => {
                    out.push(EventKind::ActivityStarted {
                        phase: phase.clone(),
                        activity: activity.clone(),
                        due: None,
                    });
                    out.push(EventKind::ActivitySucceeded { phase, activity, outputs: IndexMap::new() });
                }
                Ok(due) => out.push(EventKind::ActivityStarted { phase, activity, due: Some(due) }),
                Err(message) => unreachable_expression(state, p, a, &message, out),
            }
        }
    }
}

fn wait_until(until: &str, state: &ReleaseState, p: usize, a: usize) -> std::result::Result<Timestamp, String> {
    let text = match eval::interpolate(&Value::String(until.to_string()), &Scope::activity(state, p, a))? {
        Value::String(s) => s,
        other => return Err(format!("`until` must give an RFC 3339 time, got {other}")),
    };
    chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("`until` gave `{text}`, which is not an RFC 3339 time ({e})"))
}

/// An expression failed at run time: the activity fails with `expression_error` (no automatic retry).
fn unreachable_expression(state: &ReleaseState, p: usize, a: usize, message: &str, out: &mut Out<'_>) {
    let message = if message.starts_with("expression_error") {
        message.to_string()
    } else {
        format!("expression_error: {message}")
    };
    fail_activity(state, p, a, message, false, out);
}

/// Records a failed attempt and what the failure policy decides.
fn fail_activity(state: &ReleaseState, p: usize, a: usize, message: String, retryable: bool, out: &mut Out<'_>) {
    let def = state.plan().activity_def(p, a);
    let act = &state.phases[p].activities[a];
    let now = out.ctx.now;
    let after = after_failure(def, act.attempt, retryable, now);
    let (phase, activity) = (phase_id(state, p), act_id(state, p, a));
    out.push(EventKind::ActivityFailed { phase, activity, attempt: act.attempt, message, after: after.clone() });
    match after {
        AfterFailure::Retry { at } if at <= now => {
            let overrides = act.input_overrides.clone();
            start_activity(state, p, a, act.attempt + 1, &overrides, out);
        }
        AfterFailure::Fail => halt_if_critical(state, p, false, out),
        AfterFailure::Rollback => halt_if_critical(state, p, true, out),
        _ => {}
    }
}

/// The failure policy: automatic retries first (automated and subprocess, retryable failures), then
/// `on_failure`.
fn after_failure(def: &crate::model::Activity, attempt: u32, retryable: bool, now: Timestamp) -> AfterFailure {
    if retryable && matches!(def.kind, ActivityKind::Automated | ActivityKind::Subprocess) {
        if let Some(retry) = &def.retry {
            if attempt + 1 < retry.max_attempts {
                let base = retry.backoff.as_ref().map(|b| b.as_secs() as f64).unwrap_or(0.0);
                let factor = retry.factor.unwrap_or(1.0).powi(attempt as i32);
                let wait = (base * factor).min(365.0 * 86_400.0) as u64;
                return AfterFailure::Retry { at: now + secs(wait) };
            }
        }
    }
    match def.failure_policy() {
        FailurePolicy::Hold => AfterFailure::Hold,
        FailurePolicy::Fail => AfterFailure::Fail,
        FailurePolicy::Ignore => AfterFailure::Ignore,
        FailurePolicy::Rollback => AfterFailure::Rollback,
    }
}

/// A final failure in a critical phase (or any `rollback` failure) stops new work.
fn halt_if_critical(state: &ReleaseState, p: usize, rollback: bool, out: &mut Out<'_>) {
    let plan = state.plan();
    let in_rollback_phase = plan.phases[p].rollback;
    let critical = plan.phase_def(p).is_critical();
    if in_rollback_phase || state.halted || out.events.iter().any(|e| matches!(e.kind, EventKind::Halted { .. })) {
        return;
    }
    if rollback || critical {
        out.push(EventKind::Halted {
            phase: phase_id(state, p),
            rollback: rollback && !plan.process.rollback.is_empty(),
        });
    }
}

// ----- approvals and manual values -----

fn decide_approval(state: &ReleaseState, p: usize, a: usize, approve: bool, out: &mut Out<'_>) -> Result<()> {
    let def = state.plan().activity_def(p, a);
    let act = &state.phases[p].activities[a];
    let actor = out.ctx.actor;
    let covers = approvals::matching_entries(def, act.escalated, actor);
    let command = if approve { "approve" } else { "reject" };
    let (phase, activity) = (phase_id(state, p), act_id(state, p, a));
    if covers.is_empty() {
        return Err(Error::PermissionDenied {
            actor: actor.id.clone(),
            command: format!("{command} {phase}/{activity}"),
            missing: format!("being listed as an approver ({})", approvals::describe(def, act.escalated)),
        });
    }
    if def.forbid_self_approval == Some(true) && state.started_by.as_deref() == Some(actor.id.as_str()) {
        return Err(Error::PermissionDenied {
            actor: actor.id.clone(),
            command: format!("{command} {phase}/{activity}"),
            missing: "someone other than the person who started the release (forbid_self_approval)".into(),
        });
    }
    if act.approvals.iter().any(|r| r.approver == actor.id) {
        return Err(Error::Conflict {
            message: format!("{} has already decided on {phase}/{activity}; an approver counts once", actor.id),
        });
    }
    out.push(EventKind::ApprovalRecorded {
        phase: phase.clone(),
        activity: activity.clone(),
        approver: actor.id.clone(),
        approved: approve,
        covers: covers.clone(),
    });
    if !approve {
        let why = out.ctx.comment.map(|c| format!(": {c}")).unwrap_or_default();
        fail_activity(state, p, a, format!("rejected by {}{why}", actor.id), false, out);
        return Ok(());
    }
    let mut ids: Vec<Value> = Vec::new();
    let mut covered: Vec<Vec<usize>> = Vec::new();
    for r in act.approvals.iter().filter(|r| r.approved) {
        ids.push(Value::from(r.approver.clone()));
        covered.push(r.covers.clone());
    }
    ids.push(Value::from(actor.id.clone()));
    covered.push(covers);
    if approvals::satisfied(def, &covered) {
        let mut outputs = IndexMap::new();
        outputs.insert("approvers".to_string(), Value::Array(ids));
        out.push(EventKind::ActivitySucceeded { phase, activity, outputs });
    }
    Ok(())
}

fn check_manual_values(
    plan: &Plan,
    p: usize,
    a: usize,
    values: &IndexMap<String, Value>,
) -> Result<IndexMap<String, Value>> {
    let def = plan.activity_def(p, a);
    let mut problems = Vec::new();
    for (name, _) in values {
        if !def.fields.iter().any(|f| &f.name == name) {
            let known: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
            problems.push(Problem::new(
                crate::validate::path::field("values", name),
                "unknown_field",
                format!(
                    "activity `{}` has no field `{name}`; its fields: {}",
                    def.id,
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                ),
            ));
        }
    }
    let mut outputs = IndexMap::new();
    for f in &def.fields {
        let at = crate::validate::path::field("values", &f.name);
        match values.get(&f.name) {
            None | Some(Value::Null) if f.required == Some(true) => problems.push(Problem::new(
                at,
                "missing_input",
                format!("field `{}` ({}) is required", f.name, f.ty.as_str()),
            )),
            None | Some(Value::Null) => {}
            Some(v) => {
                let mut as_input = crate::model::InputDef::of(f.ty);
                as_input.allowed = f.allowed.clone();
                as_input.pattern = f.pattern.clone();
                crate::validate::check_input_value(&as_input, v, &at, &mut problems);
                outputs.insert(f.name.clone(), v.clone());
            }
        }
    }
    Error::invalid_input_or(problems, outputs)
}

// ----- timers -----

fn fire_timer(state: &ReleaseState, timer: &TimerKey, out: &mut Out<'_>) -> Result<()> {
    if !state.timers.contains_key(timer) {
        return Err(Error::Conflict {
            message: format!("timer {timer:?} of release {} already fired or was cancelled", state.id),
        });
    }
    out.push(EventKind::TimerFired { timer: timer.clone() });
    let now = out.ctx.now;
    match timer {
        TimerKey::Activation => {
            if state.stage == Stage::Scheduled {
                // The clock cannot be refused: a variable that cannot be evaluated stays out, and
                // the expressions that use it fail their activity with `expression_error`.
                let variables = global_variables(state, now).unwrap_or_default();
                out.push(EventKind::Activated { early: false, forced: false, variables });
            }
        }
        TimerKey::PhaseNotBefore { .. } | TimerKey::ActivityNotBefore { .. } => {}
        TimerKey::Wait { phase, activity } => {
            let (p, a) = locate(state, phase, activity)?;
            if state.phases[p].activities[a].status == ActivityStatus::Running {
                out.push(EventKind::ActivitySucceeded {
                    phase: phase.clone(),
                    activity: activity.clone(),
                    outputs: IndexMap::new(),
                });
            }
        }
        TimerKey::Timeout { phase, activity, attempt } => {
            let (p, a) = locate(state, phase, activity)?;
            let act = &state.phases[p].activities[a];
            if act.attempt == *attempt && act.status.is_in_flight() {
                let limit = state.plan().activity_def(p, a).timeout.as_ref().map(|t| t.to_string()).unwrap_or_default();
                fail_activity(state, p, a, format!("timed out after {limit}"), true, out);
            }
        }
        TimerKey::Retry { phase, activity, attempt } => {
            let (p, a) = locate(state, phase, activity)?;
            let act = &state.phases[p].activities[a];
            if act.status == ActivityStatus::Queued {
                if state.halted && !state.plan().phases[p].rollback {
                    out.push(EventKind::ActivitySkipped {
                        phase: phase.clone(),
                        activity: activity.clone(),
                        reason: SkipReason::ReleaseFailed,
                    });
                } else {
                    let overrides = act.input_overrides.clone();
                    start_activity(state, p, a, *attempt, &overrides, out);
                }
            }
        }
        TimerKey::FreezeEnd { phase, activity } => {
            let (p, a) = locate(state, phase, activity)?;
            let act = &state.phases[p].activities[a];
            if act.status == ActivityStatus::Queued && act.job_id.is_none() {
                if state.halted && !state.plan().phases[p].rollback {
                    out.push(EventKind::ActivitySkipped {
                        phase: phase.clone(),
                        activity: activity.clone(),
                        reason: SkipReason::ReleaseFailed,
                    });
                } else {
                    let overrides = act.input_overrides.clone();
                    start_activity(state, p, a, act.attempt, &overrides, out);
                }
            }
        }
        TimerKey::Deadline { phase, activity } => {
            let (p, a) = locate(state, phase, activity)?;
            if state.phases[p].activities[a].status == ActivityStatus::WaitingForInput {
                match state.plan().activity_def(p, a).on_deadline {
                    Some(DeadlineAction::Escalate) => {
                        out.push(EventKind::ApprovalEscalated { phase: phase.clone(), activity: activity.clone() })
                    }
                    _ => fail_activity(state, p, a, "the deadline passed before enough approvals".into(), false, out),
                }
            }
        }
        TimerKey::Reminder { phase, activity } => {
            let (p, a) = locate(state, phase, activity)?;
            if state.phases[p].activities[a].status == ActivityStatus::WaitingForInput {
                let every = state.plan().activity_def(p, a).remind_every.as_ref().map(|r| r.as_secs()).unwrap_or(0);
                let next = (every > 0).then(|| now + secs(every));
                out.push(EventKind::ApprovalReminded { phase: phase.clone(), activity: activity.clone(), next });
            }
        }
    }
    Ok(())
}

// ----- advancing -----

/// Starts what is ready, closes finished phases and ends the release when everything is done.
fn advance(state: &ReleaseState, out: &mut Out<'_>) {
    if state.stage != Stage::Active {
        return;
    }
    let plan = state.plan().clone();
    let now = out.ctx.now;
    for &p in &state.closing {
        let ph = &state.phases[p];
        let c = &ph.counts;
        let status = if c[ActivityStatus::Failed.index()] > 0 {
            PhaseStatus::Failed
        } else if c[ActivityStatus::Aborted.index()] > 0 {
            PhaseStatus::Aborted
        } else if ph.activities.iter().any(|a| a.skip_reason == Some(SkipReason::ReleaseFailed)) {
            PhaseStatus::Skipped
        } else {
            PhaseStatus::Success
        };
        // Phase outputs are evaluated once, when the phase ends; one that cannot be evaluated
        // fails a phase that would otherwise succeed (`expression_error`, recorded as the comment).
        let (outputs, errors) = phase_outputs(state, p);
        let status = if errors.is_empty() { status } else { PhaseStatus::Failed };
        out.push(EventKind::PhaseEnded { phase: plan.phases[p].id.clone(), status, outputs });
        if !errors.is_empty() {
            out.events.last_mut().expect("just pushed").comment = Some(format!(
                "expression_error in the outputs of phase `{}`: {}",
                plan.phases[p].id,
                errors.join("; ")
            ));
        }
        if status == PhaseStatus::Failed {
            halt_if_critical(state, p, false, out);
        }
    }
    let halted = state.halted || out.events.iter().any(|e| matches!(e.kind, EventKind::Halted { .. }));
    for &(p, a) in &state.ready {
        let in_rollback = plan.phases[p].rollback;
        let stopped = halted && !(in_rollback && state.rolling_back);
        match a {
            None => {
                let ph = &state.phases[p];
                if ph.status.is_terminal() || ph.started {
                    continue;
                }
                let phase = plan.phases[p].id.clone();
                let def = plan.phase_def(p);
                if ph.blocked {
                    out.push(EventKind::PhaseSkipped { phase, reason: SkipReason::UpstreamFailed });
                } else if stopped {
                    out.push(EventKind::PhaseSkipped { phase, reason: SkipReason::ReleaseFailed });
                } else if state.paused {
                    continue;
                } else {
                    match def.condition.as_deref().map(|c| eval::eval_condition(c, &Scope::phase(state, p))) {
                        Some(Ok(false)) => out.push(EventKind::PhaseSkipped { phase, reason: SkipReason::Condition }),
                        Some(Err(message)) => {
                            out.events.push(Event {
                                seq: out.next_seq,
                                at: now,
                                actor: out.ctx.actor.id.clone(),
                                kind: EventKind::PhaseEnded {
                                    phase,
                                    status: PhaseStatus::Failed,
                                    outputs: IndexMap::new(),
                                },
                                comment: Some(format!(
                                    "expression_error in the `if` of phase `{}`: {message}",
                                    plan.phases[p].id
                                )),
                            });
                            out.next_seq += 1;
                            halt_if_critical(state, p, false, out);
                        }
                        _ => {
                            let start = release_start(state);
                            let due = def.not_before.as_ref().map(|d| start + secs(d.as_secs()));
                            match due {
                                Some(due) if due > now => {
                                    if ph.status != PhaseStatus::Scheduled || ph.not_before != Some(due) {
                                        out.push(EventKind::PhaseScheduled { phase, at: due });
                                    }
                                }
                                _ => match phase_variables(state, p) {
                                    Ok(variables) => out.push(EventKind::PhaseStarted { phase, variables }),
                                    Err(message) => {
                                        out.push(EventKind::PhaseStarted {
                                            phase: phase.clone(),
                                            variables: IndexMap::new(),
                                        });
                                        out.events.last_mut().expect("just pushed").comment = Some(format!(
                                            "expression_error in the variables of phase `{phase}`: {message}"
                                        ));
                                    }
                                },
                            }
                        }
                    }
                }
            }
            Some(a) => {
                let act = &state.phases[p].activities[a];
                if act.status != ActivityStatus::Pending || !state.phases[p].started {
                    continue;
                }
                let (phase, activity) = (plan.phases[p].id.clone(), plan.phases[p].activities[a].id.clone());
                let def = plan.activity_def(p, a);
                if act.blocked {
                    out.push(EventKind::ActivitySkipped { phase, activity, reason: SkipReason::UpstreamFailed });
                } else if stopped {
                    out.push(EventKind::ActivitySkipped { phase, activity, reason: SkipReason::ReleaseFailed });
                } else if state.paused {
                    continue;
                } else {
                    match def.condition.as_deref().map(|c| eval::eval_condition(c, &Scope::activity(state, p, a))) {
                        Some(Ok(false)) => {
                            out.push(EventKind::ActivitySkipped { phase, activity, reason: SkipReason::Condition })
                        }
                        Some(Err(message)) => unreachable_expression(
                            state,
                            p,
                            a,
                            &format!("expression_error in `if` of {phase}/{activity}: {message}"),
                            out,
                        ),
                        _ => {
                            let due = def.not_before.as_ref().map(|d| release_start(state) + secs(d.as_secs()));
                            let key = TimerKey::ActivityNotBefore { phase: phase.clone(), activity: activity.clone() };
                            match due {
                                Some(due) if due > now => {
                                    if !state.timers.contains_key(&key) {
                                        out.push(EventKind::ActivityScheduled { phase, activity, at: due });
                                    }
                                }
                                _ => start_activity(state, p, a, act.attempt, &act.input_overrides.clone(), out),
                            }
                        }
                    }
                }
            }
        }
    }
    if !out.events.is_empty() {
        return;
    }
    finish(state, out);
}

/// With nothing left to start: wind a halted release down, run its rollback, or end it.
fn finish(state: &ReleaseState, out: &mut Out<'_>) {
    let plan = state.plan().clone();
    let in_flight = state.count(ActivityStatus::Queued) + state.count(ActivityStatus::Running);
    if state.halted {
        if in_flight > 0 {
            return;
        }
        let regular = 0..plan.regular;
        let phases: Vec<usize> =
            if state.rolling_back { (plan.regular..plan.phases.len()).collect() } else { regular.collect() };
        if !state.rolling_back {
            // Stop what is left: people's pending decisions and work that never started.
            for &p in &phases {
                let ph = &state.phases[p];
                if ph.status.is_terminal() {
                    continue;
                }
                if !ph.started {
                    out.push(EventKind::PhaseSkipped { phase: ph.id.clone(), reason: SkipReason::ReleaseFailed });
                    continue;
                }
                for act in ph.activities.iter().filter(|a| !a.status.is_terminal()) {
                    out.push(EventKind::ActivitySkipped {
                        phase: ph.id.clone(),
                        activity: act.id.clone(),
                        reason: SkipReason::ReleaseFailed,
                    });
                }
            }
            if !out.events.is_empty() {
                return;
            }
            if state.rollback_requested {
                out.push(EventKind::RollbackStarted);
                return;
            }
            out.push(EventKind::Ended { status: ReleaseStatus::Failed });
            return;
        }
        let rollback_open = phases.iter().any(|&p| !state.phases[p].status.is_terminal());
        if !rollback_open {
            out.push(EventKind::Ended { status: ReleaseStatus::Failed });
        }
        return;
    }
    let terminal: u32 =
        PhaseStatus::ALL.iter().filter(|s| s.is_terminal()).map(|s| state.phase_counts[s.index()]).sum();
    if terminal as usize >= plan.regular && (0..plan.regular).all(|p| state.phases[p].status.is_terminal()) {
        let status = if state.critical_failures > 0 {
            ReleaseStatus::Failed
        } else if state.noncritical_failures > 0 || state.count(ActivityStatus::Ignored) > 0 {
            ReleaseStatus::PartialSuccess
        } else {
            ReleaseStatus::Success
        };
        out.push(EventKind::Ended { status });
    }
}

/// The global variables, evaluated in definition order (each may use the ones before it).
fn global_variables(state: &ReleaseState, _now: Timestamp) -> std::result::Result<IndexMap<String, Value>, String> {
    eval::variables(&Scope::release(state)).map(|m| m.into_iter().collect())
}

/// The variables a phase adds when it starts.
fn phase_variables(state: &ReleaseState, p: usize) -> std::result::Result<IndexMap<String, Value>, String> {
    let def = state.plan().phase_def(p);
    if def.variables.is_empty() {
        return Ok(IndexMap::new());
    }
    let all = eval::variables(&Scope::phase(state, p))?;
    Ok(all.into_iter().filter(|(k, _)| def.variables.contains_key(k)).collect())
}

/// The id of the child release a subprocess attempt runs: derived (UUID v5) from the parent, the
/// activity and the attempt, so deciding is deterministic and a retried attempt gets a new child.
pub fn child_release_id(parent: &str, phase: &str, activity: &str, attempt: u32) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("trainyard:{parent}/{phase}/{activity}/{attempt}").as_bytes(),
    )
    .to_string()
}

/// The start the release's offsets (`not_before`) count from: the scheduled start, else activation.
fn release_start(state: &ReleaseState) -> Timestamp {
    state.schedule.as_ref().map(|s| s.start).or(state.started_at).unwrap_or_default()
}

/// The phase's `outputs:` evaluated over its activities' outputs, and the errors of those that
/// could not be evaluated (their value is recorded as `null`).
fn phase_outputs(state: &ReleaseState, p: usize) -> (IndexMap<String, Value>, Vec<String>) {
    let def = state.plan().phase_def(p);
    let scope = Scope::phase(state, p);
    let mut errors = Vec::new();
    let outputs = def
        .outputs
        .iter()
        .map(|(name, expr)| {
            let value = eval::interpolate(expr, &scope).unwrap_or_else(|e| {
                errors.push(format!("`{name}`: {e}"));
                Value::Null
            });
            (name.clone(), value)
        })
        .collect();
    (outputs, errors)
}

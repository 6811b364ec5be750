//! Decisions about activities: starting work (jobs, waits, people, child releases), failures and
//! their policies, job outcomes, manual values, and people's decisions about on_hold activities.

use super::{Out, activity_ref, activity_target, locate, secs};
use crate::expr::eval::{self, Scope};
use crate::model::{ActivityKind, Duration, FailurePolicy, Until, WaitDuration};
use crate::release::{
    ActivityRef, ActivityStatus, AfterFailure, Command, Decision, EventKind, Plan, ReleaseState, ReleaseStatus,
    SkipReason, parse_job_id,
};
use crate::{Error, Problem, Result, Timestamp, limits};
use indexmap::IndexMap;
use serde_json::Value;

pub(super) fn decide(state: &ReleaseState, cmd: &Command, out: &mut Out<'_>) -> Result<()> {
    match cmd {
        Command::CompleteManual { target, values } => {
            let (p, a) = activity_target(state, cmd, target)?;
            let outputs = check_manual_values(state.plan(), p, a, values)?;
            out.push(EventKind::ActivitySucceeded { target: target.clone(), outputs });
        }
        Command::Retry { target, inputs } => {
            let (p, a) = activity_target(state, cmd, target)?;
            if let Some(i) = inputs {
                check_retry_inputs(state.plan(), p, a, i)?;
            }
            out.push(EventKind::ActivityDecided {
                target: target.clone(),
                decision: Decision::Retry { inputs: inputs.clone() },
            });
            let mut overrides = state.phases[p].activities[a].input_overrides.clone();
            if let Some(i) = inputs {
                overrides.extend(i.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            start_activity(state, p, a, state.phases[p].activities[a].attempt + 1, &overrides, out);
        }
        Command::Ignore { target, outputs } => {
            activity_target(state, cmd, target)?;
            out.push(EventKind::ActivityDecided {
                target: target.clone(),
                decision: Decision::Ignore { outputs: outputs.clone() },
            });
        }
        Command::Fail { target } => {
            let (p, _) = activity_target(state, cmd, target)?;
            out.push(EventKind::ActivityDecided { target: target.clone(), decision: Decision::Fail });
            halt_if_critical(state, p, false, out);
        }
        Command::Skip { target } => {
            let (p, a) = activity_target(state, cmd, target)?;
            let waiting = state.phases[p].activities[a].status == ActivityStatus::Running;
            if waiting && out.ctx.comment.is_none_or(|c| c.trim().is_empty()) {
                return Err(Error::InvalidInput {
                    problems: vec![Problem::new(
                        "reason",
                        crate::validate::codes::MISSING_FIELD,
                        format!("skipping the waiting gate {target} needs a reason (it is recorded with the skip)"),
                    )],
                });
            }
            out.push(EventKind::ActivitySkipped { target: target.clone(), reason: SkipReason::Manual });
        }
        Command::StartJob { job_id } => {
            let (p, a) = job_target(state, job_id, &[ActivityStatus::Queued])?;
            let timeout = state.plan().activity_def(p, a).timeout.as_ref().map(|t| out.now() + secs(t.as_secs()));
            out.push(EventKind::ActivityStarted { target: activity_ref(state, p, a), due: timeout });
        }
        Command::SucceedJob { job_id, outputs } => {
            let (p, a) = job_target(state, job_id, &[ActivityStatus::Queued, ActivityStatus::Running])?;
            succeed_with_outputs(state, p, a, outputs, out);
        }
        Command::FailJob { job_id, message, retryable, detail } => {
            let (p, a) = job_target(state, job_id, &[ActivityStatus::Queued, ActivityStatus::Running])?;
            fail_activity_with(state, p, a, limits::cut_message(message.clone()), *retryable, detail.clone(), out);
        }
        Command::ChildEnded { target, child_id, status, outputs, message } => {
            let (p, a) = locate(state, target)?;
            let act = &state.phases[p].activities[a];
            if act.child_id.as_deref() != Some(child_id.as_str()) || act.status != ActivityStatus::Running {
                return Err(Error::Conflict {
                    message: format!(
                        "child release {child_id} is not the running attempt of {target} (it is {})",
                        act.status
                    ),
                });
            }
            match status {
                ReleaseStatus::Success | ReleaseStatus::PartialSuccess => {
                    succeed_with_outputs(state, p, a, outputs, out)
                }
                other => {
                    let why = message.clone().unwrap_or_else(|| format!("child release {child_id} ended {other}"));
                    fail_activity(state, p, a, limits::cut_message(why), true, out)
                }
            }
        }
        other => unreachable!("not an activity command: {}", other.name()),
    }
    Ok(())
}

/// An executor's (or a child release's) outputs become the activity's, unless they pass the bounds
/// of [`crate::limits`]: then the attempt fails, without a retry (the same outputs would come back).
fn succeed_with_outputs(
    state: &ReleaseState,
    p: usize,
    a: usize,
    outputs: &IndexMap<String, Value>,
    out: &mut Out<'_>,
) {
    let mut problems = Vec::new();
    limits::check_map("outputs", outputs, &mut problems);
    match problems.first() {
        None => out.push(EventKind::ActivitySucceeded { target: activity_ref(state, p, a), outputs: outputs.clone() }),
        Some(problem) => {
            let message = format!("the outputs were refused: {}: {}", problem.path, problem.message);
            fail_activity(state, p, a, message, false, out)
        }
    }
}

/// The activity a job id names, if the job is its current attempt and in one of `statuses`.
fn job_target(state: &ReleaseState, job_id: &str, statuses: &[ActivityStatus]) -> Result<(usize, usize)> {
    let (_, phase, activity, _) = parse_job_id(job_id).ok_or_else(|| Error::NotFound {
        kind: "job".into(),
        id: job_id.to_string(),
        hint: Some("job ids look like <release>/<phase>/<activity>/<attempt>".into()),
    })?;
    let (p, a) = locate(state, &ActivityRef::new(phase, activity))?;
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

/// Retry inputs replace top-level `with` entries of the activity; a name its `with` does not
/// have is refused (every unknown name listed).
fn check_retry_inputs(plan: &Plan, p: usize, a: usize, inputs: &IndexMap<String, Value>) -> Result<()> {
    let def = plan.activity_def(p, a);
    let known: Vec<&str> = def.with.keys().map(String::as_str).collect();
    let problems = inputs
        .keys()
        .filter(|k| !def.with.contains_key(*k))
        .map(|k| {
            Problem::new(
                crate::validate::path::field("inputs", k),
                "unknown_input",
                format!(
                    "activity `{}` has no `with` value `{k}` to change; {}",
                    def.id,
                    if known.is_empty() {
                        "its `with` is empty".to_string()
                    } else {
                        format!("its `with` has: {}", known.join(", "))
                    }
                ),
            )
        })
        .collect();
    Error::invalid_input_or(problems, ())
}

/// The activity's `with` values with the retry overrides on top, rendered in its scope.
fn render_with(
    state: &ReleaseState,
    p: usize,
    a: usize,
    overrides: &IndexMap<String, Value>,
) -> std::result::Result<IndexMap<String, Value>, String> {
    let def = state.plan().activity_def(p, a);
    let mut with: serde_json::Map<String, Value> = def.with.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (k, v) in overrides {
        with.insert(k.clone(), v.clone());
    }
    let target = activity_ref(state, p, a);
    match eval::interpolate(&Value::Object(with), &Scope::activity(state, p, a)) {
        Ok(Value::Object(resolved)) => Ok(resolved.into_iter().collect()),
        Ok(_) => Err("`with` did not evaluate to a mapping".into()),
        Err(message) => Err(format!("expression_error in `with` of {target}: {message}")),
    }
}

/// Starts activity `(p, a)` at `attempt`: queues its job, opens it for people, or starts its wait.
pub(super) fn start_activity(
    state: &ReleaseState,
    p: usize,
    a: usize,
    attempt: u32,
    overrides: &IndexMap<String, Value>,
    out: &mut Out<'_>,
) {
    let def = state.plan().activity_def(p, a);
    let target = activity_ref(state, p, a);
    let now = out.now();
    match def.kind {
        ActivityKind::Automated if out.ctx.frozen_until.is_some_and(|until| until > now) => {
            let until = out.ctx.frozen_until.expect("checked");
            out.push(EventKind::ActivityFrozen { target, attempt, until });
        }
        ActivityKind::Subprocess | ActivityKind::Automated => match render_with(state, p, a, overrides) {
            Ok(inputs) if def.kind == ActivityKind::Subprocess => out.push(EventKind::SubprocessStarted {
                child_id: target.child_release_id(&state.id, attempt),
                target,
                attempt,
                process: def.process.clone().unwrap_or_default(),
                version: def.version,
                inputs,
                due: def.timeout.as_ref().map(|t| now + secs(t.as_secs())),
            }),
            Ok(inputs) => out.push(EventKind::ActivityQueued {
                job_id: target.job_id(&state.id, attempt),
                target,
                attempt,
                executor: def.executor.clone().unwrap_or_default(),
                inputs,
            }),
            Err(message) => unreachable_expression(state, p, a, &message, out),
        },
        ActivityKind::Approval | ActivityKind::Manual => {
            let deadline = def.deadline.as_ref().map(|d| now + secs(d.as_secs()));
            let remind_at = def.remind_every.as_ref().filter(|r| r.as_secs() > 0).map(|r| now + secs(r.as_secs()));
            out.push(EventKind::ActivityWaiting { target, attempt, deadline, remind_at });
        }
        ActivityKind::Gate => super::gates::open(state, p, a, attempt, out),
        ActivityKind::Wait => {
            let due = match (&def.duration, &def.until) {
                (Some(WaitDuration::Fixed(d)), _) => Ok(now + secs(d.as_secs())),
                (Some(WaitDuration::Expression(text)), _) => {
                    wait_for(text, state, p, a).map(|d| now + secs(d.as_secs()))
                }
                (None, Some(Until::Time(until))) => wait_until(until, state, p, a),
                (None, Some(Until::Statuses(_))) => Err("a wait's `until` must be a time".into()),
                (None, None) => Ok(now),
            };
            match due {
                Ok(due) if due <= now => {
                    out.push(EventKind::ActivityStarted { target: target.clone(), due: None });
                    out.push(EventKind::ActivitySucceeded { target, outputs: IndexMap::new() });
                }
                Ok(due) => out.push(EventKind::ActivityStarted { target, due: Some(due) }),
                Err(message) => unreachable_expression(state, p, a, &message, out),
            }
        }
    }
}

/// Evaluates a `wait` activity's `duration` expression ([`Duration::from_value`] says what it may give).
fn wait_for(text: &str, state: &ReleaseState, p: usize, a: usize) -> std::result::Result<Duration, String> {
    let value = eval::interpolate(&Value::String(text.to_string()), &Scope::activity(state, p, a))?;
    Duration::from_value(&value).map_err(|why| format!("`duration` gave {value}, which is not a duration: {why}"))
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
pub(super) fn unreachable_expression(state: &ReleaseState, p: usize, a: usize, message: &str, out: &mut Out<'_>) {
    let message = if message.starts_with("expression_error") {
        message.to_string()
    } else {
        format!("expression_error: {message}")
    };
    fail_activity(state, p, a, message, false, out);
}

/// Records a failed attempt and what the failure policy decides.
pub(super) fn fail_activity(
    state: &ReleaseState,
    p: usize,
    a: usize,
    message: String,
    retryable: bool,
    out: &mut Out<'_>,
) {
    fail_activity_with(state, p, a, message, retryable, None, out)
}

/// [`fail_activity`] with the structured facts of the failed run.
fn fail_activity_with(
    state: &ReleaseState,
    p: usize,
    a: usize,
    message: String,
    retryable: bool,
    detail: Option<crate::executor::FailureDetail>,
    out: &mut Out<'_>,
) {
    let def = state.plan().activity_def(p, a);
    let act = &state.phases[p].activities[a];
    let now = out.now();
    let after = after_failure(def, act.attempt, retryable, now);
    out.push(EventKind::ActivityFailed {
        target: activity_ref(state, p, a),
        attempt: act.attempt,
        message,
        after: after.clone(),
        detail,
    });
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
pub(super) fn halt_if_critical(state: &ReleaseState, p: usize, rollback: bool, out: &mut Out<'_>) {
    let plan = state.plan();
    if plan.phases[p].rollback || state.halted || out.halted {
        return;
    }
    if rollback || plan.phase_def(p).is_critical() {
        out.push(EventKind::Halted {
            phase: plan.phases[p].id.clone(),
            rollback: rollback && !plan.process.rollback.is_empty(),
        });
    }
}

fn check_manual_values(
    plan: &Plan,
    p: usize,
    a: usize,
    values: &IndexMap<String, Value>,
) -> Result<IndexMap<String, Value>> {
    let def = plan.activity_def(p, a);
    let mut problems = Vec::new();
    for name in values.keys() {
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

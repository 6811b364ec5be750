//! Advancing: close the phases whose activities all ended, decide on every ready node, and, with
//! nothing left to start, wind a halted release down, run its rollback, or end it.
//!
//! Phases and activities go through one path ([`readiness`]): a blocked node is skipped
//! (`upstream_failed`), a node of a halted release is skipped (`release_failed`) — except cleanup
//! and notification nodes (`run_when: always | on_failure`), which wait for every dependency to
//! end and run anyway (an `on_failure` one is skipped `no_failure` when the release has not
//! failed) and the activities of such a phase —, a paused release
//! starts nothing, a false `if` skips (`condition`), an `if` that cannot be evaluated fails the
//! node, a `not_before` in the future waits on a timer, and otherwise the node starts.

use super::activities::{halt_if_critical, start_activity, unreachable_expression};
use super::{Out, activity_ref, secs};
use crate::Timestamp;
use crate::expr::eval::{self, Scope};
use crate::model::RunWhen;
use crate::release::locks::{LockNeed, LockNode, LockWant, need_to_start};
use crate::release::state::Stage;
use crate::release::{ActivityStatus, EventKind, PhaseStatus, ReleaseState, ReleaseStatus, SkipReason, TimerKey};
use indexmap::IndexMap;
use serde_json::Value;

/// A ready node: a phase, or an activity of a started phase.
#[derive(Debug, Clone, Copy)]
enum Node {
    Phase(usize),
    Activity(usize, usize),
}

/// What to do with a ready node now.
enum Readiness {
    /// Nothing (not startable now, or paused).
    NotNow,
    /// Skip it.
    Skip(SkipReason),
    /// Its `if` could not be evaluated.
    ConditionFailed(String),
    /// Wait for its `not_before`.
    WaitUntil(Timestamp),
    /// Ask for the locks it needs ([`crate::release::locks`]).
    RequestLocks(Vec<LockWant>),
    /// Its locks cannot be named (a `${…}` that fails): it fails with this message.
    LocksInvalid(String),
    /// Start it.
    Start,
}

/// Starts what is ready, closes finished phases and ends the release when everything is done.
pub(super) fn advance(state: &ReleaseState, out: &mut Out<'_>) {
    // Locks nothing needs are let go first, in a round of their own (so nothing below starts on
    // a lock that is being let go); a release that is not running needs none.
    if super::locks::release_unneeded(state, out) || state.stage != Stage::Active {
        return;
    }
    // What succeeded activities delivered is recorded before anything else moves on.
    for &(p, a) in &state.recording {
        record_delivery(state, p, a, out);
    }
    for &p in &state.closing {
        close_phase(state, p, out);
    }
    // Nodes decided on in this round see the halt of a phase closed above, not one decided below.
    let halted = state.halted || out.halted;
    for &(p, a) in &state.ready {
        let node = match a {
            None => Node::Phase(p),
            Some(a) => Node::Activity(p, a),
        };
        let verdict = readiness(state, node, halted, out.now());
        act_on(state, node, verdict, out);
    }
    if out.events.is_empty() {
        finish(state, out);
    }
}

/// The `delivery_recorded` event of a succeeded activity with `records` (its evaluation error
/// instead of a delivery when they cannot be evaluated).
fn record_delivery(state: &ReleaseState, p: usize, a: usize, out: &mut Out<'_>) {
    let Some(result) = crate::release::ledger::evaluate(state, p, a) else { return };
    let target = crate::release::ledger::target_of(state, p, a);
    let attempt = state.phases[p].activities[a].attempt;
    let (delivery, error) = match result {
        Ok(d) => (Some(d), None),
        Err(message) => (None, Some(format!("expression_error: {message}"))),
    };
    out.push(EventKind::DeliveryRecorded { target, attempt, delivery, error });
}

/// A started phase whose activities all ended closes, with its outputs evaluated once now. One
/// that cannot be evaluated fails a phase that would otherwise succeed (`expression_error`,
/// recorded as the event's comment).
fn close_phase(state: &ReleaseState, p: usize, out: &mut Out<'_>) {
    let plan = state.plan();
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
    let (outputs, errors) = phase_outputs(state, p);
    let status = if errors.is_empty() { status } else { PhaseStatus::Failed };
    let comment = (!errors.is_empty())
        .then(|| format!("expression_error in the outputs of phase `{}`: {}", plan.phases[p].id, errors.join("; ")));
    out.push_with_comment(EventKind::PhaseEnded { phase: plan.phases[p].id.clone(), status, outputs }, comment);
    if status == PhaseStatus::Failed {
        halt_if_critical(state, p, false, out);
    }
}

/// The one decision rule for ready phases and activities.
fn readiness(state: &ReleaseState, node: Node, halted: bool, now: Timestamp) -> Readiness {
    let plan = state.plan();
    let (p, blocked, unfinished, run_when, condition, not_before) = match node {
        Node::Phase(p) => {
            let ph = &state.phases[p];
            if ph.status.is_terminal() || ph.started {
                return Readiness::NotNow;
            }
            let def = plan.phase_def(p);
            let due = ph.rescheduled.or_else(|| offset_due(state, def.not_before.as_ref()));
            (p, ph.blocked, ph.unfinished_deps, def.run_when(), def.condition.as_deref(), due)
        }
        Node::Activity(p, a) => {
            let act = &state.phases[p].activities[a];
            if act.status != ActivityStatus::Pending || !state.phases[p].started {
                return Readiness::NotNow;
            }
            let def = plan.activity_def(p, a);
            let due = offset_due(state, def.not_before.as_ref());
            (p, act.blocked, act.unfinished_deps, def.run_when(), def.condition.as_deref(), due)
        }
    };
    if run_when.runs_after_failure() {
        // A cleanup or notification node waits for every dependency, whatever its outcome.
        if unfinished > 0 {
            return Readiness::NotNow;
        }
        if run_when == RunWhen::OnFailure && !halted {
            return Readiness::Skip(SkipReason::NoFailure);
        }
    } else {
        // The activities of a phase that runs after a failure run with it.
        let exempt = (plan.phases[p].rollback && state.rolling_back)
            || (matches!(node, Node::Activity(..)) && plan.phases[p].runs_after_failure);
        if blocked {
            return Readiness::Skip(SkipReason::UpstreamFailed);
        }
        if halted && !exempt {
            return Readiness::Skip(SkipReason::ReleaseFailed);
        }
    }
    if state.paused {
        return Readiness::NotNow;
    }
    if let Some(condition) = condition {
        let scope = match node {
            Node::Phase(p) => Scope::phase(state, p),
            Node::Activity(p, a) => Scope::activity(state, p, a),
        };
        match eval::eval_condition(condition, &scope) {
            Ok(false) => return Readiness::Skip(SkipReason::Condition),
            Err(message) => return Readiness::ConditionFailed(message),
            Ok(true) => {}
        }
    }
    if let Some(due) = not_before.filter(|due| *due > now) {
        return Readiness::WaitUntil(due);
    }
    let activity = match node {
        Node::Phase(_) => None,
        Node::Activity(_, a) => Some(a),
    };
    match need_to_start(state, p, activity) {
        LockNeed::Ready => Readiness::Start,
        LockNeed::Waiting => Readiness::NotNow,
        LockNeed::Request(wants) => Readiness::RequestLocks(wants),
        LockNeed::Invalid(message) => Readiness::LocksInvalid(message),
    }
}

/// Records what [`readiness`] decided for `node`.
fn act_on(state: &ReleaseState, node: Node, verdict: Readiness, out: &mut Out<'_>) {
    let plan = state.plan();
    match (node, verdict) {
        (_, Readiness::NotNow) => {}
        (Node::Phase(p), Readiness::Skip(reason)) => {
            out.push(EventKind::PhaseSkipped { phase: plan.phases[p].id.clone(), reason })
        }
        (Node::Activity(p, a), Readiness::Skip(reason)) => {
            out.push(EventKind::ActivitySkipped { target: activity_ref(state, p, a), reason })
        }
        (Node::Phase(p), Readiness::ConditionFailed(message)) => {
            let phase = plan.phases[p].id.clone();
            let comment = format!("expression_error in the `if` of phase `{phase}`: {message}");
            let ended = EventKind::PhaseEnded { phase, status: PhaseStatus::Failed, outputs: IndexMap::new() };
            out.push_with_comment(ended, Some(comment));
            halt_if_critical(state, p, false, out);
        }
        (Node::Activity(p, a), Readiness::ConditionFailed(message)) => {
            let target = activity_ref(state, p, a);
            unreachable_expression(state, p, a, &format!("expression_error in `if` of {target}: {message}"), out)
        }
        (Node::Phase(p), Readiness::WaitUntil(due)) => {
            let ph = &state.phases[p];
            if ph.status != PhaseStatus::Scheduled || ph.not_before != Some(due) {
                out.push(EventKind::PhaseScheduled { phase: plan.phases[p].id.clone(), at: due });
            }
        }
        (Node::Activity(p, a), Readiness::WaitUntil(due)) => {
            let target = activity_ref(state, p, a);
            if !state.timers.contains_key(&TimerKey::ActivityNotBefore { target: target.clone() }) {
                out.push(EventKind::ActivityScheduled { target, at: due });
            }
        }
        (node, Readiness::RequestLocks(mut locks)) => {
            // Two activities of a phase that become ready in one round both lack the phase's
            // lock: the first asks for it, the second waits for that request.
            let asked: Vec<&LockWant> = out
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::LocksRequested { locks, .. } => Some(locks),
                    _ => None,
                })
                .flatten()
                .collect();
            locks.retain(|w| !asked.iter().any(|a| a.name == w.name && a.node == w.node));
            if locks.is_empty() {
                return;
            }
            let request = match node {
                Node::Phase(p) => LockNode::phase(&plan.phases[p].id),
                Node::Activity(p, a) => LockNode::activity(&plan.phases[p].id, &plan.phases[p].activities[a].id),
            };
            out.push(EventKind::LocksRequested { request, locks });
        }
        (Node::Phase(p), Readiness::LocksInvalid(message)) => {
            let phase = plan.phases[p].id.clone();
            let ended = EventKind::PhaseEnded { phase, status: PhaseStatus::Failed, outputs: IndexMap::new() };
            out.push_with_comment(ended, Some(format!("expression_error {message}")));
            halt_if_critical(state, p, false, out);
        }
        (Node::Activity(p, a), Readiness::LocksInvalid(message)) => {
            unreachable_expression(state, p, a, &format!("expression_error {message}"), out)
        }
        (Node::Phase(p), Readiness::Start) => {
            let phase = plan.phases[p].id.clone();
            let overdue_at = plan.phase_def(p).duration.as_ref().map(|d| out.now() + secs(d.as_secs()));
            match phase_variables(state, p) {
                Ok(variables) => out.push(EventKind::PhaseStarted { phase, variables, overdue_at }),
                Err(message) => {
                    let comment = format!("expression_error in the variables of phase `{phase}`: {message}");
                    let started = EventKind::PhaseStarted { phase, variables: IndexMap::new(), overdue_at };
                    out.push_with_comment(started, Some(comment));
                }
            }
        }
        (Node::Activity(p, a), Readiness::Start) => {
            let act = &state.phases[p].activities[a];
            start_activity(state, p, a, act.attempt, &act.input_overrides, out)
        }
    }
}

/// With nothing left to start: wind a halted release down, run its rollback, or end it.
fn finish(state: &ReleaseState, out: &mut Out<'_>) {
    let plan = state.plan();
    let in_flight = state.count(ActivityStatus::Queued) + state.count(ActivityStatus::Running);
    if state.halted {
        if in_flight > 0 {
            return;
        }
        if state.rolling_back {
            let rollback_open = (plan.regular..plan.phases.len()).any(|p| !state.phases[p].status.is_terminal());
            if !rollback_open {
                out.push(EventKind::Ended { status: ReleaseStatus::Failed });
            }
            return;
        }
        // Stop what is left: people's pending decisions and work that never started; cleanup and
        // notification nodes (`run_when: always | on_failure`) are left to run to their end.
        let mut open = false;
        for p in 0..plan.regular {
            let ph = &state.phases[p];
            if ph.status.is_terminal() {
                continue;
            }
            if plan.phases[p].runs_after_failure {
                open = true;
                continue;
            }
            if !ph.started {
                out.push(EventKind::PhaseSkipped { phase: ph.id.clone(), reason: SkipReason::ReleaseFailed });
                continue;
            }
            for (a, act) in ph.activities.iter().enumerate() {
                if act.status.is_terminal() {
                    continue;
                }
                if plan.phases[p].activities[a].runs_after_failure {
                    open = true;
                    continue;
                }
                out.push(EventKind::ActivitySkipped {
                    target: activity_ref(state, p, a),
                    reason: SkipReason::ReleaseFailed,
                });
            }
        }
        if open || !out.events.is_empty() {
            return;
        }
        let ended = if state.rollback_requested {
            EventKind::RollbackStarted
        } else {
            EventKind::Ended { status: ReleaseStatus::Failed }
        };
        out.push(ended);
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

/// The variables a phase adds when it starts.
fn phase_variables(state: &ReleaseState, p: usize) -> std::result::Result<IndexMap<String, Value>, String> {
    let def = state.plan().phase_def(p);
    if def.variables.is_empty() {
        return Ok(IndexMap::new());
    }
    let all = eval::variables(&Scope::phase(state, p))?;
    Ok(all.into_iter().filter(|(k, _)| def.variables.contains_key(k)).collect())
}

/// When a `not_before` offset is due (counted from the release's start).
fn offset_due(state: &ReleaseState, offset: Option<&crate::model::Duration>) -> Option<Timestamp> {
    offset.map(|d| release_start(state) + secs(d.as_secs()))
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

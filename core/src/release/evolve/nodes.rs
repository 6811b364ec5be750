//! Events about phases and activities: scheduled, started, queued, waiting, decided, ended. Phases
//! and activities share one mechanism for readiness: a counter of unfinished dependencies per node,
//! decremented when a dependency is done ([`release_dependents`]).

use super::super::gates::{GateOpen, GateWait};
use super::super::state::{ApprovalRecord, PhaseState};
use super::super::step::{ChildStart, EffectSink, current_job, parent_link};
use super::super::{
    ActivityRef, ActivityState, ActivityStatus, AfterFailure, Decision, Event, EventKind, PhaseStatus, ReleaseState,
    SkipReason, TimerKey,
};
use super::rollup::{refresh_phase, set_activity_status, set_phase_status, terminal_count};
use crate::Timestamp;
use crate::executor::Job;

pub(super) fn apply<S: EffectSink>(state: &mut ReleaseState, event: &Event, sink: &mut S) {
    match &event.kind {
        EventKind::PhaseScheduled { .. }
        | EventKind::PhaseStarted { .. }
        | EventKind::PhaseSkipped { .. }
        | EventKind::PhaseEnded { .. } => apply_phase_event(state, event),
        EventKind::ActivityScheduled { .. }
        | EventKind::ActivityQueued { .. }
        | EventKind::ActivityFrozen { .. }
        | EventKind::SubprocessStarted { .. }
        | EventKind::ActivityStarted { .. }
        | EventKind::ActivityWaiting { .. }
        | EventKind::GateOpened { .. }
        | EventKind::GateResolved { .. }
        | EventKind::GateObserved { .. } => apply_activity_start(state, event, sink),
        EventKind::ApprovalRecorded { .. }
        | EventKind::ApprovalReminded { .. }
        | EventKind::ApprovalEscalated { .. } => apply_approval_event(state, event),
        EventKind::ActivitySucceeded { .. }
        | EventKind::DeliveryRecorded { .. }
        | EventKind::ActivityFailed { .. }
        | EventKind::ActivityDecided { .. }
        | EventKind::ActivitySkipped { .. } => apply_activity_end(state, event, sink),
        other => unreachable!("not a node event: {}", other.name()),
    }
}

/// Events about a phase as a whole.
fn apply_phase_event(state: &mut ReleaseState, event: &Event) {
    let at = event.at;
    match &event.kind {
        EventKind::PhaseScheduled { phase, at: when } => {
            let p = phase_ix(state, phase);
            state.ready.remove(&(p, None));
            state.phases[p].not_before = Some(*when);
            set_phase_status(state, p, PhaseStatus::Scheduled);
            state.timers.insert(TimerKey::PhaseNotBefore { phase: phase.clone() }, *when);
        }
        EventKind::PhaseStarted { phase, variables, overdue_at } => {
            let p = phase_ix(state, phase);
            state.phases[p].variables = variables.clone();
            state.ready.remove(&(p, None));
            state.timers.remove(&TimerKey::PhaseNotBefore { phase: phase.clone() });
            if let Some(due) = overdue_at {
                state.timers.insert(TimerKey::PhaseOverdue { phase: phase.clone() }, *due);
            }
            let ph = &mut state.phases[p];
            ph.started = true;
            ph.started_at = Some(at);
            ph.ended_at = None;
            for (a, act) in ph.activities.iter().enumerate() {
                if act.status == ActivityStatus::Pending && act.unfinished_deps == 0 {
                    state.ready.insert((p, Some(a)));
                }
            }
            refresh_phase(state, p);
            check_phase_complete(state, p);
        }
        EventKind::PhaseSkipped { phase, reason } => {
            let p = phase_ix(state, phase);
            state.ready.remove(&(p, None));
            state.timers.remove(&TimerKey::PhaseNotBefore { phase: phase.clone() });
            state.timers.remove(&TimerKey::PhaseOverdue { phase: phase.clone() });
            for a in 0..state.phases[p].activities.len() {
                if !state.phases[p].activities[a].status.is_terminal() {
                    state.phases[p].activities[a].skip_reason = Some(*reason);
                    set_activity_status(state, p, a, ActivityStatus::Skipped, at);
                }
            }
            state.phases[p].skip_reason = Some(*reason);
            state.phases[p].started = false;
            state.phases[p].ended_at = Some(at);
            set_phase_status(state, p, PhaseStatus::Skipped);
            state.closing.remove(&p);
            phase_finished(state, p, reason.satisfies_dependents());
        }
        EventKind::PhaseEnded { phase, status, outputs } => {
            let p = phase_ix(state, phase);
            state.closing.remove(&p);
            state.timers.remove(&TimerKey::PhaseOverdue { phase: phase.clone() });
            let critical = state.plan().phase_def(p).is_critical();
            let ph = &mut state.phases[p];
            ph.outputs = outputs.clone();
            ph.started = false;
            ph.ended_at = Some(at);
            set_phase_status(state, p, *status);
            if *status == PhaseStatus::Failed {
                if critical {
                    state.critical_failures += 1;
                } else {
                    state.noncritical_failures += 1;
                }
            }
            phase_finished(state, p, phase_satisfies(state, p));
        }
        other => unreachable!("not a node event: {}", other.name()),
    }
}

/// An activity is scheduled, queued, frozen, started or begins to wait.
fn apply_activity_start<S: EffectSink>(state: &mut ReleaseState, event: &Event, sink: &mut S) {
    let at = event.at;
    match &event.kind {
        EventKind::ActivityScheduled { target, at: when } => {
            let (p, a) = activity_ix(state, target);
            state.ready.remove(&(p, Some(a)));
            state.timers.insert(TimerKey::ActivityNotBefore { target: target.clone() }, *when);
        }
        EventKind::ActivityQueued { target, attempt, job_id, executor, inputs } => {
            let (p, a) = leave_ready(state, target, Some(*attempt));
            state.timers.remove(&TimerKey::FreezeEnd { target: target.clone() });
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.job_id = Some(job_id.clone());
            act.job_inputs = inputs.clone();
            act.started_at.get_or_insert(at);
            set_activity_status(state, p, a, ActivityStatus::Queued, at);
            sink.job_queued(Job {
                id: job_id.clone(),
                release_id: state.id.clone(),
                phase_id: target.phase.clone(),
                activity_id: target.activity.clone(),
                attempt: *attempt,
                executor: executor.clone(),
                inputs: inputs.clone(),
                deadline: None,
                secrets: Vec::new(),
            });
        }
        EventKind::ActivityFrozen { target, attempt, until } => {
            let (p, a) = leave_ready(state, target, Some(*attempt));
            state.timers.insert(TimerKey::FreezeEnd { target: target.clone() }, *until);
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.job_id = None;
            act.started_at.get_or_insert(at);
            set_activity_status(state, p, a, ActivityStatus::Queued, at);
        }
        EventKind::SubprocessStarted { target, attempt, child_id, process, version, inputs, due } => {
            let (p, a) = leave_ready(state, target, Some(*attempt));
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.child_id = Some(child_id.clone());
            act.job_inputs = inputs.clone();
            act.started_at.get_or_insert(at);
            if let Some(due) = due {
                state.timers.insert(TimerKey::Timeout { target: target.clone(), attempt: *attempt }, *due);
            }
            set_activity_status(state, p, a, ActivityStatus::Running, at);
            let label = state.plan().activity_def(p, a).name.clone().unwrap_or_else(|| target.activity.clone());
            sink.child_started(ChildStart {
                parent: parent_link(state, target),
                child_id: child_id.clone(),
                process: process.clone(),
                version: *version,
                inputs: inputs.clone(),
                name: format!("{} › {label}", state.name),
                kind: state.kind,
                scope: state.scope.clone(),
                owners: state.owners.clone(),
                release_managers: state.release_managers.clone(),
                stakeholders: state.stakeholders.clone(),
            });
        }
        EventKind::ActivityStarted { target, due } => {
            let (p, a) = leave_ready(state, target, None);
            let is_wait = state.plan().activity_def(p, a).kind == crate::model::ActivityKind::Wait;
            let attempt = state.phases[p].activities[a].attempt;
            state.phases[p].activities[a].started_at.get_or_insert(at);
            if let Some(due) = due {
                let key = if is_wait {
                    TimerKey::Wait { target: target.clone() }
                } else {
                    TimerKey::Timeout { target: target.clone(), attempt }
                };
                state.timers.insert(key, *due);
            }
            set_activity_status(state, p, a, ActivityStatus::Running, at);
        }
        EventKind::ActivityWaiting { target, attempt, deadline, remind_at } => {
            let (p, a) = leave_ready(state, target, None);
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.started_at.get_or_insert(at);
            act.approvals.clear();
            act.escalated = false;
            if let Some(d) = deadline {
                state.timers.insert(TimerKey::Deadline { target: target.clone() }, *d);
            }
            if let Some(r) = remind_at {
                state.timers.insert(TimerKey::Reminder { target: target.clone() }, *r);
            }
            set_activity_status(state, p, a, ActivityStatus::WaitingForInput, at);
        }
        EventKind::GateOpened { target, attempt, targets, due } => {
            let (p, a) = leave_ready(state, target, Some(*attempt));
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.started_at.get_or_insert(at);
            if let Some(due) = due {
                state.timers.insert(TimerKey::Timeout { target: target.clone(), attempt: *attempt }, *due);
            }
            set_activity_status(state, p, a, ActivityStatus::Running, at);
            state.gates.retain(|g| g.target != *target);
            state.gates.push(GateWait {
                target: target.clone(),
                attempt: *attempt,
                selectors: targets.clone(),
                resolved: None,
            });
            sink.gate_opened(GateOpen { target: target.clone(), attempt: *attempt, selectors: targets.clone() });
        }
        EventKind::GateResolved { target, attempt, targets } => {
            if let Some(g) = state.gates.iter_mut().find(|g| g.target == *target && g.attempt == *attempt) {
                g.resolved = Some(targets.clone());
            }
        }
        EventKind::GateObserved { target, attempt, targets } => {
            let gate = state.gates.iter_mut().find(|g| g.target == *target && g.attempt == *attempt);
            if let Some(recorded) = gate.and_then(|g| g.resolved.as_mut()) {
                for seen in targets {
                    if let Some(r) = recorded.iter_mut().find(|r| r.same_target(seen)) {
                        r.status = seen.status.clone();
                    }
                }
            }
        }
        other => unreachable!("not a node event: {}", other.name()),
    }
}

/// Decisions, reminders and escalations of an approval.
fn apply_approval_event(state: &mut ReleaseState, event: &Event) {
    let at = event.at;
    match &event.kind {
        EventKind::ApprovalRecorded { target, approver, approved, covers } => {
            let (p, a) = activity_ix(state, target);
            state.phases[p].activities[a].approvals.push(ApprovalRecord {
                approver: approver.clone(),
                approved: *approved,
                at,
                comment: event.comment.clone(),
                covers: covers.clone(),
            });
        }
        EventKind::ApprovalReminded { target, next } => {
            let key = TimerKey::Reminder { target: target.clone() };
            match next {
                Some(n) => state.timers.insert(key, *n),
                None => {
                    state.timers.remove(&key);
                }
            };
        }
        EventKind::ApprovalEscalated { target } => {
            let (p, a) = activity_ix(state, target);
            state.phases[p].activities[a].escalated = true;
            state.timers.remove(&TimerKey::Deadline { target: target.clone() });
        }
        other => unreachable!("not a node event: {}", other.name()),
    }
}

/// An activity succeeds, records a delivery, fails, is decided or skipped.
fn apply_activity_end<S: EffectSink>(state: &mut ReleaseState, event: &Event, sink: &mut S) {
    let at = event.at;
    match &event.kind {
        EventKind::ActivitySucceeded { target, outputs } => {
            let (p, a) = activity_ix(state, target);
            end_live_job(state, p, a, sink);
            state.phases[p].activities[a].outputs = outputs.clone();
            state.phases[p].activities[a].error = None;
            state.phases[p].activities[a].last_failure = None;
            if state.plan().activity_def(p, a).records.is_some() {
                state.recording.insert((p, a));
            }
            activity_ended(state, p, a, ActivityStatus::Success, at);
        }
        EventKind::DeliveryRecorded { target, .. } => {
            let (p, a) = activity_ix(state, target);
            state.recording.remove(&(p, a));
        }
        EventKind::ActivityFailed { target, attempt, message, after, detail } => {
            let (p, a) = activity_ix(state, target);
            end_live_job(state, p, a, sink);
            state.timers.remove(&TimerKey::Timeout { target: target.clone(), attempt: *attempt });
            state.phases[p].activities[a].error = Some(message.clone());
            state.phases[p].activities[a].last_failure = detail.clone();
            match after {
                AfterFailure::Retry { at: when } => {
                    clear_waiting_timers(state, target);
                    state.timers.insert(TimerKey::Retry { target: target.clone(), attempt: attempt + 1 }, *when);
                    set_activity_status(state, p, a, ActivityStatus::Queued, at);
                }
                AfterFailure::Hold => {
                    clear_waiting_timers(state, target);
                    set_activity_status(state, p, a, ActivityStatus::OnHold, at);
                }
                AfterFailure::Fail | AfterFailure::Rollback => activity_ended(state, p, a, ActivityStatus::Failed, at),
                AfterFailure::Ignore => activity_ended(state, p, a, ActivityStatus::Ignored, at),
            }
        }
        EventKind::ActivityDecided { target, decision } => {
            let (p, a) = activity_ix(state, target);
            match decision {
                Decision::Retry { inputs } => {
                    if let Some(i) = inputs {
                        let act = &mut state.phases[p].activities[a];
                        for (k, v) in i {
                            act.input_overrides.insert(k.clone(), v.clone());
                        }
                    }
                }
                Decision::Ignore { outputs } => {
                    state.phases[p].activities[a].outputs = outputs.clone();
                    activity_ended(state, p, a, ActivityStatus::Ignored, at);
                }
                Decision::Fail => activity_ended(state, p, a, ActivityStatus::Failed, at),
            }
        }
        EventKind::ActivitySkipped { target, reason } => {
            let (p, a) = activity_ix(state, target);
            end_live_job(state, p, a, sink);
            state.timers.remove(&TimerKey::ActivityNotBefore { target: target.clone() });
            state.phases[p].activities[a].skip_reason = Some(*reason);
            activity_ended(state, p, a, ActivityStatus::Skipped, at);
        }
        other => unreachable!("not a node event: {}", other.name()),
    }
}

/// An activity leaves the ready set as it starts: its `not_before` timer goes, and so does the
/// backoff timer of the attempt that starts now (`attempt`, for queued attempts).
fn leave_ready(state: &mut ReleaseState, target: &ActivityRef, attempt: Option<u32>) -> (usize, usize) {
    let (p, a) = activity_ix(state, target);
    state.ready.remove(&(p, Some(a)));
    state.timers.remove(&TimerKey::ActivityNotBefore { target: target.clone() });
    if let Some(attempt) = attempt {
        state.timers.remove(&TimerKey::Retry { target: target.clone(), attempt });
    }
    (p, a)
}

/// A timeout fired for `attempt`: the running job's executor is asked to cancel, and a subprocess
/// attempt's child release is aborted (its id follows from the attempt, even when a retry has
/// already started the next child).
pub(super) fn timed_out<S: EffectSink>(state: &ReleaseState, target: &ActivityRef, attempt: u32, sink: &mut S) {
    let Some((p, a)) = find(state, target) else { return };
    let act = &state.phases[p].activities[a];
    if act.child_id.is_some() {
        sink.child_aborted(target.child_release_id(&state.id, attempt), format!("{target} timed out"));
    } else if act.status == ActivityStatus::Running {
        if let Some(job) = current_job(state, p, a) {
            sink.job_cancelled(job);
        }
    }
}

/// The activity's in-flight job (if any) ends with this event.
fn end_live_job<S: EffectSink>(state: &ReleaseState, p: usize, a: usize, sink: &mut S) {
    let act = &state.phases[p].activities[a];
    if act.status.is_in_flight() {
        if let Some(id) = &act.job_id {
            sink.job_ended(id);
        }
    }
}

fn find(state: &ReleaseState, target: &ActivityRef) -> Option<(usize, usize)> {
    let p = state.plan().phase_index(&target.phase)?;
    let a = state.plan().phases[p].activity_index(&target.activity)?;
    Some((p, a))
}

pub(super) fn phase_ix(state: &ReleaseState, phase: &str) -> usize {
    state.plan().phase_index(phase).unwrap_or_else(|| panic!("event names unknown phase `{phase}`"))
}

pub(super) fn activity_ix(state: &ReleaseState, target: &ActivityRef) -> (usize, usize) {
    find(state, target).unwrap_or_else(|| panic!("event names unknown activity `{target}`"))
}

fn clear_waiting_timers(state: &mut ReleaseState, target: &ActivityRef) {
    state.timers.remove(&TimerKey::FreezeEnd { target: target.clone() });
    state.timers.remove(&TimerKey::Deadline { target: target.clone() });
    state.timers.remove(&TimerKey::Reminder { target: target.clone() });
    state.timers.remove(&TimerKey::Wait { target: target.clone() });
}

/// Whether a finished activity lets its dependents start.
pub(super) fn activity_satisfies(act: &ActivityState) -> bool {
    match act.status {
        ActivityStatus::Success | ActivityStatus::Ignored => true,
        ActivityStatus::Skipped => act.skip_reason.is_some_and(SkipReason::satisfies_dependents),
        _ => false,
    }
}

/// Whether a finished phase lets its dependents start (a failed non-critical phase does: the
/// release continues past it).
pub(super) fn phase_satisfies(state: &ReleaseState, p: usize) -> bool {
    let ph: &PhaseState = &state.phases[p];
    match ph.status {
        PhaseStatus::Success => true,
        PhaseStatus::Failed => !state.plan().phase_def(p).is_critical(),
        PhaseStatus::Skipped => ph.skip_reason.is_some_and(SkipReason::satisfies_dependents),
        _ => false,
    }
}

/// A dependency's contribution to a pending node's counters: `(unfinished, blocks)`. A node that
/// waits for all (`run_when: always | on_failure`) counts every dependency that has not ended and
/// is blocked by one that ended unsatisfied; any other node counts every unsatisfied one, blocked
/// when it ended.
pub(super) fn dependency_counts(waits_for_all: bool, satisfied: bool, terminal: bool) -> (bool, bool) {
    if waits_for_all { (!terminal, terminal && !satisfied) } else { (!satisfied, !satisfied && terminal) }
}

/// A node with a counter of unfinished dependencies (phases among phases, activities within a
/// phase): the one readiness mechanism both share.
trait DependencyCounted {
    /// Whether the node has not started (only pending nodes are counted down or blocked).
    fn is_pending(&self) -> bool;
    /// Its unfinished-dependency counter and its blocked flag.
    fn counters(&mut self) -> (&mut u32, &mut bool);
}

impl DependencyCounted for ActivityState {
    fn is_pending(&self) -> bool {
        self.status == ActivityStatus::Pending
    }
    fn counters(&mut self) -> (&mut u32, &mut bool) {
        (&mut self.unfinished_deps, &mut self.blocked)
    }
}

impl DependencyCounted for PhaseState {
    fn is_pending(&self) -> bool {
        self.status == PhaseStatus::Pending
    }
    fn counters(&mut self) -> (&mut u32, &mut bool) {
        (&mut self.unfinished_deps, &mut self.blocked)
    }
}

/// One dependency of each of `dependents` (indexes into `nodes`) is done: count it down when it
/// was `satisfied`, else block them. Calls `ready` for each dependent that can now be decided on
/// (all its dependencies done, or blocked and to be skipped). A dependent for which `waits_for_all`
/// holds (`run_when: always | on_failure`) is counted down either way, marked blocked when the
/// dependency was not satisfied, and is ready only once every dependency ended. O(number of
/// dependents).
fn release_dependents<N: DependencyCounted>(
    nodes: &mut [N],
    dependents: &[usize],
    satisfied: bool,
    waits_for_all: impl Fn(usize) -> bool,
    mut ready: impl FnMut(usize, bool),
) {
    for &d in dependents {
        let node = &mut nodes[d];
        if !node.is_pending() {
            continue;
        }
        let (unfinished, blocked) = node.counters();
        if waits_for_all(d) {
            *blocked |= !satisfied;
            *unfinished -= 1;
            if *unfinished == 0 {
                ready(d, false);
            }
        } else if satisfied {
            *unfinished -= 1;
            if *unfinished == 0 && !*blocked {
                ready(d, false);
            }
        } else {
            *blocked = true;
            ready(d, true);
        }
    }
}

/// An activity reached a terminal status: timers go, dependents learn of it, the phase may close.
fn activity_ended(state: &mut ReleaseState, p: usize, a: usize, status: ActivityStatus, at: Timestamp) {
    let plan = state.plan().clone();
    let target = ActivityRef::new(plan.phases[p].id.clone(), plan.phases[p].activities[a].id.clone());
    let attempt = state.phases[p].activities[a].attempt;
    state.ready.remove(&(p, Some(a)));
    clear_waiting_timers(state, &target);
    state.timers.remove(&TimerKey::Timeout { target: target.clone(), attempt });
    state.timers.remove(&TimerKey::Retry { target, attempt: attempt + 1 });
    set_activity_status(state, p, a, status, at);
    let satisfied = activity_satisfies(&state.phases[p].activities[a]);
    let ReleaseState { phases, ready, .. } = state;
    let acts = &plan.phases[p].activities;
    release_dependents(
        &mut phases[p].activities,
        &acts[a].dependents,
        satisfied,
        |d| acts[d].runs_after_failure,
        |d, _| {
            ready.insert((p, Some(d)));
        },
    );
    check_phase_complete(state, p);
}

/// A phase ended (or was skipped): its dependents learn of it.
fn phase_finished(state: &mut ReleaseState, p: usize, satisfied: bool) {
    let plan = state.plan().clone();
    let ReleaseState { phases, ready, rolling_back, .. } = state;
    let waits = |d: usize| plan.phases[d].runs_after_failure;
    release_dependents(phases, &plan.phases[p].dependents, satisfied, waits, |d, blocked| {
        // Rollback phases become ready only once the rollback has started (a blocked one is
        // always decided on: it must be skipped).
        if blocked || !plan.phases[d].rollback || *rolling_back {
            ready.insert((d, None));
        }
    });
}

/// Records that a started phase has no unfinished activity left (it closes at the next `decide`).
fn check_phase_complete(state: &mut ReleaseState, p: usize) {
    let ph = &state.phases[p];
    if ph.started && ph.activities.len() as u32 == terminal_count(&ph.counts) {
        state.closing.insert(p);
    }
}

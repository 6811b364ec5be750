//! `evolve(state, event)`: applies one event to a release's state. Pure and deterministic; every
//! cost is proportional to the nodes the event touches (plus their neighbours), except for the rare
//! whole-release events (abort, restart).

use super::state::{ActivityState, ApprovalRecord, Schedule, Stage};
use super::{
    ActivityStatus, AfterFailure, Decision, Event, EventKind, PhaseStatus, ReleaseState, ReleaseStatus, SkipReason,
    TimerKey,
};
use crate::Timestamp;

/// Applies `event` to `state`. Events must come in sequence (`event.seq == state.seq + 1`); the
/// engine guarantees it, and replaying a release's log through `evolve` reproduces its state.
pub fn evolve(state: &mut ReleaseState, event: &Event) {
    state.seq = event.seq;
    state.updated_at = Some(event.at);
    let at = event.at;
    match &event.kind {
        EventKind::Created {
            name,
            release_kind,
            process_id,
            process_version,
            scope,
            inputs,
            owners,
            group,
            input_set,
            parent,
            occurrence,
        } => {
            state.parent = parent.clone();
            state.occurrence = occurrence.clone();
            state.name = name.clone();
            state.kind = *release_kind;
            state.process_id = process_id.clone();
            state.process_version = *process_version;
            state.scope = scope.clone();
            state.inputs = inputs.clone();
            state.owners = owners.clone();
            state.group = group.clone();
            state.input_set = input_set.clone();
            state.created_by = event.actor.clone();
            state.created_at = Some(at);
            state.stage = Stage::Draft;
        }
        EventKind::Updated { name, inputs, owners } => {
            if let Some(n) = name {
                state.name = n.clone();
            }
            if let Some(i) = inputs {
                state.inputs = i.clone();
            }
            if let Some(o) = owners {
                state.owners = o.clone();
            }
        }
        EventKind::Deleted => {
            state.stage = Stage::Deleted;
            state.timers.clear();
        }
        EventKind::Scheduled { start, end, auto_start } => {
            if state.stage == Stage::Aborted {
                reset_for_new_attempt(state);
            }
            state.schedule = Some(Schedule { start: *start, end: *end, auto_start: *auto_start });
            state.scheduled_by = Some(event.actor.clone());
            state.stage = Stage::Scheduled;
            state.timers.remove(&TimerKey::Activation);
            if *auto_start {
                state.timers.insert(TimerKey::Activation, *start);
            }
        }
        EventKind::Activated { early, variables, .. } => {
            state.stage = Stage::Active;
            state.variables = variables.clone();
            state.pre_executed = *early;
            // The clock starting a scheduled release acts for whoever scheduled it.
            state.started_by = if event.actor == crate::access::SYSTEM {
                state.scheduled_by.clone().or_else(|| Some(state.created_by.clone()))
            } else {
                Some(event.actor.clone())
            };
            state.started_at.get_or_insert(at);
            state.timers.remove(&TimerKey::Activation);
            let plan = state.plan().clone();
            for p in 0..plan.regular {
                if state.phases[p].status == PhaseStatus::Pending && state.phases[p].unfinished_deps == 0 {
                    state.ready.insert((p, None));
                }
            }
        }
        EventKind::Paused => state.paused = true,
        EventKind::Resumed => state.paused = false,
        EventKind::Aborted => abort_everything(state, at),
        EventKind::Restarted { attempt } => {
            state.attempt = *attempt;
            reset_for_new_attempt(state);
            state.stage = Stage::Active;
            let plan = state.plan().clone();
            for p in 0..plan.regular {
                if state.phases[p].status == PhaseStatus::Pending && state.phases[p].unfinished_deps == 0 {
                    state.ready.insert((p, None));
                }
            }
        }
        EventKind::Archived => state.archived = true,
        EventKind::PhaseScheduled { phase, at: when } => {
            let p = phase_ix(state, phase);
            state.ready.remove(&(p, None));
            state.phases[p].not_before = Some(*when);
            set_phase_status(state, p, PhaseStatus::Scheduled);
            state.timers.insert(TimerKey::PhaseNotBefore { phase: phase.clone() }, *when);
        }
        EventKind::PhaseStarted { phase, variables } => {
            let p = phase_ix(state, phase);
            state.phases[p].variables = variables.clone();
            state.ready.remove(&(p, None));
            state.timers.remove(&TimerKey::PhaseNotBefore { phase: phase.clone() });
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
            // A failed non-critical phase counts as done for its dependents: the release continues.
            let satisfied = *status == PhaseStatus::Success || (*status == PhaseStatus::Failed && !critical);
            phase_finished(state, p, satisfied);
        }
        EventKind::ActivityScheduled { phase, activity, at: when } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.ready.remove(&(p, Some(a)));
            state
                .timers
                .insert(TimerKey::ActivityNotBefore { phase: phase.clone(), activity: activity.clone() }, *when);
        }
        EventKind::ActivityQueued { phase, activity, attempt, job_id, inputs, .. } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.ready.remove(&(p, Some(a)));
            state.timers.remove(&TimerKey::FreezeEnd { phase: phase.clone(), activity: activity.clone() });
            state.timers.remove(&TimerKey::ActivityNotBefore { phase: phase.clone(), activity: activity.clone() });
            state.timers.remove(&TimerKey::Retry {
                phase: phase.clone(),
                activity: activity.clone(),
                attempt: *attempt,
            });
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.job_id = Some(job_id.clone());
            act.job_inputs = inputs.clone();
            act.started_at.get_or_insert(at);
            set_activity_status(state, p, a, ActivityStatus::Queued, at);
        }
        EventKind::ActivityFrozen { phase, activity, attempt, until } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.ready.remove(&(p, Some(a)));
            state.timers.remove(&TimerKey::ActivityNotBefore { phase: phase.clone(), activity: activity.clone() });
            state.timers.remove(&TimerKey::Retry {
                phase: phase.clone(),
                activity: activity.clone(),
                attempt: *attempt,
            });
            state.timers.insert(TimerKey::FreezeEnd { phase: phase.clone(), activity: activity.clone() }, *until);
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.job_id = None;
            act.started_at.get_or_insert(at);
            set_activity_status(state, p, a, ActivityStatus::Queued, at);
        }
        EventKind::SubprocessStarted { phase, activity, attempt, child_id, inputs, due, .. } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.ready.remove(&(p, Some(a)));
            state.timers.remove(&TimerKey::ActivityNotBefore { phase: phase.clone(), activity: activity.clone() });
            state.timers.remove(&TimerKey::Retry {
                phase: phase.clone(),
                activity: activity.clone(),
                attempt: *attempt,
            });
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.child_id = Some(child_id.clone());
            act.job_inputs = inputs.clone();
            act.started_at.get_or_insert(at);
            if let Some(due) = due {
                state.timers.insert(
                    TimerKey::Timeout { phase: phase.clone(), activity: activity.clone(), attempt: *attempt },
                    *due,
                );
            }
            set_activity_status(state, p, a, ActivityStatus::Running, at);
        }
        EventKind::ActivityStarted { phase, activity, due } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.ready.remove(&(p, Some(a)));
            state.timers.remove(&TimerKey::ActivityNotBefore { phase: phase.clone(), activity: activity.clone() });
            let is_wait = state.plan().activity_def(p, a).kind == crate::model::ActivityKind::Wait;
            let attempt = state.phases[p].activities[a].attempt;
            state.phases[p].activities[a].started_at.get_or_insert(at);
            if let Some(due) = due {
                let key = if is_wait {
                    TimerKey::Wait { phase: phase.clone(), activity: activity.clone() }
                } else {
                    TimerKey::Timeout { phase: phase.clone(), activity: activity.clone(), attempt }
                };
                state.timers.insert(key, *due);
            }
            set_activity_status(state, p, a, ActivityStatus::Running, at);
        }
        EventKind::ActivityWaiting { phase, activity, attempt, deadline, remind_at } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.ready.remove(&(p, Some(a)));
            state.timers.remove(&TimerKey::ActivityNotBefore { phase: phase.clone(), activity: activity.clone() });
            let act = &mut state.phases[p].activities[a];
            act.attempt = *attempt;
            act.started_at.get_or_insert(at);
            act.approvals.clear();
            act.escalated = false;
            if let Some(d) = deadline {
                state.timers.insert(TimerKey::Deadline { phase: phase.clone(), activity: activity.clone() }, *d);
            }
            if let Some(r) = remind_at {
                state.timers.insert(TimerKey::Reminder { phase: phase.clone(), activity: activity.clone() }, *r);
            }
            set_activity_status(state, p, a, ActivityStatus::WaitingForInput, at);
        }
        EventKind::ApprovalRecorded { phase, activity, approver, approved, covers } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.phases[p].activities[a].approvals.push(ApprovalRecord {
                approver: approver.clone(),
                approved: *approved,
                at,
                comment: event.comment.clone(),
                covers: covers.clone(),
            });
        }
        EventKind::ApprovalReminded { phase, activity, next } => {
            let key = TimerKey::Reminder { phase: phase.clone(), activity: activity.clone() };
            match next {
                Some(n) => state.timers.insert(key, *n),
                None => state.timers.remove(&key),
            };
        }
        EventKind::ApprovalEscalated { phase, activity } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.phases[p].activities[a].escalated = true;
            state.timers.remove(&TimerKey::Deadline { phase: phase.clone(), activity: activity.clone() });
        }
        EventKind::ActivitySucceeded { phase, activity, outputs } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.phases[p].activities[a].outputs = outputs.clone();
            state.phases[p].activities[a].error = None;
            activity_ended(state, p, a, ActivityStatus::Success, at);
        }
        EventKind::ActivityFailed { phase, activity, attempt, message, after } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.timers.remove(&TimerKey::Timeout {
                phase: phase.clone(),
                activity: activity.clone(),
                attempt: *attempt,
            });
            state.phases[p].activities[a].error = Some(message.clone());
            match after {
                AfterFailure::Retry { at: when } => {
                    clear_waiting_timers(state, phase, activity);
                    state.timers.insert(
                        TimerKey::Retry { phase: phase.clone(), activity: activity.clone(), attempt: attempt + 1 },
                        *when,
                    );
                    set_activity_status(state, p, a, ActivityStatus::Queued, at);
                }
                AfterFailure::Hold => {
                    clear_waiting_timers(state, phase, activity);
                    set_activity_status(state, p, a, ActivityStatus::OnHold, at);
                }
                AfterFailure::Fail | AfterFailure::Rollback => activity_ended(state, p, a, ActivityStatus::Failed, at),
                AfterFailure::Ignore => activity_ended(state, p, a, ActivityStatus::Ignored, at),
            }
        }
        EventKind::ActivityDecided { phase, activity, decision } => {
            let (p, a) = activity_ix(state, phase, activity);
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
        EventKind::ActivitySkipped { phase, activity, reason } => {
            let (p, a) = activity_ix(state, phase, activity);
            state.timers.remove(&TimerKey::ActivityNotBefore { phase: phase.clone(), activity: activity.clone() });
            state.phases[p].activities[a].skip_reason = Some(*reason);
            activity_ended(state, p, a, ActivityStatus::Skipped, at);
        }
        EventKind::Halted { rollback, .. } => {
            state.halted = true;
            if *rollback {
                state.rollback_requested = true;
            }
        }
        EventKind::RollbackStarted => {
            state.rolling_back = true;
            let plan = state.plan().clone();
            for p in plan.regular..plan.phases.len() {
                if state.phases[p].status == PhaseStatus::Pending && state.phases[p].unfinished_deps == 0 {
                    state.ready.insert((p, None));
                }
            }
        }
        EventKind::TimerFired { timer } => {
            state.timers.remove(timer);
            // A fired not_before makes its node ready again; starting it is up to `decide`.
            match timer {
                TimerKey::PhaseNotBefore { phase } => {
                    let p = phase_ix(state, phase);
                    state.ready.insert((p, None));
                }
                TimerKey::ActivityNotBefore { phase, activity } => {
                    let (p, a) = activity_ix(state, phase, activity);
                    state.ready.insert((p, Some(a)));
                }
                _ => {}
            }
        }
        EventKind::Ended { status } => {
            state.stage = Stage::Ended;
            state.ended_at = Some(at);
            // Rolled back = the rollback phases ran and none of them failed.
            let plan = state.plan().clone();
            state.rolled_back = state.rolling_back
                && (plan.regular..plan.phases.len()).all(|p| {
                    matches!(state.phases[p].status, PhaseStatus::Success)
                        || state.phases[p].skip_reason.is_some_and(SkipReason::satisfies_dependents)
                });
            state.rolling_back = false;
            state.ready.clear();
            state.status = *status;
        }
    }
    refresh_release(state);
}

fn phase_ix(state: &ReleaseState, phase: &str) -> usize {
    state.plan().phase_index(phase).unwrap_or_else(|| panic!("event names unknown phase `{phase}`"))
}

fn activity_ix(state: &ReleaseState, phase: &str, activity: &str) -> (usize, usize) {
    let p = phase_ix(state, phase);
    let a = state.plan().phases[p]
        .activity_index(activity)
        .unwrap_or_else(|| panic!("event names unknown activity `{phase}/{activity}`"));
    (p, a)
}

fn clear_waiting_timers(state: &mut ReleaseState, phase: &str, activity: &str) {
    state.timers.remove(&TimerKey::FreezeEnd { phase: phase.to_string(), activity: activity.to_string() });
    state.timers.remove(&TimerKey::Deadline { phase: phase.to_string(), activity: activity.to_string() });
    state.timers.remove(&TimerKey::Reminder { phase: phase.to_string(), activity: activity.to_string() });
    state.timers.remove(&TimerKey::Wait { phase: phase.to_string(), activity: activity.to_string() });
}

/// Moves activity `(p, a)` to `status`, keeping the per-status counters and roll-ups right.
fn set_activity_status(state: &mut ReleaseState, p: usize, a: usize, status: ActivityStatus, at: Timestamp) {
    let old = state.phases[p].activities[a].status;
    if old == status {
        return;
    }
    state.phases[p].counts[old.index()] -= 1;
    state.phases[p].counts[status.index()] += 1;
    state.counts[old.index()] -= 1;
    state.counts[status.index()] += 1;
    let act = &mut state.phases[p].activities[a];
    act.status = status;
    if status.is_terminal() {
        act.ended_at = Some(at);
    } else {
        act.ended_at = None;
    }
    refresh_phase(state, p);
}

/// An activity reached a terminal status: timers go, dependents learn of it, the phase may close.
fn activity_ended(state: &mut ReleaseState, p: usize, a: usize, status: ActivityStatus, at: Timestamp) {
    let plan = state.plan().clone();
    let (phase, activity) = (&plan.phases[p].id, &plan.phases[p].activities[a].id);
    let attempt = state.phases[p].activities[a].attempt;
    state.ready.remove(&(p, Some(a)));
    clear_waiting_timers(state, phase, activity);
    state.timers.remove(&TimerKey::Timeout { phase: phase.clone(), activity: activity.clone(), attempt });
    state.timers.remove(&TimerKey::Retry { phase: phase.clone(), activity: activity.clone(), attempt: attempt + 1 });
    set_activity_status(state, p, a, status, at);
    let satisfied = match status {
        ActivityStatus::Success | ActivityStatus::Ignored => true,
        ActivityStatus::Skipped => {
            state.phases[p].activities[a].skip_reason.is_none_or(SkipReason::satisfies_dependents)
        }
        _ => false,
    };
    for &d in &plan.phases[p].activities[a].dependents {
        let dep = &mut state.phases[p].activities[d];
        if dep.status != ActivityStatus::Pending {
            continue;
        }
        if satisfied {
            dep.unfinished_deps -= 1;
            if dep.unfinished_deps == 0 && !dep.blocked {
                state.ready.insert((p, Some(d)));
            }
        } else {
            dep.blocked = true;
            state.ready.insert((p, Some(d)));
        }
    }
    check_phase_complete(state, p);
}

/// A phase ended (or was skipped): its dependents learn of it.
fn phase_finished(state: &mut ReleaseState, p: usize, satisfied: bool) {
    let plan = state.plan().clone();
    for &d in &plan.phases[p].dependents {
        let dep = &mut state.phases[d];
        if dep.status != PhaseStatus::Pending {
            continue;
        }
        if satisfied {
            dep.unfinished_deps -= 1;
            if dep.unfinished_deps == 0 && !dep.blocked {
                // Rollback phases become ready only once the rollback has started.
                if !plan.phases[d].rollback || state.rolling_back {
                    state.ready.insert((d, None));
                }
            }
        } else {
            dep.blocked = true;
            state.ready.insert((d, None));
        }
    }
}

/// Records that a started phase has no unfinished activity left (it closes at the next `decide`).
fn check_phase_complete(state: &mut ReleaseState, p: usize) {
    let ph = &state.phases[p];
    if ph.started && ph.activities.len() as u32 == terminal_count(&ph.counts) {
        state.closing.insert(p);
    }
}

fn terminal_count(counts: &[u32; 10]) -> u32 {
    ActivityStatus::ALL.iter().filter(|s| s.is_terminal()).map(|s| counts[s.index()]).sum()
}

fn set_phase_status(state: &mut ReleaseState, p: usize, status: PhaseStatus) {
    let old = state.phases[p].status;
    if old != status {
        state.phase_counts[old.index()] -= 1;
        state.phase_counts[status.index()] += 1;
        state.phases[p].status = status;
    }
}

/// Rolls a started phase's status up from its activity counters (O(1)).
fn refresh_phase(state: &mut ReleaseState, p: usize) {
    let ph = &state.phases[p];
    if !ph.started {
        return;
    }
    let c = &ph.counts;
    let status = if c[ActivityStatus::Queued.index()] + c[ActivityStatus::Running.index()] > 0 {
        PhaseStatus::Running
    } else if c[ActivityStatus::WaitingForInput.index()] + c[ActivityStatus::OnHold.index()] > 0 {
        PhaseStatus::OnHold
    } else {
        PhaseStatus::Running
    };
    set_phase_status(state, p, status);
}

/// Rolls the release status up from its counters (O(1)).
fn refresh_release(state: &mut ReleaseState) {
    state.status = match state.stage {
        Stage::Draft => ReleaseStatus::Draft,
        Stage::Scheduled => ReleaseStatus::Scheduled,
        Stage::Aborted => ReleaseStatus::Aborted,
        Stage::Ended => state.status,
        Stage::Deleted => state.status,
        Stage::Active => {
            let c = &state.counts;
            if state.paused {
                ReleaseStatus::OnHold
            } else if c[ActivityStatus::Queued.index()] + c[ActivityStatus::Running.index()] > 0 {
                ReleaseStatus::Running
            } else if c[ActivityStatus::WaitingForInput.index()] + c[ActivityStatus::OnHold.index()] > 0 {
                ReleaseStatus::OnHold
            } else {
                ReleaseStatus::Running
            }
        }
    };
}

/// Abort: in-flight and waiting activities become aborted, started phases aborted, timers dropped.
fn abort_everything(state: &mut ReleaseState, at: Timestamp) {
    for p in 0..state.phases.len() {
        for a in 0..state.phases[p].activities.len() {
            let s = state.phases[p].activities[a].status;
            if s.is_in_flight() || s.needs_person() {
                set_activity_status(state, p, a, ActivityStatus::Aborted, at);
            }
        }
        let ph = &state.phases[p];
        if ph.started || ph.status == PhaseStatus::Scheduled {
            state.phases[p].started = false;
            state.phases[p].ended_at = Some(at);
            set_phase_status(state, p, PhaseStatus::Aborted);
        }
    }
    state.timers.clear();
    state.ready.clear();
    state.closing.clear();
    state.paused = false;
    state.stage = Stage::Aborted;
    state.ended_at = Some(at);
}

/// Restart / reschedule after an abort: failed, aborted and failure-skipped nodes go back to
/// pending (their attempt increments); done nodes stay done; counters are recomputed.
fn reset_for_new_attempt(state: &mut ReleaseState) {
    let plan = state.plan().clone();
    state.halted = false;
    state.paused = false;
    state.rollback_requested = false;
    state.rolling_back = false;
    state.rolled_back = false;
    state.ended_at = None;
    state.ready.clear();
    state.closing.clear();
    state.timers.clear();
    for p in 0..state.phases.len() {
        let reset_phase = {
            let ph = &state.phases[p];
            plan.phases[p].rollback
                || matches!(ph.status, PhaseStatus::Failed | PhaseStatus::Aborted | PhaseStatus::Scheduled)
                || (ph.status == PhaseStatus::Skipped && !ph.skip_reason.is_some_and(SkipReason::satisfies_dependents))
                || ph.started
        };
        if !reset_phase {
            continue;
        }
        for a in 0..state.phases[p].activities.len() {
            let act: &ActivityState = &state.phases[p].activities[a];
            let keep = match act.status {
                ActivityStatus::Success | ActivityStatus::Ignored => !plan.phases[p].rollback,
                ActivityStatus::Skipped => {
                    act.skip_reason.is_some_and(SkipReason::satisfies_dependents) && !plan.phases[p].rollback
                }
                ActivityStatus::Pending => true,
                _ => false,
            };
            if !keep {
                let epoch = state.phases[p].activities[a].ended_at.unwrap_or_default();
                set_activity_status(state, p, a, ActivityStatus::Pending, epoch);
                let act = &mut state.phases[p].activities[a];
                act.attempt += 1;
                act.skip_reason = None;
                act.error = None;
                act.job_id = None;
                act.child_id = None;
                act.approvals.clear();
                act.escalated = false;
                act.ended_at = None;
            }
        }
        let ph = &mut state.phases[p];
        ph.started = false;
        ph.skip_reason = None;
        ph.ended_at = None;
        ph.not_before = None;
        ph.outputs.clear();
        set_phase_status(state, p, PhaseStatus::Pending);
    }
    state.critical_failures = 0;
    state.noncritical_failures = 0;
    recount_dependencies(state);
    for p in 0..state.phases.len() {
        if state.phases[p].status == PhaseStatus::Failed {
            if plan.phase_def(p).is_critical() {
                state.critical_failures += 1;
            } else {
                state.noncritical_failures += 1;
            }
        }
    }
}

/// Recomputes every unfinished-dependency counter and blocked flag from the current statuses.
fn recount_dependencies(state: &mut ReleaseState) {
    let plan = state.plan().clone();
    for p in 0..state.phases.len() {
        let done = |s: PhaseStatus, reason: Option<SkipReason>, critical: bool| {
            s == PhaseStatus::Success
                || (s == PhaseStatus::Failed && !critical)
                || (s == PhaseStatus::Skipped && reason.is_some_and(SkipReason::satisfies_dependents))
        };
        let unfinished = plan.phases[p]
            .deps
            .iter()
            .filter(|&&d| !done(state.phases[d].status, state.phases[d].skip_reason, plan.phase_def(d).is_critical()))
            .count() as u32;
        state.phases[p].unfinished_deps = unfinished;
        state.phases[p].blocked = false;
        for a in 0..state.phases[p].activities.len() {
            let unfinished = plan.phases[p].activities[a]
                .deps
                .iter()
                .filter(|&&d| {
                    let dep = &state.phases[p].activities[d];
                    !(matches!(dep.status, ActivityStatus::Success | ActivityStatus::Ignored)
                        || (dep.status == ActivityStatus::Skipped
                            && dep.skip_reason.is_some_and(SkipReason::satisfies_dependents)))
                })
                .count() as u32;
            state.phases[p].activities[a].unfinished_deps = unfinished;
            state.phases[p].activities[a].blocked = false;
        }
    }
}

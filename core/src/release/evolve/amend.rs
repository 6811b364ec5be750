//! Events that amend a running release: rewound, activity_inserted, approvers_reassigned,
//! approval_delegated, phase_rescheduled. A plan amendment rebuilds the release's own plan (the
//! process version's plan with its amendments: O(size of the process), once per amendment).

use super::super::state::{ActivityState, PhaseAttempt, Stage};
use super::super::step::{EffectSink, current_job};
use super::super::{ActivityStatus, Event, EventKind, PhaseStatus, Plan, PlanAmendment, ReleaseState, TimerKey};
use super::nodes::{activity_satisfies, dependency_counts, phase_ix, phase_satisfies};
use super::rollup::{refresh_phase, set_activity_status, set_phase_status};
use crate::Timestamp;
use std::collections::BTreeSet;
use std::sync::Arc;

pub(super) fn apply<S: EffectSink>(state: &mut ReleaseState, event: &Event, sink: &mut S) {
    let at = event.at;
    match &event.kind {
        EventKind::Rewound { phase, activities, phases, inputs, variables, .. } => {
            if let Some(values) = inputs {
                state.inputs.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            if let Some(v) = variables {
                state.variables = v.clone();
            }
            let plan = state.plan().clone();
            let mut reset: BTreeSet<(usize, usize)> = BTreeSet::new();
            if !activities.is_empty() {
                let p = phase_ix(state, phase);
                for id in activities {
                    if let Some(a) = plan.phases[p].activity_index(id) {
                        reset.insert((p, a));
                    }
                }
                reopen_phase(state, p, at);
            }
            let whole: Vec<usize> = phases.iter().filter_map(|id| plan.phase_index(id)).collect();
            for &p in &whole {
                reset.extend((0..state.phases[p].activities.len()).map(|a| (p, a)));
            }
            for &(p, a) in &reset {
                reset_activity(state, p, a, sink);
            }
            for &p in &whole {
                reset_phase(state, p);
            }
            drop_timers(state, &reset, &whole);
            recount(state);
        }
        EventKind::ActivityInserted { phase, definition, .. } => {
            let amendment = PlanAmendment::Insert { phase: phase.clone(), definition: definition.clone() };
            amend_plan(state, amendment);
            let p = phase_ix(state, phase);
            let a = state.phases[p].activities.len();
            state.phases[p].activities.push(ActivityState::pending(definition.id.clone(), 0));
            state.phases[p].counts[ActivityStatus::Pending.index()] += 1;
            state.counts[ActivityStatus::Pending.index()] += 1;
            state.closing.remove(&p);
            count_activity(state, p, a);
        }
        EventKind::ApproversReassigned { target, approvers, .. } => {
            amend_plan(state, PlanAmendment::Approvers { target: target.clone(), approvers: approvers.clone() });
            let (p, a) = super::nodes::activity_ix(state, target);
            state.phases[p].activities[a].approvals.clear();
        }
        EventKind::ApprovalDelegated { target, from, to } => {
            let amendment = PlanAmendment::Delegation { target: target.clone(), from: from.clone(), to: to.clone() };
            amend_plan(state, amendment);
        }
        EventKind::PhaseRescheduled { phase, not_before } => {
            let p = phase_ix(state, phase);
            state.phases[p].rescheduled = Some(*not_before);
            state.timers.remove(&TimerKey::PhaseNotBefore { phase: phase.clone() });
            if state.phases[p].status == PhaseStatus::Scheduled {
                state.phases[p].not_before = None;
                set_phase_status(state, p, PhaseStatus::Pending);
            }
            let ph = &state.phases[p];
            if state.stage == Stage::Active && (ph.unfinished_deps == 0 || ph.blocked) {
                state.ready.insert((p, None));
            }
        }
        other => unreachable!("not an amendment event: {}", other.name()),
    }
}

/// Records an amendment and rebuilds the release's plan with it.
fn amend_plan(state: &mut ReleaseState, amendment: PlanAmendment) {
    let plan = state.plan().clone();
    let mut process = (*plan.process).clone();
    amendment.apply(&mut process);
    state.amendments.push(amendment);
    state.plan = Some(Plan::new(Arc::new(process), plan.version));
}

/// An activity goes back to `pending` for a new attempt; in-flight work is cancelled.
fn reset_activity<S: EffectSink>(state: &mut ReleaseState, p: usize, a: usize, sink: &mut S) {
    let status = state.phases[p].activities[a].status;
    if status == ActivityStatus::Pending {
        return;
    }
    if status.is_in_flight() {
        if let Some(job) = current_job(state, p, a) {
            sink.job_ended(&job.id);
            sink.job_cancelled(job);
        }
        if let Some(child) = state.phases[p].activities[a].child_id.clone() {
            let target = state.plan().phases[p].activities[a].id.clone();
            sink.child_aborted(child, format!("activity {}/{target} was rewound", state.phases[p].id));
        }
    }
    state.ready.remove(&(p, Some(a)));
    let epoch = state.phases[p].activities[a].ended_at.unwrap_or_default();
    set_activity_status(state, p, a, ActivityStatus::Pending, epoch);
    let act = &mut state.phases[p].activities[a];
    act.attempt += 1;
    act.skip_reason = None;
    act.error = None;
    act.last_failure = None;
    act.job_id = None;
    act.child_id = None;
    act.approvals.clear();
    act.escalated = false;
    act.outputs.clear();
    act.started_at = None;
    act.ended_at = None;
    act.held_at = None;
}

/// Keeps the phase's current attempt (with its outputs) and starts a new one.
fn next_phase_attempt(state: &mut ReleaseState, p: usize) {
    let ph = &mut state.phases[p];
    ph.attempts.push(PhaseAttempt {
        attempt: ph.attempt,
        status: ph.status,
        outputs: std::mem::take(&mut ph.outputs),
        started_at: ph.started_at,
        ended_at: ph.ended_at,
    });
    ph.attempt += 1;
}

/// A phase reset whole goes back to `pending`.
fn reset_phase(state: &mut ReleaseState, p: usize) {
    if state.phases[p].status == PhaseStatus::Pending {
        return;
    }
    if state.phases[p].status != PhaseStatus::Scheduled {
        next_phase_attempt(state, p);
    }
    state.ready.remove(&(p, None));
    state.closing.remove(&p);
    let ph = &mut state.phases[p];
    ph.started = false;
    ph.skip_reason = None;
    ph.started_at = None;
    ph.ended_at = None;
    ph.not_before = None;
    ph.variables.clear();
    set_phase_status(state, p, PhaseStatus::Pending);
}

/// The phase of a rewound activity runs again: an ended phase reopens (a new attempt), keeping
/// the activities that were not reset.
fn reopen_phase(state: &mut ReleaseState, p: usize, at: Timestamp) {
    state.closing.remove(&p);
    if !state.phases[p].status.is_terminal() {
        return;
    }
    next_phase_attempt(state, p);
    let ph = &mut state.phases[p];
    ph.started = true;
    ph.started_at = Some(at);
    ph.ended_at = None;
    ph.skip_reason = None;
    set_phase_status(state, p, PhaseStatus::Running);
    refresh_phase(state, p);
}

/// Drops the timers of the nodes reset.
fn drop_timers(state: &mut ReleaseState, reset: &BTreeSet<(usize, usize)>, phases: &[usize]) {
    let plan = state.plan().clone();
    let doomed: Vec<TimerKey> = state
        .timers
        .iter()
        .map(|(k, _)| k)
        .filter(|k| match k {
            TimerKey::PhaseNotBefore { phase } | TimerKey::PhaseOverdue { phase } => {
                plan.phase_index(phase).is_some_and(|p| phases.contains(&p))
            }
            other => other.activity().is_some_and(|t| {
                plan.phase_index(&t.phase).is_some_and(|p| {
                    plan.phases[p].activity_index(&t.activity).is_some_and(|a| reset.contains(&(p, a)))
                })
            }),
        })
        .cloned()
        .collect();
    for k in &doomed {
        state.timers.remove(k);
    }
}

/// Recomputes every pending node's dependency counter and blocked flag, the failure counters,
/// and what is ready.
fn recount(state: &mut ReleaseState) {
    let plan = state.plan().clone();
    state.critical_failures = 0;
    state.noncritical_failures = 0;
    for p in 0..state.phases.len() {
        if state.phases[p].status == PhaseStatus::Failed {
            if plan.phase_def(p).is_critical() {
                state.critical_failures += 1;
            } else {
                state.noncritical_failures += 1;
            }
        }
        if state.phases[p].status == PhaseStatus::Pending {
            let (mut unfinished, mut blocked) = (0, false);
            let waits = plan.phases[p].runs_after_failure;
            for &d in &plan.phases[p].deps {
                let (open, blocks) =
                    dependency_counts(waits, phase_satisfies(state, d), state.phases[d].status.is_terminal());
                unfinished += u32::from(open);
                blocked |= blocks;
            }
            let ph = &mut state.phases[p];
            ph.unfinished_deps = unfinished;
            ph.blocked = blocked;
            let decide_now = unfinished == 0 || (blocked && !waits);
            if decide_now && (!plan.phases[p].rollback || state.rolling_back) {
                state.ready.insert((p, None));
            }
        }
        for a in 0..state.phases[p].activities.len() {
            count_activity(state, p, a);
        }
    }
}

/// Sets a pending activity's dependency counter and blocked flag; in a started phase, one with
/// nothing left to wait for is ready.
fn count_activity(state: &mut ReleaseState, p: usize, a: usize) {
    if state.phases[p].activities[a].status != ActivityStatus::Pending {
        return;
    }
    let plan = state.plan().clone();
    let (mut unfinished, mut blocked) = (0, false);
    let waits = plan.phases[p].activities[a].runs_after_failure;
    for &d in &plan.phases[p].activities[a].deps {
        let dep = &state.phases[p].activities[d];
        let (open, blocks) = dependency_counts(waits, activity_satisfies(dep), dep.status.is_terminal());
        unfinished += u32::from(open);
        blocked |= blocks;
    }
    let act = &mut state.phases[p].activities[a];
    act.unfinished_deps = unfinished;
    act.blocked = blocked;
    if state.phases[p].started && (unfinished == 0 || (blocked && !waits)) {
        state.ready.insert((p, Some(a)));
    }
}

//! Events about the release as a whole: created, updated, scheduled, activated, paused, aborted,
//! restarted, halted, rolled back, ended, assessed for risk.

use super::super::state::{Schedule, Stage};
use super::super::step::{EffectSink, ParentReport, child_outputs, current_job};
use super::super::{ActivityStatus, Event, EventKind, PhaseStatus, ReleaseState, ReleaseStatus, SkipReason, TimerKey};
use super::nodes::dependency_counts;
use super::rollup::{set_activity_status, set_phase_status};
use crate::Timestamp;

pub(super) fn apply<S: EffectSink>(state: &mut ReleaseState, event: &Event, sink: &mut S) {
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
            release_managers,
            stakeholders,
            group,
            input_set,
            parent,
            occurrence,
            metadata,
        } => {
            state.metadata = metadata.as_ref().clone();
            state.release_managers = release_managers.clone();
            state.stakeholders = stakeholders.clone();
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
        EventKind::Updated { .. } => updated(state, event),
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
            mark_roots_ready(state, 0..state.plan().regular);
        }
        EventKind::Paused => state.paused = true,
        EventKind::Resumed => state.paused = false,
        EventKind::Aborted => {
            abort_everything(state, at, sink);
            if let Some(parent) = &state.parent {
                sink.report_to_parent(ParentReport {
                    parent: parent.clone(),
                    child_id: state.id.clone(),
                    status: ReleaseStatus::Aborted,
                    outputs: child_outputs(state),
                });
            }
        }
        EventKind::Restarted { attempt } => {
            state.attempt = *attempt;
            reset_for_new_attempt(state);
            state.stage = Stage::Active;
            mark_roots_ready(state, 0..state.plan().regular);
        }
        EventKind::Archived => state.archived = true,
        EventKind::Halted { rollback, .. } => {
            state.halted = true;
            if *rollback {
                state.rollback_requested = true;
            }
        }
        EventKind::RollbackStarted => {
            state.rolling_back = true;
            let plan = state.plan().clone();
            mark_roots_ready(state, plan.regular..plan.phases.len());
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
            // Nothing is left to assess.
            state.timers.remove(&TimerKey::RiskCheck);
            state.status = *status;
            if let Some(parent) = &state.parent {
                sink.report_to_parent(ParentReport {
                    parent: parent.clone(),
                    child_id: state.id.clone(),
                    status: *status,
                    outputs: child_outputs(state),
                });
            }
        }
        EventKind::RiskAssessed { at_risk, check_at, .. } => {
            state.at_risk = *at_risk;
            state.timers.remove(&TimerKey::RiskCheck);
            if let Some(at) = check_at {
                state.timers.insert(TimerKey::RiskCheck, *at);
            }
        }
        other => unreachable!("not a lifecycle event: {}", other.name()),
    }
}

/// `updated`: the fields it names change. A process switch finds the state already rebased on the
/// new plan ([`ReleaseState::rebase`], by `step`; replay starts from the release's final plan).
fn updated(state: &mut ReleaseState, event: &Event) {
    let EventKind::Updated {
        name,
        inputs,
        owners,
        release_managers,
        stakeholders,
        process_id,
        process_version,
        release_kind,
        scope,
        start,
        end,
        metadata,
    } = &event.kind
    else {
        return;
    };
    if let Some(m) = metadata {
        state.metadata = m.as_ref().clone();
    }
    let set = |field: &mut Vec<String>, value: &Option<Vec<String>>| {
        if let Some(v) = value {
            field.clone_from(v);
        }
    };
    if let Some(n) = name {
        state.name = n.clone();
    }
    if let Some(i) = inputs {
        state.inputs = i.clone();
    }
    set(&mut state.owners, owners);
    set(&mut state.release_managers, release_managers);
    set(&mut state.stakeholders, stakeholders);
    if let Some(p) = process_id {
        state.process_id = p.clone();
    }
    if let Some(v) = process_version {
        state.process_version = *v;
    }
    if let Some(k) = release_kind {
        state.kind = *k;
    }
    if let Some(s) = scope {
        state.scope = s.clone();
    }
    if start.is_some() || end.is_some() {
        let before = state.schedule.take();
        let auto_start = before.as_ref().is_some_and(|s| s.auto_start);
        let start = start.or(before.as_ref().map(|s| s.start)).unwrap_or(event.at);
        let end = end.or(before.and_then(|s| s.end));
        state.schedule = Some(Schedule { start, end, auto_start });
        if state.stage == Stage::Scheduled && auto_start {
            state.timers.remove(&TimerKey::Activation);
            state.timers.insert(TimerKey::Activation, start);
        }
    }
    // A release-group occurrence changed by a person is left alone when its group is edited.
    if state.occurrence.is_some() && event.actor != crate::access::SYSTEM {
        state.edited = true;
    }
}

/// The pending phases in `range` without unfinished dependencies become ready.
fn mark_roots_ready(state: &mut ReleaseState, range: std::ops::Range<usize>) {
    for p in range {
        if state.phases[p].status == PhaseStatus::Pending && state.phases[p].unfinished_deps == 0 {
            state.ready.insert((p, None));
        }
    }
}

/// Abort: in-flight and waiting activities become aborted (their jobs are cancelled and their
/// child releases aborted), started phases aborted, timers dropped.
fn abort_everything<S: EffectSink>(state: &mut ReleaseState, at: Timestamp, sink: &mut S) {
    for p in 0..state.phases.len() {
        for a in 0..state.phases[p].activities.len() {
            let s = state.phases[p].activities[a].status;
            if s.is_in_flight() || s.needs_person() {
                if s.is_in_flight() {
                    if let Some(job) = current_job(state, p, a) {
                        sink.job_ended(&job.id);
                        sink.job_cancelled(job);
                    }
                }
                if let Some(child) = state.phases[p].activities[a].child_id.clone() {
                    sink.child_aborted(child, format!("the parent release {} was aborted", state.id));
                }
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
/// pending (their attempt increments), and so do the `run_when: always | on_failure` phases with all
/// their activities and such activities of a phase that goes back, which run again at the end of the new attempt; done
/// nodes stay done; counters are recomputed.
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
                || plan.phases[p].runs_after_failure
                || matches!(ph.status, PhaseStatus::Failed | PhaseStatus::Aborted | PhaseStatus::Scheduled)
                || (ph.status == PhaseStatus::Skipped && !ph.skip_reason.is_some_and(SkipReason::satisfies_dependents))
                || ph.started
        };
        if !reset_phase {
            continue;
        }
        for a in 0..state.phases[p].activities.len() {
            let act = &state.phases[p].activities[a];
            // Cleanup and notification activities run again at the end of the new attempt.
            let again = plan.phases[p].runs_after_failure || plan.phases[p].activities[a].runs_after_failure;
            let keep = match act.status {
                _ if again => act.status == ActivityStatus::Pending,
                ActivityStatus::Success | ActivityStatus::Ignored => !plan.phases[p].rollback,
                ActivityStatus::Skipped => {
                    act.skip_reason.is_some_and(SkipReason::satisfies_dependents) && !plan.phases[p].rollback
                }
                ActivityStatus::Pending => true,
                _ => false,
            };
            if !keep {
                let epoch = act.ended_at.unwrap_or_default();
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
        let waits = plan.phases[p].runs_after_failure;
        let unfinished = plan.phases[p]
            .deps
            .iter()
            .filter(|&&d| {
                let satisfied = super::nodes::phase_satisfies(state, d);
                dependency_counts(waits, satisfied, state.phases[d].status.is_terminal()).0
            })
            .count() as u32;
        state.phases[p].unfinished_deps = unfinished;
        state.phases[p].blocked = false;
        for a in 0..state.phases[p].activities.len() {
            let waits = plan.phases[p].activities[a].runs_after_failure;
            let unfinished = plan.phases[p].activities[a]
                .deps
                .iter()
                .filter(|&&d| {
                    let dep = &state.phases[p].activities[d];
                    let satisfied = super::nodes::activity_satisfies(dep);
                    dependency_counts(waits, satisfied, dep.status.is_terminal()).0
                })
                .count() as u32;
            state.phases[p].activities[a].unfinished_deps = unfinished;
            state.phases[p].activities[a].blocked = false;
        }
    }
}

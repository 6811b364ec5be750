//! The per-status counters of phases and of the release, and the statuses rolled up from them
//! (O(1) per change: roll-up is computed, never stored apart from the events).

use super::super::{ActivityStatus, PhaseStatus, ReleaseState, ReleaseStatus, Stage};
use crate::Timestamp;

/// Moves activity `(p, a)` to `status`, keeping the per-status counters and roll-ups right.
pub(super) fn set_activity_status(state: &mut ReleaseState, p: usize, a: usize, status: ActivityStatus, at: Timestamp) {
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
    act.ended_at = status.is_terminal().then_some(at);
    act.held_at = (status == ActivityStatus::OnHold).then_some(at);
    if old == ActivityStatus::Running && !state.gates.is_empty() {
        // A gate that stops running stops waiting (whatever ended it).
        let (phase, activity) = (&state.phases[p].id, &state.phases[p].activities[a].id);
        state.gates.retain(|g| g.target.phase != *phase || g.target.activity != *activity);
    }
    refresh_phase(state, p);
}

/// Moves phase `p` to `status`, keeping the release's phase counters right.
pub(super) fn set_phase_status(state: &mut ReleaseState, p: usize, status: PhaseStatus) {
    let old = state.phases[p].status;
    if old != status {
        state.phase_counts[old.index()] -= 1;
        state.phase_counts[status.index()] += 1;
        state.phases[p].status = status;
    }
}

/// How many of the counted activities are in a terminal status.
pub(super) fn terminal_count(counts: &[u32; 10]) -> u32 {
    ActivityStatus::ALL.iter().filter(|s| s.is_terminal()).map(|s| counts[s.index()]).sum()
}

/// Rolls a started phase's status up from its activity counters.
pub(super) fn refresh_phase(state: &mut ReleaseState, p: usize) {
    let ph = &state.phases[p];
    if !ph.started {
        return;
    }
    let status = match busy(&ph.counts) {
        Busy::Working | Busy::Idle => PhaseStatus::Running,
        Busy::WaitingForPeople => PhaseStatus::OnHold,
    };
    set_phase_status(state, p, status);
}

/// Rolls the release status up from its stage and counters.
pub(super) fn refresh_release(state: &mut ReleaseState) {
    state.status = match state.stage {
        Stage::Draft => ReleaseStatus::Draft,
        Stage::Scheduled => ReleaseStatus::Scheduled,
        Stage::Aborted => ReleaseStatus::Aborted,
        Stage::Ended | Stage::Deleted => state.status,
        Stage::Active if state.paused => ReleaseStatus::OnHold,
        Stage::Active => match busy(&state.counts) {
            Busy::Working | Busy::Idle => ReleaseStatus::Running,
            Busy::WaitingForPeople => ReleaseStatus::OnHold,
        },
    };
}

/// What a set of activities is doing, as far as roll-up cares.
enum Busy {
    /// Something is queued or running.
    Working,
    /// Nothing runs; something waits for a person.
    WaitingForPeople,
    /// Nothing runs and nobody is asked (the next `advance` starts or ends something).
    Idle,
}

fn busy(c: &[u32; 10]) -> Busy {
    if c[ActivityStatus::Queued.index()] + c[ActivityStatus::Running.index()] > 0 {
        Busy::Working
    } else if c[ActivityStatus::WaitingForInput.index()] + c[ActivityStatus::OnHold.index()] > 0 {
        Busy::WaitingForPeople
    } else {
        Busy::Idle
    }
}

//! `evolve(state, event)`: applies one event to a release's state. Pure and deterministic; every
//! cost is proportional to the nodes the event touches (plus their neighbours), except for the rare
//! whole-release events (abort, restart).
//!
//! The arms live by concern: [`lifecycle`] (the release as a whole), [`nodes`] (phases and
//! activities starting, waiting and ending), [`rollup`] (the per-status counters and the statuses
//! rolled up from them). While [`super::step`] applies events it also collects their effects
//! (jobs, children, the parent report) through an [`EffectSink`]; replay passes
//! [`super::step::NoEffects`].

mod amend;
mod lifecycle;
mod nodes;
mod rollup;

use super::step::{EffectSink, NoEffects};
use super::{Event, EventKind, ReleaseState, TimerKey};

/// Applies `event` to `state`. Events must come in sequence (`event.seq == state.seq + 1`); the
/// engine guarantees it, and replaying a release's log through `evolve` reproduces its state.
pub fn evolve(state: &mut ReleaseState, event: &Event) {
    apply(state, event, &mut NoEffects);
}

/// [`evolve`], reporting the effects of the event to `sink`.
pub(crate) fn apply<S: EffectSink>(state: &mut ReleaseState, event: &Event, sink: &mut S) {
    state.seq = event.seq;
    state.updated_at = Some(event.at);
    match &event.kind {
        EventKind::Created { .. }
        | EventKind::Updated { .. }
        | EventKind::Deleted
        | EventKind::Scheduled { .. }
        | EventKind::Activated { .. }
        | EventKind::Paused
        | EventKind::Resumed
        | EventKind::Aborted
        | EventKind::Restarted { .. }
        | EventKind::Archived
        | EventKind::Halted { .. }
        | EventKind::RollbackStarted
        | EventKind::RiskAssessed { .. }
        | EventKind::Ended { .. } => lifecycle::apply(state, event, sink),
        EventKind::TimerFired { timer, .. } => {
            state.timers.remove(timer);
            // A fired not_before makes its node ready again; starting it is up to `decide`.
            match timer {
                TimerKey::PhaseNotBefore { phase } => {
                    let p = nodes::phase_ix(state, phase);
                    state.ready.insert((p, None));
                }
                TimerKey::ActivityNotBefore { target } => {
                    let (p, a) = nodes::activity_ix(state, target);
                    state.ready.insert((p, Some(a)));
                }
                TimerKey::Timeout { target, attempt } => nodes::timed_out(state, target, *attempt, sink),
                _ => {}
            }
        }
        EventKind::Rewound { .. }
        | EventKind::ActivityInserted { .. }
        | EventKind::ApproversReassigned { .. }
        | EventKind::ApprovalDelegated { .. }
        | EventKind::PhaseRescheduled { .. } => amend::apply(state, event, sink),
        EventKind::LocksRequested { .. } | EventKind::LocksAcquired { .. } | EventKind::LocksReleased { .. } => {
            apply_lock_event(state, event, sink)
        }
        _ => nodes::apply(state, event, sink),
    }
    rollup::refresh_release(state);
}

/// A lock event: claims added (waiting), granted, or removed ([`super::locks`]).
fn apply_lock_event<S: EffectSink>(state: &mut ReleaseState, event: &Event, sink: &mut S) {
    use super::locks::LockClaim;
    match &event.kind {
        EventKind::LocksRequested { request, locks } => {
            for w in locks {
                let mut together: Vec<String> =
                    locks.iter().filter(|o| o.name != w.name).map(|o| o.name.clone()).collect();
                together.sort();
                together.dedup();
                let claim = LockClaim {
                    together,
                    name: w.name.clone(),
                    node: w.node.clone(),
                    request: request.clone(),
                    capacity: w.capacity,
                    priority: w.priority,
                    requested_at: event.at,
                    held_since: w.held.then_some(event.at),
                };
                sink.lock_requested(&claim);
                state.locks.push(claim);
            }
        }
        EventKind::LocksAcquired { request, locks } => {
            for c in state.locks.iter_mut().filter(|c| c.waits_for(request)) {
                if locks.contains(&c.name) {
                    c.held_since = Some(event.at);
                    sink.lock_acquired(c);
                }
            }
        }
        EventKind::LocksReleased { locks } => {
            state.locks.retain(|c| !locks.iter().any(|k| k.name == c.name && k.node == c.node));
            for k in locks {
                sink.lock_released(k);
            }
        }
        _ => {}
    }
}

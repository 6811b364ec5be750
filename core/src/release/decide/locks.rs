//! Decisions about locks (the rules are in [`crate::release::locks`]): granting and refusing a
//! waiting request, and letting go of what nothing needs any more.

use super::Out;
use super::activities::{fail_activity, halt_if_critical};
use crate::release::locks::{LockClaim, LockNode, unneeded};
use crate::release::{EventKind, PhaseStatus, ReleaseState};
use crate::{Error, Result, limits};
use indexmap::IndexMap;

/// The engine grants `request`: every lock it waits for is now held. A request that is not
/// waiting (granted already, given up) changes nothing.
pub(super) fn grant(state: &ReleaseState, request: &LockNode, out: &mut Out<'_>) {
    let names: Vec<String> = state.locks.iter().filter(|c| c.waits_for(request)).map(|c| c.name.clone()).collect();
    if !names.is_empty() {
        out.push(EventKind::LocksAcquired { request: request.clone(), locks: names });
    }
}

/// The engine refuses `request` (it would close a deadlock): its waiting locks are given up and
/// the node fails with `reason` (an activity then follows its `on_failure`; a phase fails).
pub(super) fn refuse(state: &ReleaseState, request: &LockNode, reason: &str, out: &mut Out<'_>) -> Result<()> {
    let waiting: Vec<_> = state.locks.iter().filter(|c| c.waits_for(request)).map(LockClaim::key).collect();
    if waiting.is_empty() {
        return Err(Error::Conflict { message: format!("{request} is not waiting for locks") });
    }
    out.push(EventKind::LocksReleased { locks: waiting });
    let plan = state.plan();
    let p = plan
        .phase_index(&request.phase)
        .ok_or_else(|| Error::Conflict { message: format!("phase `{}` is not in this release", request.phase) })?;
    let message = limits::cut_message(format!("lock_deadlock: {reason}"));
    match &request.activity {
        Some(id) => {
            let a = plan.phases[p]
                .activity_index(id)
                .ok_or_else(|| Error::Conflict { message: format!("activity `{request}` is not in this release") })?;
            fail_activity(state, p, a, message, false, out);
        }
        None => {
            let ended = EventKind::PhaseEnded {
                phase: request.phase.clone(),
                status: PhaseStatus::Failed,
                outputs: IndexMap::new(),
            };
            out.push_with_comment(ended, Some(message));
            halt_if_critical(state, p, false, out);
        }
    }
    Ok(())
}

/// Lets go of the locks nothing needs any more (one `locks_released`); true if there were any.
pub(super) fn release_unneeded(state: &ReleaseState, out: &mut Out<'_>) -> bool {
    if state.locks.is_empty() {
        return false;
    }
    let locks = unneeded(state);
    if locks.is_empty() {
        return false;
    }
    out.push(EventKind::LocksReleased { locks });
    true
}

//! A due timer fires: activation, `not_before`, the end of a wait, a timeout, a retry backoff, the
//! end of a freeze, an approval deadline or reminder. The `timer_fired` event records when the
//! timer was due; it is stamped with the time it actually fired.

use super::activities::{fail_activity, start_activity};
use super::lifecycle::global_variables;
use super::{Out, locate, secs};
use crate::model::DeadlineAction;
use crate::release::state::Stage;
use crate::release::{ActivityStatus, EventKind, ReleaseState, SkipReason, TimerKey};
use crate::{Error, Result};
use indexmap::IndexMap;

pub(super) fn fire(state: &ReleaseState, timer: &TimerKey, out: &mut Out<'_>) -> Result<()> {
    let Some(due) = state.timers.get(timer).copied() else {
        return Err(Error::Conflict {
            message: format!("timer {timer:?} of release {} already fired or was cancelled", state.id),
        });
    };
    out.push(EventKind::TimerFired { timer: timer.clone(), due: Some(due) });
    let now = out.now();
    match timer {
        TimerKey::Activation => {
            if state.stage == Stage::Scheduled {
                // The clock cannot be refused: a variable that cannot be evaluated stays out, and
                // the expressions that use it fail their activity with `expression_error`.
                let variables = global_variables(state).unwrap_or_default();
                out.push(EventKind::Activated { early: false, forced: false, variables });
            }
        }
        // A risk check only records that it fired: `step` assesses the risk after every command.
        TimerKey::PhaseNotBefore { .. }
        | TimerKey::ActivityNotBefore { .. }
        | TimerKey::PhaseOverdue { .. }
        | TimerKey::RiskCheck => {}
        TimerKey::Wait { target } => {
            let (p, a) = locate(state, target)?;
            if state.phases[p].activities[a].status == ActivityStatus::Running {
                out.push(EventKind::ActivitySucceeded { target: target.clone(), outputs: IndexMap::new() });
            }
        }
        TimerKey::Timeout { target, attempt } => {
            let (p, a) = locate(state, target)?;
            let act = &state.phases[p].activities[a];
            if act.attempt == *attempt && act.status.is_in_flight() {
                let limit = state.plan().activity_def(p, a).timeout.as_ref().map(|t| t.to_string()).unwrap_or_default();
                fail_activity(state, p, a, format!("timed out after {limit}"), true, out);
            }
        }
        TimerKey::Retry { target, attempt } => {
            let (p, a) = locate(state, target)?;
            if state.phases[p].activities[a].status == ActivityStatus::Queued {
                resume_queued(state, p, a, *attempt, out);
            }
        }
        TimerKey::FreezeEnd { target } => {
            let (p, a) = locate(state, target)?;
            let act = &state.phases[p].activities[a];
            if act.status == ActivityStatus::Queued && act.job_id.is_none() {
                resume_queued(state, p, a, act.attempt, out);
            }
        }
        TimerKey::Deadline { target } => {
            let (p, a) = locate(state, target)?;
            if state.phases[p].activities[a].status == ActivityStatus::WaitingForInput {
                match state.plan().activity_def(p, a).on_deadline {
                    Some(DeadlineAction::Escalate) => out.push(EventKind::ApprovalEscalated { target: target.clone() }),
                    _ => fail_activity(state, p, a, "the deadline passed before enough approvals".into(), false, out),
                }
            }
        }
        TimerKey::Reminder { target } => {
            let (p, a) = locate(state, target)?;
            if state.phases[p].activities[a].status == ActivityStatus::WaitingForInput {
                let every = state.plan().activity_def(p, a).remind_every.as_ref().map(|r| r.as_secs()).unwrap_or(0);
                let next = (every > 0).then(|| now + secs(every));
                out.push(EventKind::ApprovalReminded { target: target.clone(), next });
            }
        }
    }
    Ok(())
}

/// A queued activity whose wait ended (retry backoff, freeze): it starts `attempt`, unless a
/// critical failure halted the release meanwhile (then it is skipped).
fn resume_queued(state: &ReleaseState, p: usize, a: usize, attempt: u32, out: &mut Out<'_>) {
    if state.halted && !state.plan().phases[p].rollback {
        let target = super::activity_ref(state, p, a);
        out.push(EventKind::ActivitySkipped { target, reason: SkipReason::ReleaseFailed });
    } else {
        let overrides = state.phases[p].activities[a].input_overrides.clone();
        start_activity(state, p, a, attempt, &overrides, out);
    }
}

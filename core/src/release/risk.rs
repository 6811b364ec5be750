//! Release risk: whether a running release is expected to end after its planned end
//! (`schedule.end`), worked out by [`crate::report::forecast_with`] from its phases and the median
//! phase lengths of earlier releases of its process. Pure: the history and the time are given.
//!
//! # The rules
//!
//! * Only a release with a planned end that is running (or on hold) is assessed. [`super::step`]
//!   assesses it after a command whose events change what the forecast reads: the release
//!   starting, resuming or restarting, a phase starting, ending or being skipped, a halt, the
//!   rollback starting, an amendment (rewind, inserted activity, rescheduled phase), and its own
//!   `risk_check` timer. The engine hands `step` the history ([`super::Ctx::phase_history`]);
//!   without it nothing is assessed.
//! * **At risk** means the expected end is after the planned end. The assessment also works out
//!   **when it would turn at risk** if nothing else happened (time passing makes a running phase
//!   longer once it runs past its expected length): the earliest second at which the forecast's
//!   expected end passes the planned end (in whole seconds from now). The forecast's expected end never decreases as time
//!   passes, so that moment is found by bisection; a `risk_check` timer is set for it.
//! * A `risk_assessed` event is recorded only when the flag changes, or when the moment it would
//!   turn at risk moves earlier than the timer already set (a timer that fires too early only
//!   assesses again and sets the next one). So a release that runs to plan records none, and one
//!   that turns at risk records one (and `release_at_risk` notifies its people and stakeholders
//!   once per turn).
//! * The flag ([`super::ReleaseState::at_risk`]) keeps the last assessment after the release
//!   ended; the timer goes with the release's other timers.

use super::{Event, EventKind, ReleaseState, Stage, TimerKey};
use crate::Timestamp;
use crate::report::PhaseHistory;
use crate::report::forecast::expected_end_at;

/// The result of assessing one release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskAssessment {
    /// Whether the expected end is after the planned end.
    pub at_risk: bool,
    /// The expected end, when it is known.
    pub expected_end: Option<Timestamp>,
    /// The planned end.
    pub planned_end: Timestamp,
    /// When it turns at risk if nothing else happens (`None` when it is at risk already, or never
    /// would be).
    pub check_at: Option<Timestamp>,
}

/// Assesses `state` at `now` with `medians` (the phase history of its process): `None` for a
/// release that has no planned end or is not running.
pub fn assess(state: &ReleaseState, medians: &PhaseHistory, now: Timestamp) -> Option<RiskAssessment> {
    let planned_end = state.schedule.as_ref()?.end?;
    if state.stage != Stage::Active {
        return None;
    }
    let late = |t: Timestamp| expected_end_at(state, medians, t).is_some_and(|e| e > planned_end);
    let expected_end = expected_end_at(state, medians, now);
    let at_risk = expected_end.is_some_and(|e| e > planned_end);
    let check_at = if at_risk { None } else { turns_late_at(now, planned_end, late) };
    Some(RiskAssessment { at_risk, expected_end, planned_end, check_at })
}

/// `now` plus the fewest whole seconds at which `late` holds, given that it does not hold at
/// `now` and never stops holding once it does; `None` when it does not hold a second after the
/// planned end either (every phase is done, or takes no time).
fn turns_late_at(now: Timestamp, planned_end: Timestamp, late: impl Fn(Timestamp) -> bool) -> Option<Timestamp> {
    let at = |secs: i64| now + chrono::Duration::seconds(secs);
    let mut hi = (planned_end - now).num_seconds().max(0) + 1;
    if !late(at(hi)) {
        return None;
    }
    let mut lo = 0;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if late(at(mid)) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(at(hi))
}

/// Whether `events` change what the forecast of their release reads (see the [module docs](self)).
pub(crate) fn changes_forecast(events: &[Event]) -> bool {
    events.iter().any(|e| match &e.kind {
        EventKind::Activated { .. }
        | EventKind::Resumed
        | EventKind::Restarted { .. }
        | EventKind::PhaseStarted { .. }
        | EventKind::PhaseEnded { .. }
        | EventKind::PhaseSkipped { .. }
        | EventKind::Halted { .. }
        | EventKind::RollbackStarted
        | EventKind::Rewound { .. }
        | EventKind::ActivityInserted { .. }
        | EventKind::PhaseRescheduled { .. } => true,
        EventKind::TimerFired { timer, .. } => *timer == TimerKey::RiskCheck,
        _ => false,
    })
}

/// The `risk_assessed` event `assessment` calls for in `state`, if any (the flag changed, or the
/// moment it turns at risk moved earlier than the timer set).
pub(crate) fn risk_event(state: &ReleaseState, assessment: &RiskAssessment) -> Option<EventKind> {
    let timer = state.timers.get(&TimerKey::RiskCheck).copied();
    let earlier = assessment.check_at.is_some_and(|c| timer.is_none_or(|t| c < t));
    let record = assessment.at_risk != state.at_risk || (!assessment.at_risk && earlier);
    record.then_some(EventKind::RiskAssessed {
        at_risk: assessment.at_risk,
        expected_end: assessment.expected_end,
        planned_end: assessment.planned_end,
        check_at: assessment.check_at,
    })
}

#[cfg(test)]
#[path = "risk_tests.rs"]
mod tests;

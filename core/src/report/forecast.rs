//! The forecast of a release ([`forecast`]): when it is expected to end, from what already
//! happened, the history of earlier releases of the same process and the planned phase durations,
//! along the critical path of its phases.
//!
//! Pure: it reads the release's state, the earlier releases' states and the time it is given
//! (`now`), never the clock or the store. The rules:
//!
//! * **A phase that ended** (success, failed, skipped, aborted) has its actual start and end
//!   (basis `actual`; a skipped phase that never started starts when it ended).
//! * **The expected length of a phase** that has not ended is, in this order: the median of the
//!   lengths of the same phase (by id) in the earlier releases, when at least
//!   [`MIN_HISTORY_RUNS`] of them ran it to `success` (basis `history`); else the phase's planned
//!   `duration` (basis `planned`); else 0 (basis `none`: nothing is known about it).
//! * **A running phase** ends at its start plus its expected length, or now if that is already
//!   past (it has not ended yet, so it ends no earlier than now).
//! * **A pending phase** starts at the latest of: now, the release's start (its activation, else
//!   its scheduled start), the expected ends of the phases it depends on, and its `not_before`
//!   (the rescheduled time, or the definition's offset from the release start); it ends at that
//!   start plus its expected length. A pending phase that will be skipped (a dependency failed,
//!   or a critical failure halted the release) takes no time (basis `none`).
//! * Rollback phases count only once they started or the release is rolling back.
//! * **The expected end** of a release that ended is its end; otherwise the latest expected end of
//!   its phases. The **critical path** is the chain of phases that leads to it: from the phase
//!   that ends last, back through the dependency that ends latest, to a phase without one.
//! * **At risk**: the expected end is after the release's planned end (`schedule.end`); a release
//!   without a planned end is never at risk.
//!
//! History is given by the caller; [`crate::Engine::forecast`] passes the last
//! [`HISTORY_RELEASES`] releases of the same process (any version) that ended.

use crate::Timestamp;
use crate::release::{PhaseStatus, ReleaseState, Stage};
use serde::Serialize;
use std::collections::HashMap;

/// How many earlier runs of a phase make its history count (at least one).
pub const MIN_HISTORY_RUNS: usize = 1;

/// How many of the most recently ended releases of the same process the engine reads as history.
pub const HISTORY_RELEASES: usize = 20;

/// Where an estimate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// What happened: the phase ended.
    Actual,
    /// The median of earlier releases.
    History,
    /// The phase's planned `duration`.
    Planned,
    /// Nothing is known: the phase counts as taking no time.
    None,
}

impl Basis {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Actual => "actual",
            Basis::History => "history",
            Basis::Planned => "planned",
            Basis::None => "none",
        }
    }
}

/// The forecast of one release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Release id.
    pub release_id: String,
    /// The time the forecast was made for.
    pub at: Timestamp,
    /// When the release is expected to end (`None` for a release without phases to run).
    pub expected_end: Option<Timestamp>,
    /// The release's planned end (`schedule.end`), if it has one.
    pub planned_end: Option<Timestamp>,
    /// Whether the expected end is after the planned end.
    pub at_risk: bool,
    /// `expected_end - planned_end` in seconds, when both are known (positive: late).
    pub late_secs: Option<i64>,
    /// The phase ids of the critical path, first to last.
    pub critical_path: Vec<String>,
    /// Every phase, in plan order.
    pub phases: Vec<PhaseForecast>,
}

/// The forecast of one phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseForecast {
    /// Phase id.
    pub id: String,
    /// Its status now.
    pub status: PhaseStatus,
    /// Where its length comes from.
    pub basis: Basis,
    /// Its expected (or, when it ended, actual) length in seconds, when it counts.
    pub expected_secs: Option<i64>,
    /// Its planned length (`duration`), if it has one.
    pub planned_secs: Option<i64>,
    /// How many earlier releases ran it to success.
    pub history_runs: u32,
    /// When it starts (or started).
    pub expected_start: Option<Timestamp>,
    /// When it ends (or ended).
    pub expected_end: Option<Timestamp>,
    /// Whether it is on the critical path.
    pub critical: bool,
}

/// The median length of each phase id, in seconds, with the number of runs it is the median of:
/// what [`phase_history`] returns and [`forecast_with`] reads.
pub type PhaseHistory = HashMap<String, (i64, u32)>;

/// The median length of each phase id, in seconds, over the releases of `history` of the same
/// process as `state` (other than `state` itself) that ran it to success, with the number of runs.
pub fn phase_history(state: &ReleaseState, history: &[ReleaseState]) -> PhaseHistory {
    phase_history_of(&state.process_id, Some(&state.id), history)
}

/// [`phase_history`] over the releases of `history` of process `process_id` (other than
/// `except`).
pub fn phase_history_of(process_id: &str, except: Option<&str>, history: &[ReleaseState]) -> PhaseHistory {
    let mut samples: HashMap<&str, Vec<i64>> = HashMap::new();
    for earlier in history.iter().filter(|h| h.process_id == process_id && Some(h.id.as_str()) != except) {
        for ph in &earlier.phases {
            if ph.status != PhaseStatus::Success {
                continue;
            }
            if let (Some(s), Some(e)) = (ph.started_at, ph.ended_at) {
                samples.entry(ph.id.as_str()).or_default().push((e - s).num_seconds());
            }
        }
    }
    samples
        .into_iter()
        .filter(|(_, v)| v.len() >= MIN_HISTORY_RUNS)
        .filter_map(|(id, v)| {
            let n = v.len() as u32;
            Some((id.to_string(), (super::dora::median(v)?, n)))
        })
        .collect()
}

/// The forecast of `state` at `now`, with `history` (earlier releases; see the [module docs](self)).
pub fn forecast(state: &ReleaseState, history: &[ReleaseState], now: Timestamp) -> Forecast {
    forecast_with(state, &phase_history(state, history), now)
}

/// [`forecast`] with the phase medians of the history already worked out ([`phase_history`]).
pub fn forecast_with(state: &ReleaseState, medians: &PhaseHistory, now: Timestamp) -> Forecast {
    let plan = state.plan();
    let estimates = estimate(state, medians, now);
    let n = state.phases.len();
    let mut out: Vec<PhaseForecast> = (0..n)
        .map(|p| {
            let ph = &state.phases[p];
            let e = &estimates[p];
            PhaseForecast {
                id: ph.id.clone(),
                status: ph.status,
                basis: e.basis,
                expected_secs: e.secs,
                planned_secs: planned_secs(state, p),
                history_runs: medians.get(&ph.id).map(|m| m.1).unwrap_or(0),
                expected_start: e.start,
                expected_end: e.end,
                critical: false,
            }
        })
        .collect();
    let last = last_to_end(&estimates);
    let mut path = Vec::new();
    let mut at = last;
    while let Some(p) = at {
        out[p].critical = true;
        path.push(out[p].id.clone());
        at = plan.phases[p]
            .deps
            .iter()
            .copied()
            .filter(|&d| out[d].expected_end.is_some() && !out[d].critical)
            .max_by_key(|&d| (out[d].expected_end, n - d));
    }
    path.reverse();
    let expected_end = expected_end_of(state, &estimates);
    let planned_end = state.schedule.as_ref().and_then(|s| s.end);
    let late_secs = expected_end.zip(planned_end).map(|(e, p)| (e - p).num_seconds());
    Forecast {
        release_id: state.id.clone(),
        at: now,
        expected_end,
        planned_end,
        at_risk: late_secs.is_some_and(|l| l > 0),
        late_secs,
        critical_path: path,
        phases: out,
    }
}

/// The expected end of `state` at `now` alone (what [`forecast_with`] gives as `expected_end`,
/// without building the phase list): what the risk assessment asks many times.
pub fn expected_end_at(state: &ReleaseState, medians: &PhaseHistory, now: Timestamp) -> Option<Timestamp> {
    expected_end_of(state, &estimate(state, medians, now))
}

/// One phase's estimate: where its length comes from, the length, its start and its end.
struct Estimate {
    basis: Basis,
    secs: Option<i64>,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

fn planned_secs(state: &ReleaseState, p: usize) -> Option<i64> {
    state.plan().phase_def(p).duration.as_ref().map(|d| d.as_secs() as i64)
}

/// The phase that ends last (the first in plan order among equals).
fn last_to_end(estimates: &[Estimate]) -> Option<usize> {
    let n = estimates.len();
    (0..n).filter(|&p| estimates[p].end.is_some()).max_by_key(|&p| (estimates[p].end, n - p))
}

fn expected_end_of(state: &ReleaseState, estimates: &[Estimate]) -> Option<Timestamp> {
    if matches!(state.stage, Stage::Ended | Stage::Aborted) {
        state.ended_at
    } else {
        last_to_end(estimates).and_then(|p| estimates[p].end)
    }
}

/// The estimate of every phase, in plan order (the rules of the [module docs](self)).
fn estimate(state: &ReleaseState, medians: &PhaseHistory, now: Timestamp) -> Vec<Estimate> {
    let plan = state.plan();
    let ended = matches!(state.stage, Stage::Ended | Stage::Aborted);
    let anchor = state.started_at.or(state.schedule.as_ref().map(|s| s.start)).unwrap_or(now);
    let n = state.phases.len();
    let counts = |p: usize| p < plan.regular || state.rolling_back || state.phases[p].started_at.is_some();
    let mut out: Vec<Estimate> =
        (0..n).map(|_| Estimate { basis: Basis::None, secs: None, start: None, end: None }).collect();
    for p in topological(state) {
        if !counts(p) {
            continue;
        }
        let ph = &state.phases[p];
        let deps_end = plan.phases[p].deps.iter().filter_map(|&d| out[d].end).max();
        let estimate = match (medians.get(&ph.id), planned_secs(state, p)) {
            (Some((median, _)), _) => (Basis::History, *median),
            (None, Some(planned)) => (Basis::Planned, planned),
            (None, None) => (Basis::None, 0),
        };
        let f = &mut out[p];
        if let Some(end) = ph.ended_at {
            let start = ph.started_at.unwrap_or(end);
            (f.basis, f.start, f.end) = (Basis::Actual, Some(start), Some(end));
            f.secs = Some((end - start).num_seconds());
        } else if ended {
            // The release ended and this phase never will: it does not count.
        } else if let Some(start) = ph.started_at {
            let end = (start + chrono::Duration::seconds(estimate.1)).max(now);
            (f.basis, f.start, f.end, f.secs) = (estimate.0, Some(start), Some(end), Some(estimate.1));
        } else if ph.blocked || (state.halted && p < plan.regular) {
            let at = deps_end.unwrap_or(anchor).max(now);
            (f.start, f.end, f.secs) = (Some(at), Some(at), Some(0));
        } else {
            let not_before = ph.rescheduled.or(ph.not_before).or_else(|| {
                plan.phase_def(p).not_before.as_ref().map(|d| anchor + chrono::Duration::seconds(d.as_secs() as i64))
            });
            let start = [Some(now), Some(anchor), deps_end, not_before].into_iter().flatten().max().unwrap_or(now);
            let end = start + chrono::Duration::seconds(estimate.1);
            (f.basis, f.start, f.end, f.secs) = (estimate.0, Some(start), Some(end), Some(estimate.1));
        }
    }
    out
}

/// The phases in an order where each comes after its dependencies (the plan is acyclic; a phase
/// caught in a cycle, which validation refuses, is left out).
fn topological(state: &ReleaseState) -> Vec<usize> {
    let plan = state.plan();
    let mut missing: Vec<usize> = plan.phases.iter().map(|p| p.deps.len()).collect();
    let mut order: Vec<usize> = (0..plan.phases.len()).filter(|&p| missing[p] == 0).collect();
    let mut i = 0;
    while i < order.len() {
        for &d in &plan.phases[order[i]].dependents {
            missing[d] -= 1;
            if missing[d] == 0 {
                order.push(d);
            }
        }
        i += 1;
    }
    order
}

#[cfg(test)]
#[path = "forecast_tests.rs"]
mod tests;

//! Reports over a time window: planned against actual per phase and activity, approval wait
//! times, retries, ignores and aborts with their reasons, and the DORA figures ([`dora`]).
//!
//! Pure: [`report`] reads only what it is given (the releases' states and events, the window,
//! the hotfix window and the input that holds a commit time) and never the clock or the store;
//! the engine loads the data and passes it in. Durations are whole seconds.
//!
//! A release belongs to a report when it ended inside `[from, to)` (a release still running is
//! left out: its figures are not known yet), and, with a `group`, when it belongs to that group.
//!
//! [`export`] lays a report out as tables for spreadsheets: CSV ([`Report::to_csv`]) and an xlsx
//! workbook ([`Report::to_xlsx`], feature `xlsx`, on by default).

pub mod dora;
pub mod export;
mod fields;
pub mod forecast;
#[cfg(feature = "xlsx")]
mod xlsx;

use crate::Timestamp;
use crate::release::{AfterFailure, Decision, Event, EventKind, ReleaseKind, ReleaseState, ReleaseStatus};
use serde::Serialize;

pub use dora::Dora;
pub use export::{Cell, ReportTable};
pub use forecast::{Basis, Forecast, PhaseForecast, PhaseHistory, forecast, forecast_with};

/// What a report is computed from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Start of the window (inclusive).
    pub from: Timestamp,
    /// End of the window (exclusive).
    pub to: Timestamp,
    /// Only releases of this release group.
    pub group: Option<&'a str>,
    /// Every candidate release with its events (releases outside the window are skipped).
    pub releases: &'a [(ReleaseState, Vec<Event>)],
    /// A release counts as a failed change when a hotfix release was created within this many
    /// seconds after it ended.
    pub hotfix_window_secs: i64,
    /// The input holding the time of the commit a release ships (RFC 3339), for the lead time.
    pub commit_time_input: &'a str,
}

/// A report over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Start of the window.
    pub from: Timestamp,
    /// End of the window.
    pub to: Timestamp,
    /// The release group, if the report is about one.
    pub group: Option<String>,
    /// The releases that ended in the window, by end time.
    pub releases: Vec<ReleaseReport>,
    /// The DORA figures of those releases.
    pub dora: Dora,
}

/// One release in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseReport {
    /// Release id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: ReleaseKind,
    /// How it ended.
    pub status: ReleaseStatus,
    /// Whether its rollback phases ran.
    pub rolled_back: bool,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// Its phases, in plan order.
    pub phases: Vec<PhaseReport>,
    /// How long each approval waited for its decision.
    pub approvals: Vec<ApprovalWait>,
    /// Retries, ignores, failures decided by people and aborts, with their reasons.
    pub decisions: Vec<DecisionRecord>,
}

/// A phase: planned against actual.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseReport {
    /// Phase id.
    pub id: String,
    /// How it ended.
    pub status: String,
    /// Its planned length (`duration`), if it has one.
    pub planned_secs: Option<i64>,
    /// How long it ran (start to end), if it ran.
    pub actual_secs: Option<i64>,
    /// `actual - planned`, when both are known (positive: late).
    pub overrun_secs: Option<i64>,
    /// Its activities, in plan order.
    pub activities: Vec<ActivityReport>,
}

/// An activity: how long it took and how many attempts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityReport {
    /// Activity id.
    pub id: String,
    /// How it ended.
    pub status: String,
    /// How long it ran (start of its first attempt to its end), if it ran.
    pub actual_secs: Option<i64>,
    /// Its attempts (1 for one that ran once).
    pub attempts: u32,
}

/// How long an approval waited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalWait {
    /// Phase id.
    pub phase_id: String,
    /// Activity id.
    pub activity_id: String,
    /// From opening to the decision (or to the end of the release), in seconds.
    pub waited_secs: i64,
}

/// A retry, ignore, failure decided by a person, or abort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecord {
    /// `retry` (by a person), `auto_retry`, `ignore`, `fail` or `abort`.
    pub what: &'static str,
    /// `phase/activity` (empty for an abort).
    pub target: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: Timestamp,
    /// The reason given (the comment, or the failure message of an automatic retry).
    pub reason: Option<String>,
}

/// Whether a release ended in the window and belongs to the group.
pub(crate) fn in_window(state: &ReleaseState, input: &ReportInput<'_>) -> bool {
    let ended = state.ended_at.is_some_and(|at| at >= input.from && at < input.to);
    ended && input.group.is_none_or(|g| state.group.as_deref() == Some(g))
}

/// The report of `input`.
pub fn report(input: &ReportInput<'_>) -> Report {
    let mut chosen: Vec<&(ReleaseState, Vec<Event>)> =
        input.releases.iter().filter(|(s, _)| in_window(s, input)).collect();
    chosen.sort_by(|a, b| (a.0.ended_at, &a.0.id).cmp(&(b.0.ended_at, &b.0.id)));
    Report {
        from: input.from,
        to: input.to,
        group: input.group.map(str::to_string),
        releases: chosen.iter().map(|(s, e)| release_report(s, e)).collect(),
        dora: dora::figures(input),
    }
}

fn secs_between(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<i64> {
    Some((b? - a?).num_seconds())
}

fn release_report(state: &ReleaseState, events: &[Event]) -> ReleaseReport {
    let plan = state.plan();
    let phases = state
        .phases
        .iter()
        .enumerate()
        .map(|(p, ph)| {
            let planned = plan.phase_def(p).duration.as_ref().map(|d| d.as_secs() as i64);
            let actual = secs_between(ph.started_at, ph.ended_at);
            PhaseReport {
                id: ph.id.clone(),
                status: ph.status.as_str().to_string(),
                planned_secs: planned,
                actual_secs: actual,
                overrun_secs: planned.zip(actual).map(|(p, a)| a - p),
                activities: ph
                    .activities
                    .iter()
                    .map(|a| ActivityReport {
                        id: a.id.clone(),
                        status: a.status.as_str().to_string(),
                        actual_secs: secs_between(first_start(events, &ph.id, &a.id), a.ended_at),
                        attempts: if a.started_at.is_some() { a.attempt + 1 } else { 0 },
                    })
                    .collect(),
            }
        })
        .collect();
    ReleaseReport {
        id: state.id.clone(),
        name: state.name.clone(),
        kind: state.kind,
        status: state.status,
        rolled_back: state.rolled_back,
        started_at: state.started_at,
        ended_at: state.ended_at,
        phases,
        approvals: approval_waits(state, events),
        decisions: decisions(events),
    }
}

/// When an activity first started (its first `activity_started`, `activity_waiting` or
/// `subprocess_started`).
fn first_start(events: &[Event], phase: &str, activity: &str) -> Option<Timestamp> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::ActivityStarted { target, .. }
        | EventKind::ActivityWaiting { target, .. }
        | EventKind::SubprocessStarted { target, .. }
        | EventKind::ActivityQueued { target, .. }
            if target.phase == phase && target.activity == activity =>
        {
            Some(e.at)
        }
        _ => None,
    })
}

/// For each approval that opened: from opening to its decision (success, failure or skip), or to
/// the end of the release.
fn approval_waits(state: &ReleaseState, events: &[Event]) -> Vec<ApprovalWait> {
    let plan = state.plan();
    let mut out = Vec::new();
    for (p, ph) in state.phases.iter().enumerate() {
        for (a, act) in ph.activities.iter().enumerate() {
            if plan.activity_def(p, a).kind != crate::model::ActivityKind::Approval {
                continue;
            }
            let Some(opened) = first_start(events, &ph.id, &act.id) else { continue };
            let decided = act.ended_at.or(state.ended_at);
            if let Some(waited) = secs_between(Some(opened), decided) {
                out.push(ApprovalWait { phase_id: ph.id.clone(), activity_id: act.id.clone(), waited_secs: waited });
            }
        }
    }
    out
}

fn decisions(events: &[Event]) -> Vec<DecisionRecord> {
    let record = |what, target: String, e: &Event, reason: Option<String>| DecisionRecord {
        what,
        target,
        actor: e.actor.clone(),
        at: e.at,
        reason,
    };
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ActivityDecided { target, decision } => {
                let what = match decision {
                    Decision::Retry { .. } => "retry",
                    Decision::Ignore { .. } => "ignore",
                    Decision::Fail => "fail",
                };
                Some(record(what, target.to_string(), e, e.comment.clone()))
            }
            EventKind::ActivityFailed { target, message, after: AfterFailure::Retry { .. }, .. } => {
                Some(record("auto_retry", target.to_string(), e, Some(message.clone())))
            }
            EventKind::Aborted => Some(record("abort", String::new(), e, e.comment.clone())),
            _ => None,
        })
        .collect()
}

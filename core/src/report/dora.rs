//! The DORA figures of the releases that ended in a report's window:
//!
//! * **deployment frequency**: releases that ended `success` or `partial_success`, per week of
//!   the window;
//! * **lead time**: for those that hold a commit time (the input named by
//!   [`super::ReportInput::commit_time_input`], RFC 3339), the median from the commit to the end;
//! * **change failure rate**: the share of ended releases (aborted ones are not changes) that
//!   failed, were rolled back, or were followed by a hotfix release created within the hotfix
//!   window after they ended;
//! * **time to restore**: for each failed change, from its end to the end of the next release
//!   that ended `success` after it (any kind, any group); the median.
//!
//! Pure, like the rest of [`super`].

use super::{ReportInput, in_window};
use crate::Timestamp;
use crate::release::{ReleaseKind, ReleaseState, ReleaseStatus};
use serde::Serialize;

/// The DORA figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dora {
    /// Releases that ended `success` or `partial_success` in the window.
    pub deployments: u32,
    /// `deployments` per week of the window.
    pub deployments_per_week: f64,
    /// The median lead time (commit to end) in seconds, over deployments with a commit time.
    pub lead_time_secs: Option<i64>,
    /// Ended releases (not aborted) in the window.
    pub changes: u32,
    /// Of those, the ones that failed, were rolled back, or were followed by a hotfix in time.
    pub failed_changes: u32,
    /// `failed_changes / changes` (`None` without changes).
    pub change_failure_rate: Option<f64>,
    /// The median time to restore in seconds, over failed changes that were restored.
    pub time_to_restore_secs: Option<i64>,
}

fn deployed_ok(s: &ReleaseState) -> bool {
    matches!(s.status, ReleaseStatus::Success | ReleaseStatus::PartialSuccess)
}

/// The median of whole seconds (the mean of the middle two, rounded down, for an even count);
/// `None` for none. Shared by the DORA figures and the forecast.
pub(crate) fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2 })
}

/// Whether `s` (ended at `end`) is a failed change: failed, rolled back, or followed by a hotfix
/// release created within the hotfix window.
fn failed_change(s: &ReleaseState, end: Timestamp, all: &[&ReleaseState], window_secs: i64) -> bool {
    if s.status == ReleaseStatus::Failed || s.rolled_back {
        return true;
    }
    all.iter().any(|h| {
        h.id != s.id
            && h.kind == ReleaseKind::Hotfix
            && h.created_at.is_some_and(|c| c >= end && (c - end).num_seconds() <= window_secs)
    })
}

/// The figures of `input`.
pub fn figures(input: &ReportInput<'_>) -> Dora {
    let all: Vec<&ReleaseState> = input.releases.iter().map(|(s, _)| s).collect();
    let ended: Vec<&ReleaseState> =
        all.iter().copied().filter(|s| in_window(s, input) && s.status != ReleaseStatus::Aborted).collect();
    let deployments: Vec<&ReleaseState> = ended.iter().copied().filter(|s| deployed_ok(s)).collect();
    let weeks = ((input.to - input.from).num_seconds() as f64 / (7.0 * 86_400.0)).max(f64::MIN_POSITIVE);
    let lead_times = deployments
        .iter()
        .filter_map(|s| {
            let commit: Timestamp = s.inputs.get(input.commit_time_input)?.as_str()?.parse().ok()?;
            Some((s.ended_at? - commit).num_seconds())
        })
        .collect();
    let mut failed = 0u32;
    let mut restores = Vec::new();
    for s in &ended {
        let Some(end) = s.ended_at else { continue };
        if !failed_change(s, end, &all, input.hotfix_window_secs) {
            continue;
        }
        failed += 1;
        let restored = all
            .iter()
            .filter(|r| r.id != s.id && r.status == ReleaseStatus::Success)
            .filter_map(|r| r.ended_at.filter(|at| *at > end))
            .min();
        if let Some(at) = restored {
            restores.push((at - end).num_seconds());
        }
    }
    let changes = ended.len() as u32;
    Dora {
        deployments: deployments.len() as u32,
        deployments_per_week: deployments.len() as f64 / weeks,
        lead_time_secs: median(lead_times),
        changes,
        failed_changes: failed,
        change_failure_rate: (changes > 0).then(|| failed as f64 / changes as f64),
        time_to_restore_secs: median(restores),
    }
}

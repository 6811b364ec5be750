//! Release index queries: by status, kind, group, scope, service, environment and time range.

use super::ReleaseRow;
use crate::Timestamp;
use crate::release::{ReleaseKind, ReleaseStatus};

/// A query over release index rows. Every field set narrows the result; the default matches every
/// release that is neither archived nor deleted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseQuery {
    /// Any of these statuses (empty = any status).
    pub statuses: Vec<ReleaseStatus>,
    /// Only this kind.
    pub kind: Option<ReleaseKind>,
    /// Only this release group.
    pub group: Option<String>,
    /// Only this scope (`account`, `org:<id>`).
    pub scope: Option<String>,
    /// Only releases with this value among their `service` inputs.
    pub service: Option<String>,
    /// Only releases with this value among their `environment` inputs.
    pub environment: Option<String>,
    /// Only releases whose window (see [`window_of`]) ends at or after this time.
    pub from: Option<Timestamp>,
    /// Only releases whose window starts at or before this time.
    pub to: Option<Timestamp>,
    /// Only releases that ended at or before this time (retention).
    pub ended_before: Option<Timestamp>,
    /// Include archived releases.
    pub include_archived: bool,
    /// Include deleted (tombstoned) releases.
    pub include_deleted: bool,
    /// At most this many rows (oldest first).
    pub limit: Option<usize>,
}

/// The time window of a release: `(start, end)`. Start: when it started, else its planned start,
/// else when it was created. End: when it ended, else its planned end; a started release that has
/// neither is open-ended (`None`: it is still going); otherwise the window is the start instant.
pub fn window_of(row: &ReleaseRow) -> (Option<Timestamp>, Option<Timestamp>) {
    let start = row.started_at.or(row.planned_start).or(row.created_at);
    let end = match (row.ended_at, row.planned_end, row.started_at) {
        (Some(e), _, _) => Some(e),
        (None, Some(p), _) => Some(p),
        (None, None, Some(_)) => None,
        (None, None, None) => start,
    };
    (start, end)
}

impl ReleaseQuery {
    /// Whether `row` matches (the reference semantics every backend follows).
    pub fn matches(&self, row: &ReleaseRow) -> bool {
        if (row.deleted && !self.include_deleted) || (row.archived && !self.include_archived) {
            return false;
        }
        if !self.statuses.is_empty() && !self.statuses.contains(&row.status) {
            return false;
        }
        if self.kind.is_some_and(|k| k != row.kind)
            || self.group.as_ref().is_some_and(|g| row.group.as_ref() != Some(g))
            || self.scope.as_ref().is_some_and(|s| &row.scope != s)
            || self.service.as_ref().is_some_and(|s| !row.services.contains(s))
            || self.environment.as_ref().is_some_and(|e| !row.environments.contains(e))
        {
            return false;
        }
        if let Some(before) = self.ended_before {
            if row.ended_at.is_none_or(|e| e > before) {
                return false;
            }
        }
        if self.from.is_some() || self.to.is_some() {
            let (start, end) = window_of(row);
            let Some(start) = start else { return false };
            if self.to.is_some_and(|to| start > to) || self.from.is_some_and(|from| end.is_some_and(|e| e < from)) {
                return false;
            }
        }
        true
    }
}

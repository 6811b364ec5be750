//! [`CalendarIndex`]: releases by time, answering "what overlaps `[from, to)`" without scanning
//! everything.
//!
//! Windows are kept in **length classes**: class *k* holds closed windows of at most 2^k seconds, in
//! a `BTreeSet` ordered by start. A window that overlaps `[from, to)` and is in class *k* starts in
//! `[from − 2^k s, to)`, so a query reads one range per non-empty class (about 20 classes cover one
//! second to ten years) and touches only windows that start at most one class length before `from`.
//! Running releases have an **open** end (their end is *now*); they sit in their own set ordered by
//! start and are few. Updates are O(log n).

use super::{CalendarEntry, CalendarFilter};
use crate::Timestamp;
use crate::release::{ReleaseKind, ReleaseStatus};
use crate::store::ReleaseRow;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// What the index keeps of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarRow {
    /// Release id.
    pub id: String,
    /// Status.
    pub status: ReleaseStatus,
    /// Kind.
    pub kind: ReleaseKind,
    /// Group.
    pub group: Option<String>,
    /// Scope.
    pub scope: String,
    /// Window start.
    pub start: Timestamp,
    /// Window end; `None` while the release runs (the end is then the later of `planned_end` and now).
    pub end: Option<Timestamp>,
    /// Scheduled end.
    pub planned_end: Option<Timestamp>,
    /// Services.
    pub services: Vec<String>,
    /// Environments.
    pub environments: Vec<String>,
    /// Display name.
    pub name: String,
    /// Process id and pinned version (to plan the phases of a release that has not started).
    pub process: (String, u32),
    /// Whether the release has been activated (only then does its state add actual windows).
    pub started: bool,
    /// Scheduled start.
    pub planned_start: Option<Timestamp>,
    /// Archived: left out unless the filter asks for archived releases.
    pub archived: bool,
}

impl CalendarRow {
    /// The row of a store index row (window rules of [`crate::calendar`]); `None` for a deleted
    /// release or a draft with neither schedule nor start.
    pub fn from_release_row(row: &ReleaseRow) -> Option<CalendarRow> {
        if row.deleted {
            return None;
        }
        let start = row.started_at.or(row.planned_start)?;
        let end = match row.ended_at {
            Some(ended) => Some(ended.max(start)),
            None if row.status.is_active() => None,
            None => Some(row.planned_end.unwrap_or(start).max(start)),
        };
        Some(CalendarRow {
            id: row.id.clone(),
            status: row.status,
            kind: row.kind,
            group: row.group.clone(),
            scope: row.scope.clone(),
            start,
            end,
            planned_end: row.planned_end,
            services: row.services.clone(),
            environments: row.environments.clone(),
            name: row.name.clone(),
            process: (row.process_id.clone(), row.process_version),
            started: row.started_at.is_some(),
            planned_start: row.planned_start,
            archived: row.archived,
        })
    }

    /// The row of a calendar entry (its end is fixed as computed).
    pub fn from_entry(entry: &CalendarEntry) -> CalendarRow {
        CalendarRow {
            id: entry.release_id.clone(),
            status: entry.status,
            kind: entry.kind,
            group: entry.group.clone(),
            scope: entry.scope.clone(),
            start: entry.start,
            end: Some(entry.end),
            planned_end: entry.planned_end,
            services: entry.services.clone(),
            environments: entry.environments.clone(),
            name: entry.name.clone(),
            process: (String::new(), 0),
            started: entry.actual_start.is_some(),
            planned_start: entry.planned_start,
            archived: false,
        }
    }

    /// The end of the window at `now`.
    pub fn end_at(&self, now: Timestamp) -> Timestamp {
        self.end.unwrap_or_else(|| self.planned_end.unwrap_or(self.start).max(now).max(self.start))
    }

    /// Whether the row passes `filter`.
    pub fn matches(&self, filter: &CalendarFilter) -> bool {
        filter.accepts(self.status, self.kind, self.group.as_deref(), &self.scope, &self.services, &self.environments)
    }

    fn class(&self) -> usize {
        match self.end {
            None => OPEN,
            Some(end) => {
                let len = u64::try_from((end - self.start).num_seconds()).unwrap_or(0);
                (64 - len.leading_zeros() as usize).min(OPEN - 1)
            }
        }
    }
}

/// Class of open (running) windows; classes `0..OPEN` are closed windows by length.
const OPEN: usize = 64;

/// Releases indexed by time.
///
/// ```
/// use trainyard::calendar::{CalendarFilter, CalendarIndex, CalendarRow};
/// use trainyard::release::{ReleaseKind, ReleaseStatus};
/// let at = |s: &str| s.parse().unwrap();
/// let mut index = CalendarIndex::new();
/// index.upsert(CalendarRow {
///     id: "r1".into(), status: ReleaseStatus::Scheduled, kind: ReleaseKind::Standard, group: None,
///     scope: "account".into(), start: at("2025-04-03T12:00:00Z"), end: Some(at("2025-04-05T12:00:00Z")),
///     planned_end: None, services: vec![], environments: vec!["prod1".into()],
///     name: "Week 14".into(), process: ("train".into(), 1), started: false, planned_start: None,
///     archived: false,
/// });
/// let now = at("2025-04-01T00:00:00Z");
/// let april = index.query(at("2025-04-01T00:00:00Z"), at("2025-05-01T00:00:00Z"), now, &CalendarFilter::default());
/// assert_eq!(april.len(), 1);
/// assert!(index.query(at("2025-04-06T00:00:00Z"), at("2025-05-01T00:00:00Z"), now, &CalendarFilter::default()).is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CalendarIndex {
    slots: Vec<Option<CalendarRow>>,
    free: Vec<u32>,
    by_id: HashMap<String, u32>,
    classes: Vec<BTreeSet<(Timestamp, u32)>>,
}

impl CalendarIndex {
    /// An empty index.
    pub fn new() -> Self {
        CalendarIndex { classes: vec![BTreeSet::new(); OPEN + 1], ..Default::default() }
    }

    /// An index of store rows (rows without a calendar window are skipped).
    pub fn from_release_rows<'a>(rows: impl IntoIterator<Item = &'a ReleaseRow>) -> Self {
        let mut index = CalendarIndex::new();
        for row in rows {
            index.upsert_release_row(row);
        }
        index
    }

    /// Number of releases indexed.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Adds or replaces a release.
    pub fn upsert(&mut self, row: CalendarRow) {
        self.remove(&row.id);
        if self.classes.is_empty() {
            self.classes = vec![BTreeSet::new(); OPEN + 1];
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.classes[row.class()].insert((row.start, slot));
        self.by_id.insert(row.id.clone(), slot);
        self.slots[slot as usize] = Some(row);
    }

    /// Adds, replaces or (for a deleted release or an unscheduled draft) removes a store row.
    pub fn upsert_release_row(&mut self, row: &ReleaseRow) {
        match CalendarRow::from_release_row(row) {
            Some(r) => self.upsert(r),
            None => {
                self.remove(&row.id);
            }
        }
    }

    /// Removes a release; returns its row.
    pub fn remove(&mut self, id: &str) -> Option<CalendarRow> {
        let slot = self.by_id.remove(id)?;
        let row = self.slots.get_mut(slot as usize)?.take()?;
        self.classes[row.class()].remove(&(row.start, slot));
        self.free.push(slot);
        Some(row)
    }

    /// The row of a release.
    pub fn get(&self, id: &str) -> Option<&CalendarRow> {
        self.by_id.get(id).and_then(|s| self.slots[*s as usize].as_ref())
    }

    /// The releases whose window overlaps `[from, to)` at `now` and that pass `filter`, by start
    /// (then id).
    pub fn query(&self, from: Timestamp, to: Timestamp, now: Timestamp, filter: &CalendarFilter) -> Vec<&CalendarRow> {
        let mut out = Vec::new();
        if from >= to {
            return out;
        }
        let all = filter.is_empty();
        for (class, set) in self.classes.iter().enumerate() {
            if set.is_empty() {
                continue;
            }
            let lower = if class == OPEN {
                Timestamp::MIN_UTC
            } else {
                let reach = chrono::Duration::seconds(1i64.checked_shl(class as u32).unwrap_or(i64::MAX / 4));
                from.checked_sub_signed(reach).unwrap_or(Timestamp::MIN_UTC)
            };
            for (_, slot) in set.range((lower, 0)..(to, 0)) {
                let Some(row) = self.slots[*slot as usize].as_ref() else { continue };
                let end = row.end_at(now);
                let shown = !row.archived || filter.include_archived;
                if shown && (end > from || row.start >= from) && (all || row.matches(filter)) {
                    out.push(row);
                }
            }
        }
        out.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        out
    }
}

//! The calendar index before compact rows (a copy of the old `core/src/calendar/index.rs`), so
//! the benches can measure the old and the new index side by side in one run.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use trainyard::Timestamp;
use trainyard::calendar::{CalendarFilter, CalendarRow};
use trainyard::store::ReleaseRow;

fn class(row: &CalendarRow) -> usize {
    match row.end {
        None => OPEN,
        Some(end) => {
            let len = u64::try_from((end - row.start).num_seconds()).unwrap_or(0);
            (64 - len.leading_zeros() as usize).min(OPEN - 1)
        }
    }
}

/// Class of open (running) windows; classes `0..OPEN` are closed windows by length.
const OPEN: usize = 64;

/// The calendar index as it was before compact rows (one owned `CalendarRow` per release).
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
        self.classes[class(&row)].insert((row.start, slot));
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
        self.classes[class(&row)].remove(&(row.start, slot));
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

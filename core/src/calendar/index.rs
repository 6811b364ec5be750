//! [`CalendarIndex`]: releases by time, answering "what overlaps `[from, to)`" without scanning
//! everything.
//!
//! Windows are kept in **length classes**: class *k* holds closed windows of at most 2^k seconds, in
//! a `BTreeSet` ordered by start. A window that overlaps `[from, to)` and is in class *k* starts in
//! `[from − 2^k s, to)`, so a query reads one range per non-empty class (about 20 classes cover one
//! second to ten years) and touches only windows that start at most one class length before `from`.
//! Running releases have an **open** end (their end is *now*); they sit in their own set ordered by
//! start and are few. Updates are O(log n).
//!
//! Rows are kept **compact** (about 170 bytes a release at a million releases): the id and name
//! of every release live in one text arena, scopes, groups, process ids, services and environments
//! are interned (a list of services is one small number), and the id lookup is a table of slot
//! numbers hashed by id. A query hands out [`IndexedRow`] views; [`IndexedRow::to_row`] builds the
//! owned [`CalendarRow`].

use super::{CalendarEntry, CalendarFilter};
use crate::Timestamp;
use crate::release::{ReleaseKind, ReleaseStatus};
use crate::store::ReleaseRow;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::hash::BuildHasher;

mod symbols;
use symbols::{NONE, Symbols, ValueLists};

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

/// The window of a store index row (the rules of [`crate::calendar`]): it starts when the release
/// started, else at its scheduled start; an active release has no end yet, an ended one ends when
/// it ended, any other at its planned end (never before its start). `None` for a deleted release
/// or a draft with neither schedule nor start.
fn window_of_release_row(row: &ReleaseRow) -> Option<(Timestamp, Option<Timestamp>)> {
    if row.deleted {
        return None;
    }
    let start = row.started_at.or(row.planned_start)?;
    let end = match row.ended_at {
        Some(ended) => Some(ended.max(start)),
        None if row.status.is_active() => None,
        None => Some(row.planned_end.unwrap_or(start).max(start)),
    };
    Some((start, end))
}

impl CalendarRow {
    /// The row of a store index row (window rules of [`crate::calendar`]); `None` for a deleted
    /// release or a draft with neither schedule nor start.
    pub fn from_release_row(row: &ReleaseRow) -> Option<CalendarRow> {
        let (start, end) = window_of_release_row(row)?;
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
}

/// Class of open (running) windows; classes `0..OPEN` are closed windows by length.
const OPEN: usize = 64;

/// The class of a window (see the module docs).
fn class_of(start: Timestamp, end: Option<Timestamp>) -> usize {
    match end {
        None => OPEN,
        Some(end) => {
            let len = u64::try_from((end - start).num_seconds()).unwrap_or(0);
            (64 - len.leading_zeros() as usize).min(OPEN - 1)
        }
    }
}

/// One indexed release, compact: strings are interned or in the text arena.
#[derive(Debug, Clone)]
struct Slot {
    start: Timestamp,
    end: Option<Timestamp>,
    planned_end: Option<Timestamp>,
    planned_start: Option<Timestamp>,
    /// Offset of the id in the text arena; the name follows it.
    text: usize,
    id_len: u32,
    name_len: u32,
    group: u32,
    scope: u32,
    process: u32,
    version: u32,
    services: u32,
    environments: u32,
    status: ReleaseStatus,
    kind: ReleaseKind,
    started: bool,
    archived: bool,
}

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
/// assert_eq!(april[0].id(), "r1");
/// assert!(index.query(at("2025-04-06T00:00:00Z"), at("2025-05-01T00:00:00Z"), now, &CalendarFilter::default()).is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CalendarIndex {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    /// Slot numbers, hashed by the slot's release id.
    by_id: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    classes: Vec<BTreeSet<(Timestamp, u32)>>,
    /// Ids and names of every slot, one after the other.
    text: String,
    /// Bytes of `text` no slot refers to any more (compacted when they outweigh the rest).
    garbage: usize,
    strings: Symbols,
    lists: ValueLists,
    /// A buffer for a release's list of symbols while it is interned (empty between calls):
    /// building 1,000,000 slots allocates no list per slot.
    scratch: Vec<u32>,
}

/// What a query or lookup of a [`CalendarIndex`] hands out: a view of one indexed release.
#[derive(Clone, Copy)]
pub struct IndexedRow<'a> {
    index: &'a CalendarIndex,
    slot: &'a Slot,
}

impl std::fmt::Debug for IndexedRow<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexedRow").field("id", &self.id()).field("start", &self.slot.start).finish()
    }
}

impl<'a> IndexedRow<'a> {
    /// Release id.
    pub fn id(&self) -> &'a str {
        let s = self.slot;
        &self.index.text[s.text..s.text + s.id_len as usize]
    }

    /// Display name.
    pub fn name(&self) -> &'a str {
        let s = self.slot;
        let at = s.text + s.id_len as usize;
        &self.index.text[at..at + s.name_len as usize]
    }

    /// Status.
    pub fn status(&self) -> ReleaseStatus {
        self.slot.status
    }

    /// Window start.
    pub fn start(&self) -> Timestamp {
        self.slot.start
    }

    /// Whether the release has been activated.
    pub fn started(&self) -> bool {
        self.slot.started
    }

    /// The end of the window at `now` (see [`CalendarRow::end_at`]).
    pub fn end_at(&self, now: Timestamp) -> Timestamp {
        let s = self.slot;
        s.end.unwrap_or_else(|| s.planned_end.unwrap_or(s.start).max(now).max(s.start))
    }

    /// The owned row.
    pub fn to_row(&self) -> CalendarRow {
        let (s, strings, lists) = (self.slot, &self.index.strings, &self.index.lists);
        let owned = |sym: u32| (sym != NONE).then(|| strings.name(sym).to_string());
        CalendarRow {
            id: self.id().to_string(),
            status: s.status,
            kind: s.kind,
            group: owned(s.group),
            scope: strings.name(s.scope).to_string(),
            start: s.start,
            end: s.end,
            planned_end: s.planned_end,
            services: lists.values(s.services).iter().map(|v| strings.name(*v).to_string()).collect(),
            environments: lists.values(s.environments).iter().map(|v| strings.name(*v).to_string()).collect(),
            name: self.name().to_string(),
            process: (owned(s.process).unwrap_or_default(), s.version),
            started: s.started,
            planned_start: s.planned_start,
            archived: s.archived,
        }
    }
}

/// The fields of a release the index keeps, borrowed from a [`CalendarRow`] or a [`ReleaseRow`].
struct Fields<'a> {
    id: &'a str,
    name: &'a str,
    status: ReleaseStatus,
    kind: ReleaseKind,
    group: Option<&'a str>,
    scope: &'a str,
    window: (Timestamp, Option<Timestamp>),
    planned: (Option<Timestamp>, Option<Timestamp>),
    services: &'a [String],
    environments: &'a [String],
    process: (&'a str, u32),
    started: bool,
    archived: bool,
}

impl<'a> Fields<'a> {
    fn of_row(r: &'a CalendarRow) -> Self {
        Fields {
            id: &r.id,
            name: &r.name,
            status: r.status,
            kind: r.kind,
            group: r.group.as_deref(),
            scope: &r.scope,
            window: (r.start, r.end),
            planned: (r.planned_start, r.planned_end),
            services: &r.services,
            environments: &r.environments,
            process: (&r.process.0, r.process.1),
            started: r.started,
            archived: r.archived,
        }
    }

    /// The window rules of [`CalendarRow::from_release_row`], without building the row.
    fn of_release_row(row: &'a ReleaseRow) -> Option<Self> {
        let (start, end) = window_of_release_row(row)?;
        Some(Fields {
            id: &row.id,
            name: &row.name,
            status: row.status,
            kind: row.kind,
            group: row.group.as_deref(),
            scope: &row.scope,
            window: (start, end),
            planned: (row.planned_start, row.planned_end),
            services: &row.services,
            environments: &row.environments,
            process: (&row.process_id, row.process_version),
            started: row.started_at.is_some(),
            archived: row.archived,
        })
    }
}

/// A filter with its strings turned into the index's symbols (`None`: the list is empty, so
/// everything passes; a list whose values the index never saw matches nothing).
struct SymbolFilter {
    groups: Option<Vec<u32>>,
    scopes: Option<Vec<u32>>,
    services: Option<Vec<u32>>,
    environments: Option<Vec<u32>>,
}

impl CalendarIndex {
    /// An empty index.
    pub fn new() -> Self {
        CalendarIndex { classes: vec![BTreeSet::new(); OPEN + 1], ..Default::default() }
    }

    /// An index of store rows (rows without a calendar window are skipped). Built in bulk: the
    /// time sets are filled from sorted runs.
    pub fn from_release_rows<'a>(rows: impl IntoIterator<Item = &'a ReleaseRow>) -> Self {
        let rows = rows.into_iter();
        let mut index = CalendarIndex::new();
        let (low, _) = rows.size_hint();
        index.slots.reserve(low);
        index.by_id.reserve(low, |_| 0);
        let mut runs: Vec<Vec<(Timestamp, u32)>> = vec![Vec::new(); OPEN + 1];
        // Slots freed by a repeated id are reused only after the build (the runs still name them).
        let mut freed = Vec::new();
        for row in rows {
            let hash = index.hasher.hash_one(row.id.as_str());
            freed.extend(index.take_slot_hashed(&row.id, hash));
            if let Some(fields) = Fields::of_release_row(row) {
                let (start, end) = fields.window;
                let slot = index.push_slot_hashed(&fields, hash);
                runs[class_of(start, end)].push((start, slot));
            }
        }
        for (class, mut run) in runs.into_iter().enumerate() {
            run.retain(|(_, slot)| index.slots[*slot as usize].is_some());
            // Sorted here (the pairs are distinct, so an unstable sort is exact), the set is then
            // built in bulk from the sorted run.
            run.sort_unstable();
            index.classes[class] = run.into_iter().collect();
        }
        index.free = freed;
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
        self.upsert_fields(&Fields::of_row(&row));
    }

    fn upsert_fields(&mut self, fields: &Fields<'_>) {
        self.remove_slot(fields.id);
        if self.classes.is_empty() {
            self.classes = vec![BTreeSet::new(); OPEN + 1];
        }
        if self.garbage > 1 << 16 && self.garbage > self.text.len() / 2 {
            self.compact_text();
        }
        let (start, end) = fields.window;
        let slot = self.push_slot(fields);
        self.classes[class_of(start, end)].insert((start, slot));
    }

    /// Stores a release in a free slot (or a new one) and makes its id findable; the time sets
    /// are the caller's.
    fn push_slot(&mut self, f: &Fields<'_>) -> u32 {
        let hash = self.hasher.hash_one(f.id);
        self.push_slot_hashed(f, hash)
    }

    /// [`CalendarIndex::push_slot`] with the id's hash already computed.
    fn push_slot_hashed(&mut self, f: &Fields<'_>, hash: u64) -> u32 {
        let text = self.text.len();
        self.text.push_str(f.id);
        self.text.push_str(f.name);
        let services = self.intern_list(f.services);
        let environments = self.intern_list(f.environments);
        let strings = &mut self.strings;
        let slot = Slot {
            start: f.window.0,
            end: f.window.1,
            planned_start: f.planned.0,
            planned_end: f.planned.1,
            text,
            id_len: u32::try_from(f.id.len()).unwrap_or(u32::MAX),
            name_len: u32::try_from(f.name.len()).unwrap_or(u32::MAX),
            group: f.group.map_or(NONE, |g| strings.intern(g)),
            scope: strings.intern(f.scope),
            process: strings.intern(f.process.0),
            version: f.process.1,
            services,
            environments,
            status: f.status,
            kind: f.kind,
            started: f.started,
            archived: f.archived,
        };
        let n = match self.free.pop() {
            Some(n) => {
                self.slots[n as usize] = Some(slot);
                n
            }
            None => {
                self.slots.push(Some(slot));
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let (slots, text, hasher) = (&self.slots, &self.text, &self.hasher);
        self.by_id.insert_unique(hash, n, |s| hasher.hash_one(slot_id(slots, text, *s)));
        n
    }

    /// The list symbol of `values` (each value interned).
    fn intern_list(&mut self, values: &[String]) -> u32 {
        let mut symbols = std::mem::take(&mut self.scratch);
        symbols.extend(values.iter().map(|v| self.strings.intern(v)));
        let list = self.lists.intern(&symbols);
        symbols.clear();
        self.scratch = symbols;
        list
    }

    /// Takes a release's slot out of the id table and the slot list (not out of the time sets);
    /// returns its number. `hash` is the id's.
    fn take_slot_hashed(&mut self, id: &str, hash: u64) -> Option<u32> {
        let (slots, text) = (&self.slots, &self.text);
        let entry = self.by_id.find_entry(hash, |s| slot_id(slots, text, *s) == id).ok()?;
        let (n, _) = entry.remove();
        let slot = self.slots[n as usize].take()?;
        self.garbage += (slot.id_len + slot.name_len) as usize;
        Some(n)
    }

    /// Removes a release from every part of the index; returns its compact row.
    fn remove_slot(&mut self, id: &str) -> Option<(u32, Slot)> {
        let hash = self.hasher.hash_one(id);
        let (slots, text) = (&self.slots, &self.text);
        let entry = self.by_id.find_entry(hash, |s| slot_id(slots, text, *s) == id).ok()?;
        let (n, _) = entry.remove();
        let slot = self.slots[n as usize].take()?;
        self.classes[class_of(slot.start, slot.end)].remove(&(slot.start, n));
        self.garbage += (slot.id_len + slot.name_len) as usize;
        self.free.push(n);
        Some((n, slot))
    }

    /// Rewrites the text arena with only the ids and names of live slots.
    fn compact_text(&mut self) {
        let mut text = String::with_capacity(self.text.len() - self.garbage);
        for slot in self.slots.iter_mut().flatten() {
            let len = (slot.id_len + slot.name_len) as usize;
            let at = text.len();
            text.push_str(&self.text[slot.text..slot.text + len]);
            slot.text = at;
        }
        self.text = text;
        self.garbage = 0;
    }

    /// Adds, replaces or (for a deleted release or an unscheduled draft) removes a store row.
    pub fn upsert_release_row(&mut self, row: &ReleaseRow) {
        match Fields::of_release_row(row) {
            Some(fields) => self.upsert_fields(&fields),
            None => {
                self.remove_slot(&row.id);
            }
        }
    }

    /// Removes a release; returns its row.
    pub fn remove(&mut self, id: &str) -> Option<CalendarRow> {
        let (_, slot) = self.remove_slot(id)?;
        // The text stays readable until the next compaction (only upserts compact).
        Some(IndexedRow { index: self, slot: &slot }.to_row())
    }

    /// The row of a release.
    pub fn get(&self, id: &str) -> Option<IndexedRow<'_>> {
        let hash = self.hasher.hash_one(id);
        let n = self.by_id.find(hash, |s| slot_id(&self.slots, &self.text, *s) == id)?;
        self.slots[*n as usize].as_ref().map(|slot| IndexedRow { index: self, slot })
    }

    fn symbol_filter(&self, filter: &CalendarFilter) -> SymbolFilter {
        let resolve = |values: &[String]| {
            (!values.is_empty()).then(|| values.iter().filter_map(|v| self.strings.get(v)).collect::<Vec<u32>>())
        };
        SymbolFilter {
            groups: resolve(&filter.groups),
            scopes: resolve(&filter.scopes),
            services: resolve(&filter.services),
            environments: resolve(&filter.environments),
        }
    }

    fn passes(&self, slot: &Slot, filter: &CalendarFilter, symbols: &SymbolFilter) -> bool {
        let any = |wanted: &Option<Vec<u32>>, list: u32| {
            wanted.as_ref().is_none_or(|w| self.lists.values(list).iter().any(|v| w.contains(v)))
        };
        (filter.statuses.is_empty() || filter.statuses.contains(&slot.status))
            && (filter.kinds.is_empty() || filter.kinds.contains(&slot.kind))
            && symbols.groups.as_ref().is_none_or(|w| w.contains(&slot.group))
            && symbols.scopes.as_ref().is_none_or(|w| w.contains(&slot.scope))
            && any(&symbols.services, slot.services)
            && any(&symbols.environments, slot.environments)
    }

    /// The releases whose window overlaps `[from, to)` at `now` and that pass `filter`, by start
    /// (then id).
    pub fn query(
        &self,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
        filter: &CalendarFilter,
    ) -> Vec<IndexedRow<'_>> {
        let mut out = Vec::new();
        if from >= to {
            return out;
        }
        let all = filter.is_empty();
        let symbols = self.symbol_filter(filter);
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
            for (_, n) in set.range((lower, 0)..(to, 0)) {
                let Some(slot) = self.slots[*n as usize].as_ref() else { continue };
                let view = IndexedRow { index: self, slot };
                let end = view.end_at(now);
                let shown = !slot.archived || filter.include_archived;
                if shown && (end > from || slot.start >= from) && (all || self.passes(slot, filter, &symbols)) {
                    out.push(view);
                }
            }
        }
        out.sort_by(|a, b| (a.start(), a.id()).cmp(&(b.start(), b.id())));
        out
    }
}

/// The release id of slot `n`.
fn slot_id<'t>(slots: &[Option<Slot>], text: &'t str, n: u32) -> &'t str {
    match &slots[n as usize] {
        Some(s) => &text[s.text..s.text + s.id_len as usize],
        None => "",
    }
}

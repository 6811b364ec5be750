//! Where a [`SinkRunner`](super::runner::SinkRunner) reads the feed and keeps its progress.
//!
//! [`FeedSource`] is the small, store-agnostic surface the runner needs: a page of the feed after a
//! cursor, a named consumer's stored cursor, the sink's dead-letter list, and the engine's clock.
//! The [`Engine`](crate::Engine) implements it over its store; [`MemoryFeedSource`] implements it
//! in memory for tests and examples.
//!
//! # Dead letters
//! A [`DeadLetter`] is an entry a sink gave up on: after its last retry, or at once on a
//! permanent failure. The list is kept per sink name and keyed by the entry's cursor: putting a
//! letter for a cursor that is already listed replaces it (so a runner that crashes between
//! writing the letter and moving its cursor, and dead-letters the same entry again, leaves one
//! letter). [`FeedSource::dead_letters`] lists them in cursor order.

use super::{Cursor, FeedEntry, FeedFilter, FeedPage};
use crate::Timestamp;
use crate::schedule::{Clock, SystemClock};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a sink runner reads from and records into (see the [module docs](self)).
///
/// Every method is one short store operation; none blocks waiting for new entries.
pub trait FeedSource: Send + Sync {
    /// The entries after `after` that pass `filter`, at most `limit` of them, in cursor order, and
    /// the cursor to continue after (past every entry looked at, filtered out or not).
    fn page(&self, after: Cursor, filter: &FeedFilter, limit: usize) -> crate::Result<FeedPage>;
    /// The stored cursor of the named consumer (`0` for a consumer never seen).
    fn consumer_cursor(&self, consumer: &str) -> crate::Result<Cursor>;
    /// Stores the named consumer's cursor (creating the consumer if it is new).
    fn set_consumer_cursor(&self, consumer: &str, cursor: Cursor) -> crate::Result<()>;
    /// Adds `letter` to the dead-letter list of `sink`, replacing a letter for the same entry
    /// cursor.
    fn put_dead_letter(&self, sink: &str, letter: &DeadLetter) -> crate::Result<()>;
    /// The dead letters of `sink`, in entry cursor order.
    fn dead_letters(&self, sink: &str) -> crate::Result<Vec<DeadLetter>>;
    /// Removes the dead letter of `sink` for the entry at `cursor` (nothing happens when there is
    /// none).
    fn remove_dead_letter(&self, sink: &str, cursor: Cursor) -> crate::Result<()>;
    /// The engine's clock: retry backoffs are measured on it.
    fn now(&self) -> Timestamp;
}

/// An entry a sink gave up on, with why and how often it tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The entry that was not delivered.
    pub entry: FeedEntry,
    /// The sink's name.
    pub sink: String,
    /// The last delivery error.
    pub error: String,
    /// Whether the last error was permanent (a 4xx answer, say) rather than the last of the
    /// retries.
    #[serde(default)]
    pub permanent: bool,
    /// How many delivery attempts failed (replays included).
    pub attempts: u32,
    /// When the first attempt failed.
    pub first_failed_at: Timestamp,
    /// When the last attempt failed.
    pub last_failed_at: Timestamp,
}

impl DeadLetter {
    /// The field names of a dead letter, in order (what the bindings must expose).
    pub fn field_names() -> &'static [&'static str] {
        &["entry", "sink", "error", "permanent", "attempts", "first_failed_at", "last_failed_at"]
    }
}

/// A [`FeedSource`] in memory: entries appended by [`push`](Self::push), consumers and dead
/// letters in maps, the time from a [`Clock`]. For tests and examples.
///
/// ```
/// use std::sync::Arc;
/// use trainyard::feed::source::{FeedSource, MemoryFeedSource};
/// use trainyard::feed::{FeedEntry, FeedFilter};
/// use trainyard::release::{ReleaseKind, ReleaseStatus};
///
/// let source = MemoryFeedSource::default();
/// let entry = FeedEntry {
///     cursor: 0, release: "r1".into(), seq_from: 1, seq_to: 1, kinds: vec!["created".into()],
///     status_before: None, status_after: ReleaseStatus::Draft, deleted: false,
///     at: "2025-04-07T09:00:00Z".parse().unwrap(), actor: "rita".into(), scope: "account".into(),
///     process_id: "deploy".into(), release_kind: ReleaseKind::Standard, group: None,
///     notifications: vec![], origin: String::new(),
/// };
/// assert_eq!(source.push(entry.clone()), 1);
/// assert_eq!(source.push(entry), 2);
/// let page = source.page(1, &FeedFilter::default(), 10).unwrap();
/// assert_eq!(page.entries.iter().map(|e| e.cursor).collect::<Vec<_>>(), [2]);
/// assert_eq!(page.next, 2);
/// ```
pub struct MemoryFeedSource {
    clock: Arc<dyn Clock>,
    state: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    entries: Vec<FeedEntry>,
    consumers: HashMap<String, Cursor>,
    dead_letters: HashMap<String, BTreeMap<Cursor, DeadLetter>>,
}

impl Default for MemoryFeedSource {
    /// An empty feed on the system clock.
    fn default() -> Self {
        MemoryFeedSource::new(Arc::new(SystemClock))
    }
}

impl std::fmt::Debug for MemoryFeedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryFeedSource")
            .field("entries", &state.entries.len())
            .field("consumers", &state.consumers)
            .field("dead_letters", &state.dead_letters.values().map(BTreeMap::len).sum::<usize>())
            .finish()
    }
}

impl MemoryFeedSource {
    /// An empty feed whose time comes from `clock` (a [`ManualClock`](crate::schedule::ManualClock)
    /// in tests).
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        MemoryFeedSource { clock, state: Mutex::new(MemoryState::default()) }
    }

    /// Appends `entry` as the newest one, giving it the next cursor (its own `cursor` field is
    /// ignored), and returns that cursor.
    pub fn push(&self, mut entry: FeedEntry) -> Cursor {
        let mut state = self.lock();
        let cursor = state.entries.last().map_or(1, |e| e.cursor + 1);
        entry.cursor = cursor;
        state.entries.push(entry);
        cursor
    }

    /// Every entry, in cursor order.
    pub fn entries(&self) -> Vec<FeedEntry> {
        self.lock().entries.clone()
    }

    fn lock(&self) -> MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FeedSource for MemoryFeedSource {
    fn page(&self, after: Cursor, filter: &FeedFilter, limit: usize) -> crate::Result<FeedPage> {
        let state = self.lock();
        let mut page = FeedPage { entries: Vec::new(), next: after };
        for entry in state.entries.iter().filter(|e| e.cursor > after) {
            if page.entries.len() >= limit {
                break;
            }
            page.next = entry.cursor;
            if filter.matches(entry) {
                page.entries.push(entry.clone());
            }
        }
        Ok(page)
    }

    fn consumer_cursor(&self, consumer: &str) -> crate::Result<Cursor> {
        Ok(self.lock().consumers.get(consumer).copied().unwrap_or(0))
    }

    fn set_consumer_cursor(&self, consumer: &str, cursor: Cursor) -> crate::Result<()> {
        self.lock().consumers.insert(consumer.to_string(), cursor);
        Ok(())
    }

    fn put_dead_letter(&self, sink: &str, letter: &DeadLetter) -> crate::Result<()> {
        self.lock().dead_letters.entry(sink.to_string()).or_default().insert(letter.entry.cursor, letter.clone());
        Ok(())
    }

    fn dead_letters(&self, sink: &str) -> crate::Result<Vec<DeadLetter>> {
        Ok(self.lock().dead_letters.get(sink).map(|m| m.values().cloned().collect()).unwrap_or_default())
    }

    fn remove_dead_letter(&self, sink: &str, cursor: Cursor) -> crate::Result<()> {
        if let Some(letters) = self.lock().dead_letters.get_mut(sink) {
            letters.remove(&cursor);
        }
        Ok(())
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

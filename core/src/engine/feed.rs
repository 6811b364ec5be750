//! The change feed through the engine: the entry every commit writes, reading it ([`Engine::changes`],
//! [`Engine::watch`]), durable named consumers, sinks and durable subscribers driven from it, and
//! engines following each other's commits (the calendar index and the state cache see what other
//! engines and processes wrote).

use super::{Engine, lock};
use crate::access::{Actor, can_read};
use crate::feed::runner::{ReplayReport, RunReport, SinkOptions, SinkRunner};
use crate::feed::source::{DeadLetter, FeedSource};
use crate::feed::{Cursor, FeedEntry, FeedFilter, FeedPage, MAX_PAGE, MAX_SCANNED_PER_CALL, Sink, SinkError};
use crate::notify::{Notification, Subscriber};
use crate::release::{Event, ReleaseState, ReleaseStatus, Stage};
use crate::{Error, Result, Timestamp};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// The store collection of a sink's dead letters (one document per entry cursor).
fn dead_letter_collection(sink: &str) -> String {
    format!("dead_letters/{sink}")
}

impl Engine {
    /// The feed entry of a commit that took `state` from `before` (`None`: it created it) with
    /// `events`, issued by `actor`.
    pub(crate) fn feed_entry(
        &self,
        before: Option<ReleaseStatus>,
        state: &ReleaseState,
        events: &[Event],
        actor: &Actor,
        notifications: Vec<Notification>,
    ) -> FeedEntry {
        FeedEntry {
            cursor: 0,
            release: state.id.clone(),
            seq_from: events.first().map_or(state.seq, |e| e.seq),
            seq_to: state.seq,
            kinds: events.iter().map(|e| e.kind.name().to_string()).collect(),
            status_before: before,
            status_after: state.status,
            deleted: state.stage == Stage::Deleted,
            at: events.last().map_or_else(|| self.clock.now(), |e| e.at),
            actor: actor.id.clone(),
            scope: state.scope.clone(),
            process_id: state.process_id.clone(),
            release_kind: state.kind,
            group: state.group.clone(),
            notifications,
            origin: self.worker_id.clone(),
        }
    }

    /// The feed entries after `after` that pass `filter`, at most `limit` (1 to [`MAX_PAGE`]), and
    /// the cursor to continue after. It looks at no more than [`MAX_SCANNED_PER_CALL`] entries per
    /// call: with a narrow filter over a long feed, a page may come back short (even empty) with
    /// `next` past what it looked at; ask again from there.
    pub fn changes(&self, after: Cursor, filter: &FeedFilter, limit: usize) -> Result<FeedPage> {
        self.changes_where(after, filter, limit, |_| true)
    }

    /// [`Engine::changes`] with only the entries of releases `actor` may read (by scope: release
    /// managers of the scope, viewers; people listed only on a release read it with
    /// [`Engine::get_release_as`]).
    pub fn changes_as(&self, actor: &Actor, after: Cursor, filter: &FeedFilter, limit: usize) -> Result<FeedPage> {
        self.changes_where(after, filter, limit, |e| can_read(actor, &e.scope))
    }

    fn changes_where(
        &self,
        after: Cursor,
        filter: &FeedFilter,
        limit: usize,
        keep: impl Fn(&FeedEntry) -> bool,
    ) -> Result<FeedPage> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(Error::InvalidInput {
                problems: vec![crate::Problem::new(
                    "limit",
                    "invalid_value",
                    format!("a page holds 1 to {MAX_PAGE} entries, not {limit}"),
                )],
            });
        }
        let mut page = FeedPage { entries: Vec::new(), next: after };
        let mut scanned = 0;
        while page.entries.len() < limit && scanned < MAX_SCANNED_PER_CALL {
            let want = (MAX_SCANNED_PER_CALL - scanned).min(limit.max(100));
            let batch = self.store.feed(page.next, want)?;
            let got = batch.len();
            for entry in batch {
                scanned += 1;
                page.next = entry.cursor;
                if filter.matches(&entry) && keep(&entry) {
                    page.entries.push(entry);
                    if page.entries.len() == limit {
                        return Ok(page);
                    }
                }
            }
            if got < want {
                break;
            }
        }
        Ok(page)
    }

    /// The cursor of the last readable entry: watching after it gives what commits from now on.
    pub fn feed_head(&self) -> Result<Cursor> {
        self.store.feed_head()
    }

    /// Follows the feed from `after`: a blocking iterator of the entries that pass `filter`,
    /// woken by new commits (of any process on the same store) without busy polling.
    pub fn watch(&self, after: Cursor, filter: FeedFilter) -> Watch<'_> {
        Watch { engine: self, watcher: Watcher::new(after, filter) }
    }

    /// [`Engine::watch`] with only the entries `actor` may see ([`Engine::may_read_entry`]: by
    /// scope, or by being listed on the release).
    pub fn watch_as(&self, after: Cursor, filter: FeedFilter, actor: Actor) -> Watch<'_> {
        Watch { engine: self, watcher: Watcher::new(after, filter).for_reader(actor) }
    }

    /// The entries after the named consumer's stored cursor (at-least-once: acknowledge what was
    /// handled with [`Engine::ack`]; unacknowledged entries come again, after a restart too).
    pub fn consume(&self, consumer: &str, filter: &FeedFilter, limit: usize) -> Result<FeedPage> {
        check_consumer_name(consumer)?;
        let after = self.store.consumer_cursor(consumer)?.unwrap_or(0);
        self.changes(after, filter, limit)
    }

    /// Records that the named consumer handled everything up to `cursor`. A cursor behind the
    /// stored one is ignored (a late acknowledgement never makes entries come again).
    pub fn ack(&self, consumer: &str, cursor: Cursor) -> Result<()> {
        check_consumer_name(consumer)?;
        let stored = self.store.consumer_cursor(consumer)?.unwrap_or(0);
        if cursor > stored {
            self.store.set_consumer_cursor(consumer, cursor)?;
        }
        Ok(())
    }

    /// The named consumer's stored cursor (0 for a new consumer).
    pub fn consumer_cursor(&self, consumer: &str) -> Result<Cursor> {
        check_consumer_name(consumer)?;
        Ok(self.store.consumer_cursor(consumer)?.unwrap_or(0))
    }

    /// Reads the entries other engines and processes committed since this engine last looked,
    /// and brings the calendar index and the state cache in line with them. Called by `tick()`
    /// and before each calendar query.
    pub(crate) fn follow_feed(&self) -> Result<()> {
        let mut seen = lock(&self.feed_seen);
        let Some(after) = *seen else {
            drop(seen);
            return self.start_following_feed();
        };
        let mut next = after;
        let mut woken = Vec::new();
        loop {
            let batch = self.store.feed(next, 1_000)?;
            let done = batch.len() < 1_000;
            for entry in batch {
                next = entry.cursor;
                if entry.origin == self.worker_id {
                    continue;
                }
                woken.push((entry.release.clone(), entry.kinds.iter().any(|k| k == "gate_resolved")));
                self.metrics.feed_followed(crate::metrics::lag(entry.at, self.clock.now()));
                let stale = lock(&self.cache).get(&entry.release).is_some_and(|s| s.seq < entry.seq_to);
                if stale {
                    lock(&self.cache).remove(&entry.release);
                }
                if lock(&self.calendar_index).is_some() {
                    match self.store.release(&entry.release)? {
                        Some(row) if !row.deleted => self.index_row(&row),
                        _ => {
                            if let Some(index) = lock(&self.calendar_index).as_mut() {
                                index.remove(&entry.release);
                            }
                        }
                    }
                }
            }
            *seen = Some(next);
            if done {
                break;
            }
        }
        drop(seen);
        // Gates are woken with no lock held: waking one issues commands.
        for (release, resolved) in &woken {
            if let Err(e) = self.gates_after_foreign_commit(release, *resolved) {
                // The commit is followed all the same; its gates are checked again on the next
                // commit of a target, when an engine starts following, or by `check_gates`.
                tracing::warn!(release = %release, error = %e, "gates could not be woken for another engine's commit");
            }
        }
        Ok(())
    }

    /// Moves this engine's feed cursor to `head` when the tick probe found only this engine's own
    /// entries up to there (`follow_feed` would pass over each of them). Never moves it back.
    pub(crate) fn skip_own_feed_entries(&self, head: crate::feed::Cursor) {
        if let Some(seen) = lock(&self.feed_seen).as_mut() {
            *seen = (*seen).max(head);
        }
    }

    /// Marks where this engine starts following the feed (before it builds its calendar index
    /// from the store, so nothing committed meanwhile is missed), then reads the gate watches.
    pub(crate) fn start_following_feed(&self) -> Result<()> {
        let started = {
            let mut seen = lock(&self.feed_seen);
            let start = seen.is_none();
            if start {
                *seen = Some(self.store.feed_head()?);
            }
            start
        };
        if started {
            // From here on the feed tells this engine of new gate watches; the ones before, the
            // store does (and each waiting gate is checked once).
            self.reload_gate_index()?;
            // Another engine may have stopped between letting a lock go and granting it.
            if let Err(e) = self.grant_waiting_locks(None) {
                tracing::warn!(error = %e, "could not grant waiting lock requests");
            }
        }
        Ok(())
    }

    /// Adds a sink: from the next `tick()` on, the entries that pass `options.filter` are
    /// delivered to it, at least once and in order, with retries and a dead-letter list (see
    /// [`crate::feed::runner`]). Its consumer is named after the sink; `already_exists` if a
    /// sink of that name was added to this engine.
    pub fn add_sink(&self, sink: impl Sink + 'static, options: SinkOptions) -> Result<()> {
        let runner = SinkRunner::new(Arc::new(sink), options)?;
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        if sinks.iter().any(|s| s.name() == runner.name()) {
            return Err(Error::AlreadyExists {
                kind: "sink".into(),
                id: runner.name().to_string(),
                hint: Some("each sink name is one consumer; pick another name".into()),
            });
        }
        sinks.push(Arc::new(runner));
        Ok(())
    }

    /// Delivers what is due to every sink (the engine's `tick()` does). Returns one report per
    /// sink; a sink that fails does not stop the others (its report says when it retries).
    pub fn run_sinks(&self) -> Result<Vec<RunReport>> {
        let sinks: Vec<Arc<SinkRunner>> = self.sinks.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut reports = Vec::with_capacity(sinks.len());
        for runner in sinks {
            match runner.run_once(self) {
                Ok(report) => reports.push(report),
                Err(e) => tracing::warn!(sink = runner.name(), error = %e, "sink run failed"),
            }
        }
        Ok(reports)
    }

    /// The dead letters of a sink, oldest entry first.
    pub fn dead_letters(&self, sink: &str) -> Result<Vec<DeadLetter>> {
        FeedSource::dead_letters(self, sink)
    }

    /// Delivers a sink's dead letters again (each one delivered leaves the list).
    pub fn replay_dead_letters(&self, sink: &str) -> Result<ReplayReport> {
        let runner = self.sink_runner(sink)?;
        runner.replay_dead_letters(self)
    }

    fn sink_runner(&self, sink: &str) -> Result<Arc<SinkRunner>> {
        let sinks = self.sinks.read().unwrap_or_else(|e| e.into_inner());
        sinks.iter().find(|s| s.name() == sink).cloned().ok_or_else(|| Error::NotFound {
            kind: "sink".into(),
            id: sink.to_string(),
            hint: Some(format!(
                "sinks of this engine: {}",
                if sinks.is_empty() {
                    "none".into()
                } else {
                    sinks.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
                }
            )),
        })
    }

    /// Adds a durable subscriber: the notifications of every commit (by any engine or process on
    /// the store) that passes `filter`, delivered from the feed under the consumer name
    /// `consumer`, at least once, resuming where it stopped after a restart. A subscriber's error
    /// is retried with backoff like a sink's (see [`crate::feed::runner`]).
    pub fn subscribe_durable(
        &self,
        consumer: &str,
        filter: FeedFilter,
        subscriber: impl Subscriber + 'static,
    ) -> Result<()> {
        let filter = FeedFilter { with_notifications: true, ..filter };
        let sink = NotificationSink { name: consumer.to_string(), subscriber: Box::new(subscriber) };
        self.add_sink(sink, SinkOptions { filter, ..SinkOptions::default() })
    }
}

fn check_consumer_name(name: &str) -> Result<()> {
    let problems = crate::feed::runner::sink_name_problems("consumer", name);
    Error::invalid_input_or(problems, ())
}

/// A durable subscriber as a sink: each entry's notifications go to the subscriber.
struct NotificationSink {
    name: String,
    subscriber: Box<dyn Subscriber>,
}

impl Sink for NotificationSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver(&self, entry: &FeedEntry) -> std::result::Result<(), SinkError> {
        for n in &entry.notifications {
            self.subscriber.notify(n).map_err(|message| SinkError { message, retryable: true })?;
        }
        Ok(())
    }
}

impl FeedSource for Engine {
    fn page(&self, after: Cursor, filter: &FeedFilter, limit: usize) -> Result<FeedPage> {
        self.changes(after, filter, limit.clamp(1, MAX_PAGE))
    }

    fn consumer_cursor(&self, consumer: &str) -> Result<Cursor> {
        Ok(self.store.consumer_cursor(consumer)?.unwrap_or(0))
    }

    fn set_consumer_cursor(&self, consumer: &str, cursor: Cursor) -> Result<()> {
        self.store.set_consumer_cursor(consumer, cursor)
    }

    fn put_dead_letter(&self, sink: &str, letter: &DeadLetter) -> Result<()> {
        let value = serde_json::to_value(letter)
            .map_err(|e| Error::Storage { message: format!("cannot encode a dead letter: {e}") })?;
        self.store.put_document(&dead_letter_collection(sink), &format!("{:020}", letter.entry.cursor), &value)?;
        Ok(())
    }

    fn dead_letters(&self, sink: &str) -> Result<Vec<DeadLetter>> {
        let collection = dead_letter_collection(sink);
        let mut out = Vec::new();
        for (key, _) in self.store.list_documents(&collection)? {
            if let Some((_, value)) = self.store.get_document(&collection, &key, None)? {
                let letter = serde_json::from_value(value)
                    .map_err(|e| Error::Storage { message: format!("stored dead letter {key} is unreadable: {e}") })?;
                out.push(letter);
            }
        }
        Ok(out)
    }

    fn remove_dead_letter(&self, sink: &str, cursor: Cursor) -> Result<()> {
        self.store.delete_document(&dead_letter_collection(sink), &format!("{cursor:020}"))?;
        Ok(())
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Where a watch is in the feed: what it has read and not handed out yet. The bindings keep one
/// per watch; [`Watch`] wraps one with an engine for Rust callers.
#[derive(Debug, Clone)]
pub struct Watcher {
    cursor: Cursor,
    filter: FeedFilter,
    buffer: VecDeque<FeedEntry>,
    reader: Option<Actor>,
}

impl Watcher {
    /// A watch of the entries after `after` that pass `filter`.
    pub fn new(after: Cursor, filter: FeedFilter) -> Self {
        Watcher { cursor: after, filter, buffer: VecDeque::new(), reader: None }
    }

    /// The same watch, handing out only the entries `reader` may see ([`Engine::may_read_entry`]).
    pub fn for_reader(self, reader: Actor) -> Self {
        Watcher { reader: Some(reader), ..self }
    }

    /// The cursor past the last entry read from the store (entries still buffered are before it).
    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// The next entry, waiting up to `timeout` for one to be committed; `None` when none came.
    pub fn next(&mut self, engine: &Engine, timeout: Duration) -> Result<Option<FeedEntry>> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(e) = self.buffer.pop_front() {
                return Ok(Some(e));
            }
            let page = engine.changes(self.cursor, &self.filter, 100)?;
            self.cursor = page.next;
            if !page.entries.is_empty() {
                for entry in page.entries {
                    if self.reader.as_ref().map_or(Ok(true), |a| engine.may_read_entry(&entry, a))? {
                        self.buffer.push_back(entry);
                    }
                }
                continue;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            engine.store.wait_for_feed(self.cursor, left)?;
        }
    }
}

/// A blocking iterator over the feed ([`Engine::watch`]): each item is the next entry that passes
/// the filter, or the store error that stopped it. It never ends on its own.
pub struct Watch<'a> {
    engine: &'a Engine,
    watcher: Watcher,
}

impl Watch<'_> {
    /// The next entry, waiting up to `timeout`; `None` when none came.
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<FeedEntry>> {
        self.watcher.next(self.engine, timeout)
    }

    /// The cursor past the last entry read.
    pub fn cursor(&self) -> Cursor {
        self.watcher.cursor()
    }
}

impl Iterator for Watch<'_> {
    type Item = Result<FeedEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.watcher.next(self.engine, Duration::from_secs(60)) {
                Ok(Some(e)) => return Some(Ok(e)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

//! The in-memory backend: for tests and scripts. Nothing survives the process.

use super::jobs::{new_token, stale};
use super::{Append, ClaimedJob, JobRecord, ReleaseQuery, ReleaseRow, Store, TickProbe, TickQuestion};
use crate::executor::Job;
use crate::feed::{Cursor, FeedEntry};
use crate::release::locks::{LockChanges, LockEntry};
use crate::release::{Event, InboxEntry, LedgerEntry};
use crate::{Error, Process, Result, Timestamp};
use hashbrown::HashMap;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex};

/// An in-memory [`Store`].
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    /// Woken after every append that wrote a feed entry.
    feed_written: Condvar,
}

#[derive(Default)]
struct Inner {
    processes: HashMap<String, Vec<Process>>,
    process_order: Vec<String>,
    documents: HashMap<String, BTreeMap<String, Doc>>,
    /// Each release's events, one exactly sized chunk per append (no spare capacity kept).
    events: HashMap<String, Vec<Box<[Event]>>>,
    snapshots: HashMap<String, (u64, Value)>,
    rows: HashMap<String, ReleaseRow>,
    order: BTreeMap<u64, String>,
    order_of: HashMap<String, u64>,
    next_order: u64,
    /// Ended releases not archived or deleted, by `(ended_at, order)`: what retention asks for,
    /// found without scanning every release.
    ended: BTreeSet<(Timestamp, u64)>,
    due: BTreeSet<(Timestamp, String)>,
    due_leases: HashMap<String, Timestamp>,
    jobs: BTreeMap<u64, JobEntry>,
    job_index: HashMap<String, u64>,
    next_job: u64,
    /// The change feed: entry `i` has cursor `i + 1`.
    feed: Vec<StoredFeedEntry>,
    /// Threads waiting in `wait_for_feed` (an append wakes them only when there are some: a
    /// wake-up is a system call).
    feed_waiters: usize,
    /// The strings the feed repeats (release ids, actors, scopes, process ids, kinds, origins).
    strings: Interner,
    consumers: HashMap<String, Cursor>,
    /// The inbox index: `(principal, since, release, phase/activity)` → entry.
    inbox: BTreeMap<InboxKey, Arc<InboxEntry>>,
    /// The inbox keys of each release (to replace them).
    inbox_of: HashMap<String, Vec<InboxKey>>,
    /// The deployment ledger: `(service, environment)` → `(at, release, seq)` → entry.
    ledger: BTreeMap<LedgerPlace, BTreeMap<LedgerKey, LedgerEntry>>,
    /// The ledger keys of each release (to remove them with it).
    ledger_of: HashMap<String, Vec<(LedgerPlace, LedgerKey)>>,
    /// Gate watches as `(target, watcher)` (looked up by target), and each watcher's targets.
    watches: BTreeSet<(String, String)>,
    watches_of: HashMap<String, Vec<String>>,
    /// Lock rows by `(name, release, node)`.
    locks: BTreeMap<(String, String, String), LockEntry>,
    /// The waiting lock rows in queue order: `(name, -priority, requested at, release, node)`.
    lock_waiting: BTreeSet<QueueKey>,
}

/// A waiting lock row's place: `(name, -priority, requested at, release, node)`.
type QueueKey = (String, i64, Timestamp, String, String);

fn queue_key(e: &LockEntry) -> QueueKey {
    let c = &e.claim;
    (c.name.clone(), -(c.priority as i64), c.requested_at, e.release_id.clone(), c.node.to_string())
}

/// `(service, environment)`.
type LedgerPlace = (String, String);
/// `(at, release, seq)`.
type LedgerKey = (Timestamp, String, u64);

type InboxKey = (Arc<str>, Timestamp, Arc<str>, String);

/// When a release ended, if it is one that retention may archive (ended, not archived, not
/// deleted).
fn ended_key(row: &ReleaseRow) -> Option<Timestamp> {
    row.ended_at.filter(|_| !row.archived && !row.deleted)
}

/// Strings kept once, shared by every entry that names them.
#[derive(Default)]
struct Interner(hashbrown::HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(a.clone());
        a
    }
}

/// A feed entry as the store keeps it: its strings interned (its cursor is its position).
struct StoredFeedEntry {
    release: Arc<str>,
    seq_from: u64,
    seq_to: u64,
    kinds: Box<[Arc<str>]>,
    status_before: Option<crate::release::ReleaseStatus>,
    status_after: crate::release::ReleaseStatus,
    deleted: bool,
    at: Timestamp,
    actor: Arc<str>,
    scope: Arc<str>,
    process_id: Arc<str>,
    release_kind: crate::release::ReleaseKind,
    group: Option<Arc<str>>,
    notifications: Box<[crate::notify::Notification]>,
    origin: Arc<str>,
}

impl StoredFeedEntry {
    fn new(entry: &FeedEntry, strings: &mut Interner) -> Self {
        StoredFeedEntry {
            release: strings.get(&entry.release),
            seq_from: entry.seq_from,
            seq_to: entry.seq_to,
            kinds: entry.kinds.iter().map(|k| strings.get(k)).collect(),
            status_before: entry.status_before,
            status_after: entry.status_after,
            deleted: entry.deleted,
            at: entry.at,
            actor: strings.get(&entry.actor),
            scope: strings.get(&entry.scope),
            process_id: strings.get(&entry.process_id),
            release_kind: entry.release_kind,
            group: entry.group.as_deref().map(|g| strings.get(g)),
            notifications: entry.notifications.clone().into_boxed_slice(),
            origin: strings.get(&entry.origin),
        }
    }

    fn to_entry(&self, cursor: Cursor) -> FeedEntry {
        FeedEntry {
            cursor,
            release: self.release.to_string(),
            seq_from: self.seq_from,
            seq_to: self.seq_to,
            kinds: self.kinds.iter().map(|k| k.to_string()).collect(),
            status_before: self.status_before,
            status_after: self.status_after,
            deleted: self.deleted,
            at: self.at,
            actor: self.actor.to_string(),
            scope: self.scope.to_string(),
            process_id: self.process_id.to_string(),
            release_kind: self.release_kind,
            group: self.group.as_deref().map(str::to_string),
            notifications: self.notifications.to_vec(),
            origin: self.origin.to_string(),
        }
    }
}

#[derive(Default)]
struct Doc {
    /// The last version ever given (kept across deletion: versions are never reused).
    last: u32,
    versions: BTreeMap<u32, Value>,
}

struct JobEntry {
    job: Job,
    worker: Option<String>,
    token: Option<String>,
    lease_until: Option<Timestamp>,
    deliveries: u32,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    /// Fails with a `lock taken` conflict when a lock `changes` grants is at capacity (counting
    /// the other releases that hold it).
    fn check_lock_capacity(&self, release: &str, changes: &LockChanges) -> Result<()> {
        let granted = changes.requested.iter().chain(&changes.acquired).filter(|c| c.held_since.is_some());
        for c in granted {
            let holders: BTreeSet<&str> = self
                .locks
                .range((c.name.clone(), String::new(), String::new())..)
                .take_while(|((n, _, _), _)| *n == c.name)
                .filter(|((_, r, _), e)| r != release && e.held())
                .map(|((_, r, _), _)| r.as_str())
                .collect();
            if holders.len() >= c.capacity as usize {
                return Err(crate::release::locks::lock_taken(&c.name, c.capacity));
            }
        }
        Ok(())
    }

    /// Writes the lock rows of an append (checked first by [`Inner::check_lock_capacity`]).
    fn write_locks(&mut self, release: &str, name: &str, changes: &LockChanges) {
        // Removed first: a lock let go and asked for again in one transition is written fresh.
        for k in &changes.released {
            if let Some(old) = self.locks.remove(&(k.name.clone(), release.to_string(), k.node.to_string())) {
                self.forget_waiting(&old);
            }
        }
        for e in changes.entries(release, name) {
            if !e.held() {
                self.lock_waiting.insert(queue_key(&e));
            }
            let key = (e.claim.name.clone(), release.to_string(), e.claim.node.to_string());
            if let Some(old) = self.locks.insert(key, e) {
                self.forget_waiting(&old);
            }
        }
    }

    /// Removes `old` from the waiting queue if it was waiting (a row granted now stays written).
    fn forget_waiting(&mut self, old: &LockEntry) {
        if !old.held() {
            let key = queue_key(old);
            let still = self.locks.get(&(key.0.clone(), key.3.clone(), key.4.clone())).is_some_and(|e| !e.held());
            if !still {
                self.lock_waiting.remove(&key);
            }
        }
    }

    fn replace_watches(&mut self, release: &str, targets: &[String]) {
        for t in self.watches_of.remove(release).unwrap_or_default() {
            self.watches.remove(&(t, release.to_string()));
        }
        if !targets.is_empty() {
            for t in targets {
                self.watches.insert((t.clone(), release.to_string()));
            }
            self.watches_of.insert(release.to_string(), targets.to_vec());
        }
    }

    fn replace_inbox(&mut self, release: &str, entries: &[InboxEntry]) {
        for key in self.inbox_of.remove(release).unwrap_or_default() {
            self.inbox.remove(&key);
        }
        let mut keys = Vec::new();
        let release_id = self.strings.get(release);
        for e in entries {
            let shared = Arc::new(e.clone());
            for g in &e.grants {
                let key = (self.strings.get(&g.principal), e.since, release_id.clone(), e.item_key());
                self.inbox.insert(key.clone(), shared.clone());
                keys.push(key);
            }
        }
        if !keys.is_empty() {
            self.inbox_of.insert(release.to_string(), keys);
        }
    }

    fn add_ledger(&mut self, release: &str, entries: &[LedgerEntry]) {
        for e in entries {
            let place = (e.service.clone(), e.environment.clone());
            let key = (e.at, release.to_string(), e.seq);
            let known = self.ledger_of.entry(release.to_string()).or_default();
            if known.iter().any(|(_, k)| k.2 == e.seq) {
                continue;
            }
            known.push((place.clone(), key.clone()));
            self.ledger.entry(place).or_default().insert(key, e.clone());
        }
    }

    fn remove_ledger(&mut self, release: &str) {
        for (place, key) in self.ledger_of.remove(release).unwrap_or_default() {
            if let Some(list) = self.ledger.get_mut(&place) {
                list.remove(&key);
                if list.is_empty() {
                    self.ledger.remove(&place);
                }
            }
        }
    }

    fn remove_job(&mut self, id: &str) {
        if let Some(ord) = self.job_index.remove(id) {
            self.jobs.remove(&ord);
        }
    }

    fn leased_job(&mut self, job_id: &str, token: &str, what: &str) -> Result<u64> {
        let ord = *self.job_index.get(job_id).ok_or_else(|| stale(job_id, what))?;
        match self.jobs.get(&ord) {
            Some(e) if e.token.as_deref() == Some(token) => Ok(ord),
            _ => Err(stale(job_id, what)),
        }
    }
}

impl Store for MemoryStore {
    fn put_process(&self, process: &Process) -> Result<u32> {
        let mut inner = self.lock();
        if !inner.processes.contains_key(&process.id) {
            inner.process_order.push(process.id.clone());
        }
        let versions = inner.processes.entry(process.id.clone()).or_default();
        if versions.last() != Some(process) {
            versions.push(process.clone());
        }
        Ok(versions.len() as u32)
    }

    fn get_process(&self, id: &str, version: Option<u32>) -> Result<Option<(u32, Process)>> {
        let inner = self.lock();
        let Some(versions) = inner.processes.get(id) else { return Ok(None) };
        let v = version.unwrap_or(versions.len() as u32);
        Ok(v.checked_sub(1).and_then(|i| versions.get(i as usize)).map(|p| (v, p.clone())))
    }

    fn latest_process_version(&self, id: &str) -> Result<Option<u32>> {
        Ok(self.lock().processes.get(id).map(|versions| versions.len() as u32))
    }

    fn list_processes(&self) -> Result<Vec<(String, u32)>> {
        let inner = self.lock();
        Ok(inner.process_order.iter().map(|id| (id.clone(), inner.processes[id].len() as u32)).collect())
    }

    fn put_document(&self, collection: &str, key: &str, value: &Value) -> Result<u32> {
        let mut inner = self.lock();
        let doc = inner.documents.entry(collection.to_string()).or_default().entry(key.to_string()).or_default();
        if let Some((v, latest)) = doc.versions.last_key_value() {
            if latest == value {
                return Ok(*v);
            }
        }
        doc.last += 1;
        doc.versions.insert(doc.last, value.clone());
        Ok(doc.last)
    }

    fn get_document(&self, collection: &str, key: &str, version: Option<u32>) -> Result<Option<(u32, Value)>> {
        let inner = self.lock();
        let Some(doc) = inner.documents.get(collection).and_then(|c| c.get(key)) else { return Ok(None) };
        Ok(match version {
            Some(v) => doc.versions.get(&v).map(|d| (v, d.clone())),
            None => doc.versions.last_key_value().map(|(v, d)| (*v, d.clone())),
        })
    }

    fn list_documents(&self, collection: &str) -> Result<Vec<(String, u32)>> {
        let inner = self.lock();
        Ok(inner
            .documents
            .get(collection)
            .map(|c| c.iter().filter_map(|(k, d)| d.versions.last_key_value().map(|(v, _)| (k.clone(), *v))).collect())
            .unwrap_or_default())
    }

    fn delete_document(&self, collection: &str, key: &str) -> Result<bool> {
        let mut inner = self.lock();
        let Some(doc) = inner.documents.get_mut(collection).and_then(|c| c.get_mut(key)) else { return Ok(false) };
        let existed = !doc.versions.is_empty();
        doc.versions.clear();
        Ok(existed)
    }

    fn append(&self, batch: &Append<'_>) -> Result<()> {
        let Append {
            release,
            expected_seq,
            events,
            row,
            new_jobs,
            done_jobs,
            feed,
            inbox,
            labels: _,
            ledger,
            watches,
            locks,
        } = *batch;
        super::sql::check_sequence(release, expected_seq, events)?;
        let mut inner = self.lock();
        let current = inner.rows.get(release).map_or(0, |r| r.seq);
        if current != expected_seq {
            return Err(Error::Conflict {
                message: format!(
                    "release {release} is at event {current}, not {expected_seq}: someone else changed it first"
                ),
            });
        }
        if let Some(changes) = locks {
            inner.check_lock_capacity(release, changes)?;
        }
        let order = match inner.order_of.get(release) {
            Some(n) => *n,
            None => {
                let n = inner.next_order;
                inner.next_order += 1;
                inner.order.insert(n, release.to_string());
                inner.order_of.insert(release.to_string(), n);
                n
            }
        };
        let (was_ended, was_due) = inner.rows.get(release).map_or((None, None), |r| (ended_key(r), r.next_due));
        if was_ended != ended_key(row) {
            if let Some(at) = was_ended {
                inner.ended.remove(&(at, order));
            }
            if let Some(at) = ended_key(row) {
                inner.ended.insert((at, order));
            }
        }
        if let Some(old) = was_due {
            inner.due.remove(&(old, release.to_string()));
        }
        if let Some(due) = row.next_due {
            inner.due.insert((due, release.to_string()));
        }
        inner.due_leases.remove(release);
        if !events.is_empty() {
            inner.events.entry_ref(release).or_default().push(events.into());
        }
        match inner.rows.get_mut(release) {
            Some(stored) => stored.clone_from(row),
            None => drop(inner.rows.insert(release.to_string(), row.clone())),
        }
        if let Some(entries) = inbox {
            inner.replace_inbox(release, entries);
        }
        inner.add_ledger(release, ledger);
        if let Some(targets) = watches {
            inner.replace_watches(release, targets);
        }
        if let Some(changes) = locks {
            inner.write_locks(release, &row.name, changes);
        }
        for id in done_jobs {
            inner.remove_job(id);
        }
        for job in new_jobs {
            if inner.job_index.contains_key(&job.id) {
                continue;
            }
            let ord = inner.next_job;
            inner.next_job += 1;
            inner.job_index.insert(job.id.clone(), ord);
            inner.jobs.insert(
                ord,
                JobEntry { job: job.clone(), worker: None, token: None, lease_until: None, deliveries: 0 },
            );
        }
        if let Some(entry) = feed {
            let stored = StoredFeedEntry::new(entry, &mut inner.strings);
            inner.feed.push(stored);
            let waiting = inner.feed_waiters > 0;
            drop(inner);
            if waiting {
                self.feed_written.notify_all();
            }
        }
        Ok(())
    }

    fn events(&self, release: &str, after: u64) -> Result<Vec<Event>> {
        let inner = self.lock();
        let Some(chunks) = inner.events.get(release) else { return Ok(Vec::new()) };
        let mut skip = after as usize;
        let mut out = Vec::new();
        for chunk in chunks {
            if skip >= chunk.len() {
                skip -= chunk.len();
                continue;
            }
            out.extend_from_slice(&chunk[skip..]);
            skip = 0;
        }
        Ok(out)
    }

    fn put_snapshot(&self, release: &str, seq: u64, state: &Value) -> Result<()> {
        let mut inner = self.lock();
        if !inner.rows.contains_key(release) {
            return Ok(());
        }
        if inner.snapshots.get(release).is_none_or(|(s, _)| *s < seq) {
            inner.snapshots.insert(release.to_string(), (seq, state.clone()));
        }
        Ok(())
    }

    fn snapshot(&self, release: &str) -> Result<Option<(u64, Value)>> {
        Ok(self.lock().snapshots.get(release).cloned())
    }

    fn snapshot_every(&self) -> u64 {
        0
    }

    fn release(&self, id: &str) -> Result<Option<ReleaseRow>> {
        Ok(self.lock().rows.get(id).cloned())
    }

    fn query_releases(&self, query: &ReleaseQuery) -> Result<Vec<ReleaseRow>> {
        let inner = self.lock();
        let limit = query.limit.unwrap_or(usize::MAX);
        if let (Some(before), false, false) = (query.ended_before, query.include_archived, query.include_deleted) {
            // Only ended, live releases can match: look at those, then put them in creation order.
            let mut orders: Vec<u64> = inner.ended.range(..=(before, u64::MAX)).map(|(_, n)| *n).collect();
            orders.sort_unstable();
            let rows = orders
                .iter()
                .filter_map(|n| inner.order.get(n).and_then(|id| inner.rows.get(id)))
                .filter(|r| query.matches(r));
            return Ok(rows.take(limit).cloned().collect());
        }
        let rows = inner.order.values().filter_map(|id| inner.rows.get(id)).filter(|r| query.matches(r));
        Ok(rows.take(limit).cloned().collect())
    }

    fn search(
        &self,
        filter: &super::SearchFilter,
        sort: super::SearchSort,
        after: Option<&super::SortKey>,
        limit: usize,
    ) -> Result<Vec<ReleaseRow>> {
        let inner = self.lock();
        let mut found: Vec<(super::SortKey, &ReleaseRow)> = inner
            .rows
            .values()
            .filter(|r| filter.matches(r))
            .map(|r| (super::SortKey::of(r, sort.field), r))
            .filter(|(k, _)| after.is_none_or(|a| if sort.descending { k < a } else { k > a }))
            .collect();
        found.sort_by(|a, b| if sort.descending { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
        Ok(found.into_iter().take(limit).map(|(_, r)| r.clone()).collect())
    }

    fn inbox(&self, principals: &[String], limit: usize) -> Result<Vec<InboxEntry>> {
        let inner = self.lock();
        let mut found: Vec<(&InboxKey, &Arc<InboxEntry>)> = Vec::new();
        let empty: Arc<str> = Arc::from("");
        for p in principals {
            let from = (Arc::from(p.as_str()), Timestamp::MIN_UTC, empty.clone(), String::new());
            found.extend(inner.inbox.range(from..).take_while(|(k, _)| *k.0 == **p).take(limit));
        }
        found.sort_by(|a, b| (a.0.1, &a.0.2, &a.0.3).cmp(&(b.0.1, &b.0.2, &b.0.3)));
        found.dedup_by(|a, b| a.0.2 == b.0.2 && a.0.3 == b.0.3);
        Ok(found.into_iter().take(limit).map(|(_, e)| InboxEntry::clone(e)).collect())
    }

    fn deployed(&self, environment: Option<&str>, service: Option<&str>) -> Result<Vec<LedgerEntry>> {
        let inner = self.lock();
        let found = inner
            .ledger
            .iter()
            .filter(|((s, e), _)| service.is_none_or(|x| x == s) && environment.is_none_or(|x| x == e))
            .filter_map(|(_, list)| list.values().next_back().cloned());
        Ok(found.collect())
    }

    fn deployments(&self, service: &str, environment: &str, limit: usize) -> Result<Vec<LedgerEntry>> {
        let inner = self.lock();
        let place = (service.to_string(), environment.to_string());
        Ok(inner.ledger.get(&place).map(|l| l.values().rev().take(limit).cloned().collect()).unwrap_or_default())
    }

    fn delete_release(&self, id: &str) -> Result<bool> {
        let mut inner = self.lock();
        let Some(row) = inner.rows.remove(id) else { return Ok(false) };
        inner.replace_inbox(id, &[]);
        inner.remove_ledger(id);
        inner.replace_watches(id, &[]);
        inner.locks.retain(|(_, r, _), _| r != id);
        inner.lock_waiting.retain(|(_, _, _, r, _)| r != id);
        if let Some(due) = row.next_due {
            inner.due.remove(&(due, id.to_string()));
        }
        inner.due_leases.remove(id);
        inner.events.remove(id);
        inner.snapshots.remove(id);
        if let Some(n) = inner.order_of.remove(id) {
            inner.order.remove(&n);
            if let Some(at) = ended_key(&row) {
                inner.ended.remove(&(at, n));
            }
        }
        let jobs: Vec<String> =
            inner.jobs.values().filter(|j| j.job.release_id == id).map(|j| j.job.id.clone()).collect();
        for j in jobs {
            inner.remove_job(&j);
        }
        Ok(true)
    }

    fn locks(&self, names: Option<&[String]>) -> Result<Vec<LockEntry>> {
        let inner = self.lock();
        let mut out: Vec<LockEntry> = match names {
            None => inner.locks.values().cloned().collect(),
            Some(names) => names
                .iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .flat_map(|n| {
                    inner
                        .locks
                        .range((n.clone(), String::new(), String::new())..)
                        .take_while(move |((k, _, _), _)| k == n)
                })
                .map(|(_, e)| e.clone())
                .collect(),
        };
        crate::release::locks::sort_entries(&mut out);
        Ok(out)
    }

    fn lock_queue(&self, name: &str, limit: usize) -> Result<Vec<LockEntry>> {
        let inner = self.lock();
        let mut out: Vec<LockEntry> = inner
            .locks
            .range((name.to_string(), String::new(), String::new())..)
            .take_while(|((n, _, _), _)| n == name)
            .filter(|(_, e)| e.held())
            .map(|(_, e)| e.clone())
            .collect();
        let from = (name.to_string(), i64::MIN, Timestamp::MIN_UTC, String::new(), String::new());
        for (n, _, _, release, node) in inner.lock_waiting.range(from..).take(limit) {
            if n != name {
                break;
            }
            if let Some(e) = inner.locks.get(&(n.clone(), release.clone(), node.clone())) {
                out.push(e.clone());
            }
        }
        Ok(out)
    }

    fn gate_watches(&self, target: Option<&str>) -> Result<Vec<(String, String)>> {
        let inner = self.lock();
        let mut out: Vec<(String, String)> = match target {
            Some(t) => inner
                .watches
                .range((t.to_string(), String::new())..)
                .take_while(|(tt, _)| tt == t)
                .map(|(tt, w)| (w.clone(), tt.clone()))
                .collect(),
            None => inner.watches.iter().map(|(t, w)| (w.clone(), t.clone())).collect(),
        };
        out.sort();
        Ok(out)
    }

    fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<(Timestamp, String)>> {
        let inner = self.lock();
        Ok(inner.due.iter().take_while(|(t, _)| *t <= now).take(limit).cloned().collect())
    }

    fn claim_due(&self, now: Timestamp, limit: usize, lease_until: Timestamp) -> Result<Vec<(Timestamp, String)>> {
        let mut inner = self.lock();
        let picked: Vec<(Timestamp, String)> = inner
            .due
            .iter()
            .take_while(|(t, _)| *t <= now)
            .filter(|(_, id)| inner.due_leases.get(id).is_none_or(|l| *l <= now))
            .take(limit)
            .cloned()
            .collect();
        for (_, id) in &picked {
            inner.due_leases.insert(id.clone(), lease_until);
        }
        Ok(picked)
    }

    fn claim_jobs(
        &self,
        executors: &[String],
        worker: &str,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedJob>> {
        let mut inner = self.lock();
        let mut out = Vec::new();
        for entry in inner.jobs.values_mut() {
            if out.len() >= limit {
                break;
            }
            let free = entry.lease_until.is_none_or(|l| l <= now);
            if free && executors.contains(&entry.job.executor) {
                let token = new_token();
                entry.worker = Some(worker.to_string());
                entry.token = Some(token.clone());
                entry.lease_until = Some(lease_until);
                entry.deliveries += 1;
                out.push(ClaimedJob { job: entry.job.clone(), token, deliveries: entry.deliveries });
            }
        }
        Ok(out)
    }

    fn heartbeat(&self, job_id: &str, token: &str, lease_until: Timestamp) -> Result<()> {
        let mut inner = self.lock();
        let ord = inner.leased_job(job_id, token, "heartbeat refused")?;
        if let Some(e) = inner.jobs.get_mut(&ord) {
            e.lease_until = Some(lease_until);
        }
        Ok(())
    }

    fn finish_job(&self, job_id: &str, token: &str) -> Result<()> {
        let mut inner = self.lock();
        inner.leased_job(job_id, token, "completion refused")?;
        inner.remove_job(job_id);
        Ok(())
    }

    fn jobs(&self) -> Result<Vec<JobRecord>> {
        let inner = self.lock();
        Ok(inner
            .jobs
            .values()
            .map(|e| JobRecord {
                job: e.job.clone(),
                worker: e.worker.clone(),
                lease_until: e.lease_until,
                deliveries: e.deliveries,
            })
            .collect())
    }

    fn feed(&self, after: Cursor, limit: usize) -> Result<Vec<FeedEntry>> {
        let inner = self.lock();
        let start = (after as usize).min(inner.feed.len());
        Ok(inner.feed[start..]
            .iter()
            .take(limit)
            .enumerate()
            .map(|(i, e)| e.to_entry((start + i) as Cursor + 1))
            .collect())
    }

    fn feed_head(&self) -> Result<Cursor> {
        Ok(self.lock().feed.len() as Cursor)
    }

    fn consumer_cursor(&self, consumer: &str) -> Result<Option<Cursor>> {
        Ok(self.lock().consumers.get(consumer).copied())
    }

    fn set_consumer_cursor(&self, consumer: &str, cursor: Cursor) -> Result<()> {
        self.lock().consumers.insert(consumer.to_string(), cursor);
        Ok(())
    }

    fn tick_probe(&self, q: &TickQuestion<'_>) -> Result<TickProbe> {
        let TickQuestion { feed_after, origin, now, executors, collection } = *q;
        let inner = self.lock();
        let free = |lease: Option<Timestamp>| lease.is_none_or(|l| l <= now);
        let after = (feed_after as usize).min(inner.feed.len());
        Ok(TickProbe {
            feed: inner.feed[after..].iter().any(|e| &*e.origin != origin),
            feed_head: feed_after.max(inner.feed.len() as Cursor),
            timers: inner
                .due
                .iter()
                .take_while(|(t, _)| *t <= now)
                .any(|(_, id)| free(inner.due_leases.get(id).copied())),
            jobs: inner.jobs.values().any(|e| free(e.lease_until) && executors.contains(&e.job.executor)),
            documents: inner.documents.get(collection).is_some_and(|c| c.values().any(|d| !d.versions.is_empty())),
        })
    }

    fn wait_for_feed(&self, after: Cursor, timeout: std::time::Duration) -> Result<()> {
        let mut inner = self.lock();
        inner.feed_waiters += 1;
        let (mut inner, _) = self
            .feed_written
            .wait_timeout_while(inner, timeout, |i| i.feed.len() as Cursor <= after)
            .unwrap_or_else(|e| e.into_inner());
        inner.feed_waiters -= 1;
        Ok(())
    }
}

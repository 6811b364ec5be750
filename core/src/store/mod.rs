//! Storage: the [`Store`] trait, its backends and the [`contract`] every backend passes.
//!
//! # Contract (every backend)
//! * **Atomic append with an expected sequence.** [`Store::append`] writes all of a batch's
//!   `events` (numbered `expected_seq + 1 ..`), the release's index row, the batch's new jobs and
//!   the removal of its finished jobs, or nothing. If the release's last sequence is not
//!   `expected_seq` (someone else appended first) it fails with [`crate::Error::Conflict`] and
//!   writes nothing. Sequences have no gaps and no duplicates.
//! * **Read your writes.** After `append` returns, every read of the same store (and, for shared
//!   backends, of every other store on the same database) sees what it wrote.
//! * **Snapshots are a cache.** [`Store::put_snapshot`] keeps the latest serialized state of a
//!   release at a sequence; loading uses it plus the events after it. A snapshot never replaces
//!   events, and a missing or unreadable snapshot only costs a full replay.
//! * **Durable timers with leases.** A release's earliest timer is its row's `next_due`.
//!   [`Store::claim_due`] hands a due release to one caller until the lease ends or the release's
//!   row is written again; an expired lease makes it claimable again. Firing stays safe without
//!   the lease: a timer fired twice conflicts on the expected sequence.
//! * **Jobs with leases.** Jobs are written in the same append as the `activity_queued` event that
//!   creates them. [`Store::claim_jobs`] leases unclaimed or expired jobs (oldest first) to a
//!   worker with a fresh token; an expired lease is redelivered with the **same job id** and a new
//!   token. [`Store::heartbeat`] and [`Store::finish_job`] with a token that is no longer the
//!   job's (or for a job that is gone) fail with [`crate::Error::Conflict`]. The engine removes the
//!   job of an attempt that ended (success, failure, abort, timeout) in the append that ends it.
//! * **Versioned definitions.** [`Store::put_process`] and [`Store::put_document`] store a new
//!   version only when the value differs from the latest one; versions start at 1 and never change.
//! * **Consistent index.** The index row of a release is written in the same transaction as its
//!   events, so [`Store::query_releases`] (status, kind, group, scope, time range) never disagrees
//!   with the events.
//! * **The change feed.** An append that carries a feed entry ([`Append::feed`]) writes it in the
//!   same transaction as the events, with a store-wide cursor. [`Store::feed`] returns entries in
//!   commit order: an entry committed after another has a greater cursor, and a reader that has
//!   read up to cursor `c` never misses an entry that commits later (on PostgreSQL, where a
//!   number drawn earlier may commit later, the cursor is the writing transaction's id and a
//!   reader only reads up to the oldest transaction still running). No gaps in what a reader
//!   sees, no duplicates; a refused append writes no entry. [`Store::wait_for_feed`] wakes readers
//!   without busy polling (a condition variable in memory, `PRAGMA data_version` checked every
//!   few milliseconds on SQLite, `LISTEN`/`NOTIFY` on PostgreSQL). Named consumers keep their
//!   cursor in the store ([`Store::set_consumer_cursor`]).
//! * **The inbox index.** An append that carries inbox entries ([`Append::inbox`]) replaces the
//!   release's entries in the same transaction as its events; each entry is indexed under every
//!   principal of its grants. [`Store::inbox`] reads the entries of a set of principals, oldest
//!   (`since`) first, each entry once, reading at most `limit` index rows per principal (constant
//!   time per item, whatever the number of releases).
//! * **The deployment ledger.** An append that carries ledger entries ([`Append::ledger`])
//!   writes them in the same transaction as its events; an entry already stored (same release and
//!   sequence) is kept, so writing the entries of a release again (a rebuild) changes nothing.
//!   [`Store::deployed`] gives the latest entry of each service and environment (by time, then
//!   release id, then sequence, ids compared byte by byte), [`Store::deployments`] the entries of
//!   one service and environment newest first. A refused append writes no entry; a deleted
//!   release takes its entries with it.
//! * **Deletion.** [`Store::delete_release`] removes a release's row, events, snapshot and jobs.
//!   The rules about *when* a release may be deleted live in the engine
//!   ([`crate::Engine::delete_release`]).
//!
//! # Backends
//! [`MemoryStore`] (tests and scripts), [`SqliteStore`] (embedded default, one file, WAL) and,
//! with the `postgres` feature, `PostgresStore` (several engines on one database). [`open`]
//! picks one from a URL.
//!
//! The two SQL backends are one store: `sql::SqlStore` implements the whole contract once (the
//! statements, the versioning of processes and documents, the append's expected-sequence check,
//! claims with leases) over a small `Dialect`. What differs lives in `sqlite.rs` and
//! `postgres.rs` only: connecting (one connection under a lock; a pool), migrating (an advisory
//! lock on PostgreSQL), placeholders and value binding, how a write transaction begins
//! (`BEGIN IMMEDIATE`; `BEGIN` and `FOR UPDATE`), claiming (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; a plain read first on SQLite, so that an idle `tick` takes no write lock), error
//! mapping and the DDL's type names. On PostgreSQL every statement is prepared once per pooled
//! connection and an append is one statement (one round trip) that checks the expected
//! sequence and writes everything; on SQLite every statement goes through the connection's
//! statement cache. The schema is written once (`sql/schema.rs`), and a database created by an
//! earlier version opens and is migrated forward (see [`SCHEMA_VERSION`]).
//!
//! # Stored data across versions
//! A SQL database records its schema version (`schema_version`, [`SCHEMA_VERSION`]) and the
//! version of each stored JSON format (`formats`: [`crate::release::EVENT_FORMAT`] for events,
//! [`SNAPSHOT_FORMAT`] for snapshots, which also carry theirs in each body). Opening runs the
//! missing migrations forward in one transaction; a schema or format newer than this version
//! knows is refused with [`crate::Error::UnsupportedVersion`] (code `unsupported_version`) and
//! nothing is written. `testdata/stored/` keeps a database written by each released version;
//! `core/tests/stored_fixtures.rs` opens, migrates and replays each one.

pub mod contract;
mod contract_feed;
mod contract_inbox;
mod contract_ledger;
mod contract_locks;
mod contract_probe;
mod contract_search;
mod contract_watches;
pub mod fixtures;
mod jobs;
mod memory;
mod probe;
mod query;
mod search;
mod snapshot;
pub(crate) mod sql;
mod sqlite;
mod url;

#[cfg(feature = "postgres")]
mod postgres;

pub use jobs::{ClaimedJob, JobRecord};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use probe::{TickProbe, TickQuestion};
pub use query::{ReleaseQuery, window_of};
pub use search::{SearchCursor, SearchFilter, SearchSort, SortField, SortKey, TimeRange};
pub use snapshot::{SNAPSHOT_FORMAT, decode_snapshot, encode_snapshot};
pub use sqlite::SqliteStore;

/// The schema version this trainyard writes: the number of SQL migrations (SQLite and PostgreSQL
/// databases record how many ran, and migrate forward on open). A newer one is refused with
/// [`crate::Error::UnsupportedVersion`].
pub const SCHEMA_VERSION: u32 = sql::schema::MIGRATIONS.len() as u32;
pub use url::{open, redact_url};

use crate::executor::Job;
use crate::feed::{Cursor, FeedEntry};
use crate::release::{Event, InboxEntry, LedgerEntry, ReleaseKind, ReleaseStatus};
use crate::{Process, Result, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The queryable summary of a release, written with its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRow {
    /// Release id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Process id.
    pub process_id: String,
    /// Process version.
    pub process_version: u32,
    /// Status.
    pub status: ReleaseStatus,
    /// Kind.
    pub kind: ReleaseKind,
    /// Scope.
    pub scope: String,
    /// Release group.
    pub group: Option<String>,
    /// Archived.
    pub archived: bool,
    /// Deleted.
    pub deleted: bool,
    /// When its earliest timer is due.
    pub next_due: Option<Timestamp>,
    /// Last sequence number.
    pub seq: u64,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Scheduled start.
    pub planned_start: Option<Timestamp>,
    /// Scheduled end.
    pub planned_end: Option<Timestamp>,
    /// When it was activated.
    pub started_at: Option<Timestamp>,
    /// When it ended (or was aborted).
    pub ended_at: Option<Timestamp>,
    /// Values of its `service` inputs (scalars and lists), for calendar filters and conflicts.
    #[serde(default)]
    pub services: Vec<String>,
    /// Values of its `environment` inputs, for calendar filters and conflicts.
    #[serde(default)]
    pub environments: Vec<String>,
    /// Its labels (for search).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// The version it releases (for search).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When its last event happened (the search's `updated_at` order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
}

/// One atomic write of a release: its new events, its index row, the jobs the events queue and
/// the jobs whose attempts the events end.
#[derive(Debug, Clone, Copy)]
pub struct Append<'a> {
    /// Release id.
    pub release: &'a str,
    /// The release's last sequence as the writer saw it (0 for a new release).
    pub expected_seq: u64,
    /// The events, numbered `expected_seq + 1 ..` without gaps.
    pub events: &'a [Event],
    /// The release's index row after the events.
    pub row: &'a ReleaseRow,
    /// Jobs queued by these events (one per `activity_queued`).
    pub new_jobs: &'a [Job],
    /// Ids of jobs whose attempt these events end (removed; their tokens become stale).
    pub done_jobs: &'a [String],
    /// The change-feed entry of this commit (its `cursor` is assigned by the store).
    pub feed: Option<&'a FeedEntry>,
    /// The release's inbox entries after the events, replacing the ones stored (`None`: they did
    /// not change).
    pub inbox: Option<&'a [InboxEntry]>,
    /// The release's labels after the events, replacing the indexed ones (`None`: they did not
    /// change).
    pub labels: Option<&'a std::collections::BTreeMap<String, String>>,
    /// The deployment ledger entries these events add (an entry the store already has, by
    /// release and sequence, is kept as it is).
    pub ledger: &'a [LedgerEntry],
    /// The releases this release's waiting gates watch after the events, replacing the stored
    /// ones (`None`: they did not change; see [`Store::gate_watches`]).
    pub watches: Option<&'a [String]>,
    /// The locks the events ask for, are granted and let go (`None`: none; see
    /// [`Store::locks`]): the ones let go are removed first, then the others written. A granted lock beyond its capacity (counting the other releases that
    /// hold it) fails the whole append with a [`crate::release::locks::lock_taken`] conflict.
    pub locks: Option<&'a crate::release::locks::LockChanges>,
}

impl<'a> Append<'a> {
    /// A batch of events and the row, without jobs and without a feed entry.
    pub fn new(release: &'a str, expected_seq: u64, events: &'a [Event], row: &'a ReleaseRow) -> Self {
        Append {
            release,
            expected_seq,
            events,
            row,
            new_jobs: &[],
            done_jobs: &[],
            feed: None,
            inbox: None,
            labels: None,
            ledger: &[],
            watches: None,
            locks: None,
        }
    }
}

/// Where processes, definitions, release events, timers and jobs live.
/// Object-safe, `Send + Sync`, synchronous. The guarantees are in the [module docs](self).
pub trait Store: Send + Sync {
    // ----- process definitions -----

    /// Stores a process definition; returns its version (a new one only if it changed).
    fn put_process(&self, process: &Process) -> Result<u32>;
    /// A process at `version` (latest when `None`), with its version.
    fn get_process(&self, id: &str, version: Option<u32>) -> Result<Option<(u32, Process)>>;
    /// The latest version of a process (`None` when it is not registered), without reading its
    /// definition: the engine then finds the plan it has already built. The default reads the
    /// definition; stores that can answer cheaper do.
    fn latest_process_version(&self, id: &str) -> Result<Option<u32>> {
        Ok(self.get_process(id, None)?.map(|(v, _)| v))
    }
    /// Every process id with its latest version, in registration order.
    fn list_processes(&self) -> Result<Vec<(String, u32)>>;

    // ----- other versioned definitions (input sets, release groups, freezes, …) -----

    /// Stores `value` under `collection`/`key`; returns its version: a new one (latest + 1) when
    /// the value differs from the latest, the latest otherwise. A key deleted earlier starts again
    /// after its last version (versions are never reused).
    fn put_document(&self, collection: &str, key: &str, value: &Value) -> Result<u32>;
    /// A document at `version` (latest when `None`), with its version; `None` if there is no such
    /// key or version, or the key was deleted.
    fn get_document(&self, collection: &str, key: &str, version: Option<u32>) -> Result<Option<(u32, Value)>>;
    /// The keys of a collection (not deleted) with their latest versions, sorted by key.
    fn list_documents(&self, collection: &str) -> Result<Vec<(String, u32)>>;
    /// Deletes a key with all its versions; returns whether it existed.
    fn delete_document(&self, collection: &str, key: &str) -> Result<bool>;

    // ----- release events -----

    /// Appends a batch atomically (see the contract in the module docs).
    fn append(&self, batch: &Append<'_>) -> Result<()>;
    /// The events of a release with `seq > after`, in order.
    fn events(&self, release: &str, after: u64) -> Result<Vec<Event>>;
    /// Keeps `state` (an [`encode_snapshot`] value) as the release's snapshot at `seq`, replacing
    /// an older one (a snapshot older than the kept one is ignored).
    fn put_snapshot(&self, release: &str, seq: u64, state: &Value) -> Result<()>;
    /// The release's latest snapshot: `(seq, state)`.
    fn snapshot(&self, release: &str) -> Result<Option<(u64, Value)>>;
    /// How many events the engine lets pass between snapshots (0 = never). Durable backends
    /// snapshot; the memory backend does not need to (the engine's cache holds the states).
    fn snapshot_every(&self) -> u64 {
        100
    }

    // ----- the release index -----

    /// The index row of a release.
    fn release(&self, id: &str) -> Result<Option<ReleaseRow>>;
    /// All index rows, oldest first.
    fn releases(&self) -> Result<Vec<ReleaseRow>> {
        self.query_releases(&ReleaseQuery { include_archived: true, include_deleted: true, ..Default::default() })
    }
    /// Index rows matching `query`, oldest first.
    fn query_releases(&self, query: &ReleaseQuery) -> Result<Vec<ReleaseRow>>;
    /// Up to `limit` index rows matching `filter` in `sort` order, starting after the row with
    /// key `after` (see [`search`](SearchCursor); the reference semantics are
    /// [`SearchFilter::matches`] and [`SortKey`]). Keyset pagination: the cost of a page does not
    /// grow with its depth.
    fn search(
        &self,
        filter: &SearchFilter,
        sort: SearchSort,
        after: Option<&SortKey>,
        limit: usize,
    ) -> Result<Vec<ReleaseRow>>;
    /// The inbox entries indexed under any of `principals` (see [`crate::release::inbox`]),
    /// ordered by `since`, then release id, then phase and activity; each entry once; at most
    /// `limit`.
    fn inbox(&self, principals: &[String], limit: usize) -> Result<Vec<InboxEntry>>;
    /// The current entry of the deployment ledger of each service and environment (its latest,
    /// by time, then release id, then sequence; see [`crate::release::ledger`]), only those of
    /// `environment` and `service` when given; sorted by service, then environment.
    fn deployed(&self, environment: Option<&str>, service: Option<&str>) -> Result<Vec<LedgerEntry>>;
    /// The ledger entries of `service` in `environment`, newest first (the same order), at most
    /// `limit`.
    fn deployments(&self, service: &str, environment: &str, limit: usize) -> Result<Vec<LedgerEntry>>;
    /// Removes a release: its row, events, snapshot, jobs, inbox and ledger entries. Returns
    /// whether it existed.
    fn delete_release(&self, id: &str) -> Result<bool>;

    /// The gate watches `(watcher, target)`: the releases whose waiting gates watch `target`, or
    /// every watch when `target` is `None`, sorted. Written with each release's append
    /// ([`Append::watches`]), so every engine on the store sees the same ones.
    fn gate_watches(&self, target: Option<&str>) -> Result<Vec<(String, String)>>;

    /// The lock rows (held and waiting) of the locks named, or of every lock when `names` is
    /// `None`: sorted by name, then in queue order ([`crate::release::locks::queue_order`]).
    /// Written with each release's append ([`Append::locks`]).
    fn locks(&self, names: Option<&[String]>) -> Result<Vec<crate::release::locks::LockEntry>>;
    /// The queue of lock `name`: every row that holds it, then its first `limit` waiting rows in
    /// queue order (what granting it needs to see: with no overtaking, only the first waiters
    /// can go ahead).
    fn lock_queue(&self, name: &str, limit: usize) -> Result<Vec<crate::release::locks::LockEntry>>;

    // ----- timers -----

    /// Up to `limit` releases with a timer due at or before `now`, earliest due first.
    fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<(Timestamp, String)>>;
    /// Like [`Store::due`], but leases what it returns until `lease_until` (releases leased by
    /// someone else and not expired at `now` are passed over). The next append to a release ends
    /// its lease.
    fn claim_due(&self, now: Timestamp, limit: usize, lease_until: Timestamp) -> Result<Vec<(Timestamp, String)>>;

    // ----- jobs -----

    /// Leases up to `limit` jobs of the named executors that are unclaimed or whose lease ended at
    /// or before `now`, oldest first, to `worker` until `lease_until`, each with a fresh token.
    fn claim_jobs(
        &self,
        executors: &[String],
        worker: &str,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedJob>>;
    /// Extends a lease. `conflict` if `token` is not the job's current token or the job is gone.
    fn heartbeat(&self, job_id: &str, token: &str, lease_until: Timestamp) -> Result<()>;
    /// Removes a leased job (its worker is done with it). `conflict` if `token` is stale or the
    /// job is gone.
    fn finish_job(&self, job_id: &str, token: &str) -> Result<()>;
    /// Every job in the store, oldest first, with its lease.
    fn jobs(&self) -> Result<Vec<JobRecord>>;

    // ----- the change feed -----

    /// Up to `limit` feed entries committed after cursor `after`, in cursor (commit) order.
    fn feed(&self, after: Cursor, limit: usize) -> Result<Vec<FeedEntry>>;
    /// The cursor of the last readable feed entry (0 when there is none): reading after it gives
    /// only what commits from now on.
    fn feed_head(&self) -> Result<Cursor>;
    /// The cursor a named consumer acknowledged last (`None` for a new consumer).
    fn consumer_cursor(&self, consumer: &str) -> Result<Option<Cursor>>;
    /// Stores the cursor of a named consumer (it survives restarts).
    fn set_consumer_cursor(&self, consumer: &str, cursor: Cursor) -> Result<()>;
    /// Returns when an entry after `after` may have been committed (by this process or any other
    /// writer of the same database), or when `timeout` has passed; without busy polling. A return
    /// is a hint: read [`Store::feed`] to see what is there.
    fn wait_for_feed(&self, after: Cursor, timeout: std::time::Duration) -> Result<()>;

    // ----- the tick -----

    /// Which parts of a tick at `q.now` may find work, in one read: a feed entry after
    /// `q.feed_after` that an engine other than `q.origin` wrote (and the readable head), a timer
    /// due and claimable ([`Store::claim_due`] would return something), a job of `q.executors`
    /// claimable ([`Store::claim_jobs`] would), a live document in `q.collection`. An answer may
    /// say `true` where nothing is there (the tick only looks in vain), never `false` where a
    /// read or claim at the same moment would find something. The default answers
    /// [`TickProbe::ANYTHING`]; the memory store answers exactly, the SQL stores exactly with
    /// one statement.
    fn tick_probe(&self, q: &TickQuestion<'_>) -> Result<TickProbe> {
        let _ = q;
        Ok(TickProbe::ANYTHING)
    }
}

//! Storage: the [`Store`] trait and its backends.
//!
//! # Contract (every backend)
//! * **Atomic append with an expected sequence.** `append(release, expected_seq, events, row)`
//!   writes all `events` (numbered `expected_seq + 1 ..`) and the release's index row, or nothing;
//!   if the release's last sequence is not `expected_seq`, it fails with [`crate::Error::Conflict`].
//! * **Read your writes.** After `append` returns, `events` and `releases` see what it wrote.
//! * **Versioned definitions.** `put_process` stores a new version only when the definition
//!   differs from the latest one; versions start at 1 and never change.
//! * **Consistent index.** The index row of a release (status, kind, scope, group, process, next
//!   timer) is written in the same transaction as its events.

mod memory;

pub use memory::MemoryStore;

use crate::release::{Event, ReleaseKind, ReleaseStatus};
use crate::{Process, Result, Timestamp};
use serde::{Deserialize, Serialize};

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
}

/// Where processes and release events live. Object-safe, `Send + Sync`, synchronous.
pub trait Store: Send + Sync {
    /// Stores a process definition; returns its version (a new one only if it changed).
    fn put_process(&self, process: &Process) -> Result<u32>;
    /// A process at `version` (latest when `None`), with its version.
    fn get_process(&self, id: &str, version: Option<u32>) -> Result<Option<(u32, Process)>>;
    /// Every process id with its latest version.
    fn list_processes(&self) -> Result<Vec<(String, u32)>>;
    /// Appends events atomically (see the contract above).
    fn append(&self, release: &str, expected_seq: u64, events: &[Event], row: &ReleaseRow) -> Result<()>;
    /// The events of a release with `seq > after`, in order.
    fn events(&self, release: &str, after: u64) -> Result<Vec<Event>>;
    /// The index row of a release.
    fn release(&self, id: &str) -> Result<Option<ReleaseRow>>;
    /// All index rows, oldest first.
    fn releases(&self) -> Result<Vec<ReleaseRow>>;
    /// Up to `limit` releases with a timer due at or before `now`, earliest due first.
    fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<(Timestamp, String)>>;
}

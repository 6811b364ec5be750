//! The change feed: one entry per commit, store-wide, in commit order, durable.
//!
//! Every append writes its [`FeedEntry`] in the same transaction as its events: the release, the
//! range of event sequence numbers it added, the event kinds, the release status before and after,
//! the time, and the notifications the commit caused (with resolved recipients). A reader asks
//! for the entries after a [`Cursor`] ([`FeedPage`]); a *named consumer* keeps its cursor in the
//! store, so delivery is at-least-once and resumes after a restart. Sinks ([`Sink`]) deliver
//! entries elsewhere (a webhook, NATS JetStream).
//!
//! # Cursors
//! A cursor is an opaque, increasing `u64`: entry `b` was committed after entry `a` exactly when
//! `b.cursor > a.cursor`. A reader that has seen everything up to cursor `c` asks for the entries
//! after `c` and never misses one that commits later. Cursor `0` is before the first entry.

use crate::Timestamp;
use crate::notify::Notification;
use crate::release::{ReleaseKind, ReleaseStatus};
use serde::{Deserialize, Serialize};

/// `Debug` for a sink that shows only its config (whose own `Debug` redacts the URL and secrets),
/// not its connection or runtime.
macro_rules! debug_config_only {
    ($sink:ident) => {
        impl std::fmt::Debug for $sink {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($sink)).field("config", &self.config).finish_non_exhaustive()
            }
        }
    };
}

#[cfg(feature = "nats")]
pub mod nats;
pub mod runner;
pub mod source;
pub mod webhook;

/// A position in the feed (see the [module docs](self)).
pub type Cursor = u64;

/// The most entries [`crate::Engine::changes`] returns at once.
pub const MAX_PAGE: usize = 1_000;

/// The most entries one [`crate::Engine::changes`] call looks at (filtered out or not) before it
/// returns with what it found and where to continue.
pub const MAX_SCANNED_PER_CALL: usize = 10_000;

/// What one commit did to one release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// The entry's position in the feed.
    pub cursor: Cursor,
    /// The release.
    pub release: String,
    /// The first event sequence number this commit added.
    pub seq_from: u64,
    /// The last event sequence number this commit added.
    pub seq_to: u64,
    /// The kinds of the events, in order (`created`, `activity_succeeded`, …).
    pub kinds: Vec<String>,
    /// The release status before the commit (`None` when the commit created the release).
    pub status_before: Option<ReleaseStatus>,
    /// The release status after the commit.
    pub status_after: ReleaseStatus,
    /// Whether the commit deleted the release.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// The time of the commit's last event.
    pub at: Timestamp,
    /// Who issued the command (`system` for the clock and the engine).
    pub actor: String,
    /// The release's scope (`account` or `org:<id>`), for filtering.
    pub scope: String,
    /// The release's process id, for filtering.
    pub process_id: String,
    /// The release's kind, for filtering.
    pub release_kind: ReleaseKind,
    /// The release group, for filtering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The notifications the commit caused, with resolved recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<Notification>,
    /// The engine that committed it (its [`crate::Engine::worker_id`]); empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub origin: String,
}

impl FeedEntry {
    /// The field names of an entry, in order (what the bindings must expose; serde writes them all
    /// when none is empty).
    pub fn field_names() -> &'static [&'static str] {
        &[
            "cursor",
            "release",
            "seq_from",
            "seq_to",
            "kinds",
            "status_before",
            "status_after",
            "deleted",
            "at",
            "actor",
            "scope",
            "process_id",
            "release_kind",
            "group",
            "notifications",
            "origin",
        ]
    }
}

/// Which entries a reader wants. Empty lists match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedFilter {
    /// Only these releases.
    #[serde(default)]
    pub releases: Vec<String>,
    /// Only releases in these scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Only releases of these groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Only releases of these processes.
    #[serde(default)]
    pub processes: Vec<String>,
    /// Only entries whose status after the commit is one of these.
    #[serde(default)]
    pub statuses: Vec<ReleaseStatus>,
    /// Only entries with at least one event of these kinds.
    #[serde(default)]
    pub event_kinds: Vec<String>,
    /// Only entries that carry notifications.
    #[serde(default)]
    pub with_notifications: bool,
}

impl FeedFilter {
    /// Whether `entry` passes the filter.
    pub fn matches(&self, entry: &FeedEntry) -> bool {
        let any = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        any(&self.releases, &entry.release)
            && any(&self.scopes, &entry.scope)
            && (self.groups.is_empty() || entry.group.as_deref().is_some_and(|g| any(&self.groups, g)))
            && any(&self.processes, &entry.process_id)
            && (self.statuses.is_empty() || self.statuses.contains(&entry.status_after))
            && (self.event_kinds.is_empty() || entry.kinds.iter().any(|k| self.event_kinds.contains(k)))
            && (!self.with_notifications || !entry.notifications.is_empty())
    }
}

/// A page of the feed: the entries after the asked cursor (filtered), and where to continue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedPage {
    /// The entries, in cursor order.
    pub entries: Vec<FeedEntry>,
    /// The cursor to ask after next time (past every entry this page looked at, filtered out or
    /// not).
    pub next: Cursor,
}

/// Delivers feed entries somewhere else. Called with the entries of one page, in order; an error
/// makes the runner retry the same entries later (with backoff), and after the sink's last attempt
/// they go to the dead-letter list.
pub trait Sink: Send + Sync {
    /// The sink's name (its consumer name in the store, and its dead-letter list's name).
    fn name(&self) -> &str;
    /// Delivers one entry.
    fn deliver(&self, entry: &FeedEntry) -> Result<(), SinkError>;
}

/// Why a sink could not deliver an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkError {
    /// What went wrong (never containing a secret: entries carry no secret values).
    pub message: String,
    /// Whether trying again may help (a timeout, a 5xx answer, a lost connection). A permanent
    /// failure (a 4xx answer other than 408/429) goes to the dead-letter list at once.
    pub retryable: bool,
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::NotificationKind;

    #[test]
    fn field_names_are_what_serde_writes() {
        let at: Timestamp = "2025-04-07T09:00:00Z".parse().unwrap();
        let entry = FeedEntry {
            cursor: 7,
            release: "r1".into(),
            seq_from: 1,
            seq_to: 2,
            kinds: vec!["created".into()],
            status_before: Some(ReleaseStatus::Draft),
            status_after: ReleaseStatus::Draft,
            deleted: true,
            at,
            actor: "rita".into(),
            scope: "account".into(),
            process_id: "p".into(),
            release_kind: ReleaseKind::Standard,
            group: Some("g".into()),
            notifications: vec![Notification {
                kind: NotificationKind::ReleaseStarted,
                release_id: "r1".into(),
                release_name: "r".into(),
                phase: None,
                activity: None,
                status: None,
                recipients: vec![],
                at,
                seq: 2,
                message: "started".into(),
            }],
            origin: "w".into(),
        };
        let v = serde_json::to_value(&entry).unwrap();
        let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, FeedEntry::field_names());
        let letter = source::DeadLetter {
            entry,
            sink: "s".into(),
            error: "e".into(),
            permanent: true,
            attempts: 1,
            first_failed_at: at,
            last_failed_at: at,
        };
        let v = serde_json::to_value(&letter).unwrap();
        let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, source::DeadLetter::field_names());
    }
}

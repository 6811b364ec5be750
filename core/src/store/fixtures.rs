//! Plain values for store tests and benches — the contract's own cases, a backend's tests, the
//! sinks' tests — so that each states only the fields it is about
//! (`ReleaseRow { status: ReleaseStatus::Running, ..fixtures::release_row("r", 1) }`).

use super::ReleaseRow;
use crate::Timestamp;
use crate::feed::FeedEntry;
use crate::release::{ReleaseKind, ReleaseStatus};

/// The time of every fixture: Monday 2025-04-07 09:00 UTC.
pub fn at() -> Timestamp {
    "2025-04-07T09:00:00Z".parse().expect("a fixed time")
}

/// The index row of draft release `id` (named `release <id>`, standard, scope `account`) of
/// process `p` version 1 after event `seq`, created at [`at`], with nothing else set.
pub fn release_row(id: &str, seq: u64) -> ReleaseRow {
    ReleaseRow {
        id: id.into(),
        name: format!("release {id}"),
        process_id: "p".into(),
        process_version: 1,
        status: ReleaseStatus::Draft,
        kind: ReleaseKind::Standard,
        scope: "account".into(),
        group: None,
        archived: false,
        deleted: false,
        next_due: None,
        seq,
        created_at: Some(at()),
        planned_start: None,
        planned_end: None,
        started_at: None,
        ended_at: None,
        services: vec![],
        environments: vec![],
        labels: Default::default(),
        version: None,
        updated_at: None,
    }
}

/// The feed entry of a commit that added events `from..=to` (all `paused`) to running release
/// `id` of process `p` (standard, scope `account`), by `rita` at [`at`], without notifications
/// and without an origin.
pub fn feed_entry(id: &str, from: u64, to: u64) -> FeedEntry {
    FeedEntry {
        cursor: 0,
        release: id.into(),
        seq_from: from,
        seq_to: to,
        kinds: vec!["paused".into(); (to + 1).saturating_sub(from) as usize],
        status_before: Some(ReleaseStatus::Running),
        status_after: ReleaseStatus::Running,
        deleted: false,
        at: at(),
        actor: "rita".into(),
        scope: "account".into(),
        process_id: "p".into(),
        release_kind: ReleaseKind::Standard,
        group: None,
        notifications: vec![],
        origin: String::new(),
    }
}

//! On PostgreSQL a number drawn earlier may commit later. The feed must never let a reader skip
//! an entry whose transaction began before a later entry's but committed after it: a reader reads
//! only as far as the oldest transaction still running.
#![cfg(feature = "postgres")]

#[path = "support/storage.rs"]
mod support;

use trainyard::feed::FeedEntry;
use trainyard::release::{Event, EventKind, ReleaseKind, ReleaseStatus};
use trainyard::store::{Append, ReleaseRow, Store};

fn at() -> trainyard::Timestamp {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

fn entry(release: &str) -> FeedEntry {
    FeedEntry {
        cursor: 0,
        release: release.into(),
        seq_from: 1,
        seq_to: 1,
        kinds: vec!["created".into()],
        status_before: None,
        status_after: ReleaseStatus::Draft,
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

fn row(id: &str) -> ReleaseRow {
    ReleaseRow {
        id: id.into(),
        name: id.into(),
        process_id: "p".into(),
        process_version: 1,
        status: ReleaseStatus::Draft,
        kind: ReleaseKind::Standard,
        scope: "account".into(),
        group: None,
        archived: false,
        deleted: false,
        next_due: None,
        seq: 1,
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

#[test]
fn an_entry_that_commits_late_is_not_skipped() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "latecommit");
    let store = fresh.store.clone();
    let schema = store.schema().unwrap().to_string();
    // T1 writes its entry first (its transaction id is the lower cursor) and stays open.
    let mut slow = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    slow.batch_execute(&format!("SET search_path TO \"{schema}\"; BEGIN")).unwrap();
    let body = serde_json::to_string(&entry("slow")).unwrap();
    slow.execute(
        "INSERT INTO feed (cursor, release, body) VALUES (pg_current_xact_id()::text::BIGINT, 'slow', $1)",
        &[&body],
    )
    .unwrap();
    // T2 appends and commits while T1 is open.
    let evs = [Event { seq: 1, at: at(), actor: "rita".into(), kind: EventKind::Deleted, comment: None }];
    let fast_row = row("fast");
    let fast = entry("fast");
    store.append(&Append { feed: Some(&fast), ..Append::new("fast", 0, &evs, &fast_row) }).unwrap();
    // A reader now must not see T2's entry yet: reading it would move its cursor past T1's.
    assert_eq!(store.feed(0, 10).unwrap(), vec![], "nothing is readable while an older writer runs");
    assert_eq!(store.feed_head().unwrap(), 0);
    slow.batch_execute("COMMIT").unwrap();
    let got: Vec<String> = store.feed(0, 10).unwrap().into_iter().map(|e| e.release).collect();
    assert_eq!(got, ["slow", "fast"], "both, in commit-safe order");
}

//! The change feed's part of the store contract (run by [`super::contract::run_all`]).

use super::{Append, ReleaseRow, Store};
use crate::Error;
use crate::feed::{Cursor, FeedEntry};
use crate::release::{Event, EventKind, ReleaseKind, ReleaseStatus};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// How long the liveness checks below wait before they call a waiter stuck (never reached when
/// the store works; not a timing assertion).
const LIVENESS: Duration = Duration::from_secs(30);

fn at() -> crate::Timestamp {
    "2025-04-07T09:00:00Z".parse().expect("a test time")
}

fn event(seq: u64) -> Event {
    Event { seq, at: at(), actor: "rita".into(), kind: EventKind::Paused, comment: None }
}

fn row(id: &str, seq: u64) -> ReleaseRow {
    ReleaseRow {
        id: id.into(),
        name: id.into(),
        process_id: "p".into(),
        process_version: 1,
        status: ReleaseStatus::Running,
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

fn entry(id: &str, from: u64, to: u64) -> FeedEntry {
    FeedEntry {
        cursor: 0,
        release: id.into(),
        seq_from: from,
        seq_to: to,
        kinds: vec!["paused".into()],
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
        origin: "contract".into(),
    }
}

/// Appends `n` events to release `id` after `expected`, with their feed entry.
fn append(s: &Arc<dyn Store>, id: &str, expected: u64, n: u64) -> crate::Result<()> {
    let evs: Vec<Event> = (expected + 1..=expected + n).map(event).collect();
    let r = row(id, expected + n);
    let e = entry(id, expected + 1, expected + n);
    s.append(&Append { feed: Some(&e), ..Append::new(id, expected, &evs, &r) })
}

pub(super) fn entries_follow_appends_in_order(s: &Arc<dyn Store>) {
    assert_eq!(s.feed(0, 100).unwrap(), vec![], "an empty store has an empty feed");
    assert_eq!(s.feed_head().unwrap(), 0);
    append(s, "a", 0, 2).unwrap();
    append(s, "b", 0, 1).unwrap();
    assert!(matches!(append(s, "a", 0, 1), Err(Error::Conflict { .. })), "a stale append is refused");
    append(s, "a", 2, 1).unwrap();
    // An append without an entry writes none (the engine always gives one).
    s.append(&Append::new("c", 0, &[event(1)], &row("c", 1))).unwrap();
    let all = s.feed(0, 100).unwrap();
    let seen: Vec<(&str, u64, u64)> = all.iter().map(|e| (e.release.as_str(), e.seq_from, e.seq_to)).collect();
    assert_eq!(seen, [("a", 1, 2), ("b", 1, 1), ("a", 3, 3)], "one entry per append, in commit order");
    assert!(all.windows(2).all(|w| w[0].cursor < w[1].cursor), "cursors increase: {all:?}");
    assert!(all[0].cursor > 0);
    assert_eq!(all[2].origin, "contract", "the entry is stored as given");
    assert_eq!(s.feed_head().unwrap(), all[2].cursor);
    let after_first = s.feed(all[0].cursor, 100).unwrap();
    assert_eq!(after_first, all[1..].to_vec(), "reading after a cursor gives what came after it");
    assert_eq!(s.feed(all[0].cursor, 1).unwrap(), all[1..2].to_vec(), "the limit holds");
    assert_eq!(s.feed(all[2].cursor, 100).unwrap(), vec![]);
}

pub(super) fn consumers_keep_their_cursor(s: &Arc<dyn Store>) {
    assert_eq!(s.consumer_cursor("portal").unwrap(), None);
    s.set_consumer_cursor("portal", 7).unwrap();
    s.set_consumer_cursor("hooks", 3).unwrap();
    s.set_consumer_cursor("portal", 9).unwrap();
    assert_eq!(s.consumer_cursor("portal").unwrap(), Some(9));
    assert_eq!(s.consumer_cursor("hooks").unwrap(), Some(3));
}

/// Writers on several releases commit concurrently while a reader follows the feed with
/// `wait_for_feed`: the reader sees every entry exactly once, each release's entries in `seq`
/// order, and nothing ever appears behind the reader's cursor (a late commit is never skipped).
pub(super) fn concurrent_writers_and_a_follower(s: &Arc<dyn Store>) {
    const WRITERS: usize = 4;
    const APPENDS: u64 = 25;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let s = s.clone();
            std::thread::spawn(move || {
                let id = format!("r{w}");
                for n in 0..APPENDS {
                    append(&s, &id, n, 1).expect("each writer owns its release");
                }
            })
        })
        .collect();
    let total = WRITERS * APPENDS as usize;
    let mut seen: Vec<FeedEntry> = Vec::new();
    let mut cursor: Cursor = 0;
    let deadline = std::time::Instant::now() + LIVENESS;
    while seen.len() < total {
        assert!(std::time::Instant::now() < deadline, "the follower saw {} of {total} entries", seen.len());
        let page = s.feed(cursor, 7).unwrap();
        if page.is_empty() {
            s.wait_for_feed(cursor, Duration::from_millis(200)).unwrap();
            continue;
        }
        for e in page {
            assert!(e.cursor > cursor, "entries come after the cursor read so far");
            cursor = e.cursor;
            seen.push(e);
        }
    }
    for w in writers {
        w.join().expect("writer thread");
    }
    let keys: HashSet<(String, u64)> = seen.iter().map(|e| (e.release.clone(), e.seq_to)).collect();
    assert_eq!(keys.len(), total, "no entry twice");
    let mut last: HashMap<&str, u64> = HashMap::new();
    for e in &seen {
        let prev = last.insert(&e.release, e.seq_to).unwrap_or(0);
        assert_eq!(e.seq_from, prev + 1, "release {} in order, without a gap", e.release);
    }
    assert_eq!(s.feed(0, total + 10).unwrap(), seen, "a full read later gives exactly what the follower saw");
}

/// A waiter wakes when an entry is committed (from another thread), long before its timeout.
pub(super) fn waiters_wake_on_commit(s: &Arc<dyn Store>) {
    append(s, "a", 0, 1).unwrap();
    let head = s.feed_head().unwrap();
    let waiter = {
        let s = s.clone();
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while s.feed(head, 10).unwrap().is_empty() {
                assert!(start.elapsed() < LIVENESS, "the waiter was never woken");
                s.wait_for_feed(head, LIVENESS).unwrap();
            }
            start.elapsed()
        })
    };
    append(s, "a", 1, 1).unwrap();
    let waited = waiter.join().expect("waiter thread");
    assert!(waited < LIVENESS, "woken by the commit ({waited:?})");
    // With nothing new, a wait returns after its timeout.
    let head = s.feed_head().unwrap();
    s.wait_for_feed(head, Duration::from_millis(20)).unwrap();
}

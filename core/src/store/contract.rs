//! The store contract: one suite every backend must pass (the guarantees in the [`super`] docs).
//!
//! ```
//! use std::sync::Arc;
//! trainyard::store::contract::run_all(&|| Arc::new(trainyard::store::MemoryStore::new()));
//! ```
//!
//! `make` is called once per case and must return an empty store (for shared databases: a fresh
//! schema). A failed guarantee panics with the case's name.

use super::{
    Append, ReleaseQuery, ReleaseRow, Store, contract_feed, contract_inbox, contract_ledger, contract_locks,
    contract_probe, contract_search, contract_watches,
};
use crate::executor::Job;
use crate::release::{Event, EventKind, ReleaseKind, ReleaseStatus};
use crate::{Error, Timestamp};
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// One contract case: checks a guarantee on a fresh store (panics when it does not hold).
pub type Case = fn(&Arc<dyn Store>);

/// Every case, in order: `(name, case)`.
pub const CASES: &[(&str, Case)] = &[
    ("append_and_read", append_and_read),
    ("conflict_writes_nothing", conflict_writes_nothing),
    ("out_of_sequence_refused", out_of_sequence_refused),
    ("concurrent_appends_have_no_gaps", concurrent_appends_have_no_gaps),
    ("process_versions", process_versions),
    ("document_versions", document_versions),
    ("snapshots", snapshots),
    ("release_queries", release_queries),
    ("retention_query_follows_rewrites", retention_query_follows_rewrites),
    ("delete_release_removes_everything", delete_release_removes_everything),
    ("timer_leases", timer_leases),
    ("job_leases", job_leases),
    ("a_job_ended_and_queued_again_is_fresh", job_ended_and_queued_again),
    ("concurrent_job_claims_hand_out_each_job_once", concurrent_job_claims),
    ("feed_entries_follow_appends_in_order", contract_feed::entries_follow_appends_in_order),
    ("feed_consumers_keep_their_cursor", contract_feed::consumers_keep_their_cursor),
    ("feed_concurrent_writers_and_a_follower", contract_feed::concurrent_writers_and_a_follower),
    ("feed_waiters_wake_on_commit", contract_feed::waiters_wake_on_commit),
    ("inbox_index", contract_inbox::inbox_index),
    ("inbox_reads_the_first_entries", contract_inbox::inbox_reads_the_first_entries),
    ("search_filters_sorts_and_pages", contract_search::search_filters_sorts_and_pages),
    ("ledger_index", contract_ledger::ledger_index),
    ("tick_probe_answers_each_part_exactly", contract_probe::answers_each_part_exactly),
    ("gate_watches_follow_appends", contract_watches::watches_follow_appends),
    ("locks_follow_appends", contract_locks::locks_follow_appends),
];

/// Runs every case, each on a fresh store from `make`.
pub fn run_all(make: &dyn Fn() -> Arc<dyn Store>) {
    for (name, case) in CASES {
        let store = make();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&store)));
        if let Err(panic) = result {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("store contract case `{name}` failed: {text}");
        }
    }
}

fn t(s: &str) -> Timestamp {
    s.parse().expect("a test time")
}

fn base() -> Timestamp {
    t("2025-04-07T09:00:00Z")
}

fn event(seq: u64) -> Event {
    Event {
        seq,
        at: base() + chrono::Duration::seconds(seq as i64),
        actor: "system".into(),
        kind: if seq % 2 == 0 { EventKind::Paused } else { EventKind::Resumed },
        comment: Some(format!("event {seq}")),
    }
}

fn events(from: u64, n: u64) -> Vec<Event> {
    (from..from + n).map(event).collect()
}

use super::fixtures::release_row as row;

pub(super) fn job(release: &str, activity: &str, executor: &str) -> Job {
    Job {
        id: crate::release::job_id(release, "ph", activity, 0),
        release_id: release.into(),
        phase_id: "ph".into(),
        activity_id: activity.into(),
        attempt: 0,
        executor: executor.into(),
        inputs: [("k".to_string(), json!("v"))].into_iter().collect(),
        deadline: None,
        secrets: Vec::new(),
    }
}

fn append(store: &Arc<dyn Store>, id: &str, expected: u64, n: u64) -> crate::Result<()> {
    let evs = events(expected + 1, n);
    store.append(&Append::new(id, expected, &evs, &row(id, expected + n)))
}

fn is_conflict<T: std::fmt::Debug>(r: crate::Result<T>) -> bool {
    matches!(r, Err(Error::Conflict { .. }))
}

fn append_and_read(s: &Arc<dyn Store>) {
    append(s, "r1", 0, 3).unwrap();
    append(s, "r1", 3, 2).unwrap();
    let all = s.events("r1", 0).unwrap();
    assert_eq!(all, events(1, 5), "events read back as written, in order");
    assert_eq!(s.events("r1", 3).unwrap(), events(4, 2), "events after a sequence");
    assert_eq!(s.events("r1", 2).unwrap(), events(3, 3), "events after a sequence inside an append");
    assert!(s.events("r1", 5).unwrap().is_empty(), "nothing after the last event");
    assert_eq!(s.release("r1").unwrap(), Some(row("r1", 5)), "the row is read back as written");
    assert!(s.events("nope", 0).unwrap().is_empty());
    assert_eq!(s.release("nope").unwrap(), None);
    append(s, "r2", 0, 1).unwrap();
    let ids: Vec<String> = s.releases().unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["r1", "r2"], "releases oldest first");
}

fn conflict_writes_nothing(s: &Arc<dyn Store>) {
    append(s, "r", 0, 2).unwrap();
    assert!(is_conflict(append(s, "r", 0, 1)), "a second create conflicts");
    assert!(is_conflict(append(s, "r", 1, 1)), "a stale expected sequence conflicts");
    assert!(is_conflict(append(s, "r", 7, 1)), "a future expected sequence conflicts");
    let j = [job("r", "a", "x")];
    let evs = events(2, 1);
    let r = row("r", 2);
    let batch = Append { new_jobs: &j, ..Append::new("r", 1, &evs, &r) };
    assert!(is_conflict(s.append(&batch)), "a conflicting batch with jobs conflicts");
    assert_eq!(s.events("r", 0).unwrap().len(), 2, "a conflict writes no events");
    assert_eq!(s.release("r").unwrap().unwrap().seq, 2, "a conflict does not touch the row");
    assert!(s.jobs().unwrap().is_empty(), "a conflict writes no jobs");
}

fn out_of_sequence_refused(s: &Arc<dyn Store>) {
    let evs = vec![event(1), event(3)];
    let r = s.append(&Append::new("r", 0, &evs, &row("r", 3)));
    assert!(matches!(r, Err(Error::Storage { .. })), "a gap inside a batch is refused: {r:?}");
    assert!(s.events("r", 0).unwrap().is_empty());
    assert_eq!(s.release("r").unwrap(), None);
}

fn concurrent_appends_have_no_gaps(s: &Arc<dyn Store>) {
    append(s, "hot", 0, 1).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut written = 0;
                while written < 10 {
                    let seq = s.release("hot").unwrap().unwrap().seq;
                    match append(&s, "hot", seq, 1) {
                        Ok(()) => written += 1,
                        Err(Error::Conflict { .. }) => {}
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
            })
        })
        .collect();
    for th in threads {
        th.join().expect("appender thread");
    }
    let seqs: Vec<u64> = s.events("hot", 0).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=41).collect::<Vec<u64>>(), "41 events without gaps or duplicates");
    assert_eq!(s.release("hot").unwrap().unwrap().seq, 41);
}

fn process_versions(s: &Arc<dyn Store>) {
    let v1 = crate::load_process(
        "id: p\nphases:\n  - id: a\n    activities:\n      - { id: w, kind: wait, duration: 1h }\n",
    )
    .unwrap()
    .process;
    let v2 = crate::load_process(
        "id: p\nphases:\n  - id: a\n    activities:\n      - { id: w, kind: wait, duration: 2h }\n",
    )
    .unwrap()
    .process;
    let q = crate::load_process(
        "id: q\nphases:\n  - id: a\n    activities:\n      - { id: w, kind: wait, duration: 1h }\n",
    )
    .unwrap()
    .process;
    assert_eq!(s.put_process(&v1).unwrap(), 1);
    assert_eq!(s.put_process(&v1).unwrap(), 1, "the same definition keeps its version");
    assert_eq!(s.put_process(&q).unwrap(), 1);
    assert_eq!(s.put_process(&v2).unwrap(), 2, "a changed definition is version 2");
    assert_eq!(s.get_process("p", None).unwrap(), Some((2, v2.clone())));
    assert_eq!(s.get_process("p", Some(1)).unwrap(), Some((1, v1)));
    assert_eq!(s.get_process("p", Some(3)).unwrap(), None);
    assert_eq!(s.get_process("zz", None).unwrap(), None);
    assert_eq!(s.latest_process_version("p").unwrap(), Some(2), "the latest version without the definition");
    assert_eq!(s.latest_process_version("q").unwrap(), Some(1));
    assert_eq!(s.latest_process_version("zz").unwrap(), None);
    assert_eq!(s.list_processes().unwrap(), [("p".to_string(), 2), ("q".to_string(), 1)], "registration order");
}

fn document_versions(s: &Arc<dyn Store>) {
    let a = json!({"inputs": {"env": "qa"}});
    let b = json!({"inputs": {"env": "prod1"}});
    assert_eq!(s.put_document("input_sets", "train", &a).unwrap(), 1);
    assert_eq!(s.put_document("input_sets", "train", &a).unwrap(), 1, "same value, same version");
    assert_eq!(s.put_document("input_sets", "train", &b).unwrap(), 2);
    assert_eq!(s.put_document("input_sets", "hotfix", &a).unwrap(), 1);
    assert_eq!(s.put_document("freezes", "xmas", &b).unwrap(), 1);
    assert_eq!(s.get_document("input_sets", "train", None).unwrap(), Some((2, b.clone())));
    assert_eq!(s.get_document("input_sets", "train", Some(1)).unwrap(), Some((1, a.clone())));
    assert_eq!(s.get_document("input_sets", "train", Some(9)).unwrap(), None);
    assert_eq!(s.get_document("freezes", "train", None).unwrap(), None, "collections are separate");
    assert_eq!(s.list_documents("input_sets").unwrap(), [("hotfix".to_string(), 1), ("train".to_string(), 2)]);
    assert!(s.delete_document("input_sets", "train").unwrap());
    assert!(!s.delete_document("input_sets", "train").unwrap(), "a second delete finds nothing");
    assert_eq!(s.get_document("input_sets", "train", None).unwrap(), None);
    assert_eq!(s.get_document("input_sets", "train", Some(1)).unwrap(), None, "deleting removes every version");
    assert_eq!(s.list_documents("input_sets").unwrap(), [("hotfix".to_string(), 1)]);
    assert_eq!(s.put_document("input_sets", "train", &a).unwrap(), 3, "versions are never reused");
}

fn snapshots(s: &Arc<dyn Store>) {
    append(s, "r", 0, 20).unwrap();
    assert_eq!(s.snapshot("r").unwrap(), None);
    s.put_snapshot("r", 10, &json!({"at": 10})).unwrap();
    s.put_snapshot("r", 5, &json!({"at": 5})).unwrap();
    assert_eq!(s.snapshot("r").unwrap(), Some((10, json!({"at": 10}))), "an older snapshot does not replace a newer");
    s.put_snapshot("r", 20, &json!({"at": 20})).unwrap();
    assert_eq!(s.snapshot("r").unwrap(), Some((20, json!({"at": 20}))));
    s.put_snapshot("ghost", 1, &json!({})).unwrap();
    assert_eq!(s.snapshot("ghost").unwrap(), None, "no snapshot for a release that does not exist");
}

fn put_row(s: &Arc<dyn Store>, r: &ReleaseRow) {
    let evs = events(1, r.seq);
    s.append(&Append::new(&r.id, 0, &evs, r)).unwrap();
}

fn ids(rows: Vec<ReleaseRow>) -> Vec<String> {
    rows.into_iter().map(|r| r.id).collect()
}

fn release_queries(s: &Arc<dyn Store>) {
    let mut a = row("a", 1);
    a.status = ReleaseStatus::Running;
    a.group = Some("weekly".into());
    a.started_at = Some(t("2025-04-07T10:00:00Z"));
    a.services = vec!["payments".into()];
    a.environments = vec!["qa".into()];
    let mut b = row("b", 1);
    b.status = ReleaseStatus::Success;
    b.kind = ReleaseKind::Hotfix;
    b.scope = "org:eu".into();
    b.started_at = Some(t("2025-03-01T10:00:00Z"));
    b.ended_at = Some(t("2025-03-02T10:00:00Z"));
    let mut c = row("c", 1);
    c.status = ReleaseStatus::Scheduled;
    c.group = Some("weekly".into());
    c.planned_start = Some(t("2025-05-01T09:00:00Z"));
    c.planned_end = Some(t("2025-05-02T09:00:00Z"));
    let mut d = row("d", 1);
    d.status = ReleaseStatus::Success;
    d.archived = true;
    d.ended_at = Some(t("2024-01-01T00:00:00Z"));
    let mut e = row("e", 1);
    e.deleted = true;
    for r in [&a, &b, &c, &d, &e] {
        put_row(s, r);
    }
    let q = |q: ReleaseQuery| ids(s.query_releases(&q).unwrap());
    assert_eq!(q(ReleaseQuery::default()), ["a", "b", "c"], "default: not archived, not deleted, oldest first");
    assert_eq!(q(ReleaseQuery { include_archived: true, ..Default::default() }), ["a", "b", "c", "d"]);
    assert_eq!(q(ReleaseQuery { include_archived: true, include_deleted: true, ..Default::default() }).len(), 5);
    assert_eq!(q(ReleaseQuery { statuses: vec![ReleaseStatus::Success], ..Default::default() }), ["b"]);
    assert_eq!(
        q(ReleaseQuery { statuses: vec![ReleaseStatus::Success, ReleaseStatus::Running], ..Default::default() }),
        ["a", "b"]
    );
    assert_eq!(q(ReleaseQuery { group: Some("weekly".into()), ..Default::default() }), ["a", "c"]);
    assert_eq!(q(ReleaseQuery { scope: Some("org:eu".into()), ..Default::default() }), ["b"]);
    assert_eq!(q(ReleaseQuery { kind: Some(ReleaseKind::Hotfix), ..Default::default() }), ["b"]);
    assert_eq!(q(ReleaseQuery { service: Some("payments".into()), ..Default::default() }), ["a"]);
    assert_eq!(q(ReleaseQuery { environment: Some("qa".into()), ..Default::default() }), ["a"]);
    // Time windows: a running release is open-ended; b ended in March; c is planned in May.
    let range = |from: &str, to: &str| q(ReleaseQuery { from: Some(t(from)), to: Some(t(to)), ..Default::default() });
    assert_eq!(range("2025-03-01T00:00:00Z", "2025-03-31T00:00:00Z"), ["b"]);
    assert_eq!(range("2025-04-10T00:00:00Z", "2025-04-20T00:00:00Z"), ["a"], "a running release is still going");
    assert_eq!(range("2025-05-01T12:00:00Z", "2025-06-01T00:00:00Z"), ["a", "c"]);
    assert_eq!(
        q(ReleaseQuery { ended_before: Some(t("2025-01-01T00:00:00Z")), include_archived: true, ..Default::default() }),
        ["d"]
    );
    assert_eq!(q(ReleaseQuery { limit: Some(2), ..Default::default() }), ["a", "b"]);
}

/// The retention question (`ended_before`, archived and deleted left out) follows every rewrite of
/// a row: ending, restarting, archiving and deleting; answers come oldest first (creation order),
/// whatever order the releases ended in.
fn retention_query_follows_rewrites(s: &Arc<dyn Store>) {
    let ended = |id: &str, seq: u64, at: Option<&str>| {
        let mut r = row(id, seq);
        r.status = if at.is_some() { ReleaseStatus::Success } else { ReleaseStatus::Running };
        r.ended_at = at.map(t);
        r
    };
    for (id, at) in [("w", "2025-03-05T00:00:00Z"), ("x", "2025-03-01T00:00:00Z"), ("y", "2025-03-03T00:00:00Z")] {
        put_row(s, &ended(id, 1, Some(at)));
    }
    put_row(s, &ended("z", 1, None));
    let before =
        |at: &str| ids(s.query_releases(&ReleaseQuery { ended_before: Some(t(at)), ..Default::default() }).unwrap());
    assert_eq!(before("2025-03-04T00:00:00Z"), ["x", "y"], "creation order, not the order they ended in");
    assert_eq!(before("2025-03-03T00:00:00Z"), ["x", "y"], "ended at the instant asked: included");
    assert_eq!(before("2025-02-01T00:00:00Z"), Vec::<String>::new());
    let rewrite = |r: &ReleaseRow| {
        let evs = events(r.seq, 1);
        s.append(&Append::new(&r.id, r.seq - 1, &evs, r)).unwrap();
    };
    rewrite(&ended("x", 2, None));
    assert_eq!(before("2025-03-04T00:00:00Z"), ["y"], "a restarted release has not ended");
    let mut archived = ended("y", 2, Some("2025-03-03T00:00:00Z"));
    archived.archived = true;
    rewrite(&archived);
    assert_eq!(before("2025-03-04T00:00:00Z"), Vec::<String>::new(), "an archived release is left out");
    assert_eq!(
        ids(s
            .query_releases(&ReleaseQuery {
                ended_before: Some(t("2025-03-04T00:00:00Z")),
                include_archived: true,
                ..Default::default()
            })
            .unwrap()),
        ["y"]
    );
    rewrite(&ended("z", 2, Some("2025-03-02T00:00:00Z")));
    rewrite(&ended("x", 3, Some("2025-03-06T00:00:00Z")));
    assert_eq!(before("2025-03-10T00:00:00Z"), ["w", "x", "z"]);
    assert_eq!(
        ids(s
            .query_releases(&ReleaseQuery {
                ended_before: Some(t("2025-03-10T00:00:00Z")),
                limit: Some(2),
                ..Default::default()
            })
            .unwrap()),
        ["w", "x"]
    );
    assert!(s.delete_release("w").unwrap());
    assert_eq!(before("2025-03-10T00:00:00Z"), ["x", "z"], "a deleted release is gone");
}

fn delete_release_removes_everything(s: &Arc<dyn Store>) {
    let evs = events(1, 3);
    let mut r = row("r", 3);
    r.next_due = Some(base());
    let j = [job("r", "a", "x")];
    s.append(&Append { new_jobs: &j, ..Append::new("r", 0, &evs, &r) }).unwrap();
    s.put_snapshot("r", 3, &json!({"s": 1})).unwrap();
    append(s, "other", 0, 1).unwrap();
    assert!(s.delete_release("r").unwrap());
    assert!(!s.delete_release("r").unwrap(), "a second delete finds nothing");
    assert_eq!(s.release("r").unwrap(), None);
    assert!(s.events("r", 0).unwrap().is_empty(), "its events are gone");
    assert_eq!(s.snapshot("r").unwrap(), None, "its snapshot is gone");
    assert!(s.jobs().unwrap().is_empty(), "its jobs are gone");
    assert!(s.due(base(), 10).unwrap().is_empty(), "its timer is gone");
    assert_eq!(ids(s.releases().unwrap()), ["other"]);
    append(s, "r", 0, 1).expect("the id can be used again");
}

fn timer_leases(s: &Arc<dyn Store>) {
    for (id, due) in
        [("late", "2025-04-07T12:00:00Z"), ("early", "2025-04-07T10:00:00Z"), ("future", "2025-05-01T00:00:00Z")]
    {
        let mut r = row(id, 1);
        r.next_due = Some(t(due));
        put_row(s, &r);
    }
    let now = t("2025-04-08T00:00:00Z");
    let due: Vec<String> = s.due(now, 10).unwrap().into_iter().map(|(_, id)| id).collect();
    assert_eq!(due, ["early", "late"], "due releases, earliest first");
    let lease = now + chrono::Duration::seconds(30);
    let first = s.claim_due(now, 1, lease).unwrap();
    assert_eq!(first, [(t("2025-04-07T10:00:00Z"), "early".to_string())]);
    let second: Vec<String> = s.claim_due(now, 10, lease).unwrap().into_iter().map(|(_, id)| id).collect();
    assert_eq!(second, ["late"], "a leased release is not handed out again");
    assert!(s.claim_due(now, 10, lease).unwrap().is_empty());
    // An append ends the lease.
    let mut r = row("early", 2);
    r.next_due = Some(t("2025-04-07T11:00:00Z"));
    let evs = events(2, 1);
    s.append(&Append::new("early", 1, &evs, &r)).unwrap();
    let again: Vec<String> = s.claim_due(now, 10, lease).unwrap().into_iter().map(|(_, id)| id).collect();
    assert_eq!(again, ["early"], "an append ends the timer lease");
    // An expired lease makes it claimable again.
    let later = lease + chrono::Duration::seconds(1);
    let expired: Vec<String> = s.claim_due(later, 10, later).unwrap().into_iter().map(|(_, id)| id).collect();
    assert_eq!(expired, ["early", "late"], "expired leases are handed out again");
}

fn job_leases(s: &Arc<dyn Store>) {
    let evs = events(1, 1);
    let r = row("r", 1);
    let jobs = [job("r", "a", "deploy"), job("r", "b", "build"), job("r", "c", "deploy")];
    s.append(&Append { new_jobs: &jobs, ..Append::new("r", 0, &evs, &r) }).unwrap();
    assert_eq!(s.jobs().unwrap().iter().map(|j| j.job.clone()).collect::<Vec<_>>(), jobs, "jobs listed oldest first");
    let now = base();
    let lease = now + chrono::Duration::seconds(60);
    let deploy = ["deploy".to_string()];
    let claimed = s.claim_jobs(&deploy, "w1", 1, lease, now).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].job, jobs[0], "oldest first, only the named executors");
    assert_eq!(claimed[0].deliveries, 1);
    let rest = s.claim_jobs(&deploy, "w2", 10, lease, now).unwrap();
    assert_eq!(
        rest.iter().map(|c| c.job.id.clone()).collect::<Vec<_>>(),
        [jobs[2].id.clone()],
        "leased jobs are skipped"
    );
    let listed = s.jobs().unwrap();
    assert_eq!(listed[0].worker.as_deref(), Some("w1"));
    assert_eq!(listed[0].lease_until, Some(lease));
    assert_eq!(listed[1].worker, None);
    // Heartbeat extends; a stale token is refused.
    let longer = lease + chrono::Duration::seconds(60);
    s.heartbeat(&jobs[0].id, &claimed[0].token, longer).unwrap();
    assert!(is_conflict(s.heartbeat(&jobs[0].id, "not-the-token", longer)), "stale heartbeat → conflict");
    assert!(
        s.claim_jobs(&deploy, "w3", 10, longer, now + chrono::Duration::seconds(30)).unwrap().is_empty(),
        "nothing is free while the leases run"
    );
    // Expiry: redelivered with the same id and a new token; the old token is stale.
    let after = longer + chrono::Duration::seconds(1);
    let again = s.claim_jobs(&deploy, "w3", 10, after + chrono::Duration::seconds(60), after).unwrap();
    let ids: Vec<&str> = again.iter().map(|c| c.job.id.as_str()).collect();
    assert_eq!(ids, [jobs[0].id.as_str(), jobs[2].id.as_str()], "expired jobs are redelivered, same ids");
    assert_ne!(again[0].token, claimed[0].token, "a redelivery has a new token");
    assert_eq!(again[0].deliveries, 2);
    assert!(is_conflict(s.finish_job(&jobs[0].id, &claimed[0].token)), "completion with a stale token → conflict");
    s.finish_job(&jobs[0].id, &again[0].token).unwrap();
    assert!(is_conflict(s.finish_job(&jobs[0].id, &again[0].token)), "a finished job is gone");
    // An append that ends an attempt removes its job; its token becomes stale.
    let evs = events(2, 1);
    let r2 = row("r", 2);
    let done = [jobs[2].id.clone()];
    s.append(&Append { done_jobs: &done, ..Append::new("r", 1, &evs, &r2) }).unwrap();
    assert!(is_conflict(s.heartbeat(&jobs[2].id, &again[1].token, after)), "the job of an ended attempt is gone");
    let left: Vec<String> = s.jobs().unwrap().into_iter().map(|j| j.job.id).collect();
    assert_eq!(left, [jobs[1].id.clone()]);
    assert!(s.claim_jobs(&[], "w", 10, after, after).unwrap().is_empty(), "no executors, no jobs");
}

fn job_ended_and_queued_again(s: &Arc<dyn Store>) {
    let evs = events(1, 1);
    let jobs = [job("r", "a", "x"), job("r", "b", "x")];
    s.append(&Append { new_jobs: &jobs, ..Append::new("r", 0, &evs, &row("r", 1)) }).unwrap();
    let now = base();
    let lease = now + chrono::Duration::seconds(60);
    let claimed = s.claim_jobs(&["x".to_string()], "w1", 1, lease, now).unwrap();
    assert_eq!(claimed[0].job, jobs[0]);
    // One append ends job a's attempt and queues a job with the same id; b is queued again too
    // (it is there already: kept as it is).
    let evs = events(2, 1);
    let done = [jobs[0].id.clone()];
    let again = [jobs[0].clone(), jobs[1].clone()];
    s.append(&Append { new_jobs: &again, done_jobs: &done, ..Append::new("r", 1, &evs, &row("r", 2)) }).unwrap();
    let listed = s.jobs().unwrap();
    let ids: Vec<&str> = listed.iter().map(|j| j.job.id.as_str()).collect();
    assert_eq!(ids, [jobs[1].id.as_str(), jobs[0].id.as_str()], "the re-queued job goes to the end of the queue");
    assert_eq!((listed[1].worker.as_deref(), listed[1].lease_until, listed[1].deliveries), (None, None, 0), "fresh");
    assert!(is_conflict(s.heartbeat(&jobs[0].id, &claimed[0].token, lease)), "the old lease token is stale");
    let next = s.claim_jobs(&["x".to_string()], "w2", 10, lease, now).unwrap();
    assert_eq!(next.iter().map(|c| c.job.id.as_str()).collect::<Vec<_>>(), ids, "both are claimable, in order");
    assert_eq!(next[1].deliveries, 1);
}

fn concurrent_job_claims(s: &Arc<dyn Store>) {
    let evs = events(1, 1);
    let r = row("r", 1);
    let jobs: Vec<Job> = (0..60).map(|i| job("r", &format!("a{i}"), "x")).collect();
    s.append(&Append { new_jobs: &jobs, ..Append::new("r", 0, &evs, &r) }).unwrap();
    let far = t("2100-01-01T00:00:00Z");
    let threads: Vec<_> = (0..4)
        .map(|w| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                loop {
                    let got = s.claim_jobs(&["x".to_string()], &format!("w{w}"), 3, far, base()).unwrap();
                    if got.is_empty() {
                        break mine;
                    }
                    mine.extend(got.into_iter().map(|c| c.job.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for th in threads {
        all.extend(th.join().expect("claimer thread"));
    }
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 60, "every job handed out");
    assert_eq!(unique.len(), 60, "no job handed out twice");
    let sorted: BTreeSet<String> = jobs.iter().map(|j| j.id.clone()).collect();
    assert_eq!(unique.into_iter().cloned().collect::<BTreeSet<_>>(), sorted);
}

//! The engine over durable stores: snapshots, several engines on one store, external workers with
//! leases, retention and the deletion rules (`Engine::delete_release`, `Engine::apply_retention`).

#[path = "support/storage.rs"]
mod support;

use chrono::Duration;
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::NewRelease;
use trainyard::schedule::ManualClock;
use trainyard::store::ReleaseQuery;
use trainyard::{Engine, Error, RetentionPolicy};

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn start() -> chrono::DateTime<chrono::Utc> {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

fn chain(n: usize, executor: &str) -> String {
    let mut text = String::from("id: chain\nphases:\n  - id: p\n    activities:\n");
    for i in 0..n {
        let dep = if i == 0 { String::new() } else { format!(", depends_on: [a{}]", i - 1) };
        text.push_str(&format!("      - {{ id: a{i}, kind: automated, executor: {executor}{dep} }}\n"));
    }
    text
}

fn new_release(engine: &Engine, process: &str) -> String {
    engine.create_release(process, NewRelease { name: "r".into(), ..Default::default() }, &rita()).unwrap().id
}

#[test]
fn snapshots_make_loading_cheap_and_agree_with_replay() {
    let (_dir, store) = support::sqlite();
    let clock = Arc::new(ManualClock::new(start()));
    let engine = Engine::new(store.clone(), clock.clone());
    engine.register_executor("x", |_: &Job| Outcome::success());
    engine.register_process(&chain(60, "x")).unwrap();
    let id = new_release(&engine, "chain");
    engine.activate(&id, &rita()).unwrap();
    engine.run_until_idle(10_000).unwrap();
    let done = engine.get_release(&id).unwrap();
    assert_eq!(done.status.as_str(), "success");
    let (seq, _) = store.snapshot(&id).unwrap().expect("a snapshot after 100+ events");
    assert!(seq >= 100 && seq <= done.seq, "snapshot at {seq} of {}", done.seq);
    // A second engine (empty cache) loads from the snapshot plus the events after it.
    let other = Engine::new(store.clone(), clock);
    let loaded = other.get_release(&id).unwrap();
    assert_eq!(*loaded, other.replay_release(&id).unwrap(), "snapshot + tail = full replay");
    assert_eq!(loaded, done);
}

#[test]
fn a_second_engine_sees_changes_made_by_the_first() {
    let (_dir, store) = support::sqlite();
    let clock = Arc::new(ManualClock::new(start()));
    let a = Engine::new(store.clone(), clock.clone());
    let b = Engine::new(store.clone(), clock.clone());
    a.register_process(&chain(2, "ext")).unwrap();
    let id = new_release(&a, "chain");
    a.activate(&id, &rita()).unwrap();
    assert_eq!(b.get_release(&id).unwrap().activity("p", "a0").unwrap().status.as_str(), "queued");
    // b's worker takes the job; a's cached state is stale and must not be served.
    let claimed = b.claim_jobs(&["ext"], "w", 10, Duration::minutes(5)).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(a.get_release(&id).unwrap().activity("p", "a0").unwrap().status.as_str(), "running");
    b.complete_claimed_job(&claimed[0].job.id, &claimed[0].token, Outcome::success()).unwrap();
    // a decides against the fresh state, not its cache.
    a.pause(&id, &rita()).unwrap();
    let state = b.get_release(&id).unwrap();
    assert!(state.paused);
    assert_eq!(state.activity("p", "a0").unwrap().status.as_str(), "success");
}

#[test]
fn external_workers_leases_heartbeats_and_stale_tokens() {
    let (_dir, store) = support::sqlite();
    let clock = Arc::new(ManualClock::new(start()));
    let engine = Engine::new(store.clone(), clock.clone());
    engine.register_process(&chain(2, "ext")).unwrap();
    let id = new_release(&engine, "chain");
    engine.activate(&id, &rita()).unwrap();
    assert_eq!(engine.list_jobs().unwrap().len(), 1, "the queued job is in the store");
    assert!(engine.claim_jobs(&["other"], "w1", 10, Duration::minutes(1)).unwrap().is_empty());
    let first = engine.claim_jobs(&["ext"], "w1", 10, Duration::minutes(1)).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].deliveries, 1);
    assert_eq!(engine.get_release(&id).unwrap().activity("p", "a0").unwrap().status.as_str(), "running");
    assert!(engine.claim_jobs(&["ext"], "w2", 10, Duration::minutes(1)).unwrap().is_empty(), "leased");
    engine.heartbeat(&first[0].job.id, &first[0].token).unwrap();
    // The lease expires (heartbeat extended it by the engine's job lease, 5 minutes).
    clock.advance(Duration::minutes(6));
    let second = engine.claim_jobs(&["ext"], "w2", 10, Duration::minutes(1)).unwrap();
    assert_eq!(second.len(), 1, "an expired lease is redelivered");
    assert_eq!(second[0].job.id, first[0].job.id, "with the same job id");
    assert_eq!(second[0].deliveries, 2);
    let stale = engine.complete_claimed_job(&first[0].job.id, &first[0].token, Outcome::success());
    assert!(matches!(stale, Err(Error::Conflict { .. })), "stale token refused: {stale:?}");
    assert!(matches!(engine.heartbeat(&first[0].job.id, &first[0].token), Err(Error::Conflict { .. })));
    engine.complete_claimed_job(&second[0].job.id, &second[0].token, Outcome::success()).unwrap();
    let state = engine.get_release(&id).unwrap();
    assert_eq!(state.activity("p", "a0").unwrap().status.as_str(), "success");
    assert_eq!(state.activity("p", "a1").unwrap().status.as_str(), "queued");
    let jobs = engine.list_jobs().unwrap();
    assert_eq!(jobs.len(), 1, "the finished job is gone, the next one is queued");
    assert!(jobs[0].job.id.ends_with("/p/a1/0"));
    // Aborting the release removes the job of the aborted attempt; a late completion is refused.
    let third = engine.claim_jobs(&["ext"], "w3", 10, Duration::minutes(1)).unwrap();
    engine.abort(&id, &rita(), "stop").unwrap();
    assert!(engine.list_jobs().unwrap().is_empty(), "the aborted attempt's job is gone");
    let late = engine.complete_claimed_job(&third[0].job.id, &third[0].token, Outcome::success());
    assert!(matches!(late, Err(Error::Conflict { .. })), "{late:?}");
    assert_eq!(engine.get_release(&id).unwrap().status.as_str(), "aborted");
}

#[test]
fn retention_archives_old_terminal_releases_only() {
    let clock = Arc::new(ManualClock::new(start()));
    let engine = Engine::open_with("memory://", clock.clone()).unwrap();
    engine.register_executor("x", |_: &Job| Outcome::success());
    engine.register_process(&chain(1, "x")).unwrap();
    let done = new_release(&engine, "chain");
    engine.activate(&done, &rita()).unwrap();
    engine.run_until_idle(100).unwrap();
    let draft = new_release(&engine, "chain");
    engine.register_process(&chain(1, "ext").replace("id: chain", "id: slow")).unwrap();
    let slow = new_release(&engine, "slow");
    engine.activate(&slow, &rita()).unwrap();
    assert!(engine.apply_retention(clock.now_plus(Duration::days(364))).unwrap().is_empty(), "too recent");
    let archived = engine.apply_retention(clock.now_plus(Duration::days(366))).unwrap();
    assert_eq!(archived, std::slice::from_ref(&done), "only the terminal release is archived");
    assert!(engine.get_release(&done).unwrap().archived);
    assert!(!engine.get_release(&slow).unwrap().archived, "active releases are never archived");
    assert!(!engine.get_release(&draft).unwrap().archived);
    engine.set_retention(RetentionPolicy::archiving_after(Duration::days(30)));
    assert_eq!(engine.retention().archive_after, Duration::days(30));
}

trait NowPlus {
    fn now_plus(&self, d: Duration) -> chrono::DateTime<chrono::Utc>;
}

impl NowPlus for Arc<ManualClock> {
    fn now_plus(&self, d: Duration) -> chrono::DateTime<chrono::Utc> {
        use trainyard::schedule::Clock;
        self.now() + d
    }
}

#[test]
fn deletion_rules_each_refusal_is_distinct() {
    let (_dir, store) = support::sqlite();
    let clock = Arc::new(ManualClock::new(start()));
    let engine = Engine::new(store.clone(), clock.clone());
    engine.register_executor("x", |_: &Job| Outcome::success());
    engine.register_process(&chain(1, "x")).unwrap();
    engine.register_process(&chain(1, "ext").replace("id: chain", "id: slow")).unwrap();

    // draft: deleted at any time
    let draft = new_release(&engine, "chain");
    engine.delete_release(&draft, &rita()).unwrap();
    assert!(matches!(engine.get_release(&draft), Err(Error::NotFound { .. })));

    // running: never (invalid_transition naming the allowed commands)
    let running = new_release(&engine, "slow");
    engine.activate(&running, &rita()).unwrap();
    let err = engine.delete_release(&running, &rita()).unwrap_err();
    assert_eq!(err.code(), "invalid_transition", "{err}");
    assert!(err.to_string().contains("running"), "{err}");

    // terminal, not archived: invalid_transition explaining retention
    let done = new_release(&engine, "chain");
    engine.activate(&done, &rita()).unwrap();
    engine.run_until_idle(100).unwrap();
    let err = engine.delete_release(&done, &rita()).unwrap_err();
    assert_eq!(err.code(), "invalid_transition", "{err}");
    assert!(err.to_string().contains("retention period"), "{err}");

    // archived, within retention: refused, naming when it becomes deletable
    engine.archive(&done, &rita()).unwrap();
    let err = engine.delete_release(&done, &rita()).unwrap_err();
    assert_eq!(err.code(), "invalid_transition", "{err}");
    assert!(err.to_string().contains("within the retention period"), "{err}");

    // archived, past retention: purged with its events
    clock.advance(Duration::days(366));
    assert!(!engine.history(&done).unwrap().is_empty());
    engine.delete_release(&done, &rita()).unwrap();
    assert!(store.events(&done, 0).unwrap().is_empty(), "its events are gone");
    assert_eq!(store.release(&done).unwrap(), None, "its row is gone");
    assert!(matches!(engine.get_release(&done), Err(Error::NotFound { .. })));
    let all =
        store.query_releases(&ReleaseQuery { include_archived: true, include_deleted: true, ..Default::default() });
    assert_eq!(all.unwrap().len(), 2, "the tombstoned draft and the running release remain");
}

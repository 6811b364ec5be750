//! What the engine's commands and ticks cost the SQL stores, counted by the stores themselves:
//! on SQLite the write transactions (each takes the database's write lock and commits) and the
//! re-preparations of cached statements; on PostgreSQL the round trips per write command. The
//! flow is the peer flow of `benches/peers/`: create → activate → approval → automated step →
//! end.

#[path = "support/storage.rs"]
mod support;

use std::sync::Arc;
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::NewRelease;
use trainyard::schedule::ManualClock;
use trainyard::store::{SqliteStore, Store};

const PROCESS: &str = "id: bench-release
phases:
  - id: approve
    activities:
      - { id: approve, kind: approval, approvers: [{ group: approvers }] }
  - id: deploy
    depends_on: [approve]
    activities:
      - { id: deploy, kind: automated, executor: deploy, outputs: [url] }
";

fn engine(store: Arc<dyn Store>) -> Engine {
    let clock = ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap());
    let engine = Engine::new(store, Arc::new(clock));
    engine.register_executor("deploy", |_: &Job| Outcome::with_outputs([("url", "https://prod.example")]));
    engine.register_process(PROCESS).unwrap();
    engine
}

fn manager() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn approver() -> Actor {
    Actor::new("ann").with_groups(["approvers"])
}

fn create(engine: &Engine, name: &str) -> String {
    let new = NewRelease { name: name.into(), ..Default::default() };
    engine.create_release("bench-release", new, &manager()).unwrap().id
}

#[test]
fn sqlite_commits_of_the_flow_idle_ticks_take_none_and_no_statement_is_prepared_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("flow.db")).unwrap());
    let engine = engine(store.clone());
    // A first instance warms the caches (statements, plans, idle bounds).
    let first = create(&engine, "first");
    engine.activate(&first, &manager()).unwrap();
    engine.approve(&first, "approve", "approve", &approver(), None).unwrap();
    engine.run_until_idle(100).unwrap();
    let writes = |call: &dyn Fn()| {
        let before = store.write_transactions();
        call();
        store.write_transactions() - before
    };
    let id = create(&engine, "second");
    assert_eq!(writes(&|| engine.activate(&id, &manager()).map(drop).unwrap()), 1, "activate");
    assert_eq!(writes(&|| engine.tick().map(drop).unwrap()), 0, "a tick with nothing due and nothing queued");
    let statements = store.statements_run();
    engine.tick().unwrap();
    assert!(
        store.statements_run() - statements <= 4,
        "an idle tick runs a handful of cheap reads, no claim query ({} statements)",
        store.statements_run() - statements
    );
    assert_eq!(writes(&|| engine.approve(&id, "approve", "approve", &approver(), None).map(drop).unwrap()), 1);
    // The in-process job: claimed, started and succeeded in three commits; the ticks around it
    // (the claim that finds nothing more, the idle tick ending `run_until_idle`) in none.
    assert_eq!(writes(&|| engine.run_until_idle(100).map(drop).unwrap()), 3, "claim, start, success");
    assert_eq!(engine.get_release(&id).unwrap().status.as_str(), "success");
    assert_eq!(store.statements_reprepared(), 0, "every statement kept its first preparation");
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_write_commands_take_at_most_two_round_trips() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "costs");
    let store = fresh.store.clone();
    let engine = engine(store.clone());
    let first = create(&engine, "first");
    engine.activate(&first, &manager()).unwrap();
    engine.approve(&first, "approve", "approve", &approver(), None).unwrap();
    engine.run_until_idle(100).unwrap();
    let trips = |call: &dyn Fn()| {
        let before = store.round_trips();
        call();
        store.round_trips() - before
    };
    let created_id = std::cell::RefCell::new(String::new());
    let created = trips(&|| *created_id.borrow_mut() = create(&engine, "second"));
    let id = created_id.into_inner();
    assert!(created <= 2, "create: {created} round trips");
    let activated = trips(&|| engine.activate(&id, &manager()).map(drop).unwrap());
    assert!(activated <= 2, "activate: {activated} round trips");
    let approved = trips(&|| engine.approve(&id, "approve", "approve", &approver(), None).map(drop).unwrap());
    assert!(approved <= 2, "approve: {approved} round trips");
    // `run_until_idle` is two ticks: each reads what other engines committed, the release groups,
    // and claims timers and jobs (what an idle tick costs); the first also claims the job, starts
    // it and records its success: three write commands.
    let ran = trips(&|| engine.run_until_idle(100).map(drop).unwrap());
    let idle_tick = trips(&|| engine.tick().map(drop).unwrap());
    assert!(idle_tick <= 4, "an idle tick: {idle_tick} round trips, one per read or claim");
    let writes = ran - 2 * idle_tick;
    assert!(writes <= 3 * 2, "claim, start, success: {writes} round trips beyond the two ticks' reads");
    assert_eq!(engine.get_release(&id).unwrap().status.as_str(), "success");
}

//! What the engine's commands and ticks cost the SQL stores, counted by the stores themselves:
//! on SQLite the write transactions (each takes the database's write lock and commits) and the
//! re-preparations of cached statements; on PostgreSQL the round trips to the server (a counting
//! wrapper inside the store's connection: every prepare, query, statement, `BEGIN` and `COMMIT`
//! is one). The flow is the peer flow of `benches/peers/`: create → activate → approval →
//! automated step → end.

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

/// A process whose release parks on a one-hour soak: each activated release has one timer.
const SOAK: &str = "id: soak
phases:
  - id: soak
    activities:
      - { id: soak, kind: wait, duration: 1h }
";

/// An engine with `releases` activated releases of [`SOAK`], the clock moved past their timers:
/// the next tick has `releases` timers due.
fn due_soaks(store: Arc<dyn Store>, releases: usize) -> Engine {
    let clock = Arc::new(ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap()));
    let engine = Engine::new(store, clock.clone());
    engine.register_process(SOAK).unwrap();
    for n in 0..releases {
        let new = NewRelease { name: format!("soak {n}"), ..Default::default() };
        let id = engine.create_release("soak", new, &manager()).unwrap().id;
        engine.activate(&id, &manager()).unwrap();
    }
    // Two ticks: the first follows the feed from its head, the second prepares the tick probe.
    engine.tick().unwrap();
    engine.tick().unwrap();
    clock.advance(chrono::Duration::hours(2));
    engine
}

/// Ticks once: how many timers it fired and what the tick cost by `counter`.
fn tick_cost(engine: &Engine, counter: &dyn Fn() -> u64) -> (usize, u64) {
    let before = counter();
    let fired = engine.tick().unwrap();
    (fired, counter() - before)
}

/// Every soak release of `engine` ended.
fn assert_all_ended(engine: &Engine) {
    for row in engine.query_releases(&Default::default()).unwrap() {
        assert_eq!(engine.get_release(&row.id).unwrap().status.as_str(), "success", "{}", row.id);
    }
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

/// One instance through the whole flow (warms the statement caches and the engine's caches).
fn warm(engine: &Engine) {
    let first = create(engine, "first");
    engine.activate(&first, &manager()).unwrap();
    engine.approve(&first, "approve", "approve", &approver(), None).unwrap();
    engine.run_until_idle(100).unwrap();
    assert_eq!(engine.get_release(&first).unwrap().status.as_str(), "success");
}

/// What each step of the flow cost, by `counter`: (create, activate, approve, run the job to the
/// end, an idle tick).
fn flow_costs(engine: &Engine, counter: &dyn Fn() -> u64) -> [u64; 5] {
    let cost = |step: &mut dyn FnMut()| {
        let before = counter();
        step();
        counter() - before
    };
    let mut id = String::new();
    let created = cost(&mut || id = create(engine, "second"));
    let activated = cost(&mut || drop(engine.activate(&id, &manager()).unwrap()));
    let approved = cost(&mut || drop(engine.approve(&id, "approve", "approve", &approver(), None).unwrap()));
    let ran = cost(&mut || {
        engine.run_until_idle(100).unwrap();
    });
    assert_eq!(engine.get_release(&id).unwrap().status.as_str(), "success");
    let idle = cost(&mut || {
        engine.tick().unwrap();
    });
    [created, activated, approved, ran, idle]
}

#[test]
fn sqlite_idle_ticks_take_no_write_lock_and_no_statement_is_prepared_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("flow.db")).unwrap());
    let engine = engine(store.clone());
    warm(&engine);
    let [created, activated, approved, ran, idle] = flow_costs(&engine, &|| store.write_transactions());
    eprintln!(
        "sqlite write transactions: create {created}, activate {activated}, approve {approved}, run {ran}, idle tick {idle}"
    );
    assert_eq!(idle, 0, "a tick with nothing due and nothing queued takes no write lock");
    assert_eq!(created, 1, "create: one append");
    assert_eq!(activated, 1, "activate: one append");
    assert_eq!(approved, 1, "approve: one append");
    // The in-process job: claimed, started and succeeded, one write transaction each (its token
    // is not checked again before the success is recorded: it ran well within its lease); the
    // ticks around it (the claims that find nothing more) take none.
    assert!(ran <= 3, "the job claimed, started and succeeded: {ran} write transactions");
    let statements = store.statements_run();
    engine.tick().unwrap();
    let idle_statements = store.statements_run() - statements;
    assert_eq!(idle_statements, 1, "an idle tick runs one read, the tick probe ({idle_statements} statements)");
    assert_eq!(store.statements_reprepared(), 0, "every statement kept its first preparation");
}

#[test]
fn sqlite_a_tick_claims_its_due_timers_in_one_write_transaction() {
    const RELEASES: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("soak.db")).unwrap());
    let engine = due_soaks(store.clone(), RELEASES);
    let (fired, transactions) = tick_cost(&engine, &|| store.write_transactions());
    eprintln!("sqlite: a tick firing {fired} timers took {transactions} write transactions");
    assert_eq!(fired, RELEASES, "every due timer fired in the one tick");
    assert_all_ended(&engine);
    // One append per fired timer, and one claim for the whole batch (not one claim per timer).
    assert!(
        transactions <= RELEASES as u64 + 1,
        "{transactions} write transactions for {RELEASES} timers: the claims were not batched"
    );
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_a_tick_claims_its_due_timers_in_one_round_trip() {
    const RELEASES: usize = 20;
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "tick_batch");
    let store = fresh.store.clone();
    let engine = due_soaks(store.clone(), RELEASES);
    let (fired, round_trips) = tick_cost(&engine, &|| store.round_trips());
    eprintln!("postgres: a tick firing {fired} timers took {round_trips} round trips");
    assert_eq!(fired, RELEASES, "every due timer fired in the one tick");
    assert_all_ended(&engine);
    let (_, idle) = tick_cost(&engine, &|| store.round_trips());
    // The tick probe (all an idle tick costs), the claim of the batch, one append per fired timer
    // (the next timer is read from the cached state, not the store), and the claim that finds
    // nothing left: not a claim or a read per timer.
    assert!(
        round_trips <= idle + RELEASES as u64 + 2,
        "{round_trips} round trips for {RELEASES} timers (an idle tick: {idle}): the claims were not batched"
    );
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_write_commands_take_at_most_two_round_trips() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "costs");
    let store = fresh.store.clone();
    let engine = engine(store.clone());
    warm(&engine);
    let prepared = store.statements_prepared();
    let [created, activated, approved, ran, idle] = flow_costs(&engine, &|| store.round_trips());
    eprintln!(
        "postgres round trips: create {created}, activate {activated}, approve {approved}, run {ran}, idle tick {idle}"
    );
    assert!(created <= 2, "create: {created} round trips");
    assert!(activated <= 2, "activate: {activated} round trips");
    assert!(approved <= 2, "approve: {approved} round trips");
    // An idle tick: the tick probe (nothing new in the feed, nothing due, nothing queued, no
    // release group) and nothing else.
    assert_eq!(idle, 1, "an idle tick: {idle} round trips");
    // Two ticks (the second finds nothing): their probes (this engine's own feed entries are not
    // read back), the job's claim, the append that starts it, the append of its success (no
    // heartbeat between: it ran well within its lease), and the claim that finds no next job.
    assert!(ran <= 6, "the job to the end: {ran} round trips");
    assert_eq!(store.statements_prepared(), prepared, "every statement was prepared by the first instance");
    assert_eq!(store.notifies_sent(), 0, "nobody waits on the feed: no append sent a NOTIFY");
}

//! Storage benches: releases of the system release train driven to completion per second on
//! memory, sqlite and postgres; events appended per second; the claims of an idle `tick` (no
//! timer due, no job queued); appends with a feed entry (as the engine writes them) by four
//! writers at once; loading a release of 10,000 events with and without a snapshot.
//!
//! PostgreSQL parts run when `TRAINYARD_TEST_POSTGRES` is set (each in a fresh schema, dropped at
//! the end).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::sync::Arc;
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::model::InputType;
use trainyard::release::{ActivityStatus, Event, EventKind, NewRelease};
use trainyard::schedule::ManualClock;
use trainyard::store::{Append, MemoryStore, PostgresStore, ReleaseRow, SqliteStore, Store};

/// A backend under test: name, store, and the PostgreSQL store to drop afterwards.
type Backend = (&'static str, Arc<dyn Store>, Option<Arc<PostgresStore>>);

fn train() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/processes/system-release-train.yaml"))
        .unwrap()
}

fn postgres() -> Option<String> {
    std::env::var("TRAINYARD_TEST_POSTGRES").ok().filter(|u| !u.is_empty())
}

fn pg_store(tag: &str) -> Option<Arc<PostgresStore>> {
    let base = postgres()?;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}schema=ty_bench_{tag}_{}", std::process::id());
    let store = PostgresStore::open(&url).unwrap();
    Some(Arc::new(store))
}

/// Drives one release of the train to its end: runs jobs, answers every approval and manual
/// activity, moves the clock a day at a time.
fn drive_train(engine: &Engine, clock: &ManualClock) {
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let approvers = [Actor::new("quinn").with_groups(["qa"]), Actor::new("stakeholder-1")];
    let dev = Actor::new("dev").with_groups(["development"]);
    let new = NewRelease {
        name: "Week 15".into(),
        inputs: [("releaseVersion".to_string(), json!("2.1.3"))].into_iter().collect(),
        ..Default::default()
    };
    let id = engine.create_release("system-release-train", new, &rita).unwrap().id;
    engine.activate(&id, &rita).unwrap();
    for _ in 0..60 {
        engine.run_until_idle(100_000).unwrap();
        let state = engine.get_release(&id).unwrap();
        if state.status.is_terminal() {
            assert_eq!(state.status.as_str(), "success");
            return;
        }
        for (p, ph) in state.phases.iter().enumerate() {
            for (a, act) in ph.activities.iter().enumerate() {
                if act.status != ActivityStatus::WaitingForInput {
                    continue;
                }
                let def = state.plan().activity_def(p, a);
                if def.fields.is_empty() {
                    for who in &approvers {
                        let _ = engine.approve(&id, &ph.id, &act.id, who, None);
                    }
                } else {
                    let values: IndexMap<String, Value> = def
                        .fields
                        .iter()
                        .map(|f| {
                            let v = match f.ty {
                                InputType::Number => json!(1),
                                InputType::Boolean => json!(true),
                                _ => json!("ok"),
                            };
                            (f.name.clone(), v)
                        })
                        .collect();
                    engine.complete_manual(&id, &ph.id, &act.id, &dev, values).unwrap();
                }
            }
        }
        clock.advance(chrono::Duration::hours(12));
    }
    panic!("the train did not finish");
}

fn train_to_completion(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_to_completion");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    let text = train();
    let mut backends: Vec<Backend> = Vec::new();
    backends.push(("memory", Arc::new(MemoryStore::new()), None));
    let dir = tempfile::tempdir().unwrap();
    backends.push(("sqlite", Arc::new(SqliteStore::open(dir.path().join("bench.db")).unwrap()), None));
    if let Some(pg) = pg_store("train") {
        backends.push(("postgres", pg.clone(), Some(pg)));
    }
    for (name, store, _) in &backends {
        group.bench_function(*name, |b| {
            b.iter_batched(
                || {
                    let clock = ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap());
                    let engine = Engine::new(store.clone(), Arc::new(clock.clone()));
                    engine.register_executor("command", |_: &Job| {
                        Outcome::with_outputs([("commit", "abc123"), ("url", "https://x.example")])
                    });
                    engine.register_process(&text).unwrap();
                    (engine, clock)
                },
                |(engine, clock)| drive_train(&engine, &clock),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    for (_, _, pg) in backends {
        if let Some(pg) = pg {
            pg.drop_schema().unwrap();
        }
    }
}

fn event(seq: u64) -> Event {
    Event {
        seq,
        at: "2025-04-07T09:00:00Z".parse().unwrap(),
        actor: "system".into(),
        kind: EventKind::TimerFired { timer: trainyard::release::TimerKey::Activation, due: None },
        comment: None,
    }
}

fn row(id: &str, seq: u64) -> ReleaseRow {
    ReleaseRow {
        status: trainyard::release::ReleaseStatus::Running,
        ..trainyard::store::fixtures::release_row(id, seq)
    }
}

/// Events appended per second: batches of 10 events per append (one release, expected sequence).
fn append_events(c: &mut Criterion) {
    let mut group = c.benchmark_group("append_10_events");
    group.throughput(Throughput::Elements(10));
    let dir = tempfile::tempdir().unwrap();
    let mut stores: Vec<Backend> = vec![
        ("memory", Arc::new(MemoryStore::new()), None),
        ("sqlite", Arc::new(SqliteStore::open(dir.path().join("append.db")).unwrap()), None),
    ];
    if let Some(pg) = pg_store("append") {
        stores.push(("postgres", pg.clone(), Some(pg)));
    }
    for (name, store, _) in &stores {
        let mut seq = 0u64;
        group.bench_function(*name, |b| {
            b.iter(|| {
                let events: Vec<Event> = (seq + 1..=seq + 10).map(event).collect();
                store.append(&Append::new("r", seq, &events, &row("r", seq + 10))).unwrap();
                seq += 10;
            })
        });
    }
    group.finish();
    for (_, _, pg) in stores {
        if let Some(pg) = pg {
            pg.drop_schema().unwrap();
        }
    }
}

/// Appends of one event with its feed entry (every engine command writes one) by four writers
/// at once, each on its own release: one iteration is one append by each writer. On PostgreSQL
/// this shows whether commits queue behind one another (a `NOTIFY` serializes them).
fn concurrent_feed_appends(c: &mut Criterion) {
    const WRITERS: usize = 4;
    let mut group = c.benchmark_group("append_with_feed_4_writers");
    group.throughput(Throughput::Elements(WRITERS as u64));
    let dir = tempfile::tempdir().unwrap();
    let mut stores: Vec<Backend> =
        vec![("sqlite", Arc::new(SqliteStore::open(dir.path().join("feed.db")).unwrap()), None)];
    if let Some(pg) = pg_store("feed") {
        stores.push(("postgres", pg.clone(), Some(pg)));
    }
    for (name, store, _) in &stores {
        let seqs: Vec<std::sync::Mutex<u64>> = (0..WRITERS).map(|_| std::sync::Mutex::new(0)).collect();
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let start = std::time::Instant::now();
                std::thread::scope(|scope| {
                    for (w, seq) in seqs.iter().enumerate() {
                        let store = store.clone();
                        scope.spawn(move || {
                            let id = format!("w{w}");
                            let mut seq = seq.lock().unwrap();
                            for _ in 0..iters {
                                let events = [event(*seq + 1)];
                                let entry = trainyard::store::fixtures::feed_entry(&id, *seq + 1, *seq + 1);
                                let r = row(&id, *seq + 1);
                                store
                                    .append(&Append { feed: Some(&entry), ..Append::new(&id, *seq, &events, &r) })
                                    .unwrap();
                                *seq += 1;
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
    }
    group.finish();
    for (_, _, pg) in stores {
        if let Some(pg) = pg {
            pg.drop_schema().unwrap();
        }
    }
}

/// What an idle `tick` costs the store: a timer claim and a job claim that find nothing.
fn idle_claims(c: &mut Criterion) {
    let mut group = c.benchmark_group("idle_tick_claims");
    let dir = tempfile::tempdir().unwrap();
    let mut stores: Vec<Backend> = vec![
        ("memory", Arc::new(MemoryStore::new()), None),
        ("sqlite", Arc::new(SqliteStore::open(dir.path().join("idle.db")).unwrap()), None),
    ];
    if let Some(pg) = pg_store("idle") {
        stores.push(("postgres", pg.clone(), Some(pg)));
    }
    let now: trainyard::Timestamp = "2025-04-07T09:00:00Z".parse().unwrap();
    let lease = now + chrono::Duration::seconds(30);
    let executors = ["command".to_string()];
    for (name, store, _) in &stores {
        store.append(&Append::new("r", 0, &[event(1)], &row("r", 1))).unwrap();
        group.bench_function(*name, |b| {
            b.iter(|| {
                assert!(store.claim_due(now, 1, lease).unwrap().is_empty());
                assert!(store.claim_jobs(&executors, "w", 8, lease, now).unwrap().is_empty());
            })
        });
    }
    group.finish();
    for (_, _, pg) in stores {
        if let Some(pg) = pg {
            pg.drop_schema().unwrap();
        }
    }
}

/// Loading a release with 10,000 events in a fresh engine: from its latest snapshot plus the
/// tail, and by replaying every event. The release is a small process whose deploy fails and is
/// retried by a person again and again (a long-lived release: many events, small state).
fn load_10k(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_10k_events");
    group.sample_size(20);
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("load.db")).unwrap());
    let text = "id: flaky\nphases:\n  - id: p\n    activities:\n      - { id: deploy, kind: automated, executor: x, on_failure: hold }\n      - { id: after, kind: automated, executor: x, depends_on: [deploy] }\n";
    let clock = Arc::new(ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap()));
    let engine = Engine::new(store.clone(), clock.clone());
    engine.register_executor("x", |_: &Job| Outcome::Failure { message: "flaky".into(), retryable: false });
    engine.register_process(text).unwrap();
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let id = engine.create_release("flaky", NewRelease { name: "big".into(), ..Default::default() }, &rita).unwrap().id;
    engine.activate(&id, &rita).unwrap();
    engine.run_until_idle(usize::MAX).unwrap();
    while engine.get_release(&id).unwrap().seq < 10_000 {
        engine.retry(&id, "p", "deploy", &rita, None, Some("again")).unwrap();
        engine.run_until_idle(usize::MAX).unwrap();
    }
    let events = store.events(&id, 0).unwrap().len();
    let snap = store.snapshot(&id).unwrap().map(|s| s.0);
    eprintln!("load_10k_events: release of {events} events, snapshot at {snap:?}");
    group.bench_function("with_snapshot", |b| {
        b.iter_batched(
            || Engine::new(store.clone(), clock.clone()),
            |fresh| fresh.get_release(&id).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("full_replay", |b| {
        b.iter_batched(
            || Engine::new(store.clone(), clock.clone()),
            |fresh| fresh.replay_release(&id).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, train_to_completion, append_events, concurrent_feed_appends, idle_claims, load_10k);
criterion_main!(benches);

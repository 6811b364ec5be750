//! Several engines on one PostgreSQL schema: 3 engines in threads, one more engine in a separate
//! OS process (this test binary re-executed), and external worker threads, over 1,000 releases of
//! a 3-phase process (an in-process `build` job, a 1-second `wait` timer, an external `deploy`
//! job). Every release completes; every job runs once per attempt (counted in an idempotency
//! ledger); every timer fires once; no event sequence has gaps or duplicates.
#![cfg(feature = "postgres")]

#[path = "support/storage.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{EventKind, NewRelease, ReleaseStatus};
use trainyard::store::ReleaseQuery;

const RELEASES: usize = 1_000;
const CHILD_ENV: &str = "TRAINYARD_MULTI_ENGINE_CHILD";
const PROCESS: &str = r#"
id: three
phases:
  - id: build
    activities: [{ id: compile, kind: automated, executor: build }]
  - id: soak
    depends_on: [build]
    activities: [{ id: wait, kind: wait, duration: 1s }]
  - id: deploy
    depends_on: [soak]
    activities: [{ id: ship, kind: automated, executor: deploy }]
"#;

type Ledger = Arc<Mutex<HashMap<String, u32>>>;

fn engine(url: &str, ledger: impl Fn(&str) + Send + Sync + 'static) -> Engine {
    let engine = Engine::open(url).unwrap_or_else(|e| panic!("{e}"));
    engine.register_executor("build", move |job: &Job| {
        ledger(&job.id);
        Outcome::success()
    });
    engine
}

fn all_done(engine: &Engine) -> bool {
    let q = ReleaseQuery { statuses: vec![ReleaseStatus::Success], ..Default::default() };
    engine.query_releases(&q).map(|r| r.len() == RELEASES).unwrap_or(false)
}

/// Ticks `engine` (timers and its in-process jobs) until `stop`.
fn drive(engine: &Engine, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match engine.tick() {
            Ok(0) => std::thread::sleep(Duration::from_millis(5)),
            Ok(_) => {}
            Err(e) => panic!("tick failed: {e}"),
        }
    }
}

/// An external worker: claims `deploy` jobs, runs them (records them in the ledger), completes.
fn work(engine: &Engine, worker: &str, ledger: &(dyn Fn(&str) + Sync), stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let claimed = engine.claim_jobs(&["deploy"], worker, 8, chrono::Duration::seconds(60)).unwrap();
        if claimed.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        for c in claimed {
            ledger(&c.job.id);
            match engine.complete_claimed_job(&c.job.id, &c.token, Outcome::success()) {
                Ok(()) => {}
                Err(e) => panic!("completion of {} refused: {e}", c.job.id),
            }
        }
    }
}

/// The child process: one more engine, driving and working until every release is done. Not a
/// test of its own: the multi-engine test runs it in a separate process.
#[test]
#[ignore = "entry point of the child process that the multi-engine test starts"]
fn multi_engine_child_entry() {
    let spec = std::env::var(CHILD_ENV).expect("started by the multi-engine test with its store URL");
    let (url, ledger_path) = spec.split_once('|').expect("url|ledger");
    let file = Arc::new(Mutex::new(std::fs::File::create(ledger_path).unwrap()));
    let f = file.clone();
    let record = move |id: &str| {
        let mut f = f.lock().unwrap();
        writeln!(f, "{id}").unwrap();
        f.flush().unwrap();
    };
    let record = Arc::new(record);
    let r = record.clone();
    let e = engine(url, move |id| r(id));
    let stop = AtomicBool::new(false);
    let deadline = Instant::now() + Duration::from_secs(150);
    std::thread::scope(|s| {
        s.spawn(|| drive(&e, &stop));
        s.spawn(|| work(&e, "child-worker", &*record, &stop));
        while !all_done(&e) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::SeqCst);
    });
}

#[test]
fn three_engines_a_child_process_and_workers_share_one_postgres_schema() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "multi");
    let url = fresh.url.clone();
    let ledger: Ledger = Arc::new(Mutex::new(HashMap::new()));
    let record = {
        let ledger = ledger.clone();
        Arc::new(move |id: &str| *ledger.lock().unwrap().entry(id.to_string()).or_default() += 1)
    };
    let engines: Vec<Engine> = (0..3)
        .map(|_| {
            let r = record.clone();
            engine(&url, move |id| r(id))
        })
        .collect();
    engines[0].register_process(PROCESS).unwrap();
    let started = Instant::now();

    // The child process: this binary again, running only `multi_engine_child_entry`.
    let dir = tempfile::tempdir().unwrap();
    let child_ledger = dir.path().join("child-ledger.txt");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "multi_engine_child_entry", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{url}|{}", child_ledger.display()))
        .spawn()
        .expect("the child process starts");

    let stop = AtomicBool::new(false);
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let ids = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for e in &engines {
            s.spawn(|| drive(e, &stop));
        }
        for (i, e) in engines.iter().enumerate().take(2) {
            let record = record.clone();
            let stop = &stop;
            s.spawn(move || work(e, &format!("worker-{i}"), &*record, stop));
        }
        // Creators: each engine creates and activates a third of the releases.
        let creators: Vec<_> = engines
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let (rita, ids) = (&rita, &ids);
                s.spawn(move || {
                    for i in (k..RELEASES).step_by(3) {
                        let new = NewRelease { name: format!("release {i}"), ..Default::default() };
                        let r = e.create_release("three", new, rita).unwrap();
                        e.activate(&r.id, rita).unwrap();
                        ids.lock().unwrap().push(r.id);
                    }
                })
            })
            .collect();
        for c in creators {
            c.join().unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(150);
        while !all_done(&engines[0]) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::SeqCst);
    });
    let status = child.wait().expect("the child process ends");
    assert!(status.success(), "the child engine process failed: {status}");
    let elapsed = started.elapsed();

    // Every release completed.
    let ids = ids.into_inner().unwrap();
    assert_eq!(ids.len(), RELEASES);
    let store = fresh.dyn_store();
    let mut queued_jobs: BTreeMap<String, u32> = BTreeMap::new();
    for id in &ids {
        let state = engines[1].get_release(id).unwrap();
        assert_eq!(state.status, ReleaseStatus::Success, "release {id} ended {}", state.status);
        let events = store.events(id, 0).unwrap();
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>(), "release {id}: gaps or duplicates");
        let mut timers: HashMap<String, u32> = HashMap::new();
        for e in &events {
            match &e.kind {
                EventKind::ActivityQueued { job_id, .. } => *queued_jobs.entry(job_id.clone()).or_default() += 1,
                EventKind::TimerFired { timer, .. } => *timers.entry(format!("{timer:?}")).or_default() += 1,
                _ => {}
            }
        }
        assert_eq!(timers.len(), 1, "release {id}: one wait timer: {timers:?}");
        assert!(timers.values().all(|n| *n == 1), "release {id}: a timer fired more than once: {timers:?}");
        assert_eq!(engines[2].replay_release(id).unwrap(), *state, "release {id}: replay = state");
    }
    // Every job ran once per attempt: the ledger of the three engines, the workers and the child.
    let mut ran = ledger.lock().unwrap().clone();
    let child_ran = std::fs::read_to_string(&child_ledger).unwrap_or_default();
    for line in child_ran.lines().filter(|l| !l.is_empty()) {
        *ran.entry(line.to_string()).or_default() += 1;
    }
    let twice: Vec<_> = ran.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    assert_eq!(queued_jobs.len(), RELEASES * 2, "two jobs per release");
    assert!(queued_jobs.values().all(|n| *n == 1), "each job queued once");
    let ran_ids: Vec<&String> = ran.keys().collect();
    let queued_ids: Vec<&String> = queued_jobs.keys().collect();
    let mut ran_sorted = ran_ids.clone();
    ran_sorted.sort();
    assert_eq!(ran_sorted, queued_ids, "every queued job ran, nothing else did");
    assert!(store.jobs().unwrap().is_empty(), "no job is left in the store");
    let child_share = child_ran.lines().count();
    eprintln!(
        "multi-engine: {RELEASES} releases, {} jobs ({child_share} in the child process) in {:.1}s",
        ran.len(),
        elapsed.as_secs_f64()
    );
}

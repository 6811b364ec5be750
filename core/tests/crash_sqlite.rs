//! Crash safety on SQLite: a child process (this test binary re-executed) drives releases and is
//! killed with SIGKILL at random moments, 25 times. After every kill the file is reopened and
//! checked: no committed event lost (the child journals each committed sequence after the commit
//! returns), none duplicated, no gap, every release replays (with and without its snapshot) to a
//! state that agrees with its index row. At the end everything runs to completion.

#[path = "support/storage.rs"]
mod support;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{NewRelease, ReleaseStatus};
use trainyard::schedule::{Clock, ManualClock, SystemClock};
use trainyard::store::{ReleaseQuery, SqliteStore, Store};
use trainyard::{Engine, Error};

const CHILD_ENV: &str = "TRAINYARD_CRASH_CHILD";
const KILLS: usize = 25;
const PROCESS: &str = r#"
id: crashy
phases:
  - id: build
    activities:
      - { id: compile, kind: automated, executor: x }
      - { id: test, kind: automated, executor: x, depends_on: [compile] }
  - id: deploy
    depends_on: [build]
    activities: [{ id: ship, kind: automated, executor: x }]
  - id: verify
    depends_on: [deploy]
    activities: [{ id: smoke, kind: automated, executor: x }]
"#;

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn open_engine(db: &Path, clock: Arc<dyn Clock>) -> (Arc<dyn Store>, Engine) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).unwrap_or_else(|e| panic!("{e}")));
    let engine = Engine::new(store.clone(), clock);
    engine.register_executor("x", |_: &Job| Outcome::success());
    engine.set_snapshot_every(5);
    (store, engine)
}

/// The child: creates, activates and drives releases until killed, journaling every committed
/// sequence (after the commit returned).
#[test]
#[ignore = "entry point of the child process that the crash test starts and kills"]
fn crash_child_entry() {
    let spec = std::env::var(CHILD_ENV).expect("started by the crash test with its file paths");
    let (db, journal) = spec.split_once('|').expect("db|journal");
    let (_, engine) = open_engine(Path::new(db), Arc::new(SystemClock));
    let mut journal = std::fs::OpenOptions::new().create(true).append(true).open(journal).unwrap();
    // The previous child may have been killed in the middle of a line: end it, so the first line
    // written here is not glued to it.
    writeln!(journal).unwrap();
    let mut note = |id: &str, seq: u64| {
        writeln!(journal, "{id} {seq}").unwrap();
        journal.flush().unwrap();
    };
    for i in 0.. {
        let r = engine
            .create_release("crashy", NewRelease { name: format!("crash {i}"), ..Default::default() }, &rita())
            .unwrap();
        note(&r.id, r.seq);
        let events = engine.activate(&r.id, &rita()).unwrap();
        note(&r.id, events.last().map_or(r.seq, |e| e.seq));
        if i % 3 == 0 {
            engine.run_until_idle(1_000).unwrap();
            for row in engine.query_releases(&ReleaseQuery::default()).unwrap() {
                note(&row.id, row.seq);
            }
        }
    }
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// Checks the file after a crash; returns how many releases it holds.
fn check(db: &Path, journal: &Path, round: usize) -> usize {
    let (store, engine) = open_engine(db, Arc::new(SystemClock));
    let rows =
        store.query_releases(&ReleaseQuery { include_archived: true, include_deleted: true, ..Default::default() });
    let rows = rows.unwrap_or_else(|e| panic!("round {round}: the index is unreadable: {e}"));
    let mut seq_of = HashMap::new();
    for row in &rows {
        let events = store.events(&row.id, 0).unwrap_or_else(|e| panic!("round {round}: events of {}: {e}", row.id));
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=row.seq).collect::<Vec<_>>(), "round {round}: release {}: gaps or duplicates", row.id);
        let loaded =
            engine.get_release(&row.id).unwrap_or_else(|e| panic!("round {round}: {} does not load: {e}", row.id));
        let replayed = engine.replay_release(&row.id).unwrap();
        assert_eq!(*loaded, replayed, "round {round}: release {}: snapshot + tail differs from replay", row.id);
        assert_eq!(loaded.seq, row.seq, "round {round}: release {}: state and row disagree", row.id);
        assert_eq!(loaded.status, row.status, "round {round}: release {}: state and row disagree", row.id);
        seq_of.insert(row.id.clone(), row.seq);
    }
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    for line in text.lines() {
        let Some((id, seq)) = line.split_once(' ') else { continue }; // a line cut by the kill
        if id.len() != 36 {
            continue; // an id cut by the kill
        }
        let Ok(seq) = seq.parse::<u64>() else { continue };
        let stored = seq_of.get(id).copied().unwrap_or(0);
        assert!(stored >= seq, "round {round}: release {id} committed event {seq} but the file has {stored}");
    }
    rows.len()
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let journal = dir.path().join("journal.txt");
    {
        let (_, engine) = open_engine(&db, Arc::new(SystemClock));
        engine.register_process(PROCESS).unwrap();
    }
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut rng = Lcg(seed);
    let mut releases = 0;
    for round in 0..KILLS {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child_entry", "--ignored", "--test-threads=1"])
            .env(CHILD_ENV, format!("{}|{}", db.display(), journal.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the child starts");
        std::thread::sleep(Duration::from_millis(40 + rng.next(160)));
        child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(!status.success(), "round {round}: the child ended on its own: {status}");
        releases = check(&db, &journal, round);
    }
    assert!(releases >= KILLS, "the children got work done before being killed ({releases} releases)");

    // Everything runs to completion: leases held by killed children expire (the clock moves on),
    // drafts whose activation was cut off are activated.
    let clock = ManualClock::new(chrono::Utc::now() + chrono::Duration::hours(1));
    let (store, engine) = open_engine(&db, Arc::new(clock));
    for row in
        store.query_releases(&ReleaseQuery { statuses: vec![ReleaseStatus::Draft], ..Default::default() }).unwrap()
    {
        engine.activate(&row.id, &rita()).unwrap();
    }
    engine.run_until_idle(1_000_000).unwrap();
    let rows = store.query_releases(&ReleaseQuery::default()).unwrap();
    assert_eq!(rows.len(), releases);
    for row in rows {
        assert_eq!(row.status, ReleaseStatus::Success, "release {} ended {}", row.id, row.status);
        assert_eq!(engine.replay_release(&row.id).unwrap(), *engine.get_release(&row.id).unwrap());
    }
    assert!(store.jobs().unwrap().is_empty(), "no job left behind");
    assert!(matches!(engine.get_release("missing"), Err(Error::NotFound { .. })));
    eprintln!("crash test: {KILLS} kills, {releases} releases, all complete");
}

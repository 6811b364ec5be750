//! The peer flow on the SQL stores, from Rust: create → activate → approval → automated step →
//! end (the process of `benches/peers/release.yaml`, run by `make bench-peers` from Python and
//! Node), per instance, with what it costs the store.
//!
//! * SQLite: time per instance, statements, write transactions (`BEGIN IMMEDIATE`) and
//!   re-preparations per instance.
//! * PostgreSQL (when `TRAINYARD_TEST_POSTGRES` is set, in a schema of its own dropped at the
//!   end): one engine (time and round trips per instance and per write command) and four engines
//!   on one database, each with its own connections (instances per second together); next to
//!   them the floor measured in the same run: a prepared `SELECT 1` round trip and a committed
//!   single-row insert from this process, and the same two with `pgbench` when it is installed.
//!
//! Usage: `cargo bench -p trainyard --bench sql_flow [-- N RUNS]` (N instances per run, default
//! 400; medians of RUNS runs, default 5). Results and the exact command are in
//! `benches/RESULTS.md`.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::NewRelease;
use trainyard::schedule::SystemClock;
use trainyard::store::{PostgresStore, SqliteStore, Store};

/// Write commands of one instance: create, activate, approve, the job's start and its success.
const WRITES_PER_INSTANCE: f64 = 5.0;

fn process() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/peers/release.yaml")).unwrap()
}

fn engine(store: Arc<dyn Store>) -> Engine {
    let engine = Engine::new(store, Arc::new(SystemClock));
    engine.register_executor("deploy", |_: &Job| Outcome::with_outputs([("url", "https://prod.example")]));
    engine.register_process(&process()).unwrap();
    engine
}

/// One instance of the flow, to its end (when `alone`: with several engines another one may
/// be running its job).
fn instance(engine: &Engine, name: &str, alone: bool) {
    let manager = Actor::new("rita").with_roles(["account_release_manager"]);
    let approver = Actor::new("ann").with_groups(["approvers"]);
    let new = NewRelease { name: name.into(), ..Default::default() };
    let id = engine.create_release("bench-release", new, &manager).unwrap().id;
    engine.activate(&id, &manager).unwrap();
    engine.approve(&id, "approve", "approve", &approver, None).unwrap();
    engine.run_until_idle(1_000).unwrap();
    if alone {
        let state = engine.get_release(&id).unwrap();
        assert_eq!(state.status.as_str(), "success", "instance {name} ended");
    }
}

/// `n` instances; returns the time per instance.
fn run(engine: &Engine, tag: &str, n: usize, alone: bool) -> Duration {
    let t = Instant::now();
    for i in 0..n {
        instance(engine, &format!("{tag} {i}"), alone);
    }
    t.elapsed() / n as u32
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn sqlite(n: usize, runs: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("flow.db")).unwrap());
    let engine = engine(store.clone());
    run(&engine, "warm-up", n / 10 + 1, true);
    let (s0, w0, r0) = (store.statements_run(), store.write_transactions(), store.statements_reprepared());
    let times: Vec<f64> = (0..runs).map(|r| us(run(&engine, &format!("run {r}"), n, true))).collect();
    let total = (n * runs) as f64;
    println!(
        "sqlite, one engine: {:.0} µs per instance (median of {runs} runs of {n}); per instance {:.1} statements, \
         {:.1} write transactions, {} re-preparations in all",
        median(times),
        (store.statements_run() - s0) as f64 / total,
        (store.write_transactions() - w0) as f64 / total,
        store.statements_reprepared() - r0,
    );
}

fn pg_url(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}schema={schema}")
}

fn postgres_one(base: &str, schema: &str, n: usize, runs: usize) {
    let store = Arc::new(PostgresStore::open(&pg_url(base, schema)).unwrap());
    let engine = engine(store.clone());
    run(&engine, "warm-up", n / 10 + 1, true);
    let trips = store.round_trips();
    let prepared = store.statements_prepared();
    let times: Vec<f64> = (0..runs).map(|r| us(run(&engine, &format!("one {r}"), n, true))).collect();
    let total = (n * runs) as f64;
    let per_instance = (store.round_trips() - trips) as f64 / total;
    println!(
        "postgres, one engine: {:.0} µs per instance (median of {runs} runs of {n}); {per_instance:.1} round trips \
         per instance ({:.1} per write command, reads included), {} statements prepared during the runs",
        median(times),
        per_instance / WRITES_PER_INSTANCE,
        store.statements_prepared() - prepared,
    );
}

fn postgres_four(base: &str, schema: &str, n: usize, runs: usize) {
    const ENGINES: usize = 4;
    let engines: Vec<Arc<Engine>> =
        (0..ENGINES).map(|_| Arc::new(engine(Arc::new(PostgresStore::open(&pg_url(base, schema)).unwrap())))).collect();
    for (k, e) in engines.iter().enumerate() {
        run(e, &format!("warm-up {k}"), n / 40 + 1, false);
    }
    let mut rates = Vec::new();
    for r in 0..runs {
        let start = Arc::new(Barrier::new(ENGINES + 1));
        let threads: Vec<_> = engines
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let (e, start) = (e.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    run(&e, &format!("four {r} engine {k}"), n / ENGINES, false);
                })
            })
            .collect();
        start.wait();
        let t = Instant::now();
        for th in threads {
            th.join().unwrap();
        }
        // A job another engine claimed may still have been running when an engine finished.
        while engines[0].list_releases(&Default::default()).unwrap().iter().any(|r| !r.status.is_terminal()) {
            engines[0].run_until_idle(1_000).unwrap();
        }
        rates.push((n / ENGINES * ENGINES) as f64 / t.elapsed().as_secs_f64());
    }
    println!(
        "postgres, four engines on one database: {:.0} instances/s together (median of {runs} runs of {n})",
        median(rates)
    );
}

/// The floor from this process: a prepared `SELECT 1` and a committed single-row insert.
fn floor_in_process(base: &str, schema: &str) {
    let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
    c.batch_execute(&format!("CREATE TABLE \"{schema}\".floor (v BIGINT)")).unwrap();
    let select = c.prepare("SELECT 1").unwrap();
    let time = |n: usize, f: &mut dyn FnMut()| {
        let samples: Vec<f64> = (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                us(t.elapsed())
            })
            .collect();
        median(samples)
    };
    let one = time(2_000, &mut || {
        c.query_one(&select, &[]).unwrap();
    });
    let mut c2 = postgres::Client::connect(base, postgres::NoTls).unwrap();
    let insert = c2.prepare(&format!("INSERT INTO \"{schema}\".floor (v) VALUES ($1)")).unwrap();
    let write = time(1_000, &mut || {
        c2.execute(&insert, &[&1i64]).unwrap();
    });
    println!(
        "postgres floor, this process: SELECT 1 round trip {one:.0} µs; committed single-row insert {write:.0} µs"
    );
}

/// The same floor with `pgbench` (one client, 3 s each), when it is installed.
fn floor_pgbench(base: &str, schema: &str) {
    let dir = tempfile::tempdir().unwrap();
    let scripts = [
        ("SELECT 1", "SELECT 1;\n".to_string()),
        ("insert", format!("INSERT INTO \"{schema}\".floor (v) VALUES (1);\n")),
    ];
    for (what, script) in scripts {
        let file = dir.path().join("script.sql");
        std::fs::write(&file, script).unwrap();
        let out = std::process::Command::new("pgbench")
            .args(["-n", "-c", "1", "-T", "3", "-M", "prepared", "-f"])
            .arg(&file)
            .arg(base)
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout);
                let latency = text.lines().find(|l| l.starts_with("latency average")).unwrap_or("no latency line");
                println!("postgres floor, pgbench {what}: {latency}");
            }
            Ok(o) => println!("postgres floor, pgbench {what}: failed: {}", String::from_utf8_lossy(&o.stderr).trim()),
            Err(e) => {
                println!("postgres floor, pgbench: not run ({e})");
                return;
            }
        }
    }
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(400);
    let runs = args.get(1).copied().unwrap_or(5);
    sqlite(n, runs);
    let Some(base) = std::env::var("TRAINYARD_TEST_POSTGRES").ok().filter(|u| !u.is_empty()) else {
        println!("postgres: not measured (TRAINYARD_TEST_POSTGRES is not set)");
        return;
    };
    let schema = format!("ty_bench_flow_{}", std::process::id());
    postgres_one(&base, &schema, n, runs);
    postgres_four(&base, &schema, n, runs);
    floor_in_process(&base, &schema);
    floor_pgbench(&base, &schema);
    PostgresStore::open(&pg_url(&base, &schema)).unwrap().drop_schema().unwrap();
}

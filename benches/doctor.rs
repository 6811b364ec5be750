//! The doctor over a big store: N releases in SQLite (default 100,000; half running a 30-day wait
//! whose timer is in the store, half scheduled), `Engine::doctor` and `trainyard doctor` (the
//! command line in this process, with its indicatif progress bar when standard error is a
//! terminal) side by side, then 1% of the releases made stuck (their timer row cleared in SQLite)
//! and `trainyard doctor --repair`. Run by `make bench-doctor`
//! (`cargo run --release -p trainyard-examples --example doctor_bench -- [N] [RUNS]`); results in
//! `benches/RESULTS.md`.

use chrono::{Duration, TimeZone, Utc};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;
use trainyard::access::Actor;
use trainyard::release::NewRelease;
use trainyard::schedule::ManualClock;
use trainyard::{Engine, Result};
use trainyard_cli::Terminal;

const PROCESS: &str = r#"
id: soak
phases:
  - id: wait
    activities: [{ id: soak, kind: wait, duration: 30d }]
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// `trainyard ARGS` in this process: its exit code, its standard output and the seconds it took.
fn cli(url: &str, args: &[&str]) -> (i32, String, f64) {
    let head = ["trainyard", "--db", url];
    let argv: Vec<String> = head.iter().chain(args).map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let tty = Terminal { stdout: false, stderr: std::io::stderr().is_terminal() };
    let t = Instant::now();
    let code = trainyard_cli::run_with(argv, &mut out, &mut std::io::stderr(), tty);
    (code, String::from_utf8_lossy(&out).into_owned(), t.elapsed().as_secs_f64())
}

fn main() -> Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(3).max(1);
    let dir = std::env::temp_dir().join(format!("trainyard-doctor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("doctor.db");
    let url = format!("sqlite://{}", file.display());
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let engine = Engine::open_with(&url, Arc::new(ManualClock::new(start)))?;
    engine.register_process(PROCESS)?;
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    println!("creating {n} releases in {url} (half running a wait, half scheduled)");
    let t0 = Instant::now();
    for i in 0..n {
        let r =
            engine.create_release("soak", NewRelease { name: format!("release {i}"), ..Default::default() }, &rita)?;
        if i % 2 == 0 {
            engine.activate(&r.id, &rita)?;
        } else {
            let at = start + Duration::days(1 + (i % 365) as i64);
            engine.schedule(&r.id, &rita, at, Some(at + Duration::hours(1)), false)?;
        }
        if (i + 1) % 20_000 == 0 {
            println!("  {:>7} releases, {:.0} s", i + 1, t0.elapsed().as_secs_f64());
        }
    }
    println!("created {n} releases in {:.1} s", t0.elapsed().as_secs_f64());

    // Side by side, alternating: the library call and the command (its output is one JSON line).
    let (mut library, mut command) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let report = engine.doctor()?;
        library.push(t.elapsed().as_secs_f64());
        assert_eq!((report.checked, report.findings.len()), (n, 0));
        let (code, out, secs) = cli(&url, &["doctor", "--json"]);
        assert_eq!(code, 0, "{out}");
        command.push(secs);
    }
    let (lib, cmd) = (median(library), median(command));
    println!("Engine::doctor over {n} releases: median {lib:.2} s of {runs}");
    println!("trainyard doctor over {n} releases: median {cmd:.2} s of {runs} (×{:.2} the library call)", cmd / lib);

    // 1% stuck: their timer rows cleared behind the engine's back.
    let stuck = (n / 100).max(1);
    let sql = rusqlite::Connection::open(&file).expect("the SQLite file opens");
    let cleared = sql
        .execute(
            "UPDATE releases SET next_due = NULL WHERE id IN \
             (SELECT id FROM releases WHERE next_due IS NOT NULL AND status = 'running' LIMIT ?1)",
            [stuck as i64],
        )
        .expect("the timer rows are cleared");
    let (code, out, found) = cli(&url, &["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!((code, report["findings"].as_array().map(Vec::len)), (1, Some(cleared)));
    println!("trainyard doctor with {cleared} stuck releases: exit 1, {found:.2} s");
    let (code, out, repaired) = cli(&url, &["doctor", "--repair", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(code, 0, "{out}");
    assert_eq!(report["repair"]["timers_restored"].as_u64(), Some(cleared as u64));
    println!("trainyard doctor --repair: {cleared} timers restored, then checked again: exit 0, {repaired:.2} s");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

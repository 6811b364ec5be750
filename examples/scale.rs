//! Scale: one million releases in SQLite — the time to create (and schedule) them, a calendar
//! query of one month over them, and the process's memory. Run by `make bench-scale`
//! (`cargo run --release -p trainyard-examples --example scale -- [N]`, default 1,000,000);
//! results in `benches/RESULTS.md`.

use chrono::{Duration, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;
use trainyard::access::Actor;
use trainyard::calendar::CalendarFilter;
use trainyard::release::NewRelease;
use trainyard::schedule::ManualClock;
use trainyard::{Engine, Result};

const PROCESS: &str = r#"
id: scale
inputs:
  environment: { type: environment, allowed: [qa, prod1, prod2, prod3], default: qa }
phases:
  - id: deploy
    duration: 4h
    activities: [{ id: rollout, kind: automated, executor: deploy }]
"#;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<f64>().ok()))
        .map(|pages| pages * 4096.0 / 1024.0 / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() -> Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("trainyard-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let clock = ManualClock::new(start - Duration::days(1));
    let url = format!("sqlite://{}", dir.join("scale.db").display());
    let engine = Engine::open_with(&url, Arc::new(clock))?;
    engine.register_process(PROCESS)?;
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let envs = ["qa", "prod1", "prod2", "prod3"];
    println!("creating and scheduling {n} releases in {url}");
    // A progress bar on a terminal; a plain line every 100,000 releases otherwise.
    let bar = std::io::stdout().is_terminal().then(|| {
        let b = ProgressBar::new(n as u64);
        if let Ok(style) = ProgressStyle::with_template("  {bar:40} {pos}/{len} releases ({per_sec}, {eta})") {
            b.set_style(style);
        }
        b
    });
    let t0 = Instant::now();
    for i in 0..n {
        let mut inputs = indexmap::IndexMap::new();
        inputs.insert("environment".to_string(), serde_json::Value::from(envs[i % envs.len()]));
        let r = engine.create_release(
            "scale",
            NewRelease { name: format!("release {i}"), inputs, ..Default::default() },
            &rita,
        )?;
        // Spread over two years, one every ~63 seconds.
        let at = start + Duration::seconds((i as i64) * 63_072_000 / n.max(1) as i64);
        engine.schedule(&r.id, &rita, at, Some(at + Duration::hours(4)), false)?;
        if let Some(b) = &bar {
            b.inc(1);
        } else if (i + 1) % 100_000 == 0 {
            println!("  {:>9} releases, {:.0} s, {:.0} MiB", i + 1, t0.elapsed().as_secs_f64(), rss_mib());
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let created = t0.elapsed().as_secs_f64();
    println!("created {n} releases in {created:.1} s ({:.0} releases/s), RSS {:.0} MiB", n as f64 / created, rss_mib());
    let month_from = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    let month_to = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap();
    let t1 = Instant::now();
    let first = engine.calendar(month_from, month_to, &CalendarFilter::default())?;
    let cold = t1.elapsed().as_secs_f64();
    let mut times = Vec::new();
    let mut hits = 0;
    for _ in 0..5 {
        let t = Instant::now();
        hits = engine.calendar(month_from, month_to, &CalendarFilter::default())?.len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "calendar of June 2025: {} entries; first query {cold:.2} s (builds the index from the store), then median {:.1} ms; RSS {:.0} MiB",
        first.len(),
        times[times.len() / 2],
        rss_mib()
    );
    assert_eq!(hits, first.len());
    // The doctor over the whole store (what `trainyard doctor` does), with the same progress.
    let t2 = Instant::now();
    let bar = std::io::stdout().is_terminal().then(|| ProgressBar::new(n as u64));
    let report = engine.doctor_with_progress(&mut |done, total| match &bar {
        Some(b) => b.set_position(done as u64),
        None if done % 100_000 == 0 || done == total => println!("  doctor: {done}/{total} releases checked"),
        None => {}
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    println!(
        "doctor over {} releases: {} with problems, {:.1} s; RSS {:.0} MiB",
        report.checked,
        report.findings.len(),
        t2.elapsed().as_secs_f64(),
        rss_mib()
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

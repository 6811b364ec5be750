//! The change feed's speed on SQLite and PostgreSQL: feed entries per second (written by one
//! committing engine, read back page by page, and followed by a watcher in another process while
//! the writer commits flat out), and the commit-to-watch latency (median, p99) between two
//! processes. Run by `make bench-feed`
//! (`cargo run --release -p trainyard-examples --example feed_bench -- [ENTRIES] [LATENCY_SAMPLES]`);
//! PostgreSQL too when `TRAINYARD_TEST_POSTGRES` is set (a fresh schema, dropped after). Results in
//! `benches/RESULTS.md`.
//!
//! Each commit is one `create_release` (one feed entry). The watcher is this same program started
//! again as `feed_bench watch URL AFTER COUNT`: it follows the feed with `Engine::watch` and
//! prints `<release id> <arrival, ns since the Unix epoch>` per entry; the writer stamps the wall
//! clock right after each commit returns, so a latency is "commit returned → watcher in the
//! other process has the entry" on one machine's clock.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use trainyard::access::Actor;
use trainyard::feed::FeedFilter;
use trainyard::release::NewRelease;
use trainyard::{Engine, Result};

const PROCESS: &str = "id: bench\nphases:\n  - id: only\n    activities: [{ id: ok, kind: manual }]\n";

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn create(engine: &Engine, i: usize) -> Result<String> {
    let r = engine.create_release("bench", NewRelease { name: format!("r{i}"), ..Default::default() }, &rita())?;
    Ok(r.id)
}

/// The watcher process: follows the feed after `after` until `count` entries came.
fn watch(url: &str, after: u64, count: usize) -> Result<()> {
    let engine = Engine::open(url)?;
    println!("ready");
    let mut seen = 0;
    for entry in engine.watch(after, FeedFilter::default()) {
        let entry = entry?;
        println!("{} {}", entry.release, now_ns());
        seen += 1;
        if seen == count {
            break;
        }
    }
    Ok(())
}

/// A watcher child; returns it with a reader of its lines, after it said it is ready.
fn spawn_watcher(url: &str, after: u64, count: usize) -> (std::process::Child, impl Iterator<Item = String> + use<>) {
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut child = Command::new(exe)
        .args(["watch", url, &after.to_string(), &count.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the watcher process");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines().map_while(|l| l.ok());
    assert_eq!(lines.next().as_deref(), Some("ready"), "the watcher did not start");
    (child, lines)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn run_backend(label: &str, url: &str, entries: usize, samples: usize) -> Result<()> {
    let engine = Engine::open(url)?;
    engine.register_process(PROCESS)?;

    // 1. Write flat out while another process watches.
    let head = engine.feed_head()?;
    let (mut child, lines) = spawn_watcher(url, head, entries);
    let reader = std::thread::spawn(move || {
        let mut last = 0u128;
        let mut n = 0usize;
        for line in lines {
            last = line.rsplit(' ').next().and_then(|t| t.parse().ok()).unwrap_or(0);
            n += 1;
        }
        (n, last)
    });
    let t0 = now_ns();
    let started = Instant::now();
    for i in 0..entries {
        create(&engine, i)?;
    }
    let write_s = started.elapsed().as_secs_f64();
    let (watched, last_arrival) = reader.join().expect("the reader thread");
    child.wait().expect("the watcher process");
    assert_eq!(watched, entries, "the watcher saw every entry");
    let watch_s = last_arrival.saturating_sub(t0) as f64 / 1e9;

    // 2. Read it back, page by page (1,000 a page).
    let started = Instant::now();
    let (mut after, mut read) = (head, 0usize);
    loop {
        let page = engine.changes(after, &FeedFilter::default(), 1_000)?;
        read += page.entries.len();
        if page.next == after {
            break;
        }
        after = page.next;
    }
    let read_s = started.elapsed().as_secs_f64();
    assert_eq!(read, entries);

    // 3. Latency: one commit every 20 ms (so commits do not queue), watched from another process.
    let head = engine.feed_head()?;
    let (mut child, lines) = spawn_watcher(url, head, samples);
    let reader = std::thread::spawn(move || {
        lines
            .filter_map(|l| {
                let (id, t) = l.split_once(' ')?;
                Some((id.to_string(), t.parse::<u128>().ok()?))
            })
            .collect::<Vec<_>>()
    });
    let mut committed = Vec::with_capacity(samples);
    for i in 0..samples {
        let id = create(&engine, entries + i)?;
        committed.push((id, now_ns()));
        std::thread::sleep(Duration::from_millis(20));
    }
    let arrivals: std::collections::HashMap<String, u128> =
        reader.join().expect("the reader thread").into_iter().collect();
    child.wait().expect("the watcher process");
    let mut latencies: Vec<f64> = committed.iter().map(|(id, at)| (arrivals[id] as f64 - *at as f64) / 1e6).collect();
    latencies.sort_by(|a, b| a.total_cmp(b));

    println!(
        "{label:<10} write {:>8.0} entries/s | read (changes, 1,000/page) {:>9.0} entries/s | watched in another \
         process while writing {:>8.0} entries/s | commit-to-watch latency over {} commits: median {:.2} ms, p99 \
         {:.2} ms, max {:.2} ms",
        entries as f64 / write_s,
        entries as f64 / read_s,
        entries as f64 / watch_s,
        samples,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN),
    );
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("watch") {
        let after = args[3].parse().expect("AFTER");
        let count = args[4].parse().expect("COUNT");
        return watch(&args[2], after, count);
    }
    let entries: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let samples: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("trainyard-feed-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!("{entries} entries written and watched, {samples} latency samples (one commit every 20 ms)");
    run_backend("sqlite", &format!("sqlite://{}", dir.join("feed.db").display()), entries, samples)?;
    let _ = std::fs::remove_dir_all(&dir);
    match std::env::var("TRAINYARD_TEST_POSTGRES") {
        Ok(base) if !base.trim().is_empty() => {
            let base = base.trim();
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}schema=ty_feed_bench_{}", std::process::id());
            let outcome = run_backend("postgres", &url, entries, samples);
            trainyard::store::PostgresStore::open(&url)?.drop_schema()?;
            outcome?;
        }
        _ => println!("postgres   skipped: TRAINYARD_TEST_POSTGRES is not set"),
    }
    Ok(())
}

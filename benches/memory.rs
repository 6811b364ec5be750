//! Memory benches, measured with a counting global allocator (bytes allocated and not yet freed).
//!
//! * `parked_release` — N = 10,000 releases of the peer process (`benches/peers/release.yaml`:
//!   approval → automated step) created and activated in one in-memory engine, every one waiting
//!   at its approval: the live bytes the engine and its memory store hold per parked release
//!   (state cache, events, index row, inbox, feed entries).
//! * `calendar_index/1m` — building the `CalendarIndex` from 1,000,000 store rows (those of
//!   `benches/time.rs`): median build time of 5 builds and the live bytes the index keeps, for
//!   the index as it was before compact rows (`*_before`) and as it is, side by side.
//!
//! Run: `cargo bench -p trainyard --bench memory`; results in `benches/RESULTS.md`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;
use trainyard::access::Actor;
use trainyard::calendar::CalendarIndex;
use trainyard::executor::{Job, Outcome};
use trainyard::release::NewRelease;
use trainyard::schedule::SystemClock;
use trainyard::store::{MemoryStore, ReleaseRow};
use trainyard::{Engine, Timestamp};

#[path = "support/calendar_index_before.rs"]
mod calendar_index_before;
#[path = "support/calendar_rows.rs"]
mod calendar_rows;

/// The system allocator, counting the bytes that are allocated and not yet freed.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as `dealloc` and `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

const PEER_PROCESS: &str = include_str!("peers/release.yaml");

/// Bytes per parked release for `n` releases parked at their approval: in all, and the part the
/// memory store keeps (the rest is the engine's: its state cache).
fn parked_release(n: usize) -> (f64, f64) {
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(store.clone(), Arc::new(SystemClock));
    engine.register_executor("deploy", |_: &Job| Outcome::with_outputs([("url", "https://x.example")]));
    engine.register_process(PEER_PROCESS).expect("process");
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let park = |i: usize| {
        let new = NewRelease { name: format!("release {i}"), ..Default::default() };
        let id = engine.create_release("bench-release", new, &rita).expect("create").id;
        engine.activate(&id, &rita).expect("activate");
        engine.run_until_idle(100).expect("run");
    };
    // Warm up: the first release sets up the engine's caches (plan, compiled programs).
    park(0);
    let before = live();
    for i in 1..=n {
        park(i);
    }
    let after = live();
    drop(engine);
    let store_only = live();
    drop(store);
    let per = |bytes: isize| bytes as f64 / n as f64;
    (per(after - before), per(store_only - before))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// Median build time (ms) and bytes kept of an index built by `build` from `rows`; `count`
/// answers one day of it (so nothing is optimised away).
fn measure_index<I>(
    rows: &[ReleaseRow],
    build: impl Fn(&[ReleaseRow]) -> I,
    count: impl Fn(&I) -> usize,
) -> (f64, f64) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let before = live();
        let started = Instant::now();
        let index = build(rows);
        times.push(started.elapsed().as_secs_f64() * 1e3);
        bytes = live() - before;
        std::hint::black_box(count(&index));
        drop(index);
    }
    (median(times), bytes as f64)
}

fn main() {
    // `cargo bench` passes `--bench`; a name given after `--` picks one part.
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wants = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if wants("parked_release") {
        let n = 10_000;
        let (per, store) = parked_release(n);
        println!(
            "parked_release/{n}: {per:.0} bytes per parked release ({:.2} KiB): memory store {store:.0}, engine {:.0}",
            per / 1024.0,
            per - store
        );
    }
    if wants("calendar_index") {
        let n = 1_000_000;
        let rows = calendar_rows::rows(n);
        let now: Timestamp = "2025-06-15T00:00:00Z".parse().expect("timestamp");
        let day = now + chrono::Duration::days(1);
        let filter = Default::default();
        let after =
            measure_index(&rows, |r| CalendarIndex::from_release_rows(r), |i| i.query(now, day, now, &filter).len());
        let before = measure_index(
            &rows,
            |r| calendar_index_before::CalendarIndex::from_release_rows(r),
            |i| i.query(now, day, now, &filter).len(),
        );
        for (name, (ms, bytes)) in [("calendar_index/1m_before", before), ("calendar_index/1m", after)] {
            println!(
                "{name}: build median {ms:.1} ms, keeps {:.1} MiB ({:.0} bytes per release)",
                bytes / (1024.0 * 1024.0),
                bytes / n as f64
            );
        }
        println!("calendar_index/1m: {:.1}x faster, {:.1}x smaller", before.0 / after.0, before.1 / after.1);
    }
}

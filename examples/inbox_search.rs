//! Inbox and search over many releases in SQLite: first page and a deep page, in milliseconds.
//! Run by `make bench-inbox-search` (`cargo run --release -p trainyard-examples --example
//! inbox_search -- [N]`, default 1,000,000); results in `benches/RESULTS.md`.
//!
//! Populating: one release is created and activated through the engine (so its events, index
//! row, labels and inbox entries are exactly what the engine writes); the other N − 1 are the
//! same append with the release id, name, times and labels changed, written through the store's
//! `append` (one transaction each, as the engine does), without deciding each command again.

use chrono::{Duration, TimeZone, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use trainyard::access::Actor;
use trainyard::release::{EventKind, NewRelease};
use trainyard::schedule::ManualClock;
use trainyard::store::{Append, SearchFilter, SearchSort, SortField, SqliteStore, Store};
use trainyard::{Engine, Result};

const PROCESS: &str = r#"
id: bench
phases:
  - id: qa
    activities:
      - { id: signoff, kind: approval, approvers: [{ group: qa }], deadline: 1d }
      - { id: notes, kind: manual, owners: ["group:ops"] }
"#;

fn median_ms(mut f: impl FnMut() -> usize, runs: usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        n = f();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times[runs / 2], n)
}

fn main() -> Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("trainyard-inbox-search-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bench.db");
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let clock = ManualClock::new(start);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path)?);
    let engine = Engine::new(store.clone(), Arc::new(clock));
    engine.register_process(PROCESS)?;
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let mut labels = BTreeMap::new();
    labels.insert("team".to_string(), "payments".to_string());
    let new = NewRelease {
        name: "release 0".into(),
        metadata: trainyard::release::Metadata { labels, ..Default::default() },
        ..Default::default()
    };
    let template = engine.create_release("bench", new, &rita)?;
    engine.activate(&template.id, &rita)?;
    let events = store.events(&template.id, 0)?;
    let row = store.release(&template.id)?.expect("the template's row");
    let state = engine.get_release(&template.id)?;
    let entries = trainyard::release::inbox::entries(&state);
    println!(
        "populating {n} releases in {} ({} events, {} inbox entries each)",
        path.display(),
        events.len(),
        entries.len()
    );
    let t0 = Instant::now();
    for i in 1..n {
        let id = format!("{:08x}-0000-7000-8000-{:012x}", i, i);
        let at = start + Duration::seconds(i as i64);
        let mut r = row.clone();
        r.id = id.clone();
        r.name = format!("release {i}");
        r.created_at = Some(at);
        r.started_at = Some(at);
        r.updated_at = Some(at);
        r.labels.insert("team".into(), ["payments", "search", "infra", "data"][i % 4].into());
        if i % 10_000 == 0 {
            // A rare label: one release in 10,000 (100 of 1,000,000).
            r.labels.insert("incident".into(), "INC-7".into());
        }
        let evs: Vec<_> = events
            .iter()
            .map(|e| {
                let mut e = trainyard::release::Event { at, ..e.clone() };
                match &mut e.kind {
                    EventKind::Created { name, metadata, .. } => {
                        *name = r.name.clone();
                        metadata.labels = r.labels.clone();
                    }
                    EventKind::ActivityWaiting { deadline: Some(d), .. } => *d = at + Duration::days(1),
                    _ => {}
                }
                e
            })
            .collect();
        let list: Vec<_> = entries
            .iter()
            .map(|e| trainyard::release::InboxEntry {
                release_id: id.clone(),
                release_name: r.name.clone(),
                since: at,
                due: Some(at + Duration::days(1)),
                ..e.clone()
            })
            .collect();
        store.append(&Append { inbox: Some(&list), labels: Some(&r.labels), ..Append::new(&id, 0, &evs, &r) })?;
        if (i + 1) % 100_000 == 0 {
            println!("  {:>9} releases, {:.0} s", i + 1, t0.elapsed().as_secs_f64());
        }
    }
    println!("populated in {:.0} s", t0.elapsed().as_secs_f64());

    let quinn = Actor::new("quinn").with_groups(["qa", "ops"]);
    let (ms, items) = median_ms(|| engine.inbox(&quinn, 100).map(|v| v.len()).unwrap_or(0), 21);
    println!("inbox(quinn, 100): {ms:.2} ms ({items} items)");
    let (ms, items) = median_ms(|| engine.inbox(&rita, 100).map(|v| v.len()).unwrap_or(0), 21);
    println!("inbox(rita, 100) (no items: not listed): {ms:.2} ms ({items} items)");

    let payments = SearchFilter { labels: [("team".to_string(), "payments".to_string())].into(), ..Default::default() };
    let incident =
        SearchFilter { labels: [("incident".to_string(), "INC-7".to_string())].into(), ..Default::default() };
    let sorts = [
        ("created_at desc", SearchSort::default()),
        ("name asc", SearchSort { field: SortField::Name, descending: false }),
    ];
    for (label, sort) in sorts {
        for (what, filter) in [
            ("all", SearchFilter::default()),
            ("label team=payments (1 in 4)", payments.clone()),
            ("label incident=INC-7 (1 in 10,000)", incident.clone()),
        ] {
            let (first, got) = median_ms(|| store.search(&filter, sort, None, 50).map(|v| v.len()).unwrap_or(0), 21);
            // A deep cursor: the key of the release half-way through the order.
            let mid = store.search(&filter, sort, None, 1)?;
            let deep_key = {
                let mut key = mid.last().map(|r| trainyard::store::SortKey::of(r, sort.field));
                // Walk 10 pages of 1,000 to land deep, then measure from a key deep in the order.
                for _ in 0..10 {
                    let page = store.search(&filter, sort, key.as_ref(), 1000)?;
                    match page.last() {
                        // Fewer matches than 10,000: the deep page is the one after the last.
                        None => break,
                        Some(r) => key = Some(trainyard::store::SortKey::of(r, sort.field)),
                    }
                }
                key
            };
            let (deep, got_deep) =
                median_ms(|| store.search(&filter, sort, deep_key.as_ref(), 50).map(|v| v.len()).unwrap_or(0), 21);
            println!(
                "search {what}, {label}, page of 50: first {first:.2} ms ({got}), after 10,000 rows {deep:.2} ms ({got_deep})"
            );
        }
    }
    let (ms, got) = median_ms(
        || engine.search(&payments, SearchSort::default(), None, 50).map(|p| p.releases.len()).unwrap_or(0),
        11,
    );
    println!(
        "Engine::search label team=payments, created_at desc, page of 50 (loads the releases): {ms:.2} ms ({got})"
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

//! Criterion benches of time: recurrence expansion and the release calendar.
//!
//! * `expand/weekly_10y` — ten years of a weekly cadence in `Europe/Berlin` (522 occurrences with
//!   ordinals and rendered names), including validating and compiling the group.
//! * `materialise/90d` — one materialisation pass of that group over a 90-day horizon with 13
//!   existing keys (the idempotent steady state of `tick`).
//! * `calendar_month/100k/*` — one month of the calendar over 100,000 releases spread over two
//!   years: index query alone (`all`), with a filter (`filtered`: status + environment), and the
//!   conflicts of the month (entries from the index rows + sweep).
//! * `index_build/100k` — building the index from 100,000 store rows.
//!
//! Run: `cargo bench -p trainyard --bench time`; results in `benches/RESULTS.md`.

use chrono::Duration;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use trainyard::Timestamp;
use trainyard::calendar::{CalendarEntry, CalendarFilter, CalendarIndex, conflicts};
use trainyard::release::{ReleaseKind, ReleaseStatus};
use trainyard::schedule::{Freeze, ReleaseGroup, materialise};
use trainyard::store::ReleaseRow;

fn t(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn weekly() -> ReleaseGroup {
    ReleaseGroup::from_text(
        "id: train\nname: System Release\nprocess: system-release\n\
         cadence: { every: week, on: thursday, at: \"14:00\" }\ntimezone: Europe/Berlin\n\
         duration: 2d\nstarts_on: 2025-01-01\nname_template: \"Week {iso_week} {name} - {month} {year}\"\n",
    )
    .expect("group")
}

fn expand(c: &mut Criterion) {
    let group = weekly();
    let (from, to) = (t("2025-01-01T00:00:00Z"), t("2035-01-01T00:00:00Z"));
    assert_eq!(group.occurrences(from, to).expect("occurrences").len(), 522);
    c.bench_function("expand/weekly_10y", |b| b.iter(|| black_box(group.occurrences(from, to).expect("x")).len()));
    let now = t("2027-06-01T00:00:00Z");
    let keys: Vec<_> =
        materialise(&group, &[], now, Duration::days(90)).expect("m").create.iter().map(|o| o.key()).collect();
    c.bench_function("materialise/90d", |b| {
        b.iter(|| black_box(materialise(&group, &keys, now, Duration::days(90)).expect("m")).create.len())
    });
}

/// 100,000 rows over 2025–2026: lengths from 1 hour to 2 weeks, 1 % running, 50 services, 6
/// environments.
fn rows(n: usize) -> Vec<ReleaseRow> {
    let base = t("2025-01-01T00:00:00Z");
    let mut seed: u64 = 2025;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    (0..n)
        .map(|i| {
            let start = base + Duration::minutes((next() % (2 * 365 * 24 * 60)) as i64);
            let len = Duration::minutes(60 + (next() % (14 * 24 * 60)) as i64);
            let status = match i % 100 {
                0 => ReleaseStatus::Running,
                1..=40 => ReleaseStatus::Success,
                41..=45 => ReleaseStatus::Failed,
                _ => ReleaseStatus::Scheduled,
            };
            let ended = matches!(status, ReleaseStatus::Success | ReleaseStatus::Failed);
            ReleaseRow {
                id: format!("r{i:06}"),
                name: format!("Release {i}"),
                process_id: "p".into(),
                process_version: 1,
                status,
                kind: if i % 10 == 0 { ReleaseKind::Hotfix } else { ReleaseKind::Standard },
                scope: "account".into(),
                group: (i % 3 == 0).then(|| "train".to_string()),
                archived: false,
                deleted: false,
                next_due: None,
                seq: 1,
                created_at: None,
                planned_start: Some(start),
                planned_end: Some(start + len),
                started_at: (status != ReleaseStatus::Scheduled).then_some(start),
                ended_at: ended.then_some(start + len),
                services: vec![format!("svc-{}", next() % 50)],
                environments: vec![format!("prod{}", next() % 6)],
                labels: Default::default(),
                version: None,
                updated_at: None,
            }
        })
        .collect()
}

fn calendar(c: &mut Criterion) {
    let rows = rows(100_000);
    c.bench_function("index_build/100k", |b| b.iter(|| black_box(CalendarIndex::from_release_rows(&rows)).len()));
    let index = CalendarIndex::from_release_rows(&rows);
    let (from, to, now) = (t("2025-06-01T00:00:00Z"), t("2025-07-01T00:00:00Z"), t("2025-06-15T00:00:00Z"));
    let all = CalendarFilter::default();
    let filtered = CalendarFilter {
        statuses: vec![ReleaseStatus::Scheduled, ReleaseStatus::Running],
        environments: vec!["prod1".into()],
        ..Default::default()
    };
    let month = index.query(from, to, now, &all).len();
    let month_filtered = index.query(from, to, now, &filtered).len();
    let by_id: std::collections::HashMap<&str, &ReleaseRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let freeze = Freeze::from_text(
        "id: weekend\nname: Weekend\nstart: 2025-01-03T16:00:00+01:00\nenvironments: [prod1]\n\
         recurrence: { cadence: { every: week, on: friday, at: \"16:00\" }, timezone: Europe/Berlin, duration: 2d 16h }\n",
    )
    .expect("freeze");
    let entries = |filter: &CalendarFilter| -> Vec<CalendarEntry> {
        index
            .query(from, to, now, filter)
            .iter()
            .filter_map(|r| CalendarEntry::from_row(by_id[r.id.as_str()], now))
            .collect()
    };
    let found = conflicts(&entries(&filtered), std::slice::from_ref(&freeze), from, to).len();
    eprintln!("month: {month} releases, {month_filtered} after the filter, {found} conflicts among those");
    c.bench_function("calendar_month/100k/all", |b| b.iter(|| black_box(index.query(from, to, now, &all)).len()));
    c.bench_function("calendar_month/100k/filtered", |b| {
        b.iter(|| black_box(index.query(from, to, now, &filtered)).len())
    });
    c.bench_function("calendar_month/100k/filtered_entries_conflicts", |b| {
        b.iter(|| black_box(conflicts(&entries(&filtered), std::slice::from_ref(&freeze), from, to)).len())
    });
    let scan = |b: &mut criterion::Bencher| {
        b.iter(|| {
            black_box(
                rows.iter()
                    .filter(|r| r.planned_start.is_some_and(|s| s < to) && r.planned_end.is_some_and(|e| e > from))
                    .count(),
            )
        })
    };
    c.bench_function("calendar_month/100k/linear_scan_baseline", scan);
}

criterion_group!(benches, expand, calendar);
criterion_main!(benches);

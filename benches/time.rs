//! Criterion benches of time: recurrence expansion and the release calendar.
//!
//! * `expand/weekly_10y` — ten years of a weekly cadence in `Europe/Berlin` (522 occurrences with
//!   ordinals and rendered names), including validating and compiling the group.
//! * `materialise/90d` — one materialisation pass of that group over a 90-day horizon with 13
//!   existing keys (the idempotent steady state of `tick`).
//! * `calendar_month/100k/*` — one month of the calendar over 100,000 releases spread over two
//!   years: index query alone (`all`), with a filter (`filtered`: status + environment), and the
//!   conflicts of the month (entries from the index rows + sweep).
//! * `index_build/100k`, `index_build/1m` — building the index from 100,000 and 1,000,000 store
//!   rows (the bytes it keeps: `benches/memory.rs`); `*_before`: the same with the index as it
//!   was before compact rows (`benches/support/calendar_index_before.rs`), side by side.
//!
//! Run: `cargo bench -p trainyard --bench time`; results in `benches/RESULTS.md`.

use chrono::Duration;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use trainyard::Timestamp;
use trainyard::calendar::{CalendarEntry, CalendarFilter, CalendarIndex, conflicts};
use trainyard::release::ReleaseStatus;
use trainyard::schedule::{Freeze, ReleaseGroup, materialise};
use trainyard::store::ReleaseRow;

#[path = "support/calendar_index_before.rs"]
mod calendar_index_before;
#[path = "support/calendar_rows.rs"]
mod calendar_rows;
use calendar_rows::rows;

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

fn calendar(c: &mut Criterion) {
    {
        let million = rows(1_000_000);
        let mut group = c.benchmark_group("index_build");
        group.sample_size(10);
        group.bench_function("1m", |b| b.iter(|| black_box(CalendarIndex::from_release_rows(&million)).len()));
        group.bench_function("1m_before", |b| {
            b.iter(|| black_box(calendar_index_before::CalendarIndex::from_release_rows(&million)).len())
        });
        group.finish();
    }
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
        index.query(from, to, now, filter).iter().filter_map(|r| CalendarEntry::from_row(by_id[r.id()], now)).collect()
    };
    let found = conflicts(&entries(&filtered), std::slice::from_ref(&freeze), from, to).len();
    eprintln!("month: {month} releases, {month_filtered} after the filter, {found} conflicts among those");
    c.bench_function("calendar_month/100k/all", |b| b.iter(|| black_box(index.query(from, to, now, &all)).len()));
    let before = calendar_index_before::CalendarIndex::from_release_rows(&rows);
    assert_eq!(before.query(from, to, now, &all).len(), month, "the old index finds the same month");
    c.bench_function("calendar_month/100k/all_before", |b| {
        b.iter(|| black_box(before.query(from, to, now, &all)).len())
    });
    c.bench_function("calendar_month/100k/filtered_before", |b| {
        b.iter(|| black_box(before.query(from, to, now, &filtered)).len())
    });
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

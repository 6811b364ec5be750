//! The search cases of the store contract: the filter's reference semantics
//! ([`SearchFilter::matches`]), every sort in both directions, and keyset pages that neither skip
//! nor repeat a release, also while releases are written between pages.

use super::{Append, ReleaseRow, SearchFilter, SearchSort, SortField, SortKey, Store, TimeRange};
use crate::Timestamp;
use crate::release::{Event, EventKind, ReleaseKind, ReleaseStatus};
use std::collections::BTreeMap;
use std::sync::Arc;

fn base() -> Timestamp {
    "2025-04-07T09:00:00Z".parse().expect("a test time")
}

fn minutes(n: i64) -> Timestamp {
    base() + chrono::Duration::minutes(n)
}

/// Release `i` of 24: names repeat every 6 (so name order has ties broken by id), labels,
/// kinds, statuses and processes vary with `i`.
fn row(i: i64) -> ReleaseRow {
    let mut labels = BTreeMap::new();
    labels.insert("team".to_string(), if i % 2 == 0 { "payments" } else { "search" }.to_string());
    if i % 3 == 0 {
        labels.insert("tier".to_string(), "1".to_string());
    }
    ReleaseRow {
        id: format!("r{i:02}"),
        name: format!("Week {} train", 10 + i % 6),
        process_id: if i % 4 == 0 { "hotfix" } else { "train" }.into(),
        process_version: 1 + (i % 2) as u32,
        status: if i < 8 { ReleaseStatus::Success } else { ReleaseStatus::Running },
        kind: if i % 5 == 0 { ReleaseKind::Hotfix } else { ReleaseKind::Standard },
        scope: if i % 7 == 0 { "org:eu".into() } else { "account".into() },
        group: (i % 2 == 1).then(|| "weekly".to_string()),
        archived: i == 23,
        deleted: i == 22,
        next_due: None,
        seq: 1,
        created_at: Some(minutes(i)),
        planned_start: None,
        planned_end: None,
        started_at: (i >= 4).then(|| minutes(100 + i)),
        ended_at: (i < 8).then(|| minutes(200 + i)),
        services: vec![],
        environments: vec![],
        labels,
        version: Some(format!("2.1.{i}")),
        updated_at: Some(minutes(300 - i)),
    }
}

fn write(s: &Arc<dyn Store>, r: &ReleaseRow, expected: u64) {
    let events =
        [Event { seq: expected + 1, at: base(), actor: "system".into(), kind: EventKind::Resumed, comment: None }];
    let r = ReleaseRow { seq: expected + 1, ..r.clone() };
    s.append(&Append { labels: Some(&r.labels), ..Append::new(&r.id, expected, &events, &r) }).unwrap();
}

/// Every page of a search, `size` at a time, with the keys the reference semantics give.
fn pages(s: &Arc<dyn Store>, f: &SearchFilter, sort: SearchSort, size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut after: Option<SortKey> = None;
    loop {
        let page = s.search(f, sort, after.as_ref(), size).unwrap();
        assert!(page.len() <= size, "a page holds at most its size");
        out.extend(page.iter().map(|r| r.id.clone()));
        match page.last() {
            Some(last) if page.len() == size => after = Some(SortKey::of(last, sort.field)),
            _ => return out,
        }
        assert!(out.len() < 100, "pages never end");
    }
}

fn expected(all: &[ReleaseRow], f: &SearchFilter, sort: SearchSort) -> Vec<String> {
    let mut keep: Vec<&ReleaseRow> = all.iter().filter(|r| f.matches(r)).collect();
    keep.sort_by_key(|r| SortKey::of(r, sort.field));
    if sort.descending {
        keep.reverse();
    }
    keep.into_iter().map(|r| r.id.clone()).collect()
}

pub(super) fn search_filters_sorts_and_pages(s: &Arc<dyn Store>) {
    let all: Vec<ReleaseRow> = (0..24).map(row).collect();
    for r in &all {
        write(s, r, 0);
    }
    let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let filters = [
        SearchFilter::default(),
        SearchFilter { include_archived: true, ..Default::default() },
        SearchFilter { status: vec![ReleaseStatus::Success], ..Default::default() },
        SearchFilter { kind: Some(ReleaseKind::Hotfix), ..Default::default() },
        SearchFilter { group: Some("weekly".into()), scope: Some("account".into()), ..Default::default() },
        SearchFilter { labels: labels(&[("team", "payments"), ("tier", "1")]), ..Default::default() },
        SearchFilter { labels: labels(&[("team", "nobody")]), ..Default::default() },
        SearchFilter { process_id: Some("train".into()), process_version: Some(2), ..Default::default() },
        SearchFilter { created: TimeRange { from: Some(minutes(5)), to: Some(minutes(15)) }, ..Default::default() },
        SearchFilter { started: TimeRange { from: Some(minutes(110)), to: None }, ..Default::default() },
        SearchFilter { ended: TimeRange { from: None, to: Some(minutes(203)) }, ..Default::default() },
        SearchFilter { name_contains: Some("Week 12".into()), ..Default::default() },
        SearchFilter { name_contains: Some("week 12".into()), ..Default::default() },
    ];
    let sorts = [SortField::CreatedAt, SortField::Name, SortField::UpdatedAt]
        .into_iter()
        .flat_map(|field| [false, true].map(|descending| SearchSort { field, descending }));
    for sort in sorts {
        for (i, f) in filters.iter().enumerate() {
            let want = expected(&all, f, sort);
            assert_eq!(pages(s, f, sort, 100), want, "filter #{i}, {sort:?}: one page");
            assert_eq!(pages(s, f, sort, 5), want, "filter #{i}, {sort:?}: pages of 5 neither skip nor repeat");
        }
    }
    assert_eq!(expected(&all, &filters[11], SearchSort::default()).len(), 4, "the name filter keeps some");
    assert!(expected(&all, &filters[12], SearchSort::default()).is_empty(), "names match case-sensitively");
    assert!(expected(&all, &filters[6], SearchSort::default()).is_empty());

    // A page after a cursor is not shifted by releases written meanwhile before it.
    let sort = SearchSort { field: SortField::CreatedAt, descending: false };
    let first = s.search(&SearchFilter::default(), sort, None, 5).unwrap();
    let after = SortKey::of(first.last().unwrap(), sort.field);
    let mut early = row(30);
    early.created_at = Some(minutes(-10));
    write(s, &early, 0);
    let second = s.search(&SearchFilter::default(), sort, Some(&after), 5).unwrap();
    let ids: Vec<&str> = second.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r05", "r06", "r07", "r08", "r09"]);

    // Labels are replaced with the release's next labels.
    let mut relabelled = row(1);
    relabelled.labels = labels(&[("team", "payments")]);
    write(s, &relabelled, 1);
    let payments = SearchFilter { labels: labels(&[("team", "payments")]), ..Default::default() };
    let found = pages(s, &payments, sort, 100);
    assert!(found.contains(&"r01".to_string()), "new labels are found: {found:?}");
    let search = SearchFilter { labels: labels(&[("team", "search")]), ..Default::default() };
    assert!(!pages(s, &search, sort, 100).contains(&"r01".to_string()), "old labels are gone");
}

//! Tests of calendar entries, the index, conflicts and the iCalendar export.

use super::*;
use crate::release::{Plan, ReleaseState, Schedule};
use crate::schedule::Freeze;
use std::str::FromStr;
use std::sync::Arc;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const TRAIN: &str = r#"
id: train
inputs:
  services: { type: list, items: service, default: [payment-service] }
  environment: { type: environment, default: prod1 }
phases:
  - id: build
    duration: 1d
    activities: [{ id: compile, kind: automated, executor: command }]
  - id: qa
    depends_on: [build]
    not_before: 3d
    duration: 1d
    activities: [{ id: sign-off, kind: approval, approvers: [{ group: qa }] }]
  - id: prod
    depends_on: [qa]
    duration: 2h
    activities: [{ id: deploy, kind: automated, executor: command }]
"#;

fn state(id: &str) -> ReleaseState {
    let process = crate::load_process(TRAIN).unwrap().process;
    let mut s = ReleaseState::new(id, Plan::new(Arc::new(process), 1));
    s.name = format!("Release {id}");
    s.inputs.insert("services".into(), serde_json::json!(["payment-service", "user-service"]));
    s.inputs.insert("environment".into(), serde_json::json!("prod1"));
    s
}

fn scheduled(id: &str, start: &str) -> ReleaseState {
    let mut s = state(id);
    s.schedule = Some(Schedule { start: t(start), end: None, auto_start: true });
    s.stage = Stage::Scheduled;
    s.status = ReleaseStatus::Scheduled;
    s
}

fn windows(e: &CalendarEntry) -> Vec<(String, String, String, bool)> {
    e.phases
        .iter()
        .map(|p| {
            (
                p.phase_id.clone(),
                p.start.format("%a %H:%M").to_string(),
                p.end.format("%a %H:%M").to_string(),
                p.planned,
            )
        })
        .collect()
}

fn w(phase: &str, start: &str, end: &str, planned: bool) -> (String, String, String, bool) {
    (phase.into(), start.into(), end.into(), planned)
}

#[test]
fn future_phases_are_planned_from_not_before_and_durations() {
    let s = scheduled("r1", "2025-04-07T07:00:00Z"); // a Monday
    let e = CalendarEntry::from_state(&s, t("2025-04-01T00:00:00Z")).unwrap();
    assert_eq!(
        windows(&e),
        [
            w("build", "Mon 07:00", "Tue 07:00", true),
            w("qa", "Thu 07:00", "Fri 07:00", true),
            w("prod", "Fri 07:00", "Fri 09:00", true),
        ]
    );
    assert_eq!((e.start, e.end), (t("2025-04-07T07:00:00Z"), t("2025-04-11T09:00:00Z")));
    assert_eq!(e.services, ["payment-service", "user-service"]);
    assert_eq!(e.environments, ["prod1"]);
    assert_eq!(e.status, ReleaseStatus::Scheduled);
}

#[test]
fn started_phases_use_actual_times_and_later_ones_move() {
    let mut s = scheduled("r1", "2025-04-07T07:00:00Z");
    s.stage = Stage::Active;
    s.status = ReleaseStatus::Running;
    s.started_at = Some(t("2025-04-07T08:00:00Z"));
    s.phases[0].started_at = Some(t("2025-04-07T08:00:00Z"));
    s.phases[0].ended_at = Some(t("2025-04-10T12:00:00Z")); // build overran into Thursday
    s.phases[0].status = PhaseStatus::Success;
    s.phases[1].started_at = Some(t("2025-04-10T12:00:00Z"));
    s.phases[1].status = PhaseStatus::Running;
    let now = t("2025-04-11T15:00:00Z"); // QA is late: it runs past its planned day
    let e = CalendarEntry::from_state(&s, now).unwrap();
    assert_eq!(
        windows(&e),
        [
            w("build", "Mon 08:00", "Thu 12:00", false),
            w("qa", "Thu 12:00", "Fri 15:00", false),
            w("prod", "Fri 15:00", "Fri 17:00", true),
        ]
    );
    assert_eq!(e.start, t("2025-04-07T08:00:00Z"));
    assert_eq!(e.end, t("2025-04-11T17:00:00Z"));
    assert_eq!(e.planned_start, Some(t("2025-04-07T07:00:00Z")));
}

#[test]
fn ended_releases_show_only_what_ran() {
    let mut s = scheduled("r1", "2025-04-07T07:00:00Z");
    s.stage = Stage::Aborted;
    s.status = ReleaseStatus::Aborted;
    s.started_at = Some(t("2025-04-07T07:00:00Z"));
    s.ended_at = Some(t("2025-04-07T10:00:00Z"));
    s.phases[0].started_at = Some(t("2025-04-07T07:00:00Z"));
    s.phases[0].ended_at = Some(t("2025-04-07T10:00:00Z"));
    s.phases[0].status = PhaseStatus::Aborted;
    let e = CalendarEntry::from_state(&s, t("2025-05-01T00:00:00Z")).unwrap();
    assert_eq!(windows(&e), [w("build", "Mon 07:00", "Mon 10:00", false)]);
    assert_eq!(e.end, t("2025-04-07T10:00:00Z"));
    let mut draft = state("d");
    assert!(CalendarEntry::from_state(&draft, t("2025-05-01T00:00:00Z")).is_none());
    draft.stage = Stage::Deleted;
    assert!(CalendarEntry::from_state(&draft, t("2025-05-01T00:00:00Z")).is_none());
}

fn row(id: &str, status: ReleaseStatus, start: &str, end: Option<&str>, env: &str) -> ReleaseRow {
    ReleaseRow {
        name: id.into(),
        process_id: "train".into(),
        status,
        created_at: None,
        planned_start: Some(t(start)),
        planned_end: end.map(t),
        started_at: status.is_active().then(|| t(start)),
        environments: vec![env.into()],
        ..crate::store::fixtures::release_row(id, 1)
    }
}

#[test]
fn index_answers_ranges_with_long_open_and_instant_windows() {
    let mut index = CalendarIndex::new();
    index.upsert_release_row(&row(
        "short",
        ReleaseStatus::Scheduled,
        "2025-04-10T00:00:00Z",
        Some("2025-04-10T02:00:00Z"),
        "prod1",
    ));
    index.upsert_release_row(&row(
        "long",
        ReleaseStatus::Scheduled,
        "2024-01-01T00:00:00Z",
        Some("2026-01-01T00:00:00Z"),
        "prod2",
    ));
    index.upsert_release_row(&row("instant", ReleaseStatus::Scheduled, "2025-04-20T00:00:00Z", None, "prod1"));
    index.upsert_release_row(&row("running", ReleaseStatus::Running, "2025-03-01T00:00:00Z", None, "prod1"));
    index.upsert_release_row(&row(
        "before",
        ReleaseStatus::Scheduled,
        "2025-03-01T00:00:00Z",
        Some("2025-03-31T23:00:00Z"),
        "prod1",
    ));
    let mut deleted = row("gone", ReleaseStatus::Scheduled, "2025-04-10T00:00:00Z", None, "prod1");
    deleted.deleted = true;
    index.upsert_release_row(&deleted);
    assert_eq!(index.len(), 5);
    let ids = |index: &CalendarIndex, from: &str, to: &str, now: &str, f: &CalendarFilter| -> Vec<String> {
        index.query(t(from), t(to), t(now), f).iter().map(|r| r.id().to_string()).collect()
    };
    let all = CalendarFilter::default();
    assert_eq!(
        ids(&index, "2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z", "2025-04-15T00:00:00Z", &all),
        ["long", "running", "short", "instant"]
    );
    // The running release only reaches up to now.
    assert_eq!(
        ids(&index, "2025-04-16T00:00:00Z", "2025-05-01T00:00:00Z", "2025-04-15T00:00:00Z", &all),
        ["long", "instant"]
    );
    let prod1 = CalendarFilter { environments: vec!["prod1".into()], ..Default::default() };
    assert_eq!(
        ids(&index, "2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z", "2025-04-15T00:00:00Z", &prod1),
        ["running", "short", "instant"]
    );
    let running = CalendarFilter { statuses: vec![ReleaseStatus::Running], ..Default::default() };
    assert_eq!(
        ids(&index, "2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z", "2025-04-15T00:00:00Z", &running),
        ["running"]
    );
    // Updating moves a row; removing drops it.
    index.upsert_release_row(&row(
        "short",
        ReleaseStatus::Scheduled,
        "2025-06-10T00:00:00Z",
        Some("2025-06-10T02:00:00Z"),
        "prod1",
    ));
    assert_eq!(
        ids(&index, "2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z", "2025-04-02T00:00:00Z", &prod1),
        ["running", "instant"]
    );
    assert!(index.remove("long").is_some());
    assert!(index.get("long").is_none());
    assert_eq!(index.len(), 4);
}

#[test]
fn index_matches_a_brute_force_scan() {
    let base = t("2025-01-01T00:00:00Z");
    let mut index = CalendarIndex::new();
    let mut rows = Vec::new();
    let mut seed: u64 = 42;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    for i in 0..2000 {
        let start = base + chrono::Duration::minutes((next() % (365 * 24 * 60)) as i64);
        let len = chrono::Duration::minutes((next() % (60 * 24 * (1 + (i % 5) * 20))) as i64);
        let status = if i % 50 == 0 { ReleaseStatus::Running } else { ReleaseStatus::Scheduled };
        let mut r = row(&format!("r{i}"), status, "2025-01-01T00:00:00Z", None, "prod1");
        r.planned_start = Some(start);
        r.started_at = status.is_active().then_some(start);
        r.planned_end = Some(start + len);
        index.upsert_release_row(&r);
        rows.push(CalendarRow::from_release_row(&r).unwrap());
    }
    let now = t("2025-06-01T00:00:00Z");
    for m in 0..12 {
        let from = base + chrono::Duration::days(30 * m);
        let to = from + chrono::Duration::days(30);
        let mut expected: Vec<&str> = rows
            .iter()
            .filter(|r| r.start < to && (r.end_at(now) > from || r.start >= from))
            .map(|r| r.id.as_str())
            .collect();
        expected.sort();
        let mut got: Vec<&str> =
            index.query(from, to, now, &CalendarFilter::default()).iter().map(|r| r.id()).collect();
        got.sort();
        assert_eq!(got, expected, "month {m}");
    }
}

fn entry(id: &str, start: &str, end: &str, services: &[&str], envs: &[&str]) -> CalendarEntry {
    CalendarEntry {
        release_id: id.into(),
        name: id.into(),
        status: ReleaseStatus::Scheduled,
        kind: ReleaseKind::Standard,
        group: None,
        scope: "account".into(),
        start: t(start),
        end: t(end),
        planned_start: None,
        planned_end: None,
        actual_start: None,
        actual_end: None,
        phases: vec![],
        services: services.iter().map(|s| s.to_string()).collect(),
        environments: envs.iter().map(|s| s.to_string()).collect(),
        waits_for: Vec::new(),
    }
}

#[test]
fn conflicts_name_both_sides_and_the_shared_resource() {
    let entries = [
        entry(
            "train",
            "2025-04-07T07:00:00Z",
            "2025-04-18T17:00:00Z",
            &["payment-service", "user-service"],
            &["prod1"],
        ),
        entry("hotfix", "2025-04-15T10:00:00Z", "2025-04-15T12:00:00Z", &["payment-service"], &["prod2"]),
        entry("other", "2025-04-18T17:00:00Z", "2025-04-19T00:00:00Z", &["payment-service"], &["prod1"]), // touches only
        entry("elsewhere", "2025-04-08T00:00:00Z", "2025-04-09T00:00:00Z", &["search"], &["prod3"]),
    ];
    let freeze = Freeze::from_text(
        "id: easter\nname: Easter\nstart: 2025-04-18T00:00:00Z\nend: 2025-04-22T00:00:00Z\nenvironments: [prod1]\n",
    )
    .unwrap();
    let all = conflicts(&entries, &[freeze], t("2025-04-01T00:00:00Z"), t("2025-05-01T00:00:00Z"));
    let got: Vec<_> = all
        .iter()
        .map(|c| (c.kind, c.release_ids.join("+"), c.freeze_id.clone(), c.resource.clone(), c.start, c.end))
        .collect();
    assert_eq!(
        got,
        [
            (
                ConflictKind::Overlap,
                "hotfix+train".into(),
                None,
                "service:payment-service".into(),
                t("2025-04-15T10:00:00Z"),
                t("2025-04-15T12:00:00Z")
            ),
            (
                ConflictKind::Freeze,
                "train".into(),
                Some("easter".into()),
                "environment:prod1".into(),
                t("2025-04-18T00:00:00Z"),
                t("2025-04-18T17:00:00Z")
            ),
            (
                ConflictKind::Freeze,
                "other".into(),
                Some("easter".into()),
                "environment:prod1".into(),
                t("2025-04-18T17:00:00Z"),
                t("2025-04-19T00:00:00Z")
            ),
        ]
    );
    // Outside the range: nothing.
    assert!(conflicts(&entries, &[], t("2025-05-01T00:00:00Z"), t("2025-06-01T00:00:00Z")).is_empty());
}

#[test]
fn global_freezes_conflict_with_every_release() {
    let entries = [
        entry("a", "2025-12-24T00:00:00Z", "2025-12-25T00:00:00Z", &["search"], &[]),
        entry("b", "2025-12-20T00:00:00Z", "2025-12-21T00:00:00Z", &[], &[]),
        entry("c", "2025-12-26T00:00:00Z", "2025-12-27T00:00:00Z", &[], &[]),
    ];
    let freeze =
        Freeze::from_text("id: xmas\nname: Christmas\nstart: 2025-12-23T00:00:00Z\nend: 2026-01-02T00:00:00Z\n")
            .unwrap();
    let all = conflicts(&entries, &[freeze], t("2025-12-01T00:00:00Z"), t("2026-01-01T00:00:00Z"));
    let got: Vec<_> = all.iter().map(|c| (c.release_ids[0].as_str(), c.resource.as_str())).collect();
    assert_eq!(got, [("a", "service:search"), ("c", "*")]);
}

#[test]
fn sweep_matches_brute_force_pairs() {
    let mut entries = Vec::new();
    let mut seed: u64 = 7;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    let base = t("2025-04-01T00:00:00Z");
    for i in 0..300 {
        let start = base + chrono::Duration::hours((next() % (30 * 24)) as i64);
        let end = start + chrono::Duration::hours((next() % 48) as i64);
        let svc = format!("svc{}", next() % 8);
        let env = format!("env{}", next() % 4);
        let mut e = entry(&format!("r{i:03}"), "2025-04-01T00:00:00Z", "2025-04-01T00:00:00Z", &[&svc], &[&env]);
        (e.start, e.end) = (start, end);
        entries.push(e);
    }
    let (from, to) = (base, base + chrono::Duration::days(31));
    let got = conflicts(&entries, &[], from, to);
    let mut expected = 0;
    for (i, a) in entries.iter().enumerate() {
        for b in &entries[i + 1..] {
            if a.start < b.end && b.start < a.end && a.start < a.end && b.start < b.end {
                expected += a.services.iter().filter(|s| b.services.contains(s)).count();
                expected += a.environments.iter().filter(|s| b.environments.contains(s)).count();
            }
        }
    }
    assert_eq!(got.len(), expected);
    assert!(got.iter().all(|c| c.kind == ConflictKind::Overlap && c.start < c.end && c.release_ids.len() == 2));
}

#[test]
fn ics_round_trips_through_an_independent_parser() {
    use icalendar::Component;
    let mut s = scheduled("0195f3c2-7a10-7000-8000-000000000001", "2025-04-07T07:00:00Z");
    s.name = "Week 15 System Release – April 2025; payment, user\\core".into();
    let mut e = CalendarEntry::from_state(&s, t("2025-04-01T00:00:00Z")).unwrap();
    e.group = Some("system-train".into());
    let mut aborted = entry("r2", "2025-04-08T00:00:00Z", "2025-04-08T00:00:00Z", &[], &[]);
    aborted.status = ReleaseStatus::Aborted;
    let (from, to) = (t("2025-04-01T00:00:00Z"), t("2025-05-01T00:00:00Z"));
    let text = to_ics(&[e.clone(), aborted], &[], from, to, t("2025-04-01T12:00:00Z"));
    for l in text.split("\r\n") {
        assert!(l.len() <= 75, "line longer than 75 octets: {l:?}");
        assert!(!l.contains('\n'), "bare LF in {l:?}");
    }
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    let cal = icalendar::Calendar::from_str(&text).unwrap();
    assert_eq!(cal.property_value("PRODID"), Some("-//trainyard//release calendar//EN"));
    assert_eq!(cal.property_value("VERSION"), Some("2.0"));
    let events: Vec<&icalendar::Event> = cal.components.iter().filter_map(|c| c.as_event()).collect();
    assert_eq!(events.len(), 2);
    let ev = events[0];
    assert_eq!(ev.get_uid(), Some("0195f3c2-7a10-7000-8000-000000000001@trainyard"));
    assert_eq!(ev.get_summary(), Some(s.name.as_str()));
    assert_eq!(ev.get_status(), Some(icalendar::EventStatus::Tentative));
    assert_eq!(ev.property_value("DTSTART"), Some("20250407T070000Z"));
    assert_eq!(ev.property_value("DTEND"), Some("20250411T090000Z"));
    assert_eq!(ev.property_value("DTSTAMP"), Some("20250401T120000Z"));
    let description = ev.get_description().unwrap();
    assert!(description.contains("Group: system-train"), "{description}");
    assert!(description.contains("Services: payment-service, user-service"), "{description}");
    assert!(description.contains("- qa: 2025-04-10 07:00 UTC – 2025-04-11 07:00 UTC (planned)"), "{description}");
    assert_eq!(events[1].get_status(), Some(icalendar::EventStatus::Cancelled));
    assert_eq!(events[1].property_value("DTEND"), None);
}

#[test]
fn statuses_map_to_ics_statuses() {
    let statuses: Vec<_> = ReleaseStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        statuses,
        ["draft", "scheduled", "running", "on_hold", "success", "partial_success", "failed", "aborted"]
    );
    let started: Vec<_> = ReleaseStatus::ALL.iter().map(|s| ics_status(*s, true)).collect();
    // A failed release happened: it is not a cancelled one.
    assert_eq!(
        started,
        ["TENTATIVE", "TENTATIVE", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED"]
    );
    assert_eq!(ics_status(ReleaseStatus::Aborted, false), "CANCELLED");
    assert_eq!(ics_status(ReleaseStatus::Failed, false), "CONFIRMED");
}

#[test]
fn compact_index_gives_back_the_rows_it_was_given() {
    let mut r = row("r1", ReleaseStatus::Scheduled, "2025-04-10T00:00:00Z", Some("2025-04-11T00:00:00Z"), "prod1");
    r.services = vec!["payments".into(), "ledger".into()];
    r.group = Some("weekly".into());
    r.scope = "org:acme".into();
    r.name = "Week 15 – payments".into();
    let index = CalendarIndex::from_release_rows([&r]);
    let expected = CalendarRow::from_release_row(&r).unwrap();
    assert_eq!(index.get("r1").unwrap().to_row(), expected);
    let now = t("2025-04-01T00:00:00Z");
    let hits = index.query(t("2025-04-01T00:00:00Z"), t("2025-05-01T00:00:00Z"), now, &CalendarFilter::default());
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].id(), hits[0].name()), ("r1", "Week 15 – payments"));
    // Filters compare interned values; a value the index never saw matches nothing.
    let month = |f: CalendarFilter| index.query(t("2025-04-01T00:00:00Z"), t("2025-05-01T00:00:00Z"), now, &f).len();
    assert_eq!(month(CalendarFilter { services: vec!["ledger".into()], ..Default::default() }), 1);
    assert_eq!(month(CalendarFilter { services: vec!["unknown".into()], ..Default::default() }), 0);
    assert_eq!(month(CalendarFilter { groups: vec!["weekly".into()], ..Default::default() }), 1);
    assert_eq!(month(CalendarFilter { groups: vec!["daily".into()], ..Default::default() }), 0);
    assert_eq!(month(CalendarFilter { scopes: vec!["account".into()], ..Default::default() }), 0);
    assert_eq!(month(CalendarFilter { environments: vec!["prod1".into(), "x".into()], ..Default::default() }), 1);
}

#[test]
fn bulk_build_with_repeated_and_deleted_rows_equals_upserts_one_by_one() {
    let mut rows = Vec::new();
    for i in 0..50 {
        let day = format!("2025-04-{:02}T00:00:00Z", 1 + i % 28);
        rows.push(row(&format!("r{}", i % 20), ReleaseStatus::Scheduled, &day, Some(&day), "prod1"));
    }
    let mut gone = row("r3", ReleaseStatus::Scheduled, "2025-04-02T00:00:00Z", None, "prod1");
    gone.deleted = true;
    rows.push(gone);
    rows.push(row("r4", ReleaseStatus::Running, "2025-04-03T00:00:00Z", None, "prod2"));
    let bulk = CalendarIndex::from_release_rows(&rows);
    let mut one_by_one = CalendarIndex::new();
    for r in &rows {
        one_by_one.upsert_release_row(r);
    }
    let (from, to, now) = (t("2025-03-01T00:00:00Z"), t("2025-06-01T00:00:00Z"), t("2025-04-15T00:00:00Z"));
    let all = |i: &CalendarIndex| -> Vec<CalendarRow> {
        i.query(from, to, now, &CalendarFilter::default()).iter().map(|r| r.to_row()).collect()
    };
    assert_eq!(bulk.len(), 19, "20 ids, r3 deleted");
    assert_eq!(all(&bulk), all(&one_by_one));
    assert!(bulk.get("r3").is_none());
    assert_eq!(bulk.get("r4").unwrap().status(), ReleaseStatus::Running);
}

#[test]
fn ids_and_names_survive_many_updates_of_the_text_arena() {
    let mut index = CalendarIndex::new();
    // Enough replacements that the arena is compacted several times.
    for round in 0..400 {
        for i in 0..10 {
            let mut r = row(&format!("release-{i}"), ReleaseStatus::Scheduled, "2025-04-10T00:00:00Z", None, "prod1");
            r.name = format!("name {i} of round {round} {}", "x".repeat(200));
            index.upsert_release_row(&r);
        }
    }
    assert_eq!(index.len(), 10);
    for i in 0..10 {
        let got = index.get(&format!("release-{i}")).unwrap();
        assert_eq!(got.id(), format!("release-{i}"));
        assert!(got.name().starts_with(&format!("name {i} of round 399 ")), "{}", got.name());
    }
    let removed = index.remove("release-3").unwrap();
    assert_eq!(removed.id, "release-3");
    assert!(removed.name.starts_with("name 3 of round 399"));
    assert!(index.get("release-3").is_none());
}

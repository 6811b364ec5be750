//! Tests of release groups, materialisation, reconciliation and freezes.

use super::*;
use crate::Timestamp;
use crate::release::ReleaseStatus;
use chrono::Duration as Span;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Flow-style YAML (`{a: b}`) would be read as JSON; the document marker keeps it YAML.
fn yaml(text: &str) -> String {
    format!("---\n{text}")
}

fn group(text: &str) -> ReleaseGroup {
    ReleaseGroup::from_text(&yaml(text)).unwrap_or_else(|e| panic!("{e}"))
}

fn starts(occ: &[Occurrence]) -> Vec<String> {
    occ.iter().map(|o| o.start.format("%Y-%m-%dT%H:%MZ").to_string()).collect()
}

const TRAIN: &str = r#"
id: train
name: System Release
process: system-release
cadence: { every: week, on: thursday, at: "14:00" }
timezone: Europe/Berlin
duration: 2d
starts_on: 2025-03-01
"#;

#[test]
fn berlin_spring_forward_keeps_the_wall_clock_time() {
    let g = group(TRAIN);
    let occ = g.occurrences(t("2025-03-20T00:00:00Z"), t("2025-04-04T00:00:00Z")).unwrap();
    // 14:00 CET = 13:00Z before 30 March, 14:00 CEST = 12:00Z after.
    assert_eq!(starts(&occ), ["2025-03-20T13:00Z", "2025-03-27T13:00Z", "2025-04-03T12:00Z"]);
    assert!(occ.iter().all(|o| o.end - o.start == Span::days(2)));
}

#[test]
fn berlin_autumn_back_keeps_the_wall_clock_time() {
    let g = group(TRAIN);
    let occ = g.occurrences(t("2025-10-20T00:00:00Z"), t("2025-11-01T00:00:00Z")).unwrap();
    assert_eq!(starts(&occ), ["2025-10-23T12:00Z", "2025-10-30T13:00Z"]);
}

#[test]
fn new_york_spring_and_autumn() {
    let g = group(
        "{id: ny, name: NY, process: p, cadence: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0',
          timezone: America/New_York, duration: 4h, starts_on: '2025-01-01'}",
    );
    let spring = g.occurrences(t("2025-03-01T00:00:00Z"), t("2025-03-12T00:00:00Z")).unwrap();
    assert_eq!(starts(&spring), ["2025-03-03T14:00Z", "2025-03-10T13:00Z"]);
    let autumn = g.occurrences(t("2025-10-25T00:00:00Z"), t("2025-11-05T00:00:00Z")).unwrap();
    assert_eq!(starts(&autumn), ["2025-10-27T13:00Z", "2025-11-03T14:00Z"]);
}

#[test]
fn times_inside_the_gap_and_the_overlap_follow_rfc5545() {
    let g = group(
        "{id: nightly, name: Nightly, process: p, cadence: {every: day, at: '02:30'},
          timezone: Europe/Berlin, duration: 1h, starts_on: '2025-03-29'}",
    );
    let spring = g.occurrences(t("2025-03-28T00:00:00Z"), t("2025-04-01T00:00:00Z")).unwrap();
    // 30 March 02:30 does not exist: it runs at 03:30 CEST (01:30Z), once.
    assert_eq!(starts(&spring), ["2025-03-29T01:30Z", "2025-03-30T01:30Z", "2025-03-31T00:30Z"]);
    let autumn = g.occurrences(t("2025-10-25T00:00:00Z"), t("2025-10-28T00:00:00Z")).unwrap();
    // 26 October 02:30 exists twice: the first one (CEST, 00:30Z), once.
    assert_eq!(starts(&autumn), ["2025-10-25T00:30Z", "2025-10-26T00:30Z", "2025-10-27T01:30Z"]);
}

#[test]
fn ordinals_count_from_starts_on_and_templates_render() {
    let g = group(
        r#"{id: train, name: Train, process: p, cadence: {every: week, on: monday, at: "08:00"}, timezone: UTC,
            duration: 1d, starts_on: "2024-12-01",
            name_template: "{name} #{n} {iso_year}-W{iso_week} ({month} {year}, {date}) {{x}}"}"#,
    );
    let occ = g.occurrences(t("2024-12-29T00:00:00Z"), t("2025-01-07T00:00:00Z")).unwrap();
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0].n, 5);
    assert_eq!(occ[0].name, "Train #5 2025-W01 (December 2024, 2024-12-30) {x}");
    assert_eq!(occ[1].name, "Train #6 2025-W02 (January 2025, 2025-01-06) {x}");
    assert_eq!(occ[1].local_date.to_string(), "2025-01-06");
    let default = group(TRAIN).occurrences(t("2025-04-01T00:00:00Z"), t("2025-04-05T00:00:00Z")).unwrap();
    assert_eq!(default[0].name, "System Release 2025-04-03");
}

#[test]
fn ends_on_is_inclusive_and_count_limits() {
    let mut g = group(TRAIN);
    g.ends_on = Some(LocalMoment::parse("2025-03-13").unwrap());
    let occ = g.occurrences(t("2025-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!(starts(&occ), ["2025-03-06T13:00Z", "2025-03-13T13:00Z"]);
    g.ends_on = None;
    g.cadence = Cadence::Rrule("FREQ=WEEKLY;BYDAY=TH;BYHOUR=14;COUNT=3".into());
    let occ = g.occurrences(t("2025-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!(occ.iter().map(|o| o.n).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn monthly_quarterly_and_last_day() {
    let g = group(
        "{id: q, name: Q, process: p, cadence: {every: quarter, day_of_month: -1, at: '18:00'}, timezone: UTC,
          duration: 1d, starts_on: '2025-01-01'}",
    );
    let occ = g.occurrences(t("2025-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!(starts(&occ), ["2025-01-31T18:00Z", "2025-04-30T18:00Z", "2025-07-31T18:00Z", "2025-10-31T18:00Z"]);
    let first_monday = group(
        "{id: m, name: M, process: p, cadence: {every: month, on: first monday, at: '10:00'}, timezone: UTC,
          duration: 1d, starts_on: '2025-01-01'}",
    );
    let occ = first_monday.occurrences(t("2025-01-01T00:00:00Z"), t("2025-04-01T00:00:00Z")).unwrap();
    assert_eq!(starts(&occ), ["2025-01-06T10:00Z", "2025-02-03T10:00Z", "2025-03-03T10:00Z"]);
}

#[test]
fn validation_lists_every_problem() {
    let err = ReleaseGroup::from_text(
        r#"
id: Bad Id
name: ""
process: p
cadence: { every: week, interval: 0, on: [thursday, funday], at: "25:61" }
timezone: Mars/Olympus
duration: 0s
starts_on: 2025-04-10
ends_on: 2025-04-01
name_template: "{name} {week}"
colour: blue
"#,
    )
    .unwrap_err();
    let got: Vec<(String, String)> = err.problems().iter().map(|p| (p.path.clone(), p.code.clone())).collect();
    for want in [
        ("colour", "unknown_field"),
        ("id", "bad_id"),
        ("name", "missing_field"),
        ("duration", "bad_duration"),
        ("name_template", "bad_template"),
        ("ends_on", "bad_range"),
        ("timezone", "bad_timezone"),
        ("cadence.interval", "bad_interval"),
        ("cadence.on[1]", "bad_weekday"),
        ("cadence.at", "bad_time"),
    ] {
        assert!(got.contains(&(want.0.to_string(), want.1.to_string())), "missing {want:?} in {got:?}");
    }
    assert_eq!(err.code(), "validation");
}

#[test]
fn malformed_fields_are_all_reported_with_missing_ones() {
    let err = ReleaseGroup::from_value(&serde_json::json!({
        "id": "g", "name": "G", "cadence": "FREQ=NEVER", "duration": "soon", "starts_on": "someday", "auto_start": "yes"
    }))
    .unwrap_err();
    let got: Vec<(&str, &str)> = err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert!(got.contains(&("process", "missing_field")), "{got:?}");
    assert!(got.contains(&("duration", "invalid_value")), "{got:?}");
    assert!(got.contains(&("starts_on", "invalid_value")), "{got:?}");
    assert!(got.contains(&("auto_start", "wrong_type")), "{got:?}");
    assert!(got.contains(&("cadence", "bad_rrule")), "{got:?}");
    assert!(ReleaseGroup::from_text("[1, 2]").is_err());
    assert!(ReleaseGroup::from_text("id: [").is_err());
}

#[test]
fn groups_round_trip_through_yaml_and_json() {
    let g = group(TRAIN);
    let json = serde_json::to_value(&g).unwrap();
    assert_eq!(json["cadence"], serde_json::json!({"every": "week", "on": ["thursday"], "at": "14:00"}));
    assert_eq!(json["starts_on"], "2025-03-01");
    assert_eq!(ReleaseGroup::from_value(&json).unwrap(), g);
}

#[test]
fn materialise_is_idempotent_and_respects_the_horizon() {
    let g = group(TRAIN);
    let now = t("2025-04-01T00:00:00Z");
    let horizon = Span::days(DEFAULT_HORIZON_DAYS);
    let first = materialise(&g, &[], now, horizon).unwrap();
    assert_eq!(first.create.len(), 13);
    assert!(first.create.iter().all(|o| o.start >= now && o.start < now + horizon));
    let mut keys: Vec<OccurrenceKey> = first.create.iter().map(Occurrence::key).collect();
    assert!(materialise(&g, &keys, now, horizon).unwrap().is_empty());
    // A week later, exactly one new occurrence enters the horizon.
    let later = materialise(&g, &keys, now + Span::days(7), horizon).unwrap();
    assert_eq!(later.create.len(), 1);
    keys.extend(later.create.iter().map(Occurrence::key));
    assert!(materialise(&g, &keys, now + Span::days(7), horizon).unwrap().is_empty());
    let key = &keys[0];
    assert_eq!(key.to_string().parse::<OccurrenceKey>().unwrap(), *key);
}

fn existing(plan: &GroupPlan, now: Timestamp) -> Vec<ExistingOccurrence> {
    plan.create
        .iter()
        .enumerate()
        .map(|(i, o)| ExistingOccurrence {
            key: o.key(),
            release_id: format!("r{i}"),
            status: if o.start <= now { ReleaseStatus::Running } else { ReleaseStatus::Scheduled },
            edited: false,
        })
        .collect()
}

#[test]
fn editing_a_group_rewrites_only_occurrences_that_have_not_started() {
    let old = group(TRAIN);
    let created = materialise(&old, &[], t("2025-04-01T00:00:00Z"), Span::days(28)).unwrap();
    assert_eq!(created.create.len(), 4); // 3, 10, 17, 24 April
    let now = t("2025-04-11T00:00:00Z"); // 3 and 10 April have started
    let mut rows = existing(&created, now);
    rows[1].status = ReleaseStatus::Success;

    // Same times, new duration and inputs: rewrite the two future ones, keep the started ones.
    let mut longer = old.clone();
    longer.duration = "3d".parse().unwrap();
    longer.inputs.insert("train".into(), serde_json::json!("blue"));
    let plan = reconcile(&old, &longer, &rows, now, Span::days(28)).unwrap();
    assert_eq!(plan.rewrite.iter().map(|r| r.release_id.as_str()).collect::<Vec<_>>(), ["r2", "r3"]);
    assert_eq!(plan.rewrite[0].changes, ["inputs", "end"]);
    assert!(plan.delete.is_empty());
    assert_eq!(starts(&plan.create), ["2025-05-01T12:00Z", "2025-05-08T12:00Z"]);

    // Moved from Thursday to Friday: the future releases move (keeping their ids).
    let mut friday = old.clone();
    friday.cadence = Cadence::Every(Every {
        every: "week".into(),
        interval: 1,
        on: vec!["friday".into()],
        day_of_month: None,
        at: Some("14:00".into()),
    });
    let plan = reconcile(&old, &friday, &rows, now, Span::days(28)).unwrap();
    let moved: Vec<_> = plan.rewrite.iter().map(|r| (r.release_id.as_str(), r.to.start.to_rfc3339())).collect();
    assert_eq!(moved, [("r2", "2025-04-11T12:00:00+00:00".into()), ("r3", "2025-04-18T12:00:00+00:00".into())]);
    assert!(plan.rewrite[0].changes.contains(&"start".to_string()));
    assert_eq!(starts(&plan.create), ["2025-04-25T12:00Z", "2025-05-02T12:00Z"]);

    // Ended early: future releases past ends_on are deleted, started ones stay.
    let mut ended = old.clone();
    ended.ends_on = LocalMoment::parse("2025-04-17");
    let plan = reconcile(&old, &ended, &rows, now, Span::days(28)).unwrap();
    assert_eq!(plan.unchanged.len(), 1);
    assert_eq!(plan.delete.iter().map(|d| d.release_id.as_str()).collect::<Vec<_>>(), ["r3"]);
    assert!(plan.create.is_empty() && plan.rewrite.is_empty());

    // No change at all: nothing to do beyond the horizon top-up.
    let plan = reconcile(&old, &old, &rows, now, Span::days(14)).unwrap();
    assert!(plan.is_empty(), "{plan:?}");
}

const WEEKEND: &str = r#"
id: weekend
name: Weekend freeze
start: 2025-01-03T16:00:00+01:00
end: 2025-12-31T00:00:00Z
environments: [prod1]
services: [payment-service]
recurrence: { cadence: { every: week, on: friday, at: "16:00" }, timezone: Europe/Berlin, duration: 2d 16h }
"#;

#[test]
fn recurring_freezes_expand_in_local_time() {
    let f = Freeze::from_text(WEEKEND).unwrap();
    let w = f.windows(t("2025-03-25T00:00:00Z"), t("2025-04-08T00:00:00Z"));
    let got: Vec<_> = w.iter().map(|w| (w.start.to_rfc3339(), w.end.to_rfc3339())).collect();
    assert_eq!(
        got,
        [
            ("2025-03-28T15:00:00+00:00".to_string(), "2025-03-31T06:00:00+00:00".to_string()),
            ("2025-04-04T14:00:00+00:00".to_string(), "2025-04-07T06:00:00+00:00".to_string()),
        ]
    );
    assert!(f.windows(t("2026-01-01T00:00:00Z"), t("2026-02-01T00:00:00Z")).is_empty());
    // A window that began before the range still overlaps it.
    assert_eq!(f.windows(t("2025-04-06T00:00:00Z"), t("2025-04-06T01:00:00Z")).len(), 1);
}

#[test]
fn frozen_names_the_blocking_window() {
    let weekend = Freeze::from_text(WEEKEND).unwrap();
    let global = Freeze::from_text(&yaml(
        "{id: eoy, name: Year end, start: '2025-04-05T00:00:00Z', end: '2025-04-10T00:00:00Z'}",
    ))
    .unwrap();
    let sat = t("2025-04-05T12:00:00Z");
    assert_eq!(weekend.blocks(&Resource::service("payment-service"), sat).unwrap().freeze_id, "weekend");
    assert!(weekend.blocks(&Resource::environment("staging"), sat).is_none());
    assert!(weekend.blocks(&Resource::environment("prod1"), t("2025-04-08T12:00:00Z")).is_none());
    let both = [weekend.clone(), global.clone()];
    // Both block prod1 on Saturday; the global one ends later.
    assert_eq!(frozen(&both, &Resource::environment("prod1"), sat).unwrap().freeze_id, "eoy");
    assert_eq!(frozen(&both, &Resource::environment("staging"), sat).unwrap().freeze_id, "eoy");
    assert!(frozen(&both, &Resource::environment("staging"), t("2025-04-10T00:00:00Z")).is_none());
    assert_eq!(freeze_windows(&both, t("2025-04-01T00:00:00Z"), t("2025-04-09T00:00:00Z")).len(), 2);
    assert_eq!(Resource::environment("prod1").to_string(), "environment:prod1");
}

#[test]
fn freeze_validation_lists_every_problem() {
    let err = Freeze::from_text(&yaml(
        "{id: X, name: '', start: '2025-04-10T00:00:00Z', end: '2025-04-01T00:00:00Z',
          recurrence: {cadence: {every: week, on: caturday}, timezone: Nowhere, duration: 0s}}",
    ))
    .unwrap_err();
    let got: Vec<(&str, &str)> = err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert_eq!(
        got,
        [
            ("id", "bad_id"),
            ("name", "missing_field"),
            ("end", "bad_range"),
            ("recurrence.timezone", "bad_timezone"),
            ("recurrence.duration", "bad_duration"),
            ("recurrence.cadence.on[0]", "bad_weekday"),
        ]
    );
    let missing_end = Freeze::from_text(&yaml("{id: x, name: X, start: '2025-04-10T00:00:00Z'}")).unwrap_err();
    assert_eq!(missing_end.problems()[0].path, "end");
}

#[test]
fn rules_rfc5545_forbids_are_refused_with_every_reason() {
    let err = ReleaseGroup::from_value(&serde_json::json!({
        "id": "g", "name": "G", "process": "p", "timezone": "Europe/Berlin", "duration": "1h",
        "starts_on": "2025-04-07", "cadence": "FREQ=WEEKLY;BYDAY=1MO;COUNT=3;UNTIL=20250601T000000Z;BYWEEKNO=2",
    }))
    .unwrap_err();
    let got: Vec<(&str, &str)> = err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert_eq!(got, [("cadence", "bad_rrule"); 3], "{:#?}", err.problems());
    let text = err.to_string();
    for why in ["needs FREQ=MONTHLY or FREQ=YEARLY", "`COUNT` and `UNTIL` may not be used together", "BYWEEKNO"] {
        assert!(text.contains(why), "{why}: {text}");
    }
    // A freeze's cadence is checked the same way.
    let freeze = Freeze::from_value(&serde_json::json!({
        "id": "f", "name": "F", "start": "2025-04-04T16:00:00Z",
        "recurrence": {"cadence": "FREQ=DAILY;BYDAY=-1FR", "duration": "1d"},
    }))
    .unwrap_err();
    assert_eq!(freeze.problems()[0].path, "recurrence.cadence");
    assert!(freeze.problems()[0].message.contains("needs FREQ=MONTHLY or FREQ=YEARLY"));
}

#[test]
fn until_bounds_the_instants_in_utc() {
    // 09:00 Berlin (07:00Z in summer); UNTIL 07:00Z on 9 April includes that day's occurrence.
    let g = ReleaseGroup::from_value(&serde_json::json!({
        "id": "g", "name": "G", "process": "p", "timezone": "Europe/Berlin", "duration": "1h",
        "starts_on": "2025-04-07T09:00", "cadence": "FREQ=DAILY;UNTIL=20250409T070000Z",
    }))
    .unwrap();
    let occ = g.occurrences(t("2025-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!(starts(&occ), ["2025-04-07T07:00Z", "2025-04-08T07:00Z", "2025-04-09T07:00Z"]);
}

#[test]
fn templated_inputs_render_per_occurrence_and_a_move_rewrites_them() {
    let mut g = group(TRAIN);
    g.inputs.insert("version".into(), serde_json::json!("1.{iso_week}.0"));
    g.inputs.insert("tags".into(), serde_json::json!(["w{iso_week}", {"n": "{n}", "raw": "{{x}}"}, 3]));
    let occ = g.occurrences(t("2025-04-01T00:00:00Z"), t("2025-04-11T00:00:00Z")).unwrap();
    let inputs = g.inputs_for(&occ[1]);
    assert_eq!(inputs["version"], "1.15.0");
    assert_eq!(inputs["tags"], serde_json::json!(["w15", {"n": "6", "raw": "{x}"}, 3]));
    // Moving Thursday to Friday keeps the ISO week, Thursday to next Monday does not.
    let created = materialise(&g, &[], t("2025-04-01T00:00:00Z"), Span::days(8)).unwrap();
    let rows = existing(&created, t("2025-04-01T00:00:00Z"));
    let mut monday = g.clone();
    monday.cadence = Cadence::Rrule("FREQ=WEEKLY;BYDAY=MO;BYHOUR=14".into());
    let plan = reconcile(&g, &monday, &rows, t("2025-04-01T00:00:00Z"), Span::days(8)).unwrap();
    assert!(
        !plan.rewrite.is_empty() && plan.rewrite.iter().all(|r| r.changes.contains(&"inputs".to_string())),
        "{plan:?}"
    );
    let mut bad = g.clone();
    bad.inputs.insert("x".into(), serde_json::json!({"deep": ["{week}"]}));
    let problems = bad.problems();
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].path.as_str(), problems[0].code.as_str()), ("inputs.x.deep[0]", "bad_template"));
}

//! Release groups, freezes and the calendar through the engine.

use chrono::{DateTime, Duration, Utc};
use icalendar::Component;
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::calendar::{CalendarFilter, ConflictKind};
use trainyard::executor::{Job, Outcome};
use trainyard::release::{EventKind, NewRelease, ReleaseState, ReleaseStatus};
use trainyard::schedule::{Freeze, ManualClock, ReleaseGroup};
use trainyard::{Engine, ReleaseFilter};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An engine at `now` with the system train and hotfix processes and a succeeding `command`
/// executor.
fn engine_at(now: &str) -> (Engine, ManualClock) {
    let clock = ManualClock::new(t(now));
    let engine = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    for f in ["examples/processes/system-release-train.yaml", "examples/processes/hotfix.yaml"] {
        engine.register_process(&std::fs::read_to_string(root().join(f)).unwrap()).unwrap();
    }
    engine.register_executor("command", |job: &Job| match job.activity_id.as_str() {
        "cut" => Outcome::with_outputs([("commit", "abc123")]),
        "build" => Outcome::with_outputs([("artifact", "fix.tgz")]),
        _ => Outcome::with_outputs([("url", "https://example")]),
    });
    (engine, clock)
}

const TRAIN: &str = r#"
id: system-train
name: System Release
process: system-release-train
cadence: { every: week, on: monday, at: "09:00" }
timezone: Europe/Berlin
duration: 2w
starts_on: 2025-04-07
name_template: "Week {iso_week} {name} - {month} {year}"
kind: system
inputs: { releaseVersion: 2.1.3 }
"#;

fn group(text: &str) -> ReleaseGroup {
    ReleaseGroup::from_text(text).unwrap()
}

fn group_releases(engine: &Engine, id: &str) -> Vec<ReleaseState> {
    let mut out = engine.list_releases(&ReleaseFilter { group: Some(id.into()), ..Default::default() }).unwrap();
    out.sort_by_key(|r| r.schedule.as_ref().map(|s| s.start));
    out
}

fn starts(releases: &[ReleaseState]) -> Vec<String> {
    releases.iter().map(|r| r.schedule.as_ref().unwrap().start.to_rfc3339()).collect()
}

fn advance(engine: &Engine, clock: &ManualClock, by: Duration) {
    clock.advance(by);
    engine.run_until_idle(100_000).unwrap();
}

#[test]
fn a_weekly_group_materialises_its_horizon_once() {
    let (engine, clock) = engine_at("2025-04-04T12:00:00Z"); // Friday
    engine.set_horizon(Duration::days(30));
    let created = engine.create_release_group(group(TRAIN), &rita()).unwrap();
    assert_eq!(created.id, "system-train");
    assert_eq!(engine.get_release_group("system-train").unwrap(), created);
    assert_eq!(engine.list_release_groups().unwrap().len(), 1);
    let releases = group_releases(&engine, "system-train");
    // Mondays 09:00 CEST (07:00 UTC) starting within 30 days.
    assert_eq!(
        starts(&releases),
        [
            "2025-04-07T07:00:00+00:00",
            "2025-04-14T07:00:00+00:00",
            "2025-04-21T07:00:00+00:00",
            "2025-04-28T07:00:00+00:00"
        ]
    );
    let first = &releases[0];
    assert_eq!(first.name, "Week 15 System Release - April 2025");
    assert_eq!(first.status, ReleaseStatus::Scheduled);
    assert_eq!(first.group.as_deref(), Some("system-train"));
    assert_eq!(first.occurrence.as_deref(), Some("system-train@2025-04-07T07:00:00Z"));
    assert_eq!(first.kind.as_str(), "system");
    assert_eq!(first.inputs["releaseVersion"], "2.1.3");
    assert_eq!(first.schedule.as_ref().unwrap().end, Some(t("2025-04-21T07:00:00Z")));
    // Ticking again (and again) creates nothing.
    engine.tick().unwrap();
    engine.tick().unwrap();
    assert_eq!(group_releases(&engine, "system-train").len(), 4);
    // A week later the horizon reaches one more Monday; the first train has started.
    advance(&engine, &clock, Duration::days(7));
    let releases = group_releases(&engine, "system-train");
    assert_eq!(releases.len(), 5);
    assert_eq!(releases[4].schedule.as_ref().unwrap().start, t("2025-05-05T07:00:00Z"));
    assert_eq!(releases[0].status, ReleaseStatus::OnHold, "waiting for the alpha fixes confirmation");
    assert!(!releases[0].pre_executed);
    // A deleted occurrence is skipped, not re-created.
    engine.delete_release(&releases[4].id, &rita()).unwrap();
    engine.tick().unwrap();
    assert_eq!(group_releases(&engine, "system-train").len(), 4);
}

#[test]
fn dst_keeps_the_wall_clock_time_and_a_second_engine_does_not_duplicate() {
    let clock = ManualClock::new(t("2025-03-21T12:00:00Z"));
    let store: Arc<dyn trainyard::store::Store> = Arc::new(trainyard::store::MemoryStore::new());
    let a = Engine::new(store.clone(), Arc::new(clock.clone()));
    let b = Engine::new(store, Arc::new(clock.clone()));
    a.register_process(&std::fs::read_to_string(root().join("examples/processes/system-release-train.yaml")).unwrap())
        .unwrap();
    a.set_horizon(Duration::days(14));
    b.set_horizon(Duration::days(14));
    a.create_release_group(group(&TRAIN.replace("2025-04-07", "2025-03-24")), &rita()).unwrap();
    // CET until 30 March, CEST after: 09:00 local is 08:00 then 07:00 UTC.
    assert_eq!(starts(&group_releases(&a, "system-train")), ["2025-03-24T08:00:00+00:00", "2025-03-31T07:00:00+00:00"]);
    b.tick().unwrap();
    a.tick().unwrap();
    assert_eq!(group_releases(&b, "system-train").len(), 2);
}

#[test]
fn a_group_is_validated_and_authorized() {
    let (engine, _clock) = engine_at("2025-04-04T12:00:00Z");
    let viewer = Actor::new("vic").with_roles(["viewer"]);
    assert_eq!(engine.create_release_group(group(TRAIN), &viewer).unwrap_err().code(), "permission_denied");
    let no_version = group(&TRAIN.replace("inputs: { releaseVersion: 2.1.3 }", ""));
    assert_eq!(engine.create_release_group(no_version, &rita()).unwrap_err().code(), "invalid_input");
    let unknown = group(&TRAIN.replace("process: system-release-train", "process: nope"));
    assert_eq!(engine.create_release_group(unknown, &rita()).unwrap_err().code(), "not_found");
    engine.create_release_group(group(TRAIN), &rita()).unwrap();
    assert_eq!(engine.create_release_group(group(TRAIN), &rita()).unwrap_err().code(), "already_exists");
    assert_eq!(engine.get_release_group("nope").unwrap_err().code(), "not_found");
}

#[test]
fn editing_a_group_rewrites_only_occurrences_that_have_not_started() {
    let (engine, clock) = engine_at("2025-04-04T12:00:00Z");
    engine.set_horizon(Duration::days(30));
    engine.create_release_group(group(TRAIN), &rita()).unwrap();
    // Wednesday 9 April: the first train runs.
    advance(&engine, &clock, Duration::days(4) + Duration::hours(21));
    let before = group_releases(&engine, "system-train");
    assert_eq!(before.len(), 5, "the horizon moved on to 5 May");
    assert_eq!(before[0].status, ReleaseStatus::Running);
    // Move the train to Tuesdays 10:00: same ISO week, same name, so the releases are rescheduled.
    let tuesday = group(&TRAIN.replace(r#"on: monday, at: "09:00""#, r#"on: tuesday, at: "10:00""#));
    let changes = engine.update_release_group(tuesday, &rita()).unwrap();
    assert_eq!(changes.rescheduled.len(), 4, "{changes:?}");
    assert!(changes.deleted.is_empty(), "{changes:?}");
    let after = group_releases(&engine, "system-train");
    assert_eq!(after[0].id, before[0].id);
    assert_eq!(after[0].schedule.as_ref().unwrap().start, t("2025-04-07T07:00:00Z"), "started: untouched");
    assert_eq!(after[0].status, ReleaseStatus::Running);
    let moved: Vec<&str> = after[1..5].iter().map(|r| r.id.as_str()).collect();
    let kept: Vec<&str> = before[1..5].iter().map(|r| r.id.as_str()).collect();
    assert_eq!(moved, kept, "rescheduled in place");
    assert_eq!(after[1].schedule.as_ref().unwrap().start, t("2025-04-15T08:00:00Z"));
    // Anything created meanwhile for the horizon is a Tuesday too; ticking adds nothing.
    let n = after.len();
    engine.tick().unwrap();
    assert_eq!(group_releases(&engine, "system-train").len(), n);
    // New inputs replace the not-started releases (a scheduled release's inputs are fixed).
    let new_version = group(
        &TRAIN
            .replace(r#"on: monday, at: "09:00""#, r#"on: tuesday, at: "10:00""#)
            .replace("releaseVersion: 2.1.3", "releaseVersion: 2.2.0"),
    );
    let changes = engine.update_release_group(new_version, &rita()).unwrap();
    assert_eq!(changes.deleted.len(), n - 1);
    assert_eq!(changes.created.len(), n - 1);
    let latest = group_releases(&engine, "system-train");
    assert_eq!(latest.len(), n);
    assert_eq!(latest[0].inputs["releaseVersion"], "2.1.3");
    assert!(latest[1..].iter().all(|r| r.inputs["releaseVersion"] == "2.2.0"));
    assert!(engine.get_release(&before[1].id).is_err(), "the replaced release is gone");
}

#[test]
fn deleting_a_group_keeps_started_releases() {
    let (engine, clock) = engine_at("2025-04-04T12:00:00Z");
    engine.set_horizon(Duration::days(30));
    engine.create_release_group(group(TRAIN), &rita()).unwrap();
    advance(&engine, &clock, Duration::days(3));
    let deleted = engine.delete_release_group("system-train", &rita()).unwrap();
    assert_eq!(deleted.len(), 4, "Apr 14, 21, 28 and May 5");
    let left = group_releases(&engine, "system-train");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].status, ReleaseStatus::Running);
    assert!(engine.list_release_groups().unwrap().is_empty());
    advance(&engine, &clock, Duration::days(7));
    assert_eq!(group_releases(&engine, "system-train").len(), 1, "nothing is materialised any more");
}

fn freeze(text: &str) -> Freeze {
    Freeze::from_text(text).unwrap()
}

fn hotfix(engine: &Engine, env: &str) -> ReleaseState {
    let mut inputs = indexmap::IndexMap::new();
    inputs.insert("version".to_string(), serde_json::json!("2.1.4"));
    inputs.insert("environment".to_string(), serde_json::json!(env));
    let new = NewRelease { name: "Hotfix 2.1.4".into(), inputs, ..Default::default() };
    engine.create_release("hotfix", new, &rita()).unwrap()
}

#[test]
fn activation_inside_a_freeze_is_refused_unless_an_account_manager_forces_it() {
    let (engine, _clock) = engine_at("2025-04-04T12:00:00Z");
    let f = freeze(
        "id: prod1-freeze\nname: Prod 1 freeze\nstart: 2025-04-04T00:00:00Z\nend: 2025-04-05T00:00:00Z\nenvironments: [prod1]\n",
    );
    let viewer = Actor::new("vic").with_roles(["viewer"]);
    assert_eq!(engine.add_freeze(f.clone(), &viewer).unwrap_err().code(), "permission_denied");
    engine.add_freeze(f.clone(), &rita()).unwrap();
    assert_eq!(engine.add_freeze(f, &rita()).unwrap_err().code(), "already_exists");
    assert_eq!(engine.list_freezes().unwrap().len(), 1);
    let frozen = hotfix(&engine, "prod1");
    let err = engine.activate(&frozen.id, &rita()).unwrap_err();
    assert_eq!(err.code(), "schedule");
    let message = err.to_string();
    assert!(message.contains("prod1-freeze") && message.contains("environment:prod1"), "{message}");
    assert!(message.contains("2025-04-05T00:00:00+00:00"), "{message}");
    // An org manager may not force; an account release manager may, and it is recorded.
    let org = Actor::new("olga").with_roles(["org_release_manager:payments"]);
    assert_eq!(engine.activate_forced(&frozen.id, &org).unwrap_err().code(), "permission_denied");
    let events = engine.activate_forced(&frozen.id, &rita()).unwrap();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::Activated { forced: true, .. })));
    // Another environment is not frozen.
    let free = hotfix(&engine, "prod2");
    engine.activate(&free.id, &rita()).unwrap();
    // Once the freeze is deleted, activation is allowed again.
    let other = hotfix(&engine, "prod1");
    engine.delete_freeze("prod1-freeze", &rita()).unwrap();
    assert_eq!(engine.delete_freeze("prod1-freeze", &rita()).unwrap_err().code(), "not_found");
    engine.activate(&other.id, &rita()).unwrap();
}

#[test]
fn the_clock_activates_inside_a_freeze_and_automated_work_waits_queued() {
    let (engine, clock) = engine_at("2025-04-04T12:00:00Z");
    engine
        .add_freeze(
            freeze("id: friday\nname: Friday freeze\nstart: 2025-04-04T12:00:00Z\nend: 2025-04-04T16:00:00Z\nenvironments: [prod1]\n"),
            &rita(),
        )
        .unwrap();
    let r = hotfix(&engine, "prod1");
    engine.schedule(&r.id, &rita(), t("2025-04-04T13:00:00Z"), None, true).unwrap();
    advance(&engine, &clock, Duration::hours(1));
    let state = engine.get_release(&r.id).unwrap();
    assert_eq!(state.status, ReleaseStatus::Running);
    assert_eq!(state.activity("build", "build").unwrap().status.as_str(), "queued");
    let history = engine.history(&r.id).unwrap();
    assert!(history.iter().any(|e| e.kind.name() == "activity_frozen"), "{history:?}");
    advance(&engine, &clock, Duration::hours(2));
    assert_eq!(engine.get_release(&r.id).unwrap().activity("build", "build").unwrap().status.as_str(), "queued");
    advance(&engine, &clock, Duration::hours(1)); // 16:00: the freeze ends
    let state = engine.get_release(&r.id).unwrap();
    assert_eq!(state.activity("build", "build").unwrap().status.as_str(), "success");
    assert_eq!(state.activity("approve", "approve").unwrap().status.as_str(), "waiting_for_input");
}

#[test]
fn calendar_conflicts_and_ics_through_the_engine() {
    let (engine, _clock) = engine_at("2025-04-04T12:00:00Z");
    engine.set_horizon(Duration::days(21));
    engine.create_release_group(group(TRAIN), &rita()).unwrap();
    let fix = {
        let new = NewRelease {
            name: "Payments hotfix".into(),
            inputs: [("version".to_string(), serde_json::json!("2.1.4"))].into_iter().collect(),
            ..Default::default()
        };
        let r = engine.create_release("hotfix", new, &rita()).unwrap();
        engine.schedule(&r.id, &rita(), t("2025-04-15T08:00:00Z"), Some(t("2025-04-15T12:00:00Z")), false).unwrap();
        r
    };
    let (from, to) = (t("2025-04-01T00:00:00Z"), t("2025-05-01T00:00:00Z"));
    let all = engine.calendar(from, to, &CalendarFilter::default()).unwrap();
    assert_eq!(all.len(), 4, "three trains and the hotfix");
    let train = &all[0];
    assert_eq!(train.group.as_deref(), Some("system-train"));
    assert_eq!(train.planned_end, Some(t("2025-04-21T07:00:00Z")));
    // Prod 3 is planned for start + 14d and lasts 4h: the window runs past the scheduled end.
    assert_eq!((train.start, train.end), (t("2025-04-07T07:00:00Z"), t("2025-04-21T11:00:00Z")));
    assert!(train.phases.iter().any(|p| p.phase_id == "qa-signoff" && p.planned));
    assert_eq!(train.services, ["payment-service", "user-service"]);
    // Filters and ranges.
    let trains = CalendarFilter { groups: vec!["system-train".into()], ..Default::default() };
    assert_eq!(engine.calendar(from, to, &trains).unwrap().len(), 3);
    let week = engine.calendar(t("2025-04-22T00:00:00Z"), t("2025-04-29T00:00:00Z"), &trains).unwrap();
    assert_eq!(week.len(), 2, "the Apr 14 and Apr 21 trains");
    let prod1 = CalendarFilter { environments: vec!["prod1".into()], ..Default::default() };
    assert_eq!(engine.calendar(from, to, &prod1).unwrap().len(), 1);
    // Reads as an actor.
    let payments_viewer = Actor::new("pia").with_roles(["viewer:payments"]);
    assert!(engine.calendar_as(&payments_viewer, from, to, &CalendarFilter::default()).unwrap().is_empty());
    let viewer = Actor::new("vic").with_roles(["viewer"]);
    assert_eq!(engine.calendar_as(&viewer, from, to, &CalendarFilter::default()).unwrap().len(), 4);
    // The index follows changes: a deleted train leaves the calendar.
    assert_eq!(all[3].start, t("2025-04-21T07:00:00Z"));
    engine.delete_release(&all[3].release_id, &rita()).unwrap();
    assert_eq!(engine.calendar(from, to, &trains).unwrap().len(), 2);
    // Conflicts: overlapping trains share services and prod3; the hotfix shares payment-service.
    let found = engine.conflicts(from, to).unwrap();
    assert!(found.iter().any(|c| c.kind == ConflictKind::Overlap && c.resource == "environment:prod3"));
    assert!(found.iter().any(|c| c.kind == ConflictKind::Overlap
        && c.resource == "service:payment-service"
        && c.release_ids.contains(&fix.id)));
    assert!(!found.iter().any(|c| c.kind == ConflictKind::Freeze));
    engine
        .add_freeze(
            freeze("id: easter\nname: Easter\nstart: 2025-04-18T00:00:00Z\nend: 2025-04-22T00:00:00Z\nenvironments: [prod3]\n"),
            &rita(),
        )
        .unwrap();
    let found = engine.conflicts(from, to).unwrap();
    let frozen: Vec<_> = found.iter().filter(|c| c.kind == ConflictKind::Freeze).collect();
    assert_eq!(frozen.len(), 2, "{frozen:?}");
    assert!(frozen.iter().all(|c| c.freeze_id.as_deref() == Some("easter") && c.resource == "environment:prod3"));
    // iCalendar, parsed back by an independent parser.
    let text = engine.calendar_ics(from, to, &CalendarFilter::default()).unwrap();
    let cal: icalendar::Calendar = text.parse().unwrap();
    let events: Vec<&icalendar::Event> = cal.components.iter().filter_map(|c| c.as_event()).collect();
    assert_eq!(events.len(), 4, "three releases and the freeze");
    assert_eq!(events[3].get_uid(), Some("freeze-easter@trainyard"));
    assert_eq!(events[0].get_summary(), Some("Week 15 System Release - April 2025"));
    assert_eq!(events[0].property_value("DTSTART"), Some("20250407T070000Z"));
    assert_eq!(events[0].get_status(), Some(icalendar::EventStatus::Tentative));
    assert!(events[0].get_description().unwrap().contains("Group: system-train"));
    // An empty range is an error.
    assert_eq!(engine.calendar(to, from, &CalendarFilter::default()).unwrap_err().code(), "schedule");
}

#[test]
fn group_inputs_use_the_name_template_fields_and_owners_reach_the_releases() {
    use std::sync::Mutex;
    use trainyard::notify::Notification;
    let (engine, _clock) = engine_at("2025-04-04T12:00:00Z");
    engine.set_horizon(Duration::days(14));
    type Ended = Vec<(String, Vec<String>)>;
    let ended: Arc<Mutex<Ended>> = Arc::default();
    let sink = ended.clone();
    engine.subscribe(move |n: &Notification| {
        if n.kind.as_str() == "release_ended" {
            sink.lock().unwrap().push((n.release_id.clone(), n.recipients.clone()));
        }
        Ok(())
    });
    // The version follows the ISO week; no owners: the process's owners (`release-eng`).
    let versioned =
        TRAIN.replace("inputs: { releaseVersion: 2.1.3 }", "inputs: { releaseVersion: \"1.{iso_week}.{n}\" }");
    engine.create_release_group(group(&versioned), &rita()).unwrap();
    let releases = group_releases(&engine, "system-train");
    let versions: Vec<_> = releases.iter().map(|r| r.inputs["releaseVersion"].as_str().unwrap().to_string()).collect();
    assert_eq!(versions, ["1.15.1", "1.16.2"]);
    assert!(releases.iter().all(|r| r.owners == ["release-eng"]), "{:?}", releases[0].owners);
    // Owners of the group win over the process's.
    let owned = versioned.replace("id: system-train", "id: owned-train\nowners: [rita, group:ops]");
    engine.create_release_group(group(&owned), &rita()).unwrap();
    let owned_releases = group_releases(&engine, "owned-train");
    assert!(owned_releases.iter().all(|r| r.owners == ["rita", "group:ops"]));
    // …and so `release_ended` reaches them.
    engine.abort(&owned_releases[0].id, &rita(), "not this week").unwrap();
    engine.abort(&releases[0].id, &rita(), "not this week").unwrap();
    let got = ended.lock().unwrap().clone();
    assert_eq!(
        got,
        [
            (owned_releases[0].id.clone(), vec!["rita".to_string(), "group:ops".to_string()]),
            (releases[0].id.clone(), vec!["release-eng".to_string()]),
        ]
    );
    // A template field that does not exist, or a value that does not fit the input, is refused.
    let unknown = TRAIN.replace("id: system-train", "id: other").replace("2.1.3", "\"1.{week}.0\"");
    let err = ReleaseGroup::from_text(&unknown).unwrap_err();
    assert_eq!(err.problems()[0].path, "inputs.releaseVersion");
    assert_eq!(err.problems()[0].code, "bad_template");
    let misfit = TRAIN.replace("id: system-train", "id: other").replace("2.1.3", "\"v{iso_week}\"");
    let err = engine.create_release_group(group(&misfit), &rita()).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
    assert!(err.to_string().contains("v15"), "{err}");
    assert!(engine.get_release_group("other").is_err(), "a refused group is not stored");
}

#[test]
fn the_ics_export_keeps_tabs_and_line_breaks_and_holds_the_freezes() {
    let (engine, _clock) = engine_at("2025-04-04T12:00:00Z");
    let name = "Hotfix\tpayments; api, web\\cli 🚂\r\nsecond line";
    let mut inputs = indexmap::IndexMap::new();
    inputs.insert("version".to_string(), serde_json::json!("2.1.4"));
    inputs.insert("environment".to_string(), serde_json::json!("prod1"));
    let fix = engine
        .create_release("hotfix", NewRelease { name: name.into(), inputs, ..Default::default() }, &rita())
        .unwrap();
    engine.schedule(&fix.id, &rita(), t("2025-04-08T10:00:00Z"), Some(t("2025-04-08T12:00:00Z")), false).unwrap();
    engine
        .add_freeze(
            freeze("id: easter\nname: Easter\tbreak\nstart: 2025-04-18T00:00:00Z\nend: 2025-04-22T00:00:00Z\n"),
            &rita(),
        )
        .unwrap();
    engine
        .add_freeze(
            freeze(
                "---\nid: weekend\nname: Weekend\nstart: 2025-01-03T16:00:00+01:00\nenvironments: [prod1]\n\
                 recurrence: { cadence: { every: week, on: friday, at: \"16:00\" }, timezone: Europe/Berlin, duration: 2d 16h }\n",
            ),
            &rita(),
        )
        .unwrap();
    let (from, to) = (t("2025-04-01T00:00:00Z"), t("2025-05-01T00:00:00Z"));
    let text = engine.calendar_ics(from, to, &CalendarFilter::default()).unwrap();
    let cal: icalendar::Calendar = text.parse().unwrap();
    let events: Vec<&icalendar::Event> = cal.components.iter().filter_map(|c| c.as_event()).collect();
    let summaries: Vec<_> = events.iter().map(|e| e.get_summary().unwrap()).collect();
    assert_eq!(summaries, ["Hotfix\tpayments; api, web\\cli 🚂\nsecond line", "Easter\tbreak", "Weekend"]);
    assert_eq!(events[2].property_value("RRULE"), Some("FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0;BYSECOND=0"));
    // Filtered by environment: the freeze of prod1 and the one of everything stay.
    let prod1 = CalendarFilter { environments: vec!["prod1".into()], ..Default::default() };
    let filtered = engine.calendar_ics(from, to, &prod1).unwrap();
    assert!(filtered.contains("UID:freeze-weekend@trainyard") && filtered.contains("UID:freeze-easter@trainyard"));
    let staging = CalendarFilter { environments: vec!["staging".into()], ..Default::default() };
    assert!(!engine.calendar_ics(from, to, &staging).unwrap().contains("UID:freeze-weekend@trainyard"));
    // A filter on release attributes leaves freezes out.
    let hotfixes = CalendarFilter { kinds: vec![trainyard::release::ReleaseKind::Hotfix], ..Default::default() };
    assert!(!engine.calendar_ics(from, to, &hotfixes).unwrap().contains("freeze-"));
}

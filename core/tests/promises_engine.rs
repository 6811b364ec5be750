//! What a release promises before and after it runs: automatic retention, archived releases off the
//! calendar, drafts and scheduled releases that can still change, release managers and stakeholders.

use chrono::Duration;
use std::sync::Arc;
use trainyard::access::{Actor, ReleaseLevel};
use trainyard::calendar::CalendarFilter;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{NewRelease, ReleaseChanges};
use trainyard::schedule::{Clock, ManualClock};
use trainyard::{Engine, RetentionPolicy, Timestamp};

const APP_V1: &str = r#"
id: app
inputs:
  version: { type: string, required: true }
  replicas: { type: number, default: 2 }
phases:
  - id: deploy
    activities: [{ id: deploy, kind: automated, executor: x }]
"#;

const APP_V2: &str = r#"
id: app
inputs:
  version: { type: string, required: true }
  region: { type: string, required: true, pattern: '^[a-z]+$' }
phases:
  - id: build
    activities: [{ id: build, kind: automated, executor: x }]
  - id: deploy
    depends_on: [build]
    activities: [{ id: deploy, kind: automated, executor: x }]
"#;

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn engine() -> (Engine, ManualClock) {
    let clock = ManualClock::new(t("2025-04-07T09:00:00Z"));
    let e = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    e.register_executor("x", |_: &Job| Outcome::success());
    e.register_process(APP_V1).unwrap();
    (e, clock)
}

fn inputs(v: serde_json::Value) -> indexmap::IndexMap<String, serde_json::Value> {
    serde_json::from_value(v).unwrap()
}

fn release(e: &Engine, v: serde_json::Value) -> String {
    let new = NewRelease { name: "App".into(), inputs: inputs(v), ..Default::default() };
    e.create_release("app", new, &rita()).unwrap().id
}

fn shipped(e: &Engine) -> String {
    let id = release(e, serde_json::json!({ "version": "1.0.0" }));
    e.activate(&id, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    assert_eq!(e.get_release(&id).unwrap().status.as_str(), "success");
    id
}

#[test]
fn tick_archives_a_release_that_ended_400_days_ago_by_system_and_not_when_turned_off() {
    for automatic in [true, false] {
        let (e, clock) = engine();
        e.set_retention(RetentionPolicy { archive_after: Duration::days(365), automatic });
        let id = shipped(&e);
        clock.advance(Duration::days(400));
        e.tick().unwrap();
        let state = e.get_release(&id).unwrap();
        assert_eq!(state.archived, automatic, "automatic = {automatic}");
        let last = e.history(&id).unwrap().pop().unwrap();
        if automatic {
            assert_eq!((last.kind.name(), last.actor.as_str()), ("archived", "system"));
            assert!(last.comment.unwrap().contains("retention"), "the reason is recorded");
        } else {
            assert_eq!(last.kind.name(), "ended");
        }
    }
}

#[test]
fn retention_runs_once_per_day_of_engine_time() {
    let (e, clock) = engine();
    let old = shipped(&e);
    clock.advance(Duration::days(200));
    let newer = shipped(&e);
    clock.advance(Duration::days(170)); // old ended 370 days ago, newer 170
    e.tick().unwrap();
    assert!(e.get_release(&old).unwrap().archived);
    assert!(!e.get_release(&newer).unwrap().archived);
    // Later the same day nothing runs again, even once `newer` is due under a shorter policy.
    e.set_retention(RetentionPolicy::archiving_after(Duration::days(100)));
    clock.advance(Duration::hours(1));
    e.tick().unwrap();
    assert!(!e.get_release(&newer).unwrap().archived, "retention ran already today");
    clock.advance(Duration::days(1));
    e.tick().unwrap();
    assert!(e.get_release(&newer).unwrap().archived, "the next day it runs");
}

#[test]
fn archived_releases_leave_the_calendar_conflicts_and_export_unless_asked_for() {
    let (e, _clock) = engine();
    let a = release(&e, serde_json::json!({ "version": "1.0.0" }));
    let start = e.clock().now();
    e.schedule(&a, &rita(), start, Some(start + Duration::hours(2)), false).unwrap();
    e.activate(&a, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    e.archive(&a, &rita()).unwrap();
    let (from, to) = (t("2025-04-01T00:00:00Z"), t("2025-05-01T00:00:00Z"));
    assert!(e.calendar(from, to, &CalendarFilter::default()).unwrap().is_empty());
    assert!(!e.calendar_ics(from, to, &CalendarFilter::default()).unwrap().contains(&a));
    let all = CalendarFilter { include_archived: true, ..Default::default() };
    assert_eq!(e.calendar(from, to, &all).unwrap().len(), 1);
    assert!(e.calendar_ics(from, to, &all).unwrap().contains(&a));
    assert!(e.get_release(&a).unwrap().archived, "still read");
    assert_eq!(e.history(&a).unwrap().last().unwrap().kind.name(), "archived");
}

#[test]
fn a_draft_switches_process_version_with_every_problem_listed_and_replays_the_same() {
    let (e, _clock) = engine();
    e.register_process(APP_V2).unwrap();
    let id = release(&e, serde_json::json!({ "version": "1.0.0", "region": "eu" }));
    assert_eq!(e.get_release(&id).unwrap().process_version, 2);
    // Back to v1: `region` is unknown there; plus an empty name and an impossible window.
    let bad = ReleaseChanges {
        version: Some(1),
        name: Some(" ".into()),
        start: Some(t("2025-04-09T09:00:00Z")),
        end: Some(t("2025-04-08T09:00:00Z")),
        release_managers: Some(vec![]),
        ..Default::default()
    };
    let err = e.update_release(&id, &rita(), bad, None).unwrap_err();
    let mut got: Vec<(String, String)> = err.problems().iter().map(|p| (p.path.clone(), p.code.clone())).collect();
    got.sort();
    let want = [
        ("end", "invalid_value"),
        ("inputs.region", "unknown_input"),
        ("name", "missing_field"),
        ("release_managers", "missing_field"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())), "{err}");
    assert_eq!(e.history(&id).unwrap().len(), 1, "nothing was written");
    let unknown = ReleaseChanges { process: Some("nope".into()), ..Default::default() };
    let err = e.update_release(&id, &rita(), unknown, None).unwrap_err();
    assert_eq!((err.code(), err.problems()[0].code.as_str()), ("invalid_input", "unknown_process"), "{err}");

    let back = ReleaseChanges {
        version: Some(1),
        inputs: Some(inputs(serde_json::json!({ "region": null }))),
        ..Default::default()
    };
    e.update_release(&id, &rita(), back, Some("v2 is not approved")).unwrap();
    let s = e.get_release(&id).unwrap();
    assert_eq!((s.process_version, s.phases.len()), (1, 1));
    assert_eq!(serde_json::to_value(&s.inputs).unwrap(), serde_json::json!({ "version": "1.0.0", "replicas": 2 }));
    assert_eq!(e.replay_release(&id).unwrap(), *s, "the event log replays to the same state");
    let last = e.history(&id).unwrap().pop().unwrap();
    assert_eq!((last.actor.as_str(), last.comment.as_deref()), ("rita", Some("v2 is not approved")));
    e.activate(&id, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    assert_eq!(e.get_release(&id).unwrap().status.as_str(), "success");
}

#[test]
fn a_draft_changes_scope_only_to_one_the_actor_manages() {
    let e = Engine::in_memory();
    e.set_release_level(ReleaseLevel::Organization);
    e.register_executor("x", |_: &Job| Outcome::success());
    e.register_process(APP_V1).unwrap();
    let olga = Actor::new("olga").with_roles(["org_release_manager:payments"]);
    let new = NewRelease { name: "P".into(), scope: "org:payments".into(), ..Default::default() };
    let id = e.create_release("app", new, &olga).unwrap().id;
    let to_billing = ReleaseChanges { scope: Some("org:billing".into()), ..Default::default() };
    assert_eq!(e.update_release(&id, &olga, to_billing.clone(), None).unwrap_err().code(), "permission_denied");
    e.update_release(&id, &rita(), to_billing, None).unwrap();
    let s = e.get_release(&id).unwrap();
    assert_eq!(s.scope, "org:billing");
    assert_eq!(s.release_managers, vec!["olga".to_string()], "the creator is its release manager");
    assert!(e.get_release_as(&id, &olga).is_ok(), "named on it, olga still reads it");
    let rename = ReleaseChanges { name: Some("mine".into()), ..Default::default() };
    assert_eq!(e.update_release(&id, &olga, rename, None).unwrap_err().code(), "permission_denied");
    let viewer = Actor::new("pat").with_roles(["viewer:payments"]);
    assert!(e.get_release_as(&id, &viewer).is_err(), "it left the payments org");
}

#[test]
fn a_scheduled_release_is_adjusted_until_it_activates() {
    let (e, clock) = engine();
    let id = release(&e, serde_json::json!({ "version": "1.0.0" }));
    let start = clock.now() + Duration::days(2);
    e.schedule(&id, &rita(), start, None, true).unwrap();
    let frozen =
        ReleaseChanges { kind: Some("hotfix".parse().unwrap()), process: Some("app".into()), ..Default::default() };
    let err = e.update_release(&id, &rita(), frozen, None).unwrap_err();
    let codes: Vec<&str> = err.problems().iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["not_changeable", "not_changeable"], "{err}");
    let earlier = ReleaseChanges {
        start: Some(clock.now() + Duration::days(1)),
        stakeholders: Some(vec!["sam".into()]),
        ..Default::default()
    };
    e.update_release(&id, &rita(), earlier, Some("moved up")).unwrap();
    clock.advance(Duration::days(1));
    e.run_until_idle(100).unwrap();
    let s = e.get_release(&id).unwrap();
    assert_eq!(s.status.as_str(), "success", "activated at the new start");
    assert_eq!(s.stakeholders, vec!["sam".to_string()]);
    let rename = ReleaseChanges { name: Some("late".into()), ..Default::default() };
    assert_eq!(e.update_release(&id, &rita(), rename, None).unwrap_err().code(), "invalid_transition");
}

#[test]
fn stakeholders_read_what_their_roles_would_not_let_them() {
    let (e, _clock) = engine();
    let new = NewRelease {
        name: "App".into(),
        inputs: inputs(serde_json::json!({ "version": "1.0.0" })),
        stakeholders: vec!["sam".into(), "finance".into()],
        ..Default::default()
    };
    let id = e.create_release("app", new, &rita()).unwrap().id;
    assert!(e.get_release_as(&id, &Actor::new("sam")).is_ok());
    assert!(e.get_release_as(&id, &Actor::new("fay").with_groups(["finance"])).is_ok());
    assert_eq!(e.get_release_as(&id, &Actor::new("vic")).unwrap_err().code(), "permission_denied");
    assert_eq!(e.list_releases_as(&Default::default(), &Actor::new("sam")).unwrap().len(), 1);
    let sam_acts = e.activate(&id, &Actor::new("sam")).unwrap_err();
    assert_eq!(sam_acts.code(), "permission_denied", "reading is not managing");
}

#[test]
fn a_switched_draft_reloads_from_the_store_on_its_new_process_despite_an_older_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("switch.db").display());
    let clock = Arc::new(ManualClock::new(t("2025-04-07T09:00:00Z")));
    let e = Engine::open_with(&url, clock.clone()).unwrap();
    e.set_snapshot_every(1);
    e.register_process(APP_V1).unwrap();
    e.register_process(APP_V2).unwrap();
    let id = release(&e, serde_json::json!({ "version": "1.0.0", "region": "eu" }));
    e.update_release(&id, &rita(), ReleaseChanges { name: Some("snapshotted".into()), ..Default::default() }, None)
        .unwrap();
    let back = ReleaseChanges {
        version: Some(1),
        inputs: Some(inputs(serde_json::json!({ "region": null }))),
        ..Default::default()
    };
    e.update_release(&id, &rita(), back, None).unwrap();
    let live = e.get_release(&id).unwrap();
    drop(e);
    let fresh = Engine::open_with(&url, clock).unwrap();
    let loaded = fresh.get_release(&id).unwrap();
    assert_eq!((loaded.process_version, loaded.phases.len()), (1, 1));
    assert_eq!(loaded, live, "loaded from the store = the state it was committed with");
}

//! Forecasts through the engine: a first release forecast from planned durations, a second one
//! from the first one's history, running phases against the clock, access and unknown releases.

use chrono::Duration;
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::NewRelease;
use trainyard::report::Basis;
use trainyard::schedule::ManualClock;
use trainyard::{Engine, Error};

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn start() -> chrono::DateTime<chrono::Utc> {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

const TRAIN: &str = r#"
id: train
phases:
  - id: build
    duration: 1h
    activities: [{ id: compile, kind: automated, executor: x }]
  - id: qa
    depends_on: [build]
    duration: 2h
    activities: [{ id: signoff, kind: approval, approvers: [{ group: qa }] }]
  - id: prod
    depends_on: [qa]
    duration: 30m
    activities: [{ id: deploy, kind: automated, executor: x }]
"#;

fn yard() -> (Engine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start()));
    let engine = Engine::in_memory_with_clock(clock.clone());
    engine.register_executor("x", |_: &Job| Outcome::success());
    engine.register_process(TRAIN).unwrap();
    (engine, clock)
}

/// A release scheduled from now to `hours` later, activated and run until it waits for qa.
fn started(engine: &Engine, clock: &ManualClock, name: &str, hours: i64) -> String {
    let new = NewRelease { name: name.into(), ..Default::default() };
    let id = engine.create_release("train", new, &rita()).unwrap().id;
    let now = trainyard::schedule::Clock::now(clock);
    engine.schedule(&id, &rita(), now, Some(now + Duration::hours(hours)), false).unwrap();
    engine.activate(&id, &rita()).unwrap();
    engine.run_until_idle(100).unwrap();
    id
}

fn approve(engine: &Engine, id: &str) {
    let quinn = Actor::new("quinn").with_groups(["qa"]);
    engine.approve(id, "qa", "signoff", &quinn, None).unwrap();
    engine.run_until_idle(100).unwrap();
}

#[test]
fn a_release_is_forecast_from_its_plan_then_from_the_history_of_earlier_releases() {
    let (engine, clock) = yard();
    let first = started(&engine, &clock, "Week 15", 4);
    // build ended at once (actual 0s); qa runs with 2h planned, prod 30m: 11:30.
    let f = engine.forecast(&first).unwrap();
    assert_eq!(f.critical_path, ["build", "qa", "prod"]);
    assert_eq!(f.phases[0].basis, Basis::Actual);
    assert_eq!(f.phases[1].basis, Basis::Planned);
    assert_eq!(f.expected_end, Some(start() + Duration::minutes(150)));
    assert_eq!(f.planned_end, Some(start() + Duration::hours(4)));
    assert!(!f.at_risk);
    // Four hours later qa still waits: it ends now at the earliest, prod after it.
    clock.advance(Duration::hours(4));
    let f = engine.forecast(&first).unwrap();
    assert_eq!(f.expected_end, Some(start() + Duration::minutes(270)));
    assert!(f.at_risk, "13:00 + 30m is past the planned 13:00");
    assert_eq!(f.late_secs, Some(1800));
    approve(&engine, &first);
    let f = engine.forecast(&first).unwrap();
    assert_eq!(f.expected_end, Some(start() + Duration::hours(4)), "it ended: its actual end");

    // The second release's qa is expected to take what the first one's took (4h), not 2h.
    clock.advance(Duration::days(7));
    let second = started(&engine, &clock, "Week 16", 5);
    let f = engine.forecast(&second).unwrap();
    let qa = &f.phases[1];
    assert_eq!((qa.basis, qa.expected_secs, qa.history_runs), (Basis::History, Some(4 * 3600), 1));
    assert_eq!(f.phases[2].basis, Basis::History);
    assert_eq!(f.phases[2].expected_secs, Some(0), "prod took no time in the first release");
    let now = start() + Duration::hours(4) + Duration::days(7);
    assert_eq!(f.expected_end, Some(now + Duration::hours(4)));
    assert!(!f.at_risk);
}

#[test]
fn forecast_as_follows_the_read_rules_and_an_unknown_release_is_not_found() {
    let (engine, clock) = yard();
    let id = started(&engine, &clock, "Week 15", 4);
    let stranger = Actor::new("stranger");
    assert!(matches!(engine.forecast_as(&id, &stranger), Err(Error::PermissionDenied { .. })));
    assert_eq!(engine.forecast_as(&id, &rita()).unwrap(), engine.forecast(&id).unwrap());
    let err = engine.forecast("no-such-release").unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[test]
fn the_history_is_the_last_twenty_ended_releases_of_the_process_on_sqlite_too() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(start()));
    let store = trainyard::store::SqliteStore::open(dir.path().join("f.db")).unwrap();
    let engine = Engine::new(Arc::new(store), clock.clone());
    engine.register_executor("x", |_: &Job| Outcome::success());
    engine.register_process(TRAIN).unwrap();
    // 130 releases (more than one page of the index) whose qa waited 1h, 2h, …, 130h: the last
    // 20 to end waited 111h to 130h (median 120.5h).
    let mut first = String::new();
    for hours in 1..=130 {
        let id = started(&engine, &clock, &format!("r{hours}"), 1000);
        clock.advance(Duration::hours(hours));
        approve(&engine, &id);
        clock.advance(Duration::hours(1));
        if hours == 1 {
            first = id;
        }
    }
    // The first one is archived now: updated last, it still ended first, so it is not history.
    engine.archive(&first, &rita()).unwrap();
    let next = started(&engine, &clock, "next", 100);
    let f = engine.forecast(&next).unwrap();
    let qa = &f.phases[1];
    assert_eq!(qa.history_runs, 20);
    assert_eq!(qa.expected_secs, Some(120 * 3600 + 1800));
}

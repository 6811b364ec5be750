//! A `wait` activity's `duration` may be an expression (like `until`), and every duration is bounded:
//! a duration beyond 100 years is refused where it is written (definition or expression result), so a
//! timer never overflows the calendar.

use serde_json::json;
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::release::NewRelease;
use trainyard::schedule::ManualClock;
use trainyard::{Engine, Timestamp};

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn t0() -> Timestamp {
    "2025-06-02T09:00:00Z".parse().unwrap()
}

fn engine(process: &str) -> (Engine, ManualClock) {
    let clock = ManualClock::new(t0());
    let e = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    e.register_process(process).unwrap();
    (e, clock)
}

const SOAK: &str = r#"
id: soak
inputs:
  soak: { type: string, default: "2h" }
  soak_minutes: { type: number, default: 30 }
  use_minutes: { type: boolean, default: false }
phases:
  - id: prod
    activities:
      - id: wait
        kind: wait
        duration: "${inputs.use_minutes ? string(int(inputs.soak_minutes) * 60) : inputs.soak}"
"#;

fn start(e: &Engine, inputs: serde_json::Value) -> String {
    let new = NewRelease { name: "r".into(), inputs: serde_json::from_value(inputs).unwrap(), ..Default::default() };
    let r = e.create_release("soak", new, &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    r.id
}

/// The `due` recorded when the wait started.
fn wait_due(e: &Engine, id: &str) -> Option<Timestamp> {
    let started = e
        .history(id)
        .unwrap()
        .into_iter()
        .map(|ev| serde_json::to_value(ev).unwrap())
        .find(|ev| ev["type"] == "activity_started" || ev["kind"] == "activity_started");
    let started = started.unwrap_or_else(|| panic!("no activity_started in {:?}", e.history(id).unwrap()));
    let due = started.get("due").or_else(|| started.pointer("/data/due")).cloned().unwrap_or_default();
    due.as_str().map(|t| t.parse().unwrap())
}

#[test]
fn a_wait_duration_given_by_an_expression_sets_its_timer_from_the_result() {
    let (e, clock) = engine(SOAK);
    let id = start(&e, json!({ "soak": "1h 30m" }));
    let s = e.get_release(&id).unwrap();
    let wait = s.activity("prod", "wait").unwrap();
    assert_eq!(wait.status.as_str(), "running");
    assert_eq!(wait_due(&e, &id), Some("2025-06-02T10:30:00Z".parse().unwrap()));
    clock.advance(chrono::Duration::seconds(90 * 60 - 1));
    e.tick().unwrap();
    assert_eq!(e.get_release(&id).unwrap().activity("prod", "wait").unwrap().status.as_str(), "running");
    clock.advance(chrono::Duration::seconds(1));
    e.tick().unwrap();
    assert_eq!(e.get_release(&id).unwrap().activity("prod", "wait").unwrap().status.as_str(), "success");
}

#[test]
fn an_expression_may_give_whole_seconds_as_text() {
    let (e, _) = engine(SOAK);
    let id = start(&e, json!({ "use_minutes": true, "soak_minutes": 5 }));
    assert_eq!(wait_due(&e, &id), Some("2025-06-02T09:05:00Z".parse().unwrap()));
}

#[test]
fn an_expression_that_gives_no_duration_fails_the_activity_saying_what_would_be_valid() {
    let (e, _) = engine(SOAK);
    for (soak, why) in [("soon", "not a duration"), ("5000000w", "100 years")] {
        let id = start(&e, json!({ "soak": soak }));
        let wait = e.get_release(&id).unwrap().activity("prod", "wait").unwrap().clone();
        assert_eq!(wait.status.as_str(), "on_hold", "the default policy holds it for a decision: {soak}: {wait:?}");
        let error = wait.error.unwrap_or_default();
        assert!(error.starts_with("expression_error") && error.contains(why), "{soak}: {error}");
    }
}

#[test]
fn an_expression_duration_is_checked_like_any_other_expression() {
    let bad = SOAK.replace("inputs.soak}", "inputs.nope}");
    let err = Engine::in_memory().register_process(&bad).unwrap_err();
    let p = err.problems().iter().find(|p| p.path.ends_with("duration")).unwrap_or_else(|| panic!("{err}"));
    assert_eq!(p.code, "unknown_reference", "{err}");
    let both = SOAK.replace("duration:", "until: \"2030-01-01T00:00:00Z\"\n        duration:");
    let err = Engine::in_memory().register_process(&both).unwrap_err();
    assert!(err.problems().iter().any(|p| p.code == "field_not_allowed"), "{err}");
}

#[test]
fn durations_beyond_a_hundred_years_are_refused_in_definitions() {
    let cases = [
        ("wait", "duration: 5300w"),
        ("automated, executor: x", "timeout: 99999999999w"),
        ("approval, approvers: [{ user: a }]", "deadline: 40000d"),
    ];
    for (kind, field) in cases {
        let text =
            format!("id: huge\nphases:\n  - id: p\n    activities:\n      - {{ id: a, kind: {kind}, {field} }}\n");
        let err = Engine::in_memory().register_process(&text).unwrap_err();
        let p = err.problems().iter().find(|p| p.code == "bad_duration").unwrap_or_else(|| panic!("{field}: {err}"));
        assert!(p.message.contains("100 years"), "{field}: {}", p.message);
    }
}

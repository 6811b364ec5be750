//! Allowed windows (`mode: allow` freezes): what they cover runs only inside their windows.
//! Outside, manual activation is refused (an account release manager may force it), automated
//! work of a running release waits `queued` until the next window opens, and the calendar
//! reports releases planned outside every window; several windows on one resource add up.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::calendar::{CalendarFilter, ConflictKind};
use trainyard::executor::{Job, Outcome};
use trainyard::release::NewRelease;
use trainyard::schedule::{Freeze, ManualClock, Resource, frozen, outside_allowed};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

/// Prod deploys Tuesday to Thursday, 10:00–16:00 Berlin time.
const MIDWEEK: &str = "id: midweek
name: Prod deploys Tue-Thu 10-16
mode: allow
start: 2025-04-01T10:00:00+02:00
environments: [prod1]
recurrence: { cadence: { every: week, on: [tuesday, wednesday, thursday], at: '10:00' }, timezone: Europe/Berlin, duration: 6h }
";

/// A one-off extra window on Saturday 5 April, 09:00–11:00 UTC.
const SATURDAY: &str = "id: saturday
name: Saturday maintenance
mode: allow
start: 2025-04-05T09:00:00Z
end: 2025-04-05T11:00:00Z
environments: [prod1]
";

fn freeze(text: &str) -> Freeze {
    Freeze::from_text(text).unwrap()
}

#[test]
fn outside_every_allowed_window_a_resource_is_frozen_until_the_next_one_opens() {
    let prod1 = Resource::environment("prod1");
    let windows = [freeze(MIDWEEK)];
    // Monday 7 April 12:00 UTC: closed until Tuesday 10:00 Berlin (08:00 UTC).
    let w = frozen(&windows, &prod1, t("2025-04-07T12:00:00Z")).expect("closed on Monday");
    assert_eq!((w.freeze_id.as_str(), w.end), ("midweek", t("2025-04-08T08:00:00Z")));
    assert!(w.name.contains("outside the allowed window"), "{}", w.name);
    assert!(frozen(&windows, &prod1, t("2025-04-08T09:00:00Z")).is_none(), "open on Tuesday 11:00 Berlin");
    assert_eq!(frozen(&windows, &prod1, t("2025-04-08T14:00:00Z")).unwrap().end, t("2025-04-09T08:00:00Z"));
    assert!(frozen(&windows, &Resource::environment("staging"), t("2025-04-07T12:00:00Z")).is_none());
    // A second window adds up: inside either is enough, and the earliest opening ends the wait.
    let both = [freeze(MIDWEEK), freeze(SATURDAY)];
    assert!(outside_allowed(&both, &prod1, t("2025-04-05T10:00:00Z")).is_none());
    assert_eq!(outside_allowed(&both, &prod1, t("2025-04-04T16:00:00Z")).unwrap().end, t("2025-04-05T09:00:00Z"));
    // A block freeze still applies inside an allowed window.
    let block = freeze(
        "id: incident\nname: Incident\nstart: 2025-04-08T08:00:00Z\nend: 2025-04-08T12:00:00Z\nenvironments: [prod1]\n",
    );
    let w = frozen(&[freeze(MIDWEEK), block], &prod1, t("2025-04-08T09:00:00Z")).unwrap();
    assert_eq!((w.freeze_id.as_str(), w.end), ("incident", t("2025-04-08T12:00:00Z")));
}

#[test]
fn a_bad_mode_is_refused_with_the_other_problems() {
    let err = Freeze::from_text("id: x\nname: X\nmode: sometimes\nstart: 2025-04-01T00:00:00Z\n").unwrap_err();
    let paths: Vec<String> = err.problems().iter().map(|p| p.path.clone()).collect();
    assert!(paths.contains(&"mode".to_string()) && paths.contains(&"end".to_string()), "{paths:?}");
}

fn engine_at(now: &str) -> (Engine, ManualClock) {
    let clock = ManualClock::new(t(now));
    let engine = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    engine.register_process(&std::fs::read_to_string(root.join("examples/processes/hotfix.yaml")).unwrap()).unwrap();
    engine.register_executor("command", |_: &Job| Outcome::with_outputs([("artifact", "fix.tgz")]));
    (engine, clock)
}

fn hotfix(engine: &Engine, env: &str) -> String {
    let inputs =
        [("version".to_string(), serde_json::json!("2.1.4")), ("environment".to_string(), serde_json::json!(env))];
    let new = NewRelease { name: "Hotfix 2.1.4".into(), inputs: inputs.into_iter().collect(), ..Default::default() };
    engine.create_release("hotfix", new, &rita()).unwrap().id
}

#[test]
fn outside_the_window_activation_is_refused_and_scheduled_work_waits_for_it() {
    let (engine, clock) = engine_at("2025-04-07T12:00:00Z"); // Monday
    engine.add_freeze(freeze(MIDWEEK), &rita()).unwrap();
    let r = hotfix(&engine, "prod1");
    let err = engine.activate(&r, &rita()).unwrap_err();
    assert_eq!(err.code(), "schedule");
    assert!(err.to_string().contains("midweek"), "{err}");
    assert!(engine.activate(&hotfix(&engine, "prod2"), &rita()).is_ok(), "prod2 is not covered");

    // Scheduled for Monday 13:00 UTC with auto start: it activates, its build waits queued until
    // Tuesday 10:00 Berlin.
    let s = hotfix(&engine, "prod1");
    engine.schedule(&s, &rita(), t("2025-04-07T13:00:00Z"), None, true).unwrap();
    clock.set(t("2025-04-07T13:00:00Z"));
    engine.run_until_idle(100).unwrap();
    let build = |e: &Engine| e.get_release(&s).unwrap().activity("build", "build").unwrap().status.as_str().to_string();
    assert_eq!(build(&engine), "queued");
    assert!(engine.history(&s).unwrap().iter().any(|e| e.kind.name() == "activity_frozen"));
    clock.set(t("2025-04-08T07:59:00Z"));
    engine.run_until_idle(100).unwrap();
    assert_eq!(build(&engine), "queued");
    clock.set(t("2025-04-08T08:00:00Z"));
    engine.run_until_idle(100).unwrap();
    assert_eq!(build(&engine), "success", "the window opened");

    // A forced activation outside the window is recorded.
    let f = hotfix(&engine, "prod1");
    clock.set(t("2025-04-08T16:00:00Z"));
    assert_eq!(engine.activate(&f, &rita()).unwrap_err().code(), "schedule");
    engine.activate_forced(&f, &rita()).unwrap();
}

#[test]
fn the_calendar_reports_releases_planned_outside_every_allowed_window() {
    let (engine, _clock) = engine_at("2025-04-01T00:00:00Z");
    engine.add_freeze(freeze(MIDWEEK), &rita()).unwrap();
    let monday = hotfix(&engine, "prod1");
    engine.schedule(&monday, &rita(), t("2025-04-07T09:00:00Z"), Some(t("2025-04-07T10:00:00Z")), false).unwrap();
    let tuesday = hotfix(&engine, "prod1");
    engine.schedule(&tuesday, &rita(), t("2025-04-08T09:00:00Z"), Some(t("2025-04-08T10:00:00Z")), false).unwrap();
    let (from, to) = (t("2025-04-01T00:00:00Z"), t("2025-04-30T00:00:00Z"));
    let conflicts = engine.conflicts(from, to).unwrap();
    let freeze_conflicts: Vec<_> = conflicts.iter().filter(|c| c.kind == ConflictKind::Freeze).collect();
    assert_eq!(freeze_conflicts.len(), 1, "{conflicts:?}");
    let c = freeze_conflicts[0];
    assert_eq!((c.release_ids[0].as_str(), c.freeze_id.as_deref()), (monday.as_str(), Some("midweek")));
    assert_eq!(
        (c.resource.as_str(), c.start, c.end),
        ("environment:prod1", t("2025-04-07T09:00:00Z"), t("2025-04-07T10:00:00Z"))
    );
    let ics = engine.calendar_ics(from, to, &CalendarFilter::default()).unwrap();
    assert!(ics.contains("SUMMARY:Allowed: Prod deploys Tue-Thu 10-16"), "{ics}");
    assert!(ics.contains("X-TRAINYARD-KIND:allowed-window") && ics.contains("TRANSP:TRANSPARENT"));
}

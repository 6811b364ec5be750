//! Times the engine records and hands out: a job's deadline counts from when its attempt starts
//! (not from when it was queued), and a timer that fires late is stamped with the time it fired,
//! recording when it was due.

use std::sync::{Arc, Mutex};
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{EventKind, NewRelease, TimerKey};
use trainyard::schedule::{Clock, ManualClock};
use trainyard::{Engine, Timestamp};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

#[test]
fn a_job_deadline_counts_from_when_it_starts() {
    let clock = ManualClock::new(t("2025-04-07T13:00:00Z"));
    let engine = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    let seen: Arc<Mutex<Vec<Option<Timestamp>>>> = Arc::default();
    let log = seen.clone();
    engine.register_executor("deploy", move |job: &Job| {
        log.lock().unwrap().push(job.deadline);
        Outcome::success()
    });
    engine
        .register_process(
            "id: deploy\nphases:\n  - id: prod\n    activities:\n      - { id: roll, kind: automated, executor: deploy, timeout: 15m, on_failure: rollback }\nrollback:\n  - id: undo\n    activities: [{ id: revert, kind: manual }]\n",
        )
        .unwrap();
    let r = engine.create_release("deploy", NewRelease { name: "r".into(), ..Default::default() }, &rita()).unwrap();
    engine.activate(&r.id, &rita()).unwrap(); // queued at 13:00; jobs run when the engine ticks
    clock.advance(chrono::Duration::minutes(30));
    engine.run_until_idle(10).unwrap(); // picked up at 13:30
    assert_eq!(*seen.lock().unwrap(), vec![Some(t("2025-04-07T13:45:00Z"))], "15 minutes from the start");
    assert_eq!(engine.get_release(&r.id).unwrap().status.as_str(), "success");
    let started = engine
        .history(&r.id)
        .unwrap()
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::ActivityStarted { due, .. } => Some((e.at, due)),
            _ => None,
        })
        .unwrap();
    assert_eq!(started, (t("2025-04-07T13:30:00Z"), Some(t("2025-04-07T13:45:00Z"))));
}

#[test]
fn a_late_tick_stamps_the_activation_with_the_time_it_happened_and_records_when_it_was_due() {
    let clock = ManualClock::new(t("2025-04-07T09:00:00Z"));
    let engine = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    engine.register_process("id: later\nphases:\n  - id: a\n    activities: [{ id: ok, kind: manual }]\n").unwrap();
    let r = engine.create_release("later", NewRelease { name: "r".into(), ..Default::default() }, &rita()).unwrap();
    engine.schedule(&r.id, &rita(), t("2025-04-08T09:00:00Z"), None, true).unwrap();
    clock.set(t("2025-04-29T10:30:00Z")); // nobody ticked for three weeks
    engine.run_until_idle(10).unwrap();
    let history = engine.history(&r.id).unwrap();
    let fired = history.iter().find(|e| matches!(e.kind, EventKind::TimerFired { .. })).unwrap();
    assert_eq!(fired.at, t("2025-04-29T10:30:00Z"), "stamped when it fired");
    assert_eq!(fired.kind, EventKind::TimerFired { timer: TimerKey::Activation, due: Some(t("2025-04-08T09:00:00Z")) });
    let activated = history.iter().find(|e| matches!(e.kind, EventKind::Activated { .. })).unwrap();
    assert_eq!(activated.at, t("2025-04-29T10:30:00Z"));
    let state = engine.get_release(&r.id).unwrap();
    assert_eq!(state.started_at, Some(t("2025-04-29T10:30:00Z")));
    assert_eq!(state.schedule.as_ref().unwrap().start, t("2025-04-08T09:00:00Z"), "the planned start is kept");
}

/// An executor that answers `Started` and reports later: the attempt ends when its outcome was
/// reached (`complete_job_at`), not when the report was committed, so a `not_before` counted
/// from the phase's end opens on time.
#[test]
fn an_outcome_reported_late_is_stamped_with_the_time_it_was_reached() {
    let clock = ManualClock::new(t("2025-04-07T09:00:00Z"));
    let engine = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    let jobs: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = jobs.clone();
    engine.register_executor("deploy", move |job: &Job| {
        log.lock().unwrap().push(job.id.clone());
        Outcome::Started
    });
    engine
        .register_process(
            "id: weekly\nphases:\n  - id: deploy\n    activities: [{ id: rollout, kind: automated, executor: deploy }]\n  - id: signoff\n    depends_on: [deploy]\n    not_before: 1d\n    activities: [{ id: qa, kind: manual }]\n",
        )
        .unwrap();
    let r = engine.create_release("weekly", NewRelease { name: "r".into(), ..Default::default() }, &rita()).unwrap();
    engine.activate(&r.id, &rita()).unwrap();
    engine.run_until_idle(10).unwrap();
    let job = jobs.lock().unwrap()[0].clone();
    let settled = clock.now(); // the outcome is reached at 09:00 …
    clock.advance(chrono::Duration::days(1)); // … and committed a day later
    let future = engine.complete_job_at(&job, Outcome::success(), t("2025-04-09T00:00:00Z")).unwrap_err();
    assert_eq!(future.code(), "invalid_input", "an outcome from the future is refused");
    assert_eq!(engine.get_release(&r.id).unwrap().status.as_str(), "running", "a refused report changes nothing");
    engine.complete_job_at(&job, Outcome::success(), settled).unwrap();
    let succeeded = engine
        .history(&r.id)
        .unwrap()
        .into_iter()
        .find(|e| matches!(e.kind, EventKind::ActivitySucceeded { .. }))
        .unwrap();
    assert_eq!(succeeded.at, t("2025-04-07T09:00:00Z"));
    let state = engine.get_release(&r.id).unwrap();
    assert_eq!(state.view().phases[0].ended_at, Some(t("2025-04-07T09:00:00Z")));
    engine.run_until_idle(10).unwrap();
    assert_eq!(engine.get_release(&r.id).unwrap().status.as_str(), "on_hold", "not_before 1d passed: signoff waits");
}

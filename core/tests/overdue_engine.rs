//! `phase_overdue`: a running phase that passes its planned `duration` notifies its people once
//! (a timer set by `phase_started`, fired by `tick`); a phase that ends in time notifies nobody.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::notify::{Notification, NotificationKind};
use trainyard::release::{EventKind, NewRelease, TimerKey};
use trainyard::schedule::ManualClock;

const PROCESS: &str = include_str!("../../testdata/processes/canary-then-prod.yaml");

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn start() -> DateTime<Utc> {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

#[test]
fn a_phase_past_its_duration_notifies_once_and_one_that_ends_in_time_does_not() {
    let clock = ManualClock::new(start());
    let engine = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    engine.register_process(PROCESS).unwrap();
    let seen: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let sink = seen.clone();
    engine.subscribe(move |n: &Notification| {
        sink.lock().unwrap().push(n.clone());
        Ok(())
    });
    let id =
        engine.create_release("rollout", NewRelease { name: "w15".into(), ..Default::default() }, &rita()).unwrap().id;
    engine.activate(&id, &rita()).unwrap();
    let overdue = |seen: &Mutex<Vec<Notification>>| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|n| n.kind == NotificationKind::PhaseOverdue)
            .map(|n| (n.phase.clone().unwrap(), n.recipients.clone(), n.at))
            .collect::<Vec<_>>()
    };
    let state = engine.get_release(&id).unwrap();
    assert_eq!(
        state.timers.get(&TimerKey::PhaseOverdue { phase: "canary".into() }),
        Some(&(start() + Duration::hours(1)))
    );
    clock.advance(Duration::minutes(59));
    engine.tick().unwrap();
    assert!(overdue(&seen).is_empty(), "not yet overdue");
    clock.advance(Duration::minutes(2));
    engine.tick().unwrap();
    engine.tick().unwrap();
    assert_eq!(overdue(&seen), [("canary".to_string(), vec!["sre".to_string()], start() + Duration::minutes(61))]);
    // prod starts now and ends within its 2h: its timer goes with it.
    engine.complete_manual(&id, "canary", "watch", &Actor::new("sre"), Default::default()).unwrap();
    let prod_due =
        engine.get_release(&id).unwrap().timers.get(&TimerKey::PhaseOverdue { phase: "prod".into() }).copied();
    assert_eq!(prod_due, Some(start() + Duration::minutes(61) + Duration::hours(2)));
    clock.advance(Duration::hours(1));
    engine.complete_manual(&id, "prod", "deploy", &rita(), Default::default()).unwrap();
    clock.advance(Duration::hours(3));
    engine.tick().unwrap();
    assert_eq!(overdue(&seen).len(), 1, "a phase that ended in time is never overdue");
    let state = engine.get_release(&id).unwrap();
    assert!(state.timers.is_empty(), "{:?}", state.timers.iter().collect::<Vec<_>>());
    assert_eq!(state.status.as_str(), "success");
    // The due time is in the event, so a replay is exact.
    let started: Vec<_> = engine
        .history(&id)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::PhaseStarted { phase, overdue_at, .. } => Some((phase, overdue_at)),
            _ => None,
        })
        .collect();
    assert_eq!(started[0], ("canary".to_string(), Some(start() + Duration::hours(1))));
    assert_eq!(engine.replay_release(&id).unwrap(), *state);
}

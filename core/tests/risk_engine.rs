//! `release_at_risk`: a running release with a planned end is assessed against its forecast after
//! every phase-level change and at its `risk_check` timer; turning at risk records one
//! `risk_assessed` event, sets `at_risk` and notifies its people and stakeholders once.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::notify::{Notification, NotificationKind};
use trainyard::release::{EventKind, NewRelease, TimerKey};
use trainyard::schedule::{Clock, ManualClock};

const PROCESS: &str = include_str!("../../testdata/processes/canary-then-prod.yaml");

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn nine() -> DateTime<Utc> {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

fn at(h: i64, m: i64, s: i64) -> DateTime<Utc> {
    nine() + Duration::hours(h - 9) + Duration::minutes(m) + Duration::seconds(s)
}

struct World {
    clock: ManualClock,
    engine: Engine,
    seen: Arc<Mutex<Vec<Notification>>>,
}

fn world(engine: impl FnOnce(Arc<dyn Clock>) -> Engine) -> World {
    let clock = ManualClock::new(nine());
    let engine = engine(Arc::new(clock.clone()));
    engine.register_process(PROCESS).unwrap();
    let seen: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let sink = seen.clone();
    engine.subscribe(move |n: &Notification| {
        sink.lock().unwrap().push(n.clone());
        Ok(())
    });
    World { clock, engine, seen }
}

impl World {
    /// A release started now that must end `minutes` later (none: no planned end).
    fn start(&self, name: &str, minutes: Option<i64>) -> String {
        let new = NewRelease { name: name.into(), stakeholders: vec!["vp".into()], ..Default::default() };
        let id = self.engine.create_release("rollout", new, &rita()).unwrap().id;
        if let Some(m) = minutes {
            let now = self.clock.now();
            self.engine.schedule(&id, &rita(), now, Some(now + Duration::minutes(m)), false).unwrap();
        }
        self.engine.activate(&id, &rita()).unwrap();
        id
    }

    fn at_risk_notices(&self) -> Vec<(String, Vec<String>, DateTime<Utc>)> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|n| n.kind == NotificationKind::ReleaseAtRisk)
            .map(|n| (n.release_id.clone(), n.recipients.clone(), n.at))
            .collect()
    }

    fn assessments(&self, id: &str) -> Vec<(bool, Option<DateTime<Utc>>)> {
        let history = self.engine.history(id).unwrap();
        history
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::RiskAssessed { at_risk, check_at, .. } => Some((at_risk, check_at)),
                _ => None,
            })
            .collect()
    }

    /// Completes a manual activity as its phase's people (canary belongs to `sre`).
    fn finish(&self, id: &str, phase: &str, activity: &str) {
        let by = if phase == "canary" { Actor::new("sre") } else { rita() };
        self.engine.complete_manual(id, phase, activity, &by, Default::default()).unwrap();
    }
}

fn uses_up_its_slack(w: &World) {
    // Planned: canary 1h + prod 2h = 12:00; the planned end 12:30 leaves 30 minutes of slack.
    let id = w.start("w15", Some(210));
    // Not at risk; it would be once canary runs 30 minutes past its hour.
    assert_eq!(w.assessments(&id), [(false, Some(at(10, 30, 1)))]);
    let state = w.engine.get_release(&id).unwrap();
    assert_eq!(state.timers.get(&TimerKey::RiskCheck), Some(&at(10, 30, 1)));
    assert!(!state.at_risk);
    w.clock.set(at(10, 30, 0));
    w.engine.tick().unwrap();
    assert!(w.at_risk_notices().iter().all(|n| n.0 != id), "not at risk yet");
    w.clock.set(at(10, 30, 2));
    w.engine.tick().unwrap();
    w.engine.tick().unwrap();
    let notices: Vec<_> = w.at_risk_notices().into_iter().filter(|n| n.0 == id).collect();
    assert_eq!(notices, [(id.clone(), vec!["rita".to_string(), "vp".to_string()], at(10, 30, 2))]);
    let state = w.engine.get_release(&id).unwrap();
    assert!(state.at_risk && state.view().at_risk);
    assert_eq!(state.timers.get(&TimerKey::RiskCheck), None);
    assert_eq!(w.assessments(&id), [(false, Some(at(10, 30, 1))), (true, None)]);
    // canary ends now and prod starts: still expected after 12:30, nothing new to say.
    w.finish(&id, "canary", "watch");
    w.clock.set(at(11, 0, 0));
    w.finish(&id, "prod", "deploy");
    let state = w.engine.get_release(&id).unwrap();
    assert_eq!(state.status.as_str(), "success");
    assert!(state.at_risk, "the last assessment is kept");
    assert!(state.timers.is_empty());
    assert_eq!(w.at_risk_notices().iter().filter(|n| n.0 == id).count(), 1);
    assert_eq!(w.engine.replay_release(&id).unwrap(), *state);
}

#[test]
fn a_release_that_uses_up_its_slack_turns_at_risk_once_in_memory() {
    uses_up_its_slack(&world(Engine::in_memory_with_clock));
}

#[test]
fn a_release_that_uses_up_its_slack_turns_at_risk_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("risk.db").display());
    uses_up_its_slack(&world(|clock| Engine::open_with(&url, clock).unwrap()));
}

#[test]
fn slow_history_puts_a_new_release_at_risk_when_it_starts() {
    let w = world(Engine::in_memory_with_clock);
    // A release assessed before any history exists reads (and keeps) an empty one...
    let early = w.start("early", Some(240));
    // 3h planned of 4h: canary may run an hour late, until 11:00.
    assert_eq!(w.assessments(&early), [(false, Some(at(11, 0, 1)))]);
    // ...then two releases without a planned end (never assessed) take 3h in prod...
    for name in ["slow-1", "slow-2"] {
        let id = w.start(name, None);
        w.clock.advance(Duration::hours(1));
        w.finish(&id, "canary", "watch");
        w.clock.advance(Duration::hours(3));
        w.finish(&id, "prod", "deploy");
        assert!(w.assessments(&id).is_empty());
        assert!(!w.engine.get_release(&id).unwrap().timers.contains_key(&TimerKey::RiskCheck));
    }
    // ...and their ends dropped the kept history: a release planned for 3h 30m is at risk at
    // once (canary 1h planned, prod 3h by history).
    let started = w.clock.now();
    let late = w.start("late", Some(210));
    assert_eq!(w.assessments(&late), [(true, None)]);
    let notices: Vec<_> = w.at_risk_notices().into_iter().filter(|n| n.0 == late).collect();
    assert_eq!(notices, [(late.clone(), vec!["rita".to_string(), "vp".to_string()], started)]);
    let forecast = w.engine.forecast(&late).unwrap();
    assert!(forecast.at_risk);
    assert_eq!(forecast.expected_end, Some(started + Duration::hours(4)));
}

#[test]
fn a_release_without_a_planned_end_is_never_assessed() {
    let w = world(Engine::in_memory_with_clock);
    let id = w.start("open-ended", None);
    w.clock.advance(Duration::hours(10));
    w.engine.tick().unwrap();
    w.finish(&id, "canary", "watch");
    assert!(w.assessments(&id).is_empty());
    assert!(w.at_risk_notices().is_empty());
    assert!(!w.engine.get_release(&id).unwrap().at_risk);
}

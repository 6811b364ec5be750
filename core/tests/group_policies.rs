//! Release groups' overlap and catch-up policies, pause, resume and trigger_now, through the
//! engine on a manual clock. The system train runs two weeks on a weekly cadence, so its
//! occurrences overlap unless a policy says otherwise.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{ReleaseState, ReleaseStatus};
use trainyard::schedule::{ManualClock, ReleaseGroup};
use trainyard::{Engine, Error, ReleaseFilter};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

/// An engine on Friday 4 April 2025 with the weekly system train group (Monday 09:00 Berlin,
/// first on 7 April) carrying `policies`, materialised 30 days ahead.
fn train(policies: &str) -> (Engine, ManualClock) {
    let clock = ManualClock::new(t("2025-04-04T12:00:00Z"));
    let engine = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("examples/processes/system-release-train.yaml")).unwrap();
    engine.register_process(&text).unwrap();
    engine.register_executor("command", |_: &Job| Outcome::with_outputs([("commit", "abc"), ("url", "https://x")]));
    engine.set_horizon(Duration::days(30));
    let group = format!(
        "id: train\nname: Train\nprocess: system-release-train\ncadence: {{ every: week, on: monday, at: \"09:00\" }}\n\
         timezone: Europe/Berlin\nduration: 2w\nstarts_on: 2025-04-07\nkind: system\ninputs: {{ releaseVersion: 2.1.3 }}\n{policies}"
    );
    engine.create_release_group(ReleaseGroup::from_text(&group).unwrap(), &rita()).unwrap();
    (engine, clock)
}

/// The group's releases by planned start: (start date, status).
fn statuses(engine: &Engine) -> Vec<(String, ReleaseStatus)> {
    let mut out: Vec<ReleaseState> =
        engine.list_releases(&ReleaseFilter { group: Some("train".into()), ..Default::default() }).unwrap();
    out.sort_by_key(|r| r.schedule.as_ref().map(|s| s.start));
    out.iter().map(|r| (r.schedule.as_ref().unwrap().start.format("%m-%d").to_string(), r.status)).collect()
}

fn first_three(engine: &Engine) -> Vec<ReleaseStatus> {
    statuses(engine).into_iter().take(3).map(|(_, s)| s).collect()
}

fn at(engine: &Engine, clock: &ManualClock, when: &str) {
    clock.set(t(when));
    engine.run_until_idle(100_000).unwrap();
}

fn release(engine: &Engine, date: &str) -> ReleaseState {
    let mut all = engine.list_releases(&ReleaseFilter { group: Some("train".into()), ..Default::default() }).unwrap();
    all.retain(|r| r.schedule.as_ref().unwrap().start.format("%m-%d").to_string() == date);
    all.pop().unwrap()
}

use ReleaseStatus::{Aborted, OnHold, Running, Scheduled};

fn started(s: ReleaseStatus) -> bool {
    matches!(s, Running | OnHold)
}

/// Nobody ticked from Friday 4 April to Tuesday 22 April: three Mondays passed.
const LATE: &str = "2025-04-22T08:00:00Z";

#[test]
fn catch_up_latest_is_the_default_and_starts_only_the_newest_missed_train() {
    let (engine, clock) = train("");
    at(&engine, &clock, LATE);
    let s = first_three(&engine);
    assert_eq!(&s[..2], [Aborted, Aborted]);
    assert!(started(s[2]), "{s:?}");
    let skipped = release(&engine, "04-07");
    let history = engine.history(&skipped.id).unwrap();
    let reason = history.last().and_then(|e| e.comment.clone()).unwrap_or_default();
    assert!(reason.contains("skipped by release group train: catch_up latest"), "{reason}");
}

#[test]
fn catch_up_all_starts_every_missed_train() {
    let (engine, clock) = train("catch_up: all\n");
    at(&engine, &clock, LATE);
    assert!(first_three(&engine).into_iter().all(started), "{:?}", statuses(&engine));
}

#[test]
fn catch_up_none_starts_no_missed_train_and_the_next_one_on_time() {
    let (engine, clock) = train("catch_up: none\n");
    at(&engine, &clock, LATE);
    assert_eq!(first_three(&engine), [Aborted, Aborted, Aborted]);
    at(&engine, &clock, "2025-04-28T07:00:00Z");
    assert!(started(statuses(&engine)[3].1), "{:?}", statuses(&engine));
}

#[test]
fn overlap_skip_skips_a_train_due_while_one_runs() {
    let (engine, clock) = train("overlap: skip\n");
    at(&engine, &clock, "2025-04-07T07:00:00Z");
    assert!(started(first_three(&engine)[0]));
    at(&engine, &clock, "2025-04-14T07:00:00Z");
    assert_eq!(first_three(&engine)[1], Aborted);
}

#[test]
fn overlap_buffer_one_keeps_the_newest_waiting_until_the_running_train_ends() {
    let (engine, clock) = train("overlap: buffer_one\n");
    at(&engine, &clock, "2025-04-07T07:00:00Z");
    at(&engine, &clock, "2025-04-14T07:00:00Z");
    assert_eq!(first_three(&engine)[1], Scheduled, "waits");
    at(&engine, &clock, "2025-04-21T07:00:00Z");
    let s = first_three(&engine);
    assert_eq!(&s[1..], [Aborted, Scheduled], "the newest waits, the older one is skipped");
    let first = release(&engine, "04-07");
    engine.abort(&first.id, &rita(), "done with it").unwrap();
    engine.run_until_idle(100_000).unwrap();
    assert!(started(first_three(&engine)[2]), "{:?}", statuses(&engine));
}

#[test]
fn overlap_max_in_flight_queues_oldest_first() {
    let (engine, clock) = train("overlap: { max_in_flight: 2 }\ncatch_up: all\n");
    at(&engine, &clock, LATE);
    let s = first_three(&engine);
    assert!(started(s[0]) && started(s[1]), "{s:?}");
    assert_eq!(s[2], Scheduled);
}

#[test]
fn a_paused_group_starts_nothing_until_resumed_and_trigger_needs_force() {
    let (engine, clock) = train("catch_up: all\n");
    let nobody = Actor::new("nobody");
    assert!(matches!(engine.pause_release_group("train", &nobody, None), Err(Error::PermissionDenied { .. })));
    engine.pause_release_group("train", &rita(), Some("incident")).unwrap();
    assert!(matches!(engine.pause_release_group("train", &rita(), None), Err(Error::InvalidTransition { .. })));
    assert!(engine.release_group_paused("train").unwrap());
    at(&engine, &clock, "2025-04-08T07:00:00Z");
    assert_eq!(first_three(&engine)[0], Scheduled, "paused");
    let refused = engine.trigger_release_group("train", &rita(), false).unwrap_err();
    assert!(matches!(refused, Error::InvalidTransition { ref status, .. } if status.contains("paused")), "{refused}");
    let (id, _) = engine.trigger_release_group("train", &rita(), true).unwrap();
    assert_eq!(id, release(&engine, "04-07").id);
    let activated = engine.get_release(&id).unwrap();
    assert!(started(activated.status));
    assert!(
        engine
            .history(&id)
            .unwrap()
            .iter()
            .any(|e| e.actor == "rita"
                && e.comment.as_deref().is_some_and(|c| c.contains("forced: the group is paused")))
    );
    engine.resume_release_group("train", &rita(), None).unwrap();
    assert!(matches!(engine.resume_release_group("train", &rita(), None), Err(Error::InvalidTransition { .. })));
    // The next one is triggered early without force: the group is not paused and overlap allows it.
    let (next, _) = engine.trigger_release_group("train", &rita(), false).unwrap();
    assert_eq!(next, release(&engine, "04-14").id);
    assert!(started(engine.get_release(&next).unwrap().status));
}

#[test]
fn two_engines_on_one_store_agree_on_skips_starts_and_a_pause() {
    let clock = ManualClock::new(t("2025-04-04T12:00:00Z"));
    let store: Arc<dyn trainyard::store::Store> = Arc::new(trainyard::store::MemoryStore::new());
    let a = Engine::new(store.clone(), Arc::new(clock.clone()));
    let b = Engine::new(store, Arc::new(clock.clone()));
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("examples/processes/system-release-train.yaml")).unwrap();
    a.register_process(&text).unwrap();
    for e in [&a, &b] {
        e.register_executor("command", |_: &Job| Outcome::with_outputs([("commit", "abc"), ("url", "https://x")]));
        e.set_horizon(Duration::days(30));
    }
    let group = "id: train\nname: Train\nprocess: system-release-train\ncadence: { every: week, on: monday, at: \"09:00\" }\n\
                 timezone: Europe/Berlin\nduration: 2w\nstarts_on: 2025-04-07\nkind: system\ninputs: { releaseVersion: 2.1.3 }\n";
    a.create_release_group(ReleaseGroup::from_text(group).unwrap(), &rita()).unwrap();
    a.pause_release_group("train", &rita(), None).unwrap();
    clock.set(t("2025-04-08T07:00:00Z"));
    b.run_until_idle(100_000).unwrap();
    assert!(b.release_group_paused("train").unwrap());
    assert_eq!(first_three(&b)[0], Scheduled, "engine b sees engine a's pause");
    b.resume_release_group("train", &rita(), None).unwrap();
    clock.set(t(LATE));
    a.tick().unwrap();
    b.tick().unwrap();
    a.run_until_idle(100_000).unwrap();
    b.run_until_idle(100_000).unwrap();
    let s = first_three(&a);
    assert_eq!(&s[..2], [Aborted, Aborted]);
    assert!(started(s[2]));
    assert_eq!(first_three(&b), s);
    for date in ["04-07", "04-14"] {
        let id = release(&a, date).id;
        let aborts = a.history(&id).unwrap().iter().filter(|e| e.kind.name() == "aborted").count();
        assert_eq!(aborts, 1, "{date} skipped once");
    }
}

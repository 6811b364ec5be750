//! Gate activities through the engine: a gate waits for other releases (or a phase or an activity
//! of them), opens when they reach its `until`, fails on its `fail_on`, is woken by the target's
//! commit from this engine or another one on the same store, and keeps what it watches across a
//! restart. Cycles are refused, a watched release cannot be deleted, and skipping a waiting gate
//! takes a reason.

#[path = "support/storage.rs"]
mod support;

use trainyard::access::Actor;
use trainyard::release::{NewRelease, ReleaseState};
use trainyard::{Engine, Error};

/// The target: a manual step in `build`, then an approval in `prod1`, then a manual step in `prod2`.
const TARGET: &str = "id: target
phases:
  - id: build
    activities:
      - { id: make, kind: manual, owners: [rita] }
  - id: prod1
    depends_on: [build]
    activities:
      - { id: ok, kind: approval, approvers: [{ user: rita }] }
  - id: prod2
    depends_on: [prod1]
    activities:
      - { id: done, kind: manual, owners: [rita] }
";

/// A release whose first phase waits for the release named by its input `train` (whole, or its
/// `prod1` phase), then has a manual step.
fn waiter(id: &str, target: &str, extra: &str) -> String {
    format!(
        "id: {id}
inputs:
  train: {{ type: string, required: true }}
phases:
  - id: wait
    activities:
      - id: gate
        kind: gate
        targets:
          - {{ release: \"${{inputs.train}}\"{target} }}
{extra}  - id: deploy
    depends_on: [wait]
    activities:
      - {{ id: go, kind: manual, owners: [rita] }}
"
    )
}

/// An in-memory engine with [`TARGET`] and a `waiter` process (see [`waiter`]).
fn engine(target: &str, extra: &str) -> Engine {
    let e = Engine::in_memory();
    e.register_process(TARGET).unwrap();
    e.register_process(&waiter("waiter", target, extra)).unwrap();
    e
}

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn new(name: &str, inputs: serde_json::Value) -> NewRelease {
    NewRelease { name: name.into(), inputs: serde_json::from_value(inputs).unwrap(), ..Default::default() }
}

fn gate_status(e: &Engine, id: &str) -> String {
    e.get_release(id).unwrap().activity("wait", "gate").unwrap().status.as_str().to_string()
}

fn started(e: &Engine, process: &str, inputs: serde_json::Value) -> String {
    let r = e.create_release(process, new(process, inputs), &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    r.id
}

fn finish_target(e: &Engine, id: &str) {
    e.complete_manual(id, "build", "make", &rita(), Default::default()).unwrap();
    e.approve(id, "prod1", "ok", &rita(), None).unwrap();
    e.complete_manual(id, "prod2", "done", &rita(), Default::default()).unwrap();
}

fn kinds(state: &ReleaseState, e: &Engine) -> Vec<String> {
    e.history(&state.id).unwrap().iter().map(|ev| ev.kind.name().to_string()).collect()
}

#[test]
fn a_gate_waits_for_its_target_release_and_opens_when_it_succeeds() {
    let e = engine("", "");
    let t = started(&e, "target", serde_json::json!({}));
    let w = started(&e, "waiter", serde_json::json!({ "train": t }));
    assert_eq!(gate_status(&e, &w), "running", "the gate waits");
    let state = e.get_release(&w).unwrap();
    let k = kinds(&state, &e);
    assert!(k.contains(&"gate_opened".to_string()) && k.contains(&"gate_resolved".to_string()), "{k:?}");
    let seq = state.seq;
    e.complete_manual(&t, "build", "make", &rita(), Default::default()).unwrap();
    assert_eq!(gate_status(&e, &w), "running");
    assert_eq!(
        e.get_release(&w).unwrap().seq,
        seq,
        "a target's commit that changes nothing for the gate writes nothing"
    );
    e.approve(&t, "prod1", "ok", &rita(), None).unwrap();
    e.complete_manual(&t, "prod2", "done", &rita(), Default::default()).unwrap();
    let state = e.get_release(&w).unwrap();
    let gate = state.activity("wait", "gate").unwrap();
    assert_eq!(gate.status.as_str(), "success", "the target's last commit opened the gate");
    assert_eq!(gate.outputs["targets"][0]["release"], serde_json::json!(t));
    assert_eq!(gate.outputs["targets"][0]["status"], "success");
    assert_eq!(
        state.activity("deploy", "go").unwrap().status.as_str(),
        "waiting_for_input",
        "work after the gate started"
    );
}

#[test]
fn a_gate_on_a_phase_opens_when_that_phase_succeeds() {
    let e = engine(", phase: prod1", "");
    let t = started(&e, "target", serde_json::json!({}));
    let w = started(&e, "waiter", serde_json::json!({ "train": t }));
    e.complete_manual(&t, "build", "make", &rita(), Default::default()).unwrap();
    assert_eq!(gate_status(&e, &w), "running");
    e.approve(&t, "prod1", "ok", &rita(), None).unwrap();
    assert_eq!(gate_status(&e, &w), "success", "prod1 succeeded: the hotfix may go between prod1 and prod2");
    assert_eq!(e.get_release(&t).unwrap().status.as_str(), "on_hold", "the target itself goes on");
}

#[test]
fn a_gate_whose_target_fails_holds_by_default_and_a_retry_resolves_again() {
    let e = engine("", "");
    let t = started(&e, "target", serde_json::json!({}));
    let w = started(&e, "waiter", serde_json::json!({ "train": t }));
    e.abort(&t, &rita(), "wrong build").unwrap();
    let state = e.get_release(&w).unwrap();
    let gate = state.activity("wait", "gate").unwrap();
    assert_eq!(gate.status.as_str(), "on_hold", "fail_on [failed, aborted]; the default policy holds");
    assert!(gate.error.as_deref().unwrap_or("").contains("is aborted"), "{:?}", gate.error);
    assert_eq!(state.status.as_str(), "on_hold");
    // The target is restarted; retrying the gate resolves it again and waits.
    e.restart(&t, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    e.retry(&w, "wait", "gate", &rita(), None, None).unwrap();
    assert_eq!(gate_status(&e, &w), "running");
    finish_target(&e, &t);
    assert_eq!(gate_status(&e, &w), "success");
}

#[test]
fn fail_on_empty_waits_through_a_failure_and_until_may_accept_it() {
    let e = engine("", "        until: [success, aborted]\n        fail_on: []\n");
    let t = started(&e, "target", serde_json::json!({}));
    let w = started(&e, "waiter", serde_json::json!({ "train": t }));
    e.abort(&t, &rita(), "not this week").unwrap();
    assert_eq!(gate_status(&e, &w), "success", "an aborted target opens this gate");
}

#[test]
fn a_missing_target_fails_the_gate_with_the_reason() {
    let e = engine("", "        on_failure: fail\n");
    let w = started(&e, "waiter", serde_json::json!({ "train": "no-such-release" }));
    let state = e.get_release(&w).unwrap();
    let gate = state.activity("wait", "gate").unwrap();
    assert_eq!(gate.status.as_str(), "failed");
    assert!(gate.error.as_deref().unwrap_or("").contains("`no-such-release` does not exist"), "{:?}", gate.error);
}

#[test]
fn a_missing_phase_of_the_target_fails_the_gate_naming_the_phases_it_has() {
    let e = engine(", phase: prod9", "        on_failure: fail\n");
    let t = started(&e, "target", serde_json::json!({}));
    let w = started(&e, "waiter", serde_json::json!({ "train": t }));
    let error = e.get_release(&w).unwrap().activity("wait", "gate").unwrap().error.clone().unwrap_or_default();
    assert!(error.contains("no phase `prod9`") && error.contains("build, prod1, prod2"), "{error}");
}

#[test]
fn a_label_selector_waits_for_every_release_in_flight_and_nothing_to_wait_for_opens_it() {
    let e = Engine::in_memory();
    e.register_process(TARGET).unwrap();
    e.register_process(
        "id: labelled\nphases:\n  - id: wait\n    activities:\n      - { id: gate, kind: gate, targets: [{ labels: { team: payments } }] }\n",
    )
    .unwrap();
    let lonely = started(&e, "labelled", serde_json::json!({}));
    assert_eq!(gate_status(&e, &lonely), "success", "no payments release in flight: nothing to wait for");
    let mut ids = Vec::new();
    for name in ["a", "b"] {
        let mut n = new(name, serde_json::json!({}));
        n.metadata.labels.insert("team".into(), "payments".into());
        let r = e.create_release("target", n, &rita()).unwrap();
        e.activate(&r.id, &rita()).unwrap();
        ids.push(r.id);
    }
    let w = started(&e, "labelled", serde_json::json!({}));
    let resolved = e.get_release(&w).unwrap().gates[0].resolved.clone().unwrap();
    assert_eq!(resolved.len(), 2, "{resolved:?}");
    finish_target(&e, &ids[0]);
    assert_eq!(gate_status(&e, &w), "running", "one of the two is done");
    finish_target(&e, &ids[1]);
    assert_eq!(gate_status(&e, &w), "success");
}

#[test]
fn a_waiting_gate_is_skipped_only_with_a_reason_and_its_target_may_then_be_deleted() {
    let e = engine("", "");
    let t = e.create_release("target", new("t", serde_json::json!({})), &rita()).unwrap().id;
    let w = started(&e, "waiter", serde_json::json!({ "train": t }));
    assert_eq!(gate_status(&e, &w), "running", "a draft target is waited for");
    let refused = e.delete_release(&t, &rita()).unwrap_err();
    assert_eq!(refused.code(), "invalid_transition");
    assert!(refused.to_string().contains(&w) && refused.to_string().contains("gate"), "{refused}");
    let no_reason = e.skip(&w, "wait", "gate", &rita(), " ").unwrap_err();
    assert_eq!(no_reason.code(), "invalid_input", "{no_reason}");
    let clerk = Actor::new("clerk");
    assert_eq!(e.skip(&w, "wait", "gate", &clerk, "go").unwrap_err().code(), "permission_denied");
    e.skip(&w, "wait", "gate", &rita(), "the train is cancelled").unwrap();
    let state = e.get_release(&w).unwrap();
    assert_eq!(state.activity("wait", "gate").unwrap().status.as_str(), "skipped");
    assert!(state.gate_watches().is_empty());
    e.delete_release(&t, &rita()).unwrap();
}

#[test]
fn releases_whose_gates_wait_for_each_other_are_refused_at_activation() {
    let e = engine("", "");
    let a = e.create_release("waiter", new("a", serde_json::json!({ "train": "later" })), &rita()).unwrap();
    let b = e.create_release("waiter", new("b", serde_json::json!({ "train": a.id })), &rita()).unwrap();
    let changes = trainyard::release::ReleaseChanges {
        inputs: Some(serde_json::from_value(serde_json::json!({ "train": b.id })).unwrap()),
        ..Default::default()
    };
    e.update_release(&a.id, &rita(), changes, None).unwrap();
    let refused = e.activate(&a.id, &rita()).unwrap_err();
    assert_eq!(refused.code(), "invalid_input", "{refused}");
    let Error::InvalidInput { problems } = &refused else { panic!("{refused}") };
    assert_eq!(problems[0].code, "gate_cycle");
    assert!(problems[0].message.contains(&format!("{} → {} → {}", a.id, b.id, a.id)), "{}", problems[0].message);
    assert_eq!(e.get_release(&a.id).unwrap().status.as_str(), "draft", "nothing changed");
    assert_eq!(e.activate(&b.id, &rita()).unwrap_err().code(), "invalid_input");
    let when = chrono::Utc::now() + chrono::Duration::days(1);
    let refused = e.schedule(&b.id, &rita(), when, None, true).unwrap_err();
    assert_eq!(refused.code(), "invalid_input", "scheduling is refused too: {refused}");
}

#[test]
fn another_engine_s_commit_wakes_the_gate_through_the_feed_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("gates.db").display());
    engines_share_gates(&|| Engine::open(&url).unwrap());
}

#[cfg(feature = "postgres")]
#[test]
fn another_engine_s_commit_wakes_the_gate_through_the_feed_on_postgres() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "gates");
    engines_share_gates(&|| Engine::new(fresh.dyn_store(), std::sync::Arc::new(trainyard::schedule::SystemClock)));
}

/// Engines from `open` share one store: a gate is woken by whichever engine commits its target,
/// and its watch survives the engine that wrote it.
fn engines_share_gates(open: &dyn Fn() -> Engine) {
    let one = open();
    let two = open();
    one.register_process(TARGET).unwrap();
    one.register_process(&waiter("waiter", "", "")).unwrap();

    // Engine two learns of the watch from the feed (its tick), so its own commit wakes the gate.
    let t = started(&two, "target", serde_json::json!({}));
    let w = started(&one, "waiter", serde_json::json!({ "train": t }));
    two.run_until_idle(10).unwrap();
    finish_target(&two, &t);
    assert_eq!(gate_status(&two, &w), "success", "woken by engine two's own commit");

    // Engine two has not followed the feed since the watch was written: its commit does not know
    // of the gate, and engine one wakes it when it follows engine two's commits.
    let t = started(&two, "target", serde_json::json!({}));
    let w = started(&one, "waiter", serde_json::json!({ "train": t }));
    finish_target(&two, &t);
    assert_eq!(gate_status(&one, &w), "running", "nobody has told engine one yet");
    one.run_until_idle(10).unwrap();
    assert_eq!(gate_status(&one, &w), "success", "woken by engine one following the feed");

    // The engine that knew of the watch is gone: a new engine reads the watches from the store
    // when it starts following, and checks each waiting gate once.
    let t = started(&two, "target", serde_json::json!({}));
    let w = started(&one, "waiter", serde_json::json!({ "train": t }));
    drop(one);
    finish_target(&two, &t);
    let three = open();
    three.run_until_idle(10).unwrap();
    assert_eq!(gate_status(&three, &w), "success");
}

#[test]
fn the_calendar_shows_what_a_release_waits_for_before_and_while_its_gate_waits() {
    let e = engine("", "");
    let t = started(&e, "target", serde_json::json!({}));
    let w = e.create_release("waiter", new("w", serde_json::json!({ "train": t })), &rita()).unwrap().id;
    let start = chrono::Utc::now() + chrono::Duration::days(1);
    e.schedule(&w, &rita(), start, None, false).unwrap();
    let window = |e: &Engine| {
        let from = chrono::Utc::now() - chrono::Duration::days(30);
        let to = chrono::Utc::now() + chrono::Duration::days(30);
        e.calendar(from, to, &Default::default()).unwrap()
    };
    let entries = window(&e);
    let entry = entries.iter().find(|x| x.release_id == w).expect("the scheduled waiter is on the calendar");
    assert_eq!(entry.waits_for, vec![t.clone()], "a scheduled release shows the release its gate will wait for");
    assert!(entries.iter().find(|x| x.release_id == t).unwrap().waits_for.is_empty());
    e.activate(&w, &rita()).unwrap();
    let entries = window(&e);
    assert_eq!(entries.iter().find(|x| x.release_id == w).unwrap().waits_for, vec![t.clone()], "and while it waits");
    let from = chrono::Utc::now() - chrono::Duration::days(30);
    let ics = e.calendar_ics(from, from + chrono::Duration::days(60), &Default::default()).unwrap();
    let ics = ics.replace("\r\n ", ""); // unfolded (RFC 5545 folds lines at 75 octets)
    assert!(ics.contains(&format!("RELATED-TO;RELTYPE=DEPENDS-ON:{t}@trainyard")), "{ics}");
    finish_target(&e, &t);
    let entries = window(&e);
    assert!(entries.iter().find(|x| x.release_id == w).unwrap().waits_for.is_empty(), "the gate opened: nothing left");
}

#[test]
fn a_group_target_picks_the_latest_started_occurrence_or_the_one_at_a_planned_start() {
    use std::sync::Arc;
    use trainyard::schedule::{ManualClock, ReleaseGroup};
    let clock = ManualClock::new("2025-04-04T12:00:00Z".parse().unwrap());
    let e = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    e.register_process(TARGET).unwrap();
    e.set_horizon(chrono::Duration::days(20));
    let group = "id: train\nname: Train\nprocess: target\ncadence: { every: week, on: monday, at: \"09:00\" }\n\
                 timezone: UTC\nduration: 1w\nstarts_on: 2025-04-07\n";
    e.create_release_group(ReleaseGroup::from_text(group).unwrap(), &rita()).unwrap();
    let gates = "id: gated
phases:
  - id: wait
    activities:
      - { id: gate, kind: gate, targets: [{ group: train }], on_failure: fail }
      - { id: dated, kind: gate, targets: [{ group: train, occurrence: \"2025-04-14T09:00:00Z\", phase: build }] }
";
    e.register_process(gates).unwrap();
    // No occurrence has started: `latest` has nothing to wait for, and says so.
    let early = started(&e, "gated", serde_json::json!({}));
    let state = e.get_release(&early).unwrap();
    let error = state.activity("wait", "gate").unwrap().error.clone().unwrap_or_default();
    assert!(error.contains("no release of group `train` has started"), "{error}");
    // Monday 7 April: the first train starts; the second (14 April) is scheduled.
    clock.set("2025-04-07T09:30:00Z".parse().unwrap());
    e.run_until_idle(100).unwrap();
    let w = started(&e, "gated", serde_json::json!({}));
    let trains =
        e.list_releases(&trainyard::ReleaseFilter { group: Some("train".into()), ..Default::default() }).unwrap();
    let by_start = |day: &str| {
        trains.iter().find(|r| r.schedule.as_ref().unwrap().start.to_rfc3339().starts_with(day)).unwrap().id.clone()
    };
    let (first, second) = (by_start("2025-04-07"), by_start("2025-04-14"));
    let state = e.get_release(&w).unwrap();
    let watched: Vec<(String, Option<String>)> =
        state.gates.iter().flat_map(|g| g.resolved.clone().unwrap()).map(|o| (o.release, o.phase)).collect();
    assert!(watched.contains(&(first.clone(), None)), "latest started: {watched:?}");
    assert!(watched.contains(&(second.clone(), Some("build".into()))), "the 14 April occurrence: {watched:?}");
    finish_target(&e, &first);
    assert_eq!(gate_status(&e, &w), "success", "the latest train succeeded");
}

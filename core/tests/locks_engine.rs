//! Locks through the engine: releases contending for an environment wait their turn, oldest
//! first unless a priority puts a hotfix ahead; counted semaphores; abort, skip and the end of a
//! release let go; a phase lets go while it waits only for approvals unless it holds through;
//! a request that would deadlock is refused; and engines sharing a store never hand out more
//! places than a lock has.

#[path = "support/storage.rs"]
mod support;

use trainyard::access::Actor;
use trainyard::release::locks::LockNode;
use trainyard::release::{NewRelease, ReleaseKind};
use trainyard::{Engine, Error};

/// A deploy to `${inputs.env}`: phase `prod` holds `environment:<env>` while its work runs (a
/// manual step `go`), then a second phase `after` with a manual step.
const DEPLOY: &str = "id: deploy
inputs:
  env: { type: string, default: prod1 }
phases:
  - id: prod
    locks:
      - name: environment:${inputs.env}
        priority: { hotfix: 10 }
    activities:
      - { id: go, kind: manual, owners: [rita] }
  - id: after
    depends_on: [prod]
    activities:
      - { id: done, kind: manual, owners: [rita] }
";

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn engine(process: &str) -> Engine {
    let e = Engine::in_memory();
    e.register_process(process).unwrap();
    e
}

fn start(e: &Engine, process: &str, name: &str, kind: ReleaseKind) -> String {
    let new = NewRelease { name: name.into(), kind, ..Default::default() };
    let r = e.create_release(process, new, &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    r.id
}

fn status(e: &Engine, id: &str, phase: &str, activity: &str) -> String {
    e.get_release(id).unwrap().activity(phase, activity).unwrap().status.as_str().to_string()
}

fn holders(e: &Engine, lock: &str) -> Vec<String> {
    e.locks(Some(&[lock.to_string()])).unwrap().into_iter().filter(|r| r.held()).map(|r| r.release_name).collect()
}

fn waiters(e: &Engine, lock: &str) -> Vec<String> {
    e.locks(Some(&[lock.to_string()])).unwrap().into_iter().filter(|r| !r.held()).map(|r| r.release_name).collect()
}

fn go(e: &Engine, id: &str) {
    e.complete_manual(id, "prod", "go", &rita(), Default::default()).unwrap();
}

#[test]
fn releases_contending_for_an_environment_go_one_at_a_time_oldest_first() {
    let e = engine(DEPLOY);
    let a = start(&e, "deploy", "A", ReleaseKind::Standard);
    let b = start(&e, "deploy", "B", ReleaseKind::Standard);
    let c = start(&e, "deploy", "C", ReleaseKind::Standard);
    assert_eq!(status(&e, &a, "prod", "go"), "waiting_for_input");
    assert_eq!(status(&e, &b, "prod", "go"), "pending", "B waits for the environment");
    assert_eq!(holders(&e, "environment:prod1"), ["A"]);
    assert_eq!(waiters(&e, "environment:prod1"), ["B", "C"]);
    let state = e.get_release(&b).unwrap();
    let view = state.view();
    let waiting = view.waiting_on.expect("B waits on something");
    assert_eq!((waiting.kind.as_str(), waiting.phase_id, waiting.activity_id), ("lock", Some("prod"), Some("go")));
    let claim = &view.phase("prod").unwrap().locks[0];
    assert_eq!((claim.name, claim.release_name, claim.held_since), ("environment:prod1", "B", None));
    assert_eq!((claim.phase_id, claim.activity_id, claim.requested_by.as_str()), ("prod", None, "prod/go"));

    let events = e.complete_manual(&a, "prod", "go", &rita(), Default::default()).unwrap();
    let kinds: Vec<&str> = events.iter().map(|ev| ev.kind.name()).collect();
    assert!(
        kinds.starts_with(&["activity_succeeded", "locks_released", "phase_ended"]),
        "A's work ended and let go in the same append: {kinds:?}"
    );
    assert_eq!(status(&e, &b, "prod", "go"), "waiting_for_input", "B, the oldest waiter, goes");
    assert_eq!(status(&e, &c, "prod", "go"), "pending");
    assert_eq!(holders(&e, "environment:prod1"), ["B"]);
    go(&e, &b);
    go(&e, &c);
    assert!(holders(&e, "environment:prod1").is_empty() && waiters(&e, "environment:prod1").is_empty());
}

#[test]
fn a_hotfix_with_priority_goes_ahead_of_an_older_standard_release() {
    let e = engine(DEPLOY);
    let a = start(&e, "deploy", "train", ReleaseKind::Standard);
    let b = start(&e, "deploy", "feature", ReleaseKind::Standard);
    let h = start(&e, "deploy", "hotfix", ReleaseKind::Hotfix);
    assert_eq!(waiters(&e, "environment:prod1"), ["hotfix", "feature"], "queue order: priority, then age");
    go(&e, &a);
    assert_eq!(status(&e, &h, "prod", "go"), "waiting_for_input");
    assert_eq!(status(&e, &b, "prod", "go"), "pending");
}

#[test]
fn a_counted_semaphore_lets_capacity_releases_in_and_different_environments_do_not_contend() {
    let process = DEPLOY.replace("        priority: { hotfix: 10 }\n", "        capacity: 2\n");
    let e = engine(&process);
    let ids: Vec<String> = ["A", "B", "C"].iter().map(|n| start(&e, "deploy", n, ReleaseKind::Standard)).collect();
    assert_eq!(holders(&e, "environment:prod1"), ["A", "B"]);
    assert_eq!(waiters(&e, "environment:prod1"), ["C"]);
    go(&e, &ids[0]);
    assert_eq!(status(&e, &ids[2], "prod", "go"), "waiting_for_input");

    let e = engine(DEPLOY);
    let one = start(&e, "deploy", "A", ReleaseKind::Standard);
    let new = NewRelease {
        name: "B".into(),
        inputs: serde_json::from_value(serde_json::json!({ "env": "prod2" })).unwrap(),
        ..Default::default()
    };
    let two = e.create_release("deploy", new, &rita()).unwrap().id;
    e.activate(&two, &rita()).unwrap();
    assert_eq!(status(&e, &one, "prod", "go"), "waiting_for_input");
    assert_eq!(status(&e, &two, "prod", "go"), "waiting_for_input", "prod2 is another lock");
}

#[test]
fn abort_and_skip_let_go_and_a_waiting_skip_gives_up_the_request() {
    let e = engine(DEPLOY);
    let a = start(&e, "deploy", "A", ReleaseKind::Standard);
    let b = start(&e, "deploy", "B", ReleaseKind::Standard);
    let c = start(&e, "deploy", "C", ReleaseKind::Standard);
    e.skip(&b, "prod", "go", &rita(), "not needed").unwrap();
    assert_eq!(waiters(&e, "environment:prod1"), ["C"], "B gave up its request");
    e.abort(&a, &rita(), "wrong build").unwrap();
    assert_eq!(status(&e, &c, "prod", "go"), "waiting_for_input", "the abort let go of prod1");
    assert_eq!(holders(&e, "environment:prod1"), ["C"]);
    assert!(e.get_release(&a).unwrap().locks.is_empty());
}

/// A phase with an approval before its work, and the same with `hold_through_approval`.
fn approval_first(hold: bool) -> String {
    format!(
        "id: gated
phases:
  - id: prod
    locks:
      - {{ name: environment:prod1, hold_through_approval: {hold} }}
    activities:
      - {{ id: ok, kind: approval, approvers: [{{ user: rita }}] }}
      - {{ id: go, kind: manual, owners: [rita], depends_on: [ok] }}
"
    )
}

#[test]
fn a_phase_lets_go_while_it_waits_for_approvals_unless_it_holds_through() {
    let e = engine(&approval_first(false));
    let a = start(&e, "gated", "A", ReleaseKind::Standard);
    let b = start(&e, "gated", "B", ReleaseKind::Standard);
    assert!(holders(&e, "environment:prod1").is_empty(), "nobody holds prod1 while both wait for approvals");
    e.approve(&b, "prod", "ok", &rita(), None).unwrap();
    assert_eq!(holders(&e, "environment:prod1"), ["B"], "B's work took it");
    e.approve(&a, "prod", "ok", &rita(), None).unwrap();
    assert_eq!(status(&e, &a, "prod", "go"), "pending", "A's work waits for B's");
    e.complete_manual(&b, "prod", "go", &rita(), Default::default()).unwrap();
    assert_eq!(status(&e, &a, "prod", "go"), "waiting_for_input");

    let e = engine(&approval_first(true));
    let a = start(&e, "gated", "A", ReleaseKind::Standard);
    let b = start(&e, "gated", "B", ReleaseKind::Standard);
    assert_eq!(holders(&e, "environment:prod1"), ["A"], "held from the phase's start, through the approval");
    assert_eq!(e.get_release(&b).unwrap().phase("prod").unwrap().status.as_str(), "pending");
    e.approve(&a, "prod", "ok", &rita(), None).unwrap();
    e.complete_manual(&a, "prod", "go", &rita(), Default::default()).unwrap();
    assert_eq!(status(&e, &b, "prod", "ok"), "waiting_for_input");
}

/// A phase holding `${inputs.first}` through, with a manual step, then a step that needs
/// `${inputs.second}`.
const CROSSED: &str = "id: crossed
inputs:
  first: { type: string, required: true }
  second: { type: string, required: true }
phases:
  - id: work
    locks:
      - { name: '${inputs.first}', hold_through_approval: true }
    activities:
      - { id: prepare, kind: manual, owners: [rita] }
      - { id: take, kind: manual, owners: [rita], depends_on: [prepare], locks: ['${inputs.second}'] }
";

#[test]
fn a_request_that_would_deadlock_is_refused_and_names_the_cycle() {
    let e = engine(CROSSED);
    let start_crossed = |name: &str, first: &str, second: &str| {
        let inputs = serde_json::json!({ "first": first, "second": second });
        let new =
            NewRelease { name: name.into(), inputs: serde_json::from_value(inputs).unwrap(), ..Default::default() };
        let id = e.create_release("crossed", new, &rita()).unwrap().id;
        e.activate(&id, &rita()).unwrap();
        id
    };
    let a = start_crossed("A", "x", "y");
    let b = start_crossed("B", "y", "x");
    e.complete_manual(&a, "work", "prepare", &rita(), Default::default()).unwrap();
    assert_eq!(status(&e, &a, "work", "take"), "pending", "A holds x and waits for y");
    e.complete_manual(&b, "work", "prepare", &rita(), Default::default()).unwrap();
    let state = e.get_release(&b).unwrap();
    let take = state.activity("work", "take").unwrap();
    assert_eq!(take.status.as_str(), "failed", "B's request for x would close the cycle");
    let error = take.error.as_deref().unwrap();
    assert!(error.starts_with("lock_deadlock:") && error.contains("\"A\"") && error.contains("\"B\""), "{error}");
    // B failed and let go of y: A goes on.
    assert_eq!(status(&e, &a, "work", "take"), "waiting_for_input");
    assert_eq!(holders(&e, "y"), ["A"]);
}

#[test]
fn lock_definitions_are_validated_with_every_problem_at_once() {
    let e = Engine::in_memory();
    let bad = "id: bad
phases:
  - id: p
    locks: ['', { name: a, capacity: 0 }, a]
    activities:
      - { id: x, kind: manual, owners: [rita], locks: [{ name: b, hold_through_approval: true }, '${inputs.nope}'] }
";
    let err = e.register_process(bad).unwrap_err();
    let Error::Validation { problems } = &err else { panic!("{err}") };
    let codes: Vec<(&str, &str)> = problems.iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    for want in [
        ("phases[0].locks[0]", "bad_lock"),
        ("phases[0].locks[1].capacity", "bad_lock"),
        ("phases[0].locks[2]", "bad_lock"),
        ("phases[0].activities[0].locks[0].hold_through_approval", "bad_lock"),
        ("phases[0].activities[0].locks[1]", "unknown_reference"),
    ] {
        assert!(codes.contains(&want), "{want:?} not in {codes:?}");
    }
}

#[test]
fn engines_sharing_a_sqlite_store_hand_locks_to_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("locks.db").display());
    engines_share_locks(&|| Engine::open(&url).unwrap());
}

#[cfg(feature = "postgres")]
#[test]
fn engines_sharing_a_postgres_store_hand_locks_to_each_other() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "locks");
    engines_share_locks(&|| Engine::new(fresh.dyn_store(), std::sync::Arc::new(trainyard::schedule::SystemClock)));
}

/// Engines from `open` share one store: a release of engine one waits for engine two's, and
/// engine two's commit that lets go grants it; a grant beyond the capacity is refused by the store.
fn engines_share_locks(open: &dyn Fn() -> Engine) {
    let one = open();
    let two = open();
    one.register_process(DEPLOY).unwrap();
    let a = start(&two, "deploy", "A", ReleaseKind::Standard);
    let b = start(&one, "deploy", "B", ReleaseKind::Standard);
    assert_eq!(status(&one, &b, "prod", "go"), "pending");
    go(&two, &a);
    assert_eq!(status(&one, &b, "prod", "go"), "waiting_for_input", "engine two granted engine one's release");
    assert_eq!(holders(&one, "environment:prod1"), ["B"]);

    // A third release waits; granting it while B holds the lock is refused by the store.
    let c = start(&one, "deploy", "C", ReleaseKind::Standard);
    let grant = trainyard::release::Command::GrantLocks { request: LockNode::activity("prod", "go") };
    let err = two.execute(&c, grant, &Actor::system(), None).unwrap_err();
    assert!(trainyard::release::locks::is_lock_taken(&err), "{err}");
    assert_eq!(status(&two, &c, "prod", "go"), "pending", "nothing of the refused grant was written");
    assert_eq!(holders(&two, "environment:prod1"), ["B"]);
    go(&one, &b);
    assert_eq!(status(&two, &c, "prod", "go"), "waiting_for_input");
}

#[test]
fn the_status_tree_says_who_holds_the_lock_a_node_waits_for() {
    let e = engine(DEPLOY);
    start(&e, "deploy", "Week 15 train", ReleaseKind::System);
    let b = start(&e, "deploy", "Feature", ReleaseKind::Feature);
    let state = e.get_release(&b).unwrap();
    let rows = e.locks(Some(&["environment:prod1".to_string()])).unwrap();
    let mut out = Vec::new();
    trainyard::display::write_status_tree_with(&mut out, &state, &Default::default(), &rows).unwrap();
    let text = String::from_utf8(out).unwrap();
    let line = text.lines().find(|l| l.contains(" go ")).unwrap();
    assert!(line.contains("— waits for lock environment:prod1 held by \"Week 15 train\" since 20"), "{text}");
    let mut plain = Vec::new();
    trainyard::display::write_status_tree(&mut plain, &state, &Default::default()).unwrap();
    assert!(String::from_utf8(plain).unwrap().contains("— waits for lock environment:prod1\n"));
}

#[test]
fn an_actor_sees_the_lock_rows_of_the_releases_they_may_read() {
    let e = engine(DEPLOY);
    e.set_release_level(trainyard::access::ReleaseLevel::Organization);
    let in_org = |org: &str, name: &str| {
        let manager = Actor::new("omar").with_roles([format!("org_release_manager:{org}")]);
        let new = NewRelease { name: name.into(), scope: format!("org:{org}"), ..Default::default() };
        let id = e.create_release("deploy", new, &manager).unwrap().id;
        e.activate(&id, &manager).unwrap();
        id
    };
    in_org("acme", "Acme deploy");
    in_org("globex", "Globex deploy");
    let names = ["environment:prod1".to_string()];
    let all: Vec<String> = e.locks(Some(&names)).unwrap().into_iter().map(|r| r.release_name).collect();
    assert_eq!(all, ["Acme deploy", "Globex deploy"]);
    let ann = Actor::new("ann").with_roles(["org_release_manager:globex"]);
    let seen: Vec<String> = e.locks_as(Some(&names), &ann).unwrap().into_iter().map(|r| r.release_name).collect();
    assert_eq!(seen, ["Globex deploy"], "the other organisation's release is left out");
}

#[test]
fn skipping_a_waiting_step_hands_the_phase_s_request_to_the_next_step_in_one_append() {
    let process = "id: two-steps
phases:
  - id: prod
    locks: [environment:prod1]
    activities:
      - { id: deploy, kind: manual, owners: [rita] }
      - { id: verify, kind: manual, owners: [rita], depends_on: [deploy] }
";
    let e = engine(process);
    let a = start(&e, "two-steps", "A", ReleaseKind::Standard);
    let b = start(&e, "two-steps", "B", ReleaseKind::Standard);
    assert_eq!(status(&e, &b, "prod", "deploy"), "pending");
    let events = e.skip(&b, "prod", "deploy", &rita(), "deployed by hand").unwrap();
    let kinds: Vec<&str> = events.iter().map(|ev| ev.kind.name()).collect();
    assert!(
        kinds.contains(&"locks_released") && kinds.ends_with(&["locks_requested"]),
        "the skipped step's request is given up and the next step asks again: {kinds:?}"
    );
    assert_eq!(status(&e, &b, "prod", "verify"), "pending");
    assert_eq!(waiters(&e, "environment:prod1"), ["B"], "one row: written fresh, not removed");
    e.complete_manual(&a, "prod", "deploy", &rita(), Default::default()).unwrap();
    e.complete_manual(&a, "prod", "verify", &rita(), Default::default()).unwrap();
    assert_eq!(status(&e, &b, "prod", "verify"), "waiting_for_input");
}

//! Subprocess activities through the engine: aborting the parent aborts the running child, and a
//! child that cannot start fails the parent activity with the reason.

use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::release::NewRelease;

const CHILD: &str = "id: child\nphases:\n  - id: wait\n    activities:\n      - { id: approve, kind: approval, approvers: [{ group: qa }] }\n";
const PARENT: &str = "id: parent\nphases:\n  - id: run\n    activities:\n      - { id: sub, kind: subprocess, process: child, on_failure: fail }\n";

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

#[test]
fn aborting_the_parent_aborts_its_running_child() {
    let e = Engine::in_memory();
    e.register_process(CHILD).unwrap();
    e.register_process(PARENT).unwrap();
    let p = e.create_release("parent", NewRelease { name: "p".into(), ..Default::default() }, &rita()).unwrap();
    e.activate(&p.id, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    let parent = e.get_release(&p.id).unwrap();
    let child_id = parent.activity("run", "sub").unwrap().child_id.clone().expect("a child release");
    let child = e.get_release(&child_id).unwrap();
    assert_eq!(child.status.as_str(), "on_hold", "the child waits for its approval");
    assert_eq!(child.parent.as_ref().unwrap().release, p.id);
    let refused = e.delete_release(&child_id, &rita()).unwrap_err();
    assert_eq!(refused.code(), "invalid_transition", "a child referenced by its running parent cannot be deleted");
    assert!(refused.to_string().contains(&p.id), "{refused}");
    e.abort(&p.id, &rita(), "wrong week").unwrap();
    assert_eq!(e.get_release(&p.id).unwrap().status.as_str(), "aborted");
    assert_eq!(e.get_release(&child_id).unwrap().status.as_str(), "aborted", "the child was aborted with its parent");
    let reason = e.history(&child_id).unwrap().into_iter().rev().find_map(|ev| ev.comment).unwrap_or_default();
    assert!(reason.contains("parent"), "the child's abort names the parent: {reason}");
}

#[test]
fn a_child_that_cannot_start_fails_the_parent_activity() {
    let e = Engine::in_memory();
    // The child needs an input the parent does not give: its activation is refused.
    e.register_process("id: child\ninputs:\n  version: { type: string, required: true }\nphases:\n  - id: a\n    activities:\n      - { id: w, kind: wait, duration: 1m }\n").unwrap();
    e.register_process(PARENT).unwrap();
    let p = e.create_release("parent", NewRelease { name: "p".into(), ..Default::default() }, &rita()).unwrap();
    e.activate(&p.id, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    let state = e.get_release(&p.id).unwrap();
    let sub = state.activity("run", "sub").unwrap();
    assert_eq!(sub.status.as_str(), "failed");
    assert!(sub.error.as_deref().unwrap_or("").contains("version"), "{:?}", sub.error);
    assert_eq!(state.status.as_str(), "failed");
}

#[test]
fn a_timed_out_subprocess_attempt_aborts_its_child() {
    use std::sync::Arc;
    use trainyard::schedule::ManualClock;
    let clock = ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap());
    let e = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    e.register_process(CHILD).unwrap();
    e.register_process(
        "id: parent\nphases:\n  - id: run\n    activities:\n      - { id: sub, kind: subprocess, process: child, timeout: 30m, on_failure: fail }\n",
    )
    .unwrap();
    let p = e.create_release("parent", NewRelease { name: "p".into(), ..Default::default() }, &rita()).unwrap();
    e.activate(&p.id, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    let child_id = e.get_release(&p.id).unwrap().activity("run", "sub").unwrap().child_id.clone().unwrap();
    clock.advance(chrono::Duration::minutes(31));
    e.run_until_idle(100).unwrap();
    let parent = e.get_release(&p.id).unwrap();
    assert_eq!(parent.activity("run", "sub").unwrap().status.as_str(), "failed");
    assert!(parent.activity("run", "sub").unwrap().error.as_deref().unwrap_or("").contains("timed out"));
    assert_eq!(e.get_release(&child_id).unwrap().status.as_str(), "aborted", "the timed-out child was aborted");
}

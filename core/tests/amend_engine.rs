//! Amending a running release through the engine: the dry run appends nothing, the amendment
//! appends what the dry run said, a reason is required, only release managers (and, for
//! `delegate`, the approver handing over) may amend, and a reload (snapshot or replay) keeps an
//! inserted activity.

use serde_json::json;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{ActivityRef, ActivityStatus, NewRelease, PhaseStatus, RewindTarget};
use trainyard::{Amend, Engine};

const PROCESS: &str = r#"
id: train
inputs:
  build: { type: string, default: "2.1.3" }
phases:
  - id: qa
    outputs: { tested: "${activities.test.outputs.build}" }
    activities:
      - { id: test, kind: automated, executor: echo, outputs: [build], with: { build: "${inputs.build}" } }
  - id: staging
    depends_on: [qa]
    activities:
      - { id: signoff, kind: approval, approvers: [{ user: quinn }] }
      - { id: deploy, kind: automated, executor: echo, depends_on: [signoff], with: { build: "${phases.qa.outputs.tested}" } }
"#;

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn engine() -> Engine {
    let e = Engine::in_memory();
    e.register_executor("echo", |job: &Job| {
        let mut outputs = indexmap::IndexMap::new();
        if let Some(b) = job.inputs.get("build") {
            outputs.insert("build".to_string(), b.clone());
        }
        Outcome::Success { outputs }
    });
    e.register_process(PROCESS).unwrap();
    e
}

fn started(e: &Engine) -> String {
    let r = e.create_release("train", NewRelease { name: "r".into(), ..Default::default() }, &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    e.run_until_idle(1000).unwrap();
    r.id
}

#[test]
fn a_dry_run_appends_nothing_and_the_amendment_appends_what_it_said() {
    let e = engine();
    let id = started(&e);
    assert_eq!(e.get_release(&id).unwrap().phase("qa").unwrap().status, PhaseStatus::Success);
    let before = e.history(&id).unwrap().len();
    let to = || RewindTarget::Phase { phase: "qa".into() };
    let inputs = || Some(serde_json::from_value(json!({ "build": "2.1.4" })).unwrap());
    let preview = e.rewind(&id, &rita(), to(), inputs(), Amend::because("build 2.1.4 fixes QA-12").dry_run()).unwrap();
    assert_eq!(e.history(&id).unwrap().len(), before, "a dry run appends nothing");
    assert_eq!(e.get_release(&id).unwrap().inputs["build"], json!("2.1.3"));
    let done = e.rewind(&id, &rita(), to(), inputs(), Amend::because("build 2.1.4 fixes QA-12")).unwrap();
    let kinds = |evs: &[trainyard::release::Event]| evs.iter().map(|e| e.kind.name()).collect::<Vec<_>>();
    assert_eq!(kinds(&preview), kinds(&done));
    assert_eq!(preview[0].seq, done[0].seq);
    e.run_until_idle(1000).unwrap();
    let r = e.get_release(&id).unwrap();
    assert_eq!(r.phase("qa").unwrap().outputs["tested"], json!("2.1.4"));
    assert_eq!(r.phase("qa").unwrap().attempts[0].outputs["tested"], json!("2.1.3"));
    assert_eq!(e.replay_release(&id).unwrap(), *r);
}

#[test]
fn amendments_need_a_reason_and_a_release_manager() {
    let e = engine();
    let id = started(&e);
    let to = || RewindTarget::Phase { phase: "qa".into() };
    let err = e.rewind(&id, &rita(), to(), None, Amend::because(" ")).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("reason"), "{err}");
    let quinn = Actor::new("quinn");
    assert_eq!(e.rewind(&id, &quinn, to(), None, Amend::because("x")).unwrap_err().code(), "permission_denied");
    let ghost = RewindTarget::Phase { phase: "ghost".into() };
    assert_eq!(e.rewind(&id, &quinn, ghost, None, Amend::because("x")).unwrap_err().code(), "not_found");
    // The listed approver hands their own approval over.
    let target = ActivityRef::new("staging", "signoff");
    e.delegate(&id, &quinn, target.clone(), "quinn", "vera", Amend::because("on leave")).unwrap();
    e.approve(&id, "staging", "signoff", &Actor::new("vera"), None).unwrap();
    e.run_until_idle(1000).unwrap();
    assert_eq!(e.get_release(&id).unwrap().activity("staging", "deploy").unwrap().status, ActivityStatus::Success);
}

#[test]
fn an_inserted_activity_survives_a_reload() {
    let e = engine();
    let id = started(&e);
    let definition =
        json!({ "id": "smoke", "kind": "automated", "executor": "echo", "with": { "build": "${inputs.build}" } });
    e.insert_activity(&id, &rita(), "staging", definition, Some("signoff"), Amend::because("smoke test for QA-12"))
        .unwrap();
    e.approve(&id, "staging", "signoff", &Actor::new("quinn"), None).unwrap();
    e.run_until_idle(1000).unwrap();
    let r = e.get_release(&id).unwrap();
    assert_eq!(r.activity("staging", "smoke").unwrap().status, ActivityStatus::Success);
    assert_eq!(e.replay_release(&id).unwrap(), *r);
    let view = r.view();
    assert!(view.phase("staging").unwrap().activities.iter().any(|a| a.id == "smoke"));
}

/// The notifications the engine delivers, in order.
fn collected(e: &Engine) -> std::sync::Arc<std::sync::Mutex<Vec<trainyard::notify::Notification>>> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    e.subscribe(move |n: &trainyard::notify::Notification| {
        sink.lock().unwrap().push(n.clone());
        Ok(())
    });
    seen
}

#[test]
fn new_approvers_are_asked_after_a_reassign_and_a_delegate() {
    let e = engine();
    let id = started(&e);
    let seen = collected(&e);
    let target = ActivityRef::new("staging", "signoff");
    let approvers = vec![serde_json::from_value(json!({ "user": "carol" })).unwrap()];
    e.reassign(&id, &rita(), target.clone(), approvers, Amend::because("quinn is on leave")).unwrap();
    e.delegate(&id, &rita(), target, "carol", "dave", Amend::because("carol is at the offsite")).unwrap();
    let requests: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|n| n.kind == trainyard::notify::NotificationKind::ApprovalRequested)
        .map(|n| (n.activity.clone().unwrap(), n.recipients.clone()))
        .collect();
    assert_eq!(
        requests,
        vec![("signoff".to_string(), vec!["carol".to_string()]), ("signoff".to_string(), vec!["dave".to_string()])]
    );
}

#[test]
fn a_reassigned_manual_activity_that_is_not_open_yet_asks_nobody() {
    let e = Engine::in_memory();
    e.register_process(
        r#"
id: later
phases:
  - id: build
    activities:
      - { id: gate, kind: approval, approvers: [{ user: quinn }] }
      - { id: notes, kind: manual, depends_on: [gate], fields: [{ name: text, type: string }] }
"#,
    )
    .unwrap();
    let r = e.create_release("later", NewRelease { name: "r".into(), ..Default::default() }, &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    e.run_until_idle(100).unwrap();
    let seen = collected(&e);
    let owners = vec![serde_json::from_value(json!({ "user": "olga" })).unwrap()];
    e.reassign(&r.id, &rita(), ActivityRef::new("build", "notes"), owners, Amend::because("olga writes the notes"))
        .unwrap();
    assert!(seen.lock().unwrap().is_empty(), "{:?}", seen.lock().unwrap());
    e.approve(&r.id, "build", "gate", &Actor::new("quinn"), None).unwrap();
    e.run_until_idle(100).unwrap();
    let asked: Vec<_> = seen.lock().unwrap().iter().map(|n| (n.kind, n.recipients.clone())).collect();
    assert!(
        asked.contains(&(trainyard::notify::NotificationKind::InputWaiting, vec!["olga".to_string()])),
        "{asked:?}"
    );
}

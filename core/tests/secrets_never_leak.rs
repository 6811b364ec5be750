//! Resolved secret values reach executors and nothing else: not events, history, release state,
//! notifications, errors or `Debug` output (DESIGN §5).

use std::sync::{Arc, Mutex};
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::notify::Notification;
use trainyard::release::NewRelease;
use trainyard::secrets::MapSecretResolver;

const SECRET: &str = "s3cr3t-value-42";

const PROCESS: &str = r#"
id: deploy-with-token
inputs:
  apiToken: { type: secret, default: "secret://deploy-token" }
phases:
  - id: deploy
    activities:
      - id: push
        kind: automated
        executor: echo
        outputs: [seen]
        with: { token: "${inputs.apiToken}", header: "Bearer ${inputs.apiToken}" }
      - id: again
        kind: automated
        executor: leak
        depends_on: [push]
        on_failure: hold
        with: { token: "${inputs.apiToken}" }
"#;

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

#[test]
fn resolved_values_reach_the_executor_and_nowhere_else() {
    let engine = Engine::in_memory();
    engine.set_secret_resolver(MapSecretResolver::new([("deploy-token", SECRET)]));
    let seen: Arc<Mutex<Vec<Job>>> = Arc::default();
    let seen_in = seen.clone();
    engine.register_executor("echo", move |job: &Job| {
        seen_in.lock().unwrap().push(job.clone());
        // An executor that echoes what it got: the engine must scrub it before recording.
        Outcome::with_outputs([("seen", job.inputs["token"].clone())])
    });
    engine.register_executor("leak", |job: &Job| Outcome::Failure {
        message: format!("auth failed with token {}", job.inputs["token"].as_str().unwrap_or("")),
        retryable: false,
    });
    let notes: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let notes_in = notes.clone();
    engine.subscribe(move |n: &Notification| {
        notes_in.lock().unwrap().push(n.clone());
        Ok(())
    });
    engine.register_process(PROCESS).unwrap();
    let r = engine
        .create_release("deploy-with-token", NewRelease { name: "r".into(), ..Default::default() }, &rita())
        .unwrap();
    engine.activate(&r.id, &rita()).unwrap();
    engine.run_until_idle(100).unwrap();

    let jobs = seen.lock().unwrap().clone();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].inputs["token"], SECRET, "the executor gets the resolved value");
    assert_eq!(jobs[0].inputs["header"], format!("Bearer {SECRET}"));

    let state = engine.get_release(&r.id).unwrap();
    assert_eq!(state.status.as_str(), "on_hold", "the leaking activity failed and waits for a decision");
    let history = serde_json::to_string(&engine.history(&r.id).unwrap()).unwrap();
    assert!(history.contains("secret://deploy-token"), "events keep the reference");
    let places = [
        ("history", history),
        ("release state (Debug)", format!("{state:?}")),
        ("release state (JSON)", serde_json::to_string(&state.comparable()).unwrap()),
        ("notifications", format!("{:?}", notes.lock().unwrap())),
        ("jobs in the store", format!("{:?}", engine.list_jobs().unwrap())),
    ];
    for (what, text) in places {
        assert!(!text.contains(SECRET), "the secret value leaked into the {what}");
    }
    let error = engine.approve(&r.id, "deploy", "push", &rita(), None).unwrap_err();
    assert!(!error.to_string().contains(SECRET));
    assert!(state.activity("deploy", "again").unwrap().error.as_deref().unwrap().contains("***"));
    assert_eq!(state.activity("deploy", "push").unwrap().outputs["seen"], "***");
}

#[test]
fn a_job_whose_secret_cannot_be_resolved_fails_naming_the_secret() {
    let engine = Engine::in_memory();
    engine.register_executor("echo", |_: &Job| Outcome::success());
    engine.register_executor("leak", |_: &Job| Outcome::success());
    engine.register_process(PROCESS).unwrap();
    let r = engine
        .create_release("deploy-with-token", NewRelease { name: "r".into(), ..Default::default() }, &rita())
        .unwrap();
    engine.activate(&r.id, &rita()).unwrap();
    engine.run_until_idle(100).unwrap();
    let state = engine.get_release(&r.id).unwrap();
    let push = state.activity("deploy", "push").unwrap();
    assert_eq!(push.status.as_str(), "on_hold");
    assert!(push.error.as_deref().unwrap().contains("secret resolver"), "{:?}", push.error);
}

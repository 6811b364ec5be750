//! Values handed to the engine are bounded (`trainyard::limits`): too large or too deep inputs,
//! field values and comments are refused with a coded error and write nothing; an executor's
//! oversized outputs fail its attempt; a huge failure message is cut; a value at the depth bound
//! is stored and read back on SQLite.

use serde_json::{Value, json};
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::limits::{MAX_MESSAGE_BYTES, MAX_VALUE_BYTES, MAX_VALUE_DEPTH};
use trainyard::release::NewRelease;
use trainyard::{Engine, Error};

const PROCESS: &str = r#"
id: bounded
inputs:
  blob: { type: object }
  text: { type: string }
phases:
  - id: build
    activities:
      - { id: make, kind: automated, executor: x, on_failure: fail }
      - { id: check, kind: manual, depends_on: [make], fields: [{ name: note, type: string }] }
"#;

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn deep(levels: usize) -> Value {
    let mut v = json!({ "leaf": 1 });
    for _ in 1..levels {
        v = json!({ "a": v });
    }
    v
}

fn engine_with(outcome: impl Fn(&Job) -> Outcome + Send + Sync + 'static, url: Option<&str>) -> Engine {
    let e = match url {
        Some(u) => Engine::open(u).unwrap(),
        None => Engine::in_memory(),
    };
    e.register_executor("x", outcome);
    e.register_process(PROCESS).unwrap();
    e
}

fn new(inputs: Value) -> NewRelease {
    NewRelease { name: "r".into(), inputs: serde_json::from_value(inputs).unwrap(), ..Default::default() }
}

fn problem(e: &Error) -> (&str, &str) {
    let p = e.problems().first().unwrap_or_else(|| panic!("no problems in {e}"));
    (p.path.as_str(), p.code.as_str())
}

#[test]
fn too_large_or_too_deep_inputs_are_refused_and_nothing_is_written() {
    let e = engine_with(|_| Outcome::success(), None);
    let big = "x".repeat(MAX_VALUE_BYTES + 1);
    let err = e.create_release("bounded", new(json!({ "text": big })), &rita()).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
    assert_eq!(problem(&err), ("inputs.text", "too_large"), "{err}");
    let err = e.create_release("bounded", new(json!({ "blob": deep(MAX_VALUE_DEPTH + 1) })), &rita()).unwrap_err();
    assert_eq!((err.code(), problem(&err)), ("invalid_input", ("inputs.blob", "too_deep")), "{err}");
    assert!(e.store().releases().unwrap().is_empty(), "a refused create writes nothing");
    let r = e.create_release("bounded", new(json!({ "text": "ok" })), &rita()).unwrap();
    let err = e
        .update_release(
            &r.id,
            &rita(),
            trainyard::release::ReleaseChanges {
                inputs: Some(serde_json::from_value(json!({ "blob": deep(500) })).unwrap()),
                ..Default::default()
            },
            None,
        )
        .unwrap_err();
    assert_eq!(problem(&err), ("inputs.blob", "too_deep"));
    assert_eq!(e.history(&r.id).unwrap().len(), 1, "only the creation was written");
    e.activate(&r.id, &rita()).unwrap();
    let before = e.history(&r.id).unwrap().len();
    let long = "c".repeat(MAX_MESSAGE_BYTES + 1);
    let err = e.abort(&r.id, &rita(), &long).unwrap_err();
    assert_eq!(problem(&err), ("comment", "too_large"));
    assert_eq!(e.history(&r.id).unwrap().len(), before, "a refused abort writes nothing");
}

#[test]
fn oversized_outputs_fail_the_attempt_and_huge_messages_are_cut() {
    let e = engine_with(|_| Outcome::with_outputs([("dump", "y".repeat(2 * MAX_VALUE_BYTES))]), None);
    let r = e.create_release("bounded", new(json!({})), &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    e.run_until_idle(10).unwrap();
    let s = e.get_release(&r.id).unwrap();
    let make = s.activity("build", "make").unwrap();
    assert_eq!(make.status.as_str(), "failed");
    assert!(make.error.as_deref().unwrap().contains("outputs were refused"), "{:?}", make.error);
    let stored: usize = e.history(&r.id).unwrap().iter().map(|ev| serde_json::to_string(ev).unwrap().len()).sum();
    assert!(stored < 64 * 1024, "the log stays small: {stored} bytes");

    let e = engine_with(|_| Outcome::Failure { message: "z".repeat(10 * MAX_MESSAGE_BYTES), retryable: false }, None);
    let r = e.create_release("bounded", new(json!({})), &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    e.run_until_idle(10).unwrap();
    let error = e.get_release(&r.id).unwrap().activity("build", "make").unwrap().error.clone().unwrap();
    assert!(error.len() <= MAX_MESSAGE_BYTES && error.ends_with("…[cut]"), "{}", error.len());
}

#[test]
fn a_value_at_the_depth_bound_is_stored_and_read_back_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("deep.db").display());
    let e = engine_with(|_| Outcome::success(), Some(&url));
    let r = e.create_release("bounded", new(json!({ "blob": deep(MAX_VALUE_DEPTH) })), &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    e.run_until_idle(10).unwrap();
    drop(e);
    let again = engine_with(|_| Outcome::success(), Some(&url));
    let s = again.get_release(&r.id).unwrap();
    assert_eq!(s.inputs["blob"], deep(MAX_VALUE_DEPTH));
    assert_eq!(again.history(&r.id).unwrap().len(), s.seq as usize);
}

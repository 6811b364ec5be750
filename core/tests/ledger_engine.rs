//! The deployment ledger through the engine: `records` validated, evaluated at success (an
//! evaluation error records no entry and keeps the success), read by `deployed` and
//! `deployments`, and rebuilt from the events into a database that has no ledger rows.

#[path = "support/storage.rs"]
mod support;

use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{EventKind, NewRelease};
use trainyard::schedule::ManualClock;
use trainyard::store::SqliteStore;
use trainyard::{Engine, Error};

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn start() -> chrono::DateTime<chrono::Utc> {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

const ROLLOUT: &str = r#"
id: rollout
inputs:
  version: { type: string, required: true }
phases:
  - id: prod1
    activities:
      - id: deploy
        kind: automated
        executor: x
        outputs: [build]
        records: { service: checkout, environment: prod1, version: "${inputs.version}+${phases.prod1.activities.deploy.outputs.build}" }
      - id: note
        kind: automated
        executor: x
        depends_on: [deploy]
        records: { service: checkout, environment: "${[inputs.version]}", version: "1" }
"#;

fn codes_of(text: &str) -> Vec<(String, String)> {
    match Engine::in_memory().register_process(text) {
        Err(Error::Validation { problems, .. }) => problems.into_iter().map(|p| (p.path, p.code)).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn records_are_validated_with_coded_problems_all_at_once() {
    let text = r#"
id: bad
phases:
  - id: prod
    activities:
      - { id: gate, kind: approval, approvers: [{ group: qa }], records: { service: a, environment: b, version: c } }
      - { id: deploy, kind: automated, executor: x, records: { service: " ", environment: prod, version: "", commit: "" } }
      - id: later
        kind: automated
        executor: x
        records: { service: a, environment: b, version: "${phases.prod.activities.other.outputs.v}" }
      - { id: other, kind: automated, executor: x, outputs: [v] }
"#;
    let got = codes_of(text);
    let want = [
        ("phases[0].activities[0].records", "field_not_allowed"),
        ("phases[0].activities[1].records.service", "empty_record_field"),
        ("phases[0].activities[1].records.version", "empty_record_field"),
        ("phases[0].activities[1].records.commit", "empty_record_field"),
        ("phases[0].activities[2].records.version", "not_downstream"),
    ];
    for (path, code) in want {
        assert!(got.iter().any(|(p, c)| p == path && c == code), "{path} {code} missing from {got:?}");
    }
    // An activity's records may read its own outputs.
    Engine::in_memory().register_process(ROLLOUT).expect("records reading the activity's own outputs are valid");
}

#[test]
fn a_success_records_what_it_delivered_and_a_failed_evaluation_records_nothing() {
    let engine = Engine::in_memory_with_clock(Arc::new(ManualClock::new(start())));
    engine.register_executor("x", |job: &Job| {
        let mut outputs = indexmap::IndexMap::new();
        if job.activity_id == "deploy" {
            outputs.insert("build".to_string(), serde_json::json!(42));
        }
        Outcome::Success { outputs }
    });
    engine.register_process(ROLLOUT).unwrap();
    let inputs = [("version".to_string(), serde_json::json!("2.1.3"))].into_iter().collect();
    let id = engine.create_release("rollout", NewRelease { name: "w15".into(), inputs, ..Default::default() }, &rita());
    let id = id.unwrap().id;
    engine.activate(&id, &rita()).unwrap();
    engine.run_until_idle(1000).unwrap();
    let state = engine.get_release(&id).unwrap();
    assert_eq!(state.status.as_str(), "success", "a records that cannot be evaluated does not fail the activity");
    let recorded: Vec<_> = engine
        .history(&id)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::DeliveryRecorded { target, delivery, error, .. } => Some((target.activity, delivery, error)),
            _ => None,
        })
        .collect();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].1.as_ref().map(|d| d.version.as_str()), Some("2.1.3+42"));
    assert!(recorded[1].1.is_none());
    let error = recorded[1].2.as_deref().unwrap_or_default();
    assert!(error.starts_with("expression_error") && error.contains("must give text"), "{error}");
    let deployed = engine.deployed(Some("prod1"), None).unwrap();
    assert_eq!(deployed.len(), 1, "{deployed:?}");
    let e = &deployed[0];
    assert_eq!((e.service.as_str(), e.version.as_str(), e.release_id.as_str()), ("checkout", "2.1.3+42", id.as_str()));
    assert_eq!((e.phase_id.as_str(), e.activity_id.as_str(), e.attempt, e.rollback), ("prod1", "deploy", 0, false));
    assert_eq!(e.at, start(), "since the success (the manual clock did not move)");
    assert_eq!(engine.deployments("checkout", "prod1", 10).unwrap(), deployed);
}

#[test]
fn bad_arguments_are_refused_with_every_problem() {
    let engine = Engine::in_memory();
    match engine.deployments(" ", "", 0) {
        Err(Error::InvalidInput { problems }) => {
            let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
            assert_eq!(paths, ["service", "environment", "limit"]);
        }
        other => panic!("expected invalid_input, got {other:?}"),
    }
    assert!(matches!(engine.deployed(Some(""), None), Err(Error::InvalidInput { .. })));
}

#[test]
fn the_ledger_is_rebuilt_from_the_events_into_a_database_without_it() {
    let (dir, store) = support::sqlite();
    let clock = Arc::new(ManualClock::new(start()));
    let engine = Engine::new(store.clone(), clock.clone());
    engine.register_executor("x", |_: &Job| Outcome::Success {
        outputs: [("build".to_string(), serde_json::json!(7))].into_iter().collect(),
    });
    engine.register_process(ROLLOUT).unwrap();
    let inputs = [("version".to_string(), serde_json::json!("3.0.0"))].into_iter().collect();
    let id = engine.create_release("rollout", NewRelease { name: "w16".into(), inputs, ..Default::default() }, &rita());
    engine.activate(&id.unwrap().id, &rita()).unwrap();
    engine.run_until_idle(1000).unwrap();
    let before = engine.deployed(None, None).unwrap();
    assert_eq!(before.len(), 1);
    drop(engine);
    drop(store);
    // As if the database were written before the ledger existed (migration 6 ran on it empty).
    let path = dir.path().join("trainyard.db");
    rusqlite::Connection::open(&path).unwrap().execute("DELETE FROM ledger", []).unwrap();
    let store: Arc<dyn trainyard::store::Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let engine = Engine::new(store, clock);
    assert_eq!(engine.deployed(None, None).unwrap(), vec![], "the rows are gone");
    assert_eq!(engine.rebuild_indexes().unwrap(), 1);
    assert_eq!(engine.deployed(None, None).unwrap(), before, "rebuilt from the events, the same entries");
}

#[test]
fn deployed_as_and_deployments_as_show_only_what_the_actor_may_read() {
    let engine = Engine::in_memory_with_clock(Arc::new(ManualClock::new(start())));
    engine.set_release_level(trainyard::access::ReleaseLevel::Organization);
    engine.register_executor("x", |_: &Job| Outcome::Success { outputs: indexmap::IndexMap::new() });
    engine.register_process(include_str!("../../testdata/processes/ship-to-one-environment.yaml")).unwrap();
    let ship = |scope: &str, env: &str, version: &str| {
        let inputs = [("version".to_string(), serde_json::json!(version)), ("env".to_string(), serde_json::json!(env))]
            .into_iter()
            .collect();
        let new = NewRelease { name: format!("{scope} {version}"), scope: scope.into(), inputs, ..Default::default() };
        let id = engine.create_release("ship", new, &rita()).unwrap().id;
        engine.activate(&id, &rita()).unwrap();
        engine.run_until_idle(100).unwrap();
    };
    ship("org:payments", "prod1", "1.0");
    ship("org:search", "prod1", "2.0");
    ship("org:payments", "prod2", "1.1");
    let pat = Actor::new("pat").with_roles(["org_release_manager:payments"]);
    let versions = |entries: Vec<trainyard::release::LedgerEntry>| {
        entries.into_iter().map(|e| (e.environment, e.version)).collect::<Vec<_>>()
    };
    assert_eq!(
        versions(engine.deployed(None, None).unwrap()),
        [("prod1".into(), "2.0".into()), ("prod2".into(), "1.1".into())]
    );
    // prod1 now runs the search org's 2.0: pat sees that slot not at all, not payments' older 1.0.
    assert_eq!(versions(engine.deployed_as(None, None, &pat).unwrap()), [("prod2".to_string(), "1.1".to_string())]);
    assert_eq!(
        versions(engine.deployments_as("checkout", "prod1", 10, &pat).unwrap()),
        [("prod1".to_string(), "1.0".to_string())]
    );
    assert_eq!(engine.deployments("checkout", "prod1", 10).unwrap().len(), 2);
    assert!(engine.deployed_as(None, None, &Actor::new("nobody")).unwrap().is_empty());
    assert_eq!(engine.deployments_as("checkout", "prod1", 0, &pat).unwrap_err().code(), "invalid_input");
}

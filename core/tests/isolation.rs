//! Organisations are isolated from each other: input sets and processes belong to a scope like
//! releases do (the account's are shared read-only with every org), and registering processes and
//! applying retention on behalf of a person follow the access matrix.

use serde_json::{Value, json};
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::release::NewRelease;
use trainyard::schedule::{ManualClock, ReleaseGroup};
use trainyard::{Engine, Error};

const DEPLOY: &str = r#"
id: deploy
inputs:
  region: { type: string, default: "eu" }
phases:
  - id: go
    activities:
      - { id: ok, kind: approval, approvers: [{ user: ann }] }
"#;

fn account() -> Actor {
    Actor::new("ada").with_roles(["account_release_manager"])
}
fn payments() -> Actor {
    Actor::new("pat").with_roles(["org_release_manager:payments"])
}
fn search() -> Actor {
    Actor::new("sam").with_roles(["org_release_manager:search"])
}

fn values(v: Value) -> indexmap::IndexMap<String, Value> {
    serde_json::from_value(v).unwrap()
}

fn engine() -> Engine {
    let clock = ManualClock::new("2025-06-02T09:00:00Z".parse().unwrap());
    let e = Engine::in_memory_with_clock(Arc::new(clock));
    e.set_release_level(trainyard::access::ReleaseLevel::Organization);
    e.register_process(DEPLOY).unwrap();
    e
}

fn denied(r: Result<impl std::fmt::Debug, Error>) -> Error {
    let err = r.expect_err("refused");
    assert_eq!(err.code(), "permission_denied", "{err}");
    err
}

fn search_group() -> ReleaseGroup {
    serde_json::from_value(json!({
        "id": "search-weekly", "name": "Search weekly", "process": "deploy", "scope": "org:search",
        "input_set": "prod", "cadence": "FREQ=WEEKLY;BYDAY=MO", "timezone": "UTC",
        "starts_on": "2025-06-09T10:00", "duration": "2h"
    }))
    .unwrap()
}

#[test]
fn an_org_manager_cannot_overwrite_the_input_set_another_orgs_group_uses() {
    let e = engine();
    e.save_input_set("deploy", "prod", values(json!({ "region": "eu" })), &account()).unwrap();
    e.save_input_set_in("org:search", "deploy", "prod", values(json!({ "region": "us" })), &search()).unwrap();
    e.create_release_group(search_group(), &search()).unwrap();
    let region = |e: &Engine| {
        let rows = e.list_releases(&Default::default()).unwrap();
        let regions: Vec<Value> = rows
            .iter()
            .filter(|r| r.group.as_deref() == Some("search-weekly"))
            .map(|r| r.inputs["region"].clone())
            .collect();
        assert!(!regions.is_empty());
        regions
    };
    assert!(region(&e).iter().all(|r| r == "us"), "search's own set: {:?}", region(&e));

    // The account's set is shared read-only: an org manager may not change it…
    let err = denied(e.save_input_set("deploy", "prod", values(json!({ "region": "ap" })), &payments()));
    assert!(err.to_string().contains("account_release_manager"), "{err}");
    // …nor another org's set.
    denied(e.save_input_set_in("org:search", "deploy", "prod", values(json!({ "region": "ap" })), &payments()));
    // Payments' own set of the same name changes nothing for search.
    e.save_input_set_in("org:payments", "deploy", "prod", values(json!({ "region": "ap" })), &payments()).unwrap();
    assert_eq!(e.get_input_set("deploy", "prod", None).unwrap().values["region"], "eu");
    assert_eq!(e.get_input_set_in("org:search", "deploy", "prod", None).unwrap().values["region"], "us");
    let mut changed = search_group();
    changed.name = "Search weekly (renamed)".into();
    e.update_release_group(changed, &search()).unwrap();
    assert!(region(&e).iter().all(|r| r == "us"), "{:?}", region(&e));

    // An org without its own set sees the account's; listing shows what that scope can use.
    let seen = e.get_input_set_in("org:data", "deploy", "prod", None).unwrap();
    assert_eq!((seen.scope.as_str(), seen.values["region"].clone()), ("account", json!("eu")));
    assert_eq!(e.list_input_sets_in("org:payments", "deploy").unwrap(), vec![("prod".to_string(), 1)]);
}

#[test]
fn processes_belong_to_a_scope_and_account_processes_are_shared_read_only() {
    let e = engine();
    let own = DEPLOY.replace("id: deploy", "id: search-deploy");
    let info = e.register_process_as(&own, None, &search()).unwrap();
    assert_eq!(info.version, 1);
    assert_eq!(e.process_scope("search-deploy").unwrap(), "org:search");
    assert_eq!(e.process_scope("deploy").unwrap(), "account");

    // Another org can neither change it nor run it.
    let v2 = own.replace("default: \"eu\"", "default: \"us\"");
    denied(e.register_process_as(&v2, None, &payments()));
    let new = |scope: &str| NewRelease { name: "r".into(), scope: scope.into(), ..Default::default() };
    let err = denied(e.create_release("search-deploy", new("org:payments"), &payments()));
    assert!(err.to_string().contains("org:search"), "{err}");
    e.create_release("search-deploy", new("org:search"), &search()).unwrap();
    assert_eq!(e.register_process_as(&v2, None, &search()).unwrap().version, 2);
    let err = e.register_process_as(&v2, Some("account"), &account()).unwrap_err();
    assert_eq!((err.code(), err.problems()[0].path.as_str()), ("invalid_input", "scope"), "{err}");

    // The account's process: every org runs it, only account managers change it.
    e.create_release("deploy", new("org:payments"), &payments()).unwrap();
    e.create_release("deploy", new("org:search"), &search()).unwrap();
    denied(e.register_process_as(&DEPLOY.replace("\"eu\"", "\"ap\""), None, &payments()));
    assert_eq!(e.register_process_as(&DEPLOY.replace("\"eu\"", "\"ap\""), None, &account()).unwrap().version, 2);
    denied(e.register_process_as(
        &DEPLOY.replace("id: deploy", "id: x"),
        None,
        &Actor::new("vic").with_roles(["viewer"]),
    ));
    // A group of one org cannot run another org's process.
    let mut g = search_group();
    g.scope = "org:payments".into();
    g.process = "search-deploy".into();
    g.input_set = None;
    denied(e.create_release_group(g, &payments()));
}

#[test]
fn retention_on_behalf_of_a_person_needs_an_account_release_manager() {
    let e = engine();
    let now = e.clock().now();
    denied(e.apply_retention_as(now, &payments()));
    denied(e.apply_retention_as(now, &Actor::new("vic").with_roles(["viewer"])));
    assert_eq!(e.apply_retention_as(now, &account()).unwrap(), Vec::<String>::new());
    assert_eq!(e.apply_retention_as(now, &Actor::system()).unwrap(), Vec::<String>::new());
}

//! Access control and notifications through the engine (the matrix is in the `trainyard::access` docs): every command is
//! authorized before anything is decided, reads are filtered by what the actor may see, and
//! subscribers receive the notifications of committed events.

use std::sync::{Arc, Mutex};
use trainyard::access::{Actor, ReleaseLevel};
use trainyard::executor::{Job, Outcome};
use trainyard::notify::Notification;
use trainyard::release::NewRelease;
use trainyard::{Engine, ReleaseFilter};

const PROCESS: &str = r#"
id: gated
owners: [release-eng]
phases:
  - id: build
    owners: [development]
    activities:
      - { id: compile, kind: automated, executor: x }
  - id: approve
    depends_on: [build]
    activities:
      - { id: signoff, kind: approval, approvers: [{ group: qa }], remind_every: 1h }
"#;

fn account_manager() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn engine(level: ReleaseLevel) -> Engine {
    let e = Engine::in_memory();
    e.set_release_level(level);
    e.register_executor("x", |_: &Job| Outcome::success());
    e.register_process(PROCESS).unwrap();
    e
}

fn new(name: &str, scope: &str) -> NewRelease {
    NewRelease { name: name.into(), scope: scope.into(), ..Default::default() }
}

#[test]
fn viewers_read_but_cannot_change_and_nothing_is_written() {
    let e = engine(ReleaseLevel::Account);
    let r = e.create_release("gated", new("r", "account"), &account_manager()).unwrap();
    let viewer = Actor::new("vic").with_roles(["viewer"]);
    assert_eq!(e.get_release_as(&r.id, &viewer).unwrap().id, r.id);
    let before = e.history(&r.id).unwrap().len();
    let err = e.activate(&r.id, &viewer).unwrap_err();
    assert_eq!(err.code(), "permission_denied");
    let text = err.to_string();
    assert!(text.contains("vic") && text.contains("activate"), "names actor and command: {text}");
    assert_eq!(e.history(&r.id).unwrap().len(), before, "a refused command writes nothing");
    let nobody = Actor::new("nobody");
    assert_eq!(e.create_release("gated", new("x", "account"), &nobody).unwrap_err().code(), "permission_denied");
}

#[test]
fn org_managers_see_and_manage_only_their_org() {
    let e = engine(ReleaseLevel::Organization);
    let payments = Actor::new("pat").with_roles(["org_release_manager:payments"]);
    let search = Actor::new("sam").with_roles(["org_release_manager:search"]);
    let p = e.create_release("gated", new("payments weekly", "org:payments"), &payments).unwrap();
    let s = e.create_release("gated", new("search weekly", "org:search"), &search).unwrap();
    let visible: Vec<String> =
        e.list_releases_as(&ReleaseFilter::default(), &payments).unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(visible, vec![p.id.clone()], "an org manager never sees another org's releases");
    assert_eq!(e.get_release_as(&s.id, &payments).unwrap_err().code(), "permission_denied");
    assert_eq!(e.activate(&s.id, &payments).unwrap_err().code(), "permission_denied");
    e.activate(&p.id, &payments).unwrap();
    // One release level per installation: account-level releases are refused here.
    let err = e.create_release("gated", new("account wide", "account"), &account_manager()).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
}

#[test]
fn approvals_only_by_listed_approvers_even_for_managers() {
    let e = engine(ReleaseLevel::Account);
    let r = e.create_release("gated", new("r", "account"), &account_manager()).unwrap();
    e.activate(&r.id, &account_manager()).unwrap();
    e.run_until_idle(10).unwrap();
    let err = e.approve(&r.id, "approve", "signoff", &account_manager(), None).unwrap_err();
    assert_eq!(err.code(), "permission_denied");
    e.approve(&r.id, "approve", "signoff", &Actor::new("quinn").with_groups(["qa"]), Some("ok")).unwrap();
    assert_eq!(e.get_release(&r.id).unwrap().status.as_str(), "success");
}

#[test]
fn subscribers_get_notifications_after_commit_and_their_errors_never_break_the_engine() {
    let e = engine(ReleaseLevel::Account);
    let got: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let sink = got.clone();
    e.subscribe(move |n: &Notification| {
        sink.lock().unwrap().push(n.clone());
        Ok(())
    });
    e.subscribe(|_: &Notification| Err("mail server down".to_string()));
    let r = e.create_release("gated", new("r", "account"), &account_manager()).unwrap();
    e.activate(&r.id, &account_manager()).unwrap();
    e.run_until_idle(10).unwrap();
    let kinds: Vec<String> = got.lock().unwrap().iter().map(|n| n.kind.as_str().to_string()).collect();
    for k in ["release_started", "phase_started", "phase_ended", "approval_requested"] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    let request = got.lock().unwrap().iter().find(|n| n.kind.as_str() == "approval_requested").cloned().unwrap();
    assert_eq!(request.recipients, vec!["group:qa".to_string()]);
    assert!(e.notification_failures() > 0, "the failing subscriber was counted");
    assert_eq!(e.get_release(&r.id).unwrap().status.as_str(), "on_hold", "the engine went on");
}

/// A typo in an activity id is `not_found` for an approver as much as for a manager (a portal maps
/// it to 404, not 403), and approving an activity that is not an approval says so, before any
/// permission check.
#[test]
fn a_missing_or_wrong_activity_is_reported_before_permissions() {
    let e = engine(ReleaseLevel::Account);
    let rita = account_manager();
    let r = e.create_release("gated", new("r", "account"), &rita).unwrap();
    e.activate(&r.id, &rita).unwrap();
    e.run_until_idle(10).unwrap();
    let quinn = Actor::new("quinn").with_groups(["qa"]);
    for who in [&quinn, &rita] {
        let err = e.approve(&r.id, "approve", "signof", who, None).unwrap_err();
        assert_eq!(err.code(), "not_found", "{}: {err}", who.id);
        assert!(err.to_string().contains("signoff"), "the hint lists the activities: {err}");
        let err = e.approve(&r.id, "aprove", "signoff", who, None).unwrap_err();
        assert_eq!(err.code(), "not_found", "{}: {err}", who.id);
        let err = e.approve(&r.id, "build", "compile", who, None).unwrap_err();
        assert_eq!(err.code(), "invalid_transition", "{}: {err}", who.id);
        assert!(err.to_string().contains("automated activity, not an approval"), "{err}");
    }
    assert_eq!(e.get_release(&r.id).unwrap().status.as_str(), "on_hold");
}

/// Deleting a release is authorized on every path, including the purge of an archived release
/// past its retention period.
#[test]
fn deleting_an_archived_release_needs_a_release_manager() {
    let clock = trainyard::schedule::ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap());
    let e = Engine::in_memory_with_clock(Arc::new(clock.clone()));
    e.register_executor("x", |_: &Job| Outcome::success());
    e.register_process("id: quick\nphases:\n  - id: a\n    activities: [{ id: b, kind: automated, executor: x }]\n")
        .unwrap();
    let rita = account_manager();
    let r = e.create_release("quick", new("r", "account"), &rita).unwrap();
    e.activate(&r.id, &rita).unwrap();
    e.run_until_idle(10).unwrap();
    e.archive(&r.id, &rita).unwrap();
    clock.advance(chrono::Duration::days(400));
    let err = e.delete_release(&r.id, &Actor::new("mallory")).unwrap_err();
    assert_eq!(err.code(), "permission_denied", "{err}");
    assert!(e.get_release(&r.id).is_ok(), "nothing was deleted");
    assert_eq!(e.delete_release(&r.id, &rita).unwrap(), vec![]);
    assert_eq!(e.get_release(&r.id).unwrap_err().code(), "not_found");
}

//! Tests of notifications: every kind, recipients, and the dispatcher's error isolation.

use super::*;
use crate::release::{ApprovalRecord, Plan};
use serde_json::{Value, json};
use std::sync::Mutex;

const PROCESS: &str = r#"
id: notify-demo
phases:
  - id: build
    owners: [build-team, rita]
    activities:
      - { id: compile, kind: automated, executor: command }
      - { id: sign, kind: manual, owners: [qa-lead], fields: [{ name: ok, type: boolean }] }
      - { id: notes, kind: manual, fields: [{ name: text, type: string }] }
  - id: ship
    depends_on: [build]
    activities:
      - id: approve
        kind: approval
        approvers: [{ user: alice }, { group: qa }, { user: bob }]
        min_approvals: all
        deadline: 1d
        on_deadline: escalate
        escalate_to: [{ group: leads }, { user: alice }]
      - { id: checklist, kind: manual, fields: [{ name: done, type: boolean }] }
      - { id: deploy, kind: automated, executor: command, owners: [ops] }
"#;

fn state() -> ReleaseState {
    let loaded = crate::load_process(PROCESS).unwrap();
    let plan = Plan::new(Arc::new(loaded.process), 1);
    let mut s = ReleaseState::new("r-1", plan);
    s.name = "Train 42".into();
    s.owners = vec!["rita".into(), "stakeholder".into(), "rita".into()];
    s
}

/// An event built from its serialized form (robust to fields added later with defaults).
fn ev(seq: u64, kind: &str, data: Value) -> Event {
    let mut e = json!({ "seq": seq, "at": "2026-03-05T14:00:00Z", "actor": "rita", "kind": kind });
    if !data.is_null() {
        e["data"] = data;
    }
    serde_json::from_value(e).unwrap_or_else(|err| panic!("bad test event {kind}: {err}"))
}

fn one(state: &ReleaseState, event: Event) -> Notification {
    let mut out = notifications_for(state, &[event]);
    assert_eq!(out.len(), 1, "{out:?}");
    out.remove(0)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn release_started_goes_to_release_owners() {
    let s = state();
    let n = one(&s, ev(7, "activated", json!({ "early": true })));
    assert_eq!(n.kind, NotificationKind::ReleaseStarted);
    assert_eq!(n.recipients, strings(&["rita", "stakeholder"]), "deduplicated, in order");
    assert_eq!((n.release_id.as_str(), n.release_name.as_str(), n.seq), ("r-1", "Train 42", 7));
    assert!(n.message.contains("Train 42") && n.message.contains("pre-execution"), "{}", n.message);
    assert_eq!(n.at.to_rfc3339(), "2026-03-05T14:00:00+00:00");
    assert_eq!((n.phase.as_ref(), n.activity.as_ref(), n.status.as_ref()), (None, None, None));
}

#[test]
fn release_ended_for_end_and_abort() {
    let s = state();
    let n = one(&s, ev(9, "ended", json!({ "status": "partial_success" })));
    assert_eq!(n.kind, NotificationKind::ReleaseEnded);
    assert_eq!(n.status.as_deref(), Some("partial_success"));
    assert_eq!(n.recipients, strings(&["rita", "stakeholder"]));

    let mut abort = ev(10, "aborted", Value::Null);
    abort.comment = Some("bad build".into());
    let n = one(&s, abort);
    assert_eq!(n.kind, NotificationKind::ReleaseEnded);
    assert_eq!(n.status.as_deref(), Some("aborted"));
    assert!(n.message.contains("aborted by rita: bad build"), "{}", n.message);
}

#[test]
fn phase_notifications_go_to_phase_owners_else_release_owners() {
    let s = state();
    let n = one(&s, ev(1, "phase_started", json!({ "phase": "build" })));
    assert_eq!(n.kind, NotificationKind::PhaseStarted);
    assert_eq!(n.phase.as_deref(), Some("build"));
    assert_eq!(n.recipients, strings(&["build-team", "rita"]));

    let n = one(&s, ev(2, "phase_ended", json!({ "phase": "ship", "status": "failed" })));
    assert_eq!(n.kind, NotificationKind::PhaseEnded);
    assert_eq!(n.status.as_deref(), Some("failed"));
    assert_eq!(n.recipients, strings(&["rita", "stakeholder"]), "ship has no owners");

    let n = one(&s, ev(3, "phase_skipped", json!({ "phase": "ship", "reason": "upstream_failed" })));
    assert_eq!(n.kind, NotificationKind::PhaseEnded);
    assert_eq!(n.status.as_deref(), Some("skipped"));
    assert!(n.message.contains("upstream_failed"), "{}", n.message);
}

#[test]
fn input_waiting_goes_to_activity_then_phase_then_release_owners() {
    let s = state();
    let n = one(&s, ev(1, "activity_waiting", json!({ "phase": "build", "activity": "sign" })));
    assert_eq!(n.kind, NotificationKind::InputWaiting);
    assert_eq!((n.phase.as_deref(), n.activity.as_deref()), (Some("build"), Some("sign")));
    assert_eq!(n.recipients, strings(&["qa-lead"]));
    let n = one(&s, ev(2, "activity_waiting", json!({ "phase": "build", "activity": "notes" })));
    assert_eq!(n.recipients, strings(&["build-team", "rita"]), "phase owners");
    let n = one(&s, ev(3, "activity_waiting", json!({ "phase": "ship", "activity": "checklist" })));
    assert_eq!(n.recipients, strings(&["rita", "stakeholder"]), "release owners");
}

#[test]
fn approval_requested_goes_to_approvers_with_groups_marked() {
    let mut s = state();
    let n = one(&s, ev(1, "activity_waiting", json!({ "phase": "ship", "activity": "approve" })));
    assert_eq!(n.kind, NotificationKind::ApprovalRequested);
    assert_eq!(n.recipients, strings(&["alice", "group:qa", "bob"]));
    // Waiting again after an escalation (e.g. a retry) includes escalate_to.
    s.phases[1].activities[0].escalated = true;
    let n = one(&s, ev(2, "activity_waiting", json!({ "phase": "ship", "activity": "approve", "attempt": 1 })));
    assert_eq!(n.recipients, strings(&["alice", "group:qa", "bob", "group:leads"]));
}

fn record(approver: &str, approved: bool, covers: Vec<usize>) -> ApprovalRecord {
    ApprovalRecord {
        approver: approver.into(),
        approved,
        at: "2026-03-05T13:00:00Z".parse().unwrap(),
        comment: None,
        covers,
    }
}

#[test]
fn approval_reminder_goes_only_to_those_still_missing() {
    let mut s = state();
    // quinn (in qa) approved, covering the qa entry; bob has not decided; alice has not decided.
    s.phases[1].activities[0].approvals.push(record("quinn", true, vec![1]));
    let n = one(&s, ev(4, "approval_reminded", json!({ "phase": "ship", "activity": "approve" })));
    assert_eq!(n.kind, NotificationKind::ApprovalReminder);
    assert_eq!(n.recipients, strings(&["alice", "bob"]));
    // bob approved too.
    s.phases[1].activities[0].approvals.push(record("bob", true, vec![2]));
    let n = one(&s, ev(5, "approval_reminded", json!({ "phase": "ship", "activity": "approve" })));
    assert_eq!(n.recipients, strings(&["alice"]));
}

#[test]
fn approval_escalated_adds_escalate_to() {
    let mut s = state();
    s.phases[1].activities[0].approvals.push(record("bob", true, vec![2]));
    s.phases[1].activities[0].escalated = true;
    let n = one(&s, ev(6, "approval_escalated", json!({ "phase": "ship", "activity": "approve" })));
    assert_eq!(n.kind, NotificationKind::ApprovalEscalated);
    assert_eq!(n.recipients, strings(&["alice", "group:qa", "group:leads"]), "bob decided; alice listed once");
    assert!(n.message.contains("escalated"), "{}", n.message);
}

#[test]
fn activity_on_hold_goes_to_the_responsible_people_and_release_owners() {
    let s = state();
    let failed = |phase: &str, activity: &str, after: Value| {
        ev(
            8,
            "activity_failed",
            json!({ "phase": phase, "activity": activity, "attempt": 0, "message": "exit 2", "after": after }),
        )
    };
    let n = one(&s, failed("ship", "deploy", json!({ "then": "hold" })));
    assert_eq!(n.kind, NotificationKind::ActivityOnHold);
    assert_eq!(n.recipients, strings(&["ops", "rita", "stakeholder"]));
    assert!(n.message.contains("exit 2"), "{}", n.message);
    let n = one(&s, failed("build", "compile", json!({ "then": "hold" })));
    assert_eq!(n.recipients, strings(&["build-team", "rita", "stakeholder"]));
    for after in [json!({ "then": "fail" }), json!({ "then": "ignore" }), json!({ "then": "rollback" })] {
        assert!(notifications_for(&s, &[failed("ship", "deploy", after.clone())]).is_empty(), "{after}");
    }
    let retry = failed("ship", "deploy", json!({ "then": "retry", "at": "2026-03-05T14:05:00Z" }));
    assert!(notifications_for(&s, &[retry]).is_empty(), "automatic retries notify nobody");
}

#[test]
fn every_kind_is_produced_and_other_events_are_silent() {
    let mut s = state();
    s.phases[1].activities[0].escalated = true;
    let events = vec![
        ev(1, "activated", json!({ "early": false })),
        ev(2, "phase_started", json!({ "phase": "build" })),
        ev(
            3,
            "activity_queued",
            json!({ "phase": "build", "activity": "compile", "attempt": 0, "job_id": "j", "executor": "command", "inputs": {} }),
        ),
        ev(4, "activity_waiting", json!({ "phase": "build", "activity": "sign" })),
        ev(
            5,
            "activity_failed",
            json!({ "phase": "build", "activity": "compile", "attempt": 0, "message": "m", "after": { "then": "hold" } }),
        ),
        ev(6, "phase_ended", json!({ "phase": "build", "status": "success" })),
        ev(7, "activity_waiting", json!({ "phase": "ship", "activity": "approve" })),
        ev(8, "approval_reminded", json!({ "phase": "ship", "activity": "approve" })),
        ev(9, "approval_escalated", json!({ "phase": "ship", "activity": "approve" })),
        ev(9, "timer_fired", json!({ "timer": { "timer": "phase_overdue", "phase": "ship" } })),
        ev(9, "timer_fired", json!({ "timer": { "timer": "wait", "phase": "ship", "activity": "approve" } })),
        ev(
            9,
            "risk_assessed",
            json!({ "at_risk": false, "planned_end": "2025-04-07T12:00:00Z", "check_at": "2025-04-07T11:00:00Z" }),
        ),
        ev(
            9,
            "risk_assessed",
            json!({ "at_risk": true, "expected_end": "2025-04-07T12:30:00Z", "planned_end": "2025-04-07T12:00:00Z" }),
        ),
        ev(10, "paused", Value::Null),
        ev(11, "ended", json!({ "status": "success" })),
        ev(12, "activity_waiting", json!({ "phase": "nope", "activity": "approve" })),
        ev(13, "phase_started", json!({ "phase": "nope" })),
    ];
    let out = notifications_for(&s, &events);
    let kinds: Vec<&str> = out.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "release_started",
            "phase_started",
            "input_waiting",
            "activity_on_hold",
            "phase_ended",
            "approval_requested",
            "approval_reminder",
            "approval_escalated",
            "phase_overdue",
            "release_at_risk",
            "release_ended",
        ]
    );
    let mut all: Vec<&str> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
    all.sort();
    let mut seen = kinds.clone();
    seen.sort();
    assert_eq!(seen, all, "every kind appears once");
    for k in NotificationKind::ALL {
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    // A state without its plan yields release-level notifications only, without panicking.
    s.plan = None;
    let kinds: Vec<NotificationKind> = notifications_for(&s, &events).into_iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [NotificationKind::ReleaseStarted, NotificationKind::ReleaseAtRisk, NotificationKind::ReleaseEnded]
    );
}

#[test]
fn dispatcher_isolates_failing_and_panicking_subscribers() {
    let s = state();
    let notes = notifications_for(
        &s,
        &[ev(1, "activated", json!({ "early": false })), ev(2, "ended", json!({ "status": "success" }))],
    );
    let got = Arc::new(Mutex::new(Vec::new()));
    let d = Dispatcher::new();
    assert!(d.is_empty());
    assert_eq!(d.dispatch(&notes), 0, "nobody to deliver to");
    d.subscribe(|_: &Notification| -> Result<(), String> { Err("smtp down".into()) });
    d.subscribe(|_: &Notification| -> Result<(), String> { panic!("subscriber bug") });
    let sink = got.clone();
    d.subscribe(move |n: &Notification| -> Result<(), String> {
        sink.lock().unwrap().push(n.kind);
        Ok(())
    });
    assert_eq!(d.len(), 3);
    let failed = d.dispatch(&notes);
    assert_eq!(failed, 4, "two failing subscribers × two notifications");
    assert_eq!(d.failures(), 4);
    assert_eq!(d.delivered(), 2);
    assert_eq!(*got.lock().unwrap(), [NotificationKind::ReleaseStarted, NotificationKind::ReleaseEnded]);
    assert!(format!("{d:?}").contains("failures: 4"));
}

#[test]
fn notifications_serialize_snake_case() {
    let s = state();
    let n = one(&s, ev(3, "phase_started", json!({ "phase": "build" })));
    let v = serde_json::to_value(&n).unwrap();
    assert_eq!(v["kind"], "phase_started");
    assert_eq!(v["phase"], "build");
    assert!(v.get("activity").is_none());
    let back: Notification = serde_json::from_value(v).unwrap();
    assert_eq!(back, n);
}

#[test]
fn the_readme_shows_the_recipient_rules_of_the_code() {
    let readme = include_str!("../../README.md");
    let start = readme.find("<!-- recipient-rules:start -->\n").expect("README marks the recipient rules") + 31;
    let end = readme.find("<!-- recipient-rules:end -->").expect("README marks the end of the recipient rules");
    assert_eq!(
        &readme[start..end],
        crate::notify::recipient_table(),
        "regenerate the README table from RECIPIENT_RULES"
    );
    let kinds: Vec<_> = crate::notify::RECIPIENT_RULES.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, NotificationKind::ALL, "one rule per kind, in order");
}

#[test]
fn release_managers_hear_what_owners_hear_and_stakeholders_only_progress() {
    let mut s = state();
    s.owners = strings(&["ops"]);
    s.release_managers = strings(&["mo", "ops"]);
    s.stakeholders = strings(&["sam", "group:finance"]);
    let started = one(&s, ev(2, "activated", json!({ "early": false })));
    assert_eq!(started.recipients, strings(&["ops", "mo", "sam", "group:finance"]));
    let phase = one(&s, ev(3, "phase_started", json!({ "phase": "ship" })));
    assert_eq!(phase.recipients, strings(&["ops", "mo", "sam", "group:finance"]), "ship has no owners");
    let approval = one(&s, ev(4, "activity_waiting", json!({ "phase": "ship", "activity": "approve" })));
    assert!(!approval.recipients.contains(&"sam".to_string()), "a request to act is not for stakeholders");
    let manual = one(&s, ev(5, "activity_waiting", json!({ "phase": "ship", "activity": "checklist" })));
    assert_eq!(manual.recipients, strings(&["ops", "mo"]), "manual input: the release's people, no stakeholders");
}

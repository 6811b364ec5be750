//! Access control tests: the full matrix (every action × persona, at both release levels) and the
//! activity-level rules.

use super::*;
use crate::Error;
use crate::release::ActivityRef;
use crate::release::{Command, Plan, ReleaseChanges, ReleaseState, ReleaseStatus, TimerKey};
use indexmap::IndexMap;
use std::sync::Arc;

const PROCESS: &str = r#"
id: access-demo
phases:
  - id: build
    activities:
      - { id: compile, kind: automated, executor: command, owners: [pat] }
      - { id: checklist, kind: manual, owners: [pat], fields: [{ name: ok, type: boolean }] }
      - id: signoff
        kind: approval
        approvers: [{ user: pat }, { group: qa }]
        deadline: 1d
        on_deadline: escalate
        escalate_to: [{ group: leads }]
      - { id: notes, kind: manual, fields: [{ name: text, type: string }] }
  - id: ship
    owners: [shipper, group:ops]
    depends_on: [build]
    activities:
      - { id: go, kind: manual, fields: [{ name: done, type: boolean }] }
"#;

fn release(scope: &str) -> ReleaseState {
    let plan = Plan::new(Arc::new(crate::load_process(PROCESS).unwrap().process), 1);
    let mut s = ReleaseState::new("r-1", plan);
    s.scope = scope.into();
    s.owners = vec!["pat".into(), "stakeholders".into()];
    s
}

/// The personas, in the order of the expectation strings.
fn personas() -> Vec<(&'static str, Actor)> {
    vec![
        ("account manager", Actor::new("ana").with_roles(["account_release_manager"])),
        ("org manager (acme)", Actor::new("omar").with_roles(["org_release_manager:acme"])),
        ("org manager (globex)", Actor::new("olga").with_roles(["org_release_manager:globex"])),
        ("viewer", Actor::new("vic").with_roles(["viewer"])),
        ("listed user", Actor::new("pat")),
        ("unlisted user", Actor::new("sam").with_groups(["devs"])),
        ("system", Actor::system()),
    ]
}

/// The target of `action` in the fixture release.
fn target<'a>(action: Action, state: &'a ReleaseState) -> AccessTarget<'a> {
    let on = |phase: &str, activity: &str| AccessTarget::release(state).with_activity(state, phase, activity);
    match action {
        Action::Approve | Action::Reject => on("build", "signoff"),
        Action::CompleteManual => on("build", "checklist"),
        Action::Retry | Action::Ignore | Action::Fail | Action::Skip => on("build", "compile"),
        Action::Create
        | Action::CreateReleaseGroup
        | Action::AddFreeze
        | Action::RegisterProcess
        | Action::SaveInputSet
        | Action::ApplyRetention
        | Action::ClaimJobs => AccessTarget::scope(&state.scope),
        _ => AccessTarget::release(state),
    }
}

/// Every action with who may do it: `Y` allowed, `.` refused, one character per persona
/// (account manager, org manager acme, org manager globex, viewer, listed user, unlisted user,
/// system); first for an `org:acme` release in an `organization` installation, then for an
/// `account` release in an `account` installation.
const MATRIX: &[(&str, &str, &str)] = &[
    ("update", "YY....Y", "Y.....Y"),
    ("delete", "YY....Y", "Y.....Y"),
    ("schedule", "YY....Y", "Y.....Y"),
    ("activate", "YY....Y", "Y.....Y"),
    ("force_activate", "Y......", "Y......"),
    ("pause", "YY....Y", "Y.....Y"),
    ("resume", "YY....Y", "Y.....Y"),
    ("abort", "YY....Y", "Y.....Y"),
    ("restart", "YY....Y", "Y.....Y"),
    ("archive", "YY....Y", "Y.....Y"),
    ("approve", "....Y..", "....Y.."),
    ("reject", "....Y..", "....Y.."),
    ("complete_manual", "....Y..", "....Y.."),
    ("retry", "YY..Y..", "Y...Y.."),
    ("ignore", "YY..Y..", "Y...Y.."),
    ("fail", "YY..Y..", "Y...Y.."),
    ("skip", "YY.....", "Y......"),
    ("start_job", "......Y", "......Y"),
    ("succeed_job", "......Y", "......Y"),
    ("fail_job", "......Y", "......Y"),
    ("child_ended", "......Y", "......Y"),
    ("observe_gate", "......Y", "......Y"),
    ("grant_locks", "......Y", "......Y"),
    ("refuse_locks", "......Y", "......Y"),
    ("fire_timer", "......Y", "......Y"),
    ("advance", "......Y", "......Y"),
    ("rewind", "YY.....", "Y......"),
    ("insert_activity", "YY.....", "Y......"),
    ("reassign", "YY.....", "Y......"),
    ("delegate", "YY.....", "Y......"),
    ("reschedule_phase", "YY.....", "Y......"),
    ("claim_jobs", "......Y", "......Y"),
    ("create", "YY....Y", "Y.....Y"),
    ("read", "YY.YY.Y", "Y..YY.Y"),
    ("register_process", "YY....Y", "Y.....Y"),
    ("save_input_set", "YY....Y", "Y.....Y"),
    ("create_release_group", "YY....Y", "Y.....Y"),
    ("add_freeze", "YY....Y", "Y.....Y"),
    ("apply_retention", "Y.....Y", "Y.....Y"),
];

#[test]
fn the_matrix_covers_every_action_and_persona() {
    let names: Vec<&str> = MATRIX.iter().map(|(n, _, _)| *n).collect();
    let all: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
    assert_eq!(names, all, "the table lists every action, in declaration order");
    let mut failures = Vec::new();
    for (scope, level, column) in [("org:acme", ReleaseLevel::Organization, 1), ("account", ReleaseLevel::Account, 2)] {
        let state = release(scope);
        for &(name, org_row, account_row) in MATRIX {
            let action = Action::from_name(name).unwrap();
            let row = if column == 1 { org_row } else { account_row };
            for ((persona, actor), expected) in personas().iter().zip(row.chars()) {
                let result = authorize(actor, action, &target(action, &state), level);
                let allowed = result.is_ok();
                if allowed != (expected == 'Y') {
                    failures.push(format!("{scope}: {persona} {name}: expected {expected}, got {result:?}"));
                }
                if let Err(e) = result {
                    assert_eq!(e.code(), "permission_denied", "{scope} {persona} {name}: {e}");
                    let Error::PermissionDenied { actor: who, command, missing } = &e else { unreachable!() };
                    assert_eq!(who, &actor.id);
                    assert!(command.starts_with(name), "{command}");
                    assert!(!missing.is_empty());
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// One instance of every release command.
fn commands() -> Vec<Command> {
    let act = |a: &str| ("build".to_string(), a.to_string());
    let (p, compile) = act("compile");
    vec![
        Command::Update {
            changes: Box::new(ReleaseChanges { name: Some("x".into()), ..Default::default() }),
            switch: None,
        },
        Command::Delete,
        Command::Schedule { start: chrono::Utc::now(), end: None, auto_start: true },
        Command::Activate { force: false },
        Command::Activate { force: true },
        Command::Pause,
        Command::Resume,
        Command::Abort { reason: "r".into() },
        Command::Restart,
        Command::Archive,
        Command::Approve { target: ActivityRef::new(p.clone(), "signoff") },
        Command::Reject { target: ActivityRef::new(p.clone(), "signoff") },
        Command::CompleteManual { target: ActivityRef::new(p.clone(), "checklist"), values: IndexMap::new() },
        Command::Retry { target: ActivityRef::new(p.clone(), compile.clone()), inputs: None },
        Command::Ignore { target: ActivityRef::new(p.clone(), compile.clone()), outputs: IndexMap::new() },
        Command::Fail { target: ActivityRef::new(p.clone(), compile.clone()) },
        Command::Skip { target: ActivityRef::new(p.clone(), compile.clone()) },
        Command::StartJob { job_id: "j".into() },
        Command::SucceedJob { job_id: "j".into(), outputs: IndexMap::new() },
        Command::FailJob { job_id: "j".into(), message: "m".into(), retryable: true, detail: None },
        Command::ChildEnded {
            target: ActivityRef::new(p.clone(), compile.clone()),
            child_id: "c".into(),
            status: ReleaseStatus::Success,
            outputs: IndexMap::new(),
            message: None,
        },
        Command::ObserveGate { target: ActivityRef::new(p.clone(), compile.clone()), attempt: 0, observed: Ok(vec![]) },
        Command::GrantLocks { request: crate::release::locks::LockNode::phase(p.clone()) },
        Command::RefuseLocks { request: crate::release::locks::LockNode::phase(p.clone()), reason: "cycle".into() },
        Command::FireTimer { timer: TimerKey::Activation },
        Command::Advance,
        Command::Rewind { target: crate::release::RewindTarget::Phase { phase: p.clone() }, inputs: None },
        Command::InsertActivity { phase: p.clone(), definition: Box::new(serde_json::json!({})), after: None },
        Command::Reassign { target: ActivityRef::new(p.clone(), "signoff"), approvers: vec![] },
        Command::Delegate { target: ActivityRef::new(p.clone(), "signoff"), from: "ann".into(), to: "bo".into() },
        Command::ReschedulePhase { phase: p.clone(), not_before: chrono::Utc::now() },
    ]
}

#[test]
fn an_approver_may_delegate_their_own_part_and_nothing_else() {
    let state = release("account");
    let target = || ActivityRef::new("build", "signoff");
    let pat = Actor::new("pat");
    let own = Command::Delegate { target: target(), from: "pat".into(), to: "vera".into() };
    assert!(authorize_command(&pat, &own, &state, ReleaseLevel::Account).is_ok());
    let other = Command::Delegate { target: target(), from: "sam".into(), to: "pat".into() };
    let err = authorize_command(&pat, &other, &state, ReleaseLevel::Account).unwrap_err();
    assert_eq!(err.code(), "permission_denied");
    let rewind =
        Command::Rewind { target: crate::release::RewindTarget::Phase { phase: "build".into() }, inputs: None };
    assert!(authorize_command(&pat, &rewind, &state, ReleaseLevel::Account).is_err(), "a release owner may not rewind");
}

#[test]
fn every_command_has_a_rule_and_authorize_command_agrees_with_the_matrix() {
    let state = release("org:acme");
    for cmd in commands() {
        let action = Action::of(&cmd);
        let expected_row = MATRIX.iter().find(|(n, _, _)| *n == action.name()).unwrap().1;
        for ((persona, actor), expected) in personas().iter().zip(expected_row.chars()) {
            let got = authorize_command(actor, &cmd, &state, ReleaseLevel::Organization).is_ok();
            assert_eq!(got, expected == 'Y', "{persona} {}", cmd.name());
        }
    }
    assert_eq!(Action::of(&Command::Activate { force: true }), Action::ForceActivate);
    assert_eq!(Action::of(&Command::Activate { force: false }), Action::Activate);
    // Every command kind is covered by the list above.
    let kinds: std::collections::BTreeSet<_> = commands().iter().map(Command::kind).collect();
    assert_eq!(kinds.len(), crate::release::CommandKind::ALL.len());
    for a in Action::ALL {
        assert_eq!(Action::from_name(a.name()), Some(*a));
    }
    assert_eq!(Action::from_name("launch_missiles"), None);
}

#[test]
fn manual_activities_fall_back_from_activity_to_phase_to_release_owners() {
    let state = release("org:acme");
    let check = |actor: &Actor, action: Action, phase: &str, activity: &str| {
        let t = AccessTarget::release(&state).with_activity(&state, phase, activity);
        authorize(actor, action, &t, ReleaseLevel::Organization)
    };
    let ana = Actor::new("ana").with_roles(["account_release_manager"]);
    let pat = Actor::new("pat");
    let stakeholder = Actor::new("sue").with_groups(["stakeholders"]);
    let shipper = Actor::new("shipper");
    let ops = Actor::new("otto").with_groups(["ops"]);
    // `notes`: no activity or phase owners → release owners (users or groups) and managers.
    for who in [&ana, &pat, &stakeholder] {
        assert!(check(who, Action::CompleteManual, "build", "notes").is_ok(), "{}", who.id);
    }
    assert!(check(&shipper, Action::CompleteManual, "build", "notes").is_err());
    // `go`: phase owners only (a user, and a group written `group:ops`); managers may not.
    assert!(check(&shipper, Action::CompleteManual, "ship", "go").is_ok());
    assert!(check(&ops, Action::CompleteManual, "ship", "go").is_ok());
    for who in [&ana, &pat] {
        let err = check(who, Action::CompleteManual, "ship", "go").unwrap_err();
        assert!(err.to_string().contains("being an owner of phase ship (shipper, group:ops)"), "{err}");
    }
    // Failure decisions: the same people, plus the release managers.
    assert!(check(&ana, Action::Retry, "ship", "go").is_ok());
    assert!(check(&pat, Action::Retry, "ship", "go").is_err());
    let err = check(&Actor::new("sam"), Action::Ignore, "build", "compile").unwrap_err();
    assert_eq!(
        err.to_string(),
        "permission denied: actor `sam` may not ignore build/compile: being an owner of activity build/compile (pat) \
         or role account_release_manager or org_release_manager:acme"
    );
}

#[test]
fn approvals_need_a_listing_and_escalation_adds_escalate_to() {
    let mut state = release("account");
    let lead = Actor::new("lee").with_groups(["leads"]);
    let qa = Actor::new("quinn").with_groups(["qa"]);
    let ana = Actor::new("ana").with_roles(["account_release_manager"]);
    let approve = |state: &ReleaseState, who: &Actor| {
        let t = AccessTarget::release(state).with_activity(state, "build", "signoff");
        authorize(who, Action::Approve, &t, ReleaseLevel::Account)
    };
    assert!(approve(&state, &qa).is_ok(), "group member");
    let err = approve(&state, &ana).unwrap_err();
    assert_eq!(
        err.to_string(),
        "permission denied: actor `ana` may not approve build/signoff: being listed as an approver \
         (pat, members of qa); release managers may not approve unless listed"
    );
    assert!(approve(&state, &lead).is_err(), "escalate_to counts only after the escalation");
    state.phases[0].activities[2].escalated = true;
    assert!(approve(&state, &lead).is_ok());
    let err = approve(&state, &Actor::system()).unwrap_err();
    assert!(err.to_string().contains("never decides for people"), "{err}");
}

#[test]
fn unknown_activities_need_a_release_manager() {
    let state = release("org:acme");
    let cmd = Command::Approve { target: ActivityRef::new("build", "nope") };
    let omar = Actor::new("omar").with_roles(["org_release_manager:acme"]);
    assert!(authorize_command(&omar, &cmd, &state, ReleaseLevel::Organization).is_ok(), "decide reports not_found");
    let err = authorize_command(&Actor::new("pat"), &cmd, &state, ReleaseLevel::Organization).unwrap_err();
    assert_eq!(err.code(), "permission_denied");
}

#[test]
fn release_level_refuses_the_other_level_before_checking_the_actor() {
    let ana = Actor::new("ana").with_roles(["account_release_manager"]);
    let sam = Actor::new("sam");
    for action in [Action::Create, Action::CreateReleaseGroup] {
        for who in [&ana, &sam] {
            let err = authorize(who, action, &AccessTarget::scope("org:acme"), ReleaseLevel::Account).unwrap_err();
            assert_eq!(err.code(), "invalid_input");
            assert_eq!(err.problems()[0].code, "release_level_mismatch");
            assert!(err.to_string().contains("release_level: account"), "{err}");
        }
        let err = authorize(&ana, action, &AccessTarget::scope("account"), ReleaseLevel::Organization).unwrap_err();
        assert!(err.to_string().contains("use `org:<id>`"), "{err}");
        let err = authorize(&ana, action, &AccessTarget::scope("org:"), ReleaseLevel::Organization).unwrap_err();
        assert_eq!(err.problems()[0].code, "invalid_scope");
        assert!(authorize(&ana, action, &AccessTarget::scope("org:acme"), ReleaseLevel::Organization).is_ok());
    }
    assert_eq!(check_release_level("org:acme", ReleaseLevel::Organization).unwrap(), Scope::Org("acme".into()));
    assert_eq!("organization".parse::<ReleaseLevel>().unwrap(), ReleaseLevel::Organization);
    assert_eq!(serde_json::to_value(ReleaseLevel::Account).unwrap(), "account");
    assert!("galaxy".parse::<ReleaseLevel>().is_err());
    assert_eq!(ReleaseLevel::default(), ReleaseLevel::Account);
}

#[test]
fn filtered_queries_keep_orgs_apart() {
    let scopes = ["account", "org:acme", "org:globex"];
    let visible = |actor: &Actor| -> Vec<&str> { scopes.iter().copied().filter(|s| can_read(actor, s)).collect() };
    assert_eq!(visible(&Actor::new("ana").with_roles(["account_release_manager"])), scopes);
    assert_eq!(visible(&Actor::new("vic").with_roles(["viewer"])), scopes);
    assert_eq!(visible(&Actor::system()), scopes);
    assert_eq!(visible(&Actor::new("omar").with_roles(["org_release_manager:acme"])), ["org:acme"]);
    assert_eq!(visible(&Actor::new("val").with_roles(["viewer:globex"])), ["org:globex"]);
    assert!(visible(&Actor::new("sam")).is_empty());
    assert!(visible(&Actor::new("bad").with_roles(["admin", "viewer:"])).is_empty(), "unknown roles grant nothing");
    // A viewer reads but cannot change.
    let state = release("org:globex");
    let val = Actor::new("val").with_roles(["viewer:globex"]);
    assert!(authorize(&val, Action::Read, &AccessTarget::release(&state), ReleaseLevel::Organization).is_ok());
    let err = authorize_command(&val, &Command::Pause, &state, ReleaseLevel::Organization).unwrap_err();
    assert_eq!(
        err.to_string(),
        "permission denied: actor `val` may not pause: role account_release_manager or org_release_manager:globex"
    );
    // People listed anywhere on a release may read it: approvers by group, phase owners.
    assert!(can_read_release(&Actor::new("quinn").with_groups(["qa"]), &state));
    assert!(can_read_release(&Actor::new("otto").with_groups(["ops"]), &state));
    assert!(can_read_release(&Actor::new("lee").with_groups(["leads"]), &state));
    assert!(!can_read_release(&Actor::new("omar").with_roles(["org_release_manager:acme"]), &state));
}

#[test]
fn roles_parse_and_print() {
    for text in ["account_release_manager", "org_release_manager:acme", "viewer", "viewer:acme"] {
        assert_eq!(Role::parse(text).unwrap().to_string(), text);
    }
    for bad in ["admin", "org_release_manager", "org_release_manager:", "viewer: x", "account_release_manager:x"] {
        let err = Role::parse(bad).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{bad}");
        assert_eq!(err.problems()[0].code, "invalid_role");
    }
    assert!(Role::parse_all(&["viewer", "nope"]).is_err());
    let actor = Actor::new("x").with_roles(["viewer:acme", "admin"]);
    assert_eq!(actor.parsed_roles(), vec![Role::OrgViewer("acme".into())]);
    assert!(Actor::system().is_system());
    assert!(Scope::parse("org:acme").unwrap().org() == Some("acme"));
    assert!(Scope::parse("Account").is_err());
    assert!(manages(&Actor::new("omar").with_roles(["org_release_manager:acme"]), "org:acme"));
    assert!(!manages(&Actor::new("omar").with_roles(["org_release_manager:acme"]), "bogus"));
    assert!(is_listed(&Actor::new("u").with_groups(["g"]), &["group:g".into()]));
    assert!(is_listed(&Actor::new("u"), &["user:u".into()]));
}

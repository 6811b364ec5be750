//! Tests of amending a running release through [`step`]: rewind, insert_activity, reassign,
//! delegate, reschedule_phase. Every test also checks that a replay of the events gives the state
//! `step` reached.

use super::*;
use crate::access::Actor;
use crate::load_process;
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::sync::Arc;

const TRAIN: &str = r#"
id: train
inputs:
  build: { type: string, default: "2.1.3" }
phases:
  - id: qa
    outputs: { tested: "${activities.test.outputs.build}" }
    activities:
      - { id: test, kind: automated, executor: x, outputs: [build], with: { build: "${inputs.build}" } }
      - { id: signoff, kind: approval, approvers: [{ user: quinn }, { user: sam }], min_approvals: 2, depends_on: [test] }
  - id: staging
    depends_on: [qa]
    activities:
      - { id: deploy, kind: automated, executor: x, with: { build: "${phases.qa.outputs.tested}" } }
  - id: prod
    depends_on: [staging]
    not_before: 2d
    activities:
      - { id: deploy, kind: automated, executor: x }
"#;

struct Run {
    state: ReleaseState,
    base: Arc<Plan>,
    events: Vec<Event>,
    now: crate::Timestamp,
}

impl Run {
    fn new() -> Self {
        let process = load_process(TRAIN).unwrap().process;
        let base = Plan::new(Arc::new(process), 1);
        let rita = Actor::new("rita");
        let now: crate::Timestamp = "2025-04-07T09:00:00Z".parse().unwrap();
        let ctx = Ctx { now, actor: &rita, comment: None, frozen_until: None, phase_history: None };
        let new = NewRelease { name: "r".into(), scope: "account".into(), ..Default::default() };
        let (state, t) = step_create("rel", base.clone(), &new, &ctx).unwrap();
        let mut run = Run { state, base, events: t.events, now };
        run.ok(Command::Activate { force: false });
        run
    }

    fn step_as(&mut self, cmd: Command, actor: &str, reason: Option<&str>) -> crate::Result<Transition> {
        let actor = Actor::new(actor);
        let ctx = Ctx { now: self.now, actor: &actor, comment: reason, frozen_until: None, phase_history: None };
        let before = self.state.comparable();
        let result = step(&mut self.state, &cmd, &ctx);
        match &result {
            Ok(t) => {
                self.events.extend(t.events.iter().cloned());
                let replayed = replay("rel", self.base.clone(), &self.events);
                assert_eq!(replayed.comparable(), self.state.comparable(), "replay agrees after {}", cmd.name());
                // A state decoded from a snapshot gets the same plan back.
                let mut decoded = crate::store::decode_snapshot(&crate::store::encode_snapshot(&self.state).unwrap())
                    .unwrap()
                    .unwrap();
                decoded.attach_plan(self.base.clone());
                assert_eq!(decoded.comparable(), self.state.comparable());
                assert_eq!(
                    decoded.plan().phases.iter().map(|p| p.activities.len()).collect::<Vec<_>>(),
                    self.state.plan().phases.iter().map(|p| p.activities.len()).collect::<Vec<_>>()
                );
            }
            Err(_) => assert_eq!(self.state.comparable(), before, "a refusal changes nothing"),
        }
        result
    }

    fn ok(&mut self, cmd: Command) -> Transition {
        self.step_as(cmd, "rita", Some("because")).unwrap()
    }

    fn job(&self, phase: &str, activity: &str) -> String {
        self.state.activity(phase, activity).unwrap().job_id.clone().unwrap()
    }

    fn succeed(&mut self, phase: &str, activity: &str, outputs: Value) -> Transition {
        let job_id = self.job(phase, activity);
        let outputs: IndexMap<String, Value> = serde_json::from_value(outputs).unwrap();
        self.ok(Command::SucceedJob { job_id, outputs })
    }

    fn approve(&mut self, actor: &str) -> crate::Result<Transition> {
        self.step_as(Command::Approve { target: ActivityRef::new("qa", "signoff") }, actor, None)
    }

    fn status(&self, phase: &str, activity: &str) -> ActivityStatus {
        self.state.activity(phase, activity).unwrap().status
    }

    /// QA passes with the build it was given, staging starts deploying it.
    fn through_qa(&mut self) {
        self.succeed("qa", "test", json!({ "build": "2.1.3" }));
        self.approve("quinn").unwrap();
        self.approve("sam").unwrap();
    }
}

fn code(e: &crate::Error) -> String {
    match e {
        crate::Error::InvalidInput { problems } | crate::Error::Validation { problems } => {
            problems.iter().map(|p| p.code.clone()).collect::<Vec<_>>().join(",")
        }
        other => other.code().to_string(),
    }
}

#[test]
fn rewinding_a_successful_qa_phase_with_a_new_build_reruns_it_and_what_is_downstream() {
    let mut run = Run::new();
    run.through_qa();
    assert_eq!(run.state.phase("qa").unwrap().status, PhaseStatus::Success);
    assert_eq!(run.state.activity("staging", "deploy").unwrap().job_inputs["build"], json!("2.1.3"));
    let staging_job = run.job("staging", "deploy");

    let inputs: IndexMap<String, Value> = serde_json::from_value(json!({ "build": "2.1.4" })).unwrap();
    let t = run.ok(Command::Rewind { target: RewindTarget::Phase { phase: "qa".into() }, inputs: Some(inputs) });
    let EventKind::Rewound { phases, .. } = &t.events[0].kind else { panic!("{:?}", t.events[0]) };
    assert_eq!(phases, &["qa", "staging"], "prod had not left pending");
    assert_eq!(t.events[0].comment.as_deref(), Some("because"));
    assert!(t.effects.jobs_cancelled.iter().any(|j| j.id == staging_job), "staging's running job is cancelled");
    assert!(t.effects.jobs_ended.contains(&staging_job));
    assert_eq!(run.state.inputs["build"], json!("2.1.4"));
    let qa = run.state.phase("qa").unwrap();
    assert_eq!((qa.status, qa.attempt), (PhaseStatus::Running, 1));
    assert_eq!(qa.attempts[0].outputs["tested"], json!("2.1.3"), "the first attempt keeps its outputs");
    assert_eq!(run.state.activity("qa", "test").unwrap().job_inputs["build"], json!("2.1.4"));
    assert_eq!(run.state.activity("qa", "test").unwrap().attempt, 1);
    assert_eq!(run.state.phase("staging").unwrap().status, PhaseStatus::Pending);

    run.succeed("qa", "test", json!({ "build": "2.1.4" }));
    run.approve("quinn").unwrap();
    run.approve("sam").unwrap();
    let qa = run.state.phase("qa").unwrap();
    assert_eq!(qa.outputs["tested"], json!("2.1.4"));
    let staging = run.state.activity("staging", "deploy").unwrap();
    assert_eq!(staging.job_inputs["build"], json!("2.1.4"), "downstream reads the latest attempt's outputs");
    assert_eq!(staging.attempt, 1);
    assert_ne!(run.job("staging", "deploy"), staging_job);
}

#[test]
fn rewinding_an_activity_reopens_its_phase_and_resets_its_dependents() {
    let mut run = Run::new();
    run.through_qa();
    run.ok(Command::Rewind { target: RewindTarget::Activity(ActivityRef::new("qa", "test")), inputs: None });
    assert_eq!(run.state.phase("qa").unwrap().status, PhaseStatus::Running);
    assert_eq!(run.status("qa", "test"), ActivityStatus::Queued);
    assert_eq!(run.status("qa", "signoff"), ActivityStatus::Pending, "the approval after it runs again");
    assert!(run.state.activity("qa", "signoff").unwrap().approvals.is_empty());
    assert_eq!(run.state.phase("staging").unwrap().status, PhaseStatus::Pending);
}

#[test]
fn what_cannot_be_rewound_is_refused_with_a_code_and_changes_nothing() {
    let mut run = Run::new();
    let prod = Command::Rewind { target: RewindTarget::Phase { phase: "prod".into() }, inputs: None };
    assert_eq!(code(&run.step_as(prod.clone(), "rita", Some("x")).unwrap_err()), "not_rewindable");
    let pending = Command::Rewind { target: RewindTarget::Activity(ActivityRef::new("qa", "signoff")), inputs: None };
    assert_eq!(code(&run.step_as(pending, "rita", Some("x")).unwrap_err()), "not_rewindable");
    let qa = Command::Rewind { target: RewindTarget::Phase { phase: "qa".into() }, inputs: None };
    assert_eq!(code(&run.step_as(qa.clone(), "rita", None).unwrap_err()), "missing_field", "a reason is required");
    let bad: IndexMap<String, Value> = serde_json::from_value(json!({ "bild": "x", "build": 3 })).unwrap();
    let typo = Command::Rewind { target: RewindTarget::Phase { phase: "qa".into() }, inputs: Some(bad) };
    let err = run.step_as(typo, "rita", Some("x")).unwrap_err();
    assert!(code(&err).contains("unknown_input"), "{err}");
    assert!(run.step_as(qa, "rita", Some("x")).is_ok(), "a running phase may be rewound");
}

#[test]
fn an_inserted_activity_holds_up_its_phase_and_survives_replay() {
    let mut run = Run::new();
    run.succeed("qa", "test", json!({ "build": "2.1.3" }));
    let definition = json!({ "id": "smoke", "kind": "manual", "fields": [{ "name": "ok", "type": "boolean" }] });
    let cmd =
        Command::InsertActivity { phase: "qa".into(), definition: Box::new(definition), after: Some("test".into()) };
    let t = run.ok(cmd);
    assert_eq!(t.events[0].kind.name(), "activity_inserted");
    assert_eq!(run.status("qa", "smoke"), ActivityStatus::WaitingForInput, "its dependency is done: it starts");
    assert_eq!(run.state.plan().phase_def(0).activities[2].depends_on, vec!["test"]);
    run.approve("quinn").unwrap();
    run.approve("sam").unwrap();
    assert_eq!(run.state.phase("qa").unwrap().status, PhaseStatus::OnHold, "the phase waits for the new activity");
    let values: IndexMap<String, Value> = serde_json::from_value(json!({ "ok": true })).unwrap();
    run.ok(Command::CompleteManual { target: ActivityRef::new("qa", "smoke"), values });
    assert_eq!(run.state.phase("qa").unwrap().status, PhaseStatus::Success);
}

#[test]
fn an_inserted_activity_is_validated_like_a_process_with_every_problem() {
    let mut run = Run::new();
    let definition = json!({ "id": "test", "kind": "automated", "depends_on": ["nope"] });
    let cmd = Command::InsertActivity { phase: "qa".into(), definition: Box::new(definition), after: None };
    let err = run.step_as(cmd, "rita", Some("x")).unwrap_err();
    let crate::Error::Validation { problems } = &err else { panic!("{err}") };
    assert!(problems.len() >= 2, "{problems:?}");
    assert!(problems.iter().all(|p| p.path.starts_with("definition")), "{problems:?}");
    let after = Command::InsertActivity {
        phase: "qa".into(),
        definition: Box::new(json!({ "id": "x", "kind": "wait", "duration": "1h" })),
        after: Some("ghost".into()),
    };
    assert_eq!(code(&run.step_as(after, "rita", Some("x")).unwrap_err()), "unknown_dependency");
    run.through_qa();
    let late = Command::InsertActivity {
        phase: "qa".into(),
        definition: Box::new(json!({ "id": "x", "kind": "wait", "duration": "1h" })),
        after: None,
    };
    assert_eq!(code(&run.step_as(late, "rita", Some("x")).unwrap_err()), "not_amendable");
}

#[test]
fn a_delegated_approval_is_given_by_the_delegate_and_the_delegator_can_no_longer() {
    let mut run = Run::new();
    run.succeed("qa", "test", json!({ "build": "2.1.3" }));
    run.approve("quinn").unwrap();
    let target = ActivityRef::new("qa", "signoff");
    let decided = Command::Delegate { target: target.clone(), from: "quinn".into(), to: "vera".into() };
    assert_eq!(code(&run.step_as(decided, "rita", Some("x")).unwrap_err()), "not_amendable");
    let delegate = Command::Delegate { target: target.clone(), from: "sam".into(), to: "vera".into() };
    let t = run.step_as(delegate, "sam", Some("on leave")).unwrap();
    assert_eq!(t.events[0].kind.name(), "approval_delegated");
    assert_eq!(code(&run.approve("sam").unwrap_err()), "permission_denied");
    run.approve("vera").unwrap();
    let signoff = run.state.activity("qa", "signoff").unwrap();
    assert_eq!(signoff.status, ActivityStatus::Success);
    assert_eq!(signoff.outputs["approvers"], json!(["quinn", "vera"]));
}

#[test]
fn reassigning_replaces_the_approvers_and_drops_the_decisions_given() {
    let mut run = Run::new();
    run.succeed("qa", "test", json!({ "build": "2.1.3" }));
    run.approve("quinn").unwrap();
    let approvers = vec![
        crate::model::Approver { user: Some("lee".into()), group: None },
        crate::model::Approver { user: None, group: Some("leads".into()) },
    ];
    let target = ActivityRef::new("qa", "signoff");
    let t = run.ok(Command::Reassign { target: target.clone(), approvers });
    let EventKind::ApproversReassigned { dropped, .. } = &t.events[0].kind else { panic!() };
    assert_eq!(*dropped, 1);
    assert_eq!(code(&run.approve("sam").unwrap_err()), "permission_denied");
    run.approve("lee").unwrap();
    let ada = Actor::new("ada").with_groups(["leads"]);
    let ctx = Ctx { now: run.now, actor: &ada, comment: None, frozen_until: None, phase_history: None };
    let t = step(&mut run.state, &Command::Approve { target }, &ctx).unwrap();
    run.events.extend(t.events);
    assert_eq!(run.status("qa", "signoff"), ActivityStatus::Success);
    let empty = Command::Reassign { target: ActivityRef::new("qa", "signoff"), approvers: vec![] };
    assert_eq!(code(&run.step_as(empty, "rita", Some("x")).unwrap_err()), "invalid_transition", "it has ended");
}

#[test]
fn rescheduling_a_phase_moves_its_wait_earlier() {
    let mut run = Run::new();
    run.through_qa();
    run.succeed("staging", "deploy", json!({}));
    assert_eq!(run.state.phase("prod").unwrap().status, PhaseStatus::Scheduled);
    let due = run.state.timers.get(&TimerKey::PhaseNotBefore { phase: "prod".into() }).copied().unwrap();
    let earlier = run.now + chrono::Duration::hours(1);
    assert!(earlier < due);
    let t = run.ok(Command::ReschedulePhase { phase: "prod".into(), not_before: earlier });
    assert_eq!(t.effects.timers.set, vec![(TimerKey::PhaseNotBefore { phase: "prod".into() }, earlier)]);
    run.now = earlier;
    run.ok(Command::FireTimer { timer: TimerKey::PhaseNotBefore { phase: "prod".into() } });
    assert_eq!(run.status("prod", "deploy"), ActivityStatus::Queued);
    let started = Command::ReschedulePhase { phase: "prod".into(), not_before: earlier };
    assert_eq!(code(&run.step_as(started, "rita", Some("x")).unwrap_err()), "not_amendable");
}

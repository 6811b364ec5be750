//! Unit and property tests of the state machine: each lifecycle rule, replay, roll-up.

use super::*;
use crate::access::Actor;
use crate::{Error, load_process};
use chrono::Duration;
use indexmap::IndexMap;
use proptest::prelude::*;
use serde_json::json;
use std::sync::Arc;

const PROCESS: &str = r#"
id: mixed
inputs:
  env: { type: environment, default: prod }
phases:
  - id: build
    activities:
      - { id: compile, kind: automated, executor: x, outputs: [artifact], retry: { max_attempts: 2 } }
      - { id: test, kind: automated, executor: x, depends_on: [compile], on_failure: hold }
  - id: approve
    depends_on: [build]
    activities:
      - { id: signoff, kind: approval, approvers: [{ group: qa }, { user: sam }], min_approvals: 2, deadline: 1d }
  - id: optional
    depends_on: [build]
    critical: false
    if: 'inputs.env != "qa"'
    activities:
      - { id: notify, kind: automated, executor: x, on_failure: fail }
      - { id: soak, kind: wait, duration: 2h, depends_on: [notify] }
  - id: ship
    depends_on: [approve, optional]
    activities:
      - { id: deploy, kind: automated, executor: x, on_failure: rollback, timeout: 30m }
      - { id: check, kind: manual, depends_on: [deploy], fields: [{ name: ok, type: boolean, required: true }] }
rollback:
  - id: undo
    activities:
      - { id: revert, kind: automated, executor: x, on_failure: fail }
"#;

struct Harness {
    state: ReleaseState,
    events: Vec<Event>,
    now: crate::Timestamp,
}

fn t0() -> crate::Timestamp {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

impl Harness {
    fn new(text: &str, inputs: serde_json::Value) -> Self {
        let process = load_process(text).unwrap().process;
        let plan = Plan::new(Arc::new(process), 1);
        let rita = Actor::new("rita");
        let ctx = Ctx { now: t0(), actor: &rita, comment: None, frozen_until: None };
        let new = NewRelease {
            name: "r".into(),
            scope: "account".into(),
            inputs: serde_json::from_value(inputs).unwrap(),
            ..Default::default()
        };
        let events = decide_create(&plan, &new, &ctx).unwrap();
        let mut state = ReleaseState::new("rel", plan);
        for e in &events {
            evolve(&mut state, e);
        }
        Harness { state, events, now: t0() }
    }

    fn run(&mut self, cmd: Command, actor: &Actor) -> crate::Result<()> {
        let ctx = Ctx { now: self.now, actor, comment: Some("because"), frozen_until: None };
        let events = decide(&self.state, &cmd, &ctx)?;
        self.commit(events);
        let system = Actor::system();
        let ctx = Ctx { now: self.now, actor: &system, comment: None, frozen_until: None };
        loop {
            let more = decide(&self.state, &Command::Advance, &ctx).unwrap();
            if more.is_empty() {
                break;
            }
            self.commit(more);
        }
        Ok(())
    }

    fn commit(&mut self, events: Vec<Event>) {
        for e in events {
            assert_eq!(e.seq, self.state.seq + 1, "events are numbered without gaps");
            evolve(&mut self.state, &e);
            self.events.push(e);
        }
    }

    fn job(&self, phase: &str, activity: &str) -> String {
        self.state.activity(phase, activity).unwrap().job_id.clone().expect("a job")
    }

    fn succeed(&mut self, phase: &str, activity: &str) {
        let job = self.job(phase, activity);
        self.run(Command::SucceedJob { job_id: job, outputs: IndexMap::new() }, &Actor::system()).unwrap();
    }

    fn fail(&mut self, phase: &str, activity: &str, retryable: bool) {
        let job = self.job(phase, activity);
        self.run(Command::FailJob { job_id: job, message: "boom".into(), retryable }, &Actor::system()).unwrap();
    }

    fn fire_due(&mut self) {
        while let Some((key, due)) = self.state.next_timer().map(|(k, t)| (k.clone(), *t)) {
            if due > self.now {
                break;
            }
            self.run(Command::FireTimer { timer: key }, &Actor::system()).unwrap();
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.fire_due();
    }

    fn status(&self, phase: &str, activity: &str) -> ActivityStatus {
        self.state.activity(phase, activity).unwrap().status
    }

    fn approve(&mut self, who: &Actor) -> crate::Result<()> {
        self.run(Command::Approve { phase: "approve".into(), activity: "signoff".into() }, who)
    }
}

fn rita() -> Actor {
    Actor::new("rita")
}
fn quinn() -> Actor {
    Actor::new("quinn").with_groups(["qa"])
}
fn sam() -> Actor {
    Actor::new("sam")
}

/// Drives the mixed process to the approval.
fn to_approval() -> Harness {
    let mut h = Harness::new(PROCESS, json!({}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.succeed("build", "compile");
    h.succeed("build", "test");
    assert_eq!(h.status("approve", "signoff"), ActivityStatus::WaitingForInput);
    h
}

#[test]
fn happy_path_reaches_success_and_replays_exactly() {
    let mut h = to_approval();
    h.succeed("optional", "notify");
    assert_eq!(h.state.status, ReleaseStatus::Running, "the soak is running");
    h.approve(&quinn()).unwrap();
    h.approve(&sam()).unwrap();
    h.advance(Duration::hours(2));
    h.succeed("ship", "deploy");
    assert_eq!(h.state.status, ReleaseStatus::OnHold, "the manual check waits for a person");
    h.run(
        Command::CompleteManual {
            phase: "ship".into(),
            activity: "check".into(),
            values: serde_json::from_value(json!({"ok": true})).unwrap(),
        },
        &rita(),
    )
    .unwrap();
    assert_eq!(h.state.status, ReleaseStatus::Success);
    assert_eq!(h.state.phase("undo").unwrap().status, PhaseStatus::Pending, "rollback phases do not run on success");
    assert_replays(&h);
}

fn assert_replays(h: &Harness) {
    let mut replay = ReleaseState::new("rel", h.state.plan().clone());
    for e in &h.events {
        evolve(&mut replay, e);
    }
    assert_eq!(replay.comparable(), h.state.comparable(), "replaying the events reproduces the state");
}

#[test]
fn automatic_retry_then_hold_then_fix_and_continue() {
    let mut h = Harness::new(PROCESS, json!({}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.fail("build", "compile", true);
    let act = h.state.activity("build", "compile").unwrap();
    assert_eq!((act.status, act.attempt), (ActivityStatus::Queued, 1), "retried automatically");
    h.succeed("build", "compile");
    h.fail("build", "test", true);
    assert_eq!(h.status("build", "test"), ActivityStatus::OnHold, "no retry policy: on_failure hold");
    assert_eq!(h.state.status, ReleaseStatus::OnHold);
    let inputs: IndexMap<String, serde_json::Value> = serde_json::from_value(json!({"flag": "--fixed"})).unwrap();
    h.run(Command::Retry { phase: "build".into(), activity: "test".into(), inputs: Some(inputs) }, &rita()).unwrap();
    let act = h.state.activity("build", "test").unwrap();
    assert_eq!((act.status, act.attempt), (ActivityStatus::Queued, 1));
    assert_eq!(act.job_inputs["flag"], "--fixed", "fix-and-continue changes the job's inputs");
    assert!(act.job_id.as_deref().unwrap().ends_with("/1"), "a new job id per attempt");
}

#[test]
fn ignore_with_outputs_gives_partial_success() {
    let mut h = to_approval();
    // Put `test` on hold in a fresh run instead: use the non-critical notify with fail policy.
    h.fail("optional", "notify", false);
    assert_eq!(h.status("optional", "notify"), ActivityStatus::Failed);
    assert_eq!(h.status("optional", "soak"), ActivityStatus::Skipped);
    assert_eq!(h.state.activity("optional", "soak").unwrap().skip_reason, Some(SkipReason::UpstreamFailed));
    assert_eq!(h.state.phase("optional").unwrap().status, PhaseStatus::Failed);
    h.approve(&quinn()).unwrap();
    h.approve(&sam()).unwrap();
    assert_eq!(h.status("ship", "deploy"), ActivityStatus::Queued, "a failed non-critical phase does not block");
    h.succeed("ship", "deploy");
    h.run(
        Command::CompleteManual {
            phase: "ship".into(),
            activity: "check".into(),
            values: serde_json::from_value(json!({"ok": true})).unwrap(),
        },
        &rita(),
    )
    .unwrap();
    assert_eq!(h.state.status, ReleaseStatus::PartialSuccess);
    assert_replays(&h);
}

#[test]
fn rejection_fails_the_critical_phase_and_the_release() {
    let mut h = to_approval();
    h.run(Command::Reject { phase: "approve".into(), activity: "signoff".into() }, &sam()).unwrap();
    assert_eq!(h.status("approve", "signoff"), ActivityStatus::Failed);
    assert!(h.state.halted);
    // notify is still queued: running work finishes before the release ends.
    assert_eq!(h.state.status, ReleaseStatus::Running);
    h.succeed("optional", "notify");
    assert_eq!(h.state.status, ReleaseStatus::Failed);
    assert_eq!(h.state.phase("ship").unwrap().status, PhaseStatus::Skipped);
    assert_eq!(h.status("optional", "soak"), ActivityStatus::Skipped);
    assert_eq!(h.state.activity("optional", "soak").unwrap().skip_reason, Some(SkipReason::ReleaseFailed));
    assert!(!h.state.rolled_back);
    assert_replays(&h);
}

#[test]
fn rollback_runs_the_rollback_phases_and_ends_failed() {
    let mut h = to_approval();
    h.succeed("optional", "notify");
    h.approve(&quinn()).unwrap();
    h.approve(&sam()).unwrap();
    h.advance(Duration::hours(2));
    h.fail("ship", "deploy", false);
    assert_eq!(h.state.phase("undo").unwrap().status, PhaseStatus::Running);
    assert_eq!(h.status("ship", "check"), ActivityStatus::Skipped);
    h.succeed("undo", "revert");
    assert_eq!(h.state.status, ReleaseStatus::Failed);
    assert!(h.state.rolled_back);
    assert_replays(&h);
}

#[test]
fn conditions_skip_and_satisfy_dependents() {
    let mut h = Harness::new(PROCESS, json!({"env": "qa"}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.succeed("build", "compile");
    h.succeed("build", "test");
    let optional = h.state.phase("optional").unwrap();
    assert_eq!((optional.status, optional.skip_reason), (PhaseStatus::Skipped, Some(SkipReason::Condition)));
    h.approve(&quinn()).unwrap();
    h.approve(&sam()).unwrap();
    assert_eq!(h.status("ship", "deploy"), ActivityStatus::Queued);
}

#[test]
fn approvals_count_each_approver_once_and_only_listed_ones() {
    let mut h = to_approval();
    assert_eq!(h.approve(&Actor::new("mallory")).unwrap_err().code(), "permission_denied");
    h.approve(&quinn()).unwrap();
    assert_eq!(h.approve(&quinn()).unwrap_err().code(), "conflict");
    assert_eq!(h.status("approve", "signoff"), ActivityStatus::WaitingForInput);
    let before = h.state.seq;
    assert!(h.approve(&Actor::new("quincy").with_groups(["qa"])).is_ok(), "a second qa member is a second approver");
    assert!(h.state.seq > before);
    assert_eq!(h.status("approve", "signoff"), ActivityStatus::Success);
}

#[test]
fn approval_deadline_rejects() {
    let mut h = to_approval();
    h.advance(Duration::days(1));
    assert_eq!(h.status("approve", "signoff"), ActivityStatus::Failed);
    assert!(h.state.activity("approve", "signoff").unwrap().error.as_deref().unwrap().contains("deadline"));
}

#[test]
fn timeout_fails_the_attempt() {
    let mut h = to_approval();
    h.succeed("optional", "notify");
    h.approve(&quinn()).unwrap();
    h.approve(&sam()).unwrap();
    h.advance(Duration::hours(2));
    let job = h.job("ship", "deploy");
    h.run(Command::StartJob { job_id: job }, &Actor::system()).unwrap();
    h.advance(Duration::minutes(31));
    assert_eq!(h.status("ship", "deploy"), ActivityStatus::Failed, "timed out; on_failure rollback");
    assert!(h.state.rolling_back);
}

#[test]
fn pause_stops_new_work_until_resume() {
    let mut h = Harness::new(PROCESS, json!({}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.run(Command::Pause, &rita()).unwrap();
    assert_eq!(h.state.status, ReleaseStatus::OnHold);
    h.succeed("build", "compile");
    assert_eq!(h.status("build", "test"), ActivityStatus::Pending, "nothing new starts while paused");
    assert_eq!(h.run(Command::Pause, &rita()).unwrap_err().code(), "invalid_transition");
    h.run(Command::Resume, &rita()).unwrap();
    assert_eq!(h.status("build", "test"), ActivityStatus::Queued);
}

#[test]
fn abort_then_restart_keeps_done_work() {
    let mut h = Harness::new(PROCESS, json!({}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.succeed("build", "compile");
    assert_eq!(h.run(Command::Abort { reason: " ".into() }, &rita()).unwrap_err().code(), "invalid_input");
    h.run(Command::Abort { reason: "wrong branch".into() }, &rita()).unwrap();
    assert_eq!(h.state.status, ReleaseStatus::Aborted);
    assert_eq!(h.status("build", "test"), ActivityStatus::Aborted);
    assert!(h.state.timers.is_empty());
    h.run(Command::Restart, &rita()).unwrap();
    assert_eq!(h.state.attempt, 1);
    assert_eq!(h.status("build", "compile"), ActivityStatus::Success, "done work is kept");
    let test = h.state.activity("build", "test").unwrap();
    assert_eq!((test.status, test.attempt), (ActivityStatus::Queued, 1));
    assert_replays(&h);
}

#[test]
fn invalid_transitions_name_the_status_and_allowed_commands_and_change_nothing() {
    let h = Harness::new(PROCESS, json!({}));
    let err = decide(&h.state, &Command::Pause, &Ctx { now: t0(), actor: &rita(), comment: None, frozen_until: None })
        .unwrap_err();
    match err {
        Error::InvalidTransition { status, allowed, .. } => {
            assert_eq!(status, "draft");
            assert_eq!(allowed, vec!["update", "delete", "schedule", "activate"]);
        }
        other => panic!("{other:?}"),
    }
    let mut h = to_approval();
    let before = h.state.seq;
    let err = h
        .run(Command::Retry { phase: "approve".into(), activity: "signoff".into(), inputs: None }, &rita())
        .unwrap_err();
    assert!(err.to_string().contains("waiting_for_input"), "{err}");
    assert!(err.to_string().contains("approve, reject"), "{err}");
    assert_eq!(h.state.seq, before);
}

#[test]
fn scheduled_release_activates_at_start_and_early_activation_is_pre_execution() {
    let mut h = Harness::new(PROCESS, json!({}));
    h.run(Command::Schedule { start: t0() + Duration::days(1), end: None, auto_start: true }, &rita()).unwrap();
    assert_eq!(h.state.status, ReleaseStatus::Scheduled);
    h.advance(Duration::days(1));
    assert_eq!(h.state.status, ReleaseStatus::Running);
    assert!(!h.state.pre_executed);
    let mut early = Harness::new(PROCESS, json!({}));
    early.run(Command::Schedule { start: t0() + Duration::days(1), end: None, auto_start: true }, &rita()).unwrap();
    early.run(Command::Activate { force: false }, &rita()).unwrap();
    assert!(early.state.pre_executed);
    assert!(!early.state.timers.contains_key(&TimerKey::Activation), "the activation timer is cancelled");
}

#[test]
fn manual_values_are_validated_all_at_once() {
    let mut h = Harness::new(
        "id: m\nphases:\n  - id: p\n    activities:\n      - { id: c, kind: manual, fields: [{ name: ok, type: boolean, required: true }, { name: n, type: number }] }\n",
        json!({}),
    );
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    let values: IndexMap<String, serde_json::Value> = serde_json::from_value(json!({"n": "x", "extra": 1})).unwrap();
    let err = h.run(Command::CompleteManual { phase: "p".into(), activity: "c".into(), values }, &rita()).unwrap_err();
    let codes: Vec<&str> = err.problems().iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, vec!["unknown_field", "missing_input", "wrong_type"]);
}

// ----- properties -----

#[derive(Debug, Clone)]
enum Op {
    Cmd(u8, u8),
    Succeed(u8),
    Fail(u8, bool),
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..16, 0u8..8).prop_map(|(c, a)| Op::Cmd(c, a)),
        (0u8..8).prop_map(Op::Succeed),
        (0u8..8, any::<bool>()).prop_map(|(a, r)| Op::Fail(a, r)),
        (1u16..2000).prop_map(Op::Advance),
    ]
}

fn all_activities(h: &Harness) -> Vec<(String, String)> {
    h.state.plan().phases.iter().flat_map(|p| p.activities.iter().map(move |a| (p.id.clone(), a.id.clone()))).collect()
}

fn step(h: &mut Harness, op: &Op) {
    let acts = all_activities(h);
    let pick = |i: u8| acts[i as usize % acts.len()].clone();
    match op {
        Op::Cmd(c, a) => {
            let (phase, activity) = pick(*a);
            let actor = [rita(), quinn(), sam()][(*a % 3) as usize].clone();
            let cmd = match c {
                0 => Command::Activate { force: false },
                1 => Command::Pause,
                2 => Command::Resume,
                3 => Command::Abort { reason: "test".into() },
                4 => Command::Restart,
                5 => Command::Approve { phase, activity },
                6 => Command::Reject { phase, activity },
                7 => Command::CompleteManual {
                    phase,
                    activity,
                    values: serde_json::from_value(json!({"ok": true})).unwrap(),
                },
                8 => Command::Retry { phase, activity, inputs: None },
                9 => Command::Ignore { phase, activity, outputs: IndexMap::new() },
                10 => Command::Fail { phase, activity },
                11 => Command::Skip { phase, activity },
                12 => Command::Schedule { start: h.now + Duration::minutes(30), end: None, auto_start: true },
                13 => Command::Archive,
                14 => Command::Update { name: Some("renamed".into()), inputs: None, owners: None },
                _ => Command::Delete,
            };
            let terminal = h.state.status.is_terminal();
            let result = h.run(cmd.clone(), &actor);
            if terminal
                && matches!(
                    cmd,
                    Command::Approve { .. }
                        | Command::Retry { .. }
                        | Command::Skip { .. }
                        | Command::Pause
                        | Command::Activate { .. }
                )
            {
                assert!(result.is_err(), "a terminal release accepted {cmd:?}");
            }
        }
        Op::Succeed(a) | Op::Fail(a, _) => {
            let (phase, activity) = pick(*a);
            if let Some(job) = h.state.activity(&phase, &activity).and_then(|x| x.job_id.clone()) {
                let cmd = match op {
                    Op::Succeed(_) => Command::SucceedJob { job_id: job, outputs: IndexMap::new() },
                    Op::Fail(_, retryable) => {
                        Command::FailJob { job_id: job, message: "x".into(), retryable: *retryable }
                    }
                    _ => unreachable!(),
                };
                let _ = h.run(cmd, &Actor::system());
            }
        }
        Op::Advance(minutes) => h.advance(Duration::minutes(*minutes as i64)),
    }
}

/// Every roll-up recomputed from scratch equals the incremental one.
fn check_invariants(h: &Harness) {
    let s = &h.state;
    let mut counts = [0u32; 10];
    let mut phase_counts = [0u32; 8];
    for ph in &s.phases {
        let mut pc = [0u32; 10];
        for a in &ph.activities {
            pc[a.status.index()] += 1;
            counts[a.status.index()] += 1;
        }
        assert_eq!(pc, ph.counts, "phase {} counters", ph.id);
        phase_counts[ph.status.index()] += 1;
        if ph.status == PhaseStatus::Success {
            assert!(
                ph.activities.iter().all(|a| a.status.is_terminal()),
                "a successful phase has only ended activities"
            );
        }
        if !ph.started && !ph.status.is_terminal() {
            // (after a restart, work that was done before stays done)
            assert!(
                ph.activities.iter().all(|a| !a.status.is_in_flight() && !a.status.needs_person()),
                "phase {} not started but has work in progress",
                ph.id
            );
        }
    }
    assert_eq!(counts, s.counts, "release activity counters");
    assert_eq!(phase_counts, s.phase_counts, "release phase counters");
    let in_flight = counts[ActivityStatus::Queued.index()] + counts[ActivityStatus::Running.index()];
    let waiting = counts[ActivityStatus::WaitingForInput.index()] + counts[ActivityStatus::OnHold.index()];
    let expected = match s.stage {
        Stage::Draft => ReleaseStatus::Draft,
        Stage::Scheduled => ReleaseStatus::Scheduled,
        Stage::Aborted => ReleaseStatus::Aborted,
        Stage::Ended | Stage::Deleted => s.status,
        Stage::Active if s.paused => ReleaseStatus::OnHold,
        Stage::Active if in_flight > 0 => ReleaseStatus::Running,
        Stage::Active if waiting > 0 => ReleaseStatus::OnHold,
        Stage::Active => ReleaseStatus::Running,
    };
    assert_eq!(s.status, expected, "release roll-up");
    if s.stage == Stage::Ended {
        assert!(s.status.is_terminal());
        assert_eq!(in_flight + waiting, 0, "an ended release has nothing in flight or waiting");
    }
    if s.status == ReleaseStatus::Success {
        assert!(
            s.phases
                .iter()
                .take(s.plan().regular)
                .all(|p| matches!(p.status, PhaseStatus::Success | PhaseStatus::Skipped))
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_command_sequences_keep_every_invariant(ops in proptest::collection::vec(op(), 1..60)) {
        let mut h = Harness::new(PROCESS, json!({}));
        for op in &ops {
            if h.state.stage == Stage::Deleted {
                break;
            }
            step(&mut h, op);
            check_invariants(&h);
        }
        assert_replays(&h);
    }
}

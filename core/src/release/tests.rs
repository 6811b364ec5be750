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
      - { id: test, kind: automated, executor: x, depends_on: [compile], on_failure: hold, with: { flag: "--strict" } }
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

pub(super) struct Harness {
    pub(super) state: ReleaseState,
    pub(super) events: Vec<Event>,
    now: crate::Timestamp,
    /// The jobs a store would hold, kept only from the transitions' effects.
    jobs: std::collections::BTreeSet<String>,
    /// The timers a store would hold, kept only from the transitions' effects.
    timers: std::collections::BTreeMap<TimerKey, crate::Timestamp>,
    /// The lock rows a store would hold (name, node → held), kept only from the effects.
    locks: std::collections::BTreeMap<(String, locks::LockNode), bool>,
}

fn t0() -> crate::Timestamp {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

impl Harness {
    pub(super) fn new(text: &str, inputs: serde_json::Value) -> Self {
        let process = load_process(text).unwrap().process;
        let plan = Plan::new(Arc::new(process), 1);
        let rita = Actor::new("rita");
        let ctx = Ctx { now: t0(), actor: &rita, comment: None, frozen_until: None, phase_history: None };
        let new = NewRelease {
            name: "r".into(),
            scope: "account".into(),
            inputs: serde_json::from_value(inputs).unwrap(),
            ..Default::default()
        };
        let (state, t) = step_create("rel", plan, &new, &ctx).unwrap();
        let mut h = Harness {
            state,
            events: Vec::new(),
            now: t0(),
            jobs: Default::default(),
            timers: Default::default(),
            locks: Default::default(),
        };
        h.absorb(t);
        h
    }

    pub(super) fn run(&mut self, cmd: Command, actor: &Actor) -> crate::Result<()> {
        let ctx = Ctx { now: self.now, actor, comment: Some("because"), frozen_until: None, phase_history: None };
        let before = self.state.comparable();
        match step(&mut self.state, &cmd, &ctx) {
            Ok(t) => {
                self.absorb(t);
                Ok(())
            }
            Err(e) => {
                assert_eq!(self.state.comparable(), before, "a refused step changed the state");
                Err(e)
            }
        }
    }

    /// Records a transition's events and applies its effects to the store model, which must then
    /// agree with the state.
    fn absorb(&mut self, t: Transition) {
        for e in &t.events {
            let expected = self.events.last().map_or(1, |l: &Event| l.seq + 1);
            assert_eq!(e.seq, expected, "events are numbered without gaps");
            self.events.push(e.clone());
        }
        assert_eq!(self.events.last().map(|e| e.seq).unwrap_or(0), self.state.seq);
        for j in &t.effects.jobs_queued {
            assert!(self.jobs.insert(j.id.clone()), "job {} queued twice", j.id);
        }
        for j in &t.effects.jobs_ended {
            self.jobs.remove(j);
        }
        for (k, due) in &t.effects.timers.set {
            self.timers.insert(k.clone(), *due);
        }
        for k in &t.effects.timers.cleared {
            assert!(self.timers.remove(k).is_some(), "timer {k:?} cleared but never set");
        }
        let timers: std::collections::BTreeMap<_, _> = self.state.timers.iter().map(|(k, v)| (k.clone(), *v)).collect();
        assert_eq!(self.timers, timers, "the timer effects agree with the state's timers");
        let changes = &t.effects.locks;
        // As the stores write them: what was let go first, then what was asked for and granted.
        for k in &changes.released {
            assert!(self.locks.remove(&(k.name.clone(), k.node.clone())).is_some(), "{k:?} let go but never asked for");
        }
        for c in &changes.requested {
            let fresh = self.locks.insert((c.name.clone(), c.node.clone()), c.held_since.is_some());
            assert!(fresh.is_none(), "lock {} of {} asked for twice", c.name, c.node);
        }
        for c in &changes.acquired {
            let held = self.locks.get_mut(&(c.name.clone(), c.node.clone())).expect("granted after it was asked for");
            assert!(!*held, "lock {} of {} granted twice", c.name, c.node);
            *held = true;
        }
        let claims: std::collections::BTreeMap<_, _> =
            self.state.locks.iter().map(|c| ((c.name.clone(), c.node.clone()), c.held_since.is_some())).collect();
        assert_eq!(self.locks, claims, "the lock effects agree with the state's locks");
        for (p, ph) in self.state.phases.iter().enumerate() {
            for act in &ph.activities {
                let Some(job) = &act.job_id else { continue };
                let target = ActivityRef::new(&ph.id, &act.id);
                let in_backoff = self.state.timers.contains_key(&TimerKey::Retry { target, attempt: act.attempt + 1 });
                let stored = self.jobs.contains(job);
                let live = act.status.is_in_flight() && !in_backoff;
                assert_eq!(stored, live, "job {job} of phase {p} ({}) is stored iff its attempt is live", act.status);
            }
        }
        for job in &self.jobs {
            let (_, phase, activity, _) = parse_job_id(job).unwrap();
            let act = self.state.activity(phase, activity).unwrap();
            assert_eq!(act.job_id.as_deref(), Some(job.as_str()), "a stored job is its activity's current job");
        }
    }

    fn job(&self, phase: &str, activity: &str) -> String {
        self.state.activity(phase, activity).unwrap().job_id.clone().expect("a job")
    }

    pub(super) fn succeed(&mut self, phase: &str, activity: &str) {
        let job = self.job(phase, activity);
        self.run(Command::SucceedJob { job_id: job, outputs: IndexMap::new() }, &Actor::system()).unwrap();
    }

    pub(super) fn fail(&mut self, phase: &str, activity: &str, retryable: bool) {
        let job = self.job(phase, activity);
        self.run(Command::FailJob { job_id: job, message: "boom".into(), retryable, detail: None }, &Actor::system())
            .unwrap();
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

    pub(super) fn status(&self, phase: &str, activity: &str) -> ActivityStatus {
        self.state.activity(phase, activity).unwrap().status
    }

    fn approve(&mut self, who: &Actor) -> crate::Result<()> {
        self.run(Command::Approve { target: ActivityRef::new("approve", "signoff") }, who)
    }

    /// Rita completes the manual check `ship/check` with `ok: true`.
    fn check_ok(&mut self) {
        let values = serde_json::from_value(json!({"ok": true})).unwrap();
        self.run(Command::CompleteManual { target: ActivityRef::new("ship", "check"), values }, &rita()).unwrap();
    }
}

pub(super) fn rita() -> Actor {
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
    h.check_ok();
    assert_eq!(h.state.status, ReleaseStatus::Success);
    assert_eq!(h.state.phase("undo").unwrap().status, PhaseStatus::Pending, "rollback phases do not run on success");
    assert_replays(&h);
}

pub(super) fn assert_replays(h: &Harness) {
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
    // Only names the activity's `with` has can be changed; every unknown one is listed.
    let unknown: IndexMap<String, serde_json::Value> =
        serde_json::from_value(json!({"flga": "--fixed", "other": 1})).unwrap();
    let err = h.run(Command::Retry { target: ActivityRef::new("build", "test"), inputs: Some(unknown) }, &rita());
    let err = err.unwrap_err();
    assert_eq!((err.code(), err.problems().len()), ("invalid_input", 2), "{err}");
    assert!(err.to_string().contains("its `with` has: flag"), "{err}");
    let inputs: IndexMap<String, serde_json::Value> = serde_json::from_value(json!({"flag": "--fixed"})).unwrap();
    h.run(Command::Retry { target: ActivityRef::new("build", "test"), inputs: Some(inputs) }, &rita()).unwrap();
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
    h.check_ok();
    assert_eq!(h.state.status, ReleaseStatus::PartialSuccess);
    assert_replays(&h);
}

#[test]
fn rejection_fails_the_critical_phase_and_the_release() {
    let mut h = to_approval();
    h.run(Command::Reject { target: ActivityRef::new("approve", "signoff") }, &sam()).unwrap();
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
    assert_eq!(h.approve(&quinn()).unwrap_err().code(), "already_exists", "an approver decides once");
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
    let err = decide(
        &h.state,
        &Command::Pause,
        &Ctx { now: t0(), actor: &rita(), comment: None, frozen_until: None, phase_history: None },
    )
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
    let err =
        h.run(Command::Retry { target: ActivityRef::new("approve", "signoff"), inputs: None }, &rita()).unwrap_err();
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
    let err = h.run(Command::CompleteManual { target: ActivityRef::new("p", "c"), values }, &rita()).unwrap_err();
    let codes: Vec<&str> = err.problems().iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, vec!["unknown_field", "missing_input", "wrong_type"]);
}

// ----- properties -----

/// [`PROCESS`] with a gate beside the approval and locks (what the property test runs): `ship`'s
/// work holds the environment, `deploy` a place of a semaphore, `compile` a builder, and
/// `approve` holds `release-board` through its approval.
fn gated_process() -> String {
    let signoff = "min_approvals: 2, deadline: 1d }\n";
    PROCESS
        .replacen(
            signoff,
            &format!("{signoff}      - {{ id: train, kind: gate, targets: [{{ release: train-1, phase: prod1 }}], timeout: 1d }}\n"),
            1,
        )
        .replacen(
            "  - id: ship\n    depends_on: [approve, optional]\n",
            "  - id: ship\n    depends_on: [approve, optional]\n    locks: ['environment:${inputs.env}']\n",
            1,
        )
        .replacen("on_failure: rollback, timeout: 30m }", "on_failure: rollback, timeout: 30m, locks: [{ name: slots, capacity: 2 }] }", 1)
        .replacen("retry: { max_attempts: 2 } }", "retry: { max_attempts: 2 }, locks: [builder] }", 1)
        .replacen(
            "  - id: approve\n    depends_on: [build]\n",
            "  - id: approve\n    depends_on: [build]\n    locks: [{ name: release-board, hold_through_approval: true }]\n",
            1,
        )
}

#[derive(Debug, Clone)]
enum Op {
    Cmd(u8, u8),
    Succeed(u8),
    Fail(u8, bool),
    Advance(u16),
    /// The engine's report on the gate: a status of its target (by index), or a failure to resolve.
    Gate(u8),
    /// The engine grants (even) or refuses (odd) a waiting lock request (by index).
    Lock(u8),
    /// Moves the release on: the first in-flight job succeeds, else the sign-off is approved by
    /// both its approvers, else the manual check is completed.
    Progress,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..16, 0u8..8).prop_map(|(c, a)| Op::Cmd(c, a)),
        (0u8..8).prop_map(Op::Succeed),
        (0u8..8, any::<bool>()).prop_map(|(a, r)| Op::Fail(a, r)),
        (1u16..2000).prop_map(Op::Advance),
        (0u8..6).prop_map(Op::Gate),
        (0u8..8).prop_map(Op::Lock),
        (0u8..8).prop_map(Op::Lock),
    ]
}

fn all_activities(h: &Harness) -> Vec<ActivityRef> {
    h.state
        .plan()
        .phases
        .iter()
        .flat_map(|p| p.activities.iter().map(move |a| ActivityRef::new(&p.id, &a.id)))
        .collect()
}

fn apply_op(h: &mut Harness, op: &Op) {
    let acts = all_activities(h);
    let pick = |i: u8| acts[i as usize % acts.len()].clone();
    match op {
        Op::Cmd(c, a) => {
            let target = pick(*a);
            let actor = [rita(), quinn(), sam()][(*a % 3) as usize].clone();
            let cmd = match c {
                0 => Command::Activate { force: false },
                1 => Command::Pause,
                2 => Command::Resume,
                3 => Command::Abort { reason: "test".into() },
                4 => Command::Restart,
                5 => Command::Approve { target },
                6 => Command::Reject { target },
                7 => Command::CompleteManual { target, values: serde_json::from_value(json!({"ok": true})).unwrap() },
                8 => Command::Retry { target, inputs: None },
                9 => Command::Ignore { target, outputs: IndexMap::new() },
                10 => Command::Fail { target },
                11 => Command::Skip { target },
                12 => Command::Schedule { start: h.now + Duration::minutes(30), end: None, auto_start: true },
                13 => Command::Archive,
                14 => Command::Update {
                    changes: Box::new(ReleaseChanges { name: Some("renamed".into()), ..Default::default() }),
                    switch: None,
                },
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
            let target = pick(*a);
            if let Some(job) = h.state.activity(&target.phase, &target.activity).and_then(|x| x.job_id.clone()) {
                let cmd = match op {
                    Op::Succeed(_) => Command::SucceedJob { job_id: job, outputs: IndexMap::new() },
                    Op::Fail(_, retryable) => {
                        Command::FailJob { job_id: job, message: "x".into(), retryable: *retryable, detail: None }
                    }
                    _ => unreachable!(),
                };
                let _ = h.run(cmd, &Actor::system());
            }
        }
        Op::Advance(minutes) => h.advance(Duration::minutes(*minutes as i64)),
        Op::Gate(i) => {
            let target = ActivityRef::new("approve", "train");
            let attempt = h.state.activity("approve", "train").map_or(0, |a| a.attempt);
            let status = ["running", "success", "failed", "aborted", "skipped"].get(*i as usize);
            let observed = match status {
                Some(s) => Ok(vec![crate::release::gates::GateObservation {
                    release: "train-1".into(),
                    phase: Some("prod1".into()),
                    activity: None,
                    status: s.to_string(),
                }]),
                None => Err("the store is gone".to_string()),
            };
            let _ = h.run(Command::ObserveGate { target, attempt, observed }, &Actor::system());
        }
        Op::Progress => {
            let job = h
                .state
                .phases
                .iter()
                .flat_map(|p| &p.activities)
                .find_map(|a| a.job_id.clone().filter(|_| a.status.is_in_flight()));
            if let Some(job_id) = job {
                let _ = h.run(Command::SucceedJob { job_id, outputs: IndexMap::new() }, &Actor::system());
            } else if h
                .state
                .activity("approve", "signoff")
                .is_some_and(|a| a.status == ActivityStatus::WaitingForInput)
            {
                let _ = h.approve(&quinn());
                let _ = h.approve(&sam());
            } else if h.state.activity("ship", "check").is_some_and(|a| a.status == ActivityStatus::WaitingForInput) {
                h.check_ok();
            }
        }
        Op::Lock(i) => {
            let waiting: Vec<locks::LockNode> =
                h.state.locks.iter().filter(|c| c.held_since.is_none()).map(|c| c.request.clone()).collect();
            if let Some(request) = waiting.get(*i as usize / 2 % waiting.len().max(1)).cloned() {
                let cmd = if i % 2 == 0 {
                    Command::GrantLocks { request }
                } else {
                    Command::RefuseLocks { request, reason: "a cycle".into() }
                };
                h.run(cmd, &Actor::system()).unwrap();
            }
        }
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
    for g in &s.gates {
        let act = s.activity(&g.target.phase, &g.target.activity).expect("a gate of the plan");
        assert_eq!(act.status, ActivityStatus::Running, "only a running gate is kept as waiting: {g:?}");
    }
    if s.status.is_terminal() {
        assert!(s.gate_watches().is_empty(), "a terminal release watches nothing");
    }
    if s.stage != Stage::Active {
        assert!(s.locks.is_empty(), "a release that is not running holds and waits for no lock: {:?}", s.locks);
    }
    for c in &s.locks {
        assert!(locks::claim_needed(s, c), "every lock kept is still needed: {c:?}");
        let node = s.phase(&c.node.phase).expect("a phase of the plan");
        assert!(!node.status.is_terminal(), "an ended phase holds nothing: {c:?}");
    }
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
        run_ops(Harness::new(&gated_process(), json!({})), &ops);
    }

    /// The same from an activated release, with the engine's lock grants and job outcomes more
    /// frequent (so that work gets far into the release, holding and letting go of locks).
    #[test]
    fn random_command_sequences_of_a_running_release_never_leave_a_lock_behind(
        ops in proptest::collection::vec(running_op(), 1..80)
    ) {
        let mut h = Harness::new(&gated_process(), json!({}));
        h.run(Command::Activate { force: false }, &rita()).unwrap();
        run_ops(h, &ops);
    }
}

/// Applies `ops` in turn (until the release is deleted), checking every invariant after each,
/// then that the events replay to the same state.
fn run_ops(mut h: Harness, ops: &[Op]) {
    for op in ops {
        if h.state.stage == Stage::Deleted {
            break;
        }
        apply_op(&mut h, op);
        check_invariants(&h);
    }
    assert_replays(&h);
}

/// [`op`] weighted towards what moves a running release on: lock grants and job outcomes.
fn running_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0u8..16, 0u8..8).prop_map(|(c, a)| Op::Cmd(c, a)),
        3 => (0u8..8).prop_map(Op::Succeed),
        1 => (0u8..8, any::<bool>()).prop_map(|(a, r)| Op::Fail(a, r)),
        1 => (1u16..2000).prop_map(Op::Advance),
        1 => (0u8..6).prop_map(Op::Gate),
        4 => (0u8..8).prop_map(Op::Lock),
        4 => Just(Op::Progress),
    ]
}

#[test]
fn comparing_states_sees_their_timers() {
    let h = to_approval();
    assert!(!h.state.timers.is_empty(), "the approval has a deadline timer");
    let mut other = h.state.clone();
    let (key, due) = other.timers.iter().next().map(|(k, d)| (k.clone(), *d)).unwrap();
    other.timers.insert(key, due + Duration::hours(1));
    assert!(h.state.comparable().is_object(), "a state with timers has a comparable form");
    assert_ne!(h.state.comparable(), other.comparable(), "timers are part of the state");
}

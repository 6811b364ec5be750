//! Tests of cleanup and notification nodes (`run_when: always | on_failure`) through [`step`]:
//! they run after a failure (before the rollback phases), an `on_failure` node is skipped with
//! `no_failure` on success, the release's outcome and its first failure stay, a restart runs them
//! again, and bad values are refused.

use super::tests::{Harness, assert_replays, rita};
use super::*;
use crate::{Error, load_process};
use serde_json::json;

const PROCESS: &str = r#"
id: rw
phases:
  - id: deploy
    activities:
      - { id: push, kind: automated, executor: x, on_failure: rollback }
      - { id: tidy, kind: automated, executor: x, depends_on: [push], run_when: always }
  - id: cleanup
    depends_on: [deploy]
    run_when: always
    activities:
      - { id: wipe, kind: automated, executor: x, on_failure: fail }
      - { id: confirm, kind: manual, depends_on: [wipe], run_when: always, fields: [{ name: ok, type: boolean, required: true }] }
  - id: page
    depends_on: [deploy]
    run_when: on_failure
    activities:
      - { id: oncall, kind: automated, executor: x, on_failure: fail }
  - id: announce
    depends_on: [deploy]
    activities:
      - { id: post, kind: automated, executor: x }
rollback:
  - id: undo
    activities:
      - { id: revert, kind: automated, executor: x, on_failure: fail }
"#;

fn confirm(h: &mut Harness) {
    let values = serde_json::from_value(json!({"ok": true})).unwrap();
    h.run(Command::CompleteManual { target: ActivityRef::new("cleanup", "confirm"), values }, &rita()).unwrap();
}

fn skip_of(h: &Harness, phase: &str) -> (PhaseStatus, Option<SkipReason>) {
    let ph = h.state.phase(phase).unwrap();
    (ph.status, ph.skip_reason)
}

fn halted_phases(h: &Harness) -> Vec<String> {
    h.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Halted { phase, .. } => Some(phase.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn cleanup_and_notification_run_after_a_failure_before_the_rollback_and_the_release_stays_failed() {
    let mut h = Harness::new(PROCESS, json!({}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.fail("deploy", "push", false);
    assert_eq!(
        h.status("deploy", "tidy"),
        ActivityStatus::Queued,
        "an always activity runs after its failed dependency"
    );
    assert_eq!(h.state.phase("cleanup").unwrap().status, PhaseStatus::Pending, "it waits for its phase dependency");
    h.succeed("deploy", "tidy");
    assert_eq!(h.state.phase("deploy").unwrap().status, PhaseStatus::Failed);
    assert_eq!(h.status("cleanup", "wipe"), ActivityStatus::Queued, "an always phase runs in a halted release");
    assert_eq!(h.status("page", "oncall"), ActivityStatus::Queued, "an on_failure phase runs when the release failed");
    assert_eq!(skip_of(&h, "announce"), (PhaseStatus::Skipped, Some(SkipReason::UpstreamFailed)));
    // A failing cleanup does not mask the first failure: its always dependent still runs and waits.
    h.fail("cleanup", "wipe", false);
    h.succeed("page", "oncall");
    assert_eq!(h.status("cleanup", "confirm"), ActivityStatus::WaitingForInput);
    assert_eq!(h.state.status, ReleaseStatus::OnHold, "a person's cleanup step is waited for, not skipped");
    assert_eq!(h.state.phase("undo").unwrap().status, PhaseStatus::Pending, "the rollback waits for the cleanup");
    confirm(&mut h);
    assert_eq!(h.state.phase("cleanup").unwrap().status, PhaseStatus::Failed);
    assert_eq!(h.state.phase("undo").unwrap().status, PhaseStatus::Running, "then the rollback phases run");
    h.succeed("undo", "revert");
    assert_eq!(h.state.status, ReleaseStatus::Failed);
    assert!(h.state.rolled_back);
    assert_eq!(halted_phases(&h), vec!["deploy".to_string()], "the release halted once, for the first failure");
    assert_replays(&h);
}

#[test]
fn on_success_the_on_failure_node_is_skipped_with_no_failure_and_the_always_node_runs() {
    let mut h = Harness::new(PROCESS, json!({}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.succeed("deploy", "push");
    h.succeed("deploy", "tidy");
    assert_eq!(skip_of(&h, "page"), (PhaseStatus::Skipped, Some(SkipReason::NoFailure)));
    let oncall = h.state.activity("page", "oncall").unwrap();
    assert_eq!((oncall.status, oncall.skip_reason), (ActivityStatus::Skipped, Some(SkipReason::NoFailure)));
    h.succeed("announce", "post");
    h.succeed("cleanup", "wipe");
    confirm(&mut h);
    assert_eq!(h.state.status, ReleaseStatus::Success, "a no_failure skip does not spoil a success");
    assert_eq!(h.state.phase("undo").unwrap().status, PhaseStatus::Pending);
    assert_replays(&h);
}

#[test]
fn a_restart_runs_the_cleanup_and_notification_nodes_again() {
    let mut h = Harness::new(PROCESS, json!({}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.fail("deploy", "push", false);
    h.succeed("deploy", "tidy");
    h.succeed("cleanup", "wipe");
    h.succeed("page", "oncall");
    confirm(&mut h);
    h.succeed("undo", "revert");
    assert_eq!(h.state.status, ReleaseStatus::Failed);
    h.run(Command::Restart, &rita()).unwrap();
    for (phase, activity) in [("cleanup", "wipe"), ("page", "oncall"), ("deploy", "tidy")] {
        let act = h.state.activity(phase, activity).unwrap();
        assert_eq!((act.status, act.attempt), (ActivityStatus::Pending, 1), "{phase}/{activity} goes back");
    }
    h.succeed("deploy", "push");
    h.succeed("deploy", "tidy");
    assert_eq!(skip_of(&h, "page"), (PhaseStatus::Skipped, Some(SkipReason::NoFailure)), "the new attempt succeeds");
    h.succeed("announce", "post");
    h.succeed("cleanup", "wipe");
    confirm(&mut h);
    assert_eq!(h.state.status, ReleaseStatus::Success);
    assert_replays(&h);
}

#[test]
fn a_failing_cleanup_of_a_successful_release_follows_its_phase_criticality() {
    let text = PROCESS.replace("    run_when: always\n", "    run_when: always\n    critical: false\n");
    let mut h = Harness::new(&text, json!({}));
    h.run(Command::Activate { force: false }, &rita()).unwrap();
    h.succeed("deploy", "push");
    h.succeed("deploy", "tidy");
    h.succeed("announce", "post");
    h.fail("cleanup", "wipe", false);
    confirm(&mut h);
    assert_eq!(h.state.status, ReleaseStatus::PartialSuccess);
    assert_replays(&h);
}

#[test]
fn a_bad_run_when_is_refused_listing_the_valid_values() {
    let text = PROCESS.replace("run_when: on_failure", "run_when: sometimes").replace(
        "{ id: post, kind: automated, executor: x }",
        "{ id: post, kind: automated, executor: x, run_when: never }",
    );
    let Err(Error::Validation { problems }) = load_process(&text) else { panic!("a bad run_when loads") };
    let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert_eq!(
        found,
        vec![("phases[2].run_when", "invalid_value"), ("phases[3].activities[0].run_when", "invalid_value")],
        "every bad value at once"
    );
    for p in &problems {
        for valid in ["success", "always", "on_failure"] {
            assert!(p.message.contains(valid), "{} lists {valid}", p.message);
        }
    }
}

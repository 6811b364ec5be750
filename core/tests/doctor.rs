//! The doctor and the repair on SQLite: a release made stuck on purpose (its timer or its job
//! removed from the store behind the engine's back) is found, with the right code, and the repair
//! makes it progress again. Also the metrics the engine records along the way.

use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::release::{NewRelease, ReleaseStatus};
use trainyard::schedule::{Clock, ManualClock};
use trainyard::{Engine, executor::Outcome};

const PROCESS: &str = r#"
id: stuck
phases:
  - id: soak
    activities: [{ id: wait, kind: wait, duration: 1h }]
  - id: ship
    depends_on: [soak]
    activities: [{ id: push, kind: automated, executor: remote }]
"#;

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    clock: ManualClock,
    engine: Engine,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("releases.db");
    let clock = ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap());
    let engine = Engine::open_with(&format!("sqlite://{}", db.display()), Arc::new(clock.clone())).unwrap();
    engine.register_process(PROCESS).unwrap();
    Fixture { _dir: dir, db, clock, engine }
}

fn sql(db: &std::path::Path, statement: &str) -> usize {
    rusqlite::Connection::open(db).unwrap().execute(statement, []).unwrap()
}

#[test]
fn a_release_without_its_timer_is_found_and_the_repair_makes_it_progress() {
    let f = fixture();
    let r = f.engine.create_release("stuck", NewRelease { name: "R1".into(), ..Default::default() }, &rita()).unwrap();
    let draft = f.engine.create_release("stuck", NewRelease { name: "draft".into(), ..Default::default() }, &rita());
    draft.unwrap();
    f.engine.activate(&r.id, &rita()).unwrap();
    let report = f.engine.doctor().unwrap();
    assert_eq!(report.checked, 2);
    assert!(report.healthy(), "{report:?}");

    assert_eq!(sql(&f.db, "UPDATE releases SET next_due = NULL"), 2);
    let report = f.engine.doctor().unwrap();
    assert_eq!(report.findings.len(), 1, "{report:?}");
    let finding = &report.findings[0];
    assert_eq!(finding.release_id, r.id);
    assert!(!finding.can_progress);
    assert_eq!(finding.problems[0].code, "timer_missing");
    assert!(finding.problems[0].message.contains("wait (soak.wait)"), "{}", finding.problems[0].message);

    // Stuck: the hour passes and nothing happens.
    f.clock.advance(chrono::Duration::hours(2));
    f.engine.run_until_idle(100).unwrap();
    assert_eq!(f.engine.get_release(&r.id).unwrap().activity("soak", "wait").unwrap().status.as_str(), "running");

    let repaired = f.engine.repair(None).unwrap();
    assert_eq!(
        (repaired.repaired.clone(), repaired.timers_restored, repaired.jobs_restored),
        (vec![r.id.clone()], 1, 0)
    );
    assert_eq!(f.engine.repair(None).unwrap().repaired.len(), 0, "a second repair has nothing to do");
    f.engine.run_until_idle(100).unwrap();
    let state = f.engine.get_release(&r.id).unwrap();
    assert_eq!(state.activity("soak", "wait").unwrap().status.as_str(), "success");
    assert_eq!(state.activity("ship", "push").unwrap().status.as_str(), "queued");
    assert!(f.engine.doctor().unwrap().healthy());

    let m = f.engine.metrics().unwrap();
    assert_eq!(m.timers_fired, 1);
    assert!(m.timer_lag.sum_seconds >= 3600.0, "fired an hour late: {:?}", m.timer_lag);
    assert_eq!(m.queue_depth.get("remote"), Some(&1));
    assert!(m.commands >= 3 && m.command_latency.count == m.commands);
}

#[test]
fn a_release_without_its_job_is_found_and_the_repair_queues_it_again() {
    let f = fixture();
    let r = f.engine.create_release("stuck", NewRelease { name: "R2".into(), ..Default::default() }, &rita()).unwrap();
    f.engine.activate(&r.id, &rita()).unwrap();
    f.clock.advance(chrono::Duration::hours(1));
    f.engine.run_until_idle(100).unwrap();
    assert_eq!(sql(&f.db, "DELETE FROM jobs"), 1);

    let report = f.engine.doctor().unwrap();
    let problems = &report.findings[0].problems;
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, "job_missing");
    assert!(problems[0].message.contains("ship.push") && problems[0].message.contains("`remote`"));
    assert!(f.engine.claim_jobs(&["remote"], "w", 10, chrono::Duration::minutes(1)).unwrap().is_empty());

    let repaired = f.engine.repair(Some(std::slice::from_ref(&r.id))).unwrap();
    assert_eq!(repaired.jobs_restored, 1);
    let jobs = f.engine.claim_jobs(&["remote"], "w", 10, chrono::Duration::minutes(1)).unwrap();
    assert_eq!(jobs.len(), 1);
    f.engine.complete_job(&jobs[0].job.id, Outcome::success()).unwrap();
    assert_eq!(f.engine.get_release(&r.id).unwrap().status, ReleaseStatus::Success);
    assert_eq!(f.engine.doctor().unwrap().checked, 0);
}

#[test]
fn the_progress_callback_counts_every_release() {
    let f = fixture();
    for i in 0..5 {
        f.engine.create_release("stuck", NewRelease { name: format!("R{i}"), ..Default::default() }, &rita()).unwrap();
    }
    let mut seen = Vec::new();
    let report = f.engine.doctor_with_progress(&mut |done, total| seen.push((done, total))).unwrap();
    assert_eq!(report.checked, 5);
    assert_eq!(seen, (1..=5).map(|i| (i, 5)).collect::<Vec<_>>());
    let _ = f.clock.now();
}

//! Reports through the engine: two weekly trains and a hotfix, planned against actual, approval
//! waits, decisions with reasons, and the DORA figures.

use chrono::Duration;
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{NewRelease, ReleaseKind};
use trainyard::schedule::ManualClock;
use trainyard::{Engine, Error, ReportOptions};

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn start() -> chrono::DateTime<chrono::Utc> {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

const TRAIN: &str = r#"
id: train
inputs:
  version: { type: string, required: true }
  commit_time: { type: string }
phases:
  - id: build
    duration: 1h
    activities: [{ id: compile, kind: automated, executor: x }]
  - id: qa
    depends_on: [build]
    activities: [{ id: signoff, kind: approval, approvers: [{ group: qa }] }]
  - id: prod
    depends_on: [qa]
    activities:
      - { id: deploy, kind: automated, executor: x, with: { version: "${inputs.version}" }, on_failure: fail }
"#;

struct Yard {
    engine: Engine,
    clock: Arc<ManualClock>,
}

impl Yard {
    fn new() -> Yard {
        let clock = Arc::new(ManualClock::new(start()));
        let engine = Engine::in_memory_with_clock(clock.clone());
        engine.register_executor("x", |job: &Job| {
            if job.inputs.get("version").and_then(|v| v.as_str()) == Some("bad") {
                Outcome::Failure { message: "health checks failing".into(), retryable: false }
            } else {
                Outcome::success()
            }
        });
        engine.register_process(TRAIN).unwrap();
        Yard { engine, clock }
    }

    /// Runs a release to its end: approval after `wait`.
    fn run(&self, name: &str, kind: ReleaseKind, version: &str, wait: Duration) -> String {
        let mut inputs = indexmap::IndexMap::new();
        inputs.insert("version".to_string(), serde_json::json!(version));
        let commit = (self.clock_now() - Duration::days(1)).to_rfc3339();
        inputs.insert("commit_time".to_string(), serde_json::json!(commit));
        let new = NewRelease { name: name.into(), kind, inputs, ..Default::default() };
        let id = self.engine.create_release("train", new, &rita()).unwrap().id;
        self.engine.activate(&id, &rita()).unwrap();
        self.engine.run_until_idle(100).unwrap();
        self.clock.advance(wait);
        let quinn = Actor::new("quinn").with_groups(["qa"]);
        self.engine.approve(&id, "qa", "signoff", &quinn, Some("looks good")).unwrap();
        self.engine.run_until_idle(100).unwrap();
        id
    }

    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        trainyard::schedule::Clock::now(self.clock.as_ref())
    }
}

#[test]
fn two_weekly_trains_and_a_hotfix() {
    let y = Yard::new();
    let week15 = y.run("Week 15", ReleaseKind::Standard, "2.1.3", Duration::hours(2));
    y.clock.advance(Duration::days(1));
    let hotfix = y.run("Hotfix 2.1.4", ReleaseKind::Hotfix, "2.1.4", Duration::minutes(30));
    y.clock.advance(Duration::days(6));
    let week16 = y.run("Week 16", ReleaseKind::Standard, "bad", Duration::hours(1));
    y.clock.advance(Duration::hours(3));
    let fix = y.run("Week 16 again", ReleaseKind::Standard, "2.2.1", Duration::hours(1));

    let report = y.engine.report(start(), start() + Duration::days(14), None, &ReportOptions::default()).unwrap();
    let ids: Vec<&str> = report.releases.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [week15.as_str(), hotfix.as_str(), week16.as_str(), fix.as_str()], "by end time");

    let w15 = &report.releases[0];
    assert_eq!(w15.status.as_str(), "success");
    let build = &w15.phases[0];
    assert_eq!((build.planned_secs, build.actual_secs, build.overrun_secs), (Some(3600), Some(0), Some(-3600)));
    assert_eq!(w15.phases[1].actual_secs, Some(7200), "qa waited two hours for its approval");
    assert_eq!(w15.approvals.len(), 1);
    assert_eq!((w15.approvals[0].activity_id.as_str(), w15.approvals[0].waited_secs), ("signoff", 7200));
    assert_eq!(w15.phases[2].activities[0].attempts, 1);

    let w16 = &report.releases[2];
    assert_eq!(w16.status.as_str(), "failed");

    let d = &report.dora;
    assert_eq!(d.deployments, 3, "week 15, the hotfix and the fix succeeded");
    assert!((d.deployments_per_week - 1.5).abs() < 1e-9, "{}", d.deployments_per_week);
    assert_eq!(d.changes, 4);
    assert_eq!(d.failed_changes, 2, "week 15 (a hotfix followed within two days) and week 16 (failed)");
    assert_eq!(d.change_failure_rate, Some(0.5));
    // Week 15 ended at +2h and was restored by the hotfix's end (a day and 30 minutes later);
    // week 16 was restored by the fix three hours and one hour of approval later.
    let restore_w15 = (Duration::days(1) + Duration::minutes(30)).num_seconds();
    let restore_w16 = Duration::hours(4).num_seconds();
    assert_eq!(d.time_to_restore_secs, Some((restore_w15 + restore_w16) / 2));
    // Every commit time is a day before its release was created; the release ran its approval
    // wait after that.
    let leads = [26 * 3600, 24 * 3600 + 1800, 25 * 3600];
    let mut sorted = leads.to_vec();
    sorted.sort();
    assert_eq!(d.lead_time_secs, Some(sorted[1]));

    // A narrower hotfix window: week 15 is no longer a failed change.
    let narrow = ReportOptions { hotfix_window_secs: 3600, ..ReportOptions::default() };
    let again = y.engine.report(start(), start() + Duration::days(14), None, &narrow).unwrap();
    assert_eq!(again.dora.failed_changes, 1);
    // A window of the second week only.
    let second = y.engine.report(start() + Duration::days(7), start() + Duration::days(14), None, &narrow).unwrap();
    assert_eq!(second.releases.len(), 2);
    assert_eq!(second.dora.deployments, 1);
}

#[test]
fn a_bad_window_is_refused_with_every_problem() {
    let y = Yard::new();
    let options = ReportOptions { hotfix_window_secs: -1, ..ReportOptions::default() };
    match y.engine.report(start(), start(), None, &options) {
        Err(Error::InvalidInput { problems }) => {
            let codes: Vec<&str> = problems.iter().map(|p| p.code.as_str()).collect();
            assert_eq!(codes, ["bad_range", "invalid_value"]);
        }
        other => panic!("expected invalid_input, got {other:?}"),
    }
}

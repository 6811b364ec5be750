//! Reports through the engine: two weekly trains and a hotfix, planned against actual, approval
//! waits, decisions with reasons, and the DORA figures.

use chrono::Duration;
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{NewRelease, ReleaseKind};
use trainyard::report::ReportTable;
use trainyard::schedule::ManualClock;
use trainyard::{Engine, Error, ReportOptions};

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn start() -> chrono::DateTime<chrono::Utc> {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

const TRAIN: &str = include_str!("../../testdata/processes/weekly-train.yaml");

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

/// The text of every file in an xlsx workbook (a zip of XML parts), by name.
fn xlsx_parts(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an xlsx file is a zip");
    let mut parts = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).unwrap();
        parts.insert(file.name().to_string(), text);
    }
    parts
}

#[test]
fn a_report_exports_as_csv_tables_and_an_xlsx_workbook() {
    let y = Yard::new();
    let week15 = y.run("Week 15", ReleaseKind::Standard, "2.1.3", Duration::hours(2));
    y.clock.advance(Duration::hours(1));
    let week16 = y.run("Week 16, \"bad\"", ReleaseKind::Standard, "bad", Duration::hours(1));
    let report = y.engine.report(start(), start() + Duration::days(7), None, &ReportOptions::default()).unwrap();

    let releases = report.to_csv(ReportTable::Releases);
    let lines: Vec<&str> = releases.lines().collect();
    assert_eq!(lines[0], "release_id,name,kind,status,rolled_back,started_at,ended_at,duration_secs");
    assert_eq!(
        lines[1],
        format!("{week15},Week 15,standard,success,false,2025-04-07T09:00:00Z,2025-04-07T11:00:00Z,7200")
    );
    assert!(
        lines[2].starts_with(&format!("{week16},\"Week 16, \"\"bad\"\"\",standard,failed,")),
        "quoted: {}",
        lines[2]
    );
    assert_eq!(lines.len(), 3);

    let phases = report.to_csv(ReportTable::Phases);
    assert_eq!(phases.lines().nth(1), Some(format!("{week15},build,success,3600,0,-3600").as_str()));
    let activities = report.to_csv(ReportTable::Activities);
    assert_eq!(activities.lines().count(), 1 + 2 * 3, "a header and three activities per release");
    let approvals = report.to_csv(ReportTable::Approvals);
    assert_eq!(approvals.lines().nth(1), Some(format!("{week15},qa,signoff,7200").as_str()));
    let dora = report.to_csv(ReportTable::Dora);
    assert!(dora.contains("\nchange_failure_rate,0.5\n"), "{dora}");
    assert!(dora.contains("\ngroup,\n"), "no group is an empty cell: {dora}");
    assert_eq!("decisions".parse::<ReportTable>(), Ok(ReportTable::Decisions));
    assert!("sheets".parse::<ReportTable>().unwrap_err().contains("releases, phases"));

    let parts = xlsx_parts(&report.to_xlsx().unwrap());
    let book = &parts["xl/workbook.xml"];
    let sheets: Vec<&str> = book.split("<sheet name=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(sheets, ["Releases", "Phases", "Activities", "Approvals", "Decisions", "DORA"]);
    let strings = &parts["xl/sharedStrings.xml"];
    for text in ["release_id", "planned_secs", "waited_secs", "change_failure_rate", week15.as_str(), "signoff"] {
        assert!(strings.contains(text), "{text} is in the workbook");
    }
    // Week 15 started 2025-04-07 09:00 UTC: Excel's serial date 45754 and 9/24 of a day.
    let releases_sheet = &parts["xl/worksheets/sheet1.xml"];
    assert!(releases_sheet.contains("<v>45754.375</v>"), "a real Excel date: {releases_sheet}");
    assert!(releases_sheet.contains("<v>7200</v>"), "durations are numbers");
}

#[test]
fn a_report_holds_no_secret_value() {
    const SECRET: &str = "s3cr3t-value-42";
    let clock = Arc::new(ManualClock::new(start()));
    let engine = Engine::in_memory_with_clock(clock.clone());
    engine.set_secret_resolver(trainyard::secrets::MapSecretResolver::new([("deploy-token", SECRET)]));
    engine.register_executor("leak", |job: &Job| {
        let token = job.inputs["token"].as_str().unwrap_or_default();
        Outcome::Failure { message: format!("rejected token {token}"), retryable: true }
    });
    engine
        .register_process(
            r#"
id: leaky
inputs:
  apiToken: { type: secret, default: "secret://deploy-token" }
phases:
  - id: deploy
    activities:
      - { id: push, kind: automated, executor: leak, with: { token: "${inputs.apiToken}" }, retry: { max_attempts: 2 }, on_failure: fail }
"#,
        )
        .unwrap();
    let new = NewRelease { name: "Leaky".into(), ..Default::default() };
    let id = engine.create_release("leaky", new, &rita()).unwrap().id;
    engine.activate(&id, &rita()).unwrap();
    for _ in 0..5 {
        clock.advance(Duration::minutes(10));
        engine.run_until_idle(100).unwrap();
    }
    assert_eq!(engine.get_release(&id).unwrap().status.as_str(), "failed");
    let report = engine.report(start(), start() + Duration::days(1), None, &ReportOptions::default()).unwrap();
    let retry = &report.releases[0].decisions[0];
    assert_eq!(retry.what, "auto_retry");
    assert!(retry.reason.as_deref().unwrap().starts_with("rejected token "), "{retry:?}");
    let mut places = vec![format!("{report:?}"), serde_json::to_string(&report).unwrap()];
    places.extend(ReportTable::ALL.map(|t| report.to_csv(t)));
    places.extend(xlsx_parts(&report.to_xlsx().unwrap()).into_values());
    for text in places {
        assert!(!text.contains(SECRET), "the secret value leaked into the report: {text}");
    }
}

#[test]
fn a_report_for_an_actor_counts_only_the_releases_they_may_read() {
    let y = Yard::new();
    let shared = y.run("Week 15", ReleaseKind::Standard, "2.1.3", Duration::hours(1));
    // A release an outsider is listed on as stakeholder, and one they are not.
    let new = NewRelease { name: "Week 16".into(), stakeholders: vec!["sam".into()], ..Default::default() };
    let mut inputs = indexmap::IndexMap::new();
    inputs.insert("version".to_string(), serde_json::json!("2.2.0"));
    let listed = y.engine.create_release("train", NewRelease { inputs, ..new }, &rita()).unwrap().id;
    y.engine.activate(&listed, &rita()).unwrap();
    y.engine.run_until_idle(100).unwrap();
    y.engine.approve(&listed, "qa", "signoff", &Actor::new("quinn").with_groups(["qa"]), None).unwrap();
    y.engine.run_until_idle(100).unwrap();
    let window = (start(), start() + Duration::days(14));
    let all = y.engine.report(window.0, window.1, None, &ReportOptions::default()).unwrap();
    assert_eq!(all.releases.len(), 2);
    let sam = Actor::new("sam");
    let as_sam = ReportOptions { actor: Some(sam), ..ReportOptions::default() };
    let theirs = y.engine.report(window.0, window.1, None, &as_sam).unwrap();
    assert_eq!(theirs.releases.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [listed.as_str()]);
    assert_eq!(theirs.dora.deployments, 1);
    let as_rita = ReportOptions { actor: Some(rita()), ..ReportOptions::default() };
    let manager = y.engine.report(window.0, window.1, None, &as_rita).unwrap();
    assert_eq!(manager, all);
    assert!(all.releases.iter().any(|r| r.id == shared));
}

//! The fields of the read model (`ReleaseView` and its parts), of the change feed (`FeedEntry`,
//! `DeadLetter`) and of the doctor's reports (`DoctorReport`, `DoctorFinding`, `DoctorProblem`,
//! `RepairReport`) of the ledger (`LedgerEntry`) and of reports (`Report` and its parts), written to `testdata/api/views.json`,
//! which the Python and Node suites read to check that their release objects expose exactly these
//! fields (snake_case in Python, camelCase in Node). Rewrite the file after changing a view with
//! `TRAINYARD_WRITE_API_FIELDS=1 cargo test -p trainyard --test api_fields`.

use serde_json::json;
use std::path::PathBuf;
use trainyard::feed::FeedEntry;
use trainyard::feed::source::DeadLetter;
use trainyard::release::{ActivityView, ApprovalView, LedgerEntry, PhaseAttempt, PhaseView, ReleaseView, WaitingOn};
use trainyard::report::{ActivityReport, ApprovalWait, DecisionRecord, Dora, PhaseReport, ReleaseReport, Report};
use trainyard::{DoctorFinding, DoctorProblem, DoctorReport, RepairReport};

#[test]
fn the_view_fields_file_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/api/views.json");
    let doc = json!({
        "release": ReleaseView::field_names(),
        "phase": PhaseView::field_names(),
        "activity": ActivityView::field_names(),
        "approval": ApprovalView::field_names(),
        "phase_attempt": PhaseAttempt::field_names(),
        "ledger_entry": LedgerEntry::field_names(),
        "feed_entry": FeedEntry::field_names(),
        "dead_letter": DeadLetter::field_names(),
        "waiting_on": WaitingOn::field_names(),
        "lock": trainyard::release::locks::LockView::field_names(),
        "doctor_report": DoctorReport::field_names(),
        "doctor_finding": DoctorFinding::field_names(),
        "doctor_problem": DoctorProblem::field_names(),
        "repair_report": RepairReport::field_names(),
        "report": Report::field_names(),
        "release_report": ReleaseReport::field_names(),
        "phase_report": PhaseReport::field_names(),
        "activity_report": ActivityReport::field_names(),
        "approval_wait": ApprovalWait::field_names(),
        "decision_record": DecisionRecord::field_names(),
        "dora": Dora::field_names(),
    });
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var_os("TRAINYARD_WRITE_API_FIELDS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(current, text, "{} is out of date: rerun with TRAINYARD_WRITE_API_FIELDS=1", path.display());
}

#[test]
fn the_ledger_entry_field_names_are_what_serde_writes() {
    let entry = LedgerEntry {
        service: "checkout".into(),
        environment: "prod1".into(),
        version: "2.1.3".into(),
        commit: Some("a1b2c3".into()),
        artifact: Some("registry/checkout:2.1.3".into()),
        at: "2025-04-07T09:00:00Z".parse().unwrap(),
        release_id: "r".into(),
        release_name: "Week 15".into(),
        release_kind: trainyard::release::ReleaseKind::Standard,
        scope: "account".into(),
        phase_id: "prod1".into(),
        activity_id: "deploy".into(),
        attempt: 0,
        rollback: false,
        seq: 7,
    };
    let v = serde_json::to_value(&entry).unwrap();
    let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, LedgerEntry::field_names());
}

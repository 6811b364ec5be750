//! The fields of the read model (`ReleaseView` and its parts), of the change feed (`FeedEntry`,
//! `DeadLetter`) and of the doctor's reports (`DoctorReport`, `DoctorFinding`, `DoctorProblem`,
//! `RepairReport`) and of reports (`Report` and its parts), written to `testdata/api/views.json`,
//! which the Python and Node suites read to check that their release objects expose exactly these
//! fields (snake_case in Python, camelCase in Node). Rewrite the file after changing a view with
//! `TRAINYARD_WRITE_API_FIELDS=1 cargo test -p trainyard --test api_fields`.

use serde_json::json;
use std::path::PathBuf;
use trainyard::feed::FeedEntry;
use trainyard::feed::source::DeadLetter;
use trainyard::release::{ActivityView, ApprovalView, PhaseView, ReleaseView, WaitingOn};
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
        "feed_entry": FeedEntry::field_names(),
        "dead_letter": DeadLetter::field_names(),
        "waiting_on": WaitingOn::field_names(),
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

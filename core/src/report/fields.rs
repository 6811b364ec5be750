//! The field names of a report's parts, in order: what the bindings expose (snake_case in
//! Python, camelCase in Node), listed in `testdata/api/views.json` by `core/tests/api_fields.rs`.
//! The window's ends are `from_time` and `to_time` there (`from` is a keyword in Python).

use super::{ActivityReport, ApprovalWait, DecisionRecord, Dora, PhaseReport, ReleaseReport, Report};

impl Report {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["from_time", "to_time", "group", "releases", "dora"]
    }
}

impl ReleaseReport {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["id", "name", "kind", "status", "rolled_back", "started_at", "ended_at", "phases", "approvals", "decisions"]
    }
}

impl PhaseReport {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["id", "status", "planned_secs", "actual_secs", "overrun_secs", "activities"]
    }
}

impl ActivityReport {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["id", "status", "actual_secs", "attempts"]
    }
}

impl ApprovalWait {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["phase_id", "activity_id", "waited_secs"]
    }
}

impl DecisionRecord {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["what", "target", "actor", "at", "reason"]
    }
}

impl Dora {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &[
            "deployments",
            "deployments_per_week",
            "lead_time_secs",
            "changes",
            "failed_changes",
            "change_failure_rate",
            "time_to_restore_secs",
        ]
    }
}

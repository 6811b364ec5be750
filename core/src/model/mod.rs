//! Process definitions: [`Process`], [`Phase`], [`Activity`] of five [`ActivityKind`]s, [`InputDef`],
//! [`FailurePolicy`], approval rules and [`Duration`]s, with serde (YAML and JSON) and a JSON Schema.
//! Every form of definition is held to the bounds of [`limits`].
//!
//! ```
//! let p = trainyard::model::Process::from_text(r#"
//! id: tiny
//! phases:
//!   - id: build
//!     activities:
//!       - { id: compile, kind: automated, executor: command, timeout: 30m }
//! "#).unwrap();
//! assert_eq!(p.phases[0].activities[0].timeout.as_ref().unwrap().as_secs(), 1800);
//! let again = trainyard::model::Process::from_text(&p.to_yaml()).unwrap();
//! assert_eq!(p, again);
//! ```

mod activity;
mod duration;
mod gate;
mod input;
mod json_scan;
pub mod limits;
pub(crate) mod load;
mod lock;
mod process;

pub use activity::{
    Activity, ActivityKind, ApprovalRule, Approver, COMMON_ACTIVITY_FIELDS, DeadlineAction, FailurePolicy,
    MinApprovals, Records, RetryPolicy, RunWhen,
};
pub use duration::{Duration, MAX_DURATION_SECS, WaitDuration};
pub use gate::{DEFAULT_GATE_FAIL_ON, DEFAULT_GATE_UNTIL, GateLevel, GateTarget, Until};
pub use input::{FieldDef, InputDef, InputType};
pub use lock::{LockPriority, LockSpec, LockUse, MAX_LOCK_CAPACITY, MAX_LOCK_NAME_BYTES, MAX_LOCKS_PER_NODE};
pub use process::{Phase, Process};

/// The JSON Schema of the definition format as pretty JSON text with a trailing newline, exactly as
/// committed in `core/schema/process.schema.json`.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&Process::json_schema()).expect("schema is JSON");
    text.push('\n');
    text
}

#[cfg(test)]
mod schema_tests {
    #[test]
    fn committed_schema_is_up_to_date() {
        let committed = include_str!("../../schema/process.schema.json");
        assert!(
            committed == super::schema_text(),
            "core/schema/process.schema.json is out of date; run `cargo run -p trainyard --bin trainyard-schema`"
        );
    }
}

//! Processes (the blueprints) and their phases.

use super::{Activity, Duration, InputDef, RunWhen};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A process definition: the reusable blueprint a release runs.
///
/// Load one with [`Process::from_text`] (YAML or JSON) or through [`crate::load_process`], which also
/// validates it. Serialize it back with [`Process::to_yaml`] / [`Process::to_json`]: the round trip is
/// lossless (field order, durations as written, absent optional fields stay absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "trainyard process definition")]
pub struct Process {
    /// Process id: `[a-z0-9][a-z0-9-_]{0,63}`.
    #[schemars(extend("format" = "id"))]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the process is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Teams or users that own the process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Inputs a release supplies, in definition order.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, InputDef>,
    /// Global variables (values may be `${...}` expressions).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, Value>,
    /// The phases, in definition order.
    pub phases: Vec<Phase>,
    /// Phases that run when a failure policy says `rollback`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollback: Vec<Phase>,
}

/// A phase: a logical stage of the release (Build, QA sign-off, Prod 1 …) holding activities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Unique among the process's phases (including rollback phases): `[a-z0-9][a-z0-9-_]{0,63}`.
    #[schemars(extend("format" = "id"))]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What happens in this phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Teams or users responsible for the phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Phases that must end first (success, ignored or skipped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Earliest start, as an offset from the release start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Duration>,
    /// Planned length of the phase, used for planned calendar windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// CEL condition; false skips the phase.
    #[serde(rename = "if", default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "cel"))]
    pub condition: Option<String>,
    /// Whether a failure of this phase fails the release (default true). A failed non-critical phase
    /// makes the release `partial_success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical: Option<bool>,
    /// When it runs with respect to failures: `success` (default), `always` or `on_failure`
    /// (cleanup and notification phases). Its activities run with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_when: Option<RunWhen>,
    /// Phase-scoped variables.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, Value>,
    /// Values exposed to later phases (expressions over this phase's activity outputs).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub outputs: IndexMap<String, Value>,
    /// Locks the phase's work holds while it runs (see [`crate::release::locks`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<super::LockUse>,
    /// The activities, in definition order.
    pub activities: Vec<Activity>,
}

impl Phase {
    /// When it runs (the declared `run_when`, default `success`).
    pub fn run_when(&self) -> RunWhen {
        self.run_when.unwrap_or_default()
    }

    /// Whether a failure of this phase fails the release (default true).
    pub fn is_critical(&self) -> bool {
        self.critical.unwrap_or(true)
    }

    /// The activity with this id.
    pub fn activity(&self, id: &str) -> Option<&Activity> {
        self.activities.iter().find(|a| a.id == id)
    }
}

impl Process {
    /// The phase (regular or rollback) with this id.
    pub fn phase(&self, id: &str) -> Option<&Phase> {
        self.phases.iter().chain(&self.rollback).find(|p| p.id == id)
    }

    /// Parses YAML or JSON text *without* validating it (use [`crate::load_process`] to validate).
    /// Malformed text gives [`crate::Error::Validation`] with a `syntax` problem carrying line and column.
    pub fn from_text(text: &str) -> crate::Result<Process> {
        let value = super::load::parse_document(text)?;
        super::load::from_value(value)
    }

    /// Serializes to YAML (field order preserved, optional fields omitted when absent).
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self).expect("a process always serializes to YAML")
    }

    /// Serializes to pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a process always serializes to JSON")
    }

    /// The JSON Schema of the definition format (what `core/schema/process.schema.json` holds).
    pub fn json_schema() -> Value {
        serde_json::to_value(schemars::schema_for!(Process)).expect("schema is JSON")
    }
}

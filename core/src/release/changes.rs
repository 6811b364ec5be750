//! [`ReleaseChanges`]: what `update` may change on a release that has not started, and
//! [`ProcessSwitch`], the process version a draft moves to (looked up by the engine, so that the
//! decision stays pure).
//!
//! | field | draft | scheduled |
//! |---|---|---|
//! | `name`, `inputs`, `owners`, `release_managers`, `stakeholders`, `metadata` (labels, description, version, links) | yes | yes (inputs must stay complete: they were validated when it was scheduled) |
//! | `start`, `end` (the planned window) | yes | yes (an `auto_start` release is then activated at the new start) |
//! | `process` / `version`, `kind`, `scope` | yes (the inputs are checked again against the new process; the actor must manage the new scope) | no: `not_changeable` — delete it and create another, or abort it and reschedule |
//!
//! Every problem is listed in one `invalid_input` error; nothing changes then.

use super::{Plan, ReleaseKind};
use crate::Timestamp;
use indexmap::IndexMap;
use serde_json::Value;
use std::sync::Arc;

/// What to change on a release that has not started (every field optional; `None` = unchanged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseChanges {
    /// New name.
    pub name: Option<String>,
    /// Input overrides merged over the current inputs (a `null` removes one, so its default
    /// applies again).
    pub inputs: Option<IndexMap<String, Value>>,
    /// New owners.
    pub owners: Option<Vec<String>>,
    /// New release managers (at least one).
    pub release_managers: Option<Vec<String>>,
    /// New stakeholders.
    pub stakeholders: Option<Vec<String>>,
    /// Another process (drafts only); its latest version unless `version` is given.
    pub process: Option<String>,
    /// Another version of the process (drafts only; of `process` when given, else of the current one).
    pub version: Option<u32>,
    /// Another kind (drafts only).
    pub kind: Option<ReleaseKind>,
    /// Another scope, `account` or `org:<id>` (drafts only; the actor must manage it).
    pub scope: Option<String>,
    /// New planned start.
    pub start: Option<Timestamp>,
    /// New planned end.
    pub end: Option<Timestamp>,
    /// Changes to the labels, description, version and links (draft or scheduled).
    pub metadata: super::MetadataChange,
}

impl ReleaseChanges {
    /// Whether the changes ask for another process or version.
    pub fn switches_process(&self) -> bool {
        self.process.is_some() || self.version.is_some()
    }

    /// The names of the fields that only a draft may change, among those set.
    pub fn draft_only_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.process.is_some() {
            out.push("process");
        }
        if self.version.is_some() {
            out.push("version");
        }
        if self.kind.is_some() {
            out.push("kind");
        }
        if self.scope.is_some() {
            out.push("scope");
        }
        out
    }
}

/// The process version a draft switches to, as the engine looked it up before deciding.
#[derive(Debug, Clone)]
pub enum ProcessSwitch {
    /// Its plan.
    To(Arc<Plan>),
    /// It is not registered: why (listed with the update's other problems).
    NotFound(String),
}

impl ProcessSwitch {
    /// The plan switched to, when the process exists.
    pub fn plan(&self) -> Option<&Arc<Plan>> {
        match self {
            ProcessSwitch::To(p) => Some(p),
            ProcessSwitch::NotFound(_) => None,
        }
    }
}

impl PartialEq for ProcessSwitch {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ProcessSwitch::To(a), ProcessSwitch::To(b)) => a.process.id == b.process.id && a.version == b.version,
            (ProcessSwitch::NotFound(a), ProcessSwitch::NotFound(b)) => a == b,
            _ => false,
        }
    }
}

//! Gate activities: what a `gate` waits for (other releases, or a phase or an activity of them)
//! and which of their statuses open or fail it. The runtime rules are in
//! [`crate::release::gates`].

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One thing a gate waits for. Exactly one of `release`, `group` and `labels` says which
/// releases; `phase` (and `activity` within it) narrow the wait to part of each of them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateTarget {
    /// A release id (may interpolate `${...}`, e.g. `${inputs.train}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// A release group: the release of its `occurrence`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// With `group`: `latest` (the default: the group's release that started last) or the
    /// occurrence's planned start as an RFC 3339 time (may interpolate `${...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    /// Every release in flight (scheduled, running or on hold) that has all these labels with
    /// these values, other than the gate's own release. Matching none satisfies the target.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// Wait for this phase of the release(s) instead of the whole release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "id"))]
    pub phase: Option<String>,
    /// With `phase`: wait for this activity of that phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "id"))]
    pub activity: Option<String>,
}

/// The level a gate target watches, which decides the statuses its `until` and `fail_on` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateLevel {
    /// The release as a whole ([`crate::release::ReleaseStatus`]).
    Release,
    /// A phase ([`crate::release::PhaseStatus`]).
    Phase,
    /// An activity ([`crate::release::ActivityStatus`]).
    Activity,
}

impl GateTarget {
    /// What the target watches.
    pub fn level(&self) -> GateLevel {
        match (&self.phase, &self.activity) {
            (_, Some(_)) => GateLevel::Activity,
            (Some(_), None) => GateLevel::Phase,
            (None, None) => GateLevel::Release,
        }
    }
}

impl GateLevel {
    /// The status names a target of this level can be in.
    pub fn statuses(self) -> Vec<&'static str> {
        use crate::release::{ActivityStatus, PhaseStatus, ReleaseStatus};
        match self {
            GateLevel::Release => ReleaseStatus::ALL.iter().map(|s| s.as_str()).collect(),
            GateLevel::Phase => PhaseStatus::ALL.iter().map(|s| s.as_str()).collect(),
            GateLevel::Activity => ActivityStatus::ALL.iter().map(|s| s.as_str()).collect(),
        }
    }

    /// `release`, `phase` or `activity`.
    pub fn as_str(self) -> &'static str {
        match self {
            GateLevel::Release => "release",
            GateLevel::Phase => "phase",
            GateLevel::Activity => "activity",
        }
    }
}

/// A gate's `until` when none is given: its targets succeeded.
pub const DEFAULT_GATE_UNTIL: &[&str] = &["success"];

/// A gate's `fail_on` when none is given: a target failed or was aborted.
pub const DEFAULT_GATE_FAIL_ON: &[&str] = &["failed", "aborted"];

/// A `wait` activity's `until` (a time) or a `gate`'s `until` (the statuses that open it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Until {
    /// wait: an RFC 3339 time, or an expression `${...}` giving one.
    Time(String),
    /// gate: the statuses every target must reach (default `[success]`).
    Statuses(Vec<String>),
}

impl Until {
    /// The time text of a wait's `until` (`None` for a list of statuses).
    pub fn as_time(&self) -> Option<&str> {
        match self {
            Until::Time(t) => Some(t),
            Until::Statuses(_) => None,
        }
    }
}

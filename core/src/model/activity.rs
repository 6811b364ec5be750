//! Activities: the units of work inside a phase, of six kinds.

use super::{Duration, FieldDef, GateTarget, Until, WaitDuration};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The six kinds of activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// An executor runs it (`executor`, `with`, `outputs`, `timeout`, `retry`, `on_failure`).
    Automated,
    /// Approvers decide (`approvers`, `min_approvals`, `deadline`, `on_deadline`, …).
    Approval,
    /// An owner records values (`fields`) and signs off.
    Manual,
    /// A child release of another process (`process`, `version`, `with`).
    Subprocess,
    /// Waits for a `duration` or `until` a time (soak periods).
    Wait,
    /// Waits for other releases, or a phase or an activity of them (`targets`), to reach given
    /// statuses (`until`), failing on others (`fail_on`).
    Gate,
}

impl ActivityKind {
    /// All kinds.
    pub const ALL: [ActivityKind; 6] = [
        ActivityKind::Automated,
        ActivityKind::Approval,
        ActivityKind::Manual,
        ActivityKind::Subprocess,
        ActivityKind::Wait,
        ActivityKind::Gate,
    ];

    /// The snake_case name used in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Automated => "automated",
            ActivityKind::Approval => "approval",
            ActivityKind::Manual => "manual",
            ActivityKind::Subprocess => "subprocess",
            ActivityKind::Wait => "wait",
            ActivityKind::Gate => "gate",
        }
    }

    /// Fields an activity of this kind may have besides the common ones
    /// (`id`, `name`, `description`, `kind`, `owners`, `depends_on`, `if`, `variables`, `not_before`,
    /// `run_when`, `locks`).
    pub fn specific_fields(self) -> &'static [&'static str] {
        match self {
            ActivityKind::Automated => &["executor", "with", "outputs", "timeout", "retry", "on_failure", "records"],
            ActivityKind::Approval => &[
                "approvers",
                "min_approvals",
                "deadline",
                "on_deadline",
                "escalate_to",
                "remind_every",
                "forbid_self_approval",
                "on_failure",
            ],
            ActivityKind::Manual => &["fields", "deadline", "on_failure", "records"],
            ActivityKind::Subprocess => &["process", "version", "with", "timeout", "retry", "on_failure", "records"],
            ActivityKind::Wait => &["duration", "until"],
            ActivityKind::Gate => &["targets", "until", "fail_on", "timeout", "on_failure"],
        }
    }

    /// The failure policy that applies when the activity declares none: `hold` for automated,
    /// subprocess and gate activities (a person decides), `fail` for approvals and manual
    /// activities (a rejection is a decision already).
    pub fn default_failure_policy(self) -> FailurePolicy {
        match self {
            ActivityKind::Approval | ActivityKind::Manual => FailurePolicy::Fail,
            _ => FailurePolicy::Hold,
        }
    }
}

/// Fields every activity may have, whatever its kind.
pub const COMMON_ACTIVITY_FIELDS: [&str; 11] =
    ["id", "name", "description", "kind", "owners", "depends_on", "if", "variables", "not_before", "run_when", "locks"];

/// When a phase or activity runs with respect to the release's failure (cleanup and notification
/// nodes). The rules are in the crate docs of [`crate::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunWhen {
    /// Only while the release is going well: skipped when a dependency failed (`upstream_failed`)
    /// or the release halted (`release_failed`). The default.
    #[default]
    Success,
    /// Whatever happened: it waits until all its dependencies ended (in any status) and runs even
    /// when they failed or the release halted; it still obeys its `if` and `not_before`.
    Always,
    /// Only when the release failed: like `always` once a critical failure halted the release;
    /// skipped with reason `no_failure` when it becomes ready while the release has not failed.
    OnFailure,
}

impl RunWhen {
    /// The snake_case name used in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            RunWhen::Success => "success",
            RunWhen::Always => "always",
            RunWhen::OnFailure => "on_failure",
        }
    }

    /// Whether a node with this setting runs after a failure (`always` and `on_failure`).
    pub fn runs_after_failure(self) -> bool {
        self != RunWhen::Success
    }
}

/// What happens when an activity has failed (after its automatic retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// The activity goes `on_hold`; a person decides `retry`, `ignore` or `fail`.
    Hold,
    /// The activity is `failed`.
    Fail,
    /// The activity is `ignored`; downstream work continues.
    Ignore,
    /// The activity is `failed`, no new work starts, the process's `rollback` phases run, and the
    /// release ends `failed` with `rolled_back: true`.
    Rollback,
}

/// Automatic retries of a failed automated or subprocess activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Total attempts including the first one (at least 1).
    pub max_attempts: u32,
    /// Wait before each retry (default: retry at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Duration>,
    /// Multiply the backoff by this after each retry (default 1: constant backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
}

/// Who may approve: a user id or every member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approver {
    /// A user id (exactly one of `user` and `group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A group name: any member may approve (exactly one of `user` and `group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// How many approvals an approval activity needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MinApprovals {
    /// At least this many distinct approvers.
    Count(u32),
    /// `all` (every listed approver; a group counts as one member of it) or `majority`.
    Rule(ApprovalRule),
}

/// The named approval rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalRule {
    /// Every listed approver entry must approve (a group entry is satisfied by any one member).
    All,
    /// More than half of the listed approver entries.
    Majority,
}

/// What happens when an approval's `deadline` passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineAction {
    /// The approval is rejected (then `on_failure`).
    Reject,
    /// `escalate_to` approvers are added and notified; the approval keeps waiting.
    Escalate,
}

/// One activity of a phase. Which fields apply depends on [`ActivityKind`]
/// (see [`ActivityKind::specific_fields`]); validation rejects fields of another kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Unique within its phase: `[a-z0-9][a-z0-9-_]{0,63}`.
    #[schemars(extend("format" = "id"))]
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the activity does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The kind of activity.
    pub kind: ActivityKind,
    /// Users or groups responsible (manual activities: who may complete it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Activities of the same phase that must end first (success, ignored or skipped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// CEL condition; false skips the activity.
    #[serde(rename = "if", default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "cel"))]
    pub condition: Option<String>,
    /// Activity-scoped variables (innermost scope).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, Value>,
    /// Earliest start, as an offset from the release start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Duration>,
    /// When it runs with respect to failures: `success` (default), `always` or `on_failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_when: Option<RunWhen>,
    /// Locks the activity holds from just before it starts until it ends (see
    /// [`crate::release::locks`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<super::LockUse>,

    /// automated: name of a registered executor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    /// automated/subprocess: the values handed to the executor or the child release (may interpolate `${...}`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub with: IndexMap<String, Value>,
    /// automated: names of the outputs it produces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    /// automated/subprocess/gate: fail the attempt when it runs (or waits) longer than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// automated/subprocess: automatic retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// What happens after a failure (see [`ActivityKind::default_failure_policy`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<FailurePolicy>,

    /// approval: who may approve.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<Approver>,
    /// approval: how many approvals are needed (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_approvals: Option<MinApprovals>,
    /// approval/manual: how long people have to decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Duration>,
    /// approval: what happens at the deadline (default `reject`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_deadline: Option<DeadlineAction>,
    /// approval: who is added when the deadline escalates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate_to: Vec<Approver>,
    /// approval: remind the approvers this often while waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_every: Option<Duration>,
    /// approval: whoever started the release may not approve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbid_self_approval: Option<bool>,

    /// manual: the values the person records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDef>,

    /// wait: how long to wait (fixed, or an expression evaluated when the wait starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<WaitDuration>,
    /// wait: wait until this RFC 3339 time (or an expression giving one). gate: the statuses
    /// every target must reach (default `[success]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Until>,

    /// gate: what it waits for (at least one target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<GateTarget>,
    /// gate: statuses of a target that fail the gate (default `[failed, aborted]`; `[]` waits
    /// through every status that is not in `until`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Vec<String>>,

    /// subprocess: the id of the process to run as a child release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "id"))]
    pub process: Option<String>,
    /// subprocess: pin this version of the child process (default: the latest when the release is created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,

    /// automated/manual/subprocess: what a success delivers, written to the deployment ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Records>,
}

/// What an activity delivers when it succeeds: one entry of the deployment ledger. Every field may
/// interpolate `${...}` (evaluated in the activity's scope when it succeeds, its own outputs
/// included, e.g. `${phases.prod.activities.deploy.outputs.version}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Records {
    /// The service deployed, e.g. `checkout`.
    pub service: String,
    /// The environment it went to, e.g. `prod1`.
    pub environment: String,
    /// The version now running there, e.g. `2.4.1`.
    pub version: String,
    /// The commit the version was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The artifact deployed (an image, a package URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

impl Records {
    /// The fields with their names, in order (absent optional ones left out).
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![
            ("service", self.service.as_str()),
            ("environment", self.environment.as_str()),
            ("version", self.version.as_str()),
        ];
        if let Some(c) = &self.commit {
            out.push(("commit", c));
        }
        if let Some(a) = &self.artifact {
            out.push(("artifact", a));
        }
        out
    }
}

impl Activity {
    /// When it runs (the declared `run_when`, default `success`).
    pub fn run_when(&self) -> RunWhen {
        self.run_when.unwrap_or_default()
    }

    /// The failure policy in force: the declared one or the kind's default.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.on_failure.unwrap_or_else(|| self.kind.default_failure_policy())
    }

    /// The names of the outputs this activity produces: declared `outputs`, or the `fields` of a
    /// manual activity.
    pub fn output_names(&self) -> Vec<&str> {
        match self.kind {
            ActivityKind::Manual => self.fields.iter().map(|f| f.name.as_str()).collect(),
            _ => self.outputs.iter().map(String::as_str).collect(),
        }
    }
}

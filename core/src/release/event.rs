//! Events: the facts a release is made of. A release's state is `fold(evolve, events)`, and the
//! event log is the audit trail. Every non-deterministic fact (time, evaluated values, job ids,
//! approver identities) is inside an event, so replay reproduces the state exactly.

use super::{ActivityRef, PhaseStatus, ReleaseStatus, TimerKey};
use crate::Timestamp;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of a release (from the domain: standard, hotfix, feature, system).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseKind {
    /// Regular, planned deployment.
    #[default]
    Standard,
    /// Emergency fix.
    Hotfix,
    /// One feature.
    Feature,
    /// Coordinated across many services and environments.
    System,
}

impl ReleaseKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseKind::Standard => "standard",
            ReleaseKind::Hotfix => "hotfix",
            ReleaseKind::Feature => "feature",
            ReleaseKind::System => "system",
        }
    }
}

impl std::str::FromStr for ReleaseKind {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "standard" => Ok(ReleaseKind::Standard),
            "hotfix" => Ok(ReleaseKind::Hotfix),
            "feature" => Ok(ReleaseKind::Feature),
            "system" => Ok(ReleaseKind::System),
            other => Err(crate::Error::InvalidInput {
                problems: vec![crate::Problem::new(
                    "kind",
                    "invalid_value",
                    format!("`{other}` is not a release kind; expected one of: standard, hotfix, feature, system"),
                )],
            }),
        }
    }
}

/// The subprocess activity a child release runs for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParentLink {
    /// The parent release.
    pub release: String,
    /// The parent's subprocess activity.
    #[serde(flatten)]
    pub activity: ActivityRef,
}

/// Why a phase or activity was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Its `if` condition was false. Counts as done for its dependents.
    Condition,
    /// A manager skipped it (with a reason). Counts as done for its dependents.
    Manual,
    /// A dependency failed or was aborted. Propagates to its own dependents.
    UpstreamFailed,
    /// A critical failure stopped the release before it could start.
    ReleaseFailed,
    /// Its `run_when` is `on_failure` and the release had not failed when it became ready. Counts
    /// as done for its dependents.
    NoFailure,
}

impl SkipReason {
    /// Whether a node skipped for this reason lets its dependents start.
    pub fn satisfies_dependents(self) -> bool {
        matches!(self, SkipReason::Condition | SkipReason::Manual | SkipReason::NoFailure)
    }
}

/// What happens after an activity attempt failed (decided by the failure policy, recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "then")]
pub enum AfterFailure {
    /// An automatic retry: queued again at `at` (now, or after the backoff).
    Retry {
        /// When the next attempt is queued.
        at: Timestamp,
    },
    /// `on_failure: hold` — a person decides.
    Hold,
    /// `on_failure: fail`.
    Fail,
    /// `on_failure: ignore`.
    Ignore,
    /// `on_failure: rollback` — the activity fails and the rollback phases run.
    Rollback,
}

/// A person's decision about an activity that is `on_hold`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    /// Run it again, optionally with changed `with` values (fix-and-continue).
    Retry {
        /// Replacement `with` values (merged over the definition's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inputs: Option<IndexMap<String, Value>>,
    },
    /// Treat it as done, optionally supplying the outputs downstream needs.
    Ignore {
        /// Substitute outputs.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        outputs: IndexMap<String, Value>,
    },
    /// Fail it for good.
    Fail,
}

/// The version of the stored event format: the JSON of [`Event`] as the SQL stores keep it (and
/// the change feed and `history` hand out). Adding an optional field or a new [`EventKind`] keeps
/// the version (older events still read); renaming, removing or re-typing a field, or changing
/// what a kind means, raises it, together with a store migration that rewrites older events.
/// A database recording a newer event format is refused with
/// [`crate::Error::UnsupportedVersion`].
pub const EVENT_FORMAT: u64 = 1;

/// One recorded event with its envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the release's log, from 1, without gaps.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// Who caused it (`system` for the clock and the engine).
    pub actor: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
    /// The reason or comment given with the command, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// What happened. Serialized with a snake_case `kind` tag and its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "data")]
pub enum EventKind {
    /// The release was created as a draft.
    Created {
        /// Display name.
        name: String,
        /// Release kind.
        release_kind: ReleaseKind,
        /// Process id.
        process_id: String,
        /// Pinned process version.
        process_version: u32,
        /// `account` or `org:<id>`.
        scope: String,
        /// The merged inputs (defaults ⊕ input set ⊕ overrides).
        inputs: IndexMap<String, Value>,
        /// Owners: the people and groups responsible for the release.
        owners: Vec<String>,
        /// The release's managers (absent in events written before they existed).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        release_managers: Vec<String>,
        /// Stakeholders: interested users and groups (notified; may read the release).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stakeholders: Vec<String>,
        /// The release group that generated it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
        /// The input set used (name, version).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input_set: Option<(String, u32)>,
        /// The parent activity, for a child release run by a subprocess activity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<ParentLink>,
        /// The release-group occurrence it was generated for (`<group>@<start>`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurrence: Option<String>,
        /// Labels, description, version and links (left out when empty).
        #[serde(default, skip_serializing_if = "super::Metadata::is_empty")]
        metadata: Box<super::Metadata>,
    },
    /// A release that has not started was changed (a draft: anything; a scheduled release: its
    /// name, inputs, owners, managers, stakeholders and planned window). Only the changed fields
    /// are present; every field but the first three is absent in events written before it existed.
    Updated {
        /// New name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// New inputs (merged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inputs: Option<IndexMap<String, Value>>,
        /// New owners.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owners: Option<Vec<String>>,
        /// The metadata after the change, when it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        metadata: Option<Box<super::Metadata>>,
        /// New release managers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        release_managers: Option<Vec<String>>,
        /// New stakeholders.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stakeholders: Option<Vec<String>>,
        /// The process the draft now runs, with `process_version`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process_id: Option<String>,
        /// The pinned process version (with `process_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        process_version: Option<u32>,
        /// New release kind (drafts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        release_kind: Option<ReleaseKind>,
        /// New scope (drafts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        /// New planned start.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<Timestamp>,
        /// New planned end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<Timestamp>,
    },
    /// The draft or scheduled release was deleted.
    Deleted,
    /// Scheduled (or rescheduled); inputs validated and locked.
    Scheduled {
        /// Planned start.
        start: Timestamp,
        /// Planned end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<Timestamp>,
        /// Activate automatically at `start`.
        auto_start: bool,
    },
    /// Activated: execution begins. `early` = before its scheduled start (pre-execution).
    Activated {
        /// Pre-execution.
        early: bool,
        /// Activated inside a freeze window by an account release manager.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forced: bool,
        /// The global variables, evaluated once now.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        variables: IndexMap<String, Value>,
    },
    /// An operator paused the release: nothing new starts.
    Paused,
    /// The release may progress again.
    Resumed,
    /// Stopped by an operator.
    Aborted,
    /// Failed and aborted nodes were reset; a new attempt begins.
    Restarted {
        /// The new release attempt.
        attempt: u32,
    },
    /// Archived (kept for audit, hidden from the active calendar).
    Archived,
    /// A phase waits for its `not_before` time.
    PhaseScheduled {
        /// Phase id.
        phase: String,
        /// When it may start.
        at: Timestamp,
    },
    /// A phase started.
    PhaseStarted {
        /// Phase id.
        phase: String,
        /// The phase's variables, evaluated once now.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        variables: IndexMap<String, Value>,
        /// When it passes its planned `duration` (start + duration), for a phase that has one:
        /// a `phase_overdue` timer is set for that time. Absent in logs written before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        overdue_at: Option<Timestamp>,
    },
    /// A phase was skipped (with all its activities).
    PhaseSkipped {
        /// Phase id.
        phase: String,
        /// Why.
        reason: SkipReason,
    },
    /// A phase ended.
    PhaseEnded {
        /// Phase id.
        phase: String,
        /// success, failed or aborted.
        status: PhaseStatus,
        /// Evaluated phase outputs.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        outputs: IndexMap<String, Value>,
    },
    /// An activity waits for its `not_before` time.
    ActivityScheduled {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// When it may start.
        at: Timestamp,
    },
    /// An automated activity was handed to its executor as a job.
    ActivityQueued {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Attempt (0 = first run).
        attempt: u32,
        /// The job id (stable across redelivery).
        job_id: String,
        /// The executor name.
        executor: String,
        /// The resolved `with` values (secrets still as references).
        inputs: IndexMap<String, Value>,
    },
    /// An automated activity is ready but a freeze window covers its release: it waits, `queued`,
    /// until the freeze ends.
    ActivityFrozen {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// The attempt that waits.
        attempt: u32,
        /// When the freeze ends.
        until: Timestamp,
    },
    /// A subprocess activity started its child release (the engine creates and activates it).
    SubprocessStarted {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Attempt (0 = first run).
        attempt: u32,
        /// The child release's id (derived from the parent, the activity and the attempt).
        child_id: String,
        /// The child's process id.
        process: String,
        /// The pinned child process version (latest when the child is created, if absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<u32>,
        /// The child's inputs (the resolved `with` values).
        inputs: IndexMap<String, Value>,
        /// When the attempt times out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<Timestamp>,
    },
    /// An activity began executing (automated job started, wait began, subprocess child started).
    ActivityStarted {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// When it times out (activity `timeout`) or, for a wait, when the wait is over.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<Timestamp>,
    },
    /// An approval or manual activity now waits for people.
    ActivityWaiting {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Attempt (0 = first time; a retry after an on_hold rejection increments it).
        #[serde(default)]
        attempt: u32,
        /// Approval deadline.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline: Option<Timestamp>,
        /// First reminder.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remind_at: Option<Timestamp>,
    },
    /// A gate activity started waiting: its targets, `${...}` rendered (the engine resolves them
    /// next; see [`super::gates`]).
    GateOpened {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Attempt (0 = first time; a retry after a failure increments it).
        #[serde(default, skip_serializing_if = "is_zero")]
        attempt: u32,
        /// The targets of the definition, rendered.
        targets: Vec<crate::model::GateTarget>,
        /// When it times out (its `timeout`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<Timestamp>,
    },
    /// A gate's targets resolved: the releases (or their phases or activities) it watches, with
    /// the statuses they were in.
    GateResolved {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Attempt.
        #[serde(default, skip_serializing_if = "is_zero")]
        attempt: u32,
        /// What it watches.
        targets: Vec<super::gates::GateObservation>,
    },
    /// A waiting gate saw some of its targets change status (those targets, with their new
    /// statuses); it still waits.
    GateObserved {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Attempt.
        #[serde(default, skip_serializing_if = "is_zero")]
        attempt: u32,
        /// The targets whose status changed.
        targets: Vec<super::gates::GateObservation>,
    },
    /// A phase or activity ready to start asked for the locks it needs (names rendered); it waits,
    /// `pending`, until they are granted ([`super::locks`]).
    LocksRequested {
        /// The node that asked.
        #[serde(flatten)]
        request: super::locks::LockNode,
        /// The locks asked for.
        locks: Vec<super::locks::LockWant>,
    },
    /// The engine granted a waiting request: the node holds every lock it asked for.
    LocksAcquired {
        /// The node that asked.
        #[serde(flatten)]
        request: super::locks::LockNode,
        /// The names granted.
        locks: Vec<String>,
    },
    /// Locks were let go, or waiting requests given up, because nothing needs them any more.
    LocksReleased {
        /// The locks.
        locks: Vec<super::locks::LockKey>,
    },
    /// An approver decided.
    ApprovalRecorded {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Who.
        approver: String,
        /// Approved (true) or rejected (false).
        approved: bool,
        /// The approver entries (by index) this person covers.
        #[serde(default)]
        covers: Vec<usize>,
    },
    /// Reminder sent to the approvers still missing.
    ApprovalReminded {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Next reminder.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<Timestamp>,
    },
    /// The deadline passed with `on_deadline: escalate`: `escalate_to` may approve too.
    ApprovalEscalated {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
    },
    /// An activity succeeded.
    ActivitySucceeded {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Its outputs.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        outputs: IndexMap<String, Value>,
    },
    /// An activity with `records` succeeded: what it delivered, evaluated in its scope (the
    /// deployment ledger's entry), or why that could not be evaluated (no entry then).
    DeliveryRecorded {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// The attempt that succeeded.
        attempt: u32,
        /// What it delivered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivery: Option<crate::release::ledger::Delivery>,
        /// Why `records` could not be evaluated.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// An activity attempt failed; `after` says what the failure policy decided.
    ActivityFailed {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// The failed attempt.
        attempt: u32,
        /// What went wrong.
        message: String,
        /// What happens next.
        after: AfterFailure,
        /// The structured facts of the failed run (exit code, signal, stderr tail), when the
        /// executor gave them. Absent in events written before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<crate::executor::FailureDetail>,
    },
    /// A person decided about an on_hold activity.
    ActivityDecided {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// The decision.
        #[serde(flatten)]
        decision: Decision,
    },
    /// An activity was skipped.
    ActivitySkipped {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// Why.
        reason: SkipReason,
    },
    /// A critical phase failed: no new work starts; running work finishes.
    Halted {
        /// The failed phase.
        phase: String,
        /// Whether the rollback phases will run.
        rollback: bool,
    },
    /// The rollback phases start.
    RollbackStarted,
    /// A timer fired (recorded so it fires once).
    TimerFired {
        /// Which.
        timer: TimerKey,
        /// When it was due. The event itself is stamped with the time it actually fired: a tick
        /// that comes late (the engine was down) shows both.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<Timestamp>,
    },
    /// The release ended.
    Ended {
        /// success, partial_success or failed.
        status: ReleaseStatus,
    },
    /// A phase or an activity was rewound: it runs again with what is downstream of it
    /// (`rewind`). In-flight work among them was cancelled; every node listed went back to
    /// `pending` with its `attempt` incremented (phases keep the outputs of earlier attempts).
    Rewound {
        /// The phase rewound, or the phase of the activity rewound.
        phase: String,
        /// The activity rewound, when the target was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activity: Option<String>,
        /// The activities of `phase` reset when the target was an activity (it and its
        /// dependents); the phase reopens.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        activities: Vec<String>,
        /// The phases reset whole: the target phase, and the downstream phases that had left
        /// `pending`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        phases: Vec<String>,
        /// The new values of release inputs (merged over the current ones).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inputs: Option<IndexMap<String, Value>>,
        /// The global variables evaluated again with the new inputs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        variables: Option<IndexMap<String, Value>>,
    },
    /// An ad-hoc activity was added to a phase (`insert_activity`); the release's plan has it
    /// from this event on.
    ActivityInserted {
        /// The phase.
        phase: String,
        /// The activity's definition, validated, with `after` in its `depends_on`.
        definition: Box<crate::model::Activity>,
        /// The activity it runs after, when one was named.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
    },
    /// Who may approve an approval (or complete a manual activity) was replaced (`reassign`);
    /// the decisions of the current attempt were dropped.
    ApproversReassigned {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// The new approvers (a manual activity: its owners).
        approvers: Vec<crate::model::Approver>,
        /// How many decisions of the current attempt were dropped.
        #[serde(default, skip_serializing_if = "is_zero")]
        dropped: u32,
    },
    /// A listed approver handed their part of an approval to another user (`delegate`).
    ApprovalDelegated {
        /// The approval.
        #[serde(flatten)]
        target: ActivityRef,
        /// The user who handed over.
        from: String,
        /// The user who approves instead.
        to: String,
    },
    /// A phase that has not started got a new earliest start (`reschedule_phase`).
    PhaseRescheduled {
        /// Phase id.
        phase: String,
        /// When it may start, at the earliest (replaces its `not_before` offset).
        not_before: Timestamp,
    },
    /// The engine assessed whether the release will end after its planned end (see
    /// [`super::risk`]). Recorded when the flag changes, or when the moment it would turn at risk
    /// (if nothing else happened) moves earlier.
    RiskAssessed {
        /// Whether the expected end is after the planned end.
        at_risk: bool,
        /// The expected end (the forecast's), when it is known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_end: Option<Timestamp>,
        /// The planned end (`schedule.end`).
        planned_end: Timestamp,
        /// When it turns at risk if nothing else happens (a `risk_check` timer is set for then);
        /// absent when it is at risk already, or never would be.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        check_at: Option<Timestamp>,
    },
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl EventKind {
    /// The snake_case kind name (`created`, `activity_succeeded`, …).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Created { .. } => "created",
            EventKind::Updated { .. } => "updated",
            EventKind::Deleted => "deleted",
            EventKind::Scheduled { .. } => "scheduled",
            EventKind::Activated { .. } => "activated",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
            EventKind::Aborted => "aborted",
            EventKind::Restarted { .. } => "restarted",
            EventKind::Archived => "archived",
            EventKind::PhaseScheduled { .. } => "phase_scheduled",
            EventKind::PhaseStarted { .. } => "phase_started",
            EventKind::PhaseSkipped { .. } => "phase_skipped",
            EventKind::PhaseEnded { .. } => "phase_ended",
            EventKind::ActivityScheduled { .. } => "activity_scheduled",
            EventKind::ActivityQueued { .. } => "activity_queued",
            EventKind::ActivityStarted { .. } => "activity_started",
            EventKind::SubprocessStarted { .. } => "subprocess_started",
            EventKind::ActivityFrozen { .. } => "activity_frozen",
            EventKind::ActivityWaiting { .. } => "activity_waiting",
            EventKind::GateOpened { .. } => "gate_opened",
            EventKind::GateResolved { .. } => "gate_resolved",
            EventKind::GateObserved { .. } => "gate_observed",
            EventKind::LocksRequested { .. } => "locks_requested",
            EventKind::LocksAcquired { .. } => "locks_acquired",
            EventKind::LocksReleased { .. } => "locks_released",
            EventKind::ApprovalRecorded { .. } => "approval_recorded",
            EventKind::ApprovalReminded { .. } => "approval_reminded",
            EventKind::ApprovalEscalated { .. } => "approval_escalated",
            EventKind::ActivitySucceeded { .. } => "activity_succeeded",
            EventKind::DeliveryRecorded { .. } => "delivery_recorded",
            EventKind::ActivityFailed { .. } => "activity_failed",
            EventKind::ActivityDecided { .. } => "activity_decided",
            EventKind::ActivitySkipped { .. } => "activity_skipped",
            EventKind::Halted { .. } => "halted",
            EventKind::RollbackStarted => "rollback_started",
            EventKind::TimerFired { .. } => "timer_fired",
            EventKind::Ended { .. } => "ended",
            EventKind::Rewound { .. } => "rewound",
            EventKind::ActivityInserted { .. } => "activity_inserted",
            EventKind::ApproversReassigned { .. } => "approvers_reassigned",
            EventKind::ApprovalDelegated { .. } => "approval_delegated",
            EventKind::PhaseRescheduled { .. } => "phase_rescheduled",
            EventKind::RiskAssessed { .. } => "risk_assessed",
        }
    }

    /// The activity the event is about, for activity events.
    pub fn activity(&self) -> Option<&ActivityRef> {
        match self {
            EventKind::ActivityScheduled { target, .. }
            | EventKind::ActivityQueued { target, .. }
            | EventKind::ActivityFrozen { target, .. }
            | EventKind::SubprocessStarted { target, .. }
            | EventKind::ActivityStarted { target, .. }
            | EventKind::ActivityWaiting { target, .. }
            | EventKind::GateOpened { target, .. }
            | EventKind::GateResolved { target, .. }
            | EventKind::GateObserved { target, .. }
            | EventKind::ApprovalRecorded { target, .. }
            | EventKind::ApprovalReminded { target, .. }
            | EventKind::ApprovalEscalated { target }
            | EventKind::ActivitySucceeded { target, .. }
            | EventKind::DeliveryRecorded { target, .. }
            | EventKind::ActivityFailed { target, .. }
            | EventKind::ActivityDecided { target, .. }
            | EventKind::ActivitySkipped { target, .. }
            | EventKind::ApproversReassigned { target, .. }
            | EventKind::ApprovalDelegated { target, .. } => Some(target),
            _ => None,
        }
    }
}

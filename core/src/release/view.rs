//! The read model of a release: [`ReleaseView`], with its phases and activities joined once with
//! their definitions (names, kinds, the rollback and critical flags). The Python and Node bindings
//! only rename its fields (snake_case → camelCase in Node); a test keeps the three the same.
//!
//! Views borrow from the state they are built from: building one copies nothing but a few small
//! vectors; a binding converts it (or serializes it, `serde`) right away.

use super::{ActivityState, ActivityStatus, ParentLink, PhaseState, PhaseStatus, ReleaseKind, ReleaseState};
use super::{PhaseAttempt, ReleaseStatus, Schedule, SkipReason};
use crate::Timestamp;
use crate::model::ActivityKind;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

/// A release as its users see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseView<'a> {
    /// Release id (UUID v7).
    pub id: &'a str,
    /// Sequence number of its last event.
    pub seq: u64,
    /// Display name.
    pub name: &'a str,
    /// `standard`, `hotfix`, `feature` or `system`.
    pub kind: ReleaseKind,
    /// The rolled-up status.
    pub status: ReleaseStatus,
    /// `account` or `org:<id>`.
    pub scope: &'a str,
    /// Process id.
    pub process_id: &'a str,
    /// Pinned process version.
    pub process_version: u32,
    /// Inputs (defaults ⊕ input set ⊕ overrides; secrets as `secret://` references).
    pub inputs: &'a IndexMap<String, Value>,
    /// Global variables, evaluated at activation.
    pub variables: &'a IndexMap<String, Value>,
    /// Owners: the people and groups responsible for the release.
    pub owners: &'a [String],
    /// The release's managers (users or groups).
    pub release_managers: &'a [String],
    /// Stakeholders (users or groups): notified of its progress, and may read it.
    pub stakeholders: &'a [String],
    /// The release group that generated it.
    pub group: Option<&'a str>,
    /// The release-group occurrence it was generated for (`<group>@<start>`).
    pub occurrence: Option<&'a str>,
    /// The input set used.
    pub input_set: Option<InputSetRef<'a>>,
    /// Labels (key → value).
    pub labels: &'a std::collections::BTreeMap<String, String>,
    /// A description.
    pub description: Option<&'a str>,
    /// The version being released.
    pub version: Option<&'a str>,
    /// Links to tickets, commits and incidents.
    pub links: &'a [super::Link],
    /// The parent's subprocess activity, for a child release.
    pub parent: Option<&'a ParentLink>,
    /// The schedule, once scheduled.
    pub schedule: Option<&'a Schedule>,
    /// Release attempt (restart increments it).
    pub attempt: u32,
    /// Archived (kept for audit, hidden from the active calendar).
    pub archived: bool,
    /// Ended failed after running its rollback phases.
    pub rolled_back: bool,
    /// The rollback phases are running.
    pub rolling_back: bool,
    /// A critical phase failed: no new work starts.
    pub halted: bool,
    /// Paused by an operator.
    pub paused: bool,
    /// Activated before its scheduled start.
    pub pre_executed: bool,
    /// Expected to end after its planned end, by the last risk assessment (see
    /// [`super::risk`]; kept after it ended).
    pub at_risk: bool,
    /// Who created it.
    pub created_by: &'a str,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// Who scheduled it last.
    pub scheduled_by: Option<&'a str>,
    /// Who activated it (for a clock activation: whoever scheduled it).
    pub started_by: Option<&'a str>,
    /// When it was activated.
    pub started_at: Option<Timestamp>,
    /// When it ended (or was aborted).
    pub ended_at: Option<Timestamp>,
    /// When its last event happened.
    pub updated_at: Option<Timestamp>,
    /// What it waits on now (people, a worker, a freeze, a timer), with the phase and activity
    /// concerned; `None` when it waits on nothing (see [`super::waiting`]).
    pub waiting_on: Option<super::WaitingOn<'a>>,
    /// Phases: regular ones in definition order, then the rollback phases.
    pub phases: Vec<PhaseView<'a>>,
}

/// The input set a release was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InputSetRef<'a> {
    /// Its name.
    pub name: &'a str,
    /// The version used.
    pub version: u32,
}

/// A phase of a release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseView<'a> {
    /// Phase id.
    pub id: &'a str,
    /// Display name from the definition.
    pub name: Option<&'a str>,
    /// Status.
    pub status: PhaseStatus,
    /// Whether it is a rollback phase.
    pub rollback: bool,
    /// Whether its failure fails the release (`critical`, default true).
    pub critical: bool,
    /// Why it was skipped.
    pub skip_reason: Option<SkipReason>,
    /// Evaluated phase outputs (set when it ends).
    pub outputs: &'a IndexMap<String, Value>,
    /// The phase's variables, evaluated when it started.
    pub variables: &'a IndexMap<String, Value>,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// When it may start (`not_before`), once known.
    pub not_before: Option<Timestamp>,
    /// The earlier attempts a `rewind` replaced, oldest first, each with its outputs (the
    /// current attempt is the phase itself).
    pub attempts: &'a [PhaseAttempt],
    /// The locks of the phase that the release holds or waits for now ([`super::locks`]): each
    /// with its name, capacity, priority, the node that asked, when, and since when it is held
    /// (absent while waiting).
    pub locks: Vec<super::locks::LockView<'a>>,
    /// Its activities, in definition order.
    pub activities: Vec<ActivityView<'a>>,
}

/// An activity of a release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityView<'a> {
    /// Activity id.
    pub id: &'a str,
    /// Display name from the definition.
    pub name: Option<&'a str>,
    /// `automated`, `approval`, `manual`, `subprocess`, `wait` or `gate`.
    pub kind: ActivityKind,
    /// Status.
    pub status: ActivityStatus,
    /// Attempt (0 = first run).
    pub attempt: u32,
    /// Outputs (executor outputs, `ignore` substitutes, manual field values, `approvers`).
    pub outputs: &'a IndexMap<String, Value>,
    /// Approval decisions of the current attempt.
    pub approvals: Vec<ApprovalView<'a>>,
    /// Whether the approval deadline escalated (`escalate_to` may approve too).
    pub escalated: bool,
    /// The last failure message.
    pub error: Option<&'a str>,
    /// The structured facts of the last failure (exit code, signal, timeout or cancellation, the
    /// stderr tail), when its executor gave them: see [`crate::executor::failure`].
    pub last_failure: Option<&'a crate::executor::FailureDetail>,
    /// Why it was skipped.
    pub skip_reason: Option<SkipReason>,
    /// The job of the current attempt (automated activities).
    pub job_id: Option<&'a str>,
    /// The child release of the current attempt (subprocess activities).
    pub child_id: Option<&'a str>,
    /// The `with` values of the current attempt (secrets as references).
    pub job_inputs: &'a IndexMap<String, Value>,
    /// A waiting gate's targets: each release (or phase or activity of one) it watches, with the
    /// status it was last seen in (empty for other activities, and for a gate that has not
    /// resolved its targets or has stopped waiting).
    pub gate_targets: &'a [super::gates::GateObservation],
    /// The activity's own locks that the release holds or waits for now (like
    /// [`PhaseView::locks`]).
    pub locks: Vec<super::locks::LockView<'a>>,
    /// When it first left `pending` in this attempt.
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
}

/// One approval decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalView<'a> {
    /// Who decided.
    pub approver: &'a str,
    /// Approved (`true`) or rejected.
    pub approved: bool,
    /// When.
    pub at: Timestamp,
    /// The comment given.
    pub comment: Option<&'a str>,
}

impl ReleaseState {
    /// The read model of this state.
    pub fn view(&self) -> ReleaseView<'_> {
        ReleaseView {
            id: &self.id,
            seq: self.seq,
            name: &self.name,
            kind: self.kind,
            status: self.status,
            scope: &self.scope,
            process_id: &self.process_id,
            process_version: self.process_version,
            inputs: &self.inputs,
            variables: &self.variables,
            owners: &self.owners,
            release_managers: &self.release_managers,
            stakeholders: &self.stakeholders,
            group: self.group.as_deref(),
            occurrence: self.occurrence.as_deref(),
            input_set: self.input_set.as_ref().map(|(name, version)| InputSetRef { name, version: *version }),
            labels: &self.metadata.labels,
            description: self.metadata.description.as_deref(),
            version: self.metadata.version.as_deref(),
            links: &self.metadata.links,
            parent: self.parent.as_ref(),
            schedule: self.schedule.as_ref(),
            attempt: self.attempt,
            archived: self.archived,
            rolled_back: self.rolled_back,
            rolling_back: self.rolling_back,
            halted: self.halted,
            paused: self.paused,
            pre_executed: self.pre_executed,
            at_risk: self.at_risk,
            created_by: &self.created_by,
            created_at: self.created_at,
            scheduled_by: self.scheduled_by.as_deref(),
            started_by: self.started_by.as_deref(),
            started_at: self.started_at,
            ended_at: self.ended_at,
            updated_at: self.updated_at,
            waiting_on: super::waiting::waiting_on(self),
            phases: self.phases.iter().enumerate().map(|(p, ph)| self.phase_view(p, ph)).collect(),
        }
    }

    fn phase_view<'a>(&'a self, p: usize, ph: &'a PhaseState) -> PhaseView<'a> {
        let plan = self.plan();
        let def = plan.phase_def(p);
        PhaseView {
            id: &ph.id,
            name: def.name.as_deref(),
            status: ph.status,
            rollback: plan.phases[p].rollback,
            critical: def.is_critical(),
            skip_reason: ph.skip_reason,
            outputs: &ph.outputs,
            variables: &ph.variables,
            started_at: ph.started_at,
            ended_at: ph.ended_at,
            not_before: ph.not_before,
            attempts: &ph.attempts,
            locks: self.node_locks(&ph.id, None),
            activities: ph
                .activities
                .iter()
                .enumerate()
                .map(|(a, act)| {
                    let mut view = activity_view(&def.activities[a], act, gate_targets(&self.gates, &ph.id, &act.id));
                    view.locks = self.node_locks(&ph.id, Some(&act.id));
                    view
                })
                .collect(),
        }
    }
}

impl ReleaseState {
    /// The lock claims declared by phase `phase` (`activity` absent) or by its activity.
    fn node_locks(&self, phase: &str, activity: Option<&str>) -> Vec<super::locks::LockView<'_>> {
        self.locks
            .iter()
            .filter(|c| c.node.phase == phase && c.node.activity.as_deref() == activity)
            .map(|c| c.view(&self.id, &self.name))
            .collect()
    }
}

/// What the waiting gate `phase`/`activity` watches, if it is one.
fn gate_targets<'a>(
    gates: &'a [super::gates::GateWait],
    phase: &str,
    activity: &str,
) -> &'a [super::gates::GateObservation] {
    gates
        .iter()
        .find(|g| g.target.phase == phase && g.target.activity == activity)
        .and_then(|g| g.resolved.as_deref())
        .unwrap_or(&[])
}

fn activity_view<'a>(
    def: &'a crate::model::Activity,
    act: &'a ActivityState,
    gate_targets: &'a [super::gates::GateObservation],
) -> ActivityView<'a> {
    ActivityView {
        id: &act.id,
        name: def.name.as_deref(),
        kind: def.kind,
        status: act.status,
        attempt: act.attempt,
        outputs: &act.outputs,
        approvals: act
            .approvals
            .iter()
            .map(|r| ApprovalView {
                approver: &r.approver,
                approved: r.approved,
                at: r.at,
                comment: r.comment.as_deref(),
            })
            .collect(),
        escalated: act.escalated,
        error: act.error.as_deref(),
        last_failure: act.last_failure.as_ref(),
        skip_reason: act.skip_reason,
        job_id: act.job_id.as_deref(),
        child_id: act.child_id.as_deref(),
        job_inputs: &act.job_inputs,
        gate_targets,
        locks: Vec::new(),
        started_at: act.started_at,
        ended_at: act.ended_at,
    }
}

impl<'a> ReleaseView<'a> {
    /// The phase with this id.
    pub fn phase(&self, id: &str) -> Option<&PhaseView<'a>> {
        self.phases.iter().find(|p| p.id == id)
    }

    /// The field names of a release view, in order (what the bindings must expose).
    pub fn field_names() -> &'static [&'static str] {
        &[
            "id",
            "seq",
            "name",
            "kind",
            "status",
            "scope",
            "process_id",
            "process_version",
            "inputs",
            "variables",
            "owners",
            "release_managers",
            "stakeholders",
            "group",
            "occurrence",
            "input_set",
            "labels",
            "description",
            "version",
            "links",
            "parent",
            "schedule",
            "attempt",
            "archived",
            "rolled_back",
            "rolling_back",
            "halted",
            "paused",
            "pre_executed",
            "at_risk",
            "created_by",
            "created_at",
            "scheduled_by",
            "started_by",
            "started_at",
            "ended_at",
            "updated_at",
            "waiting_on",
            "phases",
        ]
    }
}

impl PhaseView<'_> {
    /// The field names of a phase view, in order.
    pub fn field_names() -> &'static [&'static str] {
        &[
            "id",
            "name",
            "status",
            "rollback",
            "critical",
            "skip_reason",
            "outputs",
            "variables",
            "started_at",
            "ended_at",
            "not_before",
            "attempts",
            "locks",
            "activities",
        ]
    }
}

impl PhaseAttempt {
    /// The field names of an earlier phase attempt, in order.
    pub fn field_names() -> &'static [&'static str] {
        &["attempt", "status", "outputs", "started_at", "ended_at"]
    }
}

impl ActivityView<'_> {
    /// The field names of an activity view, in order.
    pub fn field_names() -> &'static [&'static str] {
        &[
            "id",
            "name",
            "kind",
            "status",
            "attempt",
            "outputs",
            "approvals",
            "escalated",
            "error",
            "last_failure",
            "skip_reason",
            "job_id",
            "child_id",
            "job_inputs",
            "gate_targets",
            "locks",
            "started_at",
            "ended_at",
        ]
    }
}

impl ApprovalView<'_> {
    /// The field names of an approval view, in order.
    pub fn field_names() -> &'static [&'static str] {
        &["approver", "approved", "at", "comment"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_what_serde_writes() {
        let process = crate::load_process(
            "id: p\nphases:\n  - id: a\n    activities: [{ id: x, kind: approval, approvers: [{ user: u }] }]\n",
        )
        .unwrap()
        .process;
        let plan = crate::release::Plan::new(std::sync::Arc::new(process), 1);
        let mut state = ReleaseState::new("r", plan);
        state.phases[0].activities[0].approvals.push(super::super::ApprovalRecord {
            approver: "u".into(),
            approved: true,
            at: Timestamp::default(),
            comment: None,
            covers: vec![0],
        });
        state.phases[0].attempts.push(PhaseAttempt {
            attempt: 0,
            status: PhaseStatus::Success,
            outputs: IndexMap::new(),
            started_at: None,
            ended_at: None,
        });
        let v = serde_json::to_value(state.view()).unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&v), ReleaseView::field_names());
        assert_eq!(keys(&v["phases"][0]), PhaseView::field_names());
        assert_eq!(keys(&v["phases"][0]["activities"][0]), ActivityView::field_names());
        assert_eq!(keys(&v["phases"][0]["activities"][0]["approvals"][0]), ApprovalView::field_names());
        assert_eq!(keys(&v["phases"][0]["attempts"][0]), PhaseAttempt::field_names());
    }
}

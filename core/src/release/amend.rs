//! Amending a running release: what `rewind`, `insert_activity`, `reassign`, `delegate` and
//! `reschedule_phase` change, and the [`PlanAmendment`]s that make a release's plan differ from
//! its process version's.
//!
//! # The rules
//!
//! * **Every amendment is a recorded command with a reason** (`missing_field` without one), by
//!   the release's owners, its own release managers, or the release managers of its scope
//!   (`delegate` also by the approver who hands over). Each has a dry run: the events it would
//!   append, with nothing appended.
//! * **`rewind(to, inputs?)`** on a `running` or `on_hold` (also paused) release runs a phase or
//!   an activity again, with what is downstream of it: for a phase, the phase and every later
//!   phase that depends on it (directly or not) and has left `pending`; for an activity, the
//!   activity and its dependents in its phase, the phase reopening, and the phases downstream
//!   of that phase. Every node reset goes back to `pending` with its `attempt` incremented;
//!   queued and running work among them is cancelled (jobs' executors asked to cancel, child
//!   releases aborted), their timers dropped, their approvals' decisions dropped. A phase that
//!   had run keeps its earlier attempt with its outputs ([`super::PhaseAttempt`]); what is
//!   downstream reads the latest attempt's outputs. `inputs` change release inputs (merged over
//!   the current ones, checked like create's: `unknown_input`, types, `allowed`), and the global
//!   variables are evaluated again. Refused with `not_rewindable`: a target that has not run yet
//!   (`pending` or `scheduled`), a rollback phase, an activity of a phase that was skipped
//!   (rewind the phase), and any rewind while a halted release winds down or rolls back (let it
//!   end, then `restart`).
//! * **`insert_activity(phase, definition, after?)`** adds an activity to a phase that has not
//!   finished (`pending`, `scheduled`, `running`, `on_hold`) of a `scheduled`, `running` or
//!   `on_hold` release. `after` (an activity of the phase) joins its `depends_on`; existing
//!   activities keep their dependencies, so the new activity holds up the phase's end, not its
//!   siblings. The process with the activity added is validated like any process definition,
//!   every problem at once, with paths under `definition`; a finished phase is `not_amendable`.
//! * **`reassign(activity, approvers)`** replaces who may approve an approval (a manual
//!   activity: who may complete it, as its `owners`) that has not ended; the decisions already
//!   given in the current attempt are dropped (they were given against the old list).
//! * **`delegate(approval, from, to)`** hands the entries that name user `from` to user `to`,
//!   in `approvers` and `escalate_to`; decisions already given stay. Refused with
//!   `not_amendable` when `from` is not listed by user id, already decided, is `to`, or `to` is
//!   listed by user id already. `forbid_self_approval` still applies to `to`.
//! * **`reschedule_phase(phase, not_before)`** sets the earliest start of a phase that has not
//!   started (`pending` or `scheduled`) to a time, replacing its `not_before` offset; a phase
//!   waiting for its old time waits for the new one (earlier or later).

use super::ActivityRef;
use crate::model::{ActivityKind, Approver, Process};
use serde::{Deserialize, Serialize};

/// One change to a release's plan, recorded by an event and kept in the state, so a state
/// decoded from a snapshot gets the same plan ([`super::ReleaseState::attach_plan`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "amendment")]
pub enum PlanAmendment {
    /// An activity added to a phase (at its end).
    Insert {
        /// The phase.
        phase: String,
        /// The activity.
        definition: Box<crate::model::Activity>,
    },
    /// The approvers (a manual activity: the owners) replaced.
    Approvers {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// The new list.
        approvers: Vec<Approver>,
    },
    /// The entries naming user `from` name user `to`.
    Delegation {
        /// The approval.
        #[serde(flatten)]
        target: ActivityRef,
        /// Who handed over.
        from: String,
        /// Who approves instead.
        to: String,
    },
}

impl PlanAmendment {
    /// Applies the amendment to a process (one naming a phase or activity the process does not
    /// have changes nothing: decisions check targets before recording).
    pub fn apply(&self, process: &mut Process) {
        match self {
            PlanAmendment::Insert { phase, definition } => {
                if let Some(list) = phase_mut(process, phase) {
                    list.push(definition.as_ref().clone());
                }
            }
            PlanAmendment::Approvers { target, approvers } => {
                let Some(act) = phase_mut(process, &target.phase)
                    .and_then(|list| list.iter_mut().find(|a| a.id == target.activity))
                else {
                    return;
                };
                if act.kind == ActivityKind::Manual {
                    act.owners = approvers.iter().map(owner_name).collect();
                } else {
                    act.approvers = approvers.clone();
                }
            }
            PlanAmendment::Delegation { target, from, to } => {
                let Some(act) = phase_mut(process, &target.phase)
                    .and_then(|list| list.iter_mut().find(|a| a.id == target.activity))
                else {
                    return;
                };
                for entry in act.approvers.iter_mut().chain(act.escalate_to.iter_mut()) {
                    if entry.user.as_deref() == Some(from.as_str()) {
                        entry.user = Some(to.clone());
                    }
                }
            }
        }
    }
}

/// The activity list of phase `id` (regular or rollback).
fn phase_mut<'a>(process: &'a mut Process, id: &str) -> Option<&'a mut Vec<crate::model::Activity>> {
    let Process { phases, rollback, .. } = process;
    phases.iter_mut().chain(rollback.iter_mut()).find(|p| p.id == id).map(|p| &mut p.activities)
}

/// An approver entry as an owner name (`user` → its id, `group` → `group:<name>`).
fn owner_name(a: &Approver) -> String {
    match (&a.user, &a.group) {
        (Some(u), _) => u.clone(),
        (None, Some(g)) => format!("group:{g}"),
        (None, None) => String::new(),
    }
}

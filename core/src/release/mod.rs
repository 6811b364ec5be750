//! Releases at run time: [`ReleaseState`], [`Command`], [`Event`], the pure state machine
//! [`decide`] / [`evolve`], and the roll-up of statuses.
//!
//! # The rules (DESIGN §4, and where it is silent, what a release manager expects)
//!
//! * **Readiness is incremental.** Every phase and activity keeps a counter of unfinished
//!   dependencies; finishing a node decrements its dependents' counters, so a transition costs
//!   O(its neighbours), never O(size of the process).
//! * **A node starts** when all its dependencies ended `success`, `ignored` or `skipped` by a
//!   condition or by a manager. A failed **non-critical** phase also counts as done: the release
//!   continues past it. A node whose dependency ended `failed` or `aborted`, or was itself skipped
//!   with `upstream_failed`, becomes `skipped` with reason `upstream_failed`.
//! * **Conditions**: an `if` that is false skips the node (reason `condition`); an `if` that
//!   cannot be evaluated fails the activity with `expression_error` (for a phase: the phase fails).
//! * **`not_before`** counts from the scheduled start (or the activation time of an unscheduled
//!   release); a node whose time has not come waits (`scheduled` for phases) on a timer.
//! * **Failures** of automated and subprocess activities are retried automatically while
//!   `retry.max_attempts` allows and the failure is retryable (backoff × factor^n); then
//!   `on_failure` decides: `hold` → `on_hold` (a person decides `retry`, optionally with changed
//!   inputs, `ignore`, optionally with substitute outputs, or `fail`), `fail` → `failed`,
//!   `ignore` → `ignored`, `rollback` → `failed` and the rollback phases run. Approvals and manual
//!   activities never retry automatically; a rejection fails the approval.
//! * **A final failure in a critical phase halts the release**: nothing new starts; queued and
//!   running work finishes and is recorded; then what is left (people's pending decisions,
//!   activities and phases that never started) is skipped with reason `release_failed`, the
//!   rollback phases run if a `rollback` policy fired, and the release ends `failed`
//!   (`rolled_back: true` after a rollback).
//! * **Outcome**: `failed` if a critical phase failed; else `partial_success` if a non-critical
//!   phase failed or an activity was ignored; else `success`.
//! * **Pause** stops new activities from starting (retries of activities already started go on);
//!   the release shows `on_hold` until resumed.
//! * **Abort** (with a reason) aborts queued, running and waiting activities and started phases,
//!   drops every timer, and asks executors to cancel. **Restart** (after `failed` or `aborted`)
//!   and **reschedule** (after `aborted`) reset failed, aborted and failure-skipped nodes to
//!   `pending` with their `attempt` incremented; successful work is kept; history is kept.
//! * **Pre-execution**: activating a scheduled release before its start is recorded as `early`.
//! * Every command in a status that does not allow it fails with `invalid_transition` naming the
//!   status and the commands allowed; nothing is written.

mod approvals;
mod command;
mod decide;
mod event;
mod evolve;
pub mod inputs;
mod plan;
mod state;
mod status;

pub use command::{Command, job_id, parse_job_id};
pub use decide::{Ctx, NewRelease, activity_commands, child_release_id, decide, decide_create};
pub use event::{AfterFailure, Decision, Event, EventKind, ParentLink, ReleaseKind, SkipReason};
pub use evolve::evolve;
pub use plan::{ActivityPlan, PhasePlan, Plan};
pub use state::{ActivityState, ApprovalRecord, PhaseState, ReleaseState, Schedule, Stage, TimerKey};
pub use status::{ActivityStatus, PhaseStatus, ReleaseStatus};

#[cfg(test)]
mod tests;

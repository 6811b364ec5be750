//! Releases at run time: [`ReleaseState`], [`Command`], [`Event`], the pure state machine
//! ([`step`] = [`decide`] + [`evolve`] + advancing, with its [`Effects`]), the roll-up of statuses,
//! and the read model [`ReleaseView`].
//!
//! # The statuses
//!
//! | release status | meaning | commands people may issue |
//! |---|---|---|
//! | `draft` | being configured; nothing tracked | update (anything: see [`ReleaseChanges`]), delete, schedule, activate |
//! | `scheduled` | finalized (inputs validated), on the calendar | update (name, inputs, owners, managers, stakeholders, planned window), activate (early = pre-execution), schedule (reschedule), delete, abort |
//! | `running` | at least one activity is queued/running (a waiting gate runs), or ready to be | pause, resume, abort, approve, reject, complete_manual, retry, ignore, fail, skip |
//! | `on_hold` | nothing queued or running and some activity waits for a person (input, a failure decision), or an operator paused it | as `running` |
//! | `success` | every phase succeeded or was skipped by its condition | archive |
//! | `partial_success` | no critical phase failed, but a non-critical phase failed or an activity was ignored | archive |
//! | `failed` | a critical phase failed (after its rollback phases, if any, ran) | restart, archive |
//! | `aborted` | stopped by an operator | restart, schedule (reschedule), archive |
//!
//! Phase statuses: `pending`, `scheduled` (dependencies done, waiting for `not_before`), `running`,
//! `on_hold`, `success`, `failed`, `skipped`, `aborted`. Activity statuses: `pending`, `queued`,
//! `running`, `waiting_for_input` (approval or manual), `on_hold` (failed, awaiting a decision),
//! `success`, `failed`, `ignored`, `skipped`, `aborted`; plus `attempt` (0 = first run). The
//! command tables are [`CommandKind::allowed_in`] and [`CommandKind::allowed_on_activity`].
//!
//! # The rules (and, where a product page is silent, what a release manager expects)
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
//! * **Cleanup and notification nodes** (`run_when` on a phase or an activity): `success` (the
//!   default) is skipped as above; `always` waits until every dependency ended, in any status, and
//!   runs even after a failure or a halt; `on_failure` runs like `always` when the release has
//!   halted on a critical failure at the moment it becomes ready, and is otherwise skipped with
//!   reason `no_failure` (which counts as done for its dependents; a failure the release continues
//!   past is not a release failure). The activities of such a phase run with it. A halted release
//!   lets them run to their end (their people's steps are waited for) before its rollback phases
//!   run and before it ends; it still ends `failed`, and a cleanup failing too does not halt it a
//!   second time, so the first failure stays the recorded one. In a successful release a failing
//!   cleanup counts like any failure of its phase (`critical: false` gives `partial_success`).
//!   An abort runs no cleanup; a restart resets these nodes so they run again at the end of the
//!   new attempt.
//! * **Gates** wait for other releases (or a phase or an activity of them): their targets are
//!   fixed when they start, they open when every target is in `until` and fail when one is in
//!   `fail_on`, and the engine reports the targets' statuses after each commit of a target.
//!   Skipping a waiting gate needs a reason. The rules are in [`gates`].
//! * **Locks**: a node ready to start asks for the locks it needs and waits, `pending`, until the
//!   engine grants them (queue order: priority, then age, no overtaking); they are let go in the
//!   same transition that ends their need, and a release that is not running holds none. A request
//!   that would close a deadlock fails its node. The rules are in [`locks`].
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
//!   status and the commands allowed; nothing is written. A command naming a phase or activity the
//!   release does not have fails with `not_found` (for everybody, before any permission check); an
//!   approval command on an activity that is not an approval (or `complete_manual` on one that is
//!   not manual) fails with `invalid_transition` saying so (`running (automated activity, not an
//!   approval)`), also before any permission check.
//! * **Fix-and-continue**: `retry` with inputs replaces top-level entries of the activity's `with`
//!   (a nested mapping is replaced whole, not merged); the values are rendered like the
//!   definition's (`${…}` works); a name the activity's `with` does not have is refused
//!   (`invalid_input`, `unknown_input`, listing the names it has). Overrides stay for later
//!   attempts.
//! * **Time**: every event is stamped with the engine's time when it is decided. A timer that fires
//!   late (the engine was not ticking) is stamped with the time it fired; its `timer_fired` event
//!   records when it was `due`. Offsets (`not_before`) count from the planned start; durations
//!   (waits, timeouts, deadlines, backoffs) from when their node actually started.
//!
//! # One step
//!
//! [`step`] decides a command, applies its events and advances until nothing changes. It returns
//! a [`Transition`]: the events and their [`Effects`] (jobs queued, ended and cancelled, timer
//! changes, child releases to start or abort, the parent to report to, notifications, gates to
//! resolve, the releases the waiting gates watch, and the locks asked for, granted and let go). The
//! effects are collected while the events are applied, where the state knows which job or child an
//! event starts or ends. On a refusal nothing changes.

pub mod amend;
mod approvals;
mod changes;
mod command;
mod decide;
mod event;
mod evolve;
pub mod gates;
mod ids;
pub mod inbox;
pub mod inputs;
pub mod ledger;
pub mod locks;
pub mod metadata;
mod plan;
pub mod risk;
mod state;
mod status;
mod step;
mod timers;
mod view;
pub mod waiting;

pub use amend::PlanAmendment;
pub use changes::{ProcessSwitch, ReleaseChanges};
pub use command::{Command, CommandKind, RewindTarget};
pub use decide::{Ctx, NewRelease, activity_commands, check_target, decide, decide_create};
pub use event::{AfterFailure, Decision, EVENT_FORMAT, Event, EventKind, ParentLink, ReleaseKind, SkipReason};
pub use evolve::evolve;
pub use ids::{ActivityRef, child_release_id, job_id, parse_job_id};
pub use inbox::{InboxEntry, InboxGrant, InboxItem, InboxKind};
pub use ledger::{Delivery, LedgerEntry};
pub use metadata::{Link, LinkKind, Metadata, MetadataChange};
pub use plan::{ActivityPlan, PhasePlan, Plan};
pub use state::{ActivityState, ApprovalRecord, PhaseAttempt, PhaseState, ReleaseState, Schedule, Stage};
pub use status::{ActivityStatus, PhaseStatus, ReleaseStatus};
pub use step::{ChildAbort, ChildStart, Effects, ParentReport, Transition, replay, step, step_create};
pub use timers::{TimerChanges, TimerKey, Timers};
pub use view::{ActivityView, ApprovalView, PhaseView, ReleaseView};
pub use waiting::{WaitKind, WaitingOn};

#[cfg(test)]
mod amend_tests;
#[cfg(test)]
mod run_when_tests;
#[cfg(test)]
mod tests;

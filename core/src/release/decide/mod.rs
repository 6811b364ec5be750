//! `decide(state, command, ctx)`: the pure decision function. It reads the state and the command
//! and returns the events that record what happens, or refuses with an error. No I/O, no clock
//! reads (the time comes in `ctx`), no randomness; nothing is changed. [`super::step`] is what the
//! engine calls: it decides, applies and advances until nothing changes.
//!
//! The decisions live by concern: [`lifecycle`] (the release as a whole), [`activities`] (starting
//! work, failures and their policies, job outcomes, manual values), [`approvals`], [`timers`], and
//! [`advance`] (starting what is ready — phases and activities through one shared path — closing
//! phases and ending the release).

mod activities;
mod advance;
mod amend;
mod approvals;
mod gates;
mod lifecycle;
mod locks;
mod timers;
mod update;

use super::state::Stage;
use super::{ActivityRef, Command, CommandKind, Event, EventKind, Plan, ReleaseState, inputs};
use crate::access::Actor;
use crate::{Error, Problem, Result, Timestamp, limits};
use indexmap::IndexMap;
use serde_json::Value;
use std::sync::Arc;

/// What a decision needs besides the state and the command.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The current time (from the engine's clock).
    pub now: Timestamp,
    /// Who issues the command.
    pub actor: &'a Actor,
    /// The reason or comment given with the command.
    pub comment: Option<&'a str>,
    /// Until when a freeze window covers this release's services or environments (the engine
    /// works it out from its freezes): automated activities wait, `queued`, until then.
    pub frozen_until: Option<Timestamp>,
    /// The median phase lengths of earlier releases of the release's process (the engine's
    /// history): when given, [`super::step`] assesses the risk of a release with a planned end
    /// after a command that changes its forecast (see [`super::risk`]); `None` assesses nothing.
    pub phase_history: Option<&'a crate::report::PhaseHistory>,
}

/// Collects the events of one decision with their envelopes.
pub(super) struct Out<'a> {
    events: Vec<Event>,
    next_seq: u64,
    ctx: &'a Ctx<'a>,
    /// Whether this decision already recorded `halted`.
    halted: bool,
}

impl<'a> Out<'a> {
    fn new(next_seq: u64, ctx: &'a Ctx<'a>) -> Self {
        Out { events: Vec::new(), next_seq, ctx, halted: false }
    }

    /// Records an event; the first one of the decision carries the command's comment.
    fn push(&mut self, kind: EventKind) {
        let comment = if self.events.is_empty() { self.ctx.comment.map(str::to_string) } else { None };
        self.push_with_comment(kind, comment);
    }

    /// Records an event with its own comment (e.g. the `expression_error` that failed a phase).
    fn push_with_comment(&mut self, kind: EventKind, comment: Option<String>) {
        if matches!(kind, EventKind::Halted { .. }) {
            self.halted = true;
        }
        self.events.push(Event {
            seq: self.next_seq,
            at: self.ctx.now,
            actor: self.ctx.actor.id.clone(),
            kind,
            comment,
        });
        self.next_seq += 1;
    }

    fn now(&self) -> Timestamp {
        self.ctx.now
    }
}

/// What a new release is created with.
#[derive(Debug, Clone, Default)]
pub struct NewRelease {
    /// Display name.
    pub name: String,
    /// Kind.
    pub kind: super::ReleaseKind,
    /// `account` or `org:<id>`.
    pub scope: String,
    /// Explicit input values (merged over the input set and the defaults).
    pub inputs: IndexMap<String, Value>,
    /// Values of the input set used, with its name and version.
    pub input_set: Option<(String, u32, IndexMap<String, Value>)>,
    /// Owners.
    pub owners: Vec<String>,
    /// Release managers (the engine names the creator when none are given).
    pub release_managers: Vec<String>,
    /// Stakeholders: notified of the release's progress, and may read it.
    pub stakeholders: Vec<String>,
    /// Release group.
    pub group: Option<String>,
    /// The parent activity (child releases of subprocess activities).
    pub parent: Option<super::ParentLink>,
    /// The release-group occurrence it was generated for (`<group>@<start>`).
    pub occurrence: Option<String>,
    /// Labels, description, version and links.
    pub metadata: super::Metadata,
}

/// Decides the creation of a release (its first event).
pub fn decide_create(plan: &Arc<Plan>, new: &NewRelease, ctx: &Ctx<'_>) -> Result<Vec<Event>> {
    let mut problems = Vec::new();
    if new.name.trim().is_empty() {
        problems.push(Problem::new(
            "name",
            "missing_field",
            "a release needs a name, e.g. \"Week 15 System Release - April 2025\"",
        ));
    }
    limits::check_text("name", &new.name, limits::MAX_NAME_BYTES, &mut problems);
    limits::check_map("inputs", &new.inputs, &mut problems);
    update::check_people(&new.owners, &new.release_managers, &new.stakeholders, &mut problems);
    if let Some((_, _, values)) = &new.input_set {
        limits::check_map("input_set", values, &mut problems);
    }
    if !(new.scope == "account" || new.scope.strip_prefix("org:").is_some_and(|o| !o.is_empty())) {
        problems.push(Problem::new(
            "scope",
            "invalid_value",
            format!("`{}` is not a scope; use `account` or `org:<id>`", new.scope),
        ));
    }
    problems.extend(new.metadata.check());
    let merged = inputs::merge(&plan.process, new.input_set.as_ref().map(|s| &s.2), &new.inputs);
    if let Err(Error::InvalidInput { problems: p }) = inputs::check(&plan.process, &merged, false) {
        problems.extend(p);
    }
    if !problems.is_empty() {
        return Err(Error::InvalidInput { problems });
    }
    let mut out = Out::new(1, ctx);
    out.push(EventKind::Created {
        name: new.name.clone(),
        release_kind: new.kind,
        process_id: plan.process.id.clone(),
        process_version: plan.version,
        scope: new.scope.clone(),
        inputs: merged,
        owners: new.owners.clone(),
        release_managers: new.release_managers.clone(),
        stakeholders: new.stakeholders.clone(),
        group: new.group.clone(),
        input_set: new.input_set.as_ref().map(|(n, v, _)| (n.clone(), *v)),
        parent: new.parent.clone(),
        occurrence: new.occurrence.clone(),
        metadata: Box::new(new.metadata.clone()),
    });
    Ok(out.events)
}

/// The `risk_assessed` event (at most one) that `events`, just applied to `state`, call for (see
/// [`super::risk`]).
pub(crate) fn decide_risk(state: &ReleaseState, events: &[Event], ctx: &Ctx<'_>) -> Vec<Event> {
    let Some(history) = ctx.phase_history else { return Vec::new() };
    if !super::risk::changes_forecast(events) {
        return Vec::new();
    }
    let mut out = Out::new(state.seq + 1, ctx);
    if let Some(kind) = super::risk::assess(state, history, ctx.now).and_then(|a| super::risk::risk_event(state, &a)) {
        out.push(kind);
    }
    out.events
}

/// Decides what a command does to a release: the events to append, or an error (nothing changes).
pub fn decide(state: &ReleaseState, cmd: &Command, ctx: &Ctx<'_>) -> Result<Vec<Event>> {
    let mut out = Out::new(state.seq + 1, ctx);
    if state.stage == Stage::Deleted {
        if matches!(cmd, Command::Advance) {
            return Ok(Vec::new());
        }
        return Err(Error::NotFound {
            kind: "release".into(),
            id: state.id.clone(),
            hint: Some("it was deleted".into()),
        });
    }
    check_target(state, cmd)?;
    check_release_status(state, cmd)?;
    check_sizes(cmd, ctx)?;
    match cmd {
        Command::Update { changes, switch } => update::decide(state, changes, switch.as_ref(), &mut out)?,
        Command::Delete
        | Command::Schedule { .. }
        | Command::Activate { .. }
        | Command::Pause
        | Command::Resume
        | Command::Abort { .. }
        | Command::Restart
        | Command::Archive => lifecycle::decide(state, cmd, &mut out)?,
        Command::Approve { target } | Command::Reject { target } => {
            let (p, a) = activity_target(state, cmd, target)?;
            approvals::decide(state, p, a, matches!(cmd, Command::Approve { .. }), &mut out)?;
        }
        Command::CompleteManual { .. }
        | Command::Retry { .. }
        | Command::Ignore { .. }
        | Command::Fail { .. }
        | Command::Skip { .. }
        | Command::StartJob { .. }
        | Command::SucceedJob { .. }
        | Command::FailJob { .. }
        | Command::ChildEnded { .. } => activities::decide(state, cmd, &mut out)?,
        Command::ObserveGate { target, attempt, observed } => {
            gates::observe(state, target, *attempt, observed, &mut out)?
        }
        Command::GrantLocks { request } => locks::grant(state, request, &mut out),
        Command::RefuseLocks { request, reason } => locks::refuse(state, request, reason, &mut out)?,
        Command::FireTimer { timer } => timers::fire(state, timer, &mut out)?,
        Command::Rewind { .. }
        | Command::InsertActivity { .. }
        | Command::Reassign { .. }
        | Command::Delegate { .. }
        | Command::ReschedulePhase { .. } => amend::decide(state, cmd, &mut out)?,
        Command::Advance => advance::advance(state, &mut out),
    }
    Ok(out.events)
}

/// Checks that what a person's command names exists (the phase and the activity) and is of a
/// kind the command applies to, before anything else: so a typo is `not_found` for everybody (an
/// approver as much as a manager), and approving an automated activity is an `invalid_transition`
/// that says it is not an approval. The engine calls it before authorizing.
pub fn check_target(state: &ReleaseState, cmd: &Command) -> Result<()> {
    if let Some(phase) = cmd.phase() {
        if state.plan().phase_index(phase).is_none() {
            return Err(phase_not_found(state, phase));
        }
    }
    let Some(target) = cmd.activity() else { return Ok(()) };
    let (p, a) = locate(state, target)?;
    let kind = state.plan().activity_def(p, a).kind;
    let wrong_kind = match cmd.kind() {
        CommandKind::Approve | CommandKind::Reject => kind != crate::model::ActivityKind::Approval,
        CommandKind::CompleteManual => kind != crate::model::ActivityKind::Manual,
        CommandKind::Delegate => kind != crate::model::ActivityKind::Approval,
        CommandKind::Reassign => {
            !matches!(kind, crate::model::ActivityKind::Approval | crate::model::ActivityKind::Manual)
        }
        _ => false,
    };
    if wrong_kind {
        let expected = match cmd.kind() {
            CommandKind::CompleteManual => "not a manual activity",
            CommandKind::Reassign => "neither an approval nor a manual activity",
            _ => "not an approval",
        };
        let status = state.phases[p].activities[a].status;
        let text = format!("{status} ({} activity, {expected})", kind.as_str());
        return Err(transition(state, cmd, true, &text, &activity_commands(kind, status)));
    }
    Ok(())
}

/// The bounds of [`crate::limits`] on what a person hands in with a command.
fn check_sizes(cmd: &Command, ctx: &Ctx<'_>) -> Result<()> {
    let mut problems = Vec::new();
    if let Some(c) = ctx.comment {
        limits::check_text("comment", c, limits::MAX_MESSAGE_BYTES, &mut problems);
    }
    match cmd {
        Command::Update { changes, .. } => update::check_sizes(changes, &mut problems),
        Command::CompleteManual { values, .. } => limits::check_map("values", values, &mut problems),
        Command::Retry { inputs: Some(i), .. } => limits::check_map("inputs", i, &mut problems),
        Command::Ignore { outputs, .. } => limits::check_map("outputs", outputs, &mut problems),
        Command::Rewind { inputs: Some(i), .. } => limits::check_map("inputs", i, &mut problems),
        _ => {}
    }
    Error::invalid_input_or(problems, ())
}

fn check_release_status(state: &ReleaseState, cmd: &Command) -> Result<()> {
    let kind = cmd.kind();
    let governed = kind.allowed_in().is_some();
    // `update` is for releases that have not started: a draft, or a release scheduled for the
    // first time (one rescheduled after an abort has run before).
    let not_started = state.stage == Stage::Draft || (state.stage == Stage::Scheduled && state.started_at.is_none());
    let refused = (governed && !state.status.allows(kind)) || (kind == CommandKind::Update && !not_started);
    if refused {
        return Err(transition(state, cmd, false, state.status.as_str(), &state.status.allowed_commands()));
    }
    Ok(())
}

/// An `invalid_transition` error for `cmd` on the release (or, with `on_activity`, on the
/// activity it names).
fn transition(state: &ReleaseState, cmd: &Command, on_activity: bool, status: &str, allowed: &[CommandKind]) -> Error {
    let target = match cmd.activity() {
        Some(t) if on_activity => format!("activity {t} of release {}", state.id),
        _ => format!("release {}", state.id),
    };
    Error::InvalidTransition {
        target,
        status: status.to_string(),
        command: cmd.name().to_string(),
        allowed: allowed.iter().map(|k| k.as_str().to_string()).collect(),
    }
}

/// Commands a person may issue to an activity of `kind` in `status`.
pub fn activity_commands(kind: crate::model::ActivityKind, status: super::ActivityStatus) -> Vec<CommandKind> {
    CommandKind::ALL.iter().copied().filter(|k| k.allowed_on_activity(kind, status) == Some(true)).collect()
}

/// Resolves the activity a person's command targets and checks its status allows the command.
fn activity_target(state: &ReleaseState, cmd: &Command, target: &ActivityRef) -> Result<(usize, usize)> {
    let (p, a) = locate(state, target)?;
    let kind = state.plan().activity_def(p, a).kind;
    let status = state.phases[p].activities[a].status;
    if cmd.kind().allowed_on_activity(kind, status) != Some(true) {
        let status_text = format!("{status} ({} activity)", kind.as_str());
        return Err(transition(state, cmd, true, &status_text, &activity_commands(kind, status)));
    }
    Ok((p, a))
}

/// The indexes of activity `target`, or `not_found` listing what exists.
fn locate(state: &ReleaseState, target: &ActivityRef) -> Result<(usize, usize)> {
    let plan = state.plan();
    let p = plan.phase_index(&target.phase).ok_or_else(|| phase_not_found(state, &target.phase))?;
    let a = plan.phases[p].activity_index(&target.activity).ok_or_else(|| Error::NotFound {
        kind: "activity".into(),
        id: target.to_string(),
        hint: Some(format!(
            "activities of phase `{}`: {}",
            target.phase,
            plan.phases[p].activities.iter().map(|a| a.id.as_str()).collect::<Vec<_>>().join(", ")
        )),
    })?;
    Ok((p, a))
}

/// `not_found` for a phase, listing the phases the release has.
fn phase_not_found(state: &ReleaseState, phase: &str) -> Error {
    let plan = state.plan();
    Error::NotFound {
        kind: "phase".into(),
        id: phase.to_string(),
        hint: Some(format!(
            "phases of `{}`: {}",
            plan.process.id,
            plan.phases.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The reference of activity `(p, a)`.
fn activity_ref(state: &ReleaseState, p: usize, a: usize) -> ActivityRef {
    let plan = state.plan();
    ActivityRef::new(plan.phases[p].id.clone(), plan.phases[p].activities[a].id.clone())
}

fn secs(s: u64) -> chrono::Duration {
    chrono::Duration::seconds(s.min(i64::MAX as u64 / 1000) as i64)
}

//! Amending a running release: one method per amendment (the rules are in
//! [`crate::release::amend`]), each a recorded command with a reason and each available as a dry
//! run that returns the events it would append and appends nothing.

use super::Engine;
use crate::access::Actor;
use crate::model::Approver;
use crate::release::{ActivityRef, Command, Ctx, Event, RewindTarget, check_target, step};
use crate::{Result, Timestamp};
use indexmap::IndexMap;
use serde_json::Value;

/// How an amendment is made: its reason (required, recorded on its first event) and whether it
/// is only a dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amend<'a> {
    /// Why (recorded in the audit trail; an empty reason is `invalid_input`, `missing_field`).
    pub reason: &'a str,
    /// Decide the amendment and return the events it would append, appending nothing.
    pub dry_run: bool,
}

impl<'a> Amend<'a> {
    /// An amendment made for `reason`.
    pub fn because(reason: &'a str) -> Self {
        Amend { reason, dry_run: false }
    }

    /// The same amendment as a dry run.
    pub fn dry_run(self) -> Self {
        Amend { dry_run: true, ..self }
    }
}

impl Engine {
    /// Runs a phase or an activity of a running (or on_hold) release again, with everything
    /// downstream of it, optionally with new release input values.
    pub fn rewind(
        &self,
        id: &str,
        actor: &Actor,
        to: RewindTarget,
        inputs: Option<IndexMap<String, Value>>,
        how: Amend<'_>,
    ) -> Result<Vec<Event>> {
        self.amend(id, Command::Rewind { target: to, inputs }, actor, how)
    }

    /// Adds an ad-hoc activity (a process activity definition, as a document) to a phase that has
    /// not finished; `after` names an activity of the phase it runs after.
    pub fn insert_activity(
        &self,
        id: &str,
        actor: &Actor,
        phase: &str,
        definition: Value,
        after: Option<&str>,
        how: Amend<'_>,
    ) -> Result<Vec<Event>> {
        let cmd = Command::InsertActivity {
            phase: phase.to_string(),
            definition: Box::new(definition),
            after: after.map(str::to_string),
        };
        self.amend(id, cmd, actor, how)
    }

    /// Replaces who may approve an approval (a manual activity: who may complete it).
    pub fn reassign(
        &self,
        id: &str,
        actor: &Actor,
        target: ActivityRef,
        approvers: Vec<Approver>,
        how: Amend<'_>,
    ) -> Result<Vec<Event>> {
        self.amend(id, Command::Reassign { target, approvers }, actor, how)
    }

    /// Hands the approval entries naming user `from` to user `to`.
    pub fn delegate(
        &self,
        id: &str,
        actor: &Actor,
        target: ActivityRef,
        from: &str,
        to: &str,
        how: Amend<'_>,
    ) -> Result<Vec<Event>> {
        self.amend(id, Command::Delegate { target, from: from.to_string(), to: to.to_string() }, actor, how)
    }

    /// Sets the earliest start of a phase that has not started.
    pub fn reschedule_phase(
        &self,
        id: &str,
        actor: &Actor,
        phase: &str,
        not_before: Timestamp,
        how: Amend<'_>,
    ) -> Result<Vec<Event>> {
        self.amend(id, Command::ReschedulePhase { phase: phase.to_string(), not_before }, actor, how)
    }

    fn amend(&self, id: &str, cmd: Command, actor: &Actor, how: Amend<'_>) -> Result<Vec<Event>> {
        if how.dry_run {
            self.dry_run(id, &cmd, actor, Some(how.reason))
        } else {
            self.execute(id, cmd, actor, Some(how.reason))
        }
    }

    /// Decides `cmd` like [`Engine::execute`] (the same checks, the same events, numbered after
    /// the release's last one) and returns the events, appending nothing and changing nothing.
    pub fn dry_run(&self, id: &str, cmd: &Command, actor: &Actor, comment: Option<&str>) -> Result<Vec<Event>> {
        let state = self.get_release(id)?;
        let now = self.clock.now();
        let now = state.updated_at.map_or(now, |last| now.max(last));
        check_target(&state, cmd)?;
        crate::access::authorize_command(actor, cmd, &state, self.release_level())?;
        self.check_activation_freeze(&state, cmd, actor, now)?;
        let history = self.risk_history(&state, cmd, now);
        let ctx = Ctx {
            now,
            actor,
            comment,
            frozen_until: self.frozen_until(&state, now),
            phase_history: history.as_deref(),
        };
        let mut scratch = std::sync::Arc::unwrap_or_clone(state);
        Ok(step(&mut scratch, cmd, &ctx)?.events)
    }
}

//! One method per release command (all go through [`Engine::execute`]).

use super::Engine;
use crate::access::Actor;
use crate::release::{ActivityRef, Command, Event, ProcessSwitch, ReleaseChanges};
use crate::{Error, Result, Timestamp};
use indexmap::IndexMap;
use serde_json::Value;

impl Engine {
    /// Changes a release that has not started (a draft: anything; a scheduled release: its name,
    /// inputs, owners, managers, stakeholders and planned window — the table is in
    /// [`ReleaseChanges`]). One `updated` event with the actor and `reason`; every problem is
    /// listed in one `invalid_input` error. A new scope must be one the actor manages.
    pub fn update_release(
        &self,
        id: &str,
        actor: &Actor,
        changes: ReleaseChanges,
        reason: Option<&str>,
    ) -> Result<Vec<Event>> {
        let switch = if changes.switches_process() { Some(self.process_switch(id, &changes)?) } else { None };
        self.execute(id, Command::Update { changes: Box::new(changes), switch }, actor, reason)
    }

    /// Looks up the process version an update switches a draft to.
    fn process_switch(&self, id: &str, changes: &ReleaseChanges) -> Result<ProcessSwitch> {
        let process = match &changes.process {
            Some(p) => p.clone(),
            None => self.get_release(id)?.process_id.clone(),
        };
        match self.plan(&process, changes.version) {
            Ok(plan) => Ok(ProcessSwitch::To(plan)),
            Err(Error::NotFound { id, hint, .. }) => Ok(ProcessSwitch::NotFound(format!(
                "process {id} is not registered{}",
                hint.map(|h| format!(" ({h})")).unwrap_or_default()
            ))),
            Err(e) => Err(e),
        }
    }

    // `delete_release` (with the retention rules) is in `retention.rs`.

    /// Schedules (or reschedules) a release; validates and locks its inputs.
    pub fn schedule(
        &self,
        id: &str,
        actor: &Actor,
        start: Timestamp,
        end: Option<Timestamp>,
        auto_start: bool,
    ) -> Result<Vec<Event>> {
        self.execute(id, Command::Schedule { start, end, auto_start }, actor, None)
    }

    /// Activates a release now (before its scheduled start: pre-execution, recorded).
    pub fn activate(&self, id: &str, actor: &Actor) -> Result<Vec<Event>> {
        self.execute(id, Command::Activate { force: false }, actor, None)
    }

    /// Stops new work from starting.
    pub fn pause(&self, id: &str, actor: &Actor) -> Result<Vec<Event>> {
        self.execute(id, Command::Pause, actor, None)
    }

    /// Lets a paused release progress again.
    pub fn resume(&self, id: &str, actor: &Actor) -> Result<Vec<Event>> {
        self.execute(id, Command::Resume, actor, None)
    }

    /// Aborts a release, recording the reason.
    pub fn abort(&self, id: &str, actor: &Actor, reason: &str) -> Result<Vec<Event>> {
        self.execute(id, Command::Abort { reason: reason.to_string() }, actor, Some(reason))
    }

    /// Restarts a failed or aborted release.
    pub fn restart(&self, id: &str, actor: &Actor) -> Result<Vec<Event>> {
        self.execute(id, Command::Restart, actor, None)
    }

    /// Archives a terminal release.
    pub fn archive(&self, id: &str, actor: &Actor) -> Result<Vec<Event>> {
        self.execute(id, Command::Archive, actor, None)
    }

    /// Approves an approval activity.
    pub fn approve(
        &self,
        id: &str,
        phase: &str,
        activity: &str,
        actor: &Actor,
        comment: Option<&str>,
    ) -> Result<Vec<Event>> {
        self.execute(id, Command::Approve { target: ActivityRef::new(phase, activity) }, actor, comment)
    }

    /// Rejects an approval activity (it fails).
    pub fn reject(
        &self,
        id: &str,
        phase: &str,
        activity: &str,
        actor: &Actor,
        comment: Option<&str>,
    ) -> Result<Vec<Event>> {
        self.execute(id, Command::Reject { target: ActivityRef::new(phase, activity) }, actor, comment)
    }

    /// Completes a manual activity with its field values.
    pub fn complete_manual(
        &self,
        id: &str,
        phase: &str,
        activity: &str,
        actor: &Actor,
        values: IndexMap<String, Value>,
    ) -> Result<Vec<Event>> {
        self.execute(id, Command::CompleteManual { target: ActivityRef::new(phase, activity), values }, actor, None)
    }

    /// Retries an on_hold activity, optionally with changed inputs (fix-and-continue).
    pub fn retry(
        &self,
        id: &str,
        phase: &str,
        activity: &str,
        actor: &Actor,
        inputs: Option<IndexMap<String, Value>>,
        reason: Option<&str>,
    ) -> Result<Vec<Event>> {
        self.execute(id, Command::Retry { target: ActivityRef::new(phase, activity), inputs }, actor, reason)
    }

    /// Ignores an on_hold activity, optionally supplying the outputs downstream needs.
    pub fn ignore(
        &self,
        id: &str,
        phase: &str,
        activity: &str,
        actor: &Actor,
        outputs: IndexMap<String, Value>,
        reason: Option<&str>,
    ) -> Result<Vec<Event>> {
        self.execute(id, Command::Ignore { target: ActivityRef::new(phase, activity), outputs }, actor, reason)
    }

    /// Fails an on_hold activity for good.
    pub fn fail(
        &self,
        id: &str,
        phase: &str,
        activity: &str,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<Vec<Event>> {
        self.execute(id, Command::Fail { target: ActivityRef::new(phase, activity) }, actor, reason)
    }

    /// Skips a pending activity (with a reason).
    pub fn skip(&self, id: &str, phase: &str, activity: &str, actor: &Actor, reason: &str) -> Result<Vec<Event>> {
        self.execute(id, Command::Skip { target: ActivityRef::new(phase, activity) }, actor, Some(reason))
    }
}

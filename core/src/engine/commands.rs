//! One method per release command (all go through [`Engine::execute`]).

use super::Engine;
use crate::access::Actor;
use crate::release::{ActivityRef, Command, Event};
use crate::{Result, Timestamp};
use indexmap::IndexMap;
use serde_json::Value;

/// A change to a draft, as one `update` command: every part given changes, the rest stays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseUpdate {
    /// A new name.
    pub name: Option<String>,
    /// Input values merged over the current ones (`null` removes one).
    pub inputs: Option<IndexMap<String, Value>>,
    /// New owners.
    pub owners: Option<Vec<String>>,
    /// Changes to the labels, description, version and links.
    pub metadata: crate::release::MetadataChange,
}

impl Engine {
    /// Changes a draft: name, inputs (merged; `null` removes one), owners.
    pub fn update_release(
        &self,
        id: &str,
        actor: &Actor,
        name: Option<String>,
        inputs: Option<IndexMap<String, Value>>,
        owners: Option<Vec<String>>,
    ) -> Result<Vec<Event>> {
        self.update(id, actor, ReleaseUpdate { name, inputs, owners, ..Default::default() })
    }

    /// Changes a draft with one `update` command (one `updated` event): name, inputs, owners,
    /// labels (merged; `None` removes one), description, version, links.
    pub fn update(&self, id: &str, actor: &Actor, change: ReleaseUpdate) -> Result<Vec<Event>> {
        let ReleaseUpdate { name, inputs, owners, metadata } = change;
        let metadata = (!metadata.is_empty()).then(|| Box::new(metadata));
        self.execute(id, Command::Update { name, inputs, owners, metadata }, actor, None)
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

//! Subprocess activities: a child release of the referenced process (pinned version), inputs
//! mapped from the activity's `with`, scope, kind and owners inherited. The parent activity stays
//! `running` until the child ends: `success`/`partial_success` → success with the child's phase
//! outputs (and `release_id`) as the activity's outputs; `failed`/`aborted` → a failure that goes
//! through the parent's retries and `on_failure`. Aborting the parent aborts the child; a timed-out
//! attempt aborts its child too.

use super::Engine;
use crate::access::Actor;
use crate::release::{ChildStart, Command, NewRelease, ParentLink, ReleaseStatus};
use crate::{Error, Result};
use indexmap::IndexMap;
use serde_json::Value;

impl Engine {
    /// Creates and activates the child release of a subprocess attempt. Any failure fails the
    /// parent activity with the reason.
    pub(crate) fn start_child(&self, child: ChildStart) {
        let system = Actor::system();
        let parent = child.parent.clone();
        let child_id = child.child_id.clone();
        let result = (|| -> Result<()> {
            let plan = self.plan(&child.process, child.version)?;
            let new = NewRelease {
                name: child.name,
                kind: child.kind,
                scope: child.scope,
                inputs: child.inputs,
                owners: child.owners,
                release_managers: child.release_managers,
                stakeholders: child.stakeholders,
                parent: Some(child.parent),
                ..NewRelease::default()
            };
            match self.create_release_with_id(&child_id, plan, new, &system) {
                Ok(_) | Err(Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(e),
            }
            match self.activate(&child_id, &system) {
                Ok(_) | Err(Error::InvalidTransition { .. }) => Ok(()),
                Err(e) => Err(e),
            }
        })();
        if let Err(e) = result {
            tracing::warn!(parent = %parent.release, child = %child_id, error = %e, "child release could not start");
            self.child_ended(&parent, &child_id, ReleaseStatus::Failed, IndexMap::new(), Some(e.to_string()));
        }
    }

    /// Tells the parent that its child ended.
    pub(crate) fn child_ended(
        &self,
        parent: &ParentLink,
        child_id: &str,
        status: ReleaseStatus,
        outputs: IndexMap<String, Value>,
        message: Option<String>,
    ) {
        let cmd = Command::ChildEnded {
            target: parent.activity.clone(),
            child_id: child_id.to_string(),
            status,
            outputs,
            message,
        };
        match self.apply(&parent.release, &cmd, &Actor::system(), None) {
            Ok(_)
            | Err(Error::Conflict { .. })
            | Err(Error::InvalidTransition { .. })
            | Err(Error::NotFound { .. }) => {}
            Err(e) => {
                tracing::warn!(parent = %parent.release, child = %child_id, error = %e, "could not report the child's end")
            }
        }
    }

    /// The releases that reference `id` (its parent, while the parent is not terminal): such a
    /// release cannot be deleted.
    pub(crate) fn parent_of_active(&self, id: &str) -> Option<String> {
        let state = self.get_release(id).ok()?;
        let parent = state.parent.clone()?;
        let p = self.get_release(&parent.release).ok()?;
        (!p.status.is_terminal()).then_some(parent.release)
    }
}

//! Reads on behalf of an actor: what they may see (the rules are in [`crate::access`]). Commands are authorized in the
//! apply path ([`crate::access::authorize_command`]) before anything is decided.

use super::{Engine, ReleaseFilter};
use crate::access::{AccessTarget, Action, Actor, authorize, can_read, can_read_release};
use crate::feed::FeedEntry;
use crate::release::ReleaseState;
use crate::{Error, Result};

impl Engine {
    /// The release, if `actor` may read it (`permission_denied` otherwise: an org manager never
    /// sees another org's releases).
    pub fn get_release_as(&self, id: &str, actor: &Actor) -> Result<std::sync::Arc<ReleaseState>> {
        let state = self.get_release(id)?;
        authorize(actor, Action::Read, &AccessTarget::release(&state), self.release_level())?;
        Ok(state)
    }

    /// The releases matching `filter` that `actor` may read.
    pub fn list_releases_as(&self, filter: &ReleaseFilter, actor: &Actor) -> Result<Vec<ReleaseState>> {
        Ok(self.list_releases(filter)?.into_iter().filter(|s| can_read_release(actor, s)).collect())
    }

    /// The release's history, if `actor` may read the release.
    pub fn history_as(&self, id: &str, actor: &Actor) -> Result<Vec<crate::release::Event>> {
        self.get_release_as(id, actor)?;
        self.history(id)
    }

    /// Whether `actor` may see a feed entry: by the entry's scope ([`can_read`]: release managers
    /// of the scope, viewers), or, as [`Engine::get_release_as`] decides, by being listed on the
    /// release now (owner, release manager, stakeholder, phase or activity owner, approver). The
    /// entries of a release that no longer exists are seen by scope only.
    pub fn may_read_entry(&self, entry: &FeedEntry, actor: &Actor) -> Result<bool> {
        self.may_read_fact(&entry.scope, &entry.release, actor)
    }

    /// Whether `actor` may see a fact about release `release` in `scope` (a feed entry, a ledger
    /// entry): by the scope, else by being listed on the release now (see [`Engine::may_read_entry`]).
    pub(crate) fn may_read_fact(&self, scope: &str, release: &str, actor: &Actor) -> Result<bool> {
        if can_read(actor, scope) {
            return Ok(true);
        }
        match self.get_release(release) {
            Ok(state) => Ok(can_read_release(actor, &state)),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Checks an engine-level action (create, register a process, save an input set, …) for a scope.
    pub(crate) fn authorize_scope(&self, actor: &Actor, action: Action, scope: &str) -> Result<()> {
        authorize(actor, action, &AccessTarget::scope(scope), self.release_level()).map_err(|e| match e {
            Error::PermissionDenied { .. } => e,
            other => other,
        })
    }
}

//! Access control: who issues a command ([`Actor`]), their [`Role`]s, the
//! installation's [`ReleaseLevel`], and the permission check for every command ([`authorize`]).
//!
//! # Roles and scopes
//!
//! A release (release group, freeze) has a scope: `account` or `org:<id>`. Role strings on an
//! actor: `account_release_manager`, `org_release_manager:<org>`, `viewer`, `viewer:<org>`
//! (unknown strings are ignored by the checks; [`Role::parse_all`] validates them strictly).
//!
//! * **Release managers** of a scope: account release managers (every scope: the account is the
//!   top of the hierarchy) and `org_release_manager:<o>` for `org:<o>` only. An org manager never
//!   manages or sees another org's releases.
//! * **Readers** of a scope: the release managers of it, `viewer` (everything) and `viewer:<o>`
//!   (`org:<o>`). People listed on a release (owners at any level, its release managers and
//!   stakeholders, approvers) may read it too.
//! * Release **owners** and a release's own **`release_managers`** are people and groups
//!   responsible for a release (notified, and the last fallback for manual activities); being
//!   named there gives no management rights by itself (those come from the roles).
//! * **Stakeholders** of a release receive its progress notifications and may read it, whatever
//!   their roles; they may not change it.
//! * **`system`** ([`SYSTEM`], [`Actor::system`]) is the engine: timers, cascades, executors,
//!   workers, subprocess child releases, retention. It never decides for people (approve, reject,
//!   complete_manual, retry, ignore, fail, skip, forced activation). Embedders must not let end
//!   users pick the id `system`.
//!
//! # The matrix
//!
//! | action | who may |
//! |---|---|
//! | `update` to another scope | as `update`, and `create` at the new scope |
//! | `create`, `update`, `delete`, `schedule`, `activate`, `pause`, `resume`, `abort`, `restart`, `archive`, `create_release_group`, `add_freeze` | release managers of the scope; `system` |
//! | `force_activate` (`activate` with `force: true`) | account release managers |
//! | `skip` | release managers of the scope (people) |
//! | `rewind`, `insert_activity`, `reassign`, `reschedule_phase` (amending a running release) | release managers of the scope (people): like `skip`, an amendment overrides the plan, and being a release owner or one of its `release_managers` gives no management rights |
//! | `delegate` | release managers of the scope (people), and the approver who hands over (`from` is the actor) |
//! | `approve`, `reject` | listed approvers only (users, or members of a listed group; after an escalation also `escalate_to`); a release manager may not approve unless listed. `decide` also enforces this and `forbid_self_approval`. |
//! | `complete_manual` | the activity's owners; if it has none, its phase's owners; if none, the release owners, the release's `release_managers` and the release managers of its scope |
//! | `retry`, `ignore`, `fail` (failure decisions) | the same as `complete_manual`, plus the release managers |
//! | `start_job`, `succeed_job`, `fail_job`, `child_ended`, `fire_timer`, `advance`, `claim_jobs` | `system` only (workers act through leases the engine checks) |
//! | `read` | readers of the scope; people listed on the release; `system` |
//! | `register_process`, `save_input_set` | release managers of the scope the process or input set belongs to; `system`. Account processes and sets are shared read-only with every org; an org's are its own (see [`crate::Engine::register_process_as`] and [`crate::Engine::save_input_set_in`]) |
//! | `apply_retention` (`Engine::apply_retention_as`) | account release managers; `system` |
//!
//! An activity command naming an activity the release does not have needs a release manager (who
//! then gets `not_found` from `decide`). `create` and `create_release_group` also check the scope
//! against the [`ReleaseLevel`] first ([`check_release_level`]: `invalid_input`, code
//! `release_level_mismatch`). A refusal is `permission_denied` naming the actor, the command
//! (`approve ship/qa-signoff` for activity commands) and the missing role or listing.
//!
//! # Wiring
//!
//! * Before `decide`: [`authorize_command`]`(actor, &cmd, &state, level)?`.
//! * Other operations: [`authorize`]`(actor, Action::Create, &AccessTarget::scope(&scope), level)?`
//!   (likewise `RegisterProcess`, `SaveInputSet`, `CreateReleaseGroup`, `AddFreeze`,
//!   `ApplyRetention`, `ClaimJobs`), and `Action::Read` with [`AccessTarget::release`] for one release.
//! * Queries: keep rows with [`can_read`]`(actor, &row.scope)` (or [`can_read_release`] when the
//!   state is at hand); feed entries with [`crate::Engine::may_read_entry`] (by scope, else by
//!   the release's current state), as [`crate::Engine::watch_as`] does.

mod policy;
mod role;

pub use policy::{
    AccessTarget, Action, ActivityTarget, authorize, authorize_command, can_read, can_read_release, is_listed, manages,
};
pub use role::{ReleaseLevel, Role, Scope, check_release_level};

use serde::{Deserialize, Serialize};

/// Who issues a command: a user id, the groups they belong to and their roles
/// (`account_release_manager`, `org_release_manager:<org>`, `viewer`, `viewer:<org>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// User id (`system` for the engine and the clock).
    pub id: String,
    /// Groups the user belongs to (approvals by `{ group: … }`).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Role strings.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Actor {
    /// A user with no groups and no roles.
    pub fn new(id: impl Into<String>) -> Self {
        Actor { id: id.into(), groups: Vec::new(), roles: Vec::new() }
    }

    /// Adds groups.
    pub fn with_groups<I: IntoIterator<Item = S>, S: Into<String>>(mut self, groups: I) -> Self {
        self.groups.extend(groups.into_iter().map(Into::into));
        self
    }

    /// Adds roles.
    pub fn with_roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// The engine itself (timers, cascades, executors).
    pub fn system() -> Self {
        Actor::new(SYSTEM)
    }

    /// Whether the actor is a member of `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether the actor has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The actor's roles that parse (unknown role strings are left out).
    pub fn parsed_roles(&self) -> Vec<Role> {
        self.roles.iter().filter_map(|r| Role::parse(r).ok()).collect()
    }

    /// Whether this is the engine's own actor ([`SYSTEM`]).
    pub fn is_system(&self) -> bool {
        self.id == SYSTEM
    }
}

/// The id of the engine's own actor.
pub const SYSTEM: &str = "system";

#[cfg(test)]
mod tests;

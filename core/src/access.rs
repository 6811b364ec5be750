//! Actors: who issues a command. Every command takes an [`Actor`]; the engine records it in the
//! events it causes. (The permission policy of DESIGN §7 builds on this.)

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
}

/// The id of the engine's own actor.
pub const SYSTEM: &str = "system";

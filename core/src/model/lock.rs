//! Locks: what a phase or an activity must hold while it runs (`locks: [environment:prod1]`),
//! plain mutexes or counted semaphores (`capacity`), queued oldest first unless a `priority`
//! puts some releases ahead. The runtime rules are in [`crate::release::locks`].

use crate::release::ReleaseKind;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most locks one phase or activity may declare.
pub const MAX_LOCKS_PER_NODE: usize = 32;
/// The largest `capacity` a lock may have.
pub const MAX_LOCK_CAPACITY: u32 = 10_000;
/// The longest lock name, in bytes, once its `${…}` are rendered.
pub const MAX_LOCK_NAME_BYTES: usize = 200;

/// One lock a phase or activity holds while it runs: a name (`environment:prod1`), or the name
/// with its capacity, priority and approval rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LockUse {
    /// Just the name: a mutex (capacity 1), priority 0.
    Name(String),
    /// The name and its settings.
    Spec(LockSpec),
}

/// A lock with its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LockSpec {
    /// The lock's name, shared by every release that uses it (may interpolate `${...}`, e.g.
    /// `environment:${inputs.environment}`).
    pub name: String,
    /// How many releases may hold it at once (default 1: a mutex; more: a counted semaphore).
    /// Every use of one name should give the same capacity: the acquirer's is the one checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// The place in the lock's queue: higher goes first, equal ones oldest first (default 0).
    /// A number, or one per release kind (`{hotfix: 10}`; kinds not named get 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<LockPriority>,
    /// On a phase: hold the lock from the phase's start to its end, through approval waits.
    /// Without it (the default), the phase's work (every activity but approvals) holds the lock
    /// while it runs, and the lock is let go while the phase waits only for approvals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_through_approval: Option<bool>,
}

/// A lock queue priority: one number, or one per release kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LockPriority {
    /// The same priority for every release.
    Fixed(i32),
    /// A priority per release kind (kinds not named get 0).
    ByKind(IndexMap<ReleaseKind, i32>),
}

impl LockUse {
    /// The name as written (before rendering).
    pub fn name(&self) -> &str {
        match self {
            LockUse::Name(n) => n,
            LockUse::Spec(s) => &s.name,
        }
    }

    /// How many releases may hold it at once.
    pub fn capacity(&self) -> u32 {
        match self {
            LockUse::Name(_) => 1,
            LockUse::Spec(s) => s.capacity.unwrap_or(1),
        }
    }

    /// The queue priority of a release of `kind`.
    pub fn priority(&self, kind: ReleaseKind) -> i32 {
        match self {
            LockUse::Spec(LockSpec { priority: Some(LockPriority::Fixed(p)), .. }) => *p,
            LockUse::Spec(LockSpec { priority: Some(LockPriority::ByKind(m)), .. }) => {
                m.get(&kind).copied().unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// Whether a phase holds it from start to end, through approval waits.
    pub fn holds_through_approval(&self) -> bool {
        matches!(self, LockUse::Spec(LockSpec { hold_through_approval: Some(true), .. }))
    }
}

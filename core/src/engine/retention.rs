//! Retention and deletion: when ended releases are archived, and when a release may be deleted.
//!
//! * [`Engine::apply_retention`] archives terminal releases (success, partial_success, failed,
//!   aborted) that ended longer ago than the policy (default 365 days). Active releases are never
//!   archived. Each release is archived by its own `archive` command, by `system`, with the reason
//!   `retention: ended more than N days ago` (an `archived` event like any other).
//! * **Automatically**: [`Engine::tick`] applies retention once per day of engine time (the first
//!   tick of each UTC day; with several engines on one store each does, and a release archived by
//!   one is passed over by the others). [`RetentionPolicy::automatic`] `false` turns it off; then
//!   nothing is archived unless the application calls `apply_retention`.
//! * [`Engine::delete_release`] follows these rules; each refusal is its own error:
//!
//! | release | result |
//! |---|---|
//! | draft or scheduled | deleted (a `deleted` event; the release is gone for every query) |
//! | running or on_hold | `invalid_transition` (naming the commands allowed now) |
//! | terminal, not archived | `invalid_transition`: its execution data is kept for the retention period; archive it first |
//! | archived, ended within the retention period | `invalid_transition` naming the day it becomes deletable |
//! | archived, ended before the retention period | purged: its row, events, snapshot and jobs are removed |
//! | referenced by another release (a subprocess parent) | `invalid_transition` naming the referencing release |

use super::{Engine, lock};
use crate::access::Actor;
use crate::release::{Command, Event, ReleaseStatus};
use crate::store::ReleaseQuery;
use crate::{Error, Result, Timestamp};

/// How long execution data is kept before it is archived.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionPolicy {
    /// Terminal releases that ended longer ago than this are archived by
    /// [`Engine::apply_retention`], and archived ones may then be deleted. Default 365 days.
    pub archive_after: chrono::Duration,
    /// Whether [`Engine::tick`] applies retention itself, once per day of engine time. Default
    /// `true`.
    pub automatic: bool,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { archive_after: chrono::Duration::days(365), automatic: true }
    }
}

impl RetentionPolicy {
    /// The default policy with another retention period.
    pub fn archiving_after(archive_after: chrono::Duration) -> Self {
        RetentionPolicy { archive_after, ..Default::default() }
    }
}

const TERMINAL: [ReleaseStatus; 4] =
    [ReleaseStatus::Success, ReleaseStatus::PartialSuccess, ReleaseStatus::Failed, ReleaseStatus::Aborted];

impl Engine {
    /// Sets the retention policy.
    pub fn set_retention(&self, policy: RetentionPolicy) {
        self.update_settings(|s| s.retention = policy);
    }

    /// The retention policy in force.
    pub fn retention(&self) -> RetentionPolicy {
        self.settings().retention
    }

    /// Archives every terminal release that ended before `now − archive_after`; returns their ids.
    /// Active releases are never archived. A release that changed meanwhile (restarted by someone)
    /// is passed over.
    pub fn apply_retention(&self, now: Timestamp) -> Result<Vec<String>> {
        let policy = self.retention();
        let cutoff = now - policy.archive_after;
        let rows = self.store.query_releases(&ReleaseQuery {
            statuses: TERMINAL.to_vec(),
            ended_before: Some(cutoff),
            ..Default::default()
        })?;
        let system = Actor::system();
        let reason = format!("retention: ended more than {} days ago", policy.archive_after.num_days());
        let mut archived = Vec::new();
        for row in rows {
            match self.apply(&row.id, &Command::Archive, &system, Some(&reason)) {
                Ok(_) => archived.push(row.id),
                Err(
                    Error::InvalidTransition { .. }
                    | Error::Conflict { .. }
                    | Error::AlreadyExists { .. }
                    | Error::NotFound { .. },
                ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(archived)
    }

    /// The time-driven part of retention, run by [`Engine::tick`]: [`Engine::apply_retention`] on
    /// the first tick of each UTC day of engine time, unless the policy is not automatic. Returns
    /// how many releases it archived.
    pub(crate) fn retention_due(&self, now: Timestamp) -> Result<usize> {
        if !self.retention().automatic {
            return Ok(0);
        }
        let today = now.date_naive();
        {
            let mut last = lock(&self.retention_day);
            if *last == Some(today) {
                return Ok(0);
            }
            *last = Some(today);
        }
        let archived = self.apply_retention(now)?;
        if !archived.is_empty() {
            tracing::info!(count = archived.len(), "retention archived releases");
        }
        Ok(archived.len())
    }

    /// Deletes a release; each refusal is its own error:
    ///
    /// | release | result |
    /// |---|---|
    /// | draft or scheduled | deleted (a `deleted` event; the release is gone for every query) |
    /// | running or on_hold | `invalid_transition` (naming the commands allowed now) |
    /// | terminal, not archived | `invalid_transition`: its execution data is kept for the retention period; archive it first |
    /// | archived, ended within the retention period | `invalid_transition` naming the day it becomes deletable |
    /// | archived, ended before the retention period | purged: its row, events, snapshot and jobs are removed |
    /// | referenced by another release (a subprocess parent, a waiting gate) | `invalid_transition` naming the referencing release |
    pub fn delete_release(&self, id: &str, actor: &Actor) -> Result<Vec<Event>> {
        let row = self.require_row(id)?;
        let allowed: Vec<String> = row.status.allowed_commands().iter().map(|c| c.to_string()).collect();
        if let Some((referrer, why)) = self.referenced_by(id)? {
            return Err(Error::InvalidTransition {
                target: format!("release {id} (release {referrer} references it: {why})"),
                status: row.status.to_string(),
                command: "delete".into(),
                allowed,
            });
        }
        let state = self.get_release(id)?;
        crate::access::authorize_command(actor, &Command::Delete, &state, self.release_level())?;
        if !TERMINAL.contains(&row.status) {
            // draft/scheduled: a `deleted` event; running/on_hold: `invalid_transition`.
            return self.execute(id, Command::Delete, actor, None);
        }
        let policy = self.retention();
        let now = self.clock.now();
        let ended = row.ended_at.unwrap_or(now);
        let until = ended + policy.archive_after;
        let days = policy.archive_after.num_days();
        if !row.archived {
            return Err(Error::InvalidTransition {
                target: format!(
                    "release {id} (it ended at {ended} and its execution data is kept for the retention period of \
                     {days} days, until {until}; archive it first: apply_retention does once the period has passed)"
                ),
                status: row.status.to_string(),
                command: "delete".into(),
                allowed,
            });
        }
        if until > now {
            return Err(Error::InvalidTransition {
                target: format!(
                    "release {id} (archived; it ended at {ended}, within the retention period of {days} days: \
                     its execution data is kept until {until})"
                ),
                status: format!("{} (archived)", row.status),
                command: "delete".into(),
                allowed: vec![],
            });
        }
        self.store.delete_release(id)?;
        lock(&self.cache).remove(id);
        tracing::info!(release = %id, actor = %actor.id, "archived release deleted with its events");
        Ok(Vec::new())
    }

    /// The release that references `id` and so forbids deleting it, with why: the parent of a
    /// subprocess child that has not ended, or a release whose waiting gate watches `id` (the
    /// store's watches, so another engine's gates count too).
    fn referenced_by(&self, id: &str) -> Result<Option<(String, &'static str)>> {
        if let Some(parent) = self.parent_of_active(id) {
            return Ok(Some((parent, "it runs as that release's subprocess; end the parent first")));
        }
        let watcher = self.store.gate_watches(Some(id))?.into_iter().next();
        Ok(watcher.map(|(w, _)| (w, "a gate of it waits for this release; skip the gate or let it end first")))
    }
}

//! When a release group's occurrences start: the overlap and catch-up policies carried out on
//! every [`Engine::tick`], and the group's `pause`, `resume` and `trigger_now`
//! ([`Engine::pause_release_group`], [`Engine::resume_release_group`],
//! [`Engine::trigger_release_group`]). The decisions are [`crate::schedule::decide_starts`]
//! (its module documents the rules); this file only feeds it the releases and records what it says.
//!
//! # Rules
//! * Before timers fire, each group's due occurrences are decided: a skipped one is aborted by
//!   `system` with the reason (`skipped by release group …`), one that waits keeps its activation
//!   timer but it does not fire this tick; the others start as their timer fires.
//! * **Pause and resume** are recorded as versions of the group's control document (collection
//!   `release_group_controls`: `paused`, `by`, `at`, `reason`), so every engine on the store sees
//!   them and the history stays. Releases keep being materialised while the group is paused (the
//!   calendar shows what is planned); none starts. On resume the catch-up policy decides about
//!   the occurrences that became due meanwhile.
//! * **Trigger now** activates the group's next not-started occurrence (the earliest `scheduled`
//!   release) at once, as the actor, with the comment `triggered from release group …`. It needs
//!   the right to manage the group's scope. While the group is paused, or when the overlap policy
//!   would not start an occurrence now, it is refused (`invalid_transition`) unless forced; a
//!   forced trigger is recorded as such in the activation's comment.

use super::Engine;
use super::groups::GROUPS;
use crate::access::{Action, Actor};
use crate::release::{Command, Event, ReleaseStatus};
use crate::schedule::{DueOccurrence, ReleaseGroup, StartDecision, decide_starts};
use crate::store::ReleaseQuery;
use crate::{Error, Result, Timestamp};
use serde_json::{Value, json};
use std::collections::HashSet;

/// The document collection of group controls (pause and resume).
pub(crate) const CONTROLS: &str = "release_group_controls";

impl Engine {
    /// Pauses a release group: none of its occurrences starts until it is resumed (module rules).
    /// Refused: an unknown group (`not_found`), one already paused (`invalid_transition`), an
    /// actor who does not manage its scope (`permission_denied`).
    pub fn pause_release_group(&self, id: &str, actor: &Actor, reason: Option<&str>) -> Result<()> {
        self.set_paused(id, actor, reason, true)
    }

    /// Resumes a paused release group; what became due meanwhile follows its catch-up policy.
    /// Refused like [`Engine::pause_release_group`] (`invalid_transition` when it is not paused).
    pub fn resume_release_group(&self, id: &str, actor: &Actor, reason: Option<&str>) -> Result<()> {
        self.set_paused(id, actor, reason, false)
    }

    /// Whether a release group is paused.
    pub fn release_group_paused(&self, id: &str) -> Result<bool> {
        self.get_release_group(id)?;
        self.paused(id)
    }

    /// Activates the group's next not-started occurrence now (module rules); returns its release
    /// id and events. `force` bypasses a pause or the overlap policy (recorded).
    pub fn trigger_release_group(&self, id: &str, actor: &Actor, force: bool) -> Result<(String, Vec<Event>)> {
        let group = self.get_release_group(id)?;
        self.authorize_scope(actor, Action::CreateReleaseGroup, &group.scope)?;
        let next = self
            .group_releases(id, &[ReleaseStatus::Scheduled])?
            .into_iter()
            .min_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)))
            .ok_or_else(|| Error::NotFound {
                kind: "occurrence".into(),
                id: id.to_string(),
                hint: Some("the release group has no scheduled release to trigger".into()),
            })?;
        let mut bypassed = Vec::new();
        if self.paused(id)? {
            bypassed.push("the group is paused".to_string());
        }
        let running = self.group_releases(id, &[ReleaseStatus::Running, ReleaseStatus::OnHold])?.len();
        let now = self.clock.now();
        let probe = [DueOccurrence { release_id: next.0.clone(), start: now }];
        if decide_starts(group.overlap, group.catch_up, false, running, &probe, now)[0].1 != StartDecision::Start {
            bypassed.push(format!("overlap {} with {running} running", group.overlap));
        }
        if !bypassed.is_empty() && !force {
            return Err(Error::InvalidTransition {
                target: format!("release group {id}"),
                status: bypassed.join(", "),
                command: "trigger".into(),
                allowed: vec!["resume".into(), "trigger with force".into()],
            });
        }
        let comment = if bypassed.is_empty() {
            format!("triggered from release group {id}")
        } else {
            format!("triggered from release group {id}, forced: {}", bypassed.join(", "))
        };
        tracing::info!(group = %id, release = %next.0, actor = %actor.id, force, "release group triggered");
        let events = self.execute(&next.0, Command::Activate { force: false }, actor, Some(&comment))?;
        Ok((next.0, events))
    }

    /// Decides the due occurrences of every group (module rules): skips are recorded, the ones to
    /// start have their activation fired, and the releases that wait are returned so the timer
    /// loop leaves them. Also returns how many it skipped or started.
    pub(crate) fn start_group_occurrences(&self, now: Timestamp) -> Result<(usize, HashSet<String>)> {
        let mut skipped = 0;
        let mut started = 0;
        let mut waiting = HashSet::new();
        let system = Actor::system();
        for (id, _) in self.store.list_documents(GROUPS)? {
            let group = match self.get_release_group(&id) {
                Ok(g) => g,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let due = self.due_occurrences(&group, now)?;
            if due.is_empty() {
                continue;
            }
            let running = self.group_releases(&id, &[ReleaseStatus::Running, ReleaseStatus::OnHold])?.len();
            let paused = self.paused(&id)?;
            for (release, decision) in decide_starts(group.overlap, group.catch_up, paused, running, &due, now) {
                match decision {
                    // Fired here rather than by the timer loop: a release that waited was claimed
                    // (leased) by an earlier tick and would otherwise wait for that lease to end.
                    StartDecision::Start => started += self.fire_activation(&release, now, &system)?,
                    StartDecision::Wait => {
                        waiting.insert(release);
                    }
                    StartDecision::Skip(why) => {
                        let reason = format!("skipped by release group {id}: {why}");
                        match self.abort(&release, &system, &reason) {
                            Ok(_) => {
                                tracing::info!(group = %id, release = %release, %why, "release group occurrence skipped");
                                skipped += 1;
                            }
                            // Another engine decided it first, or it moved on.
                            Err(Error::Conflict { .. } | Error::InvalidTransition { .. }) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
        }
        Ok((skipped + started, waiting))
    }

    /// Fires the due timer of a release (its activation); 1 if it fired, 0 if another engine did.
    fn fire_activation(&self, id: &str, now: Timestamp, system: &Actor) -> Result<usize> {
        let state = match self.get_release(id) {
            Ok(s) => s,
            Err(Error::NotFound { .. }) => return Ok(0),
            Err(e) => return Err(e),
        };
        let Some((timer, when)) = state.next_timer().map(|(k, t)| (k.clone(), *t)) else { return Ok(0) };
        if when > now {
            return Ok(0);
        }
        match self.apply(id, &Command::FireTimer { timer }, system, None) {
            Ok(_) => Ok(1),
            Err(Error::Conflict { .. } | Error::InvalidTransition { .. }) => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// The due occurrences of a group: scheduled, auto-starting, planned start at or before `now`.
    fn due_occurrences(&self, group: &ReleaseGroup, now: Timestamp) -> Result<Vec<DueOccurrence>> {
        let mut due = Vec::new();
        for (release_id, start) in self.group_releases(&group.id, &[ReleaseStatus::Scheduled])? {
            if start > now {
                continue;
            }
            let auto = self
                .get_release(&release_id)
                .ok()
                .and_then(|s| s.schedule.as_ref().map(|s| s.auto_start))
                .unwrap_or(false);
            if auto {
                due.push(DueOccurrence { release_id, start });
            }
        }
        Ok(due)
    }

    /// The releases of a group in `statuses` with their planned start.
    fn group_releases(&self, group: &str, statuses: &[ReleaseStatus]) -> Result<Vec<(String, Timestamp)>> {
        let rows = self.store.query_releases(&ReleaseQuery {
            group: Some(group.to_string()),
            statuses: statuses.to_vec(),
            include_archived: true,
            ..Default::default()
        })?;
        Ok(rows.into_iter().map(|r| (r.id, r.planned_start.unwrap_or(Timestamp::MIN_UTC))).collect())
    }

    fn paused(&self, id: &str) -> Result<bool> {
        let doc = self.store.get_document(CONTROLS, id, None)?;
        Ok(doc.is_some_and(|(_, d)| d.get("paused").and_then(Value::as_bool) == Some(true)))
    }

    fn set_paused(&self, id: &str, actor: &Actor, reason: Option<&str>, paused: bool) -> Result<()> {
        let group = self.get_release_group(id)?;
        self.authorize_scope(actor, Action::CreateReleaseGroup, &group.scope)?;
        let now_paused = self.paused(id)?;
        if now_paused == paused {
            let (status, allowed) = if paused { ("paused", "resume") } else { ("not paused", "pause") };
            return Err(Error::InvalidTransition {
                target: format!("release group {id}"),
                status: status.into(),
                command: if paused { "pause".into() } else { "resume".into() },
                allowed: vec![allowed.into()],
            });
        }
        let doc = json!({
            "paused": paused,
            "by": actor.id,
            "at": self.clock.now().to_rfc3339(),
            "reason": reason,
        });
        self.store.put_document(CONTROLS, id, &doc)?;
        tracing::info!(group = %id, actor = %actor.id, paused, "release group pause changed");
        Ok(())
    }
}

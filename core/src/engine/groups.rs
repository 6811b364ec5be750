//! Release groups: recurring releases. A group is stored in the document collection
//! `release_groups` (keyed by its id, versioned); the engine creates one `scheduled` release per
//! occurrence of its cadence for the horizon ([`Engine::set_horizon`], default 90 days), when the
//! group is created and then on every [`Engine::tick`].
//!
//! # Rules
//! * **Idempotent.** Each release records its occurrence (`NewRelease::occurrence`,
//!   `group@start`); an occurrence that has a release is never created again, so ticking twice
//!   creates nothing the second time. Its id is derived from the occurrence key, so two engines
//!   on one store materialising at once create it once.
//! * **Past occurrences** are not created retroactively (see [`crate::schedule::materialise`]).
//! * **Which due occurrences start** follows the group's `overlap` and `catch_up` policies and
//!   its pause ([`crate::schedule::decide_starts`]; [`Engine::pause_release_group`],
//!   [`Engine::resume_release_group`], [`Engine::trigger_release_group`]).
//! * **A deleted release** of a group is not re-created by `tick`: deleting one skips that
//!   occurrence.
//! * **Which occurrence a release stands for.** A release the engine scheduled stands for its
//!   planned start; one a person rescheduled keeps the occurrence it was created for (so moving
//!   this week's train by a day does not make the engine create another one).
//! * **Editing** ([`Engine::update_release_group`]) rewrites only occurrences that have not started
//!   (see [`crate::schedule::reconcile`]). A rewrite that changes only times (start, end,
//!   auto_start) reschedules the release and keeps its id; one that changes its name, process,
//!   inputs, input set, kind or scope replaces it (the old release is deleted and a new one
//!   created), because a scheduled release's name and inputs are fixed. Occurrences that are gone
//!   lose their release; new ones get one. Started releases are never touched, and neither are
//!   releases a person edited by hand with `update` (name, inputs, owners, planned window, …):
//!   the hand edit wins over the group's later edits (deleting the group still deletes it while it
//!   has not started).
//! * **Deleting** a group ([`Engine::delete_release_group`]) deletes its releases that are still
//!   `draft` or `scheduled`; started ones stay (still naming the group).
//! * Releases are created and scheduled by `system`; the actor who creates or edits the group needs
//!   to manage its scope ([`Action::CreateReleaseGroup`]).
//! * **Inputs** are templates: every string in a group's `inputs` may use the fields of its
//!   `name_template` (`releaseVersion: "1.{iso_week}.0"`), rendered for each occurrence. The group
//!   is refused (`invalid_input`, naming the occurrence) when the rendered inputs of its first
//!   occurrence, or of one in the first horizon, do not fit the process.
//! * **Owners.** Each release gets the group's `owners`, or the process's `owners` when the group
//!   names none, so `release_started`/`release_ended` notifications reach someone. Changing a
//!   group's owners replaces its releases that have not started (as changing their inputs does).

use super::{Engine, lock};
use crate::access::{Action, Actor, SYSTEM};
use crate::release::{NewRelease, ReleaseState, ReleaseStatus, inputs};
use crate::schedule::{
    ExistingOccurrence, LocalMoment, Occurrence, OccurrenceKey, ReleaseGroup, materialise, reconcile,
};
use crate::store::ReleaseQuery;
use crate::{Error, Result, Timestamp};

/// The document collection of release groups.
pub(crate) const GROUPS: &str = "release_groups";

/// How far a group's occurrences are known to be materialised.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupMark {
    /// The group document version it was computed for.
    version: u32,
    /// Nothing is left to do until `now + horizon` passes this instant (the next occurrence).
    covered_until: Timestamp,
}

/// What materialising or editing a group did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    /// Releases created (and scheduled).
    pub created: Vec<String>,
    /// Releases rescheduled in place.
    pub rescheduled: Vec<String>,
    /// Releases deleted (their occurrence is gone, or they were replaced by a new release).
    pub deleted: Vec<String>,
}

impl Engine {
    /// Validates and stores a release group, then creates its releases up to the horizon.
    /// Refused: an invalid group (`validation`), an unknown process or input set (`not_found`),
    /// inputs the releases could not be scheduled with (`invalid_input`), an existing id
    /// (`already_exists`), an actor who does not manage the scope (`permission_denied`).
    pub fn create_release_group(&self, group: ReleaseGroup, actor: &Actor) -> Result<ReleaseGroup> {
        group.validate()?;
        self.authorize_scope(actor, Action::CreateReleaseGroup, &group.scope)?;
        if self.store.get_document(GROUPS, &group.id, None)?.is_some() {
            return Err(Error::AlreadyExists {
                kind: "release_group".into(),
                id: group.id.clone(),
                hint: Some("update it, or pick another id".into()),
            });
        }
        self.check_group_references(&group, actor)?;
        let version = self.put_group(&group)?;
        tracing::info!(group = %group.id, actor = %actor.id, "release group created");
        let now = self.clock.now();
        let horizon = self.settings().horizon;
        self.materialise_group(&group, now, horizon)?;
        self.mark(&group, version, now, horizon);
        Ok(group)
    }

    /// Replaces a release group (same id) and brings its not-started releases in line (module
    /// rules). Needs to manage the old and the new scope.
    pub fn update_release_group(&self, group: ReleaseGroup, actor: &Actor) -> Result<GroupChanges> {
        group.validate()?;
        let old = self.get_release_group(&group.id)?;
        self.authorize_scope(actor, Action::CreateReleaseGroup, &old.scope)?;
        if group.scope != old.scope {
            self.authorize_scope(actor, Action::CreateReleaseGroup, &group.scope)?;
        }
        self.check_group_references(&group, actor)?;
        let version = self.put_group(&group)?;
        tracing::info!(group = %group.id, actor = %actor.id, "release group updated");
        let now = self.clock.now();
        let horizon = self.settings().horizon;
        let existing: Vec<ExistingOccurrence> =
            self.group_occurrences(&group.id, false)?.into_iter().map(|(e, _)| e).collect();
        let plan = reconcile(&old, &group, &existing, now, horizon)?;
        let system = Actor::system();
        let mut changes = GroupChanges::default();
        for r in plan.rewrite {
            // A new name is a change only if the release is not already called that.
            let same_name = self.get_release(&r.release_id).is_ok_and(|s| s.name == r.to.name);
            let times_only = r
                .changes
                .iter()
                .all(|c| matches!(c.as_str(), "start" | "end" | "auto_start") || (c == "name" && same_name));
            if times_only {
                match self.schedule(&r.release_id, &system, r.to.start, Some(r.to.end), group.auto_start) {
                    Ok(_) => changes.rescheduled.push(r.release_id),
                    Err(e) => skip_changed(&r.release_id, e)?,
                }
            } else {
                match self.delete_release(&r.release_id, &system) {
                    Ok(_) => changes.deleted.push(r.release_id),
                    Err(e) => {
                        skip_changed(&r.release_id, e)?;
                        continue;
                    }
                }
                changes.created.extend(self.create_occurrence(&group, &r.to)?);
            }
        }
        for d in plan.delete {
            match self.delete_release(&d.release_id, &system) {
                Ok(_) => changes.deleted.push(d.release_id),
                Err(e) => skip_changed(&d.release_id, e)?,
            }
        }
        for o in &plan.create {
            changes.created.extend(self.create_occurrence(&group, o)?);
        }
        self.mark(&group, version, now, horizon);
        Ok(changes)
    }

    /// A release group by id (`not_found` if there is none).
    pub fn get_release_group(&self, id: &str) -> Result<ReleaseGroup> {
        let (_, doc) = self.store.get_document(GROUPS, id, None)?.ok_or_else(|| {
            let ids: Vec<String> =
                self.store.list_documents(GROUPS).unwrap_or_default().into_iter().map(|(id, _)| id).collect();
            Error::NotFound {
                kind: "release group".into(),
                id: id.to_string(),
                hint: Some(if ids.is_empty() {
                    "no release group exists yet".into()
                } else {
                    format!("release groups: {}", ids.join(", "))
                }),
            }
        })?;
        decode_group(id, doc)
    }

    /// Every release group, by id.
    pub fn list_release_groups(&self) -> Result<Vec<ReleaseGroup>> {
        let mut out = Vec::new();
        for (id, _) in self.store.list_documents(GROUPS)? {
            if let Some((_, doc)) = self.store.get_document(GROUPS, &id, None)? {
                out.push(decode_group(&id, doc)?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Deletes a release group and its releases that are still `draft` or `scheduled` (returns
    /// their ids); started releases are kept.
    pub fn delete_release_group(&self, id: &str, actor: &Actor) -> Result<Vec<String>> {
        let group = self.get_release_group(id)?;
        self.authorize_scope(actor, Action::CreateReleaseGroup, &group.scope)?;
        self.store.delete_document(GROUPS, id)?;
        self.store.delete_document(super::group_starts::CONTROLS, id)?;
        lock(&self.group_marks).remove(id);
        tracing::info!(group = %id, actor = %actor.id, "release group deleted");
        let rows = self.store.query_releases(&ReleaseQuery {
            group: Some(id.to_string()),
            statuses: vec![ReleaseStatus::Draft, ReleaseStatus::Scheduled],
            include_archived: true,
            ..Default::default()
        })?;
        let system = Actor::system();
        let mut deleted = Vec::new();
        for row in rows {
            match self.delete_release(&row.id, &system) {
                Ok(_) => deleted.push(row.id),
                Err(e) => skip_changed(&row.id, e)?,
            }
        }
        Ok(deleted)
    }

    /// Creates the scheduled releases of every release group up to the horizon; idempotent.
    /// Returns how many releases it created. A group that cannot be materialised (its process or
    /// input set was removed, …) is logged and tried again an hour (engine time) later; storage
    /// errors are returned.
    pub(crate) fn materialise_groups(&self, now: Timestamp) -> Result<usize> {
        let horizon = self.settings().horizon;
        let docs = self.store.list_documents(GROUPS)?;
        {
            let mut marks = lock(&self.group_marks);
            marks.retain(|id, _| docs.iter().any(|(d, _)| d == id));
        }
        let mut created = 0;
        for (id, version) in docs {
            let fresh = lock(&self.group_marks)
                .get(&id)
                .is_some_and(|m| m.version == version && now + horizon <= m.covered_until);
            if fresh {
                continue;
            }
            let group = match self.store.get_document(GROUPS, &id, None)? {
                Some((_, doc)) => decode_group(&id, doc),
                None => continue,
            };
            match group.and_then(|g| self.materialise_group(&g, now, horizon).map(|n| (g, n))) {
                Ok((g, n)) => {
                    created += n;
                    self.mark(&g, version, now, horizon);
                }
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => {
                    tracing::warn!(group = %id, error = %e, "release group not materialised; retrying in an hour");
                    let covered_until = now + horizon + chrono::Duration::hours(1);
                    lock(&self.group_marks).insert(id, GroupMark { version, covered_until });
                }
            }
        }
        Ok(created)
    }

    /// Creates the missing releases of one group in `[now, now + horizon)` (and schedules a draft
    /// left behind by an interrupted creation). Returns how many it created.
    fn materialise_group(&self, group: &ReleaseGroup, now: Timestamp, horizon: chrono::Duration) -> Result<usize> {
        let existing = self.group_occurrences(&group.id, true)?;
        let system = Actor::system();
        for (e, draft) in &existing {
            if *draft && e.key.start >= now {
                let end = group.occurrences(e.key.start, e.key.start + chrono::Duration::seconds(1))?;
                if let Some(o) = end.first() {
                    if let Err(err) = self.schedule(&e.release_id, &system, o.start, Some(o.end), group.auto_start) {
                        skip_changed(&e.release_id, err)?;
                    }
                }
            }
        }
        let keys: Vec<OccurrenceKey> = existing.into_iter().map(|(e, _)| e.key).collect();
        let plan = materialise(group, &keys, now, horizon)?;
        let mut created = 0;
        for o in &plan.create {
            created += self.create_occurrence(group, o)?.len();
        }
        Ok(created)
    }

    /// Creates and schedules the release of one occurrence; `[]` when another engine did first.
    fn create_occurrence(&self, group: &ReleaseGroup, o: &Occurrence) -> Result<Vec<String>> {
        let system = Actor::system();
        let input_set = match &group.input_set {
            Some(name) => Some(self.input_set_for_release(&group.scope, &group.process, name, None)?),
            None => None,
        };
        let plan = self.plan(&group.process, None)?;
        let key = o.key().to_string();
        let new = NewRelease {
            name: o.name.clone(),
            kind: group.kind,
            scope: group.scope.clone(),
            inputs: group.inputs_for(o),
            input_set,
            owners: release_owners(group, &plan.process.owners),
            group: Some(group.id.clone()),
            occurrence: Some(key.clone()),
            ..NewRelease::default()
        };
        let mut id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("trainyard/occurrence/{key}").as_bytes())
            .to_string();
        if self.store.release(&id)?.is_some() {
            // Its release was deleted (a tombstone keeps the id) and the occurrence comes back.
            id = uuid::Uuid::now_v7().to_string();
        }
        match self.create_release_with_id(&id, plan, new, &system) {
            Ok(_) => {}
            // Another engine materialised the occurrence first.
            Err(Error::AlreadyExists { .. } | Error::Conflict { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        }
        self.schedule(&id, &system, o.start, Some(o.end), group.auto_start)?;
        tracing::info!(group = %group.id, release = %id, occurrence = %key, "release group occurrence materialised");
        Ok(vec![id])
    }

    /// The releases of a group with the occurrence each stands for (module rules), and whether it
    /// is a draft (created but not scheduled). Deleted releases are included on request (their
    /// planned start is their occurrence).
    fn group_occurrences(&self, group: &str, with_deleted: bool) -> Result<Vec<(ExistingOccurrence, bool)>> {
        let rows = self.store.query_releases(&ReleaseQuery {
            group: Some(group.to_string()),
            include_archived: true,
            include_deleted: with_deleted,
            ..Default::default()
        })?;
        let mut out = Vec::new();
        for row in rows {
            if row.deleted {
                if let Some(start) = row.planned_start {
                    let key = OccurrenceKey { group: group.to_string(), start };
                    let e = ExistingOccurrence { key, release_id: row.id, status: row.status, edited: false };
                    out.push((e, false));
                }
                continue;
            }
            let state = match self.get_release(&row.id) {
                Ok(s) => s,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            if let Some(start) = occurrence_start(&state) {
                let key = OccurrenceKey { group: group.to_string(), start };
                let draft = state.status == ReleaseStatus::Draft;
                let e = ExistingOccurrence { key, release_id: row.id, status: state.status, edited: state.edited };
                out.push((e, draft));
            }
        }
        Ok(out)
    }

    /// The process, the input set and the complete inputs a group's releases will need: the
    /// inputs rendered for its first occurrence and for each one in the first horizon.
    fn check_group_references(&self, group: &ReleaseGroup, actor: &Actor) -> Result<()> {
        let process = self.get_process(&group.process, None)?;
        self.check_process_usable(&group.process, &group.scope, actor)?;
        let set = match &group.input_set {
            Some(name) => Some(self.get_input_set_in(&group.scope, &group.process, name, None)?.values),
            None => None,
        };
        let now = self.clock.now();
        let first = Occurrence {
            group: group.id.clone(),
            n: 1,
            start: now,
            end: now,
            local_date: match group.starts_on {
                LocalMoment::Date(d) => d,
                LocalMoment::DateTime(t) => t.date(),
            },
            name: group.name.clone(),
        };
        let mut samples = vec![first];
        samples.extend(group.occurrences(now, now + self.settings().horizon)?);
        for o in &samples {
            let merged = inputs::merge(&process, set.as_ref(), &group.inputs_for(o));
            inputs::check(&process, &merged, true).map_err(|e| match e {
                Error::InvalidInput { problems } => Error::InvalidInput {
                    problems: problems
                        .into_iter()
                        .map(|mut p| {
                            p.message = format!("occurrence {} ({}): {}", o.n, o.local_date, p.message);
                            p
                        })
                        .collect(),
                },
                other => other,
            })?;
        }
        Ok(())
    }

    fn put_group(&self, group: &ReleaseGroup) -> Result<u32> {
        let doc = serde_json::to_value(group)
            .map_err(|e| Error::Storage { message: format!("release group `{}` cannot be stored: {e}", group.id) })?;
        self.store.put_document(GROUPS, &group.id, &doc)
    }

    /// Remembers that `group` is materialised up to its next occurrence after `now + horizon`.
    fn mark(&self, group: &ReleaseGroup, version: u32, now: Timestamp, horizon: chrono::Duration) {
        let edge = now + horizon;
        let year = chrono::Duration::days(366);
        let covered_until = group
            .recurrence()
            .ok()
            .and_then(|rec| group.expand(&rec, edge, edge + year).first().map(|o| o.start))
            .unwrap_or(edge + year);
        lock(&self.group_marks).insert(group.id.clone(), GroupMark { version, covered_until });
    }
}

/// The owners a group gives its releases: its own, else the process's (module rules).
fn release_owners(group: &ReleaseGroup, process_owners: &[String]) -> Vec<String> {
    if group.owners.is_empty() { process_owners.to_vec() } else { group.owners.clone() }
}

/// The start of the occurrence a group release stands for (module rules).
pub(super) fn occurrence_start(state: &ReleaseState) -> Option<Timestamp> {
    let planned = state.schedule.as_ref().map(|s| s.start);
    let recorded = state.occurrence.as_deref().and_then(|k| k.parse::<OccurrenceKey>().ok()).map(|k| k.start);
    // A person's reschedule or hand edit keeps the occurrence it was created for.
    let by_engine = state.scheduled_by.as_deref() == Some(SYSTEM) && !state.edited;
    if by_engine { planned.or(recorded) } else { recorded.or(planned) }
}

/// A release that moved on (started, deleted) while its group was changed is left alone; any
/// other error is returned.
fn skip_changed(release: &str, e: Error) -> Result<()> {
    match e {
        Error::InvalidTransition { .. } | Error::NotFound { .. } | Error::Conflict { .. } => {
            tracing::info!(release = %release, error = %e, "release group: release left as it is");
            Ok(())
        }
        other => Err(other),
    }
}

fn decode_group(id: &str, doc: serde_json::Value) -> Result<ReleaseGroup> {
    serde_json::from_value(doc)
        .map_err(|e| Error::Storage { message: format!("stored release group `{id}` cannot be read: {e}") })
}

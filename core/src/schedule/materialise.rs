//! Turning a [`ReleaseGroup`] into scheduled releases: [`materialise`] (idempotent, for a horizon)
//! and [`reconcile`] (after the group was edited). Both are pure: they say what to do, the engine
//! does it.
//!
//! # Rules
//! * An occurrence is identified by its [`OccurrenceKey`] (group id + start). A key that already
//!   has a release is never created again, so materialising twice creates nothing the second time.
//! * Materialisation covers occurrences starting in `[now, now + horizon)`. Occurrences whose start
//!   already passed are not created retroactively (a group created today with `starts_on` a year ago
//!   does not create 52 overdue releases).
//! * An occurrence **has started** when its release left `draft`/`scheduled`, or when its start is
//!   at or before `now`. Editing a group never touches started occurrences.
//! * An occurrence whose release a person **edited by hand** (`update`) is treated like a started
//!   one: editing the group later neither rewrites, replaces nor deletes it, and its start is not
//!   created again.
//! * [`reconcile`] matches not-started releases to the new group's occurrences by start time: same
//!   start → *rewrite* if anything the group gives its releases changed (name, end, process,
//!   inputs, input set, kind, scope, auto_start, owners), else keep. The remaining not-started releases are
//!   paired with the remaining new occurrences in time order (*rewrite*, which moves the release to
//!   its new start and keeps its id); what is left over is deleted or created.

use super::group::{Occurrence, OccurrenceKey, ReleaseGroup};
use crate::release::ReleaseStatus;
use crate::{Result, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The default materialisation horizon: 90 days (set with `Engine::set_horizon`).
pub const DEFAULT_HORIZON_DAYS: i64 = 90;

/// A release that exists for an occurrence of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingOccurrence {
    /// Its occurrence key (group + the start it was created for).
    pub key: OccurrenceKey,
    /// The release id.
    pub release_id: String,
    /// The release's status.
    pub status: ReleaseStatus,
    /// Whether a person edited the release by hand (`update`): the group leaves it alone.
    #[serde(default)]
    pub edited: bool,
}

impl ExistingOccurrence {
    /// Whether the occurrence has started, or is left alone as if it had (edited by hand; see the
    /// module rules).
    pub fn started(&self, now: Timestamp) -> bool {
        self.edited || !matches!(self.status, ReleaseStatus::Draft | ReleaseStatus::Scheduled) || self.key.start <= now
    }
}

/// A not-started release to bring in line with the edited group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrite {
    /// The release.
    pub release_id: String,
    /// The occurrence it was for.
    pub from: OccurrenceKey,
    /// The occurrence it is for now (new start, end, name).
    pub to: Occurrence,
    /// What changed: `start`, `end`, `name`, `process`, `inputs`, `input_set`, `kind`, `scope`,
    /// `auto_start`, `owners`.
    pub changes: Vec<String>,
}

/// What the engine should do for a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPlan {
    /// Occurrences to create a `scheduled` release for, in start order.
    pub create: Vec<Occurrence>,
    /// Not-started releases to rewrite (reschedule/rename/re-input), in start order.
    pub rewrite: Vec<Rewrite>,
    /// Not-started releases to delete (their occurrence is gone).
    pub delete: Vec<ExistingOccurrence>,
    /// Not-started releases left as they are.
    pub unchanged: Vec<OccurrenceKey>,
}

impl GroupPlan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.rewrite.is_empty() && self.delete.is_empty()
    }
}

/// The occurrences of `group` starting in `[now, now + horizon)` that have no release yet
/// (`existing` lists the keys that have one). Idempotent.
///
/// ```
/// use trainyard::schedule::{ReleaseGroup, materialise};
/// let group = ReleaseGroup::from_text(
///     "id: patch\nname: Patch day\nprocess: patch\ncadence: FREQ=WEEKLY;BYDAY=TU;BYHOUR=10\nduration: 4h\nstarts_on: 2025-01-01",
/// ).unwrap();
/// let now = "2025-04-01T00:00:00Z".parse().unwrap();
/// let plan = materialise(&group, &[], now, chrono::Duration::days(28)).unwrap();
/// assert_eq!(plan.create.len(), 4);
/// let keys: Vec<_> = plan.create.iter().map(|o| o.key()).collect();
/// assert!(materialise(&group, &keys, now, chrono::Duration::days(28)).unwrap().create.is_empty());
/// ```
pub fn materialise(
    group: &ReleaseGroup,
    existing: &[OccurrenceKey],
    now: Timestamp,
    horizon: chrono::Duration,
) -> Result<GroupPlan> {
    let existing: HashSet<&OccurrenceKey> = existing.iter().filter(|k| k.group == group.id).collect();
    let create = group.occurrences(now, now + horizon)?.into_iter().filter(|o| !existing.contains(&o.key())).collect();
    Ok(GroupPlan { create, ..GroupPlan::default() })
}

/// What to do after `old` was edited into `new`, given the releases that exist for the group
/// (`existing`, any status). Only not-started occurrences are rewritten or deleted; occurrences in
/// `[now, now + horizon)` that have no release are created (as [`materialise`] would).
pub fn reconcile(
    old: &ReleaseGroup,
    new: &ReleaseGroup,
    existing: &[ExistingOccurrence],
    now: Timestamp,
    horizon: chrono::Duration,
) -> Result<GroupPlan> {
    let mine = |e: &&ExistingOccurrence| e.key.group == old.id || e.key.group == new.id;
    let started: HashSet<Timestamp> =
        existing.iter().filter(mine).filter(|e| e.started(now)).map(|e| e.key.start).collect();
    let mut pending: Vec<&ExistingOccurrence> = existing.iter().filter(mine).filter(|e| !e.started(now)).collect();
    pending.sort_by(|a, b| a.key.cmp(&b.key));
    // Cover the whole span of the pending releases so none is deleted only for being past the horizon.
    let until = pending.iter().map(|e| e.key.start + chrono::Duration::seconds(1)).fold(now + horizon, Timestamp::max);
    let wanted: Vec<Occurrence> =
        new.occurrences(now, until)?.into_iter().filter(|o| o.start > now && !started.contains(&o.start)).collect();
    let old_by_start: BTreeMap<Timestamp, Occurrence> = match old.recurrence() {
        Ok(rec) => {
            let from = pending.first().map(|e| e.key.start).unwrap_or(now);
            old.expand(&rec, from, until).into_iter().map(|o| (o.start, o)).collect()
        }
        Err(_) => BTreeMap::new(),
    };
    let group_changes = group_changes(old, new);
    let mut plan = GroupPlan::default();
    let wanted_by_start: BTreeMap<Timestamp, &Occurrence> = wanted.iter().map(|o| (o.start, o)).collect();
    let mut unmatched_old = Vec::new();
    let mut matched = HashSet::new();
    for e in pending {
        match wanted_by_start.get(&e.key.start) {
            Some(o) => {
                matched.insert(o.start);
                let mut changes = group_changes.clone();
                match old_by_start.get(&o.start) {
                    Some(before) => {
                        if before.end != o.end {
                            changes.push("end".into());
                        }
                        if before.name != o.name {
                            changes.push("name".into());
                        }
                        if !changes.iter().any(|c| c == "inputs") && old.inputs_for(before) != new.inputs_for(o) {
                            changes.push("inputs".into());
                        }
                    }
                    None => changes.extend(["end".to_string(), "name".to_string()]),
                }
                if changes.is_empty() {
                    plan.unchanged.push(e.key.clone());
                } else {
                    plan.rewrite.push(Rewrite {
                        release_id: e.release_id.clone(),
                        from: e.key.clone(),
                        to: (*o).clone(),
                        changes,
                    });
                }
            }
            None => unmatched_old.push(e),
        }
    }
    let mut unmatched_new = wanted.iter().filter(|o| !matched.contains(&o.start) && o.start < now + horizon);
    for e in unmatched_old {
        match unmatched_new.next() {
            Some(o) => {
                let mut changes = vec!["start".to_string(), "end".to_string(), "name".to_string()];
                changes.extend(group_changes.iter().cloned());
                // Inputs rendered from templates may differ for the new date.
                let inputs_differ = match old_by_start.get(&e.key.start) {
                    Some(before) => old.inputs_for(before) != new.inputs_for(o),
                    None => new.inputs_for(o) != new.inputs,
                };
                if inputs_differ && !changes.iter().any(|c| c == "inputs") {
                    changes.push("inputs".into());
                }
                plan.rewrite.push(Rewrite {
                    release_id: e.release_id.clone(),
                    from: e.key.clone(),
                    to: o.clone(),
                    changes,
                });
            }
            None => plan.delete.push(e.clone()),
        }
    }
    plan.create.extend(unmatched_new.cloned());
    plan.rewrite.sort_by_key(|r| r.to.start);
    Ok(plan)
}

fn group_changes(old: &ReleaseGroup, new: &ReleaseGroup) -> Vec<String> {
    let mut changes = Vec::new();
    let mut diff = |changed: bool, what: &str| {
        if changed {
            changes.push(what.to_string());
        }
    };
    diff(old.process != new.process, "process");
    diff(old.inputs != new.inputs, "inputs");
    diff(old.input_set != new.input_set, "input_set");
    diff(old.kind != new.kind, "kind");
    diff(old.scope != new.scope, "scope");
    diff(old.auto_start != new.auto_start, "auto_start");
    diff(old.owners != new.owners, "owners");
    changes
}

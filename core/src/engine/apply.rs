//! Applying commands: authorize, load, [`step`], append with the expected sequence (deciding
//! again on a `conflict`), then carry the effects out.

use super::{Engine, MAX_CONFLICT_RETRIES, lock};
use crate::access::Actor;
use crate::model::InputType;
use crate::release::inputs::values_of_type;
use crate::release::{
    Command, Ctx, Event, NewRelease, ReleaseState, Stage, Transition, check_target, step, step_create,
};
use crate::store::{Append, ReleaseRow, decode_snapshot, encode_snapshot};
use crate::{Error, Result};
use std::sync::Arc;

/// How many release states the engine keeps in memory.
pub const STATE_CACHE_CAPACITY: usize = 10_000;

impl Engine {
    /// Creates a draft release of the latest version of `process_id` (the actor needs to manage
    /// the release's scope; see [`crate::access`]).
    pub fn create_release(&self, process_id: &str, new: NewRelease, actor: &Actor) -> Result<ReleaseState> {
        let plan = self.plan(process_id, None)?;
        let id = uuid::Uuid::now_v7().to_string();
        self.create_release_with_id(&id, plan, new, actor)
    }

    /// Creates a release with a given id (child releases have ids derived from their parent).
    /// `already_exists` if a release with that id exists.
    pub(crate) fn create_release_with_id(
        &self,
        id: &str,
        plan: std::sync::Arc<crate::release::Plan>,
        new: NewRelease,
        actor: &Actor,
    ) -> Result<ReleaseState> {
        let mut new = new;
        if new.scope.is_empty() {
            new.scope = "account".into();
        }
        // A release has a release manager: the person who creates it, unless others are named.
        if new.release_managers.is_empty() && !actor.is_system() {
            new.release_managers = vec![actor.id.clone()];
        }
        crate::access::authorize(
            actor,
            crate::access::Action::Create,
            &crate::access::AccessTarget::scope(&new.scope),
            self.release_level(),
        )?;
        self.check_process_usable(&plan.process.id, &new.scope, actor)?;
        let started = std::time::Instant::now();
        let ctx = Ctx { now: self.clock.now(), actor, comment: None, frozen_until: None, phase_history: None };
        let (state, mut transition) = step_create(id, plan, &new, &ctx)?;
        let row = row_of(&state);
        let notifications = std::mem::take(&mut transition.effects.notifications);
        let entry = self.feed_entry(None, &state, &transition.events, actor, notifications);
        let inbox = crate::release::inbox::entries(&state);
        let changed = (!inbox.is_empty()).then_some(inbox.as_slice());
        let ledger = crate::release::ledger::entries_of(&state, &transition.events);
        let mut batch = append_of(id, 0, &transition, &row, &entry, changed);
        batch.labels = (!state.metadata.labels.is_empty()).then_some(&state.metadata.labels);
        batch.ledger = &ledger;
        match self.store.append(&batch) {
            Ok(()) => {}
            Err(Error::Conflict { .. }) if self.store.release(id)?.is_some() => {
                return Err(Error::AlreadyExists { kind: "release".into(), id: id.to_string(), hint: None });
            }
            Err(e) => return Err(e),
        }
        self.metrics.command(started.elapsed().as_secs_f64());
        tracing::info!(release = %id, process = %state.process_id, "release created");
        let snapshot = state.clone();
        self.cache_put(id, state);
        self.run_effects(id, transition.effects, &row, &entry.notifications);
        Ok(snapshot)
    }

    /// Keeps a release's state in the cache. The cache is bounded ([`STATE_CACHE_CAPACITY`]): past
    /// it, some other state is dropped (it is only a cache; a dropped release is reloaded from its
    /// snapshot and the events after it).
    pub(crate) fn cache_put(&self, id: &str, state: ReleaseState) {
        self.cache_put_shared(id, Arc::new(state));
    }

    /// [`Engine::cache_put`] of a state already shared.
    fn cache_put_shared(&self, id: &str, state: Arc<ReleaseState>) {
        let mut cache = lock(&self.cache);
        if cache.len() >= STATE_CACHE_CAPACITY && !cache.contains_key(id) {
            if let Some(victim) = cache.keys().find(|k| k.as_str() != id).cloned() {
                cache.remove(&victim);
            }
        }
        cache.entry_ref(id).insert(state);
    }

    /// The current state of a release, shared with the engine's cache (reading it copies nothing;
    /// the next command on the release works on its own copy only while a reader still holds this
    /// one). A cached state is served only while it is at the store's sequence (another engine may
    /// have appended since); otherwise the release is reloaded.
    pub fn get_release(&self, id: &str) -> Result<Arc<ReleaseState>> {
        let row = self.require_row(id)?;
        if let Some(s) = lock(&self.cache).get(id) {
            if s.seq == row.seq {
                return Ok(s.clone());
            }
        }
        let state = Arc::new(self.load_row(&row)?);
        self.cache_put_shared(id, state.clone());
        Ok(state)
    }

    /// The release's events: its audit trail.
    pub fn history(&self, id: &str) -> Result<Vec<Event>> {
        self.require_row(id)?;
        self.store.events(id, 0)
    }

    /// Applies a command to a release and returns the events it appended.
    pub fn execute(&self, id: &str, cmd: Command, actor: &Actor, comment: Option<&str>) -> Result<Vec<Event>> {
        let span = tracing::info_span!("command", release = %id, command = cmd.name(), actor = %actor.id);
        let _enter = span.enter();
        self.apply(id, &cmd, actor, comment)
    }

    pub(crate) fn require_row(&self, id: &str) -> Result<crate::store::ReleaseRow> {
        match self.store.release(id)? {
            Some(row) if !row.deleted => Ok(row),
            _ => Err(Error::NotFound { kind: "release".into(), id: id.to_string(), hint: None }),
        }
    }

    /// Loads a release: its latest snapshot (if any, and readable) plus the events after it.
    pub(crate) fn load(&self, id: &str) -> Result<ReleaseState> {
        let row = self.require_row(id)?;
        self.load_row(&row)
    }

    fn load_row(&self, row: &ReleaseRow) -> Result<ReleaseState> {
        let id = row.id.as_str();
        let plan = self.plan(&row.process_id, Some(row.process_version))?;
        let snapshot = match self.store.snapshot(id) {
            // A snapshot of another process version (taken before a draft switched) is not used.
            Ok(Some((seq, v))) => decode_snapshot(&v)?.filter(|st| {
                st.seq == seq
                    && st.id == id
                    && st.process_id == row.process_id
                    && st.process_version == row.process_version
            }),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(release = %id, error = %e, "snapshot unreadable; replaying every event");
                None
            }
        };
        let mut state = match snapshot {
            Some(mut s) => {
                s.attach_plan(plan);
                s
            }
            None => ReleaseState::new(id, plan),
        };
        for e in self.store.events(id, state.seq)? {
            if e.seq != state.seq + 1 {
                return Err(Error::Storage {
                    message: format!(
                        "the event log of release {id} jumps from event {} to {}: the store is damaged",
                        state.seq, e.seq
                    ),
                });
            }
            crate::release::evolve(&mut state, &e);
        }
        Ok(state)
    }

    /// Loads a release, replaying every event (no snapshot): what the snapshots must agree with.
    pub fn replay_release(&self, id: &str) -> Result<ReleaseState> {
        let row = self.require_row(id)?;
        let plan = self.plan(&row.process_id, Some(row.process_version))?;
        Ok(crate::release::replay(id, plan, &self.store.events(id, 0)?))
    }

    /// The release's state out of the cache (still shared if a reader holds it), or loaded.
    fn take_state(&self, id: &str) -> Result<Arc<ReleaseState>> {
        if let Some(s) = lock(&self.cache).remove(id) {
            if s.stage != Stage::Deleted {
                return Ok(s);
            }
        }
        Ok(Arc::new(self.load(id)?))
    }

    /// Authorizes `cmd`, steps the release and commits the transition (deciding again, against the
    /// fresh state, after a `conflict`), then carries its effects out.
    pub(crate) fn apply(&self, id: &str, cmd: &Command, actor: &Actor, comment: Option<&str>) -> Result<Vec<Event>> {
        self.apply_at(id, cmd, actor, comment, None)
    }

    /// [`Engine::apply`] with the events stamped `at` (not before the release's last event)
    /// instead of the clock's time: for outcomes that happened before they were reported.
    pub(crate) fn apply_at(
        &self,
        id: &str,
        cmd: &Command,
        actor: &Actor,
        comment: Option<&str>,
        at: Option<crate::Timestamp>,
    ) -> Result<Vec<Event>> {
        let started = std::time::Instant::now();
        for round in 0..MAX_CONFLICT_RETRIES {
            if round > 0 {
                self.metrics.conflict_retried();
            }
            let mut shared = self.take_state(id)?;
            // The cached state itself, or a copy while a reader still holds it.
            let state = Arc::make_mut(&mut shared);
            let now = at.unwrap_or_else(|| self.clock.now());
            let now = state.updated_at.map_or(now, |last| now.max(last));
            let level = self.release_level();
            let checks = check_target(state, cmd)
                .and_then(|()| crate::access::authorize_command(actor, cmd, state, level))
                .and_then(|()| self.check_activation_freeze(state, cmd, actor, now))
                .and_then(|()| self.check_gate_cycles(state, cmd));
            if let Err(e) = checks {
                self.cache_put_shared(id, shared);
                return Err(e);
            }
            let frozen_until = self.frozen_until(state, now);
            let history = self.risk_history(state, cmd, now);
            let ctx = Ctx { now, actor, comment, frozen_until, phase_history: history.as_deref() };
            let expected = state.seq;
            let before = state.status;
            let inbox_before = crate::release::inbox::entries(state);
            let labels_before = state.metadata.labels.clone();
            let mut transition = match step(state, cmd, &ctx) {
                Ok(t) => t,
                Err(e) => {
                    // A refusal against a state another engine has moved past is decided again.
                    let fresh = self.store.release(id)?.is_some_and(|r| r.seq == state.seq);
                    if fresh {
                        self.cache_put_shared(id, shared);
                        return Err(e);
                    }
                    continue;
                }
            };
            if transition.events.is_empty() {
                // Nothing happened (a gate report that changes nothing): nothing to write.
                self.cache_put_shared(id, shared);
                return Ok(Vec::new());
            }
            let row = row_of(state);
            let notifications = std::mem::take(&mut transition.effects.notifications);
            let entry = self.feed_entry(Some(before), state, &transition.events, actor, notifications);
            let inbox = crate::release::inbox::entries(state);
            let changed = (inbox != inbox_before).then_some(inbox.as_slice());
            let ledger = crate::release::ledger::entries_of(state, &transition.events);
            let mut batch = append_of(id, expected, &transition, &row, &entry, changed);
            batch.labels = (state.metadata.labels != labels_before).then_some(&state.metadata.labels);
            batch.ledger = &ledger;
            match self.store.append(&batch) {
                Ok(()) => {
                    self.metrics.command(started.elapsed().as_secs_f64());
                    self.maybe_snapshot(state, expected);
                    if state.stage == Stage::Ended {
                        self.forget_risk_history(&state.process_id);
                    }
                    self.cache_put_shared(id, shared);
                    let Transition { events, effects } = transition;
                    self.run_effects(id, effects, &row, &entry.notifications);
                    return Ok(events);
                }
                // Another engine took the last place of a lock this grant needs: the request
                // waits on (deciding again would ask the store the same question).
                Err(e) if crate::release::locks::is_lock_taken(&e) => return Err(e),
                // The state moved past the store: it is dropped, and the next round reloads it.
                Err(Error::Conflict { .. }) => {
                    tracing::debug!(release = %id, "append conflict; deciding again");
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict {
            message: format!(
                "release {id} kept changing under this command; gave up after {MAX_CONFLICT_RETRIES} tries"
            ),
        })
    }

    /// Saves a snapshot when the release crossed a snapshot boundary with this append. Snapshots
    /// are a cache: a failure is logged, never returned.
    fn maybe_snapshot(&self, state: &ReleaseState, before: u64) {
        let every = self.settings().snapshot_every.unwrap_or_else(|| self.store.snapshot_every());
        if every == 0 {
            return;
        }
        let activities: u64 = state.counts.iter().map(|&c| c as u64).sum();
        let interval = every.max(activities);
        if state.seq / interval == before / interval {
            return;
        }
        let result = encode_snapshot(state).and_then(|v| self.store.put_snapshot(&state.id, state.seq, &v));
        if let Err(e) = result {
            tracing::warn!(release = %state.id, error = %e, "snapshot not saved");
        }
    }
}

/// The store write of a transition: its events, the release's row, the jobs it queued and ended,
/// its feed entry and, when they changed, its inbox entries (the caller adds its labels and
/// ledger entries).
fn append_of<'a>(
    id: &'a str,
    expected: u64,
    t: &'a Transition,
    row: &'a ReleaseRow,
    entry: &'a crate::feed::FeedEntry,
    inbox: Option<&'a [crate::release::InboxEntry]>,
) -> Append<'a> {
    Append {
        new_jobs: &t.effects.jobs_queued,
        done_jobs: &t.effects.jobs_ended,
        feed: Some(entry),
        inbox,
        watches: t.effects.watches.as_deref(),
        locks: (!t.effects.locks.is_empty()).then_some(&t.effects.locks),
        ..Append::new(id, expected, &t.events, row)
    }
}

/// The index row of a release.
pub(crate) fn row_of(state: &ReleaseState) -> ReleaseRow {
    ReleaseRow {
        id: state.id.clone(),
        name: state.name.clone(),
        process_id: state.process_id.clone(),
        process_version: state.process_version,
        status: state.status,
        kind: state.kind,
        scope: state.scope.clone(),
        group: state.group.clone(),
        archived: state.archived,
        deleted: state.stage == Stage::Deleted,
        next_due: state.next_timer().map(|(_, due)| *due),
        seq: state.seq,
        created_at: state.created_at,
        planned_start: state.schedule.as_ref().map(|s| s.start),
        planned_end: state.schedule.as_ref().and_then(|s| s.end),
        started_at: state.started_at,
        ended_at: state.ended_at,
        services: values_of_type(state, InputType::Service),
        environments: values_of_type(state, InputType::Environment),
        labels: state.metadata.labels.clone(),
        version: state.metadata.version.clone(),
        updated_at: state.updated_at,
    }
}

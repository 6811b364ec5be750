//! Applying commands: decide, evolve, advance, append (with conflict retries), effects.

use super::effects::Effects;
use super::{Engine, MAX_CONFLICT_RETRIES, lock};
use crate::access::Actor;
use crate::executor::Job;
use crate::model::InputType;
use crate::release::{
    ActivityStatus, Command, Ctx, Event, EventKind, NewRelease, ReleaseState, Stage, TimerKey, decide, decide_create,
    evolve,
};
use crate::store::{Append, ReleaseRow, decode_snapshot, encode_snapshot};
use crate::{Error, Result, Timestamp};
use std::collections::{HashMap, HashSet};

/// How many release states the engine keeps in memory.
pub const STATE_CACHE_CAPACITY: usize = 10_000;

/// Rounds of advancing after one command before the engine assumes a bug (each round starts or
/// ends at least one node, so a real release never comes close).
const MAX_ADVANCE_ROUNDS: usize = 1_000_000;

impl Engine {
    /// Creates a draft release of the latest version of `process_id` (the actor needs to manage
    /// the release's scope; see [`crate::access`]).
    pub fn create_release(&self, process_id: &str, new: NewRelease, actor: &Actor) -> Result<ReleaseState> {
        let plan = self.plan(process_id, None)?;
        let id = uuid::Uuid::now_v7().to_string();
        self.create_release_with_id(&id, plan, new, actor)
    }

    /// Creates a release with a given id (child releases have ids derived from their parent).
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
        crate::access::authorize(
            actor,
            crate::access::Action::Create,
            &crate::access::AccessTarget::scope(&new.scope),
            self.release_level(),
        )?;
        let ctx = Ctx { now: self.clock.now(), actor, comment: None, frozen_until: None };
        let events = decide_create(&plan, &new, &ctx)?;
        let mut state = ReleaseState::new(id, plan);
        for e in &events {
            evolve(&mut state, e);
        }
        let row = row_of(&state);
        self.store.append(&Append::new(id, 0, &events, &row))?;
        tracing::info!(release = %id, process = %state.process_id, "release created");
        let snapshot = state.clone();
        let fx = Effects::of(&state, &events, Vec::new(), row);
        self.cache_put(id, state);
        self.run_effects(fx);
        Ok(snapshot)
    }

    /// Keeps a release's state in the cache. The cache is bounded ([`STATE_CACHE_CAPACITY`]): past
    /// it, some other state is dropped (it is only a cache; a dropped release is reloaded from its
    /// snapshot and the events after it).
    pub(crate) fn cache_put(&self, id: &str, state: ReleaseState) {
        let mut cache = lock(&self.cache);
        if cache.len() >= STATE_CACHE_CAPACITY && !cache.contains_key(id) {
            if let Some(victim) = cache.keys().find(|k| k.as_str() != id).cloned() {
                cache.remove(&victim);
            }
        }
        cache.insert(id.to_string(), state);
    }

    /// The current state of a release. A cached state is served only while it is at the store's
    /// sequence (another engine may have appended since); otherwise the release is reloaded.
    pub fn get_release(&self, id: &str) -> Result<ReleaseState> {
        let row = self.require_row(id)?;
        if let Some(s) = lock(&self.cache).get(id) {
            if s.seq == row.seq {
                return Ok(s.clone());
            }
        }
        let state = self.load_row(&row)?;
        self.cache_put(id, state.clone());
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
        self.apply_at(id, &cmd, actor, comment, None)
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
            Ok(s) => s.and_then(|(seq, v)| decode_snapshot(&v).filter(|st| st.seq == seq && st.id == id)),
            Err(e) => {
                tracing::warn!(release = %id, error = %e, "snapshot unreadable; replaying every event");
                None
            }
        };
        let mut state = match snapshot {
            Some(mut s) => {
                s.plan = Some(plan);
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
            evolve(&mut state, &e);
        }
        Ok(state)
    }

    /// Loads a release, replaying every event (no snapshot): what the snapshots must agree with.
    pub fn replay_release(&self, id: &str) -> Result<ReleaseState> {
        let row = self.require_row(id)?;
        let plan = self.plan(&row.process_id, Some(row.process_version))?;
        let mut state = ReleaseState::new(id, plan);
        for e in self.store.events(id, 0)? {
            evolve(&mut state, &e);
        }
        Ok(state)
    }

    fn take_state(&self, id: &str) -> Result<ReleaseState> {
        if let Some(s) = lock(&self.cache).remove(id) {
            if s.stage != Stage::Deleted {
                return Ok(s);
            }
        }
        self.load(id)
    }

    /// Decides `cmd` at `at` (default: now) and commits it with everything it makes ready.
    pub(crate) fn apply_at(
        &self,
        id: &str,
        cmd: &Command,
        actor: &Actor,
        comment: Option<&str>,
        at: Option<Timestamp>,
    ) -> Result<Vec<Event>> {
        let system = Actor::system();
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut state = self.take_state(id)?;
            let now = at.unwrap_or_else(|| self.clock.now());
            let now = state.updated_at.map_or(now, |last| now.max(last));
            let level = self.release_level();
            let checks = crate::access::authorize_command(actor, cmd, &state, level)
                .and_then(|()| self.check_activation_freeze(&state, cmd, actor, now));
            if let Err(e) = checks {
                self.cache_put(id, state);
                return Err(e);
            }
            let frozen_until = self.frozen_until(&state, now);
            let ctx = Ctx { now, actor, comment, frozen_until };
            let events = match decide(&state, cmd, &ctx) {
                Ok(e) => e,
                Err(e) => {
                    // A refusal against a state another engine has moved past is decided again.
                    let fresh = self.store.release(id)?.is_some_and(|r| r.seq == state.seq);
                    if fresh {
                        self.cache_put(id, state);
                        return Err(e);
                    }
                    continue;
                }
            };
            let expected = state.seq;
            let cancelled = in_flight_jobs_cancelled_by(&state, &events);
            let mut touched = JobTracker::default();
            touched.before(&state, &events);
            let mut all = events;
            for e in &all {
                evolve(&mut state, e);
            }
            let sys = Ctx { now, actor: &system, comment: None, frozen_until };
            let mut rounds = 0;
            loop {
                let more = decide(&state, &Command::Advance, &sys)?;
                if more.is_empty() {
                    break;
                }
                for e in &more {
                    evolve(&mut state, e);
                }
                all.extend(more);
                rounds += 1;
                if rounds > MAX_ADVANCE_ROUNDS {
                    return Err(Error::Storage {
                        message: format!("release {id} did not settle after {rounds} rounds"),
                    });
                }
            }
            let (new_jobs, done_jobs) = touched.after(&state, &all, &cancelled);
            let row = row_of(&state);
            let batch = Append { new_jobs: &new_jobs, done_jobs: &done_jobs, ..Append::new(id, expected, &all, &row) };
            match self.store.append(&batch) {
                Ok(()) => {
                    self.maybe_snapshot(&state, expected);
                    let fx = Effects::of(&state, &all, cancelled, row);
                    self.cache_put(id, state);
                    self.run_effects(fx);
                    return Ok(all);
                }
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

/// The jobs an append queues and ends: the job ids of the activities its events touch, before and
/// after.
#[derive(Default)]
struct JobTracker {
    /// `(phase, activity)` → the in-flight job before the batch.
    seen: HashMap<(String, String), Option<String>>,
}

/// The activity an event is about, for the events that start or end jobs.
fn activity_of(kind: &EventKind) -> Option<(&str, &str)> {
    match kind {
        EventKind::ActivityQueued { phase, activity, .. }
        | EventKind::ActivityStarted { phase, activity, .. }
        | EventKind::ActivitySucceeded { phase, activity, .. }
        | EventKind::ActivityFailed { phase, activity, .. }
        | EventKind::ActivitySkipped { phase, activity, .. }
        | EventKind::ActivityDecided { phase, activity, .. }
        | EventKind::TimerFired { timer: TimerKey::Timeout { phase, activity, .. } } => Some((phase, activity)),
        _ => None,
    }
}

fn live_job(state: &ReleaseState, phase: &str, activity: &str) -> Option<String> {
    state.activity(phase, activity).filter(|a| a.status.is_in_flight()).and_then(|a| a.job_id.clone())
}

impl JobTracker {
    /// Notes the in-flight jobs of the activities `events` touch, before they are applied.
    fn before(&mut self, state: &ReleaseState, events: &[Event]) {
        for e in events {
            if let Some((p, a)) = activity_of(&e.kind) {
                self.seen.entry((p.to_string(), a.to_string())).or_insert_with(|| live_job(state, p, a));
            }
        }
    }

    /// `(new jobs, ended job ids)` once every event of the batch is applied.
    fn after(&self, state: &ReleaseState, events: &[Event], cancelled: &[Job]) -> (Vec<Job>, Vec<String>) {
        let mut new_jobs = Vec::new();
        for e in events {
            if let EventKind::ActivityQueued { phase, activity, attempt, job_id, executor, inputs } = &e.kind {
                let later_end = events.iter().filter(|x| x.seq > e.seq).any(|x| {
                    matches!(&x.kind, EventKind::ActivitySucceeded { phase: p, activity: a, .. }
                        | EventKind::ActivityFailed { phase: p, activity: a, .. }
                        | EventKind::ActivitySkipped { phase: p, activity: a, .. } if p == phase && a == activity)
                });
                if later_end || live_job(state, phase, activity).as_deref() != Some(job_id.as_str()) {
                    continue;
                }
                let timeout = state
                    .plan()
                    .phase_index(phase)
                    .and_then(|p| state.plan().phases[p].activity_index(activity).map(|a| (p, a)))
                    .and_then(|(p, a)| state.plan().activity_def(p, a).timeout.clone());
                new_jobs.push(Job {
                    id: job_id.clone(),
                    release_id: state.id.clone(),
                    phase_id: phase.clone(),
                    activity_id: activity.clone(),
                    attempt: *attempt,
                    executor: executor.clone(),
                    inputs: inputs.clone(),
                    deadline: timeout.map(|t| e.at + chrono::Duration::seconds(t.as_secs() as i64)),
                });
            }
        }
        // An attempt ends when its activity succeeds, fails (even when a retry follows after a
        // backoff: the retry is a new attempt with a new job) or is skipped, or when the activity
        // moves on to another job.
        let mut ended: HashSet<(&str, &str)> = HashSet::new();
        for e in events {
            match &e.kind {
                EventKind::ActivitySucceeded { phase, activity, .. }
                | EventKind::ActivityFailed { phase, activity, .. }
                | EventKind::ActivitySkipped { phase, activity, .. } => {
                    ended.insert((phase, activity));
                }
                _ => {}
            }
        }
        let mut done: HashSet<String> = HashSet::new();
        for ((p, a), before) in &self.seen {
            if let Some(before) = before {
                let live = live_job(state, p, a);
                if live.as_deref() != Some(before.as_str()) || ended.contains(&(p.as_str(), a.as_str())) {
                    done.insert(before.clone());
                }
            }
        }
        done.extend(cancelled.iter().map(|j| j.id.clone()));
        let mut done: Vec<String> = done.into_iter().collect();
        done.sort();
        (new_jobs, done)
    }
}

/// The jobs an abort or a timeout in `events` stops (their executors are asked to cancel).
fn in_flight_jobs_cancelled_by(state: &ReleaseState, events: &[Event]) -> Vec<Job> {
    let mut out = Vec::new();
    let job = |p: usize, a: usize| {
        let act = &state.phases[p].activities[a];
        let def = state.plan().activity_def(p, a);
        act.job_id.as_ref().map(|id| Job {
            id: id.clone(),
            release_id: state.id.clone(),
            phase_id: state.plan().phases[p].id.clone(),
            activity_id: act.id.clone(),
            attempt: act.attempt,
            executor: def.executor.clone().unwrap_or_default(),
            inputs: act.job_inputs.clone(),
            deadline: None,
        })
    };
    for e in events {
        match &e.kind {
            EventKind::Aborted => {
                for (p, ph) in state.phases.iter().enumerate() {
                    for (a, act) in ph.activities.iter().enumerate() {
                        if act.status.is_in_flight() {
                            out.extend(job(p, a));
                        }
                    }
                }
            }
            EventKind::TimerFired { timer: TimerKey::Timeout { phase, activity, .. } } => {
                if let Some(p) = state.plan().phase_index(phase) {
                    if let Some(a) = state.plan().phases[p].activity_index(activity) {
                        if state.phases[p].activities[a].status == ActivityStatus::Running {
                            out.extend(job(p, a));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
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
        services: input_values_of(state, InputType::Service),
        environments: input_values_of(state, InputType::Environment),
    }
}

/// The values of a release's inputs of type `ty` (or lists of `ty`).
fn input_values_of(state: &ReleaseState, ty: InputType) -> Vec<String> {
    let process = &state.plan().process;
    let mut out = Vec::new();
    for (name, def) in &process.inputs {
        let matches = def.ty == ty || (def.ty == InputType::List && def.items == Some(ty));
        if !matches {
            continue;
        }
        match state.inputs.get(name) {
            Some(serde_json::Value::String(s)) => out.push(s.clone()),
            Some(serde_json::Value::Array(items)) => {
                out.extend(items.iter().filter_map(|v| v.as_str().map(String::from)))
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

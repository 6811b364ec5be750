//! Applying commands: decide, evolve, advance, append (with conflict retries), effects.

use super::{Engine, MAX_CONFLICT_RETRIES, lock};
use crate::access::Actor;
use crate::executor::Job;
use crate::release::{
    ActivityStatus, Command, Ctx, Event, EventKind, NewRelease, ReleaseState, Stage, TimerKey, decide, decide_create,
    evolve,
};
use crate::model::InputType;
use crate::store::ReleaseRow;
use crate::{Error, Result, Timestamp};

/// Rounds of advancing after one command before the engine assumes a bug (each round starts or
/// ends at least one node, so a real release never comes close).
const MAX_ADVANCE_ROUNDS: usize = 1_000_000;

impl Engine {
    /// Creates a draft release of the latest version of `process_id`.
    pub fn create_release(&self, process_id: &str, new: NewRelease, actor: &Actor) -> Result<ReleaseState> {
        let plan = self.plan(process_id, None)?;
        let id = uuid::Uuid::now_v7().to_string();
        let mut new = new;
        if new.scope.is_empty() {
            new.scope = "account".into();
        }
        let ctx = Ctx { now: self.clock.now(), actor, comment: None };
        let events = decide_create(&plan, &new, &ctx)?;
        let mut state = ReleaseState::new(&id, plan);
        state.id = id.clone();
        for e in &events {
            evolve(&mut state, e);
        }
        self.store.append(&id, 0, &events, &row_of(&state))?;
        tracing::info!(release = %id, process = %process_id, "release created");
        let snapshot = state.clone();
        lock(&self.cache).insert(id, state);
        Ok(snapshot)
    }

    /// The current state of a release.
    pub fn get_release(&self, id: &str) -> Result<ReleaseState> {
        if let Some(s) = lock(&self.cache).get(id) {
            return Ok(s.clone());
        }
        let state = self.load(id)?;
        lock(&self.cache).insert(id.to_string(), state.clone());
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

    /// Folds a release from its events.
    pub(crate) fn load(&self, id: &str) -> Result<ReleaseState> {
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
            let ctx = Ctx { now, actor, comment };
            let events = match decide(&state, cmd, &ctx) {
                Ok(e) => e,
                Err(e) => {
                    lock(&self.cache).insert(id.to_string(), state);
                    return Err(e);
                }
            };
            let expected = state.seq;
            let cancelled = in_flight_jobs_cancelled_by(&state, &events);
            let mut all = events;
            for e in &all {
                evolve(&mut state, e);
            }
            let sys = Ctx { now, actor: &system, comment: None };
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
            match self.store.append(id, expected, &all, &row_of(&state)) {
                Ok(()) => {
                    self.after_commit(&state, &all, &cancelled);
                    lock(&self.cache).insert(id.to_string(), state);
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

    /// Effects after a commit: queue jobs for in-process executors, cancel aborted/timed-out ones.
    fn after_commit(&self, state: &ReleaseState, events: &[Event], cancelled: &[Job]) {
        for job in cancelled {
            lock(&self.jobs).retain(|j| j.id != job.id);
            if let Some(exec) = self.executor(&job.executor) {
                exec.cancel(job);
            }
        }
        for e in events {
            if let EventKind::ActivityQueued { phase, activity, attempt, job_id, executor, inputs } = &e.kind {
                if self.executor(executor).is_some() {
                    let timeout = state
                        .plan()
                        .phase_index(phase)
                        .and_then(|p| state.plan().phases[p].activity_index(activity).map(|a| (p, a)))
                        .and_then(|(p, a)| state.plan().activity_def(p, a).timeout.clone());
                    lock(&self.jobs).push_back(Job {
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
        }
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
            Some(serde_json::Value::Array(items)) => out.extend(items.iter().filter_map(|v| v.as_str().map(String::from))),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

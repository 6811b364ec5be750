//! [`step`]: one command, all the way. Decide it, apply its events, and let the release advance
//! (start what became ready, close finished phases, end the release) until nothing changes; return
//! the events **and** what they mean for the outside world ([`Effects`]). Pure, like `decide`: no
//! I/O, no clock reads. The engine only authorizes, loads, calls `step`, appends, and carries the
//! effects out.

use super::decide::decide_risk;
use super::evolve::apply;
use super::locks::{LockChanges, LockClaim, LockKey};
use super::{
    ActivityRef, Command, Ctx, Event, EventKind, NewRelease, ParentLink, Plan, ReleaseKind, ReleaseState, ReleaseStatus,
};
use super::{TimerChanges, decide, decide_create};
use crate::access::Actor;
use crate::executor::Job;
use crate::notify::{Notification, notifications_for};
use crate::{Error, Result};
use indexmap::IndexMap;
use serde_json::Value;
use std::sync::Arc;

/// Rounds of advancing after one command before `step` assumes a bug (each round starts or ends
/// at least one node, so a real release never comes close).
const MAX_ADVANCE_ROUNDS: usize = 1_000_000;

/// What one command did: the events to append (numbered after the state's last sequence) and
/// their effects.
#[derive(Debug, Default)]
pub struct Transition {
    /// The events, in order.
    pub events: Vec<Event>,
    /// What the events imply for the store, the executors and other releases.
    pub effects: Effects,
}

/// What a transition means for the outside world. Worked out while the events are applied (where
/// the state knows which job, timer or child an event starts or ends), never by diffing afterwards.
#[derive(Debug, Default)]
pub struct Effects {
    /// Jobs the events queued (and that are still queued at the end): stored in the same append,
    /// then claimed by executors and workers.
    pub jobs_queued: Vec<Job>,
    /// Ids of jobs whose attempt ended (success, failure, skip, abort, timeout): removed from the
    /// store in the same append; their lease tokens become stale.
    pub jobs_ended: Vec<String>,
    /// In-flight jobs whose executors are asked to cancel (abort, timeout).
    pub jobs_cancelled: Vec<Job>,
    /// The net change of the release's timers.
    pub timers: TimerChanges,
    /// Child releases of subprocess attempts to create and activate.
    pub children_started: Vec<ChildStart>,
    /// Child releases to abort (the parent was aborted, or the attempt timed out).
    pub children_aborted: Vec<ChildAbort>,
    /// When this is a child release that ended: what to tell its parent.
    pub parent_report: Option<ParentReport>,
    /// Notifications, with resolved recipients.
    pub notifications: Vec<Notification>,
    /// Gates that opened: the engine resolves their targets and reports them
    /// ([`super::gates`]).
    pub gates_opened: Vec<super::gates::GateOpen>,
    /// The releases this release's waiting gates watch after the transition, when that changed
    /// ([`ReleaseState::gate_watches`]): stored in the same append.
    pub watches: Option<Vec<String>>,
    /// The locks the transition asked for, was granted and let go ([`super::locks`]): stored in
    /// the same append (which checks the capacity of those granted).
    pub locks: LockChanges,
}

/// A child release to create and activate for a subprocess attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildStart {
    /// The subprocess activity it runs for.
    pub parent: ParentLink,
    /// The child's id (derived from the parent, the activity and the attempt).
    pub child_id: String,
    /// The child's process.
    pub process: String,
    /// The pinned child process version (latest when absent).
    pub version: Option<u32>,
    /// The child's inputs (the activity's resolved `with`).
    pub inputs: IndexMap<String, Value>,
    /// The child's name (`<parent name> › <activity name>`).
    pub name: String,
    /// The parent's kind.
    pub kind: ReleaseKind,
    /// The parent's scope.
    pub scope: String,
    /// The parent's owners.
    pub owners: Vec<String>,
    /// The parent's release managers.
    pub release_managers: Vec<String>,
    /// The parent's stakeholders.
    pub stakeholders: Vec<String>,
}

/// A child release to abort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildAbort {
    /// The child release.
    pub child_id: String,
    /// The reason recorded on the child.
    pub reason: String,
}

/// What a child release that ended tells its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentReport {
    /// The parent's subprocess activity.
    pub parent: ParentLink,
    /// The child release.
    pub child_id: String,
    /// How the child ended.
    pub status: ReleaseStatus,
    /// The child's phase outputs, plus `release_id`.
    pub outputs: IndexMap<String, Value>,
}

/// Receives the effects of events while they are applied. Replay uses [`NoEffects`].
pub(crate) trait EffectSink {
    /// An `activity_queued` handed out a job.
    fn job_queued(&mut self, job: Job);
    /// A job's attempt ended.
    fn job_ended(&mut self, id: &str);
    /// A job's executor is asked to cancel.
    fn job_cancelled(&mut self, job: Job);
    /// A subprocess attempt starts a child release.
    fn child_started(&mut self, child: ChildStart);
    /// A child release is to be aborted.
    fn child_aborted(&mut self, child_id: String, reason: String);
    /// This child release ended.
    fn report_to_parent(&mut self, report: ParentReport);
    /// A gate opened: its targets are to be resolved.
    fn gate_opened(&mut self, gate: super::gates::GateOpen);
    /// A lock was asked for.
    fn lock_requested(&mut self, claim: &LockClaim);
    /// A waiting lock was granted.
    fn lock_acquired(&mut self, claim: &LockClaim);
    /// A lock was let go (or its request given up).
    fn lock_released(&mut self, key: &LockKey);
}

/// The sink of replay: effects happened when the events were first committed.
pub(crate) struct NoEffects;

impl EffectSink for NoEffects {
    fn job_queued(&mut self, _: Job) {}
    fn job_ended(&mut self, _: &str) {}
    fn job_cancelled(&mut self, _: Job) {}
    fn child_started(&mut self, _: ChildStart) {}
    fn child_aborted(&mut self, _: String, _: String) {}
    fn report_to_parent(&mut self, _: ParentReport) {}
    fn gate_opened(&mut self, _: super::gates::GateOpen) {}
    fn lock_requested(&mut self, _: &LockClaim) {}
    fn lock_acquired(&mut self, _: &LockClaim) {}
    fn lock_released(&mut self, _: &LockKey) {}
}

impl EffectSink for Effects {
    fn job_queued(&mut self, job: Job) {
        self.jobs_queued.push(job);
    }

    fn job_ended(&mut self, id: &str) {
        // A job queued and ended within the same transition never reaches the store.
        if let Some(i) = self.jobs_queued.iter().position(|j| j.id == id) {
            self.jobs_queued.remove(i);
        } else if !self.jobs_ended.iter().any(|j| j == id) {
            self.jobs_ended.push(id.to_string());
        }
    }

    fn job_cancelled(&mut self, job: Job) {
        if !self.jobs_cancelled.iter().any(|j| j.id == job.id) {
            self.jobs_cancelled.push(job);
        }
    }

    fn child_started(&mut self, child: ChildStart) {
        self.children_started.push(child);
    }

    fn child_aborted(&mut self, child_id: String, reason: String) {
        if !self.children_aborted.iter().any(|c| c.child_id == child_id) {
            self.children_aborted.push(ChildAbort { child_id, reason });
        }
    }

    fn report_to_parent(&mut self, report: ParentReport) {
        self.parent_report = Some(report);
    }

    fn gate_opened(&mut self, gate: super::gates::GateOpen) {
        self.gates_opened.retain(|g| g.target != gate.target);
        self.gates_opened.push(gate);
    }

    fn lock_requested(&mut self, claim: &LockClaim) {
        self.locks.requested.push(claim.clone());
    }

    fn lock_acquired(&mut self, claim: &LockClaim) {
        // Granted in the same transition it was asked for: stored as held at once.
        match self.locks.requested.iter_mut().find(|c| c.name == claim.name && c.node == claim.node) {
            Some(c) => *c = claim.clone(),
            None => self.locks.acquired.push(claim.clone()),
        }
    }

    fn lock_released(&mut self, key: &LockKey) {
        // Asked for and given up in the same transition: the store never sees it.
        let before = self.locks.requested.len();
        self.locks.requested.retain(|c| !(c.name == key.name && c.node == key.node));
        if self.locks.requested.len() == before {
            self.locks.acquired.retain(|c| !(c.name == key.name && c.node == key.node));
            self.locks.released.push(key.clone());
        }
    }
}

/// Decides `cmd` against `state` and, if it is accepted, applies its events and advances the
/// release until nothing changes. On `Err` the state is unchanged (the refusal comes from the
/// decision, before anything is applied).
pub fn step(state: &mut ReleaseState, cmd: &Command, ctx: &Ctx<'_>) -> Result<Transition> {
    let events = decide(state, cmd, ctx)?;
    let mut t = Transition::default();
    let watches_before = state.gate_watches();
    state.timers.start_journal();
    if let Command::Update { switch: Some(to), .. } = cmd {
        let switches = events.iter().any(|e| matches!(&e.kind, EventKind::Updated { process_id: Some(_), .. }));
        if switches {
            if let Some(plan) = to.plan() {
                state.rebase(plan.clone());
            }
        }
    }
    commit(state, events, &mut t);
    let system = Actor::system();
    let sys = Ctx { actor: &system, comment: None, ..*ctx };
    let mut rounds = 0;
    loop {
        let more = decide(state, &Command::Advance, &sys)?;
        if more.is_empty() {
            break;
        }
        commit(state, more, &mut t);
        rounds += 1;
        if rounds > MAX_ADVANCE_ROUNDS {
            return Err(Error::Storage {
                message: format!("release {} did not settle after {rounds} rounds of advancing", state.id),
            });
        }
    }
    let risk = decide_risk(state, &t.events, &sys);
    commit(state, risk, &mut t);
    let watches = state.gate_watches();
    if watches != watches_before {
        t.effects.watches = Some(watches);
    }
    finish_transition(state, t)
}

/// Decides the creation of a release of `plan` with id `id`: the new state and its transition.
pub fn step_create(id: &str, plan: Arc<Plan>, new: &NewRelease, ctx: &Ctx<'_>) -> Result<(ReleaseState, Transition)> {
    let events = decide_create(&plan, new, ctx)?;
    let mut state = ReleaseState::new(id, plan);
    let mut t = Transition::default();
    state.timers.start_journal();
    commit(&mut state, events, &mut t);
    let t = finish_transition(&mut state, t)?;
    Ok((state, t))
}

fn commit(state: &mut ReleaseState, events: Vec<Event>, t: &mut Transition) {
    for e in &events {
        apply(state, e, &mut t.effects);
    }
    // The first batch is moved in whole (no copy of the events into a new buffer).
    if t.events.is_empty() {
        t.events = events;
    } else {
        t.events.extend(events);
    }
}

fn finish_transition(state: &mut ReleaseState, mut t: Transition) -> Result<Transition> {
    t.effects.timers = state.timers.take_journal();
    t.effects.notifications = notifications_for(state, &t.events);
    Ok(t)
}

/// A release's state folded from its events (replay; no effects).
pub fn replay(id: &str, plan: Arc<Plan>, events: &[Event]) -> ReleaseState {
    let mut state = ReleaseState::new(id, plan);
    for e in events {
        apply(&mut state, e, &mut NoEffects);
    }
    state
}

/// The job of `state`'s activity `target` in its current attempt (the in-flight job's data).
pub(crate) fn current_job(state: &ReleaseState, p: usize, a: usize) -> Option<Job> {
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
        secrets: Vec::new(),
    })
}

/// The outputs a child release reports to its parent: its phases' outputs and `release_id`.
pub(crate) fn child_outputs(state: &ReleaseState) -> IndexMap<String, Value> {
    let mut outputs: IndexMap<String, Value> = IndexMap::new();
    for ph in &state.phases {
        for (k, v) in &ph.outputs {
            outputs.insert(k.clone(), v.clone());
        }
    }
    outputs.insert("release_id".into(), Value::from(state.id.clone()));
    outputs
}

/// The subprocess activity `target` of a release, as the parent side of a child link.
pub(crate) fn parent_link(state: &ReleaseState, target: &ActivityRef) -> ParentLink {
    ParentLink { release: state.id.clone(), activity: target.clone() }
}

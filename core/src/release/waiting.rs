//! What a release waits on now ([`waiting_on`]): derived from its state when a view is built,
//! never stored.
//!
//! In order of precedence (the first that applies, and within it the first node in plan order):
//! people (an approval, a manual activity, a failure decision), a worker (an automated
//! activity's job is queued or running), another release (a gate), a lock another release holds,
//! a freeze window (an automated activity held until it ends), a timer (a `wait`, a `not_before`, a retry backoff, a scheduled activation). A draft,
//! an ended release, or a running one whose only work is a subprocess's child release waits on
//! nothing of its own (`None`).

use super::{ActivityStatus, ReleaseState, Stage, TimerKey};
use crate::model::ActivityKind;
use serde::Serialize;

/// What kind of thing a release waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitKind {
    /// An approval activity waits for approvers.
    Approval,
    /// A manual activity waits for its fields.
    Manual,
    /// An activity is on hold: someone decides retry, ignore or fail.
    FailureDecision,
    /// An automated activity's job waits for, or runs on, an executor or worker.
    Worker,
    /// A gate waits for other releases (its activity's `gate_targets` say which, and what they
    /// are doing).
    Gate,
    /// A phase or an activity waits for locks other releases hold (its view's `locks` say which;
    /// [`crate::Engine::locks`] says who holds them).
    Lock,
    /// An automated activity is held until a freeze window ends.
    Freeze,
    /// A timer: a `wait` activity, a `not_before`, a retry backoff, a scheduled activation.
    Timer,
}

impl WaitKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitKind::Approval => "approval",
            WaitKind::Manual => "manual",
            WaitKind::FailureDecision => "failure_decision",
            WaitKind::Worker => "worker",
            WaitKind::Gate => "gate",
            WaitKind::Lock => "lock",
            WaitKind::Freeze => "freeze",
            WaitKind::Timer => "timer",
        }
    }
}

/// What a release waits on, and the phase and activity it concerns (both `None` for a scheduled
/// activation; the activity `None` for a phase's `not_before`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaitingOn<'a> {
    /// What it waits on.
    pub kind: WaitKind,
    /// The phase concerned.
    pub phase_id: Option<&'a str>,
    /// The activity concerned.
    pub activity_id: Option<&'a str>,
}

impl WaitingOn<'_> {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["kind", "phase_id", "activity_id"]
    }
}

/// What `state` waits on now (see the [module docs](self)).
pub fn waiting_on<'s>(state: &'s ReleaseState) -> Option<WaitingOn<'s>> {
    match state.stage {
        Stage::Scheduled => {
            return state.timers.contains_key(&TimerKey::Activation).then_some(WaitingOn {
                kind: WaitKind::Timer,
                phase_id: None,
                activity_id: None,
            });
        }
        Stage::Active => {}
        _ => return None,
    }
    let plan = state.plan();
    let mut best: Option<WaitingOn<'s>> = None;
    let mut offer = |w: WaitingOn<'s>| {
        if best.is_none_or(|b| w.kind < b.kind) {
            best = Some(w);
        }
    };
    for (p, phase) in state.phases.iter().enumerate() {
        for (a, act) in phase.activities.iter().enumerate() {
            let kind = match act.status {
                ActivityStatus::WaitingForInput if plan.activity_def(p, a).kind == ActivityKind::Approval => {
                    WaitKind::Approval
                }
                ActivityStatus::WaitingForInput => WaitKind::Manual,
                ActivityStatus::OnHold => WaitKind::FailureDecision,
                ActivityStatus::Queued | ActivityStatus::Running
                    if plan.activity_def(p, a).kind == ActivityKind::Automated && act.job_id.is_some() =>
                {
                    WaitKind::Worker
                }
                ActivityStatus::Running if plan.activity_def(p, a).kind == ActivityKind::Gate => WaitKind::Gate,
                _ => continue,
            };
            offer(WaitingOn { kind, phase_id: Some(&phase.id), activity_id: Some(&act.id) });
        }
    }
    for claim in state.locks.iter().filter(|c| c.held_since.is_none()) {
        let Some(p) = plan.phase_index(&claim.request.phase) else { continue };
        let ph = &state.phases[p];
        let act = claim.request.activity.as_ref().and_then(|id| ph.activities.iter().find(|a| &a.id == id));
        offer(WaitingOn { kind: WaitKind::Lock, phase_id: Some(&ph.id), activity_id: act.map(|a| a.id.as_str()) });
    }
    for (key, _) in state.timers.iter() {
        let (kind, phase, activity) = match key {
            TimerKey::FreezeEnd { target } => (WaitKind::Freeze, &target.phase, Some(&target.activity)),
            TimerKey::Wait { target } | TimerKey::ActivityNotBefore { target } | TimerKey::Retry { target, .. } => {
                (WaitKind::Timer, &target.phase, Some(&target.activity))
            }
            TimerKey::PhaseNotBefore { phase } => (WaitKind::Timer, phase, None),
            _ => continue,
        };
        // Borrow the ids from the state's phases (the timer keys are owned by the state too).
        let Some(p) = plan.phase_index(phase) else { continue };
        let ph = &state.phases[p];
        let act = activity.and_then(|id| ph.activities.iter().find(|a| &a.id == id));
        offer(WaitingOn { kind, phase_id: Some(&ph.id), activity_id: act.map(|a| a.id.as_str()) });
    }
    best
}

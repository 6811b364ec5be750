//! Decisions about gates (the rules are in [`crate::release::gates`]): opening one with its
//! targets rendered, and what the engine's report of their statuses means.

use super::activities::fail_activity;
use super::{Out, activity_ref, locate, secs};
use crate::expr::eval::{self, Scope};
use crate::model::GateTarget;
use crate::release::gates::{GateObservation, GateVerdict, verdict};
use crate::release::{ActivityRef, ActivityStatus, EventKind, ReleaseState};
use crate::{Error, Result, limits};
use serde_json::Value;

/// Opens gate `(p, a)` at `attempt`: its targets with `${...}` rendered in the activity's scope
/// (an expression that fails fails the gate, like any `expression_error`).
pub(super) fn open(state: &ReleaseState, p: usize, a: usize, attempt: u32, out: &mut Out<'_>) {
    let def = state.plan().activity_def(p, a);
    let scope = Scope::activity(state, p, a);
    let render = |text: &Option<String>| -> std::result::Result<Option<String>, String> {
        match text {
            None => Ok(None),
            Some(t) => match eval::interpolate(&Value::String(t.clone()), &scope)? {
                Value::String(s) => Ok(Some(s)),
                other => Err(format!("a gate target gave {other}, where a text was expected")),
            },
        }
    };
    let mut targets = Vec::with_capacity(def.targets.len());
    for t in &def.targets {
        let rendered = render(&t.release).and_then(|release| Ok((release, render(&t.occurrence)?)));
        match rendered {
            Ok((release, occurrence)) => targets.push(GateTarget { release, occurrence, ..t.clone() }),
            Err(message) => return super::activities::unreachable_expression(state, p, a, &message, out),
        }
    }
    let due = def.timeout.as_ref().map(|t| out.now() + secs(t.as_secs()));
    out.push(EventKind::GateOpened { target: activity_ref(state, p, a), attempt, targets, due });
}

/// The engine's report on gate `target` (attempt `attempt`): what its targets resolved to and
/// their statuses now, or why they could not be resolved.
pub(super) fn observe(
    state: &ReleaseState,
    target: &ActivityRef,
    attempt: u32,
    observed: &std::result::Result<Vec<GateObservation>, String>,
    out: &mut Out<'_>,
) -> Result<()> {
    let (p, a) = locate(state, target)?;
    let act = &state.phases[p].activities[a];
    let wait = state.waiting_gates().find(|g| g.target == *target);
    let Some(wait) = wait.filter(|_| act.attempt == attempt && act.status == ActivityStatus::Running) else {
        return Err(Error::Conflict {
            message: format!(
                "gate {target} is not waiting on attempt {attempt} (it is {}, attempt {})",
                act.status, act.attempt
            ),
        });
    };
    let observed = match observed {
        Ok(list) => list,
        Err(why) => {
            fail_activity(state, p, a, limits::cut_message(why.clone()), false, out);
            return Ok(());
        }
    };
    let now: Vec<GateObservation> = match &wait.resolved {
        None => {
            out.push(EventKind::GateResolved { target: target.clone(), attempt, targets: observed.clone() });
            observed.clone()
        }
        // Once resolved, the gate watches exactly what it recorded: a report on anything else
        // is left out, and a recorded target not reported keeps the status it was seen in.
        Some(recorded) => {
            recorded.iter().map(|r| observed.iter().find(|o| o.same_target(r)).unwrap_or(r).clone()).collect()
        }
    };
    let verdict = verdict(state.plan().activity_def(p, a), &now);
    if let (Some(recorded), GateVerdict::Wait) = (&wait.resolved, &verdict) {
        let changed: Vec<GateObservation> =
            now.iter().zip(recorded).filter(|(n, r)| n.status != r.status).map(|(n, _)| n.clone()).collect();
        if !changed.is_empty() {
            out.push(EventKind::GateObserved { target: target.clone(), attempt, targets: changed });
        }
    }
    match verdict {
        GateVerdict::Open => {
            let targets: Vec<Value> = now.iter().map(|o| serde_json::to_value(o).unwrap_or(Value::Null)).collect();
            let outputs = [("targets".to_string(), Value::Array(targets))].into_iter().collect();
            out.push(EventKind::ActivitySucceeded { target: target.clone(), outputs });
        }
        GateVerdict::Fail(why) => fail_activity(state, p, a, why, false, out),
        GateVerdict::Wait => {}
    }
    Ok(())
}

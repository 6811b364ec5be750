//! Decisions that amend a running release: rewind, insert_activity, reassign, delegate,
//! reschedule_phase (the rules are in the docs of [`crate::release::amend`]).

use super::lifecycle::global_variables;
use super::{Out, activity_target, locate};
use crate::model::{ActivityKind, Approver, MinApprovals};
use crate::release::{
    ActivityStatus, Command, EventKind, PhaseStatus, ReleaseState, RewindTarget, inputs as release_inputs,
};
use crate::validate::codes;
use crate::{Error, Problem, Result};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) fn decide(state: &ReleaseState, cmd: &Command, out: &mut Out<'_>) -> Result<()> {
    if out.ctx.comment.is_none_or(|c| c.trim().is_empty()) {
        return Err(Error::InvalidInput {
            problems: vec![Problem::new(
                "reason",
                codes::MISSING_FIELD,
                format!("{} needs a reason; it is recorded in the audit trail", cmd.name()),
            )],
        });
    }
    match cmd {
        Command::Rewind { target, inputs } => rewind(state, target, inputs.as_ref(), out),
        Command::InsertActivity { phase, definition, after } => {
            insert_activity(state, phase, definition, after.as_deref(), out)
        }
        Command::Reassign { target, approvers } => {
            let (p, a) = activity_target(state, cmd, target)?;
            check_approvers(state, p, a, approvers)?;
            let dropped = state.phases[p].activities[a].approvals.len() as u32;
            out.push(EventKind::ApproversReassigned { target: target.clone(), approvers: approvers.clone(), dropped });
            Ok(())
        }
        Command::Delegate { target, from, to } => {
            let (p, a) = activity_target(state, cmd, target)?;
            check_delegation(state, p, a, from, to)?;
            out.push(EventKind::ApprovalDelegated { target: target.clone(), from: from.clone(), to: to.clone() });
            Ok(())
        }
        Command::ReschedulePhase { phase, not_before } => {
            let p = phase_of(state, phase)?;
            let ph = &state.phases[p];
            if state.plan().phases[p].rollback || !matches!(ph.status, PhaseStatus::Pending | PhaseStatus::Scheduled) {
                let why = if state.plan().phases[p].rollback {
                    "is a rollback phase (it starts when the rollback does)".to_string()
                } else {
                    format!("is {}; only a phase that has not started (pending or scheduled) can move", ph.status)
                };
                return Err(not(codes::NOT_AMENDABLE, "phase", format!("phase `{phase}` {why}")));
            }
            out.push(EventKind::PhaseRescheduled { phase: phase.clone(), not_before: *not_before });
            Ok(())
        }
        other => unreachable!("not an amendment: {}", other.name()),
    }
}

fn not(code: &str, path: &str, message: String) -> Error {
    Error::InvalidInput { problems: vec![Problem::new(path, code, message)] }
}

/// The index of phase `id` (the engine's `check_target` has checked it exists).
fn phase_of(state: &ReleaseState, id: &str) -> Result<usize> {
    state.plan().phase_index(id).ok_or_else(|| super::phase_not_found(state, id))
}

fn rewind(
    state: &ReleaseState,
    target: &RewindTarget,
    inputs: Option<&IndexMap<String, Value>>,
    out: &mut Out<'_>,
) -> Result<()> {
    let plan = state.plan();
    if state.halted || state.rolling_back {
        return Err(not(
            codes::NOT_REWINDABLE,
            "to",
            format!(
                "release {} is stopping after the critical failure of a phase; let it end, then restart it",
                state.id
            ),
        ));
    }
    let p = phase_of(state, target.phase())?;
    let ph = &state.phases[p];
    if plan.phases[p].rollback {
        return Err(not(codes::NOT_REWINDABLE, "to", format!("phase `{}` is a rollback phase", ph.id)));
    }
    let (activity, activities) = match target {
        RewindTarget::Phase { .. } => {
            if matches!(ph.status, PhaseStatus::Pending | PhaseStatus::Scheduled) {
                return Err(not(
                    codes::NOT_REWINDABLE,
                    "to",
                    format!("phase `{}` is {} and has not run yet: there is nothing to run again", ph.id, ph.status),
                ));
            }
            (None, Vec::new())
        }
        RewindTarget::Activity(t) => {
            let (_, a) = locate(state, t)?;
            let act = &ph.activities[a];
            if ph.status == PhaseStatus::Skipped {
                return Err(not(
                    codes::NOT_REWINDABLE,
                    "to",
                    format!("phase `{}` was skipped; rewind the phase instead of {t}", ph.id),
                ));
            }
            if act.status == ActivityStatus::Pending {
                return Err(not(
                    codes::NOT_REWINDABLE,
                    "to",
                    format!("activity {t} is pending and has not run yet: there is nothing to run again"),
                ));
            }
            (Some(t.activity.clone()), activity_downstream(state, p, a))
        }
    };
    let mut phases: Vec<String> = Vec::new();
    if activity.is_none() {
        phases.push(ph.id.clone());
    }
    for d in phase_downstream(state, p) {
        if !matches!(state.phases[d].status, PhaseStatus::Pending) {
            phases.push(state.phases[d].id.clone());
        }
    }
    let variables = match inputs {
        Some(values) => Some(new_inputs_variables(state, values)?),
        None => None,
    };
    out.push(EventKind::Rewound {
        phase: ph.id.clone(),
        activity,
        activities,
        phases,
        inputs: inputs.cloned(),
        variables,
    });
    Ok(())
}

/// Checks new input values like create's and evaluates the global variables with them.
fn new_inputs_variables(state: &ReleaseState, values: &IndexMap<String, Value>) -> Result<IndexMap<String, Value>> {
    let mut merged = state.inputs.clone();
    merged.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
    release_inputs::check(&state.plan().process, &merged, true)?;
    let mut with_inputs = state.clone();
    with_inputs.inputs = merged;
    global_variables(&with_inputs).map_err(|message| Error::Expression {
        expression: "variables".into(),
        location: format!("process `{}` variables, with the new inputs", state.process_id),
        message,
    })
}

/// The ids of activity `a` of phase `p` and of its transitive dependents in the phase that have
/// left `pending` (`a` first).
fn activity_downstream(state: &ReleaseState, p: usize, a: usize) -> Vec<String> {
    let plan = &state.plan().phases[p];
    let mut seen = BTreeSet::from([a]);
    let mut stack = vec![a];
    while let Some(i) = stack.pop() {
        for &d in &plan.activities[i].dependents {
            if seen.insert(d) {
                stack.push(d);
            }
        }
    }
    let acts = &state.phases[p].activities;
    let mut ids = vec![acts[a].id.clone()];
    ids.extend(
        seen.into_iter().filter(|&i| i != a && acts[i].status != ActivityStatus::Pending).map(|i| acts[i].id.clone()),
    );
    ids
}

/// The indexes of the phases that depend on phase `p`, directly or not, in plan order.
fn phase_downstream(state: &ReleaseState, p: usize) -> BTreeSet<usize> {
    let plan = state.plan();
    let mut seen = BTreeSet::new();
    let mut stack = vec![p];
    while let Some(i) = stack.pop() {
        for &d in &plan.phases[i].dependents {
            if seen.insert(d) {
                stack.push(d);
            }
        }
    }
    seen
}

/// Validates the process with `definition` added to the phase; the problems under the new
/// activity are reported under `definition`.
fn insert_activity(
    state: &ReleaseState,
    phase: &str,
    definition: &Value,
    after: Option<&str>,
    out: &mut Out<'_>,
) -> Result<()> {
    let p = phase_of(state, phase)?;
    let plan = state.plan();
    let ph = &state.phases[p];
    if ph.status.is_terminal() {
        return Err(not(
            codes::NOT_AMENDABLE,
            "phase",
            format!("phase `{phase}` is {}; an activity can be added to a phase that has not finished", ph.status),
        ));
    }
    let Value::Object(fields) = definition else {
        return Err(not(
            codes::INVALID_VALUE,
            "definition",
            "an activity definition is a mapping (id, kind, …)".into(),
        ));
    };
    let mut fields = fields.clone();
    if let Some(after) = after {
        if plan.phases[p].activity_index(after).is_none() {
            let known: Vec<&str> = plan.phases[p].activities.iter().map(|a| a.id.as_str()).collect();
            return Err(not(
                codes::UNKNOWN_DEPENDENCY,
                "after",
                format!("phase `{phase}` has no activity `{after}`; its activities: {}", known.join(", ")),
            ));
        }
        let deps = fields.entry("depends_on").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = deps {
            if !list.iter().any(|d| d.as_str() == Some(after)) {
                list.push(Value::from(after));
            }
        }
    }
    let (list, i) = if p < plan.regular { ("phases", p) } else { ("rollback", p - plan.regular) };
    let position = plan.phases[p].activities.len();
    let prefix = format!("{list}[{i}].activities[{position}]");
    let mut document = serde_json::to_value(&*plan.process).map_err(|e| Error::Storage { message: e.to_string() })?;
    document[list][i]["activities"]
        .as_array_mut()
        .ok_or_else(|| Error::Storage { message: format!("phase `{phase}` has no activity list") })?
        .push(Value::Object(fields));
    let loaded = crate::validate::load_process_value(document, None).map_err(|e| match e {
        Error::Validation { problems } => Error::Validation {
            problems: problems
                .into_iter()
                .map(|mut pr| {
                    if let Some(rest) = pr.path.strip_prefix(&prefix) {
                        pr.path = format!("definition{rest}");
                    }
                    pr
                })
                .collect(),
        },
        other => other,
    })?;
    let added = loaded
        .process
        .phase(phase)
        .and_then(|ph| ph.activities.get(position))
        .cloned()
        .ok_or_else(|| Error::Storage { message: "the inserted activity went missing".into() })?;
    out.push(EventKind::ActivityInserted {
        phase: phase.to_string(),
        definition: Box::new(added),
        after: after.map(str::to_string),
    });
    Ok(())
}

fn check_approvers(state: &ReleaseState, p: usize, a: usize, approvers: &[Approver]) -> Result<()> {
    let def = state.plan().activity_def(p, a);
    let mut problems = Vec::new();
    if approvers.is_empty() {
        problems.push(Problem::new(
            "approvers",
            codes::MISSING_FIELD,
            "reassign needs at least one approver: { user } or { group }",
        ));
    }
    for (i, e) in approvers.iter().enumerate() {
        let named = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if named(&e.user) == named(&e.group) {
            problems.push(Problem::new(
                crate::validate::path::index("approvers", i),
                codes::INVALID_VALUE,
                "an approver names exactly one of `user` and `group`",
            ));
        }
    }
    if def.kind == ActivityKind::Approval {
        if let Some(MinApprovals::Count(n)) = def.min_approvals {
            if n as usize > approvers.len() && !approvers.iter().any(|e| e.group.is_some()) {
                problems.push(Problem::new(
                    "approvers",
                    codes::INVALID_VALUE,
                    format!("`{}` needs {n} approvals (min_approvals) but lists {} users", def.id, approvers.len()),
                ));
            }
        }
    }
    Error::invalid_input_or(problems, ())
}

fn check_delegation(state: &ReleaseState, p: usize, a: usize, from: &str, to: &str) -> Result<()> {
    let def = state.plan().activity_def(p, a);
    let act = &state.phases[p].activities[a];
    let listed = |user: &str| def.approvers.iter().chain(&def.escalate_to).any(|e| e.user.as_deref() == Some(user));
    let mut problems = Vec::new();
    if to.trim().is_empty() {
        problems.push(Problem::new("to", codes::MISSING_FIELD, "delegate needs the user who approves instead"));
    } else if to == from {
        problems.push(Problem::new("to", codes::NOT_AMENDABLE, format!("`{from}` cannot delegate to themselves")));
    } else if listed(to) {
        problems.push(Problem::new(
            "to",
            codes::NOT_AMENDABLE,
            format!("`{to}` is listed as an approver of `{}` already", def.id),
        ));
    }
    if !listed(from) {
        let users: Vec<&str> = def.approvers.iter().chain(&def.escalate_to).filter_map(|e| e.user.as_deref()).collect();
        problems.push(Problem::new(
            "from",
            codes::NOT_AMENDABLE,
            format!(
                "`{from}` is not listed by user id among the approvers of `{}` (listed users: {}); reassign to change a group",
                def.id,
                if users.is_empty() { "none".to_string() } else { users.join(", ") }
            ),
        ));
    } else if act.approvals.iter().any(|r| r.approver == from) {
        problems.push(Problem::new(
            "from",
            codes::NOT_AMENDABLE,
            format!("`{from}` has decided about `{}` already", def.id),
        ));
    }
    Error::invalid_input_or(problems, ())
}

//! The `update` decision: what a release that has not started may still change (the table is in
//! [`crate::release::ReleaseChanges`]). Every problem is listed at once.

use super::Out;
use crate::release::state::Stage;
use crate::release::{EventKind, ProcessSwitch, ReleaseChanges, ReleaseState, inputs};
use crate::validate::codes;
use crate::{Error, Problem, Result, limits};
use indexmap::IndexMap;
use serde_json::Value;

pub(super) fn decide(
    state: &ReleaseState,
    changes: &ReleaseChanges,
    switch: Option<&ProcessSwitch>,
    out: &mut Out<'_>,
) -> Result<()> {
    let draft = state.stage == Stage::Draft;
    let mut problems = Vec::new();
    if !draft {
        for field in changes.draft_only_fields() {
            problems.push(Problem::new(
                field,
                codes::NOT_CHANGEABLE,
                format!(
                    "`{field}` can change only while the release is a draft; it is {} (delete it and create \
                     another, or change it before scheduling); its name, inputs, owners, release_managers, \
                     stakeholders, start and end may still change",
                    state.status
                ),
            ));
        }
    }
    match switch {
        Some(ProcessSwitch::NotFound(why)) if draft => {
            problems.push(Problem::new("process", codes::UNKNOWN_PROCESS, why.clone()))
        }
        None if draft && changes.switches_process() => {
            problems.push(Problem::new("process", codes::UNKNOWN_PROCESS, "the process to switch to was not looked up"))
        }
        _ => {}
    }
    if changes.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        problems.push(Problem::new("name", codes::MISSING_FIELD, "a release name cannot be empty"));
    }
    if let Some(m) = &changes.release_managers {
        if m.iter().all(|s| s.trim().is_empty()) {
            problems.push(Problem::new(
                "release_managers",
                codes::MISSING_FIELD,
                "a release needs at least one release manager (a user id or a group)",
            ));
        }
    }
    if let Some(scope) = &changes.scope {
        check_scope(scope, &mut problems);
    }
    let switched = switch
        .and_then(ProcessSwitch::plan)
        .filter(|p| p.process.id != state.process_id || p.version != state.process_version)
        .filter(|_| draft);
    let merged = new_inputs(state, changes, switched, !draft, &mut problems);
    let (start, end) = window(state, changes, &mut problems);
    let metadata = (!changes.metadata.is_empty()).then(|| changes.metadata.apply(&state.metadata));
    if let Some(m) = &metadata {
        problems.extend(m.check());
    }
    Error::invalid_input_or(problems, ())?;
    out.push(EventKind::Updated {
        name: changes.name.clone(),
        inputs: merged,
        owners: changes.owners.clone(),
        release_managers: changes.release_managers.clone(),
        stakeholders: changes.stakeholders.clone(),
        process_id: switched.map(|p| p.process.id.clone()),
        process_version: switched.map(|p| p.version),
        release_kind: changes.kind.filter(|k| *k != state.kind),
        scope: changes.scope.clone().filter(|s| *s != state.scope),
        start,
        end,
        metadata: metadata.map(Box::new),
    });
    Ok(())
}

/// The inputs after the change, checked against the process the release will run (`None`: they
/// stay). On a process switch the values chosen for the old process are carried over (its
/// defaults are not: the new process's apply) and must fit the new one; a `null` drops one.
/// `complete`: a scheduled release's inputs must stay complete.
fn new_inputs(
    state: &ReleaseState,
    changes: &ReleaseChanges,
    switched: Option<&std::sync::Arc<crate::release::Plan>>,
    complete: bool,
    problems: &mut Vec<Problem>,
) -> Option<IndexMap<String, Value>> {
    if changes.inputs.is_none() && switched.is_none() {
        return None;
    }
    let old = &state.plan().process;
    let process = switched.map_or(old, |p| &p.process);
    let mut chosen: IndexMap<String, Value> = match switched {
        Some(_) => state
            .inputs
            .iter()
            .filter(|(k, v)| old.inputs.get(*k).and_then(|d| d.default.as_ref()) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        None => state.inputs.clone(),
    };
    for (k, v) in changes.inputs.iter().flatten() {
        if v.is_null() {
            chosen.shift_remove(k);
        } else {
            chosen.insert(k.clone(), v.clone());
        }
    }
    let merged = inputs::merge(process, None, &chosen);
    if let Err(Error::InvalidInput { problems: p }) = inputs::check(process, &merged, complete) {
        problems.extend(p);
    }
    Some(merged)
}

/// The planned window after the change (each side only when it changes).
fn window(
    state: &ReleaseState,
    changes: &ReleaseChanges,
    problems: &mut Vec<Problem>,
) -> (Option<crate::Timestamp>, Option<crate::Timestamp>) {
    if changes.start.is_none() && changes.end.is_none() {
        return (None, None);
    }
    let current = state.schedule.as_ref();
    let Some(start) = changes.start.or(current.map(|s| s.start)) else {
        problems.push(Problem::new(
            "start",
            codes::MISSING_FIELD,
            "the release has no planned window yet: give its start with the end",
        ));
        return (None, None);
    };
    if let Some(end) = changes.end.or(current.and_then(|s| s.end)) {
        if end <= start {
            let at = if changes.end.is_some() { "end" } else { "start" };
            problems.push(Problem::new(
                at,
                codes::INVALID_VALUE,
                format!("the planned end {end} must be after the planned start {start}"),
            ));
        }
    }
    (changes.start, changes.end)
}

fn check_scope(scope: &str, problems: &mut Vec<Problem>) {
    if !(scope == "account" || scope.strip_prefix("org:").is_some_and(|o| !o.is_empty())) {
        problems.push(Problem::new(
            "scope",
            codes::INVALID_VALUE,
            format!("`{scope}` is not a scope; use `account` or `org:<id>`"),
        ));
    }
}

/// The bounds of [`crate::limits`] on what an update hands in.
pub(super) fn check_sizes(changes: &ReleaseChanges, problems: &mut Vec<Problem>) {
    if let Some(n) = &changes.name {
        limits::check_text("name", n, limits::MAX_NAME_BYTES, problems);
    }
    if let Some(i) = &changes.inputs {
        limits::check_map("inputs", i, problems);
    }
    let none: &[String] = &[];
    check_people(
        changes.owners.as_deref().unwrap_or(none),
        changes.release_managers.as_deref().unwrap_or(none),
        changes.stakeholders.as_deref().unwrap_or(none),
        problems,
    );
}

/// Owners, release managers and stakeholders: names within [`limits::MAX_NAME_BYTES`].
pub(super) fn check_people(
    owners: &[String],
    managers: &[String],
    stakeholders: &[String],
    problems: &mut Vec<Problem>,
) {
    for (field, names) in [("owners", owners), ("release_managers", managers), ("stakeholders", stakeholders)] {
        for (i, n) in names.iter().enumerate() {
            limits::check_text(&format!("{field}[{i}]"), n, limits::MAX_NAME_BYTES, problems);
        }
    }
}

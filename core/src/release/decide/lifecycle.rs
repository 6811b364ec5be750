//! Decisions about the release as a whole: update, delete, schedule, activate, pause, resume,
//! abort, restart, archive.

use super::{Out, transition};
use crate::expr::eval::{self, Scope};
use crate::release::{Command, CommandKind, EventKind, ReleaseState, inputs};
use crate::{Error, Problem, Result};
use indexmap::IndexMap;
use serde_json::Value;

pub(super) fn decide(state: &ReleaseState, cmd: &Command, out: &mut Out<'_>) -> Result<()> {
    let now = out.now();
    match cmd {
        Command::Update { name, inputs: new_inputs, owners, metadata } => {
            let merged = new_inputs.as_ref().map(|i| {
                let mut m = state.inputs.clone();
                for (k, v) in i {
                    if v.is_null() {
                        m.shift_remove(k);
                    } else {
                        m.insert(k.clone(), v.clone());
                    }
                }
                inputs::merge(&state.plan().process, None, &m)
            });
            let mut problems = Vec::new();
            if let Some(m) = &merged {
                if let Err(Error::InvalidInput { problems: p }) = inputs::check(&state.plan().process, m, false) {
                    problems.extend(p);
                }
            }
            if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
                problems.push(Problem::new("name", "missing_field", "a release name cannot be empty"));
            }
            let metadata = metadata.as_ref().filter(|m| !m.is_empty()).map(|m| m.apply(&state.metadata));
            if let Some(m) = &metadata {
                problems.extend(m.check());
            }
            Error::invalid_input_or(problems, ())?;
            let metadata = metadata.map(Box::new);
            out.push(EventKind::Updated { name: name.clone(), inputs: merged, owners: owners.clone(), metadata });
        }
        Command::Delete => out.push(EventKind::Deleted),
        Command::Schedule { start, end, auto_start } => {
            if let Some(e) = end {
                if e <= start {
                    return Err(Error::Schedule { message: format!("the end {e} must be after the start {start}") });
                }
            }
            inputs::check(&state.plan().process, &state.inputs, true)?;
            out.push(EventKind::Scheduled { start: *start, end: *end, auto_start: *auto_start });
        }
        Command::Activate { force } => {
            inputs::check(&state.plan().process, &state.inputs, true)?;
            let early = state.schedule.as_ref().is_some_and(|s| now < s.start);
            let variables = global_variables(state).map_err(|message| Error::Expression {
                expression: "variables".into(),
                location: format!("process `{}` variables", state.process_id),
                message,
            })?;
            out.push(EventKind::Activated { early, forced: *force, variables });
        }
        Command::Pause => {
            if state.paused {
                return Err(transition(
                    state,
                    cmd,
                    false,
                    "on_hold (already paused)",
                    &[CommandKind::Resume, CommandKind::Abort],
                ));
            }
            out.push(EventKind::Paused);
        }
        Command::Resume => {
            if !state.paused {
                let status = format!("{} (not paused)", state.status);
                return Err(transition(state, cmd, false, &status, &[CommandKind::Pause, CommandKind::Abort]));
            }
            out.push(EventKind::Resumed);
        }
        Command::Abort { reason } => {
            if reason.trim().is_empty() {
                return Err(Error::InvalidInput {
                    problems: vec![Problem::new(
                        "reason",
                        "missing_field",
                        "abort needs a reason; it is recorded in the audit trail",
                    )],
                });
            }
            out.push(EventKind::Aborted);
        }
        Command::Restart => out.push(EventKind::Restarted { attempt: state.attempt + 1 }),
        Command::Archive => {
            if state.archived {
                return Err(Error::AlreadyExists {
                    kind: "archive".into(),
                    id: state.id.clone(),
                    hint: Some("the release is archived already".into()),
                });
            }
            out.push(EventKind::Archived);
        }
        other => unreachable!("not a lifecycle command: {}", other.name()),
    }
    Ok(())
}

/// The global variables, evaluated in definition order (each may use the ones before it).
pub(super) fn global_variables(state: &ReleaseState) -> std::result::Result<IndexMap<String, Value>, String> {
    eval::variables(&Scope::release(state)).map(|m| m.into_iter().collect())
}

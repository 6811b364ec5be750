//! Amending a running release from Python: `Engine.rewind`, `insert_activity`, `reassign`,
//! `delegate` and `reschedule_phase` (a `#[pymethods]` block of its own, declared with
//! [`engine_commands!`]). Each takes a required
//! ``reason`` and ``dry_run`` (the events it would append, appending nothing); the rules are the
//! core's (`trainyard::release::amend`).

use crate::commands::{engine_commands, given};
use crate::convert;
use pyo3::prelude::*;
use trainyard::Amend;
use trainyard::model::Approver;
use trainyard::release::{ActivityRef, RewindTarget};
use trainyard::validate::codes;

/// A list of approver entries (`{"user": id}` or `{"group": name}`).
fn approvers(obj: &Bound<'_, PyAny>, path: &str) -> convert::Conv<Vec<Approver>> {
    let value = convert::json(obj, path)?;
    serde_json::from_value(value).map_err(|e| {
        convert::Refused::one(path, codes::INVALID_VALUE, format!("a list of {{user}} or {{group}} entries: {e}"))
    })
}

engine_commands! {
    /// Runs a phase (``activity_id=None``) or an activity of a running release again, with
    /// everything downstream of it, optionally with new release ``inputs`` (checked like
    /// ``create_release``'s). Phases keep the outputs of earlier attempts;
    /// what is downstream reads the latest. In-flight work among the nodes reset is cancelled.
    fn rewind(release_id, phase_id [
        activity_id = None: Option<&Bound<'_, PyAny>> => convert::opt_text(activity_id, "activity_id"),
    ];
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason: &Bound<'_, PyAny> => convert::text(reason, "reason"),
        inputs = None: Option<&Bound<'_, PyAny>> => convert::opt_map(inputs, "inputs"),
        dry_run = false: bool => given(dry_run),
    ) => |e| {
        let to = match activity_id {
            Some(a) => RewindTarget::Activity(ActivityRef::new(phase_id, a)),
            None => RewindTarget::Phase { phase: phase_id },
        };
        e.rewind(&release_id, &actor, to, inputs, how(&reason, dry_run))
    };

    /// Adds an ad-hoc activity (a ``dict`` like a process definition's activity) to a phase that
    /// has not finished, after activity ``after`` if given. Validated like a process definition:
    /// ``ValidationError`` with every problem, under ``definition``.
    fn insert_activity(release_id, phase_id [
        definition: &Bound<'_, PyAny> => convert::json(definition, "definition"),
    ];
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason: &Bound<'_, PyAny> => convert::text(reason, "reason"),
        after = None: Option<&Bound<'_, PyAny>> => convert::opt_text(after, "after"),
        dry_run = false: bool => given(dry_run),
    ) => |e| e.insert_activity(&release_id, &actor, &phase_id, definition, after.as_deref(), how(&reason, dry_run));

    /// Replaces who may approve an approval (a manual activity: who may complete it) that has not
    /// ended: ``approvers`` is a list of ``{"user": id}`` / ``{"group": name}``. The decisions
    /// already given in the current attempt are dropped.
    fn reassign(release_id, phase_id, activity_id [
        approvers: &Bound<'_, PyAny> => self::approvers(approvers, "approvers"),
    ];
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason: &Bound<'_, PyAny> => convert::text(reason, "reason"),
        dry_run = false: bool => given(dry_run),
    ) => |e| {
        let target = ActivityRef::new(phase_id, activity_id);
        e.reassign(&release_id, &actor, target, approvers, how(&reason, dry_run))
    };

    /// Hands the approval entries that name user ``from_user`` to user ``to_user`` (by a release
    /// manager, or by ``from_user`` themselves). Decisions already given stay.
    fn delegate(release_id, phase_id, activity_id;
        from_user: &Bound<'_, PyAny> => convert::text(from_user, "from_user"),
        to_user: &Bound<'_, PyAny> => convert::text(to_user, "to_user"),
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason: &Bound<'_, PyAny> => convert::text(reason, "reason"),
        dry_run = false: bool => given(dry_run),
    ) => |e| {
        let target = ActivityRef::new(phase_id, activity_id);
        e.delegate(&release_id, &actor, target, &from_user, &to_user, how(&reason, dry_run))
    };

    /// Sets the earliest start of a phase that has not started (an aware ``datetime``),
    /// replacing its ``not_before`` offset.
    fn reschedule_phase(release_id, phase_id [
        not_before: &Bound<'_, PyAny> => convert::timestamp(not_before, "not_before"),
    ];
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        reason: &Bound<'_, PyAny> => convert::text(reason, "reason"),
        dry_run = false: bool => given(dry_run),
    ) => |e| e.reschedule_phase(&release_id, &actor, &phase_id, not_before, how(&reason, dry_run));
}

fn how(reason: &str, dry_run: bool) -> Amend<'_> {
    let how = Amend::because(reason);
    if dry_run { how.dry_run() } else { how }
}

//! Amending a running release from Python: `Engine.rewind`, `insert_activity`, `reassign`,
//! `delegate` and `reschedule_phase` (a `#[pymethods]` block of its own). Each takes a required
//! ``reason`` and ``dry_run`` (the events it would append, appending nothing); the rules are the
//! core's (`trainyard::release::amend`).

use crate::convert::{self, args};
use crate::engine::PyEngine;
use crate::views::PyEvent;
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

#[pymethods]
impl PyEngine {
    /// Runs a phase (``activity_id=None``) or an activity of a running release again, with
    /// everything downstream of it, optionally with new release ``inputs`` (checked like
    /// ``create_release``'s). Phases keep the outputs of earlier attempts;
    /// what is downstream reads the latest. In-flight work among the nodes reset is cancelled.
    #[pyo3(signature = (release_id, phase_id, activity_id = None, *, actor, reason, inputs = None, dry_run = false))]
    #[allow(clippy::too_many_arguments)]
    fn rewind(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        phase_id: &Bound<'_, PyAny>,
        activity_id: Option<&Bound<'_, PyAny>>,
        actor: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        inputs: Option<&Bound<'_, PyAny>>,
        dry_run: bool,
    ) -> PyResult<Vec<PyEvent>> {
        args!(py;
            id = convert::text(release_id, "release_id"),
            phase = convert::text(phase_id, "phase_id"),
            activity = convert::opt_text(activity_id, "activity_id"),
            actor = convert::actor(actor, "actor"),
            reason = convert::text(reason, "reason"),
            inputs = convert::opt_map(inputs, "inputs"),
        );
        let to = match activity {
            Some(a) => RewindTarget::Activity(ActivityRef::new(phase, a)),
            None => RewindTarget::Phase { phase },
        };
        let list = self.call(py, move |e| e.rewind(&id, &actor, to, inputs, how(&reason, dry_run)))?;
        Ok(PyEvent::list(list))
    }

    /// Adds an ad-hoc activity (a ``dict`` like a process definition's activity) to a phase that
    /// has not finished, after activity ``after`` if given. Validated like a process definition:
    /// ``ValidationError`` with every problem, under ``definition``.
    #[pyo3(signature = (release_id, phase_id, definition, *, actor, reason, after = None, dry_run = false))]
    #[allow(clippy::too_many_arguments)]
    fn insert_activity(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        phase_id: &Bound<'_, PyAny>,
        definition: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        after: Option<&Bound<'_, PyAny>>,
        dry_run: bool,
    ) -> PyResult<Vec<PyEvent>> {
        args!(py;
            id = convert::text(release_id, "release_id"),
            phase = convert::text(phase_id, "phase_id"),
            definition = convert::json(definition, "definition"),
            actor = convert::actor(actor, "actor"),
            reason = convert::text(reason, "reason"),
            after = convert::opt_text(after, "after"),
        );
        let list = self.call(py, move |e| {
            e.insert_activity(&id, &actor, &phase, definition, after.as_deref(), how(&reason, dry_run))
        })?;
        Ok(PyEvent::list(list))
    }

    /// Replaces who may approve an approval (a manual activity: who may complete it) that has not
    /// ended: ``approvers`` is a list of ``{"user": id}`` / ``{"group": name}``. The decisions
    /// already given in the current attempt are dropped.
    #[pyo3(signature = (release_id, phase_id, activity_id, approvers, *, actor, reason, dry_run = false))]
    #[allow(clippy::too_many_arguments)]
    fn reassign(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        phase_id: &Bound<'_, PyAny>,
        activity_id: &Bound<'_, PyAny>,
        approvers: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        dry_run: bool,
    ) -> PyResult<Vec<PyEvent>> {
        args!(py;
            id = convert::text(release_id, "release_id"),
            phase = convert::text(phase_id, "phase_id"),
            activity = convert::text(activity_id, "activity_id"),
            list = self::approvers(approvers, "approvers"),
            actor = convert::actor(actor, "actor"),
            reason = convert::text(reason, "reason"),
        );
        let target = ActivityRef::new(phase, activity);
        let events = self.call(py, move |e| e.reassign(&id, &actor, target, list, how(&reason, dry_run)))?;
        Ok(PyEvent::list(events))
    }

    /// Hands the approval entries that name user ``from_user`` to user ``to_user`` (by a release
    /// manager, or by ``from_user`` themselves). Decisions already given stay.
    #[pyo3(signature = (release_id, phase_id, activity_id, *, from_user, to_user, actor, reason, dry_run = false))]
    #[allow(clippy::too_many_arguments)]
    fn delegate(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        phase_id: &Bound<'_, PyAny>,
        activity_id: &Bound<'_, PyAny>,
        from_user: &Bound<'_, PyAny>,
        to_user: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        dry_run: bool,
    ) -> PyResult<Vec<PyEvent>> {
        args!(py;
            id = convert::text(release_id, "release_id"),
            phase = convert::text(phase_id, "phase_id"),
            activity = convert::text(activity_id, "activity_id"),
            from = convert::text(from_user, "from_user"),
            to = convert::text(to_user, "to_user"),
            actor = convert::actor(actor, "actor"),
            reason = convert::text(reason, "reason"),
        );
        let target = ActivityRef::new(phase, activity);
        let events = self.call(py, move |e| e.delegate(&id, &actor, target, &from, &to, how(&reason, dry_run)))?;
        Ok(PyEvent::list(events))
    }

    /// Sets the earliest start of a phase that has not started (an aware ``datetime``),
    /// replacing its ``not_before`` offset.
    #[pyo3(signature = (release_id, phase_id, not_before, *, actor, reason, dry_run = false))]
    #[allow(clippy::too_many_arguments)]
    fn reschedule_phase(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        phase_id: &Bound<'_, PyAny>,
        not_before: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        reason: &Bound<'_, PyAny>,
        dry_run: bool,
    ) -> PyResult<Vec<PyEvent>> {
        args!(py;
            id = convert::text(release_id, "release_id"),
            phase = convert::text(phase_id, "phase_id"),
            at = convert::timestamp(not_before, "not_before"),
            actor = convert::actor(actor, "actor"),
            reason = convert::text(reason, "reason"),
        );
        let events = self.call(py, move |e| e.reschedule_phase(&id, &actor, &phase, at, how(&reason, dry_run)))?;
        Ok(PyEvent::list(events))
    }
}

fn how(reason: &str, dry_run: bool) -> Amend<'_> {
    let how = Amend::because(reason);
    if dry_run { how.dry_run() } else { how }
}

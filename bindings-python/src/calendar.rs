//! The calendar for Python: `Engine.calendar` / `calendar_ics` / `conflicts` (a `#[pymethods]
//! impl Engine` of its own, pyo3's `multiple-pymethods`) and the `CalendarEntry`,
//! `CalendarPhase` and `Conflict` snapshots.
//!
//! The filters are typed keyword arguments with the names of the core's `CalendarFilter` (and of
//! the Node package's filter object): `statuses`, `kinds`, `groups`, `scopes`, `services`,
//! `environments`, each a list of strings (one string stands for a list of one).

use crate::convert::{self, args, repr_str as q, snake};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use trainyard::Timestamp;
use trainyard::access::Actor;
use trainyard::calendar::{CalendarEntry, CalendarFilter, Conflict, PhaseWindow};

/// The window of one phase on the calendar: ``phase_id``, ``start``, ``end`` and ``planned``
/// (``True`` for a planned, future window; ``False`` for the times it actually ran).
#[pyclass(frozen, eq, module = "trainyard", name = "CalendarPhase")]
#[derive(PartialEq)]
pub struct PyCalendarPhase {
    /// Phase id.
    #[pyo3(get)]
    phase_id: String,
    /// Window start (tz-aware, UTC).
    #[pyo3(get)]
    start: Timestamp,
    /// Window end (tz-aware, UTC).
    #[pyo3(get)]
    end: Timestamp,
    /// ``True`` for a planned (future) window, ``False`` for actual times.
    #[pyo3(get)]
    planned: bool,
}

impl From<&PhaseWindow> for PyCalendarPhase {
    fn from(p: &PhaseWindow) -> Self {
        PyCalendarPhase { phase_id: p.phase_id.clone(), start: p.start, end: p.end, planned: p.planned }
    }
}

#[pymethods]
impl PyCalendarPhase {
    fn __repr__(&self) -> String {
        let planned = if self.planned { "True" } else { "False" };
        format!(
            "CalendarPhase(phase_id={}, start={}, end={}, planned={planned})",
            q(&self.phase_id),
            self.start.to_rfc3339(),
            self.end.to_rfc3339()
        )
    }
}

/// A release on the calendar (a snapshot): ``release_id``, ``name``, ``status``, ``kind``,
/// ``group``, ``scope``, its window ``start``/``end``, ``phases`` (``CalendarPhase`` windows), the
/// planned and actual times, and its ``services``/``environments``.
#[pyclass(frozen, module = "trainyard", name = "CalendarEntry")]
pub struct PyCalendarEntry {
    /// Release id.
    #[pyo3(get)]
    release_id: String,
    /// Release name.
    #[pyo3(get)]
    name: String,
    /// Status (snake_case).
    #[pyo3(get)]
    status: String,
    /// Kind (snake_case).
    #[pyo3(get)]
    kind: String,
    /// The release group that generated it.
    #[pyo3(get)]
    group: Option<String>,
    /// Scope (``account`` or ``org:<id>``).
    #[pyo3(get)]
    scope: String,
    /// Window start (activation, else the scheduled start).
    #[pyo3(get)]
    start: Timestamp,
    /// Window end.
    #[pyo3(get)]
    end: Timestamp,
    phases: Vec<Py<PyCalendarPhase>>,
    /// Scheduled start.
    #[pyo3(get)]
    planned_start: Option<Timestamp>,
    /// Scheduled end.
    #[pyo3(get)]
    planned_end: Option<Timestamp>,
    /// Activation time.
    #[pyo3(get)]
    actual_start: Option<Timestamp>,
    /// End time.
    #[pyo3(get)]
    actual_end: Option<Timestamp>,
    /// Values of its ``service`` inputs.
    #[pyo3(get)]
    services: Vec<String>,
    /// Values of its ``environment`` inputs.
    #[pyo3(get)]
    environments: Vec<String>,
    /// The releases its gates wait for (or will, once they start).
    #[pyo3(get)]
    waits_for: Vec<String>,
}

impl PyCalendarEntry {
    fn new(py: Python<'_>, e: &CalendarEntry) -> PyResult<Self> {
        Ok(PyCalendarEntry {
            release_id: e.release_id.clone(),
            name: e.name.clone(),
            status: e.status.as_str().to_string(),
            kind: snake(&e.kind),
            group: e.group.clone(),
            scope: e.scope.clone(),
            start: e.start,
            end: e.end,
            phases: e.phases.iter().map(|p| Py::new(py, PyCalendarPhase::from(p))).collect::<PyResult<_>>()?,
            planned_start: e.planned_start,
            planned_end: e.planned_end,
            actual_start: e.actual_start,
            actual_end: e.actual_end,
            services: e.services.clone(),
            environments: e.environments.clone(),
            waits_for: e.waits_for.clone(),
        })
    }
}

#[pymethods]
impl PyCalendarEntry {
    /// Phase windows (``CalendarPhase``), in phase order.
    #[getter]
    fn phases(&self, py: Python<'_>) -> Vec<Py<PyCalendarPhase>> {
        self.phases.iter().map(|p| p.clone_ref(py)).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "CalendarEntry(name={}, status={}, kind={}, start={}, end={})",
            q(&self.name),
            q(&self.status),
            q(&self.kind),
            self.start.to_rfc3339(),
            self.end.to_rfc3339()
        )
    }
}

/// A calendar conflict: ``kind`` (``overlap``: two releases share a service or environment at the
/// same time; ``freeze``: a release overlaps a freeze window), ``release_ids``, the ``resource``
/// (``service:x``, ``environment:y``, ``*``), ``freeze_id`` (freeze conflicts) and the overlap
/// ``start``/``end``.
#[pyclass(frozen, module = "trainyard", name = "Conflict")]
pub struct PyConflict {
    /// ``overlap`` or ``freeze``.
    #[pyo3(get)]
    kind: String,
    /// The releases: two for an overlap, one for a freeze.
    #[pyo3(get)]
    release_ids: Vec<String>,
    /// The shared resource.
    #[pyo3(get)]
    resource: String,
    /// The freeze (freeze conflicts).
    #[pyo3(get)]
    freeze_id: Option<String>,
    /// Start of the overlap.
    #[pyo3(get)]
    start: Timestamp,
    /// End of the overlap.
    #[pyo3(get)]
    end: Timestamp,
}

impl PyConflict {
    fn new(c: &Conflict) -> Self {
        PyConflict {
            kind: snake(&c.kind),
            release_ids: c.release_ids.clone(),
            resource: c.resource.clone(),
            freeze_id: c.freeze_id.clone(),
            start: c.start,
            end: c.end,
        }
    }
}

#[pymethods]
impl PyConflict {
    fn __repr__(&self) -> String {
        let ids: Vec<String> = self.release_ids.iter().map(|i| q(i)).collect();
        format!(
            "Conflict(kind={}, resource={}, release_ids=[{}], start={}, end={})",
            q(&self.kind),
            q(&self.resource),
            ids.join(", "),
            self.start.to_rfc3339(),
            self.end.to_rfc3339()
        )
    }
}

/// The filter keyword arguments of `calendar` and `calendar_ics`.
struct Filter<'a, 'py> {
    statuses: Option<&'a Bound<'py, PyAny>>,
    kinds: Option<&'a Bound<'py, PyAny>>,
    groups: Option<&'a Bound<'py, PyAny>>,
    scopes: Option<&'a Bound<'py, PyAny>>,
    services: Option<&'a Bound<'py, PyAny>>,
    environments: Option<&'a Bound<'py, PyAny>>,
    include_archived: Option<&'a Bound<'py, PyAny>>,
}

/// What a calendar call reads: the range, the filter and who is asking.
type Query = (Timestamp, Timestamp, CalendarFilter, Option<Actor>);

/// The `[start, end)` range, the filter and the actor of a calendar call; `InvalidInputError`
/// lists every bad argument.
fn query(
    py: Python<'_>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    f: &Filter<'_, '_>,
    actor: Option<&Bound<'_, PyAny>>,
) -> PyResult<Query> {
    args!(py;
        start = convert::timestamp(start, "start"),
        end = convert::timestamp(end, "end"),
        statuses = convert::parsed_list(f.statuses, "statuses"),
        kinds = convert::parsed_list(f.kinds, "kinds"),
        groups = convert::names(f.groups, "groups"),
        scopes = convert::names(f.scopes, "scopes"),
        services = convert::names(f.services, "services"),
        environments = convert::names(f.environments, "environments"),
        include_archived = convert::opt_flag(f.include_archived, "include_archived", false),
        actor = convert::opt_actor(actor, "actor"),
    );
    let filter = CalendarFilter { statuses, kinds, groups, scopes, services, environments, include_archived };
    Ok((start, end, filter, actor))
}

#[pymethods]
impl PyEngine {
    /// The releases on the calendar in ``[start, end)`` (tz-aware datetimes), by start, as
    /// ``CalendarEntry``. Filters (each a list of strings, or one string): ``statuses``,
    /// ``kinds``, ``groups`` (release group ids), ``scopes``, ``services``, ``environments``
    /// (a release passes a list when its value is in it; every list given must pass). Archived
    /// releases are left out unless ``include_archived``. With ``actor``, only the releases that
    /// actor may read.
    #[pyo3(signature = (start, end, *, statuses = None, kinds = None, groups = None, scopes = None,
        services = None, environments = None, include_archived = None, actor = None))]
    #[allow(clippy::too_many_arguments)]
    fn calendar(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        statuses: Option<&Bound<'_, PyAny>>,
        kinds: Option<&Bound<'_, PyAny>>,
        groups: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
        services: Option<&Bound<'_, PyAny>>,
        environments: Option<&Bound<'_, PyAny>>,
        include_archived: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyCalendarEntry>> {
        let filter = Filter { statuses, kinds, groups, scopes, services, environments, include_archived };
        let (from, to, filter, actor) = query(py, start, end, &filter, actor)?;
        let entries = self.call(py, move |e| match actor {
            Some(a) => e.calendar_as(&a, from, to, &filter),
            None => e.calendar(from, to, &filter),
        })?;
        entries.iter().map(|e| PyCalendarEntry::new(py, e)).collect()
    }

    /// The conflicts in ``[start, end)``: releases overlapping on a shared service or environment,
    /// and releases overlapping a freeze window.
    #[pyo3(signature = (start, end))]
    fn conflicts(&self, py: Python<'_>, start: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> PyResult<Vec<PyConflict>> {
        args!(py; from = convert::timestamp(start, "start"), to = convert::timestamp(end, "end"));
        let list = self.call(py, move |e| e.conflicts(from, to))?;
        Ok(list.iter().map(PyConflict::new).collect())
    }

    /// The calendar of ``[start, end)`` as iCalendar (RFC 5545) text, one ``VEVENT`` per release;
    /// the filters of ``calendar``.
    #[pyo3(signature = (start, end, *, statuses = None, kinds = None, groups = None, scopes = None,
        services = None, environments = None, include_archived = None))]
    #[allow(clippy::too_many_arguments)]
    fn calendar_ics(
        &self,
        py: Python<'_>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        statuses: Option<&Bound<'_, PyAny>>,
        kinds: Option<&Bound<'_, PyAny>>,
        groups: Option<&Bound<'_, PyAny>>,
        scopes: Option<&Bound<'_, PyAny>>,
        services: Option<&Bound<'_, PyAny>>,
        environments: Option<&Bound<'_, PyAny>>,
        include_archived: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let filter = Filter { statuses, kinds, groups, scopes, services, environments, include_archived };
        let (from, to, filter, _) = query(py, start, end, &filter, None)?;
        self.call(py, move |e| e.calendar_ics(from, to, &filter))
    }
}

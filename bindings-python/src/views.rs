//! Read-only snapshots handed to Python: `Release`, `Phase`, `Activity`, `Event`, `ProcessInfo`.
//!
//! Each is built from the core's state when it is returned and never changes afterwards (read the
//! release again to see later changes). Statuses, kinds and skip reasons are the core's snake_case
//! strings; times are tz-aware UTC `datetime`s; inputs, outputs and event data are plain dicts.

use crate::convert::{self, repr_str as q};
use crate::executor::PyJob;
use crate::problem::PyProblem;
use crate::time;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::collections::HashMap;
use trainyard::release::{ActivityState, Event, PhaseState, ReleaseState};
use trainyard::store::JobRecord;
use trainyard::{InputSet, ProcessInfo, Timestamp, model};

fn snake<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// A registered process version: ``id``, ``version`` (1, 2, …; a new one only when the definition
/// changed) and the validation ``warnings`` (reported when it was registered; empty in
/// ``Engine.list_processes()``).
#[pyclass(frozen, module = "trainyard", name = "ProcessInfo")]
pub struct PyProcessInfo {
    /// The process id.
    #[pyo3(get)]
    id: String,
    /// The version (1, 2, …).
    #[pyo3(get)]
    version: u32,
    /// Validation warnings (``Problem``), which never stop a process from registering.
    #[pyo3(get)]
    warnings: Vec<PyProblem>,
}

impl PyProcessInfo {
    pub fn new(info: &ProcessInfo) -> Self {
        PyProcessInfo {
            id: info.id.clone(),
            version: info.version,
            warnings: info.warnings.iter().map(PyProblem::from).collect(),
        }
    }

    pub fn listed(id: String, version: u32) -> Self {
        PyProcessInfo { id, version, warnings: Vec::new() }
    }
}

#[pymethods]
impl PyProcessInfo {
    fn __repr__(&self) -> String {
        format!("ProcessInfo(id={}, version={}, warnings={})", q(&self.id), self.version, self.warnings.len())
    }
}

/// One entry of a release's history (its audit trail): ``seq`` (1, 2, … without gaps), ``at``
/// (tz-aware), ``actor`` (``system`` for the clock and the engine), ``kind`` (snake_case, e.g.
/// ``activity_queued``), ``data`` (the event's payload as a dict; empty for events without one) and
/// the ``comment`` or reason given with the command.
#[pyclass(frozen, module = "trainyard", name = "Event")]
pub struct PyEvent {
    /// Position in the release's log, from 1.
    #[pyo3(get)]
    seq: u64,
    /// When it happened (tz-aware, UTC).
    #[pyo3(get)]
    at: Timestamp,
    /// Who caused it.
    #[pyo3(get)]
    actor: String,
    /// What happened, e.g. ``approval_recorded``.
    #[pyo3(get)]
    kind: String,
    /// The payload.
    #[pyo3(get)]
    data: Py<PyAny>,
    /// The reason or comment given with the command.
    #[pyo3(get)]
    comment: Option<String>,
}

impl PyEvent {
    pub fn new(py: Python<'_>, e: &Event) -> PyResult<Self> {
        let doc = serde_json::to_value(e).map_err(|err| crate::errors::internal(py, &format!("event: {err}")))?;
        let data = match doc.get("data") {
            Some(d @ serde_json::Value::Object(_)) => convert::to_py(py, d)?,
            _ => PyDict::new(py).into_any(),
        };
        Ok(PyEvent {
            seq: e.seq,
            at: e.at,
            actor: e.actor.clone(),
            kind: e.kind.name().to_string(),
            data: data.unbind(),
            comment: e.comment.clone(),
        })
    }

    pub fn list(py: Python<'_>, events: &[Event]) -> PyResult<Vec<PyEvent>> {
        events.iter().map(|e| PyEvent::new(py, e)).collect()
    }
}

#[pymethods]
impl PyEvent {
    fn __repr__(&self) -> String {
        let comment = self.comment.as_ref().map(|c| format!(", comment={}", q(c))).unwrap_or_default();
        format!(
            "Event(seq={}, at={}, actor={}, kind={}{comment})",
            self.seq,
            self.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            q(&self.actor),
            q(&self.kind)
        )
    }
}

/// One activity of a release: ``id``, ``name``, ``kind`` (``automated``, ``approval``, ``manual``,
/// ``subprocess``, ``wait``), ``status`` (``pending``, ``queued``, ``running``,
/// ``waiting_for_input``, ``on_hold``, ``success``, ``failed``, ``ignored``, ``skipped``,
/// ``aborted``), ``attempt`` (0 = first run), ``outputs``, ``approvals`` (dicts with ``approver``,
/// ``approved``, ``at``, ``comment``), the last failure ``error``, the ``skip_reason``
/// (``condition``, ``manual``, ``upstream_failed``, ``release_failed``), the current ``job_id`` and
/// ``job_inputs`` (automated), and ``started_at``/``ended_at``.
#[pyclass(frozen, module = "trainyard", name = "Activity")]
pub struct PyActivity {
    /// Activity id.
    #[pyo3(get)]
    id: String,
    /// Display name, if the definition gives one.
    #[pyo3(get)]
    name: Option<String>,
    /// ``automated``, ``approval``, ``manual``, ``subprocess`` or ``wait``.
    #[pyo3(get)]
    kind: String,
    /// Status (snake_case).
    #[pyo3(get)]
    status: String,
    /// Attempt (0 = first run).
    #[pyo3(get)]
    attempt: u32,
    /// Outputs (success, ignore substitutes, manual field values, approvals).
    #[pyo3(get)]
    outputs: Py<PyAny>,
    /// Approval decisions of the current attempt: dicts with ``approver``, ``approved``, ``at``, ``comment``.
    #[pyo3(get)]
    approvals: Py<PyAny>,
    /// The last failure message.
    #[pyo3(get)]
    error: Option<String>,
    /// Why it was skipped.
    #[pyo3(get)]
    skip_reason: Option<String>,
    /// The job of the current attempt (automated activities), for ``Engine.complete_job``.
    #[pyo3(get)]
    job_id: Option<String>,
    /// The ``with`` values of the current attempt's job.
    #[pyo3(get)]
    job_inputs: Py<PyAny>,
    /// When it first left ``pending`` in this attempt.
    #[pyo3(get)]
    started_at: Option<Timestamp>,
    /// When it ended.
    #[pyo3(get)]
    ended_at: Option<Timestamp>,
    /// The current child release (subprocess activities); its getter is in `calendar.rs`.
    pub(crate) child_id: Option<String>,
}

impl PyActivity {
    fn new(py: Python<'_>, a: &ActivityState, def: Option<&model::Activity>) -> PyResult<Self> {
        let approvals = PyList::empty(py);
        for r in &a.approvals {
            let d = PyDict::new(py);
            d.set_item("approver", &r.approver)?;
            d.set_item("approved", r.approved)?;
            d.set_item("at", time::to_datetime(py, &r.at)?)?;
            d.set_item("comment", &r.comment)?;
            approvals.append(d)?;
        }
        Ok(PyActivity {
            id: a.id.clone(),
            name: def.and_then(|d| d.name.clone()),
            kind: def.map(|d| d.kind.as_str().to_string()).unwrap_or_default(),
            status: a.status.as_str().to_string(),
            attempt: a.attempt,
            outputs: convert::map_to_py(py, &a.outputs)?.unbind(),
            approvals: approvals.into_any().unbind(),
            error: a.error.clone(),
            skip_reason: a.skip_reason.as_ref().map(snake),
            job_id: a.job_id.clone(),
            job_inputs: convert::map_to_py(py, &a.job_inputs)?.unbind(),
            started_at: a.started_at,
            ended_at: a.ended_at,
            child_id: a.child_id.clone(),
        })
    }
}

#[pymethods]
impl PyActivity {
    fn __repr__(&self) -> String {
        let extra = match (&self.skip_reason, &self.error) {
            (Some(r), _) => format!(", skip_reason={}", q(r)),
            (None, Some(e)) => format!(", error={}", q(e)),
            _ => String::new(),
        };
        format!(
            "Activity(id={}, kind={}, status={}, attempt={}{extra})",
            q(&self.id),
            q(&self.kind),
            q(&self.status),
            self.attempt
        )
    }
}

/// One phase of a release: ``id``, ``name``, ``status`` (``pending``, ``scheduled``, ``running``,
/// ``on_hold``, ``success``, ``failed``, ``skipped``, ``aborted``), ``outputs`` (evaluated when it
/// ends), ``activities`` (by id, in definition order), ``rollback`` (whether it is a rollback phase),
/// ``skip_reason``, ``variables`` and ``started_at``/``ended_at``.
#[pyclass(frozen, module = "trainyard", name = "Phase")]
pub struct PyPhase {
    /// Phase id.
    #[pyo3(get)]
    id: String,
    /// Display name, if the definition gives one.
    #[pyo3(get)]
    name: Option<String>,
    /// Status (snake_case).
    #[pyo3(get)]
    status: String,
    /// Evaluated phase outputs.
    #[pyo3(get)]
    outputs: Py<PyAny>,
    /// Activities by id (``dict[str, Activity]``).
    #[pyo3(get)]
    activities: Py<PyAny>,
    /// Whether this is a rollback phase.
    #[pyo3(get)]
    rollback: bool,
    /// Why it was skipped.
    #[pyo3(get)]
    skip_reason: Option<String>,
    /// The phase's variables, evaluated when it started.
    #[pyo3(get)]
    variables: Py<PyAny>,
    /// When it started.
    #[pyo3(get)]
    started_at: Option<Timestamp>,
    /// When it ended.
    #[pyo3(get)]
    ended_at: Option<Timestamp>,
}

impl PyPhase {
    fn new(py: Python<'_>, p: &PhaseState, def: Option<&model::Phase>, rollback: bool) -> PyResult<Self> {
        let defs: HashMap<&str, &model::Activity> =
            def.map(|d| d.activities.iter().map(|a| (a.id.as_str(), a)).collect()).unwrap_or_default();
        let activities = PyDict::new(py);
        for a in &p.activities {
            activities.set_item(&a.id, PyActivity::new(py, a, defs.get(a.id.as_str()).copied())?)?;
        }
        Ok(PyPhase {
            id: p.id.clone(),
            name: def.and_then(|d| d.name.clone()),
            status: p.status.as_str().to_string(),
            outputs: convert::map_to_py(py, &p.outputs)?.unbind(),
            activities: activities.into_any().unbind(),
            rollback,
            skip_reason: p.skip_reason.as_ref().map(snake),
            variables: convert::map_to_py(py, &p.variables)?.unbind(),
            started_at: p.started_at,
            ended_at: p.ended_at,
        })
    }
}

#[pymethods]
impl PyPhase {
    fn __repr__(&self, py: Python<'_>) -> String {
        let n = self.activities.bind(py).len().unwrap_or(0);
        let skip = self.skip_reason.as_ref().map(|r| format!(", skip_reason={}", q(r))).unwrap_or_default();
        format!("Phase(id={}, status={}, activities={n}{skip})", q(&self.id), q(&self.status))
    }
}

/// A snapshot of a release: ``id`` (UUID v7), ``name``, ``kind`` (``standard``, ``hotfix``,
/// ``feature``, ``system``), ``status`` (``draft``, ``scheduled``, ``running``, ``on_hold``,
/// ``success``, ``partial_success``, ``failed``, ``aborted``), ``scope`` (``account`` or
/// ``org:<id>``), the pinned ``process_id``/``process_version``, ``inputs``, ``attempt`` (restarts),
/// ``archived``, ``rolled_back``, ``pre_executed`` (activated before its scheduled start),
/// ``paused``, ``owners``, ``group``, ``input_set`` (``(name, version)``), the planned window (``planned_start``, ``planned_end``,
/// ``auto_start``), ``created_at``/``started_at``/``ended_at``, and ``phases`` by id (regular
/// phases, then rollback phases). Read it again with ``Engine.get_release`` to see later changes.
#[pyclass(frozen, module = "trainyard", name = "Release")]
pub struct PyRelease {
    /// Release id (UUID v7, time-ordered).
    #[pyo3(get)]
    id: String,
    /// Display name.
    #[pyo3(get)]
    name: String,
    /// ``standard``, ``hotfix``, ``feature`` or ``system``.
    #[pyo3(get)]
    kind: String,
    /// Status (snake_case).
    #[pyo3(get)]
    status: String,
    /// ``account`` or ``org:<id>``.
    #[pyo3(get)]
    scope: String,
    /// Process id.
    #[pyo3(get)]
    process_id: String,
    /// Pinned process version.
    #[pyo3(get)]
    process_version: u32,
    /// Inputs (defaults ⊕ input set ⊕ explicit values).
    #[pyo3(get)]
    inputs: Py<PyAny>,
    /// Release attempt (a restart increments it).
    #[pyo3(get)]
    attempt: u32,
    /// Archived.
    #[pyo3(get)]
    archived: bool,
    /// Ended failed after running its rollback phases.
    #[pyo3(get)]
    rolled_back: bool,
    /// Activated before its scheduled start.
    #[pyo3(get)]
    pre_executed: bool,
    /// Paused by an operator.
    #[pyo3(get)]
    paused: bool,
    /// Owners (release managers and stakeholders).
    #[pyo3(get)]
    owners: Vec<String>,
    /// The release group that generated it.
    #[pyo3(get)]
    group: Option<String>,
    /// The input set it was created from: ``(name, version)``, or ``None``.
    #[pyo3(get)]
    input_set: Option<(String, u32)>,
    /// Planned start, once scheduled.
    #[pyo3(get)]
    planned_start: Option<Timestamp>,
    /// Planned end, if given.
    #[pyo3(get)]
    planned_end: Option<Timestamp>,
    /// Whether it activates itself at ``planned_start`` (``None`` until scheduled).
    #[pyo3(get)]
    auto_start: Option<bool>,
    /// When it was created.
    #[pyo3(get)]
    created_at: Option<Timestamp>,
    /// When it was activated.
    #[pyo3(get)]
    started_at: Option<Timestamp>,
    /// When it ended.
    #[pyo3(get)]
    ended_at: Option<Timestamp>,
    /// Phases by id (``dict[str, Phase]``).
    #[pyo3(get)]
    phases: Py<PyAny>,
}

impl PyRelease {
    pub fn new(py: Python<'_>, s: &ReleaseState) -> PyResult<Self> {
        let (regular, rollback): (HashMap<&str, &model::Phase>, HashMap<&str, &model::Phase>) = match &s.plan {
            Some(plan) => (
                plan.process.phases.iter().map(|p| (p.id.as_str(), p)).collect(),
                plan.process.rollback.iter().map(|p| (p.id.as_str(), p)).collect(),
            ),
            None => Default::default(),
        };
        let phases = PyDict::new(py);
        for p in &s.phases {
            let (def, is_rollback) = match regular.get(p.id.as_str()) {
                Some(d) => (Some(*d), false),
                None => (rollback.get(p.id.as_str()).copied(), true),
            };
            phases.set_item(&p.id, PyPhase::new(py, p, def, is_rollback)?)?;
        }
        Ok(PyRelease {
            id: s.id.clone(),
            name: s.name.clone(),
            kind: s.kind.as_str().to_string(),
            status: s.status.as_str().to_string(),
            scope: s.scope.clone(),
            process_id: s.process_id.clone(),
            process_version: s.process_version,
            inputs: convert::map_to_py(py, &s.inputs)?.unbind(),
            attempt: s.attempt,
            archived: s.archived,
            rolled_back: s.rolled_back,
            pre_executed: s.pre_executed,
            paused: s.paused,
            owners: s.owners.clone(),
            group: s.group.clone(),
            input_set: s.input_set.clone(),
            planned_start: s.schedule.as_ref().map(|x| x.start),
            planned_end: s.schedule.as_ref().and_then(|x| x.end),
            auto_start: s.schedule.as_ref().map(|x| x.auto_start),
            created_at: s.created_at,
            started_at: s.started_at,
            ended_at: s.ended_at,
            phases: phases.into_any().unbind(),
        })
    }
}

#[pymethods]
impl PyRelease {
    fn __repr__(&self) -> String {
        format!(
            "Release(id={}, name={}, status={}, kind={}, process={}, version={}, attempt={})",
            q(&self.id),
            q(&self.name),
            q(&self.status),
            q(&self.kind),
            q(&self.process_id),
            self.process_version,
            self.attempt
        )
    }
}

/// One version of a named input set of a process (``Engine.get_input_set``): ``process_id``,
/// ``name``, ``version`` (1, 2, …: a new one each time the values change) and ``values`` (a dict).
#[pyclass(frozen, module = "trainyard", name = "InputSet")]
pub struct PyInputSet {
    /// The process it belongs to.
    #[pyo3(get)]
    process_id: String,
    /// Its name.
    #[pyo3(get)]
    name: String,
    /// Its version.
    #[pyo3(get)]
    version: u32,
    /// The values.
    #[pyo3(get)]
    values: Py<PyAny>,
}

impl PyInputSet {
    pub fn new(py: Python<'_>, set: &InputSet) -> PyResult<Self> {
        Ok(PyInputSet {
            process_id: set.process_id.clone(),
            name: set.name.clone(),
            version: set.version,
            values: convert::map_to_py(py, &set.values)?.unbind(),
        })
    }
}

#[pymethods]
impl PyInputSet {
    fn __repr__(&self, py: Python<'_>) -> String {
        let keys: Vec<String> = self
            .values
            .bind(py)
            .cast::<PyDict>()
            .map(|d| d.keys().iter().filter_map(|k| k.extract::<String>().ok()).map(|k| q(&k)).collect())
            .unwrap_or_default();
        format!(
            "InputSet(process_id={}, name={}, version={}, values=[{}])",
            q(&self.process_id),
            q(&self.name),
            self.version,
            keys.join(", ")
        )
    }
}

/// A job in the store with its lease (``Engine.list_jobs``): the ``job``, the ``worker`` holding
/// (or last holding) its lease and when that lease ends (``lease_until``; both ``None`` if never
/// claimed), and how many times it was handed out (``deliveries``).
#[pyclass(frozen, module = "trainyard", name = "JobRecord")]
pub struct PyJobRecord {
    /// The job (its inputs as stored: secret references unresolved).
    #[pyo3(get)]
    job: Py<PyJob>,
    /// The lease holder, or ``None``.
    #[pyo3(get)]
    worker: Option<String>,
    /// When the lease ends (tz-aware, UTC), or ``None``.
    #[pyo3(get)]
    lease_until: Option<Timestamp>,
    /// How many times it was handed out.
    #[pyo3(get)]
    deliveries: u32,
}

impl PyJobRecord {
    pub fn new(py: Python<'_>, r: JobRecord) -> PyResult<Self> {
        Ok(PyJobRecord {
            job: Py::new(py, PyJob::new(r.job))?,
            worker: r.worker,
            lease_until: r.lease_until,
            deliveries: r.deliveries,
        })
    }
}

#[pymethods]
impl PyJobRecord {
    fn __repr__(&self, py: Python<'_>) -> String {
        let job = self.job.bind(py).get();
        format!(
            "JobRecord(id={}, worker={}, lease_until={}, deliveries={})",
            q(&job.inner.id),
            self.worker.as_deref().map(q).unwrap_or_else(|| "None".into()),
            self.lease_until
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                .unwrap_or_else(|| "None".into()),
            self.deliveries
        )
    }
}

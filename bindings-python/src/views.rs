//! Read-only snapshots handed to Python: `Release`, `Phase`, `Activity`, `Approval` (built from
//! the core's one read model, [`trainyard::release::ReleaseView`]), the small values they hold
//! (`Schedule`, `ParentLink`, `InputSetRef`; `Lock` is in `locks.rs`), and `Event` and
//! `ProcessInfo`.
//!
//! The release classes expose exactly the fields of the view, under the same (snake_case) names;
//! this file only converts values: statuses, kinds and skip reasons become the core's snake_case
//! strings, times tz-aware UTC `datetime`s (absent: `None`), maps new `dict`s on every access,
//! phases and activities `dict`s by id in definition order (regular phases, then rollback phases).
//! A snapshot never changes: read the release again to see later changes.

use crate::convert::{self, repr_str as q, snake};
use crate::locks::PyLock;
use indexmap::IndexMap;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
use trainyard::release::{ActivityView, ApprovalView, Event, PhaseView};
use trainyard::{ProcessInfo, Timestamp};

mod release;

pub use release::PyRelease;

/// A time as RFC 3339 text (for `__repr__`).
pub(crate) fn time_text(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
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
    warnings: Vec<crate::errors::PyProblem>,
}

impl PyProcessInfo {
    /// The result of registering a process.
    pub fn new(info: &ProcessInfo) -> Self {
        PyProcessInfo {
            id: info.id.clone(),
            version: info.version,
            warnings: info.warnings.iter().map(crate::errors::PyProblem::from).collect(),
        }
    }

    /// A process as `list_processes` gives it (no warnings).
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
///
/// It keeps the core's event as it is and converts a field when it is read: a command's events
/// cost nothing to return when nobody looks at them.
#[pyclass(frozen, module = "trainyard", name = "Event")]
pub struct PyEvent {
    event: Event,
}

impl PyEvent {
    /// The Python view of one event (kept as it is; converted on access).
    pub fn new(event: Event) -> Self {
        PyEvent { event }
    }

    /// The Python views of a list of events.
    pub fn list(events: Vec<Event>) -> Vec<PyEvent> {
        events.into_iter().map(PyEvent::new).collect()
    }
}

#[pymethods]
impl PyEvent {
    /// Position in the release's log, from 1.
    #[getter]
    fn seq(&self) -> u64 {
        self.event.seq
    }

    /// When it happened (tz-aware, UTC).
    #[getter]
    fn at(&self) -> Timestamp {
        self.event.at
    }

    /// Who caused it.
    #[getter]
    fn actor(&self) -> &str {
        &self.event.actor
    }

    /// What happened, e.g. ``approval_recorded``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.event.kind.name()
    }

    /// The reason or comment given with the command.
    #[getter]
    fn comment(&self) -> Option<&str> {
        self.event.comment.as_deref()
    }

    /// The payload (a new dict on every access; empty for an event without one).
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let doc = serde_json::to_value(&self.event.kind)
            .map_err(|err| crate::errors::internal(py, &format!("event: {err}")))?;
        match doc {
            Value::Object(mut fields) => match fields.remove("data") {
                Some(data @ Value::Object(_)) => convert::to_py(py, &data),
                _ => Ok(PyDict::new(py).into_any()),
            },
            _ => Ok(PyDict::new(py).into_any()),
        }
    }

    fn __repr__(&self) -> String {
        let e = &self.event;
        let comment = e.comment.as_ref().map(|c| format!(", comment={}", q(c))).unwrap_or_default();
        format!(
            "Event(seq={}, at={}, actor={}, kind={}{comment})",
            e.seq,
            time_text(&e.at),
            q(&e.actor),
            q(e.kind.name())
        )
    }
}

/// When a release is planned: ``start``, ``end`` (``None`` when not given) and ``auto_start``
/// (whether the clock activates it at ``start``). ``Release.schedule`` is ``None`` until the
/// release is scheduled.
#[pyclass(frozen, eq, module = "trainyard", name = "Schedule")]
#[derive(PartialEq)]
pub struct PySchedule {
    /// Planned start (tz-aware, UTC).
    #[pyo3(get)]
    start: Timestamp,
    /// Planned end, if given.
    #[pyo3(get)]
    end: Option<Timestamp>,
    /// Whether the clock activates the release at ``start``.
    #[pyo3(get)]
    auto_start: bool,
}

#[pymethods]
impl PySchedule {
    fn __repr__(&self) -> String {
        let end = self.end.as_ref().map(time_text).unwrap_or_else(|| "None".to_owned());
        let auto = if self.auto_start { "True" } else { "False" };
        format!("Schedule(start={}, end={end}, auto_start={auto})", time_text(&self.start))
    }
}

/// The parent of a child release: the ``release`` and its subprocess activity (``phase``,
/// ``activity``) that started this one.
#[pyclass(frozen, eq, module = "trainyard", name = "ParentLink")]
#[derive(PartialEq)]
pub struct PyParentLink {
    /// The parent release id.
    #[pyo3(get)]
    release: String,
    /// The parent's phase.
    #[pyo3(get)]
    phase: String,
    /// The parent's subprocess activity.
    #[pyo3(get)]
    activity: String,
}

#[pymethods]
impl PyParentLink {
    fn __repr__(&self) -> String {
        format!("ParentLink(release={}, phase={}, activity={})", q(&self.release), q(&self.phase), q(&self.activity))
    }
}

/// The input set a release was created with: its ``name`` and the ``version`` used.
#[pyclass(frozen, eq, module = "trainyard", name = "InputSetRef")]
#[derive(PartialEq)]
pub struct PyInputSetRef {
    /// The input set's name.
    #[pyo3(get)]
    name: String,
    /// The version used.
    #[pyo3(get)]
    version: u32,
}

#[pymethods]
impl PyInputSetRef {
    fn __repr__(&self) -> String {
        format!("InputSetRef(name={}, version={})", q(&self.name), self.version)
    }
}

/// What a release waits on now: ``kind`` (``approval``, ``manual``, ``failure_decision``,
/// ``worker``, ``gate``, ``lock``, ``freeze`` or ``timer``) and the ``phase_id`` and ``activity_id`` concerned
/// (``None`` for a scheduled activation; ``activity_id`` ``None`` for a phase's ``not_before``).
#[pyclass(frozen, eq, module = "trainyard", name = "WaitingOn")]
#[derive(PartialEq)]
pub struct PyWaitingOn {
    /// What it waits on.
    #[pyo3(get)]
    kind: &'static str,
    /// The phase concerned.
    #[pyo3(get)]
    phase_id: Option<String>,
    /// The activity concerned.
    #[pyo3(get)]
    activity_id: Option<String>,
}

#[pymethods]
impl PyWaitingOn {
    fn __repr__(&self) -> String {
        let opt = |v: &Option<String>| v.as_deref().map(q).unwrap_or_else(|| "None".to_owned());
        format!(
            "WaitingOn(kind={}, phase_id={}, activity_id={})",
            q(self.kind),
            opt(&self.phase_id),
            opt(&self.activity_id)
        )
    }
}

/// One approval decision: the ``approver``, whether they ``approved`` (``False``: rejected),
/// ``at`` (tz-aware) and the ``comment`` given.
#[pyclass(frozen, module = "trainyard", name = "Approval")]
pub struct PyApproval {
    /// Who decided.
    #[pyo3(get)]
    approver: String,
    /// Approved (``True``) or rejected.
    #[pyo3(get)]
    approved: bool,
    /// When (tz-aware, UTC).
    #[pyo3(get)]
    at: Timestamp,
    /// The comment given.
    #[pyo3(get)]
    comment: Option<String>,
}

impl PyApproval {
    fn new(a: &ApprovalView<'_>) -> Self {
        PyApproval {
            approver: a.approver.to_owned(),
            approved: a.approved,
            at: a.at,
            comment: a.comment.map(str::to_owned),
        }
    }
}

#[pymethods]
impl PyApproval {
    fn __repr__(&self) -> String {
        let approved = if self.approved { "True" } else { "False" };
        format!("Approval(approver={}, approved={approved}, at={})", q(&self.approver), time_text(&self.at))
    }
}

/// The structured form of an executor's failure (the command executor gives one): ``reason``
/// (``exit_code``, ``signal``, ``timed_out``, ``cancelled``, ``not_started``, ``invalid_outputs``,
/// ``lost``), the ``exit_code``, the ``signal`` number and ``signal_name`` that ended the process,
/// and the last 4 KiB of stderr (``stderr_tail``, redacted).
#[pyclass(frozen, module = "trainyard", name = "FailureDetail")]
pub struct PyFailureDetail {
    /// Why it failed.
    #[pyo3(get)]
    reason: String,
    /// The exit code, when the process exited.
    #[pyo3(get)]
    exit_code: Option<i32>,
    /// The signal number that ended the process, if one did.
    #[pyo3(get)]
    signal: Option<i32>,
    /// The signal's name (``SIGKILL``), when it has a standard one.
    #[pyo3(get)]
    signal_name: Option<String>,
    /// The last 4 KiB of stderr, redacted; ``None`` when stderr was empty.
    #[pyo3(get)]
    stderr_tail: Option<String>,
}

impl PyFailureDetail {
    fn new(d: &trainyard::executor::FailureDetail) -> Self {
        PyFailureDetail {
            reason: snake(&d.reason),
            exit_code: d.exit_code,
            signal: d.signal.as_ref().map(|s| s.number),
            signal_name: d.signal.as_ref().and_then(|s| s.name.clone()),
            stderr_tail: d.stderr_tail.clone(),
        }
    }
}

#[pymethods]
impl PyFailureDetail {
    fn __repr__(&self) -> String {
        let code = self.exit_code.map(|c| format!(", exit_code={c}")).unwrap_or_default();
        let signal = self.signal.map(|s| format!(", signal={s}")).unwrap_or_default();
        format!("FailureDetail(reason={}{code}{signal})", q(&self.reason))
    }
}

/// One activity of a release (see ``Release``): ``kind`` is ``automated``, ``approval``,
/// ``manual``, ``subprocess`` or ``wait``; ``status`` one of ``pending``, ``queued``, ``running``,
/// ``waiting_for_input``, ``on_hold``, ``success``, ``failed``, ``ignored``, ``skipped``,
/// ``aborted``; ``skip_reason`` one of ``condition``, ``manual``, ``upstream_failed``,
/// ``release_failed``.
#[pyclass(frozen, module = "trainyard", name = "Activity")]
pub struct PyActivity {
    /// Activity id.
    #[pyo3(get)]
    id: String,
    /// Display name from the definition.
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
    outputs: IndexMap<String, Value>,
    approvals: Vec<Py<PyApproval>>,
    /// Whether the approval deadline escalated (``escalate_to`` may approve too).
    #[pyo3(get)]
    escalated: bool,
    /// The last failure message.
    #[pyo3(get)]
    error: Option<String>,
    last_failure: Option<Py<PyFailureDetail>>,
    /// Why it was skipped.
    #[pyo3(get)]
    skip_reason: Option<String>,
    /// The job of the current attempt (automated activities), for ``Engine.complete_job``.
    #[pyo3(get)]
    job_id: Option<String>,
    /// The child release of the current attempt (subprocess activities).
    #[pyo3(get)]
    child_id: Option<String>,
    job_inputs: IndexMap<String, Value>,
    gate_targets: Vec<trainyard::release::gates::GateObservation>,
    locks: Vec<Py<PyLock>>,
    /// When it first left ``pending`` in this attempt.
    #[pyo3(get)]
    started_at: Option<Timestamp>,
    /// When it ended.
    #[pyo3(get)]
    ended_at: Option<Timestamp>,
}

impl PyActivity {
    fn new(py: Python<'_>, a: &ActivityView<'_>) -> PyResult<Self> {
        let approvals = a.approvals.iter().map(|r| Py::new(py, PyApproval::new(r))).collect::<PyResult<_>>()?;
        Ok(PyActivity {
            id: a.id.to_owned(),
            name: a.name.map(str::to_owned),
            kind: a.kind.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            attempt: a.attempt,
            outputs: a.outputs.clone(),
            approvals,
            escalated: a.escalated,
            error: a.error.map(str::to_owned),
            last_failure: a.last_failure.map(|d| Py::new(py, PyFailureDetail::new(d))).transpose()?,
            skip_reason: a.skip_reason.as_ref().map(snake),
            job_id: a.job_id.map(str::to_owned),
            child_id: a.child_id.map(str::to_owned),
            job_inputs: a.job_inputs.clone(),
            gate_targets: a.gate_targets.to_vec(),
            locks: PyLock::list(py, &a.locks)?,
            started_at: a.started_at,
            ended_at: a.ended_at,
        })
    }
}

#[pymethods]
impl PyActivity {
    /// Outputs: executor outputs, ``ignore`` substitutes, manual field values, ``approvers`` (a
    /// new dict on every access).
    #[getter]
    fn outputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.outputs)
    }

    /// Approval decisions of the current attempt (``Approval``), oldest first.
    #[getter]
    fn approvals(&self, py: Python<'_>) -> Vec<Py<PyApproval>> {
        self.approvals.iter().map(|a| a.clone_ref(py)).collect()
    }

    /// The structured form of the last failure (``FailureDetail``), when the executor gave one.
    #[getter]
    fn last_failure(&self, py: Python<'_>) -> Option<Py<PyFailureDetail>> {
        self.last_failure.as_ref().map(|d| d.clone_ref(py))
    }

    /// The ``with`` values of the current attempt's job (secrets as ``secret://`` references).
    #[getter]
    fn job_inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.job_inputs)
    }

    /// A waiting gate's targets: a dict per release (or phase or activity of one) it watches,
    /// with ``release``, ``phase``, ``activity`` (``None`` when the target is the whole release or
    /// phase) and the ``status`` it was last seen in (a new list on every access).
    #[getter]
    fn gate_targets<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.gate_targets
            .iter()
            .map(|t| {
                let value = serde_json::json!({
                    "release": t.release, "phase": t.phase, "activity": t.activity, "status": t.status,
                });
                convert::to_py(py, &value)
            })
            .collect()
    }

    /// The activity's own locks that the release holds or waits for now (``list[Lock]``; a
    /// phase's locks are in ``Phase.locks``).
    #[getter]
    fn locks(&self, py: Python<'_>) -> Vec<Py<PyLock>> {
        self.locks.iter().map(|l| l.clone_ref(py)).collect()
    }

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

/// One phase of a release (see ``Release``): ``status`` is one of ``pending``, ``scheduled``,
/// ``running``, ``on_hold``, ``success``, ``failed``, ``skipped``, ``aborted``.
#[pyclass(frozen, module = "trainyard", name = "Phase")]
pub struct PyPhase {
    /// Phase id.
    #[pyo3(get)]
    id: String,
    /// Display name from the definition.
    #[pyo3(get)]
    name: Option<String>,
    /// Status (snake_case).
    #[pyo3(get)]
    status: String,
    /// Whether this is a rollback phase.
    #[pyo3(get)]
    rollback: bool,
    /// Whether its failure fails the release (``critical``, default true).
    #[pyo3(get)]
    critical: bool,
    /// Why it was skipped.
    #[pyo3(get)]
    skip_reason: Option<String>,
    outputs: IndexMap<String, Value>,
    variables: IndexMap<String, Value>,
    /// When it started.
    #[pyo3(get)]
    started_at: Option<Timestamp>,
    /// When it ended.
    #[pyo3(get)]
    ended_at: Option<Timestamp>,
    /// When it may start (its ``not_before``), once known.
    #[pyo3(get)]
    not_before: Option<Timestamp>,
    attempts: Vec<trainyard::release::PhaseAttempt>,
    locks: Vec<Py<PyLock>>,
    activities: Vec<(String, Py<PyActivity>)>,
}

/// An earlier attempt of a phase, kept when a ``rewind`` ran it again: ``attempt`` (0 = the first
/// run), ``status`` (how it ended; ``running`` or ``on_hold`` when it was rewound before it ended),
/// ``outputs``, ``started_at``, ``ended_at``.
#[pyclass(frozen, module = "trainyard", name = "PhaseAttempt")]
pub struct PyPhaseAttempt {
    /// The attempt (0 = the first run).
    #[pyo3(get)]
    attempt: u32,
    /// How it ended (snake_case).
    #[pyo3(get)]
    status: &'static str,
    outputs: IndexMap<String, Value>,
    /// When it started.
    #[pyo3(get)]
    started_at: Option<Timestamp>,
    /// When it ended.
    #[pyo3(get)]
    ended_at: Option<Timestamp>,
}

#[pymethods]
impl PyPhaseAttempt {
    /// Its evaluated outputs (a new dict on every access).
    #[getter]
    fn outputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.outputs)
    }

    fn __repr__(&self) -> String {
        format!("PhaseAttempt(attempt={}, status={})", self.attempt, q(self.status))
    }
}

impl PyPhase {
    fn new(py: Python<'_>, p: &PhaseView<'_>) -> PyResult<Self> {
        let activities = p
            .activities
            .iter()
            .map(|a| Ok((a.id.to_owned(), Py::new(py, PyActivity::new(py, a)?)?)))
            .collect::<PyResult<_>>()?;
        Ok(PyPhase {
            id: p.id.to_owned(),
            name: p.name.map(str::to_owned),
            status: p.status.as_str().to_owned(),
            rollback: p.rollback,
            critical: p.critical,
            skip_reason: p.skip_reason.as_ref().map(snake),
            outputs: p.outputs.clone(),
            variables: p.variables.clone(),
            started_at: p.started_at,
            ended_at: p.ended_at,
            not_before: p.not_before,
            attempts: p.attempts.to_vec(),
            locks: PyLock::list(py, &p.locks)?,
            activities,
        })
    }
}

#[pymethods]
impl PyPhase {
    /// Evaluated phase outputs (set when it ends; a new dict on every access).
    #[getter]
    fn outputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.outputs)
    }

    /// The phase's variables, evaluated when it started (a new dict on every access).
    #[getter]
    fn variables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.variables)
    }

    /// The earlier attempts a ``rewind`` replaced, oldest first (``list[PhaseAttempt]``; the
    /// current attempt is the phase itself).
    #[getter]
    fn attempts(&self) -> Vec<PyPhaseAttempt> {
        self.attempts
            .iter()
            .map(|a| PyPhaseAttempt {
                attempt: a.attempt,
                status: a.status.as_str(),
                outputs: a.outputs.clone(),
                started_at: a.started_at,
                ended_at: a.ended_at,
            })
            .collect()
    }

    /// The locks of the phase that the release holds or waits for now (``list[Lock]``): those
    /// its work asked for, or the phase itself with ``hold_through_approval``.
    #[getter]
    fn locks(&self, py: Python<'_>) -> Vec<Py<PyLock>> {
        self.locks.iter().map(|l| l.clone_ref(py)).collect()
    }

    /// Activities by id, in definition order (``dict[str, Activity]``).
    #[getter]
    fn activities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (id, a) in &self.activities {
            dict.set_item(id, a.clone_ref(py))?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let skip = self.skip_reason.as_ref().map(|r| format!(", skip_reason={}", q(r))).unwrap_or_default();
        format!("Phase(id={}, status={}, activities={}{skip})", q(&self.id), q(&self.status), self.activities.len())
    }
}

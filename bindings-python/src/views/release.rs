//! `Release`: the core's release state, kept as it is and converted field by field when read.

use super::{PyInputSetRef, PyParentLink, PyPhase, PySchedule, PyWaitingOn};
use crate::convert::{self, repr_str as q};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use trainyard::Timestamp;
use trainyard::release::ReleaseState;

/// A snapshot of a release, with exactly the fields of the core's read model. ``status`` is one
/// of ``draft``, ``scheduled``, ``running``, ``on_hold``, ``success``, ``partial_success``,
/// ``failed``, ``aborted``; ``kind`` one of ``standard``, ``hotfix``, ``feature``, ``system``.
/// Read it again with ``Engine.get_release`` to see later changes.
///
/// It keeps the state the core returned (moved, not copied) and converts a field when it is read;
/// the phases (and their activities) are built once, on the first read of ``phases``. The fields
/// the view takes straight from the state are read from it; ``waiting_on`` and ``phases`` through
/// the view ([`ReleaseState::view`]).
#[pyclass(frozen, module = "trainyard", name = "Release")]
pub struct PyRelease {
    state: std::sync::Arc<ReleaseState>,
    phases: PyOnceLock<Vec<(String, Py<PyPhase>)>>,
}

impl PyRelease {
    /// The Python view of a release state (kept as it is; converted on access).
    pub fn new(state: impl Into<std::sync::Arc<ReleaseState>>) -> Self {
        PyRelease { state: state.into(), phases: PyOnceLock::new() }
    }
}

#[pymethods]
impl PyRelease {
    /// Release id (UUID v7, time-ordered).
    #[getter]
    fn id(&self) -> &str {
        &self.state.id
    }

    /// Sequence number of its last event.
    #[getter]
    fn seq(&self) -> u64 {
        self.state.seq
    }

    /// Display name.
    #[getter]
    fn name(&self) -> &str {
        &self.state.name
    }

    /// ``standard``, ``hotfix``, ``feature`` or ``system``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.state.kind.as_str()
    }

    /// Status (snake_case).
    #[getter]
    fn status(&self) -> &'static str {
        self.state.status.as_str()
    }

    /// ``account`` or ``org:<id>``.
    #[getter]
    fn scope(&self) -> &str {
        &self.state.scope
    }

    /// Process id.
    #[getter]
    fn process_id(&self) -> &str {
        &self.state.process_id
    }

    /// Pinned process version.
    #[getter]
    fn process_version(&self) -> u32 {
        self.state.process_version
    }

    /// Inputs: defaults ⊕ input set ⊕ explicit values; secrets as ``secret://`` references (a new
    /// dict on every access).
    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.state.inputs)
    }

    /// Global variables, evaluated at activation (a new dict on every access).
    #[getter]
    fn variables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.state.variables)
    }

    /// Owners: the people and groups responsible for the release.
    #[getter]
    fn owners(&self) -> Vec<&str> {
        self.state.owners.iter().map(String::as_str).collect()
    }

    /// The release's managers (users or groups).
    #[getter]
    fn release_managers(&self) -> Vec<&str> {
        self.state.release_managers.iter().map(String::as_str).collect()
    }

    /// Stakeholders (users or groups): notified of its progress, and may read it.
    #[getter]
    fn stakeholders(&self) -> Vec<&str> {
        self.state.stakeholders.iter().map(String::as_str).collect()
    }

    /// The release group that generated it.
    #[getter]
    fn group(&self) -> Option<&str> {
        self.state.group.as_deref()
    }

    /// The release-group occurrence it was generated for (``<group>@<start>``).
    #[getter]
    fn occurrence(&self) -> Option<&str> {
        self.state.occurrence.as_deref()
    }

    /// The input set it was created with (``InputSetRef``), or ``None``.
    #[getter]
    fn input_set(&self) -> Option<PyInputSetRef> {
        self.state.input_set.as_ref().map(|(name, version)| PyInputSetRef { name: name.clone(), version: *version })
    }

    /// Labels (a new ``dict[str, str]`` on every access).
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in &self.state.metadata.labels {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    /// A description, or ``None``.
    #[getter]
    fn description(&self) -> Option<&str> {
        self.state.metadata.description.as_deref()
    }

    /// The version being released, or ``None``.
    #[getter]
    fn version(&self) -> Option<&str> {
        self.state.metadata.version.as_deref()
    }

    /// Links to tickets, commits and incidents: a new list of dicts ``{"kind", "url", "title"}``
    /// (``title`` ``None`` when there is none) on every access.
    #[getter]
    fn links<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyList>> {
        let list = pyo3::types::PyList::empty(py);
        for l in &self.state.metadata.links {
            let d = PyDict::new(py);
            d.set_item("kind", l.kind.as_str())?;
            d.set_item("url", &l.url)?;
            d.set_item("title", l.title.as_deref())?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// The parent's subprocess activity (``ParentLink``), for a child release.
    #[getter]
    fn parent(&self) -> Option<PyParentLink> {
        self.state.parent.as_ref().map(|l| PyParentLink {
            release: l.release.clone(),
            phase: l.activity.phase.clone(),
            activity: l.activity.activity.clone(),
        })
    }

    /// When it is planned (``Schedule``), once scheduled.
    #[getter]
    fn schedule(&self) -> Option<PySchedule> {
        self.state.schedule.as_ref().map(|s| PySchedule { start: s.start, end: s.end, auto_start: s.auto_start })
    }

    /// Release attempt (a restart increments it).
    #[getter]
    fn attempt(&self) -> u32 {
        self.state.attempt
    }

    /// Archived (kept for audit, hidden from the active calendar).
    #[getter]
    fn archived(&self) -> bool {
        self.state.archived
    }

    /// Ended failed after running its rollback phases.
    #[getter]
    fn rolled_back(&self) -> bool {
        self.state.rolled_back
    }

    /// The rollback phases are running.
    #[getter]
    fn rolling_back(&self) -> bool {
        self.state.rolling_back
    }

    /// A critical phase failed: no new work starts.
    #[getter]
    fn halted(&self) -> bool {
        self.state.halted
    }

    /// Paused by an operator.
    #[getter]
    fn paused(&self) -> bool {
        self.state.paused
    }

    /// Activated before its scheduled start.
    #[getter]
    fn pre_executed(&self) -> bool {
        self.state.pre_executed
    }

    /// Expected to end after its planned end, by the last risk assessment (kept after it ended).
    #[getter]
    fn at_risk(&self) -> bool {
        self.state.at_risk
    }

    /// Who created it.
    #[getter]
    fn created_by(&self) -> &str {
        &self.state.created_by
    }

    /// When it was created.
    #[getter]
    fn created_at(&self) -> Option<Timestamp> {
        self.state.created_at
    }

    /// Who scheduled it last.
    #[getter]
    fn scheduled_by(&self) -> Option<&str> {
        self.state.scheduled_by.as_deref()
    }

    /// Who activated it (for a clock activation: whoever scheduled it).
    #[getter]
    fn started_by(&self) -> Option<&str> {
        self.state.started_by.as_deref()
    }

    /// When it was activated.
    #[getter]
    fn started_at(&self) -> Option<Timestamp> {
        self.state.started_at
    }

    /// When it ended (or was aborted).
    #[getter]
    fn ended_at(&self) -> Option<Timestamp> {
        self.state.ended_at
    }

    /// When its last event happened.
    #[getter]
    fn updated_at(&self) -> Option<Timestamp> {
        self.state.updated_at
    }

    /// What it waits on now (``WaitingOn``), or ``None``.
    #[getter]
    fn waiting_on(&self) -> Option<PyWaitingOn> {
        self.state.view().waiting_on.map(|w| PyWaitingOn {
            kind: w.kind.as_str(),
            phase_id: w.phase_id.map(str::to_owned),
            activity_id: w.activity_id.map(str::to_owned),
        })
    }

    /// Phases by id (``dict[str, Phase]``): regular phases in definition order, then the
    /// rollback phases.
    #[getter]
    fn phases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let phases = self.phases.get_or_try_init(py, || {
            self.state
                .view()
                .phases
                .iter()
                .map(|p| Ok((p.id.to_owned(), Py::new(py, PyPhase::new(py, p)?)?)))
                .collect::<PyResult<Vec<_>>>()
        })?;
        let dict = PyDict::new(py);
        for (id, p) in phases {
            dict.set_item(id, p.clone_ref(py))?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let s = &self.state;
        format!(
            "Release(id={}, name={}, status={}, kind={}, process={}, version={}, attempt={})",
            q(&s.id),
            q(&s.name),
            q(s.status.as_str()),
            q(s.kind.as_str()),
            q(&s.process_id),
            s.process_version,
            s.attempt
        )
    }
}

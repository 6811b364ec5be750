//! The doctor for Python: `Engine.doctor()` and `Engine.repair(release_ids=None)` (a
//! `#[pymethods] impl Engine` of their own) with the core's reports as `DoctorReport`,
//! `DoctorFinding`, `DoctorProblem` and `RepairReport` (the same fields as Node's, snake_case).

use crate::convert::{self, args, repr_str as q};
use crate::engine::PyEngine;
use pyo3::prelude::*;

/// One reason a release cannot progress: ``code`` (``timer_missing``, ``job_missing``,
/// ``child_missing``, ``nobody_can_act`` or ``no_progress``), ``message`` naming the timer, job,
/// activity or child, and ``repairable`` (whether ``Engine.repair`` fixes it).
#[pyclass(frozen, module = "trainyard", name = "DoctorProblem")]
pub struct PyDoctorProblem {
    /// Stable code.
    #[pyo3(get)]
    code: String,
    /// What is wrong.
    #[pyo3(get)]
    message: String,
    /// Whether `repair` fixes it.
    #[pyo3(get)]
    repairable: bool,
}

/// A release the doctor found a problem with: ``release_id``, ``name``, ``status``,
/// ``can_progress`` (whether something else still moves it) and ``problems``.
#[pyclass(frozen, module = "trainyard", name = "DoctorFinding")]
pub struct PyDoctorFinding {
    /// Release id.
    #[pyo3(get)]
    release_id: String,
    /// Release name.
    #[pyo3(get)]
    name: String,
    /// Release status.
    #[pyo3(get)]
    status: &'static str,
    /// Whether something else still moves the release.
    #[pyo3(get)]
    can_progress: bool,
    /// Every problem found, in the order checked.
    problems: Vec<Py<PyDoctorProblem>>,
}

/// What ``Engine.doctor()`` found: ``checked`` (the releases that have not ended) and ``findings``
/// (the ones with a problem, oldest first; empty when every release can progress).
#[pyclass(frozen, module = "trainyard", name = "DoctorReport")]
pub struct PyDoctorReport {
    /// How many releases were checked.
    #[pyo3(get)]
    checked: usize,
    /// The releases with a problem.
    findings: Vec<Py<PyDoctorFinding>>,
}

/// What ``Engine.repair()`` did: ``repaired`` (release ids), ``timers_restored`` and
/// ``jobs_restored``.
#[pyclass(frozen, module = "trainyard", name = "RepairReport")]
pub struct PyRepairReport {
    /// Releases whose timer or jobs were written again.
    #[pyo3(get)]
    repaired: Vec<String>,
    /// Timers restored.
    #[pyo3(get)]
    timers_restored: usize,
    /// Jobs queued again.
    #[pyo3(get)]
    jobs_restored: usize,
}

fn report(py: Python<'_>, r: trainyard::DoctorReport) -> PyResult<PyDoctorReport> {
    let mut findings = Vec::with_capacity(r.findings.len());
    for f in r.findings {
        let problems = f
            .problems
            .into_iter()
            .map(|p| Py::new(py, PyDoctorProblem { code: p.code, message: p.message, repairable: p.repairable }))
            .collect::<PyResult<Vec<_>>>()?;
        findings.push(Py::new(
            py,
            PyDoctorFinding {
                release_id: f.release_id,
                name: f.name,
                status: f.status.as_str(),
                can_progress: f.can_progress,
                problems,
            },
        )?);
    }
    Ok(PyDoctorReport { checked: r.checked, findings })
}

#[pymethods]
impl PyDoctorProblem {
    fn __repr__(&self) -> String {
        format!("DoctorProblem(code={}, message={})", q(&self.code), q(&self.message))
    }
}

#[pymethods]
impl PyDoctorFinding {
    /// Every problem found, in the order checked (timer, jobs, children, people).
    #[getter]
    fn problems(&self, py: Python<'_>) -> Vec<Py<PyDoctorProblem>> {
        self.problems.iter().map(|p| p.clone_ref(py)).collect()
    }

    fn __repr__(&self) -> String {
        format!("DoctorFinding(release_id={}, status={})", q(&self.release_id), q(self.status))
    }
}

#[pymethods]
impl PyDoctorReport {
    /// The releases with a problem, oldest first.
    #[getter]
    fn findings(&self, py: Python<'_>) -> Vec<Py<PyDoctorFinding>> {
        self.findings.iter().map(|f| f.clone_ref(py)).collect()
    }

    fn __repr__(&self) -> String {
        format!("DoctorReport(checked={}, findings={})", self.checked, self.findings.len())
    }
}

#[pymethods]
impl PyRepairReport {
    fn __repr__(&self) -> String {
        format!(
            "RepairReport(repaired={}, timers_restored={}, jobs_restored={})",
            self.repaired.len(),
            self.timers_restored,
            self.jobs_restored
        )
    }
}

#[pymethods]
impl PyEngine {
    /// Checks every release that has not ended: whether it has a due timer, a queued or leased
    /// job, a child release or a named person who can act, and why not. Reads only.
    fn doctor(&self, py: Python<'_>) -> PyResult<PyDoctorReport> {
        let r = self.call(py, |e| e.doctor())?;
        report(py, r)
    }

    /// Derives the timers and jobs of the given releases (of every release the doctor finds a
    /// repairable problem with, when ``release_ids`` is ``None``) again from their events and
    /// writes what is missing. Safe: a release's state is a fold of its events.
    #[pyo3(signature = (release_ids = None))]
    fn repair(&self, py: Python<'_>, release_ids: Option<&Bound<'_, PyAny>>) -> PyResult<PyRepairReport> {
        args!(py; ids = convert::opt_text_list(release_ids, "release_ids"));
        let r = self.call(py, move |e| e.repair(ids.as_deref()))?;
        Ok(PyRepairReport { repaired: r.repaired, timers_restored: r.timers_restored, jobs_restored: r.jobs_restored })
    }
}

//! Executors written in Python: `trainyard.Job`, the `STARTED` sentinel, and the adapter that turns
//! a Python callable into a core [`Executor`].
//!
//! The adapter holds the callable as a `Py<PyAny>` and calls it under the GIL (`Python::attach`):
//! engine calls that run jobs (`tick`, `run_until_idle`) release the GIL, so the executor re-acquires
//! it, and other Python threads keep running meanwhile. What the callable does becomes an
//! [`Outcome`]: a dict (or `None`) is a success with those outputs, `STARTED` means the job reports
//! back later through `Engine.complete_job`, and an exception fails the attempt with
//! `"<ExceptionType>: <message>"` (retryable, so the activity's `retry` policy applies), except
//! `trainyard.JobFailed(message, retryable=...)`, which fails it with exactly that message. A
//! `BaseException` that is not an `Exception` (`KeyboardInterrupt`, `SystemExit`) also fails the
//! attempt, and is raised again by the engine call that ran the job once that call returns.

use crate::convert;
use crate::time;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::sync::{Arc, Mutex};
use trainyard::executor::{Executor, Job, Outcome};
use trainyard::store::ClaimedJob;

/// A `BaseException` (not an `Exception`) raised inside an executor, kept to be raised again by the
/// engine call that ran the job.
pub type Interrupt = Arc<Mutex<Option<PyErr>>>;

/// One attempt of an automated activity, handed to an executor.
///
/// ``id`` is stable across redelivery (``<release>/<phase>/<activity>/<attempt>``) and is what
/// ``Engine.complete_job`` takes; ``inputs`` are the activity's resolved ``with`` values (secrets
/// resolved; a new dict on every access); ``deadline`` is when the attempt times out (tz-aware), if
/// the activity has a ``timeout``. A job from ``Engine.claim_jobs`` also carries its
/// ``lease_token`` (for ``heartbeat`` and ``complete_job``) and ``deliveries`` (1 = first delivery).
#[pyclass(frozen, module = "trainyard", name = "Job")]
pub struct PyJob {
    pub(crate) inner: Job,
    pub(crate) token: Option<String>,
    pub(crate) deliveries: Option<u32>,
}

impl PyJob {
    /// A job handed to an in-process executor or listed (no lease token).
    pub fn new(inner: Job) -> Self {
        PyJob { inner, token: None, deliveries: None }
    }

    /// A job claimed by an external worker, with its lease token.
    pub fn claimed(c: ClaimedJob) -> Self {
        PyJob { inner: c.job, token: Some(c.token), deliveries: Some(c.deliveries) }
    }
}

#[pymethods]
impl PyJob {
    /// The job id, ``<release>/<phase>/<activity>/<attempt>``.
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }

    /// The release id.
    #[getter]
    fn release_id(&self) -> &str {
        &self.inner.release_id
    }

    /// The phase id.
    #[getter]
    fn phase_id(&self) -> &str {
        &self.inner.phase_id
    }

    /// The activity id.
    #[getter]
    fn activity_id(&self) -> &str {
        &self.inner.activity_id
    }

    /// The attempt (0 = first run).
    #[getter]
    fn attempt(&self) -> u32 {
        self.inner.attempt
    }

    /// The executor name the activity names.
    #[getter]
    fn executor(&self) -> &str {
        &self.inner.executor
    }

    /// The resolved ``with`` values.
    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.inner.inputs)
    }

    /// When the attempt times out (tz-aware, UTC), or ``None``.
    #[getter]
    fn deadline<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::opt_datetime(py, self.inner.deadline.as_ref())
    }

    /// The lease token of a job from ``Engine.claim_jobs`` (``None`` otherwise): pass it to
    /// ``heartbeat`` and ``complete_job``. A redelivery after the lease expired gets a new one.
    #[getter]
    fn lease_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// How many times a claimed job was handed out, this time included (``None`` if not claimed).
    #[getter]
    fn deliveries(&self) -> Option<u32> {
        self.deliveries
    }

    fn __repr__(&self) -> String {
        let claimed = self.deliveries.map(|d| format!(", deliveries={d}")).unwrap_or_default();
        format!(
            "Job(id={}, executor={}, attempt={}{claimed})",
            convert::repr_str(&self.inner.id),
            convert::repr_str(&self.inner.executor),
            self.inner.attempt
        )
    }
}

/// The type of ``trainyard.STARTED``: return it from an executor that hands the job to something
/// that reports back later through ``Engine.complete_job(job.id, ...)``; the activity stays running.
#[pyclass(frozen, module = "trainyard", name = "Started")]
pub struct PyStarted;

#[pymethods]
impl PyStarted {
    fn __repr__(&self) -> &'static str {
        "trainyard.STARTED"
    }
}

/// A Python callable `fn(job) -> dict | None | STARTED` as a core executor.
pub struct PyExecutor {
    name: String,
    func: Py<PyAny>,
    interrupt: Interrupt,
}

impl PyExecutor {
    /// Wraps `func`, registered under `name`; non-`Exception` raises are kept in `interrupt`.
    pub fn new(name: String, func: Py<PyAny>, interrupt: Interrupt) -> Self {
        PyExecutor { name, func, interrupt }
    }

    fn outcome(&self, result: &Bound<'_, PyAny>) -> Outcome {
        if result.is_none() {
            return Outcome::success();
        }
        if result.cast::<PyStarted>().is_ok() {
            return Outcome::Started;
        }
        if result.cast::<PyDict>().is_ok() {
            return match convert::to_map(result, "outputs") {
                Ok(outputs) => Outcome::Success { outputs },
                Err(e) => Outcome::Failure {
                    message: format!(
                        "executor `{}` returned outputs that are not JSON data: {}",
                        self.name,
                        describe(result.py(), &e)
                    ),
                    retryable: false,
                },
            };
        }
        Outcome::Failure {
            message: format!(
                "executor `{}` returned a {}; return a dict of outputs, None, or trainyard.STARTED",
                self.name,
                result.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
            ),
            retryable: false,
        }
    }
}

impl Executor for PyExecutor {
    fn execute(&self, job: &Job) -> Outcome {
        Python::attach(|py| {
            let called = Py::new(py, PyJob::new(job.clone())).and_then(|j| self.func.call1(py, (j,)));
            match called {
                Ok(result) => self.outcome(result.bind(py)),
                Err(err) => {
                    if let Some(outcome) = job_failed(py, &err) {
                        return outcome;
                    }
                    let message = describe(py, &err);
                    if !err.is_instance_of::<PyException>(py) {
                        let mut slot = self.interrupt.lock().unwrap_or_else(|e| e.into_inner());
                        slot.get_or_insert(err);
                    }
                    Outcome::Failure { message, retryable: true }
                }
            }
        })
    }
}

/// The outcome of a raised `trainyard.JobFailed`, or `None` for any other exception.
fn job_failed(py: Python<'_>, err: &PyErr) -> Option<Outcome> {
    let class = py.import("trainyard._errors").and_then(|m| m.getattr("JobFailed")).ok()?;
    let value = err.value(py);
    if !value.is_instance(&class).ok()? {
        return None;
    }
    let message = value.getattr("message").and_then(|m| m.str()).map(|s| s.to_string()).unwrap_or_default();
    let retryable = value.getattr("retryable").and_then(|r| r.is_truthy()).unwrap_or(true);
    Some(Outcome::Failure { message, retryable })
}

/// `"<ExceptionType>: <message>"` (just the type when the message is empty).
pub fn describe(py: Python<'_>, err: &PyErr) -> String {
    let ty = err.get_type(py);
    let name = ty.qualname().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    let text = err.value(py).str().map(|s: Bound<'_, PyString>| s.to_string()).unwrap_or_default();
    if text.is_empty() { name } else { format!("{name}: {text}") }
}

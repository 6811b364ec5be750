//! Jobs for Python: `trainyard.Job`, the `STARTED` sentinel and `JobRecord`, and the engine's job
//! calls (a `#[pymethods] impl Engine` of its own): the built-in command executor, external
//! workers (`claim_jobs`, `heartbeat`, `complete_job`) and the job listings.
//!
//! Executors written in Python are adapted in [`crate::callbacks`].

use crate::commands::engine_commands;
use crate::convert::{self, Refused, args, repr_str as q};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use std::path::PathBuf;
use trainyard::Timestamp;
use trainyard::executor::{CommandExecutor, Job, Outcome};
use trainyard::store::{ClaimedJob, JobRecord};
use trainyard::validate::codes;

/// The lease `claim_jobs` takes when none is given.
const DEFAULT_LEASE_MINUTES: i64 = 5;

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
    token: Option<String>,
    deliveries: Option<u32>,
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

    /// The resolved ``with`` values (a new dict on every access).
    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.inner.inputs)
    }

    /// When the attempt times out (tz-aware, UTC), or ``None``.
    #[getter]
    fn deadline(&self) -> Option<Timestamp> {
        self.inner.deadline
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
            q(&self.inner.id),
            q(&self.inner.executor),
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
    fn new(py: Python<'_>, r: JobRecord) -> PyResult<Self> {
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

/// A `base_dir` argument: a `str` or an `os.PathLike` giving one.
fn base_dir(obj: Option<&Bound<'_, PyAny>>) -> convert::Conv<Option<PathBuf>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let os = obj.py().import("os")?;
    let path = match os.call_method1("fspath", (obj,)) {
        Ok(p) => p,
        Err(_) => {
            let message = format!("must be a str or an os.PathLike, not {}", convert::type_name(obj));
            return Err(Refused::one("base_dir", codes::WRONG_TYPE, message));
        }
    };
    convert::text(&path, "base_dir").map(|p| Some(PathBuf::from(p)))
}

#[pymethods]
impl PyEngine {
    /// Registers the built-in ``command`` executor under ``name``: it runs ``with.argv`` (no
    /// shell unless ``with.shell``), with ``with.env``, in ``with.cwd`` (relative to ``base_dir``,
    /// default the current directory), within ``with.timeout``; the child writes ``name=value``
    /// outputs to the file ``$TRAINYARD_OUTPUT``. A non-zero exit fails the attempt (retryable)
    /// with the tails of stderr and stdout. It runs in the thread that calls ``tick()``, without
    /// the GIL.
    #[pyo3(signature = (name = None, *, base_dir = None), text_signature = "($self, name='command', *, base_dir=None)")]
    fn register_command_executor(
        &self,
        py: Python<'_>,
        name: Option<&Bound<'_, PyAny>>,
        base_dir: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        args!(py; name = convert::opt_text(name, "name"), dir = self::base_dir(base_dir));
        let name = name.unwrap_or_else(|| "command".to_owned());
        self.call(py, move |e| {
            // Job deadlines are measured on the engine's clock (simulated time with a ManualClock).
            let executor = CommandExecutor::new().with_clock(e.clock().clone());
            match dir {
                Some(dir) => e.register_executor(&name, executor.with_base_dir(dir)),
                None => e.register_executor(&name, executor),
            }
            Ok(())
        })
    }

    /// Extends the lease of a claimed job (by the engine's job lease, 5 minutes) and returns when
    /// it now ends. ``ConflictError`` if ``lease_token`` is stale (the job went to another worker)
    /// or the job's attempt ended.
    #[pyo3(signature = (job_id, lease_token))]
    fn heartbeat(
        &self,
        py: Python<'_>,
        job_id: &Bound<'_, PyAny>,
        lease_token: &Bound<'_, PyAny>,
    ) -> PyResult<Timestamp> {
        args!(py; job_id = convert::text(job_id, "job_id"), token = convert::text(lease_token, "lease_token"));
        self.call(py, move |e| e.heartbeat(&job_id, &token))
    }

    /// Reports the outcome of a job: ``outputs`` for a success, or ``error`` (a message) for a
    /// failure, which is ``retryable`` by default.
    ///
    /// With ``lease_token`` (a job from ``claim_jobs``) the token must still be the job's:
    /// ``ConflictError`` otherwise (the lease expired and the job went to someone else, or the
    /// attempt ended). Without one (an in-process executor that returned ``STARTED``, or a trusted
    /// caller), a report for a stale attempt raises ``ConflictError`` and one for an attempt that
    /// already ended ``InvalidTransitionError``.
    #[pyo3(signature = (job_id, lease_token = None, *, outputs = None, error = None, retryable = None),
        text_signature = "($self, job_id, lease_token=None, *, outputs=None, error=None, retryable=True)")]
    fn complete_job(
        &self,
        py: Python<'_>,
        job_id: &Bound<'_, PyAny>,
        lease_token: Option<&Bound<'_, PyAny>>,
        outputs: Option<&Bound<'_, PyAny>>,
        error: Option<&Bound<'_, PyAny>>,
        retryable: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        args!(py;
            job_id = convert::text(job_id, "job_id"),
            token = convert::opt_text(lease_token, "lease_token"),
            outputs = convert::opt_map(outputs, "outputs"),
            error = convert::opt_text(error, "error"),
            retryable = convert::opt_flag(retryable, "retryable", true),
        );
        let outcome = match (outputs, error) {
            (Some(_), Some(_)) => {
                let message = "complete_job takes outputs (a success) or error (a failure), not both";
                return Err(Refused::one("error", codes::FIELD_NOT_ALLOWED, message).invalid_input(py));
            }
            (None, Some(message)) => Outcome::Failure { message, retryable },
            (outputs, None) => Outcome::Success { outputs: outputs.unwrap_or_default() },
        };
        self.call(py, move |e| match token {
            Some(token) => e.complete_claimed_job(&job_id, &token, outcome),
            None => e.complete_job(&job_id, outcome),
        })
    }

    /// Jobs queued for in-process executors and not yet run.
    fn queued_jobs(&self, py: Python<'_>) -> PyResult<Vec<PyJob>> {
        let jobs = self.call(py, |e| Ok(e.queued_jobs()))?;
        Ok(jobs.into_iter().map(PyJob::new).collect())
    }

    /// Every job in the store (queued, leased, or held by an executor that returned
    /// ``STARTED``), oldest first, each a ``JobRecord`` with its lease.
    fn list_jobs(&self, py: Python<'_>) -> PyResult<Vec<PyJobRecord>> {
        let records = self.call(py, |e| e.list_jobs())?;
        records.into_iter().map(|r| PyJobRecord::new(py, r)).collect()
    }
}

engine_commands! {
    /// Claims up to ``limit`` queued jobs of the named ``executors`` for ``worker`` (any name for
    /// the external worker process) for ``lease`` (a ``timedelta`` or a duration string such as
    /// ``"5m"``; default 5 minutes). Each returned ``Job`` carries its ``lease_token``; claiming
    /// starts the attempt (its timeout runs from now). Call ``heartbeat`` while working and
    /// ``complete_job(job.id, job.lease_token, ...)`` at the end. A job whose lease expired is
    /// handed out again (same id, new token; the old token becomes stale). Inputs hold the
    /// resolved secrets.
    #[pyo3(text_signature = "($self, executors, *, worker, limit=10, lease=None)")]
    fn claim_jobs([executors: &Bound<'_, PyAny> => convert::text_list(executors, "executors")];
        worker: &Bound<'_, PyAny> => convert::text(worker, "worker"),
        limit = None: Option<&Bound<'_, PyAny>> => convert::count(limit, "limit", 10),
        lease = None: Option<&Bound<'_, PyAny>> =>
            convert::opt_duration(lease, "lease", chrono::Duration::minutes(DEFAULT_LEASE_MINUTES)),
    ) -> Vec<PyJob> => |e| {
        let names: Vec<&str> = executors.iter().map(String::as_str).collect();
        e.claim_jobs(&names, &worker, limit as usize, lease)
    }, then |_py, claimed| Ok(claimed.into_iter().map(PyJob::claimed).collect());
}

//! `trainyard.Engine`: the release-orchestration engine for Python.
//!
//! Every method converts its arguments, calls the one core [`Engine`] method of the same name with
//! the GIL released (so executors and other Python threads run meanwhile), and converts the result.
//! Nothing here decides anything: the lifecycle, access checks and validation live in the core.

use crate::actor::PyActor;
use crate::callbacks::{PySecretResolver, PySubscriber};
use crate::convert::{self, Definition};
use crate::errors;
use crate::executor::{Interrupt, PyExecutor, PyJob};
use crate::problem::PyProblem;
use crate::run;
use crate::time::{self, PyManualClock};
use crate::views::{PyEvent, PyInputSet, PyJobRecord, PyProcessInfo, PyRelease};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDelta, PyDict};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use trainyard::access::{Actor, ReleaseLevel};
use trainyard::executor::{CommandExecutor, Outcome};
use trainyard::release::{Event, NewRelease, ReleaseKind, ReleaseStatus};
use trainyard::schedule::{Clock, SystemClock};
use trainyard::secrets::MapSecretResolver;
use trainyard::{Engine, Error, ReleaseFilter, RetentionPolicy};

/// The engine: registered processes and executors, releases and their events, on one store and
/// one clock. ``Engine.in_memory()`` or ``Engine.open(url)``; usable as a context manager (the
/// store is closed on exit). Safe to share between Python threads: every call releases the GIL
/// while the engine works.
#[pyclass(frozen, module = "trainyard", name = "Engine")]
pub struct PyEngine {
    inner: RwLock<Option<Arc<Engine>>>,
    url: String,
    release_level: String,
    interrupt: Interrupt,
}

fn err(py: Python<'_>, e: Error) -> PyErr {
    errors::to_py_err(py, &e)
}

fn storage(py: Python<'_>, message: String) -> PyErr {
    err(py, Error::Storage { message })
}

/// `release_level=`: ``account`` or ``organization``, parsed by the core (`InvalidInputError`).
fn level_of(py: Python<'_>, level: &str) -> PyResult<ReleaseLevel> {
    level.parse().map_err(|e| err(py, e))
}

/// A `timedelta` argument.
fn duration(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<chrono::Duration> {
    if obj.cast::<PyDelta>().is_err() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a datetime.timedelta, not {}",
            obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
        )));
    }
    obj.extract()
}

fn actor_of(actor: Option<PyRef<'_, PyActor>>) -> Option<Actor> {
    actor.map(|a| a.inner.clone())
}

fn clock_of(clock: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Arc<dyn Clock>>> {
    match clock {
        None => Ok(None),
        Some(c) if c.is_none() => Ok(None),
        Some(c) => match c.cast::<PyManualClock>() {
            Ok(m) => Ok(Some(Arc::new(m.get().inner.clone()))),
            Err(_) => Err(PyTypeError::new_err(format!(
                "clock must be a trainyard.ManualClock or None (the system clock), not {}",
                c.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
            ))),
        },
    }
}

fn events(py: Python<'_>, list: Vec<Event>) -> PyResult<Vec<PyEvent>> {
    PyEvent::list(py, &list)
}

impl PyEngine {
    fn build(url: String, level: ReleaseLevel, engine: Engine) -> Self {
        engine.set_release_level(level);
        PyEngine {
            inner: RwLock::new(Some(Arc::new(engine))),
            url,
            release_level: level.as_str().to_string(),
            interrupt: Default::default(),
        }
    }

    /// The core engine, or `StorageError` once closed.
    pub(crate) fn engine(&self, py: Python<'_>) -> PyResult<Arc<Engine>> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| storage(py, format!("the engine on {} is closed", self.url)))
    }

    /// Raises a `KeyboardInterrupt`/`SystemExit` an executor raised during the last call.
    fn reraise_interrupt(&self) -> PyResult<()> {
        match self.interrupt.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Runs a release command: the events it appended, as `Event`s.
    pub(crate) fn command(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Engine) -> trainyard::Result<Vec<Event>> + Send,
    ) -> PyResult<Vec<PyEvent>> {
        let engine = self.engine(py)?;
        let list = run(py, move || f(&engine));
        // A subscriber may have raised KeyboardInterrupt/SystemExit while the command's
        // notifications were delivered (after its commit).
        self.reraise_interrupt()?;
        events(py, list?)
    }
}

#[pymethods]
impl PyEngine {
    /// An engine with an in-memory store (for tests and scripts): nothing survives the process.
    ///
    /// ``clock`` is a ``ManualClock`` to drive time by hand, or ``None`` for the system clock.
    /// ``release_level`` is ``"account"`` (releases are scoped ``account``; the default) or
    /// ``"organization"`` (releases are scoped ``org:<id>``); the other scope is refused with
    /// ``InvalidInputError``.
    #[staticmethod]
    #[pyo3(signature = (*, clock = None, release_level = "account"))]
    fn in_memory(py: Python<'_>, clock: Option<&Bound<'_, PyAny>>, release_level: &str) -> PyResult<Self> {
        let level = level_of(py, release_level)?;
        let engine = match clock_of(clock)? {
            Some(c) => Engine::in_memory_with_clock(c),
            None => Engine::in_memory(),
        };
        Ok(PyEngine::build("memory://".into(), level, engine))
    }

    /// An engine on the store named by ``url``; the scheme picks the backend: ``memory://``,
    /// ``sqlite://relative/path.db`` or ``sqlite:///absolute/path.db`` (one file; reopening it
    /// continues where the last engine left off), ``postgres://user[:password]@host[:port]/db``
    /// with an optional ``?schema=NAME`` (created if missing; several engines may share it).
    ///
    /// A malformed URL, an unknown scheme or an unreachable database raises ``StorageError``
    /// (naming the URL without its password). ``clock`` and ``release_level`` as for
    /// ``in_memory``.
    #[staticmethod]
    #[pyo3(signature = (url, *, release_level = "account", clock = None))]
    fn open(py: Python<'_>, url: &str, release_level: &str, clock: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let level = level_of(py, release_level)?;
        let clock: Arc<dyn Clock> = clock_of(clock)?.unwrap_or_else(|| Arc::new(SystemClock));
        let target = url.to_string();
        let engine = run(py, move || Engine::open_with(&target, clock))?;
        Ok(PyEngine::build(trainyard::store::redact_url(url), level, engine))
    }

    /// The storage URL this engine was opened on (``memory://`` for ``in_memory``).
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The release level: ``"account"`` or ``"organization"``.
    #[getter]
    fn release_level(&self) -> &str {
        &self.release_level
    }

    /// Whether ``close()`` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).is_none()
    }

    /// The engine's current time (tz-aware, UTC), from its clock.
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.engine(py)?;
        time::to_datetime(py, &engine.clock().now())
    }

    /// Closes the engine: its store is released and every later call raises ``StorageError``.
    /// Closing twice is harmless.
    fn close(&self) {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(&self, exc_type: &Bound<'_, PyAny>, exc_value: &Bound<'_, PyAny>, traceback: &Bound<'_, PyAny>) {
        let _ = (exc_type, exc_value, traceback);
        self.close();
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { ", closed" } else { "" };
        format!(
            "Engine(url={}, release_level={}{state})",
            convert::repr_str(&self.url),
            convert::repr_str(&self.release_level)
        )
    }

    // ---- processes ----

    /// Validates and registers a process definition (YAML/JSON text or a dict). Registering a
    /// changed definition creates version n+1; the same one again returns its version. Raises
    /// ``ValidationError`` listing every problem.
    #[pyo3(signature = (definition))]
    fn register_process(&self, py: Python<'_>, definition: &Bound<'_, PyAny>) -> PyResult<PyProcessInfo> {
        let engine = self.engine(py)?;
        let info = match convert::definition(definition)? {
            Definition::Text(text) => run(py, move || engine.register_process(&text))?,
            Definition::Document(doc) => run(py, move || engine.register_process_value(doc))?,
        };
        Ok(PyProcessInfo::new(&info))
    }

    /// Validates a process definition against this engine's registered processes (so subprocess
    /// references resolve) and returns its warnings; raises ``ValidationError`` on errors.
    #[pyo3(signature = (definition))]
    fn validate_process(&self, py: Python<'_>, definition: &Bound<'_, PyAny>) -> PyResult<Vec<PyProblem>> {
        let engine = self.engine(py)?;
        let loaded = match convert::definition(definition)? {
            Definition::Text(text) => run(py, move || trainyard::load_process_with(&text, Some(&*engine)))?,
            Definition::Document(doc) => run(py, move || trainyard::load_process_value(doc, Some(&*engine)))?,
        };
        Ok(loaded.warnings.iter().map(PyProblem::from).collect())
    }

    /// A registered process as a dict (the latest version, or ``version``). ``NotFoundError`` names
    /// the registered ones.
    #[pyo3(signature = (process_id, version = None))]
    fn get_process<'py>(&self, py: Python<'py>, process_id: &str, version: Option<u32>) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.engine(py)?;
        let id = process_id.to_string();
        let process = run(py, move || engine.get_process(&id, version))?;
        let doc = serde_json::to_value(&process)
            .map_err(|e| errors::internal(py, &format!("cannot serialize process {process_id}: {e}")))?;
        convert::to_py(py, &doc)
    }

    /// Every registered process with its latest version (``ProcessInfo`` without warnings).
    fn list_processes(&self, py: Python<'_>) -> PyResult<Vec<PyProcessInfo>> {
        let engine = self.engine(py)?;
        let list = run(py, move || engine.list_processes())?;
        Ok(list.into_iter().map(|(id, v)| PyProcessInfo::listed(id, v)).collect())
    }

    // ---- executors and jobs ----

    /// Registers ``fn`` as the in-process executor ``name`` (replacing one of the same name).
    ///
    /// ``fn(job: Job)`` runs under the GIL when ``tick()``/``run_until_idle()`` dispatch a job. It
    /// returns the outputs (a dict, or ``None`` for none), or ``trainyard.STARTED`` when something
    /// else reports back later through ``complete_job(job.id, ...)``. Raising an exception fails
    /// the attempt with ``"<ExceptionType>: <message>"`` (the engine call itself succeeds; the
    /// activity's ``retry`` and ``on_failure`` apply).
    #[pyo3(signature = (name, r#fn))]
    fn register_executor(&self, py: Python<'_>, name: &str, r#fn: Bound<'_, PyAny>) -> PyResult<()> {
        let fn_ = r#fn;
        if !fn_.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "an executor must be callable as fn(job) -> dict | None, not {}",
                fn_.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
            )));
        }
        let engine = self.engine(py)?;
        engine.register_executor(name, PyExecutor::new(name.to_string(), fn_.unbind(), self.interrupt.clone()));
        Ok(())
    }

    /// Registers the built-in ``command`` executor under ``name``: it runs ``with.argv`` (no
    /// shell unless ``with.shell``), with ``with.env``, in ``with.cwd`` (relative to ``base_dir``,
    /// default the current directory), within ``with.timeout``; the child writes ``name=value``
    /// outputs to the file ``$TRAINYARD_OUTPUT``. A non-zero exit fails the attempt (retryable)
    /// with the tails of stderr and stdout. It runs in the thread that calls ``tick()``, without
    /// the GIL.
    #[pyo3(signature = (name = "command", *, base_dir = None))]
    fn register_command_executor(&self, py: Python<'_>, name: &str, base_dir: Option<PathBuf>) -> PyResult<()> {
        let engine = self.engine(py)?;
        // Job deadlines are measured on the engine's clock (simulated time with a ManualClock).
        let executor = CommandExecutor::new().with_clock(engine.clock().clone());
        let executor = match base_dir {
            Some(dir) => executor.with_base_dir(dir),
            None => executor,
        };
        engine.register_executor(name, executor);
        Ok(())
    }

    /// Claims up to ``limit`` queued jobs of the named ``executors`` for ``worker`` (any name for
    /// the external worker process) for ``lease`` (a ``timedelta``). Each returned ``Job`` carries
    /// its ``lease_token``; claiming starts the attempt (its timeout runs from now). Call
    /// ``heartbeat`` while working and ``complete_job(job.id, job.lease_token, ...)`` at the end.
    /// A job whose lease expired is handed out again (same id, new token; the old token becomes
    /// stale). Inputs hold the resolved secrets.
    #[pyo3(signature = (executors, *, worker, limit = 10, lease = None))]
    fn claim_jobs(
        &self,
        py: Python<'_>,
        executors: Vec<String>,
        worker: String,
        limit: usize,
        lease: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyJob>> {
        let lease = match lease {
            Some(l) if !l.is_none() => duration(l, "lease")?,
            _ => chrono::Duration::minutes(5),
        };
        let engine = self.engine(py)?;
        let claimed = run(py, move || {
            let names: Vec<&str> = executors.iter().map(String::as_str).collect();
            engine.claim_jobs(&names, &worker, limit, lease)
        })?;
        Ok(claimed.into_iter().map(PyJob::claimed).collect())
    }

    /// Extends the lease of a claimed job (by the engine's job lease, 5 minutes) and returns when
    /// it now ends. ``ConflictError`` if ``lease_token`` is stale (the job went to another worker)
    /// or the job's attempt ended.
    #[pyo3(signature = (job_id, lease_token))]
    fn heartbeat<'py>(&self, py: Python<'py>, job_id: String, lease_token: String) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.engine(py)?;
        let until = run(py, move || engine.heartbeat(&job_id, &lease_token))?;
        time::to_datetime(py, &until)
    }

    /// Reports the outcome of a job: ``outputs`` for a success, or ``error`` (a message) for a
    /// failure, which is ``retryable`` by default.
    ///
    /// With ``lease_token`` (a job from ``claim_jobs``) the token must still be the job's:
    /// ``ConflictError`` otherwise (the lease expired and the job went to someone else, or the
    /// attempt ended). Without one (an in-process executor that returned ``STARTED``, or a trusted
    /// caller), a report for a stale attempt raises ``ConflictError`` and one for an attempt that
    /// already ended ``InvalidTransitionError``.
    #[pyo3(signature = (job_id, lease_token = None, *, outputs = None, error = None, retryable = true))]
    fn complete_job(
        &self,
        py: Python<'_>,
        job_id: &str,
        lease_token: Option<String>,
        outputs: Option<&Bound<'_, PyAny>>,
        error: Option<String>,
        retryable: bool,
    ) -> PyResult<()> {
        let outputs = convert::opt_map(outputs, "outputs")?;
        let outcome = match (outputs, error) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err("complete_job takes outputs (success) or error (failure), not both"));
            }
            (None, Some(message)) => Outcome::Failure { message, retryable },
            (outputs, None) => Outcome::Success { outputs: outputs.unwrap_or_default() },
        };
        let engine = self.engine(py)?;
        let id = job_id.to_string();
        let result = run(py, move || match lease_token {
            Some(token) => engine.complete_claimed_job(&id, &token, outcome),
            None => engine.complete_job(&id, outcome),
        });
        self.reraise_interrupt()?;
        result
    }

    /// Jobs queued for in-process executors and not yet run.
    fn queued_jobs(&self, py: Python<'_>) -> PyResult<Vec<PyJob>> {
        let engine = self.engine(py)?;
        let jobs = run(py, move || Ok(engine.queued_jobs()))?;
        Ok(jobs.into_iter().map(PyJob::new).collect())
    }

    /// Every job in the store (queued, leased, or held by an executor that returned
    /// ``STARTED``), oldest first, each a ``JobRecord`` with its lease.
    fn list_jobs(&self, py: Python<'_>) -> PyResult<Vec<PyJobRecord>> {
        let engine = self.engine(py)?;
        let records = run(py, move || engine.list_jobs())?;
        records.into_iter().map(|r| PyJobRecord::new(py, r)).collect()
    }

    // ---- notifications and secrets ----

    /// Calls ``fn(notification: Notification)`` for every notification (DESIGN §8: release
    /// started/ended, phase started/ended, approval requested/reminder/escalated, input waiting,
    /// activity on hold), after the commit that caused it, under the GIL, in the thread whose
    /// engine call caused it. An exception raised by ``fn`` never reaches that call: it is logged
    /// and counted (``notification_failures()``). Subscribers cannot be removed.
    #[pyo3(signature = (r#fn))]
    fn subscribe(&self, py: Python<'_>, r#fn: Bound<'_, PyAny>) -> PyResult<()> {
        let fn_ = r#fn;
        if !fn_.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "a subscriber must be callable as fn(notification) -> None, not {}",
                fn_.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
            )));
        }
        let engine = self.engine(py)?;
        engine.subscribe(PySubscriber::new(fn_, self.interrupt.clone()));
        Ok(())
    }

    /// How many notification deliveries failed (a subscriber raised) since the engine started.
    fn notification_failures(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.engine(py)?.notification_failures())
    }

    /// Sets where ``secret://name`` references in ``secret`` inputs are resolved when a job is
    /// handed to an executor (in process or by ``claim_jobs``): a ``dict`` of name → value (copied
    /// now), or a callable ``resolver(name) -> str`` (called under the GIL each time; raise to say
    /// the secret is unavailable, without putting a value in the message). Resolved values reach
    /// only the executor's ``job.inputs``: never events, history, errors or notifications, and an
    /// executor echoing one in its outputs or error has it replaced by ``***``. Replaces the
    /// previous resolver.
    #[pyo3(signature = (resolver))]
    fn set_secret_resolver(&self, py: Python<'_>, resolver: &Bound<'_, PyAny>) -> PyResult<()> {
        let engine = self.engine(py)?;
        if let Ok(map) = resolver.cast::<PyDict>() {
            let mut secrets = Vec::with_capacity(map.len());
            for (k, v) in map.iter() {
                let (Ok(name), Ok(value)) = (k.extract::<String>(), v.extract::<String>()) else {
                    return Err(PyTypeError::new_err(format!(
                        "a secrets dict maps str names to str values; {} is not",
                        k.repr().map(|r| r.to_string()).unwrap_or_else(|_| "an entry".into())
                    )));
                };
                secrets.push((name, value));
            }
            engine.set_secret_resolver(MapSecretResolver::new(secrets));
            return Ok(());
        }
        if resolver.is_callable() {
            engine.set_secret_resolver(PySecretResolver::new(resolver.clone().unbind()));
            return Ok(());
        }
        Err(PyTypeError::new_err(format!(
            "a secret resolver is a dict of name -> value or a callable name -> str, not {}",
            resolver.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
        )))
    }

    // ---- driving ----

    /// Fires every timer due at the clock's current time and runs the queued in-process jobs.
    /// Returns how many timers and jobs it handled.
    fn tick(&self, py: Python<'_>) -> PyResult<usize> {
        let engine = self.engine(py)?;
        let result = run(py, move || engine.tick());
        self.reraise_interrupt()?;
        result
    }

    /// Ticks until nothing is left to do at the current time, or ``max_steps`` timers and jobs were
    /// handled. Returns how many were handled.
    #[pyo3(signature = (max_steps = 10000))]
    fn run_until_idle(&self, py: Python<'_>, max_steps: usize) -> PyResult<usize> {
        let engine = self.engine(py)?;
        let result = run(py, move || engine.run_until_idle(max_steps));
        self.reraise_interrupt()?;
        result
    }

    // ---- releases ----

    /// Creates a draft release of the latest version of ``process_id``.
    ///
    /// Its inputs are the process defaults, then the latest version of the input set named
    /// ``input_set`` (``NotFoundError`` naming the process's sets if there is none), then
    /// ``inputs``; the set's name and version are recorded (``Release.input_set``). Inputs are
    /// validated at ``schedule``/``activate``. ``kind`` is ``standard``, ``hotfix``, ``feature`` or
    /// ``system``; ``scope`` is ``account`` or ``org:<id>`` (matching the engine's
    /// ``release_level``); ``owners`` are user ids. ``actor`` must be a release manager of the scope.
    #[pyo3(signature = (process_id, *, name, actor, inputs = None, input_set = None, kind = "standard", scope = "account", owners = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_release(
        &self,
        py: Python<'_>,
        process_id: &str,
        name: String,
        actor: PyRef<'_, PyActor>,
        inputs: Option<&Bound<'_, PyAny>>,
        input_set: Option<String>,
        kind: &str,
        scope: &str,
        owners: Option<Vec<String>>,
    ) -> PyResult<PyRelease> {
        let engine = self.engine(py)?;
        let kind: ReleaseKind = kind.parse().map_err(|e| err(py, e))?;
        let new = NewRelease {
            name,
            kind,
            scope: scope.to_string(),
            inputs: convert::opt_map(inputs, "inputs")?.unwrap_or_default(),
            owners: owners.unwrap_or_default(),
            ..Default::default()
        };
        let actor = actor.inner.clone();
        let id = process_id.to_string();
        let state = run(py, move || {
            let input_set = match input_set {
                Some(set) => Some(engine.input_set_for_release(&id, &set, None)?),
                None => None,
            };
            engine.create_release(&id, NewRelease { input_set, ..new }, &actor)
        })?;
        self.reraise_interrupt()?;
        PyRelease::new(py, &state)
    }

    /// Changes a draft: its ``name``, ``inputs`` (merged; a ``None`` value removes one) and
    /// ``owners``. Returns the events appended.
    #[pyo3(signature = (release_id, *, actor, name = None, inputs = None, owners = None))]
    fn update_release(
        &self,
        py: Python<'_>,
        release_id: String,
        actor: PyRef<'_, PyActor>,
        name: Option<String>,
        inputs: Option<&Bound<'_, PyAny>>,
        owners: Option<Vec<String>>,
    ) -> PyResult<Vec<PyEvent>> {
        let inputs = convert::opt_map(inputs, "inputs")?;
        let actor = actor.inner.clone();
        self.command(py, move |e| e.update_release(&release_id, &actor, name, inputs, owners))
    }

    /// Schedules (or reschedules) a release at ``start`` (tz-aware), optionally planned to ``end``;
    /// validates and locks its inputs. With ``auto_start`` the clock activates it at ``start``.
    #[pyo3(signature = (release_id, *, start, actor, end = None, auto_start = true))]
    fn schedule(
        &self,
        py: Python<'_>,
        release_id: String,
        start: &Bound<'_, PyAny>,
        actor: PyRef<'_, PyActor>,
        end: Option<&Bound<'_, PyAny>>,
        auto_start: bool,
    ) -> PyResult<Vec<PyEvent>> {
        let start = time::timestamp(start, "start")?;
        let end = time::opt_timestamp(end, "end")?;
        let actor = actor.inner.clone();
        self.command(py, move |e| e.schedule(&release_id, &actor, start, end, auto_start))
    }

    /// Activates a release now (before its scheduled start: pre-execution, recorded). Inside a
    /// freeze window it raises ``ScheduleError``; ``force=True`` (account release managers only)
    /// activates anyway, recorded as forced.
    #[pyo3(signature = (release_id, *, actor, force = false))]
    fn activate(
        &self,
        py: Python<'_>,
        release_id: String,
        actor: PyRef<'_, PyActor>,
        force: bool,
    ) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        if force {
            return self.command(py, move |e| e.activate_forced(&release_id, &actor));
        }
        self.command(py, move |e| e.activate(&release_id, &actor))
    }

    /// Pauses a release: nothing new starts until ``resume``.
    #[pyo3(signature = (release_id, *, actor))]
    fn pause(&self, py: Python<'_>, release_id: String, actor: PyRef<'_, PyActor>) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.pause(&release_id, &actor))
    }

    /// Lets a paused release progress again.
    #[pyo3(signature = (release_id, *, actor))]
    fn resume(&self, py: Python<'_>, release_id: String, actor: PyRef<'_, PyActor>) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.resume(&release_id, &actor))
    }

    /// Aborts a release, recording ``reason``; running activities are aborted.
    #[pyo3(signature = (release_id, *, actor, reason))]
    fn abort(
        &self,
        py: Python<'_>,
        release_id: String,
        actor: PyRef<'_, PyActor>,
        reason: String,
    ) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.abort(&release_id, &actor, &reason))
    }

    /// Restarts a failed or aborted release (failed, aborted and failure-skipped work runs again).
    #[pyo3(signature = (release_id, *, actor))]
    fn restart(&self, py: Python<'_>, release_id: String, actor: PyRef<'_, PyActor>) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.restart(&release_id, &actor))
    }

    /// Archives a release that has ended.
    #[pyo3(signature = (release_id, *, actor))]
    fn archive(&self, py: Python<'_>, release_id: String, actor: PyRef<'_, PyActor>) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.archive(&release_id, &actor))
    }

    /// Deletes a release (DESIGN §8): a draft or scheduled one is deleted (a ``deleted`` event);
    /// a running or on_hold one raises ``InvalidTransitionError``, and so does an ended one that
    /// is not archived (its data is kept for the retention period); an archived one that ended
    /// within the retention period raises ``ConflictError`` naming the day it becomes deletable;
    /// after that it is purged with its events (the returned list is then empty). A release
    /// referenced by another (a subprocess parent) raises ``ConflictError``.
    #[pyo3(signature = (release_id, *, actor))]
    fn delete_release(&self, py: Python<'_>, release_id: String, actor: PyRef<'_, PyActor>) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.delete_release(&release_id, &actor))
    }

    /// Approves an approval activity (only listed approvers may).
    #[pyo3(signature = (release_id, phase_id, activity_id, *, actor, comment = None))]
    fn approve(
        &self,
        py: Python<'_>,
        release_id: String,
        phase_id: String,
        activity_id: String,
        actor: PyRef<'_, PyActor>,
        comment: Option<String>,
    ) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.approve(&release_id, &phase_id, &activity_id, &actor, comment.as_deref()))
    }

    /// Rejects an approval activity: it fails (then its ``on_failure`` applies).
    #[pyo3(signature = (release_id, phase_id, activity_id, *, actor, comment = None))]
    fn reject(
        &self,
        py: Python<'_>,
        release_id: String,
        phase_id: String,
        activity_id: String,
        actor: PyRef<'_, PyActor>,
        comment: Option<String>,
    ) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.reject(&release_id, &phase_id, &activity_id, &actor, comment.as_deref()))
    }

    /// Completes a manual activity with its field ``values`` (validated against its fields;
    /// ``InvalidInputError`` lists every bad one).
    #[pyo3(signature = (release_id, phase_id, activity_id, *, actor, values))]
    fn complete_manual(
        &self,
        py: Python<'_>,
        release_id: String,
        phase_id: String,
        activity_id: String,
        actor: PyRef<'_, PyActor>,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PyEvent>> {
        let values = convert::to_map(values, "values")?;
        let actor = actor.inner.clone();
        self.command(py, move |e| e.complete_manual(&release_id, &phase_id, &activity_id, &actor, values))
    }

    /// Retries an ``on_hold`` activity, optionally with changed ``inputs`` (its ``with`` values:
    /// fix-and-continue), recording ``reason``.
    #[pyo3(signature = (release_id, phase_id, activity_id, *, actor, inputs = None, reason = None))]
    #[allow(clippy::too_many_arguments)]
    fn retry(
        &self,
        py: Python<'_>,
        release_id: String,
        phase_id: String,
        activity_id: String,
        actor: PyRef<'_, PyActor>,
        inputs: Option<&Bound<'_, PyAny>>,
        reason: Option<String>,
    ) -> PyResult<Vec<PyEvent>> {
        let inputs = convert::opt_map(inputs, "inputs")?;
        let actor = actor.inner.clone();
        self.command(py, move |e| e.retry(&release_id, &phase_id, &activity_id, &actor, inputs, reason.as_deref()))
    }

    /// Ignores an ``on_hold`` activity, optionally supplying the ``outputs`` downstream needs.
    #[pyo3(signature = (release_id, phase_id, activity_id, *, actor, outputs = None, reason = None))]
    #[allow(clippy::too_many_arguments)]
    fn ignore(
        &self,
        py: Python<'_>,
        release_id: String,
        phase_id: String,
        activity_id: String,
        actor: PyRef<'_, PyActor>,
        outputs: Option<&Bound<'_, PyAny>>,
        reason: Option<String>,
    ) -> PyResult<Vec<PyEvent>> {
        let outputs = convert::opt_map(outputs, "outputs")?.unwrap_or_default();
        let actor = actor.inner.clone();
        self.command(py, move |e| e.ignore(&release_id, &phase_id, &activity_id, &actor, outputs, reason.as_deref()))
    }

    /// Fails an ``on_hold`` activity for good.
    #[pyo3(signature = (release_id, phase_id, activity_id, *, actor, reason = None))]
    fn fail(
        &self,
        py: Python<'_>,
        release_id: String,
        phase_id: String,
        activity_id: String,
        actor: PyRef<'_, PyActor>,
        reason: Option<String>,
    ) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.fail(&release_id, &phase_id, &activity_id, &actor, reason.as_deref()))
    }

    /// Skips a pending activity, recording ``reason``; its dependents may start.
    #[pyo3(signature = (release_id, phase_id, activity_id, *, actor, reason))]
    fn skip(
        &self,
        py: Python<'_>,
        release_id: String,
        phase_id: String,
        activity_id: String,
        actor: PyRef<'_, PyActor>,
        reason: String,
    ) -> PyResult<Vec<PyEvent>> {
        let actor = actor.inner.clone();
        self.command(py, move |e| e.skip(&release_id, &phase_id, &activity_id, &actor, &reason))
    }

    // ---- reading ----

    /// The current state of a release. ``NotFoundError`` for an unknown or deleted one.
    ///
    /// With ``actor``, only if they may read it (DESIGN §7: readers of its scope, people listed on
    /// it): ``PermissionDeniedError`` otherwise. Without, the caller is trusted.
    #[pyo3(signature = (release_id, *, actor = None))]
    fn get_release(&self, py: Python<'_>, release_id: &str, actor: Option<PyRef<'_, PyActor>>) -> PyResult<PyRelease> {
        let engine = self.engine(py)?;
        let id = release_id.to_string();
        let actor = actor_of(actor);
        let state = run(py, move || match actor {
            Some(a) => engine.get_release_as(&id, &a),
            None => engine.get_release(&id),
        })?;
        PyRelease::new(py, &state)
    }

    /// Releases matching every filter given, oldest first: ``status`` and ``kind`` (snake_case
    /// strings), ``group`` (release group id), ``scope``; archived releases only with
    /// ``include_archived``. With ``actor``, only those they may read.
    #[pyo3(signature = (*, actor = None, status = None, kind = None, group = None, scope = None, include_archived = false))]
    #[allow(clippy::too_many_arguments)]
    fn list_releases(
        &self,
        py: Python<'_>,
        actor: Option<PyRef<'_, PyActor>>,
        status: Option<&str>,
        kind: Option<&str>,
        group: Option<String>,
        scope: Option<String>,
        include_archived: bool,
    ) -> PyResult<Vec<PyRelease>> {
        let filter = ReleaseFilter {
            status: status.map(str::parse::<ReleaseStatus>).transpose().map_err(|e| err(py, e))?,
            kind: kind.map(str::parse::<ReleaseKind>).transpose().map_err(|e| err(py, e))?,
            group,
            scope,
            include_archived,
        };
        let engine = self.engine(py)?;
        let actor = actor_of(actor);
        let states = run(py, move || match actor {
            Some(a) => engine.list_releases_as(&filter, &a),
            None => engine.list_releases(&filter),
        })?;
        states.iter().map(|s| PyRelease::new(py, s)).collect()
    }

    /// The release's events, oldest first: its audit trail. With ``actor``, only if they may read
    /// the release (``PermissionDeniedError`` otherwise).
    #[pyo3(signature = (release_id, *, actor = None))]
    fn history(&self, py: Python<'_>, release_id: &str, actor: Option<PyRef<'_, PyActor>>) -> PyResult<Vec<PyEvent>> {
        let id = release_id.to_string();
        let actor = actor_of(actor);
        self.command(py, move |e| match actor {
            Some(a) => e.history_as(&id, &a),
            None => e.history(&id),
        })
    }

    // ---- input sets ----

    /// Saves the named input set of ``process_id`` (a new version when ``values`` differ from its
    /// latest one) and returns its version. The values are checked against the process's inputs
    /// (``InvalidInputError`` lists unknown names and bad values; a set may be partial). ``actor``
    /// must be a release manager (account, or of any org).
    #[pyo3(signature = (process_id, name, values, *, actor))]
    fn save_input_set(
        &self,
        py: Python<'_>,
        process_id: String,
        name: String,
        values: &Bound<'_, PyAny>,
        actor: PyRef<'_, PyActor>,
    ) -> PyResult<u32> {
        let values = convert::to_map(values, "values")?;
        let actor = actor.inner.clone();
        let engine = self.engine(py)?;
        run(py, move || engine.save_input_set(&process_id, &name, values, &actor))
    }

    /// An input set of ``process_id``: its latest version, or ``version``. ``NotFoundError`` names
    /// the process's sets.
    #[pyo3(signature = (process_id, name, version = None))]
    fn get_input_set(
        &self,
        py: Python<'_>,
        process_id: String,
        name: String,
        version: Option<u32>,
    ) -> PyResult<PyInputSet> {
        let engine = self.engine(py)?;
        let set = run(py, move || engine.get_input_set(&process_id, &name, version))?;
        PyInputSet::new(py, &set)
    }

    /// The input sets of ``process_id``: ``(name, latest version)`` pairs.
    #[pyo3(signature = (process_id))]
    fn list_input_sets(&self, py: Python<'_>, process_id: String) -> PyResult<Vec<(String, u32)>> {
        let engine = self.engine(py)?;
        run(py, move || engine.list_input_sets(&process_id))
    }

    // ---- retention ----

    /// Sets the retention policy: terminal releases that ended more than ``archive_after`` (a
    /// ``timedelta``; default 365 days) ago are archived by ``apply_retention``, and archived ones
    /// may then be deleted.
    #[pyo3(signature = (*, archive_after))]
    fn set_retention(&self, py: Python<'_>, archive_after: &Bound<'_, PyAny>) -> PyResult<()> {
        let archive_after = duration(archive_after, "archive_after")?;
        self.engine(py)?.set_retention(RetentionPolicy { archive_after });
        Ok(())
    }

    /// Archives every terminal release (success, partial_success, failed, aborted) that ended
    /// before ``now`` (default: the engine's clock) minus the retention period, and returns their
    /// ids. Active releases are never archived.
    #[pyo3(signature = (now = None))]
    fn apply_retention(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
        let now = time::opt_timestamp(now, "now")?;
        let engine = self.engine(py)?;
        let result = run(py, move || engine.apply_retention(now.unwrap_or_else(|| engine.clock().now())));
        self.reraise_interrupt()?;
        result
    }
}

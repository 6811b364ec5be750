//! `trainyard.Engine`: the release-orchestration engine for Python.
//!
//! Every method converts its arguments, calls the one core [`Engine`] method of the same name with
//! the GIL released (so executors and other Python threads run meanwhile), and converts the result.
//! Nothing here decides anything: the lifecycle, access checks and validation live in the core.

use crate::actor::PyActor;
use crate::convert::{self, Definition};
use crate::errors;
use crate::executor::{Interrupt, PyExecutor, PyJob};
use crate::problem::PyProblem;
use crate::run;
use crate::time::{self, PyManualClock};
use crate::views::{PyEvent, PyProcessInfo, PyRelease};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use std::sync::{Arc, RwLock};
use trainyard::executor::Outcome;
use trainyard::release::{Event, NewRelease, ReleaseKind, ReleaseStatus};
use trainyard::schedule::Clock;
use trainyard::{Engine, Error, ReleaseFilter};

/// The release levels of DESIGN §7, as `release_level=` takes them.
const RELEASE_LEVELS: [&str; 2] = ["account", "organization"];

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

fn check_level(py: Python<'_>, level: &str) -> PyResult<()> {
    match level {
        "account" => Ok(()),
        "organization" => Err(err(
            py,
            Error::InvalidInput {
                problems: vec![trainyard::Problem::new(
                    "release_level",
                    "invalid_value",
                    "release_level \"organization\" is not available in this build: the engine has no \
                     release-level setting yet, and every release is managed at the account level; \
                     use release_level=\"account\"",
                )],
            },
        )),
        other => Err(PyValueError::new_err(format!(
            "release_level must be one of {}, not {}",
            RELEASE_LEVELS.map(convert::repr_str).join(", "),
            convert::repr_str(other)
        ))),
    }
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
    fn build(url: String, release_level: String, engine: Engine) -> Self {
        PyEngine { inner: RwLock::new(Some(Arc::new(engine))), url, release_level, interrupt: Default::default() }
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
        let list = run(py, move || f(&engine))?;
        events(py, list)
    }

    fn release(&self, py: Python<'_>, id: &str) -> PyResult<PyRelease> {
        let engine = self.engine(py)?;
        let id = id.to_string();
        let state = run(py, move || engine.get_release(&id))?;
        PyRelease::new(py, &state)
    }
}

#[pymethods]
impl PyEngine {
    /// An engine with an in-memory store (for tests and scripts): nothing survives the process.
    ///
    /// ``clock`` is a ``ManualClock`` to drive time by hand, or ``None`` for the system clock.
    /// ``release_level`` is ``"account"`` (the only level available in this build).
    #[staticmethod]
    #[pyo3(signature = (*, clock = None, release_level = "account"))]
    fn in_memory(py: Python<'_>, clock: Option<&Bound<'_, PyAny>>, release_level: &str) -> PyResult<Self> {
        check_level(py, release_level)?;
        let engine = match clock_of(clock)? {
            Some(c) => Engine::in_memory_with_clock(c),
            None => Engine::in_memory(),
        };
        Ok(PyEngine::build("memory://".into(), release_level.into(), engine))
    }

    /// An engine on the store named by ``url``; the scheme picks the backend.
    ///
    /// This build has ``memory://`` only; ``sqlite://path`` and ``postgres://…`` raise
    /// ``StorageError`` until the core's storage backends land. ``clock`` and ``release_level`` as
    /// for ``in_memory``.
    #[staticmethod]
    #[pyo3(signature = (url, *, release_level = "account", clock = None))]
    fn open(py: Python<'_>, url: &str, release_level: &str, clock: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        check_level(py, release_level)?;
        let clock = clock_of(clock)?;
        let Some((scheme, _)) = url.split_once("://") else {
            return Err(storage(
                py,
                format!("{url:?} is not a storage URL; expected <scheme>://…, e.g. memory:// or sqlite://releases.db"),
            ));
        };
        match scheme {
            "memory" => {
                let engine = match clock {
                    Some(c) => Engine::in_memory_with_clock(c),
                    None => Engine::in_memory(),
                };
                Ok(PyEngine::build(url.into(), release_level.into(), engine))
            }
            "sqlite" | "postgres" | "postgresql" => {
                Err(storage(py, format!("the {scheme} storage backend is not available in this build; memory:// is")))
            }
            other => Err(storage(
                py,
                format!("unknown storage scheme `{other}`; expected memory://, sqlite://path or postgres://…"),
            )),
        }
    }

    /// The storage URL this engine was opened on (``memory://`` for ``in_memory``).
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The release level (``"account"``).
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

    /// Reports the outcome of a job run outside the engine (or by an executor that returned
    /// ``STARTED``): ``outputs`` for a success, or ``error`` (a message) for a failure, which is
    /// ``retryable`` by default. A report for a stale attempt raises ``ConflictError``.
    #[pyo3(signature = (job_id, *, outputs = None, error = None, retryable = true))]
    fn complete_job(
        &self,
        py: Python<'_>,
        job_id: &str,
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
        run(py, move || engine.complete_job(&id, outcome))
    }

    /// Jobs queued for in-process executors and not yet run.
    fn queued_jobs(&self, py: Python<'_>) -> PyResult<Vec<PyJob>> {
        let engine = self.engine(py)?;
        Ok(engine.queued_jobs().into_iter().map(|inner| PyJob { inner }).collect())
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
    /// ``inputs`` are merged over the process defaults (validated at ``schedule``/``activate``);
    /// ``kind`` is ``standard``, ``hotfix``, ``feature`` or ``system``; ``scope`` is ``account`` or
    /// ``org:<id>``; ``owners`` are user ids. ``input_set`` names a saved input set of the process
    /// (``save_input_set``): its values go between the defaults and ``inputs``.
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
        let input_set = match input_set {
            Some(set) => {
                let (engine, process) = (engine.clone(), process_id.to_string());
                Some(run(py, move || engine.input_set_for_release(&process, &set, None))?)
            }
            None => None,
        };
        let kind: ReleaseKind = kind.parse().map_err(|e| err(py, e))?;
        let new = NewRelease {
            name,
            kind,
            scope: scope.to_string(),
            inputs: convert::opt_map(inputs, "inputs")?.unwrap_or_default(),
            owners: owners.unwrap_or_default(),
            input_set,
            ..Default::default()
        };
        let actor = actor.inner.clone();
        let id = process_id.to_string();
        let state = run(py, move || engine.create_release(&id, new, &actor))?;
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

    /// Deletes a draft or scheduled release.
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
    /// ``actor`` is accepted for the read-access rules of DESIGN §7, which the engine does not
    /// apply to reads yet: every release is returned.
    #[pyo3(signature = (release_id, *, actor = None))]
    fn get_release(&self, py: Python<'_>, release_id: &str, actor: Option<PyRef<'_, PyActor>>) -> PyResult<PyRelease> {
        let _ = actor;
        self.release(py, release_id)
    }

    /// Releases matching every filter given, oldest first: ``status`` and ``kind`` (snake_case
    /// strings), ``group`` (release group id), ``scope``; archived releases only with
    /// ``include_archived``. ``actor`` as for ``get_release`` (not applied yet).
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
        let _ = actor;
        let filter = ReleaseFilter {
            status: status.map(str::parse::<ReleaseStatus>).transpose().map_err(|e| err(py, e))?,
            kind: kind.map(str::parse::<ReleaseKind>).transpose().map_err(|e| err(py, e))?,
            group,
            scope,
            include_archived,
        };
        let engine = self.engine(py)?;
        let states = run(py, move || engine.list_releases(&filter))?;
        states.iter().map(|s| PyRelease::new(py, s)).collect()
    }

    /// The release's events, oldest first: its audit trail.
    #[pyo3(signature = (release_id))]
    fn history(&self, py: Python<'_>, release_id: &str) -> PyResult<Vec<PyEvent>> {
        let id = release_id.to_string();
        self.command(py, move |e| e.history(&id))
    }
}

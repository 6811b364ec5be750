//! `trainyard.Engine`: construction, settings, processes, the release commands and reads.
//!
//! Every method converts its arguments ([`crate::convert`]), calls the one core [`Engine`] method
//! of the same name with the GIL released (so executors and other Python threads run meanwhile),
//! and converts the result. Nothing here decides anything: the lifecycle, access checks and
//! validation live in the core. The engine's other calls are in `commands.rs` (the release and
//! activity commands), `jobs.rs`, `callbacks.rs`, `schedule.rs`, `calendar.rs` and `input_sets.rs`
//! (further `#[pymethods]` blocks).

use crate::callbacks::Interrupt;
use crate::convert::{self, Definition, args, repr_str as q};
use crate::errors::{self, PyProblem};
use crate::run;
use crate::schedule::PyManualClock;
use crate::views::{PyEvent, PyProcessInfo, PyRelease};
use pyo3::prelude::*;
use std::sync::{Arc, RwLock};
use trainyard::access::ReleaseLevel;
use trainyard::release::{Event, NewRelease, ReleaseKind, ReleaseStatus};
use trainyard::schedule::{Clock, SystemClock};
use trainyard::validate::codes;
use trainyard::{Engine, Error, ReleaseFilter, Timestamp};

/// The engine: registered processes and executors, releases and their events, on one store and
/// one clock. ``Engine.in_memory()`` or ``Engine.open(url)``; usable as a context manager (the
/// store is closed on exit). Safe to share between Python threads: every call releases the GIL
/// while the engine works.
#[pyclass(frozen, module = "trainyard", name = "Engine")]
pub struct PyEngine {
    inner: RwLock<Option<Arc<Engine>>>,
    url: String,
    release_level: String,
    pub(crate) interrupt: Interrupt,
}

/// A `clock=` argument: a `ManualClock`, or `None` for the system clock.
fn clock_of(clock: Option<&Bound<'_, PyAny>>) -> convert::Conv<Option<Arc<dyn Clock>>> {
    match clock {
        Some(c) if !c.is_none() => match c.cast::<PyManualClock>() {
            Ok(m) => Ok(Some(Arc::new(m.get().inner.clone()))),
            Err(_) => Err(convert::Refused::one(
                "clock",
                codes::WRONG_TYPE,
                format!("must be a trainyard.ManualClock or None (the system clock), not {}", convert::type_name(c)),
            )),
        },
        _ => Ok(None),
    }
}

/// A `release_level=` argument: ``account`` (the default) or ``organization``.
fn level_of(level: Option<&Bound<'_, PyAny>>) -> convert::Conv<ReleaseLevel> {
    Ok(convert::opt_parsed(level, "release_level")?.unwrap_or(ReleaseLevel::Account))
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
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone().ok_or_else(|| {
            errors::to_py_err(py, &Error::Storage { message: format!("the engine on {} is closed", self.url) })
        })
    }

    /// Raises a `KeyboardInterrupt`/`SystemExit` a callback raised during the last call.
    fn reraise_interrupt(&self) -> PyResult<()> {
        match self.interrupt.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Runs `f` on the core engine without the GIL ([`crate::run`]), then raises what a callback
    /// kept for this call (a subscriber may raise `KeyboardInterrupt` while the notifications of a
    /// commit are delivered, after it).
    pub(crate) fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Engine) -> trainyard::Result<T> + Send,
    ) -> PyResult<T> {
        let engine = self.engine(py)?;
        let result = run(py, move || f(&engine));
        self.reraise_interrupt()?;
        result
    }

    /// Runs a release command: the events it appended, as `Event`s.
    pub(crate) fn command(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Engine) -> trainyard::Result<Vec<Event>> + Send,
    ) -> PyResult<Vec<PyEvent>> {
        Ok(PyEvent::list(self.call(py, f)?))
    }

    /// Drops the core engine (its store, executors and subscribers) without the GIL.
    fn release_engine(&self, py: Python<'_>) {
        let engine = self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
        py.detach(move || drop(engine));
    }
}

impl Drop for PyEngine {
    fn drop(&mut self) {
        let engine = self.inner.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(engine) = engine {
            // Closing a store may wait on threads that log; they need the GIL.
            if Python::try_attach(|py| py.detach(|| drop(engine))).is_none() {
                // The interpreter is gone: nothing can wait for it any more.
            }
        }
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
    #[pyo3(signature = (*, clock = None, release_level = None), text_signature = "(*, clock=None, release_level='account')")]
    fn in_memory(
        py: Python<'_>,
        clock: Option<&Bound<'_, PyAny>>,
        release_level: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        args!(py; clock = clock_of(clock), level = level_of(release_level));
        let engine = run(py, move || {
            Ok(match clock {
                Some(c) => Engine::in_memory_with_clock(c),
                None => Engine::in_memory(),
            })
        })?;
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
    #[pyo3(signature = (url, *, release_level = None, clock = None), text_signature = "(url, *, release_level='account', clock=None)")]
    fn open(
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        release_level: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        args!(py; url = convert::text(url, "url"), level = level_of(release_level), clock = clock_of(clock));
        let clock: Arc<dyn Clock> = clock.unwrap_or_else(|| Arc::new(SystemClock));
        let target = url.clone();
        let engine = run(py, move || Engine::open_with(&target, clock))?;
        Ok(PyEngine::build(trainyard::store::redact_url(&url), level, engine))
    }

    /// The storage URL this engine was opened on, without its password (``memory://`` for
    /// ``in_memory``).
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
    fn now(&self, py: Python<'_>) -> PyResult<Timestamp> {
        self.call(py, |e| Ok(e.clock().now()))
    }

    /// Closes the engine: its store is released and every later call raises ``StorageError``.
    /// Closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        self.release_engine(py);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: &Bound<'_, PyAny>,
        exc_value: &Bound<'_, PyAny>,
        traceback: &Bound<'_, PyAny>,
    ) {
        let _ = (exc_type, exc_value, traceback);
        self.release_engine(py);
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { ", closed" } else { "" };
        format!("Engine(url={}, release_level={}{state})", q(&self.url), q(&self.release_level))
    }

    // ---- processes ----

    /// Validates and registers a process definition (YAML/JSON text or a dict). Registering a
    /// changed definition creates version n+1; the same one again returns its version. Raises
    /// ``ValidationError`` listing every problem. With ``actor`` the access matrix applies: a
    /// release manager of the process's scope (``scope``, fixed by the first registration: by
    /// default an org manager of one org registers for that org, everyone else for ``"account"``;
    /// ``PermissionDeniedError`` otherwise). Without ``actor`` the application registers as the
    /// engine (``system``).
    #[pyo3(signature = (definition, *, actor = None, scope = None))]
    fn register_process(
        &self,
        py: Python<'_>,
        definition: &Bound<'_, PyAny>,
        actor: Option<&Bound<'_, PyAny>>,
        scope: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyProcessInfo> {
        args!(py; actor = convert::opt_actor(actor, "actor"), scope = convert::opt_text(scope, "scope"));
        let actor = actor.unwrap_or_else(trainyard::access::Actor::system);
        let info = match convert::definition(py, definition)? {
            Definition::Text(text) => self.call(py, move |e| e.register_process_as(&text, scope.as_deref(), &actor))?,
            Definition::Document(doc) => {
                self.call(py, move |e| e.register_process_value_as(doc, scope.as_deref(), &actor))?
            }
        };
        Ok(PyProcessInfo::new(&info))
    }

    /// Validates a process definition against this engine's registered processes (so subprocess
    /// references resolve) and returns its warnings; raises ``ValidationError`` on errors.
    #[pyo3(signature = (definition))]
    fn validate_process(&self, py: Python<'_>, definition: &Bound<'_, PyAny>) -> PyResult<Vec<PyProblem>> {
        let loaded = match convert::definition(py, definition)? {
            Definition::Text(text) => self.call(py, move |e| trainyard::load_process_with(&text, Some(e)))?,
            Definition::Document(doc) => self.call(py, move |e| trainyard::load_process_value(doc, Some(e)))?,
        };
        Ok(loaded.warnings.iter().map(PyProblem::from).collect())
    }

    /// A registered process as a dict (the latest version, or ``version``). ``NotFoundError`` names
    /// the registered ones.
    #[pyo3(signature = (process_id, version = None))]
    fn get_process<'py>(
        &self,
        py: Python<'py>,
        process_id: &Bound<'py, PyAny>,
        version: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        args!(py; id = convert::text(process_id, "process_id"), version = convert::opt_version(version, "version"));
        let process = self.call(py, move |e| e.get_process(&id, version))?;
        convert::doc_to_py(py, &process, "the process")
    }

    /// Every registered process with its latest version (``ProcessInfo`` without warnings).
    fn list_processes(&self, py: Python<'_>) -> PyResult<Vec<PyProcessInfo>> {
        let list = self.call(py, |e| e.list_processes())?;
        Ok(list.into_iter().map(|(id, v)| PyProcessInfo::listed(id, v)).collect())
    }

    // ---- driving ----

    /// Fires every timer due at the clock's current time and runs the queued in-process jobs.
    /// Returns how many timers and jobs it handled.
    fn tick(&self, py: Python<'_>) -> PyResult<usize> {
        self.call(py, |e| e.tick())
    }

    /// Ticks until nothing is left to do at the current time, or ``max_steps`` timers and jobs were
    /// handled. Returns how many were handled.
    #[pyo3(signature = (max_steps = None), text_signature = "($self, max_steps=10000)")]
    fn run_until_idle(&self, py: Python<'_>, max_steps: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
        args!(py; max_steps = convert::count(max_steps, "max_steps", 10_000));
        self.call(py, move |e| e.run_until_idle(max_steps as usize))
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
    ///
    /// ``labels`` (``dict[str, str]``), ``description``, ``version`` and ``links`` (a list of
    /// ``{"kind": "ticket" | "commit" | "incident" | "other", "url": ..., "title": ...}``) are the
    /// release's metadata (bounds: see the README). ``release_managers`` (default: the actor) and
    /// ``stakeholders`` are users or groups.
    #[pyo3(signature = (process_id, *, name, actor, inputs = None, input_set = None, kind = None, scope = None, owners = None,
            release_managers = None, stakeholders = None, labels = None, description = None, version = None, links = None),
        text_signature = "($self, process_id, *, name, actor, inputs=None, input_set=None, kind='standard', scope='account', owners=None, release_managers=None, stakeholders=None, labels=None, description=None, version=None, links=None)")]
    #[allow(clippy::too_many_arguments)]
    fn create_release(
        &self,
        py: Python<'_>,
        process_id: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        inputs: Option<&Bound<'_, PyAny>>,
        input_set: Option<&Bound<'_, PyAny>>,
        kind: Option<&Bound<'_, PyAny>>,
        scope: Option<&Bound<'_, PyAny>>,
        owners: Option<&Bound<'_, PyAny>>,
        release_managers: Option<&Bound<'_, PyAny>>,
        stakeholders: Option<&Bound<'_, PyAny>>,
        labels: Option<&Bound<'_, PyAny>>,
        description: Option<&Bound<'_, PyAny>>,
        version: Option<&Bound<'_, PyAny>>,
        links: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyRelease> {
        args!(py;
            id = convert::text(process_id, "process_id"),
            name = convert::text(name, "name"),
            actor = convert::actor(actor, "actor"),
            inputs = convert::opt_map(inputs, "inputs"),
            input_set = convert::opt_text(input_set, "input_set"),
            kind = convert::opt_parsed::<ReleaseKind>(kind, "kind"),
            scope = convert::opt_text(scope, "scope"),
            owners = convert::opt_text_list(owners, "owners"),
            release_managers = convert::opt_text_list(release_managers, "release_managers"),
            stakeholders = convert::opt_text_list(stakeholders, "stakeholders"),
            metadata = metadata_args(labels, description, version, links),
        );
        let metadata = run(py, move || metadata)?;
        let new = NewRelease {
            name,
            kind: kind.unwrap_or_default(),
            scope: scope.unwrap_or_else(|| "account".to_owned()),
            inputs: inputs.unwrap_or_default(),
            owners: owners.unwrap_or_default(),
            release_managers: release_managers.unwrap_or_default(),
            stakeholders: stakeholders.unwrap_or_default(),
            metadata: metadata.apply(&Default::default()),
            ..Default::default()
        };
        let state = self.call(py, move |e| {
            let input_set = match input_set {
                Some(set) => Some(e.input_set_for_release(&new.scope, &id, &set, None)?),
                None => None,
            };
            e.create_release(&id, NewRelease { input_set, ..new }, &actor)
        })?;
        Ok(PyRelease::new(state))
    }

    /// Changes a release that has not started. A draft: anything (``name``, ``inputs`` merged
    /// — a ``None`` value removes one —, ``owners``, ``release_managers``, ``stakeholders``,
    /// ``process`` / ``process_version``, ``kind``, ``scope``, the planned window ``start`` /
    /// ``end``, and the metadata: ``labels`` merged — a ``None`` value removes one —,
    /// ``description`` and ``version`` — ``""`` clears one — and ``links``, replaced); a scheduled
    /// release: all but process, process version, kind and scope. ``reason`` is recorded.
    /// Returns the events appended.
    #[pyo3(signature = (release_id, *, actor, name = None, inputs = None, owners = None,
        release_managers = None, stakeholders = None, process = None, process_version = None, kind = None,
        scope = None, start = None, end = None, labels = None, description = None, version = None, links = None,
        reason = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_release(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        inputs: Option<&Bound<'_, PyAny>>,
        owners: Option<&Bound<'_, PyAny>>,
        release_managers: Option<&Bound<'_, PyAny>>,
        stakeholders: Option<&Bound<'_, PyAny>>,
        process: Option<&Bound<'_, PyAny>>,
        process_version: Option<&Bound<'_, PyAny>>,
        kind: Option<&Bound<'_, PyAny>>,
        scope: Option<&Bound<'_, PyAny>>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
        labels: Option<&Bound<'_, PyAny>>,
        description: Option<&Bound<'_, PyAny>>,
        version: Option<&Bound<'_, PyAny>>,
        links: Option<&Bound<'_, PyAny>>,
        reason: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyEvent>> {
        let change_args = convert::changes::ChangeArgs {
            name,
            inputs,
            owners,
            release_managers,
            stakeholders,
            process,
            process_version,
            kind,
            scope,
            start,
            end,
        };
        args!(py;
            id = convert::text(release_id, "release_id"),
            actor = convert::actor(actor, "actor"),
            reason = convert::opt_text(reason, "reason"),
            changes = convert::changes::release_changes(&change_args),
            metadata = metadata_args(labels, description, version, links),
        );
        self.command(py, move |e| {
            let changes = trainyard::release::ReleaseChanges { metadata: metadata?, ..changes };
            e.update_release(&id, &actor, changes, reason.as_deref())
        })
    }

    // ---- reading ----

    /// The current state of a release. ``NotFoundError`` for an unknown or deleted one.
    ///
    /// With ``actor``, only if they may read it (readers of its scope, people listed on it):
    /// ``PermissionDeniedError`` otherwise. Without, the caller is trusted.
    #[pyo3(signature = (release_id, *, actor = None))]
    fn get_release(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyRelease> {
        args!(py; id = convert::text(release_id, "release_id"), actor = convert::opt_actor(actor, "actor"));
        let state = self.call(py, move |e| match actor {
            Some(a) => e.get_release_as(&id, &a),
            None => e.get_release(&id),
        })?;
        Ok(PyRelease::new(state))
    }

    /// Releases matching every filter given, oldest first: ``status`` and ``kind`` (snake_case
    /// strings), ``group`` (release group id), ``scope``; archived releases only with
    /// ``include_archived``. With ``actor``, only those they may read.
    #[pyo3(signature = (*, actor = None, status = None, kind = None, group = None, scope = None, include_archived = None),
        text_signature = "($self, *, actor=None, status=None, kind=None, group=None, scope=None, include_archived=False)")]
    #[allow(clippy::too_many_arguments)]
    fn list_releases(
        &self,
        py: Python<'_>,
        actor: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        kind: Option<&Bound<'_, PyAny>>,
        group: Option<&Bound<'_, PyAny>>,
        scope: Option<&Bound<'_, PyAny>>,
        include_archived: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyRelease>> {
        args!(py;
            actor = convert::opt_actor(actor, "actor"),
            status = convert::opt_parsed::<ReleaseStatus>(status, "status"),
            kind = convert::opt_parsed::<ReleaseKind>(kind, "kind"),
            group = convert::opt_text(group, "group"),
            scope = convert::opt_text(scope, "scope"),
            include_archived = convert::opt_flag(include_archived, "include_archived", false),
        );
        let filter = ReleaseFilter { status, kind, group, scope, include_archived };
        let states = self.call(py, move |e| match actor {
            Some(a) => e.list_releases_as(&filter, &a),
            None => e.list_releases(&filter),
        })?;
        Ok(states.into_iter().map(PyRelease::new).collect())
    }

    /// The release's events, oldest first: its audit trail. With ``actor``, only if they may read
    /// the release (``PermissionDeniedError`` otherwise).
    #[pyo3(signature = (release_id, *, actor = None))]
    fn history(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyEvent>> {
        args!(py; id = convert::text(release_id, "release_id"), actor = convert::opt_actor(actor, "actor"));
        self.command(py, move |e| match actor {
            Some(a) => e.history_as(&id, &a),
            None => e.history(&id),
        })
    }
}

/// The metadata arguments of `create_release` / `update_release`, read by the core once their
/// Python values are JSON (`Ok(Err(..))`: the core refused them, reported when the call runs).
fn metadata_args(
    labels: Option<&Bound<'_, PyAny>>,
    description: Option<&Bound<'_, PyAny>>,
    version: Option<&Bound<'_, PyAny>>,
    links: Option<&Bound<'_, PyAny>>,
) -> convert::Conv<trainyard::Result<trainyard::release::MetadataChange>> {
    let labels = convert::opt_map(labels, "labels")?.map(|m| serde_json::Value::Object(m.into_iter().collect()));
    let description = convert::opt_text(description, "description")?;
    let version = convert::opt_text(version, "version")?;
    let links = match links {
        Some(l) if !l.is_none() => Some(convert::json(l, "links")?),
        _ => None,
    };
    Ok(trainyard::release::MetadataChange::from_json(labels.as_ref(), description, version, links.as_ref()))
}

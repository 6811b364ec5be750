//! Python functions called by the core: executors ([`PyExecutor`]), notification subscribers
//! ([`PySubscriber`]) and secret resolvers ([`PySecretResolver`]), the `trainyard.Notification`
//! subscribers receive, and the engine calls that register them (a `#[pymethods] impl Engine` of
//! its own).
//!
//! The core calls them from whichever thread runs the engine call, with the GIL released; each
//! takes the GIL (`Python::attach`) only to call the Python function, first handing the log
//! records the core produced so far on this thread to `logging` ([`crate::logs::flush`]). Nothing
//! here decides anything: an executor's result becomes an [`Outcome`], a subscriber's exception
//! the `Err` the core counts ([`trainyard::Engine::notification_failures`]), a resolver's exception
//! the `Err` that fails the job (its message names the secret, never a value).
//!
//! What an executor returns: a dict (or `None`) is a success with those outputs, `STARTED` means
//! the job reports back later through `Engine.complete_job`, and an exception fails the attempt
//! with `"<ExceptionType>: <message>"` (retryable, so the activity's `retry` policy applies),
//! except `trainyard.JobFailed(message, retryable=...)`, which fails it with exactly that message.
//! A `BaseException` that is not an `Exception` (`KeyboardInterrupt`, `SystemExit`) also fails the
//! attempt, and is raised again by the engine call that ran the job once that call returns.

use crate::convert::{self, Refused, args, repr_str as q};
use crate::engine::PyEngine;
use crate::jobs::{PyJob, PyStarted};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::sync::{Arc, Mutex};
use trainyard::Timestamp;
use trainyard::executor::{Executor, Job, Outcome};
use trainyard::notify::{Notification, Subscriber};
use trainyard::secrets::{MapSecretResolver, SecretResolver};
use trainyard::validate::codes;

/// A `BaseException` (not an `Exception`) raised inside a callback, kept to be raised again by the
/// engine call that ran it.
pub type Interrupt = Arc<Mutex<Option<PyErr>>>;

fn keep_interrupt(py: Python<'_>, slot: &Interrupt, err: PyErr) {
    if !err.is_instance_of::<PyException>(py) {
        slot.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(err);
    }
}

/// `"<ExceptionType>: <message>"` (just the type when the message is empty).
pub fn describe(py: Python<'_>, err: &PyErr) -> String {
    let ty = err.get_type(py);
    let name = ty.qualname().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    let text = err.value(py).str().map(|s: Bound<'_, PyString>| s.to_string_lossy().into_owned()).unwrap_or_default();
    if text.is_empty() { name } else { format!("{name}: {text}") }
}

/// The problems of a refused value, one per line, for an outcome's message.
fn describe_refused(py: Python<'_>, refused: Refused) -> String {
    match refused {
        Refused::Problems(problems) => problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        Refused::Raised(e) => describe(py, &e),
    }
}

/// A Python callable `fn(job) -> dict | None | STARTED` as a core executor.
pub struct PyExecutor {
    name: String,
    func: Py<PyAny>,
    interrupt: Interrupt,
}

impl PyExecutor {
    fn outcome(&self, result: &Bound<'_, PyAny>) -> Outcome {
        if result.is_none() {
            return Outcome::success();
        }
        if result.cast::<PyStarted>().is_ok() {
            return Outcome::Started;
        }
        if result.cast::<PyDict>().is_ok() {
            return match convert::map(result, "outputs") {
                Ok(outputs) => Outcome::Success { outputs },
                Err(refused) => Outcome::Failure {
                    message: format!(
                        "executor `{}` returned outputs that are not JSON data: {}",
                        self.name,
                        describe_refused(result.py(), refused)
                    ),
                    retryable: false,
                },
            };
        }
        Outcome::Failure {
            message: format!(
                "executor `{}` returned a {}; return a dict of outputs, None, or trainyard.STARTED",
                self.name,
                convert::type_name(result)
            ),
            retryable: false,
        }
    }
}

impl Executor for PyExecutor {
    fn execute(&self, job: &Job) -> Outcome {
        Python::attach(|py| {
            crate::logs::flush(py);
            let called = Py::new(py, PyJob::new(job.clone())).and_then(|j| self.func.call1(py, (j,)));
            match called {
                Ok(result) => self.outcome(result.bind(py)),
                Err(err) => {
                    if let Some(outcome) = job_failed(py, &err) {
                        return outcome;
                    }
                    let message = describe(py, &err);
                    keep_interrupt(py, &self.interrupt, err);
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
    let message = value.getattr("message").and_then(|m| m.str()).map(|s| s.to_string_lossy().into_owned());
    let retryable = value.getattr("retryable").and_then(|r| r.is_truthy()).unwrap_or(true);
    Some(Outcome::Failure { message: message.unwrap_or_default(), retryable })
}

/// One notification, delivered to the functions passed to ``Engine.subscribe`` after the commit
/// that caused it: ``kind`` (``release_started``, ``release_ended``, ``input_waiting``,
/// ``phase_started``, ``phase_ended``, ``activity_on_hold``, ``approval_requested``,
/// ``approval_reminder``, ``approval_escalated``, ``phase_overdue``, ``release_at_risk``), the ``release_id`` and ``release_name``, the
/// ``phase`` and ``activity`` it concerns (or ``None``), the final ``status`` for
/// ``release_ended``/``phase_ended``, the ``recipients`` (user ids, group names, ``group:<name>``
/// for approver groups), ``at`` (the event's time), ``seq`` (the event's sequence number; with
/// ``release_id`` a key for de-duplication) and a one-line ``message``.
#[pyclass(frozen, module = "trainyard", name = "Notification")]
pub struct PyNotification {
    /// What happened (snake_case).
    #[pyo3(get)]
    kind: String,
    /// The release id.
    #[pyo3(get)]
    release_id: String,
    /// The release's display name.
    #[pyo3(get)]
    release_name: String,
    /// The phase, for phase and activity notifications.
    #[pyo3(get)]
    phase: Option<String>,
    /// The activity, for activity notifications.
    #[pyo3(get)]
    activity: Option<String>,
    /// The final status, for ``release_ended`` and ``phase_ended``.
    #[pyo3(get)]
    status: Option<String>,
    /// Who should hear about it.
    #[pyo3(get)]
    recipients: Vec<String>,
    /// When it happened (tz-aware, UTC).
    #[pyo3(get)]
    at: Timestamp,
    /// The sequence number of the event that caused it.
    #[pyo3(get)]
    seq: u64,
    /// A one-line human-readable text.
    #[pyo3(get)]
    message: String,
}

impl From<&Notification> for PyNotification {
    fn from(n: &Notification) -> Self {
        PyNotification {
            kind: n.kind.as_str().to_string(),
            release_id: n.release_id.clone(),
            release_name: n.release_name.clone(),
            phase: n.phase.clone(),
            activity: n.activity.clone(),
            status: n.status.clone(),
            recipients: n.recipients.clone(),
            at: n.at,
            seq: n.seq,
            message: n.message.clone(),
        }
    }
}

#[pymethods]
impl PyNotification {
    fn __repr__(&self) -> String {
        let mut where_ = String::new();
        if let Some(p) = &self.phase {
            where_.push_str(&format!(", phase={}", q(p)));
        }
        if let Some(a) = &self.activity {
            where_.push_str(&format!(", activity={}", q(a)));
        }
        if let Some(s) = &self.status {
            where_.push_str(&format!(", status={}", q(s)));
        }
        format!(
            "Notification(kind={}, release_id={}, seq={}{where_}, recipients=[{}])",
            q(&self.kind),
            q(&self.release_id),
            self.seq,
            self.recipients.iter().map(|r| q(r)).collect::<Vec<_>>().join(", ")
        )
    }
}

/// `fn(notification) -> None` as a core [`Subscriber`].
pub struct PySubscriber {
    name: String,
    func: Py<PyAny>,
    interrupt: Interrupt,
}

impl PySubscriber {
    /// `func` as the subscriber `name` (for logs); a `BaseException` it raises goes to `interrupt`.
    pub fn new(name: String, func: Py<PyAny>, interrupt: Interrupt) -> Self {
        PySubscriber { name, func, interrupt }
    }
}

impl Subscriber for PySubscriber {
    fn notify(&self, notification: &Notification) -> Result<(), String> {
        Python::attach(|py| {
            crate::logs::flush(py);
            let called =
                Py::new(py, PyNotification::from(notification)).and_then(|n| self.func.call1(py, (n,)).map(|_| ()));
            called.map_err(|err| {
                let message = describe(py, &err);
                keep_interrupt(py, &self.interrupt, err);
                message
            })
        })
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// `fn(name) -> str` as a core [`SecretResolver`].
pub struct PySecretResolver {
    func: Py<PyAny>,
}

impl SecretResolver for PySecretResolver {
    fn resolve(&self, name: &str) -> Result<String, String> {
        Python::attach(|py| {
            crate::logs::flush(py);
            match self.func.call1(py, (name,)) {
                Ok(value) => convert::text(value.bind(py), "").map_err(|refused| match refused {
                    Refused::Problems(p) => {
                        let why = p.first().map(|p| p.message.clone()).unwrap_or_default();
                        format!("the secret resolver's value for `{name}` {why}")
                    }
                    Refused::Raised(e) => describe(py, &e),
                }),
                // The exception's type and text (e.g. `KeyError: 'deploy-token'`): written by the
                // resolver, which must not put values in it.
                Err(err) => Err(describe(py, &err)),
            }
        })
    }
}

pub fn callable(obj: &Bound<'_, PyAny>, path: &str, shape: &str) -> convert::Conv<Py<PyAny>> {
    if obj.is_callable() {
        Ok(obj.clone().unbind())
    } else {
        let message = format!("must be callable as {shape}, not {}", convert::type_name(obj));
        Err(Refused::one(path, codes::WRONG_TYPE, message))
    }
}

/// A secrets `dict` (name → value), every entry checked.
fn secrets_map(map: &Bound<'_, PyDict>) -> convert::Conv<Vec<(String, String)>> {
    let mut secrets = Vec::with_capacity(map.len());
    let mut problems = Vec::new();
    for (k, v) in map.iter() {
        let name = convert::text(&k, "resolver");
        let at = match &name {
            Ok(n) => trainyard::validate::path::field("resolver", n),
            Err(_) => "resolver".to_owned(),
        };
        match (name, convert::text(&v, &at)) {
            (Ok(n), Ok(v)) => secrets.push((n, v)),
            (a, b) => {
                for refused in [a.err(), b.err()].into_iter().flatten() {
                    match refused {
                        Refused::Problems(p) => problems.extend(p),
                        raised => return Err(raised),
                    }
                }
            }
        }
    }
    if problems.is_empty() { Ok(secrets) } else { Err(Refused::Problems(problems)) }
}

#[pymethods]
impl PyEngine {
    /// Registers ``fn`` as the in-process executor ``name`` (replacing one of the same name).
    ///
    /// ``fn(job: Job)`` runs under the GIL when ``tick()``/``run_until_idle()`` dispatch a job. It
    /// returns the outputs (a dict, or ``None`` for none), or ``trainyard.STARTED`` when something
    /// else reports back later through ``complete_job(job.id, ...)``. Raising an exception fails
    /// the attempt with ``"<ExceptionType>: <message>"`` (the engine call itself succeeds; the
    /// activity's ``retry`` and ``on_failure`` apply).
    #[pyo3(signature = (name, r#fn))]
    fn register_executor(&self, py: Python<'_>, name: &Bound<'_, PyAny>, r#fn: &Bound<'_, PyAny>) -> PyResult<()> {
        args!(py;
            name = convert::text(name, "name"),
            func = callable(r#fn, "fn", "fn(job) -> dict | None | STARTED"),
        );
        let executor = PyExecutor { name: name.clone(), func, interrupt: self.interrupt.clone() };
        self.call(py, move |e| {
            e.register_executor(&name, executor);
            Ok(())
        })
    }

    /// Calls ``fn(notification: Notification)`` for every notification (release started/ended,
    /// phase started/ended, approval requested/reminder/escalated, input waiting, activity on
    /// hold), after the commit that caused it, under the GIL, in the thread whose engine call
    /// caused it. An exception raised by ``fn`` never reaches that call: it is logged and counted
    /// (``notification_failures()``). Subscribers cannot be removed.
    #[pyo3(signature = (r#fn))]
    fn subscribe(&self, py: Python<'_>, r#fn: &Bound<'_, PyAny>) -> PyResult<()> {
        args!(py; func = callable(r#fn, "fn", "fn(notification) -> None"));
        let name = r#fn
            .getattr("__qualname__")
            .ok()
            .and_then(|n| convert::text(&n, "").ok())
            .unwrap_or_else(|| "python subscriber".to_string());
        let subscriber = PySubscriber { name, func, interrupt: self.interrupt.clone() };
        self.call(py, move |e| {
            e.subscribe(subscriber);
            Ok(())
        })
    }

    /// How many notification deliveries failed (a subscriber raised) since the engine started.
    fn notification_failures(&self, py: Python<'_>) -> PyResult<u64> {
        self.call(py, |e| Ok(e.notification_failures()))
    }

    /// Sets where ``secret://name`` references in ``secret`` inputs are resolved when a job is
    /// handed to an executor (in process or by ``claim_jobs``): a ``dict`` of name → value (copied
    /// now), or a callable ``resolver(name) -> str`` (called under the GIL each time; raise to say
    /// the secret is unavailable, without putting a value in the message). Resolved values reach
    /// only the executor's ``job.inputs``: never events, history, errors, notifications or log
    /// records, and an executor echoing one in its outputs or error has it replaced by ``***``.
    /// Replaces the previous resolver.
    #[pyo3(signature = (resolver))]
    fn set_secret_resolver(&self, py: Python<'_>, resolver: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(map) = resolver.cast::<PyDict>() {
            let secrets = secrets_map(map).map_err(|r| r.invalid_input(py))?;
            return self.call(py, move |e| {
                e.set_secret_resolver(MapSecretResolver::new(secrets));
                Ok(())
            });
        }
        args!(py; func = callable(resolver, "resolver", "resolver(name) -> str, or be a dict of name -> value"));
        let resolver = PySecretResolver { func };
        self.call(py, move |e| {
            e.set_secret_resolver(resolver);
            Ok(())
        })
    }
}

//! Python callables as core callbacks: notification subscribers ([`PySubscriber`]) and secret
//! resolvers ([`PySecretResolver`]), plus the `trainyard.Notification` they receive.
//!
//! Both are called by the core from whichever thread runs the engine call, with the GIL released;
//! they take the GIL (`Python::attach`) to call the Python function. Nothing here decides anything:
//! a subscriber's exception becomes the `Err` the core counts ([`trainyard::Engine::notification_failures`]),
//! a resolver's exception the `Err` that fails the job (its message names the secret, never a value).

use crate::convert::repr_str as q;
use crate::executor::{Interrupt, describe};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use trainyard::Timestamp;
use trainyard::notify::{Notification, Subscriber};
use trainyard::secrets::SecretResolver;

/// One notification (DESIGN §8), delivered to the functions passed to ``Engine.subscribe`` after
/// the commit that caused it: ``kind`` (``release_started``, ``release_ended``, ``input_waiting``,
/// ``phase_started``, ``phase_ended``, ``activity_on_hold``, ``approval_requested``,
/// ``approval_reminder``, ``approval_escalated``), the ``release_id`` and ``release_name``, the
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
    /// Wraps `func`; a `KeyboardInterrupt`/`SystemExit` it raises is kept in `interrupt` (and
    /// raised again by the engine call that delivered the notification).
    pub fn new(func: Bound<'_, PyAny>, interrupt: Interrupt) -> Self {
        let name = func
            .getattr("__qualname__")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_else(|_| "python subscriber".to_string());
        PySubscriber { name, func: func.unbind(), interrupt }
    }
}

impl Subscriber for PySubscriber {
    fn notify(&self, notification: &Notification) -> Result<(), String> {
        Python::attach(|py| {
            let called =
                Py::new(py, PyNotification::from(notification)).and_then(|n| self.func.call1(py, (n,)).map(|_| ()));
            called.map_err(|err| {
                let message = describe(py, &err);
                if !err.is_instance_of::<PyException>(py) {
                    self.interrupt.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(err);
                }
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

impl PySecretResolver {
    pub fn new(func: Py<PyAny>) -> Self {
        PySecretResolver { func }
    }
}

impl SecretResolver for PySecretResolver {
    fn resolve(&self, name: &str) -> Result<String, String> {
        Python::attach(|py| match self.func.call1(py, (name,)) {
            Ok(value) => value.extract::<String>(py).map_err(|_| {
                let ty = value.bind(py).get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
                format!("the secret resolver returned a {ty}, not a str")
            }),
            // The exception's type and text (e.g. `KeyError: 'deploy-token'`): written by the
            // resolver, which must not put values in it.
            Err(err) => Err(describe(py, &err)),
        })
    }
}

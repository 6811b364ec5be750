//! The deployment ledger for Python: `Engine.deployed(environment=None, service=None)` and
//! `Engine.deployments(service, environment, limit=100)` (a `#[pymethods] impl Engine` of its
//! own) and the `LedgerEntry` snapshot.

use crate::commands::engine_commands;
use crate::convert::{self, args, repr_str as q};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use trainyard::Timestamp;
use trainyard::release::LedgerEntry;

/// One entry of the deployment ledger: ``service``, ``environment``, ``version``, ``commit`` and
/// ``artifact`` (or ``None``), ``at`` (when the activity succeeded; for a current entry, since
/// when the version is there; tz-aware, UTC), the release that delivered it (``release_id``,
/// ``release_name``, ``release_kind``, ``scope``), ``phase_id``, ``activity_id``, ``attempt``
/// (0-based), ``rollback`` (a rollback phase recorded it) and ``seq`` (its event's sequence).
#[pyclass(frozen, module = "trainyard", name = "LedgerEntry")]
pub struct PyLedgerEntry {
    /// The service.
    #[pyo3(get)]
    service: String,
    /// The environment.
    #[pyo3(get)]
    environment: String,
    /// The version delivered.
    #[pyo3(get)]
    version: String,
    /// The commit, or ``None``.
    #[pyo3(get)]
    commit: Option<String>,
    /// The artifact, or ``None``.
    #[pyo3(get)]
    artifact: Option<String>,
    /// When the activity succeeded.
    #[pyo3(get)]
    at: Timestamp,
    /// The release that delivered it.
    #[pyo3(get)]
    release_id: String,
    /// Its name.
    #[pyo3(get)]
    release_name: String,
    /// Its kind.
    #[pyo3(get)]
    release_kind: &'static str,
    /// Its scope.
    #[pyo3(get)]
    scope: String,
    /// The phase of the activity.
    #[pyo3(get)]
    phase_id: String,
    /// The activity.
    #[pyo3(get)]
    activity_id: String,
    /// The attempt that succeeded (0-based).
    #[pyo3(get)]
    attempt: u32,
    /// Whether a rollback phase recorded it.
    #[pyo3(get)]
    rollback: bool,
    /// The sequence of its ``delivery_recorded`` event.
    #[pyo3(get)]
    seq: u64,
}

impl From<LedgerEntry> for PyLedgerEntry {
    fn from(e: LedgerEntry) -> Self {
        PyLedgerEntry {
            service: e.service,
            environment: e.environment,
            version: e.version,
            commit: e.commit,
            artifact: e.artifact,
            at: e.at,
            release_id: e.release_id,
            release_name: e.release_name,
            release_kind: e.release_kind.as_str(),
            scope: e.scope,
            phase_id: e.phase_id,
            activity_id: e.activity_id,
            attempt: e.attempt,
            rollback: e.rollback,
            seq: e.seq,
        }
    }
}

#[pymethods]
impl PyLedgerEntry {
    fn __repr__(&self) -> String {
        format!(
            "LedgerEntry(service={}, environment={}, version={}, release_id={}, rollback={})",
            q(&self.service),
            q(&self.environment),
            q(&self.version),
            q(&self.release_id),
            if self.rollback { "True" } else { "False" }
        )
    }
}

#[pymethods]
impl PyEngine {
    /// What is deployed now: the current ledger entry (version, since when (``at``), by which
    /// release) of every service in every environment, or only of ``environment`` and
    /// ``service``; sorted by service, then environment. A rollback phase that recorded a version
    /// made that one current.
    ///
    /// With ``actor``, only the entries whose release they may read (by its scope, or listed on
    /// it); a slot whose current entry they may not read is left out. Without, the caller is
    /// trusted.
    #[pyo3(signature = (environment = None, service = None, *, actor = None), text_signature = "($self, environment=None, service=None, *, actor=None)")]
    fn deployed(
        &self,
        py: Python<'_>,
        environment: Option<&Bound<'_, PyAny>>,
        service: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyLedgerEntry>> {
        args!(py; environment = convert::opt_text(environment, "environment"), service = convert::opt_text(service, "service"), actor = convert::opt_actor(actor, "actor"));
        let found = self.call(py, move |e| match actor {
            Some(a) => e.deployed_as(environment.as_deref(), service.as_deref(), &a),
            None => e.deployed(environment.as_deref(), service.as_deref()),
        })?;
        Ok(found.into_iter().map(PyLedgerEntry::from).collect())
    }
}

engine_commands! {
    /// The history of ``service`` in ``environment``, newest first, at most ``limit`` (1 to
    /// 1000): every delivery, rollbacks included (``rollback`` true). With ``actor``, the newest
    /// ``limit`` entries they may read (among the newest 1000).
    #[pyo3(text_signature = "($self, service, environment, limit=100, *, actor=None)")]
    fn deployments(service, environment [
        limit = None: Option<&Bound<'_, PyAny>> => convert::count(limit, "limit", 100),
    ];
        actor = None: Option<&Bound<'_, PyAny>> => convert::opt_actor(actor, "actor"),
    ) -> Vec<PyLedgerEntry> => |e| match actor {
        Some(a) => e.deployments_as(&service, &environment, limit as usize, &a),
        None => e.deployments(&service, &environment, limit as usize),
    }, then |_py, found| Ok(found.into_iter().map(PyLedgerEntry::from).collect());
}

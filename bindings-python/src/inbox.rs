//! A person's inbox for Python: `Engine.inbox(actor, limit=100)` (a `#[pymethods] impl Engine` of
//! its own) and the `InboxItem` snapshot.

use crate::convert::{self, args, repr_str as q};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use trainyard::Timestamp;
use trainyard::release::InboxItem;

/// One item of a person's inbox: ``release_id``, ``release_name``, ``phase_id``, ``activity_id``,
/// ``kind`` (``approval``, ``manual`` or ``failure_decision``), ``can_act``, ``reason`` (why the
/// actor may act, or why not), ``due`` (the approval's deadline or ``None``), ``escalated`` and
/// ``since`` (tz-aware, UTC).
#[pyclass(frozen, module = "trainyard", name = "InboxItem")]
pub struct PyInboxItem {
    /// Release id.
    #[pyo3(get)]
    release_id: String,
    /// Release name.
    #[pyo3(get)]
    release_name: String,
    /// Phase id.
    #[pyo3(get)]
    phase_id: String,
    /// Activity id.
    #[pyo3(get)]
    activity_id: String,
    /// ``approval``, ``manual`` or ``failure_decision``.
    #[pyo3(get)]
    kind: &'static str,
    /// Whether the actor may act on it now.
    #[pyo3(get)]
    can_act: bool,
    /// Why it may, or why not.
    #[pyo3(get)]
    reason: String,
    /// The approval's deadline, or ``None``.
    #[pyo3(get)]
    due: Option<Timestamp>,
    /// Whether the approval's deadline escalated.
    #[pyo3(get)]
    escalated: bool,
    /// Since when it waits.
    #[pyo3(get)]
    since: Timestamp,
}

impl From<InboxItem> for PyInboxItem {
    fn from(i: InboxItem) -> Self {
        PyInboxItem {
            release_id: i.release_id,
            release_name: i.release_name,
            phase_id: i.phase_id,
            activity_id: i.activity_id,
            kind: i.kind.as_str(),
            can_act: i.can_act,
            reason: i.reason,
            due: i.due,
            escalated: i.escalated,
            since: i.since,
        }
    }
}

#[pymethods]
impl PyInboxItem {
    fn __repr__(&self) -> String {
        format!(
            "InboxItem(release_id={}, phase_id={}, activity_id={}, kind={}, can_act={})",
            q(&self.release_id),
            q(&self.phase_id),
            q(&self.activity_id),
            q(self.kind),
            if self.can_act { "True" } else { "False" }
        )
    }
}

#[pymethods]
impl PyEngine {
    /// The approvals, manual activities and failure decisions ``actor`` may act on (through its
    /// user id, groups or release-manager roles), oldest first, at most ``limit`` (1 to 1000).
    /// Each says why the actor may act, or, with ``can_act`` false, why not (the self-approval
    /// ban, already decided).
    #[pyo3(signature = (actor, limit = None), text_signature = "($self, actor, limit=100)")]
    fn inbox(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyInboxItem>> {
        args!(py; actor = convert::actor(actor, "actor"), limit = convert::count(limit, "limit", 100));
        let items = self.call(py, move |e| e.inbox(&actor, limit as usize))?;
        Ok(items.into_iter().map(PyInboxItem::from).collect())
    }
}

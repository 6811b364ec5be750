//! Locks for Python: the `Lock` snapshot (the core's [`LockView`], in `Phase.locks`,
//! `Activity.locks` and `Engine.locks`) and `Engine.locks(names=None)` (a `#[pymethods] impl
//! Engine` of its own).

use crate::convert::{self, args, repr_str as q};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use trainyard::Timestamp;
use trainyard::release::locks::LockView;

/// One lock a release holds or waits for: the lock's ``name``, the release (``release_id``,
/// ``release_name``), the node that declares it (``phase_id``, and ``activity_id`` for an
/// activity's own lock; ``None`` for a phase's), the node whose start asked for it
/// (``requested_by``: ``"phase"`` or ``"phase/activity"``), its ``capacity`` as this use declares
/// it, the release's queue ``priority`` (higher goes first), when it was asked for
/// (``requested_at``) and since when it is held (``held_since``; ``None`` while it waits). Times
/// are tz-aware, UTC.
#[pyclass(frozen, module = "trainyard", name = "Lock")]
pub struct PyLock {
    /// The lock's name (``${…}`` rendered), e.g. ``environment:prod1``.
    #[pyo3(get)]
    name: String,
    /// The release that holds or waits for it.
    #[pyo3(get)]
    release_id: String,
    /// That release's name.
    #[pyo3(get)]
    release_name: String,
    /// The phase that declares it.
    #[pyo3(get)]
    phase_id: String,
    /// The activity that declares it (``None`` for a phase's lock).
    #[pyo3(get)]
    activity_id: Option<String>,
    /// The node whose start asked for it: ``"phase"`` or ``"phase/activity"``.
    #[pyo3(get)]
    requested_by: String,
    /// How many releases may hold it at once, as this use declares it.
    #[pyo3(get)]
    capacity: u32,
    /// This release's place in the lock's queue (higher goes first; equal ones oldest first).
    #[pyo3(get)]
    priority: i32,
    /// When it was asked for (tz-aware, UTC).
    #[pyo3(get)]
    requested_at: Timestamp,
    /// Since when it is held (tz-aware, UTC); ``None`` while the release waits for it.
    #[pyo3(get)]
    held_since: Option<Timestamp>,
}

impl PyLock {
    /// The Python snapshot of a lock view.
    pub fn new(v: &LockView<'_>) -> Self {
        // Destructured completely: a field added to the view fails to compile here until it is
        // passed on.
        let LockView {
            name,
            release_id,
            release_name,
            phase_id,
            activity_id,
            requested_by,
            capacity,
            priority,
            requested_at,
            held_since,
        } = v;
        PyLock {
            name: (*name).to_owned(),
            release_id: (*release_id).to_owned(),
            release_name: (*release_name).to_owned(),
            phase_id: (*phase_id).to_owned(),
            activity_id: activity_id.map(str::to_owned),
            requested_by: requested_by.clone(),
            capacity: *capacity,
            priority: *priority,
            requested_at: *requested_at,
            held_since: *held_since,
        }
    }

    /// The snapshots of a list of views, as Python objects (for `Phase` and `Activity`).
    pub fn list(py: Python<'_>, views: &[LockView<'_>]) -> PyResult<Vec<Py<PyLock>>> {
        views.iter().map(|v| Py::new(py, PyLock::new(v))).collect()
    }
}

#[pymethods]
impl PyLock {
    fn __repr__(&self) -> String {
        let held = match &self.held_since {
            Some(t) => crate::views::time_text(t),
            None => "None".to_owned(),
        };
        format!(
            "Lock(name={}, release_name={}, requested_by={}, priority={}, held_since={held})",
            q(&self.name),
            q(&self.release_name),
            q(&self.requested_by),
            self.priority
        )
    }
}

#[pymethods]
impl PyEngine {
    /// Who holds and who waits for the locks ``names`` (every lock when ``None``): one ``Lock``
    /// per release and declaring node, sorted by lock name, then in queue order (higher
    /// ``priority`` first, then the oldest request). A lock nobody holds or waits for has none.
    /// With ``actor``, only the rows of releases they may read.
    #[pyo3(signature = (names = None, *, actor = None), text_signature = "($self, names=None, *, actor=None)")]
    fn locks(
        &self,
        py: Python<'_>,
        names: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyLock>> {
        args!(py; names = convert::opt_text_list(names, "names"), actor = convert::opt_actor(actor, "actor"));
        let found = self.call(py, move |e| match actor {
            Some(a) => e.locks_as(names.as_deref(), &a),
            None => e.locks(names.as_deref()),
        })?;
        Ok(found.iter().map(|l| PyLock::new(&l.view())).collect())
    }
}

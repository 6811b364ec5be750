//! `trainyard.Actor`: who issues a command.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use trainyard::access::Actor;

/// Who issues a command: a user ``id``, the ``groups`` they belong to (approvals by
/// ``{ group: … }``) and their ``roles``: ``account_release_manager``,
/// ``org_release_manager:<org>``, ``viewer``, ``viewer:<org>``.
///
/// Every command takes an actor; the engine checks it before deciding and records its id in the
/// events the command causes. Actors are immutable, compare equal field by field and hash.
#[pyclass(frozen, eq, hash, module = "trainyard", name = "Actor")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyActor {
    pub(crate) inner: Actor,
}

#[pymethods]
impl PyActor {
    #[new]
    #[pyo3(signature = (id, *, groups = Vec::new(), roles = Vec::new()))]
    fn new(id: String, groups: Vec<String>, roles: Vec<String>) -> Self {
        PyActor { inner: Actor::new(id).with_groups(groups).with_roles(roles) }
    }

    /// The user id (``system`` is the engine itself).
    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }

    /// The groups the user belongs to.
    #[getter]
    fn groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.groups)
    }

    /// The role strings.
    #[getter]
    fn roles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.roles)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let s = |v: &str| -> PyResult<String> { Ok(PyString::new(py, v).repr()?.to_cow()?.into_owned()) };
        let list = |v: &[String]| -> PyResult<String> {
            Ok(format!(
                "({})",
                v.iter().map(|x| s(x)).collect::<PyResult<Vec<_>>>()?.join(", ") + if v.len() == 1 { "," } else { "" }
            ))
        };
        Ok(format!(
            "Actor({}, groups={}, roles={})",
            s(&self.inner.id)?,
            list(&self.inner.groups)?,
            list(&self.inner.roles)?
        ))
    }
}

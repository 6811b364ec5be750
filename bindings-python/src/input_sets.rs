//! Named input sets for Python: `Engine.save_input_set` / `get_input_set` / `list_input_sets` (a
//! `#[pymethods] impl Engine` of its own) and the `InputSet` snapshot.

use crate::convert::{self, args, repr_str as q};
use crate::engine::PyEngine;
use indexmap::IndexMap;
use pyo3::prelude::*;
use serde_json::Value;
use trainyard::InputSet;

/// One version of a named input set of a process (``Engine.get_input_set``): ``process_id``,
/// ``name``, ``version`` (1, 2, …: a new one each time the values change) and ``values`` (a dict).
#[pyclass(frozen, module = "trainyard", name = "InputSet")]
pub struct PyInputSet {
    /// The process it belongs to.
    #[pyo3(get)]
    process_id: String,
    /// Its name.
    #[pyo3(get)]
    name: String,
    /// Its version.
    #[pyo3(get)]
    version: u32,
    values: IndexMap<String, Value>,
}

impl From<InputSet> for PyInputSet {
    fn from(set: InputSet) -> Self {
        PyInputSet { process_id: set.process_id, name: set.name, version: set.version, values: set.values }
    }
}

#[pymethods]
impl PyInputSet {
    /// The values (a new dict on every access).
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::map_to_py(py, &self.values)
    }

    fn __repr__(&self) -> String {
        let keys: Vec<String> = self.values.keys().map(|k| q(k)).collect();
        format!(
            "InputSet(process_id={}, name={}, version={}, values=[{}])",
            q(&self.process_id),
            q(&self.name),
            self.version,
            keys.join(", ")
        )
    }
}

#[pymethods]
impl PyEngine {
    /// Saves the named input set of ``process_id`` (a new version when ``values`` differ from its
    /// latest one) and returns its version. The values are checked against the process's inputs
    /// (``InvalidInputError`` lists unknown names and bad values; a set may be partial). ``actor``
    /// must be a release manager (account, or of any org).
    #[pyo3(signature = (process_id, name, values, *, actor))]
    fn save_input_set(
        &self,
        py: Python<'_>,
        process_id: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<u32> {
        args!(py;
            process_id = convert::text(process_id, "process_id"),
            name = convert::text(name, "name"),
            values = convert::map(values, "values"),
            actor = convert::actor(actor, "actor"),
        );
        self.call(py, move |e| e.save_input_set(&process_id, &name, values, &actor))
    }

    /// An input set of ``process_id``: its latest version, or ``version``. ``NotFoundError`` names
    /// the process's sets.
    #[pyo3(signature = (process_id, name, version = None))]
    fn get_input_set(
        &self,
        py: Python<'_>,
        process_id: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
        version: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyInputSet> {
        args!(py;
            process_id = convert::text(process_id, "process_id"),
            name = convert::text(name, "name"),
            version = convert::opt_version(version, "version"),
        );
        Ok(self.call(py, move |e| e.get_input_set(&process_id, &name, version))?.into())
    }

    /// The input sets of ``process_id``: ``(name, latest version)`` pairs.
    #[pyo3(signature = (process_id))]
    fn list_input_sets(&self, py: Python<'_>, process_id: &Bound<'_, PyAny>) -> PyResult<Vec<(String, u32)>> {
        args!(py; process_id = convert::text(process_id, "process_id"));
        self.call(py, move |e| e.list_input_sets(&process_id))
    }
}

//! Named input sets for Python: `Engine.save_input_set` / `get_input_set` / `list_input_sets` (a
//! `#[pymethods] impl Engine` of its own) and the `InputSet` snapshot.

use crate::commands::engine_commands;
use crate::convert::{self, repr_str as q};
use indexmap::IndexMap;
use pyo3::prelude::*;
use serde_json::Value;
use trainyard::InputSet;

/// One version of a named input set of a process (``Engine.get_input_set``): ``process_id``,
/// ``name``, ``version`` (1, 2, …: a new one each time the values change), ``values`` (a dict) and
/// ``scope`` (``"account"``, shared read-only with every org, or ``"org:<id>"``).
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
    /// The scope it belongs to.
    #[pyo3(get)]
    scope: String,
    values: IndexMap<String, Value>,
}

impl From<InputSet> for PyInputSet {
    fn from(set: InputSet) -> Self {
        PyInputSet {
            process_id: set.process_id,
            name: set.name,
            version: set.version,
            scope: set.scope,
            values: set.values,
        }
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
            "InputSet(process_id={}, name={}, version={}, scope={}, values=[{}])",
            q(&self.process_id),
            q(&self.name),
            self.version,
            q(&self.scope),
            keys.join(", ")
        )
    }
}

engine_commands! {
    /// Saves the named input set of ``process_id`` at ``scope`` (default ``"account"``; a new
    /// version when ``values`` differ from its latest one) and returns its version. The values are
    /// checked against the process's inputs (``InvalidInputError`` lists unknown names and bad
    /// values; a set may be partial). ``actor`` must be a release manager of ``scope``: an account
    /// set is shared read-only with every org, an org's set is its own.
    fn save_input_set(process_id, name [values: &Bound<'_, PyAny> => convert::map(values, "values")];
        actor: &Bound<'_, PyAny> => convert::actor(actor, "actor"),
        scope = None: Option<&Bound<'_, PyAny>> => convert::opt_text(scope, "scope"),
    ) -> u32 => |e| e.save_input_set_in(&account_or(scope), &process_id, &name, values, &actor);

    /// An input set of ``process_id`` as a release at ``scope`` (default ``"account"``) sees it:
    /// the scope's own set, else the account's; its latest version, or ``version``.
    /// ``NotFoundError`` names the sets there are.
    fn get_input_set(process_id, name [
        version = None: Option<&Bound<'_, PyAny>> => convert::opt_version(version, "version"),
    ];
        scope = None: Option<&Bound<'_, PyAny>> => convert::opt_text(scope, "scope"),
    ) -> PyInputSet => |e| e.get_input_set_in(&account_or(scope), &process_id, &name, version),
        then |_py, set| Ok(set.into());

    /// The input sets a release at ``scope`` (default ``"account"``) can use for ``process_id``:
    /// ``(name, latest version)`` pairs sorted by name (an org's set shadows the account's).
    fn list_input_sets(process_id; scope = None: Option<&Bound<'_, PyAny>> => convert::opt_text(scope, "scope"))
        -> Vec<(String, u32)> => |e| e.list_input_sets_in(&account_or(scope), &process_id);
}

/// The scope of an input-set call: the one given, else ``account``.
fn account_or(scope: Option<String>) -> String {
    scope.unwrap_or_else(|| "account".to_owned())
}

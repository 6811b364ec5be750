//! `trainyard._native`: the pyo3 extension module behind the Python package `trainyard`.
//!
//! Thin by design (see DESIGN.md §1): argument conversion ([`convert`], [`time`]), the error
//! mapping ([`errors`]), the callback adapter for Python executors ([`executor`]), and the classes
//! that wrap core values: `Problem` ([`problem`]), `Actor` ([`actor`]), `ManualClock` ([`time`]),
//! `Engine` ([`engine`]), `Release`/`Phase`/`Activity`/`Event`/`ProcessInfo`/`InputSet`/`JobRecord`
//! ([`views`]), and the adapters for Python subscribers and secret resolvers plus `Notification`
//! ([`callbacks`]). Every call into the core runs with the GIL
//! released and inside `catch_unwind`, so no panic crosses into Python.

mod actor;
mod calendar;
mod callbacks;
mod convert;
mod engine;
mod errors;
mod executor;
mod problem;
mod time;
mod views;

use convert::Definition;
use problem::PyProblem;
use pyo3::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f` (a core call) without the GIL, turning core errors and panics into Python exceptions.
pub(crate) fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> trainyard::Result<T> + Send) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(errors::to_py_err(py, &err)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            Err(errors::internal(py, &what))
        }
    }
}

fn load(py: Python<'_>, definition: &Bound<'_, PyAny>) -> PyResult<trainyard::LoadedProcess> {
    match convert::definition(definition)? {
        Definition::Text(text) => run(py, move || trainyard::load_process(&text)),
        Definition::Document(doc) => run(py, move || trainyard::load_process_value(doc, None)),
    }
}

/// Validates a process definition and returns its warnings.
///
/// ``definition`` is YAML or JSON text (``str``) or an already-parsed ``dict``. Returns the list of
/// warnings (``Problem``), which never stop a process from loading. Raises ``ValidationError``
/// listing *every* problem when the definition is invalid, and ``TypeError``/``ValueError`` when a
/// dict holds something that is not JSON data.
#[pyfunction]
#[pyo3(signature = (definition))]
fn validate_process(py: Python<'_>, definition: &Bound<'_, PyAny>) -> PyResult<Vec<PyProblem>> {
    Ok(load(py, definition)?.warnings.iter().map(PyProblem::from).collect())
}

/// Loads a process definition and returns the normalized process as a ``dict``.
///
/// ``definition`` is YAML or JSON text (``str``) or an already-parsed ``dict``. The result is the
/// process as trainyard understood it (defaults filled in, same shape as the JSON Schema). Raises
/// ``ValidationError`` listing *every* problem when the definition is invalid, and
/// ``TypeError``/``ValueError`` when a dict holds something that is not JSON data.
#[pyfunction]
#[pyo3(signature = (definition))]
fn load_process<'py>(py: Python<'py>, definition: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let loaded = load(py, definition)?;
    let doc = serde_json::to_value(&loaded.process)
        .map_err(|e| errors::internal(py, &format!("cannot serialize the loaded process: {e}")))?;
    convert::to_py(py, &doc)
}

/// Test support (not part of the API): drops the PostgreSQL schema named by ``url``'s
/// ``?schema=`` option, with everything in it.
#[pyfunction]
#[pyo3(name = "_drop_postgres_schema", signature = (url))]
fn drop_postgres_schema(py: Python<'_>, url: String) -> PyResult<()> {
    run(py, move || trainyard::store::PostgresStore::open(&url)?.drop_schema())
}

/// Native part of the ``trainyard`` package; import from ``trainyard`` instead.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyProblem>()?;
    m.add_class::<actor::PyActor>()?;
    m.add_class::<time::PyManualClock>()?;
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<executor::PyJob>()?;
    m.add_class::<executor::PyStarted>()?;
    m.add("STARTED", executor::PyStarted)?;
    m.add_class::<views::PyProcessInfo>()?;
    m.add_class::<views::PyRelease>()?;
    m.add_class::<views::PyPhase>()?;
    m.add_class::<views::PyActivity>()?;
    m.add_class::<views::PyEvent>()?;
    m.add_class::<views::PyInputSet>()?;
    m.add_class::<views::PyJobRecord>()?;
    m.add_class::<callbacks::PyNotification>()?;
    m.add_function(wrap_pyfunction!(drop_postgres_schema, m)?)?;
    m.add_class::<calendar::PyCalendarEntry>()?;
    m.add_class::<calendar::PyConflict>()?;
    m.add_function(wrap_pyfunction!(validate_process, m)?)?;
    m.add_function(wrap_pyfunction!(load_process, m)?)?;
    Ok(())
}

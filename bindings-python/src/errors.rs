//! The one mapping from [`trainyard::Error`] to Python exceptions.
//!
//! The exception classes live in `trainyard/_errors.py` (so they have ordinary constructors,
//! attributes and pickling): `TrainyardError` and one subclass per stable code, listed in its
//! `BY_CODE` dict. Here each core error becomes an instance of the class for its `code()` with
//! `message` (the core's message) and `problems` (a list of `Problem`, empty unless the error carries
//! problems).

use crate::problem::PyProblem;
use pyo3::prelude::*;
use pyo3::types::PyDict;

const ERRORS_MODULE: &str = "trainyard._errors";

/// Converts a core error into the matching `trainyard` exception.
pub fn to_py_err(py: Python<'_>, err: &trainyard::Error) -> PyErr {
    let problems: Vec<PyProblem> = err.problems().iter().map(PyProblem::from).collect();
    raise(py, Some(err.code()), &err.to_string(), problems)
}

/// A failure that is a bug in trainyard rather than in the caller's input (a panic caught at the
/// boundary, a document the core produced but could not serialize): a plain `TrainyardError` whose
/// code is `internal`.
pub fn internal(py: Python<'_>, what: &str) -> PyErr {
    raise(py, None, &format!("internal error in trainyard (this is a bug, please report it): {what}"), Vec::new())
}

fn raise(py: Python<'_>, code: Option<&str>, message: &str, problems: Vec<PyProblem>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let module = py.import(ERRORS_MODULE)?;
        let base = module.getattr("TrainyardError")?;
        let class = match code {
            Some(code) => module.getattr("BY_CODE")?.cast::<PyDict>()?.get_item(code)?.unwrap_or_else(|| base.clone()),
            None => base.clone(),
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("problems", problems)?;
        // A code the Python side does not know yet (a newer core) still reaches the caller verbatim.
        if let Some(code) = code {
            kwargs.set_item("code", code)?;
        }
        let exc = class.call((message,), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

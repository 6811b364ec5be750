//! The one mapping from [`trainyard::Error`] to Python exceptions, and `trainyard.Problem`.
//!
//! The exception classes live in `trainyard/_errors.py` (so they have ordinary constructors,
//! attributes and pickling): `TrainyardError` and one subclass per stable code, listed in its
//! `BY_CODE` dict. Here each core error becomes an instance of the class for its `code()` with
//! `message` (the core's message) and `problems` (a list of `Problem`, empty unless the error carries
//! problems).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

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

/// One problem found while validating a definition or a set of inputs.
///
/// ``path`` is where it is (e.g. ``phases[2].activities[0].depends_on[1]``; empty for the document
/// itself), ``code`` a stable snake_case identifier (e.g. ``unknown_dependency``), ``message`` what
/// was wrong and what would be valid, ``line``/``column`` (1-based) the position in the source text
/// when the problem comes from the text itself (malformed YAML or JSON), else ``None``.
///
/// Problems are immutable, compare equal field by field, hash, and pickle.
#[pyclass(frozen, eq, hash, module = "trainyard", name = "Problem")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyProblem {
    /// Where the problem is, e.g. ``phases[2].activities[0].depends_on[1]`` ("" for the document).
    #[pyo3(get)]
    path: String,
    /// Stable snake_case code, e.g. ``unknown_dependency``.
    #[pyo3(get)]
    code: String,
    /// Human-readable explanation naming what would be valid.
    #[pyo3(get)]
    message: String,
    /// 1-based line in the source text, when known.
    #[pyo3(get)]
    line: Option<u32>,
    /// 1-based column in the source text, when known.
    #[pyo3(get)]
    column: Option<u32>,
}

impl From<&trainyard::Problem> for PyProblem {
    fn from(p: &trainyard::Problem) -> Self {
        PyProblem {
            path: p.path.clone(),
            code: p.code.clone(),
            message: p.message.clone(),
            line: p.line,
            column: p.column,
        }
    }
}

impl PyProblem {
    fn to_core(&self) -> trainyard::Problem {
        trainyard::Problem {
            path: self.path.clone(),
            code: self.code.clone(),
            message: self.message.clone(),
            line: self.line,
            column: self.column,
        }
    }
}

#[pymethods]
impl PyProblem {
    /// Creates a problem (mostly useful in tests and in tools that report their own problems).
    #[new]
    #[pyo3(signature = (path, code, message, line = None, column = None))]
    fn new(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        code: &Bound<'_, PyAny>,
        message: &Bound<'_, PyAny>,
        line: Option<&Bound<'_, PyAny>>,
        column: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        use crate::convert::{self, args};
        let position = |obj: Option<&Bound<'_, PyAny>>, at: &str| match obj {
            Some(o) if !o.is_none() => convert::integer(o, at, 1, i64::from(u32::MAX)).map(|n| Some(n as u32)),
            _ => Ok(None),
        };
        args!(py;
            path = convert::text(path, "path"),
            code = convert::text(code, "code"),
            message = convert::text(message, "message"),
            line = position(line, "line"),
            column = position(column, "column"),
        );
        Ok(PyProblem { path, code, message, line, column })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let s = |v: &str| -> PyResult<String> { Ok(PyString::new(py, v).repr()?.to_cow()?.into_owned()) };
        let n = |v: Option<u32>| v.map_or_else(|| "None".to_owned(), |v| v.to_string());
        Ok(format!(
            "Problem(path={}, code={}, message={}, line={}, column={})",
            s(&self.path)?,
            s(&self.code)?,
            s(&self.message)?,
            n(self.line),
            n(self.column)
        ))
    }

    /// ``path (line L, column C): [code] message``, as the core prints it.
    fn __str__(&self) -> String {
        self.to_core().to_string()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let p = slf.get();
        let args = (p.path.clone(), p.code.clone(), p.message.clone(), p.line, p.column).into_pyobject(slf.py())?;
        Ok((slf.get_type().into_any(), args))
    }
}

//! `trainyard.Problem`: one problem found in a definition or in release inputs.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

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
    fn new(path: String, code: String, message: String, line: Option<u32>, column: Option<u32>) -> Self {
        PyProblem { path, code, message, line, column }
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

//! Conversions between Python objects and the JSON documents of the core (`serde_json::Value`).
//!
//! Python → JSON accepts exactly what `json.dumps` would: `None`, `bool`, `int`, `float`, `str`,
//! `dict` with `str` keys, `list` and `tuple`. Anything else is a `TypeError` (and an out-of-range
//! integer, a non-finite float or a too-deep document a `ValueError`) naming where in the document
//! it sits, so no Python object can make the core panic. JSON → Python gives plain `dict`, `list`,
//! `str`, `int`, `float`, `bool` and `None`, keeping key order.

use indexmap::IndexMap;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deepest nesting accepted from Python; the same limit `serde_json` applies to JSON text.
const MAX_DEPTH: usize = 128;

/// A process definition as the caller gave it.
pub enum Definition {
    /// YAML or JSON text.
    Text(String),
    /// An already-parsed document (a Python `dict`).
    Document(Value),
}

/// Reads a definition argument: YAML/JSON text (`str`) or a `dict`.
pub fn definition(obj: &Bound<'_, PyAny>) -> PyResult<Definition> {
    if let Ok(text) = obj.cast::<PyString>() {
        return Ok(Definition::Text(text.to_cow()?.into_owned()));
    }
    if obj.cast::<PyDict>().is_ok() {
        return Ok(Definition::Document(to_json(obj)?));
    }
    Err(PyTypeError::new_err(format!(
        "a process definition must be YAML or JSON text (str) or a dict, not {}",
        type_name(obj)
    )))
}

/// Converts a Python object into a JSON document.
pub fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let mut path = String::new();
    value(obj, &mut path, 0)
}

fn value(obj: &Bound<'_, PyAny>, path: &mut String, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!("{}: the document nests deeper than {MAX_DEPTH} levels", at(path))));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // `bool` is a subclass of `int`: test it first.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyValueError::new_err(format!(
            "{}: integer {} is out of range; integers must fit in 64 bits",
            at(path),
            obj.str()?
        )));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        if let Some(n) = Number::from_f64(f.value()) {
            return Ok(Value::Number(n));
        }
        return Err(PyValueError::new_err(format!(
            "{}: {} is not a finite number; JSON has no NaN or infinity",
            at(path),
            f.repr()?
        )));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (k, v) in dict.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(PyTypeError::new_err(format!(
                    "{}: keys must be str, not {} ({})",
                    at(path),
                    type_name(&k),
                    k.repr()?
                )));
            };
            let key = key.to_cow()?.into_owned();
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key);
            let item = value(&v, path, depth + 1)?;
            path.truncate(len);
            map.insert(key, item);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return sequence(list.iter(), list.len(), path, depth);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return sequence(tuple.iter(), tuple.len(), path, depth);
    }
    Err(PyTypeError::new_err(format!(
        "{}: cannot use a {} in a definition; use dict, list, str, int, float, bool or None",
        at(path),
        type_name(obj)
    )))
}

fn sequence<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    len: usize,
    path: &mut String,
    depth: usize,
) -> PyResult<Value> {
    let mut out = Vec::with_capacity(len);
    for (i, item) in items.enumerate() {
        let before = path.len();
        path.push_str(&format!("[{i}]"));
        out.push(value(&item, path, depth + 1)?);
        path.truncate(before);
    }
    Ok(Value::Array(out))
}

fn at(path: &str) -> &str {
    if path.is_empty() { "<document>" } else { path }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_owned())
}

/// Converts a JSON document into plain Python objects.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                // Without `arbitrary_precision` every JSON number is an i64, a u64 or an f64.
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Reads a `dict` argument (inputs, outputs, field values) as a JSON object; `what` names the
/// argument in the `TypeError` for anything else.
pub fn to_map(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<IndexMap<String, Value>> {
    if obj.cast::<PyDict>().is_err() {
        return Err(PyTypeError::new_err(format!("{what} must be a dict, not {}", type_name(obj))));
    }
    match to_json(obj)? {
        Value::Object(map) => Ok(map.into_iter().collect()),
        other => Err(PyTypeError::new_err(format!("{what} must be a dict, not {other}"))),
    }
}

/// An optional `dict` argument (`None` stays `None`).
pub fn opt_map(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<IndexMap<String, Value>>> {
    match obj {
        Some(o) if !o.is_none() => to_map(o, what).map(Some),
        _ => Ok(None),
    }
}

/// A JSON object (an `IndexMap`) as a new Python `dict`, keeping key order.
pub fn map_to_py<'py>(py: Python<'py>, map: &IndexMap<String, Value>) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, to_py(py, v)?)?;
    }
    Ok(dict.into_any())
}

/// A string as Python's `repr()` writes it (for `__repr__`s): single quotes unless the text has
/// single quotes and no double ones; backslashes, the quote and control characters escaped.
pub fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

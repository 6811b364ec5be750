//! JSON data from Python (the walk that checks every value, with paths, depth and cycles) and
//! back: see the table in the [parent module](super).

use super::{Conv, MAX_DEPTH, MAX_PROBLEMS, Refused, TOO_DEEP, TOO_MANY_PROBLEMS};
use super::{escaped, int_text, surrogate_message, text, type_name, wrong_type};
use indexmap::IndexMap;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};
use trainyard::Problem;
use trainyard::validate::{codes, path};

/// A JSON value from Python data (see the module docs), problems at `path` and below.
pub fn json(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Value> {
    let mut walk = Walk { path: path.to_owned(), problems: Vec::new(), containers: Vec::new(), cut: false };
    let value = walk.value(obj, 1)?;
    if walk.problems.is_empty() { Ok(value) } else { Err(Refused::Problems(walk.problems)) }
}

/// A `dict` of JSON data (inputs, outputs, field values) as a JSON object.
pub fn map(obj: &Bound<'_, PyAny>, path: &str) -> Conv<IndexMap<String, Value>> {
    if obj.cast::<PyDict>().is_err() {
        return Err(wrong_type(obj, path, "a dict"));
    }
    match json(obj, path)? {
        Value::Object(m) => Ok(m.into_iter().collect()),
        _ => Err(wrong_type(obj, path, "a dict")),
    }
}

/// An optional `dict` (`None` stays `None`).
pub fn opt_map(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Option<IndexMap<String, Value>>> {
    match obj {
        Some(o) if !o.is_none() => map(o, path).map(Some),
        _ => Ok(None),
    }
}

/// A process definition as the caller gave it.
pub enum Definition {
    /// YAML or JSON text.
    Text(String),
    /// An already-parsed document (a Python `dict`).
    Document(Value),
}

/// Reads a definition argument: YAML/JSON text (`str`) or a `dict`. What is wrong with it is a
/// `ValidationError` whose paths are the document's own (`phases[0].id`), as for text.
pub fn definition(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Definition> {
    if obj.cast::<PyString>().is_ok() {
        return text(obj, "").map(Definition::Text).map_err(|r| r.invalid_definition(py));
    }
    if obj.cast::<PyDict>().is_ok() {
        return json(obj, "").map(Definition::Document).map_err(|r| r.invalid_definition(py));
    }
    Err(wrong_type(obj, "definition", "YAML or JSON text (str) or a dict").invalid_input(py))
}

/// The walk over one Python value: the path of the current node, the problems found so far, and
/// the lists and dicts it is inside (to name a cycle).
struct Walk {
    path: String,
    problems: Vec<Problem>,
    containers: Vec<usize>,
    cut: bool,
}

impl Walk {
    fn problem(&mut self, code: &str, message: String) -> Value {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem::new(self.path.clone(), code, message));
        } else if !self.cut {
            self.cut = true;
            self.problems.push(Problem::new(
                self.path.clone(),
                TOO_MANY_PROBLEMS,
                format!("more than {MAX_PROBLEMS} problems; the rest are not listed"),
            ));
        }
        Value::Null
    }

    fn full(&self) -> bool {
        self.cut
    }

    fn value(&mut self, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
        if obj.is_none() {
            return Ok(Value::Null);
        }
        // `bool` is a subclass of `int`: test it first.
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Value::Bool(b.is_true()));
        }
        if obj.cast::<PyInt>().is_ok() {
            return Ok(match obj.extract::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => self.problem(
                    codes::INVALID_VALUE,
                    format!(
                        "{} is out of range; integers must fit in 64 bits (-2**63 <= n < 2**63): pass a larger \
                         number as a string",
                        int_text(obj)
                    ),
                ),
            });
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return Ok(match Number::from_f64(f.value()) {
                Some(n) => Value::Number(n),
                None => self.problem(
                    codes::INVALID_VALUE,
                    format!("{} is not a finite number; JSON has no NaN or infinity (use None or a string)", f.repr()?),
                ),
            });
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(match s.to_cow() {
                Ok(t) => Value::String(t.into_owned()),
                Err(_) => self.problem(codes::INVALID_VALUE, surrogate_message(s)),
            });
        }
        let is_container =
            obj.cast::<PyDict>().is_ok() || obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok();
        if !is_container {
            let hint = if obj.cast::<PyBytes>().is_ok() || obj.cast::<PyByteArray>().is_ok() {
                "; decode it first, e.g. value.decode('utf-8')"
            } else {
                ""
            };
            return Ok(self.problem(
                codes::WRONG_TYPE,
                format!(
                    "cannot use a {}{hint}; JSON data is dict, list, tuple, str, int, float, bool or None",
                    type_name(obj)
                ),
            ));
        }
        let id = obj.as_ptr() as usize;
        if self.containers.contains(&id) {
            return Ok(self.problem(
                codes::INVALID_VALUE,
                format!("this {} contains itself (a cycle); JSON data is a tree: pass a copy", type_name(obj)),
            ));
        }
        if depth > MAX_DEPTH {
            return Ok(self.problem(
                TOO_DEEP,
                format!(
                    "lists and dicts are nested more than {MAX_DEPTH} levels deep; at most {MAX_DEPTH} are accepted"
                ),
            ));
        }
        self.containers.push(id);
        let value = self.container(obj, depth);
        self.containers.pop();
        value
    }

    fn container(&mut self, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
        if let Ok(dict) = obj.cast::<PyDict>() {
            let mut out = Map::with_capacity(dict.len());
            for (k, v) in dict.iter() {
                if self.full() {
                    break;
                }
                let len = self.path.len();
                let key = match k.cast::<PyString>() {
                    Ok(s) => match s.to_cow() {
                        Ok(t) => Some(t.into_owned()),
                        Err(_) => {
                            // The key as Python escapes it (`k\udfff`), quoted: it is no identifier.
                            self.path = format!("{}[\"{}\"]", self.path, escaped(s));
                            self.problem(codes::INVALID_VALUE, format!("this key {}", surrogate_message(s)));
                            None
                        }
                    },
                    Err(_) => {
                        self.problem(codes::WRONG_TYPE, format!("keys must be str, not {}", type_name(&k)));
                        None
                    }
                };
                if let Some(key) = key {
                    self.path = path::field(&self.path, &key);
                    let item = self.value(&v, depth + 1)?;
                    out.insert(key, item);
                }
                self.path.truncate(len);
            }
            return Ok(Value::Object(out));
        }
        let items: Vec<Bound<'_, PyAny>> = match obj.cast::<PyList>() {
            Ok(list) => list.iter().collect(),
            Err(_) => obj.cast::<PyTuple>().map(|t| t.iter().collect()).unwrap_or_default(),
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if self.full() {
                break;
            }
            let len = self.path.len();
            self.path = path::index(&self.path, i);
            out.push(self.value(item, depth + 1)?);
            self.path.truncate(len);
        }
        Ok(Value::Array(out))
    }
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
        Value::Object(m) => {
            let dict = PyDict::new(py);
            for (k, v) in m {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A JSON object (an `IndexMap`) as a new Python `dict`, keeping key order.
pub fn map_to_py<'py>(py: Python<'py>, m: &IndexMap<String, Value>) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    for (k, v) in m {
        dict.set_item(k, to_py(py, v)?)?;
    }
    Ok(dict.into_any())
}

/// A serializable core value (a process, a release group, a freeze) as plain Python objects.
pub fn doc_to_py<'py, T: serde::Serialize>(py: Python<'py>, v: &T, what: &str) -> PyResult<Bound<'py, PyAny>> {
    let doc =
        serde_json::to_value(v).map_err(|e| crate::errors::internal(py, &format!("cannot serialize {what}: {e}")))?;
    to_py(py, &doc)
}

//! Every value a caller hands to trainyard, checked and converted; and the core's values back.
//!
//! Python → core: each argument goes through one converter here ([`text`], [`count`], [`flag`],
//! [`actor`], [`json`], [`map`], [`timestamp`], [`duration`], …) that either gives the core value or
//! says what was wrong as [`Problem`]s whose `path` names the argument and the place inside it
//! (`inputs.a.b[2]`). [`args!`] runs the converters of one call and raises one
//! `InvalidInputError` listing the problems of *every* argument. No Python value reaches the core
//! unchecked, and none turns into a plain `TypeError`, `ValueError`, `UnicodeEncodeError`,
//! `OverflowError` or `RecursionError`:
//!
//! | value | refused with |
//! |---|---|
//! | a type the argument does not take (`bytes` for text, `"rita"` for an actor, `1` for a flag) | `wrong_type` |
//! | `nan`, `inf`, `-inf` | `invalid_value` (JSON has neither) |
//! | an `int` outside the signed 64-bit range (`-2**63 ≤ n < 2**63`) | `invalid_value` |
//! | a `str` holding a lone surrogate (`"\udc80"`: not encodable as UTF-8) | `invalid_value` |
//! | lists and dicts nested deeper than [`MAX_DEPTH`] (128) levels | `too_deep` |
//! | a list or dict that contains itself | `invalid_value` (a cycle) |
//!
//! JSON data is `None`, `bool`, `int`, `float`, `str`, `dict` with `str` keys, `list` and `tuple`.
//! A conversion lists at most [`MAX_PROBLEMS`] problems. An exception raised by the caller's own
//! object while it is read (a `KeyboardInterrupt`, say) propagates unchanged.
//!
//! Core → Python ([`to_py`], [`map_to_py`]) gives plain `dict`, `list`, `str`, `int`, `float`,
//! `bool` and `None`, keeping key order.
//!
//! The `Actor` class lives here too: it is the value every command takes.

pub mod changes;
mod feed;
mod json;

pub use feed::{cursor, limit, opt_cursor, opt_std_duration};
pub use json::{Definition, definition, doc_to_py, json, map, map_to_py, opt_map, to_py};

use chrono::Datelike;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDateTime, PyDelta, PyInt, PyList, PyString, PyTuple, PyTzInfo};
use serde_json::Value;
use trainyard::access::Actor;
use trainyard::validate::{codes, path};
use trainyard::{Problem, Timestamp};

/// Deepest nesting of lists and dicts accepted from Python (the outermost one is level 1); the
/// same limit as the Node package.
pub const MAX_DEPTH: usize = 128;
/// Most problems one conversion lists; the last entry then says that more were left out.
pub const MAX_PROBLEMS: usize = 1000;
/// The core's problem code for a value nested too deep (`trainyard::validate::codes::TOO_DEEP`).
pub const TOO_DEEP: &str = "too_deep";
/// The core's problem code for the entry that closes a list cut at [`MAX_PROBLEMS`].
pub(crate) const TOO_MANY_PROBLEMS: &str = "too_many_problems";

/// Why a caller's value was refused.
pub enum Refused {
    /// What was wrong, each with the path of the bad value.
    Problems(Vec<Problem>),
    /// An exception the caller's own object raised while it was read: passed on as it is.
    Raised(PyErr),
}

/// The result of one conversion.
pub type Conv<T> = Result<T, Refused>;

impl From<PyErr> for Refused {
    fn from(e: PyErr) -> Self {
        Refused::Raised(e)
    }
}

impl Refused {
    /// One problem.
    pub fn one(path: &str, code: &str, message: impl Into<String>) -> Self {
        Refused::Problems(vec![Problem::new(path, code, message)])
    }

    /// As an `InvalidInputError` (a bad argument value).
    pub fn invalid_input(self, py: Python<'_>) -> PyErr {
        match self {
            Refused::Problems(problems) => crate::errors::to_py_err(py, &trainyard::Error::InvalidInput { problems }),
            Refused::Raised(e) => e,
        }
    }

    /// As a `ValidationError` (a bad definition document).
    pub fn invalid_definition(self, py: Python<'_>) -> PyErr {
        match self {
            Refused::Problems(problems) => crate::errors::to_py_err(py, &trainyard::Error::Validation { problems }),
            Refused::Raised(e) => e,
        }
    }
}

impl Refused {
    /// The refusals of several values as one: every problem, or the first exception raised.
    pub fn merge(refusals: impl IntoIterator<Item = Option<Refused>>) -> Refused {
        let mut problems = Vec::new();
        for refused in refusals.into_iter().flatten() {
            match refused {
                Refused::Raised(e) => return Refused::Raised(e),
                Refused::Problems(p) => problems.extend(p),
            }
        }
        Refused::Problems(problems)
    }
}

/// Merges the refusals of several arguments into one `InvalidInputError` listing every problem (an
/// exception raised by an argument's own object wins).
pub fn refused_all(py: Python<'_>, refusals: Vec<Option<Refused>>) -> PyErr {
    Refused::merge(refusals).invalid_input(py)
}

/// Converts every argument of a call, then either binds them all or returns one
/// `InvalidInputError` with the problems of every bad one:
/// `args!(py; id = text(release_id, "release_id"), actor = actor(actor, "actor"));`
macro_rules! args {
    ($py:expr; $($name:ident = $conv:expr),+ $(,)?) => {
        let ($($name,)+) = match ($($conv,)+) {
            ($(Ok($name),)+) => ($($name,)+),
            ($($name,)+) => return Err($crate::convert::refused_all($py, vec![$($name.err()),+])),
        };
    };
}
pub(crate) use args;

/// The Python type name of `obj`, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_owned())
}

fn wrong_type(obj: &Bound<'_, PyAny>, path: &str, expected: &str) -> Refused {
    let got = if obj.cast::<PyBytes>().is_ok() || obj.cast::<PyByteArray>().is_ok() {
        format!("{}; decode it first, e.g. value.decode('utf-8')", type_name(obj))
    } else {
        type_name(obj)
    };
    Refused::one(path, codes::WRONG_TYPE, format!("must be {expected}, not {got}"))
}

// ---- text, numbers, flags ----

/// A `str` as UTF-8 text. `bytes` and other types are `wrong_type`; a lone surrogate is
/// `invalid_value` (naming where it is).
pub fn text(obj: &Bound<'_, PyAny>, path: &str) -> Conv<String> {
    let Ok(s) = obj.cast::<PyString>() else {
        return Err(wrong_type(obj, path, "a str"));
    };
    string(s, path)
}

fn string(s: &Bound<'_, PyString>, path: &str) -> Conv<String> {
    match s.to_cow() {
        Ok(t) => Ok(t.into_owned()),
        Err(_) => Err(Refused::one(path, codes::INVALID_VALUE, surrogate_message(s))),
    }
}

/// Where the first lone surrogate of `s` is, for the message (found in its UTF-16 code units,
/// which `surrogatepass` keeps as they are).
fn surrogate_message(s: &Bound<'_, PyString>) -> String {
    let units: Vec<u16> = s
        .call_method1("encode", ("utf-16-le", "surrogatepass"))
        .and_then(|b| b.extract::<Vec<u8>>())
        .map(|b| b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect())
        .unwrap_or_default();
    let (mut i, mut index) = (0, 0);
    let mut found = None;
    while i < units.len() {
        let u = units[i];
        let paired = (0xD800..0xDC00).contains(&u) && units.get(i + 1).is_some_and(|n| (0xDC00..0xE000).contains(n));
        if paired {
            i += 2;
        } else if (0xD800..0xE000).contains(&u) {
            found = Some((u, index));
            break;
        } else {
            i += 1;
        }
        index += 1;
    }
    let (unit, at) = match found {
        Some((u, at)) => (format!("'\\u{u:04x}'"), at.to_string()),
        None => ("?".to_owned(), "?".to_owned()),
    };
    format!(
        "is not valid Unicode text: it holds the lone surrogate {unit} at index {at}, which UTF-8 cannot encode; \
         pass text made of whole characters (e.g. decode bytes with errors='replace')"
    )
}

/// `s` with what UTF-8 cannot encode written as Python escapes (`\udc80`).
fn escaped(s: &Bound<'_, PyString>) -> String {
    s.call_method1("encode", ("utf-8", "backslashreplace"))
        .and_then(|b| b.extract::<Vec<u8>>())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// An optional `str` (`None` stays `None`).
pub fn opt_text(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Option<String>> {
    match obj {
        Some(o) if !o.is_none() => text(o, path).map(Some),
        _ => Ok(None),
    }
}

/// A `list` or `tuple` of `str` (a bare `str` is refused: it is not a list of names).
pub fn text_list(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Vec<String>> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(list) = obj.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = obj.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return Err(wrong_type(obj, path, "a list of str"));
    };
    let mut out = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match text(item, &path::index(path, i)) {
            Ok(t) => out.push(t),
            Err(Refused::Problems(p)) => problems.extend(p),
            Err(raised) => return Err(raised),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(Refused::Problems(problems)) }
}

/// An optional list of `str` (`None` stays `None`).
pub fn opt_text_list(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Option<Vec<String>>> {
    match obj {
        Some(o) if !o.is_none() => text_list(o, path).map(Some),
        _ => Ok(None),
    }
}

/// A filter value: a list of `str`, or one `str` standing for a list of one.
pub fn names(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Vec<String>> {
    match obj {
        Some(o) if o.cast::<PyString>().is_ok() => text(o, path).map(|t| vec![t]),
        Some(o) if !o.is_none() => text_list(o, path),
        _ => Ok(Vec::new()),
    }
}

/// A `bool` (exactly: `1` or `"yes"` are `wrong_type`).
pub fn flag(obj: &Bound<'_, PyAny>, path: &str) -> Conv<bool> {
    match obj.cast::<PyBool>() {
        Ok(b) => Ok(b.is_true()),
        Err(_) => Err(wrong_type(obj, path, "True or False")),
    }
}

/// An optional `bool`, `default` when not given (or `None`).
pub fn opt_flag(obj: Option<&Bound<'_, PyAny>>, path: &str, default: bool) -> Conv<bool> {
    match obj {
        Some(o) if !o.is_none() => flag(o, path),
        _ => Ok(default),
    }
}

/// An `int` in `min..=max` (a `bool` is not a count).
pub fn integer(obj: &Bound<'_, PyAny>, path: &str, min: i64, max: i64) -> Conv<i64> {
    if obj.cast::<PyBool>().is_ok() || obj.cast::<PyInt>().is_err() {
        return Err(wrong_type(obj, path, "an int"));
    }
    match obj.extract::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Refused::one(
            path,
            codes::INVALID_VALUE,
            format!("is {}; expected an int from {min} to {max}", int_text(obj)),
        )),
    }
}

/// A count (`0 ≤ n ≤ u32::MAX`), `default` when not given (or `None`).
pub fn count(obj: Option<&Bound<'_, PyAny>>, path: &str, default: u32) -> Conv<u32> {
    match obj {
        Some(o) if !o.is_none() => integer(o, path, 0, i64::from(u32::MAX)).map(|n| n as u32),
        _ => Ok(default),
    }
}

/// A version number (`1 ≤ n ≤ u32::MAX`), or `None`.
pub fn opt_version(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Option<u32>> {
    match obj {
        Some(o) if !o.is_none() => integer(o, path, 1, i64::from(u32::MAX)).map(|n| Some(n as u32)),
        _ => Ok(None),
    }
}

/// An `int` for a message: its digits when short, else its size (`str()` of a huge int raises).
fn int_text(obj: &Bound<'_, PyAny>) -> String {
    let bits: u64 = obj.call_method0("bit_length").and_then(|b| b.extract()).unwrap_or(u64::MAX);
    if bits <= 256 {
        obj.str().map(|s| s.to_string()).unwrap_or_else(|_| "an int".to_owned())
    } else {
        format!("an int of {bits} bits")
    }
}

/// A core enum written as its snake_case string (`"hotfix"`, `"running"`): the core's parser says
/// what is allowed; its problem is put at `path`.
pub fn parsed<T: std::str::FromStr<Err = trainyard::Error>>(obj: &Bound<'_, PyAny>, path: &str) -> Conv<T> {
    let t = text(obj, path)?;
    t.parse::<T>().map_err(|e| at_path(e, path))
}

/// An optional core enum (`None` stays `None`).
pub fn opt_parsed<T: std::str::FromStr<Err = trainyard::Error>>(
    obj: Option<&Bound<'_, PyAny>>,
    path: &str,
) -> Conv<Option<T>> {
    match obj {
        Some(o) if !o.is_none() => parsed(o, path).map(Some),
        _ => Ok(None),
    }
}

/// A list of core enums (one string standing for a list of one).
pub fn parsed_list<T: std::str::FromStr<Err = trainyard::Error>>(
    obj: Option<&Bound<'_, PyAny>>,
    path: &str,
) -> Conv<Vec<T>> {
    let list = names(obj, path)?;
    let single = matches!(obj, Some(o) if o.cast::<PyString>().is_ok());
    let mut out = Vec::with_capacity(list.len());
    let mut problems = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let at = if single { path.to_owned() } else { path::index(path, i) };
        match t.parse::<T>() {
            Ok(v) => out.push(v),
            Err(e) => match at_path(e, &at) {
                Refused::Problems(p) => problems.extend(p),
                raised => return Err(raised),
            },
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(Refused::Problems(problems)) }
}

/// A core error about one value, its problems moved to `path`.
fn at_path(e: trainyard::Error, path: &str) -> Refused {
    let mut problems = e.problems().to_vec();
    if problems.is_empty() {
        problems.push(Problem::new(path, codes::INVALID_VALUE, e.to_string()));
    }
    for p in &mut problems {
        p.path = path.to_owned();
    }
    Refused::Problems(problems)
}

// ---- actors ----

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
    #[pyo3(signature = (id, *, groups = None, roles = None), text_signature = "(id, *, groups=(), roles=())")]
    fn new(
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        groups: Option<&Bound<'_, PyAny>>,
        roles: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        args!(py;
            id = text(id, "id"),
            groups = opt_text_list(groups, "groups"),
            roles = opt_text_list(roles, "roles"),
        );
        Ok(PyActor {
            inner: Actor::new(id).with_groups(groups.unwrap_or_default()).with_roles(roles.unwrap_or_default()),
        })
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

    fn __repr__(&self) -> String {
        let list = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|x| repr_str(x)).collect();
            format!("({}{})", items.join(", "), if v.len() == 1 { "," } else { "" })
        };
        format!(
            "Actor({}, groups={}, roles={})",
            repr_str(&self.inner.id),
            list(&self.inner.groups),
            list(&self.inner.roles)
        )
    }
}

/// An `Actor` argument.
pub fn actor(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Actor> {
    match obj.cast::<PyActor>() {
        Ok(a) => Ok(a.get().inner.clone()),
        Err(_) => {
            Err(wrong_type(obj, path, "a trainyard.Actor, e.g. Actor('rita', roles=['account_release_manager'])"))
        }
    }
}

/// An optional `Actor` (`None`: the caller is trusted).
pub fn opt_actor(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Option<Actor>> {
    match obj {
        Some(o) if !o.is_none() => actor(o, path).map(Some),
        _ => Ok(None),
    }
}

// ---- time ----

/// A tz-aware `datetime` (any time zone) as a UTC timestamp. A naive one is `invalid_value`:
/// trainyard never guesses a time zone.
pub fn timestamp(obj: &Bound<'_, PyAny>, path: &str) -> Conv<Timestamp> {
    let Ok(dt) = obj.cast::<PyDateTime>() else {
        return Err(wrong_type(obj, path, "a tz-aware datetime.datetime"));
    };
    if dt.call_method0("utcoffset")?.is_none() {
        return Err(Refused::one(
            path,
            codes::INVALID_VALUE,
            format!(
                "is a naive datetime ({}); pass a tz-aware one, e.g. datetime(2025, 4, 7, 9, tzinfo=timezone.utc)",
                dt.str()?
            ),
        ));
    }
    let utc = PyTzInfo::utc(obj.py())?;
    Ok(dt.call_method1("astimezone", (utc,))?.extract()?)
}

/// An optional tz-aware `datetime` (`None` stays `None`).
pub fn opt_timestamp(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<Option<Timestamp>> {
    match obj {
        Some(o) if !o.is_none() => timestamp(o, path).map(Some),
        _ => Ok(None),
    }
}

/// Whether `t` is a time Python's `datetime` can hold (years 1 to 9999).
pub fn fits_datetime(t: Timestamp) -> bool {
    (1..=9999).contains(&t.year())
}

/// A duration: a `timedelta`, or a trainyard duration string (`"30m"`, `"1d 12h"`: units `w d h m
/// s`, largest first). Negative `timedelta`s only when `negative` allows them.
pub fn duration(obj: &Bound<'_, PyAny>, path: &str, negative: bool) -> Conv<chrono::Duration> {
    if obj.cast::<PyDelta>().is_ok() {
        let d: chrono::Duration = obj.extract()?;
        if d < chrono::Duration::zero() && !negative {
            return Err(Refused::one(
                path,
                codes::INVALID_VALUE,
                format!("is negative ({d}); give a positive duration"),
            ));
        }
        return Ok(d);
    }
    if obj.cast::<PyString>().is_err() {
        return Err(wrong_type(obj, path, "a datetime.timedelta or a duration string such as \"30m\" or \"1d 12h\""));
    }
    let t = text(obj, path)?;
    let parsed = t.parse::<trainyard::model::Duration>().map_err(|e| Refused::one(path, codes::BAD_DURATION, e))?;
    i64::try_from(parsed.as_secs()).ok().and_then(chrono::Duration::try_seconds).ok_or_else(|| {
        Refused::one(path, codes::BAD_DURATION, format!("`{t}` is longer than any time trainyard can count"))
    })
}

/// An optional duration, `default` when not given (or `None`).
pub fn opt_duration(obj: Option<&Bound<'_, PyAny>>, path: &str, default: chrono::Duration) -> Conv<chrono::Duration> {
    match obj {
        Some(o) if !o.is_none() => duration(o, path, false),
        _ => Ok(default),
    }
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

/// A serde enum's snake_case name (`SkipReason::UpstreamFailed` → `upstream_failed`).
pub fn snake<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

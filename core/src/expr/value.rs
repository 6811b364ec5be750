//! How values cross between JSON (inputs, outputs, variables, job inputs) and CEL.
//!
//! # JSON into CEL ([`to_cel`])
//!
//! | JSON | CEL |
//! |---|---|
//! | `null`, `true`/`false`, string | `null`, `bool`, `string` |
//! | a whole number that fits `i64` (`3`, `-2`) | `int` (so `inputs.count + 1` works) |
//! | a whole number above `i64::MAX` (up to `u64::MAX`) | `uint` |
//! | any other number (`2.5`, `2.0`, `1e3`) | `double` |
//! | array, object | `list`, `map` with string keys |
//!
//! # CEL into JSON ([`to_json`]): what an expression gives to an activity, an output or a variable
//!
//! | CEL | JSON | Python | JavaScript |
//! |---|---|---|---|
//! | `null` | `null` | `None` | `null` |
//! | `bool` | `true` / `false` | `bool` | `boolean` |
//! | `int` | number (exact, `i64`) | `int` | `number` |
//! | `uint` | number (exact, `u64`): `3u` gives `3`, as `3` does | `int` | `number` |
//! | `double` | number, written with a fraction (`2.0` stays `2.0`) | `float` | `number` |
//! | `double` NaN, `+Infinity`, `-Infinity` | **an `expression_error`** naming the expression and where in the result | — | — |
//! | `string` | string | `str` | `string` |
//! | `bytes` | string: standard base64 with padding (`b'abc'` gives `"YWJj"`), as CEL's JSON mapping has it; write `string(b)` for text | `str` | `string` |
//! | `timestamp` | string: RFC 3339 in UTC with `Z`, fractional seconds only when there are some (`2025-01-01T08:00:00Z`, `…00.250Z`) | `str` | `string` |
//! | `duration` | string in trainyard's duration form (`duration('90m')` gives `"1h 30m"`, zero is `"0s"`), which every `timeout:`-like field reads back; a negative duration or one with a fraction of a second is **an `expression_error`** (trainyard durations are whole, non-negative seconds: round with `duration(string(d.getSeconds()) + 's')`) | `str` | `string` |
//! | `list` | array, items mapped by these rules | `list` | `Array` |
//! | `map` | object with keys sorted; `string` keys as they are, `int`/`uint` keys in decimal (`{1: 'a'}` gives `{"1": "a"}`), `bool` keys as `"true"`/`"false"`; two keys that give the same text (`{1: 'a', '1': 'b'}`) are **an `expression_error`** | `dict` | `Object` |
//! | `type` (`type(1)`) | string: the type's name (`"int"`), as the `cel` crate gives it | `str` | `string` |
//! | optionals (`optional.of(1)`), functions, messages | **an `expression_error`** ("cannot be stored") | — | — |
//!
//! Why errors rather than `null` or a string for NaN and ±Infinity: JSON has no such numbers, and
//! a release manager who writes `${outputs.passed / outputs.total}` means a number. `null` would
//! reach an executor as "no value" and a string `"NaN"` as text, both far from the expression that
//! made them; an error fails the activity at the expression, with its source and location.
//!
//! Python and JavaScript receive the JSON value: Python's `int` is exact at any size; JavaScript
//! numbers are doubles, so an integer beyond ±2^53 loses precision there (keep such ids as strings).
//!
//! Inside a longer template (`"n=${…}"`) each value is written as its JSON text (a string without
//! quotes, `null` as nothing): `"n=${2.0}"` gives `"n=2.0"`, `"${[1, 'a']}"` inside text gives
//! `[1,"a"]`.

use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

/// Converts JSON into a CEL value (see the module table). Whole numbers become CEL `int`s (only
/// integers beyond `i64` become `uint`), other numbers `double`s.
pub fn to_cel(value: &Value) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            _ => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let entries: HashMap<cel::objects::Key, cel::Value> =
                map.iter().map(|(k, v)| (cel::objects::Key::String(Arc::new(k.clone())), to_cel(v))).collect();
            cel::Value::Map(cel::objects::Map { map: Arc::new(entries) })
        }
    }
}

/// Converts a CEL value into JSON by the rules of the module table (map keys sorted, so results
/// are deterministic). The message of an error says which part of the result could not be
/// converted (`at [1].ratio`) and what to write instead.
pub fn to_json(value: &cel::Value) -> Result<Value, String> {
    let mut path = String::new();
    convert(value, &mut path)
}

/// Where in the result `path` is, for messages.
fn at(path: &str) -> String {
    if path.is_empty() { "the result".to_string() } else { format!("the result at `{path}`") }
}

fn convert(value: &cel::Value, path: &mut String) -> Result<Value, String> {
    Ok(match value {
        cel::Value::Null => Value::Null,
        cel::Value::Bool(b) => Value::Bool(*b),
        cel::Value::Int(i) => Value::from(*i),
        cel::Value::UInt(u) => Value::from(*u),
        cel::Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => Value::Number(n),
            None => {
                let what = if f.is_nan() {
                    "NaN (not a number)"
                } else if *f > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                };
                return Err(format!(
                    "{} is {what}, which JSON cannot hold; guard the operation that makes it \
                     (e.g. `b != 0.0 ? a / b : 0.0`)",
                    at(path)
                ));
            }
        },
        cel::Value::String(s) => Value::String(s.to_string()),
        cel::Value::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b.as_slice())),
        cel::Value::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                out.push(convert(item, path)?);
                path.truncate(len);
            }
            Value::Array(out)
        }
        cel::Value::Map(m) => convert_map(m, path)?,
        cel::Value::Timestamp(t) => {
            Value::String(t.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        }
        cel::Value::Duration(d) => Value::String(duration_text(d).map_err(|why| format!("{} {why}", at(path)))?),
        other => {
            return Err(format!(
                "{} cannot be stored: it is a CEL {}, not a value JSON can hold (null, bool, number, string, \
                 bytes, timestamp, duration, list or map)",
                at(path),
                kind_name(other)
            ));
        }
    })
}

fn convert_map(m: &cel::objects::Map, path: &mut String) -> Result<Value, String> {
    let mut entries: BTreeMap<String, (String, Value)> = BTreeMap::new();
    for (k, v) in m.map.iter() {
        let (text, written) = match k {
            cel::objects::Key::String(s) => (s.to_string(), format!("'{s}'")),
            cel::objects::Key::Int(i) => (i.to_string(), i.to_string()),
            cel::objects::Key::Uint(u) => (u.to_string(), format!("{u}u")),
            cel::objects::Key::Bool(b) => (b.to_string(), b.to_string()),
        };
        let len = path.len();
        if is_ident(&text) {
            let _ = write!(path, ".{text}");
        } else {
            let _ = write!(path, "[{written}]");
        }
        let converted = convert(v, path)?;
        path.truncate(len);
        if let Some((other, _)) = entries.get(&text) {
            return Err(format!(
                "{} is a map with the key `{text}` twice once its keys are written as JSON text \
                 ({other} and {written}); JSON object keys are strings, so use one key type",
                at(path)
            ));
        }
        entries.insert(text, (written, converted));
    }
    Ok(Value::Object(entries.into_iter().map(|(k, (_, v))| (k, v)).collect::<Map<_, _>>()))
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A CEL duration in trainyard's duration form, when it is whole non-negative seconds.
fn duration_text(d: &chrono::Duration) -> Result<String, String> {
    if *d < chrono::Duration::zero() {
        return Err(format!(
            "is a negative duration ({}s); trainyard durations are not negative",
            d.num_milliseconds() as f64 / 1000.0
        ));
    }
    if d.subsec_nanos() != 0 {
        return Err(format!(
            "is a duration with a fraction of a second ({}s); trainyard durations are whole seconds: \
             round it with `duration(string(d.getSeconds()) + 's')`",
            d.num_milliseconds() as f64 / 1000.0
        ));
    }
    Ok(crate::model::Duration::from_secs(d.num_seconds() as u64).to_string())
}

fn kind_name(value: &cel::Value) -> &'static str {
    match value {
        cel::Value::Function(..) => "function",
        cel::Value::Opaque(_) => "opaque value (an optional or a type)",
        cel::Value::Struct(_) => "message",
        _ => "value",
    }
}

//! [`FromJs`]: typed arguments and options objects, read with the rules of [`super`].

use super::{Cx, Kind, MAX_SAFE_INTEGER, js_number, millis, quote};
use chrono::{DateTime, Utc};
use napi::sys;
use serde_json::{Map, Value};
use trainyard::validate::codes::{INVALID_VALUE, MISSING_FIELD, WRONG_TYPE};

/// A value read from JS with its rules: [`Cx::field`] calls `missing` for `undefined` and `read`
/// for anything else. Both record a problem (and return the default) when the value is wrong.
pub trait FromJs: Sized + Default {
    /// What a valid value is, for messages (`a string`, `a Date or RFC 3339 text`).
    fn expected() -> String;

    /// Reads a value that is not `undefined`.
    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self;

    /// The value when the argument or option was not given: a problem, unless optional.
    fn missing(cx: &mut Cx, path: &str) -> Self {
        cx.problem(path, MISSING_FIELD, format!("is required: {}", Self::expected()));
        Self::default()
    }

    /// Whether the value may be left out.
    fn optional() -> bool {
        false
    }
}

impl<T: FromJs> FromJs for Option<T> {
    fn expected() -> String {
        T::expected()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        match cx.kind(value) {
            Kind::Undefined | Kind::Null => None,
            _ => Some(T::read(cx, value, path)),
        }
    }

    fn missing(_: &mut Cx, _: &str) -> Self {
        None
    }

    fn optional() -> bool {
        true
    }
}

impl FromJs for String {
    fn expected() -> String {
        "a string".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        if cx.kind(value) != Kind::String {
            cx.wrong_type(value, path, "a string");
            return String::new();
        }
        cx.string(value).unwrap_or_else(|why| {
            cx.problem(path, INVALID_VALUE, why);
            String::new()
        })
    }
}

impl FromJs for bool {
    fn expected() -> String {
        "true or false".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        if cx.kind(value) != Kind::Boolean {
            cx.wrong_type(value, path, "true or false");
            return false;
        }
        let mut b = false;
        unsafe { sys::napi_get_value_bool(cx.env, value, &mut b) };
        b
    }
}

/// Reads a finite JS number (`None`: a problem was recorded).
fn finite(cx: &mut Cx, value: sys::napi_value, path: &str, expected: &str) -> Option<f64> {
    if cx.kind(value) != Kind::Number {
        cx.wrong_type(value, path, expected);
        return None;
    }
    let mut n = 0f64;
    unsafe { sys::napi_get_value_double(cx.env, value, &mut n) };
    if !n.is_finite() {
        cx.problem(path, INVALID_VALUE, format!("expected {expected}, got {}", js_number(n)));
        return None;
    }
    Some(n)
}

impl FromJs for u32 {
    fn expected() -> String {
        "a whole number from 0 to 4294967295".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        let expected = Self::expected();
        match finite(cx, value, path, &expected) {
            Some(n) if n.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&n) => n as u32,
            Some(n) => {
                cx.problem(path, INVALID_VALUE, format!("expected {expected}, got {}", js_number(n)));
                0
            }
            None => 0,
        }
    }
}

impl FromJs for Vec<String> {
    fn expected() -> String {
        "an array of strings".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        if cx.kind(value) != Kind::Object || !cx.is_array(value) {
            cx.wrong_type(value, path, "an array of strings");
            return Vec::new();
        }
        match cx.json(value, path) {
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s),
                        other => cx.problem(
                            &format!("{path}[{i}]"),
                            WRONG_TYPE,
                            format!("expected a string, got {}", json_kind(&other)),
                        ),
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

/// A JSON object (inputs, outputs, field values), keys in insertion order.
pub type JsonObject = Map<String, Value>;

impl FromJs for JsonObject {
    fn expected() -> String {
        "a plain object of JSON values".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        if !cx.plain_object(value, path, "a plain object of JSON values") {
            return Map::new();
        }
        match cx.json(value, path) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

impl FromJs for Value {
    fn expected() -> String {
        "a JSON value".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        cx.json(value, path).unwrap_or(Value::Null)
    }
}

impl FromJs for DateTime<Utc> {
    fn expected() -> String {
        "a Date or RFC 3339 text with an offset (\"2025-04-07T09:00:00Z\")".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        if let Some(ms) = cx.date_ms(value) {
            return millis(ms).unwrap_or_else(|| {
                cx.problem(path, INVALID_VALUE, "an invalid Date (its time is NaN)");
                DateTime::default()
            });
        }
        if cx.kind(value) == Kind::String {
            let text = String::read(cx, value, path);
            return match DateTime::parse_from_rfc3339(&text) {
                Ok(at) => at.with_timezone(&Utc),
                Err(_) => {
                    cx.problem(path, INVALID_VALUE, format!("{} is not {}", quote(&text), Self::expected()));
                    DateTime::default()
                }
            };
        }
        cx.wrong_type(value, path, &Self::expected());
        DateTime::default()
    }
}

/// A duration given by a caller: a trainyard duration string (`"30m"`, `"1d 12h"`) or a number of
/// milliseconds (a negative number only where the method says so).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span(pub chrono::Duration);

impl FromJs for Span {
    fn expected() -> String {
        "a duration: text such as \"30m\" or \"1d 12h\" (units w d h m s), or a number of milliseconds".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        match cx.kind(value) {
            Kind::String => {
                let text = String::read(cx, value, path);
                match trainyard::model::Duration::parse(&text) {
                    Ok(d) => Span(chrono::Duration::seconds(d.as_secs().min(i64::MAX as u64 / 1000) as i64)),
                    Err(why) => {
                        cx.problem(path, INVALID_VALUE, format!("{why}; or give a number of milliseconds"));
                        Span::default()
                    }
                }
            }
            Kind::Number => match finite(cx, value, path, &Self::expected()) {
                Some(ms) if ms.abs() <= MAX_SAFE_INTEGER => Span(chrono::Duration::milliseconds(ms.round() as i64)),
                Some(ms) => {
                    cx.problem(path, INVALID_VALUE, format!("{} milliseconds is too long", js_number(ms)));
                    Span::default()
                }
                None => Span::default(),
            },
            _ => {
                cx.wrong_type(value, path, &Self::expected());
                Span::default()
            }
        }
    }
}

impl Span {
    /// The duration, refusing a negative one (a problem at `path`).
    pub fn non_negative(self, cx: &mut Cx, path: &str) -> chrono::Duration {
        if self.0 < chrono::Duration::zero() {
            cx.problem(path, INVALID_VALUE, "must not be negative");
        }
        self.0
    }
}

/// A JSON value's kind, for messages.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a string naming one of a core enum's values (`kind`, `status`): the core's own parse,
/// its message reported at `path`.
pub fn parsed<T: std::str::FromStr<Err = trainyard::Error>>(
    cx: &mut Cx,
    text: Option<String>,
    path: &str,
) -> Option<T> {
    let text = text?;
    match text.parse() {
        Ok(v) => Some(v),
        Err(e) => {
            let message = e.problems().first().map(|p| p.message.clone()).unwrap_or_else(|| e.to_string());
            cx.problem(path, INVALID_VALUE, message);
            None
        }
    }
}

/// Declares an options object: the struct (typed in `index.d.ts` by napi) and its [`FromJs`]
/// reader, which takes the camelCase of every field name and refuses other keys.
macro_rules! options {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[napi_derive::napi(object, object_to_js = false)]
        #[derive(Default)]
        pub struct $name { $($(#[$fmeta])* pub $field: $ty),* }

        impl $crate::convert::FromJs for $name {
            fn expected() -> String {
                let fields: Vec<String> = vec![$(
                    format!("{}{}", $crate::convert::camel(stringify!($field)),
                        if <$ty as $crate::convert::FromJs>::optional() { "?" } else { "" })
                ),*];
                format!("an options object {{ {} }}", fields.join(", "))
            }

            fn read(cx: &mut $crate::convert::Cx, value: napi::sys::napi_value, path: &mut String) -> Self {
                static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
                let names = NAMES.get_or_init(|| vec![$($crate::convert::camel(stringify!($field))),*]);
                if !cx.plain_object(value, path, &Self::expected()) {
                    return Self::default();
                }
                let values = cx.fields(value, path, names);
                let mut slots = values.into_iter();
                let mut names = names.iter();
                $(
                    let $field: $ty = {
                        let mut at = $crate::convert::join(path, names.next().map(String::as_str).unwrap_or(""));
                        match slots.next().flatten() {
                            Some(v) => cx.field(v, &mut at),
                            None => <$ty as $crate::convert::FromJs>::missing(cx, &at),
                        }
                    };
                )*
                $name { $($field),* }
            }
        }
    };
}
pub(crate) use options;

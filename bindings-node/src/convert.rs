//! Reading JS arguments: every value a caller passes goes through here before anything recursive
//! or the core sees it, so no JS value can crash the process or reach the core unchecked.
//!
//! * JSON values (inputs, outputs, definitions given as objects, executor results) are read by
//!   [`Cx::json`]: `null`, booleans, finite numbers (integers within ±(2^53−1)), strings without
//!   lone surrogates, arrays and plain objects (prototype `Object.prototype` or `null`), nested at
//!   most [`MAX_DEPTH`] levels, at most [`MAX_VALUES`] values per argument, and never cyclic. A
//!   `Date` becomes its RFC 3339 text (as `JSON.stringify` does); `undefined` properties are left
//!   out and `undefined` array items become `null` (the same). Anything else (functions, symbols,
//!   bigints, `Map`s, class instances) is refused.
//! * Typed arguments and options objects are read through [`FromJs`]; options objects refuse keys
//!   they do not know (a typo such as `autostart` is an error, not a silent default).
//!
//! Every problem found in one call is collected (with the path of the bad value, e.g.
//! `options.inputs.version`, and what would be valid) and reported at once as one `invalid_input`
//! error (`validation` for a definition). A getter or proxy trap that throws is reported the same
//! way; its exception never escapes.

use chrono::{DateTime, SecondsFormat, Utc};
use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, sys};
use serde_json::{Map, Number, Value};
use std::ptr;
use trainyard::Problem;

mod from_js;

pub(crate) use from_js::options;
pub use from_js::{FromJs, JsonObject, Span, json_kind, parsed};
use trainyard::validate::codes::{INVALID_VALUE, UNKNOWN_FIELD, WRONG_TYPE};

/// Deepest nesting accepted from JS (the same limit as Python's and as `serde_json`'s for JSON
/// text): the top value is level 0, so 128 containers may sit inside it.
pub const MAX_DEPTH: usize = 128;
/// Most values (every object, array, string, number, … counted once) read from one argument.
pub const MAX_VALUES: usize = 1_000_000;
/// Most problems reported by one call (the rest are summarized in one more problem).
const MAX_PROBLEMS: usize = 50;
/// The largest integer a JS number holds exactly.
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The reader of one call's arguments: the env and every problem found so far.
pub struct Cx {
    env: sys::napi_env,
    problems: Vec<Problem>,
    dropped: usize,
    object_prototype: Option<sys::napi_value>,
    budget: usize,
}

/// A JS value's type, as `napi_typeof` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Undefined,
    Null,
    Boolean,
    Number,
    String,
    Symbol,
    Object,
    Function,
    External,
    BigInt,
}

impl Cx {
    /// A reader for a call on `env`.
    pub fn new(env: &Env) -> Self {
        Cx::from_raw(env.raw())
    }

    /// A reader for a call on a raw env.
    pub fn from_raw(env: sys::napi_env) -> Self {
        Cx { env, problems: Vec::new(), dropped: 0, object_prototype: None, budget: MAX_VALUES }
    }

    /// The raw env.
    pub fn env(&self) -> sys::napi_env {
        self.env
    }

    /// Records a problem at `path`.
    pub fn problem(&mut self, path: &str, code: &str, message: impl Into<String>) {
        if self.problems.len() >= MAX_PROBLEMS {
            self.dropped += 1;
            return;
        }
        self.problems.push(Problem::new(path, code, message.into()));
    }

    /// Whether a problem was found.
    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The problems found, or nothing: an `invalid_input` core error listing every problem.
    pub fn finish(&mut self) -> trainyard::Result<()> {
        if self.problems.is_empty() {
            return Ok(());
        }
        Err(trainyard::Error::InvalidInput { problems: self.take() })
    }

    /// `finish` as a thrown JS error.
    pub fn done(&mut self) -> napi::Result<()> {
        let env = Env::from_raw(self.env);
        self.finish().map_err(|e| crate::errors::to_js(&env, &e))
    }

    /// Takes the problems found so far.
    pub fn take(&mut self) -> Vec<Problem> {
        let mut problems = std::mem::take(&mut self.problems);
        if self.dropped > 0 {
            problems.push(Problem::new("", INVALID_VALUE, format!("and {} more problem(s)", self.dropped)));
            self.dropped = 0;
        }
        problems
    }

    /// Reads argument `name` (a missing argument is `undefined`).
    pub fn arg<T: FromJs>(&mut self, value: Unknown, name: &str) -> T {
        self.budget = MAX_VALUES;
        let mut path = name.to_string();
        self.field(value.raw(), &mut path)
    }

    /// Reads a value at `path` with `T`'s rules (`undefined` is "missing").
    pub fn field<T: FromJs>(&mut self, value: sys::napi_value, path: &mut String) -> T {
        match self.kind(value) {
            Kind::Undefined => T::missing(self, path),
            _ => T::read(self, value, path),
        }
    }

    // ---- raw access ----

    /// The type of `value`.
    pub fn kind(&self, value: sys::napi_value) -> Kind {
        let mut t = -1;
        unsafe { sys::napi_typeof(self.env, value, &mut t) };
        match t {
            sys::ValueType::napi_undefined => Kind::Undefined,
            sys::ValueType::napi_null => Kind::Null,
            sys::ValueType::napi_boolean => Kind::Boolean,
            sys::ValueType::napi_number => Kind::Number,
            sys::ValueType::napi_string => Kind::String,
            sys::ValueType::napi_symbol => Kind::Symbol,
            sys::ValueType::napi_function => Kind::Function,
            sys::ValueType::napi_external => Kind::External,
            9 => Kind::BigInt,
            _ => Kind::Object,
        }
    }

    /// Clears a pending exception (a getter or a proxy trap threw) and returns its text.
    fn exception(&self) -> String {
        let mut thrown = ptr::null_mut();
        unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut thrown) };
        if thrown.is_null() {
            return "the value could not be read".into();
        }
        crate::callbacks::message_of(self.env, thrown)
    }

    /// A napi status as a result. Some calls report a throwing getter or trap as
    /// `napi_generic_failure` with the exception still pending: it is cleared either way.
    fn ok(&self, status: sys::napi_status) -> Result<(), String> {
        if status == sys::Status::napi_ok {
            return Ok(());
        }
        let mut pending = false;
        unsafe { sys::napi_is_exception_pending(self.env, &mut pending) };
        if pending || status == sys::Status::napi_pending_exception {
            return Err(format!("reading it threw: {}", self.exception()));
        }
        Err(format!("it could not be read (napi status {status})"))
    }

    /// `object[key]`.
    pub fn get(&self, object: sys::napi_value, key: sys::napi_value) -> Result<sys::napi_value, String> {
        let mut out = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_property(self.env, object, key, &mut out) })?;
        Ok(out)
    }

    /// `object.name`.
    pub fn get_named(&self, object: sys::napi_value, name: &std::ffi::CStr) -> Result<sys::napi_value, String> {
        let mut out = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_named_property(self.env, object, name.as_ptr(), &mut out) })?;
        Ok(out)
    }

    /// Whether `value` is an array.
    pub fn is_array(&self, value: sys::napi_value) -> bool {
        let mut is = false;
        unsafe { sys::napi_is_array(self.env, value, &mut is) };
        is
    }

    /// The time of a `Date` (milliseconds since the epoch), if `value` is one.
    pub fn date_ms(&self, value: sys::napi_value) -> Option<f64> {
        let mut is = false;
        unsafe { sys::napi_is_date(self.env, value, &mut is) };
        if !is {
            return None;
        }
        let mut ms = f64::NAN;
        unsafe { sys::napi_get_date_value(self.env, value, &mut ms) };
        Some(ms)
    }

    /// The own enumerable string keys of an object, in property order; a key that is not valid
    /// Unicode comes with the reason (and its text with U+FFFD in place of the bad units).
    pub fn keys(&self, object: sys::napi_value) -> Result<Vec<(Key, sys::napi_value)>, String> {
        let mut names = ptr::null_mut();
        self.ok(unsafe {
            sys::napi_get_all_property_names(
                self.env,
                object,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
                &mut names,
            )
        })?;
        let mut len = 0u32;
        self.ok(unsafe { sys::napi_get_array_length(self.env, names, &mut len) })?;
        let mut keys = Vec::with_capacity(len as usize);
        for i in 0..len {
            let mut key = ptr::null_mut();
            self.ok(unsafe { sys::napi_get_element(self.env, names, i, &mut key) })?;
            let name = match self.string(key) {
                Ok(text) => Key { text, bad: None },
                Err(why) => Key { text: self.lossy(key), bad: Some(why) },
            };
            keys.push((name, key));
        }
        Ok(keys)
    }

    /// A JS string as Rust text; lone surrogates (which UTF-8 cannot hold) are refused.
    pub fn string(&self, value: sys::napi_value) -> Result<String, String> {
        let mut len = 0usize;
        self.ok(unsafe { sys::napi_get_value_string_utf8(self.env, value, ptr::null_mut(), 0, &mut len) })?;
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        self.ok(unsafe {
            sys::napi_get_value_string_utf8(self.env, value, buf.as_mut_ptr().cast(), len + 1, &mut written)
        })?;
        buf.truncate(written);
        let text = String::from_utf8(buf).map_err(|_| "it is not valid UTF-8".to_string())?;
        // Node replaces a lone surrogate by U+FFFD on the way to UTF-8: look closer only then.
        if text.contains('\u{FFFD}') {
            self.check_surrogates(value)?;
        }
        Ok(text)
    }

    /// A JS string as UTF-8, lone surrogates replaced by U+FFFD (for paths and messages only).
    fn lossy(&self, value: sys::napi_value) -> String {
        let mut len = 0usize;
        unsafe { sys::napi_get_value_string_utf8(self.env, value, ptr::null_mut(), 0, &mut len) };
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        unsafe { sys::napi_get_value_string_utf8(self.env, value, buf.as_mut_ptr().cast(), len + 1, &mut written) };
        buf.truncate(written);
        String::from_utf8_lossy(&buf).into_owned()
    }

    fn check_surrogates(&self, value: sys::napi_value) -> Result<(), String> {
        let mut len = 0usize;
        self.ok(unsafe { sys::napi_get_value_string_utf16(self.env, value, ptr::null_mut(), 0, &mut len) })?;
        let mut units = vec![0u16; len + 1];
        let mut written = 0usize;
        self.ok(unsafe {
            sys::napi_get_value_string_utf16(self.env, value, units.as_mut_ptr(), len + 1, &mut written)
        })?;
        units.truncate(written);
        for (i, unit) in char::decode_utf16(units.iter().copied()).scan(0usize, |at, c| {
            let here = *at;
            *at += c.as_ref().map(|c| c.len_utf16()).unwrap_or(1);
            Some((here, c))
        }) {
            if let Err(e) = unit {
                return Err(format!(
                    "it contains a lone surrogate (\\u{:04X} at index {i}); strings must be valid Unicode",
                    e.unpaired_surrogate()
                ));
            }
        }
        Ok(())
    }

    fn is_plain_object(&mut self, value: sys::napi_value) -> Result<bool, String> {
        let mut proto = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_prototype(self.env, value, &mut proto) })?;
        if self.kind(proto) == Kind::Null {
            return Ok(true);
        }
        let object_prototype = match self.object_prototype {
            Some(p) => p,
            None => {
                let mut global = ptr::null_mut();
                unsafe { sys::napi_get_global(self.env, &mut global) };
                let object = self.get_named(global, c"Object")?;
                let p = self.get_named(object, c"prototype")?;
                self.object_prototype = Some(p);
                p
            }
        };
        Ok(self.same(proto, object_prototype))
    }

    /// `a === b`.
    pub fn same(&self, a: sys::napi_value, b: sys::napi_value) -> bool {
        let mut equal = false;
        unsafe { sys::napi_strict_equals(self.env, a, b, &mut equal) };
        equal
    }

    /// How a value is described in messages: `a number (NaN)`, `the string "rita"`, `a Map`.
    pub fn describe(&mut self, value: sys::napi_value) -> String {
        match self.kind(value) {
            Kind::Undefined => "undefined".into(),
            Kind::Null => "null".into(),
            Kind::Boolean => "a boolean".into(),
            Kind::Number => {
                let mut n = 0f64;
                unsafe { sys::napi_get_value_double(self.env, value, &mut n) };
                format!("the number {}", js_number(n))
            }
            Kind::String => match self.string(value) {
                Ok(s) => format!("the string {}", quote(&s)),
                Err(_) => "a string that is not valid Unicode".into(),
            },
            Kind::Symbol => "a symbol".into(),
            Kind::Function => "a function".into(),
            Kind::External => "an external value".into(),
            Kind::BigInt => "a bigint".into(),
            Kind::Object if self.is_array(value) => "an array".into(),
            Kind::Object if self.date_ms(value).is_some() => "a Date".into(),
            Kind::Object => match self.is_plain_object(value) {
                Ok(true) => "an object".into(),
                _ => format!("{} object", article(&self.constructor_name(value))),
            },
        }
    }

    fn constructor_name(&self, value: sys::napi_value) -> String {
        let name = self
            .get_named(value, c"constructor")
            .ok()
            .filter(|c| self.kind(*c) == Kind::Function)
            .and_then(|c| self.get_named(c, c"name").ok())
            .filter(|n| self.kind(*n) == Kind::String)
            .and_then(|n| self.string(n).ok())
            .filter(|n| !n.is_empty());
        name.unwrap_or_else(|| "exotic".into())
    }

    // ---- JSON values ----

    /// Reads a JSON value at `path` (see the module docs for what is accepted). `None` when a
    /// problem was recorded.
    pub fn json(&mut self, value: sys::napi_value, path: &mut String) -> Option<Value> {
        let mut ancestors = Vec::new();
        let before = self.problems.len() + self.dropped;
        let out = self.json_at(value, path, &mut ancestors);
        if self.problems.len() + self.dropped > before { None } else { Some(out) }
    }

    fn json_at(&mut self, value: sys::napi_value, path: &mut String, ancestors: &mut Vec<sys::napi_value>) -> Value {
        if self.budget == 0 {
            return Value::Null;
        }
        self.budget -= 1;
        if self.budget == 0 {
            self.problem(path, INVALID_VALUE, format!("more than {MAX_VALUES} values in one argument"));
            return Value::Null;
        }
        match self.kind(value) {
            Kind::Null | Kind::Undefined => Value::Null,
            Kind::Boolean => {
                let mut b = false;
                unsafe { sys::napi_get_value_bool(self.env, value, &mut b) };
                Value::Bool(b)
            }
            Kind::Number => {
                let mut n = 0f64;
                unsafe { sys::napi_get_value_double(self.env, value, &mut n) };
                self.number(n, path).unwrap_or(Value::Null)
            }
            Kind::String => match self.string(value) {
                Ok(s) => Value::String(s),
                Err(why) => {
                    self.problem(path, INVALID_VALUE, why);
                    Value::Null
                }
            },
            Kind::Object => self.container(value, path, ancestors),
            _ => {
                let what = self.describe(value);
                self.problem(path, WRONG_TYPE, format!("{what} is not a JSON value; {JSON_VALUES}"));
                Value::Null
            }
        }
    }

    /// A finite JS number as JSON: integers within ±(2^53−1) as integers, others as floats.
    pub fn number(&mut self, n: f64, path: &str) -> Option<Value> {
        if !n.is_finite() {
            self.problem(
                path,
                INVALID_VALUE,
                format!("{} is not a finite number; JSON has no NaN or infinity", js_number(n)),
            );
            return None;
        }
        if n.fract() == 0.0 {
            if n.abs() > MAX_SAFE_INTEGER {
                self.problem(
                    path,
                    INVALID_VALUE,
                    format!(
                        "{} is beyond ±(2^53−1), where a JS number no longer holds every integer; pass it as a string",
                        js_number(n)
                    ),
                );
                return None;
            }
            return Some(Value::from(n as i64));
        }
        Number::from_f64(n).map(Value::Number)
    }

    fn container(&mut self, value: sys::napi_value, path: &mut String, ancestors: &mut Vec<sys::napi_value>) -> Value {
        if let Some(ms) = self.date_ms(value) {
            return match rfc3339(ms) {
                Some(text) => Value::String(text),
                None => {
                    self.problem(path, INVALID_VALUE, "an invalid Date (its time is NaN)");
                    Value::Null
                }
            };
        }
        if let Some(at) = ancestors.iter().position(|a| self.same(*a, value)) {
            let whole =
                if at == 0 { "the whole value".to_string() } else { format!("an enclosing value (level {at})") };
            self.problem(
                path,
                INVALID_VALUE,
                format!("the value is cyclic: it contains {whole} again; JSON cannot hold cycles"),
            );
            return Value::Null;
        }
        if ancestors.len() >= MAX_DEPTH {
            self.problem(path, "too_deep", format!("the value nests deeper than {MAX_DEPTH} levels"));
            return Value::Null;
        }
        ancestors.push(value);
        let out =
            if self.is_array(value) { self.array(value, path, ancestors) } else { self.object(value, path, ancestors) };
        ancestors.pop();
        out
    }

    fn array(&mut self, value: sys::napi_value, path: &mut String, ancestors: &mut Vec<sys::napi_value>) -> Value {
        let mut len = 0u32;
        if let Err(why) = self.ok(unsafe { sys::napi_get_array_length(self.env, value, &mut len) }) {
            self.problem(path, INVALID_VALUE, why);
            return Value::Null;
        }
        let mut items = Vec::with_capacity((len as usize).min(1024));
        for i in 0..len {
            if self.budget == 0 {
                break;
            }
            let before = path.len();
            path.push_str(&format!("[{i}]"));
            let mut item = ptr::null_mut();
            match self.ok(unsafe { sys::napi_get_element(self.env, value, i, &mut item) }) {
                Ok(()) => items.push(self.json_at(item, path, ancestors)),
                Err(why) => self.problem(path, INVALID_VALUE, why),
            }
            path.truncate(before);
        }
        Value::Array(items)
    }

    fn object(&mut self, value: sys::napi_value, path: &mut String, ancestors: &mut Vec<sys::napi_value>) -> Value {
        match self.is_plain_object(value) {
            Ok(true) => {}
            Ok(false) => {
                let what = self.describe(value);
                self.problem(path, WRONG_TYPE, format!("{what} is not a JSON value; {JSON_VALUES}"));
                return Value::Null;
            }
            Err(why) => {
                self.problem(path, INVALID_VALUE, why);
                return Value::Null;
            }
        }
        let keys = match self.keys(value) {
            Ok(keys) => keys,
            Err(why) => {
                self.problem(path, INVALID_VALUE, why);
                return Value::Null;
            }
        };
        let mut map = Map::with_capacity(keys.len());
        for (Key { text: name, bad }, key) in keys {
            if self.budget == 0 {
                break;
            }
            let before = path.len();
            push_key(path, &name);
            if let Some(why) = bad {
                self.problem(path, INVALID_VALUE, format!("the key {}", why.trim_start_matches("it ")));
                path.truncate(before);
                continue;
            }
            match self.get(value, key) {
                Ok(item) if self.kind(item) == Kind::Undefined => {}
                Ok(item) => {
                    let v = self.json_at(item, path, ancestors);
                    map.insert(name, v);
                }
                Err(why) => self.problem(path, INVALID_VALUE, why),
            }
            path.truncate(before);
        }
        Value::Object(map)
    }

    /// Reads a plain object's own keys for an options reader: the value of each known key (by
    /// position in `known`), and a problem for every other key.
    pub fn fields(&mut self, object: sys::napi_value, path: &str, known: &[String]) -> Vec<Option<sys::napi_value>> {
        let mut values = vec![None; known.len()];
        let keys = match self.keys(object) {
            Ok(keys) => keys,
            Err(why) => {
                self.problem(path, INVALID_VALUE, why);
                return values;
            }
        };
        for (Key { text: name, bad }, key) in keys {
            let at = join(path, &name);
            if bad.is_some() {
                self.problem(&at, UNKNOWN_FIELD, "is not a known option here (its name is not valid Unicode)");
                continue;
            }
            match known.iter().position(|k| *k == name) {
                Some(i) => match self.get(object, key) {
                    Ok(v) => values[i] = Some(v),
                    Err(why) => self.problem(&at, INVALID_VALUE, why),
                },
                None => {
                    let valid = known.join(", ");
                    self.problem(
                        &at,
                        UNKNOWN_FIELD,
                        format!("{} is not a known option here; valid: {valid}", quote(&name)),
                    );
                }
            }
        }
        values
    }

    /// Checks that `value` is a plain object (an options object), else records a problem saying
    /// what was expected.
    pub fn plain_object(&mut self, value: sys::napi_value, path: &str, expected: &str) -> bool {
        let plain = self.kind(value) == Kind::Object
            && !self.is_array(value)
            && self.date_ms(value).is_none()
            && self.is_plain_object(value).unwrap_or(false);
        if !plain {
            let what = self.describe(value);
            self.problem(path, WRONG_TYPE, format!("expected {expected}, got {what}"));
        }
        plain
    }

    /// Records that `value` is not what was expected.
    pub fn wrong_type(&mut self, value: sys::napi_value, path: &str, expected: &str) {
        let what = self.describe(value);
        self.problem(path, WRONG_TYPE, format!("expected {expected}, got {what}"));
    }
}

/// An object key as read: its text, and why it is not valid Unicode (if so).
pub struct Key {
    /// The key (lone surrogates as U+FFFD).
    pub text: String,
    /// Why the key is refused.
    pub bad: Option<String>,
}

/// What the JSON readers accept, for messages.
const JSON_VALUES: &str =
    "use null, booleans, finite numbers, strings, arrays and plain objects (Dates become RFC 3339 text)";

/// `path.key` (or `key` at the top).
pub fn join(path: &str, key: &str) -> String {
    let mut out = path.to_string();
    push_key(&mut out, key);
    out
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// A JS number as JS prints it (`NaN`, `Infinity`, `1e+300`, `42`).
pub(crate) fn js_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        format!("{n:e}")
    }
}

/// Text in double quotes, cut to 60 characters.
pub fn quote(text: &str) -> String {
    let cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() { format!("{:?}…", cut) } else { format!("{cut:?}") }
}

fn article(name: &str) -> String {
    let vowel = name.chars().next().is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// Milliseconds since the epoch as RFC 3339 text with milliseconds (`JSON.stringify`'s form).
pub fn rfc3339(ms: f64) -> Option<String> {
    let at = millis(ms)?;
    Some(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Milliseconds since the epoch as a time.
pub fn millis(ms: f64) -> Option<DateTime<Utc>> {
    if !ms.is_finite() {
        return None;
    }
    DateTime::from_timestamp_millis(ms as i64)
}

/// `snake_case` → `camelCase` (`input_set_version` → `inputSetVersion`).
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

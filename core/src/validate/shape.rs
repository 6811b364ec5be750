//! The shape check: walks a parsed document against the JSON Schema generated from the model types
//! and reports *every* structural problem (unknown or missing fields, wrong types, values outside an
//! enum, bad ids/names/durations/patterns/expressions via `format`) with its path.
//!
//! serde stops at the first error; this pass exists so a definition author sees all problems at once,
//! and so the messages can list what would be valid (the fields of the object, the enum values).
//! It stops once it has found more than [`MAX_PROBLEMS`] problems (the list is cut there anyway).
//! The schema is the one published as `core/schema/process.schema.json`, so the editor's view of the
//! format and the validator's never drift apart.

use super::{codes, path, rules};
use crate::Problem;
use crate::model::limits::MAX_PROBLEMS;
use serde_json::{Map, Value};

/// Checks `value` against `schema` (a schemars root schema with `$defs`), appending problems.
pub fn check(value: &Value, schema: &Value, out: &mut Vec<Problem>) {
    let walker = Walker { root: schema };
    walker.walk(value, schema, "", "the process", out);
}

struct Walker<'a> {
    root: &'a Value,
}

impl<'a> Walker<'a> {
    fn resolve(&self, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or(r);
                let target = self.root.get("$defs").and_then(|d| d.get(name)).unwrap_or(&Value::Null);
                (target, Some(name))
            }
            None => (schema, None),
        }
    }

    fn walk(&self, v: &Value, schema: &'a Value, at: &str, what: &str, out: &mut Vec<Problem>) {
        if out.len() > MAX_PROBLEMS {
            return; // the list is cut there anyway
        }
        let (schema, name) = self.resolve(schema);
        let what_owned;
        let what = match name {
            // A named field keeps its name in messages (`timeout`, not "a duration").
            Some(_) if what.starts_with('`') => what,
            Some(n) => {
                what_owned = describe_def(n);
                what_owned.as_str()
            }
            None => what,
        };
        if let Some(branches) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array) {
            return self.walk_alternatives(v, branches, at, what, out);
        }
        if let Some(types) = schema.get("type") {
            if !type_matches(v, types) {
                out.push(Problem::new(
                    at,
                    codes::WRONG_TYPE,
                    format!("expected {} for {what}, found {}", expected_type(schema, types), describe_value(v)),
                ));
                return;
            }
        }
        if v.is_null() {
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(v) {
                let list: Vec<String> = allowed.iter().filter(|a| !a.is_null()).map(show).collect();
                out.push(Problem::new(
                    at,
                    codes::INVALID_VALUE,
                    format!("{} is not a valid {what}; expected one of: {}", show(v), list.join(", ")),
                ));
                return;
            }
        }
        if let Some(c) = schema.get("const") {
            if c != v {
                out.push(Problem::new(at, codes::INVALID_VALUE, format!("expected {}, found {}", show(c), show(v))));
                return;
            }
        }
        if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64()) {
            if n < min {
                out.push(Problem::new(at, codes::INVALID_VALUE, format!("{n} is below the minimum {min} for {what}")));
            }
        }
        if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_f64), v.as_f64()) {
            if n > max {
                out.push(Problem::new(at, codes::INVALID_VALUE, format!("{n} is above the maximum {max} for {what}")));
            }
        }
        if let (Some(format), Some(s)) = (schema.get("format").and_then(Value::as_str), v.as_str()) {
            if let Some(p) = rules::check_format(format, s, at) {
                out.push(p);
            }
        }
        match v {
            Value::Object(map) => self.walk_object(map, schema, at, what, out),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    let item_what = singular(what);
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item, item_schema, &path::index(at, i), &item_what, out);
                    }
                }
            }
            _ => {}
        }
    }

    fn walk_alternatives(&self, v: &Value, branches: &'a [Value], at: &str, what: &str, out: &mut Vec<Problem>) {
        let non_null: Vec<&Value> =
            branches.iter().filter(|b| b.get("type").and_then(Value::as_str) != Some("null")).collect();
        if v.is_null() && non_null.len() < branches.len() {
            return;
        }
        if let [only] = non_null.as_slice() {
            return self.walk(v, only, at, what, out);
        }
        // An enum whose variants are documented comes out as one `const` branch per value.
        let consts: Vec<&Value> = non_null.iter().filter_map(|b| b.get("const")).collect();
        if consts.len() == non_null.len() {
            if !consts.contains(&v) {
                let list: Vec<String> = consts.iter().map(|c| show(c)).collect();
                let found = if v.is_string() { show(v) } else { describe_value(v) };
                out.push(Problem::new(
                    at,
                    codes::INVALID_VALUE,
                    format!("{found} is not a valid value for {what}; expected one of: {}", list.join(", ")),
                ));
            }
            return;
        }
        let mut best: Option<Vec<Problem>> = None;
        for b in &non_null {
            let mut trial = Vec::new();
            self.walk(v, b, at, what, &mut trial);
            if trial.is_empty() {
                return;
            }
            // Prefer a branch whose problems lie deeper inside the value (its type matched).
            let deeper = trial.iter().any(|p| p.path != at);
            if deeper && best.is_none() {
                best = Some(trial);
            }
        }
        match best {
            Some(problems) => out.extend(problems),
            None => {
                let options: Vec<String> = non_null.iter().map(|b| self.describe_schema(b)).collect();
                out.push(Problem::new(
                    at,
                    codes::WRONG_TYPE,
                    format!("expected {} for {what}, found {}", options.join(" or "), describe_value(v)),
                ));
            }
        }
    }

    fn walk_object(&self, map: &Map<String, Value>, schema: &'a Value, at: &str, what: &str, out: &mut Vec<Problem>) {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    out.push(Problem::new(path::field(at, r), codes::MISSING_FIELD, format!("{what} needs `{r}`")));
                }
            }
        }
        let additional = schema.get("additionalProperties");
        for (key, value) in map {
            let child_at = path::field(at, key);
            if let Some(prop_schema) = props.and_then(|p| p.get(key)) {
                self.walk(value, prop_schema, &child_at, &describe_field(key), out);
                continue;
            }
            match additional {
                Some(Value::Bool(false)) => {
                    let valid: Vec<&str> = props.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
                    let hint =
                        super::hints::suggest(key, &valid).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                    out.push(Problem::new(
                        child_at,
                        codes::UNKNOWN_FIELD,
                        format!("unknown field `{key}` in {what}; {hint}valid fields: {}", valid.join(", ")),
                    ));
                }
                Some(s @ Value::Object(_)) => self.walk(value, s, &child_at, &format!("`{key}`"), out),
                _ => {}
            }
        }
    }

    fn describe_schema(&self, schema: &'a Value) -> String {
        let (s, name) = self.resolve(schema);
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            return e.iter().filter(|x| !x.is_null()).map(show).collect::<Vec<_>>().join(" or ");
        }
        if let Some(branches) = s.get("oneOf").or_else(|| s.get("anyOf")).and_then(Value::as_array) {
            return branches.iter().map(|b| self.describe_schema(b)).collect::<Vec<_>>().join(" or ");
        }
        if let Some(c) = s.get("const") {
            return show(c);
        }
        match (s.get("type"), name) {
            (Some(t), _) => expected_type(s, t),
            (None, Some(n)) => describe_def(n),
            _ => "a value".to_string(),
        }
    }
}

fn type_matches(v: &Value, types: &Value) -> bool {
    let one = |t: &str| match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    };
    match types {
        Value::String(t) => one(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

fn expected_type(schema: &Value, types: &Value) -> String {
    match schema.get("format").and_then(Value::as_str) {
        Some("duration") => return "a duration string such as `30m`, `2d` or `1d 12h`".to_string(),
        Some("duration_or_expression") => {
            return "a duration string such as `30m`, `2d` or `1d 12h`, or an expression `${…}` giving one".to_string();
        }
        _ => {}
    }
    let name = |t: &str| match t {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "true or false",
        "null" => "nothing",
        _ => "a value",
    };
    match types {
        Value::String(t) => name(t).to_string(),
        Value::Array(ts) => {
            ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").map(name).collect::<Vec<_>>().join(" or ")
        }
        _ => "a value".to_string(),
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", show(&Value::String(s.clone()))),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() > 60 => format!("`{}…`", s.chars().take(60).collect::<String>()),
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn describe_def(name: &str) -> String {
    match name {
        "Process" => "the process".to_string(),
        "InputDef" => "an input definition".to_string(),
        "FieldDef" => "a field definition".to_string(),
        "RetryPolicy" => "a retry policy".to_string(),
        "MinApprovals" => "min_approvals".to_string(),
        "Duration" => "a duration".to_string(),
        other => {
            let mut words = String::new();
            for (i, c) in other.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    words.push(' ');
                }
                words.push(c.to_ascii_lowercase());
            }
            let article = if words.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            format!("{article} {words}")
        }
    }
}

fn describe_field(key: &str) -> String {
    format!("`{key}`")
}

fn singular(what: &str) -> String {
    format!("an item of {what}")
}

//! Rules for input definitions: names, constraints that fit the type, defaults that pass their own
//! constraints. The same checks validate release input values (see [`check_value`]): `pattern`s
//! are compiled once and kept (at most 128, by their text), and a list checked against a long
//! `allowed` list is looked up in an index, so checking a value costs time linear in its size.

use super::{codes, hints, path, rules};
use crate::Problem;
use crate::model::{InputDef, InputType};
use indexmap::IndexMap;
use regex::Regex;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

/// Checks every input definition of a process.
pub fn check_definitions(inputs: &IndexMap<String, InputDef>, out: &mut Vec<Problem>) {
    for (name, def) in inputs {
        let at = path::field("inputs", name);
        if !rules::is_name(name) {
            out.push(rules::bad_name(name, &at));
        }
        check_definition(name, def, &at, out);
    }
}

/// A lower and an upper bound named `names`: `misplaced` (why the type takes no such bounds) against
/// the one that is set, and an empty range (no `what` could pass) when the lower is above the upper.
fn check_bounds<T: PartialOrd + std::fmt::Display>(
    bad: &mut impl FnMut(&str, String),
    [lo_name, hi_name]: [&str; 2],
    (lo, hi): (Option<T>, Option<T>),
    misplaced: Option<String>,
    what: &str,
) {
    if let Some(why) = misplaced.filter(|_| lo.is_some() || hi.is_some()) {
        bad(if lo.is_some() { lo_name } else { hi_name }, why);
    }
    if let (Some(lo), Some(hi)) = (lo, hi) {
        if lo > hi {
            bad(lo_name, format!("{lo_name} {lo} is greater than {hi_name} {hi}; no {what} could pass"));
        }
    }
}

fn check_definition(name: &str, def: &InputDef, at: &str, out: &mut Vec<Problem>) {
    let ty = def.ty;
    let item_ty = def.items.unwrap_or(InputType::String);
    let mut bad = |field: &str, msg: String| out.push(Problem::new(path::field(at, field), codes::BAD_CONSTRAINT, msg));
    if def.items.is_some() && ty != InputType::List {
        bad("items", format!("`items` only applies to list inputs; `{name}` is a {}", ty.as_str()));
    }
    if matches!(def.items, Some(InputType::List | InputType::Object)) {
        bad("items", "list items must be a scalar type (string, number, boolean, secret, service, environment, infrastructure, connector)".to_string());
    }
    let value_ty = if ty == InputType::List { item_ty } else { ty };
    if def.pattern.is_some() && !value_ty.is_textual() {
        bad("pattern", format!("`pattern` applies to text values; `{name}` holds {} values", value_ty.as_str()));
    }
    let misplaced = (value_ty != InputType::Number)
        .then(|| format!("`min`/`max` apply to numbers; `{name}` holds {} values", value_ty.as_str()));
    check_bounds(&mut bad, ["min", "max"], (def.min, def.max), misplaced, "value");
    let misplaced = (ty != InputType::List)
        .then(|| format!("`min_items`/`max_items` apply to lists; `{name}` is a {}", ty.as_str()));
    check_bounds(&mut bad, ["min_items", "max_items"], (def.min_items, def.max_items), misplaced, "list");
    if ty == InputType::Secret && (!def.allowed.is_empty() || def.pattern.is_some()) {
        bad("allowed", "secret inputs hold references; `allowed` and `pattern` cannot apply to them".to_string());
    }
    for (i, v) in def.allowed.iter().enumerate() {
        if !value_ty.accepts(v) {
            out.push(Problem::new(
                path::index(&path::field(at, "allowed"), i),
                codes::BAD_CONSTRAINT,
                format!("allowed value {v} is not a {}", value_ty.as_str()),
            ));
        }
    }
    if let Some(default) = &def.default {
        let mut inner = Vec::new();
        check_value(def, default, &path::field(at, "default"), &mut inner);
        for p in inner {
            out.push(Problem::new(
                p.path,
                codes::BAD_DEFAULT,
                format!("the default of `{name}` fails its own definition: {}", p.message),
            ));
        }
    }
}

/// Checks one value against an input definition, appending `invalid_value`/`wrong_type` problems.
/// Every failed constraint is reported, not just the first.
pub fn check_value(def: &InputDef, value: &Value, at: &str, out: &mut Vec<Problem>) {
    if !def.ty.accepts(value) {
        let message = if def.ty == InputType::Secret {
            // Never echo what was given: it may be the secret itself.
            "expected a `secret://name` reference; the value given is not one (it is not shown)".to_string()
        } else {
            format!("expected a {}, found {value}", def.ty.as_str())
        };
        out.push(Problem::new(at, codes::WRONG_TYPE, message));
        return;
    }
    if def.ty == InputType::List {
        let items = value.as_array().map(Vec::as_slice).unwrap_or(&[]);
        let n = items.len() as u64;
        if let Some(lo) = def.min_items.filter(|lo| n < *lo) {
            out.push(Problem::new(at, codes::INVALID_VALUE, format!("has {n} item(s); at least {lo} needed")));
        }
        if let Some(hi) = def.max_items.filter(|hi| n > *hi) {
            out.push(Problem::new(at, codes::INVALID_VALUE, format!("has {n} item(s); at most {hi} allowed")));
        }
        let item_ty = def.items.unwrap_or(InputType::String);
        let allowed = Allowed::new(&def.allowed, items.len());
        let pattern = def.pattern.as_deref().and_then(cached_pattern);
        for (i, item) in items.iter().enumerate() {
            let iat = path::index(at, i);
            if !item_ty.accepts(item) {
                out.push(Problem::new(
                    iat,
                    codes::WRONG_TYPE,
                    format!("expected a {}, found {item}", item_ty.as_str()),
                ));
            } else {
                check_scalar(def, item, &iat, &allowed, pattern.as_deref(), out);
            }
        }
    } else {
        let pattern = def.pattern.as_deref().and_then(cached_pattern);
        check_scalar(def, value, at, &Allowed::new(&def.allowed, 1), pattern.as_deref(), out);
    }
}

fn check_scalar(
    def: &InputDef,
    value: &Value,
    at: &str,
    allowed: &Allowed<'_>,
    pattern: Option<&Regex>,
    out: &mut Vec<Problem>,
) {
    if !def.allowed.is_empty() && !allowed.contains(value) {
        let list: Vec<String> = def.allowed.iter().take(hints::MAX_LISTED).map(Value::to_string).collect();
        let list = hints::bounded_list(list.iter().map(String::as_str), def.allowed.len(), false);
        out.push(Problem::new(at, codes::INVALID_VALUE, format!("{value} is not allowed; allowed: {list}")));
    }
    if let (Some(text), Some(re), Some(s)) = (&def.pattern, pattern, value.as_str()) {
        if !re.is_match(s) {
            out.push(Problem::new(at, codes::INVALID_VALUE, format!("`{s}` does not match the pattern `{text}`")));
        }
    }
    if let Some(n) = value.as_f64() {
        if let Some(lo) = def.min.filter(|lo| n < *lo) {
            out.push(Problem::new(at, codes::INVALID_VALUE, format!("{n} is below the minimum {lo}")));
        }
        if let Some(hi) = def.max.filter(|hi| n > *hi) {
            out.push(Problem::new(at, codes::INVALID_VALUE, format!("{n} is above the maximum {hi}")));
        }
    }
}

/// Most compiled `pattern`s kept; the cache is emptied when it is full.
const PATTERN_CACHE_ENTRIES: usize = 128;

/// Compiled `pattern`s by their text (`None`: it does not compile). Release inputs and manual
/// fields are checked again and again against the same few patterns, and compiling one costs far
/// more than matching it.
/// Shared (not cloned: a cloned `Regex` starts with an empty pool of matching caches).
static PATTERNS: LazyLock<Mutex<HashMap<String, Option<Arc<Regex>>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The compiled `pattern`, from the cache when it is there.
fn cached_pattern(pattern: &str) -> Option<Arc<Regex>> {
    if let Some(hit) = PATTERNS.lock().ok().and_then(|m| m.get(pattern).cloned()) {
        return hit;
    }
    let compiled = rules::compile_pattern(pattern).ok().map(Arc::new);
    if let Ok(mut m) = PATTERNS.lock() {
        if m.len() >= PATTERN_CACHE_ENTRIES {
            m.clear();
        }
        m.insert(pattern.to_string(), compiled.clone());
    }
    compiled
}

/// The `allowed` values of a definition, with an index of the scalar ones when many values are
/// checked against many allowed ones (so a long list is not compared item by item with a long list).
struct Allowed<'d> {
    values: &'d [Value],
    scalars: Option<HashSet<Scalar<'d>>>,
}

/// A scalar JSON value, hashable, equal exactly when the values are equal.
#[derive(PartialEq, Eq, Hash)]
enum Scalar<'d> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(u64),
    Text(&'d str),
}

impl<'d> Scalar<'d> {
    fn of(v: &'d Value) -> Option<Self> {
        Some(match v {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::String(s) => Scalar::Text(s),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) if n.is_u64() => Scalar::Unsigned(u),
                (_, Some(i), _) if n.is_i64() => Scalar::Signed(i),
                // 0.0 and -0.0 are equal numbers.
                (_, _, Some(f)) => Scalar::Float(if f == 0.0 { 0 } else { f.to_bits() }),
                _ => return None,
            },
            _ => return None,
        })
    }
}

impl<'d> Allowed<'d> {
    fn new(values: &'d [Value], checks: usize) -> Self {
        let worth_it = values.len() > 8 && checks > 8 && values.iter().all(|v| Scalar::of(v).is_some());
        let scalars = worth_it.then(|| values.iter().filter_map(Scalar::of).collect());
        Allowed { values, scalars }
    }

    fn contains(&self, v: &Value) -> bool {
        match (&self.scalars, Scalar::of(v)) {
            (Some(set), Some(key)) => set.contains(&key),
            (Some(_), None) => false,
            (None, _) => self.values.contains(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_checks_report_every_failed_constraint() {
        let mut def = InputDef::of(InputType::List);
        def.max_items = Some(1);
        def.allowed = vec![Value::from("a"), Value::from("b")];
        let mut out = Vec::new();
        check_value(&def, &serde_json::json!(["a", "z", 3]), "inputs.x", &mut out);
        let got: Vec<(&str, &str)> = out.iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
        assert_eq!(
            got,
            vec![("inputs.x", "invalid_value"), ("inputs.x[1]", "invalid_value"), ("inputs.x[2]", "wrong_type")]
        );
    }

    #[test]
    fn secrets_must_be_references() {
        let def = InputDef::of(InputType::Secret);
        let mut out = Vec::new();
        check_value(&def, &Value::from("hunter2"), "inputs.token", &mut out);
        assert_eq!(out[0].code, "wrong_type");
        assert!(out[0].message.contains("secret://"));
        assert!(!out[0].message.contains("hunter2"));
        out.clear();
        check_value(&def, &Value::from("secret://api-token"), "inputs.token", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn bounds_that_do_not_fit_the_type_or_leave_no_value_are_named() {
        let mut number = InputDef::of(InputType::Number);
        (number.min, number.max, number.max_items) = (Some(5.0), Some(1.0), Some(2));
        let mut list = InputDef::of(InputType::List);
        (list.max, list.min_items, list.max_items) = (Some(3.0), Some(4), Some(2));
        let cases = [
            (
                number,
                [
                    "inputs.x.min: min 5 is greater than max 1; no value could pass",
                    "inputs.x.max_items: `min_items`/`max_items` apply to lists; `x` is a number",
                ],
            ),
            (
                list,
                [
                    "inputs.x.max: `min`/`max` apply to numbers; `x` holds string values",
                    "inputs.x.min_items: min_items 4 is greater than max_items 2; no list could pass",
                ],
            ),
        ];
        for (def, want) in cases {
            let mut out = Vec::new();
            check_definition("x", &def, "inputs.x", &mut out);
            let got: Vec<_> = out.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
            assert_eq!(got, want);
        }
    }
}

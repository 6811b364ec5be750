//! Rules for input definitions: names, constraints that fit the type, defaults that pass their own
//! constraints. The same checks validate release input values (see [`check_value`]).

use super::{codes, path, rules};
use crate::Problem;
use crate::model::{InputDef, InputType};
use indexmap::IndexMap;
use serde_json::Value;

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
    if (def.min.is_some() || def.max.is_some()) && value_ty != InputType::Number {
        bad(
            if def.min.is_some() { "min" } else { "max" },
            format!("`min`/`max` apply to numbers; `{name}` holds {} values", value_ty.as_str()),
        );
    }
    if let (Some(lo), Some(hi)) = (def.min, def.max) {
        if lo > hi {
            bad("min", format!("min {lo} is greater than max {hi}; no value could pass"));
        }
    }
    if (def.min_items.is_some() || def.max_items.is_some()) && ty != InputType::List {
        bad(
            if def.min_items.is_some() { "min_items" } else { "max_items" },
            format!("`min_items`/`max_items` apply to lists; `{name}` is a {}", ty.as_str()),
        );
    }
    if let (Some(lo), Some(hi)) = (def.min_items, def.max_items) {
        if lo > hi {
            bad("min_items", format!("min_items {lo} is greater than max_items {hi}; no list could pass"));
        }
    }
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
        for (i, item) in items.iter().enumerate() {
            let iat = path::index(at, i);
            if !item_ty.accepts(item) {
                out.push(Problem::new(
                    iat,
                    codes::WRONG_TYPE,
                    format!("expected a {}, found {item}", item_ty.as_str()),
                ));
            } else {
                check_scalar(def, item, &iat, out);
            }
        }
    } else {
        check_scalar(def, value, at, out);
    }
}

fn check_scalar(def: &InputDef, value: &Value, at: &str, out: &mut Vec<Problem>) {
    if !def.allowed.is_empty() && !def.allowed.contains(value) {
        let list: Vec<String> = def.allowed.iter().map(Value::to_string).collect();
        out.push(Problem::new(
            at,
            codes::INVALID_VALUE,
            format!("{value} is not allowed; allowed: {}", list.join(", ")),
        ));
    }
    if let (Some(pattern), Some(s)) = (&def.pattern, value.as_str()) {
        if let Ok(re) = rules::compile_pattern(pattern) {
            if !re.is_match(s) {
                out.push(Problem::new(
                    at,
                    codes::INVALID_VALUE,
                    format!("`{s}` does not match the pattern `{pattern}`"),
                ));
            }
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
}

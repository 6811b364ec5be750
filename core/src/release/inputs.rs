//! Release inputs: merging defaults, an input set and explicit overrides, and checking them against
//! the process's input definitions.
//!
//! At create and update (drafts may be incomplete) unknown names and bad values are refused; at
//! schedule and activate every required input must also be present. Every problem is reported at
//! once as an `invalid_input` error.

use super::ReleaseState;
use crate::model::{InputType, Process};
use crate::validate::codes;
use crate::validate::{check_input_value, path};
use crate::{Error, Problem, Result};
use indexmap::IndexMap;
use serde_json::Value;

/// `inputs = process defaults ⊕ input set ⊕ overrides` (rightmost wins; a `null` override removes
/// a value so the default applies again).
pub fn merge(
    process: &Process,
    input_set: Option<&IndexMap<String, Value>>,
    overrides: &IndexMap<String, Value>,
) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    for (name, def) in &process.inputs {
        if let Some(d) = &def.default {
            out.insert(name.clone(), d.clone());
        }
    }
    for layer in input_set.into_iter().chain(std::iter::once(overrides)) {
        for (k, v) in layer {
            if v.is_null() {
                match process.inputs.get(k).and_then(|d| d.default.clone()) {
                    Some(d) => out.insert(k.clone(), d),
                    None => out.shift_remove(k),
                };
            } else {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// Checks inputs against the process. `complete` also requires every required input.
pub fn check(process: &Process, inputs: &IndexMap<String, Value>, complete: bool) -> Result<()> {
    let mut problems = Vec::new();
    for (name, value) in inputs {
        let at = path::field("inputs", name);
        match process.inputs.get(name) {
            None => {
                let known: Vec<&str> = process.inputs.keys().map(String::as_str).collect();
                let valid = if known.is_empty() {
                    "it declares none".to_string()
                } else {
                    format!("it declares: {}", known.join(", "))
                };
                problems.push(Problem::new(
                    at,
                    codes::UNKNOWN_INPUT,
                    format!("process `{}` has no input `{name}`; {valid}", process.id),
                ));
            }
            Some(def) => check_input_value(def, value, &at, &mut problems),
        }
    }
    if complete {
        for (name, def) in &process.inputs {
            if def.is_required() && !inputs.contains_key(name) {
                problems.push(Problem::new(
                    path::field("inputs", name),
                    codes::MISSING_INPUT,
                    format!(
                        "input `{name}` ({}) is required before the release can be scheduled or activated",
                        def.ty.as_str()
                    ),
                ));
            }
        }
    }
    Error::invalid_input_or(problems, ())
}

/// The values of a release's inputs of type `ty` (or lists of `ty`), sorted and deduplicated: the
/// services and environments a release touches, for its index row, the calendar and conflicts.
pub fn values_of_type(state: &ReleaseState, ty: InputType) -> Vec<String> {
    let Some(plan) = state.plan.as_ref() else { return Vec::new() };
    let mut out = Vec::new();
    for (name, def) in &plan.process.inputs {
        if !(def.ty == ty || (def.ty == InputType::List && def.items == Some(ty))) {
            continue;
        }
        match state.inputs.get(name) {
            Some(serde_json::Value::String(s)) => out.push(s.clone()),
            Some(serde_json::Value::Array(items)) => {
                out.extend(items.iter().filter_map(|v| v.as_str().map(String::from)))
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

//! Release inputs: merging defaults, an input set and explicit overrides, and checking them against
//! the process's input definitions.
//!
//! At create and update (drafts may be incomplete) unknown names and bad values are refused; at
//! schedule and activate every required input must also be present. Every problem is reported at
//! once as an `invalid_input` error.

use crate::model::Process;
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

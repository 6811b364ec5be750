//! Expression checks over a whole definition: every `${...}` in every string value (variables,
//! `with`, phase outputs, names, approvers, `until`) must parse as CEL within the sandbox limits,
//! and variable names must be identifiers. Shadowed variables are warnings.

use super::path::At;
use super::{codes, path, rules};
use crate::Problem;
use crate::model::limits::MAX_PROBLEMS;
use crate::model::{Activity, Phase, Process, WaitDuration};
use indexmap::IndexMap;
use serde_json::Value;

/// Checks every template string of the process. Appends errors to `out`, warnings to `warnings`.
pub fn check(process: &Process, out: &mut Vec<Problem>, warnings: &mut Vec<Problem>) {
    check_opt_text(process.name.as_deref(), "name", out);
    check_variables(&process.variables, "variables", out);
    for (list, phases) in [("phases", &process.phases), ("rollback", &process.rollback)] {
        for (i, phase) in phases.iter().enumerate() {
            let at = path::index(list, i);
            check_phase(process, phase, &at, out, warnings);
        }
    }
}

fn check_phase(process: &Process, phase: &Phase, at: &str, out: &mut Vec<Problem>, warnings: &mut Vec<Problem>) {
    check_opt_text(phase.name.as_deref(), &path::field(at, "name"), out);
    let vat = path::field(at, "variables");
    check_variables(&phase.variables, &vat, out);
    for name in phase.variables.keys() {
        if process.variables.contains_key(name) {
            warnings.push(shadow(
                name,
                &path::field(&vat, name),
                &format!("phase `{}`", phase.id),
                "the global variable",
            ));
        }
    }
    for (name, value) in &phase.outputs {
        let oat = path::field(&path::field(at, "outputs"), name);
        if !rules::is_name(name) {
            out.push(rules::bad_name(name, &oat));
        }
        check_value(value, &oat, out);
    }
    for (j, activity) in phase.activities.iter().enumerate() {
        check_activity(process, phase, activity, &path::index(&path::field(at, "activities"), j), out, warnings);
    }
}

fn check_activity(
    process: &Process,
    phase: &Phase,
    a: &Activity,
    at: &str,
    out: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) {
    check_opt_text(a.name.as_deref(), &path::field(at, "name"), out);
    let vat = path::field(at, "variables");
    check_variables(&a.variables, &vat, out);
    for name in a.variables.keys() {
        let outer = if phase.variables.contains_key(name) {
            Some(format!("the variable of phase `{}`", phase.id))
        } else if process.variables.contains_key(name) {
            Some("the global variable".to_string())
        } else {
            None
        };
        if let Some(outer) = outer {
            warnings.push(shadow(name, &path::field(&vat, name), &format!("activity `{}`", a.id), &outer));
        }
    }
    for (key, value) in &a.with {
        check_value(value, &path::field(&path::field(at, "with"), key), out);
    }
    for (list, approvers) in [("approvers", &a.approvers), ("escalate_to", &a.escalate_to)] {
        for (i, ap) in approvers.iter().enumerate() {
            let aat = path::index(&path::field(at, list), i);
            check_opt_text(ap.user.as_deref(), &path::field(&aat, "user"), out);
            check_opt_text(ap.group.as_deref(), &path::field(&aat, "group"), out);
        }
    }
    check_opt_text(a.until.as_ref().and_then(|u| u.as_time()), &path::field(at, "until"), out);
    for (i, t) in a.targets.iter().enumerate() {
        let tat = path::index(&path::field(at, "targets"), i);
        check_opt_text(t.release.as_deref(), &path::field(&tat, "release"), out);
        check_opt_text(t.occurrence.as_deref(), &path::field(&tat, "occurrence"), out);
    }
    if let Some(records) = &a.records {
        for (field, text) in records.fields() {
            check_opt_text(Some(text), &path::field(&path::field(at, "records"), field), out);
        }
    }
    if let Some(WaitDuration::Expression(text)) = &a.duration {
        check_opt_text(Some(text), &path::field(at, "duration"), out);
    }
}

fn shadow(name: &str, at: &str, inner: &str, outer: &str) -> Problem {
    Problem::new(
        at,
        codes::SHADOWED_VARIABLE,
        format!(
            "variable `{name}` of {inner} hides {outer} of the same name; inside {inner}, `vars.{name}` means this one"
        ),
    )
}

fn check_variables(vars: &IndexMap<String, Value>, at: &str, out: &mut Vec<Problem>) {
    for (name, value) in vars {
        let vat = path::field(at, name);
        if !rules::is_name(name) {
            out.push(rules::bad_name(name, &vat));
        }
        check_value(value, &vat, out);
    }
}

fn check_opt_text(text: Option<&str>, at: &str, out: &mut Vec<Problem>) {
    if let Some(t) = text {
        check_text(t, &At::Root(at), out);
    }
}

fn check_text(text: &str, at: &At<'_>, out: &mut Vec<Problem>) {
    if out.len() > MAX_PROBLEMS || !crate::expr::template::has_interpolation(text) {
        return;
    }
    for message in crate::expr::check_template(text) {
        out.push(Problem::new(at.render(), codes::INVALID_EXPRESSION, message));
    }
}

/// Checks every string inside a JSON value (lists and mappings are walked; the path of a value is
/// written out only for a problem). Stops once more than [`MAX_PROBLEMS`] problems are known.
fn check_value(value: &Value, at: &str, out: &mut Vec<Problem>) {
    walk_value(value, &At::Root(at), out)
}

fn walk_value(value: &Value, at: &At<'_>, out: &mut Vec<Problem>) {
    if out.len() > MAX_PROBLEMS {
        return;
    }
    match value {
        Value::String(s) => check_text(s, at, out),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| walk_value(v, &At::Index(at, i), out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| walk_value(v, &At::Field(at, k), out)),
        _ => {}
    }
}

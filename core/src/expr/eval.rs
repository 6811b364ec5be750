//! Evaluating CEL expressions and `${...}` templates against a release.
//!
//! What an expression can read:
//!
//! | name | what | when |
//! |---|---|---|
//! | `inputs.<name>` | the release inputs | always |
//! | `vars.<name>` | variables in scope: global, then phase, then activity (innermost wins); a variable may use the ones defined before it | always |
//! | `phases.<id>.outputs.<name>` | a phase's `outputs:` (set when it ends) | always |
//! | `phases.<id>.activities.<id>.outputs.<name>` | an activity's outputs | always |
//! | `phases.<id>.status`, `phases.<id>.activities.<id>.status` | current status (`success`, `skipped`, …) | always |
//! | `activities.<id>.outputs.<name>` / `.status` | the activities of the current phase | inside a phase |
//! | `release.{id,name,kind,version,start,attempt}` | the release (`start`: RFC 3339) | always |
//! | `group.{name,occurrence}` | the release group that created the release (`null` when none) | always |
//!
//! Ids with `-` are reached with index syntax, `phases['branch-cut']`, or written plainly after
//! `phases.`/`activities.` (see [`super::compile`]). Only the names an expression mentions are
//! built, and `phases` only holds the phases it names (all of them only when it indexes `phases`
//! dynamically), so evaluating an expression costs nothing per phase of the process it ignores.
//! The values are bound without copying their strings ([`super::context`]), and the variables in
//! scope are computed once per call (one [`interpolate`]d value, one condition), however many of
//! its expressions read `vars`.
//!
//! Evaluation is sandboxed (see [`super`] for the limits); a failure is an error value naming the
//! expression and where it was evaluated (the caller fails the activity with `expression_error`),
//! never a panic.

use super::compile;
use super::context;
use super::template::{Segment as TextSegment, parse_template};
pub use super::value::{to_cel, to_json};
use super::{MAX_RENDERED_BYTES, MAX_RESULT_BYTES};
use crate::release::{Plan, ReleaseState};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::cell::OnceCell;
use std::sync::Arc;

/// Where an expression is evaluated: which release, and inside which phase/activity.
pub struct Scope<'a> {
    /// The release.
    pub state: &'a ReleaseState,
    /// The phase index, when evaluating inside a phase.
    pub phase: Option<usize>,
    /// The activity index (within `phase`), when evaluating inside an activity.
    pub activity: Option<usize>,
}

impl<'a> Scope<'a> {
    /// Release scope.
    pub fn release(state: &'a ReleaseState) -> Self {
        Scope { state, phase: None, activity: None }
    }

    /// Phase scope.
    pub fn phase(state: &'a ReleaseState, phase: usize) -> Self {
        Scope { state, phase: Some(phase), activity: None }
    }

    /// Activity scope.
    pub fn activity(state: &'a ReleaseState, phase: usize, activity: usize) -> Self {
        Scope { state, phase: Some(phase), activity: Some(activity) }
    }

    fn plan(&self) -> &Arc<Plan> {
        self.state.plan()
    }
}

/// How `vars` is provided to an expression.
#[derive(Clone, Copy)]
enum Vars<'m> {
    /// The variables in scope, computed when an expression first reads `vars`, then kept for
    /// the other expressions of the same call.
    InScope(&'m OnceCell<Map<String, Value>>),
    /// Use these (while the variables themselves are being computed).
    Given(&'m Map<String, Value>),
}

impl<'m> Vars<'m> {
    /// The variables, computing them if needed.
    fn get(self, scope: &Scope<'_>) -> Result<&'m Map<String, Value>, String> {
        match self {
            Vars::Given(vars) => Ok(vars),
            Vars::InScope(cell) => {
                if cell.get().is_none() {
                    let _ = cell.set(variables(scope)?);
                }
                cell.get().ok_or_else(|| "the variables in scope could not be kept".to_string())
            }
        }
    }
}

/// Evaluates a CEL condition (`if`); it must give a boolean.
pub fn eval_condition(source: &str, scope: &Scope<'_>) -> Result<bool, String> {
    match eval_in(source, scope, Vars::InScope(&OnceCell::new()))? {
        Value::Bool(b) => Ok(b),
        other => Err(format!("a condition must be true or false; `{source}` in {} gave {other}", location(scope))),
    }
}

/// Interpolates every string inside `value`: `${...}` parts are evaluated; a string that is exactly
/// one `${...}` takes the expression's typed value. What interpolation makes (rendered strings and
/// typed values, not the strings without `${`) is at most [`MAX_RENDERED_BYTES`] in all.
pub fn interpolate(value: &Value, scope: &Scope<'_>) -> Result<Value, String> {
    interpolate_with(value, scope, Vars::InScope(&OnceCell::new()), &mut Budget::new())
}

/// What is left of the bound on one rendered value ([`MAX_RENDERED_BYTES`]).
struct Budget {
    left: usize,
}

impl Budget {
    fn new() -> Self {
        Budget { left: MAX_RENDERED_BYTES }
    }

    /// Takes `n` bytes, before they are added; the error names the bound and what was rendered.
    fn take(&mut self, n: usize, text: &str, scope: &Scope<'_>) -> Result<(), String> {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(format!(
                "`{}` in {}: rendering gives more than {MAX_RENDERED_BYTES} bytes (1 MiB), the most one rendered \
                 value (an activity's `with:`, a phase output, a `wait` time, or the variables in scope) may hold",
                excerpt(text),
                location(scope)
            )),
        }
    }
}

/// The start of a long template, for messages.
fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn interpolate_with(
    value: &Value,
    scope: &Scope<'_>,
    with_vars: Vars<'_>,
    budget: &mut Budget,
) -> Result<Value, String> {
    match value {
        Value::String(s) if super::template::has_interpolation(s) => interpolate_str(s, scope, with_vars, budget),
        Value::Array(items) => items
            .iter()
            .map(|v| interpolate_with(v, scope, with_vars, budget))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| interpolate_with(v, scope, with_vars, budget).map(|v| (k.clone(), v)))
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

fn interpolate_str(text: &str, scope: &Scope<'_>, with_vars: Vars<'_>, budget: &mut Budget) -> Result<Value, String> {
    let segments = parse_template(text).map_err(|e| format!("`{}` in {}: {e}", excerpt(text), location(scope)))?;
    if let [TextSegment::Expr { source, .. }] = segments.as_slice() {
        if text.trim() == text {
            let (value, size) = eval_sized(source, scope, with_vars)?;
            budget.take(size, text, scope)?;
            return Ok(value);
        }
    }
    let mut out = String::new();
    for s in segments {
        match s {
            TextSegment::Text(t) => {
                budget.take(t.len(), text, scope)?;
                out.push_str(&t);
            }
            TextSegment::Expr { source, .. } => match eval_sized(&source, scope, with_vars)?.0 {
                Value::String(v) => {
                    budget.take(v.len(), text, scope)?;
                    out.push_str(&v);
                }
                Value::Null => {}
                other => {
                    let v = other.to_string();
                    budget.take(v.len(), text, scope)?;
                    out.push_str(&v);
                }
            },
        }
    }
    Ok(Value::String(out))
}

/// Evaluates one CEL expression to a JSON value, with the variables in scope.
pub fn eval_cel(source: &str, scope: &Scope<'_>) -> Result<Value, String> {
    eval_in(source, scope, Vars::InScope(&OnceCell::new()))
}

/// Where the scope is, for messages: `phase `beta``, `activity `beta/deploy``, `the release`.
fn location(scope: &Scope<'_>) -> String {
    let plan = scope.plan();
    match (scope.phase, scope.activity) {
        (Some(p), Some(a)) => format!("activity `{}/{}`", plan.phases[p].id, plan.phases[p].activities[a].id),
        (Some(p), None) => format!("phase `{}`", plan.phases[p].id),
        _ => "the release".to_string(),
    }
}

fn eval_in(source: &str, scope: &Scope<'_>, with_vars: Vars<'_>) -> Result<Value, String> {
    eval_sized(source, scope, with_vars).map(|(value, _)| value)
}

/// Evaluates `source`; the value and its size as JSON. Runs on the caller's thread, with enough
/// stack for the deepest expression the limits allow ([`compile::with_stack`]).
fn eval_sized(source: &str, scope: &Scope<'_>, with_vars: Vars<'_>) -> Result<(Value, usize), String> {
    let located = |message: String| format!("`{source}` in {}: {message}", location(scope));
    let program = compile::cached(source).map_err(located)?;
    let result = compile::with_stack(compile::EVAL_STACK_BYTES, || {
        let mut ctx = super::functions::context();
        context::bind(&mut ctx, &program, scope, || with_vars.get(scope))?;
        let value = cel::Value::resolve(&program.ast, &ctx).map_err(|e| e.to_string())?;
        let json = to_json(&value)?;
        context::check_size("the result", [&json])?;
        Ok::<_, String>(json)
    })
    .map_err(located)?
    .map_err(located)?;
    let size = serde_json::to_string(&result).map(|s| s.len()).unwrap_or(0);
    if size > MAX_RESULT_BYTES {
        return Err(located(format!("the result is larger than {MAX_RESULT_BYTES} bytes")));
    }
    Ok((result, size))
}

/// The variables in scope, evaluated in definition order (global, phase, activity): each may use
/// the ones before it through `vars`. The variables rendered here are at most
/// [`MAX_RENDERED_BYTES`] together (as for one [`interpolate`]d value).
pub fn variables(scope: &Scope<'_>) -> Result<Map<String, Value>, String> {
    let plan = scope.plan();
    let state = scope.state;
    let mut vars = Map::new();
    let budget = &mut Budget::new();
    // Global variables are evaluated once at activation and phase variables once when the phase
    // starts; both are recorded in those events and used from the state afterwards, so a later
    // evaluation (or a replay) never computes them again.
    if state.started_at.is_some() {
        vars.extend(state.variables.iter().map(|(k, v)| (k.clone(), v.clone())));
    } else {
        add_layer(&plan.process.variables, scope, &mut vars, budget)?;
    }
    if let Some(p) = scope.phase {
        if state.phases[p].started_at.is_some() {
            vars.extend(state.phases[p].variables.iter().map(|(k, v)| (k.clone(), v.clone())));
        } else {
            add_layer(&plan.phase_def(p).variables, scope, &mut vars, budget)?;
        }
        if let Some(a) = scope.activity {
            add_layer(&plan.activity_def(p, a).variables, scope, &mut vars, budget)?;
        }
    }
    Ok(vars)
}

fn add_layer(
    layer: &IndexMap<String, Value>,
    scope: &Scope<'_>,
    vars: &mut Map<String, Value>,
    budget: &mut Budget,
) -> Result<(), String> {
    for (name, raw) in layer {
        let value = interpolate_with(raw, scope, Vars::Given(vars), budget)?;
        vars.insert(name.clone(), value);
    }
    Ok(())
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;

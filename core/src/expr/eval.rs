//! Evaluating CEL expressions and `${...}` templates against a release.
//!
//! The context holds `inputs`, `vars` (global, then phase, then activity variables: innermost
//! wins), `release` (`id`, `name`, `kind`, `version`, `start`, `attempt`), `group` (`name`) and the
//! outputs of earlier work: `phases.<id>.outputs`, `phases.<id>.activities.<id>.outputs`, and
//! `activities.<id>.outputs` for the activities of the current phase. Ids with `-` are reached with
//! index syntax: `phases['branch-cut'].activities.cut.outputs.commit`.
//!
//! Evaluation is sandboxed: CEL has no I/O, expressions are bounded by
//! [`super::MAX_EXPRESSION_BYTES`] and [`super::MAX_EXPRESSION_NESTING`], and a failure is an
//! error value (the caller fails the activity with `expression_error`), never a panic.

use super::template::{Segment, parse_template};
use crate::release::{Plan, ReleaseState};
use indexmap::IndexMap;
use serde_json::{Map, Value};
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
    /// Compute the variables in scope (only if the expression mentions `vars`).
    InScope,
    /// Use these (while the variables themselves are being computed).
    Given(&'m Map<String, Value>),
}

/// Evaluates a CEL condition (`if`); it must give a boolean.
pub fn eval_condition(source: &str, scope: &Scope<'_>) -> Result<bool, String> {
    match eval_in(source, scope, Vars::InScope)? {
        Value::Bool(b) => Ok(b),
        other => Err(format!("a condition must be true or false; `{source}` gave {other}")),
    }
}

/// Interpolates every string inside `value`: `${...}` parts are evaluated; a string that is exactly
/// one `${...}` takes the expression's typed value.
pub fn interpolate(value: &Value, scope: &Scope<'_>) -> Result<Value, String> {
    interpolate_with(value, scope, Vars::InScope)
}

fn interpolate_with(value: &Value, scope: &Scope<'_>, with_vars: Vars<'_>) -> Result<Value, String> {
    match value {
        Value::String(s) if super::template::has_interpolation(s) => interpolate_str(s, scope, with_vars),
        Value::Array(items) => {
            items.iter().map(|v| interpolate_with(v, scope, with_vars)).collect::<Result<_, _>>().map(Value::Array)
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| interpolate_with(v, scope, with_vars).map(|v| (k.clone(), v)))
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

fn interpolate_str(text: &str, scope: &Scope<'_>, with_vars: Vars<'_>) -> Result<Value, String> {
    let segments = parse_template(text).map_err(|e| e.to_string())?;
    if let [Segment::Expr { source, .. }] = segments.as_slice() {
        if text.trim() == text {
            return eval_in(source, scope, with_vars);
        }
    }
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Text(t) => out.push_str(&t),
            Segment::Expr { source, .. } => match eval_in(&source, scope, with_vars)? {
                Value::String(v) => out.push_str(&v),
                Value::Null => {}
                other => out.push_str(&other.to_string()),
            },
        }
    }
    Ok(Value::String(out))
}

/// Evaluates one CEL expression to a JSON value, with the variables in scope.
pub fn eval_cel(source: &str, scope: &Scope<'_>) -> Result<Value, String> {
    eval_in(source, scope, Vars::InScope)
}

fn eval_in(source: &str, scope: &Scope<'_>, with_vars: Vars<'_>) -> Result<Value, String> {
    super::check_cel_syntax(source)?;
    let program = cel::Program::compile(source).map_err(|e| format!("invalid CEL: {e}"))?;
    let mut ctx = cel::Context::default();
    let state = scope.state;
    add(&mut ctx, "inputs", &Value::Object(state.inputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))?;
    let release = serde_json::json!({
        "id": state.id,
        "name": state.name,
        "kind": state.kind.as_str(),
        "version": state.process_version,
        "start": state.schedule.as_ref().map(|s| s.start).or(state.started_at).map(|t| t.to_rfc3339()),
        "attempt": state.attempt,
    });
    add(&mut ctx, "release", &release)?;
    add(&mut ctx, "group", &serde_json::json!({ "name": state.group }))?;
    if source.contains("phases") {
        add(&mut ctx, "phases", &phases_context(scope))?;
    }
    if source.contains("activities") {
        if let Some(p) = scope.phase {
            add(&mut ctx, "activities", &activities_context(state, p))?;
        }
    }
    if source.contains("vars") {
        match with_vars {
            Vars::InScope => add(&mut ctx, "vars", &Value::Object(variables(scope)?))?,
            Vars::Given(vars) => add(&mut ctx, "vars", &Value::Object(vars.clone()))?,
        }
    }
    // The interpreter is not trusted to be panic-free on every input: a panic is an error value.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| program.execute(&ctx)))
        .map_err(|_| format!("evaluating `{source}` failed inside the interpreter"))?;
    let value = result.map_err(|e| format!("`{source}`: {e}"))?;
    to_json(&value)
}

fn add(ctx: &mut cel::Context<'_, '_>, name: &str, value: &Value) -> Result<(), String> {
    let v = cel::to_value(value).map_err(|e| format!("cannot expose `{name}` to expressions: {e}"))?;
    ctx.add_variable_from_value(name, v);
    Ok(())
}

/// The variables in scope, evaluated in definition order (global, phase, activity): each may use
/// the ones before it through `vars`.
pub fn variables(scope: &Scope<'_>) -> Result<Map<String, Value>, String> {
    let plan = scope.plan();
    let mut layers: Vec<&IndexMap<String, Value>> = vec![&plan.process.variables];
    if let Some(p) = scope.phase {
        layers.push(&plan.phase_def(p).variables);
        if let Some(a) = scope.activity {
            layers.push(&plan.activity_def(p, a).variables);
        }
    }
    let mut vars = Map::new();
    for layer in layers {
        for (name, raw) in layer {
            let value = interpolate_with(raw, scope, Vars::Given(&vars))?;
            vars.insert(name.clone(), value);
        }
    }
    Ok(vars)
}

fn activities_context(state: &ReleaseState, p: usize) -> Value {
    let mut acts = Map::new();
    for a in &state.phases[p].activities {
        acts.insert(a.id.clone(), serde_json::json!({ "outputs": a.outputs, "status": a.status.as_str() }));
    }
    Value::Object(acts)
}

fn phases_context(scope: &Scope<'_>) -> Value {
    let state = scope.state;
    let mut phases = Map::new();
    for (p, ph) in state.phases.iter().enumerate() {
        phases.insert(
            ph.id.clone(),
            serde_json::json!({ "outputs": ph.outputs, "status": ph.status.as_str(), "activities": activities_context(state, p) }),
        );
    }
    Value::Object(phases)
}

/// Converts a CEL value into JSON (map keys sorted, so results are deterministic).
pub fn to_json(value: &cel::Value) -> Result<Value, String> {
    Ok(match value {
        cel::Value::Null => Value::Null,
        cel::Value::Bool(b) => Value::Bool(*b),
        cel::Value::Int(i) => Value::from(*i),
        cel::Value::UInt(u) => Value::from(*u),
        cel::Value::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number).unwrap_or(Value::Null),
        cel::Value::String(s) => Value::String(s.to_string()),
        cel::Value::Bytes(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        cel::Value::List(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        cel::Value::Map(m) => {
            let mut entries: Vec<(String, Value)> = m
                .map
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        cel::objects::Key::String(s) => s.to_string(),
                        cel::objects::Key::Int(i) => i.to_string(),
                        cel::objects::Key::Uint(u) => u.to_string(),
                        cel::objects::Key::Bool(b) => b.to_string(),
                    };
                    to_json(v).map(|v| (key, v))
                })
                .collect::<Result<_, _>>()?;
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        cel::Value::Timestamp(t) => Value::String(t.to_rfc3339()),
        cel::Value::Duration(d) => {
            Value::String(crate::model::Duration::from_secs(d.num_seconds().max(0) as u64).to_string())
        }
        other => return Err(format!("the expression gave a value that cannot be stored: {other:?}")),
    })
}

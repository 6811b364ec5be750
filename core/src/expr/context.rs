//! The context an expression reads, built from a release for one evaluation.
//!
//! Only the names the expression mentions are bound (and of `phases` only the phases it names,
//! unless it indexes `phases` dynamically). Values are bound as CEL values that *borrow* the
//! release's JSON: strings are not copied, only the lists and maps around them are built, so the
//! cost of an evaluation follows what it reads, not the size of the release.
//!
//! Every bound value is checked first against the sandbox limits: strings of at most
//! [`MAX_STRING_BYTES`], lists and maps of at most [`MAX_LIST_ITEMS`], nesting of at most
//! [`MAX_VALUE_DEPTH`] levels.

use super::compile::Compiled;
use super::eval::Scope;
use super::refs::Segment;
use super::{MAX_LIST_ITEMS, MAX_STRING_BYTES, MAX_VALUE_DEPTH};
use crate::release::ReleaseState;
use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt};
use cel::common::value::Val;
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// A CEL value that may borrow from the release for `'v`.
type Bound<'v> = Box<dyn Val + 'v>;

/// Which phases `program` reads: `None` when it picks one at run time (`phases[x]`, `size(phases)`)
/// and so reads them all.
pub fn phases_read(program: &Compiled) -> Option<HashSet<&str>> {
    program
        .references
        .iter()
        .filter(|r| r.root == "phases")
        .map(|r| r.segments.first().and_then(Segment::name))
        .collect()
}

/// Binds into `ctx` what `program` reads of `scope`; `vars` gives the variables in scope when the
/// expression reads `vars` (it is called only then).
pub fn bind<'v>(
    ctx: &mut cel::Context<'_, 'v>,
    program: &Compiled,
    scope: &Scope<'v>,
    vars: impl FnOnce() -> Result<&'v Map<String, Value>, String>,
) -> Result<(), String> {
    let roots: HashSet<&str> = program.references.iter().map(|r| r.root.as_str()).collect();
    let state: &'v ReleaseState = scope.state;
    if roots.contains("inputs") {
        ctx.add_variable_as_val("inputs", index_map("inputs", &state.inputs)?);
    }
    if roots.contains("release") {
        let start = state.schedule.as_ref().map(|s| s.start).or(state.started_at).map(|t| t.to_rfc3339());
        ctx.add_variable_as_val(
            "release",
            map([
                ("id", string(&state.id)),
                ("name", string(&state.name)),
                ("kind", string(state.kind.as_str())),
                ("version", Box::new(CelInt::from(i64::from(state.process_version)))),
                ("start", start.map_or_else(null, |s| Box::new(CelString::from(s)) as Bound<'v>)),
                ("attempt", Box::new(CelInt::from(i64::from(state.attempt)))),
            ]),
        );
    }
    if roots.contains("group") {
        // The occurrence number is not recorded on the release yet: `null` until it is.
        let optional = |s: &'v Option<String>| s.as_deref().map_or_else(null, string);
        ctx.add_variable_as_val(
            "group",
            map([("name", optional(&state.group)), ("occurrence", optional(&state.occurrence))]),
        );
    }
    if roots.contains("phases") {
        ctx.add_variable_as_val("phases", phases(state, phases_read(program).as_ref())?);
    }
    if roots.contains("activities") {
        if let Some(p) = scope.phase {
            ctx.add_variable_as_val("activities", activities(state, p)?);
        }
    }
    if roots.contains("vars") {
        let vars = vars()?;
        check_size("vars", vars.values())?;
        ctx.add_variable_as_val("vars", map(vars.iter().map(|(k, v)| (k.as_str(), json(v)))));
    }
    Ok(())
}

fn null<'v>() -> Bound<'v> {
    Box::new(CelNull)
}

fn string(s: &str) -> Bound<'_> {
    Box::new(CelString::from(s))
}

fn map<'v>(entries: impl IntoIterator<Item = (&'v str, Bound<'v>)>) -> Bound<'v> {
    let entries: HashMap<CelMapKey<'v>, Bound<'v>> =
        entries.into_iter().map(|(k, v)| (CelMapKey::String(CelString::from(k)), v)).collect();
    Box::new(CelMap::from(entries))
}

/// A map of JSON values, after checking them.
fn index_map<'v>(what: &str, values: &'v IndexMap<String, Value>) -> Result<Bound<'v>, String> {
    check_size(what, values.values())?;
    Ok(map(values.iter().map(|(k, v)| (k.as_str(), json(v)))))
}

fn phases<'v>(state: &'v ReleaseState, only: Option<&HashSet<&str>>) -> Result<Bound<'v>, String> {
    let mut out = Vec::new();
    for (p, ph) in state.phases.iter().enumerate() {
        if only.is_some_and(|ids| !ids.contains(ph.id.as_str())) {
            continue;
        }
        let phase = map([
            ("outputs", index_map("a phase's outputs", &ph.outputs)?),
            ("status", string(ph.status.as_str())),
            ("activities", activities(state, p)?),
        ]);
        out.push((ph.id.as_str(), phase));
    }
    Ok(map(out))
}

fn activities(state: &ReleaseState, p: usize) -> Result<Bound<'_>, String> {
    let mut out = Vec::new();
    for a in &state.phases[p].activities {
        let activity =
            map([("outputs", index_map("an activity's outputs", &a.outputs)?), ("status", string(a.status.as_str()))]);
        out.push((a.id.as_str(), activity));
    }
    Ok(map(out))
}

/// A JSON value as a CEL value borrowing its strings (see [`super::value`] for the mapping).
/// Recursive: call it on values [`check_size`] accepted (at most [`MAX_VALUE_DEPTH`] deep).
fn json(value: &Value) -> Bound<'_> {
    match value {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Box::new(CelInt::from(i)),
            (None, Some(u)) => Box::new(CelUInt::from(u)),
            _ => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => Box::new(CelString::from(s.as_str())),
        Value::Array(items) => Box::new(CelList::from(items.iter().map(json).collect::<Vec<_>>())),
        Value::Object(m) => map(m.iter().map(|(k, v)| (k.as_str(), json(v)))),
    }
}

/// Refuses strings longer than [`MAX_STRING_BYTES`], lists/maps with more than [`MAX_LIST_ITEMS`]
/// items and nesting deeper than [`MAX_VALUE_DEPTH`] anywhere inside `values`. Not recursive.
pub fn check_size<'a>(what: &str, values: impl IntoIterator<Item = &'a Value>) -> Result<(), String> {
    let mut stack: Vec<(&Value, usize)> = values.into_iter().map(|v| (v, 1)).collect();
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::String(s) if s.len() > MAX_STRING_BYTES => {
                return Err(format!(
                    "{what} holds a string of {} bytes; expressions handle at most {MAX_STRING_BYTES}",
                    s.len()
                ));
            }
            Value::Array(_) | Value::Object(_) if depth > MAX_VALUE_DEPTH => {
                return Err(format!(
                    "{what} holds lists or maps nested more than {MAX_VALUE_DEPTH} levels deep; expressions \
                     handle at most {MAX_VALUE_DEPTH}"
                ));
            }
            Value::Array(items) if items.len() > MAX_LIST_ITEMS => {
                return Err(format!(
                    "{what} holds a list of {} items; expressions handle at most {MAX_LIST_ITEMS}",
                    items.len()
                ));
            }
            Value::Object(map) if map.len() > MAX_LIST_ITEMS => {
                return Err(format!(
                    "{what} holds a map of {} entries; expressions handle at most {MAX_LIST_ITEMS}",
                    map.len()
                ));
            }
            Value::Array(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

//! What a stored-data fixture is checked by: every release of an engine (ordered by name) as its
//! read model (`ReleaseView`) and its history, as JSON. Shared by the fixture generator
//! (`examples/stored_fixture.rs`, which writes it next to the database) and
//! `core/tests/stored_fixtures.rs` (which compares a later version's replay with it).

use serde_json::{Value, json};
use trainyard::{Engine, ReleaseFilter, Result};

/// `{ "schema_version": …, "releases": [ { "view": …, "history": [...] } ] }`, releases by name.
pub fn stored_views(engine: &Engine) -> Result<Value> {
    let mut releases = engine.list_releases(&ReleaseFilter::default())?;
    releases.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    for r in &releases {
        let state = engine.get_release(&r.id)?;
        let history = engine.history(&r.id)?;
        out.push(json!({
            "view": serde_json::to_value(state.view()).expect("a view serializes"),
            "history": serde_json::to_value(&history).expect("events serialize"),
        }));
    }
    Ok(json!({ "releases": out }))
}

/// Where `actual` differs from `expected`, ignoring fields `expected` does not have (a later
/// version may add optional fields to views and events: that is not a breaking change). Arrays
/// must have the same length; every other value must be equal. Empty when they agree.
pub fn differences(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => differences(ev, av, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: missing (expected {ev})")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(ev, av, &format!("{path}[{i}]"), out);
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, found {actual}")),
    }
}

//! Small output helpers shared by the commands.

use crate::{Ctx, Failure};
use serde_json::Value;
use trainyard::Timestamp;

/// Writes one JSON document on a line.
pub(crate) fn json_line(ctx: &mut Ctx<'_>, v: &Value) -> Result<(), Failure> {
    writeln!(ctx.out, "{v}")?;
    Ok(())
}

/// A time as the text output shows it (UTC, to the minute).
pub(crate) fn time(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A release as JSON: the core's read model with phases and activities keyed by id (as the
/// Python and Node packages show them).
pub(crate) fn release_json(r: &trainyard::release::ReleaseState) -> Value {
    let mut v = serde_json::to_value(r.view()).unwrap_or_default();
    if let Some(phases) = v.get_mut("phases").map(Value::take) {
        let mut by_id = serde_json::Map::new();
        for mut phase in phases.as_array().cloned().unwrap_or_default() {
            if let Some(acts) = phase.get_mut("activities").map(Value::take) {
                let acts: serde_json::Map<String, Value> = acts
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| (a["id"].as_str().unwrap_or("").to_string(), a))
                    .collect();
                phase["activities"] = Value::Object(acts);
            }
            by_id.insert(phase["id"].as_str().unwrap_or("").to_string(), phase);
        }
        v["phases"] = Value::Object(by_id);
    }
    v
}

//! Snapshot encoding: a [`ReleaseState`] as a JSON value (without its plan, which the engine
//! re-attaches from the pinned process version).
//!
//! The state's timers are a map keyed by [`crate::release::TimerKey`] (not a string), so they
//! travel as a list of pairs. A snapshot carries a format number ([`SNAPSHOT_FORMAT`]); one that
//! does not decode (an older format, a state type that changed) is ignored and the release is
//! replayed from its events instead. One of a newer format (written by a newer trainyard) is
//! refused with [`Error::UnsupportedVersion`]: its events may be newer too.

use crate::release::{ReleaseState, TimerKey};
use crate::{Error, Result, Timestamp};
use serde_json::{Value, json};

/// The snapshot format written now (the `format` field of every snapshot body, and the
/// `snapshot` row of a SQL database's `formats` table).
pub const SNAPSHOT_FORMAT: u64 = 1;
const FORMAT: u64 = SNAPSHOT_FORMAT;

/// Encodes a state for [`super::Store::put_snapshot`].
pub fn encode_snapshot(state: &ReleaseState) -> Result<Value> {
    let mut copy = state.clone();
    let timers: Vec<(TimerKey, Timestamp)> = std::mem::take(&mut copy.timers).into_iter().collect();
    copy.plan = None;
    let body = serde_json::to_value(&copy)
        .map_err(|e| Error::Storage { message: format!("cannot encode a snapshot of release {}: {e}", state.id) })?;
    let timers = serde_json::to_value(&timers)
        .map_err(|e| Error::Storage { message: format!("cannot encode the timers of release {}: {e}", state.id) })?;
    Ok(json!({ "format": FORMAT, "state": body, "timers": timers }))
}

/// Decodes a snapshot; `Ok(None)` if it is of an older format or does not fit the state type
/// (the caller replays the events instead), [`Error::UnsupportedVersion`] if its format is newer
/// than [`SNAPSHOT_FORMAT`]. The plan is not attached.
pub fn decode_snapshot(value: &Value) -> Result<Option<ReleaseState>> {
    match value.get("format").and_then(Value::as_u64) {
        Some(FORMAT) => Ok(decode_current(value)),
        Some(found) if found > FORMAT => {
            Err(Error::UnsupportedVersion { what: "a release snapshot".into(), found, supported: FORMAT })
        }
        _ => Ok(None),
    }
}

fn decode_current(value: &Value) -> Option<ReleaseState> {
    let mut state: ReleaseState = serde_json::from_value(value.get("state")?.clone()).ok()?;
    let timers: Vec<(TimerKey, Timestamp)> = serde_json::from_value(value.get("timers")?.clone()).ok()?;
    state.timers = timers.into_iter().collect();
    Some(state)
}

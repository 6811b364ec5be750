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

/// An optional time, `—` when absent.
pub(crate) fn opt_time(t: Option<Timestamp>) -> String {
    t.map(time).unwrap_or_else(|| "—".into())
}

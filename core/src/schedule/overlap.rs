//! When a release group's occurrences start: the overlap policy ([`Overlap`]), the catch-up
//! policy ([`CatchUp`]) and a pause, decided by [`decide_starts`]. Pure: the time and the
//! releases are passed in, the answer is data ([`StartDecision`]) that the engine carries out.
//!
//! # Rules
//! * An occurrence is **due** when its release is still `scheduled`, activates automatically
//!   (`auto_start`) and its planned start is at or before now. A release that does not start
//!   automatically is a person's to activate and is never decided here.
//! * An occurrence is **running** while its release is `running` or `on_hold`.
//! * **Catch-up** decides first, over the due occurrences, whatever kept them from starting
//!   (nobody ticked, the group was paused, the overlap policy held them):
//!   * `all` — every due occurrence is kept (oldest first). Before catch-up policies existed
//!     this was the only behaviour: a late first tick started every missed train at once.
//!   * `latest` (the default) — only the newest due occurrence is kept; the older ones are
//!     skipped. A release manager wants this week's train after an outage, not last week's and
//!     this week's at once; last week's content is in this week's train anyway.
//!   * `none` — an occurrence runs on time or not at all: one due for longer than
//!     [`CATCH_UP_GRACE`] is skipped.
//! * **Paused**: the kept occurrences wait; nothing starts and overlap skips nothing. On resume
//!   the catch-up policy decides about what became due during the pause, like after an outage.
//! * **Overlap** then decides over the kept occurrences, given how many are running:
//!   * `allow` (the default) — they all start.
//!   * `skip` — while one is running, a due occurrence is skipped; with none running the oldest
//!     starts and the others are skipped.
//!   * `buffer_one` — at most one runs and at most one waits: with none running the oldest
//!     starts; the newest of the rest waits (it starts when the running one ends) and the others
//!     are skipped.
//!   * `max_in_flight: n` — the oldest start while fewer than `n` run; the others wait, oldest
//!     first.
//! * Every skip has a [`SkipReason`]; the engine records it (the release is aborted by `system`
//!   with the reason), so every engine on the store sees the same outcome. The decision is a
//!   function of the releases in the store and the time, so engines ticking one store decide alike.

use crate::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// How long an occurrence may be due without starting before `catch_up: none` skips it.
pub const CATCH_UP_GRACE: chrono::Duration = chrono::Duration::hours(1);

/// The values `overlap` accepts, for messages.
pub const OVERLAP_VALUES: &str = "`allow`, `skip`, `buffer_one` or `{ max_in_flight: n }` with n ≥ 1";

/// What happens when an occurrence is due while earlier releases of its group are running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    /// Start it anyway (the default).
    #[default]
    Allow,
    /// Skip it (recorded).
    Skip,
    /// Keep at most one waiting (the newest), started when the running one ends.
    BufferOne,
    /// At most `n` run at once; the others wait, oldest first.
    MaxInFlight(u32),
}

impl Overlap {
    /// Reads `allow | skip | buffer_one | { max_in_flight: n }`; the error message lists the
    /// valid values.
    pub fn from_value(value: &Value) -> std::result::Result<Overlap, String> {
        let bad = || format!("`{value}` is not an overlap policy; use {OVERLAP_VALUES}");
        match value {
            Value::String(s) => match s.as_str() {
                "allow" => Ok(Overlap::Allow),
                "skip" => Ok(Overlap::Skip),
                "buffer_one" => Ok(Overlap::BufferOne),
                _ => Err(bad()),
            },
            Value::Object(map) if map.len() == 1 => match map.get("max_in_flight").and_then(Value::as_u64) {
                Some(n) if n >= 1 => Ok(Overlap::MaxInFlight(u32::try_from(n).unwrap_or(u32::MAX))),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }

    /// How many may run at once (`None`: no limit).
    fn limit(self) -> Option<usize> {
        match self {
            Overlap::Allow => None,
            Overlap::Skip | Overlap::BufferOne => Some(1),
            Overlap::MaxInFlight(n) => Some(n as usize),
        }
    }
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Overlap::Allow => f.write_str("allow"),
            Overlap::Skip => f.write_str("skip"),
            Overlap::BufferOne => f.write_str("buffer_one"),
            Overlap::MaxInFlight(n) => write!(f, "max_in_flight: {n}"),
        }
    }
}

/// What happens to occurrences that became due without starting (module rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Every due occurrence starts (overlap permitting), oldest first.
    All,
    /// Only the newest due occurrence is kept (the default).
    #[default]
    Latest,
    /// An occurrence due for longer than [`CATCH_UP_GRACE`] is skipped.
    None,
}

impl fmt::Display for CatchUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CatchUp::All => "all",
            CatchUp::Latest => "latest",
            CatchUp::None => "none",
        })
    }
}

/// A due occurrence (module rules): its release and planned start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueOccurrence {
    /// The release.
    pub release_id: String,
    /// Its planned start.
    pub start: Timestamp,
}

/// Why an occurrence is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// `catch_up: latest`: a newer occurrence (starting at the time given) is due.
    Superseded(Timestamp),
    /// `catch_up: none`: it was due for longer than [`CATCH_UP_GRACE`].
    Late,
    /// The overlap policy (`skip`, or `buffer_one` keeping a newer one waiting).
    Overlap(Overlap),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Superseded(at) => {
                write!(f, "catch_up latest: the occurrence of {} is due too", at.format("%Y-%m-%dT%H:%M:%SZ"))
            }
            SkipReason::Late => {
                write!(f, "catch_up none: not started within {}m of its start", CATCH_UP_GRACE.num_minutes())
            }
            SkipReason::Overlap(o) => write!(f, "overlap {o}: an earlier release of the group is running"),
        }
    }
}

/// What to do with one due occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartDecision {
    /// Start it now (its activation timer fires).
    Start,
    /// Leave it waiting (paused, or the overlap limit is reached).
    Wait,
    /// Skip it, recorded with the reason.
    Skip(SkipReason),
}

/// The decision for every due occurrence of one group (module rules), in start order.
///
/// ```
/// use trainyard::schedule::{CatchUp, DueOccurrence, Overlap, StartDecision, decide_starts};
/// let at = |s: &str| s.parse().unwrap();
/// let due = [
///     DueOccurrence { release_id: "w14".into(), start: at("2025-03-31T07:00:00Z") },
///     DueOccurrence { release_id: "w15".into(), start: at("2025-04-07T07:00:00Z") },
/// ];
/// let now = at("2025-04-08T00:00:00Z");
/// let out = decide_starts(Overlap::Allow, CatchUp::Latest, false, 0, &due, now);
/// assert!(matches!(out[0].1, StartDecision::Skip(_)));
/// assert_eq!(out[1].1, StartDecision::Start);
/// ```
pub fn decide_starts(
    overlap: Overlap,
    catch_up: CatchUp,
    paused: bool,
    running: usize,
    due: &[DueOccurrence],
    now: Timestamp,
) -> Vec<(String, StartDecision)> {
    let mut due: Vec<&DueOccurrence> = due.iter().collect();
    due.sort_by(|a, b| (a.start, &a.release_id).cmp(&(b.start, &b.release_id)));
    let mut out: Vec<(String, StartDecision)> = Vec::with_capacity(due.len());
    let mut kept: Vec<&DueOccurrence> = Vec::new();
    let newest = due.last().map(|o| o.start);
    for o in &due {
        let skip = match catch_up {
            CatchUp::All => None,
            CatchUp::Latest => newest.filter(|n| *n > o.start).map(SkipReason::Superseded),
            CatchUp::None => (now - o.start > CATCH_UP_GRACE).then_some(SkipReason::Late),
        };
        match skip {
            Some(reason) => out.push((o.release_id.clone(), StartDecision::Skip(reason))),
            None => kept.push(o),
        }
    }
    if paused {
        out.extend(kept.iter().map(|o| (o.release_id.clone(), StartDecision::Wait)));
        return sorted(out, &due);
    }
    let free = overlap.limit().map(|n| n.saturating_sub(running));
    let starts = free.map_or(kept.len(), |f| f.min(kept.len()));
    for (i, o) in kept.iter().enumerate() {
        let decision = if i < starts {
            StartDecision::Start
        } else {
            match overlap {
                Overlap::Allow | Overlap::MaxInFlight(_) => StartDecision::Wait,
                Overlap::Skip => StartDecision::Skip(SkipReason::Overlap(overlap)),
                Overlap::BufferOne if i + 1 == kept.len() => StartDecision::Wait,
                Overlap::BufferOne => StartDecision::Skip(SkipReason::Overlap(overlap)),
            }
        };
        out.push((o.release_id.clone(), decision));
    }
    sorted(out, &due)
}

/// `out` in the order of `due`.
fn sorted(mut out: Vec<(String, StartDecision)>, due: &[&DueOccurrence]) -> Vec<(String, StartDecision)> {
    let pos = |id: &str| due.iter().position(|o| o.release_id == id).unwrap_or(usize::MAX);
    out.sort_by_key(|(id, _)| pos(id));
    out
}

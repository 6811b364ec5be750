//! Freeze windows: periods in which releases must not run on some environments or services
//! (optionally recurring: "no prod deployments Friday 16:00 – Monday 08:00").
//!
//! # Rules
//! * A one-off freeze is the window `[start, end)`.
//! * A recurring freeze has a [`FreezeRecurrence`]: each occurrence of its cadence (in its time zone,
//!   anchored at `start`) opens a window of its `duration` (whole days in local time); `end`, if set, is the last instant an
//!   occurrence may start.
//! * A freeze with neither `environments` nor `services` freezes everything.
//! * [`frozen`] answers "is this environment/service frozen at this instant?" with the window that
//!   blocks it; when several windows overlap, the one that ends last, so that waiting until its end
//!   waits out the whole freeze.
//! * **Allowed windows** (`mode: allow`) turn a freeze around: what it covers may run only inside
//!   its windows ("prod deploys Tue–Thu 10:00–16:00 Berlin"). Outside every allowed window that
//!   covers a resource, the resource is frozen until the earliest of them opens next (looked for
//!   up to [`ALLOW_LOOKAHEAD_DAYS`] ahead; past that it is held that long and checked again).
//!   Several allowed windows on one resource add up: being inside any of them is enough. Block
//!   freezes still apply inside an allowed window.

use super::codes;
use super::fields::{Fields, id_and_name_problems};
use super::recurrence::{Cadence, Recurrence, add_nominal, parse_timezone};
use crate::model::Duration;
use crate::{Error, Problem, Result, Timestamp};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

const FREEZE_FIELDS: &[&str] =
    &["id", "name", "start", "end", "environments", "services", "recurrence", "reason", "mode"];

/// How far ahead the next opening of an allowed window is looked for.
pub const ALLOW_LOOKAHEAD_DAYS: i64 = 400;

/// What a freeze's windows mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreezeMode {
    /// Nothing it covers runs inside its windows (the default).
    #[default]
    Block,
    /// What it covers runs only inside its windows (an allowed window).
    Allow,
}

impl FreezeMode {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FreezeMode::Block => "block",
            FreezeMode::Allow => "allow",
        }
    }
}

/// A freeze window (one-off or recurring).
///
/// ```
/// use trainyard::schedule::{Freeze, Resource, frozen};
/// let weekend = Freeze::from_text(r#"
/// id: weekend
/// name: No prod deploys over the weekend
/// start: 2025-01-03T16:00:00+01:00
/// environments: [prod1, prod2, prod3]
/// recurrence: { cadence: { every: week, on: friday, at: "16:00" }, timezone: Europe/Berlin, duration: 2d 16h }
/// "#).unwrap();
/// let saturday = "2025-04-05T12:00:00Z".parse().unwrap();
/// let window = weekend.blocks(&Resource::environment("prod1"), saturday).unwrap();
/// assert_eq!(window.end.to_rfc3339(), "2025-04-07T06:00:00+00:00"); // Monday 08:00 CEST
/// assert!(weekend.blocks(&Resource::environment("staging"), saturday).is_none());
/// assert!(frozen(&[weekend], &Resource::environment("prod2"), saturday).is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freeze {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Start (one-off) or the anchor of the recurrence.
    pub start: Timestamp,
    /// End (one-off, required) or the last instant a recurring window may open (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
    /// Frozen environments (both lists empty = everything).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// Frozen services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Makes the freeze recurring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<FreezeRecurrence>,
    /// Why (shown to people whose activity waits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `block` (the default: nothing runs inside the windows) or `allow` (what it covers runs
    /// only inside them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FreezeMode>,
}

/// How a freeze recurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeRecurrence {
    /// When each window opens.
    pub cadence: Cadence,
    /// IANA time zone of the cadence (default `UTC`).
    #[serde(default = "utc")]
    pub timezone: String,
    /// How long each window lasts.
    pub duration: Duration,
}

fn utc() -> String {
    "UTC".into()
}

/// One concrete window of a freeze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeWindow {
    /// The freeze id.
    pub freeze_id: String,
    /// The freeze name.
    pub name: String,
    /// Window start.
    pub start: Timestamp,
    /// Window end (exclusive).
    pub end: Timestamp,
    /// Frozen environments (both empty = everything).
    pub environments: Vec<String>,
    /// Frozen services.
    pub services: Vec<String>,
}

impl FreezeWindow {
    /// Whether this window freezes `resource` (ignoring time).
    pub fn covers(&self, resource: &Resource) -> bool {
        if self.environments.is_empty() && self.services.is_empty() {
            return true;
        }
        match resource {
            Resource::Environment(e) => self.environments.contains(e),
            Resource::Service(s) => self.services.contains(s),
        }
    }

    /// Whether this window freezes everything.
    pub fn is_global(&self) -> bool {
        self.environments.is_empty() && self.services.is_empty()
    }
}

/// Something a release or an activity targets: an environment or a service. Written
/// `environment:prod1` / `service:payment-service`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// An environment name.
    Environment(String),
    /// A service name.
    Service(String),
}

impl Resource {
    /// `environment:<name>`.
    pub fn environment(name: impl Into<String>) -> Self {
        Resource::Environment(name.into())
    }

    /// `service:<name>`.
    pub fn service(name: impl Into<String>) -> Self {
        Resource::Service(name.into())
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Environment(e) => write!(f, "environment:{e}"),
            Resource::Service(s) => write!(f, "service:{s}"),
        }
    }
}

impl Freeze {
    /// Reads and validates a freeze from YAML or JSON text.
    pub fn from_text(text: &str) -> Result<Freeze> {
        let value = crate::model::load::parse_document(text)?;
        Freeze::from_value(&value)
    }

    /// Reads and validates a freeze from a JSON value, reporting every problem at once.
    pub fn from_value(value: &Value) -> Result<Freeze> {
        let mut f = Fields::new(value, "freeze", FREEZE_FIELDS);
        let freeze = Freeze {
            id: f.required("id", "`quarter-end`").unwrap_or_default(),
            name: f.required("name", "`Quarter-end freeze`").unwrap_or_default(),
            start: f.required("start", "`2025-03-28T00:00:00Z`").unwrap_or_default(),
            end: f.optional("end"),
            environments: f.optional("environments").unwrap_or_default(),
            services: f.optional("services").unwrap_or_default(),
            recurrence: f.optional("recurrence"),
            reason: f.optional("reason"),
            mode: f.optional("mode"),
        };
        let problems = f.finish(freeze.problems());
        Error::validation_or(problems, freeze)
    }

    /// Checks the freeze; [`Error::Validation`] lists every problem.
    pub fn validate(&self) -> Result<()> {
        let problems = self.problems();
        Error::validation_or(problems, ())
    }

    /// Every problem of the freeze (empty when valid).
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = id_and_name_problems("freeze", &self.id, &self.name, "quarter-end", "Quarter-end freeze");
        match (&self.recurrence, self.end) {
            (None, None) => problems.push(Problem::new(
                "end",
                codes::MISSING_FIELD,
                "a one-off freeze needs an `end` (or a `recurrence`)",
            )),
            (_, Some(end)) if end <= self.start => problems.push(Problem::new(
                "end",
                codes::BAD_RANGE,
                format!("end {} is not after start {}", end.to_rfc3339(), self.start.to_rfc3339()),
            )),
            _ => {}
        }
        if let Some(r) = &self.recurrence {
            let tz = parse_timezone(&r.timezone);
            if tz.is_none() {
                problems.push(Problem::new(
                    "recurrence.timezone",
                    codes::BAD_TIMEZONE,
                    format!("`{}` is not an IANA time zone; e.g. `Europe/Berlin`", r.timezone),
                ));
            }
            if r.duration.as_secs() == 0 {
                problems.push(Problem::new(
                    "recurrence.duration",
                    codes::BAD_DURATION,
                    "a freeze window lasts longer than 0s",
                ));
            }
            match (r.cadence.to_rrule("recurrence.cadence"), tz) {
                (Err(p), _) => problems.extend(p),
                (Ok(rule), Some(tz)) => {
                    let start = self.start.with_timezone(&tz).naive_local();
                    if let Err(e) = Recurrence::new(&rule, tz, start) {
                        problems.push(Problem::new(
                            "recurrence.cadence",
                            codes::BAD_RRULE,
                            format!("`{rule}` cannot recur: {e}"),
                        ));
                    }
                }
                (Ok(_), None) => {}
            }
        }
        problems
    }

    fn window(&self, start: Timestamp, end: Timestamp) -> FreezeWindow {
        FreezeWindow {
            freeze_id: self.id.clone(),
            name: self.name.clone(),
            start,
            end,
            environments: self.environments.clone(),
            services: self.services.clone(),
        }
    }

    /// The windows of this freeze that overlap `[from, to)`, in start order. An invalid freeze has
    /// no windows (validate it when it is stored).
    pub fn windows(&self, from: Timestamp, to: Timestamp) -> Vec<FreezeWindow> {
        let Some(r) = &self.recurrence else {
            return match self.end {
                Some(end) if self.start < to && end > from && self.start < end => vec![self.window(self.start, end)],
                _ => Vec::new(),
            };
        };
        let (Some(tz), Ok(rule)) = (parse_timezone(&r.timezone), r.cadence.to_rrule("recurrence.cadence")) else {
            return Vec::new();
        };
        let Ok(rec) = Recurrence::new(&rule, tz, self.start.with_timezone(&tz).naive_local()) else {
            return Vec::new();
        };
        let last_open = self.end.map_or(to, |e| e.min(to));
        let mut out = Vec::new();
        for instance in rec.instances() {
            let start = instance.at.with_timezone(&Utc);
            if start >= last_open || (self.end.is_some_and(|e| start > e)) {
                break;
            }
            let end = add_nominal(tz, instance.local, r.duration.as_secs());
            if end > from {
                out.push(self.window(start, end));
            }
        }
        out
    }

    /// A stretch `[start, end)` outside this allowed window, named after it.
    fn gap(&self, start: Timestamp, end: Timestamp) -> FreezeWindow {
        FreezeWindow { name: format!("outside the allowed window {}", self.name), ..self.window(start, end) }
    }

    /// `block` or `allow`.
    pub fn mode(&self) -> FreezeMode {
        self.mode.unwrap_or_default()
    }

    /// Whether its windows cover `resource` (ignoring time).
    pub fn covers(&self, resource: &Resource) -> bool {
        self.window(self.start, self.start).covers(resource)
    }

    /// The window of this block freeze that blocks `resource` at `at`, if any (an allowed window
    /// blocks nothing inside its windows: see [`outside_allowed`]).
    pub fn blocks(&self, resource: &Resource, at: Timestamp) -> Option<FreezeWindow> {
        if self.mode() == FreezeMode::Allow || !self.covers(resource) {
            return None;
        }
        self.windows(at, at + chrono::Duration::seconds(1)).into_iter().rfind(|w| w.start <= at && at < w.end)
    }
}

/// The freeze window that blocks `resource` at `at` among `freezes` (the one ending last when
/// several do), or `None` when it is not frozen.
pub fn frozen(freezes: &[Freeze], resource: &Resource, at: Timestamp) -> Option<FreezeWindow> {
    let blocked = freezes.iter().filter_map(|f| f.blocks(resource, at));
    blocked.chain(outside_allowed(freezes, resource, at)).max_by_key(|w| w.end)
}

/// When `resource` is outside every allowed window (`mode: allow`) that covers it at `at`: the
/// stretch from `at` until the earliest of them opens next, named after that freeze. `None`
/// when no allowed window covers it, or one of them is open.
pub fn outside_allowed(freezes: &[Freeze], resource: &Resource, at: Timestamp) -> Option<FreezeWindow> {
    let horizon = at + chrono::Duration::days(ALLOW_LOOKAHEAD_DAYS);
    let mut next: Option<(Timestamp, &Freeze)> = None;
    let mut any = None;
    for f in freezes.iter().filter(|f| f.mode() == FreezeMode::Allow && f.covers(resource)) {
        any = any.or(Some(f));
        for w in f.windows(at, horizon) {
            if w.start <= at && at < w.end {
                return None;
            }
            if w.start > at {
                if next.is_none_or(|(t, _)| w.start < t) {
                    next = Some((w.start, f));
                }
                break;
            }
        }
    }
    let (until, f) = next.or_else(|| any.map(|f| (horizon, f)))?;
    Some(f.gap(at, until))
}

/// The stretches of `[from, to)` in which `resource` is outside every allowed window that covers
/// it (empty when none covers it), in order.
pub fn closed_stretches(freezes: &[Freeze], resource: &Resource, from: Timestamp, to: Timestamp) -> Vec<FreezeWindow> {
    let allows: Vec<&Freeze> = freezes.iter().filter(|f| f.mode() == FreezeMode::Allow && f.covers(resource)).collect();
    let Some(first) = allows.first() else { return Vec::new() };
    let mut open: Vec<(Timestamp, Timestamp)> =
        allows.iter().flat_map(|f| f.windows(from, to)).map(|w| (w.start, w.end)).collect();
    open.sort();
    let mut out = Vec::new();
    let mut cursor = from;
    for (start, end) in open {
        if start > cursor {
            out.push((cursor, start.min(to)));
        }
        cursor = cursor.max(end);
    }
    if cursor < to {
        out.push((cursor, to));
    }
    out.into_iter().map(|(s, e)| first.gap(s, e)).collect()
}

/// Every window of `freezes` overlapping `[from, to)`, in start order.
/// Allowed windows (`mode: allow`) are left out: their closed stretches depend on the resource
/// ([`closed_stretches`]).
pub fn freeze_windows(freezes: &[Freeze], from: Timestamp, to: Timestamp) -> Vec<FreezeWindow> {
    let blocking = freezes.iter().filter(|f| f.mode() == FreezeMode::Block);
    let mut out: Vec<FreezeWindow> = blocking.flat_map(|f| f.windows(from, to)).collect();
    out.sort_by(|a, b| (a.start, a.end, &a.freeze_id).cmp(&(b.start, b.end, &b.freeze_id)));
    out
}

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

use super::codes;
use super::fields::{Fields, id_and_name_problems};
use super::recurrence::{Cadence, Recurrence, add_nominal, parse_timezone};
use crate::model::Duration;
use crate::{Error, Problem, Result, Timestamp};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

const FREEZE_FIELDS: &[&str] = &["id", "name", "start", "end", "environments", "services", "recurrence", "reason"];

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

    /// The window of this freeze that blocks `resource` at `at`, if any.
    pub fn blocks(&self, resource: &Resource, at: Timestamp) -> Option<FreezeWindow> {
        let probe = self.window(at, at);
        if !probe.covers(resource) {
            return None;
        }
        self.windows(at, at + chrono::Duration::seconds(1)).into_iter().rfind(|w| w.start <= at && at < w.end)
    }
}

/// The freeze window that blocks `resource` at `at` among `freezes` (the one ending last when
/// several do), or `None` when it is not frozen.
pub fn frozen(freezes: &[Freeze], resource: &Resource, at: Timestamp) -> Option<FreezeWindow> {
    freezes.iter().filter_map(|f| f.blocks(resource, at)).max_by_key(|w| w.end)
}

/// Every window of `freezes` overlapping `[from, to)`, in start order.
pub fn freeze_windows(freezes: &[Freeze], from: Timestamp, to: Timestamp) -> Vec<FreezeWindow> {
    let mut out: Vec<FreezeWindow> = freezes.iter().flat_map(|f| f.windows(from, to)).collect();
    out.sort_by(|a, b| (a.start, a.end, &a.freeze_id).cmp(&(b.start, b.end, &b.freeze_id)));
    out
}

//! Release groups: a recurring release (weekly system train, monthly patch day) and its
//! [`Occurrence`]s.

use super::codes;
use super::fields::{Fields, id_and_name_problems};
use super::overlap::{CatchUp, Overlap};
use super::recurrence::{Cadence, LocalMoment, MAX_WALK, Recurrence, add_nominal, parse_timezone};
use crate::model::Duration;
use crate::release::ReleaseKind;
use crate::validate::{is_id, path};
use crate::{Error, Problem, Result, Timestamp};
use chrono::{Datelike, NaiveDate, Utc};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The template used when a group has no `name_template`.
pub const DEFAULT_NAME_TEMPLATE: &str = "{name} {date}";

/// The fields a `name_template` may use.
pub const TEMPLATE_FIELDS: [&str; 7] = ["name", "year", "iso_year", "iso_week", "month", "date", "n"];

const GROUP_FIELDS: &[&str] = &[
    "id",
    "name",
    "process",
    "input_set",
    "inputs",
    "cadence",
    "timezone",
    "duration",
    "starts_on",
    "ends_on",
    "name_template",
    "kind",
    "auto_start",
    "scope",
    "owners",
    "overlap",
    "catch_up",
];

/// A recurring release: the engine creates one `scheduled` release per occurrence of its cadence.
///
/// ```
/// use trainyard::schedule::ReleaseGroup;
/// let group = ReleaseGroup::from_text(r#"
/// id: system-train
/// name: System Release
/// process: system-release
/// cadence: { every: week, interval: 2, on: monday, at: "09:00" }
/// timezone: Europe/Berlin
/// duration: 2w
/// starts_on: 2025-03-31
/// name_template: "Week {iso_week} {name} - {month} {year}"
/// kind: system
/// "#).unwrap();
/// let from = "2025-03-01T00:00:00Z".parse().unwrap();
/// let to = "2025-05-01T00:00:00Z".parse().unwrap();
/// let occurrences = group.occurrences(from, to).unwrap();
/// assert_eq!(occurrences.len(), 3);
/// assert_eq!(occurrences[0].name, "Week 14 System Release - March 2025");
/// assert_eq!(occurrences[0].start.to_rfc3339(), "2025-03-31T07:00:00+00:00"); // 09:00 CEST
/// assert_eq!(occurrences[2].n, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseGroup {
    /// Unique id: `[a-z0-9][a-z0-9-_]{0,63}`.
    pub id: String,
    /// Display name (the `{name}` of the template).
    pub name: String,
    /// The process its releases run (latest version at materialisation).
    pub process: String,
    /// The input set its releases use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_set: Option<String>,
    /// Input values (over the input set and the process defaults). Every string in them (at any
    /// depth) is a template with the fields of `name_template`, rendered for each occurrence:
    /// `releaseVersion: "1.{iso_week}.0"` (`{{`/`}}` for braces).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, Value>,
    /// When releases start.
    pub cadence: Cadence,
    /// IANA time zone the cadence recurs in (default `UTC`).
    #[serde(default = "utc")]
    pub timezone: String,
    /// Planned length of each release (its calendar window): `2d`, `1w`.
    pub duration: Duration,
    /// First day (or local date-time) the cadence may fire; occurrence 1 is the first at or after it.
    pub starts_on: LocalMoment,
    /// Last day (inclusive) or local date-time the cadence may fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<LocalMoment>,
    /// Release name template: `{name}`, `{year}`, `{iso_year}`, `{iso_week}`, `{month}`, `{date}`,
    /// `{n}` (`{{`/`}}` for braces). Default [`DEFAULT_NAME_TEMPLATE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_template: Option<String>,
    /// Kind of its releases.
    #[serde(default)]
    pub kind: ReleaseKind,
    /// Whether its releases activate automatically at their start (default true).
    #[serde(default = "yes")]
    pub auto_start: bool,
    /// `account` or `org:<id>`.
    #[serde(default = "account")]
    pub scope: String,
    /// Owners of its releases (user ids or group names; notified of their start and end). When
    /// empty, its releases get the owners of the process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// What happens when an occurrence is due while earlier releases of the group are running
    /// (default `allow`; see [`super::decide_starts`]).
    #[serde(default, skip_serializing_if = "is_default")]
    pub overlap: Overlap,
    /// What happens to occurrences that became due without starting (default `latest`; see
    /// [`super::decide_starts`]).
    #[serde(default, skip_serializing_if = "is_default")]
    pub catch_up: CatchUp,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn utc() -> String {
    "UTC".into()
}

fn yes() -> bool {
    true
}

fn account() -> String {
    "account".into()
}

/// One occurrence of a group: the release it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The group id.
    pub group: String,
    /// 1-based ordinal since `starts_on`.
    pub n: u32,
    /// Start (UTC).
    pub start: Timestamp,
    /// `start + duration`: whole days on the calendar from the start as written, the rest exactly
    /// (see [`super::recurrence`], "Planned ends").
    pub end: Timestamp,
    /// The local date of the start in the group's time zone.
    pub local_date: NaiveDate,
    /// The release name (rendered template).
    pub name: String,
}

impl Occurrence {
    /// The idempotency key of this occurrence.
    pub fn key(&self) -> OccurrenceKey {
        OccurrenceKey { group: self.group.clone(), start: self.start }
    }
}

/// Identifies an occurrence: group id + occurrence start. Written `group@2025-04-03T12:00:00Z`.
///
/// ```
/// use trainyard::schedule::OccurrenceKey;
/// let key: OccurrenceKey = "train@2025-04-03T12:00:00Z".parse().unwrap();
/// assert_eq!(key.group, "train");
/// assert_eq!(key.to_string(), "train@2025-04-03T12:00:00Z");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OccurrenceKey {
    /// Group id.
    pub group: String,
    /// Occurrence start (UTC).
    pub start: Timestamp,
}

impl fmt::Display for OccurrenceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.group, self.start.format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

impl std::str::FromStr for OccurrenceKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::InvalidInput {
            problems: vec![Problem::new(
                "occurrence",
                codes::INVALID_VALUE,
                format!("`{s}` is not an occurrence key; expected `<group>@<RFC 3339 UTC time>`"),
            )],
        };
        let (group, start) = s.rsplit_once('@').ok_or_else(bad)?;
        let start = chrono::DateTime::parse_from_rfc3339(start).map_err(|_| bad())?.with_timezone(&Utc);
        Ok(OccurrenceKey { group: group.to_string(), start })
    }
}

impl ReleaseGroup {
    /// Reads and validates a group from YAML or JSON text.
    pub fn from_text(text: &str) -> Result<ReleaseGroup> {
        let value = crate::model::load::parse_document(text)?;
        ReleaseGroup::from_value(&value)
    }

    /// Reads and validates a group from a JSON value, reporting every problem at once (unknown,
    /// missing and malformed fields, then the semantic checks of [`ReleaseGroup::validate`]).
    pub fn from_value(value: &Value) -> Result<ReleaseGroup> {
        let mut f = Fields::new(value, "release group", GROUP_FIELDS);
        let group = ReleaseGroup {
            id: f.required("id", "`system-train`").unwrap_or_default(),
            name: f.required("name", "`System Release`").unwrap_or_default(),
            process: f.required("process", "`system-release`").unwrap_or_default(),
            input_set: f.optional("input_set"),
            inputs: f.optional("inputs").unwrap_or_default(),
            cadence: f
                .required("cadence", "`{ every: week, on: thursday, at: \"14:00\" }`")
                .unwrap_or_else(|| Cadence::Rrule("FREQ=DAILY".into())),
            timezone: f.optional("timezone").unwrap_or_else(utc),
            duration: f.required("duration", "`2d`").unwrap_or_else(|| Duration::from_secs(3600)),
            starts_on: f
                .required("starts_on", "`2025-04-03`")
                .unwrap_or(LocalMoment::Date(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default())),
            ends_on: f.optional("ends_on"),
            name_template: f.optional("name_template"),
            kind: f.optional("kind").unwrap_or_default(),
            auto_start: f.optional("auto_start").unwrap_or(true),
            scope: f.optional("scope").unwrap_or_else(account),
            owners: f.optional("owners").unwrap_or_default(),
            overlap: Overlap::default(),
            catch_up: f.optional("catch_up").unwrap_or_default(),
        };
        let mut group = group;
        if let Some(raw) = f.optional::<Value>("overlap") {
            match Overlap::from_value(&raw) {
                Ok(o) => group.overlap = o,
                Err(message) => f.problems.push(Problem::new("overlap", codes::INVALID_VALUE, message)),
            }
        }
        let problems = f.finish(group.problems());
        Error::validation_or(problems, group)
    }

    /// Checks the group; [`Error::Validation`] lists every problem.
    pub fn validate(&self) -> Result<()> {
        let problems = self.problems();
        Error::validation_or(problems, ())
    }

    /// Every problem of the group (empty when valid).
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = id_and_name_problems("group", &self.id, &self.name, "system-train", "System Release");
        if !is_id(&self.process) {
            problems.push(Problem::new("process", codes::BAD_ID, format!("`{}` is not a process id", self.process)));
        }
        if !(self.scope == "account" || self.scope.strip_prefix("org:").is_some_and(|o| !o.is_empty())) {
            problems.push(Problem::new(
                "scope",
                codes::INVALID_VALUE,
                format!("`{}` is not a scope; expected `account` or `org:<id>`", self.scope),
            ));
        }
        if self.duration.as_secs() == 0 {
            problems.push(Problem::new("duration", codes::BAD_DURATION, "a release lasts longer than 0s, e.g. `2d`"));
        }
        if let Some(t) = &self.name_template {
            problems.extend(check_template(t, "name_template"));
        }
        for (name, value) in &self.inputs {
            value_template_problems(value, &path::field("inputs", name), &mut problems);
        }
        for (i, owner) in self.owners.iter().enumerate() {
            if owner.trim().is_empty() {
                problems.push(Problem::new(
                    path::index("owners", i),
                    codes::INVALID_VALUE,
                    "an owner is a user id or a group name, e.g. `release-eng`; not empty",
                ));
            }
        }
        if let Some(end) = self.ends_on.filter(|end| !end.includes(self.starts_on.as_start())) {
            problems.push(Problem::new(
                "ends_on",
                codes::BAD_RANGE,
                format!("ends_on {end} is before starts_on {}", self.starts_on),
            ));
        }
        let tz = parse_timezone(&self.timezone);
        if tz.is_none() {
            problems.push(Problem::new(
                "timezone",
                codes::BAD_TIMEZONE,
                format!(
                    "`{}` is not an IANA time zone; e.g. `Europe/Berlin`, `America/New_York`, `UTC`",
                    self.timezone
                ),
            ));
        }
        match (self.cadence.to_rrule("cadence"), tz) {
            (Err(p), _) => problems.extend(p),
            (Ok(rule), Some(tz)) => {
                if let Err(e) = Recurrence::new(&rule, tz, self.starts_on.as_start()) {
                    problems.push(Problem::new("cadence", codes::BAD_RRULE, format!("`{rule}` cannot recur: {e}")));
                }
            }
            (Ok(_), None) => {}
        }
        problems
    }

    /// The inputs of the release of occurrence `o` (their templates rendered for it).
    pub fn inputs_for(&self, o: &Occurrence) -> IndexMap<String, Value> {
        self.inputs.iter().map(|(k, v)| (k.clone(), render_value(v, &self.name, o.local_date, o.n))).collect()
    }

    /// Compiles the cadence (validating the whole group first).
    pub fn recurrence(&self) -> Result<Recurrence> {
        self.validate()?;
        let tz = parse_timezone(&self.timezone).unwrap_or(chrono_tz::UTC);
        let rule = self.cadence.to_rrule("cadence").map_err(|problems| Error::Validation { problems })?;
        Recurrence::new(&rule, tz, self.starts_on.as_start())
            .map_err(|e| Error::Validation { problems: vec![Problem::new("cadence", codes::BAD_RRULE, e)] })
    }

    /// The occurrences whose start lies in `[from, to)`, in order, numbered from `starts_on`.
    ///
    /// DST: occurrences keep their local wall-clock time (see [`super::recurrence`]).
    pub fn occurrences(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Occurrence>> {
        let rec = self.recurrence()?;
        Ok(self.expand(&rec, from, to))
    }

    /// [`ReleaseGroup::occurrences`] with an already compiled recurrence.
    pub fn expand(&self, rec: &Recurrence, from: Timestamp, to: Timestamp) -> Vec<Occurrence> {
        let template = self.name_template.as_deref().unwrap_or(DEFAULT_NAME_TEMPLATE);
        let mut out = Vec::new();
        for (i, instance) in rec.instances().enumerate().take(MAX_WALK) {
            if self.ends_on.is_some_and(|end| !end.includes(instance.local)) {
                break;
            }
            let start = instance.at.with_timezone(&Utc);
            if start >= to {
                break;
            }
            if start < from {
                continue;
            }
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let local_date = instance.local.date();
            out.push(Occurrence {
                group: self.id.clone(),
                n,
                start,
                end: add_nominal(rec.timezone(), instance.local, self.duration.as_secs()),
                local_date,
                name: render_template(template, &self.name, local_date, n),
            });
        }
        out
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Every problem of a name template (unknown fields, unbalanced braces, empty), located at `path`.
pub fn check_template(template: &str, path: &str) -> Vec<Problem> {
    let mut problems = field_problems(template, path);
    if template.trim().is_empty() {
        problems.push(Problem::new(
            path,
            codes::BAD_TEMPLATE,
            format!("the template is empty; e.g. `{DEFAULT_NAME_TEMPLATE}`"),
        ));
    }
    problems
}

/// The template problems of every string in an input value, at `at` and below.
fn value_template_problems(value: &Value, at: &str, problems: &mut Vec<Problem>) {
    match value {
        Value::String(s) => problems.extend(field_problems(s, at)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                value_template_problems(item, &path::index(at, i), problems);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                value_template_problems(v, &path::field(at, k), problems);
            }
        }
        _ => {}
    }
}

/// An input value with every string in it rendered as a template (see [`render_template`]).
pub fn render_value(value: &Value, name: &str, date: NaiveDate, n: u32) -> Value {
    match value {
        Value::String(s) => Value::String(render_template(s, name, date, n)),
        Value::Array(items) => Value::Array(items.iter().map(|v| render_value(v, name, date, n)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), render_value(v, name, date, n))).collect())
        }
        other => other.clone(),
    }
}

/// Unknown fields and unbalanced braces of a template.
fn field_problems(template: &str, path: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut bad = |msg: String| problems.push(Problem::new(path, codes::BAD_TEMPLATE, msg));
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
            }
            '{' => {
                let field: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if !TEMPLATE_FIELDS.contains(&field.as_str()) {
                    bad(format!("`{{{field}}}` is not a template field; use {}", fields_list()));
                }
            }
            '}' => bad("unmatched `}`; write `}}` for a literal brace".into()),
            _ => {}
        }
    }
    problems
}

fn fields_list() -> String {
    TEMPLATE_FIELDS.iter().map(|f| format!("{{{f}}}")).collect::<Vec<_>>().join(", ")
}

/// Renders a name template for the occurrence `n` on `date` of the group named `name`. Unknown
/// fields are kept as written (validation reports them).
pub fn render_template(template: &str, name: &str, date: NaiveDate, n: u32) -> String {
    let mut out = String::with_capacity(template.len() + name.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let field: String = chars.by_ref().take_while(|c| *c != '}').collect();
                match field.as_str() {
                    "name" => out.push_str(name),
                    "year" => out.push_str(&date.year().to_string()),
                    "iso_year" => out.push_str(&date.iso_week().year().to_string()),
                    "iso_week" => out.push_str(&format!("{:02}", date.iso_week().week())),
                    "month" => out.push_str(MONTHS[date.month0() as usize]),
                    "date" => out.push_str(&date.format("%Y-%m-%d").to_string()),
                    "n" => out.push_str(&n.to_string()),
                    other => {
                        out.push('{');
                        out.push_str(other);
                        out.push('}');
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

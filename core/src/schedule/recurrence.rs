//! Recurrence: [`Cadence`] (an RFC 5545 RRULE or the friendly `every:` form), IANA time zones,
//! wall-clock [`LocalMoment`]s and the expansion of a cadence into UTC instants with the `rrule` crate.
//!
//! # Time-zone rules (RFC 5545 §3.3.5 and §3.3.10)
//! * A cadence recurs in **local wall-clock time** of its time zone: `every week on thursday at
//!   14:00` in `Europe/Berlin` is 14:00 in Berlin both in winter (13:00 UTC) and in summer (12:00 UTC).
//!   The rule is expanded on the wall clock first (from the start *as written*), and each local
//!   time is then turned into an instant; so a start that falls into a gap moves only itself, and
//!   the series keeps the time of day as written (`starts_on: 2025-03-30T02:30`, daily, in Berlin:
//!   03:30 CEST on 30 March, then 02:30 every day).
//! * A local time that does not exist (the spring-forward gap, e.g. 02:30 on the last Sunday of March
//!   in Berlin) is read with the UTC offset in force **before** the gap, as RFC 5545 §3.3.5 says: it
//!   lands as far after the gap as it was written into it (02:30 → 03:30 when the clocks skip an
//!   hour, 02:15 → 02:45 in `Australia/Lord_Howe`, which skips 30 minutes). RFC 5545 §3.3.10 says
//!   the same for the instances a rule computes, so a daily 02:30 release runs at 03:30 on that day
//!   rather than being dropped. (Only invalid *dates*, such as 30 February, are skipped.)
//! * A local time that exists twice (the autumn fall-back) means its **first** occurrence (the
//!   earlier instant, still on summer time).
//! * When two local times give the same instant (an hourly rule through a gap: 02:30 → 03:30 and
//!   03:30 itself), it is one occurrence (RFC 5545: duplicate instances are ignored), numbered once.
//! * `UNTIL` (a UTC date-time) bounds the instants; `COUNT` counts the local times the rule computes.
//!
//! # Planned ends (durations)
//! `start + duration` counts the **whole days** of the duration on the calendar of the time zone,
//! from the start *as written*, and the rest exactly (RFC 5545 §3.3.6: days are nominal, hours,
//! minutes and seconds exact): `2d` from Friday 16:00 ends Sunday 16:00 local even across a DST
//! change, and a `2d` release written for 02:30 on a spring-forward day (so starting 03:30) ends at
//! 02:30 two days later, like every other occurrence of its series. The end is resolved with the
//! same gap and fold rules. Should that leave no time at all (a gap of a whole day), the duration is
//! counted exactly instead.

use super::codes;
use super::rrule_check::rule_problems;
use crate::{Problem, Timestamp};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// Most occurrences walked in one expansion (from the start of the recurrence). Ten years of an
/// hourly cadence is 87,600; anything beyond this is cut off and flagged as truncated.
pub const MAX_WALK: usize = 1_000_000;

/// How often something recurs: an RFC 5545 RRULE string, or the friendly [`Every`] form that compiles
/// to one.
///
/// ```
/// use trainyard::schedule::Cadence;
/// let rrule: Cadence = serde_json::from_value(serde_json::json!("FREQ=WEEKLY;BYDAY=TH;BYHOUR=14")).unwrap();
/// let friendly: Cadence =
///     serde_json::from_value(serde_json::json!({ "every": "week", "on": "thursday", "at": "14:00" })).unwrap();
/// assert_eq!(friendly.to_rrule("cadence").unwrap(), "FREQ=WEEKLY;BYDAY=TH;BYHOUR=14;BYMINUTE=0;BYSECOND=0");
/// assert_eq!(rrule.to_rrule("cadence").unwrap(), "FREQ=WEEKLY;BYDAY=TH;BYHOUR=14");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cadence {
    /// An RFC 5545 recurrence rule, e.g. `FREQ=WEEKLY;BYDAY=TH;BYHOUR=14` (an `RRULE:` prefix is
    /// accepted). `DTSTART` comes from the group's `starts_on`, never from the rule.
    Rrule(String),
    /// The friendly form, e.g. `{ every: week, on: thursday, at: "14:00" }`.
    Every(Every),
}

/// The friendly cadence form: `{ every: day|week|month|quarter, interval, on, day_of_month, at }`.
///
/// * `every`: `day`, `week`, `month` or `quarter` (= every 3 months, counted from `starts_on`).
/// * `interval`: every n-th day/week/month/quarter (default 1, at least 1).
/// * `on`: a weekday or a list of weekdays (`thursday`, `thu`, `th`, any case). With `month` and
///   `quarter` an ordinal may come first: `first monday`, `2nd tuesday`, `last friday`.
/// * `day_of_month`: 1–31, or −1…−31 counted from the end (−1 = the last day); `month`/`quarter`
///   only. Months without that day are skipped (RFC 5545), so prefer −1 for "the last day".
///   With `on` too, both must hold (e.g. Friday the 13th).
/// * `at`: local wall-clock time `HH:MM` or `HH:MM:SS`; default: the time of `starts_on` (midnight
///   for a plain date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Every {
    /// `day`, `week`, `month` or `quarter`.
    pub every: String,
    /// Every n-th period (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub interval: u32,
    /// Weekdays (`thursday`, `[mon, wed]`, `first monday`).
    #[serde(default, deserialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub on: Vec<String>,
    /// Day of the month (1–31, or negative from the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<i32>,
    /// Local time of day, `HH:MM` or `HH:MM:SS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(s)) => Ok(vec![s]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::custom(
            "`on` must be a weekday or a list of weekdays, e.g. `thursday` or `[mon, wed]`",
        )),
    }
}

impl Serialize for Cadence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cadence::Rrule(r) => s.serialize_str(r),
            Cadence::Every(e) => e.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Cadence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        match value {
            serde_json::Value::String(s) => Ok(Cadence::Rrule(s)),
            serde_json::Value::Object(_) => serde_json::from_value::<Every>(value).map(Cadence::Every).map_err(|e| {
                serde::de::Error::custom(format!(
                    "friendly cadence: {e}; fields are every, interval, on, day_of_month, at"
                ))
            }),
            other => Err(serde::de::Error::custom(format!(
                "a cadence is an RRULE string (`FREQ=WEEKLY;BYDAY=TH;BYHOUR=14`) or a mapping (`{{ every: week, on: thursday, at: \"14:00\" }}`), not {other}"
            ))),
        }
    }
}

const WEEKDAYS: [(&str, &str, &str); 7] = [
    ("monday", "mon", "MO"),
    ("tuesday", "tue", "TU"),
    ("wednesday", "wed", "WE"),
    ("thursday", "thu", "TH"),
    ("friday", "fri", "FR"),
    ("saturday", "sat", "SA"),
    ("sunday", "sun", "SU"),
];

fn weekday_code(text: &str) -> Option<&'static str> {
    let t = text.trim().to_ascii_lowercase();
    WEEKDAYS.iter().find(|(long, short, code)| t == *long || t == *short || t == code.to_ascii_lowercase()).map(|w| w.2)
}

fn ordinal(text: &str) -> Option<i32> {
    match text.to_ascii_lowercase().as_str() {
        "first" | "1st" => Some(1),
        "second" | "2nd" => Some(2),
        "third" | "3rd" => Some(3),
        "fourth" | "4th" => Some(4),
        "fifth" | "5th" => Some(5),
        "last" => Some(-1),
        "second-last" | "second_last" => Some(-2),
        _ => None,
    }
}

/// Parses a local time of day `HH:MM` or `HH:MM:SS` (24-hour clock).
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(text.trim(), "%H:%M")).ok()
}

impl Cadence {
    /// The RFC 5545 RRULE this cadence stands for (without the `RRULE:` prefix), or every problem
    /// found, each located under `path` (e.g. `cadence.on[1]`).
    pub fn to_rrule(&self, path: &str) -> Result<String, Vec<Problem>> {
        match self {
            Cadence::Rrule(text) => {
                let rule = text.trim();
                let rule = rule.strip_prefix("RRULE:").unwrap_or(rule).to_string();
                let problems = rule_problems(&rule, path);
                if !problems.is_empty() {
                    return Err(problems);
                }
                match rule.parse::<rrule::RRule<rrule::Unvalidated>>() {
                    Ok(_) => Ok(rule),
                    Err(e) => Err(vec![Problem::new(
                        path,
                        codes::BAD_RRULE,
                        format!("`{text}` is not an RFC 5545 RRULE ({e}); e.g. `FREQ=WEEKLY;BYDAY=TH;BYHOUR=14`"),
                    )]),
                }
            }
            Cadence::Every(every) => every.to_rrule(path),
        }
    }
}

impl Every {
    /// The RRULE of the friendly form, or every problem found.
    pub fn to_rrule(&self, path: &str) -> Result<String, Vec<Problem>> {
        let mut problems = Vec::new();
        let (freq, months) = match self.every.trim().to_ascii_lowercase().as_str() {
            "day" => ("DAILY", false),
            "week" => ("WEEKLY", false),
            "month" => ("MONTHLY", true),
            "quarter" => ("MONTHLY", true),
            other => {
                problems.push(Problem::new(
                    format!("{path}.every"),
                    codes::INVALID_VALUE,
                    format!("`{other}` is not a period; expected one of: day, week, month, quarter"),
                ));
                ("WEEKLY", false)
            }
        };
        let quarter = self.every.trim().eq_ignore_ascii_case("quarter");
        if self.interval == 0 || self.interval > 1000 {
            problems.push(Problem::new(
                format!("{path}.interval"),
                codes::BAD_INTERVAL,
                format!("interval {} is out of range; expected 1 to 1000 (1 = every period)", self.interval),
            ));
        }
        let mut days = Vec::new();
        for (i, day) in self.on.iter().enumerate() {
            let here = format!("{path}.on[{i}]");
            let words: Vec<&str> = day.split_whitespace().collect();
            let (n, name) = match words.as_slice() {
                [name] => (None, *name),
                [ord, name] => match ordinal(ord) {
                    Some(n) => (Some(n), *name),
                    None => {
                        problems.push(Problem::new(
                            &here,
                            codes::BAD_WEEKDAY,
                            format!("`{ord}` is not an ordinal; expected first, second, third, fourth, fifth, last (e.g. `first monday`)"),
                        ));
                        continue;
                    }
                },
                _ => (None, day.as_str()),
            };
            let Some(code) = weekday_code(name) else {
                problems.push(Problem::new(
                    &here,
                    codes::BAD_WEEKDAY,
                    format!("`{day}` is not a weekday; expected monday … sunday (or mon, tue, … / mo, tu, …)"),
                ));
                continue;
            };
            if n.is_some() && !months {
                problems.push(Problem::new(
                    &here,
                    codes::BAD_WEEKDAY,
                    format!("`{day}`: an ordinal weekday needs `every: month` or `every: quarter`"),
                ));
                continue;
            }
            days.push(match n {
                Some(n) => format!("{n}{code}"),
                None => code.to_string(),
            });
        }
        if let Some(d) = self.day_of_month {
            if !months {
                problems.push(Problem::new(
                    format!("{path}.day_of_month"),
                    codes::FIELD_NOT_ALLOWED,
                    "`day_of_month` needs `every: month` or `every: quarter`",
                ));
            } else if d == 0 || !(-31..=31).contains(&d) {
                problems.push(Problem::new(
                    format!("{path}.day_of_month"),
                    codes::INVALID_VALUE,
                    format!("day_of_month {d} is out of range; expected 1 to 31, or -1 (last day) to -31"),
                ));
            }
        }
        let time = match &self.at {
            None => None,
            Some(at) => {
                match parse_time_of_day(at) {
                    Some(t) => Some(t),
                    None => {
                        problems.push(Problem::new(
                        format!("{path}.at"),
                        codes::BAD_TIME,
                        format!("`{at}` is not a time of day; write HH:MM or HH:MM:SS on a 24-hour clock, e.g. \"14:00\""),
                    ));
                        None
                    }
                }
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let interval = if quarter { self.interval * 3 } else { self.interval };
        let mut rule = format!("FREQ={freq}");
        if interval != 1 {
            rule.push_str(&format!(";INTERVAL={interval}"));
        }
        if !days.is_empty() {
            rule.push_str(&format!(";BYDAY={}", days.join(",")));
        }
        if let Some(d) = self.day_of_month {
            rule.push_str(&format!(";BYMONTHDAY={d}"));
        }
        if let Some(t) = time {
            use chrono::Timelike;
            rule.push_str(&format!(";BYHOUR={};BYMINUTE={};BYSECOND={}", t.hour(), t.minute(), t.second()));
        }
        Ok(rule)
    }
}

/// Parses an IANA time-zone name (`Europe/Berlin`, `America/New_York`, `UTC`).
pub fn parse_timezone(name: &str) -> Option<chrono_tz::Tz> {
    name.trim().parse::<chrono_tz::Tz>().ok()
}

/// A wall-clock date or date-time in some time zone (the group's): `2025-04-03` or
/// `2025-04-03T14:00[:00]`. Serialized as that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocalMoment {
    /// A calendar date (for `starts_on`: from its midnight; for `ends_on`: through its end).
    Date(NaiveDate),
    /// A date and a wall-clock time.
    DateTime(NaiveDateTime),
}

impl LocalMoment {
    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (a space may replace `T`).
    pub fn parse(text: &str) -> Option<LocalMoment> {
        let t = text.trim();
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Some(LocalMoment::Date(d));
        }
        ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
            .map(LocalMoment::DateTime)
    }

    /// The moment as a start: midnight for a date.
    pub fn as_start(self) -> NaiveDateTime {
        match self {
            LocalMoment::Date(d) => d.and_time(NaiveTime::MIN),
            LocalMoment::DateTime(t) => t,
        }
    }

    /// Whether a local date-time is at or before this moment taken as an inclusive end (a date
    /// includes its whole day).
    pub fn includes(self, local: NaiveDateTime) -> bool {
        match self {
            LocalMoment::Date(d) => local.date() <= d,
            LocalMoment::DateTime(t) => local <= t,
        }
    }
}

impl fmt::Display for LocalMoment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalMoment::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            LocalMoment::DateTime(t) => write!(f, "{}", t.format("%Y-%m-%dT%H:%M:%S")),
        }
    }
}

impl Serialize for LocalMoment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalMoment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        LocalMoment::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a local date or date-time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (wall-clock time in the timezone)"
            ))
        })
    }
}

/// Turns a wall-clock time in `tz` into an instant, with the rules of the module docs (gap: the
/// offset before the gap, so the time moves forward by the gap's length; overlap: the first
/// instant).
pub fn resolve_local(tz: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<chrono_tz::Tz> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t,
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => {
            // Inside a gap: read it with the offset in force just before the gap.
            let gap = chrono_tz::GapInfo::new(&local, &tz);
            match gap.as_ref().and_then(|g| g.begin) {
                Some((_, before)) => {
                    let utc = local - chrono::Duration::seconds(i64::from(before.fix().local_minus_utc()));
                    tz.from_utc_datetime(&utc)
                }
                // A gap before the zone's first known offset: its first instant after the gap.
                None => gap.and_then(|g| g.end).unwrap_or_else(|| tz.from_utc_datetime(&local)),
            }
        }
    }
}

/// The end of a window written to start at the wall-clock `local` in `tz` and to last `secs`
/// (module docs, "Planned ends"): whole days on the calendar from `local` as written, the rest
/// exactly.
pub fn add_nominal(tz: chrono_tz::Tz, local: NaiveDateTime, secs: u64) -> Timestamp {
    let start = resolve_local(tz, local).with_timezone(&Utc);
    let exact = chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 4));
    let days = secs / 86_400;
    let rest = chrono::Duration::seconds(i64::try_from(secs % 86_400).unwrap_or(0));
    let nominal = local
        .checked_add_days(chrono::Days::new(days))
        .map(|day| resolve_local(tz, day).with_timezone(&Utc))
        .and_then(|base| base.checked_add_signed(rest));
    match nominal {
        Some(end) if end > start => end,
        _ => start.checked_add_signed(exact).unwrap_or(start),
    }
}

/// One instance of a recurrence: the wall-clock time the rule computed and the instant it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    /// The local time as the rule computed it (it may lie in a gap).
    pub local: NaiveDateTime,
    /// The instant (module rules).
    pub at: DateTime<chrono_tz::Tz>,
}

/// A compiled recurrence: a validated RRULE anchored at a local start in a time zone.
#[derive(Debug, Clone)]
pub struct Recurrence {
    /// The rule without `UNTIL`, expanded on the wall clock (a UTC "floating" time line).
    set: rrule::RRuleSet,
    tz: chrono_tz::Tz,
    rule: String,
    until: Option<Timestamp>,
}

/// `rule` without its `UNTIL` part, and the `UNTIL` instant (UTC).
fn split_until(rule: &str) -> Result<(String, Option<Timestamp>), String> {
    let mut until = None;
    let mut rest = Vec::new();
    for part in rule.split(';').filter(|p| !p.trim().is_empty()) {
        match part.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("UNTIL") => {
                let value = value.trim();
                let t = NaiveDateTime::parse_from_str(&value.to_ascii_uppercase(), "%Y%m%dT%H%M%SZ")
                    .map_err(|_| format!("UNTIL={value} is not a UTC date-time such as 20251231T235959Z"))?;
                until = Some(t.and_utc());
            }
            _ => rest.push(part),
        }
    }
    Ok((rest.join(";"), until))
}

impl Recurrence {
    /// Compiles `rule` (an RRULE without `DTSTART`) anchored at the wall-clock `start` in `tz`.
    /// The error message says what is wrong with the rule.
    pub fn new(rule: &str, tz: chrono_tz::Tz, start: NaiveDateTime) -> Result<Recurrence, String> {
        let (floating, until) = split_until(rule)?;
        let dt_start = rrule::Tz::UTC.from_utc_datetime(&start);
        let parsed: rrule::RRule<rrule::Unvalidated> = floating.parse().map_err(|e| format!("{e}"))?;
        let set = parsed.build(dt_start).map_err(|e| format!("{e}"))?.limit();
        if let Some(until) = until {
            let first = resolve_local(tz, start).with_timezone(&Utc);
            if until < first {
                return Err(format!(
                    "UNTIL {} is before the start {} ({start} in {tz})",
                    until.to_rfc3339(),
                    first.to_rfc3339()
                ));
            }
        }
        Ok(Recurrence { set, tz, rule: rule.to_string(), until })
    }

    /// The RRULE text.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The time zone.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.tz
    }

    /// Every instance from the start, in order of their instants, each instant once (module
    /// rules). The iterator ends when the rule ends, or when the `rrule` crate's loop guard gives
    /// up on a rule that matches nothing (e.g. `FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30`).
    pub fn instances(&self) -> impl Iterator<Item = Instance> + '_ {
        let locals = (&self.set).into_iter().take(MAX_WALK).map(|t| t.naive_utc());
        InOrder { locals, tz: self.tz, until: self.until, pending: BTreeMap::new(), frontier: None, done: false }
    }

    /// The instants of [`Recurrence::instances`], in the time zone.
    pub fn iter(&self) -> impl Iterator<Item = DateTime<chrono_tz::Tz>> + '_ {
        self.instances().map(|i| i.at)
    }

    /// Occurrences whose start lies in `[from, to)`, in UTC.
    pub fn between(&self, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
        self.iter().map(|t| t.with_timezone(&Utc)).skip_while(|t| *t < from).take_while(|t| *t < to).collect()
    }
}

/// How far (in wall-clock time) an instant may lie before the local time it was computed from,
/// at most: more than any UTC offset plus any gap.
const REORDER_MARGIN: chrono::Duration = chrono::Duration::days(2);

/// Resolves wall-clock times (in order) to instants and yields them in order, each once: a
/// local time in a gap may resolve after the next local times, or onto the same instant.
struct InOrder<I> {
    locals: I,
    tz: chrono_tz::Tz,
    until: Option<Timestamp>,
    /// Resolved, not yet yielded instants and the local time each came from (the first one).
    pending: BTreeMap<Timestamp, NaiveDateTime>,
    /// Every instant still to come lies after this one.
    frontier: Option<Timestamp>,
    done: bool,
}

impl<I: Iterator<Item = NaiveDateTime>> Iterator for InOrder<I> {
    type Item = Instance;

    fn next(&mut self) -> Option<Instance> {
        loop {
            if let Some((&at, _)) = self.pending.first_key_value() {
                if self.done || self.frontier.is_some_and(|f| at < f) {
                    let local = self.pending.remove(&at)?;
                    if self.until.is_some_and(|u| at > u) {
                        self.pending.clear();
                        self.done = true;
                        return None;
                    }
                    return Some(Instance { local, at: at.with_timezone(&self.tz) });
                }
            }
            if self.done {
                return None;
            }
            match self.locals.next() {
                None => self.done = true,
                Some(local) => {
                    let at = resolve_local(self.tz, local).with_timezone(&Utc);
                    self.frontier = local.and_utc().checked_sub_signed(REORDER_MARGIN);
                    self.pending.entry(at).or_insert(local);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(json: serde_json::Value) -> Cadence {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn friendly_forms_compile_to_rrules() {
        let cases = [
            (serde_json::json!({"every": "day", "at": "09:30"}), "FREQ=DAILY;BYHOUR=9;BYMINUTE=30;BYSECOND=0"),
            (serde_json::json!({"every": "week", "on": ["mon", "WE"]}), "FREQ=WEEKLY;BYDAY=MO,WE"),
            (serde_json::json!({"every": "week", "interval": 2, "on": "Thursday"}), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"),
            (serde_json::json!({"every": "month", "day_of_month": -1}), "FREQ=MONTHLY;BYMONTHDAY=-1"),
            (serde_json::json!({"every": "month", "on": "first monday"}), "FREQ=MONTHLY;BYDAY=1MO"),
            (serde_json::json!({"every": "quarter", "day_of_month": 15}), "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15"),
        ];
        for (json, rule) in cases {
            assert_eq!(every(json.clone()).to_rrule("c").unwrap(), rule, "{json}");
        }
    }

    #[test]
    fn friendly_form_reports_every_problem() {
        let c = every(serde_json::json!({
            "every": "fortnight", "interval": 0, "on": ["thursday", "blursday", "first monday"],
            "day_of_month": 3, "at": "25:00"
        }));
        let problems = c.to_rrule("cadence").unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("cadence.every", "invalid_value"),
                ("cadence.interval", "bad_interval"),
                ("cadence.on[1]", "bad_weekday"),
                ("cadence.on[2]", "bad_weekday"),
                ("cadence.day_of_month", "field_not_allowed"),
                ("cadence.at", "bad_time"),
            ]
        );
    }

    #[test]
    fn bad_rrules_are_reported() {
        for bad in ["FREQ=SOMETIMES", "BYDAY=TH", "FREQ=MINUTELY", "FREQ=WEEKLY;BYDAY=XX"] {
            let err = Cadence::Rrule(bad.into()).to_rrule("cadence").unwrap_err();
            assert_eq!(err[0].code, "bad_rrule", "{bad}");
        }
        assert_eq!(Cadence::Rrule("RRULE:FREQ=DAILY".into()).to_rrule("c").unwrap(), "FREQ=DAILY");
    }

    #[test]
    fn local_moments_parse_and_print() {
        assert_eq!(LocalMoment::parse("2025-04-03").unwrap().to_string(), "2025-04-03");
        assert_eq!(LocalMoment::parse("2025-04-03T14:00").unwrap().to_string(), "2025-04-03T14:00:00");
        assert!(LocalMoment::parse("2025-13-03").is_none());
        assert!(LocalMoment::parse("next week").is_none());
    }

    #[test]
    fn gaps_and_overlaps_resolve_as_rfc5545_says() {
        let tz = chrono_tz::Europe::Berlin;
        let gap = NaiveDate::from_ymd_opt(2025, 3, 30).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(resolve_local(tz, gap).with_timezone(&Utc).to_rfc3339(), "2025-03-30T01:30:00+00:00");
        let twice = NaiveDate::from_ymd_opt(2025, 10, 26).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(resolve_local(tz, twice).with_timezone(&Utc).to_rfc3339(), "2025-10-26T00:30:00+00:00");
    }

    #[test]
    fn a_rule_that_matches_nothing_ends_instead_of_looping() {
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let r = Recurrence::new("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", chrono_tz::UTC, start);
        if let Ok(r) = r {
            assert_eq!(r.iter().count(), 0);
        }
    }
}

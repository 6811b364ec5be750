//! Recurrence: [`Cadence`] (an RFC 5545 RRULE or the friendly `every:` form), IANA time zones,
//! wall-clock [`LocalMoment`]s and the expansion of a cadence into UTC instants with the `rrule` crate.
//!
//! # Time-zone rules
//! * A cadence recurs in **local wall-clock time** of its time zone: `every week on thursday at
//!   14:00` in `Europe/Berlin` is 14:00 in Berlin both in winter (13:00 UTC) and in summer (12:00 UTC).
//! * A local time that does not exist (the spring-forward gap, e.g. 02:30 on the last Sunday of March
//!   in Berlin) is read with the UTC offset before the gap, as RFC 5545 §3.3.5 says: it lands at the
//!   same distance after the gap (03:30 local).
//! * A local time that exists twice (the autumn fall-back) means its **first** occurrence (the
//!   earlier instant, still on summer time).

use super::codes;
use crate::{Problem, Timestamp};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
                match rule.parse::<rrule::RRule<rrule::Unvalidated>>() {
                    Ok(parsed) => match parsed.get_freq() {
                        rrule::Frequency::Minutely | rrule::Frequency::Secondly => Err(vec![Problem::new(
                            path,
                            codes::BAD_RRULE,
                            format!("`{text}` recurs more often than hourly; use FREQ=HOURLY or coarser"),
                        )]),
                        _ => Ok(rule),
                    },
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

/// Turns a wall-clock time in `tz` into an instant, with the rules of the module docs (gap: offset
/// before the gap; overlap: the first instant).
pub fn resolve_local(tz: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<chrono_tz::Tz> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t,
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => {
            // Inside a gap: use the offset in force just before it.
            let before = tz.offset_from_utc_datetime(&(local - chrono::Duration::hours(3))).fix();
            let utc = local - chrono::Duration::seconds(i64::from(before.local_minus_utc()));
            tz.from_utc_datetime(&utc)
        }
    }
}

/// `start + secs`, with whole days counted in the calendar of `tz` (RFC 5545 nominal days: `2d`
/// from Friday 16:00 ends Sunday 16:00 local even across a DST change) and the rest counted exactly.
pub fn add_nominal(start: DateTime<chrono_tz::Tz>, secs: u64) -> Timestamp {
    let days = secs / 86_400;
    let rest = i64::try_from(secs % 86_400).unwrap_or(0);
    let local = start.naive_local().checked_add_days(chrono::Days::new(days));
    let base = match local {
        Some(local) => resolve_local(start.timezone(), local).with_timezone(&Utc),
        None => start.with_timezone(&Utc),
    };
    base.checked_add_signed(chrono::Duration::seconds(rest)).unwrap_or(base)
}

/// A compiled recurrence: a validated RRULE anchored at a local start in a time zone.
#[derive(Debug, Clone)]
pub struct Recurrence {
    set: rrule::RRuleSet,
    tz: chrono_tz::Tz,
    rule: String,
}

impl Recurrence {
    /// Compiles `rule` (an RRULE without `DTSTART`) anchored at the wall-clock `start` in `tz`.
    /// The error message says what is wrong with the rule.
    pub fn new(rule: &str, tz: chrono_tz::Tz, start: NaiveDateTime) -> Result<Recurrence, String> {
        let dt_start = resolve_local(tz, start).with_timezone(&rrule::Tz::Tz(tz));
        let parsed: rrule::RRule<rrule::Unvalidated> = rule.parse().map_err(|e| format!("{e}"))?;
        let set = parsed.build(dt_start).map_err(|e| format!("{e}"))?.limit();
        Ok(Recurrence { set, tz, rule: rule.to_string() })
    }

    /// The RRULE text.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The time zone.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.tz
    }

    /// Every occurrence from the start, in order, as instants in the time zone. The iterator ends
    /// when the rule ends, or when the `rrule` crate's loop guard gives up on a rule that matches
    /// nothing (e.g. `FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30`).
    pub fn iter(&self) -> impl Iterator<Item = DateTime<chrono_tz::Tz>> + '_ {
        (&self.set).into_iter().take(MAX_WALK).map(move |t| t.with_timezone(&self.tz))
    }

    /// Occurrences whose start lies in `[from, to)`, in UTC.
    pub fn between(&self, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
        self.iter().map(|t| t.with_timezone(&Utc)).skip_while(|t| *t < from).take_while(|t| *t < to).collect()
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

//! What RFC 5545 §3.3.10 forbids in a recurrence rule, checked part by part so that every problem
//! of a rule is reported at once (the `rrule` crate stops at the first, and accepts some rules the
//! RFC forbids, e.g. `FREQ=WEEKLY;BYDAY=1MO`, which it then fires every Monday).
//!
//! # The rules checked
//! * Each part is `NAME=VALUE` with a known name, and appears at most once; `FREQ` is required.
//! * `FREQ` is `HOURLY`, `DAILY`, `WEEKLY`, `MONTHLY` or `YEARLY` (trainyard refuses `MINUTELY` and
//!   `SECONDLY`: nothing is released more often than hourly).
//! * `COUNT` and `UNTIL` do not occur together; `COUNT` and `INTERVAL` are positive integers.
//! * `UNTIL` is a UTC date-time (`20251231T235959Z`): trainyard's rules recur in a time zone, and
//!   with a `DTSTART` in local time and a time zone the RFC requires `UTC` there.
//! * Ranges: `BYSECOND` 0–59, `BYMINUTE` 0–59, `BYHOUR` 0–23, `BYMONTHDAY` ±1–31, `BYYEARDAY`
//!   ±1–366, `BYWEEKNO` ±1–53, `BYMONTH` 1–12, `BYSETPOS` ±1–366, weekdays `MO`…`SU`.
//! * `BYDAY` with an ordinal (`1MO`, `-1FR`) only with `FREQ=MONTHLY` (±1–5) or `FREQ=YEARLY`
//!   (±1–53), and not with `FREQ=YEARLY` and `BYWEEKNO` together.
//! * `BYMONTHDAY` not with `FREQ=WEEKLY`; `BYYEARDAY` not with `DAILY`, `WEEKLY` or `MONTHLY`;
//!   `BYWEEKNO` only with `YEARLY`; `BYSETPOS` only together with another `BYxxx` part.

use super::codes;
use crate::Problem;

/// The rule parts RFC 5545 defines, in the RFC's order.
const PARTS: [&str; 14] = [
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
];

const FREQUENCIES: [&str; 7] = ["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"];
const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// Every RFC 5545 problem of `rule` (without `RRULE:`), located at `path`; empty when it follows
/// the module rules.
pub(crate) fn rule_problems(rule: &str, path: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut bad = |message: String| out.push(Problem::new(path, codes::BAD_RRULE, message));
    let mut parts: Vec<(String, String)> = Vec::new();
    for part in rule.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, value)) = part.split_once('=') else {
            bad(format!("`{part}` is not a rule part; write NAME=VALUE, e.g. `FREQ=WEEKLY`"));
            continue;
        };
        let name = name.trim().to_ascii_uppercase();
        if !PARTS.contains(&name.as_str()) {
            bad(format!("`{name}` is not an RRULE part; the parts are {}", PARTS.join(", ")));
        } else if parts.iter().any(|(n, _)| *n == name) {
            bad(format!("`{name}` appears more than once; RFC 5545 allows each rule part once"));
        } else {
            parts.push((name, value.trim().to_ascii_uppercase()));
        }
    }
    let get = |name: &str| parts.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let freq = get("FREQ");
    match freq {
        None => bad("a rule needs `FREQ` (HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY), e.g. `FREQ=WEEKLY`".into()),
        Some(f) if !FREQUENCIES.contains(&f) => {
            bad(format!("`FREQ={f}` is not a frequency; expected HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY"))
        }
        Some(f @ ("SECONDLY" | "MINUTELY")) => {
            bad(format!("`FREQ={f}` recurs more often than hourly; use FREQ=HOURLY or coarser"))
        }
        Some(_) => {}
    }
    if get("COUNT").is_some() && get("UNTIL").is_some() {
        bad("`COUNT` and `UNTIL` may not be used together (RFC 5545 §3.3.10); keep one of them".into());
    }
    for name in ["COUNT", "INTERVAL"] {
        if let Some(v) = get(name) {
            if !v.parse::<u32>().is_ok_and(|n| n > 0) {
                bad(format!("`{name}={v}` is not a positive whole number, e.g. `{name}=2`"));
            }
        }
    }
    if let Some(v) = get("UNTIL") {
        if chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ").is_err() {
            bad(format!(
                "`UNTIL={v}` must be a UTC date-time such as `UNTIL=20251231T235959Z` (RFC 5545: the rule \
                 recurs in a time zone); or end the series with `ends_on`"
            ));
        }
    }
    if let Some(v) = get("WKST") {
        if !WEEKDAYS.contains(&v) {
            bad(format!("`WKST={v}` is not a weekday; expected one of {}", WEEKDAYS.join(", ")));
        }
    }
    for (name, min, max) in [
        ("BYSECOND", 0, 59),
        ("BYMINUTE", 0, 59),
        ("BYHOUR", 0, 23),
        ("BYMONTH", 1, 12),
        ("BYMONTHDAY", -31, 31),
        ("BYYEARDAY", -366, 366),
        ("BYWEEKNO", -53, 53),
        ("BYSETPOS", -366, 366),
    ] {
        if let Some(v) = get(name) {
            for item in v.split(',') {
                let ok = item.trim().parse::<i32>().is_ok_and(|n| (min..=max).contains(&n) && (min >= 0 || n != 0));
                if !ok {
                    let range = if min < 0 { format!("1 to {max} or -1 to {min}") } else { format!("{min} to {max}") };
                    bad(format!("`{name}` value `{item}` is out of range; expected {range}"));
                }
            }
        }
    }
    if let (Some(days), Some(f)) = (get("BYDAY"), freq) {
        byday_problems(days, f, get("BYWEEKNO").is_some(), &mut bad);
    }
    let forbidden: [(&str, &[&str], &str); 3] = [
        ("BYMONTHDAY", &["WEEKLY"], "with FREQ=WEEKLY"),
        ("BYYEARDAY", &["DAILY", "WEEKLY", "MONTHLY"], "with FREQ=DAILY, WEEKLY or MONTHLY"),
        ("BYWEEKNO", &["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"], "except with FREQ=YEARLY"),
    ];
    for (name, freqs, when) in forbidden {
        if let (Some(_), Some(f)) = (get(name), freq) {
            if freqs.contains(&f) {
                bad(format!("`{name}` may not be used {when} (RFC 5545 §3.3.10); this rule has FREQ={f}"));
            }
        }
    }
    if get("BYSETPOS").is_some() && !parts.iter().any(|(n, _)| n.starts_with("BY") && n != "BYSETPOS") {
        bad("`BYSETPOS` picks among the instances of another BYxxx part (RFC 5545 §3.3.10), and this rule has none; \
             e.g. `FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1` for the last workday"
            .into());
    }
    out
}

/// The problems of a `BYDAY` list under `freq`.
fn byday_problems(days: &str, freq: &str, with_weekno: bool, bad: &mut impl FnMut(String)) {
    for day in days.split(',').map(str::trim) {
        let split = day.len().saturating_sub(2);
        let (ordinal, weekday) = (day.get(..split).unwrap_or(""), day.get(split..).unwrap_or(""));
        if !WEEKDAYS.contains(&weekday) {
            bad(format!(
                "`BYDAY` value `{day}` is not a weekday; expected MO … SU, optionally after an ordinal (1MO, -1FR)"
            ));
            continue;
        }
        if ordinal.is_empty() {
            continue;
        }
        let Ok(n) = ordinal.parse::<i32>() else {
            bad(format!("`BYDAY` value `{day}`: `{ordinal}` is not an ordinal; e.g. 1MO, 2TU, -1FR"));
            continue;
        };
        match freq {
            "YEARLY" if with_weekno => bad(format!(
                "`BYDAY={day}`: an ordinal weekday may not be combined with BYWEEKNO (RFC 5545 §3.3.10); write `{weekday}`"
            )),
            "MONTHLY" if n == 0 || !(-5..=5).contains(&n) => {
                bad(format!("`BYDAY={day}`: in a month the ordinal is 1 to 5 or -1 to -5"))
            }
            "YEARLY" if n == 0 || !(-53..=53).contains(&n) => {
                bad(format!("`BYDAY={day}`: in a year the ordinal is 1 to 53 or -1 to -53"))
            }
            "MONTHLY" | "YEARLY" => {}
            other => bad(format!(
                "`BYDAY={day}`: an ordinal weekday (the n-th {weekday} of the month or year) needs FREQ=MONTHLY or \
                 FREQ=YEARLY (RFC 5545 §3.3.10), not FREQ={other}; write `BYDAY={weekday}` for every {weekday}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(rule: &str) -> Vec<String> {
        rule_problems(rule, "cadence").into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn rules_the_rfc_allows_pass() {
        for ok in [
            "FREQ=WEEKLY;BYDAY=TH;BYHOUR=14",
            "FREQ=MONTHLY;BYDAY=1MO",
            "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
            "FREQ=YEARLY;BYDAY=20MO",
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
            "FREQ=YEARLY;BYYEARDAY=1,-1",
            "FREQ=HOURLY;BYYEARDAY=100",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "FREQ=DAILY;UNTIL=20251231T235959Z",
            "FREQ=DAILY;COUNT=3;INTERVAL=2;WKST=SU",
            "freq=daily;byhour=0",
        ] {
            assert_eq!(problems(ok), Vec::<String>::new(), "{ok}");
        }
    }

    #[test]
    fn what_the_rfc_forbids_is_named_with_the_reason() {
        let cases = [
            ("FREQ=WEEKLY;BYDAY=1MO", "needs FREQ=MONTHLY or FREQ=YEARLY"),
            ("FREQ=DAILY;BYDAY=-1FR", "needs FREQ=MONTHLY or FREQ=YEARLY"),
            ("FREQ=DAILY;COUNT=2;UNTIL=20251231T000000Z", "`COUNT` and `UNTIL` may not be used together"),
            ("FREQ=MONTHLY;BYWEEKNO=3", "`BYWEEKNO` may not be used except with FREQ=YEARLY"),
            ("FREQ=MONTHLY;BYYEARDAY=3", "`BYYEARDAY` may not be used with FREQ=DAILY, WEEKLY or MONTHLY"),
            ("FREQ=WEEKLY;BYMONTHDAY=3", "`BYMONTHDAY` may not be used with FREQ=WEEKLY"),
            ("FREQ=MONTHLY;BYSETPOS=1", "`BYSETPOS` picks among the instances of another BYxxx part"),
            ("FREQ=YEARLY;BYWEEKNO=1;BYDAY=1MO", "may not be combined with BYWEEKNO"),
            ("FREQ=MONTHLY;BYDAY=6MO", "in a month the ordinal is 1 to 5"),
            ("FREQ=DAILY;UNTIL=20251231", "must be a UTC date-time"),
            ("FREQ=DAILY;FREQ=WEEKLY", "appears more than once"),
            ("BYDAY=MO", "a rule needs `FREQ`"),
            ("FREQ=MINUTELY", "more often than hourly"),
            ("FREQ=DAILY;BYHOUR=24", "`BYHOUR` value `24` is out of range"),
            ("FREQ=DAILY;BYSECOND=0", ""),
            ("FREQ=DAILY;COLOUR=BLUE", "`COLOUR` is not an RRULE part"),
            ("FREQ=DAILY;INTERVAL=0", "`INTERVAL=0` is not a positive whole number"),
        ];
        for (rule, want) in cases {
            let got = problems(rule);
            if want.is_empty() {
                assert!(got.is_empty(), "{rule}: {got:?}");
            } else {
                assert!(got.len() == 1 && got[0].contains(want), "{rule}: {got:?}");
            }
        }
    }

    #[test]
    fn every_problem_of_a_rule_is_listed() {
        let got = problems("FREQ=WEEKLY;BYDAY=1MO,-1FR;COUNT=2;UNTIL=20251231T000000Z;BYMONTHDAY=1;BYWEEKNO=2");
        assert_eq!(got.len(), 5, "{got:#?}");
    }
}

//! Daylight-saving edges (RFC 5545 §3.3.5 and §3.3.10): a start or an end in a gap or a fold, in
//! zones east and west of UTC and in a zone with a 30-minute shift. Expected instants are worked out
//! by hand from the zones' rules (and agree with Python's `zoneinfo` with `fold=0`).

use super::*;
use crate::Timestamp;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn group(timezone: &str, cadence: &str, starts_on: &str, duration: &str) -> ReleaseGroup {
    ReleaseGroup::from_value(&serde_json::json!({
        "id": "g", "name": "G", "process": "p", "cadence": cadence, "timezone": timezone,
        "duration": duration, "starts_on": starts_on,
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Every occurrence in 2000–2100 as `start → end`, in `…Z` strings.
fn windows(g: &ReleaseGroup) -> Vec<String> {
    let fmt = |t: Timestamp| t.format("%Y-%m-%dT%H:%MZ").to_string();
    g.occurrences(t("2000-01-01T00:00:00Z"), t("2100-01-01T00:00:00Z"))
        .unwrap()
        .into_iter()
        .map(|o| format!("{} → {}", fmt(o.start), fmt(o.end)))
        .collect()
}

fn starts(g: &ReleaseGroup) -> Vec<String> {
    windows(g).into_iter().map(|w| w[..w.find(' ').unwrap()].to_string()).collect()
}

#[test]
fn a_start_in_the_sydney_gap_moves_forward_by_the_gap() {
    // 5 October 2025, 02:00 AEST (+10) → 03:00 AEDT (+11): 02:30 is read with +10, i.e. 03:30 AEDT.
    let g = group("Australia/Sydney", "FREQ=DAILY;COUNT=2", "2025-10-05T02:30", "2d");
    assert_eq!(
        windows(&g),
        [
            // Ends two days later at the time of day as written: 7 October 02:30 AEDT.
            "2025-10-04T16:30Z → 2025-10-06T15:30Z",
            "2025-10-05T15:30Z → 2025-10-07T15:30Z",
        ]
    );
}

#[test]
fn a_start_in_the_sydney_fold_is_the_first_of_the_two() {
    // 5 April 2026, 03:00 AEDT (+11) → 02:00 AEST (+10): 02:30 happens twice; the first is AEDT.
    let g = group("Australia/Sydney", "FREQ=DAILY;COUNT=2", "2026-04-05T02:30", "4h");
    assert_eq!(windows(&g), ["2026-04-04T15:30Z → 2026-04-04T19:30Z", "2026-04-05T16:30Z → 2026-04-05T20:30Z"]);
}

#[test]
fn a_start_in_the_berlin_gap_does_not_shift_later_occurrences() {
    // 30 March 2025, 02:00 CET → 03:00 CEST: the first one runs at 03:30 CEST, the rest at 02:30.
    let g = group("Europe/Berlin", "FREQ=DAILY;COUNT=3", "2025-03-30T02:30", "1h");
    assert_eq!(starts(&g), ["2025-03-30T01:30Z", "2025-03-31T00:30Z", "2025-04-01T00:30Z"]);
    // The friendly form says the same.
    let friendly = ReleaseGroup::from_value(&serde_json::json!({
        "id": "g", "name": "G", "process": "p", "cadence": {"every": "day"}, "timezone": "Europe/Berlin",
        "duration": "1h", "starts_on": "2025-03-30T02:30", "ends_on": "2025-04-01",
    }))
    .unwrap();
    assert_eq!(starts(&friendly), ["2025-03-30T01:30Z", "2025-03-31T00:30Z", "2025-04-01T00:30Z"]);
}

#[test]
fn a_start_in_the_berlin_fold_is_the_first_of_the_two() {
    let g = group("Europe/Berlin", "FREQ=DAILY;COUNT=2", "2025-10-26T02:30", "1h");
    assert_eq!(starts(&g), ["2025-10-26T00:30Z", "2025-10-27T01:30Z"]);
}

#[test]
fn new_york_gap_and_fold() {
    // 9 March 2025, 02:00 EST (-5) → 03:00 EDT (-4): 02:30 is 03:30 EDT = 07:30Z.
    let spring = group("America/New_York", "FREQ=DAILY;COUNT=2", "2025-03-09T02:30", "1d");
    assert_eq!(windows(&spring), ["2025-03-09T07:30Z → 2025-03-10T06:30Z", "2025-03-10T06:30Z → 2025-03-11T06:30Z"]);
    // 2 November 2025, 02:00 EDT → 01:00 EST: 01:30 is the EDT one (05:30Z).
    let autumn = group("America/New_York", "FREQ=DAILY;COUNT=2", "2025-11-02T01:30", "1h");
    assert_eq!(starts(&autumn), ["2025-11-02T05:30Z", "2025-11-03T06:30Z"]);
}

#[test]
fn lord_howe_shifts_by_thirty_minutes() {
    // 5 October 2025, 02:00 LHST (+10:30) → 02:30 LHDT (+11): 02:15 is read with +10:30, 02:45 LHDT.
    let spring = group("Australia/Lord_Howe", "FREQ=DAILY;COUNT=2", "2025-10-05T02:15", "1d");
    assert_eq!(windows(&spring), ["2025-10-04T15:45Z → 2025-10-05T15:15Z", "2025-10-05T15:15Z → 2025-10-06T15:15Z"]);
    // 5 April 2026, 02:00 LHDT (+11) → 01:30 LHST (+10:30): 01:45 twice; the first is LHDT.
    let autumn = group("Australia/Lord_Howe", "FREQ=DAILY;COUNT=2", "2026-04-05T01:45", "1h");
    assert_eq!(starts(&autumn), ["2026-04-04T14:45Z", "2026-04-05T15:15Z"]);
}

#[test]
fn occurrences_and_ends_that_fall_in_a_gap_or_a_fold() {
    // A daily 02:30 series crossing both Berlin changes: the gap day runs at 03:30 CEST, the fold
    // day at the first 02:30 (CEST).
    let g = group("Europe/Berlin", "FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0", "2025-03-29", "2d");
    let w = windows(&g);
    assert_eq!(w[0], "2025-03-29T01:30Z → 2025-03-31T00:30Z");
    // Starting 28 March 02:30 CET, two days later is 30 March 02:30, in the gap: 03:30 CEST.
    let friday = group("Europe/Berlin", "FREQ=DAILY;COUNT=1", "2025-03-28T02:30", "2d");
    assert_eq!(windows(&friday), ["2025-03-28T01:30Z → 2025-03-30T01:30Z"]);
    assert_eq!(w[1], "2025-03-30T01:30Z → 2025-04-01T00:30Z");
    let autumn: Vec<_> = w.iter().filter(|s| s.starts_with("2025-10-2")).cloned().collect();
    assert_eq!(
        autumn[4..7],
        [
            "2025-10-24T00:30Z → 2025-10-26T00:30Z",
            "2025-10-25T00:30Z → 2025-10-27T01:30Z",
            "2025-10-26T00:30Z → 2025-10-28T01:30Z",
        ]
    );
}

#[test]
fn hourly_rules_through_a_gap_give_each_instant_once_in_order() {
    // 01:30, 02:30 (→ 03:30 CEST) and 03:30 CEST: the last two are one instant (RFC 5545: duplicate
    // instances are ignored), numbered once.
    let g = group("Europe/Berlin", "FREQ=HOURLY;BYMINUTE=30;COUNT=5", "2025-03-30T00:30", "30m");
    let occ = g.occurrences(t("2025-03-29T00:00:00Z"), t("2025-03-31T00:00:00Z")).unwrap();
    let got: Vec<_> = occ.iter().map(|o| (o.n, o.start.format("%H:%MZ").to_string())).collect();
    assert_eq!(got, [(1, "23:30Z".into()), (2, "00:30Z".into()), (3, "01:30Z".into()), (4, "02:30Z".into())]);
}

#[test]
fn resolve_local_uses_the_offset_before_the_gap_in_every_zone() {
    let at = |y, m, d, h, min| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap();
    let cases = [
        (chrono_tz::Australia::Sydney, at(2025, 10, 5, 2, 30), "2025-10-04T16:30:00+00:00"),
        (chrono_tz::Australia::Lord_Howe, at(2025, 10, 5, 2, 15), "2025-10-04T15:45:00+00:00"),
        (chrono_tz::Pacific::Auckland, at(2025, 9, 28, 2, 30), "2025-09-27T14:30:00+00:00"),
        (chrono_tz::Europe::Berlin, at(2025, 3, 30, 2, 30), "2025-03-30T01:30:00+00:00"),
        (chrono_tz::America::New_York, at(2025, 3, 9, 2, 30), "2025-03-09T07:30:00+00:00"),
        // Samoa skipped 30 December 2011 altogether (-10 → +14).
        (chrono_tz::Pacific::Apia, at(2011, 12, 30, 12, 0), "2011-12-30T22:00:00+00:00"),
    ];
    for (tz, local, want) in cases {
        let got = recurrence::resolve_local(tz, local).with_timezone(&chrono::Utc).to_rfc3339();
        assert_eq!(got, want, "{tz} {local}");
    }
}

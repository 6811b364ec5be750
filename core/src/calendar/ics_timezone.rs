//! `VTIMEZONE` components (RFC 5545 §3.6.5) for the IANA zones an iCalendar export refers to with
//! `TZID`: the zone's offset at the start of a span, then one `STANDARD`/`DAYLIGHT` observance per
//! transition inside it, read from the time-zone database (`chrono-tz`).

use super::ics::line;
use crate::Timestamp;
use chrono::{Offset, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// Longest span of transitions written (a recurring freeze that started long ago does not make
/// the export grow without bound).
const MAX_SPAN: chrono::Duration = chrono::Duration::days(366 * 30);

/// How far apart the instants probed for a transition are (no zone changes twice within it).
const PROBE: chrono::Duration = chrono::Duration::hours(6);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    offset: i32,
    daylight: bool,
    name: Option<String>,
}

fn observance(tz: Tz, at: Timestamp) -> Observance {
    let o = tz.offset_from_utc_datetime(&at.naive_utc());
    Observance {
        offset: o.fix().local_minus_utc(),
        daylight: !o.dst_offset().is_zero(),
        name: o.abbreviation().map(str::to_string),
    }
}

/// `+HHMM` or `+HHMMSS` (RFC 5545 UTC-OFFSET).
fn utc_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 { format!("{sign}{h:02}{m:02}") } else { format!("{sign}{h:02}{m:02}{s:02}") }
}

/// The first instant in `(lo, hi]` whose observance differs from that at `lo`.
fn transition(tz: Tz, mut lo: Timestamp, mut hi: Timestamp) -> Timestamp {
    let before = observance(tz, lo);
    while hi - lo > chrono::Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if observance(tz, mid) == before { lo = mid } else { hi = mid }
    }
    hi
}

fn component(out: &mut String, o: &Observance, from: i32, onset: Timestamp) {
    let kind = if o.daylight { "DAYLIGHT" } else { "STANDARD" };
    let local = onset.naive_utc() + chrono::Duration::seconds(i64::from(from));
    line(out, &format!("BEGIN:{kind}"));
    line(out, &format!("DTSTART:{}", local.format("%Y%m%dT%H%M%S")));
    line(out, &format!("TZOFFSETFROM:{}", utc_offset(from)));
    line(out, &format!("TZOFFSETTO:{}", utc_offset(o.offset)));
    if let Some(name) = &o.name {
        line(out, &format!("TZNAME:{}", super::ics::escape(name)));
    }
    line(out, &format!("END:{kind}"));
}

/// The `VTIMEZONE` of `tz` covering `[from, to)` (at most [`MAX_SPAN`] from `from`).
pub(crate) fn vtimezone(tz: Tz, from: Timestamp, to: Timestamp) -> String {
    let to = to.min(from + MAX_SPAN).max(from);
    let mut out = String::new();
    line(&mut out, "BEGIN:VTIMEZONE");
    line(&mut out, &format!("TZID:{}", tz.name()));
    let mut current = observance(tz, from);
    component(&mut out, &current, current.offset, from);
    let mut at = from;
    while at < to {
        let next = (at + PROBE).min(to);
        if observance(tz, next) != current {
            let onset = transition(tz, at, next);
            let now = observance(tz, onset);
            component(&mut out, &now, current.offset, onset);
            current = now;
            at = onset;
        } else {
            at = next;
        }
    }
    line(&mut out, "END:VTIMEZONE");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_has_its_two_changes_a_year() {
        let text = vtimezone(
            chrono_tz::Europe::Berlin,
            "2025-01-01T00:00:00Z".parse().unwrap(),
            "2026-01-01T00:00:00Z".parse().unwrap(),
        );
        let want = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
            BEGIN:STANDARD\r\nDTSTART:20250101T010000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD\r\n\
            BEGIN:DAYLIGHT\r\nDTSTART:20250330T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT\r\n\
            BEGIN:STANDARD\r\nDTSTART:20251026T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD\r\n\
            END:VTIMEZONE\r\n";
        assert_eq!(text, want);
        assert_eq!(utc_offset(37_800), "+1030");
        assert_eq!(utc_offset(-(3600 * 9 + 30 * 60 + 5)), "-093005");
    }
}

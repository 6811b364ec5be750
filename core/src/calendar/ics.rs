//! iCalendar (RFC 5545) export of calendar entries and freezes.
//!
//! # Releases
//! One `VEVENT` per release: `UID` `<release id>@trainyard`, `DTSTAMP` (the export time),
//! `DTSTART`/`DTEND` in UTC (`DTEND` is left out for an instant entry, as RFC 5545 requires it to be
//! after `DTSTART`), `SUMMARY` (the name), `STATUS`, `CATEGORIES` (the kind and the status, e.g.
//! `system,failed`), `X-TRAINYARD-KIND`, `X-TRAINYARD-STATUS` (the trainyard status, exactly) and a
//! `RELATED-TO;RELTYPE=DEPENDS-ON` (RFC 9253) for each release its gates wait for, and a
//! `DESCRIPTION` with status, kind, group, scope, services, environments, the releases it waits
//! for and one line per phase window.
//!
//! # Status mapping
//! RFC 5545 knows three `VEVENT` statuses (TENTATIVE, CONFIRMED, CANCELLED); the trainyard status
//! itself is always in `X-TRAINYARD-STATUS` and `CATEGORIES`.
//!
//! | release status | `STATUS` | why |
//! |---|---|---|
//! | `draft`, `scheduled` | `TENTATIVE` | it may still move or be dropped |
//! | `running`, `on_hold` | `CONFIRMED` | it is happening |
//! | `success`, `partial_success`, `failed` | `CONFIRMED` | it happened and used its window — a failed release is not a cancelled one |
//! | `aborted`, after it started | `CONFIRMED` | it happened (and was stopped) |
//! | `aborted` before it started | `CANCELLED` | it did not take place |
//!
//! # Freezes
//! One `VEVENT` per freeze ([`freeze_events`]): `UID` `freeze-<id>@trainyard`, `SUMMARY` (the
//! name), `STATUS:CONFIRMED`, `TRANSP:OPAQUE`, `CATEGORIES:freeze`, `X-TRAINYARD-KIND:freeze` and a
//! `DESCRIPTION` with the reason and what it freezes. A one-off freeze has `DTSTART`/`DTEND` in UTC.
//! A recurring one has its `RRULE`, `DTSTART` at its first window (in local time with `TZID`, or
//! in UTC for the `UTC` zone) and `DURATION` (days nominal, the rest exact, as trainyard counts
//! them); its `end` becomes `UNTIL` (or a smaller `COUNT`). The calendar then holds a `VTIMEZONE`
//! for each zone used, with the zone's transitions from a year before its first window to two
//! years after the exported range (clients that know the IANA name use their own rules beyond). A
//! recurrence RFC 5545 cannot say the same way (checked by expanding both) is exported as one
//! `VEVENT` per window in the range instead.
//!
//! # Text
//! TEXT values (RFC 5545 §3.3.11) escape `\`, `;`, `,` and line breaks (`\n`); a TAB is kept as
//! it is (TEXT allows it). TEXT has no way to write a CR: CRLF and a lone CR are line breaks and
//! are written `\n` (read back as LF, as `icalendar`, `vobject` and `recurring-ical-events` do
//! with their own output). Other control characters, which TEXT forbids, are written as their
//! Unicode control pictures (U+2400–U+241F, U+2421), so nothing is dropped silently. Lines end
//! with CRLF and are folded at 75 octets, never inside a UTF-8 character.

use super::CalendarEntry;
use super::ics_freeze::freeze_events;
use crate::Timestamp;
use crate::release::ReleaseStatus;
use crate::schedule::Freeze;

/// The iCalendar `STATUS` of a release status, `started` telling whether it ever started (see
/// the module docs).
pub fn ics_status(status: ReleaseStatus, started: bool) -> &'static str {
    match status {
        ReleaseStatus::Draft | ReleaseStatus::Scheduled => "TENTATIVE",
        ReleaseStatus::Aborted if !started => "CANCELLED",
        ReleaseStatus::Running
        | ReleaseStatus::OnHold
        | ReleaseStatus::Success
        | ReleaseStatus::PartialSuccess
        | ReleaseStatus::Failed
        | ReleaseStatus::Aborted => "CONFIRMED",
    }
}

/// An instant as an RFC 5545 UTC DATE-TIME.
pub(crate) fn utc(t: Timestamp) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value, escaped (module docs).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\t' => out.push('\t'),
            '\u{7f}' => out.push('\u{2421}'),
            c if u32::from(c) < 0x20 => out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}')),
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets, with CRLF.
pub(crate) fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// The entries and the freezes as an RFC 5545 `VCALENDAR`, stamped `dtstamp` (the time of the
/// export). `[from, to)` is the exported range: it bounds the windows of a recurring freeze that
/// cannot be written as an `RRULE`, and the `VTIMEZONE` transitions.
///
/// ```
/// use trainyard::calendar::{CalendarEntry, to_ics};
/// use trainyard::release::{ReleaseKind, ReleaseStatus};
/// let at = |s: &str| s.parse().unwrap();
/// let entry = CalendarEntry {
///     release_id: "0190".into(), name: "Week 15; prod, finally".into(), status: ReleaseStatus::Scheduled,
///     kind: ReleaseKind::System, group: None, scope: "account".into(), start: at("2025-04-07T07:00:00Z"),
///     end: at("2025-04-21T07:00:00Z"), planned_start: None, planned_end: None, actual_start: None,
///     actual_end: None, phases: vec![], services: vec![], environments: vec![], waits_for: vec![],
/// };
/// let (from, to) = (at("2025-04-01T00:00:00Z"), at("2025-05-01T00:00:00Z"));
/// let ics = to_ics(&[entry], &[], from, to, at("2025-04-01T00:00:00Z"));
/// assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
/// assert!(ics.contains("UID:0190@trainyard\r\n"));
/// assert!(ics.contains("DTSTART:20250407T070000Z\r\n"));
/// assert!(ics.contains("SUMMARY:Week 15\\; prod\\, finally\r\n"));
/// assert!(ics.contains("STATUS:TENTATIVE\r\n"));
/// assert!(ics.contains("X-TRAINYARD-STATUS:scheduled\r\n"));
/// ```
pub fn to_ics(
    entries: &[CalendarEntry],
    freezes: &[Freeze],
    from: Timestamp,
    to: Timestamp,
    dtstamp: Timestamp,
) -> String {
    let mut out = String::with_capacity(256 + entries.len() * 512 + freezes.len() * 1024);
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//trainyard//release calendar//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    let stamp = utc(dtstamp);
    let freeze_part = freeze_events(freezes, from, to, &stamp);
    out.push_str(&freeze_part.timezones);
    for e in entries {
        release_event(&mut out, e, &stamp);
    }
    out.push_str(&freeze_part.events);
    line(&mut out, "END:VCALENDAR");
    out
}

fn release_event(out: &mut String, e: &CalendarEntry, stamp: &str) {
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{}@trainyard", escape(&e.release_id)));
    line(out, &format!("DTSTAMP:{stamp}"));
    line(out, &format!("DTSTART:{}", utc(e.start)));
    if e.end > e.start {
        line(out, &format!("DTEND:{}", utc(e.end)));
    }
    line(out, &format!("SUMMARY:{}", escape(&e.name)));
    line(out, &format!("STATUS:{}", ics_status(e.status, e.actual_start.is_some())));
    line(out, &format!("CATEGORIES:{},{}", escape(e.kind.as_str()), escape(e.status.as_str())));
    line(out, &format!("X-TRAINYARD-KIND:{}", escape(e.kind.as_str())));
    line(out, &format!("X-TRAINYARD-STATUS:{}", escape(e.status.as_str())));
    for target in &e.waits_for {
        line(out, &format!("RELATED-TO;RELTYPE=DEPENDS-ON:{}@trainyard", escape(target)));
    }
    line(out, &format!("DESCRIPTION:{}", escape(&description(e))));
    line(out, "END:VEVENT");
}

fn description(e: &CalendarEntry) -> String {
    let mut d = format!("Status: {}\nKind: {}\nScope: {}", e.status, e.kind.as_str(), e.scope);
    if let Some(g) = &e.group {
        d.push_str(&format!("\nGroup: {g}"));
    }
    if !e.services.is_empty() {
        d.push_str(&format!("\nServices: {}", e.services.join(", ")));
    }
    if !e.environments.is_empty() {
        d.push_str(&format!("\nEnvironments: {}", e.environments.join(", ")));
    }
    if !e.waits_for.is_empty() {
        d.push_str(&format!("\nWaits for: {}", e.waits_for.join(", ")));
    }
    if !e.phases.is_empty() {
        d.push_str("\nPhases:");
        for p in &e.phases {
            let kind = if p.planned { "planned" } else { "actual" };
            d.push_str(&format!(
                "\n- {}: {} – {} ({kind})",
                p.phase_id,
                p.start.format("%Y-%m-%d %H:%M UTC"),
                p.end.format("%Y-%m-%d %H:%M UTC")
            ));
        }
    }
    d
}

//! iCalendar (RFC 5545) export of calendar entries.
//!
//! One `VEVENT` per release: `UID` `<release id>@trainyard`, `DTSTAMP` (the export time),
//! `DTSTART`/`DTEND` in UTC (`DTEND` is left out for an instant entry, as RFC 5545 requires it to be
//! after `DTSTART`), `SUMMARY` (the name), `STATUS`, `CATEGORIES` (the kind) and a `DESCRIPTION`
//! with status, kind, group, scope, services, environments and one line per phase window.
//!
//! Status mapping (RFC 5545 `VEVENT` statuses are TENTATIVE, CONFIRMED, CANCELLED):
//! `draft`, `scheduled` → `TENTATIVE` (may still move); `running`, `on_hold`, `success`,
//! `partial_success` → `CONFIRMED` (it happens/happened); `aborted`, `failed` → `CANCELLED` (it did
//! not happen as planned).
//!
//! Text is escaped (`\\`, `;`, `,`, newlines), lines end with CRLF and are folded at 75 octets
//! without splitting a UTF-8 character.

use super::CalendarEntry;
use crate::Timestamp;
use crate::release::ReleaseStatus;

/// The iCalendar `STATUS` of a release status (see the module docs).
pub fn ics_status(status: ReleaseStatus) -> &'static str {
    match status {
        ReleaseStatus::Draft | ReleaseStatus::Scheduled => "TENTATIVE",
        ReleaseStatus::Running | ReleaseStatus::OnHold | ReleaseStatus::Success | ReleaseStatus::PartialSuccess => {
            "CONFIRMED"
        }
        ReleaseStatus::Aborted | ReleaseStatus::Failed => "CANCELLED",
    }
}

fn utc(t: Timestamp) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets, with CRLF.
fn line(out: &mut String, content: &str) {
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

/// The entries as an RFC 5545 `VCALENDAR`, stamped `dtstamp` (the time of the export).
///
/// ```
/// use trainyard::calendar::{CalendarEntry, to_ics};
/// use trainyard::release::{ReleaseKind, ReleaseStatus};
/// let at = |s: &str| s.parse().unwrap();
/// let entry = CalendarEntry {
///     release_id: "0190".into(), name: "Week 15; prod, finally".into(), status: ReleaseStatus::Scheduled,
///     kind: ReleaseKind::System, group: None, scope: "account".into(), start: at("2025-04-07T07:00:00Z"),
///     end: at("2025-04-21T07:00:00Z"), planned_start: None, planned_end: None, actual_start: None,
///     actual_end: None, phases: vec![], services: vec![], environments: vec![],
/// };
/// let ics = to_ics(&[entry], at("2025-04-01T00:00:00Z"));
/// assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
/// assert!(ics.contains("UID:0190@trainyard\r\n"));
/// assert!(ics.contains("DTSTART:20250407T070000Z\r\n"));
/// assert!(ics.contains("SUMMARY:Week 15\\; prod\\, finally\r\n"));
/// assert!(ics.contains("STATUS:TENTATIVE\r\n"));
/// ```
pub fn to_ics(entries: &[CalendarEntry], dtstamp: Timestamp) -> String {
    let mut out = String::with_capacity(256 + entries.len() * 512);
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//trainyard//release calendar//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    let stamp = utc(dtstamp);
    for e in entries {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}@trainyard", escape(&e.release_id)));
        line(&mut out, &format!("DTSTAMP:{stamp}"));
        line(&mut out, &format!("DTSTART:{}", utc(e.start)));
        if e.end > e.start {
            line(&mut out, &format!("DTEND:{}", utc(e.end)));
        }
        line(&mut out, &format!("SUMMARY:{}", escape(&e.name)));
        line(&mut out, &format!("STATUS:{}", ics_status(e.status)));
        line(&mut out, &format!("CATEGORIES:{}", e.kind.as_str()));
        line(&mut out, &format!("DESCRIPTION:{}", escape(&description(e))));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
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

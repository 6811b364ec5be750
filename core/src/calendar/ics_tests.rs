//! The iCalendar export read back by an independent parser (the `icalendar` crate): TEXT
//! escaping, folding, the status mapping and freezes.

use super::*;
use crate::release::ReleaseKind;
use crate::schedule::Freeze;
use icalendar::Component;
use std::str::FromStr;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn entry(id: &str, name: &str, status: ReleaseStatus, started: bool) -> CalendarEntry {
    CalendarEntry {
        release_id: id.into(),
        name: name.into(),
        status,
        kind: ReleaseKind::System,
        group: None,
        scope: "account".into(),
        start: t("2025-04-07T07:00:00Z"),
        end: t("2025-04-08T07:00:00Z"),
        planned_start: Some(t("2025-04-07T07:00:00Z")),
        planned_end: None,
        actual_start: started.then(|| t("2025-04-07T07:00:00Z")),
        actual_end: None,
        phases: vec![],
        services: vec![],
        environments: vec![],
        waits_for: Vec::new(),
    }
}

const RANGE: (&str, &str) = ("2025-04-01T00:00:00Z", "2025-05-01T00:00:00Z");

fn export(entries: &[CalendarEntry], freezes: &[Freeze]) -> String {
    let text = to_ics(entries, freezes, t(RANGE.0), t(RANGE.1), t("2025-04-01T12:00:00Z"));
    for l in text.split("\r\n") {
        assert!(l.len() <= 75, "line longer than 75 octets: {l:?}");
        assert!(!l.contains(['\n', '\r']), "bare LF or CR in {l:?}");
    }
    text
}

fn events(text: &str) -> Vec<icalendar::Event> {
    let cal = icalendar::Calendar::from_str(text).unwrap();
    cal.components.iter().filter_map(|c| c.as_event()).cloned().collect()
}

#[test]
fn text_keeps_tabs_and_line_breaks_and_escapes_the_rest() {
    let long = "Ünïcødé 🚂 train ".repeat(12);
    let names = [
        ("a\tb", "a\tb"),
        ("line one\r\nline two\nthree\rfour", "line one\nline two\nthree\nfour"),
        ("semi;colon, comma\\backslash", "semi;colon, comma\\backslash"),
        ("bell\u{7}and\u{0}nul\u{7f}", "bell\u{2407}and\u{2400}nul\u{2421}"),
        (long.as_str(), long.as_str()),
    ];
    let entries: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, (n, _))| entry(&format!("r{i}"), n, ReleaseStatus::Scheduled, false))
        .collect();
    let text = export(&entries, &[]);
    assert!(text.contains("SUMMARY:a\tb\r\n"), "a TAB is kept as it is");
    let got: Vec<String> = events(&text).iter().map(|e| e.get_summary().unwrap().to_string()).collect();
    let want: Vec<String> = names.iter().map(|(_, w)| w.to_string()).collect();
    assert_eq!(got, want);
}

#[test]
fn folding_never_splits_a_character_at_any_alignment() {
    for pad in 0..4 {
        let name = format!("{}{}", "x".repeat(pad), "🚂é中".repeat(40));
        let text = export(&[entry("r", &name, ReleaseStatus::Scheduled, false)], &[]);
        // Each physical line is whole UTF-8 (it is a `str`) and at most 75 octets; unfolded, the
        // name comes back.
        assert_eq!(events(&text)[0].get_summary(), Some(name.as_str()));
        let folded: Vec<&str> = text.split("\r\n").filter(|l| l.starts_with("SUMMARY") || l.starts_with(' ')).collect();
        assert!(folded.len() > 5);
        // Only a character that would not fit ends a line early: at most 3 octets short.
        assert!(folded[..folded.len() - 1].iter().all(|l| l.len() >= 72), "{folded:?}");
    }
}

#[test]
fn failed_is_confirmed_and_only_an_abort_before_the_start_is_cancelled() {
    let entries = [
        entry("failed", "F", ReleaseStatus::Failed, true),
        entry("aborted-late", "A", ReleaseStatus::Aborted, true),
        entry("aborted-early", "B", ReleaseStatus::Aborted, false),
        entry("scheduled", "S", ReleaseStatus::Scheduled, false),
    ];
    let text = export(&entries, &[]);
    let got: Vec<_> = events(&text)
        .iter()
        .map(|e| (e.get_status(), e.property_value("X-TRAINYARD-STATUS").map(String::from)))
        .collect();
    use icalendar::EventStatus::*;
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        got,
        [
            (Some(Confirmed), s("failed")),
            (Some(Confirmed), s("aborted")),
            (Some(Cancelled), s("aborted")),
            (Some(Tentative), s("scheduled")),
        ]
    );
    for categories in ["system,failed", "system,aborted", "system,scheduled"] {
        assert!(text.contains(&format!("\r\nCATEGORIES:{categories}\r\n")), "{categories}");
    }
}

const WEEKEND: &str = r#"
id: weekend
name: Weekend, no prod; really
start: 2025-01-03T16:00:00+01:00
end: 2025-12-31T00:00:00Z
environments: [prod1]
reason: "Nobody on call\tover the weekend"
recurrence: { cadence: { every: week, on: friday, at: "16:00" }, timezone: Europe/Berlin, duration: 2d 16h }
"#;

#[test]
fn freezes_are_their_own_events_recurring_ones_with_their_rrule() {
    let weekend = Freeze::from_text(WEEKEND).unwrap();
    let easter = Freeze::from_text(
        "id: easter\nname: Easter\nstart: 2025-04-18T00:00:00Z\nend: 2025-04-22T00:00:00Z\nservices: [payments]",
    )
    .unwrap();
    let text = export(&[entry("r", "R", ReleaseStatus::Scheduled, false)], &[weekend, easter]);
    let evs = events(&text);
    assert_eq!(evs.len(), 3);
    let w = &evs[1];
    assert_eq!(w.get_uid(), Some("freeze-weekend@trainyard"));
    assert_eq!(w.get_summary(), Some("Weekend, no prod; really"));
    assert!(text.contains("\r\nCATEGORIES:freeze\r\n"));
    assert_eq!(
        w.property_value("RRULE"),
        Some("FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0;BYSECOND=0;UNTIL=20251230T235959Z")
    );
    assert_eq!(w.property_value("DURATION"), Some("P2DT16H"));
    assert!(text.contains("DTSTART;TZID=Europe/Berlin:20250103T160000\r\n"), "{text}");
    let description = w.get_description().unwrap();
    assert!(description.contains("Reason: Nobody on call\tover the weekend"), "{description}");
    assert!(description.contains("Environments: prod1"), "{description}");
    // The zone it names is defined, with the changes of 2025.
    assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"));
    assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20250330T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"));
    let e = &evs[2];
    assert_eq!(e.get_uid(), Some("freeze-easter@trainyard"));
    assert_eq!(e.property_value("DTSTART"), Some("20250418T000000Z"));
    assert_eq!(e.property_value("DTEND"), Some("20250422T000000Z"));
}

#[test]
fn a_recurring_freeze_keeps_count_and_end_and_its_first_window() {
    // Anchored on a Wednesday; the first window is the Friday after; COUNT=10 but the end cuts it to 3.
    let f = Freeze::from_value(&serde_json::json!({
        "id": "f", "name": "F", "start": "2025-04-02T00:00:00Z", "end": "2025-04-19T00:00:00Z",
        "recurrence": {"cadence": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;COUNT=10", "duration": "1d"},
    }))
    .unwrap();
    let text = export(&[], &[f]);
    let ev = &events(&text)[0];
    assert_eq!(ev.property_value("RRULE"), Some("FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;COUNT=3"));
    assert!(text.contains("DTSTART:20250404T180000Z\r\n"), "{text}");
    assert!(!text.contains("VTIMEZONE"), "UTC needs no VTIMEZONE");
}

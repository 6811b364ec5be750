//! Freezes as iCalendar `VEVENT`s (the rules are in [`super::ics`], "Freezes"): a one-off freeze
//! is one event; a recurring one is one event with its `RRULE`, anchored at its first window,
//! checked to give the same windows, else one event per window in the exported range.

use super::ics::{escape, line, utc};
use super::ics_timezone::vtimezone;
use crate::Timestamp;
use crate::schedule::recurrence::parse_timezone;
use crate::schedule::{Freeze, FreezeRecurrence, Instance, Recurrence};
use chrono::Utc;
use std::collections::BTreeMap;

/// How many windows of a recurring freeze are compared between its own expansion and the
/// expansion of the exported `RRULE`.
const VERIFY: usize = 200;

/// The `VTIMEZONE`s and the `VEVENT`s of some freezes.
#[derive(Debug, Default)]
pub(crate) struct FreezePart {
    /// One `VTIMEZONE` per zone a `TZID` names.
    pub timezones: String,
    /// The events.
    pub events: String,
}

/// A recurring freeze as RFC 5545 says it.
struct Exported {
    tz: chrono_tz::Tz,
    first: Instance,
    rule: String,
}

/// The events of `freezes` (exported range `[from, to)`), stamped `stamp`.
pub(crate) fn freeze_events(freezes: &[Freeze], from: Timestamp, to: Timestamp, stamp: &str) -> FreezePart {
    let mut part = FreezePart::default();
    let mut zones: BTreeMap<String, (chrono_tz::Tz, Timestamp, Timestamp)> = BTreeMap::new();
    let year = chrono::Duration::days(366);
    for f in freezes {
        match &f.recurrence {
            None => {
                if let Some(end) = f.end {
                    event(&mut part.events, f, &f.id, stamp, |out| {
                        line(out, &format!("DTSTART:{}", utc(f.start)));
                        line(out, &format!("DTEND:{}", utc(end)));
                    });
                }
            }
            Some(r) => match exported(f, r) {
                Some(x) => {
                    let local = x.first.local.format("%Y%m%dT%H%M%S");
                    let first_at = x.first.at.with_timezone(&Utc);
                    event(&mut part.events, f, &f.id, stamp, |out| {
                        if x.tz == chrono_tz::UTC {
                            line(out, &format!("DTSTART:{local}Z"));
                        } else {
                            line(out, &format!("DTSTART;TZID={}:{local}", x.tz.name()));
                        }
                        line(out, &format!("DURATION:{}", duration(r.duration.as_secs())));
                        line(out, &format!("RRULE:{}", x.rule));
                    });
                    if x.tz != chrono_tz::UTC {
                        let span = zones.entry(x.tz.name().to_string()).or_insert((x.tz, first_at - year, to));
                        span.1 = span.1.min(first_at - year);
                        span.2 = span.2.max(to.max(first_at) + year * 2);
                    }
                }
                None => {
                    for w in f.windows(from, to) {
                        let id = format!("{}-{}", f.id, utc(w.start));
                        event(&mut part.events, f, &id, stamp, |out| {
                            line(out, &format!("DTSTART:{}", utc(w.start)));
                            line(out, &format!("DTEND:{}", utc(w.end)));
                        });
                    }
                }
            },
        }
    }
    for (tz, span_from, span_to) in zones.values() {
        part.timezones.push_str(&vtimezone(*tz, *span_from, *span_to));
    }
    part
}

fn event(out: &mut String, f: &Freeze, uid: &str, stamp: &str, times: impl FnOnce(&mut String)) {
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:freeze-{}@trainyard", escape(uid)));
    line(out, &format!("DTSTAMP:{stamp}"));
    times(out);
    // An allowed window is free time (TRANSPARENT) in which what it names may run.
    let allow = f.mode() == crate::schedule::FreezeMode::Allow;
    let (summary, transp, kind, label) = match allow {
        true => (format!("Allowed: {}", f.name), "TRANSPARENT", "allowed-window", "Allowed window"),
        false => (f.name.clone(), "OPAQUE", "freeze", "Freeze"),
    };
    line(out, &format!("SUMMARY:{}", escape(&summary)));
    line(out, "STATUS:CONFIRMED");
    line(out, &format!("TRANSP:{transp}"));
    line(out, &format!("CATEGORIES:{kind}"));
    line(out, &format!("X-TRAINYARD-KIND:{kind}"));
    let mut d = format!("{label}: {}", f.id);
    if let Some(reason) = &f.reason {
        d.push_str(&format!("\nReason: {reason}"));
    }
    if f.environments.is_empty() && f.services.is_empty() {
        d.push_str(if allow { "\nAllows: everything" } else { "\nFreezes: everything" });
    }
    if !f.environments.is_empty() {
        d.push_str(&format!("\nEnvironments: {}", f.environments.join(", ")));
    }
    if !f.services.is_empty() {
        d.push_str(&format!("\nServices: {}", f.services.join(", ")));
    }
    line(out, &format!("DESCRIPTION:{}", escape(&d)));
    line(out, "END:VEVENT");
}

/// An RFC 5545 DURATION: whole days (nominal) and the rest (exact), e.g. `P2DT16H`.
fn duration(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 || days == 0 {
        out.push('T');
        let (h, m, s) = (rest / 3600, rest / 60 % 60, rest % 60);
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

/// The recurrence of `f` as a `DTSTART` (its first window) and an `RRULE` that includes its `end`,
/// or `None` when that would not give the same windows (or it has none).
fn exported(f: &Freeze, r: &FreezeRecurrence) -> Option<Exported> {
    let tz = parse_timezone(&r.timezone)?;
    let rule = r.cadence.to_rrule("recurrence.cadence").ok()?;
    let rec = Recurrence::new(&rule, tz, f.start.with_timezone(&tz).naive_local()).ok()?;
    let opens = |i: &Instance| f.end.is_none_or(|e| i.at.with_timezone(&Utc) < e);
    let first = rec.instances().next().filter(opens)?;
    let mut parts: Vec<String> = Vec::new();
    let (mut count, mut until) = (None, None);
    for part in rule.split(';').filter(|p| !p.trim().is_empty()) {
        match part.split_once('=').map(|(n, v)| (n.trim().to_ascii_uppercase(), v.trim())) {
            Some((n, v)) if n == "COUNT" => count = v.parse::<usize>().ok(),
            Some((n, v)) if n == "UNTIL" => {
                until = chrono::NaiveDateTime::parse_from_str(&v.to_ascii_uppercase(), "%Y%m%dT%H%M%SZ")
                    .ok()
                    .map(|t| t.and_utc())
            }
            _ => parts.push(part.trim().to_string()),
        }
    }
    let last_open = f.end.map(|e| e - chrono::Duration::seconds(1));
    match (count, last_open) {
        (Some(c), Some(_)) => parts.push(format!("COUNT={}", rec.instances().take(c).take_while(opens).count())),
        (Some(c), None) => parts.push(format!("COUNT={c}")),
        (None, _) => {
            if let Some(u) = until.into_iter().chain(last_open).min() {
                parts.push(format!("UNTIL={}", utc(u)));
            }
        }
    }
    let rule = parts.join(";");
    let again = Recurrence::new(&rule, tz, first.local).ok()?;
    let want: Vec<Timestamp> = rec.instances().take_while(opens).take(VERIFY).map(|i| i.at.to_utc()).collect();
    let got: Vec<Timestamp> = again.instances().take(VERIFY).map(|i| i.at.to_utc()).collect();
    (want == got).then_some(Exported { tz, first, rule })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_days_and_exact_time() {
        let cases =
            [(3600, "PT1H"), (86_400 * 2 + 16 * 3600, "P2DT16H"), (0, "PT0S"), (86_400 * 7, "P7D"), (61, "PT1M1S")];
        for (secs, want) in cases {
            assert_eq!(duration(secs), want);
        }
    }
}

//! `calendar` (a text month view, JSON or iCalendar) and `conflicts`.

use crate::args::{CalendarArgs, StoreArgs};
use crate::output::{json_line, time};
use crate::{CliResult, Ctx, EXIT_OK, Failure};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use std::collections::BTreeSet;
use trainyard::calendar::CalendarFilter;
use trainyard::{Engine, Timestamp};

/// `[first of the month, first of the next month)` for `--month YYYY-MM` (default: this month).
fn month_range(month: Option<&str>) -> Result<(NaiveDate, Timestamp, Timestamp), Failure> {
    let first = match month {
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| Failure::Usage(format!("--month `{m}` is not a month; write YYYY-MM, e.g. 2025-04")))?,
        None => {
            let today = Utc::now().date_naive();
            NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("the first of a month")
        }
    };
    let next =
        first.checked_add_months(chrono::Months::new(1)).ok_or_else(|| Failure::Usage("month out of range".into()))?;
    let at = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"));
    Ok((first, at(first), at(next)))
}

/// `calendar [--month YYYY-MM] [--ics]`.
pub(crate) fn calendar(ctx: &mut Ctx<'_>, engine: &Engine, a: &CalendarArgs, store: &StoreArgs) -> CliResult {
    let (first, from, to) = month_range(a.month.as_deref())?;
    let filter = CalendarFilter::default();
    if a.ics {
        if store.actor().is_some() {
            return Err(Failure::Usage("--ics shows every release; leave out --as".into()));
        }
        write!(ctx.out, "{}", engine.calendar_ics(from, to, &filter)?)?;
        return Ok(EXIT_OK);
    }
    let entries = match store.actor() {
        Some(actor) => engine.calendar_as(&actor, from, to, &filter)?,
        None => engine.calendar(from, to, &filter)?,
    };
    if ctx.json() {
        json_line(ctx, &serde_json::to_value(&entries).unwrap_or_default())?;
        return Ok(EXIT_OK);
    }
    // The days of the month with a release on them.
    let mut busy = BTreeSet::new();
    for e in &entries {
        let mut d = e.start.max(from).date_naive();
        let last = (e.end.min(to) - chrono::Duration::microseconds(1)).date_naive().max(d);
        while d <= last {
            busy.insert(d.day());
            d = d.succ_opt().expect("a next day");
        }
    }
    writeln!(ctx.out, "{:^28}", first.format("%B %Y").to_string())?;
    writeln!(ctx.out, " Mo  Tu  We  Th  Fr  Sa  Su")?;
    let days = (to.date_naive() - first).num_days() as u32;
    let mut line = "    ".repeat(first.weekday().num_days_from_monday() as usize);
    for day in 1..=days {
        let mark = if busy.contains(&day) { "*" } else { " " };
        line.push_str(&format!(" {day:>2}{mark}"));
        if NaiveDate::from_ymd_opt(first.year(), first.month(), day)
            .is_some_and(|d| d.weekday() == chrono::Weekday::Sun)
        {
            writeln!(ctx.out, "{}", line.trim_end())?;
            line.clear();
        }
    }
    if !line.is_empty() {
        writeln!(ctx.out, "{}", line.trim_end())?;
    }
    writeln!(ctx.out)?;
    for e in &entries {
        writeln!(ctx.out, "{} → {}  {:<16} {}", time(e.start), time(e.end), e.status.as_str(), e.name)?;
    }
    if entries.is_empty() {
        writeln!(ctx.out, "no releases this month")?;
    }
    Ok(EXIT_OK)
}

/// `conflicts [--month YYYY-MM]`.
pub(crate) fn conflicts(ctx: &mut Ctx<'_>, engine: &Engine, a: &CalendarArgs, _store: &StoreArgs) -> CliResult {
    let (_, from, to) = month_range(a.month.as_deref())?;
    let found = engine.conflicts(from, to)?;
    if ctx.json() {
        json_line(ctx, &serde_json::to_value(&found).unwrap_or_default())?;
        return Ok(EXIT_OK);
    }
    for c in &found {
        let kind = serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        writeln!(
            ctx.out,
            "{kind:<8} {:<24} {} → {}  {}",
            c.resource,
            time(c.start),
            time(c.end),
            c.release_ids.join(" ↔ ")
        )?;
    }
    writeln!(ctx.err, "{} conflict(s)", found.len())?;
    Ok(EXIT_OK)
}

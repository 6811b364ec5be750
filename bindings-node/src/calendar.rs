//! The calendar: releases and their phase windows in a time range (`calendar`), conflicts
//! (`conflicts`) and iCalendar export (`calendarIcs`), each with its `…Async` twin. Filters are a
//! typed options object with the same names as Python's keyword arguments.

use crate::convert::{Cx, options};
use crate::engine::Engine;
use crate::options::Actor;
use crate::tasks::{call, calls};
use crate::views;
use chrono::{DateTime, Utc};
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi_derive::napi;
use serde_json::Value;
use trainyard::calendar::{CalendarEntry as CoreEntry, CalendarFilter as CoreFilter, Conflict as CoreConflict};
use trainyard::validate::codes::UNKNOWN_FIELD;

options! {
    #[doc = " Filters of `calendar` and `calendarIcs`: every non-empty list must match."]
    pub struct CalendarFilter {
        #[doc = " Statuses."]
        #[napi(ts_type = "ReleaseStatus[]")]
        pub statuses: Option<Vec<String>>,
        #[doc = " Kinds."]
        #[napi(ts_type = "ReleaseKind[]")]
        pub kinds: Option<Vec<String>>,
        #[doc = " Release group ids."]
        pub groups: Option<Vec<String>>,
        #[doc = " Scopes (`account`, `org:<id>`)."]
        pub scopes: Option<Vec<String>>,
        #[doc = " Services (any shared value matches)."]
        pub services: Option<Vec<String>>,
        #[doc = " Environments (any shared value matches)."]
        pub environments: Option<Vec<String>>,
        #[doc = " Show archived releases too (left out by default: they are not on the active calendar)."]
        pub include_archived: Option<bool>,
        #[doc = " Only the releases this actor may read (`calendar` only)."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<Actor>,
    }
}

impl CalendarFilter {
    /// The core filter; an unknown status or kind is a problem at `filters.statuses[i]` / `…kinds[i]`.
    fn to_core(&self, cx: &mut Cx) -> CoreFilter {
        fn parse<T: std::str::FromStr<Err = trainyard::Error>>(
            cx: &mut Cx,
            list: &Option<Vec<String>>,
            path: &str,
        ) -> Vec<T> {
            let mut out = Vec::new();
            for (i, s) in list.iter().flatten().enumerate() {
                if let Some(v) = crate::convert::parsed(cx, Some(s.clone()), &format!("{path}[{i}]")) {
                    out.push(v);
                }
            }
            out
        }
        CoreFilter {
            statuses: parse(cx, &self.statuses, "filters.statuses"),
            kinds: parse(cx, &self.kinds, "filters.kinds"),
            groups: self.groups.clone().unwrap_or_default(),
            scopes: self.scopes.clone().unwrap_or_default(),
            services: self.services.clone().unwrap_or_default(),
            environments: self.environments.clone().unwrap_or_default(),
            include_archived: self.include_archived.unwrap_or(false),
        }
    }
}

// ---- returned objects ----

/// The window of one phase on the calendar.
#[napi(object, use_nullable = true)]
pub struct CalendarPhase {
    /// Phase id.
    pub phase_id: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// `true` for a planned (future) window, `false` for actual times.
    pub planned: bool,
}

/// A release on the calendar.
#[napi(object, use_nullable = true)]
pub struct CalendarEntry {
    /// Release id.
    pub release_id: String,
    /// Release name.
    pub name: String,
    /// Status.
    #[napi(ts_type = "ReleaseStatus")]
    pub status: String,
    /// Kind.
    #[napi(ts_type = "ReleaseKind")]
    pub kind: String,
    /// Release group, if a group generated it.
    pub group: Option<String>,
    /// Scope.
    pub scope: String,
    /// Window start (activation, else the scheduled start).
    pub start: DateTime<Utc>,
    /// Window end.
    pub end: DateTime<Utc>,
    /// Scheduled start.
    pub planned_start: Option<DateTime<Utc>>,
    /// Scheduled end.
    pub planned_end: Option<DateTime<Utc>>,
    /// Activation time.
    pub actual_start: Option<DateTime<Utc>>,
    /// End time.
    pub actual_end: Option<DateTime<Utc>>,
    /// Phase windows.
    pub phases: Vec<CalendarPhase>,
    /// Values of its `service` inputs.
    pub services: Vec<String>,
    /// Values of its `environment` inputs.
    pub environments: Vec<String>,
    /// The releases its gates wait for (or will, once they start).
    pub waits_for: Vec<String>,
}

impl From<&CoreEntry> for CalendarEntry {
    fn from(e: &CoreEntry) -> Self {
        CalendarEntry {
            release_id: e.release_id.clone(),
            name: e.name.clone(),
            status: e.status.as_str().to_string(),
            kind: e.kind.as_str().to_string(),
            group: e.group.clone(),
            scope: e.scope.clone(),
            start: e.start,
            end: e.end,
            planned_start: e.planned_start,
            planned_end: e.planned_end,
            actual_start: e.actual_start,
            actual_end: e.actual_end,
            phases: e
                .phases
                .iter()
                .map(|p| CalendarPhase { phase_id: p.phase_id.clone(), start: p.start, end: p.end, planned: p.planned })
                .collect(),
            services: e.services.clone(),
            environments: e.environments.clone(),
            waits_for: e.waits_for.clone(),
        }
    }
}

/// A conflict on the calendar.
#[napi(object, use_nullable = true)]
pub struct Conflict {
    /// `overlap` (two releases share a resource) | `freeze` (a release overlaps a freeze window).
    #[napi(ts_type = "'overlap' | 'freeze'")]
    pub kind: String,
    /// The releases: two for an overlap, one for a freeze.
    pub release_ids: Vec<String>,
    /// The freeze, for freeze conflicts.
    pub freeze_id: Option<String>,
    /// `service:<name>`, `environment:<name>` or `*`.
    pub resource: String,
    /// Start of the overlap.
    pub start: DateTime<Utc>,
    /// End of the overlap.
    pub end: DateTime<Utc>,
}

impl From<&CoreConflict> for Conflict {
    fn from(c: &CoreConflict) -> Self {
        let kind = match serde_json::to_value(c.kind) {
            Ok(Value::String(s)) => s,
            _ => format!("{:?}", c.kind).to_lowercase(),
        };
        Conflict {
            kind,
            release_ids: c.release_ids.clone(),
            freeze_id: c.freeze_id.clone(),
            resource: c.resource.clone(),
            start: c.start,
            end: c.end,
        }
    }
}

/// Reads `(start, end, filters?)`.
fn range(
    cx: &mut Cx,
    start: napi::bindgen_prelude::Unknown,
    end: napi::bindgen_prelude::Unknown,
    filters: Option<napi::bindgen_prelude::Unknown>,
) -> (DateTime<Utc>, DateTime<Utc>, CoreFilter, Option<trainyard::access::Actor>) {
    let from: DateTime<Utc> = cx.arg(start, "start");
    let to: DateTime<Utc> = cx.arg(end, "end");
    let filters: Option<CalendarFilter> = filters.and_then(|f| cx.arg(f, "filters"));
    let filters = filters.unwrap_or_default();
    let core = filters.to_core(cx);
    (from, to, core, filters.actor.map(|a| a.core()))
}

calls! {
    #[doc = " The releases on the calendar in `[start, end)` passing the filters, by start, with their"]
    #[doc = " phase windows; with `actor`, only those they may read."]
    #[ts("start: Date | string, end: Date | string, filters?: CalendarFilter", "CalendarEntry[]", "Promise<CalendarEntry[]>")]
    fn calendar / calendar_async(&self, cx, start, end, filters) {
        let (from, to, filter, actor) = range(cx, start, end, Some(filters));
        cx.finish()?;
        call(move |e| {
            let list = match &actor {
                Some(actor) => e.calendar_as(actor, from, to, &filter),
                None => e.calendar(from, to, &filter),
            }?;
            Ok(views::napi_value(list.iter().map(CalendarEntry::from).collect::<Vec<_>>()))
        })
    }

    #[doc = " The conflicts in `[start, end)`: releases overlapping on a shared service or environment,"]
    #[doc = " and releases overlapping a freeze window."]
    #[ts("start: Date | string, end: Date | string", "Conflict[]", "Promise<Conflict[]>")]
    fn conflicts / conflicts_async(&self, cx, start, end) {
        let (from, to, _, _) = range(cx, start, end, None);
        cx.finish()?;
        call(move |e| Ok(views::napi_value(e.conflicts(from, to)?.iter().map(Conflict::from).collect::<Vec<_>>())))
    }

    #[doc = " The calendar of `[start, end)` as iCalendar (RFC 5545) text, one `VEVENT` per release;"]
    #[doc = " `filters` as for `calendar` (without `actor`)."]
    #[ts("start: Date | string, end: Date | string, filters?: CalendarFilter", "string", "Promise<string>")]
    fn calendar_ics / calendar_ics_async(&self, cx, start, end, filters) {
        let (from, to, filter, actor) = range(cx, start, end, Some(filters));
        if actor.is_some() {
            cx.problem("filters.actor", UNKNOWN_FIELD, "calendarIcs takes no actor filter; export what the caller may read with calendar({ actor })");
        }
        cx.finish()?;
        call(move |e| Ok(views::napi_value(e.calendar_ics(from, to, &filter)?)))
    }
}

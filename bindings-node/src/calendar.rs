//! Time: release groups, freeze windows, the calendar, conflicts and iCalendar export, plus the
//! built-in `command` executor and the forced activation. A second `#[napi] impl Engine` block
//! (napi-rs merges every block into the one JS class); conversion only, the logic is the core's.
//!
//! Options objects are camelCase (`startsOn`, `nameTemplate`, `inputSet`, `autoStart`, `endsOn`) and
//! are converted to the core's snake_case documents (DESIGN §6) before `ReleaseGroup::from_value` /
//! `Freeze::from_value` check them, so every problem is reported the same way as in Rust and Python.
//! Times may be `Date`s or RFC 3339 text.

use crate::engine::Engine;
use crate::errors;
use crate::executors::JsThread;
use crate::objects::{Event, JsonObject, json_object};
use crate::options::Actor;
use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{AsyncTask, FromNapiValue, Object, Task, Unknown};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use serde_json::Value;
use std::sync::Arc;
use trainyard::calendar::{CalendarEntry as CoreEntry, CalendarFilter as CoreFilter, Conflict as CoreConflict};
use trainyard::schedule::{Freeze as CoreFreeze, ReleaseGroup as CoreGroup};

// ---- options (typed for index.d.ts; read through `document` so unknown fields are reported) ----

#[allow(dead_code)] // typed for index.d.ts; read through `document`
/// Options of `createReleaseGroup` and `updateReleaseGroup`: the release-group document of
/// DESIGN §6 in camelCase, plus the actor.
#[napi(object, object_to_js = false)]
pub struct ReleaseGroupOptions {
    /// Unique id: `[a-z0-9][a-z0-9-_]{0,63}`.
    pub id: String,
    /// Display name (the `{name}` of the template).
    pub name: String,
    /// The process its releases run.
    pub process: String,
    /// An RRULE string (`FREQ=WEEKLY;BYDAY=MO;BYHOUR=9`) or the friendly object
    /// (`{ every: 'week', on: 'monday', at: '09:00', interval?: 2 }`).
    #[napi(ts_type = "string | Record<string, unknown>")]
    pub cadence: Value,
    /// IANA time zone of the cadence (default `UTC`).
    pub timezone: Option<String>,
    /// Planned length of each release: `2d`, `1w`.
    pub duration: String,
    /// First local day (`2025-04-07`) or date-time the cadence may fire.
    #[napi(ts_type = "string | Date")]
    pub starts_on: Value,
    /// Who creates (or changes) it.
    #[napi(ts_type = "ActorLike")]
    pub actor: Actor,
    /// Last local day (inclusive) or date-time the cadence may fire.
    #[napi(ts_type = "string | Date")]
    pub ends_on: Option<Value>,
    /// Release name template: `{name}`, `{year}`, `{iso_year}`, `{iso_week}`, `{month}`, `{date}`, `{n}`.
    pub name_template: Option<String>,
    /// The saved input set its releases use.
    pub input_set: Option<String>,
    /// Input values of its releases; every string may use the `nameTemplate` fields
    /// (`'1.{iso_week}.0'`).
    #[napi(ts_type = "Record<string, unknown>")]
    pub inputs: Option<JsonObject>,
    /// Kind of its releases (default `standard`).
    #[napi(ts_type = "ReleaseKind")]
    pub kind: Option<String>,
    /// Activate its releases at their start (default `true`).
    pub auto_start: Option<bool>,
    /// `account` (default) or `org:<id>`.
    pub scope: Option<String>,
    /// Owners of its releases (default: the process's owners).
    pub owners: Option<Vec<String>>,
}

/// How a freeze recurs.
#[napi(object)]
pub struct FreezeRecurrence {
    /// When each window opens (RRULE string or friendly object).
    #[napi(ts_type = "string | Record<string, unknown>")]
    pub cadence: Value,
    /// IANA time zone of the cadence (default `UTC`).
    pub timezone: Option<String>,
    /// How long each window lasts (`2d 16h`).
    pub duration: String,
}

#[allow(dead_code)] // typed for index.d.ts; read through `document`
/// Options of `addFreeze`.
#[napi(object, object_to_js = false)]
pub struct FreezeOptions {
    /// Display name.
    pub name: String,
    /// Start (one-off) or the anchor of the recurrence.
    #[napi(ts_type = "Date | string")]
    pub start: Value,
    /// End (one-off, required) or the last instant a recurring window may open.
    #[napi(ts_type = "Date | string")]
    pub end: Option<Value>,
    /// Who adds it.
    #[napi(ts_type = "ActorLike")]
    pub actor: Actor,
    /// Unique id (default: derived from the name).
    pub id: Option<String>,
    /// Frozen environments (none and no services = everything).
    pub environments: Option<Vec<String>>,
    /// Frozen services.
    pub services: Option<Vec<String>>,
    /// Makes the freeze recurring.
    pub recurrence: Option<FreezeRecurrence>,
    /// Why (shown to people whose activity waits).
    pub reason: Option<String>,
}

/// Options of `activate`.
#[napi(object, object_to_js = false)]
pub struct ActivateOptions {
    /// Who activates it.
    #[napi(ts_type = "ActorLike")]
    pub actor: Actor,
    /// Activate even inside a freeze window (recorded).
    pub force: Option<bool>,
}

/// Filters of `calendar`, `calendarAsync` and `calendarIcs`: every non-empty list must match.
#[napi(object, object_to_js = false)]
#[derive(Clone, Default)]
pub struct CalendarFilter {
    /// Statuses.
    #[napi(ts_type = "ReleaseStatus[]")]
    pub statuses: Option<Vec<String>>,
    /// Kinds.
    #[napi(ts_type = "ReleaseKind[]")]
    pub kinds: Option<Vec<String>>,
    /// Release group ids.
    pub groups: Option<Vec<String>>,
    /// Scopes (`account`, `org:<id>`).
    pub scopes: Option<Vec<String>>,
    /// Services (any shared value matches).
    pub services: Option<Vec<String>>,
    /// Environments (any shared value matches).
    pub environments: Option<Vec<String>>,
}

impl CalendarFilter {
    fn to_core(&self) -> trainyard::Result<CoreFilter> {
        let parse = |list: &Option<Vec<String>>| -> Vec<String> { list.clone().unwrap_or_default() };
        Ok(CoreFilter {
            statuses: parse(&self.statuses).iter().map(|s| s.parse()).collect::<trainyard::Result<_>>()?,
            kinds: parse(&self.kinds).iter().map(|s| s.parse()).collect::<trainyard::Result<_>>()?,
            groups: parse(&self.groups),
            scopes: parse(&self.scopes),
            services: parse(&self.services),
            environments: parse(&self.environments),
        })
    }
}

// ---- returned objects ----

/// The window of one phase on the calendar.
#[napi(object)]
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
#[napi(object)]
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
        }
    }
}

/// A conflict on the calendar.
#[napi(object)]
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

/// A stored release group (camelCase fields of the release-group document).
#[napi(object)]
pub struct ReleaseGroup {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Process id.
    pub process: String,
    /// Input set name.
    pub input_set: Option<String>,
    /// Input values.
    #[napi(ts_type = "Record<string, any>")]
    pub inputs: JsonObject,
    /// The cadence as given (RRULE text or friendly object).
    #[napi(ts_type = "string | Record<string, any>")]
    pub cadence: Value,
    /// IANA time zone.
    pub timezone: String,
    /// Planned length of each release.
    #[napi(ts_type = "string")]
    pub duration: Value,
    /// First local day or date-time.
    #[napi(ts_type = "string")]
    pub starts_on: Value,
    /// Last local day or date-time.
    #[napi(ts_type = "string")]
    pub ends_on: Option<Value>,
    /// Name template.
    pub name_template: Option<String>,
    /// Kind of its releases.
    #[napi(ts_type = "ReleaseKind")]
    pub kind: String,
    /// Whether its releases activate at their start.
    pub auto_start: bool,
    /// Scope.
    pub scope: String,
    /// Owners of its releases (empty: the process's owners).
    pub owners: Vec<String>,
}

impl From<&CoreGroup> for ReleaseGroup {
    fn from(g: &CoreGroup) -> Self {
        use erased::Ser;
        ReleaseGroup {
            id: g.id.clone(),
            name: g.name.clone(),
            process: g.process.clone(),
            input_set: g.input_set.clone(),
            inputs: json_object(&g.inputs),
            cadence: g.cadence.value(),
            timezone: g.timezone.clone(),
            duration: g.duration.value(),
            starts_on: g.starts_on.value(),
            ends_on: g.ends_on.as_ref().map(|e| e.value()),
            name_template: g.name_template.clone(),
            kind: g.kind.as_str().to_string(),
            auto_start: g.auto_start,
            scope: g.scope.clone(),
            owners: g.owners.clone(),
        }
    }
}

mod erased {
    /// Serializes any core value to JSON (for the fields JS sees as text or plain objects).
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

/// What `updateReleaseGroup` did to the group's releases.
#[napi(object)]
pub struct GroupChanges {
    /// Releases created (and scheduled).
    pub created: Vec<String>,
    /// Releases rescheduled in place.
    pub rescheduled: Vec<String>,
    /// Releases deleted.
    pub deleted: Vec<String>,
}

/// A stored freeze window.
#[napi(object)]
pub struct Freeze {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Start (or recurrence anchor).
    pub start: DateTime<Utc>,
    /// End (or last instant a recurring window may open).
    pub end: Option<DateTime<Utc>>,
    /// Frozen environments.
    pub environments: Vec<String>,
    /// Frozen services.
    pub services: Vec<String>,
    /// How it recurs.
    pub recurrence: Option<FreezeRecurrence>,
    /// Why.
    pub reason: Option<String>,
}

impl From<&CoreFreeze> for Freeze {
    fn from(f: &CoreFreeze) -> Self {
        use erased::Ser;
        Freeze {
            id: f.id.clone(),
            name: f.name.clone(),
            start: f.start,
            end: f.end,
            environments: f.environments.clone(),
            services: f.services.clone(),
            recurrence: f.recurrence.as_ref().map(|r| FreezeRecurrence {
                cadence: r.cadence.value(),
                timezone: Some(r.timezone.clone()),
                duration: match r.duration.value() {
                    Value::String(s) => s,
                    other => other.to_string(),
                },
            }),
            reason: f.reason.clone(),
        }
    }
}

// ---- conversion of options objects to core documents ----

/// `startsOn` → `starts_on`.
fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a JS value as JSON, a `Date` as RFC 3339 text (at any depth of plain objects).
fn json(env: &Env, value: Unknown) -> napi::Result<Value> {
    if value.is_date()? {
        // SAFETY: `value` is a live argument of the current call, checked to be a Date.
        let at = unsafe { DateTime::<Utc>::from_napi_value(env.raw(), value.raw())? };
        return Ok(Value::String(at.to_rfc3339()));
    }
    if value.get_type()? == ValueType::Object && !value.is_array()? {
        // SAFETY: checked to be a (non-array) object of this call.
        let object = unsafe { Object::from_napi_value(env.raw(), value.raw())? };
        let mut map = serde_json::Map::new();
        for key in Object::keys(&object)? {
            if let Some(v) = object.get::<Unknown>(&key)? {
                if v.get_type()? != ValueType::Undefined {
                    map.insert(key, json(env, v)?);
                }
            }
        }
        return Ok(Value::Object(map));
    }
    // SAFETY: a live value of this call; `Value` checks the JS type of everything it reads.
    unsafe { value.cast::<Value>() }.map_err(|e| {
        let problem = trainyard::Problem::new("", "wrong_type", format!("expected JSON values; {}", e.reason));
        errors::to_js(env, &trainyard::Error::InvalidInput { problems: vec![problem] })
    })
}

/// The core document of an options object: top-level keys in snake_case, without `actor`; `Date`s
/// as RFC 3339 text.
fn document(env: &Env, options: &Object) -> napi::Result<Value> {
    let mut map = serde_json::Map::new();
    for key in Object::keys(options)? {
        if key == "actor" {
            continue;
        }
        if let Some(v) = options.get::<Unknown>(&key)? {
            if !matches!(v.get_type()?, ValueType::Undefined | ValueType::Null) {
                map.insert(snake(&key), json(env, v)?);
            }
        }
    }
    Ok(Value::Object(map))
}

fn actor_of(options: &Object) -> napi::Result<trainyard::access::Actor> {
    let actor: Actor = options
        .get("actor")?
        .ok_or_else(|| napi::Error::new(napi::Status::InvalidArg, "options.actor is required".to_string()))?;
    Ok((&actor).into())
}

/// A freeze id from its name: `Quarter-end freeze` → `quarter-end-freeze`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(64).collect();
    if out.is_empty() { "freeze".into() } else { out.trim_end_matches('-').to_string() }
}

/// `calendarAsync`.
pub struct CalendarTask {
    engine: Arc<trainyard::Engine>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: CoreFilter,
}

impl Task for CalendarTask {
    type Output = trainyard::Result<Vec<CoreEntry>>;
    type JsValue = Vec<CalendarEntry>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.engine.calendar(self.from, self.to, &self.filter))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Vec<CalendarEntry>> {
        errors::map(&env, output).map(|list| list.iter().map(CalendarEntry::from).collect())
    }
}

#[napi]
impl Engine {
    // ---- release groups ----

    /// Stores a release group and creates its scheduled releases up to the horizon (default 90
    /// days ahead). `cadence` is an RRULE string or `{ every, on, at, interval? }`.
    #[napi(catch_unwind, ts_args_type = "options: ReleaseGroupOptions")]
    pub fn create_release_group(&self, env: Env, options: Object) -> napi::Result<ReleaseGroup> {
        let actor = actor_of(&options)?;
        let group = errors::map(&env, CoreGroup::from_value(&document(&env, &options)?))?;
        let _js = JsThread::enter(&env);
        let group = errors::map(&env, self.inner.create_release_group(group, &actor))?;
        Ok(ReleaseGroup::from(&group))
    }

    /// Replaces a release group (same id) and brings its not-started releases in line.
    #[napi(catch_unwind, ts_args_type = "options: ReleaseGroupOptions")]
    pub fn update_release_group(&self, env: Env, options: Object) -> napi::Result<GroupChanges> {
        let actor = actor_of(&options)?;
        let group = errors::map(&env, CoreGroup::from_value(&document(&env, &options)?))?;
        let _js = JsThread::enter(&env);
        let c = errors::map(&env, self.inner.update_release_group(group, &actor))?;
        Ok(GroupChanges { created: c.created, rescheduled: c.rescheduled, deleted: c.deleted })
    }

    /// A release group by id.
    #[napi(catch_unwind)]
    pub fn get_release_group(&self, env: Env, id: String) -> napi::Result<ReleaseGroup> {
        errors::map(&env, self.inner.get_release_group(&id)).map(|g| ReleaseGroup::from(&g))
    }

    /// Every release group.
    #[napi(catch_unwind)]
    pub fn list_release_groups(&self, env: Env) -> napi::Result<Vec<ReleaseGroup>> {
        errors::map(&env, self.inner.list_release_groups()).map(|l| l.iter().map(ReleaseGroup::from).collect())
    }

    /// Deletes a release group and its releases that have not started; returns the deleted ids.
    #[napi(catch_unwind, ts_args_type = "id: string, options: { actor: ActorLike }")]
    pub fn delete_release_group(&self, env: Env, id: String, options: Object) -> napi::Result<Vec<String>> {
        let actor = actor_of(&options)?;
        let _js = JsThread::enter(&env);
        errors::map(&env, self.inner.delete_release_group(&id, &actor))
    }

    /// How far ahead (in milliseconds) release groups materialise scheduled releases.
    #[napi(catch_unwind)]
    pub fn horizon(&self) -> f64 {
        self.inner.horizon().num_milliseconds() as f64
    }

    /// Sets how far ahead (in milliseconds) release groups materialise scheduled releases.
    #[napi(catch_unwind)]
    pub fn set_horizon(&self, ms: f64) -> napi::Result<()> {
        if !ms.is_finite() || ms < 0.0 {
            return Err(napi::Error::new(
                napi::Status::InvalidArg,
                format!("setHorizon(ms) needs a non-negative number of milliseconds, got {ms}"),
            ));
        }
        self.inner.set_horizon(chrono::Duration::milliseconds(ms.round() as i64));
        Ok(())
    }

    // ---- freezes ----

    /// Adds a freeze window (one-off `[start, end)`, or recurring with `recurrence`); with neither
    /// `environments` nor `services` it freezes everything. The id defaults to a slug of the name.
    #[napi(catch_unwind, ts_args_type = "options: FreezeOptions")]
    pub fn add_freeze(&self, env: Env, options: Object) -> napi::Result<Freeze> {
        let actor = actor_of(&options)?;
        let mut doc = document(&env, &options)?;
        if let Value::Object(map) = &mut doc {
            if !map.contains_key("id") {
                let name = map.get("name").and_then(Value::as_str).unwrap_or("");
                map.insert("id".into(), Value::String(slug(name)));
            }
        }
        let freeze = errors::map(&env, CoreFreeze::from_value(&doc))?;
        let _js = JsThread::enter(&env);
        errors::map(&env, self.inner.add_freeze(freeze, &actor)).map(|f| Freeze::from(&f))
    }

    /// Every freeze window.
    #[napi(catch_unwind)]
    pub fn list_freezes(&self, env: Env) -> napi::Result<Vec<Freeze>> {
        errors::map(&env, self.inner.list_freezes()).map(|l| l.iter().map(Freeze::from).collect())
    }

    /// Deletes a freeze window.
    #[napi(catch_unwind, ts_args_type = "id: string, options: { actor: ActorLike }")]
    pub fn delete_freeze(&self, env: Env, id: String, options: Object) -> napi::Result<()> {
        let actor = actor_of(&options)?;
        let _js = JsThread::enter(&env);
        errors::map(&env, self.inner.delete_freeze(&id, &actor))
    }

    /// Activates a release now; with `force: true` even inside a freeze window (recorded).
    #[napi(catch_unwind)]
    pub fn activate(&self, env: Env, release_id: String, options: ActivateOptions) -> napi::Result<Vec<Event>> {
        let actor: trainyard::access::Actor = (&options.actor).into();
        let _js = JsThread::enter(&env);
        let events = if options.force.unwrap_or(false) {
            self.inner.activate_forced(&release_id, &actor)
        } else {
            self.inner.activate(&release_id, &actor)
        };
        errors::map(&env, events).map(|l| l.iter().map(Event::from).collect())
    }

    // ---- the calendar ----

    /// The releases on the calendar in `[start, end)` passing the filters, by start, with their
    /// phase windows.
    #[napi(catch_unwind)]
    pub fn calendar(
        &self,
        env: Env,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        filters: Option<CalendarFilter>,
    ) -> napi::Result<Vec<CalendarEntry>> {
        let filter = errors::map(&env, filters.unwrap_or_default().to_core())?;
        errors::map(&env, self.inner.calendar(start, end, &filter)).map(|l| l.iter().map(CalendarEntry::from).collect())
    }

    /// `calendar` off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Array<CalendarEntry>>")]
    pub fn calendar_async(
        &self,
        env: Env,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        filters: Option<CalendarFilter>,
    ) -> napi::Result<AsyncTask<CalendarTask>> {
        let filter = errors::map(&env, filters.unwrap_or_default().to_core())?;
        Ok(AsyncTask::new(CalendarTask { engine: self.inner.clone(), from: start, to: end, filter }))
    }

    /// The conflicts in `[start, end)`: releases overlapping on a shared service or environment,
    /// and releases overlapping a freeze window.
    #[napi(catch_unwind)]
    pub fn conflicts(&self, env: Env, start: DateTime<Utc>, end: DateTime<Utc>) -> napi::Result<Vec<Conflict>> {
        errors::map(&env, self.inner.conflicts(start, end)).map(|l| l.iter().map(Conflict::from).collect())
    }

    /// The calendar of `[start, end)` as iCalendar (RFC 5545) text, one `VEVENT` per release.
    #[napi(catch_unwind)]
    pub fn calendar_ics(
        &self,
        env: Env,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        filters: Option<CalendarFilter>,
    ) -> napi::Result<String> {
        let filter = errors::map(&env, filters.unwrap_or_default().to_core())?;
        errors::map(&env, self.inner.calendar_ics(start, end, &filter))
    }

    // ---- the built-in command executor ----
}

#[cfg(test)]
mod tests {
    use super::{slug, snake};

    #[test]
    fn names() {
        assert_eq!(snake("startsOn"), "starts_on");
        assert_eq!(snake("starts_on"), "starts_on");
        assert_eq!(slug("Quarter-end freeze!"), "quarter-end-freeze");
        assert_eq!(slug("  "), "freeze");
    }
}

//! Time: the `ManualClock`, release groups (RRULE cadences that materialise scheduled releases up
//! to the horizon) and freeze windows. A `#[napi] impl Engine` block of its own (napi merges every
//! block into the one JS class); conversion only, the logic is the core's.
//!
//! Release-group and freeze options are camelCase (`startsOn`, `nameTemplate`, `inputSet`,
//! `autoStart`, `endsOn`) and are converted to the core's snake_case documents before
//! `ReleaseGroup::from_value` / `Freeze::from_value` check them, so every problem of the document
//! is reported the same way as in Rust and Python (`validation`, paths such as `starts_on`). Times
//! may be `Date`s or RFC 3339 text; durations text (`"2d"`) or milliseconds; `timezone` defaults
//! to `UTC`.

use crate::convert::{Cx, FromJs, JsonObject, Kind, Span};
use crate::engine::Engine;
use crate::options::{Actor, ActorOptions, GroupControlOptions, TriggerOptions};
use crate::tasks::{call, calls};
use crate::views;
use chrono::{DateTime, Utc};
use napi::Env;
use napi::JsValue;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi_derive::napi;
use serde_json::{Map, Value};
use trainyard::schedule::{Clock, Freeze as CoreFreeze, ReleaseGroup as CoreGroup};
use trainyard::validate::codes::INVALID_VALUE;

/// A clock that only moves when told to. Pass it as `Engine.inMemory({ clock })`; every engine
/// given the same clock sees the same time.
#[napi]
pub struct ManualClock {
    pub(crate) inner: trainyard::schedule::ManualClock,
}

#[napi]
impl ManualClock {
    /// A clock standing at `start` (a `Date` or RFC 3339 text).
    #[napi(constructor, ts_args_type = "start: Date | string")]
    pub fn new(env: Env, start: Unknown) -> napi::Result<Self> {
        let mut cx = Cx::new(&env);
        let start: DateTime<Utc> = cx.arg(start, "start");
        cx.done()?;
        Ok(ManualClock { inner: trainyard::schedule::ManualClock::new(start) })
    }

    /// The current time.
    #[napi]
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.now()
    }

    /// Moves the clock by `by`: a duration text (`"30m"`, `"1d 12h"`) or a number of
    /// milliseconds (a negative number moves it back). Returns the new time.
    #[napi(ts_args_type = "by: string | number")]
    pub fn advance(&self, env: Env, by: Unknown) -> napi::Result<DateTime<Utc>> {
        let mut cx = Cx::new(&env);
        let by: Span = cx.arg(by, "by");
        cx.done()?;
        self.inner.advance(by.0);
        Ok(self.inner.now())
    }

    /// Sets the time (a `Date` or RFC 3339 text).
    #[napi(ts_args_type = "to: Date | string")]
    pub fn set(&self, env: Env, to: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let to: DateTime<Utc> = cx.arg(to, "to");
        cx.done()?;
        self.inner.set(to);
        Ok(())
    }
}

// ---- options (typed for index.d.ts; read through `document` so the core reports every field) ----

#[allow(dead_code)] // typed for index.d.ts; read through `document`
/// Options of `createReleaseGroup` and `updateReleaseGroup`: the release-group document
/// (`trainyard::schedule::ReleaseGroup`) in camelCase, plus the actor.
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
    /// Planned length of each release: `"2d"`, `"1w"`, or milliseconds (whole seconds).
    #[napi(ts_type = "string | number")]
    pub duration: Value,
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
    /// When an occurrence is due while earlier ones run: `'allow'` (default), `'skip'`,
    /// `'buffer_one'` or `{ maxInFlight: n }`.
    #[napi(ts_type = "'allow' | 'skip' | 'buffer_one' | { maxInFlight: number }")]
    pub overlap: Option<Value>,
    /// Occurrences that became due without starting: `'all'`, `'latest'` (default) or `'none'`.
    #[napi(ts_type = "'all' | 'latest' | 'none'")]
    pub catch_up: Option<String>,
}

/// How a freeze recurs.
#[napi(object, use_nullable = true)]
pub struct FreezeRecurrence {
    /// When each window opens (RRULE string or friendly object).
    #[napi(ts_type = "string | Record<string, unknown>")]
    pub cadence: Value,
    /// IANA time zone of the cadence (default `UTC`).
    pub timezone: Option<String>,
    /// How long each window lasts: `"2d 16h"`, or milliseconds (whole seconds) when given.
    #[napi(ts_type = "string | number")]
    pub duration: Value,
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
    /// `'block'` (default: nothing it covers runs inside its windows) or `'allow'` (an allowed
    /// window: what it covers runs only inside its windows; several on one resource add up).
    #[napi(ts_type = "'block' | 'allow'")]
    pub mode: Option<String>,
}

/// A stored release group (camelCase fields of the release-group document).
#[napi(object, use_nullable = true)]
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
    /// Overlap policy: `'allow'`, `'skip'`, `'buffer_one'` or `{ maxInFlight: n }`.
    #[napi(ts_type = "'allow' | 'skip' | 'buffer_one' | { maxInFlight: number }")]
    pub overlap: Value,
    /// Catch-up policy: `'all'`, `'latest'` or `'none'`.
    #[napi(ts_type = "'all' | 'latest' | 'none'")]
    pub catch_up: String,
}

impl From<&CoreGroup> for ReleaseGroup {
    fn from(g: &CoreGroup) -> Self {
        ReleaseGroup {
            id: g.id.clone(),
            name: g.name.clone(),
            process: g.process.clone(),
            input_set: g.input_set.clone(),
            inputs: g.inputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
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
            overlap: match g.overlap {
                trainyard::schedule::Overlap::MaxInFlight(n) => serde_json::json!({ "maxInFlight": n }),
                other => Value::String(other.to_string()),
            },
            catch_up: g.catch_up.to_string(),
        }
    }
}

/// What `updateReleaseGroup` did to the group's releases.
#[napi(object, use_nullable = true)]
pub struct GroupChanges {
    /// Releases created (and scheduled).
    pub created: Vec<String>,
    /// Releases rescheduled in place.
    pub rescheduled: Vec<String>,
    /// Releases deleted.
    pub deleted: Vec<String>,
}

/// A stored freeze window.
#[napi(object, use_nullable = true)]
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
    /// The effective mode: `'block'` (nothing it covers runs inside its windows) or `'allow'`
    /// (what it covers runs only inside them).
    #[napi(ts_type = "'block' | 'allow'")]
    pub mode: String,
}

impl From<&CoreFreeze> for Freeze {
    fn from(f: &CoreFreeze) -> Self {
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
                duration: r.duration.value(),
            }),
            reason: f.reason.clone(),
            mode: f.mode().as_str().to_string(),
        }
    }
}

/// Serializes a core value to JSON (for the fields JS sees as text or plain objects).
trait Ser {
    fn value(&self) -> Value;
}

impl<T: serde::Serialize> Ser for T {
    fn value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
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

/// A duration given as milliseconds, as the core's duration text (`90000` → `"1m 30s"`).
fn duration_text(cx: &mut Cx, value: &mut Value, path: &str) {
    if let Value::Number(n) = value {
        let ms = n.as_f64().unwrap_or(-1.0);
        if ms < 0.0 || ms % 1000.0 != 0.0 {
            cx.problem(
                path,
                INVALID_VALUE,
                "a duration in milliseconds must be whole seconds, not negative; or give text such as \"2d\"",
            );
            return;
        }
        *value = Value::String(trainyard::model::Duration::from_secs((ms / 1000.0) as u64).as_str().to_string());
    }
}

/// The core document of an options object (top-level keys in snake_case, `Date`s as RFC 3339
/// text, `undefined` and `null` left out) and its actor. Problems go to `cx`.
fn document(cx: &mut Cx, options: Unknown, expected: &str) -> (Value, Actor) {
    let value = options.raw();
    let mut map = Map::new();
    let mut actor = None;
    if cx.plain_object(value, "options", expected) {
        let keys = cx.keys(value).unwrap_or_default();
        for (crate::convert::Key { text: key, bad }, name) in keys {
            let mut path = crate::convert::join("options", &key);
            if let Some(why) = bad {
                cx.problem(&path, INVALID_VALUE, format!("the key {}", why.trim_start_matches("it ")));
                continue;
            }
            let Ok(item) = cx.get(value, name) else { continue };
            if matches!(cx.kind(item), Kind::Undefined | Kind::Null) {
                continue;
            }
            if key == "actor" {
                actor = Some(Actor::read(cx, item, &mut path));
            } else if let Some(json) = cx.json(item, &mut path) {
                map.insert(snake(&key), json);
            }
        }
    }
    let actor = actor.unwrap_or_else(|| Actor::missing(cx, "options.actor"));
    // `overlap: { maxInFlight: 2 }` is the document's `{ max_in_flight: 2 }`.
    if let Some(Value::Object(o)) = map.get_mut("overlap") {
        *o = std::mem::take(o).into_iter().map(|(k, v)| (snake(&k), v)).collect();
    }
    if let Some(d) = map.get_mut("duration") {
        duration_text(cx, d, "options.duration");
    }
    if let Some(Value::Object(r)) = map.get_mut("recurrence") {
        if let Some(d) = r.get_mut("duration") {
            duration_text(cx, d, "options.recurrence.duration");
        }
    }
    (Value::Object(map), actor)
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

fn group_document(cx: &mut Cx, options: Unknown) -> trainyard::Result<(CoreGroup, trainyard::access::Actor)> {
    let (doc, actor) =
        document(cx, options, "release-group options { id, name, process, cadence, duration, startsOn, actor, … }");
    cx.finish()?;
    Ok((CoreGroup::from_value(&doc)?, actor.core()))
}

fn freeze_document(cx: &mut Cx, options: Unknown) -> trainyard::Result<(CoreFreeze, trainyard::access::Actor)> {
    let (mut doc, actor) = document(cx, options, "freeze options { name, start, end?, actor, … }");
    cx.finish()?;
    if let Value::Object(map) = &mut doc {
        if !map.contains_key("id") {
            let name = map.get("name").and_then(Value::as_str).unwrap_or("");
            map.insert("id".into(), Value::String(slug(name)));
        }
    }
    Ok((CoreFreeze::from_value(&doc)?, actor.core()))
}

/// The `(id, { actor, reason? })` of a pause or resume.
fn id_actor_reason(
    cx: &mut Cx,
    id: Unknown,
    options: Unknown,
) -> trainyard::Result<(String, trainyard::access::Actor, Option<String>)> {
    let id: String = cx.arg(id, "id");
    let o: GroupControlOptions = cx.arg(options, "options");
    cx.finish()?;
    Ok((id, o.actor.core(), o.reason))
}

/// The `(id, { actor })` of a delete.
fn id_and_actor(cx: &mut Cx, id: Unknown, options: Unknown) -> trainyard::Result<(String, trainyard::access::Actor)> {
    let id: String = cx.arg(id, "id");
    let o: ActorOptions = cx.arg(options, "options");
    cx.finish()?;
    Ok((id, o.actor.core()))
}

#[napi]
impl Engine {
    /// How far ahead (in milliseconds) release groups materialise scheduled releases.
    #[napi(catch_unwind)]
    pub fn horizon(&self, env: Env) -> napi::Result<f64> {
        let engine = crate::errors::map(&env, self.core())?;
        Ok(engine.horizon().num_milliseconds() as f64)
    }

    /// Sets how far ahead release groups materialise scheduled releases: `"90d"` or milliseconds.
    #[napi(catch_unwind, ts_args_type = "horizon: string | number")]
    pub fn set_horizon(&self, env: Env, horizon: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let span: Span = cx.arg(horizon, "horizon");
        let horizon = span.non_negative(&mut cx, "horizon");
        cx.done()?;
        crate::errors::map(&env, self.core())?.set_horizon(horizon);
        Ok(())
    }
}

calls! {
    #[doc = " Stores a release group and creates its scheduled releases up to the horizon (default 90"]
    #[doc = " days ahead). `cadence` is an RRULE string or `{ every, on, at, interval? }`."]
    #[ts("options: ReleaseGroupOptions", "ReleaseGroup", "Promise<ReleaseGroup>")]
    fn create_release_group / create_release_group_async(&self, cx, options) {
        let (group, actor) = group_document(cx, options)?;
        call(move |e| Ok(views::napi_value(ReleaseGroup::from(&e.create_release_group(group, &actor)?))))
    }

    #[doc = " Replaces a release group (same id) and brings its not-started releases in line."]
    #[ts("options: ReleaseGroupOptions", "GroupChanges", "Promise<GroupChanges>")]
    fn update_release_group / update_release_group_async(&self, cx, options) {
        let (group, actor) = group_document(cx, options)?;
        call(move |e| {
            let c = e.update_release_group(group, &actor)?;
            Ok(views::napi_value(GroupChanges { created: c.created, rescheduled: c.rescheduled, deleted: c.deleted }))
        })
    }

    #[doc = " A release group by id."]
    #[ts("id: string", "ReleaseGroup", "Promise<ReleaseGroup>")]
    fn get_release_group / get_release_group_async(&self, cx, id) {
        let id: String = cx.arg(id, "id");
        cx.finish()?;
        call(move |e| Ok(views::napi_value(ReleaseGroup::from(&e.get_release_group(&id)?))))
    }

    #[doc = " Every release group."]
    #[ts("", "ReleaseGroup[]", "Promise<ReleaseGroup[]>")]
    fn list_release_groups / list_release_groups_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(e.list_release_groups()?.iter().map(ReleaseGroup::from).collect::<Vec<_>>())))
    }

    #[doc = " Deletes a release group and its releases that have not started; returns the deleted ids."]
    #[ts("id: string, options: ActorOptions", "string[]", "Promise<string[]>")]
    fn delete_release_group / delete_release_group_async(&self, cx, id, options) {
        let (id, actor) = id_and_actor(cx, id, options)?;
        call(move |e| Ok(views::napi_value(e.delete_release_group(&id, &actor)?)))
    }

    #[doc = " Pauses a release group: none of its occurrences starts until it is resumed (releases are"]
    #[doc = " still created; the catch-up policy decides about what became due meanwhile)."]
    #[ts("id: string, options: GroupControlOptions", "void", "Promise<void>")]
    fn pause_release_group / pause_release_group_async(&self, cx, id, options) {
        let (id, actor, reason) = id_actor_reason(cx, id, options)?;
        call(move |e| Ok(views::napi_value(e.pause_release_group(&id, &actor, reason.as_deref())?)))
    }

    #[doc = " Resumes a paused release group; its catch-up policy decides about what became due."]
    #[ts("id: string, options: GroupControlOptions", "void", "Promise<void>")]
    fn resume_release_group / resume_release_group_async(&self, cx, id, options) {
        let (id, actor, reason) = id_actor_reason(cx, id, options)?;
        call(move |e| Ok(views::napi_value(e.resume_release_group(&id, &actor, reason.as_deref())?)))
    }

    #[doc = " Whether a release group is paused."]
    #[ts("id: string", "boolean", "Promise<boolean>")]
    fn release_group_paused / release_group_paused_async(&self, cx, id) {
        let id: String = cx.arg(id, "id");
        cx.finish()?;
        call(move |e| Ok(views::napi_value(e.release_group_paused(&id)?)))
    }

    #[doc = " Activates the group's next not-started occurrence now; returns its release id. Refused"]
    #[doc = " (`invalid_transition`) while the group is paused or its overlap policy would not start one"]
    #[doc = " now, unless `force` (the bypass is recorded in the activation's comment)."]
    #[ts("id: string, options: TriggerOptions", "string", "Promise<string>")]
    fn trigger_release_group / trigger_release_group_async(&self, cx, id, options) {
        let id: String = cx.arg(id, "id");
        let o: TriggerOptions = cx.arg(options, "options");
        cx.finish()?;
        let (actor, force) = (o.actor.core(), o.force.unwrap_or(false));
        call(move |e| Ok(views::napi_value(e.trigger_release_group(&id, &actor, force)?.0)))
    }

    #[doc = " Adds a freeze window (one-off `[start, end)`, or recurring with `recurrence`); with neither"]
    #[doc = " `environments` nor `services` it freezes everything. The id defaults to a slug of the name."]
    #[doc = " `mode: 'allow'` makes it an allowed window: what it covers runs only inside its windows."]
    #[ts("options: FreezeOptions", "Freeze", "Promise<Freeze>")]
    fn add_freeze / add_freeze_async(&self, cx, options) {
        let (freeze, actor) = freeze_document(cx, options)?;
        call(move |e| Ok(views::napi_value(Freeze::from(&e.add_freeze(freeze, &actor)?))))
    }

    #[doc = " Every freeze window."]
    #[ts("", "Freeze[]", "Promise<Freeze[]>")]
    fn list_freezes / list_freezes_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(e.list_freezes()?.iter().map(Freeze::from).collect::<Vec<_>>())))
    }

    #[doc = " Deletes a freeze window."]
    #[ts("id: string, options: ActorOptions", "void", "Promise<void>")]
    fn delete_freeze / delete_freeze_async(&self, cx, id, options) {
        let (id, actor) = id_and_actor(cx, id, options)?;
        call(move |e| {
            e.delete_freeze(&id, &actor)?;
            Ok(views::napi_value(()))
        })
    }
}

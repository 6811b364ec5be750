//! Releases, phases, activities, approvals and events as JS sees them: the core's read model
//! ([`trainyard::release::ReleaseView`]) with its fields renamed to camelCase, serialized to ONE
//! JSON string in Rust (off the JS thread for the `…Async` calls) and parsed by `views.js` on the
//! JS thread, which turns the time fields into `Date`s. Nothing here computes a field the view
//! does not have; phases and activities are keyed by id, in the view's order (regular phases,
//! then rollback phases). Absent values are `null`.
//!
//! One `JSON.parse` per result replaces one `napi_set_property` per field (5× cheaper for a
//! release, measured by `bench/read_views.mjs`). The TypeScript interfaces of these objects are in
//! `dts-header.d.ts`; `tests/views.test.mjs` checks them, and the keys of returned objects,
//! against `testdata/api/views.json`.

use crate::errors::Problem;
use crate::locks::LockJs;
use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use napi::bindgen_prelude::{ToNapiValue, TypeName, ValueType};
use napi::{Env, sys};
use napi_derive::napi;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::cell::Cell;
use std::ptr;
use trainyard::model::ActivityKind;
use trainyard::release::{
    ActivityStatus, ActivityView, ApprovalView, ParentLink, PhaseStatus, PhaseView, ReleaseKind, ReleaseState,
    ReleaseStatus, ReleaseView, Schedule, SkipReason,
};

type Time = Option<DateTime<Utc>>;

/// A JS value made on the JS thread, returned as it is.
pub struct Js(pub sys::napi_value);

impl ToNapiValue for Js {
    unsafe fn to_napi_value(_: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        Ok(value.0)
    }
}

impl TypeName for Js {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// What a call returns, made on the JS thread from what the core returned (which may have been
/// computed, and serialized, on a worker thread).
pub type Reply = Box<dyn FnOnce(&Env) -> napi::Result<sys::napi_value> + Send>;

/// A reply that parses `text` with one of `views.js`'s functions.
pub fn parse(loader: &'static std::ffi::CStr, text: String) -> Reply {
    Box::new(move |env| load(env, loader, &text))
}

/// A release as a JS object.
pub fn release(state: &ReleaseState) -> Reply {
    parse(c"release", to_json(&ReleaseJs::from(state.view())))
}

/// Releases as a JS array.
pub fn releases(states: &[ReleaseState]) -> Reply {
    let list: Vec<_> = states.iter().map(|s| ReleaseJs::from(s.view())).collect();
    parse(c"releases", to_json(&list))
}

/// A search page as `{ releases, next }`.
pub fn search_page(states: &[ReleaseState], next: Option<String>) -> Reply {
    #[derive(Serialize)]
    struct Page<'a, R> {
        releases: Vec<R>,
        next: Option<&'a str>,
    }
    let releases: Vec<_> = states.iter().map(|s| ReleaseJs::from(s.view())).collect();
    parse(c"searchPage", to_json(&Page { releases, next: next.as_deref() }))
}

/// Events (a history, or what a command appended) as a JS array.
pub fn events(list: &[trainyard::release::Event]) -> Reply {
    parse(c"events", to_json(&list))
}

/// Any serializable value as plain JS data (a process document, a release group, …).
pub fn json<T: Serialize + ?Sized>(value: &T) -> Reply {
    parse(c"json", to_json(value))
}

/// A value napi converts itself (numbers, strings, `#[napi(object)]` structs).
pub fn napi_value<T: ToNapiValue + Send + 'static>(value: T) -> Reply {
    Box::new(move |env| unsafe { T::to_napi_value(env.raw(), value) })
}

/// JSON text of a value (for [`parse`]).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serializing these types cannot fail: every map key is a string and no value is a float
    // that JSON cannot hold (the core's values come from JSON).
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
}

// ---- the JS half (views.js), compiled once per JS thread ----

thread_local! {
    /// The env and the reference to the object `views.js` evaluates to.
    static LOADER: Cell<(sys::napi_env, sys::napi_ref)> = const { Cell::new((ptr::null_mut(), ptr::null_mut())) };
}

fn check(env: sys::napi_env, status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        return Ok(());
    }
    let mut pending = false;
    unsafe { sys::napi_is_exception_pending(env, &mut pending) };
    if pending {
        let mut thrown = ptr::null_mut();
        unsafe { sys::napi_get_and_clear_last_exception(env, &mut thrown) };
        return Err(napi::Error::from_reason(format!("{what}: {}", crate::callbacks::message_of(env, thrown))));
    }
    Err(napi::Error::from_reason(format!("{what} failed (napi status {status})")))
}

fn loader(env: sys::napi_env) -> napi::Result<sys::napi_value> {
    let (known, reference) = LOADER.with(Cell::get);
    let mut object = ptr::null_mut();
    if known == env && !reference.is_null() {
        check(env, unsafe { sys::napi_get_reference_value(env, reference, &mut object) }, "views.js")?;
        if !object.is_null() {
            return Ok(object);
        }
    }
    const SOURCE: &str = include_str!("views.js");
    let mut script = ptr::null_mut();
    check(
        env,
        unsafe { sys::napi_create_string_utf8(env, SOURCE.as_ptr().cast(), SOURCE.len() as isize, &mut script) },
        "views.js",
    )?;
    check(env, unsafe { sys::napi_run_script(env, script, &mut object) }, "views.js")?;
    let mut reference = ptr::null_mut();
    check(env, unsafe { sys::napi_create_reference(env, object, 1, &mut reference) }, "views.js")?;
    LOADER.with(|l| l.set((env, reference)));
    Ok(object)
}

/// Calls `views.js`'s `function` with JS values.
pub fn call(env: &Env, function: &std::ffi::CStr, args: &[sys::napi_value]) -> napi::Result<sys::napi_value> {
    let raw = env.raw();
    let object = loader(raw)?;
    let mut f = ptr::null_mut();
    check(raw, unsafe { sys::napi_get_named_property(raw, object, function.as_ptr(), &mut f) }, "views.js")?;
    let mut out = ptr::null_mut();
    check(raw, unsafe { sys::napi_call_function(raw, object, f, args.len(), args.as_ptr(), &mut out) }, "views.js")?;
    Ok(out)
}

/// Calls `views.js`'s `function` with `text`.
fn load(env: &Env, function: &std::ffi::CStr, text: &str) -> napi::Result<sys::napi_value> {
    let raw = env.raw();
    let object = loader(raw)?;
    let mut f = ptr::null_mut();
    check(raw, unsafe { sys::napi_get_named_property(raw, object, function.as_ptr(), &mut f) }, "views.js")?;
    let mut arg = ptr::null_mut();
    check(
        raw,
        unsafe { sys::napi_create_string_utf8(raw, text.as_ptr().cast(), text.len() as isize, &mut arg) },
        "a result",
    )?;
    let mut out = ptr::null_mut();
    check(raw, unsafe { sys::napi_call_function(raw, object, f, 1, &arg, &mut out) }, "reading a result")?;
    Ok(out)
}

// ---- the view, renamed ----

/// An optional time as milliseconds since the epoch (`null` when absent; `views.js` makes a `Date`).
pub(crate) fn millis<S: Serializer>(at: &Time, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_i64(at.timestamp_millis()),
        None => s.serialize_none(),
    }
}

/// A time as milliseconds since the epoch (`views.js` makes a `Date`).
pub(crate) fn millis_of<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(at.timestamp_millis())
}

fn by_id<S: Serializer, T: Serialize + Keyed>(list: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(list.iter().map(|item| (item.key(), item)))
}

trait Keyed {
    fn key(&self) -> &str;
}

/// [`ReleaseView`] in camelCase (`I`: the view's input-set reference, `{ name, version }`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseJs<'a, I> {
    id: &'a str,
    seq: u64,
    name: &'a str,
    kind: ReleaseKind,
    status: ReleaseStatus,
    scope: &'a str,
    process_id: &'a str,
    process_version: u32,
    inputs: &'a IndexMap<String, Value>,
    variables: &'a IndexMap<String, Value>,
    owners: &'a [String],
    release_managers: &'a [String],
    stakeholders: &'a [String],
    group: Option<&'a str>,
    occurrence: Option<&'a str>,
    input_set: Option<I>,
    labels: &'a std::collections::BTreeMap<String, String>,
    description: Option<&'a str>,
    version: Option<&'a str>,
    links: Vec<LinkJs<'a>>,
    parent: Option<&'a ParentLink>,
    schedule: Option<ScheduleJs>,
    attempt: u32,
    archived: bool,
    rolled_back: bool,
    rolling_back: bool,
    halted: bool,
    paused: bool,
    pre_executed: bool,
    at_risk: bool,
    created_by: &'a str,
    #[serde(serialize_with = "millis")]
    created_at: Time,
    scheduled_by: Option<&'a str>,
    started_by: Option<&'a str>,
    #[serde(serialize_with = "millis")]
    started_at: Time,
    #[serde(serialize_with = "millis")]
    ended_at: Time,
    #[serde(serialize_with = "millis")]
    updated_at: Time,
    waiting_on: Option<WaitingOnJs<'a>>,
    #[serde(serialize_with = "by_id")]
    phases: Vec<PhaseJs<'a>>,
}

/// A [`trainyard::release::Link`] (`title` null when there is none).
#[derive(Serialize)]
struct LinkJs<'a> {
    kind: trainyard::release::LinkKind,
    url: &'a str,
    title: Option<&'a str>,
}

/// [`trainyard::release::WaitingOn`] in camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WaitingOnJs<'a> {
    kind: trainyard::release::WaitKind,
    phase_id: Option<&'a str>,
    activity_id: Option<&'a str>,
}

impl<'a> From<trainyard::release::WaitingOn<'a>> for WaitingOnJs<'a> {
    fn from(w: trainyard::release::WaitingOn<'a>) -> Self {
        let trainyard::release::WaitingOn { kind, phase_id, activity_id } = w;
        WaitingOnJs { kind, phase_id, activity_id }
    }
}

/// [`Schedule`] in camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleJs {
    #[serde(serialize_with = "millis_of")]
    start: DateTime<Utc>,
    #[serde(serialize_with = "millis")]
    end: Time,
    auto_start: bool,
}

impl From<&Schedule> for ScheduleJs {
    fn from(s: &Schedule) -> Self {
        let Schedule { start, end, auto_start } = s;
        ScheduleJs { start: *start, end: *end, auto_start: *auto_start }
    }
}

impl<'a> ReleaseJs<'a, ()> {
    /// The renamed view.
    fn from(v: ReleaseView<'a>) -> ReleaseJs<'a, impl Serialize + 'a> {
        // Destructured completely: a field added to the view fails to compile here until it is
        // passed on.
        let ReleaseView {
            id,
            seq,
            name,
            kind,
            status,
            scope,
            process_id,
            process_version,
            inputs,
            variables,
            owners,
            release_managers,
            stakeholders,
            group,
            occurrence,
            input_set,
            labels,
            description,
            version,
            links,
            parent,
            schedule,
            attempt,
            archived,
            rolled_back,
            rolling_back,
            halted,
            paused,
            pre_executed,
            at_risk,
            created_by,
            created_at,
            scheduled_by,
            started_by,
            started_at,
            ended_at,
            updated_at,
            waiting_on,
            phases,
        } = v;
        ReleaseJs {
            id,
            seq,
            name,
            kind,
            status,
            scope,
            process_id,
            process_version,
            inputs,
            variables,
            owners,
            release_managers,
            stakeholders,
            group,
            occurrence,
            input_set,
            labels,
            description,
            version,
            links: links.iter().map(|l| LinkJs { kind: l.kind, url: &l.url, title: l.title.as_deref() }).collect(),
            parent,
            schedule: schedule.map(ScheduleJs::from),
            attempt,
            archived,
            rolled_back,
            rolling_back,
            halted,
            paused,
            pre_executed,
            at_risk,
            created_by,
            created_at,
            scheduled_by,
            started_by,
            started_at,
            ended_at,
            updated_at,
            waiting_on: waiting_on.map(WaitingOnJs::from),
            phases: phases.into_iter().map(PhaseJs::from).collect(),
        }
    }
}

/// [`PhaseView`] in camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhaseJs<'a> {
    id: &'a str,
    name: Option<&'a str>,
    status: PhaseStatus,
    rollback: bool,
    critical: bool,
    skip_reason: Option<SkipReason>,
    outputs: &'a IndexMap<String, Value>,
    variables: &'a IndexMap<String, Value>,
    #[serde(serialize_with = "millis")]
    started_at: Time,
    #[serde(serialize_with = "millis")]
    ended_at: Time,
    #[serde(serialize_with = "millis")]
    not_before: Time,
    attempts: Vec<PhaseAttemptJs<'a>>,
    locks: Vec<LockJs<'a>>,
    #[serde(serialize_with = "by_id")]
    activities: Vec<ActivityJs<'a>>,
}

/// [`trainyard::release::PhaseAttempt`] in camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhaseAttemptJs<'a> {
    attempt: u32,
    status: PhaseStatus,
    outputs: &'a IndexMap<String, Value>,
    #[serde(serialize_with = "millis")]
    started_at: Time,
    #[serde(serialize_with = "millis")]
    ended_at: Time,
}

impl Keyed for PhaseJs<'_> {
    fn key(&self) -> &str {
        self.id
    }
}

impl<'a> From<PhaseView<'a>> for PhaseJs<'a> {
    fn from(v: PhaseView<'a>) -> Self {
        let PhaseView {
            id,
            name,
            status,
            rollback,
            critical,
            skip_reason,
            outputs,
            variables,
            started_at,
            ended_at,
            not_before,
            attempts,
            locks,
            activities,
        } = v;
        PhaseJs {
            id,
            name,
            status,
            rollback,
            critical,
            skip_reason,
            outputs,
            variables,
            started_at,
            ended_at,
            not_before,
            attempts: attempts
                .iter()
                .map(|a| PhaseAttemptJs {
                    attempt: a.attempt,
                    status: a.status,
                    outputs: &a.outputs,
                    started_at: a.started_at,
                    ended_at: a.ended_at,
                })
                .collect(),
            locks: locks.into_iter().map(LockJs::from).collect(),
            activities: activities.into_iter().map(ActivityJs::from).collect(),
        }
    }
}

/// [`ActivityView`] in camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivityJs<'a> {
    id: &'a str,
    name: Option<&'a str>,
    kind: ActivityKind,
    status: ActivityStatus,
    attempt: u32,
    outputs: &'a IndexMap<String, Value>,
    approvals: Vec<ApprovalJs<'a>>,
    escalated: bool,
    error: Option<&'a str>,
    last_failure: Option<FailureJs<'a>>,
    skip_reason: Option<SkipReason>,
    job_id: Option<&'a str>,
    child_id: Option<&'a str>,
    job_inputs: &'a IndexMap<String, Value>,
    gate_targets: Vec<GateTargetJs<'a>>,
    locks: Vec<LockJs<'a>>,
    #[serde(serialize_with = "millis")]
    started_at: Time,
    #[serde(serialize_with = "millis")]
    ended_at: Time,
}

impl Keyed for ActivityJs<'_> {
    fn key(&self) -> &str {
        self.id
    }
}

impl<'a> From<ActivityView<'a>> for ActivityJs<'a> {
    fn from(v: ActivityView<'a>) -> Self {
        let ActivityView {
            id,
            name,
            kind,
            status,
            attempt,
            outputs,
            approvals,
            escalated,
            error,
            last_failure,
            skip_reason,
            job_id,
            child_id,
            job_inputs,
            gate_targets,
            locks,
            started_at,
            ended_at,
        } = v;
        ActivityJs {
            id,
            name,
            kind,
            status,
            attempt,
            outputs,
            approvals: approvals.into_iter().map(ApprovalJs::from).collect(),
            escalated,
            error,
            last_failure: last_failure.map(FailureJs::from),
            skip_reason,
            job_id,
            child_id,
            job_inputs,
            gate_targets: gate_targets.iter().map(GateTargetJs::from).collect(),
            locks: locks.into_iter().map(LockJs::from).collect(),
            started_at,
            ended_at,
        }
    }
}

/// A [`trainyard::release::gates::GateObservation`] with every field present (`null` when absent).
#[derive(Serialize)]
struct GateTargetJs<'a> {
    release: &'a str,
    phase: Option<&'a str>,
    activity: Option<&'a str>,
    status: &'a str,
}

impl<'a> From<&'a trainyard::release::gates::GateObservation> for GateTargetJs<'a> {
    fn from(o: &'a trainyard::release::gates::GateObservation) -> Self {
        GateTargetJs {
            release: &o.release,
            phase: o.phase.as_deref(),
            activity: o.activity.as_deref(),
            status: &o.status,
        }
    }
}

/// A [`trainyard::executor::FailureDetail`] in camelCase, with every field present (`null` when
/// absent).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailureJs<'a> {
    reason: trainyard::executor::FailureReason,
    exit_code: Option<i32>,
    signal: Option<i32>,
    signal_name: Option<&'a str>,
    stderr_tail: Option<&'a str>,
}

impl<'a> From<&'a trainyard::executor::FailureDetail> for FailureJs<'a> {
    fn from(d: &'a trainyard::executor::FailureDetail) -> Self {
        let trainyard::executor::FailureDetail { reason, exit_code, signal, stderr_tail } = d;
        FailureJs {
            reason: *reason,
            exit_code: *exit_code,
            signal: signal.as_ref().map(|s| s.number),
            signal_name: signal.as_ref().and_then(|s| s.name.as_deref()),
            stderr_tail: stderr_tail.as_deref(),
        }
    }
}

/// [`ApprovalView`] in camelCase.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApprovalJs<'a> {
    approver: &'a str,
    approved: bool,
    #[serde(serialize_with = "millis_of")]
    at: DateTime<Utc>,
    comment: Option<&'a str>,
}

impl<'a> From<ApprovalView<'a>> for ApprovalJs<'a> {
    fn from(v: ApprovalView<'a>) -> Self {
        let ApprovalView { approver, approved, at, comment } = v;
        ApprovalJs { approver, approved, at, comment }
    }
}

// ---- process summaries ----

/// A registered process version, as returned by `registerProcess`.
#[napi(object, use_nullable = true)]
pub struct ProcessInfo {
    /// Process id.
    pub id: String,
    /// Version (1, 2, …): a new one only when the definition changed.
    pub version: u32,
    /// Validation warnings (e.g. `unresolved_process`).
    pub warnings: Vec<Problem>,
}

/// A registered process id with its latest version, as listed by `listProcesses`.
#[napi(object, use_nullable = true)]
pub struct ProcessSummary {
    /// Process id.
    pub id: String,
    /// Latest version.
    pub version: u32,
}

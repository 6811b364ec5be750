//! The change feed from Node: `changes`, `feedHead`, `watch` (an async iterator), durable named
//! consumers (`consume`, `ack`, `consumerCursor`), durable subscribers, sinks (`addWebhookSink`,
//! `addNatsSink`, `runSinks`) and their dead letters. Conversion only: the feed, its filters,
//! cursors, retries and dead letters are the core's (`trainyard::feed`, `Engine::changes`, …).
//!
//! Entries are the core's `FeedEntry` with its fields in camelCase, serialized to one JSON string
//! (off the JS thread for the `…Async` calls) and parsed by `views.js`, which turns `at` into a
//! `Date`. Cursors are numbers (whole, 0 to 2^53−1).

use crate::callbacks::{self, JsCaller};
use crate::convert::{Cx, FromJs, Kind, Span, options};
use crate::engine::Engine;
use crate::errors;
use crate::tasks::{call, calls};
use crate::views::{self, Js, Reply};
use napi::bindgen_prelude::{AsyncTask, FromNapiValue, JavaScriptClassExt, Task, TypeName, Unknown, ValidateNapiValue};
use napi::{Env, sys};
use napi_derive::napi;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use trainyard::feed::runner::{ReplayReport, RetryPolicy, RunReport, SinkOptions};
use trainyard::feed::source::DeadLetter;
use trainyard::feed::{FeedEntry, FeedFilter, FeedPage};
use trainyard::validate::codes::INVALID_VALUE;

/// The largest cursor JS numbers hold exactly.
const MAX_CURSOR: f64 = 9_007_199_254_740_991.0;

/// How long one `next()` of a watch waits on a worker thread before it hands the thread back
/// (and asks again): the wait is the core's (woken by commits), bounded so a watch never holds a
/// libuv thread for long.
const WATCH_SLICE: Duration = Duration::from_millis(250);

/// How long `next()` waits in all before it asks again from JS.
const WATCH_BOUND: Duration = Duration::from_secs(1);

/// Default page size of `changes` and `consume`.
const DEFAULT_LIMIT: u32 = 100;

/// A feed cursor read from JS: a whole number from 0 to 2^53−1.
#[derive(Default, Clone, Copy)]
pub struct CursorArg(pub u64);

impl FromJs for CursorArg {
    fn expected() -> String {
        "a feed cursor: a whole number from 0 to 9007199254740991 (0: before the first entry)".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        if cx.kind(value) != Kind::Number {
            cx.wrong_type(value, path, &Self::expected());
            return CursorArg(0);
        }
        let mut n = 0f64;
        unsafe { sys::napi_get_value_double(cx.env(), value, &mut n) };
        if n.is_finite() && n.fract() == 0.0 && (0.0..=MAX_CURSOR).contains(&n) {
            return CursorArg(n as u64);
        }
        cx.problem(path, INVALID_VALUE, format!("expected {}, got {n}", Self::expected()));
        CursorArg(0)
    }
}

impl TypeName for CursorArg {
    fn type_name() -> &'static str {
        "number"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Number
    }
}

impl ValidateNapiValue for CursorArg {}

impl FromNapiValue for CursorArg {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut cx = Cx::from_raw(env);
        let cursor = cx.field::<CursorArg>(value, &mut String::new());
        cx.finish().map_err(|e| napi::Error::from_reason(e.to_string()))?;
        Ok(cursor)
    }
}

options! {
    #[doc = " Which feed entries a reader wants (the core's `FeedFilter`); empty or missing lists match"]
    #[doc = " everything."]
    pub struct FeedFilterOptions {
        #[doc = " Only these releases (ids)."]
        pub releases: Option<Vec<String>>,
        #[doc = " Only releases in these scopes (`account`, `org:<id>`)."]
        pub scopes: Option<Vec<String>>,
        #[doc = " Only releases of these release groups."]
        pub groups: Option<Vec<String>>,
        #[doc = " Only releases of these processes."]
        pub processes: Option<Vec<String>>,
        #[doc = " Only entries whose status after the commit is one of these."]
        #[napi(ts_type = "ReleaseStatus[]")]
        pub statuses: Option<Vec<String>>,
        #[doc = " Only entries with at least one event of these kinds (`activity_succeeded`, …)."]
        pub event_kinds: Option<Vec<String>>,
        #[doc = " Only entries that carry notifications (default `false`)."]
        pub with_notifications: Option<bool>,
    }
}

impl FeedFilterOptions {
    /// The core filter; an unknown status is a problem at `<path>.statuses[i]`.
    fn to_core(&self, cx: &mut Cx, path: &str) -> FeedFilter {
        let statuses = self.statuses.clone().unwrap_or_default();
        let statuses = statuses
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| crate::convert::parsed(cx, Some(s), &format!("{path}.statuses[{i}]")))
            .collect();
        FeedFilter {
            releases: self.releases.clone().unwrap_or_default(),
            scopes: self.scopes.clone().unwrap_or_default(),
            groups: self.groups.clone().unwrap_or_default(),
            processes: self.processes.clone().unwrap_or_default(),
            statuses,
            event_kinds: self.event_kinds.clone().unwrap_or_default(),
            with_notifications: self.with_notifications.unwrap_or(false),
        }
    }
}

/// The core filter of an optional `filter` option.
fn filter_of(cx: &mut Cx, filter: &Option<FeedFilterOptions>, path: &str) -> FeedFilter {
    filter.as_ref().map(|f| f.to_core(cx, path)).unwrap_or_default()
}

options! {
    #[doc = " Options of `changes`."]
    pub struct ChangesOptions {
        #[doc = " The entries after this cursor (default 0: from the first entry)."]
        #[napi(ts_type = "number")]
        pub after: Option<CursorArg>,
        #[doc = " Which entries (default: all)."]
        pub filter: Option<FeedFilterOptions>,
        #[doc = " At most this many entries, 1 to 1000 (default 100)."]
        pub limit: Option<u32>,
    }
}

options! {
    #[doc = " Options of `watch`."]
    pub struct WatchOptions {
        #[doc = " Follow from after this cursor (default: `feedHead()`, what commits from now on)."]
        #[napi(ts_type = "number")]
        pub after: Option<CursorArg>,
        #[doc = " Which entries (default: all)."]
        pub filter: Option<FeedFilterOptions>,
    }
}

options! {
    #[doc = " Options of `consume`."]
    pub struct ConsumeOptions {
        #[doc = " Which entries (default: all)."]
        pub filter: Option<FeedFilterOptions>,
        #[doc = " At most this many entries, 1 to 1000 (default 100)."]
        pub limit: Option<u32>,
    }
}

options! {
    #[doc = " Options of `subscribeDurable`."]
    pub struct DurableOptions {
        #[doc = " Which commits' notifications (default: all)."]
        pub filter: Option<FeedFilterOptions>,
    }
}

options! {
    #[doc = " How a sink retries a failed delivery: waits of `min(cap, base × 2^(n−1))`."]
    pub struct SinkRetryOptions {
        #[doc = " The wait after the first failure (default `1s`; `\"500ms\"` is not text: give milliseconds)."]
        #[napi(ts_type = "string | number")]
        pub base: Option<Span>,
        #[doc = " The longest wait (default `5m`)."]
        #[napi(ts_type = "string | number")]
        pub cap: Option<Span>,
        #[doc = " Attempts per entry before it is dead-lettered (default 10; 1: no retry)."]
        pub max_attempts: Option<u32>,
    }
}

options! {
    #[doc = " Options of `addWebhookSink`."]
    pub struct WebhookSinkOptions {
        #[doc = " The sink's name: its consumer name and dead-letter list."]
        pub name: String,
        #[doc = " `http://host[:port]/path`."]
        pub url: String,
        #[doc = " The HMAC-SHA256 key of `X-Trainyard-Signature`."]
        pub secret: String,
        #[doc = " How long connecting may take (default `5s`)."]
        #[napi(ts_type = "string | number")]
        pub connect_timeout: Option<Span>,
        #[doc = " How long the whole request may take (default `10s`)."]
        #[napi(ts_type = "string | number")]
        pub timeout: Option<Span>,
        #[doc = " Which entries (default: all)."]
        pub filter: Option<FeedFilterOptions>,
        #[doc = " How failed deliveries are retried."]
        pub retry: Option<SinkRetryOptions>,
        #[doc = " The most entries one run delivers (default 100)."]
        pub batch: Option<u32>,
    }
}

options! {
    #[doc = " Options of `addNatsSink`."]
    pub struct NatsSinkOptions {
        #[doc = " The sink's name: its consumer name, dead-letter list and `Nats-Msg-Id` prefix."]
        pub name: String,
        #[doc = " `nats://host[:port]` (several comma-separated)."]
        pub url: String,
        #[doc = " The subjects' first tokens (default `trainyard`)."]
        pub subject_prefix: Option<String>,
        #[doc = " A stream to create (capturing `<prefix>.>`) if missing (default: none)."]
        pub create_stream: Option<String>,
        #[doc = " How long connecting may take (default `5s`)."]
        #[napi(ts_type = "string | number")]
        pub connect_timeout: Option<Span>,
        #[doc = " How long to wait for the publish ack (default `5s`)."]
        #[napi(ts_type = "string | number")]
        pub ack_timeout: Option<Span>,
        #[doc = " Which entries (default: all)."]
        pub filter: Option<FeedFilterOptions>,
        #[doc = " How failed deliveries are retried."]
        pub retry: Option<SinkRetryOptions>,
        #[doc = " The most entries one run delivers (default 100)."]
        pub batch: Option<u32>,
    }
}

/// A duration option as a std duration (a problem when negative).
fn std_span(cx: &mut Cx, span: &Option<Span>, path: &str) -> Option<Duration> {
    let span = (*span)?;
    span.non_negative(cx, path).to_std().ok()
}

/// The core's sink options from the JS ones (defaults for what is missing).
fn sink_options(
    cx: &mut Cx,
    filter: &Option<FeedFilterOptions>,
    retry: &Option<SinkRetryOptions>,
    batch: Option<u32>,
) -> SinkOptions {
    let defaults = SinkOptions::default();
    let mut policy = RetryPolicy::default();
    if let Some(r) = retry {
        if let Some(base) = std_span(cx, &r.base, "options.retry.base") {
            policy.base = base;
        }
        if let Some(cap) = std_span(cx, &r.cap, "options.retry.cap") {
            policy.cap = cap;
        }
        if let Some(n) = r.max_attempts {
            policy.max_attempts = n;
        }
    }
    SinkOptions {
        filter: filter_of(cx, filter, "options.filter"),
        retry: policy,
        batch: batch.map_or(defaults.batch, |b| b as usize),
    }
}

// ---- what JS gets ----

/// A notification inside a feed entry, in camelCase (`at` in milliseconds, made a `Date` by
/// `views.js`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationJs<'a> {
    kind: &'a str,
    release_id: &'a str,
    release_name: &'a str,
    phase: Option<&'a str>,
    activity: Option<&'a str>,
    status: Option<&'a str>,
    recipients: &'a [String],
    at: i64,
    seq: u64,
    message: &'a str,
}

/// The core's `FeedEntry` in camelCase; every field, absent values `null`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FeedEntryJs<'a> {
    cursor: u64,
    release: &'a str,
    seq_from: u64,
    seq_to: u64,
    kinds: &'a [String],
    status_before: Option<&'a str>,
    status_after: &'a str,
    deleted: bool,
    at: i64,
    actor: &'a str,
    scope: &'a str,
    process_id: &'a str,
    release_kind: &'a str,
    group: Option<&'a str>,
    notifications: Vec<NotificationJs<'a>>,
    origin: &'a str,
}

impl<'a> From<&'a FeedEntry> for FeedEntryJs<'a> {
    fn from(e: &'a FeedEntry) -> Self {
        FeedEntryJs {
            cursor: e.cursor,
            release: &e.release,
            seq_from: e.seq_from,
            seq_to: e.seq_to,
            kinds: &e.kinds,
            status_before: e.status_before.map(|s| s.as_str()),
            status_after: e.status_after.as_str(),
            deleted: e.deleted,
            at: e.at.timestamp_millis(),
            actor: &e.actor,
            scope: &e.scope,
            process_id: &e.process_id,
            release_kind: e.release_kind.as_str(),
            group: e.group.as_deref(),
            notifications: e
                .notifications
                .iter()
                .map(|n| NotificationJs {
                    kind: n.kind.as_str(),
                    release_id: &n.release_id,
                    release_name: &n.release_name,
                    phase: n.phase.as_deref(),
                    activity: n.activity.as_deref(),
                    status: n.status.as_deref(),
                    recipients: &n.recipients,
                    at: n.at.timestamp_millis(),
                    seq: n.seq,
                    message: &n.message,
                })
                .collect(),
            origin: &e.origin,
        }
    }
}

#[derive(Serialize)]
struct PageJs<'a> {
    entries: Vec<FeedEntryJs<'a>>,
    next: u64,
}

fn page(p: &FeedPage) -> Reply {
    let js = PageJs { entries: p.entries.iter().map(FeedEntryJs::from).collect(), next: p.next };
    views::parse(c"feedPage", serde_json::to_string(&js).unwrap_or_default())
}

fn entry(e: &FeedEntry) -> Reply {
    views::parse(c"feedEntry", serde_json::to_string(&FeedEntryJs::from(e)).unwrap_or_default())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeadLetterJs<'a> {
    entry: FeedEntryJs<'a>,
    sink: &'a str,
    error: &'a str,
    permanent: bool,
    attempts: u32,
    first_failed_at: i64,
    last_failed_at: i64,
}

fn dead_letters(list: &[DeadLetter]) -> Reply {
    let js: Vec<_> = list
        .iter()
        .map(|d| DeadLetterJs {
            entry: FeedEntryJs::from(&d.entry),
            sink: &d.sink,
            error: &d.error,
            permanent: d.permanent,
            attempts: d.attempts,
            first_failed_at: d.first_failed_at.timestamp_millis(),
            last_failed_at: d.last_failed_at.timestamp_millis(),
        })
        .collect();
    views::parse(c"deadLetters", serde_json::to_string(&js).unwrap_or_default())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunReportJs<'a> {
    delivered: usize,
    dead_lettered: usize,
    cursor: u64,
    retry_at: Option<i64>,
    last_error: Option<&'a str>,
    caught_up: bool,
}

fn run_reports(reports: &[RunReport]) -> Reply {
    let js: Vec<_> = reports
        .iter()
        .map(|r| RunReportJs {
            delivered: r.delivered,
            dead_lettered: r.dead_lettered,
            cursor: r.cursor,
            retry_at: r.retry_at.map(|t| t.timestamp_millis()),
            last_error: r.last_error.as_deref(),
            caught_up: r.caught_up,
        })
        .collect();
    views::parse(c"runReports", serde_json::to_string(&js).unwrap_or_default())
}

/// What `replayDeadLetters` did.
#[napi(object, js_name = "ReplayReport")]
pub struct ReplayReportJs {
    /// Dead letters delivered (and removed from the list).
    pub delivered: u32,
    /// Dead letters that failed again (kept, with the new error).
    pub failed: u32,
    /// Dead letters left on the list.
    pub remaining: u32,
}

fn replay_report(r: ReplayReport) -> Reply {
    views::napi_value(ReplayReportJs {
        delivered: r.delivered as u32,
        failed: r.failed as u32,
        remaining: r.remaining as u32,
    })
}

fn limit_of(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT) as usize
}

calls! {
    #[doc = " The feed entries after `after` that pass `filter`, at most `limit`, and the cursor to ask"]
    #[doc = " after next time (`next`, past every entry looked at, filtered out or not)."]
    #[ts("options?: ChangesOptions", "FeedPage", "Promise<FeedPage>")]
    fn changes / changes_async(&self, cx, options) {
        let o: Option<ChangesOptions> = cx.arg(options, "options");
        let o = o.unwrap_or_default();
        let filter = filter_of(cx, &o.filter, "options.filter");
        cx.finish()?;
        let after = o.after.unwrap_or_default().0;
        let limit = limit_of(o.limit);
        call(move |e| Ok(page(&e.changes(after, &filter, limit)?)))
    }

    #[doc = " The cursor of the last entry: watching after it gives what commits from now on."]
    #[ts("", "number", "Promise<number>")]
    fn feed_head / feed_head_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(e.feed_head()? as f64)))
    }

    #[doc = " The entries after the named consumer's stored cursor (at least once: `ack` what was"]
    #[doc = " handled; what is not acknowledged comes again, after a restart too)."]
    #[ts("consumer: string, options?: ConsumeOptions", "FeedPage", "Promise<FeedPage>")]
    fn consume / consume_async(&self, cx, consumer, options) {
        let consumer: String = cx.arg(consumer, "consumer");
        let o: Option<ConsumeOptions> = cx.arg(options, "options");
        let o = o.unwrap_or_default();
        let filter = filter_of(cx, &o.filter, "options.filter");
        cx.finish()?;
        let limit = limit_of(o.limit);
        call(move |e| Ok(page(&e.consume(&consumer, &filter, limit)?)))
    }

    #[doc = " Records that the named consumer handled everything up to `cursor` (a cursor behind the"]
    #[doc = " stored one is ignored)."]
    #[ts("consumer: string, cursor: number", "void", "Promise<void>")]
    fn ack / ack_async(&self, cx, consumer, cursor) {
        let consumer: String = cx.arg(consumer, "consumer");
        let cursor: CursorArg = cx.arg(cursor, "cursor");
        cx.finish()?;
        call(move |e| {
            e.ack(&consumer, cursor.0)?;
            Ok(views::napi_value(()))
        })
    }

    #[doc = " The named consumer's stored cursor (0 for a new consumer)."]
    #[ts("consumer: string", "number", "Promise<number>")]
    fn consumer_cursor / consumer_cursor_async(&self, cx, consumer) {
        let consumer: String = cx.arg(consumer, "consumer");
        cx.finish()?;
        call(move |e| Ok(views::napi_value(e.consumer_cursor(&consumer)? as f64)))
    }

    #[doc = " Delivers what is due to every sink and durable subscriber (`tick` does too); one report"]
    #[doc = " per sink."]
    #[ts("", "SinkRunReport[]", "Promise<SinkRunReport[]>")]
    fn run_sinks / run_sinks_async(&self, cx) {
        let _ = cx;
        call(move |e| {
            Ok(run_reports(&e.run_sinks()?))
        })
    }

    #[doc = " A sink's dead letters, oldest entry first."]
    #[ts("sink: string", "DeadLetter[]", "Promise<DeadLetter[]>")]
    fn dead_letters / dead_letters_async(&self, cx, sink) {
        let sink: String = cx.arg(sink, "sink");
        cx.finish()?;
        call(move |e| Ok(dead_letters(&e.dead_letters(&sink)?)))
    }

    #[doc = " Delivers a sink's dead letters again (each one delivered leaves the list)."]
    #[ts("sink: string", "ReplayReport", "Promise<ReplayReport>")]
    fn replay_dead_letters / replay_dead_letters_async(&self, cx, sink) {
        let sink: String = cx.arg(sink, "sink");
        cx.finish()?;
        call(move |e| Ok(replay_report(e.replay_dead_letters(&sink)?)))
    }
}

#[napi]
impl Engine {
    /// Follows the feed: an async iterator (`for await (const entry of engine.watch())`) of the
    /// entries after `after` (default: from now on) that pass `filter`, woken by commits of any
    /// process on the store. Each `next()` waits on a worker thread; `return()` (leaving the loop)
    /// stops it.
    #[napi(catch_unwind, ts_args_type = "options?: WatchOptions", ts_return_type = "FeedWatch")]
    pub fn watch(&self, env: Env, options: Unknown) -> napi::Result<Js> {
        let mut cx = Cx::new(&env);
        let o: Option<WatchOptions> = cx.arg(options, "options");
        let o = o.unwrap_or_default();
        let filter = filter_of(&mut cx, &o.filter, "options.filter");
        cx.done()?;
        let engine = errors::map(&env, self.core())?;
        let after = match o.after {
            Some(c) => c.0,
            None => errors::map(&env, engine.feed_head())?,
        };
        let native = NativeWatch {
            engine: Arc::downgrade(&engine),
            watcher: Arc::new(Mutex::new(trainyard::Watcher::new(after, filter))),
            stopped: Arc::new(AtomicBool::new(false)),
        };
        let instance = native.into_instance(&env)?;
        let raw = unsafe { napi::bindgen_prelude::ToNapiValue::to_napi_value(env.raw(), instance)? };
        views::call(&env, c"watch", &[raw]).map(Js)
    }

    /// Adds a webhook sink: from the next `tick()` (or `runSinks()`) on, the entries that pass
    /// `filter` are POSTed as JSON, signed, retried with backoff, then dead-lettered.
    #[napi(catch_unwind, ts_args_type = "options: WebhookSinkOptions")]
    pub fn add_webhook_sink(&self, env: Env, options: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let o: WebhookSinkOptions = cx.arg(options, "options");
        let mut config = trainyard::feed::webhook::WebhookConfig::new(o.name.clone(), o.url.clone(), o.secret.clone());
        if let Some(d) = std_span(&mut cx, &o.connect_timeout, "options.connectTimeout") {
            config.connect_timeout = d;
        }
        if let Some(d) = std_span(&mut cx, &o.timeout, "options.timeout") {
            config.timeout = d;
        }
        let sink_options = sink_options(&mut cx, &o.filter, &o.retry, o.batch);
        cx.done()?;
        let engine = errors::map(&env, self.core())?;
        let sink = errors::map(&env, trainyard::feed::webhook::WebhookSink::new(config))?;
        errors::map(&env, engine.add_sink(sink, sink_options))
    }

    /// Adds a NATS JetStream sink: entries are published to
    /// `<prefix>.<scope>.<releaseKind>.<statusAfter>`, retried, then dead-lettered.
    #[napi(catch_unwind, ts_args_type = "options: NatsSinkOptions")]
    pub fn add_nats_sink(&self, env: Env, options: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let o: NatsSinkOptions = cx.arg(options, "options");
        let mut config = trainyard::feed::nats::NatsConfig::new(o.name.clone(), o.url.clone());
        if let Some(p) = o.subject_prefix.clone() {
            config.subject_prefix = p;
        }
        config.create_stream = o.create_stream.clone();
        if let Some(d) = std_span(&mut cx, &o.connect_timeout, "options.connectTimeout") {
            config.connect_timeout = d;
        }
        if let Some(d) = std_span(&mut cx, &o.ack_timeout, "options.ackTimeout") {
            config.ack_timeout = d;
        }
        let sink_options = sink_options(&mut cx, &o.filter, &o.retry, o.batch);
        cx.done()?;
        let engine = errors::map(&env, self.core())?;
        let sink = errors::map(&env, trainyard::feed::nats::NatsSink::new(config))?;
        errors::map(&env, engine.add_sink(sink, sink_options))
    }

    /// Adds a durable subscriber: `fn(notification)` gets the notifications of every commit (of
    /// any process on the store) that passes `filter`, under the consumer name `consumer`, at
    /// least once, resuming after a restart; delivered by `tick()`/`runSinks()` on the JS thread.
    /// A throw is retried with backoff like a sink's failed delivery (the return value is not
    /// awaited).
    #[napi(
        catch_unwind,
        ts_args_type = "consumer: string, subscriber: (notification: Notification) => unknown, options?: DurableOptions"
    )]
    pub fn subscribe_durable(
        &mut self,
        env: Env,
        consumer: Unknown,
        subscriber: Unknown,
        options: Unknown,
    ) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let consumer: String = cx.arg(consumer, "consumer");
        let function = crate::engine::function_arg(&mut cx, subscriber, "subscriber");
        let o: Option<DurableOptions> = cx.arg(options, "options");
        let filter = filter_of(&mut cx, &o.and_then(|o| o.filter), "options.filter");
        cx.done()?;
        let engine = errors::map(&env, self.core())?;
        let key = callbacks::keep(function.ok_or_else(|| napi::Error::from_reason("unreachable"))?.create_ref()?);
        self.keep_subscriber(key);
        let adapter = DurableJsSubscriber { key, caller: self.caller() };
        errors::map(&env, engine.subscribe_durable(&consumer, filter, adapter))
    }
}

/// A JS function as a durable subscriber: called on the JS thread (a worker thread waits for
/// it), so a throw is the delivery's error and the notification comes again.
struct DurableJsSubscriber {
    key: u64,
    caller: JsCaller,
}

impl trainyard::notify::Subscriber for DurableJsSubscriber {
    fn notify(&self, notification: &trainyard::notify::Notification) -> Result<(), String> {
        let n = callbacks::Notification::from(notification);
        let key = self.key;
        self.caller
            .call(move |env| callbacks::call_stored(env, key, n).map(|_| ()))
            .unwrap_or_else(|| Err("the JS environment is shutting down".into()))
    }

    fn name(&self) -> &str {
        "js durable subscriber"
    }
}

/// The native half of a watch; `views.js` wraps it in the async iterator JS sees.
#[napi]
pub struct NativeWatch {
    engine: Weak<trainyard::Engine>,
    watcher: Arc<Mutex<trainyard::Watcher>>,
    stopped: Arc<AtomicBool>,
}

#[napi]
impl NativeWatch {
    /// The next entry, waiting on a worker thread up to about a second; `null` when none came
    /// (ask again) or the watch was closed.
    #[napi(ts_return_type = "Promise<FeedEntry | null>")]
    pub fn next_async(&self) -> AsyncTask<WatchTask> {
        AsyncTask::new(WatchTask {
            engine: self.engine.clone(),
            watcher: self.watcher.clone(),
            stopped: self.stopped.clone(),
        })
    }

    /// Stops the watch: a waiting `next` returns `null` within a quarter second.
    #[napi]
    pub fn close(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// The cursor past the last entry handed out or skipped by the filter.
    #[napi(getter)]
    pub fn cursor(&self) -> f64 {
        self.watcher.lock().map(|w| w.cursor()).unwrap_or(0) as f64
    }
}

/// One `next()` of a watch, on a libuv worker thread.
pub struct WatchTask {
    engine: Weak<trainyard::Engine>,
    watcher: Arc<Mutex<trainyard::Watcher>>,
    stopped: Arc<AtomicBool>,
}

impl Task for WatchTask {
    type Output = trainyard::Result<Option<Reply>>;
    type JsValue = Js;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let run = std::panic::AssertUnwindSafe(|| {
            let deadline = Instant::now() + WATCH_BOUND;
            let mut watcher = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
            while !self.stopped.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Some(engine) = self.engine.upgrade() else {
                    return Err(trainyard::Error::Storage { message: "the engine was closed".into() });
                };
                if let Some(e) = watcher.next(&engine, WATCH_SLICE)? {
                    return Ok(Some(entry(&e)));
                }
            }
            Ok(None)
        });
        std::panic::catch_unwind(run)
            .map_err(|_| napi::Error::from_reason("trainyard panicked in a worker thread (a bug: please report it)"))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Js> {
        match errors::map(&env, output)? {
            Some(reply) => reply(&env).map(Js),
            None => {
                let mut null = std::ptr::null_mut();
                unsafe { sys::napi_get_null(env.raw(), &mut null) };
                Ok(Js(null))
            }
        }
    }
}

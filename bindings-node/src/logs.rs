//! Logs: the core's `tracing` events, delivered to a JS function or written to stderr.
//!
//! A subscriber is installed when the addon loads. Without a logger function, events pass the
//! `RUST_LOG` filter (`tracing-subscriber`'s `EnvFilter` syntax: `info`, `trainyard=debug`, …;
//! unset means errors only) and are written to stderr, one line each. `setLogger(fn, { level })`
//! sends them to `fn(record)` instead, filtered by `level` (the same syntax; default `RUST_LOG`,
//! else `info`): a record is `{ level, target, message, fields, time }`, where `fields` holds the
//! event's fields and those of the spans it happened in (e.g. the command span's `release`,
//! `command` and `actor`). Records are queued to the JS thread of the `setLogger` call and
//! delivered in order, asynchronously (never inside the engine call that logged them); a throw
//! from the function is ignored. `setLogger(null)` goes back to stderr. The core redacts secrets
//! before it logs: no value handed to an executor appears in a record.

use crate::callbacks::{self, Dispatcher};
use crate::convert::{Cx, Kind};
use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{FromNapiValue, Function, Unknown};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, JsValue};
use napi_derive::napi;
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, OnceLock, RwLock};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// One log record, as handed to the `setLogger` function.
#[napi(object, use_nullable = true)]
pub struct LogRecord {
    /// `error` | `warn` | `info` | `debug` | `trace`.
    #[napi(ts_type = "'error' | 'warn' | 'info' | 'debug' | 'trace'")]
    pub level: String,
    /// Where it comes from: the Rust module path, e.g. `trainyard::engine::apply`.
    pub target: String,
    /// The message.
    pub message: String,
    /// The event's fields and those of its spans (outermost first; the event's own win).
    #[napi(ts_type = "Record<string, string | number | boolean>")]
    pub fields: Map<String, Value>,
    /// When it was logged.
    pub time: DateTime<Utc>,
}

/// Where records go.
enum Sink {
    Stderr,
    Js { dispatcher: Arc<Dispatcher>, key: u64 },
}

static SINK: RwLock<Sink> = RwLock::new(Sink::Stderr);
static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

fn rust_log() -> Option<String> {
    std::env::var("RUST_LOG").ok().filter(|s| !s.trim().is_empty())
}

/// Installs the subscriber (once per process; a host that installed its own keeps it).
pub fn install() {
    let filter = EnvFilter::builder().parse_lossy(rust_log().unwrap_or_else(|| "error".into()));
    let (filter, handle) = reload::Layer::new(filter);
    let subscriber = Registry::default().with(filter).with(Bridge);
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        let _ = FILTER.set(handle);
    }
}

/// The layer that turns events into records for the sink.
struct Bridge;

/// The fields of a span, kept in its extensions.
struct SpanFields(Map<String, Value>);

#[derive(Default)]
struct Collect {
    message: String,
    fields: Map<String, Value>,
}

impl Visit for Collect {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, serde_json::Number::from_f64(value).map(Value::Number).unwrap_or(Value::Null));
    }
}

impl Collect {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
        } else {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Bridge {
    fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, id: &tracing::span::Id, ctx: Context<'_, S>) {
        let mut collect = Collect::default();
        attrs.record(&mut collect);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(collect.fields));
        }
    }

    fn on_record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut collect = Collect::default();
        values.record(&mut collect);
        let mut ext = span.extensions_mut();
        if let Some(fields) = ext.get_mut::<SpanFields>() {
            fields.0.extend(collect.fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    fields.extend(f.0.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut collect = Collect { message: String::new(), fields };
        event.record(&mut collect);
        let meta = event.metadata();
        let record = LogRecord {
            level: meta.level().as_str().to_ascii_lowercase(),
            target: meta.target().to_string(),
            message: collect.message,
            fields: collect.fields,
            time: Utc::now(),
        };
        deliver(record);
    }
}

fn deliver(record: LogRecord) {
    let sink = SINK.read().unwrap_or_else(|e| e.into_inner());
    match &*sink {
        Sink::Stderr => {
            let mut line = format!(
                "{} {:>5} {}: {}",
                record.time.to_rfc3339(),
                record.level.to_uppercase(),
                record.target,
                record.message
            );
            for (k, v) in &record.fields {
                let _ = write!(line, " {k}={v}");
            }
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        Sink::Js { dispatcher, key } => {
            let key = *key;
            let _ = dispatcher.call(
                Box::new(move |env: &Env| {
                    // A throw from the logger is ignored: logging never fails the engine.
                    let _ = callbacks::call_stored(env, key, record);
                }),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }
    }
}

/// Sends the engine's log records to `logger(record)` (on this JS thread, asynchronously and in
/// order), filtered by `options.level` (`EnvFilter` directives; default `RUST_LOG`, else
/// `info`); `setLogger(null)` writes them to stderr again, filtered by `RUST_LOG`. Without a
/// logger nothing but errors is printed unless `RUST_LOG` says so.
#[napi(catch_unwind, ts_args_type = "logger: ((record: LogRecord) => unknown) | null, options?: LoggerOptions")]
pub fn set_logger(env: Env, logger: Unknown, options: Unknown) -> napi::Result<()> {
    let mut cx = Cx::new(&env);
    let level: Option<LoggerOptions> = cx.arg(options, "options");
    let level = level.and_then(|l| l.level);
    let function = match cx.kind(logger.raw()) {
        Kind::Null | Kind::Undefined => None,
        Kind::Function => {
            // SAFETY: checked above that the value is a function of this call's env.
            Some(unsafe { Function::<Unknown<'static>, Unknown<'static>>::from_napi_value(env.raw(), logger.raw())? })
        }
        _ => {
            cx.wrong_type(logger.raw(), "logger", "a function (record) => unknown, or null");
            None
        }
    };
    let directives = match &function {
        Some(_) => level.or_else(rust_log).unwrap_or_else(|| "info".into()),
        None => rust_log().unwrap_or_else(|| "error".into()),
    };
    let filter = EnvFilter::builder().parse(&directives).map_err(|e| e.to_string());
    if let Err(why) = &filter {
        cx.problem(
            "options.level",
            trainyard::validate::codes::INVALID_VALUE,
            format!("{why}; use EnvFilter directives such as `info` or `trainyard=debug`"),
        );
    }
    cx.done()?;
    let new = match function {
        Some(f) => {
            Sink::Js { dispatcher: Arc::new(callbacks::dispatcher(&env)?), key: callbacks::keep(f.create_ref()?) }
        }
        None => Sink::Stderr,
    };
    let old = std::mem::replace(&mut *SINK.write().unwrap_or_else(|e| e.into_inner()), new);
    if let Sink::Js { key, .. } = old {
        callbacks::forget(key);
    }
    if let (Some(handle), Ok(filter)) = (FILTER.get(), filter) {
        let _ = handle.reload(filter);
    }
    Ok(())
}

crate::convert::options! {
    #[doc = " Options of `setLogger`."]
    pub struct LoggerOptions {
        #[doc = " Which records reach the function: `tracing-subscriber` `EnvFilter` directives (`info`,"]
        #[doc = " `trainyard=debug,warn`). Default: `RUST_LOG` when set, else `info`."]
        pub level: Option<String>,
    }
}

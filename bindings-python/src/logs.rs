//! The core's `tracing` events as records of Python's `logging`.
//!
//! [`install`] (called when `trainyard._native` is imported) sets a `tracing` subscriber: the
//! registry of `tracing-subscriber`, an `EnvFilter` read from `RUST_LOG` (unset or empty: every
//! event of the `trainyard` crate, `trainyard=trace`), and [`PythonLogs`], a layer that turns each
//! event into a `logging.LogRecord`:
//!
//! - logger: the event's target with `::` as `.` (`trainyard::engine::apply` →
//!   `trainyard.engine.apply`), so `logging.getLogger("trainyard")` configures them all;
//! - level: `ERROR` 40, `WARN` 30, `INFO` 20, `DEBUG` 10, `TRACE` 5; the record is made only when
//!   the logger is enabled for it (`Logger.isEnabledFor`, read at that moment, so
//!   `logger.setLevel` and `logging.disable` apply at once);
//! - message: the event's message, then its fields and those of the spans it happened in as
//!   `key=value` (`release created release=… process=deploy`); the same fields, as strings, in
//!   the record's `fields` dict; `pathname`/`lineno` the Rust source, `created` when it happened.
//!
//! The GIL is never taken while the core runs. An event on a thread that is inside a core call
//! ([`crate::run`]) is kept in that thread's buffer and handed to `logging` when the call returns,
//! or just before the core calls a Python executor, subscriber or secret resolver on that thread
//! ([`flush`]): so a handler runs where the engine holds no lock and may itself call the engine.
//! Events on other threads are handed over at once. At most [`MAX_PENDING`] records wait per
//! thread (past that they are counted, and one `WARNING` says how many were dropped). Records
//! produced while a handler runs (a handler that calls the engine) are dropped, so a handler
//! cannot feed itself.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, Registry};

/// The filter used when `RUST_LOG` is unset or empty: every event of the core, so that Python's
/// logging levels alone decide.
pub const DEFAULT_FILTER: &str = "trainyard=trace";
/// Most records one thread keeps while it is inside a core call.
pub const MAX_PENDING: usize = 10_000;

/// One event, ready to become a `LogRecord`.
struct Record {
    level: Level,
    target: &'static str,
    file: Option<&'static str>,
    line: Option<u32>,
    message: String,
    fields: Vec<(&'static str, String)>,
    at: SystemTime,
}

thread_local! {
    /// How many core calls this thread is inside (nested when an executor calls the engine).
    static IN_CORE: Cell<u32> = const { Cell::new(0) };
    /// Records of this thread waiting for the core call to return.
    static PENDING: RefCell<Vec<Record>> = const { RefCell::new(Vec::new()) };
    /// Records dropped because [`PENDING`] was full.
    static DROPPED: Cell<u64> = const { Cell::new(0) };
    /// A `logging` handler is running on this thread.
    static FORWARDING: Cell<bool> = const { Cell::new(false) };
}

/// Installs the subscriber (once per process; a second call, or another global subscriber set
/// before, leaves things as they are).
pub fn install(py: Python<'_>) {
    let spec = std::env::var("RUST_LOG").ok().filter(|s| !s.trim().is_empty());
    let (filter, refused) = match &spec {
        Some(s) => match EnvFilter::try_new(s) {
            Ok(f) => (f, None),
            Err(e) => (
                EnvFilter::new(DEFAULT_FILTER),
                Some(format!("RUST_LOG={s:?} is not a valid filter ({e}); using {DEFAULT_FILTER}")),
            ),
        },
        None => (EnvFilter::new(DEFAULT_FILTER), None),
    };
    let subscriber = Registry::default().with(filter).with(PythonLogs);
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        if let Some(message) = refused {
            let _ = warn(py, &message);
        }
    }
}

/// Runs `f` (a core call, without the GIL) with this thread's events kept for [`flush`].
pub fn in_core<T>(f: impl FnOnce() -> T) -> T {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            let _ = IN_CORE.try_with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    let _ = IN_CORE.try_with(|d| d.set(d.get() + 1));
    let _leave = Leave;
    f()
}

/// Hands the records this thread kept to `logging` (under the GIL, outside any core lock).
pub fn flush(py: Python<'_>) {
    let pending = PENDING.try_with(|p| std::mem::take(&mut *p.borrow_mut())).unwrap_or_default();
    let dropped = DROPPED.try_with(|d| d.replace(0)).unwrap_or(0);
    if FORWARDING.try_with(Cell::get).unwrap_or(true) {
        return;
    }
    if pending.is_empty() && dropped == 0 {
        return;
    }
    let _ = FORWARDING.try_with(|f| f.set(true));
    for record in pending {
        let _ = emit(py, &record);
    }
    if dropped > 0 {
        let _ = warn(py, &format!("{dropped} log record(s) of one engine call were dropped (more than {MAX_PENDING})"));
    }
    let _ = FORWARDING.try_with(|f| f.set(false));
}

fn deliver(record: Record) {
    let inside = IN_CORE.try_with(|d| d.get() > 0).unwrap_or(false);
    if inside {
        let kept = PENDING.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < MAX_PENDING {
                p.push(record);
                true
            } else {
                false
            }
        });
        if kept == Ok(false) {
            let _ = DROPPED.try_with(|d| d.set(d.get() + 1));
        }
        return;
    }
    if FORWARDING.try_with(Cell::get).unwrap_or(true) {
        return;
    }
    let _ = Python::try_attach(|py| {
        let _ = FORWARDING.try_with(|f| f.set(true));
        let _ = emit(py, &record);
        let _ = FORWARDING.try_with(|f| f.set(false));
    });
}

/// The Python level of a `tracing` level.
fn level_number(level: &Level) -> u32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// One record into `logging.getLogger(<target>)`, if that logger is enabled for its level.
fn emit(py: Python<'_>, r: &Record) -> PyResult<()> {
    let name = r.target.replace("::", ".");
    let logger = py.import("logging")?.call_method1("getLogger", (name.as_str(),))?;
    let level = level_number(&r.level);
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    let mut message = r.message.clone();
    let fields = PyDict::new(py);
    for (k, v) in &r.fields {
        let _ = write!(message, " {k}={v}");
        fields.set_item(*k, v)?;
    }
    let extra = PyDict::new(py);
    extra.set_item("fields", fields)?;
    let args =
        (name.as_str(), level, r.file.unwrap_or("<rust>"), r.line.unwrap_or(0), message, PyTuple::empty(py), py.None());
    let kwargs = PyDict::new(py);
    kwargs.set_item("extra", extra)?;
    let record = logger.call_method("makeRecord", args, Some(&kwargs))?;
    if let Ok(since) = r.at.duration_since(UNIX_EPOCH) {
        let secs = since.as_secs_f64();
        record.setattr("created", secs)?;
        record.setattr("msecs", f64::from(since.subsec_millis()))?;
    }
    logger.call_method1("handle", (record,))?;
    Ok(())
}

/// A warning of the bridge itself, on the `trainyard` logger.
fn warn(py: Python<'_>, message: &str) -> PyResult<()> {
    py.import("logging")?.call_method1("getLogger", ("trainyard",))?.call_method1("warning", (message,))?;
    Ok(())
}

/// The `tracing` layer that turns events into [`Record`]s.
pub struct PythonLogs;

/// The fields of a span, kept in its extensions for the events inside it.
struct SpanFields(Vec<(&'static str, String)>);

/// Collects an event's message and fields.
struct Fields<'a> {
    message: Option<&'a mut String>,
    fields: &'a mut Vec<(&'static str, String)>,
}

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: String) {
        match (&mut self.message, field.name()) {
            (Some(m), "message") => **m = value,
            _ => self.fields.push((field.name(), value)),
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for PythonLogs {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Vec::new();
        attrs.record(&mut Fields { message: None, fields: &mut fields });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &SpanRecord<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(SpanFields(fields)) = ext.get_mut::<SpanFields>() {
                values.record(&mut Fields { message: None, fields });
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(f)) = span.extensions().get::<SpanFields>() {
                    fields.extend(f.iter().cloned());
                }
            }
        }
        let mut message = String::new();
        let mut own = Vec::new();
        event.record(&mut Fields { message: Some(&mut message), fields: &mut own });
        // An event's own field wins over a span's of the same name.
        fields.retain(|(k, _)| !own.iter().any(|(o, _)| o == k));
        fields.extend(own);
        let meta = event.metadata();
        deliver(Record {
            level: *meta.level(),
            target: meta.target(),
            file: meta.file(),
            line: meta.line(),
            message,
            fields,
            at: SystemTime::now(),
        });
    }
}

//! Sinks and durable subscribers for Python: `RetryPolicy`, `RunReport`, `ReplayReport`,
//! `DeadLetter`, and the engine calls `add_webhook_sink`, `add_nats_sink`, `run_sinks`,
//! `dead_letters`, `replay_dead_letters` and `subscribe_durable` (a `#[pymethods] impl Engine`).
//!
//! Each maps to the core one to one: the webhook sink is [`WebhookSink`], the NATS sink
//! [`NatsSink`], both driven by the core's sink runner (retries with backoff, dead letters) from
//! `tick()` / `run_until_idle()` / `run_sinks()`; a durable subscriber is the core's
//! [`trainyard::Engine::subscribe_durable`] with a Python function as its subscriber.

use crate::callbacks::{PySubscriber, callable};
use crate::convert::{self, Conv, Refused, args, repr_str as q};
use crate::engine::PyEngine;
use crate::feed::{PyFeedEntry, filter_arg};
use pyo3::prelude::*;
use std::time::Duration;
use trainyard::Timestamp;
use trainyard::feed::nats::{NatsConfig, NatsSink};
use trainyard::feed::runner::{ReplayReport, RetryPolicy, RunReport, SinkOptions};
use trainyard::feed::source::DeadLetter;
use trainyard::feed::webhook::{WebhookConfig, WebhookSink};
use trainyard::validate::codes;

/// How a sink retries a failed delivery: after the ``n``-th failure of an entry the next attempt
/// is due ``min(cap, base × factor^(n−1))`` later (on the engine's clock), and after
/// ``max_attempts`` attempts the entry goes to the dead-letter list.
///
/// ``RetryPolicy(*, base="1s", factor=2.0, cap="5m", max_attempts=10)``: ``base`` and ``cap`` are
/// ``timedelta``s or duration strings (a zero ``base`` retries at the next ``run_sinks``), the
/// ``factor`` a number of at least 1, ``max_attempts`` 1 (no retry) to 1000. Bad values raise
/// ``InvalidInputError`` when the sink is added.
#[pyclass(frozen, module = "trainyard", name = "RetryPolicy")]
#[derive(Clone)]
pub struct PyRetryPolicy {
    inner: RetryPolicy,
}

fn std_or(obj: Option<&Bound<'_, PyAny>>, path: &str, default: Duration) -> Conv<Duration> {
    Ok(convert::opt_std_duration(obj, path)?.unwrap_or(default))
}

fn factor_of(obj: Option<&Bound<'_, PyAny>>, default: f64) -> Conv<f64> {
    match obj {
        Some(o) if !o.is_none() => {
            let number = o.cast::<pyo3::types::PyFloat>().is_ok()
                || (o.cast::<pyo3::types::PyInt>().is_ok() && o.cast::<pyo3::types::PyBool>().is_err());
            match o.extract::<f64>() {
                Ok(f) if number => Ok(f),
                _ => Err(Refused::one(
                    "factor",
                    codes::WRONG_TYPE,
                    format!("must be a number, not {}", convert::type_name(o)),
                )),
            }
        }
        _ => Ok(default),
    }
}

#[pymethods]
impl PyRetryPolicy {
    #[new]
    #[pyo3(signature = (*, base = None, factor = None, cap = None, max_attempts = None),
        text_signature = "(*, base='1s', factor=2.0, cap='5m', max_attempts=10)")]
    fn new(
        py: Python<'_>,
        base: Option<&Bound<'_, PyAny>>,
        factor: Option<&Bound<'_, PyAny>>,
        cap: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let d = RetryPolicy::default();
        args!(py;
            base = std_or(base, "base", d.base),
            factor = factor_of(factor, d.factor),
            cap = std_or(cap, "cap", d.cap),
            max_attempts = convert::count(max_attempts, "max_attempts", d.max_attempts),
        );
        Ok(PyRetryPolicy { inner: RetryPolicy { base, factor, cap, max_attempts } })
    }

    /// The wait after the first failure.
    #[getter]
    fn base(&self) -> Option<chrono::Duration> {
        chrono::Duration::from_std(self.inner.base).ok()
    }

    /// How much longer each next wait is.
    #[getter]
    fn factor(&self) -> f64 {
        self.inner.factor
    }

    /// The longest wait.
    #[getter]
    fn cap(&self) -> Option<chrono::Duration> {
        chrono::Duration::from_std(self.inner.cap).ok()
    }

    /// Attempts per entry, the first included.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.inner.max_attempts
    }

    fn __repr__(&self) -> String {
        let r = &self.inner;
        format!("RetryPolicy(base={:?}, factor={}, cap={:?}, max_attempts={})", r.base, r.factor, r.cap, r.max_attempts)
    }
}

/// What one run of a sink did (``Engine.run_sinks()``): the ``sink``'s name, entries
/// ``delivered`` and ``dead_lettered``, the consumer's stored ``cursor`` after the run,
/// ``retry_at`` (when an entry waits for a retry: when it is due) with its ``last_error``, and
/// ``caught_up`` (whether it saw every entry there was).
#[pyclass(frozen, module = "trainyard", name = "RunReport")]
pub struct PyRunReport {
    /// The sink's name.
    #[pyo3(get)]
    sink: String,
    /// Entries delivered.
    #[pyo3(get)]
    delivered: usize,
    /// Entries moved to the dead-letter list.
    #[pyo3(get)]
    dead_lettered: usize,
    /// The consumer's stored cursor after the run.
    #[pyo3(get)]
    cursor: u64,
    /// When the waiting entry's next attempt is due.
    #[pyo3(get)]
    retry_at: Option<Timestamp>,
    /// The error of the waiting entry's last attempt.
    #[pyo3(get)]
    last_error: Option<String>,
    /// Whether the sink has seen every entry there was.
    #[pyo3(get)]
    caught_up: bool,
}

impl From<RunReport> for PyRunReport {
    fn from(r: RunReport) -> Self {
        PyRunReport {
            sink: r.sink,
            delivered: r.delivered,
            dead_lettered: r.dead_lettered,
            cursor: r.cursor,
            retry_at: r.retry_at,
            last_error: r.last_error,
            caught_up: r.caught_up,
        }
    }
}

#[pymethods]
impl PyRunReport {
    fn __repr__(&self) -> String {
        format!(
            "RunReport(sink={}, delivered={}, dead_lettered={}, cursor={}, caught_up={})",
            q(&self.sink),
            self.delivered,
            self.dead_lettered,
            self.cursor,
            if self.caught_up { "True" } else { "False" }
        )
    }
}

/// What ``Engine.replay_dead_letters`` did: dead letters ``delivered`` (and removed), ``failed``
/// again (kept, with the new error) and ``remaining`` on the list.
#[pyclass(frozen, module = "trainyard", name = "ReplayReport")]
pub struct PyReplayReport {
    /// Dead letters delivered and removed from the list.
    #[pyo3(get)]
    delivered: usize,
    /// Dead letters whose delivery failed again.
    #[pyo3(get)]
    failed: usize,
    /// Dead letters still on the list.
    #[pyo3(get)]
    remaining: usize,
}

impl From<ReplayReport> for PyReplayReport {
    fn from(r: ReplayReport) -> Self {
        PyReplayReport { delivered: r.delivered, failed: r.failed, remaining: r.remaining }
    }
}

#[pymethods]
impl PyReplayReport {
    fn __repr__(&self) -> String {
        format!("ReplayReport(delivered={}, failed={}, remaining={})", self.delivered, self.failed, self.remaining)
    }
}

/// An entry a sink gave up on (``Engine.dead_letters(sink)``): the ``entry`` (a ``FeedEntry``),
/// the ``sink``, the last ``error``, whether it was ``permanent`` (a 4xx answer, say) rather than
/// the last of the retries, how many ``attempts`` failed, and when the first and the last one
/// failed (``first_failed_at``, ``last_failed_at``; tz-aware UTC).
#[pyclass(frozen, module = "trainyard", name = "DeadLetter")]
pub struct PyDeadLetter {
    inner: DeadLetter,
}

#[pymethods]
impl PyDeadLetter {
    /// The entry that was not delivered.
    #[getter]
    fn entry(&self) -> PyFeedEntry {
        PyFeedEntry::new(self.inner.entry.clone())
    }
    /// The sink's name.
    #[getter]
    fn sink(&self) -> &str {
        &self.inner.sink
    }
    /// The last delivery error (never a secret or the URL).
    #[getter]
    fn error(&self) -> &str {
        &self.inner.error
    }
    /// Whether the last error was permanent.
    #[getter]
    fn permanent(&self) -> bool {
        self.inner.permanent
    }
    /// How many delivery attempts failed (replays included).
    #[getter]
    fn attempts(&self) -> u32 {
        self.inner.attempts
    }
    /// When the first attempt failed.
    #[getter]
    fn first_failed_at(&self) -> Timestamp {
        self.inner.first_failed_at
    }
    /// When the last attempt failed.
    #[getter]
    fn last_failed_at(&self) -> Timestamp {
        self.inner.last_failed_at
    }

    fn __repr__(&self) -> String {
        format!(
            "DeadLetter(sink={}, cursor={}, attempts={}, error={})",
            q(&self.inner.sink),
            self.inner.entry.cursor,
            self.inner.attempts,
            q(&self.inner.error)
        )
    }
}

/// The `filter`, `retry` and `batch` arguments of a sink.
fn sink_options(
    filter: Option<&Bound<'_, PyAny>>,
    retry: Option<&Bound<'_, PyAny>>,
    batch: Option<&Bound<'_, PyAny>>,
) -> Conv<SinkOptions> {
    let d = SinkOptions::default();
    let retry = match retry {
        Some(r) if !r.is_none() => match r.cast::<PyRetryPolicy>() {
            Ok(p) => Ok(p.get().inner.clone()),
            Err(_) => Err(Refused::one(
                "retry",
                codes::WRONG_TYPE,
                format!(
                    "must be a trainyard.RetryPolicy (e.g. RetryPolicy(base='1s', max_attempts=5)) or None, not {}",
                    convert::type_name(r)
                ),
            )),
        },
        _ => Ok(d.retry.clone()),
    };
    let batch = match batch {
        Some(b) if !b.is_none() => convert::integer(b, "batch", 1, trainyard::feed::runner::MAX_BATCH as i64),
        _ => Ok(d.batch as i64),
    };
    match (filter_arg(filter, "filter"), retry, batch) {
        (Ok(filter), Ok(retry), Ok(batch)) => Ok(SinkOptions { filter, retry, batch: batch as usize }),
        (a, b, c) => Err(Refused::merge([a.err(), b.err(), c.err()])),
    }
}

#[pymethods]
impl PyEngine {
    /// Adds a webhook sink named ``name`` (its consumer name and dead-letter list): every entry
    /// that passes ``filter`` is POSTed as JSON to ``url`` (``http://host[:port]/path``), signed
    /// with HMAC-SHA256 keyed with ``secret`` in ``X-Trainyard-Signature`` (``sha256=<hex>``),
    /// with a stable ``X-Trainyard-Delivery`` id. ``connect_timeout`` (default 5 s) and
    /// ``timeout`` (whole request, default 10 s) are ``timedelta``s or duration strings; ``retry``
    /// a ``RetryPolicy``; ``batch`` the most entries one run delivers (default 100). Deliveries
    /// run in ``tick()``, ``run_until_idle()`` and ``run_sinks()``. ``InvalidInputError`` lists
    /// every bad argument; ``AlreadyExistsError`` if this engine has a sink of that name.
    #[pyo3(signature = (name, url, secret, *, filter = None, connect_timeout = None, timeout = None, retry = None, batch = None),
        text_signature = "($self, name, url, secret, *, filter=None, connect_timeout='5s', timeout='10s', retry=None, batch=100)")]
    #[allow(clippy::too_many_arguments)]
    fn add_webhook_sink(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        secret: &Bound<'_, PyAny>,
        filter: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        retry: Option<&Bound<'_, PyAny>>,
        batch: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let d = WebhookConfig::new("", "", "");
        args!(py;
            name = convert::text(name, "name"),
            url = convert::text(url, "url"),
            secret = convert::text(secret, "secret"),
            connect_timeout = std_or(connect_timeout, "connect_timeout", d.connect_timeout),
            timeout = std_or(timeout, "timeout", d.timeout),
            options = sink_options(filter, retry, batch),
        );
        let config = WebhookConfig { name, url, secret, connect_timeout, timeout };
        self.call(py, move |e| e.add_sink(WebhookSink::new(config)?, options))
    }

    /// Adds a NATS JetStream sink named ``name``: every entry that passes ``filter`` is published
    /// as JSON to ``<subject_prefix>.<scope>.<release_kind>.<status_after>`` on the server(s) at
    /// ``url`` (``nats://host[:port]``, several comma-separated), with ``Nats-Msg-Id:
    /// <name>:<cursor>`` so JetStream drops redeliveries. ``create_stream`` names a stream
    /// (capturing ``<subject_prefix>.>``) to create if missing; ``None`` expects one to exist.
    /// ``connect_timeout`` and ``ack_timeout`` default to 5 s; ``retry`` and ``batch`` as for
    /// ``add_webhook_sink``. It connects at its first delivery.
    #[pyo3(signature = (name, url, *, subject_prefix = None, create_stream = None, filter = None, connect_timeout = None, ack_timeout = None, retry = None, batch = None),
        text_signature = "($self, name, url, *, subject_prefix='trainyard', create_stream=None, filter=None, connect_timeout='5s', ack_timeout='5s', retry=None, batch=100)")]
    #[allow(clippy::too_many_arguments)]
    fn add_nats_sink(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        subject_prefix: Option<&Bound<'_, PyAny>>,
        create_stream: Option<&Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        ack_timeout: Option<&Bound<'_, PyAny>>,
        retry: Option<&Bound<'_, PyAny>>,
        batch: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let d = NatsConfig::new("", "");
        args!(py;
            name = convert::text(name, "name"),
            url = convert::text(url, "url"),
            subject_prefix = convert::opt_text(subject_prefix, "subject_prefix"),
            create_stream = convert::opt_text(create_stream, "create_stream"),
            connect_timeout = std_or(connect_timeout, "connect_timeout", d.connect_timeout),
            ack_timeout = std_or(ack_timeout, "ack_timeout", d.ack_timeout),
            options = sink_options(filter, retry, batch),
        );
        let config = NatsConfig {
            name,
            url,
            subject_prefix: subject_prefix.unwrap_or(d.subject_prefix),
            create_stream,
            connect_timeout,
            ack_timeout,
        };
        self.call(py, move |e| e.add_sink(NatsSink::new(config)?, options))
    }

    /// Delivers what is due to every sink and durable subscriber of this engine now (``tick()``
    /// does too) and returns one ``RunReport`` per sink that could read the feed.
    fn run_sinks(&self, py: Python<'_>) -> PyResult<Vec<PyRunReport>> {
        Ok(self.call(py, |e| e.run_sinks())?.into_iter().map(PyRunReport::from).collect())
    }

    /// The dead letters of the sink ``sink`` (kept in the store), oldest entry first.
    #[pyo3(signature = (sink))]
    fn dead_letters(&self, py: Python<'_>, sink: &Bound<'_, PyAny>) -> PyResult<Vec<PyDeadLetter>> {
        args!(py; sink = convert::text(sink, "sink"));
        let letters = self.call(py, move |e| e.dead_letters(&sink))?;
        Ok(letters.into_iter().map(|inner| PyDeadLetter { inner }).collect())
    }

    /// Delivers the dead letters of this engine's sink ``sink`` again, in cursor order, removing
    /// each one delivered; a retryable failure stops the replay. ``NotFoundError`` names this
    /// engine's sinks when it has none of that name.
    #[pyo3(signature = (sink))]
    fn replay_dead_letters(&self, py: Python<'_>, sink: &Bound<'_, PyAny>) -> PyResult<PyReplayReport> {
        args!(py; sink = convert::text(sink, "sink"));
        Ok(self.call(py, move |e| e.replay_dead_letters(&sink))?.into())
    }

    /// Calls ``fn(notification: Notification)`` for the notifications of every commit, by any
    /// engine or process on the store, whose entry passes ``filter``: delivered from the feed
    /// under the consumer name ``consumer`` (its cursor kept in the store), at least once, in
    /// commit order, resuming where it stopped after a restart, so none is lost when the
    /// committing process dies after its commit. Deliveries run in this engine's ``tick()`` /
    /// ``run_until_idle()`` / ``run_sinks()``, under the GIL. An exception raised by ``fn`` makes
    /// the entry's notifications come again later (with the default ``RetryPolicy``'s backoff),
    /// and after the last attempt the entry goes to the consumer's dead-letter list.
    #[pyo3(signature = (consumer, r#fn, *, filter = None))]
    fn subscribe_durable(
        &self,
        py: Python<'_>,
        consumer: &Bound<'_, PyAny>,
        r#fn: &Bound<'_, PyAny>,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        args!(py;
            consumer = convert::text(consumer, "consumer"),
            func = callable(r#fn, "fn", "fn(notification) -> None"),
            filter = filter_arg(filter, "filter"),
        );
        let subscriber = PySubscriber::new(consumer.clone(), func, self.interrupt.clone());
        self.call(py, move |e| e.subscribe_durable(&consumer, filter, subscriber))
    }
}

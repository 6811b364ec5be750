//! The change feed for Python: `FeedFilter`, `FeedEntry`, `FeedPage`, and the engine calls that
//! read the feed (`changes`, `feed_head`, `consume`, `ack`, `consumer_cursor`, `watch`,
//! `watch_async`; a `#[pymethods] impl Engine` of its own).
//!
//! Nothing is decided here: each call converts its arguments, calls the core's
//! [`trainyard::Engine`] method of the same name with the GIL released and converts the result.
//! `FeedEntry` exposes exactly the fields of the core's [`trainyard::feed::FeedEntry`] (listed in
//! `testdata/api/views.json`): statuses and kinds as snake_case strings, `at` as a tz-aware UTC
//! `datetime`, notifications as `trainyard.Notification`s.

use crate::callbacks::PyNotification;
use crate::convert::{self, Conv, Refused, args, repr_str as q, snake};
use crate::engine::PyEngine;
use crate::watch::PyWatch;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use trainyard::Timestamp;
use trainyard::feed::{FeedEntry, FeedFilter, FeedPage};
use trainyard::release::ReleaseStatus;
use trainyard::validate::codes;

/// The names `FeedFilter(...)` takes, in the core's order.
const FILTER_FIELDS: [&str; 7] =
    ["releases", "scopes", "groups", "processes", "statuses", "event_kinds", "with_notifications"];

/// Which feed entries a reader wants; every list left empty matches everything, and an entry
/// must pass every list that is not.
///
/// ``FeedFilter(*, releases=(), scopes=(), groups=(), processes=(), statuses=(), event_kinds=(),
/// with_notifications=False)``: release ids, scopes (``account``, ``org:<id>``), release group
/// ids, process ids, statuses after the commit (snake_case, e.g. ``"running"``), event kinds (an
/// entry passes when one of its events is of one of them, e.g. ``"activity_failed"``), and
/// whether only entries that carry notifications pass. A list may be given as one ``str``. An
/// unknown field or a bad value raises ``InvalidInputError`` listing every problem.
#[pyclass(frozen, eq, module = "trainyard", name = "FeedFilter")]
#[derive(Clone, PartialEq)]
pub struct PyFeedFilter {
    pub(crate) inner: FeedFilter,
}

fn filter_of(fields: Option<&Bound<'_, PyDict>>) -> Conv<FeedFilter> {
    let mut filter = FeedFilter::default();
    let Some(fields) = fields else { return Ok(filter) };
    let mut refusals = Vec::new();
    for (key, value) in fields.iter() {
        let name: String = key.extract().unwrap_or_default();
        let value = Some(&value);
        let outcome = match name.as_str() {
            "releases" => convert::names(value, "releases").map(|v| filter.releases = v),
            "scopes" => convert::names(value, "scopes").map(|v| filter.scopes = v),
            "groups" => convert::names(value, "groups").map(|v| filter.groups = v),
            "processes" => convert::names(value, "processes").map(|v| filter.processes = v),
            "statuses" => convert::parsed_list::<ReleaseStatus>(value, "statuses").map(|v| filter.statuses = v),
            "event_kinds" => convert::names(value, "event_kinds").map(|v| filter.event_kinds = v),
            "with_notifications" => {
                convert::opt_flag(value, "with_notifications", false).map(|v| filter.with_notifications = v)
            }
            other => Err(Refused::one(
                other,
                codes::UNKNOWN_FIELD,
                format!("a FeedFilter has no field `{other}`; its fields are {}", FILTER_FIELDS.join(", ")),
            )),
        };
        refusals.push(outcome.err());
    }
    if refusals.iter().any(Option::is_some) { Err(Refused::merge(refusals)) } else { Ok(filter) }
}

/// A `filter=` argument: a `FeedFilter`, or `None` for everything.
pub fn filter_arg(obj: Option<&Bound<'_, PyAny>>, path: &str) -> Conv<FeedFilter> {
    match obj {
        Some(o) if !o.is_none() => match o.cast::<PyFeedFilter>() {
            Ok(f) => Ok(f.get().inner.clone()),
            Err(_) => Err(Refused::one(
                path,
                codes::WRONG_TYPE,
                format!(
                    "must be a trainyard.FeedFilter (e.g. FeedFilter(statuses=['running'])) or None, not {}",
                    convert::type_name(o)
                ),
            )),
        },
        _ => Ok(FeedFilter::default()),
    }
}

#[pymethods]
impl PyFeedFilter {
    #[new]
    #[pyo3(signature = (**fields), text_signature = "(*, releases=(), scopes=(), groups=(), processes=(), statuses=(), event_kinds=(), with_notifications=False)")]
    fn new(py: Python<'_>, fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        args!(py; inner = filter_of(fields));
        Ok(PyFeedFilter { inner })
    }

    /// Only these release ids.
    #[getter]
    fn releases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.releases)
    }

    /// Only releases in these scopes.
    #[getter]
    fn scopes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.scopes)
    }

    /// Only releases of these release groups.
    #[getter]
    fn groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.groups)
    }

    /// Only releases of these processes.
    #[getter]
    fn processes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.processes)
    }

    /// Only entries whose status after the commit is one of these (snake_case).
    #[getter]
    fn statuses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.statuses.iter().map(snake))
    }

    /// Only entries with an event of one of these kinds.
    #[getter]
    fn event_kinds<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.inner.event_kinds)
    }

    /// Only entries that carry notifications.
    #[getter]
    fn with_notifications(&self) -> bool {
        self.inner.with_notifications
    }

    fn __repr__(&self) -> String {
        let f = &self.inner;
        let list = |name: &str, v: &[String]| {
            if v.is_empty() {
                None
            } else {
                Some(format!("{name}=[{}]", v.iter().map(|x| q(x)).collect::<Vec<_>>().join(", ")))
            }
        };
        let statuses: Vec<String> = f.statuses.iter().map(snake).collect();
        let parts: Vec<String> = [
            list("releases", &f.releases),
            list("scopes", &f.scopes),
            list("groups", &f.groups),
            list("processes", &f.processes),
            list("statuses", &statuses),
            list("event_kinds", &f.event_kinds),
            f.with_notifications.then(|| "with_notifications=True".to_string()),
        ]
        .into_iter()
        .flatten()
        .collect();
        format!("FeedFilter({})", parts.join(", "))
    }
}

/// What one commit did to one release: the entry's ``cursor`` (its position in the feed), the
/// ``release`` id, the range ``seq_from``..``seq_to`` of the events it added and their ``kinds``,
/// ``status_before`` (``None`` when the commit created the release) and ``status_after``,
/// ``deleted``, ``at`` (the time of its last event, tz-aware UTC), the ``actor``, the release's
/// ``scope``, ``process_id``, ``release_kind`` and ``group``, the ``notifications`` it caused
/// (with resolved recipients) and the ``origin`` (the committing engine's worker id; empty when
/// unknown). Entries compare equal when every field does.
#[pyclass(frozen, eq, module = "trainyard", name = "FeedEntry")]
#[derive(Clone, PartialEq)]
pub struct PyFeedEntry {
    pub(crate) inner: FeedEntry,
}

impl PyFeedEntry {
    /// The Python view of `entry`.
    pub fn new(entry: FeedEntry) -> Self {
        PyFeedEntry { inner: entry }
    }
}

#[pymethods]
impl PyFeedEntry {
    /// The entry's position in the feed: later commits have larger cursors.
    #[getter]
    fn cursor(&self) -> u64 {
        self.inner.cursor
    }
    /// The release id.
    #[getter]
    fn release(&self) -> &str {
        &self.inner.release
    }
    /// The sequence number of the first event the commit added.
    #[getter]
    fn seq_from(&self) -> u64 {
        self.inner.seq_from
    }
    /// The sequence number of the last event the commit added.
    #[getter]
    fn seq_to(&self) -> u64 {
        self.inner.seq_to
    }
    /// The kinds of the events, in order (``created``, ``activity_succeeded``, …).
    #[getter]
    fn kinds(&self) -> Vec<String> {
        self.inner.kinds.clone()
    }
    /// The release status before the commit (``None`` when it created the release).
    #[getter]
    fn status_before(&self) -> Option<String> {
        self.inner.status_before.as_ref().map(snake)
    }
    /// The release status after the commit.
    #[getter]
    fn status_after(&self) -> String {
        snake(&self.inner.status_after)
    }
    /// Whether the commit deleted the release.
    #[getter]
    fn deleted(&self) -> bool {
        self.inner.deleted
    }
    /// The time of the commit's last event (tz-aware, UTC).
    #[getter]
    fn at(&self) -> Timestamp {
        self.inner.at
    }
    /// Who issued the command (``system`` for the clock and the engine).
    #[getter]
    fn actor(&self) -> &str {
        &self.inner.actor
    }
    /// The release's scope (``account`` or ``org:<id>``).
    #[getter]
    fn scope(&self) -> &str {
        &self.inner.scope
    }
    /// The release's process id.
    #[getter]
    fn process_id(&self) -> &str {
        &self.inner.process_id
    }
    /// The release's kind (``standard``, ``hotfix``, ``feature``, ``system``).
    #[getter]
    fn release_kind(&self) -> String {
        snake(&self.inner.release_kind)
    }
    /// The release group, if the release belongs to one.
    #[getter]
    fn group(&self) -> Option<String> {
        self.inner.group.clone()
    }
    /// The notifications the commit caused, with resolved recipients (a new list on every access).
    #[getter]
    fn notifications(&self) -> Vec<PyNotification> {
        self.inner.notifications.iter().map(PyNotification::from).collect()
    }
    /// The worker id of the engine that committed it (empty when unknown).
    #[getter]
    fn origin(&self) -> &str {
        &self.inner.origin
    }

    fn __repr__(&self) -> String {
        let e = &self.inner;
        let before = e.status_before.as_ref().map(snake).unwrap_or_else(|| "None".into());
        format!(
            "FeedEntry(cursor={}, release={}, seq={}..{}, status={} -> {}, kinds=[{}])",
            e.cursor,
            q(&e.release),
            e.seq_from,
            e.seq_to,
            before,
            snake(&e.status_after),
            e.kinds.iter().map(|k| q(k)).collect::<Vec<_>>().join(", ")
        )
    }
}

/// A page of the feed: the ``entries`` after the asked cursor that pass the filter, in cursor
/// order, and ``next``, the cursor to ask after next time (past every entry the page looked at,
/// filtered out or not). A page may be short, even empty, with ``next`` moved on: a call looks at
/// no more than 10,000 entries.
#[pyclass(frozen, module = "trainyard", name = "FeedPage")]
pub struct PyFeedPage {
    /// The entries, in cursor order.
    #[pyo3(get)]
    entries: Vec<PyFeedEntry>,
    /// The cursor to continue after.
    #[pyo3(get)]
    next: u64,
}

impl From<FeedPage> for PyFeedPage {
    fn from(page: FeedPage) -> Self {
        PyFeedPage { entries: page.entries.into_iter().map(PyFeedEntry::new).collect(), next: page.next }
    }
}

#[pymethods]
impl PyFeedPage {
    fn __len__(&self) -> usize {
        self.entries.len()
    }

    fn __repr__(&self) -> String {
        format!("FeedPage(entries={}, next={})", self.entries.len(), self.next)
    }
}

#[pymethods]
impl PyEngine {
    /// The feed entries after ``after`` (a cursor: ``FeedPage.next``, ``FeedEntry.cursor``, its
    /// decimal text, or ``None`` for the start) that pass ``filter`` (a ``FeedFilter`` or
    /// ``None``), at most ``limit`` (1 to 1000), as a ``FeedPage``. With ``actor``, only entries
    /// of releases in scopes they may read.
    #[pyo3(signature = (after = None, filter = None, limit = None, *, actor = None),
        text_signature = "($self, after=None, filter=None, limit=100, *, actor=None)")]
    fn changes(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyFeedPage> {
        args!(py;
            after = convert::opt_cursor(after, "after"),
            filter = filter_arg(filter, "filter"),
            limit = convert::limit(limit, "limit", 100),
            actor = convert::opt_actor(actor, "actor"),
        );
        let page = self.call(py, move |e| match actor {
            Some(a) => e.changes_as(&a, after, &filter, limit),
            None => e.changes(after, &filter, limit),
        })?;
        Ok(page.into())
    }

    /// The cursor of the last readable entry (0 for an empty feed): watching after it gives what
    /// commits from now on.
    fn feed_head(&self, py: Python<'_>) -> PyResult<u64> {
        self.call(py, |e| e.feed_head())
    }

    /// Follows the feed after ``after`` (``None``: from the start; ``engine.feed_head()``: from
    /// now on): a blocking iterator (``Watch``) of the entries that pass ``filter``, woken by the
    /// commits of any engine or process on the same store without busy polling. Each step waits
    /// at most ``timeout`` (a ``timedelta`` or a duration string) for the next entry and ends the
    /// iteration when none came; ``None`` waits for ever. The wait releases the GIL and lets
    /// ``KeyboardInterrupt`` through within 100 ms.
    #[pyo3(signature = (after = None, filter = None, timeout = None))]
    fn watch(
        slf: &Bound<'_, Self>,
        after: Option<&Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyWatch> {
        let py = slf.py();
        args!(py;
            after = convert::opt_cursor(after, "after"),
            filter = filter_arg(filter, "filter"),
            timeout = convert::opt_std_duration(timeout, "timeout"),
        );
        slf.get().engine(py)?;
        Ok(PyWatch::new(slf.clone().unbind(), after, filter, timeout))
    }

    /// ``watch`` as an asyncio async iterator (``async for entry in engine.watch_async(...)``):
    /// each step waits in a worker thread (``loop.run_in_executor``), so the event loop keeps
    /// running; arguments as for ``watch``.
    #[pyo3(signature = (after = None, filter = None, timeout = None))]
    fn watch_async<'py>(
        slf: &Bound<'py, Self>,
        after: Option<&Bound<'py, PyAny>>,
        filter: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let watch = Self::watch(slf, after, filter, timeout)?;
        let py = slf.py();
        let watch = Bound::new(py, watch)?;
        py.import("trainyard._feed")?.getattr("AsyncWatch")?.call1((watch,))
    }

    /// The entries after the named ``consumer``'s stored cursor (0 for a new consumer) that pass
    /// ``filter``, at most ``limit``. Delivery is at least once: ``ack(consumer, page.next)`` once
    /// they are handled; what was not acknowledged comes again, after a restart too (the cursor
    /// is kept in the store).
    #[pyo3(signature = (consumer, filter = None, limit = None), text_signature = "($self, consumer, filter=None, limit=100)")]
    fn consume(
        &self,
        py: Python<'_>,
        consumer: &Bound<'_, PyAny>,
        filter: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyFeedPage> {
        args!(py;
            consumer = convert::text(consumer, "consumer"),
            filter = filter_arg(filter, "filter"),
            limit = convert::limit(limit, "limit", 100),
        );
        Ok(self.call(py, move |e| e.consume(&consumer, &filter, limit))?.into())
    }

    /// Records in the store that ``consumer`` handled everything up to ``cursor``. A cursor
    /// behind the stored one is ignored (a late acknowledgement never brings entries back).
    #[pyo3(signature = (consumer, cursor))]
    fn ack(&self, py: Python<'_>, consumer: &Bound<'_, PyAny>, cursor: &Bound<'_, PyAny>) -> PyResult<()> {
        args!(py; consumer = convert::text(consumer, "consumer"), cursor = convert::cursor(cursor, "cursor"));
        self.call(py, move |e| e.ack(&consumer, cursor))
    }

    /// The named consumer's stored cursor (0 for a new consumer).
    #[pyo3(signature = (consumer))]
    fn consumer_cursor(&self, py: Python<'_>, consumer: &Bound<'_, PyAny>) -> PyResult<u64> {
        args!(py; consumer = convert::text(consumer, "consumer"));
        self.call(py, move |e| e.consumer_cursor(&consumer))
    }
}

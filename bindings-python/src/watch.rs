//! `trainyard.Watch`: the blocking iterator behind `Engine.watch` (and, through
//! `trainyard._feed.AsyncWatch`, `Engine.watch_async`).
//!
//! It keeps the core's [`Watcher`] (where the watch is in the feed, and what it read but did not
//! hand out yet) and the engine it reads from. A step waits with the GIL released, in slices of
//! at most [`SLICE`], each one the core's own wait (woken by commits: a condition variable in
//! memory, `PRAGMA data_version` on SQLite, `LISTEN` on PostgreSQL); between slices it checks for
//! signals, so `KeyboardInterrupt` ends the wait within 100 ms. Nothing is polled in a loop here.

use crate::convert::{self, args};
use crate::engine::PyEngine;
use crate::feed::PyFeedEntry;
use crate::run;
use pyo3::prelude::*;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use trainyard::Watcher;
use trainyard::feed::FeedFilter;

/// The longest wait between two checks for signals.
pub const SLICE: Duration = Duration::from_millis(100);

/// A watch of the feed (``Engine.watch``): iterate it for the next ``FeedEntry`` that passes its
/// filter, each step waiting at most its ``timeout`` (``None``: for ever) and ending the
/// iteration when none came. ``next_entry(timeout)`` waits for one entry without ending anything.
/// ``async for`` works too (``aiter(watch)`` is an ``AsyncWatch``). A closed engine raises
/// ``StorageError``.
#[pyclass(frozen, module = "trainyard", name = "Watch")]
pub struct PyWatch {
    engine: Py<PyEngine>,
    watcher: Mutex<Watcher>,
    timeout: Option<Duration>,
}

impl PyWatch {
    /// A watch of `engine`'s feed after `after`.
    pub fn new(engine: Py<PyEngine>, after: u64, filter: FeedFilter, timeout: Option<Duration>) -> Self {
        PyWatch { engine, watcher: Mutex::new(Watcher::new(after, filter)), timeout }
    }

    /// The next entry within `timeout` (`None`: for ever), or `None`.
    fn wait(&self, py: Python<'_>, timeout: Option<Duration>) -> PyResult<Option<PyFeedEntry>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(SLICE),
                None => SLICE,
            };
            let engine = self.engine.bind(py).get().engine(py)?;
            let watcher = &self.watcher;
            let next = run(py, move || {
                let mut watcher = watcher.lock().unwrap_or_else(|e| e.into_inner());
                watcher.next(&engine, slice)
            })?;
            if let Some(entry) = next {
                return Ok(Some(PyFeedEntry::new(entry)));
            }
            py.check_signals()?;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
        }
    }
}

#[pymethods]
impl PyWatch {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyFeedEntry>> {
        self.wait(py, self.timeout)
    }

    /// The next entry, waiting at most ``timeout`` (a ``timedelta`` or a duration string; ``None``:
    /// the watch's own timeout, for ever if it has none); ``None`` when none came.
    #[pyo3(signature = (timeout = None))]
    fn next_entry(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Option<PyFeedEntry>> {
        args!(py; timeout = convert::opt_std_duration(timeout, "timeout"));
        self.wait(py, timeout.or(self.timeout))
    }

    /// The cursor past the last entry read from the store (entries read and not handed out yet
    /// are before it).
    #[getter]
    fn cursor(&self) -> u64 {
        self.watcher.lock().unwrap_or_else(|e| e.into_inner()).cursor()
    }

    /// The watch's own timeout per step (``None``: for ever).
    #[getter]
    fn timeout(&self) -> Option<chrono::Duration> {
        self.timeout.and_then(|t| chrono::Duration::from_std(t).ok())
    }

    fn __aiter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("trainyard._feed")?.getattr("AsyncWatch")?.call1((slf,))
    }

    fn __repr__(&self) -> String {
        format!("Watch(cursor={})", self.cursor())
    }
}

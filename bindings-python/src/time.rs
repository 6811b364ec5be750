//! Time across the boundary: tz-aware `datetime` ↔ [`trainyard::Timestamp`] (UTC), `timedelta` ↔
//! [`chrono::Duration`], and `trainyard.ManualClock`, which shares the core's [`ManualClock`].

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDelta, PyTzInfo};
use trainyard::Timestamp;
use trainyard::schedule::{Clock, ManualClock};

/// Reads a tz-aware `datetime` (any time zone) as a UTC timestamp. A naive `datetime` (no tzinfo,
/// or a tzinfo without an offset) is a `TypeError` naming the argument: trainyard never guesses a
/// time zone.
pub fn timestamp(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Timestamp> {
    let Ok(dt) = obj.cast::<PyDateTime>() else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a datetime.datetime, not {}",
            obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
        )));
    };
    if dt.call_method0("utcoffset")?.is_none() {
        return Err(PyTypeError::new_err(format!(
            "{what} is a naive datetime ({}); trainyard needs a tz-aware datetime, e.g. \
             datetime(2025, 4, 7, 9, tzinfo=timezone.utc)",
            dt.repr()?
        )));
    }
    let utc = PyTzInfo::utc(obj.py())?;
    dt.call_method1("astimezone", (utc,))?.extract()
}

/// An optional tz-aware `datetime` (`None` stays `None`).
pub fn opt_timestamp(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Timestamp>> {
    match obj {
        Some(o) if !o.is_none() => timestamp(o, what).map(Some),
        _ => Ok(None),
    }
}

/// A UTC timestamp as a tz-aware `datetime` (tzinfo `datetime.timezone.utc`).
pub fn to_datetime<'py>(py: Python<'py>, t: &Timestamp) -> PyResult<Bound<'py, PyAny>> {
    Ok(t.into_pyobject(py)?.into_any())
}

/// An optional timestamp as a `datetime` or `None`.
pub fn opt_datetime<'py>(py: Python<'py>, t: Option<&Timestamp>) -> PyResult<Bound<'py, PyAny>> {
    match t {
        Some(t) => to_datetime(py, t),
        None => Ok(py.None().into_bound(py)),
    }
}

/// A clock that only moves when told to; pass it to ``Engine.in_memory(clock=...)`` or
/// ``Engine.open(url, clock=...)`` to drive releases through simulated time (a two-week release
/// train runs in milliseconds).
///
/// ``ManualClock(start)`` stands at the tz-aware ``datetime`` ``start``. The engine reads the same
/// clock: ``advance`` or ``set`` it, then call ``engine.tick()`` / ``engine.run_until_idle()`` to fire
/// what became due.
#[pyclass(frozen, module = "trainyard", name = "ManualClock")]
pub struct PyManualClock {
    pub(crate) inner: ManualClock,
}

#[pymethods]
impl PyManualClock {
    #[new]
    #[pyo3(signature = (start))]
    fn new(start: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyManualClock { inner: ManualClock::new(timestamp(start, "start")?) })
    }

    /// The current time (tz-aware, UTC).
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_datetime(py, &self.inner.now())
    }

    /// Moves the clock by ``by`` (a ``timedelta``; a negative one moves it back). Returns the new time.
    #[pyo3(signature = (by))]
    fn advance<'py>(&self, py: Python<'py>, by: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if by.cast::<PyDelta>().is_err() {
            return Err(PyTypeError::new_err("advance() takes a datetime.timedelta"));
        }
        let delta: chrono::Duration = by.extract()?;
        self.inner.advance(delta);
        self.now(py)
    }

    /// Sets the clock to the tz-aware ``datetime`` ``to``.
    #[pyo3(signature = (to))]
    fn set(&self, to: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.set(timestamp(to, "to")?);
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("ManualClock({})", self.inner.now().to_rfc3339())
    }
}

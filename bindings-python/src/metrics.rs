//! `Engine.metrics()`: the core's [`trainyard::metrics::MetricsSnapshot`] as a plain dict with
//! the same field names (histograms as dicts of `count`, `sum_seconds` and `buckets`).

use crate::engine::PyEngine;
use pyo3::prelude::*;

#[pymethods]
impl PyEngine {
    /// The engine's metrics now: ``commands``, ``conflicts_retried``, ``timers_fired``,
    /// ``jobs_claimed``, ``lease_expiries`` (ints), ``command_latency``, ``timer_lag``,
    /// ``feed_lag``, ``notification_lag`` (``{"count", "sum_seconds", "buckets": [{"le",
    /// "count"}]}``, seconds, cumulative buckets) and ``queue_depth`` (executor → jobs in the
    /// store). ``prometheus_text()`` renders the same in the Prometheus text format.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = self.call(py, |e| Ok(serde_json::to_value(e.metrics()?).unwrap_or_default()))?;
        crate::convert::to_py(py, &value)
    }

    /// The engine's metrics in the Prometheus text exposition format.
    fn prometheus_text(&self, py: Python<'_>) -> PyResult<String> {
        self.call(py, |e| Ok(e.metrics()?.prometheus_text()))
    }
}

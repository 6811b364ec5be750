//! Forecasts for Python: `Engine.forecast(release_id, *, actor=None)` (a `#[pymethods] impl
//! Engine` of its own) and the `Forecast` and `PhaseForecast` snapshots.

use crate::convert::{self, args, repr_str as q};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use trainyard::Timestamp;
use trainyard::report::{Forecast, PhaseForecast};

/// The forecast of one phase: ``id``, ``status``, ``basis`` (``actual``, ``history``,
/// ``planned`` or ``none``), ``expected_secs`` and ``planned_secs`` (or ``None``),
/// ``history_runs``, ``expected_start`` and ``expected_end`` (tz-aware, UTC, or ``None`` for a
/// phase that does not count), ``critical`` (on the critical path).
#[pyclass(frozen, module = "trainyard", name = "PhaseForecast")]
pub struct PyPhaseForecast {
    /// Phase id.
    #[pyo3(get)]
    id: String,
    /// Its status now.
    #[pyo3(get)]
    status: &'static str,
    /// Where its length comes from.
    #[pyo3(get)]
    basis: &'static str,
    /// Its expected (or actual) length in seconds.
    #[pyo3(get)]
    expected_secs: Option<i64>,
    /// Its planned length in seconds.
    #[pyo3(get)]
    planned_secs: Option<i64>,
    /// How many earlier releases ran it to success.
    #[pyo3(get)]
    history_runs: u32,
    /// When it starts (or started).
    #[pyo3(get)]
    expected_start: Option<Timestamp>,
    /// When it ends (or ended).
    #[pyo3(get)]
    expected_end: Option<Timestamp>,
    /// Whether it is on the critical path.
    #[pyo3(get)]
    critical: bool,
}

impl From<PhaseForecast> for PyPhaseForecast {
    fn from(p: PhaseForecast) -> Self {
        PyPhaseForecast {
            id: p.id,
            status: p.status.as_str(),
            basis: p.basis.as_str(),
            expected_secs: p.expected_secs,
            planned_secs: p.planned_secs,
            history_runs: p.history_runs,
            expected_start: p.expected_start,
            expected_end: p.expected_end,
            critical: p.critical,
        }
    }
}

/// The forecast of a release: ``release_id``, ``at`` (the time it was made for),
/// ``expected_end`` and ``planned_end`` (or ``None``), ``at_risk``, ``late_secs`` (expected minus
/// planned end, or ``None``), ``critical_path`` (phase ids, first to last) and ``phases``.
#[pyclass(frozen, module = "trainyard", name = "Forecast")]
pub struct PyForecast {
    /// Release id.
    #[pyo3(get)]
    release_id: String,
    /// The time the forecast was made for.
    #[pyo3(get)]
    at: Timestamp,
    /// When the release is expected to end.
    #[pyo3(get)]
    expected_end: Option<Timestamp>,
    /// Its planned end.
    #[pyo3(get)]
    planned_end: Option<Timestamp>,
    /// Whether the expected end is after the planned end.
    #[pyo3(get)]
    at_risk: bool,
    /// Expected minus planned end, in seconds.
    #[pyo3(get)]
    late_secs: Option<i64>,
    /// The phase ids of the critical path.
    #[pyo3(get)]
    critical_path: Vec<String>,
    /// Every phase, in plan order.
    #[pyo3(get)]
    phases: Vec<Py<PyPhaseForecast>>,
}

#[pymethods]
impl PyPhaseForecast {
    fn __repr__(&self) -> String {
        format!("PhaseForecast(id={}, basis={}, critical={})", q(&self.id), q(self.basis), self.critical)
    }
}

#[pymethods]
impl PyForecast {
    fn __repr__(&self) -> String {
        format!("Forecast(release_id={}, at_risk={})", q(&self.release_id), if self.at_risk { "True" } else { "False" })
    }
}

fn to_py(py: Python<'_>, f: Forecast) -> PyResult<PyForecast> {
    let phases = f.phases.into_iter().map(|p| Py::new(py, PyPhaseForecast::from(p))).collect::<PyResult<Vec<_>>>()?;
    Ok(PyForecast {
        release_id: f.release_id,
        at: f.at,
        expected_end: f.expected_end,
        planned_end: f.planned_end,
        at_risk: f.at_risk,
        late_secs: f.late_secs,
        critical_path: f.critical_path,
        phases,
    })
}

#[pymethods]
impl PyEngine {
    /// The forecast of the release at the engine's time: the expected end from actual ends, the
    /// history of the last ended releases of its process (median) and planned durations, along
    /// the critical path; ``at_risk`` when it is after the planned end. With ``actor``, only if
    /// they may read the release (``PermissionDeniedError`` otherwise). ``NotFoundError`` for an
    /// unknown release.
    #[pyo3(signature = (release_id, *, actor = None))]
    fn forecast(
        &self,
        py: Python<'_>,
        release_id: &Bound<'_, PyAny>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyForecast> {
        args!(py; id = convert::text(release_id, "release_id"), actor = convert::opt_actor(actor, "actor"));
        let f = self.call(py, move |e| match actor {
            Some(a) => e.forecast_as(&id, &a),
            None => e.forecast(&id),
        })?;
        to_py(py, f)
    }
}

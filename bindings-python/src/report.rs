//! Reports for Python: `Engine.report(from_, to, group=None, hotfix_window=None,
//! commit_time_input=None)` with the core's [`trainyard::report::Report`] as `Report`,
//! `ReleaseReport`, `PhaseReport`, `ActivityReport`, `ApprovalWait`, `DecisionRecord` and `Dora`
//! (the same fields as Node's, snake_case), and its exports `Engine.report_csv(...)` (one table,
//! `str`) and `Engine.report_xlsx(...)` (the workbook, `bytes`).

use crate::convert::{self, args, repr_str as q};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use trainyard::report::{self as core, ReportTable};
use trainyard::validate::codes;
use trainyard::{ReportOptions, Timestamp};

/// An activity in a report: ``id``, ``status``, ``actual_secs`` (first start to end, or
/// ``None``) and ``attempts`` (0 when it never ran).
#[pyclass(frozen, module = "trainyard", name = "ActivityReport")]
pub struct PyActivityReport {
    /// Activity id.
    #[pyo3(get)]
    id: String,
    /// How it ended.
    #[pyo3(get)]
    status: String,
    /// How long it ran, in seconds, or ``None``.
    #[pyo3(get)]
    actual_secs: Option<i64>,
    /// Its attempts.
    #[pyo3(get)]
    attempts: u32,
}

/// A phase in a report: ``id``, ``status``, ``planned_secs`` (its ``duration``), ``actual_secs``,
/// ``overrun_secs`` (actual minus planned; positive: late), each ``None`` when unknown, and
/// ``activities``.
#[pyclass(frozen, module = "trainyard", name = "PhaseReport")]
pub struct PyPhaseReport {
    /// Phase id.
    #[pyo3(get)]
    id: String,
    /// How it ended.
    #[pyo3(get)]
    status: String,
    /// Its planned length in seconds, or ``None``.
    #[pyo3(get)]
    planned_secs: Option<i64>,
    /// How long it ran in seconds, or ``None``.
    #[pyo3(get)]
    actual_secs: Option<i64>,
    /// ``actual_secs - planned_secs``, or ``None``.
    #[pyo3(get)]
    overrun_secs: Option<i64>,
    activities: Vec<Py<PyActivityReport>>,
}

/// How long an approval waited: ``phase_id``, ``activity_id``, ``waited_secs``.
#[pyclass(frozen, module = "trainyard", name = "ApprovalWait")]
pub struct PyApprovalWait {
    /// Phase id.
    #[pyo3(get)]
    phase_id: String,
    /// Activity id.
    #[pyo3(get)]
    activity_id: String,
    /// From opening to the decision (or the end of the release), in seconds.
    #[pyo3(get)]
    waited_secs: i64,
}

/// A retry, ignore, failure decided by a person, or abort: ``what`` (``retry``, ``auto_retry``,
/// ``ignore``, ``fail`` or ``abort``), ``target`` (``phase/activity``, empty for an abort),
/// ``actor``, ``at`` (tz-aware, UTC) and ``reason`` (or ``None``).
#[pyclass(frozen, module = "trainyard", name = "DecisionRecord")]
pub struct PyDecisionRecord {
    /// What was decided.
    #[pyo3(get)]
    what: &'static str,
    /// ``phase/activity``.
    #[pyo3(get)]
    target: String,
    /// Who.
    #[pyo3(get)]
    actor: String,
    /// When.
    #[pyo3(get)]
    at: Timestamp,
    /// The reason given, or ``None``.
    #[pyo3(get)]
    reason: Option<String>,
}

/// One release in a report: ``id``, ``name``, ``kind``, ``status``, ``rolled_back``,
/// ``started_at`` and ``ended_at`` (tz-aware, UTC), ``phases``, ``approvals`` and ``decisions``.
#[pyclass(frozen, module = "trainyard", name = "ReleaseReport")]
pub struct PyReleaseReport {
    /// Release id.
    #[pyo3(get)]
    id: String,
    /// Name.
    #[pyo3(get)]
    name: String,
    /// Kind.
    #[pyo3(get)]
    kind: &'static str,
    /// How it ended.
    #[pyo3(get)]
    status: &'static str,
    /// Whether its rollback phases ran.
    #[pyo3(get)]
    rolled_back: bool,
    /// When it started.
    #[pyo3(get)]
    started_at: Option<Timestamp>,
    /// When it ended.
    #[pyo3(get)]
    ended_at: Option<Timestamp>,
    phases: Vec<Py<PyPhaseReport>>,
    approvals: Vec<Py<PyApprovalWait>>,
    decisions: Vec<Py<PyDecisionRecord>>,
}

/// The DORA figures: ``deployments`` (ended ``success`` or ``partial_success``),
/// ``deployments_per_week``, ``lead_time_secs`` (median commit to end), ``changes`` (ended, not
/// aborted), ``failed_changes`` (failed, rolled back or followed by a hotfix in time),
/// ``change_failure_rate`` (a fraction) and ``time_to_restore_secs`` (median); ``None`` when
/// there is nothing to measure.
#[pyclass(frozen, module = "trainyard", name = "Dora")]
pub struct PyDora {
    /// Deployments in the window.
    #[pyo3(get)]
    deployments: u32,
    /// Deployments per week of the window.
    #[pyo3(get)]
    deployments_per_week: f64,
    /// Median lead time in seconds, or ``None``.
    #[pyo3(get)]
    lead_time_secs: Option<i64>,
    /// Changes in the window.
    #[pyo3(get)]
    changes: u32,
    /// Failed changes.
    #[pyo3(get)]
    failed_changes: u32,
    /// ``failed_changes / changes``, or ``None``.
    #[pyo3(get)]
    change_failure_rate: Option<f64>,
    /// Median time to restore in seconds, or ``None``.
    #[pyo3(get)]
    time_to_restore_secs: Option<i64>,
}

/// A report over ``[from_time, to_time)``: ``group`` (or ``None``), ``releases`` (those that
/// ended in the window, by end time) and ``dora``.
#[pyclass(frozen, module = "trainyard", name = "Report")]
pub struct PyReport {
    /// Start of the window (inclusive).
    #[pyo3(get)]
    from_time: Timestamp,
    /// End of the window (exclusive).
    #[pyo3(get)]
    to_time: Timestamp,
    /// The release group, or ``None``.
    #[pyo3(get)]
    group: Option<String>,
    releases: Vec<Py<PyReleaseReport>>,
    dora: Py<PyDora>,
}

fn release(py: Python<'_>, r: core::ReleaseReport) -> PyResult<PyReleaseReport> {
    let mut phases = Vec::with_capacity(r.phases.len());
    for p in r.phases {
        let activities = p
            .activities
            .into_iter()
            .map(|a| {
                let a =
                    PyActivityReport { id: a.id, status: a.status, actual_secs: a.actual_secs, attempts: a.attempts };
                Py::new(py, a)
            })
            .collect::<PyResult<Vec<_>>>()?;
        let phase = PyPhaseReport {
            id: p.id,
            status: p.status,
            planned_secs: p.planned_secs,
            actual_secs: p.actual_secs,
            overrun_secs: p.overrun_secs,
            activities,
        };
        phases.push(Py::new(py, phase)?);
    }
    let approvals = r
        .approvals
        .into_iter()
        .map(|a| {
            Py::new(py, PyApprovalWait { phase_id: a.phase_id, activity_id: a.activity_id, waited_secs: a.waited_secs })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let decisions = r
        .decisions
        .into_iter()
        .map(|d| {
            Py::new(py, PyDecisionRecord { what: d.what, target: d.target, actor: d.actor, at: d.at, reason: d.reason })
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyReleaseReport {
        id: r.id,
        name: r.name,
        kind: r.kind.as_str(),
        status: r.status.as_str(),
        rolled_back: r.rolled_back,
        started_at: r.started_at,
        ended_at: r.ended_at,
        phases,
        approvals,
        decisions,
    })
}

fn report(py: Python<'_>, r: core::Report) -> PyResult<PyReport> {
    let d = r.dora;
    let dora = PyDora {
        deployments: d.deployments,
        deployments_per_week: d.deployments_per_week,
        lead_time_secs: d.lead_time_secs,
        changes: d.changes,
        failed_changes: d.failed_changes,
        change_failure_rate: d.change_failure_rate,
        time_to_restore_secs: d.time_to_restore_secs,
    };
    let releases = r.releases.into_iter().map(|x| Py::new(py, release(py, x)?)).collect::<PyResult<Vec<_>>>()?;
    Ok(PyReport { from_time: r.from, to_time: r.to, group: r.group, releases, dora: Py::new(py, dora)? })
}

fn clone_all<T>(py: Python<'_>, list: &[Py<T>]) -> Vec<Py<T>> {
    list.iter().map(|x| x.clone_ref(py)).collect()
}

#[pymethods]
impl PyActivityReport {
    fn __repr__(&self) -> String {
        format!("ActivityReport(id={}, status={}, attempts={})", q(&self.id), q(&self.status), self.attempts)
    }
}

#[pymethods]
impl PyPhaseReport {
    /// Its activities, in plan order.
    #[getter]
    fn activities(&self, py: Python<'_>) -> Vec<Py<PyActivityReport>> {
        clone_all(py, &self.activities)
    }

    fn __repr__(&self) -> String {
        format!("PhaseReport(id={}, status={})", q(&self.id), q(&self.status))
    }
}

#[pymethods]
impl PyApprovalWait {
    fn __repr__(&self) -> String {
        format!("ApprovalWait(activity_id={}, waited_secs={})", q(&self.activity_id), self.waited_secs)
    }
}

#[pymethods]
impl PyDecisionRecord {
    fn __repr__(&self) -> String {
        format!("DecisionRecord(what={}, target={})", q(self.what), q(&self.target))
    }
}

#[pymethods]
impl PyReleaseReport {
    /// Its phases, in plan order.
    #[getter]
    fn phases(&self, py: Python<'_>) -> Vec<Py<PyPhaseReport>> {
        clone_all(py, &self.phases)
    }

    /// How long each approval waited.
    #[getter]
    fn approvals(&self, py: Python<'_>) -> Vec<Py<PyApprovalWait>> {
        clone_all(py, &self.approvals)
    }

    /// Retries, ignores, failures decided by people and aborts, with their reasons.
    #[getter]
    fn decisions(&self, py: Python<'_>) -> Vec<Py<PyDecisionRecord>> {
        clone_all(py, &self.decisions)
    }

    fn __repr__(&self) -> String {
        format!("ReleaseReport(id={}, status={})", q(&self.id), q(self.status))
    }
}

#[pymethods]
impl PyDora {
    fn __repr__(&self) -> String {
        format!(
            "Dora(deployments={}, changes={}, failed_changes={})",
            self.deployments, self.changes, self.failed_changes
        )
    }
}

#[pymethods]
impl PyReport {
    /// The releases that ended in the window, by end time.
    #[getter]
    fn releases(&self, py: Python<'_>) -> Vec<Py<PyReleaseReport>> {
        clone_all(py, &self.releases)
    }

    /// The DORA figures.
    #[getter]
    fn dora(&self, py: Python<'_>) -> Py<PyDora> {
        self.dora.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!("Report(from_time={}, to_time={}, releases={})", self.from_time, self.to_time, self.releases.len())
    }
}

/// The window and options of a report, every argument (with `extra`) checked at once.
type Query = (Timestamp, Timestamp, Option<String>, ReportOptions);

/// The keyword arguments every report method takes, as given.
struct ReportArgs<'a, 'py> {
    group: Option<&'a Bound<'py, PyAny>>,
    hotfix_window: Option<&'a Bound<'py, PyAny>>,
    commit_time_input: Option<&'a Bound<'py, PyAny>>,
    actor: Option<&'a Bound<'py, PyAny>>,
}

fn query<T>(
    py: Python<'_>,
    extra: convert::Conv<T>,
    from_: &Bound<'_, PyAny>,
    to: &Bound<'_, PyAny>,
    args: ReportArgs<'_, '_>,
) -> PyResult<(Query, T)> {
    let ReportArgs { group, hotfix_window, commit_time_input, actor } = args;
    let defaults = ReportOptions::default();
    args!(py;
        extra = extra,
        from = convert::timestamp(from_, "from_"),
        to = convert::timestamp(to, "to"),
        group = convert::opt_text(group, "group"),
        window = convert::opt_duration(hotfix_window, "hotfix_window", chrono::Duration::seconds(defaults.hotfix_window_secs)),
        input = convert::opt_text(commit_time_input, "commit_time_input"),
        actor = convert::opt_actor(actor, "actor"),
    );
    let options = ReportOptions {
        hotfix_window_secs: window.num_seconds(),
        commit_time_input: input.unwrap_or(defaults.commit_time_input),
        actor,
    };
    Ok(((from, to, group, options), extra))
}

#[pymethods]
impl PyEngine {
    /// The report of the releases that ended in ``[from_, to)`` (of release group ``group`` when
    /// given): planned against actual per phase and activity, approval waits, decisions with
    /// their reasons and the DORA figures. ``hotfix_window`` (default two days; a ``timedelta``
    /// or ``"48h"``): a release followed by a hotfix release created within it is a failed
    /// change. ``commit_time_input`` (default ``commit_time``): the input holding the commit time
    /// (RFC 3339) for the lead time. With ``actor``, only the releases they may read count (in
    /// every figure); without, every release (trusted code).
    #[pyo3(
        signature = (from_, to, group = None, hotfix_window = None, commit_time_input = None, actor = None),
        text_signature = "($self, from_, to, group=None, hotfix_window=None, commit_time_input=None, actor=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        py: Python<'_>,
        from_: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        group: Option<&Bound<'_, PyAny>>,
        hotfix_window: Option<&Bound<'_, PyAny>>,
        commit_time_input: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyReport> {
        let ((from, to, group, options), ()) =
            query(py, Ok(()), from_, to, ReportArgs { group, hotfix_window, commit_time_input, actor })?;
        let r = self.call(py, move |e| e.report(from, to, group.as_deref(), &options))?;
        report(py, r)
    }

    /// One table of the report (``releases``, ``phases``, ``activities``, ``approvals``,
    /// ``decisions`` or ``dora``) as CSV text, its header first; times in RFC 3339 (UTC),
    /// durations in seconds. The arguments are ``report``'s.
    #[pyo3(
        signature = (from_, to, table, group = None, hotfix_window = None, commit_time_input = None, actor = None),
        text_signature = "($self, from_, to, table, group=None, hotfix_window=None, commit_time_input=None, actor=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn report_csv(
        &self,
        py: Python<'_>,
        from_: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        table: &Bound<'_, PyAny>,
        group: Option<&Bound<'_, PyAny>>,
        hotfix_window: Option<&Bound<'_, PyAny>>,
        commit_time_input: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let table_arg = convert::text(table, "table").and_then(|t| {
            t.parse::<ReportTable>().map_err(|m| convert::Refused::one("table", codes::INVALID_VALUE, m))
        });
        let ((from, to, group, options), table) =
            query(py, table_arg, from_, to, ReportArgs { group, hotfix_window, commit_time_input, actor })?;
        self.call(py, move |e| Ok(e.report(from, to, group.as_deref(), &options)?.to_csv(table)))
    }

    /// The report as an xlsx workbook (``bytes``): one sheet per table (Releases, Phases,
    /// Activities, Approvals, Decisions, DORA), times as Excel dates (UTC). The arguments are
    /// ``report``'s.
    #[pyo3(
        signature = (from_, to, group = None, hotfix_window = None, commit_time_input = None, actor = None),
        text_signature = "($self, from_, to, group=None, hotfix_window=None, commit_time_input=None, actor=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn report_xlsx<'py>(
        &self,
        py: Python<'py>,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
        group: Option<&Bound<'py, PyAny>>,
        hotfix_window: Option<&Bound<'py, PyAny>>,
        commit_time_input: Option<&Bound<'py, PyAny>>,
        actor: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let ((from, to, group, options), ()) =
            query(py, Ok(()), from_, to, ReportArgs { group, hotfix_window, commit_time_input, actor })?;
        let bytes = self.call(py, move |e| e.report(from, to, group.as_deref(), &options)?.to_xlsx())?;
        Ok(PyBytes::new(py, &bytes))
    }
}

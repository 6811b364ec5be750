//! `trainyard._native`: the pyo3 extension module behind the Python package `trainyard`.
//!
//! Thin by design: it converts arguments and results and maps errors; everything else is the
//! core's. The files are the same as the Node binding's, one concept each:
//!
//! | file | what |
//! |---|---|
//! | `lib.rs` | module registration, [`run`], `load_process` / `validate_process`, `run_cli` (the `trainyard` command) |
//! | `engine.rs` | the `Engine` class: construction, settings, processes, creating and scheduling releases, reads |
//! | `commands.rs` | the release and activity commands (`pause` … `delete_release`, `approve` … `skip`), as one table |
//! | `views.rs` | `Release`, `Phase`, `PhaseAttempt`, `Activity`, `Approval` (from the core's `ReleaseView`), `Schedule`, `ParentLink`, `InputSetRef`, `Event`, `ProcessInfo` |
//! | `jobs.rs` | `Job`, `STARTED`, `JobRecord`, the command executor and external workers |
//! | `callbacks.rs` | Python executors, subscribers (`Notification`) and secret resolvers |
//! | `retention.rs` | `set_retention`, `apply_retention` |
//! | `schedule.rs` | `ManualClock`, release groups, the horizon, freezes |
//! | `calendar.rs` | the calendar, conflicts and iCalendar export (`CalendarEntry`, `CalendarPhase`, `Conflict`) |
//! | `input_sets.rs` | named input sets (`InputSet`) |
//! | `forecast.rs` | forecasts: `forecast` (`Forecast`, `PhaseForecast`) |
//! | `ledger.rs` | the deployment ledger: `deployed`, `deployments` (`LedgerEntry`) |
//! | `locks.rs` | locks: `Lock` (in `Phase.locks`, `Activity.locks`) and `locks` |
//! | `feed.rs` | the change feed: `FeedFilter`, `FeedEntry`, `FeedPage`; `changes`, `watch`, consumers |
//! | `watch.rs` | `Watch`: the blocking iterator over the feed (GIL released, signals checked) |
//! | `sinks.rs` | webhook and NATS sinks, `RetryPolicy`, `RunReport`, `ReplayReport`, `DeadLetter`, durable subscribers |
//! | `report.rs` | reports: `report`, `report_csv`, `report_xlsx` (`Report`, `ReleaseReport`, `PhaseReport`, `ActivityReport`, `ApprovalWait`, `DecisionRecord`, `Dora`) |
//! | `doctor.rs` | `doctor`, `repair`: `DoctorReport`, `DoctorFinding`, `DoctorProblem`, `RepairReport` |
//! | `errors.rs` | core errors → `TrainyardError` subclasses; `Problem` |
//! | `convert/` | every value a caller hands in, checked (limits, codes, paths; `json.rs`: JSON data); `Actor` |
//! | `logs.rs` | the core's `tracing` events → Python `logging` |
//!
//! Every call into the core runs with the GIL released and inside `catch_unwind` ([`run`]), so no
//! panic crosses into Python and other Python threads run meanwhile.

mod amend;
mod calendar;
mod callbacks;
mod commands;
mod convert;
mod doctor;
mod engine;
mod errors;
mod feed;
mod forecast;
mod inbox;
mod input_sets;
mod jobs;
mod ledger;
mod locks;
mod logs;
mod metrics;
mod report;
mod retention;
mod schedule;
mod search;
mod sinks;
mod views;
mod watch;

use convert::Definition;
use errors::PyProblem;
use pyo3::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f` (a core call) without the GIL, turning core errors and panics into Python exceptions;
/// then hands the log records the call produced to `logging` ([`logs::flush`]).
pub(crate) fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> trainyard::Result<T> + Send) -> PyResult<T> {
    let outcome = py.detach(|| logs::in_core(|| catch_unwind(AssertUnwindSafe(f))));
    logs::flush(py);
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(errors::to_py_err(py, &err)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            Err(errors::internal(py, &what))
        }
    }
}

fn load(py: Python<'_>, definition: &Bound<'_, PyAny>) -> PyResult<trainyard::LoadedProcess> {
    match convert::definition(py, definition)? {
        Definition::Text(text) => run(py, move || trainyard::load_process(&text)),
        Definition::Document(doc) => run(py, move || trainyard::load_process_value(doc, None)),
    }
}

/// Validates a process definition and returns its warnings.
///
/// ``definition`` is YAML or JSON text (``str``) or an already-parsed ``dict``. Returns the list of
/// warnings (``Problem``), which never stop a process from loading. Raises ``ValidationError``
/// listing *every* problem when the definition is invalid, including values a dict holds that are
/// not JSON data (``nan``, a ``bytes``, a cycle), each at its path.
#[pyfunction]
#[pyo3(signature = (definition))]
fn validate_process(py: Python<'_>, definition: &Bound<'_, PyAny>) -> PyResult<Vec<PyProblem>> {
    Ok(load(py, definition)?.warnings.iter().map(PyProblem::from).collect())
}

/// Loads a process definition and returns the normalized process as a ``dict``.
///
/// ``definition`` is YAML or JSON text (``str``) or an already-parsed ``dict``. The result is the
/// process as trainyard understood it (defaults filled in, same shape as the JSON Schema). Raises
/// ``ValidationError`` listing *every* problem when the definition is invalid.
#[pyfunction]
#[pyo3(signature = (definition))]
fn load_process<'py>(py: Python<'py>, definition: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let loaded = load(py, definition)?;
    convert::doc_to_py(py, &loaded.process, "the loaded process")
}

/// Runs the ``trainyard`` command line: ``argv`` (program name first, as ``sys.argv``) on the
/// process's standard output and error, with the GIL released; returns the exit code. The
/// ``trainyard`` console script (``trainyard._cli:main``) calls it. While it runs, SIGINT and
/// SIGTERM have their default disposition (``watch`` and ``run`` stop on them and return 0; other
/// commands end the process, as the standalone binary does); Python's handlers are put back after.
#[pyfunction]
#[pyo3(signature = (argv))]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> i32 {
    py.detach(move || trainyard_cli::run_cli(argv))
}

/// Test support (not part of the API): drops the PostgreSQL schema named by ``url``'s
/// ``?schema=`` option, with everything in it.
#[pyfunction]
#[pyo3(name = "_drop_postgres_schema", signature = (url))]
fn drop_postgres_schema(py: Python<'_>, url: String) -> PyResult<()> {
    run(py, move || trainyard::store::PostgresStore::open(&url)?.drop_schema())
}

/// Native part of the ``trainyard`` package; import from ``trainyard`` instead.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logs::install(m.py());
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyProblem>()?;
    m.add_class::<convert::PyActor>()?;
    m.add_class::<schedule::PyManualClock>()?;
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<jobs::PyJob>()?;
    m.add_class::<jobs::PyStarted>()?;
    m.add("STARTED", jobs::PyStarted)?;
    m.add_class::<jobs::PyJobRecord>()?;
    m.add_class::<views::PyProcessInfo>()?;
    m.add_class::<views::PyRelease>()?;
    m.add_class::<views::PyPhase>()?;
    m.add_class::<views::PyPhaseAttempt>()?;
    m.add_class::<views::PyActivity>()?;
    m.add_class::<views::PyApproval>()?;
    m.add_class::<views::PyFailureDetail>()?;
    m.add_class::<views::PySchedule>()?;
    m.add_class::<views::PyParentLink>()?;
    m.add_class::<views::PyInputSetRef>()?;
    m.add_class::<views::PyWaitingOn>()?;
    m.add_class::<locks::PyLock>()?;
    m.add_class::<views::PyEvent>()?;
    m.add_class::<input_sets::PyInputSet>()?;
    m.add_class::<inbox::PyInboxItem>()?;
    m.add_class::<ledger::PyLedgerEntry>()?;
    m.add_class::<forecast::PyForecast>()?;
    m.add_class::<forecast::PyPhaseForecast>()?;
    m.add_class::<search::PySearchPage>()?;
    m.add_class::<callbacks::PyNotification>()?;
    m.add_class::<calendar::PyCalendarEntry>()?;
    m.add_class::<calendar::PyCalendarPhase>()?;
    m.add_class::<calendar::PyConflict>()?;
    m.add_class::<feed::PyFeedFilter>()?;
    m.add_class::<feed::PyFeedEntry>()?;
    m.add_class::<feed::PyFeedPage>()?;
    m.add_class::<watch::PyWatch>()?;
    m.add_class::<sinks::PyRetryPolicy>()?;
    m.add_class::<sinks::PyRunReport>()?;
    m.add_class::<sinks::PyReplayReport>()?;
    m.add_class::<sinks::PyDeadLetter>()?;
    m.add_class::<doctor::PyDoctorReport>()?;
    m.add_class::<doctor::PyDoctorFinding>()?;
    m.add_class::<doctor::PyDoctorProblem>()?;
    m.add_class::<doctor::PyRepairReport>()?;
    m.add_class::<report::PyReport>()?;
    m.add_class::<report::PyReleaseReport>()?;
    m.add_class::<report::PyPhaseReport>()?;
    m.add_class::<report::PyActivityReport>()?;
    m.add_class::<report::PyApprovalWait>()?;
    m.add_class::<report::PyDecisionRecord>()?;
    m.add_class::<report::PyDora>()?;
    m.add_function(wrap_pyfunction!(validate_process, m)?)?;
    m.add_function(wrap_pyfunction!(load_process, m)?)?;
    m.add_function(wrap_pyfunction!(drop_postgres_schema, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    Ok(())
}

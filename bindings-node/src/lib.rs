//! Node bindings for trainyard (npm package `trainyard`), built with napi-rs.
//!
//! Conversion and error mapping only: every behaviour lives in the `trainyard` core crate. The
//! files follow the same concepts as the Python binding's:
//!
//! | file | what |
//! |---|---|
//! | `engine.rs` | the `Engine` class: construction, `close`, settings, processes, registered functions, driving |
//! | `commands.rs` | release commands and reads of the `Engine` |
//! | `views.rs` (+ `views.js`) | releases, phases, activities, events: the core's `ReleaseView` as one JSON string, parsed in JS |
//! | `jobs.rs` | `Job`, `ClaimedJob`, `JobRecord`, external workers |
//! | `callbacks.rs` | executors, subscribers, secret resolvers: calling into JS |
//! | `schedule.rs` | `ManualClock`, release groups, freezes, the horizon |
//! | `calendar.rs` | calendar, conflicts, iCalendar |
//! | `input_sets.rs` | named input sets |
//! | `feed.rs` | the change feed: `changes`, `watch`, consumers, sinks, dead letters |
//! | `inbox.rs` | a person's inbox |
//! | `forecast.rs` | forecasts: `forecast` |
//! | `ledger.rs` | the deployment ledger: `deployed`, `deployments` |
//! | `locks.rs` | locks: `locks`, and the `Lock` objects of phases and activities |
//! | `search.rs` | release search with cursors |
//! | `report.rs` | reports: `report`, `reportCsv`, `reportXlsx` |
//! | `doctor.rs` | `doctor()` / `repair()`: the core's doctor reports |
//! | `errors.rs` | the mapping of core errors to JS `Error`s with `code` |
//! | `convert.rs` | reading JS values and arguments, with the limits (depth 128, no cycles, …) |
//! | `options.rs` | the options objects and the actor |
//! | `tasks.rs` | the `…Async` twins: core calls on libuv worker threads |
//! | `logs.rs` | `tracing` events to a JS function or stderr |
//! | `metrics.rs` | `metrics()` / `prometheusText()`: the core's metrics snapshot |
//! | `lib.rs` | `validateProcess`, `loadProcess`, `errorCodes`, `limits`, `runCli` (the `trainyard` bin) |
//!
//! Errors are thrown as JS `Error` objects with the core's stable `code` (see [`errors`]); a bad
//! argument is `invalid_input` naming it. Panics are caught at the boundary (`catch_unwind`) and
//! never cross into JS.

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
mod options;
mod report;
mod schedule;
mod search;
mod tasks;
mod views;

use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde_json::Value;

pub use engine::Engine;
pub use errors::Problem;
pub use logs::{LogRecord, LoggerOptions, set_logger};
pub use schedule::ManualClock;

#[napi_derive::module_init]
fn init() {
    logs::install();
}

/// Loads a definition given as YAML/JSON text (a JS string) or as an already-parsed object.
fn load(env: &Env, definition: Unknown) -> napi::Result<trainyard::LoadedProcess> {
    let mut cx = convert::Cx::new(env);
    let loaded = engine::definition(&mut cx, definition).and_then(|definition| match definition {
        Value::String(text) => trainyard::load_process(&text),
        document => trainyard::load_process_value(document, None),
    });
    errors::map(env, loaded)
}

/// Validates a process definition (YAML or JSON text, or a plain object) and returns its warnings.
///
/// Throws an `Error` with `code === 'validation'` and a `problems` array listing every problem.
#[napi(catch_unwind, ts_args_type = "definition: string | Record<string, unknown>")]
pub fn validate_process(env: Env, definition: Unknown) -> napi::Result<Vec<Problem>> {
    Ok(errors::problems(&load(&env, definition)?.warnings))
}

/// Loads a process definition (YAML or JSON text, or a plain object) and returns the normalized
/// process as a plain object.
///
/// Throws an `Error` with `code === 'validation'` and a `problems` array listing every problem.
#[napi(
    catch_unwind,
    ts_args_type = "definition: string | Record<string, unknown>",
    ts_return_type = "Record<string, any>"
)]
pub fn load_process(env: Env, definition: Unknown) -> napi::Result<views::Js> {
    let loaded = load(&env, definition)?;
    views::json(&loaded.process)(&env).map(views::Js)
}

/// The stable error codes, in the order of the core's `Error` enum: every thrown trainyard error
/// has one of these as its `code`.
#[napi(ts_return_type = "ErrorCode[]")]
pub fn error_codes() -> Vec<&'static str> {
    trainyard::Error::CODES.to_vec()
}

/// Runs the `trainyard` command line: `argv` (program name first) on the process's standard
/// output and error, on the JS thread (the event loop waits); returns the exit code. The
/// package's `trainyard` bin (`bin/trainyard.js`) calls it and exits with the code. While it runs,
/// SIGINT and SIGTERM have their default disposition (`watch` and `run` stop on them and return 0;
/// other commands end the process, as the standalone binary does); Node's handlers are put back
/// after.
#[napi(catch_unwind)]
pub fn run_cli(argv: Vec<String>) -> i32 {
    trainyard_cli::run_cli(argv)
}

/// The limits every value read from JS is held to: `maxDepth` (nesting levels below the top
/// value), `maxValues` (values in one argument).
#[napi(object)]
pub struct Limits {
    /// Deepest nesting accepted (128, as in Python).
    pub max_depth: u32,
    /// Most values in one argument.
    pub max_values: u32,
}

/// The limits of [`convert`]: `{ maxDepth: 128, maxValues: 1000000 }`.
#[napi]
pub fn limits() -> Limits {
    Limits { max_depth: convert::MAX_DEPTH as u32, max_values: convert::MAX_VALUES as u32 }
}

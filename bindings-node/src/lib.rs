//! Node bindings for trainyard (npm package `trainyard`), built with napi-rs.
//!
//! Conversion and error mapping only: every behaviour lives in the `trainyard` core crate. Errors are
//! thrown as JS `Error` objects with the core's stable `code` (see [`errors`]); panics are caught at
//! the boundary (`catch_unwind`) and never cross into JS.

mod calendar;
mod clock;
mod engine;
mod errors;
mod executors;
mod objects;
mod options;
mod tasks;

use napi::Env;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde_json::Value;

pub use clock::ManualClock;
pub use engine::Engine;
pub use errors::Problem;

/// Reads the `definition` argument as a JSON value. A value JSON cannot hold (`undefined`, a
/// function, a symbol, a bigint — at the top or nested) is a `validation` error with a `wrong_type`
/// problem, like any other definition of the wrong type.
pub(crate) fn definition_value(env: &Env, definition: Unknown) -> napi::Result<Value> {
    // SAFETY: `definition` is an argument of the current call, so it belongs to `env` and is alive;
    // `Value`'s conversion checks the JS type of every value it reads and fails on anything else.
    let value = unsafe { definition.cast::<Value>() };
    value.map_err(|e| {
        let problem = trainyard::Problem::new(
            "",
            trainyard::validate::codes::WRONG_TYPE,
            format!("expected the definition as YAML or JSON text or as a plain object of JSON values; {}", e.reason),
        );
        errors::to_js(env, &trainyard::Error::Validation { problems: vec![problem] })
    })
}

/// Loads a definition given as YAML/JSON text (a JS string) or as an already-parsed object.
fn load(definition: Value) -> trainyard::Result<trainyard::LoadedProcess> {
    match definition {
        Value::String(text) => trainyard::load_process(&text),
        document => trainyard::load_process_value(document, None),
    }
}

/// Validates a process definition (YAML or JSON text, or a plain object) and returns its warnings.
///
/// Throws an `Error` with `code === 'validation'` and a `problems` array listing every problem.
#[napi(catch_unwind, ts_args_type = "definition: string | Record<string, unknown>")]
pub fn validate_process(env: Env, definition: Unknown) -> napi::Result<Vec<Problem>> {
    let loaded = errors::map(&env, load(definition_value(&env, definition)?))?;
    Ok(errors::problems(&loaded.warnings))
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
pub fn load_process(env: Env, definition: Unknown) -> napi::Result<Value> {
    let loaded = errors::map(&env, load(definition_value(&env, definition)?))?;
    serde_json::to_value(&loaded.process)
        .map_err(|e| napi::Error::from_reason(format!("cannot convert the process to a JS object: {e}")))
}

/// The stable error codes, in the order of the core's `Error` enum: every thrown trainyard error
/// has one of these as its `code`.
#[napi(ts_return_type = "ErrorCode[]")]
pub fn error_codes() -> Vec<&'static str> {
    trainyard::Error::CODES.to_vec()
}

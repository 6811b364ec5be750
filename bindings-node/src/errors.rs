//! The one mapping from [`trainyard::Error`] to a thrown JavaScript `Error`.
//!
//! Every error reaches JS as a plain `Error` object whose `message` is the Rust message, whose `code`
//! is the stable snake_case code of [`trainyard::Error::code`] (`'validation'`, `'invalid_input'`,
//! `'not_found'`, …) and, for the codes that carry problems (`validation`, `invalid_input`), whose
//! `problems` is an array of [`Problem`] objects in the order the core reported them.

use napi::bindgen_prelude::{JsObjectValue, Object};
use napi::{Env, JsValue};
use napi_derive::napi;

/// One problem found in a definition or in a set of inputs.
#[napi(object, use_nullable = true)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is, e.g. `phases[2].activities[0].depends_on[1]`; empty for the document.
    pub path: String,
    /// Stable snake_case code, e.g. `unknown_dependency` or `syntax`.
    pub code: String,
    /// What was wrong and what would be valid.
    pub message: String,
    /// 1-based line in the source text, when the problem comes from the text itself (else `null`).
    pub line: Option<u32>,
    /// 1-based column in the source text, when the problem comes from the text itself (else `null`).
    pub column: Option<u32>,
}

impl From<&trainyard::Problem> for Problem {
    fn from(p: &trainyard::Problem) -> Self {
        Problem {
            path: p.path.clone(),
            code: p.code.clone(),
            message: p.message.clone(),
            line: p.line,
            column: p.column,
        }
    }
}

/// Converts core problems (e.g. warnings) to their JS shape.
pub fn problems(list: &[trainyard::Problem]) -> Vec<Problem> {
    list.iter().map(Problem::from).collect()
}

/// Whether errors with this code carry a `problems` list in JS.
fn carries_problems(code: &str) -> bool {
    matches!(code, "validation" | "invalid_input")
}

/// Builds the JS `Error` for `err` (with `code` and, where relevant, `problems`) and returns a
/// [`napi::Error`] that holds a reference to it, so returning it from a `#[napi]` function throws
/// exactly that object.
pub fn to_js(env: &Env, err: &trainyard::Error) -> napi::Error {
    match build(env, err) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        // Building the object failed (the environment is shutting down): fall back to a plain
        // error whose message still says what went wrong.
        Err(fallback) => napi::Error::from_reason(format!("{err} ({fallback})")),
    }
}

fn build<'env>(env: &'env Env, err: &trainyard::Error) -> napi::Result<Object<'env>> {
    let mut object = env.create_error(napi::Error::from_reason(err.to_string()))?;
    object.set_named_property("code", err.code())?;
    if carries_problems(err.code()) {
        object.set_named_property("problems", problems(err.problems()))?;
    }
    Ok(object)
}

/// A `validation` error for problems found while reading a definition given as an object.
pub fn validation(problems: Vec<trainyard::Problem>) -> trainyard::Error {
    trainyard::Error::Validation { problems }
}

/// The error of a call on a closed engine (code `storage`, as in Python).
pub fn closed(url: &str) -> trainyard::Error {
    trainyard::Error::Storage { message: format!("the engine on {url} is closed") }
}

/// Maps a core result to a napi result, turning the error into its JS shape.
pub fn map<T>(env: &Env, result: trainyard::Result<T>) -> napi::Result<T> {
    result.map_err(|e| to_js(env, &e))
}

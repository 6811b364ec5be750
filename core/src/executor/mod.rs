//! Executors run automated activities. An executor gets a [`Job`] and reports an [`Outcome`].
//!
//! The built-in [`CommandExecutor`] (module [`command`]) runs programs: argv without a shell,
//! environment, working directory, timeouts that kill the whole process group, bounded capture of
//! stdout/stderr and outputs written to the file named by `TRAINYARD_OUTPUT`. Its failures carry
//! a structured [`FailureDetail`] (module [`failure`]) besides the message.
//!
//! A job handed to an executor holds resolved secrets in its `inputs`, and the exact values in
//! [`Job::secrets`]: an executor that cuts, summarises or logs text must redact them first
//! ([`crate::secrets::Redactor`]); the engine redacts every outcome again before recording it.

pub mod command;
pub mod failure;

pub use command::CommandExecutor;
pub use failure::{FailureDetail, FailureReason, Signal};

use crate::Timestamp;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One attempt of an automated activity, handed to an executor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Job id: `<release>/<phase>/<activity>/<attempt>`, stable across redelivery.
    pub id: String,
    /// Release id.
    pub release_id: String,
    /// Phase id.
    pub phase_id: String,
    /// Activity id.
    pub activity_id: String,
    /// Attempt (0 = first run).
    pub attempt: u32,
    /// Executor name.
    pub executor: String,
    /// The resolved `with` values.
    pub inputs: IndexMap<String, Value>,
    /// When the attempt times out, if the activity has a `timeout`.
    pub deadline: Option<Timestamp>,
    /// The exact secret values resolved into `inputs` for this delivery (one per secret name;
    /// empty when the job names none). Never serialized, never stored.
    #[serde(skip)]
    pub secrets: Vec<crate::secrets::SecretValue>,
}

/// What an executor reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done, with outputs.
    Success {
        /// Outputs (names declared in the activity's `outputs`).
        outputs: IndexMap<String, Value>,
    },
    /// Failed.
    Failure {
        /// What went wrong.
        message: String,
        /// Whether an automatic retry may help.
        retryable: bool,
    },
    /// Failed, with the structured facts of the failed run (the `command` executor reports its
    /// failures this way): recorded in the `activity_failed` event and shown as the activity's
    /// `last_failure`.
    FailureWithDetail {
        /// What went wrong (the same text a [`Outcome::Failure`] would give).
        message: String,
        /// Whether an automatic retry may help.
        retryable: bool,
        /// Exit code, signal, timeout or cancellation, the stderr tail.
        detail: FailureDetail,
    },
    /// Accepted; the result comes later through `Engine::complete_job`.
    Started,
}

impl Outcome {
    /// Success without outputs.
    pub fn success() -> Self {
        Outcome::Success { outputs: IndexMap::new() }
    }

    /// Success with outputs given as `(name, value)` pairs.
    pub fn with_outputs<I: IntoIterator<Item = (K, V)>, K: Into<String>, V: Into<Value>>(outputs: I) -> Self {
        Outcome::Success { outputs: outputs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// A retryable failure.
    pub fn failure(message: impl Into<String>) -> Self {
        Outcome::Failure { message: message.into(), retryable: true }
    }

    /// The message and retryability of a failure (either form), `None` otherwise.
    pub fn failure_parts(&self) -> Option<(&str, bool)> {
        match self {
            Outcome::Failure { message, retryable } | Outcome::FailureWithDetail { message, retryable, .. } => {
                Some((message, *retryable))
            }
            Outcome::Success { .. } | Outcome::Started => None,
        }
    }

    /// The structured detail of a failure, if it has one.
    pub fn failure_detail(&self) -> Option<&FailureDetail> {
        match self {
            Outcome::FailureWithDetail { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// This outcome with every value `redactor` knows replaced by `***`: outputs (names and
    /// values), the failure message, the stderr tail.
    pub fn redacted(self, redactor: &crate::secrets::Redactor) -> Outcome {
        if redactor.is_empty() {
            return self;
        }
        match self {
            Outcome::Success { outputs } => Outcome::Success { outputs: redactor.redact_map(&outputs) },
            Outcome::Failure { message, retryable } => {
                Outcome::Failure { message: redactor.redact(&message).into_owned(), retryable }
            }
            Outcome::FailureWithDetail { message, retryable, mut detail } => {
                detail.stderr_tail = detail.stderr_tail.map(|t| redactor.redact(&t).into_owned());
                Outcome::FailureWithDetail { message: redactor.redact(&message).into_owned(), retryable, detail }
            }
            Outcome::Started => Outcome::Started,
        }
    }

    /// This outcome with all of its text withheld (for when the secret values it may hold are
    /// not known): every string output becomes `***`, a failure's message says it was withheld
    /// and its stderr tail is dropped.
    pub fn withheld(self, why: &str) -> Outcome {
        fn blank(v: &Value) -> Value {
            match v {
                Value::String(_) => Value::String(crate::secrets::REDACTED.into()),
                Value::Array(items) => Value::Array(items.iter().map(blank).collect()),
                Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), blank(v))).collect()),
                other => other.clone(),
            }
        }
        let message = format!("(the failure message is withheld: {why})");
        match self {
            Outcome::Success { outputs } => {
                Outcome::Success { outputs: outputs.iter().map(|(k, v)| (k.clone(), blank(v))).collect() }
            }
            Outcome::Failure { retryable, .. } => Outcome::Failure { message, retryable },
            Outcome::FailureWithDetail { retryable, mut detail, .. } => {
                detail.stderr_tail = None;
                Outcome::FailureWithDetail { message, retryable, detail }
            }
            Outcome::Started => Outcome::Started,
        }
    }
}

/// Runs jobs. Implemented for closures `Fn(&Job) -> Outcome`.
pub trait Executor: Send + Sync {
    /// Runs one job. Called without any engine lock held.
    fn execute(&self, job: &Job) -> Outcome;

    /// Asked when the release is aborted or the attempt timed out while the job runs. Default: nothing.
    fn cancel(&self, _job: &Job) {}
}

impl<F> Executor for F
where
    F: Fn(&Job) -> Outcome + Send + Sync,
{
    fn execute(&self, job: &Job) -> Outcome {
        self(job)
    }
}

#[cfg(test)]
mod tests;

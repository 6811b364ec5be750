//! Executors run automated activities. An executor gets a [`Job`] and reports an [`Outcome`].
//!
//! The built-in [`CommandExecutor`] (module [`command`]) runs programs: argv without a shell,
//! environment, working directory, timeouts that kill the whole process group, bounded capture of
//! stdout/stderr and outputs written to the file named by `TRAINYARD_OUTPUT`.

pub mod command;

pub use command::CommandExecutor;

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

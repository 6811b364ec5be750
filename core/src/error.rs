//! The one error type of trainyard.
//!
//! Every variant has a stable snake_case [`Error::code`] that is the same string in Rust, Python
//! (`TrainyardError.code`, one subclass per code) and Node (`err.code`). Messages name the thing that
//! was wrong and say what would be valid. Errors that carry several problems ([`Error::Validation`],
//! [`Error::InvalidInput`]) list *all* of them at once, each as a [`Problem`].

use crate::validate::codes;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Result type used throughout trainyard.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem found while validating a definition or a set of inputs.
///
/// `path` is a JSON-path-like location such as `phases[2].activities[0].depends_on[1]` (empty for the
/// document itself), `code` is a stable snake_case identifier (see [`crate::validate::codes`]) and
/// `message` says what was wrong and what would be valid. `line`/`column` (1-based) are set when the
/// problem comes from the text itself (malformed YAML or JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Where the problem is, e.g. `phases[2].activities[0].depends_on[1]`.
    pub path: String,
    /// Stable snake_case code, e.g. `unknown_dependency`.
    pub code: String,
    /// Human-readable explanation naming what would be valid.
    pub message: String,
    /// 1-based line in the source text, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in the source text, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Problem {
    /// A problem at `path` with a `code` and a `message`.
    pub fn new(path: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Problem { path: path.into(), code: code.to_string(), message: message.into(), line: None, column: None }
    }

    /// The same problem with a source position attached.
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() { "<document>" } else { &self.path };
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{path} (line {l}, column {c}): [{}] {}", self.code, self.message),
            _ => write!(f, "{path}: [{}] {}", self.code, self.message),
        }
    }
}

fn list_problems(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}

/// The one error enum of trainyard. See [`Error::code`] for the stable codes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A process definition (or another definition document) is invalid. Lists every problem.
    #[error("invalid definition: {} problem(s):{}", problems.len(), list_problems(problems))]
    Validation {
        /// Every problem found, in document order.
        problems: Vec<Problem>,
    },
    /// Release inputs (or field values) are invalid. Lists every problem.
    #[error("invalid input: {} problem(s):{}", problems.len(), list_problems(problems))]
    InvalidInput {
        /// Every problem found.
        problems: Vec<Problem>,
    },
    /// A command is not allowed in the current status.
    #[error("cannot {command} {target} while it is {status}; allowed now: {}", if allowed.is_empty() { "nothing".to_string() } else { allowed.join(", ") })]
    InvalidTransition {
        /// What the command was applied to, e.g. `release 0190…` or `activity build/cut`.
        target: String,
        /// The current status.
        status: String,
        /// The refused command.
        command: String,
        /// The commands that would be accepted in this status.
        allowed: Vec<String>,
    },
    /// Something named does not exist.
    #[error("{kind} `{id}` not found{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    NotFound {
        /// What kind of thing, e.g. `process`, `release`, `activity`.
        kind: String,
        /// Its id.
        id: String,
        /// Optional hint, e.g. the known ids.
        hint: Option<String>,
    },
    /// The actor lacks the role or listing needed for a command.
    #[error("permission denied: actor `{actor}` may not {command}: {missing}")]
    PermissionDenied {
        /// The actor's id.
        actor: String,
        /// The command refused.
        command: String,
        /// The missing role or condition.
        missing: String,
    },
    /// Lost a race: someone else changed the release (or took the job, fired the timer) first.
    /// Nothing was written; deciding again against the fresh state may succeed (the engine retries
    /// its own commands a bounded number of times, [`crate::MAX_CONFLICT_RETRIES`]).
    #[error("conflict: {message}")]
    Conflict {
        /// What conflicted.
        message: String,
    },
    /// What the command would create or record exists already (a release group or freeze id, a
    /// release id, an approver's decision, an archive). Not retryable: the same command gives the
    /// same answer.
    #[error("{kind} `{id}` already exists{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    AlreadyExists {
        /// What kind of thing, e.g. `release_group`, `freeze`, `approval`.
        kind: String,
        /// Its id.
        id: String,
        /// What to do instead.
        hint: Option<String>,
    },
    /// An expression failed to compile or evaluate.
    #[error("expression error at {location} in `{expression}`: {message}")]
    Expression {
        /// The expression text.
        expression: String,
        /// Where it is in the definition.
        location: String,
        /// What went wrong.
        message: String,
    },
    /// The storage backend failed (URLs never include passwords).
    #[error("storage error: {message}")]
    Storage {
        /// What failed.
        message: String,
    },
    /// An executor failed outside of an activity outcome (e.g. unknown executor).
    #[error("executor error: {message}")]
    Executor {
        /// What failed.
        message: String,
    },
    /// A scheduling rule refused the command (freeze windows, bad recurrence, bad time range).
    #[error("schedule error: {message}")]
    Schedule {
        /// What was refused and why.
        message: String,
    },
    /// Stored data was written by a newer trainyard: a database schema, event or snapshot format
    /// version this version does not know. Nothing was changed; open it with that version or a
    /// later one.
    #[error("{what} is at version {found}, newer than this trainyard ({}) supports (up to {supported}); upgrade trainyard to open it", env!("CARGO_PKG_VERSION"))]
    UnsupportedVersion {
        /// What carries the version, e.g. `sqlite target/x.db: schema` or `event format`.
        what: String,
        /// The version found in the stored data.
        found: u64,
        /// The newest version this trainyard reads.
        supported: u64,
    },
}

impl Error {
    /// The stable snake_case code of this error: `validation`, `invalid_input`,
    /// `invalid_transition`, `not_found`, `permission_denied`, `conflict`, `already_exists`,
    /// `expression_error`, `storage`, `executor`, `schedule` or `unsupported_version`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation { .. } => codes::VALIDATION,
            Error::InvalidInput { .. } => codes::INVALID_INPUT,
            Error::InvalidTransition { .. } => codes::INVALID_TRANSITION,
            Error::NotFound { .. } => codes::NOT_FOUND,
            Error::PermissionDenied { .. } => codes::PERMISSION_DENIED,
            Error::Conflict { .. } => codes::CONFLICT,
            Error::AlreadyExists { .. } => codes::ALREADY_EXISTS,
            Error::Expression { .. } => codes::EXPRESSION_ERROR,
            Error::Storage { .. } => codes::STORAGE,
            Error::Executor { .. } => codes::EXECUTOR,
            Error::Schedule { .. } => codes::SCHEDULE,
            Error::UnsupportedVersion { .. } => codes::UNSUPPORTED_VERSION,
        }
    }

    /// All error codes, in declaration order (used by the bindings to build their class hierarchies).
    pub const CODES: [&'static str; 12] = [
        codes::VALIDATION,
        codes::INVALID_INPUT,
        codes::INVALID_TRANSITION,
        codes::NOT_FOUND,
        codes::PERMISSION_DENIED,
        codes::CONFLICT,
        codes::ALREADY_EXISTS,
        codes::EXPRESSION_ERROR,
        codes::STORAGE,
        codes::EXECUTOR,
        codes::SCHEDULE,
        codes::UNSUPPORTED_VERSION,
    ];

    /// `Ok(value)` when `problems` is empty, else [`Error::Validation`] listing them all.
    pub fn validation_or<T>(problems: Vec<Problem>, value: T) -> Result<T> {
        if problems.is_empty() { Ok(value) } else { Err(Error::Validation { problems }) }
    }

    /// `Ok(value)` when `problems` is empty, else [`Error::InvalidInput`] listing them all.
    pub fn invalid_input_or<T>(problems: Vec<Problem>, value: T) -> Result<T> {
        if problems.is_empty() { Ok(value) } else { Err(Error::InvalidInput { problems }) }
    }

    /// Whether the same command may succeed if decided again (only [`Error::Conflict`]: a lost
    /// race).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }

    /// The problems carried by [`Error::Validation`] and [`Error::InvalidInput`]; empty otherwise.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Validation { problems } | Error::InvalidInput { problems } => problems,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_listed() {
        let samples = [
            Error::Validation { problems: vec![] },
            Error::InvalidInput { problems: vec![] },
            Error::InvalidTransition {
                target: "release r".into(),
                status: "draft".into(),
                command: "pause".into(),
                allowed: vec!["activate".into()],
            },
            Error::NotFound { kind: "process".into(), id: "x".into(), hint: None },
            Error::PermissionDenied { actor: "a".into(), command: "c".into(), missing: "m".into() },
            Error::Conflict { message: "m".into() },
            Error::AlreadyExists { kind: "freeze".into(), id: "f".into(), hint: None },
            Error::Expression { expression: "e".into(), location: "l".into(), message: "m".into() },
            Error::Storage { message: "m".into() },
            Error::Executor { message: "m".into() },
            Error::Schedule { message: "m".into() },
            Error::UnsupportedVersion { what: "w".into(), found: 2, supported: 1 },
        ];
        let codes: Vec<_> = samples.iter().map(Error::code).collect();
        assert_eq!(codes, Error::CODES.to_vec());
    }

    #[test]
    fn validation_message_lists_every_problem() {
        let e = Error::Validation {
            problems: vec![
                Problem::new("phases[0].id", "bad_id", "bad"),
                Problem::new("phases[1]", "duplicate_id", "dup").at(3, 4),
            ],
        };
        let text = e.to_string();
        assert!(text.contains("2 problem(s)"), "{text}");
        assert!(text.contains("phases[0].id: [bad_id] bad"), "{text}");
        assert!(text.contains("phases[1] (line 3, column 4): [duplicate_id] dup"), "{text}");
    }

    #[test]
    fn unsupported_version_names_what_and_both_versions() {
        let e = Error::UnsupportedVersion { what: "sqlite x.db: schema".into(), found: 9, supported: 3 };
        let text = e.to_string();
        assert!(text.starts_with("sqlite x.db: schema is at version 9, newer than this trainyard"), "{text}");
        assert!(text.contains("(up to 3); upgrade trainyard"), "{text}");
    }

    #[test]
    fn invalid_transition_names_status_and_allowed_commands() {
        let e = Error::InvalidTransition {
            target: "release r1".into(),
            status: "draft".into(),
            command: "pause".into(),
            allowed: vec!["update".into(), "activate".into()],
        };
        assert_eq!(e.to_string(), "cannot pause release r1 while it is draft; allowed now: update, activate");
    }
}

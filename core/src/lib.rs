//! # trainyard
//!
//! An embeddable release-orchestration engine. A **process** is the blueprint of a release (phases,
//! activities, dependencies, approvals); a **release** runs a process with concrete inputs.
//!
//! This crate is the whole engine; the Python (`pip install ./bindings-python`) and Node
//! (`npm install trainyard-<version>.tgz`) packages are thin bindings over it.
//!
//! ## Architecture in brief
//!
//! * [`model`] and [`validate`]: process definitions (YAML, JSON or values) parsed into typed
//!   models; validation reports every problem at once, each with a path and a stable code
//!   ([`validate::codes`]).
//! * [`release`]: the pure decision logic. `decide(state, command)` returns events, `evolve(state,
//!   event)` folds them into a [`release::ReleaseState`]; no I/O and no clock reads (effects are
//!   data). The read model is [`release::ReleaseView`].
//! * [`Engine`]: the shell around it. It loads a release (snapshot plus the events after it),
//!   decides, appends the events with an expected sequence (lost races retry), runs the effects
//!   (jobs for [`executor`]s, timers, notifications) and drives time ([`schedule`]: clocks,
//!   release groups, freezes; [`calendar`]).
//! * [`store`]: event-sourced storage behind one [`store::Store`] contract: in memory, SQLite
//!   (embedded default, one file) or PostgreSQL (shared by several engines). Schemas are
//!   versioned and migrate forward on open ([`store::SCHEMA_VERSION`]); the stored event and
//!   snapshot formats carry versions too ([`release::EVENT_FORMAT`], [`store::SNAPSHOT_FORMAT`]).
//! * [`feed`]: the change feed (commit-ordered cursor, durable consumers) and its sinks (webhook,
//!   NATS JetStream); [`notify`] for in-process subscribers; [`access`] for who may do what;
//!   [`expr`] for CEL conditions and `${…}` interpolation; [`secrets`] for redaction.
//! * [`Error`]: one error type, every variant with a stable [`Error::code`] shared with the
//!   bindings.
//!
//! ## Cargo features
//!
//! * `postgres` (default): the PostgreSQL backend (`postgres://…` URLs, `store::PostgresStore`).
//! * `nats` (default): the NATS JetStream sink (`feed::nats::NatsSink`); its tokio runtime is
//!   private to the sink.
//! * `https` (off): `https://` URLs for the webhook sink (rustls with the bundled web PKI roots).
//!
//! With `default-features = false` the crate has the SQLite and in-memory stores and the webhook
//! sink over plain HTTP.
//!
//! ## A first example
//!
//! ```
//! let loaded = trainyard::load_process(r#"
//! id: hello
//! phases:
//!   - id: build
//!     activities:
//!       - { id: compile, kind: automated, executor: command, with: { argv: ["make"] } }
//!   - id: ship
//!     depends_on: [build]
//!     activities:
//!       - { id: approve, kind: approval, approvers: [{ group: release-eng }] }
//! "#).unwrap();
//! assert_eq!(loaded.process.phases.len(), 2);
//! assert!(loaded.warnings.is_empty());
//!
//! // Every problem at once, each with a path and a stable code.
//! let err = trainyard::load_process("id: hello\nphases:\n  - id: ship\n    depends_on: [build]\n    activities: []\n")
//!     .unwrap_err();
//! assert_eq!(err.code(), "validation");
//! let codes: Vec<_> = err.problems().iter().map(|p| p.code.as_str()).collect();
//! assert_eq!(codes, ["unknown_dependency", "empty"]);
//! ```
//!
//! Running a release (an executor, a timer and an approval on a manual clock) is on [`Engine`];
//! the repository's README has the same examples in Rust, Python and Node.

#![warn(missing_docs)]

pub mod access;
pub mod calendar;
pub mod display;
mod engine;
pub mod error;
pub mod executor;
pub mod expr;
pub mod feed;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod release;
pub mod report;
pub mod schedule;
pub mod secrets;
pub mod store;
pub mod validate;

pub use error::{Error, Problem, Result};

/// A point in time (UTC).
pub type Timestamp = chrono::DateTime<chrono::Utc>;
pub use engine::{
    Amend, Engine, GroupChanges, InputSet, MAX_CONFLICT_RETRIES, ProcessInfo, RISK_HISTORY_TTL, ReleaseFilter,
    ReportOptions, RetentionPolicy, SearchPage, Watch, Watcher,
};
pub use engine::{DoctorFinding, DoctorProblem, DoctorReport, RepairReport};
pub use model::Process;
pub use validate::{
    LoadedProcess, ProcessCatalog, load_process, load_process_value, load_process_with, validate_process,
};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

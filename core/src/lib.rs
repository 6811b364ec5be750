//! # trainyard
//!
//! An embeddable release-orchestration engine. A **process** is the blueprint of a release (phases,
//! activities, dependencies, approvals); a **release** runs a process with concrete inputs.
//!
//! This crate is the whole engine; the Python and Node packages are thin bindings over it.
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
//! ```

pub mod access;
pub mod calendar;
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
pub mod schedule;
pub mod secrets;
pub mod store;
pub mod validate;

pub use error::{Error, Problem, Result};

/// A point in time (UTC).
pub type Timestamp = chrono::DateTime<chrono::Utc>;
pub use engine::{DoctorFinding, DoctorProblem, DoctorReport, RepairReport};
pub use engine::{
    Engine, GroupChanges, InputSet, MAX_CONFLICT_RETRIES, ProcessInfo, ReleaseFilter, ReleaseUpdate, RetentionPolicy,
    SearchPage, Watch, Watcher,
};
pub use model::Process;
pub use validate::{
    LoadedProcess, ProcessCatalog, load_process, load_process_value, load_process_with, validate_process,
};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

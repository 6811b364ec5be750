//! Validation of process definitions: *every* problem at once, each with a path, a stable code
//! (see [`codes`]) and a message that says what would be valid. Warnings (shadowed variables,
//! unresolved subprocesses) are kept apart from errors.
//!
//! Loading runs in three passes, after the bounds of [`crate::model::limits`] (size, nesting, nodes,
//! strings, keys, phases, activities — the same for text, values and typed processes):
//! 1. **syntax** — YAML or JSON text into a document; malformed text gives one `syntax` problem with
//!    line and column; a key written twice in one mapping gives `duplicate_key` (in JSON, one per
//!    repeat, with path, line and column);
//! 2. **shape** — the document against the published JSON Schema: unknown and missing fields, wrong
//!    types, enum values, ids, names, durations, regexes and CEL conditions;
//! 3. **semantics** — ids unique, dependencies known and acyclic, kind-specific fields and needs,
//!    approval rules that can be met, input constraints and defaults, `${...}` expressions,
//!    subprocess references (cycles, depth ≤ 3).
//!
//! When the shape pass finds problems, the fields it rejected are set aside and the semantic pass
//! still runs on the rest whenever that is possible, so one round of fixes is usually enough.
//!
//! Within the bounds, validation takes time near-linear in the size of the definition: lookups go
//! through indexes, dependency graphs are searched with linear algorithms (`reach`), messages list
//! at most a bounded number of names, and at most [`crate::model::limits::MAX_PROBLEMS`] problems
//! are listed (then one `too_many_problems` entry).
//!
//! ```
//! let err = trainyard::load_process("id: x\nphases:\n  - id: a\n    depends_on: [b]\n    activities: []\n").unwrap_err();
//! let codes: Vec<_> = err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
//! assert_eq!(codes, vec![("phases[0].depends_on[0]", "unknown_dependency"), ("phases[0].activities", "empty")]);
//! ```

mod activities;
pub mod codes;
mod expressions;
mod gates;
mod graph;
mod hints;
mod inputs;
mod locks;
pub mod path;
mod reach;
mod references;
mod repair;
mod rules;
mod shape;
mod subprocess;

pub use inputs::check_value as check_input_value;
pub use rules::{is_id, is_name};

use crate::model::{Process, limits, load};
use crate::{Error, Problem, Result};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Deepest subprocess nesting: a process may run a child that runs a child that runs a child
/// (`a → b → c → d`), no deeper.
pub const MAX_SUBPROCESS_DEPTH: usize = 3;

/// Where subprocess references are resolved. The engine implements it over its registered processes.
pub trait ProcessCatalog {
    /// The process `id` at `version`, or its latest version when `version` is `None`.
    fn lookup(&self, id: &str, version: Option<u32>) -> Option<Process>;
}

impl ProcessCatalog for HashMap<String, Process> {
    fn lookup(&self, id: &str, version: Option<u32>) -> Option<Process> {
        match version {
            None | Some(1) => self.get(id).cloned(),
            Some(_) => None,
        }
    }
}

/// A process that passed validation, with the warnings found.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedProcess {
    /// The process.
    pub process: Process,
    /// Warnings (e.g. `shadowed_variable`); they never stop loading.
    pub warnings: Vec<Problem>,
}

/// The outcome of validating a typed process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Problems that make the definition unusable.
    pub errors: Vec<Problem>,
    /// Problems worth knowing that do not stop it.
    pub warnings: Vec<Problem>,
}

static SCHEMA: LazyLock<Value> = LazyLock::new(Process::json_schema);

/// Parses and validates a process definition (YAML or JSON text) without a catalog: subprocess
/// references are only checked for self-reference and reported as `unresolved_process` warnings.
pub fn load_process(text: &str) -> Result<LoadedProcess> {
    load_process_with(text, None)
}

/// Parses and validates a process definition, resolving subprocesses through `catalog`.
pub fn load_process_with(text: &str, catalog: Option<&dyn ProcessCatalog>) -> Result<LoadedProcess> {
    load_document(load::parse_document(text)?, catalog)
}

/// Validates a process definition given as a document (e.g. a Python dict or a JS object). The
/// document is held to the same bounds as text ([`crate::model::limits`]); its size is that of its
/// compact JSON encoding, measured while walking it and stopping as soon as it passes the bound.
pub fn load_process_value(document: Value, catalog: Option<&dyn ProcessCatalog>) -> Result<LoadedProcess> {
    if let Err(p) = limits::check_document(&document, true) {
        limits::dispose(document);
        return Err(Error::Validation { problems: vec![p] });
    }
    load_document(document, catalog)
}

/// Validates a document within the generic bounds: the process bounds, then shape and semantics.
fn load_document(document: Value, catalog: Option<&dyn ProcessCatalog>) -> Result<LoadedProcess> {
    if let Err(p) = limits::check_process_counts(&document) {
        return Err(Error::Validation { problems: vec![p] });
    }
    let mut problems = Vec::new();
    shape::check(&document, &SCHEMA, &mut problems);
    if problems.len() > limits::MAX_PROBLEMS {
        // The list is cut anyway: the semantic pass could only add to what is not shown.
        limits::cap_problems(&mut problems);
        return Err(Error::Validation { problems });
    }
    let (typed, set_aside) = if problems.is_empty() {
        (
            load::from_value::<Process>(document)
                .map(Some)
                .map_err(|e| problems.extend(e.problems().iter().cloned()))
                .ok()
                .flatten(),
            Vec::new(),
        )
    } else {
        repair::without_rejected(&document, &problems)
    };
    let Some(process) = typed else {
        return Err(Error::Validation { problems });
    };
    let report = check_document(&process, catalog);
    problems.extend(repair::not_hidden(&set_aside, report.errors));
    if problems.is_empty() {
        let mut warnings = report.warnings;
        limits::cap_problems(&mut warnings);
        Ok(LoadedProcess { process, warnings })
    } else {
        limits::cap_problems(&mut problems);
        Err(Error::Validation { problems })
    }
}

/// Validates definition text and returns its warnings; errors come back as [`Error::Validation`].
pub fn validate_process(text: &str) -> Result<Vec<Problem>> {
    load_process(text).map(|l| l.warnings)
}

/// Validates a typed process (e.g. one built in Rust code): the shape rules that types cannot
/// express (ids, durations, patterns, kind-specific fields) and every semantic rule.
/// The process is held to the same bounds as text ([`crate::model::limits`]), measured on its JSON
/// form; one over a bound gets only that problem.
pub fn validate(process: &Process, catalog: Option<&dyn ProcessCatalog>) -> Report {
    let document = serde_json::to_value(process).unwrap_or(Value::Null);
    if let Err(p) = limits::check_document(&document, true).and_then(|()| limits::check_process_counts(&document)) {
        limits::dispose(document);
        return Report { errors: vec![p], warnings: Vec::new() };
    }
    let mut errors = Vec::new();
    shape::check(&document, &SCHEMA, &mut errors);
    let mut report = check_document(process, catalog);
    errors.append(&mut report.errors);
    limits::cap_problems(&mut errors);
    limits::cap_problems(&mut report.warnings);
    Report { errors, warnings: report.warnings }
}

/// The semantic pass over a process whose shape is known to be right.
fn check_document(process: &Process, catalog: Option<&dyn ProcessCatalog>) -> Report {
    let raw = serde_json::to_value(process).unwrap_or(Value::Null);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    inputs::check_definitions(&process.inputs, &mut errors);
    if process.phases.is_empty() {
        errors.push(Problem::new("phases", codes::EMPTY, "a process needs at least one phase"));
    }
    let all_phase_nodes: Vec<graph::Node<'_>> = process
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| (path::index("phases", i), p))
        .chain(process.rollback.iter().enumerate().map(|(i, p)| (path::index("rollback", i), p)))
        .map(|(at, p)| graph::Node { id: &p.id, depends_on: &[], at })
        .collect();
    // Ids are unique across regular and rollback phases; dependencies stay within each list.
    graph::check(&all_phase_nodes, "phase", "the process", &mut errors);
    let mut fuzzy_left = hints::MAX_FUZZY_LOOKUPS;
    // For each activity id, the first two phases (with different ids) that have an activity so named.
    let mut activity_phases: HashMap<&str, [Option<&str>; 2]> = HashMap::new();
    for phase in process.phases.iter().chain(&process.rollback) {
        for a in &phase.activities {
            let slots = activity_phases.entry(a.id.as_str()).or_default();
            match slots {
                [None, _] => slots[0] = Some(&phase.id),
                [Some(first), None] if *first != phase.id.as_str() => slots[1] = Some(&phase.id),
                _ => {}
            }
        }
    }
    for (list, phases) in [("phases", &process.phases), ("rollback", &process.rollback)] {
        let nodes: Vec<graph::Node<'_>> = phases
            .iter()
            .enumerate()
            .map(|(i, p)| graph::Node { id: &p.id, depends_on: &p.depends_on, at: path::index(list, i) })
            .collect();
        let (scope, others, why) = if list == "phases" {
            (
                "the process",
                &process.rollback,
                "it is a rollback phase, and regular phases cannot depend on rollback phases",
            )
        } else {
            (
                "the rollback phases",
                &process.phases,
                "it is a regular phase, and rollback phases can only depend on rollback phases",
            )
        };
        let other_ids: HashSet<&str> = others.iter().map(|p| p.id.as_str()).collect();
        let elsewhere = |dep: &str| other_ids.contains(dep).then(|| why.to_string());
        let mut deps = Vec::new();
        graph::check_with(&nodes, "phase", scope, &elsewhere, &mut fuzzy_left, &mut deps);
        errors.extend(deps.into_iter().filter(|p| p.code != codes::DUPLICATE_ID));
        for (i, phase) in phases.iter().enumerate() {
            let at = path::index(list, i);
            locks::check(&phase.locks, &at, true, &mut errors);
            if phase.activities.is_empty() {
                errors.push(Problem::new(
                    path::field(&at, "activities"),
                    codes::EMPTY,
                    format!("phase `{}` has no activities; add at least one", phase.id),
                ));
            }
            let nodes: Vec<graph::Node<'_>> = phase
                .activities
                .iter()
                .enumerate()
                .map(|(j, a)| graph::Node {
                    id: &a.id,
                    depends_on: &a.depends_on,
                    at: path::index(&path::field(&at, "activities"), j),
                })
                .collect();
            // An activity may only depend on siblings; name the phase of an activity found elsewhere.
            let elsewhere = |dep: &str| {
                let other = activity_phases.get(dep)?.iter().flatten().find(|other| **other != phase.id.as_str())?;
                Some(format!(
                    "that is an activity of phase `{other}`; make phase `{}` depend on phase `{other}` instead",
                    phase.id
                ))
            };
            let scope = format!("phase `{}`", phase.id);
            graph::check_with(&nodes, "activity", &scope, &elsewhere, &mut fuzzy_left, &mut errors);
            for (j, a) in phase.activities.iter().enumerate() {
                let aat = path::index(&path::field(&at, "activities"), j);
                let raw_activity = raw
                    .get(list)
                    .and_then(|l| l.get(i))
                    .and_then(|p| p.get("activities"))
                    .and_then(|l| l.get(j))
                    .unwrap_or(&Value::Null);
                activities::check_kind_fields(raw_activity, a.kind, &aat, &mut errors);
                activities::check(a, process, list == "rollback", &aat, &mut errors);
                locks::check(&a.locks, &aat, false, &mut errors);
            }
        }
    }
    expressions::check(process, &mut errors, &mut warnings);
    references::check(process, &mut errors);
    subprocess::check(process, catalog, &mut errors, &mut warnings);
    Report { errors, warnings }
}

#[cfg(test)]
mod tests;

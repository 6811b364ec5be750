//! Subprocess references: the referenced processes exist, never lead back to a process already in
//! the chain, and nest at most [`super::MAX_SUBPROCESS_DEPTH`] levels deep.
//!
//! Cost: each distinct `(process, version)` is looked up in the catalog once per validation, each
//! distinct target of the definition is walked once, and a process found free of problems at some
//! depth is not walked again at that depth or a shallower one (what lies below it cannot hold a
//! problem there either: a cycle below it would have shown as too deep). So the walk visits each
//! process of the catalog at most [`super::MAX_SUBPROCESS_DEPTH`] + 1 times.

use super::{MAX_SUBPROCESS_DEPTH, ProcessCatalog, codes, path};
use crate::Problem;
use crate::model::{ActivityKind, Process};
use std::collections::HashMap;
use std::rc::Rc;

/// Checks every subprocess activity of `process`.
pub fn check(
    process: &Process,
    catalog: Option<&dyn ProcessCatalog>,
    out: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) {
    let mut walker = catalog.map(|catalog| Walker {
        root: process,
        catalog,
        found: HashMap::new(),
        clear_at: HashMap::new(),
        outcome: HashMap::new(),
    });
    for (list, phases) in [("phases", &process.phases), ("rollback", &process.rollback)] {
        for (i, phase) in phases.iter().enumerate() {
            for (j, a) in phase.activities.iter().enumerate() {
                let (ActivityKind::Subprocess, Some(target)) = (a.kind, a.process.as_deref()) else { continue };
                let at = path::field(&path::index(&path::field(&path::index(list, i), "activities"), j), "process");
                if target == process.id {
                    out.push(Problem::new(
                        at,
                        codes::SUBPROCESS_CYCLE,
                        format!(
                            "process `{}` runs itself as a subprocess (activity `{}`); a process cannot contain itself",
                            process.id, a.id
                        ),
                    ));
                    continue;
                }
                let Some(walker) = walker.as_mut() else {
                    warnings.push(Problem::new(at, codes::UNRESOLVED_PROCESS, format!("subprocess `{target}` was not checked: validate through an engine where it is registered to check that it exists and nests at most {MAX_SUBPROCESS_DEPTH} deep")));
                    continue;
                };
                if let Some((code, message)) = walker.check_target(target, a.version) {
                    out.push(Problem::new(at, code, message));
                }
            }
        }
    }
}

type Key = (String, Option<u32>);

struct Walker<'a> {
    root: &'a Process,
    catalog: &'a dyn ProcessCatalog,
    /// Catalog lookups, once each.
    found: HashMap<Key, Option<Rc<Process>>>,
    /// The deepest chain length at which each process was walked and held no problem.
    clear_at: HashMap<Key, usize>,
    /// The outcome for each target of the root.
    outcome: HashMap<Key, Option<(&'static str, String)>>,
}

impl Walker<'_> {
    fn lookup(&mut self, id: &str, version: Option<u32>) -> Option<Rc<Process>> {
        let catalog = self.catalog;
        self.found.entry((id.to_string(), version)).or_insert_with(|| catalog.lookup(id, version).map(Rc::new)).clone()
    }

    /// The problem with running `target` (at `version`) as a subprocess of the root, if any.
    fn check_target(&mut self, target: &str, version: Option<u32>) -> Option<(&'static str, String)> {
        let key = (target.to_string(), version);
        if let Some(known) = self.outcome.get(&key) {
            return known.clone();
        }
        let outcome = match self.lookup(target, version) {
            None => {
                let version = version.map(|v| format!(" version {v}")).unwrap_or_default();
                Some((
                    codes::UNKNOWN_PROCESS,
                    format!(
                        "subprocess process `{target}`{version} is not registered; register it before this process"
                    ),
                ))
            }
            Some(child) => {
                let mut chain = vec![self.root.id.clone(), child.id.clone()];
                self.walk(&child, (target, version), &mut chain)
            }
        };
        self.outcome.insert(key, outcome.clone());
        outcome
    }

    /// Depth-first walk below `current`; `chain` holds the ids from the root to `current`.
    fn walk(
        &mut self,
        current: &Process,
        key: (&str, Option<u32>),
        chain: &mut Vec<String>,
    ) -> Option<(&'static str, String)> {
        if chain.len() - 1 > MAX_SUBPROCESS_DEPTH {
            return Some((
                codes::SUBPROCESS_TOO_DEEP,
                format!(
                    "subprocesses nest {} levels deep ({}); at most {MAX_SUBPROCESS_DEPTH} are allowed",
                    chain.len() - 1,
                    chain.join(" → ")
                ),
            ));
        }
        let clear_key = (key.0.to_string(), key.1);
        if self.clear_at.get(&clear_key).is_some_and(|&depth| depth >= chain.len()) {
            return None;
        }
        for phase in current.phases.iter().chain(&current.rollback) {
            for a in &phase.activities {
                let (ActivityKind::Subprocess, Some(target)) = (a.kind, a.process.as_deref()) else { continue };
                if chain.iter().any(|c| c == target) {
                    return Some((
                        codes::SUBPROCESS_CYCLE,
                        format!("subprocesses lead back to `{target}`: {} → {target}", chain.join(" → ")),
                    ));
                }
                // (The root is always in the chain: a way back to it is a cycle found above.)
                let Some(child) = self.lookup(target, a.version) else { continue };
                chain.push(child.id.clone());
                let found = self.walk(&child, (target, a.version), chain);
                chain.pop();
                if found.is_some() {
                    return found;
                }
            }
        }
        let depth = self.clear_at.entry(clear_key).or_insert(0);
        *depth = (*depth).max(chain.len());
        None
    }
}

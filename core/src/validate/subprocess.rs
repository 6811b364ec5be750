//! Subprocess references: the referenced processes exist, never lead back to a process already in
//! the chain, and nest at most [`super::MAX_SUBPROCESS_DEPTH`] levels deep.

use super::{MAX_SUBPROCESS_DEPTH, ProcessCatalog, codes, path};
use crate::Problem;
use crate::model::{ActivityKind, Process};

/// Checks every subprocess activity of `process`.
pub fn check(
    process: &Process,
    catalog: Option<&dyn ProcessCatalog>,
    out: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) {
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
                let Some(catalog) = catalog else {
                    warnings.push(Problem::new(at, codes::UNRESOLVED_PROCESS, format!("subprocess `{target}` was not checked: validate through an engine where it is registered to check that it exists and nests at most {MAX_SUBPROCESS_DEPTH} deep")));
                    continue;
                };
                let Some(child) = catalog.lookup(target, a.version) else {
                    let version = a.version.map(|v| format!(" version {v}")).unwrap_or_default();
                    out.push(Problem::new(
                        at,
                        codes::UNKNOWN_PROCESS,
                        format!(
                            "subprocess process `{target}`{version} is not registered; register it before this process"
                        ),
                    ));
                    continue;
                };
                let mut chain = vec![process.id.clone(), child.id.clone()];
                if let Some(p) = walk(&child, process, catalog, &mut chain, &at) {
                    out.push(p);
                }
            }
        }
    }
}

/// Depth-first walk below `current`; `chain` holds the ids from the root to `current`.
fn walk(
    current: &Process,
    root: &Process,
    catalog: &dyn ProcessCatalog,
    chain: &mut Vec<String>,
    at: &str,
) -> Option<Problem> {
    if chain.len() - 1 > MAX_SUBPROCESS_DEPTH {
        return Some(Problem::new(
            at,
            codes::SUBPROCESS_TOO_DEEP,
            format!(
                "subprocesses nest {} levels deep ({}); at most {MAX_SUBPROCESS_DEPTH} are allowed",
                chain.len() - 1,
                chain.join(" → ")
            ),
        ));
    }
    for phase in current.phases.iter().chain(&current.rollback) {
        for a in &phase.activities {
            let (ActivityKind::Subprocess, Some(target)) = (a.kind, a.process.as_deref()) else { continue };
            if chain.iter().any(|c| c == target) {
                return Some(Problem::new(
                    at,
                    codes::SUBPROCESS_CYCLE,
                    format!("subprocesses lead back to `{target}`: {} → {target}", chain.join(" → ")),
                ));
            }
            let child = if target == root.id { Some(root.clone()) } else { catalog.lookup(target, a.version) };
            let Some(child) = child else { continue };
            chain.push(child.id.clone());
            let found = walk(&child, root, catalog, chain, at);
            chain.pop();
            if found.is_some() {
                return found;
            }
        }
    }
    None
}

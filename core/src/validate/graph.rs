//! Dependency graphs among siblings (phases of a process, activities of a phase): duplicate ids,
//! unknown dependencies and cycles, in time linear in the nodes and dependencies. A dependency on
//! the first of two nodes with the same id counts as a dependency on that first one.

use super::hints::{self, IdSuggester};
use super::reach::Digraph;
use super::{codes, path};
use crate::Problem;
use std::collections::{HashMap, HashSet};

/// One node of a sibling graph.
pub struct Node<'a> {
    /// The node's id.
    pub id: &'a str,
    /// Its `depends_on` entries.
    pub depends_on: &'a [String],
    /// Its path, e.g. `phases[2]`.
    pub at: String,
}

/// Checks ids and dependencies of siblings. `kind` is `phase` or `activity`; `scope` describes where
/// the siblings live (for messages), e.g. `the process` or `phase \`beta\``.
pub fn check(nodes: &[Node<'_>], kind: &str, scope: &str, out: &mut Vec<Problem>) {
    check_with(nodes, kind, scope, &|_| None, &mut 0, out)
}

/// Like [`check`], with `elsewhere`: for an id that exists but may not be depended on from here,
/// the reason (e.g. a rollback phase seen from a regular phase). `fuzzy_left` rations the "did you
/// mean" lookups (see [`hints`]). Linear in the nodes and dependencies (cycles: [`Digraph`]).
pub fn check_with(
    nodes: &[Node<'_>],
    kind: &str,
    scope: &str,
    elsewhere: &dyn Fn(&str) -> Option<String>,
    fuzzy_left: &mut usize,
    out: &mut Vec<Problem>,
) {
    let kinds = plural(kind);
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        *uses.entry(n.id).or_default() += 1;
        if let Some(&prev) = first.get(n.id) {
            out.push(Problem::new(
                path::field(&n.at, "id"),
                codes::DUPLICATE_ID,
                format!(
                    "{kind} id `{}` is already used by {} in {scope}; {kind} ids must be unique there",
                    n.id, nodes[prev].at
                ),
            ));
        } else {
            first.insert(n.id, i);
        }
    }
    let mut suggester: Option<IdSuggester<'_>> = None;
    for n in nodes {
        let mut seen: HashSet<&str> = HashSet::new();
        for (i, dep) in n.depends_on.iter().enumerate() {
            let at = path::index(&path::field(&n.at, "depends_on"), i);
            if !seen.insert(dep.as_str()) {
                out.push(Problem::new(
                    at,
                    codes::DUPLICATE_NAME,
                    format!("`{dep}` is listed twice in depends_on of {kind} `{}`", n.id),
                ));
                continue;
            }
            if dep == n.id {
                out.push(Problem::new(
                    at,
                    codes::DEPENDENCY_CYCLE,
                    format!("{kind} `{}` depends on itself; remove it from its own depends_on", n.id),
                ));
            } else if !first.contains_key(dep.as_str()) {
                let others = nodes.len() - uses.get(n.id).copied().unwrap_or(0);
                let valid = if others == 0 {
                    format!("there are no other {kinds} there")
                } else {
                    let names = nodes.iter().map(|x| x.id).filter(|k| *k != n.id);
                    let suggester = suggester.get_or_insert_with(|| IdSuggester::new(nodes.iter().map(|x| x.id)));
                    let hint = suggester
                        .suggest(dep, n.id, fuzzy_left)
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    format!("{hint}it may depend on: {}", hints::bounded_list(names, others, false))
                };
                let message = match elsewhere(dep) {
                    Some(why) => format!("{kind} `{}` depends on `{dep}`, but {why}; {valid}", n.id),
                    None => format!(
                        "{kind} `{}` depends on `{dep}`, which is not {article} {kind} of {scope}; {valid}",
                        n.id
                    ),
                };
                out.push(Problem::new(at, codes::UNKNOWN_DEPENDENCY, message));
            }
        }
    }
    let graph = Digraph::new(nodes.len(), |i| {
        nodes[i].depends_on.iter().filter_map(|d| first.get(d.as_str()).copied()).filter(move |&j| j != i)
    });
    for cycle in graph.cycles(&graph.components()) {
        let names: Vec<&str> = cycle.iter().map(|&i| nodes[i].id).collect();
        let start = &nodes[cycle[0]];
        out.push(Problem::new(
            path::field(&start.at, "depends_on"),
            codes::DEPENDENCY_CYCLE,
            format!(
                "dependency cycle among {kinds}: {}; remove one of these dependencies",
                hints::cycle_excerpt(&names)
            ),
        ));
    }
}

fn plural(kind: &str) -> String {
    match kind.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{kind}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes<'a>(spec: &'a [(&'a str, Vec<String>)]) -> Vec<Node<'a>> {
        spec.iter()
            .enumerate()
            .map(|(i, (id, deps))| Node { id, depends_on: deps, at: format!("phases[{i}]") })
            .collect()
    }

    #[test]
    fn names_the_cycle() {
        let spec = vec![
            ("a", vec!["c".to_string()]),
            ("b", vec!["a".to_string()]),
            ("c", vec!["b".to_string()]),
            ("d", vec![]),
        ];
        let mut out = Vec::new();
        check(&nodes(&spec), "phase", "the process", &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].code, codes::DEPENDENCY_CYCLE);
        assert!(out[0].message.contains("a → c → b → a"), "{}", out[0].message);
        assert_eq!(out[0].path, "phases[0].depends_on");
    }

    #[test]
    fn a_long_cycle_is_named_by_an_excerpt_and_unknown_ids_by_a_bounded_list() {
        let n = 10_000;
        let spec: Vec<(String, Vec<String>)> =
            (0..n).map(|i| (format!("p{i}"), vec![format!("p{}", (i + 1) % n)])).collect();
        let mut spec_refs: Vec<(&str, Vec<String>)> = spec.iter().map(|(id, d)| (id.as_str(), d.clone())).collect();
        spec_refs[5].1.push("p-77".to_string());
        let nodes: Vec<Node<'_>> = spec_refs
            .iter()
            .enumerate()
            .map(|(i, (id, deps))| Node { id, depends_on: deps, at: format!("phases[{i}]") })
            .collect();
        let mut out = Vec::new();
        check_with(&nodes, "phase", "the process", &|_| None, &mut 10, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].code, codes::UNKNOWN_DEPENDENCY);
        assert!(out[0].message.contains("did you mean `p77`?"), "{}", out[0].message);
        assert!(out[0].message.ends_with("… (9979 more)"), "{}", out[0].message);
        assert_eq!(out[1].code, codes::DEPENDENCY_CYCLE);
        assert!(out[1].message.contains("p0 → p1 → p2"), "{}", out[1].message);
        assert!(out[1].message.contains("… (9989 more) → p9999 → p0"), "{}", out[1].message);
        assert!(out[1].message.len() < 300);
    }

    #[test]
    fn duplicate_unknown_and_self() {
        let spec = vec![("a", vec!["a".to_string(), "zz".to_string()]), ("a", vec![])];
        let mut out = Vec::new();
        check(&nodes(&spec), "phase", "the process", &mut out);
        let codes: Vec<&str> = out.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, vec![codes::DUPLICATE_ID, codes::DEPENDENCY_CYCLE, codes::UNKNOWN_DEPENDENCY]);
        assert_eq!(out[2].path, "phases[0].depends_on[1]");
    }

    #[test]
    fn acyclic_diamond_is_fine() {
        let spec = vec![
            ("a", vec![]),
            ("b", vec!["a".to_string()]),
            ("c", vec!["a".to_string()]),
            ("d", vec!["b".to_string(), "c".to_string()]),
        ];
        let mut out = Vec::new();
        check(&nodes(&spec), "activity", "phase `x`", &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}

//! Dependency graphs among siblings (phases of a process, activities of a phase): duplicate ids,
//! unknown dependencies and cycles.

use super::{codes, path};
use crate::Problem;
use std::collections::HashMap;

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
    check_with(nodes, kind, scope, &[], out)
}

/// Like [`check`], with `elsewhere`: ids that exist but may not be depended on from here, each with
/// the reason (e.g. a rollback phase seen from a regular phase).
pub fn check_with(nodes: &[Node<'_>], kind: &str, scope: &str, elsewhere: &[(&str, &str)], out: &mut Vec<Problem>) {
    let kinds = plural(kind);
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    let mut first: HashMap<&str, &str> = HashMap::new();
    for n in nodes {
        if let Some(prev) = first.get(n.id) {
            out.push(Problem::new(
                path::field(&n.at, "id"),
                codes::DUPLICATE_ID,
                format!("{kind} id `{}` is already used by {prev} in {scope}; {kind} ids must be unique there", n.id),
            ));
        } else {
            first.insert(n.id, &n.at);
        }
    }
    let known: Vec<&str> = nodes.iter().map(|n| n.id).collect();
    for n in nodes {
        let mut seen: Vec<&str> = Vec::new();
        for (i, dep) in n.depends_on.iter().enumerate() {
            let at = path::index(&path::field(&n.at, "depends_on"), i);
            if seen.contains(&dep.as_str()) {
                out.push(Problem::new(
                    at,
                    codes::DUPLICATE_NAME,
                    format!("`{dep}` is listed twice in depends_on of {kind} `{}`", n.id),
                ));
                continue;
            }
            seen.push(dep);
            if dep == n.id {
                out.push(Problem::new(
                    at,
                    codes::DEPENDENCY_CYCLE,
                    format!("{kind} `{}` depends on itself; remove it from its own depends_on", n.id),
                ));
            } else if !first.contains_key(dep.as_str()) {
                let others: Vec<&str> = known.iter().copied().filter(|k| *k != n.id).collect();
                let valid = if others.is_empty() {
                    format!("there are no other {kinds} there")
                } else {
                    format!("it may depend on: {}", others.join(", "))
                };
                let message = match elsewhere.iter().find(|(id, _)| id == dep) {
                    Some((_, why)) => format!("{kind} `{}` depends on `{dep}`, but {why}; {valid}", n.id),
                    None => format!(
                        "{kind} `{}` depends on `{dep}`, which is not {article} {kind} of {scope}; {valid}",
                        n.id
                    ),
                };
                out.push(Problem::new(at, codes::UNKNOWN_DEPENDENCY, message));
            }
        }
    }
    for cycle in find_cycles(nodes) {
        let names: Vec<&str> = cycle.iter().map(|&i| nodes[i].id).collect();
        let start = &nodes[cycle[0]];
        out.push(Problem::new(
            path::field(&start.at, "depends_on"),
            codes::DEPENDENCY_CYCLE,
            format!(
                "dependency cycle among {kinds}: {} → {}; remove one of these dependencies",
                names.join(" → "),
                names[0]
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

/// Finds one cycle per strongly connected group of nodes (self-loops excluded: reported elsewhere).
/// Each cycle is a list of node indexes in dependency order, starting from the earliest-defined node.
fn find_cycles(nodes: &[Node<'_>]) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = nodes.iter().enumerate().rev().map(|(i, n)| (n.id, i)).collect();
    let edges: Vec<Vec<usize>> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| n.depends_on.iter().filter_map(|d| index.get(d.as_str()).copied()).filter(|&j| j != i).collect())
        .collect();
    // 0 = unvisited, 1 = on stack, 2 = done
    let mut state = vec![0u8; nodes.len()];
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    let mut in_cycle = vec![false; nodes.len()];
    for root in 0..nodes.len() {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < edges[node].len() {
                let to = edges[node][*next];
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let cycle: Vec<usize> = stack[pos..].iter().map(|(n, _)| *n).collect();
                        if !cycle.iter().any(|&n| in_cycle[n]) {
                            cycle.iter().for_each(|&n| in_cycle[n] = true);
                            cycles.push(rotate_to_first(cycle));
                        }
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    cycles
}

fn rotate_to_first(mut cycle: Vec<usize>) -> Vec<usize> {
    let min_pos = cycle.iter().enumerate().min_by_key(|(_, n)| **n).map(|(i, _)| i).unwrap_or(0);
    cycle.rotate_left(min_pos);
    cycle
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

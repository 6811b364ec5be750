//! Setting aside what the shape pass rejected, so the semantic pass can still run on the rest.

use super::codes;
use crate::Problem;
use crate::model::Process;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// One step of a problem path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Parses the paths this crate produces (`a.b[2]["odd key"]`).
fn steps(path: &str) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        }
        if let Some(r) = rest.strip_prefix("[\"") {
            // a quoted key, JSON-escaped
            let mut de = serde_json::Deserializer::from_str(&rest[1..]).into_iter::<String>();
            let key = de.next()?.ok()?;
            let used = de.byte_offset();
            out.push(Step::Key(key));
            rest = r.get(used - 1..)?.strip_prefix(']')?;
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Step::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Step::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    Some(out)
}

/// The value at `steps` inside `doc`, if there is one.
fn node_at<'d>(doc: &'d mut Value, steps: &[Step]) -> Option<&'d mut Value> {
    let mut node = Some(doc);
    for s in steps {
        node = match (node, s) {
            (Some(n), Step::Key(k)) => n.get_mut(k.as_str()),
            (Some(n), Step::Index(i)) => n.get_mut(*i),
            (None, _) => None,
        };
    }
    node
}

/// What a set-aside value hides from the semantic pass.
#[derive(Debug, Clone)]
pub struct SetAside {
    /// The path set aside.
    pub path: String,
    /// Keep the graph problems (ids, dependencies) found inside it: set when only an activity's
    /// `kind` was replaced, so its id and dependencies are still checked.
    pub keep_graph: bool,
}

const STAND_IN_PREFIX: &str = "set-aside-";

/// A valid stand-in for a required field of the model that was wrong or missing, and whether the
/// object holding it (true) or only the field (false) is set aside.
fn stand_in(key: &str, original: Option<&Value>, n: usize) -> Option<(Value, bool)> {
    match key {
        "id" => {
            let text = match original {
                Some(Value::Number(x)) => x.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                _ => format!("{STAND_IN_PREFIX}{n}"),
            };
            Some((Value::from(text), true))
        }
        "kind" => Some((Value::from("manual"), true)),
        "type" => Some((Value::from("string"), true)),
        "max_attempts" => Some((Value::from(1), true)),
        "phases" | "activities" => Some((Value::Array(Vec::new()), false)),
        _ => None,
    }
}

/// The semantic problems that no set-aside value hides: a problem is hidden when its path lies
/// within a set-aside path (unless only a `kind` was replaced and it is a graph problem), or when it
/// mentions a stand-in id. Looks each problem's path and the paths
/// that contain it up in an index, so the cost is linear in the problems, not their product with
/// the values set aside.
pub fn not_hidden(set_aside: &[SetAside], problems: Vec<Problem>) -> Vec<Problem> {
    if set_aside.is_empty() {
        return problems;
    }
    // Per path: whether graph problems inside it are kept (only if every entry for it keeps them).
    let mut keeps_graph: HashMap<&str, bool> = HashMap::new();
    for s in set_aside {
        keeps_graph.entry(s.path.as_str()).and_modify(|k| *k &= s.keep_graph).or_insert(s.keep_graph);
    }
    problems
        .into_iter()
        .filter(|p| {
            if p.message.contains(STAND_IN_PREFIX) {
                return false;
            }
            let graph = is_graph_problem(p);
            let hidden_by = |prefix: &str| keeps_graph.get(prefix).is_some_and(|keep| !(*keep && graph));
            let bytes = p.path.as_bytes();
            !(hidden_by(&p.path)
                || (0..bytes.len()).any(|i| matches!(bytes[i], b'.' | b'[') && hidden_by(&p.path[..i])))
        })
        .collect()
}

fn is_graph_problem(problem: &Problem) -> bool {
    matches!(
        problem.code.as_str(),
        codes::DUPLICATE_ID | codes::UNKNOWN_DEPENDENCY | codes::DEPENDENCY_CYCLE | codes::DUPLICATE_NAME
    )
}

/// Removes (or stands in for) the values the shape pass rejected and tries to read a process from
/// what is left. Returns the process (if that worked) and what was set aside.
pub fn without_rejected(document: &Value, problems: &[Problem]) -> (Option<Process>, Vec<SetAside>) {
    let mut doc = document.clone();
    let mut set_aside = Vec::new();
    // Unknown and rejected fields are removed in one pass per mapping at the end (removing them one
    // by one from a large mapping would cost its length each time).
    let mut removals: HashMap<String, (Vec<Step>, HashSet<String>)> = HashMap::new();
    for p in problems {
        let fixable = matches!(
            p.code.as_str(),
            codes::UNKNOWN_FIELD
                | codes::WRONG_TYPE
                | codes::INVALID_VALUE
                | codes::BAD_DURATION
                | codes::MISSING_FIELD
        );
        if !fixable {
            continue;
        }
        let Some(steps) = steps(&p.path) else { continue };
        let Some((Step::Key(last), parents)) = steps.split_last() else { continue };
        let Some(map) = node_at(&mut doc, parents).and_then(Value::as_object_mut) else { continue };
        let parent = p.path.strip_suffix(last.as_str()).map(|s| s.trim_end_matches('.')).unwrap_or("").to_string();
        // Unknown fields are removed whatever their name; known required fields get a stand-in.
        let replacement =
            if p.code == codes::UNKNOWN_FIELD { None } else { stand_in(last, map.get(last.as_str()), set_aside.len()) };
        match replacement {
            Some((value, whole_object)) => {
                map.insert(last.clone(), value);
                let keep_graph = last == "kind";
                set_aside.push(SetAside { path: if whole_object { parent } else { p.path.clone() }, keep_graph });
            }
            None if map.contains_key(last.as_str()) => {
                let (_, keys) = removals.entry(parent).or_insert_with(|| (parents.to_vec(), HashSet::new()));
                if keys.insert(last.clone()) {
                    set_aside.push(SetAside { path: p.path.clone(), keep_graph: false });
                }
            }
            None => {}
        }
    }
    for (steps, keys) in removals.into_values() {
        if let Some(map) = node_at(&mut doc, &steps).and_then(Value::as_object_mut) {
            map.retain(|k, _| !keys.contains(k));
        }
    }
    (serde_json::from_value::<Process>(doc).ok(), set_aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths_back() {
        assert_eq!(
            steps("phases[2].activities[0].depends_on[1]").unwrap(),
            vec![
                Step::Key("phases".into()),
                Step::Index(2),
                Step::Key("activities".into()),
                Step::Index(0),
                Step::Key("depends_on".into()),
                Step::Index(1)
            ]
        );
        assert_eq!(
            steps("inputs[\"a b\"].type").unwrap(),
            vec![Step::Key("inputs".into()), Step::Key("a b".into()), Step::Key("type".into())]
        );
    }

    #[test]
    fn set_aside_paths_hide_what_lies_within_them() {
        let aside = [
            SetAside { path: "phases[1]".into(), keep_graph: false },
            SetAside { path: "phases[2]".into(), keep_graph: true },
            SetAside { path: "".into(), keep_graph: false },
        ];
        let p = |path: &str, code: &str| Problem::new(path, code, "m");
        let kept = not_hidden(
            &aside,
            vec![
                p("phases[1].id", codes::EMPTY),
                p("phases[10]", codes::EMPTY),
                p("phases[1]", codes::EMPTY),
                p("phases[2].depends_on[0]", codes::UNKNOWN_DEPENDENCY),
                p("phases[2].x", codes::EMPTY),
                p("", codes::EMPTY),
                p("id", codes::EMPTY),
            ],
        );
        let paths: Vec<&str> = kept.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["phases[10]", "phases[2].depends_on[0]", "id"]);
    }
}

//! Setting aside what the shape pass rejected, so the semantic pass can still run on the rest.

use super::codes;
use crate::Problem;
use crate::model::Process;
use serde_json::Value;

/// One step of a problem path.
#[derive(Debug, PartialEq)]
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

/// What a set-aside value hides from the semantic pass.
#[derive(Debug, Clone)]
pub struct SetAside {
    /// The path set aside.
    pub path: String,
    /// Keep the graph problems (ids, dependencies) found inside it: set when only an activity's
    /// `kind` was replaced, so its id and dependencies are still checked.
    pub keep_graph: bool,
}

impl SetAside {
    /// Whether a semantic problem is hidden by this set-aside value.
    pub fn hides(&self, problem: &Problem) -> bool {
        let graph = matches!(
            problem.code.as_str(),
            codes::DUPLICATE_ID | codes::UNKNOWN_DEPENDENCY | codes::DEPENDENCY_CYCLE | codes::DUPLICATE_NAME
        );
        (is_within(&problem.path, &self.path) && !(self.keep_graph && graph))
            || problem.message.contains(STAND_IN_PREFIX)
    }
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

/// Whether `path` is `prefix` or lies inside it.
pub fn is_within(path: &str, prefix: &str) -> bool {
    path == prefix || (path.starts_with(prefix) && matches!(path.as_bytes().get(prefix.len()), Some(b'.' | b'[')))
}

/// Removes (or stands in for) the values the shape pass rejected and tries to read a process from
/// what is left. Returns the process (if that worked) and what was set aside.
pub fn without_rejected(document: &Value, problems: &[Problem]) -> (Option<Process>, Vec<SetAside>) {
    let mut doc = document.clone();
    let mut set_aside = Vec::new();
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
        let mut node = Some(&mut doc);
        for s in parents {
            node = match (node, s) {
                (Some(n), Step::Key(k)) => n.get_mut(k.as_str()),
                (Some(n), Step::Index(i)) => n.get_mut(*i),
                (None, _) => None,
            };
        }
        let Some(map) = node.and_then(Value::as_object_mut) else { continue };
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
            None if map.shift_remove(last.as_str()).is_some() => {
                set_aside.push(SetAside { path: p.path.clone(), keep_graph: false });
            }
            None => {}
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
    fn within() {
        assert!(is_within("phases[1].id", "phases[1]"));
        assert!(!is_within("phases[10]", "phases[1]"));
        assert!(is_within("a", "a"));
    }
}

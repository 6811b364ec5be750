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

/// A valid stand-in for a required field of the model (`id`, `kind`, `type`, `name`, `max_attempts`).
fn placeholder(key: &str, n: usize) -> Option<Value> {
    match key {
        "id" => Some(Value::from(format!("set-aside-{n}"))),
        "kind" => Some(Value::from("manual")),
        "type" => Some(Value::from("string")),
        "name" => None,
        "max_attempts" => Some(Value::from(1)),
        _ => None,
    }
}

/// Whether `path` is `prefix` or lies inside it.
pub fn is_within(path: &str, prefix: &str) -> bool {
    path == prefix || (path.starts_with(prefix) && matches!(path.as_bytes().get(prefix.len()), Some(b'.' | b'[')))
}

/// Removes the values the shape pass rejected and tries to read a process from what is left.
/// Returns the process (if that worked) and the paths that were set aside.
pub fn without_rejected(document: &Value, problems: &[Problem]) -> (Option<Process>, Vec<String>) {
    let mut doc = document.clone();
    let mut set_aside = Vec::new();
    for p in problems {
        if !matches!(
            p.code.as_str(),
            codes::UNKNOWN_FIELD | codes::WRONG_TYPE | codes::INVALID_VALUE | codes::BAD_DURATION
        ) {
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
        if !map.contains_key(last.as_str()) {
            continue;
        }
        // Required fields get a harmless stand-in, and the whole object they sit in is set aside;
        // optional fields are simply removed.
        match placeholder(last, set_aside.len()) {
            Some(stand_in) => {
                map.insert(last.clone(), stand_in);
                let parent = &p.path[..p.path.len() - last.len() - 1];
                set_aside.push(parent.to_string());
            }
            None => {
                map.shift_remove(last.as_str());
                set_aside.push(p.path.clone());
            }
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

//! JSON-path-like locations: `phases[2].activities[0].depends_on[1]`, `inputs.releaseVersion`.

/// Appends a field (or map key) to a path. Keys that are not plain identifiers are quoted:
/// `with["my key"]`.
pub fn field(path: &str, name: &str) -> String {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => name.to_string(),
        (false, true) => format!("{path}.{name}"),
        (_, false) => format!("{path}[{}]", serde_json::Value::String(name.to_string())),
    }
}

/// Appends a list index to a path.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths() {
        assert_eq!(index(&field(&index(&field("", "phases"), 2), "activities"), 0), "phases[2].activities[0]");
        assert_eq!(field("inputs", "release version"), "inputs[\"release version\"]");
        assert_eq!(field("", "id"), "id");
    }
}

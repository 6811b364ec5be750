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

/// A path built one step at a time on the stack, written out only when a problem needs it: walking
/// a large value costs nothing per node for its paths.
#[derive(Clone, Copy)]
pub enum At<'p> {
    /// A path written out already.
    Root(&'p str),
    /// A field (or map key) of the path before it.
    Field(&'p At<'p>, &'p str),
    /// A list index of the path before it.
    Index(&'p At<'p>, usize),
}

impl At<'_> {
    /// The path as text, e.g. `phases[0].with.argv[2]`.
    pub fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut at = self;
        let root = loop {
            match at {
                At::Root(r) => break *r,
                At::Field(parent, _) | At::Index(parent, _) => {
                    steps.push(at);
                    at = parent;
                }
            }
        };
        steps.iter().rev().fold(root.to_string(), |path, step| match step {
            At::Field(_, name) => field(&path, name),
            At::Index(_, i) => index(&path, *i),
            At::Root(_) => path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths() {
        assert_eq!(index(&field(&index(&field("", "phases"), 2), "activities"), 0), "phases[2].activities[0]");
        assert_eq!(field("inputs", "release version"), "inputs[\"release version\"]");
        assert_eq!(field("", "id"), "id");
        let root = At::Root("phases[0]");
        let with = At::Field(&root, "with");
        let key = At::Field(&with, "a b");
        assert_eq!(At::Index(&key, 3).render(), "phases[0].with[\"a b\"][3]");
    }
}

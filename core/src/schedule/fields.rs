//! Reading a definition document (a JSON object) field by field, so that every malformed field is
//! reported at once instead of stopping at the first, as a single serde pass would.

use super::codes;
use crate::Problem;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A JSON object being read field by field, collecting problems.
pub(crate) struct Fields<'a> {
    object: Option<&'a Map<String, Value>>,
    known: &'static [&'static str],
    /// Problems found so far.
    pub problems: Vec<Problem>,
    /// Fields that failed to read (their semantic checks are skipped).
    pub failed: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    /// Starts reading `value`, which must be an object with only `known` fields.
    pub fn new(value: &'a Value, what: &str, known: &'static [&'static str]) -> Self {
        let mut problems = Vec::new();
        let object = value.as_object();
        match object {
            None => problems.push(Problem::new(
                "",
                codes::WRONG_TYPE,
                format!("a {what} is a mapping of fields ({})", known.join(", ")),
            )),
            Some(map) => {
                for key in map.keys() {
                    if !known.contains(&key.as_str()) {
                        problems.push(Problem::new(
                            key.as_str(),
                            codes::UNKNOWN_FIELD,
                            format!("a {what} has no field `{key}`; its fields are: {}", known.join(", ")),
                        ));
                    }
                }
            }
        }
        Fields { object, known, problems, failed: Vec::new() }
    }

    fn key(&self, name: &str) -> &'static str {
        self.known.iter().find(|k| **k == name).copied().unwrap_or("")
    }

    /// Reads an optional field (absent or `null` → `None`).
    pub fn optional<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let value = self.object?.get(name)?;
        if value.is_null() {
            return None;
        }
        match serde_json::from_value::<T>(value.clone()) {
            Ok(v) => Some(v),
            Err(e) => {
                let code =
                    if e.to_string().contains("invalid type") { codes::WRONG_TYPE } else { codes::INVALID_VALUE };
                self.problems.push(Problem::new(name, code, e.to_string()));
                self.failed.push(self.key(name));
                None
            }
        }
    }

    /// Reads a required field, recording `missing_field` (with `example`) when it is absent.
    pub fn required<T: DeserializeOwned>(&mut self, name: &str, example: &str) -> Option<T> {
        let present = self.object.is_some_and(|o| o.get(name).is_some_and(|v| !v.is_null()));
        if self.object.is_some() && !present {
            self.problems.push(Problem::new(
                name,
                codes::MISSING_FIELD,
                format!("`{name}` is required, e.g. {example}"),
            ));
            self.failed.push(self.key(name));
            return None;
        }
        if self.object.is_none() {
            self.failed.push(self.key(name));
        }
        self.optional(name)
    }

    /// Adds the semantic `problems`, except those under a field that already failed to read.
    pub fn finish(mut self, problems: Vec<Problem>) -> Vec<Problem> {
        let failed = std::mem::take(&mut self.failed);
        self.problems.extend(problems.into_iter().filter(|p| {
            let head = p.path.split(['.', '[']).next().unwrap_or("");
            !failed.contains(&head)
        }));
        self.problems
    }
}

/// The problems of a document's `id` (an id, like `id_example`) and `name` (not blank, like
/// `name_example`); `what` is the kind of document (`freeze`, `group`).
pub(crate) fn id_and_name_problems(
    what: &str,
    id: &str,
    name: &str,
    id_example: &str,
    name_example: &str,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !crate::validate::is_id(id) {
        problems.push(Problem::new(
            "id",
            codes::BAD_ID,
            format!("`{id}` is not an id; use [a-z0-9][a-z0-9-_]{{0,63}}, e.g. `{id_example}`"),
        ));
    }
    if name.trim().is_empty() {
        problems.push(Problem::new(
            "name",
            codes::MISSING_FIELD,
            format!("a {what} needs a name, e.g. `{name_example}`"),
        ));
    }
    problems
}

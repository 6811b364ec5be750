//! Turning definition text (YAML or JSON) into a generic document and into typed definitions.

use crate::validate::codes;
use crate::{Error, Problem, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Largest definition text accepted (4 MiB): protects the parser from pathological documents.
pub const MAX_DEFINITION_BYTES: usize = 4 * 1024 * 1024;

/// Parses YAML or JSON text into a generic JSON value. JSON is recognised by a leading `{`; anything
/// else is parsed as YAML (of which JSON is a subset). Malformed text gives one `syntax` problem with
/// the line and column the parser stopped at.
pub fn parse_document(text: &str) -> Result<Value> {
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(Error::Validation {
            problems: vec![Problem::new(
                "",
                codes::SYNTAX,
                format!("the definition is {} bytes; at most {MAX_DEFINITION_BYTES} bytes are accepted", text.len()),
            )],
        });
    }
    if text.trim_start().starts_with('{') {
        return serde_json::from_str::<Value>(text).map_err(|e| {
            let line = e.line() as u32;
            let column = e.column() as u32;
            syntax_error(format!("malformed JSON: {e}"), Some((line, column)))
        });
    }
    // YAML 1.2 booleans only: `y`, `on`, `yes` stay strings (ids and cadence days use them).
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.with_snippet = false;
    let value: Value = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let at = e.location().map(|l| (l.line() as u32, l.column() as u32));
        let msg = e.to_string();
        syntax_error(format!("malformed YAML: {}", first_line(&msg)), at)
    })?;
    if value.is_null() {
        return Err(syntax_error(
            "the definition is empty; expected a mapping with at least `id` and `phases`".to_string(),
            Some((1, 1)),
        ));
    }
    Ok(value)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn syntax_error(message: String, at: Option<(u32, u32)>) -> Error {
    let mut p = Problem::new("", codes::SYNTAX, message);
    if let Some((l, c)) = at {
        p = p.at(l, c);
    }
    Error::Validation { problems: vec![p] }
}

/// Deserializes a typed definition from a generic document. Used after the shape check has passed,
/// so failures here are unexpected; they are still reported as a `validation` error, never a panic.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value)
        .map_err(|e| Error::Validation { problems: vec![Problem::new("", codes::WRONG_TYPE, e.to_string())] })
}

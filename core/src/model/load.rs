//! Turning definition text (YAML or JSON) into a generic document and into typed definitions,
//! within the bounds of [`super::limits`] (the same for text and for values).

use super::limits::{self, MAX_DEFINITION_BYTES, MAX_DEPTH, MAX_KEY_BYTES, MAX_NODES, MAX_YAML_ALIAS_EVENTS};
use crate::validate::codes;
use crate::{Error, Problem, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Parses YAML or JSON text into a generic JSON value. JSON is recognised by a leading `{`; anything
/// else is parsed as YAML (of which JSON is a subset). Malformed text gives one `syntax` problem with
/// the line and column the parser stopped at; a key written twice in one mapping gives a
/// `duplicate_key` problem (in JSON, one per repeat, with its path); a document over a bound of
/// [`super::limits`] gives the bound's problem.
pub fn parse_document(text: &str) -> Result<Value> {
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(Error::Validation { problems: vec![limits::text_too_large(text.len())] });
    }
    let value = if text.trim_start().starts_with('{') { parse_json(text)? } else { parse_yaml(text)? };
    if let Err(p) = limits::check_document(&value, false) {
        limits::dispose(value);
        return Err(Error::Validation { problems: vec![p] });
    }
    if value.is_object() && text.trim_start().starts_with('{') {
        let mut duplicates = super::json_scan::duplicate_keys(text);
        if !duplicates.is_empty() {
            limits::cap_problems(&mut duplicates);
            return Err(Error::Validation { problems: duplicates });
        }
    }
    Ok(value)
}

fn parse_json(text: &str) -> Result<Value> {
    serde_json::from_str::<Value>(text).map_err(|e| {
        let at = Some((e.line() as u32, e.column() as u32));
        // serde_json stops at 128 levels, past our own bound: report that bound where it was passed,
        // as for a value.
        if e.to_string().starts_with("recursion limit exceeded") {
            return match super::json_scan::too_deep(text) {
                Some((path, line, column)) => {
                    Error::Validation { problems: vec![limits::too_deep_problem(path).at(line, column)] }
                }
                None => problem_error(codes::TOO_DEEP, too_deep_message(), at),
            };
        }
        problem_error(codes::SYNTAX, format!("malformed JSON: {e}"), at)
    })
}

fn parse_yaml(text: &str) -> Result<Value> {
    // YAML 1.2 booleans only: `y`, `on`, `yes` stay strings (ids and cadence days use them).
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.with_snippet = false;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    // Every node is one event, every list and mapping one more (its end), plus the stream's own.
    budget.max_events = 2 * MAX_NODES + 16;
    // Aliases are replayed event by event: cap the replay well below the node bound so an alias
    // bomb is refused in a fraction of a second.
    budget.max_recorded_anchor_events = MAX_YAML_ALIAS_EVENTS;
    // Without aliases the scalars of a text fit in the text; with them, they may not pass the same bound.
    budget.max_total_scalar_bytes = MAX_DEFINITION_BYTES;
    // A key may be as long as a key is allowed to be, even with every character escaped.
    budget.simple_key_max_lookahead = 6 * MAX_KEY_BYTES + 16;
    options.budget = Some(budget);
    let value: Value = serde_saphyr::from_str_with_options(text, options).map_err(yaml_error)?;
    if value.is_null() {
        return Err(problem_error(
            codes::SYNTAX,
            "the definition is empty; expected a mapping with at least `id` and `phases`".to_string(),
            Some((1, 1)),
        ));
    }
    Ok(value)
}

/// A YAML parser error as a problem: a budget breach is the bound it passed, a repeated key is
/// `duplicate_key`, anything else `syntax`.
fn yaml_error(e: serde_saphyr::Error) -> Error {
    use serde_saphyr::budget::BudgetBreach as B;
    let at = e.location().map(|l| (l.line() as u32, l.column() as u32));
    let root = without_snippet(&e);
    match root {
        serde_saphyr::Error::Budget { breach, .. } => {
            let (code, message) = match breach {
                B::Depth { .. } => (
                    codes::TOO_DEEP,
                    format!(
                        "lists and mappings are nested more than {MAX_DEPTH} levels deep; at most {MAX_DEPTH} levels are accepted"
                    ),
                ),
                B::ScalarBytes { .. } | B::RecordedAnchorBytes { .. } => (
                    codes::TOO_LARGE,
                    format!(
                        "the definition expands (through YAML aliases) to more than {MAX_DEFINITION_BYTES} bytes of text; at most {MAX_DEFINITION_BYTES} bytes (4 MiB) are accepted"
                    ),
                ),
                other => (
                    codes::TOO_MANY_NODES,
                    format!(
                        "the definition holds more than {MAX_NODES} values once YAML aliases are expanded ({other:?}); at most {MAX_NODES} are accepted"
                    ),
                ),
            };
            problem_error(code, message, at)
        }
        serde_saphyr::Error::DuplicateMappingKey { key, .. } => {
            let name = key.as_deref().map(|k| format!("`{k}`")).unwrap_or_else(|| "a key".to_string());
            problem_error(
                codes::DUPLICATE_KEY,
                format!(
                    "{name} is written twice in one mapping; the second would silently replace the first: keep one"
                ),
                at,
            )
        }
        _ => {
            let msg = e.to_string();
            // The scanner's own stop for nested `[`/`{` (set to the same bound) has no variant of its own.
            if msg.contains("recursion limit exceeded") {
                return problem_error(codes::TOO_DEEP, too_deep_message(), at);
            }
            problem_error(codes::SYNTAX, format!("malformed YAML: {}", first_line(&msg)), at)
        }
    }
}

/// The error inside the wrappers that only add a snippet of the text or the alias it came through.
fn without_snippet(e: &serde_saphyr::Error) -> &serde_saphyr::Error {
    let mut e = e;
    while let serde_saphyr::Error::WithSnippet { error, .. } | serde_saphyr::Error::AliasError { error, .. } = e {
        e = error;
    }
    e
}

fn too_deep_message() -> String {
    format!("lists and mappings are nested more than {MAX_DEPTH} levels deep; at most {MAX_DEPTH} levels are accepted")
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn problem_error(code: &str, message: String, at: Option<(u32, u32)>) -> Error {
    let mut p = Problem::new("", code, message);
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

//! Bounds on what callers and executors hand to the engine, so that every event stays small enough
//! to store, load and show, whatever the caller sends.
//!
//! | what | bound | checked when | refusal |
//! |---|---|---|---|
//! | a map of values handed in: release inputs (create, update, input sets), manual field values, `retry` inputs, `ignore` outputs | [`MAX_VALUE_BYTES`] as JSON, [`MAX_VALUE_DEPTH`] levels of nesting | before deciding | `invalid_input`, code `too_large` / `too_deep`, at the value's path |
//! | an executor's outputs, a child release's outputs | the same | when the outcome is recorded | the attempt fails (not retried): "outputs exceed …" |
//! | a failure message from an executor | [`MAX_MESSAGE_BYTES`] | when the outcome is recorded | cut to the bound (after secrets are redacted), marked `…[cut]` |
//! | a comment or reason given with a command, a release name | [`MAX_MESSAGE_BYTES`], [`MAX_NAME_BYTES`] | before deciding | `invalid_input`, code `too_large` |
//! | release metadata: labels, description, version, links (create, update) | [`MAX_LABELS`] labels, keys [`MAX_LABEL_KEY_BYTES`] (lowercase letters, digits, `.` `_` `-` `/`), values [`MAX_LABEL_VALUE_BYTES`]; [`MAX_DESCRIPTION_BYTES`]; [`MAX_VERSION_BYTES`]; [`MAX_LINKS`] links, urls [`MAX_URL_BYTES`], titles [`MAX_NAME_BYTES`] | before deciding | `invalid_input`, code `too_large` / `invalid_value`, at `labels.<key>`, `description`, `version`, `links[i].url` |
//! | the `limit` of an inbox, the `page_size` of a search | 1 ..= [`MAX_PAGE_SIZE`] | before reading | `invalid_input`, code `invalid_value`, at `limit` / `page_size` |
//! | a rendered `with:`, phase output or set of variables | [`crate::expr::MAX_RENDERED_BYTES`] | while rendering | the activity fails with `expression_error` |
//!
//! The depth bound keeps every stored document (an event, a snapshot) well inside what the JSON
//! reader accepts, with room for the envelope around the value.

use crate::Problem;
use serde_json::Value;

/// The largest map of values handed in at once, measured as compact JSON (1 MiB).
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// The deepest nesting of lists and maps in a value handed in.
pub const MAX_VALUE_DEPTH: usize = 100;

/// The longest message, comment or reason (64 KiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The longest release name (1 KiB).
pub const MAX_NAME_BYTES: usize = 1024;

/// The most labels on a release.
pub const MAX_LABELS: usize = 64;

/// The longest label key (63 bytes: lowercase letters, digits, `.`, `_`, `-`, `/`).
pub const MAX_LABEL_KEY_BYTES: usize = 63;

/// The longest label value (256 bytes).
pub const MAX_LABEL_VALUE_BYTES: usize = 256;

/// The longest release description (16 KiB).
pub const MAX_DESCRIPTION_BYTES: usize = 16 * 1024;

/// The longest release version (128 bytes).
pub const MAX_VERSION_BYTES: usize = 128;

/// The most links on a release.
pub const MAX_LINKS: usize = 64;

/// The longest link url (2 KiB).
pub const MAX_URL_BYTES: usize = 2048;

/// The most items one inbox read or one search page returns.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Checks a page size (`limit` of an inbox, `page_size` of a search): `invalid_input` naming
/// `what` unless it is 1 ..= [`MAX_PAGE_SIZE`].
pub fn check_page_size(what: &str, n: usize) -> crate::Result<()> {
    if (1..=MAX_PAGE_SIZE).contains(&n) {
        return Ok(());
    }
    Err(crate::Error::InvalidInput {
        problems: vec![Problem::new(
            what,
            crate::validate::codes::INVALID_VALUE,
            format!("{n} is out of range: give 1 to {MAX_PAGE_SIZE}"),
        )],
    })
}

/// Checks a value against [`MAX_VALUE_BYTES`] and [`MAX_VALUE_DEPTH`] without recursion, stopping
/// as soon as a bound is passed. `size_so_far` is what the caller has counted already (for a map
/// checked entry by entry); the new total is returned.
pub fn check_value(path: &str, value: &Value, size_so_far: usize, problems: &mut Vec<Problem>) -> usize {
    let mut size = size_so_far;
    // Each entry: a value and how many lists and maps enclose it.
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((v, enclosing)) = stack.pop() {
        let depth = enclosing + usize::from(v.is_array() || v.is_object());
        if depth > MAX_VALUE_DEPTH {
            problems.push(Problem::new(
                path,
                "too_deep",
                format!("this value nests lists and maps more than {MAX_VALUE_DEPTH} levels deep"),
            ));
            return size;
        }
        size += match v {
            Value::Null => 4,
            Value::Bool(_) => 5,
            Value::Number(n) => n.to_string().len(),
            Value::String(s) => s.len() + 2,
            Value::Array(items) => {
                stack.extend(items.iter().map(|i| (i, depth)));
                items.len() + 1
            }
            Value::Object(m) => {
                stack.extend(m.values().map(|i| (i, depth)));
                m.keys().map(|k| k.len() + 4).sum::<usize>() + 1
            }
        };
        if size > MAX_VALUE_BYTES {
            problems.push(Problem::new(
                path,
                "too_large",
                format!("the values handed in at once may be at most {} KiB as JSON", MAX_VALUE_BYTES / 1024),
            ));
            return size;
        }
    }
    size
}

/// Checks every value of a map handed in (its total size and each value's depth); the problems
/// name `<prefix>.<key>`.
pub fn check_map<'a>(
    prefix: &str,
    map: impl IntoIterator<Item = (&'a String, &'a Value)>,
    problems: &mut Vec<Problem>,
) {
    let mut size = 0;
    for (k, v) in map {
        let before = problems.len();
        size = check_value(&crate::validate::path::field(prefix, k), v, size + k.len() + 4, problems);
        if problems.len() > before && problems.last().is_some_and(|p| p.code == "too_large") {
            return;
        }
    }
}

/// Checks a text's length.
pub fn check_text(path: &str, text: &str, max: usize, problems: &mut Vec<Problem>) {
    if text.len() > max {
        problems.push(Problem::new(
            path,
            "too_large",
            format!("this text is {} bytes long; at most {max} are allowed", text.len()),
        ));
    }
}

/// Cuts a message to [`MAX_MESSAGE_BYTES`] at a character boundary, marking the cut.
pub fn cut_message(message: String) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let mut end = MAX_MESSAGE_BYTES - 16;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[cut]", &message[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deep(n: usize) -> Value {
        let mut v = json!([1]);
        for _ in 1..n {
            v = json!([v]);
        }
        v
    }

    #[test]
    fn bounds_hold_for_deep_wide_and_long_values() {
        let mut p = Vec::new();
        check_value("inputs.a", &deep(MAX_VALUE_DEPTH), 0, &mut p);
        assert!(p.is_empty(), "{p:?}");
        check_value("inputs.a", &deep(MAX_VALUE_DEPTH + 1), 0, &mut p);
        assert_eq!((p[0].path.as_str(), p[0].code.as_str()), ("inputs.a", "too_deep"));
        let mut p = Vec::new();
        let wide: serde_json::Map<String, Value> =
            (0..20_000).map(|i| (format!("k{i}"), json!("x".repeat(64)))).collect();
        check_map("values", &wide, &mut p);
        assert_eq!(p.len(), 1, "one problem, found early: {p:?}");
        assert_eq!(p[0].code, "too_large");
        let cut = cut_message("é".repeat(MAX_MESSAGE_BYTES));
        assert!(cut.len() <= MAX_MESSAGE_BYTES && cut.ends_with("…[cut]"));
    }
}

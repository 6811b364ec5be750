//! A scan of JSON text that knows where it is (path, line, column) without building a value:
//!
//! * keys written twice in one object: serde_json keeps the last of them without a word; the
//!   definition format refuses them (as it does in YAML), each repeat with its path, line and
//!   column, so an author sees every one at once;
//! * the first list or mapping nested deeper than [`MAX_DEPTH`], so text too deep for serde_json
//!   (which stops at 128 levels) is refused with the same problem, at the same path, as a value.

use super::limits::{MAX_DEPTH, MAX_PROBLEMS};
use crate::Problem;
use crate::validate::{codes, path};
use std::collections::HashMap;

/// One open object or array of the text.
enum Frame {
    Object {
        /// The keys seen so far, with where each was first written.
        keys: HashMap<String, (u32, u32)>,
        /// The key of the value being read.
        key: Option<String>,
        /// Whether the next string is a key.
        expect_key: bool,
    },
    Array {
        index: usize,
    },
}

/// What the scan meets.
enum Event<'t> {
    /// A list or mapping opens (its frame is the last one).
    Open,
    /// A string, quotes included.
    Text(&'t str),
}

/// Scans `text` from the start, calling `on` for each [`Event`] with the open frames and the line
/// and column where it starts, until `on` returns false. The text must be well-formed JSON up to
/// where the scan stops (serde_json has read it, or read that far).
fn scan(text: &str, mut on: impl FnMut(Event<'_>, &mut Vec<Frame>, (u32, u32)) -> bool) {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let (mut line, mut column) = (1u32, 1u32);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                stack.push(if bytes[i] == b'{' {
                    Frame::Object { keys: HashMap::new(), key: None, expect_key: true }
                } else {
                    Frame::Array { index: 0 }
                });
                if !on(Event::Open, &mut stack, (line, column)) {
                    return;
                }
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                None => {}
            },
            b'\n' => {
                line += 1;
                column = 1;
                i += 1;
                continue;
            }
            b'"' => {
                let end = string_end(bytes, i);
                let at = (line, column);
                // JSON strings hold no raw line breaks: the string only moves the column.
                column += text[i..end].chars().count() as u32;
                if !on(Event::Text(&text[i..end]), &mut stack, at) {
                    return;
                }
                i = end;
                continue;
            }
            _ => {}
        }
        column += u32::from(bytes[i] & 0xC0 != 0x80);
        i += 1;
    }
}

/// Every repeated key of `text`, which must be JSON that serde_json has read (so it is
/// well-formed). Linear in the length of the text; stops after [`MAX_PROBLEMS`] + 1 repeats.
pub(crate) fn duplicate_keys(text: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    scan(text, |event, stack, at| {
        if let Event::Text(quoted) = event {
            if let Some(p) = on_string(stack, quoted, at) {
                out.push(p);
            }
        }
        out.len() <= MAX_PROBLEMS
    });
    out
}

/// The first list or mapping of `text` nested deeper than [`MAX_DEPTH`]: its path, line and column.
pub(crate) fn too_deep(text: &str) -> Option<(String, u32, u32)> {
    let mut found = None;
    scan(text, |event, stack, at| {
        if let Event::Open = event {
            if stack.len() > MAX_DEPTH {
                found = Some((path_of(&stack[..stack.len() - 1]), at.0, at.1));
                return false;
            }
        }
        if let Event::Text(quoted) = event {
            on_string(stack, quoted, at);
        }
        true
    });
    found
}

/// The index just past the string that starts with the quote at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

/// Records a string of the text (quotes included); a key already seen in its object is a problem.
fn on_string(stack: &mut [Frame], quoted: &str, at: (u32, u32)) -> Option<Problem> {
    // (A key is remembered for the path of its value; a repeat is a problem.)
    let (parents, top) = match stack.split_last_mut() {
        Some((top @ Frame::Object { expect_key: true, .. }, parents)) => (parents, top),
        _ => return None,
    };
    let Frame::Object { keys, key, expect_key } = top else { return None };
    *expect_key = false;
    let name = if quoted.contains('\\') {
        serde_json::from_str::<String>(quoted).unwrap_or_default()
    } else {
        quoted[1..quoted.len() - 1].to_string()
    };
    let problem = keys.get(&name).map(|&(first_line, first_column)| {
        let mut at_path = path_of(parents);
        at_path = path::field(&at_path, &name);
        Problem::new(
            at_path,
            codes::DUPLICATE_KEY,
            format!(
                "key `{name}` is written twice in this mapping (first at line {first_line}, column \
                 {first_column}); the second would silently replace the first: keep one"
            ),
        )
        .at(at.0, at.1)
    });
    keys.entry(name.clone()).or_insert(at);
    *key = Some(name);
    problem
}

/// The path of the value the innermost of `frames` is reading.
fn path_of(frames: &[Frame]) -> String {
    frames.iter().fold(String::new(), |at, frame| match frame {
        Frame::Object { key: Some(k), .. } => path::field(&at, k),
        Frame::Object { key: None, .. } => at,
        Frame::Array { index } => path::index(&at, *index),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_repeat_with_path_line_and_column() {
        let text = "{\"id\": \"x\",\n \"phases\": [{\"id\": \"a\", \"id\": \"b\"},\n  {\"k\": {\"\\u0069d\": 1, \"id\": 2}}],\n \"id\": \"y\"}";
        let got: Vec<(String, Option<u32>, Option<u32>)> =
            duplicate_keys(text).into_iter().map(|p| (p.path, p.line, p.column)).collect();
        assert_eq!(
            got,
            vec![
                ("phases[0].id".to_string(), Some(2), Some(25)),
                ("phases[1].k.id".to_string(), Some(3), Some(24)),
                ("id".to_string(), Some(4), Some(2)),
            ]
        );
    }

    #[test]
    fn finds_where_text_is_nested_too_deep() {
        let text = format!("{{\"a\": [1, {{\"b\": {}", "[".repeat(100));
        let (path, line, column) = too_deep(&text).unwrap();
        assert_eq!(path, format!("a[1].b{}", "[0]".repeat(MAX_DEPTH - 3)));
        assert_eq!((line, column), (1, 14 + MAX_DEPTH as u32));
        assert!(too_deep("{\"a\": [[[]]]}").is_none());
    }

    #[test]
    fn strings_with_braces_and_escapes_are_not_structure() {
        let text = r#"{"a": "{\"a\": 1, \"a\": 2}", "b": ["a", "a"], "c": {"é": 1, "e": 2}}"#;
        assert!(duplicate_keys(text).is_empty());
    }
}

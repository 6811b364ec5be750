//! The bounds of a definition, the same for every form it comes in: YAML text, JSON text, a value
//! built by a caller (a Python dict, a JS object, a [`serde_json::Value`] given to
//! [`crate::load_process_value`]) and a typed [`crate::Process`] given to
//! [`crate::validate::validate`].
//!
//! | bound | limit | code | how it is measured |
//! |---|---|---|---|
//! | size | [`MAX_DEFINITION_BYTES`] (4 MiB) | `too_large` | bytes of the text; for a value, the bytes of its compact JSON encoding, counted while walking it and stopping as soon as the limit is passed; for YAML, also the bytes of scalars after aliases are expanded |
//! | nesting | [`MAX_DEPTH`] (64) | `too_deep` | lists and mappings inside one another; the document's own mapping is level 1 |
//! | nodes | [`MAX_NODES`] (1,000,000) | `too_many_nodes` | every list, mapping, key and scalar counts one (YAML: after aliases are expanded) |
//! | string | [`MAX_STRING_BYTES`] (256 KiB) | `too_long` | bytes of one string value (UTF-8) |
//! | key | [`MAX_KEY_BYTES`] (1 KiB) | `too_long` | bytes of one mapping key (UTF-8); YAML keys over about 6 KiB are a `syntax` error of the parser |
//! | YAML aliases | [`MAX_YAML_ALIAS_EVENTS`] (250,000) | `too_many_nodes` | events replayed by `*alias`es (YAML text only) |
//! | phases | [`MAX_PHASES`] (100,000) | `too_many_phases` | `phases` and `rollback` together |
//! | activities | [`MAX_ACTIVITIES`] (100,000) | `too_many_activities` | in all phases together |
//! | problems listed | [`MAX_PROBLEMS`] (1,000) | `too_many_problems` | a validation error lists at most this many problems, then one `too_many_problems` entry |
//!
//! A definition over a bound is refused with one problem naming the bound, the value that passed
//! it and, where it is known, the path of the value (a text over 4 MiB is refused before it is
//! parsed). Within these bounds validation takes time near-linear in the size of the definition.

use crate::Problem;
use crate::validate::{codes, path};
use serde_json::Value;

/// Largest definition accepted (4 MiB): the bytes of the text, or of a value's compact JSON.
pub const MAX_DEFINITION_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting of lists and mappings (the document's own mapping is level 1).
pub const MAX_DEPTH: usize = 64;
/// Most nodes (lists, mappings, keys and scalars) in one definition.
pub const MAX_NODES: usize = 1_000_000;
/// Longest string value, in bytes.
pub const MAX_STRING_BYTES: usize = 256 * 1024;
/// Longest mapping key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Most phases (`phases` and `rollback` together) in one process.
pub const MAX_PHASES: usize = 100_000;
/// Most activities (in all phases together) in one process.
pub const MAX_ACTIVITIES: usize = 100_000;
/// Most events YAML aliases may replay in one text (YAML only: aliases expand into copies).
pub const MAX_YAML_ALIAS_EVENTS: usize = 250_000;
/// Most problems one validation error lists; past it, a final `too_many_problems` entry says so.
pub const MAX_PROBLEMS: usize = 1_000;

/// The problem for a text over [`MAX_DEFINITION_BYTES`].
pub(crate) fn text_too_large(len: usize) -> Problem {
    Problem::new(
        "",
        codes::TOO_LARGE,
        format!("the definition is {len} bytes; at most {MAX_DEFINITION_BYTES} bytes (4 MiB) are accepted"),
    )
}

/// The problem for a list or mapping at `path` nested deeper than [`MAX_DEPTH`].
pub(crate) fn too_deep_problem(path: String) -> Problem {
    Problem::new(
        path,
        codes::TOO_DEEP,
        format!(
            "lists and mappings are nested more than {MAX_DEPTH} levels deep here; at most {MAX_DEPTH} levels are accepted"
        ),
    )
}

/// Checks the generic bounds of a document (nesting, nodes, strings, keys) and, when
/// `count_bytes` is set (a value not read from text), the size of its compact JSON encoding.
/// Walks without recursion and stops at the first bound passed, which it returns.
pub(crate) fn check_document(document: &Value, count_bytes: bool) -> Result<(), Problem> {
    Walk { stack: Vec::new(), nodes: 0, bytes: 0, count_bytes }.run(document).map(|_| ())
}

/// Where the walk is inside one list or mapping.
enum Step<'a> {
    Index(usize),
    Key(&'a str),
}

enum Frame<'a> {
    List(std::iter::Enumerate<std::slice::Iter<'a, Value>>, Step<'a>),
    Map(serde_json::map::Iter<'a>, Step<'a>, bool),
}

struct Walk<'a> {
    stack: Vec<Frame<'a>>,
    nodes: usize,
    bytes: usize,
    count_bytes: bool,
}

impl<'a> Walk<'a> {
    /// Walks `document` depth first; returns its encoded size (when counted).
    fn run(mut self, document: &'a Value) -> Result<usize, Problem> {
        self.visit(document, None)?;
        loop {
            let next = match self.stack.last_mut() {
                None => return Ok(self.bytes),
                Some(Frame::List(items, at)) => items.next().map(|(i, v)| {
                    *at = Step::Index(i);
                    (v, None, i > 0)
                }),
                Some(Frame::Map(entries, at, first)) => entries.next().map(|(k, v)| {
                    *at = Step::Key(k);
                    let comma = !*first;
                    *first = false;
                    (v, Some(k.as_str()), comma)
                }),
            };
            match next {
                Some((child, key, comma)) => {
                    self.add_bytes(usize::from(comma))?;
                    self.visit(child, key)?;
                }
                None => {
                    self.stack.pop();
                    self.add_bytes(1)?;
                }
            }
        }
    }

    /// The path of the value being visited (the current step of every open list and mapping).
    fn path(&self) -> String {
        self.stack.iter().fold(String::new(), |at, frame| match frame {
            Frame::List(_, Step::Index(i)) | Frame::Map(_, Step::Index(i), _) => path::index(&at, *i),
            Frame::List(_, Step::Key(k)) | Frame::Map(_, Step::Key(k), _) => path::field(&at, k),
        })
    }

    fn count_node(&mut self) -> Result<(), Problem> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Problem::new(
                self.path(),
                codes::TOO_MANY_NODES,
                format!(
                    "the definition holds more than {MAX_NODES} values (lists, mappings, keys and scalars); \
                     at most {MAX_NODES} are accepted"
                ),
            ));
        }
        Ok(())
    }

    fn add_bytes(&mut self, n: usize) -> Result<(), Problem> {
        if !self.count_bytes {
            return Ok(());
        }
        self.bytes += n;
        if self.bytes > MAX_DEFINITION_BYTES {
            return Err(Problem::new(
                self.path(),
                codes::TOO_LARGE,
                format!(
                    "the definition is more than {MAX_DEFINITION_BYTES} bytes as JSON (passed at this value); at \
                     most {MAX_DEFINITION_BYTES} bytes (4 MiB) are accepted"
                ),
            ));
        }
        Ok(())
    }

    /// Counts `value` (and its key, inside a mapping); opens a frame for a list or mapping.
    fn visit(&mut self, value: &'a Value, key: Option<&'a str>) -> Result<(), Problem> {
        if let Some(k) = key {
            self.count_node()?;
            if k.len() > MAX_KEY_BYTES {
                return Err(Problem::new(
                    self.path(),
                    codes::TOO_LONG,
                    format!("this key is {} bytes long; keys are at most {MAX_KEY_BYTES} bytes", k.len()),
                ));
            }
            self.add_bytes(encoded_string_len(k) + 1)?;
        }
        self.count_node()?;
        match value {
            Value::Null => self.add_bytes(4),
            Value::Bool(b) => self.add_bytes(if *b { 4 } else { 5 }),
            Value::Number(n) => self.add_bytes(encoded_number_len(n)),
            Value::String(s) => {
                if s.len() > MAX_STRING_BYTES {
                    return Err(Problem::new(
                        self.path(),
                        codes::TOO_LONG,
                        format!(
                            "this string is {} bytes long; strings are at most {MAX_STRING_BYTES} bytes (256 KiB)",
                            s.len()
                        ),
                    ));
                }
                self.add_bytes(encoded_string_len(s))
            }
            Value::Array(items) => self.open(Frame::List(items.iter().enumerate(), Step::Index(0))),
            Value::Object(map) => self.open(Frame::Map(map.iter(), Step::Index(0), true)),
        }
    }

    fn open(&mut self, frame: Frame<'a>) -> Result<(), Problem> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep_problem(self.path()));
        }
        self.add_bytes(1)?;
        self.stack.push(frame);
        Ok(())
    }
}

/// Bytes of `s` as a JSON string, quotes included (serde_json's escaping).
fn encoded_string_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..0x20 => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn encoded_number_len(n: &serde_json::Number) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, n);
    count.0
}

/// The process-specific bounds: how many phases and activities the document lists.
pub(crate) fn check_process_counts(document: &Value) -> Result<(), Problem> {
    let lists =
        ["phases", "rollback"].map(|l| document.get(l).and_then(Value::as_array).map_or(&[][..], Vec::as_slice));
    let phases: usize = lists.iter().map(|l| l.len()).sum();
    if phases > MAX_PHASES {
        return Err(Problem::new(
            "phases",
            codes::TOO_MANY_PHASES,
            format!(
                "the process has {phases} phases (`phases` and `rollback` together); at most {MAX_PHASES} are accepted"
            ),
        ));
    }
    let activities: usize = lists
        .iter()
        .flat_map(|l| l.iter())
        .map(|p| p.get("activities").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    if activities > MAX_ACTIVITIES {
        return Err(Problem::new(
            "phases",
            codes::TOO_MANY_ACTIVITIES,
            format!("the process has {activities} activities in all its phases; at most {MAX_ACTIVITIES} are accepted"),
        ));
    }
    Ok(())
}

/// Drops a value without recursing, so a value nested far deeper than [`MAX_DEPTH`] (built by a
/// caller) cannot overflow the stack when it is refused.
pub(crate) fn dispose(value: Value) {
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => pending.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// Cuts `problems` to [`MAX_PROBLEMS`], ending the list with a `too_many_problems` entry.
pub(crate) fn cap_problems(problems: &mut Vec<Problem>) {
    if problems.len() > MAX_PROBLEMS {
        problems.truncate(MAX_PROBLEMS);
        problems.push(Problem::new(
            "",
            codes::TOO_MANY_PROBLEMS,
            format!("more than {MAX_PROBLEMS} problems were found; the first {MAX_PROBLEMS} are listed: fix them and validate again"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encoded_size_is_the_compact_json_length() {
        let values = [
            json!({"a": [1, -2, 3.5, 1e300, true, false, null], "é\"\\\n\u{1}": "x\ty\u{7f}\u{1F680}", "": {}}),
            json!([[], {}, "", 0, u64::MAX, i64::MIN]),
        ];
        for v in values {
            let bytes = Walk { stack: Vec::new(), nodes: 0, bytes: 0, count_bytes: true }.run(&v).unwrap();
            assert_eq!(bytes, serde_json::to_string(&v).unwrap().len(), "{v}");
        }
    }

    #[test]
    fn depth_is_counted_from_the_document() {
        let nest = |n: usize| (0..n).fold(json!(1), |v, _| json!([v]));
        assert!(check_document(&nest(MAX_DEPTH), true).is_ok());
        let p = check_document(&nest(MAX_DEPTH + 1), true).unwrap_err();
        assert_eq!(p.code, codes::TOO_DEEP);
        assert_eq!(p.path, format!("{}", "[0]".repeat(MAX_DEPTH)));
    }

    #[test]
    fn deep_values_are_disposed_without_recursion() {
        let mut v = json!(1);
        for _ in 0..1_000_000 {
            v = Value::Array(vec![v]);
        }
        assert_eq!(check_document(&v, true).unwrap_err().code, codes::TOO_DEEP);
        dispose(v);
    }
}

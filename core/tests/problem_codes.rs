//! The registry of stable codes (`trainyard::validate::codes::ALL`) is complete and is what the
//! README and the Python error classes say:
//!
//! * every code constant (in any `codes.rs` of the crate) is registered, and every registered code
//!   is declared once;
//! * the error codes of the registry are `Error::CODES` (plus `internal`, the bindings' code for a
//!   bug caught at their boundary);
//! * every code string the crate and the bindings write into a `Problem` is registered;
//! * the README's table of codes is the one the registry generates
//!   (`TRAINYARD_WRITE_README_CODES=1 cargo test -p trainyard --test problem_codes` rewrites it);
//! * the Python package has an error class for every error code.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use trainyard::validate::codes::{self, ALL, CodeKind};

const START: &str = "<!-- problem-codes:start -->";
const END: &str = "<!-- problem-codes:end -->";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// Every `.rs` file below `rel`, recursively.
fn rust_files(rel: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join(rel)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The string literal `text` starts with (`"abc"` → `abc`), if it is one of snake_case letters.
fn snake_literal(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let ok = !inner.is_empty() && inner.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    ok.then_some(inner)
}

/// The top-level arguments of every call of `callee` in `source` (string literals and nested
/// brackets respected).
fn call_arguments(source: &str, callee: &str) -> Vec<Vec<String>> {
    let mut calls = Vec::new();
    let bytes: Vec<char> = source.chars().collect();
    let text: String = bytes.iter().collect();
    let mut from = 0;
    while let Some(found) = text[from..].find(callee) {
        let start = from + found;
        from = start + callee.len();
        // A whole name: not the tail of a longer identifier.
        let before = text[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut args = Vec::new();
        let mut current = String::new();
        let (mut depth, mut in_string, mut escaped) = (1usize, false, false);
        for c in text[from..].chars() {
            if in_string {
                current.push(c);
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => {
                    in_string = true;
                    current.push(c);
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    current.push(c);
                }
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    current.push(c);
                }
                ',' if depth == 1 => args.push(std::mem::take(&mut current).trim().to_string()),
                _ => current.push(c),
            }
        }
        args.push(current.trim().to_string());
        calls.push(args);
    }
    calls
}

#[test]
fn every_code_constant_is_registered_once() {
    let registered: Vec<&str> = ALL.iter().map(|c| c.code).collect();
    let unique: HashSet<&str> = registered.iter().copied().collect();
    assert_eq!(unique.len(), registered.len(), "a code is registered twice: {registered:?}");
    for c in ALL {
        assert!(!c.meaning().is_empty(), "`{}` has no meaning", c.code);
        assert!(!c.meaning().contains('|') && !c.meaning().contains('\n'), "`{}`: one line, no `|`", c.code);
    }
    // The registry macro declares `NAME = "code";`; any other `codes.rs` may only re-export.
    let mut declared = BTreeSet::new();
    for path in rust_files("core/src") {
        let source = std::fs::read_to_string(&path).expect("readable source");
        let is_codes = path.file_name().is_some_and(|n| n == "codes.rs");
        for line in source.lines().map(str::trim) {
            if let Some((name, rest)) = line.split_once(" = ") {
                let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_');
                if is_codes && name_ok {
                    if let Some(code) = rest.strip_suffix(';').and_then(snake_literal) {
                        declared.insert(code.to_string());
                    }
                }
            }
            if line.starts_with("pub const ") && line.contains(": &str = \"") && is_codes {
                panic!("{}: a code constant outside the registry: {line}", path.display());
            }
        }
    }
    let registered: BTreeSet<String> = unique.iter().map(|s| s.to_string()).collect();
    assert_eq!(declared, registered, "the constants in codes.rs and ALL differ");
    assert_eq!(codes::lookup("unknown_dependency").map(|c| c.kind), Some(CodeKind::Problem));
    assert_eq!(codes::lookup("no_such_code"), None);
}

#[test]
fn the_error_codes_are_the_error_enum_s() {
    let errors: Vec<&str> =
        ALL.iter().filter(|c| c.kind == CodeKind::Error && c.code != codes::INTERNAL).map(|c| c.code).collect();
    assert_eq!(errors, trainyard::Error::CODES.to_vec());
}

#[test]
fn every_code_written_into_a_problem_is_registered() {
    let mut unregistered = Vec::new();
    let mut seen = 0;
    for dir in ["core/src", "bindings-python/src", "bindings-node/src"] {
        for path in rust_files(dir) {
            let source = std::fs::read_to_string(&path).expect("readable source");
            let calls = call_arguments(&source, "Problem::new(")
                .into_iter()
                .filter_map(|args| args.get(1).cloned())
                .chain(call_arguments(&source, "problem_error(").into_iter().filter_map(|a| a.first().cloned()));
            for arg in calls {
                if let Some(code) = snake_literal(&arg) {
                    seen += 1;
                    if codes::lookup(code).is_none() {
                        unregistered.push(format!("{}: `{code}`", path.display()));
                    }
                }
            }
        }
    }
    assert!(seen > 0, "the scan found no literal codes at all: it is broken");
    assert!(unregistered.is_empty(), "codes used but not in validate::codes::ALL:\n{}", unregistered.join("\n"));
}

#[test]
fn the_scan_reads_nested_arguments() {
    let calls =
        call_arguments(r#"x(Problem::new(format!("{a}, {b}", a = f(1, 2)), "bad_id", "m, (n)"))"#, "Problem::new(");
    assert_eq!(calls, vec![vec![r#"format!("{a}, {b}", a = f(1, 2))"#, r#""bad_id""#, r#""m, (n)""#]]);
    assert_eq!(call_arguments("MyProblem::new(a, \"x\")", "Problem::new("), Vec::<Vec<String>>::new());
}

/// The README table the registry generates.
fn table() -> String {
    let mut out = String::from("| code | kind | meaning |\n|---|---|---|\n");
    for c in ALL {
        out.push_str(&format!("| `{}` | {} | {} |\n", c.code, c.kind.as_str(), c.meaning()));
    }
    out
}

#[test]
fn the_readme_table_is_the_registry() {
    let readme = read("README.md");
    let (head, rest) = readme.split_once(START).expect("README has the problem-codes start marker");
    let (current, tail) = rest.split_once(END).expect("README has the problem-codes end marker");
    let wanted = format!("\n{}", table());
    if std::env::var_os("TRAINYARD_WRITE_README_CODES").is_some() {
        std::fs::write(root().join("README.md"), format!("{head}{START}{wanted}{END}{tail}")).expect("README written");
        return;
    }
    assert!(
        current == wanted,
        "the README's table of codes is not the registry's; run \
         `TRAINYARD_WRITE_README_CODES=1 cargo test -p trainyard --test problem_codes`"
    );
}

#[test]
fn python_has_a_class_for_every_error_code() {
    let source = read("bindings-python/python/trainyard/_errors.py");
    // (class, code) for every class that sets `code`.
    let mut classes = Vec::new();
    let mut class = "";
    for line in source.lines() {
        if let Some(rest) = line.strip_prefix("class ") {
            class = rest.split(['(', ':']).next().unwrap_or_default();
        }
        let value = line.trim().strip_prefix("code = ").or_else(|| line.trim().strip_prefix("code: str = "));
        if let Some(code) = value.and_then(|v| v.strip_prefix('"')?.strip_suffix('"')) {
            classes.push((class, code));
        }
    }
    let codes: BTreeSet<&str> = classes.iter().map(|(_, code)| *code).collect();
    let wanted: BTreeSet<&str> = ALL.iter().filter(|c| c.kind == CodeKind::Error).map(|c| c.code).collect();
    assert_eq!(codes, wanted, "the error classes of bindings-python/python/trainyard/_errors.py");
    let by_code = source.split_once("BY_CODE: Dict").expect("_errors.py defines BY_CODE").1;
    let by_code = by_code.split_once("\n}").expect("BY_CODE ends").0;
    for (class, code) in classes {
        if code != codes::INTERNAL {
            assert!(by_code.contains(&format!("{class},")), "BY_CODE lacks {class} ({code})");
        }
    }
}

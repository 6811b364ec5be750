//! The documentation cannot go stale silently:
//!
//! * every repository path `docs/architecture.md` names in backticks exists (and every file name
//!   it gives alone is the name of a file in the repository);
//! * every path of the README's "Layout" tree exists, and the README links the architecture
//!   document;
//! * no tracked file refers to a design document outside the repository (the repository is
//!   self-contained: `docs/architecture.md` is its design document).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// The files git tracks, relative to the workspace root.
fn tracked_files() -> Vec<String> {
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output()
        .expect("this test reads the tracked files with `git ls-files`: git must be installed");
    assert!(out.status.success(), "git ls-files failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("UTF-8 paths")
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// The inline code spans of a Markdown text, outside fenced blocks.
fn code_spans(markdown: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    prose.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// File endings of the repository's source and documentation files.
const ENDINGS: &[&str] = &[".rs", ".md", ".py", ".pyi", ".mjs", ".js", ".ts", ".json", ".toml", ".yaml", ".mk"];

/// Whether a code span is a repository path (`core/src/release/`, `testdata/api/views.json`)
/// rather than code, a URL, a command or a pattern.
fn is_path(span: &str) -> bool {
    const NOT_IN_PATHS: &[&str] = &[" ", "://", "::", "<", ">", "*", "{", "}", "$", "(", "…", "=", ",", "\""];
    span.contains('/')
        && !NOT_IN_PATHS.iter().any(|n| span.contains(n))
        && span.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
}

/// Whether a code span is a bare file name (`state.rs`).
fn is_file_name(span: &str) -> bool {
    !span.contains('/')
        && ENDINGS.iter().any(|e| span.ends_with(e) && span.len() > e.len())
        && span.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn exists(rel: &str) -> bool {
    root().join(rel.trim_end_matches('/')).exists()
}

#[test]
fn every_path_the_architecture_document_names_exists() {
    let doc = read("docs/architecture.md");
    let names: HashSet<String> = tracked_files()
        .iter()
        .filter_map(|p| Path::new(p).file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let spans = code_spans(&doc);
    let paths: Vec<&String> = spans.iter().filter(|s| is_path(s)).collect();
    assert!(paths.len() > 50, "only {} paths found: the extraction is broken", paths.len());
    let missing: Vec<&String> = paths.iter().copied().filter(|p| !exists(p)).collect();
    assert!(missing.is_empty(), "docs/architecture.md names paths that do not exist: {missing:?}");
    let unknown: Vec<&String> = spans.iter().filter(|s| is_file_name(s) && !names.contains(*s)).collect();
    assert!(unknown.is_empty(), "docs/architecture.md names files that are nowhere in the repository: {unknown:?}");
}

/// The paths of the README's Layout tree: the first word of each line, nested by indentation (two
/// spaces a level) under the directory above it.
fn layout_paths(readme: &str) -> Vec<String> {
    let section = readme.split_once("\n## Layout\n").expect("the README has a Layout section").1;
    let section = section.split("\n## ").next().unwrap_or_default();
    let block = section.split_once("```text\n").expect("the Layout section has a ```text tree").1;
    let block = block.split_once("```").expect("the tree block ends").0;
    let mut parents: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let indent = line.len() - line.trim_start().len();
        assert!(indent % 2 == 0, "Layout: odd indentation in `{line}`");
        let level = indent / 2;
        assert!(level <= parents.len(), "Layout: `{line}` is nested under nothing");
        parents.truncate(level);
        let word = line.split_whitespace().next().expect("a path");
        let path = format!("{}{word}", parents.concat());
        if word.ends_with('/') {
            parents.push(word.to_string());
        }
        out.push(path);
    }
    out
}

#[test]
fn every_path_of_the_readme_layout_exists() {
    let readme = read("README.md");
    let paths = layout_paths(&readme);
    assert!(paths.len() > 20, "only {} layout entries found: the parsing is broken", paths.len());
    let missing: Vec<&String> = paths.iter().filter(|p| !exists(p)).collect();
    assert!(missing.is_empty(), "the README's Layout names paths that do not exist: {missing:?}");
    assert!(readme.contains("(docs/architecture.md)"), "the README links docs/architecture.md");
    // The top level of the tree is listed whole: every tracked top-level directory appears.
    let listed: HashSet<&str> = paths.iter().filter_map(|p| p.split_once('/').map(|(top, _)| top)).collect();
    let tracked: HashSet<String> =
        tracked_files().iter().filter_map(|p| p.split_once('/').map(|(top, _)| top.to_string())).collect();
    let unlisted: Vec<&String> = tracked.iter().filter(|t| !listed.contains(t.as_str())).collect();
    assert!(unlisted.is_empty(), "top-level directories missing from the README's Layout: {unlisted:?}");
}

#[test]
fn the_layout_parser_nests_by_indentation() {
    let readme = "x\n## Layout\n```text\na/   one\n  b/   two\n    c.rs three\n  d.rs\ne.md\n```\n## Next\n";
    assert_eq!(layout_paths(readme), ["a/", "a/b/", "a/b/c.rs", "a/d.rs", "e.md"]);
    assert!(is_path("core/src/release/") && is_path(".ci/run") && !is_path("sqlite://x/y"));
    assert!(!is_path("make node-build") && !is_path("Engine::open") && !is_path("LISTEN"));
    assert!(is_file_name("state.rs") && !is_file_name("Engine::open") && !is_file_name(".rs"));
}

/// What a reference to a design document outside the repository looks like. Built from parts so
/// that this file does not match itself.
fn outside_references() -> Vec<String> {
    vec![["DES", "IGN"].concat(), ["..", "/shared"].concat(), ["the ", "design"].concat()]
}

#[test]
fn no_file_refers_to_a_design_document_outside_the_repository() {
    let patterns = outside_references();
    let mut found = Vec::new();
    let files = tracked_files();
    assert!(files.len() > 100, "only {} tracked files", files.len());
    for rel in &files {
        let Ok(bytes) = std::fs::read(root().join(rel)) else { continue }; // deleted in the work tree
        let Ok(text) = String::from_utf8(bytes) else { continue }; // not text
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            let hit = patterns.iter().any(|p| {
                if p.chars().any(|c| c.is_ascii_uppercase()) {
                    line.contains(p.as_str())
                } else {
                    lower.contains(p.as_str())
                }
            });
            if hit {
                found.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "state the rule here, or point at docs/architecture.md or a README section, instead of:\n{}",
        found.join("\n")
    );
}

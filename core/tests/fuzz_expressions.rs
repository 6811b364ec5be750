//! Fuzz target (proptest): arbitrary and near-valid strings through the CEL lexer, the `${...}`
//! splitter, CEL compilation and evaluation, and the definition loader. Nothing may panic or overflow a stack;
//! every failure must be an error value.
//!
//! Quick run (part of `cargo test`, 256 cases per target):
//!     cargo test -p trainyard --test fuzz_expressions
//! Five minutes (each target loops over fresh random batches until the time is up):
//!     FUZZ_SECONDS=300 cargo test --release -p trainyard --test fuzz_expressions -- --test-threads=4
//! `PROPTEST_CASES` sets the batch size; a failure prints the minimal input found.

use indexmap::IndexMap;
#[path = "support/fuzz.rs"]
mod support;

use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;
use support::{edit_text, fuzz, text_edits};
use trainyard::expr::{self, eval, lex, template};
use trainyard::release::{Plan, ReleaseState};

/// Pieces that near-valid expressions are made of.
const PIECES: &[&str] = &[
    "inputs",
    "vars",
    "phases",
    "activities",
    "release",
    "group",
    ".",
    "['",
    "']",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "'",
    "\"",
    "\\",
    "${",
    "$${",
    "$",
    "branch-cut",
    "build",
    "cut",
    "deploy-qa",
    "outputs",
    "commit",
    "status",
    "start",
    "version",
    "releaseVersion",
    "count",
    "services",
    " ",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">=",
    "&&",
    "||",
    "!",
    "?",
    ":",
    ",",
    "1",
    "0",
    "-1",
    "2.5",
    "9223372036854775807",
    "'a'",
    "''",
    "true",
    "null",
    "size(",
    ".size()",
    ".startsWith(",
    ".endsWith(",
    ".contains(",
    ".matches(",
    ".lowerAscii()",
    ".upperAscii()",
    ".trim()",
    ".split(",
    ".replace(",
    ".join(",
    ".substring(",
    "timestamp(",
    "duration(",
    "'1h'",
    "int(",
    "string(",
    ".map(x, ",
    ".filter(x, ",
    ".all(x, ",
    ".exists(x, ",
    "x",
    "has(",
    "[1, 2]",
    "{'k': 1}",
    " in ",
    "\u{e9}",
    "\u{1F680}",
    "\n",
    "r'",
    "R\"",
    "b'",
    "br'",
    "'''",
    "\"\"\"",
    "//",
    "// }",
    "\\'",
    "\\x7d",
    "0.0 / 0.0",
    "1.0 / 0.0",
    "b'\\xff'",
    "{1: 'a', '1': 'b'}",
    "duration('-1s')",
    "timestamp('2025-01-01T00:00:00Z')",
    "optional.of(1)",
    ".a.a.a.a.a.a.a.a",
    "[0][0][0][0]",
];

fn near_valid() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "\\PC{0,300}", near_valid(), near_valid().prop_map(|s| format!("${{{s}}}"))]
}

const PROCESS: &str = r#"
id: fuzz
inputs:
  releaseVersion: { type: string, default: "1.2.3" }
  count: { type: number, default: 3 }
  services: { type: list, default: [pay, user] }
variables:
  branch: "release/${inputs.releaseVersion}"
phases:
  - id: branch-cut
    activities:
      - { id: cut, kind: automated, executor: x, outputs: [commit] }
      - { id: deploy-qa, kind: automated, executor: x, outputs: [url], depends_on: [cut] }
  - id: build
    depends_on: [branch-cut]
    activities:
      - { id: build, kind: automated, executor: x }
"#;

fn state() -> ReleaseState {
    let process = trainyard::load_process(PROCESS).expect("the fuzz process is valid").process;
    let mut s = ReleaseState::new("r", Plan::new(Arc::new(process), 1));
    for (k, v) in [("releaseVersion", json!("1.2.3")), ("count", json!(3)), ("services", json!(["pay", "user"]))] {
        s.inputs.insert(k.into(), v);
    }
    s.phases[0].activities[0].outputs.insert("commit".into(), json!("abc"));
    s
}

/// The lexer's spans cover the text in order, on character boundaries; the splitter's segments
/// point inside the text.
#[test]
fn lexer_and_template_splitter_never_panic() {
    fuzz("lexer and splitter", any_text(), |s| {
        let mut at = 0;
        for span in lex::spans(&s) {
            assert_eq!(span.start, at, "spans are contiguous in {s:?}");
            assert!(span.end > span.start && s.is_char_boundary(span.end), "{span:?} in {s:?}");
            at = span.end;
        }
        assert_eq!(at, s.len(), "spans cover {s:?}");
        match template::parse_template(&s) {
            Ok(segments) => {
                for seg in segments {
                    if let template::Segment::Expr { offset, source } = seg {
                        assert!(offset < s.len() && !source.is_empty());
                    }
                }
            }
            Err(e) => assert!(e.offset <= s.len()),
        }
    });
}

#[test]
fn compiling_and_evaluating_never_panics() {
    let state = state();
    fuzz("compile and evaluate", any_text(), |s| {
        let _ = expr::check_cel_syntax(&s);
        let _ = expr::check_template(&s);
        let scope = eval::Scope::activity(&state, 1, 0);
        let _ = eval::eval_cel(&s, &scope);
        let _ = eval::eval_condition(&s, &eval::Scope::phase(&state, 0));
        let _ = eval::interpolate(&Value::String(s.clone()), &scope);
    });
}

/// A definition with `expr` placed where expressions go.
fn definition_with(expr: &str) -> String {
    let quoted = serde_json::to_string(expr).unwrap_or_default();
    let template = serde_json::to_string(&format!("${{{expr}}}")).unwrap_or_default();
    format!(
        "id: fuzz\ninputs:\n  count: {{ type: number, default: 1 }}\nvariables:\n  v: {template}\nphases:\n  - id: a-b\n    \
         if: {quoted}\n    outputs: {{ o: {template} }}\n    activities:\n      - {{ id: x, kind: automated, executor: \
         c, outputs: [y], with: {{ k: {template}, raw: {quoted} }} }}\n  - id: c\n    depends_on: [a-b]\n    \
         activities:\n      - {{ id: w, kind: wait, until: {template} }}\n"
    )
}

/// The example definitions with a few bytes changed.
fn mutated_example() -> impl Strategy<Value = String> {
    let examples: Vec<String> = ["system-release-train.yaml", "hotfix.yaml"]
        .iter()
        .filter_map(|f| {
            std::fs::read_to_string(format!("{}/../examples/processes/{f}", env!("CARGO_MANIFEST_DIR"))).ok()
        })
        .collect();
    (prop::sample::select(examples), text_edits(1..8, false)).prop_map(|(text, edits)| edit_text(text, edits))
}

#[test]
fn loading_definitions_never_panics() {
    let strategy = prop_oneof![any_text(), near_valid().prop_map(|e| definition_with(&e)), mutated_example()];
    fuzz("definitions", strategy, |text| {
        let _ = trainyard::load_process(&text);
        let _ = trainyard::validate_process(&text);
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            let _ = trainyard::load_process_value(value, None);
        }
    });
}

#[test]
fn secrets_resolution_never_panics() {
    let resolver = trainyard::secrets::MapSecretResolver::new([("a", "1"), ("deploy-token", "2")]);
    fuzz("secrets", any_text(), |s| {
        let mut inputs = IndexMap::new();
        inputs.insert("k".to_string(), json!([s.clone(), { "n": s.clone() }]));
        let _ = trainyard::secrets::resolve_job_inputs(&inputs, &|_| true, &resolver);
    });
}

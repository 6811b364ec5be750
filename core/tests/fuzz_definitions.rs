//! Fuzz target (proptest): arbitrary and near-valid process definitions, given as JSON text and as
//! values, through the loader. Nothing may panic or overflow a stack; every failure must be a
//! `validation` error whose problems carry a registered code and a message; the same definition
//! gives the same problems as text and as a value; a definition that loads validates again as a
//! typed process without errors.
//!
//! Quick run (part of `cargo test`, 256 cases per target):
//!     cargo test -p trainyard --test fuzz_definitions
//! Five minutes per target (each loops over fresh random batches until the time is up):
//!     FUZZ_SECONDS=300 cargo test --release -p trainyard --test fuzz_definitions -- --nocapture --test-threads=1
//! `PROPTEST_CASES` sets the batch size; a failure prints the minimal input found. With
//! `--nocapture` each target also prints its slowest case.

#[path = "support/fuzz.rs"]
mod support;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::fmt::Debug;
use std::time::Instant;
use support::{edit_text, fuzz_timed, text_edits};
use trainyard::validate::codes;

/// Every code validation may report.
const KNOWN_CODES: &[&str] = &[
    codes::SYNTAX,
    codes::UNKNOWN_FIELD,
    codes::MISSING_FIELD,
    codes::WRONG_TYPE,
    codes::INVALID_VALUE,
    codes::BAD_ID,
    codes::BAD_NAME,
    codes::BAD_DURATION,
    codes::BAD_PATTERN,
    codes::INVALID_EXPRESSION,
    codes::DUPLICATE_ID,
    codes::DUPLICATE_NAME,
    codes::UNKNOWN_DEPENDENCY,
    codes::DEPENDENCY_CYCLE,
    codes::FIELD_NOT_ALLOWED,
    codes::EMPTY,
    codes::IMPOSSIBLE_APPROVAL,
    codes::BAD_APPROVER,
    codes::BAD_DEFAULT,
    codes::BAD_CONSTRAINT,
    codes::BAD_RETRY,
    codes::NO_ROLLBACK_PHASES,
    codes::BAD_TIME,
    codes::UNKNOWN_PROCESS,
    codes::SUBPROCESS_CYCLE,
    codes::SUBPROCESS_TOO_DEEP,
    codes::UNKNOWN_REFERENCE,
    codes::NOT_DOWNSTREAM,
    codes::UNDECLARED_OUTPUT,
    codes::TYPE_MISMATCH,
    codes::DUPLICATE_KEY,
    codes::TOO_LARGE,
    codes::TOO_DEEP,
    codes::TOO_MANY_NODES,
    codes::TOO_LONG,
    codes::TOO_MANY_PHASES,
    codes::TOO_MANY_ACTIVITIES,
    codes::TOO_MANY_PROBLEMS,
];

const WARNING_CODES: &[&str] = &[codes::SHADOWED_VARIABLE, codes::UNRESOLVED_PROCESS];

/// The problems of a load, checked for form: `None` when it loaded.
fn outcome(result: trainyard::Result<trainyard::LoadedProcess>) -> Option<Vec<(String, String, String)>> {
    match result {
        Ok(loaded) => {
            assert!(loaded.warnings.iter().all(|w| WARNING_CODES.contains(&w.code.as_str())), "{:?}", loaded.warnings);
            // What loads validates again, as a typed process, without errors.
            let report = trainyard::validate::validate(&loaded.process, None);
            assert!(report.errors.is_empty(), "a loaded process fails typed validation: {:?}", report.errors);
            None
        }
        Err(e) => {
            assert_eq!(e.code(), "validation", "{e}");
            let problems = e.problems();
            assert!(!problems.is_empty(), "a validation error without problems");
            assert!(problems.len() <= trainyard::model::limits::MAX_PROBLEMS + 1, "{} problems", problems.len());
            for p in problems {
                assert!(KNOWN_CODES.contains(&p.code.as_str()), "unregistered code {p:?}");
                assert!(!p.message.is_empty(), "empty message {p:?}");
            }
            Some(problems.iter().map(|p| (p.path.clone(), p.code.clone(), p.message.clone())).collect())
        }
    }
}

// ---- building blocks ----

const IDS: &[&str] = &["a", "b", "c", "build", "deploy-qa", "prod_1", "0x", "Bad Id", "", "a-"];
const NAMES: &[&str] = &["v", "version", "count", "_x", "1bad", "a-b", "o", "commit"];
const KINDS: &[&str] = &["automated", "approval", "manual", "subprocess", "wait", "bogus", "Manual"];
const STRINGS: &[&str] = &[
    "x",
    "",
    "30m",
    "1d 12h",
    "2x",
    "^[a-z]+$",
    "([",
    "secret://token",
    "2025-04-07T09:00:00Z",
    "${inputs.version}",
    "${inputs.nope}",
    "${vars.v}",
    "${vars.w + 1}",
    "${phases.a.outputs.o}",
    "${phases.b.outputs.o}",
    "${phases.a.activities.x.outputs.commit}",
    "${activities.x.outputs.commit}",
    "${activities.y.status}",
    "${release.version}",
    "${group.nope}",
    "${inputs.count.startsWith('a')}",
    "${size(inputs.version) > 1}",
    "${",
    "$${literal}",
    "${[1, 2].map(x, x * 2)}",
    "inputs.count > 1",
    "phases.a.status == 'succeeded'",
    "release/${inputs.version}",
    "\u{e9}\u{1F680}",
];
const FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "kind",
    "depends_on",
    "if",
    "variables",
    "outputs",
    "executor",
    "with",
    "timeout",
    "retry",
    "on_failure",
    "approvers",
    "min_approvals",
    "deadline",
    "on_deadline",
    "escalate_to",
    "fields",
    "duration",
    "until",
    "process",
    "version",
    "critical",
    "not_before",
    "activities",
    "dependsOn",
    "type",
    "default",
    "allowed",
    "pattern",
    "min",
    "max",
    "items",
    "required",
];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(list).prop_map(str::to_string)
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => pick(STRINGS).prop_map(Value::from),
        2 => pick(IDS).prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        // Two decimals: serde_json reads such numbers back exactly (it may be one unit off for others).
        1 => (-1e8f64..1e8).prop_map(|f| json!((f * 100.0).round() / 100.0)),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => "\\PC{0,20}".prop_map(Value::from),
    ]
}

/// Any JSON value, keys mostly from the definition format.
fn arbitrary() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop_oneof![pick(FIELDS), pick(NAMES), "\\PC{0,8}"], inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn ids(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(pick(IDS), n)
}

fn activity() -> impl Strategy<Value = Value> {
    (
        pick(IDS),
        pick(KINDS),
        ids(0..3),
        prop::collection::vec(pick(NAMES), 0..3),
        prop::collection::vec((pick(FIELDS), arbitrary()), 0..3),
        prop::collection::vec((pick(NAMES), scalar()), 0..3),
    )
        .prop_map(|(id, kind, deps, outputs, extra, with)| {
            let mut a = json!({ "id": id, "kind": kind });
            match kind.as_str() {
                "automated" => {
                    a["executor"] = json!("command");
                    a["outputs"] = json!(outputs);
                    a["with"] = Value::Object(with.into_iter().collect());
                }
                "approval" => a["approvers"] = json!([{ "group": "release-eng" }, { "user": "ann" }]),
                "manual" => {
                    a["fields"] = Value::Array(
                        outputs.iter().map(|n| json!({ "name": n, "type": "string", "pattern": "^a" })).collect(),
                    )
                }
                "subprocess" => a["process"] = json!("child"),
                "wait" => a["duration"] = json!("1h"),
                _ => {}
            }
            if !deps.is_empty() {
                a["depends_on"] = json!(deps);
            }
            for (k, v) in extra {
                a[k] = v;
            }
            a
        })
}

fn phase() -> impl Strategy<Value = Value> {
    (
        pick(IDS),
        ids(0..3),
        prop::collection::vec(activity(), 0..4),
        prop::collection::vec((pick(NAMES), scalar()), 0..3),
        prop::collection::vec((pick(NAMES), scalar()), 0..3),
        prop::option::of(pick(STRINGS)),
    )
        .prop_map(|(id, deps, activities, variables, outputs, condition)| {
            let mut p = json!({ "id": id, "activities": activities });
            if !deps.is_empty() {
                p["depends_on"] = json!(deps);
            }
            if !variables.is_empty() {
                p["variables"] = Value::Object(variables.into_iter().collect());
            }
            if !outputs.is_empty() {
                p["outputs"] = Value::Object(outputs.into_iter().collect());
            }
            if let Some(c) = condition {
                p["if"] = json!(c);
            }
            p
        })
}

fn input() -> impl Strategy<Value = Value> {
    (
        pick(&["string", "number", "boolean", "list", "object", "secret", "service", "bogus"]),
        prop::option::of(scalar()),
        prop::collection::vec(scalar(), 0..4),
        prop::option::of(pick(STRINGS)),
        prop::option::of(-10f64..10.0),
    )
        .prop_map(|(ty, default, allowed, pattern, min)| {
            let mut d = json!({ "type": ty });
            if let Some(v) = default {
                d["default"] = v;
            }
            if !allowed.is_empty() {
                d["allowed"] = json!(allowed);
            }
            if let Some(p) = pattern {
                d["pattern"] = json!(p);
            }
            if let Some(m) = min {
                d["min"] = json!((m * 100.0).round() / 100.0);
            }
            d
        })
}

/// A definition close to a valid one: the right overall shape, with ids, kinds, dependencies,
/// expressions and extra fields drawn at random.
fn near_valid() -> impl Strategy<Value = Value> {
    (
        pick(IDS),
        prop::collection::vec(phase(), 0..6),
        prop::collection::vec(phase(), 0..2),
        prop::collection::vec((pick(NAMES), input()), 0..3),
        prop::collection::vec((pick(NAMES), scalar()), 0..3),
    )
        .prop_map(|(id, phases, rollback, inputs, variables)| {
            let mut doc = json!({ "id": id, "phases": phases });
            if !rollback.is_empty() {
                doc["rollback"] = json!(rollback);
            }
            if !inputs.is_empty() {
                doc["inputs"] = Value::Object(inputs.into_iter().collect());
            }
            if !variables.is_empty() {
                doc["variables"] = Value::Object(variables.into_iter().collect());
            }
            doc
        })
}

/// One change to a definition.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the n-th node (depth first) with a value.
    Replace(prop::sample::Index, Value),
    /// Remove the n-th key of a mapping.
    Remove(prop::sample::Index),
    /// Wrap the n-th node in `levels` lists.
    Nest(prop::sample::Index, usize),
    /// Repeat the n-th node `times` in a list.
    Repeat(prop::sample::Index, usize),
    /// Make phase ids and dependencies form a chain or a ring over `n` generated phases.
    Chain(usize, bool),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), arbitrary()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<prop::sample::Index>().prop_map(Mutation::Remove),
        1 => (any::<prop::sample::Index>(), 50usize..70).prop_map(|(i, n)| Mutation::Nest(i, n)),
        1 => (any::<prop::sample::Index>(), 2usize..300).prop_map(|(i, n)| Mutation::Repeat(i, n)),
        1 => (2usize..400, any::<bool>()).prop_map(|(n, ring)| Mutation::Chain(n, ring)),
    ]
}

/// The nodes of `v`, depth first, as mutable references are not shareable: count them, then
/// reach the n-th one again.
fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

fn nth(v: &mut Value, mut n: usize) -> Option<&mut Value> {
    let mut stack = vec![v];
    while let Some(node) = stack.pop() {
        if n == 0 {
            return Some(node);
        }
        n -= 1;
        match node {
            Value::Array(items) => stack.extend(items.iter_mut().rev()),
            Value::Object(map) => stack.extend(map.values_mut().rev()),
            _ => {}
        }
    }
    None
}

fn apply(doc: &mut Value, m: Mutation) {
    let nodes = count(doc);
    match m {
        Mutation::Replace(i, v) => {
            if let Some(node) = nth(doc, i.index(nodes)) {
                *node = v;
            }
        }
        Mutation::Remove(i) => {
            if let Some(Value::Object(map)) = nth(doc, i.index(nodes)) {
                if let Some(k) = map.keys().next().cloned() {
                    map.shift_remove(&k);
                }
            }
        }
        Mutation::Nest(i, levels) => {
            if let Some(node) = nth(doc, i.index(nodes)) {
                let inner = node.take();
                *node = (0..levels).fold(inner, |v, _| Value::Array(vec![v]));
            }
        }
        Mutation::Repeat(i, times) => {
            if let Some(node) = nth(doc, i.index(nodes)) {
                *node = Value::Array(vec![node.clone(); times]);
            }
        }
        Mutation::Chain(n, ring) => {
            let phases: Vec<Value> = (0..n)
                .map(|i| {
                    let dep = if i > 0 {
                        Some(i - 1)
                    } else if ring {
                        Some(n - 1)
                    } else {
                        None
                    };
                    json!({
                        "id": format!("p{i}"),
                        "depends_on": dep.map(|d| vec![format!("p{d}")]).unwrap_or_default(),
                        "variables": { "v": format!("${{phases.p{}.outputs.o}}", (i * 7) % n) },
                        "outputs": { "o": "x" },
                        "activities": [{ "id": "a", "kind": "manual" }],
                    })
                })
                .collect();
            if let Some(list) = doc.get_mut("phases") {
                *list = Value::Array(phases);
            }
        }
    }
}

fn definition() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => arbitrary(),
        4 => (near_valid(), prop::collection::vec(mutation(), 0..4)).prop_map(|(mut doc, ms)| {
            for m in ms {
                apply(&mut doc, m);
            }
            doc
        }),
    ]
}

#[test]
fn definitions_as_json_text_never_panic() {
    fuzz_timed("JSON text", (definition(), text_edits(0..4, true)), |(doc, edits)| {
        let text = edit_text(doc.to_string(), edits);
        let start = Instant::now();
        let result = trainyard::load_process(&text);
        let took = start.elapsed();
        outcome(result);
        (took, text.len())
    });
}

#[test]
fn definitions_as_values_never_panic() {
    fuzz_timed("values", definition(), |doc| {
        let text = doc.to_string();
        let start = Instant::now();
        let as_value = outcome(trainyard::load_process_value(doc.clone(), None));
        let took = start.elapsed();
        // The same definition as text (it has no repeated keys: it came from a value) gives the same.
        if doc.is_object() {
            let as_text = outcome(trainyard::load_process(&text));
            // A size refusal is worded for what was measured (the text, or the value as it was walked).
            let refused_for_size = |o: &Option<Vec<(String, String, String)>>| {
                o.as_ref().is_some_and(|p| p.iter().any(|(_, code, _)| code == codes::TOO_LARGE))
            };
            if refused_for_size(&as_value) || refused_for_size(&as_text) {
                assert!(refused_for_size(&as_value) && refused_for_size(&as_text), "{as_value:?} / {as_text:?}");
            } else {
                assert_eq!(as_value, as_text, "a value and its JSON text differ:\n{text}");
            }
        }
        // And as YAML it never panics either.
        if let Ok(yaml) = serde_saphyr::to_string(&doc) {
            outcome(trainyard::load_process(&yaml));
        }
        (took, text.len())
    });
}

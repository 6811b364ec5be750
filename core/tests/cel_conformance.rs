//! cel-spec's simple conformance tests, run through trainyard's expression pipeline.
//!
//! The cases are `testdata/cel-spec/cases/*.json`, converted from cel-spec's
//! `tests/simple/testdata/*.textproto` without the tests that need protobuf messages (see
//! `testdata/cel-spec/README.md` for where they come from, the commit and the format). Each case
//! is compiled with `trainyard::expr::compile::compile` (the sandbox limits and the hyphenated-id
//! rewriting included) and evaluated in trainyard's CEL environment (the standard library plus
//! trainyard's string functions), on the caller's thread with the stack trainyard grants.
//!
//! `testdata/cel-spec/skip.json` lists the cases that cannot pass, each with its reason; a key
//! names a file, a section (`file/section`) or a test (`file/section/test`, `#2` for a repeated
//! name). The test fails when a case not listed fails, when a listed case passes (the list must
//! stay exact), or when an entry matches no case.
//!
//! Run: `cargo test -p trainyard --test cel_conformance -- --nocapture` (prints the counts).

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use trainyard::expr::{compile, functions};

fn cel_spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/cel-spec")
}

/// One conformance case, with its id (`file/section/test`).
struct Case {
    id: String,
    section: String,
    file: String,
    test: Value,
}

fn cases() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cel_spec_dir().join("cases"))
        .expect("testdata/cel-spec/cases")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.ends_with("SOURCE.json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        let file = doc["name"].as_str().expect("a file name").to_string();
        for section in doc["sections"].as_array().expect("sections") {
            let section_id = format!("{file}/{}", section["name"].as_str().expect("a section name"));
            let mut seen: HashMap<String, usize> = HashMap::new();
            for test in section["tests"].as_array().expect("tests") {
                let name = test["name"].as_str().expect("a test name").to_string();
                let n = seen.entry(name.clone()).or_default();
                *n += 1;
                let id = if *n == 1 { format!("{section_id}/{name}") } else { format!("{section_id}/{name}#{n}") };
                out.push(Case { id, section: section_id.clone(), file: file.clone(), test: test.clone() });
            }
        }
    }
    out
}

/// A value of the cases' JSON form (`{"int": 1}`, `{"list": […]}`, …) as a CEL value.
fn to_cel(v: &Value) -> cel::Value {
    let (kind, x) = v.as_object().and_then(|o| o.iter().next()).expect("a typed value");
    match kind.as_str() {
        "null" => cel::Value::Null,
        "bool" => cel::Value::Bool(x.as_bool().expect("bool")),
        "int" => cel::Value::Int(x.as_i64().expect("int")),
        "uint" => cel::Value::UInt(x.as_u64().expect("uint")),
        "double" => cel::Value::Float(double(x)),
        "string" => cel::Value::String(Arc::new(x.as_str().expect("string").to_string())),
        "bytes" => cel::Value::Bytes(Arc::new(bytes(x))),
        "list" => cel::Value::List(Arc::new(x.as_array().expect("list").iter().map(to_cel).collect())),
        "map" => {
            let entries = x.as_array().expect("map").iter().map(|e| (key(&e[0]), to_cel(&e[1]))).collect();
            cel::Value::Map(cel::objects::Map { map: Arc::new(entries) })
        }
        "timestamp" => cel::Value::Timestamp(timestamp(x)),
        "duration" => cel::Value::Duration(duration(x)),
        other => panic!("a binding of kind {other} is not supported"),
    }
}

/// A double of the cases, written as text (`"1.38e-23"`, `"NaN"`, `"-Infinity"`) so that it is
/// read with Rust's correctly rounded parser.
fn double(x: &Value) -> f64 {
    match x.as_str().expect("a double as text") {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        text => text.parse().expect("a double"),
    }
}

fn bytes(x: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(x.as_str().expect("base64")).expect("base64")
}

fn key(v: &Value) -> cel::objects::Key {
    match to_cel(v) {
        cel::Value::Int(i) => cel::objects::Key::Int(i),
        cel::Value::UInt(u) => cel::objects::Key::Uint(u),
        cel::Value::Bool(b) => cel::objects::Key::Bool(b),
        cel::Value::String(s) => cel::objects::Key::String(s),
        other => panic!("{other:?} cannot be a map key"),
    }
}

fn timestamp(x: &Value) -> DateTime<FixedOffset> {
    let (s, n) = (x["seconds"].as_i64().expect("seconds"), x["nanos"].as_u64().expect("nanos") as u32);
    Utc.timestamp_opt(s, n).single().expect("a valid instant").fixed_offset()
}

fn duration(x: &Value) -> chrono::Duration {
    chrono::Duration::seconds(x["seconds"].as_i64().expect("seconds"))
        + chrono::Duration::nanoseconds(x["nanos"].as_i64().expect("nanos"))
}

/// Whether `actual` is the expected value: exact kinds, NaN matches NaN, maps in any order.
fn matches(actual: &cel::Value, expected: &Value) -> bool {
    let (kind, x) = expected.as_object().and_then(|o| o.iter().next()).expect("a typed value");
    match (kind.as_str(), actual) {
        ("null", cel::Value::Null) => true,
        ("bool", cel::Value::Bool(b)) => x.as_bool() == Some(*b),
        ("int", cel::Value::Int(i)) => x.as_i64() == Some(*i),
        ("uint", cel::Value::UInt(u)) => x.as_u64() == Some(*u),
        ("double", cel::Value::Float(f)) => {
            let want = double(x);
            (want.is_nan() && f.is_nan()) || want == *f
        }
        ("string", cel::Value::String(s)) => x.as_str() == Some(s.as_str()),
        ("bytes", cel::Value::Bytes(b)) => bytes(x) == **b,
        ("list", cel::Value::List(items)) => {
            let want = x.as_array().expect("list");
            want.len() == items.len() && want.iter().zip(items.iter()).all(|(w, a)| matches(a, w))
        }
        ("map", cel::Value::Map(m)) => {
            let want = x.as_array().expect("map");
            want.len() == m.map.len() && want.iter().all(|e| m.map.get(&key(&e[0])).is_some_and(|a| matches(a, &e[1])))
        }
        ("timestamp", cel::Value::Timestamp(t)) => *t == timestamp(x),
        ("duration", cel::Value::Duration(d)) => *d == duration(x),
        _ => false,
    }
}

/// What running one case gave: `Ok` when it passed, else why not.
fn run(test: &Value) -> Result<(), String> {
    let expect = test["expect"].as_object().expect("an expectation");
    if test.get("check_only").is_some() || expect.contains_key("deduced_type_only") {
        return Err("a type-check case: nothing to evaluate".into());
    }
    if expect.contains_key("unknown") {
        return Err("expects unknowns".into());
    }
    let source = test["expr"].as_str().expect("an expression");
    let program = compile::compile(source).map_err(|e| format!("refused when compiling: {e}"))?;
    let bindings: Vec<(String, cel::Value)> = test
        .get("bindings")
        .and_then(Value::as_object)
        .map(|b| b.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect())
        .unwrap_or_default();
    let result = compile::with_stack(compile::EVAL_STACK_BYTES, || {
        let mut ctx = functions::context();
        for (name, value) in &bindings {
            ctx.add_variable_from_value(name.as_str(), value.clone());
        }
        cel::Value::resolve(&program.ast, &ctx)
    })
    .map_err(|e| format!("the evaluation panicked: {e}"))?;
    match (expect.get("value"), result) {
        (Some(want), Ok(got)) if matches(&got, want) => Ok(()),
        (Some(want), Ok(got)) => Err(format!("gave {got:?}, expected {want}")),
        (Some(want), Err(e)) => Err(format!("failed with `{e}`, expected {want}")),
        (None, Err(_)) => Ok(()),
        (None, Ok(got)) => Err(format!("gave {got:?}, expected an error {}", expect["error"])),
    }
}

fn skip_list() -> Map<String, Value> {
    let text = std::fs::read_to_string(cel_spec_dir().join("skip.json")).expect("testdata/cel-spec/skip.json");
    let doc: Value = serde_json::from_str(&text).expect("skip.json is JSON");
    doc["skip"].as_object().expect("skip.json has a `skip` object").clone()
}

#[test]
fn cel_spec_simple_conformance() {
    let skips = skip_list();
    for (key, reason) in &skips {
        assert!(reason.as_str().is_some_and(|r| !r.trim().is_empty()), "`{key}` in skip.json has no reason");
    }
    let cases = cases();
    assert!(cases.len() > 1000, "only {} cases found: is testdata/cel-spec/cases complete?", cases.len());
    let mut used: HashSet<&str> = HashSet::new();
    let (mut passed, mut skipped) = (0usize, BTreeMap::<&str, usize>::new());
    let (mut unexpected, mut stale) = (Vec::new(), Vec::new());
    for case in &cases {
        let listed = [case.id.as_str(), case.section.as_str(), case.file.as_str()]
            .into_iter()
            .find_map(|k| skips.get_key_value(k).map(|(k, r)| (k.as_str(), r.as_str().unwrap_or_default())));
        let outcome = run(&case.test);
        match (listed, outcome) {
            (None, Ok(())) => passed += 1,
            (None, Err(why)) => {
                unexpected.push(format!("{}: `{}` {why}", case.id, case.test["expr"].as_str().unwrap_or("")))
            }
            (Some((key, _)), Ok(())) => stale.push(format!("{} passes but `{key}` skips it", case.id)),
            (Some((key, reason)), Err(_)) => {
                used.insert(key);
                *skipped.entry(reason).or_default() += 1;
            }
        }
    }
    let unused: Vec<&String> = skips.keys().filter(|k| !used.contains(k.as_str())).collect();
    let total = cases.len();
    println!(
        "cel-spec conformance: {passed} of {total} passed, {} skipped",
        total - passed - unexpected.len() - stale.len()
    );
    for (reason, n) in &skipped {
        println!("  skipped {n:4}: {reason}");
    }
    assert!(
        unexpected.is_empty(),
        "{} cases fail and are not in skip.json:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(stale.is_empty(), "skip.json is out of date:\n{}", stale.join("\n"));
    assert!(unused.is_empty(), "entries of skip.json that skip nothing failing: {unused:?}");
    assert!(passed * 100 >= total * 80, "only {passed} of {total} cases pass");
}

/// The `${…}` splitter lexes as CEL does: every conformance expression (all string forms, raw
/// and bytes literals, escapes, map literals) wrapped in `${…}` is exactly one expression.
#[test]
fn every_conformance_expression_is_one_template_expression() {
    let mut wrong = Vec::new();
    for case in cases() {
        let source = case.test["expr"].as_str().expect("an expression");
        let template = format!("${{{source}}}");
        match trainyard::expr::template::parse_template(&template) {
            Ok(parts) if matches!(parts.as_slice(), [trainyard::expr::template::Segment::Expr { source: s, .. }] if s == source.trim()) =>
                {}
            other => wrong.push(format!("{}: `{source}` split as {other:?}", case.id)),
        }
    }
    assert!(wrong.is_empty(), "{} expressions split wrongly:\n{}", wrong.len(), wrong.join("\n"));
}

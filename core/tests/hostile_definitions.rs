//! Hostile definitions: validation takes time near-linear in the size of a definition, and every
//! form of definition (YAML text, JSON text, a value) is held to the same bounds
//! (`trainyard::model::limits`), each refusal a `validation` problem with its own code.
//!
//! No test here measures time: each input is made big enough that quadratic work would take
//! minutes (a 70,000-phase definition, a 10,000-phase cycle, 50,000 variables, …). The cases whose
//! old failure was memory (gigabytes for one cycle) run in a child process under an address-space
//! limit (`setrlimit(RLIMIT_AS)`), so a blow-up fails the test instead of the machine.

use serde_json::{Value, json};
use std::process::Command;
use trainyard::model::limits::{
    MAX_ACTIVITIES, MAX_DEFINITION_BYTES, MAX_DEPTH, MAX_KEY_BYTES, MAX_NODES, MAX_PHASES, MAX_PROBLEMS,
    MAX_STRING_BYTES,
};

/// Runs the test `name` again in a child process whose address space is limited to `limit_mib`,
/// or, inside that child, runs `body`.
fn in_child_with_memory_limit(name: &str, limit_mib: u64, body: impl FnOnce()) {
    if std::env::var("HOSTILE_CHILD").as_deref() == Ok(name) {
        let bytes = limit_mib * 1024 * 1024;
        let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
        // SAFETY: setrlimit only reads the struct it is given.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0, "setrlimit");
        body();
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("HOSTILE_CHILD", name)
        .output()
        .expect("child test runs");
    assert!(
        out.status.success(),
        "{name} failed under a {limit_mib} MiB address-space limit ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"), "the child ran the test");
}

/// `(path, code)` of every problem, or an empty list when the definition loads.
fn problems(result: trainyard::Result<trainyard::LoadedProcess>) -> Vec<(String, String)> {
    match result {
        Ok(_) => Vec::new(),
        Err(e) => {
            assert_eq!(e.code(), "validation", "{e}");
            e.problems().iter().map(|p| (p.path.clone(), p.code.clone())).collect()
        }
    }
}

fn codes(result: trainyard::Result<trainyard::LoadedProcess>) -> Vec<String> {
    problems(result).into_iter().map(|(_, c)| c).collect()
}

/// The same definition as JSON text, as YAML text (block style) and as a value: the codes of each.
fn every_form(doc: &Value) -> [Vec<String>; 3] {
    every_form_with_yaml(doc, serde_saphyr::to_string(doc).expect("YAML"))
}

fn every_form_with_yaml(doc: &Value, yaml: String) -> [Vec<String>; 3] {
    let json = doc.to_string();
    [
        codes(trainyard::load_process(&json)),
        codes(trainyard::load_process(&yaml)),
        codes(trainyard::load_process_value(doc.clone(), None)),
    ]
}

fn phase(id: String) -> Value {
    json!({ "id": id, "activities": [{ "id": "a", "kind": "manual" }] })
}

/// `n` phases; phase `i` depends on `dep(i)`.
fn process(n: usize, dep: impl Fn(usize) -> Option<usize>) -> Value {
    let phases: Vec<Value> = (0..n)
        .map(|i| {
            let mut p = phase(format!("p{i}"));
            if let Some(d) = dep(i) {
                p["depends_on"] = json!([format!("p{d}")]);
            }
            p
        })
        .collect();
    json!({ "id": "big", "phases": phases })
}

#[test]
fn seventy_thousand_phases_under_four_mib_validate_as_text_and_as_a_value() {
    let doc = process(70_000, |_| None);
    let text = doc.to_string();
    assert!(text.len() < MAX_DEFINITION_BYTES, "{} bytes", text.len());
    let loaded = trainyard::load_process(&text).expect("valid");
    assert_eq!(loaded.process.phases.len(), 70_000);
    assert!(trainyard::load_process_value(doc, None).is_ok());
}

#[test]
fn a_long_chain_of_phases_that_read_each_other_validates() {
    // 16,000 phases, each after the one before, each reading the first phase's output (every 100th
    // also the one before's): the upstream check used to build every phase's full set of ancestors.
    in_child_with_memory_limit("a_long_chain_of_phases_that_read_each_other_validates", 1024, || {
        let n = 16_000;
        let phases: Vec<Value> = (0..n)
            .map(|i| {
                let mut p = phase(format!("p{i}"));
                p["outputs"] = json!({ "o": "x" });
                if i > 0 {
                    p["depends_on"] = json!([format!("p{}", i - 1)]);
                    p["variables"] = json!({ "first": "${phases.p0.outputs.o}" });
                }
                if i % 100 == 99 {
                    p["variables"]["before"] = json!(format!("${{phases.p{}.outputs.o}}", i - 1));
                }
                p
            })
            .collect();
        let mut doc = json!({ "id": "chain", "phases": phases });
        assert_eq!(codes(trainyard::load_process_value(doc.clone(), None)), Vec::<String>::new());
        // Without the last dependency, the last phase reads outputs that do not exist yet.
        doc["phases"][n - 1].as_object_mut().unwrap().remove("depends_on");
        let got = problems(trainyard::load_process_value(doc, None));
        let at = format!("phases[{}].variables", n - 1);
        assert_eq!(
            got,
            vec![(format!("{at}.first"), "not_downstream".into()), (format!("{at}.before"), "not_downstream".into())]
        );
    });
}

#[test]
fn a_ten_thousand_phase_cycle_is_found_and_named_by_an_excerpt() {
    in_child_with_memory_limit("a_ten_thousand_phase_cycle_is_found_and_named_by_an_excerpt", 1024, || {
        let n = 10_000;
        let err = trainyard::load_process(&process(n, |i| Some((i + 1) % n)).to_string()).unwrap_err();
        let p = err.problems();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].path.as_str(), p[0].code.as_str()), ("phases[0].depends_on", "dependency_cycle"));
        assert!(p[0].message.contains("p0 → p1 → p2"), "{}", p[0].message);
        assert!(p[0].message.contains("(9989 more) → p9999 → p0"), "{}", p[0].message);
        assert!(p[0].message.len() < 400, "{} bytes", p[0].message.len());
    });
}

#[test]
fn many_unknown_dependencies_give_bounded_messages_and_a_bounded_list() {
    in_child_with_memory_limit("many_unknown_dependencies_give_bounded_messages_and_a_bounded_list", 1024, || {
        // 30,000 phases, each depending on a phase that does not exist.
        let doc = process(30_000, |i| Some(i + 1_000_000));
        let err = trainyard::load_process_value(doc, None).unwrap_err();
        let p = err.problems();
        assert_eq!(p.len(), MAX_PROBLEMS + 1);
        assert!(p[..MAX_PROBLEMS].iter().all(|p| p.code == "unknown_dependency"));
        assert!(p[0].message.contains("it may depend on: p1, p2,"), "{}", p[0].message);
        assert!(p.iter().all(|p| p.message.len() < 1000), "every message is bounded");
        assert_eq!(p[MAX_PROBLEMS].code, "too_many_problems");
    });
}

#[test]
fn activities_in_many_phases_are_checked_in_near_linear_time() {
    // 20,000 phases with two activities each; every second one depends on an activity of another
    // phase (the "it is an activity of phase …" hint used to be built for every pair of phases).
    let phases: Vec<Value> = (0..20_000)
        .map(|i| {
            let mut p = json!({ "id": format!("p{i}"), "activities": [
                { "id": format!("a{i}"), "kind": "manual" },
                { "id": format!("b{i}"), "kind": "manual" },
            ]});
            if i % 2 == 1 {
                p["activities"][1]["depends_on"] = json!([format!("a{}", i - 1)]);
            }
            p
        })
        .collect();
    let err = trainyard::load_process_value(json!({ "id": "x", "phases": phases }), None).unwrap_err();
    let p = err.problems();
    assert_eq!(p.len(), MAX_PROBLEMS + 1);
    assert_eq!(p[0].path, "phases[1].activities[1].depends_on[0]");
    assert!(p[0].message.contains("that is an activity of phase `p0`"), "{}", p[0].message);
}

#[test]
fn fifty_thousand_variables_validate() {
    // Each variable sees those before it: the scope used to be collected anew for each one.
    let mut vars = serde_json::Map::new();
    for i in 0..50_000 {
        vars.insert(format!("v{i}"), json!("x"));
    }
    vars.insert("last".into(), json!("${vars.v0}-${vars.v49999}"));
    let doc = json!({ "id": "vars", "variables": vars, "phases": [phase("p".into())] });
    assert_eq!(codes(trainyard::load_process_value(doc, None)), Vec::<String>::new());
}

#[test]
fn problems_deep_inside_values_are_capped_in_number() {
    // A `with` value 50 levels deep under keys of 1 KiB, holding 100,000 expressions that read an
    // undeclared input: each problem's path is 50 KiB, so listing them all would take gigabytes.
    in_child_with_memory_limit("problems_deep_inside_values_are_capped_in_number", 1024, || {
        let key = "k".repeat(MAX_KEY_BYTES);
        let leaves: Vec<Value> = (0..100_000).map(|_| json!("${inputs.nope}")).collect();
        let deep = (0..50).fold(Value::Array(leaves), |v, _| json!({ key.clone(): v }));
        let doc = json!({ "id": "deep", "phases": [{ "id": "p", "activities": [
            { "id": "a", "kind": "automated", "executor": "c", "with": { "x": deep } }
        ]}]});
        let err = trainyard::load_process_value(doc, None).unwrap_err();
        let p = err.problems();
        assert_eq!(p.len(), MAX_PROBLEMS + 1);
        assert!(p[..MAX_PROBLEMS].iter().all(|p| p.code == "unknown_reference"));
        assert!(p[0].path.ends_with("[0]") && p[0].path.len() > 50 * MAX_KEY_BYTES, "{}", p[0].path.len());
        assert_eq!(p[MAX_PROBLEMS].code, "too_many_problems");
    });
}

#[test]
fn long_lists_are_checked_against_long_allowed_lists_in_linear_time() {
    // A default of 200,000 numbers, each looked up among 200,000 allowed ones.
    let allowed: Vec<Value> = (0..200_000).map(|i| json!(i)).collect();
    let default: Vec<Value> = (0..200_000).rev().map(|i| json!(i)).collect();
    let mut doc = json!({ "id": "lists", "inputs": {
        "many": { "type": "list", "items": "number", "allowed": allowed, "default": default },
    }, "phases": [phase("p".into())] });
    assert!(trainyard::load_process_value(doc.clone(), None).is_ok());
    doc["inputs"]["many"]["default"][7] = json!(-1);
    let got = problems(trainyard::load_process_value(doc, None));
    assert_eq!(got, vec![("inputs.many.default[7]".to_string(), "bad_default".to_string())]);
}

#[test]
fn a_pattern_is_compiled_once_for_all_the_values_it_checks() {
    let doc = json!({ "id": "lists", "inputs": {
        "matched": { "type": "list", "pattern": "^v[0-9]+$" },
    }, "phases": [phase("p".into())] });
    let loaded = trainyard::load_process_value(doc, None).expect("valid");
    // Two million release input items (compiling the pattern once per item took minutes).
    let def = &loaded.process.inputs["matched"];
    let mut items: Vec<Value> = (0..2_000_000).map(|i| json!(format!("v{i}"))).collect();
    items[77] = json!("nope");
    let mut out = Vec::new();
    trainyard::validate::check_input_value(def, &Value::Array(items), "inputs.matched", &mut out);
    let got: Vec<(&str, &str)> = out.iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert_eq!(got, vec![("inputs.matched[77]", "invalid_value")]);
}

#[test]
fn a_large_child_process_is_looked_up_and_walked_once() {
    let child = trainyard::load_process_value(process(10_000, |_| None), None).unwrap().process;
    let mut catalog = std::collections::HashMap::new();
    catalog.insert("big".to_string(), child);
    let activities: Vec<Value> =
        (0..50_000).map(|i| json!({ "id": format!("s{i}"), "kind": "subprocess", "process": "big" })).collect();
    let doc = json!({ "id": "root", "phases": [{ "id": "p", "activities": activities }] });
    let catalog: &dyn trainyard::ProcessCatalog = &catalog;
    assert_eq!(codes(trainyard::load_process_value(doc, Some(catalog))), Vec::<String>::new());
}

// ---- one set of bounds for every form ----

fn nested(levels: usize) -> Value {
    (0..levels).fold(json!("x"), |v, _| json!([v]))
}

/// A process whose variable `v` holds `value` (the document's own mapping and `variables` are two
/// levels of nesting).
fn with_variable(value: Value) -> Value {
    json!({ "id": "x", "variables": { "v": value }, "phases": [phase("p".into())] })
}

#[test]
fn nesting_is_bounded_the_same_way_in_every_form() {
    let deepest = with_variable(nested(MAX_DEPTH - 2));
    assert_eq!(every_form(&deepest), [vec![], vec![], vec![]] as [Vec<String>; 3]);
    let deeper = with_variable(nested(MAX_DEPTH - 1));
    let too_deep = vec!["too_deep".to_string()];
    assert_eq!(every_form(&deeper), [too_deep.clone(), too_deep.clone(), too_deep.clone()]);
    // Past serde_json's own limit (128) it is the same problem at the same path, not a syntax error.
    let deepest_text = problems(trainyard::load_process(&with_variable(nested(200)).to_string()));
    assert_eq!(deepest_text, problems(trainyard::load_process_value(with_variable(nested(200)), None)));
    assert_eq!(deepest_text, vec![(format!("variables.v{}", "[0]".repeat(MAX_DEPTH - 2)), "too_deep".to_string())]);
}

#[test]
fn a_value_nested_a_million_levels_is_refused_without_overflowing_the_stack() {
    let mut v = json!(1);
    for _ in 0..1_000_000 {
        v = Value::Array(vec![v]);
    }
    // (Built by hand: `json!` would serialize the value, recursing a million levels itself.)
    let mut variables = serde_json::Map::new();
    variables.insert("v".into(), v);
    let mut doc = serde_json::Map::new();
    doc.insert("id".into(), json!("x"));
    doc.insert("variables".into(), Value::Object(variables));
    let err = trainyard::load_process_value(Value::Object(doc), None).unwrap_err();
    assert_eq!(err.problems()[0].code, "too_deep");
    assert!(err.problems()[0].path.starts_with("variables.v[0][0]"), "{}", err.problems()[0].path);
}

/// Lists, mappings, keys and scalars in `v`.
fn nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(nodes).sum(),
        Value::Object(map) => map.values().map(|v| 1 + nodes(v)).sum(),
        _ => 0,
    }
}

#[test]
fn node_count_is_bounded_the_same_way_in_every_form() {
    let fixed = nodes(&with_variable(json!([])));
    // YAML in flow style (JSON after a comment line), so a million nodes fit in 4 MiB.
    let forms = |doc: &Value| every_form_with_yaml(doc, format!("# flow style\n{doc}"));
    let fits = with_variable(Value::Array(vec![json!(0); MAX_NODES - fixed]));
    assert_eq!(nodes(&fits), MAX_NODES);
    assert_eq!(forms(&fits), [vec![], vec![], vec![]] as [Vec<String>; 3]);
    let over = with_variable(Value::Array(vec![json!(0); MAX_NODES - fixed + 1]));
    let too_many = vec!["too_many_nodes".to_string()];
    assert_eq!(forms(&over), [too_many.clone(), too_many.clone(), too_many.clone()]);
}

#[test]
fn size_is_bounded_for_text_and_values() {
    // Text: the bytes of the text.
    let text = format!("id: x\ndescription: \"{}\"\nphases: []\n", "a".repeat(MAX_DEFINITION_BYTES));
    assert_eq!(codes(trainyard::load_process(&text)), vec!["too_large"]);
    // A value: the bytes of its compact JSON, measured while walking it (20 strings of 250 KiB).
    let chunks: Vec<Value> = (0..20).map(|_| json!("a".repeat(250 * 1024))).collect();
    let doc = with_variable(Value::Array(chunks));
    assert!(doc.to_string().len() > MAX_DEFINITION_BYTES);
    assert_eq!(codes(trainyard::load_process_value(doc.clone(), None)), vec!["too_large"]);
    // The same through a typed process.
    let process: trainyard::Process = serde_json::from_value(doc).unwrap();
    let report = trainyard::validate::validate(&process, None);
    assert_eq!(report.errors.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), vec!["too_large"]);
}

#[test]
fn strings_and_keys_are_bounded_the_same_way_in_every_form() {
    let description = |n: usize| {
        let mut doc = with_variable(json!(1));
        doc["description"] = json!("d".repeat(n));
        doc
    };
    assert_eq!(every_form(&description(MAX_STRING_BYTES)), [vec![], vec![], vec![]] as [Vec<String>; 3]);
    let too_long = vec!["too_long".to_string()];
    assert_eq!(every_form(&description(MAX_STRING_BYTES + 1)), [too_long.clone(), too_long.clone(), too_long.clone()]);
    // A 50 MB description given as a value is refused too (it used to register).
    let big = description(50 * 1024 * 1024);
    assert_eq!(codes(trainyard::load_process_value(big, None)), too_long);
    let key = |n: usize| with_variable(json!({ "k".repeat(n): 1 }));
    assert_eq!(every_form(&key(MAX_KEY_BYTES)), [vec![], vec![], vec![]] as [Vec<String>; 3]);
    assert_eq!(every_form(&key(MAX_KEY_BYTES + 1)), [too_long.clone(), too_long.clone(), too_long]);
}

#[test]
fn phases_and_activities_are_bounded_in_number() {
    let phases = json!({ "id": "x", "phases": vec![json!({}); MAX_PHASES + 1] });
    assert_eq!(
        problems(trainyard::load_process(&phases.to_string())),
        vec![("phases".into(), "too_many_phases".into())]
    );
    assert_eq!(codes(trainyard::load_process_value(phases, None)), vec!["too_many_phases"]);
    let activities = json!({ "id": "x", "phases": [{ "id": "p", "activities": vec![json!({}); MAX_ACTIVITIES + 1] }] });
    assert_eq!(codes(trainyard::load_process(&activities.to_string())), vec!["too_many_activities"]);
    assert_eq!(codes(trainyard::load_process_value(activities, None)), vec!["too_many_activities"]);
}

#[test]
fn yaml_alias_bombs_are_refused() {
    let nodes = "id: bomb\nvariables:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nphases: []\n";
    assert_eq!(codes(trainyard::load_process(nodes)), vec!["too_many_nodes"]);
    // One string of 1 MB repeated through an alias: the expanded text passes 4 MiB.
    let s = "x".repeat(200 * 1024);
    let strings = format!("id: bomb\nvariables:\n  s: &s \"{s}\"\n  l: [{}]\nphases: []\n", vec!["*s"; 30].join(", "));
    assert_eq!(codes(trainyard::load_process(&strings)), vec!["too_large"]);
    let deep = format!("id: deep\nvariables:\n  v: {}1{}\nphases: []\n", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(codes(trainyard::load_process(&deep)), vec!["too_deep"]);
}

#[test]
fn every_duplicate_key_of_json_text_is_listed_with_its_place() {
    let text = "{\n  \"id\": \"dup\",\n  \"phases\": [\n    { \"id\": \"a\", \"activities\": [], \"id\": \"b\" },\n    { \"id\": \"c\", \"activities\": [{ \"id\": \"x\", \"kind\": \"manual\", \"kind\": \"wait\" }] }\n  ],\n  \"id\": \"again\"\n}\n";
    let err = trainyard::load_process(text).unwrap_err();
    let got: Vec<(&str, &str, Option<u32>, Option<u32>)> =
        err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str(), p.line, p.column)).collect();
    assert_eq!(
        got,
        vec![
            ("phases[0].id", "duplicate_key", Some(4), Some(36)),
            ("phases[1].activities[0].kind", "duplicate_key", Some(5), Some(64)),
            ("id", "duplicate_key", Some(7), Some(3)),
        ]
    );
    assert!(err.problems()[0].message.contains("first at line 4, column 7"), "{}", err.problems()[0].message);
    // YAML refuses them too, with the same code.
    let yaml = "id: dup\nid: again\nphases: []\n";
    assert_eq!(codes(trainyard::load_process(yaml)), vec!["duplicate_key"]);
}

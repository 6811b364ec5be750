//! Scope and precedence rules of the expression context.

use super::*;
use crate::expr::{MAX_LIST_ITEMS, MAX_STRING_BYTES};
use crate::release::{Plan, ReleaseState};
use serde_json::json;

const PROCESS: &str = r#"
id: scopes
inputs:
  version: { type: string, default: "1.2.3" }
  count: { type: number, default: 3 }
  services: { type: list, default: [pay, user] }
variables:
  branch: "release/${inputs.version}"
  who: global
  combined: "${vars.branch}-${vars.who}"
phases:
  - id: branch-cut
    variables:
      who: phase
      local: "${vars.who}-${vars.branch}"
    outputs:
      commit: "${activities.cut.outputs.commit}"
      short: "${activities.cut.outputs.commit.substring(0, 3)}"
    activities:
      - id: cut
        kind: automated
        executor: x
        outputs: [commit]
        variables:
          who: activity
          mine: "${vars.who}/${vars.local}"
      - { id: deploy-qa, kind: automated, executor: x, depends_on: [cut], outputs: [url] }
  - id: beta
    depends_on: [branch-cut]
    activities:
      - { id: deploy, kind: automated, executor: x }
"#;

fn state() -> ReleaseState {
    let process = crate::load_process(PROCESS).unwrap().process;
    let mut s = ReleaseState::new("r-1", Plan::new(Arc::new(process), 4));
    s.name = "Week 14".into();
    s.group = Some("weekly".into());
    s.attempt = 2;
    for (k, v) in [("version", json!("1.2.3")), ("count", json!(3)), ("services", json!(["pay", "user"]))] {
        s.inputs.insert(k.into(), v);
    }
    s.phases[0].activities[0].outputs.insert("commit".into(), json!("abc123"));
    s.phases[0].activities[1].outputs.insert("url".into(), json!("https://qa"));
    s.phases[0].outputs.insert("commit".into(), json!("abc123"));
    s
}

fn eval(source: &str, scope: &Scope<'_>) -> Value {
    eval_cel(source, scope).unwrap_or_else(|e| panic!("{source}: {e}"))
}

#[test]
fn inputs_and_release_fields() {
    let s = state();
    let scope = Scope::release(&s);
    assert_eq!(eval("inputs.version", &scope), json!("1.2.3"));
    assert_eq!(eval("inputs.count + 1", &scope), json!(4));
    assert_eq!(eval("inputs.services.join(',')", &scope), json!("pay,user"));
    assert_eq!(eval("[release.id, release.name, release.kind]", &scope), json!(["r-1", "Week 14", "standard"]));
    assert_eq!(eval("[release.version, release.attempt]", &scope), json!([4, 2]));
    assert_eq!(eval("release.start", &scope), Value::Null);
    assert_eq!(eval("group.name", &scope), json!("weekly"));
    assert_eq!(eval("group.occurrence", &scope), Value::Null);
}

#[test]
fn global_variables_may_use_earlier_ones() {
    let s = state();
    assert_eq!(eval("vars.combined", &Scope::release(&s)), json!("release/1.2.3-global"));
    assert_eq!(eval("vars.who", &Scope::release(&s)), json!("global"));
}

#[test]
fn phase_variables_shadow_global_ones() {
    let s = state();
    let scope = Scope::phase(&s, 0);
    assert_eq!(eval("vars.who", &scope), json!("phase"));
    // Defined after `who` in the phase: sees the phase's `who`.
    assert_eq!(eval("vars.local", &scope), json!("phase-release/1.2.3"));
    // Global variables computed from global ones keep their global values.
    assert_eq!(eval("vars.combined", &scope), json!("release/1.2.3-global"));
    // Another phase does not see them.
    assert_eq!(eval("vars.who", &Scope::phase(&s, 1)), json!("global"));
    assert!(eval_cel("vars.local", &Scope::phase(&s, 1)).is_err());
}

#[test]
fn activity_variables_are_innermost() {
    let s = state();
    let scope = Scope::activity(&s, 0, 0);
    assert_eq!(eval("vars.who", &scope), json!("activity"));
    assert_eq!(eval("vars.mine", &scope), json!("activity/phase-release/1.2.3"));
    // A sibling activity sees the phase's variables only.
    assert_eq!(eval("vars.who", &Scope::activity(&s, 0, 1)), json!("phase"));
}

#[test]
fn outputs_of_phases_and_activities() {
    let s = state();
    let scope = Scope::activity(&s, 1, 0);
    assert_eq!(eval("phases['branch-cut'].activities.cut.outputs.commit", &scope), json!("abc123"));
    assert_eq!(eval("phases.branch-cut.activities.cut.outputs.commit", &scope), json!("abc123"));
    assert_eq!(eval("phases.branch-cut.activities.deploy-qa.outputs.url", &scope), json!("https://qa"));
    assert_eq!(eval("phases.branch-cut.outputs.commit", &scope), json!("abc123"));
    assert_eq!(eval("phases.beta.status", &scope), json!("pending"));
    // `activities` is the current phase's.
    let same = Scope::activity(&s, 0, 1);
    assert_eq!(eval("activities.cut.outputs.commit", &same), json!("abc123"));
    assert_eq!(eval("activities['deploy-qa'].outputs.url", &same), json!("https://qa"));
    assert!(eval_cel("activities.cut.outputs.commit", &scope).is_err(), "beta has no activity `cut`");
    assert!(eval_cel("activities.cut", &Scope::release(&s)).is_err(), "no current phase");
}

#[test]
fn phase_outputs_are_expressions_over_its_activities() {
    let s = state();
    let scope = Scope::phase(&s, 0);
    assert_eq!(interpolate(&json!("${activities.cut.outputs.commit.size()}"), &scope).unwrap(), json!(6));
}

#[test]
fn templates_keep_types_only_for_a_single_expression() {
    let s = state();
    let scope = Scope::release(&s);
    assert_eq!(interpolate(&json!("${inputs.count}"), &scope).unwrap(), json!(3));
    assert_eq!(interpolate(&json!("n=${inputs.count}"), &scope).unwrap(), json!("n=3"));
    assert_eq!(
        interpolate(&json!({"argv": ["./x", "${vars.branch}"], "n": 1}), &scope).unwrap(),
        json!({"argv": ["./x", "release/1.2.3"], "n": 1})
    );
}

#[test]
fn conditions_must_be_boolean() {
    let s = state();
    assert!(eval_condition("inputs.count > 2", &Scope::release(&s)).unwrap());
    let err = eval_condition("inputs.count", &Scope::phase(&s, 1)).unwrap_err();
    assert!(err.contains("true or false") && err.contains("phase `beta`"), "{err}");
}

#[test]
fn runtime_errors_name_the_expression_and_the_location() {
    let s = state();
    let err = eval_cel("phases.beta.activities.deploy.outputs.missing", &Scope::activity(&s, 1, 0)).unwrap_err();
    assert!(err.contains("`phases.beta.activities.deploy.outputs.missing`"), "{err}");
    assert!(err.contains("activity `beta/deploy`"), "{err}");
    let err = eval_cel("1 / 0", &Scope::release(&s)).unwrap_err();
    assert!(err.contains("the release"), "{err}");
    let err = interpolate(&json!("x ${inputs.count"), &Scope::phase(&s, 0)).unwrap_err();
    assert!(err.contains("phase `branch-cut`"), "{err}");
}

#[test]
fn sandbox_caps_context_and_results() {
    let mut s = state();
    s.inputs.insert("big".into(), json!("x".repeat(MAX_STRING_BYTES + 1)));
    let err = eval_cel("size(inputs.big)", &Scope::release(&s)).unwrap_err();
    assert!(err.contains("expressions handle at most"), "{err}");
    s.inputs.insert("big".into(), json!(vec![1; MAX_LIST_ITEMS + 1]));
    assert!(eval_cel("size(inputs.big)", &Scope::release(&s)).is_err());
    // Not mentioned, not built: other expressions are unaffected.
    assert_eq!(eval("release.id", &Scope::release(&s)), json!("r-1"));
    let long = format!("['{}'].map(a, [{}].join())", "x".repeat(3500), vec!["a"; 20].join(","));
    let err = eval_cel(&long, &Scope::release(&s)).unwrap_err();
    assert!(err.contains("at most 65536"), "{err}");
}

#[test]
fn only_the_phases_named_are_built() {
    let s = state();
    let scope = Scope::activity(&s, 1, 0);
    let built = |source: &str| {
        let program = compile::cached(source).unwrap();
        let read = context::phases_read(&program);
        s.phases
            .iter()
            .filter(|_| program.references.iter().any(|r| r.root == "phases"))
            .filter(|ph| read.as_ref().is_none_or(|ids| ids.contains(ph.id.as_str())))
            .map(|ph| ph.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(built("phases.beta.status"), vec!["beta"]);
    assert_eq!(built("phases.branch-cut.outputs.commit + phases.beta.status"), vec!["branch-cut", "beta"]);
    assert_eq!(built("size(phases)"), vec!["branch-cut", "beta"]);
    assert_eq!(built("phases[inputs.version].status"), vec!["branch-cut", "beta"]);
    assert!(built("inputs.count").is_empty());
    assert_eq!(eval("size(phases) + size(phases.beta.activities)", &scope), json!(3));
}

#[test]
fn templates_take_every_cel_string_form_and_comments_as_if_does() {
    let s = state();
    let scope = Scope::release(&s);
    let cases = [
        (r"${ r'\' }", json!("\\")),
        ("${ '''it's''' }", json!("it's")),
        ("v=${ inputs.version // the version }\n}", json!("v=1.2.3")),
        ("${ {'k': {'n': inputs.count}}.k.n }", json!(3)),
        (r#"${ """a "}" b""" }"#, json!("a \"}\" b")),
    ];
    for (template, want) in cases {
        assert_eq!(interpolate(&json!(template), &scope).unwrap(), want, "{template}");
        assert!(crate::expr::check_template(template).is_empty(), "{template}");
    }
    assert!(eval_condition("r'\\' == '\\\\' && '''it's''' == \"it's\" // }", &scope).unwrap());
}

/// The documented mapping of CEL values to JSON (see `super::super::value`).
#[test]
fn every_cel_value_maps_to_json_as_documented() {
    let s = state();
    let scope = Scope::release(&s);
    let cases = [
        ("null", json!(null)),
        ("[true, 1, -2, 3u, 18446744073709551615u, 2.5, 2.0, 'x']", json!([true, 1, -2, 3, u64::MAX, 2.5, 2.0, "x"])),
        ("b'abc'", json!("YWJj")),
        ("b'\\xff'", json!("/w==")),
        ("timestamp('2025-01-01T10:00:00+02:00')", json!("2025-01-01T08:00:00Z")),
        ("timestamp('2025-01-01T10:00:00.250Z')", json!("2025-01-01T10:00:00.250Z")),
        ("duration('90m')", json!("1h 30m")),
        ("duration('0s')", json!("0s")),
        ("{1: 'a', true: 'b', 'k': [1u, {2: null}]}", json!({"1": "a", "k": [1, {"2": null}], "true": "b"})),
        ("{'b': 1, 'a': 2}", json!({"a": 2, "b": 1})),
    ];
    for (source, want) in cases {
        let got = eval_cel(source, &scope).unwrap_or_else(|e| panic!("{source}: {e}"));
        assert_eq!(got, want, "{source}");
        assert_eq!(serde_json::to_string(&got).unwrap(), serde_json::to_string(&want).unwrap(), "{source}");
    }
}

#[test]
fn values_json_cannot_hold_are_expression_errors_naming_where() {
    let s = state();
    let scope = Scope::release(&s);
    for (source, words) in [
        ("0.0 / 0.0", &["`0.0 / 0.0`", "NaN"][..]),
        ("1.0 / 0.0", &["Infinity"]),
        ("[1.0, -1.0 / 0.0]", &["-Infinity", "[1]"]),
        ("{'a': {'r': 0.0 / 0.0}}", &["NaN", ".a.r"]),
        ("{1: 'a', '1': 'b'}", &["key", "`1`", "twice"]),
        ("duration('-1s')", &["negative"]),
        ("duration('1.5s')", &["fraction"]),
        ("optional.of(1)", &["cannot be stored"]),
    ] {
        let err = eval_cel(source, &scope).unwrap_err();
        for w in words {
            assert!(err.contains(w), "{source}: `{w}` not in {err}");
        }
        assert!(err.contains("the release"), "{err}");
    }
}

/// The error of `result`, without printing a huge value when there is none.
fn refused<T>(result: Result<T, String>) -> String {
    match result {
        Err(e) => e,
        Ok(_) => panic!("rendered, though over the bound"),
    }
}

/// Issue 15: limits per expression multiply in a template; the rendered value has a bound of its own.
#[test]
fn a_rendered_value_is_bounded_whatever_the_number_of_expressions() {
    let mut s = state();
    s.inputs.insert("s".into(), json!("x".repeat(MAX_STRING_BYTES)));
    let scope = Scope::activity(&s, 0, 0);
    let many = "${inputs.s}".repeat(20);
    let err = refused(interpolate(&json!({"v": many}), &scope));
    assert!(err.contains(&MAX_RENDERED_BYTES.to_string()) && err.contains("activity `branch-cut/cut`"), "{err}");
    assert!(err.len() < 1000, "the message quotes an excerpt, not the template: {} bytes", err.len());
    // Spread over many strings of one value: the same bound.
    let spread: Map<String, Value> = (0..20).map(|i| (format!("k{i}"), json!("${inputs.s}"))).collect();
    let err = refused(interpolate(&Value::Object(spread), &scope));
    assert!(err.contains(&MAX_RENDERED_BYTES.to_string()), "{err}");
    // Under the bound: fine.
    let few = interpolate(&json!({"v": "${inputs.s}".repeat(4), "n": "${inputs.count}"}), &scope).unwrap();
    assert_eq!(few["v"].as_str().map(str::len), Some(4 * MAX_STRING_BYTES));
}

#[test]
fn the_variables_in_scope_are_bounded_together() {
    let mut text = String::from("id: vars\ninputs:\n  s: { type: string, default: x }\nvariables:\n");
    for i in 0..20 {
        text.push_str(&format!("  v{i}: \"${{inputs.s}}\"\n"));
    }
    text.push_str("phases:\n  - id: p\n    activities:\n      - { id: a, kind: automated, executor: x }\n");
    let process = crate::load_process(&text).unwrap().process;
    let mut s = ReleaseState::new("r", Plan::new(Arc::new(process), 1));
    s.inputs.insert("s".into(), json!("x".repeat(MAX_STRING_BYTES)));
    let err = refused(variables(&Scope::release(&s)));
    assert!(err.contains(&MAX_RENDERED_BYTES.to_string()), "{err}");
    s.inputs.insert("s".into(), json!("short"));
    assert_eq!(variables(&Scope::release(&s)).unwrap().len(), 20);
}

/// The deepest expressions the text limits let through, on a small stack: a coded error or a
/// value, never a stack overflow (debug and release builds alike).
#[test]
fn deep_expressions_are_errors_not_stack_overflows() {
    let max = crate::expr::MAX_EXPRESSION_BYTES;
    let deep = [
        format!("inputs{}", ".count".repeat((max - 6) / 6)),
        format!("inputs.services{}", "[0]".repeat((max - 15) / 3)),
        format!("'a'{}", ".trim()".repeat((max - 3) / 7)),
        format!("1{}", "+1".repeat(crate::expr::MAX_EXPRESSION_OPERATORS)),
        format!(
            "{}1{}",
            "(".repeat(crate::expr::MAX_EXPRESSION_NESTING),
            ")".repeat(crate::expr::MAX_EXPRESSION_NESTING)
        ),
        format!("{}inputs{}{}", "(".repeat(30), ".count".repeat(600), ")".repeat(30)),
    ];
    let handle = std::thread::Builder::new().stack_size(256 * 1024).spawn(move || {
        let s = state();
        let scope = Scope::activity(&s, 0, 0);
        deep.iter()
            .map(|src| {
                let cel = eval_cel(src, &scope);
                let template = interpolate(&json!(format!("${{{src}}}")), &scope);
                (src.len(), cel.map(|_| ()), template.map(|_| ()))
            })
            .collect::<Vec<_>>()
    });
    let results = handle.unwrap().join().expect("no overflow, no panic");
    for (len, cel, template) in results {
        for r in [cel, template] {
            if let Err(e) = r {
                assert!(e.contains("deep") || e.contains("operators") || e.contains("nests"), "{len} bytes: {e}");
            }
        }
    }
}

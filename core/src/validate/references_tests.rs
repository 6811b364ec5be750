//! Unit tests of the reference rules (the corpus in `testdata/invalid/` holds the failing shapes).

fn problems(yaml: &str) -> Vec<(String, String, String)> {
    match crate::load_process(yaml) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(|p| (p.path.clone(), p.code.clone(), p.message.clone())).collect(),
    }
}

const OK: &str = r#"
id: fine
inputs:
  version: { type: string, default: "1.0.0" }
  count: { type: number, default: 1 }
variables:
  branch: "release/${inputs.version}"
  tag: "${vars.branch}-${release.attempt}"
phases:
  - id: branch-cut
    variables: { branch: "${vars.branch}-cut" }
    outputs: { commit: "${activities.cut.outputs.commit}", all: "${phases.branch-cut.activities.cut.outputs.commit}" }
    activities:
      - { id: cut, kind: automated, executor: c, outputs: [commit], with: { b: "${vars.branch}" } }
      - { id: qa, kind: automated, executor: c, depends_on: [cut], with: { c: "${activities.cut.outputs.commit}" } }
      - { id: later, kind: automated, executor: c, depends_on: [qa], with: { c: "${activities.cut.outputs.commit}" } }
  - id: beta
    depends_on: [branch-cut]
    if: 'inputs.count > 0 && phases.branch-cut.outputs.commit != "" && phases.beta.status == "running"'
    activities:
      - { id: d, kind: automated, executor: c, with: { c: "${phases.branch-cut.activities.cut.outputs.commit}" } }
  - id: prod
    depends_on: [beta]
    activities:
      - { id: d, kind: automated, executor: c, with: { c: "${phases['branch-cut'].outputs.commit}", s: "${[1, 2].map(x, x * inputs.count)}" } }
rollback:
  - id: revert
    activities:
      - { id: r, kind: automated, executor: c, with: { c: "${phases.branch-cut.outputs.commit}" } }
"#;

#[test]
fn transitive_upstream_scoped_variables_and_rollback_reads_are_fine() {
    assert_eq!(problems(OK), vec![]);
}

#[test]
fn the_examples_are_valid() {
    for f in ["system-release-train.yaml", "hotfix.yaml"] {
        let text =
            std::fs::read_to_string(format!("{}/../examples/processes/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(problems(&text), vec![], "{f}");
    }
}

#[test]
fn not_downstream_names_the_missing_edge() {
    let yaml = OK.replace("    depends_on: [beta]\n", "");
    let p = problems(&yaml);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "phases[2].activities[0].with.c");
    assert_eq!(p[0].1, "not_downstream");
    assert!(p[0].2.contains("add `depends_on: [branch-cut]` to phase `prod`"), "{}", p[0].2);
}

#[test]
fn messages_say_what_exists() {
    let yaml = OK.replace("${vars.branch}-cut", "${inputs.verison}");
    let p = problems(&yaml);
    assert!(p[0].2.contains("`inputs.verison` is not a declared input (declared: `version`, `count`)"), "{p:?}");
    let yaml = OK.replace("outputs.commit}\" } }\n  - id: beta", "outputs.sha}\" } }\n  - id: beta");
    let p = problems(&yaml);
    assert_eq!(p[0].1, "undeclared_output", "{p:?}");
    assert!(p[0].2.contains("its `outputs` are `commit`"), "{p:?}");
}

#[test]
fn a_non_boolean_if_says_what_it_is() {
    let text = "id: p\nphases:\n  - id: a\n    if: 'false && 32'\n    activities: [{ id: b, kind: manual }]\n";
    let err = crate::load_process(text).unwrap_err();
    let p = err.problems().iter().find(|p| p.code == "type_mismatch").expect("a type_mismatch problem");
    assert!(p.message.contains("`&&` needs boolean operands"), "{}", p.message);
    assert!(p.message.contains("`32` is a number"), "{}", p.message);
    assert!(!p.message.contains("the expression gives a number"), "{}", p.message);
}

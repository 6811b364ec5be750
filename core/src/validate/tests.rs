//! Tests of the validation API as a whole: warnings, catalogs, typed validation, set-aside repair.

use super::*;
use crate::model::Process;

fn process(text: &str) -> Process {
    crate::model::Process::from_text(text).unwrap()
}

const CHILD: &str =
    "id: child\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: subprocess, process: grandchild }\n";

#[test]
fn shadowed_variables_are_warnings_not_errors() {
    let text = r#"
id: shadow
variables: { region: eu }
phases:
  - id: p
    variables: { region: us }
    activities:
      - { id: a, kind: wait, duration: 1m, variables: { region: ap } }
"#;
    let loaded = load_process(text).unwrap();
    let got: Vec<(&str, &str)> = loaded.warnings.iter().map(|w| (w.path.as_str(), w.code.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("phases[0].variables.region", codes::SHADOWED_VARIABLE),
            ("phases[0].activities[0].variables.region", codes::SHADOWED_VARIABLE)
        ]
    );
    assert!(loaded.warnings[1].message.contains("phase `p`"), "{}", loaded.warnings[1].message);
    assert_eq!(validate_process(text).unwrap(), loaded.warnings);
}

#[test]
fn subprocesses_resolve_through_the_catalog_and_nest_at_most_three_deep() {
    let parent =
        "id: parent\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: subprocess, process: child }\n";
    // Without a catalog: a warning only.
    let loaded = load_process(parent).unwrap();
    assert_eq!(loaded.warnings[0].code, codes::UNRESOLVED_PROCESS);
    // With a catalog missing the child: an error.
    let empty: HashMap<String, Process> = HashMap::new();
    let err = load_process_with(parent, Some(&empty)).unwrap_err();
    assert_eq!(err.problems()[0].code, codes::UNKNOWN_PROCESS);
    assert_eq!(err.problems()[0].path, "phases[0].activities[0].process");
    // parent → child → grandchild → leaf: depth 3 is fine.
    let mut catalog: HashMap<String, Process> = HashMap::new();
    catalog.insert("child".into(), process(CHILD));
    catalog.insert(
        "grandchild".into(),
        process(
            "id: grandchild\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: subprocess, process: leaf }\n",
        ),
    );
    catalog.insert(
        "leaf".into(),
        process("id: leaf\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: wait, duration: 1s }\n"),
    );
    assert!(load_process_with(parent, Some(&catalog)).is_ok());
    // One more level is refused, naming the chain.
    catalog.insert(
        "leaf".into(),
        process(
            "id: leaf\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: subprocess, process: deeper }\n",
        ),
    );
    catalog.insert(
        "deeper".into(),
        process("id: deeper\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: wait, duration: 1s }\n"),
    );
    let err = load_process_with(parent, Some(&catalog)).unwrap_err();
    let p = &err.problems()[0];
    assert_eq!(p.code, codes::SUBPROCESS_TOO_DEEP);
    assert!(p.message.contains("parent → child → grandchild → leaf → deeper"), "{}", p.message);
}

#[test]
fn subprocess_cycles_through_other_processes_are_named() {
    let mut catalog: HashMap<String, Process> = HashMap::new();
    catalog.insert(
        "child".into(),
        process(
            "id: child\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: subprocess, process: parent }\n",
        ),
    );
    let parent =
        "id: parent\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: subprocess, process: child }\n";
    let err = load_process_with(parent, Some(&catalog)).unwrap_err();
    assert_eq!(err.problems()[0].code, codes::SUBPROCESS_CYCLE);
    assert!(err.problems()[0].message.contains("parent → child → parent"), "{}", err.problems()[0].message);
}

#[test]
fn typed_processes_are_validated_too() {
    let mut p = process("id: ok\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: wait, duration: 1s }\n");
    assert!(validate(&p, None).errors.is_empty());
    p.id = "Not Valid".into();
    p.phases[0].activities[0].depends_on.push("ghost".into());
    let codes: Vec<String> = validate(&p, None).errors.into_iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![codes::BAD_ID, codes::UNKNOWN_DEPENDENCY]);
}

#[test]
fn semantic_problems_are_reported_alongside_shape_problems() {
    let text = "id: x\ntypo: 1\nphases:\n  - id: a\n    depends_on: [a]\n    activities:\n      - { id: w, kind: wait, duration: soon }\n";
    let err = load_process(text).unwrap_err();
    let got: Vec<(&str, &str)> = err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("typo", codes::UNKNOWN_FIELD),
            ("phases[0].activities[0].duration", codes::BAD_DURATION),
            ("phases[0].depends_on[0]", codes::DEPENDENCY_CYCLE),
        ]
    );
}

#[test]
fn json_and_yaml_give_the_same_process() {
    let yaml = "id: j\nphases:\n  - id: p\n    activities:\n      - { id: a, kind: wait, duration: 1d 12h }\n";
    let from_yaml = load_process(yaml).unwrap().process;
    let from_json = load_process(&from_yaml.to_json()).unwrap().process;
    assert_eq!(from_yaml, from_json);
    assert_eq!(from_json.phases[0].activities[0].duration.as_ref().unwrap().as_str(), "1d 12h");
}

#[test]
fn yaml_one_point_one_booleans_stay_strings() {
    let text = "id: y\nphases:\n  - id: on\n    activities:\n      - { id: y, kind: wait, duration: 1s }\n";
    let p = load_process(text).unwrap().process;
    assert_eq!(p.phases[0].id, "on");
    assert_eq!(p.phases[0].activities[0].id, "y");
}

#[test]
fn malformed_yaml_and_json_carry_line_and_column() {
    let err = load_process("id: x\nphases: [\n  - id: a\n").unwrap_err();
    let p = &err.problems()[0];
    assert_eq!((p.code.as_str(), p.line.is_some(), p.column.is_some()), ("syntax", true, true));
    let err = load_process("{\"id\": \"x\",\n \"phases\": [}").unwrap_err();
    let p = &err.problems()[0];
    assert_eq!((p.code.as_str(), p.line), ("syntax", Some(2)));
    assert!(p.message.starts_with("malformed JSON"), "{}", p.message);
}

#[test]
fn oversized_documents_are_refused_without_parsing() {
    let text =
        format!("id: x\ndescription: \"{}\"\nphases: []\n", "a".repeat(crate::model::limits::MAX_DEFINITION_BYTES));
    let err = load_process(&text).unwrap_err();
    assert_eq!(err.problems()[0].code, codes::TOO_LARGE);
    assert!(err.problems()[0].message.contains("at most"));
}

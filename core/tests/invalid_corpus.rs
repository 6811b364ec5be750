//! Runs the invalid-definition corpus: every `testdata/invalid/*.yaml` (or `.json`) must fail to load
//! with exactly the problems listed in its `# expect: <path> <code>` header lines, in that order
//! (`-` stands for the document itself). The Python and Node suites run the same files.

use std::path::PathBuf;

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/invalid exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "json")))
        .collect();
    files.sort();
    files
}

/// The `(path, code)` pairs a corpus file declares.
fn expected(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect:"))
        .map(|rest| {
            let mut parts = rest.split_whitespace();
            let path = parts.next().expect("expect line has a path");
            let code = parts.next().expect("expect line has a code");
            (if path == "-" { String::new() } else { path.to_string() }, code.to_string())
        })
        .collect()
}

fn json_expected(path: &std::path::Path) -> Vec<(String, String)> {
    // JSON cannot hold comments: its expectations sit in a sibling `<name>.expect` file.
    let text = std::fs::read_to_string(path.with_extension("expect")).expect("a .json case has a .expect file");
    expected(&text)
}

#[test]
fn every_invalid_definition_gives_exactly_its_expected_problems() {
    let files = corpus();
    assert!(files.len() >= 25, "the corpus holds {} cases; at least 25 are expected", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let want = if file.extension().and_then(|e| e.to_str()) == Some("json") {
            json_expected(file)
        } else {
            expected(&text)
        };
        assert!(!want.is_empty(), "{} declares no `# expect:` lines", file.display());
        match trainyard::load_process(&text) {
            Ok(_) => failures.push(format!("{}: loaded without error, expected {want:?}", file.display())),
            Err(err) => {
                assert_eq!(err.code(), "validation", "{}", file.display());
                let got: Vec<(String, String)> =
                    err.problems().iter().map(|p| (p.path.clone(), p.code.clone())).collect();
                if got != want {
                    failures.push(format!(
                        "{}:\n  expected {want:?}\n  got      {got:?}\n  messages: {:#?}",
                        file.display(),
                        err.problems()
                    ));
                }
                for p in err.problems() {
                    assert!(!p.message.is_empty(), "{}: empty message", file.display());
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn repeated_keys_report_line_and_column() {
    for file in corpus() {
        let text = std::fs::read_to_string(&file).unwrap();
        let Err(err) = trainyard::load_process(&text) else { continue };
        for p in err.problems().iter().filter(|p| p.code == "duplicate_key") {
            assert!(p.line.is_some() && p.column.is_some(), "{}: repeated key without position: {p:?}", file.display());
        }
    }
}

#[test]
fn malformed_text_reports_line_and_column() {
    for file in corpus() {
        let text = std::fs::read_to_string(&file).unwrap();
        let want = if file.extension().and_then(|e| e.to_str()) == Some("json") {
            json_expected(&file)
        } else {
            expected(&text)
        };
        if want.iter().any(|(_, c)| c == "syntax") {
            let err = trainyard::load_process(&text).unwrap_err();
            let p = &err.problems()[0];
            assert!(
                p.line.is_some() && p.column.is_some(),
                "{}: syntax problem without position: {p:?}",
                file.display()
            );
        }
    }
}

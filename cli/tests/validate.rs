//! `validate`, `lint` and `schema` as a subprocess: every invalid case of the shared corpus with
//! each output format and the exit codes.

mod support;

use support::{code, json, repo, stderr, stdout, ty};

/// `(file, expected (path, code) pairs)` of every case in testdata/invalid.
fn corpus() -> Vec<(std::path::PathBuf, Vec<(String, String)>)> {
    let dir = repo().join("testdata/invalid");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        let expect_text = match ext {
            "yaml" => std::fs::read_to_string(&f).unwrap(),
            "json" => std::fs::read_to_string(f.with_extension("expect")).unwrap(),
            _ => continue,
        };
        let expected: Vec<(String, String)> = expect_text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|l| {
                let (path, code) = l.rsplit_once(' ').unwrap();
                (if path == "-" { String::new() } else { path.to_string() }, code.to_string())
            })
            .collect();
        out.push((f, expected));
    }
    assert!(out.len() > 50, "the corpus is there");
    out
}

#[test]
fn every_invalid_case_is_reported_with_its_problems_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    for (file, expected) in corpus() {
        let f = file.to_str().unwrap();
        let o = ty(None, tmp.path(), &["validate", "--format", "json", f]);
        code(&o, 1);
        let v = json(&o);
        let got: Vec<(String, String)> = v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["severity"] == "error")
            .map(|p| (p["path"].as_str().unwrap().to_string(), p["code"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got, expected, "{f}");
        for p in v["problems"].as_array().unwrap() {
            assert_eq!(p["file"], f);
            assert!(p["line"].as_u64().is_some_and(|l| l >= 1), "{f}: a line for {p}");
            assert!(p["column"].as_u64().is_some_and(|c| c >= 1), "{f}: a column for {p}");
        }
        let text = ty(None, tmp.path(), &["validate", f]);
        code(&text, 1);
        let starts: Vec<String> = stdout(&text).lines().filter(|l| !l.starts_with(' ')).map(String::from).collect();
        assert_eq!(starts.len(), expected.len(), "{f}: each problem starts a line");
        for (line, (path, problem)) in starts.iter().zip(&expected) {
            assert!(line.starts_with(&format!("{f}:")), "{line}");
            assert!(line.contains(&format!("error[{problem}] {path}: ")), "{line}");
        }
        let gh = ty(None, tmp.path(), &["validate", "--format", "github", f]);
        code(&gh, 1);
        assert_eq!(stdout(&gh).lines().count(), expected.len(), "{f}: one annotation per problem");
        for (line, (_, problem)) in stdout(&gh).lines().zip(&expected) {
            assert!(line.starts_with(&format!("::error file={f},line=")), "{line}");
            assert!(line.contains(",col=") && line.contains(&format!(",title={problem}::")), "{line}");
            assert!(!line.trim_end().contains('\n'));
        }
    }
}

#[test]
fn positions_point_at_the_value_in_the_text() {
    let tmp = tempfile::tempdir().unwrap();
    let f = repo().join("testdata/invalid/05-unknown-field-in-phase-and-activity.yaml");
    let o = ty(None, tmp.path(), &["validate", f.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(out.contains(".yaml:10:16: error[unknown_field] phases[1].dependsOn: unknown field `dependsOn`"), "{out}");
    assert!(out.contains(".yaml:13:69: error[unknown_field] phases[1].activities[1].dependsOn"), "{out}");
}

#[test]
fn valid_files_warnings_lint_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("ok.yaml"), "id: ok\nphases:\n  - id: a\n    activities: [{ id: m, kind: manual }]\n")
        .unwrap();
    let shadow = "id: shadow\nvariables: { v: 1 }\nphases:\n  - id: a\n    variables: { v: 2 }\n    activities: [{ id: m, kind: manual }]\n";
    std::fs::write(dir.join("shadow.yaml"), shadow).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a definition").unwrap();

    let o = ty(None, dir, &["validate", "ok.yaml", "shadow.yaml"]);
    code(&o, 0);
    assert!(stdout(&o).contains("shadow.yaml:5:"), "{}", stdout(&o));
    assert!(stdout(&o).contains("warning[shadowed_variable]"));
    assert!(stderr(&o).contains("2 file(s) checked: 0 error(s), 1 warning(s)"));
    // lint walks the directory (.txt left out) and counts warnings as problems.
    let o = ty(None, dir, &["lint", "--json"]);
    code(&o, 1);
    let v = json(&o);
    assert_eq!((v["files"].as_u64(), v["errors"].as_u64(), v["warnings"].as_u64()), (Some(2), Some(0), Some(1)));
    let o = ty(None, dir, &["lint", "--format", "github", "shadow.yaml"]);
    code(&o, 1);
    assert!(stdout(&o).starts_with("::warning file=shadow.yaml,line=5,col="), "{}", stdout(&o));
    code(&ty(None, dir, &["lint", "ok.yaml"]), 0);

    // Usage and I/O errors: 2.
    let o = ty(None, dir, &["validate", "missing.yaml"]);
    code(&o, 2);
    assert!(stderr(&o).contains("cannot read missing.yaml"), "{}", stderr(&o));
    code(&ty(None, dir, &["validate", "--format", "xml", "ok.yaml"]), 2);
    code(&ty(None, dir, &["frobnicate"]), 2);
    code(&ty(None, dir, &["validate"]), 2);
    code(&ty(None, dir, &["--help"]), 0);
}

#[test]
fn schema_is_the_committed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let committed = std::fs::read_to_string(repo().join("core/schema/process.schema.json")).unwrap();
    let o = ty(None, tmp.path(), &["schema"]);
    code(&o, 0);
    assert_eq!(stdout(&o), committed);
    code(&ty(None, tmp.path(), &["schema", "-o", "s.json"]), 0);
    assert_eq!(std::fs::read_to_string(tmp.path().join("s.json")).unwrap(), committed);
}

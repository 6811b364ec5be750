//! The README's ```console blocks run as written, in one shell (so `export` and variables carry
//! from one command to the next), in a temporary directory that has the repository's `examples/`
//! and `testdata/`. A line `$ COMMAND` runs COMMAND (it must exit 0, or N when the line ends with
//! `# exit N`); the lines after it must each match a line of what it printed (stdout and stderr),
//! in order, where `…` stands for any text.

mod support;

use support::repo;

struct Step {
    command: String,
    exit: i32,
    expected: Vec<String>,
}

fn steps() -> Vec<Step> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut steps: Vec<Step> = Vec::new();
    let mut inside = false;
    for line in readme.lines() {
        if line.trim_end() == "```console" {
            inside = true;
            continue;
        }
        if inside && line.trim_end() == "```" {
            inside = false;
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            let (command, exit) = match cmd.rsplit_once("# exit ") {
                Some((c, n)) => (c.trim_end().to_string(), n.trim().parse().unwrap()),
                None => (cmd.to_string(), 0),
            };
            steps.push(Step { command, exit, expected: Vec::new() });
        } else {
            steps.last_mut().expect("output follows a command").expected.push(line.to_string());
        }
    }
    steps
}

/// Whether `actual` matches `expected`, where `…` in `expected` stands for any text.
fn matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split('…').collect();
    let mut rest = actual;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    rest.is_empty()
}

#[test]
fn the_console_examples_of_the_readme_run() {
    let steps = steps();
    assert!(steps.len() >= 10, "the README has its command-line walkthrough");
    let dir = tempfile::tempdir().unwrap();
    for name in ["examples", "testdata"] {
        std::os::unix::fs::symlink(repo().join(name), dir.path().join(name)).unwrap();
    }
    let mut script = String::from("set -u\n");
    for (i, s) in steps.iter().enumerate() {
        script.push_str(&format!("printf '\\n@@@cmd {i}\\n'\n{} 2>&1\nprintf '\\n@@@rc %d\\n' $?\n", s.command));
    }
    let bin_dir = std::path::Path::new(support::bin()).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("TRAINYARD_DB")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for (i, s) in steps.iter().enumerate() {
        let start = text.find(&format!("\n@@@cmd {i}\n")).unwrap_or_else(|| panic!("step {i} ran: {text}"));
        let body = &text[start + format!("\n@@@cmd {i}\n").len()..];
        let end = body.find("\n@@@rc ").unwrap();
        let printed = &body[..end];
        let rc: i32 = body[end + 7..].lines().next().unwrap().trim().parse().unwrap();
        assert_eq!(rc, s.exit, "`{}` exit code; it printed:\n{printed}", s.command);
        let mut lines = printed.lines().map(str::trim_end);
        for expected in &s.expected {
            assert!(
                lines.any(|l| matches(expected.trim_end(), l)),
                "`{}`: no line matches\n  {expected}\nin what it printed:\n{printed}",
                s.command
            );
        }
    }
}

#[test]
fn the_wildcard_matches_what_it_should() {
    assert!(matches("a … c", "a b c"));
    assert!(matches("…x", "yyx"));
    assert!(matches("x…", "xyy"));
    assert!(!matches("a … c", "a b d"));
    assert!(!matches("abc", "abcd"));
    assert!(matches("1 … rita … new", "1 2025 rita r#1..1 new"));
}

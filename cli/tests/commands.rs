//! Every store command as a subprocess, on SQLite and (with TRAINYARD_TEST_POSTGRES) PostgreSQL:
//! `--json` output parsed back, the API's authorization, the doctor finding releases made stuck
//! on purpose and `--repair` making them progress, `run` stopping on SIGTERM.

mod support;

use serde_json::Value;
use support::{Store, code, eventually, json, stderr, stdout};

const PROCESS: &str = r#"
id: hello
phases:
  - id: build
    activities:
      - { id: compile, kind: automated, executor: command, with: { argv: ["${ inputs.tool }"] } }
  - id: ship
    depends_on: [build]
    activities:
      - { id: approve, kind: approval, approvers: [{ group: release-eng }] }
inputs:
  tool: { type: string, default: "true" }
"#;

const SOAK: &str = r#"
id: soak
phases:
  - id: wait
    activities: [{ id: soak, kind: wait, duration: 1s }]
"#;

const RM: [&str; 4] = ["--as", "rita", "--roles", "account_release_manager"];

fn with<'a>(args: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    args.iter().chain(extra).copied().collect()
}

fn setup(s: &Store) {
    std::fs::write(s.dir.path().join("hello.yaml"), PROCESS).unwrap();
    std::fs::write(s.dir.path().join("soak.yaml"), SOAK).unwrap();
    let o = s.ty(&["register", "hello.yaml", "soak.yaml", "--json"]);
    code(&o, 0);
    assert_eq!(json(&o)[1]["process"], "soak");
}

fn create(s: &Store, process: &str, name: &str, inputs: &[&str]) -> String {
    let mut args = vec!["create", process, "--name", name, "--json"];
    for i in inputs {
        args.extend(["--input", i]);
    }
    let o = s.ty(&with(&args, &RM));
    code(&o, 0);
    let v = json(&o);
    assert_eq!(v["status"], "draft");
    v["id"].as_str().unwrap().to_string()
}

fn status(s: &Store, id: &str) -> Value {
    let o = s.ty(&["show", id, "--json"]);
    code(&o, 0);
    json(&o)
}

#[test]
fn every_command_with_json_output_and_authorization() {
    for s in Store::all() {
        setup(&s);
        let a = create(&s, "hello", "Approved", &[]);
        // The API's authorization: a viewer may not activate (exit 3, the code in the JSON error).
        let o = s.ty(&["activate", &a, "--as", "vic", "--roles", "viewer", "--json"]);
        code(&o, 3);
        let err: Value = serde_json::from_str(stderr(&o).trim()).unwrap();
        assert_eq!(err["error"]["code"], "permission_denied", "{}", s.name());
        code(&s.ty(&["activate", &a]), 2); // commands need --as
        let o = s.ty(&with(&["activate", &a, "--json"], &RM));
        code(&o, 0);
        let v = json(&o);
        assert_eq!((v["command"].as_str(), v["status"].as_str()), (Some("activate"), Some("running")));
        assert!(v["events"].as_array().unwrap().iter().any(|k| k == "activity_queued"));
        let o = s.ty(&["tick", "--json"]);
        code(&o, 0);
        assert!(json(&o)["handled"].as_u64().unwrap() >= 1);
        let r = status(&s, &a);
        assert_eq!(r["status"], "on_hold");
        assert_eq!(r["phases"]["ship"]["activities"]["approve"]["status"], "waiting_for_input");
        let tree = stdout(&s.ty(&["show", &a]));
        assert!(tree.starts_with("⏸ Approved [on_hold]"), "{tree}");
        assert!(tree.contains("✋ approve") && tree.contains("waiting_for_input") && !tree.contains('\x1b'), "{tree}");
        let coloured = stdout(&s.ty(&["show", &a, "--color", "always"]));
        assert!(coloured.contains("\x1b[33mon_hold\x1b[0m"), "{coloured}");
        // The approver's inbox has it; someone else's does not.
        let o = s.ty(&["inbox", "--as", "quinn", "--groups", "release-eng", "--json"]);
        code(&o, 0);
        let items = json(&o);
        assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
        assert_eq!((items[0]["release_id"].as_str(), items[0]["can_act"].as_bool()), (Some(a.as_str()), Some(true)));
        assert_eq!(json(&s.ty(&["inbox", "--as", "mallory", "--json"])), serde_json::json!([]));
        code(&s.ty(&["inbox"]), 2);
        // Someone outside the group may not approve; a member may.
        code(&s.ty(&["approve", &a, "ship", "approve", "--as", "mallory"]), 3);
        let o =
            s.ty(&["approve", &a, "ship", "approve", "--as", "quinn", "--groups", "release-eng", "-m", "ok", "--json"]);
        code(&o, 0);
        assert_eq!(json(&o)["status"], "success");

        // reject
        let b = create(&s, "hello", "Rejected", &[]);
        code(&s.ty(&with(&["activate", &b], &RM)), 0);
        code(&s.ty(&["tick"]), 0);
        let o = s.ty(&["reject", &b, "ship", "approve", "--as", "quinn", "--groups", "release-eng", "--json"]);
        code(&o, 0);
        assert_eq!(json(&o)["status"], "failed");

        // A failing command: on_hold, retry (fails again), ignore.
        let c = create(&s, "hello", "Flaky", &["tool=\"false\""]);
        code(&s.ty(&with(&["activate", &c], &RM)), 0);
        code(&s.ty(&["tick"]), 0);
        assert_eq!(status(&s, &c)["phases"]["build"]["activities"]["compile"]["status"], "on_hold");
        code(&s.ty(&with(&["retry", &c, "build", "compile", "--reason", "again"], &RM)), 0);
        code(&s.ty(&["tick"]), 0);
        assert_eq!(status(&s, &c)["phases"]["build"]["activities"]["compile"]["attempt"], 1);
        let o = s.ty(&with(&["ignore", &c, "build", "compile", "--json"], &RM));
        code(&o, 0);
        assert_eq!(status(&s, &c)["phases"]["build"]["activities"]["compile"]["status"], "ignored");

        // pause, resume, abort
        let d = create(&s, "hello", "Stopped", &[]);
        code(&s.ty(&with(&["activate", &d], &RM)), 0);
        code(&s.ty(&with(&["pause", &d], &RM)), 0);
        assert_eq!(status(&s, &d)["paused"], true);
        code(&s.ty(&with(&["resume", &d], &RM)), 0);
        assert_eq!(status(&s, &d)["paused"], false);
        let o = s.ty(&with(&["abort", &d, "--reason", "not today", "--json"], &RM));
        code(&o, 0);
        assert_eq!(json(&o)["status"], "aborted");
        let o = s.ty(&with(&["resume", &d], &RM));
        code(&o, 3);
        assert!(stderr(&o).contains("error[invalid_transition]"), "{}", stderr(&o));
        code(&s.ty(&["show", "no-such-release"]), 3);

        // Reads.
        let o = s.ty(&["ls", "--json"]);
        code(&o, 0);
        let list = json(&o);
        let names: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Approved", "Rejected", "Flaky", "Stopped"]);
        let o = s.ty(&["ls", "--status", "failed", "--json"]);
        assert_eq!(json(&o).as_array().unwrap().len(), 1);
        code(&s.ty(&["ls", "--status", "nope"]), 2);
        let text = stdout(&s.ty(&["ls"]));
        assert_eq!(text.lines().count(), 4);
        assert!(text.lines().next().unwrap().starts_with(&format!("{a}  success")), "{text}");
        // A viewer of another org sees nothing; an account viewer sees everything.
        let o = s.ty(&["ls", "--json", "--as", "olga", "--roles", "viewer:acme"]);
        assert_eq!(json(&o).as_array().unwrap().len(), 0);
        let o = s.ty(&["history", &a, "--json", "--as", "vic", "--roles", "viewer"]);
        code(&o, 0);
        let events = json(&o);
        let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap_or("")).collect();
        assert_eq!(kinds.first(), Some(&"created"), "{events}");
        assert_eq!(kinds.last(), Some(&"ended"));
        let text = stdout(&s.ty(&["history", &a]));
        assert!(text.lines().any(|l| l.contains("quinn") && l.ends_with("approval_recorded")), "{text}");

        let month = chrono::Utc::now().format("%Y-%m").to_string();
        let o = s.ty(&["calendar", "--month", &month, "--json"]);
        code(&o, 0);
        assert_eq!(json(&o).as_array().unwrap().len(), 4);
        let text = stdout(&s.ty(&["calendar", "--month", &month]));
        assert!(text.contains(" Mo  Tu  We  Th  Fr  Sa  Su") && text.contains("Approved"), "{text}");
        let ics = stdout(&s.ty(&["calendar", "--month", &month, "--ics"]));
        assert!(ics.starts_with("BEGIN:VCALENDAR") && ics.matches("BEGIN:VEVENT").count() == 4, "{ics}");
        code(&s.ty(&["calendar", "--month", "April"]), 2);
        let o = s.ty(&["conflicts", "--month", &month, "--json"]);
        code(&o, 0);
        assert!(json(&o).is_array());

        // The change feed from the start: every commit, in order.
        let o = s.ty(&["watch", "--after", "0", "--limit", "3", "--json"]);
        code(&o, 0);
        let entries: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0]["release"], a.as_str());
        assert_eq!(entries[0]["status_after"], "draft");
        assert!(entries.windows(2).all(|w| w[0]["cursor"].as_u64() < w[1]["cursor"].as_u64()));
        let o = s.ty(&["watch", "--after", "0", "--limit", "1"]);
        assert!(stdout(&o).contains(&format!("{a}#1..1 new → draft created")), "{}", stdout(&o));

        let o = s.ty(&["metrics"]);
        code(&o, 0);
        assert!(stdout(&o).contains("# TYPE trainyard_command_latency_seconds histogram"));
        let o = s.ty(&["metrics", "--json"]);
        assert_eq!(json(&o)["queue_depth"], serde_json::json!({}));
        let o = s.ty(&["doctor", "--json"]);
        code(&o, 0);
        assert_eq!(json(&o)["findings"], serde_json::json!([]));
    }
}

#[test]
fn doctor_finds_releases_made_stuck_and_repair_makes_them_progress() {
    for s in Store::all() {
        setup(&s);
        // A queued job removed: the release cannot progress.
        let j = create(&s, "hello", "Lost job", &[]);
        code(&s.ty(&with(&["activate", &j], &RM)), 0);
        assert_eq!(s.sql("DELETE FROM jobs"), 1, "{}", s.name());
        // A running wait whose timer was removed.
        let t = create(&s, "soak", "Lost timer", &[]);
        code(&s.ty(&with(&["activate", &t], &RM)), 0);
        assert_eq!(s.sql("UPDATE releases SET next_due = NULL WHERE next_due IS NOT NULL"), 1);

        let o = s.ty(&["doctor", "--json"]);
        code(&o, 1);
        let v = json(&o);
        assert_eq!(v["checked"], 2);
        let findings = v["findings"].as_array().unwrap();
        let codes: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f["release_id"].as_str().unwrap(), f["problems"][0]["code"].as_str().unwrap()))
            .collect();
        assert_eq!(codes, [(j.as_str(), "job_missing"), (t.as_str(), "timer_missing")], "{}", s.name());
        assert!(findings.iter().all(|f| f["can_progress"] == false));
        let text = s.ty(&["doctor"]);
        code(&text, 1);
        assert!(
            stdout(&text).contains("job_missing: activity build.compile is queued but its job"),
            "{}",
            stdout(&text)
        );
        assert!(stdout(&text).contains("2 release(s) checked, 2 with problems"));

        // Stuck: ticking changes nothing.
        code(&s.ty(&["tick"]), 0);
        assert_eq!(status(&s, &j)["phases"]["build"]["activities"]["compile"]["status"], "queued");

        let o = s.ty(&["doctor", "--repair", "--json"]);
        code(&o, 0);
        let v = json(&o);
        assert_eq!(
            (v["repair"]["timers_restored"].as_u64(), v["repair"]["jobs_restored"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(v["findings"], serde_json::json!([]));
        code(&s.ty(&["tick"]), 0);
        assert_eq!(status(&s, &j)["status"], "on_hold", "the job ran: the approval waits");
        // The wait's second passes; ticking fires the restored timer.
        eventually(20, "the restored timer fires", || {
            code(&s.ty(&["tick"]), 0);
            status(&s, &t)["status"] == "success"
        });
    }
}

#[test]
fn run_works_until_sigterm_and_prints_its_metrics() {
    for s in Store::all() {
        setup(&s);
        let id = create(&s, "hello", "Run", &[]);
        code(&s.ty(&with(&["activate", &id], &RM)), 0);
        let child = std::process::Command::new(support::bin())
            .args(["run", "--interval", "100ms", "--metrics"])
            .env("TRAINYARD_DB", &s.url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        eventually(30, "the running engine runs the job", || status(&s, &id)["status"] == "on_hold");
        let kill = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "stopped cleanly: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("trainyard_jobs_claimed_total 1\n"), "{text}");
        assert!(text.contains("trainyard_commands_total "), "{text}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("stopped after handling"));
    }
}

#[test]
fn watch_as_a_user_shows_only_what_that_user_may_see() {
    for s in Store::all() {
        setup(&s);
        // Nora owns the first release, nobody the second; a viewer reads both.
        let o = s.ty(&with(&["create", "hello", "--name", "Nora's", "--owner", "nora", "--json"], &RM));
        code(&o, 0);
        let nora_s = json(&o)["id"].as_str().unwrap().to_string();
        let other = create(&s, "hello", "Someone else's", &[]);
        code(&s.ty(&with(&["activate", &nora_s], &RM)), 0);
        let releases_of = |args: &[&str]| -> Vec<String> {
            let o = s.ty(args);
            code(&o, 0);
            stdout(&o)
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()["release"].as_str().unwrap().to_string())
                .collect()
        };
        let all = releases_of(&["watch", "--after", "0", "--limit", "3", "--json", "--as", "vic", "--roles", "viewer"]);
        assert_eq!(all, [nora_s.clone(), other.clone(), nora_s.clone()], "{}", s.name());
        // Nora's two entries come without the other release's in between.
        let nora = releases_of(&["watch", "--after", "0", "--limit", "2", "--json", "--as", "nora"]);
        assert_eq!(nora, [nora_s.clone(), nora_s.clone()], "{}", s.name());
        // Without --as the feed is not filtered.
        assert_eq!(releases_of(&["watch", "--after", "0", "--limit", "3", "--json"]), all);
    }
}

//! Tests of the built-in `command` executor.

use super::command::{CAPTURE_LIMIT, parse_outputs};
use super::{CommandExecutor, Executor, Job, Outcome};
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("trainyard-exec-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn job(id: &str, inputs: Value) -> Job {
    let inputs: IndexMap<String, Value> = match inputs {
        Value::Object(map) => map.into_iter().collect(),
        _ => panic!("inputs must be an object"),
    };
    Job {
        id: format!("r1/build/{id}/0"),
        release_id: "r1".into(),
        phase_id: "build".into(),
        activity_id: id.into(),
        attempt: 0,
        executor: "command".into(),
        inputs,
        deadline: None,
        secrets: Vec::new(),
    }
}

fn failure(outcome: Outcome) -> (String, bool) {
    match outcome {
        Outcome::FailureWithDetail { message, retryable, .. } => (message, retryable),
        other => panic!("expected a failure with its detail, got {other:?}"),
    }
}

fn detail(outcome: Outcome) -> super::FailureDetail {
    match outcome {
        Outcome::FailureWithDetail { detail, .. } => detail,
        other => panic!("expected a failure with its detail, got {other:?}"),
    }
}

fn outputs(outcome: Outcome) -> IndexMap<String, Value> {
    match outcome {
        Outcome::Success { outputs } => outputs,
        other => panic!("expected success, got {other:?}"),
    }
}

/// Whether a process is gone (or a zombie nobody reaped yet).
#[cfg(unix)]
fn is_dead(pid: i32) -> bool {
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        let state = stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next());
        return matches!(state, Some('Z') | Some('X'));
    }
    // SAFETY: kill with signal 0 only checks for existence.
    let rc = unsafe { libc::kill(pid, 0) };
    rc != 0 || Path::new("/proc/self").exists()
}

#[cfg(unix)]
fn wait_dead(pid: i32) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if is_dead(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn read_pid(path: &Path) -> i32 {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(pid) = std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()) {
            return pid;
        }
        assert!(Instant::now() < until, "{} was never written", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn outputs_file_supports_pairs_and_heredoc_blocks() {
    let exec = CommandExecutor::new();
    let script = r#"
        echo "version=1.2.3" >> "$TRAINYARD_OUTPUT"
        echo "url=https://x.test/?a=b" >> "$TRAINYARD_OUTPUT"
        printf 'notes<<EOF\nline one\nline = two\n\nEOF\n' >> "$TRAINYARD_OUTPUT"
        echo "job=$TRAINYARD_JOB_ID attempt=$TRAINYARD_ATTEMPT"
    "#;
    let out = outputs(exec.execute(&job("outputs", json!({ "argv": ["sh", "-c", script] }))));
    assert_eq!(out["version"], "1.2.3");
    assert_eq!(out["url"], "https://x.test/?a=b", "only the first `=` splits");
    assert_eq!(out["notes"], "line one\nline = two\n");
    assert_eq!(out.len(), 3);
}

#[test]
fn parse_outputs_rules() {
    let out = parse_outputs("a=1\r\n\r\nb<<END\r\nx\r\nEND\r\na=2\nc=\nd=e<<f\n").unwrap();
    assert_eq!(out["a"], "2", "a later line wins");
    assert_eq!(out["b"], "x");
    assert_eq!(out["c"], "");
    assert_eq!(out["d"], "e<<f", "`=` before `<<` makes a pair");
    assert_eq!(parse_outputs("").unwrap().len(), 0);
    let err = parse_outputs("ok=1\njust text\n").unwrap_err();
    assert!(err.contains("line 2"), "{err}");
    let err = parse_outputs("=value").unwrap_err();
    assert!(err.contains("needs a name"), "{err}");
    let err = parse_outputs("notes<<EOF\nline\n").unwrap_err();
    assert!(err.contains("not closed") && err.contains("EOF"), "{err}");
    assert!(parse_outputs("x<<\n").is_err());
}

#[test]
fn invalid_outputs_file_fails_permanently() {
    let exec = CommandExecutor::new();
    let (msg, retryable) =
        failure(exec.execute(&job("badout", json!({ "argv": ["sh", "-c", "echo garbage >> \"$TRAINYARD_OUTPUT\""] }))));
    assert!(!retryable);
    assert!(msg.contains("outputs file is invalid") && msg.contains("line 1"), "{msg}");
}

#[test]
fn non_zero_exit_fails_with_the_code_and_the_tails() {
    let exec = CommandExecutor::new();
    let j = job("exit3", json!({ "argv": ["sh", "-c", "echo building; echo 'disk full' >&2; exit 3"] }));
    let (msg, retryable) = failure(exec.execute(&j));
    assert!(retryable, "a non-zero exit may be retried");
    assert!(msg.contains("exited with code 3"), "{msg}");
    assert!(msg.contains("--- stderr (10 bytes) ---\ndisk full"), "{msg}");
    assert!(msg.contains("--- stdout (9 bytes) ---\nbuilding"), "{msg}");
    assert!(exec.running_jobs().is_empty());
}

#[test]
fn huge_output_is_bounded_to_the_last_64_kib() {
    let exec = CommandExecutor::new();
    let script = "head -c 5000000 /dev/zero | tr '\\000' 'x'; echo; echo THE-END; exit 1";
    let (msg, _) = failure(exec.execute(&job("huge", json!({ "argv": ["sh", "-c", script] }))));
    assert!(msg.contains(&format!("last {CAPTURE_LIMIT} of 5000009 bytes")), "{}", &msg[..200.min(msg.len())]);
    assert!(msg.trim_end().ends_with("THE-END"), "the tail is kept, not the head");
    assert!(msg.len() < CAPTURE_LIMIT + 1024, "message is bounded: {} bytes", msg.len());
}

#[test]
fn missing_binary_is_a_permanent_failure() {
    let exec = CommandExecutor::new();
    let (msg, retryable) =
        failure(exec.execute(&job("nobin", json!({ "argv": ["trainyard-no-such-program-xyz", "--help"] }))));
    assert!(!retryable);
    assert!(msg.contains("`trainyard-no-such-program-xyz`") && msg.contains("not found"), "{msg}");
}

#[test]
fn env_and_cwd_relative_to_the_base_dir() {
    let tmp = TempDir::new("cwd");
    std::fs::create_dir(tmp.path().join("work")).unwrap();
    let exec = CommandExecutor::new().with_base_dir(tmp.path());
    // SAFETY-free way to check inherited vars: PATH is inherited, HOME may be removed with null.
    let script = r#"echo "dir=$(basename "$(pwd)")" >> "$TRAINYARD_OUTPUT"
        echo "greeting=$GREETING" >> "$TRAINYARD_OUTPUT"
        echo "n=$N" >> "$TRAINYARD_OUTPUT"
        echo "list=$LIST" >> "$TRAINYARD_OUTPUT"
        echo "home=${HOME-unset}" >> "$TRAINYARD_OUTPUT""#;
    let j = job(
        "env",
        json!({
            "argv": ["sh", "-c", script],
            "env": { "GREETING": "hello world", "N": 3, "LIST": [1, 2], "HOME": null },
            "cwd": "work",
        }),
    );
    let out = outputs(exec.execute(&j));
    assert_eq!(out["dir"], "work");
    assert_eq!(out["greeting"], "hello world");
    assert_eq!(out["n"], "3");
    assert_eq!(out["list"], "[1,2]");
    assert_eq!(out["home"], "unset", "null removes an inherited variable");

    let j = job("nocwd", json!({ "argv": ["true"], "cwd": "missing" }));
    let (msg, retryable) = failure(exec.execute(&j));
    assert!(!retryable);
    assert!(msg.contains("working directory") && msg.contains("missing"), "{msg}");
}

#[test]
fn shell_mode_runs_a_command_line() {
    let exec = CommandExecutor::new();
    let j =
        job("shell", json!({ "shell": true, "argv": "x=$((40 + 2)); echo \"answer=$x\" >> \"$TRAINYARD_OUTPUT\"" }));
    assert_eq!(outputs(exec.execute(&j))["answer"], "42");
    let j = job(
        "shell-list",
        json!({ "shell": true, "argv": ["echo \"who=$0 $1\" >> \"$TRAINYARD_OUTPUT\"", "me", "you"] }),
    );
    assert_eq!(outputs(exec.execute(&j))["who"], "me you", "extra items are $0, $1 as with sh -c");
    // Without `shell`, a string is not split and not run.
    let j = job("noshell", json!({ "argv": "echo hi" }));
    let (msg, retryable) = failure(exec.execute(&j));
    assert!(!retryable && msg.contains("shell: true"), "{msg}");
    // No shell: metacharacters reach the program verbatim.
    let j = job(
        "verbatim",
        json!({ "argv": ["sh", "-c", "echo \"arg=$1\" >> \"$TRAINYARD_OUTPUT\"", "_", "$(rm -rf /); *"] }),
    );
    assert_eq!(outputs(exec.execute(&j))["arg"], "$(rm -rf /); *");
}

#[test]
fn bad_inputs_are_permanent_failures_with_clear_messages() {
    let exec = CommandExecutor::new();
    for (inputs, needle) in [
        (json!({}), "`argv` is required"),
        (json!({ "argv": [] }), "`argv` is empty"),
        (json!({ "argv": [{ "a": 1 }] }), "`argv[0]` must be a string"),
        (json!({ "argv": ["true"], "shell": "yes" }), "`shell` must be true or false"),
        (json!({ "argv": ["true"], "env": ["A=1"] }), "`env` must be a map"),
        (json!({ "argv": ["true"], "env": { "A=B": "1" } }), "invalid variable name"),
        (json!({ "argv": ["true"], "timeout": "soon" }), "`timeout`"),
        (json!({ "argv": ["true"], "timeout": -1 }), "non-negative"),
        (json!({ "argv": ["true"], "cwd": 7 }), "`cwd` must be a path string"),
        (json!({ "argv": ["a\u{0}b"] }), "NUL"),
    ] {
        let (msg, retryable) = failure(exec.execute(&job("bad", inputs.clone())));
        assert!(!retryable, "{inputs}");
        assert!(msg.contains(needle), "{inputs}: {msg}");
    }
}

#[cfg(unix)]
#[test]
fn timeout_kills_the_whole_process_group() {
    let tmp = TempDir::new("timeout");
    let exec = CommandExecutor::new().with_base_dir(tmp.path()).with_kill_grace(Duration::from_millis(300));
    // The child ignores SIGTERM, so the group needs the SIGKILL after the grace period; the
    // grandchild runs in the background.
    let script = "trap '' TERM; sleep 60 & echo $! > grandchild.pid; echo $$ > child.pid; echo started; while :; do sleep 1; done";
    let started = Instant::now();
    let (msg, retryable) =
        failure(exec.execute(&job("slow", json!({ "argv": ["sh", "-c", script], "timeout": "1s" }))));
    let took = started.elapsed();
    assert!(retryable);
    assert!(msg.contains("timed out after 1s") && msg.contains("process group was killed"), "{msg}");
    assert!(msg.contains("started"), "the tails are kept: {msg}");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(10), "took {took:?}");
    let child = read_pid(&tmp.path().join("child.pid"));
    let grandchild = read_pid(&tmp.path().join("grandchild.pid"));
    assert!(wait_dead(child), "child {child} still alive");
    assert!(wait_dead(grandchild), "grandchild {grandchild} still alive");
}

#[cfg(unix)]
#[test]
fn job_deadline_applies_when_no_timeout_is_given() {
    let exec = CommandExecutor::new().with_kill_grace(Duration::from_millis(100));
    let mut j = job("deadline", json!({ "argv": ["sleep", "30"] }));
    j.deadline = Some(chrono::Utc::now() + chrono::Duration::milliseconds(500));
    let started = Instant::now();
    let (msg, retryable) = failure(exec.execute(&j));
    assert!(retryable && msg.contains("timed out"), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(10));

    j.deadline = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    let (msg, _) = failure(exec.execute(&j));
    assert!(msg.contains("deadline") && msg.contains("passed"), "{msg}");
}

#[cfg(unix)]
#[test]
fn cancel_from_another_thread_kills_the_group() {
    let tmp = TempDir::new("cancel");
    let exec = Arc::new(CommandExecutor::new().with_base_dir(tmp.path()).with_kill_grace(Duration::from_millis(300)));
    let j = job("cancel", json!({ "argv": ["sh", "-c", "sleep 60 & echo $! > grandchild.pid; sleep 60"] }));
    let runner = {
        let (exec, j) = (exec.clone(), j.clone());
        std::thread::spawn(move || exec.execute(&j))
    };
    let grandchild = read_pid(&tmp.path().join("grandchild.pid"));
    assert_eq!(exec.running_jobs(), vec![j.id.clone()]);
    assert_eq!(exec.execute(&j), Outcome::Started, "a redelivery while it runs is not run twice");
    let started = Instant::now();
    exec.cancel(&j);
    let (msg, retryable) = failure(runner.join().unwrap());
    assert!(!retryable, "a cancelled job is not retried");
    assert!(msg.contains("cancelled"), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(wait_dead(grandchild), "grandchild {grandchild} still alive");
    assert!(exec.running_jobs().is_empty());
    // Cancelling a job that is not running is harmless.
    exec.cancel(&job("other", json!({})));
}

#[test]
fn cancel_before_start_keeps_the_job_from_running() {
    let tmp = TempDir::new("early");
    let exec = CommandExecutor::new().with_base_dir(tmp.path());
    let j = job("early", json!({ "argv": ["sh", "-c", "touch ran"] }));
    exec.cancel(&j);
    let (msg, retryable) = failure(exec.execute(&j));
    assert!(!retryable && msg.contains("cancelled before it started"), "{msg}");
    assert!(!tmp.path().join("ran").exists());
    // The note is used up: the next delivery runs.
    outputs(exec.execute(&j));
    assert!(tmp.path().join("ran").exists());
}

#[cfg(unix)]
#[test]
fn background_leftovers_are_killed_when_the_child_exits() {
    let tmp = TempDir::new("orphan");
    let exec = CommandExecutor::new().with_base_dir(tmp.path());
    let started = Instant::now();
    let out = outputs(exec.execute(&job("orphan", json!({ "argv": ["sh", "-c", "sleep 60 & echo $! > bg.pid"] }))));
    assert!(out.is_empty());
    assert!(started.elapsed() < Duration::from_secs(10), "did not wait for the background process");
    let bg = read_pid(&tmp.path().join("bg.pid"));
    assert!(wait_dead(bg), "background process {bg} still alive");
}

#[test]
fn concurrent_jobs_run_independently() {
    let exec = Arc::new(CommandExecutor::new());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let exec = exec.clone();
            std::thread::spawn(move || {
                let script = format!("echo \"n={i}\" >> \"$TRAINYARD_OUTPUT\"");
                outputs(exec.execute(&job(&format!("c{i}"), json!({ "argv": ["sh", "-c", script] }))))
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap()["n"], i.to_string());
    }
}

// ----- structured failures -----

use super::{FailureReason, failure::STDERR_TAIL_LIMIT};
use crate::secrets::SecretValue;

#[test]
fn a_non_zero_exit_has_its_code_and_the_stderr_tail_in_the_detail() {
    let exec = CommandExecutor::new();
    let d =
        detail(exec.execute(&job("code", json!({ "argv": ["sh", "-c", "echo out; echo 'disk full' >&2; exit 3"] }))));
    assert_eq!(d.reason, FailureReason::ExitCode);
    assert_eq!(d.exit_code, Some(3));
    assert_eq!(d.signal, None);
    assert_eq!(d.stderr_tail.as_deref(), Some("disk full\n"), "stderr only, not stdout");
    assert!(!d.timed_out() && !d.cancelled());

    let quiet = detail(exec.execute(&job("quiet", json!({ "argv": ["sh", "-c", "exit 1"] }))));
    assert_eq!(quiet.stderr_tail, None, "no tail when stderr was empty");
}

#[cfg(unix)]
#[test]
fn a_signal_is_named_in_the_message_and_the_detail() {
    let exec = CommandExecutor::new();
    let (msg, retryable) = failure(exec.execute(&job("sig", json!({ "argv": ["sh", "-c", "kill -9 $$"] }))));
    assert!(retryable);
    assert!(msg.contains("was killed by signal 9 (SIGKILL)"), "{msg}");
    let d = detail(exec.execute(&job("sig2", json!({ "argv": ["sh", "-c", "kill -TERM $$"] }))));
    assert_eq!(d.reason, FailureReason::Signal);
    assert_eq!(d.exit_code, None);
    let signal = d.signal.unwrap();
    assert_eq!((signal.number, signal.name.as_deref()), (libc::SIGTERM, Some("SIGTERM")));
}

#[cfg(unix)]
#[test]
fn timeouts_and_cancellations_say_so_in_the_detail() {
    let exec = Arc::new(CommandExecutor::new().with_kill_grace(Duration::from_millis(200)));
    let d =
        detail(exec.execute(&job("slow", json!({ "argv": ["sh", "-c", "echo waiting >&2; sleep 30"], "timeout": 1 }))));
    assert_eq!(d.reason, FailureReason::TimedOut);
    assert!(d.timed_out());
    assert_eq!(d.signal.as_ref().map(|s| s.number), Some(libc::SIGTERM), "ended by the SIGTERM sent");
    assert_eq!(d.stderr_tail.as_deref(), Some("waiting\n"));

    let tmp = TempDir::new("cancel-detail");
    let j = job(
        "cancelled",
        json!({ "argv": ["sh", "-c", "echo $$ > pid; sleep 30"], "cwd": tmp.path().to_str().unwrap() }),
    );
    let runner = {
        let (exec, j) = (exec.clone(), j.clone());
        std::thread::spawn(move || exec.execute(&j))
    };
    read_pid(&tmp.path().join("pid"));
    exec.cancel(&j);
    let d = detail(runner.join().unwrap());
    assert_eq!(d.reason, FailureReason::Cancelled);
    assert!(d.cancelled());

    exec.cancel(&j);
    let early = detail(exec.execute(&j));
    assert_eq!(early.reason, FailureReason::Cancelled, "cancelled before it started");
}

#[test]
fn runs_that_never_started_or_left_bad_outputs_say_which() {
    let exec = CommandExecutor::new();
    for inputs in [
        json!({}),
        json!({ "argv": ["trainyard-no-such-program-xyz"] }),
        json!({ "argv": ["true"], "cwd": "/nonexistent-dir" }),
    ] {
        assert_eq!(detail(exec.execute(&job("bad", inputs.clone()))).reason, FailureReason::NotStarted, "{inputs}");
    }
    let d = detail(exec.execute(&job(
        "badout",
        json!({ "argv": ["sh", "-c", "echo oops >&2; echo garbage >> \"$TRAINYARD_OUTPUT\""] }),
    )));
    assert_eq!(d.reason, FailureReason::InvalidOutputs);
    assert_eq!(d.exit_code, Some(0));
    assert_eq!(d.stderr_tail.as_deref(), Some("oops\n"));
}

#[test]
fn the_stderr_tail_is_bounded_and_redacted_before_the_cut() {
    let exec = CommandExecutor::new();
    let secret = "s3cr3t-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    // The secret, then enough bytes that the 4 KiB tail starts in its middle; then exit 1.
    let pad = STDERR_TAIL_LIMIT - secret.len() / 2;
    let script = format!("printf '%s' \"$TOKEN\" >&2; head -c {pad} /dev/zero | tr '\\000' z >&2; exit 1");
    let mut j = job("tail", json!({ "argv": ["sh", "-c", script], "env": { "TOKEN": secret } }));
    j.secrets = vec![SecretValue::new(secret)];
    let outcome = exec.execute(&j);
    let (message, _) = failure(outcome.clone());
    let d = detail(outcome);
    let tail = d.stderr_tail.unwrap();
    assert!(tail.len() <= STDERR_TAIL_LIMIT, "bounded: {} bytes", tail.len());
    assert!(tail.starts_with("***z"), "the cut fell inside the secret: {}", &tail[..20]);
    let end = &secret[secret.len() / 2..];
    assert!(!tail.contains(end) && !message.contains(end) && !message.contains(secret));
    assert!(message.contains("***zzz"), "the 64 KiB message tail holds the whole redacted secret");
}

#[test]
fn the_program_name_is_redacted_in_messages() {
    let exec = CommandExecutor::new();
    let mut j = job("named", json!({ "argv": ["/nonexistent/tok-123"] }));
    j.secrets = vec![SecretValue::new("tok-123")];
    let (msg, _) = failure(exec.execute(&j));
    assert!(msg.contains("`/nonexistent/***`") && !msg.contains("tok-123"), "{msg}");
}

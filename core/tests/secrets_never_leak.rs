//! Resolved secret values reach executors and nothing else: not events, history, release state,
//! notifications, errors or `Debug` output (the rules are in the `trainyard::secrets` docs).

use std::sync::{Arc, Mutex};
use trainyard::Engine;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::notify::Notification;
use trainyard::release::NewRelease;
use trainyard::secrets::MapSecretResolver;

const SECRET: &str = "s3cr3t-value-42";

const PROCESS: &str = r#"
id: deploy-with-token
inputs:
  apiToken: { type: secret, default: "secret://deploy-token" }
phases:
  - id: deploy
    activities:
      - id: push
        kind: automated
        executor: echo
        outputs: [seen]
        with: { token: "${inputs.apiToken}", header: "Bearer ${inputs.apiToken}" }
      - id: again
        kind: automated
        executor: leak
        depends_on: [push]
        on_failure: hold
        with: { token: "${inputs.apiToken}" }
"#;

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

#[test]
fn resolved_values_reach_the_executor_and_nowhere_else() {
    let engine = Engine::in_memory();
    engine.set_secret_resolver(MapSecretResolver::new([("deploy-token", SECRET)]));
    let seen = echo_and_leak(&engine);
    let notes: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let notes_in = notes.clone();
    engine.subscribe(move |n: &Notification| {
        notes_in.lock().unwrap().push(n.clone());
        Ok(())
    });
    let id = activated(&engine, PROCESS);
    engine.run_until_idle(100).unwrap();

    let jobs = seen.lock().unwrap().clone();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].inputs["token"], SECRET, "the executor gets the resolved value");
    assert_eq!(jobs[0].inputs["header"], format!("Bearer {SECRET}"));

    let state = engine.get_release(&id).unwrap();
    assert_eq!(state.status.as_str(), "on_hold", "the leaking activity failed and waits for a decision");
    let history = serde_json::to_string(&engine.history(&id).unwrap()).unwrap();
    assert!(history.contains("secret://deploy-token"), "events keep the reference");
    let places = [
        ("history", history),
        ("release state (Debug)", format!("{state:?}")),
        ("release state (JSON)", serde_json::to_string(&state.comparable()).unwrap()),
        ("notifications", format!("{:?}", notes.lock().unwrap())),
        ("jobs in the store", format!("{:?}", engine.list_jobs().unwrap())),
    ];
    for (what, text) in places {
        assert!(!text.contains(SECRET), "the secret value leaked into the {what}");
    }
    let error = engine.approve(&id, "deploy", "push", &rita(), None).unwrap_err();
    assert!(!error.to_string().contains(SECRET));
    assert!(state.activity("deploy", "again").unwrap().error.as_deref().unwrap().contains("***"));
    assert_eq!(state.activity("deploy", "push").unwrap().outputs["seen"], "***");
}

#[test]
fn a_job_whose_secret_cannot_be_resolved_fails_naming_the_secret() {
    let engine = Engine::in_memory();
    engine.register_executor("echo", |_: &Job| Outcome::success());
    engine.register_executor("leak", |_: &Job| Outcome::success());
    let id = activated(&engine, PROCESS);
    engine.run_until_idle(100).unwrap();
    let state = engine.get_release(&id).unwrap();
    let push = state.activity("deploy", "push").unwrap();
    assert_eq!(push.status.as_str(), "on_hold");
    assert!(push.error.as_deref().unwrap().contains("secret resolver"), "{:?}", push.error);
}

// ----- redaction with exactly the values handed out -----

use std::sync::atomic::{AtomicUsize, Ordering};
use trainyard::executor::command::{CAPTURE_LIMIT, CommandExecutor};
use trainyard::secrets::SecretResolver;

/// Every value a resolver returned, shared with the test.
#[derive(Default)]
struct Handed {
    calls: AtomicUsize,
    values: Mutex<Vec<String>>,
}

/// A resolver that returns a fresh value on every call (rotating tokens).
struct Rotating(Arc<Handed>);

impl SecretResolver for Rotating {
    fn resolve(&self, name: &str) -> Result<String, String> {
        let n = self.0.calls.fetch_add(1, Ordering::SeqCst);
        let value = format!("rot-{n:03}-{name}-Zq8Xw2Lm");
        self.0.values.lock().unwrap().push(value.clone());
        Ok(value)
    }
}

/// A resolver that answers its first call and fails every later one.
struct FailsAfterFirst(Arc<Handed>);

impl SecretResolver for FailsAfterFirst {
    fn resolve(&self, _name: &str) -> Result<String, String> {
        if self.0.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            self.0.values.lock().unwrap().push(SECRET.to_string());
            Ok(SECRET.to_string())
        } else {
            Err("the vault is unavailable".into())
        }
    }
}

/// A SQLite-backed engine in a fresh directory (kept alive by the returned guard).
fn sqlite_engine() -> (Engine, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("releases.db");
    let engine = Engine::open(&format!("sqlite://{}", db.display())).unwrap();
    (engine, dir, db)
}

/// Collects every notification.
fn notifications(engine: &Engine) -> Arc<Mutex<Vec<Notification>>> {
    let notes: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let notes_in = notes.clone();
    engine.subscribe(move |n: &Notification| {
        notes_in.lock().unwrap().push(n.clone());
        Ok(())
    });
    notes
}

/// The bytes of the SQLite database and its write-ahead log.
fn sqlite_bytes(db: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(db).unwrap();
    for suffix in ["-wal", "-journal"] {
        if let Ok(more) = std::fs::read(format!("{}{suffix}", db.display())) {
            all.extend(more);
        }
    }
    all
}

/// Asserts that none of `values` (nor its second half, which a cut would keep) appears in the
/// release's history, state, view, the notifications, the jobs, the extra texts or the database.
fn assert_nowhere(
    engine: &Engine,
    release: &str,
    values: &[String],
    notes: &Mutex<Vec<Notification>>,
    extra: &[(&str, String)],
    db: Option<&std::path::Path>,
) {
    assert!(!values.is_empty(), "the resolver was never asked");
    let state = engine.get_release(release).unwrap();
    let mut places = vec![
        ("history", serde_json::to_string(&engine.history(release).unwrap()).unwrap()),
        ("release state (Debug)", format!("{state:?}")),
        ("release view", serde_json::to_string(&state.view()).unwrap()),
        ("notifications", format!("{:?}", notes.lock().unwrap())),
        ("jobs in the store", format!("{:?}", engine.list_jobs().unwrap())),
    ];
    places.extend(extra.iter().map(|(w, t)| (*w, t.clone())));
    let bytes = db.map(sqlite_bytes).unwrap_or_default();
    for value in values {
        let half = &value[value.len() / 2..];
        for (what, text) in &places {
            if let Some(at) = text.find(half) {
                let around: String = text[at..].chars().take(half.len() + 80).collect();
                panic!("a resolved value (or its end) leaked into the {what}: …{around}…");
            }
        }
        let found = bytes.windows(half.len()).any(|w| w == half.as_bytes());
        assert!(!found, "a resolved value (or its end) is in the SQLite file");
    }
}

fn activated(engine: &Engine, process: &str) -> String {
    engine.register_process(process).unwrap();
    let id = serde_yaml_id(process);
    let r = engine.create_release(&id, NewRelease { name: "r".into(), ..Default::default() }, &rita()).unwrap();
    engine.activate(&r.id, &rita()).unwrap();
    r.id
}

fn serde_yaml_id(process: &str) -> String {
    process.lines().find_map(|l| l.strip_prefix("id: ")).unwrap().trim().to_string()
}

/// Registers `echo`, which records the jobs it gets and echoes their `token` input as an output
/// (the engine must scrub it before recording), and `leak`, which fails with the token in its
/// message. Returns the jobs `echo` got.
fn echo_and_leak(engine: &Engine) -> Arc<Mutex<Vec<Job>>> {
    let seen: Arc<Mutex<Vec<Job>>> = Arc::default();
    let seen_in = seen.clone();
    engine.register_executor("echo", move |job: &Job| {
        seen_in.lock().unwrap().push(job.clone());
        Outcome::with_outputs([("seen", job.inputs["token"].clone())])
    });
    engine.register_executor("leak", |job: &Job| Outcome::Failure {
        message: format!("auth failed with token {}", job.inputs["token"].as_str().unwrap_or("")),
        retryable: false,
    });
    seen
}

#[test]
fn a_rotating_resolver_is_redacted_with_the_values_the_executor_saw() {
    let (engine, _dir, db) = sqlite_engine();
    let handed = Arc::new(Handed::default());
    engine.set_secret_resolver(Rotating(handed.clone()));
    let seen = echo_and_leak(&engine);
    let notes = notifications(&engine);
    let r = activated(&engine, PROCESS);
    engine.run_until_idle(100).unwrap();

    let jobs = seen.lock().unwrap().clone();
    assert_eq!(jobs.len(), 1);
    let token = jobs[0].inputs["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("rot-"), "the executor got a resolved value: {token}");
    let state = engine.get_release(&r).unwrap();
    assert_eq!(state.activity("deploy", "push").unwrap().outputs["seen"], "***");
    let again = state.activity("deploy", "again").unwrap();
    assert_eq!(again.status.as_str(), "on_hold");
    assert!(again.error.as_deref().unwrap().contains("***"), "{:?}", again.error);
    let error = engine.approve(&r, "deploy", "push", &rita(), None).unwrap_err().to_string();
    let values = handed.values.lock().unwrap().clone();
    assert_nowhere(&engine, &r, &values, &notes, &[("an error", error)], Some(&db));
    assert_eq!(jobs[0].inputs["header"], format!("Bearer {token}"), "one value per secret per job");
}

#[test]
fn a_resolver_failing_on_its_second_call_does_not_turn_redaction_off() {
    const ONE: &str = r#"
id: one-token
inputs:
  apiToken: { type: secret, default: "secret://deploy-token" }
phases:
  - id: deploy
    activities:
      - id: again
        kind: automated
        executor: leak
        on_failure: hold
        with: { token: "${inputs.apiToken}" }
"#;
    let (engine, _dir, db) = sqlite_engine();
    let handed = Arc::new(Handed::default());
    engine.set_secret_resolver(FailsAfterFirst(handed.clone()));
    echo_and_leak(&engine);
    let notes = notifications(&engine);
    let r = activated(&engine, ONE);
    engine.run_until_idle(100).unwrap();
    let state = engine.get_release(&r).unwrap();
    let again = state.activity("deploy", "again").unwrap();
    assert_eq!(again.status.as_str(), "on_hold");
    assert_eq!(again.error.as_deref(), Some("auth failed with token ***"));
    assert_eq!(handed.calls.load(Ordering::SeqCst), 1, "the secret is resolved once, when the job is handed out");
    let values = handed.values.lock().unwrap().clone();
    assert_nowhere(&engine, &r, &values, &notes, &[], Some(&db));
}

#[cfg(unix)]
#[test]
fn a_secret_straddling_the_64_kib_cut_is_redacted_before_the_cut() {
    const LONG: &str = "tok-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789-abcdefghij";
    let process = format!(
        r#"
id: straddle
inputs:
  apiToken: {{ type: secret, default: "secret://deploy-token" }}
phases:
  - id: deploy
    activities:
      - id: build
        kind: automated
        executor: command
        on_failure: hold
        with:
          argv: ["sh", "-c", "printf '%s' \"$TOKEN\" >&2; head -c $PAD /dev/zero | tr '\\000' x >&2; printf '%s' \"$TOKEN\"; head -c $PAD /dev/zero | tr '\\000' y; exit 1"]
          env: {{ TOKEN: "${{inputs.apiToken}}", PAD: "{pad}" }}
"#,
        pad = CAPTURE_LIMIT - LONG.len() / 2
    );
    let (engine, _dir, db) = sqlite_engine();
    engine.set_secret_resolver(MapSecretResolver::new([("deploy-token", LONG)]));
    engine.register_executor("command", CommandExecutor::new());
    let notes = notifications(&engine);
    let r = activated(&engine, &process);
    engine.run_until_idle(100).unwrap();
    let state = engine.get_release(&r).unwrap();
    let build = state.activity("deploy", "build").unwrap();
    assert_eq!(build.status.as_str(), "on_hold");
    let error = build.error.as_deref().unwrap();
    assert!(error.contains("exited with code 1"), "{}", &error[..200]);
    assert!(error.contains(&format!("last {CAPTURE_LIMIT} of")), "the capture was cut: {}", &error[..300]);
    assert_nowhere(&engine, &r, &[LONG.to_string()], &notes, &[], Some(&db));
}

#[test]
fn external_workers_are_redacted_with_the_values_they_were_handed() {
    let (engine, _dir, db) = sqlite_engine();
    let handed = Arc::new(Handed::default());
    engine.set_secret_resolver(Rotating(handed.clone()));
    let notes = notifications(&engine);
    let r = activated(&engine, PROCESS);
    engine.run_until_idle(100).unwrap();
    let lease = chrono::Duration::minutes(5);
    let claimed = engine.claim_jobs(&["echo"], "w1", 10, lease).unwrap();
    assert_eq!(claimed.len(), 1);
    let token = claimed[0].job.inputs["token"].as_str().unwrap().to_string();
    engine
        .complete_claimed_job(&claimed[0].job.id, &claimed[0].token, Outcome::with_outputs([("seen", token.clone())]))
        .unwrap();
    let claimed = engine.claim_jobs(&["leak"], "w1", 10, lease).unwrap();
    let token = claimed[0].job.inputs["token"].as_str().unwrap().to_string();
    let failure = Outcome::Failure { message: format!("401 for {token}"), retryable: false };
    engine.complete_claimed_job(&claimed[0].job.id, &claimed[0].token, failure).unwrap();
    let state = engine.get_release(&r).unwrap();
    assert_eq!(state.activity("deploy", "push").unwrap().outputs["seen"], "***");
    assert_eq!(state.activity("deploy", "again").unwrap().error.as_deref(), Some("401 for ***"));
    let values = handed.values.lock().unwrap().clone();
    assert_nowhere(&engine, &r, &values, &notes, &[], Some(&db));
}

#[test]
fn an_outcome_reported_to_another_engine_is_redacted_or_withheld() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let claimer = Engine::open(&url).unwrap();
    claimer.set_secret_resolver(MapSecretResolver::new([("deploy-token", SECRET)]));
    let notes = notifications(&claimer);
    let r = activated(&claimer, PROCESS);
    claimer.run_until_idle(100).unwrap();
    let lease = chrono::Duration::minutes(5);
    let push = claimer.claim_jobs(&["echo"], "w1", 1, lease).unwrap().remove(0);
    assert_eq!(push.job.inputs["token"], SECRET);

    // Another engine on the same store, with the same resolver: it resolves the job's secrets
    // again to redact.
    let other = Engine::open(&url).unwrap();
    other.set_secret_resolver(MapSecretResolver::new([("deploy-token", SECRET)]));
    other.complete_claimed_job(&push.job.id, &push.token, Outcome::with_outputs([("seen", SECRET)])).unwrap();
    assert_eq!(other.get_release(&r).unwrap().activity("deploy", "push").unwrap().outputs["seen"], "***");

    // One without a resolver cannot know the values: it withholds the text.
    let again = claimer.claim_jobs(&["leak"], "w1", 1, lease).unwrap().remove(0);
    let blind = Engine::open(&url).unwrap();
    let failure = Outcome::Failure { message: format!("401 for {SECRET}"), retryable: false };
    blind.complete_claimed_job(&again.job.id, &again.token, failure).unwrap();
    let state = blind.get_release(&r).unwrap();
    let error = state.activity("deploy", "again").unwrap().error.clone().unwrap();
    assert!(error.contains("withheld"), "{error}");
    assert_nowhere(&blind, &r, &[SECRET.to_string()], &notes, &[], Some(&dir.path().join("shared.db")));
}

#[test]
fn a_redelivered_job_is_redacted_with_the_values_of_every_delivery() {
    let clock = Arc::new(trainyard::schedule::ManualClock::new(chrono::Utc::now()));
    let engine = Engine::in_memory_with_clock(clock.clone());
    let handed = Arc::new(Handed::default());
    engine.set_secret_resolver(Rotating(handed.clone()));
    let notes = notifications(&engine);
    let r = activated(&engine, PROCESS);
    engine.run_until_idle(100).unwrap();
    let lease = chrono::Duration::minutes(1);
    let first = engine.claim_jobs(&["echo"], "w1", 1, lease).unwrap().remove(0);
    clock.advance(chrono::Duration::minutes(2));
    // The lease expired: the job goes to w2 with a new token and, from this resolver, a new value.
    let second = engine.claim_jobs(&["echo"], "w2", 1, lease).unwrap().remove(0);
    assert_eq!(first.job.id, second.job.id);
    let (a, b) = (first.job.inputs["token"].clone(), second.job.inputs["token"].clone());
    assert_ne!(a, b);
    let stale = Outcome::with_outputs([("seen", a.clone())]);
    assert_eq!(engine.complete_claimed_job(&first.job.id, &first.token, stale).unwrap_err().code(), "conflict");
    let both = format!("{} {}", a.as_str().unwrap(), b.as_str().unwrap());
    engine.complete_claimed_job(&second.job.id, &second.token, Outcome::with_outputs([("seen", both)])).unwrap();
    let state = engine.get_release(&r).unwrap();
    assert_eq!(state.activity("deploy", "push").unwrap().outputs["seen"], "*** ***");
    let values = handed.values.lock().unwrap().clone();
    assert_nowhere(&engine, &r, &values, &notes, &[], None);
}

//! Jobs that misbehave — a command that turns its outputs file into a FIFO, a job whose secret
//! does not resolve, a store that fails in the middle of a claim — never hang the engine, never
//! stop the other jobs and never leak a secret into the logs.
//!
//! Every engine call that could hang runs on its own thread and the test fails if it does not
//! return within [`LIVENESS`] (a liveness check, generous on purpose: not a timing assertion).

use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use trainyard::access::Actor;
use trainyard::executor::command::CommandExecutor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{Event, NewRelease};
use trainyard::secrets::MapSecretResolver;
use trainyard::store::{Append, ClaimedJob, JobRecord, MemoryStore, ReleaseQuery, ReleaseRow, Store};
use trainyard::{Engine, Error, Process, Result, Timestamp};

/// How long an engine call may take before the test calls it hung.
const LIVENESS: Duration = Duration::from_secs(60);

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

/// Registers `process`, creates and activates a release of it.
fn activated(engine: &Engine, process: &str) -> String {
    let info = engine.register_process(process).unwrap();
    let r = engine.create_release(&info.id, NewRelease { name: "r".into(), ..Default::default() }, &rita()).unwrap();
    engine.activate(&r.id, &rita()).unwrap();
    r.id
}

/// Runs `f` on its own thread; panics if it does not return within [`LIVENESS`].
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(LIVENESS) {
        Ok(v) => v,
        Err(_) => panic!("{what} did not return within {LIVENESS:?}: it hangs"),
    }
}

fn command_process(id: &str, script: &str) -> String {
    format!(
        r#"
id: {id}
phases:
  - id: build
    activities:
      - id: run
        kind: automated
        executor: command
        on_failure: hold
        outputs: [x]
        with: {{ argv: ["sh", "-c", {script}] }}
"#,
        script = serde_json::to_string(script).unwrap()
    )
}

#[cfg(unix)]
#[test]
fn an_outputs_file_replaced_by_a_fifo_fails_the_job_instead_of_hanging() {
    let engine = Arc::new(Engine::in_memory());
    engine.register_executor("command", CommandExecutor::new());
    let r = activated(&engine, &command_process("fifo", r#"rm -f "$TRAINYARD_OUTPUT"; mkfifo "$TRAINYARD_OUTPUT""#));
    let e = engine.clone();
    bounded("run_until_idle with a FIFO as outputs file", move || e.run_until_idle(100)).unwrap();
    let state = engine.get_release(&r).unwrap();
    let run = state.activity("build", "run").unwrap();
    assert_eq!(run.status.as_str(), "on_hold");
    let error = run.error.as_deref().unwrap();
    assert!(error.contains("outputs file") && error.contains("not a regular file"), "{error}");
    assert!(error.contains("FIFO"), "the failure says what the child left there: {error}");
}

#[cfg(unix)]
#[test]
fn an_outputs_file_replaced_by_a_symlink_or_a_directory_is_refused() {
    let secret_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret_file.path(), "x=contents of another file\n").unwrap();
    let engine = Engine::in_memory();
    engine.register_executor("command", CommandExecutor::new());
    let link = format!(r#"rm -f "$TRAINYARD_OUTPUT"; ln -s {} "$TRAINYARD_OUTPUT""#, secret_file.path().display());
    let dir = r#"rm -f "$TRAINYARD_OUTPUT"; mkdir "$TRAINYARD_OUTPUT""#;
    for (id, script, kind) in [("symlink", link.as_str(), "symbolic link"), ("dir", dir, "directory")] {
        let r = activated(&engine, &command_process(id, script));
        engine.run_until_idle(100).unwrap();
        let state = engine.get_release(&r).unwrap();
        let run = state.activity("build", "run").unwrap();
        assert_eq!(run.status.as_str(), "on_hold", "{id}");
        assert!(run.outputs.is_empty(), "{id}: nothing was read through the link");
        let error = run.error.as_deref().unwrap();
        assert!(error.contains("not a regular file") && error.contains(kind), "{id}: {error}");
    }
}

const SIBLINGS: &str = r#"
id: siblings
inputs:
  token: { type: secret, default: "secret://missing-token" }
phases:
  - id: deploy
    activities:
      - id: needs-secret
        kind: automated
        executor: work
        on_failure: hold
        with: { token: "${inputs.token}" }
      - id: plain
        kind: automated
        executor: work
        with: { n: 1 }
"#;

#[test]
fn a_job_whose_secret_does_not_resolve_never_stops_its_sibling() {
    let engine = Engine::in_memory();
    engine.set_secret_resolver(MapSecretResolver::new([("other", "x")]));
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    engine.register_executor("work", move |_: &Job| {
        counter.fetch_add(1, Ordering::SeqCst);
        Outcome::success()
    });
    let r = activated(&engine, SIBLINGS);
    let handled = engine.run_until_idle(100).unwrap();
    let state = engine.get_release(&r).unwrap();
    assert_eq!(state.activity("deploy", "needs-secret").unwrap().status.as_str(), "on_hold");
    let error = state.activity("deploy", "needs-secret").unwrap().error.clone().unwrap();
    assert!(error.contains("missing-token"), "{error}");
    assert_eq!(
        state.activity("deploy", "plain").unwrap().status.as_str(),
        "success",
        "the sibling ran in the same call"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1, "the sibling's executor ran once, the other never");
    assert!(handled >= 2, "both jobs count as handled, got {handled}");
    assert!(engine.list_jobs().unwrap().is_empty(), "no job is left behind");
}

/// A memory store whose appends that start a job fail once armed, from the `fail_from`-th on.
struct FailingStarts {
    inner: MemoryStore,
    starts: AtomicUsize,
    fail_from: AtomicUsize,
}

impl FailingStarts {
    fn new() -> Self {
        FailingStarts {
            inner: MemoryStore::new(),
            starts: AtomicUsize::new(0),
            fail_from: AtomicUsize::new(usize::MAX),
        }
    }
}

impl Store for FailingStarts {
    fn put_process(&self, process: &Process) -> Result<u32> {
        self.inner.put_process(process)
    }
    fn get_process(&self, id: &str, version: Option<u32>) -> Result<Option<(u32, Process)>> {
        self.inner.get_process(id, version)
    }
    fn list_processes(&self) -> Result<Vec<(String, u32)>> {
        self.inner.list_processes()
    }
    fn put_document(&self, collection: &str, key: &str, value: &Value) -> Result<u32> {
        self.inner.put_document(collection, key, value)
    }
    fn get_document(&self, collection: &str, key: &str, version: Option<u32>) -> Result<Option<(u32, Value)>> {
        self.inner.get_document(collection, key, version)
    }
    fn list_documents(&self, collection: &str) -> Result<Vec<(String, u32)>> {
        self.inner.list_documents(collection)
    }
    fn delete_document(&self, collection: &str, key: &str) -> Result<bool> {
        self.inner.delete_document(collection, key)
    }
    fn append(&self, batch: &Append<'_>) -> Result<()> {
        if batch.events.iter().any(|e| e.kind.name() == "activity_started") {
            let n = self.starts.fetch_add(1, Ordering::SeqCst);
            if n >= self.fail_from.load(Ordering::SeqCst) {
                return Err(Error::Storage { message: "the disk went away".into() });
            }
        }
        self.inner.append(batch)
    }
    fn events(&self, release: &str, after: u64) -> Result<Vec<Event>> {
        self.inner.events(release, after)
    }
    fn put_snapshot(&self, release: &str, seq: u64, state: &Value) -> Result<()> {
        self.inner.put_snapshot(release, seq, state)
    }
    fn snapshot(&self, release: &str) -> Result<Option<(u64, Value)>> {
        self.inner.snapshot(release)
    }
    fn release(&self, id: &str) -> Result<Option<ReleaseRow>> {
        self.inner.release(id)
    }
    fn query_releases(&self, query: &ReleaseQuery) -> Result<Vec<ReleaseRow>> {
        self.inner.query_releases(query)
    }
    fn search(
        &self,
        filter: &trainyard::store::SearchFilter,
        sort: trainyard::store::SearchSort,
        after: Option<&trainyard::store::SortKey>,
        limit: usize,
    ) -> Result<Vec<ReleaseRow>> {
        self.inner.search(filter, sort, after, limit)
    }
    fn inbox(&self, principals: &[String], limit: usize) -> Result<Vec<trainyard::release::InboxEntry>> {
        self.inner.inbox(principals, limit)
    }
    fn deployed(
        &self,
        environment: Option<&str>,
        service: Option<&str>,
    ) -> Result<Vec<trainyard::release::LedgerEntry>> {
        self.inner.deployed(environment, service)
    }
    fn deployments(
        &self,
        service: &str,
        environment: &str,
        limit: usize,
    ) -> Result<Vec<trainyard::release::LedgerEntry>> {
        self.inner.deployments(service, environment, limit)
    }
    fn delete_release(&self, id: &str) -> Result<bool> {
        self.inner.delete_release(id)
    }
    fn gate_watches(&self, target: Option<&str>) -> Result<Vec<(String, String)>> {
        self.inner.gate_watches(target)
    }
    fn locks(&self, names: Option<&[String]>) -> Result<Vec<trainyard::release::locks::LockEntry>> {
        self.inner.locks(names)
    }
    fn lock_queue(&self, name: &str, limit: usize) -> Result<Vec<trainyard::release::locks::LockEntry>> {
        self.inner.lock_queue(name, limit)
    }
    fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<(Timestamp, String)>> {
        self.inner.due(now, limit)
    }
    fn claim_due(&self, now: Timestamp, limit: usize, lease_until: Timestamp) -> Result<Vec<(Timestamp, String)>> {
        self.inner.claim_due(now, limit, lease_until)
    }
    fn claim_jobs(
        &self,
        executors: &[String],
        worker: &str,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedJob>> {
        self.inner.claim_jobs(executors, worker, limit, lease_until, now)
    }
    fn heartbeat(&self, job_id: &str, token: &str, lease_until: Timestamp) -> Result<()> {
        self.inner.heartbeat(job_id, token, lease_until)
    }
    fn finish_job(&self, job_id: &str, token: &str) -> Result<()> {
        self.inner.finish_job(job_id, token)
    }
    fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.inner.jobs()
    }
    fn feed(&self, after: u64, limit: usize) -> Result<Vec<trainyard::feed::FeedEntry>> {
        self.inner.feed(after, limit)
    }
    fn feed_head(&self) -> Result<u64> {
        self.inner.feed_head()
    }
    fn consumer_cursor(&self, consumer: &str) -> Result<Option<u64>> {
        self.inner.consumer_cursor(consumer)
    }
    fn set_consumer_cursor(&self, consumer: &str, cursor: u64) -> Result<()> {
        self.inner.set_consumer_cursor(consumer, cursor)
    }
    fn wait_for_feed(&self, after: u64, timeout: std::time::Duration) -> Result<()> {
        self.inner.wait_for_feed(after, timeout)
    }
}

#[test]
fn a_store_error_during_a_claim_releases_the_jobs_already_claimed() {
    let store = Arc::new(FailingStarts::new());
    let engine = Engine::new(store.clone(), Arc::new(trainyard::schedule::SystemClock));
    let process = SIBLINGS
        .replace("inputs:\n  token: { type: secret, default: \"secret://missing-token\" }\n", "")
        .replace("\"${inputs.token}\"", "plain");
    let r = activated(&engine, &process);
    // The first start goes through, the second fails: the claim reports the store error.
    store.fail_from.store(1, Ordering::SeqCst);
    let err = engine.claim_jobs(&["work"], "w1", 10, chrono::Duration::minutes(30)).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    store.fail_from.store(usize::MAX, Ordering::SeqCst);
    // Both jobs were handed back at once: another claim gets them, without waiting 30 minutes.
    let again = engine.claim_jobs(&["work"], "w2", 10, chrono::Duration::minutes(30)).unwrap();
    let mut ids: Vec<&str> = again.iter().map(|c| c.job.activity_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["needs-secret", "plain"], "both jobs are claimable again");
    for c in &again {
        engine.complete_claimed_job(&c.job.id, &c.token, Outcome::success()).unwrap();
    }
    let state = engine.get_release(&r).unwrap();
    assert_eq!(state.status.as_str(), "success");
}

/// A `tracing` subscriber that writes every event and span field into a shared string, one line
/// per event or span.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!(" {}={value}", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut text = self.0.lock().unwrap();
        text.push_str(&format!("\nspan {}", span.metadata().name()));
        span.record(&mut Fields(&mut text));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = self.0.lock().unwrap();
        text.push_str(&format!("\n{} {}", event.metadata().level(), event.metadata().target()));
        event.record(&mut Fields(&mut text));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[cfg(unix)]
#[test]
fn secrets_never_reach_the_logs() {
    use std::os::unix::fs::PermissionsExt;
    const TOKEN: &str = "tok-in-the-program-path-7Hq";
    // A program whose path holds the secret (a directory named after it), which runs and fails.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join(format!("{TOKEN} bin"));
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(bin.join("deploy"), "#!/bin/sh\necho \"$T\" >&2\nexit 2\n").unwrap();
    std::fs::set_permissions(bin.join("deploy"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let program = format!("{}/${{inputs.token}} bin/deploy", dir.path().display());
    let process = format!(
        r#"
id: logged
inputs:
  token: {{ type: secret, default: "secret://deploy-token" }}
phases:
  - id: deploy
    activities:
      - id: run
        kind: automated
        executor: command
        on_failure: hold
        with: {{ argv: [{program:?}], env: {{ T: "${{inputs.token}}" }} }}
      - id: missing
        kind: automated
        executor: command
        on_failure: hold
        with: {{ argv: ["/nonexistent/${{inputs.token}}"] }}
"#
    );
    let engine = Engine::in_memory();
    engine.set_secret_resolver(MapSecretResolver::new([("deploy-token", TOKEN)]));
    engine.register_executor("command", CommandExecutor::new());
    // The global subscriber (a scoped one misses callsites that other test threads register at
    // the same time); it also sees the other tests' logs, which hold no value of this secret.
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).expect("no other test sets a subscriber");
    let r = activated(&engine, &process);
    engine.run_until_idle(100).unwrap();
    let logs = capture.0.lock().unwrap().clone();
    let ours = |what: &str| logs.lines().any(|l| l.contains(what) && l.contains(&r));
    assert!(ours("command started") && ours("command failed"), "the executor logged: {logs}");
    assert!(!logs.contains(TOKEN), "a secret reached the logs: {logs}");
    let state = engine.get_release(&r).unwrap();
    for a in ["run", "missing"] {
        let error = state.activity("deploy", a).unwrap().error.clone().unwrap();
        assert!(!error.contains(TOKEN) && error.contains("***"), "{a}: {error}");
    }
    let run = state.activity("deploy", "run").unwrap();
    assert!(run.error.as_deref().unwrap().contains("exited with code 2"), "{:?}", run.error);
}

#[cfg(unix)]
#[test]
fn command_failures_are_structured_in_the_event_and_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let process = format!(
        r#"
id: structured
phases:
  - id: build
    activities:
      - id: flaky
        kind: automated
        executor: command
        retry: {{ max_attempts: 2 }}
        with:
          argv: ["sh", "-c", "if [ -e marker ]; then exit 0; fi; touch marker; echo building; echo 'disk full' >&2; exit 3"]
          cwd: {cwd:?}
      - id: plain
        kind: automated
        executor: plain
        on_failure: hold
"#,
        cwd = dir.path().display().to_string()
    );
    let engine = Engine::in_memory();
    engine.register_executor("command", CommandExecutor::new());
    engine.register_executor("plain", |_: &Job| Outcome::Failure { message: "no detail".into(), retryable: false });
    let r = activated(&engine, &process);
    engine.run_until_idle(100).unwrap();

    let history = serde_json::to_value(engine.history(&r).unwrap()).unwrap();
    let failed: Vec<&Value> =
        history.as_array().unwrap().iter().filter(|e| e["kind"] == "activity_failed").map(|e| &e["data"]).collect();
    let flaky = failed.iter().find(|d| d["activity"] == "flaky").unwrap();
    assert_eq!(
        flaky["detail"],
        serde_json::json!({ "reason": "exit_code", "exit_code": 3, "stderr_tail": "disk full\n" })
    );
    assert!(
        flaky["message"].as_str().unwrap().starts_with("`sh` exited with code 3\n--- stderr (10 bytes) ---\ndisk full")
    );
    let plain = failed.iter().find(|d| d["activity"] == "plain").unwrap();
    assert!(plain.get("detail").is_none(), "a failure without detail stores none: {plain}");

    let state = engine.get_release(&r).unwrap();
    let view = serde_json::to_value(state.view()).unwrap();
    let activity =
        |id: &str| view["phases"][0]["activities"].as_array().unwrap().iter().find(|a| a["id"] == id).cloned().unwrap();
    assert_eq!(activity("flaky")["status"], "success", "the automatic retry succeeded");
    assert_eq!(activity("flaky")["last_failure"], Value::Null, "a success clears the last failure");
    assert_eq!(activity("plain")["status"], "on_hold");
    assert_eq!(activity("plain")["last_failure"], Value::Null);
    assert_eq!(activity("plain")["error"], "no detail");
}

#[cfg(unix)]
#[test]
fn a_held_command_failure_shows_its_detail_as_the_last_failure() {
    let engine = Engine::in_memory();
    engine.register_executor("command", CommandExecutor::new().with_kill_grace(Duration::from_millis(100)));
    let r = activated(
        &engine,
        &command_process("timeout", "echo slow >&2; sleep 30").replace("argv:", "timeout: 1, argv:"),
    );
    let e = Arc::new(engine);
    let engine = e.clone();
    bounded("a command that times out", move || e.run_until_idle(100)).unwrap();
    let state = engine.get_release(&r).unwrap();
    let run = state.activity("build", "run").unwrap();
    assert_eq!(run.status.as_str(), "on_hold");
    let view = state.view();
    let last = view.phases[0].activities[0].last_failure.unwrap();
    assert!(last.timed_out(), "{last:?}");
    assert_eq!(last.stderr_tail.as_deref(), Some("slow\n"));
    assert!(run.error.as_deref().unwrap().contains("timed out after 1s"), "{:?}", run.error);
}

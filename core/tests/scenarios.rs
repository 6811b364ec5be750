//! Runs the scenario vectors in `testdata/scenarios/*.yaml` (format: `testdata/scenarios/README.md`).

use chrono::{DateTime, Duration, Utc};
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::calendar::CalendarFilter;
use trainyard::executor::{Job, Outcome};
use trainyard::model::Duration as TyDuration;
use trainyard::release::{NewRelease, Plan, ReleaseChanges, ReleaseState, evolve};
use trainyard::schedule::{Freeze, ManualClock, ReleaseGroup};
use trainyard::store::encode_snapshot;
use trainyard::{Engine, Error, ReleaseFilter, RetentionPolicy};

#[path = "scenarios/checks.rs"]
mod checks;
#[path = "scenarios/report_check.rs"]
mod report_check;
#[path = "support/storage.rs"]
mod support;

use checks::{check, check_time};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn as_map(v: &Value) -> IndexMap<String, Value> {
    v.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A scripted executor: outputs per activity, failing attempts, or `Started`.
fn scripted(spec: Value) -> impl Fn(&Job) -> Outcome + Send + Sync {
    move |job: &Job| {
        let key = format!("{}/{}", job.phase_id, job.activity_id);
        if let Some(failures) = spec.get("failures").and_then(Value::as_array) {
            for f in failures {
                let attempt_matches = match f.get("attempt") {
                    None => true,
                    Some(Value::Array(list)) => list.iter().any(|a| a.as_u64() == Some(job.attempt as u64)),
                    Some(a) => a.as_u64() == Some(job.attempt as u64),
                };
                if str_of(f, "activity") == Some(&key) && attempt_matches {
                    return Outcome::Failure {
                        message: str_of(f, "message").unwrap_or("scripted failure").to_string(),
                        retryable: f.get("retryable").and_then(Value::as_bool).unwrap_or(true),
                    };
                }
            }
        }
        if spec.get("started").and_then(Value::as_array).is_some_and(|s| s.iter().any(|x| x.as_str() == Some(&key))) {
            return Outcome::Started;
        }
        let outputs = spec.get("outputs").and_then(|o| o.get(&key)).map(as_map).unwrap_or_default();
        Outcome::Success { outputs }
    }
}

fn time(spec: &Value, start: DateTime<Utc>) -> DateTime<Utc> {
    let text = spec.as_str().expect("a time is a string");
    match text.strip_prefix('+') {
        Some(offset) => start + Duration::seconds(TyDuration::parse(offset).expect("offset duration").as_secs() as i64),
        None => text.parse().expect("RFC 3339 time"),
    }
}

struct Run {
    engine: Engine,
    clock: ManualClock,
    start: DateTime<Utc>,
    actors: HashMap<String, Actor>,
    releases: IndexMap<String, String>,
    /// Every notification delivered so far.
    notes: Arc<std::sync::Mutex<Vec<trainyard::notify::Notification>>>,
}

impl Run {
    fn actor(&self, v: Option<&Value>) -> Actor {
        match v {
            None => self.actors["rita"].clone(),
            Some(Value::String(name)) => self.actors.get(name).cloned().unwrap_or_else(|| Actor::new(name)),
            Some(spec) => serde_json::from_value(spec.clone()).expect("actor spec"),
        }
    }

    fn create(&mut self, alias: &str, spec: &Value, actor: &Actor) -> Result<(), Error> {
        let new = NewRelease {
            name: str_of(spec, "name").unwrap_or(alias).to_string(),
            kind: str_of(spec, "kind").unwrap_or("standard").parse().unwrap(),
            scope: str_of(spec, "scope").unwrap_or("account").to_string(),
            inputs: {
                let mut inputs = spec.get("inputs").map(as_map).unwrap_or_default();
                for (input, alias) in spec.get("release_ids").map(as_map).unwrap_or_default() {
                    let alias = alias.as_str().expect("release_ids: input → release alias");
                    inputs.insert(input, Value::from(self.releases[alias].clone()));
                }
                inputs
            },
            owners: strings(spec.get("owners")),
            release_managers: strings(spec.get("release_managers")),
            stakeholders: strings(spec.get("stakeholders")),
            input_set: match str_of(spec, "input_set") {
                Some(set) => {
                    let scope = str_of(spec, "scope").unwrap_or("account");
                    Some(self.engine.input_set_for_release(scope, str_of(spec, "process").unwrap_or(""), set, None)?)
                }
                None => None,
            },
            group: None,
            parent: None,
            occurrence: None,
            metadata: Default::default(),
        };
        let r = self.engine.create_release(str_of(spec, "process").expect("release process"), new, actor)?;
        self.releases.insert(alias.to_string(), r.id);
        Ok(())
    }

    fn command(&mut self, step: &Value, release: &str) -> Result<(), Error> {
        let Some(cmd) = str_of(step, "do") else { return Ok(()) };
        let actor = self.actor(step.get("actor"));
        let with = step.get("with").cloned().unwrap_or(json!({}));
        let (phase, activity) = str_of(step, "activity").and_then(|a| a.split_once('/')).unwrap_or(("", ""));
        let reason = str_of(&with, "reason").or(str_of(&with, "comment"));
        let e = &self.engine;
        match cmd {
            "create" => {
                let alias = str_of(step, "as").expect("create needs `as`").to_string();
                return self.create(&alias, &with, &actor);
            }
            "update" => {
                let list = |k: &str| with.get(k).map(|v| strings(Some(v)));
                let changes = ReleaseChanges {
                    name: str_of(&with, "name").map(String::from),
                    inputs: with.get("inputs").map(as_map),
                    owners: list("owners"),
                    release_managers: list("release_managers"),
                    stakeholders: list("stakeholders"),
                    process: str_of(&with, "process").map(String::from),
                    version: with.get("process_version").and_then(Value::as_u64).map(|v| v as u32),
                    kind: str_of(&with, "kind").map(|k| k.parse()).transpose()?,
                    scope: str_of(&with, "scope").map(String::from),
                    start: with.get("start").map(|t| time(t, self.start)),
                    end: with.get("end").map(|t| time(t, self.start)),
                    metadata: Default::default(),
                };
                e.update_release(release, &actor, changes, reason)
            }
            "schedule" => e.schedule(
                release,
                &actor,
                time(&with["start"], self.start),
                with.get("end").map(|t| time(t, self.start)),
                with.get("auto_start").and_then(Value::as_bool).unwrap_or(true),
            ),
            "activate" if with.get("force").and_then(Value::as_bool) == Some(true) => {
                e.activate_forced(release, &actor)
            }
            "activate" => e.activate(release, &actor),
            "pause" => e.pause(release, &actor),
            "resume" => e.resume(release, &actor),
            "abort" => e.abort(release, &actor, reason.unwrap_or("")),
            "restart" => e.restart(release, &actor),
            "archive" => e.archive(release, &actor),
            "delete" => e.delete_release(release, &actor),
            "approve" => e.approve(release, phase, activity, &actor, reason),
            "reject" => e.reject(release, phase, activity, &actor, reason),
            "complete_manual" => {
                e.complete_manual(release, phase, activity, &actor, with.get("values").map(as_map).unwrap_or_default())
            }
            "retry" => e.retry(release, phase, activity, &actor, with.get("inputs").map(as_map), reason),
            "ignore" => {
                e.ignore(release, phase, activity, &actor, with.get("outputs").map(as_map).unwrap_or_default(), reason)
            }
            "fail" => e.fail(release, phase, activity, &actor, reason),
            "skip" => e.skip(release, phase, activity, &actor, reason.unwrap_or("")),
            "complete_job" => {
                let state = e.get_release(release)?;
                let job = state.activity(phase, activity).and_then(|a| a.job_id.clone()).expect("activity has a job");
                let outcome = match str_of(&with, "error") {
                    Some(msg) => Outcome::Failure {
                        message: msg.into(),
                        retryable: with.get("retryable").and_then(Value::as_bool).unwrap_or(true),
                    },
                    None => Outcome::Success { outputs: with.get("outputs").map(as_map).unwrap_or_default() },
                };
                return e.complete_job(&job, outcome);
            }
            "create_release_group" => {
                e.create_release_group(ReleaseGroup::from_value(&with)?, &actor).map(|_| ())?;
                return Ok(());
            }
            "update_release_group" => {
                e.update_release_group(ReleaseGroup::from_value(&with)?, &actor).map(|_| ())?;
                return Ok(());
            }
            "delete_release_group" => {
                e.delete_release_group(str_of(&with, "id").unwrap_or(""), &actor)?;
                return Ok(());
            }
            "pause_release_group" => {
                return e.pause_release_group(str_of(&with, "id").unwrap_or(""), &actor, str_of(&with, "reason"));
            }
            "resume_release_group" => {
                return e.resume_release_group(str_of(&with, "id").unwrap_or(""), &actor, str_of(&with, "reason"));
            }
            "trigger_release_group" => {
                let force = with.get("force").and_then(Value::as_bool).unwrap_or(false);
                e.trigger_release_group(str_of(&with, "id").unwrap_or(""), &actor, force)?;
                return Ok(());
            }
            "add_freeze" => {
                e.add_freeze(Freeze::from_value(&with)?, &actor)?;
                return Ok(());
            }
            "delete_freeze" => return e.delete_freeze(str_of(&with, "id").unwrap_or(""), &actor),
            "rewind" | "insert_activity" | "reassign" | "delegate" | "reschedule_phase" => {
                return self.amend(cmd, release, (phase, activity), &with, &actor);
            }
            other => panic!("unknown scenario command `{other}`"),
        }
        .map(|_| ())
    }
}

impl Run {
    /// The amendments: `with` holds `reason`, `dry_run` and the command's own arguments
    /// (`phase`, `activity`, `inputs` for rewind; `phase`, `definition`, `after` for
    /// insert_activity; `approvers` or `from`/`to` with the step's `activity`; `phase`,
    /// `not_before` for reschedule_phase).
    fn amend(
        &self,
        cmd: &str,
        release: &str,
        target: (&str, &str),
        with: &Value,
        actor: &Actor,
    ) -> trainyard::Result<()> {
        let reason = str_of(with, "reason").unwrap_or("");
        let how = if with.get("dry_run").and_then(Value::as_bool) == Some(true) {
            trainyard::Amend::because(reason).dry_run()
        } else {
            trainyard::Amend::because(reason)
        };
        let e = &self.engine;
        let phase = str_of(with, "phase").unwrap_or("");
        let act = trainyard::release::ActivityRef::new(target.0, target.1);
        match cmd {
            "rewind" => {
                let to = match str_of(with, "activity") {
                    Some(a) => {
                        trainyard::release::RewindTarget::Activity(trainyard::release::ActivityRef::new(phase, a))
                    }
                    None => trainyard::release::RewindTarget::Phase { phase: phase.to_string() },
                };
                e.rewind(release, actor, to, with.get("inputs").map(as_map), how)
            }
            "insert_activity" => e.insert_activity(
                release,
                actor,
                phase,
                with.get("definition").cloned().unwrap_or(Value::Null),
                str_of(with, "after"),
                how,
            ),
            "reassign" => {
                let approvers = serde_json::from_value(with.get("approvers").cloned().unwrap_or(json!([])))
                    .expect("approvers are { user } or { group } entries");
                e.reassign(release, actor, act, approvers, how)
            }
            "delegate" => e.delegate(
                release,
                actor,
                act,
                str_of(with, "from").unwrap_or(""),
                str_of(with, "to").unwrap_or(""),
                how,
            ),
            _ => e.reschedule_phase(release, actor, phase, time(&with["not_before"], self.start), how),
        }
        .map(|_| ())
    }
}

/// The live releases of a release group, by planned start.
fn group_releases(engine: &Engine, group: &str) -> Vec<String> {
    let filter = ReleaseFilter { group: Some(group.to_string()), include_archived: true, ..Default::default() };
    let mut releases = engine.list_releases(&filter).expect("releases of a group");
    releases.sort_by_key(|r| (r.schedule.as_ref().map(|s| s.start), r.created_at));
    releases.into_iter().map(|r| r.id).collect()
}

/// Makes the engine a scenario runs on, over a fresh store, on the scenario's clock.
type EngineFactory<'a> = &'a dyn Fn(Arc<ManualClock>) -> Engine;

fn run_scenario(path: &Path, make: EngineFactory<'_>) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let spec: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start: DateTime<Utc> = str_of(&spec, "clock").unwrap_or("2025-04-07T09:00:00Z").parse().unwrap();
    let clock = ManualClock::new(start);
    let engine = make(Arc::new(clock.clone()));
    for p in spec.get("processes").and_then(Value::as_array).cloned().unwrap_or_default() {
        let result = match str_of(&p, "file") {
            Some(f) => engine.register_process(&std::fs::read_to_string(root().join(f)).unwrap()),
            None => engine.register_process_value(p.clone()),
        };
        result.unwrap_or_else(|e| panic!("{}: process: {e}", path.display()));
    }
    for (name, exec) in spec.get("executors").map(as_map).unwrap_or_default() {
        engine.register_executor(&name, scripted(exec));
    }
    let mut actors = HashMap::new();
    actors.insert("rita".to_string(), Actor::new("rita").with_roles(["account_release_manager"]));
    for (name, a) in spec.get("actors").map(as_map).unwrap_or_default() {
        let mut actor: Actor = serde_json::from_value(json!({ "id": name })).unwrap();
        if let Some(g) = a.get("groups") {
            actor.groups = serde_json::from_value(g.clone()).unwrap();
        }
        if let Some(r) = a.get("roles") {
            actor.roles = serde_json::from_value(r.clone()).unwrap();
        }
        actors.insert(name, actor);
    }
    if let Some(h) = str_of(&spec, "horizon") {
        engine.set_horizon(Duration::seconds(TyDuration::parse(h).expect("horizon duration").as_secs() as i64));
    }
    if let Some(r) = spec.get("retention") {
        let mut policy = RetentionPolicy::default();
        if let Some(after) = str_of(r, "archive_after") {
            policy.archive_after = Duration::seconds(TyDuration::parse(after).expect("archive_after").as_secs() as i64);
        }
        if let Some(auto) = r.get("automatic").and_then(Value::as_bool) {
            policy.automatic = auto;
        }
        engine.set_retention(policy);
    }
    let notes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = notes.clone();
    engine.subscribe(move |n: &trainyard::notify::Notification| {
        sink.lock().unwrap().push(n.clone());
        Ok(())
    });
    let mut run = Run { engine, clock, start, actors, releases: IndexMap::new(), notes };
    let rita = run.actors["rita"].clone();
    for set in spec.get("input_sets").and_then(Value::as_array).cloned().unwrap_or_default() {
        let (process, name) = (str_of(&set, "process").unwrap_or(""), str_of(&set, "name").unwrap_or(""));
        run.engine
            .save_input_set(process, name, set.get("values").map(as_map).unwrap_or_default(), &rita)
            .unwrap_or_else(|e| panic!("{}: input set {name}: {e}", path.display()));
    }
    for (alias, r) in spec.get("releases").map(as_map).unwrap_or_default() {
        run.create(&alias, &r, &rita).unwrap_or_else(|e| panic!("{}: release {alias}: {e}", path.display()));
    }
    let mut failures = Vec::new();
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    for (i, step) in spec.get("steps").and_then(Value::as_array).cloned().unwrap_or_default().iter().enumerate() {
        let ctx = format!("{} step {}", path.file_name().unwrap().to_string_lossy(), i + 1);
        if let Some(by) = str_of(step, "advance") {
            run.clock.advance(Duration::seconds(TyDuration::parse(by).expect("advance duration").as_secs() as i64));
            if let Err(e) = run.engine.run_until_idle(100_000) {
                failures.push(format!("{ctx}: driving the engine failed: {e}"));
            }
        }
        let mut alias = str_of(step, "release")
            .map(String::from)
            .unwrap_or_else(|| run.releases.keys().next().cloned().unwrap_or_default());
        // `child: phase/activity` points the step (command and expectations) at the current child
        // release of that subprocess activity.
        if let (Some(child), Some(parent)) = (str_of(step, "child"), run.releases.get(&alias).cloned()) {
            let (p, a) = child.split_once('/').expect("child: phase/activity");
            let child_id =
                run.engine.get_release(&parent).ok().and_then(|s| s.activity(p, a).and_then(|x| x.child_id.clone()));
            match child_id {
                Some(id) => {
                    let child_alias = format!("{alias}>{child}");
                    run.releases.insert(child_alias.clone(), id);
                    alias = child_alias;
                }
                None => {
                    failures.push(format!("{ctx}: {child} of {alias} has no child release"));
                    continue;
                }
            }
        }
        let release_before = run.releases.get(&alias).cloned();
        let before = release_before.as_ref().map(|id| run.engine.history(id).map(|h| h.len()).unwrap_or(0));
        let result = run.command(step, release_before.as_deref().unwrap_or(""));
        match (result, str_of(step, "error")) {
            (Ok(()), Some(code)) => failures.push(format!("{ctx}: expected a `{code}` error, the command succeeded")),
            (Err(e), None) => failures.push(format!("{ctx}: unexpected error: {e}")),
            (Err(e), Some(code)) => {
                if e.code() != code {
                    failures.push(format!("{ctx}: error `{}` ({e}), expected `{code}`", e.code()));
                }
                if let (Some(id), Some(n)) = (&release_before, before) {
                    let after = run.engine.history(id).map(|h| h.len()).unwrap_or(0);
                    if after != n {
                        failures.push(format!("{ctx}: a refused command wrote {} event(s)", after - n));
                    }
                }
            }
            (Ok(()), None) => {}
        }
        if let Err(e) = run.engine.run_until_idle(100_000) {
            failures.push(format!("{ctx}: driving the engine failed: {e}"));
        }
        // `bind: { alias: "group#n" }`: the n-th release (by planned start) of a release group.
        for (name, target) in step.get("bind").map(as_map).unwrap_or_default() {
            let (group, n) = target.as_str().and_then(|t| t.rsplit_once('#')).expect("bind: \"<group>#<n>\"");
            match group_releases(&run.engine, group).get(n.parse::<usize>().expect("bind: n").saturating_sub(1)) {
                Some(id) => {
                    run.releases.insert(name, id.clone());
                }
                None => failures.push(format!("{ctx}: release group {group} has no release #{n}")),
            }
        }
        if let Some(expect) = step.get("expect") {
            failures.extend(check_time(&run, expect, &ctx));
        }
        let Some(id) = run.releases.get(&alias).cloned() else { continue };
        let since = *seen.get(&id).unwrap_or(&(0, 0));
        if let Some(expect) = step.get("expect") {
            failures.extend(check(&run, &id, expect, since, &ctx));
        }
        // `events` and `notified` expectations look at what happened to this release since it was
        // last checked.
        if step.get("expect").is_some() {
            let len = run.engine.history(&id).map(|h| h.len()).unwrap_or(0);
            seen.insert(id.clone(), (len, run.notes.lock().unwrap().len()));
        }
    }
    if let Ok(dir) = std::env::var("TRAINYARD_WRITE_EVENT_LOGS") {
        write_event_log_fixture(&run.engine, path, Path::new(&dir));
    }
    failures
}

/// Writes the processes and every release's events and replayed state of a finished scenario to
/// `<dir>/<scenario>.json`: the event-log fixtures that `event_log_fixtures.rs` replays, so that the
/// stored event format and the fold over it stay what they were when the fixture was written.
fn write_event_log_fixture(engine: &Engine, scenario: &Path, dir: &Path) {
    let store = engine.store();
    let mut processes = Vec::new();
    for (id, latest) in store.list_processes().unwrap() {
        for v in 1..=latest {
            let (_, p) = store.get_process(&id, Some(v)).unwrap().unwrap();
            processes.push(json!({ "id": id, "version": v, "definition": serde_json::to_value(&p).unwrap() }));
        }
    }
    let mut releases = Vec::new();
    for row in store.releases().unwrap() {
        let events = store.events(&row.id, 0).unwrap();
        let (_, process) = store.get_process(&row.process_id, Some(row.process_version)).unwrap().unwrap();
        let mut state = ReleaseState::new(&row.id, Plan::new(Arc::new(process), row.process_version));
        for e in &events {
            evolve(&mut state, e);
        }
        let state = encode_snapshot(&state).unwrap();
        releases.push(json!({
            "id": row.id, "process_id": row.process_id, "process_version": row.process_version,
            "events": events, "state": state,
        }));
    }
    let name = scenario.file_stem().unwrap().to_string_lossy().to_string();
    std::fs::create_dir_all(dir).unwrap();
    let doc = json!({ "scenario": name, "processes": processes, "releases": releases });
    std::fs::write(dir.join(format!("{name}.json")), serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = root().join("testdata/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "at least 20 scenarios are expected, found {}", files.len());
    files
}

fn run_all(backend: &str, make: EngineFactory<'_>) {
    let failures: Vec<String> = scenario_files().iter().flat_map(|f| run_scenario(f, make)).collect();
    assert!(failures.is_empty(), "{backend}: {} scenario check(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn scenario_vectors() {
    run_all("memory", &|clock| Engine::in_memory_with_clock(clock));
}

/// The same vectors on SQLite (a fresh file per scenario).
#[test]
fn scenario_vectors_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    run_all("sqlite", &|clock| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let url = format!("sqlite://{}", dir.path().join(format!("scenario-{i}.db")).display());
        Engine::open_with(&url, clock).unwrap()
    });
}

/// The same vectors on PostgreSQL (a fresh schema per scenario, dropped afterwards).
#[cfg(feature = "postgres")]
#[test]
fn scenario_vectors_postgres() {
    let Some(base) = support::postgres_url() else { return };
    let schemas = std::sync::Mutex::new(Vec::new());
    run_all("postgres", &|clock| {
        let fresh = support::Fresh::new(&base, "scenario");
        let engine = Engine::new(fresh.dyn_store(), clock);
        schemas.lock().unwrap().push(fresh);
        engine
    });
}

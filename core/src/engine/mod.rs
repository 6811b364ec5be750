//! The [`Engine`]: ties a [`Store`], executors and a [`Clock`] together; the public façade.
//!
//! Every command goes the same way: load the release's state (cached, or folded from its events),
//! check that what it names exists, authorize it, [`crate::release::step`] it (decide, apply,
//! advance: the events and their effects), append the events with the jobs they queue and end,
//! atomically with the expected sequence (on a `conflict` the command is decided again against the
//! fresh state, a bounded number of times), then carry the effects out (executors asked to cancel,
//! notifications, child releases, the parent report). In-process executors and external workers
//! both claim jobs from the store with leases, so several engines on one shared store split the
//! work (each job runs once per attempt).
//!
//! # Storage and several engines
//! [`Engine::open`] picks the store from a URL (`memory://`, `sqlite://…`, `postgres://…`). The
//! engine caches release states; a cached state is checked against the store's sequence before it
//! is served, and an append that conflicts drops it, so a release changed by another engine (or
//! process) is reloaded, from its latest snapshot plus the events after it.
//!
//! ```
//! use trainyard::{Engine, access::Actor, executor::Outcome, release::NewRelease};
//! let engine = Engine::in_memory();
//! engine.register_executor("build", |_job: &trainyard::executor::Job| Outcome::with_outputs([("artifact", "app-1.2.3.tgz")]));
//! engine.register_process("id: app\nphases:\n  - id: build\n    activities:\n      - { id: compile, kind: automated, executor: build, outputs: [artifact] }\n").unwrap();
//! let rita = Actor::new("rita").with_roles(["account_release_manager"]);
//! let release = engine.create_release("app", NewRelease { name: "App 1.2.3".into(), ..Default::default() }, &rita).unwrap();
//! engine.activate(&release.id, &rita).unwrap();
//! engine.run_until_idle(100).unwrap();
//! let r = engine.get_release(&release.id).unwrap();
//! assert_eq!(r.status.as_str(), "success");
//! assert_eq!(r.activity("build", "compile").unwrap().outputs["artifact"], "app-1.2.3.tgz");
//! ```

mod amend;
mod apply;
mod authz;
mod calendar;
mod catalog;
mod commands;
mod doctor;
mod drive;
mod effects;
mod feed;
mod freezes;
mod gates;
mod group_starts;
mod groups;
mod inbox;
mod input_sets;
mod ledger;
mod locks;
mod metrics;
mod open;
mod report;
mod retention;
mod risk;
mod search;
mod subprocess;
mod workers;

pub use amend::Amend;
pub use groups::GroupChanges;
pub use input_sets::InputSet;

pub use doctor::{DoctorFinding, DoctorProblem, DoctorReport, RepairReport};
pub use drive::ReleaseFilter;
pub use feed::{Watch, Watcher};
pub use report::ReportOptions;
pub use retention::RetentionPolicy;
pub use risk::RISK_HISTORY_TTL;
pub use search::SearchPage;

use crate::access::Actor;
use crate::executor::Executor;
use crate::model::Process;
use crate::release::{Plan, ReleaseState};
use crate::schedule::{Clock, SystemClock};
use crate::store::{MemoryStore, Store};
use crate::validate::ProcessCatalog;
use crate::{Error, Problem, Result};
use hashbrown::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// A registered process version.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInfo {
    /// Process id.
    pub id: String,
    /// Version (1, 2, …): a new one only when the definition changed.
    pub version: u32,
    /// Validation warnings.
    pub warnings: Vec<Problem>,
}

/// The release-orchestration engine. `Send + Sync`: share it between threads behind an `Arc`.
pub struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    executors: RwLock<HashMap<String, Arc<dyn Executor>>>,
    cache: Mutex<HashMap<String, Arc<ReleaseState>>>,
    /// Plans by process id, then version.
    plans: Mutex<HashMap<String, HashMap<u32, Arc<Plan>>>>,
    /// The scope of each process seen (fixed once registered; see `catalog`).
    process_scopes: Mutex<HashMap<String, String>>,
    settings: RwLock<Settings>,
    worker_id: String,
    dispatcher: crate::notify::Dispatcher,
    secrets: RwLock<Option<Arc<dyn crate::secrets::SecretResolver>>>,
    /// The exact secret values handed out with each job lease, until its outcome is recorded.
    handed: crate::secrets::HandedOut,
    calendar_index: Mutex<Option<crate::calendar::CalendarIndex>>,
    /// Freeze windows read from the store (refreshed every second, and after a local change).
    freeze_cache: Mutex<Option<freezes::FreezeCache>>,
    /// Per release group: how far its occurrences are materialised (skips the work on most ticks).
    group_marks: Mutex<HashMap<String, groups::GroupMark>>,
    /// The engine-time day retention last ran automatically ([`Engine::tick`]).
    retention_day: Mutex<Option<chrono::NaiveDate>>,
    /// How far this engine has followed the change feed (`None`: not yet started).
    feed_seen: Mutex<Option<crate::feed::Cursor>>,
    /// The sinks (and durable subscribers) this engine delivers the feed to.
    sinks: RwLock<Vec<Arc<crate::feed::runner::SinkRunner>>>,
    /// Counters and histograms ([`Engine::metrics`]).
    metrics: crate::metrics::Metrics,
    /// Per process: the phase history the risk assessment reads (see `risk`).
    risk_histories: Mutex<HashMap<String, risk::CachedHistory>>,
    /// The store's gate watches as this engine knows them (`None`: not read yet; see `gates`).
    gate_index: Mutex<Option<gates::GateIndex>>,
}

/// Tunables of an engine (see the setters on [`Engine`]).
#[derive(Debug, Clone)]
struct Settings {
    /// How long an in-process executor holds a job's lease (and an external worker's default).
    job_lease: chrono::Duration,
    /// How long a claimed due timer is held before another engine may fire it.
    timer_lease: chrono::Duration,
    /// Events between snapshots (`None`: the store's default).
    snapshot_every: Option<u64>,
    /// Retention ([`RetentionPolicy`]).
    retention: RetentionPolicy,
    /// One release level per installation ([`crate::access::ReleaseLevel`]).
    release_level: crate::access::ReleaseLevel,
    /// How far ahead release groups materialise releases.
    horizon: chrono::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            job_lease: chrono::Duration::minutes(5),
            timer_lease: chrono::Duration::seconds(60),
            snapshot_every: None,
            retention: RetentionPolicy::default(),
            release_level: crate::access::ReleaseLevel::default(),
            horizon: chrono::Duration::days(90),
        }
    }
}

/// How many times a command is decided again after a `conflict` before giving up.
pub const MAX_CONFLICT_RETRIES: usize = 8;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Engine {
    /// An engine over `store` with `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Engine {
            store,
            clock,
            executors: RwLock::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            plans: Mutex::new(HashMap::new()),
            process_scopes: Mutex::new(HashMap::new()),
            settings: RwLock::new(Settings::default()),
            worker_id: format!("engine-{}", uuid::Uuid::now_v7().simple()),
            dispatcher: crate::notify::Dispatcher::new(),
            secrets: RwLock::new(None),
            handed: crate::secrets::HandedOut::default(),
            calendar_index: Mutex::new(None),
            freeze_cache: Mutex::new(None),
            group_marks: Mutex::new(HashMap::new()),
            retention_day: Mutex::new(None),
            feed_seen: Mutex::new(None),
            gate_index: Mutex::new(None),
            sinks: RwLock::new(Vec::new()),
            metrics: crate::metrics::Metrics::default(),
            risk_histories: Mutex::new(HashMap::new()),
        }
    }

    /// One release level per installation ([`crate::access::ReleaseLevel`]): with `Account` (the default), org-scoped
    /// releases are refused, and the other way round.
    pub fn set_release_level(&self, level: crate::access::ReleaseLevel) {
        self.update_settings(|s| s.release_level = level);
    }

    /// The installation's release level.
    pub fn release_level(&self) -> crate::access::ReleaseLevel {
        self.settings().release_level
    }

    /// How far ahead release groups materialise scheduled releases (default 90 days).
    pub fn set_horizon(&self, horizon: chrono::Duration) {
        self.update_settings(|s| s.horizon = horizon);
    }

    /// How far ahead release groups materialise scheduled releases.
    pub fn horizon(&self) -> chrono::Duration {
        self.settings().horizon
    }

    /// Adds a subscriber: it receives every notification ([`crate::notify`]) after the commit that caused
    /// it. A subscriber's error or panic is logged and counted ([`Engine::notification_failures`]),
    /// never returned to the command.
    pub fn subscribe(&self, subscriber: impl crate::notify::Subscriber + 'static) {
        self.dispatcher.subscribe(subscriber);
    }

    /// How many notification deliveries failed so far.
    pub fn notification_failures(&self) -> u64 {
        self.dispatcher.failures()
    }

    /// Where `secret://name` references are resolved when a job is handed to an executor (in
    /// process or to an external worker). Without a resolver, a job that needs a secret fails with
    /// a message naming the secret.
    pub fn set_secret_resolver(&self, resolver: impl crate::secrets::SecretResolver + 'static) {
        *self.secrets.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(resolver));
    }

    fn settings(&self) -> Settings {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn update_settings(&self, f: impl FnOnce(&mut Settings)) {
        f(&mut self.settings.write().unwrap_or_else(|e| e.into_inner()));
    }

    /// This engine's worker id: the lease holder of the jobs its in-process executors run.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// Sets how long a claimed job is leased (in-process executors, and the default of
    /// [`Engine::heartbeat`]). Default 5 minutes.
    pub fn set_job_lease(&self, lease: chrono::Duration) {
        self.update_settings(|s| s.job_lease = lease);
    }

    /// Sets how long a due timer claimed by this engine is kept from other engines. Default 60 s.
    pub fn set_timer_lease(&self, lease: chrono::Duration) {
        self.update_settings(|s| s.timer_lease = lease);
    }

    /// Sets how many events may pass between snapshots of a release (0 = never; default: the
    /// store's [`Store::snapshot_every`]). A release with more activities than this snapshots once
    /// per as many events as it has activities, so the cost per event stays flat.
    pub fn set_snapshot_every(&self, events: u64) {
        self.update_settings(|s| s.snapshot_every = Some(events));
    }

    /// An in-memory engine on the system clock.
    pub fn in_memory() -> Self {
        Engine::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock))
    }

    /// An in-memory engine on the given clock (e.g. a [`crate::schedule::ManualClock`]).
    pub fn in_memory_with_clock(clock: Arc<dyn Clock>) -> Self {
        Engine::new(Arc::new(MemoryStore::new()), clock)
    }

    /// The engine's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The engine's store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Registers an in-process executor under `name` (replacing one of the same name).
    pub fn register_executor(&self, name: &str, executor: impl Executor + 'static) {
        self.executors.write().unwrap_or_else(|e| e.into_inner()).insert(name.to_string(), Arc::new(executor));
    }

    pub(crate) fn executor(&self, name: &str) -> Option<Arc<dyn Executor>> {
        self.executors.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
    }

    /// The names of the registered in-process executors.
    pub fn executor_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.executors.read().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
        names.sort();
        names
    }

    /// Validates and registers a process definition (YAML or JSON text). Registering a changed
    /// definition creates version n+1; registering the same one again returns its version.
    /// The embedding application registers as the engine (`system`): a new process goes to the
    /// `account` scope, a known one keeps its scope. To register on behalf of a person (checked
    /// against the access matrix, in a chosen scope), use [`Engine::register_process_as`].
    pub fn register_process(&self, text: &str) -> Result<ProcessInfo> {
        self.register_process_as(text, None, &Actor::system())
    }

    /// Validates and registers a process definition given as a document (a dict, a JS object), as
    /// [`Engine::register_process`] does.
    pub fn register_process_value(&self, document: serde_json::Value) -> Result<ProcessInfo> {
        self.register_process_value_as(document, None, &Actor::system())
    }

    fn store_process(&self, loaded: crate::LoadedProcess) -> Result<ProcessInfo> {
        let version = self.store.put_process(&loaded.process)?;
        tracing::info!(process = %loaded.process.id, version, "process registered");
        Ok(ProcessInfo { id: loaded.process.id, version, warnings: loaded.warnings })
    }

    /// A registered process (latest version when `version` is `None`).
    pub fn get_process(&self, id: &str, version: Option<u32>) -> Result<Process> {
        self.process_version(id, version).map(|(_, p)| p)
    }

    fn process_version(&self, id: &str, version: Option<u32>) -> Result<(u32, Process)> {
        self.store.get_process(id, version)?.ok_or_else(|| {
            let known: Vec<String> = self
                .store
                .list_processes()
                .unwrap_or_default()
                .into_iter()
                .map(|(id, v)| format!("{id} (v{v})"))
                .collect();
            let what = match version {
                Some(v) => format!("{id} version {v}"),
                None => id.to_string(),
            };
            Error::NotFound {
                kind: "process".into(),
                id: what,
                hint: Some(if known.is_empty() {
                    "no process is registered yet".into()
                } else {
                    format!("registered: {}", known.join(", "))
                }),
            }
        })
    }

    /// Every registered process id with its latest version.
    pub fn list_processes(&self) -> Result<Vec<(String, u32)>> {
        self.store.list_processes()
    }

    /// The execution plan of a process version (built once, then shared).
    pub(crate) fn plan(&self, id: &str, version: Option<u32>) -> Result<Arc<Plan>> {
        // The latest version is looked up without reading (and copying) the definition.
        let version = match version {
            Some(v) => Some(v),
            None => self.store.latest_process_version(id)?,
        };
        if let Some(v) = version {
            if let Some(plan) = lock(&self.plans).get(id).and_then(|versions| versions.get(&v)) {
                return Ok(plan.clone());
            }
        }
        let (v, process) = self.process_version(id, version)?;
        let mut plans = lock(&self.plans);
        let versions = plans.entry_ref(id).or_default();
        Ok(versions.entry(v).or_insert_with(|| Plan::new(Arc::new(process), v)).clone())
    }
}

impl ProcessCatalog for Engine {
    fn lookup(&self, id: &str, version: Option<u32>) -> Option<Process> {
        self.store.get_process(id, version).ok().flatten().map(|(_, p)| p)
    }
}

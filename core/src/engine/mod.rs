//! The [`Engine`]: ties a [`Store`], executors and a [`Clock`] together; the public façade.
//!
//! Every command goes the same way: load the release's state (cached, or folded from its events),
//! `decide` against it, `evolve` the events, let the release advance (start what became ready),
//! append everything atomically with the expected sequence (on a `conflict` the command is decided
//! again against the fresh state, a bounded number of times), then run the effects: queue jobs for
//! in-process executors, cancel aborted ones.
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

mod apply;
mod commands;
mod drive;

pub use drive::ReleaseFilter;

use crate::executor::{Executor, Job};
use crate::model::Process;
use crate::release::{Plan, ReleaseState};
use crate::schedule::{Clock, SystemClock};
use crate::store::{MemoryStore, Store};
use crate::validate::ProcessCatalog;
use crate::{Error, Problem, Result};
use std::collections::{HashMap, VecDeque};
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
    cache: Mutex<HashMap<String, ReleaseState>>,
    plans: Mutex<HashMap<(String, u32), Arc<Plan>>>,
    jobs: Mutex<VecDeque<Job>>,
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
            jobs: Mutex::new(VecDeque::new()),
        }
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

    /// Validates and registers a process definition (YAML or JSON text). Registering a changed
    /// definition creates version n+1; registering the same one again returns its version.
    pub fn register_process(&self, text: &str) -> Result<ProcessInfo> {
        let loaded = crate::load_process_with(text, Some(self))?;
        self.store_process(loaded)
    }

    /// Validates and registers a process definition given as a document (a dict, a JS object).
    pub fn register_process_value(&self, document: serde_json::Value) -> Result<ProcessInfo> {
        let loaded = crate::load_process_value(document, Some(self))?;
        self.store_process(loaded)
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
        if let Some(v) = version {
            if let Some(plan) = lock(&self.plans).get(&(id.to_string(), v)) {
                return Ok(plan.clone());
            }
        }
        let (v, process) = self.process_version(id, version)?;
        let mut plans = lock(&self.plans);
        Ok(plans.entry((id.to_string(), v)).or_insert_with(|| Plan::new(Arc::new(process), v)).clone())
    }
}

impl ProcessCatalog for Engine {
    fn lookup(&self, id: &str, version: Option<u32>) -> Option<Process> {
        self.store.get_process(id, version).ok().flatten().map(|(_, p)| p)
    }
}

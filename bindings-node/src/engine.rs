//! The `Engine` class: the core [`trainyard::Engine`] behind an `Arc`, its executor functions and
//! the dispatcher that lets worker threads call them. Every method converts its arguments, calls
//! the core and converts the result or the error; no lifecycle logic lives here.

use crate::clock::ManualClock;
use crate::errors;
use crate::executors::{self, Dispatcher, JsExecutor, JsThread};
use crate::objects::{self, Event, ProcessInfo, ProcessSummary, Release};
use crate::options::{
    self, ActorOptions, ApprovalOptions, CompleteJobOptions, CompleteManualOptions, CreateReleaseOptions, FailOptions,
    IgnoreOptions, ReasonOptions, ReleaseFilter, RetryOptions, ScheduleOptions, UpdateReleaseOptions,
};
use crate::tasks::{GetReleaseTask, ListReleasesTask, OpenTask, TickTask};
use napi::bindgen_prelude::{AsyncTask, ClassInstance, FromNapiValue, Function, JavaScriptClassExt, Object, Unknown};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use trainyard::release::NewRelease;

/// How many steps `runUntilIdle()` takes at most when not told.
pub const DEFAULT_MAX_STEPS: u32 = 100_000;

/// What `Engine.inMemory` and `Engine.open` were given, read from the JS options object.
pub struct EngineConfig {
    pub clock: Option<trainyard::schedule::ManualClock>,
}

/// Reads `{ clock?, releaseLevel? }`.
pub fn config(env: &Env, options: Option<Object>) -> napi::Result<EngineConfig> {
    let Some(options) = options else { return Ok(EngineConfig { clock: None }) };
    let clock = match options.get::<Unknown>("clock")? {
        Some(value) if !matches!(value.get_type()?, ValueType::Undefined | ValueType::Null) => {
            if !ManualClock::instance_of(env, &value)? {
                return Err(napi::Error::new(
                    napi::Status::InvalidArg,
                    "options.clock must be a ManualClock (new ManualClock(start))".to_string(),
                ));
            }
            // SAFETY: checked above that the value is a ManualClock instance of this env.
            let instance = unsafe { ClassInstance::<ManualClock>::from_napi_value(env.raw(), value.raw())? };
            Some(instance.inner.clone())
        }
        _ => None,
    };
    if let Some(level) = options.get::<String>("releaseLevel")? {
        if level != "account" {
            let problem = trainyard::Problem::new(
                "release_level",
                "invalid_value",
                format!(
                    "release level `{level}` is not available in this build: the core has no release-level \
                     setting yet; only `account` is accepted"
                ),
            );
            return Err(errors::to_js(env, &trainyard::Error::InvalidInput { problems: vec![problem] }));
        }
    }
    Ok(EngineConfig { clock })
}

/// Builds a core engine for a storage URL. Only `memory://` exists in this build.
pub fn open_core(url: &str, config: EngineConfig) -> trainyard::Result<trainyard::Engine> {
    let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
    match scheme {
        "memory" => Ok(match config.clock {
            Some(clock) => trainyard::Engine::in_memory_with_clock(Arc::new(clock)),
            None => trainyard::Engine::in_memory(),
        }),
        "sqlite" | "postgres" | "postgresql" => Err(trainyard::Error::Storage {
            message: format!("the `{scheme}` backend is not available in this build; use `memory://`"),
        }),
        _ => Err(trainyard::Error::Storage {
            message: format!(
                "`{}` is not a storage URL this build knows; use `memory://` (later `sqlite://path` or `postgres://…`)",
                url.split('@').next_back().unwrap_or(url)
            ),
        }),
    }
}

/// The release-orchestration engine: processes, releases, executors, timers.
///
/// Synchronous methods run on the JS thread; the `…Async` ones run the core on a worker thread and
/// return Promises (executor functions still run on the JS thread).
#[napi]
pub struct Engine {
    pub(crate) inner: Arc<trainyard::Engine>,
    dispatcher: Arc<Dispatcher>,
    /// Executor name → key of its function in the JS thread's table.
    pub(crate) executors: HashMap<String, u64>,
}

impl Drop for Engine {
    fn drop(&mut self) {
        for key in self.executors.values() {
            executors::forget(*key);
        }
    }
}

fn events(list: Vec<trainyard::release::Event>) -> Vec<Event> {
    list.iter().map(Event::from).collect()
}

impl Engine {
    /// Wraps a core engine (on the JS thread).
    pub fn wrap(env: &Env, inner: trainyard::Engine) -> napi::Result<Self> {
        Ok(Engine {
            inner: Arc::new(inner),
            dispatcher: Arc::new(executors::dispatcher(env)?),
            executors: HashMap::new(),
        })
    }

    fn actor(options: &options::Actor) -> trainyard::access::Actor {
        options.into()
    }

    fn command(
        &self,
        env: &Env,
        run: impl FnOnce(&trainyard::Engine) -> trainyard::Result<Vec<trainyard::release::Event>>,
    ) -> napi::Result<Vec<Event>> {
        let _js = JsThread::enter(env);
        errors::map(env, run(&self.inner)).map(events)
    }
}

#[napi]
impl Engine {
    /// An engine with in-memory storage: `Engine.inMemory({ clock?, releaseLevel? })`.
    #[napi(factory, catch_unwind, ts_args_type = "options?: EngineOptions")]
    pub fn in_memory(env: Env, options: Option<Object>) -> napi::Result<Self> {
        let config = config(&env, options)?;
        let core = errors::map(&env, open_core("memory://", config))?;
        Engine::wrap(&env, core)
    }

    /// An engine on the storage the URL names (`memory://`; `sqlite://…` and `postgres://…` throw
    /// code `storage` until those backends land).
    #[napi(factory, catch_unwind, ts_args_type = "url: string, options?: EngineOptions")]
    pub fn open(env: Env, url: String, options: Option<Object>) -> napi::Result<Self> {
        let config = config(&env, options)?;
        let core = errors::map(&env, open_core(&url, config))?;
        Engine::wrap(&env, core)
    }

    /// `Engine.open` off the JS thread: resolves to the engine.
    #[napi(catch_unwind, ts_args_type = "url: string, options?: EngineOptions", ts_return_type = "Promise<Engine>")]
    pub fn open_async(env: Env, url: String, options: Option<Object>) -> napi::Result<AsyncTask<OpenTask>> {
        let config = config(&env, options)?;
        Ok(AsyncTask::new(OpenTask::new(url, config)))
    }

    // ---- processes ----

    /// Validates and registers a process definition (YAML or JSON text, or a plain object).
    /// Registering a changed definition creates version n+1; the same one again returns its version.
    #[napi(catch_unwind, ts_args_type = "definition: string | Record<string, unknown>")]
    pub fn register_process(&self, env: Env, definition: Unknown) -> napi::Result<ProcessInfo> {
        let info = match crate::definition_value(&env, definition)? {
            Value::String(text) => self.inner.register_process(&text),
            document => self.inner.register_process_value(document),
        };
        let info = errors::map(&env, info)?;
        Ok(ProcessInfo { id: info.id, version: info.version, warnings: errors::problems(&info.warnings) })
    }

    /// Validates a definition against this engine (subprocess references resolve against its
    /// registered processes) and returns its warnings; throws `validation` on errors.
    #[napi(catch_unwind, ts_args_type = "definition: string | Record<string, unknown>")]
    pub fn validate_process(&self, env: Env, definition: Unknown) -> napi::Result<Vec<crate::Problem>> {
        let loaded = match crate::definition_value(&env, definition)? {
            Value::String(text) => trainyard::load_process_with(&text, Some(&*self.inner)),
            document => trainyard::load_process_value(document, Some(&*self.inner)),
        };
        Ok(errors::problems(&errors::map(&env, loaded)?.warnings))
    }

    /// A registered process as a plain object (latest version when `version` is omitted).
    #[napi(catch_unwind, ts_return_type = "Record<string, any>")]
    pub fn get_process(&self, env: Env, id: String, version: Option<u32>) -> napi::Result<Value> {
        let process = errors::map(&env, self.inner.get_process(&id, version))?;
        serde_json::to_value(&process)
            .map_err(|e| napi::Error::from_reason(format!("cannot convert the process to a JS object: {e}")))
    }

    /// Every registered process id with its latest version.
    #[napi(catch_unwind)]
    pub fn list_processes(&self, env: Env) -> napi::Result<Vec<ProcessSummary>> {
        let list = errors::map(&env, self.inner.list_processes())?;
        Ok(list.into_iter().map(|(id, version)| ProcessSummary { id, version }).collect())
    }

    // ---- executors ----

    /// Registers `fn` as the executor `name` (replacing one of the same name). `fn(job)` returns the
    /// outputs (an object, or nothing) or a Promise of them; a thrown error or a rejected Promise
    /// fails the attempt with its message (set `err.retryable = false` to skip automatic retries).
    /// While a Promise is pending the activity stays `running`.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, executor: (job: Job) => ExecutorResult | PromiseLike<ExecutorResult>"
    )]
    pub fn register_executor(
        &mut self,
        name: String,
        executor: Function<'_, Unknown<'static>, Unknown<'static>>,
    ) -> napi::Result<()> {
        let key = executors::keep(executor.create_ref()?);
        if let Some(old) = self.executors.insert(name.clone(), key) {
            executors::forget(old);
        }
        let adapter = JsExecutor {
            key,
            name: name.clone(),
            engine: Arc::downgrade(&self.inner),
            dispatcher: self.dispatcher.clone(),
        };
        self.inner.register_executor(&name, adapter);
        Ok(())
    }

    // ---- releases ----

    /// Creates a draft release of the latest version of a process.
    #[napi(catch_unwind)]
    pub fn create_release(&self, env: Env, process_id: String, options: CreateReleaseOptions) -> napi::Result<Release> {
        let actor = Engine::actor(&options.actor);
        let kind = match options.kind.as_deref() {
            Some(k) => errors::map(&env, k.parse())?,
            None => Default::default(),
        };
        let input_set = crate::input_sets::for_release(&env, &self.inner, &process_id, options.input_set)?;
        let new = NewRelease {
            name: options.name,
            kind,
            scope: options.scope.unwrap_or_else(|| "account".into()),
            inputs: options::map(options.inputs).unwrap_or_default(),
            owners: options.owners.unwrap_or_default(),
            input_set,
            ..Default::default()
        };
        let state = errors::map(&env, self.inner.create_release(&process_id, new, &actor))?;
        Ok(Release::from(&state))
    }

    /// Changes a draft: name, inputs (merged; `null` removes one), owners.
    #[napi(catch_unwind)]
    pub fn update_release(
        &self,
        env: Env,
        release_id: String,
        options: UpdateReleaseOptions,
    ) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| {
            e.update_release(&release_id, &actor, options.name, options::map(options.inputs), options.owners)
        })
    }

    /// Schedules (or reschedules) a release; validates and locks its inputs.
    #[napi(catch_unwind)]
    pub fn schedule(&self, env: Env, release_id: String, options: ScheduleOptions) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        let auto_start = options.auto_start.unwrap_or(true);
        self.command(&env, |e| e.schedule(&release_id, &actor, options.start, options.end, auto_start))
    }

    // `activate(id, { actor, force? })` lives in calendar.rs (forced activation inside a freeze).

    /// Stops new work from starting; the release shows `on_hold` until resumed.
    #[napi(catch_unwind)]
    pub fn pause(&self, env: Env, release_id: String, options: ActorOptions) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.pause(&release_id, &actor))
    }

    /// Lets a paused release progress again.
    #[napi(catch_unwind)]
    pub fn resume(&self, env: Env, release_id: String, options: ActorOptions) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.resume(&release_id, &actor))
    }

    /// Aborts a release, recording the reason.
    #[napi(catch_unwind)]
    pub fn abort(&self, env: Env, release_id: String, options: ReasonOptions) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.abort(&release_id, &actor, &options.reason))
    }

    /// Restarts a failed or aborted release (successful work is kept).
    #[napi(catch_unwind)]
    pub fn restart(&self, env: Env, release_id: String, options: ActorOptions) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.restart(&release_id, &actor))
    }

    /// Archives a terminal release.
    #[napi(catch_unwind)]
    pub fn archive(&self, env: Env, release_id: String, options: ActorOptions) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.archive(&release_id, &actor))
    }

    /// Deletes a draft or scheduled release.
    #[napi(catch_unwind)]
    pub fn delete_release(&self, env: Env, release_id: String, options: ActorOptions) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.delete_release(&release_id, &actor))
    }

    /// Approves an approval activity.
    #[napi(catch_unwind)]
    pub fn approve(
        &self,
        env: Env,
        release_id: String,
        phase_id: String,
        activity_id: String,
        options: ApprovalOptions,
    ) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.approve(&release_id, &phase_id, &activity_id, &actor, options.comment.as_deref()))
    }

    /// Rejects an approval activity (it fails).
    #[napi(catch_unwind)]
    pub fn reject(
        &self,
        env: Env,
        release_id: String,
        phase_id: String,
        activity_id: String,
        options: ApprovalOptions,
    ) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.reject(&release_id, &phase_id, &activity_id, &actor, options.comment.as_deref()))
    }

    /// Completes a manual activity with its field values.
    #[napi(catch_unwind)]
    pub fn complete_manual(
        &self,
        env: Env,
        release_id: String,
        phase_id: String,
        activity_id: String,
        options: CompleteManualOptions,
    ) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        let values = options.values.into_iter().collect();
        self.command(&env, |e| e.complete_manual(&release_id, &phase_id, &activity_id, &actor, values))
    }

    /// Retries an `on_hold` activity, optionally with changed inputs (fix-and-continue).
    #[napi(catch_unwind)]
    pub fn retry(
        &self,
        env: Env,
        release_id: String,
        phase_id: String,
        activity_id: String,
        options: RetryOptions,
    ) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        let inputs = options::map(options.inputs);
        self.command(&env, |e| e.retry(&release_id, &phase_id, &activity_id, &actor, inputs, options.reason.as_deref()))
    }

    /// Ignores an `on_hold` activity, optionally supplying the outputs downstream needs.
    #[napi(catch_unwind)]
    pub fn ignore(
        &self,
        env: Env,
        release_id: String,
        phase_id: String,
        activity_id: String,
        options: IgnoreOptions,
    ) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        let outputs = options::map(options.outputs).unwrap_or_default();
        self.command(&env, |e| {
            e.ignore(&release_id, &phase_id, &activity_id, &actor, outputs, options.reason.as_deref())
        })
    }

    /// Fails an `on_hold` activity for good.
    #[napi(catch_unwind)]
    pub fn fail(
        &self,
        env: Env,
        release_id: String,
        phase_id: String,
        activity_id: String,
        options: FailOptions,
    ) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.fail(&release_id, &phase_id, &activity_id, &actor, options.reason.as_deref()))
    }

    /// Skips a pending activity (with a reason).
    #[napi(catch_unwind)]
    pub fn skip(
        &self,
        env: Env,
        release_id: String,
        phase_id: String,
        activity_id: String,
        options: ReasonOptions,
    ) -> napi::Result<Vec<Event>> {
        let actor = Engine::actor(&options.actor);
        self.command(&env, |e| e.skip(&release_id, &phase_id, &activity_id, &actor, &options.reason))
    }

    /// Reports the outcome of a job run outside the engine (`{ outputs }` or `{ error }`). A report
    /// for a stale attempt throws `conflict`.
    #[napi(catch_unwind)]
    pub fn complete_job(&self, env: Env, job_id: String, options: Option<CompleteJobOptions>) -> napi::Result<()> {
        let outcome = options.map(CompleteJobOptions::outcome).unwrap_or_else(trainyard::executor::Outcome::success);
        let _js = JsThread::enter(&env);
        errors::map(&env, self.inner.complete_job(&job_id, outcome))
    }

    /// Jobs queued for in-process executors, not yet run.
    #[napi(catch_unwind)]
    pub fn queued_jobs(&self) -> Vec<objects::Job> {
        self.inner.queued_jobs().iter().map(objects::Job::from).collect()
    }

    // ---- driving ----

    /// Fires every timer due now and runs the queued jobs (executors run on this thread). Returns
    /// how many timers and jobs it handled.
    #[napi(catch_unwind)]
    pub fn tick(&self, env: Env) -> napi::Result<u32> {
        let _js = JsThread::enter(&env);
        errors::map(&env, self.inner.tick()).map(|n| n as u32)
    }

    /// Ticks until nothing is left to do at the current time (or `maxSteps` timers and jobs were
    /// handled; default 100000). Returns how many were handled.
    #[napi(catch_unwind)]
    pub fn run_until_idle(&self, env: Env, max_steps: Option<u32>) -> napi::Result<u32> {
        let _js = JsThread::enter(&env);
        let max = max_steps.unwrap_or(DEFAULT_MAX_STEPS) as usize;
        errors::map(&env, self.inner.run_until_idle(max)).map(|n| n as u32)
    }

    /// `tick()` on a worker thread; executor functions are still called on the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn tick_async(&self) -> AsyncTask<TickTask> {
        AsyncTask::new(TickTask { engine: self.inner.clone(), max_steps: None })
    }

    /// `runUntilIdle()` on a worker thread; executor functions are still called on the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn run_until_idle_async(&self, max_steps: Option<u32>) -> AsyncTask<TickTask> {
        AsyncTask::new(TickTask {
            engine: self.inner.clone(),
            max_steps: Some(max_steps.unwrap_or(DEFAULT_MAX_STEPS) as usize),
        })
    }

    // ---- reading ----

    /// The current state of a release.
    #[napi(catch_unwind)]
    pub fn get_release(&self, env: Env, release_id: String) -> napi::Result<Release> {
        let state = errors::map(&env, self.inner.get_release(&release_id))?;
        Ok(Release::from(&state))
    }

    /// `getRelease` off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Release>")]
    pub fn get_release_async(&self, release_id: String) -> AsyncTask<GetReleaseTask> {
        AsyncTask::new(GetReleaseTask { engine: self.inner.clone(), id: release_id })
    }

    /// Releases matching the filter, oldest first (archived ones only with `includeArchived`).
    #[napi(catch_unwind)]
    pub fn list_releases(&self, env: Env, filter: Option<ReleaseFilter>) -> napi::Result<Vec<Release>> {
        let filter = errors::map(&env, filter.unwrap_or_default().to_core())?;
        let list = errors::map(&env, self.inner.list_releases(&filter))?;
        Ok(list.iter().map(Release::from).collect())
    }

    /// `listReleases` off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Array<Release>>")]
    pub fn list_releases_async(
        &self,
        env: Env,
        filter: Option<ReleaseFilter>,
    ) -> napi::Result<AsyncTask<ListReleasesTask>> {
        let filter = errors::map(&env, filter.unwrap_or_default().to_core())?;
        Ok(AsyncTask::new(ListReleasesTask { engine: self.inner.clone(), filter }))
    }

    /// The release's events, oldest first: its audit trail.
    #[napi(catch_unwind)]
    pub fn history(&self, env: Env, release_id: String) -> napi::Result<Vec<Event>> {
        errors::map(&env, self.inner.history(&release_id)).map(events)
    }
}

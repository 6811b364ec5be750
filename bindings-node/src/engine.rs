//! The `Engine` class: the core [`trainyard::Engine`] behind an `Arc`, its executor functions and
//! the dispatcher that lets worker threads call them. Every method converts its arguments, calls
//! the core and converts the result or the error; no lifecycle logic lives here.

use crate::clock::ManualClock;
use crate::errors;
use crate::executors::{self, JsCaller, JsExecutor, JsSecretResolver, JsSubscriber, JsThread};
use crate::objects::{self, Event, JsonObject, ProcessInfo, ProcessSummary, Release};
use crate::options::{
    self, ActorOptions, ApprovalOptions, ClaimOptions, CommandExecutorOptions, CompleteJobOptions,
    CompleteManualOptions, CreateReleaseOptions, FailOptions, IgnoreOptions, ReadOptions, ReasonOptions, ReleaseFilter,
    RetryOptions, SaveInputSetOptions, ScheduleOptions, UpdateReleaseOptions,
};
use crate::tasks::{OpenTask, Work};
use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{AsyncTask, ClassInstance, FromNapiValue, Function, JavaScriptClassExt, Object, Unknown};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use trainyard::release::NewRelease;

/// How many steps `runUntilIdle()` takes at most when not told.
pub const DEFAULT_MAX_STEPS: u32 = 100_000;

/// What `Engine.inMemory` and `Engine.open` were given, read from the JS options object.
#[derive(Default)]
pub struct EngineConfig {
    pub clock: Option<trainyard::schedule::ManualClock>,
    pub release_level: trainyard::access::ReleaseLevel,
}

/// Reads `{ clock?, releaseLevel? }`.
pub fn config(env: &Env, options: Option<Object>) -> napi::Result<EngineConfig> {
    let Some(options) = options else { return Ok(EngineConfig::default()) };
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
    let release_level = match options.get::<String>("releaseLevel")? {
        Some(level) => errors::map(env, level.parse())?,
        None => Default::default(),
    };
    Ok(EngineConfig { clock, release_level })
}

/// Opens a core engine on the storage the URL names (`memory://`, `sqlite://…`, `postgres://…`).
pub fn open_core(url: &str, config: EngineConfig) -> trainyard::Result<trainyard::Engine> {
    let clock: Arc<dyn trainyard::schedule::Clock> = match config.clock {
        Some(clock) => Arc::new(clock),
        None => Arc::new(trainyard::schedule::SystemClock),
    };
    let engine = trainyard::Engine::open_with(url, clock)?;
    engine.set_release_level(config.release_level);
    Ok(engine)
}

/// The release-orchestration engine: processes, releases, executors, timers.
///
/// Synchronous methods run on the JS thread; the `…Async` ones run the core on a worker thread and
/// return Promises (executor functions still run on the JS thread).
#[napi]
pub struct Engine {
    pub(crate) inner: Arc<trainyard::Engine>,
    caller: JsCaller,
    /// Executor name → key of its function in the JS thread's table.
    pub(crate) executors: HashMap<String, u64>,
    /// Keys of the subscriber functions.
    subscribers: Vec<u64>,
    /// Key of the secret resolver function.
    resolver: Option<u64>,
    /// Subscriber throws of notifications delivered from worker threads (the core counts the rest).
    failures: Arc<AtomicU64>,
}

impl Drop for Engine {
    fn drop(&mut self) {
        for key in self.executors.values().chain(&self.subscribers).chain(&self.resolver) {
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
            caller: JsCaller::new(env)?,
            executors: HashMap::new(),
            subscribers: Vec::new(),
            resolver: None,
            failures: Arc::new(AtomicU64::new(0)),
        })
    }

    fn reader(options: Option<&options::Actor>) -> Option<trainyard::access::Actor> {
        options.map(Into::into)
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

    /// An engine on the storage the URL names: `memory://`, `sqlite://relative/path.db`,
    /// `sqlite:///absolute/path.db`, `postgres://user[:password]@host[:port]/db[?schema=NAME]`.
    /// A malformed URL, an unknown scheme or an unreachable database throws code `storage`.
    /// Opening runs on the calling thread; a server should use `Engine.openAsync`.
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
        let adapter =
            JsExecutor { key, name: name.clone(), engine: Arc::downgrade(&self.inner), caller: self.caller.clone() };
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
        let _js = JsThread::enter(&env);
        let input_set = match &options.input_set {
            Some(set) => {
                Some(errors::map(&env, self.inner.input_set_for_release(&process_id, set, options.input_set_version))?)
            }
            None => None,
        };
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

    /// Reports the outcome of a job run outside the engine (`{ outputs }` or `{ error }`). With
    /// `leaseToken` (a job from `claimJobs`) the token must still be the job's: a stale one throws
    /// `conflict`. A report for a stale attempt throws `conflict`, for an ended one
    /// `invalid_transition`.
    #[napi(catch_unwind)]
    pub fn complete_job(&self, env: Env, job_id: String, options: Option<CompleteJobOptions>) -> napi::Result<()> {
        let (token, outcome) = complete_args(options);
        let _js = JsThread::enter(&env);
        errors::map(&env, complete(&self.inner, &job_id, token.as_deref(), outcome))
    }

    /// `completeJob` off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn complete_job_async(&self, job_id: String, options: Option<CompleteJobOptions>) -> AsyncTask<Work<(), ()>> {
        let (token, outcome) = complete_args(options);
        let engine = self.inner.clone();
        AsyncTask::new(Work::new(move || complete(&engine, &job_id, token.as_deref(), outcome), |()| ()))
    }

    /// Claims up to `limit` (default 10) jobs of the named executors for an external `worker`, each
    /// leased for `leaseMs` (default 5 minutes) and carrying its `leaseToken`. Claiming starts the
    /// attempt; inputs come with their secrets resolved.
    #[napi(catch_unwind)]
    pub fn claim_jobs(
        &self,
        env: Env,
        executors: Vec<String>,
        options: ClaimOptions,
    ) -> napi::Result<Vec<objects::ClaimedJob>> {
        let (limit, lease) = claim_args(&env, &options)?;
        let _js = JsThread::enter(&env);
        let names: Vec<&str> = executors.iter().map(String::as_str).collect();
        let claimed = errors::map(&env, self.inner.claim_jobs(&names, &options.worker, limit, lease))?;
        Ok(claimed.into_iter().map(objects::ClaimedJob::from).collect())
    }

    /// `claimJobs` off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Array<ClaimedJob>>")]
    pub fn claim_jobs_async(
        &self,
        env: Env,
        executors: Vec<String>,
        options: ClaimOptions,
    ) -> napi::Result<AsyncTask<Work<Vec<trainyard::store::ClaimedJob>, Vec<objects::ClaimedJob>>>> {
        let (limit, lease) = claim_args(&env, &options)?;
        let engine = self.inner.clone();
        let worker = options.worker;
        Ok(AsyncTask::new(Work::new(
            move || {
                let names: Vec<&str> = executors.iter().map(String::as_str).collect();
                engine.claim_jobs(&names, &worker, limit, lease)
            },
            |list| list.into_iter().map(objects::ClaimedJob::from).collect(),
        )))
    }

    /// Extends the lease of a claimed job; returns its new end. A stale token (the lease expired
    /// and the job went to another worker) or an ended attempt throws `conflict`.
    #[napi(catch_unwind)]
    pub fn heartbeat(&self, env: Env, job_id: String, lease_token: String) -> napi::Result<DateTime<Utc>> {
        errors::map(&env, self.inner.heartbeat(&job_id, &lease_token))
    }

    /// `heartbeat` off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Date>")]
    pub fn heartbeat_async(
        &self,
        job_id: String,
        lease_token: String,
    ) -> AsyncTask<Work<DateTime<Utc>, DateTime<Utc>>> {
        let engine = self.inner.clone();
        AsyncTask::new(Work::new(move || engine.heartbeat(&job_id, &lease_token), |t| t))
    }

    /// Every job in the store (queued, leased, parked), oldest first, with its lease.
    #[napi(catch_unwind)]
    pub fn list_jobs(&self, env: Env) -> napi::Result<Vec<objects::JobRecord>> {
        let list = errors::map(&env, self.inner.list_jobs())?;
        Ok(list.iter().map(objects::JobRecord::from).collect())
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
    pub fn tick_async(&self) -> AsyncTask<Work<usize, u32>> {
        let engine = self.inner.clone();
        AsyncTask::new(Work::new(move || engine.tick(), |n| n as u32))
    }

    /// `runUntilIdle()` on a worker thread; executor functions are still called on the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn run_until_idle_async(&self, max_steps: Option<u32>) -> AsyncTask<Work<usize, u32>> {
        let engine = self.inner.clone();
        let max = max_steps.unwrap_or(DEFAULT_MAX_STEPS) as usize;
        AsyncTask::new(Work::new(move || engine.run_until_idle(max), |n| n as u32))
    }

    // ---- reading ----

    /// The current state of a release. With `{ actor }` it is read on their behalf:
    /// `permission_denied` when they may not see it.
    #[napi(catch_unwind)]
    pub fn get_release(&self, env: Env, release_id: String, options: Option<ReadOptions>) -> napi::Result<Release> {
        let actor = Engine::reader(options.as_ref().and_then(|o| o.actor.as_ref()));
        let state = errors::map(&env, get_release(&self.inner, &release_id, actor.as_ref()))?;
        Ok(Release::from(&state))
    }

    /// `getRelease` off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Release>")]
    pub fn get_release_async(
        &self,
        release_id: String,
        options: Option<ReadOptions>,
    ) -> AsyncTask<Work<trainyard::release::ReleaseState, Release>> {
        let actor = Engine::reader(options.as_ref().and_then(|o| o.actor.as_ref()));
        let engine = self.inner.clone();
        AsyncTask::new(Work::new(move || get_release(&engine, &release_id, actor.as_ref()), |s| Release::from(&s)))
    }

    /// Releases matching the filter, oldest first (archived ones only with `includeArchived`;
    /// with `actor`, only those they may read).
    #[napi(catch_unwind)]
    pub fn list_releases(&self, env: Env, filter: Option<ReleaseFilter>) -> napi::Result<Vec<Release>> {
        let filter = filter.unwrap_or_default();
        let actor = Engine::reader(filter.actor.as_ref());
        let filter = errors::map(&env, filter.to_core())?;
        let list = errors::map(&env, list_releases(&self.inner, &filter, actor.as_ref()))?;
        Ok(list.iter().map(Release::from).collect())
    }

    /// `listReleases` off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<Array<Release>>")]
    pub fn list_releases_async(
        &self,
        env: Env,
        filter: Option<ReleaseFilter>,
    ) -> napi::Result<AsyncTask<Work<Vec<trainyard::release::ReleaseState>, Vec<Release>>>> {
        let filter = filter.unwrap_or_default();
        let actor = Engine::reader(filter.actor.as_ref());
        let filter = errors::map(&env, filter.to_core())?;
        let engine = self.inner.clone();
        Ok(AsyncTask::new(Work::new(
            move || list_releases(&engine, &filter, actor.as_ref()),
            |list| list.iter().map(Release::from).collect(),
        )))
    }

    /// The release's events, oldest first: its audit trail. With `{ actor }`:
    /// `permission_denied` when they may not see the release.
    #[napi(catch_unwind)]
    pub fn history(&self, env: Env, release_id: String, options: Option<ReadOptions>) -> napi::Result<Vec<Event>> {
        let actor = Engine::reader(options.as_ref().and_then(|o| o.actor.as_ref()));
        let list = match &actor {
            Some(actor) => self.inner.history_as(&release_id, actor),
            None => self.inner.history(&release_id),
        };
        errors::map(&env, list).map(events)
    }

    // ---- input sets ----

    /// Saves a named input set of a process (checked against its latest inputs; a set may be
    /// partial) and returns its version: a new one each time the values change. Needs a release
    /// manager.
    #[napi(catch_unwind)]
    pub fn save_input_set(
        &self,
        env: Env,
        process_id: String,
        name: String,
        #[napi(ts_arg_type = "Record<string, unknown>")] values: JsonObject,
        options: SaveInputSetOptions,
    ) -> napi::Result<u32> {
        let actor = Engine::actor(&options.actor);
        let values = values.into_iter().collect();
        errors::map(&env, self.inner.save_input_set(&process_id, &name, values, &actor))
    }

    /// An input set (its latest version when `version` is omitted).
    #[napi(catch_unwind)]
    pub fn get_input_set(
        &self,
        env: Env,
        process_id: String,
        name: String,
        version: Option<u32>,
    ) -> napi::Result<objects::InputSet> {
        let set = errors::map(&env, self.inner.get_input_set(&process_id, &name, version))?;
        Ok(objects::InputSet::from(&set))
    }

    /// The input sets of a process with their latest versions.
    #[napi(catch_unwind)]
    pub fn list_input_sets(&self, env: Env, process_id: String) -> napi::Result<Vec<objects::InputSetSummary>> {
        let list = errors::map(&env, self.inner.list_input_sets(&process_id))?;
        Ok(list.into_iter().map(|(name, version)| objects::InputSetSummary { name, version }).collect())
    }

    // ---- retention, notifications, secrets, built-in executors ----

    /// Archives every terminal release that ended longer ago than the retention period (365 days)
    /// before `now` (default: the engine's clock); returns their ids.
    #[napi(catch_unwind)]
    pub fn apply_retention(&self, env: Env, now: Option<DateTime<Utc>>) -> napi::Result<Vec<String>> {
        let now = now.unwrap_or_else(|| self.inner.clock().now());
        let _js = JsThread::enter(&env);
        errors::map(&env, self.inner.apply_retention(now))
    }

    /// Calls `fn(notification)` on the JS thread after every commit that notifies someone
    /// (release started/ended, phase started/ended, approvals, input waiting, on hold). A throw is
    /// counted (`notificationFailures()`), never raised into the engine.
    #[napi(catch_unwind, ts_args_type = "subscriber: (notification: Notification) => unknown")]
    pub fn subscribe(&mut self, subscriber: Function<'_, Unknown<'static>, Unknown<'static>>) -> napi::Result<()> {
        let key = executors::keep(subscriber.create_ref()?);
        self.subscribers.push(key);
        self.inner.subscribe(JsSubscriber { key, caller: self.caller.clone(), failures: self.failures.clone() });
        Ok(())
    }

    /// How many notification deliveries failed (a subscriber threw) so far.
    #[napi]
    pub fn notification_failures(&self) -> f64 {
        (self.inner.notification_failures() + self.failures.load(Ordering::Relaxed)) as f64
    }

    /// Where `secret://name` references of `secret` inputs are resolved when a job is handed to an
    /// executor or a worker: a plain object `{ name: value }`, or a function `(name) => value`
    /// (called on the JS thread; throw to refuse). Resolved values never reach the history.
    #[napi(catch_unwind, ts_args_type = "resolver: Record<string, string> | ((name: string) => string)")]
    pub fn set_secret_resolver(&mut self, env: Env, resolver: Unknown) -> napi::Result<()> {
        match resolver.get_type()? {
            ValueType::Function => {
                // SAFETY: checked above that the value is a function of this env.
                let function = unsafe {
                    Function::<Unknown<'static>, Unknown<'static>>::from_napi_value(env.raw(), resolver.raw())?
                };
                let key = executors::keep(function.create_ref()?);
                if let Some(old) = self.resolver.replace(key) {
                    executors::forget(old);
                }
                self.inner.set_secret_resolver(JsSecretResolver { key, caller: self.caller.clone() });
            }
            ValueType::Object => {
                // SAFETY: the value is an object of this env; the conversion checks every value.
                let map =
                    unsafe { HashMap::<String, String>::from_napi_value(env.raw(), resolver.raw()) }.map_err(|e| {
                        napi::Error::new(
                            napi::Status::InvalidArg,
                            format!("the secret resolver object must map names to strings: {}", e.reason),
                        )
                    })?;
                if let Some(old) = self.resolver.take() {
                    executors::forget(old);
                }
                self.inner.set_secret_resolver(trainyard::secrets::MapSecretResolver::new(map));
            }
            other => {
                return Err(napi::Error::new(
                    napi::Status::InvalidArg,
                    format!("setSecretResolver needs an object of name → value or a function, got {other}"),
                ));
            }
        }
        Ok(())
    }

    /// Registers the built-in `command` executor (runs a program per job: `with: { argv, env, cwd,
    /// timeout, shell }`, outputs from `$TRAINYARD_OUTPUT`) under `name` (default `command`).
    /// It runs on the thread that drives the engine: use `tickAsync`/`runUntilIdleAsync` so a
    /// long command never blocks the event loop.
    #[napi(catch_unwind)]
    pub fn register_command_executor(
        &mut self,
        name: Option<String>,
        options: Option<CommandExecutorOptions>,
    ) -> napi::Result<()> {
        let name = name.unwrap_or_else(|| "command".into());
        // Job deadlines are measured on the engine's clock (simulated time with a ManualClock).
        let mut executor = trainyard::executor::command::CommandExecutor::new().with_clock(self.inner.clock().clone());
        if let Some(dir) = options.and_then(|o| o.base_dir) {
            executor = executor.with_base_dir(dir);
        }
        if let Some(old) = self.executors.remove(&name) {
            executors::forget(old);
        }
        self.inner.register_executor(&name, executor);
        Ok(())
    }

    /// The installation's release level: `account` or `organization`.
    #[napi(getter, ts_return_type = "'account' | 'organization'")]
    pub fn release_level(&self) -> &'static str {
        self.inner.release_level().as_str()
    }
}

fn get_release(
    engine: &trainyard::Engine,
    id: &str,
    actor: Option<&trainyard::access::Actor>,
) -> trainyard::Result<trainyard::release::ReleaseState> {
    match actor {
        Some(actor) => engine.get_release_as(id, actor),
        None => engine.get_release(id),
    }
}

fn list_releases(
    engine: &trainyard::Engine,
    filter: &trainyard::ReleaseFilter,
    actor: Option<&trainyard::access::Actor>,
) -> trainyard::Result<Vec<trainyard::release::ReleaseState>> {
    match actor {
        Some(actor) => engine.list_releases_as(filter, actor),
        None => engine.list_releases(filter),
    }
}

fn complete_args(options: Option<CompleteJobOptions>) -> (Option<String>, trainyard::executor::Outcome) {
    options.map(CompleteJobOptions::split).unwrap_or((None, trainyard::executor::Outcome::success()))
}

fn complete(
    engine: &trainyard::Engine,
    job_id: &str,
    token: Option<&str>,
    outcome: trainyard::executor::Outcome,
) -> trainyard::Result<()> {
    match token {
        Some(token) => engine.complete_claimed_job(job_id, token, outcome),
        None => engine.complete_job(job_id, outcome),
    }
}

fn claim_args(env: &Env, options: &ClaimOptions) -> napi::Result<(usize, chrono::Duration)> {
    let lease_ms = options.lease_ms.unwrap_or(5.0 * 60.0 * 1000.0);
    if !lease_ms.is_finite() || lease_ms <= 0.0 {
        let problem = trainyard::Problem::new(
            "lease_ms",
            "invalid_value",
            format!("leaseMs must be a positive number of milliseconds, got {lease_ms}"),
        );
        return Err(errors::to_js(env, &trainyard::Error::InvalidInput { problems: vec![problem] }));
    }
    let limit = options.limit.unwrap_or(10) as usize;
    Ok((limit, chrono::Duration::milliseconds(lease_ms.round() as i64)))
}

//! The `Engine` class: construction, `close()`, settings (release level, retention, the clock's
//! `now()`), processes, the functions JS registers (executors, subscribers, the secret resolver)
//! and driving (`tick`, `runUntilIdle`). Release commands and reads are in [`crate::commands`];
//! jobs, input sets, schedules and the calendar in their own files (napi merges every
//! `#[napi] impl Engine` block into the one JS class). Every method reads its arguments through
//! [`crate::convert`], calls the core and converts the result; no lifecycle logic lives here.

use crate::callbacks::{self, JsCaller, JsExecutor, JsSecretResolver, JsSubscriber, JsThread};
use crate::convert::{Cx, FromJs, Kind};
use crate::errors;
use crate::options::{CommandExecutorOptions, RetentionOptions};
use crate::schedule::ManualClock;
use crate::tasks::{Call, Work, call, calls};
use crate::views::{self, Js, ProcessInfo, ProcessSummary};
use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{AsyncTask, ClassInstance, FromNapiValue, Function, JavaScriptClassExt, Task, Unknown};
use napi::{Env, JsValue, sys};
use napi_derive::napi;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use trainyard::validate::codes::WRONG_TYPE;

/// How many steps `runUntilIdle()` takes at most when not told.
pub const DEFAULT_MAX_STEPS: u32 = 100_000;

/// What `Engine.inMemory` and `Engine.open` were given, read from the JS options object.
#[derive(Default)]
pub struct EngineConfig {
    pub clock: Option<trainyard::schedule::ManualClock>,
    pub release_level: trainyard::access::ReleaseLevel,
}

/// Reads `{ clock?, releaseLevel? }`.
fn config(cx: &mut Cx, options: Unknown) -> EngineConfig {
    let value = options.raw();
    if matches!(cx.kind(value), Kind::Undefined | Kind::Null) {
        return EngineConfig::default();
    }
    let expected = "an options object { clock?, releaseLevel? }";
    if !cx.plain_object(value, "options", expected) {
        return EngineConfig::default();
    }
    let names = ["clock".to_string(), "releaseLevel".to_string()];
    let values = cx.fields(value, "options", &names);
    let clock =
        values[0].filter(|v| !matches!(cx.kind(*v), Kind::Undefined | Kind::Null)).and_then(|v| clock_of(cx, v));
    let level: Option<String> = values[1].and_then(|v| cx.field(v, &mut "options.releaseLevel".to_string()));
    let release_level = crate::convert::parsed(cx, level, "options.releaseLevel").unwrap_or_default();
    EngineConfig { clock, release_level }
}

fn clock_of(cx: &mut Cx, value: sys::napi_value) -> Option<trainyard::schedule::ManualClock> {
    let env = Env::from_raw(cx.env());
    // SAFETY: `value` is a live value of the current call on this env.
    let unknown = unsafe { Unknown::from_napi_value(cx.env(), value) }.ok()?;
    if ManualClock::instance_of(&env, &unknown).unwrap_or(false) {
        // SAFETY: checked above that the value is a ManualClock instance of this env.
        if let Ok(clock) = unsafe { ClassInstance::<ManualClock>::from_napi_value(cx.env(), value) } {
            return Some(clock.inner.clone());
        }
    }
    cx.wrong_type(value, "options.clock", "a ManualClock (new ManualClock(start))");
    None
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
/// Every method that can touch the store has an `…Async` twin that runs the core on a worker
/// thread and returns a Promise; executor, resolver and subscriber functions always run on the
/// JS thread.
#[napi]
pub struct Engine {
    inner: Option<Arc<trainyard::Engine>>,
    url: String,
    caller: JsCaller,
    /// Executor name → key of its function in the JS thread's table.
    executors: HashMap<String, u64>,
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
            callbacks::forget(*key);
        }
    }
}

impl Engine {
    /// Wraps a core engine (on the JS thread).
    pub fn wrap(env: &Env, url: &str, inner: trainyard::Engine) -> napi::Result<Self> {
        Ok(Engine {
            inner: Some(Arc::new(inner)),
            url: trainyard::store::redact_url(url),
            caller: JsCaller::new(env)?,
            executors: HashMap::new(),
            subscribers: Vec::new(),
            resolver: None,
            failures: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The core engine, or `storage` once closed.
    pub(crate) fn core(&self) -> trainyard::Result<Arc<trainyard::Engine>> {
        self.inner.clone().ok_or_else(|| errors::closed(&self.url))
    }

    /// Runs `call` now, on the JS thread (executors called meanwhile run directly).
    pub(crate) fn run_now(&self, env: &Env, call: trainyard::Result<Call>) -> napi::Result<Js> {
        let call = errors::map(env, call)?;
        let engine = errors::map(env, self.core())?;
        let reply = {
            let _js = JsThread::enter(env);
            errors::map(env, call(&engine))?
        };
        reply(env).map(Js)
    }

    /// The caller that reaches this engine's JS thread.
    pub(crate) fn caller(&self) -> JsCaller {
        self.caller.clone()
    }

    /// Keeps the key of a subscriber function (forgotten when the engine is dropped).
    pub(crate) fn keep_subscriber(&mut self, key: u64) {
        self.subscribers.push(key);
    }

    /// Runs `call` on a libuv worker thread.
    pub(crate) fn run_later(&self, call: trainyard::Result<Call>) -> AsyncTask<Work> {
        AsyncTask::new(Work::new(self.core(), call))
    }
}

/// `Engine.openAsync`.
pub struct OpenTask {
    url: String,
    config: Option<trainyard::Result<EngineConfig>>,
}

impl Task for OpenTask {
    type Output = trainyard::Result<trainyard::Engine>;
    type JsValue = Engine;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let config = self.config.take().unwrap_or_else(|| Ok(EngineConfig::default()));
        Ok(config.and_then(|c| open_core(&self.url, c)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Engine> {
        Engine::wrap(&env, &self.url, errors::map(&env, output)?)
    }
}

/// Reads a definition argument: YAML/JSON text, or an object of JSON values. Anything else (a
/// function, a cyclic or too deep object, …) is a `validation` error naming where it is.
pub fn definition(cx: &mut Cx, value: Unknown) -> trainyard::Result<Value> {
    let raw = value.raw();
    let read = match cx.kind(raw) {
        Kind::String => Some(Value::String(String::read(cx, raw, &mut String::new()))),
        Kind::Undefined => None,
        _ => cx.json(raw, &mut String::new()),
    };
    let mut problems = cx.take();
    match read {
        Some(value) if problems.is_empty() => Ok(value),
        _ => {
            let what = "expected the definition as YAML or JSON text or as a plain object of JSON values";
            if problems.is_empty() {
                problems.push(trainyard::Problem::new("", WRONG_TYPE, format!("{what}, got undefined")));
            } else {
                for p in problems.iter_mut().filter(|p| p.code == WRONG_TYPE) {
                    p.message = format!("{}; {what}", p.message);
                }
            }
            Err(errors::validation(problems))
        }
    }
}

fn process_info(info: trainyard::ProcessInfo) -> ProcessInfo {
    ProcessInfo { id: info.id, version: info.version, warnings: errors::problems(&info.warnings) }
}

#[napi]
impl Engine {
    /// An engine with in-memory storage: `Engine.inMemory({ clock?, releaseLevel? })`.
    #[napi(factory, catch_unwind, ts_args_type = "options?: EngineOptions")]
    pub fn in_memory(env: Env, options: Unknown) -> napi::Result<Self> {
        let mut cx = Cx::new(&env);
        let config = config(&mut cx, options);
        cx.done()?;
        let core = errors::map(&env, open_core("memory://", config))?;
        Engine::wrap(&env, "memory://", core)
    }

    /// An engine on the storage the URL names: `memory://`, `sqlite://relative/path.db`,
    /// `sqlite:///absolute/path.db`, `postgres://user[:password]@host[:port]/db[?schema=NAME]`.
    /// A malformed URL, an unknown scheme or an unreachable database throws code `storage`.
    /// Opening runs on the calling thread; a server should use `Engine.openAsync`.
    #[napi(factory, catch_unwind, ts_args_type = "url: string, options?: EngineOptions")]
    pub fn open(env: Env, url: Unknown, options: Unknown) -> napi::Result<Self> {
        let mut cx = Cx::new(&env);
        let url: String = cx.arg(url, "url");
        let config = config(&mut cx, options);
        cx.done()?;
        let core = errors::map(&env, open_core(&url, config))?;
        Engine::wrap(&env, &url, core)
    }

    /// `Engine.open` off the JS thread: resolves to the engine (an argument error rejects it).
    #[napi(catch_unwind, ts_args_type = "url: string, options?: EngineOptions", ts_return_type = "Promise<Engine>")]
    pub fn open_async(env: Env, url: Unknown, options: Unknown) -> AsyncTask<OpenTask> {
        let mut cx = Cx::new(&env);
        let url: String = cx.arg(url, "url");
        let config = config(&mut cx, options);
        let config = cx.finish().map(|()| config);
        AsyncTask::new(OpenTask { url, config: Some(config) })
    }

    /// The storage URL this engine was opened on, without its password (`memory://` for
    /// `inMemory`).
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_none()
    }

    /// Closes the engine: its store is released once running `…Async` calls finish, and every
    /// later call throws `storage`. Closing twice is harmless.
    #[napi]
    pub fn close(&mut self) {
        self.inner = None;
    }

    /// The engine's current time, from its clock.
    #[napi(catch_unwind)]
    pub fn now(&self, env: Env) -> napi::Result<DateTime<Utc>> {
        errors::map(&env, self.core()).map(|e| e.clock().now())
    }

    /// The installation's release level: `account` or `organization`.
    #[napi(getter, ts_return_type = "'account' | 'organization'")]
    pub fn release_level(&self) -> napi::Result<&'static str> {
        Ok(self.inner.as_ref().map(|e| e.release_level().as_str()).unwrap_or("account"))
    }

    /// Sets the retention policy: terminal releases that ended longer ago than `archiveAfter`
    /// (`"90d"` or milliseconds; default 365 days) are archived by `applyRetention`, and archived
    /// ones may then be deleted. With `automatic` (default `true`) `tick` applies it once per day
    /// of engine time.
    #[napi(catch_unwind, ts_args_type = "options: RetentionOptions")]
    pub fn set_retention(&self, env: Env, options: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let options: RetentionOptions = cx.arg(options, "options");
        let defaults = trainyard::RetentionPolicy::default();
        let archive_after = match options.archive_after {
            Some(span) => span.non_negative(&mut cx, "options.archiveAfter"),
            None => defaults.archive_after,
        };
        let automatic = options.automatic.unwrap_or(defaults.automatic);
        cx.done()?;
        let engine = errors::map(&env, self.core())?;
        engine.set_retention(trainyard::RetentionPolicy { archive_after, automatic });
        Ok(())
    }

    // ---- functions JS registers ----

    /// Registers `fn` as the executor `name` (replacing one of the same name). `fn(job)` returns the
    /// outputs (an object, or nothing) or a Promise of them; a thrown error or a rejected Promise
    /// fails the attempt with its message (set `err.retryable = false` to skip automatic retries).
    /// While a Promise is pending the activity stays `running`. Outputs that are not JSON values
    /// (cyclic, too deep, NaN, …) fail the attempt, saying where.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, executor: (job: Job) => ExecutorResult | PromiseLike<ExecutorResult>"
    )]
    pub fn register_executor(&mut self, env: Env, name: Unknown, executor: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let name: String = cx.arg(name, "name");
        let function = function_arg(&mut cx, executor, "executor");
        cx.done()?;
        let engine = errors::map(&env, self.core())?;
        let key = callbacks::keep(function.ok_or_else(|| napi::Error::from_reason("unreachable"))?.create_ref()?);
        if let Some(old) = self.executors.insert(name.clone(), key) {
            callbacks::forget(old);
        }
        let adapter =
            JsExecutor { key, name: name.clone(), engine: Arc::downgrade(&engine), caller: self.caller.clone() };
        engine.register_executor(&name, adapter);
        Ok(())
    }

    /// Registers the built-in `command` executor (runs a program per job: `with: { argv, env, cwd,
    /// timeout, shell }`, outputs from `$TRAINYARD_OUTPUT`) under `name` (default `command`).
    /// It runs on the thread that drives the engine: use `tickAsync`/`runUntilIdleAsync` so a
    /// long command never blocks the event loop.
    #[napi(catch_unwind, ts_args_type = "name?: string, options?: CommandExecutorOptions")]
    pub fn register_command_executor(&mut self, env: Env, name: Unknown, options: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let name: Option<String> = cx.arg(name, "name");
        let options: Option<CommandExecutorOptions> = cx.arg(options, "options");
        cx.done()?;
        let engine = errors::map(&env, self.core())?;
        let name = name.unwrap_or_else(|| "command".into());
        // Job deadlines are measured on the engine's clock (simulated time with a ManualClock).
        let mut executor = trainyard::executor::command::CommandExecutor::new().with_clock(engine.clock().clone());
        if let Some(dir) = options.and_then(|o| o.base_dir) {
            executor = executor.with_base_dir(dir);
        }
        if let Some(old) = self.executors.remove(&name) {
            callbacks::forget(old);
        }
        engine.register_executor(&name, executor);
        Ok(())
    }

    /// Calls `fn(notification)` on the JS thread after every commit that notifies someone
    /// (release started/ended, phase started/ended, approvals, input waiting, on hold). A throw is
    /// counted (`notificationFailures()`), never raised into the engine.
    #[napi(catch_unwind, ts_args_type = "subscriber: (notification: Notification) => unknown")]
    pub fn subscribe(&mut self, env: Env, subscriber: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let function = function_arg(&mut cx, subscriber, "subscriber");
        cx.done()?;
        let engine = errors::map(&env, self.core())?;
        let key = callbacks::keep(function.ok_or_else(|| napi::Error::from_reason("unreachable"))?.create_ref()?);
        self.subscribers.push(key);
        engine.subscribe(JsSubscriber { key, caller: self.caller.clone(), failures: self.failures.clone() });
        Ok(())
    }

    /// How many notification deliveries failed (a subscriber threw) so far.
    #[napi(catch_unwind)]
    pub fn notification_failures(&self, env: Env) -> napi::Result<f64> {
        let engine = errors::map(&env, self.core())?;
        Ok((engine.notification_failures() + self.failures.load(Ordering::Relaxed)) as f64)
    }

    /// Where `secret://name` references of `secret` inputs are resolved when a job is handed to an
    /// executor or a worker: a plain object `{ name: value }`, or a function `(name) => value`
    /// (called on the JS thread; throw to refuse). Resolved values never reach the history.
    #[napi(catch_unwind, ts_args_type = "resolver: Record<string, string> | ((name: string) => string)")]
    pub fn set_secret_resolver(&mut self, env: Env, resolver: Unknown) -> napi::Result<()> {
        let mut cx = Cx::new(&env);
        let engine = errors::map(&env, self.core())?;
        if cx.kind(resolver.raw()) == Kind::Function {
            let function = function_arg(&mut cx, resolver, "resolver");
            let key = callbacks::keep(function.ok_or_else(|| napi::Error::from_reason("unreachable"))?.create_ref()?);
            if let Some(old) = self.resolver.replace(key) {
                callbacks::forget(old);
            }
            engine.set_secret_resolver(JsSecretResolver { key, caller: self.caller.clone() });
            return Ok(());
        }
        let expected = "an object of name → secret value (strings) or a function (name) => value";
        let map = if cx.plain_object(resolver.raw(), "resolver", expected) {
            let object: crate::convert::JsonObject = cx.arg(resolver, "resolver");
            let mut map = HashMap::new();
            for (name, value) in object {
                match value {
                    Value::String(s) => {
                        map.insert(name, s);
                    }
                    other => cx.problem(
                        &crate::convert::join("resolver", &name),
                        WRONG_TYPE,
                        format!("expected the secret as a string, got {}", crate::convert::json_kind(&other)),
                    ),
                }
            }
            map
        } else {
            HashMap::new()
        };
        cx.done()?;
        if let Some(old) = self.resolver.take() {
            callbacks::forget(old);
        }
        engine.set_secret_resolver(trainyard::secrets::MapSecretResolver::new(map));
        Ok(())
    }
}

/// Reads a function argument (a problem when it is something else).
pub(crate) fn function_arg<'a>(
    cx: &mut Cx,
    value: Unknown<'a>,
    name: &str,
) -> Option<Function<'a, Unknown<'static>, Unknown<'static>>> {
    if cx.kind(value.raw()) != Kind::Function {
        cx.wrong_type(value.raw(), name, "a function");
        return None;
    }
    // SAFETY: checked above that the value is a function of this call's env.
    unsafe { Function::<Unknown<'static>, Unknown<'static>>::from_napi_value(cx.env(), value.raw()) }.ok()
}

/// `runUntilIdle`: the core's, then (off the JS thread) waiting for the Promises executors
/// returned meanwhile, committing their outcomes, and going on while they led to more work. On
/// the JS thread no Promise can settle while the call runs: there it is the core's alone, and
/// outcomes are committed when their Promises settle, stamped with that time.
fn run_until_idle(e: &trainyard::Engine, max: usize) -> trainyard::Result<usize> {
    if callbacks::on_js_thread() {
        return e.run_until_idle(max);
    }
    let pending = Arc::new(callbacks::Pending::default());
    let _drive = pending.enter();
    let mut total = 0;
    loop {
        total += e.run_until_idle(max - total)?;
        let settled = pending.drain(e)?;
        if settled == 0 || total >= max {
            return Ok(total);
        }
    }
}

/// `maxSteps` of `runUntilIdle`: a whole number ≥ 0 (default 100000).
fn max_steps(cx: &mut Cx, value: Unknown) -> usize {
    let steps: Option<u32> = cx.arg(value, "maxSteps");
    steps.unwrap_or(DEFAULT_MAX_STEPS) as usize
}

calls! {
    #[doc = " Validates and registers a process definition (YAML or JSON text, or a plain object)."]
    #[doc = " Registering a changed definition creates version n+1; the same one again returns its"]
    #[doc = " version. Throws `validation` listing every problem. With `options.actor` the access"]
    #[doc = " matrix applies: a release manager of the process's scope (`options.scope`, fixed by its"]
    #[doc = " first registration; by default an org manager of one org registers for that org, everyone"]
    #[doc = " else for `account`). Without an actor the application acts as the engine."]
    #[ts("definition: string | Record<string, unknown>, options?: RegisterProcessOptions", "ProcessInfo", "Promise<ProcessInfo>")]
    fn register_process / register_process_async(&self, cx, definition, options) {
        let definition = crate::engine::definition(cx, definition)?;
        let o: Option<crate::options::RegisterProcessOptions> = cx.arg(options, "options");
        cx.finish()?;
        let (actor, scope) = match o {
            Some(o) => (o.actor.map(|a| a.core()), o.scope),
            None => (None, None),
        };
        let actor = actor.unwrap_or_else(trainyard::access::Actor::system);
        call(move |e| {
            let info = match definition {
                Value::String(text) => e.register_process_as(&text, scope.as_deref(), &actor),
                document => e.register_process_value_as(document, scope.as_deref(), &actor),
            }?;
            Ok(views::napi_value(process_info(info)))
        })
    }

    #[doc = " Validates a definition against this engine (subprocess references resolve against its"]
    #[doc = " registered processes) and returns its warnings; throws `validation` on errors."]
    #[ts("definition: string | Record<string, unknown>", "Problem[]", "Promise<Problem[]>")]
    fn validate_process / validate_process_async(&self, cx, definition) {
        let definition = crate::engine::definition(cx, definition)?;
        call(move |e| {
            let loaded = match definition {
                Value::String(text) => trainyard::load_process_with(&text, Some(e)),
                document => trainyard::load_process_value(document, Some(e)),
            }?;
            Ok(views::napi_value(errors::problems(&loaded.warnings)))
        })
    }

    #[doc = " A registered process as a plain object (latest version when `version` is omitted)."]
    #[ts("id: string, version?: number", "Record<string, any>", "Promise<Record<string, any>>")]
    fn get_process / get_process_async(&self, cx, id, version) {
        let id: String = cx.arg(id, "id");
        let version: Option<u32> = cx.arg(version, "version");
        cx.finish()?;
        call(move |e| Ok(views::json(&e.get_process(&id, version)?)))
    }

    #[doc = " Every registered process id with its latest version."]
    #[ts("", "ProcessSummary[]", "Promise<ProcessSummary[]>")]
    fn list_processes / list_processes_async(&self, cx) {
        let _ = cx;
        call(move |e| {
            let list = e.list_processes()?;
            Ok(views::napi_value(list.into_iter().map(|(id, version)| ProcessSummary { id, version }).collect::<Vec<_>>()))
        })
    }

    #[doc = " Fires every timer due now and runs the queued jobs (executors run on the JS thread)."]
    #[doc = " Returns how many timers and jobs it handled."]
    #[ts("", "number", "Promise<number>")]
    fn tick / tick_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(e.tick()? as u32)))
    }

    #[doc = " Ticks until nothing is left to do at the current time (or `maxSteps` timers and jobs were"]
    #[doc = " handled; default 100000). Returns how many were handled. The async form resolves only once"]
    #[doc = " every Promise-returning executor it started has settled and its outcome is committed; the"]
    #[doc = " sync form runs on the JS thread, where no Promise can settle meanwhile."]
    #[ts("maxSteps?: number", "number", "Promise<number>")]
    fn run_until_idle / run_until_idle_async(&self, cx, max) {
        let max = max_steps(cx, max);
        cx.finish()?;
        call(move |e| Ok(views::napi_value(run_until_idle(e, max)? as u32)))
    }

    #[doc = " Archives every terminal release that ended longer ago than the retention period"]
    #[doc = " (`setRetention`; default 365 days) before `now` (default: the engine's clock); returns"]
    #[doc = " their ids. With `options.actor` it needs an account release manager."]
    #[ts("now?: Date | string | null, options?: ApplyRetentionOptions", "string[]", "Promise<string[]>")]
    fn apply_retention / apply_retention_async(&self, cx, now, options) {
        let now: Option<DateTime<Utc>> = cx.arg(now, "now");
        let o: Option<crate::options::ApplyRetentionOptions> = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.and_then(|o| o.actor).map(|a| a.core()).unwrap_or_else(trainyard::access::Actor::system);
        call(move |e| {
            Ok(views::napi_value(e.apply_retention_as(now.unwrap_or_else(|| e.clock().now()), &actor)?))
        })
    }
}

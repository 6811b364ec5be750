//! JS functions as trainyard executors.
//!
//! The core calls an executor as `Fn(&Job) -> Outcome` on whatever thread drives the engine. A JS
//! function can only run on its JS thread, so the adapter ([`JsExecutor`]) has two ways to reach it:
//!
//! * **Synchronous calls** (`tick`, `runUntilIdle`, …) run on the JS thread. They mark the thread
//!   with [`JsThread::enter`]; the adapter sees the mark and calls the function directly.
//! * **Async calls** (`tickAsync`, `runUntilIdleAsync`, …) drive the core on a libuv worker thread.
//!   There the adapter queues the call on the engine's thread-safe function ([`Dispatcher`]), whose
//!   callback runs the function on the JS thread, and waits for the outcome (the worker waits, the
//!   event loop does not). [`JsCaller`] picks the way; secret resolver functions go the same way,
//!   and notifications for `subscribe` functions are queued without waiting.
//!
//! Either way the function's result becomes an [`Outcome`] on the JS thread ([`run_on_js`]): an
//! object (or nothing) is a success with those outputs; a thrown error is a (retryable) failure with
//! the error's message (not retried automatically when the error has `retryable: false`); a thenable is [`Outcome::Started`] — the activity stays `running` — and the
//! settled value or rejection is reported later through `Engine::complete_job`, on a libuv worker
//! thread (a storage round trip never blocks the event loop).
//!
//! The JS functions themselves are held in a thread-local table of the JS thread (keyed by a
//! number the adapter carries), so nothing JS-owned is ever touched or dropped off that thread.

use crate::jobs::Job;
use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{FromNapiValue, FunctionRef, ToNapiValue, Unknown};
use napi::threadsafe_function::{ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsValue, Status, sys};
use napi_derive::napi;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak, mpsc};
use std::thread::ThreadId;
use trainyard::executor::{Executor, Outcome};

type JsFunctionRef = FunctionRef<Unknown<'static>, Unknown<'static>>;

thread_local! {
    /// The env of the synchronous binding call running on this thread, if any.
    static CURRENT_ENV: Cell<sys::napi_env> = const { Cell::new(ptr::null_mut()) };
    /// Registered executor functions, by key (only ever filled on JS threads).
    static FUNCTIONS: RefCell<HashMap<u64, JsFunctionRef>> = RefCell::new(HashMap::new());
}

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The Promises of the `runUntilIdleAsync` driving the engine on this thread, if any.
    static DRIVE: RefCell<Option<Arc<Pending>>> = const { RefCell::new(None) };
}

/// The Promises that executors returned during one `runUntilIdleAsync`: which are still open
/// (by job id) and the outcomes of those that settled, with when they settled. The driving
/// thread waits for them ([`Pending::drain`]) and commits each outcome stamped with the time
/// its Promise settled, so the call resolves only once every Promise it started has settled
/// and its outcome is committed.
#[derive(Default)]
pub struct Pending {
    state: Mutex<PendingState>,
    changed: Condvar,
}

#[derive(Default)]
struct PendingState {
    open: HashSet<String>,
    settled: Vec<(String, Outcome, DateTime<Utc>)>,
}

/// While it lives, executors called for the engine driven on this thread register their
/// Promises with its [`Pending`].
pub struct DriveGuard {
    previous: Option<Arc<Pending>>,
}

impl Drop for DriveGuard {
    fn drop(&mut self) {
        DRIVE.with(|d| *d.borrow_mut() = self.previous.take());
    }
}

/// How long [`Pending::drain`] waits before it checks whether an open job's attempt ended
/// without its Promise (the release was aborted, or the job was completed by `completeJob`).
const DRAIN_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

impl Pending {
    /// Registers this thread's executor Promises with `self` until the guard is dropped.
    pub fn enter(self: &Arc<Self>) -> DriveGuard {
        DriveGuard { previous: DRIVE.with(|d| d.borrow_mut().replace(self.clone())) }
    }

    fn current() -> Option<Arc<Pending>> {
        DRIVE.with(|d| d.borrow().clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PendingState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn start(&self, job_id: &str) {
        self.lock().open.insert(job_id.to_string());
    }

    /// Hands a settled outcome to the waiting thread; `false` when nobody waits for this job
    /// any more (then it is reported the usual way).
    fn settle(&self, job_id: &str, outcome: Outcome, at: DateTime<Utc>) -> Result<(), Outcome> {
        let mut state = self.lock();
        if !state.open.remove(job_id) {
            return Err(outcome);
        }
        state.settled.push((job_id.to_string(), outcome, at));
        drop(state);
        self.changed.notify_all();
        Ok(())
    }

    /// Waits until every open Promise has settled (or its attempt ended otherwise), committing
    /// each settled outcome on this thread. Returns how many it committed.
    pub fn drain(&self, engine: &trainyard::Engine) -> trainyard::Result<usize> {
        let mut committed = 0;
        loop {
            let (batch, open) = {
                let mut state = self.lock();
                if state.settled.is_empty() && !state.open.is_empty() {
                    state = self.changed.wait_timeout(state, DRAIN_CHECK).unwrap_or_else(|e| e.into_inner()).0;
                }
                (std::mem::take(&mut state.settled), state.open.len())
            };
            if batch.is_empty() {
                if open == 0 {
                    return Ok(committed);
                }
                let live: HashSet<String> = engine.list_jobs()?.into_iter().map(|r| r.job.id).collect();
                self.lock().open.retain(|job| live.contains(job));
                continue;
            }
            for (job_id, outcome, at) in batch {
                complete_at(engine, &job_id, outcome, at)?;
                committed += 1;
            }
        }
    }
}

/// Commits a settled Promise's outcome stamped with when it settled (not after the clock's time
/// now: a `ManualClock` may have been set back meanwhile). A stale report (the release was
/// aborted, restarted or deleted meanwhile) is dropped, as the core does for in-process jobs.
fn complete_at(engine: &trainyard::Engine, job_id: &str, outcome: Outcome, at: DateTime<Utc>) -> trainyard::Result<()> {
    let at = at.min(engine.clock().now());
    match engine.complete_job_at(job_id, outcome, at) {
        Ok(())
        | Err(trainyard::Error::Conflict { .. })
        | Err(trainyard::Error::InvalidTransition { .. })
        | Err(trainyard::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Marks the current (JS) thread as inside a synchronous binding call for as long as it lives:
/// executors called meanwhile run their JS function directly.
pub struct JsThread {
    previous: sys::napi_env,
}

impl JsThread {
    /// Enters a synchronous call on `env`'s thread.
    pub fn enter(env: &Env) -> Self {
        JsThread { previous: CURRENT_ENV.with(|c| c.replace(env.raw())) }
    }
}

impl Drop for JsThread {
    fn drop(&mut self) {
        CURRENT_ENV.with(|c| c.set(self.previous));
    }
}

/// Whether this thread is inside a synchronous binding call (on the JS thread).
pub fn on_js_thread() -> bool {
    !CURRENT_ENV.with(Cell::get).is_null()
}

/// Stores `function` in the JS thread's table and returns its key.
pub fn keep(function: JsFunctionRef) -> u64 {
    let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
    FUNCTIONS.with(|f| f.borrow_mut().insert(key, function));
    key
}

/// Drops the function stored under `key` (call on the JS thread that stored it).
pub fn forget(key: u64) {
    let dropped = FUNCTIONS.with(|f| f.borrow_mut().remove(&key));
    drop(dropped);
}

/// Work for the JS thread, queued from another thread.
pub type JsWork = Box<dyn FnOnce(&Env) + Send>;

/// The engine's thread-safe function: its callback runs queued work (executor calls, secret
/// lookups, notification deliveries) on the JS thread.
/// Weak: it does not keep the process alive by itself (a pending async call does).
pub type Dispatcher = ThreadsafeFunction<JsWork, (), (), Status, false, true>;

/// Builds the engine's dispatcher on `env`'s thread.
pub fn dispatcher(env: &Env) -> napi::Result<Dispatcher> {
    let noop = env.create_function_from_closure::<(), (), _>("trainyardDispatch", |_| Ok(()))?;
    noop.build_threadsafe_function::<JsWork>().callee_handled::<false>().weak::<true>().build_callback(
        |ctx: ThreadsafeCallContext<JsWork>| {
            (ctx.value)(&ctx.env);
            Ok(())
        },
    )
}

/// Reaches the JS thread of an engine from any thread: directly when already on it, else through
/// the engine's [`Dispatcher`].
#[derive(Clone)]
pub struct JsCaller {
    dispatcher: Arc<Dispatcher>,
    thread: ThreadId,
    /// The env of the JS thread (a `napi_env`, kept as an integer so the caller is `Send`).
    env: usize,
}

impl JsCaller {
    /// A caller for `env`'s thread (call on that thread).
    pub fn new(env: &Env) -> napi::Result<Self> {
        Ok(JsCaller {
            dispatcher: Arc::new(dispatcher(env)?),
            thread: std::thread::current().id(),
            env: env.raw() as usize,
        })
    }

    /// The env to use directly, when the current thread is the JS thread.
    fn here(&self) -> Option<Env> {
        let raw = CURRENT_ENV.with(Cell::get);
        if !raw.is_null() {
            return Some(Env::from_raw(raw));
        }
        (std::thread::current().id() == self.thread).then(|| Env::from_raw(self.env as sys::napi_env))
    }

    /// Runs `f` on the JS thread and waits for its result (`None`: the environment is closing).
    pub fn call<R: Send + 'static>(&self, f: impl FnOnce(&Env) -> R + Send + 'static) -> Option<R> {
        if let Some(env) = self.here() {
            return Some(f(&env));
        }
        let (reply, result) = mpsc::channel();
        let work: JsWork = Box::new(move |env| {
            let _ = reply.send(f(env));
        });
        if self.dispatcher.call(work, ThreadsafeFunctionCallMode::Blocking) != Status::Ok {
            return None;
        }
        result.recv().ok()
    }

    /// Runs `f` on the JS thread: now when already on it, else later (the caller does not wait).
    pub fn post(&self, f: impl FnOnce(&Env) + Send + 'static) {
        if let Some(env) = self.here() {
            return f(&env);
        }
        let _ = self.dispatcher.call(Box::new(f), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// The core-side adapter of a JS executor function.
pub struct JsExecutor {
    pub key: u64,
    pub name: String,
    pub engine: Weak<trainyard::Engine>,
    pub caller: JsCaller,
}

impl Executor for JsExecutor {
    fn execute(&self, job: &trainyard::executor::Job) -> Outcome {
        let (key, name, job, engine) = (self.key, self.name.clone(), job.clone(), self.engine.clone());
        let pending = Pending::current();
        self.caller.call(move |env| run_on_js(env, key, &name, &job, &engine, pending)).unwrap_or_else(|| {
            Outcome::Failure {
                message: format!("executor `{}` could not run: the JS environment is shutting down", self.name),
                retryable: true,
            }
        })
    }
}

/// The function stored under `key`, on the JS thread.
pub fn stored(env: &Env, key: u64) -> Option<napi::Result<sys::napi_value>> {
    FUNCTIONS.with(|f| f.borrow().get(&key).map(|r| r.borrow_back(env).map(|f| f.raw())))
}

/// Calls the function stored under `key` with one argument: `Ok(returned)`, or `Err(message)` when
/// it threw (the error's message) or could not be called.
pub fn call_stored<A: ToNapiValue>(env: &Env, key: u64, arg: A) -> Result<sys::napi_value, String> {
    let function = match stored(env, key) {
        Some(Ok(f)) => f,
        Some(Err(e)) => return Err(format!("the function could not be called: {e}")),
        None => return Err("the function is no longer registered".into()),
    };
    let raw = env.raw();
    match unsafe { A::to_napi_value(raw, arg).and_then(|a| call_function(raw, function, &[a])) } {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(thrown)) => Err(message_of(raw, thrown)),
        Err(e) => Err(format!("the function could not be called: {e}")),
    }
}

/// A JS subscriber function: notifications from the JS thread are delivered at once (a throw is
/// counted by the core); from worker threads they are queued to the JS thread (a throw is counted
/// in `failures`). Never blocks the engine and never throws into it.
pub struct JsSubscriber {
    pub key: u64,
    pub caller: JsCaller,
    pub failures: Arc<AtomicU64>,
}

impl trainyard::notify::Subscriber for JsSubscriber {
    fn notify(&self, notification: &trainyard::notify::Notification) -> Result<(), String> {
        let n = Notification::from(notification);
        if let Some(env) = self.caller.here() {
            return call_stored(&env, self.key, n).map(|_| ());
        }
        let (key, failures) = (self.key, self.failures.clone());
        self.caller.post(move |env| {
            if call_stored(env, key, n).is_err() {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(())
    }

    fn name(&self) -> &str {
        "js subscriber"
    }
}

/// A JS function `(name) => string` as the secret resolver; it runs on the JS thread (worker
/// threads wait for it). A throw, or a value that is not a string, is the resolver's error.
pub struct JsSecretResolver {
    pub key: u64,
    pub caller: JsCaller,
}

impl trainyard::secrets::SecretResolver for JsSecretResolver {
    fn resolve(&self, name: &str) -> Result<String, String> {
        let (key, secret) = (self.key, name.to_string());
        let run = move |env: &Env| {
            let value = call_stored(env, key, secret)?;
            let raw = env.raw();
            if type_of(raw, value) != sys::ValueType::napi_string {
                return Err(format!(
                    "the secret resolver returned a {} instead of a string",
                    type_name(type_of(raw, value))
                ));
            }
            crate::convert::Cx::from_raw(raw)
                .string(value)
                .map_err(|why| format!("the secret resolver returned a string that {}", why.trim_start_matches("it ")))
        };
        self.caller.call(run).unwrap_or_else(|| Err("the JS environment is shutting down".into()))
    }
}

/// Runs the executor function stored under `key` for `job` on the JS thread and turns what it
/// returned or threw into an outcome (a thenable: `Started`, reported when it settles).
fn run_on_js(
    env: &Env,
    key: u64,
    name: &str,
    job: &trainyard::executor::Job,
    engine: &Weak<trainyard::Engine>,
    pending: Option<Arc<Pending>>,
) -> Outcome {
    let function = match stored(env, key) {
        Some(Ok(f)) => f,
        Some(Err(e)) => return failure(format!("executor `{name}` could not be called: {e}")),
        None => return failure(format!("executor `{name}` is no longer registered")),
    };
    let raw = env.raw();
    let result =
        unsafe { Job::to_napi_value(raw, Job::from(job)).and_then(|arg| call_function(raw, function, &[arg])) };
    match result {
        Ok(Ok(value)) => settle(env, value, name, &job.id, engine, pending),
        Ok(Err(thrown)) => failure_of(raw, thrown),
        Err(e) => failure(format!("executor `{name}` could not be called: {e}")),
    }
}

fn failure(message: String) -> Outcome {
    Outcome::Failure { message, retryable: true }
}

/// The failure for a thrown value or rejection reason: its message; retryable unless the error
/// says `retryable: false` (then the activity's retry policy is skipped and `on_failure` decides).
fn failure_of(env: sys::napi_env, thrown: sys::napi_value) -> Outcome {
    let retryable = match property(env, thrown, c"retryable") {
        Some(flag) if type_of(env, flag) == sys::ValueType::napi_boolean => {
            unsafe { bool::from_napi_value(env, flag) }.unwrap_or(true)
        }
        _ => true,
    };
    Outcome::Failure { message: message_of(env, thrown), retryable }
}

/// Calls `function` with `undefined` as `this`: `Ok(Ok(returned))` or `Ok(Err(thrown))`.
unsafe fn call_function(
    env: sys::napi_env,
    function: sys::napi_value,
    args: &[sys::napi_value],
) -> napi::Result<Result<sys::napi_value, sys::napi_value>> {
    let mut this = ptr::null_mut();
    let mut returned = ptr::null_mut();
    unsafe {
        sys::napi_get_undefined(env, &mut this);
        let status = sys::napi_call_function(env, this, function, args.len(), args.as_ptr(), &mut returned);
        if status == sys::Status::napi_pending_exception {
            let mut thrown = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut thrown);
            return Ok(Err(thrown));
        }
        if status != sys::Status::napi_ok {
            return Err(napi::Error::new(Status::from(status), "calling the function failed".to_string()));
        }
    }
    Ok(Ok(returned))
}

fn type_of(env: sys::napi_env, value: sys::napi_value) -> i32 {
    let mut t = -1;
    unsafe { sys::napi_typeof(env, value, &mut t) };
    t
}

fn property(env: sys::napi_env, value: sys::napi_value, name: &std::ffi::CStr) -> Option<sys::napi_value> {
    let t = type_of(env, value);
    if t != sys::ValueType::napi_object && t != sys::ValueType::napi_function {
        return None;
    }
    let mut out = ptr::null_mut();
    let status = unsafe { sys::napi_get_named_property(env, value, name.as_ptr(), &mut out) };
    if status != sys::Status::napi_ok {
        let mut ignored = ptr::null_mut();
        unsafe { sys::napi_get_and_clear_last_exception(env, &mut ignored) };
        return None;
    }
    Some(out)
}

/// The message of a thrown value or rejection reason: `error.message` for an error-like object,
/// else the value as text.
pub fn message_of(env: sys::napi_env, value: sys::napi_value) -> String {
    let text = |v: sys::napi_value| -> Option<String> {
        let mut s = ptr::null_mut();
        if unsafe { sys::napi_coerce_to_string(env, v, &mut s) } != sys::Status::napi_ok {
            let mut ignored = ptr::null_mut();
            unsafe { sys::napi_get_and_clear_last_exception(env, &mut ignored) };
            return None;
        }
        unsafe { String::from_napi_value(env, s) }.ok()
    };
    if let Some(message) = property(env, value, c"message") {
        if type_of(env, message) == sys::ValueType::napi_string {
            if let Some(m) = text(message) {
                return m;
            }
        }
    }
    text(value).unwrap_or_else(|| "the executor failed with a value that cannot be shown".to_string())
}

/// The outcome of a value an executor returned (or a promise resolved to): nothing is a success
/// without outputs, a plain object a success with those outputs, anything else a failure.
fn outputs_outcome(env: sys::napi_env, value: sys::napi_value, name: &str) -> Outcome {
    let t = type_of(env, value);
    if t == sys::ValueType::napi_undefined || t == sys::ValueType::napi_null {
        return Outcome::success();
    }
    let mut is_array = false;
    unsafe { sys::napi_is_array(env, value, &mut is_array) };
    if t != sys::ValueType::napi_object || is_array {
        let what = if is_array { "an array".to_string() } else { format!("a {}", type_name(t)) };
        return Outcome::Failure {
            message: format!("executor `{name}` returned {what}; return an object of outputs (or nothing)"),
            retryable: false,
        };
    }
    let mut cx = crate::convert::Cx::from_raw(env);
    let outputs = cx.json(value, &mut "outputs".to_string());
    match outputs {
        Some(Value::Object(map)) => Outcome::Success { outputs: map.into_iter().collect() },
        Some(_) => Outcome::success(),
        None => {
            let problems: Vec<String> = cx.take().iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
            Outcome::Failure {
                message: format!(
                    "executor `{name}` returned outputs that are not JSON values: {}",
                    problems.join("; ")
                ),
                retryable: false,
            }
        }
    }
}

fn type_name(t: i32) -> &'static str {
    match t {
        sys::ValueType::napi_boolean => "boolean",
        sys::ValueType::napi_number => "number",
        sys::ValueType::napi_string => "string",
        sys::ValueType::napi_symbol => "symbol",
        sys::ValueType::napi_function => "function",
        9 => "bigint",
        _ => "value",
    }
}

/// Turns what the executor returned into an outcome; a thenable is `Started`, its settlement
/// reported through `complete_job`.
fn settle(
    env: &Env,
    value: sys::napi_value,
    name: &str,
    job_id: &str,
    engine: &Weak<trainyard::Engine>,
    pending: Option<Arc<Pending>>,
) -> Outcome {
    let raw = env.raw();
    let then = property(raw, value, c"then").filter(|t| type_of(raw, *t) == sys::ValueType::napi_function);
    let Some(then) = then else { return outputs_outcome(raw, value, name) };
    match attach(env, value, then, name, job_id, engine, pending.clone()) {
        Ok(()) => {
            if let Some(p) = pending {
                p.start(job_id);
            }
            Outcome::Started
        }
        Err(e) => failure(format!("executor `{name}` returned a promise that could not be awaited: {e}")),
    }
}

fn attach(
    env: &Env,
    promise: sys::napi_value,
    then: sys::napi_value,
    name: &str,
    job_id: &str,
    engine: &Weak<trainyard::Engine>,
    pending: Option<Arc<Pending>>,
) -> napi::Result<()> {
    let (n1, j1, e1, p1) = (name.to_string(), job_id.to_string(), engine.clone(), pending.clone());
    let fulfilled = env.create_function_from_closure::<(), (), _>("onFulfilled", move |ctx| {
        let raw = ctx.env.raw();
        let value: Unknown = ctx.get(0)?;
        complete(ctx.env, &e1, &j1, outputs_outcome(raw, value.raw(), &n1), p1.as_deref());
        Ok(())
    })?;
    let (j2, e2, p2) = (job_id.to_string(), engine.clone(), pending);
    let rejected = env.create_function_from_closure::<(), (), _>("onRejected", move |ctx| {
        let raw = ctx.env.raw();
        let reason: Unknown = ctx.get(0)?;
        complete(ctx.env, &e2, &j2, failure_of(raw, reason.raw()), p2.as_deref());
        Ok(())
    })?;
    let raw = env.raw();
    let mut returned = ptr::null_mut();
    let args = [fulfilled.raw(), rejected.raw()];
    let status = unsafe { sys::napi_call_function(raw, promise, then, 2, args.as_ptr(), &mut returned) };
    if status == sys::Status::napi_pending_exception {
        let mut thrown = ptr::null_mut();
        unsafe { sys::napi_get_and_clear_last_exception(raw, &mut thrown) };
        return Err(napi::Error::from_reason(message_of(raw, thrown)));
    }
    if status != sys::Status::napi_ok {
        return Err(napi::Error::new(Status::from(status), "calling `then` failed".to_string()));
    }
    Ok(())
}

/// Reports a settled promise's outcome on a libuv worker thread (a SQLite or PostgreSQL round
/// trip never blocks the event loop). Stale reports (the release was aborted, restarted or deleted
/// meanwhile) are dropped, as the core does for in-process jobs; any other error is a process
/// warning, since no caller is waiting for it.
fn complete(env: &Env, engine: &Weak<trainyard::Engine>, job_id: &str, outcome: Outcome, pending: Option<&Pending>) {
    let Some(engine) = engine.upgrade() else { return };
    // The outcome was reached now, whenever it is committed.
    let at = engine.clock().now();
    let outcome = match pending {
        // The `runUntilIdleAsync` that started it is waiting: it commits the outcome.
        Some(p) => match p.settle(job_id, outcome, at) {
            Ok(()) => return,
            Err(outcome) => outcome,
        },
        None => outcome,
    };
    let task = CompleteTask { engine, job_id: job_id.to_string(), outcome: Some(outcome), at };
    if let Err(e) = env.spawn(task) {
        warn(env, &format!("trainyard: reporting job {job_id} failed: {e}"));
    }
}

struct CompleteTask {
    engine: Arc<trainyard::Engine>,
    job_id: String,
    outcome: Option<Outcome>,
    /// When the Promise settled.
    at: DateTime<Utc>,
}

impl napi::Task for CompleteTask {
    type Output = trainyard::Result<()>;
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let outcome = self.outcome.take().unwrap_or(Outcome::Started);
        Ok(complete_at(&self.engine, &self.job_id, outcome, self.at))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<()> {
        match output {
            Ok(()) => {}
            Err(e) => warn(&env, &format!("trainyard: reporting job {} failed: {e} ({})", self.job_id, e.code())),
        }
        Ok(())
    }
}

/// `process.emitWarning(message)`, best effort.
pub fn warn(env: &Env, message: &str) {
    let raw = env.raw();
    unsafe {
        let mut global = ptr::null_mut();
        sys::napi_get_global(raw, &mut global);
        let Some(process) = property(raw, global, c"process") else { return };
        let Some(emit) = property(raw, process, c"emitWarning") else { return };
        if let Ok(text) = String::to_napi_value(raw, message.to_string()) {
            let mut ignored = ptr::null_mut();
            if sys::napi_call_function(raw, process, emit, 1, [text].as_ptr(), &mut ignored)
                == sys::Status::napi_pending_exception
            {
                sys::napi_get_and_clear_last_exception(raw, &mut ignored);
            }
        }
    }
}

/// A notification, as delivered to `subscribe` functions (who hears about what: README,
/// "Notifications").
#[napi(object, use_nullable = true)]
#[derive(Clone)]
pub struct Notification {
    /// What happened.
    #[napi(ts_type = "NotificationKind")]
    pub kind: String,
    /// The release.
    pub release_id: String,
    /// The release's display name.
    pub release_name: String,
    /// The phase, for phase and activity notifications.
    pub phase: Option<String>,
    /// The activity, for activity notifications.
    pub activity: Option<String>,
    /// For `release_ended` and `phase_ended`: the final status (`skipped` for a skipped phase).
    pub status: Option<String>,
    /// Who should hear about it: user ids, group names, `group:<name>` for approver groups.
    pub recipients: Vec<String>,
    /// When it happened (the event's time).
    pub at: DateTime<Utc>,
    /// The sequence number of the event that caused it (with `releaseId`, a key for de-duplication).
    pub seq: i64,
    /// A one-line human-readable text.
    pub message: String,
}

impl From<&trainyard::notify::Notification> for Notification {
    fn from(n: &trainyard::notify::Notification) -> Self {
        Notification {
            kind: n.kind.as_str().to_string(),
            release_id: n.release_id.clone(),
            release_name: n.release_name.clone(),
            phase: n.phase.clone(),
            activity: n.activity.clone(),
            status: n.status.clone(),
            recipients: n.recipients.clone(),
            at: n.at,
            seq: n.seq as i64,
            message: n.message.clone(),
        }
    }
}

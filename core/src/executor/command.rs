//! The built-in `command` executor: runs a program for an automated activity.
//!
//! ```yaml
//! - id: build
//!   kind: automated
//!   executor: command
//!   with:
//!     argv: ["make", "release", "VERSION=${inputs.version}"]
//!     env: { CI: "1" }
//!     cwd: services/api
//!     timeout: 10m
//!   outputs: [artifact]
//! ```
//!
//! # Inputs (`job.inputs`, the activity's resolved `with` values)
//!
//! | key | meaning |
//! |---|---|
//! | `argv` | the program and its arguments, a list of strings (numbers and booleans are written out). No shell is involved. |
//! | `shell` | `true`: run through `sh -c`. `argv` is then a single string (the command line), or a list whose first item is the command line and whose other items become `$0`, `$1`, … exactly as with `sh -c`. |
//! | `env` | a map of extra environment variables (strings, numbers, booleans; objects and lists are written as JSON; `null` removes an inherited variable). The child inherits the engine's environment otherwise. |
//! | `cwd` (alias `working_dir`) | the working directory: relative paths resolve against the executor's base dir ([`CommandExecutor::with_base_dir`], default: the current directory), absolute paths are used as is. It must exist. |
//! | `timeout` | `30s`, `5m`, `1h30m` (or a number of seconds). The job's `deadline` (the activity's `timeout`) also applies; the earlier one wins. |
//!
//! Other keys are ignored (they may be meant for interpolation elsewhere).
//!
//! # What the child gets
//!
//! * stdin is `/dev/null`; stdout and stderr are captured, keeping only the **last 64 KiB** of each
//!   (memory stays bounded whatever the child prints). The job's secret values
//!   ([`Job::secrets`]) are replaced by `***` in the capture **before** it is cut, so a cut that
//!   falls inside a secret keeps none of it.
//! * `TRAINYARD_OUTPUT`: the path of an empty file (mode 0600) the child may write its outputs to,
//!   like CI systems do: `name=value` lines, and `name<<EOF` … `EOF` blocks for multi-line values
//!   (any delimiter). See [`parse_outputs`]. It is read back without following what the child put
//!   there: opened with `O_NOFOLLOW | O_NONBLOCK`, refused unless `fstat` says it is a regular file
//!   (a symbolic link, FIFO, socket, device or directory fails the job, named in the message), at
//!   most [`OUTPUT_FILE_LIMIT`] bytes, within [`OUTPUT_READ_WAIT`]. It is removed afterwards.
//! * `TRAINYARD_JOB_ID`, `TRAINYARD_RELEASE_ID`, `TRAINYARD_PHASE_ID`, `TRAINYARD_ACTIVITY_ID`,
//!   `TRAINYARD_ATTEMPT`.
//! * On unix the child leads a **new process group**. A timeout or [`Executor::cancel`] sends
//!   `SIGTERM` to the whole group, then `SIGKILL` after a grace period
//!   ([`CommandExecutor::with_kill_grace`], default 2 s). When the child exits, whatever it left
//!   running in its group is killed too (as CI runners do), so no orphan keeps running.
//!
//! # Outcomes
//!
//! Every failure is an [`Outcome::FailureWithDetail`]: a message, and a
//! [`FailureDetail`] with the `reason`, the exit code or signal and the
//! last 4 KiB of stderr (see [`super::failure`]).
//!
//! | what happened | outcome | `reason` |
//! |---|---|---|
//! | exit code 0 | `Success` with the outputs from `TRAINYARD_OUTPUT` | |
//! | exit code 0 but an outputs file that is malformed, too large, not a regular file or gone | failure, `retryable: false` | `invalid_outputs` |
//! | non-zero exit code | failure, `retryable: true` | `exit_code` |
//! | killed by a signal | failure, `retryable: true` | `signal` |
//! | timeout | failure, `retryable: true` | `timed_out` |
//! | cancelled | failure, `retryable: false` | `cancelled` |
//! | bad inputs, missing program, missing working dir, deadline passed, no outputs file | failure with a clear message, `retryable: false` (a passed deadline or an outputs file that cannot be created: `true`) | `not_started` |
//! | the same job id is already running here (a redelivery) | `Started`: the run in progress reports | |
//!
//! The message has this form (the tails only for streams that printed something; `last N of M
//! bytes` when the stream was cut; one of the first lines):
//!
//! ```text
//! `make` exited with code 2
//! `make` was killed by signal 9 (SIGKILL)
//! `make` timed out after 10s; its process group was killed
//! `make` was cancelled; its process group was killed
//! --- stderr (last 65536 of 70000 bytes) ---
//! …the last 64 KiB of stderr…
//! --- stdout (12 bytes) ---
//! …stdout…
//! ```
//!
//! Logging goes through `tracing` (target `trainyard::executor::command`): the job id and the
//! program name (secrets redacted), never the arguments or the environment.

mod capture;
mod outputs;

pub use outputs::{OUTPUT_READ_WAIT, parse_outputs};

use super::failure::{FailureDetail, FailureReason, STDERR_TAIL_LIMIT, Signal};
use super::{Executor, Job, Outcome};
use crate::secrets::Redactor;
use capture::{Capture, Tail, format_tails};
use outputs::OutputFile;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How much of stdout and of stderr is kept (the tail): 64 KiB each.
pub const CAPTURE_LIMIT: usize = 64 * 1024;

/// The largest outputs file read (1 MiB); a larger one fails the job.
pub const OUTPUT_FILE_LIMIT: u64 = 1024 * 1024;

/// The name of the environment variable holding the outputs file path.
pub const OUTPUT_ENV: &str = "TRAINYARD_OUTPUT";

/// How long cancellations requested before a job started are remembered.
const EARLY_CANCEL_TTL: Duration = Duration::from_secs(600);

/// How long to wait for the capture threads after the child exited (a process that escaped the
/// group may hold the pipes open).
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// The built-in `command` executor (see the [module docs](self)). Register it with
/// `engine.register_executor("command", CommandExecutor::new())`. `Send + Sync`; runs any number of
/// jobs at once, each on the calling thread.
pub struct CommandExecutor {
    base_dir: PathBuf,
    clock: std::sync::Arc<dyn crate::schedule::Clock>,
    kill_grace: Duration,
    capture_limit: usize,
    registry: Mutex<Registry>,
}

impl std::fmt::Debug for CommandExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandExecutor")
            .field("base_dir", &self.base_dir)
            .field("kill_grace", &self.kill_grace)
            .field("capture_limit", &self.capture_limit)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Registry {
    /// Running jobs: job id → child process (group) and its cancel flag.
    running: HashMap<String, Running>,
    /// Cancellations that arrived before the job started.
    early: HashMap<String, Instant>,
}

#[derive(Debug)]
struct Running {
    pid: u32,
    cancelled: Arc<AtomicBool>,
}

impl Default for CommandExecutor {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandExecutor {
    /// An executor resolving relative `cwd`s against the current directory, with a 2 s kill grace.
    pub fn new() -> Self {
        CommandExecutor {
            base_dir: PathBuf::from("."),
            clock: std::sync::Arc::new(crate::schedule::SystemClock),
            kill_grace: Duration::from_secs(2),
            capture_limit: CAPTURE_LIMIT,
            registry: Mutex::new(Registry::default()),
        }
    }

    /// Measure job deadlines against this clock (the engine's): with a simulated clock, a job's
    /// deadline is in simulated time. The default is the system clock.
    pub fn with_clock(mut self, clock: std::sync::Arc<dyn crate::schedule::Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Resolve relative `cwd` inputs (and run jobs without one) in `dir`.
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = dir.into();
        self
    }

    /// How long a timed-out or cancelled process group has between `SIGTERM` and `SIGKILL`.
    pub fn with_kill_grace(mut self, grace: Duration) -> Self {
        self.kill_grace = grace;
        self
    }

    /// The base directory for relative working directories.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The ids of the jobs running now.
    pub fn running_jobs(&self) -> Vec<String> {
        self.registry().running.keys().cloned().collect()
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a job; every text of the outcome is redacted with the job's secret values.
    fn run(&self, job: &Job) -> Outcome {
        let redactor = Redactor::new(&job.secrets);
        let (outcome, program) = self.run_job(job, &redactor);
        let outcome = outcome.redacted(&redactor);
        let program = redactor.redact(&program);
        match &outcome {
            Outcome::Success { outputs } => {
                tracing::info!(job = %job.id, program = %program, outputs = outputs.len(), "command succeeded")
            }
            Outcome::Started => {}
            failed => {
                let (_, retryable) = failed.failure_parts().unwrap_or_default();
                let reason = failed.failure_detail().map(|d| d.reason.as_str()).unwrap_or_default();
                tracing::info!(job = %job.id, program = %program, retryable, reason, "command failed")
            }
        }
        outcome
    }

    /// Runs a job: the outcome (tails already redacted before their cut) and the program's name.
    fn run_job(&self, job: &Job, redactor: &Redactor) -> (Outcome, String) {
        let spec = match Spec::parse(job, &self.base_dir) {
            Ok(spec) => spec,
            Err(message) => return (not_started(format!("command executor: {message}"), false), "?".into()),
        };
        let program = spec.display.clone();
        let limit = match effective_timeout(spec.timeout, job.deadline, self.clock.now()) {
            Ok(limit) => limit,
            Err(message) => return (not_started(message, true), program),
        };
        let out_file = match OutputFile::create(&job.id) {
            Ok(f) => f,
            Err(e) => return (not_started(format!("cannot create the outputs file: {e}"), true), program),
        };
        let mut cmd = spec.command(job, &out_file.path);
        // Spawn under the registry lock, so a concurrent `cancel` either finds the job or leaves a
        // note that it must not start.
        let cancelled = Arc::new(AtomicBool::new(false));
        let mut child = {
            let mut reg = self.registry();
            reg.early.retain(|_, at| at.elapsed() < EARLY_CANCEL_TTL);
            if reg.early.remove(&job.id).is_some() {
                let detail = FailureDetail::new(FailureReason::Cancelled);
                let outcome = Outcome::FailureWithDetail {
                    message: "cancelled before it started".into(),
                    retryable: false,
                    detail,
                };
                return (outcome, program);
            }
            if reg.running.contains_key(&job.id) {
                // A redelivery of a job that is still running here: its result comes from the run
                // in progress.
                tracing::debug!(job = %job.id, "already running; redelivery ignored");
                return (Outcome::Started, program);
            }
            match cmd.spawn() {
                Ok(child) => {
                    reg.running.insert(job.id.clone(), Running { pid: child.id(), cancelled: cancelled.clone() });
                    child
                }
                Err(e) => return (not_started(spawn_error(&spec, &e), false), program),
            }
        };
        tracing::debug!(job = %job.id, program = %redactor.redact(&program), pid = child.id(), "command started");
        // Keep enough before the cut to recognise a secret the cut falls into.
        let capacity = self.capture_limit + redactor.lookbehind();
        let stdout = Capture::start(child.stdout.take(), capacity);
        let stderr = Capture::start(child.stderr.take(), capacity);

        let end = self.wait(&mut child, limit, &cancelled);
        // Exited (not reaped yet on unix): forget the job, kill what it left in its group, reap.
        self.registry().running.remove(&job.id);
        sys::signal_group(child.id(), true);
        let status = child.wait();
        let drain_deadline = Instant::now() + DRAIN_WAIT;
        let out_tail = stdout.finish(drain_deadline);
        let err_tail = stderr.finish(drain_deadline);
        let ran = Ran { display: &spec.display, end, status, stderr: err_tail, stdout: out_tail };
        (ran.outcome(&out_file, redactor, self.capture_limit), program)
    }

    /// Waits until the child exits (without reaping it on unix), enforcing the time limit and
    /// cancellation: `SIGTERM` to the group, then `SIGKILL` after the grace period.
    fn wait(&self, child: &mut Child, limit: Option<Duration>, cancelled: &AtomicBool) -> End {
        let started = Instant::now();
        let mut terminating: Option<(Instant, End)> = None;
        let mut killed = false;
        let mut pause = Duration::from_millis(1);
        loop {
            match sys::exited(child) {
                Ok(true) => {
                    return match terminating {
                        Some((_, why)) => why,
                        // `cancel` signals the group itself; the child may be gone before we look.
                        None if cancelled.load(Ordering::SeqCst) => End::Cancelled,
                        None => End::Exited,
                    };
                }
                Ok(false) => {}
                Err(e) => {
                    sys::signal_group(child.id(), true);
                    return End::Error(e);
                }
            }
            let now = Instant::now();
            match &terminating {
                None => {
                    let why = if cancelled.load(Ordering::SeqCst) {
                        Some(End::Cancelled)
                    } else {
                        limit.filter(|l| now.duration_since(started) >= *l).map(End::TimedOut)
                    };
                    if let Some(why) = why {
                        tracing::info!(pid = child.id(), reason = why.name(), "terminating process group");
                        sys::signal_group(child.id(), false);
                        terminating = Some((now, why));
                        pause = Duration::from_millis(1);
                    }
                }
                Some((since, _)) if !killed && now.duration_since(*since) >= self.kill_grace => {
                    tracing::info!(pid = child.id(), "grace period over; killing process group");
                    sys::signal_group(child.id(), true);
                    killed = true;
                }
                Some(_) => {}
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(25));
        }
    }
}

impl Executor for CommandExecutor {
    fn execute(&self, job: &Job) -> Outcome {
        let span = tracing::info_span!("command_job", job = %job.id, attempt = job.attempt);
        let _enter = span.enter();
        self.run(job)
    }

    /// Kills the process group of `job` if it runs here (`SIGTERM`, then `SIGKILL` after the grace
    /// period); the job then fails with "cancelled", `retryable: false`. A cancel that arrives
    /// before the job starts keeps it from starting (remembered for 10 minutes).
    fn cancel(&self, job: &Job) {
        let mut reg = self.registry();
        if let Some(running) = reg.running.get(&job.id) {
            running.cancelled.store(true, Ordering::SeqCst);
            tracing::info!(job = %job.id, pid = running.pid, "cancel requested");
            sys::signal_group(running.pid, false);
        } else {
            tracing::debug!(job = %job.id, "cancel requested before the job started");
            reg.early.insert(job.id.clone(), Instant::now());
        }
    }
}

/// How a wait ended.
enum End {
    Exited,
    TimedOut(Duration),
    Cancelled,
    Error(std::io::Error),
}

impl End {
    fn name(&self) -> &'static str {
        match self {
            End::Exited => "exited",
            End::TimedOut(_) => "timeout",
            End::Cancelled => "cancelled",
            End::Error(_) => "error",
        }
    }
}

/// A parsed job: what to run, where, for how long.
#[derive(Debug)]
struct Spec {
    program: String,
    args: Vec<String>,
    /// For messages and logs: the program (or `sh -c`), never the arguments.
    display: String,
    env: Vec<(String, Option<String>)>,
    cwd: PathBuf,
    timeout: Option<Duration>,
}

impl Spec {
    fn parse(job: &Job, base: &Path) -> Result<Spec, String> {
        let inputs = &job.inputs;
        let shell = match inputs.get("shell") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(format!("`shell` must be true or false, got {other}")),
        };
        let argv = inputs.get("argv").ok_or("`argv` is required (a list: program and arguments)")?;
        let (program, args, display) = if shell {
            let list = match argv {
                Value::String(s) => vec![s.clone()],
                Value::Array(items) => scalar_list(items)?,
                other => return Err(format!("with `shell: true`, `argv` must be a command line string, got {other}")),
            };
            if list.first().is_none_or(|s| s.trim().is_empty()) {
                return Err("`argv` is an empty command line".into());
            }
            let mut args = vec!["-c".to_string()];
            args.extend(list);
            ("sh".to_string(), args, "sh -c".to_string())
        } else {
            let list = match argv {
                Value::Array(items) => scalar_list(items)?,
                Value::String(_) => {
                    return Err("`argv` must be a list of strings; to run a command line, set `shell: true`".into());
                }
                other => return Err(format!("`argv` must be a list of strings, got {other}")),
            };
            let mut it = list.into_iter();
            let program =
                it.next().filter(|p| !p.is_empty()).ok_or("`argv` is empty; it needs at least the program")?;
            if program.contains('\0') {
                return Err("the program name contains a NUL byte".into());
            }
            (program.clone(), it.collect(), program)
        };
        if args.iter().any(|a| a.contains('\0')) {
            return Err("an argument contains a NUL byte".into());
        }
        let mut env = Vec::new();
        match inputs.get("env") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    if k.is_empty() || k.contains('=') || k.contains('\0') {
                        return Err(format!(
                            "`env` has an invalid variable name `{k}` (empty, or contains `=` or NUL)"
                        ));
                    }
                    let value = match v {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_) => Some(v.to_string()),
                    };
                    if value.as_deref().is_some_and(|s| s.contains('\0')) {
                        return Err(format!("`env.{k}` contains a NUL byte"));
                    }
                    env.push((k.clone(), value));
                }
            }
            Some(other) => return Err(format!("`env` must be a map of variable names to values, got {other}")),
        }
        let cwd = match inputs.get("cwd").or_else(|| inputs.get("working_dir")) {
            None | Some(Value::Null) => base.to_path_buf(),
            Some(Value::String(dir)) => base.join(dir),
            Some(other) => return Err(format!("`cwd` must be a path string, got {other}")),
        };
        if !cwd.is_dir() {
            return Err(format!("working directory `{}` does not exist or is not a directory", cwd.display()));
        }
        let timeout = match inputs.get("timeout") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => {
                let d = crate::model::Duration::parse(text).map_err(|e| format!("`timeout`: {e}"))?;
                Some(Duration::from_secs(d.as_secs()))
            }
            Some(Value::Number(n)) => match n.as_f64() {
                Some(secs) if (0.0..1e12).contains(&secs) => Some(Duration::from_secs_f64(secs)),
                _ => return Err(format!("`timeout` must be a non-negative number of seconds, got {n}")),
            },
            Some(other) => return Err(format!("`timeout` must be a duration like `30s` or `5m`, got {other}")),
        };
        Ok(Spec { program, args, display, env, cwd, timeout })
    }

    /// The command to spawn: program, arguments, environment, working directory, the outputs
    /// file and the job's identifiers; stdin from `/dev/null`, stdout and stderr piped.
    fn command(&self, job: &Job, out_file: &Path) -> std::process::Command {
        let mut cmd = std::process::Command::new(&self.program);
        cmd.args(&self.args).current_dir(&self.cwd).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.env(OUTPUT_ENV, out_file)
            .env("TRAINYARD_JOB_ID", &job.id)
            .env("TRAINYARD_RELEASE_ID", &job.release_id)
            .env("TRAINYARD_PHASE_ID", &job.phase_id)
            .env("TRAINYARD_ACTIVITY_ID", &job.activity_id)
            .env("TRAINYARD_ATTEMPT", job.attempt.to_string());
        sys::prepare(&mut cmd);
        cmd
    }
}

/// A finished run: how the wait ended, the exit status, the captured tails.
struct Ran<'a> {
    display: &'a str,
    end: End,
    status: std::io::Result<std::process::ExitStatus>,
    stderr: Tail,
    stdout: Tail,
}

impl Ran<'_> {
    /// The outcome of the run (the outputs file is read only after a clean exit).
    fn outcome(self, out_file: &OutputFile, redactor: &Redactor, keep: usize) -> Outcome {
        let tails = format_tails(&self.stderr, &self.stdout, redactor, keep);
        let (exit_code, signal) = match &self.status {
            Ok(status) => status_facts(status),
            Err(_) => (None, None),
        };
        let stderr_tail = (self.stderr.total > 0).then(|| self.stderr.text(redactor, STDERR_TAIL_LIMIT.min(keep)));
        let detail =
            |reason| FailureDetail { reason, exit_code, signal: signal.clone(), stderr_tail: stderr_tail.clone() };
        let display = self.display;
        let (reason, message, retryable) = match (self.end, &self.status) {
            (End::Cancelled, _) => (
                FailureReason::Cancelled,
                format!("`{display}` was cancelled; its process group was killed{tails}"),
                false,
            ),
            (End::TimedOut(after), _) => (
                FailureReason::TimedOut,
                format!("`{display}` timed out after {}; its process group was killed{tails}", human(after)),
                true,
            ),
            (End::Error(e), _) => (FailureReason::Lost, format!("lost track of `{display}`: {e}{tails}"), true),
            (End::Exited, Err(e)) => (FailureReason::Lost, format!("lost track of `{display}`: {e}{tails}"), true),
            (End::Exited, Ok(status)) if status.success() => match out_file.read() {
                Ok(outputs) => return Outcome::Success { outputs },
                Err(e) => (
                    FailureReason::InvalidOutputs,
                    format!("`{display}` succeeded but its outputs file is invalid: {e}"),
                    false,
                ),
            },
            (End::Exited, Ok(status)) => {
                let reason = if exit_code.is_some() { FailureReason::ExitCode } else { FailureReason::Signal };
                (reason, format!("`{display}` {}{tails}", describe_status(status)), true)
            }
        };
        Outcome::FailureWithDetail { message, retryable, detail: detail(reason) }
    }
}

/// A failure before the program ran.
fn not_started(message: String, retryable: bool) -> Outcome {
    Outcome::FailureWithDetail { message, retryable, detail: FailureDetail::new(FailureReason::NotStarted) }
}

/// A list of strings (numbers and booleans are written out).
fn scalar_list(items: &[Value]) -> Result<Vec<String>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(_) | Value::Bool(_) => Ok(v.to_string()),
            other => Err(format!("`argv[{i}]` must be a string, got {other}")),
        })
        .collect()
}

/// The time the job may run: the `timeout` input and the job's deadline, whichever ends first.
fn effective_timeout(
    timeout: Option<Duration>,
    deadline: Option<crate::Timestamp>,
    now: crate::Timestamp,
) -> Result<Option<Duration>, String> {
    let until_deadline = match deadline {
        None => None,
        Some(d) => match (d - now).to_std() {
            Ok(left) if !left.is_zero() => Some(left),
            _ => return Err(format!("the job's deadline ({}) has already passed", d.to_rfc3339())),
        },
    };
    Ok(match (timeout, until_deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

fn spawn_error(spec: &Spec, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("cannot run `{}`: program not found (is it installed and on PATH?)", spec.display)
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot run `{}`: permission denied (is it executable?)", spec.display)
        }
        _ => format!("cannot run `{}`: {e}", spec.display),
    }
}

/// The exit code and the signal of an exit status.
#[cfg(unix)]
fn status_facts(status: &std::process::ExitStatus) -> (Option<i32>, Option<Signal>) {
    use std::os::unix::process::ExitStatusExt;
    (status.code(), status.signal().map(Signal::from_number))
}

#[cfg(not(unix))]
fn status_facts(status: &std::process::ExitStatus) -> (Option<i32>, Option<Signal>) {
    (status.code(), None)
}

/// `exited with code 3`, `was killed by signal 9 (SIGKILL)`.
fn describe_status(status: &std::process::ExitStatus) -> String {
    match status_facts(status) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        _ => format!("ended abnormally ({status})"),
    }
}

fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{:.1}s", d.as_secs_f64()) }
}

// ----- process groups -----

#[cfg(unix)]
mod sys {
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command};

    /// The child leads a new process group (pgid = its pid).
    pub fn prepare(cmd: &mut Command) {
        cmd.process_group(0);
    }

    /// Whether the child exited, without reaping it: its pid (= the group id) stays reserved, so
    /// signalling the group afterwards cannot hit an unrelated process.
    pub fn exited(child: &mut Child) -> std::io::Result<bool> {
        let pid: libc::id_t = child.id();
        loop {
            // SAFETY: an all-zero siginfo_t is a valid value; waitid only writes into it.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: valid pointer to a live siginfo_t; WNOWAIT leaves the child unreaped.
            let rc =
                unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
            if rc == 0 {
                return Ok(info.si_signo != 0);
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }

    /// Sends `SIGTERM` (or `SIGKILL` when `kill`) to the process group led by `pid`. A group that
    /// no longer exists is fine.
    pub fn signal_group(pid: u32, kill: bool) {
        let Ok(pgid) = libc::pid_t::try_from(pid) else { return };
        if pgid <= 1 {
            return;
        }
        let sig = if kill { libc::SIGKILL } else { libc::SIGTERM };
        // SAFETY: killpg has no memory-safety preconditions.
        unsafe {
            libc::killpg(pgid, sig);
        }
    }
}

#[cfg(not(unix))]
mod sys {
    use std::process::{Child, Command};

    /// Nothing to prepare: there are no process groups.
    pub fn prepare(_cmd: &mut Command) {}

    /// Whether the child exited (reaps it).
    pub fn exited(child: &mut Child) -> std::io::Result<bool> {
        child.try_wait().map(|s| s.is_some())
    }

    /// Kills the process tree of `pid` (`taskkill /T /F` on Windows).
    pub fn signal_group(pid: u32, _kill: bool) {
        #[cfg(windows)]
        {
            let _ = Command::new("taskkill").args(["/T", "/F", "/PID", &pid.to_string()]).output();
        }
        #[cfg(not(windows))]
        let _ = pid;
    }
}

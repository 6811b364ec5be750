//! The `trainyard` command line as a library: [`run`] takes the arguments and the two output
//! streams and returns the exit code; [`run_cli`] runs it on the process's own streams, and is
//! what the binary, the Python wheel's console script (`trainyard._native.run_cli`) and the npm
//! package's bin (`runCli`) call, so all three ship the same command.
//!
//! Exit codes (stable):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done; nothing wrong found |
//! | 1 | problems found: a definition has errors (`validate`; also warnings for `lint`), `doctor` found releases that cannot progress |
//! | 2 | usage error (unknown command or option, bad value), or a file, the database or the store could not be read or written |
//! | 3 | the engine refused the command: `permission_denied`, `invalid_transition`, `not_found`, `conflict`, `invalid_input`, … (the code is printed) |

mod args;
mod calendar;
mod daemon;
mod doctor;
mod host;
mod locate;
mod output;
mod releases;
mod validate;

pub use args::Cli;

use args::Command;
use clap::Parser;
use std::io::{IsTerminal, Write};

/// Exit code: done, nothing wrong found.
pub const EXIT_OK: i32 = 0;
/// Exit code: problems found (definition errors, releases that cannot progress).
pub const EXIT_PROBLEMS: i32 = 1;
/// Exit code: usage, file or store error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: the engine refused the command.
pub const EXIT_REFUSED: i32 = 3;

/// What the streams are connected to (decides colours and progress bars).
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    /// Standard output is a terminal.
    pub stdout: bool,
    /// Standard error is a terminal.
    pub stderr: bool,
}

impl Terminal {
    /// The process's own standard streams.
    pub fn detect() -> Self {
        Terminal { stdout: std::io::stdout().is_terminal(), stderr: std::io::stderr().is_terminal() }
    }
}

/// Runs the command line `args` (the first item is the program name) writing to `out` and `err`,
/// with colours and progress bars decided by the process's own standard streams. Returns the exit
/// code.
pub fn run(args: impl IntoIterator<Item = String>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    run_with(args, out, err, Terminal::detect())
}

/// The command line as the binary and the Python and Node packages run it: `argv` (the first
/// item is the program name, as `std::env::args` gives it) on the process's own standard output
/// and error, both flushed before it returns (a host process such as Python or Node does not
/// flush Rust's buffers at exit). Returns the exit code.
///
/// While it runs, SIGINT and SIGTERM have their default disposition (the host's handlers, such as
/// Python's `KeyboardInterrupt` or Node's, are put back when it returns): `watch` and `run` stop
/// on them and return 0; any other command ends the process, as the standalone binary does.
pub fn run_cli(argv: Vec<String>) -> i32 {
    let _defaults = host::Defaults::install();
    // Unlocked handles: each write takes the lock, so other threads may print meanwhile.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(argv, &mut out, &mut err))) {
        Ok(code) => code,
        Err(_) => {
            let _ = writeln!(err, "error[internal]: trainyard panicked (a bug: please report it)");
            EXIT_USAGE
        }
    };
    let _ = out.flush();
    let _ = err.flush();
    code
}

/// [`run`] with the terminal given.
pub fn run_with(
    args: impl IntoIterator<Item = String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    tty: Terminal,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().to_string();
            if e.use_stderr() {
                let _ = write!(err, "{text}");
            } else {
                let _ = write!(out, "{text}");
            }
            return code;
        }
    };
    let ctx = Ctx { out, err, tty, color: cli.color.enabled(tty.stdout), json: cli.json };
    dispatch(cli, ctx)
}

/// The streams and the terminal, handed to every command.
pub(crate) struct Ctx<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub tty: Terminal,
    pub color: bool,
    pub json: bool,
}

impl Ctx<'_> {
    /// Whether `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }
}

/// How a command failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Usage, file or store error (exit 2).
    Usage(String),
    /// The engine refused (exit 3), or its error otherwise.
    Engine(trainyard::Error),
}

impl From<trainyard::Error> for Failure {
    fn from(e: trainyard::Error) -> Self {
        Failure::Engine(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Usage(format!("cannot write the output: {e}"))
    }
}

pub(crate) type CliResult = Result<i32, Failure>;

fn dispatch(cli: Cli, mut ctx: Ctx<'_>) -> i32 {
    let json = cli.json;
    let result = match cli.command {
        Command::Validate(a) => validate::validate(&mut ctx, &a, false),
        Command::Lint(a) => validate::validate(&mut ctx, &a, true),
        Command::Schema(a) => validate::schema(&mut ctx, &a),
        other => with_engine(&cli.store, other, &mut ctx),
    };
    match result {
        Ok(code) => code,
        Err(f) => report_failure(&mut ctx, f, json),
    }
}

fn with_engine(store: &args::StoreArgs, command: Command, ctx: &mut Ctx<'_>) -> CliResult {
    let engine = open_engine(store)?;
    match command {
        Command::Register(a) => releases::register(ctx, &engine, &a),
        Command::Create(a) => releases::create(ctx, &engine, &a, store),
        Command::Ls(a) => releases::ls(ctx, &engine, &a, store),
        Command::Show(a) => releases::show(ctx, &engine, &a, store),
        Command::History(a) => releases::history(ctx, &engine, &a, store),
        Command::Calendar(a) => calendar::calendar(ctx, &engine, &a, store),
        Command::Conflicts(a) => calendar::conflicts(ctx, &engine, &a, store),
        Command::Inbox(a) => releases::inbox(ctx, &engine, &a, store),
        Command::Activate(a) => releases::act(ctx, &engine, &a.release, releases::Act::Activate, store),
        Command::Pause(a) => releases::act(ctx, &engine, &a.release, releases::Act::Pause, store),
        Command::Resume(a) => releases::act(ctx, &engine, &a.release, releases::Act::Resume, store),
        Command::Abort(a) => releases::act(ctx, &engine, &a.release, releases::Act::Abort(a.reason.clone()), store),
        Command::Approve(a) => releases::act(ctx, &engine, &a.release, releases::Act::Approve(a.decision()), store),
        Command::Reject(a) => releases::act(ctx, &engine, &a.release, releases::Act::Reject(a.decision()), store),
        Command::Retry(a) => releases::act(ctx, &engine, &a.release, releases::Act::Retry(a.decision()), store),
        Command::Ignore(a) => releases::act(ctx, &engine, &a.release, releases::Act::Ignore(a.decision()), store),
        Command::Watch(a) => daemon::watch(ctx, &engine, &a, store),
        Command::Tick => daemon::tick(ctx, &engine, store),
        Command::Run(a) => daemon::run(ctx, &engine, &a, store),
        Command::Doctor(a) => doctor::doctor(ctx, &engine, &a, store),
        Command::Metrics => doctor::metrics(ctx, &engine, store),
        Command::Validate(_) | Command::Lint(_) | Command::Schema(_) => unreachable!("handled without a store"),
    }
}

fn open_engine(store: &args::StoreArgs) -> Result<trainyard::Engine, Failure> {
    let Some(url) = store.db.as_deref() else {
        return Err(Failure::Usage(
            "no store: pass --db sqlite://PATH or --db postgres://USER@HOST/DB?schema=NAME (or set TRAINYARD_DB)"
                .into(),
        ));
    };
    let engine = trainyard::Engine::open(url).map_err(|e| Failure::Usage(e.to_string()))?;
    engine.register_executor("command", trainyard::executor::command::CommandExecutor::new());
    Ok(engine)
}

fn report_failure(ctx: &mut Ctx<'_>, f: Failure, json: bool) -> i32 {
    let (code, exit, message, problems) = match f {
        Failure::Usage(m) => ("usage", EXIT_USAGE, m, Vec::new()),
        Failure::Engine(e) => {
            let exit = if e.code() == "storage" { EXIT_USAGE } else { EXIT_REFUSED };
            (e.code(), exit, e.to_string(), e.problems().to_vec())
        }
    };
    if json {
        let v = serde_json::json!({ "error": { "code": code, "message": message, "problems": problems } });
        let _ = writeln!(ctx.err, "{v}");
    } else {
        let _ = writeln!(ctx.err, "error[{code}]: {message}");
        for p in &problems {
            let _ = writeln!(ctx.err, "  {} [{}] {}", p.path, p.code, p.message);
        }
    }
    exit
}

//! The command line's arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use trainyard::access::Actor;

/// trainyard: validate process definitions, see and act on releases, run the engine.
#[derive(Debug, Parser)]
#[command(name = "trainyard", version, about, long_about = None)]
pub struct Cli {
    /// The store and who acts.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print JSON instead of text (one document; `watch` prints one object per line).
    #[arg(long, global = true)]
    pub json: bool,
    /// Colours in text output: auto (when standard output is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether standard output is a terminal.
    pub fn enabled(self, stdout_is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// Where the releases are and who acts on them.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The store: sqlite://PATH or postgres://USER@HOST/DB?schema=NAME.
    #[arg(long, global = true, env = "TRAINYARD_DB")]
    pub db: Option<String>,
    /// Act (and read) as this user; reads without it are not filtered, commands need it.
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,
    /// The acting user's groups (comma-separated or repeated).
    #[arg(long, global = true, value_delimiter = ',')]
    pub groups: Vec<String>,
    /// The acting user's roles, e.g. account_release_manager, org_release_manager:acme, viewer.
    #[arg(long, global = true, value_delimiter = ',')]
    pub roles: Vec<String>,
}

impl StoreArgs {
    /// The actor named by `--as`, `--groups`, `--roles`.
    pub fn actor(&self) -> Option<Actor> {
        self.as_user
            .as_ref()
            .map(|id| Actor::new(id.clone()).with_groups(self.groups.clone()).with_roles(self.roles.clone()))
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate definition files: every error with file, line and column (exit 1 on errors).
    Validate(ValidateArgs),
    /// Like validate, over files and directories (default `.`), warnings counted as problems.
    Lint(ValidateArgs),
    /// Write the JSON Schema of the definition format.
    Schema(SchemaArgs),
    /// Register process definitions in the store.
    Register(RegisterArgs),
    /// Create a draft release of a registered process.
    Create(CreateArgs),
    /// List releases.
    Ls(LsArgs),
    /// Show a release as a status tree.
    Show(ReleaseArg),
    /// A release's audit trail.
    History(ReleaseArg),
    /// The release calendar of a month (text month view, or `--ics`).
    Calendar(CalendarArgs),
    /// Releases whose windows overlap on a service or environment, or a freeze.
    Conflicts(CalendarArgs),
    /// What `--as` may act on: approvals, manual activities and failure decisions, oldest first.
    Inbox(InboxArgs),
    /// Activate a release now.
    Activate(ReleaseArg),
    /// Approve an approval activity.
    Approve(DecisionArgs),
    /// Reject an approval activity.
    Reject(DecisionArgs),
    /// Retry an on_hold activity.
    Retry(DecisionArgs),
    /// Ignore an on_hold activity (downstream continues).
    Ignore(DecisionArgs),
    /// Abort a release.
    Abort(AbortArgs),
    /// Pause a release (no new work starts).
    Pause(ReleaseArg),
    /// Resume a paused release.
    Resume(ReleaseArg),
    /// Follow the change feed: one line (or JSON object) per entry, until SIGINT/SIGTERM (with `--as`, only what that user may see).
    Watch(WatchArgs),
    /// One pass of the engine: fire due timers, run the built-in command executor's jobs.
    Tick,
    /// Run the engine until SIGINT/SIGTERM: timers, the command executor, sinks.
    Run(RunArgs),
    /// Check that every release that has not ended can progress (`--repair` restores timers and jobs).
    Doctor(DoctorArgs),
    /// Print the engine's metrics in the Prometheus text format.
    Metrics,
}

/// `validate` and `lint`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Definition files (YAML or JSON); `lint` also takes directories.
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output format of `validate` and `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:column: error[code] path: message`.
    Text,
    /// One JSON document.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
}

/// `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// `register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Definition files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Process id.
    pub process: String,
    /// Release name.
    #[arg(long)]
    pub name: String,
    /// An input, `NAME=VALUE` (the value is read as JSON when it parses, else as text).
    #[arg(long = "input", value_name = "NAME=VALUE")]
    pub inputs: Vec<String>,
    /// Owners (comma-separated or repeated).
    #[arg(long = "owner", value_delimiter = ',')]
    pub owners: Vec<String>,
}

/// `ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Only this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Only this release group.
    #[arg(long)]
    pub group: Option<String>,
    /// Include archived releases.
    #[arg(long)]
    pub archived: bool,
}

/// `inbox`.
#[derive(Debug, Args)]
pub struct InboxArgs {
    /// At most this many items (1 to 1000).
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

/// A release id.
#[derive(Debug, Args)]
pub struct ReleaseArg {
    /// Release id.
    pub release: String,
}

/// `approve`, `reject`, `retry`, `ignore`.
#[derive(Debug, Args)]
pub struct DecisionArgs {
    /// Release id.
    pub release: String,
    /// Phase id.
    pub phase: String,
    /// Activity id.
    pub activity: String,
    /// A comment (approve, reject) or reason (retry, ignore).
    #[arg(long, short = 'm', alias = "reason")]
    pub comment: Option<String>,
}

impl DecisionArgs {
    /// The activity and the comment.
    pub fn decision(&self) -> crate::releases::Decision {
        crate::releases::Decision {
            phase: self.phase.clone(),
            activity: self.activity.clone(),
            comment: self.comment.clone(),
        }
    }
}

/// `abort`.
#[derive(Debug, Args)]
pub struct AbortArgs {
    /// Release id.
    pub release: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
}

/// `calendar` and `conflicts`.
#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// The month, `YYYY-MM` (default: this month).
    #[arg(long)]
    pub month: Option<String>,
    /// Print iCalendar (RFC 5545) text instead (calendar only).
    #[arg(long)]
    pub ics: bool,
}

/// `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Start after this cursor (default: the feed's head, only what commits from now on).
    #[arg(long)]
    pub after: Option<u64>,
    /// Stop after this many entries.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// How often to look for due timers and jobs when idle, e.g. 1s, 500ms.
    #[arg(long, default_value = "1s", value_parser = parse_interval)]
    pub interval: std::time::Duration,
    /// Print the engine's metrics (Prometheus text) when it stops.
    #[arg(long)]
    pub metrics: bool,
}

/// `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Derive the timers and jobs of the releases found again from their events.
    #[arg(long)]
    pub repair: bool,
}

fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let (n, unit) = s.find(|c: char| !c.is_ascii_digit()).map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let n: u64 = n.parse().map_err(|_| format!("`{s}` is not a duration; use e.g. 1s, 500ms, 2m"))?;
    let d = match unit {
        "ms" => std::time::Duration::from_millis(n),
        "s" => std::time::Duration::from_secs(n),
        "m" => std::time::Duration::from_secs(n * 60),
        _ => return Err(format!("`{s}`: unknown unit `{unit}`; use ms, s or m")),
    };
    if d.is_zero() {
        return Err("the interval must be more than 0".into());
    }
    Ok(d)
}

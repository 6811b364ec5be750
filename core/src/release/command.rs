//! Commands: what can be asked of a release.

use super::TimerKey;
use crate::Timestamp;
use indexmap::IndexMap;
use serde_json::Value;

/// A command to a release. [`super::decide`] turns it into events, or refuses it.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Change a draft.
    Update {
        /// New name.
        name: Option<String>,
        /// Input overrides merged over the current inputs (a `null` removes one).
        inputs: Option<IndexMap<String, Value>>,
        /// New owners.
        owners: Option<Vec<String>>,
    },
    /// Delete a draft or scheduled release.
    Delete,
    /// Schedule (or reschedule): validates and locks the inputs.
    Schedule {
        /// Planned start.
        start: Timestamp,
        /// Planned end.
        end: Option<Timestamp>,
        /// Activate automatically at `start`.
        auto_start: bool,
    },
    /// Start executing now (before a scheduled start: pre-execution).
    Activate {
        /// Activate even inside a freeze window (account release managers only).
        force: bool,
    },
    /// Stop starting new work.
    Pause,
    /// Undo a pause.
    Resume,
    /// Stop the release: running activities are aborted and their executors asked to cancel.
    Abort {
        /// Why (recorded).
        reason: String,
    },
    /// Reset failed/aborted/skipped-by-failure nodes and run again.
    Restart,
    /// Archive a terminal release.
    Archive,
    /// Approve an approval activity.
    Approve {
        /// Phase id.
        phase: String,
        /// Activity id.
        activity: String,
    },
    /// Reject an approval activity (fails it).
    Reject {
        /// Phase id.
        phase: String,
        /// Activity id.
        activity: String,
    },
    /// Complete a manual activity with its field values.
    CompleteManual {
        /// Phase id.
        phase: String,
        /// Activity id.
        activity: String,
        /// Field values.
        values: IndexMap<String, Value>,
    },
    /// Run an on_hold activity again (fix-and-continue).
    Retry {
        /// Phase id.
        phase: String,
        /// Activity id.
        activity: String,
        /// Changed `with` values.
        inputs: Option<IndexMap<String, Value>>,
    },
    /// Treat an on_hold activity as done.
    Ignore {
        /// Phase id.
        phase: String,
        /// Activity id.
        activity: String,
        /// Substitute outputs.
        outputs: IndexMap<String, Value>,
    },
    /// Fail an on_hold activity for good.
    Fail {
        /// Phase id.
        phase: String,
        /// Activity id.
        activity: String,
    },
    /// Skip a pending activity.
    Skip {
        /// Phase id.
        phase: String,
        /// Activity id.
        activity: String,
    },
    /// An executor picked up a job.
    StartJob {
        /// The job id.
        job_id: String,
    },
    /// An executor finished a job successfully.
    SucceedJob {
        /// The job id.
        job_id: String,
        /// Outputs.
        outputs: IndexMap<String, Value>,
    },
    /// An executor failed a job.
    FailJob {
        /// The job id.
        job_id: String,
        /// What went wrong.
        message: String,
        /// Whether an automatic retry may help.
        retryable: bool,
    },
    /// The child release of a subprocess activity ended.
    ChildEnded {
        /// Phase id (in the parent).
        phase: String,
        /// Activity id (in the parent).
        activity: String,
        /// The child release.
        child_id: String,
        /// How it ended.
        status: super::ReleaseStatus,
        /// The child's phase outputs (become the activity's outputs).
        outputs: IndexMap<String, Value>,
        /// Why, when the child could not even start.
        message: Option<String>,
    },
    /// A timer is due.
    FireTimer {
        /// Which.
        timer: TimerKey,
    },
    /// Start whatever is ready (the engine issues it after every command until nothing changes).
    Advance,
}

impl Command {
    /// The command's name, as used in `invalid_transition` errors and permission checks.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Update { .. } => "update",
            Command::Delete => "delete",
            Command::Schedule { .. } => "schedule",
            Command::Activate { .. } => "activate",
            Command::Pause => "pause",
            Command::Resume => "resume",
            Command::Abort { .. } => "abort",
            Command::Restart => "restart",
            Command::Archive => "archive",
            Command::Approve { .. } => "approve",
            Command::Reject { .. } => "reject",
            Command::CompleteManual { .. } => "complete_manual",
            Command::Retry { .. } => "retry",
            Command::Ignore { .. } => "ignore",
            Command::Fail { .. } => "fail",
            Command::Skip { .. } => "skip",
            Command::StartJob { .. } => "start_job",
            Command::SucceedJob { .. } => "succeed_job",
            Command::FailJob { .. } => "fail_job",
            Command::ChildEnded { .. } => "child_ended",
            Command::FireTimer { .. } => "fire_timer",
            Command::Advance => "advance",
        }
    }

    /// The activity a command targets, if any.
    pub fn activity(&self) -> Option<(&str, &str)> {
        match self {
            Command::Approve { phase, activity }
            | Command::Reject { phase, activity }
            | Command::CompleteManual { phase, activity, .. }
            | Command::Retry { phase, activity, .. }
            | Command::Ignore { phase, activity, .. }
            | Command::Fail { phase, activity }
            | Command::Skip { phase, activity } => Some((phase, activity)),
            _ => None,
        }
    }
}

/// Parses a job id (`<release>/<phase>/<activity>/<attempt>`) into its parts.
pub fn parse_job_id(job_id: &str) -> Option<(&str, &str, &str, u32)> {
    let mut parts = job_id.rsplitn(4, '/');
    let attempt = parts.next()?.parse().ok()?;
    let activity = parts.next()?;
    let phase = parts.next()?;
    let release = parts.next()?;
    Some((release, phase, activity, attempt))
}

/// The job id of an attempt: stable across redelivery, unique per attempt.
pub fn job_id(release: &str, phase: &str, activity: &str, attempt: u32) -> String {
    format!("{release}/{phase}/{activity}/{attempt}")
}

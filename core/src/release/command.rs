//! Commands: what can be asked of a release, and [`CommandKind`], the name of each.
//!
//! Every table about commands — the release statuses that allow one
//! ([`CommandKind::allowed_in`]), the activity statuses that allow one
//! ([`CommandKind::allowed_on_activity`]), the access rule of each (`crate::access`) — is an
//! exhaustive `match` on [`CommandKind`], so a new command does not compile until every table
//! says what it does with it.

use super::{ActivityRef, ActivityStatus, ProcessSwitch, ReleaseChanges, ReleaseStatus, TimerKey};
use crate::Timestamp;
use crate::model::ActivityKind;
use indexmap::IndexMap;
use serde_json::Value;
use std::fmt;

/// A command to a release. [`super::step`] turns it into events and effects, or refuses it.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Change a release that has not started (see [`ReleaseChanges`]).
    Update {
        /// What to change.
        changes: Box<ReleaseChanges>,
        /// The plan of the process version the draft switches to, when `changes` asks for one
        /// (the engine looks it up).
        switch: Option<ProcessSwitch>,
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
        /// The approval.
        target: ActivityRef,
    },
    /// Reject an approval activity (fails it).
    Reject {
        /// The approval.
        target: ActivityRef,
    },
    /// Complete a manual activity with its field values.
    CompleteManual {
        /// The manual activity.
        target: ActivityRef,
        /// Field values.
        values: IndexMap<String, Value>,
    },
    /// Run an on_hold activity again (fix-and-continue).
    Retry {
        /// The on_hold activity.
        target: ActivityRef,
        /// Changed `with` values.
        inputs: Option<IndexMap<String, Value>>,
    },
    /// Treat an on_hold activity as done.
    Ignore {
        /// The on_hold activity.
        target: ActivityRef,
        /// Substitute outputs.
        outputs: IndexMap<String, Value>,
    },
    /// Fail an on_hold activity for good.
    Fail {
        /// The on_hold activity.
        target: ActivityRef,
    },
    /// Skip a pending activity.
    Skip {
        /// The pending activity.
        target: ActivityRef,
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
        /// The structured facts of the failed run, when the executor gave them.
        detail: Option<crate::executor::FailureDetail>,
    },
    /// The child release of a subprocess activity ended.
    ChildEnded {
        /// The subprocess activity (in the parent).
        target: ActivityRef,
        /// The child release.
        child_id: String,
        /// How it ended.
        status: ReleaseStatus,
        /// The child's phase outputs (become the activity's outputs).
        outputs: IndexMap<String, Value>,
        /// Why, when the child could not even start.
        message: Option<String>,
    },
    /// The engine's report on a waiting gate: what its targets resolved to (on the first report)
    /// and the statuses they are in now, or why they could not be resolved (the gate fails).
    ObserveGate {
        /// The gate activity.
        target: ActivityRef,
        /// The attempt the report is for (a report on an earlier attempt is a `conflict`).
        attempt: u32,
        /// The targets with their statuses, or the reason they could not be resolved.
        observed: std::result::Result<Vec<super::gates::GateObservation>, String>,
    },
    /// The engine grants a waiting lock request ([`super::locks`]): the store checks each lock's
    /// capacity in the same append.
    GrantLocks {
        /// The node whose request is granted.
        request: super::locks::LockNode,
    },
    /// The engine refuses a waiting lock request that would close a deadlock: the node fails
    /// with `reason`.
    RefuseLocks {
        /// The node whose request is refused.
        request: super::locks::LockNode,
        /// Why (the cycle).
        reason: String,
    },
    /// A timer is due.
    FireTimer {
        /// Which.
        timer: TimerKey,
    },
    /// Start whatever is ready ([`super::step`] issues it after every command until nothing changes).
    Advance,
    /// Run a phase or an activity again, with everything downstream of it (an amendment of a
    /// running release; see [`super::amend`]).
    Rewind {
        /// The phase, or the activity, to run again.
        target: RewindTarget,
        /// New values of release inputs (merged over the current ones, checked like create's).
        inputs: Option<IndexMap<String, Value>>,
    },
    /// Add an ad-hoc activity to a phase that has not finished.
    InsertActivity {
        /// The phase.
        phase: String,
        /// The activity's definition (a process activity, as a document).
        definition: Box<Value>,
        /// An activity of the phase it runs after (added to its `depends_on`).
        after: Option<String>,
    },
    /// Replace who may approve an approval (or complete a manual activity).
    Reassign {
        /// The approval or manual activity.
        target: ActivityRef,
        /// The new approvers (a manual activity: its new owners).
        approvers: Vec<crate::model::Approver>,
    },
    /// Hand one listed approver's part of an approval to another user.
    Delegate {
        /// The approval.
        target: ActivityRef,
        /// The listed user who hands over.
        from: String,
        /// The user who approves instead.
        to: String,
    },
    /// Move the earliest start of a phase that has not started.
    ReschedulePhase {
        /// The phase.
        phase: String,
        /// When it may start, at the earliest.
        not_before: Timestamp,
    },
}

/// What a [`Command::Rewind`] runs again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RewindTarget {
    /// One activity (and its dependents in the phase; the phase reopens).
    Activity(ActivityRef),
    /// A whole phase.
    Phase {
        /// Phase id.
        phase: String,
    },
}

impl RewindTarget {
    /// The phase the target is, or is in.
    pub fn phase(&self) -> &str {
        match self {
            RewindTarget::Activity(t) => &t.phase,
            RewindTarget::Phase { phase } => phase,
        }
    }
}

macro_rules! command_kinds {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)+) => {
        /// The name of a [`Command`] (snake_case in every language and in error messages).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CommandKind {
            $($(#[$doc])* $variant,)+
        }

        impl CommandKind {
            /// Every command kind.
            pub const ALL: &'static [CommandKind] = &[$(CommandKind::$variant,)+];

            /// The snake_case name.
            pub fn as_str(self) -> &'static str {
                match self { $(CommandKind::$variant => $text,)+ }
            }
        }

        impl std::str::FromStr for CommandKind {
            type Err = crate::Error;
            fn from_str(s: &str) -> crate::Result<Self> {
                match s {
                    $($text => Ok(CommandKind::$variant),)+
                    other => Err(crate::Error::InvalidInput { problems: vec![crate::Problem::new(
                        "command",
                        "invalid_value",
                        format!("`{other}` is not a command; expected one of: {}", [$($text),+].join(", ")),
                    )] }),
                }
            }
        }
    };
}

command_kinds! {
    /// [`Command::Update`].
    Update = "update",
    /// [`Command::Delete`].
    Delete = "delete",
    /// [`Command::Schedule`].
    Schedule = "schedule",
    /// [`Command::Activate`].
    Activate = "activate",
    /// [`Command::Pause`].
    Pause = "pause",
    /// [`Command::Resume`].
    Resume = "resume",
    /// [`Command::Abort`].
    Abort = "abort",
    /// [`Command::Restart`].
    Restart = "restart",
    /// [`Command::Archive`].
    Archive = "archive",
    /// [`Command::Approve`].
    Approve = "approve",
    /// [`Command::Reject`].
    Reject = "reject",
    /// [`Command::CompleteManual`].
    CompleteManual = "complete_manual",
    /// [`Command::Retry`].
    Retry = "retry",
    /// [`Command::Ignore`].
    Ignore = "ignore",
    /// [`Command::Fail`].
    Fail = "fail",
    /// [`Command::Skip`].
    Skip = "skip",
    /// [`Command::StartJob`].
    StartJob = "start_job",
    /// [`Command::SucceedJob`].
    SucceedJob = "succeed_job",
    /// [`Command::FailJob`].
    FailJob = "fail_job",
    /// [`Command::ChildEnded`].
    ChildEnded = "child_ended",
    /// [`Command::ObserveGate`].
    ObserveGate = "observe_gate",
    /// [`Command::GrantLocks`].
    GrantLocks = "grant_locks",
    /// [`Command::RefuseLocks`].
    RefuseLocks = "refuse_locks",
    /// [`Command::FireTimer`].
    FireTimer = "fire_timer",
    /// [`Command::Advance`].
    Advance = "advance",
    /// [`Command::Rewind`].
    Rewind = "rewind",
    /// [`Command::InsertActivity`].
    InsertActivity = "insert_activity",
    /// [`Command::Reassign`].
    Reassign = "reassign",
    /// [`Command::Delegate`].
    Delegate = "delegate",
    /// [`Command::ReschedulePhase`].
    ReschedulePhase = "reschedule_phase",
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Statuses in which people may act on a running release.
const ACTIVE: &[ReleaseStatus] = &[ReleaseStatus::Running, ReleaseStatus::OnHold];

impl CommandKind {
    /// The release statuses that allow this command, or `None` for the engine's own commands
    /// (jobs, timers, children, advancing), which the status table does not govern: they are
    /// checked against the activity or timer they name.
    pub fn allowed_in(self) -> Option<&'static [ReleaseStatus]> {
        use ReleaseStatus::*;
        Some(match self {
            CommandKind::Update => &[Draft, Scheduled],
            CommandKind::Delete => &[Draft, Scheduled],
            CommandKind::Schedule => &[Draft, Scheduled, Aborted],
            CommandKind::Activate => &[Draft, Scheduled],
            CommandKind::Abort => &[Scheduled, Running, OnHold],
            CommandKind::Restart => &[Failed, Aborted],
            CommandKind::Archive => &[Success, PartialSuccess, Failed, Aborted],
            CommandKind::Pause
            | CommandKind::Resume
            | CommandKind::Approve
            | CommandKind::Reject
            | CommandKind::CompleteManual
            | CommandKind::Retry
            | CommandKind::Ignore
            | CommandKind::Fail
            | CommandKind::Skip
            | CommandKind::Rewind
            | CommandKind::Reassign
            | CommandKind::Delegate => ACTIVE,
            CommandKind::InsertActivity | CommandKind::ReschedulePhase => &[Scheduled, Running, OnHold],
            CommandKind::StartJob
            | CommandKind::SucceedJob
            | CommandKind::FailJob
            | CommandKind::ChildEnded
            | CommandKind::ObserveGate
            | CommandKind::GrantLocks
            | CommandKind::RefuseLocks
            | CommandKind::FireTimer
            | CommandKind::Advance => return None,
        })
    }

    /// For a person's command to one activity: whether an activity of `kind` in `status` accepts
    /// it. `None` for commands that do not name an activity that way.
    pub fn allowed_on_activity(self, kind: ActivityKind, status: ActivityStatus) -> Option<bool> {
        use ActivityStatus::*;
        Some(match self {
            CommandKind::Approve | CommandKind::Reject => kind == ActivityKind::Approval && status == WaitingForInput,
            CommandKind::CompleteManual => kind == ActivityKind::Manual && status == WaitingForInput,
            CommandKind::Retry | CommandKind::Ignore | CommandKind::Fail => status == OnHold,
            CommandKind::Skip => status == Pending || (kind == ActivityKind::Gate && status == Running),
            CommandKind::Reassign => {
                matches!(kind, ActivityKind::Approval | ActivityKind::Manual) && !status.is_terminal()
            }
            CommandKind::Delegate => kind == ActivityKind::Approval && !status.is_terminal(),
            CommandKind::Rewind | CommandKind::InsertActivity | CommandKind::ReschedulePhase => return None,
            CommandKind::Update
            | CommandKind::Delete
            | CommandKind::Schedule
            | CommandKind::Activate
            | CommandKind::Pause
            | CommandKind::Resume
            | CommandKind::Abort
            | CommandKind::Restart
            | CommandKind::Archive
            | CommandKind::StartJob
            | CommandKind::SucceedJob
            | CommandKind::FailJob
            | CommandKind::ChildEnded
            | CommandKind::ObserveGate
            | CommandKind::GrantLocks
            | CommandKind::RefuseLocks
            | CommandKind::FireTimer
            | CommandKind::Advance => return None,
        })
    }
}

impl Command {
    /// The command's kind (its name in errors and permission checks).
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Update { .. } => CommandKind::Update,
            Command::Delete => CommandKind::Delete,
            Command::Schedule { .. } => CommandKind::Schedule,
            Command::Activate { .. } => CommandKind::Activate,
            Command::Pause => CommandKind::Pause,
            Command::Resume => CommandKind::Resume,
            Command::Abort { .. } => CommandKind::Abort,
            Command::Restart => CommandKind::Restart,
            Command::Archive => CommandKind::Archive,
            Command::Approve { .. } => CommandKind::Approve,
            Command::Reject { .. } => CommandKind::Reject,
            Command::CompleteManual { .. } => CommandKind::CompleteManual,
            Command::Retry { .. } => CommandKind::Retry,
            Command::Ignore { .. } => CommandKind::Ignore,
            Command::Fail { .. } => CommandKind::Fail,
            Command::Skip { .. } => CommandKind::Skip,
            Command::StartJob { .. } => CommandKind::StartJob,
            Command::SucceedJob { .. } => CommandKind::SucceedJob,
            Command::FailJob { .. } => CommandKind::FailJob,
            Command::ChildEnded { .. } => CommandKind::ChildEnded,
            Command::ObserveGate { .. } => CommandKind::ObserveGate,
            Command::GrantLocks { .. } => CommandKind::GrantLocks,
            Command::RefuseLocks { .. } => CommandKind::RefuseLocks,
            Command::FireTimer { .. } => CommandKind::FireTimer,
            Command::Advance => CommandKind::Advance,
            Command::Rewind { .. } => CommandKind::Rewind,
            Command::InsertActivity { .. } => CommandKind::InsertActivity,
            Command::Reassign { .. } => CommandKind::Reassign,
            Command::Delegate { .. } => CommandKind::Delegate,
            Command::ReschedulePhase { .. } => CommandKind::ReschedulePhase,
        }
    }

    /// Whether this is an amendment of a running release (rewind, insert_activity, reassign,
    /// delegate, reschedule_phase): recorded with a required reason, and available as a dry run.
    pub fn is_amendment(&self) -> bool {
        matches!(
            self.kind(),
            CommandKind::Rewind
                | CommandKind::InsertActivity
                | CommandKind::Reassign
                | CommandKind::Delegate
                | CommandKind::ReschedulePhase
        )
    }

    /// The phase a person's command names on its own (not through an activity), if any.
    pub fn phase(&self) -> Option<&str> {
        match self {
            Command::Rewind { target: RewindTarget::Phase { phase }, .. }
            | Command::InsertActivity { phase, .. }
            | Command::ReschedulePhase { phase, .. } => Some(phase),
            _ => None,
        }
    }

    /// The command's name, as used in `invalid_transition` errors and permission checks.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The activity a person's command targets, if any.
    pub fn activity(&self) -> Option<&ActivityRef> {
        match self {
            Command::Approve { target }
            | Command::Reject { target }
            | Command::CompleteManual { target, .. }
            | Command::Retry { target, .. }
            | Command::Ignore { target, .. }
            | Command::Fail { target }
            | Command::Skip { target }
            | Command::Reassign { target, .. }
            | Command::Delegate { target, .. }
            | Command::Rewind { target: RewindTarget::Activity(target), .. } => Some(target),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_person_command_is_allowed_somewhere_and_names_round_trip() {
        for k in CommandKind::ALL {
            assert_eq!(k.as_str().parse::<CommandKind>().unwrap(), *k);
            if let Some(statuses) = k.allowed_in() {
                assert!(!statuses.is_empty(), "{k} is allowed in no status");
            }
        }
        assert!("frobnicate".parse::<CommandKind>().unwrap_err().to_string().contains("complete_manual"));
    }
}

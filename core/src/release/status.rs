//! Release, phase and activity statuses (serialized snake_case in every language).

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case name used in every language.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Position in [`Self::ALL`] (used for per-status counters).
            pub fn index(self) -> usize {
                self as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> crate::Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(crate::Error::InvalidInput { problems: vec![crate::Problem::new(
                        "status",
                        "invalid_value",
                        format!("`{other}` is not a {}; expected one of: {}", stringify!($name), [$($text),+].join(", ")),
                    )] }),
                }
            }
        }
    };
}

status_enum! {
    /// The status of a release (the table is in the [module docs](super)).
    ReleaseStatus {
        /// Being configured; nothing tracked.
        Draft = "draft",
        /// Finalized (inputs validated and locked), on the calendar.
        Scheduled = "scheduled",
        /// At least one activity is queued/running, or ready to be.
        Running = "running",
        /// Cannot progress without a person (input, failure decision) or paused by an operator.
        OnHold = "on_hold",
        /// Every phase succeeded or was skipped by its condition.
        Success = "success",
        /// No critical phase failed, but a non-critical phase failed or an activity was ignored.
        PartialSuccess = "partial_success",
        /// A critical phase failed (after its rollback phases, if any, ran).
        Failed = "failed",
        /// Stopped by an operator.
        Aborted = "aborted",
    }
}

status_enum! {
    /// The status of a phase.
    PhaseStatus {
        /// Waiting for its dependencies.
        Pending = "pending",
        /// Dependencies done, waiting for `not_before`.
        Scheduled = "scheduled",
        /// Some activity is queued/running or ready to be.
        Running = "running",
        /// Nothing runs; some activity waits for a person.
        OnHold = "on_hold",
        /// Every activity ended success, ignored or skipped.
        Success = "success",
        /// An activity failed.
        Failed = "failed",
        /// Skipped by its condition, a failed dependency or a stopped release.
        Skipped = "skipped",
        /// Stopped by an abort.
        Aborted = "aborted",
    }
}

status_enum! {
    /// The status of an activity.
    ActivityStatus {
        /// Not started yet.
        Pending = "pending",
        /// Handed to an executor (or waiting for a retry backoff or a freeze to end).
        Queued = "queued",
        /// Being executed (automated), waiting out its time (wait) or running a child release (subprocess).
        Running = "running",
        /// An approval or manual activity waiting for people.
        WaitingForInput = "waiting_for_input",
        /// Failed; waiting for a person to decide retry, ignore or fail.
        OnHold = "on_hold",
        /// Done.
        Success = "success",
        /// Failed for good.
        Failed = "failed",
        /// Failed, but ignored by policy or by a person; downstream continues.
        Ignored = "ignored",
        /// Not run (condition false, skipped by a manager, or a dependency failed).
        Skipped = "skipped",
        /// Stopped by an abort.
        Aborted = "aborted",
    }
}

impl ReleaseStatus {
    /// Whether the release has ended (success, partial_success, failed, aborted).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ReleaseStatus::Success | ReleaseStatus::PartialSuccess | ReleaseStatus::Failed | ReleaseStatus::Aborted
        )
    }

    /// Whether the release is executing (running or on_hold).
    pub fn is_active(self) -> bool {
        matches!(self, ReleaseStatus::Running | ReleaseStatus::OnHold)
    }

    /// Whether a person may issue `command` to a release in this status (see
    /// [`super::CommandKind::allowed_in`]; the engine's own commands are not governed by it).
    pub fn allows(self, command: super::CommandKind) -> bool {
        command.allowed_in().is_some_and(|statuses| statuses.contains(&self))
    }

    /// The commands people may issue in this status, in [`super::CommandKind::ALL`] order.
    pub fn allowed_commands(self) -> Vec<super::CommandKind> {
        super::CommandKind::ALL.iter().copied().filter(|k| self.allows(*k)).collect()
    }
}

impl PhaseStatus {
    /// Whether the phase has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, PhaseStatus::Success | PhaseStatus::Failed | PhaseStatus::Skipped | PhaseStatus::Aborted)
    }
}

impl ActivityStatus {
    /// Whether the activity has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ActivityStatus::Success
                | ActivityStatus::Failed
                | ActivityStatus::Ignored
                | ActivityStatus::Skipped
                | ActivityStatus::Aborted
        )
    }

    /// Whether an executor or the clock is working on it (queued or running).
    pub fn is_in_flight(self) -> bool {
        matches!(self, ActivityStatus::Queued | ActivityStatus::Running)
    }

    /// Whether it waits for a person (waiting_for_input or on_hold).
    pub fn needs_person(self) -> bool {
        matches!(self, ActivityStatus::WaitingForInput | ActivityStatus::OnHold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_valid_ones() {
        for s in ReleaseStatus::ALL {
            assert_eq!(s.as_str().parse::<ReleaseStatus>().unwrap(), *s);
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::from(s.as_str()));
        }
        let err = "done".parse::<ActivityStatus>().unwrap_err();
        assert!(err.to_string().contains("waiting_for_input"), "{err}");
        assert_eq!(ActivityStatus::Aborted.index(), ActivityStatus::ALL.len() - 1);
    }
}

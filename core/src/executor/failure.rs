//! The structured form of a failed run: [`FailureDetail`], what the `command` executor reports
//! with [`super::Outcome::FailureWithDetail`] besides its message.
//!
//! It is recorded in the `activity_failed` event (field `detail`, left out when there is none,
//! so events written before it existed load unchanged) and shown as the activity's
//! `last_failure` in the release view. As JSON:
//!
//! ```json
//! { "reason": "exit_code", "exit_code": 3, "stderr_tail": "disk full\n" }
//! { "reason": "signal", "signal": { "number": 9, "name": "SIGKILL" }, "stderr_tail": "…" }
//! { "reason": "timed_out", "signal": { "number": 15, "name": "SIGTERM" } }
//! ```
//!
//! | field | meaning |
//! |---|---|
//! | `reason` | why the run failed: `exit_code`, `signal`, `timed_out`, `cancelled`, `not_started`, `invalid_outputs` or `lost` ([`FailureReason`]) |
//! | `exit_code` | the exit code, when the program exited by itself or after the signal it was sent (absent otherwise) |
//! | `signal` | the signal that ended the program, `number` and `name` (`SIGKILL`; `null` name for one without a standard name) |
//! | `stderr_tail` | the last [`STDERR_TAIL_LIMIT`] bytes (4 KiB) of stderr, secrets redacted before the cut, invalid UTF-8 replaced by `U+FFFD`; absent when stderr was empty |

use serde::{Deserialize, Serialize};

/// How much of stderr a [`FailureDetail`] keeps (the tail): 4 KiB.
pub const STDERR_TAIL_LIMIT: usize = 4 * 1024;

/// Why a run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// The program exited with a non-zero exit code.
    ExitCode,
    /// The program was killed by a signal nobody in trainyard sent.
    Signal,
    /// The time limit (the `timeout` input or the job's deadline) passed; the process group was
    /// killed.
    TimedOut,
    /// The job was cancelled (the release was aborted, or the attempt ended) before or while it
    /// ran; the process group was killed.
    Cancelled,
    /// The program never started: bad inputs, a missing program or working directory, a
    /// deadline already passed, no outputs file.
    NotStarted,
    /// The program exited with 0, but its outputs file was missing, not a regular file, too
    /// large, unreadable or malformed.
    InvalidOutputs,
    /// The executor lost track of the process (waiting for it failed).
    Lost,
}

impl FailureReason {
    /// The snake_case name (`exit_code`, `timed_out`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::ExitCode => "exit_code",
            FailureReason::Signal => "signal",
            FailureReason::TimedOut => "timed_out",
            FailureReason::Cancelled => "cancelled",
            FailureReason::NotStarted => "not_started",
            FailureReason::InvalidOutputs => "invalid_outputs",
            FailureReason::Lost => "lost",
        }
    }
}

/// A signal that ended a process.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signal {
    /// The signal number (platform-specific: 9 is `SIGKILL` everywhere, 10 is `SIGUSR1` on Linux).
    pub number: i32,
    /// Its name (`SIGKILL`), `None` for a signal without a standard name (real-time signals).
    pub name: Option<String>,
}

impl Signal {
    /// The signal with this number, named when the platform gives it a standard name.
    pub fn from_number(number: i32) -> Signal {
        Signal { number, name: signal_name(number).map(str::to_string) }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} ({name})", self.number),
            None => write!(f, "{}", self.number),
        }
    }
}

/// The structured facts of a failed run (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDetail {
    /// Why it failed.
    pub reason: FailureReason,
    /// The exit code, when the process exited (absent when a signal ended it or it never ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended the process, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
    /// The last [`STDERR_TAIL_LIMIT`] bytes of stderr, redacted; absent when stderr was empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr_tail: Option<String>,
}

impl FailureDetail {
    /// A detail with only a reason.
    pub fn new(reason: FailureReason) -> Self {
        FailureDetail { reason, exit_code: None, signal: None, stderr_tail: None }
    }

    /// Whether the run timed out.
    pub fn timed_out(&self) -> bool {
        self.reason == FailureReason::TimedOut
    }

    /// Whether the run was cancelled.
    pub fn cancelled(&self) -> bool {
        self.reason == FailureReason::Cancelled
    }
}

/// The standard name of a signal number on this platform.
#[cfg(unix)]
fn signal_name(number: i32) -> Option<&'static str> {
    const NAMES: &[(i32, &str)] = &[
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGQUIT, "SIGQUIT"),
        (libc::SIGILL, "SIGILL"),
        (libc::SIGTRAP, "SIGTRAP"),
        (libc::SIGABRT, "SIGABRT"),
        (libc::SIGBUS, "SIGBUS"),
        (libc::SIGFPE, "SIGFPE"),
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGUSR1, "SIGUSR1"),
        (libc::SIGSEGV, "SIGSEGV"),
        (libc::SIGUSR2, "SIGUSR2"),
        (libc::SIGPIPE, "SIGPIPE"),
        (libc::SIGALRM, "SIGALRM"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGCHLD, "SIGCHLD"),
        (libc::SIGCONT, "SIGCONT"),
        (libc::SIGSTOP, "SIGSTOP"),
        (libc::SIGTSTP, "SIGTSTP"),
        (libc::SIGTTIN, "SIGTTIN"),
        (libc::SIGTTOU, "SIGTTOU"),
        (libc::SIGURG, "SIGURG"),
        (libc::SIGXCPU, "SIGXCPU"),
        (libc::SIGXFSZ, "SIGXFSZ"),
        (libc::SIGVTALRM, "SIGVTALRM"),
        (libc::SIGPROF, "SIGPROF"),
        (libc::SIGWINCH, "SIGWINCH"),
        (libc::SIGIO, "SIGIO"),
        (libc::SIGSYS, "SIGSYS"),
    ];
    NAMES.iter().find(|(n, _)| *n == number).map(|(_, name)| *name)
}

#[cfg(not(unix))]
fn signal_name(_number: i32) -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_json_form_leaves_out_what_is_absent() {
        let mut d = FailureDetail::new(FailureReason::ExitCode);
        d.exit_code = Some(3);
        d.stderr_tail = Some("disk full\n".into());
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            json!({ "reason": "exit_code", "exit_code": 3, "stderr_tail": "disk full\n" })
        );
        let mut k = FailureDetail::new(FailureReason::TimedOut);
        k.signal = Some(Signal::from_number(9));
        assert_eq!(
            serde_json::to_value(&k).unwrap(),
            json!({ "reason": "timed_out", "signal": { "number": 9, "name": "SIGKILL" } })
        );
        assert!(k.timed_out() && !k.cancelled());
        let back: FailureDetail = serde_json::from_value(json!({ "reason": "cancelled" })).unwrap();
        assert_eq!(back, FailureDetail::new(FailureReason::Cancelled));
        assert_eq!(FailureReason::InvalidOutputs.as_str(), "invalid_outputs");
    }

    #[cfg(unix)]
    #[test]
    fn signals_have_their_standard_names() {
        assert_eq!(Signal::from_number(libc::SIGTERM).name.as_deref(), Some("SIGTERM"));
        assert_eq!(Signal::from_number(libc::SIGKILL).to_string(), "9 (SIGKILL)");
        assert_eq!(Signal::from_number(1000).name, None);
        assert_eq!(Signal::from_number(1000).to_string(), "1000");
    }
}

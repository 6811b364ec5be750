//! Driving the engine: `tick` fires due timers in due order and runs queued in-process jobs;
//! `run_until_idle` repeats until nothing is left to do at the current time; external executors
//! report through `complete_job`.

use super::{Engine, lock};
use crate::access::Actor;
use crate::executor::{Job, Outcome};
use crate::release::{Command, ReleaseState, ReleaseStatus, parse_job_id};
use crate::{Error, Result};

/// Timers fired by one `tick` before it yields (a tick after a very long pause continues in the next).
const MAX_TIMERS_PER_TICK: usize = 1_000_000;

/// Filters for [`Engine::list_releases`].
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    /// Only this status.
    pub status: Option<ReleaseStatus>,
    /// Only this kind.
    pub kind: Option<crate::release::ReleaseKind>,
    /// Only this release group.
    pub group: Option<String>,
    /// Only this scope.
    pub scope: Option<String>,
    /// Include archived releases.
    pub include_archived: bool,
}

impl Engine {
    /// Fires every timer due now, earliest first (across releases), then runs the queued
    /// in-process jobs. Returns how many timers and jobs it handled.
    pub fn tick(&self) -> Result<usize> {
        let now = self.clock.now();
        let mut done = 0;
        let system = Actor::system();
        while done < MAX_TIMERS_PER_TICK {
            // The earliest due timer across releases; entries the store still lists for releases
            // that are gone or whose timer already moved are passed over.
            let mut fired = false;
            for (_, id) in self.store.due(now, 64)? {
                let state = match self.get_release(&id) {
                    Ok(s) => s,
                    Err(Error::NotFound { .. }) => continue,
                    Err(e) => return Err(e),
                };
                let Some((timer, when)) = state.next_timer().map(|(k, t)| (k.clone(), *t)) else { continue };
                if when > now {
                    continue;
                }
                match self.apply_at(&id, &Command::FireTimer { timer }, &system, None, Some(when)) {
                    Ok(_) | Err(Error::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
                done += 1;
                fired = true;
                break;
            }
            if !fired {
                break;
            }
        }
        Ok(done + self.run_jobs()?)
    }

    /// Ticks until nothing is left to do at the current time (or `max_steps` timers and jobs were
    /// handled). Returns how many were handled.
    pub fn run_until_idle(&self, max_steps: usize) -> Result<usize> {
        let mut total = 0;
        while total < max_steps {
            let n = self.tick()?;
            if n == 0 {
                break;
            }
            total += n;
        }
        Ok(total)
    }

    /// Runs the queued in-process jobs (and the jobs they lead to) once each.
    fn run_jobs(&self) -> Result<usize> {
        let mut ran = 0;
        loop {
            let next = lock(&self.jobs).pop_front();
            let Some(job) = next else { break };
            let Some(exec) = self.executor(&job.executor) else { continue };
            let system = Actor::system();
            if self
                .apply_at(&job.release_id, &Command::StartJob { job_id: job.id.clone() }, &system, None, None)
                .is_err()
            {
                continue; // stale or aborted meanwhile
            }
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exec.execute(&job))).unwrap_or_else(|panic| {
                    Outcome::Failure {
                        message: format!("executor `{}` panicked: {}", job.executor, panic_text(&panic)),
                        retryable: false,
                    }
                });
            ran += 1;
            match self.report(&job, outcome) {
                Ok(()) | Err(Error::InvalidTransition { .. }) | Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ran)
    }

    fn report(&self, job: &Job, outcome: Outcome) -> Result<()> {
        self.complete_job(&job.id, outcome)
    }

    /// Reports the outcome of a job run by an executor outside the engine (or one that returned
    /// [`Outcome::Started`]). A report for a stale attempt is refused with `conflict`.
    pub fn complete_job(&self, job_id: &str, outcome: Outcome) -> Result<()> {
        let (release, ..) = parse_job_id(job_id).ok_or_else(|| Error::NotFound {
            kind: "job".into(),
            id: job_id.into(),
            hint: Some("job ids look like <release>/<phase>/<activity>/<attempt>".into()),
        })?;
        let system = Actor::system();
        let cmd = match outcome {
            Outcome::Success { outputs } => Command::SucceedJob { job_id: job_id.into(), outputs },
            Outcome::Failure { message, retryable } => Command::FailJob { job_id: job_id.into(), message, retryable },
            Outcome::Started => return Ok(()),
        };
        self.apply_at(release, &cmd, &system, None, None).map(|_| ())
    }

    /// Releases matching `filter`, oldest first (deleted ones never; archived ones on request).
    pub fn list_releases(&self, filter: &ReleaseFilter) -> Result<Vec<ReleaseState>> {
        let rows = self.store.releases()?;
        rows.into_iter()
            .filter(|r| !r.deleted && (filter.include_archived || !r.archived))
            .filter(|r| filter.status.is_none_or(|s| s == r.status))
            .filter(|r| filter.kind.is_none_or(|k| k == r.kind))
            .filter(|r| filter.group.as_ref().is_none_or(|g| r.group.as_ref() == Some(g)))
            .filter(|r| filter.scope.as_ref().is_none_or(|s| &r.scope == s))
            .map(|r| self.get_release(&r.id))
            .collect()
    }

    /// Jobs queued for in-process executors, not yet run.
    pub fn queued_jobs(&self) -> Vec<Job> {
        lock(&self.jobs).iter().cloned().collect()
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

//! Jobs and workers: claiming jobs from the store with leases, heartbeats, completions.
//!
//! Every job lives in the store from the append that queued it until the append that ends its
//! attempt. Two kinds of workers take them:
//!
//! * **in-process executors** (registered with [`Engine::register_executor`]): `tick()` claims
//!   their jobs under this engine's [`Engine::worker_id`], runs them and reports the outcome. An
//!   executor that answers [`Outcome::Started`] keeps its job (the lease is parked) until someone
//!   reports through [`Engine::complete_job`].
//! * **external workers** (any process, any language): [`Engine::claim_jobs`] →
//!   [`Engine::heartbeat`] while working → [`Engine::complete_claimed_job`] with the lease token.
//!   A token that is no longer the job's (the lease expired and the job was redelivered, with the
//!   same job id, to someone else) is refused with `conflict`, and so is a completion for an
//!   attempt that ended meanwhile (aborted, timed out).
//!
//! Delivery is at-least-once: a worker that outlives its lease without a heartbeat may see its
//! job run again elsewhere. With leases longer than the work, each job runs once per attempt.

use super::Engine;
use crate::access::Actor;
use crate::executor::{Job, Outcome};
use crate::release::{ActivityRef, ActivityStatus, Command, EventKind, TimerKey, parse_job_id};
use crate::store::{ClaimedJob, JobRecord};
use crate::{Error, Result, Timestamp};

/// The lease of a job whose in-process executor answered `Started`: it stays with this engine
/// until its outcome is reported.
fn parked() -> Timestamp {
    // 9999-12-31T00:00:00Z
    chrono::DateTime::from_timestamp(253_402_214_400, 0).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

impl Engine {
    /// Claims up to `limit` jobs of the named executors for `worker` for `lease`; each comes with a
    /// lease token. Claiming starts the attempt (`activity_started`, and its timeout runs from now);
    /// a redelivered job (lease expired) comes again with the same id and a new token. Jobs whose
    /// attempt ended meanwhile are dropped, never handed out.
    pub fn claim_jobs(
        &self,
        executors: &[&str],
        worker: &str,
        limit: usize,
        lease: chrono::Duration,
    ) -> Result<Vec<ClaimedJob>> {
        let blank = executors.iter().any(|e| e.trim().is_empty());
        if executors.is_empty() || blank || worker.trim().is_empty() {
            return Err(crate::Error::Executor {
                message: format!(
                    "claim_jobs needs the names of the executors the worker runs and a worker id (got executors {executors:?}, worker {worker:?})"
                ),
            });
        }
        let names: Vec<String> = executors.iter().map(|s| s.to_string()).collect();
        self.claim_named(&names, worker, limit, lease)
    }

    fn claim_named(
        &self,
        names: &[String],
        worker: &str,
        limit: usize,
        lease: chrono::Duration,
    ) -> Result<Vec<ClaimedJob>> {
        let now = self.clock.now();
        let claimed = self.store.claim_jobs(names, worker, limit, now + lease, now)?;
        let mut out = Vec::with_capacity(claimed.len());
        for mut c in claimed {
            match self.start_claimed(&c.job)? {
                Some(deadline) => {
                    // The deadline counts from now, when the attempt starts (not from when it was
                    // queued): the executor gets the time its `timeout` ends.
                    c.job.deadline = deadline;
                    match self.resolve_secrets(&c.job) {
                        Ok(inputs) => {
                            c.job.inputs = inputs;
                            out.push(c);
                        }
                        Err(message) => {
                            // The job cannot run without its secret: the attempt fails (no retry).
                            let failure = Outcome::Failure { message, retryable: false };
                            match self.complete_claimed_job(&c.job.id, &c.token, failure) {
                                Ok(()) | Err(Error::Conflict { .. }) | Err(Error::InvalidTransition { .. }) => {}
                                Err(e) => return Err(e),
                            }
                        }
                    }
                }
                None => {
                    // The attempt ended (or the release is gone): drop the job.
                    match self.store.finish_job(&c.job.id, &c.token) {
                        Ok(()) | Err(Error::Conflict { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(out)
    }

    /// The job's inputs with the `secret://` references of the release's `secret` inputs resolved,
    /// for handing to an executor. The resolved values live only in the returned map: never in
    /// events, the store, errors or notifications.
    fn resolve_secrets(&self, job: &Job) -> std::result::Result<indexmap::IndexMap<String, serde_json::Value>, String> {
        if !job_mentions_secret(&job.inputs) {
            return Ok(job.inputs.clone());
        }
        let state = self.get_release(&job.release_id).map_err(|e| e.to_string())?;
        let names = crate::secrets::secret_input_names(&state.plan().process.inputs, &state.inputs);
        let resolver = self.secrets.read().unwrap_or_else(|e| e.into_inner()).clone();
        match resolver {
            Some(r) => crate::secrets::resolve_job_inputs(&job.inputs, &|n| names.iter().any(|x| x == n), r.as_ref())
                .map_err(|e| e.to_string()),
            None => Err(format!(
                "job {} needs a secret but the engine has no secret resolver (Engine::set_secret_resolver)",
                job.id
            )),
        }
    }

    /// Replaces every resolved secret value of the release that appears in an outcome (an executor
    /// echoing a token in its output or error) by `***` before it is recorded.
    fn redact_secrets(&self, release: &str, outcome: Outcome) -> Outcome {
        let Some(resolver) = self.secrets.read().unwrap_or_else(|e| e.into_inner()).clone() else { return outcome };
        let Ok(state) = self.get_release(release) else { return outcome };
        let values: Vec<String> = crate::secrets::secret_input_names(&state.plan().process.inputs, &state.inputs)
            .iter()
            .filter_map(|n| resolver.resolve(n).ok())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return outcome;
        }
        let scrub = |text: &str| values.iter().fold(text.to_string(), |t, v| t.replace(v.as_str(), "***"));
        fn scrub_value(v: &serde_json::Value, scrub: &dyn Fn(&str) -> String) -> serde_json::Value {
            match v {
                serde_json::Value::String(s) => serde_json::Value::String(scrub(s)),
                serde_json::Value::Array(items) => {
                    serde_json::Value::Array(items.iter().map(|i| scrub_value(i, scrub)).collect())
                }
                serde_json::Value::Object(m) => {
                    serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), scrub_value(v, scrub))).collect())
                }
                other => other.clone(),
            }
        }
        match outcome {
            Outcome::Success { outputs } => {
                Outcome::Success { outputs: outputs.iter().map(|(k, v)| (k.clone(), scrub_value(v, &scrub))).collect() }
            }
            Outcome::Failure { message, retryable } => Outcome::Failure { message: scrub(&message), retryable },
            Outcome::Started => Outcome::Started,
        }
    }

    /// Records that a claimed job started. `Some(deadline)` (when its timeout ends, if it has one)
    /// while the job is its activity's current attempt, `None` if the attempt is gone.
    fn start_claimed(&self, job: &Job) -> Result<Option<Option<Timestamp>>> {
        let system = Actor::system();
        let timeout_of = |state: &crate::release::ReleaseState| {
            let key =
                TimerKey::Timeout { target: ActivityRef::new(&job.phase_id, &job.activity_id), attempt: job.attempt };
            state.timers.get(&key).copied()
        };
        match self.apply(&job.release_id, &Command::StartJob { job_id: job.id.clone() }, &system, None) {
            Ok(events) => Ok(Some(events.iter().find_map(|e| match &e.kind {
                EventKind::ActivityStarted { due, .. } => *due,
                _ => None,
            }))),
            Err(Error::InvalidTransition { .. }) => {
                // Already started: a redelivery after an expired lease.
                let state = self.get_release(&job.release_id)?;
                let current = state.activity(&job.phase_id, &job.activity_id).is_some_and(|a| {
                    a.job_id.as_deref() == Some(job.id.as_str()) && a.status == ActivityStatus::Running
                });
                Ok(current.then(|| timeout_of(&state)))
            }
            Err(Error::Conflict { .. } | Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Extends the lease of a claimed job by the engine's job lease (see
    /// [`Engine::set_job_lease`]); returns the new end of the lease. `conflict` if the token is
    /// stale or the job's attempt ended.
    pub fn heartbeat(&self, job_id: &str, token: &str) -> Result<Timestamp> {
        let until = self.clock.now() + self.settings().job_lease;
        self.store.heartbeat(job_id, token, until)?;
        Ok(until)
    }

    /// Reports the outcome of a job claimed with [`Engine::claim_jobs`]. The token must still be
    /// the job's (`conflict` otherwise: the lease expired and the job went to someone else, or the
    /// attempt ended). `Outcome::Started` only extends the lease (report again later).
    pub fn complete_claimed_job(&self, job_id: &str, token: &str, outcome: Outcome) -> Result<()> {
        // Checking the token also extends the lease, so nobody can claim the job while the
        // outcome is being recorded.
        self.heartbeat(job_id, token)?;
        if matches!(outcome, Outcome::Started) {
            return Ok(());
        }
        match self.complete_job(job_id, outcome) {
            Ok(()) => Ok(()), // the append that recorded the outcome removed the job
            Err(e) => {
                if matches!(e, Error::InvalidTransition { .. } | Error::Conflict { .. }) {
                    // The attempt ended meanwhile: the job is of no use any more.
                    let _ = self.store.finish_job(job_id, token);
                }
                Err(e)
            }
        }
    }

    /// Reports the outcome of a job without a lease token: for in-process executors that answered
    /// [`Outcome::Started`] and for trusted callers. A report for a stale attempt is refused with
    /// `conflict`; one for an attempt that already ended with `invalid_transition`.
    pub fn complete_job(&self, job_id: &str, outcome: Outcome) -> Result<()> {
        let (release, ..) = parse_job_id(job_id).ok_or_else(|| Error::NotFound {
            kind: "job".into(),
            id: job_id.into(),
            hint: Some("job ids look like <release>/<phase>/<activity>/<attempt>".into()),
        })?;
        let system = Actor::system();
        let outcome = self.redact_secrets(release, outcome);
        let cmd = match outcome {
            Outcome::Success { outputs } => Command::SucceedJob { job_id: job_id.into(), outputs },
            Outcome::Failure { message, retryable } => Command::FailJob { job_id: job_id.into(), message, retryable },
            Outcome::Started => return Ok(()),
        };
        self.apply(release, &cmd, &system, None).map(|_| ())
    }

    /// Every job in the store (queued, leased, parked), oldest first, with its lease.
    pub fn list_jobs(&self) -> Result<Vec<JobRecord>> {
        self.store.jobs()
    }

    /// Jobs of this engine's in-process executors that nobody holds now (not yet run).
    pub fn queued_jobs(&self) -> Vec<Job> {
        let now = self.clock.now();
        let names = self.executor_names();
        self.store
            .jobs()
            .unwrap_or_default()
            .into_iter()
            .filter(|r| names.contains(&r.job.executor) && r.lease_until.is_none_or(|l| l <= now))
            .map(|r| r.job)
            .collect()
    }

    /// Runs the in-process executors' jobs (and the jobs they lead to), one claim at a time, until
    /// none is left. Returns how many ran.
    pub(crate) fn run_jobs(&self) -> Result<usize> {
        let names = self.executor_names();
        if names.is_empty() {
            return Ok(0);
        }
        let lease = self.settings().job_lease;
        let mut ran = 0;
        loop {
            let claimed = self.claim_named(&names, &self.worker_id, 1, lease)?;
            let Some(c) = claimed.into_iter().next() else { break };
            let Some(exec) = self.executor(&c.job.executor) else { continue };
            let job = c.job.clone();
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exec.execute(&job))).unwrap_or_else(|panic| {
                    Outcome::Failure {
                        message: format!("executor `{}` panicked: {}", job.executor, panic_text(&panic)),
                        retryable: false,
                    }
                });
            ran += 1;
            let result = match outcome {
                Outcome::Started => self.store.heartbeat(&c.job.id, &c.token, parked()),
                other => self.complete_claimed_job(&c.job.id, &c.token, other),
            };
            match result {
                Ok(()) | Err(Error::InvalidTransition { .. }) | Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ran)
    }
}

fn job_mentions_secret(inputs: &indexmap::IndexMap<String, serde_json::Value>) -> bool {
    fn any(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains(crate::secrets::SECRET_SCHEME),
            serde_json::Value::Array(items) => items.iter().any(any),
            serde_json::Value::Object(m) => m.values().any(any),
            _ => false,
        }
    }
    inputs.values().any(any)
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

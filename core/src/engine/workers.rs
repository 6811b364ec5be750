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
//!
//! **One job never stops the others.** Every job claimed is either handed out, failed on its own
//! (its secret does not resolve, it cannot be started, its outcome cannot be recorded) or dropped
//! (its attempt ended); only a store error ends a claim or a `tick` early, and then the jobs
//! already claimed and not yet run are given back (their lease ends now) first.
//!
//! **Secrets.** The values a job is handed out with are kept in memory under its id and lease
//! token until its outcome is recorded, and exactly those redact the outcome (see
//! [`crate::secrets`]).

use super::Engine;
use crate::access::Actor;
use crate::executor::{Job, Outcome};
use crate::release::{ActivityRef, ActivityStatus, Command, EventKind, TimerKey, parse_job_id};
use crate::secrets::{Redactor, SecretResolution, SecretValue};
use crate::store::{ClaimedJob, JobRecord};
use crate::{Error, Result, Timestamp};
use indexmap::IndexMap;
use serde_json::Value;

/// The lease of a job whose in-process executor answered `Started`: it stays with this engine
/// until its outcome is reported.
fn parked() -> Timestamp {
    // 9999-12-31T00:00:00Z
    chrono::DateTime::from_timestamp(253_402_214_400, 0).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// What one claim did with the jobs the store returned.
struct Claimed {
    /// Jobs handed out, their secrets resolved.
    handed: Vec<ClaimedJob>,
    /// Jobs failed on their own at the claim (a secret that does not resolve, a start refused).
    failed: usize,
    /// How many jobs the store returned (handed out, failed or dropped).
    seen: usize,
    /// When the leases of this round's jobs end.
    lease_until: Timestamp,
}

/// What became of one claimed job.
enum HandOut {
    /// Ready for its executor.
    Ready,
    /// Failed on its own (recorded as the attempt's failure when possible).
    Failed,
    /// Its attempt had ended: removed from the store.
    Dropped,
}

/// A job's inputs with its secrets resolved, or why they could not be.
enum Resolved {
    Inputs(IndexMap<String, Value>, Vec<SecretValue>),
    Failed(String, Vec<SecretValue>),
}

fn is_store_error(e: &Error) -> bool {
    matches!(e, Error::Storage { .. })
}

impl Engine {
    /// Claims up to `limit` jobs of the named executors for `worker` for `lease`; each comes with a
    /// lease token. Claiming starts the attempt (`activity_started`, and its timeout runs from now);
    /// a redelivered job (lease expired) comes again with the same id and a new token. Jobs whose
    /// attempt ended meanwhile are dropped, never handed out; a job whose secret cannot be
    /// resolved fails (no retry) and the others are still handed out. The secret values a job is
    /// handed out with are in [`Job::secrets`]; they redact what [`Engine::complete_claimed_job`]
    /// records. A store error gives back the jobs claimed so far (their lease ends now).
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
        Ok(self.claim_named(&names, worker, limit, lease)?.handed)
    }

    fn claim_named(&self, names: &[String], worker: &str, limit: usize, lease: chrono::Duration) -> Result<Claimed> {
        self.prune_handed()?;
        let now = self.clock.now();
        let claimed = self.store.claim_jobs(names, worker, limit, now + lease, now)?;
        let mut round = Claimed {
            handed: Vec::with_capacity(claimed.len()),
            failed: 0,
            seen: claimed.len(),
            lease_until: now + lease,
        };
        let mut pending = claimed.into_iter();
        while let Some(mut c) = pending.next() {
            self.metrics.job_claimed(c.deliveries);
            match self.hand_out(&mut c) {
                Ok(HandOut::Ready) => round.handed.push(c),
                Ok(HandOut::Failed) => round.failed += 1,
                Ok(HandOut::Dropped) => {}
                Err(e) => {
                    // Only store errors get here: give back every job not yet handed to anyone.
                    let rest: Vec<ClaimedJob> = pending.collect();
                    self.give_back(round.handed.iter().chain([&c]).chain(rest.iter()));
                    return Err(e);
                }
            }
        }
        Ok(round)
    }

    /// Starts one claimed job and resolves its secrets. `Err` only for a store error.
    fn hand_out(&self, c: &mut ClaimedJob) -> Result<HandOut> {
        let deadline = match self.start_claimed(&c.job) {
            Ok(Some(deadline)) => deadline,
            Ok(None) => {
                // The attempt ended (or the release is gone): drop the job.
                self.handed.forget_job(&c.job.id);
                return match self.store.finish_job(&c.job.id, &c.token) {
                    Ok(()) | Err(Error::Conflict { .. }) => Ok(HandOut::Dropped),
                    Err(e) if is_store_error(&e) => Err(e),
                    Err(e) => {
                        tracing::warn!(job = %c.job.id, error = %e, "could not drop a job whose attempt ended");
                        Ok(HandOut::Dropped)
                    }
                };
            }
            Err(e) if is_store_error(&e) => return Err(e),
            Err(e) => return self.fail_at_claim(c, format!("the job could not be started: {e}"), Vec::new()),
        };
        // The deadline counts from now, when the attempt starts (not from when it was queued):
        // the executor gets the time its `timeout` ends.
        c.job.deadline = deadline;
        match self.resolve_secrets(&c.job)? {
            Resolved::Inputs(inputs, values) => {
                c.job.inputs = inputs;
                c.job.secrets = values.clone();
                self.handed.record(&c.job.id, &c.token, values);
                Ok(HandOut::Ready)
            }
            // The job cannot run without its secret: the attempt fails (no retry).
            Resolved::Failed(message, values) => self.fail_at_claim(c, message, values),
        }
    }

    /// Fails a claimed job that cannot be handed out; its siblings go on. `Err` only for a store
    /// error.
    fn fail_at_claim(&self, c: &ClaimedJob, message: String, values: Vec<SecretValue>) -> Result<HandOut> {
        // Redacted with the values resolved before the failing one, if any.
        self.handed.record(&c.job.id, &c.token, values);
        match self.complete_claimed_job(&c.job.id, &c.token, Outcome::Failure { message, retryable: false }) {
            Ok(()) | Err(Error::Conflict { .. }) | Err(Error::InvalidTransition { .. }) => Ok(HandOut::Failed),
            Err(e) if is_store_error(&e) => Err(e),
            Err(e) => {
                // Left leased: it comes back when the lease ends.
                tracing::warn!(job = %c.job.id, error = %e, "could not record that a job cannot be handed out");
                Ok(HandOut::Failed)
            }
        }
    }

    /// Ends the leases of claimed jobs now, so they can be claimed again at once.
    fn give_back<'a>(&self, jobs: impl IntoIterator<Item = &'a ClaimedJob>) {
        let now = self.clock.now();
        for c in jobs {
            self.handed.forget_lease(&c.job.id, &c.token);
            if let Err(e) = self.store.heartbeat(&c.job.id, &c.token, now) {
                tracing::warn!(job = %c.job.id, error = %e, "could not give a claimed job back; it returns when its lease ends");
            }
        }
    }

    /// Forgets the handed-out secret values of jobs that are gone (attempts that ended without an
    /// outcome reported here), once many are remembered.
    fn prune_handed(&self) -> Result<()> {
        if !self.handed.needs_prune() {
            return Ok(());
        }
        let mark = self.handed.mark();
        let jobs = self.store.jobs()?;
        let live: std::collections::HashSet<&str> = jobs.iter().map(|r| r.job.id.as_str()).collect();
        self.handed.prune(mark, &live);
        Ok(())
    }

    /// The job's inputs with the `secret://` references of the release's `secret` inputs resolved
    /// (each name once), for handing to an executor, and the values resolved. The values live only
    /// in the job handed out and in memory until its outcome is recorded: never in events, the
    /// store, errors or notifications. `Err` only for a store error.
    fn resolve_secrets(&self, job: &Job) -> Result<Resolved> {
        if !job_mentions_secret(&job.inputs) {
            return Ok(Resolved::Inputs(job.inputs.clone(), Vec::new()));
        }
        let state = match self.get_release(&job.release_id) {
            Ok(state) => state,
            Err(e) if is_store_error(&e) => return Err(e),
            Err(e) => return Ok(Resolved::Failed(e.to_string(), Vec::new())),
        };
        let names = crate::secrets::secret_input_names(&state.plan().process.inputs, &state.inputs);
        let resolver = self.secrets.read().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(resolver) = resolver else {
            return Ok(Resolved::Failed(
                format!(
                    "job {} needs a secret but the engine has no secret resolver (Engine::set_secret_resolver)",
                    job.id
                ),
                Vec::new(),
            ));
        };
        let allowed = |n: &str| names.iter().any(|x| x == n);
        let mut resolution = SecretResolution::new(&allowed, resolver.as_ref());
        Ok(match resolution.resolve_inputs(&job.inputs) {
            Ok(inputs) => Resolved::Inputs(inputs, resolution.values()),
            Err(e) => Resolved::Failed(e.to_string(), resolution.values()),
        })
    }

    /// The outcome with the secrets of the job redacted, for a job whose handed-out values this
    /// engine does not know (handed out by another engine on the same store, or before a
    /// restart): the secrets its inputs name are resolved again; if one cannot be, every text of
    /// the outcome is withheld.
    fn redact_unknown(&self, release: &str, job_id: &str, outcome: Outcome) -> Result<Outcome> {
        let state = match self.get_release(release) {
            Ok(state) => state,
            // Recording refuses it anyway (release gone).
            Err(Error::NotFound { .. }) => return Ok(outcome),
            Err(e) => return Err(e),
        };
        let Some((_, phase, activity, _)) = parse_job_id(job_id) else { return Ok(outcome) };
        let inputs = match state.activity(phase, activity) {
            Some(act) if act.job_id.as_deref() == Some(job_id) => &act.job_inputs,
            // Not the current attempt: recording refuses it.
            _ => return Ok(outcome),
        };
        let named = crate::secrets::referenced_secret_names(inputs);
        if named.is_empty() {
            return Ok(outcome);
        }
        let resolver = self.secrets.read().unwrap_or_else(|e| e.into_inner()).clone();
        let values: Option<Vec<SecretValue>> =
            resolver.and_then(|r| named.iter().map(|n| r.resolve(n).ok().map(SecretValue::new)).collect());
        Ok(match values {
            Some(values) => outcome.redacted(&Redactor::new(&values)),
            None => {
                tracing::warn!(job = %job_id, "the job's secret values are unknown here and cannot be resolved again; its outcome's text is withheld");
                outcome.withheld("the secret values this job was handed out with are not known to this engine")
            }
        })
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
    /// attempt ended). `Outcome::Started` only extends the lease (report again later). The
    /// outcome is redacted with exactly the secret values the job was handed out with.
    pub fn complete_claimed_job(&self, job_id: &str, token: &str, outcome: Outcome) -> Result<()> {
        // Checking the token also extends the lease, so nobody can claim the job while the
        // outcome is being recorded.
        // A stale token keeps its values remembered: they still redact what the job's current
        // delivery reports, until the attempt ends.
        self.heartbeat(job_id, token)?;
        if matches!(outcome, Outcome::Started) {
            return Ok(());
        }
        self.record_claimed_outcome(job_id, token, outcome)
    }

    /// [`Engine::complete_claimed_job`] for a job this engine claimed and ran itself: while at
    /// least half of its lease is left by this engine's clock, nobody else can have claimed it,
    /// so the token check (a heartbeat: one write) is left out and the outcome recorded at once.
    /// With less left, the token is checked as for any worker. (Engines sharing a store are
    /// assumed to have clocks closer than half a job lease apart.)
    fn complete_own_claim(&self, job_id: &str, token: &str, outcome: Outcome, lease_until: Timestamp) -> Result<()> {
        let half = self.settings().job_lease / 2;
        if matches!(outcome, Outcome::Started) || self.clock.now() + half > lease_until {
            return self.complete_claimed_job(job_id, token, outcome);
        }
        self.record_claimed_outcome(job_id, token, outcome)
    }

    /// Records the outcome of a claimed job whose token was checked (or cannot have gone stale).
    fn record_claimed_outcome(&self, job_id: &str, token: &str, outcome: Outcome) -> Result<()> {
        // The values of every lease of the job this engine handed out (a redelivery may have
        // been handed other values), if it handed out this one; unknown otherwise.
        let values = self.handed.of_lease(job_id, token).and_then(|_| self.handed.of_job(job_id));
        match self.record_outcome(job_id, outcome, values) {
            Ok(()) => {
                // The append that recorded the outcome removed the job.
                self.handed.forget_job(job_id);
                Ok(())
            }
            Err(e) => {
                if matches!(e, Error::InvalidTransition { .. } | Error::Conflict { .. }) {
                    // The attempt ended meanwhile: the job is of no use any more.
                    let _ = self.store.finish_job(job_id, token);
                    self.handed.forget_job(job_id);
                }
                Err(e)
            }
        }
    }

    /// Reports the outcome of a job without a lease token: for in-process executors that answered
    /// [`Outcome::Started`] and for trusted callers. A report for a stale attempt is refused with
    /// `conflict`; one for an attempt that already ended with `invalid_transition`. The outcome is
    /// redacted with the secret values the job was handed out with.
    pub fn complete_job(&self, job_id: &str, outcome: Outcome) -> Result<()> {
        self.complete_job_inner(job_id, outcome, None)
    }

    /// [`Engine::complete_job`] for an outcome that was reached at `at` and reported later (a
    /// Promise that settled before its report was committed): the attempt ends at `at`, or at the
    /// release's last event if that is later. `at` after the clock's time is refused with
    /// `invalid_input` (an outcome cannot come from the future).
    pub fn complete_job_at(&self, job_id: &str, outcome: Outcome, at: Timestamp) -> Result<()> {
        let now = self.clock.now();
        if at > now {
            return Err(Error::InvalidInput {
                problems: vec![crate::Problem::new(
                    "at",
                    crate::validate::codes::INVALID_VALUE,
                    format!("the outcome's time {at} is after the engine's clock ({now}); use a time up to now"),
                )],
            });
        }
        self.complete_job_inner(job_id, outcome, Some(at))
    }

    fn complete_job_inner(&self, job_id: &str, outcome: Outcome, at: Option<Timestamp>) -> Result<()> {
        let result = self.record_outcome_at(job_id, outcome, self.handed.of_job(job_id), at);
        if matches!(result, Ok(()) | Err(Error::InvalidTransition { .. })) {
            self.handed.forget_job(job_id);
        }
        result
    }

    /// Records an outcome, redacted with `values` (the ones handed out) or, when they are not
    /// known here, as [`Engine::redact_unknown`] says.
    fn record_outcome(&self, job_id: &str, outcome: Outcome, values: Option<Vec<SecretValue>>) -> Result<()> {
        self.record_outcome_at(job_id, outcome, values, None)
    }

    /// [`Engine::record_outcome`] stamped `at` (`None`: the clock's time).
    fn record_outcome_at(
        &self,
        job_id: &str,
        outcome: Outcome,
        values: Option<Vec<SecretValue>>,
        at: Option<Timestamp>,
    ) -> Result<()> {
        let (release, ..) = parse_job_id(job_id).ok_or_else(|| Error::NotFound {
            kind: "job".into(),
            id: job_id.into(),
            hint: Some("job ids look like <release>/<phase>/<activity>/<attempt>".into()),
        })?;
        let outcome = match values {
            Some(values) => outcome.redacted(&Redactor::new(&values)),
            None => {
                // Values of earlier leases handed out here are redacted too.
                let earlier = self.handed.of_job(job_id).unwrap_or_default();
                self.redact_unknown(release, job_id, outcome.redacted(&Redactor::new(&earlier)))?
            }
        };
        let job_id = job_id.to_string();
        let cmd = match outcome {
            Outcome::Success { outputs } => Command::SucceedJob { job_id, outputs },
            Outcome::Failure { message, retryable } => Command::FailJob { job_id, message, retryable, detail: None },
            Outcome::FailureWithDetail { message, retryable, detail } => {
                Command::FailJob { job_id, message, retryable, detail: Some(detail) }
            }
            Outcome::Started => return Ok(()),
        };
        self.apply_at(release, &cmd, &Actor::system(), None, at).map(|_| ())
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
    /// none is left. Returns how many ran or failed on their own. A job that fails never stops
    /// the others; only a store error ends the loop early.
    pub(crate) fn run_jobs(&self) -> Result<usize> {
        let names = self.executor_names();
        if names.is_empty() {
            return Ok(0);
        }
        let lease = self.settings().job_lease;
        let mut ran = 0;
        loop {
            let round = self.claim_named(&names, &self.worker_id, 1, lease)?;
            ran += round.failed;
            if round.seen == 0 {
                break;
            }
            let mut handed = round.handed.into_iter();
            while let Some(c) = handed.next() {
                ran += 1;
                if let Err(e) = self.run_claimed(&c, round.lease_until) {
                    self.give_back(handed.as_slice());
                    return Err(e);
                }
            }
        }
        Ok(ran)
    }

    /// Runs one claimed job on its in-process executor and records the outcome. `Err` only for a
    /// store error.
    fn run_claimed(&self, c: &ClaimedJob, lease_until: Timestamp) -> Result<()> {
        let Some(exec) = self.executor(&c.job.executor) else { return Ok(()) };
        let job = &c.job;
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exec.execute(job))).unwrap_or_else(|panic| {
                Outcome::Failure {
                    message: format!("executor `{}` panicked: {}", job.executor, panic_text(&panic)),
                    retryable: false,
                }
            });
        let result = match outcome {
            Outcome::Started => self.store.heartbeat(&job.id, &c.token, parked()),
            other => self.complete_own_claim(&job.id, &c.token, other, lease_until),
        };
        let e = match result {
            Ok(()) | Err(Error::InvalidTransition { .. }) | Err(Error::Conflict { .. }) => return Ok(()),
            Err(e) if is_store_error(&e) => return Err(e),
            Err(e) => e,
        };
        // The outcome could not be recorded (refused by a rule of the release): record that
        // instead, so the attempt ends.
        let redactor = Redactor::new(&self.handed.of_lease(&job.id, &c.token).unwrap_or_default());
        let message = format!("the outcome of executor `{}` could not be recorded: {e}", job.executor);
        let failure = Outcome::Failure { message, retryable: false };
        match self.complete_claimed_job(&job.id, &c.token, failure) {
            Ok(()) | Err(Error::InvalidTransition { .. }) | Err(Error::Conflict { .. }) => Ok(()),
            Err(e) if is_store_error(&e) => Err(e),
            Err(e) => {
                tracing::warn!(job = %job.id, error = %redactor.redact(&e.to_string()), "could not record a job's outcome; it returns when its lease ends");
                Ok(())
            }
        }
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

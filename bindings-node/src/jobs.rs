//! Jobs: the `Job` handed to executors, external workers (`claimJobs`, `heartbeat`,
//! `completeJob` with lease tokens) and the job listings, each store call with its `…Async` twin.

use crate::convert::{JsonObject, Span, options};
use crate::engine::Engine;
use crate::tasks::{call, calls};
use crate::views;
use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi_derive::napi;
use serde_json::Value;
use trainyard::executor::Outcome;
use trainyard::validate::codes::INVALID_VALUE;

fn json_object(map: &IndexMap<String, Value>) -> JsonObject {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A job object of the JS API: the fields of one attempt every job object has (the docs of `id`
/// and `inputs` given, as they differ), then the struct's own.
macro_rules! job_object {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident { id: $id_doc:literal, inputs: $inputs_doc:literal $(,)? }
        $({ $($(#[doc = $fdoc:literal])* pub $field:ident: $ty:ty,)+ })?
    ) => {
        $(#[doc = $doc])*
        #[napi(object, use_nullable = true)]
        #[derive(Clone)]
        pub struct $name {
            #[doc = $id_doc]
            pub id: String,
            /// Release id.
            pub release_id: String,
            /// Phase id.
            pub phase_id: String,
            /// Activity id.
            pub activity_id: String,
            /// Attempt (0 = first run).
            pub attempt: u32,
            /// Executor name.
            pub executor: String,
            #[doc = $inputs_doc]
            #[napi(ts_type = "Record<string, any>")]
            pub inputs: JsonObject,
            /// When the attempt times out, if the activity has a `timeout` (else `null`).
            pub deadline: Option<DateTime<Utc>>,
            $($($(#[doc = $fdoc])* pub $field: $ty,)+)?
        }
    };
}

job_object! {
    #[doc = " One attempt of an automated activity, handed to an executor."]
    pub struct Job {
        id: " Job id: `<release>/<phase>/<activity>/<attempt>`; pass it to `completeJob`.",
        inputs: " The resolved `with` values.",
    }
}

impl From<&trainyard::executor::Job> for Job {
    fn from(j: &trainyard::executor::Job) -> Self {
        Job {
            id: j.id.clone(),
            release_id: j.release_id.clone(),
            phase_id: j.phase_id.clone(),
            activity_id: j.activity_id.clone(),
            attempt: j.attempt,
            executor: j.executor.clone(),
            inputs: json_object(&j.inputs),
            deadline: j.deadline,
        }
    }
}

job_object! {
    #[doc = " A job claimed by an external worker (`claimJobs`): the job and its lease."]
    pub struct ClaimedJob {
        id: " Job id: `<release>/<phase>/<activity>/<attempt>` (the same on a redelivery).",
        inputs: " The resolved `with` values (secrets resolved).",
    }
    {
        #[doc = " The lease token: pass it to `heartbeat` and `completeJob`. A redelivery (the lease expired)"]
        #[doc = " gets a new one and makes this one stale (`conflict`)."]
        pub lease_token: String,
        #[doc = " How many times the job was handed out, this time included (1 = first delivery)."]
        pub deliveries: u32,
    }
}

impl From<trainyard::store::ClaimedJob> for ClaimedJob {
    fn from(c: trainyard::store::ClaimedJob) -> Self {
        let j = Job::from(&c.job);
        ClaimedJob {
            id: j.id,
            release_id: j.release_id,
            phase_id: j.phase_id,
            activity_id: j.activity_id,
            attempt: j.attempt,
            executor: j.executor,
            inputs: j.inputs,
            deadline: j.deadline,
            lease_token: c.token,
            deliveries: c.deliveries,
        }
    }
}

/// A job in the store with its lease, as listed by `listJobs`.
#[napi(object, use_nullable = true)]
pub struct JobRecord {
    /// The job (inputs as stored: secret references unresolved).
    pub job: Job,
    /// The worker holding (or last holding) the lease; `null` if never claimed.
    pub worker: Option<String>,
    /// When the lease ends; `null` if never claimed.
    pub lease_until: Option<DateTime<Utc>>,
    /// How many times it was handed out.
    pub deliveries: u32,
}

impl From<&trainyard::store::JobRecord> for JobRecord {
    fn from(r: &trainyard::store::JobRecord) -> Self {
        JobRecord {
            job: Job::from(&r.job),
            worker: r.worker.clone(),
            lease_until: r.lease_until,
            deliveries: r.deliveries,
        }
    }
}

options! {
    #[doc = " Options of `completeJob`: outputs for a success, `error` for a failure. With `leaseToken`"]
    #[doc = " (a job from `claimJobs`) the token must still be the job's, else `conflict`."]
    pub struct CompleteJobOptions {
        #[doc = " The lease token of a claimed job."]
        pub lease_token: Option<String>,
        #[doc = " Outputs of a successful job."]
        #[napi(ts_type = "Record<string, unknown>")]
        pub outputs: Option<JsonObject>,
        #[doc = " The failure message: the job failed."]
        pub error: Option<String>,
        #[doc = " Whether an automatic retry may help (failures only; default `true`)."]
        pub retryable: Option<bool>,
    }
}

impl CompleteJobOptions {
    /// The lease token and the outcome.
    fn split(self) -> (Option<String>, Outcome) {
        let outcome = match self.error {
            Some(message) => Outcome::Failure { message, retryable: self.retryable.unwrap_or(true) },
            None => Outcome::Success { outputs: self.outputs.map(|m| m.into_iter().collect()).unwrap_or_default() },
        };
        (self.lease_token, outcome)
    }
}

options! {
    #[doc = " Options of `claimJobs` (the same names as Python's keyword arguments)."]
    pub struct ClaimOptions {
        #[doc = " The worker's name (the lease holder; shown by `listJobs`)."]
        pub worker: String,
        #[doc = " At most this many jobs (default 10)."]
        pub limit: Option<u32>,
        #[doc = " How long the lease lasts: `\"5m\"` or milliseconds (default 5 minutes); extend it with"]
        #[doc = " `heartbeat`."]
        #[napi(ts_type = "string | number")]
        pub lease: Option<Span>,
    }
}

calls! {
    #[doc = " Claims up to `limit` (default 10) jobs of the named executors for an external `worker`,"]
    #[doc = " each leased for `lease` (default 5 minutes) and carrying its `leaseToken`. Claiming starts"]
    #[doc = " the attempt; inputs come with their secrets resolved."]
    #[ts("executors: string[], options: ClaimOptions", "ClaimedJob[]", "Promise<ClaimedJob[]>")]
    fn claim_jobs / claim_jobs_async(&self, cx, executors, options) {
        let executors: Vec<String> = cx.arg(executors, "executors");
        let o: ClaimOptions = cx.arg(options, "options");
        let lease = o.lease.map(|l| l.0).unwrap_or_else(|| chrono::Duration::minutes(5));
        if lease <= chrono::Duration::zero() {
            cx.problem("options.lease", INVALID_VALUE, "the lease must be longer than zero");
        }
        cx.finish()?;
        let limit = o.limit.unwrap_or(10) as usize;
        call(move |e| {
            let names: Vec<&str> = executors.iter().map(String::as_str).collect();
            let claimed = e.claim_jobs(&names, &o.worker, limit, lease)?;
            Ok(views::napi_value(claimed.into_iter().map(ClaimedJob::from).collect::<Vec<_>>()))
        })
    }

    #[doc = " Extends the lease of a claimed job; returns its new end. A stale token (the lease expired"]
    #[doc = " and the job went to another worker) or an ended attempt throws `conflict`."]
    #[ts("jobId: string, leaseToken: string", "Date", "Promise<Date>")]
    fn heartbeat / heartbeat_async(&self, cx, job_id, lease_token) {
        let id: String = cx.arg(job_id, "jobId");
        let token: String = cx.arg(lease_token, "leaseToken");
        cx.finish()?;
        call(move |e| Ok(views::napi_value(e.heartbeat(&id, &token)?)))
    }

    #[doc = " Reports the outcome of a job run outside the engine (`{ outputs }` or `{ error }`). With"]
    #[doc = " `leaseToken` (a job from `claimJobs`) the token must still be the job's: a stale one throws"]
    #[doc = " `conflict`. A report for a stale attempt throws `conflict`, for an ended one"]
    #[doc = " `invalid_transition`."]
    #[ts("jobId: string, options?: CompleteJobOptions", "void", "Promise<void>")]
    fn complete_job / complete_job_async(&self, cx, job_id, options) {
        let id: String = cx.arg(job_id, "jobId");
        let o: Option<CompleteJobOptions> = cx.arg(options, "options");
        cx.finish()?;
        let (token, outcome) = o.map(CompleteJobOptions::split).unwrap_or((None, Outcome::success()));
        call(move |e| {
            match token {
                Some(token) => e.complete_claimed_job(&id, &token, outcome),
                None => e.complete_job(&id, outcome),
            }?;
            Ok(views::napi_value(()))
        })
    }

    #[doc = " Every job in the store (queued, leased, parked), oldest first, with its lease."]
    #[ts("", "JobRecord[]", "Promise<JobRecord[]>")]
    fn list_jobs / list_jobs_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(e.list_jobs()?.iter().map(JobRecord::from).collect::<Vec<_>>())))
    }

    #[doc = " Jobs queued for in-process executors, not yet run."]
    #[ts("", "Job[]", "Promise<Job[]>")]
    fn queued_jobs / queued_jobs_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(e.queued_jobs().iter().map(Job::from).collect::<Vec<_>>())))
    }
}

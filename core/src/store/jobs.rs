//! Jobs as the store keeps them: leased to a worker with a token until a time.

use crate::Timestamp;
use crate::executor::Job;
use serde::{Deserialize, Serialize};

/// A job leased to a worker by [`super::Store::claim_jobs`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimedJob {
    /// The job (its id is stable across redelivery).
    pub job: Job,
    /// The lease token: required by `heartbeat` and `finish_job`/`complete_job`; a redelivery
    /// after the lease expired gets a new one and makes this one stale.
    pub token: String,
    /// How many times the job was handed out, this time included (1 = first delivery).
    pub deliveries: u32,
}

/// A job in the store with its lease, as listed by [`super::Store::jobs`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The job.
    pub job: Job,
    /// The worker holding (or last holding) the lease; `None` if never claimed.
    pub worker: Option<String>,
    /// When the lease ends; `None` if never claimed.
    pub lease_until: Option<Timestamp>,
    /// How many times it was handed out.
    pub deliveries: u32,
}

/// A fresh lease token.
pub(crate) fn new_token() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The `conflict` for a stale lease token or a job that is gone.
pub(crate) fn stale(job_id: &str, what: &str) -> crate::Error {
    crate::Error::Conflict {
        message: format!(
            "job {job_id}: {what}: the lease token is stale (the lease expired and the job was redelivered) \
             or the job is gone (its attempt ended or was aborted)"
        ),
    }
}

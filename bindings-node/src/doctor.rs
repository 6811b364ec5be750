//! The doctor (`doctor` / `doctorAsync`, `repair` / `repairAsync`): the core's
//! [`trainyard::DoctorReport`] and [`trainyard::RepairReport`] with the same fields as Python's,
//! in camelCase (counts as numbers).

use crate::engine::Engine;
use crate::tasks::{call, calls};
use crate::views;
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi_derive::napi;

/// One reason a release cannot progress (or part of it cannot).
#[napi(object)]
pub struct DoctorProblem {
    /// Stable code: `timer_missing`, `job_missing`, `child_missing`, `nobody_can_act` or `no_progress`.
    pub code: String,
    /// What is wrong, naming the timer, job, activity or child.
    pub message: String,
    /// Whether `repair` fixes it (timers and jobs are derived again from the events).
    pub repairable: bool,
}

/// A release the doctor found a problem with.
#[napi(object)]
pub struct DoctorFinding {
    /// Release id.
    pub release_id: String,
    /// Release name.
    pub name: String,
    /// Release status.
    pub status: String,
    /// Whether something else still moves the release (a problem may stop only part of it).
    pub can_progress: bool,
    /// Every problem found, in the order checked (timer, jobs, children, people).
    pub problems: Vec<DoctorProblem>,
}

/// What `doctor()` found.
#[napi(object)]
pub struct DoctorReport {
    /// How many releases that have not ended were checked.
    pub checked: f64,
    /// The releases with a problem, oldest first (empty: every release can progress).
    pub findings: Vec<DoctorFinding>,
}

/// What `repair()` did.
#[napi(object)]
pub struct RepairReport {
    /// Releases whose timer or jobs were written again.
    pub repaired: Vec<String>,
    /// Timers restored (a release's due time written again).
    pub timers_restored: f64,
    /// Jobs queued again.
    pub jobs_restored: f64,
}

impl From<trainyard::DoctorReport> for DoctorReport {
    fn from(r: trainyard::DoctorReport) -> Self {
        DoctorReport {
            checked: r.checked as f64,
            findings: r
                .findings
                .into_iter()
                .map(|f| DoctorFinding {
                    release_id: f.release_id,
                    name: f.name,
                    status: f.status.as_str().to_string(),
                    can_progress: f.can_progress,
                    problems: f
                        .problems
                        .into_iter()
                        .map(|p| DoctorProblem { code: p.code, message: p.message, repairable: p.repairable })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl From<trainyard::RepairReport> for RepairReport {
    fn from(r: trainyard::RepairReport) -> Self {
        RepairReport {
            repaired: r.repaired,
            timers_restored: r.timers_restored as f64,
            jobs_restored: r.jobs_restored as f64,
        }
    }
}

calls! {
    #[doc = " Checks every release that has not ended: whether it has a due timer, a queued or leased job,"]
    #[doc = " a child release or a named person who can act, and why not. Reads only."]
    #[ts("", "DoctorReport", "Promise<DoctorReport>")]
    fn doctor / doctor_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(DoctorReport::from(e.doctor()?))))
    }

    #[doc = " Derives the timers and jobs of `releaseIds` (of every release the doctor finds a repairable"]
    #[doc = " problem with, when omitted) again from their events and writes what is missing."]
    #[ts("releaseIds?: string[] | null", "RepairReport", "Promise<RepairReport>")]
    fn repair / repair_async(&self, cx, release_ids) {
        let ids: Option<Vec<String>> = cx.arg(release_ids, "releaseIds");
        cx.finish()?;
        call(move |e| Ok(views::napi_value(RepairReport::from(e.repair(ids.as_deref())?))))
    }
}

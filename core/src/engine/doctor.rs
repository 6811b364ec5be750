//! The doctor: which non-terminal releases can still progress, and the repair of what the store
//! lost.
//!
//! A release that has not ended progresses when something will move it: a **timer** in the
//! store (its row's `next_due`) for the release's earliest timer, a **job** in the store
//! (queued or leased) for each automated activity in flight, a **child release** that exists for
//! each running subprocess activity, or a **named person** who can act (an approver of a waiting
//! approval, the owners or the creator of a release that waits for a decision). [`Engine::doctor`]
//! lists the releases where one of those is missing, with a code and a message per problem.
//!
//! The state of a release is a fold of its events, and the timers and jobs in the store are
//! derived from that state; [`Engine::repair`] derives them again (the release's row with its
//! `next_due`, and every job an in-flight activity needs) and writes them in one append with no
//! events and the release's current sequence, so a release changed meanwhile is left alone
//! (`conflict`, tried again on the fresh state).

use super::Engine;
use super::apply::row_of;
use crate::executor::Job;
use crate::model::ActivityKind;
use crate::release::{ActivityStatus, ReleaseState, ReleaseStatus, Stage, TimerKey};
use crate::store::{Append, ReleaseQuery, ReleaseRow};
use crate::{Error, Result, Timestamp};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One reason a release cannot progress (or part of it cannot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorProblem {
    /// Stable code: `timer_missing`, `job_missing`, `child_missing`, `nobody_can_act` or
    /// `no_progress`.
    pub code: String,
    /// What is wrong, naming the timer, job, activity or child.
    pub message: String,
    /// Whether [`Engine::repair`] fixes it (timers and jobs are derived again from the events).
    pub repairable: bool,
}

/// A release the doctor found a problem with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorFinding {
    /// Release id.
    pub release_id: String,
    /// Release name.
    pub name: String,
    /// Release status.
    pub status: ReleaseStatus,
    /// Whether something else still moves the release (a problem may stop only part of it).
    pub can_progress: bool,
    /// Every problem found, in the order checked (timer, jobs, children, people).
    pub problems: Vec<DoctorProblem>,
}

/// What [`Engine::doctor`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DoctorReport {
    /// How many non-terminal releases were checked.
    pub checked: usize,
    /// The releases with a problem, oldest first.
    pub findings: Vec<DoctorFinding>,
}

impl DoctorProblem {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["code", "message", "repairable"]
    }
}

impl DoctorFinding {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["release_id", "name", "status", "can_progress", "problems"]
    }
}

impl RepairReport {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["repaired", "timers_restored", "jobs_restored"]
    }
}

impl DoctorReport {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &["checked", "findings"]
    }

    /// Whether every release checked can progress and nothing is missing.
    pub fn healthy(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What [`Engine::repair`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RepairReport {
    /// Releases whose row (and timer) or jobs were written again.
    pub repaired: Vec<String>,
    /// Timers restored (a release's `next_due` written again).
    pub timers_restored: usize,
    /// Jobs queued again.
    pub jobs_restored: usize,
}

/// What a release should have in the store, derived from its state.
struct Expected {
    row: ReleaseRow,
    jobs: Vec<Job>,
}

impl Engine {
    /// Checks every non-terminal release: whether it has a due timer, a queued or leased job, a
    /// child release or a named person who can act, and why not. Reads only.
    pub fn doctor(&self) -> Result<DoctorReport> {
        self.doctor_with_progress(&mut |_, _| {})
    }

    /// Like [`Engine::doctor`], calling `progress(done, total)` after each release (for a
    /// progress bar over a big store).
    pub fn doctor_with_progress(&self, progress: &mut dyn FnMut(usize, usize)) -> Result<DoctorReport> {
        let rows = self.store.query_releases(&ReleaseQuery {
            statuses: open_statuses(),
            include_archived: true,
            ..Default::default()
        })?;
        let jobs: HashSet<String> = self.store.jobs()?.into_iter().map(|j| j.job.id).collect();
        let timers = self.stored_timers()?;
        let total = rows.len();
        let mut report = DoctorReport { checked: total, findings: Vec::new() };
        for (i, row) in rows.iter().enumerate() {
            let state = match self.get_release(&row.id) {
                Ok(s) => s,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            if let Some(f) = self.examine(&state, timers.get(&row.id).copied(), &jobs)? {
                report.findings.push(f);
            }
            progress(i + 1, total);
        }
        Ok(report)
    }

    /// Derives the timers and jobs of the given releases (every release the doctor finds a
    /// repairable problem with, when `ids` is `None`) again from their events and writes what is
    /// missing. Returns what it wrote.
    pub fn repair(&self, ids: Option<&[String]>) -> Result<RepairReport> {
        let ids: Vec<String> = match ids {
            Some(ids) => ids.to_vec(),
            None => self
                .doctor()?
                .findings
                .into_iter()
                .filter(|f| f.problems.iter().any(|p| p.repairable))
                .map(|f| f.release_id)
                .collect(),
        };
        let mut report = RepairReport::default();
        let timers = self.stored_timers()?;
        for id in ids {
            self.repair_one(&id, timers.get(&id).copied(), &mut report)?;
        }
        Ok(report)
    }

    /// The timers as `tick` finds them: every release with a `next_due` in the store's timer
    /// index, and when it is due.
    fn stored_timers(&self) -> Result<HashMap<String, Timestamp>> {
        let far: Timestamp = "9999-12-31T23:59:59Z".parse().expect("a valid time");
        Ok(self.store.due(far, i64::MAX as usize)?.into_iter().map(|(due, id)| (id, due)).collect())
    }

    fn repair_one(&self, id: &str, stored: Option<Timestamp>, report: &mut RepairReport) -> Result<()> {
        let mut stored = stored;
        for _ in 0..super::MAX_CONFLICT_RETRIES {
            self.require_row(id)?;
            // The fold of every event: what the timers and jobs must agree with.
            let state = self.replay_release(id)?;
            let present: HashSet<String> =
                self.store.jobs()?.into_iter().filter(|j| j.job.release_id == id).map(|j| j.job.id).collect();
            let expected = expected_of(&state);
            let missing: Vec<Job> = expected.jobs.into_iter().filter(|j| !present.contains(&j.id)).collect();
            let timer_wrong = stored != expected.row.next_due;
            if !timer_wrong && missing.is_empty() {
                return Ok(());
            }
            let append = Append { new_jobs: &missing, ..Append::new(id, state.seq, &[], &expected.row) };
            match self.store.append(&append) {
                Ok(()) => {
                    tracing::info!(release = %id, jobs = missing.len(), timer = timer_wrong, "release repaired");
                    report.repaired.push(id.to_string());
                    report.timers_restored += usize::from(timer_wrong && expected.row.next_due.is_some());
                    report.jobs_restored += missing.len();
                    self.cache_put(id, state);
                    return Ok(());
                }
                Err(Error::Conflict { .. }) => {
                    stored = self.stored_timers()?.get(id).copied();
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict { message: format!("release {id} kept changing during its repair; run the repair again") })
    }

    /// The problems of one release (`None` when it is healthy).
    fn examine(
        &self,
        state: &ReleaseState,
        stored: Option<Timestamp>,
        jobs: &HashSet<String>,
    ) -> Result<Option<DoctorFinding>> {
        let mut problems = Vec::new();
        let mut moving = false;
        // Timers: the row's next_due is what `tick` finds.
        match (state.next_timer(), stored) {
            (Some((_, due)), Some(stored)) if stored <= *due => moving = true,
            (Some((key, due)), stored) => problems.push(DoctorProblem {
                code: "timer_missing".into(),
                message: format!(
                    "its {} timer (due {}) is not in the store{}",
                    timer_name(key),
                    due.to_rfc3339(),
                    stored.map(|s| format!(" (the store has {})", s.to_rfc3339())).unwrap_or_default()
                ),
                repairable: true,
            }),
            (None, _) => {}
        }
        // Jobs and children of the activities in flight.
        for job in expected_jobs(state) {
            if jobs.contains(&job.id) {
                moving = true;
            } else {
                problems.push(DoctorProblem {
                    code: "job_missing".into(),
                    message: format!(
                        "activity {}.{} is {} but its job {} (executor `{}`) is not in the store",
                        job.phase_id,
                        job.activity_id,
                        state.activity(&job.phase_id, &job.activity_id).map_or("queued", |a| a.status.as_str()),
                        job.id,
                        job.executor
                    ),
                    repairable: true,
                });
            }
        }
        for (phase, act, child) in running_children(state) {
            match self.store.release(child)? {
                Some(r) if !r.deleted => moving = true,
                _ => problems.push(DoctorProblem {
                    code: "child_missing".into(),
                    message: format!(
                        "subprocess activity {phase}.{act} runs child release {child}, which does not exist"
                    ),
                    repairable: false,
                }),
            }
        }
        // People.
        let waits_for_people = waits_for_people(state);
        if waits_for_people {
            let people = named_people(state);
            if people.is_empty() {
                problems.push(DoctorProblem {
                    code: "nobody_can_act".into(),
                    message: "it waits for a person, but names nobody: no owner, creator or approver".into(),
                    repairable: false,
                });
            } else {
                moving = true;
            }
        }
        if !moving && problems.is_empty() {
            problems.push(DoctorProblem {
                code: "no_progress".into(),
                message: "nothing is pending: no timer, no job, no child release and no activity waiting for a person"
                    .into(),
                repairable: false,
            });
        }
        if problems.is_empty() {
            return Ok(None);
        }
        Ok(Some(DoctorFinding {
            release_id: state.id.clone(),
            name: state.name.clone(),
            status: state.status,
            can_progress: moving,
            problems,
        }))
    }
}

/// The statuses of releases that have not ended.
fn open_statuses() -> Vec<ReleaseStatus> {
    ReleaseStatus::ALL.iter().copied().filter(|s| !s.is_terminal()).collect()
}

fn expected_of(state: &ReleaseState) -> Expected {
    Expected { row: row_of(state), jobs: expected_jobs(state) }
}

/// The jobs the automated activities in flight need: one per attempt with a job id that is not
/// waiting out a retry backoff or a freeze.
fn expected_jobs(state: &ReleaseState) -> Vec<Job> {
    let mut out = Vec::new();
    if state.stage != Stage::Active {
        return out;
    }
    let plan = state.plan();
    for (p, phase) in state.phases.iter().enumerate() {
        for (a, act) in phase.activities.iter().enumerate() {
            let def = plan.activity_def(p, a);
            if def.kind != ActivityKind::Automated || !act.status.is_in_flight() {
                continue;
            }
            let Some(job_id) = &act.job_id else { continue };
            let waiting = state.timers.iter().any(|(k, _)| {
                matches!(k, TimerKey::Retry { target, .. } | TimerKey::FreezeEnd { target }
                    if target.phase == phase.id && target.activity == act.id)
            });
            if waiting {
                continue;
            }
            out.push(Job {
                id: job_id.clone(),
                release_id: state.id.clone(),
                phase_id: phase.id.clone(),
                activity_id: act.id.clone(),
                attempt: act.attempt,
                executor: def.executor.clone().unwrap_or_default(),
                inputs: act.job_inputs.clone(),
                deadline: None,
                secrets: Vec::new(),
            });
        }
    }
    out
}

/// `(phase, activity, child id)` of the running subprocess activities.
fn running_children(state: &ReleaseState) -> Vec<(&str, &str, &str)> {
    let plan = state.plan();
    let mut out = Vec::new();
    for (p, phase) in state.phases.iter().enumerate() {
        for (a, act) in phase.activities.iter().enumerate() {
            if plan.activity_def(p, a).kind == ActivityKind::Subprocess && act.status == ActivityStatus::Running {
                if let Some(child) = &act.child_id {
                    out.push((phase.id.as_str(), act.id.as_str(), child.as_str()));
                }
            }
        }
    }
    out
}

/// Whether the release waits for a decision of a person: a draft, a scheduled release that does
/// not start by itself, a paused one, or an activity waiting for input or on hold.
fn waits_for_people(state: &ReleaseState) -> bool {
    match state.stage {
        Stage::Draft => true,
        Stage::Scheduled => !state.schedule.as_ref().is_some_and(|s| s.auto_start),
        _ => {
            state.paused
                || state
                    .phases
                    .iter()
                    .flat_map(|p| &p.activities)
                    .any(|a| matches!(a.status, ActivityStatus::WaitingForInput | ActivityStatus::OnHold))
        }
    }
}

/// The people (and groups) named by the release who can act on it: approvers of the waiting
/// approvals, the owners, whoever created, scheduled or started it (never the system).
fn named_people(state: &ReleaseState) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let plan = state.plan();
    for (p, phase) in state.phases.iter().enumerate() {
        for (a, act) in phase.activities.iter().enumerate() {
            if act.status == ActivityStatus::WaitingForInput {
                for ap in &plan.activity_def(p, a).approvers {
                    out.extend(ap.user.clone());
                    out.extend(ap.group.as_ref().map(|g| format!("group:{g}")));
                }
            }
        }
    }
    out.extend(state.owners.iter().cloned());
    out.push(state.created_by.clone());
    out.extend(state.scheduled_by.clone());
    out.extend(state.started_by.clone());
    let system = crate::access::Actor::system().id;
    out.retain(|p| !p.is_empty() && *p != system);
    out.sort();
    out.dedup();
    out
}

fn timer_name(key: &TimerKey) -> String {
    let v = serde_json::to_value(key).unwrap_or_default();
    let kind = v.get("timer").and_then(|t| t.as_str()).unwrap_or("a").to_string();
    match key.activity() {
        Some(t) => format!("{kind} ({}.{})", t.phase, t.activity),
        None => match key {
            TimerKey::PhaseNotBefore { phase } => format!("{kind} ({phase})"),
            _ => kind,
        },
    }
}

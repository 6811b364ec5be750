//! Gates: an activity that waits for other releases (or a phase or an activity of them).
//!
//! # Rules
//! * **Targets are fixed when the gate starts.** Starting the gate records its targets with their
//!   `${...}` rendered (`gate_opened`); the engine then resolves them against the store — a
//!   `release` id, the `group`'s `occurrence` (`latest`: the group's release that started last;
//!   or the occurrence with that planned start), or every release in flight (scheduled, running,
//!   on hold) with the `labels` — and reports what it found as [`super::Command::ObserveGate`]. The
//!   first report records the resolved targets and their statuses (`gate_resolved`); from then
//!   on the gate watches exactly those releases. A label selector that matches nothing is
//!   satisfied; a `release` or an occurrence that does not exist fails the gate.
//! * **Opening and failing.** The gate fails when a target is in one of `fail_on` (default
//!   `[failed, aborted]`), and opens (`activity_succeeded`, with `outputs.targets`: each target and
//!   the status it was in) when every target is in one of `until` (default `[success]`).
//!   Otherwise it waits, `running`. A phase or activity of a target release that ended without
//!   running it counts as `aborted` (the release was aborted) or `skipped` (it ended otherwise).
//!   A status in neither list is waited through: with
//!   `fail_on: []` a failed target keeps the gate waiting until it is retried to success, or a
//!   person skips the gate.
//! * **Woken by the target's commit.** The engine that commits a change to a watched release
//!   reports it to the gates watching it; every other engine on the store learns of the commit
//!   from the change feed and does the same, so a gate is woken whichever engine moved its
//!   target. Nothing polls. The watches are stored with the watching release's events (one
//!   atomic append), so they survive restarts and are seen by every engine.
//! * **A failed gate** follows its `on_failure` (default `hold`: a person retries it, which
//!   resolves its targets again, ignores it or fails it); a `timeout` fails it when it waited
//!   that long. Skipping a waiting gate is a manager's command with a reason, recorded like any
//!   skip.
//! * **Cycles** across releases (A waits for B, which waits for A) are refused when a release
//!   is scheduled or activated, and fail a gate whose resolved targets would close one.
//! * A release that a waiting gate watches cannot be deleted (nor removed by retention) until the
//!   gate has stopped waiting.

use super::{ActivityRef, ActivityStatus, ReleaseState};
use crate::model::{Activity, DEFAULT_GATE_FAIL_ON, DEFAULT_GATE_UNTIL, GateTarget, Until};
use serde::{Deserialize, Serialize};

/// A gate that is waiting: its rendered targets and, once the engine reported them, what they
/// resolved to. Kept in [`ReleaseState::gates`] while the gate runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateWait {
    /// The gate activity.
    pub target: ActivityRef,
    /// Its attempt.
    pub attempt: u32,
    /// The targets as the definition gives them, `${...}` rendered.
    pub selectors: Vec<GateTarget>,
    /// What they resolved to (absent until the engine's first report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Vec<GateObservation>>,
}

/// One release (or a phase or an activity of it) a gate watches, with the status it was seen in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateObservation {
    /// The release id.
    pub release: String,
    /// The phase watched, if the target names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The activity watched, if the target names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// Its status (`success`, `running`, …; `not_started` for a phase or activity the release
    /// does not have yet).
    pub status: String,
}

impl GateObservation {
    /// Whether both name the same release, phase and activity.
    pub fn same_target(&self, other: &GateObservation) -> bool {
        self.release == other.release && self.phase == other.phase && self.activity == other.activity
    }

    /// `release`, `release/phase` or `release/phase/activity`.
    pub fn describe(&self) -> String {
        match (&self.phase, &self.activity) {
            (Some(p), Some(a)) => format!("{}/{p}/{a}", self.release),
            (Some(p), None) => format!("{}/{p}", self.release),
            _ => self.release.clone(),
        }
    }
}

/// A gate the engine is to resolve: the effect of `gate_opened`.
#[derive(Debug, Clone, PartialEq)]
pub struct GateOpen {
    /// The gate activity.
    pub target: ActivityRef,
    /// Its attempt.
    pub attempt: u32,
    /// Its rendered targets.
    pub selectors: Vec<GateTarget>,
}

/// What the statuses a gate sees mean for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateVerdict {
    /// Every target is in one of `until`.
    Open,
    /// A target is in one of `fail_on` (the message names it).
    Fail(String),
    /// Neither yet.
    Wait,
}

/// The gate's `until` statuses (the default when the definition gives none).
pub fn until_of(def: &Activity) -> Vec<&str> {
    match &def.until {
        Some(Until::Statuses(list)) => list.iter().map(String::as_str).collect(),
        _ => DEFAULT_GATE_UNTIL.to_vec(),
    }
}

/// The gate's `fail_on` statuses (the default when the definition gives none).
pub fn fail_on_of(def: &Activity) -> Vec<&str> {
    match &def.fail_on {
        Some(list) => list.iter().map(String::as_str).collect(),
        None => DEFAULT_GATE_FAIL_ON.to_vec(),
    }
}

/// What `observed` means for gate `def` (pure; the rules are in the module docs).
pub fn verdict(def: &Activity, observed: &[GateObservation]) -> GateVerdict {
    let fail_on = fail_on_of(def);
    if let Some(o) = observed.iter().find(|o| fail_on.contains(&o.status.as_str())) {
        return GateVerdict::Fail(format!(
            "gate target {} is {} (fail_on: {})",
            o.describe(),
            o.status,
            fail_on.join(", ")
        ));
    }
    let until = until_of(def);
    if observed.iter().all(|o| until.contains(&o.status.as_str())) { GateVerdict::Open } else { GateVerdict::Wait }
}

/// The status of a target in a release's state: of the release, or of its phase or activity
/// (`not_started` when the release has no such phase or activity). A phase or activity that has
/// not ended in a release that has counts as `aborted` when the release was aborted and `skipped`
/// otherwise: it will never run.
pub fn status_in(state: &ReleaseState, phase: Option<&str>, activity: Option<&str>) -> String {
    let Some(phase) = phase else { return state.status.as_str().to_string() };
    let (status, ended) = match activity {
        None => match state.phase(phase) {
            Some(ph) => (ph.status.as_str(), ph.status.is_terminal()),
            None => return NOT_STARTED.to_string(),
        },
        Some(a) => match state.activity(phase, a) {
            Some(x) => (x.status.as_str(), x.status.is_terminal()),
            None => return NOT_STARTED.to_string(),
        },
    };
    if !ended && state.status.is_terminal() {
        let never = if state.status == super::ReleaseStatus::Aborted { "aborted" } else { "skipped" };
        return never.to_string();
    }
    status.to_string()
}

/// The status reported for a phase or an activity a target release does not have.
pub const NOT_STARTED: &str = "not_started";

/// The most releases one gate may watch (its targets after resolution, all selectors together);
/// a gate whose selectors match more fails with a message that says so.
pub const MAX_GATE_TARGETS: usize = 1_000;

/// The releases a release waits for or will wait for, as far as it can tell without the store:
/// the resolved targets of its waiting gates, and the `release` targets of the gates it has not
/// opened yet (a literal id, or `${...}` that renders now, e.g. from the inputs). Group and label
/// selectors are only known when the gate resolves them. What the cycle checks follow.
pub fn gate_edges(state: &ReleaseState) -> Vec<String> {
    use crate::expr::eval::{self, Scope};
    let mut out: Vec<String> = state.gate_watches();
    let plan = state.plan();
    if !plan.has_gates() {
        return out;
    }
    for (p, phase) in plan.phases.iter().enumerate() {
        for a in 0..phase.activities.len() {
            let def = plan.activity_def(p, a);
            let status = state.phases[p].activities[a].status;
            if def.kind != crate::model::ActivityKind::Gate || status.is_terminal() || status == ActivityStatus::Running
            {
                continue;
            }
            for t in &def.targets {
                let Some(text) = &t.release else { continue };
                let id = if crate::expr::template::has_interpolation(text) {
                    match eval::interpolate(&serde_json::Value::String(text.clone()), &Scope::activity(state, p, a)) {
                        Ok(serde_json::Value::String(s)) => s,
                        _ => continue,
                    }
                } else {
                    text.clone()
                };
                out.push(id);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

impl ReleaseState {
    /// The gates that wait right now (running, on the attempt they were opened for).
    pub fn waiting_gates(&self) -> impl Iterator<Item = &GateWait> {
        self.gates.iter().filter(|g| {
            self.activity(&g.target.phase, &g.target.activity)
                .is_some_and(|a| a.status == ActivityStatus::Running && a.attempt == g.attempt)
        })
    }

    /// The ids of the releases this release's waiting gates watch (resolved ones only), sorted,
    /// without repeats: what the store indexes as its watches.
    pub fn gate_watches(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .waiting_gates()
            .filter_map(|g| g.resolved.as_ref())
            .flat_map(|r| r.iter().map(|o| o.release.clone()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActivityKind;

    fn gate(until: Option<Vec<&str>>, fail_on: Option<Vec<&str>>) -> Activity {
        let mut a: Activity = serde_json::from_value(serde_json::json!({"id": "g", "kind": "gate"})).unwrap();
        assert_eq!(a.kind, ActivityKind::Gate);
        a.until = until.map(|l| Until::Statuses(l.into_iter().map(String::from).collect()));
        a.fail_on = fail_on.map(|l| l.into_iter().map(String::from).collect());
        a
    }

    fn seen(release: &str, status: &str) -> GateObservation {
        GateObservation { release: release.into(), phase: None, activity: None, status: status.into() }
    }

    #[test]
    fn a_gate_opens_when_every_target_is_in_until_and_fails_on_fail_on_first() {
        let def = gate(None, None);
        assert_eq!(verdict(&def, &[seen("a", "success"), seen("b", "success")]), GateVerdict::Open);
        assert_eq!(verdict(&def, &[seen("a", "success"), seen("b", "running")]), GateVerdict::Wait);
        let GateVerdict::Fail(why) = verdict(&def, &[seen("a", "success"), seen("b", "failed")]) else { panic!() };
        assert!(why.contains("b is failed"), "{why}");
        assert_eq!(verdict(&def, &[]), GateVerdict::Open, "nothing to wait for");
    }

    #[test]
    fn fail_on_empty_waits_through_a_failure_and_until_may_accept_it() {
        let waits = gate(None, Some(vec![]));
        assert_eq!(verdict(&waits, &[seen("a", "failed")]), GateVerdict::Wait);
        let accepts = gate(Some(vec!["success", "failed", "aborted"]), Some(vec![]));
        assert_eq!(verdict(&accepts, &[seen("a", "failed")]), GateVerdict::Open);
        let partial = gate(Some(vec!["success", "partial_success"]), None);
        assert_eq!(verdict(&partial, &[seen("a", "partial_success")]), GateVerdict::Open);
    }
}

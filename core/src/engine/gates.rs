//! Gates in the engine (the rules are in [`crate::release::gates`]): resolving a gate's targets
//! against the store, reporting what they are doing ([`Command::ObserveGate`]), and waking the
//! gates that watch a release after its commits — this engine's own, and other engines' as it
//! follows the change feed.
//!
//! The engine keeps an index of the store's watches (target → watching releases), read from the
//! store when it starts following the feed (its first `tick`; or at its first commit, and again
//! then) and kept current by its own commits and by the feed entries of other engines' commits. A commit of a watched release wakes its watchers;
//! a commit that adds watches checks their targets at once (a target may have moved between the
//! report and the commit, committed by an engine that did not know of the watch yet; whichever
//! of the two commits comes second sees the other). Nothing polls.

use super::{Engine, lock};
use crate::access::Actor;
use crate::model::GateTarget;
use crate::release::gates::{GateObservation, GateOpen, MAX_GATE_TARGETS, gate_edges, status_in};
use crate::release::{ActivityRef, Command, ReleaseState, ReleaseStatus, Stage};
use crate::store::{ReleaseQuery, SearchFilter, SearchSort};
use crate::{Error, Problem, Result};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The most releases a cycle check follows before it gives up looking (and lets the release go).
const MAX_CYCLE_WALK: usize = 10_000;

/// The store's gate watches as this engine knows them.
#[derive(Debug, Default)]
pub(crate) struct GateIndex {
    watchers: HashMap<String, BTreeSet<String>>,
    targets: HashMap<String, Vec<String>>,
}

impl GateIndex {
    fn set(&mut self, watcher: &str, targets: &[String]) {
        for t in self.targets.remove(watcher).unwrap_or_default() {
            if let Some(w) = self.watchers.get_mut(&t) {
                w.remove(watcher);
                if w.is_empty() {
                    self.watchers.remove(&t);
                }
            }
        }
        if targets.is_empty() {
            return;
        }
        for t in targets {
            self.watchers.entry(t.clone()).or_default().insert(watcher.to_string());
        }
        self.targets.insert(watcher.to_string(), targets.to_vec());
    }

    fn watchers_of(&self, target: &str) -> Vec<String> {
        self.watchers.get(target).map(|w| w.iter().cloned().collect()).unwrap_or_default()
    }
}

impl Engine {
    /// Runs `f` on the watch index, reading it from the store first if this engine has not yet.
    pub(crate) fn with_gate_index<T>(&self, f: impl FnOnce(&mut GateIndex) -> T) -> Result<T> {
        let mut index = lock(&self.gate_index);
        if index.is_none() {
            *index = Some(self.read_gate_index()?.0);
        }
        Ok(f(index.as_mut().expect("read")))
    }

    /// Reads the watch index from the store again and checks every waiting gate once: called when
    /// the engine starts following the feed (from then on the feed tells it of new watches; a
    /// target may have moved while no engine that knew of a watch was following).
    pub(crate) fn reload_gate_index(&self) -> Result<()> {
        let (fresh, watchers) = self.read_gate_index()?;
        *lock(&self.gate_index) = Some(fresh);
        for watcher in watchers {
            self.check_gates(&watcher);
        }
        Ok(())
    }

    fn read_gate_index(&self) -> Result<(GateIndex, Vec<String>)> {
        let mut by_watcher: HashMap<String, Vec<String>> = HashMap::new();
        for (watcher, target) in self.store.gate_watches(None)? {
            by_watcher.entry(watcher).or_default().push(target);
        }
        let mut index = GateIndex::default();
        for (watcher, targets) in &by_watcher {
            index.set(watcher, targets);
        }
        Ok((index, by_watcher.into_keys().collect()))
    }

    /// What a commit of release `id` means for gates: the gates it opened are resolved, new
    /// watches are recorded and checked at once, and the gates watching `id` are woken.
    pub(crate) fn gates_after_commit(&self, id: &str, opened: Vec<GateOpen>, watches: Option<Vec<String>>) {
        let result = (|| -> Result<()> {
            let recheck = match &watches {
                Some(targets) => {
                    self.with_gate_index(|i| i.set(id, targets))?;
                    !targets.is_empty()
                }
                None => false,
            };
            for gate in opened {
                self.resolve_gate(id, gate);
            }
            if recheck {
                self.check_gates(id);
            }
            for watcher in self.with_gate_index(|i| i.watchers_of(id))? {
                self.check_gates(&watcher);
            }
            Ok(())
        })();
        if let Err(e) = result {
            tracing::warn!(release = %id, error = %e, "gates could not be woken after a commit");
        }
    }

    /// What another engine's commit of `release` (a feed entry; `resolved`: it recorded a
    /// `gate_resolved`) means for this engine's gates: watchers of the release are woken; a
    /// release that resolved or stopped gates has its watches read again, and new ones are
    /// checked at once.
    pub(crate) fn gates_after_foreign_commit(&self, release: &str, resolved: bool) -> Result<()> {
        let known = self.with_gate_index(|i| i.targets.contains_key(release))?;
        if known || resolved {
            let watches = match self.get_release(release) {
                Ok(state) => state.gate_watches(),
                Err(Error::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(e),
            };
            let fresh = !watches.is_empty();
            self.with_gate_index(|i| i.set(release, &watches))?;
            if fresh {
                self.check_gates(release);
            }
        }
        for watcher in self.with_gate_index(|i| i.watchers_of(release))? {
            self.check_gates(&watcher);
        }
        Ok(())
    }

    /// Checks the waiting gates of release `id` against what their targets are doing now, and
    /// opens or fails those that can (the engine does this by itself after every commit of a
    /// target; call it to re-check after a store outage). Nothing happens to gates that still wait.
    pub fn check_gates(&self, id: &str) {
        let Ok(state) = self.get_release(id) else { return };
        let reports: Vec<(ActivityRef, u32, Vec<GateObservation>)> = state
            .waiting_gates()
            .filter_map(|g| g.resolved.as_ref().map(|r| (g.target.clone(), g.attempt, r.clone())))
            .collect();
        drop(state);
        for (target, attempt, recorded) in reports {
            match self.observe(&recorded) {
                Ok(observed) => self.report_gate(id, &target, attempt, Ok(observed)),
                Err(e) => tracing::warn!(release = %id, gate = %target, error = %e, "gate targets could not be read"),
            }
        }
    }

    /// The recorded targets with their statuses now (`deleted` for a target that is gone).
    fn observe(&self, recorded: &[GateObservation]) -> Result<Vec<GateObservation>> {
        let mut out = Vec::with_capacity(recorded.len());
        for r in recorded {
            let status = match self.get_release(&r.release) {
                Ok(s) if s.stage != Stage::Deleted => status_in(&s, r.phase.as_deref(), r.activity.as_deref()),
                Ok(_) | Err(Error::NotFound { .. }) => "deleted".to_string(),
                Err(e) => return Err(e),
            };
            out.push(GateObservation { status, ..r.clone() });
        }
        Ok(out)
    }

    /// Resolves a gate that opened and reports what it found (or why it found nothing).
    fn resolve_gate(&self, id: &str, gate: GateOpen) {
        let observed = match self.resolve_targets(id, &gate.selectors) {
            Ok(found) => match self.gate_cycle(id, found.iter().map(|o| o.release.clone()).collect()) {
                Ok(Some(path)) => {
                    Err(format!("gate_cycle: waiting would close a cycle of gates: {}", path.join(" → ")))
                }
                Ok(None) => Ok(found),
                Err(e) => Err(e.to_string()),
            },
            Err(ResolveError::Refused(why)) => Err(why),
            Err(ResolveError::Store(e)) => {
                tracing::warn!(release = %id, gate = %gate.target, error = %e, "gate targets could not be resolved");
                Err(format!("the gate's targets could not be read: {e}"))
            }
        };
        self.report_gate(id, &gate.target, gate.attempt, observed);
    }

    fn report_gate(
        &self,
        id: &str,
        target: &ActivityRef,
        attempt: u32,
        observed: std::result::Result<Vec<GateObservation>, String>,
    ) {
        let cmd = Command::ObserveGate { target: target.clone(), attempt, observed };
        match self.apply(id, &cmd, &Actor::system(), None) {
            Ok(_) | Err(Error::Conflict { .. } | Error::InvalidTransition { .. } | Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(release = %id, gate = %target, error = %e, "could not report to the gate"),
        }
    }

    /// The releases (and parts of them) that `selectors` name, for a gate of release `id`.
    fn resolve_targets(
        &self,
        id: &str,
        selectors: &[GateTarget],
    ) -> std::result::Result<Vec<GateObservation>, ResolveError> {
        let gate = self.get_release(id)?;
        let mut out: Vec<GateObservation> = Vec::new();
        for s in selectors {
            let releases = if let Some(r) = &s.release {
                vec![self.release_target(&gate, r)?]
            } else if let Some(g) = &s.group {
                vec![self.group_target(&gate, g, s.occurrence.as_deref().unwrap_or("latest"))?]
            } else {
                self.labelled_targets(&gate, s)?
            };
            for r in releases {
                check_part(&r, s)?;
                let o = GateObservation {
                    release: r.id.clone(),
                    phase: s.phase.clone(),
                    activity: s.activity.clone(),
                    status: status_in(&r, s.phase.as_deref(), s.activity.as_deref()),
                };
                if !out.iter().any(|x| x.same_target(&o)) {
                    out.push(o);
                }
            }
            if out.len() > MAX_GATE_TARGETS {
                return Err(ResolveError::Refused(format!(
                    "the gate's targets match more than {MAX_GATE_TARGETS} releases; narrow its selectors"
                )));
            }
        }
        Ok(out)
    }

    fn release_target(&self, gate: &ReleaseState, id: &str) -> std::result::Result<Arc<ReleaseState>, ResolveError> {
        if id == gate.id {
            return Err(ResolveError::Refused("a gate cannot wait for its own release".into()));
        }
        let refused = || ResolveError::Refused(format!("gate target release `{id}` does not exist"));
        let r = match self.get_release(id) {
            Ok(r) if r.stage != Stage::Deleted => r,
            Ok(_) | Err(Error::NotFound { .. }) => return Err(refused()),
            Err(e) => return Err(e.into()),
        };
        if !visible_to(gate, &r) {
            // Said the same way as a release that does not exist: scopes do not learn of each other.
            return Err(refused());
        }
        Ok(r)
    }

    fn group_target(
        &self,
        gate: &ReleaseState,
        group: &str,
        occurrence: &str,
    ) -> std::result::Result<Arc<ReleaseState>, ResolveError> {
        let rows = self.store.query_releases(&ReleaseQuery { group: Some(group.to_string()), ..Default::default() })?;
        let mut candidates = Vec::new();
        for row in rows.iter().filter(|r| r.id != gate.id) {
            match self.get_release(&row.id) {
                Ok(r) if visible_to(gate, &r) && r.stage != Stage::Deleted => candidates.push(r),
                Ok(_) | Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if occurrence == "latest" {
            return candidates
                .into_iter()
                .filter(|r| r.started_at.is_some())
                .max_by_key(|r| r.started_at)
                .ok_or_else(|| ResolveError::Refused(format!("no release of group `{group}` has started yet")));
        }
        let at = chrono::DateTime::parse_from_rfc3339(occurrence)
            .map_err(|e| ResolveError::Refused(format!("occurrence `{occurrence}` is not an RFC 3339 time ({e})")))?
            .with_timezone(&chrono::Utc);
        candidates.into_iter().find(|r| super::groups::occurrence_start(r) == Some(at)).ok_or_else(|| {
            ResolveError::Refused(format!("group `{group}` has no release for the occurrence at {occurrence}"))
        })
    }

    fn labelled_targets(
        &self,
        gate: &ReleaseState,
        s: &GateTarget,
    ) -> std::result::Result<Vec<Arc<ReleaseState>>, ResolveError> {
        let filter = SearchFilter {
            status: vec![ReleaseStatus::Scheduled, ReleaseStatus::Running, ReleaseStatus::OnHold],
            labels: s.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ..Default::default()
        };
        let rows = self.store.search(&filter, SearchSort::default(), None, MAX_GATE_TARGETS + 2)?;
        let mut out = Vec::new();
        for row in rows.iter().filter(|r| r.id != gate.id) {
            match self.get_release(&row.id) {
                Ok(r) if visible_to(gate, &r) => out.push(r),
                Ok(_) | Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// A path of gates from the releases in `start` back to `id`, if waiting for them would close
    /// a cycle (each release's [`gate_edges`] followed, up to [`MAX_CYCLE_WALK`] releases).
    fn gate_cycle(&self, id: &str, start: Vec<String>) -> Result<Option<Vec<String>>> {
        let mut seen: HashMap<String, Option<String>> = HashMap::new();
        let mut stack: Vec<String> = Vec::new();
        for s in start {
            if seen.insert(s.clone(), None).is_none() {
                stack.push(s);
            }
        }
        while let Some(next) = stack.pop() {
            if next == id {
                let mut path = vec![id.to_string()];
                let mut at = seen.get(&next).cloned().flatten();
                let mut back = vec![];
                while let Some(prev) = at {
                    back.push(prev.clone());
                    at = seen.get(&prev).cloned().flatten();
                }
                back.reverse();
                path.extend(back);
                path.push(id.to_string());
                return Ok(Some(path));
            }
            if seen.len() > MAX_CYCLE_WALK {
                return Ok(None);
            }
            let state = match self.get_release(&next) {
                Ok(s) => s,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            if state.status.is_terminal() {
                continue;
            }
            for edge in gate_edges(&state) {
                if !seen.contains_key(&edge) {
                    seen.insert(edge.clone(), Some(next.clone()));
                    stack.push(edge);
                }
            }
        }
        Ok(None)
    }

    /// Refuses to schedule or activate a release whose gates would close a cycle with the
    /// releases they wait for (`invalid_input` with a `gate_cycle` problem naming the cycle).
    pub(crate) fn check_gate_cycles(&self, state: &ReleaseState, cmd: &Command) -> Result<()> {
        if !matches!(cmd, Command::Schedule { .. } | Command::Activate { .. }) || !state.plan().has_gates() {
            return Ok(());
        }
        match self.gate_cycle(&state.id, gate_edges(state))? {
            None => Ok(()),
            Some(path) => Err(Error::InvalidInput {
                problems: vec![Problem::new(
                    "targets",
                    crate::validate::codes::GATE_CYCLE,
                    format!(
                        "release {} waits through its gates for a release that waits for it: {}; remove one of the gates or its target",
                        state.id,
                        path.join(" → ")
                    ),
                )],
            }),
        }
    }
}

/// Why a gate's targets did not resolve: a reason that fails the gate, or the store's error.
enum ResolveError {
    Refused(String),
    Store(Error),
}

impl From<Error> for ResolveError {
    fn from(e: Error) -> Self {
        ResolveError::Store(e)
    }
}

/// Whether a gate of release `gate` may see release `r`: the same scope, or any release from an
/// account-scoped release.
fn visible_to(gate: &ReleaseState, r: &ReleaseState) -> bool {
    gate.scope == "account" || gate.scope == r.scope
}

/// The target's `phase` (and `activity`) must exist in the release it resolved to.
fn check_part(r: &ReleaseState, s: &GateTarget) -> std::result::Result<(), ResolveError> {
    let Some(phase) = &s.phase else { return Ok(()) };
    let plan = r.plan();
    let Some(p) = plan.phase_index(phase) else {
        let phases: Vec<&str> = plan.phases.iter().map(|p| p.id.as_str()).collect();
        return Err(ResolveError::Refused(format!(
            "release {} has no phase `{phase}`; its phases: {}",
            r.id,
            phases.join(", ")
        )));
    };
    if let Some(activity) = &s.activity {
        if plan.phases[p].activity_index(activity).is_none() {
            let acts: Vec<&str> = plan.phases[p].activities.iter().map(|a| a.id.as_str()).collect();
            return Err(ResolveError::Refused(format!(
                "phase `{phase}` of release {} has no activity `{activity}`; its activities: {}",
                r.id,
                acts.join(", ")
            )));
        }
    }
    Ok(())
}

//! What happens after a commit: executors asked to cancel, notifications delivered, child
//! releases started, finished or aborted, the calendar index kept current. Effects run after the
//! release's new state is cached and no engine lock is held, so they may issue further commands.

use super::Engine;
use crate::access::Actor;
use crate::executor::Job;
use crate::notify::{Notification, notifications_for};
use crate::release::{ActivityStatus, EventKind, ParentLink, ReleaseState, ReleaseStatus, TimerKey};
use crate::store::ReleaseRow;
use indexmap::IndexMap;
use serde_json::Value;

/// The effects of one commit, worked out from the committed state and events.
#[derive(Default)]
pub(crate) struct Effects {
    cancelled: Vec<Job>,
    notifications: Vec<Notification>,
    start_children: Vec<ChildStart>,
    abort_children: Vec<(String, String)>,
    report_to_parent: Option<(ParentLink, String, ReleaseStatus, IndexMap<String, Value>)>,
    row: Option<ReleaseRow>,
}

pub(crate) struct ChildStart {
    pub parent: ParentLink,
    pub child_id: String,
    pub process: String,
    pub version: Option<u32>,
    pub inputs: IndexMap<String, Value>,
    pub name: String,
    pub kind: crate::release::ReleaseKind,
    pub scope: String,
    pub owners: Vec<String>,
}

impl Effects {
    /// Works out the effects of `events`, just committed, that left the release in `state`.
    pub(crate) fn of(
        state: &ReleaseState,
        events: &[crate::release::Event],
        cancelled: Vec<Job>,
        row: ReleaseRow,
    ) -> Effects {
        let mut fx = Effects {
            cancelled,
            notifications: notifications_for(state, events),
            row: Some(row),
            ..Effects::default()
        };
        for e in events {
            match &e.kind {
                EventKind::SubprocessStarted { phase, activity, child_id, process, version, inputs, .. } => {
                    let label = state
                        .plan()
                        .phase_index(phase)
                        .and_then(|p| {
                            state.plan().phases[p].activity_index(activity).map(|a| state.plan().activity_def(p, a))
                        })
                        .and_then(|d| d.name.clone())
                        .unwrap_or_else(|| activity.clone());
                    fx.start_children.push(ChildStart {
                        parent: ParentLink {
                            release: state.id.clone(),
                            phase: phase.clone(),
                            activity: activity.clone(),
                        },
                        child_id: child_id.clone(),
                        process: process.clone(),
                        version: *version,
                        inputs: inputs.clone(),
                        name: format!("{} › {label}", state.name),
                        kind: state.kind,
                        scope: state.scope.clone(),
                        owners: state.owners.clone(),
                    });
                }
                EventKind::Aborted => {
                    // Aborting the parent aborts the children of its running subprocess activities.
                    for ph in &state.phases {
                        for act in &ph.activities {
                            if let (Some(child), ActivityStatus::Aborted) = (&act.child_id, act.status) {
                                fx.abort_children
                                    .push((child.clone(), format!("the parent release {} was aborted", state.id)));
                            }
                        }
                    }
                }
                EventKind::TimerFired { timer: TimerKey::Timeout { phase, activity, attempt } } => {
                    // The timed-out attempt's child (its id follows from the attempt, even when a
                    // retry has already started the next child).
                    let is_subprocess = state.activity(phase, activity).is_some_and(|a| a.child_id.is_some());
                    if is_subprocess {
                        let child = crate::release::child_release_id(&state.id, phase, activity, *attempt);
                        fx.abort_children.push((child, format!("{phase}/{activity} timed out")));
                    }
                }
                EventKind::Ended { status } => fx.report(state, *status),
                _ => {}
            }
        }
        if events.iter().any(|e| matches!(e.kind, EventKind::Aborted)) {
            fx.report(state, ReleaseStatus::Aborted);
        }
        fx
    }

    fn report(&mut self, state: &ReleaseState, status: ReleaseStatus) {
        if let Some(parent) = &state.parent {
            let mut outputs: IndexMap<String, Value> = IndexMap::new();
            for ph in &state.phases {
                for (k, v) in &ph.outputs {
                    outputs.insert(k.clone(), v.clone());
                }
            }
            outputs.insert("release_id".into(), Value::from(state.id.clone()));
            self.report_to_parent = Some((parent.clone(), state.id.clone(), status, outputs));
        }
    }
}

impl Engine {
    /// Runs the effects of a commit. Failures are logged: the commit stands.
    pub(crate) fn run_effects(&self, fx: Effects) {
        for job in &fx.cancelled {
            if let Some(exec) = self.executor(&job.executor) {
                exec.cancel(job);
            }
        }
        if let Some(row) = &fx.row {
            self.index_row(row);
        }
        if !fx.notifications.is_empty() {
            self.dispatcher.dispatch(&fx.notifications);
        }
        for child in fx.start_children {
            self.start_child(child);
        }
        let system = Actor::system();
        for (child, reason) in fx.abort_children {
            match self.abort(&child, &system, &reason) {
                Ok(_) | Err(crate::Error::NotFound { .. }) | Err(crate::Error::InvalidTransition { .. }) => {}
                Err(e) => tracing::warn!(release = %child, error = %e, "could not abort the child release"),
            }
        }
        if let Some((parent, child, status, outputs)) = fx.report_to_parent {
            self.child_ended(&parent, &child, status, outputs, None);
        }
    }
}

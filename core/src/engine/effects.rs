//! Carrying out a commit's [`Effects`] (worked out by [`crate::release::step`]): executors asked to
//! cancel, the calendar index kept current, notifications delivered to in-process subscribers (the
//! same notifications are in the commit's feed entry, for durable subscribers anywhere), child releases started or
//! aborted, the parent told that its child ended, gates resolved and the gates watching the
//! release woken. Effects run after the release's new state is
//! cached and no engine lock is held, so they may issue further commands. Their failures are
//! logged: the commit stands.

use super::Engine;
use crate::access::Actor;
use crate::notify::Notification;
use crate::release::Effects;
use crate::store::ReleaseRow;

impl Engine {
    /// Carries out the effects of a commit of release `id` (whose index row is now `row`).
    pub(crate) fn run_effects(&self, id: &str, fx: Effects, row: &ReleaseRow, notifications: &[Notification]) {
        for job in &fx.jobs_cancelled {
            if let Some(exec) = self.executor(&job.executor) {
                exec.cancel(job);
            }
        }
        self.index_row(row);
        if !notifications.is_empty() {
            self.dispatcher.dispatch(notifications);
            let now = self.clock.now();
            for n in notifications {
                self.metrics.notified(crate::metrics::lag(n.at, now));
            }
        }
        for child in fx.children_started {
            self.start_child(child);
        }
        let system = Actor::system();
        for child in fx.children_aborted {
            match self.abort(&child.child_id, &system, &child.reason) {
                Ok(_) | Err(crate::Error::NotFound { .. }) | Err(crate::Error::InvalidTransition { .. }) => {}
                Err(e) => {
                    tracing::warn!(release = %child.child_id, parent = %id, error = %e, "could not abort the child release")
                }
            }
        }
        if let Some(report) = fx.parent_report {
            self.child_ended(&report.parent, &report.child_id, report.status, report.outputs, None);
        }
        self.locks_after_commit(id, &fx.locks);
        self.gates_after_commit(id, fx.gates_opened, fx.watches);
    }
}

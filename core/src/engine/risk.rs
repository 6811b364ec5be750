//! The history the risk assessment reads (see [`crate::release::risk`]): the median phase lengths
//! of the last [`crate::report::forecast::HISTORY_RELEASES`] ended releases of a process, kept per
//! process for [`RISK_HISTORY_TTL`] of engine time, and dropped when this engine ends a release of
//! that process (another engine's ends are seen when the entry expires).

use super::{Engine, lock};
use crate::Timestamp;
use crate::release::{Command, ReleaseState, Stage};
use crate::report::PhaseHistory;
use std::sync::Arc;

/// How long the phase history of a process is reused before it is read again.
pub const RISK_HISTORY_TTL: chrono::Duration = chrono::Duration::minutes(10);

/// The cached phase history of one process.
#[derive(Debug, Clone)]
pub(super) struct CachedHistory {
    read_at: Timestamp,
    medians: Arc<PhaseHistory>,
}

impl Engine {
    /// The phase history `step` assesses the risk of `state` under `cmd` with: `None` for a
    /// release without a planned end, or that neither runs nor is being activated (nothing to
    /// assess). A failure to read it is logged and assesses nothing: the command goes on.
    pub(super) fn risk_history(
        &self,
        state: &ReleaseState,
        cmd: &Command,
        now: Timestamp,
    ) -> Option<Arc<PhaseHistory>> {
        let planned_end = state.schedule.as_ref().and_then(|s| s.end);
        let starting =
            state.stage == Stage::Scheduled && matches!(cmd, Command::Activate { .. } | Command::FireTimer { .. });
        if planned_end.is_none() || !(state.stage == Stage::Active || starting) {
            return None;
        }
        if let Some(c) = lock(&self.risk_histories).get(&state.process_id) {
            if c.read_at <= now && now < c.read_at + RISK_HISTORY_TTL {
                return Some(c.medians.clone());
            }
        }
        let history = match self.last_ended_of_process(state) {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(release = %state.id, error = %e, "phase history unreadable; risk not assessed");
                return None;
            }
        };
        let medians = Arc::new(crate::report::forecast::phase_history_of(&state.process_id, None, &history));
        let cached = CachedHistory { read_at: now, medians: medians.clone() };
        lock(&self.risk_histories).insert(state.process_id.clone(), cached);
        Some(medians)
    }

    /// Drops the cached history of `process_id` (a release of it ended here).
    pub(super) fn forget_risk_history(&self, process_id: &str) {
        lock(&self.risk_histories).remove(process_id);
    }
}

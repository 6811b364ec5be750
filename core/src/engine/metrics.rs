//! [`Engine::metrics`]: the engine's counters and histograms, with the queue depths read from
//! the store.

use super::Engine;
use crate::Result;
use crate::metrics::MetricsSnapshot;
use std::collections::BTreeMap;

impl Engine {
    /// The engine's metrics now (see [`crate::metrics`] for what each one counts); the queue depth
    /// per executor is read from the store (every engine on it sees the same). Render with
    /// [`MetricsSnapshot::prometheus_text`].
    pub fn metrics(&self) -> Result<MetricsSnapshot> {
        let mut depth: BTreeMap<String, u64> = BTreeMap::new();
        for job in self.store.jobs()? {
            *depth.entry(job.job.executor).or_default() += 1;
        }
        Ok(self.metrics.snapshot(depth))
    }
}

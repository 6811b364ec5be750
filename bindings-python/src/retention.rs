//! Retention for Python: `Engine.set_retention` and `Engine.apply_retention` (a `#[pymethods]`
//! block of its own).

use crate::convert::{self, args};
use crate::engine::PyEngine;
use pyo3::prelude::*;
use trainyard::RetentionPolicy;

#[pymethods]
impl PyEngine {
    /// Sets the retention policy: terminal releases that ended more than ``archive_after`` (a
    /// ``timedelta`` or a duration string such as ``"52w"``; default 365 days) ago are archived by
    /// ``apply_retention``, and archived ones may then be deleted. With ``automatic`` (default
    /// ``True``) ``tick`` applies it once per day of engine time.
    #[pyo3(signature = (*, archive_after = None, automatic = None))]
    fn set_retention(
        &self,
        py: Python<'_>,
        archive_after: Option<&Bound<'_, PyAny>>,
        automatic: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let defaults = RetentionPolicy::default();
        args!(py;
            archive_after = convert::opt_duration(archive_after, "archive_after", defaults.archive_after),
            automatic = convert::opt_flag(automatic, "automatic", defaults.automatic),
        );
        self.call(py, move |e| {
            e.set_retention(RetentionPolicy { archive_after, automatic });
            Ok(())
        })
    }

    /// Archives every terminal release (success, partial_success, failed, aborted) that ended
    /// before ``now`` (default: the engine's clock) minus the retention period, and returns their
    /// ids. Active releases are never archived. With ``actor`` it needs an account release
    /// manager (``PermissionDeniedError`` otherwise); without, the application acts as the engine.
    #[pyo3(signature = (now = None, *, actor = None))]
    fn apply_retention(
        &self,
        py: Python<'_>,
        now: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<String>> {
        args!(py; now = convert::opt_timestamp(now, "now"), actor = convert::opt_actor(actor, "actor"));
        let actor = actor.unwrap_or_else(trainyard::access::Actor::system);
        self.call(py, move |e| e.apply_retention_as(now.unwrap_or_else(|| e.clock().now()), &actor))
    }
}

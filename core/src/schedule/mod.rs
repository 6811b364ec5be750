//! Time: the injected [`Clock`] ([`SystemClock`], [`ManualClock`]). Everything time-based is driven
//! by `Engine::tick`, so a two-week release train can be simulated in milliseconds.

mod clock;

pub use clock::{Clock, ManualClock, SystemClock};
pub mod codes;
#[cfg(test)]
mod dst_tests;
mod fields;
mod freeze;
mod group;
mod materialise;
mod overlap;
#[cfg(test)]
mod overlap_tests;
pub mod recurrence;
mod rrule_check;
#[cfg(test)]
mod tests;

pub use freeze::{
    ALLOW_LOOKAHEAD_DAYS, Freeze, FreezeMode, FreezeRecurrence, FreezeWindow, Resource, closed_stretches,
    freeze_windows, frozen, outside_allowed,
};
pub use group::{
    DEFAULT_NAME_TEMPLATE, Occurrence, OccurrenceKey, ReleaseGroup, TEMPLATE_FIELDS, check_template, render_template,
};
pub use materialise::{DEFAULT_HORIZON_DAYS, ExistingOccurrence, GroupPlan, Rewrite, materialise, reconcile};
pub use overlap::{
    CATCH_UP_GRACE, CatchUp, DueOccurrence, OVERLAP_VALUES, Overlap, SkipReason, StartDecision, decide_starts,
};
pub use recurrence::{Cadence, Every, Instance, LocalMoment, Recurrence};

//! Time: the injected [`Clock`] ([`SystemClock`], [`ManualClock`]). Everything time-based is driven
//! by `Engine::tick`, so a two-week release train can be simulated in milliseconds.

mod clock;

pub use clock::{Clock, ManualClock, SystemClock};

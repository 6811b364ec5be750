//! `ManualClock`: a clock that only moves when told to (tests, simulations, demos).

use chrono::{DateTime, Utc};
use napi_derive::napi;
use trainyard::schedule::Clock;

/// A clock that only moves when told to. Pass it as `Engine.inMemory({ clock })`; every engine
/// given the same clock sees the same time.
#[napi]
pub struct ManualClock {
    pub(crate) inner: trainyard::schedule::ManualClock,
}

#[napi]
impl ManualClock {
    /// A clock standing at `start`.
    #[napi(constructor)]
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock { inner: trainyard::schedule::ManualClock::new(start) }
    }

    /// The current time.
    #[napi]
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.now()
    }

    /// Moves the clock forward by `ms` milliseconds (a negative number moves it back).
    #[napi]
    pub fn advance(&self, ms: f64) -> napi::Result<()> {
        if !ms.is_finite() {
            return Err(napi::Error::new(
                napi::Status::InvalidArg,
                format!("advance(ms) needs a finite number of milliseconds, got {ms}"),
            ));
        }
        self.inner.advance(chrono::Duration::milliseconds(ms.round() as i64));
        Ok(())
    }

    /// Sets the time.
    #[napi]
    pub fn set(&self, to: DateTime<Utc>) {
        self.inner.set(to);
    }
}

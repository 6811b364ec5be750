//! Clocks.

use crate::Timestamp;
use std::sync::{Arc, Mutex};

/// Where the engine reads the time. Injected, so tests and simulations control it.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The real time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// A clock that only moves when told to. Cloning shares the same time.
///
/// ```
/// use trainyard::schedule::{Clock, ManualClock};
/// let start = "2025-04-07T09:00:00Z".parse().unwrap();
/// let clock = ManualClock::new(start);
/// clock.advance(chrono::Duration::days(3));
/// assert_eq!(clock.now().to_rfc3339(), "2025-04-10T09:00:00+00:00");
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock { now: Arc::new(Mutex::new(start)) }
    }

    /// Moves the clock forward (a negative duration moves it back).
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the time.
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

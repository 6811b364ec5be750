//! The tick probe: one read that tells the engine's `tick` which of its parts may find work, so
//! that a tick with nothing due, nothing queued and nothing new in the feed costs one read (one
//! round trip on PostgreSQL) instead of one per part.

/// What a `tick` asks the store (see [`crate::store::Store::tick_probe`]).
#[derive(Debug, Clone, Copy)]
pub struct TickQuestion<'a> {
    /// The asking engine's feed cursor: entries after it count.
    pub feed_after: crate::feed::Cursor,
    /// The asking engine's origin: entries it wrote itself do not count.
    pub origin: &'a str,
    /// The time of the tick: timers due then, leases ended by then.
    pub now: crate::Timestamp,
    /// The engine's in-process executors: their jobs count.
    pub executors: &'a [String],
    /// The document collection whose live documents count (the release groups).
    pub collection: &'a str,
}

/// Which parts of a `tick` may find work, as [`crate::store::Store::tick_probe`] answers it.
/// `true` means "look"; a store answers `true` wherever it cannot tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickProbe {
    /// The feed holds an entry after the cursor asked about that another engine wrote (an
    /// entry of the asking engine's own origin does not count).
    pub feed: bool,
    /// The last readable cursor after the one asked about (that cursor itself when none is):
    /// when `feed` is `false`, every entry up to here is the asking engine's own, so it may move
    /// its cursor here without reading them. `0` in [`TickProbe::ANYTHING`].
    pub feed_head: crate::feed::Cursor,
    /// A release has a timer due now that nobody holds a lease on.
    pub timers: bool,
    /// A job of the named executors is unclaimed or its lease has ended.
    pub jobs: bool,
    /// The document collection asked about holds a live document.
    pub documents: bool,
}

impl TickProbe {
    /// Every part may find work: the answer of a store that does not probe (the tick then looks
    /// at everything).
    pub const ANYTHING: TickProbe = TickProbe { feed: true, feed_head: 0, timers: true, jobs: true, documents: true };
}

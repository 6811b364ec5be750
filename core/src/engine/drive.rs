//! Driving the engine: `tick` fires due timers in due order and runs the in-process executors'
//! jobs; `run_until_idle` repeats until nothing is left to do at the current time. External
//! workers use the calls in `workers.rs`.

use super::Engine;
use crate::access::Actor;
use crate::release::{Command, ReleaseState, ReleaseStatus, TimerKey};
use crate::store::{ReleaseQuery, TickProbe, TickQuestion};
use crate::{Error, Result};

/// Timers fired by one `tick` before it yields (a tick after a very long pause continues in the next).
const MAX_TIMERS_PER_TICK: usize = 1_000_000;

/// Due releases one `tick` claims at a time: one claim (one round trip, one write transaction)
/// serves up to this many timers. Small enough that a claimed batch fires well within its lease
/// and another engine finds the rest unclaimed.
const TIMER_CLAIM_BATCH: usize = 32;

/// Filters for [`Engine::list_releases`].
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    /// Only this status.
    pub status: Option<ReleaseStatus>,
    /// Only this kind.
    pub kind: Option<crate::release::ReleaseKind>,
    /// Only this release group.
    pub group: Option<String>,
    /// Only this scope.
    pub scope: Option<String>,
    /// Include archived releases.
    pub include_archived: bool,
}

impl Engine {
    /// Follows what other engines committed, materialises release-group occurrences, applies
    /// retention (once per day of engine time, see [`Engine::apply_retention`]), fires every timer
    /// due now, earliest first (across releases), runs the jobs of the in-process executors, then
    /// delivers the change feed to the sinks and durable subscribers. Returns how many timers,
    /// jobs and feed deliveries it handled.
    ///
    /// A tick first asks the store which of these parts may find work ([`Store::tick_probe`]:
    /// one read, one round trip on PostgreSQL) and skips the others: a tick with nothing due,
    /// nothing queued, no release group and nothing new in the feed costs that one read. A part
    /// that did something makes the parts after it look anyway (a fired timer may queue a job, a
    /// group occurrence may be due at once).
    ///
    /// Several engines may tick over one shared store: a due release is claimed with a short lease
    /// (so engines do not race for it) and a timer fired twice conflicts on the expected sequence,
    /// so each timer fires once. Due releases are claimed up to 32 at a time (one claim, one
    /// round trip, one write transaction per batch), and the next timer of a claimed release is
    /// read from the state cache when it is the one the claim found due: a tick that fires `n`
    /// timers costs the store about `n` appends and `n / 32 + 1` claims.
    ///
    /// [`Store::tick_probe`]: crate::store::Store::tick_probe
    pub fn tick(&self) -> Result<usize> {
        let now = self.clock.now();
        let lease = self.settings().timer_lease;
        let probe = self.tick_probe(now)?;
        // What other engines committed: the calendar index and the state cache follow it.
        if probe.feed {
            self.follow_feed()?;
        } else {
            // Only this engine's own entries since it last looked: nothing to follow in them.
            self.skip_own_feed_entries(probe.feed_head);
        }
        let mut done = 0;
        let mut waiting = std::collections::HashSet::new();
        if probe.documents {
            // Release groups first: an occurrence due now is created, then activated by its timer below.
            done += self.materialise_groups(now)?;
            // Then their overlap and catch-up policies: skips are recorded, starts fired, waiting ones left.
            let (skipped, wait) = self.start_group_occurrences(now)?;
            done += skipped;
            waiting = wait;
        }
        // Retention, once per day of engine time (unless turned off).
        done += self.retention_due(now)?;
        if probe.timers || probe.documents || done > 0 {
            done += self.fire_due_timers(now, lease, &waiting, MAX_TIMERS_PER_TICK.saturating_sub(done))?;
        }
        let jobs = if probe.jobs || done > 0 { self.run_jobs()? } else { 0 };
        let delivered: usize = self.run_sinks()?.iter().map(|r| r.delivered + r.dead_lettered).sum();
        Ok(done + jobs + delivered)
    }

    /// What this tick may find to do: the store's answer for the feed after where this engine
    /// last looked (entries of other engines only), the timers due at `now`, the jobs of the
    /// in-process executors and the release groups. Before the engine has followed the feed
    /// once, everything (the first tick marks where following starts).
    fn tick_probe(&self, now: crate::Timestamp) -> Result<TickProbe> {
        let Some(seen) = *super::lock(&self.feed_seen) else { return Ok(TickProbe::ANYTHING) };
        let executors = self.executor_names();
        let question = TickQuestion {
            feed_after: seen,
            origin: &self.worker_id,
            now,
            executors: &executors,
            collection: super::groups::GROUPS,
        };
        self.store.tick_probe(&question)
    }

    /// Fires the timers due at `now`, at most `budget`, earliest first: claims due releases in
    /// batches of [`TIMER_CLAIM_BATCH`] and fires each one's next timer. A release the group
    /// policies keep `waiting`, one gone, or one whose next timer is not due any more (another
    /// engine changed it) is passed over; its lease runs out by itself. A release with a further
    /// timer due now is claimed again by the next batch (the append ended its lease).
    fn fire_due_timers(
        &self,
        now: crate::Timestamp,
        lease: chrono::Duration,
        waiting: &std::collections::HashSet<String>,
        budget: usize,
    ) -> Result<usize> {
        let system = Actor::system();
        let mut fired = 0;
        while fired < budget {
            let claimed = self.store.claim_due(now, TIMER_CLAIM_BATCH.min(budget - fired), now + lease)?;
            if claimed.is_empty() {
                break;
            }
            for (due, id) in claimed {
                if waiting.contains(&id) {
                    continue;
                }
                let Some((timer, when)) = self.next_timer_of(&id, due)? else { continue };
                if when > now {
                    continue;
                }
                // Stamped with the time it fires; `timer_fired` records when it was due.
                match self.apply(&id, &Command::FireTimer { timer }, &system, None) {
                    Ok(_) => self.metrics.timer_fired(crate::metrics::lag(when, self.clock.now())),
                    // Conflict: another engine fired it (or changed the release) first; gone:
                    // deleted since the claim.
                    Err(Error::Conflict { .. } | Error::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
                fired += 1;
            }
        }
        Ok(fired)
    }

    /// The next timer of a claimed release. The cached state answers when its next timer is the
    /// one the claim found due (the state cache follows the feed, so it is the store's state);
    /// otherwise the release is read. `None` for a release that is gone or has no timer.
    fn next_timer_of(&self, id: &str, due: crate::Timestamp) -> Result<Option<(TimerKey, crate::Timestamp)>> {
        let cached = super::lock(&self.cache).get(id).and_then(|s| s.next_timer().map(|(k, t)| (k.clone(), *t)));
        if let Some((timer, when)) = cached.filter(|(_, when)| *when == due) {
            return Ok(Some((timer, when)));
        }
        match self.get_release(id) {
            Ok(state) => Ok(state.next_timer().map(|(k, t)| (k.clone(), *t))),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Ticks until nothing is left to do at the current time (or `max_steps` timers and jobs were
    /// handled). Returns how many were handled.
    pub fn run_until_idle(&self, max_steps: usize) -> Result<usize> {
        let mut total = 0;
        while total < max_steps {
            let n = self.tick()?;
            if n == 0 {
                break;
            }
            total += n;
        }
        Ok(total)
    }

    /// Releases matching `filter`, oldest first (deleted ones never; archived ones on request).
    pub fn list_releases(&self, filter: &ReleaseFilter) -> Result<Vec<ReleaseState>> {
        let rows = self.store.query_releases(&ReleaseQuery {
            statuses: filter.status.into_iter().collect(),
            kind: filter.kind,
            group: filter.group.clone(),
            scope: filter.scope.clone(),
            include_archived: filter.include_archived,
            ..Default::default()
        })?;
        rows.into_iter().map(|r| self.get_release(&r.id).map(std::sync::Arc::unwrap_or_clone)).collect()
    }

    /// Index rows matching `query` (status, kind, group, scope, service, environment, time
    /// range), oldest first, without loading the releases.
    pub fn query_releases(&self, query: &ReleaseQuery) -> Result<Vec<crate::store::ReleaseRow>> {
        self.store.query_releases(query)
    }
}

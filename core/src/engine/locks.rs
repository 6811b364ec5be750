//! Locks in the engine (the rules are in [`crate::release::locks`]): after a commit that asks
//! for or lets go of locks, refusing a request that would deadlock and granting the waiting
//! requests that may go ahead ([`Command::GrantLocks`]), in queue order.
//!
//! The engine that commits a change to a lock does the granting; the store checks every grant
//! against the lock's capacity in the grant's own append, so engines that grant at the same time
//! never give away more places than there are (one of them gets a `lock taken` conflict and
//! leaves the request waiting). No commit can be missed between two engines: a request is
//! committed before its engine looks for a free place, and a release is committed before its
//! engine looks for waiters, so whichever of the two looks second sees the other. When an engine
//! starts following the change feed it grants whatever can go ahead (another engine may have
//! stopped between a commit and its grants). Nothing polls.

use super::Engine;
use crate::access::Actor;
use crate::release::Command;
use crate::release::locks::{LockChanges, LockEntry, LockNode, deadlock, grantable, is_lock_taken};
use crate::{Error, Result};
use std::collections::{BTreeSet, HashMap};

/// The most grant passes one commit starts (each grants at least one request, so a real queue
/// never comes close; a bound keeps a bug from looping).
const MAX_GRANT_ROUNDS: usize = 10_000;

impl Engine {
    /// The lock rows (held and waiting) of the locks named, or of every lock: who holds each
    /// lock, since when, and who waits for it, in queue order (see [`crate::store::Store::locks`]).
    pub fn locks(&self, names: Option<&[String]>) -> Result<Vec<LockEntry>> {
        self.store.locks(names)
    }

    /// After a commit of release `id` that changed locks: refuses its new requests that would
    /// deadlock, then grants what may go ahead on the locks it asked for or let go. Failures are
    /// logged (the commit stands; the next commit on those locks, or the next engine to start
    /// following the feed, grants again).
    pub(crate) fn locks_after_commit(&self, id: &str, changes: &LockChanges) {
        if changes.requested.is_empty() && changes.released.is_empty() {
            return;
        }
        if !changes.requested.is_empty() {
            let requests: BTreeSet<LockNode> = changes.requested.iter().map(|c| c.request.clone()).collect();
            if let Err(e) = self.refuse_deadlocks(id, &requests) {
                tracing::warn!(release = %id, error = %e, "could not check lock requests for deadlocks");
            }
        }
        let names: Vec<String> = changes.names().into_iter().collect();
        if let Err(e) = self.grant_waiting_locks(Some(&names)) {
            tracing::warn!(release = %id, error = %e, "could not grant waiting lock requests");
        }
    }

    /// Grants every waiting request on the locks named (every lock when `None`) that may go
    /// ahead, in queue order.
    pub(crate) fn grant_waiting_locks(&self, names: Option<&[String]>) -> Result<()> {
        let system = Actor::system();
        let mut tried: BTreeSet<(String, LockNode)> = BTreeSet::new();
        for _ in 0..MAX_GRANT_ROUNDS {
            let rows = self.rows_for_grants(names)?;
            let grants: Vec<_> = grantable(&rows).into_iter().filter(|g| !tried.contains(g)).collect();
            let Some((release, request)) = grants.into_iter().next() else { return Ok(()) };
            tried.insert((release.clone(), request.clone()));
            let cmd = Command::GrantLocks { request: request.clone() };
            match self.apply(&release, &cmd, &system, None) {
                Ok(_) | Err(Error::NotFound { .. }) => {}
                Err(e) if is_lock_taken(&e) => {}
                Err(e) => {
                    tracing::warn!(release = %release, request = %request, error = %e, "could not grant locks")
                }
            }
        }
        Ok(())
    }

    /// The rows of the locks named, plus every row of the other locks their waiting requests ask
    /// for (a request is granted whole).
    fn rows_for_grants(&self, names: Option<&[String]>) -> Result<Vec<LockEntry>> {
        let rows = self.store.locks(names)?;
        let Some(names) = names else { return Ok(rows) };
        let waiting: BTreeSet<(&str, &LockNode)> =
            rows.iter().filter(|r| !r.held()).map(|r| (r.release_id.as_str(), &r.claim.request)).collect();
        if waiting.is_empty() {
            return Ok(rows);
        }
        let known: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let mut more: BTreeSet<String> = BTreeSet::new();
        for (release, request) in &waiting {
            if let Ok(state) = self.get_release(release) {
                for c in state.locks.iter().filter(|c| &c.request == *request && !known.contains(c.name.as_str())) {
                    more.insert(c.name.clone());
                }
            }
        }
        if more.is_empty() {
            return Ok(rows);
        }
        let mut all: Vec<String> = names.to_vec();
        all.extend(more);
        self.store.locks(Some(&all))
    }

    /// Refuses each of `requests` (new requests of release `id`) that closes a cycle of releases
    /// waiting on each other.
    fn refuse_deadlocks(&self, id: &str, requests: &BTreeSet<LockNode>) -> Result<()> {
        let rows = self.store.locks(None)?;
        let Some(cycle) = deadlock(&rows, id) else { return Ok(()) };
        let names: HashMap<&str, &str> =
            rows.iter().map(|r| (r.release_id.as_str(), r.release_name.as_str())).collect();
        let path: Vec<String> =
            cycle.iter().map(|r| format!("\"{}\" ({r})", names.get(r.as_str()).copied().unwrap_or(""))).collect();
        let held: BTreeSet<&str> =
            rows.iter().filter(|r| r.held() && cycle.contains(&r.release_id)).map(|r| r.claim.name.as_str()).collect();
        let reason = format!(
            "granting it would make releases wait on each other for ever: {} (locks held: {})",
            path.join(" waits for "),
            held.into_iter().collect::<Vec<_>>().join(", ")
        );
        let system = Actor::system();
        for request in requests {
            let cmd = Command::RefuseLocks { request: request.clone(), reason: reason.clone() };
            match self.apply(id, &cmd, &system, None) {
                Ok(_) | Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

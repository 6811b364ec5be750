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

/// How many waiters of a lock one grant pass reads (a semaphore with more free places than this
/// is filled by further passes).
const GRANT_WINDOW: usize = 32;

impl Engine {
    /// The lock rows (held and waiting) of the locks named, or of every lock: who holds each
    /// lock, since when, and who waits for it, in queue order (see [`crate::store::Store::locks`]).
    pub fn locks(&self, names: Option<&[String]>) -> Result<Vec<LockEntry>> {
        self.store.locks(names)
    }

    /// [`Engine::locks`] as `actor` may see it: the rows of releases the actor may not read are
    /// left out (a lock may be shared by releases of several scopes).
    pub fn locks_as(&self, names: Option<&[String]>, actor: &Actor) -> Result<Vec<LockEntry>> {
        let mut decided: HashMap<String, bool> = HashMap::new();
        let mut out = Vec::new();
        for e in self.store.locks(names)? {
            let may = match decided.get(&e.release_id) {
                Some(may) => *may,
                None => {
                    let scope = self.store.release(&e.release_id)?.map(|r| r.scope);
                    let may = match scope {
                        Some(scope) => self.may_read_fact(&scope, &e.release_id, actor)?,
                        None => false,
                    };
                    decided.insert(e.release_id.clone(), may);
                    may
                }
            };
            if may {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// After a commit of release `id` that changed locks: refuses its new requests that would
    /// deadlock, then grants what may go ahead on the locks it asked for or let go. Failures are
    /// logged (the commit stands; the next commit on those locks, or the next engine to start
    /// following the feed, grants again).
    pub(crate) fn locks_after_commit(&self, id: &str, changes: &LockChanges) {
        if changes.requested.is_empty() && changes.released.is_empty() {
            return;
        }
        // Only a release that holds a lock can close a cycle by asking for another.
        let holds = || self.get_release(id).is_ok_and(|s| s.locks.iter().any(|c| c.held_since.is_some()));
        if !changes.requested.is_empty() && holds() {
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

    /// Grants every waiting request on the locks named (every lock with a waiting request when
    /// `None`) that may go ahead, in queue order.
    pub(crate) fn grant_waiting_locks(&self, names: Option<&[String]>) -> Result<()> {
        let names: Vec<String> = match names {
            Some(names) => names.to_vec(),
            None => {
                let rows = self.store.locks(None)?;
                let waiting: BTreeSet<String> = rows.into_iter().filter(|r| !r.held()).map(|r| r.claim.name).collect();
                waiting.into_iter().collect()
            }
        };
        for name in &names {
            self.grant_lock(name)?;
        }
        Ok(())
    }

    /// Grants the waiting requests of lock `name` that may go ahead, in queue order. With no
    /// overtaking, only as many of the first waiters as the lock has free places can go: the
    /// pass reads the holders and those waiters ([`Engine::lock_window`]), plus the queues of the
    /// other locks they ask for together, and reads again only when it granted a whole window.
    fn grant_lock(&self, name: &str) -> Result<()> {
        let system = Actor::system();
        let mut tried: BTreeSet<(String, LockNode)> = BTreeSet::new();
        for _ in 0..MAX_GRANT_ROUNDS {
            let (mut rows, window) = self.lock_window(name)?;
            if window == 0 {
                return Ok(());
            }
            let others: BTreeSet<String> = rows
                .iter()
                .filter(|r| !r.held())
                .flat_map(|r| r.claim.together.iter().cloned())
                .filter(|n| n != name)
                .collect();
            for other in &others {
                rows.extend(self.store.lock_queue(other, GRANT_WINDOW)?);
            }
            let grants: Vec<_> = grantable(&rows).into_iter().filter(|g| !tried.contains(g)).collect();
            let granted = grants.len();
            for (release, request) in grants {
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
            if granted < window || window < GRANT_WINDOW {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The rows a grant pass of lock `name` needs, and how many waiters could go (0: the lock is
    /// full, or nobody waits): its holders and its first waiters, as many as it has free places
    /// (at most [`GRANT_WINDOW`]). The capacity is the largest its rows declare.
    fn lock_window(&self, name: &str) -> Result<(Vec<LockEntry>, usize)> {
        let rows = self.store.lock_queue(name, 1)?;
        if rows.iter().all(|r| r.held()) {
            return Ok((rows, 0));
        }
        let holders: BTreeSet<&str> = rows.iter().filter(|r| r.held()).map(|r| r.release_id.as_str()).collect();
        let capacity = rows.iter().map(|r| r.claim.capacity as usize).max().unwrap_or(1);
        let free = capacity.saturating_sub(holders.len()).min(GRANT_WINDOW);
        if free <= 1 {
            return Ok((rows, free));
        }
        Ok((self.store.lock_queue(name, free)?, free))
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

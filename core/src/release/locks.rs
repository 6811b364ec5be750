//! Locks: environments, services or any named resource that only so many releases may use at
//! once (`locks:` on phases and activities; the definition is [`crate::model::LockUse`]).
//!
//! # Rules
//! * **Who holds what.** An activity's own locks are held from just before it starts until it
//!   ends (through retries and while it is on hold: a failed deploy keeps its environment until
//!   a person decides). A phase's locks are held by the phase's *work*: every activity of the
//!   phase but approvals needs them before it starts, and they are let go when the phase has no
//!   such activity queued, running, waiting or on hold — while it waits only for approvals, and
//!   when it ends. With `hold_through_approval: true` a phase lock is held instead from before
//!   the phase starts until it ends.
//! * **Requests.** When a node is ready to start (its dependencies, `if` and `not_before` are
//!   satisfied) and a lock it needs is not held, it asks for all of them at once
//!   (`locks_requested`, names `${…}` rendered) and waits, `pending`, with `waiting_on` kind
//!   `lock`. The engine grants a request (`locks_acquired`, [`super::Command::GrantLocks`]) when
//!   every lock of it is free for the release; the store checks each lock's capacity in the same
//!   append, so two engines never both get the last place.
//! * **Queue order.** Higher `priority` first, then oldest request first, then release id. A
//!   request never overtakes an older one that waits for the same lock (no starvation of a
//!   request for several locks). A release that holds a lock already takes it again for another
//!   of its nodes at once, without queueing (it takes no other release's place).
//! * **Release.** Locks are let go in the same append as the transition that ends their need:
//!   the node ends, is skipped or aborted, the release ends, is aborted, rolls back. After any
//!   command, a release that is not running holds nothing ([`claim_needed`]).
//! * **Deadlock.** A request that would close a cycle of releases waiting on each other (through
//!   the locks they hold, and the older requests ahead of them) is refused when it is made: the
//!   node fails with `lock_deadlock` (then its `on_failure`) and the cycle is named.

use super::{ActivityStatus, ReleaseState, Stage};
use crate::Timestamp;
use crate::expr::eval::{self, Scope};
use crate::model::{ActivityKind, LockUse, MAX_LOCK_NAME_BYTES};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

/// A phase (`activity` absent) or an activity of a release: what declares a lock, or asks for
/// it. Written into events flattened, as `phase` and `activity`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LockNode {
    /// Phase id.
    pub phase: String,
    /// Activity id, for an activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
}

impl LockNode {
    /// The phase `phase`.
    pub fn phase(phase: impl Into<String>) -> Self {
        LockNode { phase: phase.into(), activity: None }
    }

    /// The activity `activity` of `phase`.
    pub fn activity(phase: impl Into<String>, activity: impl Into<String>) -> Self {
        LockNode { phase: phase.into(), activity: Some(activity.into()) }
    }

    /// Parses `phase` or `phase/activity`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.split_once('/') {
            Some((p, a)) if !p.is_empty() && !a.is_empty() => Some(LockNode::activity(p, a)),
            Some(_) => None,
            None => (!text.is_empty()).then(|| LockNode::phase(text)),
        }
    }
}

impl fmt::Display for LockNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.activity {
            Some(a) => write!(f, "{}/{a}", self.phase),
            None => f.write_str(&self.phase),
        }
    }
}

/// One lock a release holds or waits for. Kept in [`ReleaseState::locks`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockClaim {
    /// The lock's name, rendered.
    pub name: String,
    /// The node that declares it.
    pub node: LockNode,
    /// The node whose start asked for it (the declaring node, or an activity of a declaring phase).
    pub request: LockNode,
    /// The lock's capacity, as this use declares it.
    pub capacity: u32,
    /// This release's place in the lock's queue.
    pub priority: i32,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// When it was granted (absent while waiting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_since: Option<Timestamp>,
    /// The names of the other locks asked for in the same request (granted together with this
    /// one). Left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub together: Vec<String>,
}

/// One lock of a request, as `locks_requested` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockWant {
    /// The lock's name, rendered.
    pub name: String,
    /// The node that declares it.
    #[serde(flatten)]
    pub node: LockNode,
    /// Its capacity.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub capacity: u32,
    /// The queue priority.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub priority: i32,
    /// Held at once: the release holds this lock already (for another of its nodes), so it
    /// takes no place of another release and does not queue.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// One lock (by name and declaring node), as `locks_released` records it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LockKey {
    /// The lock's name.
    pub name: String,
    /// The node that declares it.
    #[serde(flatten)]
    pub node: LockNode,
}

/// What a transition changed about the release's locks, for the store (in the same append).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LockChanges {
    /// Locks asked for (new waiting rows).
    pub requested: Vec<LockClaim>,
    /// Locks granted: the store checks their capacity.
    pub acquired: Vec<LockClaim>,
    /// Locks let go or given up (rows removed).
    pub released: Vec<LockKey>,
}

impl LockChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.requested.is_empty() && self.acquired.is_empty() && self.released.is_empty()
    }

    /// The lock names the changes touch.
    pub fn names(&self) -> BTreeSet<String> {
        let claims = self.requested.iter().chain(&self.acquired).map(|c| c.name.clone());
        claims.chain(self.released.iter().map(|k| k.name.clone())).collect()
    }
}

/// A lock row as the store keeps it: a claim of a release, with the release's name (for the
/// `waiting_on` of whoever waits behind it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockEntry {
    /// The release.
    pub release_id: String,
    /// Its display name.
    pub release_name: String,
    /// The claim.
    #[serde(flatten)]
    pub claim: LockClaim,
}

impl LockEntry {
    /// Whether it is held (not waiting).
    pub fn held(&self) -> bool {
        self.claim.held_since.is_some()
    }
}

/// The start of the message of the `conflict` a store returns when an append would grant a lock
/// beyond its capacity (another engine took the last place first): the engine leaves the request
/// waiting instead of deciding again.
const LOCK_TAKEN: &str = "lock taken: ";

/// The `conflict` of an append that would grant `name` beyond its capacity `capacity`.
pub fn lock_taken(name: &str, capacity: u32) -> crate::Error {
    crate::Error::Conflict { message: format!("{LOCK_TAKEN}`{name}` is held by {capacity} release(s), its capacity") }
}

/// Whether `e` is a [`lock_taken`] conflict.
pub fn is_lock_taken(e: &crate::Error) -> bool {
    matches!(e, crate::Error::Conflict { message } if message.starts_with(LOCK_TAKEN))
}

impl LockChanges {
    /// The store rows of the changes for release `release` named `release_name`: the rows to
    /// write (asked for and granted) and, for the granted ones, the capacity to check first.
    pub fn entries(&self, release: &str, release_name: &str) -> Vec<LockEntry> {
        self.requested
            .iter()
            .chain(&self.acquired)
            .map(|c| LockEntry {
                release_id: release.to_string(),
                release_name: release_name.to_string(),
                claim: c.clone(),
            })
            .collect()
    }
}

/// One lock a release holds or waits for, as views show it (in a phase's and an activity's
/// `locks`, and in [`crate::Engine::locks`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockView<'a> {
    /// The lock's name.
    pub name: &'a str,
    /// The release that holds or waits for it.
    pub release_id: &'a str,
    /// That release's name.
    pub release_name: &'a str,
    /// The phase that declares it.
    pub phase_id: &'a str,
    /// The activity that declares it (absent for a phase's lock).
    pub activity_id: Option<&'a str>,
    /// The node whose start asked for it: `phase` or `phase/activity`.
    pub requested_by: String,
    /// Its capacity, as this use declares it.
    pub capacity: u32,
    /// This release's place in the queue (higher first).
    pub priority: i32,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// Since when it is held (absent while waiting).
    pub held_since: Option<Timestamp>,
}

impl LockView<'_> {
    /// The field names, in order (what the bindings expose).
    pub fn field_names() -> &'static [&'static str] {
        &[
            "name",
            "release_id",
            "release_name",
            "phase_id",
            "activity_id",
            "requested_by",
            "capacity",
            "priority",
            "requested_at",
            "held_since",
        ]
    }
}

impl LockClaim {
    /// Its key: the name and the declaring node.
    pub fn key(&self) -> LockKey {
        LockKey { name: self.name.clone(), node: self.node.clone() }
    }

    /// Whether it waits (is asked for and not granted) as part of `request`.
    pub fn waits_for(&self, request: &LockNode) -> bool {
        self.held_since.is_none() && &self.request == request
    }

    /// The view of this claim of release `release_id` named `release_name`.
    pub fn view<'a>(&'a self, release_id: &'a str, release_name: &'a str) -> LockView<'a> {
        LockView {
            name: &self.name,
            release_id,
            release_name,
            phase_id: &self.node.phase,
            activity_id: self.node.activity.as_deref(),
            requested_by: self.request.to_string(),
            capacity: self.capacity,
            priority: self.priority,
            requested_at: self.requested_at,
            held_since: self.held_since,
        }
    }
}

impl LockEntry {
    /// The view of this row.
    pub fn view(&self) -> LockView<'_> {
        self.claim.view(&self.release_id, &self.release_name)
    }
}

/// The order of a lock's queue: higher priority first, then the older request, then the
/// release and the node (so every engine sees one order).
pub fn queue_order(a: &LockEntry, b: &LockEntry) -> std::cmp::Ordering {
    (b.claim.priority, a.claim.requested_at, &a.release_id, &a.claim.request, &a.claim.name).cmp(&(
        a.claim.priority,
        b.claim.requested_at,
        &b.release_id,
        &b.claim.request,
        &b.claim.name,
    ))
}

/// Sorts lock rows by name, then in queue order (the order [`crate::store::Store::locks`] gives).
pub fn sort_entries(rows: &mut [LockEntry]) {
    rows.sort_by(|a, b| a.claim.name.cmp(&b.claim.name).then_with(|| queue_order(a, b)));
}

/// The waiting requests that may be granted now, in queue order, as `(release, request)`: each
/// request whose every lock is free for its release (held by it already, or below capacity),
/// taking places in order; a request that cannot be granted keeps its locks from every later
/// request of another release (no overtaking). `rows` must hold every row of every lock the
/// waiting requests ask for.
pub fn grantable(rows: &[LockEntry]) -> Vec<(String, LockNode)> {
    let mut holders: HashMap<&str, HashSet<&str>> = HashMap::new();
    for r in rows.iter().filter(|r| r.held()) {
        holders.entry(&r.claim.name).or_default().insert(&r.release_id);
    }
    let mut waiting: Vec<&LockEntry> = rows.iter().filter(|r| !r.held()).collect();
    waiting.sort_by(|a, b| queue_order(a, b));
    let mut requests: Vec<(&str, &LockNode, Vec<&LockEntry>)> = Vec::new();
    let mut index: HashMap<(&str, &LockNode), usize> = HashMap::new();
    for r in waiting {
        let key = (r.release_id.as_str(), &r.claim.request);
        match index.get(&key) {
            Some(&i) => requests[i].2.push(r),
            None => {
                index.insert(key, requests.len());
                requests.push((&r.release_id, &r.claim.request, vec![r]));
            }
        }
    }
    let mut blocked: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut grants = Vec::new();
    for (release, request, wants) in requests {
        let free = wants.iter().all(|w| {
            let held = holders.get(w.claim.name.as_str());
            let mine = held.is_some_and(|h| h.contains(release));
            let others_ahead = blocked.get(w.claim.name.as_str()).is_some_and(|b| b.iter().any(|r| *r != release));
            mine || (!others_ahead && held.map_or(0, |h| h.len()) < w.claim.capacity as usize)
        });
        if free {
            for w in &wants {
                holders.entry(&w.claim.name).or_default().insert(release);
            }
            grants.push((release.to_string(), request.clone()));
        } else {
            for w in &wants {
                blocked.entry(&w.claim.name).or_default().insert(release);
            }
        }
    }
    grants
}

/// The cycle of releases (starting and ending with `release`) that `release`'s waiting requests
/// would close, if any: a release waits for every other release that holds a lock it waits
/// for, and for every other release whose request for that lock is ahead of its own.
pub fn deadlock(rows: &[LockEntry], release: &str) -> Option<Vec<String>> {
    let mut by_name: HashMap<&str, Vec<&LockEntry>> = HashMap::new();
    for r in rows {
        by_name.entry(&r.claim.name).or_default().push(r);
    }
    for queue in by_name.values_mut() {
        queue.sort_by(|a, b| queue_order(a, b));
    }
    let mut waits_for: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for queue in by_name.values() {
        for (i, r) in queue.iter().enumerate().filter(|(_, r)| !r.held()) {
            let ahead = queue.iter().filter(|o| o.held()).chain(queue[..i].iter().filter(|o| !o.held()));
            let edges = waits_for.entry(&r.release_id).or_default();
            edges.extend(ahead.map(|o| o.release_id.as_str()).filter(|o| *o != r.release_id));
        }
    }
    // Depth-first search for a path back to `release`.
    let mut path = vec![release];
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<std::vec::IntoIter<&str>> =
        vec![waits_for.get(release).map(|s| s.iter().copied().collect::<Vec<_>>()).unwrap_or_default().into_iter()];
    while let Some(next) = stack.last_mut().map(|it| it.next()) {
        match next {
            None => {
                stack.pop();
                path.pop();
            }
            Some(n) if n == release => {
                path.push(n);
                return Some(path.into_iter().map(str::to_string).collect());
            }
            Some(n) if seen.insert(n) => {
                path.push(n);
                let edges = waits_for.get(n).map(|s| s.iter().copied().collect::<Vec<_>>()).unwrap_or_default();
                stack.push(edges.into_iter());
            }
            Some(_) => {}
        }
    }
    None
}

/// What starting a node needs from the locks, as the next step of [`super::step`] sees it.
pub(crate) enum LockNeed {
    /// Nothing (no locks, or all held).
    Ready,
    /// Some are asked for and not granted yet: wait.
    Waiting,
    /// Ask for these (none of them asked for yet).
    Request(Vec<LockWant>),
    /// A name could not be rendered, or is too long.
    Invalid(String),
}

/// The locks the start of phase `p` (`a` absent) or of its activity `a` needs, and whether they
/// are held.
pub(crate) fn need_to_start(state: &ReleaseState, p: usize, a: Option<usize>) -> LockNeed {
    let plan = state.plan();
    let phase = plan.phase_def(p);
    let own: &[LockUse] = match a {
        Some(a) => &plan.activity_def(p, a).locks,
        None => &[],
    };
    let from_phase = phase.locks.iter().filter(|u| match a {
        None => u.holds_through_approval(),
        Some(a) => !u.holds_through_approval() && plan.activity_def(p, a).kind != ActivityKind::Approval,
    });
    if own.is_empty() && from_phase.clone().next().is_none() {
        return LockNeed::Ready;
    }
    let phase_node = LockNode::phase(&plan.phases[p].id);
    let mut wants = Vec::new();
    let mut waiting = false;
    let uses = from_phase.map(|u| (u, phase_node.clone(), Scope::phase(state, p))).chain(own.iter().map(|u| {
        let a = a.expect("own locks are an activity's");
        (u, LockNode::activity(&plan.phases[p].id, &plan.phases[p].activities[a].id), Scope::activity(state, p, a))
    }));
    for (use_, node, scope) in uses {
        let name = match render_name(use_, &scope) {
            Ok(n) => n,
            Err(message) => return LockNeed::Invalid(format!("in the locks of {node}: {message}")),
        };
        match state.locks.iter().find(|c| c.node == node && c.name == name) {
            Some(c) => waiting |= c.held_since.is_none(),
            None => {
                if !wants.iter().any(|w: &LockWant| w.node == node && w.name == name) {
                    let held = state.locks.iter().any(|c| c.name == name && c.held_since.is_some());
                    let (capacity, priority) = (use_.capacity(), use_.priority(state.kind));
                    wants.push(LockWant { name, node, capacity, priority, held })
                }
            }
        }
    }
    if !wants.is_empty() {
        LockNeed::Request(wants)
    } else if waiting {
        LockNeed::Waiting
    } else {
        LockNeed::Ready
    }
}

/// A lock's name with its `${…}` rendered; empty or too long is an error.
fn render_name(use_: &LockUse, scope: &Scope<'_>) -> Result<String, String> {
    let raw = use_.name();
    let name = if raw.contains("${") {
        match eval::interpolate(&Value::String(raw.to_string()), scope)? {
            Value::String(s) => s,
            other => other.to_string(),
        }
    } else {
        raw.to_string()
    };
    if name.trim().is_empty() {
        return Err(format!("lock `{raw}` renders to an empty name"));
    }
    if name.len() > MAX_LOCK_NAME_BYTES {
        return Err(format!("lock `{raw}` renders to {} bytes; at most {MAX_LOCK_NAME_BYTES}", name.len()));
    }
    Ok(name)
}

/// Whether the release still needs `claim` (see the [module docs](self)): a release that is
/// not running needs none.
pub fn claim_needed(state: &ReleaseState, claim: &LockClaim) -> bool {
    if state.stage != Stage::Active {
        return false;
    }
    let plan = state.plan();
    let Some(p) = plan.phase_index(&claim.node.phase) else { return false };
    let ph = &state.phases[p];
    if claim.held_since.is_none() {
        // Waiting: needed while the node that asked still waits to start.
        return match &claim.request.activity {
            None => !ph.started && !ph.status.is_terminal(),
            Some(id) => ph.activities.iter().any(|a| &a.id == id && a.status == ActivityStatus::Pending && !a.blocked),
        };
    }
    match &claim.node.activity {
        Some(id) => ph.activities.iter().any(|a| &a.id == id && !a.status.is_terminal()),
        None if ph.status.is_terminal() => false,
        None => {
            // A phase lock the phase asked for itself is held through (`hold_through_approval`);
            // one its work asked for is held while that work is in flight.
            claim.request.activity.is_none() || phase_work_in_flight(state, p)
        }
    }
}

/// Whether phase `p` has work (an activity other than an approval) that is queued, running,
/// waiting for a person or on hold, or pending and ready to start.
fn phase_work_in_flight(state: &ReleaseState, p: usize) -> bool {
    let plan = state.plan();
    state.phases[p].activities.iter().enumerate().any(|(a, act)| {
        plan.activity_def(p, a).kind != ActivityKind::Approval
            && match act.status {
                ActivityStatus::Pending => state.ready.contains(&(p, Some(a))),
                s => !s.is_terminal(),
            }
    })
}

/// The claims the release holds or waits for that it no longer needs.
pub(crate) fn unneeded(state: &ReleaseState) -> Vec<LockKey> {
    state.locks.iter().filter(|c| !claim_needed(state, c)).map(LockClaim::key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(release: &str, name: &str, request: &str, at: i64, held: bool, priority: i32, capacity: u32) -> LockEntry {
        let t = crate::Timestamp::from_timestamp(1_700_000_000 + at, 0).unwrap();
        let node = LockNode::parse(request).unwrap();
        LockEntry {
            release_id: release.into(),
            release_name: release.to_uppercase(),
            claim: LockClaim {
                name: name.into(),
                node: node.clone(),
                request: node,
                capacity,
                priority,
                requested_at: t,
                held_since: held.then_some(t),
                together: Vec::new(),
            },
        }
    }

    #[test]
    fn the_oldest_waiter_gets_a_freed_lock_and_priority_goes_first() {
        let rows = vec![row("b", "prod1", "deploy", 2, false, 0, 1), row("a", "prod1", "deploy", 1, false, 0, 1)];
        assert_eq!(grantable(&rows), vec![("a".to_string(), LockNode::phase("deploy"))]);
        let rows = vec![row("b", "prod1", "deploy", 2, false, 10, 1), row("a", "prod1", "deploy", 1, false, 0, 1)];
        assert_eq!(grantable(&rows), vec![("b".to_string(), LockNode::phase("deploy"))]);
        let rows = vec![row("h", "prod1", "deploy", 0, true, 0, 1), row("a", "prod1", "deploy", 1, false, 0, 1)];
        assert!(grantable(&rows).is_empty());
    }

    #[test]
    fn a_semaphore_grants_up_to_its_capacity_and_no_request_overtakes() {
        let rows: Vec<_> = (0..5).map(|i| row(&format!("r{i}"), "slots", "run", i, false, 0, 3)).collect();
        assert_eq!(grantable(&rows).len(), 3);
        // `a` wants prod1 and prod2; prod2 is held. `b`, younger, wants prod1 only: it waits behind `a`.
        let mut rows = vec![row("h", "prod2", "deploy", 0, true, 0, 1), row("b", "prod1", "deploy", 5, false, 0, 1)];
        rows.push(row("a", "prod1", "deploy", 1, false, 0, 1));
        rows.push(row("a", "prod2", "deploy", 1, false, 0, 1));
        assert!(grantable(&rows).is_empty());
        // The holder of a lock takes it again for another node.
        let rows = vec![row("a", "prod1", "deploy", 0, true, 0, 1), row("a", "prod1", "deploy/run", 1, false, 0, 1)];
        assert_eq!(grantable(&rows), vec![("a".to_string(), LockNode::activity("deploy", "run"))]);
    }

    #[test]
    fn a_lock_view_has_the_fields_it_names() {
        let e = row("a", "prod1", "deploy/run", 0, true, 0, 1);
        let v = serde_json::to_value(e.view()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, LockView::field_names());
        assert_eq!((v["phase_id"].as_str(), v["activity_id"].as_str()), (Some("deploy"), Some("run")));
    }

    #[test]
    fn a_cycle_of_holders_and_waiters_is_a_deadlock() {
        let rows = vec![
            row("a", "x", "p", 0, true, 0, 1),
            row("b", "y", "p", 0, true, 0, 1),
            row("a", "y", "p/act", 1, false, 0, 1),
            row("b", "x", "p/act", 2, false, 0, 1),
        ];
        assert_eq!(deadlock(&rows, "b"), Some(vec!["b".to_string(), "a".to_string(), "b".to_string()]));
        assert_eq!(deadlock(&rows[..3], "a"), None);
    }
}

//! Conflicts: releases that overlap on a shared service or environment, and releases that overlap a
//! freeze window on their services or environments.
//!
//! Per resource (`service:x`, `environment:y`), the windows of the releases using it and the freeze
//! windows covering it are swept in start order with an active set ordered by end: each window is
//! compared only with the windows still open when it starts, so the cost is O(n log n + conflicts),
//! not O(n²). Windows are half-open: one ending at 12:00 does not overlap one starting at 12:00.
//! Freezes with neither environments nor services freeze everything: they conflict with every
//! overlapping release, with resource `*` when the release names no service or environment.
//! An allowed window (`mode: allow`) conflicts with a release on a resource it covers where the
//! release overlaps a stretch outside every allowed window of that resource.

use super::CalendarEntry;
use crate::Timestamp;
use crate::schedule::{Freeze, FreezeMode, FreezeWindow, Resource, closed_stretches, freeze_windows};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// What kind of conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Two releases overlap on a shared resource.
    Overlap,
    /// A release overlaps a freeze window on one of its resources.
    Freeze,
}

/// One conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// Overlap or freeze.
    pub kind: ConflictKind,
    /// The releases: two for an overlap (ordered by id), one for a freeze.
    pub release_ids: Vec<String>,
    /// The freeze (freeze conflicts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freeze_id: Option<String>,
    /// The shared resource: `service:payment-service`, `environment:prod1` (`*` for a global
    /// freeze on a release without services and environments).
    pub resource: String,
    /// Start of the overlap.
    pub start: Timestamp,
    /// End of the overlap.
    pub end: Timestamp,
}

#[derive(Clone, Copy)]
enum Side<'a> {
    Release(&'a CalendarEntry),
    Freeze(&'a FreezeWindow),
}

/// The conflicts among `entries` and with `freezes` whose overlap meets `[from, to)`, ordered by
/// start, then resource, then the ids. Entries with an empty window never conflict.
///
/// ```
/// use trainyard::calendar::{CalendarEntry, ConflictKind, conflicts};
/// use trainyard::release::{ReleaseKind, ReleaseStatus};
/// let at = |s: &str| s.parse().unwrap();
/// let entry = |id: &str, start: &str, end: &str| CalendarEntry {
///     release_id: id.into(), name: id.into(), status: ReleaseStatus::Scheduled, kind: ReleaseKind::Standard,
///     group: None, scope: "account".into(), start: at(start), end: at(end), planned_start: None,
///     planned_end: None, actual_start: None, actual_end: None, phases: vec![],
///     services: vec!["payment-service".into()], environments: vec![], waits_for: vec![],
/// };
/// let a = entry("a", "2025-04-01T00:00:00Z", "2025-04-03T00:00:00Z");
/// let b = entry("b", "2025-04-02T00:00:00Z", "2025-04-04T00:00:00Z");
/// let found = conflicts(&[a, b], &[], at("2025-04-01T00:00:00Z"), at("2025-05-01T00:00:00Z"));
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].kind, ConflictKind::Overlap);
/// assert_eq!(found[0].resource, "service:payment-service");
/// assert_eq!(found[0].release_ids, ["a", "b"]);
/// ```
pub fn conflicts(entries: &[CalendarEntry], freezes: &[Freeze], from: Timestamp, to: Timestamp) -> Vec<Conflict> {
    let windows = freeze_windows(freezes, from, to);
    let closed = allowed_window_gaps(entries, freezes, from, to);
    let mut lanes: BTreeMap<String, Vec<(Timestamp, Timestamp, Side<'_>)>> = BTreeMap::new();
    for e in entries {
        if e.start >= e.end || !(e.start < to && e.end > from) {
            continue;
        }
        for s in &e.services {
            lanes.entry(format!("service:{s}")).or_default().push((e.start, e.end, Side::Release(e)));
        }
        for v in &e.environments {
            lanes.entry(format!("environment:{v}")).or_default().push((e.start, e.end, Side::Release(e)));
        }
    }
    let mut global = Vec::new();
    // The `*` stretches outside global allowed windows, for the releases that name nothing (the
    // lanes of the others have their own stretches).
    let mut nothing_named = Vec::new();
    for (lane, w) in &closed {
        if lane == "*" {
            nothing_named.push(w);
        } else if let Some(lane) = lanes.get_mut(lane) {
            lane.push((w.start, w.end, Side::Freeze(w)));
        }
    }
    for w in &windows {
        if w.start >= w.end {
            continue;
        }
        if w.is_global() {
            global.push(w);
            continue;
        }
        for s in &w.services {
            if let Some(lane) = lanes.get_mut(&format!("service:{s}")) {
                lane.push((w.start, w.end, Side::Freeze(w)));
            }
        }
        for v in &w.environments {
            if let Some(lane) = lanes.get_mut(&format!("environment:{v}")) {
                lane.push((w.start, w.end, Side::Freeze(w)));
            }
        }
    }
    let mut out = Vec::new();
    for (resource, lane) in &mut lanes {
        sweep(resource, lane, from, to, &mut out);
    }
    // Global freezes are few: compare each with every release (no release-release pairs here).
    for e in entries.iter().filter(|e| e.start < e.end && e.start < to && e.end > from) {
        let names_nothing = e.services.is_empty() && e.environments.is_empty();
        let gaps = if names_nothing { nothing_named.as_slice() } else { &[] };
        for w in global.iter().chain(gaps) {
            let (s, end) = (e.start.max(w.start), e.end.min(w.end));
            if !(s < end && s < to && end > from) {
                continue;
            }
            let mut resources: Vec<String> = e.services.iter().map(|v| format!("service:{v}")).collect();
            resources.extend(e.environments.iter().map(|v| format!("environment:{v}")));
            if resources.is_empty() {
                resources.push("*".into());
            }
            for resource in resources {
                out.push(Conflict {
                    kind: ConflictKind::Freeze,
                    release_ids: vec![e.release_id.clone()],
                    freeze_id: Some(w.freeze_id.clone()),
                    resource,
                    start: s,
                    end,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.start, &a.resource, &a.release_ids, &a.freeze_id).cmp(&(b.start, &b.resource, &b.release_ids, &b.freeze_id))
    });
    out.dedup();
    out
}

/// The stretches of `[from, to)` outside the allowed windows (`mode: allow`) of each resource the
/// entries use, by lane (`service:x`, `environment:y`), and of `*` (the global allowed windows,
/// for releases that name no resource).
fn allowed_window_gaps(
    entries: &[CalendarEntry],
    freezes: &[Freeze],
    from: Timestamp,
    to: Timestamp,
) -> Vec<(String, FreezeWindow)> {
    if !freezes.iter().any(|f| f.mode() == FreezeMode::Allow) {
        return Vec::new();
    }
    let mut resources: std::collections::BTreeSet<Resource> = std::collections::BTreeSet::new();
    for e in entries {
        resources.extend(e.services.iter().map(Resource::service));
        resources.extend(e.environments.iter().map(Resource::environment));
    }
    let mut out: Vec<(String, FreezeWindow)> = Vec::new();
    for r in &resources {
        out.extend(closed_stretches(freezes, r, from, to).into_iter().map(|w| (r.to_string(), w)));
    }
    let everything = Resource::environment("*");
    out.extend(closed_stretches(freezes, &everything, from, to).into_iter().map(|w| ("*".to_string(), w)));
    out
}

fn sweep<'a>(
    resource: &str,
    lane: &mut [(Timestamp, Timestamp, Side<'a>)],
    from: Timestamp,
    to: Timestamp,
    out: &mut Vec<Conflict>,
) {
    lane.sort_by_key(|(start, end, _)| (*start, *end));
    // Open windows, earliest end first: (end, index into lane).
    let mut open: BinaryHeap<Reverse<(Timestamp, usize)>> = BinaryHeap::new();
    for i in 0..lane.len() {
        let (start, end, side) = lane[i];
        while open.peek().is_some_and(|Reverse((e, _))| *e <= start) {
            open.pop();
        }
        for Reverse((other_end, j)) in open.iter() {
            let (other_start, _, other) = lane[*j];
            let s = start.max(other_start);
            let e = end.min(*other_end);
            if !(s < e && s < to && e > from) {
                continue;
            }
            let conflict = match (side, other) {
                (Side::Release(a), Side::Release(b)) => {
                    let mut ids = vec![a.release_id.clone(), b.release_id.clone()];
                    ids.sort();
                    if ids[0] == ids[1] {
                        continue;
                    }
                    Conflict {
                        kind: ConflictKind::Overlap,
                        release_ids: ids,
                        freeze_id: None,
                        resource: resource.into(),
                        start: s,
                        end: e,
                    }
                }
                (Side::Release(r), Side::Freeze(w)) | (Side::Freeze(w), Side::Release(r)) => Conflict {
                    kind: ConflictKind::Freeze,
                    release_ids: vec![r.release_id.clone()],
                    freeze_id: Some(w.freeze_id.clone()),
                    resource: resource.into(),
                    start: s,
                    end: e,
                },
                (Side::Freeze(_), Side::Freeze(_)) => continue,
            };
            out.push(conflict);
        }
        open.push(Reverse((end, i)));
    }
}

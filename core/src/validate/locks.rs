//! Rules of `locks` on phases and activities: a name (at most
//! [`crate::model::MAX_LOCK_NAME_BYTES`] once rendered), a capacity of 1 to
//! [`crate::model::MAX_LOCK_CAPACITY`], at most [`crate::model::MAX_LOCKS_PER_NODE`] per node,
//! no name twice, and `hold_through_approval` only on a phase. A name's `${…}` are checked with
//! the other expressions ([`super::references`]).

use super::{codes, path};
use crate::Problem;
use crate::model::{LockSpec, LockUse, MAX_LOCK_CAPACITY, MAX_LOCK_NAME_BYTES, MAX_LOCKS_PER_NODE};

/// Checks the `locks` of a phase (`on_phase`) or an activity at `at`, adding every problem to `out`.
pub fn check(uses: &[LockUse], at: &str, on_phase: bool, out: &mut Vec<Problem>) {
    let lat = path::field(at, "locks");
    if uses.len() > MAX_LOCKS_PER_NODE {
        out.push(Problem::new(
            &lat,
            codes::BAD_LOCK,
            format!("{} locks; a phase or an activity may hold at most {MAX_LOCKS_PER_NODE}", uses.len()),
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, u) in uses.iter().enumerate() {
        let uat = path::index(&lat, i);
        let name = u.name();
        let nat = if matches!(u, LockUse::Spec(_)) { path::field(&uat, "name") } else { uat.clone() };
        if name.trim().is_empty() {
            out.push(Problem::new(&nat, codes::BAD_LOCK, "a lock needs a name, e.g. `environment:prod1`"));
        } else if name.len() > MAX_LOCK_NAME_BYTES {
            out.push(Problem::new(
                &nat,
                codes::BAD_LOCK,
                format!("lock name of {} bytes; at most {MAX_LOCK_NAME_BYTES}", name.len()),
            ));
        }
        if seen.contains(&name) {
            out.push(Problem::new(&nat, codes::BAD_LOCK, format!("lock `{name}` is listed twice")));
        }
        seen.push(name);
        let LockUse::Spec(LockSpec { capacity, hold_through_approval, .. }) = u else { continue };
        if let Some(c) = capacity.filter(|c| *c == 0 || *c > MAX_LOCK_CAPACITY) {
            out.push(Problem::new(
                path::field(&uat, "capacity"),
                codes::BAD_LOCK,
                format!("capacity {c}; a lock's capacity is 1 (a mutex, the default) to {MAX_LOCK_CAPACITY}"),
            ));
        }
        if hold_through_approval.is_some() && !on_phase {
            out.push(Problem::new(
                path::field(&uat, "hold_through_approval"),
                codes::BAD_LOCK,
                "`hold_through_approval` is for a phase's locks; an activity holds its own locks until it ends",
            ));
        }
    }
}

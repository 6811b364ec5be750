//! Contract cases for lock rows ([`Store::locks`], written with [`Append::locks`]).

use super::fixtures::release_row as row;
use super::{Append, Store};
use crate::release::locks::{LockChanges, LockClaim, LockKey, LockNode, is_lock_taken};
use crate::release::{Event, EventKind};
use std::sync::Arc;

fn at(s: i64) -> crate::Timestamp {
    "2025-04-07T09:00:00Z".parse::<crate::Timestamp>().unwrap() + chrono::Duration::seconds(s)
}

fn write(s: &Arc<dyn Store>, id: &str, expected: u64, locks: &LockChanges) -> crate::Result<()> {
    let evs = vec![Event {
        seq: expected + 1,
        at: at(expected as i64 + 1),
        actor: "system".into(),
        kind: EventKind::Paused,
        comment: None,
    }];
    let mut r = row(id, expected + 1);
    r.name = format!("release {id}");
    s.append(&Append { locks: Some(locks), ..Append::new(id, expected, &evs, &r) })
}

fn claim(name: &str, node: &str, capacity: u32, priority: i32, requested: i64, held: bool) -> LockClaim {
    let node = LockNode::parse(node).unwrap();
    LockClaim {
        name: name.into(),
        node: node.clone(),
        request: node,
        capacity,
        priority,
        requested_at: at(requested),
        held_since: held.then(|| at(requested)),
        together: Vec::new(),
    }
}

fn asked(claims: Vec<LockClaim>) -> LockChanges {
    LockChanges { requested: claims, ..Default::default() }
}

fn rows(s: &Arc<dyn Store>, name: &str) -> Vec<(String, bool)> {
    s.locks(Some(&[name.to_string()])).unwrap().into_iter().map(|e| (e.release_id.clone(), e.held())).collect()
}

/// Lock rows are written with the append that changes them, in queue order (priority, then the
/// older request); a grant beyond the capacity counting the other releases fails the whole
/// append with a `lock taken` conflict; rows go with a release that lets go or is deleted.
pub(super) fn locks_follow_appends(s: &Arc<dyn Store>) {
    write(s, "r1", 0, &asked(vec![claim("env", "deploy", 1, 0, 0, true)])).unwrap();
    write(s, "r2", 0, &asked(vec![claim("env", "deploy", 1, 0, 2, false)])).unwrap();
    write(s, "r3", 0, &asked(vec![claim("env", "deploy", 1, 5, 3, false), claim("db", "deploy", 2, 0, 3, false)]))
        .unwrap();
    assert_eq!(
        rows(s, "env"),
        [("r3".to_string(), false), ("r1".to_string(), true), ("r2".to_string(), false)],
        "priority first, then the older request (held or not)"
    );
    let queue = |limit| -> Vec<(String, bool)> {
        s.lock_queue("env", limit).unwrap().into_iter().map(|e| (e.release_id.clone(), e.held())).collect()
    };
    assert_eq!(queue(1), [("r1".to_string(), true), ("r3".to_string(), false)], "holders, then the first waiter");
    assert_eq!(queue(5), [("r1".to_string(), true), ("r3".to_string(), false), ("r2".to_string(), false)]);
    assert!(s.lock_queue("nothing", 5).unwrap().is_empty());
    let all = s.locks(None).unwrap();
    assert_eq!(all.iter().map(|e| e.claim.name.as_str()).collect::<Vec<_>>(), ["db", "env", "env", "env"]);
    assert_eq!(all[0].release_name, "release r3", "the row names its release");
    // r2 is granted env while r1 holds it: refused, and nothing of the append is written.
    let grant = LockChanges { acquired: vec![claim("env", "deploy", 1, 0, 2, true)], ..Default::default() };
    let err = write(s, "r2", 1, &grant).unwrap_err();
    assert!(is_lock_taken(&err), "{err}");
    assert_eq!(s.release("r2").unwrap().unwrap().seq, 1, "no event of the refused append");
    assert_eq!(rows(s, "env")[2], ("r2".to_string(), false));
    // A semaphore of 2 takes two releases; the holder may take its own lock again.
    write(s, "r3", 1, &LockChanges { acquired: vec![claim("db", "deploy", 2, 0, 3, true)], ..Default::default() })
        .unwrap();
    write(s, "r1", 1, &asked(vec![claim("db", "deploy", 2, 0, 4, true)])).unwrap();
    let again = asked(vec![claim("env", "deploy/run", 1, 0, 5, true)]);
    write(s, "r1", 2, &again).unwrap();
    let third = asked(vec![claim("db", "deploy", 2, 0, 6, true)]);
    assert!(is_lock_taken(&write(s, "r2", 1, &third).unwrap_err()), "db is full");
    // r1 lets go of env (both nodes): r2 may take it.
    let release = LockChanges {
        released: vec![
            LockKey { name: "env".into(), node: LockNode::phase("deploy") },
            LockKey { name: "env".into(), node: LockNode::activity("deploy", "run") },
        ],
        ..Default::default()
    };
    write(s, "r1", 3, &release).unwrap();
    write(s, "r2", 1, &grant).unwrap();
    assert_eq!(rows(s, "env"), [("r3".to_string(), false), ("r2".to_string(), true)]);
    assert_eq!(queue(5), [("r2".to_string(), true), ("r3".to_string(), false)], "a granted row left the queue");
    assert!(s.delete_release("r3").unwrap());
    assert_eq!(rows(s, "env"), [("r2".to_string(), true)], "a deleted release holds and waits for nothing");
    assert_eq!(rows(s, "db"), [("r1".to_string(), true)]);
}

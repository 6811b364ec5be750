//! Contract cases for gate watches ([`Store::gate_watches`], written with [`Append::watches`]).

use super::fixtures::release_row as row;
use super::{Append, Store};
use crate::release::{Event, EventKind};
use std::sync::Arc;

fn events(from: u64, n: u64) -> Vec<Event> {
    (from..from + n)
        .map(|seq| Event {
            seq,
            at: "2025-04-07T09:00:00Z".parse::<crate::Timestamp>().unwrap() + chrono::Duration::seconds(seq as i64),
            actor: "system".into(),
            kind: EventKind::Paused,
            comment: None,
        })
        .collect()
}

fn write(s: &Arc<dyn Store>, id: &str, expected: u64, watches: Option<&[String]>) -> crate::Result<()> {
    let evs = events(expected + 1, 1);
    s.append(&Append { watches, ..Append::new(id, expected, &evs, &row(id, expected + 1)) })
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(w, t)| (w.to_string(), t.to_string())).collect()
}

/// Watches are written with the append that changes them, replace the release's earlier ones,
/// are left alone by appends that do not name them, go with a conflicting append's other writes,
/// and go with the release when it is deleted.
pub(super) fn watches_follow_appends(s: &Arc<dyn Store>) {
    let ab = ["a".to_string(), "b".to_string()];
    write(s, "w1", 0, Some(&ab)).unwrap();
    write(s, "w2", 0, Some(&["b".to_string()])).unwrap();
    assert_eq!(s.gate_watches(Some("b")).unwrap(), pairs(&[("w1", "b"), ("w2", "b")]), "watchers of b, sorted");
    assert_eq!(s.gate_watches(Some("a")).unwrap(), pairs(&[("w1", "a")]));
    assert!(s.gate_watches(Some("zz")).unwrap().is_empty());
    assert_eq!(s.gate_watches(None).unwrap(), pairs(&[("w1", "a"), ("w1", "b"), ("w2", "b")]), "every watch");
    write(s, "w1", 1, None).unwrap();
    assert_eq!(s.gate_watches(Some("a")).unwrap(), pairs(&[("w1", "a")]), "an append without watches keeps them");
    write(s, "w1", 2, Some(&["c".to_string()])).unwrap();
    assert_eq!(s.gate_watches(None).unwrap(), pairs(&[("w1", "c"), ("w2", "b")]), "the new set replaces the old");
    assert!(write(s, "w1", 1, Some(&[])).is_err(), "a stale append conflicts");
    assert_eq!(s.gate_watches(Some("c")).unwrap(), pairs(&[("w1", "c")]), "and writes no watches");
    write(s, "w1", 3, Some(&[])).unwrap();
    assert_eq!(s.gate_watches(None).unwrap(), pairs(&[("w2", "b")]), "an empty set removes them");
    assert!(s.delete_release("w2").unwrap());
    assert!(s.gate_watches(None).unwrap().is_empty(), "a deleted release watches nothing");
}

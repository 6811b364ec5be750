//! The deployment ledger cases of the store contract: entries are written with the append that
//! carries them (and not by a refused one), written again without change, read as the current
//! entry of each service and environment and as the history of one, and go with their release.

use super::contract_inbox::{base, event, row};
use super::{Append, Store};
use crate::Error;
use crate::release::{LedgerEntry, ReleaseKind};
use std::sync::Arc;

/// A delivery of `service` `version` to `environment` by release `id` at `minute` minutes after
/// the base time, as the event `seq` of that release.
fn entry(id: &str, seq: u64, service: &str, environment: &str, version: &str, minute: i64) -> LedgerEntry {
    LedgerEntry {
        service: service.into(),
        environment: environment.into(),
        version: version.into(),
        commit: Some(format!("c-{version}")),
        artifact: None,
        at: base() + chrono::Duration::minutes(minute),
        release_id: id.into(),
        release_name: format!("release {id}"),
        release_kind: ReleaseKind::Standard,
        scope: "account".into(),
        phase_id: "prod".into(),
        activity_id: "deploy".into(),
        attempt: 1,
        rollback: false,
        seq,
    }
}

fn append(s: &Arc<dyn Store>, id: &str, expected: u64, ledger: &[LedgerEntry]) -> crate::Result<()> {
    let evs = [event(expected + 1)];
    let r = row(id, expected + 1);
    s.append(&Append { ledger, ..Append::new(id, expected, &evs, &r) })
}

fn versions(list: &[LedgerEntry]) -> Vec<(String, String, String)> {
    list.iter().map(|e| (e.service.clone(), e.environment.clone(), e.version.clone())).collect()
}

fn triples(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
}

pub(super) fn ledger_index(s: &Arc<dyn Store>) {
    assert_eq!(s.deployed(None, None).unwrap(), vec![], "an empty store has deployed nothing");
    let a = [entry("a", 1, "checkout", "prod1", "1.0", 0)];
    append(s, "a", 0, &a).unwrap();
    append(s, "s", 0, &[entry("s", 1, "checkout", "stage", "1.0", -10)]).unwrap();
    let b = [entry("b", 1, "checkout", "prod1", "1.1", 60), entry("b", 2, "search", "prod1", "7", 61)];
    append(s, "b", 0, &b[..1]).unwrap();
    append(s, "b", 1, &b[1..]).unwrap();
    assert_eq!(
        versions(&s.deployed(None, None).unwrap()),
        triples(&[("checkout", "prod1", "1.1"), ("checkout", "stage", "1.0"), ("search", "prod1", "7")]),
        "the latest entry of each service and environment, by service then environment"
    );
    assert_eq!(s.deployed(Some("prod1"), Some("checkout")).unwrap(), vec![b[0].clone()], "stored as given");
    assert_eq!(versions(&s.deployed(Some("stage"), None).unwrap()), triples(&[("checkout", "stage", "1.0")]));
    assert_eq!(
        versions(&s.deployed(None, Some("search")).unwrap()),
        triples(&[("search", "prod1", "7")]),
        "filtered by service"
    );
    assert_eq!(s.deployed(Some("prod2"), None).unwrap(), vec![]);

    // A rollback recorded later makes the earlier version current again.
    let back = LedgerEntry { rollback: true, ..entry("b", 3, "checkout", "prod1", "1.0", 90) };
    append(s, "b", 2, std::slice::from_ref(&back)).unwrap();
    assert_eq!(s.deployed(Some("prod1"), Some("checkout")).unwrap(), vec![back.clone()]);
    let history = s.deployments("checkout", "prod1", 10).unwrap();
    assert_eq!(history, vec![back.clone(), b[0].clone(), a[0].clone()], "newest first, rollbacks included");
    assert_eq!(s.deployments("checkout", "prod1", 2).unwrap(), vec![back.clone(), b[0].clone()], "the limit holds");
    assert_eq!(s.deployments("checkout", "nowhere", 10).unwrap(), vec![]);

    // Writing an entry again (a rebuild) changes nothing; a refused append writes none.
    append(s, "b", 3, std::slice::from_ref(&back)).unwrap();
    assert_eq!(s.deployments("checkout", "prod1", 10).unwrap().len(), 3, "an entry written again is kept once");
    let stale = entry("a", 9, "checkout", "prod1", "9.9", 500);
    assert!(matches!(append(s, "a", 0, std::slice::from_ref(&stale)), Err(Error::Conflict { .. })));
    assert_eq!(
        s.deployed(Some("prod1"), Some("checkout")).unwrap(),
        vec![back.clone()],
        "nothing from a refused append"
    );

    // Ties in time: the release id, then the sequence, decide.
    let tie_a = entry("t1", 1, "cart", "prod1", "3", 200);
    let tie_b = entry("t2", 1, "cart", "prod1", "4", 200);
    append(s, "t2", 0, std::slice::from_ref(&tie_b)).unwrap();
    append(s, "t1", 0, std::slice::from_ref(&tie_a)).unwrap();
    assert_eq!(versions(&s.deployed(None, Some("cart")).unwrap()), triples(&[("cart", "prod1", "4")]));

    // A deleted release takes its entries with it.
    assert!(s.delete_release("b").unwrap());
    assert_eq!(
        versions(&s.deployed(Some("prod1"), None).unwrap()),
        triples(&[("cart", "prod1", "4"), ("checkout", "prod1", "1.0")]),
        "what the deleted release delivered is gone; the entry before it is current"
    );
    assert_eq!(s.deployments("checkout", "prod1", 10).unwrap(), vec![a[0].clone()]);
}

//! The inbox index cases of the store contract: entries replace a release's entries in the
//! append that carries them, are read by principal oldest first and once each, and go with a
//! refused append (nothing written) or a deleted release.

use super::{Append, ReleaseRow, Store};
use crate::release::{Event, EventKind, InboxEntry, InboxGrant, InboxKind, ReleaseKind, ReleaseStatus};
use crate::{Error, Timestamp};
use std::sync::Arc;

/// The time the inbox and ledger cases start from.
pub(super) fn base() -> Timestamp {
    "2025-04-07T09:00:00Z".parse().expect("a test time")
}

/// A plain event with sequence `seq`, one second after the previous.
pub(super) fn event(seq: u64) -> Event {
    Event {
        seq,
        at: base() + chrono::Duration::seconds(seq as i64),
        actor: "system".into(),
        kind: EventKind::Resumed,
        comment: None,
    }
}

/// A release row at sequence `seq` with nothing but its id and name set.
pub(super) fn row(id: &str, seq: u64) -> ReleaseRow {
    ReleaseRow {
        id: id.into(),
        name: format!("release {id}"),
        process_id: "p".into(),
        process_version: 1,
        status: ReleaseStatus::OnHold,
        kind: ReleaseKind::Standard,
        scope: "account".into(),
        group: None,
        archived: false,
        deleted: false,
        next_due: None,
        seq,
        created_at: Some(base()),
        planned_start: None,
        planned_end: None,
        started_at: None,
        ended_at: None,
        services: vec![],
        environments: vec![],
        labels: Default::default(),
        version: None,
        updated_at: None,
    }
}

/// An approval of release `id` waiting since `minute` minutes after the base time, that the
/// given principals may approve.
fn entry(id: &str, activity: &str, minute: i64, principals: &[&str]) -> InboxEntry {
    InboxEntry {
        release_id: id.into(),
        release_name: format!("release {id}"),
        scope: "account".into(),
        phase_id: "qa".into(),
        activity_id: activity.into(),
        kind: InboxKind::Approval,
        due: Some(base() + chrono::Duration::days(1)),
        escalated: false,
        since: base() + chrono::Duration::minutes(minute),
        grants: principals
            .iter()
            .map(|p| InboxGrant { principal: p.to_string(), reason: format!("approver entry {p}") })
            .collect(),
        banned: Some("rita".into()),
        decided_by: vec!["quinn".into()],
    }
}

fn append(s: &Arc<dyn Store>, id: &str, expected: u64, inbox: Option<&[InboxEntry]>) -> crate::Result<()> {
    let evs = [event(expected + 1)];
    let r = row(id, expected + 1);
    s.append(&Append { inbox, ..Append::new(id, expected, &evs, &r) })
}

fn keys(list: &[InboxEntry]) -> Vec<(String, String)> {
    list.iter().map(|e| (e.release_id.clone(), e.activity_id.clone())).collect()
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

pub(super) fn inbox_index(s: &Arc<dyn Store>) {
    let qa = owned(&["group:qa"]);
    assert_eq!(s.inbox(&qa, 10).unwrap(), vec![], "an empty store has an empty inbox");
    let a = [entry("a", "signoff", 5, &["group:qa", "user:sam"]), entry("a", "legal", 1, &["user:lee"])];
    append(s, "a", 0, Some(&a)).unwrap();
    let b = [entry("b", "signoff", 3, &["group:qa", "role:account_release_manager"])];
    append(s, "b", 0, Some(&b)).unwrap();
    assert_eq!(s.inbox(&qa, 10).unwrap(), vec![b[0].clone(), a[0].clone()], "oldest first, stored as given");
    let sam_in_qa = owned(&["group:qa", "user:sam"]);
    assert_eq!(
        keys(&s.inbox(&sam_in_qa, 10).unwrap()),
        pairs(&[("b", "signoff"), ("a", "signoff")]),
        "an entry reached through two principals comes once"
    );
    assert_eq!(keys(&s.inbox(&sam_in_qa, 1).unwrap()), pairs(&[("b", "signoff")]), "the limit holds");
    let everyone = owned(&["group:qa", "role:account_release_manager", "user:lee", "user:sam"]);
    assert_eq!(keys(&s.inbox(&everyone, 10).unwrap()), pairs(&[("a", "legal"), ("b", "signoff"), ("a", "signoff")]));
    assert_eq!(s.inbox(&owned(&["user:nobody"]), 10).unwrap(), vec![]);
    assert_eq!(s.inbox(&[], 10).unwrap(), vec![]);

    // An append without entries leaves them; one with entries replaces them.
    append(s, "a", 1, None).unwrap();
    assert_eq!(keys(&s.inbox(&owned(&["user:lee"]), 10).unwrap()), pairs(&[("a", "legal")]));
    let a2 = [entry("a", "legal", 1, &["group:legal"])];
    append(s, "a", 2, Some(&a2)).unwrap();
    assert_eq!(s.inbox(&owned(&["user:lee"]), 10).unwrap(), vec![], "replaced entries are gone");
    assert_eq!(keys(&s.inbox(&qa, 10).unwrap()), pairs(&[("b", "signoff")]));
    assert_eq!(keys(&s.inbox(&owned(&["group:legal"]), 10).unwrap()), pairs(&[("a", "legal")]));

    // A refused append writes no entries.
    let stale = [entry("b", "other", 0, &["group:qa"])];
    assert!(matches!(append(s, "b", 0, Some(&stale)), Err(Error::Conflict { .. })));
    assert_eq!(keys(&s.inbox(&qa, 10).unwrap()), pairs(&[("b", "signoff")]), "a refused append changes nothing");

    // Emptied, and gone with the release.
    append(s, "b", 1, Some(&[])).unwrap();
    assert_eq!(s.inbox(&qa, 10).unwrap(), vec![]);
    assert!(s.delete_release("a").unwrap());
    assert_eq!(s.inbox(&owned(&["group:legal"]), 10).unwrap(), vec![], "a deleted release leaves no entries");
}

/// Many entries under one principal: a read returns the first `limit` in order, whatever the
/// number behind them.
pub(super) fn inbox_reads_the_first_entries(s: &Arc<dyn Store>) {
    for i in 0..30 {
        let id = format!("r{i:02}");
        let list = [entry(&id, "signoff", 100 - i, &["group:qa"])];
        append(s, &id, 0, Some(&list)).unwrap();
    }
    let first = s.inbox(&owned(&["group:qa"]), 5).unwrap();
    let ids: Vec<&str> = first.iter().map(|e| e.release_id.as_str()).collect();
    assert_eq!(ids, ["r29", "r28", "r27", "r26", "r25"], "the oldest five");
}

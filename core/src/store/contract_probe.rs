//! The tick probe's part of the store contract (run by [`super::contract::run_all`]): a store
//! either does not probe (it answers [`TickProbe::ANYTHING`] everywhere) or answers each part
//! exactly as the read or claim of that part would at the same moment (the feed part: whether
//! an entry of another origin is readable after the cursor, and the readable head).

use super::fixtures::{at, feed_entry, release_row};
use super::{Append, ReleaseRow, Store, TickProbe, TickQuestion};
use crate::Timestamp;
use crate::feed::{Cursor, FeedEntry};
use crate::release::{Event, EventKind, ReleaseStatus};
use serde_json::json;
use std::sync::Arc;

const GROUPS: &str = "release_groups";

/// The origin of the entries this case appends.
const WRITER: &str = "engine-a";

fn probe_as(s: &Arc<dyn Store>, origin: &str, after: Cursor, now: Timestamp, executors: &[&str]) -> TickProbe {
    let executors: Vec<String> = executors.iter().map(|e| e.to_string()).collect();
    let question = TickQuestion { feed_after: after, origin, now, executors: &executors, collection: GROUPS };
    s.tick_probe(&question).unwrap()
}

/// The probe of an engine other than the writer.
fn probe(s: &Arc<dyn Store>, after: Cursor, now: Timestamp, executors: &[&str]) -> TickProbe {
    probe_as(s, "engine-b", after, now, executors)
}

/// The feed's head once the entry appended last is readable (the feed's `wait_for_feed` returns
/// when it may be; a store that never makes it readable fails the feed cases first).
fn readable_head(s: &Arc<dyn Store>) -> Cursor {
    for _ in 0..100 {
        let head = s.feed_head().unwrap();
        if head > 0 {
            return head;
        }
        s.wait_for_feed(0, std::time::Duration::from_millis(300)).unwrap();
    }
    panic!("the appended feed entry never became readable");
}

/// What the probe must answer when the store probes (`expected`), or `ANYTHING` when it does not.
fn expect(probing: bool, expected: TickProbe, got: TickProbe, when: &str) {
    let want = if probing { expected } else { TickProbe::ANYTHING };
    assert_eq!(got, want, "the tick probe {when}");
}

pub(super) fn answers_each_part_exactly(s: &Arc<dyn Store>) {
    let now = at();
    let nothing = TickProbe { feed: false, feed_head: 0, timers: false, jobs: false, documents: false };
    let first = probe(s, 0, now, &["deploy"]);
    let probing = first != TickProbe::ANYTHING;
    expect(probing, nothing, first, "of an empty store");

    // A release with a timer due now, a queued `deploy` job and its feed entry, in one append.
    let mut row = ReleaseRow { status: ReleaseStatus::Running, ..release_row("r", 1) };
    row.next_due = Some(now - chrono::Duration::minutes(1));
    let events = [Event { seq: 1, at: now, actor: "rita".into(), kind: EventKind::Paused, comment: None }];
    let job = super::contract::job("r", "a", "deploy");
    let entry = FeedEntry { origin: WRITER.into(), ..feed_entry("r", 1, 1) };
    s.append(&Append {
        new_jobs: std::slice::from_ref(&job),
        feed: Some(&entry),
        ..Append::new("r", 0, &events, &row)
    })
    .unwrap();
    // On PostgreSQL an entry becomes readable once every older transaction of the server ended.
    let head = readable_head(s);
    let all = TickProbe { feed: true, feed_head: head, timers: true, jobs: true, documents: false };
    expect(probing, all, probe(s, 0, now, &["deploy"]), "after an append with a due timer, a job and an entry");
    let own = TickProbe { feed: false, ..all };
    expect(probing, own, probe_as(s, WRITER, 0, now, &["deploy"]), "of the engine that wrote the only entry");
    let other = TickProbe { feed: false, jobs: false, ..all };
    expect(probing, other, probe(s, head, now, &["build"]), "after the last entry, for another executor");
    let earlier = now - chrono::Duration::hours(1);
    let not_yet = TickProbe { timers: false, ..all };
    expect(probing, not_yet, probe(s, 0, earlier, &["deploy"]), "before the timer is due");

    let nothing = TickProbe { feed_head: head, ..nothing };
    // Claimed: the timer and the job are leased, so a tick finds nothing to claim.
    let lease = now + chrono::Duration::seconds(30);
    assert_eq!(s.claim_due(now, 10, lease).unwrap().len(), 1);
    assert_eq!(s.claim_jobs(&["deploy".to_string()], "w", 10, lease, now).unwrap().len(), 1);
    expect(probing, nothing, probe(s, head, now, &["deploy"]), "while both are leased");
    let later = lease + chrono::Duration::seconds(1);
    let expired = TickProbe { timers: true, jobs: true, ..nothing };
    expect(probing, expired, probe(s, head, later, &["deploy"]), "once the leases ran out");

    // A live document in the collection asked about, and none once it is deleted.
    s.put_document(GROUPS, "weekly", &json!({"id": "weekly"})).unwrap();
    s.put_document("freezes", "xmas", &json!({"id": "xmas"})).unwrap();
    let documents = TickProbe { documents: true, ..nothing };
    expect(probing, documents, probe(s, head, now, &["deploy"]), "with a live document in the collection");
    s.delete_document(GROUPS, "weekly").unwrap();
    expect(probing, nothing, probe(s, head, now, &["deploy"]), "after its deletion");
}

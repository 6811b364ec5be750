//! The change feed through the engine: every commit is an entry (with its notifications), readers
//! page through it or watch it, named consumers resume where they stopped, engines on one store
//! follow each other (calendar and cache), durable subscribers and sinks are driven from it.

#[path = "support/storage.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use trainyard::access::Actor;
use trainyard::calendar::CalendarFilter;
use trainyard::feed::{FeedEntry, FeedFilter, Sink, SinkError};
use trainyard::notify::Notification;
use trainyard::release::{NewRelease, ReleaseStatus};
use trainyard::schedule::ManualClock;
use trainyard::{Engine, Timestamp};

const PROCESS: &str = r#"
id: gated
owners: [release-eng]
phases:
  - id: approve
    activities:
      - { id: signoff, kind: approval, approvers: [{ group: qa }] }
"#;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn rita() -> Actor {
    Actor::new("rita").with_roles(["account_release_manager"])
}

fn new(name: &str) -> NewRelease {
    NewRelease { name: name.into(), ..Default::default() }
}

fn engine_on(url: &str, clock: &ManualClock) -> Engine {
    let e = Engine::open_with(url, Arc::new(clock.clone())).unwrap();
    e.register_process(PROCESS).unwrap();
    e
}

fn all(e: &Engine, after: u64) -> Vec<FeedEntry> {
    e.changes(after, &FeedFilter::default(), 1000).unwrap().entries
}

#[test]
fn every_commit_is_an_entry_with_its_statuses_kinds_and_notifications() {
    let e = Engine::in_memory();
    e.register_process(PROCESS).unwrap();
    let r = e.create_release("gated", new("r"), &rita()).unwrap();
    e.activate(&r.id, &rita()).unwrap();
    let quinn = Actor::new("quinn").with_groups(["qa"]);
    e.approve(&r.id, "approve", "signoff", &quinn, Some("ok")).unwrap();
    let entries = all(&e, 0);
    assert_eq!(entries.len(), 3, "create, activate, approve: {entries:#?}");
    assert_eq!((entries[0].status_before, entries[0].status_after), (None, ReleaseStatus::Draft));
    assert_eq!(entries[0].kinds, ["created"]);
    assert_eq!(
        (entries[1].status_before, entries[1].status_after),
        (Some(ReleaseStatus::Draft), ReleaseStatus::OnHold)
    );
    assert_eq!(entries[1].seq_from, 2);
    assert!(entries[1].kinds.starts_with(&["activated".to_string(), "phase_started".to_string()]));
    let kinds = |e: &FeedEntry| e.notifications.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>();
    assert_eq!(kinds(&entries[1]), ["release_started", "phase_started", "approval_requested"]);
    assert_eq!(entries[1].notifications[2].recipients, ["group:qa"]);
    assert_eq!(entries[2].actor, "quinn");
    assert_eq!(entries[2].status_after, ReleaseStatus::Success);
    assert!(kinds(&entries[2]).contains(&"release_ended"));
    assert_eq!(entries[2].seq_to, e.get_release(&r.id).unwrap().seq);
    // Filters, paging and the head.
    let ended = FeedFilter { statuses: vec![ReleaseStatus::Success], ..Default::default() };
    assert_eq!(e.changes(0, &ended, 10).unwrap().entries, entries[2..].to_vec());
    let page = e.changes(0, &FeedFilter::default(), 2).unwrap();
    assert_eq!((page.entries.len(), page.next), (2, entries[1].cursor));
    assert_eq!(e.feed_head().unwrap(), entries[2].cursor);
    let bad = e.changes(0, &FeedFilter::default(), 0).unwrap_err();
    assert_eq!(bad.code(), "invalid_input");
    // Readers see only the scopes they may read.
    let outsider = Actor::new("olga").with_roles(["viewer:acme"]);
    assert!(e.changes_as(&outsider, 0, &FeedFilter::default(), 10).unwrap().entries.is_empty());
}

#[test]
fn two_engines_on_one_sqlite_file_watch_and_follow_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let clock = ManualClock::new(t("2025-04-07T09:00:00Z"));
    let a = engine_on(&url, &clock);
    let b = engine_on(&url, &clock);
    // B builds its calendar index first; A's later release must still show up on it.
    let (from, to) = (t("2025-04-01T00:00:00Z"), t("2025-05-01T00:00:00Z"));
    assert!(b.calendar(from, to, &CalendarFilter::default()).unwrap().is_empty());
    let head = b.feed_head().unwrap();
    let watcher = {
        let url = url.clone();
        let clock = clock.clone();
        std::thread::spawn(move || {
            let w = engine_on(&url, &clock);
            let mut watch = w.watch(head, FeedFilter::default());
            let mut got = Vec::new();
            while got.len() < 2 {
                match watch.next_timeout(Duration::from_secs(30)).unwrap() {
                    Some(e) => got.push((e.release, e.kinds)),
                    None => panic!("the watch saw {got:?} and then nothing"),
                }
            }
            got
        })
    };
    let r = a.create_release("gated", new("Week 15"), &rita()).unwrap();
    a.schedule(&r.id, &rita(), t("2025-04-10T09:00:00Z"), Some(t("2025-04-11T09:00:00Z")), true).unwrap();
    let got = watcher.join().unwrap();
    assert_eq!(got, [(r.id.clone(), vec!["created".into()]), (r.id.clone(), vec!["scheduled".into()])]);
    let entries = b.calendar(from, to, &CalendarFilter::default()).unwrap();
    assert_eq!(entries.iter().map(|e| e.release_id.as_str()).collect::<Vec<_>>(), [r.id.as_str()], "no refresh needed");
    // B's cached state of the release follows A's commits too.
    assert_eq!(b.get_release(&r.id).unwrap().status, ReleaseStatus::Scheduled);
    a.activate(&r.id, &rita()).unwrap();
    b.tick().unwrap();
    assert_eq!(b.get_release(&r.id).unwrap().status, ReleaseStatus::OnHold);
}

#[test]
fn named_consumers_resume_after_a_restart_and_see_unacknowledged_entries_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let clock = ManualClock::new(t("2025-04-07T09:00:00Z"));
    let e = engine_on(&url, &clock);
    for n in 0..3 {
        e.create_release("gated", new(&format!("r{n}")), &rita()).unwrap();
    }
    let page = e.consume("portal", &FeedFilter::default(), 2).unwrap();
    assert_eq!(page.entries.len(), 2);
    e.ack("portal", page.entries[0].cursor).unwrap();
    drop(e);
    let e = engine_on(&url, &clock);
    let again = e.consume("portal", &FeedFilter::default(), 10).unwrap();
    assert_eq!(again.entries.len(), 2, "the unacknowledged entry comes again, then the third");
    assert_eq!(again.entries[0], page.entries[1]);
    e.ack("portal", again.next).unwrap();
    e.ack("portal", page.entries[0].cursor).unwrap(); // a late acknowledgement moves nothing back
    assert!(e.consume("portal", &FeedFilter::default(), 10).unwrap().entries.is_empty());
    assert_eq!(e.consume("bad name!", &FeedFilter::default(), 1).unwrap_err().code(), "invalid_input");
}

/// A sink that records what it got and fails the first attempts.
struct Recorder {
    got: Arc<Mutex<Vec<u64>>>,
    failures_left: Mutex<u32>,
}

impl Sink for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn deliver(&self, entry: &FeedEntry) -> Result<(), SinkError> {
        let mut left = self.failures_left.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Err(SinkError { message: "not yet".into(), retryable: true });
        }
        self.got.lock().unwrap().push(entry.cursor);
        Ok(())
    }
}

#[test]
fn sinks_and_durable_subscribers_are_driven_from_the_feed_by_tick() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let clock = ManualClock::new(t("2025-04-07T09:00:00Z"));
    // The committing engine has no subscriber at all: another engine (process) delivers.
    let writer = engine_on(&url, &clock);
    let reader = engine_on(&url, &clock);
    let got = Arc::new(Mutex::new(Vec::new()));
    reader.add_sink(Recorder { got: got.clone(), failures_left: Mutex::new(2) }, Default::default()).unwrap();
    let heard: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let log = heard.clone();
    reader
        .subscribe_durable("mail", FeedFilter::default(), move |n: &Notification| {
            log.lock().unwrap().push(n.clone());
            Ok(())
        })
        .unwrap();
    let r = writer.create_release("gated", new("r"), &rita()).unwrap();
    writer.activate(&r.id, &rita()).unwrap();
    drop(writer); // it committed and is gone before anyone delivered anything
    reader.tick().unwrap();
    assert!(got.lock().unwrap().is_empty(), "the first attempt failed: retried after the backoff");
    clock.advance(chrono::Duration::seconds(1));
    reader.tick().unwrap();
    clock.advance(chrono::Duration::seconds(2));
    reader.run_until_idle(100).unwrap();
    assert_eq!(got.lock().unwrap().len(), 2, "both entries delivered, in order");
    let kinds: Vec<&str> = heard.lock().unwrap().iter().map(|n| n.kind.as_str()).collect::<Vec<_>>().leak().to_vec();
    assert_eq!(kinds, ["release_started", "phase_started", "approval_requested"]);
    assert_eq!(reader.consumer_cursor("mail").unwrap(), reader.feed_head().unwrap());
    assert!(reader.dead_letters("recorder").unwrap().is_empty());
}

#[cfg(feature = "postgres")]
#[test]
fn two_engines_on_postgres_see_each_others_commits_in_the_feed() {
    let Some(base) = support::postgres_url() else { return };
    let fresh = support::Fresh::new(&base, "feedengines");
    let clock = ManualClock::new(t("2025-04-07T09:00:00Z"));
    let a = engine_on(&fresh.url, &clock);
    let b = engine_on(&fresh.url, &clock);
    let head = b.feed_head().unwrap();
    let r = a.create_release("gated", new("r"), &rita()).unwrap();
    a.activate(&r.id, &rita()).unwrap();
    let mut watch = b.watch(head, FeedFilter { releases: vec![r.id.clone()], ..Default::default() });
    let first = watch.next_timeout(Duration::from_secs(30)).unwrap().expect("an entry");
    let second = watch.next_timeout(Duration::from_secs(30)).unwrap().expect("an entry");
    assert_eq!((first.seq_from, second.status_after), (1, ReleaseStatus::OnHold));
    assert!(first.cursor < second.cursor);
}

use super::*;
use crate::feed::source::MemoryFeedSource;
use crate::release::ReleaseStatus;
use crate::schedule::{Clock, ManualClock};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

fn start() -> Timestamp {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

fn entry(release: &str, seq: u64, status: ReleaseStatus) -> FeedEntry {
    let base = crate::store::fixtures::feed_entry(release, seq, seq);
    FeedEntry {
        kinds: vec!["created".into()],
        status_before: None,
        status_after: status,
        process_id: "deploy".into(),
        ..base
    }
}

fn retryable(message: &str) -> SinkError {
    SinkError { message: message.into(), retryable: true }
}

fn permanent(message: &str) -> SinkError {
    SinkError { message: message.into(), retryable: false }
}

/// A sink answering from a script (then `Ok`), recording every attempt's cursor.
#[derive(Default)]
struct Scripted {
    script: Mutex<VecDeque<Result<(), SinkError>>>,
    seen: Mutex<Vec<Cursor>>,
}

impl Scripted {
    fn new(script: impl IntoIterator<Item = Result<(), SinkError>>) -> Arc<Scripted> {
        Arc::new(Scripted { script: Mutex::new(script.into_iter().collect()), seen: Mutex::default() })
    }
    fn seen(&self) -> Vec<Cursor> {
        self.seen.lock().unwrap().clone()
    }
    fn then(&self, results: impl IntoIterator<Item = Result<(), SinkError>>) {
        self.script.lock().unwrap().extend(results);
    }
}

impl Sink for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn deliver(&self, entry: &FeedEntry) -> Result<(), SinkError> {
        self.seen.lock().unwrap().push(entry.cursor);
        self.script.lock().unwrap().pop_front().unwrap_or(Ok(()))
    }
}

/// A memory source whose next writes fail when told to.
struct Faulty {
    inner: MemoryFeedSource,
    failing_cursor_writes: AtomicUsize,
    failing_letter_writes: AtomicUsize,
}

impl Faulty {
    fn new(clock: &ManualClock) -> Faulty {
        Faulty {
            inner: MemoryFeedSource::new(Arc::new(clock.clone())),
            failing_cursor_writes: AtomicUsize::new(0),
            failing_letter_writes: AtomicUsize::new(0),
        }
    }
}

fn take_failure(counter: &AtomicUsize) -> crate::Result<()> {
    match counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)) {
        Ok(_) => Err(Error::Storage { message: "disk full".into() }),
        Err(_) => Ok(()),
    }
}

impl FeedSource for Faulty {
    fn page(&self, after: Cursor, filter: &FeedFilter, limit: usize) -> crate::Result<FeedPage> {
        self.inner.page(after, filter, limit)
    }
    fn consumer_cursor(&self, consumer: &str) -> crate::Result<Cursor> {
        self.inner.consumer_cursor(consumer)
    }
    fn set_consumer_cursor(&self, consumer: &str, cursor: Cursor) -> crate::Result<()> {
        take_failure(&self.failing_cursor_writes)?;
        self.inner.set_consumer_cursor(consumer, cursor)
    }
    fn put_dead_letter(&self, sink: &str, letter: &DeadLetter) -> crate::Result<()> {
        take_failure(&self.failing_letter_writes)?;
        self.inner.put_dead_letter(sink, letter)
    }
    fn dead_letters(&self, sink: &str) -> crate::Result<Vec<DeadLetter>> {
        self.inner.dead_letters(sink)
    }
    fn remove_dead_letter(&self, sink: &str, cursor: Cursor) -> crate::Result<()> {
        self.inner.remove_dead_letter(sink, cursor)
    }
    fn now(&self) -> Timestamp {
        self.inner.now()
    }
}

fn setup(entries: usize) -> (ManualClock, MemoryFeedSource) {
    let clock = ManualClock::new(start());
    let source = MemoryFeedSource::new(Arc::new(clock.clone()));
    for seq in 1..=entries as u64 {
        source.push(entry("r1", seq, ReleaseStatus::Running));
    }
    (clock, source)
}

fn runner(sink: &Arc<Scripted>, retry: RetryPolicy) -> SinkRunner {
    SinkRunner::new(sink.clone(), SinkOptions { retry, ..SinkOptions::default() }).unwrap()
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

#[test]
fn delivers_in_order_and_stores_the_cursor_past_the_deliveries() {
    let (_, source) = setup(3);
    let sink = Scripted::new([]);
    let report = runner(&sink, RetryPolicy::default()).run_once(&source).unwrap();
    assert_eq!((report.delivered, report.dead_lettered, report.cursor, report.caught_up), (3, 0, 3, true));
    assert_eq!(report.retry_at, None);
    assert_eq!(sink.seen(), [1, 2, 3]);
    assert_eq!(source.consumer_cursor("scripted").unwrap(), 3);
}

#[test]
fn a_run_delivers_one_batch_and_says_it_is_not_caught_up() {
    let (_, source) = setup(5);
    let sink = Scripted::new([]);
    let runner = SinkRunner::new(sink.clone(), SinkOptions { batch: 2, ..SinkOptions::default() }).unwrap();
    let first = runner.run_once(&source).unwrap();
    assert_eq!((first.delivered, first.cursor, first.caught_up), (2, 2, false));
    let reports: Vec<_> = (0..2).map(|_| runner.run_once(&source).unwrap()).collect();
    assert_eq!((reports[1].delivered, reports[1].cursor, reports[1].caught_up), (1, 5, true));
    assert_eq!(sink.seen(), [1, 2, 3, 4, 5]);
}

#[test]
fn a_new_entry_after_catching_up_is_delivered_by_the_next_run() {
    let (_, source) = setup(1);
    let sink = Scripted::new([]);
    let runner = runner(&sink, RetryPolicy::default());
    runner.run_once(&source).unwrap();
    let idle = runner.run_once(&source).unwrap();
    assert_eq!((idle.delivered, idle.cursor, idle.caught_up), (0, 1, true));
    source.push(entry("r2", 1, ReleaseStatus::Draft));
    assert_eq!(runner.run_once(&source).unwrap().delivered, 1);
    assert_eq!(sink.seen(), [1, 2]);
}

#[test]
fn the_filter_skips_entries_and_the_cursor_moves_past_them() {
    let (_, source) = setup(0);
    source.push(entry("r1", 1, ReleaseStatus::Running));
    source.push(entry("r2", 1, ReleaseStatus::Running));
    source.push(entry("r1", 2, ReleaseStatus::Success));
    source.push(entry("r2", 2, ReleaseStatus::Failed));
    let sink = Scripted::new([]);
    let filter = FeedFilter { releases: vec!["r1".into()], ..FeedFilter::default() };
    let runner = SinkRunner::new(sink.clone(), SinkOptions { filter, ..SinkOptions::default() }).unwrap();
    let report = runner.run_once(&source).unwrap();
    assert_eq!((report.delivered, report.cursor), (2, 4));
    assert_eq!(sink.seen(), [1, 3]);
}

#[test]
fn a_retryable_failure_waits_with_exponential_backoff_on_the_sources_clock() {
    let (clock, source) = setup(2);
    let sink = Scripted::new([Err(retryable("503")), Err(retryable("503")), Err(retryable("503"))]);
    let runner = runner(&sink, RetryPolicy::default());

    for wait in [1, 2, 4] {
        let report = runner.run_once(&source).unwrap();
        assert_eq!((report.delivered, report.cursor, report.caught_up), (0, 0, false));
        assert_eq!(report.retry_at, Some(clock.now() + secs(wait)));
        assert_eq!(report.last_error.as_deref(), Some("503"));
        assert_eq!(runner.retry_at(), report.retry_at);
        // Not due yet: nothing is attempted.
        clock.advance(secs(wait) - chrono::Duration::milliseconds(1));
        let early = runner.run_once(&source).unwrap();
        assert_eq!((early.delivered, early.retry_at), (0, report.retry_at));
        clock.advance(chrono::Duration::milliseconds(1));
    }
    assert_eq!(sink.seen(), [1, 1, 1], "one attempt per due time, none while waiting");
    let report = runner.run_once(&source).unwrap();
    assert_eq!((report.delivered, report.cursor, report.retry_at, report.caught_up), (2, 2, None, true));
    assert_eq!(sink.seen(), [1, 1, 1, 1, 2]);
    assert!(source.dead_letters("scripted").unwrap().is_empty());
    assert_eq!(runner.retry_at(), None);
}

#[test]
fn after_the_last_attempt_the_entry_is_dead_lettered_and_the_runner_moves_on() {
    let (clock, source) = setup(2);
    let sink = Scripted::new((0..3).map(|_| Err(retryable("connection refused"))));
    let retry =
        RetryPolicy { base: Duration::from_secs(10), factor: 3.0, cap: Duration::from_secs(20), max_attempts: 3 };
    let runner = runner(&sink, retry);
    let first = runner.run_once(&source).unwrap();
    assert_eq!(first.retry_at, Some(start() + secs(10)));
    clock.advance(secs(10));
    let second = runner.run_once(&source).unwrap();
    assert_eq!(second.retry_at, Some(start() + secs(30)), "10 × 3 = 30 s, capped at 20 s");
    clock.advance(secs(20));
    let third = runner.run_once(&source).unwrap();
    assert_eq!((third.delivered, third.dead_lettered, third.cursor, third.retry_at), (1, 1, 2, None));
    assert_eq!(sink.seen(), [1, 1, 1, 2]);
    let letters = source.dead_letters("scripted").unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!((letter.entry.cursor, letter.attempts, letter.permanent), (1, 3, false));
    assert_eq!(letter.sink, "scripted");
    assert_eq!(letter.error, "connection refused");
    assert_eq!((letter.first_failed_at, letter.last_failed_at), (start(), start() + secs(30)));
}

#[test]
fn a_permanent_failure_is_dead_lettered_at_once_and_the_release_keeps_going() {
    let (_, source) = setup(3);
    let sink = Scripted::new([Ok(()), Err(permanent("400 Bad Request"))]);
    let report = runner(&sink, RetryPolicy::default()).run_once(&source).unwrap();
    assert_eq!((report.delivered, report.dead_lettered, report.cursor, report.retry_at), (2, 1, 3, None));
    assert_eq!(sink.seen(), [1, 2, 3], "the release's later entry is delivered after the dead-lettered one");
    let letters = source.dead_letters("scripted").unwrap();
    assert_eq!(letters.iter().map(|l| (l.entry.cursor, l.attempts, l.permanent)).collect::<Vec<_>>(), [(2, 1, true)]);
}

#[test]
fn a_permanent_failure_during_the_retries_ends_them() {
    let (clock, source) = setup(1);
    let sink = Scripted::new([Err(retryable("503")), Err(permanent("410 Gone"))]);
    let runner = runner(&sink, RetryPolicy::default());
    runner.run_once(&source).unwrap();
    clock.advance(secs(1));
    let report = runner.run_once(&source).unwrap();
    assert_eq!((report.dead_lettered, report.cursor), (1, 1));
    let letter = &source.dead_letters("scripted").unwrap()[0];
    assert_eq!((letter.attempts, letter.permanent, letter.error.as_str()), (2, true, "410 Gone"));
    assert_eq!((letter.first_failed_at, letter.last_failed_at), (start(), start() + secs(1)));
}

#[test]
fn a_lost_cursor_write_redelivers_the_entries_at_least_once() {
    let clock = ManualClock::new(start());
    let source = Faulty::new(&clock);
    source.inner.push(entry("r1", 1, ReleaseStatus::Running));
    source.inner.push(entry("r1", 2, ReleaseStatus::Success));
    source.failing_cursor_writes.store(1, Ordering::SeqCst);
    let sink = Scripted::new([]);
    let runner = runner(&sink, RetryPolicy::default());
    let err = runner.run_once(&source).unwrap_err();
    assert_eq!(err.code(), "storage");
    assert_eq!(source.consumer_cursor("scripted").unwrap(), 0);
    let report = runner.run_once(&source).unwrap();
    assert_eq!((report.delivered, report.cursor), (2, 2));
    assert_eq!(sink.seen(), [1, 2, 1, 2], "delivered again, never skipped");
}

#[test]
fn a_cursor_write_after_partial_progress_keeps_the_delivered_part() {
    let (_, source) = setup(3);
    let sink = Scripted::new([Ok(()), Err(retryable("503"))]);
    let report = runner(&sink, RetryPolicy::default()).run_once(&source).unwrap();
    assert_eq!((report.delivered, report.cursor), (1, 1));
    assert_eq!(source.consumer_cursor("scripted").unwrap(), 1, "stored past the delivered entry only");
}

#[test]
fn a_lost_dead_letter_write_tries_the_entry_again_and_then_lists_it_once() {
    let clock = ManualClock::new(start());
    let source = Faulty::new(&clock);
    source.inner.push(entry("r1", 1, ReleaseStatus::Running));
    source.failing_letter_writes.store(1, Ordering::SeqCst);
    let sink = Scripted::new([Err(permanent("400")), Err(permanent("400"))]);
    let runner = runner(&sink, RetryPolicy::default());
    assert_eq!(runner.run_once(&source).unwrap_err().code(), "storage");
    assert_eq!(source.consumer_cursor("scripted").unwrap(), 0, "not moved past an entry that is nowhere");
    let report = runner.run_once(&source).unwrap();
    assert_eq!((report.dead_lettered, report.cursor), (1, 1));
    let letters = source.dead_letters("scripted").unwrap();
    assert_eq!(letters.iter().map(|l| (l.entry.cursor, l.attempts)).collect::<Vec<_>>(), [(1, 2)]);
}

#[test]
fn a_waiting_retry_is_forgotten_when_its_entry_is_no_longer_next() {
    let (clock, source) = setup(2);
    let sink = Scripted::new([Err(retryable("503"))]);
    let runner = runner(&sink, RetryPolicy::default());
    runner.run_once(&source).unwrap();
    // Someone moved the consumer past the waiting entry (an operator skipping it).
    source.set_consumer_cursor("scripted", 1).unwrap();
    clock.advance(secs(1));
    let report = runner.run_once(&source).unwrap();
    assert_eq!((report.delivered, report.cursor), (1, 2));
    assert_eq!(sink.seen(), [1, 2]);
    assert_eq!(runner.retry_at(), None);
}

#[test]
fn replay_delivers_the_dead_letters_and_removes_them() {
    let (_, source) = setup(3);
    let sink = Scripted::new([Err(permanent("400")), Ok(()), Err(permanent("400"))]);
    let runner = runner(&sink, RetryPolicy::default());
    runner.run_once(&source).unwrap();
    assert_eq!(source.dead_letters("scripted").unwrap().len(), 2);
    let report = runner.replay_dead_letters(&source).unwrap();
    assert_eq!(report, ReplayReport { delivered: 2, failed: 0, remaining: 0 });
    assert_eq!(sink.seen(), [1, 2, 3, 1, 3]);
    assert!(source.dead_letters("scripted").unwrap().is_empty());
    assert_eq!(runner.replay_dead_letters(&source).unwrap(), ReplayReport::default());
}

#[test]
fn replay_keeps_a_letter_that_fails_again_and_stops_at_a_retryable_failure() {
    let (clock, source) = setup(3);
    let sink = Scripted::new((0..3).map(|_| Err(permanent("400"))));
    let runner = runner(&sink, RetryPolicy::default());
    runner.run_once(&source).unwrap();
    clock.advance(secs(60));
    sink.then([Err(permanent("404")), Err(retryable("503"))]);
    let report = runner.replay_dead_letters(&source).unwrap();
    assert_eq!(report, ReplayReport { delivered: 0, failed: 2, remaining: 3 });
    assert_eq!(sink.seen(), [1, 2, 3, 1, 2], "the third letter is not tried after a retryable failure");
    let letters = source.dead_letters("scripted").unwrap();
    let summary: Vec<_> = letters.iter().map(|l| (l.entry.cursor, l.attempts, l.permanent, l.error.as_str())).collect();
    assert_eq!(summary, [(1, 2, true, "404"), (2, 2, false, "503"), (3, 1, true, "400")]);
    assert_eq!(letters[0].last_failed_at, start() + secs(60));
    assert_eq!(letters[0].first_failed_at, start());
}

#[test]
fn replay_of_one_letter_by_cursor() {
    let (_, source) = setup(2);
    let sink = Scripted::new([Err(permanent("400")), Err(permanent("400"))]);
    let runner = runner(&sink, RetryPolicy::default());
    runner.run_once(&source).unwrap();
    assert!(runner.replay_dead_letter(&source, 2).unwrap());
    assert_eq!(source.dead_letters("scripted").unwrap().iter().map(|l| l.entry.cursor).collect::<Vec<_>>(), [1]);
    let err = runner.replay_dead_letter(&source, 7).unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert!(err.to_string().contains("dead letters at cursors 1"), "{err}");
    sink.then([Err(permanent("400"))]);
    assert!(!runner.replay_dead_letter(&source, 1).unwrap());
    assert_eq!(source.dead_letters("scripted").unwrap()[0].attempts, 2);
}

#[test]
fn backoff_grows_by_the_factor_up_to_the_cap() {
    let policy = RetryPolicy::default();
    let waits: Vec<u64> = (1..=10).map(|n| policy.delay_after(n).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
    assert_eq!(policy.delay_after(u32::MAX), Duration::from_secs(300));
    let half = RetryPolicy { base: Duration::from_millis(500), factor: 1.5, ..RetryPolicy::default() };
    assert_eq!(half.delay_after(3), Duration::from_millis(1125));
    let zero = RetryPolicy { base: Duration::ZERO, ..RetryPolicy::default() };
    assert_eq!(zero.delay_after(5), Duration::ZERO);
}

#[test]
fn bad_options_list_every_problem() {
    struct Unnamed;
    impl Sink for Unnamed {
        fn name(&self) -> &str {
            " "
        }
        fn deliver(&self, _: &FeedEntry) -> Result<(), SinkError> {
            Ok(())
        }
    }
    let options = SinkOptions {
        batch: 0,
        retry: RetryPolicy {
            base: Duration::from_secs(10),
            factor: f64::NAN,
            cap: Duration::from_secs(1),
            max_attempts: 0,
        },
        ..SinkOptions::default()
    };
    let err = SinkRunner::new(Arc::new(Unnamed), options).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let found: Vec<_> = err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert_eq!(
        found,
        [
            ("name", "bad_name"),
            ("batch", "invalid_value"),
            ("retry.factor", "bad_retry"),
            ("retry.cap", "bad_retry"),
            ("retry.max_attempts", "bad_retry")
        ]
    );
    let too_big = SinkOptions { batch: MAX_BATCH + 1, ..SinkOptions::default() };
    let err = SinkRunner::new(Scripted::new([]), too_big).unwrap_err();
    assert!(err.to_string().contains("use 1 to 10000"), "{err}");
    assert_eq!(sink_name_problems("name", "")[0].code, "empty");
    assert_eq!(sink_name_problems("name", &"a".repeat(65))[0].code, "bad_name");
    assert!(sink_name_problems("name", "hooks-prod_1.eu").is_empty());
    let huge_cap = RetryPolicy { cap: Duration::from_secs(u64::MAX), ..RetryPolicy::default() };
    let err =
        SinkRunner::new(Scripted::new([]), SinkOptions { retry: huge_cap, ..SinkOptions::default() }).unwrap_err();
    assert_eq!(err.problems()[0].path, "retry.cap");
}

#[test]
fn dead_letters_round_trip_through_json() {
    let letter = DeadLetter {
        entry: entry("r1", 1, ReleaseStatus::Running),
        sink: "hooks".into(),
        error: "503".into(),
        permanent: false,
        attempts: 10,
        first_failed_at: start(),
        last_failed_at: start() + secs(511),
    };
    let json = serde_json::to_value(&letter).unwrap();
    assert_eq!(json["first_failed_at"], "2025-04-07T09:00:00Z");
    assert_eq!(json["attempts"], 10);
    assert_eq!(serde_json::from_value::<DeadLetter>(json).unwrap(), letter);
}

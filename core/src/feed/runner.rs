//! [`SinkRunner`]: drives one [`Sink`] from a [`FeedSource`], with retries and dead letters.
//!
//! The runner is a consumer named after its sink ([`Sink::name`]). Each
//! [`run_once`](SinkRunner::run_once) reads one page (at most [`SinkOptions::batch`] entries that
//! pass [`SinkOptions::filter`]) after the consumer's stored cursor, delivers the entries one at a
//! time in cursor order, stores the cursor past what it delivered, and returns. It never sleeps:
//! when a delivery fails and may succeed later it notes when the next attempt is due
//! ([`RunReport::retry_at`], on the source's clock) and returns; a call before that time does
//! nothing. The engine's `tick()` calls `run_once` for every sink.
//!
//! # Guarantees
//! * **At least once.** The cursor is stored after the deliveries, never before: a crash between a
//!   delivery and the cursor write delivers the entry again. Sinks make that harmless: the webhook
//!   sends the same `X-Trainyard-Delivery` id every time, NATS de-duplicates on `Nats-Msg-Id`.
//! * **In order.** Entries are delivered in cursor order, so the entries of one release arrive in
//!   `seq` order. While an entry waits for its retry, nothing after it is delivered (a failing
//!   receiver holds the whole feed back, not only the failing release).
//! * **Dead letters instead of a stuck feed.** After the last attempt ([`RetryPolicy::max_attempts`])
//!   or at once on a permanent failure ([`SinkError::retryable`] false), the entry goes to the
//!   sink's dead-letter list ([`DeadLetter`]) and the runner moves on. **A release whose entry was
//!   dead-lettered keeps going**: its later entries are delivered, with a gap. A receiver sees the
//!   gap (an entry's `seq_from` is not the previous entry's `seq_to + 1`), and since every entry
//!   carries the release's `status_after`, a receiver that shows the current state is right again
//!   with the next entry. [`replay_dead_letters`](SinkRunner::replay_dead_letters) delivers the
//!   missing entries later, out of order: a receiver drops an entry whose `seq_to` is not above
//!   what it already has for that release. (Holding a release's later entries back instead would
//!   freeze that release in every portal until someone replays.)
//!
//! # Retries
//! After the `n`th failed attempt of an entry the next one is due
//! `min(cap, base × factor^(n−1))` later: by default ([`RetryPolicy::default`]) 1 s, 2 s, 4 s, … up
//! to 256 s, and the 10th failure dead-letters the entry about 8½ minutes after the first. There is
//! no jitter (one runner delivers a sink's entries). The attempt count lives in the runner: a
//! restarted engine starts the entry's attempts again from the first.
//!
//! One runner per sink name and store: two engines running the same sink deliver every entry
//! twice.

use super::source::{DeadLetter, FeedSource};
use super::{Cursor, FeedEntry, FeedFilter, FeedPage, Sink, SinkError};
use crate::validate::codes;
use crate::{Error, Problem, Timestamp};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The largest [`SinkOptions::batch`].
pub const MAX_BATCH: usize = 10_000;

/// The largest [`RetryPolicy::max_attempts`].
pub const MAX_ATTEMPTS: u32 = 1_000;

/// The longest sink name (see [`sink_name_problems`]).
pub const MAX_SINK_NAME: usize = 64;

/// What is wrong with the named timeouts of a sink's config: each must be 1 ms to `max`.
pub(crate) fn timeout_problems<const N: usize>(
    timeouts: [(&'static str, Duration); N],
    max: Duration,
) -> impl Iterator<Item = Problem> {
    timeouts.into_iter().filter(move |(_, value)| *value < Duration::from_millis(1) || *value > max).map(
        move |(path, value)| {
            Problem::new(
                path,
                codes::INVALID_VALUE,
                format!("a {path} of {value:?} is not allowed; use 1 ms to {}s", max.as_secs()),
            )
        },
    )
}

/// What is wrong with a sink name: it must be 1 to [`MAX_SINK_NAME`] ASCII letters, digits, `-`,
/// `_` or `.` (it names the sink's consumer, its dead-letter list and its delivery ids).
pub fn sink_name_problems(path: &str, name: &str) -> Vec<Problem> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() {
        vec![Problem::new(path, codes::EMPTY, "a sink needs a name (its consumer name in the store), e.g. `hooks`")]
    } else if name.len() > MAX_SINK_NAME || !name.chars().all(allowed) {
        vec![Problem::new(
            path,
            codes::BAD_NAME,
            format!(
                "sink name `{}` is not allowed; use 1 to {MAX_SINK_NAME} ASCII letters, digits, `-`, `_` or `.`",
                name.chars().take(MAX_SINK_NAME + 8).collect::<String>()
            ),
        )]
    } else {
        Vec::new()
    }
}

/// How a failed delivery is retried (see the [module docs](self#retries)).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The wait after the first failure (default 1 s; zero retries at the next `run_once`).
    pub base: Duration,
    /// How much longer each next wait is (default 2; at least 1, finite).
    pub factor: f64,
    /// The longest wait (default 300 s; at least `base`).
    pub cap: Duration,
    /// Attempts per entry, the first included, before it is dead-lettered (default 10; 1 to
    /// [`MAX_ATTEMPTS`]; 1 means no retry).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { base: Duration::from_secs(1), factor: 2.0, cap: Duration::from_secs(300), max_attempts: 10 }
    }
}

impl RetryPolicy {
    /// The wait after the `failures`th failed attempt: `min(cap, base × factor^(failures−1))`.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let exponent = i32::try_from(failures.saturating_sub(1)).unwrap_or(i32::MAX);
        let seconds = self.base.as_secs_f64() * self.factor.powi(exponent);
        if seconds.is_finite() && seconds < self.cap.as_secs_f64() {
            Duration::try_from_secs_f64(seconds).unwrap_or(self.cap)
        } else {
            self.cap
        }
    }

    fn problems(&self, path: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            problems.push(Problem::new(
                format!("{path}.factor"),
                codes::BAD_RETRY,
                format!("backoff factor {} is not allowed; use a finite number of at least 1 (e.g. 2)", self.factor),
            ));
        }
        if self.cap < self.base {
            problems.push(Problem::new(
                format!("{path}.cap"),
                codes::BAD_RETRY,
                format!(
                    "the longest wait ({:?}) is shorter than the first one ({:?}); use a cap of at least the base",
                    self.cap, self.base
                ),
            ));
        }
        if chrono::Duration::from_std(self.cap).is_err() {
            problems.push(Problem::new(
                format!("{path}.cap"),
                codes::BAD_RETRY,
                format!("the longest wait ({:?}) is too long; use at most a few years", self.cap),
            ));
        }
        if !(1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
            problems.push(Problem::new(
                format!("{path}.max_attempts"),
                codes::BAD_RETRY,
                format!("{} attempts is not allowed; use 1 to {MAX_ATTEMPTS} (1: no retry)", self.max_attempts),
            ));
        }
        problems
    }
}

/// How a [`SinkRunner`] reads the feed and retries.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkOptions {
    /// Which entries the sink gets (default: all).
    pub filter: FeedFilter,
    /// How failed deliveries are retried.
    pub retry: RetryPolicy,
    /// The most entries one [`SinkRunner::run_once`] delivers (default 100; 1 to [`MAX_BATCH`]).
    pub batch: usize,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions { filter: FeedFilter::default(), retry: RetryPolicy::default(), batch: 100 }
    }
}

/// What one [`SinkRunner::run_once`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The sink's name.
    pub sink: String,
    /// Entries delivered.
    pub delivered: usize,
    /// Entries moved to the dead-letter list.
    pub dead_lettered: usize,
    /// The consumer's stored cursor after the run.
    pub cursor: Cursor,
    /// When an entry waits for a retry: when its next attempt is due (call `run_once` then).
    pub retry_at: Option<Timestamp>,
    /// The error that the waiting entry's last attempt failed with.
    pub last_error: Option<String>,
    /// Whether the runner has seen every entry there was (`false` when it waits for a retry or
    /// read a full batch: call again).
    pub caught_up: bool,
}

/// What a replay of dead letters did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayReport {
    /// Dead letters delivered (and removed from the list).
    pub delivered: usize,
    /// Dead letters whose delivery failed again (kept, with the new error and attempt count).
    pub failed: usize,
    /// Dead letters still on the list.
    pub remaining: usize,
}

/// An entry that failed and waits for its next attempt.
#[derive(Debug, Clone)]
struct PendingRetry {
    cursor: Cursor,
    failures: u32,
    first_failed_at: Timestamp,
    retry_at: Timestamp,
    error: SinkError,
}

enum Attempt {
    Delivered,
    DeadLettered,
    RetryAt(Timestamp),
}

/// Drives one [`Sink`] from a [`FeedSource`] (see the [module docs](self)).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use trainyard::feed::{FeedEntry, Sink, SinkError};
/// use trainyard::feed::runner::{SinkOptions, SinkRunner};
/// use trainyard::feed::source::{FeedSource, MemoryFeedSource};
/// use trainyard::release::{ReleaseKind, ReleaseStatus};
/// use trainyard::schedule::{Clock, ManualClock};
///
/// /// Refuses the first entry once, then takes everything.
/// #[derive(Default)]
/// struct Flaky { seen: Mutex<Vec<u64>> }
/// impl Sink for Flaky {
///     fn name(&self) -> &str { "flaky" }
///     fn deliver(&self, entry: &FeedEntry) -> Result<(), SinkError> {
///         let mut seen = self.seen.lock().unwrap();
///         seen.push(entry.cursor);
///         if seen.len() == 1 { return Err(SinkError { message: "busy".into(), retryable: true }); }
///         Ok(())
///     }
/// }
///
/// let clock = ManualClock::new("2025-04-07T09:00:00Z".parse().unwrap());
/// let source = MemoryFeedSource::new(Arc::new(clock.clone()));
/// for seq in 1..=2 {
///     source.push(FeedEntry {
///         cursor: 0, release: "r1".into(), seq_from: seq, seq_to: seq, kinds: vec!["created".into()],
///         status_before: None, status_after: ReleaseStatus::Draft, deleted: false, at: clock.now(),
///         actor: "rita".into(), scope: "account".into(), process_id: "deploy".into(),
///         release_kind: ReleaseKind::Standard, group: None, notifications: vec![], origin: String::new(),
///     });
/// }
/// let sink = Arc::new(Flaky::default());
/// let runner = SinkRunner::new(sink.clone(), SinkOptions::default()).unwrap();
/// let first = runner.run_once(&source).unwrap();
/// assert_eq!((first.delivered, first.cursor), (0, 0));
/// assert_eq!(first.retry_at, Some(clock.now() + chrono::Duration::seconds(1)));
/// assert_eq!(runner.run_once(&source).unwrap().delivered, 0); // not due yet: nothing is sent
/// clock.advance(chrono::Duration::seconds(1));
/// let second = runner.run_once(&source).unwrap();
/// assert_eq!((second.delivered, second.cursor, second.caught_up), (2, 2, true));
/// assert_eq!(*sink.seen.lock().unwrap(), [1, 1, 2]);
/// assert_eq!(source.consumer_cursor("flaky").unwrap(), 2);
/// ```
pub struct SinkRunner {
    sink: Arc<dyn Sink>,
    options: SinkOptions,
    pending: Mutex<Option<PendingRetry>>,
}

impl std::fmt::Debug for SinkRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkRunner")
            .field("sink", &self.sink.name())
            .field("options", &self.options)
            .field("pending", &*self.lock())
            .finish()
    }
}

impl SinkRunner {
    /// A runner for `sink`; `invalid_input` (listing every problem) for a bad sink name
    /// ([`sink_name_problems`]), a batch outside 1..=[`MAX_BATCH`] or a bad [`RetryPolicy`].
    pub fn new(sink: Arc<dyn Sink>, options: SinkOptions) -> crate::Result<SinkRunner> {
        let mut problems = sink_name_problems("name", sink.name());
        if !(1..=MAX_BATCH).contains(&options.batch) {
            problems.push(Problem::new(
                "batch",
                codes::INVALID_VALUE,
                format!("a batch of {} entries is not allowed; use 1 to {MAX_BATCH}", options.batch),
            ));
        }
        problems.extend(options.retry.problems("retry"));
        Error::invalid_input_or(problems, ())?;
        Ok(SinkRunner { sink, options, pending: Mutex::new(None) })
    }

    /// The sink's name (its consumer name and dead-letter list).
    pub fn name(&self) -> &str {
        self.sink.name()
    }

    /// The sink.
    pub fn sink(&self) -> &Arc<dyn Sink> {
        &self.sink
    }

    /// The options.
    pub fn options(&self) -> &SinkOptions {
        &self.options
    }

    /// When the entry waiting for a retry is due, if one waits.
    pub fn retry_at(&self) -> Option<Timestamp> {
        self.lock().as_ref().map(|p| p.retry_at)
    }

    /// Delivers what is due now: one page after the consumer's cursor, stopping at an entry that
    /// waits for a retry. Returns at once (doing nothing) while a retry is not due yet. An error
    /// is the source's (storage); the cursor stays where the last stored delivery left it.
    pub fn run_once(&self, source: &dyn FeedSource) -> crate::Result<RunReport> {
        let mut pending = self.lock();
        if let Some(waiting) = pending.as_ref().filter(|p| p.retry_at > source.now()) {
            return Ok(RunReport {
                sink: self.name().to_string(),
                delivered: 0,
                dead_lettered: 0,
                cursor: source.consumer_cursor(self.name())?,
                retry_at: Some(waiting.retry_at),
                last_error: Some(waiting.error.message.clone()),
                caught_up: false,
            });
        }
        let start = source.consumer_cursor(self.name())?;
        let page = source.page(start, &self.options.filter, self.options.batch)?;
        if pending.as_ref().is_some_and(|p| page.entries.first().map(|e| e.cursor) != Some(p.cursor)) {
            // The waiting entry is no longer next (the cursor moved, or the filter changed).
            *pending = None;
        }
        let mut report = RunReport {
            sink: self.name().to_string(),
            delivered: 0,
            dead_lettered: 0,
            cursor: start,
            retry_at: None,
            last_error: None,
            caught_up: false,
        };
        let outcome = self.deliver_page(source, &page, &mut pending, &mut report);
        if matches!(outcome, Ok(None)) {
            // Everything on the page is done: move past the entries the filter skipped too.
            report.cursor = report.cursor.max(page.next);
            report.caught_up = page.entries.len() < self.options.batch;
        }
        let stored =
            if report.cursor != start { source.set_consumer_cursor(self.name(), report.cursor) } else { Ok(()) };
        report.retry_at = outcome?;
        stored?;
        report.last_error = pending.as_ref().filter(|_| report.retry_at.is_some()).map(|p| p.error.message.clone());
        Ok(report)
    }

    /// Delivers the page's entries in order; `Some(time)` when one waits for a retry due then.
    fn deliver_page(
        &self,
        source: &dyn FeedSource,
        page: &FeedPage,
        pending: &mut Option<PendingRetry>,
        report: &mut RunReport,
    ) -> crate::Result<Option<Timestamp>> {
        for entry in &page.entries {
            match self.attempt(source, entry, pending)? {
                Attempt::Delivered => report.delivered += 1,
                Attempt::DeadLettered => report.dead_lettered += 1,
                Attempt::RetryAt(at) => return Ok(Some(at)),
            }
            report.cursor = entry.cursor;
        }
        Ok(None)
    }

    /// One delivery attempt of `entry`, continuing the count of a retry waiting for it.
    fn attempt(
        &self,
        source: &dyn FeedSource,
        entry: &FeedEntry,
        pending: &mut Option<PendingRetry>,
    ) -> crate::Result<Attempt> {
        let previous = pending.take().filter(|p| p.cursor == entry.cursor);
        let error = match self.sink.deliver(entry) {
            Ok(()) => return Ok(Attempt::Delivered),
            Err(error) => error,
        };
        let now = source.now();
        let failures = previous.as_ref().map_or(1, |p| p.failures.saturating_add(1));
        let first_failed_at = previous.as_ref().map_or(now, |p| p.first_failed_at);
        let retry = &self.options.retry;
        if error.retryable && failures < retry.max_attempts {
            let delay = chrono::Duration::from_std(retry.delay_after(failures)).unwrap_or(chrono::Duration::MAX);
            let retry_at = now.checked_add_signed(delay).unwrap_or(now);
            tracing::warn!(sink = self.name(), cursor = entry.cursor, attempt = failures, %retry_at, error = %error, "feed delivery failed; will retry");
            *pending = Some(PendingRetry { cursor: entry.cursor, failures, first_failed_at, retry_at, error });
            return Ok(Attempt::RetryAt(retry_at));
        }
        tracing::warn!(sink = self.name(), cursor = entry.cursor, attempt = failures, error = %error, permanent = !error.retryable, "feed delivery failed; dead-lettered");
        let letter = DeadLetter {
            entry: entry.clone(),
            sink: self.name().to_string(),
            error: error.message.clone(),
            permanent: !error.retryable,
            attempts: failures,
            first_failed_at,
            last_failed_at: now,
        };
        // Until the letter is stored, the entry still waits (due now) with its count.
        *pending = Some(PendingRetry { cursor: entry.cursor, failures, first_failed_at, retry_at: now, error });
        source.put_dead_letter(self.name(), &letter)?;
        *pending = None;
        Ok(Attempt::DeadLettered)
    }

    /// Delivers every dead letter of the sink once, in cursor order, removing each one delivered.
    /// A letter that fails again stays (with the new error, `attempts + 1` and `last_failed_at`);
    /// a retryable failure stops the replay (the receiver is likely down), a permanent one goes on
    /// with the next letter. Replayed entries arrive after later ones (see the
    /// [ordering rule](self#guarantees)).
    pub fn replay_dead_letters(&self, source: &dyn FeedSource) -> crate::Result<ReplayReport> {
        let _serialized = self.lock();
        let letters = source.dead_letters(self.name())?;
        let mut report = ReplayReport { remaining: letters.len(), ..ReplayReport::default() };
        for letter in letters {
            match self.replay(source, letter)? {
                Ok(()) => {
                    report.delivered += 1;
                    report.remaining -= 1;
                }
                Err(error) => {
                    report.failed += 1;
                    if error.retryable {
                        break;
                    }
                }
            }
        }
        Ok(report)
    }

    /// Delivers the dead letter for the entry at `cursor` once; `Ok(true)` when delivered (and
    /// removed), `Ok(false)` when it failed again (kept, updated); `not_found` when the sink has
    /// no dead letter for that cursor.
    pub fn replay_dead_letter(&self, source: &dyn FeedSource, cursor: Cursor) -> crate::Result<bool> {
        let _serialized = self.lock();
        let letters = source.dead_letters(self.name())?;
        let Some(letter) = letters.iter().find(|l| l.entry.cursor == cursor).cloned() else {
            let listed: Vec<String> = letters.iter().map(|l| l.entry.cursor.to_string()).collect();
            return Err(Error::NotFound {
                kind: "dead_letter".into(),
                id: format!("{}@{cursor}", self.name()),
                hint: Some(if listed.is_empty() {
                    format!("sink `{}` has no dead letters", self.name())
                } else {
                    format!("sink `{}` has dead letters at cursors {}", self.name(), listed.join(", "))
                }),
            });
        };
        Ok(self.replay(source, letter)?.is_ok())
    }

    /// One replay attempt; the inner result is the delivery's.
    fn replay(&self, source: &dyn FeedSource, mut letter: DeadLetter) -> crate::Result<Result<(), SinkError>> {
        match self.sink.deliver(&letter.entry) {
            Ok(()) => {
                source.remove_dead_letter(self.name(), letter.entry.cursor)?;
                Ok(Ok(()))
            }
            Err(error) => {
                letter.attempts = letter.attempts.saturating_add(1);
                letter.last_failed_at = source.now();
                letter.error = error.message.clone();
                letter.permanent = !error.retryable;
                source.put_dead_letter(self.name(), &letter)?;
                Ok(Err(error))
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<PendingRetry>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;

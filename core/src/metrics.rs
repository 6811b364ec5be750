//! Metrics: counters and histograms the engine records where things happen, kept per engine (for
//! [`crate::Engine::metrics`]) and sent through the [`metrics`] facade (for whatever recorder the
//! application installs; without one the facade costs a relaxed atomic load).
//!
//! | name | kind | recorded |
//! |---|---|---|
//! | `trainyard_commands_total` | counter | a command (or timer) committed |
//! | `trainyard_command_latency_seconds` | histogram | from the start of a command to its commit, retries included |
//! | `trainyard_conflicts_retried_total` | counter | a command decided again after a `conflict` |
//! | `trainyard_timers_fired_total` | counter | a due timer fired by `tick` |
//! | `trainyard_timer_lag_seconds` | histogram | how late a timer fired (fire time − due time) |
//! | `trainyard_jobs_claimed_total` | counter | a job handed to an in-process executor or a worker |
//! | `trainyard_lease_expiries_total` | counter | a job handed out again because its lease expired |
//! | `trainyard_feed_lag_seconds` | histogram | from a change-feed entry's commit to this engine following it |
//! | `trainyard_notification_lag_seconds` | histogram | from a notification's time to its delivery to the subscribers |
//! | `trainyard_queue_depth{executor}` | gauge | jobs in the store per executor, sampled by `Engine::metrics` |
//!
//! Recording is a few relaxed atomic additions: no lock, no allocation.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The upper bounds (seconds) of the histogram buckets; the last bucket is `+Inf`.
pub const BUCKETS: [f64; 14] =
    [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0, 3600.0];

/// A histogram of durations with fixed buckets ([`BUCKETS`]).
#[derive(Debug, Default)]
pub(crate) struct Histogram {
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    fn record(&self, seconds: f64) {
        let seconds = if seconds.is_finite() { seconds.max(0.0) } else { 0.0 };
        let i = BUCKETS.iter().position(|&b| seconds <= b).unwrap_or(BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(BUCKETS.len());
        for (i, le) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            buckets.push(Bucket { le: *le, count: cumulative });
        }
        let count = cumulative + self.counts[BUCKETS.len()].load(Ordering::Relaxed);
        HistogramSnapshot { count, sum_seconds: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6, buckets }
    }
}

/// One cumulative bucket of a histogram: how many observations were at most `le` seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Upper bound, seconds.
    pub le: f64,
    /// Observations at most `le` (cumulative).
    pub count: u64,
}

/// A histogram at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramSnapshot {
    /// How many observations.
    pub count: u64,
    /// Their sum, seconds.
    pub sum_seconds: f64,
    /// Cumulative buckets ([`BUCKETS`]; the `+Inf` bucket is `count`).
    pub buckets: Vec<Bucket>,
}

/// The engine's metrics at one moment ([`crate::Engine::metrics`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsSnapshot {
    /// Commands (and timers) committed.
    pub commands: u64,
    /// Commands decided again after a `conflict`.
    pub conflicts_retried: u64,
    /// Timers fired by `tick`.
    pub timers_fired: u64,
    /// Jobs handed out (in-process executors and external workers).
    pub jobs_claimed: u64,
    /// Jobs handed out again after their lease expired.
    pub lease_expiries: u64,
    /// Command latency (start to commit).
    pub command_latency: HistogramSnapshot,
    /// Timer lag (fired − due).
    pub timer_lag: HistogramSnapshot,
    /// Feed lag (followed − committed).
    pub feed_lag: HistogramSnapshot,
    /// Notification lag (delivered − notification time).
    pub notification_lag: HistogramSnapshot,
    /// Jobs in the store per executor (queued or leased), sampled when the snapshot was taken.
    pub queue_depth: BTreeMap<String, u64>,
}

/// The per-engine recorder.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    commands: AtomicU64,
    conflicts_retried: AtomicU64,
    timers_fired: AtomicU64,
    jobs_claimed: AtomicU64,
    lease_expiries: AtomicU64,
    command_latency: Histogram,
    timer_lag: Histogram,
    feed_lag: Histogram,
    notification_lag: Histogram,
}

impl Metrics {
    /// A command committed after `seconds`.
    pub(crate) fn command(&self, seconds: f64) {
        self.commands.fetch_add(1, Ordering::Relaxed);
        self.command_latency.record(seconds);
        metrics::counter!("trainyard_commands_total").increment(1);
        metrics::histogram!("trainyard_command_latency_seconds").record(seconds);
    }

    /// A command decided again after a conflict.
    pub(crate) fn conflict_retried(&self) {
        self.conflicts_retried.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("trainyard_conflicts_retried_total").increment(1);
    }

    /// A timer fired `lag` seconds after it was due.
    pub(crate) fn timer_fired(&self, lag: f64) {
        self.timers_fired.fetch_add(1, Ordering::Relaxed);
        self.timer_lag.record(lag);
        metrics::counter!("trainyard_timers_fired_total").increment(1);
        metrics::histogram!("trainyard_timer_lag_seconds").record(lag);
    }

    /// A job was handed out for the `deliveries`-th time.
    pub(crate) fn job_claimed(&self, deliveries: u32) {
        self.jobs_claimed.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("trainyard_jobs_claimed_total").increment(1);
        if deliveries > 1 {
            self.lease_expiries.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("trainyard_lease_expiries_total").increment(1);
        }
    }

    /// A feed entry was followed `lag` seconds after its commit.
    pub(crate) fn feed_followed(&self, lag: f64) {
        self.feed_lag.record(lag);
        metrics::histogram!("trainyard_feed_lag_seconds").record(lag);
    }

    /// A notification reached the subscribers `lag` seconds after its time.
    pub(crate) fn notified(&self, lag: f64) {
        self.notification_lag.record(lag);
        metrics::histogram!("trainyard_notification_lag_seconds").record(lag);
    }

    /// The counters and histograms now, with the queue depths given.
    pub(crate) fn snapshot(&self, queue_depth: BTreeMap<String, u64>) -> MetricsSnapshot {
        for (executor, depth) in &queue_depth {
            metrics::gauge!("trainyard_queue_depth", "executor" => executor.clone()).set(*depth as f64);
        }
        MetricsSnapshot {
            commands: self.commands.load(Ordering::Relaxed),
            conflicts_retried: self.conflicts_retried.load(Ordering::Relaxed),
            timers_fired: self.timers_fired.load(Ordering::Relaxed),
            jobs_claimed: self.jobs_claimed.load(Ordering::Relaxed),
            lease_expiries: self.lease_expiries.load(Ordering::Relaxed),
            command_latency: self.command_latency.snapshot(),
            timer_lag: self.timer_lag.snapshot(),
            feed_lag: self.feed_lag.snapshot(),
            notification_lag: self.notification_lag.snapshot(),
            queue_depth,
        }
    }
}

/// Seconds between two times (negative spans count as 0).
pub(crate) fn lag(from: crate::Timestamp, to: crate::Timestamp) -> f64 {
    (to - from).num_microseconds().map_or(0.0, |us| us.max(0) as f64 / 1e6)
}

impl MetricsSnapshot {
    /// The snapshot in the Prometheus text exposition format (version 0.0.4).
    pub fn prometheus_text(&self) -> String {
        let mut out = String::new();
        let counters: [(&str, &str, u64); 5] = [
            ("trainyard_commands_total", "Commands and timers committed.", self.commands),
            ("trainyard_conflicts_retried_total", "Commands decided again after a conflict.", self.conflicts_retried),
            ("trainyard_timers_fired_total", "Timers fired.", self.timers_fired),
            ("trainyard_jobs_claimed_total", "Jobs handed out.", self.jobs_claimed),
            ("trainyard_lease_expiries_total", "Jobs handed out again after their lease expired.", self.lease_expiries),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        }
        let histograms = [
            ("trainyard_command_latency_seconds", "From the start of a command to its commit.", &self.command_latency),
            ("trainyard_timer_lag_seconds", "How late timers fired.", &self.timer_lag),
            ("trainyard_feed_lag_seconds", "From a feed entry's commit to this engine following it.", &self.feed_lag),
            (
                "trainyard_notification_lag_seconds",
                "From a notification's time to its delivery.",
                &self.notification_lag,
            ),
        ];
        for (name, help, h) in histograms {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
            for b in &h.buckets {
                let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {}", b.le, b.count);
            }
            let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "{name}_sum {}\n{name}_count {}", h.sum_seconds, h.count);
        }
        let _ = writeln!(
            out,
            "# HELP trainyard_queue_depth Jobs in the store per executor.\n# TYPE trainyard_queue_depth gauge"
        );
        for (executor, depth) in &self.queue_depth {
            let label = executor.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            let _ = writeln!(out, "trainyard_queue_depth{{executor=\"{label}\"}} {depth}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_text_is_prometheus() {
        let m = Metrics::default();
        m.command(0.0002);
        m.command(0.02);
        m.command(7200.0);
        m.conflict_retried();
        m.job_claimed(1);
        m.job_claimed(2);
        let s = m.snapshot(BTreeMap::from([("command".to_string(), 3)]));
        assert_eq!((s.commands, s.conflicts_retried, s.jobs_claimed, s.lease_expiries), (3, 1, 2, 1));
        let h = &s.command_latency;
        assert_eq!(h.count, 3);
        assert_eq!(h.buckets[0].count, 0); // ≤ 0.1 ms
        assert_eq!(h.buckets[1].count, 1); // ≤ 0.5 ms
        assert_eq!(h.buckets[5].count, 2); // ≤ 50 ms
        assert_eq!(h.buckets.last().unwrap().count, 2); // the 2 h one is only in +Inf
        assert!((h.sum_seconds - 7200.0202).abs() < 1e-3);
        let text = s.prometheus_text();
        assert!(text.contains("trainyard_commands_total 3\n"));
        assert!(text.contains("trainyard_command_latency_seconds_bucket{le=\"0.0005\"} 1\n"));
        assert!(text.contains("trainyard_command_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("trainyard_queue_depth{executor=\"command\"} 3\n"));
        assert!(text.contains("# TYPE trainyard_lease_expiries_total counter\ntrainyard_lease_expiries_total 1\n"));
    }

    #[test]
    fn negative_and_odd_lags_count_as_zero() {
        let now = chrono::Utc::now();
        assert_eq!(lag(now, now - chrono::Duration::seconds(5)), 0.0);
        assert!((lag(now, now + chrono::Duration::milliseconds(1500)) - 1.5).abs() < 1e-9);
        let m = Metrics::default();
        m.timer_fired(f64::NAN);
        assert_eq!(m.snapshot(BTreeMap::new()).timer_lag.buckets[0].count, 1);
    }
}

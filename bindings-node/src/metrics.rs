//! `metrics()` / `prometheusText()`: the core's [`trainyard::metrics::MetricsSnapshot`] with the
//! same fields as Python's `metrics()`, in camelCase (counts as numbers, times in seconds).

use crate::engine::Engine;
use crate::tasks::{call, calls};
use crate::views;
use napi::Env;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use std::collections::HashMap;
use trainyard::metrics::{HistogramSnapshot, MetricsSnapshot};

/// One cumulative histogram bucket.
#[napi(object)]
pub struct MetricsBucket {
    /// Upper bound, seconds.
    pub le: f64,
    /// Observations at most `le` (cumulative).
    pub count: f64,
}

/// A histogram of durations (seconds).
#[napi(object)]
pub struct MetricsHistogram {
    /// How many observations.
    pub count: f64,
    /// Their sum, seconds.
    pub sum_seconds: f64,
    /// Cumulative buckets (the `+Inf` bucket is `count`).
    pub buckets: Vec<MetricsBucket>,
}

/// The engine's metrics at one moment.
#[napi(object)]
pub struct Metrics {
    /// Commands (and timers) committed.
    pub commands: f64,
    /// Commands decided again after a `conflict`.
    pub conflicts_retried: f64,
    /// Timers fired.
    pub timers_fired: f64,
    /// Jobs handed out.
    pub jobs_claimed: f64,
    /// Jobs handed out again after their lease expired.
    pub lease_expiries: f64,
    /// Start of a command to its commit.
    pub command_latency: MetricsHistogram,
    /// How late timers fired.
    pub timer_lag: MetricsHistogram,
    /// Commit of another engine's feed entry to this engine following it.
    pub feed_lag: MetricsHistogram,
    /// A notification's time to its delivery.
    pub notification_lag: MetricsHistogram,
    /// Jobs in the store per executor.
    pub queue_depth: HashMap<String, f64>,
}

fn histogram(h: &HistogramSnapshot) -> MetricsHistogram {
    MetricsHistogram {
        count: h.count as f64,
        sum_seconds: h.sum_seconds,
        buckets: h.buckets.iter().map(|b| MetricsBucket { le: b.le, count: b.count as f64 }).collect(),
    }
}

impl From<MetricsSnapshot> for Metrics {
    fn from(m: MetricsSnapshot) -> Self {
        Metrics {
            commands: m.commands as f64,
            conflicts_retried: m.conflicts_retried as f64,
            timers_fired: m.timers_fired as f64,
            jobs_claimed: m.jobs_claimed as f64,
            lease_expiries: m.lease_expiries as f64,
            command_latency: histogram(&m.command_latency),
            timer_lag: histogram(&m.timer_lag),
            feed_lag: histogram(&m.feed_lag),
            notification_lag: histogram(&m.notification_lag),
            queue_depth: m.queue_depth.into_iter().map(|(k, v)| (k, v as f64)).collect(),
        }
    }
}

calls! {
    #[doc = " The engine's metrics now: counters, histograms (seconds) and the queue depth per executor."]
    #[ts("", "Metrics", "Promise<Metrics>")]
    fn metrics / metrics_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(Metrics::from(e.metrics()?))))
    }

    #[doc = " The engine's metrics in the Prometheus text exposition format."]
    #[ts("", "string", "Promise<string>")]
    fn prometheus_text / prometheus_text_async(&self, cx) {
        let _ = cx;
        call(move |e| Ok(views::napi_value(e.metrics()?.prometheus_text())))
    }
}

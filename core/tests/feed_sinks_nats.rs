//! The NATS JetStream sink against a real server (`TRAINYARD_TEST_NATS`, default
//! `nats://127.0.0.1:4222`, JetStream enabled): entries published through a `SinkRunner` are read
//! back from the stream with a consumer (subjects, payloads, message ids), and a redelivered
//! entry is de-duplicated. Without a server the server tests say so loudly and pass, except in CI
//! (`CI` set), where they fail.
#![cfg(feature = "nats")]

use async_nats::jetstream;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use trainyard::Timestamp;
use trainyard::feed::nats::{NatsConfig, NatsSink};
use trainyard::feed::runner::{SinkOptions, SinkRunner};
use trainyard::feed::source::{FeedSource, MemoryFeedSource};
use trainyard::feed::{FeedEntry, Sink};
use trainyard::release::{ReleaseKind, ReleaseStatus};
use trainyard::schedule::ManualClock;

fn start() -> Timestamp {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

fn entry(release: &str, scope: &str, kind: ReleaseKind, status: ReleaseStatus) -> FeedEntry {
    let base = trainyard::store::fixtures::feed_entry(release, 1, 2);
    FeedEntry {
        kinds: vec!["created".into(), "activated".into()],
        status_before: None,
        status_after: status,
        scope: scope.into(),
        process_id: "deploy".into(),
        release_kind: kind,
        ..base
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// The NATS server to test against, or `None` (outside CI only) with a loud note.
fn nats_url(runtime: &tokio::runtime::Runtime) -> Option<String> {
    let url = std::env::var("TRAINYARD_TEST_NATS")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "nats://127.0.0.1:4222".to_string());
    let reachable = runtime.block_on(async {
        let connect = async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(3)).connect(&url);
        match tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("connecting timed out".to_string()),
        }
    });
    match reachable {
        Ok(()) => Some(url),
        Err(why) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(!ci, "no NATS server at {url} ({why}): the NATS tests are required in CI");
            eprintln!(
                "\n*** SKIPPING this NATS test: no NATS server at {url} ({why}); start one or set \
                 TRAINYARD_TEST_NATS (in CI it is required) ***\n"
            );
            None
        }
    }
}

/// A subject prefix and stream name no other run uses.
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{tag}_{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

/// Deletes the test's stream when dropped.
struct StreamGuard<'a> {
    runtime: &'a tokio::runtime::Runtime,
    context: jetstream::Context,
    name: String,
}

impl Drop for StreamGuard<'_> {
    fn drop(&mut self) {
        let _ = self.runtime.block_on(self.context.delete_stream(&self.name));
    }
}

#[test]
fn entries_are_published_by_scope_kind_and_status_and_redeliveries_are_deduplicated() {
    let runtime = runtime();
    let Some(url) = nats_url(&runtime) else { return };
    let id = unique("tytest");
    let stream_name = id.to_uppercase();
    let prefix = format!("tytest.{id}");
    let context = runtime.block_on(async { jetstream::new(async_nats::connect(&url).await.unwrap()) });
    let _cleanup = StreamGuard { runtime: &runtime, context: context.clone(), name: stream_name.clone() };

    let mut config = NatsConfig::new("events", &url);
    config.subject_prefix = prefix.clone();
    config.create_stream = Some(stream_name.clone());
    let sink = Arc::new(NatsSink::new(config).unwrap());
    let source = MemoryFeedSource::new(Arc::new(ManualClock::new(start())));
    source.push(entry("r1", "account", ReleaseKind::Standard, ReleaseStatus::Running));
    source.push(entry("r2", "org:acme.eu", ReleaseKind::Hotfix, ReleaseStatus::OnHold));
    source.push(entry("r1", "account", ReleaseKind::Standard, ReleaseStatus::PartialSuccess));
    let runner = SinkRunner::new(sink.clone(), SinkOptions::default()).unwrap();
    let report = runner.run_once(&source).unwrap();
    assert_eq!((report.delivered, report.dead_lettered, report.cursor), (3, 0, 3), "{report:?}");

    // A crash before the cursor write: the runner delivers everything again; JetStream drops it.
    source.set_consumer_cursor("events", 0).unwrap();
    assert_eq!(runner.run_once(&source).unwrap().delivered, 3);
    sink.deliver(&source.entries()[1]).unwrap();

    let (count, messages) = runtime.block_on(async {
        let mut stream = context.get_stream(&stream_name).await.unwrap();
        let count = stream.info().await.unwrap().state.messages;
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::Config {
                deliver_policy: jetstream::consumer::DeliverPolicy::All,
                ack_policy: jetstream::consumer::AckPolicy::None,
                ..Default::default()
            })
            .await
            .unwrap();
        let batch = consumer.fetch().max_messages(10).messages().await.unwrap();
        let messages: Vec<_> = batch.map(|m| m.unwrap()).collect().await;
        (count, messages)
    });
    assert_eq!(count, 3, "the redeliveries were de-duplicated");
    let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            format!("{prefix}.account.standard.running"),
            format!("{prefix}.org:acme%2Eeu.hotfix.on_hold"),
            format!("{prefix}.account.standard.partial_success"),
        ]
    );
    for (message, expected) in messages.iter().zip(source.entries()) {
        let payload: FeedEntry = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(payload, expected);
        let headers = message.headers.as_ref().unwrap();
        assert_eq!(
            headers.get(async_nats::header::NATS_MESSAGE_ID).unwrap().as_str(),
            format!("events:{}", expected.cursor)
        );
        assert_eq!(headers.get("Trainyard-Cursor").unwrap().as_str(), expected.cursor.to_string());
        assert_eq!(headers.get("Content-Type").unwrap().as_str(), "application/json");
    }
}

#[test]
fn no_stream_for_the_subjects_is_a_retryable_failure() {
    let runtime = runtime();
    let Some(url) = nats_url(&runtime) else { return };
    let mut config = NatsConfig::new("events", &url);
    config.subject_prefix = format!("tytest.{}", unique("nostream"));
    let sink = NatsSink::new(config).unwrap();
    let err = sink.deliver(&entry("r1", "account", ReleaseKind::Standard, ReleaseStatus::Running)).unwrap_err();
    assert!(err.retryable, "{err}");
    assert!(err.message.contains("no JetStream stream captures"), "{err}");
}

#[test]
fn an_unreachable_server_is_a_retryable_failure_even_inside_a_tokio_runtime() {
    // A port that was just free: nothing listens there (no server needed for this test).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = NatsConfig::new("events", format!("nats://127.0.0.1:{port}"));
    config.connect_timeout = Duration::from_secs(2);
    let sink = NatsSink::new(config).unwrap();
    let e = entry("r1", "account", ReleaseKind::Standard, ReleaseStatus::Running);
    let err = sink.deliver(&e).unwrap_err();
    assert!(err.retryable, "{err}");
    assert!(err.message.starts_with("NATS sink `events`: could not connect"), "{err}");
    // Called (and dropped) from async code, as a binding might: an error, not a panic.
    let again = runtime().block_on(async move {
        let outcome = sink.deliver(&e);
        drop(sink);
        outcome
    });
    assert!(again.unwrap_err().retryable);
}

//! The webhook sink against a real HTTP server started by the test (tiny_http on 127.0.0.1): it
//! fails the first attempts with 503, then checks the signature and accepts; a 400 goes to the
//! dead letters and a replay delivers them; a server that does not answer hits the timeout.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use trainyard::Timestamp;
use trainyard::feed::runner::{ReplayReport, SinkOptions, SinkRunner};
use trainyard::feed::source::{FeedSource, MemoryFeedSource};
use trainyard::feed::webhook::{WebhookConfig, WebhookSink};
use trainyard::feed::{FeedEntry, Sink};
use trainyard::release::{ReleaseKind, ReleaseStatus};
use trainyard::schedule::{Clock, ManualClock};

const SECRET: &str = "whsec_test_5f2b9c";
/// How long the test server waits for a request before giving up (bounds a failing test).
const SERVER_PATIENCE: Duration = Duration::from_secs(30);

fn start() -> Timestamp {
    "2025-04-07T09:00:00Z".parse().unwrap()
}

fn entry(release: &str, seq: u64, status: ReleaseStatus) -> FeedEntry {
    FeedEntry {
        kinds: vec!["activity_succeeded".into()],
        status_after: status,
        actor: "system".into(),
        scope: "org:acme".into(),
        process_id: "deploy".into(),
        release_kind: ReleaseKind::Hotfix,
        group: Some("weekly".into()),
        ..trainyard::store::fixtures::feed_entry(release, seq, seq)
    }
}

enum Answer {
    Status(u16, &'static str),
    /// Read the request, then answer nothing until the test lets go.
    Hang,
}

struct Received {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(&name.to_ascii_lowercase()).map_or("", String::as_str)
    }

    /// Checks `X-Trainyard-Signature` the way a receiver would (constant-time, over the raw body).
    fn signature_is_valid(&self, secret: &str) -> bool {
        let Some(hex_mac) = self.header("X-Trainyard-Signature").strip_prefix("sha256=") else { return false };
        let Ok(expected) = hex::decode(hex_mac) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&self.body);
        mac.verify_slice(&expected).is_ok()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// An HTTP server on 127.0.0.1 answering its requests from a script, one answer per request.
struct TestServer {
    url: String,
    received: mpsc::Receiver<Received>,
    let_go: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    fn start(answers: Vec<Answer>) -> TestServer {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let (sent, received) = mpsc::channel();
        let (let_go, held) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            for answer in answers {
                let Ok(Some(mut request)) = server.recv_timeout(SERVER_PATIENCE) else { return };
                let mut body = Vec::new();
                request.as_reader().read_to_end(&mut body).unwrap();
                let headers = request
                    .headers()
                    .iter()
                    .map(|h| (h.field.as_str().as_str().to_ascii_lowercase(), h.value.as_str().to_string()))
                    .collect();
                let method = request.method().as_str().to_string();
                let path = request.url().to_string();
                let _ = sent.send(Received { method, path, headers, body });
                match answer {
                    Answer::Status(code, text) => {
                        let _ = request.respond(tiny_http::Response::from_string(text).with_status_code(code));
                    }
                    Answer::Hang => {
                        let _ = held.recv_timeout(SERVER_PATIENCE);
                    }
                }
            }
        });
        TestServer {
            url: format!("http://127.0.0.1:{port}/hooks/trainyard?team=ops"),
            received,
            let_go,
            thread: Some(thread),
        }
    }

    /// The requests the server got so far.
    fn requests(&self) -> Vec<Received> {
        self.received.try_iter().collect()
    }

    /// Waits until the server has answered every scripted request.
    fn finish(mut self) -> Vec<Received> {
        let _ = self.let_go.send(());
        self.thread.take().unwrap().join().unwrap();
        self.requests()
    }
}

fn sink(url: &str) -> Arc<WebhookSink> {
    Arc::new(WebhookSink::new(WebhookConfig::new("hooks", url, SECRET)).unwrap())
}

fn source_with(entries: Vec<FeedEntry>) -> (ManualClock, MemoryFeedSource) {
    let clock = ManualClock::new(start());
    let source = MemoryFeedSource::new(Arc::new(clock.clone()));
    for e in entries {
        source.push(e);
    }
    (clock, source)
}

#[test]
fn a_503_is_retried_with_backoff_then_the_signed_entry_is_accepted() {
    let server = TestServer::start(vec![
        Answer::Status(503, "warming up"),
        Answer::Status(503, "warming up"),
        Answer::Status(200, "ok"),
        Answer::Status(204, ""),
    ]);
    let (clock, source) =
        source_with(vec![entry("r1", 4, ReleaseStatus::Running), entry("r1", 5, ReleaseStatus::Success)]);
    let runner = SinkRunner::new(sink(&server.url), SinkOptions::default()).unwrap();

    let first = runner.run_once(&source).unwrap();
    assert_eq!((first.delivered, first.cursor), (0, 0));
    assert_eq!(first.retry_at, Some(start() + chrono::Duration::seconds(1)));
    assert!(first.last_error.as_deref().unwrap().contains("answered 503 Service Unavailable (will retry): warming up"));
    assert_eq!(runner.run_once(&source).unwrap().delivered, 0, "not due: nothing sent");
    clock.advance(chrono::Duration::seconds(1));
    let second = runner.run_once(&source).unwrap();
    assert_eq!(second.retry_at, Some(clock.now() + chrono::Duration::seconds(2)));
    clock.advance(chrono::Duration::seconds(2));
    let third = runner.run_once(&source).unwrap();
    assert_eq!((third.delivered, third.dead_lettered, third.cursor, third.caught_up), (2, 0, 2, true));
    assert_eq!(source.consumer_cursor("hooks").unwrap(), 2);

    let requests = server.finish();
    assert_eq!(requests.len(), 4);
    for r in &requests {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/hooks/trainyard?team=ops"));
        assert_eq!(r.header("Content-Type"), "application/json");
        assert!(r.signature_is_valid(SECRET), "bad signature {}", r.header("X-Trainyard-Signature"));
        assert!(!r.signature_is_valid("another secret"));
        assert!(r.header("User-Agent").starts_with("trainyard/"));
    }
    // The three attempts at the first entry are the same request: same body, same delivery id.
    assert!(requests[..3].iter().all(|r| r.body == requests[0].body));
    let delivery = requests[0].header("X-Trainyard-Delivery").to_string();
    assert_eq!(uuid::Uuid::parse_str(&delivery).unwrap().get_version_num(), 5);
    assert_ne!(requests[3].header("X-Trainyard-Delivery"), delivery);
    assert_eq!(requests[0].header("X-Trainyard-Cursor"), "1");
    assert_eq!(requests[3].header("X-Trainyard-Cursor"), "2");
    let body = requests[3].json();
    assert_eq!(body["delivery_id"], requests[3].header("X-Trainyard-Delivery"));
    assert_eq!(body["sink"], "hooks");
    let delivered: FeedEntry = serde_json::from_value(body["entry"].clone()).unwrap();
    assert_eq!(delivered, source.entries()[1]);
    assert_eq!(body["entry"]["status_after"], "success");
    assert_eq!(body["entry"]["scope"], "org:acme");
}

#[test]
fn a_400_is_dead_lettered_at_once_and_a_replay_delivers_it() {
    let server = TestServer::start(vec![
        Answer::Status(400, "unknown release kind"),
        Answer::Status(200, "ok"),
        Answer::Status(200, "ok"),
    ]);
    let (_, source) = source_with(vec![entry("r1", 1, ReleaseStatus::Running), entry("r1", 2, ReleaseStatus::Failed)]);
    let runner = SinkRunner::new(sink(&server.url), SinkOptions::default()).unwrap();

    let report = runner.run_once(&source).unwrap();
    assert_eq!((report.delivered, report.dead_lettered, report.cursor, report.retry_at), (1, 1, 2, None));
    let letters = source.dead_letters("hooks").unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!((letters[0].entry.cursor, letters[0].attempts, letters[0].permanent), (1, 1, true));
    assert_eq!(letters[0].error, "webhook `hooks` answered 400 Bad Request (permanent): unknown release kind");
    assert!(!letters[0].error.contains("127.0.0.1"), "the URL stays out of errors");

    assert_eq!(runner.replay_dead_letters(&source).unwrap(), ReplayReport { delivered: 1, failed: 0, remaining: 0 });
    assert!(source.dead_letters("hooks").unwrap().is_empty());

    let requests = server.finish();
    let cursors: Vec<&str> = requests.iter().map(|r| r.header("X-Trainyard-Cursor")).collect();
    assert_eq!(cursors, ["1", "2", "1"], "the release went on past the dead letter; the replay came last");
    assert_eq!(requests[2].body, requests[0].body, "a replay is the same delivery");
    assert!(requests[2].signature_is_valid(SECRET));
}

#[test]
fn statuses_decide_between_delivered_retryable_and_permanent() {
    let statuses =
        [(204, None), (408, Some(true)), (429, Some(true)), (502, Some(true)), (404, Some(false)), (301, Some(false))];
    let server = TestServer::start(statuses.iter().map(|(s, _)| Answer::Status(*s, "")).collect());
    let sink = sink(&server.url);
    let e = entry("r1", 1, ReleaseStatus::Running);
    for (status, expected) in statuses {
        let outcome = sink.deliver(&e);
        assert_eq!(outcome.as_ref().err().map(|err| err.retryable), expected, "{status}: {outcome:?}");
        if let Err(err) = outcome {
            assert!(err.message.contains(&format!("answered {status}")), "{err}");
        }
    }
    assert_eq!(server.finish().len(), statuses.len(), "a 301 is not followed");
}

#[test]
fn a_server_that_does_not_answer_hits_the_timeout_and_is_retried() {
    let server = TestServer::start(vec![Answer::Hang]);
    let mut config = WebhookConfig::new("hooks", &server.url, SECRET);
    config.timeout = Duration::from_millis(300);
    let sink = WebhookSink::new(config).unwrap();
    let err = sink.deliver(&entry("r1", 1, ReleaseStatus::Running)).unwrap_err();
    assert!(err.retryable, "{err}");
    assert_eq!(err.message, "webhook `hooks`: timed out after 300ms");
    assert_eq!(server.finish().len(), 1);
}

#[test]
fn a_refused_connection_is_retryable() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sink = sink(&format!("http://127.0.0.1:{port}/hook"));
    let err = sink.deliver(&entry("r1", 1, ReleaseStatus::Running)).unwrap_err();
    assert!(err.retryable, "{err}");
    assert_eq!(err.message, "webhook `hooks`: connection error: connection refused");
    assert!(!err.message.contains(&port.to_string()), "the URL stays out of errors: {err}");
}

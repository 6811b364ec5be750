//! [`NatsSink`] (crate feature `nats`): publishes each feed entry to NATS JetStream.
//!
//! # Messages
//! Each entry is published, as its JSON ([`FeedEntry`]), to the subject
//!
//! ```text
//! <prefix>.<scope>.<release_kind>.<status_after>
//! ```
//!
//! e.g. `trainyard.account.hotfix.running` or `trainyard.org:acme.standard.success`, so a
//! consumer picks what it wants with wildcards: `trainyard.*.hotfix.>`,
//! `trainyard.org:acme.>`, `trainyard.*.*.failed`. The release kind and status are the snake_case
//! names (`partial_success`, `on_hold`). The scope token ([`subject_token`]) keeps every character
//! NATS allows in a token and writes the others as `%XX` per UTF-8 byte: `.` as `%2E`, `*` as
//! `%2A`, `>` as `%3E`, `%` as `%25`, whitespace and control characters likewise (`org:a.b` →
//! `org:a%2Eb`); an empty scope (never written by the engine) is `_`.
//!
//! Headers: `Nats-Msg-Id: <sink name>:<cursor>`, so JetStream drops a redelivered entry as a
//! duplicate within the stream's duplicate window (2 minutes unless the stream says otherwise);
//! `Trainyard-Cursor: <cursor>`; `Content-Type: application/json`.
//!
//! # Delivery
//! A delivery waits for JetStream's publish ack ([`NatsConfig::ack_timeout`], default 5 s). A
//! missing ack, a lost connection, an unreachable server or no stream capturing the subject are
//! retryable failures (the [`SinkRunner`](super::runner::SinkRunner) retries with backoff, then
//! dead-letters). The sink connects at its first delivery (and again after a failed connect), not
//! when it is made; with [`NatsConfig::create_stream`] it then creates that stream, capturing
//! `<prefix>.>`, if it does not exist.
//!
//! # Runtime
//! `async-nats` runs on tokio; the sink owns a private runtime with one worker thread (the
//! connection's pings and reconnects run there between deliveries) and blocks on it in
//! [`Sink::deliver`], so the core's API stays synchronous. Called from inside another tokio
//! runtime, it blocks on a scoped helper thread instead of panicking.

use super::runner::{sink_name_problems, timeout_problems};
use super::{FeedEntry, Sink, SinkError};
use crate::validate::codes;
use crate::{Error, Problem};
use async_nats::jetstream::{self, context::PublishErrorKind};
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The longest allowed timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// The longest subject prefix.
pub const MAX_PREFIX: usize = 128;

/// The longest stream name.
pub const MAX_STREAM_NAME: usize = 64;

/// Where and how a [`NatsSink`] publishes.
#[derive(Clone, PartialEq)]
pub struct NatsConfig {
    /// The sink's name (its consumer name and dead-letter list, and the start of every
    /// `Nats-Msg-Id`).
    pub name: String,
    /// The server(s): `nats://host[:port]`, several separated by commas; credentials may be in
    /// the URL (`nats://user:password@host`).
    pub url: String,
    /// The subjects' first tokens (default `trainyard`): dot-separated, non-empty tokens without
    /// `*`, `>` or whitespace, not starting with `$`, at most [`MAX_PREFIX`] bytes.
    pub subject_prefix: String,
    /// A stream to create (capturing `<prefix>.>`) if it does not exist; `None` (the default)
    /// expects the stream to be there. At most [`MAX_STREAM_NAME`] bytes, without `.`, `*`, `>`,
    /// `/`, `\` or whitespace.
    pub create_stream: Option<String>,
    /// How long connecting may take (default 5 s).
    pub connect_timeout: Duration,
    /// How long to wait for JetStream's publish ack (default 5 s).
    pub ack_timeout: Duration,
}

impl std::fmt::Debug for NatsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsConfig")
            .field("name", &self.name)
            .field("url", &"<redacted>")
            .field("subject_prefix", &self.subject_prefix)
            .field("create_stream", &self.create_stream)
            .field("connect_timeout", &self.connect_timeout)
            .field("ack_timeout", &self.ack_timeout)
            .finish()
    }
}

impl NatsConfig {
    /// A config with the default prefix (`trainyard`) and timeouts, creating no stream.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        NatsConfig {
            name: name.into(),
            url: url.into(),
            subject_prefix: "trainyard".into(),
            create_stream: None,
            connect_timeout: Duration::from_secs(5),
            ack_timeout: Duration::from_secs(5),
        }
    }

    fn problems(&self) -> Vec<Problem> {
        let mut problems = sink_name_problems("name", &self.name);
        if self.servers().is_err() {
            problems.push(Problem::new(
                "url",
                codes::INVALID_VALUE,
                "the NATS URL is not valid; use nats://host[:port] (several separated by commas)",
            ));
        }
        if let Some(why) = prefix_problem(&self.subject_prefix) {
            problems.push(Problem::new(
                "subject_prefix",
                codes::INVALID_VALUE,
                format!("subject prefix `{}` {why}; use dot-separated tokens such as `trainyard`", self.subject_prefix),
            ));
        }
        if let Some(stream) = &self.create_stream {
            let bad = |c: char| matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace() || c.is_control();
            if stream.is_empty() || stream.len() > MAX_STREAM_NAME || stream.chars().any(bad) {
                problems.push(Problem::new(
                    "create_stream",
                    codes::BAD_NAME,
                    format!(
                        "stream name `{stream}` is not allowed; use 1 to {MAX_STREAM_NAME} bytes without \
                         `.`, `*`, `>`, `/`, `\\` or whitespace, e.g. `TRAINYARD`"
                    ),
                ));
            }
        }
        problems.extend(timeout_problems(
            [("connect_timeout", self.connect_timeout), ("ack_timeout", self.ack_timeout)],
            MAX_TIMEOUT,
        ));
        problems
    }

    fn servers(&self) -> std::io::Result<Vec<async_nats::ServerAddr>> {
        self.url.split(',').map(|s| s.trim().parse::<async_nats::ServerAddr>()).collect()
    }
}

fn prefix_problem(prefix: &str) -> Option<&'static str> {
    if prefix.is_empty() {
        Some("is empty")
    } else if prefix.len() > MAX_PREFIX {
        Some("is longer than 128 bytes")
    } else if prefix.starts_with('$') {
        Some("starts with `$` (reserved for NATS itself)")
    } else if prefix.split('.').any(str::is_empty) {
        Some("has an empty token")
    } else if prefix.chars().any(|c| matches!(c, '*' | '>') || c.is_whitespace() || c.is_control()) {
        Some("contains a wildcard, whitespace or a control character")
    } else {
        None
    }
}

/// `value` as one subject token (see the [module docs](self#messages)).
///
/// ```
/// use trainyard::feed::nats::subject_token;
/// assert_eq!(subject_token("org:acme"), "org:acme");
/// assert_eq!(subject_token("org:a.b *>%"), "org:a%2Eb%20%2A%3E%25");
/// assert_eq!(subject_token("org:zürich"), "org:zürich");
/// ```
pub fn subject_token(value: &str) -> String {
    if value.is_empty() {
        return "_".into();
    }
    let mut token = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '.' | '*' | '>' | '%') || c.is_whitespace() || c.is_control() {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                token.push_str(&format!("%{byte:02X}"));
            }
        } else {
            token.push(c);
        }
    }
    token
}

/// The subject `entry` is published to under `prefix` (see the [module docs](self#messages)).
pub fn subject(prefix: &str, entry: &FeedEntry) -> String {
    format!("{prefix}.{}.{}.{}", subject_token(&entry.scope), entry.release_kind.as_str(), entry.status_after.as_str())
}

/// The `Nats-Msg-Id` of `entry` for the sink `sink`.
pub fn message_id(sink: &str, entry: &FeedEntry) -> String {
    format!("{sink}:{}", entry.cursor)
}

/// Publishes feed entries to NATS JetStream (see the [module docs](self)).
pub struct NatsSink {
    config: NatsConfig,
    servers: Vec<async_nats::ServerAddr>,
    runtime: Option<tokio::runtime::Runtime>,
    context: Mutex<Option<jetstream::Context>>,
}

debug_config_only!(NatsSink);

impl NatsSink {
    /// A sink for `config`; `invalid_input` listing every problem (name, URL, prefix, stream,
    /// timeouts); `executor` if its runtime cannot start. Connects at the first delivery.
    pub fn new(config: NatsConfig) -> crate::Result<NatsSink> {
        Error::invalid_input_or(config.problems(), ())?;
        let servers = config.servers().map_err(|e| Error::InvalidInput {
            problems: vec![Problem::new("url", codes::INVALID_VALUE, e.to_string())],
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("trainyard-nats")
            .enable_all()
            .build()
            .map_err(|e| Error::Executor { message: format!("could not start the NATS sink's runtime: {e}") })?;
        Ok(NatsSink { config, servers, runtime: Some(runtime), context: Mutex::new(None) })
    }

    /// The config (its `Debug` form redacts the URL).
    pub fn config(&self) -> &NatsConfig {
        &self.config
    }

    /// Runs `future` to completion on the sink's runtime (on a helper thread when the caller is
    /// itself inside a tokio runtime, where blocking on another one would panic).
    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let runtime = self.runtime.as_ref().expect("the runtime lives as long as the sink");
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(future);
        }
        std::thread::scope(|scope| match scope.spawn(|| runtime.block_on(future)).join() {
            Ok(output) => output,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    }

    /// The JetStream context, connecting (and creating the stream) first if needed.
    fn context(&self) -> Result<jetstream::Context, SinkError> {
        let mut slot = self.lock();
        if let Some(context) = slot.as_ref() {
            return Ok(context.clone());
        }
        let context = self.block_on(self.connect())?;
        *slot = Some(context.clone());
        Ok(context)
    }

    async fn connect(&self) -> Result<jetstream::Context, SinkError> {
        let name = &self.config.name;
        let timeout = self.config.connect_timeout;
        let options = async_nats::ConnectOptions::new()
            .name(format!("trainyard sink {name}"))
            .connection_timeout(timeout)
            .request_timeout(Some(self.config.ack_timeout));
        let client = match tokio::time::timeout(timeout, options.connect(self.servers.clone())).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => return Err(retryable(format!("NATS sink `{name}`: could not connect: {}", e.kind()))),
            Err(_) => return Err(retryable(format!("NATS sink `{name}`: connecting timed out after {timeout:?}"))),
        };
        let mut context = jetstream::new(client);
        context.set_timeout(self.config.ack_timeout);
        if let Some(stream) = &self.config.create_stream {
            let config = jetstream::stream::Config {
                name: stream.clone(),
                subjects: vec![format!("{}.>", self.config.subject_prefix)],
                ..Default::default()
            };
            if let Err(e) = context.get_or_create_stream(config).await {
                return Err(retryable(format!("NATS sink `{name}`: could not create stream `{stream}`: {e}")));
            }
        }
        Ok(context)
    }

    async fn publish(&self, context: &jetstream::Context, entry: &FeedEntry) -> Result<(), SinkError> {
        let payload = serde_json::to_vec(entry).expect("a feed entry always serializes");
        let subject = subject(&self.config.subject_prefix, entry);
        let message = jetstream::message::PublishMessage::build()
            .payload(payload.into())
            .message_id(message_id(&self.config.name, entry))
            .header("Trainyard-Cursor", entry.cursor.to_string().as_str())
            .header("Content-Type", "application/json");
        let ack = context.send_publish(subject.clone(), message).await.map_err(|e| self.publish_error(&subject, &e))?;
        ack.await.map_err(|e| self.publish_error(&subject, &e))?;
        Ok(())
    }

    fn publish_error(&self, subject: &str, error: &jetstream::context::PublishError) -> SinkError {
        let name = &self.config.name;
        match error.kind() {
            PublishErrorKind::StreamNotFound => retryable(format!(
                "NATS sink `{name}`: no JetStream stream captures `{subject}` (create one for `{}.>`, or set create_stream)",
                self.config.subject_prefix
            )),
            PublishErrorKind::TimedOut => retryable(format!(
                "NATS sink `{name}`: no publish ack for `{subject}` within {:?}",
                self.config.ack_timeout
            )),
            PublishErrorKind::WrongLastMessageId | PublishErrorKind::WrongLastSequence => SinkError {
                message: format!("NATS sink `{name}`: publish to `{subject}` refused: {error}"),
                retryable: false,
            },
            _ => retryable(format!("NATS sink `{name}`: publish to `{subject}` failed: {error}")),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<jetstream::Context>> {
        self.context.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn retryable(message: String) -> SinkError {
    SinkError { message, retryable: true }
}

impl Sink for NatsSink {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn deliver(&self, entry: &FeedEntry) -> Result<(), SinkError> {
        let context = self.context()?;
        self.block_on(self.publish(&context, entry))
    }
}

impl Drop for NatsSink {
    fn drop(&mut self) {
        // Dropping the connection first lets its tasks end; shutting the runtime down in the
        // background never blocks (nor panics inside another runtime).
        self.lock().take();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{ReleaseKind, ReleaseStatus};

    fn entry(scope: &str, kind: ReleaseKind, status: ReleaseStatus) -> FeedEntry {
        let base = crate::store::fixtures::feed_entry("r1", 1, 1);
        let (kinds, scope) = (vec!["created".into()], scope.into());
        FeedEntry { cursor: 42, kinds, status_before: None, status_after: status, scope, release_kind: kind, ..base }
    }

    #[test]
    fn subjects_name_scope_kind_and_status() {
        let e = entry("account", ReleaseKind::Hotfix, ReleaseStatus::OnHold);
        assert_eq!(subject("trainyard", &e), "trainyard.account.hotfix.on_hold");
        let e = entry("org:acme", ReleaseKind::Standard, ReleaseStatus::PartialSuccess);
        assert_eq!(subject("ty.prod", &e), "ty.prod.org:acme.standard.partial_success");
        let e = entry("org:a.b>c", ReleaseKind::System, ReleaseStatus::Failed);
        assert_eq!(subject("trainyard", &e), "trainyard.org:a%2Eb%3Ec.system.failed");
        assert_eq!(message_id("events", &e), "events:42");
    }

    #[test]
    fn tokens_escape_what_nats_does_not_allow_and_stay_one_to_one() {
        assert_eq!(subject_token(""), "_");
        assert_eq!(subject_token("a\tb\u{0}c\u{a0}d"), "a%09b%00c%C2%A0d");
        assert_eq!(subject_token("100%"), "100%25");
        // `%` itself is escaped, so different scopes never share a token.
        assert_ne!(subject_token("a%2Eb"), subject_token("a.b"));
        for value in ["org:acme", "org:a.b", "x*y", "x>y", "a b", "ünï"] {
            let token = subject_token(value);
            assert!(!token.contains(['.', '*', '>', ' ']), "{token}");
        }
    }

    #[test]
    fn bad_configs_list_every_problem() {
        let config = NatsConfig {
            name: "bad name".into(),
            url: "nats://[::1".into(),
            subject_prefix: "a..b".into(),
            create_stream: Some("a.b".into()),
            connect_timeout: Duration::ZERO,
            ack_timeout: Duration::from_secs(3600),
        };
        let err = NatsSink::new(config).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        let found: Vec<_> = err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
        assert_eq!(
            found,
            [
                ("name", "bad_name"),
                ("url", "invalid_value"),
                ("subject_prefix", "invalid_value"),
                ("create_stream", "bad_name"),
                ("connect_timeout", "invalid_value"),
                ("ack_timeout", "invalid_value"),
            ]
        );
        for (prefix, says) in
            [("", "is empty"), ("$JS", "reserved"), ("a.*", "wildcard"), ("a b", "whitespace"), ("a.", "empty token")]
        {
            let mut config = NatsConfig::new("events", "nats://127.0.0.1:4222");
            config.subject_prefix = prefix.into();
            let err = NatsSink::new(config).unwrap_err();
            assert!(err.to_string().contains(says), "{prefix}: {err}");
        }
        assert!(NatsSink::new(NatsConfig::new("events", "nats://a:4222, nats://b:4223")).is_ok());
    }

    #[test]
    fn debug_output_hides_the_url() {
        let sink = NatsSink::new(NatsConfig::new("events", "nats://user:s3cret@127.0.0.1:4222")).unwrap();
        let text = format!("{sink:?}");
        assert!(text.contains("events") && !text.contains("s3cret"), "{text}");
    }
}

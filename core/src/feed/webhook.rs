//! [`WebhookSink`]: POSTs each feed entry as JSON to a URL, signed with HMAC-SHA256.
//!
//! # The request
//! `POST <url>` with the body
//! `{"delivery_id": "<id>", "sink": "<name>", "entry": <the FeedEntry>}` and the headers
//!
//! | header | value |
//! |---|---|
//! | `Content-Type` | `application/json` |
//! | `X-Trainyard-Signature` | `sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the sink's secret>` |
//! | `X-Trainyard-Delivery` | the delivery id: a UUID that is the same for every attempt and every redelivery of one entry to one sink (de-duplicate on it) |
//! | `X-Trainyard-Cursor` | the entry's feed cursor |
//! | `User-Agent` | `trainyard/<version>` |
//!
//! A receiver checks the signature over the raw body before parsing it, comparing in constant
//! time (the README has a Python example).
//!
//! # The answer
//! * `2xx`: delivered.
//! * `408`, `429`, `5xx`, a timeout, a refused or dropped connection: retryable (the
//!   [`SinkRunner`](super::runner::SinkRunner) tries again with backoff).
//! * any other status (other `4xx`; `3xx`, since redirects are not followed): permanent, the entry
//!   goes to the dead-letter list at once.
//!
//! Error messages name the status and the start of the answer's body (at most
//! [`MAX_ERROR_BODY`] bytes), never the URL (which may carry a token) or the secret.
//!
//! # Limits
//! Plain `http://` always works; `https://` needs the crate feature `https` (rustls with the
//! bundled web PKI roots). Timeouts: [`WebhookConfig::connect_timeout`] (default 5 s) for
//! connecting and [`WebhookConfig::timeout`] (default 10 s) for the whole request, each from 1 ms
//! to [`MAX_TIMEOUT`]. The engine's `tick()` waits for a delivery, so keep them short.

use super::runner::{sink_name_problems, timeout_problems};
use super::{Cursor, FeedEntry, Sink, SinkError};
use crate::validate::codes;
use crate::{Error, Problem};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::io::Read;
use std::time::Duration;

/// The longest allowed timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// How much of an error answer's body goes into the error message.
pub const MAX_ERROR_BODY: usize = 512;

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "X-Trainyard-Signature";
/// The delivery id header's name.
pub const DELIVERY_HEADER: &str = "X-Trainyard-Delivery";
/// The cursor header's name.
pub const CURSOR_HEADER: &str = "X-Trainyard-Cursor";

/// Where and how a [`WebhookSink`] delivers.
#[derive(Clone, PartialEq)]
pub struct WebhookConfig {
    /// The sink's name (its consumer name and dead-letter list; see
    /// [`sink_name_problems`]).
    pub name: String,
    /// `http://host[:port]/path` (or `https://…` with the `https` feature).
    pub url: String,
    /// The HMAC-SHA256 key for `X-Trainyard-Signature` (not empty; 32 random bytes or more is
    /// good).
    pub secret: String,
    /// How long connecting may take (default 5 s).
    pub connect_timeout: Duration,
    /// How long the whole request may take, connecting included (default 10 s).
    pub timeout: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("url", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WebhookConfig {
    /// A config with the default timeouts.
    pub fn new(name: impl Into<String>, url: impl Into<String>, secret: impl Into<String>) -> Self {
        WebhookConfig {
            name: name.into(),
            url: url.into(),
            secret: secret.into(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
        }
    }

    fn problems(&self) -> Vec<Problem> {
        let mut problems = sink_name_problems("name", &self.name);
        problems.extend(url_problem(&self.url));
        if self.secret.is_empty() {
            problems.push(Problem::new(
                "secret",
                codes::EMPTY,
                "a webhook needs a secret to sign its requests with (32 random bytes or more)",
            ));
        }
        problems.extend(timeout_problems(
            [("connect_timeout", self.connect_timeout), ("timeout", self.timeout)],
            MAX_TIMEOUT,
        ));
        problems
    }
}

fn url_problem(url: &str) -> Option<Problem> {
    let bad = |why: &str| Some(Problem::new("url", codes::INVALID_VALUE, why.to_string()));
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return bad("the webhook URL is not a URL; use http://host[:port]/path");
    };
    if uri.host().is_none_or(str::is_empty) {
        return bad("the webhook URL has no host; use http://host[:port]/path");
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return bad("the webhook URL carries credentials; put none in it (the signature authenticates the sender)");
    }
    match uri.scheme_str() {
        Some("http") => None,
        Some("https") if cfg!(feature = "https") => None,
        Some("https") => bad("https:// webhooks need trainyard's `https` feature; build with it or use http://"),
        _ => bad("the webhook URL must start with http:// (or https:// with the `https` feature)"),
    }
}

/// The `sha256=<hex>` signature of `body` under `secret`, as sent in `X-Trainyard-Signature`.
///
/// ```
/// let signature = trainyard::feed::webhook::signature("s3cret", br#"{"hello":"world"}"#);
/// assert_eq!(signature, "sha256=d5d644dccc0b0763243db8acd3c44bab4adda9a2511ed24f2ba86379ff0f8a66");
/// ```
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The delivery id of the entry at `cursor` for the sink `sink`: a UUID (v5) that is the same for
/// every attempt.
pub fn delivery_id(sink: &str, cursor: Cursor) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("trainyard-feed:{sink}:{cursor}").as_bytes()).to_string()
}

/// The JSON body POSTed for `entry` (see the [module docs](self)).
pub fn request_body(sink: &str, entry: &FeedEntry) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        delivery_id: String,
        sink: &'a str,
        entry: &'a FeedEntry,
    }
    let body = Body { delivery_id: delivery_id(sink, entry.cursor), sink, entry };
    serde_json::to_vec(&body).expect("a feed entry always serializes")
}

/// Posts feed entries to a URL (see the [module docs](self)).
pub struct WebhookSink {
    config: WebhookConfig,
    agent: ureq::Agent,
}

debug_config_only!(WebhookSink);

impl WebhookSink {
    /// A sink for `config`; `invalid_input` listing every problem (name, URL, secret, timeouts).
    /// Nothing is sent until the first delivery.
    pub fn new(config: WebhookConfig) -> crate::Result<WebhookSink> {
        Error::invalid_input_or(config.problems(), ())?;
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("trainyard/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(WebhookSink { config, agent })
    }

    /// The config (its `Debug` form redacts the URL and the secret).
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn deliver(&self, entry: &FeedEntry) -> Result<(), SinkError> {
        let body = request_body(&self.config.name, entry);
        let sent = self
            .agent
            .post(&self.config.url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, signature(&self.config.secret, &body))
            .header(DELIVERY_HEADER, delivery_id(&self.config.name, entry.cursor))
            .header(CURSOR_HEADER, entry.cursor.to_string())
            .send(&body[..]);
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return Err(transport_error(&self.config, &error)),
        };
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let mut start = Vec::new();
        // The body only explains the failure; a body that cannot be read explains nothing.
        let _ = response.body_mut().as_reader().take(MAX_ERROR_BODY as u64).read_to_end(&mut start);
        Err(status_error(&self.config.name, status, response.status().canonical_reason(), &start))
    }
}

/// What an HTTP status means: `None` delivered, `Some(true)` a retryable failure, `Some(false)`
/// a permanent one.
pub fn classify_status(status: u16) -> Option<bool> {
    match status {
        200..=299 => None,
        408 | 429 | 500..=599 => Some(true),
        _ => Some(false),
    }
}

fn status_error(sink: &str, status: u16, reason: Option<&str>, body: &[u8]) -> SinkError {
    let retryable = classify_status(status).unwrap_or(false);
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let reason = reason.map(|r| format!(" {r}")).unwrap_or_default();
    let kind = if retryable { "will retry" } else { "permanent" };
    let message = if text.is_empty() {
        format!("webhook `{sink}` answered {status}{reason} ({kind})")
    } else {
        format!("webhook `{sink}` answered {status}{reason} ({kind}): {text}")
    };
    SinkError { message, retryable }
}

fn transport_error(config: &WebhookConfig, error: &ureq::Error) -> SinkError {
    use ureq::Error as E;
    let retryable = !matches!(error, E::BadUri(_) | E::Http(_) | E::RequireHttpsOnly(_) | E::InvalidProxyUrl);
    let what = match error {
        E::Timeout(ureq::Timeout::Connect) => format!("connecting timed out after {:?}", config.connect_timeout),
        E::Timeout(_) => format!("timed out after {:?}", config.timeout),
        E::ConnectionFailed => "could not connect".to_string(),
        E::HostNotFound => "host not found".to_string(),
        E::Io(io) => format!("connection error: {}", io.kind()),
        // Other errors' texts may quote the URL: name only their kind.
        other => format!("request failed: {}", error_kind(other)),
    };
    SinkError { message: format!("webhook `{}`: {what}", config.name), retryable }
}

fn error_kind(error: &ureq::Error) -> String {
    let debug = format!("{error:?}");
    debug.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("unknown").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_delivery_id_is_stable_per_sink_and_cursor() {
        assert_eq!(delivery_id("hooks", 7), delivery_id("hooks", 7));
        assert_ne!(delivery_id("hooks", 7), delivery_id("hooks", 8));
        assert_ne!(delivery_id("hooks", 7), delivery_id("other", 7));
        assert_eq!(uuid::Uuid::parse_str(&delivery_id("hooks", 7)).unwrap().get_version_num(), 5);
    }

    #[test]
    fn statuses_are_delivered_retryable_or_permanent() {
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(classify_status(status), None, "{status}");
        }
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(classify_status(status), Some(true), "{status}");
        }
        for status in [100, 301, 302, 304, 400, 401, 403, 404, 405, 409, 410, 413, 422, 600] {
            assert_eq!(classify_status(status), Some(false), "{status}");
        }
    }

    #[test]
    fn a_status_error_names_the_status_and_the_start_of_the_body() {
        let error = status_error("hooks", 503, Some("Service Unavailable"), b" try later\n");
        assert_eq!(error.message, "webhook `hooks` answered 503 Service Unavailable (will retry): try later");
        assert!(error.retryable);
        let error = status_error("hooks", 400, None, b"");
        assert_eq!(error.message, "webhook `hooks` answered 400 (permanent)");
        assert!(!error.retryable);
    }

    #[test]
    fn bad_configs_list_every_problem() {
        let config = WebhookConfig {
            name: "".into(),
            url: "ftp://example.org/x".into(),
            secret: "".into(),
            connect_timeout: Duration::ZERO,
            timeout: Duration::from_secs(301),
        };
        let err = WebhookSink::new(config).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        let found: Vec<_> = err.problems().iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
        assert_eq!(
            found,
            [
                ("name", "empty"),
                ("url", "invalid_value"),
                ("secret", "empty"),
                ("connect_timeout", "invalid_value"),
                ("timeout", "invalid_value")
            ]
        );
        for (url, says) in [
            ("not a url", "not a URL"),
            ("http:///path", "not a URL"),
            ("http://user:pw@example.org/", "credentials"),
            ("/relative", "no host"),
        ] {
            let err = WebhookSink::new(WebhookConfig::new("hooks", url, "k")).unwrap_err();
            assert!(err.to_string().contains(says), "{url}: {err}");
            assert!(!err.to_string().contains("pw@"), "{err}");
        }
        assert!(WebhookSink::new(WebhookConfig::new("hooks", "http://127.0.0.1:9/hook?x=1", "k")).is_ok());
    }

    #[cfg(not(feature = "https"))]
    #[test]
    fn https_needs_the_feature() {
        let err = WebhookSink::new(WebhookConfig::new("hooks", "https://example.org/hook", "k")).unwrap_err();
        assert!(err.to_string().contains("`https` feature"), "{err}");
    }

    #[cfg(feature = "https")]
    #[test]
    fn https_works_with_the_feature() {
        assert!(WebhookSink::new(WebhookConfig::new("hooks", "https://example.org/hook", "k")).is_ok());
    }

    #[test]
    fn debug_output_shows_neither_the_secret_nor_the_url() {
        let sink = WebhookSink::new(WebhookConfig::new("hooks", "http://example.org/T0KEN", "hunter2")).unwrap();
        let text = format!("{sink:?}");
        assert!(text.contains("hooks"), "{text}");
        assert!(!text.contains("hunter2") && !text.contains("T0KEN"), "{text}");
    }
}

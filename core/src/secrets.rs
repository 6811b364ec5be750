//! Secrets: `secret` inputs hold references (`secret://deploy-token`), never values. A
//! [`SecretResolver`] turns references into values only when a job is handed to an executor
//! ([`resolve_job_inputs`], [`SecretResolution`]); the values never enter events, history,
//! notifications, errors or logs. A resolved value travels as a [`SecretValue`] wherever it can,
//! whose `Debug` and `Display` print `***`.
//!
//! # Redaction with exactly the values handed out
//!
//! Each secret a job names is resolved **once**, when the job is handed to an executor (in
//! process, or to an external worker by `claim_jobs`); the job carries the values it got
//! ([`crate::executor::Job::secrets`]). The engine keeps those exact values in memory, keyed by
//! job id and lease token, until the job's outcome is recorded — never in the store — and a
//! [`Redactor`] built from them replaces every occurrence by `***` in the outcome (outputs, map
//! keys included, failure messages, the structured failure's stderr tail) before anything is
//! recorded, cut or logged. A resolver is never asked again to redact, so rotating tokens and
//! resolvers that fail later are redacted all the same. Text that is cut (the `command`
//! executor's 64 KiB tails) is redacted **before** the cut ([`Redactor::tail`]), so a cut that
//! falls inside a secret keeps none of it. Besides each value, its JSON-escaped form is redacted
//! too (a value with quotes or backslashes written into a JSON `env` value).
//!
//! An outcome reported to another engine than the one that handed the job out (a shared store)
//! finds no values in memory there: that engine resolves the release's secrets again, and if any
//! cannot be resolved it records the outcome with every text withheld (string outputs become
//! `***`, the failure message says it was withheld) rather than risk a leak.
//!
//! ```
//! use indexmap::IndexMap;
//! use serde_json::json;
//! use trainyard::secrets::{MapSecretResolver, resolve_job_inputs};
//!
//! let resolver = MapSecretResolver::new([("deploy-token", "s3cr3t")]);
//! let mut with = IndexMap::new();
//! with.insert("header".to_string(), json!("Bearer secret://deploy-token"));
//! let job = resolve_job_inputs(&with, &|name: &str| name == "deploy-token", &resolver).unwrap();
//! assert_eq!(job["header"], json!("Bearer s3cr3t"));
//! // The definition's value is untouched: only the job handed to the executor holds the secret.
//! assert_eq!(with["header"], json!("Bearer secret://deploy-token"));
//! ```

use crate::model::{InputDef, InputType};
use crate::{Error, Result};
use indexmap::IndexMap;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Mutex;

/// The scheme of a secret reference: `secret://<name>`.
pub const SECRET_SCHEME: &str = "secret://";

/// The default prefix of [`EnvSecretResolver`]: `secret://deploy-token` reads
/// `TRAINYARD_SECRET_DEPLOY_TOKEN`.
pub const DEFAULT_ENV_PREFIX: &str = "TRAINYARD_SECRET_";

/// Turns a secret name (the part after `secret://`) into its value.
///
/// An error message names the secret and says why it is unavailable; it must never hold a value.
pub trait SecretResolver: Send + Sync {
    /// The value of secret `name`.
    fn resolve(&self, name: &str) -> std::result::Result<String, String>;
}

/// A resolved secret value. `Debug` and `Display` print `***`; read it with [`SecretValue::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(value.into())
    }

    /// The value itself: only for handing to an executor.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Reads each secret from an environment variable: the prefix, then the name in upper case with
/// every character other than a letter or digit turned into `_` (`deploy-token` →
/// `TRAINYARD_SECRET_DEPLOY_TOKEN`).
#[derive(Debug, Clone)]
pub struct EnvSecretResolver {
    prefix: String,
}

impl Default for EnvSecretResolver {
    fn default() -> Self {
        EnvSecretResolver { prefix: DEFAULT_ENV_PREFIX.to_string() }
    }
}

impl EnvSecretResolver {
    /// A resolver with the [`DEFAULT_ENV_PREFIX`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A resolver whose variables start with `prefix` instead.
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        EnvSecretResolver { prefix: prefix.into() }
    }

    /// The environment variable that holds secret `name`.
    pub fn variable(&self, name: &str) -> String {
        let tail: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
        format!("{}{tail}", self.prefix)
    }
}

impl SecretResolver for EnvSecretResolver {
    fn resolve(&self, name: &str) -> std::result::Result<String, String> {
        let var = self.variable(name);
        std::env::var(&var).map_err(|e| match e {
            std::env::VarError::NotPresent => format!("environment variable `{var}` is not set"),
            std::env::VarError::NotUnicode(_) => format!("environment variable `{var}` is not valid UTF-8"),
        })
    }
}

/// Secrets held in memory (tests, embedding applications that fetch them elsewhere).
#[derive(Clone, Default)]
pub struct MapSecretResolver {
    secrets: HashMap<String, SecretValue>,
}

impl fmt::Debug for MapSecretResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.secrets.keys().collect();
        names.sort();
        f.debug_struct("MapSecretResolver").field("names", &names).finish()
    }
}

impl MapSecretResolver {
    /// A resolver holding these `(name, value)` pairs.
    pub fn new<N: Into<String>, V: Into<String>>(secrets: impl IntoIterator<Item = (N, V)>) -> Self {
        MapSecretResolver { secrets: secrets.into_iter().map(|(n, v)| (n.into(), SecretValue::new(v))).collect() }
    }

    /// Adds or replaces a secret.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.secrets.insert(name.into(), SecretValue::new(value));
    }
}

impl SecretResolver for MapSecretResolver {
    fn resolve(&self, name: &str) -> std::result::Result<String, String> {
        self.secrets.get(name).map(|v| v.expose().to_string()).ok_or_else(|| "no such secret".to_string())
    }
}

/// The name in a whole-string reference (`secret://deploy-token` → `deploy-token`).
pub fn secret_name(value: &str) -> Option<&str> {
    value.strip_prefix(SECRET_SCHEME).filter(|n| !n.is_empty() && n.chars().all(is_name_char))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

/// The secret names the release's `secret` inputs refer to: the usual set of names a job may
/// resolve (pass `|n| names.contains(n)` to [`resolve_job_inputs`]).
pub fn secret_input_names(defs: &IndexMap<String, InputDef>, inputs: &IndexMap<String, Value>) -> Vec<String> {
    defs.iter()
        .filter(|(_, d)| d.ty == InputType::Secret || (d.ty == InputType::List && d.items == Some(InputType::Secret)))
        .filter_map(|(name, _)| inputs.get(name))
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
            other => other.as_str().into_iter().collect(),
        })
        .filter_map(secret_name)
        .map(str::to_string)
        .collect()
}

/// The secret names referenced anywhere inside `inputs` (whole strings or parts of strings, at
/// any depth; map keys are not looked at), each once, in order of appearance.
pub fn referenced_secret_names(inputs: &IndexMap<String, Value>) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                let mut rest = s.as_str();
                while let Some(i) = rest.find(SECRET_SCHEME) {
                    let after = &rest[i + SECRET_SCHEME.len()..];
                    let len = after.find(|c: char| !is_name_char(c)).unwrap_or(after.len());
                    if len > 0 && !out.iter().any(|n| n == &after[..len]) {
                        out.push(after[..len].to_string());
                    }
                    rest = &after[len..];
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    inputs.values().for_each(|v| walk(v, &mut out));
    out
}

/// Replaces every `secret://<name>` reference inside `inputs` (whole strings, or parts of strings,
/// inside lists and maps at any depth) by the secret's value, for handing a job to an executor.
///
/// Only names `allowed` accepts are resolved (typically those of the release's `secret` inputs:
/// [`secret_input_names`]), so a definition cannot name an arbitrary secret in `with`. An error
/// names the secret and the input holding it, never a value. Map keys are never resolved. Each
/// name is resolved once (see [`SecretResolution`], which also gives the values resolved).
pub fn resolve_job_inputs(
    inputs: &IndexMap<String, Value>,
    allowed: &dyn Fn(&str) -> bool,
    resolver: &dyn SecretResolver,
) -> Result<IndexMap<String, Value>> {
    SecretResolution::new(allowed, resolver).resolve_inputs(inputs)
}

/// Resolves the references of one job, asking the resolver **once per name**, and remembers the
/// values it handed out (for redaction: [`SecretResolution::values`], also after an error, so the
/// values resolved before a failing one can still be redacted).
///
/// ```
/// use indexmap::IndexMap;
/// use serde_json::json;
/// use trainyard::secrets::{MapSecretResolver, SecretResolution};
///
/// let resolver = MapSecretResolver::new([("deploy-token", "s3cr3t")]);
/// let mut with = IndexMap::new();
/// with.insert("a".to_string(), json!("secret://deploy-token"));
/// with.insert("b".to_string(), json!("Bearer secret://deploy-token"));
/// let mut resolution = SecretResolution::new(&|_: &str| true, &resolver);
/// let job = resolution.resolve_inputs(&with).unwrap();
/// assert_eq!(job["b"], json!("Bearer s3cr3t"));
/// assert_eq!(resolution.values().len(), 1, "one value per secret");
/// assert_eq!(resolution.values()[0].expose(), "s3cr3t");
/// ```
pub struct SecretResolution<'a> {
    allowed: &'a dyn Fn(&str) -> bool,
    resolver: &'a dyn SecretResolver,
    resolved: IndexMap<String, SecretValue>,
}

impl fmt::Debug for SecretResolution<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretResolution").field("names", &self.resolved.keys().collect::<Vec<_>>()).finish()
    }
}

impl<'a> SecretResolution<'a> {
    /// A resolution of the names `allowed` accepts through `resolver`.
    pub fn new(allowed: &'a dyn Fn(&str) -> bool, resolver: &'a dyn SecretResolver) -> Self {
        SecretResolution { allowed, resolver, resolved: IndexMap::new() }
    }

    /// `inputs` with every reference replaced by its value (see [`resolve_job_inputs`]).
    pub fn resolve_inputs(&mut self, inputs: &IndexMap<String, Value>) -> Result<IndexMap<String, Value>> {
        inputs.iter().map(|(k, v)| self.resolve_value(v, k).map(|v| (k.clone(), v))).collect()
    }

    /// The values resolved so far, one per secret name, in the order they were first resolved.
    pub fn values(&self) -> Vec<SecretValue> {
        self.resolved.values().cloned().collect()
    }

    fn resolve_value(&mut self, value: &Value, at: &str) -> Result<Value> {
        Ok(match value {
            Value::String(s) if s.contains(SECRET_SCHEME) => Value::String(self.resolve_text(s, at)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.resolve_value(v, &format!("{at}[{i}]")))
                    .collect::<Result<_>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| self.resolve_value(v, &format!("{at}.{k}")).map(|v| (k.clone(), v)))
                    .collect::<Result<_>>()?,
            ),
            other => other.clone(),
        })
    }

    fn resolve_text(&mut self, text: &str, at: &str) -> Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find(SECRET_SCHEME) {
            out.push_str(&rest[..i]);
            let after = &rest[i + SECRET_SCHEME.len()..];
            let len = after.find(|c: char| !is_name_char(c)).unwrap_or(after.len());
            let name = &after[..len];
            if name.is_empty() {
                out.push_str(SECRET_SCHEME);
            } else {
                out.push_str(self.value_of(name, at)?.expose());
            }
            rest = &after[len..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn value_of(&mut self, name: &str, at: &str) -> Result<&SecretValue> {
        if !self.resolved.contains_key(name) {
            if !(self.allowed)(name) {
                return Err(Error::Executor {
                    message: format!(
                        "job input `{at}` refers to secret `{name}`, which no `secret` input of the release names; \
                         pass secrets through `secret` inputs"
                    ),
                });
            }
            let value = self.resolver.resolve(name).map_err(|why| Error::Executor {
                message: format!("secret `{name}` (job input `{at}`) could not be resolved: {why}"),
            })?;
            self.resolved.insert(name.to_string(), SecretValue::new(value));
        }
        Ok(&self.resolved[name])
    }
}

/// What replaces a secret value: `***`.
pub const REDACTED: &str = "***";

/// Replaces every occurrence of some secret values (and of their JSON-escaped forms) by `***`.
/// Overlapping values are matched leftmost-longest, so a value that contains another is replaced
/// whole. Empty values are ignored. `Debug` shows how many values it holds, never one of them.
///
/// ```
/// use trainyard::secrets::{Redactor, SecretValue};
///
/// let r = Redactor::new(&[SecretValue::new("hunter2"), SecretValue::new("pa\"ss")]);
/// assert_eq!(r.redact("login hunter2 / {\"pw\": \"pa\\\"ss\"}"), "login *** / {\"pw\": \"***\"}");
/// // Redact, then cut: the last 7 bytes of "abc hunter2 tail" are "r2 tail"; the cut falls
/// // inside the value, so what is kept of it is the end of `***`.
/// assert_eq!(r.tail(b"abc hunter2 tail", 7), b"** tail".to_vec());
/// ```
#[derive(Clone, Default)]
pub struct Redactor {
    matcher: Option<aho_corasick::AhoCorasick>,
    patterns: usize,
    longest: usize,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor").field("patterns", &self.patterns).finish()
    }
}

impl Redactor {
    /// A redactor of these values (and of their JSON-escaped forms).
    pub fn new<'v>(values: impl IntoIterator<Item = &'v SecretValue>) -> Redactor {
        let mut patterns: Vec<String> = Vec::new();
        for value in values.into_iter().map(SecretValue::expose).filter(|v| !v.is_empty()) {
            let escaped = serde_json::to_string(value).unwrap_or_default();
            let escaped = escaped.get(1..escaped.len().saturating_sub(1)).unwrap_or_default().to_string();
            for p in [value.to_string(), escaped] {
                if !p.is_empty() && !patterns.contains(&p) {
                    patterns.push(p);
                }
            }
        }
        let longest = patterns.iter().map(String::len).max().unwrap_or(0);
        let matcher = if patterns.is_empty() {
            None
        } else {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&patterns)
                .ok()
        };
        Redactor { patterns: patterns.len(), matcher, longest }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// How many bytes before a cut a bounded capture must keep so that [`Redactor::tail`] can
    /// recognise a value the cut falls into: the longest value's length minus one.
    pub fn lookbehind(&self) -> usize {
        self.longest.saturating_sub(1)
    }

    /// `text` with every value replaced by `***`.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match &self.matcher {
            Some(m) if m.is_match(text) => Cow::Owned(m.replace_all(text, &vec![REDACTED; self.patterns])),
            _ => Cow::Borrowed(text),
        }
    }

    /// A JSON value with every string (and every map key) redacted.
    pub fn redact_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.redact(s).into_owned()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.redact_value(v)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (self.redact(k).into_owned(), self.redact_value(v))).collect())
            }
            other => other.clone(),
        }
    }

    /// Named values (outputs) with names and values redacted.
    pub fn redact_map(&self, map: &IndexMap<String, Value>) -> IndexMap<String, Value> {
        map.iter().map(|(k, v)| (self.redact(k).into_owned(), self.redact_value(v))).collect()
    }

    /// Redacts `bytes`, then keeps what follows the position `keep` bytes before their end (in
    /// the bytes as given): a value that straddles that cut becomes `***` (or the end of it), a
    /// value wholly before it is dropped with it. Give it at least [`Redactor::lookbehind`] bytes
    /// more than `keep` to recognise a value the cut falls into.
    pub fn tail(&self, bytes: &[u8], keep: usize) -> Vec<u8> {
        let cut = bytes.len().saturating_sub(keep);
        let Some(m) = &self.matcher else { return bytes[cut..].to_vec() };
        let mut out = Vec::with_capacity(keep.min(bytes.len()) + REDACTED.len());
        let mut at = cut;
        for found in m.find_iter(bytes) {
            if found.end() <= at {
                continue;
            }
            if found.start() < at {
                // The cut falls inside this value: keep as much of `***` as the cut leaves.
                let inside = found.end() - at;
                out.extend_from_slice(&REDACTED.as_bytes()[REDACTED.len().saturating_sub(inside)..]);
            } else {
                out.extend_from_slice(&bytes[at..found.start()]);
                out.extend_from_slice(REDACTED.as_bytes());
            }
            at = found.end();
        }
        out.extend_from_slice(&bytes[at..]);
        out
    }
}

/// The exact secret values handed out with each job lease, kept in memory (never stored) from
/// the moment a job is handed to an executor until its outcome is recorded.
#[derive(Debug, Default)]
pub(crate) struct HandedOut {
    ledger: Mutex<Ledger>,
}

#[derive(Debug, Default)]
struct Ledger {
    /// Counts records, to tell those older than a [`HandedOut::mark`].
    next: u64,
    /// Job id → the leases it was handed out with.
    jobs: HashMap<String, Vec<Lease>>,
    leases: usize,
    /// How many leases make [`HandedOut::needs_prune`] say yes (doubles with what stays live).
    prune_at: usize,
}

/// The fewest remembered leases at which [`HandedOut::needs_prune`] says yes.
const PRUNE_AT_LEAST: usize = 1024;

#[derive(Debug)]
struct Lease {
    token: String,
    values: Vec<SecretValue>,
    recorded: u64,
}

impl HandedOut {
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers the values handed out with lease `token` of job `job_id` (also when there are
    /// none: then the job is known to need no redaction).
    pub(crate) fn record(&self, job_id: &str, token: &str, values: Vec<SecretValue>) {
        let mut ledger = self.ledger();
        let recorded = ledger.next;
        ledger.next += 1;
        let leases = ledger.jobs.entry(job_id.to_string()).or_default();
        leases.retain(|l| l.token != token);
        leases.push(Lease { token: token.to_string(), values, recorded });
        ledger.leases = ledger.jobs.values().map(Vec::len).sum();
    }

    /// The values handed out with this lease, if this engine handed it out.
    pub(crate) fn of_lease(&self, job_id: &str, token: &str) -> Option<Vec<SecretValue>> {
        let ledger = self.ledger();
        ledger.jobs.get(job_id)?.iter().find(|l| l.token == token).map(|l| l.values.clone())
    }

    /// The values handed out with any lease of this job, if this engine handed one out.
    pub(crate) fn of_job(&self, job_id: &str) -> Option<Vec<SecretValue>> {
        let ledger = self.ledger();
        let leases = ledger.jobs.get(job_id)?;
        let mut values: Vec<SecretValue> = Vec::new();
        for v in leases.iter().flat_map(|l| &l.values) {
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
        Some(values)
    }

    /// Forgets one lease (its token went stale, or it was given back).
    pub(crate) fn forget_lease(&self, job_id: &str, token: &str) {
        let mut ledger = self.ledger();
        if let Some(leases) = ledger.jobs.get_mut(job_id) {
            leases.retain(|l| l.token != token);
            if leases.is_empty() {
                ledger.jobs.remove(job_id);
            }
        }
        ledger.leases = ledger.jobs.values().map(Vec::len).sum();
    }

    /// Forgets every lease of a job (its attempt ended).
    pub(crate) fn forget_job(&self, job_id: &str) {
        let mut ledger = self.ledger();
        ledger.jobs.remove(job_id);
        ledger.leases = ledger.jobs.values().map(Vec::len).sum();
    }

    /// How many leases are remembered.
    #[cfg(test)]
    pub(crate) fn leases(&self) -> usize {
        self.ledger().leases
    }

    /// Whether enough leases are remembered to look for those of jobs that are gone.
    pub(crate) fn needs_prune(&self) -> bool {
        let ledger = self.ledger();
        ledger.leases >= ledger.prune_at.max(PRUNE_AT_LEAST)
    }

    /// A mark to pass to [`HandedOut::prune`]: records made after it are kept.
    pub(crate) fn mark(&self) -> u64 {
        self.ledger().next
    }

    /// Forgets the leases recorded before `mark` of jobs not in `live` (jobs whose attempt ended
    /// without an outcome reported here, e.g. aborted while a worker held them).
    pub(crate) fn prune(&self, mark: u64, live: &HashSet<&str>) {
        let mut ledger = self.ledger();
        ledger.jobs.retain(|job, leases| {
            leases.retain(|l| l.recorded >= mark || live.contains(job.as_str()));
            !leases.is_empty()
        });
        ledger.leases = ledger.jobs.values().map(Vec::len).sum();
        ledger.prune_at = (2 * ledger.leases).max(PRUNE_AT_LEAST);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const VALUE: &str = "hunter2-very-secret";

    fn resolver() -> MapSecretResolver {
        MapSecretResolver::new([("deploy-token", VALUE), ("db.password", "pw")])
    }

    fn with(v: Value) -> IndexMap<String, Value> {
        v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    #[test]
    fn whole_nested_and_embedded_references_are_resolved() {
        let inputs = with(json!({
            "token": "secret://deploy-token",
            "argv": ["./deploy.sh", "--token=secret://deploy-token", 3],
            "env": { "DB": "postgres://app:secret://db.password@db/app", "plain": "x" },
            "note": "secret:// alone stays",
        }));
        let job = resolve_job_inputs(&inputs, &|_| true, &resolver()).unwrap();
        assert_eq!(job["token"], json!(VALUE));
        assert_eq!(job["argv"], json!(["./deploy.sh", format!("--token={VALUE}"), 3]));
        assert_eq!(job["env"], json!({ "DB": "postgres://app:pw@db/app", "plain": "x" }));
        assert_eq!(job["note"], json!("secret:// alone stays"));
    }

    #[test]
    fn values_never_appear_in_debug_or_display() {
        let v = SecretValue::new(VALUE);
        assert_eq!(format!("{v:?} {v}"), "*** ***");
        assert_eq!(v.expose(), VALUE);
        let r = resolver();
        assert!(!format!("{r:?}").contains(VALUE));
        assert!(format!("{r:?}").contains("deploy-token"));
    }

    #[test]
    fn errors_name_the_secret_never_a_value() {
        let inputs = with(json!({ "a": "secret://deploy-token", "b": ["secret://missing"] }));
        let err = resolve_job_inputs(&inputs, &|_| true, &resolver()).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("`missing`") && text.contains("b[0]"), "{text}");
        assert!(!text.contains(VALUE), "{text}");
    }

    #[test]
    fn only_allowed_names_are_resolved() {
        let inputs = with(json!({ "a": "x secret://deploy-token" }));
        let err = resolve_job_inputs(&inputs, &|n| n == "other", &resolver()).unwrap_err();
        assert!(err.to_string().contains("`deploy-token`"));
        assert!(!err.to_string().contains(VALUE));
    }

    #[test]
    fn secret_input_names_come_from_secret_inputs_only() {
        let defs: IndexMap<String, InputDef> = [
            ("token".to_string(), InputDef::of(InputType::Secret)),
            ("text".to_string(), InputDef::of(InputType::String)),
            ("many".to_string(), InputDef { items: Some(InputType::Secret), ..InputDef::of(InputType::List) }),
        ]
        .into_iter()
        .collect();
        let inputs = with(json!({
            "token": "secret://deploy-token",
            "text": "secret://db.password",
            "many": ["secret://a", "secret://b"],
        }));
        assert_eq!(secret_input_names(&defs, &inputs), vec!["deploy-token", "a", "b"]);
    }

    #[test]
    fn env_resolver_maps_names_to_variables() {
        let r = EnvSecretResolver::with_prefix("TRAINYARD_TEST_SECRET_");
        assert_eq!(r.variable("deploy-token"), "TRAINYARD_TEST_SECRET_DEPLOY_TOKEN");
        assert_eq!(EnvSecretResolver::new().variable("db.pw"), "TRAINYARD_SECRET_DB_PW");
        // PATH is set in every test environment; read it through a prefix-less resolver.
        let path = EnvSecretResolver::with_prefix("").resolve("path");
        assert!(path.is_ok());
        let err = r.resolve("surely-not-set-anywhere").unwrap_err();
        assert!(err.contains("TRAINYARD_TEST_SECRET_SURELY_NOT_SET_ANYWHERE"));
    }

    #[test]
    fn each_name_is_resolved_once_per_job() {
        struct Counting(std::sync::atomic::AtomicUsize);
        impl SecretResolver for Counting {
            fn resolve(&self, _: &str) -> std::result::Result<String, String> {
                Ok(format!("v{}", self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst)))
            }
        }
        let r = Counting(Default::default());
        let inputs = with(json!({ "a": "secret://x", "b": ["secret://x secret://y"], "c": { "d": "secret://x" } }));
        let mut resolution = SecretResolution::new(&|_| true, &r);
        let job = resolution.resolve_inputs(&inputs).unwrap();
        assert_eq!(job["a"], json!("v0"));
        assert_eq!(job["b"], json!(["v0 v1"]));
        assert_eq!(job["c"], json!({ "d": "v0" }));
        assert_eq!(resolution.values().iter().map(SecretValue::expose).collect::<Vec<_>>(), ["v0", "v1"]);
        assert!(!format!("{resolution:?}").contains("v0"));
    }

    #[test]
    fn values_resolved_before_a_failing_one_are_kept_for_redaction() {
        let inputs = with(json!({ "a": "secret://deploy-token", "b": "secret://missing" }));
        let r = resolver();
        let mut resolution = SecretResolution::new(&|_| true, &r);
        assert!(resolution.resolve_inputs(&inputs).is_err());
        assert_eq!(resolution.values(), vec![SecretValue::new(VALUE)]);
    }

    #[test]
    fn referenced_names_are_found_anywhere_once() {
        let inputs = with(json!({ "a": "x secret://one y secret://two", "b": [{ "c": "secret://one" }], "d": 3 }));
        assert_eq!(referenced_secret_names(&inputs), ["one", "two"]);
        assert!(referenced_secret_names(&with(json!({ "a": "secret:// alone" }))).is_empty());
    }

    #[test]
    fn the_redactor_replaces_longest_values_and_escaped_forms() {
        let r = Redactor::new(&[SecretValue::new("abc"), SecretValue::new("abcdef"), SecretValue::new("")]);
        assert_eq!(r.redact("xabcdefx abc"), "x***x ***", "the longer value is replaced whole");
        assert_eq!(r.lookbehind(), 5);
        let q = Redactor::new(&[SecretValue::new("a\\b\"c")]);
        assert_eq!(q.redact("raw a\\b\"c json a\\\\b\\\"c"), "raw *** json ***");
        assert!(Redactor::new(&[SecretValue::new("")]).is_empty());
        assert_eq!(Redactor::default().redact("abc"), "abc");
        assert!(!format!("{r:?}").contains("abc"));
        let v = r.redact_value(&json!({ "abc": ["abc", 1, { "k": "zabc" }] }));
        assert_eq!(v, json!({ "***": ["***", 1, { "k": "z***" }] }));
    }

    #[test]
    fn the_tail_is_cut_after_redacting() {
        let r = Redactor::new(&[SecretValue::new("SECRET")]);
        // The cut before, inside and after the value; a value wholly before the cut is dropped.
        assert_eq!(r.tail(b"xxSECRETyy", 10), b"xx***yy".to_vec());
        assert_eq!(r.tail(b"xxSECRETyy", 7), b"***yy".to_vec());
        assert_eq!(r.tail(b"xxSECRETyy", 4), b"**yy".to_vec());
        assert_eq!(r.tail(b"xxSECRETyy", 2), b"yy".to_vec());
        assert_eq!(r.tail(b"SECRETSECRET", 8), b"*****".to_vec(), "the end of one `***`, then another");
        assert_eq!(Redactor::default().tail(b"abcdef", 3), b"def".to_vec());
    }

    #[test]
    fn the_ledger_keeps_values_per_lease_until_forgotten() {
        let h = HandedOut::default();
        h.record("j1", "t1", vec![SecretValue::new("a")]);
        h.record("j1", "t2", vec![SecretValue::new("b"), SecretValue::new("a")]);
        h.record("j2", "t3", vec![]);
        assert_eq!(h.of_lease("j1", "t1"), Some(vec![SecretValue::new("a")]));
        assert_eq!(h.of_lease("j1", "nope"), None);
        assert_eq!(h.of_job("j1"), Some(vec![SecretValue::new("a"), SecretValue::new("b")]), "the union of its leases");
        assert_eq!(h.of_job("j2"), Some(vec![]), "known to need no redaction");
        assert_eq!(h.of_job("j3"), None, "not handed out here");
        h.forget_lease("j1", "t1");
        assert_eq!(h.of_lease("j1", "t1"), None);
        assert_eq!(h.leases(), 2);
        h.forget_job("j1");
        assert_eq!(h.of_job("j1"), None);
        // Pruning forgets leases of jobs that are gone, recorded before the mark only.
        let mark = h.mark();
        h.record("j4", "t4", vec![]);
        h.prune(mark, &HashSet::new());
        assert_eq!(h.of_job("j2"), None, "gone and older than the mark");
        assert_eq!(h.of_job("j4"), Some(vec![]), "recorded after the mark");
    }
}

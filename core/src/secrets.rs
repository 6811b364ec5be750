//! Secrets: `secret` inputs hold references (`secret://deploy-token`), never values. A
//! [`SecretResolver`] turns references into values only when a job is handed to an executor
//! ([`resolve_job_inputs`]); the values never enter events, history, notifications, errors or
//! logs. A resolved value travels as a [`SecretValue`] wherever it can, whose `Debug` and
//! `Display` print `***`.
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
use std::collections::HashMap;
use std::fmt;

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

/// Replaces every `secret://<name>` reference inside `inputs` (whole strings, or parts of strings,
/// inside lists and maps at any depth) by the secret's value, for handing a job to an executor.
///
/// Only names `allowed` accepts are resolved (typically those of the release's `secret` inputs:
/// [`secret_input_names`]), so a definition cannot name an arbitrary secret in `with`. An error
/// names the secret and the input holding it, never a value. Map keys are never resolved.
pub fn resolve_job_inputs(
    inputs: &IndexMap<String, Value>,
    allowed: &dyn Fn(&str) -> bool,
    resolver: &dyn SecretResolver,
) -> Result<IndexMap<String, Value>> {
    inputs.iter().map(|(k, v)| resolve_value(v, k, allowed, resolver).map(|v| (k.clone(), v))).collect()
}

fn resolve_value(
    value: &Value,
    at: &str,
    allowed: &dyn Fn(&str) -> bool,
    resolver: &dyn SecretResolver,
) -> Result<Value> {
    Ok(match value {
        Value::String(s) if s.contains(SECRET_SCHEME) => Value::String(resolve_text(s, at, allowed, resolver)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| resolve_value(v, &format!("{at}[{i}]"), allowed, resolver))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| resolve_value(v, &format!("{at}.{k}"), allowed, resolver).map(|v| (k.clone(), v)))
                .collect::<Result<_>>()?,
        ),
        other => other.clone(),
    })
}

fn resolve_text(text: &str, at: &str, allowed: &dyn Fn(&str) -> bool, resolver: &dyn SecretResolver) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(SECRET_SCHEME) {
        out.push_str(&rest[..i]);
        let after = &rest[i + SECRET_SCHEME.len()..];
        let len = after.find(|c: char| !is_name_char(c)).unwrap_or(after.len());
        let name = &after[..len];
        if name.is_empty() {
            out.push_str(SECRET_SCHEME);
        } else if !allowed(name) {
            return Err(Error::Executor {
                message: format!(
                    "job input `{at}` refers to secret `{name}`, which no `secret` input of the release names; \
                     pass secrets through `secret` inputs"
                ),
            });
        } else {
            let value = resolver.resolve(name).map_err(|why| Error::Executor {
                message: format!("secret `{name}` (job input `{at}`) could not be resolved: {why}"),
            })?;
            out.push_str(&value);
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    Ok(out)
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
}

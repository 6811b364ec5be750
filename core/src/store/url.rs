//! Choosing a backend from a URL: `memory://`, `sqlite://path` (relative) or `sqlite:///abs/path`,
//! `postgres://user[:password]@host[:port]/db[?schema=NAME]` (also `postgresql://`).
//!
//! A `postgres://` URL without `schema=` works in the connection's default schema (normally
//! `public`). trainyard creates its tables there only if that schema is empty or already
//! trainyard's: a schema holding other tables is refused with a `storage` error naming them, so
//! that trainyard never mixes its tables with an application's. Pass `?schema=NAME` to give it a
//! schema of its own (created if missing).

use super::{MemoryStore, SqliteStore, Store};
use crate::{Error, Result};
use std::sync::Arc;

/// `url` with its password (if any) replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***{host}{tail}"),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

fn bad(url: &str, why: impl std::fmt::Display) -> Error {
    Error::Storage { message: format!("cannot open store `{}`: {why}", redact_url(url)) }
}

/// Opens the store a URL names. A malformed URL, an unknown scheme or an unreachable database is
/// an [`Error::Storage`] naming the URL without its password; a database written by a newer
/// trainyard is an [`Error::UnsupportedVersion`].
///
/// ```
/// let store = trainyard::store::open("memory://").unwrap();
/// assert!(store.list_processes().unwrap().is_empty());
/// let err = trainyard::store::open("mysql://root:hunter2@db/x").err().unwrap();
/// assert_eq!(err.code(), "storage");
/// assert!(!err.to_string().contains("hunter2"));
/// ```
pub fn open(url: &str) -> Result<Arc<dyn Store>> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(bad(url, "expected `memory://`, `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`"));
    };
    match scheme {
        "memory" => Ok(Arc::new(MemoryStore::new())),
        "sqlite" => {
            let path = rest.split_once('?').map_or(rest, |(p, _)| p);
            if path.is_empty() {
                return Err(bad(url, "no file path (use `sqlite://relative.db` or `sqlite:///absolute/path.db`)"));
            }
            if path == ":memory:" {
                return SqliteStore::open_in_memory().map(|s| Arc::new(s) as Arc<dyn Store>);
            }
            SqliteStore::open(path).map(|s| Arc::new(s) as Arc<dyn Store>).map_err(|e| match e {
                // A database of a newer trainyard keeps its own code (it already names the file).
                Error::UnsupportedVersion { .. } => e,
                e => bad(url, e),
            })
        }
        "postgres" | "postgresql" => open_postgres(url),
        other => Err(bad(url, format!("unknown scheme `{other}`; expected memory, sqlite or postgres"))),
    }
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Arc<dyn Store>> {
    super::PostgresStore::open(url).map(|s| Arc::new(s) as Arc<dyn Store>)
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(url: &str) -> Result<Arc<dyn Store>> {
    Err(bad(url, "this build of trainyard has no PostgreSQL backend (enable the `postgres` feature)"))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db?schema=x"), "postgres://u:***@h:5432/db?schema=x");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(redact_url("nonsense"), "nonsense");
    }
}

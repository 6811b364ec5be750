//! Shared by the storage tests: fresh stores on every backend, the PostgreSQL test URL.
//!
//! PostgreSQL tests read `TRAINYARD_TEST_POSTGRES` (e.g. `postgres://postgres@127.0.0.1:5432/test`).
//! Each store gets its own schema, dropped when the [`Fresh`] guard goes. When the variable is
//! unset the tests say so loudly and pass, except in CI (`CI` set), where they fail.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(feature = "postgres")]
use trainyard::store::PostgresStore;
use trainyard::store::{SqliteStore, Store};

/// The PostgreSQL server to test against, or `None` (outside CI only) with a loud note.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TRAINYARD_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(
                !ci,
                "TRAINYARD_TEST_POSTGRES is not set: the PostgreSQL tests are required in CI \
                 (e.g. TRAINYARD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test)"
            );
            eprintln!(
                "\n*** SKIPPING the PostgreSQL part of this test: TRAINYARD_TEST_POSTGRES is not set \
                 (set it to e.g. postgres://postgres@127.0.0.1:5432/test; in CI it is required) ***\n"
            );
            None
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A schema name no other run uses.
pub fn unique_schema(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("ty_{tag}_{}_{n}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// `base` with a `schema` option added.
pub fn with_schema(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}schema={schema}")
}

/// A store with its own PostgreSQL schema, dropped on drop.
#[cfg(feature = "postgres")]
pub struct Fresh {
    pub url: String,
    pub store: Arc<PostgresStore>,
}

#[cfg(feature = "postgres")]
impl Fresh {
    pub fn new(base: &str, tag: &str) -> Fresh {
        let url = with_schema(base, &unique_schema(tag));
        let store = Arc::new(PostgresStore::open(&url).unwrap_or_else(|e| panic!("{e}")));
        Fresh { url, store }
    }

    pub fn dyn_store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

#[cfg(feature = "postgres")]
impl Drop for Fresh {
    fn drop(&mut self) {
        if let Err(e) = self.store.drop_schema() {
            eprintln!("could not drop test schema of {}: {e}", self.url);
        }
    }
}

/// A fresh SQLite store in a temporary directory (kept alive by the returned guard).
pub fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(dir.path().join("trainyard.db")).expect("sqlite store");
    (dir, Arc::new(store))
}

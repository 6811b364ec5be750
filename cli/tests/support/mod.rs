//! Running the built `trainyard` binary against fresh stores (SQLite files; PostgreSQL schemas
//! when `TRAINYARD_TEST_POSTGRES` is set).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_trainyard")
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Runs `trainyard ARGS` with `TRAINYARD_DB=db` (when given) in `dir`.
pub fn ty(db: Option<&str>, dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(bin());
    c.args(args).current_dir(dir).env_remove("TRAINYARD_DB").env("NO_COLOR", "1");
    if let Some(db) = db {
        c.env("TRAINYARD_DB", db);
    }
    c.output().expect("the trainyard binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output parsed as one JSON document.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
}

/// The exit code, asserting it.
#[track_caller]
pub fn code(o: &Output, expected: i32) {
    assert_eq!(o.status.code(), Some(expected), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
}

/// A store to test against; its PostgreSQL schema is dropped on drop.
pub struct Store {
    pub url: String,
    pub dir: tempfile::TempDir,
    /// PostgreSQL: (base URL, schema).
    pg: Option<(String, String)>,
}

impl Store {
    /// A SQLite file in a temporary directory.
    pub fn sqlite() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("releases.db").display());
        Store { url, dir, pg: None }
    }

    /// A fresh schema on the server at `TRAINYARD_TEST_POSTGRES`, or `None` (with a loud note)
    /// when it is unset outside CI; in CI it is required.
    pub fn postgres() -> Option<Store> {
        let base = match std::env::var("TRAINYARD_TEST_POSTGRES") {
            Ok(u) if !u.trim().is_empty() => u,
            _ => {
                let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
                assert!(!ci, "TRAINYARD_TEST_POSTGRES is not set: the PostgreSQL CLI tests are required in CI");
                eprintln!("\n*** SKIPPING the PostgreSQL part: TRAINYARD_TEST_POSTGRES is not set ***\n");
                return None;
            }
        };
        static N: AtomicUsize = AtomicUsize::new(0);
        let schema = format!("ty_cli_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}schema={schema}");
        Some(Store { url, dir: tempfile::tempdir().unwrap(), pg: Some((base, schema)) })
    }

    /// Every store to run a test against.
    pub fn all() -> Vec<Store> {
        let mut out = vec![Store::sqlite()];
        out.extend(Store::postgres());
        out
    }

    /// Runs `trainyard ARGS` on this store.
    pub fn ty(&self, args: &[&str]) -> Output {
        ty(Some(&self.url), self.dir.path(), args)
    }

    /// Runs one SQL statement on the store behind the engine's back; returns the rows changed.
    pub fn sql(&self, statement: &str) -> u64 {
        match &self.pg {
            None => {
                let path = self.url.trim_start_matches("sqlite://");
                rusqlite::Connection::open(path).unwrap().execute(statement, []).unwrap() as u64
            }
            Some((base, schema)) => {
                let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO {schema}")).unwrap();
                c.execute(statement, &[]).unwrap()
            }
        }
    }

    /// Which backend, for messages.
    pub fn name(&self) -> &'static str {
        if self.pg.is_some() { "postgres" } else { "sqlite" }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg {
            if let Ok(mut c) = postgres::Client::connect(base, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// Polls `check` until it holds or `seconds` pass (then fails with `what`).
#[track_caller]
pub fn eventually(seconds: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

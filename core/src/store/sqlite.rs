//! The SQLite backend (the embedded default): one file, WAL journal, schema migrations recorded
//! in a `schema_version` table. One connection per store, used under a mutex; several processes
//! may open the same file (writers take the database lock with `BEGIN IMMEDIATE` and wait up to
//! the busy timeout).
//!
//! What is SQLite's own here: connecting and migrating, the connection's statement cache (every
//! statement is prepared once and reused; the query planner's stability guarantee is on, so a
//! statement is never compiled again because a bound value changed), lists bound as JSON arrays
//! read with `json_each` (so a claim's list of executors is one cached statement whatever its
//! length), and claims that read first: while the store knows that nothing can be due or queued
//! (see `sql::idle`: bounds learned from the database, lowered by its own writes, forgotten when
//! `PRAGMA data_version` says another connection committed) a claim runs no query at all, and
//! one that finds nothing takes no write lock. A claim that finds something is one statement in
//! autocommit (one write transaction). The counters [`SqliteStore::statements_run`],
//! [`SqliteStore::write_transactions`] and [`SqliteStore::statements_reprepared`] show what a call
//! cost. The store logic is [`super::sql::SqlStore`].

use super::sql::dialect::{Conn, Dialect, Row, Value, row, write};
use super::sql::schema::{DdlTypes, migrate};
use super::sql::statements::Statements;
use super::sql::{SqlStore, store_via_sql};
use crate::{Error, Result};
use rusqlite::StatementStatus;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Prepared statements kept per connection: more than the store can make (its ~35 statements
/// and the 512 shapes of release queries), so none is ever prepared twice.
const STATEMENT_CACHE: usize = 1024;

/// A [`super::Store`] in one SQLite file.
pub struct SqliteStore {
    sql: SqlStore<Sqlite>,
}

/// The SQLite dialect: the store's one connection, and what wakes this process's feed waiters.
pub(crate) struct Sqlite {
    conn: Mutex<SqliteConn>,
    /// Counts this store's appends that wrote a feed entry; waiters sleep on `feed_written`.
    feed_generation: Mutex<u64>,
    feed_written: Condvar,
}

/// How often a feed waiter looks whether another connection (another process) committed:
/// `PRAGMA data_version` changes when one did. Appends through this store wake waiters at once.
const FEED_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// A connection, the label of its file (for messages) and its counters.
pub(crate) struct SqliteConn {
    conn: Connection,
    label: String,
    stats: Arc<Stats>,
}

/// Counters of what a store's connection ran.
#[derive(Debug, Default)]
struct Stats {
    statements: AtomicU64,
    write_transactions: AtomicU64,
    reprepared: AtomicU64,
}

fn db(label: &str, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation)
            if matches!(
                e.sqlite_error().map(|f| f.extended_code),
                Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
            ) =>
        {
            Error::Conflict { message: format!("concurrent write refused by the database: {e}") }
        }
        _ => Error::Storage { message: format!("sqlite {label}: {e}") },
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and migrates its schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let label = path.as_ref().display().to_string();
        let conn = Connection::open(path.as_ref()).map_err(|e| db(&label, e))?;
        Self::init(conn, label)
    }

    /// A private in-memory SQLite database (tests).
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(|e| db(":memory:", e))?;
        Self::init(conn, ":memory:".into())
    }

    fn init(conn: Connection, label: String) -> Result<Self> {
        let e = |e| db(&label, e);
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(e)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(e)?;
        // NORMAL in WAL mode: a commit survives a crash of the process (the WAL is in the OS's
        // hands); only an OS crash or power loss may lose the last transactions.
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(e)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // The query planner never looks at bound values: a cached statement keeps its plan and is
        // never compiled again because a parameter changed (with STAT4 data it otherwise would be).
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(e)?;
        let mut conn = SqliteConn { conn, label, stats: Arc::default() };
        let label = conn.label.clone();
        write(&mut conn, |c| migrate::<Sqlite>(c, &format!("sqlite {label}")))?;
        let dialect = Sqlite { conn: Mutex::new(conn), feed_generation: Mutex::new(0), feed_written: Condvar::new() };
        Ok(SqliteStore { sql: SqlStore::new(dialect) })
    }

    /// The schema version of the open database (number of migrations applied).
    pub fn schema_version(&self) -> Result<u32> {
        self.sql.schema_version()
    }

    /// How many statements this store ran so far (each query or change once; `BEGIN` and
    /// `COMMIT` included).
    pub fn statements_run(&self) -> u64 {
        self.stats().statements.load(Ordering::Relaxed)
    }

    /// How many write transactions (each takes the database's write lock and commits) this store
    /// ran so far: every `BEGIN IMMEDIATE`, and every statement that writes outside one.
    pub fn write_transactions(&self) -> u64 {
        self.stats().write_transactions.load(Ordering::Relaxed)
    }

    /// How many times SQLite compiled one of this store's cached statements again after its
    /// first preparation (0 while every statement keeps its plan).
    pub fn statements_reprepared(&self) -> u64 {
        self.stats().reprepared.load(Ordering::Relaxed)
    }

    fn stats(&self) -> Arc<Stats> {
        self.sql.dialect.with_conn(|c| Ok(c.stats.clone())).unwrap_or_default()
    }
}

store_via_sql!(SqliteStore, sql);

impl Dialect for Sqlite {
    type Conn = SqliteConn;

    const TYPES: DdlTypes = DdlTypes {
        big_int: "INTEGER",
        serial_key: "INTEGER PRIMARY KEY AUTOINCREMENT",
        without_rowid: " WITHOUT ROWID",
        feed_key: "INTEGER PRIMARY KEY AUTOINCREMENT",
        byte_order: "",
    };
    const FOR_UPDATE: &'static str = "";
    const SKIP_LOCKED: &'static str = "";
    const NEW_TOKEN: &'static str = "lower(hex(randomblob(16)))";
    const CLAIM_READS_FIRST: bool = true;
    const COUNTS_LABELS: bool = true;
    const POSITION: &'static str = "instr";
    const FEED_CURSOR: &'static str = "NULL";
    const FEED_VISIBLE: &'static str = "";

    fn with_conn<T>(&self, f: impl FnOnce(&mut SqliteConn) -> Result<T>) -> Result<T> {
        let mut conn: MutexGuard<'_, SqliteConn> = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut conn)
    }

    fn in_list(column: &str, param: usize) -> String {
        format!("{column} IN (SELECT value FROM json_each(?{param}))")
    }

    fn lock_table(_conn: &mut SqliteConn, _table: &str) -> Result<()> {
        Ok(())
    }

    fn data_version(conn: &mut SqliteConn) -> Result<Option<i64>> {
        row(conn, "PRAGMA data_version", &[], |r| r.int(0))
    }

    fn feed_written(&self) {
        *self.feed_generation.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.feed_written.notify_all();
    }

    /// Wakes on this store's own appends at once (a condition variable), and on other
    /// connections' commits within [`FEED_POLL`] (`PRAGMA data_version`, which changes when another
    /// connection committed; it reads no table).
    fn wait_for_feed(&self, sql: &Statements, after: i64, timeout: std::time::Duration) -> Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        // What was looked at last: the connection's data_version and this store's generation.
        let mut looked: Option<(Option<i64>, u64)> = None;
        loop {
            let generation = *self.feed_generation.lock().unwrap_or_else(|e| e.into_inner());
            let found = self.with_conn(|c| {
                let version = row(c, "PRAGMA data_version", &[], |r| r.int(0))?;
                if looked == Some((version, generation)) {
                    return Ok(false);
                }
                looked = Some((version, generation));
                Ok(row(c, &sql.any_feed_after, &[Value::Int(after)], |_| Ok(()))?.is_some())
            })?;
            let now = std::time::Instant::now();
            if found || now >= deadline {
                return Ok(());
            }
            let guard = self.feed_generation.lock().unwrap_or_else(|e| e.into_inner());
            let _woken = self
                .feed_written
                .wait_timeout_while(guard, FEED_POLL.min(deadline - now), |g| *g == generation)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A parameter as SQLite binds it (lists as JSON arrays, for `json_each`).
struct Bind<'a>(Value<'a>);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(i)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Texts(list) => ToSqlOutput::from(serde_json::to_string(list).unwrap_or_else(|_| "[]".into())),
            Value::Ints(list) => ToSqlOutput::from(serde_json::to_string(list).unwrap_or_else(|_| "[]".into())),
        })
    }
}

fn binds<'a>(params: &[Value<'a>]) -> Vec<Bind<'a>> {
    params.iter().map(|p| Bind(*p)).collect()
}

struct SqliteRow<'r, 's>(&'r rusqlite::Row<'s>, &'r str);

impl Row for SqliteRow<'_, '_> {
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.0.get_ref(i).map_err(|e| db(self.1, e))? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(v) => Ok(Some(v)),
            other => {
                Err(Error::Storage { message: format!("sqlite {}: column {i} is {other:?}, not an integer", self.1) })
            }
        }
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        match self.0.get_ref(i).map_err(|e| db(self.1, e))? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(Some)
                .map_err(|e| Error::Storage { message: format!("sqlite {}: column {i} is not UTF-8: {e}", self.1) }),
            other => Err(Error::Storage { message: format!("sqlite {}: column {i} is {other:?}, not text", self.1) }),
        }
    }
}

impl SqliteConn {
    fn run(&mut self, sql: &str) -> Result<()> {
        self.execute(sql, &[]).map(|_| ())
    }
}

/// Counts a statement run (and, outside a transaction, a write as a write transaction of its
/// own) and whether SQLite compiled it again since it last ran.
fn counted(stats: &Stats, stmt: &rusqlite::Statement<'_>, autocommit: bool) {
    stats.statements.fetch_add(1, Ordering::Relaxed);
    if autocommit && !stmt.readonly() {
        stats.write_transactions.fetch_add(1, Ordering::Relaxed);
    }
    let again = stmt.reset_status(StatementStatus::RePrepare);
    if again > 0 {
        stats.reprepared.fetch_add(again as u64, Ordering::Relaxed);
    }
}

impl Conn for SqliteConn {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
        let label = &self.label;
        let autocommit = self.conn.is_autocommit();
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| db(label, e))?;
        let n = stmt.execute(rusqlite::params_from_iter(binds(params)));
        counted(&self.stats, &stmt, autocommit);
        Ok(n.map_err(|e| db(label, e))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value<'_>], each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()> {
        let label = &self.label;
        // `PRAGMA data_version` reads a counter (SQLite does not call it read-only).
        let autocommit = self.conn.is_autocommit() && !sql.starts_with("PRAGMA");
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| db(label, e))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(binds(params))).map_err(|e| db(label, e))?;
        let mut out = Ok(());
        loop {
            match rows.next() {
                Ok(Some(r)) => {
                    if let Err(e) = each(&SqliteRow(r, label)) {
                        out = Err(e);
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    out = Err(db(label, e));
                    break;
                }
            }
        }
        drop(rows);
        counted(&self.stats, &stmt, autocommit);
        out
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| db(&self.label, e))
    }

    fn begin_write(&mut self) -> Result<()> {
        self.stats.write_transactions.fetch_add(1, Ordering::Relaxed);
        self.run("BEGIN IMMEDIATE")
    }

    fn commit(&mut self) -> Result<()> {
        self.run("COMMIT")
    }

    fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.run("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::search::search_sql;
    use crate::store::{SearchFilter, SearchSort, SortField};

    /// The query plan of a search for one label, newest first.
    fn plan(store: &SqliteStore, driving: Option<usize>) -> String {
        let labels = [("team".to_string(), "payments".to_string())].into_iter().collect();
        let filter = SearchFilter { labels, ..Default::default() };
        let sort = SearchSort { field: SortField::CreatedAt, descending: true };
        let (sql, params) = search_sql::<Sqlite>(&filter, sort, None, 50, driving);
        let values: Vec<Value<'_>> = params.iter().map(|p| p.value()).collect();
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let steps = store
            .sql
            .dialect
            .with_conn(|c| super::super::sql::dialect::rows(c, &explain, &values, |r| Ok(r.text(3)?.to_string())));
        steps.unwrap().join("\n")
    }

    #[test]
    fn a_common_label_is_probed_per_row_while_the_sort_index_is_walked() {
        let store = SqliteStore::open_in_memory().unwrap();
        let probed = plan(&store, None);
        assert!(probed.contains("releases_by_created"), "walks the sort index: {probed}");
        assert!(!probed.contains("TEMP B-TREE"), "no sort of the matches: {probed}");
        // Per row of the sort index, one indexed lookup of the label by release (SQLite words it
        // as a correlated subquery or as an EXISTS search, depending on its version).
        let probe = probed.lines().find(|l| l.contains("SEARCH") && l.contains("release=?") && l.contains("key=?"));
        assert!(probe.is_some(), "probes the labels per row by release: {probed}");
        // A rare label drives: its rows are read (by key), then sorted.
        let driven = plan(&store, Some(0));
        assert!(driven.contains("release_labels USING PRIMARY KEY (key=? AND value=?)"), "{driven}");
        assert!(!driven.contains("CORRELATED"), "{driven}");
    }
}

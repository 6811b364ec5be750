//! The SQLite backend (the embedded default): one file, WAL journal, schema migrations recorded
//! in a `schema_version` table. One connection per store, used under a mutex; several processes
//! may open the same file (writers take the database lock with `BEGIN IMMEDIATE` and wait up to
//! the busy timeout).
//!
//! What is SQLite's own here: connecting and migrating, the connection's statement cache (every
//! statement is prepared once and reused; the query planner's stability guarantee is on, so a
//! cached statement is never compiled again because a bound value changed, which SQLite's STAT4
//! planner would otherwise do on every new binding of an indexed comparison), lists bound as JSON
//! arrays read with `json_each` (so a claim's list of executors is one cached statement whatever
//! its length), and claims that read first: a `tick` with nothing due and no job queued takes no
//! write lock. The counters [`SqliteStore::statements_run`], [`SqliteStore::write_transactions`]
//! and [`SqliteStore::statements_reprepared`] show what calls cost. The store logic is
//! [`super::sql::SqlStore`].

use super::sql::dialect::{Conn, Dialect, Row, Value, row, write};
use super::sql::schema::{DdlTypes, migrate};
use super::sql::statements::Statements;
use super::sql::{SqlStore, store_via_sql};
use crate::{Error, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, StatementStatus};
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
    /// What the connection ran (shared with it).
    stats: Arc<Stats>,
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
    /// Statements run (queries and changes, `BEGIN` and `COMMIT` included).
    statements: AtomicU64,
    /// Write transactions: each `BEGIN IMMEDIATE`, and each changing statement run outside one.
    write_transactions: AtomicU64,
    /// Times SQLite compiled a cached statement again after its first preparation.
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
        // The query planner's stability guarantee: a cached statement keeps its plan and is never
        // compiled again because a bound value changed (with STAT4 it otherwise is, on the first
        // step after each new binding of a parameter compared to an indexed column).
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(e)?;
        let stats = Arc::<Stats>::default();
        let mut conn = SqliteConn { conn, label, stats: stats.clone() };
        let label = conn.label.clone();
        write(&mut conn, |c| migrate::<Sqlite>(c, &format!("sqlite {label}")))?;
        // The migration's DDL made SQLite compile the statements it had run again: that is not a
        // cost of the store's calls, so the counters start here.
        conn.conn.flush_prepared_statement_cache();
        stats.statements.store(0, Ordering::Relaxed);
        stats.write_transactions.store(0, Ordering::Relaxed);
        stats.reprepared.store(0, Ordering::Relaxed);
        let dialect =
            Sqlite { conn: Mutex::new(conn), stats, feed_generation: Mutex::new(0), feed_written: Condvar::new() };
        Ok(SqliteStore { sql: SqlStore::new(dialect) })
    }

    /// The schema version of the open database (number of migrations applied).
    pub fn schema_version(&self) -> Result<u32> {
        self.sql.schema_version()
    }

    /// How many statements this store ran since it was opened (each query or change once,
    /// `BEGIN IMMEDIATE` and `COMMIT` included).
    pub fn statements_run(&self) -> u64 {
        self.sql.dialect.stats.statements.load(Ordering::Relaxed)
    }

    /// How many write transactions this store ran since it was opened: each takes the database's
    /// write lock and commits. Every `BEGIN IMMEDIATE` counts, and every changing statement run
    /// outside one (a transaction of its own); reads take no write lock and do not count.
    pub fn write_transactions(&self) -> u64 {
        self.sql.dialect.stats.write_transactions.load(Ordering::Relaxed)
    }

    /// How many times SQLite compiled one of this store's cached statements again after its first
    /// preparation since the store was opened (0 while every statement keeps its plan).
    pub fn statements_reprepared(&self) -> u64 {
        self.sql.dialect.stats.reprepared.load(Ordering::Relaxed)
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

/// Runs a cached query, handing each row to `each` (the statement is reset when this returns).
fn read_rows(
    stmt: &mut rusqlite::Statement<'_>,
    params: &[Value<'_>],
    label: &str,
    each: &mut dyn FnMut(&dyn Row) -> Result<()>,
) -> Result<()> {
    let mut rows = stmt.query(rusqlite::params_from_iter(binds(params))).map_err(|e| db(label, e))?;
    while let Some(r) = rows.next().map_err(|e| db(label, e))? {
        each(&SqliteRow(r, label))?;
    }
    Ok(())
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
    /// Runs a transaction statement (`BEGIN IMMEDIATE`, `COMMIT`, `ROLLBACK`): cached and counted
    /// as a statement; the caller counts the write transaction.
    fn run(&mut self, sql: &str) -> Result<()> {
        let label = &self.label;
        let stmt = self.conn.prepare_cached(sql).map_err(|e| db(label, e));
        let n = stmt.and_then(|mut s| s.execute([]).map_err(|e| db(label, e)));
        self.stats.statements.fetch_add(1, Ordering::Relaxed);
        n.map(|_| ())
    }
}

/// Counts a statement that ran: a write transaction of its own when it changes the database
/// outside a transaction, and the times SQLite compiled it again since it last ran.
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
        let autocommit = self.conn.is_autocommit();
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| db(label, e))?;
        let out = read_rows(&mut stmt, params, label, each);
        counted(&self.stats, &stmt, autocommit);
        out
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| db(&self.label, e))
    }

    fn begin_write(&mut self) -> Result<()> {
        // `BEGIN IMMEDIATE` takes the database's write lock: one write transaction.
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

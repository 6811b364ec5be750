//! What a SQL backend provides to [`super::SqlStore`]: connections, a tiny neutral value type
//! for parameters and rows, write transactions, the few clauses that differ, and the DDL types.
//!
//! Statements are written once with numbered `?N` placeholders (SQLite's own syntax); a dialect
//! may rewrite them once, when the store is built ([`Dialect::placeholders`]). Every statement
//! runs through the connection's statement cache, keyed by its final SQL text.

use super::schema::DdlTypes;
use super::statements::Statements;
use crate::Result;

/// A bound parameter, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// SQL `NULL`.
    Null,
    /// An integer (bound as the width the statement expects).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// A list of texts (a `TEXT[]` on PostgreSQL, a JSON array for `json_each` on SQLite).
    Texts(&'a [String]),
    /// A list of integers (a `BIGINT[]` on PostgreSQL, a JSON array on SQLite).
    Ints(&'a [i64]),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(v)
    }
}

impl From<Option<i64>> for Value<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::Null, Value::Int)
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

impl<'a> From<&'a [String]> for Value<'a> {
    fn from(v: &'a [String]) -> Self {
        Value::Texts(v)
    }
}

/// One result row, read by column position.
pub(crate) trait Row {
    /// An integer column (any integer width), `None` when `NULL`.
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    /// A text column, `None` when `NULL`.
    fn opt_text(&self, i: usize) -> Result<Option<&str>>;

    /// A non-null integer column.
    fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?.ok_or_else(|| null_column(i))
    }
    /// A non-null text column.
    fn text(&self, i: usize) -> Result<&str> {
        self.opt_text(i)?.ok_or_else(|| null_column(i))
    }
}

fn null_column(i: usize) -> crate::Error {
    crate::Error::Storage { message: format!("stored column {i} is unexpectedly NULL") }
}

/// A connection of a dialect. Errors come back already mapped to [`crate::Error`]: a unique
/// violation, a serialization failure or a deadlock is a `conflict`, anything else `storage`.
pub(crate) trait Conn {
    /// Runs a statement (cached); returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64>;
    /// Runs a query (cached), handing each row to `each` in order.
    fn query(&mut self, sql: &str, params: &[Value<'_>], each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()>;
    /// Runs parameterless statements separated by `;` (DDL), without caching.
    fn batch(&mut self, sql: &str) -> Result<()>;
    /// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite (takes the database's write lock
    /// now), `BEGIN` on PostgreSQL (rows are locked by the statements' `FOR UPDATE`).
    fn begin_write(&mut self) -> Result<()>;
    /// Commits the transaction.
    fn commit(&mut self) -> Result<()>;
    /// Rolls the transaction back (best effort; a connection that cannot is not reused).
    fn rollback(&mut self);
}

/// A SQL database as the one [`super::SqlStore`] needs it.
pub(crate) trait Dialect: Send + Sync + 'static {
    /// Its connections.
    type Conn: Conn;

    /// The DDL type names of the schema.
    const TYPES: DdlTypes;
    /// Appended to a `SELECT` of rows a write transaction is about to change: ` FOR UPDATE` on
    /// PostgreSQL; empty on SQLite, where `BEGIN IMMEDIATE` already excludes other writers.
    const FOR_UPDATE: &'static str;
    /// Appended to the `SELECT` that picks what a claim leases: ` FOR UPDATE SKIP LOCKED` on
    /// PostgreSQL (concurrent claimers pass over each other's rows); empty on SQLite.
    const SKIP_LOCKED: &'static str;
    /// A SQL expression giving a fresh random lease token (32 hex digits).
    const NEW_TOKEN: &'static str;
    /// The substring-position function (`instr(haystack, needle)` on SQLite,
    /// `strpos(haystack, needle)` on PostgreSQL): 0 when absent.
    const POSITION: &'static str;
    /// Whether a claim first looks for something to claim with a plain read, and takes the write
    /// lock (in a write transaction) only when there is: SQLite, where a write transaction locks
    /// the whole database. PostgreSQL claims in one autocommit statement (one round trip).
    const CLAIM_READS_FIRST: bool;
    /// Whether a search with label conditions first counts each label's releases to choose how
    /// to check them ([`super::search::LabelPlan`]): SQLite. PostgreSQL's planner chooses by its
    /// statistics, and the search stays one statement.
    const COUNTS_LABELS: bool;

    /// A SQL expression for the cursor of a new feed entry: `NULL` on SQLite (the autoincrement key
    /// takes the next number; writers are serialized, so numbers follow commit order), the writing
    /// transaction's id on PostgreSQL (`pg_current_xact_id()`), which is unique per transaction.
    const FEED_CURSOR: &'static str;
    /// Appended to the condition of a feed read: what keeps it from skipping an entry that commits
    /// later. Empty on SQLite; on PostgreSQL only entries of transactions older than the oldest
    /// one still running are read (every transaction below that horizon has ended, so nothing
    /// can appear below a cursor once read).
    const FEED_VISIBLE: &'static str;

    /// Runs `f` on a connection: the store's one connection under its lock (SQLite) or one taken
    /// from the pool (PostgreSQL; a broken connection is not put back).
    fn with_conn<T>(&self, f: impl FnOnce(&mut Self::Conn) -> Result<T>) -> Result<T>;

    /// `sql` (written with `?N` placeholders) in this dialect's placeholder style.
    fn placeholders(sql: &str) -> String {
        sql.to_string()
    }

    /// A condition: `column` is one of the values of the list parameter `?N`.
    fn in_list(column: &str, param: usize) -> String;

    /// Inside a write transaction, keeps other writers of `table` out until it ends (SQLite's
    /// `BEGIN IMMEDIATE` already does: nothing to run there).
    fn lock_table(conn: &mut Self::Conn, table: &str) -> Result<()>;

    /// Writes an append if the release is at `rows.expected`; returns the sequence it found.
    /// The default is the portable form ([`super::append::write_in_transaction`]): a write
    /// transaction of cached statements. PostgreSQL does it in one statement.
    fn append(&self, conn: &mut Self::Conn, sql: &Statements, rows: &super::append::AppendRows<'_>) -> Result<u64> {
        super::append::write_in_transaction(conn, sql, rows)
    }

    /// Called after an append that wrote a feed entry committed (wakes this process's waiters).
    fn feed_written(&self) {}

    /// Waits until an entry after `after` may be visible, or `timeout` passed (see
    /// [`crate::store::Store::wait_for_feed`]).
    fn wait_for_feed(&self, sql: &Statements, after: i64, timeout: std::time::Duration) -> Result<()>;
}

/// Runs `f` in a write transaction on `conn`: committed when `f` returns `Ok`, rolled back when
/// it (or the commit) fails.
pub(crate) fn write<C: Conn, T>(conn: &mut C, f: impl FnOnce(&mut C) -> Result<T>) -> Result<T> {
    conn.begin_write()?;
    match f(conn).and_then(|v| conn.commit().map(|()| v)) {
        Ok(v) => Ok(v),
        Err(e) => {
            conn.rollback();
            Err(e)
        }
    }
}

/// Every row of a query, each read by `read`.
pub(crate) fn rows<C: Conn, T>(
    conn: &mut C,
    sql: &str,
    params: &[Value<'_>],
    mut read: impl FnMut(&dyn Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    conn.query(sql, params, &mut |r| {
        out.push(read(r)?);
        Ok(())
    })?;
    Ok(out)
}

/// The first row of a query, if any, read by `read`.
pub(crate) fn row<C: Conn, T>(
    conn: &mut C,
    sql: &str,
    params: &[Value<'_>],
    mut read: impl FnMut(&dyn Row) -> Result<T>,
) -> Result<Option<T>> {
    let mut out = None;
    conn.query(sql, params, &mut |r| {
        if out.is_none() {
            out = Some(read(r)?);
        }
        Ok(())
    })?;
    Ok(out)
}

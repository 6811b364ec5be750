//! The PostgreSQL backend (feature `postgres`): several engine processes share one database.
//!
//! URL: `postgres://user[:password]@host[:port]/db[?schema=NAME&…]`. `schema` (letters, digits,
//! `_`) is created if missing and every connection works in it (`search_path`); other query
//! options go to the driver. **Without `schema` the store works in the connection's default
//! schema (normally `public`)**, and refuses to create its tables in a schema that already holds
//! tables that are not trainyard's: give it a schema of its own with `?schema=NAME`.
//!
//! What is PostgreSQL's own here: the connection pool (one connection per concurrent caller,
//! created on demand), a statement cache per pooled connection (each statement is prepared once
//! per connection and then costs one round trip), migrations under an advisory lock, and the
//! append as **one statement in autocommit**: a data-modifying `WITH` that locks the release's
//! row (`FOR UPDATE`), checks the expected sequence and, only when it matches, writes the events,
//! the index row and the jobs. A concurrent append waits for the row lock and then sees the new
//! sequence (a `conflict`, nothing written); two concurrent creations of one release collide on
//! the unique `(release, seq)` key (a `conflict`). Due timers and jobs are claimed by one
//! statement each with `FOR UPDATE SKIP LOCKED` leases, so each timer fires once and each job
//! runs once per attempt, whichever node claims it; a claim that finds nothing is one round
//! trip. An append sends its feed `NOTIFY` only while a feed waiter is announced (a listening
//! connection whose `application_name` is the feed's channel, seen in `pg_stat_activity`):
//! PostgreSQL serializes the commits of all transactions that notify (one database-wide lock
//! held until the commit is flushed), so the appends of several engines would otherwise queue
//! behind one another even with nobody listening. The store logic is [`super::sql::SqlStore`].

use super::sql::append::{AppendRows, InboxRows, write_locks};
use super::sql::dialect::{Conn, Dialect, Row, Value, row, rows, write};
use super::sql::schema::{DdlTypes, foreign_tables, migrate};
use super::sql::statements::{RELEASE_COLUMNS, RELEASE_UPDATE, Statements};
use super::sql::{SqlStore, store_via_sql};
use super::url::redact_url;
use crate::{Error, Result};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls, Statement};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// Key of the advisory lock that serializes migrations of concurrent openers.
const MIGRATION_LOCK: i64 = 0x7472_6169_6e79;

/// Prepared statements kept per connection: more than the store can make (its ~35 statements
/// and the 512 shapes of release queries), so none is ever prepared twice.
const STATEMENT_CACHE: usize = 1024;

/// A [`super::Store`] in a PostgreSQL database (optionally in its own schema).
pub struct PostgresStore {
    sql: SqlStore<Postgres>,
}

/// The PostgreSQL dialect: how to connect, and the pool.
pub(crate) struct Postgres {
    config: Config,
    schema: Option<String>,
    label: Arc<str>,
    pool: Mutex<Vec<PgConn>>,
    stats: Arc<Stats>,
    /// The `NOTIFY` channel of this store's feed (one per schema).
    channel: String,
    /// Connections that `LISTEN` on the channel, for feed waiters (one per concurrent waiter).
    listeners: Mutex<Vec<Client>>,
}

/// The `LISTEN`/`NOTIFY` channel of a schema's feed: `trainyard_feed_` and a hash of the schema
/// name (channel names are at most 63 bytes; `NOTIFY` is database-wide).
fn feed_channel(schema: Option<&str>) -> String {
    let name = schema.unwrap_or("");
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("trainyard_feed_{hash:016x}")
}

/// Counters of the traffic of a store's connections.
#[derive(Debug, Default)]
struct Stats {
    round_trips: AtomicU64,
    prepared: AtomicU64,
    notifies: AtomicU64,
}

/// A pooled connection with its statement cache.
pub(crate) struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    label: Arc<str>,
    stats: Arc<Stats>,
    broken: bool,
}

fn valid_schema(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

fn pg_err(label: &str, e: postgres::Error) -> Error {
    match e.code() {
        Some(c)
            if *c == SqlState::UNIQUE_VIOLATION
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            Error::Conflict { message: format!("concurrent write refused by the database: {e}") }
        }
        _ => Error::Storage { message: format!("postgres `{label}`: {e}") },
    }
}

impl PostgresStore {
    /// Connects, creates the schema named by the URL's `schema` option if missing, and migrates.
    /// A schema without trainyard's tables that holds other tables is refused (a `storage` error
    /// naming them): pass `?schema=NAME` to give trainyard a schema of its own.
    pub fn open(url: &str) -> Result<Self> {
        let label = redact_url(url);
        let bad = |why: String| Error::Storage { message: format!("cannot open store `{label}`: {why}") };
        let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
        let mut schema = None;
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("schema", v)) => schema = Some(v.to_string()),
                _ => rest.push(pair),
            }
        }
        if let Some(s) = &schema {
            if !valid_schema(s) {
                return Err(bad(format!(
                    "schema `{s}` is not a plain name (letters, digits and `_`, not starting with a digit, ≤ 63)"
                )));
            }
        }
        let driver_url = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
        let mut config = Config::from_str(&driver_url).map_err(|e| bad(format!("not a valid PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        let dialect = Postgres {
            config,
            channel: feed_channel(schema.as_deref()),
            schema,
            label: label.clone().into(),
            pool: Mutex::new(Vec::new()),
            stats: Arc::default(),
            listeners: Mutex::new(Vec::new()),
        };
        let unwrap = |e: Error| match e {
            Error::Storage { message } => bad(message),
            other => other,
        };
        dialect.with_conn(|c| write(c, |c| dialect.migrate(c))).map_err(unwrap)?;
        Ok(PostgresStore { sql: SqlStore::new(dialect) })
    }

    /// The schema this store works in, if the URL named one.
    pub fn schema(&self) -> Option<&str> {
        self.sql.dialect.schema.as_deref()
    }

    /// Drops this store's schema with everything in it (tests clean up with it). Refused when the
    /// URL named no schema.
    pub fn drop_schema(&self) -> Result<()> {
        let d = &self.sql.dialect;
        let Some(schema) = &d.schema else {
            return Err(Error::Storage { message: format!("{}: no `schema` option to drop", d.label) });
        };
        d.with_conn(|c| c.batch(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")))?;
        d.pool.lock().unwrap_or_else(|e| e.into_inner()).clear();
        d.listeners.lock().unwrap_or_else(|e| e.into_inner()).clear();
        Ok(())
    }

    /// How many round trips to the server this store's calls made so far (each prepare, query,
    /// statement, `BEGIN` and `COMMIT` is one; opening connections is not counted). With every
    /// statement prepared, an append is one round trip and so is a claim that finds nothing.
    pub fn round_trips(&self) -> u64 {
        self.sql.dialect.stats.round_trips.load(Ordering::Relaxed)
    }

    /// How many statements this store prepared so far: each statement once per pooled connection.
    pub fn statements_prepared(&self) -> u64 {
        self.sql.dialect.stats.prepared.load(Ordering::Relaxed)
    }

    /// How many of this store's appends sent a feed `NOTIFY` so far: only those that wrote a feed
    /// entry while a feed waiter (of any store on the schema, in any process) was announced.
    pub fn notifies_sent(&self) -> u64 {
        self.sql.dialect.stats.notifies.load(Ordering::Relaxed)
    }
}

store_via_sql!(PostgresStore, sql);

/// How often a feed waiter looks again while an entry is committed but not readable yet.
const FEED_HORIZON_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// The longest a feed waiter sleeps before it looks again: an append whose statement looked for
/// waiters just before this one announced itself sent no `NOTIFY`; it is seen at the next look.
const FEED_RECHECK: std::time::Duration = std::time::Duration::from_millis(200);

impl Postgres {
    /// A connection listening on the feed's channel.
    fn listen(&self) -> Result<Client> {
        let mut client = self
            .config
            .connect(NoTls)
            .map_err(|e| Error::Storage { message: format!("cannot connect to `{}`: {e}", self.label) })?;
        client.batch_execute(&format!("LISTEN \"{}\"", self.channel)).map_err(|e| pg_err(&self.label, e))?;
        Ok(client)
    }

    fn connect(&self) -> Result<PgConn> {
        let client = self
            .config
            .connect(NoTls)
            .map_err(|e| Error::Storage { message: format!("cannot connect to `{}`: {e}", self.label) })?;
        let mut conn = PgConn {
            client,
            statements: HashMap::new(),
            label: self.label.clone(),
            stats: self.stats.clone(),
            broken: false,
        };
        if let Some(s) = &self.schema {
            conn.client.batch_execute(&format!("SET search_path TO \"{s}\"")).map_err(|e| pg_err(&self.label, e))?;
        }
        Ok(conn)
    }

    /// Migrates inside the caller's transaction, under the advisory lock that serializes openers:
    /// creates the schema if the URL named one, refuses a schema of someone else's tables, and
    /// runs the missing migrations.
    fn migrate(&self, c: &mut PgConn) -> Result<()> {
        c.execute("SELECT pg_advisory_xact_lock($1)", &[Value::Int(MIGRATION_LOCK)])?;
        if let Some(s) = &self.schema {
            c.batch(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))?;
        }
        let schema = row(c, "SELECT current_schema()::text", &[], |r| Ok(r.opt_text(0)?.map(str::to_string)))?
            .flatten()
            .unwrap_or_else(|| "public".into());
        let tables = rows(
            c,
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname",
            &[Value::Text(&schema)],
            |r| Ok(r.text(0)?.to_string()),
        )?;
        let foreign = foreign_tables(&tables);
        if !foreign.is_empty() {
            return Err(Error::Storage {
                message: format!(
                    "schema `{schema}` already holds tables that are not trainyard's ({}); trainyard does not create \
                     its tables among them: give it a schema of its own with `?schema=NAME` in the URL",
                    foreign.join(", ")
                ),
            });
        }
        migrate::<Postgres>(c, &format!("postgres `{}`", self.label))
    }
}

/// The append in one statement: see the module docs. Parameters: `$1` release, `$2` expected
/// sequence, `$3`/`$4` event sequences and bodies, `$5 ..= $16` the index row after its id,
/// `$17` ended job ids, `$18`/`$19`/`$20` queued job ids, executors and bodies, `$21` the feed
/// entry's body (or `NULL`), `$22` the feed's `NOTIFY` channel, `$23 ..= $26` the inbox rows
/// (principals, sinces, items, bodies) and `$27` whether they replace the release's (1) or are
/// left as they are (0), `$28 ..= $33` the index row's search columns, `$34`/`$35` the labels'
/// keys and values and `$36` whether they replace the release's, `$37 ..= $41` the ledger entries
/// the batch adds (services, environments, times, sequences, bodies), `$42` the feed entry's
/// origin, `$43` the releases the release's gates watch and `$44` whether they replace the
/// release's. Returns the sequence found. It writes what [`super::sql::append::write_in_transaction`] writes: ended
/// jobs go, queued ones come unless already there, and a job both ended and queued comes back
/// fresh at the end of the queue (a new `ord`, as a delete and an insert would give it).
///
/// The feed entry commits with the events; its cursor is the statement's transaction id
/// (`pg_current_xact_id()`): a sequence number would not be commit order on PostgreSQL (a later
/// number may commit first), so readers go only as far as the oldest transaction still running
/// (`pg_snapshot_xmin`, [`Dialect::FEED_VISIBLE`]). The `NOTIFY` is delivered at commit.
static APPEND: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH cur AS (SELECT seq FROM releases WHERE id = $1 FOR UPDATE),
         ok AS (SELECT 1 AS ok WHERE COALESCE((SELECT seq FROM cur), 0) = $2::BIGINT),
         new_events AS (
             INSERT INTO events (release, seq, body)
             SELECT $1, s, b FROM unnest($3::BIGINT[], $4::TEXT[]) AS t(s, b) WHERE EXISTS (SELECT 1 FROM ok)),
         index_row AS (
             INSERT INTO releases ({RELEASE_COLUMNS})
             SELECT $1, $5::TEXT, $6::TEXT, $7::TEXT, $8::TEXT, $9::INTEGER, $10::INTEGER, $11::BIGINT, NULL,
                    $12::BIGINT, $13::BIGINT, $14::BIGINT, $15::BIGINT, $16::TEXT, $28::TEXT, $29::TEXT,
                    $30::INTEGER, $31::BIGINT, $32::BIGINT, $33::BIGINT FROM ok
             ON CONFLICT (id) DO UPDATE SET {RELEASE_UPDATE}),
         ended_jobs AS (
             DELETE FROM jobs WHERE id = ANY($17::TEXT[]) AND id <> ALL($18::TEXT[]) AND EXISTS (SELECT 1 FROM ok)),
         queued_jobs AS (
             INSERT INTO jobs (id, release, executor, body)
             SELECT i, $1, x, b FROM unnest($18::TEXT[], $19::TEXT[], $20::TEXT[]) WITH ORDINALITY AS t(i, x, b, n)
             WHERE EXISTS (SELECT 1 FROM ok) ORDER BY n
             ON CONFLICT (id) DO UPDATE SET release = excluded.release, executor = excluded.executor,
                 body = excluded.body, worker = NULL, token = NULL, lease_until = NULL, deliveries = 0,
                 ord = nextval(pg_get_serial_sequence('jobs', 'ord'))
             WHERE jobs.id = ANY($17::TEXT[])),
         feed_entry AS (
             INSERT INTO feed (cursor, release, origin, body)
             SELECT pg_current_xact_id()::text::BIGINT, $1, $42::TEXT, $21::TEXT FROM ok WHERE $21::TEXT IS NOT NULL),
         notified AS (
             SELECT pg_notify($22::TEXT, '') FROM ok WHERE $21::TEXT IS NOT NULL
             AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $22::TEXT)),
         inbox_gone AS (
             DELETE FROM inbox WHERE release = $1 AND $27::INTEGER = 1 AND EXISTS (SELECT 1 FROM ok)
             AND (principal, since, item) NOT IN
                 (SELECT pr, si, it FROM unnest($23::TEXT[], $24::BIGINT[], $25::TEXT[]) AS k(pr, si, it))),
         inbox_rows AS (
             INSERT INTO inbox (principal, since, release, item, body)
             SELECT pr, si, $1, it, b FROM unnest($23::TEXT[], $24::BIGINT[], $25::TEXT[], $26::TEXT[]) AS t(pr, si, it, b)
             WHERE $27::INTEGER = 1 AND EXISTS (SELECT 1 FROM ok)
             ON CONFLICT (principal, since, release, item) DO UPDATE SET body = excluded.body),
         labels_gone AS (
             DELETE FROM release_labels WHERE release = $1 AND $36::INTEGER = 1 AND EXISTS (SELECT 1 FROM ok)
             AND (key, value) NOT IN (SELECT k, v FROM unnest($34::TEXT[], $35::TEXT[]) AS l(k, v))),
         labels_rows AS (
             INSERT INTO release_labels (release, key, value)
             SELECT $1, k, v FROM unnest($34::TEXT[], $35::TEXT[]) AS l(k, v)
             WHERE $36::INTEGER = 1 AND EXISTS (SELECT 1 FROM ok)
             ON CONFLICT DO NOTHING),
         ledger_rows AS (
             INSERT INTO ledger (service, environment, at, release, seq, body)
             SELECT sv, en, t, $1, sq, b
             FROM unnest($37::TEXT[], $38::TEXT[], $39::BIGINT[], $40::BIGINT[], $41::TEXT[]) AS l(sv, en, t, sq, b)
             WHERE EXISTS (SELECT 1 FROM ok)
             ON CONFLICT DO NOTHING),
         watches_gone AS (
             DELETE FROM release_watches WHERE release = $1 AND $44::INTEGER = 1 AND EXISTS (SELECT 1 FROM ok)
             AND target <> ALL($43::TEXT[])),
         watches_rows AS (
             INSERT INTO release_watches (release, target)
             SELECT $1, t FROM unnest($43::TEXT[]) AS w(t)
             WHERE $44::INTEGER = 1 AND EXISTS (SELECT 1 FROM ok)
             ON CONFLICT DO NOTHING)
         SELECT COALESCE((SELECT seq FROM cur), 0), (SELECT count(*) FROM notified)"
    )
});

impl Dialect for Postgres {
    type Conn = PgConn;

    const TYPES: DdlTypes = DdlTypes {
        big_int: "BIGINT",
        serial_key: "BIGSERIAL PRIMARY KEY",
        without_rowid: "",
        feed_key: "BIGINT PRIMARY KEY",
        byte_order: " COLLATE \"C\"",
    };
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const NEW_TOKEN: &'static str = "replace(gen_random_uuid()::text, '-', '')";
    const CLAIM_READS_FIRST: bool = false;
    const COUNTS_LABELS: bool = false;
    const POSITION: &'static str = "strpos";
    const FEED_CURSOR: &'static str = "pg_current_xact_id()::text::BIGINT";
    const FEED_VISIBLE: &'static str = " AND cursor < pg_snapshot_xmin(pg_current_snapshot())::text::BIGINT";

    fn with_conn<T>(&self, f: impl FnOnce(&mut PgConn) -> Result<T>) -> Result<T> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match pooled {
            Some(c) if !c.client.is_closed() => c,
            _ => self.connect()?,
        };
        let out = f(&mut conn);
        if !conn.client.is_closed() && !conn.broken {
            self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        }
        out
    }

    fn placeholders(sql: &str) -> String {
        let mut out = String::with_capacity(sql.len());
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '?' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                out.push('$');
            } else {
                out.push(c);
            }
        }
        out
    }

    fn in_list(column: &str, param: usize) -> String {
        format!("{column} = ANY(?{param})")
    }

    fn lock_table(conn: &mut PgConn, table: &str) -> Result<()> {
        conn.batch(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
    }

    /// Waits on a connection that `LISTEN`s on the feed's channel (taken from a small pool, so a
    /// notification that arrives between the check and the wait is not lost). When an entry was
    /// committed but is not readable yet (an older transaction is still running, see
    /// [`Dialect::FEED_VISIBLE`]), it looks again every [`FEED_HORIZON_POLL`] until it is.
    fn wait_for_feed(&self, sql: &Statements, after: i64, timeout: std::time::Duration) -> Result<()> {
        let pooled = self.listeners.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut listener = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => self.listen()?,
        };
        let label = self.label.clone();
        let failed = |e: postgres::Error| pg_err(&label, e);
        {
            // Notifications that arrived while the connection was idle are stale: the check below
            // sees what they announced.
            let mut buffered = listener.notifications();
            let mut drain = buffered.iter();
            while drain.next().map_err(failed)?.is_some() {}
        }
        // Announced as a waiter: appends notify only while one is (see the module docs).
        listener.batch_execute(&format!("SET application_name = '{}'", self.channel)).map_err(failed)?;
        let p = [Value::Int(after)];
        let (visible, committed) = self.with_conn(|c| {
            let visible = row(c, &sql.any_feed_after, &p, |_| Ok(()))?.is_some();
            let committed = visible || row(c, &sql.any_feed_committed_after, &p, |_| Ok(()))?.is_some();
            Ok((visible, committed))
        })?;
        if !visible {
            let wait = if committed { timeout.min(FEED_HORIZON_POLL) } else { timeout.min(FEED_RECHECK) };
            let mut notifications = listener.notifications();
            notifications.timeout_iter(wait).next().map_err(failed)?;
        }
        listener.batch_execute("RESET application_name").map_err(failed)?;
        if !listener.is_closed() {
            self.listeners.lock().unwrap_or_else(|e| e.into_inner()).push(listener);
        }
        Ok(())
    }

    /// One statement, except when the append changes locks: then, in one transaction, each
    /// granted lock's advisory lock (so two engines granting the last place of one lock go one
    /// after the other), the statement, and the lock rows with their capacity checks.
    fn append(&self, conn: &mut PgConn, sql: &Statements, r: &AppendRows<'_>) -> Result<u64> {
        let Some(locks) = &r.locks else { return self.append_statement(conn, r) };
        write(conn, |c| {
            let names: std::collections::BTreeSet<&String> = locks.checks.iter().map(|(n, _)| n).collect();
            for name in names {
                row(c, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7411))::text", &[Value::Text(name)], |_| {
                    Ok(())
                })?;
            }
            let found = self.append_statement(c, r)?;
            if found == r.expected as u64 {
                write_locks(c, sql, r.release, locks)?;
            }
            Ok(found)
        })
    }
}

impl Postgres {
    /// The append statement ([`APPEND`]).
    fn append_statement(&self, conn: &mut PgConn, r: &AppendRows<'_>) -> Result<u64> {
        let v = r.row_values();
        let none = InboxRows::default();
        let inbox = r.inbox.as_ref().unwrap_or(&none);
        let no_labels = (Vec::new(), Vec::new());
        let labels = r.labels.as_ref().unwrap_or(&no_labels);
        let params = [
            Value::Text(r.release),
            Value::Int(r.expected),
            Value::Ints(&r.seqs),
            Value::Texts(&r.bodies),
            v[1],
            v[2],
            v[3],
            v[4],
            v[5],
            v[6],
            v[7],
            v[8],
            v[9],
            v[10],
            v[11],
            v[12],
            Value::Texts(r.done),
            Value::Texts(&r.job_ids),
            Value::Texts(&r.job_executors),
            Value::Texts(&r.job_bodies),
            r.feed.as_deref().into(),
            Value::Text(&self.channel),
            Value::Texts(&inbox.principals),
            Value::Ints(&inbox.sinces),
            Value::Texts(&inbox.items),
            Value::Texts(&inbox.bodies),
            Value::Int(r.inbox.is_some() as i64),
            v[13],
            v[14],
            v[15],
            v[16],
            v[17],
            v[18],
            Value::Texts(&labels.0),
            Value::Texts(&labels.1),
            Value::Int(r.labels.is_some() as i64),
            Value::Texts(&r.ledger.services),
            Value::Texts(&r.ledger.environments),
            Value::Ints(&r.ledger.ats),
            Value::Ints(&r.ledger.seqs),
            Value::Texts(&r.ledger.bodies),
            r.feed_origin.into(),
            Value::Texts(r.watches.unwrap_or(&[])),
            Value::Int(r.watches.is_some() as i64),
        ];
        let (found, notified) = row(conn, &APPEND, &params, |row| Ok((row.int(0)?, row.int(1)?)))?.unwrap_or((0, 0));
        if notified > 0 {
            self.stats.notifies.fetch_add(1, Ordering::Relaxed);
        }
        Ok(found as u64)
    }
}

/// A parameter converted to the type the prepared statement expects.
enum Arg<'a> {
    I16(Option<i16>),
    I32(Option<i32>),
    I64(Option<i64>),
    Text(Option<&'a str>),
    Texts(&'a [String]),
    Ints(&'a [i64]),
}

impl Arg<'_> {
    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Arg::I16(v) => v,
            Arg::I32(v) => v,
            Arg::I64(v) => v,
            Arg::Text(v) => v,
            Arg::Texts(v) => v,
            Arg::Ints(v) => v,
        }
    }
}

/// Integer widths a parameter or column may have.
#[derive(Clone, Copy, PartialEq)]
enum Width {
    I16,
    I32,
    I64,
}

fn width(ty: &Type) -> Option<Width> {
    if *ty == Type::INT2 {
        Some(Width::I16)
    } else if *ty == Type::INT4 {
        Some(Width::I32)
    } else if *ty == Type::INT8 {
        Some(Width::I64)
    } else {
        None
    }
}

fn arg<'a>(value: Value<'a>, ty: &Type, label: &str) -> Result<Arg<'a>> {
    let narrow = |v: i64| Error::Storage { message: format!("postgres `{label}`: {v} does not fit a {ty}") };
    Ok(match (value, width(ty)) {
        (Value::Null, Some(Width::I16)) => Arg::I16(None),
        (Value::Null, Some(Width::I32)) => Arg::I32(None),
        (Value::Null, Some(Width::I64)) => Arg::I64(None),
        (Value::Null, None) => Arg::Text(None),
        (Value::Int(v), Some(Width::I16)) => Arg::I16(Some(i16::try_from(v).map_err(|_| narrow(v))?)),
        (Value::Int(v), Some(Width::I32)) => Arg::I32(Some(i32::try_from(v).map_err(|_| narrow(v))?)),
        (Value::Int(v), _) => Arg::I64(Some(v)),
        (Value::Text(s), _) => Arg::Text(Some(s)),
        (Value::Texts(list), _) => Arg::Texts(list),
        (Value::Ints(list), _) => Arg::Ints(list),
    })
}

struct PgRow<'r>(&'r postgres::Row, &'r str);

impl Row for PgRow<'_> {
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        let e = |e: postgres::Error| pg_err(self.1, e);
        match self.0.columns().get(i).and_then(|c| width(c.type_())) {
            Some(Width::I16) => Ok(self.0.try_get::<_, Option<i16>>(i).map_err(e)?.map(i64::from)),
            Some(Width::I32) => Ok(self.0.try_get::<_, Option<i32>>(i).map_err(e)?.map(i64::from)),
            _ => self.0.try_get::<_, Option<i64>>(i).map_err(e),
        }
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        self.0.try_get::<_, Option<&str>>(i).map_err(|e| pg_err(self.1, e))
    }
}

impl PgConn {
    fn trip(&self) {
        self.stats.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// The prepared statement for `sql`, preparing it on first use on this connection.
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.trip();
        self.stats.prepared.fetch_add(1, Ordering::Relaxed);
        let stmt = self.client.prepare(sql).map_err(|e| pg_err(&self.label, e))?;
        self.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    fn args<'a>(&self, stmt: &Statement, params: &[Value<'a>]) -> Result<Vec<Arg<'a>>> {
        params.iter().zip(stmt.params()).map(|(v, ty)| arg(*v, ty, &self.label)).collect()
    }
}

impl Conn for PgConn {
    fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> Result<u64> {
        let stmt = self.statement(sql)?;
        let args = self.args(&stmt, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(Arg::sql).collect();
        self.trip();
        self.client.execute(&stmt, &refs).map_err(|e| pg_err(&self.label, e))
    }

    fn query(&mut self, sql: &str, params: &[Value<'_>], each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<()> {
        let stmt = self.statement(sql)?;
        let args = self.args(&stmt, params)?;
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(Arg::sql).collect();
        self.trip();
        let found = self.client.query(&stmt, &refs).map_err(|e| pg_err(&self.label, e))?;
        for r in &found {
            each(&PgRow(r, &self.label))?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.trip();
        self.client.batch_execute(sql).map_err(|e| pg_err(&self.label, e))
    }

    fn begin_write(&mut self) -> Result<()> {
        self.batch("BEGIN")
    }

    fn commit(&mut self) -> Result<()> {
        self.batch("COMMIT")
    }

    fn rollback(&mut self) {
        if self.batch("ROLLBACK").is_err() {
            self.broken = true;
        }
    }
}

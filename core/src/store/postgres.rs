//! The PostgreSQL backend (feature `postgres`): several engine processes share one database.
//!
//! URL: `postgres://user[:password]@host[:port]/db[?schema=NAME&…]`. `schema` (letters, digits,
//! `_`) is created if missing and every connection works in it (`search_path`); other query
//! options go to the driver. Appends lock the release's row (`FOR UPDATE`) and are guarded by
//! the unique `(release, seq)` key; due timers and jobs are claimed with `FOR UPDATE SKIP LOCKED`
//! leases, so each timer fires once and each job runs once per attempt, whichever node claims it.
//! Connections are pooled inside the store (one per concurrent caller, created on demand).

use super::jobs::stale;
use super::sql::{
    Param, RowColumns, check_sequence, finish_query, from_json, from_micros, micros, release_where, to_json,
};
use super::url::redact_url;
use super::{Append, ClaimedJob, JobRecord, ReleaseQuery, ReleaseRow, Store};
use crate::executor::Job;
use crate::release::Event;
use crate::{Error, Process, Result, Timestamp};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls};
use serde_json::Value;
use std::str::FromStr;
use std::sync::Mutex;

/// Schema migrations, in order; `schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE processes (id TEXT NOT NULL, version INTEGER NOT NULL, ord BIGINT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (id, version));
CREATE TABLE documents (collection TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (collection, key, version));
CREATE TABLE document_heads (collection TEXT NOT NULL, key TEXT NOT NULL, last INTEGER NOT NULL,
    live INTEGER NOT NULL, PRIMARY KEY (collection, key));
CREATE TABLE releases (ord BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
    kind TEXT NOT NULL, scope TEXT NOT NULL, grp TEXT, archived INTEGER NOT NULL, deleted INTEGER NOT NULL,
    next_due BIGINT, due_lease BIGINT, seq BIGINT NOT NULL, win_start BIGINT, win_end BIGINT,
    ended_at BIGINT, body TEXT NOT NULL);
CREATE INDEX releases_due ON releases (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX releases_status ON releases (status);
CREATE INDEX releases_group ON releases (grp);
CREATE INDEX releases_window ON releases (win_start, win_end);
CREATE TABLE events (release TEXT NOT NULL, seq BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (release, seq));
CREATE TABLE snapshots (release TEXT PRIMARY KEY, seq BIGINT NOT NULL, body TEXT NOT NULL);
CREATE TABLE jobs (ord BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, release TEXT NOT NULL,
    executor TEXT NOT NULL, body TEXT NOT NULL, worker TEXT, token TEXT, lease_until BIGINT,
    deliveries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX jobs_executor ON jobs (executor, lease_until);
CREATE INDEX jobs_release ON jobs (release);
"#];

/// Key of the advisory lock that serializes migrations of concurrent openers.
const MIGRATION_LOCK: i64 = 0x7472_6169_6e79;

/// A [`Store`] in a PostgreSQL database (optionally in its own schema).
pub struct PostgresStore {
    config: Config,
    schema: Option<String>,
    label: String,
    pool: Mutex<Vec<Client>>,
}

fn valid_schema(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

impl PostgresStore {
    /// Connects, creates the schema named by the URL's `schema` option if missing, and migrates.
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
        let store = PostgresStore { config, schema, label: label.clone(), pool: Mutex::new(Vec::new()) };
        let client = store.connect().map_err(|e| bad(e.to_string()))?;
        store.pool.lock().unwrap_or_else(|e| e.into_inner()).push(client);
        store.migrate().map_err(|e| bad(e.to_string()))?;
        Ok(store)
    }

    /// The schema this store works in, if the URL named one.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Drops this store's schema with everything in it (tests clean up with it). Refused when the
    /// URL named no schema.
    pub fn drop_schema(&self) -> Result<()> {
        let Some(schema) = &self.schema else {
            return Err(Error::Storage { message: format!("{}: no `schema` option to drop", self.label) });
        };
        self.with(|c| {
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).map_err(|e| self.err(e))
        })?;
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).clear();
        Ok(())
    }

    fn connect(&self) -> Result<Client> {
        let mut client = self
            .config
            .connect(NoTls)
            .map_err(|e| Error::Storage { message: format!("cannot connect to `{}`: {e}", self.label) })?;
        if let Some(s) = &self.schema {
            client.batch_execute(&format!("SET search_path TO \"{s}\"")).map_err(|e| self.err(e))?;
        }
        Ok(client)
    }

    fn err(&self, e: postgres::Error) -> Error {
        match e.code() {
            Some(c)
                if *c == SqlState::UNIQUE_VIOLATION
                    || *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED =>
            {
                Error::Conflict { message: format!("concurrent write refused by the database: {e}") }
            }
            _ => Error::Storage { message: format!("postgres `{}`: {e}", self.label) },
        }
    }

    /// Runs `f` on a pooled connection (a broken one is dropped, not returned to the pool).
    fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut client = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => self.connect()?,
        };
        let out = f(&mut client);
        if !client.is_closed() {
            self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(client);
        }
        out
    }

    fn migrate(&self) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(|e| self.err(e))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(|e| self.err(e))?;
            if let Some(s) = &self.schema {
                tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\"")).map_err(|e| self.err(e))?;
            }
            tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                .map_err(|e| self.err(e))?;
            let row = tx.query_opt("SELECT version FROM schema_version", &[]).map_err(|e| self.err(e))?;
            let current = match row {
                Some(r) => r.get::<_, i32>(0) as usize,
                None => {
                    tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[]).map_err(|e| self.err(e))?;
                    0
                }
            };
            if current > MIGRATIONS.len() {
                return Err(Error::Storage {
                    message: format!(
                        "schema version {current} is newer than this trainyard knows ({}); upgrade trainyard",
                        MIGRATIONS.len()
                    ),
                });
            }
            for (i, m) in MIGRATIONS.iter().enumerate().skip(current) {
                tx.batch_execute(m).map_err(|e| self.err(e))?;
                tx.execute("UPDATE schema_version SET version = $1", &[&(i as i32 + 1)]).map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))
        })
    }
}

fn pg_params(params: &[Param]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| match p {
            Param::Text(s) => Box::new(s.clone()) as Box<dyn ToSql + Sync>,
            Param::Int(i) => Box::new(*i) as Box<dyn ToSql + Sync>,
        })
        .collect()
}

impl Store for PostgresStore {
    fn put_process(&self, process: &Process) -> Result<u32> {
        let body = to_json("a process", process)?;
        self.with(|c| {
            let mut tx = c.transaction().map_err(|e| self.err(e))?;
            tx.execute("LOCK TABLE processes IN SHARE ROW EXCLUSIVE MODE", &[]).map_err(|e| self.err(e))?;
            let latest = tx
                .query_opt("SELECT version, body FROM processes WHERE id = $1 ORDER BY version DESC LIMIT 1", &[&process.id])
                .map_err(|e| self.err(e))?
                .map(|r| (r.get::<_, i32>(0) as u32, r.get::<_, String>(1)));
            if let Some((v, text)) = &latest {
                if from_json::<Process>("process", text).is_ok_and(|p| &p == process) {
                    return Ok(*v);
                }
            }
            let version = latest.map_or(1, |(v, _)| v + 1);
            tx.execute(
                "INSERT INTO processes (id, version, ord, body) VALUES ($1, $2,
                   COALESCE((SELECT MIN(ord) FROM processes WHERE id = $1), (SELECT COALESCE(MAX(ord), 0) + 1 FROM processes)),
                   $3)",
                &[&process.id, &(version as i32), &body],
            )
            .map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))?;
            Ok(version)
        })
    }

    fn get_process(&self, id: &str, version: Option<u32>) -> Result<Option<(u32, Process)>> {
        let row = self.with(|c| {
            match version {
                Some(v) => c.query_opt(
                    "SELECT version, body FROM processes WHERE id = $1 AND version = $2",
                    &[&id, &(v as i32)],
                ),
                None => c.query_opt(
                    "SELECT version, body FROM processes WHERE id = $1 ORDER BY version DESC LIMIT 1",
                    &[&id],
                ),
            }
            .map_err(|e| self.err(e))
        })?;
        row.map(|r| Ok((r.get::<_, i32>(0) as u32, from_json("process", &r.get::<_, String>(1))?))).transpose()
    }

    fn list_processes(&self) -> Result<Vec<(String, u32)>> {
        let rows = self.with(|c| {
            c.query("SELECT id, MAX(version) FROM processes GROUP BY id ORDER BY MIN(ord), id", &[])
                .map_err(|e| self.err(e))
        })?;
        Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i32>(1) as u32)).collect())
    }

    fn put_document(&self, collection: &str, key: &str, value: &Value) -> Result<u32> {
        let body = to_json("a document", value)?;
        self.with(|c| {
            let mut tx = c.transaction().map_err(|e| self.err(e))?;
            tx.execute(
                "INSERT INTO document_heads (collection, key, last, live) VALUES ($1, $2, 0, 0) ON CONFLICT DO NOTHING",
                &[&collection, &key],
            )
            .map_err(|e| self.err(e))?;
            let head = tx
                .query_one(
                    "SELECT last, live FROM document_heads WHERE collection = $1 AND key = $2 FOR UPDATE",
                    &[&collection, &key],
                )
                .map_err(|e| self.err(e))?;
            let (last, live) = (head.get::<_, i32>(0), head.get::<_, i32>(1));
            if live == 1 {
                let text: String = tx
                    .query_one(
                        "SELECT body FROM documents WHERE collection = $1 AND key = $2 AND version = $3",
                        &[&collection, &key, &last],
                    )
                    .map_err(|e| self.err(e))?
                    .get(0);
                if from_json::<Value>("document", &text).is_ok_and(|v| &v == value) {
                    return Ok(last as u32);
                }
            }
            let version = last + 1;
            tx.execute(
                "INSERT INTO documents (collection, key, version, body) VALUES ($1, $2, $3, $4)",
                &[&collection, &key, &version, &body],
            )
            .map_err(|e| self.err(e))?;
            tx.execute(
                "UPDATE document_heads SET last = $3, live = 1 WHERE collection = $1 AND key = $2",
                &[&collection, &key, &version],
            )
            .map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))?;
            Ok(version as u32)
        })
    }

    fn get_document(&self, collection: &str, key: &str, version: Option<u32>) -> Result<Option<(u32, Value)>> {
        let row = self.with(|c| {
            match version {
                Some(v) => c.query_opt(
                    "SELECT version, body FROM documents WHERE collection = $1 AND key = $2 AND version = $3",
                    &[&collection, &key, &(v as i32)],
                ),
                None => c.query_opt(
                    "SELECT version, body FROM documents WHERE collection = $1 AND key = $2 ORDER BY version DESC LIMIT 1",
                    &[&collection, &key],
                ),
            }
            .map_err(|e| self.err(e))
        })?;
        row.map(|r| Ok((r.get::<_, i32>(0) as u32, from_json("document", &r.get::<_, String>(1))?))).transpose()
    }

    fn list_documents(&self, collection: &str) -> Result<Vec<(String, u32)>> {
        let rows = self.with(|c| {
            c.query(
                "SELECT key, last FROM document_heads WHERE collection = $1 AND live = 1 ORDER BY key",
                &[&collection],
            )
            .map_err(|e| self.err(e))
        })?;
        Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i32>(1) as u32)).collect())
    }

    fn delete_document(&self, collection: &str, key: &str) -> Result<bool> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(|e| self.err(e))?;
            let n = tx
                .execute("DELETE FROM documents WHERE collection = $1 AND key = $2", &[&collection, &key])
                .map_err(|e| self.err(e))?;
            tx.execute("UPDATE document_heads SET live = 0 WHERE collection = $1 AND key = $2", &[&collection, &key])
                .map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))?;
            Ok(n > 0)
        })
    }

    fn append(&self, batch: &Append<'_>) -> Result<()> {
        let Append { release, expected_seq, events, row, new_jobs, done_jobs } = *batch;
        check_sequence(release, expected_seq, events)?;
        let cols = RowColumns::of(row)?;
        let seqs: Vec<i64> = events.iter().map(|e| e.seq as i64).collect();
        let bodies: Vec<String> = events.iter().map(|e| to_json("an event", e)).collect::<Result<_>>()?;
        let job_ids: Vec<String> = new_jobs.iter().map(|j| j.id.clone()).collect();
        let job_execs: Vec<String> = new_jobs.iter().map(|j| j.executor.clone()).collect();
        let job_bodies: Vec<String> = new_jobs.iter().map(|j| to_json("a job", j)).collect::<Result<_>>()?;
        let done: Vec<String> = done_jobs.to_vec();
        self.with(|c| {
            let mut tx = c.transaction().map_err(|e| self.err(e))?;
            let current = tx
                .query_opt("SELECT seq FROM releases WHERE id = $1 FOR UPDATE", &[&release])
                .map_err(|e| self.err(e))?
                .map_or(0, |r| r.get::<_, i64>(0) as u64);
            if current != expected_seq {
                return Err(Error::Conflict {
                    message: format!(
                        "release {release} is at event {current}, not {expected_seq}: someone else changed it first"
                    ),
                });
            }
            tx.execute(
                "INSERT INTO events (release, seq, body) SELECT $1, s, b FROM unnest($2::BIGINT[], $3::TEXT[]) AS t(s, b)",
                &[&release, &seqs, &bodies],
            )
            .map_err(|e| self.err(e))?;
            tx.execute(
                "INSERT INTO releases (id, status, kind, scope, grp, archived, deleted, next_due, due_lease, seq,
                     win_start, win_end, ended_at, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11, $12, $13)
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, kind = excluded.kind,
                     scope = excluded.scope, grp = excluded.grp, archived = excluded.archived,
                     deleted = excluded.deleted, next_due = excluded.next_due, due_lease = NULL,
                     seq = excluded.seq, win_start = excluded.win_start, win_end = excluded.win_end,
                     ended_at = excluded.ended_at, body = excluded.body",
                &[
                    &release,
                    &cols.status,
                    &cols.kind,
                    &row.scope,
                    &cols.group,
                    &(cols.archived as i32),
                    &(cols.deleted as i32),
                    &cols.next_due,
                    &cols.seq,
                    &cols.win_start,
                    &cols.win_end,
                    &cols.ended_at,
                    &cols.body,
                ],
            )
            .map_err(|e| self.err(e))?;
            if !done.is_empty() {
                tx.execute("DELETE FROM jobs WHERE id = ANY($1)", &[&done]).map_err(|e| self.err(e))?;
            }
            if !job_ids.is_empty() {
                tx.execute(
                    "INSERT INTO jobs (id, release, executor, body)
                     SELECT i, $1, x, b FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[]) WITH ORDINALITY AS t(i, x, b, n)
                     ORDER BY n ON CONFLICT (id) DO NOTHING",
                    &[&release, &job_ids, &job_execs, &job_bodies],
                )
                .map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))
        })
    }

    fn events(&self, release: &str, after: u64) -> Result<Vec<Event>> {
        let rows = self.with(|c| {
            c.query(
                "SELECT body FROM events WHERE release = $1 AND seq > $2 ORDER BY seq",
                &[&release, &(after as i64)],
            )
            .map_err(|e| self.err(e))
        })?;
        rows.iter().map(|r| from_json("event", &r.get::<_, String>(0))).collect()
    }

    fn put_snapshot(&self, release: &str, seq: u64, state: &Value) -> Result<()> {
        let body = to_json("a snapshot", state)?;
        self.with(|c| {
            c.execute(
                "INSERT INTO snapshots (release, seq, body) SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM releases WHERE id = $1)
                 ON CONFLICT (release) DO UPDATE SET seq = excluded.seq, body = excluded.body WHERE excluded.seq > snapshots.seq",
                &[&release, &(seq as i64), &body],
            )
            .map_err(|e| self.err(e))
        })?;
        Ok(())
    }

    fn snapshot(&self, release: &str) -> Result<Option<(u64, Value)>> {
        let row = self.with(|c| {
            c.query_opt("SELECT seq, body FROM snapshots WHERE release = $1", &[&release]).map_err(|e| self.err(e))
        })?;
        row.map(|r| Ok((r.get::<_, i64>(0) as u64, from_json("snapshot", &r.get::<_, String>(1))?))).transpose()
    }

    fn release(&self, id: &str) -> Result<Option<ReleaseRow>> {
        let row =
            self.with(|c| c.query_opt("SELECT body FROM releases WHERE id = $1", &[&id]).map_err(|e| self.err(e)))?;
        row.map(|r| from_json("release row", &r.get::<_, String>(0))).transpose()
    }

    fn query_releases(&self, query: &ReleaseQuery) -> Result<Vec<ReleaseRow>> {
        let (clause, ps) = release_where(query, |n| format!("${n}"));
        let boxed = pg_params(&ps);
        let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
        let rows = self.with(|c| {
            c.query(&format!("SELECT body FROM releases WHERE {clause} ORDER BY ord"), &refs).map_err(|e| self.err(e))
        })?;
        let rows = rows.iter().map(|r| from_json("release row", &r.get::<_, String>(0))).collect::<Result<Vec<_>>>()?;
        Ok(finish_query(query, rows))
    }

    fn delete_release(&self, id: &str) -> Result<bool> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(|e| self.err(e))?;
            let n = tx.execute("DELETE FROM releases WHERE id = $1", &[&id]).map_err(|e| self.err(e))?;
            for table in ["events", "snapshots", "jobs"] {
                tx.execute(&format!("DELETE FROM {table} WHERE release = $1"), &[&id]).map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))?;
            Ok(n > 0)
        })
    }

    fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<(Timestamp, String)>> {
        let rows = self.with(|c| {
            c.query(
                "SELECT next_due, id FROM releases WHERE next_due IS NOT NULL AND next_due <= $1 ORDER BY next_due, ord LIMIT $2",
                &[&micros(now), &(limit as i64)],
            )
            .map_err(|e| self.err(e))
        })?;
        rows.iter().map(|r| Ok((from_micros(r.get(0))?, r.get::<_, String>(1)))).collect()
    }

    fn claim_due(&self, now: Timestamp, limit: usize, lease_until: Timestamp) -> Result<Vec<(Timestamp, String)>> {
        let rows = self.with(|c| {
            c.query(
                "WITH picked AS (
                     SELECT ord FROM releases WHERE next_due IS NOT NULL AND next_due <= $1
                       AND (due_lease IS NULL OR due_lease <= $1)
                     ORDER BY next_due, ord LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE releases r SET due_lease = $3 FROM picked WHERE r.ord = picked.ord
                 RETURNING r.next_due, r.id, r.ord",
                &[&micros(now), &(limit as i64), &micros(lease_until)],
            )
            .map_err(|e| self.err(e))
        })?;
        let mut out: Vec<(i64, i64, String)> =
            rows.iter().map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(2), r.get::<_, String>(1))).collect();
        out.sort();
        out.into_iter().map(|(t, _, id)| Ok((from_micros(t)?, id))).collect()
    }

    fn claim_jobs(
        &self,
        executors: &[String],
        worker: &str,
        limit: usize,
        lease_until: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<ClaimedJob>> {
        if executors.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let execs: Vec<String> = executors.to_vec();
        let rows = self.with(|c| {
            c.query(
                "WITH picked AS (
                     SELECT ord FROM jobs WHERE executor = ANY($1) AND (lease_until IS NULL OR lease_until <= $2)
                     ORDER BY ord LIMIT $3 FOR UPDATE SKIP LOCKED)
                 UPDATE jobs j SET worker = $4, token = replace(gen_random_uuid()::text, '-', ''),
                     lease_until = $5, deliveries = j.deliveries + 1
                 FROM picked WHERE j.ord = picked.ord
                 RETURNING j.ord, j.body, j.token, j.deliveries",
                &[&execs, &micros(now), &(limit as i64), &worker, &micros(lease_until)],
            )
            .map_err(|e| self.err(e))
        })?;
        let mut picked: Vec<(i64, String, String, i32)> =
            rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
        picked.sort_by_key(|p| p.0);
        picked
            .into_iter()
            .map(|(_, body, token, deliveries)| {
                Ok(ClaimedJob { job: from_json::<Job>("job", &body)?, token, deliveries: deliveries as u32 })
            })
            .collect()
    }

    fn heartbeat(&self, job_id: &str, token: &str, lease_until: Timestamp) -> Result<()> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND token = $3",
                &[&micros(lease_until), &job_id, &token],
            )
            .map_err(|e| self.err(e))
        })?;
        if n == 0 { Err(stale(job_id, "heartbeat refused")) } else { Ok(()) }
    }

    fn finish_job(&self, job_id: &str, token: &str) -> Result<()> {
        let n = self.with(|c| {
            c.execute("DELETE FROM jobs WHERE id = $1 AND token = $2", &[&job_id, &token]).map_err(|e| self.err(e))
        })?;
        if n == 0 { Err(stale(job_id, "completion refused")) } else { Ok(()) }
    }

    fn jobs(&self) -> Result<Vec<JobRecord>> {
        let rows = self.with(|c| {
            c.query("SELECT body, worker, lease_until, deliveries FROM jobs ORDER BY ord", &[]).map_err(|e| self.err(e))
        })?;
        rows.iter()
            .map(|r| {
                Ok(JobRecord {
                    job: from_json("job", &r.get::<_, String>(0))?,
                    worker: r.get(1),
                    lease_until: r.get::<_, Option<i64>>(2).map(from_micros).transpose()?,
                    deliveries: r.get::<_, i32>(3) as u32,
                })
            })
            .collect()
    }
}

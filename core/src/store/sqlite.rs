//! The SQLite backend (the embedded default): one file, WAL journal, schema migrations recorded
//! in a `schema_version` table. One connection per store, used under a mutex; several processes
//! may open the same file (writers take the database lock with `BEGIN IMMEDIATE` and wait up to
//! the busy timeout).

use super::jobs::{new_token, stale};
use super::sql::{
    Param, RowColumns, check_sequence, finish_query, from_json, from_micros, micros, release_where, to_json,
};
use super::{Append, ClaimedJob, JobRecord, ReleaseQuery, ReleaseRow, Store};
use crate::executor::Job;
use crate::release::Event;
use crate::{Error, Process, Result, Timestamp};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};
use serde_json::Value;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Schema migrations, in order; `schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE processes (id TEXT NOT NULL, version INTEGER NOT NULL, ord INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (id, version));
CREATE TABLE documents (collection TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (collection, key, version));
CREATE TABLE document_heads (collection TEXT NOT NULL, key TEXT NOT NULL, last INTEGER NOT NULL,
    live INTEGER NOT NULL, PRIMARY KEY (collection, key));
CREATE TABLE releases (ord INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
    kind TEXT NOT NULL, scope TEXT NOT NULL, grp TEXT, archived INTEGER NOT NULL, deleted INTEGER NOT NULL,
    next_due INTEGER, due_lease INTEGER, seq INTEGER NOT NULL, win_start INTEGER, win_end INTEGER,
    ended_at INTEGER, body TEXT NOT NULL);
CREATE INDEX releases_due ON releases (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX releases_status ON releases (status);
CREATE INDEX releases_group ON releases (grp);
CREATE INDEX releases_window ON releases (win_start, win_end);
CREATE TABLE events (release TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (release, seq)) WITHOUT ROWID;
CREATE TABLE snapshots (release TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE jobs (ord INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, release TEXT NOT NULL,
    executor TEXT NOT NULL, body TEXT NOT NULL, worker TEXT, token TEXT, lease_until INTEGER,
    deliveries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX jobs_executor ON jobs (executor, lease_until);
CREATE INDEX jobs_release ON jobs (release);
"#];

/// A [`Store`] in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    label: String,
}

fn db(label: &str, e: rusqlite::Error) -> Error {
    Error::Storage { message: format!("sqlite {label}: {e}") }
}

fn conflict(release: &str, current: u64, expected: u64) -> Error {
    Error::Conflict {
        message: format!("release {release} is at event {current}, not {expected}: someone else changed it first"),
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
        let store = SqliteStore { conn: Mutex::new(conn), label };
        store.migrate()?;
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        db(&self.label, e)
    }

    /// The schema version of the open database (number of migrations applied).
    pub fn schema_version(&self) -> Result<u32> {
        let conn = self.lock();
        conn.query_row("SELECT version FROM schema_version", [], |r| r.get::<_, u32>(0)).map_err(|e| self.err(e))
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            .map_err(|e| self.err(e))?;
        let current: Option<u32> =
            tx.query_row("SELECT version FROM schema_version", [], |r| r.get(0)).optional().map_err(|e| self.err(e))?;
        if current.is_none() {
            tx.execute("INSERT INTO schema_version (version) VALUES (0)", []).map_err(|e| self.err(e))?;
        }
        let current = current.unwrap_or(0) as usize;
        if current > MIGRATIONS.len() {
            return Err(Error::Storage {
                message: format!(
                    "sqlite {}: schema version {current} is newer than this trainyard knows ({}); upgrade trainyard",
                    self.label,
                    MIGRATIONS.len()
                ),
            });
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(current) {
            tx.execute_batch(m).map_err(|e| self.err(e))?;
            tx.execute("UPDATE schema_version SET version = ?1", [i as u32 + 1]).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }
}

fn sql_params(params: &[Param]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|p| match p {
            Param::Text(s) => rusqlite::types::Value::Text(s.clone()),
            Param::Int(i) => rusqlite::types::Value::Integer(*i),
        })
        .collect()
}

impl Store for SqliteStore {
    fn put_process(&self, process: &Process) -> Result<u32> {
        let body = to_json("a process", process)?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        let latest: Option<(u32, String)> = tx
            .query_row(
                "SELECT version, body FROM processes WHERE id = ?1 ORDER BY version DESC LIMIT 1",
                [&process.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if let Some((v, text)) = &latest {
            if from_json::<Process>("process", text).is_ok_and(|p| &p == process) {
                return Ok(*v);
            }
        }
        let version = latest.map_or(1, |(v, _)| v + 1);
        let ord: i64 = tx
            .query_row(
                "SELECT COALESCE((SELECT MIN(ord) FROM processes WHERE id = ?1),
                                 (SELECT COALESCE(MAX(ord), 0) + 1 FROM processes))",
                [&process.id],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO processes (id, version, ord, body) VALUES (?1, ?2, ?3, ?4)",
            params![process.id, version, ord, body],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(version)
    }

    fn get_process(&self, id: &str, version: Option<u32>) -> Result<Option<(u32, Process)>> {
        let conn = self.lock();
        let row: Option<(u32, String)> = match version {
            Some(v) => conn.query_row(
                "SELECT version, body FROM processes WHERE id = ?1 AND version = ?2",
                params![id, v],
                |r| Ok((r.get(0)?, r.get(1)?)),
            ),
            None => conn.query_row(
                "SELECT version, body FROM processes WHERE id = ?1 ORDER BY version DESC LIMIT 1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            ),
        }
        .optional()
        .map_err(|e| self.err(e))?;
        row.map(|(v, text)| Ok((v, from_json("process", &text)?))).transpose()
    }

    fn list_processes(&self) -> Result<Vec<(String, u32)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT id, MAX(version) FROM processes GROUP BY id ORDER BY MIN(ord), id")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }

    fn put_document(&self, collection: &str, key: &str, value: &Value) -> Result<u32> {
        let body = to_json("a document", value)?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        let head: Option<(u32, bool)> = tx
            .query_row(
                "SELECT last, live FROM document_heads WHERE collection = ?1 AND key = ?2",
                [collection, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if let Some((last, true)) = head {
            let text: String = tx
                .query_row(
                    "SELECT body FROM documents WHERE collection = ?1 AND key = ?2 AND version = ?3",
                    params![collection, key, last],
                    |r| r.get(0),
                )
                .map_err(|e| self.err(e))?;
            if from_json::<Value>("document", &text).is_ok_and(|v| &v == value) {
                return Ok(last);
            }
        }
        let version = head.map_or(1, |(last, _)| last + 1);
        tx.execute(
            "INSERT INTO documents (collection, key, version, body) VALUES (?1, ?2, ?3, ?4)",
            params![collection, key, version, body],
        )
        .map_err(|e| self.err(e))?;
        tx.execute(
            "INSERT INTO document_heads (collection, key, last, live) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (collection, key) DO UPDATE SET last = excluded.last, live = 1",
            params![collection, key, version],
        )
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(version)
    }

    fn get_document(&self, collection: &str, key: &str, version: Option<u32>) -> Result<Option<(u32, Value)>> {
        let conn = self.lock();
        let row: Option<(u32, String)> = match version {
            Some(v) => conn.query_row(
                "SELECT version, body FROM documents WHERE collection = ?1 AND key = ?2 AND version = ?3",
                params![collection, key, v],
                |r| Ok((r.get(0)?, r.get(1)?)),
            ),
            None => conn.query_row(
                "SELECT version, body FROM documents WHERE collection = ?1 AND key = ?2 ORDER BY version DESC LIMIT 1",
                params![collection, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            ),
        }
        .optional()
        .map_err(|e| self.err(e))?;
        row.map(|(v, text)| Ok((v, from_json("document", &text)?))).transpose()
    }

    fn list_documents(&self, collection: &str) -> Result<Vec<(String, u32)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT key, last FROM document_heads WHERE collection = ?1 AND live = 1 ORDER BY key")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([collection], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }

    fn delete_document(&self, collection: &str, key: &str) -> Result<bool> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        let n = tx
            .execute("DELETE FROM documents WHERE collection = ?1 AND key = ?2", [collection, key])
            .map_err(|e| self.err(e))?;
        tx.execute("UPDATE document_heads SET live = 0 WHERE collection = ?1 AND key = ?2", [collection, key])
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    fn append(&self, batch: &Append<'_>) -> Result<()> {
        let Append { release, expected_seq, events, row, new_jobs, done_jobs } = *batch;
        check_sequence(release, expected_seq, events)?;
        let cols = RowColumns::of(row)?;
        let bodies: Vec<String> = events.iter().map(|e| to_json("an event", e)).collect::<Result<_>>()?;
        let jobs: Vec<String> = new_jobs.iter().map(|j| to_json("a job", j)).collect::<Result<_>>()?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        let current: Option<i64> = tx
            .query_row("SELECT seq FROM releases WHERE id = ?1", [release], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        let current = current.unwrap_or(0) as u64;
        if current != expected_seq {
            return Err(conflict(release, current, expected_seq));
        }
        {
            let mut ins = tx
                .prepare_cached("INSERT INTO events (release, seq, body) VALUES (?1, ?2, ?3)")
                .map_err(|e| self.err(e))?;
            for (e, body) in events.iter().zip(&bodies) {
                ins.execute(params![release, e.seq as i64, body]).map_err(|e| self.err(e))?;
            }
            let mut up = tx
                .prepare_cached(
                    "INSERT INTO releases (id, status, kind, scope, grp, archived, deleted, next_due, due_lease, seq,
                         win_start, win_end, ended_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10, ?11, ?12, ?13)
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, kind = excluded.kind,
                         scope = excluded.scope, grp = excluded.grp, archived = excluded.archived,
                         deleted = excluded.deleted, next_due = excluded.next_due, due_lease = NULL,
                         seq = excluded.seq, win_start = excluded.win_start, win_end = excluded.win_end,
                         ended_at = excluded.ended_at, body = excluded.body",
                )
                .map_err(|e| self.err(e))?;
            up.execute(params![
                release,
                cols.status,
                cols.kind,
                row.scope,
                cols.group,
                cols.archived,
                cols.deleted,
                cols.next_due,
                cols.seq,
                cols.win_start,
                cols.win_end,
                cols.ended_at,
                cols.body
            ])
            .map_err(|e| self.err(e))?;
            let mut del = tx.prepare_cached("DELETE FROM jobs WHERE id = ?1").map_err(|e| self.err(e))?;
            for id in done_jobs {
                del.execute([id]).map_err(|e| self.err(e))?;
            }
            let mut add = tx
                .prepare_cached("INSERT OR IGNORE INTO jobs (id, release, executor, body) VALUES (?1, ?2, ?3, ?4)")
                .map_err(|e| self.err(e))?;
            for (job, body) in new_jobs.iter().zip(&jobs) {
                add.execute(params![job.id, release, job.executor, body]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn events(&self, release: &str, after: u64) -> Result<Vec<Event>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT body FROM events WHERE release = ?1 AND seq > ?2 ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let texts = stmt
            .query_map(params![release, after as i64], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))?;
        drop(stmt);
        drop(conn);
        texts.iter().map(|t| from_json("event", t)).collect()
    }

    fn put_snapshot(&self, release: &str, seq: u64, state: &Value) -> Result<()> {
        let body = to_json("a snapshot", state)?;
        let conn = self.lock();
        conn.execute(
            "INSERT INTO snapshots (release, seq, body) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM releases WHERE id = ?1)
             ON CONFLICT (release) DO UPDATE SET seq = excluded.seq, body = excluded.body WHERE excluded.seq > snapshots.seq",
            params![release, seq as i64, body],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn snapshot(&self, release: &str) -> Result<Option<(u64, Value)>> {
        let conn = self.lock();
        let row: Option<(i64, String)> = conn
            .query_row("SELECT seq, body FROM snapshots WHERE release = ?1", [release], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| self.err(e))?;
        drop(conn);
        row.map(|(s, text)| Ok((s as u64, from_json("snapshot", &text)?))).transpose()
    }

    fn release(&self, id: &str) -> Result<Option<ReleaseRow>> {
        let conn = self.lock();
        let text: Option<String> = conn
            .prepare_cached("SELECT body FROM releases WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        drop(conn);
        text.map(|t| from_json("release row", &t)).transpose()
    }

    fn query_releases(&self, query: &ReleaseQuery) -> Result<Vec<ReleaseRow>> {
        let (clause, ps) = release_where(query, |n| format!("?{n}"));
        let conn = self.lock();
        let mut stmt =
            conn.prepare(&format!("SELECT body FROM releases WHERE {clause} ORDER BY ord")).map_err(|e| self.err(e))?;
        let texts = stmt
            .query_map(params_from_iter(sql_params(&ps)), |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))?;
        drop(stmt);
        drop(conn);
        let rows = texts.iter().map(|t| from_json("release row", t)).collect::<Result<Vec<ReleaseRow>>>()?;
        Ok(finish_query(query, rows))
    }

    fn delete_release(&self, id: &str) -> Result<bool> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        let n = tx.execute("DELETE FROM releases WHERE id = ?1", [id]).map_err(|e| self.err(e))?;
        for table in ["events", "snapshots", "jobs"] {
            tx.execute(&format!("DELETE FROM {table} WHERE release = ?1"), [id]).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<(Timestamp, String)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT next_due, id FROM releases WHERE next_due IS NOT NULL AND next_due <= ?1 ORDER BY next_due, ord LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![micros(now), limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        rows.into_iter().map(|(t, id)| Ok((from_micros(t)?, id))).collect()
    }

    fn claim_due(&self, now: Timestamp, limit: usize, lease_until: Timestamp) -> Result<Vec<(Timestamp, String)>> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        let rows = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT next_due, id FROM releases WHERE next_due IS NOT NULL AND next_due <= ?1
                       AND (due_lease IS NULL OR due_lease <= ?1) ORDER BY next_due, ord LIMIT ?2",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params![micros(now), limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .map_err(|e| self.err(e))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| self.err(e))?;
            let mut up =
                tx.prepare_cached("UPDATE releases SET due_lease = ?1 WHERE id = ?2").map_err(|e| self.err(e))?;
            for (_, id) in &rows {
                up.execute(params![micros(lease_until), id]).map_err(|e| self.err(e))?;
            }
            rows
        };
        tx.commit().map_err(|e| self.err(e))?;
        rows.into_iter().map(|(t, id)| Ok((from_micros(t)?, id))).collect()
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
        let list: Vec<String> = (0..executors.len()).map(|i| format!("?{}", i + 3)).collect();
        let sql = format!(
            "SELECT ord, body, deliveries FROM jobs WHERE (lease_until IS NULL OR lease_until <= ?1)
               AND executor IN ({}) ORDER BY ord LIMIT ?2",
            list.join(", ")
        );
        let mut values =
            vec![rusqlite::types::Value::Integer(micros(now)), rusqlite::types::Value::Integer(limit as i64)];
        values.extend(executors.iter().map(|e| rusqlite::types::Value::Text(e.clone())));
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.err(e))?;
        let picked = {
            let mut stmt = tx.prepare_cached(&sql).map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params_from_iter(values), |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?))
                })
                .map_err(|e| self.err(e))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| self.err(e))?;
            let mut up = tx
                .prepare_cached(
                    "UPDATE jobs SET worker = ?1, token = ?2, lease_until = ?3, deliveries = deliveries + 1 WHERE ord = ?4",
                )
                .map_err(|e| self.err(e))?;
            let mut out = Vec::new();
            for (ord, body, deliveries) in rows {
                let token = new_token();
                up.execute(params![worker, token, micros(lease_until), ord]).map_err(|e| self.err(e))?;
                out.push((body, token, deliveries + 1));
            }
            out
        };
        tx.commit().map_err(|e| self.err(e))?;
        picked
            .into_iter()
            .map(|(body, token, deliveries)| Ok(ClaimedJob { job: from_json::<Job>("job", &body)?, token, deliveries }))
            .collect()
    }

    fn heartbeat(&self, job_id: &str, token: &str, lease_until: Timestamp) -> Result<()> {
        let conn = self.lock();
        let n = conn
            .execute(
                "UPDATE jobs SET lease_until = ?1 WHERE id = ?2 AND token = ?3",
                params![micros(lease_until), job_id, token],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 { Err(stale(job_id, "heartbeat refused")) } else { Ok(()) }
    }

    fn finish_job(&self, job_id: &str, token: &str) -> Result<()> {
        let conn = self.lock();
        let n = conn
            .execute("DELETE FROM jobs WHERE id = ?1 AND token = ?2", params![job_id, token])
            .map_err(|e| self.err(e))?;
        if n == 0 { Err(stale(job_id, "completion refused")) } else { Ok(()) }
    }

    fn jobs(&self) -> Result<Vec<JobRecord>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT body, worker, lease_until, deliveries FROM jobs ORDER BY ord")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, u32>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        drop(stmt);
        drop(conn);
        rows.into_iter()
            .map(|(body, worker, lease, deliveries)| {
                Ok(JobRecord {
                    job: from_json("job", &body)?,
                    worker,
                    lease_until: lease.map(from_micros).transpose()?,
                    deliveries,
                })
            })
            .collect()
    }
}

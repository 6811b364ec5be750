//! An append as the SQL store writes it: the batch encoded once into columns ([`AppendRows`]),
//! and the portable way of writing it (a write transaction of cached statements).
//!
//! The expected-sequence check and the writes happen together, under the release's lock: the
//! dialect's [`super::dialect::Dialect::append`] either runs [`write_in_transaction`] (SQLite,
//! whose `BEGIN IMMEDIATE` excludes every other writer) or one statement that checks and writes
//! (PostgreSQL). Whatever else must commit with a release's events (the change feed) is one
//! more field of [`AppendRows`], written in both places, inside the same check.

use super::columns::{RowColumns, check_sequence, micros, to_json};
use super::dialect::{Conn, Value, row, write};
use super::statements::Statements;
use crate::Result;
use crate::release::locks::LockChanges;
use crate::release::{InboxEntry, LedgerEntry};
use crate::store::Append;

/// A batch, encoded into the values its statements bind.
pub(crate) struct AppendRows<'a> {
    /// Release id.
    pub release: &'a str,
    /// The sequence the writer expects the release to be at (0: a new release).
    pub expected: i64,
    /// The events' sequences (`expected + 1 ..`).
    pub seqs: Vec<i64>,
    /// The events' JSON bodies.
    pub bodies: Vec<String>,
    /// The release's index row after the events.
    pub row: RowColumns,
    /// Ids of the jobs whose attempts these events end.
    pub done: &'a [String],
    /// The queued jobs: ids, executors and JSON bodies.
    pub job_ids: Vec<String>,
    pub job_executors: Vec<String>,
    pub job_bodies: Vec<String>,
    /// The feed entry's JSON body (its cursor is assigned when it is written).
    pub feed: Option<String>,
    /// The feed entry's origin (a column too, for the tick probe).
    pub feed_origin: Option<&'a str>,
    /// The release's inbox rows replacing the stored ones (`None`: unchanged).
    pub inbox: Option<InboxRows>,
    /// The release's labels (keys, values) replacing the stored ones (`None`: unchanged).
    pub labels: Option<(Vec<String>, Vec<String>)>,
    /// The ledger entries the batch adds.
    pub ledger: LedgerRows,
    /// The releases the release's waiting gates watch, replacing the stored ones (`None`: unchanged).
    pub watches: Option<&'a [String]>,
    /// The lock rows to write, the capacities to check first, and the rows to remove (`None`: no
    /// lock changed).
    pub locks: Option<LockRows>,
    /// The release's name and process id (search columns).
    pub name: &'a str,
    pub process_id: &'a str,
}

/// Lock changes as rows: see [`crate::store::Append::locks`].
#[derive(Default)]
pub(crate) struct LockRows {
    /// Rows written: name, node, held (0/1), rank (the negated priority: queue order is
    /// ascending), requested at (µs), body.
    pub upserts: Vec<(String, String, i64, i64, i64, String)>,
    /// Granted locks: name and capacity, checked before anything is written.
    pub checks: Vec<(String, u32)>,
    /// Rows removed: name, node.
    pub deletes: Vec<(String, String)>,
}

impl LockRows {
    /// The rows of `changes` for release `release` named `name`.
    pub(crate) fn of(changes: &LockChanges, release: &str, name: &str) -> Result<Self> {
        let mut rows = LockRows::default();
        for e in changes.entries(release, name) {
            let held = e.held() as i64;
            if e.held() {
                rows.checks.push((e.claim.name.clone(), e.claim.capacity));
            }
            let (rank, at) = (-(e.claim.priority as i64), micros(e.claim.requested_at));
            rows.upserts.push((
                e.claim.name.clone(),
                e.claim.node.to_string(),
                held,
                rank,
                at,
                to_json("a lock entry", &e)?,
            ));
        }
        rows.deletes = changes.released.iter().map(|k| (k.name.clone(), k.node.to_string())).collect();
        Ok(rows)
    }
}

/// Writes the lock rows of an append inside its transaction: first checks that every granted
/// lock has a place left (other releases holding it stay below its capacity), then removes and
/// writes. A lock at capacity is a [`crate::release::locks::lock_taken`] conflict (the caller
/// rolls everything back).
pub(crate) fn write_locks<C: Conn>(c: &mut C, sql: &Statements, release: &str, locks: &LockRows) -> Result<()> {
    for (name, capacity) in &locks.checks {
        let held = row(c, &sql.lock_holders, &[Value::Text(name), Value::Text(release)], |r| r.int(0))?.unwrap_or(0);
        if held >= *capacity as i64 {
            return Err(crate::release::locks::lock_taken(name, *capacity));
        }
    }
    // Removed first: a lock let go and asked for again in one transition is written fresh.
    for (name, node) in &locks.deletes {
        c.execute(&sql.delete_lock, &[Value::Text(name), Value::Text(release), Value::Text(node)])?;
    }
    for (name, node, held, rank, at, body) in &locks.upserts {
        let values = [
            Value::Text(name),
            Value::Text(release),
            Value::Text(node),
            Value::Int(*held),
            Value::Int(*rank),
            Value::Int(*at),
            Value::Text(body),
        ];
        c.execute(&sql.upsert_lock, &values)?;
    }
    Ok(())
}

/// Inbox entries as index rows: one per entry and principal.
#[derive(Default)]
pub(crate) struct InboxRows {
    pub principals: Vec<String>,
    pub sinces: Vec<i64>,
    pub items: Vec<String>,
    pub bodies: Vec<String>,
}

/// Ledger entries as rows.
#[derive(Default)]
pub(crate) struct LedgerRows {
    pub services: Vec<String>,
    pub environments: Vec<String>,
    pub ats: Vec<i64>,
    pub seqs: Vec<i64>,
    pub bodies: Vec<String>,
}

impl LedgerRows {
    /// The rows of `entries`.
    pub(crate) fn of(entries: &[LedgerEntry]) -> Result<Self> {
        let mut rows = LedgerRows::default();
        for e in entries {
            rows.services.push(e.service.clone());
            rows.environments.push(e.environment.clone());
            rows.ats.push(micros(e.at));
            rows.seqs.push(e.seq as i64);
            rows.bodies.push(to_json("a ledger entry", e)?);
        }
        Ok(rows)
    }
}

impl InboxRows {
    /// The rows of `entries`.
    pub(crate) fn of(entries: &[InboxEntry]) -> Result<Self> {
        let mut rows = InboxRows::default();
        for e in entries {
            let body = to_json("an inbox entry", e)?;
            for g in &e.grants {
                rows.principals.push(g.principal.clone());
                rows.sinces.push(micros(e.since));
                rows.items.push(e.item_key());
                rows.bodies.push(body.clone());
            }
        }
        Ok(rows)
    }
}

impl<'a> AppendRows<'a> {
    /// Checks the batch's numbering and encodes it.
    pub(crate) fn of(batch: &Append<'a>) -> Result<Self> {
        let Append {
            release,
            expected_seq,
            events,
            row,
            new_jobs,
            done_jobs,
            feed,
            inbox,
            labels,
            ledger,
            watches,
            locks,
        } = *batch;
        check_sequence(release, expected_seq, events)?;
        Ok(AppendRows {
            release,
            expected: expected_seq as i64,
            seqs: events.iter().map(|e| e.seq as i64).collect(),
            bodies: events.iter().map(|e| to_json("an event", e)).collect::<Result<_>>()?,
            row: RowColumns::of(row)?,
            done: done_jobs,
            job_ids: new_jobs.iter().map(|j| j.id.clone()).collect(),
            job_executors: new_jobs.iter().map(|j| j.executor.clone()).collect(),
            job_bodies: new_jobs.iter().map(|j| to_json("a job", j)).collect::<Result<_>>()?,
            feed: feed.map(|f| to_json("a feed entry", f)).transpose()?,
            feed_origin: feed.map(|f| f.origin.as_str()),
            inbox: inbox.map(InboxRows::of).transpose()?,
            labels: labels.map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).unzip()),
            ledger: LedgerRows::of(ledger)?,
            watches,
            locks: locks.filter(|l| !l.is_empty()).map(|l| LockRows::of(l, release, &row.name)).transpose()?,
            name: &row.name,
            process_id: &row.process_id,
        })
    }

    /// The index row's parameters `?1 ..= ?19` of the upsert (release id first).
    pub(crate) fn row_values(&self) -> [Value<'_>; 19] {
        let r = &self.row;
        [
            Value::Text(self.release),
            Value::Text(r.status),
            Value::Text(r.kind),
            Value::Text(&r.scope),
            r.group.as_deref().into(),
            Value::Int(r.archived as i64),
            Value::Int(r.deleted as i64),
            r.next_due.into(),
            Value::Int(r.seq),
            r.win_start.into(),
            r.win_end.into(),
            r.ended_at.into(),
            Value::Text(&r.body),
            Value::Text(self.name),
            Value::Text(self.process_id),
            Value::Int(r.process_version),
            Value::Int(r.created_at),
            r.started_at.into(),
            Value::Int(r.updated_at),
        ]
    }
}

/// The portable append: in a write transaction, reads the release's sequence (locking its row
/// where the dialect locks rows) and, when it is the expected one, writes the events, upserts the
/// index row (ending its timer lease), removes the ended jobs, inserts the queued ones, the
/// feed entry, the inbox rows and the ledger entries (a
/// job already there is kept as it is; one ended by the same batch comes back as a fresh job at
/// the end of the queue). Returns the sequence found; nothing is written when it is not
/// `expected`.
pub(crate) fn write_in_transaction<C: Conn>(conn: &mut C, sql: &Statements, rows: &AppendRows<'_>) -> Result<u64> {
    write(conn, |c| {
        let current = row(c, &sql.release_seq, &[Value::Text(rows.release)], |r| r.int(0))?.unwrap_or(0);
        if current != rows.expected {
            return Ok(current as u64);
        }
        if let Some(locks) = &rows.locks {
            write_locks(c, sql, rows.release, locks)?;
        }
        for (seq, body) in rows.seqs.iter().zip(&rows.bodies) {
            c.execute(&sql.insert_event, &[Value::Text(rows.release), Value::Int(*seq), Value::Text(body)])?;
        }
        c.execute(&sql.upsert_release, &rows.row_values())?;
        for id in rows.done {
            c.execute(&sql.delete_job, &[Value::Text(id)])?;
        }
        for ((id, executor), body) in rows.job_ids.iter().zip(&rows.job_executors).zip(&rows.job_bodies) {
            c.execute(&sql.insert_job, &[id.into(), rows.release.into(), executor.into(), body.into()])?;
        }
        if let Some(body) = &rows.feed {
            c.execute(&sql.insert_feed, &[Value::Text(rows.release), rows.feed_origin.into(), Value::Text(body)])?;
        }
        if let Some((keys, values)) = &rows.labels {
            c.execute(&sql.delete_labels, &[Value::Text(rows.release)])?;
            for (k, v) in keys.iter().zip(values) {
                c.execute(&sql.insert_label, &[Value::Text(rows.release), Value::Text(k), Value::Text(v)])?;
            }
        }
        if let Some(targets) = rows.watches {
            c.execute(&sql.delete_watches, &[Value::Text(rows.release)])?;
            for t in targets {
                c.execute(&sql.insert_watch, &[Value::Text(rows.release), Value::Text(t)])?;
            }
        }
        let l = &rows.ledger;
        for i in 0..l.seqs.len() {
            let values = [
                Value::Text(&l.services[i]),
                Value::Text(&l.environments[i]),
                Value::Int(l.ats[i]),
                Value::Text(rows.release),
                Value::Int(l.seqs[i]),
                Value::Text(&l.bodies[i]),
            ];
            c.execute(&sql.insert_ledger, &values)?;
        }
        if let Some(inbox) = &rows.inbox {
            c.execute(&sql.delete_inbox, &[Value::Text(rows.release)])?;
            for i in 0..inbox.principals.len() {
                let values = [
                    Value::Text(&inbox.principals[i]),
                    Value::Int(inbox.sinces[i]),
                    Value::Text(rows.release),
                    Value::Text(&inbox.items[i]),
                    Value::Text(&inbox.bodies[i]),
                ];
                c.execute(&sql.insert_inbox, &values)?;
            }
        }
        Ok(current as u64)
    })
}

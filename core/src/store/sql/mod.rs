//! The SQL store: the [`Store`] contract implemented once, over a small [`dialect`].
//!
//! [`SqlStore`] holds all the logic: versioned processes and documents, the append with its
//! expected-sequence check, events, snapshots, the release index and its queries, deletion, due
//! timers and jobs with leases. A dialect supplies only what differs between databases:
//! connections (one under a lock, or a pool), placeholders, binding and reading values through
//! the neutral [`dialect::Value`] and [`dialect::Row`], how a write transaction begins, the
//! row-locking and claiming clauses, error mapping and the DDL type names ([`schema`]).
//!
//! * [`schema`]: the DDL (written once with type placeholders) and the migration runner.
//! * [`statements`]: every statement, rendered once per dialect when the store is built.
//! * [`append`]: the encoded batch and the portable transactional append.
//! * [`columns`]: how values are stored (times in µs, JSON bodies, the index row's columns).
//!
//! Writes that read before they write run in a write transaction ([`dialect::write`]); single
//! statements run in autocommit. A claim is one statement that picks and leases (with
//! `SKIP LOCKED` on PostgreSQL); where a write transaction locks the whole database (SQLite) a
//! claim first looks with a plain read and takes the lock only when there is something to claim.

pub(crate) mod append;
pub(crate) mod columns;
pub(crate) mod dialect;
#[cfg(test)]
pub(crate) mod plan_support;
pub(crate) mod schema;
pub(crate) mod search;
pub(crate) mod statements;

pub(crate) use self::columns::check_sequence;

use self::append::AppendRows;
use self::columns::{finish_query, from_json, from_micros, micros, release_query_sql, to_json};
use self::dialect::{Conn, Dialect, Row, Value, row, rows, write};
use self::statements::Statements;
use super::jobs::stale;
use super::{Append, ClaimedJob, JobRecord, ReleaseQuery, ReleaseRow, Store, TickProbe, TickQuestion};
use crate::executor::Job;
use crate::feed::{Cursor, FeedEntry};
use crate::release::{Event, InboxEntry, LedgerEntry};
use crate::{Error, Process, Result, Timestamp};
use serde_json::Value as Json;

/// The one SQL implementation of [`Store`], over dialect `D`.
pub(crate) struct SqlStore<D: Dialect> {
    /// The dialect (and its connections).
    pub(crate) dialect: D,
    /// The statements in `D`.
    pub(crate) sql: Statements,
}

fn conflict(release: &str, current: u64, expected: u64) -> Error {
    Error::Conflict {
        message: format!("release {release} is at event {current}, not {expected}: someone else changed it first"),
    }
}

fn version_and<T: serde::de::DeserializeOwned>(what: &'static str) -> impl Fn(&dyn Row) -> Result<(u32, T)> {
    move |r| Ok((r.int(0)? as u32, from_json(what, r.text(1)?)?))
}

fn key_and_version(r: &dyn Row) -> Result<(String, u32)> {
    Ok((r.text(0)?.to_string(), r.int(1)? as u32))
}

impl<D: Dialect> SqlStore<D> {
    /// A store over `dialect` (already connected and migrated).
    pub(crate) fn new(dialect: D) -> Self {
        SqlStore { dialect, sql: Statements::new::<D>() }
    }

    /// The number of migrations the database has run.
    pub(crate) fn schema_version(&self) -> Result<u32> {
        let v = self.dialect.with_conn(|c| row(c, &self.sql.schema_version, &[], |r| r.int(0)))?;
        v.map(|v| v as u32).ok_or_else(|| Error::Storage { message: "the schema_version table is empty".into() })
    }

    /// Claims with `claim` (a statement that picks and leases, returning what it leased). Where
    /// the dialect reads first, `any` (a cheap read with the same leading parameters) decides
    /// whether the write lock is taken at all; the claim statement checks again under it.
    fn claim<T>(
        &self,
        any: &str,
        any_params: &[Value<'_>],
        claim: &str,
        params: &[Value<'_>],
        read: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.dialect.with_conn(|c| {
            if D::CLAIM_READS_FIRST {
                if row(c, any, any_params, |_| Ok(()))?.is_none() {
                    return Ok(Vec::new());
                }
                write(c, |c| rows(c, claim, params, read))
            } else {
                rows(c, claim, params, read)
            }
        })
    }
}

impl<D: Dialect> Store for SqlStore<D> {
    fn put_process(&self, process: &Process) -> Result<u32> {
        let body = to_json("a process", process)?;
        self.dialect.with_conn(|c| {
            write(c, |c| {
                D::lock_table(c, "processes")?;
                let latest: Option<(u32, String)> =
                    row(c, &self.sql.latest_process, &[Value::Text(&process.id)], |r| {
                        Ok((r.int(0)? as u32, r.text(1)?.to_string()))
                    })?;
                if let Some((v, text)) = &latest {
                    if from_json::<Process>("process", text).is_ok_and(|p| &p == process) {
                        return Ok(*v);
                    }
                }
                let version = latest.map_or(1, |(v, _)| v + 1);
                let values = [Value::Text(&process.id), Value::Int(version.into()), Value::Text(&body)];
                c.execute(&self.sql.insert_process, &values)?;
                Ok(version)
            })
        })
    }

    fn get_process(&self, id: &str, version: Option<u32>) -> Result<Option<(u32, Process)>> {
        self.dialect.with_conn(|c| match version {
            Some(v) => row(c, &self.sql.process_at, &[id.into(), Value::Int(v.into())], version_and("process")),
            None => row(c, &self.sql.latest_process, &[id.into()], version_and("process")),
        })
    }

    fn list_processes(&self) -> Result<Vec<(String, u32)>> {
        self.dialect.with_conn(|c| rows(c, &self.sql.list_processes, &[], key_and_version))
    }

    fn put_document(&self, collection: &str, key: &str, value: &Json) -> Result<u32> {
        let body = to_json("a document", value)?;
        let k = [Value::Text(collection), Value::Text(key)];
        self.dialect.with_conn(|c| {
            write(c, |c| {
                c.execute(&self.sql.open_document_head, &k)?;
                let head = row(c, &self.sql.document_head, &k, |r| Ok((r.int(0)?, r.int(1)? == 1)))?;
                let (last, live) = head.unwrap_or((0, false));
                if live {
                    let at = [k[0], k[1], Value::Int(last)];
                    let latest: Option<(u32, Json)> = row(c, &self.sql.document_at, &at, version_and("document"))?;
                    if latest.is_some_and(|(_, v)| &v == value) {
                        return Ok(last as u32);
                    }
                }
                let version = last + 1;
                c.execute(&self.sql.insert_document, &[k[0], k[1], Value::Int(version), Value::Text(&body)])?;
                c.execute(&self.sql.set_document_head, &[k[0], k[1], Value::Int(version)])?;
                Ok(version as u32)
            })
        })
    }

    fn get_document(&self, collection: &str, key: &str, version: Option<u32>) -> Result<Option<(u32, Json)>> {
        self.dialect.with_conn(|c| match version {
            Some(v) => {
                let at = [collection.into(), key.into(), Value::Int(v.into())];
                row(c, &self.sql.document_at, &at, version_and("document"))
            }
            None => row(c, &self.sql.latest_document, &[collection.into(), key.into()], version_and("document")),
        })
    }

    fn list_documents(&self, collection: &str) -> Result<Vec<(String, u32)>> {
        self.dialect.with_conn(|c| rows(c, &self.sql.list_documents, &[collection.into()], key_and_version))
    }

    fn delete_document(&self, collection: &str, key: &str) -> Result<bool> {
        let k = [Value::Text(collection), Value::Text(key)];
        self.dialect.with_conn(|c| {
            write(c, |c| {
                let n = c.execute(&self.sql.delete_document_versions, &k)?;
                c.execute(&self.sql.retire_document_head, &k)?;
                Ok(n > 0)
            })
        })
    }

    fn append(&self, batch: &Append<'_>) -> Result<()> {
        let rows = AppendRows::of(batch)?;
        let current = self.dialect.with_conn(|c| self.dialect.append(c, &self.sql, &rows))?;
        if current != batch.expected_seq {
            return Err(conflict(batch.release, current, batch.expected_seq));
        }
        if rows.feed.is_some() {
            self.dialect.feed_written();
        }
        Ok(())
    }

    fn events(&self, release: &str, after: u64) -> Result<Vec<Event>> {
        let params = [Value::Text(release), Value::Int(after as i64)];
        self.dialect.with_conn(|c| rows(c, &self.sql.events_after, &params, |r| from_json("event", r.text(0)?)))
    }

    fn put_snapshot(&self, release: &str, seq: u64, state: &Json) -> Result<()> {
        let body = to_json("a snapshot", state)?;
        let params = [Value::Text(release), Value::Int(seq as i64), Value::Text(&body)];
        self.dialect.with_conn(|c| c.execute(&self.sql.put_snapshot, &params)).map(|_| ())
    }

    fn snapshot(&self, release: &str) -> Result<Option<(u64, Json)>> {
        self.dialect.with_conn(|c| {
            row(c, &self.sql.snapshot, &[release.into()], |r| {
                Ok((r.int(0)? as u64, from_json("snapshot", r.text(1)?)?))
            })
        })
    }

    fn release(&self, id: &str) -> Result<Option<ReleaseRow>> {
        self.dialect
            .with_conn(|c| row(c, &self.sql.release_body, &[id.into()], |r| from_json("release row", r.text(0)?)))
    }

    fn query_releases(&self, query: &ReleaseQuery) -> Result<Vec<ReleaseRow>> {
        let (sql, params) = release_query_sql(query, D::in_list);
        let sql = D::placeholders(&sql);
        let values: Vec<Value<'_>> = params.iter().map(|p| p.value()).collect();
        let found = self.dialect.with_conn(|c| rows(c, &sql, &values, |r| from_json("release row", r.text(0)?)))?;
        Ok(finish_query(query, found))
    }

    fn search(
        &self,
        filter: &crate::store::SearchFilter,
        sort: crate::store::SearchSort,
        after: Option<&crate::store::SortKey>,
        limit: usize,
    ) -> Result<Vec<ReleaseRow>> {
        self.dialect.with_conn(|c| {
            let plan = if D::COUNTS_LABELS && !filter.labels.is_empty() {
                let count = D::placeholders(search::COUNT_LABEL_ROWS);
                let mut counts = Vec::with_capacity(filter.labels.len());
                for (k, v) in &filter.labels {
                    let params = [Value::Text(k), Value::Text(v), Value::Int(search::RARE_LABEL_ROWS)];
                    counts.push(row(c, &count, &params, |r| r.int(0))?.unwrap_or(0));
                }
                search::label_plan(&counts)
            } else {
                search::LabelPlan::Probe
            };
            let (sql, params) =
                search::search_sql(filter, plan, sort, after, limit, D::in_list, D::POSITION, D::TYPES.byte_order);
            let sql = D::placeholders(&sql);
            let values: Vec<Value<'_>> = params.iter().map(|p| p.value()).collect();
            rows(c, &sql, &values, |r| from_json("release row", r.text(0)?))
        })
    }

    fn inbox(&self, principals: &[String], limit: usize) -> Result<Vec<InboxEntry>> {
        if principals.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let sql = statements::inbox_query::<D>(principals.len());
        let mut params: Vec<Value<'_>> = principals.iter().map(|p| Value::Text(p)).collect();
        params.push(Value::Int(limit.min(i64::MAX as usize) as i64));
        let found: Vec<InboxEntry> =
            self.dialect.with_conn(|c| rows(c, &sql, &params, |r| from_json("inbox entry", r.text(0)?)))?;
        let mut out: Vec<InboxEntry> = Vec::with_capacity(limit.min(found.len()));
        for e in found {
            let dup = out
                .last()
                .is_some_and(|l| l.since == e.since && l.release_id == e.release_id && l.item_key() == e.item_key());
            if !dup && out.len() < limit {
                out.push(e);
            }
        }
        Ok(out)
    }

    fn deployed(&self, environment: Option<&str>, service: Option<&str>) -> Result<Vec<LedgerEntry>> {
        let sql = statements::deployed_query::<D>(environment.is_some(), service.is_some());
        let params: Vec<Value<'_>> = [environment, service].into_iter().flatten().map(Value::Text).collect();
        self.dialect.with_conn(|c| rows(c, &sql, &params, |r| from_json("ledger entry", r.text(0)?)))
    }

    fn deployments(&self, service: &str, environment: &str, limit: usize) -> Result<Vec<LedgerEntry>> {
        let params = [Value::Text(service), Value::Text(environment), Value::Int(limit.min(i64::MAX as usize) as i64)];
        self.dialect.with_conn(|c| rows(c, &self.sql.deployments, &params, |r| from_json("ledger entry", r.text(0)?)))
    }

    fn delete_release(&self, id: &str) -> Result<bool> {
        self.dialect.with_conn(|c| {
            write(c, |c| {
                let mut existed = false;
                for (i, sql) in self.sql.delete_release.iter().enumerate() {
                    let n = c.execute(sql, &[id.into()])?;
                    existed |= i == 0 && n > 0;
                }
                Ok(existed)
            })
        })
    }

    fn gate_watches(&self, target: Option<&str>) -> Result<Vec<(String, String)>> {
        let pair =
            |r: &dyn dialect::Row| -> Result<(String, String)> { Ok((r.text(0)?.to_string(), r.text(1)?.to_string())) };
        self.dialect.with_conn(|c| match target {
            Some(t) => rows(c, &self.sql.watches_of, &[Value::Text(t)], pair),
            None => rows(c, &self.sql.all_watches, &[], pair),
        })
    }

    fn locks(&self, names: Option<&[String]>) -> Result<Vec<crate::release::locks::LockEntry>> {
        let entry = |r: &dyn dialect::Row| from_json("lock entry", r.text(0)?);
        let mut found = self.dialect.with_conn(|c| match names {
            None => rows(c, &self.sql.all_locks, &[], entry),
            Some(names) => {
                let mut all = Vec::new();
                for n in names.iter().collect::<std::collections::BTreeSet<_>>() {
                    all.extend(rows(c, &self.sql.locks_named, &[Value::Text(n)], entry)?);
                }
                Ok(all)
            }
        })?;
        crate::release::locks::sort_entries(&mut found);
        Ok(found)
    }

    fn lock_queue(&self, name: &str, limit: usize) -> Result<Vec<crate::release::locks::LockEntry>> {
        let entry = |r: &dyn dialect::Row| from_json("lock entry", r.text(0)?);
        let limit = Value::Int(limit.min(i64::MAX as usize) as i64);
        self.dialect.with_conn(|c| {
            let mut found = rows(c, &self.sql.lock_holders_of, &[Value::Text(name)], entry)?;
            found.extend(rows(c, &self.sql.lock_waiters_of, &[Value::Text(name), limit], entry)?);
            Ok(found)
        })
    }

    fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<(Timestamp, String)>> {
        let params = [Value::Int(micros(now)), Value::Int(limit as i64)];
        self.dialect
            .with_conn(|c| rows(c, &self.sql.due, &params, |r| Ok((from_micros(r.int(0)?)?, r.text(1)?.to_string()))))
    }

    fn claim_due(&self, now: Timestamp, limit: usize, lease_until: Timestamp) -> Result<Vec<(Timestamp, String)>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let params = [Value::Int(micros(now)), Value::Int(limit as i64), Value::Int(micros(lease_until))];
        let mut claimed = self.claim(&self.sql.any_due_claimable, &params[..1], &self.sql.claim_due, &params, |r| {
            Ok((r.int(0)?, r.int(2)?, r.text(1)?.to_string()))
        })?;
        claimed.sort();
        claimed.into_iter().map(|(due, _, id)| Ok((from_micros(due)?, id))).collect()
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
        let params = [
            Value::Texts(executors),
            Value::Int(micros(now)),
            Value::Int(limit as i64),
            Value::Text(worker),
            Value::Int(micros(lease_until)),
        ];
        let mut claimed =
            self.claim(&self.sql.any_job_claimable, &params[..2], &self.sql.claim_jobs, &params, |r| {
                Ok((r.int(0)?, r.text(1)?.to_string(), r.text(2)?.to_string(), r.int(3)? as u32))
            })?;
        claimed.sort_by_key(|c| c.0);
        claimed
            .into_iter()
            .map(|(_, body, token, deliveries)| {
                Ok(ClaimedJob { job: from_json::<Job>("job", &body)?, token, deliveries })
            })
            .collect()
    }

    fn heartbeat(&self, job_id: &str, token: &str, lease_until: Timestamp) -> Result<()> {
        let params = [Value::Int(micros(lease_until)), Value::Text(job_id), Value::Text(token)];
        let n = self.dialect.with_conn(|c| c.execute(&self.sql.heartbeat, &params))?;
        if n == 0 { Err(stale(job_id, "heartbeat refused")) } else { Ok(()) }
    }

    fn finish_job(&self, job_id: &str, token: &str) -> Result<()> {
        let n = self.dialect.with_conn(|c| c.execute(&self.sql.finish_job, &[job_id.into(), token.into()]))?;
        if n == 0 { Err(stale(job_id, "completion refused")) } else { Ok(()) }
    }

    fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.dialect.with_conn(|c| {
            rows(c, &self.sql.jobs, &[], |r| {
                Ok(JobRecord {
                    job: from_json("job", r.text(0)?)?,
                    worker: r.opt_text(1)?.map(str::to_string),
                    lease_until: r.opt_int(2)?.map(from_micros).transpose()?,
                    deliveries: r.int(3)? as u32,
                })
            })
        })
    }

    fn feed(&self, after: Cursor, limit: usize) -> Result<Vec<FeedEntry>> {
        let params = [Value::Int(after as i64), Value::Int(limit.min(i64::MAX as usize) as i64)];
        self.dialect.with_conn(|c| {
            rows(c, &self.sql.feed_after, &params, |r| {
                let cursor = r.int(0)? as Cursor;
                Ok(FeedEntry { cursor, ..from_json::<FeedEntry>("feed entry", r.text(1)?)? })
            })
        })
    }

    fn feed_head(&self) -> Result<Cursor> {
        self.dialect
            .with_conn(|c| row(c, &self.sql.feed_head, &[], |r| Ok(r.int(0)? as Cursor)))
            .map(|h| h.unwrap_or(0))
    }

    fn consumer_cursor(&self, consumer: &str) -> Result<Option<Cursor>> {
        self.dialect.with_conn(|c| row(c, &self.sql.consumer_cursor, &[consumer.into()], |r| Ok(r.int(0)? as Cursor)))
    }

    fn set_consumer_cursor(&self, consumer: &str, cursor: Cursor) -> Result<()> {
        let params = [Value::Text(consumer), Value::Int(cursor as i64)];
        self.dialect.with_conn(|c| c.execute(&self.sql.set_consumer_cursor, &params)).map(|_| ())
    }

    fn wait_for_feed(&self, after: Cursor, timeout: std::time::Duration) -> Result<()> {
        self.dialect.wait_for_feed(&self.sql, after as i64, timeout)
    }

    fn tick_probe(&self, q: &TickQuestion<'_>) -> Result<TickProbe> {
        let params = [
            Value::Int(q.feed_after as i64),
            Value::Int(micros(q.now)),
            Value::Texts(q.executors),
            Value::Text(q.collection),
            Value::Text(q.origin),
        ];
        let read = |r: &dyn Row| {
            Ok(TickProbe {
                feed: r.int(0)? != 0,
                timers: r.int(1)? != 0,
                jobs: r.int(2)? != 0,
                documents: r.int(3)? != 0,
                feed_head: r.int(4)? as Cursor,
            })
        };
        Ok(self.dialect.with_conn(|c| row(c, &self.sql.tick_probe, &params, read))?.unwrap_or(TickProbe::ANYTHING))
    }
}

/// Implements [`Store`] for a public store type by handing every call to its [`SqlStore`]
/// field.
macro_rules! store_via_sql {
    ($ty:ty, $field:ident) => {
        impl $crate::store::Store for $ty {
            fn put_process(&self, process: &$crate::Process) -> $crate::Result<u32> {
                self.$field.put_process(process)
            }
            fn get_process(&self, id: &str, version: Option<u32>) -> $crate::Result<Option<(u32, $crate::Process)>> {
                self.$field.get_process(id, version)
            }
            fn list_processes(&self) -> $crate::Result<Vec<(String, u32)>> {
                self.$field.list_processes()
            }
            fn put_document(&self, collection: &str, key: &str, value: &serde_json::Value) -> $crate::Result<u32> {
                self.$field.put_document(collection, key, value)
            }
            fn get_document(
                &self,
                collection: &str,
                key: &str,
                version: Option<u32>,
            ) -> $crate::Result<Option<(u32, serde_json::Value)>> {
                self.$field.get_document(collection, key, version)
            }
            fn list_documents(&self, collection: &str) -> $crate::Result<Vec<(String, u32)>> {
                self.$field.list_documents(collection)
            }
            fn delete_document(&self, collection: &str, key: &str) -> $crate::Result<bool> {
                self.$field.delete_document(collection, key)
            }
            fn append(&self, batch: &$crate::store::Append<'_>) -> $crate::Result<()> {
                self.$field.append(batch)
            }
            fn events(&self, release: &str, after: u64) -> $crate::Result<Vec<$crate::release::Event>> {
                self.$field.events(release, after)
            }
            fn put_snapshot(&self, release: &str, seq: u64, state: &serde_json::Value) -> $crate::Result<()> {
                self.$field.put_snapshot(release, seq, state)
            }
            fn snapshot(&self, release: &str) -> $crate::Result<Option<(u64, serde_json::Value)>> {
                self.$field.snapshot(release)
            }
            fn release(&self, id: &str) -> $crate::Result<Option<$crate::store::ReleaseRow>> {
                self.$field.release(id)
            }
            fn query_releases(
                &self,
                query: &$crate::store::ReleaseQuery,
            ) -> $crate::Result<Vec<$crate::store::ReleaseRow>> {
                self.$field.query_releases(query)
            }
            fn search(
                &self,
                filter: &$crate::store::SearchFilter,
                sort: $crate::store::SearchSort,
                after: Option<&$crate::store::SortKey>,
                limit: usize,
            ) -> $crate::Result<Vec<$crate::store::ReleaseRow>> {
                self.$field.search(filter, sort, after, limit)
            }
            fn inbox(&self, principals: &[String], limit: usize) -> $crate::Result<Vec<$crate::release::InboxEntry>> {
                self.$field.inbox(principals, limit)
            }
            fn deployed(
                &self,
                environment: Option<&str>,
                service: Option<&str>,
            ) -> $crate::Result<Vec<$crate::release::LedgerEntry>> {
                self.$field.deployed(environment, service)
            }
            fn deployments(
                &self,
                service: &str,
                environment: &str,
                limit: usize,
            ) -> $crate::Result<Vec<$crate::release::LedgerEntry>> {
                self.$field.deployments(service, environment, limit)
            }
            fn delete_release(&self, id: &str) -> $crate::Result<bool> {
                self.$field.delete_release(id)
            }
            fn gate_watches(&self, target: Option<&str>) -> $crate::Result<Vec<(String, String)>> {
                self.$field.gate_watches(target)
            }
            fn locks(&self, names: Option<&[String]>) -> $crate::Result<Vec<$crate::release::locks::LockEntry>> {
                self.$field.locks(names)
            }
            fn lock_queue(&self, name: &str, limit: usize) -> $crate::Result<Vec<$crate::release::locks::LockEntry>> {
                self.$field.lock_queue(name, limit)
            }
            fn due(&self, now: $crate::Timestamp, limit: usize) -> $crate::Result<Vec<($crate::Timestamp, String)>> {
                self.$field.due(now, limit)
            }
            fn claim_due(
                &self,
                now: $crate::Timestamp,
                limit: usize,
                lease_until: $crate::Timestamp,
            ) -> $crate::Result<Vec<($crate::Timestamp, String)>> {
                self.$field.claim_due(now, limit, lease_until)
            }
            fn claim_jobs(
                &self,
                executors: &[String],
                worker: &str,
                limit: usize,
                lease_until: $crate::Timestamp,
                now: $crate::Timestamp,
            ) -> $crate::Result<Vec<$crate::store::ClaimedJob>> {
                self.$field.claim_jobs(executors, worker, limit, lease_until, now)
            }
            fn heartbeat(&self, job_id: &str, token: &str, lease_until: $crate::Timestamp) -> $crate::Result<()> {
                self.$field.heartbeat(job_id, token, lease_until)
            }
            fn finish_job(&self, job_id: &str, token: &str) -> $crate::Result<()> {
                self.$field.finish_job(job_id, token)
            }
            fn jobs(&self) -> $crate::Result<Vec<$crate::store::JobRecord>> {
                self.$field.jobs()
            }
            fn feed(&self, after: $crate::feed::Cursor, limit: usize) -> $crate::Result<Vec<$crate::feed::FeedEntry>> {
                self.$field.feed(after, limit)
            }
            fn feed_head(&self) -> $crate::Result<$crate::feed::Cursor> {
                self.$field.feed_head()
            }
            fn consumer_cursor(&self, consumer: &str) -> $crate::Result<Option<$crate::feed::Cursor>> {
                self.$field.consumer_cursor(consumer)
            }
            fn set_consumer_cursor(&self, consumer: &str, cursor: $crate::feed::Cursor) -> $crate::Result<()> {
                self.$field.set_consumer_cursor(consumer, cursor)
            }
            fn wait_for_feed(&self, after: $crate::feed::Cursor, timeout: std::time::Duration) -> $crate::Result<()> {
                self.$field.wait_for_feed(after, timeout)
            }
            fn tick_probe(&self, q: &$crate::store::TickQuestion<'_>) -> $crate::Result<$crate::store::TickProbe> {
                self.$field.tick_probe(q)
            }
        }
    };
}
pub(crate) use store_via_sql;

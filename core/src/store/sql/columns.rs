//! Values as the SQL schema stores them: times, JSON bodies, the indexed columns of a release
//! row, and the `WHERE` clause of a release query.
//!
//! Times are stored as microseconds since the Unix epoch (`BIGINT`), so they order correctly;
//! an open-ended window end is stored as `i64::MAX`. Bodies (events, rows, jobs, documents,
//! processes, snapshots) are JSON text.

use super::dialect::Value;
use crate::release::Event;
use crate::store::{ReleaseQuery, ReleaseRow, window_of};
use crate::{Error, Result, Timestamp};

/// Checks that a batch's events are numbered `expected_seq + 1 ..` without gaps.
pub(crate) fn check_sequence(release: &str, expected_seq: u64, events: &[Event]) -> Result<()> {
    for (i, e) in events.iter().enumerate() {
        if e.seq != expected_seq + 1 + i as u64 {
            return Err(Error::Storage {
                message: format!(
                    "event {} of release {release} is out of sequence (expected {})",
                    e.seq,
                    expected_seq + 1 + i as u64
                ),
            });
        }
    }
    Ok(())
}

/// Microseconds since the epoch.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// A time from microseconds since the epoch.
pub(crate) fn from_micros(us: i64) -> Result<Timestamp> {
    chrono::DateTime::from_timestamp_micros(us)
        .ok_or_else(|| Error::Storage { message: format!("stored time {us} µs is out of range") })
}

/// JSON text of a value.
pub(crate) fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Storage { message: format!("cannot encode {what}: {e}") })
}

/// A value from JSON text.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Storage { message: format!("stored {what} is unreadable: {e}") })
}

/// The indexed columns of a release row.
pub(crate) struct RowColumns {
    pub status: &'static str,
    pub scope: String,
    pub kind: &'static str,
    pub group: Option<String>,
    pub archived: bool,
    pub deleted: bool,
    pub next_due: Option<i64>,
    pub seq: i64,
    pub win_start: Option<i64>,
    pub win_end: Option<i64>,
    pub ended_at: Option<i64>,
    pub body: String,
    pub process_version: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub updated_at: i64,
}

impl RowColumns {
    /// The columns of `row`.
    pub(crate) fn of(row: &ReleaseRow) -> Result<Self> {
        let (start, end) = window_of(row);
        Ok(RowColumns {
            status: row.status.as_str(),
            scope: row.scope.clone(),
            kind: row.kind.as_str(),
            group: row.group.clone(),
            archived: row.archived,
            deleted: row.deleted,
            next_due: row.next_due.map(micros),
            seq: row.seq as i64,
            win_start: start.map(micros),
            win_end: if start.is_some() { Some(end.map_or(i64::MAX, micros)) } else { None },
            ended_at: row.ended_at.map(micros),
            body: to_json("a release row", row)?,
            process_version: row.process_version.into(),
            created_at: row.created_at.map_or(0, micros),
            started_at: row.started_at.map(micros),
            updated_at: row.updated_at.map_or(0, micros),
        })
    }
}

/// An owned parameter of a built query.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
    Texts(Vec<String>),
}

impl Param {
    /// The parameter as a bound value.
    pub(crate) fn value(&self) -> Value<'_> {
        match self {
            Param::Text(s) => Value::Text(s),
            Param::Int(i) => Value::Int(*i),
            Param::Texts(list) => Value::Texts(list),
        }
    }
}

/// Whether a release query is retention's question (ended before a time, archived and deleted
/// releases left out), which the `releases_ended` index answers: then its statuses are checked
/// after reading (every ended release is terminal) and its rows are sorted after the index has
/// found them (`ORDER BY +ord`), because either one would lead SQLite's planner to the status
/// index or a scan of the whole table instead.
fn reads_ended_index(q: &ReleaseQuery) -> bool {
    q.ended_before.is_some() && !q.include_archived && !q.include_deleted
}

/// The statement of a release query (`?N` placeholders) and its parameters: the rows' bodies,
/// oldest first.
pub(crate) fn release_query_sql(q: &ReleaseQuery, in_list: impl Fn(&str, usize) -> String) -> (String, Vec<Param>) {
    let (clause, params) = release_where(q, in_list);
    let order = if reads_ended_index(q) { "+ord" } else { "ord" };
    (format!("SELECT body FROM releases WHERE {clause} ORDER BY {order}"), params)
}

/// Builds the `WHERE` clause of a release query with `?N` placeholders (`in_list(column, n)`
/// renders "column is one of the list parameter `?n`"). Rows are still passed through
/// [`ReleaseQuery::matches`] afterwards (services and environments are filtered there).
fn release_where(q: &ReleaseQuery, in_list: impl Fn(&str, usize) -> String) -> (String, Vec<Param>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let mut bind = |column: &str, op: &str, p: Param| {
        params.push(p);
        let n = params.len();
        clauses.push(if op == "IN" { in_list(column, n) } else { format!("{column} {op} ?{n}") });
    };
    if !q.statuses.is_empty() && !reads_ended_index(q) {
        bind("status", "IN", Param::Texts(q.statuses.iter().map(|s| s.as_str().to_string()).collect()));
    }
    if let Some(k) = q.kind {
        bind("kind", "=", Param::Text(k.as_str().to_string()));
    }
    if let Some(g) = &q.group {
        bind("grp", "=", Param::Text(g.clone()));
    }
    if let Some(s) = &q.scope {
        bind("scope", "=", Param::Text(s.clone()));
    }
    if let Some(from) = q.from {
        bind("win_end", ">=", Param::Int(micros(from)));
    }
    if let Some(to) = q.to {
        bind("win_start", "<=", Param::Int(micros(to)));
    }
    if let Some(before) = q.ended_before {
        bind("ended_at", "<=", Param::Int(micros(before)));
    }
    if !q.include_deleted {
        clauses.push("deleted = 0".into());
    }
    if !q.include_archived {
        clauses.push("archived = 0".into());
    }
    let text = if clauses.is_empty() { "1 = 1".to_string() } else { clauses.join(" AND ") };
    (text, params)
}

/// Filters decoded rows through the query's reference semantics and applies its limit.
pub(crate) fn finish_query(q: &ReleaseQuery, rows: Vec<ReleaseRow>) -> Vec<ReleaseRow> {
    rows.into_iter().filter(|r| q.matches(r)).take(q.limit.unwrap_or(usize::MAX)).collect()
}

#[cfg(test)]
#[path = "query_plan_tests.rs"]
mod query_plan_tests;

//! The search query of the SQL store: the filter as a `WHERE` clause over the index columns and
//! the labels table, and keyset pagination (`(sort column, id) > (?, ?)`, descending: `<`) in the
//! order of an index (`releases_by_created`, `releases_by_name`, `releases_by_updated`).
//!
//! # Label filters
//!
//! A label condition can be checked two ways, and which is fast depends on how many releases
//! carry the label:
//!
//! * **driven by the label** (`id IN (SELECT release FROM release_labels WHERE key = ? AND value = ?)`):
//!   the database reads every release with the label and sorts them: fast for a rare label, but a
//!   page costs the number of matches (25,000 of 100,000 for a label on one release in four);
//! * **probed per row** (`EXISTS (… AND release = releases.id)`): the database walks the sort
//!   index from the cursor and looks each row's label up in the `(key, value, release)` key: a
//!   page costs about `page size / share of releases with the label`, at any depth, but a label
//!   on almost no release would make it walk the whole index.
//!
//! [`LabelPlan`] says which. On SQLite the store first counts each label's releases, at most
//! [`RARE_LABEL_ROWS`] of them (a bounded index read): the rarest label under that bound drives the
//! query and the others are probed; when every label is common, all are probed. PostgreSQL's
//! planner has the statistics to choose by itself, so it is always given the probe form.

use super::columns::{Param, micros};
use crate::store::{SearchFilter, SearchSort, SortField, SortKey};

/// A label matched by fewer releases than this drives the query (see the module docs): sorting
/// up to this many rows costs less than walking the sort index past rows without the label.
pub(crate) const RARE_LABEL_ROWS: i64 = 2_000;

/// How the label conditions of a search are written (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LabelPlan {
    /// Every label condition is probed per row of the sort index.
    Probe,
    /// The label at this position of the filter's labels (in key order) drives the query; the
    /// others are probed.
    Drive(usize),
}

/// The statement that counts the releases with one label, at most [`RARE_LABEL_ROWS`] of them:
/// parameters key, value, the bound.
pub(crate) const COUNT_LABEL_ROWS: &str =
    "SELECT count(*) FROM (SELECT 1 FROM release_labels WHERE key = ?1 AND value = ?2 LIMIT ?3) AS matched";

/// The plan for a filter's labels from each label's (bounded) count of releases, in key order:
/// the rarest label under [`RARE_LABEL_ROWS`] drives, otherwise every label is probed.
pub(crate) fn label_plan(counts: &[i64]) -> LabelPlan {
    counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n < RARE_LABEL_ROWS)
        .min_by_key(|(_, n)| **n)
        .map_or(LabelPlan::Probe, |(i, _)| LabelPlan::Drive(i))
}

/// The statement (with `?N` placeholders) and its parameters. `in_list(column, n)` renders
/// "column is one of the list parameter `?n`"; `position` is the dialect's
/// substring-position function (`instr`, `strpos`); `byte_order` the collation that orders
/// names by their bytes (see [`super::schema::DdlTypes::byte_order`]); `labels` how the label
/// conditions are written.
#[allow(clippy::too_many_arguments)]
pub(crate) fn search_sql(
    filter: &SearchFilter,
    labels: LabelPlan,
    sort: SearchSort,
    after: Option<&SortKey>,
    limit: usize,
    in_list: impl Fn(&str, usize) -> String,
    position: &str,
    byte_order: &str,
) -> (String, Vec<Param>) {
    let mut clauses: Vec<String> = vec!["deleted = 0".into()];
    let mut params: Vec<Param> = Vec::new();
    let bind = |params: &mut Vec<Param>, p: Param| {
        params.push(p);
        params.len()
    };
    if !filter.include_archived {
        clauses.push("archived = 0".into());
    }
    if !filter.status.is_empty() {
        let n = bind(&mut params, Param::Texts(filter.status.iter().map(|s| s.as_str().to_string()).collect()));
        clauses.push(in_list("status", n));
    }
    let eq = |params: &mut Vec<Param>, clauses: &mut Vec<String>, column: &str, p: Param| {
        let n = bind(params, p);
        clauses.push(format!("{column} = ?{n}"));
    };
    if let Some(k) = filter.kind {
        eq(&mut params, &mut clauses, "kind", Param::Text(k.as_str().to_string()));
    }
    if let Some(g) = &filter.group {
        eq(&mut params, &mut clauses, "grp", Param::Text(g.clone()));
    }
    if let Some(s) = &filter.scope {
        eq(&mut params, &mut clauses, "scope", Param::Text(s.clone()));
    }
    if let Some(p) = &filter.process_id {
        eq(&mut params, &mut clauses, "process_id", Param::Text(p.clone()));
    }
    if let Some(v) = filter.process_version {
        eq(&mut params, &mut clauses, "process_version", Param::Int(v.into()));
    }
    for (column, range) in
        [("created_at", &filter.created), ("started_at", &filter.started), ("ended_at", &filter.ended)]
    {
        if let Some(from) = range.from {
            params.push(Param::Int(micros(from)));
            clauses.push(format!("{column} >= ?{}", params.len()));
        }
        if let Some(to) = range.to {
            params.push(Param::Int(micros(to)));
            clauses.push(format!("{column} < ?{}", params.len()));
        }
    }
    if let Some(text) = &filter.name_contains {
        params.push(Param::Text(text.clone()));
        clauses.push(format!("{position}(name, ?{}) > 0", params.len()));
    }
    for (i, (k, v)) in filter.labels.iter().enumerate() {
        params.push(Param::Text(k.clone()));
        params.push(Param::Text(v.clone()));
        let (a, b) = (params.len() - 1, params.len());
        clauses.push(if labels == LabelPlan::Drive(i) {
            format!("id IN (SELECT release FROM release_labels WHERE key = ?{a} AND value = ?{b})")
        } else {
            format!("EXISTS (SELECT 1 FROM release_labels WHERE key = ?{a} AND value = ?{b} AND release = releases.id)")
        });
    }
    let name = format!("name{byte_order}");
    let column = match sort.field {
        SortField::CreatedAt => "created_at",
        SortField::Name => name.as_str(),
        SortField::UpdatedAt => "updated_at",
    };
    let (op, dir) = if sort.descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some(key) = after {
        let (value, id) = match key {
            SortKey::Time(t, id) => (Param::Int(*t), id),
            SortKey::Text(t, id) => (Param::Text(t.clone()), id),
        };
        params.push(value);
        params.push(Param::Text(id.clone()));
        let (a, b) = (params.len() - 1, params.len());
        clauses.push(format!("({column}, id{byte_order}) {op} (?{a}, ?{b})"));
    }
    params.push(Param::Int(limit.min(i64::MAX as usize) as i64));
    let sql = format!(
        "SELECT body FROM releases WHERE {} ORDER BY {column} {dir}, id{byte_order} {dir} LIMIT ?{}",
        clauses.join(" AND "),
        params.len()
    );
    (sql, params)
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;

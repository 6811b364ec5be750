//! The search query of the SQL store: the filter as a `WHERE` clause over the index columns and
//! the labels table, and keyset pagination (`(sort column, id) > (?, ?)`, descending: `<`) in the
//! order of an index (`releases_by_created`, `releases_by_name`, `releases_by_updated`).
//!
//! A label condition takes one of two forms, chosen per query by how many releases carry the
//! label ([`LABEL_DRIVES_BELOW`]): a rare label drives the query (`id IN (SELECT release …)`:
//! its few rows are read, then sorted), a common one is probed per row while the sort index is
//! walked (`EXISTS (… l.release = releases.id)` on the `(key, value, release)` key), so a page
//! reads about `limit × releases / matches` index rows whatever its depth.

use super::columns::{Param, micros};
use super::dialect::Dialect;
use crate::store::{SearchFilter, SearchSort, SortField, SortKey};

/// A label carried by fewer releases than this drives the search (its releases are read and
/// sorted); one carried by more is probed per row of the sort index.
pub(crate) const LABEL_DRIVES_BELOW: i64 = 2_000;

/// The statement (with `?N` placeholders) in dialect `D` and its parameters: lists through
/// [`Dialect::in_list`], substrings with [`Dialect::POSITION`], names ordered by their bytes (see
/// [`super::schema::DdlTypes::byte_order`]). `driving_label` is the position in `filter.labels`
/// of the label whose releases are read first (`None`: every label is probed).
pub(crate) fn search_sql<D: Dialect>(
    filter: &SearchFilter,
    sort: SearchSort,
    after: Option<&SortKey>,
    limit: usize,
    driving_label: Option<usize>,
) -> (String, Vec<Param>) {
    let (in_list, position, byte_order) = (D::in_list, D::POSITION, D::TYPES.byte_order);
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
        clauses.push(if driving_label == Some(i) {
            format!("id IN (SELECT release FROM release_labels WHERE key = ?{a} AND value = ?{b})")
        } else {
            format!(
                "EXISTS (SELECT 1 FROM release_labels l WHERE l.key = ?{a} AND l.value = ?{b} AND l.release = releases.id)"
            )
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

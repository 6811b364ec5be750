//! The search query of the SQL store: the filter as a `WHERE` clause over the index columns and
//! the labels table, and keyset pagination (`(sort column, id) > (?, ?)`, descending: `<`) in the
//! order of an index (`releases_by_created`, `releases_by_name`, `releases_by_updated`).

use super::columns::{Param, micros};
use crate::store::{SearchFilter, SearchSort, SortField, SortKey};

/// The statement (with `?N` placeholders) and its parameters. `in_list(column, n)` renders
/// "column is one of the list parameter `?n`"; `position` is the dialect's
/// substring-position function (`instr`, `strpos`); `byte_order` the collation that orders
/// names by their bytes (see [`super::schema::DdlTypes::byte_order`]).
pub(crate) fn search_sql(
    filter: &SearchFilter,
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
    for (k, v) in &filter.labels {
        params.push(Param::Text(k.clone()));
        params.push(Param::Text(v.clone()));
        let (a, b) = (params.len() - 1, params.len());
        clauses.push(format!("id IN (SELECT release FROM release_labels WHERE key = ?{a} AND value = ?{b})"));
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

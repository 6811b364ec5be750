//! Tests' view of SQLite's query planner: `EXPLAIN QUERY PLAN` of a statement on the real schema.

use super::columns::Param;
use crate::store::sql::dialect::Dialect;
use crate::store::sqlite::Sqlite;

/// SQLite's plan of `sql` (`?N` placeholders) with `params` bound as the store binds them, on a
/// fresh in-memory database with every migration run: one line per step.
pub(crate) fn sqlite_plan(sql: &str, params: &[Param]) -> String {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for migration in super::schema::render(&Sqlite::TYPES) {
        conn.execute_batch(&migration).unwrap();
    }
    let values: Vec<rusqlite::types::Value> = params
        .iter()
        .map(|p| match p {
            Param::Text(t) => rusqlite::types::Value::Text(t.clone()),
            Param::Int(i) => rusqlite::types::Value::Integer(*i),
            // Lists are bound as JSON arrays (read with `json_each`), as `SqliteConn` binds them.
            Param::Texts(list) => rusqlite::types::Value::Text(serde_json::to_string(list).unwrap()),
        })
        .collect();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let lines = stmt
        .query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    lines.join("\n")
}

//! Release queries as SQLite carries them out (`EXPLAIN QUERY PLAN` on the real schema).

use super::*;
use crate::store::sql::dialect::Dialect;
use crate::store::sqlite::Sqlite;

/// SQLite's plan of a release query, one line per step.
fn plan_of(q: &ReleaseQuery) -> String {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for migration in crate::store::sql::schema::render(&Sqlite::TYPES) {
        conn.execute_batch(&migration).unwrap();
    }
    let (sql, params) = release_query_sql(q, Sqlite::in_list);
    let values: Vec<rusqlite::types::Value> = params
        .iter()
        .map(|p| match p {
            Param::Text(t) => rusqlite::types::Value::Text(t.clone()),
            Param::Int(i) => rusqlite::types::Value::Integer(*i),
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

#[test]
fn retention_s_question_reads_the_ended_index() {
    use crate::release::ReleaseStatus;
    let retention = ReleaseQuery {
        statuses: vec![
            ReleaseStatus::Success,
            ReleaseStatus::PartialSuccess,
            ReleaseStatus::Failed,
            ReleaseStatus::Aborted,
        ],
        ended_before: Some("2025-01-01T00:00:00Z".parse().unwrap()),
        ..Default::default()
    };
    let plan = plan_of(&retention);
    assert!(plan.contains("USING INDEX releases_ended"), "retention scans instead of reading the index:\n{plan}");
    let archived_too = ReleaseQuery { include_archived: true, ..retention };
    assert!(!plan_of(&archived_too).contains("releases_ended"), "the index holds no archived release");
}

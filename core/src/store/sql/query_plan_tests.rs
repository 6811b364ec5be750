//! Release queries as SQLite carries them out (`EXPLAIN QUERY PLAN` on the real schema).

use super::*;
use crate::store::sql::dialect::Dialect;
use crate::store::sql::plan_support::sqlite_plan;
use crate::store::sqlite::Sqlite;

/// SQLite's plan of a release query, one line per step.
fn plan_of(q: &ReleaseQuery) -> String {
    let (sql, params) = release_query_sql(q, Sqlite::in_list);
    sqlite_plan(&sql, &params)
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

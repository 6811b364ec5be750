//! The label plans as SQLite carries them out (`EXPLAIN QUERY PLAN` on the real schema).

use super::*;
use crate::store::sql::dialect::Dialect;
use crate::store::sqlite::Sqlite;

/// SQLite's plan of a search by one label, sorted newest first, one line per step.
fn plan_of(labels: LabelPlan) -> String {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for migration in crate::store::sql::schema::render(&Sqlite::TYPES) {
        conn.execute_batch(&migration).unwrap();
    }
    let mut filter = SearchFilter::default();
    filter.labels.insert("team".into(), "payments".into());
    let (sql, params) = search_sql(&filter, labels, SearchSort::default(), None, 50, Sqlite::in_list, "instr", "");
    let values: Vec<rusqlite::types::Value> = params
        .iter()
        .map(|p| match p {
            Param::Text(t) => rusqlite::types::Value::Text(t.clone()),
            Param::Int(i) => rusqlite::types::Value::Integer(*i),
            Param::Texts(_) => unreachable!("the filter has no list"),
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
fn a_common_label_is_probed_per_row_of_the_sort_index_without_sorting() {
    let plan = plan_of(LabelPlan::Probe);
    assert!(plan.contains("releases_by_created"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "a probed label must not sort its matches: {plan}");
    assert!(plan.contains("SEARCH release_labels EXISTS"), "{plan}");
}

#[test]
fn a_rare_label_drives_the_query_from_its_matches() {
    let plan = plan_of(LabelPlan::Drive(0));
    assert!(plan.contains("release_labels USING PRIMARY KEY"), "{plan}");
    assert!(plan.contains("LIST SUBQUERY") || plan.contains("TEMP B-TREE"), "{plan}");
}

#[test]
fn the_rarest_label_under_the_bound_drives() {
    assert_eq!(label_plan(&[]), LabelPlan::Probe);
    assert_eq!(label_plan(&[RARE_LABEL_ROWS, RARE_LABEL_ROWS]), LabelPlan::Probe);
    assert_eq!(label_plan(&[RARE_LABEL_ROWS, 7, 3]), LabelPlan::Drive(2));
    assert_eq!(label_plan(&[0, RARE_LABEL_ROWS]), LabelPlan::Drive(0));
}

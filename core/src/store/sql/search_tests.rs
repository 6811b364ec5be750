//! The label plans as SQLite carries them out (`EXPLAIN QUERY PLAN` on the real schema).

use super::*;
use crate::store::sql::dialect::Dialect;
use crate::store::sql::plan_support::sqlite_plan;
use crate::store::sqlite::Sqlite;

/// SQLite's plan of a search by one label, sorted newest first, one line per step.
fn plan_of(labels: LabelPlan) -> String {
    let mut filter = SearchFilter::default();
    filter.labels.insert("team".into(), "payments".into());
    let (sql, params) = search_sql(&filter, labels, SearchSort::default(), None, 50, Sqlite::in_list, "instr", "");
    sqlite_plan(&sql, &params)
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

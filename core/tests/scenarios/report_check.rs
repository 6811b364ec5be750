//! The `report` expectation: `report: { from, to, group?, hotfix_window?, releases?, phases?,
//! approvals?, dora? }` checked against `Engine::report` (see `testdata/scenarios/README.md`).

use super::*;
use trainyard::ReportOptions;

/// A number or `null` from the report, as JSON, for comparing with the vector's value.
fn same_number(got: &Value, want: &Value) -> bool {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => (g - w).abs() < 1e-9,
        _ => got.is_null() && want.is_null(),
    }
}

pub(super) fn check_report(run: &Run, expect: &Value, ctx: &str) -> Vec<String> {
    let Some(spec) = expect.get("report") else { return Vec::new() };
    let mut failures = Vec::new();
    let (from, to) = (time(&spec["from"], run.start), time(&spec["to"], run.start));
    let mut options = ReportOptions::default();
    if let Some(w) = spec.get("hotfix_window").and_then(Value::as_str) {
        options.hotfix_window_secs = TyDuration::parse(w).expect("hotfix_window duration").as_secs() as i64;
    }
    let group = spec.get("group").and_then(Value::as_str);
    let report = match run.engine.report(from, to, group, &options) {
        Ok(r) => r,
        Err(e) => return vec![format!("{ctx}: report failed: {e}")],
    };
    let alias =
        |id: &str| run.releases.iter().find(|(_, v)| v.as_str() == id).map_or(id.to_string(), |(k, _)| k.clone());
    let by_alias = |name: &str| report.releases.iter().find(|r| alias(&r.id) == name);
    if let Some(want) = spec.get("releases") {
        let got: Vec<Value> = report.releases.iter().map(|r| json!([alias(&r.id), r.status.as_str()])).collect();
        if &Value::Array(got.clone()) != want {
            failures.push(format!("{ctx}: report releases are {got:?}, expected {want:?}"));
        }
    }
    for (name, phases) in spec.get("phases").map(as_map).unwrap_or_default() {
        let Some(r) = by_alias(&name) else {
            failures.push(format!("{ctx}: release {name} is not in the report"));
            continue;
        };
        for (phase, want) in as_map(&phases) {
            let got = r.phases.iter().find(|p| p.id == phase).map(|p| json!([p.planned_secs, p.actual_secs]));
            if got.as_ref() != Some(&want) {
                failures
                    .push(format!("{ctx}: report phase {name}/{phase} [planned, actual] is {got:?}, expected {want}"));
            }
        }
    }
    for (name, approvals) in spec.get("approvals").map(as_map).unwrap_or_default() {
        let Some(r) = by_alias(&name) else {
            failures.push(format!("{ctx}: release {name} is not in the report"));
            continue;
        };
        for (at, want) in as_map(&approvals) {
            let got =
                r.approvals.iter().find(|a| format!("{}/{}", a.phase_id, a.activity_id) == at).map(|a| a.waited_secs);
            if got != want.as_i64() {
                failures.push(format!("{ctx}: report approval {name}/{at} waited {got:?}, expected {want}"));
            }
        }
    }
    let dora = serde_json::to_value(&report.dora).expect("dora as JSON");
    for (figure, want) in spec.get("dora").map(as_map).unwrap_or_default() {
        let got = dora.get(&figure).cloned().unwrap_or(Value::Null);
        if !same_number(&got, &want) {
            failures.push(format!("{ctx}: report dora.{figure} is {got}, expected {want}"));
        }
    }
    failures
}

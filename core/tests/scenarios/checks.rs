//! The expectations a scenario step checks against the release, the clock, the inbox and the ledger
//! (the report's are in `report_check.rs`).

use super::*;

/// Every expectation a step states about one release; the failures, each naming what and where.
pub(super) fn check(run: &Run, release: &str, expect: &Value, since: (usize, usize), ctx: &str) -> Vec<String> {
    let (since, notes_since) = since;
    let mut failures = Vec::new();
    let state = run.engine.get_release(release).expect("release");
    check_release_fields(run, &state, expect, ctx, &mut failures);
    check_audience(run, release, expect, notes_since, ctx, &mut failures);
    check_nodes(&state, expect, ctx, &mut failures);
    check_outputs_and_events(run, release, &state, expect, since, ctx, &mut failures);
    failures
}

/// The release's own fields: status, flags, `waiting_on`, names and owners, planned times, inputs.
fn check_release_fields(run: &Run, state: &ReleaseState, expect: &Value, ctx: &str, failures: &mut Vec<String>) {
    if let Some(s) = str_of(expect, "status") {
        if state.status.as_str() != s {
            failures.push(format!("{ctx}: release status {} (expected {s})", state.status));
        }
    }
    let flags = [
        ("rolled_back", state.rolled_back),
        ("pre_executed", state.pre_executed),
        ("archived", state.archived),
        ("at_risk", state.at_risk),
    ];
    for (flag, actual) in flags {
        if let Some(want) = expect.get(flag).and_then(Value::as_bool) {
            if want != actual {
                failures.push(format!("{ctx}: {flag} is {actual} (expected {want})"));
            }
        }
    }
    if let Some(want) = expect.get("waiting_on") {
        let got = match state.view().waiting_on {
            None => Value::Null,
            Some(w) => {
                let target = match (w.phase_id, w.activity_id) {
                    (Some(p), Some(a)) => json!(format!("{p}/{a}")),
                    (Some(p), None) => json!(p),
                    _ => Value::Null,
                };
                json!([w.kind.as_str(), target])
            }
        };
        if &got != want {
            failures.push(format!("{ctx}: waiting_on is {got} (expected {want})"));
        }
    }
    let fields = [
        ("name", json!(state.name)),
        ("kind", json!(state.kind)),
        ("scope", json!(state.scope)),
        ("process_id", json!(state.process_id)),
        ("process_version", json!(state.process_version)),
        ("owners", json!(state.owners)),
        ("release_managers", json!(state.release_managers)),
        ("stakeholders", json!(state.stakeholders)),
        ("planned_start", json!(state.schedule.as_ref().map(|s| s.start))),
        ("planned_end", json!(state.schedule.as_ref().and_then(|s| s.end))),
    ];
    for (field, actual) in fields {
        let Some(want) = expect.get(field) else { continue };
        let want = match (field, want.as_str()) {
            ("planned_start" | "planned_end", Some(t)) if t.starts_with('+') => json!(time(want, run.start)),
            ("planned_start" | "planned_end", Some(t)) => json!(t.parse::<DateTime<Utc>>().expect("RFC 3339 time")),
            _ => want.clone(),
        };
        if actual != want {
            failures.push(format!("{ctx}: {field} is {actual} (expected {want})"));
        }
    }
    for (k, v) in expect.get("inputs").map(as_map).unwrap_or_default() {
        let actual = state.inputs.get(&k).cloned().unwrap_or(Value::Null);
        if actual != v {
            failures.push(format!("{ctx}: input {k} is {actual} (expected {v})"));
        }
    }
}

/// Who may read the release and who was notified of what.
fn check_audience(run: &Run, release: &str, expect: &Value, notes_since: usize, ctx: &str, failures: &mut Vec<String>) {
    // `readable_by: { sam: true, vic: false }`: whether each actor may read the release.
    for (name, want) in expect.get("readable_by").map(as_map).unwrap_or_default() {
        let actor = run.actor(Some(&json!(name)));
        let readable = run.engine.get_release_as(release, &actor).is_ok();
        if Some(readable) != want.as_bool() {
            failures.push(format!("{ctx}: {name} may read the release: {readable} (expected {want})"));
        }
    }
    // `notified: { sam: [release_started] }`: the notification kinds each recipient got for this
    // release since it was last checked, in order (exactly).
    for (name, want) in expect.get("notified").map(as_map).unwrap_or_default() {
        let got: Vec<String> = run
            .notes
            .lock()
            .unwrap()
            .iter()
            .skip(notes_since)
            .filter(|n| n.release_id == release && n.recipients.contains(&name))
            .map(|n| n.kind.as_str().to_string())
            .collect();
        if json!(got) != want {
            failures.push(format!("{ctx}: {name} was notified of {got:?} (expected {want})"));
        }
    }
}

/// The release attempt and the phases and activities: status, skip reason, attempt, job inputs.
fn check_nodes(state: &ReleaseState, expect: &Value, ctx: &str, failures: &mut Vec<String>) {
    if let Some(a) = expect.get("attempt").and_then(Value::as_u64) {
        if state.attempt as u64 != a {
            failures.push(format!("{ctx}: release attempt {} (expected {a})", state.attempt));
        }
    }
    for (id, want) in expect.get("phases").map(as_map).unwrap_or_default() {
        let (status, reason) = match &want {
            Value::String(s) => (Some(s.as_str()), None),
            spec => (str_of(spec, "status"), str_of(spec, "reason")),
        };
        match state.phase(&id) {
            Some(p) => {
                if status.is_some_and(|s| s != p.status.as_str()) {
                    failures.push(format!("{ctx}: phase {id} is {} (expected {want})", p.status));
                }
                let actual = p.skip_reason.map(|r| json!(r)).unwrap_or(Value::Null);
                if reason.is_some_and(|r| actual.as_str() != Some(r)) {
                    failures.push(format!("{ctx}: phase {id} skip reason {actual} (expected {want})"));
                }
            }
            None => failures.push(format!("{ctx}: no phase {id}")),
        }
    }
    for (key, want) in expect.get("activities").map(as_map).unwrap_or_default() {
        let (p, a) = key.split_once('/').expect("phase/activity");
        let Some(act) = state.activity(p, a) else {
            failures.push(format!("{ctx}: no activity {key}"));
            continue;
        };
        let (status, attempt) = match &want {
            Value::String(s) => (Some(s.as_str()), None),
            spec => (str_of(spec, "status"), spec.get("attempt").and_then(Value::as_u64)),
        };
        if let Some(reason) = str_of(&want, "reason") {
            let actual = act.skip_reason.map(|r| json!(r)).unwrap_or(Value::Null);
            if actual.as_str() != Some(reason) {
                failures.push(format!("{ctx}: activity {key} skip reason {actual} (expected {reason})"));
            }
        }
        for (k, v) in want.get("job_inputs").map(as_map).unwrap_or_default() {
            if act.job_inputs.get(&k) != Some(&v) {
                failures.push(format!(
                    "{ctx}: activity {key} job input {k} is {:?} (expected {v})",
                    act.job_inputs.get(&k)
                ));
            }
        }
        if status.is_some_and(|s| s != act.status.as_str()) {
            failures.push(format!("{ctx}: activity {key} is {} (expected {})", act.status, status.unwrap()));
        }
        if attempt.is_some_and(|n| n != act.attempt as u64) {
            failures.push(format!("{ctx}: activity {key} attempt {} (expected {})", act.attempt, attempt.unwrap()));
        }
    }
}

/// Outputs of phases and activities, and the kinds of the events appended since `since`, in order.
fn check_outputs_and_events(
    run: &Run,
    release: &str,
    state: &ReleaseState,
    expect: &Value,
    since: usize,
    ctx: &str,
    failures: &mut Vec<String>,
) {
    for (key, want) in expect.get("outputs").map(as_map).unwrap_or_default() {
        let (p, a) = key.split_once('/').expect("phase/activity or phase/-");
        let actual: Value = if a == "-" {
            state.phase(p).map(|ph| json!(ph.outputs)).unwrap_or(Value::Null)
        } else {
            state.activity(p, a).map(|x| json!(x.outputs)).unwrap_or(Value::Null)
        };
        for (k, v) in as_map(&want) {
            if actual.get(&k) != Some(&v) {
                failures.push(format!("{ctx}: output {key}.{k} is {:?} (expected {v})", actual.get(&k)));
            }
        }
    }
    if let Some(kinds) = expect.get("events").and_then(Value::as_array) {
        let history = run.engine.history(release).expect("history");
        let recent: Vec<&str> = history[since.min(history.len())..].iter().map(|e| e.kind.name()).collect();
        let mut it = recent.iter();
        for k in kinds.iter().filter_map(Value::as_str) {
            if !it.any(|r| *r == k) {
                failures.push(format!("{ctx}: event `{k}` not found in order among {recent:?}"));
                break;
            }
        }
    }
}

/// Expectations about release groups and the calendar (not about one release).
pub(super) fn check_time(run: &Run, expect: &Value, ctx: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for (group, want) in expect.get("releases_in_group").map(as_map).unwrap_or_default() {
        let n = group_releases(&run.engine, &group).len() as u64;
        if Some(n) != want.as_u64() {
            failures.push(format!("{ctx}: release group {group} has {n} release(s) (expected {want})"));
        }
    }
    failures.extend(check_inbox(run, expect, ctx));
    failures.extend(check_ledger(run, expect, ctx));
    failures.extend(super::report_check::check_report(run, expect, ctx));
    if let Some(cal) = expect.get("calendar") {
        let (from, to) = (time(&cal["from"], run.start), time(&cal["to"], run.start));
        let filter = CalendarFilter {
            include_archived: cal.get("include_archived").and_then(Value::as_bool).unwrap_or(false),
            ..Default::default()
        };
        let entries = run.engine.calendar(from, to, &filter).expect("calendar");
        if let Some(want) = cal.get("count").and_then(Value::as_u64) {
            if entries.len() as u64 != want {
                let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
                failures.push(format!("{ctx}: calendar has {} release(s) {names:?} (expected {want})", entries.len()));
            }
        }
    }
    failures
}

/// `inbox: { actor: [[release, phase/activity, kind, can_act, reason], …] }`: each actor's inbox,
/// in order (releases by their scenario alias).
fn check_inbox(run: &Run, expect: &Value, ctx: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for (name, want) in expect.get("inbox").map(as_map).unwrap_or_default() {
        let actor = run.actor(Some(&Value::String(name.clone())));
        let items = match run.engine.inbox(&actor, 100) {
            Ok(items) => items,
            Err(e) => {
                failures.push(format!("{ctx}: inbox of {name} failed: {e}"));
                continue;
            }
        };
        let alias =
            |id: &str| run.releases.iter().find(|(_, v)| v.as_str() == id).map_or(id.to_string(), |(k, _)| k.clone());
        let got: Vec<Value> = items
            .iter()
            .map(|i| {
                let at = format!("{}/{}", i.phase_id, i.activity_id);
                json!([alias(&i.release_id), at, i.kind.as_str(), i.can_act, i.reason])
            })
            .collect();
        if Value::Array(got.clone()) != want {
            failures.push(format!("{ctx}: inbox of {name} is {got:?}, expected {want:?}"));
        }
        // The index is a projection of the events: rebuilt from them, it says the same.
        if let Err(e) = run.engine.rebuild_indexes() {
            failures.push(format!("{ctx}: rebuilding the indexes failed: {e}"));
        }
        let again = run.engine.inbox(&actor, 100).map(|v| v.len()).unwrap_or(usize::MAX);
        if again != got.len() {
            failures.push(format!("{ctx}: inbox of {name} has {again} item(s) after a rebuild, {} before", got.len()));
        }
    }
    failures
}

/// `deployed: [[service, environment, version, release, rollback], …]` (the current entry of
/// every service and environment) and `deployments: { service@environment: [[version, release,
/// rollback], …] }` (newest first); releases by their scenario alias. Checked again after the
/// indexes are rebuilt from the events.
fn check_ledger(run: &Run, expect: &Value, ctx: &str) -> Vec<String> {
    let alias =
        |id: &str| run.releases.iter().find(|(_, v)| v.as_str() == id).map_or(id.to_string(), |(k, _)| k.clone());
    let read = |rebuilt: &str, failures: &mut Vec<String>| {
        if let Some(want) = expect.get("deployed") {
            let got: Vec<Value> = match run.engine.deployed(None, None) {
                Ok(list) => list
                    .iter()
                    .map(|e| json!([e.service, e.environment, e.version, alias(&e.release_id), e.rollback]))
                    .collect(),
                Err(e) => vec![json!(e.to_string())],
            };
            if &Value::Array(got.clone()) != want {
                failures.push(format!("{ctx}{rebuilt}: deployed is {got:?}, expected {want:?}"));
            }
        }
        for (key, want) in expect.get("deployments").map(as_map).unwrap_or_default() {
            let (service, environment) = key.split_once('@').expect("deployments keys are service@environment");
            let got: Vec<Value> = match run.engine.deployments(service, environment, 100) {
                Ok(list) => list.iter().map(|e| json!([e.version, alias(&e.release_id), e.rollback])).collect(),
                Err(e) => vec![json!(e.to_string())],
            };
            if Value::Array(got.clone()) != want {
                failures.push(format!("{ctx}{rebuilt}: deployments of {key} are {got:?}, expected {want:?}"));
            }
        }
    };
    let mut failures = Vec::new();
    if expect.get("deployed").is_none() && expect.get("deployments").is_none() {
        return failures;
    }
    read("", &mut failures);
    // The ledger is a projection of the events: rebuilt from them, it says the same.
    if let Err(e) = run.engine.rebuild_indexes() {
        failures.push(format!("{ctx}: rebuilding the indexes failed: {e}"));
    }
    read(" (after a rebuild)", &mut failures);
    failures
}

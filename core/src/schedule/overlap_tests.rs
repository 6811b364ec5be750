//! The pure start decisions of release groups: each catch-up policy, each overlap policy, a pause.

use super::ReleaseGroup;
use super::overlap::{CATCH_UP_GRACE, CatchUp, DueOccurrence, Overlap, SkipReason, StartDecision, decide_starts};
use crate::Timestamp;
use serde_json::json;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Three weekly occurrences, all due on 2025-04-15 (nobody ticked for two weeks).
fn three_due() -> Vec<DueOccurrence> {
    ["2025-04-14T07:00:00Z", "2025-03-31T07:00:00Z", "2025-04-07T07:00:00Z"]
        .iter()
        .enumerate()
        .map(|(i, s)| DueOccurrence { release_id: format!("r{i}"), start: at(s) })
        .collect()
}

fn decide(
    overlap: Overlap,
    catch_up: CatchUp,
    paused: bool,
    running: usize,
    now: &str,
) -> Vec<(String, StartDecision)> {
    decide_starts(overlap, catch_up, paused, running, &three_due(), at(now))
}

fn short(out: &[(String, StartDecision)]) -> Vec<String> {
    out.iter()
        .map(|(id, d)| {
            let d = match d {
                StartDecision::Start => "start",
                StartDecision::Wait => "wait",
                StartDecision::Skip(_) => "skip",
            };
            format!("{id}:{d}")
        })
        .collect()
}

#[test]
fn catch_up_all_starts_every_missed_occurrence_oldest_first() {
    let out = decide(Overlap::Allow, CatchUp::All, false, 0, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:start", "r2:start", "r0:start"]);
}

#[test]
fn catch_up_latest_keeps_only_the_newest() {
    let out = decide(Overlap::Allow, CatchUp::Latest, false, 0, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:skip", "r2:skip", "r0:start"]);
    assert_eq!(out[0].1, StartDecision::Skip(SkipReason::Superseded(at("2025-04-14T07:00:00Z"))));
}

#[test]
fn catch_up_none_skips_what_is_late_and_starts_what_is_on_time() {
    let out = decide(Overlap::Allow, CatchUp::None, false, 0, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:skip", "r2:skip", "r0:skip"]);
    assert_eq!(out[2].1, StartDecision::Skip(SkipReason::Late));
    let on_time = at("2025-04-14T07:00:00Z") + CATCH_UP_GRACE;
    let out = decide_starts(Overlap::Allow, CatchUp::None, false, 0, &three_due(), on_time);
    assert_eq!(short(&out), ["r1:skip", "r2:skip", "r0:start"]);
}

#[test]
fn a_paused_group_starts_nothing_but_catch_up_still_applies() {
    let out = decide(Overlap::Allow, CatchUp::All, true, 0, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:wait", "r2:wait", "r0:wait"]);
    let out = decide(Overlap::Allow, CatchUp::Latest, true, 0, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:skip", "r2:skip", "r0:wait"]);
}

#[test]
fn overlap_skip_starts_one_only_when_none_runs() {
    let out = decide(Overlap::Skip, CatchUp::All, false, 0, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:start", "r2:skip", "r0:skip"]);
    assert_eq!(out[1].1, StartDecision::Skip(SkipReason::Overlap(Overlap::Skip)));
    let out = decide(Overlap::Skip, CatchUp::Latest, false, 1, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:skip", "r2:skip", "r0:skip"]);
}

#[test]
fn overlap_buffer_one_keeps_the_newest_waiting() {
    let out = decide(Overlap::BufferOne, CatchUp::All, false, 0, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:start", "r2:skip", "r0:wait"]);
    let out = decide(Overlap::BufferOne, CatchUp::All, false, 1, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:skip", "r2:skip", "r0:wait"]);
}

#[test]
fn overlap_max_in_flight_starts_up_to_the_limit_and_queues_the_rest() {
    let out = decide(Overlap::MaxInFlight(2), CatchUp::All, false, 0, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:start", "r2:start", "r0:wait"]);
    let out = decide(Overlap::MaxInFlight(2), CatchUp::All, false, 2, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:wait", "r2:wait", "r0:wait"]);
    let out = decide(Overlap::Allow, CatchUp::All, false, 5, "2025-04-15T00:00:00Z");
    assert_eq!(short(&out), ["r1:start", "r2:start", "r0:start"]);
}

#[test]
fn the_policies_read_and_reject_with_the_valid_values() {
    let base = json!({"id": "t", "name": "T", "process": "p", "cadence": "FREQ=WEEKLY", "duration": "1d",
        "starts_on": "2025-01-01"});
    let with = |k: &str, v: serde_json::Value| {
        let mut doc = base.clone();
        doc[k] = v;
        ReleaseGroup::from_value(&doc)
    };
    let g = with("overlap", json!({"max_in_flight": 3})).unwrap();
    assert_eq!((g.overlap, g.catch_up), (Overlap::MaxInFlight(3), CatchUp::Latest));
    assert_eq!(serde_json::to_value(&g).unwrap()["overlap"], json!({"max_in_flight": 3}));
    assert_eq!(with("overlap", json!("buffer_one")).unwrap().overlap, Overlap::BufferOne);
    assert_eq!(with("catch_up", json!("none")).unwrap().catch_up, CatchUp::None);
    let mut doc = base.clone();
    doc["overlap"] = json!({"max_in_flight": 0});
    doc["catch_up"] = json!("some");
    let crate::Error::Validation { problems } = ReleaseGroup::from_value(&doc).unwrap_err() else { panic!() };
    let found: Vec<_> = problems.iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert_eq!(found, [("catch_up", "invalid_value"), ("overlap", "invalid_value")]);
    assert!(problems[0].message.contains("`all`, `latest`"), "{}", problems[0].message);
    assert!(problems[1].message.contains("buffer_one"), "{}", problems[1].message);
}

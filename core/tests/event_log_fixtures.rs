//! Event logs written by an earlier trainyard (`testdata/event-logs/*.json`, one per scenario vector)
//! must load, serialize back to exactly the same JSON, and replay to exactly the same states (compared
//! in the snapshot encoding, which is itself a stored format).
//!
//! The fixtures were written by running the scenario vectors with
//! `TRAINYARD_WRITE_EVENT_LOGS=testdata/event-logs cargo test -p trainyard --test scenarios -- --exact scenario_vectors`
//! (see `write_event_log_fixture` in `scenarios.rs`). They are never rewritten: a change that makes
//! this test fail changed the stored format or the fold over it, which breaks every stored release.

use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use trainyard::Process;
use trainyard::release::{Event, Plan, ReleaseState, evolve};
use trainyard::store::encode_snapshot;

fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/event-logs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    files
}

#[test]
fn stored_event_logs_round_trip_and_replay_to_the_same_states() {
    let files = fixtures();
    assert!(files.len() >= 30, "expected the event-log fixtures of every scenario, found {}", files.len());
    let mut releases = 0;
    for file in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let mut plans = std::collections::HashMap::new();
        for p in doc["processes"].as_array().unwrap() {
            let process: Process = serde_json::from_value(p["definition"].clone())
                .unwrap_or_else(|e| panic!("{name}: process {}: {e}", p["id"]));
            let version = p["version"].as_u64().unwrap() as u32;
            plans.insert((process.id.clone(), version), Plan::new(Arc::new(process), version));
        }
        for r in doc["releases"].as_array().unwrap() {
            let id = r["id"].as_str().unwrap();
            let key = (r["process_id"].as_str().unwrap().to_string(), r["process_version"].as_u64().unwrap() as u32);
            let plan = plans.get(&key).unwrap_or_else(|| panic!("{name}: release {id}: no process {key:?}")).clone();
            let events: Vec<Event> = serde_json::from_value(r["events"].clone())
                .unwrap_or_else(|e| panic!("{name}: release {id}: the stored events no longer load: {e}"));
            assert_eq!(
                serde_json::to_value(&events).unwrap(),
                r["events"],
                "{name}: release {id}: the events serialize differently than they were stored"
            );
            let mut state = ReleaseState::new(id, plan);
            for e in &events {
                evolve(&mut state, e);
            }
            assert_eq!(
                encode_snapshot(&state).unwrap(),
                r["state"],
                "{name}: release {id}: replay gives another state"
            );
            releases += 1;
        }
    }
    assert!(releases >= 40, "expected the releases of every scenario, replayed {releases}");
}

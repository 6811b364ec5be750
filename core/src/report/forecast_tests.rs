//! Unit tests of the pure forecast: critical path, history median, running and pending phases,
//! at-risk.

use super::*;
use crate::release::{Plan, Schedule};
use std::sync::Arc;

// build ─┬─ qa (2h) ─┬─ prod (1h)
//        └─ docs ────┘
const PROCESS: &str = include_str!("../../../testdata/processes/train-with-docs.yaml");

fn t(h: i64, m: i64) -> Timestamp {
    "2025-04-07T00:00:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::minutes(h * 60 + m)
}

fn release(id: &str) -> ReleaseState {
    let process = crate::load_process(PROCESS).unwrap().process;
    let mut s = ReleaseState::new(id, Plan::new(Arc::new(process), 1));
    s.stage = Stage::Active;
    s.started_at = Some(t(9, 0));
    s.schedule = Some(Schedule { start: t(9, 0), end: Some(t(13, 0)), auto_start: false });
    s
}

fn ran(s: &mut ReleaseState, phase: &str, from: Timestamp, to: Option<Timestamp>) {
    let p = s.plan().phase_index(phase).unwrap();
    let ph = &mut s.phases[p];
    ph.started = to.is_none();
    ph.started_at = Some(from);
    ph.ended_at = to;
    ph.status = if to.is_some() { PhaseStatus::Success } else { PhaseStatus::Running };
}

/// An earlier release that ran every phase to success with these lengths in minutes.
fn earlier(id: &str, minutes: [i64; 4]) -> ReleaseState {
    let mut s = release(id);
    let mut at = t(0, 0);
    for (phase, m) in ["build", "qa", "docs", "prod"].into_iter().zip(minutes) {
        ran(&mut s, phase, at, Some(at + chrono::Duration::minutes(m)));
        at += chrono::Duration::minutes(m);
    }
    s.stage = Stage::Ended;
    s.ended_at = Some(at);
    s
}

fn phase<'a>(f: &'a Forecast, id: &str) -> &'a PhaseForecast {
    f.phases.iter().find(|p| p.id == id).unwrap()
}

#[test]
fn without_history_a_pending_release_follows_the_planned_durations_along_the_longest_path() {
    let s = release("r");
    let f = forecast(&s, &[], t(9, 0));
    // build 30m, then qa 2h (docs has no duration: 0), then prod 1h.
    assert_eq!(f.expected_end, Some(t(12, 30)));
    assert_eq!(f.critical_path, vec!["build", "qa", "prod"]);
    assert_eq!(phase(&f, "docs").basis, Basis::None);
    assert_eq!(phase(&f, "docs").expected_end, Some(t(9, 30)));
    assert_eq!(phase(&f, "qa").basis, Basis::Planned);
    assert_eq!(phase(&f, "prod").expected_start, Some(t(11, 30)));
    assert!(!phase(&f, "docs").critical && phase(&f, "qa").critical);
    assert_eq!(f.planned_end, Some(t(13, 0)));
    assert!(!f.at_risk);
    assert_eq!(f.late_secs, Some(-30 * 60));
}

#[test]
fn history_medians_replace_planned_durations_and_can_move_the_critical_path() {
    let s = release("r");
    // docs took 3h, 4h and 5h (median 4h); qa 10m, 20m, 30m (median 20m); build and prod likewise.
    let history =
        vec![earlier("a", [10, 10, 180, 60]), earlier("b", [20, 20, 240, 60]), earlier("c", [30, 30, 300, 60])];
    let f = forecast(&s, &history, t(9, 0));
    assert_eq!(phase(&f, "docs").basis, Basis::History);
    assert_eq!(phase(&f, "docs").expected_secs, Some(4 * 3600));
    assert_eq!(phase(&f, "docs").history_runs, 3);
    assert_eq!(phase(&f, "qa").expected_secs, Some(20 * 60));
    // build 20m, docs 4h, prod 1h: 14:20, past the planned 13:00.
    assert_eq!(f.critical_path, vec!["build", "docs", "prod"]);
    assert_eq!(f.expected_end, Some(t(14, 20)));
    assert!(f.at_risk);
    assert_eq!(f.late_secs, Some(80 * 60));
}

#[test]
fn an_even_number_of_runs_takes_the_mean_of_the_middle_two_and_other_processes_do_not_count() {
    let s = release("r");
    let mut other = earlier("x", [999, 999, 999, 999]);
    other.process_id = "another".into();
    let history = vec![earlier("a", [10, 10, 10, 10]), earlier("b", [20, 20, 20, 20]), other];
    let f = forecast(&s, &history, t(9, 0));
    assert_eq!(phase(&f, "build").expected_secs, Some(15 * 60));
    assert_eq!(phase(&f, "build").history_runs, 2);
}

#[test]
fn ended_phases_are_actual_and_running_ones_end_no_earlier_than_now() {
    let mut s = release("r");
    ran(&mut s, "build", t(9, 0), Some(t(9, 45)));
    ran(&mut s, "qa", t(9, 45), None);
    ran(&mut s, "docs", t(9, 45), Some(t(10, 0)));
    // At 10:00 qa (2h planned) is expected to end at 11:45.
    let f = forecast(&s, &[], t(10, 0));
    assert_eq!(phase(&f, "build").basis, Basis::Actual);
    assert_eq!(phase(&f, "build").expected_secs, Some(45 * 60));
    assert_eq!(phase(&f, "qa").expected_end, Some(t(11, 45)));
    assert_eq!(f.expected_end, Some(t(12, 45)));
    // At 12:30 qa is past its planned length and still running: it ends now at the earliest,
    // and prod follows it.
    let f = forecast(&s, &[], t(12, 30));
    assert_eq!(phase(&f, "qa").expected_end, Some(t(12, 30)));
    assert_eq!(phase(&f, "prod").expected_start, Some(t(12, 30)));
    assert_eq!(f.expected_end, Some(t(13, 30)));
    assert!(f.at_risk);
    assert_eq!(f.critical_path, vec!["build", "qa", "prod"]);
}

#[test]
fn a_pending_phase_waits_for_its_not_before_and_a_blocked_one_takes_no_time() {
    let mut s = release("r");
    let prod = s.plan().phase_index("prod").unwrap();
    s.phases[prod].rescheduled = Some(t(15, 0));
    let f = forecast(&s, &[], t(9, 0));
    assert_eq!(phase(&f, "prod").expected_start, Some(t(15, 0)));
    assert_eq!(f.expected_end, Some(t(16, 0)));
    s.phases[prod].blocked = true;
    let f = forecast(&s, &[], t(9, 0));
    assert_eq!(phase(&f, "prod").expected_secs, Some(0));
    assert_eq!(f.expected_end, Some(t(11, 30)));
}

#[test]
fn an_ended_release_is_expected_to_end_when_it_ended() {
    let mut s = earlier("r", [10, 10, 10, 10]);
    s.schedule = Some(Schedule { start: t(0, 0), end: Some(t(0, 30)), auto_start: false });
    let f = forecast(&s, &[], t(20, 0));
    assert_eq!(f.expected_end, Some(t(0, 40)));
    assert!(f.at_risk);
    // Without a planned end nothing is at risk.
    s.schedule = None;
    let f = forecast(&s, &[], t(20, 0));
    assert!(!f.at_risk);
    assert_eq!(f.late_secs, None);
}

#[test]
fn a_release_not_started_yet_starts_at_its_scheduled_start_or_now() {
    let mut s = release("r");
    s.stage = Stage::Scheduled;
    s.started_at = None;
    let f = forecast(&s, &[], t(8, 0));
    assert_eq!(phase(&f, "build").expected_start, Some(t(9, 0)));
    // Past its scheduled start without having started: from now.
    let f = forecast(&s, &[], t(10, 0));
    assert_eq!(phase(&f, "build").expected_start, Some(t(10, 0)));
}

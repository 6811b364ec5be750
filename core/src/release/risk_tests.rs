//! Unit tests of the risk assessment: at risk or not, when it turns at risk, and which
//! assessments are recorded.

use super::*;
use crate::release::{PhaseStatus, Plan, Schedule};
use std::sync::Arc;

// build (30m) ─┬─ qa (2h) ─┬─ prod (1h); docs takes no time (no planned duration, no history).
//                └─ docs ────┘
const PROCESS: &str = include_str!("../../../testdata/processes/train-with-docs.yaml");

fn t(h: i64, m: i64) -> Timestamp {
    "2025-04-07T00:00:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::minutes(h * 60 + m)
}

fn second() -> chrono::Duration {
    chrono::Duration::seconds(1)
}

/// A release started at 09:00 that must end by `end`.
fn release(end: Option<Timestamp>) -> ReleaseState {
    let process = crate::load_process(PROCESS).unwrap().process;
    let mut s = ReleaseState::new("r", Plan::new(Arc::new(process), 1));
    s.stage = Stage::Active;
    s.started_at = Some(t(9, 0));
    s.schedule = Some(Schedule { start: t(9, 0), end, auto_start: false });
    s
}

fn running(s: &mut ReleaseState, phase: &str, from: Timestamp) {
    let p = s.plan().phase_index(phase).unwrap();
    let ph = &mut s.phases[p];
    (ph.started, ph.started_at, ph.status) = (true, Some(from), PhaseStatus::Running);
}

fn ended(s: &mut ReleaseState, phase: &str, from: Timestamp, to: Timestamp) {
    let p = s.plan().phase_index(phase).unwrap();
    let ph = &mut s.phases[p];
    (ph.started, ph.started_at, ph.ended_at, ph.status) = (false, Some(from), Some(to), PhaseStatus::Success);
}

#[test]
fn a_release_on_plan_is_not_at_risk_and_turns_at_risk_the_second_its_slack_is_used_up() {
    // Planned: 09:00 + 30m + 2h + 1h = 12:30; the planned end 13:00 leaves 30 minutes of slack.
    let mut s = release(Some(t(13, 0)));
    running(&mut s, "build", t(9, 0));
    let a = assess(&s, &PhaseHistory::new(), t(9, 10)).unwrap();
    assert_eq!((a.at_risk, a.expected_end, a.planned_end), (false, Some(t(12, 30)), t(13, 0)));
    // build runs past its 30 minutes from 09:30 on; at 10:00 it has used the slack, so one
    // second later the release is expected after 13:00.
    assert_eq!(a.check_at, Some(t(10, 0) + second()));
    let just_before = assess(&s, &PhaseHistory::new(), t(10, 0)).unwrap();
    assert!(!just_before.at_risk);
    let after = assess(&s, &PhaseHistory::new(), t(10, 0) + second()).unwrap();
    assert!(after.at_risk);
    assert_eq!(after.expected_end, Some(t(13, 0) + second()));
    assert_eq!(after.check_at, None);
}

#[test]
fn history_longer_than_planned_puts_a_release_at_risk_at_once() {
    let mut s = release(Some(t(13, 0)));
    running(&mut s, "build", t(9, 0));
    let history: PhaseHistory = [("qa".to_string(), (3 * 3600, 5))].into_iter().collect();
    let a = assess(&s, &history, t(9, 0)).unwrap();
    // 30m + 3h (history) + 1h: 13:30.
    assert_eq!((a.at_risk, a.expected_end, a.check_at), (true, Some(t(13, 30)), None));
}

#[test]
fn only_a_running_release_with_a_planned_end_is_assessed() {
    assert_eq!(assess(&release(None), &PhaseHistory::new(), t(9, 0)), None);
    let mut scheduled = release(Some(t(13, 0)));
    scheduled.stage = Stage::Scheduled;
    assert_eq!(assess(&scheduled, &PhaseHistory::new(), t(9, 0)), None);
}

#[test]
fn a_release_whose_phases_all_ended_never_turns_at_risk() {
    let mut s = release(Some(t(13, 0)));
    ended(&mut s, "build", t(9, 0), t(9, 30));
    ended(&mut s, "qa", t(9, 30), t(10, 0));
    ended(&mut s, "docs", t(9, 30), t(9, 40));
    ended(&mut s, "prod", t(10, 0), t(10, 30));
    let a = assess(&s, &PhaseHistory::new(), t(10, 30)).unwrap();
    assert_eq!((a.at_risk, a.expected_end, a.check_at), (false, Some(t(10, 30)), None));
}

#[test]
fn an_assessment_is_recorded_when_the_flag_changes_or_the_check_moves_earlier() {
    let mut s = release(Some(t(13, 0)));
    let calm = RiskAssessment { at_risk: false, expected_end: None, planned_end: t(13, 0), check_at: Some(t(10, 0)) };
    // No timer yet: the first check is recorded.
    assert!(matches!(risk_event(&s, &calm), Some(EventKind::RiskAssessed { at_risk: false, .. })));
    s.timers.insert(TimerKey::RiskCheck, t(10, 0));
    // The same check, or a later one: nothing (a timer that fires early assesses again).
    assert_eq!(risk_event(&s, &calm), None);
    assert_eq!(risk_event(&s, &RiskAssessment { check_at: Some(t(11, 0)), ..calm }), None);
    assert_eq!(risk_event(&s, &RiskAssessment { check_at: None, ..calm }), None);
    // An earlier one is.
    assert!(risk_event(&s, &RiskAssessment { check_at: Some(t(9, 50)), ..calm }).is_some());
    // Turning at risk is, once: at risk again is not.
    let late = RiskAssessment { at_risk: true, check_at: None, ..calm };
    assert!(matches!(risk_event(&s, &late), Some(EventKind::RiskAssessed { at_risk: true, check_at: None, .. })));
    s.at_risk = true;
    assert_eq!(risk_event(&s, &late), None);
    // Back on track is.
    assert!(matches!(risk_event(&s, &calm), Some(EventKind::RiskAssessed { at_risk: false, .. })));
}

#[test]
fn bisection_finds_the_first_late_second_for_any_threshold() {
    let now = t(9, 0);
    for minutes in [0_i64, 1, 59, 60, 61, 239] {
        let threshold = now + chrono::Duration::minutes(minutes) + chrono::Duration::milliseconds(300);
        let found = turns_late_at(now, t(13, 0), |at| at > threshold).unwrap();
        assert!(found > threshold && found - threshold <= second(), "{minutes}: {found} for {threshold}");
    }
    assert_eq!(turns_late_at(now, t(13, 0), |_| false), None);
}

//! Rules of a `gate` activity: at least one target, each naming its releases exactly one way,
//! and `until` / `fail_on` statuses that its targets can be in.

use super::{codes, path};
use crate::Problem;
use crate::model::{Activity, GateLevel, GateTarget, Until};

/// Checks a gate activity's `targets`, `until` and `fail_on`, adding every problem to `out`.
pub fn check(activity: &Activity, at: &str, out: &mut Vec<Problem>) {
    let tat = path::field(at, "targets");
    if activity.targets.is_empty() {
        out.push(Problem::new(
            &tat,
            codes::MISSING_FIELD,
            format!(
                "gate `{}` needs `targets`: what it waits for, e.g. `- release: ${{inputs.train}}` or \
                 `- group: weekly-train` (with `phase:` / `activity:` to wait for part of it)",
                activity.id
            ),
        ));
    }
    for (i, target) in activity.targets.iter().enumerate() {
        check_target(target, &path::index(&tat, i), out);
    }
    let until: Vec<&str> = match &activity.until {
        None => crate::model::DEFAULT_GATE_UNTIL.to_vec(),
        Some(Until::Statuses(list)) => list.iter().map(String::as_str).collect(),
        Some(Until::Time(t)) => {
            out.push(Problem::new(
                path::field(at, "until"),
                codes::WRONG_TYPE,
                format!(
                    "a gate's `until` lists the statuses that open it, e.g. `[success, skipped]`; got the text `{t}`"
                ),
            ));
            Vec::new()
        }
    };
    if matches!(&activity.until, Some(Until::Statuses(l)) if l.is_empty()) {
        out.push(Problem::new(
            path::field(at, "until"),
            codes::EMPTY,
            "a gate's `until` must name at least one status (it would never open); leave it out for `[success]`",
        ));
    }
    let fail_on = crate::release::gates::fail_on_of(activity);
    let mut levels: Vec<GateLevel> = Vec::new();
    for level in activity.targets.iter().map(GateTarget::level) {
        if !levels.contains(&level) {
            levels.push(level);
        }
    }
    let given = [
        ("until", &until, matches!(activity.until, Some(Until::Statuses(_)))),
        ("fail_on", &fail_on, activity.fail_on.is_some()),
    ];
    for (field, list, given) in given {
        if !given {
            continue;
        }
        for (j, status) in list.iter().enumerate() {
            let wrong: Vec<String> = levels
                .iter()
                .filter(|level| !level.statuses().contains(status))
                .map(|level| {
                    format!(
                        "{} {} is one of {}",
                        if *level == GateLevel::Activity { "an" } else { "a" },
                        level.as_str(),
                        level.statuses().join(", ")
                    )
                })
                .collect();
            if !wrong.is_empty() {
                out.push(Problem::new(
                    path::index(&path::field(at, field), j),
                    codes::BAD_GATE_STATUS,
                    format!(
                        "`{status}` is not a status every target of gate `{}` can be in: {}",
                        activity.id,
                        wrong.join("; ")
                    ),
                ));
            }
        }
    }
    for (j, status) in fail_on.iter().enumerate() {
        if until.contains(status) {
            out.push(Problem::new(
                path::index(&path::field(at, "fail_on"), j),
                codes::BAD_GATE_STATUS,
                format!(
                    "`{status}` is in both `until` and `fail_on` of gate `{}`; a status opens the gate or fails it",
                    activity.id
                ),
            ));
        }
    }
}

fn check_target(t: &GateTarget, at: &str, out: &mut Vec<Problem>) {
    let ways = [t.release.is_some(), t.group.is_some(), !t.labels.is_empty()].iter().filter(|b| **b).count();
    if ways != 1 {
        out.push(Problem::new(
            at,
            codes::BAD_GATE_TARGET,
            format!(
                "a gate target names its releases exactly one way: `release` (an id), `group` (with an \
                 optional `occurrence`) or `labels`; this one gives {}",
                if ways == 0 { "none".to_string() } else { format!("{ways}") }
            ),
        ));
    }
    if t.release.as_deref().is_some_and(|r| r.trim().is_empty()) {
        out.push(Problem::new(
            path::field(at, "release"),
            codes::EMPTY,
            "`release` is empty; give a release id or `${...}` giving one",
        ));
    }
    if let Some(occurrence) = &t.occurrence {
        if t.group.is_none() {
            out.push(Problem::new(
                path::field(at, "occurrence"),
                codes::BAD_GATE_TARGET,
                "`occurrence` picks a release of a `group`; add `group:` or leave `occurrence` out",
            ));
        } else if occurrence != "latest"
            && !crate::expr::template::has_interpolation(occurrence)
            && chrono::DateTime::parse_from_rfc3339(occurrence).is_err()
        {
            out.push(Problem::new(
                path::field(at, "occurrence"),
                codes::BAD_TIME,
                format!("occurrence `{occurrence}` is neither `latest` nor an RFC 3339 planned start (e.g. `2026-04-07T09:00:00Z`)"),
            ));
        }
    }
    for (key, value) in &t.labels {
        if key.trim().is_empty() || value.trim().is_empty() {
            out.push(Problem::new(
                path::field(&path::field(at, "labels"), key),
                codes::EMPTY,
                "a gate's label selector needs a non-empty key and value",
            ));
        }
    }
    if t.activity.is_some() && t.phase.is_none() {
        out.push(Problem::new(
            path::field(at, "activity"),
            codes::BAD_GATE_TARGET,
            "`activity` names an activity of a `phase`; add `phase:` too",
        ));
    }
}

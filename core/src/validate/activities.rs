//! Rules for each activity kind: which fields it may have, what it needs, approval rules that can be
//! met, retry policies that can work, wait times that can be read.

use super::{codes, path, rules};
use crate::Problem;
use crate::model::{
    Activity, ActivityKind, ApprovalRule, Approver, COMMON_ACTIVITY_FIELDS, DeadlineAction, FailurePolicy,
    MinApprovals, Process, Until,
};
use serde_json::Value;
use std::collections::HashSet;

/// Fields present in the raw activity document that its kind does not have.
pub fn check_kind_fields(raw: &Value, kind: ActivityKind, at: &str, out: &mut Vec<Problem>) {
    let Some(map) = raw.as_object() else { return };
    let specific = kind.specific_fields();
    for key in map.keys() {
        let k = key.as_str();
        if COMMON_ACTIVITY_FIELDS.contains(&k) || specific.contains(&k) {
            continue;
        }
        let owner = ActivityKind::ALL.iter().find(|o| o.specific_fields().contains(&k));
        if let Some(owner) = owner {
            out.push(Problem::new(
                path::field(at, k),
                codes::FIELD_NOT_ALLOWED,
                format!(
                    "`{k}` belongs to {} activities, not `{}`; fields of {} activities: {}",
                    owner.as_str(),
                    kind.as_str(),
                    kind.as_str(),
                    specific.join(", ")
                ),
            ));
        }
    }
}

/// Semantic rules of one activity.
pub fn check(activity: &Activity, process: &Process, in_rollback: bool, at: &str, out: &mut Vec<Problem>) {
    let need = |field: &str, what: &str, out: &mut Vec<Problem>| {
        out.push(Problem::new(
            path::field(at, field),
            codes::MISSING_FIELD,
            format!("{} activity `{}` needs `{field}`: {what}", activity.kind.as_str(), activity.id),
        ));
    };
    match activity.kind {
        ActivityKind::Automated => {
            if activity.executor.is_none() {
                need("executor", "the name of a registered executor, e.g. `command`", out);
            }
        }
        ActivityKind::Approval => check_approval(activity, at, out),
        ActivityKind::Manual => check_fields(activity, at, out),
        ActivityKind::Subprocess => {
            if activity.process.is_none() {
                need("process", "the id of the process to run as a child release", out);
            }
        }
        ActivityKind::Wait => match (&activity.duration, &activity.until) {
            (None, None) => need("duration", "how long to wait, e.g. `2d` (or give `until`)", out),
            (Some(_), Some(_)) => out.push(Problem::new(
                path::field(at, "until"),
                codes::FIELD_NOT_ALLOWED,
                format!("wait activity `{}` has both `duration` and `until`; give exactly one", activity.id),
            )),
            (None, Some(Until::Time(until))) => check_until(until, &path::field(at, "until"), out),
            (None, Some(Until::Statuses(_))) => out.push(Problem::new(
                path::field(at, "until"),
                codes::WRONG_TYPE,
                format!(
                    "wait activity `{}`'s `until` is a time (RFC 3339, or `${{...}}` giving one), not a list",
                    activity.id
                ),
            )),
            _ => {}
        },
        ActivityKind::Gate => super::gates::check(activity, at, out),
    }
    if let Some(retry) = &activity.retry {
        if retry.max_attempts == 0 {
            out.push(Problem::new(path::field(&path::field(at, "retry"), "max_attempts"), codes::BAD_RETRY, "max_attempts counts the first attempt too, so it must be at least 1 (e.g. 3 = one try and two retries)"));
        }
        if retry.factor.is_some_and(|f| !(1.0..=100.0).contains(&f)) {
            out.push(Problem::new(
                path::field(&path::field(at, "retry"), "factor"),
                codes::BAD_RETRY,
                "factor multiplies the backoff after each retry; it must be between 1 and 100",
            ));
        }
    }
    if activity.on_failure == Some(FailurePolicy::Rollback) {
        if in_rollback {
            out.push(Problem::new(
                path::field(at, "on_failure"),
                codes::INVALID_VALUE,
                "an activity of a rollback phase cannot itself roll back; use hold, fail or ignore",
            ));
        } else if process.rollback.is_empty() {
            out.push(Problem::new(path::field(at, "on_failure"), codes::NO_ROLLBACK_PHASES, format!("activity `{}` rolls back on failure but the process has no `rollback` phases; add them or use hold, fail or ignore", activity.id)));
        }
    }
    if let Some(records) = &activity.records {
        check_records(records, &activity.id, &path::field(at, "records"), out);
    }
    let mut seen = HashSet::new();
    for (i, name) in activity.outputs.iter().enumerate() {
        let at = path::index(&path::field(at, "outputs"), i);
        if !rules::is_name(name) {
            out.push(rules::bad_name(name, &at));
        } else if !seen.insert(name.as_str()) {
            out.push(Problem::new(at, codes::DUPLICATE_NAME, format!("output `{name}` is declared twice")));
        }
    }
}

fn check_approval(a: &Activity, at: &str, out: &mut Vec<Problem>) {
    if a.approvers.is_empty() {
        out.push(Problem::new(path::field(at, "approvers"), codes::EMPTY, format!("approval `{}` lists no approvers, so nobody could approve it; add `{{ user: … }}` or `{{ group: … }}` entries", a.id)));
    }
    check_approver_list(&a.approvers, &path::field(at, "approvers"), out);
    check_approver_list(&a.escalate_to, &path::field(at, "escalate_to"), out);
    let users: HashSet<&str> = a.approvers.iter().filter_map(|x| x.user.as_deref()).collect();
    let has_group = a.approvers.iter().any(|x| x.group.is_some());
    let min_at = path::field(at, "min_approvals");
    match a.min_approvals {
        Some(MinApprovals::Count(0)) => out.push(Problem::new(min_at, codes::IMPOSSIBLE_APPROVAL, "min_approvals must be at least 1; to require no approval, remove the activity")),
        Some(MinApprovals::Count(n)) if !has_group && n as usize > users.len() && !a.approvers.is_empty() => out.push(Problem::new(
            min_at,
            codes::IMPOSSIBLE_APPROVAL,
            format!("approval `{}` needs {n} approvals but lists only {} distinct user(s) and no group; lower min_approvals to at most {} or add approvers", a.id, users.len(), users.len()),
        )),
        Some(MinApprovals::Rule(ApprovalRule::All | ApprovalRule::Majority)) | Some(MinApprovals::Count(_)) | None => {}
    }
    if a.on_deadline.is_some() && a.deadline.is_none() {
        out.push(Problem::new(
            path::field(at, "deadline"),
            codes::MISSING_FIELD,
            format!("approval `{}` sets on_deadline but has no `deadline`; add one, e.g. `deadline: 1d`", a.id),
        ));
    }
    if a.on_deadline == Some(DeadlineAction::Escalate) && a.escalate_to.is_empty() {
        out.push(Problem::new(
            path::field(at, "escalate_to"),
            codes::MISSING_FIELD,
            format!("approval `{}` escalates at its deadline but lists nobody in `escalate_to`", a.id),
        ));
    }
    if !a.escalate_to.is_empty() && a.on_deadline != Some(DeadlineAction::Escalate) {
        out.push(Problem::new(
            path::field(at, "escalate_to"),
            codes::FIELD_NOT_ALLOWED,
            "escalate_to is only used with `on_deadline: escalate`",
        ));
    }
}

fn check_approver_list(list: &[Approver], at: &str, out: &mut Vec<Problem>) {
    let mut seen = HashSet::new();
    for (i, ap) in list.iter().enumerate() {
        let at = path::index(at, i);
        match (&ap.user, &ap.group) {
            (Some(_), Some(_)) | (None, None) => out.push(Problem::new(
                at,
                codes::BAD_APPROVER,
                "an approver is exactly one of `{ user: <id> }` or `{ group: <name> }`",
            )),
            (Some(name), None) | (None, Some(name)) if name.trim().is_empty() => {
                out.push(Problem::new(at, codes::BAD_APPROVER, "an approver's user or group must not be empty"))
            }
            _ => {
                if !seen.insert(ap.clone()) {
                    out.push(Problem::new(
                        at,
                        codes::DUPLICATE_NAME,
                        "this approver is listed twice (an approver counts once)",
                    ));
                }
            }
        }
    }
}

fn check_fields(a: &Activity, at: &str, out: &mut Vec<Problem>) {
    let mut seen = HashSet::new();
    for (i, f) in a.fields.iter().enumerate() {
        let fat = path::index(&path::field(at, "fields"), i);
        if rules::is_name(&f.name) && !seen.insert(f.name.as_str()) {
            out.push(Problem::new(
                path::field(&fat, "name"),
                codes::DUPLICATE_NAME,
                format!("field `{}` is declared twice in manual activity `{}`", f.name, a.id),
            ));
        }
        if f.pattern.is_some() && !f.ty.is_textual() {
            out.push(Problem::new(
                path::field(&fat, "pattern"),
                codes::BAD_CONSTRAINT,
                format!("pattern applies to text fields; field `{}` is a {}", f.name, f.ty.as_str()),
            ));
        }
        for (j, v) in f.allowed.iter().enumerate() {
            if !f.ty.accepts(v) {
                out.push(Problem::new(
                    path::index(&path::field(&fat, "allowed"), j),
                    codes::BAD_CONSTRAINT,
                    format!("allowed value {v} is not a {}", f.ty.as_str()),
                ));
            }
        }
    }
}

fn check_until(until: &str, at: &str, out: &mut Vec<Problem>) {
    if crate::expr::template::has_interpolation(until) {
        return; // checked as an expression
    }
    if chrono::DateTime::parse_from_rfc3339(until).is_err() {
        out.push(Problem::new(at, codes::BAD_TIME, format!("`{until}` is not an RFC 3339 time; write e.g. `2025-04-07T09:00:00Z`, or an expression `${{...}}` giving one")));
    }
}

/// A ledger record names a service, an environment and a version, none of them blank (an
/// optional `commit` or `artifact`, when given, is not blank either).
fn check_records(records: &crate::model::Records, id: &str, at: &str, out: &mut Vec<Problem>) {
    for (field, value) in records.fields() {
        if value.trim().is_empty() {
            out.push(Problem::new(
                path::field(at, field),
                codes::EMPTY_RECORD_FIELD,
                format!(
                    "`records.{field}` of activity `{id}` is empty; give the {field} the activity delivers, \
                     literally or as `${{...}}` (e.g. `${{inputs.{field}}}`){}",
                    if matches!(field, "commit" | "artifact") { ", or leave it out" } else { "" }
                ),
            ));
        }
    }
}

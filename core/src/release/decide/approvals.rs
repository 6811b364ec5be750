//! Deciding an approval: who may (listed approvers, not the starter when self-approval is
//! forbidden, once each), and when the rule is met.

use super::activities::fail_activity;
use super::{Out, activity_ref};
use crate::release::{EventKind, ReleaseState, approvals};
use crate::{Error, Result};
use indexmap::IndexMap;
use serde_json::Value;

pub(super) fn decide(state: &ReleaseState, p: usize, a: usize, approve: bool, out: &mut Out<'_>) -> Result<()> {
    let def = state.plan().activity_def(p, a);
    let act = &state.phases[p].activities[a];
    let actor = out.ctx.actor;
    let covers = approvals::matching_entries(def, act.escalated, actor);
    let command = if approve { "approve" } else { "reject" };
    let target = activity_ref(state, p, a);
    if covers.is_empty() {
        return Err(Error::PermissionDenied {
            actor: actor.id.clone(),
            command: format!("{command} {target}"),
            missing: format!("being listed as an approver ({})", approvals::describe(def, act.escalated)),
        });
    }
    if def.forbid_self_approval == Some(true) && state.started_by.as_deref() == Some(actor.id.as_str()) {
        return Err(Error::PermissionDenied {
            actor: actor.id.clone(),
            command: format!("{command} {target}"),
            missing: "someone other than the person who started the release (forbid_self_approval)".into(),
        });
    }
    if act.approvals.iter().any(|r| r.approver == actor.id) {
        return Err(Error::AlreadyExists {
            kind: "approval".into(),
            id: format!("{target} by {}", actor.id),
            hint: Some("an approver decides once per attempt".into()),
        });
    }
    out.push(EventKind::ApprovalRecorded {
        target: target.clone(),
        approver: actor.id.clone(),
        approved: approve,
        covers: covers.clone(),
    });
    if !approve {
        let why = out.ctx.comment.map(|c| format!(": {c}")).unwrap_or_default();
        fail_activity(state, p, a, format!("rejected by {}{why}", actor.id), false, out);
        return Ok(());
    }
    let mut ids: Vec<Value> = Vec::new();
    let mut covered: Vec<Vec<usize>> = Vec::new();
    for r in act.approvals.iter().filter(|r| r.approved) {
        ids.push(Value::from(r.approver.clone()));
        covered.push(r.covers.clone());
    }
    ids.push(Value::from(actor.id.clone()));
    covered.push(covers);
    if approvals::satisfied(def, &covered) {
        let mut outputs = IndexMap::new();
        outputs.insert("approvers".to_string(), Value::Array(ids));
        out.push(EventKind::ActivitySucceeded { target, outputs });
    }
    Ok(())
}

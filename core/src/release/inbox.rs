//! The inbox: what waits on people in a release ([`entries`]), and what one person sees of it
//! ([`item_for`]).
//!
//! An [`InboxEntry`] is one approval or manual activity `waiting_for_input`, or one activity
//! `on_hold` waiting for a failure decision (retry, ignore or fail), with the **principals** that
//! may act on it ([`InboxGrant`]: `user:<id>`, `group:<g>`, `role:account_release_manager`,
//! `role:org_release_manager:<org>`), each with the reason it may. The store keeps the entries
//! indexed by principal, written in the same append as the events (so the index never disagrees
//! with them), and a person's inbox is read through the principals of the actor
//! ([`principals_of`]) in constant time per item.
//!
//! Who may act follows the access matrix ([`crate::access`]):
//! * approvals: the listed approvers (users, members of listed groups) and, after an escalation,
//!   `escalate_to`; the starter is shown the item but may not act when `forbid_self_approval` is
//!   set, and an approver who already decided this attempt is shown it as decided;
//! * manual activities: the activity's owners; if none, its phase's owners; if none, the release
//!   owners and the release managers of its scope;
//! * failure decisions: the same, plus the release managers.
//!
//! Pure: derived from the state only, so a replay of the events gives the same entries.

use super::{ActivityRef, ActivityStatus, ReleaseState, Stage, TimerKey};
use crate::Timestamp;
use crate::access::{Actor, Role, Scope};
use crate::model::{ActivityKind, Approver};
use serde::{Deserialize, Serialize};

/// What an inbox item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// An approval activity waiting for approvers.
    Approval,
    /// A manual activity waiting for its fields.
    Manual,
    /// An activity `on_hold`: someone decides retry, ignore or fail.
    FailureDecision,
}

impl InboxKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            InboxKind::Approval => "approval",
            InboxKind::Manual => "manual",
            InboxKind::FailureDecision => "failure_decision",
        }
    }
}

/// One principal that may act on an entry, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxGrant {
    /// `user:<id>`, `group:<g>`, `role:account_release_manager` or
    /// `role:org_release_manager:<org>`.
    pub principal: String,
    /// Why it may act (the approver or owner entry it matched, or the role).
    pub reason: String,
}

/// Something in a release that waits on people, as the store indexes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    /// Release id.
    pub release_id: String,
    /// Release name.
    pub release_name: String,
    /// The release's scope.
    pub scope: String,
    /// Phase id.
    pub phase_id: String,
    /// Activity id.
    pub activity_id: String,
    /// What it asks for.
    pub kind: InboxKind,
    /// The approval's deadline, when it has one that has not passed yet.
    pub due: Option<Timestamp>,
    /// Whether the approval's deadline escalated (`escalate_to` may approve too).
    pub escalated: bool,
    /// Since when it waits: when the activity started waiting for input, or went on hold.
    pub since: Timestamp,
    /// Who may act, each principal once, most specific first (users, groups, roles).
    pub grants: Vec<InboxGrant>,
    /// The user who may not approve it (the starter, under `forbid_self_approval`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banned: Option<String>,
    /// Users who already decided this attempt of the approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decided_by: Vec<String>,
}

impl InboxEntry {
    /// The entry's activity as `phase/activity`.
    pub fn item_key(&self) -> String {
        format!("{}/{}", self.phase_id, self.activity_id)
    }
}

/// One item of a person's inbox: an [`InboxEntry`] seen by one actor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxItem {
    /// Release id.
    pub release_id: String,
    /// Release name.
    pub release_name: String,
    /// Phase id.
    pub phase_id: String,
    /// Activity id.
    pub activity_id: String,
    /// `approval`, `manual` or `failure_decision`.
    pub kind: InboxKind,
    /// Whether this actor may act on it now.
    pub can_act: bool,
    /// Why it may (the entry or role it matched), or why not (self-approval ban, already
    /// decided).
    pub reason: String,
    /// The approval's deadline, if any.
    pub due: Option<Timestamp>,
    /// Whether the approval escalated.
    pub escalated: bool,
    /// Since when it waits.
    pub since: Timestamp,
}

/// The principal of a user id.
pub fn user_principal(id: &str) -> String {
    format!("user:{id}")
}

/// The principal of a group.
pub fn group_principal(group: &str) -> String {
    format!("group:{group}")
}

const ACCOUNT_MANAGER: &str = "role:account_release_manager";

/// The principals an actor acts through: its user id, its groups and its manager roles. The
/// engine (`system`) never decides for people: none.
pub fn principals_of(actor: &Actor) -> Vec<String> {
    if actor.is_system() {
        return Vec::new();
    }
    let mut out = vec![user_principal(&actor.id)];
    out.extend(actor.groups.iter().map(|g| group_principal(g)));
    for role in actor.parsed_roles() {
        match role {
            Role::AccountReleaseManager => out.push(ACCOUNT_MANAGER.to_string()),
            Role::OrgReleaseManager(org) => out.push(format!("role:org_release_manager:{org}")),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Everything in `state` that waits on people, in plan order. Only an active release has any.
pub fn entries(state: &ReleaseState) -> Vec<InboxEntry> {
    let mut out = Vec::new();
    if state.stage != Stage::Active {
        return out;
    }
    let (waiting, held) = (ActivityStatus::WaitingForInput.index(), ActivityStatus::OnHold.index());
    if state.counts[waiting] + state.counts[held] == 0 {
        return out;
    }
    let plan = state.plan();
    for (p, phase) in state.phases.iter().enumerate() {
        if phase.counts[waiting] + phase.counts[held] == 0 {
            continue;
        }
        for (a, act) in phase.activities.iter().enumerate() {
            let def = plan.activity_def(p, a);
            let kind = match (act.status, def.kind) {
                (ActivityStatus::WaitingForInput, ActivityKind::Approval) => InboxKind::Approval,
                (ActivityStatus::WaitingForInput, _) => InboxKind::Manual,
                (ActivityStatus::OnHold, _) => InboxKind::FailureDecision,
                _ => continue,
            };
            let since = match kind {
                InboxKind::FailureDecision => act.held_at,
                _ => act.started_at,
            };
            let target = ActivityRef::new(&phase.id, &act.id);
            let mut entry = InboxEntry {
                release_id: state.id.clone(),
                release_name: state.name.clone(),
                scope: state.scope.clone(),
                phase_id: phase.id.clone(),
                activity_id: act.id.clone(),
                kind,
                due: state.timers.get(&TimerKey::Deadline { target }).copied(),
                escalated: act.escalated,
                since: since.or(state.updated_at).unwrap_or_default(),
                grants: Vec::new(),
                banned: None,
                decided_by: Vec::new(),
            };
            match kind {
                InboxKind::Approval => {
                    approver_grants(&def.approvers, "approver", &mut entry.grants);
                    if act.escalated {
                        approver_grants(&def.escalate_to, "escalate_to", &mut entry.grants);
                    }
                    if def.forbid_self_approval == Some(true) {
                        entry.banned = state.started_by.clone();
                    }
                    entry.decided_by = act.approvals.iter().map(|r| r.approver.clone()).collect();
                }
                InboxKind::Manual | InboxKind::FailureDecision => {
                    let phase_def = plan.phase_def(p);
                    let with_managers = kind == InboxKind::FailureDecision;
                    responsible_grants(state, &def.owners, &phase_def.owners, with_managers, &mut entry.grants);
                }
            }
            dedup_grants(&mut entry.grants);
            out.push(entry);
        }
    }
    out
}

fn approver_grants(list: &[Approver], what: &str, out: &mut Vec<InboxGrant>) {
    for e in list {
        if let Some(u) = &e.user {
            out.push(InboxGrant { principal: user_principal(u), reason: format!("{what} entry user {u}") });
        }
        if let Some(g) = &e.group {
            out.push(InboxGrant { principal: group_principal(g), reason: format!("{what} entry group {g}") });
        }
    }
}

/// Owner names as [`crate::access::is_listed`] reads them: `user:<id>`, `group:<g>`, or a bare
/// name that is a user id or a group.
fn owner_grants(names: &[String], what: &str, out: &mut Vec<InboxGrant>) {
    for n in names {
        let reason = format!("{what} {n}");
        if let Some(u) = n.strip_prefix("user:") {
            out.push(InboxGrant { principal: user_principal(u), reason });
        } else if let Some(g) = n.strip_prefix("group:") {
            out.push(InboxGrant { principal: group_principal(g), reason });
        } else {
            out.push(InboxGrant { principal: user_principal(n), reason: reason.clone() });
            out.push(InboxGrant { principal: group_principal(n), reason });
        }
    }
}

fn manager_grants(scope: &str, out: &mut Vec<InboxGrant>) {
    out.push(InboxGrant {
        principal: ACCOUNT_MANAGER.to_string(),
        reason: "release manager (account_release_manager)".into(),
    });
    if let Ok(Scope::Org(org)) = Scope::parse(scope) {
        out.push(InboxGrant {
            principal: format!("role:org_release_manager:{org}"),
            reason: format!("release manager (org_release_manager:{org})"),
        });
    }
}

/// Activity owners; else phase owners; else the release owners and the release managers (and,
/// for failure decisions, the release managers in every case).
fn responsible_grants(
    state: &ReleaseState,
    owners: &[String],
    phase_owners: &[String],
    with_managers: bool,
    out: &mut Vec<InboxGrant>,
) {
    let fallback = owners.is_empty() && phase_owners.is_empty();
    if !owners.is_empty() {
        owner_grants(owners, "activity owner", out);
    } else if !phase_owners.is_empty() {
        owner_grants(phase_owners, "phase owner", out);
    } else {
        owner_grants(&state.owners, "release owner", out);
    }
    if fallback || with_managers {
        manager_grants(&state.scope, out);
    }
}

/// Keeps each principal once (its first reason), users before groups before roles.
fn dedup_grants(grants: &mut Vec<InboxGrant>) {
    let rank = |p: &str| match p.split_once(':').map(|(k, _)| k) {
        Some("user") => 0,
        Some("group") => 1,
        _ => 2,
    };
    let mut seen = std::collections::HashSet::new();
    grants.retain(|g| seen.insert(g.principal.clone()));
    grants.sort_by_key(|g| rank(&g.principal));
}

/// The entry as `actor` sees it: `None` when none of its principals may act on it; otherwise
/// whether it may act now and why (or why not).
pub fn item_for(entry: &InboxEntry, actor: &Actor, principals: &[String]) -> Option<InboxItem> {
    let grant = entry.grants.iter().find(|g| principals.iter().any(|p| p == &g.principal))?;
    let (can_act, reason) = if entry.kind == InboxKind::Approval && entry.banned.as_deref() == Some(actor.id.as_str()) {
        (false, format!("self-approval ban: {} started the release and may not approve it", actor.id))
    } else if entry.kind == InboxKind::Approval && entry.decided_by.iter().any(|d| d == &actor.id) {
        (false, format!("already decided by {} in this attempt", actor.id))
    } else {
        (true, grant.reason.clone())
    };
    Some(InboxItem {
        release_id: entry.release_id.clone(),
        release_name: entry.release_name.clone(),
        phase_id: entry.phase_id.clone(),
        activity_id: entry.activity_id.clone(),
        kind: entry.kind,
        can_act,
        reason,
        due: entry.due,
        escalated: entry.escalated,
        since: entry.since,
    })
}

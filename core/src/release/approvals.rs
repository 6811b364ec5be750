//! Approval rules: who may approve, and when enough have.
//!
//! * An approver counts once, whatever number of entries they match.
//! * `min_approvals: n` (default 1) needs `n` distinct approvers.
//! * `all` needs every listed entry covered by a different approver (a `{ group }` entry is covered
//!   by any one member of the group); `majority` needs more than half of the entries covered.
//! * After an escalation, the `escalate_to` approvers may approve too; each of them covers any one
//!   entry of the original list.

use crate::access::Actor;
use crate::model::{Activity, ApprovalRule, Approver, MinApprovals};

/// The entries of an approval: its approvers, then (after an escalation) `escalate_to`.
pub fn entries(def: &Activity, escalated: bool) -> Vec<Approver> {
    let mut out = def.approvers.clone();
    if escalated {
        out.extend(def.escalate_to.iter().cloned());
    }
    out
}

/// How many of the entries are the original approvers (the rest come from escalation).
fn original_len(def: &Activity) -> usize {
    def.approvers.len()
}

/// The indexes of the original entries `actor` covers: the entries naming them or one of their
/// groups; an escalation approver covers every original entry.
pub fn matching_entries(def: &Activity, escalated: bool, actor: &Actor) -> Vec<usize> {
    let all = entries(def, escalated);
    let matches = |e: &Approver| {
        e.user.as_deref() == Some(actor.id.as_str()) || e.group.as_deref().is_some_and(|g| actor.in_group(g))
    };
    let original = original_len(def);
    let mut covered: Vec<usize> = (0..original).filter(|&i| matches(&all[i])).collect();
    if covered.is_empty() && all[original..].iter().any(matches) {
        covered = (0..original).collect();
    }
    covered
}

/// Describes who may approve, for error messages.
pub fn describe(def: &Activity, escalated: bool) -> String {
    let all = entries(def, escalated);
    let users: Vec<&str> = all.iter().filter_map(|e| e.user.as_deref()).collect();
    let groups: Vec<&str> = all.iter().filter_map(|e| e.group.as_deref()).collect();
    let mut parts = Vec::new();
    if !users.is_empty() {
        parts.push(format!("users: {}", users.join(", ")));
    }
    if !groups.is_empty() {
        parts.push(format!("members of: {}", groups.join(", ")));
    }
    if parts.is_empty() { "nobody is listed".to_string() } else { parts.join("; ") }
}

/// Whether the approvals given satisfy the rule. `approvers` holds each distinct approver with the
/// original entries they cover.
pub fn satisfied(def: &Activity, approvers: &[Vec<usize>]) -> bool {
    let entries = original_len(def);
    match def.min_approvals {
        None => !approvers.is_empty(),
        Some(MinApprovals::Count(n)) => approvers.len() >= n as usize,
        Some(MinApprovals::Rule(ApprovalRule::All)) => max_matching(entries, approvers) == entries,
        Some(MinApprovals::Rule(ApprovalRule::Majority)) => max_matching(entries, approvers) * 2 > entries,
    }
}

/// Size of a maximum matching between approvers and entries (Kuhn's augmenting paths; the lists
/// are small).
fn max_matching(entries: usize, approvers: &[Vec<usize>]) -> usize {
    let mut owner: Vec<Option<usize>> = vec![None; entries];
    fn augment(i: usize, approvers: &[Vec<usize>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
        for &e in &approvers[i] {
            if e >= seen.len() || seen[e] {
                continue;
            }
            seen[e] = true;
            if owner[e].is_none_or(|o| augment(o, approvers, owner, seen)) {
                owner[e] = Some(i);
                return true;
            }
        }
        false
    }
    (0..approvers.len()).filter(|&i| augment(i, approvers, &mut owner, &mut vec![false; entries])).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(yaml: &str) -> Activity {
        let text = format!("id: p\nphases:\n  - id: x\n    activities:\n      - {yaml}\n");
        crate::load_process(&text).unwrap().process.phases[0].activities[0].clone()
    }

    #[test]
    fn all_needs_every_entry_covered_by_different_people() {
        let def = approval(
            "{ id: a, kind: approval, approvers: [{ group: qa }, { user: stakeholder-1 }], min_approvals: all }",
        );
        let quinn = matching_entries(&def, false, &Actor::new("quinn").with_groups(["qa"]));
        let rita = matching_entries(&def, false, &Actor::new("rita").with_groups(["qa"]));
        let stake = matching_entries(&def, false, &Actor::new("stakeholder-1").with_groups(["qa"]));
        assert!(!satisfied(&def, &[quinn.clone(), rita.clone()]), "two qa members cover only the qa entry");
        assert!(satisfied(&def, &[quinn, stake]), "stakeholder-1 covers their own entry even while in qa");
    }

    #[test]
    fn majority_and_counts() {
        let def = approval(
            "{ id: a, kind: approval, approvers: [{ user: a }, { user: b }, { user: c }], min_approvals: majority }",
        );
        let a = matching_entries(&def, false, &Actor::new("a"));
        let b = matching_entries(&def, false, &Actor::new("b"));
        assert!(!satisfied(&def, std::slice::from_ref(&a)));
        assert!(satisfied(&def, &[a, b]));
        let nobody = matching_entries(&def, false, &Actor::new("mallory"));
        assert!(nobody.is_empty());
        assert_eq!(describe(&def, false), "users: a, b, c");
    }

    #[test]
    fn escalation_approvers_cover_any_entry() {
        let def = approval(
            "{ id: a, kind: approval, approvers: [{ user: a }], deadline: 1d, on_deadline: escalate, escalate_to: [{ group: leads }] }",
        );
        let lead = Actor::new("lee").with_groups(["leads"]);
        assert!(matching_entries(&def, false, &lead).is_empty());
        assert_eq!(matching_entries(&def, true, &lead), vec![0]);
    }
}

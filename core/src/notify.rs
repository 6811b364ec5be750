//! Notifications: what people are told about a release, and to whom.
//!
//! After the engine commits a batch of events, [`notifications_for`] turns them into
//! [`Notification`]s with resolved recipients, and a [`Dispatcher`] delivers them to every
//! [`Subscriber`]. Delivery happens after the commit and never affects it: a subscriber that fails
//! (or panics) is logged with `tracing::warn!` and counted ([`Dispatcher::failures`]).
//!
//! # Which events notify whom
//!
//! [`RECIPIENT_RULES`] is the table (one row per [`NotificationKind`]; [`recipient_table`] renders
//! it as the README shows it, and a test keeps the two equal). "The release's people" are its
//! `owners` then its `release_managers`. The `stakeholders` column is what the code reads: a kind
//! marked there goes to the release's stakeholders too (after the others); requests to act
//! (approvals, manual input) do not.
//!
//! Recipients are user ids and group names as written in the definition, except that approvers
//! given as `{ group: qa }` appear as `group:qa` (an embedder expands groups to people). Lists keep
//! definition order without duplicates. Other events notify nobody.

use crate::Timestamp;
use crate::model::{ActivityKind, Approver};
use crate::release::{ActivityRef, AfterFailure, Event, EventKind, ReleaseState, TimerKey};
use serde::{Deserialize, Serialize};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The kinds of notification (serialized snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The release was activated.
    ReleaseStarted,
    /// The release ended (success, partial_success, failed) or was aborted.
    ReleaseEnded,
    /// A manual activity waits for someone to record its values.
    InputWaiting,
    /// A phase started.
    PhaseStarted,
    /// A phase ended (or was skipped).
    PhaseEnded,
    /// An activity failed and waits for a decision (retry, ignore, fail).
    ActivityOnHold,
    /// An approval waits for its approvers.
    ApprovalRequested,
    /// A reminder to the approvers still missing.
    ApprovalReminder,
    /// The approval's deadline passed and it escalated to `escalate_to`.
    ApprovalEscalated,
    /// A running phase passed its planned `duration`.
    PhaseOverdue,
    /// The release is expected to end after its planned end (see [`crate::release::risk`]).
    ReleaseAtRisk,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 11] = [
        NotificationKind::ReleaseStarted,
        NotificationKind::ReleaseEnded,
        NotificationKind::InputWaiting,
        NotificationKind::PhaseStarted,
        NotificationKind::PhaseEnded,
        NotificationKind::ActivityOnHold,
        NotificationKind::ApprovalRequested,
        NotificationKind::ApprovalReminder,
        NotificationKind::ApprovalEscalated,
        NotificationKind::PhaseOverdue,
        NotificationKind::ReleaseAtRisk,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ReleaseStarted => "release_started",
            NotificationKind::ReleaseEnded => "release_ended",
            NotificationKind::InputWaiting => "input_waiting",
            NotificationKind::PhaseStarted => "phase_started",
            NotificationKind::PhaseEnded => "phase_ended",
            NotificationKind::ActivityOnHold => "activity_on_hold",
            NotificationKind::ApprovalRequested => "approval_requested",
            NotificationKind::ApprovalReminder => "approval_reminder",
            NotificationKind::ApprovalEscalated => "approval_escalated",
            NotificationKind::PhaseOverdue => "phase_overdue",
            NotificationKind::ReleaseAtRisk => "release_at_risk",
        }
    }
}

/// Who receives one kind of notification (a row of the table in the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipientRule {
    /// The notification.
    pub kind: NotificationKind,
    /// The events that cause it.
    pub events: &'static str,
    /// Who gets it (besides the stakeholders).
    pub recipients: &'static str,
    /// Whether the release's stakeholders get it too.
    pub stakeholders: bool,
}

/// The recipient rules of every notification kind, in [`NotificationKind::ALL`] order.
pub const RECIPIENT_RULES: [RecipientRule; 11] = [
    RecipientRule {
        kind: NotificationKind::ReleaseStarted,
        events: "`activated`",
        recipients: "the release's people",
        stakeholders: true,
    },
    RecipientRule {
        kind: NotificationKind::ReleaseEnded,
        events: "`ended`, `aborted` (`status`: success, partial_success, failed, aborted)",
        recipients: "the release's people",
        stakeholders: true,
    },
    RecipientRule {
        kind: NotificationKind::InputWaiting,
        events: "`activity_waiting` of a manual activity; `approvers_reassigned` of one that is waiting",
        recipients: "activity owners, else phase owners, else the release's people (after a reassign: the new owners)",
        stakeholders: false,
    },
    RecipientRule {
        kind: NotificationKind::PhaseStarted,
        events: "`phase_started`",
        recipients: "phase owners, else the release's people",
        stakeholders: true,
    },
    RecipientRule {
        kind: NotificationKind::PhaseEnded,
        events: "`phase_ended`, `phase_skipped` (`status`: the phase status, `skipped` for a skip)",
        recipients: "phase owners, else the release's people",
        stakeholders: true,
    },
    RecipientRule {
        kind: NotificationKind::ActivityOnHold,
        events: "`activity_failed` with `after: hold`",
        recipients: "activity owners, else phase owners, else the release's people; plus the release's people (they may decide too)",
        stakeholders: true,
    },
    RecipientRule {
        kind: NotificationKind::ApprovalRequested,
        events: "`activity_waiting` of an approval; `approvers_reassigned` and `approval_delegated` of one that is waiting",
        recipients: "the approvers (plus `escalate_to` once escalated); after a reassign the approvers still missing under the new list, after a delegate the delegate",
        stakeholders: false,
    },
    RecipientRule {
        kind: NotificationKind::ApprovalReminder,
        events: "`approval_reminded`",
        recipients: "the approvers who have not decided and whose entry is not covered yet",
        stakeholders: false,
    },
    RecipientRule {
        kind: NotificationKind::ApprovalEscalated,
        events: "`approval_escalated`",
        recipients: "the approvers still missing, plus `escalate_to`",
        stakeholders: false,
    },
    RecipientRule {
        kind: NotificationKind::PhaseOverdue,
        events: "`timer_fired` of a running phase's `phase_overdue` timer (start + its `duration`; once per start)",
        recipients: "phase owners, else the release's people",
        stakeholders: true,
    },
    RecipientRule {
        kind: NotificationKind::ReleaseAtRisk,
        events: "`risk_assessed` with `at_risk: true` (the forecast's expected end passed the planned end; once per turn)",
        recipients: "the release's people",
        stakeholders: true,
    },
];

impl NotificationKind {
    /// Who receives this kind (its row of [`RECIPIENT_RULES`]).
    pub fn rule(self) -> &'static RecipientRule {
        RECIPIENT_RULES.iter().find(|r| r.kind == self).expect("every notification kind has a recipient rule")
    }
}

/// [`RECIPIENT_RULES`] as a Markdown table (the README's).
pub fn recipient_table() -> String {
    let mut out = String::from("| notification | caused by | recipients | stakeholders |\n|---|---|---|---|\n");
    for r in &RECIPIENT_RULES {
        let yes = if r.stakeholders { "yes" } else { "no" };
        out.push_str(&format!("| `{}` | {} | {} | {yes} |\n", r.kind.as_str(), r.events, r.recipients));
    }
    out
}

/// One notification, with its recipients resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// What happened.
    pub kind: NotificationKind,
    /// The release.
    pub release_id: String,
    /// The release's display name.
    pub release_name: String,
    /// The phase, for phase and activity notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The activity, for activity notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// For `release_ended` and `phase_ended`: the final status (`skipped` for a skipped phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Who should hear about it: user ids, group names, `group:<name>` for approver groups.
    pub recipients: Vec<String>,
    /// When it happened (the event's time).
    pub at: Timestamp,
    /// The sequence number of the event that caused it (with `release_id`, a key for de-duplication).
    pub seq: u64,
    /// A one-line human-readable text.
    pub message: String,
}

/// Receives notifications. Implemented for closures `Fn(&Notification) -> Result<(), String>`.
pub trait Subscriber: Send + Sync {
    /// Delivers one notification. An error is logged and counted; it never affects the engine.
    fn notify(&self, notification: &Notification) -> Result<(), String>;

    /// A name for logs (default `subscriber`).
    fn name(&self) -> &str {
        "subscriber"
    }
}

impl<F> Subscriber for F
where
    F: Fn(&Notification) -> Result<(), String> + Send + Sync,
{
    fn notify(&self, notification: &Notification) -> Result<(), String> {
        self(notification)
    }
}

/// Maps committed events to notifications with resolved recipients (see the [module docs](self)).
/// Pure: `state_after` is the release state after `events` were applied; it supplies the owners,
/// approvers and approvals given so far. Never panics; events naming unknown phases or activities
/// (or a state without its plan) yield only release-level notifications.
pub fn notifications_for(state_after: &ReleaseState, events: &[Event]) -> Vec<Notification> {
    let mut out = Vec::new();
    for event in events {
        if let Some(mut n) = notification_for(state_after, event) {
            if n.kind.rule().stakeholders {
                n.recipients.extend(state_after.stakeholders.iter().cloned());
                n.recipients = dedup(&n.recipients);
            }
            out.push(n);
        }
    }
    out
}

fn notification_for(state: &ReleaseState, event: &Event) -> Option<Notification> {
    let name = &state.name;
    let base = |kind: NotificationKind, recipients: Vec<String>, message: String| Notification {
        kind,
        release_id: state.id.clone(),
        release_name: state.name.clone(),
        phase: None,
        activity: None,
        status: None,
        recipients,
        at: event.at,
        seq: event.seq,
        message,
    };
    let reason = event.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default();
    Some(match &event.kind {
        EventKind::Activated { early, .. } => {
            let how = if *early { " early (pre-execution)" } else { "" };
            base(NotificationKind::ReleaseStarted, release_people(state), format!("Release {name} started{how}"))
        }
        EventKind::Ended { status } => Notification {
            status: Some(status.as_str().to_string()),
            ..base(
                NotificationKind::ReleaseEnded,
                release_people(state),
                format!("Release {name} ended {}", status.as_str()),
            )
        },
        EventKind::Aborted => Notification {
            status: Some("aborted".into()),
            ..base(
                NotificationKind::ReleaseEnded,
                release_people(state),
                format!("Release {name} was aborted by {}{reason}", event.actor),
            )
        },
        EventKind::PhaseStarted { phase, .. } => Notification {
            phase: Some(phase.clone()),
            ..base(
                NotificationKind::PhaseStarted,
                phase_people(state, phase)?,
                format!("Phase {phase} of {name} started"),
            )
        },
        EventKind::PhaseEnded { phase, status, .. } => Notification {
            phase: Some(phase.clone()),
            status: Some(status.as_str().to_string()),
            ..base(
                NotificationKind::PhaseEnded,
                phase_people(state, phase)?,
                format!("Phase {phase} of {name} ended {}", status.as_str()),
            )
        },
        EventKind::PhaseSkipped { phase, reason } => Notification {
            phase: Some(phase.clone()),
            status: Some("skipped".into()),
            ..base(
                NotificationKind::PhaseEnded,
                phase_people(state, phase)?,
                format!("Phase {phase} of {name} was skipped ({})", skip_reason(reason)),
            )
        },
        EventKind::ActivityWaiting { target: ActivityRef { phase, activity }, .. } => {
            let def = activity_def(state, phase, activity)?;
            let (kind, recipients, message) = match def.kind {
                ActivityKind::Approval => {
                    let escalated = state.activity(phase, activity).is_some_and(|a| a.escalated);
                    let mut entries = def.approvers.clone();
                    if escalated {
                        entries.extend(def.escalate_to.iter().cloned());
                    }
                    (
                        NotificationKind::ApprovalRequested,
                        dedup(&entries.iter().map(approver_name).collect::<Vec<_>>()),
                        format!("Approval {phase}/{activity} of {name} is waiting for you"),
                    )
                }
                ActivityKind::Manual => (
                    NotificationKind::InputWaiting,
                    responsible(state, phase, activity)?,
                    format!("Manual activity {phase}/{activity} of {name} is waiting for input"),
                ),
                _ => return None,
            };
            Notification {
                phase: Some(phase.clone()),
                activity: Some(activity.clone()),
                ..base(kind, recipients, message)
            }
        }
        EventKind::ActivityFailed {
            target: ActivityRef { phase, activity },
            message,
            after: AfterFailure::Hold,
            ..
        } => {
            let mut people = responsible(state, phase, activity)?;
            people.extend(release_people(state));
            Notification {
                phase: Some(phase.clone()),
                activity: Some(activity.clone()),
                ..base(
                    NotificationKind::ActivityOnHold,
                    dedup(&people),
                    format!("{phase}/{activity} of {name} failed and is on hold (retry, ignore or fail): {message}"),
                )
            }
        }
        EventKind::ApprovalReminded { target: ActivityRef { phase, activity }, .. } => Notification {
            phase: Some(phase.clone()),
            activity: Some(activity.clone()),
            ..base(
                NotificationKind::ApprovalReminder,
                missing_approvers(state, phase, activity, false)?,
                format!("Reminder: approval {phase}/{activity} of {name} is still waiting for you"),
            )
        },
        EventKind::ApprovalEscalated { target: ActivityRef { phase, activity } } => Notification {
            phase: Some(phase.clone()),
            activity: Some(activity.clone()),
            ..base(
                NotificationKind::ApprovalEscalated,
                missing_approvers(state, phase, activity, true)?,
                format!("Approval {phase}/{activity} of {name} passed its deadline and was escalated"),
            )
        },
        _ => return changed_or_overdue(state, event, &base, &reason),
    })
}

/// The notifications of an amendment that changes who acts (`approvers_reassigned`,
/// `approval_delegated`) and of a phase past its planned duration.
fn changed_or_overdue(
    state: &ReleaseState,
    event: &Event,
    base: &dyn Fn(NotificationKind, Vec<String>, String) -> Notification,
    reason: &str,
) -> Option<Notification> {
    let name = &state.name;
    Some(match &event.kind {
        EventKind::ApproversReassigned { target: ActivityRef { phase, activity }, .. } => {
            if !is_waiting(state, phase, activity) {
                return None;
            }
            let (kind, recipients, message) = match activity_def(state, phase, activity)?.kind {
                ActivityKind::Approval => (
                    NotificationKind::ApprovalRequested,
                    missing_approvers(state, phase, activity, false)?,
                    format!("Approval {phase}/{activity} of {name} was reassigned and is waiting for you{reason}"),
                ),
                ActivityKind::Manual => (
                    NotificationKind::InputWaiting,
                    responsible(state, phase, activity)?,
                    format!("Manual activity {phase}/{activity} of {name} was reassigned to you{reason}"),
                ),
                _ => return None,
            };
            Notification {
                phase: Some(phase.clone()),
                activity: Some(activity.clone()),
                ..base(kind, recipients, message)
            }
        }
        EventKind::ApprovalDelegated { target: ActivityRef { phase, activity }, from, to } => {
            if !is_waiting(state, phase, activity) {
                return None;
            }
            Notification {
                phase: Some(phase.clone()),
                activity: Some(activity.clone()),
                ..base(
                    NotificationKind::ApprovalRequested,
                    vec![to.clone()],
                    format!("{from} delegated approval {phase}/{activity} of {name} to you{reason}"),
                )
            }
        }
        EventKind::RiskAssessed { at_risk: true, expected_end, planned_end, .. } => {
            let expected = expected_end.map(|e| format!("expected to end {} ", e.to_rfc3339())).unwrap_or_default();
            base(
                NotificationKind::ReleaseAtRisk,
                release_people(state),
                format!("Release {name} is at risk: {expected}after its planned end {}", planned_end.to_rfc3339()),
            )
        }
        EventKind::TimerFired { timer: TimerKey::PhaseOverdue { phase }, .. } => {
            let def = phase_def(state, phase)?;
            let planned = def.duration.as_ref().map(|d| d.to_string()).unwrap_or_default();
            Notification {
                phase: Some(phase.clone()),
                ..base(
                    NotificationKind::PhaseOverdue,
                    phase_people(state, phase)?,
                    format!("Phase {phase} of {name} is still running past its planned {planned}"),
                )
            }
        }
        _ => return None,
    })
}

fn skip_reason(reason: &crate::release::SkipReason) -> String {
    serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// Whether the activity waits for people (an open approval or manual activity).
fn is_waiting(state: &ReleaseState, phase: &str, activity: &str) -> bool {
    state.plan.is_some()
        && state.activity(phase, activity).is_some_and(|a| a.status == crate::release::ActivityStatus::WaitingForInput)
}

/// `{ user: u }` → `u`; `{ group: g }` → `group:g`.
fn approver_name(a: &Approver) -> String {
    match (&a.user, &a.group) {
        (Some(u), _) => u.clone(),
        (None, Some(g)) => format!("group:{g}"),
        (None, None) => String::new(),
    }
}

/// Removes duplicates and empty names, keeping the first occurrence.
fn dedup(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for n in names {
        if !n.is_empty() && !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

fn phase_def<'a>(state: &'a ReleaseState, phase: &str) -> Option<&'a crate::model::Phase> {
    let plan = state.plan.as_ref()?;
    plan.phase_index(phase).map(|p| plan.phase_def(p))
}

fn activity_def<'a>(state: &'a ReleaseState, phase: &str, activity: &str) -> Option<&'a crate::model::Activity> {
    let plan = state.plan.as_ref()?;
    let p = plan.phase_index(phase)?;
    let a = plan.phases[p].activity_index(activity)?;
    Some(plan.activity_def(p, a))
}

/// The release's people: its owners, then its release managers.
fn release_people(state: &ReleaseState) -> Vec<String> {
    let all: Vec<String> = state.owners.iter().chain(&state.release_managers).cloned().collect();
    dedup(&all)
}

/// Phase owners, else the release's people.
fn phase_people(state: &ReleaseState, phase: &str) -> Option<Vec<String>> {
    let def = phase_def(state, phase)?;
    Some(if def.owners.is_empty() { release_people(state) } else { dedup(&def.owners) })
}

/// Activity owners, else phase owners, else release owners.
fn responsible(state: &ReleaseState, phase: &str, activity: &str) -> Option<Vec<String>> {
    let def = activity_def(state, phase, activity)?;
    if def.owners.is_empty() { phase_people(state, phase) } else { Some(dedup(&def.owners)) }
}

/// The approvers who have not decided yet and whose entry nobody covered; with `escalation`
/// (or once escalated), plus every `escalate_to` entry whose users have not decided.
fn missing_approvers(state: &ReleaseState, phase: &str, activity: &str, escalation: bool) -> Option<Vec<String>> {
    let def = activity_def(state, phase, activity)?;
    let act = state.activity(phase, activity)?;
    let decided = |user: &Option<String>| user.as_ref().is_some_and(|u| act.approvals.iter().any(|r| &r.approver == u));
    let covered: Vec<usize> =
        act.approvals.iter().filter(|r| r.approved).flat_map(|r| r.covers.iter().copied()).collect();
    let mut out: Vec<String> = def
        .approvers
        .iter()
        .enumerate()
        .filter(|(i, e)| !covered.contains(i) && !decided(&e.user))
        .map(|(_, e)| approver_name(e))
        .collect();
    if escalation || act.escalated {
        out.extend(def.escalate_to.iter().filter(|e| !decided(&e.user)).map(approver_name));
    }
    Some(dedup(&out))
}

/// Holds the subscribers and delivers notifications to each of them, in registration order.
/// A subscriber error or panic never propagates: it is logged (`tracing::warn!`, target
/// `trainyard::notify`) and counted. `Send + Sync`.
#[derive(Default)]
pub struct Dispatcher {
    subscribers: RwLock<Vec<Arc<dyn Subscriber>>>,
    delivered: AtomicU64,
    failures: AtomicU64,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("subscribers", &self.len())
            .field("delivered", &self.delivered())
            .field("failures", &self.failures())
            .finish()
    }
}

impl Dispatcher {
    /// A dispatcher without subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subscriber.
    pub fn subscribe(&self, subscriber: impl Subscriber + 'static) {
        self.add(Arc::new(subscriber));
    }

    /// Adds a shared subscriber.
    pub fn add(&self, subscriber: Arc<dyn Subscriber>) {
        self.subscribers.write().unwrap_or_else(|e| e.into_inner()).push(subscriber);
    }

    /// How many subscribers there are.
    pub fn len(&self) -> usize {
        self.subscribers.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether there are no subscribers (then [`Dispatcher::dispatch`] does nothing).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Delivers every notification to every subscriber; returns how many deliveries failed in this
    /// call. Call it after the commit, without engine locks held (subscribers may be slow or call
    /// back into the engine).
    pub fn dispatch(&self, notifications: &[Notification]) -> usize {
        if notifications.is_empty() {
            return 0;
        }
        let subscribers = self.subscribers.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut failed = 0;
        for n in notifications {
            for s in &subscribers {
                let result = catch_unwind(AssertUnwindSafe(|| s.notify(n)))
                    .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_text(panic.as_ref()))));
                match result {
                    Ok(()) => {
                        self.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(error) => {
                        failed += 1;
                        self.failures.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            subscriber = s.name(),
                            release = %n.release_id,
                            kind = n.kind.as_str(),
                            seq = n.seq,
                            %error,
                            "notification delivery failed"
                        );
                    }
                }
            }
        }
        failed
    }

    /// Deliveries that succeeded since the dispatcher was created.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Deliveries that failed (error or panic) since the dispatcher was created.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;

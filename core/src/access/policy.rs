//! The permission matrix: [`Action`]s, what they are applied to ([`AccessTarget`]) and
//! [`authorize`]. The rules are tabled in the [module docs](super).

use super::role::{ReleaseLevel, Role, Scope, check_release_level};
use super::{Actor, SYSTEM};
use crate::model::{ActivityKind, Approver};
use crate::release::{Command, CommandKind, ReleaseState};
use crate::{Error, Result};

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $rule:ident,)+) => {
        /// Everything that is authorized: every release command (named as by [`Command::name`])
        /// and the engine operations that are not release commands.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$doc])* $variant,)+
        }

        impl Action {
            /// Every action.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)+];

            /// The snake_case name (a command name, or `create`, `read`, …).
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)+ }
            }

            /// The action with this name, if any.
            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)+ _ => None }
            }

            fn rule(self) -> Rule {
                match self { $(Action::$variant => Rule::$rule,)+ }
            }
        }
    };
}

actions! {
    /// Change a draft.
    Update = "update" => Manage,
    /// Delete a draft or scheduled release.
    Delete = "delete" => Manage,
    /// Schedule or reschedule.
    Schedule = "schedule" => Manage,
    /// Activate (not forced).
    Activate = "activate" => Manage,
    /// Activate inside a freeze window (`activate` with `force: true`).
    ForceActivate = "force_activate" => ForceActivate,
    /// Pause.
    Pause = "pause" => Manage,
    /// Resume.
    Resume = "resume" => Manage,
    /// Abort.
    Abort = "abort" => Manage,
    /// Restart.
    Restart = "restart" => Manage,
    /// Archive.
    Archive = "archive" => Manage,
    /// Approve an approval activity.
    Approve = "approve" => Approver,
    /// Reject an approval activity.
    Reject = "reject" => Approver,
    /// Complete a manual activity.
    CompleteManual = "complete_manual" => Manual,
    /// Retry an on_hold activity.
    Retry = "retry" => Decide,
    /// Ignore an on_hold activity.
    Ignore = "ignore" => Decide,
    /// Fail an on_hold activity.
    Fail = "fail" => Decide,
    /// Skip a pending activity.
    Skip = "skip" => ManagerOnly,
    /// An executor picked up a job.
    StartJob = "start_job" => Engine,
    /// An executor finished a job.
    SucceedJob = "succeed_job" => Engine,
    /// An executor failed a job.
    FailJob = "fail_job" => Engine,
    /// A subprocess child release ended.
    ChildEnded = "child_ended" => Engine,
    /// A gate's targets are reported by the engine.
    ObserveGate = "observe_gate" => Engine,
    /// Grant a waiting lock request (the engine).
    GrantLocks = "grant_locks" => Engine,
    /// Refuse a lock request that would deadlock (the engine).
    RefuseLocks = "refuse_locks" => Engine,
    /// A timer fired.
    FireTimer = "fire_timer" => Engine,
    /// Start what is ready.
    Advance = "advance" => Engine,
    /// Run a phase or activity again with what is downstream of it.
    Rewind = "rewind" => ManagerOnly,
    /// Add an ad-hoc activity to a phase.
    InsertActivity = "insert_activity" => ManagerOnly,
    /// Replace an approval's approvers (a manual activity's owners).
    Reassign = "reassign" => ManagerOnly,
    /// Hand a listed approver's part of an approval to another user (also by that approver).
    Delegate = "delegate" => ManagerOnly,
    /// Move the earliest start of a phase that has not started.
    ReschedulePhase = "reschedule_phase" => ManagerOnly,
    /// Claim jobs for workers (leases).
    ClaimJobs = "claim_jobs" => Engine,
    /// Create a release.
    Create = "create" => Manage,
    /// Read a release (get, history, list, calendar).
    Read = "read" => Read,
    /// Register a process definition.
    RegisterProcess = "register_process" => Catalog,
    /// Save an input set.
    SaveInputSet = "save_input_set" => Catalog,
    /// Create or edit a release group.
    CreateReleaseGroup = "create_release_group" => Manage,
    /// Add a freeze window.
    AddFreeze = "add_freeze" => Manage,
    /// Archive old terminal releases.
    ApplyRetention = "apply_retention" => Retention,
}

impl Action {
    /// The action of a release command: one per [`CommandKind`], except that an activation with
    /// `force: true` is [`Action::ForceActivate`]. The match is exhaustive: a new command does not
    /// compile until it has an access rule here.
    pub fn of(cmd: &Command) -> Action {
        if matches!(cmd, Command::Activate { force: true }) {
            return Action::ForceActivate;
        }
        match cmd.kind() {
            CommandKind::Update => Action::Update,
            CommandKind::Delete => Action::Delete,
            CommandKind::Schedule => Action::Schedule,
            CommandKind::Activate => Action::Activate,
            CommandKind::Pause => Action::Pause,
            CommandKind::Resume => Action::Resume,
            CommandKind::Abort => Action::Abort,
            CommandKind::Restart => Action::Restart,
            CommandKind::Archive => Action::Archive,
            CommandKind::Approve => Action::Approve,
            CommandKind::Reject => Action::Reject,
            CommandKind::CompleteManual => Action::CompleteManual,
            CommandKind::Retry => Action::Retry,
            CommandKind::Ignore => Action::Ignore,
            CommandKind::Fail => Action::Fail,
            CommandKind::Skip => Action::Skip,
            CommandKind::StartJob => Action::StartJob,
            CommandKind::SucceedJob => Action::SucceedJob,
            CommandKind::FailJob => Action::FailJob,
            CommandKind::ChildEnded => Action::ChildEnded,
            CommandKind::ObserveGate => Action::ObserveGate,
            CommandKind::GrantLocks => Action::GrantLocks,
            CommandKind::RefuseLocks => Action::RefuseLocks,
            CommandKind::FireTimer => Action::FireTimer,
            CommandKind::Advance => Action::Advance,
            CommandKind::Rewind => Action::Rewind,
            CommandKind::InsertActivity => Action::InsertActivity,
            CommandKind::Reassign => Action::Reassign,
            CommandKind::Delegate => Action::Delegate,
            CommandKind::ReschedulePhase => Action::ReschedulePhase,
        }
    }

    /// Whether the action is checked against the installation's `release_level` (it brings a
    /// scoped thing into existence).
    pub fn checks_release_level(self) -> bool {
        matches!(self, Action::Create | Action::CreateReleaseGroup)
    }
}

/// The kinds of rule; see the module docs' table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Manage,
    ForceActivate,
    ManagerOnly,
    Approver,
    Manual,
    Decide,
    Engine,
    Read,
    Catalog,
    Retention,
}

/// The activity a command targets, as far as access control needs it.
#[derive(Debug, Clone, Copy)]
pub struct ActivityTarget<'a> {
    /// Phase id.
    pub phase: &'a str,
    /// Activity id.
    pub activity: &'a str,
    /// Its kind.
    pub kind: ActivityKind,
    /// The activity's `owners` (users or groups).
    pub owners: &'a [String],
    /// Its phase's `owners`.
    pub phase_owners: &'a [String],
    /// Approvers (approval activities).
    pub approvers: &'a [Approver],
    /// `escalate_to` (counted once `escalated`).
    pub escalate_to: &'a [Approver],
    /// Whether the approval escalated.
    pub escalated: bool,
}

/// What an action is applied to.
#[derive(Debug, Clone, Copy)]
pub struct AccessTarget<'a> {
    /// `account` or `org:<id>`.
    pub scope: &'a str,
    /// The release's owners (users or groups), empty for non-release targets.
    pub owners: &'a [String],
    /// The targeted activity, for activity commands.
    pub activity: Option<ActivityTarget<'a>>,
    /// The release, when there is one (lets people listed anywhere in it read it).
    pub release: Option<&'a ReleaseState>,
}

impl<'a> AccessTarget<'a> {
    /// A target that is only a scope: creating a release or release group, adding a freeze,
    /// registering a process (scope ignored), applying retention, claiming jobs.
    pub fn scope(scope: &'a str) -> Self {
        AccessTarget { scope, owners: &[], activity: None, release: None }
    }

    /// A release as a whole.
    pub fn release(state: &'a ReleaseState) -> Self {
        AccessTarget { scope: &state.scope, owners: &state.owners, activity: None, release: Some(state) }
    }

    /// The release and, for activity commands, the targeted activity (left out when the release
    /// has no such activity: the command then needs a release manager and `decide` reports
    /// `not_found`).
    pub fn for_command(state: &'a ReleaseState, cmd: &Command) -> Self {
        let target = AccessTarget::release(state);
        match cmd.activity() {
            Some(t) => target.with_activity(state, &t.phase, &t.activity),
            None => target,
        }
    }

    /// The same target narrowed to activity `phase/activity` of `state`.
    pub fn with_activity(mut self, state: &'a ReleaseState, phase: &str, activity: &str) -> Self {
        self.activity = activity_target(state, phase, activity);
        self
    }
}

fn activity_target<'a>(state: &'a ReleaseState, phase: &str, activity: &str) -> Option<ActivityTarget<'a>> {
    let plan = state.plan.as_ref()?;
    let p = plan.phase_index(phase)?;
    let a = plan.phases[p].activity_index(activity)?;
    let phase_def = plan.phase_def(p);
    let def = plan.activity_def(p, a);
    Some(ActivityTarget {
        phase: &phase_def.id,
        activity: &def.id,
        kind: def.kind,
        owners: &def.owners,
        phase_owners: &phase_def.owners,
        approvers: &def.approvers,
        escalate_to: &def.escalate_to,
        escalated: state.phases.get(p).and_then(|ph| ph.activities.get(a)).is_some_and(|s| s.escalated),
    })
}

/// Whether `actor` is named by an owner entry: its user id, one of its groups, `group:<g>` for one
/// of its groups, or `user:<id>`.
pub fn is_listed(actor: &Actor, names: &[String]) -> bool {
    names.iter().any(|n| {
        n == &actor.id
            || actor.in_group(n)
            || n.strip_prefix("group:").is_some_and(|g| actor.in_group(g))
            || n.strip_prefix("user:").is_some_and(|u| u == actor.id)
    })
}

fn is_approver(actor: &Actor, entries: &[Approver]) -> bool {
    entries
        .iter()
        .any(|e| e.user.as_deref() == Some(actor.id.as_str()) || e.group.as_deref().is_some_and(|g| actor.in_group(g)))
}

fn roles(actor: &Actor) -> impl Iterator<Item = Role> + '_ {
    actor.roles.iter().filter_map(|r| Role::parse(r).ok())
}

fn is_system(actor: &Actor) -> bool {
    actor.id == SYSTEM
}

/// Whether `actor` manages (may change) releases at `scope`: the engine, an account release
/// manager (any scope), or the org release manager of that organization.
pub fn manages(actor: &Actor, scope: &str) -> bool {
    if is_system(actor) {
        return true;
    }
    Scope::parse(scope).is_ok_and(|s| roles(actor).any(|r| r.manages(&s)))
}

fn person_manages(actor: &Actor, scope: &str) -> bool {
    !is_system(actor) && manages(actor, scope)
}

/// Whether `actor`'s roles let it read releases at `scope` (for filtered queries: lists,
/// calendars). The engine, account release managers and `viewer`s read everything;
/// `org_release_manager:<o>` and `viewer:<o>` read `org:<o>` only — an org manager never sees
/// another org's releases. Use [`can_read_release`] for one release: people listed on it may read
/// it too.
pub fn can_read(actor: &Actor, scope: &str) -> bool {
    if is_system(actor) {
        return true;
    }
    Scope::parse(scope).is_ok_and(|s| roles(actor).any(|r| r.reads(&s)))
}

/// Whether `actor` may read this release: [`can_read`] of its scope, or being listed on it
/// (release owner, release manager or stakeholder, phase or activity owner, approver or
/// `escalate_to`, by id or group).
pub fn can_read_release(actor: &Actor, state: &ReleaseState) -> bool {
    can_read(actor, &state.scope) || participates(actor, state)
}

fn participates(actor: &Actor, state: &ReleaseState) -> bool {
    if is_listed(actor, &state.owners)
        || is_listed(actor, &state.release_managers)
        || is_listed(actor, &state.stakeholders)
    {
        return true;
    }
    let Some(plan) = state.plan.as_ref() else { return false };
    (0..plan.phases.len()).any(|p| {
        let phase = plan.phase_def(p);
        is_listed(actor, &phase.owners)
            || phase.activities.iter().any(|a| {
                is_listed(actor, &a.owners) || is_approver(actor, &a.approvers) || is_approver(actor, &a.escalate_to)
            })
    })
}

/// Who may do `action` on `target` (the matrix is tabled in the [module docs](super)).
///
/// Errors: `invalid_input` (`invalid_scope` / `release_level_mismatch`, see
/// [`check_release_level`]) for `create` and `create_release_group` at a malformed scope or a
/// scope of the other level — checked before the actor; otherwise `permission_denied` naming the
/// actor, the action (with `phase/activity` for activity commands) and what is missing.
pub fn authorize(actor: &Actor, action: Action, target: &AccessTarget<'_>, level: ReleaseLevel) -> Result<()> {
    if action.checks_release_level() {
        check_release_level(target.scope, level)?;
    }
    let scope = target.scope;
    let managers = managers_of(scope);
    let allowed = match action.rule() {
        Rule::Manage => manages(actor, scope),
        Rule::ForceActivate => !is_system(actor) && roles(actor).any(|r| r == Role::AccountReleaseManager),
        Rule::ManagerOnly => person_manages(actor, scope),
        Rule::Engine => is_system(actor),
        Rule::Read => match target.release {
            Some(state) => can_read_release(actor, state),
            None => can_read(actor, scope) || is_listed(actor, target.owners),
        },
        Rule::Catalog => manages(actor, scope),
        Rule::Retention => is_system(actor) || roles(actor).any(|r| r == Role::AccountReleaseManager),
        Rule::Approver | Rule::Manual | Rule::Decide => match &target.activity {
            // Unknown activity: only a release manager gets as far as `decide` (→ not_found).
            None => person_manages(actor, scope),
            Some(act) => !is_system(actor) && activity_allows(actor, action.rule(), act, target),
        },
    };
    if allowed {
        return Ok(());
    }
    let command = match &target.activity {
        Some(a) if matches!(action.rule(), Rule::Approver | Rule::Manual | Rule::Decide | Rule::ManagerOnly) => {
            format!("{} {}/{}", action.name(), a.phase, a.activity)
        }
        _ => action.name().to_string(),
    };
    let missing = match action.rule() {
        Rule::Manage => format!("role {managers}"),
        Rule::ForceActivate => "role account_release_manager (only it may activate inside a freeze window)".into(),
        Rule::ManagerOnly => format!("role {managers} (a person)"),
        Rule::Engine => format!("being the engine (actor `{SYSTEM}`); workers report through leases"),
        Rule::Read => format!("role {}, or being listed on the release", readers_of(scope)),
        Rule::Catalog => format!("role {managers} (the scope the process or input set belongs to)"),
        Rule::Retention => "role account_release_manager".into(),
        Rule::Approver | Rule::Manual | Rule::Decide if is_system(actor) => {
            "a person: the engine never decides for people".into()
        }
        Rule::Approver | Rule::Manual | Rule::Decide => match &target.activity {
            None => format!("role {managers}"),
            Some(act) => activity_missing(action.rule(), act, &managers),
        },
    };
    Err(Error::PermissionDenied { actor: actor.id.clone(), command, missing })
}

/// Whether a person may approve/reject, complete or decide about the activity.
fn activity_allows(actor: &Actor, rule: Rule, act: &ActivityTarget<'_>, target: &AccessTarget<'_>) -> bool {
    match rule {
        Rule::Approver => is_approver(actor, act.approvers) || (act.escalated && is_approver(actor, act.escalate_to)),
        Rule::Manual => responsible(actor, act, target),
        Rule::Decide => responsible(actor, act, target) || person_manages(actor, target.scope),
        _ => false,
    }
}

/// Activity owners; else phase owners; else the release owners, the release's own
/// `release_managers` and the release managers of its scope.
fn responsible(actor: &Actor, act: &ActivityTarget<'_>, target: &AccessTarget<'_>) -> bool {
    if !act.owners.is_empty() {
        is_listed(actor, act.owners)
    } else if !act.phase_owners.is_empty() {
        is_listed(actor, act.phase_owners)
    } else {
        is_listed(actor, target.owners)
            || target.release.is_some_and(|s| is_listed(actor, &s.release_managers))
            || person_manages(actor, target.scope)
    }
}

fn activity_missing(rule: Rule, act: &ActivityTarget<'_>, managers: &str) -> String {
    let who = if !act.owners.is_empty() {
        format!("being an owner of activity {}/{} ({})", act.phase, act.activity, act.owners.join(", "))
    } else if !act.phase_owners.is_empty() {
        format!("being an owner of phase {} ({})", act.phase, act.phase_owners.join(", "))
    } else {
        format!("being a release owner or role {managers}")
    };
    match rule {
        Rule::Approver => {
            let mut entries: Vec<String> = act.approvers.iter().map(describe_approver).collect();
            if act.escalated {
                entries.extend(act.escalate_to.iter().map(describe_approver));
            }
            let listed = if entries.is_empty() { "nobody is listed".to_string() } else { entries.join(", ") };
            format!("being listed as an approver ({listed}); release managers may not approve unless listed")
        }
        Rule::Decide if !act.owners.is_empty() || !act.phase_owners.is_empty() => {
            format!("{who} or role {managers}")
        }
        _ => who,
    }
}

fn describe_approver(a: &Approver) -> String {
    match (&a.user, &a.group) {
        (Some(u), _) => u.clone(),
        (None, Some(g)) => format!("members of {g}"),
        (None, None) => "nobody".into(),
    }
}

fn managers_of(scope: &str) -> String {
    match Scope::parse(scope) {
        Ok(Scope::Org(org)) => format!("account_release_manager or org_release_manager:{org}"),
        _ => "account_release_manager".into(),
    }
}

fn readers_of(scope: &str) -> String {
    match Scope::parse(scope) {
        Ok(Scope::Org(org)) => {
            format!("viewer, viewer:{org}, org_release_manager:{org} or account_release_manager")
        }
        _ => "viewer or account_release_manager".into(),
    }
}

/// Authorizes a release command against the release it targets: the one call the engine makes
/// before `decide` (for engine-issued commands too, with [`Actor::system`]).
/// Every command has a rule ([`Action::of`] is an exhaustive match on the command's kind).
/// An `update` that moves a draft to another scope also needs the rights to create a release there
/// (managing that scope, at the installation's release level).
pub fn authorize_command(actor: &Actor, cmd: &Command, state: &ReleaseState, level: ReleaseLevel) -> Result<()> {
    // An approver may hand their own part of an approval to someone else.
    if let Command::Delegate { from, .. } = cmd {
        if !is_system(actor) && actor.id == *from {
            return Ok(());
        }
    }
    authorize(actor, Action::of(cmd), &AccessTarget::for_command(state, cmd), level)?;
    if let Command::Update { changes, .. } = cmd {
        if let Some(scope) = changes.scope.as_deref().filter(|s| *s != state.scope) {
            authorize(actor, Action::Create, &AccessTarget::scope(scope), level)?;
        }
    }
    Ok(())
}

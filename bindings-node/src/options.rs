//! The options objects JS passes for Python's keyword arguments, and their conversion to core
//! values. Invalid values (an unknown status or kind) are the core's own `invalid_input` errors.

use crate::objects::JsonObject;
use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use napi_derive::napi;
use serde_json::Value;

/// Who issues a command: a user id, the groups they belong to and their roles
/// (`account_release_manager`, `org_release_manager:<org>`, `viewer`, `viewer:<org>`).
/// A plain object (`{ id: 'rita', roles: ['account_release_manager'] }`) or an [`ActorClass`]
/// instance (`new Actor('rita', { roles: [...] })`).
#[napi(object, js_name = "ActorLike")]
#[derive(Clone)]
pub struct Actor {
    /// User id.
    pub id: String,
    /// Groups the user belongs to (approvals by `{ group: … }`).
    pub groups: Option<Vec<String>>,
    /// Role strings.
    pub roles: Option<Vec<String>>,
}

impl From<&Actor> for trainyard::access::Actor {
    fn from(a: &Actor) -> Self {
        trainyard::access::Actor::new(a.id.clone())
            .with_groups(a.groups.clone().unwrap_or_default())
            .with_roles(a.roles.clone().unwrap_or_default())
    }
}

/// Groups and roles of `new Actor(id, { groups, roles })`.
#[napi(object, object_to_js = false, js_name = "ActorInit")]
pub struct ActorOptionsInit {
    /// Groups the user belongs to.
    pub groups: Option<Vec<String>>,
    /// Role strings.
    pub roles: Option<Vec<String>>,
}

/// Who issues a command, as a class (the same as Python's `Actor(id, groups=..., roles=...)`).
/// Anywhere an actor is expected, a plain `{ id, groups?, roles? }` object works as well.
#[napi(js_name = "Actor")]
pub struct ActorClass {
    id: String,
    groups: Vec<String>,
    roles: Vec<String>,
}

#[napi]
impl ActorClass {
    /// `new Actor('rita', { roles: ['account_release_manager'] })`.
    #[napi(constructor)]
    pub fn new(id: String, options: Option<ActorOptionsInit>) -> Self {
        let options = options.unwrap_or(ActorOptionsInit { groups: None, roles: None });
        ActorClass { id, groups: options.groups.unwrap_or_default(), roles: options.roles.unwrap_or_default() }
    }

    /// User id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// Groups the user belongs to.
    #[napi(getter)]
    pub fn groups(&self) -> Vec<String> {
        self.groups.clone()
    }

    /// Role strings.
    #[napi(getter)]
    pub fn roles(&self) -> Vec<String> {
        self.roles.clone()
    }
}

pub fn map(object: Option<JsonObject>) -> Option<IndexMap<String, Value>> {
    object.map(|m| m.into_iter().collect())
}

/// Options of `createRelease`.
#[napi(object, object_to_js = false)]
pub struct CreateReleaseOptions {
    /// Display name, e.g. "Week 15 System Release - April 2025".
    pub name: String,
    /// Who creates it.
    pub actor: Actor,
    /// Input values (merged over the input set and the process defaults).
    #[napi(ts_type = "Record<string, unknown>")]
    pub inputs: Option<JsonObject>,
    /// A saved input set of the process, by name (`saveInputSet`): its values go under `inputs`.
    pub input_set: Option<String>,
    /// The input set's version (default: its latest).
    pub input_set_version: Option<u32>,
    /// `standard` (default) | `hotfix` | `feature` | `system`.
    #[napi(ts_type = "ReleaseKind")]
    pub kind: Option<String>,
    /// `account` (default) or `org:<id>`.
    pub scope: Option<String>,
    /// Release managers and stakeholders.
    pub owners: Option<Vec<String>>,
}

/// Options of `updateRelease` (drafts only).
#[napi(object, object_to_js = false)]
pub struct UpdateReleaseOptions {
    /// Who changes it.
    pub actor: Actor,
    /// New name.
    pub name: Option<String>,
    /// Inputs to change (merged; `null` removes one so its default applies again).
    #[napi(ts_type = "Record<string, unknown>")]
    pub inputs: Option<JsonObject>,
    /// New owners.
    pub owners: Option<Vec<String>>,
}

/// Options of `schedule`.
#[napi(object, object_to_js = false)]
pub struct ScheduleOptions {
    /// Planned start.
    pub start: DateTime<Utc>,
    /// Who schedules it.
    pub actor: Actor,
    /// Planned end.
    pub end: Option<DateTime<Utc>>,
    /// Activate automatically at `start` (default `true`).
    pub auto_start: Option<bool>,
}

/// Options of commands that need only an actor (`activate`, `pause`, `resume`, `restart`,
/// `archive`, `deleteRelease`).
#[napi(object, object_to_js = false)]
pub struct ActorOptions {
    /// Who issues the command.
    pub actor: Actor,
}

/// Options of `abort` and `skip`: a reason is required.
#[napi(object, object_to_js = false)]
pub struct ReasonOptions {
    /// Who issues the command.
    pub actor: Actor,
    /// Why (recorded in the history).
    pub reason: String,
}

/// Options of `fail`.
#[napi(object, object_to_js = false)]
pub struct FailOptions {
    /// Who decides.
    pub actor: Actor,
    /// Why (recorded in the history).
    pub reason: Option<String>,
}

/// Options of `approve` and `reject`.
#[napi(object, object_to_js = false)]
pub struct ApprovalOptions {
    /// The approver.
    pub actor: Actor,
    /// Comment recorded with the decision.
    pub comment: Option<String>,
}

/// Options of `completeManual`.
#[napi(object, object_to_js = false)]
pub struct CompleteManualOptions {
    /// Who completes it.
    pub actor: Actor,
    /// The field values.
    #[napi(ts_type = "Record<string, unknown>")]
    pub values: JsonObject,
}

/// Options of `retry`.
#[napi(object, object_to_js = false)]
pub struct RetryOptions {
    /// Who decides.
    pub actor: Actor,
    /// Changed `with` values for the new attempt (fix-and-continue).
    #[napi(ts_type = "Record<string, unknown>")]
    pub inputs: Option<JsonObject>,
    /// Why (recorded in the history).
    pub reason: Option<String>,
}

/// Options of `ignore`.
#[napi(object, object_to_js = false)]
pub struct IgnoreOptions {
    /// Who decides.
    pub actor: Actor,
    /// Substitute outputs downstream needs.
    #[napi(ts_type = "Record<string, unknown>")]
    pub outputs: Option<JsonObject>,
    /// Why (recorded in the history).
    pub reason: Option<String>,
}

/// Options of `completeJob`: outputs for a success, `error` for a failure. With `leaseToken` (a job
/// from `claimJobs`) the token must still be the job's, else `conflict`.
#[napi(object, object_to_js = false)]
pub struct CompleteJobOptions {
    /// The lease token of a claimed job.
    pub lease_token: Option<String>,
    /// Outputs of a successful job.
    #[napi(ts_type = "Record<string, unknown>")]
    pub outputs: Option<JsonObject>,
    /// The failure message: the job failed.
    pub error: Option<String>,
    /// Whether an automatic retry may help (failures only; default `true`).
    pub retryable: Option<bool>,
}

impl CompleteJobOptions {
    /// The lease token and the outcome.
    pub fn split(self) -> (Option<String>, trainyard::executor::Outcome) {
        use trainyard::executor::Outcome;
        let outcome = match self.error {
            Some(message) => Outcome::Failure { message, retryable: self.retryable.unwrap_or(true) },
            None => Outcome::Success { outputs: map(self.outputs).unwrap_or_default() },
        };
        (self.lease_token, outcome)
    }
}

/// Options of `claimJobs`.
#[napi(object, object_to_js = false)]
pub struct ClaimOptions {
    /// The worker's name (the lease holder; shown by `listJobs`).
    pub worker: String,
    /// At most this many jobs (default 10).
    pub limit: Option<u32>,
    /// How long the lease lasts, in milliseconds (default 5 minutes); extend it with `heartbeat`.
    pub lease_ms: Option<f64>,
}

/// Options of reads on behalf of someone (`getRelease`, `history`).
#[napi(object, object_to_js = false)]
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// Read as this actor: `permission_denied` when they may not see the release. Without an
    /// actor the read is unrestricted (trusted code).
    pub actor: Option<Actor>,
}

/// Options of `saveInputSet`.
#[napi(object, object_to_js = false)]
pub struct SaveInputSetOptions {
    /// Who saves it (a release manager).
    pub actor: Actor,
}

/// Options of `registerCommandExecutor`.
#[napi(object, object_to_js = false)]
pub struct CommandExecutorOptions {
    /// Relative `cwd`s (and jobs without one) resolve against this directory (default: the
    /// process's current directory).
    pub base_dir: Option<String>,
}

/// Filters of `listReleases`.
#[napi(object, object_to_js = false)]
#[derive(Clone, Default)]
pub struct ReleaseFilter {
    /// Only this status.
    #[napi(ts_type = "ReleaseStatus")]
    pub status: Option<String>,
    /// Only this kind.
    #[napi(ts_type = "ReleaseKind")]
    pub kind: Option<String>,
    /// Only releases of this release group.
    pub group: Option<String>,
    /// Only this scope (`account` or `org:<id>`).
    pub scope: Option<String>,
    /// Include archived releases (default `false`).
    pub include_archived: Option<bool>,
    /// Only the releases this actor may read (without an actor: every release).
    pub actor: Option<Actor>,
}

impl ReleaseFilter {
    pub fn to_core(&self) -> trainyard::Result<trainyard::ReleaseFilter> {
        Ok(trainyard::ReleaseFilter {
            status: self.status.as_deref().map(str::parse).transpose()?,
            kind: self.kind.as_deref().map(str::parse).transpose()?,
            group: self.group.clone(),
            scope: self.scope.clone(),
            include_archived: self.include_archived.unwrap_or(false),
        })
    }
}

//! The options objects JS passes for Python's keyword arguments, and the actor. Each is declared
//! once with [`options!`](crate::convert::options): napi types it in `index.d.ts` and
//! [`FromJs`] reads it with the rules of [`crate::convert`] (every problem at once, unknown keys
//! refused, paths such as `options.actor.roles[0]`).

use crate::convert::{Cx, FromJs, JsonObject, Kind, Span, options};
use chrono::{DateTime, Utc};
use napi::bindgen_prelude::{ClassInstance, FromNapiValue, JavaScriptClassExt, TypeName, Unknown, ValidateNapiValue};
use napi::{Env, sys};
use napi_derive::napi;

/// Who issues a command: a user id, the groups they belong to and their roles
/// (`account_release_manager`, `org_release_manager:<org>`, `viewer`, `viewer:<org>`).
/// A plain object (`{ id: 'rita', roles: ['account_release_manager'] }`) or an `Actor`
/// instance (`new Actor('rita', { roles: [...] })`).
#[napi(object, object_to_js = false, js_name = "ActorLike")]
#[derive(Clone, Default)]
pub struct Actor {
    /// User id.
    pub id: String,
    /// Groups the user belongs to (approvals by `{ group: … }`).
    pub groups: Option<Vec<String>>,
    /// Role strings.
    pub roles: Option<Vec<String>>,
}

impl Actor {
    /// The core actor.
    pub fn core(&self) -> trainyard::access::Actor {
        trainyard::access::Actor::new(self.id.clone())
            .with_groups(self.groups.clone().unwrap_or_default())
            .with_roles(self.roles.clone().unwrap_or_default())
    }
}

impl FromJs for Actor {
    fn expected() -> String {
        "an actor: a plain object { id, groups?, roles? } or new Actor(id, { groups, roles })".into()
    }

    fn read(cx: &mut Cx, value: sys::napi_value, path: &mut String) -> Self {
        let env = Env::from_raw(cx.env());
        if cx.kind(value) == Kind::Object {
            // SAFETY: `value` is a live value of the current call on this env.
            let unknown = unsafe { Unknown::from_napi_value(cx.env(), value) };
            if let Ok(unknown) = unknown {
                if ActorClass::instance_of(&env, &unknown).unwrap_or(false) {
                    // SAFETY: checked above that the value is an Actor instance of this env.
                    if let Ok(actor) = unsafe { ClassInstance::<ActorClass>::from_napi_value(cx.env(), value) } {
                        return Actor {
                            id: actor.id.clone(),
                            groups: Some(actor.groups.clone()),
                            roles: Some(actor.roles.clone()),
                        };
                    }
                }
            }
        }
        if !cx.plain_object(value, path, &Self::expected()) {
            return Actor::default();
        }
        let names = ["id".to_string(), "groups".to_string(), "roles".to_string()];
        let values = cx.fields(value, path, &names);
        let mut at = crate::convert::join(path, "id");
        let id = match values[0] {
            Some(v) => cx.field::<String>(v, &mut at),
            None => String::missing(cx, &at),
        };
        if id.is_empty() && !cx.failed() {
            cx.problem(&at, trainyard::validate::codes::INVALID_VALUE, "must not be empty");
        }
        let mut list = |i: usize, key: &str| -> Option<Vec<String>> {
            let mut at = crate::convert::join(path, key);
            values[i].and_then(|v| cx.field::<Option<Vec<String>>>(v, &mut at))
        };
        let groups = list(1, "groups");
        let roles = list(2, "roles");
        Actor { id, groups, roles }
    }
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
    /// `new Actor('rita', { roles: ['account_release_manager'] })`; a wrong argument throws
    /// `invalid_input`.
    #[napi(constructor, ts_args_type = "id: string, options?: ActorInit")]
    pub fn new(env: Env, id: Unknown, options: Unknown) -> napi::Result<Self> {
        let mut cx = Cx::new(&env);
        let id: String = cx.arg(id, "id");
        let init: Option<ActorInit> = cx.arg(options, "options");
        cx.done()?;
        let init = init.unwrap_or_default();
        Ok(ActorClass { id, groups: init.groups.unwrap_or_default(), roles: init.roles.unwrap_or_default() })
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

/// How `Span` fields (durations) are typed for napi's own conversion, which this crate never
/// uses: every options object is read through [`FromJs`].
impl TypeName for Span {
    fn type_name() -> &'static str {
        "string | number"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Unknown
    }
}

impl ValidateNapiValue for Span {}

impl FromNapiValue for Span {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut cx = Cx::from_raw(env);
        let span = cx.field::<Span>(value, &mut String::new());
        cx.finish().map_err(|e| napi::Error::from_reason(e.to_string()))?;
        Ok(span)
    }
}

options! {
    #[doc = " Groups and roles of `new Actor(id, { groups, roles })`."]
    pub struct ActorInit {
        #[doc = " Groups."]
        pub groups: Option<Vec<String>>,
        #[doc = " Roles."]
        pub roles: Option<Vec<String>>,
    }
}

options! {
    #[doc = " Options of `createRelease`."]
    pub struct CreateReleaseOptions {
        #[doc = " Display name, e.g. \"Week 15 System Release - April 2025\"."]
        pub name: String,
        #[doc = " Who creates it."]
        pub actor: Actor,
        #[doc = " Input values (merged over the input set and the process defaults)."]
        #[napi(ts_type = "Record<string, unknown>")]
        pub inputs: Option<JsonObject>,
        #[doc = " A saved input set of the process, by name (`saveInputSet`): its values go under `inputs`."]
        pub input_set: Option<String>,
        #[doc = " The input set's version (default: its latest)."]
        pub input_set_version: Option<u32>,
        #[doc = " `standard` (default) | `hotfix` | `feature` | `system`."]
        #[napi(ts_type = "ReleaseKind")]
        pub kind: Option<String>,
        #[doc = " `account` (default) or `org:<id>`."]
        pub scope: Option<String>,
        #[doc = " Owners: the people and groups responsible for the release."]
        pub owners: Option<Vec<String>>,
        #[doc = " Release managers (users or groups; default: the actor)."]
        pub release_managers: Option<Vec<String>>,
        #[doc = " Stakeholders (users or groups): notified of its progress, and may read it."]
        pub stakeholders: Option<Vec<String>>,
        #[doc = " Labels (key → text value)."]
        #[napi(ts_type = "Record<string, string>")]
        pub labels: Option<JsonObject>,
        #[doc = " A description."]
        pub description: Option<String>,
        #[doc = " The version being released."]
        pub version: Option<String>,
        #[doc = " Links: `{ kind: 'ticket' | 'commit' | 'incident' | 'other', url, title? }`."]
        #[napi(ts_type = "LinkInit[]")]
        pub links: Option<serde_json::Value>,
    }
}

options! {
    #[doc = " Options of `updateRelease` (a release that has not started: a draft changes anything,"]
    #[doc = " a scheduled release all but `process`, `version`, `kind` and `scope`)."]
    pub struct UpdateReleaseOptions {
        #[doc = " Who changes it."]
        pub actor: Actor,
        #[doc = " New name."]
        pub name: Option<String>,
        #[doc = " Inputs to change (merged; `null` removes one so its default applies again)."]
        #[napi(ts_type = "Record<string, unknown>")]
        pub inputs: Option<JsonObject>,
        #[doc = " New owners."]
        pub owners: Option<Vec<String>>,
        #[doc = " New release managers (at least one)."]
        pub release_managers: Option<Vec<String>>,
        #[doc = " New stakeholders."]
        pub stakeholders: Option<Vec<String>>,
        #[doc = " Another process (drafts; its latest version unless `version` is given)."]
        pub process: Option<String>,
        #[doc = " Another version of the process (drafts; of `process` when given, else of the current one)."]
        pub process_version: Option<u32>,
        #[doc = " Another kind (drafts)."]
        #[napi(ts_type = "ReleaseKind")]
        pub kind: Option<String>,
        #[doc = " Another scope (drafts; the actor must manage it)."]
        pub scope: Option<String>,
        #[doc = " New planned start."]
        #[napi(ts_type = "Date | string")]
        pub start: Option<DateTime<Utc>>,
        #[doc = " New planned end."]
        #[napi(ts_type = "Date | string")]
        pub end: Option<DateTime<Utc>>,
        #[doc = " Why (recorded with the `updated` event)."]
        pub reason: Option<String>,
        #[doc = " Labels (key → text value; `null` removes one)."]
        #[napi(ts_type = "Record<string, string | null>")]
        pub labels: Option<JsonObject>,
        #[doc = " A description; `''` clears it."]
        pub description: Option<String>,
        #[doc = " The version being released; `''` clears it."]
        pub version: Option<String>,
        #[doc = " Links: `{ kind: 'ticket' | 'commit' | 'incident' | 'other', url, title? }`; replaces them all."]
        #[napi(ts_type = "LinkInit[]")]
        pub links: Option<serde_json::Value>,
    }
}

options! {
    #[doc = " Options of `schedule`."]
    pub struct ScheduleOptions {
        #[doc = " Planned start."]
        #[napi(ts_type = "Date | string")]
        pub start: DateTime<Utc>,
        #[doc = " Who schedules it."]
        pub actor: Actor,
        #[doc = " Planned end."]
        #[napi(ts_type = "Date | string")]
        pub end: Option<DateTime<Utc>>,
        #[doc = " Activate automatically at `start` (default `true`)."]
        pub auto_start: Option<bool>,
    }
}

options! {
    #[doc = " Options of commands that need only an actor (`pause`, `resume`, `restart`, `archive`,"]
    #[doc = " `deleteRelease`, `deleteReleaseGroup`, `deleteFreeze`)."]
    pub struct ActorOptions {
        #[doc = " Who issues the command."]
        pub actor: Actor,
    }
}

options! {
    #[doc = " Options of `pauseReleaseGroup` and `resumeReleaseGroup`."]
    pub struct GroupControlOptions {
        #[doc = " Who pauses or resumes (manages the group's scope)."]
        pub actor: Actor,
        #[doc = " Why (recorded with the group's control document)."]
        pub reason: Option<String>,
    }
}

options! {
    #[doc = " Options of `triggerReleaseGroup`."]
    pub struct TriggerOptions {
        #[doc = " Who triggers (manages the group's scope)."]
        pub actor: Actor,
        #[doc = " Bypass a pause or the overlap policy (recorded in the activation's comment)."]
        pub force: Option<bool>,
    }
}

options! {
    #[doc = " Options of `activate`."]
    pub struct ActivateOptions {
        #[doc = " Who activates it."]
        pub actor: Actor,
        #[doc = " Activate even inside a freeze window (recorded)."]
        pub force: Option<bool>,
    }
}

options! {
    #[doc = " Options of `abort` and `skip`: a reason is required."]
    pub struct ReasonOptions {
        #[doc = " Who issues the command."]
        pub actor: Actor,
        #[doc = " Why (recorded in the history)."]
        pub reason: String,
    }
}

options! {
    #[doc = " Options of `fail`."]
    pub struct FailOptions {
        #[doc = " Who decides."]
        pub actor: Actor,
        #[doc = " Why (recorded in the history)."]
        pub reason: Option<String>,
    }
}

options! {
    #[doc = " Options of `approve` and `reject`."]
    pub struct ApprovalOptions {
        #[doc = " The approver."]
        pub actor: Actor,
        #[doc = " Comment recorded with the decision."]
        pub comment: Option<String>,
    }
}

options! {
    #[doc = " Options of `completeManual`."]
    pub struct CompleteManualOptions {
        #[doc = " Who completes it."]
        pub actor: Actor,
        #[doc = " The field values."]
        #[napi(ts_type = "Record<string, unknown>")]
        pub values: JsonObject,
    }
}

options! {
    #[doc = " Options of `retry`."]
    pub struct RetryOptions {
        #[doc = " Who decides."]
        pub actor: Actor,
        #[doc = " Changed `with` values for the new attempt (fix-and-continue)."]
        #[napi(ts_type = "Record<string, unknown>")]
        pub inputs: Option<JsonObject>,
        #[doc = " Why (recorded in the history)."]
        pub reason: Option<String>,
    }
}

options! {
    #[doc = " Options of `ignore`."]
    pub struct IgnoreOptions {
        #[doc = " Who decides."]
        pub actor: Actor,
        #[doc = " Substitute outputs downstream needs."]
        #[napi(ts_type = "Record<string, unknown>")]
        pub outputs: Option<JsonObject>,
        #[doc = " Why (recorded in the history)."]
        pub reason: Option<String>,
    }
}

options! {
    #[doc = " Options of `registerProcess`."]
    pub struct RegisterProcessOptions {
        #[doc = " Register on behalf of this person (a release manager of the process's scope; the"]
        #[doc = " access matrix applies). Without an actor the application acts as the engine."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<Actor>,
        #[doc = " The process's scope (`account` or `org:<id>`), fixed by its first registration."]
        pub scope: Option<String>,
    }
}

options! {
    #[doc = " Options of `applyRetention`."]
    pub struct ApplyRetentionOptions {
        #[doc = " Apply it on behalf of this person (an account release manager). Without an actor the"]
        #[doc = " application acts as the engine."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<Actor>,
    }
}

options! {
    #[doc = " Options of `saveInputSet`."]
    pub struct SaveInputSetOptions {
        #[doc = " Who saves it: a release manager of `scope`."]
        pub actor: Actor,
        #[doc = " The set's scope (default `account`: shared read-only with every org)."]
        pub scope: Option<String>,
    }
}

options! {
    #[doc = " Options of `getInputSet` and `listInputSets`."]
    pub struct InputSetScopeOptions {
        #[doc = " Look the sets up as a release at this scope sees them (its own, else the account's;"]
        #[doc = " default `account`)."]
        pub scope: Option<String>,
    }
}

options! {
    #[doc = " Options of `inbox`."]
    pub struct InboxOptions {
        #[doc = " At most this many items (1 to 1000; default 100)."]
        pub limit: Option<u32>,
    }
}

options! {
    #[doc = " Options of `locks`."]
    pub struct LocksOptions {
        #[doc = " Only the rows of releases this actor may read. Without an actor the read is"]
        #[doc = " unrestricted (trusted code)."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<Actor>,
    }
}

options! {
    #[doc = " Options of `deployed`: only this environment and/or this service."]
    pub struct DeployedOptions {
        #[doc = " Only this environment, e.g. `prod1`."]
        pub environment: Option<String>,
        #[doc = " Only this service, e.g. `checkout`."]
        pub service: Option<String>,
        #[doc = " Only the entries whose release this actor may read (a slot whose current entry they"]
        #[doc = " may not read is left out). Without an actor the read is unrestricted (trusted code)."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<Actor>,
    }
}

options! {
    #[doc = " Options of `deployments`."]
    pub struct DeploymentsOptions {
        #[doc = " At most this many entries (1 to 1000; default 100)."]
        pub limit: Option<u32>,
        #[doc = " The newest `limit` entries this actor may read (among the newest 1000). Without an"]
        #[doc = " actor the read is unrestricted (trusted code)."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<Actor>,
    }
}

options! {
    #[doc = " Options of reads on behalf of someone (`getRelease`, `history`)."]
    pub struct ReadOptions {
        #[doc = " Read as this actor: `permission_denied` when they may not see the release. Without an"]
        #[doc = " actor the read is unrestricted (trusted code)."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<Actor>,
    }
}

options! {
    #[doc = " Filters of `listReleases` (the same names as Python's keyword arguments)."]
    pub struct ReleaseFilter {
        #[doc = " Only this status."]
        #[napi(ts_type = "ReleaseStatus")]
        pub status: Option<String>,
        #[doc = " Only this kind."]
        #[napi(ts_type = "ReleaseKind")]
        pub kind: Option<String>,
        #[doc = " Only releases of this release group."]
        pub group: Option<String>,
        #[doc = " Only this scope (`account` or `org:<id>`)."]
        pub scope: Option<String>,
        #[doc = " Include archived releases (default `false`)."]
        pub include_archived: Option<bool>,
        #[doc = " Only the releases this actor may read (without an actor: every release)."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<Actor>,
    }
}

impl ReleaseFilter {
    /// The core filter; an unknown status or kind is a problem at `filter.status` / `filter.kind`.
    pub fn to_core(&self, cx: &mut Cx) -> trainyard::ReleaseFilter {
        trainyard::ReleaseFilter {
            status: crate::convert::parsed(cx, self.status.clone(), "filter.status"),
            kind: crate::convert::parsed(cx, self.kind.clone(), "filter.kind"),
            group: self.group.clone(),
            scope: self.scope.clone(),
            include_archived: self.include_archived.unwrap_or(false),
        }
    }
}

options! {
    #[doc = " Options of `setRetention` (the same as Python's `set_retention(archive_after=...)`)."]
    pub struct RetentionOptions {
        #[doc = " Terminal releases that ended longer ago than this are archived by `applyRetention`"]
        #[doc = " (default 365 days): `\"90d\"` or milliseconds."]
        #[napi(ts_type = "string | number")]
        pub archive_after: Option<Span>,
        #[doc = " Whether `tick` applies retention itself, once per day of engine time (default `true`)."]
        pub automatic: Option<bool>,
    }
}

options! {
    #[doc = " Options of `registerCommandExecutor`."]
    pub struct CommandExecutorOptions {
        #[doc = " Relative `cwd`s (and jobs without one) resolve against this directory (default: the"]
        #[doc = " process's current directory)."]
        pub base_dir: Option<String>,
    }
}

//! The catalog's scopes: which organisation a process definition belongs to, who may register it,
//! and which releases may run it; the actor-taking forms of registering and of retention.
//!
//! # Rules
//!
//! * A process belongs to one scope, `account` or `org:<id>`, fixed when its first version is
//!   registered: the scope asked for, else (for a person) `org:<o>` when the actor manages exactly
//!   one org and is not an account release manager, else `account`. Later versions stay in that
//!   scope; asking for another one is `invalid_input` (`invalid_value` at `scope`). Processes
//!   registered before scopes existed belong to `account`.
//! * Registering a version needs a release manager of the process's scope (account release
//!   managers manage every scope; `org_release_manager:<o>` manages `org:<o>`), or `system`.
//!   An account process is therefore shared read-only with every org: their releases run it,
//!   only account release managers change it.
//! * A release (and a release group's occurrences, and a subprocess child) at scope `S` may run a
//!   process of scope `account` or `S`; another org's process is `permission_denied` at create.
//! * Input sets follow the same rule ([`Engine::save_input_set_in`]): an org's set is written by
//!   that org's managers and shadows the account's set of the same name for that org's releases.
//! * `apply_retention` with an actor needs an account release manager (or `system`).

use super::{Engine, lock};
use crate::access::{Action, Actor, Role, Scope};
use crate::{Error, Problem, Result, Timestamp};
use serde_json::{Value, json};

/// The store's collection of process scopes (one document per process id).
const PROCESS_SCOPES: &str = "process_scopes";

impl Engine {
    /// Validates and registers a process definition (YAML or JSON text) on behalf of `actor`, in
    /// `scope` (without one: the process's own scope if it is registered, else `org:<o>` when the
    /// actor manages exactly that one org and is not an account release manager, else `account`;
    /// its later versions stay in that scope). Refused: `validation` for a
    /// bad definition, `permission_denied` for an actor who does not manage the scope,
    /// `invalid_input` for a scope other than the process's own.
    pub fn register_process_as(&self, text: &str, scope: Option<&str>, actor: &Actor) -> Result<super::ProcessInfo> {
        let loaded = crate::load_process_with(text, Some(self))?;
        self.register_loaded(loaded, scope, actor)
    }

    /// [`Engine::register_process_as`] for a definition given as a document (a dict, a JS object).
    pub fn register_process_value_as(
        &self,
        document: Value,
        scope: Option<&str>,
        actor: &Actor,
    ) -> Result<super::ProcessInfo> {
        let loaded = crate::load_process_value(document, Some(self))?;
        self.register_loaded(loaded, scope, actor)
    }

    /// The scope a process belongs to (`account` for processes registered before scopes).
    /// `not_found` if the process is not registered.
    pub fn process_scope(&self, process_id: &str) -> Result<String> {
        if let Some(scope) = lock(&self.process_scopes).get(process_id) {
            return Ok(scope.clone());
        }
        self.get_process(process_id, None)?;
        let scope = self.stored_process_scope(process_id)?.unwrap_or_else(|| "account".to_string());
        // A process's scope never changes once it is registered, so it can be kept.
        lock(&self.process_scopes).insert(process_id.to_string(), scope.clone());
        Ok(scope)
    }

    /// [`Engine::apply_retention`] on behalf of `actor` (an account release manager or `system`).
    pub fn apply_retention_as(&self, now: Timestamp, actor: &Actor) -> Result<Vec<String>> {
        self.authorize_scope(actor, Action::ApplyRetention, "account")?;
        self.apply_retention(now)
    }

    /// Refuses a release at `scope` that would run another org's process.
    pub(crate) fn check_process_usable(&self, process_id: &str, scope: &str, actor: &Actor) -> Result<()> {
        let own = self.process_scope(process_id)?;
        if own == "account" || own == scope {
            return Ok(());
        }
        Err(Error::PermissionDenied {
            actor: actor.id.clone(),
            command: format!("create at {scope} with process {process_id}"),
            missing: format!("a process of scope `account` or `{scope}`: `{process_id}` belongs to `{own}`"),
        })
    }

    fn stored_process_scope(&self, process_id: &str) -> Result<Option<String>> {
        let doc = self.store.get_document(PROCESS_SCOPES, process_id, None)?;
        Ok(doc.and_then(|(_, d)| d.get("scope").and_then(Value::as_str).map(str::to_string)))
    }

    fn register_loaded(
        &self,
        loaded: crate::LoadedProcess,
        scope: Option<&str>,
        actor: &Actor,
    ) -> Result<super::ProcessInfo> {
        let id = loaded.process.id.clone();
        let existing = match self.store.get_process(&id, None)? {
            Some(_) => Some(self.stored_process_scope(&id)?.unwrap_or_else(|| "account".to_string())),
            None => None,
        };
        let target = match (&existing, scope) {
            (Some(own), Some(asked)) if own != asked => {
                return Err(Error::InvalidInput {
                    problems: vec![Problem::new(
                        "scope",
                        crate::validate::codes::INVALID_VALUE,
                        format!("process `{id}` belongs to `{own}`; its new versions stay there (asked for `{asked}`)"),
                    )],
                });
            }
            (Some(own), _) => own.clone(),
            (None, Some(asked)) => {
                Scope::parse(asked)?;
                asked.to_string()
            }
            (None, None) => default_scope(actor),
        };
        self.authorize_scope(actor, Action::RegisterProcess, &target)?;
        let info = self.store_process(loaded)?;
        if existing.is_none() && target != "account" {
            self.store.put_document(PROCESS_SCOPES, &id, &json!({ "scope": target }))?;
        }
        lock(&self.process_scopes).insert(id, target);
        Ok(info)
    }
}

/// Where a process registered without a scope goes: an org manager of exactly one org (and not an
/// account manager) registers for that org; everyone else for the account.
fn default_scope(actor: &Actor) -> String {
    let roles: Vec<Role> = actor.roles.iter().filter_map(|r| Role::parse(r).ok()).collect();
    if roles.contains(&Role::AccountReleaseManager) {
        return "account".into();
    }
    let orgs: Vec<&String> = roles
        .iter()
        .filter_map(|r| match r {
            Role::OrgReleaseManager(o) => Some(o),
            _ => None,
        })
        .collect();
    match orgs.as_slice() {
        [only] => format!("org:{only}"),
        _ => "account".into(),
    }
}

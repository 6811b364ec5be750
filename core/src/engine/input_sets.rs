//! Input sets (the input store): named, versioned sets of input values per process. A release
//! takes `process defaults ⊕ input set ⊕ explicit overrides` and records the set's name and
//! version.
//!
//! Sets are scoped like releases: a set saved at `org:<o>` is written by that org's release
//! managers and used by that org's releases and groups; a set saved at `account` (by an account
//! release manager) is shared read-only with every org. A release at `org:<o>` asking for set `n`
//! gets the org's `n` if there is one, else the account's `n`; it never sees another org's sets.

use super::Engine;
use crate::access::{Action, Actor};
use crate::release::inputs;
use crate::{Error, Result};
use indexmap::IndexMap;
use serde_json::Value;

const COLLECTION: &str = "input_sets";

/// One version of a named input set.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSet {
    /// The process it belongs to.
    pub process_id: String,
    /// Its name.
    pub name: String,
    /// Its version (1, 2, …: a new one each time the values change).
    pub version: u32,
    /// The values.
    pub values: IndexMap<String, Value>,
    /// The scope it belongs to (`account` or `org:<id>`).
    pub scope: String,
}

/// The document key: `process/name` for the account (as before scopes), `org:o|process/name`
/// for an org (ids hold no `|`, so keys never collide).
fn key(scope: &str, process_id: &str, name: &str) -> String {
    if scope == "account" { format!("{process_id}/{name}") } else { format!("{scope}|{process_id}/{name}") }
}

impl Engine {
    /// Saves a named input set of the account (shared read-only with every org) and returns its
    /// version; needs an account release manager. [`Engine::save_input_set_in`] saves an org's.
    pub fn save_input_set(
        &self,
        process_id: &str,
        name: &str,
        values: IndexMap<String, Value>,
        actor: &Actor,
    ) -> Result<u32> {
        self.save_input_set_in("account", process_id, name, values, actor)
    }

    /// Saves a named input set for a process at `scope` and returns its version. The values are
    /// checked against the process's latest inputs (unknown names and bad values are refused; a
    /// set may be partial). Needs a release manager of `scope`; the process must be usable there
    /// (its own scope or `account`).
    pub fn save_input_set_in(
        &self,
        scope: &str,
        process_id: &str,
        name: &str,
        values: IndexMap<String, Value>,
        actor: &Actor,
    ) -> Result<u32> {
        crate::access::Scope::parse(scope)?;
        self.authorize_scope(actor, Action::SaveInputSet, scope)?;
        if !crate::validate::is_id(name) {
            return Err(Error::InvalidInput {
                problems: vec![crate::Problem::new(
                    "name",
                    "bad_id",
                    format!("`{name}` is not a valid input set name; use lowercase letters, digits, `-` and `_`"),
                )],
            });
        }
        self.check_process_usable(process_id, scope, actor)?;
        let process = self.get_process(process_id, None)?;
        inputs::check(&process, &values, false)?;
        let doc = Value::Object(values.into_iter().collect());
        self.store.put_document(COLLECTION, &key(scope, process_id, name), &doc)
    }

    /// An input set of the account (its latest version when `version` is `None`).
    pub fn get_input_set(&self, process_id: &str, name: &str, version: Option<u32>) -> Result<InputSet> {
        self.get_input_set_in("account", process_id, name, version)
    }

    /// The input set `name` as a release at `scope` sees it: the scope's own set, else the
    /// account's (latest version when `version` is `None`). `not_found` names the sets there are.
    pub fn get_input_set_in(
        &self,
        scope: &str,
        process_id: &str,
        name: &str,
        version: Option<u32>,
    ) -> Result<InputSet> {
        let mut found =
            self.store.get_document(COLLECTION, &key(scope, process_id, name), version)?.map(|d| (scope, d));
        if found.is_none() && scope != "account" {
            found = self
                .store
                .get_document(COLLECTION, &key("account", process_id, name), version)?
                .map(|d| ("account", d));
        }
        let (from, (version, doc)) = found.ok_or_else(|| {
            let known: Vec<String> =
                self.list_input_sets_in(scope, process_id).unwrap_or_default().into_iter().map(|(n, _)| n).collect();
            Error::NotFound {
                kind: "input set".into(),
                id: format!("{process_id}/{name}{}", version.map(|v| format!(" version {v}")).unwrap_or_default()),
                hint: Some(if known.is_empty() {
                    format!("process `{process_id}` has no input sets at `{scope}`")
                } else {
                    format!("its input sets at `{scope}`: {}", known.join(", "))
                }),
            }
        })?;
        let values =
            doc.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        Ok(InputSet { process_id: process_id.into(), name: name.into(), version, values, scope: from.to_string() })
    }

    /// The account's input sets of a process: `(name, latest version)`.
    pub fn list_input_sets(&self, process_id: &str) -> Result<Vec<(String, u32)>> {
        self.list_input_sets_in("account", process_id)
    }

    /// The input sets a release at `scope` can use: the scope's own and the account's (an org's
    /// set shadows the account's of the same name), `(name, latest version)` sorted by name.
    pub fn list_input_sets_in(&self, scope: &str, process_id: &str) -> Result<Vec<(String, u32)>> {
        let account = format!("{process_id}/");
        let own = format!("{scope}|{process_id}/");
        let mut sets = std::collections::BTreeMap::new();
        for (k, v) in self.store.list_documents(COLLECTION)? {
            if let Some(n) = k.strip_prefix(&account) {
                sets.entry(n.to_string()).or_insert(v);
            } else if let Some(n) = k.strip_prefix(&own).filter(|_| scope != "account") {
                sets.insert(n.to_string(), v);
            }
        }
        Ok(sets.into_iter().collect())
    }

    /// The `NewRelease::input_set` value for a named set: `(name, version, values)`.
    /// The set is looked up as a release at `scope` sees it ([`Engine::get_input_set_in`]).
    pub fn input_set_for_release(
        &self,
        scope: &str,
        process_id: &str,
        name: &str,
        version: Option<u32>,
    ) -> Result<(String, u32, IndexMap<String, Value>)> {
        let set = self.get_input_set_in(scope, process_id, name, version)?;
        Ok((set.name, set.version, set.values))
    }
}

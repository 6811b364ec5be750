//! Input sets (the input store): named, versioned sets of input values per process. A release
//! takes `process defaults ⊕ input set ⊕ explicit overrides` and records the set's name and
//! version.

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
}

fn key(process_id: &str, name: &str) -> String {
    format!("{process_id}/{name}")
}

impl Engine {
    /// Saves a named input set for a process and returns its version. The values are checked
    /// against the process's latest inputs (unknown names and bad values are refused; a set may be
    /// partial). Needs a release manager.
    pub fn save_input_set(
        &self,
        process_id: &str,
        name: &str,
        values: IndexMap<String, Value>,
        actor: &Actor,
    ) -> Result<u32> {
        self.authorize_scope(actor, Action::SaveInputSet, "account")?;
        if !crate::validate::is_id(name) {
            return Err(Error::InvalidInput {
                problems: vec![crate::Problem::new(
                    "name",
                    "bad_id",
                    format!("`{name}` is not a valid input set name; use lowercase letters, digits, `-` and `_`"),
                )],
            });
        }
        let process = self.get_process(process_id, None)?;
        inputs::check(&process, &values, false)?;
        let doc = Value::Object(values.into_iter().collect());
        self.store.put_document(COLLECTION, &key(process_id, name), &doc)
    }

    /// An input set (its latest version when `version` is `None`).
    pub fn get_input_set(&self, process_id: &str, name: &str, version: Option<u32>) -> Result<InputSet> {
        let (version, doc) =
            self.store.get_document(COLLECTION, &key(process_id, name), version)?.ok_or_else(|| {
                let known: Vec<String> =
                    self.list_input_sets(process_id).unwrap_or_default().into_iter().map(|(n, _)| n).collect();
                Error::NotFound {
                    kind: "input set".into(),
                    id: format!("{process_id}/{name}{}", version.map(|v| format!(" version {v}")).unwrap_or_default()),
                    hint: Some(if known.is_empty() {
                        format!("process `{process_id}` has no input sets")
                    } else {
                        format!("its input sets: {}", known.join(", "))
                    }),
                }
            })?;
        let values =
            doc.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        Ok(InputSet { process_id: process_id.into(), name: name.into(), version, values })
    }

    /// The input sets of a process: `(name, latest version)`.
    pub fn list_input_sets(&self, process_id: &str) -> Result<Vec<(String, u32)>> {
        let prefix = format!("{process_id}/");
        Ok(self
            .store
            .list_documents(COLLECTION)?
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|n| (n.to_string(), v)))
            .collect())
    }

    /// The `NewRelease::input_set` value for a named set: `(name, version, values)`.
    pub fn input_set_for_release(
        &self,
        process_id: &str,
        name: &str,
        version: Option<u32>,
    ) -> Result<(String, u32, IndexMap<String, Value>)> {
        let set = self.get_input_set(process_id, name, version)?;
        Ok((set.name, set.version, set.values))
    }
}

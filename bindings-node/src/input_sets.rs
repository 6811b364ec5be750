//! Saved input sets: `saveInputSet`, `getInputSet`, and the lookup `createRelease({ inputSet })` uses.
//! A minimal path over the core's `Engine::save_input_set` / `get_input_set` /
//! `input_set_for_release` (kept in its own file so a fuller binding can replace it whole).

use crate::engine::Engine;
use crate::errors;
use crate::objects::{JsonObject, json_object};
use crate::options::{ActorOptions, map};
use indexmap::IndexMap;
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

/// A saved input set of a process.
#[napi(object)]
pub struct InputSet {
    /// The process.
    pub process_id: String,
    /// Its name.
    pub name: String,
    /// Its version (a new one each time the values change).
    pub version: u32,
    /// The values.
    #[napi(ts_type = "Record<string, any>")]
    pub values: JsonObject,
}

/// The `NewRelease::input_set` of `createRelease({ inputSet })` (latest version).
pub fn for_release(
    env: &Env,
    engine: &trainyard::Engine,
    process_id: &str,
    name: Option<String>,
) -> napi::Result<Option<(String, u32, IndexMap<String, Value>)>> {
    match name {
        None => Ok(None),
        Some(name) => errors::map(env, engine.input_set_for_release(process_id, &name, None)).map(Some),
    }
}

#[napi]
impl Engine {
    /// Saves a named input set for a process and returns its version. The values are checked
    /// against the process's inputs (a set may be partial). Needs a release manager.
    #[napi(catch_unwind)]
    pub fn save_input_set(
        &self,
        env: Env,
        process_id: String,
        name: String,
        #[napi(ts_arg_type = "Record<string, unknown>")] values: JsonObject,
        options: ActorOptions,
    ) -> napi::Result<u32> {
        let actor: trainyard::access::Actor = (&options.actor).into();
        let values = map(Some(values)).unwrap_or_default();
        errors::map(&env, self.inner.save_input_set(&process_id, &name, values, &actor))
    }

    /// A saved input set (its latest version when `version` is omitted).
    #[napi(catch_unwind)]
    pub fn get_input_set(
        &self,
        env: Env,
        process_id: String,
        name: String,
        version: Option<u32>,
    ) -> napi::Result<InputSet> {
        let set = errors::map(&env, self.inner.get_input_set(&process_id, &name, version))?;
        Ok(InputSet {
            process_id: set.process_id,
            name: set.name,
            version: set.version,
            values: json_object(&set.values),
        })
    }
}

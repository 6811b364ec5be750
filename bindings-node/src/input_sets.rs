//! Named, versioned input sets of a process (`saveInputSet`, `getInputSet`, `listInputSets`), each
//! with its `…Async` twin.

use crate::convert::JsonObject;
use crate::engine::Engine;
use crate::options::ActorOptions;
use crate::tasks::{call, calls};
use crate::views;
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi_derive::napi;

/// One version of a named input set.
#[napi(object, use_nullable = true)]
pub struct InputSet {
    /// The process it belongs to.
    pub process_id: String,
    /// Its name.
    pub name: String,
    /// Its version (1, 2, …: a new one each time the values change).
    pub version: u32,
    /// The values.
    #[napi(ts_type = "Record<string, any>")]
    pub values: JsonObject,
}

impl From<&trainyard::InputSet> for InputSet {
    fn from(s: &trainyard::InputSet) -> Self {
        InputSet {
            process_id: s.process_id.clone(),
            name: s.name.clone(),
            version: s.version,
            values: s.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    }
}

/// An input set of a process with its latest version, as listed by `listInputSets`.
#[napi(object, use_nullable = true)]
pub struct InputSetSummary {
    /// Its name.
    pub name: String,
    /// Its latest version.
    pub version: u32,
}

calls! {
    #[doc = " Saves a named input set of a process (checked against its latest inputs; a set may be"]
    #[doc = " partial) and returns its version: a new one each time the values change. Needs a release"]
    #[doc = " manager."]
    #[ts("processId: string, name: string, values: Record<string, unknown>, options: ActorOptions", "number", "Promise<number>")]
    fn save_input_set / save_input_set_async(&self, cx, process_id, name, values, options) {
        let process: String = cx.arg(process_id, "processId");
        let name: String = cx.arg(name, "name");
        let values: JsonObject = cx.arg(values, "values");
        let o: ActorOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        let values = values.into_iter().collect();
        call(move |e| Ok(views::napi_value(e.save_input_set(&process, &name, values, &actor)?)))
    }

    #[doc = " An input set (its latest version when `version` is omitted)."]
    #[ts("processId: string, name: string, version?: number", "InputSet", "Promise<InputSet>")]
    fn get_input_set / get_input_set_async(&self, cx, process_id, name, version) {
        let process: String = cx.arg(process_id, "processId");
        let name: String = cx.arg(name, "name");
        let version: Option<u32> = cx.arg(version, "version");
        cx.finish()?;
        call(move |e| Ok(views::napi_value(InputSet::from(&e.get_input_set(&process, &name, version)?))))
    }

    #[doc = " The input sets of a process with their latest versions."]
    #[ts("processId: string", "InputSetSummary[]", "Promise<InputSetSummary[]>")]
    fn list_input_sets / list_input_sets_async(&self, cx, process_id) {
        let process: String = cx.arg(process_id, "processId");
        cx.finish()?;
        call(move |e| {
            let list = e.list_input_sets(&process)?;
            Ok(views::napi_value(
                list.into_iter().map(|(name, version)| InputSetSummary { name, version }).collect::<Vec<_>>(),
            ))
        })
    }
}

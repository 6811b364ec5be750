//! Named, versioned input sets of a process (`saveInputSet`, `getInputSet`, `listInputSets`), each
//! with its `…Async` twin.

use crate::convert::JsonObject;
use crate::engine::Engine;
use crate::options::{InputSetScopeOptions, SaveInputSetOptions};
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
    /// The scope it belongs to (`account`, shared read-only with every org, or `org:<id>`).
    pub scope: String,
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
            scope: s.scope.clone(),
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

/// The scope of `options.scope` (default `account`).
fn scope_of(scope: Option<String>) -> String {
    scope.unwrap_or_else(|| "account".to_owned())
}

calls! {
    #[doc = " Saves a named input set of a process at `options.scope` (default `account`, shared"]
    #[doc = " read-only with every org; checked against the process's latest inputs; a set may be"]
    #[doc = " partial) and returns its version: a new one each time the values change. Needs a release"]
    #[doc = " manager of the scope."]
    #[ts("processId: string, name: string, values: Record<string, unknown>, options: SaveInputSetOptions", "number", "Promise<number>")]
    fn save_input_set / save_input_set_async(&self, cx, process_id, name, values, options) {
        let process: String = cx.arg(process_id, "processId");
        let name: String = cx.arg(name, "name");
        let values: JsonObject = cx.arg(values, "values");
        let o: SaveInputSetOptions = cx.arg(options, "options");
        cx.finish()?;
        let actor = o.actor.core();
        let scope = scope_of(o.scope);
        let values = values.into_iter().collect();
        call(move |e| Ok(views::napi_value(e.save_input_set_in(&scope, &process, &name, values, &actor)?)))
    }

    #[doc = " An input set as a release at `options.scope` (default `account`) sees it: the scope's own,"]
    #[doc = " else the account's (its latest version when `version` is omitted)."]
    #[ts("processId: string, name: string, version?: number | null, options?: InputSetScopeOptions", "InputSet", "Promise<InputSet>")]
    fn get_input_set / get_input_set_async(&self, cx, process_id, name, version, options) {
        let process: String = cx.arg(process_id, "processId");
        let name: String = cx.arg(name, "name");
        let version: Option<u32> = cx.arg(version, "version");
        let o: Option<InputSetScopeOptions> = cx.arg(options, "options");
        cx.finish()?;
        let scope = scope_of(o.and_then(|o| o.scope));
        call(move |e| Ok(views::napi_value(InputSet::from(&e.get_input_set_in(&scope, &process, &name, version)?))))
    }

    #[doc = " The input sets a release at `options.scope` (default `account`) can use, with their latest"]
    #[doc = " versions, sorted by name (an org's set shadows the account's of the same name)."]
    #[ts("processId: string, options?: InputSetScopeOptions", "InputSetSummary[]", "Promise<InputSetSummary[]>")]
    fn list_input_sets / list_input_sets_async(&self, cx, process_id, options) {
        let process: String = cx.arg(process_id, "processId");
        let o: Option<InputSetScopeOptions> = cx.arg(options, "options");
        cx.finish()?;
        let scope = scope_of(o.and_then(|o| o.scope));
        call(move |e| {
            let list = e.list_input_sets_in(&scope, &process)?;
            Ok(views::napi_value(
                list.into_iter().map(|(name, version)| InputSetSummary { name, version }).collect::<Vec<_>>(),
            ))
        })
    }
}

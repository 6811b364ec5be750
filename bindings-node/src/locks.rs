//! Locks (`locks` and its `…Async` twin, and the `locks` of phases and activities): the core's
//! [`LockView`]s in camelCase, serialized once and parsed by `views.js` (which turns
//! `requestedAt` and `heldSince` into `Date`s). The `Lock` interface is in `dts-header.d.ts`.

use crate::engine::Engine;
use crate::tasks::{call, calls};
use crate::views;
use chrono::{DateTime, Utc};
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use serde::Serialize;
use trainyard::release::locks::{LockEntry, LockView};

/// [`LockView`] in camelCase, every field present (`null` when absent), times as milliseconds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockJs<'a> {
    name: &'a str,
    release_id: &'a str,
    release_name: &'a str,
    phase_id: &'a str,
    activity_id: Option<&'a str>,
    requested_by: String,
    capacity: u32,
    priority: i32,
    #[serde(serialize_with = "views::millis_of")]
    requested_at: DateTime<Utc>,
    #[serde(serialize_with = "views::millis")]
    held_since: Option<DateTime<Utc>>,
}

impl<'a> From<LockView<'a>> for LockJs<'a> {
    fn from(v: LockView<'a>) -> Self {
        // Destructured completely: a field added to the view fails to compile here until it is
        // passed on.
        let LockView {
            name,
            release_id,
            release_name,
            phase_id,
            activity_id,
            requested_by,
            capacity,
            priority,
            requested_at,
            held_since,
        } = v;
        LockJs {
            name,
            release_id,
            release_name,
            phase_id,
            activity_id,
            requested_by,
            capacity,
            priority,
            requested_at,
            held_since,
        }
    }
}

fn entries(list: &[LockEntry]) -> views::Reply {
    let js: Vec<LockJs<'_>> = list.iter().map(|e| LockJs::from(e.view())).collect();
    views::parse(c"locks", views::to_json(&js))
}

calls! {
    #[doc = " Who holds and who waits for the locks `names` (every lock when omitted or null): one `Lock`"]
    #[doc = " per release and declaring node, sorted by lock name, then in queue order (higher"]
    #[doc = " `priority` first, then the oldest request). A lock nobody holds or waits for has none."]
    #[doc = " With `options.actor`, only the rows of releases they may read."]
    #[ts("names?: string[] | null, options?: LocksOptions", "Lock[]", "Promise<Lock[]>")]
    fn locks / locks_async(&self, cx, names, options) {
        let names: Option<Vec<String>> = cx.arg(names, "names");
        let options: Option<crate::options::LocksOptions> = cx.arg(options, "options");
        cx.finish()?;
        let actor = options.and_then(|o| o.actor).map(|a| a.core());
        call(move |e| {
            Ok(entries(&match actor {
                Some(a) => e.locks_as(names.as_deref(), &a)?,
                None => e.locks(names.as_deref())?,
            }))
        })
    }
}

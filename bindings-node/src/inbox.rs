//! A person's inbox (`inbox`, `inboxAsync`): the core's [`trainyard::release::InboxItem`]s in
//! camelCase, serialized once and parsed by `views.js` (which turns `due` and `since` into
//! `Date`s). The `InboxItem` interface is in `dts-header.d.ts`.

use crate::engine::Engine;
use crate::options::{Actor, InboxOptions};
use crate::tasks::{call, calls};
use crate::views;
use chrono::{DateTime, Utc};
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use serde::{Serialize, Serializer};
use trainyard::release::{InboxItem, InboxKind};

fn millis<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_i64(at.timestamp_millis()),
        None => s.serialize_none(),
    }
}

fn millis_of<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(at.timestamp_millis())
}

/// [`InboxItem`] in camelCase, times as milliseconds (made `Date`s by `views.js`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InboxItemJs<'a> {
    release_id: &'a str,
    release_name: &'a str,
    phase_id: &'a str,
    activity_id: &'a str,
    kind: InboxKind,
    can_act: bool,
    reason: &'a str,
    #[serde(serialize_with = "millis")]
    due: Option<DateTime<Utc>>,
    escalated: bool,
    #[serde(serialize_with = "millis_of")]
    since: DateTime<Utc>,
}

impl<'a> From<&'a InboxItem> for InboxItemJs<'a> {
    fn from(i: &'a InboxItem) -> Self {
        InboxItemJs {
            release_id: &i.release_id,
            release_name: &i.release_name,
            phase_id: &i.phase_id,
            activity_id: &i.activity_id,
            kind: i.kind,
            can_act: i.can_act,
            reason: &i.reason,
            due: i.due,
            escalated: i.escalated,
            since: i.since,
        }
    }
}

calls! {
    #[doc = " The approvals, manual activities and failure decisions `actor` may act on (through its"]
    #[doc = " user id, groups or release-manager roles), oldest first, at most `limit` (default 100,"]
    #[doc = " 1 to 1000). Each says why the actor may act (`reason`), or, with `canAct: false`, why not"]
    #[doc = " (the self-approval ban, already decided)."]
    #[ts("actor: ActorLike, options?: InboxOptions", "InboxItem[]", "Promise<InboxItem[]>")]
    fn inbox / inbox_async(&self, cx, actor, options) {
        let actor: Actor = cx.arg(actor, "actor");
        let options: Option<InboxOptions> = cx.arg(options, "options");
        cx.finish()?;
        let actor = actor.core();
        let limit = options.and_then(|o| o.limit).unwrap_or(100) as usize;
        call(move |e| {
            let items = e.inbox(&actor, limit)?;
            let js: Vec<InboxItemJs<'_>> = items.iter().map(InboxItemJs::from).collect();
            Ok(views::parse(c"inbox", views::to_json(&js)))
        })
    }
}

//! Release search (`search`, `searchAsync`): the filter object read into the core's
//! [`trainyard::store::SearchFilter`], the page returned as `{ releases, next }` (releases parsed
//! by `views.js` like every release).

use crate::convert::{JsonObject, options, parsed};
use crate::engine::Engine;
use crate::tasks::{call, calls};
use crate::views;
use chrono::{DateTime, Utc};
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use trainyard::release::{ReleaseKind, ReleaseStatus};
use trainyard::store::{SearchFilter, SearchSort, TimeRange};

options! {
    #[doc = " A time range of a search: `from` inclusive, `to` exclusive."]
    pub struct TimeRangeInit {
        #[doc = " At or after."]
        #[napi(ts_type = "Date | string")]
        pub from: Option<DateTime<Utc>>,
        #[doc = " Before."]
        #[napi(ts_type = "Date | string")]
        pub to: Option<DateTime<Utc>>,
    }
}

options! {
    #[doc = " What `search` keeps: every part given narrows it."]
    pub struct SearchFilterInit {
        #[doc = " Any of these statuses."]
        #[napi(ts_type = "ReleaseStatus[]")]
        pub status: Option<Vec<String>>,
        #[doc = " Only this kind."]
        #[napi(ts_type = "ReleaseKind")]
        pub kind: Option<String>,
        #[doc = " Only this release group."]
        pub group: Option<String>,
        #[doc = " Only this scope."]
        pub scope: Option<String>,
        #[doc = " Every one of these labels, with these values."]
        #[napi(ts_type = "Record<string, string>")]
        pub labels: Option<JsonObject>,
        #[doc = " Only releases of this process."]
        pub process_id: Option<String>,
        #[doc = " Only releases pinned to this process version."]
        pub process_version: Option<u32>,
        #[doc = " Created in this range."]
        pub created: Option<TimeRangeInit>,
        #[doc = " Started in this range."]
        pub started: Option<TimeRangeInit>,
        #[doc = " Ended in this range."]
        pub ended: Option<TimeRangeInit>,
        #[doc = " Only names containing this text (case-sensitive)."]
        pub name_contains: Option<String>,
        #[doc = " Archived releases too."]
        pub include_archived: Option<bool>,
    }
}

options! {
    #[doc = " Options of `search`."]
    pub struct SearchOptions {
        #[doc = " `created_at` (default), `name` or `updated_at`, then ` asc` or ` desc` (default `created_at desc`)."]
        pub sort: Option<String>,
        #[doc = " The `next` of the previous page (of a search with the same sort)."]
        pub cursor: Option<String>,
        #[doc = " Releases per page (1 to 1000; default 50)."]
        pub page_size: Option<u32>,
    }
}

fn range(r: Option<TimeRangeInit>) -> TimeRange {
    r.map(|r| TimeRange { from: r.from, to: r.to }).unwrap_or_default()
}

calls! {
    #[doc = " Releases matching `filter`, in `sort` order, a page at a time: `{ releases, next }`;"]
    #[doc = " pass `next` as `cursor` for the following page (keyset cursors: stable, as fast deep"]
    #[doc = " as first)."]
    #[ts("filter?: SearchFilterInit, options?: SearchOptions", "SearchPage", "Promise<SearchPage>")]
    fn search / search_async(&self, cx, filter, options) {
        let f: Option<SearchFilterInit> = cx.arg(filter, "filter");
        let o: Option<SearchOptions> = cx.arg(options, "options");
        let f = f.unwrap_or_default();
        let o = o.unwrap_or_default();
        let status: Vec<ReleaseStatus> = f
            .status
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| parsed(cx, Some(s), &format!("filter.status[{i}]")))
            .collect();
        let kind: Option<ReleaseKind> = parsed(cx, f.kind, "filter.kind");
        let sort: Option<SearchSort> = parsed(cx, o.sort, "options.sort");
        let mut labels = std::collections::BTreeMap::new();
        for (k, v) in f.labels.unwrap_or_default() {
            match v {
                serde_json::Value::String(s) => {
                    labels.insert(k, s);
                }
                _ => cx.problem(&format!("filter.labels.{k}"), trainyard::validate::codes::WRONG_TYPE, "must be text"),
            }
        }
        cx.finish()?;
        let filter = SearchFilter {
            status,
            kind,
            group: f.group,
            scope: f.scope,
            labels,
            process_id: f.process_id,
            process_version: f.process_version,
            created: range(f.created),
            started: range(f.started),
            ended: range(f.ended),
            name_contains: f.name_contains,
            include_archived: f.include_archived.unwrap_or(false),
        };
        let page_size = o.page_size.unwrap_or(50) as usize;
        call(move |e| {
            let page = e.search(&filter, sort.unwrap_or_default(), o.cursor.as_deref(), page_size)?;
            Ok(views::search_page(&page.releases, page.next))
        })
    }
}

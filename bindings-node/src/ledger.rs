//! The deployment ledger (`deployed`, `deployments` and their `…Async` twins): the core's
//! [`trainyard::release::LedgerEntry`]s in camelCase, serialized once and parsed by `views.js`
//! (which turns `at` into a `Date`). The `LedgerEntry` interface is in `dts-header.d.ts`.

use crate::engine::Engine;
use crate::options::{DeployedOptions, DeploymentsOptions};
use crate::tasks::{call, calls};
use crate::views;
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use serde::Serialize;
use trainyard::release::LedgerEntry;

/// [`LedgerEntry`] in camelCase, `at` as milliseconds (made a `Date` by `views.js`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LedgerEntryJs<'a> {
    service: &'a str,
    environment: &'a str,
    version: &'a str,
    commit: Option<&'a str>,
    artifact: Option<&'a str>,
    at: i64,
    release_id: &'a str,
    release_name: &'a str,
    release_kind: &'a str,
    scope: &'a str,
    phase_id: &'a str,
    activity_id: &'a str,
    attempt: u32,
    rollback: bool,
    seq: u64,
}

impl<'a> From<&'a LedgerEntry> for LedgerEntryJs<'a> {
    fn from(e: &'a LedgerEntry) -> Self {
        LedgerEntryJs {
            service: &e.service,
            environment: &e.environment,
            version: &e.version,
            commit: e.commit.as_deref(),
            artifact: e.artifact.as_deref(),
            at: e.at.timestamp_millis(),
            release_id: &e.release_id,
            release_name: &e.release_name,
            release_kind: e.release_kind.as_str(),
            scope: &e.scope,
            phase_id: &e.phase_id,
            activity_id: &e.activity_id,
            attempt: e.attempt,
            rollback: e.rollback,
            seq: e.seq,
        }
    }
}

fn entries(list: &[LedgerEntry]) -> views::Reply {
    let js: Vec<LedgerEntryJs<'_>> = list.iter().map(LedgerEntryJs::from).collect();
    views::parse(c"ledger", views::to_json(&js))
}

calls! {
    #[doc = " What is deployed now: the current ledger entry (version, since when (`at`), by which"]
    #[doc = " release) of every service in every environment, or only of `options.environment` and"]
    #[doc = " `options.service`; sorted by service, then environment. A rollback phase that recorded a"]
    #[doc = " version made that one current."]
    #[ts("options?: DeployedOptions", "LedgerEntry[]", "Promise<LedgerEntry[]>")]
    fn deployed / deployed_async(&self, cx, options) {
        let options: Option<DeployedOptions> = cx.arg(options, "options");
        cx.finish()?;
        let (environment, service, actor) =
            options.map(|o| (o.environment, o.service, o.actor.map(|a| a.core()))).unwrap_or_default();
        call(move |e| {
            Ok(entries(&match actor {
                Some(a) => e.deployed_as(environment.as_deref(), service.as_deref(), &a)?,
                None => e.deployed(environment.as_deref(), service.as_deref())?,
            }))
        })
    }

    #[doc = " The history of `service` in `environment`, newest first, at most `options.limit`"]
    #[doc = " (default 100, 1 to 1000): every delivery, rollbacks included (`rollback: true`)."]
    #[ts("service: string, environment: string, options?: DeploymentsOptions", "LedgerEntry[]", "Promise<LedgerEntry[]>")]
    fn deployments / deployments_async(&self, cx, service, environment, options) {
        let service: String = cx.arg(service, "service");
        let environment: String = cx.arg(environment, "environment");
        let options: Option<DeploymentsOptions> = cx.arg(options, "options");
        cx.finish()?;
        let (limit, actor) = options.map(|o| (o.limit, o.actor.map(|a| a.core()))).unwrap_or_default();
        let limit = limit.unwrap_or(100) as usize;
        call(move |e| {
            Ok(entries(&match actor {
                Some(a) => e.deployments_as(&service, &environment, limit, &a)?,
                None => e.deployments(&service, &environment, limit)?,
            }))
        })
    }
}

//! Reports (`report`, `reportCsv`, `reportXlsx` and their `…Async` twins): the core's
//! [`trainyard::report::Report`] with the same fields as Python's, in camelCase (times as `Date`,
//! durations in seconds, `null` for what is unknown); `reportCsv` returns one table as a string,
//! `reportXlsx` the workbook as a `Buffer`.

use crate::convert::{Cx, Span, options};
use crate::engine::Engine;
use crate::tasks::{call, calls};
use crate::views;
use chrono::{DateTime, Utc};
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Buffer, Unknown};
use napi_derive::napi;
use trainyard::ReportOptions as CoreOptions;
use trainyard::report::{self as core, ReportTable};
use trainyard::validate::codes::INVALID_VALUE;

options! {
    #[doc = " Options of `report`, `reportCsv` and `reportXlsx` (the same as Python's keyword arguments)."]
    pub struct ReportOptions {
        #[doc = " Only releases of this release group."]
        pub group: Option<String>,
        #[doc = " A release followed by a hotfix release created within this time after it ended is a"]
        #[doc = " failed change (default two days): `\"48h\"` or milliseconds."]
        #[napi(ts_type = "string | number")]
        pub hotfix_window: Option<Span>,
        #[doc = " The input holding the commit time (RFC 3339) of what a release ships, for the lead"]
        #[doc = " time (default `commit_time`)."]
        pub commit_time_input: Option<String>,
        #[doc = " Report on behalf of this actor: only the releases they may read count (in every"]
        #[doc = " figure). Without an actor, every release (trusted code)."]
        #[napi(ts_type = "ActorLike")]
        pub actor: Option<crate::options::Actor>,
    }
}

/// An activity in a report.
#[napi(object, use_nullable = true)]
pub struct ActivityReport {
    /// Activity id.
    pub id: String,
    /// How it ended.
    pub status: String,
    /// How long it ran (start of its first attempt to its end) in seconds, if it ran.
    pub actual_secs: Option<i64>,
    /// Its attempts (0 when it never ran).
    pub attempts: u32,
}

/// A phase in a report: planned against actual.
#[napi(object, use_nullable = true)]
pub struct PhaseReport {
    /// Phase id.
    pub id: String,
    /// How it ended.
    pub status: String,
    /// Its planned length (`duration`) in seconds, if it has one.
    pub planned_secs: Option<i64>,
    /// How long it ran in seconds, if it ran.
    pub actual_secs: Option<i64>,
    /// `actualSecs - plannedSecs` when both are known (positive: late).
    pub overrun_secs: Option<i64>,
    /// Its activities, in plan order.
    pub activities: Vec<ActivityReport>,
}

/// How long an approval waited for its decision.
#[napi(object, use_nullable = true)]
pub struct ApprovalWait {
    /// Phase id.
    pub phase_id: String,
    /// Activity id.
    pub activity_id: String,
    /// From opening to the decision (or to the end of the release), in seconds.
    pub waited_secs: i64,
}

/// A retry, ignore, failure decided by a person, or abort.
#[napi(object, use_nullable = true)]
pub struct DecisionRecord {
    /// `retry`, `auto_retry`, `ignore`, `fail` or `abort`.
    pub what: String,
    /// `phase/activity` (empty for an abort).
    pub target: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The reason given (the comment, or the failure message of an automatic retry).
    pub reason: Option<String>,
}

/// One release in a report.
#[napi(object, use_nullable = true)]
pub struct ReleaseReport {
    /// Release id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    #[napi(ts_type = "ReleaseKind")]
    pub kind: String,
    /// How it ended.
    #[napi(ts_type = "ReleaseStatus")]
    pub status: String,
    /// Whether its rollback phases ran.
    pub rolled_back: bool,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Its phases, in plan order.
    pub phases: Vec<PhaseReport>,
    /// How long each approval waited.
    pub approvals: Vec<ApprovalWait>,
    /// Retries, ignores, failures decided by people and aborts, with their reasons.
    pub decisions: Vec<DecisionRecord>,
}

/// The DORA figures of the releases that ended in a report's window.
#[napi(object, use_nullable = true)]
pub struct Dora {
    /// Releases that ended `success` or `partial_success`.
    pub deployments: u32,
    /// `deployments` per week of the window.
    pub deployments_per_week: f64,
    /// The median lead time (commit to end) in seconds, over deployments with a commit time.
    pub lead_time_secs: Option<i64>,
    /// Ended releases (not aborted).
    pub changes: u32,
    /// Of those, the ones that failed, were rolled back, or were followed by a hotfix in time.
    pub failed_changes: u32,
    /// `failedChanges / changes` (a fraction), `null` without changes.
    pub change_failure_rate: Option<f64>,
    /// The median time to restore in seconds, over failed changes that were restored.
    pub time_to_restore_secs: Option<i64>,
}

/// A report over `[fromTime, toTime)`.
#[napi(object, use_nullable = true)]
pub struct Report {
    /// Start of the window (inclusive).
    pub from_time: DateTime<Utc>,
    /// End of the window (exclusive).
    pub to_time: DateTime<Utc>,
    /// The release group, if the report is about one.
    pub group: Option<String>,
    /// The releases that ended in the window, by end time.
    pub releases: Vec<ReleaseReport>,
    /// The DORA figures.
    pub dora: Dora,
}

fn release(r: core::ReleaseReport) -> ReleaseReport {
    let phases = r
        .phases
        .into_iter()
        .map(|p| PhaseReport {
            id: p.id,
            status: p.status,
            planned_secs: p.planned_secs,
            actual_secs: p.actual_secs,
            overrun_secs: p.overrun_secs,
            activities: p
                .activities
                .into_iter()
                .map(|a| ActivityReport {
                    id: a.id,
                    status: a.status,
                    actual_secs: a.actual_secs,
                    attempts: a.attempts,
                })
                .collect(),
        })
        .collect();
    ReleaseReport {
        id: r.id,
        name: r.name,
        kind: r.kind.as_str().to_string(),
        status: r.status.as_str().to_string(),
        rolled_back: r.rolled_back,
        started_at: r.started_at,
        ended_at: r.ended_at,
        phases,
        approvals: r
            .approvals
            .into_iter()
            .map(|a| ApprovalWait { phase_id: a.phase_id, activity_id: a.activity_id, waited_secs: a.waited_secs })
            .collect(),
        decisions: r
            .decisions
            .into_iter()
            .map(|d| DecisionRecord {
                what: d.what.to_string(),
                target: d.target,
                actor: d.actor,
                at: d.at,
                reason: d.reason,
            })
            .collect(),
    }
}

impl From<core::Report> for Report {
    fn from(r: core::Report) -> Self {
        let d = r.dora;
        Report {
            from_time: r.from,
            to_time: r.to,
            group: r.group,
            releases: r.releases.into_iter().map(release).collect(),
            dora: Dora {
                deployments: d.deployments,
                deployments_per_week: d.deployments_per_week,
                lead_time_secs: d.lead_time_secs,
                changes: d.changes,
                failed_changes: d.failed_changes,
                change_failure_rate: d.change_failure_rate,
                time_to_restore_secs: d.time_to_restore_secs,
            },
        }
    }
}

/// Reads `(from, to, options?)`.
fn query(
    cx: &mut Cx,
    from: Unknown,
    to: Unknown,
    options: Unknown,
) -> (DateTime<Utc>, DateTime<Utc>, Option<String>, CoreOptions) {
    let from: DateTime<Utc> = cx.arg(from, "from");
    let to: DateTime<Utc> = cx.arg(to, "to");
    let options: Option<ReportOptions> = cx.arg(options, "options");
    let options = options.unwrap_or_default();
    let defaults = CoreOptions::default();
    let hotfix_window_secs = match options.hotfix_window {
        Some(span) => span.non_negative(cx, "options.hotfixWindow").num_seconds(),
        None => defaults.hotfix_window_secs,
    };
    let core = CoreOptions {
        hotfix_window_secs,
        commit_time_input: options.commit_time_input.unwrap_or(defaults.commit_time_input),
        actor: options.actor.map(|a| a.core()),
    };
    (from, to, options.group, core)
}

calls! {
    #[doc = " The report of the releases that ended in `[from, to)` (of `options.group` when given):"]
    #[doc = " planned against actual per phase and activity, approval waits, decisions with their"]
    #[doc = " reasons and the DORA figures."]
    #[ts("from: Date | string, to: Date | string, options?: ReportOptions", "Report", "Promise<Report>")]
    fn report / report_async(&self, cx, from, to, options) {
        let (from, to, group, options) = query(cx, from, to, options);
        cx.finish()?;
        call(move |e| Ok(views::napi_value(Report::from(e.report(from, to, group.as_deref(), &options)?))))
    }

    #[doc = " One table of the report (`releases`, `phases`, `activities`, `approvals`, `decisions` or"]
    #[doc = " `dora`) as CSV, its header first; times in RFC 3339 (UTC), durations in seconds."]
    #[ts("from: Date | string, to: Date | string, table: ReportTable, options?: ReportOptions", "string", "Promise<string>")]
    fn report_csv / report_csv_async(&self, cx, from, to, table, options) {
        let name: String = cx.arg(table, "table");
        let (from, to, group, options) = query(cx, from, to, options);
        let table = name.parse::<ReportTable>().map_err(|m| cx.problem("table", INVALID_VALUE, m)).ok();
        cx.finish()?;
        let table = table.unwrap_or(ReportTable::Releases);
        call(move |e| Ok(views::napi_value(e.report(from, to, group.as_deref(), &options)?.to_csv(table))))
    }

    #[doc = " The report as an xlsx workbook: a `Buffer` (typed as the `Uint8Array` it extends), one"]
    #[doc = " sheet per table (Releases, Phases, Activities, Approvals, Decisions, DORA), times as"]
    #[doc = " Excel dates (UTC)."]
    #[ts("from: Date | string, to: Date | string, options?: ReportOptions", "Uint8Array", "Promise<Uint8Array>")]
    fn report_xlsx / report_xlsx_async(&self, cx, from, to, options) {
        let (from, to, group, options) = query(cx, from, to, options);
        cx.finish()?;
        call(move |e| Ok(views::napi_value(Buffer::from(e.report(from, to, group.as_deref(), &options)?.to_xlsx()?))))
    }
}

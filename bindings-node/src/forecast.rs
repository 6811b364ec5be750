//! Forecasts (`forecast` and `forecastAsync`): the core's [`trainyard::report::Forecast`] in
//! camelCase, serialized once and parsed by `views.js` (which turns the times into `Date`s). The
//! `Forecast` and `PhaseForecast` interfaces are in `dts-header.d.ts`.

use crate::engine::Engine;
use crate::options::ReadOptions;
use crate::tasks::{call, calls};
use crate::views;
use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use serde::Serialize;
use trainyard::Timestamp;
use trainyard::report::{Forecast, PhaseForecast};

fn ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

/// [`PhaseForecast`] in camelCase, times as milliseconds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhaseForecastJs<'a> {
    id: &'a str,
    status: &'static str,
    basis: &'static str,
    expected_secs: Option<i64>,
    planned_secs: Option<i64>,
    history_runs: u32,
    expected_start: Option<i64>,
    expected_end: Option<i64>,
    critical: bool,
}

/// [`Forecast`] in camelCase, times as milliseconds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ForecastJs<'a> {
    release_id: &'a str,
    at: i64,
    expected_end: Option<i64>,
    planned_end: Option<i64>,
    at_risk: bool,
    late_secs: Option<i64>,
    critical_path: &'a [String],
    phases: Vec<PhaseForecastJs<'a>>,
}

fn phase(p: &PhaseForecast) -> PhaseForecastJs<'_> {
    PhaseForecastJs {
        id: &p.id,
        status: p.status.as_str(),
        basis: p.basis.as_str(),
        expected_secs: p.expected_secs,
        planned_secs: p.planned_secs,
        history_runs: p.history_runs,
        expected_start: ms(p.expected_start),
        expected_end: ms(p.expected_end),
        critical: p.critical,
    }
}

fn reply(f: &Forecast) -> views::Reply {
    let js = ForecastJs {
        release_id: &f.release_id,
        at: f.at.timestamp_millis(),
        expected_end: ms(f.expected_end),
        planned_end: ms(f.planned_end),
        at_risk: f.at_risk,
        late_secs: f.late_secs,
        critical_path: &f.critical_path,
        phases: f.phases.iter().map(phase).collect(),
    };
    views::parse(c"forecast", views::to_json(&js))
}

calls! {
    #[doc = " The forecast of a release at the engine's time: the expected end from actual ends, the"]
    #[doc = " history of the last ended releases of its process (median) and planned durations, along"]
    #[doc = " the critical path; `atRisk` when it is after the planned end. With `{ actor }` it is read"]
    #[doc = " on their behalf (`permission_denied` when they may not see the release); `not_found` for"]
    #[doc = " an unknown release."]
    #[ts("releaseId: string, options?: ReadOptions", "Forecast", "Promise<Forecast>")]
    fn forecast / forecast_async(&self, cx, release_id, options) {
        let id: String = cx.arg(release_id, "releaseId");
        let options: Option<ReadOptions> = cx.arg(options, "options");
        cx.finish()?;
        let actor = options.and_then(|o| o.actor).map(|a| a.core());
        call(move |e| {
            let f = match &actor {
                Some(a) => e.forecast_as(&id, a)?,
                None => e.forecast(&id)?,
            };
            Ok(reply(&f))
        })
    }
}

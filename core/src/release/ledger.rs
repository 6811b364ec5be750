//! The deployment ledger: which version of which service is in which environment, since when,
//! and by which release.
//!
//! An activity declares what it delivers (`records: { service, environment, version, commit?,
//! artifact? }`, each literal or `${...}`). When it succeeds, the next `decide` evaluates
//! `records` in the activity's scope (its own outputs included) and records the result in a
//! `delivery_recorded` event ([`evaluate`]); a `records` that cannot be evaluated is recorded with
//! its error and gives no entry. A [`LedgerEntry`] is that event seen from the release
//! ([`entries_of`]): a projection of the events, written by the engine into the store's ledger
//! index in the same append, and rebuilt from the events by `Engine::rebuild_indexes`.
//!
//! The current version of a service in an environment is its latest entry (by time, then release
//! id, then sequence): a rollback phase whose activity records the previous version makes that
//! version current again (its entry says `rollback: true`). A rollback phase that records nothing
//! leaves the ledger as it was: trainyard only knows what the activities say they delivered.
//!
//! Pure: no I/O, no clock.

use super::{ActivityRef, Event, EventKind, ReleaseKind, ReleaseState};
use crate::Timestamp;
use crate::expr::eval::{self, Scope};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What one success delivered: `records` evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The service.
    pub service: String,
    /// The environment.
    pub environment: String,
    /// The version now there.
    pub version: String,
    /// The commit it was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The artifact deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// One entry of the deployment ledger: a delivery with the release that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The service.
    pub service: String,
    /// The environment.
    pub environment: String,
    /// The version delivered.
    pub version: String,
    /// The commit it was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The artifact deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// When the activity succeeded (for the current entry: since when the version is there).
    pub at: Timestamp,
    /// The release that delivered it.
    pub release_id: String,
    /// Its name.
    pub release_name: String,
    /// Its kind (`standard`, `hotfix`, …).
    pub release_kind: ReleaseKind,
    /// Its scope.
    pub scope: String,
    /// The phase of the activity.
    pub phase_id: String,
    /// The activity.
    pub activity_id: String,
    /// The attempt that succeeded.
    pub attempt: u32,
    /// Whether a rollback phase recorded it.
    pub rollback: bool,
    /// The sequence of its `delivery_recorded` event in the release.
    pub seq: u64,
}

impl LedgerEntry {
    /// The field names of a ledger entry, in order (what the bindings expose; `commit` and
    /// `artifact` are `None`/`null` when not recorded).
    pub fn field_names() -> &'static [&'static str] {
        &[
            "service",
            "environment",
            "version",
            "commit",
            "artifact",
            "at",
            "release_id",
            "release_name",
            "release_kind",
            "scope",
            "phase_id",
            "activity_id",
            "attempt",
            "rollback",
            "seq",
        ]
    }

    /// The order of entries of one service and environment: time, then release id, then sequence
    /// (the latest is the current one).
    pub fn order_key(&self) -> (Timestamp, &str, u64) {
        (self.at, self.release_id.as_str(), self.seq)
    }
}

/// Evaluates the `records` of activity `(p, a)` of `state` (which has just succeeded): the
/// delivery, or why it could not be evaluated. `None` when the activity has no `records`.
pub fn evaluate(state: &ReleaseState, p: usize, a: usize) -> Option<Result<Delivery, String>> {
    let def = state.plan().activity_def(p, a);
    let records = def.records.as_ref()?;
    let scope = Scope::activity(state, p, a);
    let field = |name: &str, text: &str| -> Result<Option<String>, String> {
        let value = eval::interpolate(&Value::String(text.to_string()), &scope)?;
        let text = match value {
            Value::Null => String::new(),
            Value::String(s) => s,
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            other => {
                return Err(format!(
                    "`records.{name}` of activity `{}` gave {other}; it must give text (or a number)",
                    def.id
                ));
            }
        };
        Ok((!text.trim().is_empty()).then_some(text))
    };
    let required = |name: &str, text: &str| -> Result<String, String> {
        field(name, text)?.ok_or_else(|| format!("`records.{name}` of activity `{}` gave nothing", def.id))
    };
    let optional = |name: &str, text: &Option<String>| text.as_deref().map(|t| field(name, t)).transpose();
    let delivery = (|| {
        Ok(Delivery {
            service: required("service", &records.service)?,
            environment: required("environment", &records.environment)?,
            version: required("version", &records.version)?,
            commit: optional("commit", &records.commit)?.flatten(),
            artifact: optional("artifact", &records.artifact)?.flatten(),
        })
    })();
    Some(delivery)
}

/// The ledger entry of one event of `state`'s release (`None` for any other event, and for a
/// delivery that could not be evaluated).
pub fn entry_of(state: &ReleaseState, event: &Event) -> Option<LedgerEntry> {
    let EventKind::DeliveryRecorded { target, attempt, delivery: Some(d), .. } = &event.kind else {
        return None;
    };
    let plan = state.plan();
    let rollback = plan.phases.iter().find(|ph| ph.id == target.phase).is_some_and(|ph| ph.rollback);
    Some(LedgerEntry {
        service: d.service.clone(),
        environment: d.environment.clone(),
        version: d.version.clone(),
        commit: d.commit.clone(),
        artifact: d.artifact.clone(),
        at: event.at,
        release_id: state.id.clone(),
        release_name: state.name.clone(),
        release_kind: state.kind,
        scope: state.scope.clone(),
        phase_id: target.phase.clone(),
        activity_id: target.activity.clone(),
        attempt: *attempt,
        rollback,
        seq: event.seq,
    })
}

/// The ledger entries `events` add (`state` is the release after them, or after all its events
/// for a rebuild).
pub fn entries_of(state: &ReleaseState, events: &[Event]) -> Vec<LedgerEntry> {
    events.iter().filter_map(|e| entry_of(state, e)).collect()
}

/// The latest entry of each service and environment among `entries` (any order), sorted by
/// service then environment: what is deployed where. The reference semantics of
/// `Store::deployed`.
pub fn current(entries: &[LedgerEntry]) -> Vec<LedgerEntry> {
    let mut latest: std::collections::BTreeMap<(&str, &str), &LedgerEntry> = std::collections::BTreeMap::new();
    for e in entries {
        let key = (e.service.as_str(), e.environment.as_str());
        match latest.get(&key) {
            Some(l) if l.order_key() >= e.order_key() => {}
            _ => {
                latest.insert(key, e);
            }
        }
    }
    latest.into_values().cloned().collect()
}

/// The target of a pending recording, as an [`ActivityRef`].
pub(crate) fn target_of(state: &ReleaseState, p: usize, a: usize) -> ActivityRef {
    ActivityRef::new(&state.phases[p].id, &state.phases[p].activities[a].id)
}

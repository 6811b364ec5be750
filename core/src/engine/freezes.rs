//! Freeze windows: stored in the document collection `freezes`, keyed by id.
//!
//! # What a freeze does
//! * **Manual activation** (`activate`) of a release whose services or environments are frozen
//!   *now* is refused with a `schedule` error naming the freeze and its window. An account release
//!   manager may force it ([`Engine::activate_forced`]); the `activated` event records
//!   `forced: true`. Anyone else gets `permission_denied`.
//! * **Activation by the clock** (a scheduled release whose start falls inside a freeze) is not
//!   refused: the release activates on time, and its automated activities wait `queued` (an
//!   `activity_frozen` event in its history) until the freeze ends, then run. Manual activities,
//!   approvals and waits are not held.
//! * A release is frozen when a freeze window covers one of the values of its `service` or
//!   `environment` inputs, or when a freeze names neither (it freezes everything). When several
//!   windows overlap, the release waits for the one that ends last.
//! * An **allowed window** (`mode: allow`) holds what it covers *outside* its windows, the same
//!   way (refused manual activation, automated activities `queued` until the next window
//!   opens); see [`crate::schedule`]'s freeze rules.
//!
//! Freezes are read from the store at most once a second (and at once after this engine adds or
//! deletes one), so a freeze added through another engine takes effect within a second.

use super::{Engine, lock};
use crate::access::{Action, Actor};
use crate::release::{Command, Event, ReleaseState};
use crate::schedule::{Freeze, FreezeWindow, Resource, frozen};
use crate::{Error, Result, Timestamp};
use std::time::{Duration, Instant};

/// The document collection of freezes.
pub(crate) const FREEZES: &str = "freezes";

/// How long the freezes read from the store are used before they are read again.
const FREEZE_CACHE_TTL: Duration = Duration::from_secs(1);

/// Freezes read from the store, and when.
pub(crate) struct FreezeCache {
    read_at: Instant,
    freezes: Vec<Freeze>,
}

impl Engine {
    /// Stores a freeze window (one-off or recurring) and returns it. Needs an account release
    /// manager ([`Action::AddFreeze`]). An existing freeze with the same id is `already_exists`.
    ///
    /// Releases that are already running are held from then on: their next automated activity
    /// waits until the freeze ends.
    pub fn add_freeze(&self, freeze: Freeze, actor: &Actor) -> Result<Freeze> {
        self.authorize_scope(actor, Action::AddFreeze, "account")?;
        freeze.validate()?;
        if self.store.get_document(FREEZES, &freeze.id, None)?.is_some() {
            return Err(Error::AlreadyExists {
                kind: "freeze".into(),
                id: freeze.id.clone(),
                hint: Some("delete it first, or pick another id".into()),
            });
        }
        let doc = serde_json::to_value(&freeze)
            .map_err(|e| Error::Storage { message: format!("freeze `{}` cannot be stored: {e}", freeze.id) })?;
        self.store.put_document(FREEZES, &freeze.id, &doc)?;
        *lock(&self.freeze_cache) = None;
        tracing::info!(freeze = %freeze.id, actor = %actor.id, "freeze added");
        Ok(freeze)
    }

    /// A freeze by id (`not_found` if there is none).
    pub fn get_freeze(&self, id: &str) -> Result<Freeze> {
        let (_, doc) = self.store.get_document(FREEZES, id, None)?.ok_or_else(|| Error::NotFound {
            kind: "freeze".into(),
            id: id.to_string(),
            hint: Some(self.known_freezes()),
        })?;
        decode_freeze(id, doc)
    }

    /// Every stored freeze, by id.
    pub fn list_freezes(&self) -> Result<Vec<Freeze>> {
        let mut out = Vec::new();
        for (id, _) in self.store.list_documents(FREEZES)? {
            if let Some((_, doc)) = self.store.get_document(FREEZES, &id, None)? {
                out.push(decode_freeze(&id, doc)?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Deletes a freeze (account release managers). Activities waiting for it are released when
    /// their `freeze_end` timer fires (they are checked again then).
    pub fn delete_freeze(&self, id: &str, actor: &Actor) -> Result<()> {
        self.authorize_scope(actor, Action::AddFreeze, "account")?;
        if !self.store.delete_document(FREEZES, id)? {
            return Err(Error::NotFound {
                kind: "freeze".into(),
                id: id.to_string(),
                hint: Some(self.known_freezes()),
            });
        }
        *lock(&self.freeze_cache) = None;
        tracing::info!(freeze = %id, actor = %actor.id, "freeze deleted");
        Ok(())
    }

    /// Activates a release inside a freeze window (`activate` with `force: true`). Only account
    /// release managers may (`permission_denied` otherwise); the `activated` event records
    /// `forced: true`. Outside a freeze it activates like [`Engine::activate`], still recorded as
    /// forced.
    pub fn activate_forced(&self, id: &str, actor: &Actor) -> Result<Vec<Event>> {
        self.execute(id, Command::Activate { force: true }, actor, None)
    }

    fn known_freezes(&self) -> String {
        let ids: Vec<String> =
            self.store.list_documents(FREEZES).unwrap_or_default().into_iter().map(|(id, _)| id).collect();
        if ids.is_empty() { "no freeze is stored".into() } else { format!("freezes: {}", ids.join(", ")) }
    }

    /// The stored freezes (cached for a second; an unreadable store gives none, logged).
    pub(crate) fn cached_freezes(&self) -> Vec<Freeze> {
        let mut cache = lock(&self.freeze_cache);
        if let Some(c) = cache.as_ref() {
            if c.read_at.elapsed() < FREEZE_CACHE_TTL {
                return c.freezes.clone();
            }
        }
        match self.list_freezes() {
            Ok(freezes) => {
                *cache = Some(FreezeCache { read_at: Instant::now(), freezes: freezes.clone() });
                freezes
            }
            Err(e) => {
                tracing::warn!(error = %e, "freezes unreadable; treating nothing as frozen");
                Vec::new()
            }
        }
    }

    /// The freeze window that holds `state` at `now` (the one ending last) and the resource it
    /// freezes, if any.
    pub(crate) fn freeze_holding(&self, state: &ReleaseState, now: Timestamp) -> Option<(FreezeWindow, String)> {
        let freezes = self.cached_freezes();
        if freezes.is_empty() {
            return None;
        }
        let row = super::apply::row_of(state);
        let mut resources: Vec<Resource> = row.services.iter().map(Resource::service).collect();
        resources.extend(row.environments.iter().map(Resource::environment));
        let mut best: Option<(FreezeWindow, String)> = None;
        for r in &resources {
            if let Some(w) = frozen(&freezes, r, now) {
                if best.as_ref().is_none_or(|(b, _)| w.end > b.end) {
                    best = Some((w, r.to_string()));
                }
            }
        }
        // A freeze (or an allowed window) naming neither services nor environments covers every
        // release, even one that names none.
        if let Some(w) = frozen(&freezes, &Resource::environment("*"), now) {
            if best.as_ref().is_none_or(|(b, _)| w.end > b.end) {
                best = Some((w, "*".to_string()));
            }
        }
        best
    }
}

fn decode_freeze(id: &str, doc: serde_json::Value) -> Result<Freeze> {
    serde_json::from_value(doc)
        .map_err(|e| Error::Storage { message: format!("stored freeze `{id}` cannot be read: {e}") })
}

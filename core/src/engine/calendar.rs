//! The engine's side of freezes and the calendar (see `docs/architecture.md`, "Groups, calendar,
//! freezes, retention").
//!
//! # The calendar
//! [`Engine::calendar`] answers from a [`CalendarIndex`] kept in memory: built from the store's
//! rows on first use, then kept current after every append this engine makes. The releases it
//! finds are loaded (from the state cache) for their phase windows ([`CalendarEntry::from_state`]).
//! A release changed only through *another* engine on a shared store shows its state as loaded
//! (always current), but its place in the index is the one this engine last saw;
//! [`Engine::refresh_calendar`] rebuilds the index.

use super::{Engine, lock};
use crate::access::{Actor, can_read_release};
use crate::calendar::{CalendarEntry, CalendarFilter, CalendarIndex, CalendarRow, Conflict, conflicts, to_ics};
use crate::release::{Command, ReleaseState};
use crate::schedule::Freeze;
use crate::store::ReleaseRow;
use crate::{Error, Result, Timestamp};

impl Engine {
    /// Until when a freeze window covers `state`'s services or environments at `now` (`None`
    /// when it is not frozen).
    pub(crate) fn frozen_until(&self, state: &ReleaseState, now: Timestamp) -> Option<Timestamp> {
        self.freeze_holding(state, now).map(|(w, _)| w.end)
    }

    /// Refuses activating a release inside a freeze window (unless forced: `authorize_command`
    /// already let only account release managers force).
    pub(crate) fn check_activation_freeze(
        &self,
        state: &ReleaseState,
        cmd: &Command,
        _actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        if !matches!(cmd, Command::Activate { force: false }) {
            return Ok(());
        }
        match self.freeze_holding(state, now) {
            None => Ok(()),
            Some((w, resource)) => {
                let what = if resource == "*" { "everything".to_string() } else { resource };
                Err(Error::Schedule {
                    message: format!(
                        "release {} cannot be activated: freeze `{}` ({}) holds {what} from {} until {}; \
                         activate it after the freeze, or an account release manager may force the activation",
                        state.id,
                        w.name,
                        w.freeze_id,
                        w.start.to_rfc3339(),
                        w.end.to_rfc3339()
                    ),
                })
            }
        }
    }

    /// Keeps the calendar index current after an append.
    pub(crate) fn index_row(&self, row: &ReleaseRow) {
        if let Some(index) = lock(&self.calendar_index).as_mut() {
            index.upsert_release_row(row);
        }
    }

    /// The entry of a release that has not started, from its index row and its plan: the phases'
    /// planned windows are those of a fresh state scheduled at the row's start.
    fn planned_entry(&self, row: &CalendarRow, now: Timestamp) -> Option<CalendarEntry> {
        let plan = self.plan(&row.process.0, Some(row.process.1)).ok()?;
        if plan.has_gates() {
            // What its gates wait for follows from its inputs: read from the release itself.
            return None;
        }
        let mut state = ReleaseState::new(&row.id, plan);
        state.name = row.name.clone();
        state.kind = row.kind;
        state.scope = row.scope.clone();
        state.group = row.group.clone();
        state.status = row.status;
        state.schedule =
            row.planned_start.map(|start| crate::release::Schedule { start, end: row.planned_end, auto_start: true });
        let mut entry = CalendarEntry::from_state(&state, now)?;
        entry.services = row.services.clone();
        entry.environments = row.environments.clone();
        Some(entry)
    }

    /// Drops the calendar index; the next calendar query rebuilds it from the store (use after
    /// other engines changed releases on a shared store).
    pub fn refresh_calendar(&self) {
        *lock(&self.calendar_index) = None;
    }

    /// The releases on the calendar in `[from, to)` that pass `filter`, by start, each with its
    /// planned and actual windows and its phase windows (see [`crate::calendar`]). Week, month
    /// and quarter views are ranges.
    pub fn calendar(&self, from: Timestamp, to: Timestamp, filter: &CalendarFilter) -> Result<Vec<CalendarEntry>> {
        self.calendar_where(from, to, filter, true, |_| true)
    }

    /// [`Engine::calendar`] with only the releases `actor` may read.
    pub fn calendar_as(
        &self,
        actor: &Actor,
        from: Timestamp,
        to: Timestamp,
        filter: &CalendarFilter,
    ) -> Result<Vec<CalendarEntry>> {
        self.calendar_where(from, to, filter, false, |s| can_read_release(actor, s))
    }

    /// The conflicts in `[from, to)`: releases whose windows overlap and share a service or
    /// environment, and releases overlapping a stored freeze window on their services or
    /// environments (see [`crate::calendar::conflicts`]).
    pub fn conflicts(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Conflict>> {
        let entries = self.calendar(from, to, &CalendarFilter::default())?;
        let freezes = self.list_freezes()?;
        Ok(conflicts(&entries, &freezes, from, to))
    }

    /// The calendar of `[from, to)` as iCalendar (RFC 5545) text: one `VEVENT` per release and
    /// one per freeze with a window in the range (see [`crate::calendar::to_ics`]). Freezes are
    /// left out when `filter` names statuses, kinds, groups or scopes (those pick releases); with
    /// services or environments, only the freezes that cover one of them (or everything) are in.
    pub fn calendar_ics(&self, from: Timestamp, to: Timestamp, filter: &CalendarFilter) -> Result<String> {
        let entries = self.calendar(from, to, filter)?;
        let releases_only = !(filter.statuses.is_empty()
            && filter.kinds.is_empty()
            && filter.groups.is_empty()
            && filter.scopes.is_empty());
        let freezes: Vec<Freeze> = if releases_only {
            Vec::new()
        } else {
            self.list_freezes()?
                .into_iter()
                .filter(|f| !f.windows(from, to).is_empty())
                .filter(|f| freeze_matches(f, filter))
                .collect()
        };
        Ok(to_ics(&entries, &freezes, from, to, self.clock.now()))
    }

    fn calendar_where(
        &self,
        from: Timestamp,
        to: Timestamp,
        filter: &CalendarFilter,
        unrestricted: bool,
        keep: impl Fn(&ReleaseState) -> bool,
    ) -> Result<Vec<CalendarEntry>> {
        if from >= to {
            return Err(Error::Schedule {
                message: format!(
                    "the calendar range is empty: {} is not before {}",
                    from.to_rfc3339(),
                    to.to_rfc3339()
                ),
            });
        }
        let now = self.clock.now();
        // Other engines' and processes' commits reach the index through the feed.
        self.start_following_feed()?;
        self.follow_feed()?;
        let rows: Vec<CalendarRow> = {
            let mut index = lock(&self.calendar_index);
            if index.is_none() {
                // Built under the lock: an append meanwhile waits in `index_row`, then updates it.
                *index = Some(CalendarIndex::from_release_rows(&self.store.releases()?));
            }
            index.as_ref().map(|i| i.query(from, to, now, filter).iter().map(|r| r.to_row()).collect())
        }
        .unwrap_or_default();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            // A release that has not started has only planned windows: they follow from its
            // schedule and its (cached) plan, without loading the release.
            if unrestricted && !row.started {
                if let Some(entry) = self.planned_entry(&row, now) {
                    if entry.overlaps(from, to) && filter.matches(&entry) {
                        out.push(entry);
                    }
                    continue;
                }
            }
            let id = row.id;
            let state = match self.get_release(&id) {
                Ok(s) => s,
                Err(Error::NotFound { .. }) => {
                    // Purged (or deleted through another engine) since it was indexed.
                    if let Some(index) = lock(&self.calendar_index).as_mut() {
                        index.remove(&id);
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            if !keep(&state) {
                continue;
            }
            if let Some(entry) = CalendarEntry::from_state(&state, now) {
                if entry.overlaps(from, to) && filter.matches(&entry) {
                    out.push(entry);
                }
            }
        }
        out.sort_by(|a, b| (a.start, &a.release_id).cmp(&(b.start, &b.release_id)));
        Ok(out)
    }
}

/// Whether a freeze belongs in an export filtered by services or environments (module docs of
/// [`Engine::calendar_ics`]).
fn freeze_matches(f: &Freeze, filter: &CalendarFilter) -> bool {
    if filter.services.is_empty() && filter.environments.is_empty() {
        return true;
    }
    (f.services.is_empty() && f.environments.is_empty())
        || f.services.iter().any(|s| filter.services.contains(s))
        || f.environments.iter().any(|e| filter.environments.contains(e))
}

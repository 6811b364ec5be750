//! Reports ([`Engine::report`]): the engine loads the releases that may matter to a window (those
//! that ended or were created from its start on) with their events, and hands them to the pure
//! [`crate::report::report`]; forecasts ([`Engine::forecast`]) load the release and the last
//! releases of its process that ended, and hand them to the pure [`crate::report::forecast`].

use super::Engine;
use crate::report::{Forecast, Report, ReportInput};
use crate::validate::codes;
use crate::{Error, Problem, Result, Timestamp};

/// How a report counts failed changes and lead times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// A release is a failed change when a hotfix release was created within this many seconds
    /// after it ended (default two days).
    pub hotfix_window_secs: i64,
    /// The input holding the commit time (RFC 3339) of what a release ships (default
    /// `commit_time`).
    pub commit_time_input: String,
    /// Report on behalf of this actor: only the releases they may read (as
    /// [`Engine::get_release_as`] decides) count, in every figure, DORA included. `None` (the
    /// default): every release (trusted code).
    pub actor: Option<crate::access::Actor>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { hotfix_window_secs: 2 * 86_400, commit_time_input: "commit_time".into(), actor: None }
    }
}

impl Engine {
    /// The report of the releases that ended in `[from, to)` (of release group `group` when
    /// given): planned against actual per phase and activity, approval waits, decisions with their
    /// reasons and the DORA figures (see [`crate::report`]).
    pub fn report(
        &self,
        from: Timestamp,
        to: Timestamp,
        group: Option<&str>,
        options: &ReportOptions,
    ) -> Result<Report> {
        self.report_for(from, to, group, options, options.actor.as_ref())
    }

    fn report_for(
        &self,
        from: Timestamp,
        to: Timestamp,
        group: Option<&str>,
        options: &ReportOptions,
        reader: Option<&crate::access::Actor>,
    ) -> Result<Report> {
        let mut problems = Vec::new();
        if to <= from {
            problems.push(Problem::new("to", codes::BAD_RANGE, format!("`to` ({to}) must be after `from` ({from})")));
        }
        if options.hotfix_window_secs < 0 {
            problems.push(Problem::new(
                "hotfix_window",
                codes::INVALID_VALUE,
                "the hotfix window is a length of time; give 0 or more seconds",
            ));
        }
        Error::invalid_input_or(problems, ())?;
        let mut loaded = Vec::new();
        for row in self.report_rows(from)? {
            let state = self.get_release(&row.id)?;
            if reader.is_some_and(|actor| !crate::access::can_read_release(actor, &state)) {
                continue;
            }
            loaded.push((std::sync::Arc::unwrap_or_clone(state), self.store.events(&row.id, 0)?));
        }
        let input = ReportInput {
            from,
            to,
            group,
            releases: &loaded,
            hotfix_window_secs: options.hotfix_window_secs,
            commit_time_input: &options.commit_time_input,
        };
        Ok(crate::report::report(&input))
    }
}

impl Engine {
    /// The index rows of the releases a report from `from` may need: those that ended, or were
    /// created, at or after `from` (archived ones too), read from the search index, not by
    /// scanning every release; each once, oldest first.
    fn report_rows(&self, from: Timestamp) -> Result<Vec<crate::store::ReleaseRow>> {
        use crate::store::{SearchFilter, SearchSort, SortField, SortKey, TimeRange};
        const PAGE: usize = 500;
        let since = TimeRange { from: Some(from), to: None };
        let filters = [
            SearchFilter { ended: since, include_archived: true, ..Default::default() },
            SearchFilter { created: since, include_archived: true, ..Default::default() },
        ];
        let sort = SearchSort { field: SortField::CreatedAt, descending: false };
        let mut rows: Vec<crate::store::ReleaseRow> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for filter in &filters {
            let mut after: Option<SortKey> = None;
            loop {
                let page = self.store.search(filter, sort, after.as_ref(), PAGE)?;
                let Some(last) = page.last() else { break };
                after = Some(SortKey::of(last, sort.field));
                let full = page.len() == PAGE;
                rows.extend(page.into_iter().filter(|r| !r.deleted && seen.insert(r.id.clone())));
                if !full {
                    break;
                }
            }
        }
        rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(rows)
    }
}

impl Engine {
    /// The forecast of release `id` at the clock's time (see [`crate::report::forecast()`]): its
    /// history is the last [`crate::report::forecast::HISTORY_RELEASES`] ended releases of the
    /// same process (any version). `not_found` for an unknown release.
    pub fn forecast(&self, id: &str) -> Result<Forecast> {
        let state = self.get_release(id)?;
        self.forecast_of(&state)
    }

    /// [`Engine::forecast`], if `actor` may read the release (`permission_denied` otherwise).
    pub fn forecast_as(&self, id: &str, actor: &crate::access::Actor) -> Result<Forecast> {
        let state = self.get_release_as(id, actor)?;
        self.forecast_of(&state)
    }

    fn forecast_of(&self, state: &crate::release::ReleaseState) -> Result<Forecast> {
        let history = self.last_ended_of_process(state)?;
        Ok(crate::report::forecast(state, &history, self.clock.now()))
    }

    /// The last [`crate::report::forecast::HISTORY_RELEASES`] releases of `state`'s process that
    /// ended (by end time, newest first; `state` itself left out), read from the search index
    /// newest-updated first: a release's last update is never before its end, so once a page
    /// reaches back past the oldest end kept, no later row can be among them. The cost is a few
    /// pages, not the size of the store.
    pub(super) fn last_ended_of_process(
        &self,
        state: &crate::release::ReleaseState,
    ) -> Result<Vec<crate::release::ReleaseState>> {
        use crate::store::{SearchFilter, SearchSort, SortField, SortKey, TimeRange};
        const PAGE: usize = 100;
        let wanted = crate::report::forecast::HISTORY_RELEASES;
        let filter = SearchFilter {
            process_id: Some(state.process_id.clone()),
            ended: TimeRange { from: Some(chrono::DateTime::UNIX_EPOCH), to: None },
            include_archived: true,
            ..Default::default()
        };
        let sort = SearchSort { field: SortField::UpdatedAt, descending: true };
        let mut kept: Vec<crate::store::ReleaseRow> = Vec::new();
        let mut after: Option<SortKey> = None;
        loop {
            let page = self.store.search(&filter, sort, after.as_ref(), PAGE)?;
            let Some(last) = page.last() else { break };
            after = Some(SortKey::of(last, sort.field));
            let last_updated = last.updated_at;
            let last_page = page.len() < PAGE;
            kept.extend(page.into_iter().filter(|r| r.id != state.id && r.ended_at.is_some()));
            kept.sort_by(|a, b| (b.ended_at, &b.id).cmp(&(a.ended_at, &a.id)));
            kept.truncate(wanted);
            let settled = kept.len() == wanted && last_updated < kept[wanted - 1].ended_at;
            if last_page || settled {
                break;
            }
        }
        kept.iter().map(|row| self.get_release(&row.id).map(std::sync::Arc::unwrap_or_clone)).collect()
    }
}

//! Searching releases ([`Engine::search`]): a typed filter, a sort and opaque cursors over the
//! store's index (keyset pagination; see [`crate::store::SearchCursor`]).

use super::Engine;
use crate::Result;
use crate::release::ReleaseState;
use crate::store::{SearchCursor, SearchFilter, SearchSort, SortKey};

/// One page of a search: its releases and the cursor of the next page (`None` on the last one).
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// The releases of the page, in the sort order.
    pub releases: Vec<ReleaseState>,
    /// Pass it as `cursor` for the next page; `None` when there is none.
    pub next: Option<String>,
}

impl Engine {
    /// Releases matching `filter` in `sort` order, `page_size` (1 ..=
    /// [`crate::limits::MAX_PAGE_SIZE`]) at a time, from the start or after `cursor` (the `next`
    /// of the previous page, of a search with the same sort; `invalid_input` otherwise). Pages
    /// are stable: a release written after a page was read never appears again in a later page
    /// nor pushes another out, unless its sort value moved past the cursor.
    pub fn search(
        &self,
        filter: &SearchFilter,
        sort: SearchSort,
        cursor: Option<&str>,
        page_size: usize,
    ) -> Result<SearchPage> {
        crate::limits::check_page_size("page_size", page_size)?;
        let after = cursor.map(|c| SearchCursor::decode(c, sort)).transpose()?;
        let mut rows = self.store.search(filter, sort, after.as_ref().map(|c| &c.after), page_size + 1)?;
        let more = rows.len() > page_size;
        rows.truncate(page_size);
        let next = match rows.last() {
            Some(last) if more => Some(SearchCursor { sort, after: SortKey::of(last, sort.field) }.encode()),
            _ => None,
        };
        let releases = rows
            .iter()
            .map(|r| self.get_release(&r.id).map(std::sync::Arc::unwrap_or_clone))
            .collect::<Result<Vec<_>>>()?;
        Ok(SearchPage { releases, next })
    }
}

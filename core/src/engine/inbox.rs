//! The inbox of a person ([`Engine::inbox`]): what waits on them across every release, read from
//! the store's inbox index (kept in the same append as the events; see
//! [`crate::release::inbox`]).

use super::Engine;
use crate::access::Actor;
use crate::release::InboxItem;
use crate::release::inbox::{entries, item_for, principals_of};
use crate::store::Append;
use crate::{Error, Result};

impl Engine {
    /// The approvals, manual activities and failure decisions `actor` may act on (through its user
    /// id, its groups or its release-manager roles), oldest first, at most `limit` (1 ..=
    /// [`crate::limits::MAX_PAGE_SIZE`]). Each says why the actor may act (the approver or owner
    /// entry matched, the role), or, for an item it is listed on but may not act on now, why
    /// not (the self-approval ban, already decided). The engine's own actor has none.
    pub fn inbox(&self, actor: &Actor, limit: usize) -> Result<Vec<InboxItem>> {
        crate::limits::check_page_size("limit", limit)?;
        let principals = principals_of(actor);
        let found = self.store.inbox(&principals, limit)?;
        Ok(found.iter().filter_map(|e| item_for(e, actor, &principals)).collect())
    }

    /// Writes every release's index again from its events: its row (with the search columns),
    /// its labels, its inbox entries and its deployment ledger entries (after opening a database created before they existed,
    /// or to repair them). Each release is rewritten with an append of no events at its current
    /// sequence, so it never overwrites a newer write (a release changed meanwhile already has
    /// its index). Returns how many releases it wrote.
    pub fn rebuild_indexes(&self) -> Result<usize> {
        let mut written = 0;
        for row in self.store.releases()? {
            if row.deleted {
                continue;
            }
            let plan = self.plan(&row.process_id, Some(row.process_version))?;
            let events = self.store.events(&row.id, 0)?;
            let state = crate::release::replay(&row.id, plan, &events);
            let list = entries(&state);
            let ledger = crate::release::ledger::entries_of(&state, &events);
            let fresh = super::apply::row_of(&state);
            let watches = state.gate_watches();
            let batch = Append {
                inbox: Some(&list),
                watches: Some(&watches),
                labels: Some(&state.metadata.labels),
                ledger: &ledger,
                ..Append::new(&row.id, row.seq, &[], &fresh)
            };
            match self.store.append(&batch) {
                Ok(()) => written += 1,
                Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(written)
    }
}

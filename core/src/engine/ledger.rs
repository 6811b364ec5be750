//! The deployment ledger ([`Engine::deployed`], [`Engine::deployments`]): read from the store's
//! ledger index, which every append keeps with the events (see [`crate::release::ledger`]).

use super::Engine;
use crate::access::Actor;
use crate::release::LedgerEntry;
use crate::validate::codes;
use crate::{Error, Problem, Result};

impl Engine {
    /// What is deployed now: the current ledger entry (version, since when, by which release) of
    /// every service in every environment, or only of `environment` and `service` when given;
    /// sorted by service, then environment. A rollback phase that recorded a version made that
    /// one current.
    pub fn deployed(&self, environment: Option<&str>, service: Option<&str>) -> Result<Vec<LedgerEntry>> {
        let mut problems = Vec::new();
        for (what, value) in [("environment", environment), ("service", service)] {
            if value.is_some_and(|v| v.trim().is_empty()) {
                problems.push(blank(what));
            }
        }
        Error::invalid_input_or(problems, ())?;
        self.store.deployed(environment, service)
    }

    /// The history of `service` in `environment`, newest first, at most `limit` (1 ..=
    /// [`crate::limits::MAX_PAGE_SIZE`]): every delivery, rollbacks included (`rollback: true`).
    pub fn deployments(&self, service: &str, environment: &str, limit: usize) -> Result<Vec<LedgerEntry>> {
        check_history_args(service, environment, limit)?;
        self.store.deployments(service, environment, limit)
    }

    /// [`Engine::deployed`] as `actor` may see it: the current entries whose release the actor may
    /// read (by its scope, or by being listed on the release: the rule of
    /// [`Engine::may_read_entry`]). A slot whose current entry the actor may not read is left
    /// out, not filled with an older entry the actor may read: what is deployed there now is
    /// what is hidden.
    pub fn deployed_as(
        &self,
        environment: Option<&str>,
        service: Option<&str>,
        actor: &Actor,
    ) -> Result<Vec<LedgerEntry>> {
        self.readable(self.deployed(environment, service)?, actor)
    }

    /// [`Engine::deployments`] as `actor` may see it: the newest `limit` entries the actor may
    /// read. The history is read in pages of `limit` from the newest (at most
    /// [`crate::limits::MAX_PAGE_SIZE`] entries in all are looked at, so an actor who may read
    /// few of them gets fewer than `limit`).
    pub fn deployments_as(
        &self,
        service: &str,
        environment: &str,
        limit: usize,
        actor: &Actor,
    ) -> Result<Vec<LedgerEntry>> {
        check_history_args(service, environment, limit)?;
        let all = self.store.deployments(service, environment, crate::limits::MAX_PAGE_SIZE)?;
        let mut out = self.readable(all, actor)?;
        out.truncate(limit);
        Ok(out)
    }

    /// The entries `actor` may read, in their order (one access decision per release).
    fn readable(&self, entries: Vec<LedgerEntry>, actor: &Actor) -> Result<Vec<LedgerEntry>> {
        let mut decided: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let may = match decided.get(&e.release_id) {
                Some(may) => *may,
                None => {
                    let may = self.may_read_fact(&e.scope, &e.release_id, actor)?;
                    decided.insert(e.release_id.clone(), may);
                    may
                }
            };
            if may {
                out.push(e);
            }
        }
        Ok(out)
    }
}

/// The arguments of a history read: names not blank, `limit` a page size; every problem at once.
fn check_history_args(service: &str, environment: &str, limit: usize) -> Result<()> {
    let mut problems = Vec::new();
    for (what, value) in [("service", service), ("environment", environment)] {
        if value.trim().is_empty() {
            problems.push(blank(what));
        }
    }
    if let Err(Error::InvalidInput { problems: more }) = crate::limits::check_page_size("limit", limit) {
        problems.extend(more);
    }
    Error::invalid_input_or(problems, ())
}

fn blank(what: &str) -> Problem {
    let example = if what == "service" { "checkout" } else { "prod1" };
    Problem::new(what, codes::INVALID_VALUE, format!("`{what}` is empty; give a {what} name, e.g. `{example}`"))
}

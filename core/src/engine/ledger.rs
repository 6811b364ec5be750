//! The deployment ledger ([`Engine::deployed`], [`Engine::deployments`]): read from the store's
//! ledger index, which every append keeps with the events (see [`crate::release::ledger`]).

use super::Engine;
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
        let mut problems = Vec::new();
        for (what, value) in [("service", service), ("environment", environment)] {
            if value.trim().is_empty() {
                problems.push(blank(what));
            }
        }
        if let Err(Error::InvalidInput { problems: more }) = crate::limits::check_page_size("limit", limit) {
            problems.extend(more);
        }
        Error::invalid_input_or(problems, ())?;
        self.store.deployments(service, environment, limit)
    }
}

fn blank(what: &str) -> Problem {
    let example = if what == "service" { "checkout" } else { "prod1" };
    Problem::new(what, codes::INVALID_VALUE, format!("`{what}` is empty; give a {what} name, e.g. `{example}`"))
}

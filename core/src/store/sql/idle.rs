//! What a store knows about the next moment a claim can find something, without asking the
//! database: so that an idle `tick` on SQLite runs no claim query and takes no write lock.
//!
//! A bound is learned when a claim finds nothing (the database says when the next timer is due
//! or lease ends), lowered by this store's own writes (an append's `next_due`, its queued jobs,
//! a lease given back) and forgotten when another connection committed (SQLite's
//! `PRAGMA data_version` changed) or a claim took something. A bound is a lower bound: trusting
//! it never hides anything claimable, forgetting it only costs one read. Pure logic: the caller
//! reads the database and the clock.

/// Times in µs since the epoch, as the SQL store keeps them.
type Micros = i64;

/// When claims can next find something, as far as this store knows.
#[derive(Debug, Default)]
pub(crate) struct IdleBounds {
    /// The database's commit counter of other connections when the bounds were learned; `None`
    /// while unknown (then nothing is trusted).
    version: Option<i64>,
    /// No timer is claimable before this; `None`: unknown.
    due_from: Option<Micros>,
    /// Per list of executors (as claims name them): no job of theirs is claimable before this.
    jobs_from: Vec<(Vec<String>, Micros)>,
}

impl IdleBounds {
    /// Takes the database's current commit counter of other connections: a change (or no counter
    /// at all) forgets every bound.
    pub(crate) fn sync(&mut self, version: Option<i64>) {
        if version.is_none() || version != self.version {
            self.due_from = None;
            self.jobs_from.clear();
        }
        self.version = version;
    }

    /// Whether no timer can be claimable at `now`.
    pub(crate) fn due_quiet(&self, now: Micros) -> bool {
        self.version.is_some() && self.due_from.is_some_and(|from| now < from)
    }

    /// Whether no job of `executors` can be claimable at `now`.
    pub(crate) fn jobs_quiet(&self, executors: &[String], now: Micros) -> bool {
        self.version.is_some() && self.jobs_from.iter().any(|(list, from)| list == executors && now < *from)
    }

    /// A timer claim found nothing; the database says none is claimable before `from` (`None`: no
    /// timer at all).
    pub(crate) fn learned_due(&mut self, from: Option<Micros>) {
        self.due_from = Some(from.unwrap_or(Micros::MAX));
    }

    /// A job claim for `executors` found nothing; none of theirs is claimable before `from`
    /// (`None`: they have no job at all).
    pub(crate) fn learned_jobs(&mut self, executors: &[String], from: Option<Micros>) {
        let from = from.unwrap_or(Micros::MAX);
        match self.jobs_from.iter_mut().find(|(list, _)| list == executors) {
            Some(known) => known.1 = from,
            None => self.jobs_from.push((executors.to_vec(), from)),
        }
    }

    /// A timer claim took something: what is left is unknown.
    pub(crate) fn claimed_due(&mut self) {
        self.due_from = None;
    }

    /// A job claim took something: what is left is unknown.
    pub(crate) fn claimed_jobs(&mut self) {
        self.jobs_from.clear();
    }

    /// This store appended: the release's timer is due at `next_due` (its lease ended), and
    /// `queued` says whether the append queued jobs.
    pub(crate) fn appended(&mut self, next_due: Option<Micros>, queued: bool) {
        if let (Some(due), Some(from)) = (next_due, self.due_from.as_mut()) {
            *from = (*from).min(due);
        }
        if queued {
            self.jobs_from.clear();
        }
    }

    /// This store moved a job's lease to end at `until` (a heartbeat, or a job given back).
    pub(crate) fn lease_moved(&mut self, until: Micros) {
        for (_, from) in &mut self.jobs_from {
            *from = (*from).min(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IdleBounds;

    fn x() -> Vec<String> {
        vec!["x".to_string()]
    }

    #[test]
    fn nothing_is_trusted_before_a_bound_is_learned_or_without_a_version() {
        let mut b = IdleBounds::default();
        assert!(!b.due_quiet(0) && !b.jobs_quiet(&x(), 0));
        b.sync(None);
        b.learned_due(Some(100));
        b.learned_jobs(&x(), None);
        assert!(!b.due_quiet(0) && !b.jobs_quiet(&x(), 0), "no version: nothing trusted");
    }

    #[test]
    fn a_learned_bound_holds_until_its_time_and_for_its_executors_only() {
        let mut b = IdleBounds::default();
        b.sync(Some(1));
        b.learned_due(Some(100));
        b.learned_jobs(&x(), Some(50));
        assert!(b.due_quiet(99) && !b.due_quiet(100));
        assert!(b.jobs_quiet(&x(), 49) && !b.jobs_quiet(&x(), 50));
        assert!(!b.jobs_quiet(&["y".to_string()], 0), "another list of executors is unknown");
        b.learned_due(None);
        assert!(b.due_quiet(i64::MAX - 1), "no timer at all");
    }

    #[test]
    fn another_connections_commit_forgets_everything() {
        let mut b = IdleBounds::default();
        b.sync(Some(1));
        b.learned_due(None);
        b.learned_jobs(&x(), None);
        b.sync(Some(1));
        assert!(b.due_quiet(5) && b.jobs_quiet(&x(), 5), "same version: kept");
        b.sync(Some(2));
        assert!(!b.due_quiet(5) && !b.jobs_quiet(&x(), 5));
    }

    #[test]
    fn own_writes_lower_the_bounds() {
        let mut b = IdleBounds::default();
        b.sync(Some(1));
        b.learned_due(None);
        b.learned_jobs(&x(), None);
        b.appended(None, false);
        assert!(b.due_quiet(5) && b.jobs_quiet(&x(), 5), "an append without timer or jobs changes nothing");
        b.appended(Some(10), false);
        assert!(b.due_quiet(9) && !b.due_quiet(10));
        b.lease_moved(7);
        assert!(b.jobs_quiet(&x(), 6) && !b.jobs_quiet(&x(), 7), "a job given back is claimable when its lease ends");
        b.appended(None, true);
        assert!(!b.jobs_quiet(&x(), 0), "queued jobs: unknown");
        b.claimed_due();
        assert!(!b.due_quiet(0), "after a claim took a timer: unknown");
    }
}

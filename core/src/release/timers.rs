//! [`TimerKey`]: something time-based a release waits for; [`Timers`]: a release's pending timers,
//! which can keep a journal of what a step changed (the timers to set and to clear are effects).

use super::ActivityRef;
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Something time-based a release waits for, fired by `tick()` when due.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "timer")]
pub enum TimerKey {
    /// Auto-activation of a scheduled release at its start.
    Activation,
    /// A phase's `not_before`.
    PhaseNotBefore {
        /// Phase id.
        phase: String,
    },
    /// An activity's `not_before`.
    ActivityNotBefore {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
    },
    /// The end of a `wait` activity.
    Wait {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
    },
    /// An attempt's `timeout`.
    Timeout {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// The attempt it guards.
        attempt: u32,
    },
    /// The retry backoff of a failed attempt.
    Retry {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
        /// The attempt that will run.
        attempt: u32,
    },
    /// The end of a freeze window an automated activity waits for.
    FreezeEnd {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
    },
    /// An approval's `deadline`.
    Deadline {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
    },
    /// An approval's next reminder.
    Reminder {
        /// The activity.
        #[serde(flatten)]
        target: ActivityRef,
    },
    /// A running phase passes its planned `duration` (it notifies `phase_overdue`; nothing
    /// waits for it).
    PhaseOverdue {
        /// Phase id.
        phase: String,
    },
    /// When the release, if nothing else happens, is expected to end after its planned end: the
    /// engine assesses its risk again (see [`super::risk`]); nothing waits for it.
    RiskCheck,
}

impl TimerKey {
    /// The activity the timer belongs to, for activity timers.
    pub fn activity(&self) -> Option<&ActivityRef> {
        match self {
            TimerKey::Activation
            | TimerKey::PhaseNotBefore { .. }
            | TimerKey::PhaseOverdue { .. }
            | TimerKey::RiskCheck => None,
            TimerKey::ActivityNotBefore { target }
            | TimerKey::Wait { target }
            | TimerKey::Timeout { target, .. }
            | TimerKey::Retry { target, .. }
            | TimerKey::FreezeEnd { target }
            | TimerKey::Deadline { target }
            | TimerKey::Reminder { target } => Some(target),
        }
    }
}

/// What a step did to a release's timers: the net difference between before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimerChanges {
    /// Timers set (new, or moved to another due time).
    pub set: Vec<(TimerKey, Timestamp)>,
    /// Timers that no longer exist.
    pub cleared: Vec<TimerKey>,
}

impl TimerChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.cleared.is_empty()
    }
}

/// A release's pending timers by key, with their due times. Serialized as the plain map.
#[derive(Debug, Clone, Default)]
pub struct Timers {
    due: BTreeMap<TimerKey, Timestamp>,
    /// While journaling: each key touched, with its due time before the first touch.
    journal: Option<BTreeMap<TimerKey, Option<Timestamp>>>,
}

impl Timers {
    fn touch(&mut self, key: &TimerKey) {
        if let Some(journal) = &mut self.journal {
            if !journal.contains_key(key) {
                journal.insert(key.clone(), self.due.get(key).copied());
            }
        }
    }

    /// Sets (or moves) a timer.
    pub fn insert(&mut self, key: TimerKey, due: Timestamp) {
        self.touch(&key);
        self.due.insert(key, due);
    }

    /// Removes a timer; returns its due time if it existed.
    pub fn remove(&mut self, key: &TimerKey) -> Option<Timestamp> {
        if !self.due.contains_key(key) {
            return None;
        }
        self.touch(key);
        self.due.remove(key)
    }

    /// Removes every timer.
    pub fn clear(&mut self) {
        let keys: Vec<TimerKey> = self.due.keys().cloned().collect();
        for k in &keys {
            self.touch(k);
        }
        self.due.clear();
    }

    /// The due time of a timer.
    pub fn get(&self, key: &TimerKey) -> Option<&Timestamp> {
        self.due.get(key)
    }

    /// Whether the timer is pending.
    pub fn contains_key(&self, key: &TimerKey) -> bool {
        self.due.contains_key(key)
    }

    /// The pending timers in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&TimerKey, &Timestamp)> {
        self.due.iter()
    }

    /// How many timers are pending.
    pub fn len(&self) -> usize {
        self.due.len()
    }

    /// Whether no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    /// The earliest pending timer (the first in key order among equal due times).
    pub fn next(&self) -> Option<(&TimerKey, &Timestamp)> {
        self.due.iter().min_by_key(|(_, due)| **due)
    }

    /// Starts recording changes (a step does, for its effects).
    pub(crate) fn start_journal(&mut self) {
        self.journal = Some(BTreeMap::new());
    }

    /// Stops recording and returns the net changes since [`Timers::start_journal`].
    pub(crate) fn take_journal(&mut self) -> TimerChanges {
        let mut changes = TimerChanges::default();
        for (key, before) in self.journal.take().unwrap_or_default() {
            match (before, self.due.get(&key)) {
                (b, Some(after)) if b != Some(*after) => changes.set.push((key, *after)),
                (Some(_), None) => changes.cleared.push(key),
                _ => {}
            }
        }
        changes
    }
}

impl PartialEq for Timers {
    fn eq(&self, other: &Self) -> bool {
        self.due == other.due
    }
}

impl FromIterator<(TimerKey, Timestamp)> for Timers {
    fn from_iter<I: IntoIterator<Item = (TimerKey, Timestamp)>>(iter: I) -> Self {
        Timers { due: iter.into_iter().collect(), journal: None }
    }
}

impl IntoIterator for Timers {
    type Item = (TimerKey, Timestamp);
    type IntoIter = std::collections::btree_map::IntoIter<TimerKey, Timestamp>;
    fn into_iter(self) -> Self::IntoIter {
        self.due.into_iter()
    }
}

impl Serialize for Timers {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.due.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Timers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Timers { due: BTreeMap::deserialize(deserializer)?, journal: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32) -> Timestamp {
        format!("2025-04-07T{h:02}:00:00Z").parse().unwrap()
    }

    #[test]
    fn the_journal_reports_net_changes_only() {
        let wait = TimerKey::Wait { target: ActivityRef::new("p", "a") };
        let mut timers: Timers = [(TimerKey::Activation, t(9)), (wait.clone(), t(10))].into_iter().collect();
        timers.start_journal();
        timers.remove(&TimerKey::Activation);
        timers.insert(TimerKey::Activation, t(9)); // back to what it was: no change
        timers.insert(wait.clone(), t(11)); // moved
        let deadline = TimerKey::Deadline { target: ActivityRef::new("p", "b") };
        timers.insert(deadline.clone(), t(12));
        timers.remove(&deadline); // set and cleared within the step: nothing to report
        let reminder = TimerKey::Reminder { target: ActivityRef::new("p", "c") };
        timers.insert(reminder.clone(), t(13));
        let changes = timers.take_journal();
        assert_eq!(changes.set, vec![(wait.clone(), t(11)), (reminder, t(13))]);
        assert!(changes.cleared.is_empty());
        timers.start_journal();
        timers.clear();
        let changes = timers.take_journal();
        assert_eq!(changes.cleared.len(), 3);
    }
}

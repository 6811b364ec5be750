//! The in-memory backend: for tests and scripts. Nothing survives the process.

use super::{ReleaseRow, Store};
use crate::release::Event;
use crate::{Error, Process, Result, Timestamp};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// An in-memory [`Store`].
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    processes: HashMap<String, Vec<Process>>,
    process_order: Vec<String>,
    events: HashMap<String, Vec<Event>>,
    rows: HashMap<String, ReleaseRow>,
    order: Vec<String>,
    due: BTreeSet<(Timestamp, String)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn put_process(&self, process: &Process) -> Result<u32> {
        let mut inner = self.lock();
        if !inner.processes.contains_key(&process.id) {
            inner.process_order.push(process.id.clone());
        }
        let versions = inner.processes.entry(process.id.clone()).or_default();
        if versions.last() != Some(process) {
            versions.push(process.clone());
        }
        Ok(versions.len() as u32)
    }

    fn get_process(&self, id: &str, version: Option<u32>) -> Result<Option<(u32, Process)>> {
        let inner = self.lock();
        let Some(versions) = inner.processes.get(id) else { return Ok(None) };
        let v = version.unwrap_or(versions.len() as u32);
        Ok(v.checked_sub(1).and_then(|i| versions.get(i as usize)).map(|p| (v, p.clone())))
    }

    fn list_processes(&self) -> Result<Vec<(String, u32)>> {
        let inner = self.lock();
        Ok(inner.process_order.iter().map(|id| (id.clone(), inner.processes[id].len() as u32)).collect())
    }

    fn append(&self, release: &str, expected_seq: u64, events: &[Event], row: &ReleaseRow) -> Result<()> {
        let mut inner = self.lock();
        let current = inner.events.get(release).map_or(0, |e| e.len() as u64);
        if current != expected_seq {
            return Err(Error::Conflict {
                message: format!(
                    "release {release} is at event {current}, not {expected_seq}: someone else changed it first"
                ),
            });
        }
        for (i, e) in events.iter().enumerate() {
            if e.seq != expected_seq + 1 + i as u64 {
                return Err(Error::Storage {
                    message: format!("event {} of release {release} is out of sequence", e.seq),
                });
            }
        }
        if current == 0 {
            inner.order.push(release.to_string());
        }
        if let Some(old) = inner.rows.get(release).and_then(|r| r.next_due) {
            inner.due.remove(&(old, release.to_string()));
        }
        if let Some(due) = row.next_due {
            inner.due.insert((due, release.to_string()));
        }
        inner.events.entry(release.to_string()).or_default().extend_from_slice(events);
        inner.rows.insert(release.to_string(), row.clone());
        Ok(())
    }

    fn events(&self, release: &str, after: u64) -> Result<Vec<Event>> {
        let inner = self.lock();
        Ok(inner.events.get(release).map(|e| e.iter().skip(after as usize).cloned().collect()).unwrap_or_default())
    }

    fn release(&self, id: &str) -> Result<Option<ReleaseRow>> {
        Ok(self.lock().rows.get(id).cloned())
    }

    fn releases(&self) -> Result<Vec<ReleaseRow>> {
        let inner = self.lock();
        Ok(inner.order.iter().filter_map(|id| inner.rows.get(id).cloned()).collect())
    }

    fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<(Timestamp, String)>> {
        let inner = self.lock();
        Ok(inner.due.iter().take_while(|(t, _)| *t <= now).take(limit).cloned().collect())
    }
}

//! Typed identities of the things inside a release: [`ActivityRef`] (a phase and one of its
//! activities), job ids and child-release ids.
//!
//! An [`ActivityRef`] is written into events, commands and timer keys *flattened*: its two fields
//! appear as `phase` and `activity` next to the other fields, exactly as the stored event format
//! has always spelled them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An activity of a release, by the ids of its phase and of the activity in that phase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ActivityRef {
    /// Phase id.
    pub phase: String,
    /// Activity id (unique within its phase).
    pub activity: String,
}

impl ActivityRef {
    /// The activity `activity` of phase `phase`.
    pub fn new(phase: impl Into<String>, activity: impl Into<String>) -> Self {
        ActivityRef { phase: phase.into(), activity: activity.into() }
    }

    /// Parses `phase/activity`.
    pub fn parse(text: &str) -> Option<Self> {
        let (phase, activity) = text.split_once('/')?;
        (!phase.is_empty() && !activity.is_empty()).then(|| ActivityRef::new(phase, activity))
    }

    /// The job id of attempt `attempt` of this activity in `release`.
    pub fn job_id(&self, release: &str, attempt: u32) -> String {
        job_id(release, &self.phase, &self.activity, attempt)
    }

    /// The child release a subprocess attempt of this activity in `release` runs.
    pub fn child_release_id(&self, release: &str, attempt: u32) -> String {
        child_release_id(release, &self.phase, &self.activity, attempt)
    }
}

impl fmt::Display for ActivityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.phase, self.activity)
    }
}

/// Parses a job id (`<release>/<phase>/<activity>/<attempt>`) into its parts.
pub fn parse_job_id(job_id: &str) -> Option<(&str, &str, &str, u32)> {
    let mut parts = job_id.rsplitn(4, '/');
    let attempt = parts.next()?.parse().ok()?;
    let activity = parts.next()?;
    let phase = parts.next()?;
    let release = parts.next()?;
    Some((release, phase, activity, attempt))
}

/// The job id of an attempt: stable across redelivery, unique per attempt.
pub fn job_id(release: &str, phase: &str, activity: &str, attempt: u32) -> String {
    format!("{release}/{phase}/{activity}/{attempt}")
}

/// The id of the child release a subprocess attempt runs: derived (UUID v5) from the parent, the
/// activity and the attempt, so deciding is deterministic and a retried attempt gets a new child.
pub fn child_release_id(parent: &str, phase: &str, activity: &str, attempt: u32) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("trainyard:{parent}/{phase}/{activity}/{attempt}").as_bytes(),
    )
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_round_trip_and_activity_refs_parse() {
        let r = ActivityRef::new("beta", "deploy-prod0");
        let id = r.job_id("rel-1", 2);
        assert_eq!(id, "rel-1/beta/deploy-prod0/2");
        assert_eq!(parse_job_id(&id), Some(("rel-1", "beta", "deploy-prod0", 2)));
        assert_eq!(ActivityRef::parse("beta/deploy-prod0"), Some(r.clone()));
        assert_eq!(ActivityRef::parse("beta/"), None);
        assert_eq!(r.to_string(), "beta/deploy-prod0");
        assert_ne!(r.child_release_id("p", 0), r.child_release_id("p", 1));
    }
}

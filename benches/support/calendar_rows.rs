//! Synthetic store rows for the calendar benches (`benches/time.rs`, `benches/memory.rs`).

use chrono::Duration;
use trainyard::Timestamp;
use trainyard::release::{ReleaseKind, ReleaseStatus};
use trainyard::store::ReleaseRow;

/// `n` rows over 2025–2026: lengths from 1 hour to 2 weeks, 1 % running, 50 services, 6
/// environments.
pub fn rows(n: usize) -> Vec<ReleaseRow> {
    let base = "2025-01-01T00:00:00Z".parse::<Timestamp>().expect("timestamp");
    let mut seed: u64 = 2025;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    (0..n)
        .map(|i| {
            let start = base + Duration::minutes((next() % (2 * 365 * 24 * 60)) as i64);
            let len = Duration::minutes(60 + (next() % (14 * 24 * 60)) as i64);
            let status = match i % 100 {
                0 => ReleaseStatus::Running,
                1..=40 => ReleaseStatus::Success,
                41..=45 => ReleaseStatus::Failed,
                _ => ReleaseStatus::Scheduled,
            };
            let ended = matches!(status, ReleaseStatus::Success | ReleaseStatus::Failed);
            ReleaseRow {
                id: format!("r{i:06}"),
                name: format!("Release {i}"),
                process_id: "p".into(),
                process_version: 1,
                status,
                kind: if i % 10 == 0 { ReleaseKind::Hotfix } else { ReleaseKind::Standard },
                scope: "account".into(),
                group: (i % 3 == 0).then(|| "train".to_string()),
                archived: false,
                deleted: false,
                next_due: None,
                seq: 1,
                created_at: None,
                planned_start: Some(start),
                planned_end: Some(start + len),
                started_at: (status != ReleaseStatus::Scheduled).then_some(start),
                ended_at: ended.then_some(start + len),
                services: vec![format!("svc-{}", next() % 50)],
                environments: vec![format!("prod{}", next() % 6)],
                labels: Default::default(),
                version: None,
                updated_at: None,
            }
        })
        .collect()
}

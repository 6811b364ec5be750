//! The status tree of a release as text (what `trainyard show` and `make demo` print): the
//! release, each phase (rollback phases only once they run) and each activity, with a symbol, the
//! status (coloured when asked) and when it ran.
//!
//! ```
//! # use trainyard::display::{TreeFormat, write_status_tree};
//! # fn show(r: &trainyard::release::ReleaseState) -> std::io::Result<()> {
//! let format = TreeFormat { color: false, ..TreeFormat::default() };
//! write_status_tree(&mut std::io::stdout().lock(), r, &format)
//! # }
//! ```

use crate::Timestamp;
use crate::release::{ActivityStatus, PhaseStatus, ReleaseState, ReleaseStatus};
use std::io::Write;

/// An ANSI colour of a status word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// Succeeded.
    Green,
    /// Failed or aborted.
    Red,
    /// Waiting on a person (on hold, waiting for input, ignored).
    Yellow,
    /// Running or queued.
    Blue,
    /// Not started.
    Dim,
    /// No colour.
    Plain,
}

/// `text` in `colour` when `on`, else `text` as it is.
pub fn paint(on: bool, text: &str, colour: Colour) -> String {
    let code = match colour {
        Colour::Green => "32",
        Colour::Red => "31",
        Colour::Yellow => "33",
        Colour::Blue => "34",
        Colour::Dim => "2",
        Colour::Plain => return text.to_string(),
    };
    if on { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

/// How [`write_status_tree`] writes a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeFormat {
    /// ANSI colours on the status words.
    pub color: bool,
    /// The release id after the release's name and status.
    pub release_id: bool,
    /// The length of a finished phase or activity after its end (`2h05m`, `3d4h`).
    pub durations: bool,
    /// The `strftime` format of a time (shown in UTC).
    pub time_format: &'static str,
}

impl Default for TreeFormat {
    /// No colours, the release id, no durations, times as `2025-04-07 09:00`.
    fn default() -> Self {
        TreeFormat { color: false, release_id: true, durations: false, time_format: "%Y-%m-%d %H:%M" }
    }
}

impl TreeFormat {
    /// A time in [`TreeFormat::time_format`], `—` when absent.
    pub fn time(&self, t: Option<Timestamp>) -> String {
        t.map(|t| t.format(self.time_format).to_string()).unwrap_or_else(|| "—".into())
    }

    /// When something ran: `start → end` (with its length when [`TreeFormat::durations`]),
    /// `since start` while it runs, nothing before it starts.
    pub fn span(&self, start: Option<Timestamp>, end: Option<Timestamp>) -> String {
        match (start, end) {
            (Some(s), Some(e)) if self.durations => {
                format!("{} → {} ({})", self.time(start), self.time(end), human_duration(e - s))
            }
            (Some(_), Some(_)) => format!("{} → {}", self.time(start), self.time(end)),
            (Some(_), None) => format!("since {}", self.time(start)),
            _ => String::new(),
        }
    }
}

/// Writes the tree of `r` in `format`, one line for the release, each shown phase and each of its
/// activities.
pub fn write_status_tree(out: &mut dyn Write, r: &ReleaseState, format: &TreeFormat) -> std::io::Result<()> {
    write_status_tree_with(out, r, format, &[])
}

/// [`write_status_tree`], saying who holds each lock a node waits for: `locks` are the store's
/// rows of those locks ([`crate::Engine::locks`]; a waiting node's line reads ` — waits for lock
/// environment:prod1 held by "Week 15 train" since 2025-04-07 09:00`).
pub fn write_status_tree_with(
    out: &mut dyn Write,
    r: &ReleaseState,
    format: &TreeFormat,
    locks: &[crate::release::locks::LockEntry],
) -> std::io::Result<()> {
    let color = format.color;
    let status = paint(color, r.status.as_str(), release_colour(r.status));
    let rolled = if r.rolled_back { " (rolled back)" } else { "" };
    let id = if format.release_id { format!("  {}", r.id) } else { String::new() };
    writeln!(out, "{} {} [{status}]{rolled}{id}", release_symbol(r.status), r.name)?;
    let regular = r.plan().regular;
    for (i, ph) in r.phases.iter().enumerate() {
        if i >= regular && ph.status == PhaseStatus::Pending {
            continue; // rollback phases only matter when they run
        }
        let status = paint(color, &format!("{:<10}", ph.status.as_str()), phase_colour(ph.status));
        let span = format.span(ph.started_at, ph.ended_at);
        let note = waits_for_locks(r, &ph.id, None, locks, format).unwrap_or_default();
        writeln!(out, "  {} {:<12} {status} {span}{note}", phase_symbol(ph.status), ph.id)?;
        for a in &ph.activities {
            let attempt = if a.attempt > 0 { format!(" (attempt {})", a.attempt + 1) } else { String::new() };
            let note = a
                .error
                .as_deref()
                .filter(|_| a.status != ActivityStatus::Success)
                .map(|e| format!(" — {}", e.lines().next().unwrap_or(e)))
                .or_else(|| waits_for(r, &ph.id, &a.id))
                .or_else(|| waits_for_locks(r, &ph.id, Some(&a.id), locks, format))
                .unwrap_or_default();
            let status = paint(color, &format!("{:<18}", a.status.as_str()), activity_colour(a.status));
            let span = format.span(a.started_at, a.ended_at);
            writeln!(out, "      {} {:<16} {status} {span}{attempt}{note}", activity_symbol(a.status), a.id)?;
        }
    }
    Ok(())
}

/// ` — waits for <release> <phase> (<status>), …` for a gate that waits.
fn waits_for(r: &ReleaseState, phase: &str, activity: &str) -> Option<String> {
    let gate = r.waiting_gates().find(|g| g.target.phase == phase && g.target.activity == activity)?;
    let targets: Vec<String> =
        gate.resolved.as_ref()?.iter().map(|o| format!("{} ({})", o.describe().replace('/', " "), o.status)).collect();
    Some(format!(" — waits for {}", if targets.is_empty() { "nothing".to_string() } else { targets.join(", ") }))
}

/// ` — waits for lock <name> held by "<release>" since <time>, …` for a node whose request waits
/// (` — waits for lock <name>` when `locks` does not say who holds it).
fn waits_for_locks(
    r: &ReleaseState,
    phase: &str,
    activity: Option<&str>,
    locks: &[crate::release::locks::LockEntry],
    format: &TreeFormat,
) -> Option<String> {
    let waiting: Vec<&crate::release::locks::LockClaim> = r
        .locks
        .iter()
        .filter(|c| c.held_since.is_none() && c.request.phase == phase && c.request.activity.as_deref() == activity)
        .collect();
    if waiting.is_empty() {
        return None;
    }
    let parts: Vec<String> = waiting
        .iter()
        .map(|c| {
            let holders: Vec<String> = locks
                .iter()
                .filter(|e| e.claim.name == c.name && e.held() && e.release_id != r.id)
                .map(|e| format!("\"{}\" since {}", e.release_name, format.time(e.claim.held_since)))
                .collect();
            match holders.is_empty() {
                true => format!("lock {}", c.name),
                false => format!("lock {} held by {}", c.name, holders.join(" and ")),
            }
        })
        .collect();
    Some(format!(" — waits for {}", parts.join(", ")))
}

/// A length as the tree shows it: `<1m`, `45m`, `26h05m` (under two days), `3d4h`.
pub fn human_duration(d: chrono::Duration) -> String {
    match d.num_minutes() {
        m if m < 1 => "<1m".into(),
        m if m < 60 => format!("{m}m"),
        m if m < 60 * 48 => format!("{}h{:02}m", m / 60, m % 60),
        m => format!("{}d{}h", m / (60 * 24), (m / 60) % 24),
    }
}

/// The colour of a release status.
pub fn release_colour(s: ReleaseStatus) -> Colour {
    match s {
        ReleaseStatus::Success => Colour::Green,
        ReleaseStatus::PartialSuccess | ReleaseStatus::OnHold => Colour::Yellow,
        ReleaseStatus::Failed | ReleaseStatus::Aborted => Colour::Red,
        ReleaseStatus::Running => Colour::Blue,
        _ => Colour::Dim,
    }
}

fn phase_colour(s: PhaseStatus) -> Colour {
    match s {
        PhaseStatus::Success => Colour::Green,
        PhaseStatus::Failed | PhaseStatus::Aborted => Colour::Red,
        PhaseStatus::OnHold => Colour::Yellow,
        PhaseStatus::Running => Colour::Blue,
        _ => Colour::Dim,
    }
}

fn activity_colour(s: ActivityStatus) -> Colour {
    match s {
        ActivityStatus::Success => Colour::Green,
        ActivityStatus::Failed | ActivityStatus::Aborted => Colour::Red,
        ActivityStatus::OnHold | ActivityStatus::WaitingForInput | ActivityStatus::Ignored => Colour::Yellow,
        ActivityStatus::Running | ActivityStatus::Queued => Colour::Blue,
        _ => Colour::Plain,
    }
}

fn release_symbol(s: ReleaseStatus) -> &'static str {
    match s {
        ReleaseStatus::Success => "✔",
        ReleaseStatus::PartialSuccess => "◐",
        ReleaseStatus::Failed => "✖",
        ReleaseStatus::Aborted => "⊘",
        ReleaseStatus::OnHold => "⏸",
        ReleaseStatus::Running => "▶",
        _ => "○",
    }
}

fn phase_symbol(s: PhaseStatus) -> &'static str {
    match s {
        PhaseStatus::Success => "✔",
        PhaseStatus::Failed => "✖",
        PhaseStatus::Running => "▶",
        PhaseStatus::OnHold => "⏸",
        PhaseStatus::Scheduled => "◷",
        PhaseStatus::Skipped => "↷",
        PhaseStatus::Aborted => "⊘",
        PhaseStatus::Pending => "○",
    }
}

fn activity_symbol(s: ActivityStatus) -> &'static str {
    match s {
        ActivityStatus::Success => "✔",
        ActivityStatus::Failed => "✖",
        ActivityStatus::Running | ActivityStatus::Queued => "▶",
        ActivityStatus::WaitingForInput => "✋",
        ActivityStatus::OnHold => "⏸",
        ActivityStatus::Ignored => "~",
        ActivityStatus::Skipped => "↷",
        ActivityStatus::Aborted => "⊘",
        ActivityStatus::Pending => "○",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> Option<Timestamp> {
        Some(chrono::Utc.with_ymd_and_hms(2025, 4, 7, h, m, 0).unwrap())
    }

    #[test]
    fn span_shows_start_end_and_length_when_asked() {
        let plain = TreeFormat::default();
        assert_eq!(plain.span(at(9, 0), at(11, 5)), "2025-04-07 09:00 → 2025-04-07 11:05");
        assert_eq!(plain.span(at(9, 0), None), "since 2025-04-07 09:00");
        assert_eq!(plain.span(None, None), "");
        let timed = TreeFormat { durations: true, time_format: "%H:%M", ..plain };
        assert_eq!(timed.span(at(9, 0), at(11, 5)), "09:00 → 11:05 (2h05m)");
    }

    #[test]
    fn human_duration_picks_the_unit_by_size() {
        let mins = chrono::Duration::minutes;
        assert_eq!(human_duration(mins(0)), "<1m");
        assert_eq!(human_duration(mins(45)), "45m");
        assert_eq!(human_duration(mins(26 * 60 + 5)), "26h05m");
        assert_eq!(human_duration(mins(76 * 60)), "3d4h");
    }

    #[test]
    fn paint_colours_only_when_on() {
        assert_eq!(paint(true, "failed", Colour::Red), "\x1b[31mfailed\x1b[0m");
        assert_eq!(paint(false, "failed", Colour::Red), "failed");
        assert_eq!(paint(true, "pending", Colour::Plain), "pending");
    }
}

//! The status tree of a release (as `make demo` prints it), coloured when asked.

use crate::output::opt_time;
use std::io::Write;
use trainyard::release::{ActivityStatus, PhaseStatus, ReleaseState, ReleaseStatus};

/// An ANSI colour.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Colour {
    Green,
    Red,
    Yellow,
    Blue,
    Dim,
    Plain,
}

/// `text` in `colour` when `on`.
pub(crate) fn paint(on: bool, text: &str, colour: Colour) -> String {
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

/// The colour of a release status.
pub(crate) fn release_colour(s: ReleaseStatus) -> Colour {
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

/// Writes the tree: the release, each phase (rollback phases only once they run), each activity.
pub(crate) fn print_tree(out: &mut dyn Write, r: &ReleaseState, color: bool) -> std::io::Result<()> {
    let status = paint(color, r.status.as_str(), release_colour(r.status));
    let rolled = if r.rolled_back { " (rolled back)" } else { "" };
    writeln!(out, "{} {} [{status}]{rolled}  {}", release_symbol(r.status), r.name, r.id)?;
    let regular = r.plan().regular;
    for (i, ph) in r.phases.iter().enumerate() {
        if i >= regular && ph.status == PhaseStatus::Pending {
            continue;
        }
        let status = paint(color, &format!("{:<10}", ph.status.as_str()), phase_colour(ph.status));
        writeln!(out, "  {} {:<12} {status} {}", phase_symbol(ph.status), ph.id, span(ph.started_at, ph.ended_at))?;
        for a in &ph.activities {
            let attempt = if a.attempt > 0 { format!(" (attempt {})", a.attempt + 1) } else { String::new() };
            let note = a
                .error
                .as_deref()
                .filter(|_| a.status != ActivityStatus::Success)
                .map(|e| format!(" — {}", e.lines().next().unwrap_or(e)))
                .unwrap_or_default();
            let status = paint(color, &format!("{:<18}", a.status.as_str()), activity_colour(a.status));
            writeln!(
                out,
                "      {} {:<16} {status} {}{attempt}{note}",
                activity_symbol(a.status),
                a.id,
                span(a.started_at, a.ended_at)
            )?;
        }
    }
    Ok(())
}

fn span(start: Option<trainyard::Timestamp>, end: Option<trainyard::Timestamp>) -> String {
    match (start, end) {
        (Some(_), Some(_)) => format!("{} → {}", opt_time(start), opt_time(end)),
        (Some(_), None) => format!("since {}", opt_time(start)),
        _ => String::new(),
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

//! `doctor` (with a progress bar on a terminal, plain lines otherwise) and `metrics`.

use crate::args::{DoctorArgs, StoreArgs};
use crate::output::json_line;
use crate::{CliResult, Ctx, EXIT_OK, EXIT_PROBLEMS};
use indicatif::{ProgressBar, ProgressStyle};
use trainyard::{DoctorReport, Engine};

/// How progress is shown while the doctor reads a big store.
enum Progress {
    /// A bar on standard error (a terminal).
    Bar(Option<ProgressBar>),
    /// A plain line every so often.
    Lines { next: usize },
}

impl Progress {
    fn new(terminal: bool) -> Self {
        if terminal { Progress::Bar(None) } else { Progress::Lines { next: 0 } }
    }

    fn update(&mut self, err: &mut dyn std::io::Write, done: usize, total: usize) {
        match self {
            Progress::Bar(bar) => {
                let bar = bar.get_or_insert_with(|| {
                    let b = ProgressBar::new(total as u64);
                    if let Ok(style) = ProgressStyle::with_template("checking {bar:40} {pos}/{len} releases ({eta})") {
                        b.set_style(style);
                    }
                    b
                });
                bar.set_position(done as u64);
                if done == total {
                    bar.finish_and_clear();
                }
            }
            Progress::Lines { next } => {
                // About ten lines for a big store; none for a small one.
                if total >= 1_000 && (done >= *next || done == total) {
                    let _ = writeln!(err, "checked {done}/{total} releases");
                    *next = done + total / 10;
                }
            }
        }
    }
}

fn check(ctx: &mut Ctx<'_>, engine: &Engine) -> Result<DoctorReport, crate::Failure> {
    let mut progress = Progress::new(ctx.tty.stderr);
    let err = &mut *ctx.err;
    Ok(engine.doctor_with_progress(&mut |done, total| progress.update(err, done, total))?)
}

/// `doctor [--repair]`: exit 1 when releases cannot progress (after the repair, if asked).
pub(crate) fn doctor(ctx: &mut Ctx<'_>, engine: &Engine, a: &DoctorArgs, _store: &StoreArgs) -> CliResult {
    let mut report = check(ctx, engine)?;
    let mut repaired = None;
    if a.repair && !report.healthy() {
        let done = engine.repair(None)?;
        report = check(ctx, engine)?;
        repaired = Some(done);
    }
    if ctx.json() {
        json_line(
            ctx,
            &serde_json::json!({ "checked": report.checked, "findings": report.findings, "repair": repaired }),
        )?;
    } else {
        if let Some(r) = &repaired {
            writeln!(
                ctx.out,
                "repaired {} release(s): {} timer(s) and {} job(s) restored",
                r.repaired.len(),
                r.timers_restored,
                r.jobs_restored
            )?;
        }
        for f in &report.findings {
            let can = if f.can_progress { "partly stuck" } else { "cannot progress" };
            writeln!(ctx.out, "{} {} [{}] {can}:", f.release_id, f.name, f.status.as_str())?;
            for p in &f.problems {
                let fix = if p.repairable { " (--repair restores it)" } else { "" };
                writeln!(ctx.out, "  {}: {}{fix}", p.code, p.message)?;
            }
        }
        writeln!(ctx.out, "{} release(s) checked, {} with problems", report.checked, report.findings.len())?;
    }
    Ok(if report.healthy() { EXIT_OK } else { EXIT_PROBLEMS })
}

/// `metrics`: the Prometheus text (or `--json`, the snapshot's fields).
pub(crate) fn metrics(ctx: &mut Ctx<'_>, engine: &Engine, _store: &StoreArgs) -> CliResult {
    let snapshot = engine.metrics()?;
    if ctx.json() {
        json_line(ctx, &serde_json::to_value(&snapshot).unwrap_or_default())?;
    } else {
        write!(ctx.out, "{}", snapshot.prometheus_text())?;
    }
    Ok(EXIT_OK)
}

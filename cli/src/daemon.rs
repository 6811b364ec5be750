//! `watch`, `tick` and `run`: following the change feed and driving the engine, stopping on
//! SIGINT or SIGTERM.

use crate::args::{RunArgs, StoreArgs, WatchArgs};
use crate::output::{json_line, time};
use crate::{CliResult, Ctx, EXIT_OK, Failure};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use trainyard::Engine;
use trainyard::feed::FeedFilter;

/// Set when SIGINT or SIGTERM arrives; the thread that waits is woken.
struct Stop {
    flag: Arc<AtomicBool>,
    handle: Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stop {
    /// Starts listening for SIGINT and SIGTERM; `waiter` is unparked when one comes.
    fn listen(waiter: std::thread::Thread) -> Result<Stop, Failure> {
        let mut signals = Signals::new([SIGINT, SIGTERM])
            .map_err(|e| Failure::Usage(format!("cannot listen for SIGINT/SIGTERM: {e}")))?;
        let flag = Arc::new(AtomicBool::new(false));
        let handle = signals.handle();
        let set = flag.clone();
        let thread = std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                set.store(true, Ordering::SeqCst);
                waiter.unpark();
            }
        });
        Ok(Stop { flag, handle, thread: Some(thread) })
    }

    fn stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `watch [--after CURSOR] [--limit N]`: with `--as`, only the entries that actor may see.
pub(crate) fn watch(ctx: &mut Ctx<'_>, engine: &Engine, a: &WatchArgs, store: &StoreArgs) -> CliResult {
    let stop = Stop::listen(std::thread::current())?;
    let after = match a.after {
        Some(c) => c,
        None => engine.feed_head()?,
    };
    let mut watch = match store.actor() {
        Some(actor) => engine.watch_as(after, FeedFilter::default(), actor),
        None => engine.watch(after, FeedFilter::default()),
    };
    let mut seen = 0usize;
    while !stop.stopped() && a.limit.is_none_or(|n| seen < n) {
        let Some(entry) = watch.next_timeout(Duration::from_millis(200))? else { continue };
        seen += 1;
        if ctx.json() {
            json_line(ctx, &serde_json::to_value(&entry).unwrap_or_default())?;
        } else {
            let before = entry.status_before.map(|s| s.as_str()).unwrap_or("new");
            writeln!(
                ctx.out,
                "{} {} {} {}#{}..{} {before} → {} {}",
                entry.cursor,
                time(entry.at),
                entry.actor,
                entry.release,
                entry.seq_from,
                entry.seq_to,
                entry.status_after.as_str(),
                entry.kinds.join(",")
            )?;
        }
        ctx.out.flush()?;
    }
    Ok(EXIT_OK)
}

/// `tick`: one pass.
pub(crate) fn tick(ctx: &mut Ctx<'_>, engine: &Engine, _store: &StoreArgs) -> CliResult {
    let handled = engine.run_until_idle(100_000)?;
    if ctx.json() {
        json_line(ctx, &serde_json::json!({ "handled": handled }))?;
    } else {
        writeln!(ctx.out, "handled {handled} timer(s), job(s) and delivery(ies)")?;
    }
    Ok(EXIT_OK)
}

/// `run [--interval D] [--metrics]`: ticks until SIGINT/SIGTERM, waiting `interval` when idle.
pub(crate) fn run(ctx: &mut Ctx<'_>, engine: &Engine, a: &RunArgs, _store: &StoreArgs) -> CliResult {
    let stop = Stop::listen(std::thread::current())?;
    writeln!(ctx.err, "trainyard engine running (SIGINT or SIGTERM stops it)")?;
    ctx.err.flush()?;
    let mut handled = 0usize;
    while !stop.stopped() {
        let n = engine.tick()?;
        handled += n;
        if n == 0 && !stop.stopped() {
            // Woken early by a signal; otherwise look again after the interval.
            std::thread::park_timeout(a.interval);
        }
    }
    writeln!(ctx.err, "stopped after handling {handled} timer(s), job(s) and delivery(ies)")?;
    if a.metrics {
        write!(ctx.out, "{}", engine.metrics()?.prometheus_text())?;
    } else if ctx.json() {
        json_line(ctx, &serde_json::json!({ "handled": handled }))?;
    }
    Ok(EXIT_OK)
}

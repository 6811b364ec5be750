//! `make demo`: the two-week system release train of the domain reference, end to end, on the
//! embedded default store (a SQLite file under `target/demo/`), with a manual clock so it finishes
//! in seconds.
//!
//! A weekly release group creates the train every Monday 09:00. Week one: branch cut and QA deploy
//! (the built-in `command` executor running `examples/scripts/`), alpha fixes until Thursday noon,
//! QA sign-off by two approvers. Week two: beta to prod 0 (the deploy fails once and is retried)
//! with a two-day soak, beta fixes, then prod 1 (Monday), a hotfix release that waits at its gate for prod 1 and goes out before prod 2,
//! prod 2 (Wednesday) and prod 3 (the Monday after). The group meanwhile generates the second
//! week's train. The demo prints a status tree per day, the month's calendar with its conflicts,
//! the audit trail of the first train, and writes `target/demo/calendar.ics`.

use chrono::{Datelike, Duration, TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::calendar::CalendarFilter;
use trainyard::display::{TreeFormat, write_status_tree};
use trainyard::executor::command::CommandExecutor;
use trainyard::release::NewRelease;
use trainyard::schedule::{Clock, ManualClock, ReleaseGroup};
use trainyard::{Engine, ReleaseFilter, Result, Timestamp};

fn main() {
    if let Err(e) = run() {
        eprintln!("demo failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = examples.join("../target/demo");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("target/demo is writable");
    // deploy.sh fails once for prod0: the beta deploy's first attempt fails and is retried.
    // SAFETY: set before any thread is started.
    unsafe {
        std::env::set_var("FAIL_ONCE_ENV", "prod0");
        std::env::set_var("FAIL_ONCE_FILE", out.join("prod0-failed-once"));
    }

    let monday = Utc.with_ymd_and_hms(2025, 4, 7, 8, 0, 0).unwrap();
    let clock = ManualClock::new(monday);
    let url = format!("sqlite://{}", out.join("trainyard.db").display());
    let engine = Engine::open_with(&url, Arc::new(clock.clone()))?;
    engine.register_executor(
        "command",
        CommandExecutor::new().with_base_dir(&examples).with_clock(Arc::new(clock.clone())),
    );
    for file in ["system-release-train.yaml", "hotfix.yaml"] {
        let text = std::fs::read_to_string(examples.join("processes").join(file)).expect("example process");
        engine.register_process(&text)?;
    }

    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let quinn = Actor::new("quinn").with_groups(["qa"]);
    let stakeholder = Actor::new("stakeholder-1");
    let dev = Actor::new("dana").with_groups(["development"]);
    let ops = Actor::new("oscar").with_groups(["operations"]);

    println!("trainyard demo — the two-week system release train, on {url}\n");
    let group = ReleaseGroup::from_text(
        r#"
id: system-train
name: System Release Train
process: system-release-train
cadence: { every: week, on: monday, at: "09:00" }
timezone: UTC
duration: 2w
starts_on: 2025-04-07
name_template: "Week {iso_week} System Release - {month} {year}"
kind: system
inputs: { releaseVersion: 2.1.3, services: [payment-service, user-service], environment: prod3 }
"#,
    )?;
    engine.create_release_group(group, &rita)?;
    let trains = engine.list_releases(&ReleaseFilter { group: Some("system-train".into()), ..Default::default() })?;
    println!("release group `system-train` materialised {} scheduled release(s) for the next 90 days:", trains.len());
    for t in trains.iter().take(3) {
        println!("  • {} — starts {}", t.name, fmt_time(t.schedule.as_ref().map(|s| s.start)));
    }
    println!("  • …\n");
    let train = trains.first().expect("the first Monday's train").id.clone();

    let at = |day: u32, hour: u32, min: u32| Utc.with_ymd_and_hms(2025, 4, day, hour, min, 0).unwrap();
    // Week one.
    goto(&engine, &clock, at(7, 9, 30))?;
    show(&engine, &train, "Monday — the clock activated the train: branch cut and QA deploy ran")?;
    goto(&engine, &clock, at(8, 9, 0))?;
    show(&engine, &train, "Tuesday — alpha fixes land")?;
    goto(&engine, &clock, at(10, 12, 30))?;
    show(&engine, &train, "Thursday noon — the alpha fixes window closed; development confirms the fixes")?;
    engine.complete_manual(&train, "alpha-fixes", "fixes-done", &dev, values(&[("mergedFixes", 4.into())]))?;
    goto(&engine, &clock, at(10, 17, 15))?;
    show(&engine, &train, "Thursday 17:00 — QA sign-off opened")?;
    engine.approve(&train, "qa-signoff", "signoff", &quinn, Some("regression suite green"))?;
    goto(&engine, &clock, at(10, 17, 45))?;
    engine.approve(&train, "qa-signoff", "signoff", &stakeholder, Some("go"))?;
    show(&engine, &train, "Thursday evening — QA and the stakeholder signed off")?;
    // Week two.
    goto(&engine, &clock, at(11, 9, 30))?;
    show(&engine, &train, "Friday — beta to prod 0: the first deploy failed and was retried; the soak runs")?;
    // A security hotfix, approved now, goes out between prod 1 and prod 2: its gate waits for the
    // train's prod 1 (the hotfix process's `after-prod1` gate, given the train's id).
    let hotfix = engine.create_release(
        "hotfix",
        NewRelease {
            name: "Hotfix: Security Patch CVE-2025-1234".into(),
            kind: "hotfix".parse()?,
            inputs: values(&[
                ("version", "2.1.3-hotfix.1".into()),
                ("ticket", "SEC-1234".into()),
                ("environment", "prod1".into()),
                ("train", train.clone().into()),
            ]),
            ..Default::default()
        },
        &rita,
    )?;
    engine.activate(&hotfix.id, &rita)?;
    goto(&engine, &clock, at(11, 9, 50))?;
    engine.approve(&hotfix.id, "approve", "approve", &ops, Some("patch reviewed"))?;
    show(&engine, &hotfix.id, "Friday — a hotfix is built and approved; its gate waits for the train's prod 1")?;
    goto(&engine, &clock, at(13, 9, 30))?;
    show(&engine, &train, "Sunday — the soak is over; beta fixes")?;
    engine.complete_manual(
        &train,
        "beta-fixes",
        "beta-fixes-done",
        &dev,
        values(&[("notes", "two fixes cherry-picked".into())]),
    )?;
    goto(&engine, &clock, at(14, 9, 30))?;
    show(&engine, &train, "Monday — prod 1")?;
    goto(&engine, &clock, at(14, 10, 0))?;
    engine.complete_manual(
        &hotfix.id,
        "deploy",
        "sanity",
        &quinn,
        values(&[("evidence", "https://ci.example/sanity/981".into())]),
    )?;
    show(&engine, &hotfix.id, "Monday — prod 1 done: the gate opened and the hotfix deployed before prod 2")?;

    goto(&engine, &clock, at(16, 9, 30))?;
    show(&engine, &train, "Wednesday — prod 2")?;
    goto(&engine, &clock, at(21, 9, 30))?;
    show(&engine, &train, "The Monday after — prod 3 completes the rollout")?;

    let second = engine
        .list_releases(&ReleaseFilter { group: Some("system-train".into()), ..Default::default() })?
        .into_iter()
        .find(|r| r.id != train && r.started_at.is_some())
        .map(|r| r.id);
    if let Some(second) = second {
        show(&engine, &second, "Meanwhile: the next week's train, generated by the group, waits for its people")?;
    }

    calendar(&engine, &out)?;
    audit(&engine, &train)?;
    Ok(())
}

fn values(pairs: &[(&str, serde_json::Value)]) -> indexmap::IndexMap<String, serde_json::Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Moves the clock to `target` in five-minute steps, letting the engine do what becomes due
/// (timers fire at their due time; jobs run within five minutes of being queued).
fn goto(engine: &Engine, clock: &ManualClock, target: Timestamp) -> Result<()> {
    while clock.now() < target {
        let step = (target - clock.now()).min(Duration::minutes(5));
        clock.advance(step);
        engine.run_until_idle(100_000)?;
    }
    Ok(())
}

fn show(engine: &Engine, id: &str, title: &str) -> Result<()> {
    let r = engine.get_release(id)?;
    println!("── {title} ({})", fmt_time(Some(engine.clock().now())));
    write_status_tree(&mut std::io::stdout().lock(), &r, &DEMO_TREE).expect("stdout is writable");
    println!();
    Ok(())
}

/// The status tree as `make demo` shows it: no release id, times as `Mon 07 Apr 09:00`, with durations.
const DEMO_TREE: TreeFormat =
    TreeFormat { color: false, release_id: false, durations: true, time_format: "%a %d %b %H:%M" };

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn fmt_time(t: Option<Timestamp>) -> String {
    DEMO_TREE.time(t)
}

fn calendar(engine: &Engine, out: &Path) -> Result<()> {
    let from = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2025, 5, 1, 0, 0, 0).unwrap();
    let entries = engine.calendar(from, to, &CalendarFilter::default())?;
    println!("══ Release calendar, {} {}", from.format("%B"), from.year());
    for e in &entries {
        println!("  {:<44} {:<16} {} → {}", e.name, e.status.as_str(), fmt_time(Some(e.start)), fmt_time(Some(e.end)));
        for p in e.phases.iter().filter(|p| !p.planned) {
            println!("      {:<12} {} → {}", p.phase_id, fmt_time(Some(p.start)), fmt_time(Some(p.end)));
        }
    }
    let conflicts = engine.conflicts(from, to)?;
    let name_of = |id: &String| {
        entries.iter().find(|e| &e.release_id == id).map(|e| e.name.clone()).unwrap_or_else(|| id.clone())
    };
    println!(
        "\n  {} conflict(s) (releases whose windows overlap on a shared service or environment):",
        conflicts.len()
    );
    for c in conflicts.iter().take(8) {
        let names: Vec<String> = c.release_ids.iter().map(name_of).collect();
        println!(
            "  ⚠ {} — {} ({} → {})",
            c.resource,
            names.join(" ↔ "),
            fmt_time(Some(c.start)),
            fmt_time(Some(c.end))
        );
    }
    if conflicts.len() > 8 {
        println!("  … and {} more", conflicts.len() - 8);
    }
    let ics = engine.calendar_ics(from, to, &CalendarFilter::default())?;
    let path = out.join("calendar.ics");
    std::fs::write(&path, ics).expect("write calendar.ics");
    println!("\n  iCalendar written to {}\n", path.display());
    Ok(())
}

fn audit(engine: &Engine, id: &str) -> Result<()> {
    println!("══ Audit trail of the first train");
    for e in engine.history(id)? {
        let what = match &e.kind {
            trainyard::release::EventKind::ApprovalRecorded { target, approver, approved, .. } => {
                format!("{} {target} by {approver}", if *approved { "approved" } else { "rejected" })
            }
            trainyard::release::EventKind::ActivityFailed { target, message, .. } => {
                format!("{target} failed: {}", first_line(message))
            }
            trainyard::release::EventKind::PhaseEnded { phase, status, .. } => format!("phase {phase} ended {status}"),
            trainyard::release::EventKind::Ended { status } => format!("release ended {status}"),
            other => {
                let target = serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.get("data").cloned())
                    .map(|d| {
                        match (d.get("phase").and_then(|p| p.as_str()), d.get("activity").and_then(|a| a.as_str())) {
                            (Some(p), Some(a)) => format!(" {p}/{a}"),
                            (Some(p), None) => format!(" {p}"),
                            _ => String::new(),
                        }
                    })
                    .unwrap_or_default();
                format!("{}{target}", other.name().replace('_', " "))
            }
        };
        let comment = e.comment.as_deref().map(|c| format!("  “{c}”")).unwrap_or_default();
        println!("  {:>3} {} {:<9} {what}{comment}", e.seq, e.at.format("%a %d %H:%M"), e.actor);
    }
    Ok(())
}

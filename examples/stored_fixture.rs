//! Writes the stored-data fixture of this version: a SQLite database with a few releases in
//! every common state, and the views and histories a replay of it must give (JSON).
//!
//! ```sh
//! cargo run -p trainyard-examples --example stored_fixture -- testdata/stored
//! ```
//!
//! writes `testdata/stored/v<version>.sqlite` and `v<version>.views.json`. Run it once per
//! released version and commit both files; never rewrite a released version's fixture:
//! `core/tests/stored_fixtures.rs` opens every one, migrates it forward and replays it.

#[path = "../core/tests/support/stored_views.rs"]
#[allow(dead_code)] // `differences` is the test's
mod stored_views;

use chrono::Duration;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::NewRelease;
use trainyard::schedule::{Clock, ManualClock};
use trainyard::{Engine, Result};

/// When the fixture's clock starts (a Monday).
pub const START: &str = "2025-04-07T09:00:00Z";

const WEEKLY: &str = r#"
id: weekly
inputs:
  env: { type: string, default: qa }
phases:
  - id: deploy
    activities:
      - { id: rollout, kind: automated, executor: deploy, outputs: [url] }
  - id: signoff
    depends_on: [deploy]
    not_before: 1d
    activities:
      - { id: qa, kind: approval, approvers: [{ group: qa }] }
"#;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "testdata/stored".into()));
    if let Err(e) = run(&dir) {
        eprintln!("stored_fixture failed: {e}");
        std::process::exit(1);
    }
}

fn run(dir: &std::path::Path) -> Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let db = dir.join(format!("v{version}.sqlite"));
    let views = dir.join(format!("v{version}.views.json"));
    std::fs::create_dir_all(dir).expect("the fixture directory can be created");
    for f in [&db, &views] {
        let _ = std::fs::remove_file(f);
    }
    let clock = ManualClock::new(START.parse().expect("a time"));
    let engine = Engine::open_with(&format!("sqlite://{}", db.display()), Arc::new(clock.clone()))?;
    // Every fifth event is snapshotted, so the fixture holds snapshots as well as events.
    engine.set_snapshot_every(5);
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    engine.register_executor("deploy", move |job: &Job| {
        // The second release's first rollout fails once (then it is retried by hand).
        if seen.fetch_add(1, Ordering::SeqCst) == 1 {
            Outcome::failure("connection reset by peer")
        } else {
            Outcome::with_outputs([("url", format!("https://{}.example", job.phase_id))])
        }
    });
    engine.register_process(WEEKLY)?;
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let quinn = Actor::new("quinn").with_groups(["qa"]);
    let new = |name: &str| NewRelease { name: name.into(), owners: vec!["rita".into()], ..Default::default() };

    // 1: the whole way (deploy, a day's wait, the approval) to success.
    let done = engine.create_release("weekly", new("1 week 15"), &rita)?;
    engine.schedule(&done.id, &rita, clock.now(), None, true)?;
    engine.run_until_idle(1_000)?;
    // 2: the rollout fails, is retried and succeeds; then waits for the sign-off.
    let retried = engine.create_release("weekly", new("2 week 16"), &rita)?;
    engine.activate(&retried.id, &rita)?;
    engine.run_until_idle(1_000)?;
    engine.retry(&retried.id, "deploy", "rollout", &rita, None, Some("network blip"))?;
    engine.run_until_idle(1_000)?;
    clock.advance(Duration::days(1));
    engine.run_until_idle(1_000)?;
    engine.approve(&done.id, "signoff", "qa", &quinn, Some("ok"))?;
    // 3: aborted while running; 4: a draft, updated; 5: scheduled a week ahead.
    let aborted = engine.create_release("weekly", new("3 aborted"), &rita)?;
    engine.activate(&aborted.id, &rita)?;
    engine.run_until_idle(1_000)?;
    engine.abort(&aborted.id, &rita, "superseded by week 16")?;
    let draft = engine.create_release("weekly", new("4 draft"), &rita)?;
    let inputs = [("env".to_string(), serde_json::json!("staging"))].into_iter().collect();
    let changes = trainyard::release::ReleaseChanges {
        name: Some("4 draft (staging)".into()),
        inputs: Some(inputs),
        ..Default::default()
    };
    engine.update_release(&draft.id, &rita, changes, None)?;
    let later = engine.create_release("weekly", new("5 next week"), &rita)?;
    engine.schedule(&later.id, &rita, clock.now() + Duration::days(7), None, true)?;
    engine.run_until_idle(1_000)?;

    let text = serde_json::to_string_pretty(&stored_views::stored_views(&engine)?).expect("JSON") + "\n";
    drop(engine);
    std::fs::write(&views, text).expect("the views file can be written");
    // The last connection to close folds the WAL into the database: one file to commit.
    assert!(!db.with_extension("sqlite-wal").exists(), "a WAL file remains next to {}", db.display());
    println!("wrote {} and {}", db.display(), views.display());
    Ok(())
}

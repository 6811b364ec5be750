//! Criterion benches of the release lifecycle.
//!
//! * `transition/N` — one activity transition (an executor reports success; the next activity of
//!   the chain is queued) through the pure `decide` + `evolve` + advance loop, in a process of N
//!   activities. The cost must stay flat as N grows (incremental readiness).
//! * `engine_chain/N` — a whole release of N chained automated activities driven to completion
//!   through the in-memory engine with an in-process executor (throughput = transitions).
//!
//! * `risk/assess/N` — the risk assessment of a running release of N chained phases with a planned
//!   end (`trainyard::release::risk::assess`: one forecast, then the bisection for the moment it
//!   turns late). `risk/phase_step_plain/N` and `risk/phase_step_assessed/N` — one command that ends
//!   a phase and starts the next through `step`, without and with the phase history (the second
//!   pays for the assessment), side by side.
//!
//! * `gate_wake/N` — N releases wait at a gate for one target release; the target's last command
//!   (a manual step that ends it) is measured: it opens all N gates through the engine (one report
//!   and one commit per gate, each gate's release then waits at a manual step). Throughput = gates,
//!   so the time per element is what waking one gate costs; it must stay flat as N grows.
//!   `gate_wake/plain` is the same last command with nobody waiting, for comparison.
//!
//! * `lock_contention/{plain,locked}/N` — N releases of a one-phase process (one automated
//!   activity) activated at once and driven to their end through the in-memory engine; `locked`
//!   has the phase hold one lock `env`, so the releases run one after the other through its queue
//!   (each asks, waits, is granted, and lets go for the next). Throughput = releases: the time per
//!   element is what one release costs with and without contention, side by side.
//!
//! Run: `cargo bench -p trainyard --bench lifecycle`; results in `benches/RESULTS.md`.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::sync::Arc;
use trainyard::access::Actor;
use trainyard::executor::{Job, Outcome};
use trainyard::release::{
    ActivityRef, Command, Ctx, NewRelease, Plan, ReleaseState, decide, decide_create, evolve, risk, step,
};
use trainyard::report::PhaseHistory;
use trainyard::{Engine, load_process};

/// A process with one phase holding a chain of `n` automated activities.
fn chain(n: usize) -> String {
    let mut text = String::from("id: chain\nphases:\n  - id: p\n    activities:\n");
    for i in 0..n {
        let dep = if i == 0 { String::new() } else { format!(", depends_on: [a{}]", i - 1) };
        text.push_str(&format!("      - {{ id: a{i}, kind: automated, executor: x{dep} }}\n"));
    }
    text
}

fn apply(state: &mut ReleaseState, cmd: &Command, ctx: &Ctx<'_>) {
    let events = decide(state, cmd, ctx).expect("decide");
    for e in &events {
        evolve(state, e);
    }
    loop {
        let more = decide(state, &Command::Advance, ctx).expect("advance");
        if more.is_empty() {
            break;
        }
        for e in &more {
            evolve(state, e);
        }
    }
}

/// A release of `n` chained activities, just activated: activity a0 is queued.
fn activated(n: usize) -> ReleaseState {
    let process = load_process(&chain(n)).expect("valid").process;
    let plan = Plan::new(Arc::new(process), 1);
    let actor = Actor::system();
    let now = "2025-04-07T09:00:00Z".parse().unwrap();
    let ctx = Ctx { now, actor: &actor, comment: None, frozen_until: None, phase_history: None };
    let mut state = ReleaseState::new("r", plan.clone());
    let new = NewRelease { name: "bench".into(), scope: "account".into(), ..Default::default() };
    for e in decide_create(&plan, &new, &ctx).unwrap() {
        evolve(&mut state, &e);
    }
    apply(&mut state, &Command::Activate { force: false }, &ctx);
    state
}

/// Per-transition cost: every activity of the chain reports success in turn (each report ends one
/// activity and queues the next), so the time per element is the cost of one transition in a
/// process of `n` activities.
fn transition(c: &mut Criterion) {
    let mut group = c.benchmark_group("transition");
    for n in [10usize, 1_000, 10_000] {
        let state = activated(n);
        let jobs: Vec<String> = (0..n).map(|i| trainyard::release::job_id("r", "p", &format!("a{i}"), 0)).collect();
        let actor = Actor::system();
        let now = "2025-04-07T10:00:00Z".parse().unwrap();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter_batched(
                || state.clone(),
                |mut s| {
                    let ctx = Ctx { now, actor: &actor, comment: None, frozen_until: None, phase_history: None };
                    for job in &jobs {
                        apply(&mut s, &Command::SucceedJob { job_id: job.clone(), outputs: Default::default() }, &ctx);
                    }
                    assert_eq!(s.status.as_str(), "success");
                    s // dropped outside the measurement
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn engine_chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_chain");
    group.sample_size(10);
    for n in [10usize, 1_000] {
        let text = chain(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter_batched(
                || {
                    let engine = Engine::in_memory();
                    engine.register_executor("x", |_: &Job| Outcome::success());
                    engine.register_process(&text).unwrap();
                    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
                    let r = engine
                        .create_release("chain", NewRelease { name: "b".into(), ..Default::default() }, &rita)
                        .unwrap();
                    (engine, r.id, rita)
                },
                |(engine, id, rita)| {
                    engine.activate(&id, &rita).unwrap();
                    engine.run_until_idle(usize::MAX).unwrap();
                    assert_eq!(engine.get_release(&id).unwrap().status.as_str(), "success");
                    engine // dropped outside the measurement
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// A process of `n` chained phases, each planned for 10 minutes with one manual activity.
fn phase_chain(n: usize) -> String {
    let mut text = String::from("id: phases\nphases:\n");
    for i in 0..n {
        let dep = if i == 0 { String::new() } else { format!("\n    depends_on: [p{}]", i - 1) };
        text.push_str(&format!("  - id: p{i}{dep}\n    duration: 10m\n    activities: [{{ id: a, kind: manual }}]\n"));
    }
    text
}

/// A release of `phase_chain(n)` scheduled to end after exactly its planned length plus an hour,
/// then activated: the first phase runs.
fn running_with_end(n: usize) -> ReleaseState {
    let process = load_process(&phase_chain(n)).expect("valid").process;
    let plan = Plan::new(Arc::new(process), 1);
    let actor = Actor::system();
    let now: trainyard::Timestamp = "2025-04-07T09:00:00Z".parse().unwrap();
    let ctx = Ctx { now, actor: &actor, comment: None, frozen_until: None, phase_history: None };
    let new = NewRelease { name: "bench".into(), scope: "account".into(), ..Default::default() };
    let (mut state, _) = trainyard::release::step_create("r", plan, &new, &ctx).unwrap();
    let end = now + chrono::Duration::minutes(10 * n as i64 + 60);
    step(&mut state, &Command::Schedule { start: now, end: Some(end), auto_start: false }, &ctx).unwrap();
    step(&mut state, &Command::Activate { force: false }, &ctx).unwrap();
    state
}

fn risk(c: &mut Criterion) {
    let mut group = c.benchmark_group("risk");
    let actor = Actor::system();
    let now: trainyard::Timestamp = "2025-04-07T09:05:00Z".parse().unwrap();
    for n in [10usize, 100] {
        let state = running_with_end(n);
        // Every phase has run before: its median is 12 minutes (all of them later than planned).
        let medians: PhaseHistory = (0..n).map(|i| (format!("p{i}"), (12 * 60, 5))).collect();
        group.bench_with_input(BenchmarkId::new("assess", n), &n, |b, _| {
            b.iter(|| risk::assess(&state, &medians, now).expect("assessed"))
        });
        let finish = Command::CompleteManual { target: ActivityRef::new("p0", "a"), values: Default::default() };
        for (name, history) in [("phase_step_plain", None), ("phase_step_assessed", Some(&medians))] {
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter_batched(
                    || state.clone(),
                    |mut s| {
                        let ctx = Ctx { now, actor: &actor, comment: None, frozen_until: None, phase_history: history };
                        step(&mut s, &finish, &ctx).expect("step");
                        s // dropped outside the measurement
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

const GATE_TARGET: &str =
    "id: target\nphases:\n  - id: p\n    activities:\n      - { id: done, kind: manual, owners: [rita] }\n";
const GATED: &str = "id: gated\ninputs:\n  target: { type: string, required: true }\nphases:\n  - id: wait\n    \
activities:\n      - { id: gate, kind: gate, targets: [{ release: \"${inputs.target}\" }] }\n  - id: next\n    \
depends_on: [wait]\n    activities:\n      - { id: go, kind: manual, owners: [rita] }\n";

/// An engine with a target release and `n` activated releases waiting at a gate for it.
fn gated_engine(n: usize) -> (Engine, String, Actor) {
    let engine = Engine::in_memory();
    engine.register_process(GATE_TARGET).unwrap();
    engine.register_process(GATED).unwrap();
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let target = engine.create_release("target", NewRelease { name: "t".into(), ..Default::default() }, &rita).unwrap();
    engine.activate(&target.id, &rita).unwrap();
    for i in 0..n {
        let inputs = [("target".to_string(), serde_json::Value::from(target.id.clone()))].into_iter().collect();
        let new = NewRelease { name: format!("g{i}"), inputs, ..Default::default() };
        let r = engine.create_release("gated", new, &rita).unwrap();
        engine.activate(&r.id, &rita).unwrap();
    }
    (engine, target.id, rita)
}

fn gate_wake(c: &mut Criterion) {
    let mut group = c.benchmark_group("gate_wake");
    group.sample_size(10);
    for (name, n) in [("plain", 0usize), ("10", 10), ("1000", 1_000)] {
        group.throughput(Throughput::Elements(n.max(1) as u64));
        group.bench_function(name, |b| {
            b.iter_batched(
                || gated_engine(n),
                |(engine, target, rita)| {
                    engine.complete_manual(&target, "p", "done", &rita, Default::default()).unwrap();
                    engine // dropped outside the measurement
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    // What the measurement relies on: every gate opened.
    let (engine, target, rita) = gated_engine(3);
    engine.complete_manual(&target, "p", "done", &rita, Default::default()).unwrap();
    let waiting =
        engine.query_releases(&Default::default()).unwrap().into_iter().filter(|r| r.status.as_str() == "running");
    assert_eq!(waiting.count(), 0, "no gated release is left running at its gate");
}

/// A one-phase process whose phase holds the lock `env` (or no lock) while its automated step runs.
fn one_step(locked: bool) -> String {
    let locks = if locked { "    locks: [env]\n" } else { "" };
    format!(
        "id: deploy\nphases:\n  - id: p\n{locks}    activities:\n      - {{ id: a, kind: automated, executor: x }}\n"
    )
}

/// An engine with `n` draft releases of [`one_step`].
fn contending(n: usize, locked: bool) -> (Engine, Vec<String>, Actor) {
    let engine = Engine::in_memory();
    engine.register_executor("x", |_: &Job| Outcome::success());
    engine.register_process(&one_step(locked)).unwrap();
    let rita = Actor::new("rita").with_roles(["account_release_manager"]);
    let ids = (0..n)
        .map(|i| {
            let new = NewRelease { name: format!("r{i}"), ..Default::default() };
            engine.create_release("deploy", new, &rita).unwrap().id
        })
        .collect();
    (engine, ids, rita)
}

/// Activates every release, then drives them all to their end.
fn drive_all(engine: &Engine, ids: &[String], rita: &Actor) {
    for id in ids {
        engine.activate(id, rita).unwrap();
    }
    engine.run_until_idle(usize::MAX).unwrap();
}

fn lock_contention(c: &mut Criterion) {
    let mut group = c.benchmark_group("lock_contention");
    group.sample_size(10);
    for n in [10usize, 100] {
        group.throughput(Throughput::Elements(n as u64));
        for (name, locked) in [("plain", false), ("locked", true)] {
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
                b.iter_batched(
                    || contending(n, locked),
                    |(engine, ids, rita)| {
                        drive_all(&engine, &ids, &rita);
                        engine // dropped outside the measurement
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
    // What the measurement relies on: every release ran to success, one at a time.
    let (engine, ids, rita) = contending(5, true);
    drive_all(&engine, &ids, &rita);
    for id in &ids {
        assert_eq!(engine.get_release(id).unwrap().status.as_str(), "success");
    }
    assert!(engine.locks(None).unwrap().is_empty(), "nothing is left holding or waiting");
}

criterion_group!(benches, transition, engine_chain, risk, gate_wake, lock_contention);
criterion_main!(benches);

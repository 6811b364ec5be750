//! Criterion benches of expression evaluation (`trainyard::expr`), on the caller's thread.
//!
//! * `expressions/condition` — one `if:` condition (`inputs.count > 2 && inputs.env != 'qa'`),
//!   compiled program taken from the cache, context built, evaluated.
//! * `expressions/template` — one string with two `${…}` parts and text around them.
//! * `expressions/typed` — a string that is exactly one `${…}` (the typed value is kept).
//! * `expressions/variables` — the three global variables of the process, each using the ones
//!   before it (what an activity's scope computes before its inputs are rendered).
//! * `expressions/compile` — parsing and checking one expression without the cache.
//!
//! Run: `cargo bench -p trainyard --bench expressions`; results in `benches/RESULTS.md`.

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;
use trainyard::expr::{compile, eval};
use trainyard::load_process;
use trainyard::release::{Plan, ReleaseState};

const PROCESS: &str = r#"
id: bench
inputs:
  version: { type: string, default: "1.2.3" }
  count: { type: number, default: 3 }
  env: { type: string, default: prod }
variables:
  branch: "release/${inputs.version}"
  tag: "v${inputs.version}-${inputs.env}"
  label: "${vars.branch}:${vars.tag}"
phases:
  - id: build
    activities:
      - { id: compile, kind: automated, executor: x, outputs: [artifact] }
"#;

fn state() -> ReleaseState {
    let process = load_process(PROCESS).expect("valid").process;
    let mut s = ReleaseState::new("r-1", Plan::new(Arc::new(process), 1));
    for (k, v) in [("version", json!("1.2.3")), ("count", json!(3)), ("env", json!("prod"))] {
        s.inputs.insert(k.into(), v);
    }
    s
}

fn expressions(c: &mut Criterion) {
    let s = state();
    let scope = eval::Scope::activity(&s, 0, 0);
    let mut g = c.benchmark_group("expressions");
    g.bench_function("condition", |b| {
        b.iter(|| eval::eval_condition(black_box("inputs.count > 2 && inputs.env != 'qa'"), &scope).unwrap())
    });
    let template = json!("release/${inputs.version} for ${inputs.env.upperAscii()}");
    g.bench_function("template", |b| b.iter(|| eval::interpolate(black_box(&template), &scope).unwrap()));
    let typed = json!("${inputs.count + 1}");
    g.bench_function("typed", |b| b.iter(|| eval::interpolate(black_box(&typed), &scope).unwrap()));
    g.bench_function("variables", |b| b.iter(|| eval::variables(black_box(&scope)).unwrap()));
    g.bench_function("compile", |b| {
        b.iter(|| compile::compile(black_box("phases.build.activities.compile.outputs.artifact.startsWith('s3://')")))
    });
    g.finish();
}

criterion_group!(benches, expressions);
criterion_main!(benches);

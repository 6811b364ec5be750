//! Shared by the fuzz targets (`fuzz_definitions.rs`, `fuzz_expressions.rs`): the batch runner
//! that honours `FUZZ_SECONDS`, and the byte edits that turn valid text into near-valid text.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use std::fmt::Debug;
use std::time::{Duration, Instant};

/// Runs `check` over values of `strategy`: one batch, or batches until `FUZZ_SECONDS` have passed.
/// `check` returns how long the case took and its size in bytes; the slowest case is reported.
pub fn fuzz_timed<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value) -> (Duration, usize))
where
    S::Value: Debug,
{
    let deadline = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|s| Instant::now() + Duration::from_secs(s));
    let slowest = Cell::new((Duration::ZERO, 0));
    let mut batches = 0u64;
    loop {
        let mut runner = TestRunner::new(Config { failure_persistence: None, ..Config::default() });
        if let Err(e) = runner.run(&strategy, |v| {
            let case = check(v);
            if case.0 > slowest.get().0 {
                slowest.set(case);
            }
            Ok(())
        }) {
            panic!("{e}");
        }
        batches += 1;
        if deadline.is_none_or(|d| Instant::now() >= d) {
            break;
        }
    }
    let (took, bytes) = slowest.get();
    let cases = Config::default().cases;
    if took > Duration::ZERO {
        eprintln!(
            "{name}: {batches} batch(es) of {cases} cases without a failure; slowest case {took:?} ({bytes} bytes)"
        );
    } else {
        eprintln!("{name}: {batches} batch(es) of {cases} cases without a failure");
    }
}

/// [`fuzz_timed`] for a `check` that reports nothing.
pub fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value))
where
    S::Value: Debug,
{
    fuzz_timed(name, strategy, |v| {
        check(v);
        (Duration::ZERO, 0)
    });
}

/// Edits to text, as many as `count` says: `(where, byte, op)` with op 0 (replace a byte), 1 (remove one),
/// 2 (insert one) and, when `keys` is set, 3 (write a key twice after an opening brace).
pub fn text_edits(
    count: std::ops::Range<usize>,
    keys: bool,
) -> impl Strategy<Value = Vec<(prop::sample::Index, u8, u8)>> {
    let ops = if keys { 0u8..4 } else { 0u8..3 };
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), ops), count)
}

/// `text` with `edits` (see [`text_edits`]) applied, read back lossily as UTF-8.
pub fn edit_text(text: String, edits: Vec<(prop::sample::Index, u8, u8)>) -> String {
    let mut bytes = text.into_bytes();
    for (at, byte, op) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = at.index(bytes.len());
        match op {
            0 => bytes[i] = byte,
            1 => {
                bytes.remove(i);
            }
            2 => bytes.insert(i, byte),
            _ => {
                if let Some(b) = bytes[i..].iter().position(|c| *c == b'{') {
                    let at = i + b + 1;
                    bytes.splice(at..at, br#""id": "dup", "id": "again","#.iter().copied());
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

//! Times validation of large generated definitions (the numbers in issue 15 and in the README's
//! limits section).
//!
//!     cargo run --release -p trainyard --example validate_scale -- [chain|flat|cycle|fan|value] <phases>...
//!
//! * `chain N`: N phases, each depending on the one before, one manual activity each (JSON text);
//! * `flat N`: N phases without dependencies (the smallest phases: 70k of them fit in 4 MiB);
//! * `cycle N`: N phases in one dependency cycle (`p0 → p1 → … → p0`);
//! * `fan N`: a chain where every phase reads an output of the first one (the `not_downstream` check);
//! * `value N`: `flat N` given as a value (`load_process_value`, as the Python and Node bindings do).

use serde_json::{Value, json};
use std::time::Instant;

fn phases(n: usize, dep: impl Fn(usize) -> Option<usize>, read_first: bool) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| {
            let mut p = json!({ "id": format!("p{i}"), "activities": [{ "id": "a", "kind": "manual" }] });
            if let Some(d) = dep(i) {
                p["depends_on"] = json!([format!("p{d}")]);
            }
            if i == 0 && read_first {
                p["outputs"] = json!({ "v": "x" });
            } else if read_first {
                p["variables"] = json!({ "v": "${phases.p0.outputs.v}" });
            }
            p
        })
        .collect();
    json!({ "id": "big", "phases": list })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let shape = args.next().unwrap_or_else(|| "chain".to_string());
    for n in args.filter_map(|a| a.parse::<usize>().ok()) {
        let doc = match shape.as_str() {
            "chain" => phases(n, |i| i.checked_sub(1), false),
            "cycle" => phases(n, |i| Some((i + 1) % n), false),
            "fan" => phases(n, |i| i.checked_sub(1), true),
            _ => phases(n, |_| None, false),
        };
        let text = doc.to_string();
        let start = Instant::now();
        let result =
            if shape == "value" { trainyard::load_process_value(doc, None) } else { trainyard::load_process(&text) };
        let took = start.elapsed();
        let outcome = match &result {
            Ok(_) => "valid".to_string(),
            Err(e) => {
                let p = e.problems();
                let first =
                    p.first().map(|p| format!("{} {}", p.code, p.message.chars().take(100).collect::<String>()));
                format!("{} problem(s), first: {}", p.len(), first.unwrap_or_default())
            }
        };
        println!("{shape} {n:>6} phases, {:>8} bytes: {:>9.3} s  {outcome}", text.len(), took.as_secs_f64());
    }
}

//! Writes the JSON Schema of the process definition format.
//!
//! `cargo run -p trainyard --bin trainyard-schema` writes `core/schema/process.schema.json`;
//! `--check` exits non-zero when the committed file is out of date; `--stdout` prints it.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let text = trainyard::model::schema_text();
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/process.schema.json");
    match std::env::args().nth(1).as_deref() {
        Some("--stdout") => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Some("--check") => match std::fs::read_to_string(&target) {
            Ok(current) if current == text => ExitCode::SUCCESS,
            _ => {
                eprintln!("{} is out of date; run `cargo run -p trainyard --bin trainyard-schema`", target.display());
                ExitCode::FAILURE
            }
        },
        None => match std::fs::write(&target, &text) {
            Ok(()) => {
                println!("wrote {}", target.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot write {}: {e}", target.display());
                ExitCode::FAILURE
            }
        },
        Some(other) => {
            eprintln!("unknown argument `{other}`; use no argument (write), --check or --stdout");
            ExitCode::from(2)
        }
    }
}

//! The `trainyard` binary: [`trainyard_cli::run_cli`] on the process's arguments and streams.

fn main() {
    std::process::exit(trainyard_cli::run_cli(std::env::args().collect()));
}

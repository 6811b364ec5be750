//! The `trainyard` binary: [`trainyard_cli::run`] on the process's arguments and streams.

fn main() {
    let code = trainyard_cli::run(std::env::args(), &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}

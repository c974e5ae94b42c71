//! The `breakglass` command: the only layer that touches files, terminals and the process.

#![deny(unsafe_code)]

mod cli;
mod plumbing;

fn main() -> std::process::ExitCode {
    cli::main()
}

//! The `breakglass` command: the only layer that touches files, terminals and the process.

#![deny(unsafe_code)]
// Standard output goes through `plumbing::stdout` (`outln!`), which turns a failed write into
// exit 6 or a quiet end on a closed pipe; `println!` would panic.
#![deny(clippy::print_stdout)]

// `plumbing` first: its `outln!` and `out!` macros are used in `cli`.
#[macro_use]
mod plumbing;
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

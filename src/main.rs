//! The `breakglass` command: the only layer that touches files, terminals and the process.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

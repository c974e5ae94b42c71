//! The plumbing every subcommand shares: files, prompts, the terminal, gathering sheets and
//! opening the vault, writing sheets, the drill log, hardening, signals, report options, exit
//! codes and the display filter. It touches the process, files and terminals; it knows nothing
//! of clap's command tree (`cli` does), and nothing here imports `cli`.

// First: its `outln!` and `out!` are used by the modules below and by `cli`.
#[macro_use]
pub mod stdout;

pub mod args;
pub mod credential_pages;
pub mod drill_log;
pub mod failure;
pub mod files;
pub mod harden;
pub mod inputs;
pub mod json;
pub mod open_vault;
pub mod placement;
pub mod progress;
pub mod prompt;
pub mod remedy;
pub mod report;
pub mod rng;
pub mod sheets;
pub mod signals;
pub mod terminal;
pub mod terminfo;
pub mod wrap;

use std::io::IsTerminal;

pub use breakglass_core::untrusted::{visible, visible_text};

/// A path as shown on a terminal: file names are untrusted text too.
pub fn shown_path(p: &std::path::Path) -> String {
    visible(&p.display().to_string()).into_owned()
}

pub use failure::{Classify, Failure, exit};

/// What every subcommand returns; `cli::main` maps the error with [`Failure::of`].
pub type CliResult<T = ()> = anyhow::Result<T>;

/// The system clock in Unix seconds (UTC); 0 if it is before 1970.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// True when a person is at the keyboard (prompts allowed).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Warns once when memory could not be locked.
pub fn warn_unlocked(h: &harden::Hardening) {
    if let (false, Some(note)) = (h.memory_locked, &h.lock_note) {
        eprintln!("note: secrets are not memory-locked: {}.", visible(note));
    }
}

//! The plumbing every subcommand shares: files, prompts, the terminal, gathering sheets and
//! opening the vault, writing sheets, the drill log, hardening, signals, report options, exit
//! codes and the display filter. It touches the process, files and terminals; it knows nothing
//! of clap's command tree (`cli` does), and nothing here imports `cli`.

pub mod args;
pub mod drill_log;
pub mod enroll;
pub mod files;
pub mod harden;
pub mod inputs;
pub mod json;
pub mod opening;
pub mod output;
pub mod placement;
pub mod prompt;
pub mod rng;
pub mod sheets;
pub mod signals;
pub mod terminal;

use std::io::IsTerminal;

pub use breakglass_core::untrusted::{visible, visible_text};

/// A path as shown on a terminal: file names are untrusted text too.
pub fn shown_path(p: &std::path::Path) -> String {
    visible(&p.display().to_string()).into_owned()
}

/// Documented exit codes (README "Exit codes").
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const BAD_INPUT: u8 = 3;
    pub const SHARES: u8 = 4;
    pub const NOT_OPENED: u8 = 5;
    pub const OUTPUT: u8 = 6;
    pub const OVERDUE: u8 = 7;
}

/// An error with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

pub type CliResult<T = ()> = Result<T, Failure>;

/// Attaches an exit code to any error.
pub trait WithCode<T> {
    fn code(self, code: u8) -> CliResult<T>;
}

impl<T, E: Into<anyhow::Error>> WithCode<T> for Result<T, E> {
    fn code(self, code: u8) -> CliResult<T> {
        self.map_err(|e| Failure {
            code,
            error: e.into(),
        })
    }
}

pub fn fail<T>(code: u8, msg: impl Into<String>) -> CliResult<T> {
    Err(Failure {
        code,
        error: anyhow::anyhow!(msg.into()),
    })
}

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

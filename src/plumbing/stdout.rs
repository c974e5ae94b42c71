//! Standard output: every byte a command prints goes through here, so a write that fails is one
//! error everywhere. A closed pipe (`breakglass completions bash | head -c1`) ends the command
//! quietly (the reader had what it wanted); any other failure (`> /dev/full`, a disk that fills)
//! is exit 6 with a message, never a panic. SIGPIPE stays ignored (Rust's default), so a closed
//! pipe reaches here as `EPIPE` instead of killing the process.
//!
//! `print!` and `println!` would panic on such a failure: the crate denies them
//! (`clippy::print_stdout`), and `outln!` / `out!` (macros of this module, in scope in the whole crate) replace them.

use super::CliResult;
use std::fmt;
use std::io::{self, Write};

/// Standard output could not be written.
#[derive(Debug)]
pub struct StdoutError(pub io::Error);

impl StdoutError {
    /// True when the reader closed the pipe: not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not write to standard output ({}): the output is incomplete. Send it to a file or terminal that can take it",
            self.0
        )
    }
}

impl std::error::Error for StdoutError {}

/// True when standard output is a terminal.
#[allow(clippy::disallowed_methods)] // the one module that touches standard output
pub fn is_terminal() -> bool {
    io::IsTerminal::is_terminal(&io::stdout())
}

/// Sends what is buffered before something else takes the terminal (the enrollment display);
/// a failure here shows again at the next write.
#[allow(clippy::disallowed_methods)]
pub fn flush_before_the_terminal() {
    io::stdout().flush().ok();
}

/// Runs `write` on standard output (locked) and flushes it; a failure of either is a
/// [`StdoutError`].
#[allow(clippy::disallowed_methods)]
pub fn with<T>(write: impl FnOnce(&mut dyn Write) -> io::Result<T>) -> CliResult<T> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let value = write(&mut out)
        .and_then(|v| out.flush().map(|()| v))
        .map_err(StdoutError)?;
    Ok(value)
}

/// Writes formatted text (what `outln!` and `out!` expand to).
pub fn write_fmt(args: fmt::Arguments<'_>) -> CliResult {
    with(|out| out.write_fmt(args))
}

/// Writes bytes as they are (a completion script).
pub fn write_all(bytes: &[u8]) -> CliResult {
    with(|out| out.write_all(bytes))
}

/// `println!` that returns a [`CliResult`] instead of panicking: `outln!("…", x)?;`.
macro_rules! outln {
    () => {
        $crate::plumbing::stdout::write_fmt(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::plumbing::stdout::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that returns a [`CliResult`] instead of panicking: `out!("…", x)?;`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::plumbing::stdout::write_fmt(format_args!($($arg)*))
    };
}

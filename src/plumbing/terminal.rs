//! The terminal that secrets are shown on, and putting it back afterwards.
//!
//! One place for the plumbing: opening the controlling terminal (`/dev/tty`, as age does for
//! prompts, so a redirected standard output never receives a secret), asking its size, a private
//! screen (the alternate screen where the terminal's terminfo entry has one; otherwise the normal
//! screen, cleared together with its scrollback afterwards), and restoring and clearing it on every
//! exit path: the end of the display, an error, Ctrl-C, SIGTERM, SIGHUP, SIGQUIT and a panic.
//! Prompts get the same care: Ctrl-C at one puts the terminal's modes back and says so.
//! It decides nothing about what is shown.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::signals::{Armed, Handle};

use super::terminfo::alternate_screen_from_terminfo;

/// Home the cursor and erase the visible screen.
const CLEAR: &[u8] = b"\x1b[H\x1b[2J";
/// Erase the scrollback (terminfo's `E3`; the Linux console, xterm, tmux and VTE honour it).
const CLEAR_SCROLLBACK: &[u8] = b"\x1b[3J";

/// Columns and rows of a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub cols: usize,
    pub rows: usize,
}

/// The controlling terminal, opened for reading and writing.
pub struct Tty {
    file: File,
}

impl Tty {
    /// Opens `/dev/tty`; fails when the process has no controlling terminal.
    pub fn open() -> io::Result<Tty> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")?;
        Ok(Tty { file })
    }

    /// The terminal's size, or `None` when it does not report one (some serial consoles).
    pub fn size(&self) -> Option<Size> {
        let ws = rustix::termios::tcgetwinsize(&self.file).ok()?;
        (ws.ws_col > 0 && ws.ws_row > 0).then(|| Size {
            cols: ws.ws_col.into(),
            rows: ws.ws_row.into(),
        })
    }

    /// Waits for Enter. End of input (Ctrl-D, a hung-up terminal) counts as Enter, so a display
    /// always comes to its end and clears itself.
    pub fn wait_for_enter(&mut self) -> io::Result<()> {
        let mut byte = [0u8; 1];
        loop {
            match self.file.read(&mut byte) {
                Ok(0) => return Ok(()),
                Ok(_) if byte[0] == b'\n' || byte[0] == b'\r' => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Takes over the screen until the returned guard is dropped (or a signal or panic ends the
    /// process): see [`ScreenKind`] for how, given the terminal type `term` (`$TERM`).
    pub fn private_screen(&mut self, term: Option<&str>) -> io::Result<Screen<'_>> {
        let kind = ScreenKind::for_term(term);
        let restore: Vec<u8> = match &kind {
            ScreenKind::Alternate { leave, .. } => [CLEAR, leave.as_slice()].concat(),
            ScreenKind::Normal => [CLEAR, CLEAR_SCROLLBACK].concat(),
        };
        let guard = Screen::install(self, kind, restore);
        if let ScreenKind::Alternate { enter, .. } = &guard.kind {
            let enter = enter.clone();
            guard.tty.file.write_all(&enter)?;
        }
        guard.tty.file.write_all(CLEAR)?;
        guard.tty.file.flush()?;
        Ok(guard)
    }
}

impl Write for Tty {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// How a terminal keeps a secret out of its scrollback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScreenKind {
    /// The terminal has an alternate screen (terminfo `smcup`/`rmcup`): draw there, then clear it
    /// and switch back; the normal screen and its scrollback never see the secret.
    Alternate { enter: Vec<u8>, leave: Vec<u8> },
    /// No alternate screen (the Linux console, a VT100): draw on the normal screen, then clear
    /// the screen and the scrollback.
    Normal,
}

impl ScreenKind {
    /// From the terminfo entry of `term`; without one, from the name (xterm-like unless known
    /// otherwise).
    pub fn for_term(term: Option<&str>) -> ScreenKind {
        let Some(term) = term.filter(|t| !t.is_empty()) else {
            return ScreenKind::Normal;
        };
        if let Some(bytes) = terminfo_dirs()
            .iter()
            .find_map(|d| terminfo_file(d, term).and_then(|f| std::fs::read(f).ok()))
        {
            return match alternate_screen_from_terminfo(&bytes) {
                Some((enter, leave)) => ScreenKind::Alternate { enter, leave },
                None => ScreenKind::Normal,
            };
        }
        let lacking = ["linux", "vt", "dumb", "cons", "ansi", "sun", "pcansi"];
        if lacking.iter().any(|p| term.starts_with(p)) {
            ScreenKind::Normal
        } else {
            ScreenKind::Alternate {
                enter: b"\x1b[?1049h".to_vec(),
                leave: b"\x1b[?1049l".to_vec(),
            }
        }
    }
}

/// Where ncurses looks for terminfo entries, in its order.
fn terminfo_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("TERMINFO") {
        dirs.push(PathBuf::from(d));
    }
    if let Some(h) = std::env::var_os("HOME") {
        dirs.push(Path::new(&h).join(".terminfo"));
    }
    if let Some(list) = std::env::var_os("TERMINFO_DIRS") {
        dirs.extend(std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()));
    }
    for d in [
        "/etc/terminfo",
        "/lib/terminfo",
        "/usr/share/terminfo",
        "/usr/lib/terminfo",
    ] {
        dirs.push(PathBuf::from(d));
    }
    dirs
}

/// The entry's file: `x/xterm` or, on some systems, `78/xterm`. A name that could leave the
/// directory is not looked up.
fn terminfo_file(dir: &Path, term: &str) -> Option<PathBuf> {
    if term.contains('/') || term.starts_with('.') {
        return None;
    }
    let first = term.chars().next()?;
    [
        dir.join(first.to_string()).join(term),
        dir.join(format!("{:02x}", u32::from(first))).join(term),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// The terminal to restore from a signal handler or the panic hook (a second descriptor of the
/// first private screen's terminal, kept for the process's life), and the bytes that clear and
/// restore the active screen. Only async-signal-safe work reads them.
static SCREEN_TTY: OnceLock<File> = OnceLock::new();
static SCREEN_RESTORE: Armed<Box<[u8]>> = Armed::new();

/// Clears and restores the active private screen, once; safe to call from a signal handler.
fn restore_active_screen() {
    SCREEN_RESTORE.fire(|bytes| {
        if let Some(tty) = SCREEN_TTY.get() {
            let _ = rustix::io::write(tty, bytes);
        }
    });
}

/// What a fatal signal does to the terminal (`signals`): clears and restores a private screen,
/// then, at a prompt, puts the terminal's modes back and says so. Async-signal-safe.
pub fn on_fatal_signal() {
    restore_active_screen();
    restore_prompt_modes();
}

/// Installs, once per process, a panic hook that clears the screen before the message is printed.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_active_screen();
            previous(info);
        }));
    });
}

/// A private screen in use; dropping it clears and restores the terminal.
pub struct Screen<'t> {
    tty: &'t mut Tty,
    kind: ScreenKind,
    restore: Handle<Box<[u8]>>,
    // Ctrl-Z would stop the process with the secret on screen: ignored meanwhile.
    _stop_ignored: super::signals::StopIgnored,
}

impl<'t> Screen<'t> {
    fn install(tty: &'t mut Tty, kind: ScreenKind, restore: Vec<u8>) -> Screen<'t> {
        install_panic_hook();
        if SCREEN_TTY.get().is_none()
            && let Ok(second) = tty.file.try_clone()
        {
            let _ = SCREEN_TTY.set(second);
        }
        let restore = SCREEN_RESTORE.arm(restore.into_boxed_slice());
        Screen {
            tty,
            kind,
            restore,
            _stop_ignored: super::signals::ignore_stop(),
        }
    }

    pub fn size(&self) -> Option<Size> {
        self.tty.size()
    }

    /// Erases the screen and draws `lines` from the top; the last line gets no newline, so a
    /// page exactly as tall as the terminal does not scroll.
    pub fn draw(&mut self, lines: &[impl AsRef<str>]) -> io::Result<()> {
        let mut buf = zeroize::Zeroizing::new(CLEAR.to_vec());
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                buf.extend_from_slice(b"\r\n");
            }
            buf.extend_from_slice(l.as_ref().as_bytes());
        }
        self.tty.file.write_all(&buf)?;
        self.tty.file.flush()
    }

    pub fn wait_for_enter(&mut self) -> io::Result<()> {
        self.tty.wait_for_enter()
    }
}

impl Drop for Screen<'_> {
    fn drop(&mut self) {
        restore_active_screen();
        self.restore.disarm();
        let _ = self.tty.file.flush();
    }
}

/// While typed share lines are on the normal screen: when dropped, and on every exit path
/// (Ctrl-C, SIGTERM, SIGHUP, a panic), the screen and its scrollback are cleared, so the lines
/// that together open the vault do not stay in the window. Does nothing when standard error
/// is not a terminal.
pub struct Wipe {
    /// Armed while the typed lines may be on the screen; `None` without a terminal.
    restore: Option<Handle<Box<[u8]>>>,
}

impl Wipe {
    pub fn install() -> Wipe {
        use std::io::IsTerminal;
        if !io::stderr().is_terminal() {
            return Wipe { restore: None };
        }
        let Ok(tty) = Tty::open() else {
            return Wipe { restore: None };
        };
        install_panic_hook();
        // The descriptor stays open for the rest of the process (a signal handler may use it).
        if SCREEN_TTY.get().is_none() {
            let _ = SCREEN_TTY.set(tty.file);
        }
        let restore = SCREEN_RESTORE.arm([CLEAR, CLEAR_SCROLLBACK].concat().into_boxed_slice());
        Wipe {
            restore: Some(restore),
        }
    }

    /// Wipes now; true when there was a window to wipe.
    pub fn finish(self) -> bool {
        self.restore.is_some()
    }
}

impl Drop for Wipe {
    fn drop(&mut self) {
        if let Some(restore) = &self.restore {
            restore_active_screen();
            restore.disarm();
        }
    }
}

/// The terminal's modes before the first prompt, put back when a prompt is interrupted:
/// rpassword reads the passphrase with echo and signals off and, on Ctrl-C, raises SIGINT
/// itself before it restores them, so the default action would leave the shell without echo.
static PROMPT_TTY: OnceLock<Option<(File, rustix::termios::Termios)>> = OnceLock::new();
/// How many prompts are waiting (0 or 1 in practice): the signal handler acts only then.
static PROMPTS_WAITING: AtomicUsize = AtomicUsize::new(0);

/// The one line a prompt ended by a signal leaves (prompts come before anything is written).
const STOPPED_AT_PROMPT: &[u8] = b"\nbreakglass: interrupted at a prompt; nothing was written\n";

/// Puts the modes saved before the first prompt back and says so, when a prompt is waiting.
fn restore_prompt_modes() {
    if PROMPTS_WAITING.load(Ordering::SeqCst) == 0 {
        return;
    }
    // tcsetattr and write are single system calls (async-signal-safe); the saved modes are
    // written once, before any prompt is armed, and never change.
    if let Some(Some((tty, modes))) = PROMPT_TTY.get() {
        let _ = rustix::termios::tcsetattr(tty, rustix::termios::OptionalActions::Now, modes);
    }
    let _ = rustix::io::write(rustix::stdio::stderr(), STOPPED_AT_PROMPT);
}

/// While a prompt waits for the user: Ctrl-C, SIGTERM or SIGHUP puts the terminal's modes back
/// (echo on), says so in one line and ends the process with the signal's usual status.
pub struct PromptGuard(());

impl PromptGuard {
    pub fn install() -> PromptGuard {
        PROMPT_TTY.get_or_init(|| {
            let tty = Tty::open().ok()?.file;
            let modes = rustix::termios::tcgetattr(&tty).ok()?;
            Some((tty, modes))
        });
        PROMPTS_WAITING.fetch_add(1, Ordering::SeqCst);
        PromptGuard(())
    }
}

impl Drop for PromptGuard {
    fn drop(&mut self) {
        PROMPTS_WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_terminfo_says_xterm_has_an_alternate_screen_and_linux_has_none() {
        // ncurses-base is on every Debian system; skip elsewhere.
        if !Path::new("/usr/share/terminfo/x/xterm").exists()
            && !Path::new("/lib/terminfo/x/xterm").exists()
        {
            eprintln!("SKIPPED: no terminfo database");
            return;
        }
        assert!(matches!(
            ScreenKind::for_term(Some("xterm-256color")),
            ScreenKind::Alternate { .. }
        ));
        assert_eq!(ScreenKind::for_term(Some("linux")), ScreenKind::Normal);
        assert_eq!(ScreenKind::for_term(None), ScreenKind::Normal);
        assert_eq!(
            ScreenKind::for_term(Some("../../etc/passwd")),
            ScreenKind::Alternate {
                enter: b"\x1b[?1049h".to_vec(),
                leave: b"\x1b[?1049l".to_vec()
            },
            "a name with a slash is never looked up as a path"
        );
    }
}

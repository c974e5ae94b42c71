//! Showing new credentials once, for entering into Entra ID or onto a security key.
//!
//! On a terminal: the alternate screen (so nothing stays in the scrollback), each credential in
//! groups of four with a phonetic spelling, cleared after Enter. Without a terminal (scripts,
//! tests): printed once to standard output, grouped the same way.

use breakglass::contents::Entry;
use breakglass::phonetic;
use std::io::{BufRead, IsTerminal, Write};

const ALT_SCREEN_ON: &str = "\x1b[?1049h\x1b[H\x1b[2J";
const ALT_SCREEN_OFF: &str = "\x1b[2J\x1b[?1049l";

fn write_entries(
    out: &mut impl Write,
    entries: &[Entry],
    entropy_bits: f64,
) -> std::io::Result<()> {
    for e in entries {
        match e {
            Entry::Account { upn, password, .. } => {
                writeln!(out, "  {upn}")?;
                writeln!(out, "    password: {}", password.expose_secret())?;
                writeln!(
                    out,
                    "    grouped:  {}   ({} characters, about {entropy_bits:.0} bits)",
                    phonetic::groups_of_four(password.expose_secret()),
                    password.expose_secret().chars().count()
                )?;
                for row in phonetic::spelled_groups(password.expose_secret()) {
                    writeln!(out, "      {row}")?;
                }
            }
            Entry::Fido2 { label, pin } => {
                writeln!(out, "  FIDO2 key {label}")?;
                writeln!(out, "    PIN: {}", pin.expose_secret())?;
                writeln!(
                    out,
                    "    grouped:  {}",
                    phonetic::groups_of_four(pin.expose_secret())
                )?;
            }
            Entry::Totp { label, .. } => writeln!(out, "  TOTP {label}: stored")?,
            Entry::Note { label, .. } => writeln!(out, "  note {label}: stored")?,
            _ => {}
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Shows the credentials once. Returns an I/O error only for a broken terminal.
pub fn show(entries: &[Entry], entropy_bits: f64) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal() && std::io::stdin().is_terminal();
    let mut out = stdout.lock();
    if !tty {
        writeln!(
            out,
            "Enter these credentials into Entra ID now. They are shown once and are not in any file:"
        )?;
        writeln!(out)?;
        return write_entries(&mut out, entries, entropy_bits);
    }
    write!(out, "{ALT_SCREEN_ON}")?;
    writeln!(
        out,
        "ENROLLMENT: enter each credential into Entra ID or onto its security key now."
    )?;
    writeln!(
        out,
        "Read them aloud in groups; the spelling marks lower and UPPER case."
    )?;
    writeln!(
        out,
        "This screen is not kept in the scrollback and is cleared when you press Enter."
    )?;
    writeln!(out)?;
    write_entries(&mut out, entries, entropy_bits)?;
    write!(out, "Press Enter when every credential is enrolled... ")?;
    out.flush()?;
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    write!(out, "{ALT_SCREEN_OFF}")?;
    writeln!(out, "Credentials enrolled; the screen was cleared.")?;
    out.flush()
}

//! Showing new credentials once, for entering into Entra ID or onto a security key.
//!
//! On a terminal: the alternate screen (so nothing stays in the scrollback), each credential in
//! groups of four with a phonetic spelling, cleared after Enter. Without a terminal (scripts,
//! tests): printed once to standard output, grouped the same way.

use breakglass_core::contents::Entry;
use breakglass_core::phonetic;
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
                writeln!(out, "  {}", super::visible(upn))?;
                writeln!(
                    out,
                    "    password: {}",
                    super::visible(password.expose_secret())
                )?;
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
                writeln!(out, "  FIDO2 key {}", super::visible(label))?;
                writeln!(out, "    PIN: {}", super::visible(pin.expose_secret()))?;
                writeln!(
                    out,
                    "    grouped:  {}",
                    phonetic::groups_of_four(pin.expose_secret())
                )?;
            }
            Entry::Totp { label, .. } => writeln!(out, "  TOTP {}: stored", super::visible(label))?,
            Entry::Note { label, .. } => writeln!(out, "  note {}: stored", super::visible(label))?,
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

/// Refuses an enrollment-sheet path that exists, before any secret is made.
pub fn check_target(path: Option<&std::path::Path>) -> super::CliResult {
    match path {
        Some(p) if p.exists() => super::fail(
            super::exit::OUTPUT,
            format!("{} exists: not replacing it", p.display()),
        ),
        _ => Ok(()),
    }
}

/// Writes the optional enrollment sheet (PDF, "DESTROY AFTER ENROLLMENT"); never over a file.
pub fn write_sheet(
    path: &std::path::Path,
    tenant: &str,
    created: u64,
    entries: &[Entry],
    paper: breakglass_paper::sheet::Paper,
) -> super::CliResult {
    use super::{WithCode, exit, fail, files};
    use breakglass_paper::sheet::{EnrollmentItem, render_enrollment_sheet};
    if path.exists() {
        return fail(
            exit::OUTPUT,
            format!("{} exists: not replacing it", path.display()),
        );
    }
    let mut items = Vec::new();
    for e in entries {
        match e {
            Entry::Account { upn, password, .. } => {
                let pw = password.expose_secret();
                let mut lines = vec![
                    format!("password: {pw}"),
                    format!("grouped:  {}", phonetic::groups_of_four(pw)),
                ];
                lines.extend(phonetic::spelled_groups(pw));
                items.push(EnrollmentItem {
                    heading: format!("Account {upn}"),
                    lines,
                });
            }
            Entry::Fido2 { label, pin } => items.push(EnrollmentItem {
                heading: format!("FIDO2 key {label}"),
                lines: vec![format!("PIN: {}", pin.expose_secret())],
            }),
            _ => {}
        }
    }
    let pdf = render_enrollment_sheet(
        tenant,
        &breakglass_core::document::iso_date(created),
        &items,
        paper,
    )
    .map_err(|e| anyhow::anyhow!("cannot lay out the enrollment sheet: {e}"))
    .code(exit::USAGE)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "enrollment.pdf".into());
    files::write_all_atomically(
        dir,
        &[files::OutFile {
            name,
            bytes: zeroize::Zeroizing::new(pdf),
        }],
        false,
    )
    .code(exit::OUTPUT)?;
    eprintln!(
        "Wrote the enrollment sheet {}: it holds the credentials. Shred it after enrollment.",
        super::shown_path(path)
    );
    Ok(())
}

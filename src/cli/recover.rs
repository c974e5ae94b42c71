//! `breakglass recover`: recombine shares and show the credentials.
//!
//! Where they go: with `--json`, JSON on standard output (for scripts); otherwise, when standard
//! output is a terminal, the paged display that enrollment uses (one account per page, grouped
//! and spelled, cleared afterwards, on every exit path); when it is not (a pipe or a file), plain
//! text there, since that output is what the user asked for. One paragraph of advice follows on
//! standard error.

use crate::plumbing::credential_pages::{self, Enrollment, Frame};
use crate::plumbing::drill_log::{self, Purpose};
use crate::plumbing::harden::Hardening;
use crate::plumbing::terminal::Tty;
use crate::plumbing::{CliResult, open_vault, prompt, warn_unlocked};
use breakglass_core::contents::Entry;
use breakglass_core::recover::Recovered;
use breakglass_core::totp::Totp;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Sheets: share files (share-N.txt), scans or photos (images or PDFs). With none, the shares
    /// are typed (or read from a pipe).
    files: Vec<PathBuf>,
    /// Read the vault passphrase from this file (`-` for standard input) instead of asking.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Open this generation when the sheets given open more than one (after a rekey, or when
    /// a set was forged); by default the newest that opens.
    #[arg(long, value_name = "N")]
    generation: Option<u32>,
    /// Print the result as JSON (for scripts). It contains the secrets.
    #[arg(long)]
    json: bool,
    /// Print only the credentials (and errors): no advice afterwards; the exit code tells the
    /// result.
    #[arg(short, long, conflicts_with_all = ["json", "verbose"])]
    quiet: bool,
    /// Also say what was read from where (on standard error).
    #[arg(short, long)]
    verbose: bool,
    /// Why the vault is opened (asked when at a terminal).
    #[arg(long, value_enum)]
    purpose: Option<Purpose>,
    /// Append a record of this opening (no secrets) to this JSON-lines log.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
}

pub fn run(args: Args, hardening: &Hardening) -> CliResult {
    warn_unlocked(hardening);
    // Recovery happens when it must: the checks warn, they never refuse.
    super::preflight::warn_only(hardening);
    let purpose = match args.purpose {
        Some(p) => p,
        None if crate::plumbing::interactive() => prompt::purpose()?,
        None => Purpose::Unstated,
    };
    let report = crate::plumbing::report::Report {
        json: args.json,
        quiet: args.quiet,
        verbose: args.verbose,
    };
    let r = match open_vault::open_sheets_reporting(
        &args.files,
        args.passphrase_file.as_deref(),
        args.generation,
        &report,
    ) {
        Ok((r, _)) => r,
        Err(f) => {
            if let Some(log) = &args.log {
                let _ = drill_log::append(log, &drill_log::failed_record(purpose.name(), &f));
            }
            return Err(f);
        }
    };
    if let Some(log) = &args.log {
        drill_log::append(
            log,
            &drill_log::record(&r, purpose.name(), "opened: credentials shown"),
        )?;
    }
    let paged = if !args.json && crate::plumbing::stdout::is_terminal() {
        Tty::open().ok()
    } else {
        None
    };
    if let Some(mut tty) = paged {
        let credentials = Enrollment::recovered(&r.contents.entries, crate::plumbing::unix_now());
        let warning = open_vault::generations_notice(&r);
        let frame = Frame::recovery(&vault_line(&r), &shares_line(&r), warning.as_deref());
        credential_pages::show_recovered(&mut tty, &credentials, &frame)?;
    } else {
        crate::plumbing::stdout::with(|mut out| {
            if args.json {
                print_json(&mut out, &r)
            } else {
                print_text(&mut out, &r)
            }
        })?;
    }
    if !args.quiet {
        crate::plumbing::wrap::eprintln_wrapped(&advice(purpose, &args.files));
    }
    Ok(())
}

/// "vault 1A2B-… of contoso.onmicrosoft.com, generation 2" (unfiltered: callers filter).
fn vault_line(r: &Recovered) -> String {
    format!(
        "vault {} of {}, generation {}",
        r.header.vault_id, r.header.tenant, r.header.generation
    )
}

/// Which shares opened it, by number, with the inputs they came from (unfiltered).
fn shares_line(r: &Recovered) -> String {
    let numbers: Vec<String> = r.indices.iter().map(u8::to_string).collect();
    format!(
        "Opened with shares {} of {} (from {}).",
        numbers.join(", "),
        r.header.share_count(),
        r.used.join(", ")
    )
}

/// The one paragraph after a recovery: what to do next for this purpose, with a `rotate`
/// command that works as printed (the same inputs; typed again when there were none).
fn advice(purpose: Purpose, files: &[PathBuf]) -> String {
    let inputs = if files.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = files
            .iter()
            .map(|f| shell_word(&crate::plumbing::shown_path(f)))
            .collect();
        format!(" {}", names.join(" "))
    };
    let typed = if files.is_empty() {
        " (it asks for the shares again)"
    } else {
        ""
    };
    let rotate = format!(
        "`{} rotate{inputs} --out new-sheets`{typed}",
        program_name()
    );
    let offline = "rotate runs offline: disconnect this computer first; rotate shows the new credentials on this screen: enter them into Entra ID from another computer, one that is online and that you trust (an admin workstation), never by reconnecting this one; then give each custodian a new sheet and destroy the old ones";
    match purpose {
        Purpose::Emergency => format!(
            "After the emergency: write down who opened the vault, when and why; then rotate with {rotate}. {offline}. Delete any scans of the sheets: they are copies of a secret."
        ),
        Purpose::Investigation => format!(
            "For the investigation: compare the Entra ID sign-in logs with the drill log. If a use was not authorised, rotate with {rotate}; {offline}. Delete any scans of the sheets: they are copies of a secret."
        ),
        Purpose::Drill => format!(
            "Drill done: if you signed in with these credentials, confirm the sign-in alert fired (`{} drill` checks the sheets without showing anything). Delete any scans of the sheets: they are copies of a secret.",
            program_name()
        ),
        Purpose::Unstated => format!(
            "If these credentials were used, record why, then rotate with {rotate}; {offline}. Delete any scans of the sheets: they are copies of a secret."
        ),
    }
}

/// How this program was started (`./breakglass`, `/media/usb/breakglass`), so a command printed
/// for the user runs as printed; `breakglass` when that cannot be told.
fn program_name() -> String {
    std::env::args_os()
        .next()
        .map(|a| shell_word(&crate::plumbing::shown_path(std::path::Path::new(&a))))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "breakglass".into())
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn print_text(out: &mut impl Write, r: &Recovered) -> std::io::Result<()> {
    let h = &r.header;
    writeln!(
        out,
        "Vault {} of {} (generation {}) opened with {} of {} shares: {}",
        h.vault_id,
        crate::plumbing::visible(&h.tenant),
        h.generation,
        r.used.len(),
        h.share_count(),
        crate::plumbing::visible(&r.used.join(", "))
    )?;
    if let Some(w) = open_vault::generations_notice(r) {
        writeln!(out, "WARNING: {}", crate::plumbing::visible(&w))?;
    }
    writeln!(out)?;
    for e in &r.contents.entries {
        match e {
            Entry::Account {
                upn,
                display_name,
                password,
            } => {
                let (upn, name) = (
                    crate::plumbing::visible(upn),
                    crate::plumbing::visible(display_name),
                );
                writeln!(out, "Account:   {upn}  ({name})")?;
                writeln!(
                    out,
                    "Password:  {}",
                    crate::plumbing::visible(password.expose_secret())
                )?;
            }
            Entry::Fido2 { label, pin } => {
                writeln!(out, "FIDO2 key: {}", crate::plumbing::visible(label))?;
                writeln!(
                    out,
                    "PIN:       {}",
                    crate::plumbing::visible(pin.expose_secret())
                )?;
            }
            Entry::Totp { label, uri } => {
                writeln!(out, "TOTP:      {}", crate::plumbing::visible(label))?;
                writeln!(
                    out,
                    "URI:       {}",
                    crate::plumbing::visible(uri.expose_secret())
                )?;
                match Totp::from_uri(uri.expose_secret()) {
                    Ok(t) => {
                        let c = t.code_at(crate::plumbing::unix_now());
                        writeln!(
                            out,
                            "Code now:  {}  (valid {} s more; computed from this computer's clock, which must be right)",
                            c.code, c.seconds_left
                        )?;
                    }
                    Err(e) => writeln!(
                        out,
                        "Code now:  cannot compute ({})",
                        crate::plumbing::visible(&e.to_string())
                    )?,
                }
            }
            Entry::Note { label, text } => {
                writeln!(out, "Note:      {}", crate::plumbing::visible(label))?;
                for l in text.expose_secret().lines() {
                    writeln!(out, "  {}", crate::plumbing::visible_text(l))?;
                }
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonOut<'a> {
    vault_id: String,
    tenant: &'a str,
    generation: u32,
    shares_used: &'a [String],
    rejected: Vec<String>,
    /// Other generations that opened too (FORMAT.md §12.8), oldest first; absent when none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    also_opened: Vec<JsonOpening<'a>>,
    entries: Vec<JsonEntry<'a>>,
}

#[derive(Serialize)]
struct JsonOpening<'a> {
    generation: u32,
    created: String,
    shares_used: &'a [String],
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum JsonEntry<'a> {
    Account {
        upn: &'a str,
        display_name: &'a str,
        password: &'a str,
    },
    Fido2 {
        label: &'a str,
        pin: &'a str,
    },
    Totp {
        label: &'a str,
        uri: &'a str,
        code: Option<String>,
        seconds_left: Option<u64>,
    },
    Note {
        label: &'a str,
        text: &'a str,
    },
}

fn print_json(out: &mut impl Write, r: &Recovered) -> std::io::Result<()> {
    let entries = r
        .contents
        .entries
        .iter()
        .map(|e| match e {
            Entry::Account {
                upn,
                display_name,
                password,
            } => JsonEntry::Account {
                upn,
                display_name,
                password: password.expose_secret(),
            },
            Entry::Fido2 { label, pin } => JsonEntry::Fido2 {
                label,
                pin: pin.expose_secret(),
            },
            Entry::Totp { label, uri } => {
                let code = Totp::from_uri(uri.expose_secret())
                    .ok()
                    .map(|t| t.code_at(crate::plumbing::unix_now()));
                JsonEntry::Totp {
                    label,
                    uri: uri.expose_secret(),
                    seconds_left: code.as_ref().map(|c| c.seconds_left),
                    code: code.map(|c| c.code),
                }
            }
            Entry::Note { label, text } => JsonEntry::Note {
                label,
                text: text.expose_secret(),
            },
        })
        .collect();
    let j = JsonOut {
        vault_id: r.header.vault_id.to_string(),
        tenant: &r.header.tenant,
        generation: r.header.generation,
        shares_used: &r.used,
        rejected: crate::plumbing::remedy::all_rejected(&r.rejected),
        also_opened: r
            .also_opened
            .iter()
            .map(|o| JsonOpening {
                generation: o.generation,
                created: breakglass_core::document::iso_date(o.created),
                shares_used: &o.used,
            })
            .collect(),
        entries,
    };
    crate::plumbing::json::to_writer_pretty(&mut *out, &j)?;
    writeln!(out)
}

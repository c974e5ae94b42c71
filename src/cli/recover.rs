//! `breakglass recover`: recombine shares and show the credentials.

use super::harden::Hardening;
use super::{CliResult, WithCode, exit, fail, inputs, prompt, warn_unlocked};
use breakglass::contents::Entry;
use breakglass::recover::{self, RecoverError, Recovered, display_vault_id};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Share files (share-N.txt). With none, the shares are typed (or read from a pipe).
    files: Vec<PathBuf>,
    /// Read the vault passphrase from this file (`-` for standard input) instead of asking.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Print the result as JSON (for scripts). It contains the secrets.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, hardening: &Hardening) -> CliResult {
    warn_unlocked(hardening);
    let g = if args.files.is_empty() {
        inputs::typed()?
    } else {
        inputs::from_files(&args.files)
    };
    for p in &g.problems {
        eprintln!("warning: skipped {p}");
    }
    let shortage = inputs::shortage_code(&g);
    let set = recover::check(g.shares, g.vaults).map_err(|e| {
        let code = match e {
            RecoverError::NoShares
            | RecoverError::NoVault
            | RecoverError::NotEnoughShares { .. } => shortage,
            _ => exit::SHARES,
        };
        super::Failure {
            code,
            error: e.into(),
        }
    })?;
    let passphrase = if set.needs_passphrase() {
        Some(prompt::passphrase(args.passphrase_file.as_deref(), false)?)
    } else if args.passphrase_file.is_some() {
        return Err(RecoverError::PassphraseNotUsed).code(exit::USAGE);
    } else {
        None
    };
    let r = set.open(passphrase.as_ref()).map_err(|e| {
        let code = match e {
            RecoverError::Kdf(_) => exit::BAD_INPUT,
            RecoverError::NotEnoughShares { .. } => exit::SHARES,
            _ => exit::NOT_OPENED,
        };
        super::Failure {
            code,
            error: e.into(),
        }
    })?;
    for rej in &r.rejected {
        eprintln!("warning: {rej}");
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        print_json(&mut out, &r).code(exit::FAILURE)?;
    } else {
        print_text(&mut out, &r).code(exit::FAILURE)?;
    }
    out.flush().code(exit::FAILURE)?;
    if r.contents.entries.is_empty() {
        return fail(exit::FAILURE, "the vault opened but holds nothing");
    }
    Ok(())
}

fn print_text(out: &mut impl Write, r: &Recovered) -> std::io::Result<()> {
    let h = &r.header;
    writeln!(
        out,
        "Vault {} of {} (generation {}) opened with {} of {} shares: {}",
        display_vault_id(&h.vault_id),
        h.tenant,
        h.generation,
        r.used.len(),
        h.share_count(),
        r.used.join(", ")
    )?;
    writeln!(out)?;
    for e in &r.contents.entries {
        match e {
            Entry::Account {
                upn,
                display_name,
                password,
            } => {
                writeln!(out, "Account:   {upn}  ({display_name})")?;
                writeln!(out, "Password:  {}", password.expose_secret())?;
            }
            Entry::Fido2 { label, pin } => {
                writeln!(out, "FIDO2 key: {label}")?;
                writeln!(out, "PIN:       {}", pin.expose_secret())?;
            }
            Entry::Totp { label, uri } => {
                writeln!(out, "TOTP:      {label}")?;
                writeln!(out, "URI:       {}", uri.expose_secret())?;
            }
            Entry::Note { label, text } => {
                writeln!(out, "Note:      {label}")?;
                for l in text.expose_secret().lines() {
                    writeln!(out, "  {l}")?;
                }
            }
            _ => writeln!(out, "{}", e.title())?,
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "After an emergency: record why the vault was opened, then rotate these credentials and make new sheets."
    )
}

#[derive(Serialize)]
struct JsonOut<'a> {
    vault_id: String,
    tenant: &'a str,
    generation: u32,
    shares_used: &'a [String],
    rejected: Vec<String>,
    entries: Vec<JsonEntry<'a>>,
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
        .filter_map(|e| {
            Some(match e {
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
                Entry::Totp { label, uri } => JsonEntry::Totp {
                    label,
                    uri: uri.expose_secret(),
                },
                Entry::Note { label, text } => JsonEntry::Note {
                    label,
                    text: text.expose_secret(),
                },
                _ => return None,
            })
        })
        .collect();
    let j = JsonOut {
        vault_id: display_vault_id(&r.header.vault_id),
        tenant: &r.header.tenant,
        generation: r.header.generation,
        shares_used: &r.used,
        rejected: r.rejected.iter().map(ToString::to_string).collect(),
        entries,
    };
    serde_json::to_writer_pretty(&mut *out, &j)?;
    writeln!(out)
}

//! `breakglass rekey`, `rotate` and `expand`: new sheets from k old ones.
//!
//! rekey: a new vault secret and new shares (next generation, same credentials); the old
//! generation's sheets are then refused as retired. rotate: the same, plus new passwords and
//! PINs, shown for enrollment. expand: one more share of the same secret for a new custodian or
//! a lost sheet; every old sheet stays valid.

use super::harden::Hardening;
use super::{CliResult, Failure, enroll, opening, preflight, sheets, warn_unlocked};
use breakglass_core::contents::{Entry, VaultContents};
use breakglass_core::kdf::KdfParams;
use breakglass_core::password::{self, PasswordPolicy};
use breakglass_core::seal::{self, SealParams};
use breakglass_core::vault::ShareLabel;
use std::path::PathBuf;

/// What rekey, rotate and expand all take: the old sheets and where the new ones go.
#[derive(clap::Args, Debug)]
pub struct OldSheets {
    /// Sheets of k custodians: share files, scans or photos. With none, typed.
    files: Vec<PathBuf>,
    /// Read the vault passphrase from this file (`-` for standard input); kept for the new vault.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Open this generation when the sheets given open more than one (after a rekey, or when
    /// a set was forged); by default the newest that opens.
    #[arg(long, value_name = "N")]
    generation: Option<u32>,
    #[command(flatten)]
    sheets: sheets::SheetArgs,
}

#[derive(clap::Args, Debug)]
pub struct RekeyArgs {
    #[command(flatten)]
    old: OldSheets,
    /// New threshold k (default: unchanged).
    #[arg(long, short = 'k')]
    threshold: Option<u8>,
    /// New share list, in order: `LOCATION` or `LOCATION=CUSTODIAN` (default: unchanged).
    #[arg(long = "share", value_name = "LOCATION[=CUSTODIAN]", value_parser = super::share_arg)]
    shares: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    old: OldSheets,
    /// New threshold k (default: unchanged).
    #[arg(long, short = 'k')]
    threshold: Option<u8>,
    /// New share list, in order: `LOCATION` or `LOCATION=CUSTODIAN` (default: unchanged).
    #[arg(long = "share", value_name = "LOCATION[=CUSTODIAN]", value_parser = super::share_arg)]
    shares: Vec<String>,
    /// Length of the new passwords (30–256); by default each account keeps the length of its
    /// current password.
    #[arg(long)]
    password_length: Option<usize>,
    /// Write the new credentials to standard output even when it is not a terminal (scripts,
    /// tests). Without it they are shown only on the terminal.
    #[arg(long)]
    print_credentials: bool,
    /// Also write the new credentials to this PDF, marked DESTROY AFTER ENROLLMENT (only on request).
    #[arg(long, value_name = "FILE.pdf", value_parser = super::out_file_arg)]
    enrollment_sheet: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ExpandArgs {
    #[command(flatten)]
    old: OldSheets,
    /// The one new share: `LOCATION` or `LOCATION=CUSTODIAN`.
    #[arg(long = "share", value_name = "LOCATION[=CUSTODIAN]", required = true, value_parser = super::share_arg)]
    share: String,
}

/// One job for [`run`], whichever command asked for it.
pub struct Job {
    files: Vec<PathBuf>,
    passphrase_file: Option<PathBuf>,
    generation: Option<u32>,
    threshold: Option<u8>,
    shares: Vec<String>,
    /// `None`: each account keeps its current password's length.
    password_length: Option<usize>,
    print_credentials: bool,
    enrollment_sheet: Option<PathBuf>,
    sheets: sheets::SheetArgs,
}

impl Job {
    fn new(old: OldSheets, threshold: Option<u8>, shares: Vec<String>) -> Self {
        Job {
            files: old.files,
            passphrase_file: old.passphrase_file,
            generation: old.generation,
            threshold,
            shares,
            password_length: None,
            print_credentials: false,
            enrollment_sheet: None,
            sheets: old.sheets,
        }
    }
}

impl From<RekeyArgs> for Job {
    fn from(a: RekeyArgs) -> Self {
        Job::new(a.old, a.threshold, a.shares)
    }
}

impl From<RotateArgs> for Job {
    fn from(a: RotateArgs) -> Self {
        Job {
            password_length: a.password_length,
            print_credentials: a.print_credentials,
            enrollment_sheet: a.enrollment_sheet,
            ..Job::new(a.old, a.threshold, a.shares)
        }
    }
}

impl From<ExpandArgs> for Job {
    fn from(a: ExpandArgs) -> Self {
        Job::new(a.old, None, vec![a.share])
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Rekey,
    Rotate,
    Expand,
}

/// The policy a new password for an account follows: `length` when given (`--password-length`),
/// else the length of the account's current password, so a rotation never shortens a password
/// nobody asked to shorten (a vault made with `--allow-short-passwords` keeps its length too).
fn policy_for(current: &str, length: Option<usize>) -> PasswordPolicy {
    match length {
        Some(length) => PasswordPolicy {
            length,
            ..PasswordPolicy::default()
        },
        None => {
            let length = current.chars().count();
            PasswordPolicy {
                length,
                allow_short: length < password::MIN_PASSWORD_LEN,
                ..PasswordPolicy::default()
            }
        }
    }
}

/// New passwords and PINs; TOTP seeds and notes are kept (they are not ours to change).
/// Returns the contents and the entropy of the weakest new password.
fn rotated<R: rand::CryptoRng + ?Sized>(
    c: &VaultContents,
    length: Option<usize>,
    rng: &mut R,
) -> CliResult<(VaultContents, f64)> {
    let mut entries = Vec::new();
    let mut weakest = f64::INFINITY;
    for e in &c.entries {
        entries.push(match e {
            Entry::Account {
                upn,
                display_name,
                password,
            } => {
                let policy = policy_for(password.expose_secret(), length);
                weakest = weakest.min(policy.entropy_bits());
                Entry::Account {
                    upn: upn.clone(),
                    display_name: display_name.clone(),
                    password: policy.generate(rng)?,
                }
            }
            Entry::Fido2 { label, pin } => {
                let old = pin.expose_secret();
                let digits = old.chars().all(|c| c.is_ascii_digit());
                Entry::Fido2 {
                    label: label.clone(),
                    pin: password::generate_pin(rng, old.len().clamp(4, 63), !digits)?,
                }
            }
            Entry::Totp { .. } | Entry::Note { .. } => e.clone(),
        });
    }
    if weakest.is_infinite() {
        weakest = PasswordPolicy::default().entropy_bits();
    }
    Ok((VaultContents { entries }, weakest))
}

pub fn run(args: Job, mode: Mode, hardening: &Hardening) -> CliResult {
    warn_unlocked(hardening);
    if mode == Mode::Expand && (args.shares.len() != 1 || args.threshold.is_some()) {
        return Err(Failure::Usage.because(
            "expand issues exactly one new share: give one --share LOCATION[=CUSTODIAN] (and no --threshold)",
        ));
    }
    if let Some(length) = args.password_length {
        PasswordPolicy {
            length,
            ..PasswordPolicy::default()
        }
        .validate()?;
    }
    // Before the sheets are read (typing them takes half an hour): where will the new ones show?
    let display = match mode {
        Mode::Rotate => Some(enroll::Display::choose(args.print_credentials, "rotate")?),
        _ => None,
    };
    preflight::before_secrets(hardening, args.sheets.allow_online)?;
    let (r, passphrase) = opening::open_sheets(
        &args.files,
        args.passphrase_file.as_deref(),
        args.generation,
    )?;
    let old = r.header.clone();
    let mut rng = super::rng::os_rng()?;
    let paper = sheets::paper(args.sheets.paper, None);

    if mode == Mode::Expand {
        let label = super::parse_share(&args.shares[0]);
        super::check_share_labels(std::slice::from_ref(&label))?;
        let index = old.share_count() + 1;
        sheets::prepare(
            &args.sheets.out,
            &[(index, label.location.as_str())],
            args.sheets.force,
        )?;
        let mut labels = old.labels.clone();
        labels.push(label.clone());
        super::placement::check(
            old.threshold,
            &labels,
            args.sheets.allow_single_location_recovery,
        )?;
        let sealed = seal::expand(&r, label, passphrase.as_ref(), &mut rng)?;
        let pdfs = sheets::write(
            &args.sheets.out,
            &sealed.shares,
            &sealed.vault,
            paper,
            args.sheets.force,
        )?;
        outln!(
            "Vault {}: issued share {index} (generation {}, same key). Any {} of the {} shares recover it.",
            old.vault_id,
            old.generation,
            old.threshold,
            index
        )?;
        sheets::print_written(&sealed.vault, &pdfs, &sealed.shares)?;
        outln!()?;
        outln!(
            "Every old sheet stays valid. If this replaces a LOST sheet, the lost one still counts as a share for whoever finds it: when a sheet is lost or a custodian leaves on bad terms, run `breakglass rekey` instead, which retires every old sheet."
        )?;
        return Ok(());
    }

    let labels: Vec<ShareLabel> = if args.shares.is_empty() {
        old.labels.clone()
    } else {
        let labels: Vec<ShareLabel> = args.shares.iter().map(|s| super::parse_share(s)).collect();
        super::check_share_labels(&labels)?;
        labels
    };
    let threshold = args.threshold.unwrap_or(old.threshold);
    super::placement::check(
        threshold,
        &labels,
        args.sheets.allow_single_location_recovery,
    )?;
    let planned: Vec<(u8, &str)> = (1..=u8::MAX)
        .zip(labels.iter().map(|l| l.location.as_str()))
        .collect();
    sheets::prepare(&args.sheets.out, &planned, args.sheets.force)?;
    enroll::check_target(args.enrollment_sheet.as_deref())?;
    let (contents, entropy_bits) = if mode == Mode::Rotate {
        rotated(&r.contents, args.password_length, &mut rng)?
    } else {
        (r.contents.clone(), PasswordPolicy::default().entropy_bits())
    };
    let enrollment =
        enroll::Enrollment::new(&contents.entries, entropy_bits).replacing(&r.contents.entries);
    if let Some(d) = &display {
        d.check_fits(&enrollment, "rotate")?;
    }
    let kdf = old
        .passphrase
        .map(|k| k.params)
        .unwrap_or_else(KdfParams::default);
    let plan = SealParams {
        vault_id: Some(old.vault_id),
        generation: old.generation + 1,
        tenant: old.tenant.clone(),
        created: super::unix_now(),
        drill_interval_days: old.drill_interval_days,
        threshold,
        labels,
        passphrase: passphrase.map(|p| (p, kdf)),
    };
    super::progress::sealing(plan.passphrase.as_ref().map(|(_, k)| k));
    let sealed = seal::seal(&plan, &contents, &mut rng)?;
    let pdfs = sheets::write(
        &args.sheets.out,
        &sealed.shares,
        &sealed.vault,
        paper,
        args.sheets.force,
    )?;
    let h = &sealed.vault.header;
    outln!(
        "Vault {}: generation {} written; {} of {} shares recover it. Generation {} is retired: destroy its sheets once the new ones are in place.",
        h.vault_id,
        h.generation,
        h.threshold,
        h.share_count(),
        old.generation
    )?;
    sheets::print_written(&sealed.vault, &pdfs, &sealed.shares)?;
    outln!()?;
    if let Some(display) = display {
        if let Some(path) = &args.enrollment_sheet {
            enroll::write_sheet(path, &h.tenant, h.created, &enrollment, paper)?;
        }
        display.show(&enrollment, args.enrollment_sheet.as_deref())?;
        outln!(
            "The old passwords and PINs stop working only once you change them in Entra ID and on the keys."
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_keeps_each_passwords_length_unless_one_is_given() {
        let keep = policy_for(&"x".repeat(48), None);
        assert_eq!(keep.length, 48);
        assert!(!keep.allow_short);
        let short = policy_for(&"x".repeat(16), None);
        assert_eq!((short.length, short.allow_short), (16, true));
        assert_eq!(policy_for(&"x".repeat(48), Some(64)).length, 64);
    }
}

//! `breakglass rekey`, `rotate` and `expand`: new sheets from k old ones.
//!
//! rekey: a new vault secret and new shares (next generation, same credentials); the old
//! generation's sheets are then refused as retired. rotate: the same, plus new passwords and
//! PINs, shown for enrollment. expand: one more share of the same secret for a new custodian or
//! a lost sheet; every old sheet stays valid.

use super::preflight;
use crate::plumbing::harden::Hardening;
use crate::plumbing::{CliResult, Failure, credential_pages, open_vault, sheets, warn_unlocked};
use breakglass_core::contents::{Entry, VaultContents};
use breakglass_core::password::{self, PasswordPolicy};
use breakglass_core::recover::Recovered;
use breakglass_core::seal::{self, SealParams, Sealed};
use breakglass_core::secret::Passphrase;
use breakglass_core::vault::{ShareLabel, VaultHeader};
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
    #[arg(long = "share", value_name = "LOCATION[=CUSTODIAN]", value_parser = crate::plumbing::args::share_arg)]
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
    #[arg(long = "share", value_name = "LOCATION[=CUSTODIAN]", value_parser = crate::plumbing::args::share_arg)]
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
    #[arg(long, value_name = "FILE.pdf", value_parser = crate::plumbing::args::out_file_arg)]
    enrollment_sheet: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ExpandArgs {
    #[command(flatten)]
    old: OldSheets,
    /// The one new share: `LOCATION` or `LOCATION=CUSTODIAN`.
    #[arg(long = "share", value_name = "LOCATION[=CUSTODIAN]", required = true, value_parser = crate::plumbing::args::share_arg)]
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

/// Refuses, before any sheet is read (typing them takes half an hour), what cannot be done.
fn check_job(job: &Job, mode: Mode) -> CliResult {
    if mode == Mode::Expand && (job.shares.len() != 1 || job.threshold.is_some()) {
        return Err(Failure::Usage.because(
            "expand issues exactly one new share: give one --share LOCATION[=CUSTODIAN] (and no --threshold)",
        ));
    }
    if let Some(length) = job.password_length {
        PasswordPolicy {
            length,
            ..PasswordPolicy::default()
        }
        .validate()?;
    }
    Ok(())
}

/// The new generation's threshold and share labels: the old ones unless the job gives others.
fn new_shape(old: &VaultHeader, job: &Job) -> CliResult<(u8, Vec<ShareLabel>)> {
    let labels: Vec<ShareLabel> = if job.shares.is_empty() {
        old.labels.clone()
    } else {
        let labels: Vec<ShareLabel> = job
            .shares
            .iter()
            .map(|s| crate::plumbing::args::parse_share(s))
            .collect();
        crate::plumbing::args::check_share_labels(&labels)?;
        labels
    };
    Ok((job.threshold.unwrap_or(old.threshold), labels))
}

/// `expand`: the one new share's label and index, and every label once it is added.
fn expanded(old: &VaultHeader, share: &str) -> CliResult<(ShareLabel, u8, Vec<ShareLabel>)> {
    let label = crate::plumbing::args::parse_share(share);
    crate::plumbing::args::check_share_labels(std::slice::from_ref(&label))?;
    let mut labels = old.labels.clone();
    labels.push(label.clone());
    Ok((label, old.share_count() + 1, labels))
}

/// The sealing of the next generation: same vault id, tenant and drill interval, made now
/// (`created`), with the new shape; a passphrase keeps its Argon2id cost.
fn next_generation(
    old: &VaultHeader,
    (threshold, labels): (u8, Vec<ShareLabel>),
    created: u64,
    passphrase: Option<Passphrase>,
) -> SealParams {
    let kdf = old.passphrase.map(|k| k.params).unwrap_or_default();
    SealParams {
        vault_id: Some(old.vault_id),
        generation: old.generation + 1,
        tenant: old.tenant.clone(),
        created,
        drill_interval_days: old.drill_interval_days,
        threshold,
        labels,
        passphrase: passphrase.map(|p| (p, kdf)),
    }
}

pub fn run(args: Job, mode: Mode, hardening: &Hardening) -> CliResult {
    warn_unlocked(hardening);
    check_job(&args, mode)?;
    // Before the sheets are read (typing them takes half an hour): where will the new ones show?
    let display = match mode {
        Mode::Rotate => Some(credential_pages::Display::choose(
            args.print_credentials,
            "rotate",
        )?),
        _ => None,
    };
    preflight::before_secrets(hardening, args.sheets.allow_online)?;
    let (r, passphrase) = open_vault::open_sheets(
        &args.files,
        args.passphrase_file.as_deref(),
        args.generation,
    )?;
    if mode == Mode::Expand {
        return run_expand(&args, &r, passphrase);
    }
    let old = r.header.clone();
    let mut rng = crate::plumbing::rng::os_rng()?;
    let paper = sheets::paper(args.sheets.paper, None);
    let (threshold, labels) = new_shape(&old, &args)?;
    crate::plumbing::placement::check(
        threshold,
        &labels,
        args.sheets.allow_single_location_recovery,
    )?;
    let planned: Vec<(u8, &str)> = (1..=u8::MAX)
        .zip(labels.iter().map(|l| l.location.as_str()))
        .collect();
    sheets::prepare(&args.sheets.out, &planned, args.sheets.force)?;
    credential_pages::check_target(args.enrollment_sheet.as_deref())?;
    let (contents, entropy_bits) = if mode == Mode::Rotate {
        rotated(&r.contents, args.password_length, &mut rng)?
    } else {
        (r.contents.clone(), PasswordPolicy::default().entropy_bits())
    };
    let enrollment = credential_pages::Enrollment::new(&contents.entries, entropy_bits)
        .replacing(&r.contents.entries);
    if let Some(d) = &display {
        d.check_fits(&enrollment, "rotate")?;
    }
    let plan = next_generation(
        &old,
        (threshold, labels),
        crate::plumbing::unix_now(),
        passphrase,
    );
    crate::plumbing::progress::sealing(plan.passphrase.as_ref().map(|(_, k)| k));
    let sealed = seal::seal(&plan, &contents, &mut rng)?;
    let pdfs = sheets::write(
        &args.sheets.out,
        &sealed.shares,
        &sealed.vault,
        paper,
        args.sheets.force,
    )?;
    print_new_generation(&sealed, &pdfs, old.generation)?;
    if let Some(display) = display {
        let h = &sealed.vault.header;
        if let Some(path) = &args.enrollment_sheet {
            credential_pages::write_sheet(path, &h.tenant, h.created, &enrollment, paper)?;
        }
        display.show(&enrollment, args.enrollment_sheet.as_deref())?;
        outln!(
            "The old passwords and PINs stop working only once you change them in Entra ID and on the keys."
        )?;
    }
    Ok(())
}

/// `expand`: one more share of the same secret, same generation.
fn run_expand(args: &Job, r: &Recovered, passphrase: Option<Passphrase>) -> CliResult {
    let old = &r.header;
    let (label, index, labels) = expanded(old, &args.shares[0])?;
    sheets::prepare(
        &args.sheets.out,
        &[(index, label.location.as_str())],
        args.sheets.force,
    )?;
    crate::plumbing::placement::check(
        old.threshold,
        &labels,
        args.sheets.allow_single_location_recovery,
    )?;
    let mut rng = crate::plumbing::rng::os_rng()?;
    let sealed = seal::expand(r, label, passphrase.as_ref(), &mut rng)?;
    let pdfs = sheets::write(
        &args.sheets.out,
        &sealed.shares,
        &sealed.vault,
        sheets::paper(args.sheets.paper, None),
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
    Ok(())
}

/// What a new generation wrote, and that the old one is retired.
fn print_new_generation(sealed: &Sealed, pdfs: &[PathBuf], old_generation: u32) -> CliResult {
    let h = &sealed.vault.header;
    outln!(
        "Vault {}: generation {} written; {} of {} shares recover it. Generation {} is retired: destroy its sheets once the new ones are in place.",
        h.vault_id,
        h.generation,
        h.threshold,
        h.share_count(),
        old_generation
    )?;
    sheets::print_written(&sealed.vault, pdfs, &sealed.shares)?;
    outln!()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use breakglass_core::testkit;
    use clap::Parser;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[derive(Parser)]
    struct Rekey {
        #[command(flatten)]
        args: RekeyArgs,
    }

    #[derive(Parser)]
    struct Rotate {
        #[command(flatten)]
        args: RotateArgs,
    }

    #[derive(Parser)]
    struct Expand {
        #[command(flatten)]
        args: ExpandArgs,
    }

    fn job<P: Parser>(flags: &[&str]) -> P {
        P::try_parse_from(["breakglass", "-o", "new"].iter().chain(flags)).expect("flags parse")
    }

    fn exit<T>(r: CliResult<T>) -> u8 {
        r.map_or_else(|e| Failure::of(&e).code(), |_| 0)
    }

    /// The header of the sample 2-of-3 vault, generation 1.
    fn old() -> VaultHeader {
        testkit::ceremony(&mut ChaCha20Rng::seed_from_u64(1))
            .vault
            .header
    }

    #[test]
    fn a_rekey_keeps_the_threshold_and_the_sheets_unless_given_others() {
        let old = old();
        let same: Job = job::<Rekey>(&[]).args.into();
        assert_eq!(new_shape(&old, &same).unwrap(), (2, old.labels.clone()));
        let other: Job = job::<Rekey>(&[
            "-k", "3", "--share", "A=Ann", "--share", "B", "--share", "C",
        ])
        .args
        .into();
        let (k, labels) = new_shape(&old, &other).unwrap();
        assert_eq!(k, 3);
        let names: Vec<(&str, &str)> = labels
            .iter()
            .map(|l| (l.location.as_str(), l.custodian.as_str()))
            .collect();
        assert_eq!(names, [("A", "Ann"), ("B", ""), ("C", "")]);
    }

    #[test]
    fn the_next_generation_keeps_the_vault_and_its_passphrase_cost() {
        let mut old = old();
        let p = next_generation(&old, (2, old.labels.clone()), 42, None);
        assert_eq!(p.vault_id, Some(old.vault_id));
        assert_eq!((p.generation, p.created), (2, 42));
        assert_eq!(
            (p.tenant.as_str(), p.drill_interval_days),
            (testkit::TENANT, 90)
        );
        assert!(p.passphrase.is_none());
        old.passphrase = Some(breakglass_core::vault::PassphraseKdf {
            params: testkit::SMALL_KDF,
            salt: [7; breakglass_core::kdf::SALT_BYTES],
        });
        let p = next_generation(
            &old,
            (2, old.labels.clone()),
            42,
            Some(testkit::passphrase()),
        );
        assert_eq!(p.passphrase.map(|(_, k)| k), Some(testkit::SMALL_KDF));
    }

    #[test]
    fn expand_adds_one_share_after_the_last_and_nothing_else() {
        let old = old();
        let (label, index, labels) = expanded(&old, "Bank box=Dana").unwrap();
        assert_eq!(
            (label.location.as_str(), label.custodian.as_str()),
            ("Bank box", "Dana")
        );
        assert_eq!(index, 4);
        assert_eq!(labels.len(), 4);
        assert_eq!(labels[..3], old.labels[..]);
        let one: Job = job::<Expand>(&["--share", "X"]).args.into();
        assert_eq!(exit(check_job(&one, Mode::Expand)), 0);
        let mut two = one;
        two.shares.push("Y".into());
        assert_eq!(exit(check_job(&two, Mode::Expand)), 2);
        let with_k = Job {
            threshold: Some(2),
            ..job::<Expand>(&["--share", "X"]).args.into()
        };
        assert_eq!(exit(check_job(&with_k, Mode::Expand)), 2);
    }

    #[test]
    fn a_password_length_out_of_range_is_refused_before_any_sheet_is_read() {
        let short: Job = job::<Rotate>(&["--password-length", "12"]).args.into();
        assert_eq!(exit(check_job(&short, Mode::Rotate)), 2);
        let fine: Job = job::<Rotate>(&["--password-length", "40"]).args.into();
        assert_eq!(exit(check_job(&fine, Mode::Rotate)), 0);
        assert_eq!(
            exit(check_job(&job::<Rekey>(&[]).args.into(), Mode::Rekey)),
            0
        );
    }

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

//! `breakglass ceremony`: generate credentials, seal, split, write one sheet per share.

use super::preflight;
use crate::plumbing::harden::Hardening;
use crate::plumbing::{
    Classify, CliResult, Failure, credential_pages, files, progress, prompt, remedy, sheets,
    warn_unlocked,
};
use breakglass_core::contents::{Entry, VaultContents};
use breakglass_core::credentials::{self, AccountCredentials, Fido2Key, Wanted};
use breakglass_core::entra;
use breakglass_core::kdf::KdfParams;
use breakglass_core::password::{self, PasswordPolicy};
use breakglass_core::plan::Plan;
use breakglass_core::seal::{self, SealParams, Sealed};
use breakglass_core::secret::{Passphrase, SecretString};
use breakglass_core::shamir::{self, ShamirError};
use breakglass_core::totp::Totp;
use breakglass_core::vault::{MAX_VAULT_BYTES, ShareLabel};
use breakglass_paper::sheet::Paper;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A ceremony plan (see `breakglass plan new`); replaces the quick flags below.
    #[arg(long, value_name = "PLAN.toml", conflicts_with_all = ["tenant", "domain", "threshold", "shares", "accounts", "allow_single_account"])]
    plan: Option<PathBuf>,
    /// The tenant: `contoso` for contoso.onmicrosoft.com.
    #[arg(long, required_unless_present = "plan")]
    tenant: Option<String>,
    /// Put the accounts on this domain instead of the tenant's onmicrosoft.com domain (not advised).
    #[arg(long)]
    domain: Option<String>,
    /// How many emergency accounts to create (default 2; Microsoft advises two or more).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=20))]
    accounts: Option<u8>,
    /// Accept `--accounts 1`: one account is one lockout away from no emergency access.
    #[arg(long)]
    allow_single_account: bool,
    /// User name prefix: accounts are PREFIX1, PREFIX2, … (default: breakglass)
    #[arg(long)]
    account_prefix: Option<String>,
    /// Shares needed to recover (k).
    #[arg(long, short = 'k', required_unless_present = "plan")]
    threshold: Option<u8>,
    /// One per share, in order: `LOCATION` or `LOCATION=CUSTODIAN`.
    #[arg(
        long = "share",
        value_name = "LOCATION[=CUSTODIAN]",
        required_unless_present = "plan",
        value_parser = crate::plumbing::args::share_arg
    )]
    shares: Vec<String>,
    /// Password length (30–256).
    #[arg(long)]
    password_length: Option<usize>,
    /// Permit passwords shorter than 30 characters (never below 8).
    #[arg(long)]
    allow_short_passwords: bool,
    /// Also use look-alike characters (0 O o 1 l I | ` ' ").
    #[arg(long)]
    include_ambiguous: bool,
    /// A FIDO2 security key (label and serial); a PIN is generated for it. Repeatable.
    #[arg(long = "fido2", value_name = "LABEL", value_parser = crate::plumbing::args::label_arg)]
    fido2: Vec<String>,
    /// Length of generated FIDO2 PINs (4–63; default 8).
    #[arg(long)]
    pin_length: Option<usize>,
    /// Generate alphanumeric PINs instead of digits.
    #[arg(long)]
    alphanumeric_pins: bool,
    /// File with otpauth:// URIs, one per line (`-` for standard input). Repeatable.
    #[arg(long = "totp-file", value_name = "FILE")]
    totp_files: Vec<PathBuf>,
    /// File whose text is stored as a note (recovery codes, instructions). Repeatable.
    #[arg(long = "note-file", value_name = "FILE")]
    note_files: Vec<PathBuf>,
    /// Also protect the vault with a passphrase (asked twice, no echo).
    #[arg(long)]
    passphrase: bool,
    /// Read the passphrase from this file instead of asking (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Argon2id memory in MiB for the passphrase (8–4096).
    #[arg(long, default_value_t = breakglass_core::kdf::DEFAULT_MEMORY_KIB / 1024)]
    kdf_memory_mib: u32,
    /// Argon2id passes for the passphrase (1–64).
    #[arg(long, default_value_t = breakglass_core::kdf::DEFAULT_ITERATIONS)]
    kdf_iterations: u32,
    /// Days between drills (printed as "next drill due"; 0 for none).
    #[arg(long)]
    drill_days: Option<u16>,
    /// Write the new credentials to standard output even when it is not a terminal (scripts,
    /// tests). Without it they are shown only on the terminal, never in a redirect.
    #[arg(long)]
    print_credentials: bool,
    /// Also write the new credentials to this PDF, marked DESTROY AFTER ENROLLMENT (only on request).
    #[arg(long, value_name = "FILE.pdf", value_parser = crate::plumbing::args::out_file_arg)]
    enrollment_sheet: Option<PathBuf>,
    #[command(flatten)]
    sheets: sheets::SheetArgs,
}

/// One account to create.
struct AccountSpec {
    /// The account and the secrets to generate for it.
    credentials: AccountCredentials,
    /// The plan's `object_id`, for the alert query (unknown before the account exists).
    object_id: Option<String>,
    totp_files: Vec<PathBuf>,
}

/// Everything the ceremony will do, from a plan or from the quick flags.
struct Spec {
    domain: String,
    accounts: Vec<AccountSpec>,
    threshold: u8,
    labels: Vec<ShareLabel>,
    paper: Paper,
    drill_days: u16,
    policy: PasswordPolicy,
    passphrase: bool,
    allow_single_location: bool,
}

/// The quick flags a plan replaces: given with `--plan` they would be silently ignored.
fn flags_a_plan_replaces(args: &Args) -> Vec<&'static str> {
    let given = [
        ("--fido2", !args.fido2.is_empty()),
        ("--totp-file", !args.totp_files.is_empty()),
        ("--pin-length", args.pin_length.is_some()),
        ("--alphanumeric-pins", args.alphanumeric_pins),
        ("--account-prefix", args.account_prefix.is_some()),
    ];
    given
        .into_iter()
        .filter_map(|(flag, on)| on.then_some(flag))
        .collect()
}

fn spec_from_plan(path: &Path, args: &Args) -> CliResult<Spec> {
    let ignored = flags_a_plan_replaces(args);
    if !ignored.is_empty() {
        return Err(Failure::Usage.because(format!(
            "{} cannot be used with --plan: the plan says which accounts, keys, PINs and TOTP files there are; put them in {} instead",
            ignored.join(", "),
            path.display()
        )));
    }
    let text = files::read_text(path)?;
    let plan = Plan::parse(&text).map_err(|e| Failure::about(path.display(), e))?;
    let mut plan = plan;
    plan.allow_single_location_recovery |= args.sheets.allow_single_location_recovery;
    if let Some(l) = args.password_length {
        plan.password_length = Some(l);
    }
    let warnings = plan
        .validate()
        .map_err(|e| Failure::about(path.display(), e))?;
    for w in warnings {
        eprintln!("warning: {}", crate::plumbing::visible(&w));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let spec = plan_spec(&plan, base)?;
    Ok(Spec {
        paper: sheets::paper(args.sheets.paper, plan.paper.as_deref()),
        drill_days: args.drill_days.unwrap_or(plan.drill_interval_days),
        policy: PasswordPolicy {
            include_ambiguous: args.include_ambiguous,
            allow_short: args.allow_short_passwords,
            ..spec.policy
        },
        passphrase: spec.passphrase || args.passphrase || args.passphrase_file.is_some(),
        ..spec
    })
}

/// The ceremony a validated plan describes, as the plan alone says it (no flags).
fn plan_spec(plan: &Plan, base: &Path) -> CliResult<Spec> {
    let mut accounts = Vec::new();
    for a in &plan.accounts {
        // A file the plan names and that is not there is a fault of the plan, exit 2 like every
        // other plan error (README "Exit codes"); one that is there but unreadable is input, 3.
        if let Some(f) = &a.totp_uri_file
            && std::fs::symlink_metadata(base.join(f)).is_err()
        {
            return Err(Failure::Usage.because(format!(
                "the plan's totp_uri_file {} (account {}) does not exist: paths in a plan are relative to the plan's folder ({}); fix the path or create the file",
                crate::plumbing::visible(f),
                crate::plumbing::visible(&a.user),
                crate::plumbing::shown_path(base)
            )));
        }
        accounts.push(AccountSpec {
            credentials: Plan::credentials(a, plan.upn(a)?),
            object_id: a.object_id.clone(),
            totp_files: a.totp_uri_file.iter().map(|f| base.join(f)).collect(),
        });
    }
    Ok(Spec {
        domain: plan.domain()?,
        accounts,
        threshold: plan.threshold,
        labels: plan.labels(),
        paper: sheets::paper(None, plan.paper.as_deref()),
        drill_days: plan.drill_interval_days,
        policy: plan.password_policy(),
        passphrase: plan.passphrase,
        allow_single_location: plan.allow_single_location_recovery,
    })
}

/// For `plan check`: what `ceremony --plan` refuses beyond the plan's own rules (which the
/// caller has checked), without generating anything: labels, TOTP files that are missing or
/// do not parse, a vault above the format's size limit.
pub fn check_plan(plan: &Plan, base: &Path) -> CliResult {
    let spec = plan_spec(plan, base)?;
    spec.policy.validate()?;
    check_fields(&spec)?;
    let totp: Vec<Vec<Vec<Entry>>> = spec
        .accounts
        .iter()
        .map(|a| a.totp_files.iter().map(|f| read_totp(f)).collect())
        .collect::<CliResult<_>>()?;
    check_vault_size(&spec, &totp, &[])
}

fn spec_from_flags(args: &Args) -> CliResult<Spec> {
    let tenant = args.tenant.as_deref().unwrap_or_default();
    let domain = match &args.domain {
        Some(d) => {
            entra::validate_domain(d)?;
            if !entra::is_onmicrosoft(d) {
                eprintln!(
                    "warning: {} is not an onmicrosoft.com domain. Microsoft advises cloud-only emergency accounts on the tenant's *.onmicrosoft.com domain, so they work when federation or DNS does not.",
                    crate::plumbing::visible(d)
                );
            }
            d.to_ascii_lowercase()
        }
        None => entra::onmicrosoft_domain(tenant)?,
    };
    let count = args.accounts.unwrap_or(2);
    if count < 2 && !args.allow_single_account {
        return Err(Failure::Usage.because(
            "--accounts 1: Microsoft advises two or more emergency accounts, so one locked-out, expired or misconfigured account does not end emergency access. Use --accounts 2, or pass --allow-single-account if one is really meant.",
        ));
    }
    let mut accounts = Vec::new();
    for i in 1..=count {
        accounts.push(AccountSpec {
            credentials: AccountCredentials {
                upn: entra::upn(
                    &format!(
                        "{}{i}",
                        args.account_prefix.as_deref().unwrap_or("breakglass")
                    ),
                    &domain,
                )?,
                display_name: format!("Emergency access {i}"),
                password: true,
                fido2: if i == 1 {
                    args.fido2
                        .iter()
                        .map(|l| Fido2Key {
                            label: l.clone(),
                            pin_length: args.pin_length.unwrap_or(8),
                            alphanumeric: args.alphanumeric_pins,
                        })
                        .collect()
                } else {
                    Vec::new()
                },
            },
            object_id: None,
            totp_files: if i == 1 {
                args.totp_files.clone()
            } else {
                Vec::new()
            },
        });
    }
    let labels: Vec<ShareLabel> = args
        .shares
        .iter()
        .map(|s| crate::plumbing::args::parse_share(s))
        .collect();
    if labels.len() > breakglass_core::MAX_SHARES {
        return Err(Failure::Usage.because(format!(
            "{} shares were asked for: at most 255 are possible",
            labels.len()
        )));
    }
    Ok(Spec {
        domain,
        accounts,
        threshold: args.threshold.unwrap_or(0),
        labels,
        paper: sheets::paper(args.sheets.paper, None),
        drill_days: args.drill_days.unwrap_or(90),
        policy: PasswordPolicy {
            length: args
                .password_length
                .unwrap_or(password::DEFAULT_PASSWORD_LEN),
            include_ambiguous: args.include_ambiguous,
            allow_short: args.allow_short_passwords,
        },
        passphrase: args.passphrase || args.passphrase_file.is_some(),
        allow_single_location: args.sheets.allow_single_location_recovery,
    })
}

/// Reads TOTP URIs (one per line) and checks each one parses.
pub fn read_totp(path: &Path) -> CliResult<Vec<Entry>> {
    let text = files::read_text(path)?;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if breakglass_core::totp::strip_scheme(line).is_none() {
            return Err(Failure::BadInput.because(format!(
                "{}: a line is not an otpauth:// URI (one URI per line)",
                path.display()
            )));
        }
        Totp::from_uri(line).map_err(|e| Failure::about(path.display(), e))?;
        out.push(Entry::Totp {
            label: breakglass_core::totp::entry_label(line),
            uri: SecretString::new(line.to_string()),
        });
    }
    if out.is_empty() {
        return Err(
            Failure::BadInput.because(format!("{}: no otpauth:// URI in it", path.display()))
        );
    }
    Ok(out)
}

/// Reads a note file: its name is the label.
pub fn read_note(path: &Path) -> CliResult<Entry> {
    let text = files::read_text(path)?;
    if text.trim().is_empty() {
        return Err(Failure::BadInput.because(format!("{} is empty", path.display())));
    }
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "note".into());
    Ok(Entry::Note {
        label,
        text: SecretString::new(text.to_string()),
    })
}

/// Refuses terminal controls in the flags' labels before any secret is made (a plan's are
/// checked by its own validation, naming its keys; notes and TOTP files once they are read).
fn check_fields(spec: &Spec) -> CliResult {
    use breakglass_core::untrusted::check_field;
    crate::plumbing::args::check_share_labels(&spec.labels)?;
    for a in spec.accounts.iter().map(|a| &a.credentials) {
        check_field(&a.display_name, || format!("the display name of {}", a.upn))?;
        for (j, key) in (1..).zip(&a.fido2) {
            check_field(&key.label, || format!("--fido2 {j} (a FIDO2 key label)"))?;
        }
    }
    Ok(())
}

/// Refuses, before any secret is generated, a vault above the format's envelope cap
/// (FORMAT.md §3): placeholders of the generated secrets' lengths give its exact size.
fn check_vault_size(spec: &Spec, totp: &[Vec<Vec<Entry>>], notes: &[Entry]) -> CliResult {
    let mut entries = Vec::new();
    for (a, totp) in spec.accounts.iter().zip(totp) {
        entries.extend(credentials::placeholder_entries(
            &a.credentials,
            &spec.policy,
        ));
        entries.extend(totp.iter().flatten().cloned());
    }
    entries.extend(notes.iter().cloned());
    let contents = VaultContents { entries };
    let size = breakglass_core::vault::envelope_bytes(
        &spec.domain,
        &spec.labels,
        spec.passphrase,
        &contents,
    )
    .fails_as(Failure::Usage)?;
    if size > MAX_VAULT_BYTES {
        return Err(Failure::Usage.because(format!(
            "the vault would be {size} bytes, above the format's limit of {MAX_VAULT_BYTES} bytes \
             ({} too many): store less text (notes, TOTP files), or use fewer shares or shorter \
             location and custodian names. Nothing was generated.",
            size - MAX_VAULT_BYTES
        )));
    }
    Ok(())
}

/// Refuses k and n the ceremony cannot split into (2 ≤ k ≤ n), with the core's own words.
fn check_threshold(threshold: u8, shares: usize) -> CliResult {
    if shares >= 2 && threshold >= 2 && usize::from(threshold) <= shares {
        return Ok(());
    }
    let n = u8::try_from(shares.min(breakglass_core::MAX_SHARES)).unwrap_or(u8::MAX);
    if threshold < shamir::MIN_THRESHOLD {
        return Err(ShamirError::ThresholdTooLow { k: threshold }.into());
    }
    if threshold > n {
        return Err(ShamirError::ThresholdAboveCount { k: threshold, n }.into());
    }
    Err(Failure::Usage.because("at least 2 shares are needed"))
}

/// Refuses, before any file is read or anything generated, a ceremony that cannot be: the
/// password policy, the Argon2id cost of a passphrase, k and n, and terminal controls in labels.
fn check_spec(spec: &Spec, kdf: KdfParams) -> CliResult {
    spec.policy.validate()?;
    if spec.passphrase {
        kdf.check()?;
    }
    check_threshold(spec.threshold, spec.labels.len())?;
    check_fields(spec)
}

/// The vault's entries: each account's new password and PINs, its TOTP files, then the notes.
fn generate_entries<R: rand::CryptoRng + ?Sized>(
    spec: &Spec,
    totp: Vec<Vec<Vec<Entry>>>,
    notes: Vec<Entry>,
    rng: &mut R,
) -> CliResult<Vec<Entry>> {
    let mut entries = Vec::new();
    for (a, totp) in spec.accounts.iter().zip(totp) {
        entries.extend(credentials::account_entries(
            &a.credentials,
            |wanted| -> CliResult<SecretString> {
                Ok(match wanted {
                    Wanted::Password => spec.policy.generate(rng)?,
                    Wanted::Pin(key) => {
                        password::generate_pin(rng, key.pin_length, key.alphanumeric)?
                    }
                })
            },
        )?);
        entries.extend(totp.into_iter().flatten());
    }
    entries.extend(notes);
    Ok(entries)
}

/// The sealing of generation 1 of the vault `spec` describes, made at `created`.
fn seal_params(
    spec: &Spec,
    created: u64,
    passphrase: Option<(Passphrase, KdfParams)>,
) -> SealParams {
    SealParams {
        vault_id: None,
        generation: 1,
        tenant: spec.domain.clone(),
        created,
        drill_interval_days: spec.drill_days,
        threshold: spec.threshold,
        labels: spec.labels.clone(),
        passphrase,
    }
}

/// The alert's accounts: every UPN, the object ids known, and the UPNs without one.
fn alert_accounts(spec: &Spec) -> (Vec<String>, Vec<String>, Vec<String>) {
    let upn = |a: &AccountSpec| a.credentials.upn.clone();
    let upns = spec.accounts.iter().map(upn).collect();
    let ids = spec
        .accounts
        .iter()
        .filter_map(|a| a.object_id.clone())
        .collect();
    let without_id = spec
        .accounts
        .iter()
        .filter(|a| a.object_id.is_none())
        .map(upn)
        .collect();
    (upns, ids, without_id)
}

pub fn run(args: Args, hardening: &Hardening) -> CliResult {
    warn_unlocked(hardening);
    let spec = match &args.plan {
        Some(p) => spec_from_plan(p, &args)?,
        None => spec_from_flags(&args)?,
    };
    let kdf = KdfParams {
        memory_kib: args.kdf_memory_mib.saturating_mul(1024),
        iterations: args.kdf_iterations,
        parallelism: 1,
    };
    check_spec(&spec, kdf)?;
    crate::plumbing::placement::check(spec.threshold, &spec.labels, spec.allow_single_location)?;
    let planned: Vec<(u8, &str)> = (1..=u8::MAX)
        .zip(spec.labels.iter().map(|l| l.location.as_str()))
        .collect();
    sheets::prepare(&args.sheets.out, &planned, args.sheets.force)?;
    credential_pages::check_target(args.enrollment_sheet.as_deref())?;
    let display = credential_pages::Display::choose(args.print_credentials, "ceremony")?;
    preflight::before_secrets(hardening, args.sheets.allow_online)?;

    // Files first, then the size check, then the secrets: a vault too large for the format is
    // refused before anything secret exists.
    let totp: Vec<Vec<Vec<Entry>>> = spec
        .accounts
        .iter()
        .map(|a| a.totp_files.iter().map(|f| read_totp(f)).collect())
        .collect::<CliResult<_>>()?;
    let notes = args
        .note_files
        .iter()
        .map(|f| read_note(f))
        .collect::<CliResult<Vec<_>>>()?;
    check_vault_size(&spec, &totp, &notes)?;

    let mut rng = crate::plumbing::rng::os_rng()?;
    let entries = generate_entries(&spec, totp, notes, &mut rng)?;
    display.check_fits(
        &credential_pages::Enrollment::new(&entries, spec.policy.entropy_bits()),
        "ceremony",
    )?;
    let passphrase = if spec.passphrase {
        Some((
            prompt::passphrase(args.passphrase_file.as_deref(), true)?,
            kdf,
        ))
    } else {
        None
    };
    let plan = seal_params(&spec, crate::plumbing::unix_now(), passphrase);
    let contents = VaultContents { entries };
    contents.check_fields().fails_as(Failure::BadInput)?;
    progress::sealing(plan.passphrase.as_ref().map(|(_, k)| k));
    let sealed = seal::seal(&plan, &contents, &mut rng)?;
    let enrollment =
        credential_pages::Enrollment::new(&contents.entries, spec.policy.entropy_bits());
    let pdfs = write_outputs(&args, &sealed, &enrollment, spec.paper)?;
    print_written(&sealed, &pdfs)?;
    display.show(&enrollment, args.enrollment_sheet.as_deref())?;
    print_alert_and_checklist(&spec, &args.sheets.out)
}

/// The enrollment sheet first: when it cannot be laid out or written, no share sheet of a
/// vault whose credentials nobody saw exists yet; when the sheets cannot be written, it goes.
fn write_outputs(
    args: &Args,
    sealed: &Sealed,
    enrollment: &credential_pages::Enrollment,
    paper: Paper,
) -> CliResult<Vec<PathBuf>> {
    let h = &sealed.vault.header;
    if let Some(path) = &args.enrollment_sheet {
        credential_pages::write_sheet(path, &h.tenant, h.created, enrollment, paper)?;
    }
    sheets::write(
        &args.sheets.out,
        &sealed.shares,
        &sealed.vault,
        paper,
        args.sheets.force,
    )
    .inspect_err(|_| {
        if let Some(path) = &args.enrollment_sheet
            && std::fs::remove_file(path).is_ok()
        {
            eprintln!(
                "Removed the enrollment sheet {}: its vault was not written.",
                path.display()
            );
        }
    })
}

/// What was sealed and written.
fn print_written(sealed: &Sealed, pdfs: &[PathBuf]) -> CliResult {
    let h = &sealed.vault.header;
    outln!(
        "Vault {} for {}: {} of {} shares recover it{}.",
        h.vault_id,
        crate::plumbing::visible(&h.tenant),
        h.threshold,
        h.share_count(),
        if h.passphrase.is_some() {
            ", with the passphrase"
        } else {
            ""
        }
    )?;
    sheets::print_written(&sealed.vault, pdfs, &sealed.shares)?;
    outln!()?;
    Ok(())
}

/// After the credentials: the sign-in alert, the checklist and what to do next.
fn print_alert_and_checklist(spec: &Spec, out: &Path) -> CliResult {
    let (upns, ids, without_id) = alert_accounts(spec);
    outln!("Sign-in alert for Microsoft Sentinel / Log Analytics (also: breakglass monitoring):")?;
    outln!()?;
    out!(
        "{}",
        crate::plumbing::visible_text(&entra::sentinel_query(&upns, &ids))
    )?;
    if let Some(w) = remedy::object_id_warning(&without_id, remedy::Flags::current()) {
        outln!("// warning: {}", crate::plumbing::visible(&w))?;
    }
    outln!()?;
    // Wrapped at the terminal's width on spaces, never inside a word.
    let cols = crate::plumbing::wrap::stdout_width();
    let fit = |t: &str| crate::plumbing::wrap::fit(t, cols);
    outln!("Checklist:")?;
    for (i, item) in entra::ceremony_checklist(spec.drill_days)
        .iter()
        .enumerate()
    {
        outln!("{}", fit(&format!("  {}. {item}", i + 1)))?;
    }
    outln!()?;
    outln!(
        "{}",
        fit(&format!(
            "Next: print each PDF for its location, scan page 1 of every printout and check the scans with `breakglass verify-print --sheets {} SCAN...`, then clear this screen.",
            out.display()
        ))
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: Args,
    }

    /// The quick flags of a ceremony of contoso into `out/`, and `extra`.
    fn spec(extra: &[&str]) -> CliResult<Spec> {
        let flags = ["ceremony", "--tenant", "contoso", "-o", "out"];
        let cmd = Cmd::try_parse_from(flags.iter().chain(extra)).expect("flags parse");
        spec_from_flags(&cmd.args)
    }

    const TWO_OF_THREE: [&str; 8] = ["-k", "2", "--share", "A", "--share", "B", "--share", "C"];

    fn exit<T>(r: CliResult<T>) -> u8 {
        r.map_or_else(|e| Failure::of(&e).code(), |_| 0)
    }

    #[test]
    fn impossible_thresholds_are_refused_in_the_cores_words() {
        assert_eq!(exit(check_threshold(2, 3)), 0);
        assert_eq!(exit(check_threshold(3, 3)), 0);
        for (k, n, says) in [
            (1, 3, "threshold 1 is too low"),
            (4, 3, "threshold 4 is more than the 3 shares made"),
            (2, 1, "threshold 2 is more than the 1 shares made"),
            (0, 0, "threshold 0 is too low"),
        ] {
            let e = check_threshold(k, n).expect_err("refused");
            assert_eq!(Failure::of(&e).code(), 2, "{k} of {n}");
            assert!(e.to_string().contains(says), "{k} of {n}: {e}");
        }
    }

    #[test]
    fn a_spec_is_checked_before_anything_is_read_or_made() {
        let kdf = KdfParams::default();
        assert_eq!(exit(check_spec(&spec(&TWO_OF_THREE).unwrap(), kdf)), 0);
        let k4 = ["-k", "4", "--share", "A", "--share", "B", "--share", "C"];
        assert_eq!(exit(check_spec(&spec(&k4).unwrap(), kdf)), 2);
        let short = [&TWO_OF_THREE[..], &["--password-length", "12"]].concat();
        assert_eq!(exit(check_spec(&spec(&short).unwrap(), kdf)), 2);
        let cheap = KdfParams {
            memory_kib: 1,
            ..kdf
        };
        let with_passphrase = [&TWO_OF_THREE[..], &["--passphrase"]].concat();
        assert_eq!(exit(check_spec(&spec(&with_passphrase).unwrap(), cheap)), 2);
        assert_eq!(
            exit(check_spec(&spec(&TWO_OF_THREE).unwrap(), cheap)),
            0,
            "no passphrase"
        );
        let control = [&TWO_OF_THREE[..], &["--fido2", "key\u{1b}[2J"]].concat();
        match spec(&control) {
            Ok(s) => assert_eq!(exit(check_spec(&s, kdf)), 2),
            Err(e) => assert_eq!(Failure::of(&e).code(), 2),
        }
    }

    #[test]
    fn one_account_needs_the_override() {
        assert_eq!(
            exit(spec(&[&TWO_OF_THREE[..], &["--accounts", "1"]].concat())),
            2
        );
        let one = spec(
            &[
                &TWO_OF_THREE[..],
                &["--accounts", "1", "--allow-single-account"],
            ]
            .concat(),
        );
        assert_eq!(one.unwrap().accounts.len(), 1);
    }

    #[test]
    fn the_entries_are_each_accounts_secrets_then_the_notes() {
        let s = spec(
            &[
                &TWO_OF_THREE[..],
                &["--fido2", "YubiKey #1", "--pin-length", "6"],
            ]
            .concat(),
        )
        .unwrap();
        let note = Entry::Note {
            label: "codes".into(),
            text: SecretString::new("1111".into()),
        };
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let entries =
            generate_entries(&s, vec![Vec::new(), Vec::new()], vec![note], &mut rng).unwrap();
        let kinds: Vec<String> = entries
            .iter()
            .map(|e| match e {
                Entry::Account { upn, password, .. } => {
                    assert_eq!(password.expose_secret().chars().count(), 32);
                    format!("account {upn}")
                }
                Entry::Fido2 { label, pin } => {
                    assert_eq!(pin.expose_secret().len(), 6);
                    format!("key {label}")
                }
                Entry::Totp { label, .. } => format!("totp {label}"),
                Entry::Note { label, .. } => format!("note {label}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "account breakglass1@contoso.onmicrosoft.com",
                "key YubiKey #1 for breakglass1@contoso.onmicrosoft.com",
                "account breakglass2@contoso.onmicrosoft.com",
                "note codes"
            ]
        );
    }

    #[test]
    fn generation_1_is_sealed_as_specified_and_the_alert_names_what_it_lacks() {
        let s = spec(&[&TWO_OF_THREE[..], &["--drill-days", "30"]].concat()).unwrap();
        let p = seal_params(&s, 42, None);
        assert_eq!((p.vault_id, p.generation, p.created), (None, 1, 42));
        assert_eq!(
            (p.threshold, p.labels.len(), p.drill_interval_days),
            (2, 3, 30)
        );
        assert_eq!(p.tenant, "contoso.onmicrosoft.com");
        let (upns, ids, without_id) = alert_accounts(&s);
        assert_eq!(upns.len(), 2);
        assert!(ids.is_empty(), "the quick flags know no object id");
        assert_eq!(without_id, upns);
    }
}

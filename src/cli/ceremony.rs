//! `breakglass ceremony`: generate credentials, seal, split, write one sheet per share.

use super::harden::Hardening;
use super::{
    Classify, CliResult, Failure, enroll, files, preflight, progress, prompt, remedy, sheets,
    warn_unlocked,
};
use breakglass_core::contents::{Entry, VaultContents};
use breakglass_core::credentials::{self, AccountCredentials, Fido2Key, Wanted};
use breakglass_core::entra;
use breakglass_core::kdf::KdfParams;
use breakglass_core::password::{self, PasswordPolicy};
use breakglass_core::plan::Plan;
use breakglass_core::seal::{self, SealParams};
use breakglass_core::secret::SecretString;
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
        value_parser = super::share_arg
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
    #[arg(long = "fido2", value_name = "LABEL", value_parser = super::label_arg)]
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
    #[arg(long, value_name = "FILE.pdf", value_parser = super::out_file_arg)]
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
        eprintln!("warning: {}", super::visible(&w));
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
                super::visible(f),
                super::visible(&a.user),
                super::shown_path(base)
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
                    super::visible(d)
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
    let labels: Vec<ShareLabel> = args.shares.iter().map(|s| super::parse_share(s)).collect();
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
    super::check_share_labels(&spec.labels)?;
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

pub fn run(args: Args, hardening: &Hardening) -> CliResult {
    warn_unlocked(hardening);
    let spec = match &args.plan {
        Some(p) => spec_from_plan(p, &args)?,
        None => spec_from_flags(&args)?,
    };
    spec.policy.validate()?;
    let kdf = KdfParams {
        memory_kib: args.kdf_memory_mib.saturating_mul(1024),
        iterations: args.kdf_iterations,
        parallelism: 1,
    };
    if spec.passphrase {
        kdf.check()?;
    }
    if spec.labels.len() < 2
        || spec.threshold < 2
        || usize::from(spec.threshold) > spec.labels.len()
    {
        // The core's error says exactly what is impossible.
        let shamir_err = breakglass_core::shamir::split(
            &breakglass_core::secret::VaultSecret::from_bytes([0; 32]),
            spec.threshold,
            spec.labels.len().min(breakglass_core::MAX_SHARES) as u8,
            &mut super::rng::os_rng()?,
        );
        if let Err(e) = shamir_err {
            return Err(e.into());
        }
        return Err(Failure::Usage.because("at least 2 shares are needed"));
    }
    check_fields(&spec)?;
    super::placement::check(spec.threshold, &spec.labels, spec.allow_single_location)?;
    let planned: Vec<(u8, &str)> = (1..=u8::MAX)
        .zip(spec.labels.iter().map(|l| l.location.as_str()))
        .collect();
    sheets::prepare(&args.sheets.out, &planned, args.sheets.force)?;
    enroll::check_target(args.enrollment_sheet.as_deref())?;
    let display = enroll::Display::choose(args.print_credentials, "ceremony")?;
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

    let mut rng = super::rng::os_rng()?;
    let mut entries = Vec::new();
    for (a, totp) in spec.accounts.iter().zip(totp) {
        entries.extend(credentials::account_entries(
            &a.credentials,
            |wanted| -> CliResult<SecretString> {
                Ok(match wanted {
                    Wanted::Password => spec.policy.generate(&mut rng)?,
                    Wanted::Pin(key) => {
                        password::generate_pin(&mut rng, key.pin_length, key.alphanumeric)?
                    }
                })
            },
        )?);
        entries.extend(totp.into_iter().flatten());
    }
    entries.extend(notes);
    display.check_fits(
        &enroll::Enrollment::new(&entries, spec.policy.entropy_bits()),
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
    let created = super::unix_now();
    let plan = SealParams {
        vault_id: None,
        generation: 1,
        tenant: spec.domain.clone(),
        created,
        drill_interval_days: spec.drill_days,
        threshold: spec.threshold,
        labels: spec.labels.clone(),
        passphrase,
    };
    let contents = VaultContents { entries };
    contents.check_fields().fails_as(Failure::BadInput)?;
    progress::sealing(plan.passphrase.as_ref().map(|(_, k)| k));
    let sealed = seal::seal(&plan, &contents, &mut rng)?;
    let h = &sealed.vault.header;
    let enrollment = enroll::Enrollment::new(&contents.entries, spec.policy.entropy_bits());
    // The enrollment sheet first: when it cannot be laid out or written, no share sheet of a
    // vault whose credentials nobody saw exists yet.
    if let Some(path) = &args.enrollment_sheet {
        enroll::write_sheet(path, &h.tenant, h.created, &enrollment, spec.paper)?;
    }
    let pdfs = match sheets::write(
        &args.sheets.out,
        &sealed.shares,
        &sealed.vault,
        spec.paper,
        args.sheets.force,
    ) {
        Ok(p) => p,
        Err(f) => {
            if let Some(path) = &args.enrollment_sheet
                && std::fs::remove_file(path).is_ok()
            {
                eprintln!(
                    "Removed the enrollment sheet {}: its vault was not written.",
                    path.display()
                );
            }
            return Err(f);
        }
    };

    outln!(
        "Vault {} for {}: {} of {} shares recover it{}.",
        h.vault_id,
        super::visible(&h.tenant),
        h.threshold,
        h.share_count(),
        if h.passphrase.is_some() {
            ", with the passphrase"
        } else {
            ""
        }
    )?;
    sheets::print_written(&sealed.vault, &pdfs, &sealed.shares)?;
    outln!()?;
    display.show(&enrollment, args.enrollment_sheet.as_deref())?;
    let upns: Vec<String> = spec
        .accounts
        .iter()
        .map(|a| a.credentials.upn.clone())
        .collect();
    let ids: Vec<String> = spec
        .accounts
        .iter()
        .filter_map(|a| a.object_id.clone())
        .collect();
    let without_id: Vec<String> = spec
        .accounts
        .iter()
        .filter(|a| a.object_id.is_none())
        .map(|a| a.credentials.upn.clone())
        .collect();
    outln!("Sign-in alert for Microsoft Sentinel / Log Analytics (also: breakglass monitoring):")?;
    outln!()?;
    out!(
        "{}",
        super::visible_text(&entra::sentinel_query(&upns, &ids))
    )?;
    if let Some(w) = remedy::object_id_warning(&without_id, remedy::Flags::current()) {
        outln!("// warning: {}", super::visible(&w))?;
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
            args.sheets.out.display()
        ))
    )?;
    Ok(())
}

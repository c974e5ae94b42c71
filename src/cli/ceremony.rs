//! `breakglass ceremony`: generate credentials, seal, split, write one sheet per share.

use super::files::{self, OutFile};
use super::harden::Hardening;
use super::{CliResult, WithCode, exit, fail, prompt, warn_unlocked};
use breakglass::contents::{Entry, VaultContents};
use breakglass::document::SheetText;
use breakglass::entra;
use breakglass::kdf::KdfParams;
use breakglass::password::{self, PasswordPolicy};
use breakglass::recover::display_vault_id;
use breakglass::seal::{self, SealPlan};
use breakglass::secret::SecretString;
use breakglass::sheet::{self, Paper, ShareSheet};
use breakglass::vault::ShareLabel;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The tenant: `contoso` for contoso.onmicrosoft.com.
    #[arg(long)]
    tenant: String,
    /// Put the accounts on this domain instead of the tenant's onmicrosoft.com domain (not advised).
    #[arg(long)]
    domain: Option<String>,
    /// How many emergency accounts to create (Microsoft advises two or more).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=20))]
    accounts: u8,
    /// User name prefix: accounts are PREFIX1, PREFIX2, …
    #[arg(long, default_value = "breakglass")]
    account_prefix: String,
    /// Shares needed to recover (k).
    #[arg(long, short = 'k')]
    threshold: u8,
    /// One per share, in order: `LOCATION` or `LOCATION=CUSTODIAN`.
    #[arg(long = "share", value_name = "LOCATION[=CUSTODIAN]", required = true)]
    shares: Vec<String>,
    /// Folder for the sheets (created with mode 0700).
    #[arg(long)]
    out: PathBuf,
    /// Replace sheets already in the output folder.
    #[arg(long)]
    force: bool,
    /// Password length (30–256).
    #[arg(long, default_value_t = password::DEFAULT_PASSWORD_LEN)]
    password_length: usize,
    /// Permit passwords shorter than 30 characters (never below 8).
    #[arg(long)]
    allow_short_passwords: bool,
    /// Also use look-alike characters (0 O o 1 l I | ` ' ").
    #[arg(long)]
    include_ambiguous: bool,
    /// A FIDO2 security key (label and serial); a PIN is generated for it. Repeatable.
    #[arg(long = "fido2", value_name = "LABEL")]
    fido2: Vec<String>,
    /// Length of generated FIDO2 PINs (4–63).
    #[arg(long, default_value_t = 8)]
    pin_length: usize,
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
    #[arg(long, default_value_t = breakglass::kdf::DEFAULT_MEMORY_KIB / 1024)]
    kdf_memory_mib: u32,
    /// Argon2id passes for the passphrase (1–64).
    #[arg(long, default_value_t = breakglass::kdf::DEFAULT_ITERATIONS)]
    kdf_iterations: u32,
    /// Paper size of the PDF sheets (default: from the locale, else A4).
    #[arg(long, value_enum)]
    paper: Option<PaperArg>,
    /// Days between drills (printed as "next drill due"; 0 for none).
    #[arg(long, default_value_t = 90)]
    drill_days: u16,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum PaperArg {
    A4,
    Letter,
}

/// Paper from `--paper`, else from the locale (Letter where it is the norm), else A4.
pub fn paper(arg: Option<PaperArg>) -> Paper {
    match arg {
        Some(PaperArg::A4) => Paper::A4,
        Some(PaperArg::Letter) => Paper::Letter,
        None => {
            let locale = ["LC_ALL", "LC_PAPER", "LANG"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
                .unwrap_or_default();
            let territory = locale
                .split(['.', '@'])
                .next()
                .and_then(|l| l.split_once('_'))
                .map(|(_, t)| t.to_ascii_uppercase())
                .unwrap_or_default();
            if [
                "US", "CA", "MX", "PH", "CL", "CO", "VE", "CR", "GT", "PR", "SV", "NI", "DO", "PA",
                "BZ",
            ]
            .contains(&territory.as_str())
            {
                Paper::Letter
            } else {
                Paper::A4
            }
        }
    }
}

/// A file-name-safe form of a location label: `Safe A (HQ)` → `safe-a-hq`.
pub fn slug(label: &str) -> String {
    let mut s = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s: String = s.trim_matches('-').chars().take(40).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() { "sheet".into() } else { s }
}

/// The OS random source, checked once so a broken source is an error, not a panic.
pub fn os_rng() -> CliResult<rand::rand_core::UnwrapErr<rand::rngs::SysRng>> {
    let mut probe = [0u8; 32];
    rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut probe)
        .map_err(|e| anyhow::anyhow!("the operating system's random source failed: {e}"))
        .code(exit::FAILURE)?;
    Ok(rand::rand_core::UnwrapErr(rand::rngs::SysRng))
}

fn parse_share(s: &str) -> ShareLabel {
    match s.split_once('=') {
        Some((l, c)) => ShareLabel {
            location: l.trim().to_string(),
            custodian: c.trim().to_string(),
        },
        None => ShareLabel {
            location: s.trim().to_string(),
            custodian: String::new(),
        },
    }
}

/// Label of an otpauth URI: its path after the type, percent-decoding left as is.
fn totp_label(uri: &str) -> String {
    uri.split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| path.split('?').next().unwrap_or("").to_string())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "TOTP".into())
}

pub fn run(args: Args, hardening: &Hardening) -> CliResult {
    warn_unlocked(hardening);
    let domain = match &args.domain {
        Some(d) => {
            entra::validate_domain(d).code(exit::USAGE)?;
            if !entra::is_onmicrosoft(d) {
                eprintln!(
                    "warning: {d} is not an onmicrosoft.com domain. Microsoft advises cloud-only emergency accounts on the tenant's *.onmicrosoft.com domain, so they work when federation or DNS does not."
                );
            }
            d.to_ascii_lowercase()
        }
        None => entra::onmicrosoft_domain(&args.tenant).code(exit::USAGE)?,
    };
    let policy = PasswordPolicy {
        length: args.password_length,
        include_ambiguous: args.include_ambiguous,
        allow_short: args.allow_short_passwords,
    };
    policy.validate().code(exit::USAGE)?;
    let labels: Vec<ShareLabel> = args.shares.iter().map(|s| parse_share(s)).collect();
    if labels.len() > 255 {
        return fail(
            exit::USAGE,
            format!(
                "{} shares were asked for: at most 255 are possible",
                labels.len()
            ),
        );
    }
    let kdf = KdfParams {
        memory_kib: args.kdf_memory_mib.saturating_mul(1024),
        iterations: args.kdf_iterations,
        parallelism: 1,
    };
    if args.passphrase || args.passphrase_file.is_some() {
        kdf.check().code(exit::USAGE)?;
    }
    let names: Vec<String> = (1..=labels.len())
        .map(|i| format!("share-{i}.txt"))
        .collect();
    let pdf_names: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| format!("share-{}-{}.pdf", i + 1, slug(&l.location)))
        .collect();
    let name_refs: Vec<&str> = names.iter().chain(&pdf_names).map(String::as_str).collect();
    let paper = paper(args.paper);
    files::prepare_out_dir(&args.out, &name_refs, args.force).code(exit::OUTPUT)?;

    let mut rng = os_rng()?;
    let mut entries = Vec::new();
    for i in 1..=args.accounts {
        let upn = entra::upn(&format!("{}{i}", args.account_prefix), &domain).code(exit::USAGE)?;
        entries.push(Entry::Account {
            upn,
            display_name: format!("Emergency access {i}"),
            password: policy.generate(&mut rng).code(exit::USAGE)?,
        });
    }
    for label in &args.fido2 {
        entries.push(Entry::Fido2 {
            label: label.clone(),
            pin: password::generate_pin(&mut rng, args.pin_length, args.alphanumeric_pins)
                .code(exit::USAGE)?,
        });
    }
    for f in &args.totp_files {
        let text = files::read_text(f).code(exit::BAD_INPUT)?;
        let mut found = false;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !line.starts_with("otpauth://") {
                return fail(
                    exit::BAD_INPUT,
                    format!(
                        "{}: a line is not an otpauth:// URI (one URI per line)",
                        f.display()
                    ),
                );
            }
            entries.push(Entry::Totp {
                label: totp_label(line),
                uri: SecretString::new(line.to_string()),
            });
            found = true;
        }
        if !found {
            return fail(
                exit::BAD_INPUT,
                format!("{}: no otpauth:// URI in it", f.display()),
            );
        }
    }
    for f in &args.note_files {
        let text = files::read_text(f).code(exit::BAD_INPUT)?;
        if text.trim().is_empty() {
            return fail(exit::BAD_INPUT, format!("{} is empty", f.display()));
        }
        let label = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "note".into());
        entries.push(Entry::Note {
            label,
            text: SecretString::new(text.to_string()),
        });
    }
    let passphrase = if args.passphrase || args.passphrase_file.is_some() {
        Some((
            prompt::passphrase(args.passphrase_file.as_deref(), true)?,
            kdf,
        ))
    } else {
        None
    };
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let plan = SealPlan {
        vault_id: None,
        generation: 1,
        tenant: domain.clone(),
        created,
        drill_interval_days: args.drill_days,
        threshold: args.threshold,
        labels,
        passphrase,
    };
    let contents = VaultContents { entries };
    let sealed = seal::seal(&plan, &contents, &mut rng).code(exit::USAGE)?;

    let mut out = Vec::new();
    for ((share, name), pdf_name) in sealed.shares.iter().zip(&names).zip(&pdf_names) {
        let doc = SheetText::new(share, &sealed.vault).code(exit::FAILURE)?;
        out.push(OutFile {
            name: name.clone(),
            bytes: zeroize::Zeroizing::new(doc.to_file().as_bytes().to_vec()),
        });
        let pdf = sheet::render_share_sheet(&ShareSheet::from_document(&doc), paper)
            .map_err(|e| anyhow::anyhow!("cannot lay out the sheet for {}: {e}", pdf_name))
            .code(exit::USAGE)?;
        out.push(OutFile {
            name: pdf_name.clone(),
            bytes: zeroize::Zeroizing::new(pdf),
        });
    }
    let written = files::write_all_atomically(&args.out, &out, args.force).code(exit::OUTPUT)?;

    let h = &sealed.vault.header;
    println!(
        "Vault {} for {}: {} of {} shares recover it{}.",
        display_vault_id(&h.vault_id),
        h.tenant,
        h.threshold,
        h.share_count(),
        if h.passphrase.is_some() {
            ", with the passphrase"
        } else {
            ""
        }
    );
    for (p, l) in written.chunks(2).map(|w| &w[1]).zip(&h.labels) {
        println!(
            "  {}  ->  {}{}",
            p.display(),
            l.location,
            if l.custodian.is_empty() {
                String::new()
            } else {
                format!(" ({})", l.custodian)
            }
        );
    }
    println!();
    println!(
        "Enter these credentials into Entra ID now. They are shown once and are not in any file:"
    );
    println!();
    for e in &contents.entries {
        match e {
            Entry::Account { upn, password, .. } => {
                println!("  {upn}");
                println!("    password: {}", password.expose_secret());
                println!(
                    "    ({} characters, about {:.0} bits of entropy)",
                    policy.length,
                    policy.entropy_bits()
                );
            }
            Entry::Fido2 { label, pin } => {
                println!("  FIDO2 key {label}");
                println!("    PIN: {}", pin.expose_secret());
            }
            Entry::Totp { label, .. } => println!("  TOTP {label}: stored"),
            Entry::Note { label, .. } => println!("  note {label}: stored"),
            _ => {}
        }
    }
    println!();
    println!(
        "Next: print or copy each share file for its location, check them with `breakglass inspect`, then clear this screen."
    );
    Ok(())
}

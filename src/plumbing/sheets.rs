//! Writing a set of sheets (text document and PDF per share) into an output folder, all or
//! nothing; shared by ceremony, rekey, rotate and expand.

use super::files;
use super::{Classify, CliResult, Failure};
use breakglass_core::document::ShareDocument;
use breakglass_core::share::Share;
use breakglass_core::vault::Vault;
use breakglass_paper::sheet::{self, Paper, ShareSheet};
use std::path::{Path, PathBuf};

/// Where and how new sheets are written: shared by ceremony, rekey, rotate and expand.
#[derive(clap::Args, Debug)]
pub struct SheetArgs {
    /// Folder for the sheets (created with mode 0700).
    #[arg(long, short = 'o', value_name = "DIR", value_parser = super::args::out_dir_arg)]
    pub out: PathBuf,
    /// Replace sheets already in the output folder.
    #[arg(long)]
    pub force: bool,
    /// Paper size of the PDF sheets (default: from the plan or the locale, else A4).
    #[arg(long, value_enum, ignore_case = true)]
    pub paper: Option<PaperArg>,
    /// Accept a placement where one location or custodian can recover alone (not advised).
    #[arg(long)]
    pub allow_single_location_recovery: bool,
    /// Run even though a network interface is up (not advised for a real ceremony).
    #[arg(long)]
    pub allow_online: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum PaperArg {
    A4,
    Letter,
}

/// Paper from `--paper`, else the plan, else the locale (Letter where it is the norm), else A4.
pub fn paper(arg: Option<PaperArg>, plan: Option<&str>) -> Paper {
    match (arg, plan.map(str::to_ascii_lowercase).as_deref()) {
        (Some(PaperArg::A4), _) | (None, Some("a4")) => Paper::A4,
        (Some(PaperArg::Letter), _) | (None, Some("letter")) => Paper::Letter,
        _ => {
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
            let letter = [
                "US", "CA", "MX", "PH", "CL", "CO", "VE", "CR", "GT", "PR", "SV", "NI", "DO", "PA",
                "BZ",
            ];
            if letter.contains(&territory.as_str()) {
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

/// Output file names of one share: the text document and the PDF.
pub fn names(index: u8, location: &str) -> (String, String) {
    (
        format!("share-{index}.txt"),
        format!("share-{index}-{}.pdf", slug(location)),
    )
}

/// Checks the folder before any secret is made: refused if it holds sheets (unless `force`).
pub fn prepare(out: &Path, shares: &[(u8, &str)], force: bool) -> CliResult {
    let names: Vec<String> = shares
        .iter()
        .flat_map(|(i, l)| {
            let (a, b) = names(*i, l);
            [a, b]
        })
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    files::prepare_out_dir(out, &refs, force)
}

/// Lays out each sheet and writes it under a temporary name as soon as it is made (one
/// sheet in memory at a time), then puts the whole set in place at once. Returns the PDF paths.
pub fn write(
    out: &Path,
    shares: &[Share],
    vault: &Vault,
    paper: Paper,
    force: bool,
) -> CliResult<Vec<PathBuf>> {
    let mut set = files::StagedSet::begin(out, force)?;
    // The vault's codes are the same on every sheet: encode and compress them once per set.
    let mut codes: Option<sheet::VaultCodes> = None;
    for (n, share) in shares.iter().enumerate() {
        super::progress::rendering(n, shares.len());
        let location = vault
            .header
            .label(share.index())
            .map(|l| l.location.as_str())
            .unwrap_or("");
        let (txt, pdf) = names(share.index(), location);
        // Just sealed: a share or vault the document cannot hold is a bug here, not bad input.
        let doc = ShareDocument::new(share, vault).fails_as(Failure::Other)?;
        set.add(&txt, doc.to_file().as_bytes())?;
        let layout = ShareSheet::from_document(&doc);
        let vault_codes = match codes.take() {
            Some(c) => c,
            None => sheet::VaultCodes::encode(&layout.vault_qr).map_err(|e| {
                Failure::about(format_args!("cannot lay out the vault's QR codes"), e)
            })?,
        };
        let bytes = zeroize::Zeroizing::new(
            sheet::render_share_sheet_with(&layout, paper, &vault_codes)
                .map_err(|e| Failure::about(format_args!("cannot lay out the sheet {pdf}"), e))?,
        );
        codes = Some(vault_codes);
        set.add(&pdf, &bytes)?;
    }
    if shares.len() > super::progress::SHEET_BATCH {
        super::progress::step(
            "Placing",
            format_args!("{} files in {}", 2 * shares.len(), super::shown_path(out)),
        );
    }
    let written = set.commit()?;
    Ok(written.into_iter().skip(1).step_by(2).collect())
}

/// Prints where each sheet went.
pub fn print_written(vault: &Vault, pdfs: &[PathBuf], shares: &[Share]) -> super::CliResult {
    for (p, s) in pdfs.iter().zip(shares) {
        let l = vault
            .header
            .label(s.index())
            .expect("every share of a sealed vault has a label");
        let who = if l.custodian.is_empty() {
            String::new()
        } else {
            format!(" ({})", super::visible(&l.custodian))
        };
        outln!(
            "  share {}: {} (+ .txt)  ->  {}{who}",
            s.index(),
            super::shown_path(p),
            super::visible(&l.location)
        )?;
    }
    Ok(())
}

//! Writing a set of sheets (text document and PDF per share) into an output folder, all or
//! nothing; shared by ceremony, rekey, rotate and expand.

use super::files::{self, OutFile};
use super::{CliResult, WithCode, exit};
use breakglass::document::SheetText;
use breakglass::share::Share;
use breakglass::sheet::{self, Paper, ShareSheet};
use breakglass::vault::Vault;
use std::path::{Path, PathBuf};

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
    files::prepare_out_dir(out, &refs, force).code(exit::OUTPUT)
}

/// Lays out every sheet in memory, then writes them all atomically. Returns the PDF paths.
pub fn write(
    out: &Path,
    shares: &[Share],
    vault: &Vault,
    paper: Paper,
    force: bool,
) -> CliResult<Vec<PathBuf>> {
    let mut files_out = Vec::new();
    for share in shares {
        let location = vault
            .header
            .labels
            .get(usize::from(share.index()) - 1)
            .map(|l| l.location.as_str())
            .unwrap_or("");
        let (txt, pdf) = names(share.index(), location);
        let doc = SheetText::new(share, vault).code(exit::FAILURE)?;
        let parts = doc.vault_qr().len();
        if parts > 4 {
            return Err(anyhow::anyhow!(
                "the vault needs {parts} QR codes, more than the 4 a sheet holds: store less text in it"
            ))
            .code(exit::USAGE);
        }
        files_out.push(OutFile {
            name: txt,
            bytes: zeroize::Zeroizing::new(doc.to_file().as_bytes().to_vec()),
        });
        let bytes = sheet::render_share_sheet(&ShareSheet::from_document(&doc), paper)
            .map_err(|e| anyhow::anyhow!("cannot lay out the sheet {pdf}: {e}"))
            .code(exit::USAGE)?;
        files_out.push(OutFile {
            name: pdf,
            bytes: zeroize::Zeroizing::new(bytes),
        });
    }
    let written = files::write_all_atomically(out, &files_out, force).code(exit::OUTPUT)?;
    Ok(written.into_iter().skip(1).step_by(2).collect())
}

/// Prints where each sheet went.
pub fn print_written(vault: &Vault, pdfs: &[PathBuf], shares: &[Share]) {
    for (p, s) in pdfs.iter().zip(shares) {
        let l = &vault.header.labels[usize::from(s.index()) - 1];
        let who = if l.custodian.is_empty() {
            String::new()
        } else {
            format!(" ({})", l.custodian)
        };
        println!(
            "  share {}: {} (+ .txt)  ->  {}{who}",
            s.index(),
            p.display(),
            l.location
        );
    }
}

//! Gathering shares and vault copies from files (share documents, scans, photos), standard
//! input or the keyboard.
//!
//! A problem with one input is reported with its name and recovery goes on with the rest; the
//! caller decides at the end whether enough was read. Vault QR parts read from different images
//! are pooled, so each part may come from any sheet.

use super::{CliResult, exit, files, interactive, prompt};
use breakglass_core::document::{self, Decoded};
use breakglass_core::recover::Sourced;
use breakglass_core::share::Share;
use breakglass_core::text::{self, Block, Kind};
use breakglass_core::vault::Vault;
use breakglass_paper::scan::{self, ScanLimits};
use std::path::PathBuf;

/// Everything read, with where each piece came from.
#[derive(Default)]
pub struct Gathered {
    pub shares: Vec<Sourced<Share>>,
    pub vaults: Vec<Sourced<Vault>>,
    /// One line per input that could not be used.
    pub problems: Vec<String>,
    /// Vault pieces (QR parts) still missing lines after pooling every input.
    pub incomplete: Vec<Block>,
    /// Headers of the vault blocks read whole, so parts of the same vault are not asked for.
    whole_vaults: Vec<text::Header>,
}

impl Gathered {
    fn add(&mut self, source: &str, d: Decoded) {
        let many = d.shares.len() > 1;
        for (i, s) in d.shares.into_iter().enumerate() {
            let name = if many {
                format!("{source} (share {})", i + 1)
            } else {
                source.to_string()
            };
            self.shares.push(Sourced::new(name, s));
        }
        for v in d.vaults {
            self.vaults.push(Sourced::new(source, v));
        }
    }
}

/// Scans, photos and PDFs are told from share text by their first bytes, not their names.
fn is_image(bytes: &[u8]) -> bool {
    breakglass_paper::raster::detect(bytes).is_some()
}

/// True once the payloads hold a share and a complete vault: a sheet's worth.
fn sheet_complete(payloads: &[String]) -> bool {
    let blocks: Vec<Block> = payloads
        .iter()
        .filter_map(|p| text::parse_blocks(p).ok())
        .flatten()
        .collect();
    let Ok(blocks) = text::merge_blocks(blocks) else {
        return false;
    };
    blocks
        .iter()
        .any(|b| b.header.kind == Kind::Share && b.is_complete())
        && blocks
            .iter()
            .any(|b| b.header.kind == Kind::Vault && b.is_complete())
}

/// Reads the QR codes of one image; returns the blocks found.
fn scan_file(name: &str, bytes: &[u8], problems: &mut Vec<String>) -> Vec<Block> {
    let payloads = match scan::scan_image_until(bytes, &ScanLimits::default(), &sheet_complete) {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            return Vec::new();
        }
    };
    let mut blocks = Vec::new();
    for p in payloads {
        match text::parse_blocks(&p) {
            Ok(b) => blocks.extend(b),
            // FORMAT.md §1: a newer format says so, on every input channel.
            Err(e @ text::TextError::NewerVersion { .. }) => problems.push(format!("{name}: {e}")),
            Err(_) => problems.push(format!(
                "{name}: a QR code that is not a breakglass code was ignored"
            )),
        }
    }
    if blocks.is_empty() && !problems.iter().any(|p| p.starts_with(name)) {
        problems.push(format!("{name}: no breakglass QR code found"));
    }
    blocks
}

/// Reads every named file; `-` is standard input. Images are scanned for QR codes.
pub fn from_files(paths: &[PathBuf]) -> Gathered {
    let mut g = Gathered::default();
    let mut pooled: Vec<(String, Block)> = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        let bytes = match files::read_input(p) {
            Ok(b) => b,
            Err(e) => {
                g.problems.push(format!("{e:#}"));
                continue;
            }
        };
        let blocks = if is_image(&bytes) {
            scan_file(&name, &bytes, &mut g.problems)
        } else {
            let Ok(text) = std::str::from_utf8(&bytes) else {
                g.problems.push(format!(
                    "{name}: neither a share file (text) nor an image or PDF breakglass reads \
                     (PNG, JPEG, TIFF, PNM, BMP, WebP, PDF)"
                ));
                continue;
            };
            match text::parse_blocks(text) {
                Ok(b) => b,
                Err(e) => {
                    g.problems.push(format!("{name}: {e}"));
                    continue;
                }
            }
        };
        take_blocks(&mut g, &name, blocks, &mut pooled);
    }
    pool_vault_parts(&mut g, pooled);
    g
}

/// Decodes the complete blocks of one input; keeps incomplete vault parts for pooling.
fn take_blocks(
    g: &mut Gathered,
    name: &str,
    blocks: Vec<Block>,
    pooled: &mut Vec<(String, Block)>,
) {
    let blocks = match text::merge_blocks(blocks) {
        Ok(b) => b,
        Err(e) => {
            g.problems.push(format!("{name}: {e}"));
            return;
        }
    };
    let (complete, partial): (Vec<Block>, Vec<Block>) =
        blocks.into_iter().partition(Block::is_complete);
    for b in partial {
        if b.header.kind == Kind::Vault {
            pooled.push((name.to_string(), b));
        } else if let Err(e) = b.decode() {
            g.problems.push(format!("{name}: {e}"));
        }
    }
    if complete.is_empty() {
        if !pooled.iter().any(|(n, _)| n == name) && !g.problems.iter().any(|p| p.starts_with(name))
        {
            g.problems
                .push(format!("{name}: no breakglass share or vault text in it"));
        }
        return;
    }
    match document::decode_blocks(complete) {
        Ok(d) => g.add(name, d),
        Err(e) => g.problems.push(format!("{name}: {e}")),
    }
}

/// Joins vault QR parts read from different images.
fn pool_vault_parts(g: &mut Gathered, pooled: Vec<(String, Block)>) {
    let mut groups: Vec<(Vec<String>, Block)> = Vec::new();
    for (name, b) in pooled {
        match groups.iter_mut().find(|(_, o)| o.header == b.header) {
            Some((names, o)) => {
                if let Err(e) = o.merge(b) {
                    g.problems.push(format!("{name}: {e}"));
                } else if !names.contains(&name) {
                    names.push(name);
                }
            }
            None => groups.push((vec![name], b)),
        }
    }
    for (names, b) in groups {
        let source = names.join(" + ");
        if g.whole_vaults.contains(&b.header) {
            // Another input carried this vault whole: the part is not needed.
            continue;
        }
        if b.is_complete() {
            match document::decode_blocks(vec![b]) {
                Ok(d) => g.add(&source, d),
                Err(e) => g.problems.push(format!("{source}: {e}")),
            }
        } else {
            g.incomplete.push(b);
        }
    }
}

/// Reads typed blocks from the terminal until the user finishes, or the whole of a piped
/// standard input.
pub fn typed() -> CliResult<Gathered> {
    if !interactive() {
        return Ok(from_files(&[PathBuf::from("-")]));
    }
    eprintln!(
        "Type each share (the BG1-S block) and one copy of the vault (the BG1-V block), line by line.\n\
         Spaces and dashes are optional; a typo is reported at once. Press Enter on an empty header line to finish."
    );
    let mut g = Gathered::default();
    type_more(&mut g)?;
    Ok(g)
}

fn type_more(g: &mut Gathered) -> CliResult {
    let mut n = 0;
    while let Some(b) = prompt::typed_block(&format!("typed block {}", n + 1))? {
        n += 1;
        let source = format!("typed block {n}");
        match document::decode_blocks(vec![b]) {
            Ok(d) => g.add(&source, d),
            Err(e) => g.problems.push(format!("{source}: {e}")),
        }
    }
    Ok(())
}

/// At a terminal, offers to type whatever the scans could not read: the missing lines of a
/// partly read vault, then any further blocks.
pub fn fill_gaps(g: &mut Gathered) -> CliResult {
    if !interactive() || (g.problems.is_empty() && g.incomplete.is_empty()) {
        return Ok(());
    }
    for b in std::mem::take(&mut g.incomplete) {
        eprintln!(
            "The vault was only partly read ({} of {} lines): type the missing lines from any sheet.",
            b.header.line_count - b.missing().len(),
            b.header.line_count
        );
        let b = prompt::complete_block(b)?;
        match document::decode_blocks(vec![b]) {
            Ok(d) => g.add("typed vault lines", d),
            Err(e) => g.problems.push(format!("typed vault lines: {e}")),
        }
    }
    if !g.problems.is_empty() {
        eprintln!("Some inputs could not be read. Type their blocks now, or press Enter to go on.");
        type_more(g)?;
    }
    Ok(())
}

/// Reports what could not be read; incomplete vault parts say which lines are missing.
pub fn report(g: &Gathered) {
    for p in &g.problems {
        eprintln!("warning: skipped {}", super::visible(p));
    }
    for b in &g.incomplete {
        if let Err(e) = b.decode() {
            eprintln!(
                "warning: {} (a QR part of the vault was not read: scan it, or type its lines)",
                super::visible(&e.to_string())
            );
        }
    }
}

/// Exit code for "not enough": bad inputs are the likelier cause when there were any.
pub fn shortage_code(g: &Gathered) -> u8 {
    if g.problems.is_empty() && g.incomplete.is_empty() {
        exit::SHARES
    } else {
        exit::BAD_INPUT
    }
}

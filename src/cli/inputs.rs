//! Gathering shares and vault copies from files, standard input or the keyboard.
//!
//! A problem with one input is reported with its name and recovery goes on with the rest; the
//! caller decides at the end whether enough was read.

use super::{CliResult, exit, files, interactive, prompt};
use breakglass::document::{self, Decoded};
use breakglass::recover::Sourced;
use breakglass::share::Share;
use breakglass::text::{Block, Kind};
use breakglass::vault::Vault;
use std::path::PathBuf;

/// Everything read, with where each piece came from.
#[derive(Default)]
pub struct Gathered {
    pub shares: Vec<Sourced<Share>>,
    pub vaults: Vec<Sourced<Vault>>,
    /// One line per input that could not be used.
    pub problems: Vec<String>,
}

impl Gathered {
    fn add(&mut self, source: &str, d: Decoded) {
        if d.shares.is_empty() && d.vaults.is_empty() && d.incomplete.is_empty() {
            self.problems
                .push(format!("{source}: no breakglass share or vault text in it"));
        }
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
        for b in d.incomplete {
            if let Err(e) = b.decode() {
                self.problems.push(format!("{source}: {e}"));
            }
        }
    }
}

/// Reads every named file; `-` is standard input.
pub fn from_files(paths: &[PathBuf]) -> Gathered {
    let mut g = Gathered::default();
    for p in paths {
        let name = p.display().to_string();
        let bytes = match files::read_input(p) {
            Ok(b) => b,
            Err(e) => {
                g.problems.push(format!("{e:#}"));
                continue;
            }
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            g.problems.push(format!(
                "{name}: not a text file (images are read by the scanner; is this a share file?)"
            ));
            continue;
        };
        match document::decode_text(text) {
            Ok(d) => g.add(&name, d),
            Err(e) => g.problems.push(format!("{name}: {e}")),
        }
    }
    g
}

/// Reads typed blocks from the terminal until the user finishes, or the whole of a piped
/// standard input.
pub fn typed() -> CliResult<Gathered> {
    let mut g = Gathered::default();
    if !interactive() {
        return Ok(from_files(&[PathBuf::from("-")]));
    }
    eprintln!(
        "Type each share (the BG1-S block) and one copy of the vault (the BG1-V block), line by line.\n\
         Spaces and dashes are optional; a typo is reported at once. Press Enter on an empty header line to finish."
    );
    let mut blocks: Vec<Block> = Vec::new();
    let mut n = 0;
    while let Some(b) = prompt::typed_block(&format!("block {}", n + 1))? {
        n += 1;
        blocks.push(b);
    }
    let (shares, vaults): (Vec<&Block>, Vec<&Block>) =
        blocks.iter().partition(|b| b.header.kind == Kind::Share);
    eprintln!(
        "read {} share(s) and {} vault block(s)",
        shares.len(),
        vaults.len()
    );
    for (i, b) in blocks.into_iter().enumerate() {
        let source = format!("typed block {}", i + 1);
        match document::decode_blocks(vec![b]) {
            Ok(d) => g.add(&source, d),
            Err(e) => g.problems.push(format!("{source}: {e}")),
        }
    }
    Ok(g)
}

/// Exit code for "not enough": bad inputs are the likelier cause when there were any.
pub fn shortage_code(g: &Gathered) -> u8 {
    if g.problems.is_empty() {
        exit::SHARES
    } else {
        exit::BAD_INPUT
    }
}

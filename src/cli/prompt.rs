//! Terminal prompts: passphrases without echo, and typed shares line by line.

use super::{CliResult, WithCode, exit, fail, files, interactive};
use breakglass::secret::Passphrase;
use breakglass::text::{Block, Header};
use std::io::{BufRead, Write};
use std::path::Path;

/// Reads a passphrase from a file (or `-` for stdin), or asks for it (twice when `confirm`).
pub fn passphrase(file: Option<&Path>, confirm: bool) -> CliResult<Passphrase> {
    let p = match file {
        Some(path) => {
            let s = files::read_secret_line(path).code(exit::BAD_INPUT)?;
            Passphrase::new(s.to_string())
        }
        None => {
            if !interactive() {
                return fail(
                    exit::USAGE,
                    "a passphrase is needed but there is no terminal to ask on: pass --passphrase-file FILE",
                );
            }
            let first = zeroize::Zeroizing::new(
                rpassword::prompt_password("Passphrase: ").code(exit::FAILURE)?,
            );
            if confirm {
                let again = zeroize::Zeroizing::new(
                    rpassword::prompt_password("Passphrase again: ").code(exit::FAILURE)?,
                );
                if *first != *again {
                    return fail(
                        exit::USAGE,
                        "the two passphrases differ: nothing was written; run again",
                    );
                }
            }
            Passphrase::new(first.to_string())
        }
    };
    if p.expose_secret().is_empty() {
        return fail(exit::USAGE, "the passphrase is empty");
    }
    Ok(p)
}

/// Asks for one block (share or vault) typed line by line, checking each line as it comes.
/// Returns `None` when the user ends input (an empty header line or end of input).
pub fn typed_block(what: &str) -> CliResult<Option<Block>> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut ask = |prompt: &str| -> CliResult<Option<zeroize::Zeroizing<String>>> {
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
        let mut s = zeroize::Zeroizing::new(String::new());
        let n = input.read_line(&mut s).code(exit::FAILURE)?;
        if n == 0 {
            return Ok(None);
        }
        let t = zeroize::Zeroizing::new(s.trim().to_string());
        Ok(Some(t))
    };
    let header = loop {
        let Some(line) = ask(&format!(
            "{what}: header line (BG1-…), or Enter to finish: "
        ))?
        else {
            return Ok(None);
        };
        if line.is_empty() {
            return Ok(None);
        }
        match Header::parse(&line) {
            Ok(h) => break h,
            Err(e) => eprintln!("  {e}"),
        }
    };
    let mut block = Block::new(header);
    while !block.is_complete() {
        let next = block.missing()[0];
        let width = block.header.number_width();
        let Some(line) = ask(&format!(
            "  line {next:0width$} of {}: ",
            block.header.line_count
        ))?
        else {
            break;
        };
        if line.is_empty() {
            continue;
        }
        // Let people type the line without its number: add the expected one.
        let with_number =
            if line.len() >= width && line[..width].chars().all(|c| c.is_ascii_digit()) {
                zeroize::Zeroizing::new(line.to_string())
            } else {
                zeroize::Zeroizing::new(format!("{next:0width$}{}", line.as_str()))
            };
        if let Err(e) = block.add_line(&with_number) {
            eprintln!("  {e}");
        }
    }
    if let Err(e) = block.decode() {
        eprintln!("  {e}");
    }
    Ok(Some(block))
}

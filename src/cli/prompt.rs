//! Terminal prompts: passphrases without echo, and typed shares line by line.

use super::{CliResult, WithCode, exit, fail, files, interactive};
use breakglass_core::secret::Passphrase;
use breakglass_core::text::{Block, Header};
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
            Err(e) => eprintln!("  {}", super::visible(&e.to_string())),
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
        let with_number = if line.starts_with(&format!("{next:0width$}")) {
            zeroize::Zeroizing::new(line.to_string())
        } else {
            zeroize::Zeroizing::new(format!("{next:0width$}{}", line.as_str()))
        };
        if let Err(e) = block.add_line(&with_number) {
            eprintln!("  {}", super::visible(&e.to_string()));
        }
    }
    if let Err(e) = block.decode() {
        eprintln!("  {}", super::visible(&e.to_string()));
    }
    Ok(Some(block))
}

/// Asks only for the missing lines of a partly read block.
pub fn complete_block(mut block: Block) -> CliResult<Block> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let width = block.header.number_width();
    while let Some(&next) = block.missing().first() {
        eprint!("  line {next:0width$} of {}: ", block.header.line_count);
        std::io::stderr().flush().ok();
        let mut s = zeroize::Zeroizing::new(String::new());
        if input.read_line(&mut s).code(exit::FAILURE)? == 0 {
            break;
        }
        let line = s.trim();
        if line.is_empty() {
            continue;
        }
        let with_number = if line.starts_with(&format!("{next:0width$}")) {
            zeroize::Zeroizing::new(line.to_string())
        } else {
            zeroize::Zeroizing::new(format!("{next:0width$}{line}"))
        };
        if let Err(e) = block.add_line(&with_number) {
            eprintln!("  {}", super::visible(&e.to_string()));
        }
    }
    Ok(block)
}

/// Asks why the vault is being opened.
pub fn purpose() -> CliResult<super::recover::Purpose> {
    use super::recover::Purpose;
    let stdin = std::io::stdin();
    loop {
        eprint!("Why is the vault being opened? [d]rill, [e]mergency, [i]nvestigation of misuse: ");
        std::io::stderr().flush().ok();
        let mut s = String::new();
        if stdin.lock().read_line(&mut s).code(exit::FAILURE)? == 0 {
            return Ok(Purpose::Unstated);
        }
        match s.trim().to_ascii_lowercase().chars().next() {
            Some('d') => return Ok(Purpose::Drill),
            Some('e') => return Ok(Purpose::Emergency),
            Some('i') | Some('m') => return Ok(Purpose::Investigation),
            _ => eprintln!("  please answer d, e or i"),
        }
    }
}

//! Terminal prompts: passphrases without echo, and typed shares line by line. Ctrl-C at any of
//! them ends the process with one line and the terminal as it was (see `PromptGuard`).

use super::{CliResult, Failure, files, interactive};
use breakglass_core::secret::Passphrase;
use breakglass_core::text::{self, Block, Header, TextError};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Reads a passphrase from a file (or `-` for stdin), or asks for it (twice when `confirm`).
pub fn passphrase(file: Option<&Path>, confirm: bool) -> CliResult<Passphrase> {
    let p = match file {
        Some(path) => {
            let s = files::read_secret_line(path)?;
            Passphrase::new(s.to_string())
        }
        None => {
            // Asked on the controlling terminal (as age does), so shares piped on standard
            // input do not stop the passphrase from being typed.
            if !interactive() && super::terminal::Tty::open().is_err() {
                return Err(Failure::Usage.because(
                    "a passphrase is needed but there is no terminal to ask on: pass --passphrase-file FILE",
                ));
            }
            let _interruptible = super::terminal::PromptGuard::install();
            let first = zeroize::Zeroizing::new(rpassword::prompt_password("Passphrase: ")?);
            if confirm {
                let again =
                    zeroize::Zeroizing::new(rpassword::prompt_password("Passphrase again: ")?);
                if *first != *again {
                    return Err(Failure::Usage
                        .because("the two passphrases differ: nothing was written; run again"));
                }
            }
            Passphrase::new(first.to_string())
        }
    };
    if p.expose_secret().is_empty() {
        return Err(Failure::Usage.because("the passphrase is empty"));
    }
    Ok(p)
}

/// What the custodian gave at a block's first prompt.
pub enum Entry {
    /// A block typed (or pasted) line by line; its lines checked, its header retyped if needed.
    Block(Block),
    /// Blocks pasted on one line (a QR payload: a header followed by its lines).
    Pasted(Vec<Block>),
    /// A file to read instead: a share document, a scan or a photo.
    File(PathBuf),
    /// Enter on an empty header prompt.
    Finish,
    /// `quit`, or the end of input.
    Stop,
}

/// Reads one line from standard input after a prompt on stderr; `None` at the end of input.
fn ask(input: &mut impl BufRead, prompt: &str) -> CliResult<Option<zeroize::Zeroizing<String>>> {
    let _interruptible = super::terminal::PromptGuard::install();
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let mut s = zeroize::Zeroizing::new(String::new());
    if input.read_line(&mut s)? == 0 {
        return Ok(None);
    }
    Ok(Some(zeroize::Zeroizing::new(s.trim().to_string())))
}

/// A path typed at a prompt: quotes from a drag-and-drop are taken off.
fn as_existing_path(t: &str) -> Option<PathBuf> {
    let unquoted = t
        .strip_prefix('\'')
        .and_then(|u| u.strip_suffix('\''))
        .or_else(|| t.strip_prefix('"').and_then(|u| u.strip_suffix('"')))
        .unwrap_or(t);
    let p = PathBuf::from(unquoted);
    p.exists().then_some(p)
}

/// Asks for the next block: a header line, then its lines. At the header prompt a file name,
/// a pasted QR payload, a pasted share file (its `#` comments are skipped), Enter or `quit` are
/// understood too. The header's own syntax is checked the moment it is typed.
pub fn typed_entry() -> CliResult<Entry> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let header = loop {
        let Some(line) = ask(
            &mut input,
            "Header line (BG1-S-… or BG1-V-…), a file name, or Enter when done: ",
        )?
        else {
            return Ok(Entry::Stop);
        };
        let t = line.as_str();
        if t.is_empty() {
            return Ok(Entry::Finish);
        }
        if t.starts_with('#') {
            continue; // a comment of a pasted share file
        }
        if matches!(t.to_ascii_lowercase().as_str(), "q" | "quit" | "exit") {
            return Ok(Entry::Stop);
        }
        let mut words = t.split_whitespace();
        if let (Some(first), Some(_)) = (words.next(), words.next())
            && Header::parse(first).is_ok()
        {
            match text::parse_blocks(t) {
                Ok(blocks) => return Ok(Entry::Pasted(blocks)),
                Err(e) => {
                    eprintln!("  {}", super::visible(&e.to_string()));
                    continue;
                }
            }
        }
        match Header::parse(t) {
            Ok(h) => break h,
            Err(TextError::NoHeader) => match as_existing_path(t) {
                Some(p) => return Ok(Entry::File(p)),
                None => eprintln!(
                    "  that is neither a header line (it starts with BG1-S- or BG1-V-) nor a file that exists: type the header line printed above the block"
                ),
            },
            Err(e) => eprintln!("  {}", super::visible(&e.to_string())),
        }
    };
    let mut block = Block::new(header);
    if !read_lines(&mut input, &mut block)? {
        return Ok(Entry::Stop);
    }
    retype_header_if_needed(&mut input, &mut block)?;
    Ok(Entry::Block(block))
}

/// Asks for the missing lines of `block` until it is complete; false at the end of input.
/// A line typed out of turn is kept, and the prompt says which line is still needed.
fn read_lines(input: &mut impl BufRead, block: &mut Block) -> CliResult<bool> {
    let width = block.header.number_width();
    let noun = block.header.kind.noun();
    while let Some(&next) = block.missing().first() {
        let Some(line) = ask(
            input,
            &format!(
                "  {noun} line {next:0width$} of {}: ",
                block.header.line_count
            ),
        )?
        else {
            return Ok(false);
        };
        let t = line.as_str();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        match typed_line(block, next, t) {
            Ok(n) if n != next => {
                eprintln!("  this is line {n:0width$} (kept); line {next:0width$} is still needed")
            }
            Ok(_) => {}
            Err(e) => {
                if let Ok(h) = Header::parse(t) {
                    if h != block.header {
                        eprintln!(
                            "  that is a header line; this {noun} block still needs line {next:0width$}: type its lines first"
                        );
                    }
                    continue;
                }
                eprintln!("  {}", super::visible(&e.to_string()));
            }
        }
    }
    Ok(true)
}

/// Adds one typed line, with or without its line number. Returns the number of the line
/// taken, which differs from `next` when the custodian typed another line (with its number).
fn typed_line(block: &mut Block, next: usize, t: &str) -> Result<usize, TextError> {
    let width = block.header.number_width();
    let numbered = zeroize::Zeroizing::new(format!("{next:0width$}{t}"));
    if block.header.parse_line(&numbered).is_ok() {
        return block.add_line(&numbered);
    }
    if block.header.parse_line(t).is_ok() {
        return block.add_line(t);
    }
    // Neither reading checks: report the one the custodian most likely meant. A full line
    // typed with its number is longer than a data line and its check character.
    let chars: zeroize::Zeroizing<Vec<u8>> = zeroize::Zeroizing::new(
        t.bytes()
            .filter(|b| !matches!(b, b' ' | b'-' | b'\t'))
            .collect(),
    );
    let has_number = chars.len() > text::LINE_CHARS + 1
        && chars.len() > width
        && chars[..width].iter().all(u8::is_ascii_digit);
    if has_number {
        block.add_line(t)
    } else {
        block.add_line(&numbered)
    }
}

/// When every line checks but the whole does not match the header's checksum, the header is
/// the likely typo (8 read as B): asks for it again and keeps the lines.
fn retype_header_if_needed(input: &mut impl BufRead, block: &mut Block) -> CliResult {
    loop {
        match block.decode() {
            Ok(_) => return Ok(()),
            Err(TextError::Checksum) => {}
            Err(e) => {
                eprintln!("  {}", super::visible(&e.to_string()));
                return Ok(());
            }
        }
        eprintln!(
            "  Every line checks, but together they do not match the header line's checksum: the header is the likely typo (B for 8, S for 5, D for 0). Your lines are kept."
        );
        let Some(line) = ask(
            input,
            "  Retype the header line (or Enter to give up this block): ",
        )?
        else {
            return Ok(());
        };
        if line.is_empty() {
            return Ok(());
        }
        match Header::parse(&line) {
            Ok(h) => {
                if block.replace_header(h).is_err() {
                    eprintln!(
                        "  that header is for another block: this one is a {} of {} lines",
                        block.header.kind.noun(),
                        block.header.line_count
                    );
                }
            }
            Err(e) => eprintln!("  {}", super::visible(&e.to_string())),
        }
    }
}

/// Asks only for the missing lines of a partly read block.
pub fn complete_block(mut block: Block) -> CliResult<Block> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    if read_lines(&mut input, &mut block)? {
        retype_header_if_needed(&mut input, &mut block)?;
    }
    Ok(block)
}

/// Asks why the vault is being opened.
pub fn purpose() -> CliResult<super::drill_log::Purpose> {
    use super::drill_log::Purpose;
    let stdin = std::io::stdin();
    let _interruptible = super::terminal::PromptGuard::install();
    loop {
        eprint!("Why is the vault being opened? [d]rill, [e]mergency, [i]nvestigation of misuse: ");
        std::io::stderr().flush().ok();
        let mut s = String::new();
        if stdin.lock().read_line(&mut s)? == 0 {
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

/// Asks a yes/no question on the terminal; anything but yes is no. Ctrl-C ends the process as
/// at every other prompt.
pub fn yes_no(question: &str) -> bool {
    let _interruptible = super::terminal::PromptGuard::install();
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut s = String::new();
    std::io::stdin().lock().read_line(&mut s).is_ok()
        && matches!(s.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

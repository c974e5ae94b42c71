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
    /// `stop`, or the end of input; with what a block given up half typed loses, to be said
    /// once the typed lines are wiped.
    Stop(Option<String>),
    /// A block whose lines all check but whose whole does not, with no line to name yet: kept
    /// aside, to be checked again against the next block read ([`recheck`]).
    Aside(Pending),
    /// `restart` in a block taken up again from aside: it is forgotten, to be typed anew.
    Forgotten,
}

/// A block read before, to compare a block whose whole does not check with: a line of the one
/// identical to a line of the other was likely read from that other sheet.
pub struct Known {
    /// How the messages name it: "a share block typed before", "share 2 (read from s2.txt)".
    pub label: String,
    pub block: Block,
}

/// A typed block kept aside: every line checks, the whole does not match the header, and no
/// line could be named (no block read before shares one of its lines). It is checked again
/// each time another block is read; its lines are never asked for again unless named.
pub struct Pending {
    block: Block,
    whole: WholeCheck,
}

impl Pending {
    /// Its header line, as typed.
    pub fn header(&self) -> String {
        self.block.header.render()
    }

    /// "share" or "vault".
    pub fn noun(&self) -> &'static str {
        self.block.header.kind.noun()
    }

    /// What giving it up loses, said when typing ends with it still aside.
    pub fn not_used(&self) -> String {
        format!(
            "The {} block kept aside ({}) still does not match its header line and was not used.",
            self.block.header.kind.noun(),
            self.header()
        )
    }
}

/// The words understood at every line prompt, as the typing introduction lists them.
pub const WORDS: &str = "back (the line before, again), retype NN (line NN again), show (the block so far), restart (this block from its header), stop (stop typing)";

/// A word typed at a line prompt instead of a line. Words are read before any line, so `stop`
/// or `back` is never taken for a short last line (a last line that spells one is typed with
/// its number).
#[derive(Debug, PartialEq, Eq)]
pub enum Word {
    /// Forget the line typed last and ask for it again.
    Back,
    /// Forget line N and ask for it now (0: no number was given).
    Retype(usize),
    /// List the block's lines so far, each with its state.
    Show,
    /// Forget this block's lines and ask for its header again.
    Restart,
    /// Stop typing (`quit`, `exit` and `q` too).
    Stop,
    /// Say the words again.
    Help,
}

/// The word `t` is, if it is one.
pub fn word(t: &str) -> Option<Word> {
    let lower = t.trim().to_ascii_lowercase();
    let mut parts = lower.split_whitespace();
    let first = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    match (first, rest.as_slice()) {
        ("back", []) => Some(Word::Back),
        ("show", []) => Some(Word::Show),
        ("restart", []) => Some(Word::Restart),
        ("stop" | "quit" | "exit" | "q", []) => Some(Word::Stop),
        ("help" | "?", []) => Some(Word::Help),
        ("retype", []) => Some(Word::Retype(0)),
        ("retype", [n]) => n.parse().ok().map(Word::Retype),
        _ => None,
    }
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
/// a pasted QR payload, a pasted share file (its `#` comments are skipped), Enter or `stop` are
/// understood too. The header's own syntax is checked the moment it is typed. `enough` says
/// that what was read already opens the vault (the prompt then asks whether to open it);
/// `others` are the blocks read before (typed or from files), to find a line read from another
/// sheet. A header typed again for a block kept aside takes that block up again, its lines
/// kept: the same header says a line is wrong, a header that makes its whole check corrects it.
pub fn typed_entry(enough: bool, others: &[Known], aside: &mut Vec<Pending>) -> CliResult<Entry> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    loop {
        let prompt = if enough {
            "Open the vault now? Press Enter to open it, or type another header line or a file name: "
        } else {
            "Header line (BG1-S-… or BG1-V-…), a file name, or Enter when done: "
        };
        let Some(line) = ask(&mut input, prompt)? else {
            return Ok(Entry::Stop(None));
        };
        let t = line.as_str();
        if t.is_empty() {
            return Ok(Entry::Finish);
        }
        if t.starts_with('#') {
            continue; // a comment of a pasted share file
        }
        if word(t) == Some(Word::Stop) {
            return Ok(Entry::Stop(None));
        }
        if word(t).is_some() {
            eprintln!(
                "  no block is being typed yet: type the header line printed above a block (BG1-S-… or BG1-V-…)"
            );
            continue;
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
        let header = match Header::parse(t) {
            Ok(h) => h,
            Err(TextError::NoHeader) => {
                match as_existing_path(t) {
                    Some(p) => return Ok(Entry::File(p)),
                    None => eprintln!(
                        "  that is neither a header line (it starts with BG1-S- or BG1-V-) nor a file that exists: type the header line printed above the block"
                    ),
                }
                continue;
            }
            Err(e) => {
                eprintln!("  {}", super::visible(&e.to_string()));
                continue;
            }
        };
        if let Some(at) = aside.iter().position(|p| p.block.header == header) {
            let mut p = aside.remove(at);
            eprintln!(
                "  that is the header of the {} block kept aside, as typed before: it is right, so one of its lines is wrong",
                header.kind.noun()
            );
            p.whole.header_confirmed = true;
            return again(&mut input, p, others);
        }
        if let Some(at) = aside.iter().position(|p| fits(&p.block, &header)) {
            let mut p = aside.remove(at);
            p.block.rebase(header).expect("fits() checked the kind");
            eprintln!(
                "  with this header line the {} block kept aside checks: it was the header that was misread; every line is kept",
                p.block.header.kind.noun()
            );
            return Ok(Entry::Block(p.block));
        }
        let mut block = Block::new(header);
        let mut whole = WholeCheck::default();
        match type_lines(&mut input, &mut block, others, &mut whole, true)? {
            Ended::Complete => return Ok(Entry::Block(block)),
            Ended::Aside => return Ok(Entry::Aside(Pending { block, whole })),
            Ended::Restart => {
                eprintln!(
                    "  Starting this block over: its lines are forgotten. Type its header line."
                );
            }
            Ended::Stop => return Ok(Entry::Stop(lost(&block, "Stopped"))),
            Ended::EndOfInput => return Ok(Entry::Stop(lost(&block, "Input ended"))),
        }
    }
}

/// Whether `header` over the lines of `block` (kept aside) makes its whole check: the header
/// then was what was misread.
fn fits(block: &Block, header: &Header) -> bool {
    let mut b = block.clone();
    header.kind == block.header.kind
        && header.line_count == block.header.line_count
        && b.rebase(header.clone()).is_ok()
        && b.decode().is_ok()
}

/// Takes up a block kept aside again: checks its whole against `others` and asks for what it
/// names, or for its header.
fn again(input: &mut impl BufRead, mut p: Pending, others: &[Known]) -> CliResult<Entry> {
    Ok(
        match type_lines(input, &mut p.block, others, &mut p.whole, true)? {
            Ended::Complete => Entry::Block(p.block),
            Ended::Aside => Entry::Aside(p),
            Ended::Restart => {
                eprintln!(
                    "  The block kept aside is forgotten: type it again from its header line."
                );
                Entry::Forgotten
            }
            Ended::Stop => Entry::Stop(lost(&p.block, "Stopped")),
            Ended::EndOfInput => Entry::Stop(lost(&p.block, "Input ended")),
        },
    )
}

/// Checks a block kept aside again, now that another block has been read: when a line of it
/// is the same as a line of one of `others`, that line is named and asked for alone (and the
/// block comes back complete, or aside again); otherwise it stays aside, and nothing is asked.
pub fn recheck(p: Pending, others: &[Known]) -> CliResult<Entry> {
    if shared_lines(&p.block, others, &p.whole).is_empty() {
        return Ok(Entry::Aside(p));
    }
    eprintln!(
        "Back to the {} block kept aside ({}):",
        p.block.header.kind.noun(),
        p.header()
    );
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    again(&mut input, p, others)
}

/// What a block given up half typed loses, and what is kept; `None` when nothing was typed.
fn lost(block: &Block, why: &str) -> Option<String> {
    let got = block.header.line_count - block.missing().len();
    (got > 0).then(|| {
        format!(
            "{why}: the {} block being typed ({got} of {} lines) is not kept; everything read before it is kept.",
            block.header.kind.noun(),
            block.header.line_count
        )
    })
}

/// How typing a block ended.
enum Ended {
    /// Every line is in and the whole checks (or its remaining fault was reported).
    Complete,
    /// `restart`: type the block again from its header.
    Restart,
    /// `stop`.
    Stop,
    /// Ctrl-D, or the end of piped input.
    EndOfInput,
    /// Every line checks, the whole does not, no line can be named yet: kept aside.
    Aside,
}

/// What one word at a prompt did.
enum Done {
    /// Go on asking.
    Continue,
    /// The block ends so.
    End(Ended),
}

/// Asks for the lines of `block` until it is complete and its whole checks; every line typed
/// right is kept through a retyped header, a wrong line found by the whole, or a word. With
/// `can_set_aside`, a block whose whole fails with no line to name may be kept aside
/// ([`Ended::Aside`]) until another block can name it.
fn type_lines(
    input: &mut impl BufRead,
    block: &mut Block,
    others: &[Known],
    whole: &mut WholeCheck,
    can_set_aside: bool,
) -> CliResult<Ended> {
    let mut typed: Vec<usize> = Vec::new();
    let mut wanted: Option<usize> = None;
    // `stop` with lines typed asks once: a custodian who typed `quit` mid-block lost them.
    let mut stop_asked = false;
    loop {
        let missing = block.missing();
        let Some(&first) = missing.first() else {
            match check_whole(block, others, whole) {
                Verdict::Good => return Ok(Ended::Complete),
                Verdict::Retype(lines) => {
                    for n in lines {
                        block.forget(n);
                    }
                    continue;
                }
                Verdict::AskHeader => {}
            }
            match ask_header_again(input, block, whole, &mut typed, &mut wanted, can_set_aside)? {
                Done::Continue => continue,
                Done::End(e) => return Ok(e),
            }
        };
        let next = wanted.filter(|w| missing.contains(w)).unwrap_or(first);
        let width = block.header.number_width();
        let noun = block.header.kind.noun();
        let Some(line) = ask(
            input,
            &format!(
                "  {noun} line {next:0width$} of {}: ",
                block.header.line_count
            ),
        )?
        else {
            return Ok(Ended::EndOfInput);
        };
        let t = line.as_str();
        if t.starts_with('#') {
            continue;
        }
        if t.is_empty() {
            eprintln!(
                "  {noun} line {next:0width$} is needed: type it as printed (its number first if you like), or a word: {WORDS}"
            );
            continue;
        }
        let have = block.header.line_count - missing.len();
        if word(t) == Some(Word::Stop) && have > 0 && !stop_asked {
            stop_asked = true;
            eprintln!(
                "  Stop typing? The {have} line{} typed of this {noun} block would be lost. Type `{}` again to stop; or type line {next:0width$} to go on.",
                if have == 1 { "" } else { "s" },
                t.trim().to_lowercase()
            );
            continue;
        }
        stop_asked = false;
        if let Some(w) = word(t) {
            match on_word(w, block, &mut typed, &mut wanted) {
                Done::Continue => continue,
                Done::End(e) => return Ok(e),
            }
        }
        if let Ok(h) = Header::parse(t) {
            new_header(block, h, whole);
            continue;
        }
        match take_line(block, next, t) {
            Ok(n) => {
                typed.retain(|&m| m != n);
                typed.push(n);
                if n != next {
                    eprintln!(
                        "  this is line {n:0width$} (kept); line {next:0width$} is still needed"
                    );
                }
            }
            Err(message) => eprintln!("  {message}"),
        }
    }
}

/// Does what a word at a line prompt asks.
fn on_word(w: Word, block: &mut Block, typed: &mut Vec<usize>, wanted: &mut Option<usize>) -> Done {
    let width = block.header.number_width();
    match w {
        Word::Back => match typed.pop() {
            Some(n) => {
                block.forget(n);
                *wanted = Some(n);
                eprintln!("  line {n:0width$} forgotten: type it again");
            }
            None => eprintln!("  no line of this block has been typed yet"),
        },
        Word::Retype(n) if (1..=block.header.line_count).contains(&n) => {
            block.forget(n);
            typed.retain(|&m| m != n);
            *wanted = Some(n);
            eprintln!("  line {n:0width$}: type it again");
        }
        Word::Retype(_) => eprintln!(
            "  say which line, by its number: retype 03 (this block has lines 01 to {:0width$})",
            block.header.line_count
        ),
        Word::Show => show(block),
        Word::Help => eprintln!("  words: {WORDS}"),
        Word::Restart => return Done::End(Ended::Restart),
        Word::Stop => return Done::End(Ended::Stop),
    }
    Done::Continue
}

/// The block so far, line by line with its state.
fn show(block: &Block) {
    let width = block.header.number_width();
    eprintln!(
        "  {} ({} block of {} lines):",
        block.header.render(),
        block.header.kind.noun(),
        block.header.line_count
    );
    for n in 1..=block.header.line_count {
        match block.display_line(n) {
            Some(l) => eprintln!("    {}   ok (its check character fits)", l.as_str()),
            None => eprintln!("    {n:0width$}  (still to type)"),
        }
    }
    let aside = block.set_aside();
    if !aside.is_empty() {
        eprintln!(
            "    set aside (beyond the header's {} lines): {}",
            block.header.line_count,
            numbers(&aside, width)
        );
    }
}

/// "03", "03 and 05", "01, 02 and 07".
fn numbers(lines: &[usize], width: usize) -> String {
    let v: Vec<String> = lines.iter().map(|n| format!("{n:0width$}")).collect();
    match v.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A header typed while a block is being typed: the same header again, or a new one whose
/// line count and checksum replace the old ones, every line typed so far kept and re-checked.
fn new_header(block: &mut Block, h: Header, whole: &mut WholeCheck) {
    let noun = block.header.kind.noun();
    if h.kind != block.header.kind {
        eprintln!(
            "  that is the header of a {} block; this {noun} block is not finished. Finish it first, or type `stop` to give it up.",
            h.kind.noun()
        );
        return;
    }
    if h == block.header {
        whole.header_confirmed = true;
        eprintln!("  that is this block's header, as typed before: it is kept");
        return;
    }
    let width = h.number_width().max(block.header.number_width());
    let count = h.line_count;
    match block.rebase(h) {
        Ok(r) => {
            whole.header_confirmed = false;
            let mut said = format!(
                "  Header changed: this is now a {noun} block of {count} lines; every line typed is kept"
            );
            if !r.set_aside.is_empty() {
                said.push_str(&format!(
                    "; line{} {} set aside (beyond line {count}; they come back if the header changes again)",
                    if r.set_aside.len() == 1 { "" } else { "s" },
                    numbers(&r.set_aside, width)
                ));
            }
            if !r.dropped.is_empty() {
                said.push_str(&format!(
                    "; line{} {} must be typed again (a full line cannot be last, and the short last line cannot stand before others)",
                    if r.dropped.len() == 1 { "" } else { "s" },
                    numbers(&r.dropped, width)
                ));
            }
            let missing = block.missing();
            if !missing.is_empty() {
                said.push_str(&format!("; still to type: {}", numbers(&missing, width)));
            }
            eprintln!("{said}.");
        }
        Err(_) => eprintln!("  that header is for another kind of block"),
    }
}

/// What the whole block's check has found so far.
#[derive(Default)]
struct WholeCheck {
    /// The header was typed the same twice: it is right, a line is wrong.
    header_confirmed: bool,
    /// Lines already asked for again because they matched another block's line.
    suspected: Vec<usize>,
}

/// What to do with a complete block.
enum Verdict {
    Good,
    /// These lines are the likely wrong ones: ask for them again.
    Retype(Vec<usize>),
    /// No line can be named: ask for the header again (or a word).
    AskHeader,
}

/// Checks the whole of a complete block. On a checksum failure it names the likely lines (one
/// identical to a line of a block typed before: read from the other sheet) and asks for just
/// those; a line is suspected so only once, so this never loops.
fn check_whole(block: &Block, others: &[Known], whole: &mut WholeCheck) -> Verdict {
    let width = block.header.number_width();
    match block.decode() {
        Ok(_) => Verdict::Good,
        Err(TextError::Checksum) => {
            let shared = shared_lines(block, others, whole);
            if shared.is_empty() {
                return Verdict::AskHeader;
            }
            let mut lines: Vec<usize> = shared.iter().map(|(n, _, _)| *n).collect();
            lines.sort_unstable();
            lines.dedup();
            whole.suspected.extend(&lines);
            let which: Vec<String> = shared
                .iter()
                .map(|(n, m, label)| {
                    format!("line {n:0width$} is the same as line {m:0width$} of {label}")
                })
                .collect();
            eprintln!(
                "  Every line checks, but together they do not match the header line: {}. It was likely read from that other sheet. Type {} again from this sheet; the other lines are kept.",
                which.join("; "),
                if lines.len() == 1 {
                    format!("line {}", numbers(&lines, width))
                } else {
                    format!("lines {}", numbers(&lines, width))
                }
            );
            Verdict::Retype(lines)
        }
        Err(TextError::NonCanonical) => {
            let last = block.header.line_count;
            eprintln!(
                "  line {last:0width$}, the last line, does not end the block the way the sheet does: type it again as printed, every character including the last one"
            );
            Verdict::Retype(vec![last])
        }
        Err(e) => {
            eprintln!("  {}", super::visible(&e.to_string()));
            Verdict::Good
        }
    }
}

/// The lines of `block` identical to a line of a block read before (read from that other
/// sheet), as (its line, the other's line, the other's name), leaving out lines already asked
/// for again on that ground; a block read twice (the same header) is no evidence.
fn shared_lines<'a>(
    block: &Block,
    others: &'a [Known],
    whole: &WholeCheck,
) -> Vec<(usize, usize, &'a str)> {
    let mut out: Vec<(usize, usize, &str)> = Vec::new();
    for o in others {
        for (n, m) in block.lines_shared_with(&o.block) {
            if !whole.suspected.contains(&n) && !out.iter().any(|&(a, b, _)| (a, b) == (n, m)) {
                out.push((n, m, o.label.as_str()));
            }
        }
    }
    out
}

/// Whether a share block's last line is as long as its first: a share's last line is always
/// short, so the header's line count, which made a full line the last, is the likely
/// misreading. (A vault's last line may be full: not said for vaults.)
fn last_is_full(block: &Block) -> bool {
    if block.header.kind != text::Kind::Share {
        return false;
    }
    let last = block.header.line_count;
    let len = |n| {
        block
            .display_line(n)
            .map(|l| l.chars().filter(|c| !c.is_whitespace()).count())
    };
    last > 1 && len(last).is_some() && len(last) == len(1)
}

/// Every line checks but the whole does not match the header and no line can be named: the
/// header is the likely typo (8 read as B), unless it was typed the same twice. Asks for the
/// header again, or a word (`retype NN` for a doubted line); keeps every line.
fn ask_header_again(
    input: &mut impl BufRead,
    block: &mut Block,
    whole: &mut WholeCheck,
    typed: &mut Vec<usize>,
    wanted: &mut Option<usize>,
    can_set_aside: bool,
) -> CliResult<Done> {
    let last = block.header.line_count;
    let width = block.header.number_width();
    const ASIDE: &str = "press Enter to keep this block aside and type the next block (another sheet's, or give a file): when it is in, the two are compared and the wrong line is asked for alone";
    if whole.header_confirmed {
        eprintln!(
            "  The header line is right (typed the same twice), so one of the lines is wrong, most likely read from another sheet (only line 01 is the same on every sheet). {}Your lines are kept.",
            if can_set_aside {
                format!(
                    "To find it, {ASIDE}; or compare each line with this sheet: type `show` to list them, then `retype NN` for the wrong one. "
                )
            } else {
                "Compare each line with this sheet: type `show` to list them, then `retype NN` for the wrong one. ".into()
            }
        );
    } else if last_is_full(block) {
        eprintln!(
            "  Line {last:0width$} is as long as the others, but the header line says it is the last, shorter one: the header's line count was likely misread (the sheet shows more lines). Type the header line again; every line typed is kept."
        );
    } else {
        eprintln!(
            "  Every line checks, but together they do not match the header line's checksum (its last 7 characters). Most likely a character of the header was misread (B for 8, S for 5, D for 0, Z for 2); or a line comes from another sheet (only line 01 is the same on every sheet): type `show` to list the lines and compare each with the sheet. Your lines are kept.{}",
            if can_set_aside {
                format!(" If the header is right, {ASIDE}.")
            } else {
                String::new()
            }
        );
    }
    let prompt = if can_set_aside {
        "  Retype the header line; or Enter: set this block aside, its lines kept, and type the next block (the two are then compared); or a word (retype NN, show, restart, stop): "
    } else {
        "  Retype the header line, or a word (retype NN, show, restart, stop): "
    };
    loop {
        let Some(line) = ask(input, prompt)? else {
            return Ok(Done::End(Ended::EndOfInput));
        };
        let t = line.as_str();
        if t.is_empty() && can_set_aside {
            eprintln!(
                "  This {} block is kept aside with its {last} lines: type the next block (or give a file); it is checked against them.",
                block.header.kind.noun()
            );
            return Ok(Done::End(Ended::Aside));
        }
        if t.is_empty() {
            eprintln!(
                "  type the header line printed above this block again (all of it: BG1-…), or a word: {WORDS}"
            );
            continue;
        }
        if let Some(w) = word(t) {
            let show_only = matches!(w, Word::Show | Word::Help);
            let done = on_word(w, block, typed, wanted);
            if show_only {
                continue;
            }
            return Ok(done);
        }
        match Header::parse(t) {
            Ok(h) => {
                let same = h == block.header;
                new_header(block, h, whole);
                if same && whole.header_confirmed {
                    eprintln!(
                        "  So a line is wrong: {}type `show` to list them, then `retype NN` for the one that differs from this sheet (lines 01 to {last:0width$}).",
                        if can_set_aside {
                            "press Enter to keep this block aside until the next block can name it, or "
                        } else {
                            ""
                        }
                    );
                    continue;
                }
                return Ok(Done::Continue);
            }
            Err(e) => eprintln!("  {}", super::visible(&e.to_string())),
        }
    }
}

/// Takes one typed line, with or without its line number. Returns the number of the line
/// taken, which differs from `next` when the custodian typed another line with its number;
/// or what is wrong with it, in the custodian's words, naming the line and what to do.
fn take_line(block: &mut Block, next: usize, t: &str) -> Result<usize, String> {
    let header = block.header.clone();
    let width = header.number_width();
    let noun = header.kind.noun();
    let numbered = zeroize::Zeroizing::new(format!("{next:0width$}{t}"));
    let reading = match header.parse_line(&numbered) {
        Ok(r) => Ok((r, numbered)),
        Err(e_bare) => match header.parse_line(t) {
            Ok(r) => Ok((r, zeroize::Zeroizing::new(t.to_string()))),
            Err(e_with) => {
                // Neither reading checks: report the one the custodian most likely meant. A full
                // line typed with its number is longer than a data line and its check character.
                let chars: zeroize::Zeroizing<Vec<u8>> = zeroize::Zeroizing::new(
                    t.bytes()
                        .filter(|b| !matches!(b, b' ' | b'-' | b'\t'))
                        .collect(),
                );
                let has_number = chars.len() > text::LINE_CHARS + 1
                    && chars.len() > width
                    && chars[..width].iter().all(u8::is_ascii_digit);
                Err(if has_number { e_with } else { e_bare })
            }
        },
    };
    let ((n, data), as_typed) = match reading {
        Ok(r) => r,
        Err(e) => {
            let mut said = line_problem(&header, &e);
            // A full line at the short last line's prompt is a length slip, not a typo.
            if next == header.line_count
                && let Some(c) = header.last_line_chars()
            {
                let typed: usize = t
                    .chars()
                    .filter(|ch| !matches!(ch, ' ' | '-' | '\t'))
                    .count();
                let full = text::LINE_CHARS + 1;
                if c < text::LINE_CHARS && (typed == full || typed == full + width) {
                    said = format!(
                        "{noun} line {next:0width$} is the short last line: it has {c} characters, then its check character; what you typed is a full line ({full} characters), so it is likely another line. Type line {next:0width$} exactly as printed. If the sheet shows more lines than {next:0width$}, the header's line count was misread: type the header line again (every line typed is kept)."
                    );
                }
            }
            // A line without its number whose check fits another line: it was likely that one.
            let elsewhere: Vec<usize> = header
                .numbers_that_fit(t)
                .into_iter()
                .filter(|&m| m != next)
                .collect();
            if let Some(&m) = elsewhere.first()
                && elsewhere.len() <= 2
            {
                let fits = numbers(&elsewhere, width).replace(" and ", " or ");
                said = format!(
                    "this is not {noun} line {next:0width$}: its check character fits line {fits}, so it is likely that line, typed here without its number (or a line with a typo). Type line {next:0width$}; to give line {m:0width$} now, type it with its number first ({m:0width$} …)"
                );
            }
            return Err(said);
        }
    };
    if n == header.line_count && !header.can_end_with(&data) {
        let expect = match header.last_line_chars() {
            Some(c) => format!("{c} characters, then its check character"),
            None => "fewer characters than the others, then its check character".into(),
        };
        return Err(format!(
            "{noun} line {n:0width$} is the short last line: it has {expect}; what you typed has {} after the number, so it is likely another line. Type line {n:0width$} exactly as printed, every character including the last one. If the sheet shows more lines than {n:0width$}, the header's line count was misread: type the header line again. The other lines are kept.",
            data.len() + 1
        ));
    }
    match block.add_line(&as_typed) {
        Ok(n) => Ok(n),
        Err(TextError::ConflictingLine { line }) => Err(format!(
            "{noun} line {line:0width$} was typed before with other characters: if this one is right, type `retype {line:0width$}` and then it again"
        )),
        Err(e) => Err(line_problem(&header, &e)),
    }
}

/// A line's fault in the custodian's words: which line, what is wrong, what to do.
fn line_problem(header: &Header, e: &TextError) -> String {
    let width = header.number_width();
    let noun = header.kind.noun();
    let ordinal = |g: usize| match g {
        1 => "1st".to_string(),
        2 => "2nd".to_string(),
        3 => "3rd".to_string(),
        g => format!("{g}th"),
    };
    match e {
        TextError::BadLineLength { line, found, .. } => {
            let typed = found + 1;
            let full = text::LINE_CHARS + 1;
            if *line == header.line_count {
                let expect = match header.last_line_chars() {
                    Some(c) => format!("{c} characters, then its check character",),
                    None => format!(
                        "1 to {} characters, then its check character",
                        text::LINE_CHARS
                    ),
                };
                format!(
                    "{noun} line {line:0width$} is the short last line: it has {expect}; what you typed has {typed} after the number. Type it exactly as printed, every character including the last one. If the sheet shows more lines than {line:0width$}, the header's line count was misread: type the header line again (every line typed is kept)."
                )
            } else if typed == text::LINE_CHARS {
                format!(
                    "{noun} line {line:0width$} has {typed} characters after its number; a line has {} and then its check character (the single character set apart at the end): the check character, or another character, is missing. Retype line {line:0width$} with every character.",
                    text::LINE_CHARS
                )
            } else if typed < full {
                format!(
                    "{noun} line {line:0width$} has {typed} characters after its number, not {full} ({} and its check character): {} missing. Retype line {line:0width$}; if it is the short last line on the sheet, the header's line count was misread: type the header line again (every line typed is kept).",
                    text::LINE_CHARS,
                    if full - typed == 1 {
                        "a character is".to_string()
                    } else {
                        format!("{} characters are", full - typed)
                    }
                )
            } else {
                format!(
                    "{noun} line {line:0width$} has {typed} characters after its number, not {full} ({} and its check character): {} too many. Retype line {line:0width$}.",
                    text::LINE_CHARS,
                    typed - full
                )
            }
        }
        TextError::BadCharacter { line, group, .. } => format!(
            "{noun} line {line:0width$} has a character the sheets never use (only 0-9 and A-Z without U) in its {} group of four: retype line {line:0width$}.",
            ordinal(*group)
        ),
        TextError::LineCheck { line, group, .. } => format!(
            "{noun} line {line:0width$} has a typo{}: its check character (the last one) does not fit the rest. Retype line {line:0width$}.",
            group
                .map(|g| format!(", probably in its {} group of four", ordinal(g)))
                .unwrap_or_default()
        ),
        TextError::CheckCharacterTypo { line, .. } => format!(
            "{noun} line {line:0width$}: its last character (the check character) is not one the sheets use. Retype line {line:0width$}."
        ),
        TextError::LineOutOfRange { line, count, .. } => format!(
            "there is no {noun} line {line:0width$}: the header line says this block has {count}. If the sheet shows more lines, the header was misread: type the header line again (every line typed is kept)."
        ),
        TextError::BadLineNumber { .. } => format!(
            "that is not a {noun} line: type the line as printed (its number first if you like), or a word: {WORDS}"
        ),
        other => super::visible(&other.to_string()).to_string(),
    }
}

/// Asks only for the missing lines of a partly read block.
pub fn complete_block(mut block: Block) -> CliResult<Block> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    match type_lines(
        &mut input,
        &mut block,
        &[],
        &mut WholeCheck::default(),
        false,
    )? {
        Ended::Complete | Ended::Aside => {}
        Ended::Restart => eprintln!(
            "  these vault lines came from a scan: to start over, give the file again or type the whole vault block at the next header prompt"
        ),
        Ended::Stop | Ended::EndOfInput => {
            if let Some(l) = lost(&block, "Stopped") {
                eprintln!("{l}");
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use breakglass_core::text::{Kind, TextForm};

    /// A share block's header and printed lines (56 bytes: 5 lines, the last of 10).
    fn share(seed: u8) -> (Header, Vec<String>) {
        let bytes: Vec<u8> = (0..56u8)
            .map(|i| i.wrapping_mul(29).wrapping_add(seed))
            .collect();
        let f = TextForm::encode(Kind::Share, &bytes).unwrap();
        let mut lines: Vec<String> = f.display_lines().iter().map(|l| l.to_string()).collect();
        let h = Header::parse(&lines.remove(0)).unwrap();
        (h, lines)
    }

    #[test]
    fn a_line_that_fits_a_misread_line_count_points_at_the_header() {
        // A custodian read a 5-line block's header as 6 lines: the real last line, typed at
        // line 05, was blamed alone.
        let (mut h, _) = share(7);
        h.line_count = 6;
        let short = TextError::BadLineLength {
            kind: "share",
            line: 5,
            expected: "20".into(),
            found: 12,
        };
        let m = line_problem(&h, &short);
        assert!(m.contains("header's line count was misread"), "{m}");
        // Read as 3: a full line at the short last line's place.
        h.line_count = 3;
        let full = TextError::BadLineLength {
            kind: "share",
            line: 3,
            expected: "1 to 20".into(),
            found: 20,
        };
        let m = line_problem(&h, &full);
        assert!(m.contains("header's line count was misread"), "{m}");
    }

    #[test]
    fn a_full_line_at_the_short_last_line_is_named_a_length_slip_not_a_typo() {
        let (h, lines) = share(3);
        let (_, other) = share(9);
        let mut block = Block::new(h.clone());
        for l in &lines[..4] {
            block.add_line(l).unwrap();
        }
        // A full line whose check character fits no line of this block: nothing else to name.
        let data: String = other[1]
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .concat();
        let base = &data[..data.len() - 1];
        let typed = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
            .chars()
            .map(|c| format!("{base}{c}"))
            .find(|t| h.numbers_that_fit(t).is_empty())
            .expect("a check character that fits no line");
        let e = take_line(&mut block, 5, &typed).unwrap_err();
        assert!(e.contains("what you typed is a full line"), "{e}");
        assert!(e.contains("header's line count was misread"), "{e}");
    }

    #[test]
    fn a_share_block_ending_on_a_full_line_points_at_the_line_count() {
        let (mut h, lines) = share(5);
        let mut whole = Block::new(h.clone());
        for l in &lines {
            whole.add_line(l).unwrap();
        }
        assert!(!last_is_full(&whole), "a share's last line is short");
        h.line_count = 4; // 5 read as 4
        let mut short = Block::new(h);
        for l in &lines[..4] {
            short.add_line(l).unwrap();
        }
        assert!(last_is_full(&short));
    }

    #[test]
    fn words_are_read_before_lines_and_never_as_a_short_line() {
        assert_eq!(word("back"), Some(Word::Back));
        assert_eq!(word(" Retype 03 "), Some(Word::Retype(3)));
        assert_eq!(word("retype"), Some(Word::Retype(0)));
        assert_eq!(word("QUIT"), Some(Word::Stop));
        assert_eq!(word("stop"), Some(Word::Stop));
        assert_eq!(word("show"), Some(Word::Show));
        assert_eq!(word("restart"), Some(Word::Restart));
        assert_eq!(word("retype x"), None);
        assert_eq!(word("ABCD EFGH"), None);
    }

    #[test]
    fn a_full_line_at_the_short_last_line_is_refused_alone() {
        let (h, lines) = share(1);
        let mut b = Block::new(h);
        for (i, l) in lines[..4].iter().enumerate() {
            assert_eq!(take_line(&mut b, i + 1, l), Ok(i + 1));
        }
        // Line 04's characters under number 05: refused, and the four lines stay.
        let (_, data) = lines[3].split_once("  ").unwrap();
        let e = take_line(&mut b, 5, data).unwrap_err();
        assert!(
            e.contains("is the short last line") || e.contains("this is not share line 05"),
            "{e}"
        );
        assert_eq!(b.missing(), [5]);
        assert_eq!(take_line(&mut b, 5, &lines[4]), Ok(5));
    }

    #[test]
    fn a_missing_check_character_is_named_as_such() {
        let (h, lines) = share(2);
        let mut b = Block::new(h);
        let no_check = lines[1].trim_end();
        let no_check = no_check[..no_check.len() - 1].trim_end();
        let e = take_line(&mut b, 2, no_check).unwrap_err();
        assert!(
            e.contains("the check character, or another character, is missing"),
            "{e}"
        );
        assert!(e.contains("share line 02"), "{e}");
        assert!(!e.contains("group"), "{e}");
    }

    #[test]
    fn a_line_typed_without_its_number_at_another_prompt_is_named() {
        let (h, lines) = share(3);
        let mut b = Block::new(h.clone());
        let (_, bare) = lines[2].split_once("  ").unwrap();
        match take_line(&mut b, 2, bare) {
            // Its check fits number 02 too (one time in 32): taken as line 02, as typed.
            Ok(n) => assert_eq!(n, 2),
            Err(e) => {
                assert!(e.contains("its check character fits line"), "{e}");
                assert!(e.contains("03"), "{e}");
            }
        }
    }

    #[test]
    fn a_line_of_a_known_share_is_named_once_and_a_right_header_is_recognised() {
        let (h1, l1) = share(5);
        let (h2, l2) = share(6);
        let mut wrong = Block::new(h2.clone());
        for (i, l) in l2.iter().enumerate() {
            let l = if i == 2 { &l1[2] } else { l };
            wrong.add_line(l).unwrap();
        }
        let mut first = Block::new(h1);
        for l in &l1 {
            first.add_line(l).unwrap();
        }
        let known = [Known {
            label: "share 1 (read from s1.txt)".into(),
            block: first,
        }];
        let mut whole = WholeCheck::default();
        assert_eq!(
            shared_lines(&wrong, &known, &whole),
            [(3, 3, "share 1 (read from s1.txt)")]
        );
        // Asked for once: never named again, so a second failure asks for the header.
        whole.suspected.push(3);
        assert!(shared_lines(&wrong, &known, &whole).is_empty());
        // Right lines under a misread header: the right header makes the whole check.
        let mut right = Block::new(h2.clone());
        for l in &l2 {
            right.add_line(l).unwrap();
        }
        let misread = Header::parse(&known[0].block.header.render()).unwrap();
        let mut under = right.clone();
        under.rebase(misread.clone()).unwrap();
        assert!(under.decode().is_err());
        assert!(fits(&under, &h2));
        assert!(!fits(&wrong, &h2));
    }

    #[test]
    fn messages_speak_of_lines_not_groups_or_encoders() {
        let (h, _) = share(4);
        for e in [
            TextError::LineCheck {
                kind: "share",
                line: 3,
                group: Some(2),
            },
            TextError::BadCharacter {
                kind: "share",
                line: 3,
                group: 4,
            },
            TextError::LineOutOfRange {
                kind: "share",
                line: 7,
                count: 5,
            },
        ] {
            let m = line_problem(&h, &e);
            assert!(!m.contains(" group ") || m.contains("group of four"), "{m}");
            assert!(!m.contains("encoder"), "{m}");
            assert!(m.contains("line 0"), "{m}");
        }
    }
}

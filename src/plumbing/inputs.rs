//! Gathering shares and vault copies from files (share documents, scans, photos), standard
//! input or the keyboard.
//!
//! A problem with one input is reported with its name and recovery goes on with the rest; the
//! caller decides at the end whether enough was read. Vault QR parts read from different images
//! are pooled, so each part may come from any sheet.

use super::{CliResult, files, interactive, prompt};
use breakglass_core::TextError;
use breakglass_core::document::{self, Decoded};
use breakglass_core::recover::Sourced;
use breakglass_core::share::Share;
use breakglass_core::text::{self, Block, Kind};
use breakglass_core::vault::Vault;
use breakglass_paper::scan::{self, ScanLimits};
use std::path::PathBuf;
use zeroize::Zeroizing;

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
    /// How many of `problems` were already shown (named before typing was asked for).
    shown: usize,
    /// The custodian ended the typing (Enter with enough, `stop`, or the end of input).
    done_typing: bool,
    /// Images in which no QR code at all was found (a page 2 of a sheet has none): said
    /// calmly when the rest was enough, as a problem otherwise.
    codeless: Vec<String>,
    /// The blocks typed so far, to find a line of one typed into another (read from the
    /// other sheet).
    typed_blocks: Vec<Block>,
    /// Typed blocks whose lines all check but whose whole does not, with no line named yet:
    /// checked again each time another block is read.
    aside: Vec<prompt::Pending>,
}

/// The source of typed blocks; their labels say the share number ("typed share 3").
const TYPED: &str = "typed";

/// Where the typed vault block is: the sheet prints it under this heading, after the
/// recovery steps (page 2 of a sheet whose vault codes all fit page 1).
const VAULT_WHERE: &str = "the vault block (BG1-V-…): it is the same on every sheet, printed under \"VAULT typed fallback\" after \"HOW TO RECOVER\" (page 2 of any sheet), and at the end of any share-N.txt; or give a scan of page 1 of any sheet";

impl Gathered {
    /// Labels each share with its own number (never its position among the inputs) where the
    /// source alone does not tell it apart; a file holding one share keeps its name, which the
    /// other commands use to pair the share with the vault copy beside it.
    fn add(&mut self, source: &str, d: Decoded) {
        let many = d.shares.len() > 1;
        for s in d.shares {
            let name = if source == TYPED {
                format!("typed share {}", s.index())
            } else if many {
                format!("{source} (share {})", s.index())
            } else {
                source.to_string()
            };
            self.shares.push(Sourced::new(name, s));
        }
        for v in d.vaults {
            let name = if source == TYPED {
                "typed vault block"
            } else {
                source
            };
            self.vaults.push(Sourced::new(name, v));
        }
    }

    /// The share blocks read so far, to compare a typed block whose whole does not check with:
    /// those typed, and those of the shares read from files (scans, photos, share files), by
    /// the name of their input.
    fn known_blocks(&self) -> Vec<prompt::Known> {
        let mut known: Vec<prompt::Known> = self
            .typed_blocks
            .iter()
            .map(|b| prompt::Known {
                label: format!("a {} block typed before", b.header.kind.noun()),
                block: b.clone(),
            })
            .collect();
        for s in &self.shares {
            if s.source.starts_with(TYPED) {
                continue;
            }
            let bytes = s.item.to_bytes();
            let Some(block) = text::TextForm::encode(Kind::Share, bytes.expose_secret())
                .ok()
                .and_then(|f| text::parse_blocks(&f.to_qr()).ok())
                .and_then(|mut v| v.pop())
            else {
                continue;
            };
            known.push(prompt::Known {
                label: format!(
                    "share {} (read from {})",
                    s.item.index(),
                    super::visible(&s.source)
                ),
                block,
            });
        }
        known
    }

    /// Takes in what another reading gathered.
    fn absorb(&mut self, other: Gathered) {
        self.shares.extend(other.shares);
        self.vaults.extend(other.vaults);
        self.problems.extend(other.problems);
        self.incomplete.extend(other.incomplete);
        self.whole_vaults.extend(other.whole_vaults);
        self.codeless.extend(other.codeless);
    }

    /// Remembers the vault blocks read whole, and drops parts of them still waiting for lines:
    /// nobody is asked to type, scan or worry about a part of a vault another input had whole.
    fn note_whole_vaults(&mut self, complete: &[Block]) {
        for b in complete.iter().filter(|b| b.header.kind == Kind::Vault) {
            if !self.whole_vaults.contains(&b.header) {
                self.whole_vaults.push(b.header.clone());
            }
        }
        let whole = &self.whole_vaults;
        self.incomplete.retain(|b| !whole.contains(&b.header));
    }

    /// The share numbers read so far, each once.
    fn share_numbers(&self) -> Vec<u8> {
        let mut n: Vec<u8> = self.shares.iter().map(|s| s.item.index()).collect();
        n.sort_unstable();
        n.dedup();
        n
    }

    /// Shares needed, from the vault header once one is read, else from a share's claim.
    fn threshold(&self) -> Option<u8> {
        self.vaults
            .first()
            .map(|v| v.item.header.threshold)
            .or_else(|| self.shares.first().map(|s| s.item.threshold))
    }

    /// A vault block and as many different shares as the threshold: worth trying to open.
    pub fn enough(&self) -> bool {
        !self.vaults.is_empty()
            && self
                .threshold()
                .is_some_and(|k| self.share_numbers().len() >= usize::from(k))
    }

    /// "share 1 (Safe A, Alice)": the number, and the location and custodian when a vault
    /// block has been read (they are in its header).
    fn describe_share(&self, index: u8) -> String {
        let label = self.vaults.first().and_then(|v| v.item.header.label(index));
        match label {
            Some(l) if !l.location.is_empty() || !l.custodian.is_empty() => {
                let parts: Vec<&str> = [l.location.as_str(), l.custodian.as_str()]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect();
                format!("share {index} ({})", super::visible(&parts.join(", ")))
            }
            _ => format!("share {index}"),
        }
    }

    /// What is in and what is still needed, in words.
    pub fn tally(&self) -> String {
        let mut have: Vec<String> = self
            .share_numbers()
            .into_iter()
            .map(|i| self.describe_share(i))
            .collect();
        if !self.vaults.is_empty() {
            have.push("the vault block".into());
        }
        let mut need: Vec<String> = Vec::new();
        let got = self.share_numbers().len();
        match self.threshold() {
            Some(k) if got < usize::from(k) => {
                let more = usize::from(k) - got;
                need.push(format!(
                    "{more} more share{} (from a sheet not yet read; {k} are needed)",
                    if more == 1 { "" } else { "s" }
                ));
            }
            Some(_) => {}
            None => need.push("the share block (BG1-S-…) of each sheet".into()),
        }
        if self.vaults.is_empty() {
            need.push(VAULT_WHERE.into());
        }
        let have = if have.is_empty() {
            "nothing read yet".to_string()
        } else {
            format!("have {}", and_list(&have))
        };
        if need.is_empty() {
            format!("{have}: that is enough to open the vault")
        } else {
            format!("{have}; need {}", and_list(&need))
        }
    }

    /// Images without any QR code become problems when what was read is not enough (then
    /// they may be the missing page 1); when it is enough they are page 2s, said calmly.
    fn settle_codeless(&mut self) {
        if self.codeless.is_empty() {
            return;
        }
        let names = std::mem::take(&mut self.codeless);
        if self.enough() {
            for n in names {
                eprintln!(
                    "note: {}: no QR code found, as on page 2 of a sheet (which needs no scan); everything needed was read from the others",
                    super::visible(&n)
                );
            }
        } else {
            for n in names {
                self.problems
                    .push(format!("{n}: {}", scan::ScanError::NoCodeFound));
            }
        }
    }

    /// Shows, once, the inputs that could not be read, each named.
    fn show_problems(&mut self) {
        for p in &self.problems[self.shown..] {
            eprintln!("could not use {}", super::visible(p));
        }
        self.shown = self.problems.len();
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
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

/// One input of FORMAT.md §7.1 ("Cutting files into inputs") before it is named: a sheet's
/// text, or the payloads of the codes on a page that belong together.
struct Part {
    texts: Vec<Zeroizing<String>>,
    /// Codes: each payload is read on its own, and one that is not ours is ignored.
    codes: bool,
}

/// The inputs of one file, page by page: each page's number and its parts.
type Pages = Vec<(usize, Vec<Part>)>;

/// One input, named (`batch.pdf page 3`, `- part 2`).
struct Cut {
    name: String,
    part: Part,
}

/// Names the inputs one file is cut into: the file's name, then ` page P` when its inputs
/// come from more than one page, then ` part N` when one page gives more than one.
fn name_cuts(name: &str, pages: Pages) -> Vec<Cut> {
    let many_pages = pages.iter().filter(|(_, parts)| !parts.is_empty()).count() > 1;
    let mut out = Vec::new();
    for (number, parts) in pages {
        let many_parts = parts.len() > 1;
        for (i, part) in parts.into_iter().enumerate() {
            let mut n = name.to_string();
            if many_pages {
                n.push_str(&format!(" page {number}"));
            }
            if many_parts {
                n.push_str(&format!(" part {}", i + 1));
            }
            out.push(Cut { name: n, part });
        }
    }
    out
}

/// A text's inputs (§7.1): cut before each sheet's share block.
fn text_parts(text: &str) -> Vec<Part> {
    text::cut_inputs(text)
        .into_iter()
        .map(|t| Part {
            texts: vec![Zeroizing::new(t.to_owned())],
            codes: false,
        })
        .collect()
}

/// Scans every page of one image or PDF and cuts it into inputs (§7.1).
fn scan_file(name: &str, bytes: &[u8], read: &mut FileRead) -> Pages {
    match scan::scan_pages(bytes, &ScanLimits::default(), &sheet_complete) {
        Ok(pages) => pages
            .into_iter()
            .map(|page| {
                let parts = match page.read {
                    scan::PageRead::Codes(codes) => text::group_codes(&codes)
                        .into_iter()
                        .map(|g| Part {
                            texts: g
                                .into_iter()
                                .map(|i| Zeroizing::new(codes[i].clone()))
                                .collect(),
                            codes: true,
                        })
                        .collect(),
                    scan::PageRead::SheetText(t) => text_parts(&t),
                };
                (page.number, parts)
            })
            .collect(),
        Err(scan::ScanError::NoCodeFound) => {
            read.codeless = true;
            Vec::new()
        }
        Err(e) => {
            read.problems.push(format!("{name}: {e}"));
            Vec::new()
        }
    }
}

/// Reads one input's pieces into blocks; what cannot be read is said in `problems`. Returns
/// `None` when the input is left out whole.
fn read_cut(cut: &Cut, problems: &mut Vec<String>) -> Option<Vec<Block>> {
    let name = &cut.name;
    if !cut.part.codes {
        let mut blocks = Vec::new();
        for t in &cut.part.texts {
            match text::parse_blocks(t) {
                Ok(b) => blocks.extend(b),
                Err(e) => {
                    problems.push(format!("{name}: {e}"));
                    return None;
                }
            }
        }
        return Some(blocks);
    }
    let mut blocks = Vec::new();
    let before = problems.len();
    for p in &cut.part.texts {
        match text::parse_blocks(p) {
            Ok(b) => blocks.extend(b),
            // FORMAT.md §1: a newer format says so, on every input channel.
            Err(e @ text::TextError::NewerVersion { .. }) => problems.push(format!("{name}: {e}")),
            Err(_) => problems.push(format!(
                "{name}: a QR code that is not a breakglass code was ignored"
            )),
        }
    }
    if blocks.is_empty() {
        if problems.len() == before {
            problems.push(format!("{name}: no breakglass QR code found"));
        }
        return None;
    }
    Some(blocks)
}

/// Reads every named file; `-` is standard input. Images are scanned for QR codes. Each file
/// is cut into inputs (FORMAT.md §7.1, "Cutting files into inputs"): its pages, and on a page
/// each sheet's blocks, so that one bad page or sheet is left out alone. Files are read and
/// scanned on the available cores, and taken in the order given.
pub fn from_files(paths: &[PathBuf]) -> Gathered {
    let mut g = Gathered::default();
    let mut pooled: Vec<(String, Block)> = Vec::new();
    each_in_order(
        paths.len(),
        |i| read_file(&paths[i]),
        |i, read| {
            let tally = Tally::of(&g);
            g.problems.extend(read.problems);
            if read.codeless {
                g.codeless.push(paths[i].display().to_string());
            }
            for cut in &read.cuts {
                let before = g.problems.len();
                if let Some(blocks) = read_cut(cut, &mut g.problems) {
                    take_blocks(&mut g, &cut.name, blocks, &mut pooled, before);
                }
            }
            tally.report(&g, i + 1, paths.len(), &paths[i]);
        },
    );
    pool_vault_parts(&mut g, pooled);
    g
}

/// What one file gave: its inputs, and what could not be read in it.
#[derive(Default)]
struct FileRead {
    cuts: Vec<Cut>,
    problems: Vec<String>,
    /// An image in which no QR code at all was found (see [`Gathered::codeless`]).
    codeless: bool,
}

/// Reads one file and cuts it into inputs (scanning it if it is an image or PDF).
fn read_file(p: &std::path::Path) -> FileRead {
    let mut read = FileRead::default();
    let name = p.display().to_string();
    let bytes = match files::read_input(p) {
        Ok(b) => b,
        Err(e) => {
            read.problems.push(format!("{e:#}"));
            return read;
        }
    };
    read.cuts = if is_image(&bytes) {
        let pages = scan_file(&name, &bytes, &mut read);
        name_cuts(&name, pages)
    } else {
        // FORMAT.md §6.5: bytes that are not UTF-8 read as U+FFFD, so a comment row
        // re-saved in another encoding is still a comment; elsewhere they are a bad
        // character. Nothing readable at all in such bytes: say what the file is not.
        let text = Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
        if std::str::from_utf8(&bytes).is_err()
            && matches!(text::parse_blocks(&text), Err(TextError::NoHeader))
        {
            read.problems.push(format!(
                "{name}: neither a share file (text) nor an image or PDF breakglass reads \
                 (PNG, JPEG, TIFF, PNM, BMP, WebP, PDF)"
            ));
            return read;
        }
        name_cuts(&name, vec![(1, text_parts(&text))])
    };
    read
}

/// Runs `work` for 0..n on up to as many threads as there are cores, and hands each result to
/// `take` in index order as soon as it and every one before it is done. Each thread holds one
/// file (and one decoded page) at a time; results waiting for their turn hold only text.
fn each_in_order<T: Send>(
    n: usize,
    work: impl Fn(usize) -> T + Sync,
    mut take: impl FnMut(usize, T),
) {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(n);
    if threads <= 1 {
        (0..n).for_each(|i| take(i, work(i)));
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, T)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n || tx.send((i, work(i))).is_err() {
                        break;
                    }
                }
            });
            // No thread to be had: the ones already running (or this one, below) do the rest.
            if spawned.is_err() {
                break;
            }
        }
        drop(tx);
        let mut waiting = std::collections::BTreeMap::new();
        let mut due = 0;
        for (i, result) in &rx {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&due) {
                take(due, result);
                due += 1;
            }
        }
        // Whatever no thread took (none could be spawned), on this one.
        while due < n {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= n {
                break;
            }
            take(i, work(i));
            due = i + 1;
        }
    });
}

/// Decodes the complete blocks of one input; keeps incomplete vault parts for pooling.
/// `before` is the number of problems said before this input was read.
fn take_blocks(
    g: &mut Gathered,
    name: &str,
    blocks: Vec<Block>,
    pooled: &mut Vec<(String, Block)>,
    before: usize,
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
    g.note_whole_vaults(&complete);
    let mut parts = false;
    for b in partial {
        if b.header.kind == Kind::Vault {
            pooled.push((name.to_string(), b));
            parts = true;
        } else if let Err(e) = b.decode() {
            g.problems.push(format!("{name}: {e}"));
        }
    }
    if complete.is_empty() {
        if !parts && g.problems.len() == before {
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

/// How to type, said once before the first prompt: exactly what the parser forgives, the
/// words understood at every line prompt, and what becomes of the typed lines.
fn how_to_type(vault_read: bool) -> String {
    // A custodian who scanned one sheet was told to type a vault block already read.
    let what = if vault_read {
        "The vault was read already: type only the share block of each sheet still needed (under SHARE: its header line BG1-S-…, then lines 01 to 05)"
    } else {
        "Type each share block (BG1-S-…) and one vault block (BG1-V-…) from the sheets"
    };
    format!(
        "{what}: the header line first, then its numbered lines. A line may be typed with or without its line number; spaces, dashes and lower case make no difference, and I, L, O count as 1, 1, 0. Type the last character of each line too: it is the line's check character and catches a typo at once. The last line of a block is shorter than the others.
At every line prompt these words work: {}. A header line typed again at any time replaces the first one and keeps every line typed.
At a header prompt you may also give a file name (share-N.txt, or a scan or photo of page 1 of a sheet) or paste a whole share-N.txt. Enter on an empty header prompt opens the vault once enough is in.
What you type is wiped from this window (the screen and its scrollback) when typing ends, even at Ctrl-C; close the window afterwards too.",
        prompt::WORDS
    )
}

/// Reads typed blocks from the terminal until the user finishes, or the whole of a piped
/// standard input.
pub fn typed() -> CliResult<Gathered> {
    if !interactive() {
        return Ok(from_files(&[PathBuf::from("-")]));
    }
    let mut g = Gathered::default();
    type_more(&mut g)?;
    Ok(g)
}

/// Asks for blocks (or files) until enough is in and the custodian presses Enter, or they
/// stop. Nothing already read is dropped: after each block the tally says what is in, by
/// share number and custodian, and what is still needed. The typed lines are wiped from the
/// window when this ends (on every exit path), then what was read is said again.
fn type_more(g: &mut Gathered) -> CliResult {
    let wipe = super::terminal::Wipe::install();
    super::wrap::eprintln_wrapped(&how_to_type(!g.vaults.is_empty()));
    let lost = 'typing: loop {
        let known = g.known_blocks();
        match prompt::typed_entry(g.enough(), &known, &mut g.aside)? {
            prompt::Entry::Block(b) => take_typed(g, vec![b]),
            prompt::Entry::Pasted(blocks) => take_typed(g, blocks),
            prompt::Entry::File(path) => g.absorb(from_files(&[path])),
            prompt::Entry::Aside(p) => {
                g.aside.push(p);
                continue;
            }
            prompt::Entry::Forgotten => continue,
            prompt::Entry::Finish if g.enough() => break None,
            prompt::Entry::Finish => {
                eprintln!("Not yet: {}.", g.tally());
                for p in &g.aside {
                    eprintln!(
                        "The {} block kept aside ({}) is checked again when another block is read; or type its header line again.",
                        p.noun(),
                        p.header()
                    );
                }
                eprintln!("Type the next block or give a file, or type `stop` to stop.");
                continue;
            }
            prompt::Entry::Stop(lost) => break lost,
        }
        // Another block is in: the blocks kept aside are compared with it.
        for p in std::mem::take(&mut g.aside) {
            let known = g.known_blocks();
            match prompt::recheck(p, &known)? {
                prompt::Entry::Block(b) => take_typed(g, vec![b]),
                prompt::Entry::Aside(p) => g.aside.push(p),
                prompt::Entry::Stop(lost) => break 'typing lost,
                _ => {}
            }
        }
        g.show_problems();
        eprintln!("{}.", g.tally());
    };
    let unused: Vec<String> = std::mem::take(&mut g.aside)
        .iter()
        .map(prompt::Pending::not_used)
        .collect();
    g.done_typing = true;
    if wipe.finish() {
        eprintln!(
            "The typed lines were wiped from this window (screen and scrollback); close it when you are done."
        );
    }
    if let Some(l) = lost {
        eprintln!("{l}");
    }
    for u in unused {
        eprintln!("{u}");
    }
    eprintln!("{}.", g.tally());
    Ok(())
}

/// Decodes typed blocks; a block that still fails is named by its kind, not its position.
fn take_typed(g: &mut Gathered, blocks: Vec<Block>) {
    g.typed_blocks.extend(blocks.iter().cloned());
    let (complete, partial): (Vec<Block>, Vec<Block>) =
        blocks.into_iter().partition(Block::is_complete);
    g.note_whole_vaults(&complete);
    for b in partial {
        if b.header.kind == Kind::Vault {
            if !g.whole_vaults.contains(&b.header) {
                g.incomplete.push(b);
            }
        } else if let Err(e) = b.decode() {
            g.problems.push(format!("the typed share block: {e}"));
        }
    }
    for b in complete {
        let noun = b.header.kind.noun();
        match document::decode_blocks(vec![b]) {
            Ok(d) => g.add(TYPED, d),
            Err(e) => g.problems.push(format!("the typed {noun} block: {e}")),
        }
    }
}

/// At a terminal, offers to type whatever the files could not give: first it names each
/// input that failed, then asks for the missing lines of a partly read vault, then for
/// blocks until enough is in.
pub fn fill_gaps(g: &mut Gathered) -> CliResult {
    if !interactive() {
        return Ok(());
    }
    g.settle_codeless();
    g.show_problems();
    for b in std::mem::take(&mut g.incomplete) {
        eprintln!(
            "The vault was only partly read ({} of {} lines): type the missing lines from any sheet.",
            b.header.line_count - b.missing().len(),
            b.header.line_count
        );
        let b = prompt::complete_block(b)?;
        match document::decode_blocks(vec![b]) {
            Ok(d) => g.add(TYPED, d),
            Err(e) => g.problems.push(format!("typed vault lines: {e}")),
        }
    }
    g.show_problems();
    if !g.done_typing && !g.enough() {
        eprintln!("{}.", g.tally());
        eprintln!("Type the missing blocks now (or give another file); what was read is kept.");
        type_more(g)?;
    }
    Ok(())
}

/// Reports what could not be read; incomplete vault parts say which lines are missing.
pub fn report(g: &mut Gathered) {
    g.settle_codeless();
    for p in &g.problems[g.shown..] {
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

/// What had been gathered before an input, to say what the input added.
struct Tally {
    shares: usize,
    vaults: usize,
    problems: usize,
    codeless: usize,
}

impl Tally {
    fn of(g: &Gathered) -> Tally {
        Tally {
            shares: g.shares.len(),
            vaults: g.vaults.len(),
            problems: g.problems.len(),
            codeless: g.codeless.len(),
        }
    }

    /// One stderr line per input at a terminal: `[3/17] scan3.png: share 2 of 3 (Bob)`. Names
    /// come from the vault headers read so far: unverified, a guide only, shown filtered.
    fn report(&self, g: &Gathered, at: usize, total: usize, path: &std::path::Path) {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            eprintln!("{}", self.line(g, at, total, path));
        }
    }

    fn line(&self, g: &Gathered, at: usize, total: usize, path: &std::path::Path) -> String {
        let mut parts: Vec<String> = g.shares[self.shares..]
            .iter()
            .map(|s| {
                let s = &s.item;
                let who = g
                    .vaults
                    .iter()
                    .find(|v| v.item.header.vault_id == s.vault_id)
                    .and_then(|v| v.item.header.label(s.index()))
                    .map(|l| {
                        if l.custodian.is_empty() {
                            &l.location
                        } else {
                            &l.custodian
                        }
                    })
                    .filter(|w| !w.is_empty())
                    .map(|w| format!(" ({})", super::visible(w)))
                    .unwrap_or_default();
                format!("share {} of {}{who}", s.index(), s.count)
            })
            .collect();
        if g.vaults.len() > self.vaults {
            parts.push("a vault copy".into());
        }
        if g.codeless.len() > self.codeless {
            parts.push("no QR code (a page 2 needs none; see below)".into());
        } else if g.problems.len() > self.problems {
            parts.push("not read (see below)".into());
        } else if parts.is_empty() {
            parts.push("part of the vault".into());
        }
        format!(
            "[{at}/{total}] {}: {}",
            super::shown_path(path),
            parts.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::each_in_order;

    #[test]
    fn results_are_taken_in_the_order_given_whatever_order_they_finish_in() {
        let mut taken = Vec::new();
        each_in_order(
            9,
            |i| {
                // Early inputs take longest, so later ones finish first.
                std::thread::sleep(std::time::Duration::from_millis(5 * (9 - i as u64)));
                i * 10
            },
            |i, r| taken.push((i, r)),
        );
        let expected: Vec<(usize, usize)> = (0..9).map(|i| (i, i * 10)).collect();
        assert_eq!(taken, expected);
        let mut none = Vec::new();
        each_in_order(0, |i| i, |i, _| none.push(i));
        assert!(none.is_empty());
    }
}

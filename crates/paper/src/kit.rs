//! The recovery kit: `recover.py`, a decoder that needs only Python's standard library; for
//! typing from paper, `recover-paper.py` (a short decoder), `argon2id.py` (its appendix) and
//! `linecheck.py` (a line checker); and `recovery-kit.pdf`, a booklet (not secret) that
//! explains the sheets, how to recover with and without breakglass, the format in brief, and
//! lists the short decoder line by line, each line with a check character and each page with
//! a hash, so that it can be typed in and checked as it is typed if no copy survives.
//!
//! The listings must come back byte for byte from the PDF's text: one Courier text run per
//! source line, every line at the same x, no wrapping, so `pdftotext -layout -fixed PITCH`
//! (the pitch is printed in the booklet) gives each row back, and `linecheck.py` takes the
//! rows so extracted as it takes typed ones. Plain `-layout` guesses the width of runs of
//! spaces and gets indentation wrong. Like the sheets, the output is deterministic and this
//! module does no I/O.

use crate::sheet::canvas::{Canvas, FOOTER_H};
use crate::sheet::font::{Face, step_prefix, wrap};
use crate::sheet::pdf::{document_id, parse_date, to_pdf};
use crate::sheet::{Paper, SheetError};
use breakglass_core::text::ALPHABET;
use sha2::{Digest, Sha256};

/// The full decoder, exactly as it is written into the kit.
pub const RECOVER_PY: &str = include_str!("../kit/recover.py");
/// The short decoder for typing from paper, listed in the booklet.
pub const RECOVER_PAPER_PY: &str = include_str!("../kit/recover-paper.py");
/// Argon2id for the short decoder, listed in the booklet's appendix.
pub const ARGON2ID_PY: &str = include_str!("../kit/argon2id.py");
/// The line checker, printed in full on the booklet's first page.
pub const LINECHECK_PY: &str = include_str!("../kit/linecheck.py");

/// File names inside the kit folder.
pub const RECOVER_PY_NAME: &str = "recover.py";
pub const RECOVER_PAPER_NAME: &str = "recover-paper.py";
pub const ARGON2ID_NAME: &str = "argon2id.py";
pub const LINECHECK_NAME: &str = "linecheck.py";
pub const BOOKLET_NAME: &str = "recovery-kit.pdf";

/// The kit's text files, name and contents, as `breakglass kit` writes them.
pub const TEXT_FILES: [(&str, &str); 4] = [
    (RECOVER_PY_NAME, RECOVER_PY),
    (RECOVER_PAPER_NAME, RECOVER_PAPER_PY),
    (ARGON2ID_NAME, ARGON2ID_PY),
    (LINECHECK_NAME, LINECHECK_PY),
];

/// The booklet's edition, also its PDF creation date (never the clock): change it with the
/// kit's files.
const EDITION: &str = "2026-12-07";

/// Listing lines per page: `linecheck.py`'s `PAGE`, so that it shows each page's hash.
pub const PAGE_LINES: usize = 60;
/// Columns of a listed source line (longer lines are refused), and of the line number.
const CODE_COLS: usize = 79;
const NUMBER_COLS: usize = 3;
/// Courier advance: 600/1000 em for every character.
const MONO_ADVANCE: f32 = 0.6;
/// Font size of the listings (points), fixed so that the pitch printed for pdftotext is one.
const LISTING_SIZE: f32 = 8.0;

/// SHA-256 of `text`, lower-case hex (what `sha256sum` prints).
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of [`RECOVER_PY`].
pub fn recover_py_sha256() -> String {
    sha256_hex(RECOVER_PY)
}

/// The check character of listing line `number` (FORMAT.md §6.3's line check, over the three
/// digits of the number and then two symbols per byte, its top 3 and low 5 bits): what
/// `linecheck.py`'s `check` computes. Any single change of a character within its block of
/// 32 (a letter's case, letters among letters, digits and punctuation among themselves) and
/// any change of indentation's length is caught for sure; other slips 31 times in 32, and the
/// page hash catches the rest.
pub fn line_check(number: usize, line: &str) -> char {
    let digits = format!("{number:03}");
    let symbols = digits
        .bytes()
        .map(|d| d - b'0')
        .chain(line.bytes().flat_map(|b| [b >> 5, b & 31]));
    let mut acc = 0u8;
    for s in symbols {
        acc = (acc ^ s) << 1;
        if acc & 32 != 0 {
            acc ^= 0x25;
        }
    }
    char::from(ALPHABET[usize::from(acc)])
}

/// The hash of a listing page as `linecheck.py` shows it: the first 16 hex digits of the
/// SHA-256 of the page's lines, each with its newline.
pub fn page_hash(lines: &[&str]) -> String {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    sha256_hex(&text)[..16].to_string()
}

/// One listing row as printed: the number right-aligned in [`NUMBER_COLS`] columns, two
/// spaces, the line padded to [`CODE_COLS`], two spaces, the check character.
fn listing_row(number: usize, line: &str) -> String {
    format!(
        "{number:>NUMBER_COLS$}  {line:<CODE_COLS$}  {}",
        line_check(number, line)
    )
}

/// Checks that a listing can be printed and typed faithfully: ASCII only, no tabs, no trailing
/// spaces (invisible on paper), indents in multiples of 4, at most [`CODE_COLS`] columns, and
/// a final newline (the listing cannot show a missing one).
fn check_listing(name: &str, source: &str) -> Result<(), SheetError> {
    if !source.ends_with('\n') {
        return Err(SheetError::DoesNotFit {
            what: format!("{name} without a final newline"),
        });
    }
    for (i, line) in source.lines().enumerate() {
        if let Some(ch) = line.chars().find(|&c| c.is_control() || !c.is_ascii()) {
            return Err(SheetError::Unprintable {
                field: format!("{name} line {}", i + 1),
                ch,
            });
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let why = if line.ends_with(' ') {
            "trailing spaces"
        } else if indent % 4 != 0 {
            "an indent that is not a multiple of 4"
        } else if line.len() > CODE_COLS {
            "longer than 79 columns"
        } else {
            continue;
        };
        return Err(SheetError::DoesNotFit {
            what: format!("{name} line {} ({why})", i + 1),
        });
    }
    Ok(())
}

/// What the booklet measures of itself (reported by `breakglass kit` and the tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: &'static str,
    pub lines: usize,
    pub bytes: usize,
    /// First and last page (1-based) of its listing.
    pub pages: (usize, usize),
}

/// Renders `recovery-kit.pdf` for `paper`.
///
/// # Errors
/// [`SheetError::DoesNotFit`] or [`SheetError::Unprintable`] if a listed file breaks
/// the listing rules (ASCII, at most 79 columns, indents in multiples of 4).
pub fn render_kit(paper: Paper) -> Result<Vec<u8>, SheetError> {
    render_kit_listed(paper).map(|(pdf, _)| pdf)
}

/// [`render_kit`], with where each listing is.
///
/// # Errors
/// As [`render_kit`].
pub fn render_kit_listed(paper: Paper) -> Result<(Vec<u8>, Vec<Listed>), SheetError> {
    let listings = [
        (RECOVER_PAPER_NAME, RECOVER_PAPER_PY),
        (ARGON2ID_NAME, ARGON2ID_PY),
    ];
    for (name, source) in listings.iter().chain([&(LINECHECK_NAME, LINECHECK_PY)]) {
        check_listing(name, source)?;
    }
    // The text before the listings names their pages: lay out until the pages it names are
    // the pages they are on (the second pass agrees unless a number's width moved a line).
    let mut listed: Vec<Listed> = listings
        .iter()
        .map(|(name, source)| Listed {
            name,
            lines: source.lines().count(),
            bytes: source.len(),
            pages: (0, 0),
        })
        .collect();
    for _ in 0..4 {
        let (pages, got) = layout(paper, &listings, &listed);
        if got == listed {
            return finish(paper, pages).map(|pdf| (pdf, got));
        }
        listed = got;
    }
    Err(SheetError::DoesNotFit {
        what: "the listings' page numbers (the layout does not settle)".into(),
    })
}

fn layout(
    paper: Paper,
    listings: &[(&'static str, &str)],
    listed: &[Listed],
) -> (Vec<Vec<printpdf::Op>>, Vec<Listed>) {
    let sha = recover_py_sha256();
    let mut c = Canvas::new(paper);
    title(&mut c);
    checker(&mut c, listed);
    section(&mut c, "WHAT THE SHEETS ARE", WHAT_SHEETS_ARE);
    steps(&mut c, "RECOVER WITH BREAKGLASS", WITH_BREAKGLASS);
    steps(
        &mut c,
        "RECOVER WITH recover.py (PYTHON 3.8 OR NEWER, NOTHING ELSE)",
        &with_python(&sha),
    );
    steps(
        &mut c,
        "RECOVER IN A BROWSER WITH recover.html (WINDOWS, macOS, ANY COMPUTER)",
        &with_browser(&crate::page::recover_html_sha256()),
    );
    section(
        &mut c,
        "BY HAND, IN PRINCIPLE: THE FORMAT IN BRIEF",
        FORMAT_IN_BRIEF,
    );
    section(
        &mut c,
        "HOW A RECOVERY DECIDES (FORMAT.md SECTION 7)",
        RECOVERY_RULES,
    );
    c.new_page();
    steps(
        &mut c,
        "NO COPY OF THE PROGRAM LEFT? TYPE IT FROM THIS BOOKLET",
        &from_paper(listed),
    );
    let mut got = Vec::new();
    for (i, (name, source)) in listings.iter().enumerate() {
        let heading = if i == 0 {
            format!("THE SHORT DECODER {name}")
        } else {
            format!("APPENDIX: {name} (ONLY FOR A VAULT WITH A PASSPHRASE)")
        };
        c.new_page();
        let first = c.page_index() + 1;
        listing(&mut c, &heading, name, source);
        got.push(Listed {
            name,
            lines: source.lines().count(),
            bytes: source.len(),
            pages: (first, c.page_index() + 1),
        });
    }
    (c.finish(), got)
}

fn finish(paper: Paper, mut pages: Vec<Vec<printpdf::Op>>) -> Result<Vec<u8>, SheetError> {
    let sha = recover_py_sha256();
    let total = pages.len();
    for (i, ops) in pages.iter_mut().enumerate() {
        let mut f = Canvas::new(paper);
        let (x, w) = (f.left(), f.width());
        let base = f.bottom() + FOOTER_H;
        let left = format!(
            "breakglass recovery kit, edition {EDITION}  |  not secret  |  recover.py SHA-256 {}...",
            &sha[..16]
        );
        let right = format!("page {} of {total}", i + 1);
        let rw = Face::SansBold.width(&right, 8.0);
        f.line(x, base - 11.0, x + w, base - 11.0, 0.4);
        f.text(x, base, Face::Sans, 7.5, &left);
        f.text(x + w - rw, base, Face::SansBold, 8.0, &right);
        ops.extend(f.finish().into_iter().flatten());
    }
    let id = document_id(&[
        "breakglass-kit-v2",
        EDITION,
        &sha,
        &crate::page::recover_html_sha256(),
        &sha256_hex(RECOVER_PAPER_PY),
        &sha256_hex(ARGON2ID_PY),
        &sha256_hex(LINECHECK_PY),
        paper.name(),
    ]);
    to_pdf(
        "breakglass recovery kit",
        id,
        paper,
        parse_date("edition", EDITION)?,
        pages,
        &[],
    )
}

fn title(c: &mut Canvas) {
    let (x, w) = (c.left(), c.width());
    c.text(
        x,
        c.y + 16.0,
        Face::SansBold,
        20.0,
        "BREAK-GLASS RECOVERY KIT",
    );
    c.y += 27.0;
    let sub = "How to open a breakglass vault from its paper sheets, with breakglass or without it. \
               NOT SECRET: keep a copy with every sheet and with the emergency-access documentation.";
    for line in wrap(sub, Face::Sans, 11.0, w) {
        c.text(x, c.y + 9.0, Face::Sans, 11.0, &line);
        c.y += 14.0;
    }
    // A custodian read past the checker's listing to find their route: say it first.
    let route = "Which route? With the breakglass program: RECOVER WITH BREAKGLASS. With Python 3: RECOVER WITH recover.py. On Windows or a Mac: recover.html in a browser. Only with no program left at all: linecheck.py, below.";
    c.y += 2.0;
    for line in wrap(route, Face::SansBold, 9.5, w) {
        c.text(x, c.y + 9.0, Face::SansBold, 9.5, &line);
        c.y += 12.0;
    }
    c.y += 4.0;
    c.line(x, c.y, x + w, c.y, 1.2);
    c.y += 10.0;
}

/// A heading and paragraphs of running text.
fn section(c: &mut Canvas, heading: &str, paras: &[&str]) {
    c.heading(heading, 24.0);
    let (x, w) = (c.left(), c.width());
    for para in paras {
        for line in wrap(para, Face::Sans, 9.5, w) {
            c.ensure(12.0);
            c.text(x, c.y + 9.0, Face::Sans, 9.5, &line);
            c.y += 12.0;
        }
        c.y += 4.0;
    }
    c.y += 6.0;
}

/// A heading and numbered steps with a hanging indent; a step starting with "$ " is a command,
/// printed in Courier.
fn steps<S: AsRef<str>>(c: &mut Canvas, heading: &str, items: &[S]) {
    c.heading(heading, 30.0);
    let (x, w) = (c.left(), c.width());
    for item in items {
        let item = item.as_ref();
        if let Some(cmd) = item.strip_prefix("$ ") {
            let indent = 18.0;
            for line in wrap(cmd, Face::Mono, 9.0, w - indent) {
                c.ensure(11.5);
                c.text(x + indent, c.y + 9.0, Face::Mono, 9.0, &line);
                c.y += 11.5;
            }
            c.y += 3.0;
            continue;
        }
        let (prefix, rest) = step_prefix(item);
        let indent = Face::Sans.width(prefix, 9.5);
        let lines = wrap(rest, Face::Sans, 9.5, w - indent);
        c.ensure(lines.len() as f32 * 12.0);
        c.text(x, c.y + 9.0, Face::Sans, 9.5, prefix);
        for line in lines {
            c.text(x + indent, c.y + 9.0, Face::Sans, 9.5, &line);
            c.y += 12.0;
        }
        c.y += 3.0;
    }
    c.y += 6.0;
}

/// The line checker in full on the first page, without line numbers (it is read by eye, not
/// checked), with what it is for and its SHA-256: typed first, it checks every other line.
fn checker(c: &mut Canvas, listed: &[Listed]) {
    let x = c.left();
    let lh = LISTING_SIZE * 1.2;
    let lines: Vec<&str> = LINECHECK_PY.lines().collect();
    c.ensure(lines.len() as f32 * lh + 70.0);
    c.heading("NO PROGRAM LEFT? START WITH linecheck.py, BELOW", 30.0);
    let decoder = &listed[0];
    let said = format!(
        "Type these {} lines by hand into a file named {LINECHECK_NAME}, reading them by eye against the page (indents are 4 spaces a level): it then checks every line of the short decoder {} (pages {} to {}) as it is typed, and shows each page's hash. The steps are under \"No copy of the program left?\", just before that listing.",
        lines.len(),
        decoder.name,
        decoder.pages.0,
        decoder.pages.1,
    );
    for line in wrap(&said, Face::Sans, 9.5, c.width()) {
        c.text(x, c.y + 9.0, Face::Sans, 9.5, &line);
        c.y += 12.0;
    }
    c.y += 4.0;
    c.text(
        x,
        c.y + 9.0,
        Face::SansBold,
        9.5,
        &format!(
            "{LINECHECK_NAME} ({} lines; SHA-256 {})",
            lines.len(),
            sha256_hex(LINECHECK_PY)
        ),
    );
    c.y += 16.0;
    for line in lines {
        c.text(x + 18.0, c.y + LISTING_SIZE, Face::Mono, LISTING_SIZE, line);
        c.y += lh;
    }
    c.y += 8.0;
}

/// A numbered listing, [`PAGE_LINES`] rows a page, each page ending with its hash.
fn listing(c: &mut Canvas, heading: &str, name: &str, source: &str) {
    let lines: Vec<&str> = source.lines().collect();
    let x = c.left();
    let lh = LISTING_SIZE * 1.2;
    let pages = lines.len().div_ceil(PAGE_LINES);
    for (p, page) in lines.chunks(PAGE_LINES).enumerate() {
        if p > 0 {
            c.new_page();
        }
        let (a, b) = (p * PAGE_LINES + 1, p * PAGE_LINES + page.len());
        c.heading_note(
            heading,
            &format!(
                "lines {a}-{b} of {}, page {} of {pages}",
                lines.len(),
                p + 1
            ),
            0.0,
        );
        for (i, line) in page.iter().enumerate() {
            c.text(
                x,
                c.y + LISTING_SIZE,
                Face::Mono,
                LISTING_SIZE,
                &listing_row(a + i, line),
            );
            c.y += lh;
        }
        c.y += 6.0;
        let foot = format!(
            "{name} lines {a}-{b}: hash {}  (linecheck.py shows it when line {b} is in{})",
            page_hash(page),
            if b == lines.len() {
                format!("; the whole file's SHA-256 is {}", sha256_hex(source))
            } else {
                String::new()
            }
        );
        for line in wrap(&foot, Face::SansBold, 8.5, c.width()) {
            c.text(x, c.y + 8.5, Face::SansBold, 8.5, &line);
            c.y += 11.0;
        }
    }
}

const WHAT_SHEETS_ARE: &[&str] = &[
    "A breakglass vault holds the credentials of an organisation's emergency (break-glass) administrator accounts: user names, passwords, FIDO2 key PINs, TOTP secrets and notes. The vault is encrypted, and its key is split into n key shares, any k of which rebuild it (Shamir's secret sharing); fewer than k reveal nothing. Each custodian keeps one share sheet, sealed, in a separate place.",
    "Every sheet carries its own share (the BG1-S block and the small QR code: SECRET) and a full copy of the encrypted vault (the BG1-V block and the larger QR codes: not secret alone). All sheets of one set show the same vault fingerprint and generation; a rekey or rotation makes a new generation and retires the old sheets. A vault may also need a passphrase, which is never printed.",
    "This booklet holds no secret. It explains how to recover with breakglass, with recover.py (a single file that needs only Python), and in principle by hand. If no copy of any program survives, it lists a short decoder, recover-paper.py, to type in: every printed line has a check character and every page a hash, and the short linecheck.py on page 1, typed first, checks each line as it is typed.",
];

const WITH_BREAKGLASS: &[&str] = &[
    "1. Bring k sheets of one set together, on an offline computer with breakglass.",
    "2. Scan or photograph them (PNG or JPEG), or use the share-N.txt files, and run:",
    "$ breakglass recover sheet-1.png sheet-2.png",
    "3. If a code will not scan, run breakglass recover with no files and type the BG1 blocks from the paper: each line is checked as it is typed. Give the passphrase when asked.",
    "4. Signing in raises the alerts, as intended: tell the security team why. Afterwards rotate the credentials (breakglass rotate) and seal the new sheets.",
];

fn with_python(sha256: &str) -> Vec<String> {
    vec![
        "1. Get recover.py: from the kit folder (breakglass kit --out DIR writes it) or a copy kept with the documentation. Check it before you run it: on Linux or macOS".into(),
        "$ sha256sum recover.py        (macOS: shasum -a 256 recover.py)".into(),
        "and on Windows".into(),
        "$ certutil -hashfile recover.py SHA256".into(),
        "must print this SHA-256 (certutil prints it without spaces too):".into(),
        format!("$ {sha256}"),
        "2. Which codes are needed: from each of k sheets, its share (the 5-line BG1-S block, or the small QR code: SECRET); from one sheet only, the vault (the BG1-V block, or all of the larger QR codes, its parts: not secret).".into(),
        "3. Reading them: scan only the vault codes with a phone (any QR app), and type each sheet's 5-line share block on the offline computer itself, which takes 2 minutes a sheet. A QR app reads every code it sees: cover the SHARE code (above the vault codes) with a sheet of paper before pointing the phone at the page. Do not scan a share code with a phone: QR apps keep a history, and phones back it up and sync it online. If a phone must read one anyway, put it in flight mode first, delete the code from the app's history afterwards, and count the phone as holding that share until then.".into(),
        "4. Getting the vault text to the offline computer: in the QR app, copy each vault code's text into one note, one code per row (the order does not matter), and move it on a USB stick or as a file; it is not secret, and every line of it is checked, so a transfer that changes it is caught. Or type the vault block from the sheet (every line is checked as it is typed). Never bring the shares through the phone or a network.".into(),
        "5. Run it with the vault text file and - (standard input), and type the share blocks when it asks; with no file, type everything. It checks each line as it is typed and keeps what is right: a typo costs that line only. Share files (share-N.txt) are read directly. recover.py does not read images.".into(),
        "$ python3 recover.py vault.txt -".into(),
        "$ python3 recover.py share-1.txt share-3.txt".into(),
        "6. In its result line and warnings, - means standard input (what was typed or pasted), and - part 2 the second sheet typed there.".into(),
        "7. A passphrase is asked for when the vault needs one (or --passphrase-file FILE). Without the argon2-cffi package the passphrase stretching runs in pure Python: about 6 minutes and 530 MiB of memory at the default 512 MiB cost on a current computer, with a progress line. With argon2-cffi installed it takes a second.".into(),
        "8. It checks every line check, checksum and share commitment, and prints the credentials; --json prints them as breakglass recover --json does. Exit codes: 0 opened, 2 usage or passphrase missing, 3 an input is invalid, 4 shares missing or mismatched, 5 the vault did not open (wrong passphrase or tampering).".into(),
    ]
}

/// The offline page: how to check it and what it reads.
fn with_browser(sha256: &str) -> Vec<String> {
    vec![
        "1. Get recover.html from the kit folder (breakglass kit --out DIR writes it) or a copy kept with the documentation. Check it as above (sha256sum recover.html; on Windows certutil -hashfile recover.html SHA256); it must print:".into(),
        format!("$ {sha256}"),
        "2. Disconnect the computer from the network, then open the file from disk in a current browser (Edge, Chrome, Firefox, Safari): it needs no install, makes no request, stores nothing, and warns when the computer is online.".into(),
        "3. Give it the share files, photos or scans of page 1 of k sheets (PNG or JPEG), or hold page 1 of each sheet up to the camera, or type the blocks: each line is checked as it is typed. It follows the same rules as breakglass and recover.py, asks for the passphrase when the vault needs one, and shows the credentials. Close the browser window when done.".into(),
    ]
}

/// How to type the short decoder in, with the listings' page numbers.
fn from_paper(listed: &[Listed]) -> Vec<String> {
    let pitch = LISTING_SIZE * MONO_ADVANCE;
    let [decoder, argon] = [&listed[0], &listed[1]];
    vec![
        format!(
            "1. Type {LINECHECK_NAME}, printed on page 1, by hand into a file of that name: {} lines, read by eye against the page (indents are 4 spaces a level). It checks the rest.",
            LINECHECK_PY.lines().count()
        ),
        format!(
            "2. Run python3 {LINECHECK_NAME} {} and type the listing of pages {} to {}: each line as printed after its number, then its check character (the last column; the number is not typed). A line with a slip is refused at once (\"line 12 has a typo: type it again\"); - alone takes back the last line. When a page's last line is in, it shows the page's hash: compare it with the one at the page's foot. It goes on where the file ends, so typing can stop and resume. At the end (Ctrl-D; Windows: Ctrl-Z, Enter) it shows the file's SHA-256; sha256sum {} or certutil -hashfile {} SHA256 must show the same.",
            decoder.name, decoder.pages.0, decoder.pages.1, decoder.name, decoder.name
        ),
        format!(
            "3. Only for a vault with a passphrase: type the appendix, {}, the same way (pages {} to {}), into the same folder.",
            argon.name, argon.pages.0, argon.pages.1
        ),
        format!(
            "4. Give it the sheets' text as files (see steps 2 to 4 of recover.py above), - for text typed on standard input:"
        ),
        format!("$ python3 {} vault.txt shares.txt", decoder.name),
        "5. It first checks itself against known answers (the test vectors'): \"SELF-TEST FAILED in ChaCha20\" means a typo in the program there, not a bad sheet. It opens the newest generation whose vault copy has k shares that belong to it, and is more forgiving than recover.py about what it reads (which is safe: nothing is shown unless the vault authenticates), but says less: for the full rules and messages, use recover.py or breakglass.".into(),
        format!(
            "6. With this PDF on a computer instead: pdftotext -layout -fixed {pitch:.2} -f {} -l {} recovery-kit.pdf - | python3 {LINECHECK_NAME} {} gives the file back, each line checked (the pitch of the listing's font in points).",
            decoder.pages.0, decoder.pages.1, decoder.name
        ),
        format!(
            "Typing effort: {} lines and {} characters for {} ({} pages), {} and {} more for {}, and {} lines for {}.",
            decoder.lines,
            decoder.bytes,
            decoder.name,
            decoder.pages.1 + 1 - decoder.pages.0,
            argon.lines,
            argon.bytes,
            argon.name,
            LINECHECK_PY.lines().count(),
            LINECHECK_NAME
        ),
    ]
}

const FORMAT_IN_BRIEF: &[&str] = &[
    "Text form BG1 (section 6). A block is a header line BG1-<S share | V vault>-<number of lines>-<checksum>, then numbered lines. Each line: the line number (2 digits, or as many as the line count needs), 20 characters of Crockford base32 (0-9 A-Z without I L O U; most significant bit first, no padding), then one check character: the polynomial checksum over GF(32) (x^5+x^2+1) of the number and data symbols. The header checksum is the first 4 bytes of SHA-256(\"BG1-\" || S or V || payload), in base32. Spaces, dashes and case are ignored; O reads as 0, I and L as 1. A QR code holds the header and then the lines without spaces; a large vault is split over several codes with the same header.",
    "Share (56 bytes, section 2): version 1, vault id (16), generation (4, big-endian), k, n, index x (1..n), then the 32-byte value y = f(x) of a random polynomial over GF(2^8) (reduction polynomial x^8+x^4+x^3+x^2+1, 0x11D) whose constant term is the 32-byte vault secret. k shares with distinct x give it back by Lagrange interpolation at 0, byte by byte.",
    "Vault (section 3): version 1, vault id (16), generation (4), creation time (8, Unix seconds), drill interval in days (2), k, n, key derivation (0 none, 1 Argon2id followed by memory KiB (4), passes (4), lanes (4) and a 16-byte salt), n share commitments (16 bytes each: the first 16 bytes of SHA-256(\"breakglass v1 share commitment\" || share)), the tenant and each share's location and custodian (length byte then UTF-8), then a 24-byte nonce, the ciphertext length (2) and the ciphertext with its 16-byte tag. Every byte before the nonce is the associated data. All numbers are big-endian.",
    "Key (section 4): K = HKDF-SHA256(salt = vault id, key material = secret, or secret || Argon2id(passphrase, salt, memory, passes, lanes, 32 bytes) version 0x13, info = \"breakglass v1 vault key\", 32 bytes). Open the ciphertext with XChaCha20-Poly1305 under K, the nonce and the associated data. A wrong tag means a wrong passphrase or altered text: nothing is shown.",
    "Contents (section 5): version 1, an entry count (2 bytes), then entries: 1 account (user name, display name, password), 2 FIDO2 key (label, PIN), 3 TOTP (label, otpauth URI), 4 note (label, text); each string is a 2-byte length then UTF-8.",
];

const RECOVERY_RULES: &[&str] = &[
    "Nothing written on a sheet is trusted until a vault copy opens with it: a generation, a passphrase cost, a threshold or a vault id claimed by one sheet counts only once that copy authenticates. So k honest sheets always open the vault, whatever forged or foreign sheets lie among them.",
    "Every distinct vault copy is a candidate. A share counts for a candidate when its vault id, generation and k equal the copy's header and its commitment is the header's entry for its index; a second share with the same index is a duplicate. Candidates with at least k such shares are tried: the cheapest passphrase stretching first (the counts are not authenticated), then most shares, then the copy carried by the most inputs, then input order. Once one has opened, a later copy of the same vault is tried only for a generation that has not opened yet; the newest generation that opened is used and the others are reported, and only then are older sheets retired. Every input not used is named, with why.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kit_renders_on_both_papers_and_is_reproducible() {
        for paper in [Paper::A4, Paper::Letter] {
            let a = render_kit(paper).unwrap();
            assert!(a.starts_with(b"%PDF-"));
            assert_eq!(a, render_kit(paper).unwrap(), "same bytes twice");
        }
        assert_ne!(
            render_kit(Paper::A4).unwrap(),
            render_kit(Paper::Letter).unwrap()
        );
    }

    #[test]
    fn listing_rows_keep_the_line_and_end_with_its_check() {
        let row = listing_row(7, "    x = 1  # two spaces");
        assert!(
            row.starts_with("  7      x = 1  # two spaces   "),
            "{row:?}"
        );
        assert_eq!(row.len(), NUMBER_COLS + 2 + CODE_COLS + 3);
        assert_eq!(
            row.chars().last(),
            Some(line_check(7, "    x = 1  # two spaces"))
        );
    }

    #[test]
    fn the_line_check_catches_every_slip_within_a_block_of_32_and_the_line_number() {
        let line = "    return acc ^ 0x25 if acc & 32 else 0  # the check";
        let want = line_check(12, line);
        assert_ne!(line_check(13, line), want, "the line number counts");
        assert_ne!(line_check(12, &format!(" {line}")), want, "an indent");
        for (i, b) in line.bytes().enumerate() {
            for other in (b & !31)..=(b | 31) {
                if other == b || !(32..127).contains(&other) {
                    continue;
                }
                let mut changed = line.as_bytes().to_vec();
                changed[i] = other;
                let changed = String::from_utf8(changed).unwrap();
                assert_ne!(line_check(12, &changed), want, "{changed:?}");
            }
        }
        // The same arithmetic as the sheets' check character (FORMAT.md §6.3) on digits.
        assert_eq!(
            u8::try_from(line_check(1, "")).unwrap(),
            breakglass_core::text::check_char(b"001")
        );
    }

    #[test]
    fn the_shipped_listings_can_be_typed_faithfully() {
        for (name, source) in [
            (RECOVER_PAPER_NAME, RECOVER_PAPER_PY),
            (ARGON2ID_NAME, ARGON2ID_PY),
            (LINECHECK_NAME, LINECHECK_PY),
        ] {
            check_listing(name, source).unwrap();
        }
        assert!(RECOVER_PAPER_PY.lines().count() <= 400);
        assert!(LINECHECK_PY.contains(&format!(
            "PAGE, TTY = \"{}\", {PAGE_LINES},",
            std::str::from_utf8(ALPHABET).unwrap()
        )));
        assert_eq!(recover_py_sha256().len(), 64);
    }

    #[test]
    fn what_the_paper_cannot_show_is_refused() {
        assert!(matches!(
            check_listing("f", "a\tb\n"),
            Err(SheetError::Unprintable { ch: '\t', .. })
        ));
        for bad in [
            "x = 1 \n",
            "x = 1",
            "   x = 1\n",
            &format!("{}\n", "x".repeat(80)),
        ] {
            assert!(
                matches!(check_listing("f", bad), Err(SheetError::DoesNotFit { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_listing("f", "s = '\u{a7}'\n"),
            Err(SheetError::Unprintable { ch: '\u{a7}', .. })
        ));
    }
}

//! The recovery kit: `recover.py`, a decoder that needs only Python's standard library, and
//! `recovery-kit.pdf`, a booklet (not secret) that explains the sheets, how to recover with
//! and without breakglass, the format in brief, and lists `recover.py` line by line with its
//! SHA-256, so the program can be typed in again if no copy of it survives.
//!
//! The listing must come back byte for byte from the PDF's text: one Courier text run per
//! source line, every line at the same x, no wrapping, so `pdftotext -layout -fixed PITCH`
//! (the pitch is printed in the booklet) gives each line back after its number. Plain
//! `-layout` guesses the width of runs of spaces and gets indentation wrong. Like the sheets,
//! the output is deterministic and this module does no I/O.

use crate::sheet::canvas::{Canvas, FOOTER_H};
use crate::sheet::font::{Face, MIN_FONT, step_prefix, wrap};
use crate::sheet::pdf::{document_id, parse_date, to_pdf};
use crate::sheet::{Paper, SheetError};

/// The decoder, exactly as it is written into the kit and listed in the booklet.
pub const RECOVER_PY: &str = include_str!("../kit/recover.py");

/// File names inside the kit folder.
pub const RECOVER_PY_NAME: &str = "recover.py";
pub const BOOKLET_NAME: &str = "recovery-kit.pdf";

/// The booklet's edition, also its PDF creation date (never the clock): change it with
/// `recover.py`.
const EDITION: &str = "2026-12-01";

/// Columns of the right-aligned line number in the listing, and the gap after it.
const NUMBER_COLS: usize = 4;
const GAP_COLS: usize = 2;
/// Courier advance: 600/1000 em for every character.
const MONO_ADVANCE: f32 = 0.6;
/// Largest listing font size (points); smaller only if the longest line needs it.
const LISTING_MAX_SIZE: f32 = 8.0;

/// SHA-256 of [`RECOVER_PY`], lower-case hex (what `sha256sum recover.py` prints).
pub fn recover_py_sha256() -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(RECOVER_PY.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One listing line as printed: the number right-aligned in [`NUMBER_COLS`] columns, two
/// spaces, then the source line exactly as in the file.
fn listing_row(number: usize, line: &str) -> String {
    format!(
        "{number:>width$}{:gap$}{line}",
        "",
        width = NUMBER_COLS,
        gap = GAP_COLS
    )
}

/// Checks that the listing can be printed faithfully: Latin-1 only (the built-in fonts), no
/// tabs (their width would be the reader's guess), no trailing spaces (invisible on paper),
/// and a final newline (the listing cannot show a missing one).
fn check_listing(source: &str) -> Result<(), SheetError> {
    if !source.ends_with('\n') {
        return Err(SheetError::DoesNotFit {
            what: format!("{RECOVER_PY_NAME} without a final newline"),
        });
    }
    for (i, line) in source.lines().enumerate() {
        if let Some(ch) = line
            .chars()
            .find(|&c| c.is_control() || u32::from(c) > 0xFF)
        {
            return Err(SheetError::Unprintable {
                field: format!("{RECOVER_PY_NAME} line {}", i + 1),
                ch,
            });
        }
        if line.ends_with(' ') {
            return Err(SheetError::DoesNotFit {
                what: format!("{RECOVER_PY_NAME} line {} (trailing spaces)", i + 1),
            });
        }
    }
    Ok(())
}

/// Renders `recovery-kit.pdf` for `paper`.
///
/// # Errors
/// [`SheetError::DoesNotFit`] if the longest source line cannot be printed at
/// `MIN_FONT` (6 pt) or more, [`SheetError::Unprintable`] for a character the built-in fonts lack.
pub fn render_kit(paper: Paper) -> Result<Vec<u8>, SheetError> {
    render_booklet(RECOVER_PY, &recover_py_sha256(), paper)
}

fn render_booklet(source: &str, sha256: &str, paper: Paper) -> Result<Vec<u8>, SheetError> {
    check_listing(source)?;
    let mut c = Canvas::new(paper);
    title(&mut c);
    section(&mut c, "WHAT THE SHEETS ARE", WHAT_SHEETS_ARE);
    steps(&mut c, "RECOVER WITH BREAKGLASS", WITH_BREAKGLASS);
    steps(
        &mut c,
        "RECOVER WITH recover.py (PYTHON 3.8 OR NEWER, NOTHING ELSE)",
        &with_python(sha256),
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
    listing(&mut c, source, sha256)?;

    let total = c.page_index() + 1;
    let mut pages = c.finish();
    for (i, ops) in pages.iter_mut().enumerate() {
        let mut f = Canvas::new(paper);
        let (x, w) = (f.left(), f.width());
        let base = f.bottom() + FOOTER_H;
        let left = format!(
            "breakglass recovery kit, edition {EDITION}  |  not secret  |  recover.py SHA-256 {}...",
            &sha256[..16]
        );
        let right = format!("page {} of {total}", i + 1);
        let rw = Face::SansBold.width(&right, 8.0);
        f.line(x, base - 11.0, x + w, base - 11.0, 0.4);
        f.text(x, base, Face::Sans, 7.5, &left);
        f.text(x + w - rw, base, Face::SansBold, 8.0, &right);
        ops.extend(f.finish().into_iter().flatten());
    }

    let id = document_id(&["breakglass-kit-v1", EDITION, sha256, paper.name()]);
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

/// Font size of the listing: [`LISTING_MAX_SIZE`], or less if the widest numbered row needs it.
fn listing_size(lines: &[&str], width: f32) -> Result<f32, SheetError> {
    let widest = lines
        .iter()
        .enumerate()
        .map(|(i, l)| listing_row(i + 1, l).chars().count())
        .max()
        .unwrap_or(1);
    let size = LISTING_MAX_SIZE.min(width / (widest as f32 * MONO_ADVANCE));
    if size < MIN_FONT {
        return Err(SheetError::DoesNotFit {
            what: format!("the listing of {RECOVER_PY_NAME} ({widest} columns)"),
        });
    }
    Ok(size)
}

/// The numbered listing, one Courier run per line, with the hash and typing notes first.
fn listing(c: &mut Canvas, source: &str, sha256: &str) -> Result<(), SheetError> {
    let lines: Vec<&str> = source.lines().collect();
    let (x, w) = (c.left(), c.width());
    let size = listing_size(&lines, w)?;
    c.heading("THE PROGRAM recover.py, LINE BY LINE", 60.0);
    let notes = [
        format!(
            "{} lines, {} bytes. Type each line exactly as printed after its number (the numbers are not part of the file), indented with spaces as shown (no tabs), and end the file with a newline. The only character outside ASCII is the section sign in comments; any other character may replace it there.",
            lines.len(),
            source.len()
        ),
        "Then check the file: its SHA-256 must be the one below (sha256sum recover.py; or python3 -c \"import hashlib; print(hashlib.sha256(open('recover.py','rb').read()).hexdigest())\"). A typo is found faster by running the program: Python names the line it cannot read.".to_string(),
        format!(
            "To copy the listing out of this PDF instead: pdftotext -layout -fixed {:.2} recovery-kit.pdf (the pitch of the listing's font in points), then drop the first {} columns of every numbered line.",
            size * MONO_ADVANCE,
            NUMBER_COLS + GAP_COLS
        ),
    ];
    for para in &notes {
        for line in wrap(para, Face::Sans, 9.5, w) {
            c.ensure(12.0);
            c.text(x, c.y + 9.0, Face::Sans, 9.5, &line);
            c.y += 12.0;
        }
        c.y += 4.0;
    }
    c.ensure(30.0);
    c.text(x, c.y + 9.0, Face::SansBold, 9.5, "SHA-256 of recover.py:");
    c.y += 13.0;
    c.text(x, c.y + 9.0, Face::MonoBold, 9.5, sha256);
    c.y += 18.0;

    let lh = size * 1.2;
    for (i, line) in lines.iter().enumerate() {
        c.ensure(lh);
        c.text(x, c.y + size, Face::Mono, size, &listing_row(i + 1, line));
        c.y += lh;
    }
    Ok(())
}

const WHAT_SHEETS_ARE: &[&str] = &[
    "A breakglass vault holds the credentials of an organisation's emergency (break-glass) administrator accounts: user names, passwords, FIDO2 key PINs, TOTP secrets and notes. The vault is encrypted, and its key is split into n key shares, any k of which rebuild it (Shamir's secret sharing); fewer than k reveal nothing. Each custodian keeps one share sheet, sealed, in a separate place.",
    "Every sheet carries its own share (the BG1-S block and the small QR code: SECRET) and a full copy of the encrypted vault (the BG1-V block and the larger QR codes: not secret alone). All sheets of one set show the same vault fingerprint and generation; a rekey or rotation makes a new generation and retires the old sheets. A vault may also need a passphrase, which is never printed.",
    "This booklet holds no secret. It explains how to recover with breakglass, with recover.py (a single file that needs only Python), and in principle by hand; then it lists recover.py in full, so it can be typed in if no copy of it survives.",
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
        "1. Get recover.py: from the kit folder (breakglass kit --out DIR writes it), from a copy kept with the documentation, or type it in from the listing in this booklet. Check its SHA-256 first:".into(),
        format!("$ {sha256}"),
        "2. Give it the sheets as text. Share files (share-N.txt) are read directly. From paper: read each QR code with any phone or QR app and save or paste its text (one code per line; the order does not matter), or type the BG1 blocks as printed (spaces, dashes and case are optional). recover.py does not read images.".into(),
        "$ python3 recover.py share-1.txt share-3.txt".into(),
        "$ python3 recover.py < typed.txt".into(),
        "3. A passphrase is asked for when the vault needs one (or --passphrase-file FILE). Without the argon2-cffi package the passphrase stretching runs in pure Python: about 6 minutes and 530 MiB of memory at the default 512 MiB cost on a current computer, with a progress line. With argon2-cffi installed it takes a second.".into(),
        "4. It checks every line check, checksum and share commitment, and prints the credentials; --json prints them as breakglass recover --json does. Exit codes: 0 opened, 2 usage or passphrase missing, 3 an input is invalid, 4 shares missing or mismatched, 5 the vault did not open (wrong passphrase or tampering).".into(),
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
    "Every distinct vault copy is a candidate. A share counts for a candidate when its vault id, generation and k equal the copy's header and its commitment is the header's entry for its index; a second share with the same index is a duplicate. Candidates with at least k such shares are tried: most shares first, then the copy carried by the most inputs, then the cheapest passphrase stretching, then input order. The first that opens is used; a later copy of the same vault opens in its place only if it claims a newer generation, and only then are the older sheets retired. Every input not used is named, with why.",
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
    fn listing_rows_keep_the_line_exactly() {
        assert_eq!(
            listing_row(7, "    x = 1  # two spaces"),
            "   7      x = 1  # two spaces"
        );
        assert_eq!(listing_row(1234, ""), "1234  ");
    }

    #[test]
    fn the_shipped_recover_py_can_be_listed_faithfully() {
        check_listing(RECOVER_PY).unwrap();
        assert!(RECOVER_PY.starts_with("#!/usr/bin/env python3\n"));
        assert_eq!(recover_py_sha256().len(), 64);
    }

    #[test]
    fn what_the_paper_cannot_show_is_refused() {
        assert!(matches!(
            check_listing("a\tb\n"),
            Err(SheetError::Unprintable { ch: '\t', .. })
        ));
        assert!(matches!(
            check_listing("x = 1 \n"),
            Err(SheetError::DoesNotFit { .. })
        ));
        assert!(matches!(
            check_listing("x = 1"),
            Err(SheetError::DoesNotFit { .. })
        ));
        assert!(matches!(
            check_listing("s = '\u{2014}'\n"),
            Err(SheetError::Unprintable { ch: '\u{2014}', .. })
        ));
        let long = format!("{}\n", "x".repeat(200));
        assert!(matches!(
            render_booklet(&long, &"0".repeat(64), Paper::A4),
            Err(SheetError::DoesNotFit { .. })
        ));
    }
}

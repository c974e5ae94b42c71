//! Share-sheet rendering: a plain [`ShareSheet`] in, PDF bytes out.
//!
//! The sheet is what a stranger finds in a safe years later, so it carries its own
//! instructions, both QR codes and a typed fallback. Design choices, and why:
//!
//! - QR codes are vector rectangles (one path per code, one sub-rectangle per run of dark
//!   modules merged across rows), not images: the file stays small, prints sharply at any
//!   resolution, and a single filled path leaves no anti-aliasing seams between rows.
//! - Every QR payload is encoded as one explicit *alphanumeric* segment at level Q, so the
//!   mode never depends on an optimiser and the payload scans back as the exact text.
//! - Only the PDF built-in fonts (Helvetica, Courier) are used: nothing is embedded, so the
//!   output is small and identical across machines. They print WinAnsi (Latin-1) only, so
//!   any other character is an error instead of a silent "?".
//! - Output is deterministic: no clock, the creation date comes from `created`, and the
//!   trailer `/ID` (which printpdf fills from a per-process counter) is replaced by a hash
//!   of the sheet's *non-secret* identity fields.
//! - No file I/O here: the caller decides where (and whether) bytes are written.

use printpdf::{
    BuiltinFont, Color, CurTransMat, DictItem, Greyscale, Line, LinePoint, Op, PaintMode,
    PdfDocument, PdfFontHandle, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, Rect,
    TextItem,
};
use qrcode::bits::Bits;
use qrcode::{EcLevel, QrCode, Version};

/// Paper size; both are rendered true to size (no scaling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// ISO A4, 210 x 297 mm.
    A4,
    /// US Letter, 8.5 x 11 in.
    Letter,
}

impl Paper {
    /// Page size in PDF points (1/72 in).
    fn size_pt(self) -> (f32, f32) {
        match self {
            Paper::A4 => (210.0 * MM, 297.0 * MM),
            Paper::Letter => (612.0, 792.0),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Paper::A4 => "A4",
            Paper::Letter => "Letter",
        }
    }
}

/// Everything printed on one share sheet; all strings already formatted by the core.
/// Nothing secret except the share itself (`share_qr`, `share_lines`).
///
/// Deliberately no `Debug`: a stray `{:?}` in a log must not print the share.
#[derive(Clone)]
pub struct ShareSheet {
    /// e.g. "BREAK-GLASS KEY SHARE 2 of 3".
    pub title: String,
    /// e.g. "any 2 shares recover the emergency credentials of contoso.onmicrosoft.com".
    pub subtitle: String,
    /// Long vault id, e.g. "7K3M-Q2XA-9ZKM-D2XA-P5N8-H3JT-6R".
    pub vault_id: String,
    /// Short fingerprint, printed big, e.g. "7K3M-Q2XA".
    pub fingerprint: String,
    pub generation: u32,
    /// "YYYY-MM-DD", from the vault (never the clock); also the PDF creation date.
    pub created: String,
    pub next_drill_due: String,
    pub location: String,
    /// May be empty: a blank line is printed to fill in by hand.
    pub custodian: String,
    /// Share QR payload, QR-alphanumeric text (A-Z 0-9 space $%*+-./:).
    pub share_qr: String,
    /// Typed fallback of the share, printed in Courier exactly as given.
    pub share_lines: Vec<String>,
    /// QR payloads holding the vault envelope (not secret), alphanumeric; 1..=4 fit page 1,
    /// more continue on the following pages.
    pub vault_qr: Vec<String>,
    /// Typed fallback of the vault: header + lines, printed in Courier exactly as given.
    pub vault_lines: Vec<String>,
    /// Recovery steps, printed as given; a leading "1. " gets a hanging indent.
    pub instructions: Vec<String>,
    /// A few lines summarising the format, with a pointer to the recovery kit.
    pub format_summary: Vec<String>,
    /// e.g. "breakglass recover share-1.png share-3.png".
    pub recover_command: String,
}

/// Why a sheet could not be rendered. Never carries secret payload text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    /// The payload does not fit one QR code of at most version 25 at level Q.
    #[error(
        "{field}: QR payload of {len} characters is too large for one QR code (at most {max} at error-correction level Q)"
    )]
    QrTooLarge {
        field: String,
        len: usize,
        max: usize,
    },
    /// QR payloads must stay in alphanumeric mode so every scanner returns the same text.
    #[error(
        "{field}: character {ch:?} at position {pos} is outside the QR alphanumeric set (A-Z 0-9 space $%*+-./:)"
    )]
    QrNotAlphanumeric { field: String, ch: char, pos: usize },
    #[error("{field}: QR payload is empty")]
    QrEmpty { field: String },
    /// The built-in PDF fonts print WinAnsi (Latin-1) only; anything else would print "?".
    #[error(
        "{field}: character {ch:?} cannot be printed with the built-in PDF fonts (Latin-1 only)"
    )]
    Unprintable { field: String, ch: char },
    #[error("vault_qr: {count} parts given, 1 to {MAX_VAULT_PARTS} supported")]
    VaultPartCount { count: usize },
    /// The pre-encoded vault codes belong to other payloads than this sheet's.
    #[error("vault_qr: the pre-encoded vault codes are not this sheet's vault")]
    VaultCodesMismatch,
    #[error("{field}: {value:?} is not a date of the form YYYY-MM-DD")]
    InvalidDate { field: String, value: String },
    /// Text or codes too large for the page even after shrinking to the minimum size.
    #[error("{what} does not fit on the page")]
    DoesNotFit { what: String },
    #[error("{field}: QR encoding failed: {reason}")]
    Qr { field: String, reason: String },
    #[error("PDF serialisation failed: {0}")]
    Pdf(String),
}

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
/// Page margin on all sides (the brief asks for at least 12 mm).
const MARGIN: f32 = 15.0 * MM;
/// Height reserved above the bottom margin for the page footer.
pub(crate) const FOOTER_H: f32 = 16.0;
/// Error-correction level of every code: survives ~25 % damage (stains, folds).
const EC: EcLevel = EcLevel::Q;
/// Quiet zone in modules, as the QR standard requires.
const QUIET: usize = 4;
/// Smallest module we accept: ~3 pixels at a 150-dpi scan.
const MIN_MODULE: f32 = 0.5 * MM;
/// Share-code module size and typed-share font size, tried in turn: as big as possible,
/// smaller only when the vault codes would otherwise not fit on page 1.
const SHARE_SIZES: [(f32, f32); 3] = [(0.85 * MM, 11.5), (0.7 * MM, 10.0), (0.6 * MM, 9.0)];
/// Largest vault-code module: bigger only pushes the instructions to a third page.
const VAULT_MAX_MODULE: f32 = 0.75 * MM;
/// Largest QR version accepted (105 modules, 823 alphanumeric chars at Q): four such
/// codes still fit page 1 of a Letter sheet at the minimum module size.
const MAX_QR_VERSION: i16 = 22;
/// Up to this many sheets the recovery command names each scan; above, a folder of scans.
const FEW_SHEETS: u8 = 5;
/// Most vault parts a sheet prints: a 12,288-byte envelope (FORMAT.md §3) is 984 lines,
/// `breakglass_core::MAX_VAULT_QR_PARTS` parts of at most 32 lines (§6.4); the rest is headroom.
const MAX_VAULT_PARTS: usize = 64;
/// Smallest font size we shrink text to before giving up.
pub(crate) const MIN_FONT: f32 = 6.0;

/// Render one share sheet to PDF bytes in memory (never writes files).
/// Same input gives the same bytes, also when called repeatedly in one process.
///
/// # Errors
/// [`SheetError`] for text the fonts cannot print, a payload outside the QR alphanumeric set
/// or too large for one code, a bad date, or a layout that does not fit the paper.
pub fn render_share_sheet(sheet: &ShareSheet, paper: Paper) -> Result<Vec<u8>, SheetError> {
    let codes = VaultCodes::encode(&sheet.vault_qr)?;
    render_share_sheet_with(sheet, paper, &codes)
}

/// The vault's QR codes, encoded once and drawn on every sheet of a ceremony: they are the
/// same on every sheet, and encoding (mask selection above all) is most of a sheet's cost.
pub struct VaultCodes {
    payloads: Vec<String>,
    codes: Vec<DrawnCode>,
}

impl VaultCodes {
    /// Encodes each payload as one alphanumeric QR code at level Q.
    ///
    /// # Errors
    /// [`SheetError::VaultPartCount`] for no payload, [`SheetError::QrTooLarge`],
    /// [`SheetError::QrNotAlphanumeric`] or [`SheetError::QrEmpty`] for a bad one.
    pub fn encode<S: AsRef<str>>(payloads: &[S]) -> Result<Self, SheetError> {
        if payloads.is_empty() || payloads.len() > MAX_VAULT_PARTS {
            return Err(SheetError::VaultPartCount {
                count: payloads.len(),
            });
        }
        let codes = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                encode_qr(&format!("vault_qr[{i}]"), p.as_ref()).map(|c| DrawnCode::new(&c))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            payloads: payloads.iter().map(|p| p.as_ref().to_string()).collect(),
            codes,
        })
    }
}

/// [`render_share_sheet`] with the vault codes already encoded by [`VaultCodes::encode`].
///
/// # Errors
/// As [`render_share_sheet`]; [`SheetError::VaultCodesMismatch`] when `codes` were encoded
/// from other payloads than the sheet's `vault_qr`.
pub fn render_share_sheet_with(
    sheet: &ShareSheet,
    paper: Paper,
    codes: &VaultCodes,
) -> Result<Vec<u8>, SheetError> {
    validate_text(sheet)?;
    let created = parse_date("created", &sheet.created)?;
    if sheet.vault_qr.is_empty() || sheet.vault_qr.len() > MAX_VAULT_PARTS {
        return Err(SheetError::VaultPartCount {
            count: sheet.vault_qr.len(),
        });
    }
    if sheet.vault_qr != codes.payloads {
        return Err(SheetError::VaultCodesMismatch);
    }
    let share_code = DrawnCode::new(&encode_qr("share_qr", &sheet.share_qr)?);
    let pages = layout(sheet, paper, &share_code, &codes.codes)?;
    to_pdf(
        &sheet.title,
        document_id(sheet, paper),
        paper,
        created,
        pages,
    )
}

/// One credential on the enrollment sheet: a heading and its (secret) lines.
pub struct EnrollmentItem {
    pub heading: String,
    pub lines: Vec<String>,
}

impl Drop for EnrollmentItem {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for l in &mut self.lines {
            l.zeroize();
        }
    }
}

/// The optional enrollment sheet: the new credentials printed for entering into Entra ID and
/// onto security keys, marked on every page to be destroyed afterwards. Made only on request.
///
/// # Errors
/// [`SheetError`] for text the built-in fonts cannot print, or a bad date.
pub fn render_enrollment_sheet(
    tenant: &str,
    created: &str,
    items: &[EnrollmentItem],
    paper: Paper,
) -> Result<Vec<u8>, SheetError> {
    let date = parse_date("created", created)?;
    check_printable("tenant", tenant)?;
    for (i, it) in items.iter().enumerate() {
        check_printable(&format!("items[{i}].heading"), &it.heading)?;
        for (j, l) in it.lines.iter().enumerate() {
            check_printable(&format!("items[{i}].lines[{j}]"), l)?;
        }
    }
    const BANNER: &str = "DESTROY AFTER ENROLLMENT";
    let mut c = Canvas::new(paper);
    let (x, w) = (c.left(), c.width());
    let banner = |c: &mut Canvas| {
        let size = 20.0;
        let bw = Face::SansBold.width(BANNER, size);
        let top = c.y;
        c.stroke_rect(x, top, w, 34.0, 2.0);
        c.text(x + (w - bw) / 2.0, top + 24.0, Face::SansBold, size, BANNER);
        c.y = top + 44.0;
    };
    banner(&mut c);
    let title = format!("Break-glass credentials to enroll: {tenant}");
    let tsize = fit_size("title", Face::SansBold, &title, 14.0, w)?;
    c.text(x, c.y + 12.0, Face::SansBold, tsize, &title);
    c.y += 18.0;
    let note = format!(
        "Made {created}. Enter each credential into Entra ID or onto its security key, then shred this sheet. It is not needed for recovery."
    );
    for l in wrap(&note, Face::Sans, 9.0, w) {
        c.text(x, c.y + 9.0, Face::Sans, 9.0, &l);
        c.y += 12.0;
    }
    c.y += 8.0;
    for it in items {
        let need = 16.0 + 12.0 * it.lines.len() as f32;
        if need > c.room() && c.y > MARGIN {
            c.new_page();
            banner(&mut c);
        }
        c.text(x, c.y + 11.0, Face::SansBold, 11.0, &it.heading);
        c.y += 16.0;
        for l in &it.lines {
            let size = fit_size("line", Face::Mono, l, 10.0, w - 12.0)?;
            c.text(x + 12.0, c.y + 10.0, Face::Mono, size, l);
            c.y += 12.0;
        }
        c.y += 8.0;
    }
    let mut pages = c.finish();
    let total = pages.len();
    for (i, ops) in pages.iter_mut().enumerate() {
        let mut f = Canvas::new(paper);
        let base = f.h - MARGIN;
        let text = format!("{BANNER}  |  page {} of {total}", i + 1);
        f.line(x, base - 11.0, x + w, base - 11.0, 0.4);
        f.text(x, base, Face::SansBold, 8.0, &text);
        ops.extend(std::mem::take(&mut f.ops));
    }
    let id = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"breakglass-enrollment-v1\0");
        h.update(tenant.as_bytes());
        h.update([0]);
        h.update(created.as_bytes());
        h.finalize()[..16].try_into().expect("16 of 32 bytes")
    };
    to_pdf(&title, id, paper, date, pages)
}

// ---------------------------------------------------------------------------------------
// Validation

/// Characters the built-in fonts can print: WinAnsiEncoding, as printpdf encodes it.
fn printable(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0xA0..=0xFF)
        || matches!(
            c,
            '\u{20AC}'
                | '\u{201A}'
                | '\u{0192}'
                | '\u{201E}'
                | '\u{2026}'
                | '\u{2020}'
                | '\u{2021}'
                | '\u{02C6}'
                | '\u{2030}'
                | '\u{0160}'
                | '\u{2039}'
                | '\u{0152}'
                | '\u{017D}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201C}'
                | '\u{201D}'
                | '\u{2022}'
                | '\u{2013}'
                | '\u{2014}'
                | '\u{02DC}'
                | '\u{2122}'
                | '\u{0161}'
                | '\u{203A}'
                | '\u{0153}'
                | '\u{017E}'
                | '\u{0178}'
        )
}

fn check_printable(field: &str, s: &str) -> Result<(), SheetError> {
    match s.chars().find(|&c| !printable(c)) {
        Some(ch) => Err(SheetError::Unprintable {
            field: field.to_string(),
            ch,
        }),
        None => Ok(()),
    }
}

fn validate_text(s: &ShareSheet) -> Result<(), SheetError> {
    let singles = [
        ("title", &s.title),
        ("subtitle", &s.subtitle),
        ("vault_id", &s.vault_id),
        ("fingerprint", &s.fingerprint),
        ("created", &s.created),
        ("next_drill_due", &s.next_drill_due),
        ("location", &s.location),
        ("custodian", &s.custodian),
        ("recover_command", &s.recover_command),
    ];
    for (field, value) in singles {
        check_printable(field, value)?;
    }
    let lists = [
        ("share_lines", &s.share_lines),
        ("vault_lines", &s.vault_lines),
        ("instructions", &s.instructions),
        ("format_summary", &s.format_summary),
    ];
    for (field, lines) in lists {
        for (i, line) in lines.iter().enumerate() {
            check_printable(&format!("{field}[{i}]"), line)?;
        }
    }
    Ok(())
}

/// `YYYY-MM-DD` to a PDF date at midnight UTC; the only date the PDF metadata carries.
pub(crate) fn parse_date(field: &str, s: &str) -> Result<printpdf::date::DateTime, SheetError> {
    let bad = || SheetError::InvalidDate {
        field: field.to_string(),
        value: s.to_string(),
    };
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, SheetError> {
        let part = &s[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    use printpdf::date::{Date, DateTime, Offset, Time};
    Ok(DateTime {
        date: Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        },
        time: Time {
            hour: 0,
            minute: 0,
            second: 0,
            millisecond: 0,
        },
        offset: Offset {
            hours: 0,
            minutes: 0,
            seconds: 0,
            milliseconds: 0,
        },
    })
}

// ---------------------------------------------------------------------------------------
// QR codes

fn is_qr_alphanumeric(c: char) -> bool {
    matches!(c, '0'..='9' | 'A'..='Z' | ' ' | '$' | '%' | '*' | '+' | '-' | '.' | '/' | ':')
}

/// The payload as one alphanumeric segment in a code of `version`, or `None` if too long.
fn alphanumeric_bits(payload: &str, version: i16) -> Option<Bits> {
    let mut bits = Bits::new(Version::Normal(version));
    bits.push_alphanumeric_data(payload.as_bytes()).ok()?;
    bits.push_terminator(EC).ok()?;
    Some(bits)
}

/// Most alphanumeric characters one code of `version` holds at level Q.
fn alphanumeric_capacity(version: i16) -> usize {
    let data_bits = Bits::new(Version::Normal(version)).max_len(EC).unwrap_or(0);
    let count_bits = match version {
        1..=9 => 9,
        10..=26 => 11,
        _ => 13,
    };
    let avail = data_bits.saturating_sub(4 + count_bits);
    2 * (avail / 11) + usize::from(avail % 11 >= 6)
}

/// Encode in the smallest version that holds the payload as one alphanumeric segment.
fn encode_qr(field: &str, payload: &str) -> Result<QrCode, SheetError> {
    if payload.is_empty() {
        return Err(SheetError::QrEmpty {
            field: field.to_string(),
        });
    }
    if let Some((pos, ch)) = payload
        .chars()
        .enumerate()
        .find(|&(_, c)| !is_qr_alphanumeric(c))
    {
        return Err(SheetError::QrNotAlphanumeric {
            field: field.to_string(),
            ch,
            pos,
        });
    }
    let too_large = || SheetError::QrTooLarge {
        field: field.to_string(),
        len: payload.len(),
        max: alphanumeric_capacity(MAX_QR_VERSION),
    };
    if payload.len() > alphanumeric_capacity(MAX_QR_VERSION) {
        return Err(too_large());
    }
    let bits = (1..=MAX_QR_VERSION)
        .find_map(|v| alphanumeric_bits(payload, v))
        .ok_or_else(too_large)?;
    QrCode::with_bits(bits, EC).map_err(|e| SheetError::Qr {
        field: field.to_string(),
        reason: e.to_string(),
    })
}

/// Dark modules as rectangles `[x0, y0, x1, y1)` in module units: horizontal runs,
/// merged with identical runs in the rows below (fewer, larger rectangles).
fn dark_rects(code: &QrCode) -> Vec<[usize; 4]> {
    let n = code.width();
    let colors = code.to_colors();
    let mut done = Vec::new();
    let mut open: Vec<(usize, usize, usize)> = Vec::new(); // (x0, x1, y0)
    for y in 0..=n {
        let mut runs = Vec::new();
        if y < n {
            let row = &colors[y * n..(y + 1) * n];
            let mut x = 0;
            while x < n {
                if row[x] == qrcode::Color::Dark {
                    let start = x;
                    while x < n && row[x] == qrcode::Color::Dark {
                        x += 1;
                    }
                    runs.push((start, x));
                } else {
                    x += 1;
                }
            }
        }
        let mut next = Vec::with_capacity(runs.len());
        for (x0, x1) in runs {
            match open.iter().position(|o| o.0 == x0 && o.1 == x1) {
                Some(i) => next.push(open.remove(i)),
                None => next.push((x0, x1, y)),
            }
        }
        done.extend(open.drain(..).map(|(x0, x1, y0)| [x0, y0, x1, y]));
        open = next;
    }
    done
}

/// A code reduced to what the page needs: its size and the dark rectangles.
struct DrawnCode {
    /// Side including the quiet zone, in modules.
    span: usize,
    rects: Vec<[usize; 4]>,
}

impl DrawnCode {
    fn new(code: &QrCode) -> Self {
        Self {
            span: code.width() + 2 * QUIET,
            rects: dark_rects(code),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Fonts and text measurement

#[derive(Clone, Copy)]
pub(crate) enum Face {
    Sans,
    SansBold,
    Mono,
    MonoBold,
}

/// Helvetica advance widths (1/1000 em) for WinAnsi 0x20..=0x7E (Adobe AFM metrics).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Helvetica-Bold advance widths (1/1000 em) for WinAnsi 0x20..=0x7E.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

impl Face {
    fn builtin(self) -> BuiltinFont {
        match self {
            Face::Sans => BuiltinFont::Helvetica,
            Face::SansBold => BuiltinFont::HelveticaBold,
            Face::Mono => BuiltinFont::Courier,
            Face::MonoBold => BuiltinFont::CourierBold,
        }
    }

    /// Advance of `c` in 1/1000 em; non-ASCII Latin letters are over-estimated a little,
    /// which only makes wrapping slightly conservative.
    fn advance(self, c: char) -> f32 {
        let table = match self {
            Face::Mono | Face::MonoBold => return 600.0,
            Face::Sans => &HELVETICA,
            Face::SansBold => &HELVETICA_BOLD,
        };
        match c {
            ' '..='~' => f32::from(table[c as usize - 0x20]),
            '\u{2014}' => 1000.0,
            '\u{2013}' => 556.0,
            _ => 722.0,
        }
    }

    pub(crate) fn width(self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.advance(c)).sum::<f32>() * size / 1000.0
    }
}

/// Largest size up to `max` at which `s` fits `width`; error below [`MIN_FONT`].
fn fit_size(what: &str, face: Face, s: &str, max: f32, width: f32) -> Result<f32, SheetError> {
    let natural = face.width(s, max);
    let size = if natural <= width {
        max
    } else {
        max * width / natural
    };
    if size < MIN_FONT {
        return Err(SheetError::DoesNotFit {
            what: what.to_string(),
        });
    }
    Ok(size)
}

/// Greedy word wrap; a word longer than the line is broken between characters.
pub(crate) fn wrap(s: &str, face: Face, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if face.width(&candidate, size) <= width {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        for c in word.chars() {
            cur.push(c);
            if face.width(&cur, size) > width && cur.chars().count() > 1 {
                cur.pop();
                lines.push(std::mem::take(&mut cur));
                cur.push(c);
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Splits "3. Do this" into ("3. ", "Do this") so wrapped lines hang under the text.
pub(crate) fn step_prefix(s: &str) -> (&str, &str) {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let b = s.as_bytes();
    if digits > 0
        && digits + 1 < b.len()
        && matches!(b[digits], b'.' | b')')
        && b[digits + 1] == b' '
    {
        let rest = s[digits + 2..].trim_start();
        (&s[..s.len() - rest.len()], rest)
    } else {
        ("", s)
    }
}

// ---------------------------------------------------------------------------------------
// Page canvas: top-down cursor over printpdf's bottom-left coordinates

pub(crate) struct Canvas {
    w: f32,
    h: f32,
    done: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Distance of the next free position from the top edge, in points.
    pub(crate) y: f32,
}

impl Canvas {
    pub(crate) fn new(paper: Paper) -> Self {
        let (w, h) = paper.size_pt();
        Canvas {
            w,
            h,
            done: Vec::new(),
            ops: Vec::new(),
            y: MARGIN,
        }
    }

    pub(crate) fn left(&self) -> f32 {
        MARGIN
    }

    pub(crate) fn width(&self) -> f32 {
        self.w - 2.0 * MARGIN
    }

    pub(crate) fn bottom(&self) -> f32 {
        self.h - MARGIN - FOOTER_H
    }

    fn room(&self) -> f32 {
        self.bottom() - self.y
    }

    pub(crate) fn page_index(&self) -> usize {
        self.done.len()
    }

    pub(crate) fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.ops));
        self.y = MARGIN;
    }

    /// Start a new page unless `need` points still fit on this one.
    pub(crate) fn ensure(&mut self, need: f32) {
        if need > self.room() && self.y > MARGIN {
            self.new_page();
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Vec<Op>> {
        self.done.push(std::mem::take(&mut self.ops));
        self.done
    }

    /// Text with its baseline `baseline` points below the top edge.
    pub(crate) fn text(&mut self, x: f32, baseline: f32, face: Face, size: f32, s: &str) {
        if s.is_empty() {
            return;
        }
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::Builtin(face.builtin()),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(x),
                    y: Pt(self.h - baseline),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(s.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32) {
        let point = |x: f32, y: f32| LinePoint {
            p: Point {
                x: Pt(x),
                y: Pt(self.h - y),
            },
            bezier: false,
        };
        self.ops.extend([
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(x1, y1), point(x2, y2)],
                    is_closed: false,
                },
            },
        ]);
    }

    fn stroke_rect(&mut self, x: f32, top: f32, w: f32, h: f32, thickness: f32) {
        let mut rect = Rect::from_xywh(Pt(x), Pt(self.h - top - h), Pt(w), Pt(h));
        rect.mode = Some(PaintMode::Stroke);
        self.ops.extend([
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawRectangle { rectangle: rect },
        ]);
    }

    /// A QR code whose quiet zone's top-left corner is at (`x`, `top`). Drawn in module
    /// units under a scaling matrix as one path of `re` sub-paths with a single fill:
    /// integer coordinates keep the stream small, and one fill leaves no anti-aliasing
    /// seams where rectangles touch. printpdf has no "append rectangle to path" op
    /// (its `Rect` always paints or ends the path), so `re`/`f` go in as raw operators.
    fn qr(&mut self, x: f32, top: f32, module: f32, code: &DrawnCode) {
        let q = QUIET as f32 * module;
        let int = |v: usize| DictItem::Int(v as i64);
        self.ops.extend([
            Op::SaveGraphicsState,
            Op::SetFillColor { col: black() },
            Op::SetTransformationMatrix {
                matrix: CurTransMat::Raw([module, 0.0, 0.0, -module, x + q, self.h - top - q]),
            },
        ]);
        self.ops
            .extend(code.rects.iter().map(|&[x0, y0, x1, y1]| Op::Unknown {
                key: "re".into(),
                value: vec![int(x0), int(y0), int(x1 - x0), int(y1 - y0)],
            }));
        self.ops.extend([
            Op::Unknown {
                key: "f".into(),
                value: Vec::new(),
            },
            Op::RestoreGraphicsState,
        ]);
    }

    /// Section heading with a rule under it; keeps `keep` points of content with it.
    pub(crate) fn heading(&mut self, s: &str, keep: f32) {
        self.heading_note(s, "", keep);
    }

    /// Heading with a smaller note right-aligned on the same line (saves a line).
    fn heading_note(&mut self, s: &str, note: &str, keep: f32) {
        self.ensure(22.0 + keep);
        let (x, w) = (self.left(), self.width());
        self.text(x, self.y + 11.0, Face::SansBold, 12.0, s);
        if !note.is_empty() {
            let room = w - Face::SansBold.width(s, 12.0) - 12.0;
            let size = 9.0_f32.min(9.0 * room / Face::SansBold.width(note, 9.0));
            let nw = Face::SansBold.width(note, size);
            self.text(x + w - nw, self.y + 11.0, Face::SansBold, size, note);
        }
        self.line(x, self.y + 15.5, x + w, self.y + 15.5, 0.6);
        self.y += 22.0;
    }
}

fn black() -> Color {
    Color::Greyscale(Greyscale {
        percent: 0.0,
        icc_profile: None,
    })
}

// ---------------------------------------------------------------------------------------
// Layout

fn layout(
    s: &ShareSheet,
    paper: Paper,
    share_code: &DrawnCode,
    vault_codes: &[DrawnCode],
) -> Result<Vec<Vec<Op>>, SheetError> {
    let (mut c, code_pages) = first_pages(s, paper, share_code, vault_codes)?;
    let instructions_page = instructions(&mut c, s, code_pages, vault_codes.len())?;
    vault_typed(&mut c, s)?;
    drill_log(&mut c);
    let total = c.page_index() + 1;
    let mut pages = c.finish();
    for (i, ops) in pages.iter_mut().enumerate() {
        footer(ops, s, paper, i, total, instructions_page, code_pages)?;
    }
    Ok(pages)
}

/// Page 1 carries header, share code and, when they fit, all vault codes; a larger vault's
/// codes continue on the pages after it. Returns the canvas and how many pages hold codes.
fn first_pages(
    s: &ShareSheet,
    paper: Paper,
    share_code: &DrawnCode,
    vault_codes: &[DrawnCode],
) -> Result<(Canvas, usize), SheetError> {
    for (module, font) in SHARE_SIZES {
        let mut c = Canvas::new(paper);
        header(&mut c, s)?;
        share_section(&mut c, s, share_code, module, font)?;
        if vault_codes_section(&mut c, vault_codes).is_ok() {
            return Ok((c, 1));
        }
    }
    let (module, font) = SHARE_SIZES[0];
    let mut c = Canvas::new(paper);
    header(&mut c, s)?;
    share_section(&mut c, s, share_code, module, font)?;
    let pages = vault_codes_flow(&mut c, vault_codes)?;
    Ok((c, pages))
}

fn header(c: &mut Canvas, s: &ShareSheet) -> Result<(), SheetError> {
    let (x, w) = (c.left(), c.width());
    let size = fit_size("title", Face::SansBold, &s.title, 20.0, w)?;
    c.text(x, c.y + size * 0.75, Face::SansBold, size, &s.title);
    c.y += size + 7.0;
    for line in wrap(&s.subtitle, Face::Sans, 11.0, w) {
        c.text(x, c.y + 9.0, Face::Sans, 11.0, &line);
        c.y += 14.0;
    }
    let warning = "SECRET. Keep sealed in its tamper-evident bag. Do not photograph, scan or copy \
                   it except to recover.";
    for line in wrap(warning, Face::SansBold, 9.0, w) {
        c.text(x, c.y + 8.0, Face::SansBold, 9.0, &line);
        c.y += 12.0;
    }
    c.y += 4.0;
    c.line(x, c.y, x + w, c.y, 1.2);
    c.y += 8.0;

    // Identity block on the left, fingerprint box on the right.
    let top = c.y;
    let row_h = 14.5;
    let fp_w = 62.0 * MM;
    let meta_w = w - fp_w - 12.0;
    let label_w = 78.0;
    let value_w = meta_w - label_w;
    let generation = s.generation.to_string();
    let rows: [(&str, &str, &str, Face); 6] = [
        ("vault_id", "Vault ID", &s.vault_id, Face::Mono),
        ("generation", "Generation", &generation, Face::Sans),
        ("created", "Created", &s.created, Face::Sans),
        (
            "next_drill_due",
            "Next drill due",
            &s.next_drill_due,
            Face::SansBold,
        ),
        ("location", "Location", &s.location, Face::Sans),
        ("custodian", "Custodian", &s.custodian, Face::Sans),
    ];
    for (i, (field, label, value, face)) in rows.into_iter().enumerate() {
        let base = top + i as f32 * row_h + 10.5;
        c.text(x, base, Face::SansBold, 10.0, label);
        if value.is_empty() {
            // Left blank on purpose: filled in by hand.
            c.line(x + label_w, base + 2.0, x + meta_w, base + 2.0, 0.5);
        } else {
            let size = fit_size(field, face, value, 10.0, value_w)?;
            c.text(x + label_w, base, face, size, value);
        }
    }
    let box_h = rows.len() as f32 * row_h;
    let bx = x + w - fp_w;
    c.stroke_rect(bx, top - 2.0, fp_w, box_h, 1.5);
    let label = "VAULT FINGERPRINT";
    c.text(
        bx + (fp_w - Face::SansBold.width(label, 8.0)) / 2.0,
        top + 10.0,
        Face::SansBold,
        8.0,
        label,
    );
    let size = fit_size(
        "fingerprint",
        Face::MonoBold,
        &s.fingerprint,
        26.0,
        fp_w - 16.0,
    )?;
    let fw = Face::MonoBold.width(&s.fingerprint, size);
    c.text(
        bx + (fp_w - fw) / 2.0,
        top + box_h / 2.0 + size * 0.3,
        Face::MonoBold,
        size,
        &s.fingerprint,
    );
    let note = "the same on every sheet of this vault";
    c.text(
        bx + (fp_w - Face::Sans.width(note, 7.5)) / 2.0,
        top + box_h - 8.0,
        Face::Sans,
        7.5,
        note,
    );
    c.y = top + box_h + 12.0;
    Ok(())
}

fn share_section(
    c: &mut Canvas,
    s: &ShareSheet,
    code: &DrawnCode,
    module: f32,
    font: f32,
) -> Result<(), SheetError> {
    c.heading("SHARE (secret)", 0.0);
    let (x, w) = (c.left(), c.width());
    let side = code.span as f32 * module;
    c.qr(x, c.y, module, code);

    let tx = x + side + 12.0;
    let tw = w - side - 12.0;
    let mut ty = c.y + 4.0 * module + 8.0;
    let hint = "If the QR code cannot be read, type these lines:";
    c.text(tx, ty, Face::SansBold, 9.5, hint);
    ty += 8.0;
    let longest = s
        .share_lines
        .iter()
        .max_by_key(|l| l.chars().count())
        .map_or("", String::as_str);
    let size = fit_size("share_lines", Face::Mono, longest, font, tw)?;
    for line in &s.share_lines {
        ty += size * 1.4;
        c.text(tx, ty, Face::Mono, size, line);
    }
    c.y += side.max(ty - c.y + 6.0) + 6.0;
    if c.y > c.bottom() {
        return Err(SheetError::DoesNotFit {
            what: "share section on page 1".into(),
        });
    }
    Ok(())
}

/// All vault codes go on page 1, sized to the room left (module >= 0.5 mm).
fn vault_codes_section(c: &mut Canvas, codes: &[DrawnCode]) -> Result<(), SheetError> {
    c.heading(
        "VAULT (encrypted, not secret: the same on every sheet)",
        0.0,
    );
    let (x, w) = (c.left(), c.width());
    let n = codes.len();
    let cols = if n == 1 { 1 } else { 2 };
    let rows = n.div_ceil(cols);
    let (col_gap, row_gap) = (14.0, 6.0);
    let cell_w = (w - (cols - 1) as f32 * col_gap) / cols as f32;
    // Labels line up with the visible code, not with its quiet zone, and may run to the
    // end of the cell; one line if it fits at a readable size, else two.
    let label_w = cell_w - QUIET as f32 * VAULT_MAX_MODULE;
    let (bold_size, rest_size) = (9.5, 8.5);
    let rest = " \u{2014} not secret, the same on every sheet";
    let widest_bold = Face::SansBold.width(&format!("VAULT part {n} of {n}"), bold_size);
    let one_line = widest_bold + Face::Sans.width(rest, rest_size) <= label_w;
    let label_h = if one_line { 14.0 } else { 25.0 };
    let span = codes.iter().map(|c| c.span).max().unwrap_or(1) as f32;
    let avail_h = c.room() - rows as f32 * label_h - (rows - 1) as f32 * row_gap;
    let module = VAULT_MAX_MODULE
        .min(cell_w / span)
        .min(avail_h / rows as f32 / span);
    if module < MIN_MODULE {
        return Err(SheetError::DoesNotFit {
            what: format!("{n} vault QR code(s) on page 1"),
        });
    }
    let side = span * module;
    for (i, code) in codes.iter().enumerate() {
        let (r, col) = (i / cols, i % cols);
        let cx = x + col as f32 * (cell_w + col_gap);
        let top = c.y + r as f32 * (label_h + side + row_gap);
        let lx = cx + QUIET as f32 * module;
        let bold = format!("VAULT part {} of {}", i + 1, n);
        c.text(lx, top + 10.0, Face::SansBold, bold_size, &bold);
        if one_line {
            let bx = lx + Face::SansBold.width(&bold, bold_size);
            c.text(bx, top + 10.0, Face::Sans, rest_size, rest);
        } else {
            let second = "not secret, the same on every sheet";
            c.text(lx, top + 21.0, Face::Sans, rest_size, second);
        }
        c.qr(
            cx,
            top + label_h - QUIET as f32 * module + 2.0,
            module,
            code,
        );
    }
    c.y += rows as f32 * (label_h + side) + (rows - 1) as f32 * row_gap;
    c.y -= QUIET as f32 * module - 8.0; // the last quiet zone may hold the next heading's gap
    Ok(())
}

/// Vault codes that do not all fit page 1: two columns at a module size that puts three rows
/// on a full page, flowing over as many pages as needed, with a note on page 1 saying which
/// pages to scan. Returns the number of pages that hold codes (page 1 included).
fn vault_codes_flow(c: &mut Canvas, codes: &[DrawnCode]) -> Result<usize, SheetError> {
    let n = codes.len();
    let (x, w) = (c.left(), c.width());
    let (cols, col_gap, row_gap, label_h, head_h) = (2, 14.0, 6.0, 14.0, 22.0);
    let cell_w = (w - col_gap) / cols as f32;
    let span = codes.iter().map(|c| c.span).max().unwrap_or(1) as f32;
    let full = c.bottom() - MARGIN - head_h;
    let module = VAULT_MAX_MODULE
        .min(cell_w / span)
        .min((full - 3.0 * label_h - 2.0 * row_gap) / 3.0 / span);
    if module < MIN_MODULE {
        return Err(SheetError::DoesNotFit {
            what: format!("{n} vault QR codes"),
        });
    }
    let side = span * module;
    let row_h = label_h + side;
    let rows_in = |room: f32| ((room + row_gap) / (row_h + row_gap)).floor().max(0.0) as usize;
    let note_size = 9.5;
    let rows_total = n.div_ceil(cols);
    let later_rows = rows_in(full).max(1);
    // The page count goes into the note, which takes room on page 1: measure with the longest
    // note the page count can give, then write the real one.
    let note = |pages: usize| {
        format!(
            "This vault is {n} QR parts on pages 1 to {pages} of this sheet. Scan pages 1 to \
             {pages} of one sheet of this vault (for all the parts) and page 1 of every other \
             sheet (for its share)."
        )
    };
    let note_lines = wrap(&note(n + 1), Face::SansBold, note_size, w).len();
    let note_h = note_lines as f32 * 12.0 + 4.0;
    let first_rows = rows_in(c.room() - head_h - note_h);
    let pages = 1 + rows_total.saturating_sub(first_rows).div_ceil(later_rows);

    c.heading(
        "VAULT (encrypted, not secret: the same on every sheet)",
        0.0,
    );
    for line in wrap(&note(pages), Face::SansBold, note_size, w) {
        c.text(x, c.y + 9.0, Face::SansBold, note_size, &line);
        c.y += 12.0;
    }
    c.y += 4.0;
    let mut next = 0;
    let mut page_rows = first_rows;
    while next < n {
        if page_rows == 0 {
            c.new_page();
            let last = (next + later_rows * cols).min(n);
            c.heading_note(
                "VAULT (continued)",
                &format!("parts {} to {last} of {n}: scan this page too", next + 1),
                0.0,
            );
            page_rows = later_rows;
        }
        for col in 0..cols {
            let i = next + col;
            let Some(code) = codes.get(i) else { break };
            let cx = x + col as f32 * (cell_w + col_gap);
            let lx = cx + QUIET as f32 * module;
            let bold = format!("VAULT part {} of {n}", i + 1);
            c.text(lx, c.y + 10.0, Face::SansBold, 9.5, &bold);
            let bx = lx + Face::SansBold.width(&bold, 9.5);
            c.text(bx, c.y + 10.0, Face::Sans, 8.5, " \u{2014} not secret");
            c.qr(
                cx,
                c.y + label_h - QUIET as f32 * module + 2.0,
                module,
                code,
            );
        }
        next += cols;
        page_rows -= 1;
        c.y += row_h + row_gap;
    }
    c.y -= QUIET as f32 * module - 2.0;
    debug_assert_eq!(c.page_index() + 1, pages, "page count in the note");
    Ok(pages)
}

/// Recovery steps, command and format summary; returns the page they start on.
fn instructions(
    c: &mut Canvas,
    s: &ShareSheet,
    code_pages: usize,
    parts: usize,
) -> Result<usize, SheetError> {
    c.y += 4.0;
    c.heading("HOW TO RECOVER", 30.0);
    let start_page = c.page_index();
    let (x, w) = (c.left(), c.width());
    let (size, lh) = (10.0, 12.5);
    for step in &s.instructions {
        let (prefix, rest) = step_prefix(step);
        let indent = Face::Sans.width(prefix, size);
        let lines = wrap(rest, Face::Sans, size, w - indent);
        c.ensure(lines.len() as f32 * lh);
        c.text(x, c.y + 10.0, Face::Sans, size, prefix);
        for line in lines {
            c.text(x + indent, c.y + 10.0, Face::Sans, size, &line);
            c.y += lh;
        }
        c.y += 3.0;
    }
    if code_pages > 1 {
        let note = format!(
            "The vault codes fill pages 1 to {code_pages} ({parts} parts): scan pages 1 to \
             {code_pages} of one sheet and page 1 of each other sheet. Parts may come from \
             different sheets of this vault."
        );
        let lines = wrap(&note, Face::SansBold, size, w);
        c.ensure(lines.len() as f32 * lh);
        for line in lines {
            c.text(x, c.y + 10.0, Face::SansBold, size, &line);
            c.y += lh;
        }
        c.y += 3.0;
    }

    // One line at up to 11 pt when it fits; a long command (many sheets) wraps at 10 pt.
    let label =
        "Command to run on the recovery computer, in the folder with the program and the scans:";
    let inner = w - 16.0;
    let one = Face::MonoBold.width(&s.recover_command, 11.0) <= inner;
    let (csize, lines) = if one {
        (11.0, vec![s.recover_command.clone()])
    } else {
        let size = 10.0;
        (size, wrap(&s.recover_command, Face::MonoBold, size, inner))
    };
    if lines.len() > 40 {
        return Err(SheetError::DoesNotFit {
            what: "recover_command".into(),
        });
    }
    let clh = csize * 1.3;
    let box_h = lines.len() as f32 * clh + 12.0 - (clh - csize);
    c.ensure(16.0 + box_h + 10.0);
    c.y += 4.0;
    c.text(x, c.y + 9.0, Face::SansBold, 9.5, label);
    c.y += 14.0;
    c.stroke_rect(x, c.y, w, box_h, 0.8);
    for (i, line) in lines.iter().enumerate() {
        c.text(
            x + 8.0,
            c.y + 6.0 + csize * 0.8 + i as f32 * clh,
            Face::MonoBold,
            csize,
            line,
        );
    }
    c.y += box_h + 10.0;

    // For a reimplementer, not the custodian: below the steps, in smaller type.
    c.heading("ABOUT THE FORMAT", 24.0);
    for para in &s.format_summary {
        for line in wrap(para, Face::Sans, 7.5, w) {
            c.ensure(9.0);
            c.text(x, c.y + 7.0, Face::Sans, 7.5, &line);
            c.y += 9.0;
        }
    }
    c.y += 8.0;
    Ok(start_page)
}

/// The vault's typed fallback in Courier columns (three when the lines are short enough
/// to stay at 8 pt or more, else two), split across pages if needed.
fn vault_typed(c: &mut Canvas, s: &ShareSheet) -> Result<(), SheetError> {
    if s.vault_lines.is_empty() {
        return Ok(());
    }
    let (x, w) = (c.left(), c.width());
    let gap = 20.0;
    let longest = s
        .vault_lines
        .iter()
        .max_by_key(|l| l.chars().count())
        .map_or("", String::as_str);
    let col_width = |cols: usize| (w - (cols - 1) as f32 * gap) / cols as f32;
    let cols = if Face::Mono.width(longest, 8.0) <= col_width(3) {
        3
    } else {
        2
    };
    let col_w = col_width(cols);
    let size = fit_size("vault_lines", Face::Mono, longest, 9.5, col_w)?;
    let lh = size * 1.25;
    let min_rows = 5.0_f32.min(s.vault_lines.len() as f32);
    c.heading_note(
        "VAULT typed fallback",
        "If the QR codes cannot be read, type these lines (not secret, the same on every sheet)",
        min_rows * lh,
    );

    let mut rest: &[String] = &s.vault_lines;
    while !rest.is_empty() {
        let fit = (c.room() / lh).floor() as usize;
        if fit < min_rows as usize {
            if c.y <= MARGIN {
                return Err(SheetError::DoesNotFit {
                    what: "vault_lines".into(),
                });
            }
            c.new_page();
            c.text(
                x,
                c.y + 8.0,
                Face::SansBold,
                9.5,
                "VAULT typed fallback (continued)",
            );
            c.y += 14.0;
            continue;
        }
        let per_col = fit.min(rest.len().div_ceil(cols));
        let take = (cols * per_col).min(rest.len());
        for (i, line) in rest[..take].iter().enumerate() {
            let (col, row) = (i / per_col, i % per_col);
            let lx = x + col as f32 * (col_w + gap);
            c.text(
                lx,
                c.y + (row as f32 + 1.0) * lh - 2.0,
                Face::Mono,
                size,
                line,
            );
        }
        c.y += per_col as f32 * lh + 4.0;
        rest = &rest[take..];
    }
    c.y += 8.0;
    Ok(())
}

/// Hand-filled drill log and the bag serial, kept together on one page.
fn drill_log(c: &mut Canvas) {
    let (row_h, rows, head_h) = (18.0, 6, 15.0);
    let table_h = head_h + rows as f32 * row_h;
    c.heading("DRILL LOG (fill in by hand at every drill)", table_h + 40.0);
    let (x, w) = (c.left(), c.width());
    let cols = [
        ("Date", 0.17),
        ("People present", 0.43),
        ("Result", 0.26),
        ("Initials", 0.14),
    ];
    let top = c.y;
    c.stroke_rect(x, top, w, table_h, 0.8);
    let mut cx = x;
    for (i, (name, frac)) in cols.iter().enumerate() {
        c.text(cx + 4.0, top + 10.5, Face::SansBold, 9.0, name);
        if i > 0 {
            c.line(cx, top, cx, top + table_h, 0.5);
        }
        cx += w * frac;
    }
    for r in 0..rows {
        let y = top + head_h + r as f32 * row_h;
        c.line(x, y, x + w, y, if r == 0 { 0.8 } else { 0.4 });
    }
    c.y = top + table_h + 24.0;
    let label = "Tamper-evident bag serial:";
    c.text(x, c.y, Face::SansBold, 11.0, label);
    let lx = x + Face::SansBold.width(label, 11.0) + 6.0;
    c.line(lx, c.y + 2.0, (lx + 80.0 * MM).min(x + w), c.y + 2.0, 0.6);
    c.y += 12.0;
}

fn footer(
    ops: &mut Vec<Op>,
    s: &ShareSheet,
    paper: Paper,
    page: usize,
    total: usize,
    instructions_page: usize,
    code_pages: usize,
) -> Result<(), SheetError> {
    let mut c = Canvas::new(paper);
    let (x, w) = (c.left(), c.width());
    let base = c.h - MARGIN;
    let right = if page + 1 == total {
        format!("page {} of {}", page + 1, total)
    } else if code_pages > 1 && page < code_pages {
        format!(
            "page {} of {} - vault codes: scan pages 1 to {code_pages}",
            page + 1,
            total
        )
    } else if page < instructions_page {
        format!(
            "page {} of {} - recovery instructions on page {}",
            page + 1,
            total,
            instructions_page + 1
        )
    } else {
        format!("page {} of {} - continued on next page", page + 1, total)
    };
    let rw = Face::SansBold.width(&right, 8.0);
    let left = format!(
        "{}  |  vault {}  |  generation {}",
        s.title, s.fingerprint, s.generation
    );
    let lsize = fit_size("footer", Face::Sans, &left, 8.0, w - rw - 12.0)?;
    c.line(x, base - 11.0, x + w, base - 11.0, 0.4);
    c.text(x, base, Face::Sans, lsize, &left);
    c.text(x + w - rw, base, Face::SansBold, 8.0, &right);
    ops.extend(std::mem::take(&mut c.ops));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// PDF assembly

/// SHA-256 over the sheet's non-secret identity, truncated to 16 bytes: a stable `/ID`
/// without ever putting a digest of the share into the file's metadata.
fn document_id(s: &ShareSheet, paper: Paper) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let generation = s.generation.to_string();
    let mut h = Sha256::new();
    for part in [
        "breakglass-sheet-v1",
        &s.title,
        &s.vault_id,
        &s.fingerprint,
        &generation,
        &s.created,
        paper.name(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()[..16].try_into().expect("16 of 32 bytes")
}

pub(crate) fn to_pdf(
    title: &str,
    id: [u8; 16],
    paper: Paper,
    created: printpdf::date::DateTime,
    pages: Vec<Vec<Op>>,
) -> Result<Vec<u8>, SheetError> {
    let (w, h) = paper.size_pt();
    let id_hex: String = id.iter().map(|b| format!("{b:02X}")).collect();

    let mut doc = PdfDocument::new(title);
    let info = &mut doc.metadata.info;
    info.creation_date = created;
    info.modification_date = created;
    info.metadata_date = created;
    info.creator = "breakglass".into();
    info.producer = "breakglass".into();
    info.identifier = id_hex;
    let page_box = Rect::from_wh(Pt(w), Pt(h));
    doc.pages = pages
        .into_iter()
        .map(|ops| PdfPage {
            media_box: page_box.clone(),
            trim_box: page_box.clone(),
            crop_box: page_box.clone(),
            ops,
        })
        .collect();

    // `secure: false` lets the raw `re`/`f` operators of the QR paths through; every
    // operator in the page comes from this module, none from input text.
    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: false,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(SheetError::Pdf(w.msg.clone()));
    }
    // printpdf fills /ID from a per-process counter; replace it so output is reproducible.
    let id_obj = lopdf::Object::String(id.to_vec(), lopdf::StringFormat::Hexadecimal);
    lo.trailer
        .set("ID", lopdf::Object::Array(vec![id_obj.clone(), id_obj]));
    lo.compress();
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| SheetError::Pdf(e.to_string()))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// From the core's document to a sheet

impl Drop for ShareSheet {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.share_qr.zeroize();
        for l in &mut self.share_lines {
            l.zeroize();
        }
    }
}

impl ShareSheet {
    /// The sheet of one share: the same facts, blocks and QR payloads as its text document.
    pub fn from_document(doc: &breakglass_core::document::SheetText) -> Self {
        let f = &doc.facts;
        let tenant = f
            .subtitle
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        let mut instructions = vec![
            format!(
                "1. This sheet is one of {} key shares. Any {} of them together open the vault with the emergency (break-glass) administrator credentials of {tenant}. Fewer reveal nothing.",
                f.count, f.threshold
            ),
            format!(
                "2. Bring {} different sheets of this set together: the fingerprint {} and the generation ({}) must be the same on all of them.",
                f.threshold, f.fingerprint, f.generation
            ),
        ];
        let vault_qr: Vec<String> = doc.vault_qr().iter().map(|q| q.to_string()).collect();
        // Codes beyond page 1 get a bold note naming the pages to scan; it stays the rule then.
        let scan = if vault_qr.len() <= 4 {
            format!(
                "Scan or photograph page 1 of each of {} different sheets (PNG or JPEG); page 2 needs no scan.",
                f.threshold
            )
        } else {
            "Scan or photograph the pages the bold note below names (PNG or JPEG).".to_string()
        };
        instructions.push(format!(
            "3. {scan} On the recovery computer, in the folder that holds the breakglass program (kept with these sheets' recovery kit, or ask whoever keeps it) and the scans, run the command below exactly as printed. It warns if the computer is online; recovery still works."
        ));
        instructions.push(
            "4. No scanner? Run ./breakglass recover with no files and type the blocks printed on the sheets (about 30 minutes): the share block of each sheet, and the vault block of any one sheet (it is the same on all). A scan of one sheet can be mixed with typing another: give the scan's file name, then type the rest when asked.".to_string(),
        );
        instructions.push(if f.passphrase {
            "5. This vault also needs its passphrase, which is on no sheet: the program asks for it.".to_string()
        } else {
            "5. This vault needs no passphrase: the sheets are enough.".to_string()
        });
        instructions.push(
            "6. Sign in with the credentials shown. The sign-in raises a critical alert, as intended: tell the security team why (drill or emergency).".to_string(),
        );
        instructions.push(
            "7. Afterwards delete the scans (they are copies of a secret), rotate the credentials with ./breakglass rotate (offline) and seal new sheets in new tamper-evident bags.".to_string(),
        );
        instructions.push(
            "8. Without breakglass: recovery-kit.pdf, or recover.py from the kit (`breakglass kit` writes both; the booklet explains the format and lists recover.py).".to_string(),
        );
        // A few sheets whose codes all sit on page 1 are named one by one; more sheets, or
        // vault codes over several pages, are simpler as one folder of scans.
        let recover_command = if f.threshold <= FEW_SHEETS && vault_qr.len() <= 4 {
            (1..=f.threshold)
                .map(|i| format!("sheet-{i}.png"))
                .fold("./breakglass recover".to_string(), |acc, s| acc + " " + &s)
        } else {
            instructions[2].push_str(&format!(
                " With {} sheets, put all the scans (every page with QR codes) in one folder named scans.",
                f.threshold
            ));
            "./breakglass recover scans/*.png".to_string()
        };
        let format_summary = vec![
            "Text form BG1: Crockford base32 (0-9, A-Z without I L O U), 20 characters per numbered line, then a check character (GF(32)).".to_string(),
            "Header BG1-<S share | V vault>-<lines>-<first 32 bits of SHA-256, base32>. Spaces, dashes, case and I/L/O are forgiven.".to_string(),
            "Share: version, vault id, generation, k, n, x, 32-byte Shamir value over GF(2^8) (x^8+x^4+x^3+x^2+1).".to_string(),
            "Vault: header (authenticated), XChaCha20-Poly1305; key = HKDF-SHA256(vault id, secret [+ Argon2id(passphrase)]).".to_string(),
            "Without breakglass: recovery-kit.pdf, or recover.py from the kit. Full specification: FORMAT.md in the breakglass source.".to_string(),
        ];
        ShareSheet {
            title: f.title.clone(),
            subtitle: f.subtitle.clone(),
            vault_id: f.vault_id.clone(),
            fingerprint: f.fingerprint.clone(),
            generation: f.generation,
            created: f.created.clone(),
            next_drill_due: f.next_drill_due.clone(),
            location: f.location.clone(),
            custodian: f.custodian.clone(),
            share_qr: doc.share.to_qr().to_string(),
            share_lines: doc
                .share
                .display_lines()
                .iter()
                .map(|l| l.to_string())
                .collect(),
            vault_qr,
            vault_lines: doc
                .vault
                .display_lines()
                .iter()
                .map(|l| l.to_string())
                .collect(),
            instructions,
            format_summary,
            recover_command,
        }
    }
}

impl SheetError {
    /// This error's name in FORMAT.md §9 (`Kdf/TooExpensive`): frozen, like the format itself,
    /// so tests, vectors and other decoders can match on it. Never rename one.
    pub fn kind(&self) -> String {
        match self {
            Self::VaultCodesMismatch { .. } => "VaultCodesMismatch".into(),
            Self::QrTooLarge { .. } => "QrTooLarge".into(),
            Self::QrNotAlphanumeric { .. } => "QrNotAlphanumeric".into(),
            Self::QrEmpty { .. } => "QrEmpty".into(),
            Self::Unprintable { .. } => "Unprintable".into(),
            Self::VaultPartCount { .. } => "VaultPartCount".into(),
            Self::InvalidDate { .. } => "InvalidDate".into(),
            Self::DoesNotFit { .. } => "DoesNotFit".into(),
            Self::Qr { .. } => "Qr".into(),
            Self::Pdf { .. } => "Pdf".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sheet with realistic sizes: share ~110 chars, two vault parts of ~700 chars.
    fn sample() -> ShareSheet {
        let alphabet = "ABCDEFGHJKMNPQRSTVWXYZ0123456789";
        let text = |n: usize, seed: usize| -> String {
            (0..n)
                .map(|i| {
                    let k = (i * 7 + seed * 13 + (i * i) % 11) % alphabet.len();
                    alphabet.as_bytes()[k] as char
                })
                .collect()
        };
        let share_body = text(100, 1);
        let vault_body = text(1300, 2);
        ShareSheet {
            title: "BREAK-GLASS KEY SHARE 2 of 3".into(),
            subtitle: "any 2 shares recover the emergency credentials of contoso.onmicrosoft.com"
                .into(),
            vault_id: "7K3M-Q2XA-9ZKM-D2XA-P5N8-H3JT-6R".into(),
            fingerprint: "7K3M-Q2XA".into(),
            generation: 3,
            created: "2026-11-25".into(),
            next_drill_due: "2027-02-23".into(),
            location: "Safe A (HQ)".into(),
            custodian: String::new(),
            share_qr: format!("BG1-S-5:{share_body}"),
            share_lines: std::iter::once("BG1-S-5".to_string())
                .chain(share_body.as_bytes().chunks(20).enumerate().map(|(i, c)| {
                    let c = std::str::from_utf8(c).unwrap_or_default();
                    let groups: Vec<&str> = (0..c.len()).step_by(4).map(|j| &c[j..j + 4]).collect();
                    format!("{:02}  {}  {}", i + 1, groups.join(" "), i % 10)
                }))
                .collect(),
            vault_qr: vec![
                format!("BG1-V-1/2:{}", &vault_body[..690]),
                format!("BG1-V-2/2:{}", &vault_body[690..1300]),
            ],
            vault_lines: std::iter::once("BG1-V 1300 CHARS 41 LINES".to_string())
                .chain(
                    vault_body
                        .as_bytes()
                        .chunks(24)
                        .enumerate()
                        .map(|(i, c)| {
                            let c = std::str::from_utf8(c).unwrap_or_default();
                            let groups: Vec<&str> =
                                (0..c.len()).step_by(4).map(|j| &c[j..(j + 4).min(c.len())]).collect();
                            format!("{:02}  {}  {}", i + 1, groups.join(" "), i % 10)
                        }),
                )
                .collect(),
            instructions: vec![
                "1. You need this sheet and at least one more share sheet of the same vault (same fingerprint 7K3M-Q2XA, same generation).".into(),
                "2. Take the sheets to an offline computer with the breakglass tool (see FORMAT.md to rebuild it if it is missing).".into(),
                "3. Photograph or scan page 1 of each sheet; save the images on the offline computer.".into(),
                "4. Run the command below with the image files. If a code will not scan, type the lines printed under it when the tool asks.".into(),
                "5. The tool prints the emergency account names and passwords. Sign in, fix the outage, then rotate the credentials and print new sheets.".into(),
                "6. Record the recovery in the drill log of every sheet used.".into(),
            ],
            format_summary: vec![
                "Shares: Shamir secret sharing over GF(256), threshold 2 of 3, base32 text with a checksum per line.".into(),
                "Vault: credentials encrypted with XChaCha20-Poly1305 under a key derived from the recovered secret (Argon2id).".into(),
                "Full specification, enough to write a new decoder: FORMAT.md in the breakglass source archive.".into(),
            ],
            recover_command: "breakglass recover share-1.png share-3.png".into(),
        }
    }

    #[test]
    fn deterministic_within_one_process() {
        let s = sample();
        let a = render_share_sheet(&s, Paper::A4).unwrap();
        let _other = render_share_sheet(&s, Paper::Letter).unwrap();
        let b = render_share_sheet(&s, Paper::A4).unwrap();
        assert!(a == b, "two renders of the same sheet differ");
        assert!(a.starts_with(b"%PDF-"));
    }

    /// All `/MediaBox [x y w h]` boxes in the (uncompressed-dictionary) output.
    fn media_boxes(pdf: &[u8]) -> Vec<[f32; 4]> {
        let text = String::from_utf8_lossy(pdf);
        text.match_indices("/MediaBox")
            .map(|(i, _)| {
                let rest = &text[i + "/MediaBox".len()..];
                let open = rest.find('[').expect("[");
                let close = rest.find(']').expect("]");
                let nums: Vec<f32> = rest[open + 1..close]
                    .split_whitespace()
                    .map(|n| n.parse().expect("number"))
                    .collect();
                [nums[0], nums[1], nums[2], nums[3]]
            })
            .collect()
    }

    #[test]
    fn page_sizes_are_true_size() {
        let s = sample();
        for (paper, w, h) in [
            (Paper::A4, 210.0 / 25.4 * 72.0, 297.0 / 25.4 * 72.0),
            (Paper::Letter, 612.0, 792.0),
        ] {
            let pdf = render_share_sheet(&s, paper).unwrap();
            let boxes = media_boxes(&pdf);
            assert!(!boxes.is_empty(), "no MediaBox in {paper:?} output");
            for b in boxes {
                assert_eq!(b[0], 0.0);
                assert_eq!(b[1], 0.0);
                assert!((b[2] - w).abs() < 0.05, "{paper:?} width {}", b[2]);
                assert!((b[3] - h).abs() < 0.05, "{paper:?} height {}", b[3]);
            }
        }
    }

    #[test]
    fn too_long_qr_payload_is_an_error_with_its_length() {
        let mut s = sample();
        s.vault_qr[1] = "A".repeat(5000);
        match render_share_sheet(&s, Paper::A4) {
            Err(SheetError::QrTooLarge { field, len, max }) => {
                assert_eq!(field, "vault_qr[1]");
                assert_eq!(len, 5000);
                assert!(
                    max >= 800,
                    "capacity {max} below the ~800 chars the core needs"
                );
            }
            other => panic!("expected QrTooLarge, got {:?}", other.err()),
        }
    }

    #[test]
    fn non_latin1_text_is_an_error_naming_the_field() {
        let mut s = sample();
        s.location = "Safe \u{2713} HQ".into();
        match render_share_sheet(&s, Paper::A4) {
            Err(SheetError::Unprintable { field, ch }) => {
                assert_eq!(field, "location");
                assert_eq!(ch, '\u{2713}');
            }
            other => panic!("expected Unprintable, got {:?}", other.err()),
        }
        let mut s = sample();
        s.instructions[2] = "Scan \u{4e2d}".into();
        let err = render_share_sheet(&s, Paper::Letter).expect_err("error");
        assert!(err.to_string().contains("instructions[2]"), "{err}");
        // Latin-1 and WinAnsi punctuation are fine.
        let mut s = sample();
        s.custodian = "Zoë Müller \u{2014} IT".into();
        render_share_sheet(&s, Paper::A4).unwrap();
    }

    #[test]
    fn qr_payload_outside_alphanumeric_is_an_error() {
        let mut s = sample();
        s.share_qr = "bg1-s-5:lowercase".into();
        assert!(matches!(
            render_share_sheet(&s, Paper::A4),
            Err(SheetError::QrNotAlphanumeric { ref field, ch: 'b', pos: 0 }) if field == "share_qr"
        ));
    }

    #[test]
    fn qr_uses_one_alphanumeric_segment_at_level_q() {
        let s = sample();
        let bits = (1..=MAX_QR_VERSION)
            .find_map(|v| alphanumeric_bits(&s.share_qr, v))
            .unwrap();
        assert_eq!(
            bits.into_bytes()[0] >> 4,
            0b0010,
            "mode indicator is not alphanumeric"
        );
        let code = encode_qr("share_qr", &s.share_qr).unwrap();
        assert_eq!(code.error_correction_level(), EcLevel::Q);
        // Capacity formula agrees with the encoder at the limits.
        for v in [1, 9, 10, 20, 25] {
            let cap = alphanumeric_capacity(v);
            assert!(
                alphanumeric_bits(&"A".repeat(cap), v).is_some(),
                "v{v} cap {cap}"
            );
            assert!(
                alphanumeric_bits(&"A".repeat(cap + 1), v).is_none(),
                "v{v} cap {cap}"
            );
        }
    }

    #[test]
    fn merged_rectangles_cover_exactly_the_dark_modules() {
        let code = encode_qr("t", "HELLO WORLD 123").unwrap();
        let n = code.width();
        let mut painted = vec![0u8; n * n];
        for [x0, y0, x1, y1] in dark_rects(&code) {
            for y in y0..y1 {
                for x in x0..x1 {
                    painted[y * n + x] += 1;
                }
            }
        }
        for (i, c) in code.to_colors().iter().enumerate() {
            assert_eq!(
                painted[i],
                u8::from(*c == qrcode::Color::Dark),
                "module {i}"
            );
        }
    }

    #[test]
    fn four_maximal_vault_parts_still_fit_page_one() {
        let mut s = sample();
        let max = alphanumeric_capacity(MAX_QR_VERSION);
        s.vault_qr = (0..4).map(|_| "Z".repeat(max)).collect();
        for paper in [Paper::A4, Paper::Letter] {
            render_share_sheet(&s, paper).unwrap();
        }
    }

    #[test]
    fn vault_parts_beyond_page_one_continue_on_later_pages() {
        let mut s = sample();
        let max = alphanumeric_capacity(MAX_QR_VERSION);
        let pages = |s: &ShareSheet, paper| {
            let pdf = render_share_sheet(s, paper).unwrap();
            media_boxes(&pdf).len()
        };
        s.vault_qr = (0..4).map(|_| "Z".repeat(max)).collect();
        let four = pages(&s, Paper::A4);
        // A vault at the 12,288-byte cap of FORMAT.md §3.
        s.vault_qr = (0..breakglass_core::MAX_VAULT_QR_PARTS)
            .map(|_| "Z".repeat(max))
            .collect();
        for paper in [Paper::A4, Paper::Letter] {
            assert!(pages(&s, paper) > four + 3, "{paper:?}");
        }
        s.vault_qr = (0..=MAX_VAULT_PARTS).map(|_| "A".into()).collect();
        assert!(matches!(
            render_share_sheet(&s, Paper::A4),
            Err(SheetError::VaultPartCount { count }) if count == MAX_VAULT_PARTS + 1
        ));
    }

    #[test]
    fn codes_encoded_once_give_the_same_sheet_and_must_match_it() {
        let s = sample();
        let codes = VaultCodes::encode(&s.vault_qr).unwrap();
        assert!(
            render_share_sheet_with(&s, Paper::A4, &codes).unwrap()
                == render_share_sheet(&s, Paper::A4).unwrap()
        );
        let mut other = sample();
        other.vault_qr[1].push('Z');
        assert!(matches!(
            render_share_sheet_with(&other, Paper::A4, &codes),
            Err(SheetError::VaultCodesMismatch)
        ));
    }

    #[test]
    fn a_long_recovery_command_wraps_instead_of_failing() {
        let mut s = sample();
        s.recover_command = (1..=60)
            .map(|i| format!("sheet-{i}.png"))
            .fold("breakglass recover".to_string(), |acc, s| acc + " " + &s);
        render_share_sheet(&s, Paper::A4).unwrap();
    }

    #[test]
    fn bad_created_date_is_rejected() {
        let mut s = sample();
        s.created = "25.11.2026".into();
        assert!(matches!(
            render_share_sheet(&s, Paper::A4),
            Err(SheetError::InvalidDate { .. })
        ));
    }

    #[test]
    fn creation_date_comes_from_created() {
        let pdf = render_share_sheet(&sample(), Paper::A4).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("D:20261125000000"), "creation date missing");
    }

    #[test]
    fn wrap_and_prefix() {
        assert_eq!(step_prefix("12. Do it"), ("12. ", "Do it"));
        assert_eq!(step_prefix("No number"), ("", "No number"));
        let lines = wrap("aaa bbb ccc", Face::Mono, 10.0, 6.0 * 7.5);
        assert_eq!(lines, vec!["aaa bbb", "ccc"]);
    }
}

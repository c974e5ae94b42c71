//! The share sheet: [`ShareSheet`], everything one sheet prints, and its layout over as many
//! pages as it needs. Page 1 holds the header, the share code and (when they fit) the vault
//! codes; then the recovery steps, the vault's typed fallback, the drill log, and a footer on
//! every page. The words come from the core ([`ShareSheet::from_document`]); this module adds
//! only headings and labels, and checks every string before drawing it.

use breakglass_core::document::{ShareDocument, SheetWording};
use printpdf::Op;

use super::SheetError;
use super::canvas::{Canvas, MARGIN};
use super::font::{Face, check_printable, fit_size, step_prefix, wrap};
use super::pdf::{MM, Paper};
use super::pdf::{document_id, parse_date, to_pdf};
use super::qr::{DrawnCode, MAX_VAULT_PARTS, QUIET, VaultCodes, encode_qr};

/// Everything printed on one share sheet, the layout's input; all strings already formatted
/// by the core (see [`ShareSheet::from_document`]).
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

/// Smallest module we accept: ~3 pixels at a 150-dpi scan.
const MIN_MODULE: f32 = 0.5 * MM;
/// Share-code module size and typed-share font size, tried in turn: as big as possible,
/// smaller only when the vault codes would otherwise not fit on page 1.
const SHARE_SIZES: [(f32, f32); 3] = [(0.85 * MM, 11.5), (0.7 * MM, 10.0), (0.6 * MM, 9.0)];
/// Largest vault-code module: bigger only pushes the instructions to a third page.
const VAULT_MAX_MODULE: f32 = 0.75 * MM;

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
        sheet_id(sheet, paper),
        paper,
        created,
        pages,
        &codes.forms,
    )
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
    let base = c.footer_baseline();
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
    ops.extend(c.finish().into_iter().flatten());
    Ok(())
}

/// The sheet's `/ID`, from its non-secret identity only: never a digest of the share.
fn sheet_id(s: &ShareSheet, paper: Paper) -> [u8; 16] {
    let generation = s.generation.to_string();
    document_id(&[
        "breakglass-sheet-v1",
        &s.title,
        &s.vault_id,
        &s.fingerprint,
        &generation,
        &s.created,
        paper.name(),
    ])
}

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
    /// The sheet of one share: the facts, blocks and QR payloads of its share document, and
    /// the core's wording of the steps, the format summary and the recovery command.
    pub fn from_document(doc: &ShareDocument) -> Self {
        let f = &doc.facts;
        let vault_qr: Vec<String> = doc.vault_qr().iter().map(|q| q.to_string()).collect();
        let SheetWording {
            instructions,
            format_summary,
            recover_command,
        } = SheetWording::new(f, vault_qr.len());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::qr::{MAX_QR_VERSION, alphanumeric_capacity};
    use breakglass_core::document::PAGE_ONE_VAULT_PARTS;

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

    #[test]
    fn vault_codes_are_forms_compressed_once_and_placed_on_every_page() {
        let s = sample();
        let codes = VaultCodes::encode(&s.vault_qr).unwrap();
        let pdf = render_share_sheet_with(&s, Paper::A4, &codes).unwrap();
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let forms: Vec<&lopdf::Stream> = doc
            .objects
            .values()
            .filter_map(|o| o.as_stream().ok())
            .filter(|st| st.dict.get(b"Subtype").and_then(|o| o.as_name()).ok() == Some(b"Form"))
            .collect();
        assert_eq!(forms.len(), s.vault_qr.len());
        // The very bytes compressed once for the set, not compressed again per sheet.
        for (form, once) in forms.iter().zip(&codes.forms) {
            assert_eq!(form.content, once.stream.content);
        }
        // The pages place each form and draw none of the vault's modules themselves.
        let (mut placed, mut rects) = (0, 0);
        for id in doc.get_pages().values() {
            for op in doc.get_and_decode_page_content(*id).unwrap().operations {
                placed += usize::from(op.operator == "Do");
                rects += usize::from(op.operator == "re");
            }
        }
        assert_eq!(placed, s.vault_qr.len());
        let share = DrawnCode::new(&encode_qr("share_qr", &s.share_qr).unwrap());
        let vault: usize = codes.codes.iter().map(|c| c.rects.len()).sum();
        assert!(
            rects < share.rects.len() + vault / 2,
            "{rects} rectangles on the pages: the vault's are drawn inline"
        );
        // And they print where they did: the form holds the same rectangles the code has.
        let inner = lopdf::content::Content::decode(&forms[0].decompressed_content().unwrap())
            .unwrap()
            .operations;
        assert_eq!(
            inner.iter().filter(|o| o.operator == "re").count(),
            codes.codes[0].rects.len()
        );
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
    fn four_page_one_parts_in_the_wording_fit_page_one() {
        // The core's wording promises that this many vault parts need only page 1 scanned.
        let mut s = sample();
        let max = alphanumeric_capacity(MAX_QR_VERSION);
        s.vault_qr = (0..PAGE_ONE_VAULT_PARTS).map(|_| "Z".repeat(max)).collect();
        for paper in [Paper::A4, Paper::Letter] {
            let codes: Vec<DrawnCode> = s
                .vault_qr
                .iter()
                .map(|p| DrawnCode::new(&encode_qr("v", p).unwrap()))
                .collect();
            let share = DrawnCode::new(&encode_qr("share_qr", &s.share_qr).unwrap());
            let (_, code_pages) = first_pages(&s, paper, &share, &codes).unwrap();
            assert_eq!(code_pages, 1, "{paper:?}");
        }
    }

    #[test]
    fn from_document_takes_the_core_wording_and_the_whole_tenant() {
        use breakglass_core::seal::{SealParams, seal};
        use breakglass_core::testkit;
        use rand::SeedableRng;
        let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(9);
        let plan = SealParams {
            tenant: "Contoso Ltd".into(),
            ..testkit::params(2, 2)
        };
        let sealed = seal(&plan, &testkit::contents(), &mut rng).unwrap();
        let doc = ShareDocument::new(&sealed.shares[0], &sealed.vault).unwrap();
        let sheet = ShareSheet::from_document(&doc);
        // The tenant was once read back from the subtitle's last word ("Ltd").
        assert!(
            sheet.instructions[0].ends_with("credentials of Contoso Ltd. Fewer reveal nothing."),
            "{}",
            sheet.instructions[0]
        );
        let words = SheetWording::new(&doc.facts, doc.vault_qr().len());
        assert_eq!(sheet.instructions, words.instructions);
        assert_eq!(sheet.format_summary, words.format_summary);
        assert_eq!(sheet.recover_command, words.recover_command);
        assert_eq!(sheet.subtitle, doc.facts.subtitle);
        assert_eq!(sheet.share_qr, doc.share.to_qr().as_str());
        render_share_sheet(&sheet, Paper::A4).unwrap();
    }
}

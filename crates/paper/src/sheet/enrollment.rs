//! The enrollment sheet: the credentials a ceremony just generated, printed for entering into
//! Entra ID and onto security keys, with "destroy after enrollment" on every page. Secret, made
//! only on request, and never needed for recovery.

use super::SheetError;
use super::canvas::{Canvas, MARGIN};
use super::font::{Face, check_printable, fit_size, wrap};
use super::pdf::Paper;
use super::pdf::{id_of, parse_date, to_pdf};

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
        let base = f.footer_baseline();
        let text = format!("{BANNER}  |  page {} of {total}", i + 1);
        f.line(x, base - 11.0, x + w, base - 11.0, 0.4);
        f.text(x, base, Face::SansBold, 8.0, &text);
        ops.extend(f.finish().into_iter().flatten());
    }
    let id = id_of([
        &b"breakglass-enrollment-v1\0"[..],
        tenant.as_bytes(),
        &[0],
        created.as_bytes(),
    ]);
    to_pdf(&title, id, paper, date, pages, &[])
}

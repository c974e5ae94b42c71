//! PDF assembly: pages of printpdf operations in, PDF bytes out, reproducibly. The creation
//! date is the one the caller passes (never the clock), and the trailer `/ID`, which printpdf
//! fills from a per-process counter, is replaced by a digest of fields the caller chooses:
//! the same input gives the same bytes, also on a second render in the same process.

use printpdf::{Op, PdfDocument, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Pt, Rect};

use super::SheetError;
use super::canvas::Paper;

/// A stable `/ID`: SHA-256 over `fields`, each followed by a NUL byte, truncated to 16 bytes.
/// Callers pass only non-secret fields, so no digest of a share ever reaches the metadata.
pub(crate) fn document_id(fields: &[&str]) -> [u8; 16] {
    id_of(fields.iter().flat_map(|f| [f.as_bytes(), &[0]]))
}

/// SHA-256 over the concatenated `pieces`, truncated to 16 bytes.
pub(crate) fn id_of<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in pieces {
        h.update(p);
    }
    h.finalize()[..16].try_into().expect("16 of 32 bytes")
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

/// The document: `pages` on `paper`, titled `title`, dated `created`, with trailer `/ID` `id`.
///
/// # Errors
/// [`SheetError::Pdf`] when printpdf reports an error or the document cannot be written.
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
    // operator in the page comes from the canvas, none from input text.
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

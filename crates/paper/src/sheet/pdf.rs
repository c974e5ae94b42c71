//! PDF assembly: pages of printpdf operations in, PDF bytes out, reproducibly. The creation
//! date is the one the caller passes (never the clock), and the trailer `/ID`, which printpdf
//! fills from a per-process counter, is replaced by a digest of fields the caller chooses:
//! the same input gives the same bytes, also on a second render in the same process.

use printpdf::{Op, PdfDocument, PdfPage, PdfParseErrorSeverity, PdfSaveOptions, Pt, Rect};

use super::SheetError;

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
    pub(crate) fn size_pt(self) -> (f32, f32) {
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

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;

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

/// The deflate level of every stream, chosen by measurement (flate2 1.1 with miniz_oxide, the
/// content streams of three 2-of-255 sheets, 1.65 MB plain): level 9, which lopdf's own
/// `compress` uses, gave 388,509 bytes in 699 ms; level 6 388,941 bytes (+0.1 %) in 244 ms;
/// level 5 392,581 (+1 %) in 146 ms; level 1 565,773 (+46 %) in 37 ms. Text and QR
/// rectangles compress as well at 6 as at 9, at a third of the time.
const FLATE_LEVEL: u32 = 6;

/// `data` zlib-compressed at [`FLATE_LEVEL`].
fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(FLATE_LEVEL));
    e.write_all(data).expect("writing to a Vec cannot fail");
    e.finish().expect("writing to a Vec cannot fail")
}

/// A Form XObject whose stream is already compressed: made once, placed in many documents.
pub(crate) struct Form {
    /// Its name in the pages' `/XObject` resources (what `Do` names).
    pub(crate) name: String,
    pub(crate) stream: lopdf::Stream,
}

/// The form that fills `rects` (`[x0, y0, x1, y1)` in units, in black) within a `side` x
/// `side` box: a QR code's dark modules, placed under the page's scaling matrix.
pub(crate) fn form_of_rects(name: String, side: usize, rects: &[[usize; 4]]) -> Form {
    use lopdf::content::{Content, Operation};
    use lopdf::{Dictionary, Object};
    let int = |v: usize| Object::Integer(v as i64);
    let mut operations = vec![Operation::new("g", vec![Object::Integer(0)])];
    operations.extend(rects.iter().map(|&[x0, y0, x1, y1]| {
        Operation::new("re", vec![int(x0), int(y0), int(x1 - x0), int(y1 - y0)])
    }));
    operations.push(Operation::new("f", Vec::new()));
    let content = Content { operations }
        .encode()
        .expect("integer operands always encode");
    let dict = Dictionary::from_iter([
        ("Type", Object::Name(b"XObject".to_vec())),
        ("Subtype", Object::Name(b"Form".to_vec())),
        (
            "BBox",
            Object::Array(vec![int(0), int(0), int(side), int(side)]),
        ),
        ("Filter", Object::Name(b"FlateDecode".to_vec())),
    ]);
    Form {
        name,
        stream: lopdf::Stream::new(dict, deflate(&content)).with_compression(false),
    }
}

/// Compresses every stream not yet compressed, as lopdf's `compress` does (a stream is left
/// plain unless that saves more than its `/Filter` entry costs), at [`FLATE_LEVEL`].
fn compress(doc: &mut lopdf::Document) {
    for object in doc.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = object
            && stream.allows_compression
            && stream.dict.get(b"Filter").is_err()
        {
            let packed = deflate(&stream.content);
            if packed.len() + 19 < stream.content.len() {
                stream.dict.set("Filter", "FlateDecode");
                stream.set_content(packed);
            }
        }
    }
}

/// Adds `forms` to the `/XObject` resources every page of `doc` shares (printpdf gives all
/// pages one such dictionary).
fn add_forms(doc: &mut lopdf::Document, forms: &[Form]) -> Result<(), SheetError> {
    use lopdf::Object;
    if forms.is_empty() {
        return Ok(());
    }
    let missing = || SheetError::Pdf("no shared /XObject resources to place the codes in".into());
    let first_page = *doc.get_pages().values().next().ok_or_else(missing)?;
    let resources = doc
        .get_dictionary(first_page)
        .and_then(|p| p.get(b"Resources"))
        .and_then(Object::as_reference)
        .map_err(|_| missing())?;
    let xobjects = doc
        .get_dictionary(resources)
        .and_then(|r| r.get(b"XObject"))
        .and_then(Object::as_reference)
        .map_err(|_| missing())?;
    let ids: Vec<_> = forms
        .iter()
        .map(|f| doc.add_object(f.stream.clone()))
        .collect();
    let dict = doc.get_dictionary_mut(xobjects).map_err(|_| missing())?;
    for (form, id) in forms.iter().zip(ids) {
        dict.set(form.name.as_bytes(), Object::Reference(id));
    }
    Ok(())
}

/// The document: `pages` on `paper`, titled `title`, dated `created`, with trailer `/ID` `id`,
/// and `forms` in the resources of every page.
///
/// # Errors
/// [`SheetError::Pdf`] when printpdf reports an error or the document cannot be written.
pub(crate) fn to_pdf(
    title: &str,
    id: [u8; 16],
    paper: Paper,
    created: printpdf::date::DateTime,
    pages: Vec<Vec<Op>>,
    forms: &[Form],
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
    compress(&mut lo);
    add_forms(&mut lo, forms)?;
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| SheetError::Pdf(e.to_string()))?;
    Ok(out)
}

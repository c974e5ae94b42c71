//! The typed share and vault blocks of breakglass's own sheet PDF, read from a page's content
//! stream as printed (text form, FORMAT.md §6): exact, and parsed like typed input.

use breakglass_core::text::Header;
use lopdf::content::Content;
use lopdf::{Document, Object, ObjectId};
use zeroize::Zeroizing;

use super::pdf_object::pdf_stream_error;
use super::{RasterError, RasterLimits};

/// The font breakglass prints the typed share and vault blocks in (a PDF built-in font).
const SHEET_FONT: &[u8] = b"Courier";

/// True when the first word of `line` is a breakglass block header (`BG1-S-5-K7M2Q9X`).
pub(super) fn is_block_header(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .is_some_and(|w| Header::parse(w).is_ok())
}

/// True when the first word of `line` is a share block's header.
pub(super) fn is_share_header(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .and_then(|w| Header::parse(w).ok())
        .is_some_and(|h| h.kind == breakglass_core::text::Kind::Share)
}

/// The lines a page shows in the sheet font, in content-stream order: one per text
/// positioning, as the sheet writes one line per text object.
///
/// Built-in fonts use WinAnsi; the sheet's blocks are ASCII, where WinAnsi is ASCII.
pub(super) fn sheet_lines(
    doc: &Document,
    page_id: ObjectId,
    limits: &RasterLimits,
) -> Result<Vec<Zeroizing<String>>, RasterError> {
    let fonts = doc.get_page_fonts(page_id).unwrap_or_default();
    let courier: Vec<&[u8]> = fonts
        .iter()
        .filter(|(_, f)| {
            f.get(b"BaseFont")
                .and_then(Object::as_name)
                .is_ok_and(|n| n == SHEET_FONT)
        })
        .map(|(name, _)| name.as_slice())
        .collect();
    if courier.is_empty() {
        return Ok(Vec::new());
    }
    let max = usize::try_from(limits.max_unpacked_bytes).unwrap_or(usize::MAX);
    let content = Zeroizing::new(
        doc.get_page_content_with_limit(page_id, max)
            .map_err(|e| pdf_stream_error(e, limits))?,
    );
    let Ok(content) = Content::decode(&content) else {
        return Err(RasterError::Corrupt {
            detail: "a page's content cannot be read".into(),
        });
    };
    let mut lines = Vec::new();
    let mut line = Zeroizing::new(String::new());
    let mut in_font = false;
    let mut end_line = |line: &mut Zeroizing<String>| {
        if !line.trim().is_empty() {
            lines.push(std::mem::take(line));
        }
        line.clear();
    };
    let show = |line: &mut Zeroizing<String>, o: &Object| {
        if let Object::String(bytes, _) = o {
            line.extend(bytes.iter().map(|&b| char::from(b)));
        }
    };
    for op in &content.operations {
        match op.operator.as_str() {
            "Tf" => {
                in_font = op
                    .operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .is_some_and(|n| courier.contains(&n));
            }
            "BT" | "ET" | "Td" | "TD" | "Tm" | "T*" => end_line(&mut line),
            "Tj" if in_font => op.operands.iter().for_each(|o| show(&mut line, o)),
            "'" | "\"" if in_font => {
                end_line(&mut line);
                op.operands
                    .last()
                    .into_iter()
                    .for_each(|o| show(&mut line, o));
            }
            "TJ" if in_font => {
                for o in op
                    .operands
                    .iter()
                    .filter_map(|o| o.as_array().ok())
                    .flatten()
                {
                    show(&mut line, o);
                }
            }
            _ => {}
        }
    }
    end_line(&mut line);
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::raster::*;
    use crate::testkit::{pdf, stream};

    #[test]
    fn a_sheet_pdfs_courier_text_is_handed_over_as_text() {
        use breakglass_core::text::{Kind, TextForm};
        let block = TextForm::encode(Kind::Vault, &[7u8; 90]).unwrap();
        let lines = block.display_lines();
        // Helvetica headings and a Courier line before the block are left out; the block's
        // lines are split over two pages, as a long vault continues on page 3.
        let mut page = String::from(
            "BT /F1 9 Tf 72 800 Td (VAULT typed fallback) Tj ET\n\
             BT /F2 9 Tf 72 790 Td (ABCD-EFGH) Tj ET\n",
        );
        for (i, l) in lines.iter().enumerate() {
            page.push_str(&format!(
                "BT /F2 9 Tf 72 {} Td ({}) Tj ET\n",
                700 - i,
                l.as_str()
            ));
        }
        let fonts = "/Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> \
                     /F2 << /Type /Font /Subtype /Type1 /BaseFont /Courier >> >>";
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
            stream("", page.as_bytes()),
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R \
                 /Resources << {fonts} >> >>"
            )
            .into_bytes(),
        ];
        let got = all_pages(&pdf(&objects), &RasterLimits::default()).unwrap();
        assert_eq!(got.len(), 1);
        let PageContent::SheetText(text) = &got[0].content else {
            panic!("not text: {:?}", got[0]);
        };
        assert!(
            !text.contains("VAULT") && !text.contains("ABCD"),
            "{}",
            text.as_str()
        );
        let parsed = breakglass_core::text::parse_blocks(text).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].decode().unwrap().expose_secret(), &[7u8; 90][..]);
        assert!(!format!("{:?}", got[0]).contains(lines[1].as_str()));
    }

    #[test]
    fn each_sheet_of_a_pdf_of_several_sheet_pdfs_is_its_own_text() {
        use breakglass_core::text::{Kind, TextForm};
        let lines = |kind, fill: u8, len: usize| {
            TextForm::encode(kind, &vec![fill; len])
                .unwrap()
                .display_lines()
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<String>>()
        };
        let content = |rows: &[String]| {
            let mut c = String::new();
            for (i, r) in rows.iter().enumerate() {
                c.push_str(&format!("BT /F2 9 Tf 72 {} Td ({r}) Tj ET\n", 800 - 10 * i));
            }
            stream("", c.as_bytes())
        };
        // Sheet A: its share and vault on page 1, the vault going on to page 2; sheet B on
        // page 3. Two sheet PDFs joined into one file, as `qpdf --pages` joins them.
        let vault = lines(Kind::Vault, 7, 90);
        let page1 = [lines(Kind::Share, 1, 56), vault[..3].to_vec()].concat();
        let page2 = vault[3..].to_vec();
        let page3 = [lines(Kind::Share, 2, 56), vault.clone()].concat();
        let fonts = "/Font << /F2 << /Type /Font /Subtype /Type1 /BaseFont /Courier >> >>";
        let page = |contents: usize| {
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {contents} 0 R \
                 /Resources << {fonts} >> >>"
            )
            .into_bytes()
        };
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>".to_vec(),
            page(6),
            page(7),
            page(8),
            content(&page1),
            content(&page2),
            content(&page3),
        ];
        let got = all_pages(&pdf(&objects), &RasterLimits::default()).unwrap();
        let texts: Vec<(usize, String)> = got
            .iter()
            .map(|p| match &p.content {
                PageContent::SheetText(t) => (p.number, t.to_string()),
                PageContent::Pixels(_) => panic!("page {} is pixels", p.number),
            })
            .collect();
        let text = |rows: &[String]| rows.iter().map(|r| format!("{r}\n")).collect::<String>();
        assert_eq!(
            texts,
            vec![(1, text(&[page1, page2].concat())), (3, text(&page3))]
        );
    }
}

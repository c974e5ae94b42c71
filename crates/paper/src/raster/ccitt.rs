//! CCITT Group 4 images in PDFs (what copiers save in their black-and-white modes), decoded
//! with the `fax` crate.

use image::GrayImage;
use lopdf::{Dictionary, Document, Object};

use super::RasterError;
use super::pdf_object::{dict_entry, number};

/// CCITT Group 4 (`K < 0`), what copiers save in their black-and-white modes.
pub(super) fn ccitt_image(
    doc: &Document,
    data: &[u8],
    params: Option<&Dictionary>,
    w: u32,
    h: u32,
    inverted: bool,
) -> Result<GrayImage, RasterError> {
    let param = |key: &[u8]| params.and_then(|p| number(doc, p, key));
    let k = param(b"K").unwrap_or(0.0);
    let black_is_1 = params
        .and_then(|p| dict_entry(doc, p, b"BlackIs1"))
        .is_some_and(|o| matches!(o, Object::Boolean(true)));
    if k >= 0.0 {
        return Err(RasterError::PdfImageFormat {
            format: "CCITT Group 3",
        });
    }
    let too_wide = || RasterError::Corrupt {
        detail: "a CCITT image in the PDF is more than 65535 pixels on a side".into(),
    };
    let columns = param(b"Columns").map_or(1728, |c| c as u32);
    if columns != w {
        return Err(RasterError::Corrupt {
            detail: "a CCITT image's width and its /Columns disagree".into(),
        });
    }
    let width = u16::try_from(w).map_err(|_| too_wide())?;
    let height = u16::try_from(h).map_err(|_| too_wide())?;
    // The filter's output bit (BlackIs1 says which bit is black), then /Decode.
    let grey = |black: bool| {
        if (black == black_is_1) != inverted {
            255
        } else {
            0
        }
    };
    let (white, black) = (grey(false), grey(true));
    let mut out = Vec::with_capacity(w as usize * h as usize);
    let mut rows = 0u32;
    let done = fax::decoder::decode_g4(data.iter().copied(), width, Some(height), |line| {
        rows += 1;
        ccitt_row(line, width, [white, black], &mut out);
    });
    if done.is_none() && rows == 0 {
        return Err(RasterError::Corrupt {
            detail: "a CCITT Group 4 image in the PDF cannot be decoded".into(),
        });
    }
    // A damaged tail leaves white rows, as a reader shows it.
    out.resize(w as usize * h as usize, 255);
    Ok(GrayImage::from_raw(w, h, out).expect("one byte per pixel"))
}

/// Appends one decoded CCITT row: `transitions` are the columns where the colour changes,
/// starting with white, as `fax::decoder::pels` reads them (a position that goes back is an
/// empty run; after the last one the row ends in the colour reached), filled run by run
/// rather than pixel by pixel. `grey` is the value of white and of black.
fn ccitt_row(transitions: &[u16], width: u16, grey: [u8; 2], out: &mut Vec<u8>) {
    let end = out.len() + usize::from(width);
    let mut black = false;
    let mut last = 0u16;
    for &p in transitions {
        let run = usize::from(p.saturating_sub(last)).min(end - out.len());
        last = p;
        out.resize(out.len() + run, grey[usize::from(black)]);
        black = !black;
    }
    out.resize(end, grey[usize::from(black)]);
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::raster::*;
    use crate::testkit::stream;

    #[test]
    fn a_ccitt_row_is_filled_as_the_decoder_reads_it() {
        // Rows of every shape the decoder can hand over, including positions past the width
        // and positions that go back, against the decoder's own pixel iterator.
        let mut seed = 0x2545_f491_u32;
        let mut next = move |n: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed % n
        };
        for _ in 0..2000 {
            let width = next(40) as u16;
            let transitions: Vec<u16> = (0..next(8)).map(|_| next(50) as u16).collect();
            let mut row = vec![7];
            ccitt_row(&transitions, width, [255, 0], &mut row);
            let expected: Vec<u8> = std::iter::once(7)
                .chain(fax::decoder::pels(&transitions, width).map(|c| match c {
                    fax::Color::White => 255,
                    fax::Color::Black => 0,
                }))
                .collect();
            assert_eq!(row, expected, "{transitions:?} in {width}");
        }
    }

    #[test]
    fn a_ccitt_group4_page_is_decoded() {
        // 8 x 2: a black left half, as a copier's bilevel mode stores it.
        let data = g4(8, 2, |x, _| x < 4);
        let image = stream(
            "/Type /XObject /Subtype /Image /Width 8 /Height 2 /ColorSpace /DeviceGray \
             /BitsPerComponent 1 /Filter /CCITTFaxDecode \
             /DecodeParms << /K -1 /Columns 8 /Rows 2 >>",
            &data,
        );
        let got = all_pages(
            &pdf_of_pages(1, stream("", b""), vec![image]),
            &RasterLimits::default(),
        )
        .unwrap();
        let row = [0, 0, 0, 0, 255, 255, 255, 255];
        assert_eq!(pixels(&got[0]).as_raw(), &[row, row].concat());
    }
}

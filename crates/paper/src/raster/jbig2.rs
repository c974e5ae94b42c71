//! JBIG2 images in PDFs (copiers' and phone scan apps' black-and-white modes), decoded with
//! `hayro-jbig2` after every bitmap size their segment headers declare has been checked.

use image::GrayImage;
use lopdf::{Dictionary, Document, Object};

use super::pdf_object::{dict_entry, pdf_stream_error};
use super::{RasterError, RasterLimits};

/// JBIG2 (T.88) in its PDF form, the embedded organisation (Annex D.3: segments without a file
/// header, with shared segments in an optional `/JBIG2Globals` stream): what copiers and phone
/// scan apps save in their black-and-white modes.
///
/// # Security
/// Every bitmap size the segments declare (the page, every region) is checked against the
/// limits before the decoder allocates anything (see [`check_jbig2_sizes`]); the decoder
/// forbids unsafe code, and a panic in it is caught with the rest of the PDF reader.
pub(super) fn jbig2_image(
    doc: &Document,
    data: &[u8],
    params: Option<&Dictionary>,
    limits: &RasterLimits,
    inverted: bool,
) -> Result<GrayImage, RasterError> {
    let corrupt = || RasterError::Corrupt {
        detail: "a JBIG2 image in the PDF cannot be decoded".into(),
    };
    let max = usize::try_from(limits.max_unpacked_bytes).unwrap_or(usize::MAX);
    let globals_data = match params.and_then(|p| dict_entry(doc, p, b"JBIG2Globals")) {
        Some(Object::Stream(s)) => Some(
            s.get_plain_content_with_limit(max)
                .map_err(|e| pdf_stream_error(e, limits))?,
        ),
        Some(_) => return Err(corrupt()),
        None => None,
    };
    // Region bitmaps of the globals and the page together count against one budget.
    let mut region_bytes = 0;
    if let Some(g) = &globals_data {
        check_jbig2_sizes(g, limits, &mut region_bytes)?;
    }
    check_jbig2_sizes(data, limits, &mut region_bytes)?;
    // Lenient, as PDF readers are: a damaged tail leaves what was decoded before it.
    let settings = hayro_jbig2::DecodeSettings { strict: false };
    let globals = globals_data
        .map(|g| hayro_jbig2::Globals::new(&g, &settings))
        .transpose()
        .map_err(|_| corrupt())?;
    let page = hayro_jbig2::Page::new_embedded(data, globals.as_ref(), &settings)
        .map_err(|_| corrupt())?;
    // The page's own size (a striped page's height is known only from its stripes).
    let (w, h) = (page.width(), page.height());
    if u64::from(w) * u64::from(h) > limits.max_pixels {
        return Err(RasterError::TooLarge {
            width: w.into(),
            height: h.into(),
            max_pixels: limits.max_pixels,
        });
    }
    // JBIG2 calls black 1; the filter's output sample for black is 0 (PDF 32000-1 §7.4.7), and
    // `/Decode [1 0]` (or an image mask's) flips the sample, as for every other filter.
    let (black, white) = if inverted { (255, 0) } else { (0, 255) };
    let mut luma = GreyPixels {
        out: Vec::with_capacity(w as usize * h as usize),
        black,
        white,
    };
    page.decode(&mut luma).map_err(|_| corrupt())?;
    luma.out.resize(w as usize * h as usize, white);
    Ok(GrayImage::from_raw(w, h, luma.out).expect("one byte per pixel"))
}

/// Collects the decoder's pixels as grey levels.
struct GreyPixels {
    out: Vec<u8>,
    black: u8,
    white: u8,
}

impl hayro_jbig2::Decoder for GreyPixels {
    fn push_pixel(&mut self, black: bool) {
        self.out.push(if black { self.black } else { self.white });
    }

    fn push_pixel_chunk(&mut self, black: bool, chunk_count: u32) {
        let grey = if black { self.black } else { self.white };
        let len = self.out.len() + chunk_count as usize * 8;
        self.out.resize(len, grey);
    }

    fn next_line(&mut self) {}
}

/// JBIG2 segment types whose data opens with a region segment information field (T.88 §7.3,
/// §7.4.1): text, halftone, generic and refinement regions, intermediate or immediate.
const JBIG2_REGIONS: [u8; 12] = [4, 6, 7, 20, 22, 23, 36, 38, 39, 40, 42, 43];
/// Halftone regions (T.88 §7.4.5), whose grid of grey values is a second allocation.
const JBIG2_HALFTONES: [u8; 3] = [20, 22, 23];
/// The pattern dictionary (T.88 §7.4.4): its patterns are decoded as one collective bitmap,
/// (GRAYMAX + 1) patterns wide.
const JBIG2_PATTERN_DICTIONARY: u8 = 16;
/// The page information segment (T.88 §7.4.8).
const JBIG2_PAGE_INFORMATION: u8 = 48;
/// The end of file segment (T.88 §7.4.11): nothing after it is read.
const JBIG2_END_OF_FILE: u8 = 51;

/// Reads the segment headers of a JBIG2 embedded stream (T.88 §7.2) and checks the size of
/// every bitmap they declare before any is allocated: the page and each region at most
/// [`RasterLimits::max_pixels`] (a halftone region's grid too), and the regions' bitmaps (1 bit
/// a pixel, rows in 32-bit words, as the decoder keeps them) and grids together at most
/// [`RasterLimits::max_unpacked_bytes`] (`region_bytes` carries the count from the globals to
/// the page).
///
/// # Security
/// The decoder's own cap is 65535 pixels on a side: one region could ask for 512 MiB, and
/// intermediate regions are kept until the page ends. Parsing stops where the decoder's stops
/// (a cut-short header, an end of file segment), so the decoder sees no segment left unchecked.
/// Not checked: the sizes of symbols inside a symbol dictionary, which are coded, not declared
/// (the decoder caps each at 65535 pixels a side and a dictionary at 2^20 symbols).
fn check_jbig2_sizes(
    data: &[u8],
    limits: &RasterLimits,
    region_bytes: &mut u64,
) -> Result<(), RasterError> {
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        *rest = tail;
        Some(head)
    }
    let mut rest = data;
    let be = |b: &[u8]| b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x));
    loop {
        let Some(head) = take(&mut rest, 6) else {
            return Ok(());
        };
        let number = be(&head[..4]);
        let kind = head[4] & 0x3F;
        let long_page = head[4] & 0x40 != 0;
        let referred = match head[5] >> 5 {
            short @ 0..=4 => usize::from(short),
            7 => {
                let Some(more) = take(&mut rest, 3) else {
                    return Ok(());
                };
                let count = be(&[head[5] & 0x1F, more[0], more[1], more[2]]) as usize;
                // Retention flags: one bit for this segment and one per referred segment.
                if take(&mut rest, (count + 1).div_ceil(8)).is_none() {
                    return Ok(());
                }
                count
            }
            _ => {
                return Err(RasterError::Corrupt {
                    detail: "a JBIG2 image in the PDF has a damaged segment header".into(),
                });
            }
        };
        let number_bytes = match number {
            0..=256 => 1,
            257..=65536 => 2,
            _ => 4,
        };
        let Some(lengths) = referred
            .checked_mul(number_bytes)
            .and_then(|n| n.checked_add(if long_page { 8 } else { 5 }))
        else {
            return Ok(());
        };
        let Some(tail) = take(&mut rest, lengths) else {
            return Ok(());
        };
        let declared = be(&tail[tail.len() - 4..]);
        let length = if declared == u32::MAX {
            match jbig2_unknown_length(rest) {
                Some(n) => n,
                None => return Ok(()),
            }
        } else {
            declared as usize
        };
        let Some(body) = take(&mut rest, length) else {
            // Cut short: the decoder drops this segment and stops; a size it declares is
            // still checked (a cut-off bomb is no scan).
            return check_jbig2_bitmap(kind, rest, limits, region_bytes);
        };
        check_jbig2_bitmap(kind, body, limits, region_bytes)?;
        if kind == JBIG2_END_OF_FILE {
            return Ok(());
        }
    }
}

/// Checks the bitmap one segment's data declares, if it declares one.
fn check_jbig2_bitmap(
    kind: u8,
    body: &[u8],
    limits: &RasterLimits,
    region_bytes: &mut u64,
) -> Result<(), RasterError> {
    if kind == JBIG2_PATTERN_DICTIONARY {
        return check_jbig2_patterns(body, limits, region_bytes);
    }
    let region = JBIG2_REGIONS.contains(&kind);
    if !region && kind != JBIG2_PAGE_INFORMATION {
        return Ok(());
    }
    let Some(size) = body.get(..8) else {
        return Ok(());
    };
    let width = u64::from(u32::from_be_bytes([size[0], size[1], size[2], size[3]]));
    let height = u64::from(u32::from_be_bytes([size[4], size[5], size[6], size[7]]));
    // A striped page of unknown height (0xFFFFFFFF): its size is checked once its stripes
    // are read.
    if !region && height == u64::from(u32::MAX) {
        return Ok(());
    }
    within_pixels(width, height, limits)?;
    if region {
        *region_bytes += width.div_ceil(32) * 4 * height;
        // A halftone region's grid (T.88 §7.4.5.1.2, after the region information and one
        // byte of flags) is decoded to one 32-bit grey value a cell, plus a bit plane.
        if JBIG2_HALFTONES.contains(&kind)
            && let Some(grid) = body.get(18..26)
        {
            let width = u64::from(u32::from_be_bytes([grid[0], grid[1], grid[2], grid[3]]));
            let height = u64::from(u32::from_be_bytes([grid[4], grid[5], grid[6], grid[7]]));
            within_pixels(width, height, limits)?;
            *region_bytes += width * height * 5;
        }
        within_bytes(*region_bytes, limits)?;
    }
    Ok(())
}

/// A declared bitmap held to the pixel limit before anything is decoded.
fn within_pixels(width: u64, height: u64, limits: &RasterLimits) -> Result<(), RasterError> {
    if width * height > limits.max_pixels {
        return Err(RasterError::TooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

/// The bytes the regions and patterns declared so far, held to the unpacked-bytes limit.
fn within_bytes(region_bytes: u64, limits: &RasterLimits) -> Result<(), RasterError> {
    if region_bytes > limits.max_unpacked_bytes {
        return Err(RasterError::TooMuchData {
            max_bytes: limits.max_unpacked_bytes,
        });
    }
    Ok(())
}

/// A pattern dictionary's collective bitmap (T.88 §6.7.5: HDPW × (GRAYMAX + 1) by HDPH, after
/// one byte of flags), held to the pixel limit and counted with the regions: 7 bytes of
/// header can otherwise ask for a 65280 × 255 bitmap decoded pixel by pixel.
fn check_jbig2_patterns(
    body: &[u8],
    limits: &RasterLimits,
    region_bytes: &mut u64,
) -> Result<(), RasterError> {
    let Some(&[_, pattern_width, pattern_height, g0, g1, g2, g3]) = body.get(..7) else {
        return Ok(());
    };
    let patterns = u64::from(u32::from_be_bytes([g0, g1, g2, g3])) + 1;
    let width = u64::from(pattern_width) * patterns;
    let height = u64::from(pattern_height);
    within_pixels(width, height, limits)?;
    *region_bytes += width.div_ceil(32) * 4 * height;
    within_bytes(*region_bytes, limits)
}

/// The data length of an immediate generic region declared as unknown (T.88 §7.2.7), found
/// the way the decoder finds it: after the region information (17 bytes), the flags and the
/// adaptive template pixels, the first end marker (`00 00` for MMR, `FF AC` otherwise) and
/// the 4-byte row count after it.
fn jbig2_unknown_length(data: &[u8]) -> Option<usize> {
    let flags = *data.get(17)?;
    let mmr = flags & 1 != 0;
    let template_bytes = match (mmr, (flags >> 1) & 3, flags & 0x10 != 0) {
        (true, _, _) => 0,
        (false, 0, false) => 8,
        (false, 0, true) => 24,
        (false, _, _) => 2,
    };
    let start = 18 + template_bytes;
    let marker: [u8; 2] = if mmr { [0, 0] } else { [0xFF, 0xAC] };
    let at = data
        .get(start..)?
        .windows(6)
        .position(|w| w[..2] == marker)?;
    Some(start + at + 6)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::raster::*;
    use crate::testkit::{jbig2, stream};

    use std::time::Duration;

    fn jbig2_pdf(dict: &str, data: &[u8], extra: Vec<Vec<u8>>) -> Vec<u8> {
        let image = stream(
            &format!("/Type /XObject /Subtype /Image /Filter /JBIG2Decode {dict}"),
            data,
        );
        let mut objects = vec![image];
        objects.extend(extra);
        pdf_of_pages(1, stream("", b""), objects)
    }

    #[test]
    fn a_jbig2_page_is_decoded_with_its_decode_array_and_as_an_image_mask() {
        // 8 x 2: a black left half.
        let data = jbig2_mmr_page(8, 2, |x, _| x < 4);
        let grey = "/Width 8 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 1";
        let row = [0, 0, 0, 0, 255, 255, 255, 255];
        let negative = row.map(|v| 255 - v);
        for (dict, want) in [
            (grey.to_owned(), row),
            (format!("{grey} /Decode [1 0]"), negative),
            // An image mask paints where its sample is 0, in the fill colour (black here).
            ("/Width 8 /Height 2 /ImageMask true".to_owned(), row),
            (
                "/Width 8 /Height 2 /ImageMask true /Decode [1 0]".to_owned(),
                negative,
            ),
        ] {
            let got = all_pages(&jbig2_pdf(&dict, &data, vec![]), &RasterLimits::default())
                .unwrap_or_else(|e| panic!("{dict}: {e:?}"));
            assert_eq!(got.len(), 1, "{dict}");
            assert_eq!(pixels(&got[0]).as_raw(), &[want, want].concat(), "{dict}");
        }
    }

    /// A 40 x 3 picture with whole bytes of one colour and odd edges: black where x + y is in
    /// 3..21 or x is 37.
    fn stripes(x: u16, y: u16) -> bool {
        (3..21).contains(&(x + y)) || x == 37
    }

    fn stripes_grey() -> Vec<u8> {
        (0..3)
            .flat_map(|y| (0..40).map(move |x| if stripes(x, y) { 0 } else { 255 }))
            .collect()
    }

    #[test]
    fn jbig2_globals_are_honoured() {
        // What a symbol-sharing encoder does, in its simplest form: the global segments hold a
        // pattern dictionary (two 1 x 1 patterns, white and black: a 2 x 1 collective bitmap in
        // MMR, T.88 §7.4.4), and the page a halftone region (§7.4.5) whose one bit plane
        // (MMR) picks a pattern per pixel, on a grid with step (1, 0): it draws the bit plane.
        let mut dictionary = vec![0x01, 1, 1];
        dictionary.extend(1u32.to_be_bytes());
        dictionary.extend(g4(2, 1, |x, _| x == 1));
        let globals = jbig2::segment(1, 16, 0, &[], &dictionary);
        let mut halftone = jbig2::region(40, 3);
        halftone.push(0x01); // MMR, OR, no skipping, white to start with
        halftone.extend(40u32.to_be_bytes());
        halftone.extend(3u32.to_be_bytes());
        halftone.extend([0; 8]); // grid origin (0, 0)
        halftone.extend(256u16.to_be_bytes()); // x step 1.0 (in 1/256 pixels)
        halftone.extend(0u16.to_be_bytes());
        halftone.extend(g4(40, 3, stripes));
        let mut page = jbig2::segment(2, 48, 1, &[], &jbig2::page_information(40, 3));
        page.extend(jbig2::segment(3, 22, 1, &[1], &halftone));

        let dict = "/Width 40 /Height 3 /ColorSpace /DeviceGray /BitsPerComponent 1 \
                    /DecodeParms << /JBIG2Globals 6 0 R >>";
        let globals_stream = stream("/Filter /FlateDecode", &deflate(&globals));
        let got = all_pages(
            &jbig2_pdf(dict, &page, vec![globals_stream]),
            &RasterLimits::default(),
        )
        .unwrap();
        assert_eq!(pixels(&got[0]).as_raw(), &stripes_grey());
        // Without them the region refers to nothing and is left out (as PDF readers do): the
        // page stays white.
        let got = all_pages(
            &jbig2_pdf(
                "/Width 40 /Height 3 /ColorSpace /DeviceGray /BitsPerComponent 1",
                &page,
                vec![],
            ),
            &RasterLimits::default(),
        )
        .unwrap();
        assert!(pixels(&got[0]).iter().all(|&v| v == 255));
    }

    #[test]
    fn a_wider_jbig2_page_and_damaged_ones() {
        let data = jbig2_mmr_page(40, 3, stripes);
        let dict = "/Width 40 /Height 3 /ColorSpace /DeviceGray /BitsPerComponent 1";
        let got = all_pages(&jbig2_pdf(dict, &data, vec![]), &RasterLimits::default()).unwrap();
        assert_eq!(pixels(&got[0]).as_raw(), &stripes_grey());
        // No page information; a segment header cut short; two filters.
        let no_page = &data[30..];
        for (dict, data) in [
            (dict.to_owned(), no_page),
            (dict.to_owned(), &data[..8]),
            (
                dict.replace("/Width", "/Filter [/FlateDecode /JBIG2Decode] /Width"),
                &deflate(&data)[..],
            ),
        ] {
            let e =
                all_pages(&jbig2_pdf(&dict, data, vec![]), &RasterLimits::default()).unwrap_err();
            assert!(matches!(e, RasterError::Corrupt { .. }), "{dict}: {e:?}");
        }
    }

    #[test]
    fn jbig2_bombs_are_refused_before_decoding() {
        let dict = "/Width 8 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 1";
        let refused = |data: &[u8], limits: &RasterLimits| {
            let start = Instant::now();
            let e = all_pages(&jbig2_pdf(dict, data, vec![]), limits).unwrap_err();
            assert!(start.elapsed() < Duration::from_secs(1), "{e:?}");
            e
        };
        // A page claiming 100000 x 100000 in a small PDF image.
        let mut page = jbig2::segment(0, 48, 1, &[], &jbig2::page_information(100_000, 100_000));
        page.extend(&jbig2_mmr_page(8, 2, |x, _| x < 4)[30..]);
        let e = refused(&page, &RasterLimits::default());
        assert!(
            matches!(
                e,
                RasterError::TooLarge {
                    width: 100_000,
                    height: 100_000,
                    max_pixels: 100_000_000
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("100000 x 100000"), "{e}");

        // A small page with a 65535 x 65535 intermediate region (512 MiB in the decoder).
        let small = jbig2_mmr_page(8, 2, |x, _| x < 4);
        let mut region = jbig2::region(65_535, 65_535);
        region.push(0x01);
        let mut bomb = small.clone();
        bomb.extend(jbig2::segment(2, 36, 1, &[], &region));
        assert!(matches!(
            refused(&bomb, &RasterLimits::default()),
            RasterError::TooLarge {
                width: 65_535,
                height: 65_535,
                ..
            }
        ));
        // Many intermediate regions, each within the pixel limit, together over the budget:
        // 40 of 10000 x 10000 (12.5 MB each) against 256 MiB.
        let mut region = jbig2::region(10_000, 10_000);
        region.push(0x01);
        let mut many = small.clone();
        for n in 0..40 {
            many.extend(jbig2::segment(2 + n, 36, 1, &[], &region));
        }
        let budget = RasterLimits {
            max_unpacked_bytes: 256 << 20,
            ..RasterLimits::default()
        };
        assert!(matches!(
            refused(&many, &budget),
            RasterError::TooMuchData { .. }
        ));
        // A halftone region whose grid is 65535 x 65535 (16 GiB of grey values).
        let mut halftone = jbig2::region(8, 2);
        halftone.push(0x01);
        halftone.extend(65_535u32.to_be_bytes());
        halftone.extend(65_535u32.to_be_bytes());
        halftone.extend([0; 12]);
        let mut grid = small.clone();
        grid.extend(jbig2::segment(2, 22, 1, &[], &halftone));
        assert!(matches!(
            refused(&grid, &RasterLimits::default()),
            RasterError::TooLarge {
                width: 65_535,
                height: 65_535,
                ..
            }
        ));
        // A pattern dictionary of 256 patterns of 255 x 154 (10 M pixels decoded one by one,
        // found by the pdf_image fuzz target), against a limit of 1 M pixels.
        let mut patterns = small.clone();
        patterns.extend(jbig2::segment(
            2,
            16,
            1,
            &[],
            &[0x00, 255, 154, 0, 0, 0, 255, 0xFF, 0xAC],
        ));
        let limit = RasterLimits {
            max_pixels: 1_000_000,
            ..RasterLimits::default()
        };
        assert!(matches!(
            refused(&patterns, &limit),
            RasterError::TooLarge {
                width: 65_280,
                height: 154,
                max_pixels: 1_000_000
            }
        ));
        // The same page within the limits decodes; an unknown-length region is measured.
        let mut unknown = small[..30].to_vec();
        let mut region = jbig2::region(65_535, 65_535);
        region.push(0x01);
        region.extend([0, 0, 0, 0, 0, 0]);
        let mut segment = jbig2::segment(1, 38, 1, &[], &region);
        segment[7..11].copy_from_slice(&[0xFF; 4]);
        unknown.extend(segment);
        assert!(matches!(
            refused(&unknown, &RasterLimits::default()),
            RasterError::TooLarge { width: 65_535, .. }
        ));
    }
}

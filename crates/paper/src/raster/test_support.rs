//! Helpers shared by the unit tests of the raster readers.

use super::*;
use crate::testkit::{jbig2, pdf};
use image::ImageFormat;
use image::{DynamicImage, Luma};
use std::io::Cursor;
use std::io::Write;
use std::time::Duration;

pub(super) fn later() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// Every page of `bytes`, or the error.
pub(super) fn all_pages(bytes: &[u8], limits: &RasterLimits) -> Result<Vec<Page>, RasterError> {
    let mut out = Vec::new();
    pages(bytes, limits, later(), &mut |p| {
        out.push(p);
        true
    })?;
    Ok(out)
}

pub(super) fn pattern(w: u32, h: u32, seed: u8) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        Luma([((x * 7 + y * 3) as u8).wrapping_add(seed)])
    })
}

pub(super) fn encode(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(img.clone())
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// A PDF of `n` A4 pages sharing one content stream `content` (object 3).
pub(super) fn pdf_of_pages(n: usize, content: Vec<u8>, extra: Vec<Vec<u8>>) -> Vec<u8> {
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + i)).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
        content,
    ];
    for _ in 0..n {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R \
                 /Resources << /XObject << /Im0 {} 0 R >> >> >>",
                4 + n
            )
            .into_bytes(),
        );
    }
    objects.extend(extra);
    pdf(&objects)
}

pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub(super) fn pixels(page: &Page) -> &GrayImage {
    match &page.content {
        PageContent::Pixels(p) => p,
        PageContent::SheetText(_) => panic!("page {} is text", page.number),
    }
}

/// CCITT Group 4 data of a `w` x `h` bitmap whose pixel (x, y) is black where `black` says.
pub(super) fn g4(w: u16, h: u16, black: impl Fn(u16, u16) -> bool) -> Vec<u8> {
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for y in 0..h {
        enc.encode_line(
            (0..w).map(|x| {
                if black(x, y) {
                    fax::Color::Black
                } else {
                    fax::Color::White
                }
            }),
            w,
        )
        .unwrap();
    }
    enc.finish().unwrap().finish()
}

/// An embedded JBIG2 page (T.88 Annex D.3): page information, then one immediate lossless
/// generic region with MMR = 1, whose data is CCITT Group 4 (§6.2.6): the simplest stream
/// an encoder writes.
pub(super) fn jbig2_mmr_page(w: u16, h: u16, black: impl Fn(u16, u16) -> bool) -> Vec<u8> {
    let (w32, h32) = (u32::from(w), u32::from(h));
    let mut region = jbig2::region(w32, h32);
    region.push(0x01); // MMR
    region.extend(g4(w, h, black));
    let mut page = jbig2::segment(0, 48, 1, &[], &jbig2::page_information(w32, h32));
    page.extend(jbig2::segment(1, 39, 1, &[], &region));
    page
}

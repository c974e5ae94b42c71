//! Replays the paper layer's fuzz corpora (`fuzz/corpus/<target>/`) and kept crash inputs
//! (`fuzz/regressions/<target>/`) through the fuzz harness, so `cargo test` checks every input
//! the fuzzers found interesting without cargo-fuzz (fuzz/README.md). The core's targets are
//! replayed by `crates/core/tests/fuzz_corpora.rs`, the terminfo reader's by the binary's.
//!
//! `cargo test -p breakglass-paper --test fuzz_corpora -- --ignored` seeds the corpus of any
//! paper target whose folder is missing or empty, with small scans made by the test kit; it
//! never touches a corpus that has files.

#[path = "../../../fuzz/fuzz_targets/paper_harness.rs"]
mod harness;
#[path = "../../../fuzz/replay.rs"]
mod replay;

use breakglass_core::document::ShareDocument;
use breakglass_paper::sheet::{Paper, ShareSheet, render_share_sheet};
use breakglass_paper::testkit::{self, jbig2};
use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use rand::SeedableRng;
use std::io::{Cursor, Write};
use std::path::Path;

const FUZZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz");

fn replay(target: &str) {
    let run = harness::TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .map(|(_, f)| *f)
        .expect("a known target");
    replay::replay(
        Path::new(FUZZ),
        target,
        "cargo test -p breakglass-paper --test fuzz_corpora -- --ignored",
        run,
    );
}

#[test]
fn raster_pages_corpus() {
    replay("raster_pages");
}

#[test]
fn pdf_image_corpus() {
    replay("pdf_image");
}

#[test]
fn scan_file_corpus() {
    replay("scan_file");
}

#[test]
fn every_paper_target_has_a_corpus_test() {
    let names: Vec<&str> = harness::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["raster_pages", "pdf_image", "scan_file"]);
}

// ---------------------------------------------------------------------------------------------
// Seeding

/// A QR code of `text`, `scale` pixels a module, with a four-module quiet zone.
fn qr(text: &str, scale: u32) -> GrayImage {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("fits one code");
    let n = code.width() as u32;
    let colours = code.to_colors();
    let side = (n + 8) * scale;
    GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / scale).wrapping_sub(4), (y / scale).wrapping_sub(4));
        let dark = mx < n && my < n && colours[(my * n + mx) as usize] == qrcode::Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    })
}

fn encode(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(img.clone())
        .write_to(&mut out, format)
        .expect("encodes");
    out.into_inner()
}

/// CCITT Group 4 data of a bitmap whose pixel (x, y) is black where `black` says.
fn g4(w: u16, h: u16, black: impl Fn(u16, u16) -> bool) -> Vec<u8> {
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    for y in 0..h {
        let line = (0..w).map(|x| {
            if black(x, y) {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        });
        enc.encode_line(line, w).expect("encodes");
    }
    enc.finish().expect("finishes").finish()
}

/// An embedded JBIG2 page: page information, then one immediate lossless generic region
/// with MMR = 1 (CCITT Group 4 data).
fn jbig2_mmr_page(w: u16, h: u16, black: impl Fn(u16, u16) -> bool) -> Vec<u8> {
    let (w32, h32) = (u32::from(w), u32::from(h));
    let mut region = jbig2::region(w32, h32);
    region.push(0x01);
    region.extend(g4(w, h, black));
    let mut page = jbig2::segment(0, 48, 1, &[], &jbig2::page_information(w32, h32));
    page.extend(jbig2::segment(1, 39, 1, &[], &region));
    page.extend(jbig2::segment(2, 51, 0, &[], &[]));
    page
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

/// A `pdf_image` input: its header ([`harness::pdf_image_file`]), then `data`.
fn pdf_image_input(filter: u8, flags: u8, bits: u8, w: u16, h: u16, data: &[u8]) -> Vec<u8> {
    let mut out = vec![filter, flags, bits];
    out.extend(w.to_be_bytes());
    out.extend(h.to_be_bytes());
    out.extend([0, 0]);
    out.extend_from_slice(data);
    out
}

/// Writes the seeds of a target whose corpus folder is missing or empty.
fn seed(target: &str, seeds: &[(&str, Vec<u8>)]) {
    let dir = Path::new(FUZZ).join("corpus").join(target);
    if !replay::files(&dir).is_empty() {
        eprintln!("fuzz/corpus/{target} has files: left alone");
        return;
    }
    std::fs::create_dir_all(&dir).expect("corpus folder");
    for (name, data) in seeds {
        assert!(data.len() <= 64 << 10, "{name}: seeds stay small");
        std::fs::write(dir.join(format!("seed-{name}")), data).expect("seed written");
    }
    eprintln!("fuzz/corpus/{target}: {} seeds", seeds.len());
}

#[test]
#[ignore = "writes fuzz/corpus/<target>/ seeds where missing"]
fn seed_fuzz_corpora() {
    // A share sheet of the sample ceremony: its share code, and its own PDF (typed text).
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(17);
    let sealed = breakglass_core::testkit::ceremony(&mut rng);
    let document = ShareDocument::new(&sealed.shares[0], &sealed.vault).expect("a sheet");
    let sheet = ShareSheet::from_document(&document);
    let code = qr(&sheet.share_qr, 2);
    let pattern = GrayImage::from_fn(24, 16, |x, y| Luma([(x * 7 + y * 3) as u8]));
    let sheet_pdf = render_share_sheet(&sheet, Paper::A4).expect("renders");

    let ccitt = g4(16, 4, |x, y| (x + y) % 5 < 2);
    let jbig2 = jbig2_mmr_page(16, 4, |x, _| x < 8);
    let grey8: Vec<u8> = (0..64u8).map(|v| v.wrapping_mul(37)).collect();
    let bits1 = [0b1010_0000u8, 0b0101_0000];
    let pdf_images = [
        ("jbig2", pdf_image_input(0, 0, 0, 16, 4, &jbig2)),
        ("jbig2-mask", pdf_image_input(0, 0b11, 0, 16, 4, &jbig2)),
        ("ccitt", pdf_image_input(2, 0, 0, 16, 4, &ccitt)),
        ("ccitt-black1", pdf_image_input(2, 0b101, 0, 16, 4, &ccitt)),
        (
            "dct",
            pdf_image_input(3, 0, 3, 24, 16, &encode(&pattern, ImageFormat::Jpeg)),
        ),
        ("grey8", pdf_image_input(4, 0, 3, 8, 8, &grey8)),
        ("rgb8", pdf_image_input(4, 1 << 3, 3, 4, 4, &grey8[..48])),
        ("cmyk8", pdf_image_input(4, 2 << 3, 3, 4, 4, &grey8)),
        ("indexed1", pdf_image_input(4, 3 << 3, 0, 4, 2, &bits1)),
        ("flate1", pdf_image_input(5, 1, 0, 4, 2, &deflate(&bits1))),
        (
            "flate16",
            pdf_image_input(5, 0, 4, 4, 4, &deflate(&[0x80; 32])),
        ),
    ];

    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("qr.png", encode(&code, ImageFormat::Png)),
        ("qr.jpg", encode(&code, ImageFormat::Jpeg)),
        ("qr.pgm", encode(&code, ImageFormat::Pnm)),
        ("qr.bmp", encode(&code, ImageFormat::Bmp)),
        ("qr.webp", encode(&code, ImageFormat::WebP)),
        ("pattern.tif", encode(&pattern, ImageFormat::Tiff)),
        (
            "three-pages.tif",
            testkit::tiff(&[pattern.clone(), code.clone(), pattern.clone()], false),
        ),
        ("sheet.pdf", sheet_pdf),
    ];
    for (name, input) in &pdf_images {
        let pdf = harness::pdf_image_file(input).expect("a header");
        files.push((name, pdf));
    }
    // The scan seeds are the raster seeds that hold a code, and one that holds none.
    let scans: Vec<(&str, Vec<u8>)> = files
        .iter()
        .filter(|(n, _)| {
            n.starts_with("qr.") || ["three-pages.tif", "sheet.pdf", "dct"].contains(n)
        })
        .cloned()
        .collect();
    seed("raster_pages", &files);
    seed("pdf_image", &pdf_images);
    seed("scan_file", &scans);
}

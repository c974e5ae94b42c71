//! Fuzz harness bodies for the paper layer (`breakglass-paper`): the raster pages of every file
//! format a scan can be, the image of a PDF page in each compression, and whole-file scans.
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/{raster_pages,pdf_image,scan_file}.rs`)
//! and by the corpus replay in `crates/paper/tests/fuzz_corpora.rs`, so every corpus and crash
//! input is also checked by `cargo test`. No libFuzzer types here.
//!
//! Each function must never panic on any input. Panics the paper layer catches by design (the
//! PDF reader's, which become `RasterError::ReaderCrashed`, and the QR decoders', which become
//! `ScanError::DecoderCrashed`) are outcomes, not crashes: the targets install [`quiet_hook`]
//! so that only a panic that escapes the public entry aborts the run (fuzz/README.md).

// Each fuzz target uses one of these functions; the others are dead code there.
#![allow(dead_code)]

use breakglass_core::ErrorKind;
use breakglass_paper::raster::{self, PageContent, RasterError, RasterLimits};
use breakglass_paper::scan::{self, ScanError, ScanLimits};
use breakglass_paper::testkit;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits of the raster targets: the production limits' kinds, smaller, so that a few KiB
/// cannot ask for milliseconds of decoding (every limit is still reached and checked). Every
/// decoder's paths are the same at 256 × 256 as at a page's size; at 512 × 512 and 8 MiB,
/// inflating bombs to the limit held `raster_pages` near 1.8 k runs/s.
pub fn raster_limits() -> RasterLimits {
    RasterLimits {
        max_pixels: 1 << 16,
        max_pages: 8,
        max_unpacked_bytes: 1 << 20,
        image_time_budget: std::time::Duration::from_secs(2),
    }
}

/// The limits of `scan_file`: the scanner's own caps (pixels before decoding, wall-clock time
/// per page, four pages' worth per file), small enough that one input costs at most ~2 s.
pub fn scan_limits() -> ScanLimits {
    ScanLimits {
        max_pixels: 1 << 18,
        time_budget: Duration::from_millis(500),
    }
}

/// Pages handed over before the callback says stop (a file of more is read in part).
const STOP_AFTER: usize = 6;

/// `raster::pages` on any bytes: every page is well formed and within the limits, page numbers
/// are 1-based and within the count returned, and an error names a limit that is in force.
pub fn raster_pages(data: &[u8]) {
    check_pages(data, &raster_limits(), None);
}

/// [`raster_pages`]'s checks; `size`: every page of pixels is this size.
fn check_pages(data: &[u8], limits: &RasterLimits, size: Option<(u32, u32)>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut numbers = Vec::new();
    let mut last_pixels = 0;
    let result = raster::pages(data, limits, deadline, &mut |page| {
        assert!(page.number >= 1, "page numbers start at 1");
        match &page.content {
            PageContent::Pixels(p) => {
                assert!(p.width() > 0 && p.height() > 0, "an empty page");
                assert!(
                    u64::from(p.width()) * u64::from(p.height()) <= limits.max_pixels,
                    "a page over the pixel limit: {} x {}",
                    p.width(),
                    p.height()
                );
                assert_eq!(p.as_raw().len(), p.width() as usize * p.height() as usize);
                if let Some(size) = size {
                    assert_eq!((p.width(), p.height()), size, "not the size the PDF says");
                }
                assert!(page.number >= last_pixels, "pages out of order");
                last_pixels = page.number;
            }
            PageContent::SheetText(t) => {
                assert!(!t.is_empty(), "empty sheet text");
                assert!(t.ends_with('\n'), "sheet text is whole lines");
            }
        }
        numbers.push(page.number);
        numbers.len() < STOP_AFTER
    });
    match result {
        Ok(count) => {
            assert!(count >= 1, "a file without pages was accepted");
            assert!(count <= limits.max_pages, "{count} pages accepted");
            assert!(
                numbers.iter().all(|&n| n <= count),
                "a page beyond the count"
            );
        }
        Err(e) => check_raster_error(data, &e, limits),
    }
}

fn check_raster_error(data: &[u8], e: &RasterError, limits: &RasterLimits) {
    assert!(!e.kind().is_empty());
    assert!(!e.to_string().is_empty());
    match e {
        RasterError::TooManyPages { max_pages } => assert_eq!(*max_pages, limits.max_pages),
        RasterError::TooLarge { max_pixels, .. } => assert_eq!(*max_pixels, limits.max_pixels),
        RasterError::TooMuchData { max_bytes } => {
            assert!(*max_bytes <= limits.max_unpacked_bytes.max(data.len() as u64))
        }
        RasterError::NotAnImage => assert!(raster::detect(data).is_none()),
        _ => {}
    }
    if raster::detect(data).is_none() {
        assert!(matches!(e, RasterError::NotAnImage), "{e:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// pdf_image: the input is the image of a one-page PDF

/// Bytes of the `pdf_image` input before the image data.
pub const PDF_IMAGE_HEADER: usize = 9;

/// How `pdf_image` reads its input: `[filter, flags, bits, width (2, BE), height (2, BE),
/// globals length (2, BE)]`, then the data (the first `globals length` bytes of which are the
/// `/JBIG2Globals` stream when `filter` asks for one).
///
/// - `filter % 6`: 0 JBIG2, 1 JBIG2 with globals, 2 CCITT, 3 DCT (JPEG), 4 raw samples,
///   5 raw samples with `/FlateDecode`.
/// - `flags`: bit 0 `/Decode [1 0]`, bit 1 `/ImageMask true`, bit 2 `/BlackIs1 true`, bits 3..6
///   the colour space (see [`COLOUR_SPACES`]), bit 6 CCITT `/K 0` (Group 3), bit 7 no
///   `/Columns` (CCITT) or a `/DecodeParms` array (JBIG2).
/// - `bits % 8`: the `/BitsPerComponent`, from [`BITS`].
pub fn pdf_image_file(data: &[u8]) -> Option<Vec<u8>> {
    let h = data.get(..PDF_IMAGE_HEADER)?;
    let rest = &data[PDF_IMAGE_HEADER..];
    let (filter, flags, bits) = (h[0] % 6, h[1], BITS[usize::from(h[2] % 8)]);
    let width = u16::from_be_bytes([h[3], h[4]]);
    let height = u16::from_be_bytes([h[5], h[6]]);
    let globals_len = usize::from(u16::from_be_bytes([h[7], h[8]])).min(rest.len());
    let mut dict = format!("/Type /XObject /Subtype /Image /Width {width} /Height {height}");
    if flags & 1 != 0 {
        dict.push_str(" /Decode [1 0]");
    }
    if flags & 2 != 0 {
        dict.push_str(" /ImageMask true");
    } else {
        dict.push_str(&format!(
            " /ColorSpace {} /BitsPerComponent {bits}",
            COLOUR_SPACES[usize::from((flags >> 3) & 7)]
        ));
    }
    let mut extra = Vec::new();
    let data = match filter {
        0 | 1 => {
            let (globals, page) = if filter == 1 {
                rest.split_at(globals_len)
            } else {
                (&[][..], rest)
            };
            dict.push_str(" /Filter /JBIG2Decode");
            if filter == 1 {
                let parms = "<< /JBIG2Globals 6 0 R >>";
                if flags & 0x80 != 0 {
                    dict.push_str(&format!(" /DecodeParms [{parms}]"));
                } else {
                    dict.push_str(&format!(" /DecodeParms {parms}"));
                }
                extra.push(testkit::stream("", globals));
            }
            page
        }
        2 => {
            let k = if flags & 0x40 != 0 { 0 } else { -1 };
            let columns = if flags & 0x80 != 0 {
                String::new()
            } else {
                format!(" /Columns {width}")
            };
            let black = if flags & 4 != 0 {
                " /BlackIs1 true"
            } else {
                ""
            };
            dict.push_str(&format!(
                " /Filter /CCITTFaxDecode /DecodeParms << /K {k}{columns} /Rows {height}{black} >>"
            ));
            rest
        }
        3 => {
            dict.push_str(" /Filter /DCTDecode");
            rest
        }
        4 => rest,
        _ => {
            dict.push_str(" /Filter /FlateDecode");
            rest
        }
    };
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
        testkit::stream("", b"q 595 0 0 842 0 0 cm /Im0 Do Q"),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R \
           /Resources << /XObject << /Im0 5 0 R >> >> >>"
            .to_vec(),
        testkit::stream(&dict, data),
    ];
    objects.extend(extra);
    Some(testkit::pdf(&objects))
}

/// The colour spaces `pdf_image` chooses from (flags bits 3..6).
pub const COLOUR_SPACES: [&str; 8] = [
    "/DeviceGray",
    "/DeviceRGB",
    "/DeviceCMYK",
    "[/Indexed /DeviceRGB 1 <000000FFFFFF>]",
    "[/Indexed /DeviceGray 3 <00FF>]",
    "/CalGray",
    "[/Indexed [/Indexed /DeviceGray 1 <00FF>] 1 <00FF>]",
    "/Pattern",
];

/// The `/BitsPerComponent` values `pdf_image` chooses from (`bits % 8`).
pub const BITS: [u32; 8] = [1, 2, 4, 8, 16, 1, 3, 0];

/// One PDF page whose image is the input: the JBIG2, CCITT, JPEG and raw-sample decoders,
/// reached as a copier's PDF reaches them, with [`raster_pages`]'s checks; a CCITT or raw
/// image that decodes is the size its dictionary says.
pub fn pdf_image(data: &[u8]) {
    let Some(file) = pdf_image_file(data) else {
        return;
    };
    // A JPEG's size is its own; every other image is the size of its dictionary.
    let size = (data[0] % 6 == 2 || data[0] % 6 >= 4).then(|| {
        (
            u32::from(u16::from_be_bytes([data[3], data[4]])),
            u32::from(u16::from_be_bytes([data[5], data[6]])),
        )
    });
    check_pages(&file, &raster_limits(), size);
}

// ---------------------------------------------------------------------------------------------
// scan_file: the public scan entry

/// `scan::scan_image_until` on any bytes, with the scanner's time and pixel caps: whatever it
/// returns is payloads without repeats, or an error that names its cause.
pub fn scan_file(data: &[u8]) {
    let limits = scan_limits();
    let started = Instant::now();
    match scan::scan_image_until(data, &limits, &|found: &[String]| found.len() >= 2) {
        Ok(found) => {
            assert!(!found.is_empty(), "Ok without a payload");
            for (i, t) in found.iter().enumerate() {
                assert!(!found[..i].contains(t), "a payload twice");
            }
        }
        Err(e) => {
            assert!(!e.kind().is_empty());
            assert!(!e.to_string().is_empty());
            if let ScanError::Raster(r) = &e {
                let raster = RasterLimits {
                    max_pixels: limits.max_pixels,
                    ..RasterLimits::default()
                };
                check_raster_error(data, r, &raster);
            }
        }
    }
    // Four page budgets per file, plus one decoder call that outlives a budget (an abandoned
    // worker the next scan waits for): far below libFuzzer's -timeout.
    assert!(
        started.elapsed() < limits.time_budget * 12,
        "a scan took {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// Panics caught by design

/// The message of the last panic on this process (kept by [`quiet_hook`]).
pub static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

/// A panic hook that keeps the message instead of aborting: the paper layer catches the PDF
/// reader's and the QR decoders' panics by design, so the fuzz targets abort only on a panic
/// that escapes (see [`run`]).
pub fn quiet_hook() {
    std::panic::set_hook(Box::new(|info| {
        let mut last = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner());
        *last = info.to_string();
    }));
}

/// Runs a target; a panic that escapes it prints its message and aborts (libFuzzer's crash).
pub fn run(target: Target, data: &[u8]) {
    if std::panic::catch_unwind(|| target(data)).is_err() {
        let last = LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner());
        eprintln!("panic escaped the paper layer: {last}");
        std::process::abort();
    }
}

/// A harness body.
pub type Target = fn(&[u8]);

/// Every paper target, by name (`crates/paper/tests/fuzz_corpora.rs` replays each).
pub const TARGETS: [(&str, Target); 3] = [
    ("raster_pages", raster_pages),
    ("pdf_image", pdf_image),
    ("scan_file", scan_file),
];

//! Scanning layer: encoded image bytes in, QR payload strings out.
//!
//! Recovery must never die on one bad photo, so every decoder call on untrusted pixels is
//! isolated from panics, the whole scan is bounded in time, and image dimensions are checked
//! before any pixel is decoded. Two independent decoders (rxing, a ZXing port, and rqrr, a
//! quirc port) fail on different images, so each backs up the other, and cheap passes run
//! before expensive ones so that clean scans stay fast.
//!
//! The module does no file I/O and prints nothing.
//!
//! # How the files fit
//!
//! Here: the public entry points, which turn a file into grey pages with [`crate::raster`] and
//! give each page its time budget. `worker` runs one page's passes on a worker thread, bounded
//! in time, panics caught; `passes` is the ladder of passes (which copies of the image, in which
//! order); `decoders` holds the two QR decoders the passes call.
//!
//! # Process-wide effects (for a program that embeds this crate)
//!
//! A scan changes state that belongs to the whole process, not just to the call:
//!
//! - **A panic hook.** The first scan in a process installs, once, a hook that wraps the hook
//!   installed before it: panics on a scan worker thread (named `breakglass-qr-scan`) print
//!   nothing, because each is caught and reported as [`ScanError::DecoderCrashed`]; every other
//!   panic goes to the previous hook unchanged. A hook the program installs *after* its first
//!   scan replaces this one, so decoder panics are then printed by it (they are still caught).
//!   Install your own hook before the first scan if you want both.
//! - **A worker thread per image.** Decoders run on a `breakglass-qr-scan` thread so that the
//!   time budget holds even while one decoder call is stuck. At the budget the caller returns
//!   and the worker is abandoned: it cannot be interrupted, so it runs on (holding its copy of
//!   the image) until its current decoder call returns. A scan waits for every abandoned
//!   worker to end before starting its own, up to its own budget, and otherwise refuses the
//!   image with [`ScanError::DecoderBusy`]: so at most one abandoned worker exists per scan
//!   running at once (breakglass scans its inputs on as many threads as there are cores). Process exit does not wait for it. If no thread can be
//!   spawned, the scan runs on the caller's thread instead, bounded only between decoder calls.
//! - **Unwinding is required.** Decoder panics (and PDF-reader panics in [`crate::raster`]) are
//!   caught with `catch_unwind`: built with `panic = "abort"`, one bad photo ends the process.
//!   breakglass's own profiles unwind. A PDF-reader panic is caught on the caller's thread, so
//!   the process's panic hook prints it (to stderr) before it becomes an error.

use std::time::{Duration, Instant};

use image::GrayImage;

mod decoders;
mod passes;
mod worker;

#[doc(hidden)]
pub use decoders::finder_like_count;
use worker::run_scan;
#[doc(hidden)]
pub use worker::worker_running;

/// Limits that keep one hostile image from eating the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanLimits {
    /// Images with more pixels than this are refused before decoding (memory is roughly
    /// 5–9 bytes per pixel while decoding). 100 Mpx covers a 600-dpi A4 scan (35 Mpx) and
    /// any phone photo.
    pub max_pixels: u64,
    /// Wall-clock time after which no further decoding pass is started and the caller gets
    /// what has been found so far (or [`ScanError::TimedOut`]).
    pub time_budget: Duration,
}

impl Default for ScanLimits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            time_budget: Duration::from_secs(20),
        }
    }
}

/// Why no payload could be read from an image.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The bytes are not a PNG or JPEG image.
    #[error(
        "this file is not a PNG or JPEG image: export or save the scan as PNG or JPEG and try again"
    )]
    NotAnImage,
    /// Every pass ran and no QR code could be read.
    #[error(
        "no QR code found in this image (if it is page 2 of a sheet: page 2 has no code and \
         needs no scan, scan page 1): rescan at 300 dpi, flat, in good light, or type the \
         text printed under the code"
    )]
    NoCodeFound,
    /// No code was read and at least one decoder crashed (a bug in the decoder, caught).
    #[error(
        "the QR decoder crashed on this image and nothing could be read: retake the photo \
         straight on and closer, rescan at 300 dpi, or type the text printed under the code"
    )]
    DecoderCrashed,
    /// An earlier image's decoder ran out of time and is still running; this image was not
    /// decoded, so that abandoned decoders cannot pile up.
    #[error(
        "skipped: the QR decoder is still busy with an earlier image that ran out of time; \
         give this image again on its own, or type the text printed under the code"
    )]
    DecoderBusy,
    /// The time budget ran out before any code was read.
    #[error(
        "gave up after {seconds} s without finding a QR code: rescan at 300 dpi, flat, \
         in good light, or type the text printed under the code",
        seconds = budget.as_secs_f32()
    )]
    TimedOut {
        /// The budget that was spent.
        budget: Duration,
    },
    /// The file could not be turned into pages (format, limits, damage).
    #[error(transparent)]
    Raster(#[from] crate::raster::RasterError),
}

/// Decode every QR code found in an encoded image (PNG or JPEG bytes).
///
/// Returns the payload texts, deduplicated, in the order found. Stops as soon as a decoder
/// call reads anything (one call reads every code it can see in that pass); when you know
/// how many codes the image holds, use [`scan_image_until`] so that harder passes run until
/// all of them are found.
///
/// The first call in a process installs a panic hook, and each call decodes on a worker
/// thread that may outlive it by one decoder call: see the module's "Process-wide effects".
pub fn scan_image(bytes: &[u8], limits: &ScanLimits) -> Result<Vec<String>, ScanError> {
    scan_image_until(bytes, limits, &|found: &[String]| !found.is_empty())
}

/// Like [`scan_image`], but keeps trying harder passes until `enough(&found)` returns true,
/// the passes run out, or the time budget is spent. Whatever was found is returned even if
/// `enough` was never satisfied; an error means nothing at all was found. `enough` runs on
/// the caller's thread. Process-wide effects as for [`scan_image`].
pub fn scan_image_until(
    bytes: &[u8],
    limits: &ScanLimits,
    enough: &dyn Fn(&[String]) -> bool,
) -> Result<Vec<String>, ScanError> {
    scan_image_tuned(bytes, limits, enough, &Tuning::default())
}

/// Which decoders and passes to use. Only for measuring the decoders against each other;
/// the defaults are what [`scan_image`] uses.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Run rxing.
    pub rxing: bool,
    /// Run rqrr.
    pub rqrr: bool,
    /// Which passes run, one bit each: [`PASS_FAST`], [`PASS_FULL`], [`PASS_OTSU`],
    /// [`PASS_HALF`], [`PASS_DOUBLE`].
    pub passes: u8,
}

/// First pass: the image, downscaled to a long side of [`passes::FAST_LONG_SIDE`] if bigger.
#[doc(hidden)]
pub const PASS_FAST: u8 = 1;
/// Full resolution (only when the first pass was downscaled).
#[doc(hidden)]
pub const PASS_FULL: u8 = 2;
/// Otsu-thresholded copy of the first pass image.
#[doc(hidden)]
pub const PASS_OTSU: u8 = 4;
/// Half-size copy.
#[doc(hidden)]
pub const PASS_HALF: u8 = 8;
/// Double-size copy (only for small images).
#[doc(hidden)]
pub const PASS_DOUBLE: u8 = 16;

impl Default for Tuning {
    fn default() -> Self {
        Self {
            rxing: true,
            rqrr: true,
            passes: u8::MAX,
        }
    }
}

/// [`scan_image_until`] with a choice of decoders and passes (for measurements).
#[doc(hidden)]
pub fn scan_image_tuned(
    bytes: &[u8],
    limits: &ScanLimits,
    enough: &dyn Fn(&[String]) -> bool,
    tuning: &Tuning,
) -> Result<Vec<String>, ScanError> {
    let mut found: Vec<String> = Vec::new();
    for page in scan_pages_tuned(bytes, limits, enough, tuning)? {
        match page.read {
            PageRead::Codes(codes) => {
                for t in codes {
                    if !found.contains(&t) {
                        found.push(t);
                    }
                }
            }
            PageRead::SheetText(text) => found.push(text.as_str().to_owned()),
        }
    }
    Ok(found)
}

/// What one page of a file gave.
#[derive(Debug)]
pub struct ScannedPage {
    /// 1-based page number in the file (a sheet PDF's text: the sheet's first page).
    pub number: usize,
    /// What was read on it.
    pub read: PageRead,
}

/// What was read on one page.
pub enum PageRead {
    /// The payloads of the QR codes on the page, deduplicated, in the order found.
    Codes(Vec<String>),
    /// The typed blocks of one of breakglass's own sheet PDFs (see
    /// [`crate::raster::PageContent::SheetText`]).
    SheetText(zeroize::Zeroizing<String>),
}

impl std::fmt::Debug for PageRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Codes(c) => write!(f, "Codes({} codes)", c.len()),
            // The share text is secret.
            Self::SheetText(_) => f.write_str("SheetText(..)"),
        }
    }
}

/// Like [`scan_image_until`], but keeps what each page gave apart, in page order: a file of
/// several sheets (a copier batch, a multi-page TIFF) is several inputs (FORMAT.md §7.1), and
/// one forged page must not take the honest pages beside it down with it. Pages where nothing
/// was read are left out; an error means nothing at all was read. `enough` is asked per page.
pub fn scan_pages(
    bytes: &[u8],
    limits: &ScanLimits,
    enough: &dyn Fn(&[String]) -> bool,
) -> Result<Vec<ScannedPage>, ScanError> {
    scan_pages_tuned(bytes, limits, enough, &Tuning::default())
}

fn scan_pages_tuned(
    bytes: &[u8],
    limits: &ScanLimits,
    enough: &dyn Fn(&[String]) -> bool,
    tuning: &Tuning,
) -> Result<Vec<ScannedPage>, ScanError> {
    // Each page gets the time budget (a page without a code runs every pass); the whole file
    // gets at most four budgets, so a many-page file cannot hold recovery for long.
    let file_deadline = Instant::now() + limits.time_budget * 4;
    // Every page of the file is scanned (a copier puts several sheets in one PDF); a page
    // without a code is no error while another page has one (page 2 of a sheet has none).
    let raster_limits = crate::raster::RasterLimits {
        max_pixels: limits.max_pixels,
        ..Default::default()
    };
    let mut found: Vec<ScannedPage> = Vec::new();
    let mut page_error = None;
    let read = crate::raster::pages(bytes, &raster_limits, file_deadline, &mut |page| {
        let pixels = match page.content {
            crate::raster::PageContent::Pixels(pixels) => pixels,
            // The sheet's own text: exact, and parsed like typed text by the caller.
            crate::raster::PageContent::SheetText(text) => {
                found.push(ScannedPage {
                    number: page.number,
                    read: PageRead::SheetText(text),
                });
                return true;
            }
        };
        let deadline = (Instant::now() + limits.time_budget).min(file_deadline);
        match run_scan(pixels, limits, deadline, enough, *tuning) {
            Ok(texts) => {
                // The images of one PDF page are one page.
                let at = match found.last() {
                    Some(p) if p.number == page.number && matches!(p.read, PageRead::Codes(_)) => {
                        found.len() - 1
                    }
                    _ => {
                        found.push(ScannedPage {
                            number: page.number,
                            read: PageRead::Codes(Vec::new()),
                        });
                        found.len() - 1
                    }
                };
                let PageRead::Codes(codes) = &mut found[at].read else {
                    return true;
                };
                for t in texts {
                    if !codes.contains(&t) {
                        codes.push(t);
                    }
                }
            }
            Err(e) => {
                page_error.get_or_insert(e);
            }
        }
        Instant::now() < file_deadline
    });
    // Sheet text comes after a file's scanned pages: page order is what a person reads.
    found.sort_by_key(|p| p.number);
    match (read, page_error) {
        _ if !found.is_empty() => Ok(found),
        (Err(e), _) => Err(e.into()),
        (Ok(_), Some(e)) => Err(e),
        (Ok(_), None) => Err(ScanError::NoCodeFound),
    }
}

/// Decode PNG/JPEG bytes into an 8-bit grey image, refusing oversized images before their
/// pixels are decoded (the same decoding every scanned page gets, see [`crate::raster`]).
#[doc(hidden)]
pub fn load_luma(bytes: &[u8], limits: &ScanLimits) -> Result<GrayImage, ScanError> {
    let format = match crate::raster::detect(bytes) {
        Some(crate::raster::Format::Png) => image::ImageFormat::Png,
        Some(crate::raster::Format::Jpeg) => image::ImageFormat::Jpeg,
        _ => return Err(ScanError::NotAnImage),
    };
    let raster_limits = crate::raster::RasterLimits {
        max_pixels: limits.max_pixels,
        ..Default::default()
    };
    Ok(crate::raster::decode_image(bytes, format, &raster_limits)?)
}

breakglass_core::error_kinds! { ScanError {
    DecoderBusy => "DecoderBusy",
    NotAnImage => "NotAnImage",
    NoCodeFound => "NoCodeFound",
    DecoderCrashed => "DecoderCrashed",
    TimedOut => "TimedOut",
    Raster(inner) => inner,
} }

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::RasterError;
    use image::{ImageFormat, Luma, imageops};
    use std::io::Cursor;

    /// Renders `text` as a QR code with `px` pixels per module and a 4-module quiet zone.
    pub(in crate::scan) fn qr_image(text: &str, px: u32) -> GrayImage {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let n = code.width() as u32;
        let colors = code.to_colors();
        let side = (n + 8) * px;
        GrayImage::from_fn(side, side, |x, y| {
            let (mx, my) = (x / px, y / px);
            let dark = mx >= 4
                && my >= 4
                && mx < n + 4
                && my < n + 4
                && colors[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark;
            Luma([if dark { 0 } else { 255 }])
        })
    }

    fn encode(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn png(img: &GrayImage) -> Vec<u8> {
        encode(img, ImageFormat::Png)
    }

    pub(in crate::scan) const SHARE: &str =
        "BG1-S-5 01ABCDEFGHJKMNPQRSTVWX7 02ABCDEFGHJKMNPQRSTVWX7ABCDEFGH/9";

    #[test]
    fn reads_a_clean_code_in_every_right_angle_rotation() {
        let img = qr_image(SHARE, 4);
        for rotated in [
            img.clone(),
            imageops::rotate90(&img),
            imageops::rotate180(&img),
            imageops::rotate270(&img),
        ] {
            let found = scan_image(&png(&rotated), &ScanLimits::default()).unwrap();
            assert_eq!(found, vec![SHARE.to_owned()]);
        }
    }

    #[test]
    fn reads_a_skewed_scaled_jpeg() {
        // 7 degrees of skew, scaled by 1.7, saved as a lossy JPEG on a grey page.
        let img = qr_image(SHARE, 3);
        let side = img.width() * 2;
        let angle = 7f64.to_radians();
        let scale = 1.7;
        let (c, s) = (angle.cos(), angle.sin());
        let mid = f64::from(side) / 2.0;
        let half_src = f64::from(img.width()) / 2.0;
        let page = GrayImage::from_fn(side, side, |x, y| {
            let (dx, dy) = (f64::from(x) - mid, f64::from(y) - mid);
            let sx = (c * dx + s * dy) / scale + half_src;
            let sy = (-s * dx + c * dy) / scale + half_src;
            if sx >= 0.0 && sy >= 0.0 && sx < f64::from(img.width()) && sy < f64::from(img.height())
            {
                let v = img.get_pixel(sx as u32, sy as u32)[0];
                Luma([if v == 0 { 30 } else { 220 }])
            } else {
                Luma([200])
            }
        });
        let jpeg = encode(&page, ImageFormat::Jpeg);
        let found = scan_image(&jpeg, &ScanLimits::default()).unwrap();
        assert_eq!(found, vec![SHARE.to_owned()]);
    }

    #[test]
    fn reads_several_codes_on_one_page() {
        let texts = [
            "BG1-S-5 01AAAA",
            "BG1-S-5 02BBBB",
            "BG1-C 0123456789 ABCDEF/-",
        ];
        let codes: Vec<GrayImage> = texts.iter().map(|t| qr_image(t, 5)).collect();
        let cell = codes.iter().map(|c| c.width()).max().unwrap();
        let mut page = GrayImage::from_pixel(cell * 2, cell * 2, Luma([255]));
        for (i, code) in codes.iter().enumerate() {
            let (x, y) = ((i as u32 % 2) * cell, (i as u32 / 2) * cell);
            imageops::replace(&mut page, code, i64::from(x), i64::from(y));
        }
        let want = |found: &[String]| found.len() == texts.len();
        let mut found = scan_image_until(&png(&page), &ScanLimits::default(), &want).unwrap();
        found.sort();
        let mut expected: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn reads_a_big_page_through_the_downscaled_pass() {
        // A 600-dpi A4 page (4960 x 7016) with a code in one corner.
        let code = qr_image(SHARE, 20);
        let mut page = GrayImage::from_pixel(4960, 7016, Luma([255]));
        imageops::replace(&mut page, &code, 300, 400);
        let found = scan_image(&png(&page), &ScanLimits::default()).unwrap();
        assert_eq!(found, vec![SHARE.to_owned()]);
    }

    #[test]
    fn keeps_non_alphanumeric_text_untrimmed() {
        let text = "  lower case, ünïcödé & spaces  ";
        let found = scan_image(&png(&qr_image(text, 4)), &ScanLimits::default()).unwrap();
        assert_eq!(found, vec![text.to_owned()]);
    }

    #[test]
    fn garbage_bytes_are_not_an_image() {
        let err = scan_image(b"this is not an image at all", &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::NotAnImage))),
            "{err:?}"
        );
        let err = scan_image(&[], &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::NotAnImage))),
            "{err:?}"
        );
    }

    #[test]
    fn other_image_formats_are_refused() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[1, 0, 1, 0, 0, 0, 0, 0x3b]);
        let err = scan_image(&gif, &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::NotAnImage))),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_png_is_corrupt() {
        let bytes = png(&qr_image(SHARE, 4));
        let err = scan_image(&bytes[..bytes.len() / 2], &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::Corrupt { .. }))),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_jpeg_header_is_corrupt() {
        let bytes = encode(&qr_image(SHARE, 4), ImageFormat::Jpeg);
        let err = scan_image(&bytes[..100], &ScanLimits::default());
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::Corrupt { .. }))),
            "{err:?}"
        );
    }

    #[test]
    fn one_pixel_image_has_no_code() {
        let img = GrayImage::from_pixel(1, 1, Luma([255]));
        let err = scan_image(&png(&img), &ScanLimits::default());
        assert!(matches!(err, Err(ScanError::NoCodeFound)), "{err:?}");
    }

    #[test]
    fn blank_page_has_no_code() {
        let img = GrayImage::from_pixel(800, 600, Luma([240]));
        let err = scan_image(&png(&img), &ScanLimits::default());
        assert!(matches!(err, Err(ScanError::NoCodeFound)), "{err:?}");
    }

    /// CRC-32 (IEEE) as PNG chunks need it.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn image_claiming_huge_dimensions_is_too_large() {
        // A real PNG whose header is rewritten to claim 100000 x 100000 pixels.
        let mut bytes = png(&GrayImage::from_pixel(2, 2, Luma([255])));
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = scan_image(&bytes, &ScanLimits::default());
        match err {
            Err(ScanError::Raster(RasterError::TooLarge {
                width,
                height,
                max_pixels,
            })) => assert_eq!((width, height, max_pixels), (100_000, 100_000, 100_000_000)),
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn pixel_limit_is_enforced() {
        let limits = ScanLimits {
            max_pixels: 10_000,
            ..ScanLimits::default()
        };
        let err = scan_image(&png(&qr_image(SHARE, 4)), &limits);
        assert!(
            matches!(err, Err(ScanError::Raster(RasterError::TooLarge { .. }))),
            "{err:?}"
        );
    }

    #[test]
    fn zero_time_budget_times_out() {
        let limits = ScanLimits {
            time_budget: Duration::ZERO,
            ..ScanLimits::default()
        };
        let err = scan_image(&png(&qr_image(SHARE, 4)), &limits);
        assert!(matches!(err, Err(ScanError::TimedOut { .. })), "{err:?}");
    }

    #[test]
    fn image_full_of_fake_finder_patterns_stops_at_the_time_budget() {
        // Tiled finder-pattern look-alikes make both decoders' grouping step superlinear
        // (seconds here, minutes on bigger images); the caller must still get an answer in time.
        let img = GrayImage::from_fn(600, 600, |x, y| {
            let (mx, my) = ((x / 3) % 8, (y / 3) % 8);
            let ring = (mx as i32 - 3).abs().max((my as i32 - 3).abs());
            Luma([if mx == 7 || my == 7 || ring == 2 {
                255
            } else {
                0
            }])
        });
        let limits = ScanLimits {
            time_budget: Duration::from_millis(300),
            ..ScanLimits::default()
        };
        let start = Instant::now();
        let err = scan_image(&png(&img), &limits);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
        assert!(matches!(err, Err(ScanError::TimedOut { .. })), "{err:?}");
    }

    #[test]
    fn error_messages_tell_what_to_do() {
        assert!(ScanError::NoCodeFound.to_string().contains("300 dpi"));
    }
}

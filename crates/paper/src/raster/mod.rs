//! Rasterising layer: the bytes of any file a scanner, copier or phone saves, in; grey pages out.
//!
//! Office copiers save PDF (JPEG, CCITT G4 or JBIG2 inside, often several pages), `scanimage`
//! saves PNM, some scanners TIFF, phones JPEG, PNG, WebP or HEIC. The format is told by the
//! file's first bytes, never by its name. Every format gets the same limits (pages, pixels per
//! page, bytes unpacked), checked before the expensive step: a PDF bomb is an image bomb.
//! HEIC and AVIF are recognised and refused with a way to convert them.
//!
//! The module does no file I/O and prints nothing; pages are handed to a callback one at a time
//! so that only one decoded page is held at once. A panic in the PDF reader (lopdf, on untrusted
//! bytes) is caught on the caller's thread, and one in a PDF page image's decoder on its worker
//! thread (`breakglass-pdf-image`, see `image_worker`), and becomes
//! [`RasterError::ReaderCrashed`]: that needs `panic = "unwind"`, and the process's panic hook
//! still prints the panic to stderr.
//!
//! # How the files fit
//!
//! [`pages`] (here) tells the format (`format`) and hands the file to one reader:
//!
//! - `picture`: one-image files (PNG, JPEG, PNM, BMP, WebP) through the `image` crate, to grey.
//! - `tiff`: every page of a TIFF.
//! - `pdf`: the walk over a PDF's pages, after `pdf_object` has loaded the file under the
//!   limits (it also reads the objects: the images a page draws, dictionary entries). Each
//!   page is either breakglass's own sheet, whose typed blocks `sheet_text` reads, or a
//!   scan, whose images `pdf_image` decodes (raw samples and JPEG itself; CCITT Group 4 in
//!   `ccitt`, JBIG2 in `jbig2`). `image_worker` runs a compressed image's decode on a worker
//!   thread under [`RasterLimits::image_time_budget`].
//!
//! [`RasterError`] (in `error`) is every reader's error.

use std::time::{Duration, Instant};

use image::GrayImage;
use zeroize::Zeroizing;

mod ccitt;
mod error;
mod format;
mod image_worker;
mod jbig2;
mod pdf;
mod pdf_image;
mod pdf_object;
mod picture;
mod sheet_text;
#[cfg(test)]
mod test_support;
mod tiff;

use self::tiff::tiff_pages;
pub use error::RasterError;
pub use format::{Format, detect};
use pdf::pdf_pages;
pub(crate) use picture::decode_image;

/// Limits that hold for every format alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RasterLimits {
    /// Pixels of one page (or of one image inside a PDF): refused above this, before decoding.
    pub max_pixels: u64,
    /// Pages read from one file (PDF and TIFF); a longer file is refused.
    pub max_pages: usize,
    /// Bytes that the compressed streams of one PDF may unpack to, in total.
    pub max_unpacked_bytes: u64,
    /// Wall-clock time one compressed image of a PDF page (JBIG2, CCITT, JPEG) may take to
    /// decode; past it the image is refused and the other pages are read.
    pub image_time_budget: Duration,
}

impl Default for RasterLimits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            // Sixteen two-page sheets in one copier run.
            max_pages: 32,
            max_unpacked_bytes: 512 << 20,
            // A 600-dpi copier page decodes in well under a second.
            image_time_budget: Duration::from_secs(10),
        }
    }
}

/// One decoded page (or one image of a PDF page).
#[derive(Debug)]
pub struct Page {
    /// 1-based page number in the file.
    pub number: usize,
    /// What the page holds.
    pub content: PageContent,
}

/// What a page holds.
pub enum PageContent {
    /// Pixels in 8-bit grey, to be scanned for QR codes.
    Pixels(GrayImage),
    /// The typed share and vault blocks of breakglass's own sheet PDF, as printed (text form,
    /// FORMAT.md §6), one line per printed line: read by the text parser, not scanned. Handed
    /// once per sheet (a page whose blocks start with a share header starts the next one),
    /// numbered by the sheet's first page.
    SheetText(Zeroizing<String>),
}

impl std::fmt::Debug for PageContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pixels(p) => write!(f, "Pixels({} x {})", p.width(), p.height()),
            // The share text is secret.
            Self::SheetText(_) => f.write_str("SheetText(..)"),
        }
    }
}

/// Decodes every page of `bytes` to 8-bit grey and hands each to `page` until it returns
/// false. Returns the number of pages in the file.
///
/// # Errors
/// [`RasterError`] when the format is unknown or refused, a limit is exceeded, the data is
/// damaged, or `deadline` passes before every page was handed over (pages handed over
/// before that stay handed over).
pub fn pages(
    bytes: &[u8],
    limits: &RasterLimits,
    deadline: Instant,
    page: &mut dyn FnMut(Page) -> bool,
) -> Result<usize, RasterError> {
    match detect(bytes).ok_or(RasterError::NotAnImage)? {
        Format::Heif => Err(RasterError::NeedsConversion { format: "HEIC" }),
        Format::Avif => Err(RasterError::NeedsConversion { format: "AVIF" }),
        Format::Pdf => pdf_pages(bytes, limits, deadline, page),
        Format::Tiff => tiff_pages(bytes, limits, deadline, page),
        other => {
            let format = other.image_format().expect("every image format maps");
            page(Page {
                number: 1,
                content: PageContent::Pixels(decode_image(bytes, format, limits)?),
            });
            Ok(1)
        }
    }
}

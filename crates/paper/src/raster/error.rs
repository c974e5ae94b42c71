//! Why a file could not be turned into pages: one error for every reader of [`super`].

/// Why a file could not be turned into pages.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    /// Not a format this module reads.
    #[error(
        "this file is not an image or PDF that breakglass reads (PNG, JPEG, TIFF, PNM, BMP, \
         WebP, PDF): save or export the scan in one of those formats and try again"
    )]
    NotAnImage,
    /// HEIC or AVIF: recognised, and refused with a way out.
    #[error(
        "this is a {format} photo, which breakglass does not read: convert it to JPEG (for \
         example `heif-convert photo.{ext} photo.jpg`, from the libheif-examples package), or \
         on the phone share or export it as JPEG (iPhone: Settings > Camera > Formats > Most \
         Compatible), then try again",
        ext = if *format == "AVIF" { "avif" } else { "heic" }
    )]
    NeedsConversion {
        /// "HEIC" or "AVIF".
        format: &'static str,
    },
    /// The header was recognised but the data is damaged or cut short.
    #[error(
        "the file is damaged or incomplete ({detail}): copy the file again, or rescan the sheet"
    )]
    Corrupt {
        /// What the decoder complained about (no pixel data in it).
        detail: String,
    },
    /// A page or an image in a PDF has more pixels than [`super::RasterLimits::max_pixels`].
    #[error(
        "the image is too large ({width} x {height} pixels, the limit is {max_pixels} pixels): \
         rescan at 300 dpi or shrink the photo"
    )]
    TooLarge {
        /// Width claimed by the header (0 if unknown).
        width: u64,
        /// Height claimed by the header (0 if unknown).
        height: u64,
        /// The limit in force.
        max_pixels: u64,
    },
    /// More pages than [`super::RasterLimits::max_pages`].
    #[error(
        "the file has more than {max_pages} pages: split it, or scan only page 1 of each sheet \
         (page 2 needs no scan)"
    )]
    TooManyPages {
        /// The limit in force.
        max_pages: usize,
    },
    /// The compressed streams of a PDF unpack to more than the limit.
    #[error(
        "the PDF unpacks to more than {mib} MiB: it is not a plain scan; rescan the sheet, or \
         save its pages as PNG or JPEG images",
        mib = max_bytes >> 20
    )]
    TooMuchData {
        /// The limit in force.
        max_bytes: u64,
    },
    /// The PDF needs a password.
    #[error(
        "the PDF is password-protected: save an unprotected copy (or its pages as images) and \
         try again"
    )]
    Encrypted,
    /// The PDF reader panicked (a bug in it, caught).
    #[error(
        "the PDF reader crashed on this file: save its pages as PNG or JPEG images (or rescan \
         them) and try again"
    )]
    ReaderCrashed,
    /// A PDF's pages are images in a compression breakglass does not decode.
    #[error(
        "the scanner stored the pages of this PDF as {format} images, which breakglass does \
         not read: scan again saving PNG, JPEG or TIFF (or PDF in a colour, grey or \"high \
         quality\" mode), or convert the pages, e.g. `pdftoppm -r 300 -png scan.pdf page`"
    )]
    PdfImageFormat {
        /// "JPEG 2000" or "CCITT Group 3".
        format: &'static str,
    },
    /// One image of a PDF page took longer than [`super::RasterLimits::image_time_budget`]
    /// to decode (a JBIG2 symbol dictionary's work is coded, so it cannot be checked first).
    #[error(
        "page {page}: took too long to decode (more than {seconds} s); it is not a plain scan: \
         rescan the sheet, or save that page as a PNG or JPEG image",
        seconds = *limit_ms as f64 / 1000.0
    )]
    ImageTookTooLong {
        /// The page (1-based) the image is on.
        page: usize,
        /// The limit in force, in milliseconds.
        limit_ms: u64,
    },
    /// The deadline passed before every page was read.
    #[error(
        "ran out of time after {done} of {pages} pages: give the pages as separate files, or \
         scan only page 1 of each sheet"
    )]
    TimedOut {
        /// Pages handed over before the deadline.
        done: usize,
        /// Pages in the file.
        pages: usize,
    },
}

breakglass_core::error_kinds! { RasterError {
    NotAnImage => "NotAnImage",
    NeedsConversion => "NeedsConversion",
    Corrupt => "Corrupt",
    TooLarge => "TooLarge",
    TooManyPages => "TooManyPages",
    TooMuchData => "TooMuchData",
    Encrypted => "Encrypted",
    ReaderCrashed => "ReaderCrashed",
    PdfImageFormat => "PdfImageFormat",
    TimedOut => "TimedOut",
    ImageTookTooLong => "ImageTookTooLong",
} }

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
//! bytes) is caught on the caller's thread and becomes [`RasterError::ReaderCrashed`]: that
//! needs `panic = "unwind"`, and the process's panic hook still prints the panic to stderr.

use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use breakglass_core::text::Header;
use image::{GrayImage, ImageError, ImageFormat, ImageReader};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, Stream};
use zeroize::Zeroizing;

/// Limits that hold for every format alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RasterLimits {
    /// Pixels of one page (or of one image inside a PDF): refused above this, before decoding.
    pub max_pixels: u64,
    /// Pages read from one file (PDF and TIFF); a longer file is refused.
    pub max_pages: usize,
    /// Bytes that the compressed streams of one PDF may unpack to, in total.
    pub max_unpacked_bytes: u64,
}

impl Default for RasterLimits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            // Sixteen two-page sheets in one copier run.
            max_pages: 32,
            max_unpacked_bytes: 512 << 20,
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

/// A file format recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Tiff,
    /// PBM, PGM, PPM or PAM (what `scanimage` writes).
    Pnm,
    Bmp,
    WebP,
    Pdf,
    /// HEIC/HEIF, an iPhone's camera default: recognised, not decoded.
    Heif,
    /// AVIF: recognised, not decoded.
    Avif,
}

impl Format {
    fn image_format(self) -> Option<ImageFormat> {
        Some(match self {
            Format::Png => ImageFormat::Png,
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Tiff => ImageFormat::Tiff,
            Format::Pnm => ImageFormat::Pnm,
            Format::Bmp => ImageFormat::Bmp,
            Format::WebP => ImageFormat::WebP,
            Format::Pdf | Format::Heif | Format::Avif => return None,
        })
    }
}

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
    /// A page or an image in a PDF has more pixels than [`RasterLimits::max_pixels`].
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
    /// More pages than [`RasterLimits::max_pages`].
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
} }

/// The format of `bytes`, told by its first bytes (magic numbers), or `None`.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
        Some(Format::Tiff)
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else if starts(b"BM") && bytes.len() >= 26 && bytes[14..18].iter().any(|&b| b != 0) {
        Some(Format::Bmp)
    } else if is_pnm(bytes) {
        Some(Format::Pnm)
    } else if let Some(f) = iso_media_brand(bytes) {
        Some(f)
    } else if bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        // The PDF specification lets readers accept junk before the header.
        Some(Format::Pdf)
    } else {
        None
    }
}

/// `P1`..`P7`, whitespace, then (after comments) a decimal width: a text file that happens to
/// start with "P1" is not taken for a PBM image.
fn is_pnm(bytes: &[u8]) -> bool {
    if bytes.len() < 4 || bytes[0] != b'P' || !(b'1'..=b'7').contains(&bytes[1]) {
        return false;
    }
    if !bytes[2].is_ascii_whitespace() {
        return false;
    }
    let mut rest = &bytes[2..bytes.len().min(512)];
    loop {
        rest = rest.trim_ascii_start();
        match rest.first() {
            Some(b'#') => {
                let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                rest = &rest[end..];
            }
            Some(b) if bytes[1] == b'7' => return b.is_ascii_uppercase(),
            Some(b) => {
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                return b.is_ascii_digit() && rest.get(digits).is_some_and(u8::is_ascii_whitespace);
            }
            None => return false,
        }
    }
}

/// HEIF and AVIF files are ISO media files: a `ftyp` box with a brand.
fn iso_media_brand(bytes: &[u8]) -> Option<Format> {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = size.clamp(16, bytes.len().min(256));
    // The major brand, then the compatible brands (the minor version in between is skipped).
    let brands = std::iter::once(&bytes[8..12]).chain(bytes[16..end].chunks_exact(4));
    let mut heif = false;
    for brand in brands {
        match brand {
            b"avif" | b"avis" => return Some(Format::Avif),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                heif = true;
            }
            _ => {}
        }
    }
    heif.then_some(Format::Heif)
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

/// Decodes one image with the `image` crate, refusing oversized images before their pixels
/// are decoded.
pub(crate) fn decode_image(
    bytes: &[u8],
    format: ImageFormat,
    limits: &RasterLimits,
) -> Result<GrayImage, RasterError> {
    let stripped = without_icc_profile(bytes);
    let bytes: &[u8] = &stripped;
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut image_limits = image::Limits::default();
        // Worst case 16-bit RGBA is 8 bytes per pixel; the grey copy adds one more.
        image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(9));
        let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
        image_limits.max_image_width = Some(side);
        image_limits.max_image_height = Some(side);
        reader.limits(image_limits);
        reader
    };
    let too_large = |width: u32, height: u32| RasterError::TooLarge {
        width: width.into(),
        height: height.into(),
        max_pixels: limits.max_pixels,
    };
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|e| map_image_error(e, too_large(0, 0)))?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(too_large(width, height));
    }
    if width == 0 || height == 0 {
        return Err(RasterError::Corrupt {
            detail: "the image has no pixels".into(),
        });
    }
    let decoded = reader()
        .decode()
        .map_err(|e| map_image_error(e, too_large(width, height)))?;
    Ok(to_grey(decoded))
}

/// 8-bit grey from decoded pixels in integer arithmetic: grey is taken as it is, 16-bit grey
/// by its high byte, and colour by the BT.709 luma weights `image` itself uses (0.2126,
/// 0.7152, 0.0722, here in 1/65536ths); alpha is ignored, as `image` ignores it. Rare layouts
/// (16-bit colour, floats) go through `image`'s own conversion.
fn to_grey(decoded: image::DynamicImage) -> GrayImage {
    use image::DynamicImage as D;
    let (width, height) = (decoded.width(), decoded.height());
    let luma = |r: u8, g: u8, b: u8| {
        ((u32::from(r) * 13933 + u32::from(g) * 46871 + u32::from(b) * 4732 + 32768) >> 16) as u8
    };
    let grey: Vec<u8> = match decoded {
        D::ImageLuma8(g) => return g,
        D::ImageLumaA8(g) => g.as_raw().chunks_exact(2).map(|p| p[0]).collect(),
        D::ImageLuma16(g) => g.as_raw().iter().map(|&v| (v >> 8) as u8).collect(),
        D::ImageLumaA16(g) => g
            .as_raw()
            .chunks_exact(2)
            .map(|p| (p[0] >> 8) as u8)
            .collect(),
        D::ImageRgb8(c) => c
            .as_raw()
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        D::ImageRgba8(c) => c
            .as_raw()
            .chunks_exact(4)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        other => return other.into_luma8(),
    };
    GrayImage::from_raw(width, height, grey).expect("one grey byte per pixel")
}

/// A PNG with its `iCCP` chunks left out (anything else is returned as it is).
///
/// # Security
/// An ICC profile is zlib-compressed, and the PNG decoder inflates it before the first pixel,
/// bounded only by the whole image's memory allowance: a 64 x 64 PNG could ask for a gigabyte.
/// Only grey levels matter for reading QR codes, so the profile is never needed.
fn without_icc_profile(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    let mut rest = &bytes[SIGNATURE.len()..];
    // Chunk: length (4, big-endian) ‖ type (4) ‖ data ‖ CRC (4).
    while rest.len() >= 12 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(total) = len.checked_add(12).filter(|&t| t <= rest.len()) else {
            break; // damaged: the decoder reports it
        };
        if &rest[4..8] != b"iCCP" {
            out.extend_from_slice(&rest[..total]);
        }
        rest = &rest[total..];
    }
    out.extend_from_slice(rest);
    std::borrow::Cow::Owned(out)
}

fn map_image_error(error: ImageError, too_large: RasterError) -> RasterError {
    match error {
        ImageError::Limits(_) => too_large,
        ImageError::Unsupported(e) => RasterError::Corrupt {
            detail: format!("a feature of this file is not supported: {e}"),
        },
        ImageError::IoError(e) => RasterError::Corrupt {
            detail: if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "the file ends too early".into()
            } else {
                e.to_string()
            },
        },
        other => RasterError::Corrupt {
            detail: other.to_string(),
        },
    }
}

/// Every page of a TIFF, read with the `tiff` crate's own walk of the image directories
/// (`more_images`/`next_image`, which refuses a chain that loops): the pages are counted
/// first, so a file with more than `max_pages` is refused before a pixel is decoded; then each
/// page is decoded once, its size checked against `max_pixels` before its pixels are.
fn tiff_pages(
    bytes: &[u8],
    limits: &RasterLimits,
    deadline: Instant,
    page: &mut dyn FnMut(Page) -> bool,
) -> Result<usize, RasterError> {
    let pages = tiff_page_count(bytes, limits)?;
    let mut decoder = tiff_decoder(bytes, limits)?;
    for i in 0..pages {
        if i > 0 {
            if Instant::now() >= deadline {
                return Err(RasterError::TimedOut { done: i, pages });
            }
            decoder
                .next_image()
                .map_err(|e| tiff_error(e, limits, (0, 0)))?;
        }
        let img = tiff_page(&mut decoder, limits)?;
        if !page(Page {
            number: i + 1,
            content: PageContent::Pixels(img),
        }) {
            break;
        }
    }
    Ok(pages)
}

type TiffDecoder<'a> = tiff::decoder::Decoder<Cursor<&'a [u8]>>;

/// A TIFF decoder whose buffers are bounded by the pixel allowance (16-bit RGBA at most, 8
/// bytes a pixel).
fn tiff_decoder<'a>(
    bytes: &'a [u8],
    limits: &RasterLimits,
) -> Result<TiffDecoder<'a>, RasterError> {
    let mut tiff_limits = tiff::decoder::Limits::default();
    let most = usize::try_from(limits.max_pixels.saturating_mul(8)).unwrap_or(usize::MAX);
    tiff_limits.decoding_buffer_size = most;
    tiff_limits.intermediate_buffer_size = most;
    tiff::decoder::Decoder::new(Cursor::new(bytes))
        .map(|d| d.with_limits(tiff_limits))
        .map_err(|e| tiff_error(e, limits, (0, 0)))
}

/// How many images the file's directory chain holds, refusing more than `max_pages`.
fn tiff_page_count(bytes: &[u8], limits: &RasterLimits) -> Result<usize, RasterError> {
    let mut decoder = tiff_decoder(bytes, limits)?;
    let mut pages = 1;
    while decoder.more_images() {
        if pages == limits.max_pages {
            return Err(RasterError::TooManyPages {
                max_pages: limits.max_pages,
            });
        }
        decoder
            .next_image()
            .map_err(|e| tiff_error(e, limits, (0, 0)))?;
        pages += 1;
    }
    Ok(pages)
}

/// The decoder's current page as grey levels, after its size is checked.
fn tiff_page(
    decoder: &mut TiffDecoder<'_>,
    limits: &RasterLimits,
) -> Result<GrayImage, RasterError> {
    use image::{DynamicImage, ImageBuffer};
    use tiff::ColorType as C;
    use tiff::decoder::DecodingResult as D;
    let (width, height) = decoder
        .dimensions()
        .map_err(|e| tiff_error(e, limits, (0, 0)))?;
    if width == 0 || height == 0 {
        return Err(RasterError::Corrupt {
            detail: "the image has no pixels".into(),
        });
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(RasterError::TooLarge {
            width: width.into(),
            height: height.into(),
            max_pixels: limits.max_pixels,
        });
    }
    let size = (width, height);
    let colour = decoder
        .colortype()
        .map_err(|e| tiff_error(e, limits, size))?;
    let data = decoder
        .read_image()
        .map_err(|e| tiff_error(e, limits, size))?;
    let short = || RasterError::Corrupt {
        detail: "a TIFF page holds fewer samples than its size needs".into(),
    };
    let image = match (colour, data) {
        // Bilevel (fax and copier scans): rows of packed bits, 1 = white once the decoder has
        // applied the photometric interpretation.
        (C::Gray(1), D::U8(v)) => {
            let w = width as usize;
            let row_bytes = w.div_ceil(8);
            let mut grey = Vec::with_capacity(w * height as usize);
            for row in v.chunks_exact(row_bytes).take(height as usize) {
                grey.extend((0..w).map(|x| {
                    if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                        255
                    } else {
                        0
                    }
                }));
            }
            DynamicImage::ImageLuma8(ImageBuffer::from_raw(width, height, grey).ok_or_else(short)?)
        }
        (C::Gray(8), D::U8(v)) => {
            DynamicImage::ImageLuma8(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (C::Gray(16), D::U16(v)) => {
            DynamicImage::ImageLuma16(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (C::GrayA(8), D::U8(v)) => {
            DynamicImage::ImageLumaA8(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (C::GrayA(16), D::U16(v)) => {
            DynamicImage::ImageLumaA16(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (C::RGB(8), D::U8(v)) => {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (C::RGB(16), D::U16(v)) => {
            DynamicImage::ImageRgb16(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (C::RGBA(8), D::U8(v)) => {
            DynamicImage::ImageRgba8(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (C::RGBA(16), D::U16(v)) => {
            DynamicImage::ImageRgba16(ImageBuffer::from_raw(width, height, v).ok_or_else(short)?)
        }
        (C::CMYK(8), D::U8(v)) => {
            // As the `image` crate converts it: each ink takes its share of white away.
            let rgb: Vec<u8> = v
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u16::from(p[3]);
                    let ink = |c: u8| u8::try_from((255 - u16::from(c)) * k / 255).unwrap_or(0);
                    [ink(p[0]), ink(p[1]), ink(p[2])]
                })
                .collect();
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(width, height, rgb).ok_or_else(short)?)
        }
        (other, _) => {
            return Err(RasterError::Corrupt {
                detail: format!(
                    "a feature of this file is not supported: TIFF colour type {other:?}"
                ),
            });
        }
    };
    Ok(image.into_luma8())
}

fn tiff_error(
    error: tiff::TiffError,
    limits: &RasterLimits,
    (width, height): (u32, u32),
) -> RasterError {
    match error {
        tiff::TiffError::LimitsExceeded => RasterError::TooLarge {
            width: width.into(),
            height: height.into(),
            max_pixels: limits.max_pixels,
        },
        tiff::TiffError::UnsupportedError(e) => RasterError::Corrupt {
            detail: format!("a feature of this file is not supported: {e}"),
        },
        tiff::TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            RasterError::Corrupt {
                detail: "the file ends too early".into(),
            }
        }
        other => RasterError::Corrupt {
            detail: format!("TIFF {other}"),
        },
    }
}

/// The font breakglass prints the typed share and vault blocks in (a PDF built-in font).
const SHEET_FONT: &[u8] = b"Courier";
/// How deep Form XObjects are followed to find a page's images.
const MAX_FORM_DEPTH: usize = 4;
/// Images taken from one page at most (a copier stores one per page).
const MAX_IMAGES_PER_PAGE: usize = 16;

/// Every page of a PDF, without rendering anything: a breakglass sheet PDF gives its typed
/// text (exact, and read by the same parser as typed input), and a scanned PDF gives the
/// images its pages hold, decoded one at a time. Limits are checked on the whole file first.
fn pdf_pages(
    bytes: &[u8],
    limits: &RasterLimits,
    deadline: Instant,
    page: &mut dyn FnMut(Page) -> bool,
) -> Result<usize, RasterError> {
    // lopdf parses untrusted bytes: a panic in it costs this file, not the recovery.
    catch_unwind(AssertUnwindSafe(|| {
        pdf_pages_inner(bytes, limits, deadline, page)
    }))
    .unwrap_or(Err(RasterError::ReaderCrashed))
}

fn pdf_pages_inner(
    bytes: &[u8],
    limits: &RasterLimits,
    deadline: Instant,
    page: &mut dyn FnMut(Page) -> bool,
) -> Result<usize, RasterError> {
    let doc = load_pdf(bytes, limits)?;
    check_pdf_limits(&doc, limits)?;
    let ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let pages = ids.len();
    if pages == 0 {
        return Err(RasterError::Corrupt {
            detail: "the PDF has no pages".into(),
        });
    }
    if pages > limits.max_pages {
        return Err(RasterError::TooManyPages {
            max_pages: limits.max_pages,
        });
    }
    let mut sheet_text = Zeroizing::new(String::new());
    let mut first_sheet_page = None;
    let mut in_sheet = false;
    let mut first_error = None;
    for (i, &id) in ids.iter().enumerate() {
        if i > 0 && Instant::now() >= deadline {
            return Err(RasterError::TimedOut { done: i, pages });
        }
        let number = i + 1;
        // A sheet page: its Courier lines from the first block header on; a page without a
        // header right after one continues its vault block ("VAULT typed fallback (continued)").
        let lines = sheet_lines(&doc, id, limits)?;
        let start = lines.iter().position(|l| is_block_header(l));
        let kept = match start {
            Some(s) => Some(&lines[s..]),
            None if in_sheet && !lines.is_empty() => Some(&lines[..]),
            None => None,
        };
        if let Some(kept) = kept {
            // A share header starts the next sheet of a file that holds several (FORMAT.md
            // §7.1, "Cutting files into inputs"): the text read so far is handed over as the
            // sheet before it.
            let next_sheet = kept.first().is_some_and(|l| is_share_header(l));
            if next_sheet && let Some(first) = first_sheet_page.take() {
                let text = std::mem::replace(&mut sheet_text, Zeroizing::new(String::new()));
                if !page(Page {
                    number: first,
                    content: PageContent::SheetText(text),
                }) {
                    return Ok(pages);
                }
            }
            in_sheet = true;
            first_sheet_page.get_or_insert(number);
            for l in kept {
                sheet_text.push_str(l);
                sheet_text.push('\n');
            }
            continue;
        }
        in_sheet = false;
        for stream in page_images(&doc, id) {
            match decode_pdf_image(&doc, stream, limits) {
                Ok(pixels) => {
                    if !page(Page {
                        number,
                        content: PageContent::Pixels(pixels),
                    }) {
                        return Ok(pages);
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    if let Some(number) = first_sheet_page {
        page(Page {
            number,
            content: PageContent::SheetText(sheet_text),
        });
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(pages),
    }
}

/// Parses the PDF with every stream it must unpack while loading bounded.
fn load_pdf(bytes: &[u8], limits: &RasterLimits) -> Result<Document, RasterError> {
    let options = LoadOptions {
        max_decompressed_size: Some(
            usize::try_from(limits.max_unpacked_bytes).unwrap_or(usize::MAX),
        ),
        ..LoadOptions::default()
    };
    match Document::load_mem_with_options(bytes, options) {
        Ok(doc) => Ok(doc),
        Err(
            lopdf::Error::Decryption(_)
            | lopdf::Error::InvalidPassword
            | lopdf::Error::UnsupportedSecurityHandler(_),
        ) => Err(RasterError::Encrypted),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            Err(RasterError::TooMuchData {
                max_bytes: limits.max_unpacked_bytes,
            })
        }
        Err(_) => Err(RasterError::Corrupt {
            detail: "not a readable PDF".into(),
        }),
    }
}

/// True when the first word of `line` is a breakglass block header (`BG1-S-5-K7M2Q9X`).
fn is_block_header(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .is_some_and(|w| Header::parse(w).is_ok())
}

/// True when the first word of `line` is a share block's header.
fn is_share_header(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .and_then(|w| Header::parse(w).ok())
        .is_some_and(|h| h.kind == breakglass_core::text::Kind::Share)
}

/// The lines a page shows in the sheet font, in content-stream order: one per text
/// positioning, as the sheet writes one line per text object.
///
/// Built-in fonts use WinAnsi; the sheet's blocks are ASCII, where WinAnsi is ASCII.
fn sheet_lines(
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

fn pdf_stream_error(e: lopdf::Error, limits: &RasterLimits) -> RasterError {
    match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            RasterError::TooMuchData {
                max_bytes: limits.max_unpacked_bytes,
            }
        }
        lopdf::Error::Unimplemented(_) => RasterError::Corrupt {
            detail: "a stream uses a compression breakglass does not read".into(),
        },
        _ => RasterError::Corrupt {
            detail: "a stream cannot be unpacked".into(),
        },
    }
}

/// Follows a reference (or a chain of them) to the object.
fn resolve<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    doc.dereference(o).ok().map(|(_, o)| o)
}

fn dict_entry<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key).ok().and_then(|o| resolve(doc, o))
}

/// The image XObjects a page draws, directly or through Form XObjects, each once.
fn page_images(doc: &Document, page_id: ObjectId) -> Vec<&Stream> {
    let mut resources: Vec<&Dictionary> = Vec::new();
    if let Ok((inline, ids)) = doc.get_page_resources(page_id) {
        resources.extend(inline);
        resources.extend(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()));
    }
    let mut seen: Vec<ObjectId> = Vec::new();
    let mut out = Vec::new();
    for r in resources {
        collect_images(doc, r, 0, &mut seen, &mut out);
    }
    out
}

fn collect_images<'a>(
    doc: &'a Document,
    resources: &'a Dictionary,
    depth: usize,
    seen: &mut Vec<ObjectId>,
    out: &mut Vec<&'a Stream>,
) {
    let Some(Object::Dictionary(xobjects)) = dict_entry(doc, resources, b"XObject") else {
        return;
    };
    for (_, value) in xobjects.iter() {
        if out.len() >= MAX_IMAGES_PER_PAGE {
            return;
        }
        let Object::Reference(id) = value else {
            continue;
        };
        if seen.contains(id) {
            continue;
        }
        seen.push(*id);
        let Ok(Object::Stream(stream)) = doc.get_object(*id) else {
            continue;
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => out.push(stream),
            Ok(b"Form") if depth < MAX_FORM_DEPTH => {
                if let Some(Object::Dictionary(inner)) = dict_entry(doc, &stream.dict, b"Resources")
                {
                    collect_images(doc, inner, depth + 1, seen, out);
                }
            }
            _ => {}
        }
    }
}

/// A number from a dictionary (integer or real), following references.
fn number(doc: &Document, d: &Dictionary, key: &[u8]) -> Option<f64> {
    match dict_entry(doc, d, key)? {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// Decodes one image XObject to grey: JPEG (DCTDecode), CCITT Group 4, JBIG2, or raw samples
/// (uncompressed, Flate, LZW, ASCII85) in grey, RGB, CMYK, ICC-based or indexed colour.
fn decode_pdf_image(
    doc: &Document,
    stream: &Stream,
    limits: &RasterLimits,
) -> Result<GrayImage, RasterError> {
    let d = &stream.dict;
    let side = |key: &[u8]| number(doc, d, key).map_or(0, |v| v.max(0.0) as u64);
    let (width, height) = (side(b"Width"), side(b"Height"));
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(RasterError::TooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(RasterError::Corrupt {
            detail: "an image in the PDF has no pixels".into(),
        });
    }
    let (w, h) = (width as u32, height as u32);
    let filters: Vec<Vec<u8>> = match dict_entry(doc, d, b"Filter") {
        Some(Object::Name(n)) => vec![n.clone()],
        Some(Object::Array(a)) => a
            .iter()
            .filter_map(|o| resolve(doc, o)?.as_name().ok().map(<[u8]>::to_vec))
            .collect(),
        _ => Vec::new(),
    };
    let params = match dict_entry(doc, d, b"DecodeParms") {
        Some(Object::Dictionary(p)) => Some(p),
        Some(Object::Array(a)) => a
            .last()
            .and_then(|o| resolve(doc, o))
            .and_then(|o| o.as_dict().ok()),
        _ => None,
    };
    // `/Decode [1 0]` inverts one-component images.
    let inverted = match dict_entry(doc, d, b"Decode") {
        Some(Object::Array(a)) => a
            .first()
            .and_then(|o| {
                o.as_float()
                    .ok()
                    .or_else(|| o.as_i64().ok().map(|i| i as f32))
            })
            .is_some_and(|v| v > 0.5),
        _ => false,
    };
    let mask = matches!(
        dict_entry(doc, d, b"ImageMask"),
        Some(Object::Boolean(true))
    );
    match filters.last().map(Vec::as_slice) {
        Some(b"DCTDecode" | b"DCT") if filters.len() == 1 => {
            decode_image(&stream.content, ImageFormat::Jpeg, limits)
        }
        Some(b"CCITTFaxDecode" | b"CCF") if filters.len() == 1 => {
            ccitt_image(doc, &stream.content, params, w, h, inverted)
        }
        Some(b"JBIG2Decode") if filters.len() == 1 => {
            jbig2_image(doc, &stream.content, params, limits, inverted)
        }
        Some(b"JPXDecode") => Err(RasterError::PdfImageFormat {
            format: "JPEG 2000",
        }),
        Some(b"DCTDecode" | b"DCT" | b"CCITTFaxDecode" | b"CCF" | b"JBIG2Decode") => {
            Err(RasterError::Corrupt {
                detail:
                    "an image in the PDF is compressed twice over, which breakglass does not read"
                        .into(),
            })
        }
        _ => {
            let max = usize::try_from(limits.max_unpacked_bytes).unwrap_or(usize::MAX);
            let data = stream
                .get_plain_content_with_limit(max)
                .map_err(|e| pdf_stream_error(e, limits))?;
            let colour = if mask {
                Colour::Grey
            } else {
                colour_space(doc, dict_entry(doc, d, b"ColorSpace"))?
            };
            let bits = if mask {
                1
            } else {
                number(doc, d, b"BitsPerComponent").map_or(8, |b| b as u32)
            };
            samples_to_grey(&data, w, h, bits, &colour, inverted)
        }
    }
}

/// A PDF colour space, as far as grey levels need it.
enum Colour {
    Grey,
    Rgb,
    Cmyk,
    /// Base colour space and its palette (`hival + 1` entries).
    Indexed(Box<Colour>, Vec<u8>),
}

impl Colour {
    fn components(&self) -> u32 {
        match self {
            Colour::Grey | Colour::Indexed(..) => 1,
            Colour::Rgb => 3,
            Colour::Cmyk => 4,
        }
    }

    /// Grey level of one colour given as 8-bit components.
    fn grey(&self, c: &[u8]) -> u8 {
        let luma = |r: u32, g: u32, b: u32| ((299 * r + 587 * g + 114 * b) / 1000) as u8;
        match self {
            Colour::Grey => c[0],
            Colour::Rgb => luma(c[0].into(), c[1].into(), c[2].into()),
            Colour::Cmyk => {
                let k = u32::from(c[3]);
                let ink = |v: u8| 255 - (u32::from(v) + k).min(255);
                luma(ink(c[0]), ink(c[1]), ink(c[2]))
            }
            Colour::Indexed(base, palette) => {
                let n = base.components() as usize;
                let at = usize::from(c[0]) * n;
                palette.get(at..at + n).map_or(0, |entry| base.grey(entry))
            }
        }
    }
}

fn colour_space(doc: &Document, o: Option<&Object>) -> Result<Colour, RasterError> {
    let unsupported = || RasterError::Corrupt {
        detail: "an image in the PDF uses a colour space breakglass does not read".into(),
    };
    let Some(o) = o else {
        return Err(unsupported());
    };
    match o {
        Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"CalGray" | b"G" => Ok(Colour::Grey),
            b"DeviceRGB" | b"CalRGB" | b"RGB" => Ok(Colour::Rgb),
            b"DeviceCMYK" | b"CMYK" => Ok(Colour::Cmyk),
            _ => Err(unsupported()),
        },
        Object::Array(a) => {
            let family = a.first().and_then(|f| f.as_name().ok()).unwrap_or_default();
            match family {
                b"ICCBased" => {
                    let n = a
                        .get(1)
                        .and_then(|s| resolve(doc, s))
                        .and_then(|s| s.as_stream().ok())
                        .and_then(|s| number(doc, &s.dict, b"N"));
                    match n.map(|n| n as u32) {
                        Some(1) => Ok(Colour::Grey),
                        Some(3) => Ok(Colour::Rgb),
                        Some(4) => Ok(Colour::Cmyk),
                        _ => Err(unsupported()),
                    }
                }
                b"CalGray" => Ok(Colour::Grey),
                b"CalRGB" | b"Lab" => Ok(Colour::Rgb),
                b"Indexed" | b"I" => {
                    let base = colour_space(doc, a.get(1).and_then(|b| resolve(doc, b)))?;
                    if matches!(base, Colour::Indexed(..)) {
                        return Err(unsupported());
                    }
                    let palette = match a.get(3).and_then(|l| resolve(doc, l)) {
                        Some(Object::String(s, _)) => s.clone(),
                        Some(Object::Stream(s)) => s
                            .get_plain_content_with_limit(4 * 256)
                            .map_err(|_| unsupported())?,
                        _ => return Err(unsupported()),
                    };
                    Ok(Colour::Indexed(Box::new(base), palette))
                }
                _ => Err(unsupported()),
            }
        }
        _ => Err(unsupported()),
    }
}

/// Rows of packed samples (each row starts on a byte) to grey.
fn samples_to_grey(
    data: &[u8],
    w: u32,
    h: u32,
    bits: u32,
    colour: &Colour,
    inverted: bool,
) -> Result<GrayImage, RasterError> {
    if !matches!(bits, 1 | 2 | 4 | 8 | 16) {
        return Err(RasterError::Corrupt {
            detail: format!("an image in the PDF has {bits} bits per sample"),
        });
    }
    let comps = colour.components();
    let row_bits = u64::from(w) * u64::from(comps) * u64::from(bits);
    let row_bytes =
        usize::try_from(row_bits.div_ceil(8)).map_err(|_| RasterError::TooMuchData {
            max_bytes: data.len() as u64,
        })?;
    if (data.len() as u64) < row_bytes as u64 * u64::from(h) {
        return Err(RasterError::Corrupt {
            detail: "an image in the PDF has less data than its size needs".into(),
        });
    }
    let indexed = matches!(colour, Colour::Indexed(..));
    let max = (1u32 << bits.min(8)) - 1;
    let mut out = Vec::with_capacity(w as usize * h as usize);
    let mut px = [0u8; 4];
    for row in data.chunks_exact(row_bytes).take(h as usize) {
        for x in 0..w as usize {
            for (c, slot) in px.iter_mut().enumerate().take(comps as usize) {
                let i = (x * comps as usize + c) * bits as usize;
                let v = match bits {
                    16 => u32::from(row[i / 8]),
                    8 => u32::from(row[i / 8]),
                    _ => (u32::from(row[i / 8]) >> (8 - bits as usize - i % 8)) & max,
                };
                *slot = if indexed || bits >= 8 {
                    v as u8
                } else {
                    (v * 255 / max) as u8
                };
            }
            let g = colour.grey(&px[..comps as usize]);
            out.push(if inverted && comps == 1 && !indexed {
                255 - g
            } else {
                g
            });
        }
    }
    Ok(GrayImage::from_raw(w, h, out).expect("one byte per pixel"))
}

/// CCITT Group 4 (`K < 0`), what copiers save in their black-and-white modes.
fn ccitt_image(
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

/// JBIG2 (T.88) in its PDF form, the embedded organisation (Annex D.3: segments without a file
/// header, with shared segments in an optional `/JBIG2Globals` stream): what copiers and phone
/// scan apps save in their black-and-white modes.
///
/// # Security
/// Every bitmap size the segments declare (the page, every region) is checked against the
/// limits before the decoder allocates anything (see [`check_jbig2_sizes`]); the decoder
/// forbids unsafe code, and a panic in it is caught with the rest of the PDF reader.
fn jbig2_image(
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
    if width * height > limits.max_pixels {
        return Err(RasterError::TooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    if region {
        *region_bytes += width.div_ceil(32) * 4 * height;
        // A halftone region's grid (T.88 §7.4.5.1.2, after the region information and one
        // byte of flags) is decoded to one 32-bit grey value a cell, plus a bit plane.
        if JBIG2_HALFTONES.contains(&kind)
            && let Some(grid) = body.get(18..26)
        {
            let width = u64::from(u32::from_be_bytes([grid[0], grid[1], grid[2], grid[3]]));
            let height = u64::from(u32::from_be_bytes([grid[4], grid[5], grid[6], grid[7]]));
            if width * height > limits.max_pixels {
                return Err(RasterError::TooLarge {
                    width,
                    height,
                    max_pixels: limits.max_pixels,
                });
            }
            *region_bytes += width * height * 5;
        }
        if *region_bytes > limits.max_unpacked_bytes {
            return Err(RasterError::TooMuchData {
                max_bytes: limits.max_unpacked_bytes,
            });
        }
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
    if width * height > limits.max_pixels {
        return Err(RasterError::TooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    *region_bytes += width.div_ceil(32) * 4 * height;
    if *region_bytes > limits.max_unpacked_bytes {
        return Err(RasterError::TooMuchData {
            max_bytes: limits.max_unpacked_bytes,
        });
    }
    Ok(())
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

/// Checks the whole PDF before any page is read: every image's declared size, and the bytes
/// its compressed streams unpack to (counted by inflating each once, output discarded).
fn check_pdf_limits(doc: &Document, limits: &RasterLimits) -> Result<(), RasterError> {
    let mut unpacked: u64 = 0;
    for object in doc.objects.values() {
        let Object::Stream(stream) = object else {
            continue;
        };
        let d = &stream.dict;
        if d.get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Image")
        {
            let side = |key: &[u8]| number(doc, d, key).map_or(0, |v| v.max(0.0) as u64);
            let (width, height) = (side(b"Width"), side(b"Height"));
            if width.saturating_mul(height) > limits.max_pixels {
                return Err(RasterError::TooLarge {
                    width,
                    height,
                    max_pixels: limits.max_pixels,
                });
            }
        }
        if stream
            .filters()
            .is_ok_and(|f| f.first() == Some(&&b"FlateDecode"[..]))
        {
            let budget = limits.max_unpacked_bytes.saturating_sub(unpacked);
            unpacked += inflated_len(&stream.content, budget).ok_or(RasterError::TooMuchData {
                max_bytes: limits.max_unpacked_bytes,
            })?;
        }
    }
    Ok(())
}

/// The length of the zlib stream `data` unpacks to, or `None` once it passes `budget`.
/// Damaged data counts as far as it unpacks (the renderer will see the same).
/// Streams without a zlib header are tried as raw deflate, as PDF readers do.
fn inflated_len(data: &[u8], budget: u64) -> Option<u64> {
    let zlib = counted(flate2::read::ZlibDecoder::new(data), budget)?;
    if zlib > 0 {
        return Some(zlib);
    }
    counted(flate2::read::DeflateDecoder::new(data), budget)
}

fn counted(mut decoder: impl Read, budget: u64) -> Option<u64> {
    let mut buf = vec![0u8; 64 << 10];
    let mut total: u64 = 0;
    loop {
        match decoder.read(&mut buf) {
            Ok(0) | Err(_) => return Some(total),
            Ok(n) => {
                total += n as u64;
                if total > budget {
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, jbig2, pdf, stream};
    use image::{DynamicImage, Luma};
    use std::io::Write;
    use std::time::Duration;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    /// Every page of `bytes`, or the error.
    fn all_pages(bytes: &[u8], limits: &RasterLimits) -> Result<Vec<Page>, RasterError> {
        let mut out = Vec::new();
        pages(bytes, limits, later(), &mut |p| {
            out.push(p);
            true
        })?;
        Ok(out)
    }

    fn pattern(w: u32, h: u32, seed: u8) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            Luma([((x * 7 + y * 3) as u8).wrapping_add(seed)])
        })
    }

    fn encode(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageLuma8(img.clone())
            .write_to(&mut out, format)
            .unwrap();
        out.into_inner()
    }

    /// A PDF of `n` A4 pages sharing one content stream `content` (object 3).
    fn pdf_pages(n: usize, content: Vec<u8>, extra: Vec<Vec<u8>>) -> Vec<u8> {
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

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        let img = pattern(8, 8, 0);
        for (format, expected) in [
            (ImageFormat::Png, Format::Png),
            (ImageFormat::Jpeg, Format::Jpeg),
            (ImageFormat::Tiff, Format::Tiff),
            (ImageFormat::Bmp, Format::Bmp),
            (ImageFormat::WebP, Format::WebP),
            (ImageFormat::Pnm, Format::Pnm),
        ] {
            assert_eq!(detect(&encode(&img, format)), Some(expected), "{format:?}");
        }
        assert_eq!(
            detect(b"P1\n# scanimage\n3 2\n0 1 0\n1 0 1\n"),
            Some(Format::Pnm)
        );
        assert_eq!(detect(b"P7\nWIDTH 1\n"), Some(Format::Pnm));
        assert_eq!(detect(b"junk\n%PDF-1.4\n"), Some(Format::Pdf));
        assert_eq!(
            detect(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Some(Format::Heif)
        );
        assert_eq!(
            detect(b"\0\0\0\x18ftypmif1\0\0\0\0mif1avif"),
            Some(Format::Avif)
        );
        // Share text is not an image, even where it starts like a PBM header.
        for text in [
            &b"P14N8MR 01 ABCD EFGH\n"[..],
            b"P1 4N8MR\n",
            b"# breakglass share\n",
            b"BM is not a bitmap",
            b"\0\0\0\x18ftypisom\0\0\0\0isommp41",
        ] {
            assert_eq!(detect(text), None, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn integer_grey_matches_images_own_conversion() {
        use image::{ImageBuffer, LumaA, Rgb, Rgba};
        let rgb = ImageBuffer::from_fn(64, 48, |x, y| {
            Rgb([(x * 4) as u8, (y * 5) as u8, ((x * y) % 256) as u8])
        });
        let rgba = ImageBuffer::from_fn(64, 48, |x, y| {
            Rgba([
                (y * 5) as u8,
                (x * 4) as u8,
                ((x + y) * 3) as u8,
                (x * 2) as u8,
            ])
        });
        let luma_a = ImageBuffer::from_fn(64, 48, |x, y| LumaA([(x + y * 3) as u8, 7]));
        let luma16 = ImageBuffer::from_fn(64, 48, |x, y| Luma([(x * 1000 + y * 7) as u16]));
        for img in [
            DynamicImage::ImageRgb8(rgb),
            DynamicImage::ImageRgba8(rgba),
            DynamicImage::ImageLumaA8(luma_a),
            DynamicImage::ImageLuma16(luma16),
            DynamicImage::ImageLuma8(pattern(64, 48, 9)),
        ] {
            let theirs = img.to_luma8();
            let ours = to_grey(img);
            assert_eq!(ours.dimensions(), theirs.dimensions());
            for (a, b) in ours.as_raw().iter().zip(theirs.as_raw()) {
                assert!(a.abs_diff(*b) <= 1, "{a} against {b}");
            }
        }
    }

    #[test]
    fn single_image_formats_decode_to_the_same_grey_pixels() {
        let img = pattern(40, 30, 5);
        for format in [
            ImageFormat::Png,
            ImageFormat::Bmp,
            ImageFormat::Pnm,
            ImageFormat::Tiff,
            ImageFormat::WebP,
        ] {
            let got = all_pages(&encode(&img, format), &RasterLimits::default()).unwrap();
            assert_eq!(got.len(), 1, "{format:?}");
            assert_eq!(got[0].number, 1);
            assert_eq!(pixels(&got[0]), &img, "{format:?}");
        }
    }

    #[test]
    fn every_page_of_a_tiff_is_read_in_order() {
        let imgs = [pattern(16, 8, 0), pattern(9, 5, 100), pattern(4, 12, 200)];
        let got = all_pages(&testkit::tiff(&imgs, false), &RasterLimits::default()).unwrap();
        assert_eq!(got.len(), 3);
        for (i, (page, img)) in got.iter().zip(&imgs).enumerate() {
            assert_eq!(page.number, i + 1);
            assert_eq!(pixels(page), img, "page {}", i + 1);
        }
        // The callback stops the reading.
        let mut seen = 0;
        pages(
            &testkit::tiff(&imgs, false),
            &RasterLimits::default(),
            later(),
            &mut |_| {
                seen += 1;
                false
            },
        )
        .unwrap();
        assert_eq!(seen, 1);
    }

    #[test]
    fn tiff_limits_and_damage_are_errors() {
        let imgs = [pattern(4, 4, 0), pattern(4, 4, 1), pattern(4, 4, 2)];
        let two = RasterLimits {
            max_pages: 2,
            ..RasterLimits::default()
        };
        assert!(matches!(
            all_pages(&testkit::tiff(&imgs, false), &two),
            Err(RasterError::TooManyPages { max_pages: 2 })
        ));
        assert!(matches!(
            all_pages(&testkit::tiff(&imgs, true), &RasterLimits::default()),
            Err(RasterError::Corrupt { .. })
        ));
        let bytes = testkit::tiff(&imgs, false);
        assert!(matches!(
            all_pages(&bytes[..bytes.len() - 20], &RasterLimits::default()),
            Err(RasterError::Corrupt { .. })
        ));
        let small = RasterLimits {
            max_pixels: 15,
            ..RasterLimits::default()
        };
        assert!(matches!(
            all_pages(&bytes, &small),
            Err(RasterError::TooLarge {
                width: 4,
                height: 4,
                ..
            })
        ));
    }

    #[test]
    fn heic_and_avif_are_refused_with_a_way_to_convert() {
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        let e = all_pages(heic, &RasterLimits::default()).unwrap_err();
        assert!(matches!(e, RasterError::NeedsConversion { format: "HEIC" }));
        let text = e.to_string();
        assert!(text.contains("heif-convert photo.heic photo.jpg"), "{text}");
        assert!(text.contains("JPEG"), "{text}");
        let avif = b"\0\0\0\x18ftypavif\0\0\0\0mif1avif";
        let e = all_pages(avif, &RasterLimits::default()).unwrap_err();
        assert!(e.to_string().contains("photo.avif"), "{e}");
        assert!(matches!(
            all_pages(b"hello", &RasterLimits::default()),
            Err(RasterError::NotAnImage)
        ));
    }

    fn pixels(page: &Page) -> &GrayImage {
        match &page.content {
            PageContent::Pixels(p) => p,
            PageContent::SheetText(_) => panic!("page {} is text", page.number),
        }
    }

    #[test]
    fn a_scanned_pdfs_page_images_are_decoded() {
        // 1-bit grey, Flate, /Decode [1 0]: set bits are black. A 4 x 2 checkerboard.
        let raw = deflate(&[0b1010_0000, 0b0101_0000]);
        let image = stream(
            "/Type /XObject /Subtype /Image /Width 4 /Height 2 /ColorSpace /DeviceGray \
             /BitsPerComponent 1 /Decode [1 0] /Filter /FlateDecode",
            &raw,
        );
        let content = stream("", b"q 595 0 0 842 0 0 cm /Im0 Do Q");
        let got = all_pages(
            &pdf_pages(2, content, vec![image]),
            &RasterLimits::default(),
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].number, 2);
        assert_eq!(pixels(&got[0]).as_raw(), &[0, 255, 0, 255, 255, 0, 255, 0]);
        // RGB samples become grey.
        let rgb = stream(
            "/Type /XObject /Subtype /Image /Width 2 /Height 1 /ColorSpace /DeviceRGB \
             /BitsPerComponent 8",
            &[255, 255, 255, 255, 0, 0],
        );
        let got = all_pages(
            &pdf_pages(1, stream("", b""), vec![rgb]),
            &RasterLimits::default(),
        )
        .unwrap();
        assert_eq!(pixels(&got[0]).as_raw(), &[255, 76]);
    }

    /// CCITT Group 4 data of a `w` x `h` bitmap whose pixel (x, y) is black where `black` says.
    fn g4(w: u16, h: u16, black: impl Fn(u16, u16) -> bool) -> Vec<u8> {
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
            &pdf_pages(1, stream("", b""), vec![image]),
            &RasterLimits::default(),
        )
        .unwrap();
        let row = [0, 0, 0, 0, 255, 255, 255, 255];
        assert_eq!(pixels(&got[0]).as_raw(), &[row, row].concat());
    }

    /// An embedded JBIG2 page (T.88 Annex D.3): page information, then one immediate lossless
    /// generic region with MMR = 1, whose data is CCITT Group 4 (§6.2.6): the simplest stream
    /// an encoder writes.
    fn jbig2_mmr_page(w: u16, h: u16, black: impl Fn(u16, u16) -> bool) -> Vec<u8> {
        let (w32, h32) = (u32::from(w), u32::from(h));
        let mut region = jbig2::region(w32, h32);
        region.push(0x01); // MMR
        region.extend(g4(w, h, black));
        let mut page = jbig2::segment(0, 48, 1, &[], &jbig2::page_information(w32, h32));
        page.extend(jbig2::segment(1, 39, 1, &[], &region));
        page
    }

    fn jbig2_pdf(dict: &str, data: &[u8], extra: Vec<Vec<u8>>) -> Vec<u8> {
        let image = stream(
            &format!("/Type /XObject /Subtype /Image /Filter /JBIG2Decode {dict}"),
            data,
        );
        let mut objects = vec![image];
        objects.extend(extra);
        pdf_pages(1, stream("", b""), objects)
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

    #[test]
    fn pdf_bombs_are_refused_before_rendering() {
        let image = |w: u32, h: u32| {
            stream(
                &format!(
                    "/Type /XObject /Subtype /Image /Width {w} /Height {h} \
                     /ColorSpace /DeviceGray /BitsPerComponent 8"
                ),
                b"\0",
            )
        };
        let plain = stream("", b"q 10 0 0 10 0 0 cm /Im0 Do Q");
        // An image claiming 40 Gpx.
        let e = all_pages(
            &pdf_pages(1, plain.clone(), vec![image(200_000, 200_000)]),
            &RasterLimits::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                RasterError::TooLarge {
                    width: 200_000,
                    height: 200_000,
                    ..
                }
            ),
            "{e:?}"
        );
        // A content stream that unpacks to 3 MiB against a 2 MiB limit.
        let zeros = deflate(&vec![b' '; 3 << 20]);
        assert!(zeros.len() < 20_000);
        let bomb = stream("/Filter /FlateDecode", &zeros);
        let limits = RasterLimits {
            max_unpacked_bytes: 2 << 20,
            ..RasterLimits::default()
        };
        let e = all_pages(&pdf_pages(1, bomb.clone(), vec![image(1, 1)]), &limits).unwrap_err();
        assert!(matches!(e, RasterError::TooMuchData { .. }), "{e:?}");
        assert!(e.to_string().contains("2 MiB"), "{e}");
        // The same stream within a larger limit is fine.
        let roomy = RasterLimits {
            max_unpacked_bytes: 4 << 20,
            ..RasterLimits::default()
        };
        assert_eq!(
            all_pages(&pdf_pages(1, bomb, vec![image(1, 1)]), &roomy)
                .unwrap()
                .len(),
            1
        );
        // Too many pages.
        let few = RasterLimits {
            max_pages: 3,
            ..RasterLimits::default()
        };
        assert!(matches!(
            all_pages(&pdf_pages(4, plain, vec![image(1, 1)]), &few),
            Err(RasterError::TooManyPages { max_pages: 3 })
        ));
        // Not a PDF after all.
        assert!(matches!(
            all_pages(b"%PDF-1.4\nnothing else", &RasterLimits::default()),
            Err(RasterError::Corrupt { .. })
        ));
    }
}

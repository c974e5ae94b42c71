//! Rasterising layer: the bytes of any file a scanner, copier or phone saves, in; grey pages out.
//!
//! Office copiers save PDF (JPEG, CCITT G4 or JBIG2 inside, often several pages), `scanimage`
//! saves PNM, some scanners TIFF, phones JPEG, PNG, WebP or HEIC. The format is told by the
//! file's first bytes, never by its name. Every format gets the same limits (pages, pixels per
//! page, bytes unpacked), checked before the expensive step: a PDF bomb is an image bomb.
//! HEIC and AVIF are recognised and refused with a way to convert them.
//!
//! The module does no file I/O and prints nothing; pages are handed to a callback one at a time
//! so that only one decoded page is held at once.

use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::object::{Dict, Object};
use hayro::hayro_syntax::{Filter, LoadPdfError, Pdf};
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use image::{GrayImage, ImageError, ImageFormat, ImageReader};

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

/// One decoded page.
#[derive(Debug)]
pub struct Page {
    /// 1-based page number in the file.
    pub number: usize,
    /// The page in 8-bit grey.
    pub pixels: GrayImage,
    /// The page's own text says it is page 2 of a breakglass sheet (no QR code by design).
    /// Only a sheet PDF can say so; a scan of the page cannot.
    pub sheet_page_two: bool,
}

/// Text that only page 2 of a breakglass sheet carries, above its typed vault block.
const SHEET_PAGE_TWO_MARKER: &[u8] = b"VAULT typed fallback";

/// A file format recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
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
    /// The PDF renderer panicked (a bug in it, caught).
    #[error(
        "the PDF renderer crashed on page {page}: save the page as a PNG or JPEG image (or \
         rescan it) and try again"
    )]
    RendererCrashed {
        /// 1-based page number.
        page: usize,
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
                pixels: decode_image(bytes, format, limits)?,
                sheet_page_two: false,
            });
            Ok(1)
        }
    }
}

/// Decodes one image with the `image` crate, refusing oversized images before their pixels
/// are decoded.
fn decode_image(
    bytes: &[u8],
    format: ImageFormat,
    limits: &RasterLimits,
) -> Result<GrayImage, RasterError> {
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
    Ok(decoded.into_luma8())
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

/// Every page of a TIFF: the `image` crate reads the first image of a file, so page n is read
/// from a copy whose header points at the n-th image directory.
fn tiff_pages(
    bytes: &[u8],
    limits: &RasterLimits,
    deadline: Instant,
    page: &mut dyn FnMut(Page) -> bool,
) -> Result<usize, RasterError> {
    let offsets = tiff_directories(bytes, limits.max_pages)?;
    let pages = offsets.len();
    for (i, &offset) in offsets.iter().enumerate() {
        if i > 0 && Instant::now() >= deadline {
            return Err(RasterError::TimedOut { done: i, pages });
        }
        let img = if i == 0 {
            decode_image(bytes, ImageFormat::Tiff, limits)?
        } else {
            let mut copy = bytes.to_vec();
            let big = bytes[2] == 43 || bytes[3] == 43;
            let le = bytes[0] == b'I';
            if big {
                let v = if le {
                    offset.to_le_bytes()
                } else {
                    offset.to_be_bytes()
                };
                copy[8..16].copy_from_slice(&v);
            } else {
                let o = u32::try_from(offset).expect("classic TIFF offsets are 32-bit");
                let v = if le { o.to_le_bytes() } else { o.to_be_bytes() };
                copy[4..8].copy_from_slice(&v);
            }
            decode_image(&copy, ImageFormat::Tiff, limits)?
        };
        let number = i + 1;
        if !page(Page {
            number,
            pixels: img,
            sheet_page_two: false,
        }) {
            break;
        }
    }
    Ok(pages)
}

/// Offsets of the image directories of a TIFF (classic or BigTIFF), in order.
fn tiff_directories(bytes: &[u8], max_pages: usize) -> Result<Vec<u64>, RasterError> {
    let corrupt = |what: &str| RasterError::Corrupt {
        detail: format!("TIFF {what}"),
    };
    let le = bytes[0] == b'I';
    let read = |at: u64, len: usize| -> Result<u64, RasterError> {
        let at = usize::try_from(at).map_err(|_| corrupt("offset out of range"))?;
        let b = bytes
            .get(at..at.saturating_add(len))
            .ok_or_else(|| corrupt("directory beyond the end of the file"))?;
        let mut v = [0u8; 8];
        if le {
            v[..len].copy_from_slice(b);
            Ok(u64::from_le_bytes(v))
        } else {
            v[8 - len..].copy_from_slice(b);
            Ok(u64::from_be_bytes(v))
        }
    };
    let big = read(2, 2)? == 43;
    let (count_len, entry_len, offset_len) = if big { (8, 20, 8) } else { (2, 12, 4) };
    let mut next = read(if big { 8 } else { 4 }, offset_len)?;
    let mut offsets = Vec::new();
    while next != 0 {
        if offsets.contains(&next) {
            return Err(corrupt("directories form a loop"));
        }
        if offsets.len() == max_pages {
            return Err(RasterError::TooManyPages { max_pages });
        }
        offsets.push(next);
        let count = read(next, count_len)?;
        let after = count
            .checked_mul(entry_len)
            .and_then(|n| n.checked_add(next + count_len as u64))
            .ok_or_else(|| corrupt("directory too long"))?;
        next = read(after, offset_len)?;
    }
    if offsets.is_empty() {
        return Err(corrupt("file has no image"));
    }
    Ok(offsets)
}

/// Resolution pages of a PDF are rendered at: enough for the densest breakglass code at a few
/// pixels per module, and for a copier's 300-dpi scan to keep its detail.
const PDF_DPI: f32 = 200.0;
/// Long side of a rendered page at most (a page whose size in points is huge, as phone apps
/// write one point per photo pixel, is rendered at about its native resolution instead).
const PDF_MAX_LONG_SIDE: f32 = 4000.0;

/// Every page of a PDF, rendered by hayro after the limits were checked on the whole file.
fn pdf_pages(
    bytes: &[u8],
    limits: &RasterLimits,
    deadline: Instant,
    page: &mut dyn FnMut(Page) -> bool,
) -> Result<usize, RasterError> {
    let pdf = match Pdf::new(bytes.to_vec()) {
        Ok(pdf) => pdf,
        Err(LoadPdfError::Decryption(_)) => return Err(RasterError::Encrypted),
        Err(LoadPdfError::Invalid) => {
            return Err(RasterError::Corrupt {
                detail: "not a readable PDF".into(),
            });
        }
    };
    check_pdf_limits(&pdf, limits)?;
    let all = pdf.pages();
    let pages = all.len();
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
    let cache = RenderCache::new();
    let interpreter = InterpreterSettings::default();
    let render = RenderSettings::default();
    for (i, p) in all.iter().enumerate() {
        if i > 0 && Instant::now() >= deadline {
            return Err(RasterError::TimedOut { done: i, pages });
        }
        let (w, h) = p.render_dimensions();
        let scale = page_scale(w, h, limits.max_pixels);
        let settings = PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: hayro::vello_cpu::color::palette::css::WHITE,
        };
        let pixmap = catch_unwind(AssertUnwindSafe(|| {
            hayro::render(p, &cache, &interpreter, &render, &settings)
        }))
        .map_err(|_| RasterError::RendererCrashed { page: i + 1 })?;
        let (pw, ph) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
        if pw == 0 || ph == 0 {
            return Err(RasterError::Corrupt {
                detail: format!("page {} has no area", i + 1),
            });
        }
        // The background is opaque white, so premultiplied colour is plain colour.
        let grey: Vec<u8> = pixmap
            .data()
            .iter()
            .map(|px| {
                let y = 299 * u32::from(px.r) + 587 * u32::from(px.g) + 114 * u32::from(px.b);
                u8::try_from(y / 1000).expect("a weighted mean of bytes is a byte")
            })
            .collect();
        let pixels = GrayImage::from_raw(pw, ph, grey).expect("one byte per pixel");
        let sheet_page_two = p.page_stream().is_some_and(|text| {
            text.windows(SHEET_PAGE_TWO_MARKER.len())
                .any(|w| w == SHEET_PAGE_TWO_MARKER)
        });
        if !page(Page {
            number: i + 1,
            pixels,
            sheet_page_two,
        }) {
            break;
        }
    }
    Ok(pages)
}

/// The scale from points to pixels for a page of `w` x `h` points.
fn page_scale(w: f32, h: f32, max_pixels: u64) -> f32 {
    let (w, h) = (w.max(1.0), h.max(1.0));
    let mut scale = PDF_DPI / 72.0;
    scale = scale
        .min(PDF_MAX_LONG_SIDE / w.max(h))
        .max(f32::MIN_POSITIVE);
    // The renderer's sides are 16-bit, and the page must stay within the pixel limit.
    scale = scale.min(f32::from(u16::MAX - 1) / w.max(h));
    let pixels = f64::from(w * scale) * f64::from(h * scale);
    if pixels > max_pixels as f64 {
        scale *= (max_pixels as f64 / pixels).sqrt() as f32;
    }
    scale
}

/// Checks the whole PDF before any page is rendered: every image's declared size, and the
/// bytes its compressed streams unpack to (counted by inflating each once, output discarded).
fn check_pdf_limits(pdf: &Pdf, limits: &RasterLimits) -> Result<(), RasterError> {
    let mut unpacked: u64 = 0;
    for object in pdf.objects() {
        let Object::Stream(stream) = object else {
            continue;
        };
        check_image_size(stream.dict(), limits)?;
        let filters = stream.filters();
        if filters.first() == Some(&Filter::FlateDecode) {
            let budget = limits.max_unpacked_bytes.saturating_sub(unpacked);
            unpacked +=
                inflated_len(&stream.raw_data(), budget).ok_or(RasterError::TooMuchData {
                    max_bytes: limits.max_unpacked_bytes,
                })?;
        }
    }
    Ok(())
}

fn check_image_size(dict: &Dict<'_>, limits: &RasterLimits) -> Result<(), RasterError> {
    let side = |key: &str| dict.get::<f64>(key).map_or(0, |v| v.max(0.0) as u64);
    let (width, height) = (side("Width"), side("Height"));
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(RasterError::TooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
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

    /// An uncompressed little-endian grey TIFF with one directory per image; `loop_back` makes
    /// the last directory point at the first.
    fn tiff(images: &[GrayImage], loop_back: bool) -> Vec<u8> {
        let mut out = b"II*\0\0\0\0\0".to_vec();
        let mut link_at = 4usize;
        let mut first_ifd = 0u32;
        for img in images {
            let data_at = out.len() as u32;
            out.extend_from_slice(img.as_raw());
            if out.len() % 2 == 1 {
                out.push(0);
            }
            let ifd_at = out.len() as u32;
            if first_ifd == 0 {
                first_ifd = ifd_at;
            }
            out[link_at..link_at + 4].copy_from_slice(&ifd_at.to_le_bytes());
            let entries: [(u16, u16, u32); 8] = [
                (256, 4, img.width()),
                (257, 4, img.height()),
                (258, 3, 8),
                (259, 3, 1),
                (262, 3, 1),
                (273, 4, data_at),
                (278, 4, img.height()),
                (279, 4, img.as_raw().len() as u32),
            ];
            out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
            for (tag, kind, value) in entries {
                out.extend_from_slice(&tag.to_le_bytes());
                out.extend_from_slice(&kind.to_le_bytes());
                out.extend_from_slice(&1u32.to_le_bytes());
                if kind == 3 {
                    out.extend_from_slice(&(value as u16).to_le_bytes());
                    out.extend_from_slice(&[0, 0]);
                } else {
                    out.extend_from_slice(&value.to_le_bytes());
                }
            }
            link_at = out.len();
            out.extend_from_slice(&[0; 4]);
        }
        if loop_back {
            out[link_at..link_at + 4].copy_from_slice(&first_ifd.to_le_bytes());
        }
        out
    }

    /// A PDF of the given objects (numbered from 1; object 1 is the catalog), with a correct
    /// cross-reference table.
    fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend(format!("{} 0 obj\n", i + 1).bytes());
            out.extend_from_slice(o);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for o in offsets {
            out.extend(format!("{o:010} 00000 n \n").bytes());
        }
        out.extend(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .bytes(),
        );
        out
    }

    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        o.extend_from_slice(data);
        o.extend_from_slice(b"\nendstream");
        o
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
            assert_eq!(got[0].pixels, img, "{format:?}");
        }
    }

    #[test]
    fn every_page_of_a_tiff_is_read_in_order() {
        let imgs = [pattern(16, 8, 0), pattern(9, 5, 100), pattern(4, 12, 200)];
        let got = all_pages(&tiff(&imgs, false), &RasterLimits::default()).unwrap();
        assert_eq!(got.len(), 3);
        for (i, (page, img)) in got.iter().zip(&imgs).enumerate() {
            assert_eq!(page.number, i + 1);
            assert_eq!(&page.pixels, img, "page {}", i + 1);
        }
        // The callback stops the reading.
        let mut seen = 0;
        pages(
            &tiff(&imgs, false),
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
            all_pages(&tiff(&imgs, false), &two),
            Err(RasterError::TooManyPages { max_pages: 2 })
        ));
        assert!(matches!(
            all_pages(&tiff(&imgs, true), &RasterLimits::default()),
            Err(RasterError::Corrupt { .. })
        ));
        let bytes = tiff(&imgs, false);
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

    #[test]
    fn a_pdf_page_is_rendered_at_200_dpi() {
        // A black square in the middle of an A4 page; a 1x1 image so /Im0 resolves.
        let content = stream("", b"0 g 247.5 371 100 100 re f");
        let image = stream(
            "/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray \
             /BitsPerComponent 8",
            b"\xff",
        );
        let got = all_pages(
            &pdf_pages(2, content, vec![image]),
            &RasterLimits::default(),
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        let page = &got[1].pixels;
        assert_eq!(got[1].number, 2);
        assert_eq!((page.width(), page.height()), (1652, 2338));
        assert_eq!(page.get_pixel(826, 1169)[0], 0, "the square is black");
        assert_eq!(page.get_pixel(20, 20)[0], 255, "the paper is white");
        assert!(!got[0].sheet_page_two);
    }

    #[test]
    fn a_sheet_pdfs_page_two_says_so() {
        let content = stream("", b"BT /F1 12 Tf 72 700 Td (VAULT typed fallback) Tj ET");
        let image = stream(
            "/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray \
             /BitsPerComponent 8",
            b"\xff",
        );
        let got = all_pages(
            &pdf_pages(1, content, vec![image]),
            &RasterLimits::default(),
        )
        .unwrap();
        assert!(got[0].sheet_page_two);
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

    #[test]
    fn page_scale_keeps_pages_within_the_limits() {
        // A4 at 200 dpi.
        assert!((page_scale(595.0, 842.0, 100_000_000) - 200.0 / 72.0).abs() < 1e-6);
        // A phone app's page, one point per photo pixel: about native resolution.
        let s = page_scale(3000.0, 4000.0, 100_000_000);
        assert!((4000.0 * s - 4000.0).abs() < 1.0, "{s}");
        // The pixel limit wins over the resolution.
        let s = page_scale(595.0, 842.0, 1_000_000);
        assert!(
            f64::from(595.0 * s) * f64::from(842.0 * s) <= 1_000_001.0,
            "{s}"
        );
    }
}

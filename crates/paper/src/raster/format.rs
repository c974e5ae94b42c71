//! Telling a file's format by its first bytes (magic numbers), never by its name.

use image::ImageFormat;

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
    pub(super) fn image_format(self) -> Option<ImageFormat> {
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::raster::*;

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
}

//! One-image files (PNG, JPEG, PNM, BMP, WebP, and the JPEG inside a PDF) decoded with the
//! `image` crate to 8-bit grey, their size checked before their pixels are decoded.

use std::io::Cursor;

use image::{GrayImage, ImageError, ImageFormat, ImageReader};

use super::{RasterError, RasterLimits};

/// Decodes one image with the `image` crate, refusing oversized images before their pixels
/// are decoded.
pub(crate) fn decode_image(
    bytes: &[u8],
    format: ImageFormat,
    limits: &RasterLimits,
) -> Result<GrayImage, RasterError> {
    if format == ImageFormat::Jpeg
        && let Some(grey) = jpeg_luma(bytes, limits)
    {
        return grey;
    }
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

/// A YCbCr or grey JPEG decoded straight to 8-bit grey: the decoder decodes the luma channel
/// only, skipping the chroma channels and the conversion to RGB (grey is then the JPEG's own
/// Y, BT.601). `None` for any other JPEG (CMYK, YCCK, unreadable header), which `image`
/// decodes as before. The size is checked against the limits before a pixel is decoded.
fn jpeg_luma(bytes: &[u8], limits: &RasterLimits) -> Option<Result<GrayImage, RasterError>> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    // As `image` configures it: lenient, as viewers are, and sizes checked here.
    let options = DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().ok()?;
    if !matches!(
        decoder.input_colorspace()?,
        ColorSpace::YCbCr | ColorSpace::Luma
    ) {
        return None;
    }
    let (width, height) = decoder.dimensions()?;
    let (width, height) = (u32::try_from(width).ok()?, u32::try_from(height).ok()?);
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Some(Err(RasterError::TooLarge {
            width: width.into(),
            height: height.into(),
            max_pixels: limits.max_pixels,
        }));
    }
    if width == 0 || height == 0 {
        return Some(Err(RasterError::Corrupt {
            detail: "the image has no pixels".into(),
        }));
    }
    Some(match decoder.decode() {
        Ok(grey) => GrayImage::from_raw(width, height, grey).ok_or_else(|| RasterError::Corrupt {
            detail: "the JPEG decoder gave fewer pixels than the image's size".into(),
        }),
        Err(e) => Err(RasterError::Corrupt {
            detail: format!("JPEG: {e}"),
        }),
    })
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::raster::*;

    use image::{DynamicImage, Luma};

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
    fn a_colour_jpeg_is_decoded_straight_to_its_luma_channel() {
        use image::{ImageBuffer, Rgb};
        // A page photographed under warm light: grey levels with a tint (the luma weights of
        // BT.601, the JPEG's own Y, and BT.709, what `image` uses, differ on saturated colours
        // only).
        let rgb = ImageBuffer::from_fn(96, 64, |x, y| {
            let v = ((x * 2 + y * 3) % 256) as u8;
            Rgb([v.saturating_add(9), v, v.saturating_sub(14)])
        });
        let mut jpeg = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(rgb)
            .write_to(&mut jpeg, ImageFormat::Jpeg)
            .unwrap();
        let jpeg = jpeg.into_inner();
        let ours = decode_image(&jpeg, ImageFormat::Jpeg, &RasterLimits::default()).unwrap();
        // The decoder's luma channel, as it is: no RGB in between.
        let options = zune_core::options::DecoderOptions::default()
            .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::Luma);
        let luma = zune_jpeg::JpegDecoder::new_with_options(
            zune_core::bytestream::ZCursor::new(&jpeg[..]),
            options,
        )
        .decode()
        .unwrap();
        assert_eq!(ours.as_raw(), &luma);
        // And the grey levels are those `image` gives the colour picture, within JPEG noise.
        let theirs = image::load_from_memory(&jpeg).unwrap().to_luma8();
        assert_eq!(ours.dimensions(), theirs.dimensions());
        let worst = ours
            .as_raw()
            .iter()
            .zip(theirs.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 4, "{worst}");
        // Its size is still checked before its pixels are decoded.
        let small = RasterLimits {
            max_pixels: 96 * 64 - 1,
            ..RasterLimits::default()
        };
        assert!(matches!(
            decode_image(&jpeg, ImageFormat::Jpeg, &small),
            Err(RasterError::TooLarge {
                width: 96,
                height: 64,
                ..
            })
        ));
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
}

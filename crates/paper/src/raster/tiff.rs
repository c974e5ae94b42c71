//! Every page of a TIFF (the `image` crate reads only the first), each checked against the
//! limits before its pixels are decoded.

use std::io::Cursor;
use std::time::Instant;

use image::GrayImage;

use super::{Page, PageContent, RasterError, RasterLimits};

/// Every page of a TIFF, read with the `tiff` crate's own walk of the image directories
/// (`more_images`/`next_image`, which refuses a chain that loops): the pages are counted
/// first, so a file with more than `max_pages` is refused before a pixel is decoded; then each
/// page is decoded once, its size checked against `max_pixels` before its pixels are.
pub(super) fn tiff_pages(
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::raster::*;
    use crate::testkit::{self};

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
}

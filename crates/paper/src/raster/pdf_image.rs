//! One image XObject of a scanned PDF page to grey: raw samples (uncompressed, Flate, LZW,
//! ASCII85) in the PDF colour spaces, JPEG through [`super::picture`], CCITT Group 4 through
//! [`super::ccitt`] and JBIG2 through [`super::jbig2`].

use image::{GrayImage, ImageFormat};
use lopdf::{Document, Object, Stream};

use super::ccitt::ccitt_image;
use super::jbig2::jbig2_image;
use super::pdf_object::{dict_entry, number, pdf_stream_error, resolve};
use super::{RasterError, RasterLimits, decode_image};

/// Decodes one image XObject to grey: JPEG (DCTDecode), CCITT Group 4, JBIG2, or raw samples
/// (uncompressed, Flate, LZW, ASCII85) in grey, RGB, CMYK, ICC-based or indexed colour.
pub(super) fn decode_pdf_image(
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    use crate::raster::*;
    use crate::testkit::stream;

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
            &pdf_of_pages(2, content, vec![image]),
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
            &pdf_of_pages(1, stream("", b""), vec![rgb]),
            &RasterLimits::default(),
        )
        .unwrap();
        assert_eq!(pixels(&got[0]).as_raw(), &[255, 76]);
    }
}

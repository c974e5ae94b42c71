//! A PDF's objects: loading it with every stream it unpacks bounded, checking the whole file
//! against the limits before any page is read, the image XObjects a page draws, and reading
//! dictionary entries through references.

use std::io::Read;

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use super::{RasterError, RasterLimits};

/// How deep Form XObjects are followed to find a page's images.
const MAX_FORM_DEPTH: usize = 4;
/// Images taken from one page at most (a copier stores one per page).
const MAX_IMAGES_PER_PAGE: usize = 16;

/// Parses the PDF with every stream it must unpack while loading bounded.
pub(super) fn load_pdf(bytes: &[u8], limits: &RasterLimits) -> Result<Document, RasterError> {
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

pub(super) fn pdf_stream_error(e: lopdf::Error, limits: &RasterLimits) -> RasterError {
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
pub(super) fn resolve<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    doc.dereference(o).ok().map(|(_, o)| o)
}

pub(super) fn dict_entry<'a>(
    doc: &'a Document,
    d: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Object> {
    d.get(key).ok().and_then(|o| resolve(doc, o))
}

/// The image XObjects a page draws, directly or through Form XObjects, each once.
pub(super) fn page_images(doc: &Document, page_id: ObjectId) -> Vec<ObjectId> {
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

fn collect_images(
    doc: &Document,
    resources: &Dictionary,
    depth: usize,
    seen: &mut Vec<ObjectId>,
    out: &mut Vec<ObjectId>,
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
            Ok(b"Image") => out.push(*id),
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
pub(super) fn number(doc: &Document, d: &Dictionary, key: &[u8]) -> Option<f64> {
    match dict_entry(doc, d, key)? {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// Checks the whole PDF before any page is read: every image's declared size, and the bytes
/// its compressed streams unpack to (counted by inflating each once, output discarded).
pub(super) fn check_pdf_limits(doc: &Document, limits: &RasterLimits) -> Result<(), RasterError> {
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
    use super::super::test_support::*;

    use crate::raster::*;
    use crate::testkit::stream;

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
            &pdf_of_pages(1, plain.clone(), vec![image(200_000, 200_000)]),
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
        let e = all_pages(&pdf_of_pages(1, bomb.clone(), vec![image(1, 1)]), &limits).unwrap_err();
        assert!(matches!(e, RasterError::TooMuchData { .. }), "{e:?}");
        assert!(e.to_string().contains("2 MiB"), "{e}");
        // The same stream within a larger limit is fine.
        let roomy = RasterLimits {
            max_unpacked_bytes: 4 << 20,
            ..RasterLimits::default()
        };
        assert_eq!(
            all_pages(&pdf_of_pages(1, bomb, vec![image(1, 1)]), &roomy)
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
            all_pages(&pdf_of_pages(4, plain, vec![image(1, 1)]), &few),
            Err(RasterError::TooManyPages { max_pages: 3 })
        ));
        // Not a PDF after all.
        assert!(matches!(
            all_pages(b"%PDF-1.4\nnothing else", &RasterLimits::default()),
            Err(RasterError::Corrupt { .. })
        ));
    }
}

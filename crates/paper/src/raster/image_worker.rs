//! One PDF page image decoded on a worker thread under a wall-clock limit, as the QR decoders
//! are ([`crate::scan`]): a JBIG2 symbol dictionary's work cannot be bounded before decoding
//! (its symbol sizes are arithmetic-coded, not declared), so a hostile PDF could otherwise hold
//! recovery for as long as it likes. The compressed image filters (JBIG2, CCITT, JPEG) run
//! here; raw samples, whose work is bounded by their declared size, are decoded in place.
//!
//! At the limit the caller gets [`RasterError::ImageTookTooLong`] and goes on with the next
//! page; the worker cannot be interrupted, so it runs on (holding the parsed PDF) until its
//! decode returns. A decode waits for every such abandoned worker to end first, within its own
//! limit, so hostile pages cannot pile threads and memory up: at most one abandoned worker per
//! file being read at once. If no thread can be spawned, the image is decoded in place.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::{Duration, Instant};

use image::GrayImage;
use lopdf::{Document, Object, ObjectId};

use super::pdf_image::decode_pdf_image;
use super::pdf_object::{dict_entry, resolve};
use super::{RasterError, RasterLimits};

/// Name of the worker thread.
const WORKER_NAME: &str = "breakglass-pdf-image";

/// How many image decodes still run after their caller gave up on them.
static ABANDONED: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

fn abandoned() -> MutexGuard<'static, usize> {
    ABANDONED.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits until no abandoned decode runs, at most until `deadline`; false if one still does.
fn wait_for_abandoned(deadline: Instant) -> bool {
    let mut count = abandoned();
    while *count > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        count = ABANDONED
            .1
            .wait_timeout(count, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    true
}

/// A worker's fate, shared by the worker and its caller.
const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const GIVEN_UP: u8 = 2;

/// Held by the worker thread; on its end (also by a panic) an abandoned worker is uncounted.
struct WorkerEnd(Arc<AtomicU8>);

impl Drop for WorkerEnd {
    fn drop(&mut self) {
        if self
            .0
            .compare_exchange(RUNNING, FINISHED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            let mut count = abandoned();
            *count = count.saturating_sub(1);
            ABANDONED.1.notify_all();
        }
    }
}

/// Decodes image XObject `id` of `doc` (on page `page`): on a worker thread, refused if it does
/// not end within `limit`, when a codec compresses it; in place otherwise.
///
/// # Errors
/// As [`decode_within`], or the decode's own error.
pub(super) fn decode_page_image(
    doc: &Arc<Document>,
    id: ObjectId,
    limits: &RasterLimits,
    page: usize,
    limit: Duration,
) -> Result<GrayImage, RasterError> {
    if is_codec_image(doc, id) {
        decode_within(doc, id, limits, page, limit)
    } else {
        decode_object(doc, id, limits)
    }
}

/// Whether a codec (JBIG2, CCITT, JPEG) compresses the image: raw samples (uncompressed or
/// Flate, LZW, ASCII85 only) take time in proportion to their declared size, already checked.
fn is_codec_image(doc: &Document, id: ObjectId) -> bool {
    const CODECS: [&[u8]; 5] = [
        b"DCTDecode",
        b"DCT",
        b"CCITTFaxDecode",
        b"CCF",
        b"JBIG2Decode",
    ];
    let Ok(Object::Stream(stream)) = doc.get_object(id) else {
        return false;
    };
    let is_codec = |o: &Object| o.as_name().is_ok_and(|n| CODECS.contains(&n));
    match dict_entry(doc, &stream.dict, b"Filter") {
        Some(Object::Array(filters)) => filters
            .iter()
            .any(|f| resolve(doc, f).is_some_and(is_codec)),
        Some(filter) => is_codec(filter),
        None => false,
    }
}

/// Decodes image XObject `id` of `doc` (on page `page`) on a worker thread, refusing it if
/// the decode does not end within `limit`.
///
/// # Errors
/// [`RasterError::ImageTookTooLong`] at the limit (also when an earlier abandoned decode is
/// still running at it), [`RasterError::ReaderCrashed`] if the decoder panicked, or the
/// decode's own error.
pub(super) fn decode_within(
    doc: &Arc<Document>,
    id: ObjectId,
    limits: &RasterLimits,
    page: usize,
    limit: Duration,
) -> Result<GrayImage, RasterError> {
    let deadline = Instant::now() + limit;
    let too_long = RasterError::ImageTookTooLong {
        page,
        limit_ms: u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
    };
    if !wait_for_abandoned(deadline) {
        return Err(too_long);
    }
    let (done_tx, done_rx) = mpsc::channel();
    let fate = Arc::new(AtomicU8::new(RUNNING));
    let end = WorkerEnd(Arc::clone(&fate));
    let (worker_doc, worker_limits) = (Arc::clone(doc), limits.clone());
    let spawned = std::thread::Builder::new()
        .name(WORKER_NAME.into())
        .spawn(move || {
            let _end = end;
            let result = catch_unwind(AssertUnwindSafe(|| {
                decode_object(&worker_doc, id, &worker_limits)
            }))
            .unwrap_or(Err(RasterError::ReaderCrashed));
            // The caller may have gone: nothing to do then.
            let _ = done_tx.send((result, Instant::now()));
        });
    if spawned.is_err() {
        // No thread to be had: decode here (a panic is caught with the rest of the reader).
        return decode_object(doc, id, limits);
    }
    match done_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        // A decode that ended after the limit is refused all the same, so the outcome does not
        // hang on when the caller looked.
        Ok((result, ended)) if ended <= deadline => result,
        Ok(_) => Err(too_long),
        Err(_) => {
            // Counted under the lock, so the worker's end cannot slip between the two steps.
            let mut count = abandoned();
            if fate
                .compare_exchange(RUNNING, GIVEN_UP, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                *count += 1;
            }
            Err(too_long)
        }
    }
}

fn decode_object(
    doc: &Document,
    id: ObjectId,
    limits: &RasterLimits,
) -> Result<GrayImage, RasterError> {
    match doc.get_object(id) {
        Ok(Object::Stream(stream)) => decode_pdf_image(doc, stream, limits),
        _ => Err(RasterError::Corrupt {
            detail: "an image in the PDF cannot be found".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{PageContent, pages};
    use super::*;
    use crate::testkit::{pdf, stream};
    use breakglass_core::ErrorKind;

    #[test]
    fn an_image_past_its_time_budget_is_refused_and_the_other_pages_are_read() {
        // Page 1 a JBIG2 image, page 2 raw grey samples (decoded in place, never on the
        // worker): with no time at all, page 1 is refused, naming it, and page 2 is read.
        let jbig2 = jbig2_mmr_page(8, 2, |x, _| x < 4);
        let bits = "/Width 8 /Height 2 /ColorSpace /DeviceGray";
        let objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R 5 0 R] /Count 2 >>".to_vec(),
            stream("", b""),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R \
              /Resources << /XObject << /Im0 6 0 R >> >> >>"
                .to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R \
              /Resources << /XObject << /Im0 7 0 R >> >> >>"
                .to_vec(),
            stream(
                &format!(
                    "/Type /XObject /Subtype /Image {bits} /BitsPerComponent 1 \
                     /Filter /JBIG2Decode"
                ),
                &jbig2,
            ),
            stream(
                &format!("/Type /XObject /Subtype /Image {bits} /BitsPerComponent 8"),
                &[9u8; 16],
            ),
        ];
        let file = pdf(&objects);
        let read = |limits: &RasterLimits| {
            let mut got = Vec::new();
            let result = pages(&file, limits, later(), &mut |p| {
                got.push(p);
                true
            });
            (result, got)
        };
        // With time, both pages are read.
        let (result, got) = read(&RasterLimits::default());
        assert_eq!(result.unwrap(), 2);
        assert_eq!(got.len(), 2);
        assert_eq!(
            pixels(&got[0]).as_raw()[..8],
            [0, 0, 0, 0, 255, 255, 255, 255]
        );
        // Without, page 1 is refused by name and page 2 is still handed over.
        let none = RasterLimits {
            image_time_budget: Duration::ZERO,
            ..RasterLimits::default()
        };
        let (result, got) = read(&none);
        let error = result.unwrap_err();
        assert!(
            matches!(error, RasterError::ImageTookTooLong { page: 1, .. }),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with("page 1: took too long to decode")
        );
        assert_eq!(error.kind(), "ImageTookTooLong");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].number, 2);
        assert!(matches!(&got[0].content, PageContent::Pixels(p) if p.as_raw() == &[9u8; 16]));
    }
}

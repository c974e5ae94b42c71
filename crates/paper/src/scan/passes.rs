//! The pass ladder for one grey image, cheapest first: the image (downscaled if big), an
//! Otsu-thresholded copy, a half-size copy, full resolution, a double-size copy; each pass runs
//! both decoders ([`super::decoders`]). Runs on the worker ([`super::worker`]), which bounds it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use image::GrayImage;

use super::decoders::{decode_rqrr, decode_rxing, otsu_level};
use super::{PASS_DOUBLE, PASS_FAST, PASS_FULL, PASS_HALF, PASS_OTSU, Tuning};

/// What the pass runner tells the caller.
pub(super) enum Event {
    /// Payloads not seen before; the reply says whether to go on.
    Found(Vec<String>),
    /// A decoder panicked (caught).
    Crashed,
    /// All passes ran.
    Done,
}

/// Long side of the working copy for the first, fast pass. At ~2000 px a QR code that
/// fills a fifth of an A4 page still has several pixels per module.
pub(super) const FAST_LONG_SIDE: u32 = 2000;
/// Upscaled copies are only made while their long side stays below this.
const MAX_UPSCALED_LONG_SIDE: u32 = 4000;

/// One decoder run on one image: the texts read, or `None` if the decoder panicked.
type Decoder = fn(&GrayImage) -> Option<Vec<String>>;

/// The pass ladder, cheapest first. `report` returns false to stop.
pub(super) fn run_passes(
    full: &GrayImage,
    deadline: Instant,
    stop: &AtomicBool,
    tuning: Tuning,
    report: &mut dyn FnMut(Event) -> bool,
) {
    let mut seen: HashSet<String> = HashSet::new();
    let keep_going = || !stop.load(Ordering::Relaxed) && Instant::now() < deadline;

    // Runs both decoders on one image; returns false when the caller wants no more.
    let mut attempt = |img: &GrayImage, report: &mut dyn FnMut(Event) -> bool| -> bool {
        let decoders: [(bool, Decoder); 2] =
            [(tuning.rxing, decode_rxing), (tuning.rqrr, decode_rqrr)];
        for (enabled, decoder) in decoders {
            if !enabled {
                continue;
            }
            if !keep_going() {
                return false;
            }
            match decoder(img) {
                None => {
                    if !report(Event::Crashed) {
                        return false;
                    }
                }
                Some(texts) => {
                    let new: Vec<String> = texts
                        .into_iter()
                        .filter(|t| seen.insert(t.clone()))
                        .collect();
                    if !new.is_empty() && !report(Event::Found(new)) {
                        return false;
                    }
                }
            }
        }
        true
    };

    let long = full.width().max(full.height());
    let fast = if long > FAST_LONG_SIDE {
        Some(scale_to_long_side(full, FAST_LONG_SIDE))
    } else {
        None
    };
    let base = fast.as_ref().unwrap_or(full);

    // Order measured on ZXing's black-box photos and on degraded synthetic sheets: the
    // thresholded copy rescues most misses and is cheap; the half-size copy is cheaper still;
    // full resolution matters only for small codes in big frames; the double-size copy
    // rescued the last photos but costs 4x the pixels, so it runs last and only on
    // images that were not downscaled (otherwise full resolution already has more pixels).
    let pass = |bit: u8| tuning.passes & bit != 0;
    let mut go = true;
    if pass(PASS_FAST) {
        go = attempt(base, report);
    }
    if go && pass(PASS_OTSU) && keep_going() {
        go = attempt(&binarize_otsu(base), report);
    }
    if go && pass(PASS_HALF) && keep_going() && base.width().min(base.height()) >= 200 {
        let (w, h) = (base.width().div_ceil(2), base.height().div_ceil(2));
        go = attempt(&shrink(base, w, h), report);
    }
    if go && pass(PASS_FULL) && fast.is_some() {
        go = attempt(full, report);
    }
    if go
        && pass(PASS_DOUBLE)
        && keep_going()
        && fast.is_none()
        && long * 2 <= MAX_UPSCALED_LONG_SIDE
    {
        go = attempt(&double(base), report);
    }
    // A pass skipped for lack of time is not "all passes ran": leave Done unsaid.
    if go && keep_going() {
        report(Event::Done);
    }
}

/// Downscale by area averaging (fast, keeps thin module edges grey rather than aliased).
fn scale_to_long_side(img: &GrayImage, long_side: u32) -> GrayImage {
    let long = img.width().max(img.height());
    let scale = f64::from(long_side) / f64::from(long);
    // Rounded products of u32 sides and a factor below 1 always fit in u32.
    let w = ((f64::from(img.width()) * scale).round() as u32).max(1);
    let h = ((f64::from(img.height()) * scale).round() as u32).max(1);
    shrink(img, w, h)
}

/// Downscale to `w` x `h` (neither larger than the source) by area averaging in integer
/// arithmetic: each pixel is the rounded mean of the source block between edges
/// `ceil(k * W / w)`, where `imageops::thumbnail` puts them, without its float rounding calls.
pub(super) fn shrink(img: &GrayImage, w: u32, h: u32) -> GrayImage {
    let (sw, sh) = img.dimensions();
    let (w, h) = (w.clamp(1, sw.max(1)), h.clamp(1, sh.max(1)));
    if sw == 0 || sh == 0 {
        return GrayImage::new(0, 0);
    }
    let edge = |k: u32, from: u32, to: u32| -> usize {
        (u64::from(k) * u64::from(from)).div_ceil(u64::from(to)) as usize
    };
    let cols: Vec<usize> = (0..=w).map(|x| edge(x, sw, w)).collect();
    let raw = img.as_raw();
    let sw = sw as usize;
    // Column sums of one band of rows; a band is at most ~10^4 rows of 255, far below u32.
    let mut sums = vec![0u32; sw];
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h {
        let (top, bottom) = (edge(y, sh, h), edge(y + 1, sh, h));
        sums.fill(0);
        for row in raw[top * sw..bottom * sw].chunks_exact(sw) {
            for (s, &p) in sums.iter_mut().zip(row) {
                *s += u32::from(p);
            }
        }
        let rows = (bottom - top) as u32;
        for pair in cols.windows(2) {
            let n = (pair[1] - pair[0]) as u32 * rows;
            let sum: u32 = sums[pair[0]..pair[1]].iter().sum();
            out.push(((sum + n / 2) / n) as u8);
        }
    }
    GrayImage::from_raw(w, h, out).expect("w x h pixels")
}

/// Upscale to twice the size by bilinear interpolation in integer arithmetic: each new pixel
/// weighs its nearest source pixel 3 and the next one 1 along each axis (sixteenths in all),
/// as `imageops::resize` with `Triangle` does, edges repeated.
fn double(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return GrayImage::new(0, 0);
    }
    let raw = img.as_raw();
    // One source row widened to 2w values, in quarters.
    let widen = |y: usize, dst: &mut [u16]| {
        let src = &raw[y * w..(y + 1) * w];
        for x in 0..w {
            let p = 3 * u16::from(src[x]);
            dst[2 * x] = p + u16::from(src[x.saturating_sub(1)]);
            dst[2 * x + 1] = p + u16::from(src[(x + 1).min(w - 1)]);
        }
    };
    let mut rows = [vec![0u16; 2 * w], vec![0u16; 2 * w], vec![0u16; 2 * w]];
    let mut out = vec![0u8; 4 * w * h];
    for y in 0..h {
        widen(y.saturating_sub(1), &mut rows[0]);
        widen(y, &mut rows[1]);
        widen((y + 1).min(h - 1), &mut rows[2]);
        let (upper, lower) = out[2 * y * 2 * w..(2 * y + 2) * 2 * w].split_at_mut(2 * w);
        for x in 0..2 * w {
            let mid = 3 * u32::from(rows[1][x]);
            upper[x] = ((mid + u32::from(rows[0][x]) + 8) >> 4) as u8;
            lower[x] = ((mid + u32::from(rows[2][x]) + 8) >> 4) as u8;
        }
    }
    GrayImage::from_raw(2 * w as u32, 2 * h as u32, out).expect("2w x 2h pixels")
}

/// Global Otsu threshold: helps when uneven light or JPEG noise confuses the decoders'
/// own local thresholds.
fn binarize_otsu(img: &GrayImage) -> GrayImage {
    let level = otsu_level(img);
    let mut out = img.clone();
    for p in out.iter_mut() {
        *p = if *p <= level { 0 } else { 255 };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Luma, imageops};

    /// A grey test pattern with edges, gradients and noise.
    fn busy(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| {
            let noise = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 7;
            let edge = if (x / 7 + y / 5) % 2 == 0 { 40 } else { 210 };
            Luma([((edge + noise % 31 + x % 13) % 256) as u8])
        })
    }

    #[test]
    fn integer_shrink_averages_the_blocks_imageops_thumbnail_averages() {
        for (sw, sh, w, h) in [
            (2480, 3508, 1414, 2000),
            (301, 7, 150, 4),
            (9, 9, 5, 5),
            (5, 5, 5, 5),
        ] {
            let img = busy(sw, sh);
            let ours = shrink(&img, w, h);
            let theirs = imageops::thumbnail(&img, w, h);
            assert_eq!(ours.dimensions(), theirs.dimensions());
            // The same blocks (edges at ceil(k * W / w)), the same rounded mean; float edges
            // may put a rare block edge one pixel over.
            let off = ours
                .as_raw()
                .iter()
                .zip(theirs.as_raw())
                .filter(|(a, b)| a != b)
                .count();
            assert!(
                off * 1000 <= ours.as_raw().len(),
                "{sw}x{sh}: {off} pixels differ"
            );
        }
        assert_eq!(
            shrink(&busy(4, 4), 1, 1).as_raw(),
            &[imageops::thumbnail(&busy(4, 4), 1, 1)[(0, 0)][0]]
        );
    }

    #[test]
    fn integer_double_is_imageops_triangle_upscale() {
        for (w, h) in [(97, 61), (1, 1), (2, 3)] {
            let img = busy(w, h);
            let ours = double(&img);
            let theirs = imageops::resize(&img, 2 * w, 2 * h, imageops::FilterType::Triangle);
            assert_eq!(ours.dimensions(), theirs.dimensions());
            for (i, (a, b)) in ours.as_raw().iter().zip(theirs.as_raw()).enumerate() {
                assert!(a.abs_diff(*b) <= 1, "{w}x{h} pixel {i}: {a} against {b}");
            }
        }
    }

    #[test]
    fn otsu_splits_two_levels() {
        let img = GrayImage::from_fn(10, 1, |x, _| Luma([if x < 5 { 60 } else { 190 }]));
        let out = binarize_otsu(&img);
        assert_eq!(out.get_pixel(0, 0)[0], 0);
        assert_eq!(out.get_pixel(9, 0)[0], 255);
    }
}

//! The two QR decoders on one grey image: rxing (a ZXing port) and rqrr (a quirc port), each
//! call guarded against panics, and rqrr skipped on images full of finder-pattern look-alikes.

use std::collections::HashSet;

use image::GrayImage;

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Above this many finder-pattern look-alikes rqrr is skipped: its grouping step copies the
/// whole image for every candidate pair (51 s on a 1000 x 1000 image tiled with ~1700
/// look-alikes), and 100 is more than 30 codes' worth.
const MAX_FINDER_LIKE_FOR_RQRR: f64 = 100.0;

/// Rough count of QR finder-pattern look-alikes: dark-light-dark-light-dark runs in the
/// ratio 1:1:3:1:1 along a row whose centre column shows the same ratio. Each real pattern
/// of module size `m` is hit on about `3m` rows, so each hit counts `1 / 3m`. Linear in the
/// pixel count (about 1 ms per megapixel).
#[doc(hidden)]
pub fn finder_like_count(img: &GrayImage) -> f64 {
    let level = otsu_level(img);
    let width = img.width() as usize;
    let dark = |x: usize, y: usize| img.as_raw()[y * width + x] <= level;
    let mut count = 0.0;
    let mut runs: Vec<(bool, usize)> = Vec::with_capacity(width);
    for (y, row) in img.as_raw().chunks_exact(width.max(1)).enumerate() {
        runs.clear();
        for &p in row {
            let d = p <= level;
            match runs.last_mut() {
                Some((rd, n)) if *rd == d => *n += 1,
                _ => runs.push((d, 1)),
            }
        }
        let mut x0 = 0;
        for (i, w) in runs.windows(5).enumerate() {
            if i > 0 {
                x0 += runs[i - 1].1;
            }
            if !w[0].0 {
                continue;
            }
            let lens = [w[0].1, w[1].1, w[2].1, w[3].1, w[4].1];
            if !finder_ratio(lens) {
                continue;
            }
            let total: usize = lens.iter().sum();
            let cx = x0 + lens[0] + lens[1] + lens[2] / 2;
            let vertical = column_runs(&dark, cx, y, img.height() as usize, total * 2);
            let vertical_total: usize = vertical.iter().sum();
            if finder_ratio(vertical) && vertical_total * 2 > total && vertical_total < total * 2 {
                count += 7.0 / (3.0 * total as f64).max(7.0);
            }
        }
    }
    count
}

/// Whether five run lengths are in the ratio 1:1:3:1:1, each within half a module.
fn finder_ratio(lens: [usize; 5]) -> bool {
    let total: usize = lens.iter().sum();
    let unit = total as f64 / 7.0;
    lens.iter()
        .zip([1.0, 1.0, 3.0, 1.0, 1.0])
        .all(|(&n, k)| (n as f64 - k * unit).abs() <= k * unit * 0.5)
}

/// Run lengths up and down column `x` from the dark pixel at row `y`: outer dark, light,
/// centre dark (both ways), light, outer dark. Walks at most `limit` pixels each way.
fn column_runs(
    dark: &dyn Fn(usize, usize) -> bool,
    x: usize,
    y: usize,
    height: usize,
    limit: usize,
) -> [usize; 5] {
    let mut runs = [0usize; 5];
    // Upwards: centre (index 2), then light (1), then outer dark (0).
    let (mut phase, mut yy, mut steps) = (2usize, y as isize, 0);
    while yy >= 0 && steps < limit {
        let want_dark = phase != 1;
        if dark(x, yy as usize) != want_dark {
            if phase == 0 {
                break;
            }
            phase -= 1;
            continue;
        }
        runs[phase] += 1;
        yy -= 1;
        steps += 1;
    }
    // Downwards from the row below: centre (2), light (3), outer dark (4).
    let (mut phase, mut yy, mut steps) = (2usize, y + 1, 0);
    while yy < height && steps < limit {
        let want_dark = phase != 3;
        if dark(x, yy) != want_dark {
            if phase == 4 {
                break;
            }
            phase += 1;
            continue;
        }
        runs[phase] += 1;
        yy += 1;
        steps += 1;
    }
    runs
}

/// rxing's port of the zxing-cpp QR reader, given the grey buffer directly (no copy), which
/// finds several codes per image. rxing's classic ZXing multi-reader is not used: it read
/// nothing more on the test photos and is cubic in the number of finder-like patterns
/// (38 s on a 600 x 600 image tiled with fake finder patterns, against 1 s for this one).
/// `None` if it panicked.
pub(super) fn decode_rxing(img: &GrayImage) -> Option<Vec<String>> {
    use rxing::multi::MultipleBarcodeReader;
    use rxing::qrcode::cpp_port::QrReader;

    guarded(|| {
        let hints = rxing::DecodeHints {
            PossibleFormats: Some(HashSet::from([rxing::BarcodeFormat::QR_CODE])),
            TryHarder: Some(true),
            ..Default::default()
        };
        let Ok(source) =
            rxing::Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height())
        else {
            return Vec::new();
        };
        let mut bitmap = rxing::BinaryBitmap::new(rxing::common::HybridBinarizer::new(source));
        QrReader
            .decode_multiple_with_hints(&mut bitmap, &hints)
            .map(|results| results.iter().map(|r| r.getText().to_owned()).collect())
            .unwrap_or_default()
    })
}

/// rqrr (quirc port). Payload bytes are taken raw and converted lossily so that a code that
/// is not UTF-8 still yields its text. `None` if it panicked.
pub(super) fn decode_rqrr(img: &GrayImage) -> Option<Vec<String>> {
    if finder_like_count(img) > MAX_FINDER_LIKE_FOR_RQRR {
        return Some(Vec::new());
    }
    guarded(|| {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let raw = img.as_raw();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| raw[y * w + x]);
        let mut out = Vec::new();
        for grid in prepared.detect_grids() {
            let mut bytes = Vec::new();
            if grid.decode_to(&mut bytes).is_ok() {
                out.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        out
    })
}

/// The grey level that best splits the histogram into dark and light (Otsu's method).
pub(super) fn otsu_level(img: &GrayImage) -> u8 {
    let mut histogram = [0u64; 256];
    for &p in img.as_raw() {
        histogram[usize::from(p)] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &n)| v as f64 * n as f64)
        .sum();
    let (mut weight_bg, mut sum_bg) = (0u64, 0f64);
    let (mut best, mut best_var) = (128u8, -1f64);
    for (level, &n) in histogram.iter().enumerate() {
        weight_bg += n;
        if weight_bg == 0 {
            continue;
        }
        let weight_fg = total - weight_bg;
        if weight_fg == 0 {
            break;
        }
        sum_bg += level as f64 * n as f64;
        let mean_bg = sum_bg / weight_bg as f64;
        let mean_fg = (sum_all - sum_bg) / weight_fg as f64;
        let var = weight_bg as f64 * weight_fg as f64 * (mean_bg - mean_fg).powi(2);
        if var > best_var {
            best_var = var;
            best = level as u8;
        }
    }
    best
}

/// Runs `f`, turning a panic into `None`. The panic message is silenced on the worker thread
/// (see [`super::worker`]).
pub(super) fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{SHARE, qr_image};
    use super::*;
    use image::Luma;

    #[test]
    fn counts_finder_pattern_look_alikes() {
        let one = finder_like_count(&qr_image(SHARE, 4));
        assert!((2.0..=8.0).contains(&one), "{one}");
        let three = finder_like_count(&qr_image(SHARE, 9));
        assert!((2.0..=8.0).contains(&three), "{three}");
        let tiled = GrayImage::from_fn(600, 600, |x, y| {
            let (mx, my) = ((x / 3) % 8, (y / 3) % 8);
            let ring = (mx as i32 - 3).abs().max((my as i32 - 3).abs());
            Luma([if mx == 7 || my == 7 || ring == 2 {
                255
            } else {
                0
            }])
        });
        let many = finder_like_count(&tiled);
        assert!(many > MAX_FINDER_LIKE_FOR_RQRR, "{many}");
    }
}

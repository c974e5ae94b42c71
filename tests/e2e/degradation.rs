//! Scanning robustness on real printed sheets: page 1 of two sheets of a real ceremony is
//! rendered by pdftoppm (300, 150 and 100 dpi), degraded the way scans and phone photos are
//! (rotation, noise, blur, JPEG, low resolution, perspective, a coffee stain over a code, all
//! of it at once), and the vault is recovered from the two degraded images through the real
//! binary. zbarimg reads the same images as an independent reference.
//!
//! `cargo test --test degradation -- --nocapture` prints the decode-rate table;
//! with `BREAKGLASS_DEGRADATION_KEEP=DIR` the degraded pages are kept in DIR (`jobN-sheetS.png`
//! or `.jpg`, and `jobs.tsv`: job, degradation, dpi, the codes on each page) for
//! `tests/page/degraded_rate.mjs`, which reads them with recover.html and the binary.

use crate::common;

use common::*;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GrayImage, ImageFormat, RgbImage};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Page 1 of `pdf` rendered by pdftoppm at `dpi`, in grey.
fn render_grey(pdf: &Path, dpi: u32, out_prefix: &Path) -> GrayImage {
    image::open(tools::render_page1(pdf, dpi, out_prefix, true))
        .unwrap()
        .into_luma8()
}

/// The breakglass codes zbarimg reads in an image (deduplicated).
fn zbar_codes(img: &Path) -> BTreeSet<String> {
    tools::zbar(img)
        .into_iter()
        .filter(|l| l.starts_with("BG1-"))
        .collect()
}

/// Where the QR codes are on a clean render: (payload, x0, y0, x1, y1) in pixels, found by rqrr.
type CodeBox = (String, f64, f64, f64, f64);

fn locate_codes(grey: &GrayImage) -> Vec<CodeBox> {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let raw = grey.as_raw();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| raw[y * w + x]);
    let mut out = Vec::new();
    for grid in prepared.detect_grids() {
        let Ok((_, text)) = grid.decode() else {
            continue;
        };
        let xs = grid.bounds.iter().map(|p| f64::from(p.x));
        let ys = grid.bounds.iter().map(|p| f64::from(p.y));
        let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (y0, y1) = ys.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        out.push((text, x0, y0, x1, y1));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

// ---------------------------------------------------------------------------------------------
// Degradations: deterministic (fixed seeds), no external tools. Pages are grey, as every
// decoder (ours, zbarimg) works on grey; the coffee stain is drawn in colour. Test code is
// built without optimisation, so the pixel loops work on raw buffers and whole-image
// operations go through `DynamicImage` (compiled inside the optimised `image` crate).

/// SplitMix64: a small deterministic generator, enough for noise.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    fn gauss(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn clamp8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

fn dynamic(img: &GrayImage) -> DynamicImage {
    DynamicImage::ImageLuma8(img.clone())
}

/// Projective warp with bilinear sampling: output pixel (x, y) takes the source pixel at
/// ((m0 x + m1 y + m2) / d, (m3 x + m4 y + m5) / d), d = m6 x + m7 y + m8; white outside the
/// page (the scanner lid, the table under the sheet).
fn warp(img: &GrayImage, w: u32, h: u32, m: [f64; 9]) -> GrayImage {
    let src = img.as_raw();
    let (sw, sh) = (img.width() as usize, img.height() as usize);
    let (maxx, maxy) = ((sw - 1) as f64, (sh - 1) as f64);
    let (w, h) = (w as usize, h as usize);
    let mut out = vec![255u8; w * h];
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        let yf = y as f64;
        let (mut nx, mut ny, mut d) = (m[1] * yf + m[2], m[4] * yf + m[5], m[7] * yf + m[8]);
        for px in row.iter_mut() {
            let (sx, sy) = (nx / d, ny / d);
            nx += m[0];
            ny += m[3];
            d += m[6];
            if sx >= 0.0 && sy >= 0.0 && sx < maxx && sy < maxy {
                let (x0, y0) = (sx as usize, sy as usize);
                let fx = ((sx - x0 as f64) * 256.0) as u32;
                let fy = ((sy - y0 as f64) * 256.0) as u32;
                let i = y0 * sw + x0;
                let top = u32::from(src[i]) * (256 - fx) + u32::from(src[i + 1]) * fx;
                let bottom = u32::from(src[i + sw]) * (256 - fx) + u32::from(src[i + sw + 1]) * fx;
                *px = ((top * (256 - fy) + bottom * fy) >> 16) as u8;
            }
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).unwrap()
}

/// Rotation by `degrees` (clockwise on screen) onto a canvas that holds the whole page.
fn rotate(img: &GrayImage, degrees: f64) -> GrayImage {
    let (s, c) = degrees.to_radians().sin_cos();
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let nw = (w * c.abs() + h * s.abs()).ceil();
    let nh = (w * s.abs() + h * c.abs()).ceil();
    let (tx, ty) = (
        -c * nw / 2.0 - s * nh / 2.0 + w / 2.0,
        s * nw / 2.0 - c * nh / 2.0 + h / 2.0,
    );
    warp(
        img,
        nw as u32,
        nh as u32,
        [c, s, tx, -s, c, ty, 0.0, 0.0, 1.0],
    )
}

/// Solves the 3x3 homography taking each `from[i]` to `to[i]` (Gauss-Jordan on 8 equations).
#[allow(clippy::needless_range_loop)]
fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> [f64; 9] {
    let mut m = [[0f64; 9]; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (from[i], to[i]);
        m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let pivot = (col..8)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap();
        m.swap(col, pivot);
        for row in 0..8 {
            if row != col {
                let f = m[row][col] / m[col][col];
                for k in col..9 {
                    m[row][k] -= f * m[col][k];
                }
            }
        }
    }
    let mut h = [1f64; 9];
    for i in 0..8 {
        h[i] = m[i][8] / m[i][i];
    }
    h
}

/// A photo taken from below and to one side: the page becomes a trapezoid (lines stay
/// straight, the top edge is `3 * amount` of the width narrower than the bottom edge).
fn perspective(img: &GrayImage, amount: f64) -> GrayImage {
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let landed = [
        (w * amount, h * amount * 0.5),
        (w * (1.0 - amount * 2.0), h * amount),
        (w, h * (1.0 - amount * 0.5)),
        (0.0, h),
    ];
    // Output pixel -> source pixel.
    warp(img, img.width(), img.height(), homography(landed, corners))
}

/// Grey Gaussian noise of standard deviation `sigma` grey levels on every pixel.
fn noise(img: &GrayImage, sigma: f64, seed: u64) -> GrayImage {
    let mut rng = Rng(seed);
    let table: Vec<i16> = (0..1 << 16)
        .map(|_| (rng.gauss() * sigma).round().clamp(-255.0, 255.0) as i16)
        .collect();
    let mut state = (seed as u32) | 1;
    let mut out = img.clone();
    for p in out.iter_mut() {
        // xorshift32 picks a sample from the table.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *p = (i16::from(*p) + table[(state & 0xFFFF) as usize]).clamp(0, 255) as u8;
    }
    out
}

fn blur(img: &GrayImage, sigma: f64) -> GrayImage {
    dynamic(img).blur(sigma as f32).into_luma8()
}

/// A coffee stain: a semi-transparent brown disc, darker at its dried rim, centred on a point
/// of a code (fractions of the code's box), its radius a fraction of the code's side.
fn coffee_stain(img: &GrayImage, code: &CodeBox, at: (f64, f64), radius: f64) -> RgbImage {
    let (_, x0, y0, x1, y1) = *code;
    let (cx, cy) = (x0 + (x1 - x0) * at.0, y0 + (y1 - y0) * at.1);
    let r = (x1 - x0) * radius;
    let brown = [111.0, 72.0, 38.0];
    let mut out = dynamic(img).into_rgb8();
    let (xa, xb) = (
        (cx - r).max(0.0) as u32,
        ((cx + r) as u32).min(img.width() - 1),
    );
    let (ya, yb) = (
        (cy - r).max(0.0) as u32,
        ((cy + r) as u32).min(img.height() - 1),
    );
    for y in ya..=yb {
        for x in xa..=xb {
            let d = ((f64::from(x) - cx).powi(2) + (f64::from(y) - cy).powi(2)).sqrt() / r;
            if d > 1.0 {
                continue;
            }
            let alpha = if d > 0.88 { 0.75 } else { 0.45 + 0.1 * d };
            let p = out.get_pixel_mut(x, y);
            for (ch, b) in p.0.iter_mut().zip(brown) {
                *ch = clamp8(f64::from(*ch) * (1.0 - alpha) + b * alpha);
            }
        }
    }
    out
}

/// A degraded page and how to save it.
struct Degraded {
    image: DynamicImage,
    /// JPEG at this quality, or PNG.
    jpeg: Option<u8>,
}

impl Degraded {
    fn png(image: impl Into<DynamicImage>) -> Self {
        Self {
            image: image.into(),
            jpeg: None,
        }
    }

    fn jpeg(image: impl Into<DynamicImage>, quality: u8) -> Self {
        Self {
            image: image.into(),
            jpeg: Some(quality),
        }
    }

    /// Writes `<stem>.png` or `<stem>.jpg`; returns the path.
    fn save(&self, stem: &Path) -> PathBuf {
        match self.jpeg {
            None => {
                let path = stem.with_extension("png");
                self.image
                    .save_with_format(&path, ImageFormat::Png)
                    .unwrap();
                path
            }
            Some(quality) => {
                let path = stem.with_extension("jpg");
                let mut bytes = Vec::new();
                JpegEncoder::new_with_quality(&mut bytes, quality)
                    .encode_image(&self.image)
                    .unwrap();
                std::fs::write(&path, bytes).unwrap();
                path
            }
        }
    }
}

/// One degradation: a clean page, its code boxes and the resolution relative to 300 dpi in,
/// the degraded page out.
type Degrade = fn(&GrayImage, &[CodeBox], f64) -> Degraded;

fn vault_code(codes: &[CodeBox]) -> &CodeBox {
    codes.iter().find(|c| c.0.starts_with("BG1-V-")).unwrap()
}

fn share_code(codes: &[CodeBox]) -> &CodeBox {
    codes.iter().find(|c| c.0.starts_with("BG1-S-")).unwrap()
}

fn degradations() -> Vec<(&'static str, Degrade)> {
    vec![
        ("clean", |img, _, _| Degraded::png(img.clone())),
        ("rotate 90", |img, _, _| {
            Degraded::png(dynamic(img).rotate90())
        }),
        ("rotate 180", |img, _, _| {
            Degraded::png(dynamic(img).rotate180())
        }),
        ("rotate 270", |img, _, _| {
            Degraded::png(dynamic(img).rotate270())
        }),
        ("rotate +10 deg", |img, _, _| {
            Degraded::png(rotate(img, 10.0))
        }),
        ("rotate -10 deg", |img, _, _| {
            Degraded::png(rotate(img, -10.0))
        }),
        ("gaussian noise sd 40", |img, _, _| {
            Degraded::png(noise(img, 40.0, 7))
        }),
        ("gaussian blur sd 3 px @300", |img, _, scale| {
            Degraded::png(blur(img, 3.0 * scale))
        }),
        ("JPEG quality 30", |img, _, _| {
            Degraded::jpeg(img.clone(), 30)
        }),
        ("perspective skew", |img, _, _| {
            Degraded::png(perspective(img, 0.06))
        }),
        ("coffee stain on share code", |img, codes, _| {
            Degraded::png(coffee_stain(img, share_code(codes), (0.55, 0.6), 0.3))
        }),
        ("coffee stain on vault code", |img, codes, _| {
            Degraded::png(coffee_stain(img, vault_code(codes), (0.55, 0.6), 0.3))
        }),
        ("all combined (moderate)", |img, codes, scale| {
            // Stain, then the print is slightly out of focus, photographed at an angle and
            // tilted, with sensor noise, saved as a JPEG.
            let stained = coffee_stain(img, vault_code(codes), (0.6, 0.55), 0.22);
            let grey = DynamicImage::ImageRgb8(stained).into_luma8();
            let blurred = blur(&grey, 1.5 * scale);
            let skewed = perspective(&blurred, 0.03);
            let turned = rotate(&skewed, -6.0);
            Degraded::jpeg(noise(&turned, 20.0, 11), 50)
        }),
    ]
}

struct Row {
    label: String,
    dpi: u32,
    present: usize,
    zbar_read: usize,
    /// Codes read by the library scanner in-process (the binary's scanner, debug build).
    ours_read: Option<usize>,
    recovered: bool,
    seconds: f64,
    detail: String,
}

#[test]
fn degraded_scans_of_two_sheets_recover_the_vault() {
    if !tools::tools_or_skip(&["pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // --fido2 makes the vault two QR parts: three codes on page 1.
    let (_, c) = ceremony(dir.path(), &["--fido2", "YubiKey 5 NFC #1234"]);
    let expected = passwords(&c.stdout);
    assert_eq!(expected.len(), 2);
    let sheets = dir.path().join("sheets");
    let pdfs = [tools::pdf_of(&sheets, 1), tools::pdf_of(&sheets, 3)];

    // Clean renders, and where the codes are (found at 300 dpi, scaled to the other resolutions).
    let mut pages: Vec<(u32, [GrayImage; 2], [Vec<CodeBox>; 2])> = Vec::new();
    let mut boxes300: Vec<Vec<CodeBox>> = Vec::new();
    for dpi in [300u32, 150, 100] {
        let imgs = [0, 1]
            .map(|i| render_grey(&pdfs[i], dpi, &dir.path().join(format!("clean-{dpi}-{i}"))));
        if dpi == 300 {
            for img in &imgs {
                let found = locate_codes(img);
                assert!(
                    found.iter().filter(|c| c.0.starts_with("BG1-S-")).count() == 1
                        && found.iter().any(|c| c.0.starts_with("BG1-V-")),
                    "clean 300-dpi page: codes found {:?}",
                    found.iter().map(|c| &c.0[..16]).collect::<Vec<_>>()
                );
                boxes300.push(found);
            }
        }
        let f = f64::from(dpi) / 300.0;
        let scaled = [0, 1].map(|i| {
            boxes300[i]
                .iter()
                .map(|(t, a, b, c, d)| (t.clone(), a * f, b * f, c * f, d * f))
                .collect::<Vec<_>>()
        });
        pages.push((dpi, imgs, scaled));
    }

    // Every degradation on the 300- and 150-dpi renders; the 100-dpi render (itself the
    // "100 dpi" degradation) also rotated, tilted and as a JPEG.
    let mut jobs: Vec<(&'static str, Degrade, usize)> = Vec::new();
    for page in 0..3 {
        for (label, f) in degradations() {
            let low_res = ["clean", "rotate 90", "rotate +10 deg", "JPEG quality 30"];
            if page < 2 || low_res.contains(&label) {
                jobs.push((label, f, page));
            }
        }
    }
    // Our scanner in-process as well (a debug build: about 3 s per 300-dpi page, so only
    // below 300 dpi unless asked for).
    let full_table = std::env::var_os("BREAKGLASS_DEGRADATION_FULL").is_some();

    if let Some(keep) = std::env::var_os("BREAKGLASS_DEGRADATION_KEEP") {
        std::fs::create_dir_all(keep).unwrap();
    }
    let rows: Mutex<Vec<(usize, Row)>> = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    let work = dir.path();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let j = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(&(label, degrade, page)) = jobs.get(j) else {
                        break;
                    };
                    let (dpi, imgs, boxes) = &pages[page];
                    let scale = f64::from(*dpi) / 300.0;
                    let mut files = Vec::new();
                    let (mut present, mut zbar_read, mut ours_read) = (0, 0, None);
                    for i in 0..2 {
                        let path = degrade(&imgs[i], &boxes[i], scale)
                            .save(&work.join(format!("job{j}-sheet{}", [1, 3][i])));
                        let wanted: BTreeSet<&str> =
                            boxes[i].iter().map(|b| b.0.as_str()).collect();
                        present += wanted.len();
                        zbar_read += zbar_codes(&path)
                            .iter()
                            .filter(|t| wanted.contains(t.as_str()))
                            .count();
                        if *dpi < 300 || full_table {
                            let bytes = std::fs::read(&path).unwrap();
                            let all =
                                |f: &[String]| wanted.iter().all(|w| f.iter().any(|t| t == w));
                            let ours = breakglass_paper::scan::scan_image_until(
                                &bytes,
                                &breakglass_paper::scan::ScanLimits::default(),
                                &all,
                            )
                            .unwrap_or_default();
                            ours_read = Some(
                                ours_read.unwrap_or(0)
                                    + ours.iter().filter(|t| wanted.contains(t.as_str())).count(),
                            );
                        }
                        if let Some(keep) = std::env::var_os("BREAKGLASS_DEGRADATION_KEEP") {
                            let name = path.file_name().unwrap();
                            std::fs::copy(&path, Path::new(&keep).join(name)).unwrap();
                        }
                        files.push(path);
                    }
                    let t = Instant::now();
                    let r = run(&["recover", p(&files[0]), p(&files[1])]);
                    let seconds = t.elapsed().as_secs_f64();
                    let recovered =
                        r.code == 0 && expected.iter().all(|pw| r.stdout.contains(pw.as_str()));
                    let detail = if recovered {
                        String::new()
                    } else {
                        format!("exit {}: {}", r.code, r.stderr.trim())
                    };
                    rows.lock().unwrap().push((
                        j,
                        Row {
                            label: label.to_string(),
                            dpi: *dpi,
                            present,
                            zbar_read,
                            ours_read,
                            recovered,
                            seconds,
                            detail,
                        },
                    ));
                }
            });
        }
    });

    let mut rows = rows.into_inner().unwrap();
    rows.sort_by_key(|(j, _)| *j);
    if let Some(keep) = std::env::var_os("BREAKGLASS_DEGRADATION_KEEP") {
        let tsv: String = rows
            .iter()
            .map(|(j, r)| {
                let wanted = |i: usize| pages[jobs[*j].2].2[i].len();
                format!(
                    "job{j}\t{}\t{}\t{}\t{}\n",
                    r.label,
                    r.dpi,
                    wanted(0),
                    wanted(1)
                )
            })
            .collect();
        std::fs::write(Path::new(&keep).join("jobs.tsv"), tsv).unwrap();
    }
    eprintln!();
    eprintln!(
        "| degradation (sheets 1 + 3, page 1) | dpi | codes read: zbarimg | codes read: breakglass scan | breakglass recover | recover s |"
    );
    eprintln!("| --- | --- | --- | --- | --- | --- |");
    for (_, r) in &rows {
        eprintln!(
            "| {} | {} | {}/{} | {} | {} | {:.2} |",
            r.label,
            r.dpi,
            r.zbar_read,
            r.present,
            r.ours_read
                .map_or("(not run)".to_string(), |n| format!("{n}/{}", r.present)),
            if r.recovered { "ok" } else { "FAILED" },
            r.seconds
        );
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|(_, r)| !r.recovered)
        .map(|(_, r)| format!("{} @ {} dpi: {}", r.label, r.dpi, r.detail))
        .collect();
    assert!(failed.is_empty(), "not recovered:\n{}", failed.join("\n"));
}

//! Bad and unusual image inputs to `breakglass recover`: each bad input is named in a clear
//! message on stderr and recovery goes on with the rest; big photos and 600-dpi scans work.
//! Page images are rendered from a real ceremony's PDFs by pdftoppm.

use crate::common;

use common::*;
use image::{DynamicImage, GrayImage, ImageFormat, Luma, imageops};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Payload and bounding box (x0, y0, x1, y1) of every QR code rqrr finds.
fn locate_codes(img: &GrayImage) -> Vec<(String, [i32; 4])> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| raw[y * w + x]);
    let mut out = Vec::new();
    for grid in prepared.detect_grids() {
        if let Ok((_, text)) = grid.decode() {
            let xs = grid.bounds.iter().map(|p| p.x);
            let ys = grid.bounds.iter().map(|p| p.y);
            let b = [
                xs.clone().min().unwrap(),
                ys.clone().min().unwrap(),
                xs.max().unwrap(),
                ys.max().unwrap(),
            ];
            out.push((text, b));
        }
    }
    out
}

/// A real 2-of-3 ceremony whose vault takes two QR parts, with page 1 of every sheet rendered
/// at 300 dpi; made once and shared by the tests.
struct Fixture {
    dir: PathBuf,
    texts: Vec<PathBuf>,
    pages: Vec<PathBuf>,
    pdfs: Vec<PathBuf>,
    passwords: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = kept_fixture_dir("scan_inputs-");
        // --fido2 makes the vault 34 lines: two QR parts (17 + 17).
        let (texts, c) = ceremony(&dir, &["--fido2", "YubiKey 5 NFC #1234"]);
        let passwords = passwords(&c.stdout);
        assert_eq!(passwords.len(), 2);
        let sheets = dir.join("sheets");
        let pdfs: Vec<PathBuf> = (1..=3).map(|n| tools::pdf_of(&sheets, n)).collect();
        let pages = pdfs
            .iter()
            .enumerate()
            .map(|(i, pdf)| {
                tools::render_page1(pdf, 300, &dir.join(format!("page{}-300", i + 1)), false)
            })
            .collect();
        Fixture {
            dir,
            texts,
            pages,
            pdfs,
            passwords,
        }
    })
}

fn recovered(r: &Run, f: &Fixture) -> bool {
    r.code == 0 && f.passwords.iter().all(|pw| r.stdout.contains(pw.as_str()))
}

/// Asserts that stderr has a line naming `name` that also contains `what`.
fn assert_named(r: &Run, name: &str, what: &str) {
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains(name) && l.contains(what)),
        "no message naming {name} with {what:?}:\n{}",
        r.stderr
    );
}

fn grey(path: &Path) -> GrayImage {
    image::open(path).unwrap().into_luma8()
}

fn save_png(img: &GrayImage, path: &Path) {
    DynamicImage::ImageLuma8(img.clone())
        .save_with_format(path, ImageFormat::Png)
        .unwrap();
}

#[test]
fn images_without_a_qr_code_are_skipped_and_named() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let f = fixture();
    let blank = f.dir.join("blank.png");
    save_png(&GrayImage::from_pixel(1240, 1754, Luma([250])), &blank);
    let noise = f.dir.join("noise.png");
    let mut state = 0x2545_F491u32;
    let noisy = GrayImage::from_fn(800, 600, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        Luma([(state >> 24) as u8])
    });
    save_png(&noisy, &noise);

    let r = run(&[
        "recover",
        p(&blank),
        p(&noise),
        p(&f.pages[0]),
        p(&f.pages[2]),
    ]);
    assert!(recovered(&r, f), "{}", r.all());
    assert_named(&r, "blank.png", "no QR code found");
    assert_named(&r, "noise.png", "no QR code found");
    // Everything needed was read: a page without codes (a page 2) is a calm note, not a
    // failure to use it.
    assert_named(
        &r,
        "blank.png",
        "as on page 2 of a sheet (which needs no scan)",
    );
    assert!(!r.stderr.contains("could not use"), "{}", r.stderr);
    assert!(!r.stderr.contains("skipped"), "{}", r.stderr);

    // Alone: nothing to recover from, and the file is named.
    let r = run(&["recover", p(&blank)]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert_named(&r, "blank.png", "no QR code found");
}

#[test]
fn a_qr_code_that_is_not_ours_is_skipped_and_named() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let f = fixture();
    // A Wi-Fi code, rendered at 8 px per module with a 4-module quiet zone.
    let code = qrcode::QrCode::new(b"WIFI:T:WPA;S:guest;P:not-a-breakglass-code;;").unwrap();
    let n = code.width() as u32;
    let colors = code.to_colors();
    let px = 8;
    let img = GrayImage::from_fn((n + 8) * px, (n + 8) * px, |x, y| {
        let (mx, my) = (x / px, y / px);
        let dark = (4..n + 4).contains(&mx)
            && (4..n + 4).contains(&my)
            && colors[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    });
    let foreign = f.dir.join("wifi-code.png");
    save_png(&img, &foreign);

    let r = run(&["recover", p(&foreign), p(&f.pages[0]), p(&f.texts[1])]);
    assert!(recovered(&r, f), "{}", r.all());
    assert_named(&r, "wifi-code.png", "not a breakglass code");

    let r = run(&["recover", p(&foreign)]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert_named(&r, "wifi-code.png", "not a breakglass code");
}

#[test]
fn vault_parts_from_two_photos_are_pooled() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let f = fixture();
    // Sheet 1: a photo of the left half of the page (the share code and vault part 1 only).
    let page1 = grey(&f.pages[0]);
    let codes1 = locate_codes(&page1);
    let (w, h) = page1.dimensions();
    let half = imageops::crop_imm(&page1, 0, 0, w / 2, h).to_image();
    // What a scan of the image yields, read by the product's own scanner (both decoders and
    // their retries): plain rqrr, used above only to find where codes are, misses some codes
    // of some random sheets, which made this premise check flaky.
    let kinds = |img: &GrayImage| -> Vec<String> {
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, ImageFormat::Png).unwrap();
        let limits = breakglass_paper::scan::ScanLimits::default();
        let found = breakglass_paper::scan::scan_image_until(png.get_ref(), &limits, &|_| false)
            .expect("the image scans");
        let mut v: Vec<String> = found
            .into_iter()
            .map(|t| {
                let mut words = t.split(' ');
                let header = words.next().unwrap().to_string();
                let first_line = words.next().unwrap_or("");
                format!("{header} {}", &first_line[..2.min(first_line.len())])
            })
            .collect();
        v.sort();
        v
    };
    let half_codes = kinds(&half);
    assert_eq!(
        half_codes.len(),
        2,
        "{half_codes:?} (all: {})",
        codes1.len()
    );
    assert!(
        half_codes[0].starts_with("BG1-S-") && half_codes[1].starts_with("BG1-V-"),
        "{half_codes:?}"
    );
    assert!(half_codes[1].ends_with(" 01"), "{half_codes:?}");
    let left = f.dir.join("sheet1-left-half.png");
    save_png(&half, &left);

    // Sheet 3: vault part 1 covered (a hand over it), so it gives its share and part 2 only.
    let mut page3 = grey(&f.pages[2]);
    let part1 = locate_codes(&page3)
        .into_iter()
        .find(|(t, _)| t.starts_with("BG1-V-") && t.split(' ').nth(1).unwrap().starts_with("01"))
        .expect("vault part 1 on sheet 3");
    let [x0, y0, x1, y1] = part1.1;
    let margin = 40;
    for y in (y0 - margin).max(0) as u32..((y1 + margin) as u32).min(page3.height()) {
        for x in (x0 - margin).max(0) as u32..((x1 + margin) as u32).min(page3.width()) {
            page3.put_pixel(x, y, Luma([90]));
        }
    }
    let covered_codes = kinds(&page3);
    assert_eq!(covered_codes.len(), 2, "{covered_codes:?}");
    assert!(!covered_codes[1].ends_with(" 01"), "{covered_codes:?}");
    let covered = f.dir.join("sheet3-part1-covered.png");
    save_png(&page3, &covered);

    // Vault part 1 holds lines 1..=n; the vault has `total` lines.
    let part1_text = &codes1
        .iter()
        .find(|(t, _)| t.starts_with("BG1-V-") && t.split(' ').nth(1).unwrap().starts_with("01"))
        .unwrap()
        .0;
    let n = part1_text.split(' ').count() - 1;
    let total: usize = part1_text.split('-').nth(2).unwrap().parse().unwrap();
    assert!(n < total, "{n} of {total}");

    let r = run(&["recover", p(&left), p(&covered)]);
    assert!(recovered(&r, f), "{}", r.all());

    // The half page alone: one share and half a vault; the missing lines are named.
    let r = run(&["recover", p(&left)]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains(&format!("lines {}, {}", n + 1, n + 2))
            && r.stderr.contains(&format!("missing (of {total})")),
        "{}",
        r.stderr
    );
}

#[test]
fn a_sheet_from_another_vault_is_refused() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let f = fixture();
    let other = tempfile::tempdir().unwrap();
    ceremony(other.path(), &[]);
    let other_page = tools::render_page1(
        &tools::pdf_of(&other.path().join("sheets"), 2),
        300,
        &other.path().join("other-vault-sheet2"),
        false,
    );
    let r = run(&["recover", p(&f.pages[0]), p(&other_page)]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert_eq!(r.code, 4, "{}", r.all());
    assert!(r.stderr.contains("different vaults"), "{}", r.stderr);
    assert!(r.stderr.contains("other-vault-sheet2.png"), "{}", r.stderr);
}

#[test]
fn unreadable_and_truncated_files_are_skipped_and_named() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let f = fixture();
    let folder = f.dir.join("a-folder.png");
    std::fs::create_dir_all(&folder).unwrap();
    let missing = f.dir.join("no-such-scan.png");
    let bytes = std::fs::read(&f.pages[1]).unwrap();
    let truncated = f.dir.join("truncated-sheet2.png");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();

    let r = run(&[
        "recover",
        p(&folder),
        p(&missing),
        p(&truncated),
        p(&f.pages[0]),
        p(&f.pages[2]),
    ]);
    assert!(recovered(&r, f), "{}", r.all());
    assert_named(&r, "a-folder.png", "skipped");
    assert_named(&r, "no-such-scan.png", "skipped");
    assert_named(&r, "truncated-sheet2.png", "damaged or incomplete");

    // With only one good sheet left the outcome is NotEnoughShares, exit 4 (FORMAT.md §7.3),
    // and the truncated scan is named as the input left out.
    let r = run(&["recover", p(&truncated), p(&f.pages[0])]);
    assert_eq!(r.code, 4, "{}", r.all());
    assert_named(&r, "truncated-sheet2.png", "damaged or incomplete");
}

#[test]
fn a_twelve_megapixel_phone_photo_recovers() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let f = fixture();
    // The 300-dpi page scaled up to 4000 px high, on a 3000 x 4000 grey table, as a JPEG.
    let mut photos = Vec::new();
    for i in [0, 2] {
        let page = image::open(&f.pages[i]).unwrap();
        let big = page.resize(3000, 3950, imageops::FilterType::Triangle);
        let mut photo = DynamicImage::new_rgb8(3000, 4000).into_rgb8();
        for p in photo.pixels_mut() {
            p.0 = [118, 112, 104];
        }
        let x = (3000 - big.width()) / 2;
        imageops::replace(&mut photo, &big.into_rgb8(), i64::from(x), 25);
        let path = f.dir.join(format!("photo-sheet{}.jpg", i + 1));
        DynamicImage::ImageRgb8(photo)
            .save_with_format(&path, ImageFormat::Jpeg)
            .unwrap();
        photos.push(path);
    }
    let r = run(&["recover", p(&photos[0]), p(&photos[1])]);
    assert!(recovered(&r, f), "{}", r.all());
}

#[test]
fn a_600_dpi_a4_scan_recovers() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let f = fixture();
    let scan = tools::render_page1(&f.pdfs[0], 600, &f.dir.join("page1-600"), false);
    let (w, h) = image::image_dimensions(&scan).unwrap();
    assert!(w >= 4900 && h >= 7000, "{w} x {h}");
    let r = run(&["recover", p(&scan), p(&f.texts[2])]);
    assert!(recovered(&r, f), "{}", r.all());
    // The share on the 600-dpi scan was used, not just the text file's.
    assert!(r.stdout.contains("page1-600.png"), "{}", r.stdout);
}

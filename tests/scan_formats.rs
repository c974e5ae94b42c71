//! What scanners, copiers and phones actually save, read by `recover`, `drill` and
//! `verify-print`: the tool's own sheet PDFs, copier PDFs (JPEG and CCITT G4 inside, several
//! pages), multi-page TIFF, PNM, BMP and WebP; HEIC/AVIF get a way to convert; page 2 of a
//! sheet is recognised. Pages are rendered by poppler (pdftoppm) from a real ceremony's PDFs
//! and wrapped or converted by img2pdf, ImageMagick and cwebp, as the devices do.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A real 2-of-3 ceremony, with pages 1 and 2 of sheets 1 and 3 rendered grey at 300 dpi.
struct Fixture {
    dir: PathBuf,
    pdfs: Vec<PathBuf>,
    /// `pages[i][j]`: page j+1 of sheet i+1 (sheets 1 and 3 only: indices 0 and 2), PNG.
    pages: Vec<Vec<PathBuf>>,
    passwords: Vec<String>,
}

const TOOLS: &[&str] = &[
    "pdftoppm", "img2pdf", "convert", "cwebp", "qpdf", "tiff2pdf",
];

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600);
            if old && e.file_name().to_string_lossy().starts_with("scan_formats-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("scan_formats-")
            .tempdir_in(root)
            .unwrap()
            .keep();
        let (_, c) = ceremony(&dir, &[]);
        let passwords = passwords(&c.stdout);
        assert_eq!(passwords.len(), 2);
        let sheets = dir.join("sheets");
        let pdfs: Vec<PathBuf> = (1..=3).map(|n| tools::pdf_of(&sheets, n)).collect();
        let pages = pdfs
            .iter()
            .enumerate()
            .map(|(i, pdf)| {
                let prefix = dir.join(format!("s{}", i + 1));
                tool(
                    "pdftoppm",
                    &["-r", "300", "-gray", "-png", p(pdf), p(&prefix)],
                );
                (1..=2)
                    .map(|n| dir.join(format!("s{}-{n}.png", i + 1)))
                    .inspect(|page| assert!(page.exists(), "{} not rendered", page.display()))
                    .collect()
            })
            .collect();
        Fixture {
            dir,
            pdfs,
            pages,
            passwords,
        }
    })
}

/// Runs an external tool and insists that it worked.
fn tool(name: &str, args: &[&str]) {
    let o = Command::new(name).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn recovered(r: &Run, f: &Fixture) -> bool {
    r.code == 0 && f.passwords.iter().all(|pw| r.stdout.contains(pw.as_str()))
}

fn contains(path: &Path, needle: &[u8]) -> bool {
    std::fs::read(path)
        .unwrap()
        .windows(needle.len())
        .any(|w| w == needle)
}

#[test]
fn the_tools_own_sheet_pdfs_work_for_recover_drill_and_verify_print() {
    if !tools::tools_or_skip(TOOLS) {
        return;
    }
    let f = fixture();
    let r = run(&["recover", p(&f.pdfs[0]), p(&f.pdfs[2])]);
    assert!(recovered(&r, f), "{}", r.all());
    // Page 2 of each PDF has no code by design: not worth a complaint.
    assert!(!r.stderr.contains("no QR code"), "{}", r.stderr);

    let d = run(&["drill", p(&f.pdfs[1]), p(&f.pdfs[2])]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(d.stdout.contains("PASSED"), "{}", d.stdout);

    let v = run(&["verify-print", p(&f.pdfs[0]), p(&f.pdfs[1]), p(&f.pdfs[2])]);
    assert_eq!(v.code, 0, "{}", v.all());
    assert_eq!(v.stdout.matches(": OK").count(), 3, "{}", v.stdout);
}

#[test]
fn a_copier_pdf_of_jpeg_pages_with_two_sheets_in_it_recovers_alone() {
    if !tools::tools_or_skip(TOOLS) {
        return;
    }
    let f = fixture();
    // Every page of sheets 1 and 3, as a copier's document feeder scans them: JPEG pages.
    let mut jpegs = Vec::new();
    for (i, pages) in [(1, &f.pages[0]), (3, &f.pages[2])] {
        for (j, png) in pages.iter().enumerate() {
            let jpg = f.dir.join(format!("copier-s{i}-{}.jpg", j + 1));
            tool("convert", &[p(png), "-quality", "75", p(&jpg)]);
            jpegs.push(jpg);
        }
    }
    let pdf = f.dir.join("copier-jpeg.pdf");
    let mut args: Vec<&str> = jpegs.iter().map(|j| p(j)).collect();
    args.extend(["-o", p(&pdf)]);
    tool("img2pdf", &args);
    assert!(contains(&pdf, b"/DCTDecode"), "img2pdf wrote no JPEG pages");

    let r = run(&["recover", p(&pdf)]);
    assert!(recovered(&r, f), "{}", r.all());
}

#[test]
fn copier_pdfs_in_ccitt_group4_recover() {
    if !tools::tools_or_skip(TOOLS) {
        return;
    }
    let f = fixture();
    let mut pdfs = Vec::new();
    for i in [0, 2] {
        // Bilevel pages, as a copier's "text" mode: page 1 and page 2 of the sheet, in G4,
        // wrapped in a PDF without re-encoding (tiff2pdf keeps the G4 data as it is).
        let tif = f.dir.join(format!("copier-g4-s{}.tif", i + 1));
        tool(
            "convert",
            &[
                p(&f.pages[i][0]),
                p(&f.pages[i][1]),
                "-threshold",
                "50%",
                "-monochrome",
                "-compress",
                "Group4",
                p(&tif),
            ],
        );
        let pdf = f.dir.join(format!("copier-g4-s{}.pdf", i + 1));
        tool("tiff2pdf", &["-o", p(&pdf), p(&tif)]);
        assert!(
            std::fs::metadata(&pdf).unwrap().len() > 1000,
            "tiff2pdf wrote an empty PDF"
        );
        assert!(contains(&pdf, b"/CCITTFaxDecode"), "no CCITT G4 pages");
        pdfs.push(pdf);
    }
    let r = run(&["recover", p(&pdfs[0]), p(&pdfs[1])]);
    assert!(recovered(&r, f), "{}", r.all());
}

#[test]
fn multi_page_tiffs_are_read_page_by_page() {
    if !tools::tools_or_skip(TOOLS) {
        return;
    }
    let f = fixture();
    // Page 2 first, so the codes are only on later pages of the file.
    let order = [
        p(&f.pages[0][1]),
        p(&f.pages[0][0]),
        p(&f.pages[2][1]),
        p(&f.pages[2][0]),
    ];
    let lzw = f.dir.join("scan-lzw.tif");
    let mut args = order.to_vec();
    args.extend(["-compress", "LZW", p(&lzw)]);
    tool("convert", &args);
    let r = run(&["recover", p(&lzw)]);
    assert!(recovered(&r, f), "LZW TIFF: {}", r.all());

    let g4 = f.dir.join("scan-g4.tif");
    let mut args = order.to_vec();
    args.extend([
        "-threshold",
        "50%",
        "-monochrome",
        "-compress",
        "Group4",
        p(&g4),
    ]);
    tool("convert", &args);
    let r = run(&["recover", p(&g4)]);
    assert!(recovered(&r, f), "G4 TIFF: {}", r.all());
}

#[test]
fn pnm_bmp_and_webp_scans_recover() {
    if !tools::tools_or_skip(TOOLS) {
        return;
    }
    let f = fixture();
    // scanimage writes PNM: a grey PGM and a colour PPM, straight from poppler.
    let pgm_prefix = f.dir.join("scanimage-s1");
    tool(
        "pdftoppm",
        &["-r", "300", "-gray", "-f", "1", "-l", "1", "-singlefile"]
            .into_iter()
            .chain([p(&f.pdfs[0]), p(&pgm_prefix)])
            .collect::<Vec<_>>(),
    );
    let pgm = pgm_prefix.with_extension("pgm");
    let ppm_prefix = f.dir.join("scanimage-s3");
    tool(
        "pdftoppm",
        &["-r", "200", "-f", "1", "-l", "1", "-singlefile"]
            .into_iter()
            .chain([p(&f.pdfs[2]), p(&ppm_prefix)])
            .collect::<Vec<_>>(),
    );
    let ppm = ppm_prefix.with_extension("ppm");
    let bmp = f.dir.join("scan-s3.bmp");
    tool("convert", &[p(&f.pages[2][0]), p(&bmp)]);
    // A lossy WebP, named .png: the format is told by the bytes, not the name.
    let webp = f.dir.join("phone-s1.png");
    tool(
        "cwebp",
        &["-quiet", "-q", "80", p(&f.pages[0][0]), "-o", p(&webp)],
    );
    assert!(contains(&webp, b"WEBP"));

    for (a, b) in [(&pgm, &ppm), (&pgm, &bmp), (&webp, &ppm)] {
        let r = run(&["recover", p(a), p(b)]);
        assert!(
            recovered(&r, f),
            "{} + {}: {}",
            a.display(),
            b.display(),
            r.all()
        );
    }
}

#[test]
fn heic_and_avif_photos_get_a_way_to_convert() {
    if !tools::tools_or_skip(TOOLS) {
        return;
    }
    let f = fixture();
    // The first bytes of an iPhone HEIC and of an AVIF: an ISO media `ftyp` box and brands.
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.extend([0u8; 64]);
    let mut avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf".to_vec();
    avif.extend([0u8; 64]);
    for (name, bytes) in [("IMG_0001.HEIC", heic), ("photo.avif", avif)] {
        let path = f.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let r = run(&["recover", p(&path), p(&f.pdfs[0]), p(&f.pdfs[1])]);
        assert!(recovered(&r, f), "{}", r.all());
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not named:\n{}", r.stderr));
        assert!(
            line.contains("heif-convert") && line.contains("JPEG"),
            "{line}"
        );
    }
}

#[test]
fn page_two_scanned_is_recognised_and_page_two_as_a_pdf_gives_the_vault() {
    if !tools::tools_or_skip(TOOLS) {
        return;
    }
    let f = fixture();
    // A scan of page 2 alone: no code by design, and said so.
    let r = run(&["recover", p(&f.pages[0][1]), p(&f.pdfs[2])]);
    assert_ne!(r.code, 0, "{}", r.all());
    let name = f.pages[0][1].file_name().unwrap().to_str().unwrap();
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("{name} not named:\n{}", r.stderr));
    assert!(
        line.contains("page 2") && line.contains("needs no scan"),
        "{line}"
    );

    // The sheet PDF cut down to its page 2 holds the vault's typed text: it is read exactly,
    // and is the only vault copy given here (the share files have theirs cut off).
    let page2 = f.dir.join("only-page2.pdf");
    tool(
        "qpdf",
        &[
            p(&f.pdfs[0]),
            "--pages",
            p(&f.pdfs[0]),
            "2",
            "--",
            p(&page2),
        ],
    );
    let mut inputs = vec![page2.clone()];
    for n in [1, 3] {
        let text = std::fs::read_to_string(f.dir.join(format!("sheets/share-{n}.txt"))).unwrap();
        let vault_at = text.find("BG1-V").expect("the sheet file holds the vault");
        let share_only = f.dir.join(format!("share-only-{n}.txt"));
        std::fs::write(&share_only, &text[..vault_at]).unwrap();
        inputs.push(share_only);
    }
    let args: Vec<&str> = ["recover"]
        .into_iter()
        .chain(inputs.iter().map(|i| p(i)))
        .collect();
    let r = run(&args);
    assert!(recovered(&r, f), "{}", r.all());
    // Not skipped or warned about (the after-recovery advice names every input it was given).
    assert!(
        !r.stderr
            .lines()
            .any(|l| l.starts_with("warning") && l.contains("only-page2.pdf")),
        "{}",
        r.stderr
    );
}

#[test]
fn a_pdf_declaring_a_gigantic_image_is_refused_before_rendering() {
    if !tools::tools_or_skip(TOOLS) {
        return;
    }
    let f = fixture();
    // A one-page PDF whose image claims 200000 x 200000 pixels (40 Gpx) in a few bytes.
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
            .to_string(),
        "<< /Type /XObject /Subtype /Image /Width 200000 /Height 200000 \
         /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >>\nstream\n\0\nendstream"
            .to_string(),
        "<< /Length 32 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q  \nendstream".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for o in offsets {
        pdf.extend(format!("{o:010} 00000 n \n").bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    let bomb = f.dir.join("bomb.pdf");
    std::fs::write(&bomb, pdf).unwrap();
    let r = run(&["recover", p(&bomb), p(&f.pdfs[0]), p(&f.pdfs[2])]);
    assert!(recovered(&r, f), "{}", r.all());
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("bomb.pdf"))
        .unwrap_or_else(|| panic!("bomb.pdf not named:\n{}", r.stderr));
    assert!(
        line.contains("too large") && line.contains("200000"),
        "{line}"
    );
}

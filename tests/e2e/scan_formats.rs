//! What scanners, copiers and phones actually save, read by `recover`, `drill` and
//! `verify-print`: the tool's own sheet PDFs, copier PDFs (JPEG, CCITT G4 and JBIG2 inside,
//! several pages), multi-page TIFF, PNM, BMP and WebP; HEIC/AVIF get a way to convert; page 2 of a
//! sheet is recognised. Pages are rendered by poppler (pdftoppm) from a real ceremony's PDFs
//! and wrapped or converted by img2pdf, ImageMagick and cwebp, as the devices do; JBIG2 pages
//! are built from libtiff's CCITT G4 data and checked with jbig2dec and poppler.

use crate::common;

use breakglass_paper::testkit::{jbig2, pdf, stream};
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
        let dir = kept_fixture_dir("scan_formats-");
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
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
          /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        stream(
            "/Type /XObject /Subtype /Image /Width 200000 /Height 200000 \
             /ColorSpace /DeviceGray /BitsPerComponent 8",
            b"\0",
        ),
        stream("", b"q 595 0 0 842 0 0 cm /Im0 Do Q"),
    ];
    let bomb = f.dir.join("bomb.pdf");
    std::fs::write(&bomb, pdf(&objects)).unwrap();
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

/// What the JBIG2 tests need: ImageMagick (its libtiff writes the CCITT G4 data), jbig2dec
/// (the reference decoder) and poppler, each checking the fixtures independently of breakglass.
const JBIG2_TOOLS: &[&str] = &["pdftoppm", "convert", "jbig2dec"];

/// A P4 (raw) PBM as ImageMagick and jbig2dec write it: width, height, rows of packed bits
/// (1 = black), without comments.
fn pbm(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let mut fields = bytes.splitn(4, u8::is_ascii_whitespace);
    assert_eq!(fields.next(), Some(&b"P4"[..]), "{}", path.display());
    let mut number = || -> u32 {
        std::str::from_utf8(fields.next().unwrap())
            .unwrap()
            .parse()
            .unwrap()
    };
    let (width, height) = (number(), number());
    let bits = fields.next().unwrap().to_vec();
    assert_eq!(bits.len(), width.div_ceil(8) as usize * height as usize);
    (width, height, bits)
}

/// A copier's JBIG2 page: page 1 of sheet `i + 1` made bilevel (the reference bitmap, a PBM),
/// and the same bitmap in CCITT G4 as libtiff encodes it.
struct Jbig2Page {
    width: u32,
    height: u32,
    bits: Vec<u8>,
    g4: Vec<u8>,
}

fn jbig2_page(f: &Fixture, i: usize) -> Jbig2Page {
    let pbm_path = f.dir.join(format!("jbig2-s{}.pbm", i + 1));
    tool(
        "convert",
        &[
            p(&f.pages[i][0]),
            "-threshold",
            "50%",
            "-monochrome",
            p(&pbm_path),
        ],
    );
    let g4 = f.dir.join(format!("jbig2-s{}.g4", i + 1));
    tool("convert", &[p(&pbm_path), &format!("GROUP4:{}", p(&g4))]);
    let (width, height, bits) = pbm(&pbm_path);
    Jbig2Page {
        width,
        height,
        bits,
        g4: std::fs::read(&g4).unwrap(),
    }
}

/// Decodes an embedded JBIG2 stream (and its globals) with jbig2dec and insists that it gives
/// exactly `page`'s bitmap.
fn jbig2dec_gives(page: &Jbig2Page, stream: &[u8], globals: Option<&[u8]>, name: &str) {
    let dir = &fixture().dir;
    let stream_path = dir.join(format!("{name}.jb2"));
    std::fs::write(&stream_path, stream).unwrap();
    let out = dir.join(format!("{name}-jbig2dec.pbm"));
    let mut args = vec!["-e", "-t", "pbm", "-o", p(&out)];
    let globals_path = dir.join(format!("{name}-globals.jb2"));
    if let Some(g) = globals {
        std::fs::write(&globals_path, g).unwrap();
        args.push(p(&globals_path));
    }
    args.push(p(&stream_path));
    tool("jbig2dec", &args);
    let (width, height, bits) = pbm(&out);
    assert_eq!((width, height), (page.width, page.height), "{name}");
    assert!(bits == page.bits, "{name}: jbig2dec decodes another bitmap");
}

/// A one-page PDF showing one `width` x `height` JBIG2 image XObject (`/Filter /JBIG2Decode`,
/// embedded stream; `kind` says grey or mask) over the page, sized for 300 dpi; `globals`, if
/// any, go in a `/JBIG2Globals` stream.
fn jbig2_pdf(width: u32, height: u32, kind: &str, data: &[u8], globals: Option<&[u8]>) -> Vec<u8> {
    let (w, h) = (f64::from(width) * 0.24, f64::from(height) * 0.24);
    let globals_ref = match globals {
        Some(_) => " /DecodeParms << /JBIG2Globals 6 0 R >>",
        None => "",
    };
    let image = stream(
        &format!(
            "/Type /XObject /Subtype /Image /Width {width} /Height {height} {kind} \
             /Filter /JBIG2Decode{globals_ref}"
        ),
        data,
    );
    let content = format!("q {w:.2} 0 0 {h:.2} 0 0 cm /Im0 Do Q");
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:.2} {h:.2}] \
             /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
        )
        .into_bytes(),
        image,
        stream("", content.as_bytes()),
    ];
    objects.extend(globals.map(|g| stream("", g)));
    pdf(&objects)
}

/// Renders `pdf` with poppler at the bitmap's own size and insists that it shows the same
/// black and white as `page`: the PDF wrapping (the filter's polarity) as every reader sees it.
fn poppler_shows(page: &Jbig2Page, pdf: &Path) {
    let prefix = pdf.with_extension("").with_extension("poppler");
    let (w, h) = (page.width.to_string(), page.height.to_string());
    tool(
        "pdftoppm",
        &["-gray", "-singlefile", "-scale-to-x", &w, "-scale-to-y", &h]
            .into_iter()
            .chain([p(pdf), p(&prefix)])
            .collect::<Vec<_>>(),
    );
    let grey = std::fs::read(prefix.with_extension("poppler.pgm")).unwrap();
    let header = format!("P5\n{w} {h}\n255\n");
    assert!(grey.starts_with(header.as_bytes()), "{}", pdf.display());
    let grey = &grey[header.len()..];
    let row_bytes = page.width.div_ceil(8) as usize;
    let differ = (0..page.height as usize)
        .flat_map(|y| (0..page.width as usize).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let black = page.bits[y * row_bytes + x / 8] & (0x80 >> (x % 8)) != 0;
            black != (grey[y * page.width as usize + x] < 128)
        })
        .count();
    // The renderer smooths edges (about 2 % of a sheet's pixels fall on the other side of
    // mid-grey); a wrong polarity or a damaged bitmap differs almost everywhere.
    assert!(
        differ * 20 < grey.len(),
        "{}: poppler shows {differ} of {} pixels otherwise",
        pdf.display(),
        grey.len()
    );
}

#[test]
fn copier_pdfs_in_jbig2_recover_with_and_without_globals() {
    if !tools::tools_or_skip(TOOLS) || !tools::tools_or_skip(JBIG2_TOOLS) {
        return;
    }
    let f = fixture();
    // Sheet 1: the simplest stream an encoder writes (T.88 Annex D.3, embedded in a PDF): page
    // information, then one immediate lossless generic region (type 39) with MMR = 1, whose
    // data is CCITT G4 (§6.2.6), here from libtiff.
    let s1 = jbig2_page(f, 0);
    let mut region = jbig2::region(s1.width, s1.height);
    region.push(0x01); // MMR
    region.extend_from_slice(&s1.g4);
    let mut plain = jbig2::segment(0, 48, 1, &[], &jbig2::page_information(s1.width, s1.height));
    plain.extend(jbig2::segment(1, 39, 1, &[], &region));
    jbig2dec_gives(&s1, &plain, None, "jbig2-s1");

    // Sheet 3, as symbol-sharing encoders do, in its simplest form: the globals hold a pattern
    // dictionary (type 16, §7.4.4: two 1 x 1 patterns, white then black, a 2 x 1 collective
    // bitmap in MMR), and the page one halftone region (type 22, §7.4.5) on a grid of step
    // (1, 0) whose single bit plane (MMR: the sheet's G4 data) picks a pattern per pixel.
    let s3 = jbig2_page(f, 2);
    let patterns_pbm = f.dir.join("jbig2-patterns.pbm");
    std::fs::write(&patterns_pbm, b"P1\n2 1\n0 1\n").unwrap();
    let patterns_g4 = f.dir.join("jbig2-patterns.g4");
    tool(
        "convert",
        &[p(&patterns_pbm), &format!("GROUP4:{}", p(&patterns_g4))],
    );
    let mut dictionary = vec![0x01, 1, 1]; // MMR; pattern width and height 1
    dictionary.extend(1u32.to_be_bytes()); // GRAYMAX: two patterns
    dictionary.extend(std::fs::read(&patterns_g4).unwrap());
    let globals = jbig2::segment(1, 16, 0, &[], &dictionary);
    let mut halftone = jbig2::region(s3.width, s3.height);
    halftone.push(0x01); // MMR, OR, no skipping
    halftone.extend(s3.width.to_be_bytes()); // grid size
    halftone.extend(s3.height.to_be_bytes());
    halftone.extend([0; 8]); // grid origin
    halftone.extend(256u16.to_be_bytes()); // grid vector (1, 0), in 1/256 pixel
    halftone.extend(0u16.to_be_bytes());
    halftone.extend_from_slice(&s3.g4);
    let mut shared = jbig2::segment(2, 48, 1, &[], &jbig2::page_information(s3.width, s3.height));
    shared.extend(jbig2::segment(3, 22, 1, &[1], &halftone));
    jbig2dec_gives(&s3, &shared, Some(&globals), "jbig2-s3");

    // Sheet 1 as grey samples, sheet 3 as an image mask (painted black where the sample is 0).
    let pdf1 = f.dir.join("copier-jbig2-s1.pdf");
    let grey = "/ColorSpace /DeviceGray /BitsPerComponent 1";
    std::fs::write(&pdf1, jbig2_pdf(s1.width, s1.height, grey, &plain, None)).unwrap();
    let pdf3 = f.dir.join("copier-jbig2-globals-s3.pdf");
    let mask = "/ImageMask true";
    let pdf = jbig2_pdf(s3.width, s3.height, mask, &shared, Some(&globals));
    std::fs::write(&pdf3, pdf).unwrap();
    poppler_shows(&s1, &pdf1);
    poppler_shows(&s3, &pdf3);

    let r = run(&["recover", p(&pdf1), p(&pdf3)]);
    assert!(recovered(&r, f), "{}", r.all());
}

#[test]
fn a_jbig2_page_claiming_100000_pixels_a_side_is_refused_quickly() {
    if !tools::tools_or_skip(TOOLS) || !tools::tools_or_skip(JBIG2_TOOLS) {
        return;
    }
    let f = fixture();
    // A PDF image of 8 x 8 whose JBIG2 page information claims 100000 x 100000 (10 Gpx).
    let mut region = jbig2::region(8, 8);
    region.push(0x01);
    region.extend([0, 0, 0, 0, 0, 0]);
    let mut stream = jbig2::segment(0, 48, 1, &[], &jbig2::page_information(100_000, 100_000));
    stream.extend(jbig2::segment(1, 39, 1, &[], &region));
    let bomb = f.dir.join("jbig2-bomb.pdf");
    std::fs::write(
        &bomb,
        jbig2_pdf(
            8,
            8,
            "/ColorSpace /DeviceGray /BitsPerComponent 1",
            &stream,
            None,
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let r = run(&["recover", p(&bomb), p(&f.pdfs[0]), p(&f.pdfs[2])]);
    let took = started.elapsed();
    assert!(recovered(&r, f), "{}", r.all());
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("jbig2-bomb.pdf"))
        .unwrap_or_else(|| panic!("jbig2-bomb.pdf not named:\n{}", r.stderr));
    assert!(
        line.contains("too large") && line.contains("100000 x 100000"),
        "{line}"
    );
    // The bomb costs nothing like the 10 Gpx it claims (the whole recovery is measured).
    assert!(took.as_secs() < 10, "{took:?}");
}

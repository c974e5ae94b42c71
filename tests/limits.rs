//! The documented limits at their edges: every 2 ≤ k ≤ n ≤ 255 and every vault up to the
//! format's 12,288-byte envelope cap prints and recovers, from text and from rendered pages;
//! what is truly impossible is refused before any secret exists; hostile images stay bounded.

mod common;

use common::tools::{pdf_of, tools_or_skip};
use common::{p, passwords, read_sheet, run};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Counts the bytes each thread has live and its peak, so one test can bound what a single
/// decoder call allocates while other tests run in parallel.
struct PerThreadPeak;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

// A counting global allocator is unsafe by its trait: allowed here, in a test, only.
#[allow(unsafe_code)]
// SAFETY: every call is passed on unchanged to the system allocator.
unsafe impl GlobalAlloc for PerThreadPeak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|l| {
            let now = l.get() + layout.size();
            l.set(now);
            let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
        });
        // SAFETY: the caller's layout, passed on as the trait requires.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(layout.size())));
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: PerThreadPeak = PerThreadPeak;

/// A ceremony with `n` shares S1..Sn, threshold `k`, into `dir/sheets`.
fn ceremony(dir: &Path, k: u8, n: usize, extra: &[&str]) -> (PathBuf, common::Run) {
    let out = dir.join("sheets");
    let k = k.to_string();
    let labels: Vec<String> = (1..=n).map(|i| format!("S{i}")).collect();
    let mut args = vec![
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--tenant",
        "c",
        "-k",
        &k,
    ];
    for l in &labels {
        args.extend(["--share", l]);
    }
    args.extend(["--out", p(&out)]);
    args.extend_from_slice(extra);
    (out.clone(), run(&args))
}

fn txt(sheets: &Path, i: usize) -> PathBuf {
    sheets.join(format!("share-{i}.txt"))
}

/// Renders page `page` of `pdf` at 150 dpi (a plain office scan) to `out/<name>.png`.
fn render_page(pdf: &Path, page: usize, out: &Path, name: &str) -> PathBuf {
    let page = page.to_string();
    let prefix = out.join(name);
    let st = Command::new("pdftoppm")
        .args([
            "-r",
            "150",
            "-png",
            "-gray",
            "-singlefile",
            "-f",
            &page,
            "-l",
            &page,
        ])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(st.success(), "pdftoppm failed on {}", pdf.display());
    prefix.with_extension("png")
}

/// The number of pages the sheet itself says hold vault codes (1 when it says nothing).
fn code_pages_stated(pdf: &Path) -> usize {
    let o = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).replace('\n', " ");
    match text.find("scan pages 1 to ") {
        Some(i) => text[i + "scan pages 1 to ".len()..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap(),
        None => 1,
    }
}

fn recover(inputs: &[PathBuf]) -> common::Run {
    let mut args = vec!["recover"];
    args.extend(inputs.iter().map(|i| p(i)));
    run(&args)
}

fn assert_opened(r: &common::Run, expected: &[String], what: &str) {
    assert_eq!(r.code, 0, "{what}: recovery failed: {}", r.all());
    for pw in expected {
        assert!(r.stdout.contains(pw.as_str()), "{what}: password missing");
    }
}

#[test]
fn ten_of_twelve_prints_and_recovers_from_text_and_from_scans() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), 10, 12, &[]);
    assert_eq!(c.code, 0, "k = 10 must print: {}", c.all());
    let pw = passwords(&c.stdout);
    assert_eq!(pw.len(), 2);
    let texts: Vec<PathBuf> = (3..=12).map(|i| txt(&sheets, i)).collect();
    assert_opened(&recover(&texts), &pw, "ten typed sheets");
    let r = recover(&texts[..9]);
    assert_ne!(r.code, 0, "nine of ten must not open");

    if !tools_or_skip(&["pdftoppm", "pdftotext"]) {
        return;
    }
    let pdf = pdf_of(&sheets, 1);
    assert_eq!(code_pages_stated(&pdf), 1);
    let o = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("breakglass recover scans/*.png"),
        "the sheet's command must cover ten scans"
    );
    let scans: Vec<PathBuf> = (1..=10)
        .map(|i| render_page(&pdf_of(&sheets, i), 1, dir.path(), &format!("s{i}")))
        .collect();
    assert_opened(&recover(&scans), &pw, "ten scanned sheets");
}

#[test]
fn all_of_255_shares_print_and_recover_from_text_and_from_scans() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), 255, 255, &[]);
    assert_eq!(c.code, 0, "255 of 255 must print: {}", c.all());
    let pw = passwords(&c.stdout);
    let (_, vault) = read_sheet(&txt(&sheets, 255));
    assert_eq!(vault.header.share_count(), 255);
    let texts: Vec<PathBuf> = (1..=255).map(|i| txt(&sheets, i)).collect();
    assert_opened(&recover(&texts), &pw, "255 typed sheets");
    assert_ne!(recover(&texts[1..]).code, 0, "254 of 255 must not open");

    if !tools_or_skip(&["pdftoppm", "pdftotext"]) {
        return;
    }
    // Two sheets from scans (all code pages of one, page 1 of the other), the rest typed.
    let first = pdf_of(&sheets, 1);
    let pages = code_pages_stated(&first);
    assert!(pages > 1, "a 255-share vault needs more than page 1");
    let mut inputs: Vec<PathBuf> = (1..=pages)
        .map(|pg| render_page(&first, pg, dir.path(), &format!("a{pg}")))
        .collect();
    inputs.push(render_page(&pdf_of(&sheets, 2), 1, dir.path(), "b1"));
    inputs.extend((3..=255).map(|i| txt(&sheets, i)));
    assert_opened(&recover(&inputs), &pw, "two scanned sheets and 253 typed");
}

/// Writes two notes whose sizes make the ceremony's vault `target` bytes (measured once).
fn notes_for(dir: &Path, target: usize) -> [PathBuf; 2] {
    let a = dir.join("codes-a.txt");
    let b = dir.join("codes-b.txt");
    let body = |len: usize| {
        let line = "RECOVERY CODE 1234-5678-9ABC\n";
        line.repeat(len / line.len() + 1)[..len].to_string()
    };
    std::fs::write(&a, body(8000)).unwrap();
    std::fs::write(&b, body(100)).unwrap();
    let probe = dir.join("probe");
    std::fs::create_dir(&probe).unwrap();
    let (sheets, c) = ceremony(&probe, 2, 3, &["--note-file", p(&a), "--note-file", p(&b)]);
    assert_eq!(c.code, 0, "{}", c.all());
    let size = read_sheet(&txt(&sheets, 1)).1.to_bytes().len();
    std::fs::write(&b, body(100 + target - size)).unwrap();
    [a, b]
}

#[test]
fn a_vault_at_the_envelope_cap_prints_and_recovers_and_one_byte_more_is_refused_first() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b] = notes_for(dir.path(), 12_288);
    let (sheets, c) = ceremony(
        dir.path(),
        2,
        3,
        &["--note-file", p(&a), "--note-file", p(&b)],
    );
    assert_eq!(c.code, 0, "a 12,288-byte vault must print: {}", c.all());
    let (_, vault) = read_sheet(&txt(&sheets, 1));
    assert_eq!(vault.to_bytes().len(), 12_288);
    let pw = passwords(&c.stdout);
    assert_opened(
        &recover(&[txt(&sheets, 1), txt(&sheets, 3)]),
        &pw,
        "typed sheets at the cap",
    );

    // One byte more: refused before any secret is generated, nothing written.
    let mut longer = std::fs::read(&b).unwrap();
    longer.push(b'X');
    std::fs::write(&b, longer).unwrap();
    let over = dir.path().join("over");
    std::fs::create_dir(&over).unwrap();
    let (out, r) = ceremony(&over, 2, 3, &["--note-file", p(&a), "--note-file", p(&b)]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains("12289 bytes") && r.stderr.contains("12288"),
        "the message names the size and the limit: {}",
        r.stderr
    );
    assert!(passwords(&r.stdout).is_empty(), "no secret may be shown");
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
        "nothing may be written"
    );

    if !tools_or_skip(&["pdftoppm", "pdftotext"]) {
        return;
    }
    let first = pdf_of(&sheets, 2);
    let pages = code_pages_stated(&first);
    let parts = vault_parts(&txt(&sheets, 2));
    assert!(parts > 4 && pages > 1, "{parts} parts on {pages} pages");
    let mut scans: Vec<PathBuf> = (1..=pages)
        .map(|pg| render_page(&first, pg, dir.path(), &format!("v{pg}")))
        .collect();
    // Each stated page holds codes; the page after them holds none.
    let found: usize = scans
        .iter()
        .map(|s| scan_count(s))
        .inspect(|&n| assert!(n > 0, "a stated code page has no code"))
        .sum();
    assert_eq!(found, parts + 1, "share code and every vault part");
    let after = render_page(&first, pages + 1, dir.path(), "after");
    assert_eq!(scan_count(&after), 0, "codes beyond the stated pages");
    scans.push(render_page(&pdf_of(&sheets, 3), 1, dir.path(), "w1"));
    assert_opened(&recover(&scans), &pw, "scans at the cap");
}

fn vault_parts(sheet_txt: &Path) -> usize {
    let text = std::fs::read_to_string(sheet_txt).unwrap();
    let header = text.lines().find(|l| l.starts_with("BG1-V-")).unwrap();
    let lines: usize = header.split('-').nth(2).unwrap().parse().unwrap();
    lines.div_ceil(breakglass_core::document::VAULT_LINES_PER_QR)
}

fn scan_count(img: &Path) -> usize {
    let bytes = std::fs::read(img).unwrap();
    let limits = breakglass_paper::scan::ScanLimits::default();
    breakglass_paper::scan::scan_image_until(&bytes, &limits, &|_| false)
        .map(|v| v.len())
        .unwrap_or(0)
}

#[test]
fn plan_check_refuses_a_plan_over_the_envelope_cap() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    let mut text = String::from(
        "version = 1\ntenant = \"contoso\"\nthreshold = 2\n\n[[account]]\nuser = \"bg1\"\ndisplay_name = \"Emergency access 1\"\n\n[[account]]\nuser = \"bg2\"\ndisplay_name = \"Emergency access 2\"\n",
    );
    // 255 shares with 40-byte places and custodians: about 25 KB of header alone.
    for i in 1..=255 {
        text.push_str(&format!(
            "\n[[share]]\nlocation = \"Bank deposit box number {i:03} of the group\"\ncustodian = \"Custodian number {i:03} of the trust office\"\n"
        ));
    }
    std::fs::write(&plan, &text).unwrap();
    let r = run(&["plan", "check", p(&plan)]);
    assert_ne!(r.code, 0, "plan check must refuse it: {}", r.all());
    assert!(
        r.all().contains("above the format's limit of 12288 bytes"),
        "{}",
        r.all()
    );
    let out = dir.path().join("sheets");
    let r = run(&[
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--plan",
        p(&plan),
        "--out",
        p(&out),
    ]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(passwords(&r.stdout).is_empty());

    // The same plan with short labels is fine.
    let short: String = text
        .replace("Bank deposit box number ", "Box ")
        .replace("Custodian number ", "C")
        .replace(" of the group", "")
        .replace(" of the trust office", "");
    std::fs::write(&plan, short).unwrap();
    let r = run(&["plan", "check", p(&plan)]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// A deflate stream (fixed Huffman) of `len` zero bytes in a zlib wrapper: a few hundred KB
/// that inflate to `len`.
fn zlib_zeros(len: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, v: u64, n: u32) {
            self.acc |= v << self.n;
            self.n += n;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, v: u64, n: u32) {
            let r = (0..n).fold(0, |r, i| (r << 1) | ((v >> i) & 1));
            self.put(r, n);
        }
    }
    let mut b = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman
    b.code(0x30, 8); // literal 0
    let mut left = len - 1;
    while left >= 258 + 3 {
        b.code(0xC5, 8); // length 258 (symbol 285)
        b.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        b.code(0x30, 8);
    }
    b.code(0, 7); // end of block
    let mut out = b.out;
    if b.n > 0 {
        out.push(b.acc as u8);
    }
    let (a, s) = (1u32, (len as u64 % 65521) as u32);
    out.extend_from_slice(&((s << 16) | a).to_be_bytes());
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = !0u32;
    for &byte in kind.iter().chain(data) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
}

#[test]
fn an_icc_profile_bomb_costs_no_memory() {
    // A white 64 x 64 grey PNG whose iCCP chunk inflates to 256 MiB.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&64u32.to_be_bytes());
    ihdr.extend_from_slice(&64u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    let mut iccp = b"bomb\0\0".to_vec();
    iccp.extend(zlib_zeros(256 << 20));
    png_chunk(&mut png, b"iCCP", &iccp);
    let rows: Vec<u8> = (0..64)
        .flat_map(|_| [0u8].into_iter().chain([255u8; 64]))
        .collect();
    let mut idat = vec![0x78, 0x01];
    // Stored deflate block (uncompressed), then the Adler-32 of the rows.
    idat.push(1);
    idat.extend_from_slice(&(rows.len() as u16).to_le_bytes());
    idat.extend_from_slice(&(!(rows.len() as u16)).to_le_bytes());
    idat.extend_from_slice(&rows);
    let (mut a, mut s) = (1u32, 0u32);
    for &r in &rows {
        a = (a + u32::from(r)) % 65521;
        s = (s + a) % 65521;
    }
    idat.extend_from_slice(&((s << 16) | a).to_be_bytes());
    png_chunk(&mut png, b"IDAT", &idat);
    png_chunk(&mut png, b"IEND", &[]);
    assert!(
        png.len() < 2 << 20,
        "the bomb is small: {} bytes",
        png.len()
    );

    PEAK.with(|p| p.set(LIVE.with(Cell::get)));
    let before = PEAK.with(Cell::get);
    let t = Instant::now();
    let img =
        breakglass_paper::scan::load_luma(&png, &breakglass_paper::scan::ScanLimits::default())
            .expect("the image itself is fine");
    let peak = PEAK.with(Cell::get) - before;
    assert_eq!((img.width(), img.height()), (64, 64));
    assert!(
        peak < 16 << 20,
        "loading a 64 x 64 PNG took {} MiB at peak",
        peak >> 20
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

/// A page of fake finder patterns (1:1:3:1:1 squares) that makes the decoders search long.
fn fake_finders(side: u32, module: u32) -> Vec<u8> {
    let cell = 9 * module;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (cx, cy) = ((x % cell) / module, (y % cell) / module);
        let ring = cx.min(cy).min(8 - cx.min(8)).min(8 - cy.min(8));
        let dark = cx < 8 && cy < 8 && matches!(ring, 0 | 2 | 3);
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Live threads of this process named like the scan worker (`comm` keeps 15 bytes).
fn scan_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|c| c.trim_end() == "breakglass-qr-s")
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn abandoned_scan_decoders_never_pile_up() {
    use breakglass_paper::scan::{ScanError, ScanLimits, scan_image, worker_running};
    let hostile = fake_finders(2000, 1);
    let limits = ScanLimits {
        time_budget: Duration::from_millis(150),
        ..ScanLimits::default()
    };
    let (mut timed_out, mut skipped, mut most) = (0, 0, 0);
    for _ in 0..6 {
        match scan_image(&hostile, &limits) {
            Err(ScanError::TimedOut { .. }) => timed_out += 1,
            Err(ScanError::DecoderBusy) => skipped += 1,
            _ => {}
        }
        most = most.max(scan_threads());
    }
    assert!(
        timed_out >= 1,
        "the image must outlast the budget, or this proves nothing"
    );
    assert!(most <= 1, "{most} scan threads alive at once");
    assert!(
        skipped + timed_out == 6,
        "{timed_out} timed out, {skipped} skipped"
    );
    let deadline = Instant::now() + Duration::from_secs(300);
    while worker_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!worker_running(), "the abandoned decoder never ended");
    // Once it ended, the next image is decoded again.
    let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
    let mut png = Vec::new();
    blank
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(matches!(
        scan_image(&png, &ScanLimits::default()),
        Err(ScanError::NoCodeFound)
    ));
}

//! Renders a realistic sheet and checks it with the real external tools a recovery would
//! use: qpdf (structure), pdftoppm (rasterise like a 150/300-dpi scan), zbarimg (decode).
//! Each check is skipped, with a message, when its tool is not installed.
//! Set SHEET_OUT_DIR to keep the PDFs and PNGs for a look.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use breakglass_paper::sheet::{Paper, ShareSheet, render_share_sheet};

const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";

/// Deterministic pseudo-random base32-like text (no RNG crate needed).
fn text(n: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

/// "01  ABCD EFGH ...  7" lines like the core's typed fallback.
fn typed(body: &str, per_line: usize) -> Vec<String> {
    body.as_bytes()
        .chunks(per_line)
        .enumerate()
        .map(|(i, chunk)| {
            let groups: Vec<String> = chunk
                .chunks(4)
                .map(|g| String::from_utf8_lossy(g).into_owned())
                .collect();
            format!("{:02}  {}  {}", i + 1, groups.join(" "), (i * 7 + 3) % 10)
        })
        .collect()
}

fn sample() -> ShareSheet {
    let share = text(102, 1);
    let vault = text(1400, 2);
    ShareSheet {
        title: "BREAK-GLASS KEY SHARE 2 of 3".into(),
        subtitle: "any 2 shares recover the emergency credentials of contoso.onmicrosoft.com".into(),
        vault_id: "7K3M-Q2XA-9ZKM-D2XA-P5N8-H3JT-6R".into(),
        fingerprint: "7K3M-Q2XA".into(),
        generation: 3,
        created: "2026-11-25".into(),
        next_drill_due: "2027-02-23".into(),
        location: "Safe A (HQ)".into(),
        custodian: "Jane Doe, IT Operations".into(),
        share_qr: format!("BG1-S-5:{share}"),
        share_lines: std::iter::once("BG1-S-5".to_string())
            .chain(typed(&share, 20))
            .collect(),
        vault_qr: vec![
            format!("BG1-V-1/2:{}", &vault[..690]),
            format!("BG1-V-2/2:{}", &vault[690..]),
        ],
        vault_lines: std::iter::once("BG1-V 1400 CHARS 70 LINES CRC 7Q".to_string())
            .chain(typed(&vault, 20))
            .collect(),
        instructions: vec![
            "1. You need this sheet and at least one more share sheet of the same vault (same fingerprint 7K3M-Q2XA, same generation).".into(),
            "2. Take the sheets to an offline computer that has the breakglass tool. If the tool is lost, FORMAT.md explains how to rebuild it.".into(),
            "3. Photograph or scan page 1 of each sheet and copy the images to the offline computer.".into(),
            "4. Run the command below with the image files. If a code will not scan, the tool asks you to type the lines printed under the codes instead.".into(),
            "5. The tool shows the emergency account names and passwords. Sign in and fix the outage.".into(),
            "6. Afterwards rotate the credentials, print new sheets, destroy these, and record the recovery in the drill log.".into(),
        ],
        format_summary: vec![
            "Shares: Shamir secret sharing over GF(256), 2 of 3, base32 text with a checksum per line.".into(),
            "Vault: credentials encrypted with XChaCha20-Poly1305 under a key derived from the recovered secret.".into(),
            "Full specification, enough to write a new decoder: FORMAT.md in the breakglass source archive.".into(),
        ],
        recover_command: "breakglass recover share-1.png share-3.png".into(),
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .or_else(|_| Command::new(tool).arg("-v").output())
        .is_ok()
}

fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("SHEET_OUT_DIR") {
        Some(d) => {
            let p = PathBuf::from(d);
            std::fs::create_dir_all(&p).unwrap();
            (None, p)
        }
        None => {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    }
}

/// Rasterise page 1 at `dpi`; returns the PNG path.
fn render_page1(pdf: &Path, dpi: u32) -> PathBuf {
    let prefix = pdf.with_extension(format!("{dpi}dpi"));
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("run pdftoppm");
    assert!(
        status.success(),
        "pdftoppm -r {dpi} failed on {}",
        pdf.display()
    );
    let png = prefix.with_extension(format!("{dpi}dpi.png"));
    assert!(png.exists(), "pdftoppm wrote no {}", png.display());
    png
}

fn zbar_codes(png: &Path) -> Vec<String> {
    let out = Command::new("zbarimg")
        .args(["--nodbus", "-q"])
        .arg(png)
        .output()
        .expect("run zbarimg");
    assert!(
        out.status.success(),
        "zbarimg found nothing in {} (status {:?})",
        png.display(),
        out.status.code()
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            l.strip_prefix("QR-Code:")
                .unwrap_or_else(|| panic!("unexpected zbarimg line {l:?}"))
                .to_string()
        })
        .collect()
}

#[test]
fn sample_sheet_passes_qpdf_and_scans_back_exactly() {
    let sheet = sample();
    let (_guard, dir) = out_dir();
    let expected: BTreeSet<String> = std::iter::once(sheet.share_qr.clone())
        .chain(sheet.vault_qr.iter().cloned())
        .collect();

    for paper in [Paper::A4, Paper::Letter] {
        let pdf_bytes = render_share_sheet(&sheet, paper).expect("render");
        println!("{paper:?}: {} bytes", pdf_bytes.len());
        assert!(
            pdf_bytes.len() < 60_000,
            "sheet is {} bytes",
            pdf_bytes.len()
        );
        let pdf = dir.join(format!("sheet-{paper:?}.pdf"));
        std::fs::write(&pdf, &pdf_bytes).unwrap();

        if have("qpdf") {
            let out = Command::new("qpdf")
                .arg("--check")
                .arg(&pdf)
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stdout);
            println!(
                "qpdf --check ({paper:?}): {}",
                said.trim().replace('\n', " / ")
            );
            assert!(out.status.success(), "qpdf --check failed: {said}");
            assert!(
                said.contains("No syntax or stream encoding errors"),
                "{said}"
            );
        } else {
            eprintln!("SKIPPED qpdf --check: qpdf not installed (apt-get install qpdf)");
        }

        if !have("pdftoppm") || !have("zbarimg") {
            eprintln!(
                "SKIPPED render+scan: needs pdftoppm and zbarimg \
                 (apt-get install poppler-utils zbar-tools)"
            );
            continue;
        }
        for dpi in [150, 300] {
            let png = render_page1(&pdf, dpi);
            let found = zbar_codes(&png);
            println!("zbarimg {paper:?} {dpi} dpi: {} codes", found.len());
            assert_eq!(
                found.len(),
                expected.len(),
                "duplicate or missing codes: {found:?}"
            );
            let found: BTreeSet<String> = found.into_iter().collect();
            assert_eq!(found, expected, "{paper:?} at {dpi} dpi");
        }
    }
}

#[test]
fn four_vault_parts_scan_back_on_letter() {
    if !have("pdftoppm") || !have("zbarimg") {
        eprintln!("SKIPPED: needs pdftoppm and zbarimg (apt-get install poppler-utils zbar-tools)");
        return;
    }
    let mut sheet = sample();
    let vault = text(3200, 9);
    sheet.vault_qr = vault
        .as_bytes()
        .chunks(800)
        .enumerate()
        .map(|(i, c)| format!("BG1-V-{}/4:{}", i + 1, String::from_utf8_lossy(c)))
        .collect();
    sheet.vault_lines = typed(&vault, 20);
    let (_guard, dir) = out_dir();
    let pdf = dir.join("sheet-4parts-Letter.pdf");
    let bytes = render_share_sheet(&sheet, Paper::Letter).unwrap();
    println!("4 parts Letter: {} bytes", bytes.len());
    std::fs::write(&pdf, bytes).unwrap();
    let expected: BTreeSet<String> = std::iter::once(sheet.share_qr.clone())
        .chain(sheet.vault_qr.iter().cloned())
        .collect();
    for dpi in [150, 300] {
        let found: BTreeSet<String> = zbar_codes(&render_page1(&pdf, dpi)).into_iter().collect();
        assert_eq!(found, expected, "4 parts at {dpi} dpi");
    }
}

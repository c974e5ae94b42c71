//! The printed sheet, checked with real external tools: qpdf validates the PDF, pdftoppm renders
//! it like a scanner would, zbarimg decodes the codes independently of our own scanner, and the
//! decoded payloads recover the vault through the real binary.

use crate::common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pdfs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    v.sort();
    v
}

fn render(pdf: &Path, dpi: u32, out_prefix: &Path) -> Vec<PathBuf> {
    let st = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-png"])
        .arg(pdf)
        .arg(out_prefix)
        .status()
        .unwrap();
    assert!(st.success());
    let dir = out_prefix.parent().unwrap();
    let stem = out_prefix
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with(&stem)
                && p.extension().is_some_and(|e| e == "png")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn printed_sheets_validate_and_recover_through_an_independent_decoder() {
    if !tools::tools_or_skip(&["pdftoppm", "zbarimg", "qpdf"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &["--fido2", "YubiKey 5 NFC #1234"]);
    let pdf_files = pdfs(&dir.path().join("sheets"));
    assert_eq!(pdf_files.len(), 3);
    for pdf in &pdf_files {
        let q = Command::new("qpdf")
            .arg("--check")
            .arg(pdf)
            .output()
            .unwrap();
        assert!(
            q.status.success(),
            "qpdf: {}",
            String::from_utf8_lossy(&q.stdout)
        );
        let size = std::fs::metadata(pdf).unwrap().len();
        assert!(size < 60_000, "{} is {size} bytes", pdf.display());
        // No password on any sheet, in the PDF bytes or its text file.
        let bytes = std::fs::read(pdf).unwrap();
        for pw in passwords(&c.stdout) {
            assert!(!bytes.windows(pw.len()).any(|w| w == pw.as_bytes()));
        }
    }
    for dpi in [150, 300] {
        // Sheets 1 and 3, scanned and decoded by zbarimg, piped into `breakglass recover`.
        let mut payloads = Vec::new();
        for (i, pdf) in [&pdf_files[0], &pdf_files[2]].into_iter().enumerate() {
            let pngs = render(pdf, dpi, &dir.path().join(format!("scan{dpi}-{i}")));
            assert_eq!(pngs.len(), 2, "two pages");
            let codes: Vec<String> = pngs.iter().flat_map(|p| tools::zbar(p)).collect();
            // One share code and the vault parts, all on page 1.
            let (share, vault): (Vec<&String>, Vec<&String>) =
                codes.iter().partition(|c| c.starts_with("BG1-S-"));
            assert_eq!(share.len(), 1, "{codes:?}");
            assert!(!vault.is_empty() && vault.iter().all(|v| v.starts_with("BG1-V-")));
            // The QR text is exactly the text form on the sheet's text file.
            let text = std::fs::read_to_string(&sheets[if i == 0 { 0 } else { 2 }]).unwrap();
            let share_header = share[0].split(' ').next().unwrap();
            assert!(text.contains(share_header));
            payloads.extend(codes);
        }
        let r = run_stdin(&["recover"], &(payloads.join("\n") + "\n"));
        assert_eq!(r.code, 0, "{}", r.all());
        for pw in passwords(&c.stdout) {
            assert!(r.stdout.contains(pw.as_str()));
        }
    }
}

#[test]
fn letter_paper_is_true_to_size() {
    if !tools::tools_or_skip(&["pdftoppm", "zbarimg", "qpdf"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ceremony(dir.path(), &["--paper", "letter"]);
    let pdf = &pdfs(&dir.path().join("sheets"))[0];
    let bytes = std::fs::read(pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("/MediaBox [0 0 612 792]") || text.contains("/MediaBox[0 0 612 792]"),
        "not Letter"
    );
    let dir2 = tempfile::tempdir().unwrap();
    ceremony(dir2.path(), &["--paper", "a4"]);
    let bytes = std::fs::read(&pdfs(&dir2.path().join("sheets"))[0]).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("595.2"), "not A4");
}

#[test]
fn verify_print_reads_back_every_sheet() {
    if !tools::tools_or_skip(&["pdftoppm", "zbarimg", "qpdf"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, c) = ceremony(dir.path(), &[]);
    let mut scans = Vec::new();
    for (i, pdf) in pdfs(&dir.path().join("sheets")).iter().enumerate() {
        scans.extend(
            render(pdf, 150, &dir.path().join(format!("v{i}")))
                .into_iter()
                .take(1),
        );
    }
    let args: Vec<&str> = std::iter::once("verify-print")
        .chain(scans.iter().map(|s| s.to_str().unwrap()))
        .collect();
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.stdout.matches(": OK").count(), 3, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("All 3 sheets read back and match the vault.")
    );
    assert!(r.stdout.contains("The vault opens with shares 1, 2"));
    for pw in passwords(&c.stdout) {
        assert!(
            !r.all().contains(pw.as_str()),
            "verify-print showed a secret"
        );
    }
    // A sheet of another vault among them: refused.
    let other = tempfile::tempdir().unwrap();
    ceremony(other.path(), &[]);
    let foreign = render(
        &pdfs(&other.path().join("sheets"))[0],
        150,
        &other.path().join("f"),
    );
    let mut args = args.clone();
    args.push(foreign[0].to_str().unwrap());
    let r = run(&args);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("different vaults"), "{}", r.stderr);
}

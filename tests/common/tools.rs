//! External tools the paper tests use as the honest check: pdftoppm renders a sheet the way a
//! scanner would, zbarimg decodes QR codes independently of our scanner.

use std::path::{Path, PathBuf};
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
        || Command::new(tool).arg("-v").output().is_ok()
}

/// True when every tool is installed. In CI (`.ci/run` installs them) a missing tool is a
/// failure; elsewhere the test says it skipped.
pub fn tools_or_skip(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !have(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let hint = "apt-get install poppler-utils zbar-tools qpdf imagemagick img2pdf webp libtiff-tools jbig2dec groff-base";
    if std::env::var_os("CI").is_some() {
        panic!("missing {missing:?}: {hint}");
    }
    eprintln!("SKIPPED: missing {missing:?} ({hint})");
    false
}

/// The PDF of sheet `n` (`share-N-<slug>.pdf`) in `sheets`.
pub fn pdf_of(sheets: &Path, n: usize) -> PathBuf {
    let prefix = format!("share-{n}-");
    std::fs::read_dir(sheets)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".pdf")
        })
        .unwrap_or_else(|| panic!("no PDF for sheet {n} in {}", sheets.display()))
}

/// Renders page 1 of `pdf` at `dpi` (grey when asked) to `<out_prefix>.png`.
pub fn render_page1(pdf: &Path, dpi: u32, out_prefix: &Path, grey: bool) -> PathBuf {
    render_page(pdf, 1, dpi, out_prefix, grey)
}

/// Renders page `page` of `pdf` at `dpi` (grey when asked) to `<out_prefix>.png`.
pub fn render_page(pdf: &Path, page: u32, dpi: u32, out_prefix: &Path, grey: bool) -> PathBuf {
    let dpi = dpi.to_string();
    let page = page.to_string();
    let mut args = vec!["-r", &dpi, "-png", "-f", &page, "-l", &page, "-singlefile"];
    if grey {
        args.push("-gray");
    }
    let st = Command::new("pdftoppm")
        .args(args)
        .arg(pdf)
        .arg(out_prefix)
        .status()
        .unwrap();
    assert!(st.success(), "pdftoppm failed on {}", pdf.display());
    out_prefix.with_extension("png")
}

/// The text poppler reads from `pdf`, laid out as printed (`-layout`) plus `args`. Without
/// `-layout`, pdftotext joins a line ending in "-" to the next as a hyphenated word, so a
/// password ending in a hyphen would read as missing.
pub fn pdftotext(pdf: &Path, args: &[&str]) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .args(args)
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        out.status.success(),
        "pdftotext failed on {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every QR payload zbarimg reads in an image (exit 4, no code, gives none).
pub fn zbar(img: &Path) -> Vec<String> {
    let o = Command::new("zbarimg")
        .args(["--nodbus", "-q", "--raw"])
        .arg(img)
        .output()
        .unwrap();
    assert!(
        o.status.success() || o.status.code() == Some(4),
        "zbarimg failed on {}",
        img.display()
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

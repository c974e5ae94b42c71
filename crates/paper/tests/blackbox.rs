//! ZXing's black-box photos: `scan_image` must read at least as many as ZXing does upright.

use std::path::{Path, PathBuf};

use breakglass_paper::scan::{ScanLimits, scan_image};

/// (folder, images ZXing decodes upright)
const FOLDERS: [(&str, usize); 3] = [("qrcode-1", 17), ("qrcode-2", 32), ("qrcode-3", 38)];

/// `$QR_BLACKBOX_DIR`, else `shared/qr-blackbox` found above the crate.
fn blackbox_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("QR_BLACKBOX_DIR") {
        return Some(PathBuf::from(dir));
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/qr-blackbox"))
        .find(|p| p.is_dir())
}

/// Every `N.png`/`N.jpg` with an `N.txt` beside it, sorted by N.
fn cases(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(u32, PathBuf, String)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let ext = path.extension()?.to_str()?.to_ascii_lowercase();
            if !["png", "jpg", "jpeg"].contains(&ext.as_str()) {
                return None;
            }
            let n: u32 = path.file_stem()?.to_str()?.parse().ok()?;
            let text = std::fs::read_to_string(path.with_extension("txt")).ok()?;
            Some((n, path, text))
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, p, t)| (p, t)).collect()
}

#[test]
fn reads_at_least_as_many_photos_as_zxing() {
    let Some(root) = blackbox_dir() else {
        // CI has ../shared beside the checkout: there the photos must be read.
        assert!(
            std::env::var_os("CI").is_none(),
            "shared/qr-blackbox not found (set QR_BLACKBOX_DIR)"
        );
        eprintln!("SKIPPED: shared/qr-blackbox not found (set QR_BLACKBOX_DIR)");
        return;
    };
    let limits = ScanLimits::default();
    let mut short = Vec::new();
    for (folder, zxing) in FOLDERS {
        let dir = root.join(folder);
        assert!(dir.is_dir(), "{} not found", dir.display());
        let cases = cases(&dir);
        let mut missed = Vec::new();
        for (path, expected) in &cases {
            let bytes = std::fs::read(path).unwrap();
            match scan_image(&bytes, &limits) {
                Ok(found) if found.contains(expected) => {}
                other => missed.push(format!(
                    "{}: {}",
                    path.file_name().unwrap().to_string_lossy(),
                    match other {
                        Ok(found) => format!("wrong text {found:?}"),
                        Err(e) => format!("{e:?}"),
                    }
                )),
            }
        }
        let ok = cases.len() - missed.len();
        eprintln!(
            "{folder}: {ok}/{} (ZXing {zxing}); missed: {missed:#?}",
            cases.len()
        );
        if ok < zxing {
            short.push(format!("{folder}: {ok} < {zxing}"));
        }
    }
    assert!(short.is_empty(), "fewer decodes than ZXing: {short:?}");
}

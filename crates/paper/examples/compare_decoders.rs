//! Decode rate and time per image on ZXing's black-box photos, per decoder and for the
//! combined scanner. Run: `cargo run --release --example compare_decoders [DIR] [-v]`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use breakglass_paper::scan::{
    PASS_DOUBLE, PASS_FAST, PASS_HALF, PASS_OTSU, ScanLimits, Tuning, load_luma, scan_image_tuned,
};

fn cases(dir: &Path) -> Vec<(String, Vec<u8>, String)> {
    let mut out: Vec<(u32, String, Vec<u8>, String)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let ext = path.extension()?.to_str()?.to_ascii_lowercase();
            if !["png", "jpg", "jpeg"].contains(&ext.as_str()) {
                return None;
            }
            let n: u32 = path.file_stem()?.to_str()?.parse().ok()?;
            let text = std::fs::read_to_string(path.with_extension("txt")).ok()?;
            let name = path.file_name()?.to_string_lossy().into_owned();
            Some((n, name, std::fs::read(&path).ok()?, text))
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, n, b, t)| (n, b, t)).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let root = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("QR_BLACKBOX_DIR").map(PathBuf::from))
        .or_else(|| {
            // `shared/qr-blackbox` beside the checkout, as the team lays it out.
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|a| a.join("shared/qr-blackbox"))
                .find(|p| p.is_dir())
        })
        .expect("give the qr-blackbox folder as an argument or in QR_BLACKBOX_DIR");
    let limits = ScanLimits::default();
    let mut modes: Vec<(&str, Tuning)> = vec![
        (
            "rqrr, one pass",
            Tuning {
                rxing: false,
                rqrr: true,
                passes: PASS_FAST,
            },
        ),
        (
            "rxing, one pass",
            Tuning {
                rxing: true,
                rqrr: false,
                passes: PASS_FAST,
            },
        ),
        (
            "rqrr + retries",
            Tuning {
                rxing: false,
                rqrr: true,
                passes: u8::MAX,
            },
        ),
        (
            "rxing + retries",
            Tuning {
                rxing: true,
                rqrr: false,
                passes: u8::MAX,
            },
        ),
        ("scan_image (both + retries)", Tuning::default()),
    ];
    if verbose {
        for (label, passes) in [
            ("both, otsu pass only", PASS_OTSU),
            ("both, half pass only", PASS_HALF),
            ("both, double pass only", PASS_DOUBLE),
        ] {
            modes.push((
                label,
                Tuning {
                    rxing: true,
                    rqrr: true,
                    passes,
                },
            ));
        }
    }
    println!("| folder | decoder | decoded | mean ms/image | max ms |");
    println!("| --- | --- | --- | --- | --- |");
    for folder in ["qrcode-1", "qrcode-2", "qrcode-3"] {
        let dir = root.join(folder);
        if !dir.is_dir() {
            println!("| {folder} | (folder missing) | | | |");
            continue;
        }
        let cases = cases(&dir);
        let n = cases.len();
        let start = Instant::now();
        let mut max = Duration::ZERO;
        for (_, bytes, _) in &cases {
            let t = Instant::now();
            let _ = load_luma(bytes, &limits).unwrap();
            max = max.max(t.elapsed());
        }
        println!(
            "| {folder} | PNG/JPEG decode to grey only | {n}/{n} | {:.1} | {:.1} |",
            start.elapsed().as_secs_f64() * 1000.0 / n as f64,
            max.as_secs_f64() * 1000.0
        );
        for (label, tuning) in &modes {
            // Best of three runs, so that the first run's cold caches do not count.
            let mut best = (Duration::MAX, Duration::ZERO, 0, Vec::new());
            for _ in 0..3 {
                let mut ok = 0;
                let mut missed = Vec::new();
                let mut max = Duration::ZERO;
                let start = Instant::now();
                for (name, bytes, expected) in &cases {
                    let t = Instant::now();
                    let r = scan_image_tuned(bytes, &limits, &|f: &[String]| !f.is_empty(), tuning);
                    max = max.max(t.elapsed());
                    match r {
                        Ok(found) if found.contains(expected) => ok += 1,
                        _ => missed.push(name.clone()),
                    }
                }
                let total = start.elapsed();
                if total < best.0 {
                    best = (total, max, ok, missed);
                }
            }
            let (total, max, ok, missed) = best;
            println!(
                "| {folder} | {label} | {ok}/{n} | {:.1} | {:.1} |",
                total.as_secs_f64() * 1000.0 / n as f64,
                max.as_secs_f64() * 1000.0
            );
            if verbose {
                eprintln!("  {folder} {label} missed: {missed:?}");
            }
        }
        zbar(folder, &dir, &cases);
    }
}

/// zbarimg on the same files, if installed (one process per image, so its time includes
/// process start-up).
fn zbar(folder: &str, dir: &Path, cases: &[(String, Vec<u8>, String)]) {
    let mut ok = 0;
    let start = Instant::now();
    for (name, _, expected) in cases {
        let Ok(out) = std::process::Command::new("zbarimg")
            .args(["--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .arg(dir.join(name))
            .output()
        else {
            println!("| {folder} | zbarimg (not installed) | | | |");
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        if text.strip_suffix('\n') == Some(expected.as_str()) {
            ok += 1;
        }
    }
    println!(
        "| {folder} | zbarimg 0.23 (separate process) | {ok}/{} | {:.1} | |",
        cases.len(),
        start.elapsed().as_secs_f64() * 1000.0 / cases.len() as f64
    );
}

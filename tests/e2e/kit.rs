//! `breakglass kit`: the files it writes, the booklet's listing read back with pdftotext, and
//! the `recover.py` it writes checked against every vector and against `breakglass recover`
//! (tests/kit/test_recover_py.py, run with the real binary).

use crate::common;

use common::{
    p, run,
    tools::{pdftotext, tools_or_skip},
};
use std::path::Path;
use std::process::Command;

fn source_recover_py() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/paper/kit/recover.py"))
        .unwrap()
}

/// SHA-256 by coreutils, not by our own code.
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

fn skip_or_fail(reason: &str) {
    if std::env::var_os("BREAKGLASS_REQUIRE_PYTHON").is_some() {
        panic!("recover.py cannot be tested: {reason} (BREAKGLASS_REQUIRE_PYTHON is set)");
    }
    eprintln!(
        "SKIPPED recover.py tests: {reason}; install python3 (3.8 or newer), or set \
         BREAKGLASS_REQUIRE_PYTHON=1 to make this a failure"
    );
}

#[test]
fn kit_writes_recover_py_and_the_booklet_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kit");
    let r = run(&["kit", "--out", p(&out)]);
    assert_eq!(r.code, 0, "{}", r.all());
    let py = out.join("recover.py");
    let pdf = out.join("recovery-kit.pdf");
    assert_eq!(std::fs::read(&py).unwrap(), source_recover_py());
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let sha = sha256sum(&py);
    assert!(
        r.stdout.contains(&format!("SHA-256 of recover.py: {sha}")),
        "{}",
        r.stdout
    );
    #[cfg(unix)]
    for f in [&py, &pdf] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{} is not secret: 0644", f.display());
    }

    // Again without --force: refused, exit 6, both names given, nothing changed.
    std::fs::write(&py, "# a local copy\n").unwrap();
    let again = run(&["kit", "--out", p(&out)]);
    assert_eq!(again.code, 6, "{}", again.all());
    assert!(
        again.stderr.contains("recover.py and recovery-kit.pdf")
            && again.stderr.contains("--force"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read(&py).unwrap(), b"# a local copy\n");
    let forced = run(&["kit", "--out", p(&out), "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.all());
    assert_eq!(std::fs::read(&py).unwrap(), source_recover_py());
    // The booklet is reproducible: the same bytes every time.
    let first = std::fs::read(&pdf).unwrap();
    let other = dir.path().join("other");
    assert_eq!(run(&["kit", "--out", p(&other)]).code, 0);
    assert_eq!(
        std::fs::read(other.join("recovery-kit.pdf")).unwrap(),
        first
    );

    // A file where the folder should be.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let r = run(&["kit", "--out", p(&file)]);
    assert_eq!(r.code, 6, "{}", r.all());
    assert!(r.stderr.contains("is not a folder"), "{}", r.stderr);
}

/// The lines of `text` that are numbered listing rows, as (number, line without its number).
fn numbered_rows(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .filter_map(|row| {
            let trimmed = row.trim_start();
            let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
            let rest = &trimmed[digits..];
            if digits == 0 {
                return None;
            }
            let line = if rest.is_empty() {
                ""
            } else {
                rest.strip_prefix("  ")?
            };
            Some((trimmed[..digits].parse().ok()?, line.to_string()))
        })
        .collect()
}

#[test]
fn the_booklet_lists_recover_py_byte_for_byte_with_its_sha256() {
    if !tools_or_skip(&["pdftotext"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for paper in ["a4", "letter"] {
        let out = dir.path().join(paper);
        let r = run(&["kit", "--out", p(&out), "--paper", paper]);
        assert_eq!(r.code, 0, "{}", r.all());
        let pdf = out.join("recovery-kit.pdf");
        let py = std::fs::read_to_string(out.join("recover.py")).unwrap();

        // The booklet's text says how to extract the listing, and gives the hash.
        let text = pdftotext(&pdf, &[]);
        for needed in [
            "WHAT THE SHEETS ARE",
            "RECOVER WITH BREAKGLASS",
            "RECOVER WITH recover.py",
            "THE FORMAT IN BRIEF",
            "XChaCha20-Poly1305",
        ] {
            assert!(
                text.contains(needed),
                "{paper}: no {needed:?} in the booklet"
            );
        }
        let after = text
            .split("SHA-256 of recover.py:")
            .nth(1)
            .expect("the booklet prints the SHA-256");
        let printed = after.split_whitespace().next().unwrap();
        assert_eq!(printed, sha256sum(&out.join("recover.py")), "{paper}");
        let pitch = text
            .split("pdftotext -layout -fixed ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("the booklet gives the listing's pitch");

        // The listing, extracted as the booklet says, numbers stripped, is the file.
        let listing = pdftotext(&pdf, &["-fixed", pitch]);
        let rows = numbered_rows(&listing);
        let numbers: Vec<usize> = rows.iter().map(|(n, _)| *n).collect();
        let want: Vec<usize> = (1..=py.lines().count()).collect();
        assert_eq!(numbers, want, "{paper}: the listing's line numbers");
        let rebuilt: String = rows.iter().map(|(_, l)| format!("{l}\n")).collect();
        if rebuilt != py {
            let bad = rows
                .iter()
                .zip(py.lines())
                .find(|((_, got), want)| got != want)
                .unwrap();
            panic!("{paper}: listing line {} reads {:?}", bad.0.0, bad.0.1);
        }
    }
}

#[test]
fn recover_py_from_the_kit_agrees_with_breakglass_and_every_vector() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match Command::new("python3")
        .args([
            "-I",
            "-S",
            "-c",
            "import sys; assert sys.version_info >= (3, 8)",
        ])
        .output()
    {
        Err(e) => return skip_or_fail(&format!("python3 not found ({e})")),
        Ok(o) if !o.status.success() => return skip_or_fail("python3 is older than 3.8"),
        Ok(_) => {}
    }
    let dir = tempfile::tempdir().unwrap();
    let kit = dir.path().join("kit");
    assert_eq!(run(&["kit", "--out", p(&kit)]).code, 0);
    let out = Command::new("python3")
        .arg(root.join("tests/kit/test_recover_py.py"))
        .arg("--recover")
        .arg(kit.join("recover.py"))
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_breakglass"))
        .arg("--vectors")
        .arg(root.join("tests/vectors"))
        .output()
        .expect("run python3 tests/kit/test_recover_py.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "recover.py disagrees (exit {:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    assert!(
        stdout.contains(" checks, 0 failed"),
        "no summary from the runner:\n{stdout}"
    );
}

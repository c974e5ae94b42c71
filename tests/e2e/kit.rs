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

fn source_recover_html() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/paper/kit/recover.html"))
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
    for name in ["recover-paper.py", "argon2id.py", "linecheck.py"] {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/paper/kit")
            .join(name);
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(source).unwrap()
        );
    }
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let sha = sha256sum(&py);
    assert!(
        r.stdout.contains(&format!("SHA-256 of recover.py: {sha}")),
        "{}",
        r.stdout
    );
    // The offline page, as committed, with its SHA-256 (by coreutils).
    let html = out.join("recover.html");
    assert_eq!(std::fs::read(&html).unwrap(), source_recover_html());
    let sha = sha256sum(&html);
    assert!(
        r.stdout
            .contains(&format!("SHA-256 of recover.html: {sha}")),
        "{}",
        r.stdout
    );
    #[cfg(unix)]
    for f in [&py, &pdf, &html] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{} is not secret: 0644", f.display());
    }

    // Again without --force: refused, exit 6, both names given, nothing changed.
    std::fs::write(&py, "# a local copy\n").unwrap();
    let again = run(&["kit", "--out", p(&out)]);
    assert_eq!(again.code, 6, "{}", again.all());
    assert!(
        again
            .stderr
            .contains("linecheck.py, recovery-kit.pdf and recover.html")
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

/// Runs `python3 linecheck.py FILE` from `kit` with `rows` on its standard input; returns what
/// it printed.
fn linecheck(kit: &Path, file: &Path, rows: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("python3")
        .arg("-I")
        .arg(kit.join("linecheck.py"))
        .arg(file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python3 linecheck.py");
    child.stdin.take().unwrap().write_all(rows).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The booklet lists the short decoder and its appendix with a check character on every line
/// and a hash on every page, and the line checker in full; extracted with the command it
/// prints and given to the line checker (as typed rows would be), each listing is the kit's
/// file byte for byte, each page's hash as printed, and the SHA-256s printed are the files'.
/// The recipe of the old booklet ("drop the first 6 columns") is gone; the booklet is
/// qpdf-clean.
#[test]
fn the_booklet_lists_the_paper_decoder_with_line_checks_and_page_hashes() {
    if !tools_or_skip(&["pdftotext"]) || !python_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for paper in ["a4", "letter"] {
        let out = dir.path().join(paper);
        let r = run(&["kit", "--out", p(&out), "--paper", paper]);
        assert_eq!(r.code, 0, "{}", r.all());
        let pdf = out.join("recovery-kit.pdf");
        let text = pdftotext(&pdf, &[]);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needed in [
            "WHAT THE SHEETS ARE",
            "RECOVER WITH BREAKGLASS",
            "RECOVER WITH recover.py",
            "THE FORMAT IN BRIEF",
            "XChaCha20-Poly1305",
            "sha256sum recover.py",
            "certutil -hashfile recover.py SHA256",
            "scan only the vault codes with a phone",
            "type each sheet's 5-line share block",
            "- means standard input",
            "from one sheet only, the vault",
            "TYPE IT FROM THIS BOOKLET",
            "SELF-TEST FAILED",
        ] {
            assert!(
                flat.contains(needed),
                "{paper}: no {needed:?} in the booklet"
            );
        }
        assert!(!flat.contains("first 6 columns"), "{paper}");
        assert!(!flat.contains("any phone or QR app"), "{paper}");
        let sha = sha256sum(&out.join("recover.py"));
        assert!(flat.contains(&sha), "{paper}: recover.py's SHA-256");
        let lc = out.join("linecheck.py");
        assert!(
            flat.contains(&format!("SHA-256 {}", sha256sum(&lc))),
            "{paper}: linecheck.py's SHA-256"
        );

        // linecheck.py is printed whole on the first page, without numbers: each of its
        // lines is a row of page 1. The checker typed from page 1 is the kit's, byte for
        // byte, and it is the one that checks the listings below.
        let fixed = pdftotext(&pdf, &["-fixed", "4.80", "-f", "1", "-l", "1"]);
        assert!(
            fixed.contains("START WITH linecheck.py"),
            "{paper}: page 1 introduces the checker"
        );
        let rows: Vec<&str> = fixed.lines().collect();
        let checker = std::fs::read_to_string(&lc).unwrap();
        assert!(
            checker.lines().count() <= 36,
            "{paper}: the checker is short"
        );
        let first = checker.lines().next().unwrap();
        let at = rows
            .iter()
            .position(|r| r.trim_start() == first)
            .expect("linecheck.py is printed on page 1");
        let indent = rows[at].len() - first.len();
        let from_page_1: String = rows[at..at + checker.lines().count()]
            .iter()
            .map(|row| format!("{}\n", row.get(indent..).unwrap_or("")))
            .collect();
        assert_eq!(from_page_1, checker, "{paper}: linecheck.py from page 1");
        let typed_kit = dir.path().join(format!("{paper}-typed"));
        std::fs::create_dir(&typed_kit).unwrap();
        std::fs::write(typed_kit.join("linecheck.py"), &from_page_1).unwrap();

        for name in ["recover-paper.py", "argon2id.py"] {
            // The command the booklet gives for the listing's pages.
            let cmd = flat
                .split("pdftotext -layout -fixed ")
                .nth(1)
                .expect("the booklet gives the extraction command");
            let words: Vec<&str> = cmd.split_whitespace().collect();
            let (pitch, from, to) = (words[0], words[2], words[4]);
            let (from, to) = if name == "argon2id.py" {
                let pages = flat
                    .split("argon2id.py, the same way (pages ")
                    .nth(1)
                    .expect("the appendix's pages");
                let w: Vec<&str> = pages.split_whitespace().collect();
                (w[0], w[2].trim_matches(|c: char| !c.is_ascii_digit()))
            } else {
                (from, to)
            };
            let listing = pdftotext(&pdf, &["-fixed", pitch, "-f", from, "-l", to]);
            let typed = dir.path().join(format!("{paper}-{name}"));
            let said = linecheck(&typed_kit, &typed, listing.as_bytes());
            let want = std::fs::read(out.join(name)).unwrap();
            assert!(
                std::fs::read(&typed).unwrap() == want,
                "{paper}: {name} from the listing differs\n{said}"
            );
            assert!(said.contains(&format!("SHA-256: {}", sha256sum(&out.join(name)))));
            // Every page hash linecheck.py shows is printed at a page's foot.
            for shown in said.lines().filter(|l| l.starts_with("lines ")) {
                assert!(
                    flat.contains(&format!("{name} {shown}")),
                    "{paper}: {shown} is not printed"
                );
            }
        }
        if tools_or_skip(&["qpdf"]) {
            let q = Command::new("qpdf")
                .arg("--check")
                .arg(&pdf)
                .output()
                .unwrap();
            assert!(
                q.status.success(),
                "qpdf --check: {}",
                String::from_utf8_lossy(&q.stdout)
            );
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

/// The kit's short decoder for paper opens every positive vector and no negative one (bar
/// those it reads more forgivingly on purpose), finds a typo in itself by its self-test, and
/// the line checker rebuilds it from its printed rows (tests/kit/test_recover_paper.py, on
/// the files `breakglass kit` wrote).
#[test]
fn the_paper_decoder_from_the_kit_opens_every_vector_it_should() {
    if !python_or_skip() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let kit = dir.path().join("kit");
    assert_eq!(run(&["kit", "--out", p(&kit)]).code, 0);
    let out = Command::new("python3")
        .arg(root.join("tests/kit/test_recover_paper.py"))
        .arg("--kit")
        .arg(&kit)
        .arg("--vectors")
        .arg(root.join("tests/vectors"))
        .output()
        .expect("run python3 tests/kit/test_recover_paper.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" checks, 0 failed"),
        "recover-paper.py:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// True when python3 (3.8 or newer) can run recover.py here; otherwise says why (or fails with
/// BREAKGLASS_REQUIRE_PYTHON set).
fn python_or_skip() -> bool {
    match Command::new("python3")
        .args([
            "-I",
            "-S",
            "-c",
            "import sys; assert sys.version_info >= (3, 8)",
        ])
        .output()
    {
        Err(e) => skip_or_fail(&format!("python3 not found ({e})")),
        Ok(o) if !o.status.success() => skip_or_fail("python3 is older than 3.8"),
        Ok(_) => return true,
    }
    false
}

/// Runs the source tree's recover.py with `args`, `stdin` on its standard input.
fn recover_py(args: &[&std::ffi::OsStr], stdin: Option<&[u8]>) -> common::Run {
    use std::io::Write;
    use std::process::Stdio;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/paper/kit/recover.py");
    let mut child = Command::new("python3")
        .arg("-I")
        .arg(script)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    let feed = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // Written from a thread: recover.py may stop reading (and close) before the end.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let o = child.wait_with_output().unwrap();
    if let Some(t) = feed {
        t.join().unwrap();
    }
    common::Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn os_args<'a>(args: &'a [&'a Path]) -> Vec<&'a std::ffi::OsStr> {
    args.iter().map(|p| p.as_os_str()).collect()
}

/// recover.py writes what breakglass writes: the C1 controls (U+009B), DEL, bidirectional
/// controls and U+2028/U+2029 of a vault made by another tool are escaped in its plain output
/// (as the display filter escapes them) and in its --json (as JSON escapes, FORMAT.md §12.8),
/// and its JSON holds the same values as `breakglass recover --json`.
#[test]
fn recover_py_escapes_untrusted_text_as_the_binary_does() {
    use crate::terminal_injection::{assert_clean, foreign_vault};
    if !python_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = foreign_vault(dir.path());
    let r = recover_py(&os_args(&[&s[0], &s[1]]), None);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_clean(&r, "recover.py");
    let o = &r.stdout;
    for want in [
        "  real 1111\n  \\u{1B}[1A\\u{1B}[2Kfake 9999\n  \\u{9B}2J\\u{0}\\u{D}\tend\\u{2029}\n",
        "Password:  Real-Password-1\\u{1B}[2K\n",
        "YubiKey\\u{202E}\\u{0}\\u{2028}",
        "contoso\\u{2028}.onmicrosoft.com",
        "share\\u{1B}[2J\\u{7}-2.txt",
    ] {
        assert!(o.contains(want), "{want:?} not in\n{o}");
    }

    let pair = [s[1].as_path(), s[2].as_path()];
    let mut args = vec![std::ffi::OsStr::new("--json")];
    args.extend(os_args(&pair));
    let py = recover_py(&args, None);
    assert_eq!(py.code, 0, "{}", py.all());
    assert_clean(&py, "recover.py --json");
    assert!(
        py.stdout.contains(
            r#""text": "real 1111\n\u001b[1A\u001b[2Kfake 9999\n\u009b2J\u0000\r\tend\u2029""#
        ),
        "{}",
        py.stdout
    );
    let bin = common::bin()
        .args(["recover", "--json", "--purpose", "drill"])
        .arg(&s[1])
        .arg(&s[2])
        .output()
        .unwrap();
    assert!(bin.status.success());
    let without_clock = |text: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(text).unwrap();
        for e in v["entries"].as_array_mut().unwrap() {
            e.as_object_mut().unwrap().remove("code");
            e.as_object_mut().unwrap().remove("seconds_left");
        }
        v
    };
    assert_eq!(
        without_clock(py.stdout.as_bytes()),
        without_clock(&bin.stdout)
    );
}

/// recover.py reads an input whole up to breakglass's limit (64 MiB; it used to read the first
/// MiB of a file and say nothing), and refuses more on a file, on standard input and as the
/// passphrase file with breakglass's own words.
#[test]
fn recover_py_has_the_binarys_input_limits_and_messages() {
    if !python_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let out = dir.path().join("sheets");
    let r = common::CeremonyArgs::small(&out)
        .args(&[
            "--passphrase-file",
            p(&pass),
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
        ])
        .run();
    assert_eq!(r.code, 0, "{}", r.all());
    let (s1, s2) = (out.join("share-1.txt"), out.join("share-2.txt"));

    // Both sheets in one file, the second after more than a MiB of blank lines: read whole.
    let both = dir.path().join("both.txt");
    let mut text = std::fs::read(&s1).unwrap();
    text.extend(std::iter::repeat_n(b'\n', (1 << 20) + 10));
    text.extend(std::fs::read(&s2).unwrap());
    std::fs::write(&both, &text).unwrap();
    let pass_arg = [std::ffi::OsStr::new("--passphrase-file"), pass.as_os_str()];
    let mut args = pass_arg.to_vec();
    args.push(both.as_os_str());
    let r = recover_py(&args, None);
    assert_eq!(r.code, 0, "{}", r.all());
    let b = run(&["recover", "--passphrase-file", p(&pass), p(&both)]);
    assert_eq!(b.code, 0, "the binary reads it too: {}", b.all());

    // One byte over 64 MiB (a sparse file): refused, as the binary refuses it.
    let big = dir.path().join("big.txt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((64 << 20) + 1)
        .unwrap();
    let too_large = format!(
        "{} is larger than 64 MiB: that is not a sheet, scan or share file",
        big.display()
    );
    let mut args = pass_arg.to_vec();
    args.extend([big.as_os_str(), s1.as_os_str(), s2.as_os_str()]);
    let r = recover_py(&args, None);
    assert!(r.stderr.contains(&too_large), "{}", r.stderr);
    let b = run(&[
        "recover",
        "--passphrase-file",
        p(&pass),
        p(&big),
        p(&s1),
        p(&s2),
    ]);
    assert!(b.stderr.contains(&too_large), "{}", b.stderr);

    // The passphrase file: the same limit and words, exit 3 from both.
    let r = recover_py(
        &[
            std::ffi::OsStr::new("--passphrase-file"),
            big.as_os_str(),
            s1.as_os_str(),
            s2.as_os_str(),
        ],
        None,
    );
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(r.stderr.contains(&too_large), "{}", r.stderr);
    let b = run(&["recover", "--passphrase-file", p(&big), p(&s1), p(&s2)]);
    assert_eq!(b.code, 3, "{}", b.all());
    assert!(b.stderr.contains(&too_large), "{}", b.stderr);

    // Standard input: refused past the limit, not read without end.
    let flood = vec![b' '; (64 << 20) + 1];
    let r = recover_py(&[], Some(&flood));
    // The input is left out (a warning) and the outcome is NoShares: exit 4 (FORMAT.md §7.3).
    assert_eq!(r.code, 4, "{}", r.all());
    assert!(
        r.stderr.contains(
            "standard input is larger than 64 MiB: that is not a sheet, scan or share file; give the file by name"
        ),
        "{}",
        r.stderr
    );
}

/// recover.py typed at a terminal (tests/kit/test_typing.py, on a pseudo-terminal): each line
/// is checked the moment it is typed, with the binary's messages; a typo, a line from another
/// sheet, a misread line count and Ctrl-D in a half-typed block each cost only the lines
/// concerned, and the vault opens. (The old recover.py read everything until Ctrl-D and then
/// dropped a block with one bad line.)
#[test]
#[cfg(unix)]
fn recover_py_checks_each_typed_line_at_once_and_keeps_the_right_ones() {
    if !python_or_skip() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/kit/test_typing.py"))
        .arg("--recover")
        .arg(root.join("crates/paper/kit/recover.py"))
        .arg("--vectors")
        .arg(root.join("tests/vectors"))
        .output()
        .expect("run python3 tests/kit/test_typing.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" checks, 0 failed"),
        "typing recover.py:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The (header, rows) blocks of a vector file, as printed.
fn vector_blocks(name: &str) -> Vec<(String, Vec<String>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for row in std::fs::read_to_string(path).unwrap().lines() {
        if row.starts_with("BG1-") {
            blocks.push((row.to_string(), Vec::new()));
        } else if !row.is_empty() && !row.starts_with('#') {
            blocks.last_mut().unwrap().1.push(row.to_string());
        }
    }
    blocks
}

/// recover.py typed at a real terminal (tmux, `cols`×`rows`), its output to a file: when
/// typing ends — Enter at the header prompt, or Ctrl-C in a half-typed block — the screen and
/// the scrollback are wiped and it says so; no typed share line is left in the window. After
/// Enter the vault opens (its credentials in the file only).
#[cfg(unix)]
fn recover_py_wipes_the_typed_lines(cols: u16, rows: u16, end: &str) {
    use common::tmux::{Tmux, script, sh_quote, tmux_or_skip};
    if !python_or_skip() || !tmux_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let blocks = vector_blocks("ok-2of3-plain.txt");
    let [(h1, s1), (h2, s2), _, (hv, vl)] = &blocks[..] else {
        panic!("three shares and the vault");
    };
    let script_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/paper/kit/recover.py");
    let command = format!(
        "python3 -I {} > {}",
        sh_quote(p(&script_path)),
        sh_quote(p(&dir.path().join("out.txt")))
    );
    let t = Tmux::start(
        dir.path(),
        cols,
        rows,
        "xterm-256color",
        &script("BEFORE-RECOVERY", &command),
    );
    let when_done = "or Enter when done: ";
    t.wait_for_times(when_done, 1);
    let mut typed: Vec<&String> = Vec::new();
    if end == "Enter" {
        for (i, (h, lines)) in [(h1, s1), (h2, s2), (hv, vl)].into_iter().enumerate() {
            t.wait_for_times(when_done, i + 1);
            t.line(h);
            for l in lines {
                t.line(l);
            }
        }
        typed.extend(s1.iter().chain(s2));
        t.wait_for_times(when_done, 4);
        t.line("");
        t.wait_for("EXIT=");
        assert_eq!(t.exit_status(), 0, "{}", t.everything());
        let out = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
        assert!(out.contains("breakglass1@contoso.onmicrosoft.com"), "{out}");
    } else {
        t.line(h1);
        t.line(&s1[0]);
        t.line(&s1[1]);
        t.wait_for("share line 03 of 5: ");
        typed.extend(&s1[..2]);
        t.keys(end);
        t.wait_for("EXIT=");
        assert_ne!(t.exit_status(), 0, "{}", t.everything());
    }
    let all = t.everything();
    assert!(
        all.contains("The typed lines were wiped from this window"),
        "{all}"
    );
    // Line 01 is the same on every sheet and the vault block is not secret: the share lines
    // 02 to 05 are what must go.
    for l in typed.iter().filter(|l| !l.starts_with("01")) {
        let data = l.split_once("  ").unwrap().1;
        assert!(
            !all.contains(data),
            "a typed share line stayed in the window after {end}:\n{all}"
        );
    }
    assert!(
        !all.contains("BEFORE-RECOVERY"),
        "the scrollback was not wiped:\n{all}"
    );
}

#[test]
#[cfg(unix)]
fn recover_py_wipes_the_typed_lines_when_typing_ends_at_80x24() {
    recover_py_wipes_the_typed_lines(80, 24, "Enter");
}

#[test]
#[cfg(unix)]
fn recover_py_wipes_the_typed_lines_when_typing_ends_at_200x50() {
    recover_py_wipes_the_typed_lines(200, 50, "Enter");
}

#[test]
#[cfg(unix)]
fn recover_py_wipes_the_typed_lines_at_ctrl_c_at_80x24() {
    recover_py_wipes_the_typed_lines(80, 24, "C-c");
}

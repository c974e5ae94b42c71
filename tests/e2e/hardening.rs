//! Secret hygiene through the real binary: no secret in any file or output it was not asked
//! for, a non-dumpable process without core dumps and with locked memory where allowed, and
//! sheets that are never half-written.

use crate::common;

use breakglass_core::document::decode_text;
use breakglass_core::recover::{self, Sourced};
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The bytes to search in a file: PDFs decompressed with qpdf when it is there (their
/// streams are compressed), plus the text pdftotext sees.
fn searchable(p: &Path) -> Vec<u8> {
    let mut bytes = fs::read(p).unwrap();
    if p.extension().is_some_and(|e| e == "pdf") {
        if let Ok(o) = Command::new("qpdf")
            .args(["--stream-data=uncompress", "--object-streams=disable"])
            .arg(p)
            .arg("-")
            .output()
        {
            bytes.extend(o.stdout);
        }
        if let Ok(o) = Command::new("pdftotext").arg(p).arg("-").output() {
            bytes.extend(o.stdout);
        }
    }
    bytes
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn no_secret_leaks_into_files_or_output() {
    let dir = tempfile::tempdir().unwrap();
    let pass = "lamp-orbit-velvet-quarry";
    let pass_file = dir.path().join("pass.txt");
    fs::write(&pass_file, pass).unwrap();
    let note = dir.path().join("codes.txt");
    let note_text = "RECOVERY-CODE-7F3K-99QX";
    fs::write(&note, note_text).unwrap();
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let out = dir.path().join("sheets");
    let r = CeremonyArgs::new(&out)
        .shares(&["Safe A", "Safe B", "Safe C"])
        .args(&[
            "--fido2",
            "YubiKey #1",
            "--totp-file",
            "-",
            "--note-file",
            p(&note),
            "--passphrase-file",
            p(&pass_file),
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
        ])
        .run_stdin(&format!(
            "otpauth://totp/Contoso:bg1?secret={seed}&issuer=Contoso\n"
        ));
    assert_eq!(r.code, 0, "{}", r.all());
    // Remove the inputs the user gave us; what is left was written by breakglass.
    fs::remove_file(&note).unwrap();
    fs::remove_file(&pass_file).unwrap();
    let pws = passwords(&r.stdout);
    let pins: Vec<String> = r
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("PIN: "))
        .map(str::to_string)
        .collect();
    assert_eq!((pws.len(), pins.len()), (2, 1));

    // The vault secret and the encryption key, recovered through the library.
    let docs: Vec<_> = (1..=2)
        .map(|i| {
            decode_text(&fs::read_to_string(out.join(format!("share-{i}.txt"))).unwrap()).unwrap()
        })
        .collect();
    let rec = recover::match_shares(
        docs.iter()
            .map(|d| Sourced::new("s", d.shares[0].clone()))
            .collect(),
        vec![Sourced::new("v", docs[0].vaults[0].clone())],
    )
    .unwrap()
    .open(Some(&breakglass_core::secret::Passphrase::new(pass.into())))
    .unwrap();
    let secret = rec.secret().expose_secret().to_vec();

    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("passphrase".into(), pass.as_bytes().to_vec()),
        ("TOTP seed".into(), seed.as_bytes().to_vec()),
        ("note".into(), note_text.as_bytes().to_vec()),
        ("vault secret".into(), secret.clone()),
        ("vault secret (hex)".into(), hex(&secret).into_bytes()),
    ];
    for pw in &pws {
        needles.push(("password".into(), pw.as_bytes().to_vec()));
    }
    for pin in &pins {
        needles.push(("PIN".into(), pin.as_bytes().to_vec()));
    }
    let files = all_files(dir.path());
    assert_eq!(files.len(), 6, "{files:?}");
    for f in &files {
        let hay = searchable(f);
        for (what, n) in &needles {
            assert!(!contains(&hay, n), "{what} found in {}", f.display());
        }
    }
    // Standard error never; standard output only the credentials shown for enrollment.
    for (what, n) in &needles {
        assert!(!contains(r.stderr.as_bytes(), n), "{what} on stderr");
        if what != "password" && what != "PIN" {
            assert!(!contains(r.stdout.as_bytes(), n), "{what} on stdout");
        }
    }
    // Errors never echo secrets: a wrong passphrase, a mistyped share.
    let wrong = dir.path().join("wrong.txt");
    fs::write(&wrong, "not-the-passphrase").unwrap();
    let e = run(&[
        "recover",
        "--passphrase-file",
        p(&wrong),
        p(&out.join("share-1.txt")),
        p(&out.join("share-2.txt")),
    ]);
    assert_eq!(e.code, 5);
    assert!(!e.all().contains("not-the-passphrase"));
    let share_text = fs::read_to_string(out.join("share-1.txt")).unwrap();
    let share_line = share_text
        .lines()
        .find(|l| l.starts_with("02  "))
        .unwrap()
        .to_string();
    let typo = share_text.replacen(
        &share_line,
        &share_line.replacen(&share_line[4..8], "ZZZZ", 1),
        1,
    );
    fs::write(dir.path().join("typo.txt"), &typo).unwrap();
    let e = run(&[
        "recover",
        p(&dir.path().join("typo.txt")),
        p(&out.join("share-3.txt")),
    ]);
    assert_ne!(e.code, 0);
    assert!(
        !e.stderr.contains(&share_line[4..]),
        "a share line was echoed"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn process_is_not_dumpable_and_locks_memory_where_allowed() {
    // A recover waiting for its standard input: inspect it from outside through /proc.
    let mut child = Command::new(env!("CARGO_BIN_EXE_breakglass"))
        .arg("recover")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut limits = String::new();
    let mut status = String::new();
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
        status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let locked = status
            .lines()
            .any(|l| l.starts_with("VmLck:") && !l.ends_with(" 0 kB"));
        let core_off = limits.lines().any(|l| {
            l.starts_with("Max core file size") && l.split_whitespace().nth(4) == Some("0")
        });
        if core_off && (locked || !can_lock()) {
            break;
        }
    }
    drop(child.stdin.take());
    let _ = child.wait();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("limits readable");
    let soft: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(soft[4], "0", "core dumps not disabled: {core}");
    assert_eq!(soft[5], "0", "core dumps can be re-enabled: {core}");
    let vm_lck = status.lines().find(|l| l.starts_with("VmLck:")).unwrap();
    if can_lock() {
        assert!(!vm_lck.ends_with(" 0 kB"), "memory not locked: {vm_lck}");
    }
    // The process reads back its own dumpable flag (PR_GET_DUMPABLE) in preflight.
    let pf = run(&["preflight"]);
    assert!(
        pf.stdout
            .contains("[pass] core dumps    core dumps disabled, process non-dumpable"),
        "{}",
        pf.stdout
    );
    if can_lock() {
        assert!(
            pf.stdout
                .contains("[pass] memory lock   all memory is locked"),
            "{}",
            pf.stdout
        );
    } else {
        assert!(pf.stdout.contains("[WARN] memory lock"), "{}", pf.stdout);
    }
}

/// Root, or an unlimited memory-lock limit: breakglass locks everything.
fn can_lock() -> bool {
    let s = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = s
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"));
    let limits = fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let unlimited = limits
        .lines()
        .any(|l| l.starts_with("Max locked memory") && l.contains("unlimited"));
    root || unlimited
}

fn complete(p: &Path) -> bool {
    let b = fs::read(p).unwrap();
    if p.extension().is_some_and(|e| e == "pdf") {
        b.starts_with(b"%PDF-") && b.windows(5).rev().take(64).any(|w| w == b"%%EOF")
    } else {
        decode_text(std::str::from_utf8(&b).unwrap())
            .is_ok_and(|d| d.shares.len() == 1 && d.vaults.len() == 1)
    }
}

/// A 2-of-3 ceremony with shares A, B and C into `out`.
fn abc_ceremony(out: &Path, force: bool) -> Vec<String> {
    CeremonyArgs::new(out)
        .shares(&["A", "B", "C"])
        .args(if force { &["--force"] } else { &[] })
        .to_vec()
}

#[test]
fn a_killed_ceremony_leaves_no_partial_sheet_and_a_rerun_works() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let args = |force: bool| abc_ceremony(&out, force);
    for delay_ms in [0u64, 5, 10, 20, 30, 45, 60, 80, 120, 200] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_breakglass"))
            .args(args(true))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        if out.exists() {
            for f in fs::read_dir(&out).unwrap() {
                let f = f.unwrap().path();
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with("share-") {
                    assert!(
                        complete(&f),
                        "partial sheet under its final name after {delay_ms} ms: {name}"
                    );
                }
            }
        }
    }
    // A re-run cleans up leftover temporaries and writes a complete set.
    let r = run(&args(true).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.all());
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("share-")));
}

#[test]
fn a_failing_write_puts_nothing_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    // The last PDF's name is taken by a non-empty folder: its rename must fail.
    let blocker = out.join("share-3-c.pdf");
    fs::create_dir_all(&blocker).unwrap();
    fs::write(blocker.join("x"), "x").unwrap();
    let args = abc_ceremony(&out, true);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run(&args);
    assert_eq!(r.code, 6, "{}", r.all());
    assert!(r.stderr.contains("share-3-c.pdf"), "{}", r.stderr);
    assert!(
        passwords(&r.stdout).is_empty(),
        "credentials shown although the sheets were not written"
    );
    let left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["share-3-c.pdf"], "partial set left behind");
    fs::remove_dir_all(&blocker).unwrap();
    assert_eq!(run(&args).code, 0);
}

/// `--out` given as a symbolic link: the note names the folder whose mode was changed, not the
/// link. A shared sticky folder (1777, like /tmp) is refused, exit 6, and left as it was:
/// making it 0700 would break it for every other user.
#[cfg(unix)]
#[test]
fn out_folders_are_named_as_resolved_and_a_shared_tmp_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let r = CeremonyArgs::small(&link).run();
    assert_eq!(r.code, 0, "{}", r.all());
    let resolved = std::fs::canonicalize(&real).unwrap();
    let note = r
        .stderr
        .lines()
        .find(|l| l.starts_with("note:") && l.contains("open to other users"))
        .unwrap_or_else(|| panic!("no note: {}", r.stderr));
    assert!(
        note.starts_with(&format!(
            "note: {} (where {} points) was open to other users (mode 0755)",
            resolved.display(),
            link.display()
        )),
        "{note}"
    );
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o700);

    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let r = CeremonyArgs::small(&shared).run();
    assert_eq!(r.code, 6, "{}", r.all());
    assert!(
        r.stderr.contains("is a shared folder (mode 1777"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("password:"), "{}", r.stdout);
    let mode = std::fs::metadata(&shared).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o1777, "the shared folder is left as it was");
    assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 0);
}

//! One altered sheet never blocks an honest quorum (FORMAT.md §7): forged blocks with valid
//! checksums next to honest sheets, through the real binary.

use crate::common;

use breakglass_core::kdf::KdfParams;
use breakglass_core::shamir::SharePoint;
use breakglass_core::share::Share;
use breakglass_core::text::{Kind, TextForm};
use breakglass_core::vault::{PassphraseKdf, Vault};
use common::{ceremony, p, passwords, read_sheet, run};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Writes one block (share or vault) as typed text, checksums recomputed.
fn write_block(path: &Path, kind: Kind, bytes: &[u8]) {
    let mut text = String::new();
    for l in TextForm::encode(kind, bytes).unwrap().display_lines() {
        text.push_str(&l);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// The vault copy of `sheet` with `change` applied, written to `name` in `dir`.
fn forged_vault(dir: &Path, sheet: &Path, name: &str, change: impl FnOnce(&mut Vault)) -> PathBuf {
    let (_, mut v) = read_sheet(sheet);
    change(&mut v);
    let out = dir.join(name);
    write_block(&out, Kind::Vault, &v.to_bytes());
    out
}

/// The share block of `sheet` alone, so the honest vault copy is carried by one input only,
/// as often as a forged copy listed before it.
fn share_only(dir: &Path, sheet: &Path) -> PathBuf {
    let (s, _) = read_sheet(sheet);
    let out = dir.join(format!("share-{}-only.txt", s.index()));
    write_block(&out, Kind::Share, s.to_bytes().expose_secret());
    out
}

fn kdf(memory_kib: u32, iterations: u32) -> Option<PassphraseKdf> {
    Some(PassphraseKdf {
        params: KdfParams {
            memory_kib,
            iterations,
            parallelism: 1,
        },
        salt: [9; 16],
    })
}

/// Runs `recover` with no terminal, killing it (and failing) after `limit`.
fn recover_within(args: &[&str], limit: Duration) -> common::Run {
    let mut child = common::bin()
        .arg("recover")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("recover ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    common::Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn assert_opened(r: &common::Run, ceremony_out: &str) {
    assert_eq!(r.code, 0, "{}", r.all());
    let pw = passwords(ceremony_out);
    assert!(!pw.is_empty());
    for w in pw {
        assert!(r.stdout.contains(&w), "{}", r.all());
    }
}

#[test]
fn a_vault_block_claiming_generation_2_retires_nothing() {
    let d = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(d.path(), &[]);
    let forged = forged_vault(d.path(), &sheets[2], "forged.txt", |v| {
        v.header.generation = 2
    });
    let r = run(&["recover", p(&forged), p(&sheets[0]), p(&sheets[1])]);
    assert_opened(&r, &c.stdout);
    assert!(r.stdout.contains("(generation 1)"), "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!(
            "warning: {}: it claims generation 2, newer than the one that opened (1), but that did not open",
            p(&forged)
        )),
        "{}",
        r.stderr
    );
    assert!(!r.all().contains("retired"), "{}", r.all());
}

#[test]
fn a_share_block_claiming_the_last_generation_hides_no_vault() {
    let d = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(d.path(), &[]);
    let (s, _) = read_sheet(&sheets[2]);
    let forged = Share::new(
        s.vault_id,
        u32::MAX,
        s.threshold,
        s.count,
        SharePoint::new(s.index(), *s.point().expose_y()),
    );
    let f = d.path().join("forged-share.txt");
    write_block(&f, Kind::Share, forged.to_bytes().expose_secret());
    let r = run(&["recover", p(&f), p(&sheets[0]), p(&sheets[1])]);
    assert_opened(&r, &c.stdout);
    assert!(
        !r.all().contains("no copy of the vault text"),
        "{}",
        r.all()
    );
    assert!(
        r.stderr.contains(&format!(
            "warning: {}: it claims generation 4294967295",
            p(&f)
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn a_copy_that_adds_a_passphrase_is_not_asked_for() {
    let d = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(d.path(), &[]);
    let forged = forged_vault(d.path(), &sheets[2], "forged.txt", |v| {
        v.header.passphrase = kdf(8 * 1024, 1)
    });
    let second = share_only(d.path(), &sheets[1]);
    let r = run(&["recover", p(&forged), p(&sheets[0]), p(&second)]);
    assert_opened(&r, &c.stdout);
    assert!(!r.all().contains("passphrase"), "{}", r.all());
    assert!(
        r.stderr.contains(&format!(
            "warning: {}: its vault text differs from the others: it may have been altered",
            p(&forged)
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn a_copy_claiming_the_costliest_kdf_is_never_run_before_the_honest_one() {
    let d = tempfile::tempdir().unwrap();
    let pw = d.path().join("pw.txt");
    std::fs::write(&pw, "correct horse battery staple\n").unwrap();
    let (sheets, c) = ceremony(
        d.path(),
        &[
            "--passphrase-file",
            p(&pw),
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
        ],
    );
    let forged = forged_vault(d.path(), &sheets[2], "forged.txt", |v| {
        v.header.passphrase.as_mut().unwrap().params = KdfParams {
            memory_kib: 2 * 1024 * 1024,
            iterations: 64,
            parallelism: 1,
        }
    });
    let second = share_only(d.path(), &sheets[1]);
    let r = recover_within(
        &[
            p(&forged),
            p(&sheets[0]),
            p(&second),
            "--passphrase-file",
            p(&pw),
        ],
        Duration::from_secs(60),
    );
    assert_opened(&r, &c.stdout);
    assert!(!r.stderr.contains("2048 MiB"), "{}", r.stderr);
    assert!(r.stderr.contains("its vault text differs"), "{}", r.stderr);
}

#[test]
fn a_kdf_cost_above_the_default_is_stated_before_it_is_spent() {
    let d = tempfile::tempdir().unwrap();
    let pw = d.path().join("pw.txt");
    std::fs::write(&pw, "correct horse battery staple\n").unwrap();
    let (sheets, c) = ceremony(
        d.path(),
        &[
            "--passphrase-file",
            p(&pw),
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
        ],
    );
    // 64 MiB × 25 passes is above the default's 512 MiB × 3; carried by two inputs against
    // the honest copy's one, so it is tried first.
    let forged: Vec<PathBuf> = (0..2)
        .map(|i| {
            forged_vault(d.path(), &sheets[2], &format!("forged-{i}.txt"), |v| {
                v.header.passphrase.as_mut().unwrap().params = KdfParams {
                    memory_kib: 64 * 1024,
                    iterations: 25,
                    parallelism: 1,
                }
            })
        })
        .collect();
    let mut args: Vec<&str> = forged.iter().map(|f| p(f)).collect();
    let second = share_only(d.path(), &sheets[1]);
    args.extend([p(&sheets[0]), p(&second), "--passphrase-file", p(&pw)]);
    let r = recover_within(&args, Duration::from_secs(120));
    assert_opened(&r, &c.stdout);
    assert!(
        r.stderr.contains(&format!(
            "note: the vault copy in {} asks for Argon2id with 64 MiB of memory and 25 passes, more than the default (512 MiB, 3 passes)",
            p(&forged[0])
        )),
        "{}",
        r.stderr
    );
    for f in &forged {
        assert!(
            r.stderr
                .contains(&format!("warning: {}: its vault text differs", p(f))),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn foreign_sheets_are_named_and_left_out() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    let b = d.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let (sheets, c) = ceremony(&a, &[]);
    let (other, _) = ceremony(&b, &[]);
    let r = run(&["recover", p(&other[0]), p(&sheets[0]), p(&sheets[1])]);
    assert_opened(&r, &c.stdout);
    assert!(
        r.stderr.contains(&format!(
            "warning: {}: it belongs to another vault (",
            p(&other[0])
        )),
        "{}",
        r.stderr
    );
}

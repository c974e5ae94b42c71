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

// A file of many sheets is many inputs (FORMAT.md §7.1, "Cutting files into inputs"): a
// copier batch, a multi-page TIFF, one photo of several sheets or several blocks piped on standard input, with one forged
// page among honest ones. The forged page is named with its page and left out; the honest
// pages in the same file still open the vault.

/// The bytes of `vault` with its version byte (§3, offset 0) set to `version`.
fn vault_version(vault: &Vault, version: u8) -> Vec<u8> {
    let mut b = vault.to_bytes();
    b[0] = version;
    b
}

/// The bytes of `share` with its version byte (§2, offset 0) set to `version`.
fn share_version(share: &Share, version: u8) -> Vec<u8> {
    let mut b = share.to_bytes().expose_secret().to_vec();
    b[0] = version;
    b
}

/// A white page of `payloads` as QR codes side by side (the QR layout of §6.4, checksums
/// recomputed), 4 px per module.
fn qr_page(blocks: &[(Kind, Vec<u8>)], path: &Path) {
    use image::{GrayImage, Luma};
    let payloads: Vec<String> = blocks
        .iter()
        .flat_map(|(kind, bytes)| {
            TextForm::encode(*kind, bytes)
                .unwrap()
                .qr_chunks(32)
                .into_iter()
                .map(|c| c.to_string())
        })
        .collect();
    let codes: Vec<qrcode::QrCode> = payloads
        .iter()
        .map(|t| {
            qrcode::QrCode::with_error_correction_level(t.as_bytes(), qrcode::EcLevel::M).unwrap()
        })
        .collect();
    let px = 4;
    let side = codes.iter().map(|c| c.width() as u32 + 8).max().unwrap() * px;
    let mut img = GrayImage::from_pixel(side * codes.len() as u32, side, Luma([255]));
    for (i, code) in codes.iter().enumerate() {
        let n = code.width() as u32;
        let colors = code.to_colors();
        for my in 0..n {
            for mx in 0..n {
                if colors[(my * n + mx) as usize] == qrcode::Color::Dark {
                    for dy in 0..px {
                        for dx in 0..px {
                            img.put_pixel(
                                i as u32 * side + (mx + 4) * px + dx,
                                (my + 4) * px + dy,
                                Luma([0]),
                            );
                        }
                    }
                }
            }
        }
    }
    img.save_with_format(path, image::ImageFormat::Png).unwrap();
}

/// Page 1 of the PDFs of sheets 1 and 2 as a scanner sees them, and a forged page whose codes
/// carry a vault copy of version 2, a vault copy saying k = 1 and a share of version 0.
fn batch_pages(dir: &Path) -> (Vec<PathBuf>, common::Run) {
    let (texts, c) = ceremony(dir, &[]);
    let sheets = dir.join("sheets");
    let mut pages: Vec<PathBuf> = (1..=2)
        .map(|n| {
            let pdf = common::tools::pdf_of(&sheets, n);
            common::tools::render_page1(&pdf, 150, &dir.join(format!("page-{n}")), true)
        })
        .collect();
    let (s3, v) = read_sheet(&texts[2]);
    let mut k1 = v.clone();
    k1.header.threshold = 1;
    let forged = dir.join("forged-page.png");
    qr_page(
        &[
            (Kind::Share, share_version(&s3, 0)),
            (Kind::Vault, vault_version(&v, 2)),
            (Kind::Vault, k1.to_bytes()),
        ],
        &forged,
    );
    pages.insert(1, forged);
    (pages, c)
}

fn tool(name: &str, args: &[&str]) {
    let o = std::process::Command::new(name)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_forged_page_in_a_copier_batch_pdf_blocks_no_honest_page() {
    if !common::tools::tools_or_skip(&["pdftoppm", "img2pdf"]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let (pages, c) = batch_pages(d.path());
    let batch = d.path().join("batch.pdf");
    let mut args: Vec<&str> = pages.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(["-o", p(&batch)]);
    tool("img2pdf", &args);
    let r = run(&["recover", p(&batch)]);
    assert_opened(&r, &c.stdout);
    let named = format!("warning: skipped {} page 2", p(&batch));
    assert!(r.stderr.contains(&named), "{}", r.stderr);
    assert!(
        !r.stderr.contains(&format!("{} page 1", p(&batch))),
        "{}",
        r.stderr
    );
    let drill = run(&["drill", p(&batch)]);
    assert_eq!(drill.code, 0, "{}", drill.all());
    assert!(drill.stdout.contains("PASSED"), "{}", drill.all());
    assert!(drill.stderr.contains(&named), "{}", drill.stderr);
    // verify-print judges each page of the batch as the sheet it is.
    let verify = run(&["verify-print", p(&batch)]);
    assert!(verify.stderr.contains(&named), "{}", verify.all());
    for (sheet, page) in [
        ("1 of 3 (Safe A (HQ))", 1),
        ("2 of 3 (Safe B (DR site))", 3),
    ] {
        let ok = format!("sheet {sheet}: OK (read from {} page {page})", p(&batch));
        assert!(verify.stdout.contains(&ok), "{}", verify.all());
    }
    // Sheet 3 is only in the forged page: not read back, which is what verify-print says.
    assert!(
        verify
            .stdout
            .contains("sheet 3 of 3 (CISO home safe): NOT READ BACK")
    );
    assert_eq!(verify.code, 4, "{}", verify.all());
}

#[test]
fn a_forged_page_in_a_multi_page_tiff_blocks_no_honest_page() {
    if !common::tools::tools_or_skip(&["pdftoppm", "convert"]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let (pages, c) = batch_pages(d.path());
    let tiff = d.path().join("batch.tiff");
    let mut args: Vec<&str> = pages.iter().map(|p| p.to_str().unwrap()).collect();
    args.push(p(&tiff));
    tool("convert", &args);
    let r = run(&["recover", p(&tiff)]);
    assert_opened(&r, &c.stdout);
    assert!(
        r.stderr
            .contains(&format!("warning: skipped {} page 2", p(&tiff))),
        "{}",
        r.stderr
    );
}

#[test]
fn a_forged_sheet_in_one_photo_of_several_blocks_no_honest_sheet() {
    if !common::tools::tools_or_skip(&["pdftoppm", "convert"]) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let (pages, c) = batch_pages(d.path());
    let photo = d.path().join("table.png");
    let mut args: Vec<&str> = pages.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(["+append", p(&photo)]);
    tool("convert", &args);
    let r = run(&["recover", p(&photo)]);
    assert_opened(&r, &c.stdout);
    assert!(
        r.stderr
            .contains(&format!("warning: skipped {} part ", p(&photo))),
        "{}",
        r.stderr
    );
}

#[test]
fn a_forged_sheet_piped_between_honest_ones_blocks_neither() {
    let d = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(d.path(), &[]);
    let (s3, v) = read_sheet(&sheets[2]);
    let mut k1 = v.clone();
    k1.header.threshold = 1;
    let forged = d.path().join("forged.txt");
    common::write_raw(&forged, s3.to_bytes().expose_secret(), &k1.to_bytes());
    let read = |f: &PathBuf| std::fs::read_to_string(f).unwrap();
    let piped = [read(&sheets[0]), read(&forged), read(&sheets[1])].concat();
    let r = common::run_stdin(&["recover"], &piped);
    assert_opened(&r, &c.stdout);
    assert!(
        r.stderr.contains("warning: skipped - part 2: "),
        "{}",
        r.stderr
    );
    let drill = common::run_stdin(&["drill"], &piped);
    assert_eq!(drill.code, 0, "{}", drill.all());
    // rekey (and rotate, expand: the same gathering) from the same sheets in one file.
    let batch = d.path().join("batch.txt");
    std::fs::write(&batch, &piped).unwrap();
    let g2 = d.path().join("g2");
    let rekey = run(&["rekey", p(&batch), "--out", p(&g2), "--allow-online"]);
    assert_eq!(rekey.code, 0, "{}", rekey.all());
    assert!(
        rekey.stdout.contains("generation 2 written"),
        "{}",
        rekey.all()
    );
    assert!(
        rekey
            .stderr
            .contains(&format!("warning: skipped {} part 2: ", p(&batch))),
        "{}",
        rekey.stderr
    );
}

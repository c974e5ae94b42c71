//! `verify-print` on real rendered sheets: it certifies only sheets that were all read back and
//! match, byte for byte, the ceremony's files (or each other), and names every one that does not.

use crate::common;

use common::tools::{self, pdf_of, render_page, render_page1};
use common::{ceremony, p, passwords, read_sheet, run, write_sheet};
use std::path::{Path, PathBuf};

/// Page 1 of each sheet of a 2-of-3 ceremony rendered at 150 dpi, and the sheets folder.
fn scans(dir: &Path, extra: &[&str]) -> (Vec<PathBuf>, PathBuf, String) {
    let (_, c) = ceremony(dir, extra);
    let sheets = dir.join("sheets");
    let pngs = (1..=3)
        .map(|i| {
            render_page1(
                &pdf_of(&sheets, i),
                150,
                &dir.join(format!("scan-{i}")),
                false,
            )
        })
        .collect();
    (pngs, sheets, c.stdout)
}

/// Sheet `i` altered by `change`, laid out again with `breakglass print` and rendered.
fn altered_scan(
    dir: &Path,
    sheets: &Path,
    i: usize,
    change: impl Fn(&mut breakglass_core::vault::Vault),
) -> PathBuf {
    let (share, mut vault) = read_sheet(&sheets.join(format!("share-{i}.txt")));
    change(&mut vault);
    let alt = dir.join("alt");
    std::fs::create_dir_all(&alt).unwrap();
    let txt = alt.join(format!("altered-{i}.txt"));
    write_sheet(&txt, &share, &vault);
    let out = alt.join("pdf");
    let r = run(&["print", p(&txt), "--out", p(&out), "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    render_page1(
        &pdf_of(&out, i),
        150,
        &alt.join(format!("altered-scan-{i}")),
        false,
    )
}

fn verify(scans: &[PathBuf], extra: &[&str]) -> common::Run {
    let mut args = vec!["verify-print"];
    args.extend(scans.iter().map(|s| p(s)));
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn every_sheet_read_back_and_matching_the_ceremony_files_passes() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (pngs, sheets, out) = scans(dir.path(), &[]);
    let r = verify(&pngs, &["--sheets", p(&sheets)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.stdout.matches(": OK").count(), 3, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("All 3 sheets read back and match the vault and the sheet files")
    );
    assert!(
        r.stdout.contains("The vault opens with shares 1, 2"),
        "{}",
        r.stdout
    );
    for pw in passwords(&out) {
        assert!(
            !r.all().contains(pw.as_str()),
            "verify-print showed a secret"
        );
    }
}

#[test]
fn altered_vault_text_is_named_with_or_without_the_ceremony_files() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut pngs, sheets, _) = scans(dir.path(), &[]);
    type Change = Box<dyn Fn(&mut breakglass_core::vault::Vault)>;
    let changes: Vec<(&str, Change)> = vec![
        ("ciphertext byte", Box::new(|v| v.ciphertext[3] ^= 0x01)),
        (
            "location label",
            Box::new(|v| v.header.labels[1].location = "Safe Z".into()),
        ),
        (
            "drill interval",
            Box::new(|v| v.header.drill_interval_days = 3650),
        ),
    ];
    for (what, change) in changes {
        pngs[1] = altered_scan(dir.path(), &sheets, 2, change);
        // Against the ceremony's own files.
        let r = verify(&pngs, &["--sheets", p(&sheets)]);
        assert_eq!(r.code, 3, "{what}: {}", r.all());
        assert!(r.stdout.contains("sheet 2 of 3"), "{what}: {}", r.stdout);
        assert!(r.stdout.contains("DOES NOT MATCH"), "{what}: {}", r.stdout);
        assert!(
            r.stdout.contains("vault text differs from"),
            "{what}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("share-2.txt"), "{what}: {}", r.stdout);
        assert!(!r.stdout.contains("All 3 sheets"), "{what}: {}", r.stdout);
        // Against each other: the copy the other sheets do not carry is named.
        let r = verify(&pngs, &[]);
        assert_eq!(r.code, 3, "{what}: {}", r.all());
        assert!(
            r.stdout
                .contains("vault text differs from the other sheets"),
            "{what}: {}",
            r.stdout
        );
        let bad = r
            .stdout
            .lines()
            .find(|l| l.contains("DOES NOT MATCH"))
            .unwrap();
        assert!(bad.contains("sheet 2 of 3"), "{what}: {}", r.stdout);
        assert!(!r.stdout.contains("All 3 sheets"), "{what}: {}", r.stdout);
    }
}

#[test]
fn a_sheet_not_scanned_is_listed_and_fails() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (pngs, sheets, _) = scans(dir.path(), &[]);
    for extra in [vec![], vec!["--sheets", p(&sheets)]] {
        let r = verify(&pngs[..2], &extra);
        assert_eq!(r.code, 4, "{}", r.all());
        assert!(
            r.stdout
                .contains("sheet 3 of 3 (CISO home safe): NOT READ BACK"),
            "{}",
            r.stdout
        );
        assert!(r.stderr.contains("sheet(s) 3 missing"), "{}", r.stderr);
        assert!(!r.stdout.contains("All 3 sheets"), "{}", r.stdout);
    }
}

#[test]
fn a_foreign_share_among_the_scans_is_named() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut pngs, sheets, _) = scans(dir.path(), &[]);
    // Sheet 3 printed with the share of sheet 3 altered (one point byte), commitments intact.
    let (share, vault) = read_sheet(&sheets.join("share-3.txt"));
    let mut bytes = share.to_bytes().expose_secret().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let alt = dir.path().join("alt");
    std::fs::create_dir_all(&alt).unwrap();
    let txt = alt.join("share-3.txt");
    common::write_raw(&txt, &bytes, &vault.to_bytes());
    let out = alt.join("pdf");
    let r = run(&["print", p(&txt), "--out", p(&out)]);
    assert_eq!(r.code, 0, "{}", r.all());
    pngs[2] = render_page1(&pdf_of(&out, 3), 150, &alt.join("s3"), false);
    for extra in [vec![], vec!["--sheets", p(&sheets)]] {
        let r = verify(&pngs, &extra);
        assert_eq!(r.code, 3, "{}", r.all());
        let bad = r
            .stdout
            .lines()
            .find(|l| l.contains("DOES NOT MATCH"))
            .unwrap();
        assert!(bad.contains("sheet 3 of 3"), "{}", r.stdout);
    }
}

#[test]
fn page_two_is_recognised_as_needing_no_scan() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut pngs, sheets, _) = scans(dir.path(), &[]);
    pngs.push(render_page(
        &pdf_of(&sheets, 1),
        2,
        150,
        &dir.path().join("page2"),
        false,
    ));
    let r = verify(&pngs, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr
            .contains("Page 2 of a sheet has no codes and needs no scan"),
        "{}",
        r.stderr
    );
    assert!(!r.all().contains("reprint"), "{}", r.all());
}

#[test]
fn with_the_passphrase_it_proves_the_vault_opens() {
    if !tools::tools_or_skip(&["pdftoppm"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse\n").unwrap();
    let (pngs, sheets, _) = scans(
        dir.path(),
        &[
            "--passphrase-file",
            p(&pass),
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
        ],
    );
    let r = verify(&pngs, &["--sheets", p(&sheets)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("pass --passphrase to prove it opens"),
        "{}",
        r.stdout
    );
    let r = verify(&pngs, &["--passphrase-file", p(&pass)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("The vault opens with shares 1, 2"),
        "{}",
        r.stdout
    );
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "wrong horse\n").unwrap();
    let r = verify(&pngs, &["--passphrase-file", p(&wrong)]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(r.stdout.contains("The vault does NOT open"), "{}", r.stdout);
}

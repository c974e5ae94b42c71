//! End-to-end tests of the real binary: the ceremony → recover round trip and every bad input
//! that must give a clear error, a non-zero exit and nothing written.

use crate::common;

use breakglass_core::contents::{Entry, VaultContents};
use breakglass_core::seal::{SealParams, seal};
use breakglass_core::secret::SecretString;
use breakglass_core::vault::{ShareLabel, Vault};
use common::*;
use std::fs;

#[test]
fn ceremony_then_recover_with_any_two_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &[]);
    let pws = passwords(&c.stdout);
    assert_eq!(pws.len(), 2);
    assert!(c.stdout.contains("breakglass1@contoso.onmicrosoft.com"));
    assert!(c.stdout.contains("breakglass2@contoso.onmicrosoft.com"));
    assert!(pws.iter().all(|p| p.len() == 32));
    assert_ne!(pws[0], pws[1]);
    for pair in [[0, 1], [0, 2], [2, 1]] {
        let r = run(&["recover", p(&sheets[pair[0]]), p(&sheets[pair[1]])]);
        assert_eq!(r.code, 0, "{}", r.all());
        for pw in &pws {
            assert!(r.stdout.contains(pw.as_str()));
        }
    }
    // No sheet contains a password.
    for s in &sheets {
        let text = fs::read_to_string(s).unwrap();
        for pw in &pws {
            assert!(!text.contains(pw.as_str()));
        }
    }
}

#[cfg(unix)]
#[test]
fn output_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("sheets")), 0o700);
    for s in &sheets {
        assert_eq!(mode(s), 0o600);
    }
    // No temporary files are left behind.
    let mut names: Vec<String> = fs::read_dir(dir.path().join("sheets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "share-1-safe-a-hq.pdf",
            "share-1.txt",
            "share-2-safe-b-dr-site.pdf",
            "share-2.txt",
            "share-3-ciso-home-safe.pdf",
            "share-3.txt"
        ]
    );
    for n in &names {
        assert_eq!(mode(&dir.path().join("sheets").join(n)), 0o600);
    }
}

#[test]
fn recover_json_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &["--fido2", "YubiKey 5 NFC #1234"]);
    let r = run(&["recover", "--json", p(&sheets[2]), p(&sheets[0])]);
    assert_eq!(r.code, 0, "{}", r.all());
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["tenant"], "contoso.onmicrosoft.com");
    assert_eq!(j["generation"], 1);
    let entries = j["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["password"], passwords(&c.stdout)[0].as_str());
    let fido = entries.iter().find(|e| e["kind"] == "fido2").unwrap();
    assert!(
        fido["label"]
            .as_str()
            .unwrap()
            .starts_with("YubiKey 5 NFC #1234")
    );
    let pin = fido["pin"].as_str().unwrap();
    assert_eq!(pin.len(), 8);
    assert!(c.stdout.contains(&format!("PIN: {pin}")));

    let i = run(&["inspect", p(&sheets[1])]);
    assert_eq!(i.code, 0, "{}", i.all());
    for want in [
        "share 2 of 3; any 2 recover",
        "location:    Safe B (DR site)",
        "custodian:   Jane Doe",
        "generation:  1",
        "tenant:      contoso.onmicrosoft.com",
        "the share matches the vault copy",
    ] {
        assert!(i.stdout.contains(want), "missing {want:?} in {}", i.stdout);
    }
    assert!(!i.all().contains(pin));
}

#[test]
fn typed_recovery_from_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &[]);
    // Someone types both sheets' blocks, lower case, without the spaces.
    let typed: String = [&sheets[0], &sheets[2]]
        .iter()
        .map(|s| fs::read_to_string(s).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
        .replace(' ', "");
    let r = run_stdin(&["recover"], &typed);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains(passwords(&c.stdout)[1].as_str()));
}

#[test]
fn more_than_k_with_one_altered_still_recovers_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &[]);
    let (share, vault) = read_sheet(&sheets[1]);
    let mut bytes = share.to_bytes().expose_secret().to_vec();
    bytes[40] ^= 0x55;
    let bad = dir.path().join("bad.txt");
    write_raw(&bad, &bytes, &vault.to_bytes());
    let r = run(&["recover", p(&sheets[0]), p(&bad), p(&sheets[2])]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains(passwords(&c.stdout)[0].as_str()));
    assert!(
        r.stderr
            .contains("share 2 does not belong to this vault or has been altered"),
        "{}",
        r.stderr
    );
}

fn expect_fail(r: &Run, code: i32, needle: &str) {
    assert_eq!(r.code, code, "wanted exit {code}: {}", r.all());
    assert!(
        r.stderr.contains(needle),
        "wanted {needle:?} in stderr: {}",
        r.stderr
    );
    assert!(!r.stdout.contains("Password:"), "a secret was printed");
}

#[test]
fn too_few_and_duplicate_shares() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    expect_fail(
        &run(&["recover", p(&sheets[0])]),
        4,
        "2 of 3 shares are needed to recover, 1 usable given",
    );
    expect_fail(
        &run(&["recover", p(&sheets[0]), p(&sheets[0])]),
        4,
        "share 1 was given twice",
    );
}

#[test]
fn shares_of_two_vaults() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (sa, _) = ceremony(a.path(), &[]);
    let (sb, _) = ceremony(b.path(), &[]);
    let r = run(&["recover", p(&sa[0]), p(&sb[1])]);
    expect_fail(&r, 4, "these sheets belong to different vaults");
    assert!(r.stderr.contains(p(&sa[0])) && r.stderr.contains(p(&sb[1])));
}

#[test]
fn shares_of_two_generations() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let (_, vault) = read_sheet(&sheets[0]);
    // A second generation of the same vault, as a rekey would make it.
    let plan = SealParams {
        vault_id: Some(vault.header.vault_id),
        generation: 2,
        tenant: vault.header.tenant.clone(),
        created: vault.header.created,
        drill_interval_days: 90,
        threshold: 2,
        labels: vault.header.labels.clone(),
        passphrase: None,
    };
    let contents = VaultContents {
        entries: vec![Entry::Note {
            label: "n".into(),
            text: SecretString::new("x".into()),
        }],
    };
    let mut rng = rand::rand_core::UnwrapErr(rand::rngs::SysRng);
    let g2 = seal(&plan, &contents, &mut rng).unwrap();
    let new = dir.path().join("gen2.txt");
    write_sheet(&new, &g2.shares[1], &g2.vault);
    let r = run(&["recover", p(&sheets[0]), p(&new)]);
    // Neither generation opens, so neither retires the other (FORMAT.md §7).
    expect_fail(
        &r,
        4,
        "this sheet is generation 2, the vault text is generation 1",
    );
}

#[test]
fn share_with_index_zero_and_newer_versions() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let (share, vault) = read_sheet(&sheets[0]);
    let mut zero = share.to_bytes().expose_secret().to_vec();
    zero[23] = 0;
    let f = dir.path().join("zero.txt");
    write_raw(&f, &zero, &vault.to_bytes());
    // FORMAT.md §7.3: the bad sheet is left out with a warning naming it, and one good sheet
    // is NotEnoughShares: exit 4, whatever was left out.
    expect_fail(&run(&["recover", p(&f), p(&sheets[1])]), 4, "index 0");
    let mut newer = share.to_bytes().expose_secret().to_vec();
    newer[0] = 2;
    write_raw(&f, &newer, &vault.to_bytes());
    expect_fail(
        &run(&["recover", p(&f), p(&sheets[1])]),
        4,
        "made by a newer breakglass",
    );
    let text = fs::read_to_string(&sheets[0])
        .unwrap()
        .replace("BG1-S-", "BG2-S-");
    fs::write(&f, text).unwrap();
    expect_fail(&run(&["inspect", p(&f)]), 3, "made by a newer breakglass");
}

#[test]
fn typo_truncation_and_empty_input() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let text = fs::read_to_string(&sheets[1]).unwrap();
    // Change one character in group 2 of share line 3.
    let lines: Vec<&str> = text.lines().collect();
    let i = lines.iter().position(|l| l.starts_with("03  ")).unwrap();
    let mut l3: Vec<char> = lines[i].chars().collect();
    l3[9] = if l3[9] == 'X' { 'Y' } else { 'X' };
    let mut typo: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    typo[i] = l3.into_iter().collect();
    let f = dir.path().join("typo.txt");
    fs::write(&f, typo.join("\n")).unwrap();
    // FORMAT.md §7.3: each bad input below is left out with a warning naming what is wrong,
    // and the one good sheet left is NotEnoughShares (or nothing at all NoShares): exit 4.
    expect_fail(
        &run(&["recover", p(&f), p(&sheets[0])]),
        4,
        "share line 3 has a typo (probably in group 2)",
    );
    // Truncated: the last two share lines are gone.
    let mut cut: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    cut.drain(i + 1..i + 3);
    fs::write(&f, cut.join("\n")).unwrap();
    expect_fail(
        &run(&["recover", p(&f), p(&sheets[0])]),
        4,
        "lines 4, 5 are missing",
    );
    // Empty file, empty stdin, unreadable file.
    let empty = dir.path().join("empty.txt");
    fs::write(&empty, "").unwrap();
    expect_fail(&run(&["recover", p(&empty), p(&sheets[0])]), 4, "is empty");
    expect_fail(&run_stdin(&["recover"], ""), 4, "standard input is empty");
    let missing = dir.path().join("nope.txt");
    expect_fail(
        &run(&["recover", p(&missing), p(&sheets[0])]),
        4,
        "cannot open",
    );
    expect_fail(&run(&["inspect", p(&missing)]), 3, "cannot open");
}

#[test]
fn tampered_vault_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    for s in &sheets[..2] {
        let (share, vault) = read_sheet(s);
        let mut v = vault.clone();
        let n = v.ciphertext.len();
        v.ciphertext[n / 2] ^= 1;
        write_raw(s, share.to_bytes().expose_secret(), &v.to_bytes());
    }
    expect_fail(
        &run(&["recover", p(&sheets[0]), p(&sheets[1])]),
        5,
        "the vault did not open",
    );
    // The intact copy on the third sheet rescues it.
    let r = run(&["recover", p(&sheets[0]), p(&sheets[1]), p(&sheets[2])]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn passphrase_rules() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass.txt");
    fs::write(&pass, "correct horse battery staple\n").unwrap();
    let wrong = dir.path().join("wrong.txt");
    fs::write(&wrong, "correct horse battery stapler\n").unwrap();
    let (sheets, c) = ceremony(
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
    let ok = run(&[
        "recover",
        "--passphrase-file",
        p(&pass),
        p(&sheets[0]),
        p(&sheets[1]),
    ]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(ok.stdout.contains(passwords(&c.stdout)[0].as_str()));
    expect_fail(
        &run(&[
            "recover",
            "--passphrase-file",
            p(&wrong),
            p(&sheets[0]),
            p(&sheets[1]),
        ]),
        5,
        "the passphrase is wrong",
    );
    expect_fail(
        &run(&["recover", p(&sheets[0]), p(&sheets[1])]),
        2,
        "pass --passphrase-file",
    );
    let plain = tempfile::tempdir().unwrap();
    let (ps, _) = ceremony(plain.path(), &[]);
    expect_fail(
        &run(&[
            "recover",
            "--passphrase-file",
            p(&pass),
            p(&ps[0]),
            p(&ps[1]),
        ]),
        2,
        "this vault has no passphrase",
    );
}

#[test]
fn absurd_kdf_parameters_are_refused_before_use() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass.txt");
    fs::write(&pass, "pw").unwrap();
    let (sheets, _) = ceremony(
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
    for s in &sheets[..2] {
        let (share, vault) = read_sheet(s);
        let mut b = vault.to_bytes();
        b[34..38].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Vault::from_bytes(&b).is_err());
        write_raw(s, share.to_bytes().expose_secret(), &b);
    }
    let r = run(&[
        "recover",
        "--passphrase-file",
        p(&pass),
        p(&sheets[0]),
        p(&sheets[1]),
    ]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("above the maximum"), "{}", r.stderr);
    expect_fail(
        &quick_ceremony(
            p(&dir.path().join("x")),
            &["--passphrase-file", p(&pass), "--kdf-memory-mib", "100000"],
        ),
        2,
        "above the maximum",
    );
}

#[test]
fn impossible_ceremonies_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let base = |k: &str, shares: usize, extra: &[&str]| {
        let mut a: Vec<String> = vec![
            "ceremony".into(),
            "--print-credentials".into(),
            "--allow-online".into(),
            "--tenant".into(),
            "contoso".into(),
            "-k".into(),
            k.into(),
            "--out".into(),
            p(&out).into(),
        ];
        for i in 0..shares {
            a.push("--share".into());
            a.push(format!("Safe {i}"));
        }
        a.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        run(&refs)
    };
    expect_fail(
        &base("4", 3, &[]),
        2,
        "threshold 4 is more than the 3 shares",
    );
    expect_fail(&base("1", 3, &[]), 2, "threshold 1 is too low");
    expect_fail(&base("2", 256, &[]), 2, "at most 255");
    expect_fail(&base("2", 3, &["--password-length", "29"]), 2, "too short");
    expect_fail(&base("2", 3, &["--password-length", "257"]), 2, "too long");
    assert!(
        base(
            "2",
            3,
            &["--password-length", "12", "--allow-short-passwords"]
        )
        .code
            == 0
    );
    // The folder now holds sheets: a second ceremony refuses and leaves them untouched.
    let before = fs::read(out.join("share-1.txt")).unwrap();
    expect_fail(&base("2", 3, &[]), 6, "already holds sheets");
    assert_eq!(fs::read(out.join("share-1.txt")).unwrap(), before);
    assert!(base("2", 3, &["--force"]).code == 0);
    assert_ne!(fs::read(out.join("share-1.txt")).unwrap(), before);
}

#[test]
fn custom_domain_warns_and_bad_tenant_fails() {
    let dir = tempfile::tempdir().unwrap();
    let r = CeremonyArgs::small(&dir.path().join("o"))
        .tenant("contoso")
        .args(&["--domain", "contoso.com"])
        .run();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stderr.contains("not an onmicrosoft.com domain"));
    assert!(r.stdout.contains("breakglass1@contoso.com"));
    expect_fail(
        &CeremonyArgs::small(&dir.path().join("p"))
            .tenant("con toso")
            .run(),
        2,
        "tenant name",
    );
}

#[test]
fn totp_and_note_files_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let note = dir.path().join("recovery-codes.txt");
    fs::write(&note, "AAAA-1111\nBBBB-2222\n").unwrap();
    let out = dir.path().join("s");
    let r = CeremonyArgs::small(&out)
        .tenant("contoso")
        .args(&["--totp-file", "-", "--note-file", p(&note)])
        .run_stdin("otpauth://totp/Contoso:bg1?secret=JBSWY3DPEHPK3PXP&issuer=Contoso\n");
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("JBSWY3DPEHPK3PXP"));
    let rec = run(&[
        "recover",
        p(&out.join("share-1.txt")),
        p(&out.join("share-2.txt")),
    ]);
    assert!(rec.stdout.contains("secret=JBSWY3DPEHPK3PXP"));
    assert!(rec.stdout.contains("BBBB-2222"));
    let bad = dir.path().join("bad.txt");
    fs::write(&bad, "not a uri\n").unwrap();
    expect_fail(
        &quick_ceremony(p(&dir.path().join("t")), &["--totp-file", p(&bad)]),
        3,
        "not an otpauth:// URI",
    );
    let _ = ShareLabel::default();
}

/// A `--share` location or custodian above the format's 255-byte label limit is refused with
/// the same message by every command that takes `--share`, before anything is made (the
/// ceremony used to panic, exit 101, while sizing the vault).
#[test]
fn share_labels_above_the_format_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let long = "L".repeat(256);
    for (share, field) in [
        (long.clone(), "location"),
        (format!("Safe A={long}"), "custodian"),
    ] {
        let out = dir.path().join(field);
        let r = CeremonyArgs::small(&out).shares(&["b", &share]).run();
        expect_fail(
            &r,
            2,
            &format!("--share 2: the {field} label is 256 bytes, above the maximum of 255"),
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert!(!out.exists(), "nothing is written: {}", r.all());
    }
    let (sheets, _) = CeremonyArgs::small(&dir.path().join("ok")).sheets();
    // rekey (and rotate, expand) refuse it with the same words.
    let (custodian, rekeyed) = (format!("b={long}"), dir.path().join("rekeyed"));
    let args = [
        "rekey",
        "--allow-online",
        "--share",
        "a",
        "--share",
        &custodian,
        "-o",
        p(&rekeyed),
        p(&sheets[0]),
        p(&sheets[1]),
    ];
    expect_fail(
        &run(&args),
        2,
        "--share 2: the custodian label is 256 bytes, above the maximum of 255",
    );
}

/// A drill whose sheets include a tampered vault copy passes (the quorum works, exit 0), and
/// its record, `--json` and the log name the copy that was left out (only standard error said
/// so before). `status` on sheets whose copies claim different drill intervals says that they
/// disagree, and reports the earliest due date whichever sheet comes first.
#[test]
fn a_tampered_vault_copy_is_in_the_drill_record_and_status_says_copies_disagree() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    // Sheet 3's vault copy claims a drill every 400 days: its header no longer authenticates.
    let (share, mut vault) = read_sheet(&sheets[2]);
    vault.header.drill_interval_days = 400;
    write_sheet(&sheets[2], &share, &vault);
    let log = dir.path().join("drills.jsonl");
    let (s1, s2, s3) = (p(&sheets[0]), p(&sheets[1]), p(&sheets[2]));

    let r = run(&["drill", "--log", p(&log), s1, s2, s3]);
    assert_eq!(r.code, 0, "{}", r.all());
    let left_out = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("left out:"))
        .unwrap_or_else(|| panic!("no left-out line in the record:\n{}", r.stdout));
    assert!(
        left_out.contains("share-3.txt") && left_out.contains("differs"),
        "{left_out}"
    );
    assert!(r.stdout.contains("input(s) were left out"), "{}", r.stdout);
    let line = fs::read_to_string(&log).unwrap();
    let rec: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let rejected = rec["rejected"].as_array().expect("rejected in the log");
    assert!(
        rejected.iter().any(|x| x
            .as_str()
            .unwrap()
            .contains("share-3.txt: its vault text differs")),
        "{line}"
    );
    assert!(
        rec["result"].as_str().unwrap().starts_with("PASSED"),
        "{line}"
    );

    let j = run(&["drill", "--json", s3, s1, s2]);
    assert_eq!(j.code, 0, "{}", j.all());
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["passed"], true);
    assert!(
        v["record"]["rejected"].to_string().contains("share-3.txt"),
        "{}",
        j.stdout
    );
    // A clean drill has no `rejected` key (the frozen schema is unchanged).
    let clean = run(&["drill", "--json", s1, s2]);
    let v: serde_json::Value = serde_json::from_str(&clean.stdout).unwrap();
    assert!(v["record"].get("rejected").is_none(), "{}", clean.stdout);

    // status: whichever sheet comes first, the copies are said to disagree and the earlier
    // due date (90 days, not the forged 400) is reported, in every mode.
    for order in [[s3, s1], [s1, s3]] {
        let r = run(&["status", order[0], order[1]]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(r.stderr.contains("disagree"), "{order:?}: {}", r.stderr);
        assert!(r.stderr.contains("a drill every 400 days"), "{}", r.stderr);
        assert!(r.stdout.contains("(in 90 days)"), "{order:?}: {}", r.stdout);
        let j = run(&["status", "--json", order[0], order[1]]);
        let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
        assert_eq!(v["vaults"][0]["drill_interval_days"], 90, "{}", j.stdout);
        assert!(j.stderr.contains("disagree"), "{}", j.stderr);
    }
    // Copies that agree: no warning.
    let r = run(&["status", s1, s2]);
    assert!(!r.stderr.contains("disagree"), "{}", r.stderr);
}

/// The drill log escapes what could drive a terminal or split a line (C1 controls, DEL,
/// bidirectional controls, U+2028/U+2029) as JSON \u escapes; `status` reads the escaped log
/// and an older log that holds them raw.
#[test]
fn the_drill_log_escapes_terminal_controls_and_old_raw_logs_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let log = dir.path().join("drills.jsonl");
    let people = "Alice\u{9b}2J, \u{202e}boB\u{2028}\u{2029}\u{7f}\u{85}";
    let r = run(&[
        "drill",
        "--people",
        people,
        "--log",
        p(&log),
        p(&sheets[0]),
        p(&sheets[1]),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let text = fs::read_to_string(&log).unwrap();
    for raw in [
        '\u{9b}', '\u{202e}', '\u{2028}', '\u{2029}', '\u{7f}', '\u{85}',
    ] {
        assert!(
            !text.contains(raw),
            "U+{:04X} raw in the log: {text:?}",
            raw as u32
        );
    }
    for escaped in [
        "\\u009b", "\\u202e", "\\u2028", "\\u2029", "\\u007f", "\\u0085",
    ] {
        assert!(text.contains(escaped), "{escaped} not in {text}");
    }
    assert_eq!(text.lines().count(), 1);
    let rec: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(rec["people"], people, "the value is unchanged");
    // A line an older build wrote raw, after it: both read.
    let mut raw = rec.clone();
    raw["people"] = serde_json::Value::String("Bob\u{9b}\u{2028}".into());
    let mut both = text.clone();
    both.push_str(&serde_json::to_string(&raw).unwrap());
    both.push('\n');
    assert!(both.contains('\u{9b}'));
    fs::write(&log, both).unwrap();
    let r = run(&["status", "--log", p(&log)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("(in 90 days)"), "{}", r.stdout);
}

//! Nothing from a sheet, a vault, a plan, a log or a file name reaches the terminal raw.
//!
//! New text is refused where it enters (ceremony flags and files, plan keys); text already on
//! sheets (a vault made by another tool or an older version, built here with the seal API so the
//! ceremony's refusal is bypassed) is shown through the display filter by every command. Every
//! run asserts that no terminal control reaches standard output or standard error raw.

use crate::common;

use breakglass_core::contents::{Entry, VaultContents};
use breakglass_core::plan::TEMPLATE;
use breakglass_core::seal::{SealParams, seal};
use breakglass_core::secret::SecretString;
use breakglass_core::vault::ShareLabel;
use common::{Run, bin, p, quick_ceremony, run, write_sheet};
use std::path::{Path, PathBuf};

/// The hostile strings: erase screen, OSC 0 (set the title), bell, right-to-left override, line
/// separator, NUL. argv cannot carry NUL, so flags get all but the last.
const HOSTILE: [(&str, &str); 6] = [
    ("ESC", "\u{1b}[2J"),
    ("OSC", "\u{1b}]0;pwned\u{7}"),
    ("BEL", "\u{7}"),
    ("RLO", "\u{202e}"),
    ("LS", "\u{2028}"),
    ("NUL", "\u{0}"),
];

fn argv_hostile() -> impl Iterator<Item = (&'static str, &'static str)> {
    HOSTILE.into_iter().filter(|(n, _)| *n != "NUL")
}

/// True for a character that must never reach a terminal raw.
fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// No control, bidirectional or separator character on either stream; the lossy conversion
/// keeps every byte of interest (0x1B, 0x07 and C2 9B are valid UTF-8).
pub(crate) fn assert_clean(r: &Run, what: &str) {
    for (name, s) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        if let Some(c) = s.chars().find(|&c| dangerous(c)) {
            panic!("{what}: {name} holds raw U+{:04X}:\n{s:?}", u32::from(c));
        }
    }
}

fn run_path(args: &[&std::ffi::OsStr]) -> Run {
    let o = bin().args(args).output().expect("run breakglass");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn refused(r: &Run, what: &str, field: &str) {
    assert_clean(r, what);
    assert_ne!(r.code, 0, "{what}: accepted\n{}", r.all());
    assert!(
        r.stderr.contains(field),
        "{what}: the error does not name {field:?}:\n{}",
        r.stderr
    );
    assert!(
        !r.stdout.contains("password:"),
        "{what}: credentials shown before the refusal"
    );
}

fn percent(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

// ---------------------------------------------------------------------------------------------
// The ceremony refuses.

#[test]
fn ceremony_refuses_share_labels_and_fido2_labels() {
    for (name, x) in argv_hostile() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s");
        let cases = [
            (
                vec!["--share".to_string(), format!("c{x}d")],
                "--share 3 (its location)",
            ),
            (
                vec!["--share".to_string(), format!("c=Carol{x}d")],
                "--share 3 (its custodian)",
            ),
            (
                vec!["--fido2".to_string(), format!("YubiKey{x}")],
                "--fido2 1",
            ),
        ];
        for (extra, field) in cases {
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let r = quick_ceremony(p(&out), &extra);
            refused(&r, &format!("{name} in {field}"), field);
            assert_eq!(r.code, 2, "{name} {field}: {}", r.all());
            // Refused before any sheet was written.
            assert!(!out.join("share-1.pdf").exists());
        }
        // (Inside the label: a trailing separator is trimmed as whitespace.)
        // Tenant and account prefix are refused by the Entra ID name rules; the errors that quote
        // them are filtered.
        for flag in ["--tenant", "--account-prefix", "--domain"] {
            let v = format!("con{x}toso");
            let mut args = vec![
                "ceremony",
                "--allow-online",
                "--print-credentials",
                "-k",
                "2",
                "--share",
                "a",
                "--share",
                "b",
                "--out",
                p(&out),
                flag,
                &v,
            ];
            if flag != "--tenant" {
                args.extend(["--tenant", "contoso"]);
            }
            let r = run(&args);
            assert_clean(&r, &format!("{name} in {flag}"));
            assert_ne!(r.code, 0, "{name} {flag}");
        }
    }
}

#[test]
fn ceremony_refuses_note_text_note_names_and_totp_labels_and_issuers() {
    for (name, x) in HOSTILE {
        let dir = tempfile::tempdir().unwrap();
        let note = dir.path().join("codes.txt");
        std::fs::write(&note, format!("1111-2222\n{x}3333-4444\n")).unwrap();
        let r = quick_ceremony(p(&dir.path().join("a")), &["--note-file", p(&note)]);
        refused(&r, &format!("{name} in a note"), "the text of note 1");
        assert!(r.stderr.contains("line 2, character 1)"), "{}", r.stderr);
        let totp = |uri: String| {
            let f = dir.path().join(format!("totp-{}.txt", uri.len()));
            std::fs::write(&f, uri).unwrap();
            f
        };
        let label = totp(format!(
            "otpauth://totp/ACME:bg{}?secret=JBSWY3DPEHPK3PXP&issuer=ACME",
            percent(x)
        ));
        let r = quick_ceremony(p(&dir.path().join("b")), &["--totp-file", p(&label)]);
        refused(
            &r,
            &format!("{name} in a TOTP label"),
            "the label of TOTP 1",
        );
        let issuer = totp(format!(
            "otpauth://totp/ACME:bg?secret=JBSWY3DPEHPK3PXP&issuer=ACME{}",
            percent(x)
        ));
        let r = quick_ceremony(p(&dir.path().join("c")), &["--totp-file", p(&issuer)]);
        refused(
            &r,
            &format!("{name} in a TOTP issuer"),
            "the issuer in the otpauth:// URI of TOTP 1",
        );
        if name != "NUL" {
            // The note's file name is its label.
            let named = dir.path().join(format!("codes{x}.txt"));
            std::fs::write(&named, "1111-2222\n").unwrap();
            let r = quick_ceremony(p(&dir.path().join("d")), &["--note-file", p(&named)]);
            refused(
                &r,
                &format!("{name} in a note's name"),
                "the label of note 1",
            );
        }
    }
    // `%1B[2J` in the label, as the issue found it.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.txt");
    std::fs::write(&f, "otpauth://totp/%1B[2J?secret=JBSWY3DPEHPK3PXP\n").unwrap();
    let r = quick_ceremony(p(&dir.path().join("s")), &["--totp-file", p(&f)]);
    refused(&r, "%1B[2J label", "the label of TOTP 1");
    // A carriage return that overwrites the line is refused; a note may hold newlines, tabs and
    // Windows line ends.
    std::fs::write(&f, "code\t1111\rfake\n").unwrap();
    let r = quick_ceremony(p(&dir.path().join("t")), &["--note-file", p(&f)]);
    refused(&r, "CR in a note", "the text of note 1");
    std::fs::write(&f, "code\t1111\r\ncode\t2222\n").unwrap();
    let r = quick_ceremony(p(&dir.path().join("u")), &["--note-file", p(&f)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_clean(&r, "a note with tabs");
}

/// Every text key of the plan, with the TOML escape of each hostile string.
fn plan_cases() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "tenant = \"contoso\"",
            "tenant = \"contoso{}\"",
            "plan key `tenant`",
        ),
        (
            "# domain = \"contoso.onmicrosoft.com\"",
            "domain = \"contoso.onmicrosoft.com{}\"",
            "plan key `domain`",
        ),
        (
            "user = \"breakglass2\"",
            "user = \"breakglass2{}\"",
            "plan key `user` of [[account]] 2",
        ),
        (
            "display_name = \"Emergency access 1\"",
            "display_name = \"Emergency {}access 1\"",
            "plan key `display_name` of [[account]] 1",
        ),
        (
            "role = \"Global Administrator\"       #",
            "role = \"Global Administrator{}\"       #",
            "plan key `role` of [[account]] 1",
        ),
        (
            "label = \"YubiKey 5 NFC\"",
            "label = \"YubiKey{} 5 NFC\"",
            "plan key `label` of [[account.fido2]] 1 of [[account]] 1",
        ),
        (
            "serial = \"12345678\"",
            "serial = \"1234{}\"",
            "plan key `serial` of [[account.fido2]] 1 of [[account]] 1",
        ),
        (
            "location = \"Safe A (HQ)\"\npin_length",
            "location = \"Safe A{}\"\npin_length",
            "plan key `location` of [[account.fido2]] 1 of [[account]] 1",
        ),
        (
            "location = \"CISO home safe\"",
            "location = \"CISO{} home safe\"",
            "plan key `location` of [[share]] 3",
        ),
        (
            "custodian = \"Bob Example\"",
            "custodian = \"Bob{} Example\"",
            "plan key `custodian` of [[share]] 2",
        ),
        (
            "# totp_uri_file = \"breakglass2-totp.txt\"",
            "totp_uri_file = \"t{}.txt\"",
            "plan key `totp_uri_file` of [[account]] 2",
        ),
    ]
    .into_iter()
    .map(|(from, to, field)| (from, to.to_string(), field))
    .collect()
}

fn toml_escape(s: &str) -> String {
    s.chars()
        .map(|c| format!("\\u{:04X}", u32::from(c)))
        .collect()
}

#[test]
fn plan_check_and_ceremony_refuse_every_plan_field() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    for (from, to, field) in plan_cases() {
        assert!(TEMPLATE.contains(from), "{from}");
        for (name, x) in HOSTILE {
            let text = TEMPLATE.replacen(from, &to.replace("{}", &toml_escape(x)), 1);
            std::fs::write(&plan, text).unwrap();
            let what = format!("{name} in {field}");
            let r = run(&["plan", "check", p(&plan)]);
            refused(&r, &format!("plan check: {what}"), field);
            assert_eq!(r.code, 2, "{what}: {}", r.all());
            assert!(!r.stdout.contains("The plan is valid"), "{what}");
            let out = dir.path().join("sheets");
            let r = run(&[
                "ceremony",
                "--allow-online",
                "--print-credentials",
                "--plan",
                p(&plan),
                "--out",
                p(&out),
            ]);
            refused(&r, &format!("ceremony --plan: {what}"), field);
            assert_eq!(r.code, 2, "{what}: {}", r.all());
            assert!(!out.join("share-1.pdf").exists(), "{what}");
            // Monitoring does not validate the plan's labels, but shows nothing raw.
            let r = run(&["monitoring", "--plan", p(&plan)]);
            assert_clean(&r, &format!("monitoring --plan: {what}"));
        }
    }
    // The template itself is fine.
    std::fs::write(&plan, TEMPLATE).unwrap();
    let r = run(&["plan", "check", p(&plan)]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn monitoring_shows_hostile_accounts_filtered() {
    for (name, x) in argv_hostile() {
        let upn = format!("bg1{x}@contoso.onmicrosoft.com");
        let id = format!("00000000-0000-0000-0000-{x}");
        let r = run(&["monitoring", "--upn", &upn, "--object-id", &id]);
        assert_clean(&r, &format!("monitoring: {name}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Text already on sheets is shown filtered.

/// A vault made by another tool: every text field hostile. Header labels are held to FORMAT.md
/// §3 (no Cc, no bidi) by the parser, so they carry the separators that rule allows; the sealed
/// contents carry everything. Returns three sheets, one with a hostile file name.
pub(crate) fn foreign_vault(dir: &Path) -> Vec<PathBuf> {
    let esc = "\u{1b}[2J";
    let osc = "\u{1b}]0;pwned\u{7}";
    let entries = vec![
        Entry::Account {
            upn: format!("bg1{esc}@contoso.onmicrosoft.com"),
            display_name: format!("Emergency{osc} 1\u{202e}"),
            password: SecretString::new("Real-Password-1\u{1b}[2K".into()),
        },
        Entry::Fido2 {
            label: "YubiKey\u{202e}\u{0}\u{2028}".into(),
            pin: SecretString::new("48151623\u{7}".into()),
        },
        Entry::Totp {
            label: format!("ACME{esc}"),
            uri: SecretString::new(format!(
                "otpauth://totp/ACME{esc}?secret=JBSWY3DPEHPK3PXP&issuer=%1B%5D0%3Bx%07"
            )),
        },
        Entry::Note {
            label: "codes\u{7}".into(),
            text: SecretString::new(
                "real 1111\n\u{1b}[1A\u{1b}[2Kfake 9999\n\u{9b}2J\u{0}\r\tend\u{2029}".into(),
            ),
        },
    ];
    let plan = SealParams {
        vault_id: None,
        generation: 1,
        tenant: "contoso\u{2028}.onmicrosoft.com".into(),
        created: 1_764_000_000,
        drill_interval_days: 90,
        threshold: 2,
        labels: vec![
            ShareLabel {
                location: "Safe A\u{2028}".into(),
                custodian: "Alice\u{2029}".into(),
            },
            ShareLabel {
                location: "Safe B\u{2029}".into(),
                custodian: String::new(),
            },
            ShareLabel {
                location: "Safe C".into(),
                custodian: "Carol\u{2028}".into(),
            },
        ],
        passphrase: None,
    };
    let mut rng = rand::rand_core::UnwrapErr(rand::rngs::SysRng);
    let sealed = seal(&plan, &VaultContents { entries }, &mut rng).unwrap();
    let names = ["share-1.txt", "share\u{1b}[2J\u{7}-2.txt", "share-3.txt"];
    names
        .iter()
        .zip(&sealed.shares)
        .map(|(n, s)| {
            let path = dir.join(n);
            write_sheet(&path, s, &sealed.vault);
            path
        })
        .collect()
}

fn os(paths: &[&Path]) -> Vec<std::ffi::OsString> {
    paths.iter().map(|p| p.as_os_str().to_owned()).collect()
}

fn run_with(args: &[&str], paths: &[&Path]) -> Run {
    let mut all: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    all.extend(os(paths));
    let refs: Vec<&std::ffi::OsStr> = all.iter().map(|s| s.as_os_str()).collect();
    run_path(&refs)
}

#[test]
fn recover_shows_foreign_contents_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let s = foreign_vault(dir.path());
    let r = run_with(&["recover", "--purpose", "drill"], &[&s[0], &s[1]]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_clean(&r, "recover");
    let o = &r.stdout;
    // Each line of the note stays a line; the cursor moves are shown, not performed.
    assert!(
        o.contains(
            "  real 1111\n  \\u{1B}[1A\\u{1B}[2Kfake 9999\n  \\u{9B}2J\\u{0}\\u{D}\tend\\u{2029}\n"
        ),
        "{o}"
    );
    assert!(o.contains("Password:  Real-Password-1\\u{1B}[2K\n"), "{o}");
    assert!(o.contains("\\u{1B}]0;pwned\\u{7}"), "{o}");
    assert!(o.contains("YubiKey\\u{202E}\\u{0}\\u{2028}"), "{o}");
    assert!(o.contains("TOTP:      ACME\\u{1B}[2J"), "{o}");
    assert!(o.contains("Note:      codes\\u{7}"), "{o}");
    assert!(o.contains("contoso\\u{2028}.onmicrosoft.com"), "{o}");
    assert!(o.contains("share\\u{1B}[2J\\u{7}-2.txt"), "{o}");

    // JSON: the exact values, as JSON escapes.
    let r = run_with(
        &["recover", "--json", "--purpose", "drill"],
        &[&s[1], &s[2]],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_clean(&r, "recover --json");
    let o = &r.stdout;
    assert!(
        o.contains(
            r#""text": "real 1111\n\u001b[1A\u001b[2Kfake 9999\n\u009b2J\u0000\r\tend\u2029""#
        ),
        "{o}"
    );
    assert!(o.contains(r#""label": "YubiKey\u202e\u0000\u2028""#), "{o}");
    assert!(
        o.contains(r#""password": "Real-Password-1\u001b[2K""#),
        "{o}"
    );
}

#[test]
fn inspect_verify_and_print_show_sheets_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let s = foreign_vault(dir.path());
    let r = run_with(&["inspect"], &[&s[0], &s[1], &s[2]]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_clean(&r, "inspect");
    assert!(
        r.stdout.contains("location:    Safe A\\u{2028}"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("custodian:   Alice\\u{2029}"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("share\\u{1B}[2J\\u{7}-2.txt"),
        "{}",
        r.stdout
    );
    // A file that cannot be read: its name is filtered in the error too.
    let missing = dir.path().join("gone\u{1b}]0;t\u{7}.txt");
    let r = run_with(&["inspect"], &[&missing, &s[0]]);
    assert_ne!(r.code, 0);
    assert_clean(&r, "inspect, unreadable file");
    assert!(
        r.stderr.contains("gone\\u{1B}]0;t\\u{7}.txt"),
        "{}",
        r.stderr
    );
    let r = run_with(&["verify-print"], &[&s[0], &s[1], &s[2]]);
    assert_clean(&r, "verify-print");
    assert!(r.stdout.contains("Safe B\\u{2029}"), "{}", r.stdout);
    let out = dir.path().join("reprint");
    let mut args: Vec<std::ffi::OsString> = vec!["print".into(), "--out".into(), out.into()];
    args.push(s[1].clone().into());
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let r = run_path(&refs);
    assert_clean(&r, "print");
}

#[test]
fn drill_and_status_show_sheets_people_and_log_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let s = foreign_vault(dir.path());
    let log = dir.path().join("drills\u{1b}[2J.jsonl");
    for (name, x) in argv_hostile() {
        let people = format!("Alice{x}, Bob");
        let mut args: Vec<std::ffi::OsString> = vec![
            "drill".into(),
            "--people".into(),
            people.into(),
            "--log".into(),
            log.clone().into(),
        ];
        args.extend(os(&[&s[0], &s[1]]));
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let r = run_path(&refs);
        assert_eq!(r.code, 0, "{}", r.all());
        assert_clean(&r, &format!("drill: {name}"));
        assert!(r.stdout.contains("present:     Alice\\u{"), "{}", r.stdout);
        assert!(
            r.stdout.contains("Safe A\\u{2028}, Alice\\u{2029}"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("drills\\u{1B}[2J.jsonl"), "{}", r.stdout);
    }
    // A failed drill (one sheet) prints its record filtered as well.
    let r = run_with(&["drill", "--people", "Eve\u{1b}[2J"], &[&s[1]]);
    assert_ne!(r.code, 0);
    assert_clean(&r, "failed drill");

    // status from the sheet and the log written above.
    let mut args: Vec<std::ffi::OsString> = vec!["status".into(), "--log".into(), log.into()];
    args.push(s[0].clone().into());
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let r = run_path(&refs);
    assert_clean(&r, "status");
    assert!(
        r.stdout.contains("contoso\\u{2028}.onmicrosoft.com"),
        "{}",
        r.stdout
    );

    // A log written by something else: every field hostile, in JSON escapes.
    let foreign = dir.path().join("foreign.jsonl");
    let mut text = String::new();
    for (_, x) in HOSTILE {
        let j = |v: &str| toml_escape(v); // \uXXXX is JSON's escape too
        text.push_str(&format!(
            "{{\"version\":1,\"date\":\"2026-01-01{d}\",\"unix\":1767225600,\"purpose\":\"drill{d}\",\"result\":\"PASSED{d}\",\"vault_id\":\"ID{d}\",\"tenant\":\"t{d}\",\"generation\":1,\"drill_interval_days\":0}}\n",
            d = j(x)
        ));
    }
    std::fs::write(&foreign, text).unwrap();
    let r = run(&["status", "--log", p(&foreign)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_clean(&r, "status of a foreign log");
    assert!(
        r.stdout.contains("vault ID\\u{1B}[2J (t\\u{1B}[2J)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("2026-01-01 (drill\\u{202E})"),
        "{}",
        r.stdout
    );
}

#[test]
fn rekey_and_expand_refuse_hostile_share_labels() {
    let dir = tempfile::tempdir().unwrap();
    let s = foreign_vault(dir.path());
    for (name, x) in argv_hostile() {
        let out = dir.path().join(format!("out-{name}"));
        let (a, b, c) = (format!("A{x}a"), "B".to_string(), format!("C=Carol{x}c"));
        let cases = [
            (
                "rekey",
                vec![a.as_str(), "B", "C"],
                "--share 1 (its location)",
            ),
            (
                "rotate",
                vec!["A", b.as_str(), c.as_str()],
                "--share 3 (its custodian)",
            ),
            ("expand", vec![a.as_str()], "--share 1 (its location)"),
        ];
        for (cmd, shares, field) in cases {
            let mut args: Vec<std::ffi::OsString> = vec![cmd.into()];
            args.extend(os(&[&s[0], &s[2]]));
            for sh in shares {
                args.extend(["--share".into(), sh.into()]);
            }
            args.extend(["--out".into(), out.clone().into(), "--allow-online".into()]);
            if cmd == "rotate" {
                args.push("--print-credentials".into());
            }
            let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            let r = run_path(&refs);
            refused(&r, &format!("{cmd}: {name}"), field);
            assert_eq!(r.code, 2, "{cmd} {name}: {}", r.all());
            assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
        }
    }
}

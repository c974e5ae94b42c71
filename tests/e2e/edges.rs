//! The smaller holes, each through the real binary: flags a plan would drop, KQL injection,
//! newer-format codes on every channel, open output folders, the enrollment sheet written
//! first, byte order marks, oversized standard input and the failed-drill record.

use crate::common;

use common::{ceremony, p, quick_ceremony, run, run_stdin};
use image::{GrayImage, Luma};
use std::fs;
use std::path::Path;

#[test]
fn ceremony_with_a_plan_refuses_the_flags_the_plan_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    assert_eq!(run(&["plan", "new", p(&plan)]).code, 0);
    let totp = dir.path().join("totp.txt");
    fs::write(&totp, "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n").unwrap();
    let out = dir.path().join("out");
    let flags: [&[&str]; 5] = [
        &["--fido2", "YubiKey #1"],
        &["--totp-file", p(&totp)],
        &["--pin-length", "6"],
        &["--alphanumeric-pins"],
        &["--account-prefix", "bg"],
    ];
    for f in flags {
        let mut args = vec![
            "ceremony",
            "--allow-online",
            "--print-credentials",
            "--plan",
            p(&plan),
            "--out",
            p(&out),
        ];
        args.extend_from_slice(f);
        let r = run(&args);
        assert_eq!(r.code, 2, "{f:?}: {}", r.all());
        assert!(r.stderr.contains(f[0]), "{f:?} not named: {}", r.stderr);
        assert!(
            r.stderr.contains("cannot be used with --plan"),
            "{}",
            r.stderr
        );
        assert!(!out.exists(), "{f:?}: sheets were written");
    }
}

#[test]
fn monitoring_refuses_values_that_would_break_out_of_the_kql_string() {
    for bad in [
        vec!["--upn", "x\\"],
        vec!["--upn", "a@b.com\") or true //"],
        vec!["--upn", "a@b.com\n| take 1"],
        vec!["--upn", "no-at-sign"],
        vec!["--object-id", "nope"],
        vec!["--object-id", "11111111-2222-3333-4444-55555555555\""],
    ] {
        let r = run(&[&["monitoring"], &bad[..]].concat());
        assert_eq!(r.code, 2, "{bad:?}: {}", r.all());
        assert!(r.stderr.contains(bad[0]), "{bad:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{bad:?}: a query was printed");
    }
    let r = run(&[
        "monitoring",
        "--upn",
        "o'k_1@contoso.onmicrosoft.com",
        "--object-id",
        "11111111-2222-3333-4444-555555555555",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("(\"o'k_1@contoso.onmicrosoft.com\")"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("(\"11111111-2222-3333-4444-555555555555\")")
    );
}

/// A PNG of one QR code holding `payload`, 8 px per module with a 4-module quiet zone.
fn qr_png(payload: &str, path: &Path) {
    let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
    let n = code.width() as u32;
    let colors = code.to_colors();
    let px = 8;
    let img = GrayImage::from_fn((n + 8) * px, (n + 8) * px, |x, y| {
        let (mx, my) = (x / px, y / px);
        let dark = (4..n + 4).contains(&mx)
            && (4..n + 4).contains(&my)
            && colors[((my - 4) * n + (mx - 4)) as usize] == qrcode::Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    });
    img.save_with_format(path, image::ImageFormat::Png).unwrap();
}

#[test]
fn a_newer_format_gets_the_same_answer_on_every_channel() {
    let dir = tempfile::tempdir().unwrap();
    let text = "BG2-S-5-AAAAAAA\n01 XXXXXXXXXXXXXXXX\n";
    let png = dir.path().join("bg2.png");
    qr_png(text.trim_end(), &png);
    let txt = dir.path().join("bg2.txt");
    fs::write(&txt, text).unwrap();
    const NEWER: &str = "made by a newer breakglass";
    for file in [&png, &txt] {
        for cmd in ["inspect", "recover", "verify-print"] {
            let r = run(&[cmd, p(file)]);
            assert_ne!(r.code, 0, "{cmd} {}", file.display());
            assert!(
                r.stderr.contains(NEWER),
                "{cmd} {}: {}",
                file.display(),
                r.stderr
            );
            assert!(!r.stderr.contains("not a breakglass code"), "{}", r.stderr);
        }
    }
    let r = run_stdin(&["recover", "-"], text);
    assert!(r.stderr.contains(NEWER), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn an_output_folder_open_to_others_is_made_private_and_said_so() {
    use std::os::unix::fs::PermissionsExt;
    for mode in [0o777, 0o770, 0o755] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::set_permissions(&out, fs::Permissions::from_mode(mode)).unwrap();
        let r = quick_ceremony(p(&out), &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stderr.contains("it is now 0700"),
            "{mode:o}: {}",
            r.stderr
        );
        let now = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(now, 0o700, "{mode:o}");
    }
}

#[test]
fn an_enrollment_sheet_that_cannot_be_written_stops_before_any_share_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    fs::write(&blocker, "x").unwrap();
    let enroll = blocker.join("enroll.pdf");
    let out = dir.path().join("out");
    let r = quick_ceremony(p(&out), &["--enrollment-sheet", p(&enroll)]);
    assert_eq!(r.code, 6, "{}", r.all());
    let written: Vec<String> = fs::read_dir(&out)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(written.is_empty(), "share sheets were written: {written:?}");
}

#[test]
fn a_byte_order_mark_is_accepted_and_oversized_stdin_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend(fs::read(&sheets[0]).unwrap());
    let bom = dir.path().join("bom.txt");
    fs::write(&bom, &with_bom).unwrap();
    let r = run(&["inspect", p(&bom)]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = run(&["drill", p(&bom), p(&sheets[1])]);
    assert_eq!(r.code, 0, "{}", r.all());

    let big = "A".repeat(64 * 1024 * 1024 + 1);
    let r = run_stdin(&["inspect", "-"], &big);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("larger than 64 MiB"), "{}", r.stderr);
}

#[test]
fn a_failed_drill_logs_the_vault_and_generation_its_sheets_claim() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &[]);
    let id = c
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Vault "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_string();
    let log = dir.path().join("drills.jsonl");
    let r = run(&["drill", p(&sheets[0]), "--log", p(&log)]);
    assert_eq!(r.code, 4, "{}", r.all());
    let rec: serde_json::Value =
        serde_json::from_str(fs::read_to_string(&log).unwrap().lines().next().unwrap()).unwrap();
    assert!(rec["result"].as_str().unwrap().starts_with("FAILED"));
    assert_eq!(rec["vault_id"], id.as_str());
    assert_eq!(rec["generation"], 1);
    assert_eq!(rec["tenant"], "contoso.onmicrosoft.com");
}

/// Ends a real ceremony by a signal in the middle of writing its sheets and checks that no
/// temporary share is left behind. The signal comes from the kernel at a known point, not from a
/// race with the writer: under a file-size limit (`ulimit -f`) of 8 KiB, the first share's text
/// (about 2 KiB) is written whole to its temporary file, and the write of its PDF (about 18 KiB)
/// raises SIGXFSZ. The handler is the one that serves SIGINT, SIGTERM, SIGHUP and SIGQUIT
/// (whose arrival at a prompt and at a screen showing secrets the tmux tests check).
#[cfg(unix)]
#[test]
#[allow(unsafe_code)] // pre_exec
fn temporary_shares_are_removed_when_a_signal_ends_the_writing() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = vec![
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--tenant",
        "c",
        "-k",
        "2",
    ];
    let labels: Vec<String> = (1..=12).map(|i| format!("L{i}")).collect();
    for l in &labels {
        args.extend(["--share", l.as_str()]);
    }
    args.extend(["--out", p(&out)]);
    let mut cmd = common::bin();
    cmd.args(&args);
    // SAFETY: setrlimit(2) is async-signal-safe and is all the child does before exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 8 * 1024,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let r = cmd.output().unwrap();
    assert_eq!(
        r.status.signal(),
        Some(libc::SIGXFSZ),
        "the run was not ended by the file-size limit: {r:?}"
    );
    let left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

/// A vault text with lines missing in one input is not needed when another input has the vault
/// whole: recovery neither warns about it nor asks for its lines.
#[test]
fn a_partial_vault_is_not_asked_for_when_another_input_has_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &[]);
    let text = fs::read_to_string(&sheets[1]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.trim_start().starts_with("BG1-V-"))
        .expect("a vault block in share-2.txt");
    let cut: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != header + 2)
        .map(|(_, l)| *l)
        .collect();
    let partial = dir.path().join("share-2-damaged.txt");
    fs::write(&partial, cut.join("\n")).unwrap();
    let r = run(&["recover", p(&sheets[0]), p(&partial)]);
    assert_eq!(r.code, 0, "{}", r.all());
    for pw in common::passwords(&c.stdout) {
        assert!(r.stdout.contains(&pw), "{}", r.stdout);
    }
    assert!(
        !r.stderr.contains("vault was not read") && !r.stderr.contains("partly read"),
        "{}",
        r.stderr
    );
}

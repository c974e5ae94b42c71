//! The command line follows the conventions its users know from age/rage, ripgrep and cargo:
//! completions and man pages from the clap definitions, a version that names its commit,
//! help with examples and only the options a command uses, `-o`, `-` for standard output,
//! refusals at the edge before anything is generated, and errors in the user's words.

use crate::common;

use common::{p, quick_ceremony, run, run_stdin};
use std::path::Path;

/// Runs the binary in `dir` (for arguments that are relative paths such as `-`).
fn run_in(dir: &Path, args: &[&str]) -> common::Run {
    let o = common::bin().current_dir(dir).args(args).output().unwrap();
    common::Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef breakglass"),
        ("fish", "complete -c breakglass"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.all());
        assert!(r.stdout.contains(marker), "{shell}: {}", r.stdout);
        for sub in ["verify-print", "ceremony", "allow-single-location-recovery"] {
            assert!(r.stdout.contains(sub), "{shell} lacks {sub}");
        }
    }
    assert_eq!(run(&["completions", "tcsh"]).code, 2);
}

#[test]
fn man_writes_one_page_per_subcommand_and_never_over_old_ones_silently() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let r = run(&["man", "-o", p(&out)]);
    assert_eq!(r.code, 0, "{}", r.all());
    for page in [
        "breakglass.1",
        "breakglass-ceremony.1",
        "breakglass-recover.1",
        "breakglass-rekey.1",
        "breakglass-rotate.1",
        "breakglass-expand.1",
        "breakglass-verify-print.1",
        "breakglass-plan-new.1",
        "breakglass-plan-check.1",
        "breakglass-completions.1",
    ] {
        let text = std::fs::read_to_string(out.join(page)).unwrap_or_default();
        assert!(
            text.starts_with(".ie") || text.contains(".TH"),
            "{page}: {text}"
        );
    }
    // Every page formats without a warning (groff-base; CI installs it).
    if common::tools::tools_or_skip(&["groff"]) {
        for page in std::fs::read_dir(&out).unwrap() {
            let page = page.unwrap().path();
            let g = std::process::Command::new("groff")
                .args(["-ww", "-man", "-Tutf8", "-z"])
                .arg(&page)
                .output()
                .unwrap();
            let warnings = String::from_utf8_lossy(&g.stderr);
            assert!(
                g.status.success() && warnings.is_empty(),
                "{}: {warnings}",
                page.display()
            );
        }
    }
    let again = run(&["man", "-o", p(&out)]);
    assert_eq!(again.code, 6, "{}", again.all());
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(run(&["man", "-o", p(&out), "--force"]).code, 0);
    let stdout = run_in(dir.path(), &["man", "-o", "-"]);
    assert_eq!(stdout.code, 2, "{}", stdout.all());
    assert!(!dir.path().join("-").exists());
}

#[test]
fn version_names_the_source_commit() {
    let r = run(&["--version"]);
    assert_eq!(r.code, 0);
    let line = r.stdout.trim();
    let commit = line
        .strip_prefix(concat!(
            "breakglass ",
            env!("CARGO_PKG_VERSION"),
            " (commit "
        ))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no commit in {line:?}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
    // Built from a git checkout: the commit is that checkout's HEAD.
    let head = std::process::Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .output();
    if let Ok(o) = head
        && o.status.success()
    {
        assert_eq!(commit, String::from_utf8_lossy(&o.stdout).trim());
    }
}

#[test]
fn every_subcommand_help_has_examples() {
    for cmd in [
        &["ceremony"][..],
        &["recover"],
        &["inspect"],
        &["print"],
        &["rekey"],
        &["rotate"],
        &["expand"],
        &["verify-print"],
        &["drill"],
        &["status"],
        &["plan"],
        &["plan", "new"],
        &["plan", "check"],
        &["monitoring"],
        &["tenant", "export-script"],
        &["tenant", "setup-script"],
        &["preflight"],
        &["completions"],
        &["man"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let r = run(&args);
        assert_eq!(r.code, 0, "{cmd:?}");
        assert!(
            r.stdout.contains("Examples:\n  breakglass "),
            "{cmd:?}: {}",
            r.stdout
        );
    }
    // `plan new` and `plan check` say what their FILE is.
    assert!(
        run(&["plan", "new", "--help"])
            .stdout
            .contains("standard output")
    );
    assert!(
        run(&["plan", "check", "--help"])
            .stdout
            .contains("ceremony --plan")
    );
}

#[test]
fn rekey_rotate_and_expand_list_only_the_options_they_use() {
    let help = |c: &str| run(&[c, "--help"]).stdout;
    let (rekey, rotate, expand) = (help("rekey"), help("rotate"), help("expand"));
    for h in [&rekey, &rotate, &expand] {
        assert!(!h.contains("Not for"), "{h}");
        assert!(!h.contains("For `"), "{h}");
        assert!(h.contains("--out <DIR>") && h.contains("-o,"), "{h}");
    }
    for flag in [
        "--password-length",
        "--print-credentials",
        "--enrollment-sheet",
    ] {
        assert!(!rekey.contains(flag), "rekey lists {flag}");
        assert!(!expand.contains(flag), "expand lists {flag}");
        assert!(rotate.contains(flag), "rotate lacks {flag}");
    }
    assert!(!expand.contains("--threshold"), "{expand}");
    assert!(rekey.contains("--threshold"), "{rekey}");
    // An option a command would ignore is refused, not silently dropped.
    let r = run(&["rekey", "--password-length", "40", "-o", "x", "s.txt"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("--password-length"), "{}", r.stderr);
    let r = run(&["expand", "-k", "3", "--share", "x", "-o", "x", "s.txt"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let r = run(&["rekey", "--enrollment-sheet", "e.pdf", "-o", "x", "s.txt"]);
    assert_eq!(r.code, 2, "{}", r.all());
}

#[test]
fn short_o_writes_sheets_and_paper_takes_either_case() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheets");
    let r = run(&[
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--tenant",
        "c",
        "-k",
        "2",
        "--share",
        "a",
        "--share",
        "b",
        "--paper",
        "A4",
        "-o",
        p(&out),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(out.join("share-1.txt").exists());
    let reprint = dir.path().join("letter");
    let r = run(&[
        "print",
        "--paper",
        "LETTER",
        p(&out.join("share-1.txt")),
        "-o",
        p(&reprint),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn dash_is_standard_output_where_one_thing_is_written_and_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), &["plan", "new", "-"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.stdout, breakglass_core::plan::TEMPLATE);
    assert!(!dir.path().join("-").exists());

    let sheets = dir.path().join("sheets");
    assert_eq!(quick_ceremony(p(&sheets), &[]).code, 0);
    let share = sheets.join("share-1.txt");
    let r = run_in(dir.path(), &["print", p(&share), "--out", "-"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("standard output"), "{}", r.stderr);
    let r = run_in(
        dir.path(),
        &[
            "ceremony",
            "--allow-online",
            "--tenant",
            "c",
            "-k",
            "2",
            "--share",
            "a",
            "--share",
            "b",
            "-o",
            "-",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(!dir.path().join("-").exists(), "a folder named - was made");
}

/// A ceremony that must be refused at the edge: exit 2, the message, and nothing written.
fn refused(extra: &[&str], says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheets");
    let mut args = vec![
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--tenant",
        "c",
        "-k",
        "2",
        "-o",
        p(&out),
    ];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 2, "{extra:?}: {}", r.all());
    assert!(r.stderr.contains(says), "{extra:?}: {}", r.stderr);
    assert!(!r.stdout.contains("password:"), "{extra:?}: {}", r.stdout);
    assert!(!out.exists(), "{extra:?} wrote sheets");
}

#[test]
fn bad_flags_are_refused_before_anything_is_generated() {
    let two = ["--share", "a", "--share", "b"];
    refused(
        &[&two[..], &["--accounts", "1"]].concat(),
        "--allow-single-account",
    );
    refused(&["--share", "a", "--share", ""], "needs a location");
    refused(&["--share", "a", "--share", "=Bob"], "needs a location");
    refused(&[&two[..], &["--fido2", ""]].concat(), "label is empty");
    refused(&[&two[..], &["--fido2", "  "]].concat(), "label is empty");
    let r = run(&["rekey", "--share", "", "-o", "x", "s.txt"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let r = run(&["monitoring", "--object-id", "not-a-guid"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("GUID"), "{}", r.stderr);
}

#[test]
fn one_account_when_asked_for_explicitly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheets");
    let r = quick_ceremony(p(&out), &["--accounts", "1", "--allow-single-account"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(common::passwords(&r.stdout).len(), 1, "{}", r.stdout);
}

fn plan_file(dir: &Path, edit: impl Fn(&str) -> String) -> std::path::PathBuf {
    let path = dir.join("plan.toml");
    std::fs::write(&path, edit(breakglass_core::plan::TEMPLATE)).unwrap();
    path
}

/// A plan with one account is refused as `--accounts 1` is, by `plan check` and by the
/// ceremony alike, until the plan itself says `allow_single_account = true`.
#[test]
fn a_plan_with_one_account_needs_the_override_too() {
    let dir = tempfile::tempdir().unwrap();
    let cut = |t: &str| {
        let start = t.find("[[account]]\nuser = \"breakglass2\"").unwrap();
        let end = t.find("# One entry per share sheet").unwrap();
        format!("{}{}", &t[..start], &t[end..])
    };
    let plan = plan_file(dir.path(), cut);
    let check = run(&["plan", "check", p(&plan)]);
    assert_ne!(check.code, 0, "{}", check.all());
    assert!(
        check.stderr.contains("allow_single_account = true"),
        "{}",
        check.stderr
    );
    let out = dir.path().join("s");
    let c = run(&[
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--plan",
        p(&plan),
        "-o",
        p(&out),
    ]);
    assert_eq!(c.code, check.code, "{}", c.all());
    assert!(!c.stdout.contains("password:"), "{}", c.stdout);
    assert!(!out.exists(), "a refused plan wrote sheets");

    let plan = plan_file(dir.path(), |t| {
        cut(t).replace(
            "version = 1\n",
            "version = 1\nallow_single_account = true\n",
        )
    });
    let check = run(&["plan", "check", p(&plan)]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert!(
        check.all().contains("only one emergency account"),
        "{}",
        check.all()
    );
}

#[test]
fn plan_check_refuses_what_the_ceremony_would_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_file(dir.path(), |t| {
        t.replace("# totp_uri_file = ", "totp_uri_file = ")
    });
    // A file the plan names and that is missing is a plan error: 2, like every other.
    let r = run(&["plan", "check", p(&plan)]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("breakglass2-totp.txt"), "{}", r.stderr);
    assert!(!r.stdout.contains("The plan is valid"), "{}", r.stdout);
    let c = run(&[
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--plan",
        p(&plan),
        "-o",
        p(&dir.path().join("s")),
    ]);
    assert_eq!(c.code, r.code, "{}", c.all());

    // With the file there and valid, both accept it.
    std::fs::write(
        dir.path().join("breakglass2-totp.txt"),
        "otpauth://totp/Contoso:breakglass2?secret=JBSWY3DPEHPK3PXP&issuer=Contoso\n",
    )
    .unwrap();
    let r = run(&["plan", "check", p(&plan)]);
    assert_eq!(r.code, 0, "{}", r.all());
    // A file that is not TOTP URIs is caught too.
    std::fs::write(dir.path().join("breakglass2-totp.txt"), "hello\n").unwrap();
    assert_eq!(run(&["plan", "check", p(&plan)]).code, 3);
}

#[test]
fn plan_errors_name_the_key_what_it_takes_and_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to, want) in [
        (
            "passphrase = false",
            "passphrase = no",
            "`passphrase` takes true or false, e.g. `passphrase = true`",
        ),
        (
            "threshold = 2",
            "threshold = \"2\"",
            "`threshold` takes a whole number from 2 to 255, without quotes, e.g. `threshold = 2`",
        ),
    ] {
        let plan = plan_file(dir.path(), |t| t.replacen(from, to, 1));
        let r = run(&["plan", "check", p(&plan)]);
        assert_eq!(r.code, 2, "{}", r.all());
        assert!(r.stderr.contains(want), "{to}: {}", r.stderr);
        let r = run(&[
            "ceremony",
            "--plan",
            p(&plan),
            "-o",
            p(&dir.path().join("s")),
        ]);
        assert!(r.stderr.contains(want), "{to}: {}", r.stderr);
    }
    // A plan from standard input works the same way.
    let r = run_stdin(&["plan", "check", "-"], breakglass_core::plan::TEMPLATE);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn reprinting_into_a_folder_with_the_pdf_says_what_a_reprint_does() {
    let dir = tempfile::tempdir().unwrap();
    let sheets = dir.path().join("sheets");
    assert_eq!(quick_ceremony(p(&sheets), &[]).code, 0);
    let r = run(&["print", p(&sheets.join("share-1.txt")), "-o", p(&sheets)]);
    assert_eq!(r.code, 6, "{}", r.all());
    assert!(!r.stderr.contains("new vault"), "{}", r.stderr);
    assert!(r.stderr.contains("reprint"), "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    let r = run(&[
        "print",
        p(&sheets.join("share-1.txt")),
        "-o",
        p(&sheets),
        "--force",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn status_counts_calendar_days_and_says_the_date_once() {
    let dir = tempfile::tempdir().unwrap();
    let sheets = dir.path().join("sheets");
    assert_eq!(quick_ceremony(p(&sheets), &[]).code, 0);
    let from_sheet = run(&["status", p(&sheets.join("share-1.txt"))]);
    assert_eq!(from_sheet.code, 0, "{}", from_sheet.all());
    assert!(
        from_sheet.stdout.contains("(in 90 days)"),
        "{}",
        from_sheet.stdout
    );

    // A drill logged at the first second of today (UTC): due in 90 calendar days as well.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let midnight = now / 86_400 * 86_400;
    let date = breakglass_core::document::iso_date(midnight);
    let log = dir.path().join("drills.jsonl");
    std::fs::write(
        &log,
        format!(
            "{{\"version\":1,\"date\":\"{date}\",\"unix\":{midnight},\"purpose\":\"drill\",\"result\":\"PASSED\",\"vault_id\":\"AAAA-BBBB\",\"tenant\":\"c.onmicrosoft.com\",\"generation\":1,\"drill_interval_days\":90}}\n"
        ),
    )
    .unwrap();
    let from_log = run(&["status", "--log", p(&log)]);
    assert_eq!(from_log.code, 0, "{}", from_log.all());
    assert!(
        from_log.stdout.contains("(in 90 days)"),
        "{}",
        from_log.stdout
    );
    let last = from_log
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("last:"))
        .unwrap();
    assert_eq!(last.matches(&date).count(), 1, "{last}");
    assert!(last.ends_with("(drill)"), "{last}");
}

/// The day a drill falls due, `status` says so and exits 0 in every mode (text, `--json`,
/// `-q`); the day after, it is overdue (exit 7) in every mode. `--json` used to compare seconds
/// and call it overdue (exit 7) the very day the text said "in 0 days" (exit 0).
#[test]
fn status_decides_the_due_day_the_same_way_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let day: i64 = 86_400;
    // A drill logged exactly 90 days before this second, every 90 days: due today. Then one
    // logged a day earlier (due yesterday: overdue) and one a day later (due tomorrow).
    for (offset, want_code, want_text, want_days) in [
        (0, 0, "(today)", 0),
        (day, 7, "OVERDUE since", -1),
        (-day, 0, "(in 1 days)", 1),
    ] {
        let unix = (now as i64 - 90 * day - offset) as u64;
        let log = dir.path().join(format!("drills{offset}.jsonl"));
        std::fs::write(
            &log,
            format!(
                "{{\"version\":1,\"date\":\"x\",\"unix\":{unix},\"purpose\":\"drill\",\"result\":\"PASSED\",\"vault_id\":\"AAAA-BBBB\",\"tenant\":\"c.onmicrosoft.com\",\"generation\":1,\"drill_interval_days\":90}}\n"
            ),
        )
        .unwrap();
        let text = run(&["status", "--log", p(&log)]);
        assert_eq!(text.code, want_code, "offset {offset}: {}", text.all());
        assert!(text.stdout.contains(want_text), "{}", text.stdout);
        let json = run(&["status", "--json", "--log", p(&log)]);
        assert_eq!(json.code, want_code, "offset {offset}: {}", json.all());
        let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(v["overdue"], want_code == 7, "{}", json.stdout);
        assert_eq!(v["vaults"][0]["days_left"], want_days, "{}", json.stdout);
        let quiet = run(&["status", "-q", "--log", p(&log)]);
        assert_eq!(quiet.code, want_code, "offset {offset}: {}", quiet.all());
        assert_eq!(quiet.stdout, "");
    }
}

/// A log record dated at the end of time (a forged or corrupted `unix`) neither panics nor
/// wraps to a due date in 1970 ("overdue"): the date is said to be out of range.
#[test]
fn status_survives_a_log_record_at_the_end_of_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("drills.jsonl");
    std::fs::write(
        &log,
        format!(
            "{{\"version\":1,\"date\":\"?\",\"unix\":{},\"purpose\":\"drill\",\"result\":\"PASSED\",\"vault_id\":\"AAAA-BBBB\",\"tenant\":\"c.onmicrosoft.com\",\"generation\":1,\"drill_interval_days\":90}}\n",
            u64::MAX - 10
        ),
    )
    .unwrap();
    let r = run(&["status", "--log", p(&log)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("(date out of range)"), "{}", r.stdout);
    assert!(!r.stdout.contains("overdue"), "{}", r.stdout);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// Runs the binary with standard output on /dev/full (every write fails with ENOSPC).
fn run_to_full(args: &[&str]) -> common::Run {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full");
    let o = common::bin()
        .args(args)
        .stdout(std::process::Stdio::from(full))
        .output()
        .expect("run breakglass");
    common::Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A standard output that cannot be written (`> /dev/full`, a full disk) is exit 6 with a
/// message in every command that prints, never a panic (exit 101) and never a silent 0.
#[cfg(target_os = "linux")]
#[test]
fn every_command_that_prints_exits_6_when_standard_output_is_full() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let sheets = d("sheets");
    assert_eq!(quick_ceremony(&sheets, &[]).code, 0);
    let (s1, s2) = (d("sheets/share-1.txt"), d("sheets/share-2.txt"));
    let plan = d("plan.toml");
    assert_eq!(run(&["plan", "new", &plan]).code, 0);
    let commands: Vec<Vec<String>> = [
        vec!["monitoring", "--upn", "bg1@c.onmicrosoft.com"],
        vec!["inspect", &s1],
        vec!["status", &s1],
        vec!["status", "--json", &s1],
        vec!["preflight"],
        vec!["plan", "check", &plan],
        vec!["drill", &s1, &s2],
        vec!["drill", "--json", &s1, &s2],
        vec!["verify-print", "--sheets", &sheets, &s1, &s2],
        vec!["kit", "--out", &d("kit")],
        vec!["man", "--out", &d("man")],
        vec!["completions", "bash"],
        vec![
            "ceremony",
            "--allow-online",
            "--print-credentials",
            "--tenant",
            "c",
            "--threshold",
            "2",
            "--share",
            "a",
            "--share",
            "b",
            "--out",
            &d("again"),
        ],
        vec![
            "rotate",
            "--allow-online",
            "--print-credentials",
            "--out",
            &d("rotated"),
            &s1,
            &s2,
        ],
        vec!["recover", &s1, &s2],
    ]
    .iter()
    .map(|c| c.iter().map(|s| s.to_string()).collect())
    .collect();
    for c in &commands {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        let r = run_to_full(&args);
        assert!(!r.stderr.contains("panicked"), "{c:?}: {}", r.stderr);
        assert_eq!(r.code, 6, "{c:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("could not write to standard output"),
            "{c:?}: {}",
            r.stderr
        );
    }
}

/// A reader that has closed the pipe (`completions bash | head -c1` once head has its byte)
/// ends the command quietly with exit 0, the reader had what it wanted: no error, no panic,
/// and not killed by SIGPIPE (exit 141 in a shell), which left the error path unreachable.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    for args in [
        &["completions", "bash"][..],
        // With object ids and the group, so that no warning is due either.
        &[
            "monitoring",
            "--upn",
            "bg1@c.onmicrosoft.com",
            "--object-id",
            "11111111-2222-3333-4444-555555555555",
            "--group",
            "99999999-2222-3333-4444-555555555555",
        ],
    ] {
        // The reading end is closed before the command writes: its first write fails (EPIPE).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = common::bin()
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(o.status.signal(), None, "{args:?}: killed by a signal");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {:?}", o.status);
        assert_eq!(String::from_utf8_lossy(&o.stderr), "", "{args:?}");
    }
}

/// `kit` takes `-o` like every other command that writes a folder, and refuses `--out -`
/// (standard output) instead of making a folder named `-`.
#[test]
fn kit_takes_dash_o_and_refuses_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let dash = run_in(dir.path(), &["kit", "--out", "-"]);
    assert_eq!(dash.code, 2, "{}", dash.all());
    assert!(dash.stderr.contains("standard output"), "{}", dash.stderr);
    assert!(!dir.path().join("-").exists());
    let out = dir.path().join("kit");
    let r = run(&["kit", "-o", p(&out)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(out.join("recover.py").exists());
}

/// `recover` takes `-q` (the credentials only, no advice afterwards) and `-v` (what was read
/// from where), as the other reporting commands do.
#[test]
fn recover_takes_quiet_and_verbose_like_the_other_reporting_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = common::ceremony(dir.path(), &[]);
    let recover = |flag: &str| {
        run(&[
            "recover",
            flag,
            "--purpose",
            "drill",
            p(&sheets[0]),
            p(&sheets[1]),
        ])
    };
    let normal = recover("--generation=1");
    assert_eq!(normal.code, 0, "{}", normal.all());
    assert!(
        normal.stderr.contains("Delete any scans"),
        "{}",
        normal.stderr
    );
    let quiet = recover("-q");
    assert_eq!(quiet.code, 0, "{}", quiet.all());
    assert_eq!(
        quiet.stdout, normal.stdout,
        "the credentials are the result"
    );
    assert!(
        !quiet.stderr.contains("Delete any scans"),
        "{}",
        quiet.stderr
    );
    let verbose = recover("-v");
    assert_eq!(verbose.code, 0, "{}", verbose.all());
    assert!(verbose.stderr.contains("read: "), "{}", verbose.stderr);
    assert!(verbose.stderr.contains("share "), "{}", verbose.stderr);
}

/// One rule for an input that cannot be read, in `inspect` and `status` alike: the others are
/// reported, and the exit is 3 (README "Exit codes").
#[test]
fn inspect_and_status_report_the_rest_and_exit_3_for_an_unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = common::ceremony(dir.path(), &[]);
    let missing = dir.path().join("absent.txt");
    for cmd in ["inspect", "status"] {
        let r = run(&[cmd, p(&sheets[0]), p(&missing)]);
        assert_eq!(r.code, 3, "{cmd}: {}", r.all());
        assert!(
            r.stdout.contains("contoso.onmicrosoft.com"),
            "{cmd}: {}",
            r.stdout
        );
        assert!(r.stderr.contains("absent.txt"), "{cmd}: {}", r.stderr);
    }
}

/// A ceremony in `dir` and its rekey into `dir/generation-2`: the old sheets and the new folder.
fn rekeyed(dir: &std::path::Path) -> (Vec<std::path::PathBuf>, std::path::PathBuf) {
    let (sheets, _) = common::ceremony(dir, &[]);
    let new = dir.join("generation-2");
    let r = run(&[
        "rekey",
        "--allow-online",
        "-o",
        p(&new),
        p(&sheets[0]),
        p(&sheets[1]),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    (sheets, new)
}

/// The old printouts checked against a rekeyed folder are "the generations differ", with what
/// to do, not "altered or misprinted" on every sheet.
#[test]
fn verify_print_of_old_sheets_against_a_new_generation_says_the_generations_differ() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, new) = rekeyed(dir.path());
    let v = run(&[
        "verify-print",
        "--sheets",
        p(&new),
        p(&sheets[0]),
        p(&sheets[1]),
        p(&sheets[2]),
    ]);
    assert_eq!(v.code, 3, "{}", v.all());
    assert!(
        v.stderr
            .contains("the generations differ: the scans are generation 1 of this vault"),
        "{}",
        v.stderr
    );
    assert!(v.stderr.contains("holds generation 2"), "{}", v.stderr);
    assert!(!v.all().contains("misprinted"), "{}", v.all());
}

/// A large ceremony and a passphrase stretch say what they are doing on standard error, one
/// line per step, without a terminal too; no line holds the passphrase.
#[test]
fn long_steps_report_progress_one_line_each_without_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let out = dir.path().join("out");
    let labels: Vec<String> = (1..=20).map(|i| format!("L{i}")).collect();
    let mut args = vec![
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--tenant",
        "c",
        "-k",
        "2",
        "--passphrase-file",
        p(&pass),
        "-o",
        p(&out),
    ];
    for l in &labels {
        args.extend(["--share", l.as_str()]);
    }
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.all());
    for line in [
        "     Sealing the vault, stretching the passphrase with Argon2id",
        "   Rendering sheets 1-16 of 20",
        "   Rendering sheets 17-20 of 20",
        "     Placing 40 files in ",
    ] {
        assert!(r.stderr.contains(line), "{line:?} missing: {}", r.stderr);
    }
    assert!(!r.stderr.contains("horse"), "{}", r.stderr);
}

/// A generation-1 and a generation-2 sheet together: each reason once, and which generation
/// to bring.
#[test]
fn mixed_generations_say_which_is_current_and_what_to_bring() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, new) = rekeyed(dir.path());
    let mixed = run(&[
        "recover",
        "--purpose",
        "drill",
        p(&sheets[0]),
        p(&new.join("share-2.txt")),
    ]);
    assert_eq!(mixed.code, 4, "{}", mixed.all());
    let error = mixed
        .stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap();
    assert!(error.contains("generations 1 and 2"), "{error}");
    assert!(error.contains("Bring 2 sheets of generation 2"), "{error}");
    let reasons: Vec<&str> = error.split("; ").collect();
    let mut unique = reasons.clone();
    unique.dedup();
    assert_eq!(reasons, unique, "a reason given twice: {error}");
}

/// `monitoring -o FILE` writes what standard output would receive, whole, and never over a
/// file without `--force`; `-o -` is standard output, as `plan new -` is.
#[test]
fn monitoring_writes_its_file_whole_and_never_over_one_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "monitoring",
        "--upn",
        "bg1@c.onmicrosoft.com",
        "--object-id",
        "11111111-2222-3333-4444-555555555555",
        "--format",
        "sentinel-arm",
    ];
    let stdout = run(&flags);
    assert_eq!(stdout.code, 0, "{}", stdout.all());
    let out = dir.path().join("alerts.json");
    let r = run(&[&flags[..], &["-o", p(&out)]].concat());
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), stdout.stdout);
    assert!(r.stdout.contains("alerts.json"), "{}", r.stdout);

    // A second run refuses to replace it, and leaves it and the folder as they were.
    let kql = [&flags[..5], &["--out", p(&out)]].concat();
    let again = run(&kql);
    assert_eq!(again.code, 6, "{}", again.all());
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), stdout.stdout);
    let names = |d: &Path| -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(dir.path()), ["alerts.json"], "no temporary file left");
    let forced = run(&[&kql[..], &["--force"]].concat());
    assert_eq!(forced.code, 0, "{}", forced.all());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("// Checklist:"), "{text}");
    assert_eq!(names(dir.path()), ["alerts.json"]);

    // A folder is not a file; `-` is standard output, and no file named `-` is made.
    let folder = run(&[&flags[..], &["-o", p(dir.path())]].concat());
    assert_eq!(folder.code, 6, "{}", folder.all());
    let dash = run_in(dir.path(), &[&flags[..], &["-o", "-"]].concat());
    assert_eq!(dash.code, 0, "{}", dash.all());
    assert_eq!(dash.stdout, stdout.stdout);
    assert!(!dir.path().join("-").exists());
    assert_eq!(run(&[&flags[..], &["-o", ""]].concat()).code, 2);
    assert_eq!(
        run(&[&flags[..], &["--force"]].concat()).code,
        2,
        "--force without --out"
    );
}

/// `print` follows the rule of `inspect` and `status` (README "Exit codes"): the sheets it can
/// read are printed, and an input it cannot read or print makes the exit 3, not 0.
#[test]
fn print_writes_the_rest_and_exits_3_for_an_input_it_cannot_print() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = common::ceremony(dir.path(), &[]);
    let missing = dir.path().join("absent.txt");
    let out = dir.path().join("again");
    let r = run(&["print", p(&sheets[0]), p(&missing), "-o", p(&out)]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(r.stderr.contains("absent.txt"), "{}", r.stderr);
    let written: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(written.len(), 1, "the readable sheet is printed");
    // A share without its vault copy cannot be laid out: the same rule.
    let text = std::fs::read_to_string(&sheets[1]).unwrap();
    let share_only: String = text
        .lines()
        .take_while(|l| !l.starts_with("BG1-V"))
        .map(|l| format!("{l}\n"))
        .collect();
    let lone = dir.path().join("share-only.txt");
    std::fs::write(&lone, share_only).unwrap();
    let r = run(&[
        "print",
        p(&sheets[0]),
        p(&lone),
        "-o",
        p(&dir.path().join("b")),
    ]);
    assert_eq!(r.code, 3, "{}", r.all());
    assert!(
        r.stderr.contains("no vault copy beside the share"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "print",
        p(&sheets[0]),
        p(&sheets[1]),
        "-o",
        p(&dir.path().join("c")),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// A remedy that names a flag names one the command at hand has: the libraries say what is
/// wrong and the binary adds the flag, so `ceremony` still offers `--allow-short-passwords`,
/// while `rotate` and `plan check`, which have no such flag, do not; and `ceremony`, which has
/// no `--object-id`, does not offer it in its alert's warning (`monitoring` does).
#[test]
fn a_remedy_names_only_a_flag_the_command_has() {
    let dir = tempfile::tempdir().unwrap();
    let short = "a password of 20 characters is too short: break-glass passwords need at least 30";
    let out = dir.path().join("sheets");
    let r = quick_ceremony(p(&out), &["--password-length", "20"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains(&format!(
            "{short} (pass --allow-short-passwords to go down to 8)"
        )),
        "{}",
        r.stderr
    );
    // `rotate` refuses the length before reading any sheet.
    let new = dir.path().join("new");
    let r = run(&[
        "rotate",
        "--password-length",
        "20",
        "-o",
        p(&new),
        "share-1.txt",
    ]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains(short), "{}", r.stderr);
    assert!(
        !r.stderr.contains("--allow-short-passwords"),
        "{}",
        r.stderr
    );
    // A plan's length: `plan check` has no such flag (and `ceremony --plan` checks the plan
    // before its flags apply).
    let plan = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/plan-v1.toml"),
    )
    .unwrap()
    .replace("password_length = 32", "password_length = 20");
    let file = dir.path().join("plan.toml");
    std::fs::write(&file, plan).unwrap();
    for check in [
        &["plan", "check", p(&file)][..],
        &["plan", "check", "--json", p(&file)],
    ] {
        let r = run(check);
        assert_eq!(r.code, 2, "{}", r.all());
        assert!(r.all().contains(short), "{}", r.all());
        assert!(!r.all().contains("--allow-short-passwords"), "{}", r.all());
    }
    // The ceremony's alert for accounts made now, whose object ids nobody knows yet.
    let out = dir.path().join("made");
    let r = quick_ceremony(p(&out), &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("// warning: no object id is known"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("--object-id"), "{}", r.stdout);
}

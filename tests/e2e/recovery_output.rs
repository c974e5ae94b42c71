//! What a person gets from `breakglass recover` (issue 10 §3, §4, §5): the recovered credentials
//! on the paged display at a terminal (tmux at 80x24 and 200x50, TERM=xterm-256color and
//! TERM=linux, Enter through every page or Ctrl-C at each prompt, nothing left on the screen or in
//! the scrollback), plain text for a pipe, one paragraph of advice whose `rotate` command runs as
//! printed, one progress line per input and one while Argon2id runs, and the sheet's wording as
//! pdftotext reads it from a real sheet.

use crate::common;

use common::tmux::{Tmux, script, sh_quote, tmux_or_skip};
use common::*;
use std::path::PathBuf;
use std::process::Command;

/// A 2-of-3 ceremony (two accounts) in a fresh folder; the sheets and the two passwords.
fn sealed(extra: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, r) = ceremony(dir.path(), extra);
    let pw = passwords(&r.stdout);
    assert_eq!(pw.len(), 2, "{}", r.all());
    (dir, sheets, pw)
}

/// A pane line: `recover` with `args`, then its exit status; the shell survives.
fn recover_script(args: &[&str], redirect: &str) -> String {
    let args: Vec<String> = args.iter().map(|a| sh_quote(a)).collect();
    script(
        "BEFORE-RECOVERY",
        &format!(
            "{} recover {} {redirect}",
            sh_quote(env!("CARGO_BIN_EXE_breakglass")),
            args.join(" ")
        ),
    )
}

fn password_group_spelled(screen: &str, pw: &str) {
    let lines: Vec<&str> = screen.lines().collect();
    for group in pw.as_bytes().chunks(4) {
        let g = std::str::from_utf8(group).unwrap();
        assert!(
            lines
                .iter()
                .any(|l| l.trim_start().starts_with(&format!("{g}  "))),
            "group {g} is not spelled out:\n{screen}"
        );
    }
}

enum End {
    Enter,
    CtrlCAt(usize),
}

fn scenario(cols: u16, rows: u16, term: &str, end: End) {
    if !tmux_or_skip() {
        return;
    }
    let (dir, sheets, pw) = sealed(&[]);
    let script = recover_script(&["--purpose", "drill", p(&sheets[1]), p(&sheets[2])], "");
    let tmux = Tmux::start(dir.path(), cols, rows, term, &script);
    for page in 1..=2 {
        let screen = tmux.wait_for(&format!("page {page} of 2:"));
        let top = screen.lines().next().unwrap_or("");
        assert!(
            top.starts_with(&format!("RECOVERED, page {page} of 2: vault ")),
            "the top of page {page} is not on screen:\n{screen}"
        );
        assert!(screen.lines().count() <= usize::from(rows));
        assert!(screen.contains("Opened with shares 2, 3 of 3"), "{screen}");
        assert!(
            screen.contains(&format!("breakglass{page}@contoso")),
            "{screen}"
        );
        assert!(
            !screen.contains(&format!("breakglass{}@", 3 - page)),
            "one account per page:\n{screen}"
        );
        let mine = &pw[page - 1];
        assert!(screen.contains(mine.as_str()), "{screen}");
        password_group_spelled(&screen, mine);
        if matches!(end, End::CtrlCAt(p) if p == page) {
            tmux.keys("C-c");
            break;
        }
        tmux.keys("Enter");
    }
    let expected = match end {
        End::Enter => 0,
        End::CtrlCAt(_) => 130,
    };
    assert_eq!(tmux.exit_status(), expected, "{}", tmux.everything());
    let after = tmux.everything();
    for secret in &pw {
        assert!(
            !after.contains(secret.as_str()),
            "a password is left on the screen or in the scrollback:\n{after}"
        );
    }
    assert!(!after.contains("RECOVERED, page"), "{after}");
    if let End::Enter = end {
        assert!(
            after.contains("The recovered credentials were shown and the screen cleared"),
            "{after}"
        );
        assert!(after.contains("Drill done"), "{after}");
    }
}

#[test]
fn xterm_80x24_enter_through_every_page() {
    scenario(80, 24, "xterm-256color", End::Enter);
}

#[test]
fn linux_200x50_enter_through_every_page() {
    scenario(200, 50, "linux", End::Enter);
}

#[test]
fn xterm_200x50_ctrl_c_at_each_prompt() {
    scenario(200, 50, "xterm-256color", End::CtrlCAt(1));
    scenario(200, 50, "xterm-256color", End::CtrlCAt(2));
}

#[test]
fn linux_80x24_ctrl_c_at_each_prompt() {
    scenario(80, 24, "linux", End::CtrlCAt(1));
    scenario(80, 24, "linux", End::CtrlCAt(2));
}

/// A custodian at 80x24 met "page 1 needs at least 65x28" with an account, its FIDO2 key and a
/// TOTP seed on one page, and no way on but a larger window or Ctrl-C. Every page must now come
/// whole on an 80x24 screen, split into more screens where needed, with every secret shown.
#[test]
fn an_account_with_a_key_and_a_totp_seed_is_shown_whole_at_80x24() {
    if !tmux_or_skip() {
        return;
    }
    for term in ["xterm-256color", "linux"] {
        let dir = tempfile::tempdir().unwrap();
        let totp = dir.path().join("totp.txt");
        std::fs::write(
            &totp,
            "otpauth://totp/Contoso:breakglass1?secret=JBSWY3DPEHPK3PXP&issuer=Contoso\n",
        )
        .unwrap();
        let (sheets, r) = ceremony(
            dir.path(),
            &["--fido2", "YubiKey 5 NFC #1234", "--totp-file", p(&totp)],
        );
        let pw = passwords(&r.stdout);
        assert_eq!(pw.len(), 2, "{}", r.all());
        let script = recover_script(&["--purpose", "drill", p(&sheets[0]), p(&sheets[2])], "");
        let tmux = Tmux::start(dir.path(), 80, 24, term, &script);
        let first = tmux.wait_for("RECOVERED, page 1 of ");
        let total: usize = first
            .split("page 1 of ")
            .nth(1)
            .and_then(|t| t.split(':').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no page count:\n{first}"));
        assert!(total >= 3, "account 1's page is split: {total} screens");
        let mut shown = String::new();
        for page in 1..=total {
            let screen = tmux.wait_for(&format!("page {page} of {total}:"));
            assert!(!screen.contains("needs at least"), "{screen}");
            assert!(
                screen
                    .lines()
                    .next()
                    .unwrap_or("")
                    .starts_with(&format!("RECOVERED, page {page} of {total}")),
                "the top of screen {page} is not on screen:\n{screen}"
            );
            shown.push_str(&screen);
            tmux.keys("Enter");
        }
        assert_eq!(tmux.exit_status(), 0, "{}", tmux.everything());
        for needle in [
            pw[0].as_str(),
            pw[1].as_str(),
            "PIN:",
            "code now:",
            "seed URI:",
        ] {
            assert!(
                shown.contains(needle),
                "{needle} was never on screen ({term})"
            );
        }
        let after = tmux.everything();
        assert!(!after.contains(pw[0].as_str()) && !after.contains("RECOVERED, page"));
    }
}

/// A console that cannot grow (a Linux text console, a locked-down kiosk) must not be a dead
/// end: at the "needs at least" message, Enter without a change shows the screen as it is.
#[test]
fn a_terminal_too_small_even_for_one_entry_can_still_show_it_with_enter() {
    if !tmux_or_skip() {
        return;
    }
    let (dir, sheets, pw) = sealed(&[]);
    let script = recover_script(&["--purpose", "drill", p(&sheets[0]), p(&sheets[1])], "");
    let tmux = Tmux::start(dir.path(), 80, 8, "linux", &script);
    let mut shown = String::new();
    let mut page = 1;
    let mut asked = 0;
    loop {
        // Either the page or, where even it does not fit, the message: whichever comes is
        // stable until Enter.
        let mut screen = tmux.wait_for(&format!("page {page} "));
        if screen.contains(&format!("page {page} needs at least")) {
            // Enter without enlarging: the page comes as it is, never the message again.
            asked += 1;
            tmux.keys("Enter");
            screen = tmux.wait_for(&format!("page {page} of "));
        }
        shown.push_str(&screen);
        let last = screen.contains(&format!("page {page} of {page}:"));
        tmux.keys("Enter");
        if last {
            break;
        }
        page += 1;
        assert!(page < 60, "{}", tmux.everything());
    }
    assert!(asked >= 1, "80x8 is too small for the first page's heading");
    assert_eq!(tmux.exit_status(), 0, "{}", tmux.everything());
    for secret in &pw {
        assert!(
            shown.contains(secret.as_str()),
            "a password was never shown"
        );
    }
}

/// Stderr at a terminal, stdout to a file: one line per input naming the share and its
/// custodian, and one line while Argon2id runs; the file gets the plain text.
#[test]
fn progress_lines_per_input_and_while_the_key_is_derived() {
    if !tmux_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let (sheets, r) = ceremony(
        dir.path(),
        &["--passphrase-file", p(&pass), "--kdf-memory-mib", "64"],
    );
    let pw = passwords(&r.stdout);
    let out = dir.path().join("out.txt");
    let script = recover_script(
        &[
            "--purpose",
            "drill",
            "--passphrase-file",
            p(&pass),
            p(&sheets[1]),
            p(&sheets[2]),
        ],
        &format!("> {}", sh_quote(p(&out))),
    );
    let tmux = Tmux::start(dir.path(), 200, 50, "xterm-256color", &script);
    assert_eq!(tmux.exit_status(), 0, "{}", tmux.everything());
    let screen = tmux.everything();
    let one = format!(
        "[1/2] {}: share 2 of 3 (Jane Doe), a vault copy",
        p(&sheets[1])
    );
    let two = format!(
        "[2/2] {}: share 3 of 3 (CISO home safe), a vault copy",
        p(&sheets[2])
    );
    assert!(screen.contains(&one), "{screen}");
    assert!(screen.contains(&two), "{screen}");
    assert!(
        screen.contains("deriving the key from the passphrase (Argon2id, 64 MiB, "),
        "{screen}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(pw.iter().all(|p| text.contains(p.as_str())), "{text}");
    assert!(!screen.contains(&pw[0]), "{screen}");
}

/// A pipe gets plain text (what the user asked for) and no progress lines; the advice is one
/// paragraph, says rotate runs offline, and its command runs as printed.
#[test]
fn a_pipe_gets_plain_text_and_the_advised_rotate_command_runs() {
    let (dir, sheets, pw) = sealed(&[]);
    let o = bin()
        .current_dir(dir.path())
        .args([
            "recover",
            "--purpose",
            "emergency",
            p(&sheets[0]),
            p(&sheets[2]),
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{stderr}");
    assert!(pw.iter().all(|p| stdout.contains(p.as_str())), "{stdout}");
    assert!(
        !stderr.contains("[1/2]"),
        "progress is for a terminal: {stderr}"
    );
    assert!(
        !stdout.contains("After") && !stdout.contains("rotate"),
        "{stdout}"
    );
    assert!(!stderr.contains("SHEETS..."), "{stderr}");
    let advice: Vec<&str> = stderr.lines().filter(|l| l.contains("rotate")).collect();
    assert_eq!(advice.len(), 1, "one paragraph of advice: {stderr}");
    assert!(advice[0].contains("rotate runs offline"), "{stderr}");
    let cmd = advice[0]
        .split('`')
        .nth(1)
        .expect("a command in backquotes");
    let words: Vec<&str> = cmd.split_whitespace().collect();
    assert_eq!(words[0], env!("CARGO_BIN_EXE_breakglass"), "{cmd}");
    assert_eq!(
        &words[1..],
        [
            "rotate",
            p(&sheets[0]),
            p(&sheets[2]),
            "--out",
            "new-sheets"
        ]
    );
    // As printed, plus what a test needs (no terminal, a networked machine).
    let o = Command::new(words[0])
        .current_dir(dir.path())
        .args(&words[1..])
        .args(["--print-credentials", "--allow-online"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("new-sheets/share-1.txt").exists());
}

/// With one sheet given at a terminal, the tool says what is still needed and takes the other
/// sheet's share typed by hand: a scan mixed with typing, as the sheet promises.
#[test]
fn one_sheet_given_and_the_other_typed() {
    if !tmux_or_skip() {
        return;
    }
    let (dir, sheets, pw) = sealed(&[]);
    let out = dir.path().join("out.txt");
    let script = recover_script(
        &["--purpose", "drill", p(&sheets[0])],
        &format!("> {}", sh_quote(p(&out))),
    );
    let tmux = Tmux::start(dir.path(), 200, 50, "xterm-256color", &script);
    tmux.wait_for("Type the missing blocks now");
    let doc = std::fs::read_to_string(&sheets[1]).unwrap();
    let share: Vec<&str> = doc
        .lines()
        .skip_while(|l| !l.starts_with("BG1-S"))
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(share.len() > 1, "{doc}");
    for l in &share {
        tmux.keys(l);
        tmux.keys("Enter");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    tmux.keys("Enter");
    assert_eq!(tmux.exit_status(), 0, "{}", tmux.everything());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(pw.iter().all(|p| text.contains(p.as_str())), "{text}");
}

/// Whitespace runs become one space, so wrapped sentences can be searched.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_sheet_says_what_a_custodian_with_only_the_sheet_needs() {
    if !common::tools::tools_or_skip(&["pdftotext"]) {
        return;
    }
    let (dir, _, _) = sealed(&[]);
    let text = common::tools::pdftotext(&common::tools::pdf_of(&dir.path().join("sheets"), 1), &[]);
    let all = flat(&text);
    for needle in [
        "Scan or photograph page 1 of each of 2 different sheets (PNG or JPEG); page 2 needs no scan.",
        "It warns if the computer is online; recovery still works.",
        "This vault needs no passphrase",
        "delete the scans (they are copies of a secret)",
        "(about 30 minutes)",
        "the vault block of any one sheet",
        "scan page 1 of one sheet, run the command with that one scan",
        "./breakglass recover sheet-1.png sheet-2.png",
        "in the folder that holds the breakglass program",
        "replacing sheet-1.png sheet-2.png with the file names of your scans of page 1 of 2 different sheets",
        "Recovery writes no file",
        "QUICKEST WITHOUT SCANNING EVERY SHEET (ABOUT 5 MINUTES)",
        "type only the 5-line share block of the other sheet",
        "Line 01 of the share block is the same on every sheet",
        "The last line of each block is shorter: type every character, including the last one",
        "type down the first column, then the next",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let steps = all.find("HOW TO RECOVER").unwrap();
    let command = all.find("./breakglass recover sheet-1.png").unwrap();
    let format = all.find("ABOUT THE FORMAT").unwrap();
    assert!(steps < command && command < format, "{text}");

    let pass = dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let other = tempfile::tempdir().unwrap();
    let _ = ceremony(
        other.path(),
        &["--passphrase-file", p(&pass), "--kdf-memory-mib", "8"],
    );
    let all = flat(&common::tools::pdftotext(
        &common::tools::pdf_of(&other.path().join("sheets"), 1),
        &[],
    ));
    assert!(
        all.contains("This vault also needs its passphrase, which is on no sheet"),
        "{all}"
    );
}

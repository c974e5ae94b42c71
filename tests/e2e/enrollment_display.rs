//! The enrollment display as a person meets it: the real binary in a tmux pane at 80x24 and
//! 200x50, with TERM=xterm-256color (alternate screen) and TERM=linux (none), pressing Enter or
//! Ctrl-C at each prompt, killed by SIGTERM or SIGHUP, or panicking; `capture-pane` (with the
//! scrollback) shows what is left on the screen afterwards. Also: a redirected standard output
//! never receives a credential, and without any terminal the ceremony refuses before it starts.

use crate::common;

use common::tmux::{Tmux, script, sh_quote, tmux_or_skip};
use common::*;
use std::path::Path;
use std::process::Command;

/// A shell line for the pane: a marker, the ceremony (2 accounts, a FIDO2 key on the first)
/// with `env` and `redirect`, then its exit status; the shell survives Ctrl-C and SIGTERM.
fn ceremony_script(dir: &Path, env: &str, redirect: &str) -> String {
    let args = CeremonyArgs::new(&dir.join("sheets"))
        .on_terminal()
        .shares(&["Safe A", "Safe B=Bob"])
        .args(&["--fido2", "YubiKey 5 NFC #1234"])
        .to_vec();
    let args: Vec<String> = args.iter().map(|a| sh_quote(a)).collect();
    script(
        "BEFORE-DISPLAY",
        &format!(
            "env {env} {} {} {redirect}",
            sh_quote(env!("CARGO_BIN_EXE_breakglass")),
            args.join(" ")
        ),
    )
}

/// The secret values on a page: passwords and PINs.
fn secrets_on(screen: &str) -> Vec<String> {
    let mut out = Vec::new();
    for l in screen.lines() {
        let t = l.trim();
        for label in ["password:", "PIN:"] {
            if let Some(v) = t.strip_prefix(label) {
                out.push(v.split_whitespace().next().unwrap_or("").to_string());
            }
        }
    }
    out.retain(|s| s.len() >= 8);
    out
}

/// Checks one page is whole on the screen: heading at the top, one account, its password with
/// every spelled group, the prompt. Returns the secrets shown.
fn check_page(screen: &str, page: usize, rows: usize) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        lines[0].starts_with(&format!("ENROLLMENT, page {page} of 2")),
        "the top of page {page} is not on screen:\n{screen}"
    );
    assert!(lines.len() <= rows);
    assert!(screen.contains(&format!("Account breakglass{page}@contoso.onmicrosoft.com")));
    let other = 3 - page;
    assert!(
        !screen.contains(&format!("breakglass{other}@")),
        "one account per page:\n{screen}"
    );
    assert!(screen.contains("They are shown once and are not in any file"));
    let secrets = secrets_on(screen);
    let pw = &secrets[0];
    assert_eq!(pw.len(), 32, "{screen}");
    // Every group of four of the password is spelled out on screen.
    for group in pw.as_bytes().chunks(4) {
        let g = std::str::from_utf8(group).unwrap();
        assert!(
            lines
                .iter()
                .any(|l| l.trim_start().starts_with(&format!("{g}  "))),
            "group {g} is not spelled on screen:\n{screen}"
        );
    }
    if page == 1 {
        assert_eq!(secrets.len(), 2, "password and the key's PIN: {screen}");
    }
    let prompt = if page == 1 {
        "page 1 of 2: Enter for the next".to_string()
    } else {
        "page 2 of 2: Enter when every credential is enrolled".to_string()
    };
    assert!(screen.contains(&prompt), "{screen}");
    secrets
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    /// Enter on every page.
    Enter,
    /// Ctrl-C at the given page's prompt.
    CtrlC(usize),
    /// `kill -SIG` at page 1.
    Signal(&'static str, i32),
    /// A panic with page 2 on the screen (after Enter on page 1).
    Panic,
}

fn scenario(cols: u16, rows: u16, term: &str, end: End) {
    if !tmux_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = if end == End::Panic {
        "BREAKGLASS_FAULT_PANIC_ON_PAGE=2"
    } else {
        ""
    };
    let tmux = Tmux::start(
        dir.path(),
        cols,
        rows,
        term,
        &ceremony_script(dir.path(), env, ""),
    );
    let mut shown = Vec::new();
    for page in 1..=2 {
        if end == End::Panic && page == 2 {
            break; // the panic comes as soon as page 2 is drawn
        }
        let screen = tmux.wait_for(&format!("page {page} of 2: Enter"));
        shown.extend(check_page(&screen, page, rows.into()));
        match end {
            End::CtrlC(p) if p == page => {
                tmux.keys("C-c");
                break;
            }
            End::Signal(sig, _) => {
                let pid = tmux.program_pid();
                assert!(
                    Command::new("kill")
                        .args([&format!("-{sig}"), &pid])
                        .status()
                        .unwrap()
                        .success()
                );
                break;
            }
            _ => tmux.keys("Enter"),
        }
    }
    let expected = match end {
        End::Enter => 0,
        End::CtrlC(_) => 130,
        End::Signal(_, n) => 128 + n,
        End::Panic => 101,
    };
    assert_eq!(tmux.exit_status(), expected, "{}", tmux.everything());
    let after = tmux.everything();
    for s in &shown {
        assert!(
            !after.contains(s.as_str()),
            "a secret is still on the screen or in the scrollback after {end:?}:\n{after}"
        );
    }
    assert!(
        !after.contains("password:") && !after.contains("ENROLLMENT"),
        "{after}"
    );
    match end {
        End::Enter => {
            assert!(after.contains("The enrollment display was closed and cleared."));
            assert!(
                after.contains("Checklist:"),
                "the ceremony goes on after the display"
            );
        }
        End::Panic => assert!(
            after.contains("fault injected on page 2"),
            "the panic message is shown after the screen is cleared:\n{after}"
        ),
        _ => {}
    }
    if term == "xterm-256color" {
        // The alternate screen kept the secrets off the normal screen, which comes back intact.
        assert!(after.contains("BEFORE-DISPLAY"), "{after}");
    }
}

#[test]
fn xterm_80x24_enter_through_every_page() {
    scenario(80, 24, "xterm-256color", End::Enter);
}
#[test]
fn xterm_200x50_enter_through_every_page() {
    scenario(200, 50, "xterm-256color", End::Enter);
}
#[test]
fn linux_80x24_enter_through_every_page() {
    scenario(80, 24, "linux", End::Enter);
}
#[test]
fn linux_200x50_enter_through_every_page() {
    scenario(200, 50, "linux", End::Enter);
}
#[test]
fn xterm_80x24_ctrl_c_at_each_prompt() {
    scenario(80, 24, "xterm-256color", End::CtrlC(1));
    scenario(80, 24, "xterm-256color", End::CtrlC(2));
}
#[test]
fn xterm_200x50_ctrl_c_at_each_prompt() {
    scenario(200, 50, "xterm-256color", End::CtrlC(1));
    scenario(200, 50, "xterm-256color", End::CtrlC(2));
}
#[test]
fn linux_80x24_ctrl_c_at_each_prompt() {
    scenario(80, 24, "linux", End::CtrlC(1));
    scenario(80, 24, "linux", End::CtrlC(2));
}
#[test]
fn linux_200x50_ctrl_c_at_each_prompt() {
    scenario(200, 50, "linux", End::CtrlC(1));
    scenario(200, 50, "linux", End::CtrlC(2));
}
#[test]
fn sigterm_and_sighup_clear_the_screen() {
    for term in ["xterm-256color", "linux"] {
        scenario(80, 24, term, End::Signal("TERM", 15));
        scenario(80, 24, term, End::Signal("HUP", 1));
    }
}
#[test]
fn a_panic_clears_the_screen_before_its_message() {
    scenario(80, 24, "xterm-256color", End::Panic);
    scenario(80, 24, "linux", End::Panic);
}

#[test]
fn a_redirected_stdout_gets_no_credential_the_terminal_shows_them() {
    if !tmux_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ceremony.log");
    let redirect = format!("> {}", sh_quote(p(&log)));
    let tmux = Tmux::start(
        dir.path(),
        80,
        24,
        "xterm-256color",
        &ceremony_script(dir.path(), "", &redirect),
    );
    let mut shown = Vec::new();
    for page in 1..=2 {
        let screen = tmux.wait_for(&format!("page {page} of 2: Enter"));
        shown.extend(check_page(&screen, page, 24));
        tmux.keys("Enter");
    }
    assert_eq!(tmux.exit_status(), 0, "{}", tmux.everything());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("Checklist:"),
        "the rest of the output still goes to the file:\n{log}"
    );
    assert_eq!(shown.len(), 3);
    for s in &shown {
        assert!(
            !log.contains(s.as_str()),
            "a credential reached the redirect:\n{log}"
        );
    }
    assert!(
        !log.contains("password:") && !log.contains("not in any file"),
        "{log}"
    );
}

#[test]
fn a_terminal_too_small_for_a_page_is_refused_before_any_sheet_is_written() {
    if !tmux_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(
        dir.path(),
        60,
        16,
        "xterm-256color",
        &ceremony_script(dir.path(), "", ""),
    );
    assert_eq!(tmux.exit_status(), 2, "{}", tmux.everything());
    let all = tmux.everything();
    // The message wraps at 60 columns: compare without white space.
    let squeezed: String = all.split_whitespace().collect();
    for needle in [
        "too small for the enrollment display",
        "it needs at least",
        "nothing was written",
    ] {
        let needle: String = needle.split_whitespace().collect();
        assert!(squeezed.contains(&needle), "{needle}: {all}");
    }
    assert!(!all.contains("password:"));
    let sheets = dir.path().join("sheets");
    let written = std::fs::read_dir(&sheets).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "no sheet may be written for a refused display");
}

/// The binary in a new session: no controlling terminal at all.
#[allow(unsafe_code)] // pre_exec
fn without_terminal(args: &[&str]) -> Run {
    use std::os::unix::process::CommandExt;
    let mut c = bin();
    c.args(args);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        c.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = c.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn without_a_terminal_or_the_flag_the_ceremony_refuses_before_generating_anything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheets");
    let args = CeremonyArgs::small(&out).on_terminal().to_vec();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = without_terminal(&args);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr
            .contains("no terminal to show the new credentials on"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--print-credentials") && r.stderr.contains("Nothing was generated"));
    assert!(!r.stdout.contains("password:"));
    assert_eq!(std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0), 0);

    // Asked for: the credentials go to the pipe, and the output does not claim they are in no file.
    let mut with_flag = args.to_vec();
    with_flag.push("--print-credentials");
    let r = without_terminal(&with_flag);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(passwords(&r.stdout).len(), 2, "{}", r.stdout);
    assert!(!r.stdout.contains("not in any file"));
    assert!(r.stdout.contains("--print-credentials was given"));
}

#[test]
fn rotate_without_a_terminal_refuses_before_reading_the_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = ceremony(dir.path(), &[]);
    let r = without_terminal(&[
        "rotate",
        "--allow-online",
        p(&sheets[0]),
        p(&sheets[1]),
        "--out",
        p(&dir.path().join("new")),
    ]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("breakglass rotate") && r.stderr.contains("--print-credentials"));
    assert!(!dir.path().join("new").exists());
}

#[test]
fn rotate_shows_each_keys_current_pin_beside_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, c) = ceremony(dir.path(), &["--fido2", "YubiKey 5 NFC #1234"]);
    let old_pin = pins(&c.stdout);
    assert_eq!(old_pin.len(), 1, "{}", c.stdout);
    let r = run(&[
        "rotate",
        "--allow-online",
        "--print-credentials",
        p(&sheets[0]),
        p(&sheets[2]),
        "--out",
        p(&dir.path().join("new")),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let current = value_after(&r.stdout, "current PIN:");
    let new = value_after(&r.stdout, "new PIN:");
    assert_eq!(current, vec![old_pin[0].clone()], "{}", r.stdout);
    assert_eq!(new.len(), 1);
    assert_ne!(new[0], old_pin[0]);
}

/// PINs a ceremony printed.
fn pins(out: &str) -> Vec<String> {
    value_after(out, "PIN:")
}

fn value_after(out: &str, label: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix(label))
        .filter_map(|v| v.split_whitespace().next().map(str::to_string))
        .collect()
}

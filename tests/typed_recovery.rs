//! Typed recovery at a real terminal (tmux, 80×24): every slip a custodian makes while typing
//! is repaired in place, and the vault still opens without retyping what was right.

mod common;

use common::{ceremony, p, passwords, run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One tmux server of its own (its own socket), one 80×24 window running a shell command.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &Path, command: &str) -> Tmux {
        let socket = format!(
            "bg-typed-{}-{}",
            std::process::id(),
            dir.file_name().unwrap().to_string_lossy()
        );
        // A long history, so the whole session can be read back from the scrollback.
        let conf = dir.join("tmux.conf");
        std::fs::write(&conf, "set -g history-limit 50000\n").unwrap();
        let script = dir.join("run.sh");
        std::fs::write(
            &script,
            format!("cd {}\n{command}\necho $? > rc\nsleep 60\n", p(dir)),
        )
        .unwrap();
        let ok = Command::new("tmux")
            .args(["-L", &socket, "-f", p(&conf), "new-session", "-d"])
            .args(["-x", "80", "-y", "24", "-s", "t"])
            .args(["env", "TERM=xterm-256color", "sh", p(&script)])
            .status()
            .expect("tmux must be installed")
            .success();
        assert!(ok, "tmux did not start");
        Tmux { socket }
    }

    /// Everything the pane showed, scrollback included, wrapped lines joined.
    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-50000",
            ])
            .args(["-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Waits until `needle` has appeared `times` times on the pane.
    fn wait_for(&self, needle: &str, times: usize) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.matches(needle).count() >= times {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "waited for {needle:?} x{times}; the screen shows:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Types a line and presses Enter.
    fn line(&self, text: &str) {
        if !text.is_empty() {
            let ok = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", "t", "-l", text])
                .status()
                .unwrap()
                .success();
            assert!(ok);
        }
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "t", "Enter"])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Waits for the program to end; returns its exit code.
    fn exit_code(&self, dir: &Path) -> i32 {
        let rc = dir.join("rc");
        let start = Instant::now();
        while !rc.exists() || std::fs::read_to_string(&rc).unwrap().trim().is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the program did not end; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(&rc)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// The header and the lines of the block that starts with `prefix` in a share document.
fn block(sheet: &Path, prefix: &str) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(sheet).unwrap();
    let mut rows = text
        .lines()
        .skip_while(|l| !l.starts_with(prefix))
        .take_while(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let header = rows.next().unwrap().to_string();
    (header, rows.map(str::to_string).collect())
}

/// A data line as typed without its line number: `ABCD EFGH …  7`.
fn without_number(line: &str) -> String {
    line.split_once("  ").unwrap().1.to_string()
}

/// The same header with one checksum character misread as another valid symbol (8 ↔ B).
fn misread(header: &str) -> String {
    let (head, sum) = header.rsplit_once('-').unwrap();
    let mut sum: Vec<char> = sum.chars().collect();
    sum[2] = if sum[2] == '8' { 'B' } else { '8' };
    format!("{head}-{}", sum.into_iter().collect::<String>())
}

fn two_account_ceremony(dir: &Path, extra: &[&str]) -> (Vec<PathBuf>, Vec<String>) {
    let mut args = vec!["--accounts", "2"];
    args.extend_from_slice(extra);
    let (sheets, r) = ceremony(dir, &args);
    let pw = passwords(&r.stdout);
    assert_eq!(pw.len(), 2, "{}", r.stdout);
    (sheets, pw)
}

fn recover_command(args: &str) -> String {
    format!(
        "{} recover --purpose drill --json {args} > out.json",
        env!("CARGO_BIN_EXE_breakglass")
    )
}

fn assert_opened(dir: &Path, t: &Tmux, passwords: &[String]) -> String {
    assert_eq!(t.exit_code(dir), 0, "{}", t.screen());
    let out = std::fs::read_to_string(dir.join("out.json")).unwrap();
    for pw in passwords {
        assert!(out.contains(pw.as_str()), "password missing from {out}");
    }
    out
}

/// Share 1 typed with a bad header first, a line without its number, a line typed out of turn
/// and an early Enter; share 3 with its header misread (found only after every line); then the
/// vault. Every slip is repaired where it happened and the vault opens.
#[test]
fn every_typing_slip_is_repaired_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, pw) = two_account_ceremony(dir.path(), &[]);
    let (h1, l1) = block(&sheets[0], "BG1-S-");
    let (h3, l3) = block(&sheets[2], "BG1-S-");
    let (hv, lv) = block(&sheets[0], "BG1-V-");
    assert!(l1.len() >= 3);
    let t = Tmux::start(dir.path(), &recover_command(""));
    let header_prompt = "Header line (BG1-S-";
    let s = t.wait_for(header_prompt, 1);
    // The prompt says exactly what the parser forgives, and what it does not.
    assert!(s.contains("with or without its line number"), "{s}");
    assert!(
        s.contains("character of each line too: it is the line's check character"),
        "{s}"
    );

    // A header one character short is refused the moment it is typed.
    t.line(&h1[..h1.len() - 1]);
    t.wait_for("the header line is not valid", 1);
    t.wait_for(header_prompt, 2);
    t.line(&h1);
    t.wait_for("share line 01 of", 1);
    t.line(&without_number(&l1[0]));
    t.wait_for("share line 02 of", 1);
    // Line 03 typed at the line-02 prompt: kept, and line 02 asked for again.
    t.line(&l1[2]);
    let s = t.wait_for("this is line 03 (kept); line 02 is still needed", 1);
    assert!(!s.contains("a character is missing"), "{s}");
    t.wait_for("share line 02 of", 2);
    t.line(&l1[1]);
    for l in &l1[3..] {
        t.line(l);
    }
    let s = t.wait_for("have share 1; need 1 more share", 1);
    assert!(s.contains("VAULT typed fallback"), "{s}");
    assert!(!s.contains("typed block"), "{s}");

    // Enter too early: nothing is dropped; the tool says what it still needs.
    t.line("");
    t.wait_for("Not yet: have share 1; need 1 more share", 1);

    // Share 3 with a misread header: every line checks, only the header's checksum fails.
    t.line(&misread(&h3));
    for l in &l3 {
        t.line(l);
    }
    t.wait_for("Retype the header line", 1);
    t.line(&h3);
    t.wait_for("have share 1 and share 3; need the vault block", 1);

    // The vault, and then every share is named with its location and custodian.
    t.line(&hv);
    for l in &lv {
        t.line(l);
    }
    t.wait_for(
        "have share 1 (Safe A (HQ)), share 3 (CISO home safe) and the vault block: that is enough to open the vault",
        1,
    );
    t.line("");
    let out = assert_opened(dir.path(), &t, &pw);
    assert!(out.contains("typed share 1"), "{out}");
    assert!(out.contains("typed share 3"), "{out}");
}

/// A whole share-N.txt pasted at the prompt (comments, blank lines and all), then a file name
/// given at the header prompt for the second sheet.
#[test]
fn a_pasted_share_file_and_a_file_name_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, pw) = two_account_ceremony(dir.path(), &[]);
    let t = Tmux::start(dir.path(), &recover_command(""));
    t.wait_for("Header line (BG1-S-", 1);
    let pasted = std::fs::read_to_string(&sheets[1]).unwrap();
    for l in pasted.lines() {
        t.line(l);
    }
    t.wait_for(
        "have share 2 (Safe B (DR site), Jane Doe) and the vault block; need 1 more share",
        1,
    );
    t.line(p(&sheets[0]));
    t.wait_for("that is enough to open the vault", 1);
    t.line("");
    let out = assert_opened(dir.path(), &t, &pw);
    assert!(out.contains("typed share 2"), "{out}");
    assert!(out.contains("share-1.txt"), "{out}");
}

/// Files given, one unreadable and none with the vault: the failed file is named before any
/// typing is asked for, the share read is kept, and the vault can still be given.
#[test]
fn a_missing_vault_is_asked_for_and_the_failed_file_named_first() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, pw) = two_account_ceremony(dir.path(), &[]);
    // Share 1 alone, without the vault block.
    let (h1, l1) = block(&sheets[0], "BG1-S-");
    let only_share = dir.path().join("only-share.txt");
    std::fs::write(&only_share, format!("{h1}\n{}\n", l1.join("\n"))).unwrap();
    let broken = dir.path().join("torn.txt");
    std::fs::write(&broken, "this is not a sheet\n").unwrap();
    let t = Tmux::start(
        dir.path(),
        &recover_command(&format!("{} {}", p(&only_share), p(&broken))),
    );
    let s = t.wait_for("Header line (BG1-S-", 1);
    let named = s.find("could not use").expect(&s);
    assert!(s[named..].contains("torn.txt"), "{s}");
    assert!(named < s.find("Header line (BG1-S-").unwrap(), "{s}");
    assert!(s.contains("have share 1; need 1 more share"), "{s}");
    // Typing share 3 and the vault finishes the job; share 1 is not typed again.
    let (h3, l3) = block(&sheets[2], "BG1-S-");
    let (hv, lv) = block(&sheets[2], "BG1-V-");
    t.line(&h3);
    for l in &l3 {
        t.line(l);
    }
    t.wait_for("have share 1 and share 3; need the vault block", 1);
    t.line(&hv);
    for l in &lv {
        t.line(l);
    }
    t.wait_for("that is enough to open the vault", 1);
    t.line("");
    let out = assert_opened(dir.path(), &t, &pw);
    assert!(out.contains("only-share.txt"), "{out}");
}

/// Shares on a pipe and a vault with a passphrase: the passphrase is asked on the terminal.
#[test]
fn piped_shares_ask_the_passphrase_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let pp = dir.path().join("pp.txt");
    std::fs::write(&pp, "correct horse battery staple\n").unwrap();
    let (sheets, pw) = two_account_ceremony(
        dir.path(),
        &[
            "--passphrase-file",
            p(&pp),
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
        ],
    );
    let cmd = format!(
        "cat {} {} | {}",
        p(&sheets[0]),
        p(&sheets[2]),
        recover_command("")
    );
    let t = Tmux::start(dir.path(), &cmd);
    t.wait_for("Passphrase:", 1);
    t.line("correct horse battery staple");
    assert_opened(dir.path(), &t, &pw);
}

/// Two shares in one file: each is labelled with its own number, not its position.
#[test]
fn labels_say_the_share_number_not_the_input_position() {
    let dir = tempfile::tempdir().unwrap();
    let (sheets, _) = two_account_ceremony(dir.path(), &[]);
    let both = dir.path().join("both.txt");
    let text = std::fs::read_to_string(&sheets[2]).unwrap()
        + &std::fs::read_to_string(&sheets[0]).unwrap();
    std::fs::write(&both, text).unwrap();
    let r = run(&["recover", "--purpose", "drill", "--json", p(&both)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("both.txt (share 3)"), "{}", r.stdout);
    assert!(r.stdout.contains("both.txt (share 1)"), "{}", r.stdout);
    assert!(!r.stdout.contains("(share 2)"), "{}", r.stdout);
}

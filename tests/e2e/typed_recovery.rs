//! Typed recovery at a real terminal (tmux at 80×24 and 200×50, TERM=xterm-256color and
//! TERM=linux): every slip a custodian makes while typing is repaired in place and the vault
//! still opens without retyping what was right; Ctrl-C at any prompt stops at once, says so in
//! one line, leaves the terminal sane (echo on) and writes nothing.

use crate::common;

use common::tmux::{Tmux, script, sh_quote, tmux_or_skip};
use common::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The share documents of one ceremony (2 of 3, two accounts), made once for every test of
/// this binary; each test writes them into its own folder.
struct Sealed {
    documents: Vec<String>,
    passwords: Vec<String>,
}

impl Sealed {
    /// Writes share-1.txt … share-3.txt into `dir`; their paths.
    fn sheets_in(&self, dir: &Path) -> Vec<PathBuf> {
        let sheets = dir.join("sheets");
        std::fs::create_dir(&sheets).unwrap();
        (1..)
            .zip(&self.documents)
            .map(|(i, text)| {
                let path = sheets.join(format!("share-{i}.txt"));
                std::fs::write(&path, text).unwrap();
                path
            })
            .collect()
    }
}

fn seal(extra: &[&str]) -> Sealed {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--accounts", "2"];
    args.extend_from_slice(extra);
    let (sheets, r) = ceremony(dir.path(), &args);
    let passwords = passwords(&r.stdout);
    assert_eq!(passwords.len(), 2, "{}", r.stdout);
    let documents = sheets
        .iter()
        .map(|s| std::fs::read_to_string(s).unwrap())
        .collect();
    Sealed {
        documents,
        passwords,
    }
}

/// A vault without a passphrase.
fn plain() -> &'static Sealed {
    static S: OnceLock<Sealed> = OnceLock::new();
    S.get_or_init(|| seal(&[]))
}

const PASSPHRASE: &str = "correct horse battery staple";

/// A vault with the passphrase [`PASSPHRASE`] (and a small Argon2id cost).
fn with_passphrase() -> &'static Sealed {
    static S: OnceLock<Sealed> = OnceLock::new();
    S.get_or_init(|| {
        let pp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(pp.path(), format!("{PASSPHRASE}\n")).unwrap();
        seal(&[
            "--passphrase-file",
            p(pp.path()),
            "--kdf-memory-mib",
            "8",
            "--kdf-iterations",
            "1",
        ])
    })
}

/// The header and the lines of the block that starts with `prefix` in a share document.
fn block(document: &str, prefix: &str) -> (String, Vec<String>) {
    let mut rows = document
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

/// The same line with one data character left out (the second after the line number).
fn one_character_short(line: &str) -> String {
    let (number, rest) = line.split_once("  ").unwrap();
    format!("{number}  {}{}", &rest[..1], &rest[2..])
}

/// The same header with one checksum character misread as another valid symbol (8 ↔ B).
fn misread(header: &str) -> String {
    let (head, sum) = header.rsplit_once('-').unwrap();
    let mut sum: Vec<char> = sum.chars().collect();
    sum[2] = if sum[2] == '8' { 'B' } else { '8' };
    format!("{head}-{}", sum.into_iter().collect::<String>())
}

/// `breakglass recover ARGS REDIRECT` run in `dir`, in a pane of the given size and TERM.
fn recover_in(dir: &Path, cols: u16, rows: u16, term: &str, args: &[&str], redirect: &str) -> Tmux {
    let args: Vec<String> = args.iter().map(|a| sh_quote(a)).collect();
    let command = format!(
        "cd {} && {} recover {} {redirect}",
        sh_quote(p(dir)),
        sh_quote(env!("CARGO_BIN_EXE_breakglass")),
        args.join(" ")
    );
    Tmux::start(dir, cols, rows, term, &script("BEFORE-RECOVERY", &command))
}

/// The program ended with 0 and `out.json` holds every password; returns `out.json`.
fn assert_opened(dir: &Path, t: &Tmux, passwords: &[String]) -> String {
    assert_eq!(t.exit_status(), 0, "{}", t.everything());
    let out = std::fs::read_to_string(dir.join("out.json")).unwrap();
    for pw in passwords {
        assert!(out.contains(pw.as_str()), "password missing from {out}");
    }
    out
}

const HEADER_PROMPT: &str = "Header line (BG1-S-";

/// Every slip of a typed recovery, at one terminal size and TERM: share 1 typed with a header
/// one character short (refused at once), then misread (found only after every line, retyped
/// with the lines kept), a line without its number, line 03 typed at the line-02 prompt, line
/// 02 with a character missing, and an early Enter; then share 3 given as a file name (quoted,
/// as a drag and drop gives it) without the vault block, which the tool then asks for; then a
/// whole share-2.txt pasted (comments, blank lines and all). Nothing right is typed twice, and
/// the vault opens.
fn every_typing_slip_is_repaired_in_place(cols: u16, rows: u16, term: &str) {
    if !tmux_or_skip() {
        return;
    }
    let sealed = plain();
    let dir = tempfile::tempdir().unwrap();
    let (h1, l1) = block(&sealed.documents[0], "BG1-S-");
    let (h3, l3) = block(&sealed.documents[2], "BG1-S-");
    assert!(l1.len() >= 4);
    let only_share_3 = dir.path().join("only share 3.txt");
    std::fs::write(&only_share_3, format!("{h3}\n{}\n", l3.join("\n"))).unwrap();
    let t = recover_in(
        dir.path(),
        cols,
        rows,
        term,
        &["--purpose", "drill", "--json"],
        "> out.json",
    );
    let s = flat(&t.wait_for_times(HEADER_PROMPT, 1));
    // The prompt says exactly what the parser forgives, and what it does not.
    assert!(s.contains("with or without its line number"), "{s}");
    assert!(
        s.contains("character of each line too: it is the line's check character"),
        "{s}"
    );

    // A header one character short is refused the moment it is typed.
    t.line(&h1[..h1.len() - 1]);
    t.wait_for_times("the header line is not valid", 1);
    t.wait_for_times(HEADER_PROMPT, 2);
    // Misread, but well formed: accepted for now (only the whole block can tell).
    t.line(&misread(&h1));
    t.wait_for_times("share line 01 of", 1);
    t.line(&without_number(&l1[0]));
    t.wait_for_times("share line 02 of", 1);
    // Line 03 typed at the line-02 prompt: kept, and line 02 asked for again.
    t.line(&l1[2]);
    let s = t.wait_for_times("this is line 03 (kept); line 02 is still needed", 1);
    assert!(!s.contains("a character is missing"), "{s}");
    t.wait_for_times("share line 02 of", 2);
    // Line 02 with a character missing: said so, and line 02 asked for again.
    t.line(&one_character_short(&l1[1]));
    t.wait_for_times("share line 02 has 20 characters after its number", 1);
    let s = t.wait_for_times("share line 02 of", 3);
    assert!(
        s.contains("the check character, or another character, is missing"),
        "{s}"
    );
    t.line(&l1[1]);
    for l in &l1[3..] {
        t.line(l);
    }
    // Every line checks, only the header's checksum fails: the header is asked for again.
    t.wait_for_times("Retype the header line", 1);
    t.line(&h1);
    let s = t.wait_for_times("have share 1; need 1 more share", 1);
    assert!(s.contains("VAULT typed fallback"), "{s}");
    assert!(!s.contains("typed block"), "{s}");
    assert_eq!(
        s.matches("share line 04 of").count(),
        1,
        "no line was asked for twice after it was right:\n{s}"
    );

    // Enter too early: nothing is dropped; the tool says what it still needs.
    t.line("");
    t.wait_for_times("Not yet: have share 1; need 1 more share", 1);

    // Share 3 from a file, without the vault: the vault block is asked for, share 1 kept.
    t.line(&sh_quote(p(&only_share_3)));
    t.wait_for_times("have share 1 and share 3; need the vault block", 1);

    // A whole share-2.txt pasted: its comments and blank lines are passed over.
    for l in sealed.documents[1].lines() {
        t.line(l);
    }
    t.wait_for_times(
        "have share 1 (Safe A (HQ)), share 2 (Safe B (DR site), Jane Doe), share 3 (CISO home safe) and the vault block: that is enough to open the vault",
        1,
    );
    // A clear question, not the same header prompt.
    t.wait_for_times("Open the vault now? Press Enter to open it", 1);
    t.line("");
    let out = assert_opened(dir.path(), &t, &sealed.passwords);
    assert!(out.contains("typed share 1"), "{out}");
    // The first two shares by number open it; share 3 came from the file and was counted.
    assert!(out.contains("typed share 2"), "{out}");
}

#[test]
fn xterm_80x24_every_typing_slip_is_repaired_in_place() {
    every_typing_slip_is_repaired_in_place(80, 24, "xterm-256color");
}

#[test]
fn xterm_200x50_every_typing_slip_is_repaired_in_place() {
    every_typing_slip_is_repaired_in_place(200, 50, "xterm-256color");
}

#[test]
fn linux_80x24_every_typing_slip_is_repaired_in_place() {
    every_typing_slip_is_repaired_in_place(80, 24, "linux");
}

#[test]
fn linux_200x50_every_typing_slip_is_repaired_in_place() {
    every_typing_slip_is_repaired_in_place(200, 50, "linux");
}

/// The prompts of a typed recovery.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Prompt {
    /// "Why is the vault being opened?"
    Purpose,
    /// The first header prompt.
    FirstHeader,
    /// A share's data line.
    DataLine,
    /// "Retype the header line" after a misread header.
    HeaderRetype,
    /// The header prompt after a block, saying what is still needed (the vault block).
    WhatNext,
    /// The passphrase of a vault that has one (shares given as files).
    Passphrase,
}

/// The line a prompt interrupted with Ctrl-C leaves.
const INTERRUPTED: &str = "breakglass: interrupted at a prompt; nothing was written";

/// Ctrl-C at `at`: the program stops at once with status 130 and one line saying so; the
/// terminal echoes typing again; nothing is written (no drill log, no file); no credential
/// (nor the part of the passphrase typed) is on the screen or in the scrollback.
fn ctrl_c_at(at: Prompt, cols: u16, rows: u16, term: &str) {
    if !tmux_or_skip() {
        return;
    }
    let sealed = if at == Prompt::Passphrase {
        with_passphrase()
    } else {
        plain()
    };
    let dir = tempfile::tempdir().unwrap();
    // The sheets in a folder of their own: the pane's folder must stay as it was.
    let inputs = tempfile::tempdir().unwrap();
    let sheets = sealed.sheets_in(inputs.path());
    let sheets: Vec<&str> = sheets.iter().map(|s| p(s)).collect();
    let mut args = vec!["--log", "drill.jsonl"];
    match at {
        Prompt::Purpose => args.extend([sheets[0], sheets[1]]),
        Prompt::Passphrase => args.extend(["--purpose", "drill", sheets[0], sheets[2]]),
        _ => args.extend(["--purpose", "drill"]),
    }
    assert!(listing(dir.path()).is_empty());
    let t = recover_in(dir.path(), cols, rows, term, &args, "");
    let (h1, l1) = block(&sealed.documents[0], "BG1-S-");
    match at {
        Prompt::Purpose => {
            t.wait_for_times("Why is the vault being opened?", 1);
        }
        Prompt::FirstHeader => {
            t.wait_for_times(HEADER_PROMPT, 1);
        }
        Prompt::DataLine => {
            t.wait_for_times(HEADER_PROMPT, 1);
            t.line(&h1);
            t.line(&l1[0]);
            t.wait_for_times("share line 02 of", 1);
        }
        Prompt::HeaderRetype => {
            t.wait_for_times(HEADER_PROMPT, 1);
            t.line(&misread(&h1));
            for l in &l1 {
                t.line(l);
            }
            t.wait_for_times("Retype the header line", 1);
        }
        Prompt::WhatNext => {
            t.wait_for_times(HEADER_PROMPT, 1);
            t.line(&h1);
            for l in &l1 {
                t.line(l);
            }
            t.wait_for_times("have share 1; need 1 more share", 1);
            t.wait_for_times(HEADER_PROMPT, 2);
        }
        Prompt::Passphrase => {
            t.wait_for_times("Passphrase:", 1);
            // rpassword prints the prompt before it turns echo off: a person is never faster.
            std::thread::sleep(std::time::Duration::from_millis(500));
            // Half typed when the custodian gives up.
            t.type_text(&PASSPHRASE[..13]);
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.keys("C-c");
    assert_eq!(t.exit_status(), 130, "{at:?}:\n{}", t.everything());
    let all = t.everything();
    let said: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("interrupted"))
        .map(str::trim_end)
        .collect();
    assert_eq!(
        said,
        [INTERRUPTED],
        "one line after Ctrl-C at {at:?}:\n{all}"
    );
    // Typing shows again: echo is back on.
    t.type_text("typing-shows-again");
    t.wait_for("typing-shows-again");
    assert_eq!(
        listing(dir.path()),
        ["tmux.conf", "tmux.sock"],
        "Ctrl-C at {at:?} wrote a file"
    );
    assert!(!dir.path().join("drill.jsonl").exists());
    let all = t.everything();
    for secret in &sealed.passwords {
        assert!(
            !all.contains(secret.as_str()),
            "{at:?}: a password on screen:\n{all}"
        );
    }
    assert!(
        !all.contains(&PASSPHRASE[..13]),
        "{at:?}: the passphrase on screen:\n{all}"
    );
    // The share lines typed before Ctrl-C are wiped from the window with the rest.
    if at == Prompt::DataLine {
        assert!(
            !all.contains(&without_number(&l1[0])),
            "a typed share line stayed after Ctrl-C:\n{all}"
        );
    }
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn linux_80x24_ctrl_c_at_the_purpose_prompt() {
    ctrl_c_at(Prompt::Purpose, 80, 24, "linux");
}

#[test]
fn xterm_200x50_ctrl_c_at_the_first_header_prompt() {
    ctrl_c_at(Prompt::FirstHeader, 200, 50, "xterm-256color");
}

#[test]
fn xterm_80x24_ctrl_c_at_a_data_line_prompt() {
    ctrl_c_at(Prompt::DataLine, 80, 24, "xterm-256color");
}

#[test]
fn linux_200x50_ctrl_c_at_the_header_retype_prompt() {
    ctrl_c_at(Prompt::HeaderRetype, 200, 50, "linux");
}

#[test]
fn linux_80x24_ctrl_c_at_the_what_next_prompt() {
    ctrl_c_at(Prompt::WhatNext, 80, 24, "linux");
}

#[test]
fn ctrl_c_at_the_passphrase_prompt_leaves_echo_on() {
    ctrl_c_at(Prompt::Passphrase, 80, 24, "xterm-256color");
    ctrl_c_at(Prompt::Passphrase, 200, 50, "linux");
}

/// Files given, one unreadable and none with the vault: the failed file is named before any
/// typing is asked for, the share read is kept, and the vault can still be given.
#[test]
fn a_missing_vault_is_asked_for_and_the_failed_file_named_first() {
    if !tmux_or_skip() {
        return;
    }
    let sealed = plain();
    let dir = tempfile::tempdir().unwrap();
    // Share 1 alone, without the vault block.
    let (h1, l1) = block(&sealed.documents[0], "BG1-S-");
    let only_share = dir.path().join("only-share.txt");
    std::fs::write(&only_share, format!("{h1}\n{}\n", l1.join("\n"))).unwrap();
    let broken = dir.path().join("torn.txt");
    std::fs::write(&broken, "this is not a sheet\n").unwrap();
    let t = recover_in(
        dir.path(),
        80,
        24,
        "xterm-256color",
        &["--purpose", "drill", "--json", p(&only_share), p(&broken)],
        "> out.json",
    );
    let s = t.wait_for_times(HEADER_PROMPT, 1);
    let named = s.find("could not use").expect(&s);
    assert!(s[named..].contains("torn.txt"), "{s}");
    assert!(named < s.find(HEADER_PROMPT).unwrap(), "{s}");
    assert!(s.contains("have share 1; need 1 more share"), "{s}");
    // Typing share 3 and the vault finishes the job; share 1 is not typed again.
    let (h3, l3) = block(&sealed.documents[2], "BG1-S-");
    let (hv, lv) = block(&sealed.documents[2], "BG1-V-");
    t.line(&h3);
    for l in &l3 {
        t.line(l);
    }
    t.wait_for_times("have share 1 and share 3; need the vault block", 1);
    t.line(&hv);
    for l in &lv {
        t.line(l);
    }
    t.wait_for_times("that is enough to open the vault", 1);
    t.line("");
    let out = assert_opened(dir.path(), &t, &sealed.passwords);
    assert!(out.contains("only-share.txt"), "{out}");
}

/// Shares on a pipe and a vault with a passphrase: the passphrase is asked on the terminal.
#[test]
fn piped_shares_ask_the_passphrase_on_the_terminal() {
    if !tmux_or_skip() {
        return;
    }
    let sealed = with_passphrase();
    let dir = tempfile::tempdir().unwrap();
    let sheets = sealed.sheets_in(dir.path());
    let command = format!(
        "cat {} {} | {} recover --purpose drill --json > {}",
        sh_quote(p(&sheets[0])),
        sh_quote(p(&sheets[2])),
        sh_quote(env!("CARGO_BIN_EXE_breakglass")),
        sh_quote(p(&dir.path().join("out.json")))
    );
    let t = Tmux::start(
        dir.path(),
        80,
        24,
        "xterm-256color",
        &script("BEFORE-RECOVERY", &command),
    );
    t.wait_for_times("Passphrase:", 1);
    t.line(PASSPHRASE);
    assert_opened(dir.path(), &t, &sealed.passwords);
}

/// Two sheets in one file: each is an input of its own, named by its part of the file
/// (FORMAT.md §7.1), and no label gives a position as a share number.
#[test]
fn labels_say_the_share_number_not_the_input_position() {
    let dir = tempfile::tempdir().unwrap();
    let sheets = plain().sheets_in(dir.path());
    let both = dir.path().join("both.txt");
    let text = std::fs::read_to_string(&sheets[2]).unwrap()
        + &std::fs::read_to_string(&sheets[0]).unwrap();
    std::fs::write(&both, text).unwrap();
    let r = run(&["recover", "--purpose", "drill", "--json", p(&both)]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("both.txt part 1\""), "{}", r.stdout);
    assert!(r.stdout.contains("both.txt part 2\""), "{}", r.stdout);
    assert!(!r.stdout.contains("(share 2)"), "{}", r.stdout);
}

/// Whitespace runs become one space, so wrapped sentences can be searched.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file holding only the block of `prefix` from `document`.
fn only_block(dir: &Path, name: &str, document: &str, prefix: &str) -> PathBuf {
    let (h, l) = block(document, prefix);
    let path = dir.join(name);
    std::fs::write(&path, format!("{h}\n{}\n", l.join("\n"))).unwrap();
    path
}

/// The typed share lines (their data, without number) are nowhere in the window afterwards.
fn assert_wiped(t: &Tmux, lines: &[String]) {
    let all = t.everything();
    for l in lines {
        let data = without_number(l);
        assert!(
            !all.contains(&data),
            "a typed share line stayed in the window:\n{all}"
        );
    }
    assert!(all.contains("wiped from this window"), "{all}");
}

/// The vault's header misread with a line count two short (38 read as 36): every line typed is
/// kept when the right header is typed, only the two missing lines are asked for, and the
/// vault opens. Shares come from files; the typed lines are wiped from the window afterwards.
fn a_misread_line_count_keeps_every_line(cols: u16, rows: u16) {
    if !tmux_or_skip() {
        return;
    }
    let sealed = plain();
    let dir = tempfile::tempdir().unwrap();
    let s1 = only_block(dir.path(), "s1.txt", &sealed.documents[0], "BG1-S-");
    let s2 = only_block(dir.path(), "s2.txt", &sealed.documents[1], "BG1-S-");
    let (hv, lv) = block(&sealed.documents[0], "BG1-V-");
    let n = lv.len();
    assert!(n > 3);
    let short = hv.replacen(&format!("-{n}-"), &format!("-{}-", n - 2), 1);
    assert_ne!(short, hv);
    let t = recover_in(
        dir.path(),
        cols,
        rows,
        "xterm-256color",
        &["--purpose", "drill", "--json", p(&s1), p(&s2)],
        "> out.json",
    );
    t.wait_for_times(HEADER_PROMPT, 1);
    t.line(&short);
    for l in &lv[..n - 2] {
        t.line(l);
    }
    t.wait_for_times("Retype the header line", 1);
    t.line(&hv);
    let s = t.wait_for_times("Header changed", 1);
    assert!(s.contains("every line typed is kept"), "{s}");
    t.wait_for_times(&format!("vault line {:02} of {n}", n - 1), 1);
    t.line(&lv[n - 2]);
    t.line(&lv[n - 1]);
    t.wait_for_times("Open the vault now?", 1);
    let s = t.everything();
    for i in 1..=n - 2 {
        assert_eq!(
            s.matches(&format!("vault line {i:02} of")).count(),
            1,
            "line {i} was asked for again:\n{s}"
        );
    }
    t.line("");
    assert_opened(dir.path(), &t, &sealed.passwords);
}

#[test]
fn xterm_80x24_a_misread_line_count_keeps_every_line() {
    a_misread_line_count_keeps_every_line(80, 24);
}

#[test]
fn xterm_200x50_a_misread_line_count_keeps_every_line() {
    a_misread_line_count_keeps_every_line(200, 50);
}

/// Share 2 typed, then share 1 with its line 03 read from share 2's sheet: the program names
/// line 03 as the same as the other block's, asks for it alone, and the vault opens; then a
/// full line typed at the short last-line prompt is refused alone. Nothing right is asked for
/// again and the typed share lines are wiped from the window.
fn a_line_from_the_other_sheet_is_named_and_asked_for_alone(cols: u16, rows: u16) {
    if !tmux_or_skip() {
        return;
    }
    let sealed = plain();
    let dir = tempfile::tempdir().unwrap();
    let vault = only_block(dir.path(), "vault.txt", &sealed.documents[0], "BG1-V-");
    let (h1, l1) = block(&sealed.documents[0], "BG1-S-");
    let (h2, l2) = block(&sealed.documents[1], "BG1-S-");
    let (_, lv) = block(&sealed.documents[0], "BG1-V-");
    let last = l1.len();
    assert_eq!(last, 5);
    let t = recover_in(
        dir.path(),
        cols,
        rows,
        "xterm-256color",
        &["--purpose", "drill", "--json"],
        "> out.json",
    );
    t.wait_for_times(HEADER_PROMPT, 1);
    t.line(&sh_quote(p(&vault)));
    t.wait_for_times("have the vault block", 1);
    t.line(&h2);
    for l in &l2[..last - 1] {
        t.line(l);
    }
    // A full line (the vault's line 05, whose check fits number 05) at the short last line.
    t.wait_for_times(&format!("share line {last:02} of"), 1);
    t.line(&lv[last - 1]);
    let s = t.wait_for_times("is the short last line", 1);
    assert!(s.contains("The other lines are kept"), "{s}");
    t.line(&l2[last - 1]);
    t.wait_for_times("have share 2 (", 1);
    t.line(&h1);
    t.line(&l1[0]);
    t.line(&l1[1]);
    t.line(&l2[2]);
    for l in &l1[3..] {
        t.line(l);
    }
    let s = t.wait_for_times(
        "line 03 is the same as line 03 of a share block typed before",
        1,
    );
    assert!(!s.contains("Retype the header line"), "{s}");
    t.wait_for_times("share line 03 of", 2);
    t.line(&l1[2]);
    t.wait_for_times("that is enough to open the vault", 1);
    let s = t.everything();
    // Once per block; line 05 once more, after the full line refused at share 2's.
    for (i, times) in [(1, 2), (2, 2), (4, 2), (5, 3)] {
        assert_eq!(
            s.matches(&format!("share line {i:02} of")).count(),
            times,
            "line {i} was asked for again:\n{s}"
        );
    }
    t.line("");
    assert_opened(dir.path(), &t, &sealed.passwords);
    assert_wiped(&t, &l1);
    assert_wiped(&t, &l2);
}

#[test]
fn xterm_80x24_a_line_from_the_other_sheet_is_named_and_asked_for_alone() {
    a_line_from_the_other_sheet_is_named_and_asked_for_alone(80, 24);
}

#[test]
fn linux_200x50_a_line_from_the_other_sheet_is_named_and_asked_for_alone() {
    a_line_from_the_other_sheet_is_named_and_asked_for_alone(200, 50);
}

/// The words at a line prompt: Enter says what is expected, `back` and `retype 01` ask for a
/// line again, `show` lists the block, a line without its number that belongs elsewhere and a
/// missing check character are named as such, `quit` is a word (never a short line), and a
/// block given up half typed is said to be lost while what was read is kept.
fn words_at_a_line_prompt(cols: u16, rows: u16, end: &str) {
    if !tmux_or_skip() {
        return;
    }
    let sealed = plain();
    let dir = tempfile::tempdir().unwrap();
    let s3 = only_block(dir.path(), "s3.txt", &sealed.documents[2], "BG1-S-");
    let (h1, l1) = block(&sealed.documents[0], "BG1-S-");
    let (h2, l2) = block(&sealed.documents[1], "BG1-S-");
    let t = recover_in(
        dir.path(),
        cols,
        rows,
        "xterm-256color",
        &["--purpose", "drill", "--json", p(&s3)],
        "> out.json",
    );
    let s = flat(&t.wait_for_times(HEADER_PROMPT, 1));
    assert!(
        s.contains("retype NN"),
        "the words are in the introduction:\n{s}"
    );
    t.line(&h1);
    t.line(&l1[0]);
    t.wait_for_times("share line 02 of", 1);
    t.line("");
    t.wait_for_times("share line 02 is needed: type it as printed", 1);
    // A full line of a share block typed without its number at the line-02 prompt, chosen
    // so that its check character does not also fit line 02 (which would make it line 02 as
    // typed): each candidate fits 02 by chance 1 time in 32, all four about 1 in 10^6.
    let header = breakglass_core::text::Header::parse(&h1).unwrap();
    let elsewhere = [&l1[2], &l1[3], &l2[2], &l2[3]]
        .into_iter()
        .map(|l| without_number(l))
        .find(|l| !header.numbers_that_fit(l).contains(&2))
        .expect("a line whose check character does not fit line 02");
    t.line(&elsewhere);
    let s = t.wait_for_times(
        "this is not share line 02: its check character fits line",
        1,
    );
    assert!(s.contains("typed here without its number"), "{s}");
    // Line 02 without its check character.
    let no_check = l1[1].trim_end();
    t.line(no_check[..no_check.len() - 1].trim_end());
    t.wait_for_times("the check character, or another character, is missing", 1);
    t.line(&l1[1]);
    t.wait_for_times("share line 03 of", 1);
    t.line("back");
    t.wait_for_times("line 02 forgotten: type it again", 1);
    t.line(&l1[1]);
    t.line("retype 01");
    t.wait_for_times("line 01: type it again", 1);
    t.line(&l1[0]);
    t.line("show");
    let s = t.wait_for_times("(still to type)", 1);
    assert!(s.contains(&format!("{h1} (share block of 5 lines)")), "{s}");
    for l in &l1[2..] {
        t.line(l);
    }
    t.wait_for_times("have share 1 and share 3", 1);
    // Share 2 half typed, then given up.
    t.line(&h2);
    t.line(&l2[0]);
    t.line(&l2[1]);
    t.wait_for_times("share line 03 of", 2);
    if end == "C-d" {
        t.keys("C-d");
        t.wait_for_times(
            "Input ended: the share block being typed (2 of 5 lines) is not kept",
            1,
        );
    } else {
        // The first `quit` with lines typed only asks: a custodian lost a block to it.
        t.line(end);
        t.wait_for_times(
            "Stop typing? The 2 lines typed of this share block would be lost",
            1,
        );
        assert!(!t.everything().contains("Stopped: the share block"));
        t.line(end);
        t.wait_for_times(
            "Stopped: the share block being typed (2 of 5 lines) is not kept",
            1,
        );
    }
    let s = t.everything();
    assert!(!s.contains("has 4 characters"), "{s}");
    // Share 1 and 3 are kept: without the vault block it cannot open, and says so.
    assert_ne!(t.exit_status(), 0);
    assert_wiped(&t, &l1);
}

#[test]
fn xterm_80x24_words_at_a_line_prompt() {
    words_at_a_line_prompt(80, 24, "quit");
}

#[test]
fn xterm_200x50_words_at_a_line_prompt() {
    words_at_a_line_prompt(200, 50, "C-d");
}

/// How many times each share line prompt `share line NN of` was shown, for lines 01 to 05.
fn asked(s: &str) -> Vec<usize> {
    (1..=5)
        .map(|i| s.matches(&format!("share line {i:02} of")).count())
        .collect()
}

/// The common route at 3 a.m.: one sheet given as a file (scanned, or its share-N.txt), the
/// other's share block typed, with its line 03 read from the first sheet's share block (the
/// same numbered line, so its check character fits). The first block typed is compared with
/// the share read from the file: line 03 is named and asked for alone, the header is not asked
/// for, no right line is asked for again, and the vault opens.
fn a_line_from_the_sheet_read_from_a_file_is_named_in_the_first_block(cols: u16, rows: u16) {
    if !tmux_or_skip() {
        return;
    }
    let sealed = plain();
    let dir = tempfile::tempdir().unwrap();
    let sheets = sealed.sheets_in(dir.path());
    let (_, l1) = block(&sealed.documents[0], "BG1-S-");
    let (h2, l2) = block(&sealed.documents[1], "BG1-S-");
    assert_eq!(l2.len(), 5);
    assert_ne!(l1[2], l2[2]);
    let t = recover_in(
        dir.path(),
        cols,
        rows,
        "xterm-256color",
        &["--purpose", "drill", "--json", p(&sheets[0])],
        "> out.json",
    );
    t.wait_for_times(HEADER_PROMPT, 1);
    t.line(&h2);
    t.line(&l2[0]);
    t.line(&l2[1]);
    t.line(&l1[2]);
    t.line(&l2[3]);
    t.line(&l2[4]);
    let s = flat(&t.wait_for_times("share line 03 of", 2));
    assert!(
        s.contains("line 03 is the same as line 03 of share 1 (read from"),
        "{s}"
    );
    t.line(&l2[2]);
    t.wait_for_times("that is enough to open the vault", 1);
    let s = t.everything();
    assert!(!s.contains("Retype the header line"), "{s}");
    assert_eq!(
        asked(&s),
        [1, 1, 2, 1, 1],
        "a right line asked for again:\n{s}"
    );
    t.line("");
    let out = assert_opened(dir.path(), &t, &sealed.passwords);
    assert!(out.contains("typed share 2"), "{out}");
    assert_wiped(&t, &l2);
}

#[test]
fn xterm_80x24_a_line_from_the_sheet_read_from_a_file_is_named_in_the_first_block() {
    a_line_from_the_sheet_read_from_a_file_is_named_in_the_first_block(80, 24);
}

#[test]
fn xterm_200x50_a_line_from_the_sheet_read_from_a_file_is_named_in_the_first_block() {
    a_line_from_the_sheet_read_from_a_file_is_named_in_the_first_block(200, 50);
}

/// Nothing read before the first block typed, whose line 03 is read from the other sheet:
/// nothing can name it yet, so Enter keeps the block aside (its lines kept); once the other
/// sheet's block is typed, the two are compared, line 03 of the block kept aside is named and
/// asked for alone, and the vault opens. No right line is asked for again, nothing loops.
fn a_wrong_line_in_the_first_block_is_named_by_the_next(cols: u16, rows: u16) {
    if !tmux_or_skip() {
        return;
    }
    let sealed = plain();
    let dir = tempfile::tempdir().unwrap();
    let vault = only_block(dir.path(), "vault.txt", &sealed.documents[0], "BG1-V-");
    let (h1, l1) = block(&sealed.documents[0], "BG1-S-");
    let (h2, l2) = block(&sealed.documents[1], "BG1-S-");
    let t = recover_in(
        dir.path(),
        cols,
        rows,
        "xterm-256color",
        &["--purpose", "drill", "--json", p(&vault)],
        "> out.json",
    );
    t.wait_for_times(HEADER_PROMPT, 1);
    t.line(&h1);
    t.line(&l1[0]);
    t.line(&l1[1]);
    t.line(&l2[2]);
    t.line(&l1[3]);
    t.line(&l1[4]);
    let s = flat(&t.wait_for_times("Enter: set this block aside, its lines kept", 1));
    assert!(s.contains("the two are compared"), "{s}");
    t.line("");
    t.wait_for_times("This share block is kept aside with its 5 lines", 1);
    t.wait_for_times(HEADER_PROMPT, 2);
    t.line(&h2);
    for l in &l2 {
        t.line(l);
    }
    let s = flat(&t.wait_for_times("share line 03 of", 3));
    assert!(s.contains("Back to the share block kept aside"), "{s}");
    assert!(
        s.contains("line 03 is the same as line 03 of a share block typed before"),
        "{s}"
    );
    t.line(&l1[2]);
    t.wait_for_times("that is enough to open the vault", 1);
    let s = t.everything();
    // Once per block; line 03 once more, for the block kept aside.
    assert_eq!(
        asked(&s),
        [2, 2, 3, 2, 2],
        "a right line asked for again:\n{s}"
    );
    assert_eq!(s.matches("Retype the header line").count(), 1, "{s}");
    t.line("");
    let out = assert_opened(dir.path(), &t, &sealed.passwords);
    assert!(out.contains("typed share 1"), "{out}");
    assert_wiped(&t, &l1);
    assert_wiped(&t, &l2);
}

#[test]
fn xterm_80x24_a_wrong_line_in_the_first_block_is_named_by_the_next() {
    a_wrong_line_in_the_first_block_is_named_by_the_next(80, 24);
}

#[test]
fn xterm_200x50_a_wrong_line_in_the_first_block_is_named_by_the_next() {
    a_wrong_line_in_the_first_block_is_named_by_the_next(200, 50);
}

//! Helpers shared by the end-to-end tests: run the real binary, craft altered sheets.
#![allow(dead_code)]

pub mod tmux;
pub mod tools;

use breakglass_core::document::{ShareDocument, decode_text};
use breakglass_core::share::Share;
use breakglass_core::text::{Kind, TextForm};
use breakglass_core::vault::Vault;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_breakglass"));
    c.stdin(Stdio::null());
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub fn run(args: &[&str]) -> Run {
    to_run(bin().args(args).output().expect("run breakglass"))
}

pub fn run_stdin(args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    to_run(child.wait_with_output().unwrap())
}

fn to_run(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A 2-of-3 ceremony into `dir/sheets`; returns the sheet paths and the ceremony output.
pub fn ceremony(dir: &Path, extra: &[&str]) -> (Vec<PathBuf>, Run) {
    let out = dir.join("sheets");
    let mut args = vec![
        "ceremony",
        "--allow-online",
        "--print-credentials",
        "--tenant",
        "contoso",
        "--threshold",
        "2",
        "--share",
        "Safe A (HQ)",
        "--share",
        "Safe B (DR site)=Jane Doe",
        "--share",
        "CISO home safe",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "ceremony failed: {}", r.all());
    let paths = (1..=3)
        .map(|i| out.join(format!("share-{i}.txt")))
        .collect();
    (paths, r)
}

/// The smallest ceremony (tenant c, 2 of 2 shares a and b) into `out`, with `extra` arguments.
pub fn quick_ceremony(out: &str, extra: &[&str]) -> Run {
    let mut args = vec![
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
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Passwords printed by a ceremony, in order.
pub fn passwords(ceremony_out: &str) -> Vec<String> {
    ceremony_out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("password:"))
        .map(|v| v.trim().to_string())
        .collect()
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Reads a sheet's share and vault through the library.
pub fn read_sheet(path: &Path) -> (Share, Vault) {
    let d = decode_text(&std::fs::read_to_string(path).unwrap()).unwrap();
    (d.shares[0].clone(), d.vaults[0].clone())
}

/// Writes a share document from raw share bytes and vault bytes, with valid text checksums.
pub fn write_raw(path: &Path, share: &[u8], vault: &[u8]) {
    let s = TextForm::encode(Kind::Share, share).unwrap();
    let v = TextForm::encode(Kind::Vault, vault).unwrap();
    let mut text = String::new();
    for l in s.display_lines().iter().chain(v.display_lines().iter()) {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

pub fn write_sheet(path: &Path, share: &Share, vault: &Vault) {
    std::fs::write(
        path,
        ShareDocument::new(share, vault)
            .unwrap()
            .to_file()
            .as_bytes(),
    )
    .unwrap();
}

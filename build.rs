//! Names the source commit for `breakglass --version`, without making the build depend on
//! anything but the commit: two checkouts (or `git archive` exports) of one commit give the
//! same string, so reproducible builds stay byte-identical. No dirty flag, no date, no path.
//!
//! Order: `src/commit.txt` as `git archive` fills it in (export-subst), else `git rev-parse
//! HEAD` when this folder is the top of its own git checkout, else "unknown".

use std::path::{Path, PathBuf};
use std::process::Command;

fn is_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    Some(s.trim().to_string())
}

/// The commit of a git checkout whose top is `dir` (not of some repository around it).
fn from_git(dir: &Path) -> Option<String> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    // Rebuild when HEAD moves: the files that say where it points, where they exist.
    for what in ["HEAD", "packed-refs"] {
        watch(dir, git(dir, &["rev-parse", "--git-path", what]));
    }
    if let Some(r) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch(dir, git(dir, &["rev-parse", "--git-path", &r]));
    }
    git(dir, &["rev-parse", "HEAD"]).filter(|c| is_commit(c))
}

fn watch(dir: &Path, path: Option<String>) {
    if let Some(p) = path.map(|p| dir.join(p)).filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src/commit.txt");
    let archived = std::fs::read_to_string(dir.join("src/commit.txt")).unwrap_or_default();
    let commit = Some(archived.trim().to_string())
        .filter(|c| is_commit(c))
        .or_else(|| from_git(&dir))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=BREAKGLASS_COMMIT={commit}");
}

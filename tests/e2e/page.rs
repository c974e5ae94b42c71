//! `recover.html` in a real browser: tests/page/run.mjs drives headless Chromium (puppeteer-core,
//! locked in crates/paper/kit/page) on the page that `breakglass kit` writes, and holds it to
//! this binary on every frozen vector, fresh ceremonies (share files, typed blocks, a
//! passphrase asked for, hostile labels shown as inert text, scans rendered by pdftoppm, the
//! camera fed a video of sheets), sheets whose contents hold terminal controls and bidi
//! overrides (shown as the binary's display filter shows them), with
//! any network request, console error or dialog a failure. Also: the committed page is what its
//! source builds. Needs node, chromium and `npm ci` in crates/paper/kit/page (scripts/build-page.sh
//! runs it); without them the tests say they skipped, and under CI they fail.

use crate::common;

use common::{p, run};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub(crate) fn page_dir() -> PathBuf {
    Path::new(ROOT).join("crates/paper/kit/page")
}

fn chromium() -> Option<PathBuf> {
    if let Some(c) = std::env::var_os("BREAKGLASS_CHROMIUM") {
        return Some(PathBuf::from(c));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// What is missing to run the page tests, if anything.
pub(crate) fn missing(need_browser: bool) -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed (apt-get install nodejs npm)".into());
    }
    if !page_dir().join("node_modules/esbuild").exists() {
        return Some(
            "crates/paper/kit/page/node_modules is missing (run scripts/build-page.sh)".into(),
        );
    }
    if need_browser && chromium().is_none() {
        return Some("chromium is not installed (apt-get install chromium)".into());
    }
    None
}

/// True when the tests can run; under CI a missing tool is a failure.
fn ready(need_browser: bool) -> bool {
    let Some(why) = missing(need_browser) else {
        return true;
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("recover.html cannot be tested: {why}");
    }
    eprintln!("SKIPPED recover.html tests: {why}");
    false
}

#[test]
fn the_committed_page_is_what_its_source_builds() {
    if !ready(false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("recover.html");
    let r = Command::new("node")
        .arg(page_dir().join("build.mjs"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let committed = std::fs::read(Path::new(ROOT).join("crates/paper/kit/recover.html")).unwrap();
    assert!(
        std::fs::read(&out).unwrap() == committed,
        "crates/paper/kit/recover.html is not what its source builds: run scripts/build-page.sh and commit it"
    );
}

#[test]
fn recover_html_from_the_kit_agrees_with_breakglass_in_chromium() {
    if !ready(true) {
        return;
    }
    agrees_with_breakglass("Chromium", &[("PAGE_BROWSER", "chromium".as_ref())]);
}

/// Runs tests/page/run.mjs on the kit's page in the browser `env` names (PAGE_BROWSER, and
/// PAGE_BROWSER_PATH when not the default; see tests/page/launch.mjs), and asserts it passed
/// every check and compared every vector.
pub(crate) fn agrees_with_breakglass(browser: &str, env: &[(&str, &std::ffi::OsStr)]) {
    let dir = tempfile::tempdir().unwrap();
    let kit = dir.path().join("kit");
    assert_eq!(run(&["kit", "--out", p(&kit)]).code, 0);
    let hostile = dir.path().join("hostile");
    std::fs::create_dir(&hostile).unwrap();
    crate::terminal_injection::foreign_vault(&hostile);
    let out = Command::new("node")
        .arg(Path::new(ROOT).join("tests/page/run.mjs"))
        .arg("--hostile")
        .arg(&hostile)
        .arg("--page")
        .arg(kit.join("recover.html"))
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_breakglass"))
        .arg("--vectors")
        .arg(Path::new(ROOT).join("tests/vectors"))
        .arg("--modules")
        .arg(page_dir())
        .arg("--chromium")
        .arg(chromium().unwrap_or_default())
        .env_remove("PAGE_BROWSER_PATH")
        .envs(env.iter().copied())
        .output()
        .expect("run node tests/page/run.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "recover.html failed in {browser}:\n{stdout}"
    );
    let vectors = std::fs::read_dir(Path::new(ROOT).join("tests/vectors"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "txt")
        })
        .count();
    assert!(
        stdout.contains(&format!("vectors: {vectors} compared")),
        "{stdout}"
    );
}

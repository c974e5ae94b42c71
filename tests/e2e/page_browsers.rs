//! `recover.html` opened from disk in the other engines a user may have: Firefox (Gecko, driven
//! by puppeteer-core over WebDriver BiDi) and WebKitGTK (WebKit, the engine Safari is built on,
//! driven by its WebKitWebDriver under a private Xvfb). Each runs tests/page/run.mjs as the
//! Chromium test does (tests/e2e/page.rs): every frozen vector against this binary, fresh
//! ceremonies from share files, typed blocks, a passphrase asked for, hostile labels inert,
//! 150- and 300-dpi scans, hostile contents, and any request leaving the page, console error or
//! dialog a failure (tests/page/guards.mjs first shows those guards fire in that browser);
//! only the camera is Chromium's alone (no other browser takes a video file
//! as a fake camera). WebKitGTK is not Safari: what passes here says nothing of Safari's own
//! file:// handling or its macOS media stack. A browser that is not installed is skipped, and
//! under CI is a failure (.ci/run installs firefox-esr, webkit2gtk-driver and xvfb).

use crate::page::{agrees_with_breakglass, missing, page_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn firefox() -> Option<PathBuf> {
    if let Some(f) = std::env::var_os("BREAKGLASS_FIREFOX") {
        return Some(PathBuf::from(f));
    }
    ["/usr/bin/firefox-esr", "/usr/bin/firefox"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// WebKitGTK's driver, when it and what it drives (MiniBrowser, and Xvfb without a display)
/// are installed.
fn webkit() -> Option<PathBuf> {
    let driver = Command::new("WebKitWebDriver").arg("--help").output();
    let minibrowser = [
        "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
        "/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    ]
    .iter()
    .any(|p| Path::new(p).exists());
    let display =
        std::env::var_os("DISPLAY").is_some() || Command::new("Xvfb").arg("-help").output().is_ok();
    (driver.is_ok_and(|o| o.status.success()) && minibrowser && display)
        .then(|| PathBuf::from("WebKitWebDriver"))
}

/// The browser's path, or None when the test is to be skipped; under CI a missing tool fails.
fn ready(browser: &str, found: Option<PathBuf>, install: &str) -> Option<PathBuf> {
    let why = missing(false).or_else(|| {
        found
            .is_none()
            .then(|| format!("{browser} is not installed (apt-get install {install})"))
    });
    let Some(why) = why else { return found };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("recover.html cannot be tested in {browser}: {why}");
    }
    eprintln!("SKIPPED recover.html in {browser}: {why}");
    None
}

/// tests/page/guards.mjs: in this browser, a request off the page, a console error and an
/// uncaught error are each reported, so run.mjs's guards cannot pass by seeing nothing.
fn guards_fire(browser: &str, env: &[(&str, &std::ffi::OsStr)]) {
    let out = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/page/guards.mjs"))
        .arg("--modules")
        .arg(page_dir())
        .env_remove("PAGE_BROWSER_PATH")
        .envs(env.iter().copied())
        .output()
        .expect("run node tests/page/guards.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the page tests' guards do not fire in {browser}:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn recover_html_from_the_kit_agrees_with_breakglass_in_firefox() {
    let Some(path) = ready("Firefox", firefox(), "firefox-esr") else {
        return;
    };
    let env = [
        ("PAGE_BROWSER", "firefox".as_ref()),
        ("PAGE_BROWSER_PATH", path.as_os_str()),
    ];
    guards_fire("Firefox", &env);
    agrees_with_breakglass("Firefox", &env);
}

#[test]
fn recover_html_from_the_kit_agrees_with_breakglass_in_webkitgtk() {
    let Some(path) = ready("WebKitGTK", webkit(), "webkit2gtk-driver xvfb") else {
        return;
    };
    let env = [
        ("PAGE_BROWSER", "webkit".as_ref()),
        ("PAGE_BROWSER_PATH", path.as_os_str()),
    ];
    guards_fire("WebKitGTK", &env);
    agrees_with_breakglass("WebKitGTK", &env);
}

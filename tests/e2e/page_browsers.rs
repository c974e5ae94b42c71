//! `recover.html` opened from disk in the other engines a user may have: Firefox (Gecko, driven
//! by puppeteer-core over WebDriver BiDi) and WebKitGTK (WebKit, the engine Safari is built on,
//! driven by its WebKitWebDriver under a private Xvfb). Each runs tests/page/run.mjs as the
//! Chromium test does (tests/e2e/page.rs): every frozen vector against this binary, fresh
//! ceremonies from share files, typed blocks, a passphrase asked for, hostile labels inert,
//! 150- and 300-dpi scans, hostile contents, and any request leaving the page, console error or
//! dialog a failure; only the camera is Chromium's alone (no other browser takes a video file
//! as a fake camera). WebKitGTK is not Safari: what passes here says nothing of Safari's own
//! file:// handling or its macOS media stack. A browser that is not installed is skipped, and
//! under CI is a failure (.ci/run installs firefox-esr, webkit2gtk-driver and xvfb).

use crate::page::{agrees_with_breakglass, missing};
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

#[test]
fn recover_html_from_the_kit_agrees_with_breakglass_in_firefox() {
    let Some(path) = ready("Firefox", firefox(), "firefox-esr") else {
        return;
    };
    agrees_with_breakglass(
        "Firefox",
        &[
            ("PAGE_BROWSER", "firefox".as_ref()),
            ("PAGE_BROWSER_PATH", path.as_os_str()),
        ],
    );
}

#[test]
fn recover_html_from_the_kit_agrees_with_breakglass_in_webkitgtk() {
    let Some(path) = ready("WebKitGTK", webkit(), "webkit2gtk-driver xvfb") else {
        return;
    };
    agrees_with_breakglass(
        "WebKitGTK",
        &[
            ("PAGE_BROWSER", "webkit".as_ref()),
            ("PAGE_BROWSER_PATH", path.as_os_str()),
        ],
    );
}

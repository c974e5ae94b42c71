//! `recover.html`: the offline page that opens a vault in any current browser, without
//! breakglass or Python. Its source is `kit/page/` (plain ES modules, locked npm dependencies);
//! `scripts/build-page.sh` bundles it reproducibly into the one self-contained file embedded
//! here, and CI checks that a rebuild gives the same bytes. `breakglass kit` writes it beside
//! `recover.py` and prints its SHA-256.

/// The page, exactly as it is written into the kit.
pub const RECOVER_HTML: &str = include_str!("../kit/recover.html");

/// Its file name inside the kit folder.
pub const RECOVER_HTML_NAME: &str = "recover.html";

/// SHA-256 of [`RECOVER_HTML`], lower-case hex (what `sha256sum recover.html` prints).
pub fn recover_html_sha256() -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(RECOVER_HTML.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_one_self_contained_file_that_forbids_every_request() {
        assert!(RECOVER_HTML.starts_with("<!doctype html>"));
        let csp = RECOVER_HTML
            .split("http-equiv=\"Content-Security-Policy\" content=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a CSP meta tag");
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        for allowed in csp.split(';').map(str::trim) {
            let directive = allowed.split_whitespace().next().unwrap_or("");
            assert!(
                [
                    "default-src",
                    "script-src",
                    "style-src",
                    "base-uri",
                    "form-action"
                ]
                .contains(&directive),
                "{allowed}"
            );
            assert!(
                !allowed.contains("http") && !allowed.contains('*'),
                "{allowed}"
            );
        }
        // One inline script and one inline style, nothing loaded from anywhere.
        assert_eq!(RECOVER_HTML.matches("<script").count(), 1);
        assert!(!RECOVER_HTML.contains("<script src") && !RECOVER_HTML.contains("<link"));
        assert_eq!(recover_html_sha256().len(), 64);
    }

    #[test]
    fn the_page_never_writes_html_stores_or_installs_anything() {
        // Sheet strings reach the page as text only (textContent); nothing is kept after it
        // closes. Checked on the bundle itself, libraries included.
        for api in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "localStorage",
            "sessionStorage",
            "indexedDB",
            "document.cookie",
            "serviceWorker",
            "caches.open",
        ] {
            assert!(!RECOVER_HTML.contains(api), "recover.html uses {api}");
        }
    }
}

//! `recover.html` in a real browser: tests/page/run.mjs drives headless Chromium (puppeteer-core,
//! locked in crates/paper/kit/page) on the page that `breakglass kit` writes, and holds it to
//! this binary on every frozen vector, fresh ceremonies (share files, typed blocks, a
//! passphrase asked for, hostile labels shown as inert text, scans rendered by pdftoppm, the
//! camera fed a video of sheets), sheets whose contents hold terminal controls and bidi
//! overrides (shown as the binary's display filter shows them), with
//! any network request, console error or dialog a failure. tests/page/cases.mjs holds it to the
//! binary case by case in one browser session: the forged-input property's cases
//! (tests/e2e/forged_property.rs) and fresh sets of every kind, from text and from scans, with
//! the generation choice and the consent to an Argon2id cost above the default. Also: the
//! committed page is what its source builds. Needs node, chromium and `npm ci` in crates/paper/kit/page (scripts/build-page.sh
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

/// Runs tests/page/cases.mjs on the cases in `cases` (folders holding their inputs and a
/// case.json) with the page `breakglass kit` writes, and returns what it printed; the test fails
/// when the script does.
fn run_cases(cases: &Path) -> String {
    let kit = cases.join("kit");
    assert_eq!(run(&["kit", "--out", p(&kit)]).code, 0);
    let out = Command::new("node")
        .arg(Path::new(ROOT).join("tests/page/cases.mjs"))
        .arg("--cases")
        .arg(cases)
        .arg("--page")
        .arg(kit.join("recover.html"))
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_breakglass"))
        .arg("--modules")
        .arg(page_dir())
        .arg("--chromium")
        .arg(chromium().unwrap())
        .output()
        .expect("run node tests/page/cases.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "recover.html and breakglass disagree:\n{stdout}"
    );
    stdout
}

/// Cases of the forged-input property a run: one browser session reads them all.
const FORGED_CASES: usize = 24;

/// FORMAT.md §7's forged-input property with the page as a third reader: the cases
/// tests/e2e/forged_property.rs gives the binary and recover.py (forged vault fields, an extra
/// share with a copy at the costliest Argon2id, a foreign sheet, a complete forged set at the
/// same or the next generation, a forged page in a file of several sheets), each opened by the
/// page and by `breakglass recover --json`: the same outcome, generation, shares used, other
/// generations opened, inputs left out with the same reasons, and credentials; the page never
/// asks about a cost or a passphrase.
#[test]
fn recover_html_agrees_with_breakglass_on_forged_inputs() {
    if !ready(true) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    crate::forged_property::write_cases(dir.path(), FORGED_CASES);
    let stdout = run_cases(dir.path());
    assert!(
        stdout.contains(&format!("cases: {FORGED_CASES} compared")),
        "{stdout}"
    );
}

/// Copies `files` (source, name in the case) into `root/name` with case.json: `extra` keys
/// (`passphrase`, `consent`, `choose`, `expect`: see tests/page/cases.mjs) beside the inputs.
fn case(
    root: &Path,
    name: &str,
    what: &str,
    files: &[(PathBuf, String)],
    extra: serde_json::Value,
) {
    let dir = root.join(name);
    std::fs::create_dir(&dir).unwrap();
    for (src, n) in files {
        std::fs::copy(src, dir.join(n)).unwrap();
    }
    let mut json = serde_json::json!({
        "what": what,
        "inputs": files.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(),
    });
    for (k, v) in extra.as_object().unwrap() {
        json[k] = v.clone();
    }
    std::fs::write(dir.join("case.json"), json.to_string()).unwrap();
}

/// The files of a case as their own names.
fn named(files: &[&Path]) -> Vec<(PathBuf, String)> {
    files
        .iter()
        .map(|f| {
            (
                f.to_path_buf(),
                f.file_name().unwrap().to_str().unwrap().into(),
            )
        })
        .collect()
}

/// Page `page` of `pdf` at 150 dpi, as a plain office scan, to `out/<name>.png`.
fn scan(pdf: &Path, page: u32, out: &Path, name: &str) -> (PathBuf, String) {
    let png = common::tools::render_page(pdf, page, 150, &out.join(name), false);
    (png, format!("{name}.png"))
}

/// The pages of a sheet's PDF that hold codes, as the sheet states them ("scan pages 1 to N").
fn code_pages(pdf: &Path) -> u32 {
    let o = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).replace('\n', " ");
    text.find("scan pages 1 to ").map_or(1, |i| {
        text[i + "scan pages 1 to ".len()..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    })
}

/// Every code page of `pdf` and page 1 of `other`: two sheets from scans, however many pages
/// the vault's codes take.
fn scans(pdf: &Path, other: &Path, out: &Path, name: &str) -> Vec<(PathBuf, String)> {
    let mut v: Vec<_> = (1..=code_pages(pdf))
        .map(|pg| scan(pdf, pg, out, &format!("{name}-a{pg}")))
        .collect();
    v.push(scan(other, 1, out, &format!("{name}-b1")));
    v
}

/// A sheet made through the library (share-N.txt and its PDF) in `dir`.
fn library_sheet(
    dir: &Path,
    share: &breakglass_core::share::Share,
    vault: &breakglass_core::vault::Vault,
) -> (PathBuf, PathBuf) {
    use breakglass_core::document::ShareDocument;
    use breakglass_paper::sheet::{Paper, ShareSheet, render_share_sheet};
    let i = share.index();
    let txt = dir.join(format!("share-{i}.txt"));
    common::write_sheet(&txt, share, vault);
    let doc = ShareDocument::new(share, vault).unwrap();
    let pdf = dir.join(format!("share-{i}.pdf"));
    std::fs::write(
        &pdf,
        render_share_sheet(&ShareSheet::from_document(&doc), Paper::A4).unwrap(),
    )
    .unwrap();
    (txt, pdf)
}

/// Fresh sets of every kind the binary's own tests make, given to the page and to
/// `breakglass recover --json` as text files and as scans of their pages (pdftoppm): a rekeyed
/// set, the old and the rekeyed sheets together (two generations open: the page warns and opens
/// the other one on request, as `--generation 1`), an expanded set beside a sheet from before
/// the expansion, the largest vault the format allows (a 12,288-byte envelope), a 255-share set
/// opened with 2 of its sheets, and copies asking for an Argon2id cost above the default (run
/// only when the person agrees in the page, and never before a cheaper copy was tried).
#[test]
fn recover_html_opens_fresh_sets_of_every_kind_as_breakglass_does() {
    use breakglass_core::Entry;
    use breakglass_core::kdf::KdfParams;
    use breakglass_core::seal::{SealParams, seal, seal_with_secret};
    use breakglass_core::secret::{Passphrase, SecretString, VaultSecret};
    use breakglass_core::testkit;
    use rand::SeedableRng;
    if !ready(true) || !common::tools::tools_or_skip(&["pdftoppm", "pdftotext"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cases");
    std::fs::create_dir(&root).unwrap();
    let work = dir.path();
    let none = serde_json::json!({});

    // A ceremony, its rekey (generation 2) and its expansion (share 4).
    let (old, _) = common::ceremony(work, &[]);
    let rekeyed = work.join("rekeyed");
    let r = run(&[
        "rekey",
        "--allow-online",
        "-o",
        p(&rekeyed),
        p(&old[0]),
        p(&old[1]),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let new = |i: usize| rekeyed.join(format!("share-{i}.txt"));
    case(
        &root,
        "rekeyed-text",
        "a rekeyed set, text",
        &named(&[&new(1), &new(3)]),
        none.clone(),
    );
    let pdf = |d: &Path, i| common::tools::pdf_of(d, i);
    case(
        &root,
        "rekeyed-scans",
        "a rekeyed set, scans",
        &scans(&pdf(&rekeyed, 2), &pdf(&rekeyed, 3), work, "rekeyed"),
        none.clone(),
    );
    let both = vec![
        (old[0].clone(), "old-1.txt".into()),
        (old[1].clone(), "old-2.txt".into()),
        (new(1), "new-1.txt".into()),
        (new(3), "new-3.txt".into()),
    ];
    case(
        &root,
        "two-generations",
        "the old and the rekeyed sheets: both generations open; then generation 1 on request",
        &both,
        serde_json::json!({ "choose": 1 }),
    );
    let expanded = work.join("expanded");
    let r = run(&[
        "expand",
        "--allow-online",
        "--share",
        "Safe D=Dana",
        "-o",
        p(&expanded),
        p(&old[0]),
        p(&old[2]),
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let four = expanded.join("share-4.txt");
    case(
        &root,
        "expanded-text",
        "an expanded set's new sheet and a sheet from before",
        &named(&[&four, &old[1]]),
        none.clone(),
    );
    let sheets = work.join("sheets");
    case(
        &root,
        "expanded-scans",
        "an expanded set, scans",
        &scans(&pdf(&expanded, 4), &pdf(&sheets, 2), work, "expanded"),
        none.clone(),
    );

    // The largest vault the format allows: notes grown until the envelope is 12,288 bytes (a
    // note holds at most 8,000 bytes, so two, as tests/limits.rs makes it).
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(7);
    let mut len = 100;
    let largest = loop {
        let mut contents = testkit::contents();
        let line = "RECOVERY CODE 1234-5678-9ABC\n";
        let body = |len: usize| line.repeat(len / line.len() + 1)[..len].to_string();
        for (label, len) in [("codes a", 8000), ("codes b", len)] {
            contents.entries.push(Entry::Note {
                label: label.into(),
                text: SecretString::new(body(len)),
            });
        }
        let s = seal(&testkit::params(2, 3), &contents, &mut rng).unwrap();
        let size = s.vault.to_bytes().len();
        if size == 12_288 {
            break s;
        }
        len = len + 12_288 - size;
    };
    let big = work.join("largest");
    std::fs::create_dir(&big).unwrap();
    let b: Vec<_> = largest
        .shares
        .iter()
        .map(|s| library_sheet(&big, s, &largest.vault))
        .collect();
    case(
        &root,
        "largest-text",
        "the largest vault (12,288 bytes), text",
        &named(&[&b[0].0, &b[2].0]),
        none.clone(),
    );
    case(
        &root,
        "largest-scans",
        "the largest vault (12,288 bytes), scans",
        &scans(&b[1].1, &b[2].1, work, "largest"),
        none.clone(),
    );

    // 255 shares, opened with 2 of them.
    let wide = seal(&testkit::params(2, 255), &testkit::contents(), &mut rng).unwrap();
    let w = work.join("wide");
    std::fs::create_dir(&w).unwrap();
    let pick = |i: usize| library_sheet(&w, &wide.shares[i - 1], &wide.vault);
    let (s7, s200, s1, s255) = (pick(7), pick(200), pick(1), pick(255));
    case(
        &root,
        "255-text",
        "2 sheets of a 255-share set, text",
        &named(&[&s200.0, &s7.0]),
        none.clone(),
    );
    case(
        &root,
        "255-scans",
        "2 sheets of a 255-share set, scans",
        &scans(&s255.1, &s1.1, work, "wide"),
        none.clone(),
    );

    // A copy asking for more than the default Argon2id (520 MiB, one pass): run when the
    // person agrees, as the binary runs it without a terminal; declined, nothing opens.
    let above = KdfParams {
        memory_kib: 520 * 1024,
        iterations: 1,
        parallelism: 1,
    };
    let pw = "correct horse";
    let costly = seal(
        &SealParams {
            passphrase: Some((Passphrase::new(pw.into()), above)),
            ..testkit::params(2, 3)
        },
        &testkit::contents(),
        &mut rng,
    )
    .unwrap();
    let c = work.join("costly");
    std::fs::create_dir(&c).unwrap();
    let files: Vec<_> = costly.shares[..2]
        .iter()
        .map(|s| library_sheet(&c, s, &costly.vault).0)
        .collect();
    let files = named(&[&files[0], &files[1]]);
    case(
        &root,
        "cost-agreed",
        "a cost above the default, agreed",
        &files,
        serde_json::json!({ "passphrase": pw, "consent": "run" }),
    );
    case(
        &root,
        "cost-declined",
        "a cost above the default, declined",
        &files,
        serde_json::json!({ "passphrase": pw, "consent": "skip", "expect": { "exit": 5, "kind": "Recover/CostDeclined" } }),
    );

    // A cheap generation 1 and a generation 2 above the default: generation 1 is tried (and
    // opens) first; generation 2 is run only when the person agrees, then shown.
    let one = seal(&testkit::params(2, 3), &testkit::contents(), &mut rng).unwrap();
    let mut params = SealParams {
        passphrase: Some((Passphrase::new(pw.into()), above)),
        vault_id: Some(one.vault.header.vault_id),
        ..testkit::params(2, 3)
    };
    params.generation = 2;
    let two = seal_with_secret(
        &params,
        &testkit::contents(),
        &VaultSecret::generate(&mut rng),
        &mut rng,
    )
    .unwrap();
    let g = work.join("generations");
    std::fs::create_dir(&g).unwrap();
    let mut files = Vec::new();
    for (generation, set) in [(1, &one), (2, &two)] {
        for s in &set.shares[..2] {
            let path = g.join(format!("g{generation}-{}.txt", s.index()));
            common::write_sheet(&path, s, &set.vault);
            files.push((path.clone(), format!("g{generation}-{}.txt", s.index())));
        }
    }
    case(
        &root,
        "costly-newer-declined",
        "generation 2 above the default after generation 1 opened, declined",
        &files,
        serde_json::json!({ "passphrase": pw, "consent": "skip" }),
    );
    case(
        &root,
        "costly-newer-agreed",
        "generation 2 above the default after generation 1 opened, agreed",
        &files,
        serde_json::json!({ "passphrase": pw, "consent": "run", "expect": { "exit": 0, "generation": 2, "also": [1] } }),
    );

    let n = std::fs::read_dir(&root).unwrap().count();
    let stdout = run_cases(&root);
    assert!(stdout.contains(&format!("cases: {n} compared")), "{stdout}");
}

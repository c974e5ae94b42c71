//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) and the kept crash inputs
//! (`fuzz/regressions/<target>/`) through the fuzz harness, so `cargo test` checks every input
//! the fuzzers found interesting without cargo-fuzz or a nightly toolchain (fuzz/README.md).
//!
//! `cargo test --test fuzz_corpora -- --ignored` seeds the corpus of any target whose folder is
//! missing or empty, from `tests/vectors/` and the plan template; it never touches a corpus
//! that has files.

#[path = "../../../fuzz/fuzz_targets/harness.rs"]
mod harness;
#[path = "../../../fuzz/replay.rs"]
mod replay;

use breakglass_core::document::{self, VAULT_LINES_PER_QR};
use breakglass_core::recover::{self, Sourced};
use breakglass_core::secret::Passphrase;
use breakglass_core::text::{self, Kind, TextForm};
use std::path::Path;

const FUZZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz");
const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors");

fn replay(target: &str, run: harness::Target) {
    replay::replay(
        Path::new(FUZZ),
        target,
        "cargo test --test fuzz_corpora -- --ignored",
        run,
    );
}

fn target(name: &str) -> harness::Target {
    harness::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .expect("a known target")
}

#[test]
fn share_text_corpus() {
    replay("share_text", target("share_text"));
}

#[test]
fn vault_text_corpus() {
    replay("vault_text", target("vault_text"));
}

#[test]
fn qr_chunks_corpus() {
    replay("qr_chunks", target("qr_chunks"));
}

#[test]
fn vault_envelope_corpus() {
    replay("vault_envelope", target("vault_envelope"));
}

#[test]
fn plan_file_corpus() {
    replay("plan_file", target("plan_file"));
}

#[test]
fn typed_line_corpus() {
    replay("typed_line", target("typed_line"));
}

#[test]
fn contents_corpus() {
    replay("contents", target("contents"));
}

#[test]
fn recover_inputs_corpus() {
    replay("recover_inputs", target("recover_inputs"));
}

#[test]
fn every_target_has_a_corpus_test() {
    let names: Vec<&str> = harness::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "share_text",
            "vault_text",
            "qr_chunks",
            "vault_envelope",
            "plan_file",
            "typed_line",
            "contents",
            "recover_inputs"
        ]
    );
    // The fixed vault of the envelope target opens with its own shares.
    let f = &*harness::FIXED;
    harness::vault_envelope(&f.envelope);
}

// ---------------------------------------------------------------------------------------------
// Seeding

/// The text of each block of a vector as typed: the header row, then one row per line (a QR
/// row is cut into its words). Comment and blank rows are left out.
fn typed_blocks(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in text.lines().map(str::trim) {
        if row.is_empty() || row.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = row.split_whitespace().collect();
        let header = words[0].to_ascii_uppercase().starts_with("BG");
        if header && words.len() > 1 && words[0].contains('-') {
            out.push(words.iter().map(|w| format!("{w}\n")).collect());
        } else if header || out.is_empty() {
            out.push(format!("{row}\n"));
        } else {
            let last = out.last_mut().expect("a block");
            last.push_str(row);
            last.push('\n');
        }
    }
    out
}

struct Vector {
    name: String,
    text: String,
    passphrase: Option<String>,
}

fn vectors() -> Vec<Vector> {
    replay::files(Path::new(VECTORS))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable vector");
            let passphrase = text
                .lines()
                .find_map(|l| l.strip_prefix("# passphrase: "))
                .filter(|p| *p != "(none)")
                .map(str::to_string);
            Vector {
                name: p.file_stem().unwrap().to_string_lossy().into_owned(),
                text,
                passphrase,
            }
        })
        .collect()
}

/// Writes the seeds of a target whose corpus folder is missing or empty.
fn seed(target: &str, seeds: Vec<(String, Vec<u8>)>) {
    let dir = Path::new(FUZZ).join("corpus").join(target);
    if !replay::files(&dir).is_empty() {
        eprintln!("fuzz/corpus/{target} has files: left alone");
        return;
    }
    std::fs::create_dir_all(&dir).expect("corpus folder");
    let mut seen = std::collections::HashSet::new();
    for (name, data) in seeds {
        if seen.insert(data.clone()) {
            std::fs::write(dir.join(format!("seed-{name}")), data).expect("seed written");
        }
    }
    eprintln!("fuzz/corpus/{target}: {} seeds", seen.len());
}

#[test]
#[ignore = "writes fuzz/corpus/<target>/ seeds where missing"]
fn seed_fuzz_corpora() {
    let vectors = vectors();
    let (mut share_text, mut vault_text, mut qr, mut envelope, mut plain, mut typed) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for v in &vectors {
        let name = &v.name;
        share_text.push((format!("{name}.txt"), v.text.clone().into_bytes()));
        vault_text.push((format!("{name}.txt"), v.text.clone().into_bytes()));
        for (i, b) in typed_blocks(&v.text).into_iter().enumerate() {
            typed.push((format!("{name}-{i}.txt"), b.clone().into_bytes()));
            if b.to_ascii_uppercase().starts_with("BG1-S") {
                share_text.push((format!("{name}-{i}.txt"), b.into_bytes()));
            } else {
                vault_text.push((format!("{name}-{i}.txt"), b.into_bytes()));
            }
        }
        // The QR form: every row of the vector as one payload.
        let rows: Vec<&str> = v
            .text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        if rows.iter().any(|r| r.split_whitespace().count() > 6) {
            let joined = rows
                .iter()
                .map(|r| r.as_bytes())
                .collect::<Vec<_>>()
                .join(&harness::CHUNK_SEPARATOR);
            qr.push((format!("{name}.rows"), joined));
        }
        // The raw payloads the blocks decode to (valid or not as shares and vaults).
        let Ok(blocks) = text::parse_blocks(&v.text) else {
            continue;
        };
        for (i, b) in blocks.iter().enumerate() {
            let Ok(p) = b.decode() else { continue };
            let p = p.expose_secret().to_vec();
            match b.header.kind {
                Kind::Share => share_text.push((format!("{name}-{i}.share"), p.clone())),
                Kind::Vault => envelope.push((format!("{name}-{i}.vault"), p.clone())),
            }
            let t = TextForm::encode(b.header.kind, &p).expect("re-encodes");
            let mut chunks: Vec<Vec<u8>> = Vec::new();
            for max in [VAULT_LINES_PER_QR, 8] {
                let parts: Vec<String> = t.qr_chunks(max).iter().map(|c| c.to_string()).collect();
                let mut joined = Vec::new();
                for (j, c) in parts.iter().rev().enumerate() {
                    if j > 0 {
                        joined.push(harness::CHUNK_SEPARATOR);
                    }
                    joined.extend_from_slice(c.as_bytes());
                }
                chunks.push(joined);
            }
            for (j, c) in chunks.into_iter().enumerate() {
                qr.push((format!("{name}-{i}-{j}.qr"), c));
            }
        }
        // The plaintext of the positive vectors.
        if name.starts_with("ok-")
            && let Ok(d) = document::decode_blocks(blocks)
        {
            let shares = d.shares.into_iter().map(|s| Sourced::new("s", s)).collect();
            let vaults = d.vaults.into_iter().map(|s| Sourced::new("v", s)).collect();
            let pass = v.passphrase.clone().map(Passphrase::new);
            let r = recover::match_shares(shares, vaults)
                .and_then(|set| set.open(pass.as_ref()))
                .expect("a positive vector opens");
            let bytes = r.contents.to_bytes().expect("encodes");
            plain.push((format!("{name}.plain"), bytes.expose_secret().to_vec()));
        }
    }
    let f = &*harness::FIXED;
    envelope.push(("fixed.vault".into(), f.envelope.clone()));
    plain.push((
        "fixed.plain".into(),
        f.contents.to_bytes().unwrap().expose_secret().to_vec(),
    ));
    let template = breakglass_core::plan::TEMPLATE;
    let plans = [
        ("template.toml", template.to_string()),
        (
            "domain.toml",
            template.replace(
                "# domain = \"contoso.onmicrosoft.com\"",
                "domain = \"contoso.example.com\"",
            ),
        ),
        (
            "object-id.toml",
            template.replace(
                "# object_id = \"00000000-0000-0000-0000-000000000000\"",
                "object_id = \"00000000-0000-0000-0000-000000000000\"",
            ),
        ),
        (
            "one-place.toml",
            template.replace("Safe B (DR site)\"\ncustodian", "Safe A (HQ)\"\ncustodian"),
        ),
    ];
    seed("share_text", share_text);
    seed("vault_text", vault_text);
    seed("qr_chunks", qr);
    seed("vault_envelope", envelope);
    seed(
        "plan_file",
        plans
            .into_iter()
            .map(|(n, t)| (n.to_string(), t.into_bytes()))
            .collect(),
    );
    seed("typed_line", typed);
    seed("contents", plain);
}

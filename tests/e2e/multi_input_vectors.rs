//! The multi-input vectors (FORMAT.md §9) run through the real binary: each `# input: NAME`
//! or `# file: NAME` part becomes a file (the binary cuts a file of several sheets into inputs
//! by §7.1), and `breakglass recover` must open or refuse as the vector says and skip exactly
//! the inputs its `dropped` rows name (`batch.txt part 2`). The core's vector runner re-creates the
//! gathering rules; this test holds them to what the binary does.

use crate::common;

use common::{bin, p};
use std::path::Path;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

fn header<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("# {key}: ")))
        .collect()
}

/// Splits a vector at its `# input: NAME` rows and writes each input to `dir/NAME`, byte for
/// byte (a vector may hold bytes that are not UTF-8 on purpose, FORMAT.md §6.5).
fn write_inputs(bytes: &[u8], dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for row in bytes.split_inclusive(|b| *b == b'\n') {
        if let Some(n) = row
            .strip_prefix(b"# input: ")
            .or_else(|| row.strip_prefix(b"# file: "))
        {
            names.push(String::from_utf8_lossy(n).trim().to_string());
            bodies.push(Vec::new());
        } else if let Some(b) = bodies.last_mut() {
            b.extend_from_slice(row);
        }
    }
    for (n, b) in names.iter().zip(&bodies) {
        std::fs::write(dir.join(n), b).unwrap();
    }
    names
}

/// FORMAT.md §7.3, by the kind a vector expects.
fn exit_code(expect: &str) -> i32 {
    let Some(kind) = expect.strip_prefix("error ") else {
        return 0;
    };
    let (stage, rest) = kind.split_once('/').unwrap();
    match (stage, rest) {
        ("Text" | "Share" | "Vault", _) => 3,
        (_, r) if r.starts_with("Kdf/") => 3,
        (_, "NoShares" | "NoVault" | "MixedVaults" | "NotEnoughShares" | "GenerationNotGiven") => 4,
        (_, "PassphraseNotUsed" | "PassphraseRequired") => 2,
        _ => 5,
    }
}

#[test]
fn the_binary_gathers_and_drops_as_the_multi_input_vectors_say() {
    let mut files: Vec<_> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("multi-") && n.ends_with(".txt"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 8, "only {} multi-input vectors", files.len());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let dir = tempfile::tempdir().unwrap();
        let names = write_inputs(&bytes, dir.path());
        assert!(
            names.len() >= 2 || text.contains("\n# file: "),
            "{}: fewer than two inputs",
            f.display()
        );
        let paths: Vec<String> = names
            .iter()
            .map(|n| p(&dir.path().join(n)).to_string())
            .collect();
        let out = bin()
            .args(["recover", "--json", "--purpose", "drill"])
            .args(&paths)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expect = header(&text, "expect")[0];
        if expect == "ok" {
            assert!(out.status.success(), "{}: {stderr}", f.display());
            for entry in header(&text, "entry") {
                let secret = entry.rsplit(" | ").next().unwrap();
                assert!(
                    stdout.contains(secret),
                    "{}: {secret} not in the output",
                    f.display()
                );
            }
            let rejected = header(&text, "rejected");
            if !rejected.is_empty() {
                // FORMAT.md §9 `rejected` rows: the sources of `rejected`, in order.
                let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                let got: Vec<String> = json["rejected"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect();
                let want: Vec<&str> = rejected.into_iter().filter(|r| *r != "(none)").collect();
                assert_eq!(got.len(), want.len(), "{}: rejected {got:?}", f.display());
                for (g, w) in got.iter().zip(&want) {
                    let path = &paths[names.iter().position(|n| n == w).unwrap()];
                    assert!(g.starts_with(&format!("{path}: ")), "{}: {g}", f.display());
                }
            }
        } else {
            assert!(!out.status.success(), "{}: opened", f.display());
            assert!(stdout.is_empty(), "{}: printed {stdout}", f.display());
        }
        // FORMAT.md §7.3: the code is the outcome's, whatever inputs were left out.
        assert_eq!(
            out.status.code(),
            Some(exit_code(expect)),
            "{}: {stderr}",
            f.display()
        );
        // §7.1 rule 6: one warning per item left out (an input named in two `dropped` rows is
        // skipped twice), whole files and the parts of a file alike: `skipped PATH: error`,
        // or `skipped PATH is empty` for a 0-byte file.
        let mut dropped: Vec<&str> = header(&text, "dropped")
            .iter()
            .map(|d| d.split(": ").next().unwrap())
            .collect();
        let by_input = !text.contains("\n# file: ");
        let prefix = format!("warning: skipped {}/", p(dir.path()));
        let mut skipped: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|l| match l.strip_suffix(" is empty") {
                Some(name) => name,
                None => l.split(": ").next().unwrap(),
            })
            // A `# input:` row is one input of §7 whatever it holds; written as a file, the
            // binary cuts it by §7.1 into `NAME part N`, each its own input, named as such.
            .map(|n| match n.rsplit_once(" part ") {
                Some((name, k)) if by_input && k.parse::<u32>().is_ok() => name,
                _ => n,
            })
            .collect();
        dropped.sort_unstable();
        skipped.sort_unstable();
        assert_eq!(
            skipped,
            dropped,
            "{}: inputs skipped\n{stderr}",
            f.display()
        );
    }
}

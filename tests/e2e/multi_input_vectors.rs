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

/// Splits a vector at its `# input: NAME` rows and writes each input to `dir/NAME`.
fn write_inputs(text: &str, dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut bodies: Vec<String> = Vec::new();
    for row in text.split_inclusive('\n') {
        if let Some(n) = row
            .strip_prefix("# input: ")
            .or_else(|| row.strip_prefix("# file: "))
        {
            names.push(n.trim().to_string());
            bodies.push(String::new());
        } else if let Some(b) = bodies.last_mut() {
            b.push_str(row);
        }
    }
    for (n, b) in names.iter().zip(&bodies) {
        std::fs::write(dir.join(n), b).unwrap();
    }
    names
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
        let text = std::fs::read_to_string(f).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let names = write_inputs(&text, dir.path());
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
        } else {
            assert!(!out.status.success(), "{}: opened", f.display());
            assert!(stdout.is_empty(), "{}: printed {stdout}", f.display());
        }
        let mut dropped: Vec<&str> = header(&text, "dropped")
            .iter()
            .map(|d| d.split(": ").next().unwrap())
            .collect();
        // Every input named as skipped, whole files and their parts alike.
        let prefix = format!("warning: skipped {}/", p(dir.path()));
        let mut skipped: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|l| l.split(": ").next().unwrap())
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

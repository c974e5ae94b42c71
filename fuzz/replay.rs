//! Replaying a fuzz target's corpus (`fuzz/corpus/<target>/`) and kept crash inputs
//! (`fuzz/regressions/<target>/`) under `cargo test`, without cargo-fuzz (fuzz/README.md). One
//! piece for the core's, the paper layer's and the binary's `tests/fuzz_corpora.rs`, which
//! include it by path. Standard library only.

use std::path::{Path, PathBuf};

/// The files of a folder, sorted, without hidden ones (libFuzzer's `.state` files and the like).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.expect("readable folder").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    v.sort();
    v
}

/// Runs `run` on every input of `target` under the fuzz folder `fuzz`, and fails naming each
/// input that panics. An empty corpus fails too: `seed` says how to seed it. Returns the inputs
/// read, corpus first.
pub fn replay(
    fuzz: &Path,
    target: &str,
    seed: &str,
    run: impl Fn(&[u8]) + std::panic::RefUnwindSafe,
) -> Vec<PathBuf> {
    let corpus = files(&fuzz.join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} is empty: seed it with `{seed}`"
    );
    let inputs: Vec<PathBuf> = corpus
        .into_iter()
        .chain(files(&fuzz.join("regressions").join(target)))
        .collect();
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("readable corpus file");
            std::panic::catch_unwind(|| run(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs fail: {}",
        failed.len(),
        inputs.len(),
        failed.join(", ")
    );
    inputs
}

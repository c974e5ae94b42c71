//! Replays the terminfo reader's fuzz corpus (`fuzz/corpus/terminfo/`) and kept crash inputs
//! (`fuzz/regressions/terminfo/`) through the fuzz harness, so `cargo test` checks every input
//! the fuzzer found interesting without cargo-fuzz (fuzz/README.md). The reader is the binary's
//! (`src/plumbing/terminfo.rs`); the harness compiles that file as it is.
//!
//! `cargo test --test fuzz_corpora -- --ignored` seeds the corpus when its folder is missing or
//! empty: entries built here in both formats of term(5), and a few of the system's database.

#[path = "../fuzz/fuzz_targets/terminfo_harness.rs"]
mod harness;
#[path = "../fuzz/replay.rs"]
mod replay;

use std::path::Path;

const FUZZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/terminfo");

#[test]
fn terminfo_corpus() {
    let inputs = replay::replay(
        Path::new(FUZZ),
        "terminfo",
        "cargo test --test fuzz_corpora -- --ignored",
        harness::terminfo,
    );
    // The seeds hold entries with an alternate screen: the checks that need one run.
    let screens = inputs
        .iter()
        .map(|p| std::fs::read(p).expect("readable corpus file"))
        .filter(|data| harness::terminfo::alternate_screen_from_terminfo(data).is_some())
        .count();
    assert!(
        screens > 0,
        "no input of the corpus has an alternate screen"
    );
}

/// A compiled entry (term(5)): legacy (`magic` 0o432, 16-bit numbers) or 32-bit (0o1036), with
/// the given string capabilities at their indexes.
fn entry(magic: i16, caps: &[(usize, &[u8])]) -> Vec<u8> {
    let names = b"fuzz|a seed terminal\0";
    let strings = 41usize;
    let mut table = Vec::new();
    let mut offsets = vec![-1i16; strings];
    for (i, s) in caps {
        offsets[*i] = table.len() as i16;
        table.extend_from_slice(s);
        table.push(0);
    }
    let mut e = Vec::new();
    let header = [
        magic,
        names.len() as i16,
        1,
        1,
        strings as i16,
        table.len() as i16,
    ];
    for w in header {
        e.extend_from_slice(&w.to_le_bytes());
    }
    e.extend_from_slice(names);
    e.push(1); // one boolean; 12 + 21 + 1 = 34 is already even
    let number_bytes = if magic == 0o1036 { 4 } else { 2 };
    e.extend(std::iter::repeat_n(0x50, number_bytes)); // one number
    for o in offsets {
        e.extend_from_slice(&o.to_le_bytes());
    }
    e.extend_from_slice(&table);
    e
}

#[test]
#[ignore = "writes fuzz/corpus/terminfo/ seeds where missing"]
fn seed_fuzz_corpus() {
    let dir = Path::new(CORPUS);
    if !replay::files(dir).is_empty() {
        eprintln!("fuzz/corpus/terminfo has files: left alone");
        return;
    }
    std::fs::create_dir_all(dir).expect("corpus folder");
    let screen: &[(usize, &[u8])] = &[(28, b"\x1b[?1049h$<5>"), (40, b"\x1b[?1049l")];
    let mut seeds = vec![
        ("legacy", entry(0o432, screen)),
        ("32bit", entry(0o1036, screen)),
        ("no-rmcup", entry(0o432, &screen[..1])),
    ];
    for name in [
        "x/xterm",
        "x/xterm-256color",
        "x/xterm-direct",
        "l/linux",
        "v/vt100",
        "s/screen",
    ] {
        for db in ["/usr/share/terminfo", "/lib/terminfo"] {
            if let Ok(bytes) = std::fs::read(Path::new(db).join(name)) {
                seeds.push((&name[2..], bytes));
                break;
            }
        }
    }
    for (name, data) in &seeds {
        std::fs::write(dir.join(format!("seed-{name}")), data).expect("seed written");
    }
    eprintln!("fuzz/corpus/terminfo: {} seeds", seeds.len());
}

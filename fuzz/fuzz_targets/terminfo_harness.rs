//! Fuzz harness body for the terminfo reader of the binary (`src/plumbing/terminfo.rs`, compiled
//! here as it is: it uses std only). Shared by the cargo-fuzz target `terminfo` and by the corpus
//! replay in `tests/fuzz_corpora.rs`.

#[path = "../../src/plumbing/terminfo.rs"]
#[allow(dead_code)]
pub mod terminfo;

/// A compiled terminfo entry (term(5)) of any bytes: no panic; when the reader finds an
/// alternate screen, both sequences are non-empty, hold no NUL (the string table's end of
/// string) and come from the entry (each byte of them is in it), and a second reading agrees.
pub fn terminfo(data: &[u8]) {
    let Some((enter, leave)) = terminfo::alternate_screen_from_terminfo(data) else {
        return;
    };
    for s in [&enter, &leave] {
        assert!(!s.is_empty(), "an empty sequence");
        assert!(!s.contains(&0), "a NUL in a sequence");
        assert!(s.len() < data.len(), "a sequence longer than the entry");
        assert!(
            s.iter().all(|b| data.contains(b)),
            "a byte not in the entry"
        );
    }
    assert_eq!(
        terminfo::alternate_screen_from_terminfo(data),
        Some((enter, leave))
    );
}

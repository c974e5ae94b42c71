//! Bugs found while fuzzing (fuzz/README.md), each as a minimal named test. A test here may
//! fail until its bug is fixed in `src/`; the inputs are given in hex in each comment.

use breakglass_core::text::{self, Kind, TextForm};

/// `TextForm::encode(kind, &[])` (payload: the empty byte string) succeeds with zero data lines
/// but a header announcing one (`line_count = chars.div_ceil(20).max(1)`, src/text.rs
/// `TextForm::encode`); `qr_chunks` then computes `per = 0.div_ceil(0)` and panics with
/// "attempt to divide by zero" (src/text.rs `TextForm::qr_chunks`), and so does `to_qr`. The
/// paper form of the same value does not decode either (line 1 is missing). An empty payload
/// must be refused by `encode` or round-trip like any other.
#[test]
fn empty_payload_text_form_does_not_panic_and_round_trips() {
    for kind in [Kind::Share, Kind::Vault] {
        let Ok(t) = TextForm::encode(kind, &[]) else {
            continue; // refusing the empty payload is a fix
        };
        // Panics today: attempt to divide by zero.
        for c in t.qr_chunks(32) {
            let blocks = text::parse_blocks(&c).expect("parses");
            assert!(blocks[0].decode().unwrap().expose_secret().is_empty());
        }
        let paper: String = t
            .display_lines()
            .iter()
            .map(|l| format!("{}\n", l.as_str()))
            .collect();
        let blocks = text::parse_blocks(&paper).expect("parses");
        assert!(
            blocks[0]
                .decode()
                .expect("decodes")
                .expose_secret()
                .is_empty(),
            "{paper}"
        );
    }
}

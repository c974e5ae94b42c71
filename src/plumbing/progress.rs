//! Progress of the long steps, one line per step on standard error as cargo prints them
//! (`   Rendering sheets 17-32 of 255`), with or without a terminal: a ceremony of 255 sheets or
//! an Argon2id stretch says what it is doing instead of going silent for a minute. A line names
//! the step and counts only, never a secret, a label or anything read from an input.

use breakglass_core::kdf::KdfParams;

/// Sheets laid out per progress line; a set this small or smaller gets no lines.
pub const SHEET_BATCH: usize = 16;

/// Prints `verb` right-aligned in 12 columns, then `what`.
pub fn step(verb: &str, what: std::fmt::Arguments<'_>) {
    eprintln!("{verb:>12} {what}");
}

/// The line before sealing, when a passphrase is stretched (seconds of Argon2id).
pub fn sealing(kdf: Option<&KdfParams>) {
    if let Some(k) = kdf {
        step(
            "Sealing",
            format_args!(
                "the vault, stretching the passphrase with Argon2id ({} MiB, {} passes)",
                k.memory_kib / 1024,
                k.iterations
            ),
        );
    }
}

/// The line before sheets `first`.. of `count` are laid out, for a set larger than a batch.
pub fn rendering(first: usize, count: usize) {
    if count > SHEET_BATCH && first.is_multiple_of(SHEET_BATCH) {
        let last = (first + SHEET_BATCH).min(count);
        step(
            "Rendering",
            format_args!("sheets {}-{last} of {count}", first + 1),
        );
    }
}

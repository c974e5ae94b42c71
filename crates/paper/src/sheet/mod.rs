//! Sheet rendering: a plain [`ShareSheet`] (or an enrollment sheet's items) in, PDF bytes out.
//! The recovery kit's booklet (`crate::kit`) draws with the same canvas, fonts and PDF assembly.
//!
//! The sheet is what a stranger finds in a safe years later, so it carries its own
//! instructions, both QR codes and a typed fallback. Design choices, and why:
//!
//! - QR codes are vector rectangles (one path per code, one sub-rectangle per run of dark
//!   modules merged across rows), not images: the file stays small, prints sharply at any
//!   resolution, and a single filled path leaves no anti-aliasing seams between rows.
//! - Every QR payload is encoded as one explicit *alphanumeric* segment at level Q, so the
//!   mode never depends on an optimiser and the payload scans back as the exact text.
//! - Only the PDF built-in fonts (Helvetica, Courier) are used: nothing is embedded, so the
//!   output is small and identical across machines. They print WinAnsi (Latin-1) only, so
//!   any other character is an error instead of a silent "?".
//! - Output is deterministic: no clock, the creation date comes from `created`, and the
//!   trailer `/ID` (which printpdf fills from a per-process counter) is replaced by a hash
//!   of the sheet's *non-secret* identity fields.
//! - No file I/O here: the caller decides where (and whether) bytes are written.
//!
//! One module per job, listed top down: each uses only the ones below it, and all share
//! [`SheetError`].
//!
//! ```text
//!   share        the share sheet: ShareSheet (the layout's input) and its page layout
//!   enrollment   the optional enrollment sheet of new credentials
//!   pdf          pages of operations -> PDF bytes, the PDF date, the reproducible /ID
//!   canvas       Paper, and a top-down cursor drawing text, lines, boxes and QR codes
//!   qr           QR choice: version and level, one alphanumeric segment, vault parts
//!   font         built-in font metrics, what they can print, fitting and wrapping
//! ```
//!
//! The words printed on a share sheet (instructions, format summary, recovery command) are
//! the core's ([`breakglass_core::document::SheetWording`]): this module lays them out and
//! adds only its own headings and labels.

pub(crate) mod canvas;
mod enrollment;
pub(crate) mod font;
pub(crate) mod pdf;
mod qr;
mod share;

pub use enrollment::{EnrollmentItem, render_enrollment_sheet};
pub use pdf::Paper;
pub use qr::VaultCodes;
pub use share::{ShareSheet, render_share_sheet, render_share_sheet_with};

use qr::MAX_VAULT_PARTS;

/// Why a sheet could not be rendered. Never carries secret payload text.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// The payload does not fit one QR code of at most version 22 (`MAX_QR_VERSION`) at level Q.
    #[error(
        "{field}: QR payload of {len} characters is too large for one QR code (at most {max} at error-correction level Q)"
    )]
    QrTooLarge {
        field: String,
        len: usize,
        max: usize,
    },
    /// QR payloads must stay in alphanumeric mode so every scanner returns the same text.
    #[error(
        "{field}: character {ch:?} at position {pos} is outside the QR alphanumeric set (A-Z 0-9 space $%*+-./:)"
    )]
    QrNotAlphanumeric { field: String, ch: char, pos: usize },
    #[error("{field}: QR payload is empty")]
    QrEmpty { field: String },
    /// The built-in PDF fonts print WinAnsi (Latin-1) only; anything else would print "?".
    #[error(
        "{field}: character {ch:?} cannot be printed with the built-in PDF fonts (Latin-1 only)"
    )]
    Unprintable { field: String, ch: char },
    #[error("vault_qr: {count} parts given, 1 to {MAX_VAULT_PARTS} supported")]
    VaultPartCount { count: usize },
    /// The pre-encoded vault codes belong to other payloads than this sheet's.
    #[error("vault_qr: the pre-encoded vault codes are not this sheet's vault")]
    VaultCodesMismatch,
    #[error("{field}: {value:?} is not a date of the form YYYY-MM-DD")]
    InvalidDate { field: String, value: String },
    /// Text or codes too large for the page even after shrinking to the minimum size.
    #[error("{what} does not fit on the page")]
    DoesNotFit { what: String },
    #[error("{field}: QR encoding failed: {reason}")]
    Qr { field: String, reason: String },
    #[error("PDF serialisation failed: {0}")]
    Pdf(String),
}

breakglass_core::error_kinds! { SheetError {
    VaultCodesMismatch => "VaultCodesMismatch",
    QrTooLarge => "QrTooLarge",
    QrNotAlphanumeric => "QrNotAlphanumeric",
    QrEmpty => "QrEmpty",
    Unprintable => "Unprintable",
    VaultPartCount => "VaultPartCount",
    InvalidDate => "InvalidDate",
    DoesNotFit => "DoesNotFit",
    Qr => "Qr",
    Pdf => "Pdf",
} }

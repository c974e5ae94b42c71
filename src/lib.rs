//! breakglass: an air-gapped vault for emergency-access credentials.
//!
//! The library is the core: formats, cryptography, Shamir splitting and the text codec. It does
//! no file, terminal, environment or process work and never prompts; it takes bytes and an RNG
//! and returns values or typed errors. The `breakglass` binary (the `cli` layer) is the only
//! place that touches files and terminals. The byte layouts are specified in `FORMAT.md`.

#![forbid(unsafe_code)]

pub mod aead;
pub mod contents;
pub mod document;
pub mod entra;
pub mod kdf;
pub mod password;
pub mod phonetic;
pub mod placement;
pub mod plan;
pub mod recover;
#[cfg(feature = "paper")]
pub mod scan;
pub mod seal;
pub mod secret;
pub mod shamir;
pub mod share;
#[cfg(feature = "paper")]
pub mod sheet;
pub mod text;
pub mod totp;
pub mod untrusted;
pub mod vault;

/// The length of the random vault id that ties shares, sheets and vault copies together.
pub const VAULT_ID_BYTES: usize = 16;

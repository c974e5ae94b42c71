//! breakglass-core: the formats, cryptography, Shamir splitting and recovery of breakglass.
//!
//! This crate does no file, terminal, environment, clock or process work and never prompts: it
//! takes bytes and an RNG (any [`rand_core::CryptoRng`]; the binary passes the OS source) and
//! returns values or typed errors. The byte layouts are specified in `FORMAT.md`, which the
//! modules cite by section.
//!
//! # Layers, bottom up
//!
//! ```text
//!   policy/     entra · password · placement · plan (§11) · credentials · totp · phonetic
//!               · tenant                                          what a ceremony may generate
//!   protocol/   seal (split + encrypt) · recover (check + combine + open)
//!   format/     text (§6) · share (§2) · vault (§3) · vault_id · contents (§5) · document
//!               · untrusted (which characters a field may hold, and how to show the rest)
//!   primitives/ aead (§4) · kdf (Argon2id) · shamir (GF(2^8), blahaj)
//!   secret      zeroize-on-drop newtypes for every secret
//!   error_kind  the frozen name of every error (ErrorKind, error_kinds!)
//! ```
//!
//! An arrow only points down: formats use primitives and `secret`, the protocol uses formats,
//! and policy uses formats. Every module is re-exported at the top (`breakglass_core::vault`),
//! and the types callers need most are re-exported flat (`breakglass_core::Vault`). The paper
//! layer (`breakglass-paper`) and the binary sit above this crate and nothing here imports them.

#![forbid(unsafe_code)]
// A length or index cut short by `as` would be a wrong byte on paper: convert with `try_from`.
// (The unit tests build their fixtures with small literal counts and keep their casts.)
#![cfg_attr(not(test), deny(clippy::cast_possible_truncation))]

pub mod error_kind;
pub mod format;
pub mod policy;
pub mod primitives;
pub mod protocol;
pub mod secret;
/// Sample ceremony for tests and fuzz targets (the `testkit` feature; never in the binary).
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use format::{contents, document, share, text, untrusted, vault, vault_id};
pub use policy::{credentials, entra, password, phonetic, placement, plan, tenant, totp};
pub use primitives::{aead, kdf, shamir};
pub use protocol::{recover, seal};

pub use error_kind::ErrorKind;

pub use contents::{ContentsError, Entry, VaultContents};
pub use document::{DocumentError, MAX_VAULT_QR_PARTS, ShareDocument, SheetWording};
pub use kdf::{KdfError, KdfParams};
pub use plan::{Plan, PlanError};
pub use recover::{RecoverError, Recovered, Rejected, Rejection, ShareSet, Sourced};
pub use seal::{SealError, SealParams, Sealed};
pub use secret::{EncryptionKey, KEY_BYTES, Passphrase, SecretBytes, SecretString, VaultSecret};
pub use shamir::MAX_SHARES;
pub use share::{Share, ShareError};
pub use text::{Block, TextError, TextForm};
pub use vault::{ShareLabel, Vault, VaultError, VaultHeader};
pub use vault_id::VaultId;

/// The length of the random vault id that ties shares, sheets and vault copies together.
pub const VAULT_ID_BYTES: usize = 16;

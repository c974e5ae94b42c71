//! The cryptographic building blocks, each a thin wrapper over one RustCrypto (or blahaj) crate:
//! no format knowledge, no I/O.

pub mod aead;
pub mod kdf;
pub mod shamir;

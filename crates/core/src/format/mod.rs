//! The frozen byte and text formats of FORMAT.md: parsing is strict and bounded, and every
//! format starts with a version.

pub mod contents;
pub mod document;
pub mod share;
pub mod text;
pub mod untrusted;
pub mod vault;
pub mod vault_id;

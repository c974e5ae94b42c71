//! breakglass-paper: the paper layer of breakglass.
//!
//! [`sheet`] turns a share document (from `breakglass-core`) into the bytes of a PDF sheet;
//! [`scan`] turns the bytes of a scanned image into the QR payload strings on it. Both return
//! data: the binary chooses paths, writes files and talks to the person. Nothing in
//! `breakglass-core` imports this crate. [`kit`] holds `recover.py`, the decoder that needs no
//! breakglass, and renders the booklet that explains and lists it.

#![forbid(unsafe_code)]

pub mod kit;
pub mod scan;
pub mod sheet;

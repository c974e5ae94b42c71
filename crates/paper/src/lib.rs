//! breakglass-paper: the paper layer of breakglass.
//!
//! [`sheet`] turns a share document (from `breakglass-core`) into the bytes of a PDF sheet;
//! [`raster`] turns the bytes of a scan (image or PDF) into grey pages, and [`scan`] turns
//! those into the QR payload strings on them. All three return data: the binary chooses paths,
//! writes files and talks to the person. Nothing in `breakglass-core` imports this crate.

#![forbid(unsafe_code)]

pub mod raster;
pub mod scan;
pub mod sheet;

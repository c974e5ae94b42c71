//! breakglass-paper: the paper layer of breakglass.
//!
//! [`sheet`] turns a share document (from `breakglass-core`) into the bytes of a PDF sheet;
//! [`raster`] turns the bytes of a scan (image or PDF) into grey pages (or, for breakglass's own
//! sheet PDFs, their printed text), and [`scan`] turns those into the QR payload strings on
//! them. [`kit`] holds `recover.py`, the decoder that needs no breakglass, and renders the
//! booklet that explains and lists it; [`page`] holds `recover.html`, the offline page. All of them return data: the binary chooses paths,
//! writes files and talks to the person. Nothing in `breakglass-core` imports this crate.
//!
//! A program embedding this crate should read [`scan`]'s "Process-wide effects" first: a scan
//! installs a panic hook, decodes on a worker thread, and needs `panic = "unwind"`.

#![forbid(unsafe_code)]

pub mod kit;
pub mod page;
pub mod raster;
pub mod scan;
pub mod sheet;
/// Hand-made PDFs and JBIG2 streams for the tests of scanning (the `testkit` feature; never in
/// the binary).
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

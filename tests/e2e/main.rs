//! End-to-end tests of the `breakglass` binary: one test binary (linked once, not once per file),
//! one module per theme. A new test goes into the module whose theme it tests; a new theme gets a
//! module here. Tests of one crate's API live in that crate (`crates/core/tests`,
//! `crates/paper/tests`); `tests/limits.rs` stays a binary of its own because it installs a
//! counting global allocator. Helpers shared by all: `tests/common` (running the binary, sample
//! ceremonies, external tools, tmux).

#[path = "../common/mod.rs"]
mod common;

// The ceremony → recover round trip, bad input, conventions and machine-readable output.
mod cli;
mod conventions;
mod edges;
mod json_output;
mod workflow;

// Attacks: forged sheets, terminal injection, secret hygiene.
mod forged_inputs;
mod forged_property;
mod hardening;
mod terminal_injection;

// The terminal a person sees (tmux).
mod enrollment_display;
mod recovery_output;
mod typed_recovery;

// Paper: rendering, scanning, reading back, the offline kit.
mod degradation;
mod kit;
mod page;
mod page_browsers;
mod paper;
mod scan_formats;
mod scan_inputs;
mod sheet_render;
mod verify_print;

// The format as a second reader sees it: the vectors through the binary and through Python.
mod independent_decoder;
mod multi_input_vectors;

// Deploying the sign-in alert.
mod alerts;

// Auditing the tenant from a Graph export.
mod tenant_audit;
// The tenant side as scripts to review: export for the audit, setup.
mod tenant_scripts;

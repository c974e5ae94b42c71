#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "terminfo_harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::terminfo(data));

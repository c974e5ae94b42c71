#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "paper_harness.rs"]
mod harness;

fuzz_target!(
    init: if std::env::var_os("FUZZ_EVERY_PANIC").is_none() {
        harness::quiet_hook()
    },
    |data: &[u8]| harness::run(harness::pdf_image, data)
);

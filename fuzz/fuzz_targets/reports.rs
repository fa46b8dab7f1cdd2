//! Host files audited and written by every report writer (text, JSON, SARIF, JUnit, HTML).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpgen_fuzz::reports(data));

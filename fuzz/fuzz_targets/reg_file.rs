//! The .reg reader, and read → write → read round trips.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpgen_fuzz::reg_file(data));

//! The Registry.pol reader, and read → write giving the same bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpgen_fuzz::registry_pol(data));

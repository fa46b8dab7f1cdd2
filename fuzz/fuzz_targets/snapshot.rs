//! Host files (collector JSON, .reg, Registry.pol) read and audited against examples/tier1.yaml.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpgen_fuzz::snapshot(data));

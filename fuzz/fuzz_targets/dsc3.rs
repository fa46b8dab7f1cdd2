//! Hostile strings in every string field of a model that reaches the DSC v3 documents.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpgen_fuzz::dsc3(data));

//! A policy file: YAML parse, extends chain, validation, diagnostics, lowering and emitting.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpgen_fuzz::policy_yaml(data));

//! The checks behind rdpgen's fuzz targets, one function per target. Each takes the fuzzer's
//! bytes, drives a parser the way the CLI does, and panics only when rdpgen breaks one of its
//! own documented promises (a panic inside rdpgen is a finding too). The targets in
//! `fuzz_targets/` are one-line wrappers, so the same checks can be replayed outside libFuzzer.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rdpgen::audit::snapshot::parse_bytes;
use rdpgen::diagnostic::{render_json, render_text};
use rdpgen::emit::{Options, Target, emit};
use rdpgen::formats::{reg_file, registry_pol};
use rdpgen::lower::lower;
use rdpgen::model::Model;
use rdpgen::policy::{load_chain, yaml};
use rdpgen::source::Sources;
use rdpgen::validate::validate;

/// The policy the snapshot target audits against.
const TIER1: &str = include_str!("../../examples/tier1.yaml");

/// A directory of this process's own for policy files: a relative `extends` resolves inside it
/// (it is the policy tree root), so the fuzzer can reach the sibling `org-base.yaml` and the
/// file itself, and nothing else on the machine.
fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rdpgen-fuzz-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("create the fuzz scratch directory");
        fs::write(dir.join("org-base.yaml"), TIER1).expect("write the base policy");
        dir
    })
}

/// Loads `bytes` as a policy file (with its `extends` chain), validates it, renders the
/// diagnostics as text and JSON, and when it is valid lowers and emits it.
///
/// # Panics
/// When lowering or emitting a policy that passed validation fails: validation is documented
/// to rule that out.
pub fn policy_yaml(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = yaml::parse(text);
    }
    let path = scratch_dir().join("policy.yaml");
    fs::write(&path, bytes).expect("write the policy file");
    let mut sources = Sources::default();
    let chain = load_chain(&path, &mut sources).expect("the policy file was just written");
    let validated = validate(chain);
    let _ = render_text(&validated.diagnostics, &sources, false);
    let _ = render_json(&validated.diagnostics, &sources);
    if let Some(policy) = validated.policy {
        let model = lower(&policy).expect("a valid policy lowers");
        let targets = [Target::Reg, Target::Pol, Target::Lgpo];
        emit(&model, &targets, &Options::default()).expect("a valid model emits");
    }
}

/// Reads `bytes` as a `.reg` file; when that works, what `write` makes of the model must read
/// back as the same model (or `write` must refuse it with its typed error).
///
/// # Panics
/// When a written file does not read back, or reads back as a different model.
pub fn reg_file(bytes: &[u8]) {
    let Ok(file) = reg_file::read(bytes) else {
        return;
    };
    let Ok(written) = reg_file::write(&file) else {
        return;
    };
    match reg_file::read(&written) {
        Ok(again) => assert_eq!(again, file, ".reg round trip changed the model"),
        Err(e) => panic!("rdpgen cannot read the .reg file it wrote: {e}"),
    }
}

/// Reads `bytes` as a Registry.pol; when that works, writing the entries again must give the
/// same bytes (or `write` must refuse them with its typed error).
///
/// # Panics
/// When the rewritten file differs from the input.
pub fn registry_pol(bytes: &[u8]) {
    let Ok(entries) = registry_pol::read(bytes) else {
        return;
    };
    if let Ok(written) = registry_pol::write(&entries) {
        assert!(
            written == bytes,
            "Registry.pol rewrite differs from the input ({} entries)",
            entries.len()
        );
    }
}

/// The model of `examples/tier1.yaml`, lowered once.
fn tier1_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = scratch_dir().join("tier1");
        fs::create_dir_all(&dir).expect("create the tier1 directory");
        let path = dir.join("tier1.yaml");
        fs::write(&path, TIER1).expect("write tier1.yaml");
        let mut sources = Sources::default();
        let chain = load_chain(&path, &mut sources).expect("tier1.yaml was just written");
        let policy = validate(chain)
            .policy
            .expect("examples/tier1.yaml is valid");
        lower(&policy).expect("examples/tier1.yaml lowers")
    })
}

/// Reads `bytes` as a host file (collector JSON, `.reg` export or Registry.pol, detected from
/// the content) and audits the host against the tier-1 model.
pub fn snapshot(bytes: &[u8]) {
    let model = tier1_model();
    if let Ok(state) = parse_bytes(bytes, "fuzz") {
        let _ = rdpgen::audit::audit(model, &state);
    }
}

/// One target's check: panics on a finding.
pub type Check = fn(&[u8]);

/// The targets by name, as `fuzz_targets/` and `corpus/` name them.
pub const TARGETS: [(&str, Check); 4] = [
    ("policy_yaml", policy_yaml),
    ("reg_file", reg_file),
    ("registry_pol", registry_pol),
    ("snapshot", snapshot),
];

#[cfg(test)]
mod tests {
    use super::TARGETS;

    /// The committed corpus passes every check without libFuzzer too (`cargo test` in `fuzz/`).
    #[test]
    fn every_corpus_file_passes_its_check() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        for (name, check) in TARGETS {
            let entries = std::fs::read_dir(root.join(name)).expect("corpus directory");
            let mut count = 0;
            for entry in entries {
                let path = entry.expect("corpus entry").path();
                check(&std::fs::read(&path).expect("corpus file"));
                count += 1;
            }
            assert!(count > 0, "corpus/{name} is empty");
        }
    }
}

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
use rdpgen::formats::{RegistryValue, reg_file, registry_pol};
use rdpgen::compile::{Input, compile, compile_str};
use rdpgen::model::Model;
use rdpgen::policy::yaml;
use rdpgen::source::Sources;

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
    let mut sources = Sources::default();
    let input = Input::Text {
        name: "policy.yaml",
        text: bytes,
        dir: scratch_dir(),
    };
    let compiled = compile(input, &mut sources).expect("text in memory is always readable");
    let _ = render_text(&compiled.validated.diagnostics, &sources, false);
    let _ = render_json(&compiled.validated.diagnostics, &sources);
    if let Some(lowered) = compiled.model {
        let model = lowered.expect("a valid policy lowers");
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
    // Every record the reader accepts decodes: its in-place data check (`check_bytes`) lets
    // nothing through that `RegistryValue::from_bytes` refuses.
    if let Ok(view) = registry_pol::read_view(bytes) {
        for record in view.iter() {
            assert!(
                RegistryValue::from_bytes(record.kind, record.data).is_ok(),
                "read_view accepted data that does not decode as type {}",
                record.kind
            );
        }
    }
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
        let (_, compiled) = compile_str(TIER1);
        compiled
            .model
            .expect("examples/tier1.yaml is valid")
            .expect("examples/tier1.yaml lowers")
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

/// Every string of a YAML document, depth first.
fn yaml_strings(node: &yaml::Node, out: &mut Vec<String>) {
    match &node.value {
        yaml::NodeValue::Str { text, .. } => out.push(text.clone()),
        yaml::NodeValue::Seq(items) => items.iter().for_each(|i| yaml_strings(i, out)),
        // `dependsOn` holds rdpgen's own `[resourceId(...)]` expression, from an instance name.
        yaml::NodeValue::Map(entries) => entries
            .iter()
            .filter(|(k, _)| k.name != "dependsOn")
            .for_each(|(_, v)| yaml_strings(v, out)),
        _ => {}
    }
}

/// Puts fuzzer strings (lines of `bytes`) into every string field of the tier-1 model that
/// reaches the DSC v3 documents (description, a REG_SZ, a REG_EXPAND_SZ, a REG_MULTI_SZ, a
/// value name, the firewall rules' description and group), emits them, and checks what DSC
/// would read.
///
/// # Panics
/// When an emitted document does not parse as YAML, holds a string DSC would evaluate as an
/// expression (starts with one `[`), or does not read back a value exactly.
pub fn dsc3(bytes: &[u8]) {
    use rdpgen::formats::RegistryValue;
    use rdpgen::model::RegistryAction;
    let text = String::from_utf8_lossy(bytes);
    let mut parts = text.split('\n').map(str::to_string);
    let mut next = || parts.next().unwrap_or_default();
    let mut model = tier1_model().clone();
    model.description = Some(next());
    let (sz, expand, multi, name, fw) = (next(), next(), next(), next(), next());
    let Some(template) = model.registry.first().cloned() else {
        return;
    };
    let mut add = |value_name: String, value: RegistryValue| {
        let mut op = template.clone();
        op.value_name = value_name;
        op.action = RegistryAction::Set(value);
        model.registry.push(op);
    };
    add("FuzzSz".into(), RegistryValue::Sz(sz.clone()));
    add("FuzzExpand".into(), RegistryValue::ExpandSz(expand.clone()));
    add(
        "FuzzMulti".into(),
        RegistryValue::MultiSz(multi.split('|').map(str::to_string).collect()),
    );
    add(name.clone(), RegistryValue::Dword(1));
    for rule in &mut model.firewall {
        rule.description.clone_from(&fw);
        rule.group.clone_from(&fw);
    }
    // A value a one-line YAML scalar cannot carry is refused with a typed error: fine.
    let Ok(artifacts) = emit(&model, &[Target::Dsc3], &Options::default()) else {
        return;
    };
    for artifact in &artifacts {
        let text = std::str::from_utf8(&artifact.bytes).expect("DSC v3 documents are UTF-8");
        let doc = yaml::parse(text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}\n{text}", artifact.path));
        let mut strings = Vec::new();
        yaml_strings(&doc, &mut strings);
        let read: Vec<&str> = strings
            .iter()
            .map(|s| {
                rdpgen::escape::dsc_read(s)
                    .unwrap_or_else(|| panic!("DSC would evaluate {s:?} in {}", artifact.path))
            })
            .collect();
        if artifact.path.ends_with("rdp.dsc.yaml") {
            for expected in [&sz, &expand, &name] {
                assert!(
                    read.contains(&expected.as_str()),
                    "{expected:?} does not read back from {}",
                    artifact.path
                );
            }
        }
    }
}

/// Reads `bytes` as a host file (its first line is the host name when it is unreadable), audits
/// it against the tier-1 model and writes it with every report writer.
///
/// # Panics
/// When the text report carries a control, escape or bidi character, the JSON or SARIF report
/// is not JSON, the JUnit report is not well-formed XML, or markup from the host reaches the
/// HTML report unescaped.
pub fn reports(bytes: &[u8]) {
    use rdpgen::audit::compare::HostReport;
    use rdpgen::audit::report::{
        Context, Csv, Github, Html, Json, Junit, Report, Sarif, Summary, Text,
    };
    let model = tier1_model();
    let host = match parse_bytes(bytes, "fuzz") {
        Ok(state) => rdpgen::audit::audit(model, &state),
        Err(e) => {
            let name =
                String::from_utf8_lossy(bytes.split(|b| *b == b'\n').next().unwrap_or_default())
                    .into_owned();
            HostReport::unreadable(name.clone(), vec![name], e.to_string())
        }
    };
    let ctx = Context {
        policy_name: model.name.clone(),
        policy_description: model.description.clone(),
        policy_file: "examples/tier1.yaml".into(),
        policy_hash: model.policy_hash.clone(),
        version: "fuzz",
        report_date: "2026-01-01T00:00:00Z".into(),
        // A field location for every finding, so the SARIF and GitHub writers take their
        // policy-location path too.
        field_locations: model
            .registry
            .iter()
            .map(|op| {
                (
                    op.provenance.field().to_string(),
                    ("examples/tier1.yaml".to_string(), 1, 1),
                )
            })
            .collect(),
    };
    let mut summary = Summary::default();
    summary.add(&host);
    let write = |report: &mut dyn Report| -> Vec<u8> {
        let mut out = Vec::new();
        report.begin(&mut out, &ctx).expect("writing to memory");
        report.host(&mut out, &host).expect("writing to memory");
        report
            .finish(&mut out, &summary)
            .expect("writing to memory");
        out
    };
    let text = write(&mut Text {
        color: false,
        verbose: true,
    });
    let text = String::from_utf8(text).expect("the text report is UTF-8");
    if let Some(c) = text
        .chars()
        .find(|c| *c != '\n' && rdpgen::escape::terminal::is_unsafe(*c))
    {
        panic!("the text report carries U+{:04X}", u32::from(c));
    }
    for (name, bytes) in [
        ("json", write(&mut Json::default())),
        ("sarif", write(&mut Sarif::default())),
    ] {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            panic!("the {name} report is not JSON: {e}");
        }
    }
    let junit = write(&mut Junit::default());
    let mut reader = quick_xml::Reader::from_reader(junit.as_slice());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => buf.clear(),
            Err(e) => panic!("the JUnit report is not well-formed XML: {e}"),
        }
    }
    // GitHub workflow commands: one command a line, whatever the host wrote.
    let github = String::from_utf8(write(&mut Github::default())).expect("UTF-8");
    for line in github.lines() {
        assert!(
            ["::error ", "::warning ", "::notice "]
                .iter()
                .any(|p| line.starts_with(p)),
            "a host string broke a workflow command: {line:?}"
        );
    }
    // CSV: every row has the header's 11 fields (quoted line breaks stay inside their field).
    let csv = String::from_utf8(write(&mut Csv)).expect("UTF-8");
    let mut quoted = false;
    let mut fields = 1;
    for c in csv.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields += 1,
            '\n' if !quoted => {
                assert_eq!(fields, 11, "a CSV row with {fields} fields");
                fields = 1;
            }
            _ => {}
        }
    }
    let html = String::from_utf8(write(&mut Html::default())).expect("the HTML report is UTF-8");
    for markup in ["<script", "<img", "<svg", "<iframe"] {
        if host.host.to_ascii_lowercase().contains(markup) {
            assert!(
                !html.to_ascii_lowercase().contains(markup),
                "host markup {markup} reaches the HTML report"
            );
        }
    }
}

/// One target's check: panics on a finding.
pub type Check = fn(&[u8]);

/// The targets by name, as `fuzz_targets/` and `corpus/` name them.
pub const TARGETS: [(&str, Check); 6] = [
    ("policy_yaml", policy_yaml),
    ("reg_file", reg_file),
    ("registry_pol", registry_pol),
    ("snapshot", snapshot),
    ("dsc3", dsc3),
    ("reports", reports),
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

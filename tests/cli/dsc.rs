//! `rdpgen build --target dsc,dsc3`: every example yields `dsc/RdpPosture.ps1` and the DSC v3
//! documents, pinned by reviewed snapshots (`UPDATE_SNAPSHOTS=1` rewrites them; read the diff).
//! The v3 documents are read back with rdpgen's own strict YAML reader and validated with the
//! `jsonschema` crate against DSC's schema and the resource manifests. The scripts are parsed
//! with tree-sitter-powershell (the validators' venv) by `tests/fixtures/dsc/dsc_checks.py`,
//! which also runs the injection corpus; without the venv those tests say so and skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use rdpgen::catalog::keys;
use rdpgen::escape::{powershell, single_line};
use rdpgen::model::Model;
use rdpgen::policy::{TreeNode, yaml};
use rdpgen::source::FileId;
use serde_json::Value;

use crate::{rdpgen, repo, run, scratch};

/// The example policies, `(stem, path)`, sorted.
fn examples() -> Vec<(String, PathBuf)> {
    policies_in(&repo().join("examples"), "")
}

/// The injection corpus, `(stem, path)`, sorted.
fn corpus() -> Vec<(String, PathBuf)> {
    let out = policies_in(&repo().join("tests/fixtures/dsc"), "inj-");
    assert!(
        out.len() >= 5,
        "the injection corpus is in tests/fixtures/dsc"
    );
    out
}

fn policies_in(dir: &Path, prefix: &str) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .filter(|(stem, _)| stem.starts_with(prefix))
        .collect();
    out.sort();
    out
}

fn model_of(path: &std::path::Path) -> rdpgen::model::Model {
    crate::model_of(path)
}

/// Builds `policies` for the DSC targets; returns the output directory.
fn build_dsc(policies: &[(String, PathBuf)]) -> PathBuf {
    let out = scratch("dsc").join("out");
    let mut cmd = rdpgen();
    cmd.arg("build");
    for (_, p) in policies {
        cmd.arg(p);
    }
    let (code, _, stderr) = run(cmd
        .args(["--target", "dsc", "--target", "dsc3", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    out
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn script_text(path: &Path) -> String {
    let bytes = read(path);
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or_else(|| panic!("{} starts with a UTF-8 byte-order mark", path.display()));
    String::from_utf8(body.to_vec()).unwrap()
}

/// A YAML document read with rdpgen's strict reader, as JSON.
fn yaml_json(path: &Path) -> Value {
    let text = String::from_utf8(read(path)).unwrap();
    let node = yaml::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    TreeNode::from_yaml(&node, FileId(0)).to_json()
}

fn json_file(name: &str) -> Value {
    serde_json::from_slice(&read(&repo().join("tests/fixtures/dsc").join(name))).unwrap()
}

/// The Python of the validators' venv (tree-sitter-powershell), if `install.sh py` ran.
fn validators_python() -> Option<PathBuf> {
    let cache = std::env::var_os("RDPGEN_VALIDATORS_CACHE").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/rdpgen-validators")
        },
        PathBuf::from,
    );
    let python = cache.join("venv/bin/python");
    if python.is_file() {
        Some(python)
    } else {
        eprintln!(
            "SKIPPED: {} is missing; run `bash ../shared/validators/install.sh py` to parse the \
             generated PowerShell with tree-sitter (CI always does)",
            python.display()
        );
        None
    }
}

fn dsc_checks(python: &Path, args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(python)
        .arg(repo().join("tests/fixtures/dsc/dsc_checks.py"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("python runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Registry operations the DSC back ends express with Registry resources: all but the firewall
/// policy key (the Group Policy form of the rules, and PolicyVersion).
fn registry_count(model: &Model) -> usize {
    model
        .registry
        .iter()
        .filter(|op| !keys::is_firewall_policy_key(&op.key))
        .count()
}

#[test]
fn every_example_matches_its_reviewed_dsc_snapshots() {
    let examples = examples();
    assert!(examples.len() >= 4);
    let out = build_dsc(&examples);
    for (stem, path) in &examples {
        let model = model_of(path);
        let dir = out.join(&model.name);
        let script = script_text(&dir.join("dsc/RdpPosture.ps1"));
        assert!(script.contains(&format!("# Policy:           {}\n", model.name)));
        assert!(script.contains(&format!("# Policy sha256:    {}\n", model.policy_hash)));
        assert!(script.contains(concat!("generated by rdpgen ", env!("CARGO_PKG_VERSION"))));
        assert!(!script.contains('"'), "{stem}: no double-quoted strings");
        for (file, snapshot) in [
            ("dsc/RdpPosture.ps1", format!("{stem}.RdpPosture.ps1")),
            ("dsc3/rdp.dsc.yaml", format!("{stem}.rdp.dsc.yaml")),
            (
                "dsc3/rollback.dsc.yaml",
                format!("{stem}.rollback.dsc.yaml"),
            ),
        ] {
            crate::assert_snapshot(
                &format!("tests/snapshots/{snapshot}"),
                read(&dir.join(file)),
            );
        }
    }
}

#[test]
fn dsc3_documents_are_valid_against_the_v3_schema_and_the_resource_manifests() {
    let document = jsonschema::validator_for(&json_file("config-document.v3.bundled.json"))
        .expect("the DSC v3 schema compiles");
    let registry =
        jsonschema::validator_for(&json_file("registry.properties.schema.json")).unwrap();
    let firewall = jsonschema::validator_for(
        &json_file("windows_firewall.dsc.resource.json")["schema"]["embedded"],
    )
    .unwrap();
    // The validator rejects what DSC rejects.
    assert!(!document.is_valid(&serde_json::json!({
        "$schema": rdpgen_schema(),
        "resources": [{"name": "has-hyphen", "type": "Microsoft.Windows/Registry", "properties": {}}]
    })));

    let policies: Vec<(String, PathBuf)> = examples().into_iter().chain(corpus()).collect();
    let out = build_dsc(&policies);
    let mut validated = 0;
    for (stem, path) in &policies {
        let model = model_of(path);
        for file in ["rdp.dsc.yaml", "rollback.dsc.yaml"] {
            let path = out.join(&model.name).join("dsc3").join(file);
            let doc = yaml_json(&path);
            let errors: Vec<String> = document
                .iter_errors(&doc)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{stem} {file}: {errors:#?}");
            assert_eq!(doc["$schema"], rdpgen_schema());
            let resources = doc["resources"].as_array().unwrap();
            let mut names: Vec<&str> = resources
                .iter()
                .map(|r| r["name"].as_str().unwrap())
                .collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                resources.len(),
                "{stem} {file}: names are unique"
            );
            let mut registry_instances = 0;
            let mut rules = 0;
            let mut checks = 0;
            for r in resources {
                let (validator, what) = match r["type"].as_str().unwrap() {
                    "Microsoft.Windows/WindowsPowerShell" => {
                        // Only the listener-certificate check, before the binding.
                        checks += 1;
                        assert_certificate_check(stem, r, &model);
                        continue;
                    }
                    "Microsoft.Windows/Registry" => {
                        registry_instances += 1;
                        (&registry, "Registry")
                    }
                    "Microsoft.Windows/FirewallRuleList" => {
                        rules += r["properties"]["rules"].as_array().unwrap().len();
                        (&firewall, "FirewallRuleList")
                    }
                    other => panic!("{stem} {file}: unexpected resource type {other}"),
                };
                let errors: Vec<String> = validator
                    .iter_errors(&r["properties"])
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{stem} {file} {what} {}: {errors:?}",
                    r["name"]
                );
            }
            assert_eq!(registry_instances, registry_count(&model), "{stem} {file}");
            let binds = bound_thumbprint(&model).is_some() && file == "rdp.dsc.yaml";
            assert_eq!(checks, usize::from(binds), "{stem} {file}");
            // One writer of SSLCertificateSHA1Hash, ordered after the check when it binds.
            let writers: Vec<&Value> = resources
                .iter()
                .filter(|r| r["properties"]["valueName"] == "SSLCertificateSHA1Hash")
                .filter(|r| r["properties"].get("valueData").is_some())
                .collect();
            if binds {
                assert_eq!(writers.len(), 1, "{stem} {file}");
                assert_eq!(
                    writers[0]["dependsOn"],
                    serde_json::json!([
                        "[resourceId('Microsoft.Windows/WindowsPowerShell', 'Listener certificate check')]"
                    ]),
                    "{stem} {file}"
                );
                let check_at = resources
                    .iter()
                    .position(|r| r["name"] == "Listener certificate check")
                    .unwrap();
                let writer_at = resources
                    .iter()
                    .position(|r| r["properties"]["valueName"] == "SSLCertificateSHA1Hash")
                    .unwrap();
                assert!(check_at < writer_at, "{stem} {file}");
            } else {
                assert!(
                    writers.iter().all(|w| w.get("dependsOn").is_none()),
                    "{stem} {file}"
                );
            }
            assert_eq!(rules, model.firewall.len(), "{stem} {file}");
            validated += 1;
        }
    }
    assert_eq!(validated, 2 * policies.len());
}

/// The thumbprint the model binds the listener to, if any.
fn bound_thumbprint(model: &Model) -> Option<String> {
    model.host_actions.iter().find_map(|a| match a {
        rdpgen::model::HostAction::BindListenerCertificate { thumbprint } => {
            Some(thumbprint.clone())
        }
        _ => None,
    })
}

/// The DSC v3 certificate check: the Windows PowerShell adapter with one
/// PSDesiredStateConfiguration/Script whose test holds only when the certificate, with its
/// private key, is in LocalMachine\My, and whose set fails otherwise.
fn assert_certificate_check(stem: &str, r: &Value, model: &Model) {
    let thumbprint = bound_thumbprint(model).expect("a check only when the model binds");
    assert_eq!(r["name"], "Listener certificate check", "{stem}");
    let inner = r["properties"]["resources"].as_array().unwrap();
    assert_eq!(inner.len(), 1, "{stem}");
    assert_eq!(
        inner[0]["type"], "PSDesiredStateConfiguration/Script",
        "{stem}"
    );
    let p = &inner[0]["properties"];
    let path = format!("'Cert:\\LocalMachine\\My\\{thumbprint}'");
    for script in ["GetScript", "TestScript", "SetScript"] {
        let text = p[script].as_str().unwrap();
        assert!(text.contains(&path), "{stem} {script}: {text}");
        assert!(text.contains("$c.HasPrivateKey"), "{stem} {script}: {text}");
    }
    assert!(p["SetScript"].as_str().unwrap().contains("throw"), "{stem}");
}

fn rdpgen_schema() -> &'static str {
    "https://aka.ms/dsc/schemas/v3/bundled/config/document.json"
}

#[test]
fn hostile_policy_text_reads_back_exactly_from_dsc3_and_as_one_literal_in_the_script() {
    let corpus = corpus();
    let out = build_dsc(&corpus);
    for (stem, path) in &corpus {
        let model = model_of(path);
        let dir = out.join(&model.name);
        let doc = yaml_json(&dir.join("dsc3/rdp.dsc.yaml"));
        let script = script_text(&dir.join("dsc/RdpPosture.ps1"));
        fn no_expressions(v: &Value, stem: &str) {
            match v {
                Value::String(s) => assert!(
                    rdpgen::escape::dsc_read(s).is_some(),
                    "{stem}: DSC would evaluate {s:?}"
                ),
                Value::Array(items) => items.iter().for_each(|i| no_expressions(i, stem)),
                Value::Object(map) => {
                    for (k, v) in map {
                        if k == "dependsOn" {
                            // rdpgen's own `[resourceId(...)]`, from an instance name.
                            for d in v.as_array().unwrap() {
                                assert!(
                                    d.as_str().unwrap().starts_with("[resourceId('"),
                                    "{stem}: {d}"
                                );
                            }
                        } else {
                            no_expressions(v, stem);
                        }
                    }
                }
                _ => {}
            }
        }
        no_expressions(&doc, stem);
        if let Some(description) = &model.description {
            assert_eq!(
                doc["metadata"]["rdpgen"]["description"]
                    .as_str()
                    .and_then(rdpgen::escape::dsc_read),
                Some(single_line(description).as_str()),
                "{stem}"
            );
            let line = format!("# Description:      {}\n", single_line(description));
            assert!(script.contains(&line), "{stem}: {line}");
        }
        let line = format!(
            "# GPO display name: {}\n",
            single_line(&model.gpo.display_name)
        );
        assert!(script.contains(&line), "{stem}: {line}");
        for op in model
            .registry
            .iter()
            .filter(|op| op.value_name == "CertTemplateName")
        {
            let rdpgen::model::RegistryAction::Set(rdpgen::formats::RegistryValue::Sz(template)) =
                &op.action
            else {
                panic!("{stem}: CertTemplateName is a string")
            };
            let found = doc["resources"].as_array().unwrap().iter().any(|r| {
                r["properties"]["valueData"]["String"]
                    .as_str()
                    .and_then(rdpgen::escape::dsc_read)
                    == Some(template)
            });
            assert!(
                found,
                "{stem}: {template:?} reads back from the v3 document"
            );
            let literal = format!("ValueData = {}\n", powershell::literal(template));
            assert!(script.contains(&literal), "{stem}: {literal}");
        }
    }
}

#[test]
fn scripts_parse_and_hold_the_resources_of_the_model() {
    let Some(python) = validators_python() else {
        return;
    };
    let examples = examples();
    let out = build_dsc(&examples);
    for (stem, path) in &examples {
        let model = model_of(path);
        let script = out.join(&model.name).join("dsc/RdpPosture.ps1");
        let snapshot = repo().join(format!("tests/snapshots/{stem}.model.txt"));
        let (code, text) = dsc_checks(
            &python,
            &["counts".as_ref(), script.as_os_str(), snapshot.as_os_str()],
        );
        assert_eq!(code, 0, "{text}");
        let expected = format!(
            "Registry {}, Firewall {}, Script {}",
            registry_count(&model),
            model.firewall.len(),
            model.host_actions.len()
        );
        assert!(text.contains(&expected), "{stem}: {expected} in\n{text}");
    }
}

#[test]
fn injection_corpus_stays_inside_string_literals_and_comments() {
    let Some(python) = validators_python() else {
        return;
    };
    let corpus = corpus();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_rdpgen"));
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["injection".as_ref(), "--rdpgen".as_ref(), bin.as_os_str()];
    args.extend(corpus.iter().map(|(_, p)| p.as_os_str()));
    let (code, text) = dsc_checks(&python, &args);
    assert_eq!(code, 0, "{text}");
    let passed = text.lines().filter(|l| l.starts_with("ok   ")).count();
    assert_eq!(passed, corpus.len(), "{text}");
}

#[test]
fn vendored_dsc_schemas_match_the_shared_reference() {
    let shared = repo().join("../shared/reference/dsc");
    if !shared.is_dir() {
        eprintln!(
            "SKIPPED: {} is missing (CI clones ../shared beside the repo)",
            shared.display()
        );
        return;
    }
    for name in [
        "config-document.v3.bundled.json",
        "windows_firewall.dsc.resource.json",
    ] {
        assert_eq!(
            read(&repo().join("tests/fixtures/dsc").join(name)),
            read(&shared.join(name)),
            "tests/fixtures/dsc/{name} differs from ../shared/reference/dsc/{name}"
        );
    }
}

#[test]
fn only_the_dsc_targets_are_written_and_rebuilds_are_identical() {
    let examples = examples();
    let a = build_dsc(&examples);
    let b = build_dsc(&examples);
    for (_, path) in &examples {
        let name = model_of(path).name;
        let mut files: Vec<String> = Vec::new();
        for sub in ["dsc", "dsc3"] {
            for e in std::fs::read_dir(a.join(&name).join(sub)).unwrap() {
                files.push(format!(
                    "{sub}/{}",
                    e.unwrap().file_name().to_string_lossy()
                ));
            }
        }
        files.sort();
        assert_eq!(
            files,
            [
                "dsc/RdpPosture.ps1",
                "dsc3/rdp.dsc.yaml",
                "dsc3/rollback.dsc.yaml"
            ]
        );
        let mut top: Vec<String> = std::fs::read_dir(a.join(&name))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        top.sort();
        // The marker says rdpgen made the directory and lists what it wrote there.
        assert_eq!(top, [".rdpgen-output", "dsc", "dsc3"]);
        for f in &files {
            assert_eq!(
                read(&a.join(&name).join(f)),
                read(&b.join(&name).join(f)),
                "{f}"
            );
        }
    }
}

/// PowerShell DSC, read with tree-sitter: when the model binds the listener certificate,
/// `Script BindListenerCertificate` is the only writer of `SSLCertificateSHA1Hash` (no
/// `Registry` resource for it) and it `DependsOn` `Script ListenerCertificateCheck`, whose
/// test is the certificate with its private key in LocalMachine\My.
#[test]
fn the_listener_certificate_has_one_writer_ordered_after_the_check() {
    let Some(python) = validators_python() else {
        return;
    };
    let examples = examples();
    let out = build_dsc(&examples);
    let mut bound = 0;
    for (stem, path) in &examples {
        let model = model_of(path);
        let script = out.join(&model.name).join("dsc/RdpPosture.ps1");
        let run = Command::new(&python)
            .arg(repo().join("../shared/validators/ps-parse-check.py"))
            .arg(&script)
            .arg("--dsc-json")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&run.stdout).into_owned();
        assert!(run.status.success(), "{stem}: {text}");
        let view: Value = serde_json::from_str(&text[text.find('{').unwrap()..]).unwrap();
        let apply = view["configurations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "RdpPosture")
            .unwrap();
        let resources: Vec<&Value> = apply["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n["resources"].as_array().unwrap())
            .collect();
        let find = |t: &str, n: &str| {
            resources
                .iter()
                .find(|r| r["type"] == t && r["name"] == n)
                .copied()
        };
        let registry_writers = resources
            .iter()
            .filter(|r| r["type"] == "Registry")
            .filter(|r| r["properties"]["ValueName"] == "'SSLCertificateSHA1Hash'")
            .count();
        let bind = find("Script", "BindListenerCertificate");
        let check = find("Script", "ListenerCertificateCheck");
        match bound_thumbprint(&model) {
            Some(thumbprint) => {
                bound += 1;
                assert_eq!(registry_writers, 0, "{stem}: one writer, the Script");
                let bind = bind.unwrap_or_else(|| panic!("{stem}: no binding"));
                assert_eq!(
                    bind["properties"]["DependsOn"], "'[Script]ListenerCertificateCheck'",
                    "{stem}"
                );
                let check = check.unwrap_or_else(|| panic!("{stem}: no check"));
                let test = check["properties"]["TestScript"].as_str().unwrap();
                assert!(test.contains("'Cert:\\LocalMachine\\My\\'"), "{test}");
                assert!(test.contains("$certificate.HasPrivateKey"), "{test}");
                assert!(
                    check["properties"]["SetScript"]
                        .as_str()
                        .unwrap()
                        .contains("throw"),
                    "{stem}"
                );
                // The thumbprint the scripts read.
                let script_text = script_text(&script);
                assert!(
                    script_text.contains(&format!("$ListenerThumbprint = '{thumbprint}'")),
                    "{stem}"
                );
            }
            None => {
                assert!(bind.is_none() && check.is_none(), "{stem}");
            }
        }
    }
    assert!(bound >= 1, "an example pins a thumbprint");
}

//! `rdpgen build --target ansible,intune`: the playbooks pass `ansible-playbook --syntax-check`,
//! their module arguments are options `ansible-doc` documents (type and choices), and, read back with PyYAML, set exactly the values of `reg/apply.reg` and Registry.pol
//! (rollback: `reg/rollback.reg`), with every Jinja-looking string `!unsafe`; the Intune scripts
//! parse with tree-sitter-powershell, detect.ps1 is proven read-only by `.ci/check-readonly.py`,
//! and the DSC injection corpus stays inside literals and comments
//! (`tests/fixtures/fleets/fleet_checks.py`). Without Ansible (`RDPGEN_ANSIBLE_VENV`, default
//! `~/.cache/rdpgen-ansible`, or `ansible-playbook` on PATH) or the validators' venv the tests
//! say SKIPPED, and fail instead when `CI` is set.

use std::path::{Path, PathBuf};
use std::process::Command;

use rdpgen::catalog::keys;
use rdpgen::formats::{RegFileAction, RegSection, RegistryValue, reg_file, registry_pol};
use serde_json::Value;

use crate::{rdpgen, repo, run, scratch};

fn home_cache(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
        .join(".cache")
        .join(name)
}

fn missing(what: &str) -> Option<PathBuf> {
    crate::available(what, false);
    None
}

/// The `bin` directory of an Ansible install (ansible-playbook and a Python with PyYAML).
fn ansible_bin() -> Option<PathBuf> {
    let venv = std::env::var_os("RDPGEN_ANSIBLE_VENV")
        .map_or_else(|| home_cache("rdpgen-ansible"), PathBuf::from);
    let bin = venv.join("bin");
    if bin.join("ansible-playbook").is_file() && bin.join("python").exists() {
        return Some(bin);
    }
    missing(&format!(
        "Ansible ({}: python3 -m venv {} && {}/pip install ansible)",
        bin.join("ansible-playbook").display(),
        venv.display(),
        bin.display()
    ))
}

fn policies() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["examples", "tests/fixtures/dsc", "tests/fixtures/fleets"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.extension().is_some_and(|e| e == "yaml")
                && (dir == "examples" || stem.starts_with("inj-"))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The `name:` of a policy (examples are YAML, the corpus JSON).
fn policy_name(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("name: ")
                .or_else(|| l.strip_prefix("\"name\": "))
                .map(|v| v.trim_end_matches(',').trim_matches('"').to_string())
        })
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn build(targets: &str) -> (PathBuf, Vec<String>) {
    let out = scratch("fleets").join("out");
    let mut cmd = rdpgen();
    cmd.arg("build");
    let mut names = Vec::new();
    for p in policies() {
        names.push(policy_name(&p));
        cmd.arg(p);
    }
    let (code, _, stderr) = run(cmd.args(["--target", targets, "--out"]).arg(&out));
    assert_eq!(code, 0, "{stderr}");
    (out, names)
}

type Value3 = (String, String, Option<RegistryValue>);

fn task_value(task: &Value) -> Value3 {
    let path = task["path"].as_str().unwrap();
    let key = path
        .strip_prefix("HKLM:\\")
        .map(|k| format!("HKEY_LOCAL_MACHINE\\{k}"))
        .or_else(|| {
            path.strip_prefix("HKCU:\\")
                .map(|k| format!("HKEY_CURRENT_USER\\{k}"))
        })
        .unwrap_or_else(|| panic!("path {path}"));
    let name = task["name"].as_str().unwrap().to_string();
    let data = &task["data"];
    let value = match task["state"].as_str().unwrap() {
        "absent" => None,
        "present" => Some(match task["type"].as_str().unwrap() {
            "dword" => RegistryValue::Dword(u32::try_from(data.as_u64().unwrap()).unwrap()),
            "qword" => RegistryValue::Qword(data.as_u64().unwrap()),
            "string" => RegistryValue::Sz(data.as_str().unwrap().into()),
            "expandstring" => RegistryValue::ExpandSz(data.as_str().unwrap().into()),
            "multistring" => RegistryValue::MultiSz(
                data.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
            ),
            "binary" => RegistryValue::Binary(
                data.as_array()
                    .unwrap()
                    .iter()
                    .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
                    .collect(),
            ),
            other => panic!("type {other}"),
        }),
        other => panic!("state {other}"),
    };
    (key.to_ascii_lowercase(), name.to_ascii_lowercase(), value)
}

/// The win_regedit tasks of a playbook, read by PyYAML; panics on a templatable string.
fn playbook_values(bin: &Path, playbook: &Path) -> Vec<Value3> {
    let out = Command::new(bin.join("python"))
        .arg(repo().join("tests/fixtures/fleets/fleet_checks.py"))
        .arg("playbook")
        .arg(playbook)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}: {stdout}{}",
        playbook.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut values: Vec<Value3> = stdout
        .lines()
        .map(|l| task_value(&serde_json::from_str(l).unwrap()))
        .collect();
    values.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    values
}

/// The values a `.reg` file leaves, without the firewall policy key (its rules and
/// `PolicyVersion`), which the playbook expresses as `win_firewall_rule` tasks.
fn reg_values(path: &Path) -> Vec<Value3> {
    let file = reg_file::read(&std::fs::read(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for section in file.sections {
        let RegSection::Key { path, values } = section else {
            panic!("rdpgen never deletes keys")
        };
        let below = path.get("HKEY_LOCAL_MACHINE\\".len()..).unwrap_or("");
        if keys::is_firewall_policy_key(below) {
            continue;
        }
        for v in values {
            let value = match v.action {
                RegFileAction::Set(value) => Some(value),
                RegFileAction::Delete => None,
            };
            out.push((
                path.to_ascii_lowercase(),
                v.name.unwrap().to_ascii_lowercase(),
                value,
            ));
        }
    }
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

#[test]
fn playbooks_pass_ansible_syntax_check() {
    let Some(bin) = ansible_bin() else {
        return;
    };
    let (out, names) = build("ansible");
    let mut checked = 0;
    for name in &names {
        for file in ["apply.yml", "rollback.yml"] {
            let playbook = out.join(name).join("ansible").join(file);
            let result = Command::new(bin.join("ansible-playbook"))
                .args(["--syntax-check", "-i", "localhost,"])
                .arg(&playbook)
                .env("ANSIBLE_NOCOLOR", "1")
                .output()
                .unwrap();
            assert!(
                result.status.success(),
                "{}: {}{}",
                playbook.display(),
                String::from_utf8_lossy(&result.stdout),
                String::from_utf8_lossy(&result.stderr)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, names.len() * 2);
    assert!(checked >= 20, "{checked}");
    // Module arguments against the modules' own documented options, types and choices.
    let playbooks: Vec<PathBuf> = names
        .iter()
        .flat_map(|n| ["apply.yml", "rollback.yml"].map(|f| out.join(n).join("ansible").join(f)))
        .collect();
    let (code, text) = module_args(&bin, &playbooks);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok   ")).count(),
        checked
    );
    // The check can fail: a misspelt choice and an unknown option.
    let apply = std::fs::read_to_string(&playbooks[0]).unwrap();
    let tampered = out.join("tampered.yml");
    std::fs::write(
        &tampered,
        apply.replacen("type: dword", "type: dwrd", 1).replacen(
            "state: present",
            "state: present\n        force: true",
            1,
        ),
    )
    .unwrap();
    let (code, text) = module_args(&bin, &[tampered]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("type='dwrd' not in"), "{text}");
    assert!(text.contains("unknown option force"), "{text}");
}

fn module_args(bin: &Path, playbooks: &[PathBuf]) -> (Option<i32>, String) {
    let out = Command::new(bin.join("python"))
        .arg(repo().join("tests/fixtures/fleets/fleet_checks.py"))
        .arg("args")
        .args(playbooks)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn playbooks_set_the_values_of_apply_reg_and_registry_pol_and_template_nothing() {
    let Some(bin) = ansible_bin() else {
        return;
    };
    let (out, names) = build("reg,pol,ansible");
    for name in &names {
        let dir = out.join(name);
        let apply = playbook_values(&bin, &dir.join("ansible/apply.yml"));
        assert!(!apply.is_empty(), "{name}");
        assert_eq!(
            apply,
            reg_values(&dir.join("reg/apply.reg")),
            "{name}: apply"
        );
        let rollback = playbook_values(&bin, &dir.join("ansible/rollback.yml"));
        assert_eq!(
            rollback,
            reg_values(&dir.join("reg/rollback.reg")),
            "{name}: rollback"
        );
        // Registry.pol: every value it sets or deletes (`**del.`) is a task with that value.
        let pol = registry_pol::read(&std::fs::read(dir.join("pol/Machine/Registry.pol")).unwrap())
            .unwrap();
        for entry in pol {
            let key = format!("hkey_local_machine\\{}", entry.key.to_ascii_lowercase());
            if keys::is_firewall_policy_key(&entry.key) || entry.value_name.is_empty() {
                continue;
            }
            let expected = match entry.value_name.strip_prefix("**del.") {
                Some(n) => (key, n.to_ascii_lowercase(), None),
                None => (
                    key,
                    entry.value_name.to_ascii_lowercase(),
                    Some(entry.value),
                ),
            };
            assert!(
                apply.contains(&expected),
                "{name}: {expected:?} of Registry.pol"
            );
        }
    }
    // The Jinja corpus reads back as its text.
    let jinja = playbook_values(&bin, &out.join("inj-jinja/ansible/apply.yml"));
    let template = "{{ lookup('pipe', 'id') }}{% for x in y %}PWNED2{% endfor %}{# c #}";
    assert!(
        jinja
            .iter()
            .any(|(_, n, v)| n == "certtemplatename"
                && *v == Some(RegistryValue::Sz(template.into()))),
        "{jinja:?}"
    );
}

#[test]
fn the_jinja_check_fails_on_a_string_that_is_not_unsafe() {
    let Some(bin) = ansible_bin() else {
        return;
    };
    let (out, _) = build("ansible");
    let text = std::fs::read_to_string(out.join("inj-jinja/ansible/apply.yml")).unwrap();
    assert!(text.contains("data: !unsafe '{{ lookup("), "{text}");
    let tampered = out.join("tampered.yml");
    std::fs::write(&tampered, text.replace("data: !unsafe '{{", "data: '{{")).unwrap();
    let result = Command::new(bin.join("python"))
        .arg(repo().join("tests/fixtures/fleets/fleet_checks.py"))
        .arg("playbook")
        .arg(&tampered)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&result.stdout).contains("would be templated"),
        "{}",
        String::from_utf8_lossy(&result.stdout)
    );
}

#[test]
fn intune_scripts_parse_detect_is_read_only_and_the_corpus_stays_in_literals() {
    let Some((python, ps_parse_check)) = crate::ps_parse_check() else {
        return;
    };
    let (out, names) = build("intune");
    for name in &names {
        for script in ["detect.ps1", "remediate.ps1"] {
            let path = out.join(name).join("intune").join(script);
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{}", path.display());
            let parse = Command::new(&python)
                .arg(&ps_parse_check)
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                parse.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&parse.stdout)
            );
        }
        let detect = out.join(name).join("intune/detect.ps1");
        let proof = Command::new(&python)
            .arg(repo().join(".ci/check-readonly.py"))
            .arg(&detect)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&proof.stdout);
        assert!(proof.status.success(), "{}: {text}", detect.display());
        assert!(text.contains("all on the read-only lists"), "{text}");
        // The remediation script is not read-only: the proof must say so.
        let remediate = out.join(name).join("intune/remediate.ps1");
        let proof = Command::new(&python)
            .arg(repo().join(".ci/check-readonly.py"))
            .arg(&remediate)
            .output()
            .unwrap();
        assert_eq!(proof.status.code(), Some(1), "{}", remediate.display());
    }
    let mut corpus: Vec<PathBuf> = policies()
        .into_iter()
        .filter(|p| p.file_stem().unwrap().to_string_lossy().starts_with("inj-"))
        .collect();
    corpus.retain(|p| !p.ends_with("inj-jinja.yaml"));
    assert!(corpus.len() >= 5);
    let result = Command::new(&python)
        .arg(repo().join("tests/fixtures/fleets/fleet_checks.py"))
        .arg("injection")
        .arg("--rdpgen")
        .arg(env!("CARGO_BIN_EXE_rdpgen"))
        .args(&corpus)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let passed = text.lines().filter(|l| l.starts_with("ok   ")).count();
    assert_eq!(passed, corpus.len() * 2, "{text}");
}

#[test]
fn detect_exits_with_a_one_line_summary_and_remediate_checks_again() {
    let (out, _) = build("intune");
    let detect = std::fs::read_to_string(out.join("tier1-servers/intune/detect.ps1")).unwrap();
    assert!(detect.contains(
        "    Write-Output ('rdpgen tier1-servers: ' + $drift.Count + ' drifted: ' + ($drift -join ', '))\n    exit 1\n}\nWrite-Output 'rdpgen tier1-servers: compliant"
    ), "{detect}");
    assert!(detect.ends_with("exit 0\n"));
    let remediate =
        std::fs::read_to_string(out.join("tier1-servers/intune/remediate.ps1")).unwrap();
    let apply = remediate.find("Set-RdpgenValue -Key").unwrap();
    let again = remediate.rfind("$drift = @(Get-RdpgenDrift)").unwrap();
    assert!(apply < again);
    assert!(remediate.contains("still drifted after remediation: "));
}

#[test]
fn oma_uri_profile_uses_admx_backed_policy_csp_paths_with_data_payloads() {
    let (out, _) = build("intune");
    let text = std::fs::read_to_string(out.join("tier1-servers/intune/oma-uri.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["@odata.type"],
        "#microsoft.graph.windows10CustomConfiguration"
    );
    let settings = doc["omaSettings"].as_array().unwrap();
    assert!(!settings.is_empty());
    for s in settings {
        let uri = s["omaUri"].as_str().unwrap();
        assert!(
            uri.starts_with("./Device/Vendor/MSFT/Policy/Config/ADMX_TerminalServer/TS_"),
            "{uri}"
        );
        let value = s["value"].as_str().unwrap();
        assert!(
            value.starts_with("<enabled/>") || value == "<disabled/>",
            "{value}"
        );
    }
    let layer = settings
        .iter()
        .find(|s| {
            s["omaUri"]
                .as_str()
                .unwrap()
                .ends_with("/TS_SECURITY_LAYER_POLICY")
        })
        .unwrap();
    assert_eq!(
        layer["value"],
        "<enabled/><data id=\"TS_SECURITY_LAYER\" value=\"2\"/>"
    );
    // Nothing for Software\Policies outside TerminalServer.admx, no custom ADMX ingestion.
    assert!(!text.contains("ADMXInstall"), "{text}");
}

//! `rdpgen build --rollback-from SNAPSHOT`: every rollback artifact restores what the host
//! had and deletes only what it did not have. The rollbacks are read back with rdpgen's own
//! readers (the .reg reader `diff` uses, the strict YAML reader) and checked against the
//! snapshot the test wrote, value by value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rdpgen::formats::RegistryValue;
use rdpgen::formats::reg_file::{self, RegFileAction, RegSection};
use rdpgen::policy::TreeNode;
use rdpgen::policy::yaml;
use rdpgen::source::FileId;
use serde_json::{Value, json};

use crate::{rdpgen, repo, run, scratch};

const TS: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const RDP_TCP: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp";
const PROTOCOLS: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";

/// A hardened host before the policy: TLS 1.0 and 1.1 off, the listener on 3390, two policy
/// values already set (one differently from tier1), everything else absent.
fn hardened_host() -> Value {
    let dword = |key: &str, name: &str, data: u32| json!({"key": key, "name": name, "type": "REG_DWORD", "data": data});
    json!({
        "rdpgenSnapshot": 1,
        "host": "HARDENED-01",
        "capturedAt": "2026-11-24T09:00:00Z",
        "registry": [
            dword(&format!(r"{PROTOCOLS}\TLS 1.0\Server"), "Enabled", 0),
            dword(&format!(r"{PROTOCOLS}\TLS 1.0\Server"), "DisabledByDefault", 1),
            dword(&format!(r"{PROTOCOLS}\TLS 1.1\Server"), "Enabled", 0),
            dword(&format!(r"{PROTOCOLS}\TLS 1.1\Server"), "DisabledByDefault", 1),
            dword(RDP_TCP, "PortNumber", 3390),
            dword(TS, "MinEncryptionLevel", 4),
            dword(TS, "fDenyTSConnections", 1),
            json!({"key": TS, "name": "LicenseServers", "type": "REG_SZ", "data": "lic01.corp.example.com"}),
        ],
    })
}

/// (upper-case `HKLM\key`, upper-case value name) -> what the host had.
fn host_values(snapshot: &Value) -> BTreeMap<(String, String), RegistryValue> {
    snapshot["registry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let value = match v["type"].as_str().unwrap() {
                "REG_DWORD" => {
                    RegistryValue::Dword(u32::try_from(v["data"].as_u64().unwrap()).unwrap())
                }
                "REG_SZ" => RegistryValue::Sz(v["data"].as_str().unwrap().to_string()),
                other => panic!("{other}"),
            };
            (
                (
                    v["key"].as_str().unwrap().to_uppercase(),
                    v["name"].as_str().unwrap().to_uppercase(),
                ),
                value,
            )
        })
        .collect()
}

/// `HKLM\...` form of a .reg key path.
fn short(path: &str) -> String {
    path.replacen("HKEY_LOCAL_MACHINE", "HKLM", 1)
}

/// Every value line of a .reg file: (upper-case key, upper-case name) -> action.
fn reg_values(path: &Path) -> BTreeMap<(String, String), RegFileAction> {
    let file = reg_file::read(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for section in file.sections {
        if let RegSection::Key { path, values } = section {
            for v in values {
                out.insert(
                    (
                        short(&path).to_uppercase(),
                        v.name.unwrap_or_default().to_uppercase(),
                    ),
                    v.action,
                );
            }
        }
    }
    out
}

fn reg_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

fn build(policy: &Path, rollback_from: Option<&Path>) -> (i32, String, PathBuf) {
    let out = scratch("rollback").join("out");
    let mut cmd = rdpgen();
    cmd.arg("build").arg(policy).arg("--out").arg(&out);
    for t in ["reg", "dsc", "dsc3"] {
        cmd.args(["--target", t]);
    }
    if let Some(s) = rollback_from {
        cmd.arg("--rollback-from").arg(s);
    }
    let (code, _, stderr) = run(&mut cmd);
    (code, stderr, out.join("tier1-servers"))
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch("rollback-host").join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn rollback_from_a_snapshot_restores_what_the_host_had_in_every_artifact() {
    let snapshot = hardened_host();
    let had = host_values(&snapshot);
    let path = write(
        "hardened.json",
        serde_json::to_string(&snapshot).unwrap().as_bytes(),
    );
    let (code, stderr, dir) = build(&repo().join("examples/tier1.yaml"), Some(&path));
    assert_eq!(code, 0, "{stderr}");

    // .reg: every value apply sets is restored to the host's value or deleted when the host
    // had none; nothing else is touched.
    let apply = reg_values(&dir.join("reg/apply.reg"));
    let rollback = reg_values(&dir.join("reg/rollback.reg"));
    assert_eq!(
        apply.keys().collect::<Vec<_>>(),
        rollback.keys().collect::<Vec<_>>()
    );
    let mut restored = 0;
    for (location, action) in &rollback {
        match had.get(location) {
            Some(value) => {
                assert_eq!(action, &RegFileAction::Set(value.clone()), "{location:?}");
                restored += 1;
            }
            None => assert_eq!(action, &RegFileAction::Delete, "{location:?}"),
        }
    }
    assert_eq!(restored, had.len(), "every value the host had is restored");
    // The two cases of the issue, spelled out: TLS 1.0 stays off, the listener stays on 3390.
    let tls10 = (
        format!(r"{PROTOCOLS}\TLS 1.0\Server").to_uppercase(),
        "ENABLED".to_string(),
    );
    assert_eq!(
        rollback[&tls10],
        RegFileAction::Set(RegistryValue::Dword(0))
    );
    let port = (RDP_TCP.to_uppercase(), "PORTNUMBER".to_string());
    assert_eq!(
        rollback[&port],
        RegFileAction::Set(RegistryValue::Dword(3390))
    );
    let text = reg_text(&dir.join("reg/rollback.reg"));
    assert!(
        text.contains("; rdpgen rollback of apply.reg: restores the values the host given to --rollback-from had, and deletes only the values it did not have.\r\n"),
        "{text}"
    );
    assert!(!text.contains("Windows defaults"), "{text}");

    // DSC v3: the same targets, read with the strict YAML reader.
    let doc = {
        let text = std::fs::read_to_string(dir.join("dsc3/rollback.dsc.yaml")).unwrap();
        assert!(text.contains("restores the values the host given to --rollback-from had"));
        TreeNode::from_yaml(&yaml::parse(&text).unwrap(), FileId(0)).to_json()
    };
    let mut checked = 0;
    for r in doc["resources"].as_array().unwrap() {
        if r["type"] != "Microsoft.Windows/Registry" {
            continue;
        }
        let p = &r["properties"];
        let location = (
            p["keyPath"].as_str().unwrap().to_uppercase(),
            p["valueName"].as_str().unwrap().to_uppercase(),
        );
        match had.get(&location) {
            Some(RegistryValue::Dword(d)) => {
                assert_eq!(p["valueData"]["DWord"], *d, "{location:?}")
            }
            Some(RegistryValue::Sz(s)) => assert_eq!(p["valueData"]["String"], *s, "{location:?}"),
            Some(other) => panic!("{other:?}"),
            None => assert_eq!(p["_exist"], false, "{location:?}"),
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");

    // PowerShell DSC: RdpPostureRollback holds the host's values.
    let script = String::from_utf8(std::fs::read(dir.join("dsc/RdpPosture.ps1")).unwrap()).unwrap();
    let rollback_part = &script[script.find("Configuration RdpPostureRollback").unwrap()..];
    for (name, data) in [("PortNumber", "'3390'"), ("MinEncryptionLevel", "'4'")] {
        let at = rollback_part
            .find(&format!("ValueName = '{name}'"))
            .unwrap_or_else(|| panic!("{name}"));
        let block = &rollback_part[at..at + 200];
        assert!(
            block.contains(&format!("ValueData = {data}")),
            "{name}: {block}"
        );
        assert!(block.contains("Ensure    = 'Present'"), "{name}: {block}");
    }
    let at = rollback_part.find("ValueName = 'SecurityLayer'").unwrap();
    assert!(rollback_part[at..at + 80].contains("Ensure    = 'Absent'"));
}

/// A `.reg` export is a host too; a key's subtree counts as captured (`reg export` writes
/// every subkey), so a SCHANNEL subkey missing from an export of `Protocols` did not exist.
#[test]
fn rollback_from_a_reg_export_and_what_it_does_not_cover() {
    let policy = repo().join("examples/tier1.yaml");
    let only_ts = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[{}]\r\n\"MinEncryptionLevel\"=dword:00000004\r\n\r\n",
        TS.replacen("HKLM", "HKEY_LOCAL_MACHINE", 1)
    );
    let path = write("ts-only.reg", &utf16_bom(&only_ts));
    let (code, stderr, dir) = build(&policy, Some(&path));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the host state does not cover ")
            && stderr.contains(r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp\PortNumber")
            && stderr.contains(r"SCHANNEL\Protocols\TLS 1.0\Server\Enabled")
            && stderr.contains("rdpgen collector"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(r"Terminal Services\MinEncryptionLevel"),
        "{stderr}"
    );
    assert!(!dir.exists(), "nothing is written");

    let mut full = only_ts.clone();
    for key in [
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters",
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation",
        // The firewall policy key and its subtree: PolicyVersion and the rules.
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\WindowsFirewall",
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols",
    ] {
        // The host had its own PolicyVersion: rollback restores it.
        let values = if key.ends_with("WindowsFirewall") {
            "\"PolicyVersion\"=dword:00000200\r\n"
        } else {
            ""
        };
        full.push_str(&format!("[{key}]\r\n{values}\r\n"));
    }
    full.push_str(&format!(
        "[{}]\r\n\"PortNumber\"=dword:00000d3e\r\n\r\n",
        RDP_TCP.replacen("HKLM", "HKEY_LOCAL_MACHINE", 1)
    ));
    let path = write("full.reg", &utf16_bom(&full));
    let (code, stderr, dir) = build(&policy, Some(&path));
    assert_eq!(code, 0, "{stderr}");
    let rollback = reg_values(&dir.join("reg/rollback.reg"));
    let port = (RDP_TCP.to_uppercase(), "PORTNUMBER".to_string());
    assert_eq!(
        rollback[&port],
        RegFileAction::Set(RegistryValue::Dword(3390))
    );
    let tls10 = (
        format!(r"{PROTOCOLS}\TLS 1.0\Server").to_uppercase(),
        "ENABLED".to_string(),
    );
    assert_eq!(
        rollback[&tls10],
        RegFileAction::Delete,
        "the host had no TLS 1.0 key"
    );
    let level = (TS.to_uppercase(), "MINENCRYPTIONLEVEL".to_string());
    assert_eq!(
        rollback[&level],
        RegFileAction::Set(RegistryValue::Dword(4))
    );
    // The firewall's registry form is derived from the rules; its rollback is the host's too.
    let fw = r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall".to_uppercase();
    assert_eq!(
        rollback[&(fw.clone(), "POLICYVERSION".to_string())],
        RegFileAction::Set(RegistryValue::Dword(0x200))
    );
    let rule = (
        format!(r"{fw}\FIREWALLRULES"),
        "RDPGEN-TIER1-SERVERS-TCP-IN".to_string(),
    );
    assert_eq!(
        rollback[&rule],
        RegFileAction::Delete,
        "the host had no such rule"
    );
}

#[test]
fn rollback_from_a_missing_or_malformed_snapshot_is_a_clear_error() {
    let policy = repo().join("examples/tier1.yaml");
    let (code, stderr, dir) = build(&policy, Some(Path::new("/nonexistent/host.json")));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: --rollback-from: cannot read `/nonexistent/host.json`"),
        "{stderr}"
    );
    assert!(!dir.exists());
    let path = write("bad.json", b"{\"rdpgenSnapshot\": 1,");
    let (code, stderr, _) = build(&policy, Some(&path));
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: --rollback-from `"), "{stderr}");
    let (code, _, stderr) = run(rdpgen().args([
        "build",
        "x.yaml",
        "--out",
        "o",
        "--rollback-from",
        "a",
        "--rollback-from-local",
    ]));
    assert_eq!(code, 2, "{stderr}");
}

/// Without `--rollback-from`, the rollback says it restores Windows defaults and names the
/// values where that weakens a hardened host.
#[test]
fn default_rollback_says_it_restores_windows_defaults_and_what_that_weakens() {
    let (code, stderr, dir) = build(&repo().join("examples/tier1.yaml"), None);
    assert_eq!(code, 0, "{stderr}");
    let text = reg_text(&dir.join("reg/rollback.reg"));
    // The comments close the file (hivex refuses them anywhere before the last key block).
    let header: Vec<&str> = text.lines().skip_while(|l| !l.starts_with(';')).collect();
    assert!(header.iter().all(|l| l.starts_with(';')), "{header:#?}");
    assert!(header[0].starts_with("; rdpgen rollback of apply.reg: restores Windows defaults, not what this host had before"), "{header:#?}");
    for value in [
        "TLS 1.0\\Server\\Enabled: deleted",
        "TLS 1.1\\Server\\DisabledByDefault: deleted",
    ] {
        assert!(header.iter().any(|l| l.starts_with(";   HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\") && l.ends_with(value)), "{value}: {header:#?}");
    }
    // TLS 1.2 stays on: undoing its Enabled=1 weakens nothing and is not named.
    assert!(!header.iter().any(|l| l.contains("TLS 1.2")), "{header:#?}");
    assert!(
        header
            .iter()
            .any(|l| l.ends_with("RDP-Tcp\\PortNumber: set to REG_DWORD 3389"))
    );
    // The project's reader, and so `rdpgen diff`, still reads the file.
    assert!(!reg_values(&dir.join("reg/rollback.reg")).is_empty());
    for file in ["dsc3/rollback.dsc.yaml", "dsc/RdpPosture.ps1"] {
        let text = String::from_utf8_lossy(&std::fs::read(dir.join(file)).unwrap()).into_owned();
        assert!(
            text.contains("restores Windows defaults, not what this host had before"),
            "{file}"
        );
        assert!(
            text.contains(r"SCHANNEL\Protocols\TLS 1.0\Server\Enabled: deleted"),
            "{file}"
        );
    }
}

fn utf16_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

/// A string from the host file reaches the rollbacks only as a value: quotes, brackets and
/// PowerShell/YAML syntax read back exactly; a line break (which a one-line YAML scalar cannot
/// carry) is refused with a message, never written.
#[test]
fn hostile_snapshot_strings_stay_values() {
    let hostile = "lic'01\"]; Remove-Item C:\\ -Recurse # ’ ${x} [HKLM\\evil]";
    let mut snapshot = hardened_host();
    snapshot["registry"]
        .as_array_mut()
        .unwrap()
        .retain(|v| v["name"] != "LicenseServers");
    snapshot["registry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": TS, "name": "LicenseServers", "type": "REG_SZ", "data": hostile}));
    let path = write(
        "hostile.json",
        serde_json::to_string(&snapshot).unwrap().as_bytes(),
    );
    let (code, stderr, dir) = build(&repo().join("examples/tier1.yaml"), Some(&path));
    assert_eq!(code, 0, "{stderr}");
    let rollback = reg_values(&dir.join("reg/rollback.reg"));
    let servers = (TS.to_uppercase(), "LICENSESERVERS".to_string());
    assert_eq!(
        rollback[&servers],
        RegFileAction::Set(RegistryValue::Sz(hostile.to_string()))
    );
    let script = String::from_utf8(std::fs::read(dir.join("dsc/RdpPosture.ps1")).unwrap()).unwrap();
    let literal = rdpgen::escape::powershell::literal(hostile);
    assert!(
        script.contains(&format!("ValueData = {}\n", literal.as_str())),
        "{}",
        literal.as_str()
    );
    let text = std::fs::read_to_string(dir.join("dsc3/rollback.dsc.yaml")).unwrap();
    let doc = TreeNode::from_yaml(&yaml::parse(&text).unwrap(), FileId(0)).to_json();
    assert!(
        doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["properties"]["valueData"]["String"] == hostile)
    );

    let mut broken = hardened_host();
    broken["registry"].as_array_mut().unwrap().push(
        json!({"key": TS, "name": "CertTemplateName", "type": "REG_SZ", "data": "a\r\n[HKEY_LOCAL_MACHINE\\evil]"}),
    );
    let path = write(
        "newline.json",
        serde_json::to_string(&broken).unwrap().as_bytes(),
    );
    let (code, stderr, dir) = build(&repo().join("examples/tier1.yaml"), Some(&path));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cannot be written in a one-line YAML scalar"),
        "{stderr}"
    );
    assert!(!dir.exists());
}

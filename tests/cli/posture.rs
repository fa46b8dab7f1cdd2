//! `posture`: host-wide settings `diff` audits and artifacts write only with `mode: enforce`.
//! Keys and values are Microsoft's (the firewall profiles under the Group Policy key and the
//! host's own `SharedAccess` key, `Lsa\LmCompatibilityLevel`, CipherSuiteOrder.admx's
//! `Functions`), written here, not taken from rdpgen's output.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{rdpgen, run, scratch};

const FWPOL: &str = r"SOFTWARE\Policies\Microsoft\WindowsFirewall";
const FWLOCAL: &str = r"SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy";
const LSA: &str = r"SYSTEM\CurrentControlSet\Control\Lsa";
const SSL: &str = r"SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";

fn policy(dir: &Path, mode: &str) -> PathBuf {
    let p = dir.join(format!("{mode}.yaml"));
    std::fs::write(
        &p,
        format!(
            "rdpgen: 1\nname: posture-{mode}\nposture:\n  mode: {mode}\n  firewall:\n    enabled: true\n    defaultInbound: block\n    localRules: false\n  lmCompatibilityLevel: 5\n  cipherSuites: [TLS_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n"
        ),
    )
    .unwrap();
    p
}

/// A regedit export: each (key, [(name, dword)]) section.
fn host(dir: &Path, name: &str, keys: &[(&str, &[(&str, u32)])]) -> PathBuf {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    for (key, values) in keys {
        text.push_str(&format!("\r\n[HKEY_LOCAL_MACHINE\\{key}]\r\n"));
        for (n, v) in *values {
            text.push_str(&format!("\"{n}\"=dword:{v:08x}\r\n"));
        }
    }
    let p = dir.join(format!("{name}.reg"));
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn checks(policy: &Path, host: &Path) -> (i32, Vec<(String, String, String)>) {
    let (code, out, err) = run(rdpgen()
        .args(["diff", "--color", "never", "--format", "json"])
        .arg(policy)
        .arg(host));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let list = v["hosts"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["outcome"].as_str().unwrap().to_string(),
                c["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (code, list)
}

fn outcome<'a>(list: &'a [(String, String, String)], id: &str) -> (&'a str, &'a str) {
    let c = list
        .iter()
        .find(|c| c.0 == id)
        .unwrap_or_else(|| panic!("no check {id}: {list:#?}"));
    (c.1.as_str(), c.2.as_str())
}

#[test]
fn audit_mode_writes_nothing_and_diff_checks_what_windows_applies() {
    let dir = scratch("posture-audit");
    let p = policy(&dir, "audit");
    let out = dir.join("out");
    let (code, _, err) = run(rdpgen().arg("build").arg(&p).arg("--out").arg(&out));
    assert_eq!(code, 0, "{err}");
    // No artifact carries a posture value.
    let mut files = Vec::new();
    let mut stack = vec![out.join("posture-audit")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10, "{files:?}");
    // rdpgen's administrative template defines every policy it has (a definition sets
    // nothing); every artifact that writes values must leave the posture out.
    for f in files
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "admx"))
    {
        // Registry.pol holds UTF-16LE without a byte-order mark: read every file both ways.
        let bytes = std::fs::read(f).unwrap();
        let utf16: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text = crate::text_of(f) + &String::from_utf16_lossy(&utf16);
        for needle in [
            "LmCompatibilityLevel",
            "EnableFirewall",
            "TLS_AES_256_GCM_SHA384",
        ] {
            assert!(!text.contains(needle), "{} carries {needle}", f.display());
        }
    }
    // The Group Policy value wins over the host's own; where Group Policy sets nothing, the
    // host's value counts.
    let profiles = ["DomainProfile", "PrivateProfile", "PublicProfile"];
    let local_profiles = ["DomainProfile", "StandardProfile", "PublicProfile"];
    let mut keys: Vec<(String, Vec<(&str, u32)>)> = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        // Domain: Group Policy turns it on over a local "off"; Private: only the host's "on";
        // Public: the host turned it off.
        let pol: Vec<(&str, u32)> = match i {
            0 => vec![
                ("EnableFirewall", 1),
                ("DefaultInboundAction", 1),
                ("AllowLocalPolicyMerge", 0),
            ],
            _ => vec![("DefaultInboundAction", 1), ("AllowLocalPolicyMerge", 0)],
        };
        keys.push((format!(r"{FWPOL}\{p}"), pol));
        let local: Vec<(&str, u32)> = vec![
            ("EnableFirewall", u32::from(i == 1)),
            ("DefaultInboundAction", 1),
        ];
        keys.push((format!(r"{FWLOCAL}\{}", local_profiles[i]), local));
    }
    keys.push((LSA.to_string(), vec![("LmCompatibilityLevel", 3)]));
    let borrowed: Vec<(&str, &[(&str, u32)])> = keys
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    let h = host(&dir, "h", &borrowed);
    let (code, list) = checks(&p, &h);
    assert_eq!(code, 1, "{list:#?}");
    let (o, m) = outcome(&list, "posture.firewall.enabled:Domain");
    assert_eq!(o, "pass", "{m}");
    assert!(m.contains("on by Group Policy"), "{m}");
    let (o, m) = outcome(&list, "posture.firewall.enabled:Private");
    assert_eq!(o, "pass", "{m}");
    assert!(m.contains("on on the host"), "{m}");
    let (o, m) = outcome(&list, "posture.firewall.enabled:Public");
    assert_eq!(o, "fail", "{m}");
    assert_eq!(
        m,
        "Public profile: EnableFirewall is off on the host; the policy wants on"
    );
    assert_eq!(
        outcome(&list, "posture.firewall.defaultInbound:Public").0,
        "pass"
    );
    assert_eq!(
        outcome(&list, "posture.firewall.localRules:Domain").0,
        "pass"
    );
    let (o, m) = outcome(&list, "posture.lmCompatibilityLevel");
    assert_eq!(o, "fail", "{m}");
    assert!(m.contains("LmCompatibilityLevel is REG_DWORD 3"), "{m}");
    // The cipher suite order was not exported: not verified, never a pass.
    let (o, _) = outcome(&list, "posture.cipherSuites");
    assert_eq!(o, "notVerified");
    let failed: Vec<&str> = list
        .iter()
        .filter(|c| c.1 == "fail")
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "posture.lmCompatibilityLevel",
            "posture.firewall.enabled:Public"
        ]
    );
}

#[test]
fn enforce_mode_writes_every_target() {
    let dir = scratch("posture-enforce");
    let p = policy(&dir, "enforce");
    let out = dir.join("out");
    let (code, _, err) = run(rdpgen().arg("build").arg(&p).arg("--out").arg(&out));
    assert_eq!(code, 0, "{err}");
    let root = out.join("posture-enforce");
    let pol = rdpgen::formats::registry_pol::read(
        &std::fs::read(root.join("pol/Machine/Registry.pol")).unwrap(),
    )
    .unwrap();
    let has = |key: &str, name: &str, v: &rdpgen::formats::RegistryValue| {
        pol.iter()
            .any(|e| e.key.eq_ignore_ascii_case(key) && e.value_name == name && &e.value == v)
    };
    use rdpgen::formats::RegistryValue::{Dword, Sz};
    for p in ["DomainProfile", "PrivateProfile", "PublicProfile"] {
        let key = format!(r"{FWPOL}\{p}");
        assert!(has(&key, "EnableFirewall", &Dword(1)), "{key}");
        assert!(has(&key, "DefaultInboundAction", &Dword(1)), "{key}");
        assert!(has(&key, "AllowLocalPolicyMerge", &Dword(0)), "{key}");
    }
    assert!(has(
        SSL,
        "Functions",
        &Sz("TLS_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into())
    ));
    for target in [
        "reg/apply.reg",
        "dsc/RdpPosture.ps1",
        "ansible/apply.yml",
        "intune/remediate.ps1",
    ] {
        let text = crate::text_of(&root.join(target));
        for needle in [
            "LmCompatibilityLevel",
            "EnableFirewall",
            "TLS_AES_256_GCM_SHA384",
        ] {
            assert!(text.contains(needle), "{target} lacks {needle}");
        }
    }
    // Enforced, the firewall switches are the GPO's values: checked per profile in the policy key.
    let h = host(
        &dir,
        "h",
        &[
            (&format!(r"{FWPOL}\DomainProfile"), &[("EnableFirewall", 0)]),
            (LSA, &[("LmCompatibilityLevel", 5)]),
        ],
    );
    let (_, list) = checks(&p, &h);
    assert_eq!(outcome(&list, "posture.firewall.enabled:Domain").0, "fail");
    assert_eq!(outcome(&list, "posture.lmCompatibilityLevel").0, "pass");
}

#[test]
fn lints_and_errors() {
    let dir = scratch("posture-lint");
    for (body, code, wants) in [
        (
            "  firewall:\n    enabled: false\n",
            "RDP065",
            "turns the firewall off",
        ),
        (
            "  firewall:\n    defaultInbound: allow\n",
            "RDP065",
            "admits inbound traffic",
        ),
        (
            "  lmCompatibilityLevel: 1\n",
            "RDP066",
            "sends LM or NTLMv1 responses",
        ),
        (
            "  cipherSuites: [TLS_A_B, TLS_A_B]\n",
            "RDP064",
            "names `TLS_A_B` twice",
        ),
        ("  cipherSuites: [tls_lower]\n", "RDP013", ""),
        ("  lmCompatibilityLevel: 6\n", "RDP013", ""),
    ] {
        let p = dir.join("p.yaml");
        std::fs::write(&p, format!("rdpgen: 1\nname: t\nposture:\n{body}")).unwrap();
        let (_, out, err) = run(rdpgen().args(["validate", "--color", "never"]).arg(&p));
        let text = format!("{out}{err}");
        assert!(text.contains(&format!("[{code}]")), "{body}: {text}");
        assert!(text.contains(wants), "{body}: {text}");
    }
    let long: Vec<String> = (0..40)
        .map(|i| format!("TLS_SUITE_NUMBER_{i:02}_WITH_A_LONG_NAME"))
        .collect();
    let p = dir.join("long.yaml");
    std::fs::write(
        &p,
        format!(
            "rdpgen: 1\nname: t\nposture:\n  cipherSuites: [{}]\n",
            long.join(", ")
        ),
    )
    .unwrap();
    let (code, out, _) = run(rdpgen().args(["validate", "--color", "never"]).arg(&p));
    assert_eq!(code, 1);
    assert!(out.contains("Group Policy stores at most 1023"), "{out}");
}

#[test]
fn an_absent_lm_level_is_windows_level_three() {
    let dir = scratch("posture-lm3");
    let p = dir.join("p.yaml");
    std::fs::write(
        &p,
        "rdpgen: 1\nname: t\nposture:\n  lmCompatibilityLevel: 3\n",
    )
    .unwrap();
    // The Lsa key exported without the value.
    let h = host(&dir, "h", &[(LSA, &[("DisableRestrictedAdmin", 1)])]);
    let (code, list) = checks(&p, &h);
    assert_eq!(code, 0, "{list:#?}");
    let (o, m) = outcome(&list, "posture.lmCompatibilityLevel");
    assert_eq!(
        (o, m),
        (
            "pass",
            "LmCompatibilityLevel is not set, which Windows reads as 3"
        )
    );
    std::fs::write(
        &p,
        "rdpgen: 1\nname: t\nposture:\n  lmCompatibilityLevel: 5\n",
    )
    .unwrap();
    let (code, list) = checks(&p, &h);
    assert_eq!(code, 1, "{list:#?}");
    assert_eq!(outcome(&list, "posture.lmCompatibilityLevel").0, "fail");
}

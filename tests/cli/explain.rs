//! `rdpgen explain`: every field of the language, 0x904/0x7, codes and value names.

use serde_json::Value;

use crate::{rdpgen, run};

#[test]
fn every_field_of_the_schema_is_explained() {
    let (_, schema, _) = run(rdpgen().arg("schema"));
    let schema: Value = serde_json::from_str(&schema).unwrap();
    let mut fields = Vec::new();
    for (section, prop) in schema["properties"].as_object().unwrap() {
        let target = prop
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| schema.pointer(r.trim_start_matches('#')));
        match target.and_then(|t| t["properties"].as_object()) {
            Some(inner) => fields.extend(inner.keys().map(|k| format!("{section}.{k}"))),
            None => fields.push(section.clone()),
        }
    }
    assert!(fields.len() > 40, "{fields:?}");
    for field in fields {
        if ["rdpgen", "name", "description", "extends"].contains(&field.as_str()) {
            continue;
        }
        let (code, stdout, stderr) = run(rdpgen().args(["explain", &field]));
        assert_eq!(code, 0, "{field}: {stderr}");
        // A nested section (`posture.firewall`) is explained as the section of its fields.
        assert!(
            stdout.starts_with(&format!("{field} — "))
                || stdout.starts_with(&format!("section `{field}`")),
            "{field}: {stdout}"
        );
    }
}

#[test]
fn a_field_names_registry_locations_admx_and_benchmarks() {
    let (code, stdout, _) = run(rdpgen().args(["explain", "security.layer"]));
    assert_eq!(code, 0);
    for needle in [
        "security.layer — Require use of specific security layer for remote (RDP) connections",
        "tls -> policy Enabled: SecurityLayer = REG_DWORD 2",
        "Group Policy: TerminalServer.admx TS_SECURITY_LAYER_POLICY (Machine)",
        r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\SecurityLayer  REG_DWORD",
        r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp\SecurityLayer  REG_DWORD",
        "WMI: Win32_TSGeneralSetting.SecurityLayer",
        "CIS: 18.10.57.3.9.3 L1 (MS+DC): \"tls\"",
        "0x904/0x7 cause C3",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
}

#[test]
fn the_firewall_scope_says_what_it_does_to_other_rules() {
    let (code, stdout, _) = run(rdpgen().args(["explain", "firewall.allowFrom"]));
    assert_eq!(code, 0);
    for needle in [
        "turning Remote Desktop on enables RemoteDesktop-UserMode-In-TCP/UDP (any address, every profile), so an allow rule alone restricts nothing",
        "`rdpgen-<policy>-<TCP|UDP>-In-Block-Outside` blocks the RDP port from every IPv4 and IPv6 address outside `allowFrom` on every profile",
        "while leaving the rules themselves untouched (they stay enabled and are not deleted)",
        "They also override allow rules other administrators add for the port",
        "(RDP049)",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
    let (code, stdout, _) = run(rdpgen().args(["explain", "firewall.builtinRules"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("Values: override | keep"), "{stdout}");
    assert!(
        stdout.contains("the scope is advisory (RDP050)"),
        "{stdout}"
    );
}

#[test]
fn error_0x904_lists_every_cause_with_fields_and_checks() {
    for spelling in ["0x904/0x7", "0x904", "0x00000904 0x7"] {
        let (code, stdout, _) = run(rdpgen().args(["explain", spelling]));
        assert_eq!(code, 0, "{spelling}");
        for title in [
            "C1 expired or corrupt self-signed listener certificate",
            "C2 private key under MachineKeys unreadable by NETWORK SERVICE",
            "C3 SecurityLayer set one way by policy and another on the listener",
            "C4 TLS versions switched off in SCHANNEL",
            "C5 firewall rule missing for the active network profile or port",
            "C6 Remote Desktop or the listener disabled",
            "C7 listener port changed or taken",
            "C8 corrupt client license cache",
            "C9 server licensing misconfigured",
            "C10 CredSSP encryption-oracle mismatch",
            "C11 UDP path problems",
        ] {
            assert!(stdout.contains(title), "{spelling}: missing {title}");
        }
        assert!(stdout.contains("prevented by: `certificate.repairKeyPermissions`"));
        assert!(stdout.contains("rdpgen diff checks:"));
    }
    let (_, json, _) = run(rdpgen().args(["explain", "0x904/0x7", "--format", "json"]));
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kind"], "errorCode");
    assert_eq!(v["causes"].as_array().unwrap().len(), 11);
}

#[test]
fn value_names_codes_and_causes() {
    let (code, stdout, _) = run(rdpgen().args(["explain", "securitylayer"]));
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("registry value `securitylayer`: 1 setting"),
        "{stdout}"
    );
    let (_, stdout, _) = run(rdpgen().args(["explain", "SSLCertificateSHA1Hash"]));
    assert!(
        stdout.contains("certificate.thumbprint — Listener certificate binding"),
        "{stdout}"
    );
    let (code, stdout, _) = run(rdpgen().args(["explain", "RDP030"]));
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("RDP030 (Error): NLA cannot be required with the RDP security layer"),
        "{stdout}"
    );
    let (_, stdout, _) = run(rdpgen().args(["explain", "C2"]));
    assert!(
        stdout.starts_with("C2 private key under MachineKeys"),
        "{stdout}"
    );
    let (_, stdout, _) = run(rdpgen().args(["explain", "redirection"]));
    assert!(
        stdout.starts_with("section `redirection`: 16 settings"),
        "{stdout}"
    );
}

#[test]
fn every_diagnostic_code_is_explained() {
    for code in rdpgen::diagnostic::Code::ALL {
        let (status, stdout, _) = run(rdpgen().args(["explain", code.as_str()]));
        assert_eq!(status, 0);
        assert!(stdout.len() > 60, "{code}: {stdout}");
    }
}

#[test]
fn unknown_topics_suggest_and_exit_two() {
    let (code, _, stderr) = run(rdpgen().args(["explain", "security.layr"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("did you mean `security.layer`?"),
        "{stderr}"
    );
}

//! The coverage fields of issue #15, end to end: a policy that sets every one of them
//! (`tests/fixtures/coverage/all-new-fields.yaml`) builds into every target, and `rdpgen diff`
//! passes a host holding the values written below and fails each one drifted. The expected
//! keys, value names and data are written here from Microsoft's ADMX (and, for Remote
//! Assistance and `DisableRestrictedAdmin`, Microsoft's documentation), not from rdpgen's
//! output.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{only_dir, rdpgen, run, scratch};

const POLICY: &str = "tests/fixtures/coverage/all-new-fields.yaml";
const TS: &str = r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const CREDDEL: &str = r"Software\Policies\Microsoft\Windows\CredentialsDelegation";
const LSA: &str = r"SYSTEM\CurrentControlSet\Control\Lsa";
const TS_CLIENT: &str = r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\Client";

/// (diff check id, key below HKLM, value name, the DWORD the fixture's value writes).
const EXPECTED: &[(&str, &str, &str, u32)] = &[
    ("connection.keepAlive", TS, "KeepAliveEnable", 1),
    (
        "connection.keepAlive:KeepAliveInterval",
        TS,
        "KeepAliveInterval",
        120,
    ),
    ("connection.maxConnections", TS, "MaxInstanceCount", 20),
    ("connection.autoReconnect", TS, "fDisableAutoReconnect", 1),
    ("connection.networkDetect", TS, "SelectNetworkDetect", 3),
    (
        "connection.disconnectOnLock",
        TS,
        "fDisconnectOnLockLegacy",
        1,
    ),
    ("sessions.endSessionAtLimit", TS, "fResetBroken", 1),
    ("sessions.shadow", TS, "Shadow", 3),
    ("redirection.clipboardServerToClient", TS, "SCClipLevel", 0),
    ("redirection.clipboardClientToServer", TS, "CSClipLevel", 1),
    ("redirection.uiAutomation", TS, "EnableUiaRedirection", 0),
    ("redirection.location", TS, "fDisableLocationRedir", 1),
    ("redirection.webAuthn", TS, "fDisableWebAuthn", 1),
    ("redirection.audioCapture", TS, "fDisableAudioCapture", 1),
    ("redirection.camera", TS, "fDisableCameraRedir", 1),
    ("redirection.timeZone", TS, "fEnableTimeZoneRedirection", 1),
    // TS_USB_REDIRECTION_DISABLE's UsbAccessRight item "Administrators and Users".
    ("redirection.usb", TS_CLIENT, "fUsbRedirectionEnableMode", 2),
    ("remoteAssistance.solicited", TS, "fAllowToGetHelp", 0),
    ("remoteAssistance.unsolicited", TS, "fAllowUnsolicited", 0),
    (
        "credentials.allowProtectedCreds",
        CREDDEL,
        "AllowProtectedCreds",
        1,
    ),
    (
        "credentials.restrictedAdmin",
        LSA,
        "DisableRestrictedAdmin",
        0,
    ),
];

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether the file holds `text` as UTF-8 or as UTF-16LE (regedit files, Registry.pol,
/// gpreport.xml).
fn file_holds(path: &Path, text: &str) -> bool {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    contains(&bytes, text.as_bytes()) || contains(&bytes, &utf16(text))
}

fn build() -> PathBuf {
    let out = scratch("coverage-build");
    let (code, _, stderr) = run(rdpgen().args(["build", POLICY, "--out"]).arg(&out));
    assert_eq!(code, 0, "{stderr}");
    out.join("coverage-all")
}

#[test]
fn every_coverage_field_builds_into_every_target() {
    let out = build();
    let gpo = only_dir(&out.join("gpo"));
    let targets = [
        out.join("reg/apply.reg"),
        out.join("pol/Machine/Registry.pol"),
        gpo.join("DomainSysvol/GPO/Machine/registry.pol"),
        out.join("lgpo/machine.txt"),
        out.join("dsc/RdpPosture.ps1"),
        out.join("dsc3/rdp.dsc.yaml"),
        out.join("osquery/fleet-policies.yml"),
        out.join("ansible/apply.yml"),
        out.join("intune/detect.ps1"),
        out.join("intune/remediate.ps1"),
    ];
    for (_, key, name, _) in EXPECTED {
        for target in &targets {
            assert!(
                file_holds(target, name),
                "{} lacks {key}\\{name}",
                target.display()
            );
        }
    }
    // The data, not only the name: Registry.pol (build and GPO) and apply.reg as their readers
    // read them.
    for pol in [
        out.join("pol/Machine/Registry.pol"),
        gpo.join("DomainSysvol/GPO/Machine/registry.pol"),
    ] {
        let entries = rdpgen::formats::registry_pol::read(&std::fs::read(&pol).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", pol.display()));
        for (_, key, name, data) in EXPECTED {
            assert!(
                entries.iter().any(|e| e.key.eq_ignore_ascii_case(key)
                    && e.value_name.eq_ignore_ascii_case(name)
                    && e.value == rdpgen::formats::RegistryValue::Dword(*data)),
                "{}: {key}\\{name} is not REG_DWORD {data}",
                pol.display()
            );
        }
    }
    let apply = rdpgen::formats::reg_file::read(&std::fs::read(out.join("reg/apply.reg")).unwrap())
        .expect("apply.reg reads");
    for (_, key, name, data) in EXPECTED {
        let found = apply.sections.iter().any(|s| match s {
            rdpgen::formats::reg_file::RegSection::Key { path, values } => {
                path.to_ascii_lowercase()
                    .ends_with(&key.to_ascii_lowercase())
                    && values.iter().any(|v| {
                        v.name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                            && v.action
                                == rdpgen::formats::reg_file::RegFileAction::Set(
                                    rdpgen::formats::RegistryValue::Dword(*data),
                                )
                    })
            }
            _ => false,
        });
        assert!(found, "apply.reg: {key}\\{name} is not dword {data}");
    }
    // Every value goes back to its Windows state in the rollbacks.
    for rollback in [
        out.join("reg/rollback.reg"),
        out.join("dsc3/rollback.dsc.yaml"),
        out.join("ansible/rollback.yml"),
    ] {
        for (_, _, name, _) in EXPECTED {
            assert!(
                file_holds(&rollback, name),
                "{} lacks {name}",
                rollback.display()
            );
        }
    }
    // The osquery pack reads every key (the values come back in its results).
    let pack = out.join("osquery/coverage-all.conf");
    for key in [TS, CREDDEL, LSA, TS_CLIENT] {
        let escaped = key.replace('\\', r"\\");
        assert!(file_holds(&pack, &escaped), "the pack does not read {key}");
    }
    // Intune's OMA-URI profile carries the TerminalServer.admx policies (CredSSP, Remote
    // Assistance and the local Lsa value are in the scripts).
    let oma = out.join("intune/oma-uri.json");
    for id in [
        "TS_KEEP_ALIVE",
        "TS_MAX_CON_POLICY",
        "TS_AUTO_RECONNECT",
        "TS_SELECT_NETWORK_DETECT",
        "TS_DISCONNECT_ON_LOCK_POLICY",
        "TS_Session_End_On_Limit_2",
        "TS_RemoteControl_2",
        "TS_CLIENT_CLIPBOARDRESTRICTION_SC",
        "TS_CLIENT_CLIPBOARDRESTRICTION_CS",
        "TS_UIA",
        "TS_USB_REDIRECTION_DISABLE",
        "TS_LOCATION_REDIRECTION",
        "TS_WEBAUTHN",
        "TS_CLIENT_AUDIO_CAPTURE",
        "TS_CAMERA_REDIRECTION",
        "TS_TIME_ZONE",
    ] {
        assert!(
            file_holds(&oma, &format!("ADMX_TerminalServer/{id}")),
            "{id}"
        );
    }
    // The element data: the keep-alive minutes and the connection limit.
    assert!(file_holds(
        &oma,
        r#"<data id=\"TS_KEEP_ALIVE_INTERVAL\" value=\"120\"/>"#
    ));
    assert!(file_holds(
        &oma,
        r#"<data id=\"TS_Maximum_Connections_allowed\" value=\"20\"/>"#
    ));
    // The local DisableRestrictedAdmin reaches the GPO through rdpgen's own template.
    assert!(file_holds(
        &out.join("admx/rdpgen.admx"),
        "DisableRestrictedAdmin"
    ));
    assert!(file_holds(
        &gpo.join("gpreport.xml"),
        "Accept Restricted Admin"
    ));
}

/// A regedit export of the three keys with the values `EXPECTED` names, `drift` replaced.
fn host(dir: &Path, drift: Option<(&str, u32)>) -> PathBuf {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
    for key in [TS, CREDDEL, LSA, TS_CLIENT] {
        text.push_str(&format!("\r\n[HKEY_LOCAL_MACHINE\\{key}]\r\n"));
        for (_, k, name, data) in EXPECTED {
            if k == &key {
                let data = match drift {
                    Some((n, d)) if n == *name => d,
                    _ => *data,
                };
                text.push_str(&format!("\"{name}\"=dword:{data:08x}\r\n"));
            }
        }
    }
    let p = dir.join(format!("{}.reg", drift.map_or("ok", |(n, _)| n)));
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(utf16(&text));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn report(host: &Path) -> (i32, Value) {
    crate::diff_json(POLICY, host)
}

fn outcome(report: &Value, id: &str) -> String {
    crate::check_outcome(report, id)
}

#[test]
fn diff_passes_each_coverage_value_and_fails_it_drifted() {
    let dir = scratch("coverage-diff");
    let (code, r) = report(&host(&dir, None));
    // Only registry values are configured: everything is verified and passes.
    assert_eq!(code, 0, "{r}");
    let checks = r["hosts"][0]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), EXPECTED.len(), "{checks:#?}");
    for (id, ..) in EXPECTED {
        assert_eq!(outcome(&r, id), "pass", "{id}");
    }
    for (id, _, name, data) in EXPECTED {
        // Another value the ADMX could have written (or one it never writes).
        let drifted = if *data == 0 { 1 } else { data - 1 };
        let (code, r) = report(&host(&dir, Some((name, drifted))));
        assert_eq!(code, 1, "{id}: {r}");
        assert_eq!(outcome(&r, id), "fail", "{id}");
        let failed: Vec<&str> = r["hosts"][0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["outcome"] == "fail")
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(failed, [*id], "{name} drifted");
    }
}

#[test]
fn explain_answers_every_coverage_field() {
    for (field, needle) in [
        ("connection.keepAlive", "TS_KEEP_ALIVE"),
        ("connection.maxConnections", "MaxInstanceCount"),
        ("connection.disconnectOnLock", "fDisconnectOnLockLegacy"),
        (
            "sessions.shadow",
            "view-without-consent -> policy Enabled: Shadow = REG_DWORD 4",
        ),
        ("redirection.clipboardServerToClient", "SCClipLevel"),
        ("credentials.restrictedAdmin", "DisableRestrictedAdmin"),
        (
            "remoteAssistance.solicited",
            "RemoteAssistance.admx RA_Solicit",
        ),
        ("remoteAssistance.unsolicited", "Policy CSP documentation"),
    ] {
        let (code, stdout, stderr) = run(rdpgen().args(["explain", field]));
        assert_eq!(code, 0, "{field}: {stderr}");
        assert!(stdout.contains(needle), "{field}: {stdout}");
    }
    let (code, stdout, stderr) = run(rdpgen().args(["explain", "remoteAssistance"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("section `remoteAssistance`: 2 settings"),
        "{stdout}"
    );
}

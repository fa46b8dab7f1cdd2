//! Verdicts are evidence (issue 12): every check passes, fails or is not verified with its
//! reason; a host is compliant only when everything was verified and passed; the exit status
//! of `diff` is 0 compliant, 1 drifted, 3 incomplete (0 with `--allow-incomplete`), 2 could not
//! run. Each input kind is evidence of exactly what it holds.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{available, rdpgen, repo, run, scratch, shared};

const POLICY: &str = "examples/tier1.yaml";

fn compliant() -> Value {
    let text = std::fs::read_to_string(repo().join("examples/hosts/tier1-compliant.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

/// Sets (or adds) one registry value of a snapshot.
fn set_value(v: &mut Value, key: &str, name: &str, kind: &str, data: Value) {
    let reg = v["registry"].as_array_mut().unwrap();
    reg.retain(|r| !(r["key"] == key && r["name"].as_str().unwrap().eq_ignore_ascii_case(name)));
    reg.push(json!({"key": key, "name": name, "type": kind, "data": data}));
}

fn remove_value(v: &mut Value, key: &str, name: &str) {
    v["registry"]
        .as_array_mut()
        .unwrap()
        .retain(|r| !(r["key"] == key && r["name"] == name));
}

fn diff(policy: &str, hosts: &[&Path], extra: &[&str]) -> (i32, String, String) {
    run(rdpgen()
        .args(["diff", "--color", "never", policy])
        .args(extra)
        .args(hosts))
}

fn json_report(policy: &str, host: &Path) -> (i32, Value) {
    let (code, out, err) = diff(policy, &[host], &["--format", "json"]);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
    )
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["hosts"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

const TS: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const TLS12: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server";
const TLS10: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server";

#[test]
fn the_compliant_example_is_compliant_only_with_every_section() {
    let dir = scratch("verdict-sections");
    let (code, r) = json_report(POLICY, &write_json(&dir, "ok.json", &compliant()));
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["hosts"][0]["status"], "compliant");
    for (section, checks) in [
        (
            "certificate",
            &["certificate.expiry", "certificate.privateKey"][..],
        ),
        ("logonRights", &["logonRights.allow", "logonRights.deny"]),
        ("listener", &["consistency.listening"]),
    ] {
        let mut v = compliant();
        v.as_object_mut().unwrap().remove(section);
        let (code, r) = json_report(POLICY, &write_json(&dir, &format!("no-{section}.json"), &v));
        assert_eq!(code, 3, "without `{section}`: {}", r["hosts"][0]["status"]);
        assert_eq!(r["hosts"][0]["status"], "incomplete");
        assert_eq!(r["summary"]["incomplete"], 1);
        for id in checks {
            let c = check(&r, id);
            assert_eq!(c["outcome"], "notVerified", "{c}");
            assert_eq!(c["actual"], "not verified");
            assert!(
                c["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("the inputs hold no"),
                "{c}"
            );
        }
        // --allow-incomplete turns 3 into 0, never 1 into 0.
        let (code, _, _) = diff(
            POLICY,
            &[&dir.join(format!("no-{section}.json"))],
            &["--allow-incomplete"],
        );
        assert_eq!(code, 0);
    }
}

#[test]
fn a_certificate_section_of_null_means_the_listener_has_none() {
    let dir = scratch("verdict-null-cert");
    let mut v = compliant();
    v["certificate"] = Value::Null;
    let (code, r) = json_report(POLICY, &write_json(&dir, "h.json", &v));
    assert_eq!(code, 1);
    let c = check(&r, "certificate.inUse");
    assert_eq!(c["outcome"], "fail");
    assert_eq!(
        c["message"],
        "the collector found no certificate for the RDP-Tcp listener"
    );
}

#[test]
fn schannel_flags_are_booleans_and_wrong_types_fail() {
    let dir = scratch("verdict-types");
    // Any non-zero Enabled turns the protocol on, as SCHANNEL reads it.
    let mut v = compliant();
    set_value(&mut v, TLS12, "Enabled", "REG_DWORD", json!(0xffff_ffffu32));
    let (code, r) = json_report(POLICY, &write_json(&dir, "ffff.json", &v));
    assert_eq!(code, 0, "{r}");
    assert_eq!(
        check(&r, "tls.minVersion:TLS 1.2:Enabled")["outcome"],
        "pass"
    );
    // ...and a non-zero Enabled under TLS 1.0 is on, which the policy forbids.
    let mut v = compliant();
    set_value(&mut v, TLS10, "Enabled", "REG_DWORD", json!(0xffff_ffffu32));
    let (code, r) = json_report(POLICY, &write_json(&dir, "tls10.json", &v));
    assert_eq!(code, 1);
    assert_eq!(
        check(&r, "tls.minVersion:TLS 1.0:Enabled")["outcome"],
        "fail"
    );
    // SecurityLayer as REG_SZ "2": Windows reads a DWORD and ignores it.
    let mut v = compliant();
    set_value(&mut v, TS, "SecurityLayer", "REG_SZ", json!("2"));
    let (code, r) = json_report(POLICY, &write_json(&dir, "sz.json", &v));
    assert_eq!(code, 1);
    let c = check(&r, "security.layer");
    assert_eq!(c["outcome"], "fail");
    assert_eq!(
        c["message"],
        "SecurityLayer is REG_SZ \"2\" in the policy key: Windows reads SecurityLayer as REG_DWORD and ignores a REG_SZ; the policy wants REG_DWORD 2 (tls)"
    );
    // A REG_NONE value (what the old collector could record) is a type failure too.
    let mut v = compliant();
    set_value(
        &mut v,
        TS,
        "UserAuthentication",
        "REG_NONE",
        json!("01000000"),
    );
    let (code, r) = json_report(POLICY, &write_json(&dir, "none.json", &v));
    assert_eq!(code, 1);
    assert!(
        check(&r, "security.nla")["message"]
            .as_str()
            .unwrap()
            .contains("ignores a REG_NONE"),
        "{r}"
    );
    // A value the collector's registry section lacks is not set: a failure, not a skip.
    let mut v = compliant();
    remove_value(&mut v, TS, "MinEncryptionLevel");
    let (code, r) = json_report(POLICY, &write_json(&dir, "absent.json", &v));
    assert_eq!(code, 1);
    let c = check(&r, "security.encryption");
    assert_eq!(c["outcome"], "fail");
    assert_eq!(c["actual"], "absent");
}

fn logon_rights(allow: &[&str], deny: &[&str]) -> Value {
    json!({"SeRemoteInteractiveLogonRight": allow, "SeDenyRemoteInteractiveLogonRight": deny})
}

#[test]
fn logon_rights_are_exact_sets_of_sids() {
    let dir = scratch("verdict-rights");
    let cases: [(&str, Value, i32, &str, &str); 5] = [
        (
            "names-for-sids",
            // Names Windows could not turn into SIDs still count when they are well known.
            logon_rights(
                &["BUILTIN\\Administrators", "*S-1-5-32-555"],
                &["Guests", "*S-1-5-113"],
            ),
            0,
            "logonRights.deny",
            "SeDenyRemoteInteractiveLogonRight holds exactly Guests, Local account (S-1-5-113)",
        ),
        (
            "extra",
            logon_rights(
                &["*S-1-5-32-544", "*S-1-5-32-555", "*S-1-1-0"],
                &["*S-1-5-32-546", "*S-1-5-113"],
            ),
            1,
            "logonRights.allow",
            "SeRemoteInteractiveLogonRight also holds Everyone (S-1-1-0)",
        ),
        (
            "missing",
            logon_rights(&["*S-1-5-32-544", "*S-1-5-32-555"], &["*S-1-5-32-546"]),
            1,
            "logonRights.deny",
            "SeDenyRemoteInteractiveLogonRight lacks Local account (S-1-5-113)",
        ),
        (
            "empty",
            logon_rights(&[], &["*S-1-5-32-546", "*S-1-5-113"]),
            1,
            "logonRights.allow",
            "SeRemoteInteractiveLogonRight lacks Administrators (S-1-5-32-544), Remote Desktop Users (S-1-5-32-555)",
        ),
        (
            "both",
            logon_rights(
                &["*S-1-5-32-544", "*S-1-5-21-1-2-3-1105"],
                &["*S-1-5-32-546", "*S-1-5-113"],
            ),
            1,
            "logonRights.allow",
            "SeRemoteInteractiveLogonRight lacks Remote Desktop Users (S-1-5-32-555) and also holds S-1-5-21-1-2-3-1105",
        ),
    ];
    for (name, rights, code, id, message) in cases {
        let mut v = compliant();
        v["logonRights"] = rights;
        let (got, r) = json_report(POLICY, &write_json(&dir, &format!("{name}.json"), &v));
        assert_eq!(got, code, "{name}: {r}");
        assert_eq!(check(&r, id)["message"], message, "{name}");
    }
}

#[test]
fn domain_groups_match_their_well_known_relative_ids() {
    let dir = scratch("verdict-domain");
    let policy = dir.join("p.yaml");
    std::fs::write(
        &policy,
        "rdpgen: 1\nname: deny-admins\nlogonRights:\n  deny: [Domain Admins, Enterprise Admins, Local account, Guests]\n",
    )
    .unwrap();
    let mut v = compliant();
    v["logonRights"] = logon_rights(
        &["*S-1-5-32-544"],
        &[
            "*S-1-5-21-100-200-300-512",
            "*S-1-5-21-100-200-300-519",
            "*S-1-5-113",
            "*S-1-5-32-546",
        ],
    );
    let (code, r) = json_report(policy.to_str().unwrap(), &write_json(&dir, "h.json", &v));
    assert_eq!(code, 0, "{r}");
    // A domain group Windows exported by name matches too; a different RID does not.
    v["logonRights"] = logon_rights(
        &[],
        &[
            "CORP\\Domain Admins",
            "*S-1-5-21-100-200-300-518",
            "*S-1-5-113",
            "*S-1-5-32-546",
        ],
    );
    let (code, r) = json_report(policy.to_str().unwrap(), &write_json(&dir, "h2.json", &v));
    assert_eq!(code, 1);
    assert_eq!(
        check(&r, "logonRights.deny")["message"],
        "SeDenyRemoteInteractiveLogonRight lacks Enterprise Admins and also holds S-1-5-21-100-200-300-518"
    );
}

fn reg_export(dir: &Path, name: &str, text: &str) -> PathBuf {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn a_reg_export_is_evidence_of_its_keys_only() {
    let dir = scratch("verdict-reg");
    // The policy key only, with every value tier1 wants there except MinEncryptionLevel.
    let policy_key = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\r\n\"SecurityLayer\"=dword:00000002\r\n\r\n";
    let p = reg_export(&dir, "policy-key.reg", policy_key);
    let (code, r) = json_report(POLICY, &p);
    assert_eq!(code, 1, "{r}");
    // A value absent from an exported key is not set: a failure.
    let c = check(&r, "security.encryption");
    assert_eq!(c["outcome"], "fail");
    assert_eq!(check(&r, "security.layer")["outcome"], "pass");
    // A key absent from the export is not verified.
    let c = check(&r, "tls.minVersion:TLS 1.2:Enabled");
    assert_eq!(c["outcome"], "notVerified");
    assert_eq!(
        c["message"],
        r"the inputs hold no evidence of `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server` (they cover 1 exported keys)"
    );
    assert_eq!(check(&r, "connection.port")["outcome"], "notVerified");
    // The text report lists what was not verified without --verbose.
    let (_, text, _) = diff(POLICY, &[&p], &[]);
    assert!(
        text.contains("not verified certificate.expiry: the inputs hold no listener certificate"),
        "{text}"
    );
}

#[test]
fn exit_status_is_the_worst_host() {
    let dir = scratch("verdict-exit");
    let ok = write_json(&dir, "a-ok.json", &compliant());
    let mut v = compliant();
    v.as_object_mut().unwrap().remove("logonRights");
    let incomplete = write_json(&dir, "b-incomplete.json", &v);
    let mut v = compliant();
    set_value(&mut v, TS, "SecurityLayer", "REG_DWORD", json!(1));
    let drifted = write_json(&dir, "c-drifted.json", &v);
    let broken = dir.join("d-broken.json");
    std::fs::write(&broken, "{").unwrap();
    for (hosts, code) in [
        (vec![ok.as_path()], 0),
        (vec![&ok, &incomplete], 3),
        (vec![&ok, &incomplete, &drifted], 1),
        (vec![&ok, &broken], 1),
    ] {
        let (got, out, err) = diff(POLICY, &hosts, &[]);
        assert_eq!(got, code, "{hosts:?}: {out}{err}");
    }
    let (_, out, _) = diff(POLICY, &[&ok, &incomplete, &drifted, &broken], &[]);
    assert!(
        out.contains("4 hosts: 1 compliant, 1 drifted, 1 incomplete, 1 unreadable"),
        "{out}"
    );
    // 2: rdpgen could not run (no such host file; an invalid policy).
    let (code, _, _) = diff(POLICY, &[&dir.join("missing.json")], &[]);
    assert_eq!(code, 2);
}

#[test]
fn a_gpo_backup_is_a_host_with_its_logon_rights() {
    let out = scratch("verdict-gpo");
    let (code, _, err) = run(rdpgen()
        .args(["build", POLICY, "--target", "gpo", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    let backup = out.join("tier1-servers/gpo");
    // The backup folder (manifest.xml) holds one GPO: registry.pol and GptTmpl.inf pass; the
    // certificate and listener state are not in a GPO.
    let (code, r) = json_report(POLICY, &backup);
    assert_eq!(code, 3, "{r}");
    assert_eq!(r["hosts"][0]["host"], "RDP - Tier 1 servers");
    assert_eq!(check(&r, "logonRights.allow")["outcome"], "pass");
    assert_eq!(check(&r, "logonRights.deny")["outcome"], "pass");
    assert_eq!(check(&r, "security.layer")["outcome"], "pass");
    assert_eq!(check(&r, "certificate.expiry")["outcome"], "notVerified");
    assert!(
        r["hosts"][0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] != "fail")
    );
    // The same GPO against a policy that denies more accounts drifts.
    let stricter = out.join("stricter.yaml");
    std::fs::write(
        &stricter,
        "rdpgen: 1\nname: stricter\nextends: [cis-level1]\nlogonRights:\n  deny: [Guests, Local account, Domain Admins]\n",
    )
    .unwrap();
    let (code, r) = json_report(stricter.to_str().unwrap(), &backup);
    assert_eq!(code, 1);
    assert_eq!(
        check(&r, "logonRights.deny")["message"],
        "SeDenyRemoteInteractiveLogonRight lacks Domain Admins"
    );
}

#[test]
fn microsofts_member_server_baseline_is_drifted_against_the_stig() {
    let gpo =
        shared().join("reference/baseline-gpos/Server2025/{BA069D5A-8C6F-434C-8EB0-1E19E07AA976}");
    if !available("../shared/reference/baseline-gpos", gpo.is_dir()) {
        return;
    }
    let dir = scratch("verdict-stig");
    let policy = dir.join("p.yaml");
    std::fs::write(&policy, "rdpgen: 1\nname: stig-only\nextends: [stig]\n").unwrap();
    let (code, r) = json_report(policy.to_str().unwrap(), &gpo);
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        r["hosts"][0]["host"],
        "MSFT Windows Server 2025 - Member Server"
    );
    // WN22-MS-000120 denies Enterprise Admins and Domain Admins too; the baseline does not.
    assert_eq!(
        check(&r, "logonRights.deny")["message"],
        "SeDenyRemoteInteractiveLogonRight lacks Enterprise Admins, Domain Admins"
    );
    // Every registry item of the STIG baseline is in Microsoft's GPO.
    for id in [
        "security.promptForPassword",
        "security.secureRpc",
        "security.encryption",
        "security.disablePasswordSaving",
        "redirection.drives",
    ] {
        assert_eq!(check(&r, id)["outcome"], "pass", "{id}");
    }
}

#[test]
fn microsofts_member_server_baseline_has_no_drift_against_msft_baseline() {
    let gpo =
        shared().join("reference/baseline-gpos/Server2025/{BA069D5A-8C6F-434C-8EB0-1E19E07AA976}");
    if !available("../shared/reference/baseline-gpos", gpo.is_dir()) {
        return;
    }
    let dir = scratch("verdict-msft");
    let policy = dir.join("p.yaml");
    std::fs::write(
        &policy,
        "rdpgen: 1\nname: msft-only\nextends: [msft-baseline]\n",
    )
    .unwrap();
    let (code, r) = json_report(policy.to_str().unwrap(), &gpo);
    assert_eq!(code, 0, "{r}");
    assert_eq!(
        r["hosts"][0]["host"],
        "MSFT Windows Server 2025 - Member Server"
    );
    // Every item of the baseline is checked and passes: nothing unverified, nothing waived.
    let checks = r["hosts"][0]["checks"].as_array().unwrap();
    for id in [
        "security.encryption",
        "security.promptForPassword",
        "security.secureRpc",
        "security.disablePasswordSaving",
        "redirection.drives",
        "credentials.encryptionOracle",
        "credentials.allowProtectedCreds",
        "logonRights.deny",
    ] {
        assert_eq!(check(&r, id)["outcome"], "pass", "{id}");
    }
    assert!(checks.iter().all(|c| c["outcome"] == "pass"), "{checks:#?}");
}

#[test]
fn a_folder_that_is_no_gpo_is_not_read_as_one() {
    let dir = scratch("verdict-nogpo");
    std::fs::create_dir_all(dir.join("host/Machine")).unwrap();
    std::fs::write(dir.join("host/notes.txt"), "x").unwrap();
    // No gpt.ini beside Machine: an ordinary host directory, which holds no host files.
    let (code, out, _) = diff(POLICY, &[&dir], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("UNREADABLE host: the directory holds no host files"),
        "{out}"
    );
}

#[test]
fn an_exported_key_covers_its_subtree() {
    let dir = scratch("verdict-subtree");
    // `reg export ...\SCHANNEL\Protocols` writes every subkey: TLS 1.0\Server is absent here,
    // so its values are not set (a failure), not unverified.
    let text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols]\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server]\r\n\"Enabled\"=dword:00000001\r\n\"DisabledByDefault\"=dword:00000000\r\n\r\n";
    let p = reg_export(&dir, "schannel.reg", text);
    let (code, r) = json_report(POLICY, &p);
    assert_eq!(code, 1);
    assert_eq!(
        check(&r, "tls.minVersion:TLS 1.2:Enabled")["outcome"],
        "pass"
    );
    let c = check(&r, "tls.minVersion:TLS 1.0:Enabled");
    assert_eq!(c["outcome"], "fail");
    assert_eq!(c["actual"], "absent");
    // Keys outside the exported subtree stay unverified.
    assert_eq!(check(&r, "connection.port")["outcome"], "notVerified");
}

/// A report that prints no passing check (text without `--verbose`, HTML, SARIF, GitHub,
/// `--only-findings`) audits with `Expected::without_passed_text`: a passing registry check
/// then carries no text, and nothing else changes. For every example policy against every
/// example host: the same checks in the same order with the same ids, fields, areas,
/// outcomes, severities and sources, every check that does not pass identical, and the same
/// verdict; some passing checks did skip their text.
#[test]
fn reports_without_passing_checks_skip_only_their_text() {
    use rdpgen::audit::compare::{Expected, Outcome, audit_expected};
    let mut lean_passes = 0;
    let mut compared = 0;
    for policy in std::fs::read_dir(repo().join("examples")).unwrap() {
        let policy = policy.unwrap().path();
        if policy.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&policy).unwrap();
        let (_, compiled) = rdpgen::compile::compile_str(&text);
        let model = compiled.model.unwrap().unwrap();
        let full = Expected::new(&model);
        let lean = Expected::new(&model).without_passed_text();
        for host in std::fs::read_dir(repo().join("examples/hosts")).unwrap() {
            let host = host.unwrap().path();
            let state = rdpgen::audit::snapshot::read_file(&host).unwrap();
            let (a, b) = (audit_expected(&full, &state), audit_expected(&lean, &state));
            let shown = format!("{} vs {}", policy.display(), host.display());
            assert_eq!(a.status, b.status, "{shown}");
            assert_eq!(a.checks.len(), b.checks.len(), "{shown}");
            for (x, y) in a.checks.iter().zip(&b.checks) {
                let key = |c: &rdpgen::audit::compare::Check| {
                    (
                        c.id.clone(),
                        c.field.clone(),
                        c.area,
                        c.outcome,
                        c.severity,
                        c.source,
                    )
                };
                assert_eq!(key(x), key(y), "{shown}");
                if x.outcome != Outcome::Pass {
                    assert_eq!(x, y, "{shown}");
                } else if y.message.is_empty() {
                    assert!(!x.message.is_empty() && y.location.is_empty() && y.fix.is_none());
                    lean_passes += 1;
                }
            }
            compared += 1;
        }
    }
    assert!(compared >= 30, "{compared} policy/host pairs");
    assert!(
        lean_passes > 100,
        "{lean_passes} passing checks without text"
    );
}

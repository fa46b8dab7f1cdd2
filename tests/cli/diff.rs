//! `rdpgen diff` and `rdpgen collector`: the example hosts give the right exit codes and
//! findings in every format (reviewed golden reports in tests/golden/diff), fleets stream, bad
//! host files are reported without stopping the run, and the collector is proven read-only.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{rdpgen, repo, run, scratch};

const POLICY: &str = "examples/tier1.yaml";

fn diff(args: &[&str]) -> (i32, String, String) {
    // A fixed report date, so the golden reports are reproducible.
    run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "1795514400")
        .args(["diff", "--color", "never", POLICY])
        .args(args))
}

fn golden(name: &str, actual: &str) {
    crate::assert_snapshot(&format!("tests/golden/diff/{name}"), actual);
}

#[test]
fn each_example_host_gives_its_exit_code_and_findings() {
    for (host, code, needles) in [
        (
            "tier1-compliant.json",
            0,
            &["compliant RDS-T1-01: 68 checks passed, all verified"][..],
        ),
        (
            "tier1-firewall-equal.json",
            0,
            &["compliant RDS-T1-05: 68 checks passed, all verified"],
        ),
        (
            // The export holds the policy key, the listener key and Lsa only: nothing fails, and
            // TLS, the firewall, the certificate and the logon rights were never seen.
            "tier1-export.reg",
            3,
            &[
                "INCOMPLETE tier1-export: 0 findings, 38 not verified, 29 passed (evidence: 3 exported keys)",
                r"not verified tls.minVersion:TLS 1.2:Enabled: the inputs hold no evidence of `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server` (they cover 3 exported keys)",
                "not verified firewall:rdpgen-tier1-servers-TCP-In: the inputs hold no firewall rules",
                "not verified firewall.effective: the inputs hold neither the Group Policy firewall rules nor the collector's rule list, so what Windows Firewall admits cannot be decided (they cover 3 exported keys)",
                "not verified certificate.expiry: the inputs hold no listener certificate",
                "not verified logonRights.deny: the inputs hold no logon rights",
                "not verified posture.accountLockout.threshold: the inputs hold no account lockout policy",
            ],
        ),
        (
            "tier1-drifted.json",
            1,
            &[
                "error   security.layer: SecurityLayer is REG_DWORD 1 (negotiate) in the policy key; the policy wants REG_DWORD 2 (tls) [0x904/0x7 cause C3]",
                "error   posture.accountLockout.threshold: LockoutBadCount is 0 (never locks); the policy wants at most 5 failed logons (not 0)",
                "error   redirection.drives: fDisableCdm is not set; the policy wants REG_DWORD 1 (false)",
                "error   consistency.tls12: TLS 1.2 is disabled on the server while the security layer needs TLS [0x904/0x7 cause C4]",
                "error   firewall:rdpgen-tier1-servers-UDP-In: the allow rule `rdpgen-tier1-servers-UDP-In` is missing",
                "warning consistency.networkCategory:Ethernet0: interface `Ethernet0` is categorised Public",
                "error   logonRights.allow: SeRemoteInteractiveLogonRight also holds Users (S-1-5-32-545)",
                "error   logonRights.deny: SeDenyRemoteInteractiveLogonRight lacks Local account (S-1-5-113)",
            ],
        ),
        (
            // What rdpgen wrote before it enforced the scope: allow rules only. Windows' own
            // rules and a vendor rule admit RDP from outside allowFrom; Public drops local
            // rules (AllowLocalPolicyMerge 0 in the policy), so it is not named there, and the
            // disabled Shadow rule is no finding.
            "tier1-builtin-widens.json",
            1,
            &[
                "error   firewall.effective:local:RemoteDesktop-UserMode-In-TCP: rule `RemoteDesktop-UserMode-In-TCP` (\"Remote Desktop - User Mode (TCP-In)\", local store, remote addresses any) lets RDP in from 0.0.0.0-10.19.255.255,10.21.0.0-192.168.9.255,192.168.11.0-255.255.255.255,any IPv6 on Domain; from any on Private, outside `firewall.allowFrom`",
                "error   firewall.effective:local:RemoteDesktop-UserMode-In-UDP: rule `RemoteDesktop-UserMode-In-UDP` (\"Remote Desktop - User Mode (UDP-In)\", local store, remote addresses any)",
                "error   firewall.effective:local:{6F2A1B9E-0C1D-4E55-9A7B-3C2D1E0F9A88}: rule `{6F2A1B9E-0C1D-4E55-9A7B-3C2D1E0F9A88}` (\"Open RDP for vendor\", local store, remote addresses 198.51.100.0/24,2001:db8:77::/48) lets RDP in from 198.51.100.0/24,2001:db8:77::/48 on Domain, outside `firewall.allowFrom`",
                "error   firewall:rdpgen-tier1-servers-TCP-In-Block-Outside: the block rule `rdpgen-tier1-servers-TCP-In-Block-Outside` is missing: other allow rules can widen the policy's scope\n",
            ],
        ),
        (
            "tier1-expired-selfsigned.json",
            1,
            &[
                "error   certificate.expiry: the listener certificate expired on 2026-10-01T10:12:00Z [0x904/0x7 cause C1]",
                "error   certificate.selfSigned: the listener uses a self-signed certificate, which the policy does not allow [0x904/0x7 cause C1]",
                "error   certificate.privateKey: NETWORK SERVICE cannot read the private key file under MachineKeys [0x904/0x7 cause C2]",
            ],
        ),
        (
            "tier1-policy-vs-local.json",
            1,
            &[
                "error   security.layer: SecurityLayer is REG_DWORD 0 (rdp) locally, with no policy value; the policy wants REG_DWORD 2 (tls) [0x904/0x7 cause C3]",
                r"at HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp\SecurityLayer",
                "fix: deploy this policy (its GPO, `reg/apply.reg` or DSC): it sets SecurityLayer to REG_DWORD 2 (tls)",
            ],
        ),
    ] {
        let (status, stdout, stderr) = diff(&[&format!("examples/hosts/{host}")]);
        assert_eq!(status, code, "{host}: {stdout}{stderr}");
        for needle in needles {
            assert!(
                stdout.contains(needle),
                "{host}: missing {needle:?} in\n{stdout}"
            );
        }
    }
}

#[test]
fn the_policy_value_wins_over_the_local_value() {
    // RDS-T1-04 has UserAuthentication 1 in the policy key and 0 on the listener: compliant.
    let (_, stdout, _) = diff(&["--verbose", "examples/hosts/tier1-policy-vs-local.json"]);
    assert!(
        stdout.contains(
            "ok      security.nla: UserAuthentication is REG_DWORD 1 (true) in the policy key"
        ),
        "{stdout}"
    );
}

#[test]
fn golden_reports_in_every_format() {
    for (format, file) in [
        ("text", "fleet.txt"),
        ("json", "fleet.json"),
        ("sarif", "fleet.sarif"),
        ("junit", "fleet.junit.xml"),
        ("html", "fleet.html"),
    ] {
        let (code, stdout, stderr) = diff(&["--format", format, "examples/hosts"]);
        assert_eq!(code, 1, "{format}: {stderr}");
        golden(file, &stdout);
    }
}

#[test]
fn machine_formats_are_well_formed() {
    let (_, json, _) = diff(&["--format", "json", "examples/hosts"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["hosts"], 7);
    assert_eq!(v["summary"]["compliant"], 2);
    assert_eq!(v["summary"]["drifted"], 4);
    assert_eq!(v["summary"]["incomplete"], 1);
    assert_eq!(v["summary"]["unreadable"], 0);
    let (_, sarif, _) = diff(&["--format", "sarif", "examples/hosts"]);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 62);
    let rules: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut kinds = std::collections::BTreeMap::new();
    for r in results {
        assert!(rules.contains(&r["ruleId"].as_str().unwrap()), "{r}");
        // SARIF 2.1.0: a result whose kind is not `fail` has level `none`.
        match r["kind"].as_str().unwrap() {
            "fail" => assert!(["error", "warning"].contains(&r["level"].as_str().unwrap())),
            "review" => assert_eq!(r["level"], "none", "{r}"),
            other => panic!("unexpected kind {other}"),
        }
        *kinds
            .entry(r["kind"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    assert_eq!(kinds["fail"], 24, "{kinds:?}");
    assert_eq!(kinds["review"], 38, "{kinds:?}");
    let (_, junit, _) = diff(&["--format", "junit", "examples/hosts"]);
    let mut reader = quick_xml::Reader::from_str(&junit);
    let (mut suites, mut failures, mut skipped) = (0, 0, 0);
    loop {
        match reader
            .read_event()
            .expect("JUnit output is well-formed XML")
        {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == "testsuite" => suites += 1,
            quick_xml::events::Event::Start(e) if e.name().as_ref() == "failure" => failures += 1,
            quick_xml::events::Event::Empty(e) if e.name().as_ref() == "skipped" => skipped += 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((suites, failures, skipped), (7, 24, 38));
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn unreadable_hosts_are_reported_and_the_rest_go_on() {
    let dir = scratch("fleet-bad");
    let good = std::fs::read_to_string(repo().join("examples/hosts/tier1-compliant.json")).unwrap();
    write(&dir, "a-good.json", &good);
    write(&dir, "b-broken.json", "{\"rdpgenSnapshot\": 1, \"host\": ");
    write(
        &dir,
        "c-future.json",
        &good.replace("\"rdpgenSnapshot\": 1", "\"rdpgenSnapshot\": 9"),
    );
    write(
        &dir,
        "d-huge.json",
        &good.replace("RDS-T1-01", &"x".repeat(100_000)),
    );
    std::fs::write(dir.join("e-trunc.reg"), b"\xff\xfeW\x00i\x00n\x00").unwrap();
    std::fs::write(dir.join("f-lying.pol"), b"PReg\x01\x00\x00\x00[\x00S\x00\x00\x00;\x00a\x00\x00\x00;\x00\x04\x00\x00\x00;\x00\xff\xff\x00\x00;\x00").unwrap();
    let (code, stdout, stderr) = diff(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    for needle in [
        "compliant RDS-T1-01",
        "UNREADABLE b-broken: invalid JSON at line 1, column",
        "UNREADABLE c-future: unsupported snapshot version 9; this rdpgen reads version 1",
        "UNREADABLE d-huge: a string is longer than 65536 characters",
        "UNREADABLE e-trunc: .reg line 1, column 1: not a registry export: the first line is not the header",
        "UNREADABLE f-lying: Registry.pol offset 28 (0x1c): the size field says 65535 bytes but only 0 bytes remain",
        "6 hosts: 1 compliant, 0 drifted, 0 incomplete, 5 unreadable",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
}

#[test]
fn subdirectories_are_hosts_whose_files_merge() {
    let dir = scratch("fleet-merge");
    let reg = std::fs::read(repo().join("examples/hosts/tier1-export.reg")).unwrap();
    std::fs::create_dir_all(dir.join("WEB01")).unwrap();
    std::fs::write(dir.join("WEB01/terminal-services.reg"), &reg).unwrap();
    // A second export of the SCHANNEL keys with TLS 1.2 disabled: merged into the same host.
    let schannel = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server]\r\n\"Enabled\"=dword:00000000\r\n\"DisabledByDefault\"=dword:00000001\r\n\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(schannel.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.join("WEB01/schannel.reg"), bytes).unwrap();
    let (code, stdout, _) = diff(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("DRIFTED WEB01: 3 findings, 36 not verified"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tls.minVersion:TLS 1.2:Enabled"),
        "{stdout}"
    );
    assert!(stdout.contains("consistency.tls12"), "{stdout}");
}

#[test]
fn a_gpo_registry_pol_is_compared_with_the_policy() {
    let out = scratch("pol");
    let (code, _, _) = run(rdpgen()
        .args(["build", POLICY, "--target", "pol", "--out"])
        .arg(&out));
    assert_eq!(code, 0);
    let pol = out.join("tier1-servers/pol/Machine/Registry.pol");
    // Every registry value of the policy passes; the certificate, the logon rights and the
    // listener flags are not in a Registry.pol: incomplete, exit 3 (0 with --allow-incomplete).
    let (code, stdout, _) = diff(&[pol.to_str().unwrap()]);
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("INCOMPLETE Registry: 0 findings, 21 not verified, 46 passed (evidence: the Group Policy keys)"),
        "{stdout}"
    );
    let (code, _, _) = diff(&["--allow-incomplete", pol.to_str().unwrap()]);
    assert_eq!(code, 0);
    // The same GPO against a different policy drifts.
    let (code, stdout, _) = run(rdpgen()
        .args(["diff", "--color", "never", "examples/dmz-jump.yaml"])
        .arg(&pol));
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "connection.port: PortNumber is REG_DWORD 3389; the policy wants REG_DWORD 53389"
        ),
        "{stdout}"
    );
}

#[test]
fn hostile_host_names_cannot_break_reports() {
    let dir = scratch("hostile");
    let good = std::fs::read_to_string(repo().join("examples/hosts/tier1-drifted.json")).unwrap();
    let evil = "<script>alert(1)</script>\\u001b[31m]]>&\\u0000\\\"/></testcase><testcase name=\\\"x\\u202e";
    write(&dir, "evil.json", &good.replace("RDS-T1-02", evil));
    let (_, html, _) = diff(&["--format", "html", dir.to_str().unwrap()]);
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let (_, junit, _) = diff(&["--format", "junit", dir.to_str().unwrap()]);
    let mut reader = quick_xml::Reader::from_str(&junit);
    while !matches!(
        reader.read_event().expect("well-formed"),
        quick_xml::events::Event::Eof
    ) {}
    assert!(!junit.contains('\u{0}') && !junit.contains('\u{1b}') && !junit.contains('\u{202e}'));
    // The host's name stays one attribute value: no test case it did not produce.
    assert!(!junit.contains("</testcase><testcase"), "{junit}");
    let root = rdpgen::formats::xml::parse(&junit).expect("well-formed");
    let shown = "<script>alert(1)</script>\u{FFFD}[31m]]>&\u{FFFD}\"/></testcase><testcase name=\"x\u{FFFD}";
    assert!(
        root.elements()
            .any(|suite| suite.attribute("name") == Some(shown)),
        "{junit}"
    );
    let (_, text, _) = diff(&[dir.to_str().unwrap()]);
    assert!(
        !text.contains('\u{1b}'),
        "no terminal escapes from snapshots"
    );
}

#[test]
fn a_fleet_streams_with_a_summary() {
    let dir = scratch("fleet");
    let good = std::fs::read_to_string(repo().join("examples/hosts/tier1-compliant.json")).unwrap();
    let bad = std::fs::read_to_string(repo().join("examples/hosts/tier1-drifted.json")).unwrap();
    for i in 0..600 {
        let text = if i % 3 == 0 {
            bad.replace("RDS-T1-02", &format!("H{i:04}"))
        } else {
            good.replace("RDS-T1-01", &format!("H{i:04}"))
        };
        write(&dir, &format!("h{i:04}.json"), &text);
    }
    let (code, stdout, _) = diff(&["--format", "json", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["summary"]["hosts"], 600);
    assert_eq!(v["summary"]["drifted"], 200);
    let hosts: Vec<&str> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    let mut sorted = hosts.clone();
    sorted.sort_unstable();
    assert_eq!(
        hosts, sorted,
        "reports list hosts in input order, whatever the thread scheduling"
    );
}

#[test]
fn bad_invocations_exit_two() {
    let (code, _, stderr) = diff(&["does/not/exist"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read `does/not/exist`"), "{stderr}");
    let dir = scratch("badpolicy");
    let policy = write(
        &dir,
        "p.yaml",
        "rdpgen: 1\nname: x\nsecurity:\n  nla: maybe\n",
    );
    let (code, _, stderr) = run(rdpgen().args(["diff"]).arg(&policy).arg("examples/hosts"));
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a valid policy"), "{stderr}");
    let (code, _, stderr) = run(rdpgen().args(["diff", POLICY, "--local"]));
    if cfg!(windows) {
        assert_ne!(code, 2);
    } else {
        assert_eq!(code, 2);
        assert!(stderr.contains("works only on Windows"), "{stderr}");
    }
}

#[test]
fn example_snapshots_match_the_snapshot_schema() {
    let (code, schema, _) = run(rdpgen().args(["schema", "--snapshot"]));
    assert_eq!(code, 0);
    let schema: Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(schema["title"], "rdpgen host snapshot");
    let validator = jsonschema::validator_for(&schema).unwrap();
    for entry in std::fs::read_dir(repo().join("examples/hosts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        }
    }
}

#[test]
fn the_collector_is_read_only() {
    let (code, script, _) = run(rdpgen().arg("collector"));
    assert_eq!(code, 0);
    assert!(script.contains("rdpgenSnapshot = 1"));
    for key in [
        r"'SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services'",
        r"'SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server'",
    ] {
        assert!(script.contains(key), "{key}");
    }
    // .ci/check-readonly.py parses with the validators' venv.
    if crate::tree_sitter_python().is_none() {
        return;
    }
    let dir = scratch("collector");
    let path = write(&dir, "collector.ps1", &script);
    let (code, stdout, stderr) = run(std::process::Command::new("python3")
        .arg(repo().join(".ci/check-readonly.py"))
        .arg(&path));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("all on the read-only lists"), "{stdout}");
    // And the proof can fail: a writing command in the same script is caught.
    let tampered = write(
        &dir,
        "tampered.ps1",
        &script.replace(
            "$registry = @()",
            "Set-ItemProperty -Path 'HKLM:\\x' -Name y -Value 1\n$registry = @()",
        ),
    );
    let (code, stdout, _) = run(std::process::Command::new("python3")
        .arg(repo().join(".ci/check-readonly.py"))
        .arg(&tampered));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("command `Set-ItemProperty` is not on the read-only list"),
        "{stdout}"
    );
}

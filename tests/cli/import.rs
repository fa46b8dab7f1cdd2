//! `rdpgen import`: every example round-trips through every source kind `build` writes (the
//! rebuilt Registry.pol entries and GptTmpl.inf rights equal the original's), Microsoft's
//! Server 2025 baselines import to policies whose build invents nothing and keeps every
//! Terminal Services / CredSSP entry and the RDS logon rights, and bad input fails with the
//! file and position, writing nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rdpgen::formats::registry_pol;
use rdpgen::formats::security_template;

use crate::{available, only_dir, rdpgen, repo, run, scratch, shared};

type Entries = BTreeSet<(String, String, String)>;

fn pol(path: &Path) -> Entries {
    registry_pol::read(&std::fs::read(path).unwrap())
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.key.to_ascii_lowercase(),
                e.value_name.to_ascii_lowercase(),
                format!("{:?}", e.value),
            )
        })
        .collect()
}

/// The Remote Desktop rights of a GptTmpl.inf, as SID sets.
fn rds_rights(path: &Path) -> Vec<(String, BTreeSet<String>)> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let mut out: Vec<_> = security_template::read(&bytes)
        .unwrap()
        .privilege_rights
        .into_iter()
        .filter(|r| r.name.contains("RemoteInteractiveLogonRight"))
        .map(|r| {
            (
                r.name,
                r.members
                    .iter()
                    .map(|m| m.trim_start_matches('*').to_ascii_uppercase())
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out
}

const GPT_TMPL: &str = "DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf";

fn build(policy: &Path, out: &Path) -> PathBuf {
    let (code, _, stderr) = run(rdpgen()
        .args(["build"])
        .arg(policy)
        .arg("--out")
        .arg(out)
        .args(["--target", "pol,gpo"]));
    assert_eq!(code, 0, "{}: {stderr}", policy.display());
    only_dir(out)
}

fn import(args: &[&Path], extra: &[&str], output: &Path) -> (i32, String, String) {
    run(rdpgen()
        .arg("import")
        .args(args)
        .args(extra)
        .arg("--output")
        .arg(output))
}

fn validate_ok(path: &Path) {
    let (code, stdout, stderr) = run(rdpgen().arg("validate").arg(path));
    assert_eq!(
        code,
        0,
        "{stdout}{stderr}\n{}",
        std::fs::read_to_string(path).unwrap()
    );
}

#[test]
fn every_example_round_trips_through_every_source_kind() {
    for example in ["tier1", "dmz-jump", "workgroup", "break-glass-0x904"] {
        let dir = scratch("import-rt");
        let original = build(
            &repo().join(format!("examples/{example}.yaml")),
            &dir.join("a"),
        );
        let entries = pol(&original.join("pol/Machine/Registry.pol"));
        assert!(!entries.is_empty());
        let backup = only_dir(&original.join("gpo"));
        let rights = rds_rights(&backup.join(GPT_TMPL));
        let sources = [
            ("gpo", original.join("gpo"), true),
            ("backup", backup.clone(), true),
            ("pol", original.join("pol/Machine/Registry.pol"), false),
            ("reg", original.join("reg/apply.reg"), false),
            ("lgpo", original.join("lgpo/machine.txt"), false),
        ];
        for extends in [None, Some("cis-level1")] {
            for (kind, source, has_rights) in &sources {
                // .reg and LGPO outputs were built with --target pol,gpo only: build them too.
                if !source.exists() {
                    let (code, _, stderr) = run(rdpgen()
                        .arg("build")
                        .arg(repo().join(format!("examples/{example}.yaml")))
                        .arg("--out")
                        .arg(dir.join("a"))
                        .args(["--target", "pol,gpo,reg,lgpo"]));
                    assert_eq!(code, 0, "{stderr}");
                }
                let yaml = dir.join(format!("{kind}-{}.yaml", extends.unwrap_or("none")));
                let extra: Vec<&str> = extends.map(|b| vec!["--extends", b]).unwrap_or_default();
                let (code, stdout, stderr) = import(&[source], &extra, &yaml);
                assert_eq!(code, 0, "{example} {kind}: {stderr}");
                assert_eq!(stdout, "");
                let text = std::fs::read_to_string(&yaml).unwrap();
                assert!(
                    text.starts_with("# yaml-language-server: $schema=../policies/rdpgen.schema.json\n# Imported by `rdpgen import` on "),
                    "{text}"
                );
                assert!(
                    !text.contains(&*dir.to_string_lossy()),
                    "absolute path in {text}"
                );
                assert!(!text.contains("Not imported"), "{example} {kind}: {text}");
                if let Some(b) = extends {
                    assert!(text.contains(&format!("\nextends: [{b}]\n")), "{text}");
                    // cis-level1 sets security.layer: tls, as do the examples that extend it.
                    if example == "tier1" {
                        assert!(!text.contains("  layer: tls"), "{text}");
                    }
                }
                validate_ok(&yaml);
                let rebuilt = build(
                    &yaml,
                    &dir.join(format!("b-{kind}-{}", extends.unwrap_or("none"))),
                );
                let again = pol(&rebuilt.join("pol/Machine/Registry.pol"));
                // A delta over cis-level1 may add the base's settings the example did not have.
                if extends.is_none() || example == "tier1" {
                    assert_eq!(again, entries, "{example} via {kind}");
                } else {
                    assert!(entries.is_subset(&again), "{example} via {kind} --extends");
                }
                if *has_rights && extends.is_none() {
                    let back = only_dir(&rebuilt.join("gpo"));
                    assert_eq!(
                        rds_rights(&back.join(GPT_TMPL)),
                        rights,
                        "{example} via {kind}"
                    );
                }
            }
        }
    }
}

#[test]
fn microsoft_baselines_import_without_inventing_or_losing_rds_entries() {
    let root = shared().join("reference/baseline-gpos/Server2025");
    if !available("../shared/reference/baseline-gpos", root.is_dir()) {
        return;
    }
    let mut gpos: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("DomainSysvol/GPO/Machine/registry.pol").is_file())
        .collect();
    gpos.sort();
    assert!(gpos.len() >= 5, "{gpos:?}");
    let mut rds_seen = 0;
    let mut allow_protected_creds = 0;
    for gpo in gpos {
        let dir = scratch("import-msft");
        let yaml = dir.join("p.yaml");
        let (code, _, stderr) = import(&[&gpo], &[], &yaml);
        assert_eq!(code, 0, "{}: {stderr}", gpo.display());
        let text = std::fs::read_to_string(&yaml).unwrap();
        validate_ok(&yaml);
        let source = pol(&gpo.join("DomainSysvol/GPO/Machine/registry.pol"));
        let built = build(&yaml, &dir.join("out"));
        let rebuilt = pol(&built.join("pol/Machine/Registry.pol"));
        let invented: Vec<_> = rebuilt.difference(&source).collect();
        assert!(
            invented.is_empty(),
            "{}: build invents {invented:?}",
            gpo.display()
        );
        for e in &source {
            if e.0.contains("terminal services") || e.0.contains("credssp") {
                rds_seen += 1;
                assert!(rebuilt.contains(e), "{}: {e:?} lost", gpo.display());
            }
            if e.0.contains("credentialsdelegation") {
                if e.1 == "allowprotectedcreds" {
                    // credentials.allowProtectedCreds: imported and rebuilt.
                    allow_protected_creds += 1;
                    assert!(
                        text.contains("  allowProtectedCreds: ") && rebuilt.contains(e),
                        "{}: {e:?} not rebuilt",
                        gpo.display()
                    );
                } else {
                    // No field covers the rest of CredentialsDelegation yet (the admx:
                    // section will): listed, not dropped.
                    assert!(
                        text.to_ascii_lowercase()
                            .contains(&format!("  {}  reg_", e.1)),
                        "{e:?} not listed"
                    );
                }
            }
        }
        let inf = gpo.join(GPT_TMPL);
        if inf.is_file() {
            let back = only_dir(&built.join("gpo"));
            assert_eq!(
                rds_rights(&back.join(GPT_TMPL)),
                rds_rights(&inf),
                "{}",
                gpo.display()
            );
        }
        // Everything else is listed with a count.
        let listed = text
            .lines()
            .skip_while(|l| !l.starts_with("# Not imported: "))
            .filter(|l| l.starts_with("#   "))
            .count();
        if listed > 0 {
            assert!(
                stderr.contains(&format!("warning: {listed} value")),
                "{stderr}"
            );
        }
    }
    assert!(rds_seen >= 10, "only {rds_seen} RDS entries seen");
    assert!(
        allow_protected_creds >= 1,
        "no baseline carried AllowProtectedCreds"
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn reg_text(body: &str) -> Vec<u8> {
    format!("Windows Registry Editor Version 5.00\r\n\r\n{body}").into_bytes()
}

const TS: &str = r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services]";

/// Runs a failing import: exit 1, the message on stderr, nothing at `--output`.
fn fails(sources: &[&Path], extra: &[&str], message: &str) {
    let out = scratch("import-bad").join("out.yaml");
    let (code, stdout, stderr) = import(sources, extra, &out);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(message),
        "expected `{message}` in:\n{stderr}"
    );
    assert!(
        stderr.ends_with(&format!("error: nothing written to {}\n", out.display())),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn bad_input_names_the_file_and_position_and_writes_nothing() {
    let dir = scratch("import-bad-in");
    let empty = dir.join("notagpo");
    std::fs::create_dir_all(empty.join("Machine")).unwrap();
    fails(
        &[&empty],
        &[],
        "error: notagpo: not a GPO folder (no manifest.xml, no DomainSysvol\\GPO, no gpt.ini beside Machine)\n",
    );

    // The header and `[` of an entry, then the file ends.
    let trunc = write(&dir, "trunc.pol", b"PReg\x01\x00\x00\x00[\x00S\x00");
    fails(
        &[&trunc],
        &[],
        "error: trunc.pol: Registry.pol offset 10 (0xa): the key path has no NUL terminator (00 00) before the end of the file\n",
    );

    let v4 = write(
        &dir,
        "old.reg",
        b"Windows Registry Editor Version 4.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE]\r\n",
    );
    fails(
        &[&v4],
        &[],
        "error: old.reg: .reg line 1, column 1: not a registry export: the first line is not the header `Windows Registry Editor Version 5.00` or `REGEDIT4`\n",
    );

    let inf = write(
        &dir,
        "GptTmpl.inf",
        b"[Unicode]\r\nUnicode=yes\r\n[Privilege Rights]\r\nSeRemoteInteractiveLogonRight = *S-1-5-32-544\r\n",
    );
    fails(
        &[&inf],
        &[],
        "error: GptTmpl.inf: byte 0: not UTF-16LE with a byte-order mark (FF FE), as Windows writes security templates\n",
    );

    let a = write(
        &dir,
        "a.reg",
        &reg_text(&format!("{TS}\r\n\"SecurityLayer\"=dword:00000002\r\n")),
    );
    let b = write(
        &dir,
        "b.reg",
        &reg_text(&format!("{TS}\r\n\"SecurityLayer\"=dword:00000001\r\n")),
    );
    fails(
        &[&a, &b],
        &[],
        "error: b.reg [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]: HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services `SecurityLayer` is REG_DWORD 1, but a.reg [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services] set it to REG_DWORD 2\nerror: 1 conflict between the sources; pass --later-wins to let later sources win\n",
    );
    // With --later-wins the later source wins, with a warning.
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&a).arg(&b).arg("--later-wins"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\n  layer: negotiate "), "{stdout}");
    assert!(stderr.starts_with("warning: b.reg ["), "{stderr}");
    assert!(
        stderr.contains("(the later source wins: --later-wins)"),
        "{stderr}"
    );

    let seven = write(
        &dir,
        "seven.reg",
        &reg_text(&format!("{TS}\r\n\"SecurityLayer\"=dword:00000007\r\n")),
    );
    fails(
        &[&seven],
        &[],
        "error: seven.reg [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]: HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services `SecurityLayer` is REG_DWORD 7, which `security.layer` cannot express: the field takes 0 (rdp), 1 (negotiate), 2 (tls)\n",
    );
    let inverted = write(
        &dir,
        "nla.reg",
        &reg_text(&format!(
            "{TS}\r\n\"UserAuthentication\"=dword:00000005\r\n"
        )),
    );
    fails(
        &[&inverted],
        &[],
        "`UserAuthentication` is REG_DWORD 5, which `security.nla` cannot express: TS_USER_AUTHENTICATION_POLICY writes only 1 (Enabled) or 0 (Disabled)\n",
    );

    let lgpo = write(
        &dir,
        "machine.txt",
        b"Computer\r\nSOFTWARE\\X\r\nY\r\nWORD:1\r\n",
    );
    fails(
        &[&lgpo],
        &[],
        "error: machine.txt: line 4: expected DWORD:, QWORD:, SZ:, EXSZ:, MULTISZ:, BINARY:, DELETE, DELETEALLVALUES or CREATEKEY, found `WORD:1`\n",
    );
}

#[test]
fn values_no_field_covers_are_listed_and_strict_fails() {
    let dir = scratch("import-unmapped");
    let reg = write(
        &dir,
        "host.reg",
        &reg_text(&format!(
            "{TS}\r\n\"SecurityLayer\"=dword:00000002\r\n\"fNoSuchPolicyValue\"=dword:00000000\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation]\r\n\"RestrictedRemoteAdministration\"=dword:00000001\r\n"
        )),
    );
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&reg));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("security:\n  layer: tls                      # SecurityLayer = 2\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\n# Not imported: 2 values no policy field covers (key, value, type, data; source).\n#   HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services  fNoSuchPolicyValue  REG_DWORD 0  (host.reg [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services])\n#   HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation  RestrictedRemoteAdministration  REG_DWORD 1  (host.reg [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation])\n"),
        "{stdout}"
    );
    assert!(
        stderr.ends_with(
            "warning: 2 values no policy field covers (listed at the end of the YAML)\n"
        ),
        "{stderr}"
    );
    assert!(stderr.starts_with("not imported: HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services  fNoSuchPolicyValue  REG_DWORD 0  (host.reg ["), "{stderr}");
    fails(
        &[&reg],
        &["--strict"],
        "error: 2 values no policy field covers (listed at the end of the YAML)\nerror: --strict: values were not imported\n",
    );
}

#[test]
fn snapshots_lgpo_text_and_preferences_import() {
    let dir = scratch("import-kinds");
    let snap = write(
        &dir,
        "rdsh01.json",
        br#"{"rdpgenSnapshot": 1, "host": "rdsh01", "capturedAt": "2026-11-24T10:00:00Z",
  "registry": [
    {"key": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services", "name": "SecurityLayer", "type": "REG_DWORD", "data": 2},
    {"key": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp", "name": "SecurityLayer", "type": "REG_DWORD", "data": 2},
    {"key": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp", "name": "UserAuthentication", "type": "REG_DWORD", "data": 1},
    {"key": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp", "name": "PortNumber", "type": "REG_DWORD", "data": 3390},
    {"key": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp", "name": "SSLCertificateSHA1Hash", "type": "REG_BINARY", "data": "00112233445566778899aabbccddeeff00112233"}
  ],
  "logonRights": {"SeRemoteInteractiveLogonRight": ["*S-1-5-32-544", "*S-1-5-21-1-2-3-1001"], "SeDenyRemoteInteractiveLogonRight": []}}"#,
    );
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&snap));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\nname: rdsh01\n"), "{stdout}");
    assert!(stdout.contains("\nconnection:\n  port: 3390\n"), "{stdout}");
    assert!(stdout.contains("\n  layer: tls                      # SecurityLayer = 2\n  nla: true                       # UserAuthentication = 1 (local)\n"), "{stdout}");
    assert!(
        stdout
            .contains("\ncertificate:\n  thumbprint: '00112233445566778899AABBCCDDEEFF00112233'\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "\nlogonRights:\n  allow: [Administrators, S-1-5-21-1-2-3-1001]\n  deny: []\n"
        ),
        "{stdout}"
    );
    assert_eq!(stderr, "");

    // A local value the policy value shadows on the host is listed, not imported.
    let shadow = write(
        &dir,
        "shadow.json",
        br#"{"rdpgenSnapshot": 1, "host": "h", "capturedAt": "2026-11-24T10:00:00Z", "registry": [
    {"key": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services", "name": "SecurityLayer", "type": "REG_DWORD", "data": 2},
    {"key": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp", "name": "SecurityLayer", "type": "REG_DWORD", "data": 0}]}"#,
    );
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&shadow));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("  layer: tls "), "{stdout}");
    assert!(stdout.contains("#   HKLM\\system\\currentcontrolset\\control\\terminal server\\winstations\\rdp-tcp  securitylayer  REG_DWORD 0  (shadow.json registry)\n"), "{stdout}");

    // LGPO text as LGPO.exe /parse writes it, with an SZ that ends in a space.
    let lgpo = write(
        &dir,
        "gpo.txt",
        b"; LGPO text\r\n\r\nComputer\r\nSOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\r\nCertTemplateName\r\nSZ:RDP Auth \r\n\r\nComputer\r\nSOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\r\nfDisableClip\r\nDWORD:1\r\n",
    );
    let (code, stdout, stderr) = run(rdpgen()
        .arg("import")
        .arg(&lgpo)
        .args(["--name", "from-lgpo"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\nname: from-lgpo\n"), "{stdout}");
    assert!(
        stdout.contains("\ncertificate:\n  template: 'RDP Auth '\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nredirection:\n  clipboard: false                # fDisableClip = 1\n"),
        "{stdout}"
    );

    let (code, _, stderr) = run(rdpgen()
        .arg("import")
        .arg(&lgpo)
        .args(["--name", "Bad Name"]));
    assert_eq!(code, 2, "a bad argument");
    assert_eq!(
        stderr,
        "error: --name `Bad Name`: a policy name is lowercase letters, digits and `-`, at most 63 characters, starting with a letter or digit\n"
    );
}

#[test]
fn untrusted_strings_stay_data_in_the_yaml() {
    let dir = scratch("import-escape");
    let reg = write(
        &dir,
        "evil.reg",
        &reg_text(&format!(
            "{TS}\r\n\"CertTemplateName\"=\"x' # y: [1]\"\r\n\"LicenseServers\"=\"a.example.com,b.example.com\"\r\n"
        )),
    );
    let out = dir.join("p.yaml");
    let (code, _, stderr) = import(&[&reg], &["--name", "evil"], &out);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("\n  template: 'x'' # y: [1]'\n"), "{text}");
    assert!(
        text.contains("\n  servers: [a.example.com, b.example.com]\n"),
        "{text}"
    );
    validate_ok(&out);
    let (code, stdout, _) = run(rdpgen().args(["validate", "--explain-merge"]).arg(&out));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("certificate.template = \"x' # y: [1]\""),
        "{stdout}"
    );
    // Values the rules refuse are refused: the import is not a valid policy.
    let bad = write(
        &dir,
        "bad.reg",
        &reg_text(&format!(
            "{TS}\r\n\"LicenseServers\"=\"a.example.com,'b'\"\r\n"
        )),
    );
    fails(
        &[&bad],
        &[],
        "error: the imported values do not form a valid policy:\nerror[RDP048]: `licensing.servers` entry `'b'` is not a host name or IP address\n --> imported.yaml:6:28\n",
    );
}

#[test]
fn rdpgen_firewall_rules_come_back_and_other_rules_are_listed() {
    let dir = scratch("import-fw");
    let fw = r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules]";
    let allow = r"v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|Profile=Private|LPort=3389|RA4=10.0.0.0/255.0.0.0|RA4=LocalSubnet|RA6=LocalSubnet|RA6=2001:db8::/32|App=%SystemRoot%\\system32\\svchost.exe|Svc=termservice|Name=rdpgen ops-jump Remote Desktop (TCP-In)|Desc=Inbound Remote Desktop on TCP port 3389, managed by the rdpgen policy ops-jump|EmbedCtxt=rdpgen|";
    let block = r"v2.10|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=3389|RA4=11.0.0.0-255.255.255.255|Name=rdpgen ops-jump block|EmbedCtxt=rdpgen|";
    let foreign = r"v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=SMB|";
    let reg = write(
        &dir,
        "fw.reg",
        &reg_text(&format!(
            "{fw}\r\n\"rdpgen-ops-jump-TCP-In\"=\"{allow}\"\r\n\"rdpgen-ops-jump-TCP-Block-1\"=\"{block}\"\r\n\"PolicyVersion\"=dword:0000021c\r\n\"SMB-In\"=\"{foreign}\"\r\n"
        )),
    );
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&reg));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\nname: ops-jump\n"), "{stdout}");
    assert!(
        stdout.contains("\nfirewall:\n  profiles: [domain, private]\n  allowFrom: ['10.0.0.0/8', local-subnet, '2001:db8::/32']\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("# Not imported: 1 value no policy field covers"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FirewallRules  SMB-In  REG_SZ "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("PolicyVersion") && !stdout.contains("Block-1"),
        "{stdout}"
    );

    // A firewall section with no profiles and no addresses is still a firewall section.
    let any = allow
        .replace("|Profile=Domain|Profile=Private", "")
        .replace(
            "|RA4=10.0.0.0/255.0.0.0|RA4=LocalSubnet|RA6=LocalSubnet|RA6=2001:db8::/32",
            "",
        );
    let reg = write(
        &dir,
        "any.reg",
        &reg_text(&format!("{fw}\r\n\"rdpgen-ops-jump-TCP-In\"=\"{any}\"\r\n")),
    );
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&reg));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\nfirewall: {}\n"), "{stdout}");
}

#[test]
fn a_sysvol_gpo_folder_imports_like_its_backup() {
    let dir = scratch("import-sysvol");
    let built = build(&repo().join("examples/dmz-jump.yaml"), &dir.join("a"));
    let backup = only_dir(&built.join("gpo"));
    let sysvol = dir.join("{31B2F340-016D-11D2-945F-00C04FB984F9}");
    std::fs::create_dir_all(&sysvol).unwrap();
    std::fs::write(
        sysvol.join("GPT.INI"),
        "[General]\r\nVersion=65537\r\ndisplayName=RDP DMZ\r\n",
    )
    .unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(backup.join("DomainSysvol/GPO/Machine"))
        .arg(&sysvol)
        .status()
        .unwrap();
    assert!(status.success());
    let from_backup = dir.join("backup.yaml");
    let from_sysvol = dir.join("sysvol.yaml");
    assert_eq!(import(&[&backup], &[], &from_backup).0, 0);
    let (code, _, stderr) = import(&[&sysvol], &[], &from_sysvol);
    assert_eq!(code, 0, "{stderr}");
    let body = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| {
                !l.starts_with('#')
                    && !l.starts_with("gpo:")
                    && !l.starts_with("  displayName")
                    && !l.starts_with("  guid")
                    && !l.starts_with("  domain")
            })
            .collect::<Vec<_>>()
            .join("\n")
            .trim_end()
            .to_string()
    };
    assert_eq!(body(&from_sysvol), body(&from_backup));
    assert!(
        body(&from_sysvol).contains("thumbprint: "),
        "the GPP Registry.xml binding"
    );
    let rebuilt = build(&from_sysvol, &dir.join("b"));
    assert_eq!(
        pol(&rebuilt.join("pol/Machine/Registry.pol")),
        pol(&built.join("pol/Machine/Registry.pol"))
    );
}

#[test]
fn a_delta_that_clashes_with_its_base_is_refused() {
    let dir = scratch("import-delta");
    // SecurityLayer 0 is `security.layer: rdp`; cis-level1 sets `security.nla: true`.
    let reg = write(
        &dir,
        "rdp.reg",
        &reg_text(&format!("{TS}\r\n\"SecurityLayer\"=dword:00000000\r\n")),
    );
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&reg));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\n  layer: rdp "), "{stdout}");
    fails(
        &[&reg],
        &["--extends", "cis-level1"],
        "error[RDP030]: `security.nla: true` cannot work with `security.layer: rdp`",
    );
}

#[test]
fn conflicts_about_values_no_field_covers_are_warnings() {
    let dir = scratch("import-listed-conflict");
    let other = r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\System]";
    let a = write(
        &dir,
        "a.reg",
        &reg_text(&format!(
            "{TS}\r\n\"SecurityLayer\"=dword:00000002\r\n{other}\r\n\"AllowCustomSSPsAPs\"=dword:00000001\r\n"
        )),
    );
    let b = write(
        &dir,
        "b.reg",
        &reg_text(&format!(
            "{other}\r\n\"AllowCustomSSPsAPs\"=dword:00000000\r\n"
        )),
    );
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&a).arg(&b));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.starts_with("warning: b.reg [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\System]: HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\System `AllowCustomSSPsAPs` is REG_DWORD 0, but a.reg [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\System] set it to REG_DWORD 1 (not imported; the later source is listed)\n"), "{stderr}");
    assert!(stdout.contains("#   HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\System  AllowCustomSSPsAPs  REG_DWORD 0  (b.reg "), "{stdout}");
}

#[test]
fn a_backup_folder_of_several_gpos_merges_them() {
    let root = shared().join("reference/baseline-gpos/Server2025");
    if !available("../shared/reference/baseline-gpos", root.is_dir()) {
        return;
    }
    let dir = scratch("import-msft-all");
    let yaml = dir.join("all.yaml");
    let (code, _, stderr) = import(&[&root], &[], &yaml);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&yaml).unwrap();
    // Several GPOs: no one GPO's metadata, and the folder names the policy.
    assert!(text.contains("\nname: server2025\n"), "{text}");
    assert!(!text.contains("\ngpo:\n"), "{text}");
    assert!(text.contains("\n  encryption: high "), "{text}");
    assert!(
        stderr.contains("(not imported; the later source is listed)"),
        "{stderr}"
    );
    validate_ok(&yaml);
}

/// rdpgen's TCP and UDP allow rules agree when they admit the same addresses, whatever the
/// order and spelling (`/16` or `/255.255.0.0`) each lists them in; the first rule's order
/// is kept.
#[test]
fn allow_rules_listing_the_same_addresses_differently_import_as_one_scope() {
    let (code, stdout, stderr) = run(rdpgen()
        .arg("import")
        .arg(repo().join("examples/hosts/tier1-firewall-equal.json")));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "\nfirewall:\n  profiles: [domain]\n  allowFrom: ['192.168.10.0/24', '10.20.0.0/16']\n"
        ),
        "{stdout}"
    );
}

/// A host whose template policy enrolled the listener certificate holds the template and the
/// bound hash: the hash is the template's doing (Windows binds and renews it), so the import
/// keeps the template, pins nothing, and lists the hash.
#[test]
fn a_hash_bound_by_the_template_is_listed_not_pinned() {
    let dir = scratch("import-template-hash");
    let rdp = r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp]";
    let reg = write(
        &dir,
        "host.reg",
        &reg_text(&format!(
            "{TS}\r\n\"CertTemplateName\"=\"RDPAuth\"\r\n\r\n{rdp}\r\n\"SSLCertificateSHA1Hash\"=hex:3c,1f,9a,2b,7d,4e,5f,60,71,82,93,a4,b5,c6,d7,e8,f9,01,23,45\r\n"
        )),
    );
    let (code, stdout, stderr) = run(rdpgen().args(["import", "--name", "t"]).arg(&reg));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\n  template: RDPAuth"), "{stdout}");
    assert!(!stdout.contains("thumbprint:"), "{stdout}");
    assert!(
        stdout.contains("RDP-Tcp  SSLCertificateSHA1Hash  REG_BINARY"),
        "{stdout}"
    );
}

#[test]
fn values_an_admx_policy_writes_become_admx_entries() {
    let dir = scratch("import-admx");
    // TS_ALLOW_APPS (TerminalServer-Server.admx) disabled, TS_MAXDISPLAYRES enabled with its
    // two decimal elements; TS_MAXDISPLAYRES with only one of them is no state of the policy.
    let reg = write(
        &dir,
        "host.reg",
        &reg_text(&format!(
            "{TS}\r\n\"fAllowUnlistedRemotePrograms\"=dword:00000000\r\n\"MaxXResolution\"=dword:00000780\r\n\"MaxYResolution\"=dword:00000438\r\n\"MaxMonitors\"=dword:00000063\r\n"
        )),
    );
    let (code, stdout, stderr) = run(rdpgen().arg("import").arg(&reg));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "\nadmx:\n  - policy: TerminalServer/TS_MAXDISPLAYRES\n    state: enabled\n    values:\n      TS_DisplayRes_Height: 1080\n      TS_DisplayRes_Width: 1920\n  - policy: TerminalServer-Server/TS_ALLOW_APPS\n    state: disabled\n"
        ),
        "{stdout}"
    );
    // MaxMonitors 99 is outside TS_MAXMONITOR's 1..16: listed, not imported.
    assert!(stdout.contains("MaxMonitors  REG_DWORD 99"), "{stdout}");
    // What was imported builds back to the same values.
    let p = dir.join("imported.yaml");
    std::fs::write(&p, &stdout).unwrap();
    let (code, _, err) = run(rdpgen().args(["validate"]).arg(&p));
    assert_eq!(code, 0, "{err}");
}

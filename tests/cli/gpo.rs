//! `rdpgen build --target gpo --target admx`: the GPMC backup and the custom administrative
//! template. Expectations come from formats.md §3/§4, Microsoft's baseline backups
//! (`../shared/reference/baseline-gpos/Server2025`) and the spec of each file; the reviewed
//! snapshots in `tests/snapshots/gpo/` pin every byte (regenerate with `UPDATE_SNAPSHOTS=1`,
//! then read the diff).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rdpgen::catalog::keys;
use rdpgen::formats::RegistryValue;
use rdpgen::formats::firewall_rule::RuleString;
use rdpgen::formats::registry_pol::{self, PolEntry};
use rdpgen::formats::security_template;
use rdpgen::formats::xml::{Element, parse};
use rdpgen::model::{RegistryAction, Scope};

use crate::{rdpgen, repo, run, scratch};

const REGISTRY_CSE: &str = "{35378EAC-683F-11D2-A89A-00C04FBBCFA2}";
const ADMIN_TEMPLATES_TOOL: &str = "{D02B1F72-3407-48AE-BA88-E8213C6761F1}";
const FIREWALL_TOOL: &str = "{B05566AC-FE9C-4368-BE01-7A4CBB6CBA11}";
const LEGACY_ADMIN_TEMPLATES_TOOL: &str = "{0F6B957D-509E-11D1-A7CC-0000F87571E3}";
const SECURITY_CSE: &str = "{827D319E-6EAC-11D2-A4EA-00C04F79F83A}";
const SECURITY_TOOL: &str = "{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}";
const GPP_CORE: &str = "{00000000-0000-0000-0000-000000000000}";
const GPP_REGISTRY_CSE: &str = "{B087BE9D-ED37-454F-AF9C-04291E351182}";
const GPP_REGISTRY_TOOL: &str = "{BEE07A6A-EC9F-4659-B8C9-0B1937907C83}";
const MACHINE: &str = "DomainSysvol/GPO/Machine";
const GPT_TMPL: &str = "DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf";
const GPP_REGISTRY: &str = "DomainSysvol/GPO/Machine/Preferences/Registry/Registry.xml";

fn examples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    assert!(out.len() >= 4);
    out
}

fn policy_name(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("name: "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Builds `files` to gpo+admx (plus pol) in a fresh directory; `epoch` sets SOURCE_DATE_EPOCH.
fn build(files: &[PathBuf], epoch: Option<&str>) -> PathBuf {
    let out = scratch("gpo").join("out");
    let mut cmd = rdpgen();
    cmd.env_remove("SOURCE_DATE_EPOCH");
    if let Some(e) = epoch {
        cmd.env("SOURCE_DATE_EPOCH", e);
    }
    cmd.arg("build").args(files).arg("--out").arg(&out);
    for t in ["gpo", "admx", "pol"] {
        cmd.args(["--target", t]);
    }
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stderr}");
    out
}

fn write_policy(yaml: &str) -> PathBuf {
    let path = scratch("gpo-policy").join("p.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// The one backup folder below `<out>/<name>/gpo/`: its path and its name (the backup id).
fn backup_dir(out: &Path, name: &str) -> (PathBuf, String) {
    let gpo = out.join(name).join("gpo");
    let dirs: Vec<PathBuf> = std::fs::read_dir(&gpo)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let id = dirs[0].file_name().unwrap().to_string_lossy().into_owned();
    (dirs[0].clone(), id)
}

fn is_registry_guid(s: &str) -> bool {
    s.len() == 38
        && s.starts_with('{')
        && s.ends_with('}')
        && s[1..37].chars().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('A'..='F').contains(&c),
        })
}

fn utf16(bytes: &[u8]) -> String {
    assert_eq!(&bytes[..2], &[0xFF, 0xFE], "UTF-16LE with byte-order mark");
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

fn xml(path: &Path) -> Element {
    let bytes = std::fs::read(path).unwrap();
    let text = if bytes.starts_with(&[0xFF, 0xFE]) {
        utf16(&bytes)
    } else {
        String::from_utf8(bytes).unwrap()
    };
    parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn child_text(e: &Element, name: &str) -> String {
    e.element(name)
        .unwrap_or_else(|| panic!("<{}> has no <{name}>", e.name))
        .text()
}

/// All files below `dir`, relative, with `/`.
fn files_below(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(
                    path.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn model_of(path: &Path) -> rdpgen::model::Model {
    crate::model_of(path)
}

/// `[{CSE}{tool}...]...` split into (CSE, tools).
fn extension_lists(text: &str) -> Vec<(String, Vec<String>)> {
    text.strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not a bracket list: {text}"))
        .split("][")
        .map(|bracket| {
            let guids: Vec<String> = bracket.split_inclusive('}').map(str::to_string).collect();
            assert!(guids.iter().all(|g| is_registry_guid(g)), "{bracket}");
            (guids[0].clone(), guids[1..].to_vec())
        })
        .collect()
}

fn pol(path: &Path) -> Vec<PolEntry> {
    registry_pol::read(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn every_example_yields_a_complete_consistent_backup() {
    let examples = examples();
    let out = build(&examples, None);
    for example in &examples {
        let name = policy_name(example);
        let model = model_of(example);
        let (dir, id) = backup_dir(&out, &name);
        assert!(is_registry_guid(&id), "{id}");
        assert_ne!(id, model.gpo.guid, "the backup id is not the GPO GUID");

        // bkupInfo.xml and manifest.xml describe this backup.
        let info = xml(&dir.join("bkupInfo.xml"));
        assert_eq!(info.name, "BackupInst");
        assert_eq!(
            info.attribute("xmlns"),
            Some("http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest")
        );
        assert_eq!(child_text(&info, "ID"), id);
        assert_eq!(child_text(&info, "GPOGuid"), model.gpo.guid);
        assert_eq!(child_text(&info, "GPODisplayName"), model.gpo.display_name);
        let manifest = xml(&out.join(&name).join("gpo/manifest.xml"));
        assert_eq!(manifest.name, "Backups");
        let insts: Vec<&Element> = manifest.elements_named("BackupInst").collect();
        assert_eq!(insts.len(), 1);
        let names = |e: &Element| e.elements().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(insts[0]), names(&info));
        assert_eq!(
            names(&info),
            [
                "GPOGuid",
                "GPODomain",
                "GPODomainGuid",
                "GPODomainController",
                "BackupTime",
                "ID",
                "Comment",
                "GPODisplayName"
            ]
        );
        assert_eq!(child_text(insts[0], "ID"), id);

        // Backup.xml: identity, versions, and extension lists that match the files.
        let backup = xml(&dir.join("Backup.xml"));
        let object = backup.element("GroupPolicyObject").unwrap();
        let core = object.element("GroupPolicyCoreSettings").unwrap();
        assert_eq!(child_text(core, "ID"), model.gpo.guid);
        assert_eq!(child_text(core, "DisplayName"), model.gpo.display_name);
        assert_eq!(child_text(core, "MachineVersionNumber"), "65537");
        assert_eq!(child_text(core, "UserVersionNumber"), "0");
        assert_eq!(child_text(core, "UserExtensionGuids"), "");
        let files = files_below(&dir);
        let has = |f: &str| files.iter().any(|x| x == f);
        let lists = extension_lists(&child_text(core, "MachineExtensionGuids"));
        let cses: Vec<&str> = lists.iter().map(|(c, _)| c.as_str()).collect();
        let mut sorted = cses.clone();
        sorted.sort_unstable();
        assert_eq!(cses, sorted, "brackets ascending by CSE GUID");
        for (_, tools) in &lists {
            let mut t = tools.clone();
            t.sort();
            assert_eq!(&t, tools, "tools ascending");
        }
        let mut expected: Vec<(String, Vec<String>)> = Vec::new();
        let pol_path = format!("{MACHINE}/registry.pol");
        if has(&pol_path) {
            let mut tools = vec![ADMIN_TEMPLATES_TOOL.to_string()];
            if !model.firewall.is_empty() {
                // As Microsoft's backups with firewall settings list them.
                tools.insert(0, FIREWALL_TOOL.to_string());
                tools.insert(0, LEGACY_ADMIN_TEMPLATES_TOOL.to_string());
            }
            expected.push((REGISTRY_CSE.into(), tools));
        }
        if has(GPT_TMPL) {
            expected.push((SECURITY_CSE.into(), vec![SECURITY_TOOL.into()]));
        }
        if has(GPP_REGISTRY) {
            expected.insert(0, (GPP_CORE.into(), vec![GPP_REGISTRY_TOOL.into()]));
            expected.push((GPP_REGISTRY_CSE.into(), vec![GPP_REGISTRY_TOOL.into()]));
        }
        assert_eq!(lists, expected, "{name}");
        assert_eq!(has(GPT_TMPL), !model.logon_rights.is_empty(), "{name}");

        // Every file of the GPO is listed with its bkp:Location, and every Location exists.
        let locations: Vec<String> = object
            .descendants()
            .into_iter()
            .filter_map(|e| e.attribute("bkp:Location"))
            .map(|l| l.replace('\\', "/"))
            .collect();
        for file in files.iter().filter(|f| f.starts_with("DomainSysvol/")) {
            assert!(locations.contains(file), "{name}: {file} not in Backup.xml");
        }
        for location in &locations {
            assert!(dir.join(location).exists(), "{name}: {location} missing");
        }
        for extension in object.elements_named("GroupPolicyExtension") {
            let cse = extension.attribute("bkp:ID").unwrap();
            assert!(
                cse == "{F15C46CD-82A0-4C2D-A210-5D0D3182A418}"
                    || cse == REGISTRY_CSE
                    || cses.contains(&cse),
                "{name}: extension {cse} has no settings"
            );
        }

        // gpreport.xml: UTF-16LE, the GPO's identity.
        let report = xml(&dir.join("gpreport.xml"));
        assert_eq!(report.name, "GPO");
        assert_eq!(
            child_text(report.element("Identifier").unwrap(), "Identifier"),
            model.gpo.guid
        );
        assert_eq!(child_text(&report, "Name"), model.gpo.display_name);
        let computer = report.element("Computer").unwrap();
        assert_eq!(child_text(computer, "VersionSysvol"), "1");
        assert_eq!(child_text(computer, "Enabled"), "true");

        // registry.pol is the pol back end's file without the binary values, which went to
        // Group Policy Preferences.
        let full = pol(&out.join(&name).join("pol/Machine/Registry.pol"));
        let gpo_pol = pol(&dir.join(&pol_path));
        let binary: Vec<&PolEntry> = full
            .iter()
            .filter(|e| matches!(e.value, RegistryValue::Binary(_)))
            .collect();
        let without: Vec<PolEntry> = full
            .iter()
            .filter(|e| !matches!(e.value, RegistryValue::Binary(_)))
            .cloned()
            .collect();
        assert_eq!(gpo_pol, without, "{name}");
        assert_eq!(has(GPP_REGISTRY), !binary.is_empty(), "{name}");
        if !binary.is_empty() {
            let gpp = xml(&dir.join(GPP_REGISTRY));
            let items: Vec<&Element> = gpp.elements_named("Registry").collect();
            assert_eq!(items.len(), binary.len());
            for (item, entry) in items.iter().zip(&binary) {
                let props = item.element("Properties").unwrap();
                assert_eq!(props.attribute("key"), Some(entry.key.as_str()));
                assert_eq!(props.attribute("name"), Some(entry.value_name.as_str()));
                assert_eq!(props.attribute("type"), Some("REG_BINARY"));
                let RegistryValue::Binary(bytes) = &entry.value else {
                    unreachable!()
                };
                let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
                assert_eq!(props.attribute("value"), Some(hex.as_str()));
                assert_eq!(props.attribute("action"), Some("U"));
                assert_eq!(props.attribute("hive"), Some("HKEY_LOCAL_MACHINE"));
            }
        }
    }
}

#[test]
fn dmz_jump_backup_holds_what_the_spec_says() {
    let example = repo().join("examples/dmz-jump.yaml");
    let out = build(&[example], None);
    let (dir, id) = backup_dir(&out, "dmz-jump");
    // Written from formats.md §3.3: one line, CDATA, fixed element order; unknown source-domain
    // facts empty; the policy's description as the backup comment.
    let info = std::fs::read_to_string(dir.join("bkupInfo.xml")).unwrap();
    assert_eq!(
        info,
        format!(
            "<BackupInst xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\">\
             <GPOGuid><![CDATA[{{5B0F3F7E-2C7A-4C57-9E0B-6F1F2E6A9C11}}]]></GPOGuid>\
             <GPODomain/><GPODomainGuid/><GPODomainController/>\
             <BackupTime><![CDATA[2000-01-01T00:00:00]]></BackupTime>\
             <ID><![CDATA[{id}]]></ID>\
             <Comment><![CDATA[Jump host in the DMZ, reachable from the bastion pair only]]></Comment>\
             <GPODisplayName><![CDATA[RDP - DMZ jump host]]></GPODisplayName></BackupInst>\r\n"
        )
    );
    let manifest = std::fs::read_to_string(out.join("dmz-jump/gpo/manifest.xml")).unwrap();
    assert!(manifest.starts_with(
        "<Backups xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\" \
         xmlns:mfst=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\" \
         mfst:version=\"1.0\"><BackupInst><GPOGuid>"
    ));
    assert!(manifest.ends_with("</BackupInst></Backups>"));

    // Registry CSE with the firewall and admin-template tools, Security, GPP registry (with
    // the core entry GPMC writes for preferences): ascending.
    let backup = std::fs::read_to_string(dir.join("Backup.xml")).unwrap();
    assert!(backup.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><!--"));
    assert!(backup.contains(
        "<MachineExtensionGuids><![CDATA[\
         [{00000000-0000-0000-0000-000000000000}{BEE07A6A-EC9F-4659-B8C9-0B1937907C83}]\
         [{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{0F6B957D-509E-11D1-A7CC-0000F87571E3}{B05566AC-FE9C-4368-BE01-7A4CBB6CBA11}{D02B1F72-3407-48AE-BA88-E8213C6761F1}]\
         [{827D319E-6EAC-11D2-A4EA-00C04F79F83A}{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}]\
         [{B087BE9D-ED37-454F-AF9C-04291E351182}{BEE07A6A-EC9F-4659-B8C9-0B1937907C83}]\
         ]]></MachineExtensionGuids>"
    ));
    assert!(backup.contains(
        "<Options><![CDATA[1]]></Options><UserVersionNumber><![CDATA[0]]></UserVersionNumber>\
         <MachineVersionNumber><![CDATA[65537]]></MachineVersionNumber>"
    ));
    assert!(backup.contains(
        r#"<FSObjectFile bkp:Path="%GPO_MACH_FSPATH%\microsoft\windows nt\SecEdit\GptTmpl.inf" bkp:ReEvaluateFunction="SecurityValidateSettings" bkp:Location="DomainSysvol\GPO\Machine\microsoft\windows nt\SecEdit\GptTmpl.inf"/>"#
    ));
    assert!(backup.contains(
        r#"<FSObjectFile bkp:Path="%GPO_MACH_FSPATH%\Preferences\Registry\Registry.xml" bkp:Location="DomainSysvol\GPO\Machine\Preferences\Registry\Registry.xml"/>"#
    ));

    // GptTmpl.inf as Windows writes it: UTF-16LE, BOM, CRLF; well-known names as *SIDs. A
    // workgroup host: no `Local account` (RDP055) and no domain groups (RDP051).
    let inf = std::fs::read(dir.join(GPT_TMPL)).unwrap();
    assert_eq!(
        utf16(&inf),
        "[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n\
         [Privilege Rights]\r\n\
         SeRemoteInteractiveLogonRight = *S-1-5-32-544\r\n\
         SeDenyRemoteInteractiveLogonRight = *S-1-5-32-546\r\n"
    );

    // The thumbprint as a GPP registry item ([MS-GPPREF]; shape of Set-GPPrefRegistryValue).
    let gpp = std::fs::read_to_string(dir.join(GPP_REGISTRY)).unwrap();
    let item = xml(&dir.join(GPP_REGISTRY));
    assert_eq!(
        item.attribute("clsid"),
        Some("{A3CCFC41-DFDB-43a5-8D26-0FE8B954DA51}")
    );
    let registry = item.element("Registry").unwrap();
    let attribute_names: Vec<&str> = registry
        .attributes
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        attribute_names,
        ["clsid", "name", "status", "image", "changed", "uid", "desc"]
    );
    assert_eq!(
        registry.attribute("clsid"),
        Some("{9CD4B2F4-923D-47f5-A062-E897DD1DAD50}")
    );
    assert_eq!(registry.attribute("image"), Some("2"));
    assert_eq!(registry.attribute("changed"), Some("2000-01-01 00:00:00"));
    assert!(is_registry_guid(registry.attribute("uid").unwrap()));
    assert!(gpp.contains(
        r#"<Properties action="U" displayDecimal="0" default="0" hive="HKEY_LOCAL_MACHINE" key="SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp" name="SSLCertificateSHA1Hash" type="REG_BINARY" value="9F2B4C11D07E35A864C219FB0E835D2A77B1C440"/>"#
    ));
}

#[test]
fn firewall_rules_land_in_the_gpo_registry_pol() {
    let examples = examples();
    let out = build(&examples, None);
    for example in &examples {
        let name = policy_name(example);
        let model = model_of(example);
        let (dir, _) = backup_dir(&out, &name);
        let entries = pol(&dir.join(MACHINE).join("registry.pol"));
        let rules: BTreeMap<String, RuleString> = entries
            .iter()
            .filter(|e| e.key.eq_ignore_ascii_case(keys::FWPOL_RULES))
            .map(|e| {
                let RegistryValue::Sz(text) = &e.value else {
                    panic!("{name}: rule {} is not REG_SZ", e.value_name)
                };
                assert!(text.starts_with("v2."), "{text}");
                (e.value_name.clone(), RuleString::parse(text).unwrap())
            })
            .collect();
        assert_eq!(rules.len(), model.firewall.len(), "{name}");
        let port = model
            .registry
            .iter()
            .find(|op| op.value_name == "PortNumber")
            .and_then(|op| match &op.action {
                RegistryAction::Set(RegistryValue::Dword(p)) => Some(p.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| "3389".into());
        for rule in &model.firewall {
            let written = &rules[&rule.id];
            assert_eq!(written.local_ports, std::slice::from_ref(&port), "{name}");
            assert_eq!(written.dir.as_deref(), Some("In"));
            assert_eq!(written.action.as_deref(), Some(rule.action.as_str()));
            assert_eq!(written.protocol, Some(rule.protocol.number()));
            assert_eq!(written.profiles.len(), rule.profiles.len());
            assert_eq!(
                written.remote_v4.len() + written.remote_v6.len() > 0,
                !rule.remote_addresses.is_empty()
            );
        }
    }
    // tcp-udp gets a UDP rule, tcp does not.
    let (tier1, _) = backup_dir(&out, "tier1-servers");
    let names: Vec<String> = pol(&tier1.join(MACHINE).join("registry.pol"))
        .into_iter()
        .filter(|e| e.key.eq_ignore_ascii_case(keys::FWPOL_RULES))
        .map(|e| e.value_name)
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        [
            "rdpgen-tier1-servers-TCP-In",
            "rdpgen-tier1-servers-TCP-In-Block-Outside",
            "rdpgen-tier1-servers-TCP-In-Block-Profiles",
            "rdpgen-tier1-servers-UDP-In",
            "rdpgen-tier1-servers-UDP-In-Block-Outside",
            "rdpgen-tier1-servers-UDP-In-Block-Profiles",
        ]
    );
    let (dmz, _) = backup_dir(&out, "dmz-jump");
    let entries = pol(&dmz.join(MACHINE).join("registry.pol"));
    let dmz_rules: Vec<&PolEntry> = entries
        .iter()
        .filter(|e| e.key.eq_ignore_ascii_case(keys::FWPOL_RULES))
        .collect();
    // tcp only: the allow rule and its two block rules, all TCP.
    assert_eq!(dmz_rules.len(), 3);
    let text = |name: &str| {
        let entry = dmz_rules
            .iter()
            .find(|e| e.value_name == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        let RegistryValue::Sz(text) = &entry.value else {
            unreachable!()
        };
        text.clone()
    };
    let allow = text("rdpgen-dmz-jump-TCP-In");
    assert!(
        allow.contains("|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=53389|RA4=203.0.113.10|RA4=203.0.113.11|"),
        "{allow}"
    );
    let outside = text("rdpgen-dmz-jump-TCP-In-Block-Outside");
    // Every other address as subnets in mask form: around .10 and .11 the /31 below and the
    // /30 above; all of IPv6 as two halves.
    for needle in [
        "|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=53389|RA4=0.0.0.0/128.0.0.0|RA4=128.0.0.0/192.0.0.0|",
        "|RA4=203.0.113.8/255.255.255.254|RA4=203.0.113.12/255.255.255.252|",
        "|RA4=224.0.0.0/224.0.0.0|RA6=::/1|RA6=8000::/1|Name=rdpgen-dmz-jump-TCP-In-Block-Outside|",
    ] {
        assert!(outside.contains(needle), "{needle} in {outside}");
    }
    assert!(!outside.contains("RA4=203.0.113.10"), "{outside}");
    let profiles = text("rdpgen-dmz-jump-TCP-In-Block-Profiles");
    assert!(
        profiles.contains(
            "|Action=Block|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|LPort=53389|Name="
        ),
        "{profiles}"
    );
    // PolicyVersion beside the rules, as in Microsoft's baselines (538 in the Server 2025
    // Member Server and Domain Controller GPOs).
    assert!(
        entries
            .iter()
            .any(|e| e.key.eq_ignore_ascii_case(keys::FWPOL)
                && e.value_name == "PolicyVersion"
                && e.value == RegistryValue::Dword(538))
    );
}

/// One policy of the generated ADMX, read back from the file.
#[derive(Debug)]
enum TemplatePolicy {
    Decimal {
        min: u32,
        max: u32,
    },
    Lists {
        enabled: Vec<(String, u32)>,
        disabled: Vec<(String, u32)>,
    },
}

fn decimal_of(value: &Element) -> u32 {
    value
        .element("decimal")
        .and_then(|d| d.attribute("value"))
        .unwrap()
        .parse()
        .unwrap()
}

/// (lower-case key, lower-case value name or "" for list policies) -> policy.
fn read_template(admx: &Element) -> BTreeMap<(String, String), TemplatePolicy> {
    let mut out = BTreeMap::new();
    for policy in admx.element("policies").unwrap().elements_named("policy") {
        let key = policy.attribute("key").unwrap().to_lowercase();
        if let Some(elements) = policy.element("elements") {
            let decimal = elements.element("decimal").unwrap();
            let value_name = decimal.attribute("valueName").unwrap().to_lowercase();
            // Elements only (Microsoft's TS_MAXDISPLAYRES shape): the element alone decides
            // the state, so no policy-level value or state data may compete with it.
            assert_eq!(policy.attribute("valueName"), None);
            for competing in [
                "enabledValue",
                "disabledValue",
                "enabledList",
                "disabledList",
            ] {
                assert!(policy.element(competing).is_none(), "{competing}");
            }
            out.insert(
                (key, value_name),
                TemplatePolicy::Decimal {
                    min: decimal.attribute("minValue").unwrap().parse().unwrap(),
                    max: decimal.attribute("maxValue").unwrap().parse().unwrap(),
                },
            );
        } else {
            let list = |name: &str| -> Vec<(String, u32)> {
                policy
                    .element(name)
                    .unwrap()
                    .elements_named("item")
                    .map(|item| {
                        assert_eq!(
                            item.attribute("key").unwrap().to_lowercase(),
                            key,
                            "items write under the policy key"
                        );
                        (
                            item.attribute("valueName").unwrap().to_lowercase(),
                            decimal_of(item.element("value").unwrap()),
                        )
                    })
                    .collect()
            };
            out.insert(
                (key.clone(), String::new()),
                TemplatePolicy::Lists {
                    enabled: list("enabledList"),
                    disabled: list("disabledList"),
                },
            );
        }
    }
    out
}

#[test]
fn gpo_registry_pol_writes_local_values_exactly_as_the_template_describes() {
    let examples = examples();
    let out = build(&examples, None);
    let mut checked = 0;
    for example in &examples {
        let name = policy_name(example);
        let model = model_of(example);
        let template = read_template(&xml(&out.join(&name).join("admx/rdpgen.admx")));
        let (dir, _) = backup_dir(&out, &name);
        let entries = pol(&dir.join(MACHINE).join("registry.pol"));
        let local: Vec<_> = model
            .registry
            .iter()
            .filter(|op| op.scope == Scope::Local)
            .collect();
        for op in local {
            let RegistryAction::Set(value) = &op.action else {
                panic!("{name}: local deletions are not expected")
            };
            let in_pol = entries.iter().find(|e| {
                e.key.eq_ignore_ascii_case(&op.key)
                    && e.value_name.eq_ignore_ascii_case(&op.value_name)
            });
            if matches!(value, RegistryValue::Binary(_)) {
                assert!(in_pol.is_none(), "{name}: binary values go to GPP");
                continue;
            }
            let entry = in_pol.unwrap_or_else(|| {
                panic!(
                    "{name}: {}\\{} missing from registry.pol",
                    op.key, op.value_name
                )
            });
            assert_eq!(&entry.value, value);
            let RegistryValue::Dword(data) = entry.value else {
                panic!("{name}: the template writes REG_DWORD only")
            };
            let key = op.key.to_lowercase();
            match (
                template.get(&(key.clone(), op.value_name.to_lowercase())),
                template.get(&(key.clone(), String::new())),
            ) {
                (Some(TemplatePolicy::Decimal { min, max }), _) => {
                    assert!((*min..=*max).contains(&data), "{name}: {data}");
                }
                (None, Some(TemplatePolicy::Lists { enabled, disabled })) => {
                    // Everything registry.pol writes under this key is one whole list.
                    let at_key: Vec<(String, u32)> = entries
                        .iter()
                        .filter(|e| e.key.to_lowercase() == key)
                        .map(|e| match e.value {
                            RegistryValue::Dword(d) => (e.value_name.to_lowercase(), d),
                            _ => panic!("{name}: non-DWORD under {key}"),
                        })
                        .collect();
                    let same = |list: &Vec<(String, u32)>| {
                        let (mut a, mut b) = (list.clone(), at_key.clone());
                        a.sort();
                        b.sort();
                        a == b
                    };
                    assert!(
                        same(enabled) || same(disabled),
                        "{name}: {at_key:?} is neither list of {key}"
                    );
                }
                other => panic!("{name}: no template policy for {key}: {other:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn template_references_resolve_and_files_are_identical_for_every_policy() {
    let examples = examples();
    let out = build(&examples, None);
    let names: Vec<String> = examples.iter().map(|e| policy_name(e)).collect();
    let first = out.join(&names[0]).join("admx");
    let admx_bytes = std::fs::read(first.join("rdpgen.admx")).unwrap();
    let adml_bytes = std::fs::read(first.join("en-US/rdpgen.adml")).unwrap();
    assert!(
        admx_bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "UTF-8 with BOM"
    );
    assert!(adml_bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    for name in &names[1..] {
        let dir = out.join(name).join("admx");
        assert_eq!(std::fs::read(dir.join("rdpgen.admx")).unwrap(), admx_bytes);
        assert_eq!(
            std::fs::read(dir.join("en-US/rdpgen.adml")).unwrap(),
            adml_bytes
        );
    }
    let admx = xml(&first.join("rdpgen.admx"));
    let adml = xml(&first.join("en-US/rdpgen.adml"));
    let target = admx
        .element("policyNamespaces")
        .unwrap()
        .element("target")
        .unwrap();
    assert_eq!(target.attribute("prefix"), Some("rdpgen"));
    assert_eq!(target.attribute("namespace"), Some("rdpgen.Policies.RDP"));
    let resources = adml.element("resources").unwrap();
    let strings: BTreeMap<String, String> = resources
        .element("stringTable")
        .unwrap()
        .elements_named("string")
        .map(|s| (s.attribute("id").unwrap().to_string(), s.text()))
        .collect();
    let presentations: Vec<&Element> = resources
        .element("presentationTable")
        .unwrap()
        .elements_named("presentation")
        .collect();
    let element_ids: Vec<&str> = admx
        .descendants()
        .into_iter()
        .filter(|e| e.name == "decimal" && e.attribute("id").is_some())
        .filter_map(|e| e.attribute("id"))
        .collect();
    let (mut strings_used, mut presentations_used) = (0, 0);
    for element in admx.descendants() {
        for (_, value) in &element.attributes {
            if let Some(id) = value
                .strip_prefix("$(string.")
                .and_then(|v| v.strip_suffix(')'))
            {
                assert!(
                    strings.get(id).is_some_and(|t| !t.is_empty()),
                    "$(string.{id}) is not defined in the ADML"
                );
                strings_used += 1;
            }
            if let Some(id) = value
                .strip_prefix("$(presentation.")
                .and_then(|v| v.strip_suffix(')'))
            {
                let p = presentations
                    .iter()
                    .find(|p| p.attribute("id") == Some(id))
                    .unwrap_or_else(|| panic!("$(presentation.{id}) is not defined"));
                for control in p.elements() {
                    if let Some(r) = control.attribute("refId") {
                        assert!(element_ids.contains(&r), "refId {r} names no element");
                    }
                }
                presentations_used += 1;
            }
        }
    }
    assert!(strings_used >= 15 && presentations_used >= 1);
    // Explain texts come from the catalog.
    let port_help = &strings["RDP_ListenerPort_Help"];
    assert!(
        port_help.contains(
            rdpgen::catalog::setting("connection.port")
                .unwrap()
                .explanation
        )
    );
    assert!(
        strings["SCHANNEL_Server_TLS1_2_Help"].contains(
            rdpgen::catalog::setting("tls.minVersion")
                .unwrap()
                .explanation
        )
    );
}

#[test]
fn two_builds_give_the_same_guids_and_bytes() {
    let examples = examples();
    let a = build(&examples, None);
    let b = build(&examples, None);
    for example in &examples {
        let name = policy_name(example);
        for part in ["gpo", "admx"] {
            let (fa, fb) = (
                files_below(&a.join(&name).join(part)),
                files_below(&b.join(&name).join(part)),
            );
            assert_eq!(fa, fb, "{name}");
            for f in &fa {
                assert_eq!(
                    std::fs::read(a.join(&name).join(part).join(f)).unwrap(),
                    std::fs::read(b.join(&name).join(part).join(f)).unwrap(),
                    "{name}/{part}/{f}"
                );
            }
        }
    }
    // The GPO GUID is gpo.guid when given, else the UUIDv5 of the name; the backup id follows
    // the policy content.
    let x = write_policy("rdpgen: 1\nname: same-name\nsecurity:\n  nla: true\n");
    let y = write_policy("rdpgen: 1\nname: same-name\nsecurity:\n  nla: false\n");
    let (ox, oy) = (build(&[x], None), build(&[y], None));
    let (dx, idx) = backup_dir(&ox, "same-name");
    let (dy, idy) = backup_dir(&oy, "same-name");
    assert_ne!(idx, idy, "a different policy is a different backup");
    let guid = |d: &Path| child_text(&xml(&d.join("bkupInfo.xml")), "GPOGuid");
    assert_eq!(guid(&dx), guid(&dy), "the same name is the same GPO");
}

#[test]
fn source_date_epoch_sets_the_backup_time_and_nothing_else() {
    let example = repo().join("examples/dmz-jump.yaml");
    let plain = build(std::slice::from_ref(&example), None);
    let dated = build(std::slice::from_ref(&example), Some("1700000000"));
    let (dp, idp) = backup_dir(&plain, "dmz-jump");
    let (dd, idd) = backup_dir(&dated, "dmz-jump");
    assert_eq!(idp, idd, "the backup id does not depend on the time");
    let info = xml(&dd.join("bkupInfo.xml"));
    assert_eq!(child_text(&info, "BackupTime"), "2023-11-14T22:13:20");
    assert_eq!(
        child_text(&xml(&dp.join("bkupInfo.xml")), "BackupTime"),
        "2000-01-01T00:00:00"
    );
    let report = xml(&dd.join("gpreport.xml"));
    assert_eq!(child_text(&report, "ModifiedTime"), "2023-11-14T22:13:20");
    let gpp = xml(&dd.join(GPP_REGISTRY));
    assert_eq!(
        gpp.element("Registry").unwrap().attribute("changed"),
        Some("2023-11-14 22:13:20")
    );
    for same in [
        "Backup.xml",
        "DomainSysvol/GPO/Machine/registry.pol",
        GPT_TMPL,
    ] {
        assert_eq!(
            std::fs::read(dp.join(same)).unwrap(),
            std::fs::read(dd.join(same)).unwrap(),
            "{same}"
        );
    }
    // A malformed value is an error, not a silent fallback (reproducible-builds.org).
    let out = scratch("gpo-epoch").join("out");
    let (code, _, stderr) = run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .args(["build", "--target", "gpo", "--out"])
        .arg(&out)
        .arg(&example));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("SOURCE_DATE_EPOCH `yesterday`"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn hostile_strings_never_break_the_xml() {
    let display = "<GPO> & \"quotes\" 'apos' ]]> Ünïcödé — 日本語 🚀";
    let description = "line one ]]> <b>&amp;</b>\n\tline two \"]]]]>\"";
    let domain = "corp&<x>\".example.com";
    let yaml = format!(
        "rdpgen: 1\nname: hostile\ndescription: {}\n\
         connection:\n  port: 3390\n\
         certificate:\n  thumbprint: \"9f2b4c11d07e35a864c219fb0e835d2a77b1c440\"\n\
         firewall:\n  allowFrom: [10.0.0.0/8]\n\
         logonRights:\n  allow: [\"CORP\\\\R&D 'Ops'\", Administrators]\n  deny: [\"S-1-5-21-1-2-3-500\"]\n\
         gpo:\n  displayName: {}\n  domain: {}\n",
        serde_json::to_string(description).unwrap(),
        serde_json::to_string(display).unwrap(),
        serde_json::to_string(domain).unwrap(),
    );
    let policy = write_policy(&yaml);
    let out = build(&[policy], None);
    let (dir, _) = backup_dir(&out, "hostile");
    for file in files_below(&out.join("hostile")) {
        if file.ends_with(".xml") || file.ends_with(".admx") || file.ends_with(".adml") {
            xml(&out.join("hostile").join(&file));
        }
    }
    let info = xml(&dir.join("bkupInfo.xml"));
    assert_eq!(child_text(&info, "GPODisplayName"), display);
    assert_eq!(child_text(&info, "Comment"), description);
    assert_eq!(child_text(&info, "GPODomain"), domain);
    let manifest = xml(&out.join("hostile/gpo/manifest.xml"));
    let inst = manifest.element("BackupInst").unwrap();
    assert_eq!(child_text(inst, "GPODisplayName"), display);
    let backup = xml(&dir.join("Backup.xml"));
    let object = backup.element("GroupPolicyObject").unwrap();
    let core = object.element("GroupPolicyCoreSettings").unwrap();
    assert_eq!(child_text(core, "DisplayName"), display);
    assert_eq!(child_text(core, "Domain"), domain);
    let source = object
        .descendants()
        .into_iter()
        .find_map(|e| e.attribute("bkp:SourceExpandedPath"))
        .unwrap();
    assert!(
        source.starts_with(&format!("\\\\{domain}\\sysvol\\{domain}\\Policies\\{{")),
        "{source}"
    );
    let groups: Vec<(String, String)> = object
        .element("SecurityGroups")
        .unwrap()
        .elements_named("Group")
        .map(|g| {
            (
                child_text(g, "NetBIOSDomainName"),
                child_text(g, "SamAccountName"),
            )
        })
        .collect();
    assert!(
        groups.contains(&("CORP".into(), "R&D 'Ops'".into())),
        "{groups:?}"
    );
    let report = xml(&dir.join("gpreport.xml"));
    assert_eq!(child_text(&report, "Name"), display);
    let inf = security_template::read(&std::fs::read(dir.join(GPT_TMPL)).unwrap()).unwrap();
    assert_eq!(
        inf.privilege_rights[0].members,
        ["CORP\\R&D 'Ops'", "*S-1-5-32-544"]
    );
    assert_eq!(inf.privilege_rights[1].members, ["*S-1-5-21-1-2-3-500"]);
}

#[test]
fn a_policy_without_settings_lists_no_extension() {
    let policy = write_policy("rdpgen: 1\nname: bare\n");
    let out = build(&[policy], None);
    let (dir, _) = backup_dir(&out, "bare");
    assert_eq!(
        files_below(&dir),
        ["Backup.xml", "bkupInfo.xml", "gpreport.xml"]
    );
    let backup = std::fs::read_to_string(dir.join("Backup.xml")).unwrap();
    assert!(backup.contains(
        "<MachineVersionNumber><![CDATA[0]]></MachineVersionNumber><MachineExtensionGuids/>"
    ));
    assert!(backup.contains(
        r#"<GroupPolicyExtension bkp:ID="{F15C46CD-82A0-4C2D-A210-5D0D3182A418}" bkp:DescName="Unknown Extension"/>"#
    ));
}

/// Microsoft's member-server baseline backup, the model of a backup Import-GPO accepts.
const BASELINE: &str = "reference/baseline-gpos/Server2025/{BA069D5A-8C6F-434C-8EB0-1E19E07AA976}";

#[test]
fn structure_matches_microsofts_baseline_backup() {
    let shared = crate::shared();
    let baseline = shared.join(BASELINE);
    if !crate::available("../shared/reference/baseline-gpos", baseline.is_dir()) {
        return;
    }
    let out = build(&[repo().join("examples/dmz-jump.yaml")], None);
    let (dir, _) = backup_dir(&out, "dmz-jump");
    // Layout: manifest.xml beside one folder per backup; the same names and case where the
    // backups overlap; nothing Microsoft's backups do not have except the GPP folder.
    assert!(baseline.parent().unwrap().join("manifest.xml").is_file());
    assert!(out.join("dmz-jump/gpo/manifest.xml").is_file());
    let theirs = files_below(&baseline);
    let ours = files_below(&dir);
    for file in &ours {
        assert!(
            theirs.contains(file) || file == GPP_REGISTRY,
            "{file} has no counterpart in Microsoft's backup {theirs:?}"
        );
    }
    for common in [
        "Backup.xml",
        "bkupInfo.xml",
        "gpreport.xml",
        "DomainSysvol/GPO/Machine/registry.pol",
        GPT_TMPL,
    ] {
        assert!(theirs.iter().any(|f| f == common) && ours.iter().any(|f| f == common));
    }

    // Encodings and first bytes.
    let first = |base: &Path, f: &str, n: usize| std::fs::read(base.join(f)).unwrap()[..n].to_vec();
    for (f, n) in [
        ("gpreport.xml", 4),
        (GPT_TMPL, 24),
        ("DomainSysvol/GPO/Machine/registry.pol", 8),
        ("Backup.xml", 38),
        ("bkupInfo.xml", 12),
    ] {
        assert_eq!(first(&baseline, f, n), first(&dir, f, n), "{f}");
    }
    assert_eq!(
        first(baseline.parent().unwrap(), "manifest.xml", 60),
        first(&out.join("dmz-jump/gpo"), "manifest.xml", 60)
    );

    // Backup.xml: root, core settings in the same order, the same extension entries for the
    // files both hold.
    let (b_theirs, b_ours) = (
        xml(&baseline.join("Backup.xml")),
        xml(&dir.join("Backup.xml")),
    );
    assert_eq!(b_theirs.name, b_ours.name);
    for a in ["bkp:version", "bkp:type", "xmlns:bkp", "xmlns"] {
        assert_eq!(b_theirs.attribute(a), b_ours.attribute(a), "{a}");
    }
    let object = |e: &Element| e.element("GroupPolicyObject").unwrap().clone();
    let (o_theirs, o_ours) = (object(&b_theirs), object(&b_ours));
    let child_names = |e: &Element| e.elements().map(|c| c.name.clone()).collect::<Vec<_>>();
    let core = |o: &Element| o.element("GroupPolicyCoreSettings").unwrap().clone();
    assert_eq!(child_names(&core(&o_theirs)), child_names(&core(&o_ours)));
    let top = |o: &Element| {
        let mut names = child_names(o);
        names.dedup();
        names
    };
    assert_eq!(top(&o_theirs), top(&o_ours));
    let group = |o: &Element| {
        o.element("SecurityGroups")
            .unwrap()
            .elements()
            .next()
            .map(child_names)
    };
    assert_eq!(group(&o_theirs), group(&o_ours));
    let file_entry = |o: &Element, cse: &str, path: &str| -> Vec<(String, String)> {
        let extension = o
            .elements_named("GroupPolicyExtension")
            .find(|e| e.attribute("bkp:ID") == Some(cse))
            .unwrap_or_else(|| panic!("no extension {cse}"));
        let file = extension
            .elements_named("FSObjectFile")
            .find(|f| f.attribute("bkp:Path") == Some(path))
            .unwrap_or_else(|| panic!("no {path}"));
        file.attributes
            .iter()
            .filter(|(k, _)| k != "bkp:SourceExpandedPath")
            .cloned()
            .collect()
    };
    for (cse, path) in [
        (REGISTRY_CSE, r"%GPO_MACH_FSPATH%\registry.pol"),
        (REGISTRY_CSE, r"%GPO_FSPATH%\Adm\*.*"),
        (
            SECURITY_CSE,
            r"%GPO_MACH_FSPATH%\microsoft\windows nt\SecEdit\GptTmpl.inf",
        ),
    ] {
        assert_eq!(
            file_entry(&o_theirs, cse, path),
            file_entry(&o_ours, cse, path),
            "{path}"
        );
    }
    let descriptions = |o: &Element| {
        o.elements_named("GroupPolicyExtension")
            .map(|e| {
                (
                    e.attribute("bkp:ID").unwrap().to_string(),
                    e.attribute("bkp:DescName").unwrap().to_string(),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    let (d_theirs, d_ours) = (descriptions(&o_theirs), descriptions(&o_ours));
    for (id, name) in &d_ours {
        assert_eq!(d_theirs.get(id), Some(name), "{id}");
    }
    // The folder entries of the unknown extension that both backups need.
    let dirs = |o: &Element| -> Vec<String> {
        o.elements_named("GroupPolicyExtension")
            .filter(|e| e.attribute("bkp:DescName") == Some("Unknown Extension"))
            .flat_map(|e| e.elements_named("FSObjectDir"))
            .map(|d| d.attribute("bkp:Location").unwrap().to_string())
            .collect()
    };
    let their_dirs = dirs(&o_theirs);
    for d in [
        r"DomainSysvol\GPO\Machine\microsoft",
        r"DomainSysvol\GPO\Machine\microsoft\windows nt",
        r"DomainSysvol\GPO\Machine\microsoft\windows nt\SecEdit",
        r"DomainSysvol\GPO\Machine\Preferences",
        r"DomainSysvol\GPO\Machine\Preferences\Registry",
    ] {
        assert!(their_dirs.iter().any(|x| x == d), "{d}");
        assert!(dirs(&o_ours).iter().any(|x| x == d), "{d}");
    }
    // The extension list has the same syntax, and the Registry (with firewall rules) and
    // Security entries are exactly Microsoft's.
    let lists = |o: &Element| extension_lists(&child_text(&core(o), "MachineExtensionGuids"));
    let (l_theirs, l_ours) = (lists(&o_theirs), lists(&o_ours));
    for cse in [REGISTRY_CSE, SECURITY_CSE] {
        let tools = |l: &[(String, Vec<String>)]| {
            l.iter()
                .find(|(c, _)| c == cse)
                .map(|(_, t)| t.clone())
                .unwrap()
        };
        assert_eq!(tools(&l_theirs), tools(&l_ours), "{cse}");
    }

    // bkupInfo.xml and gpreport.xml: the same elements in the same order.
    let (i_theirs, i_ours) = (
        xml(&baseline.join("bkupInfo.xml")),
        xml(&dir.join("bkupInfo.xml")),
    );
    assert_eq!(i_theirs.attributes, i_ours.attributes);
    assert_eq!(child_names(&i_theirs), child_names(&i_ours));
    let (r_theirs, r_ours) = (
        xml(&baseline.join("gpreport.xml")),
        xml(&dir.join("gpreport.xml")),
    );
    assert_eq!(r_theirs.attributes, r_ours.attributes);
    let ours_top = child_names(&r_ours);
    let theirs_top = child_names(&r_theirs);
    let common: Vec<&String> = theirs_top.iter().filter(|n| ours_top.contains(n)).collect();
    assert_eq!(common, ours_top.iter().collect::<Vec<_>>(), "same order");
    let security = |r: &Element| {
        r.element("Computer")
            .unwrap()
            .elements_named("ExtensionData")
            .find(|e| child_text(e, "Name") == "Security")
            .unwrap()
            .element("Extension")
            .unwrap()
            .element("UserRightsAssignment")
            .map(|u| {
                let mut names = child_names(u);
                names.dedup();
                names
            })
    };
    assert_eq!(security(&r_theirs), security(&r_ours));

    // Security templates: both read by the same reader; the deny right has the same form.
    let read =
        |d: &Path| security_template::read(&std::fs::read(d.join(GPT_TMPL)).unwrap()).unwrap();
    let (t_theirs, t_ours) = (read(&baseline), read(&dir));
    let deny = |t: &security_template::SecurityTemplate| {
        t.privilege_rights
            .iter()
            .find(|r| r.name == "SeDenyRemoteInteractiveLogonRight")
            .unwrap()
            .members
            .clone()
    };
    assert!(deny(&t_theirs).contains(&"*S-1-5-113".to_string()));
    // dmz-jump is a workgroup host, so it denies Guests only (denying Local account there
    // would lock everyone out, RDP055); the entry has the baseline's `*SID` form.
    assert!(deny(&t_ours).contains(&"*S-1-5-32-546".to_string()));
    let text = |d: &Path| utf16(&std::fs::read(d.join(GPT_TMPL)).unwrap());
    for t in [text(&baseline), text(&dir)] {
        assert!(t.starts_with("[Unicode]\r\nUnicode=yes\r\n"));
        assert!(t.contains("[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"));
        assert!(t.contains("\r\nSeDenyRemoteInteractiveLogonRight = *S-1-5-"));
        assert!(t.ends_with("\r\n"));
    }
}

/// A reviewable text form of a build's backup: every file, decoded.
fn describe_backup(out: &Path, name: &str) -> String {
    use std::fmt::Write as _;
    let root = out.join(name).join("gpo");
    let mut text = format!("GPO backup of `{name}` (SOURCE_DATE_EPOCH unset)\n");
    for file in files_below(&root) {
        let bytes = std::fs::read(root.join(&file)).unwrap();
        let _ = writeln!(text, "\n=== {file} ({} bytes)", bytes.len());
        if file.ends_with("registry.pol") {
            for e in registry_pol::read(&bytes).unwrap() {
                let _ = writeln!(text, "{}\\{} = {:?}", e.key, e.value_name, e.value);
            }
        } else if bytes.starts_with(&[0xFF, 0xFE]) {
            let _ = writeln!(
                text,
                "[UTF-16LE with BOM]\n{}",
                utf16(&bytes).replace("\r\n", "⏎\n")
            );
        } else {
            let _ = writeln!(
                text,
                "{}",
                String::from_utf8(bytes).unwrap().replace("\r\n", "⏎\n")
            );
        }
    }
    text
}

#[test]
fn backups_match_reviewed_snapshots() {
    let examples = examples();
    let out = build(&examples, None);
    for example in &examples {
        let name = policy_name(example);
        let stem = example.file_stem().unwrap().to_string_lossy().into_owned();
        let text = describe_backup(&out, &name);
        crate::assert_snapshot(&format!("tests/snapshots/gpo/{stem}.txt"), text);
    }
}

/// What GPMC's settings report shows for rdpgen's listener-port policy: `port: 3389` (the
/// Windows default) is Enabled with 3389, exactly as any other port, never "Disabled".
#[test]
fn gpreport_shows_the_listener_port_as_enabled_with_its_value() {
    for port in ["3389", "53389"] {
        let policy = write_policy(&format!(
            "rdpgen: 1\nname: port-{port}\nconnection:\n  port: {port}\n"
        ));
        let out = build(&[policy], None);
        let (dir, _) = backup_dir(&out, &format!("port-{port}"));
        let report = xml(&dir.join("gpreport.xml"));
        let shown: Vec<(String, String, Option<String>)> = report
            .descendants()
            .into_iter()
            .filter(|e| e.local_name() == "Policy")
            .filter(|p| child_text(p, "Name") == "Listener port of RDP-Tcp")
            .map(|p| {
                (
                    child_text(p, "State"),
                    p.element("Numeric")
                        .map(|n| child_text(n, "State"))
                        .unwrap_or_default(),
                    p.element("Numeric").map(|n| child_text(n, "Value")),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [(
                "Enabled".to_string(),
                "Enabled".to_string(),
                Some(port.to_string())
            )],
            "port {port}"
        );
        // registry.pol holds the port itself, not a deletion.
        let entries = pol(&dir.join(MACHINE).join("registry.pol"));
        let written: Vec<_> = entries
            .iter()
            .filter(|e| e.key.eq_ignore_ascii_case(keys::RDP_TCP))
            .map(|e| (e.value_name.clone(), e.value.clone()))
            .collect();
        assert_eq!(
            written,
            [(
                "PortNumber".to_string(),
                RegistryValue::Dword(port.parse().unwrap())
            )]
        );
    }
}

/// One ACE of a self-relative security descriptor: (type, flags, mask, object type GUID bytes,
/// SID as `S-1-...`).
type Ace = (u8, u8, u32, Option<Vec<u8>>, String);

fn sid_text(bytes: &[u8]) -> String {
    let count = usize::from(bytes[1]);
    let authority = u64::from_be_bytes([
        0, 0, bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ]);
    let mut text = format!("S-{}-{authority}", bytes[0]);
    for i in 0..count {
        let at = 8 + 4 * i;
        text.push_str(&format!(
            "-{}",
            u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
        ));
    }
    text
}

/// The DACL of a `<SecurityDescriptor>` text (space-separated hex, as GPMC writes it).
fn dacl_of(text: &str) -> Vec<Ace> {
    let sd: Vec<u8> = text
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect();
    assert_eq!(sd[0], 1, "revision");
    let control = u16::from_le_bytes([sd[2], sd[3]]);
    assert_eq!(control & 0x8004, 0x8004, "self-relative, DACL present");
    let dacl = usize::try_from(u32::from_le_bytes(sd[16..20].try_into().unwrap())).unwrap();
    let count = usize::from(u16::from_le_bytes([sd[dacl + 4], sd[dacl + 5]]));
    let acl_size = usize::from(u16::from_le_bytes([sd[dacl + 2], sd[dacl + 3]]));
    assert!(dacl + acl_size <= sd.len());
    let mut at = dacl + 8;
    let mut out = Vec::new();
    for _ in 0..count {
        let (kind, flags) = (sd[at], sd[at + 1]);
        let size = usize::from(u16::from_le_bytes([sd[at + 2], sd[at + 3]]));
        let mask = u32::from_le_bytes(sd[at + 4..at + 8].try_into().unwrap());
        let (object, sid) = if kind == 5 {
            let object_flags = u32::from_le_bytes(sd[at + 8..at + 12].try_into().unwrap());
            assert_eq!(object_flags, 1, "only an object type");
            (Some(sd[at + 12..at + 28].to_vec()), &sd[at + 28..at + size])
        } else {
            (None, &sd[at + 8..at + size])
        };
        out.push((kind, flags, mask, object, sid_text(sid)));
        at += size;
    }
    assert_eq!(at, dacl + acl_size, "the ACL size covers exactly its ACEs");
    out
}

/// Backup.xml's `SecurityDescriptor` is Microsoft's default GPO DACL minus the ACEs that name
/// domain principals (which need the domain SID rdpgen does not have): read from each of
/// Microsoft's baseline backups and compared ACE by ACE.
#[test]
fn security_descriptor_is_microsofts_default_dacl_without_domain_principals() {
    let baseline = crate::shared().join("reference/baseline-gpos/Server2025");
    if !crate::available("../shared/reference/baseline-gpos", baseline.is_dir()) {
        return;
    }
    let out = build(&[repo().join("examples/dmz-jump.yaml")], None);
    let (dir, _) = backup_dir(&out, "dmz-jump");
    let core = |backup: &Path| {
        xml(&backup.join("Backup.xml"))
            .element("GroupPolicyObject")
            .unwrap()
            .element("GroupPolicyCoreSettings")
            .unwrap()
            .element("SecurityDescriptor")
            .unwrap()
            .text()
    };
    let ours = dacl_of(&core(&dir));
    assert_eq!(ours.len(), 5, "{ours:?}");
    let mut compared = 0;
    for entry in std::fs::read_dir(&baseline).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let theirs: Vec<Ace> = dacl_of(&core(&path))
            .into_iter()
            .filter(|ace| !ace.4.starts_with("S-1-5-21-"))
            .collect();
        assert_eq!(ours, theirs, "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 8, "{compared}");
    // Apply Group Policy for Authenticated Users: without it the GPO applies to no one.
    assert!(
        ours.iter()
            .any(|a| a.0 == 5 && a.4 == "S-1-5-11" && a.2 & 0x100 != 0)
    );
}

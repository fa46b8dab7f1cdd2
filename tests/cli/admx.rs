//! The `admx:` section end to end. Expected keys, value names and data are written here from
//! Microsoft's TerminalServer.admx, TerminalServer-Server.admx and CredSsp.admx (the element
//! and item each line comes from is named), not copied from rdpgen's output.

use std::path::{Path, PathBuf};

use rdpgen::formats::RegistryValue;
use serde_json::Value;

use crate::{only_dir, rdpgen, run, scratch};

const TS: &str = r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
const VIP: &str = r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\TSAppSrv\VirtualIP";
const CD: &str = r"Software\Policies\Microsoft\Windows\CredentialsDelegation";
const FIXTURE: &str = "tests/fixtures/coverage/admx-every-kind.yaml";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn policy(admx: &str) -> String {
    format!("rdpgen: 1\nname: t\nadmx:\n{admx}")
}

/// `validate` on a policy with these `admx:` entries: (exit code, stdout).
fn validate(dir: &Path, admx: &str) -> (i32, String) {
    let p = write(dir, "p.yaml", &policy(admx));
    let (code, out, err) = run(rdpgen().args(["validate", "--color", "never"]).arg(&p));
    (code, format!("{out}{err}"))
}

#[test]
fn every_element_kind_reaches_registry_pol_as_the_admx_says() {
    let dir = scratch("admx-build");
    let (code, _, err) = run(rdpgen().args(["build", FIXTURE, "--out"]).arg(&dir));
    assert_eq!(code, 0, "{err}");
    let out = dir.join("admx-every-kind");
    let gpo = only_dir(&out.join("gpo"));
    let s = |v: &str| Some(RegistryValue::Sz(v.into()));
    // (key, value name, data; None = `**del.`), from the ADMX.
    let expected: Vec<(&str, &str, Option<RegistryValue>)> = vec![
        // TS_MAXDISPLAYRES: decimal elements TS_DisplayRes_Width/Height (REG_DWORD).
        (TS, "MaxXResolution", Some(RegistryValue::Dword(1920))),
        (TS, "MaxYResolution", Some(RegistryValue::Dword(1080))),
        // TS_USER_HOME: enum TS_USER_HOME_LOCATION item TS_On_the_Network = decimal 1, text
        // TS_HOME_DIR, enum TS_DRIVE_LETTER item TS_DRIVE_H = string "H:".
        (TS, "WFHomeDirUNC", Some(RegistryValue::Dword(1))),
        (TS, "WFHomeDir", s(r"\\files.corp.example.com\home$")),
        (TS, "WFHomeDirDrive", s("H:")),
        // TS_START_PROGRAM_2 disabled: no policy value, both text elements deleted.
        (TS, "InitialProgram", None),
        (TS, "WorkDirectory", None),
        // TS_SESSIONS_RemoteApp_End_Timeout_1 disabled: its disabledList sets the string "0".
        (TS, "RemoteAppLogoffTimeLimit", s("0")),
        // TS_SERVER_AVC444_MODE_PREFERRED disabled: disabledValue decimal 0.
        (TS, "AVC444ModePreferred", Some(RegistryValue::Dword(0))),
        // TS_ENABLE_IP_VIRTUALIZATION: enabledValue 1, enum item program mode = 1, multiText.
        (VIP, "EnableVirtualIP", Some(RegistryValue::Dword(1))),
        (VIP, "VirtualMode", Some(RegistryValue::Dword(1))),
        (
            VIP,
            "PerApp",
            Some(RegistryValue::MultiSz(vec![
                "notepad.exe".into(),
                "calc.exe".into(),
            ])),
        ),
        // AllowSavedCredentials: enabledValue 1, boolean ConcatenateDefaults_ASC false =
        // falseValue 0, list with valuePrefix "" → values 1, 2 under its own key.
        (CD, "AllowSavedCredentials", Some(RegistryValue::Dword(1))),
        (
            CD,
            "ConcatenateDefaults_AllowSaved",
            Some(RegistryValue::Dword(0)),
        ),
        (
            r"Software\Policies\Microsoft\Windows\CredentialsDelegation\AllowSavedCredentials",
            "1",
            s("TERMSRV/jump01.corp.example.com"),
        ),
        (
            r"Software\Policies\Microsoft\Windows\CredentialsDelegation\AllowSavedCredentials",
            "2",
            s("TERMSRV/jump02.corp.example.com"),
        ),
        // RestrictedRemoteAdministration: enabledValue 1, enum item by its value 1.
        (
            CD,
            "RestrictedRemoteAdministration",
            Some(RegistryValue::Dword(1)),
        ),
        (
            CD,
            "RestrictedRemoteAdministrationType",
            Some(RegistryValue::Dword(1)),
        ),
    ];
    for pol in [
        out.join("pol/Machine/Registry.pol"),
        gpo.join("DomainSysvol/GPO/Machine/registry.pol"),
    ] {
        let entries = rdpgen::formats::registry_pol::read(&std::fs::read(&pol).unwrap()).unwrap();
        for (key, name, value) in &expected {
            let want_name = match value {
                Some(_) => (*name).to_string(),
                None => format!("**del.{name}"),
            };
            let found: Vec<_> = entries
                .iter()
                .filter(|e| e.key.eq_ignore_ascii_case(key) && e.value_name == want_name)
                .collect();
            assert_eq!(found.len(), 1, "{}: {key}\\{want_name}", pol.display());
            if let Some(v) = value {
                assert_eq!(&found[0].value, v, "{key}\\{name}");
            }
        }
        // The RemoteApp timeout keeps its disabledList value: no deletion of it as well.
        assert!(
            !entries
                .iter()
                .any(|e| e.value_name == "**del.RemoteAppLogoffTimeLimit"),
            "{}",
            pol.display()
        );
    }
    // Every other target carries the values too.
    for target in [
        "reg/apply.reg",
        "lgpo/machine.txt",
        "dsc/RdpPosture.ps1",
        "dsc3/rdp.dsc.yaml",
        "ansible/apply.yml",
        "intune/remediate.ps1",
    ] {
        let text = crate::text_of(&out.join(target));
        for name in [
            "MaxXResolution",
            "WFHomeDirDrive",
            "PerApp",
            "ConcatenateDefaults_AllowSaved",
        ] {
            assert!(text.contains(name), "{target} lacks {name}");
        }
    }
    // Intune's OMA-URI profile: the TerminalServer.admx policies with their <data> elements.
    let oma: Value =
        serde_json::from_slice(&std::fs::read(out.join("intune/oma-uri.json")).unwrap()).unwrap();
    let res = oma["omaSettings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["omaUri"].as_str().unwrap().ends_with("/TS_MAXDISPLAYRES"))
        .expect("TS_MAXDISPLAYRES in the OMA-URI profile");
    assert_eq!(
        res["value"],
        "<enabled/><data id=\"TS_DisplayRes_Width\" value=\"1920\"/><data id=\"TS_DisplayRes_Height\" value=\"1080\"/>"
    );
}

#[test]
fn diff_checks_each_value_and_names_the_policy() {
    let dir = scratch("admx-diff");
    let (code, _, err) = run(rdpgen()
        .args(["build", FIXTURE, "--target", "reg", "--out"])
        .arg(&dir));
    assert_eq!(code, 0, "{err}");
    let apply = dir.join("admx-every-kind/reg/apply.reg");
    let report = |host: &Path| crate::diff_json(FIXTURE, host);
    let outcome = crate::check_outcome;
    // The apply.reg export is a host that holds every value.
    let (code, r) = report(&apply);
    assert_eq!(code, 0, "{r}");
    for id in [
        "admx:TerminalServer/TS_MAXDISPLAYRES:MaxXResolution",
        "admx:TerminalServer/TS_START_PROGRAM_2:InitialProgram",
        "admx:TerminalServer-Server/TS_ENABLE_IP_VIRTUALIZATION:PerApp",
        r"admx:CredSsp/AllowSavedCredentials:Software\Policies\Microsoft\Windows\CredentialsDelegation\AllowSavedCredentials\2",
    ] {
        assert_eq!(outcome(&r, id), "pass", "{id}");
    }
    // One value drifted: that check, and only it, fails.
    let text = crate::text_of(&apply);
    assert!(
        text.contains("\"MaxXResolution\"=dword:00000780"),
        "1920 in apply.reg"
    );
    let drifted = text.replace(
        "\"MaxXResolution\"=dword:00000780",
        "\"MaxXResolution\"=dword:00000400",
    );
    let host = dir.join("drifted.reg");
    let mut out = vec![0xFF, 0xFE];
    out.extend(drifted.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&host, out).unwrap();
    let (code, r) = report(&host);
    assert_eq!(code, 1, "{r}");
    let failed: Vec<&str> = r["hosts"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["admx:TerminalServer/TS_MAXDISPLAYRES:MaxXResolution"]
    );
}

#[test]
fn bad_entries_are_errors_at_their_line_with_a_suggestion() {
    let dir = scratch("admx-validate");
    for (entry, code, wants) in [
        (
            "  - policy: TerminalServer/TS_MAXDISPLAYRESS\n    state: enabled\n",
            "RDP060",
            "did you mean `TerminalServer/TS_MAXDISPLAYRES`?",
        ),
        (
            "  - policy: TS_MAXDISPLAYRES\n    state: enabled\n",
            "RDP013",
            "",
        ),
        (
            "  - policy: TerminalServer/TS_MAXDISPLAYRES\n    state: enabled\n    values: {TS_DisplayRes_Widht: 1920, TS_DisplayRes_Height: 1080}\n",
            "RDP061",
            "did you mean `TS_DisplayRes_Width`?",
        ),
        (
            "  - policy: TerminalServer/TS_MAXDISPLAYRES\n    state: enabled\n    values: {TS_DisplayRes_Width: 100, TS_DisplayRes_Height: 1080}\n",
            "RDP061",
            "takes 640 to 8192, not 100",
        ),
        (
            "  - policy: TerminalServer/TS_MAXDISPLAYRES\n    state: enabled\n    values: {TS_DisplayRes_Width: 1920}\n",
            "RDP061",
            "needs a value for its element `TS_DisplayRes_Height`",
        ),
        (
            "  - policy: TerminalServer/TS_MAXDISPLAYRES\n    state: enabled\n    values: {TS_DisplayRes_Width: wide, TS_DisplayRes_Height: 1080}\n",
            "RDP061",
            "takes a whole number, not a string",
        ),
        (
            "  - policy: TerminalServer/TS_COLORDEPTH\n    state: enabled\n    values: {TS_Color_Depth: TS_32bit}\n",
            "RDP061",
            "did you mean `TS_32_bit`?",
        ),
        (
            "  - policy: TerminalServer/TS_MAXDISPLAYRES\n    state: disabled\n    values: {TS_DisplayRes_Width: 1920}\n",
            "RDP061",
            "is disabled, so its elements take no values",
        ),
        (
            "  - policy: TerminalServer/AutoSubscription\n    state: enabled\n",
            "RDP061",
            "is a User policy",
        ),
        (
            "  - policy: CredSsp/DenySavedCredentials\n    state: disabled\n",
            "RDP061",
            "clears the key of its list",
        ),
        (
            "  - policy: TerminalServer/TS_SECURITY_LAYER_POLICY\n    state: enabled\n    values: {TS_SECURITY_LAYER: TS_SECURITY_LAYER_SSL}\n",
            "RDP062",
            "set `security.layer` instead",
        ),
        (
            "  - policy: TerminalServer/TS_DISABLE_REMOTE_DESKTOP_WALLPAPER\n    state: enabled\n  - policy: TerminalServer/TS_DISABLE_REMOTE_DESKTOP_WALLPAPER\n    state: disabled\n",
            "RDP063",
            "TerminalServer/TS_DISABLE_REMOTE_DESKTOP_WALLPAPER is set twice",
        ),
        (
            "  - policy: TerminalServer/TS_SD_ClustName\n    state: enabled\n    values: {TS_SD_ClustName: \"farm\\r\\n[HKEY_LOCAL_MACHINE]\"}\n",
            "RDP044",
            "holds the control character U+000D",
        ),
        (
            "  - policy: TerminalServer/TS_EnableVirtualGraphics\n    state: enabled\n  - policy: TerminalServer/TS_SERVER_LEGACY_RFX\n    state: enabled\n",
            "RDP063",
            "which TerminalServer/TS_EnableVirtualGraphics also writes",
        ),
    ] {
        let (exit, out) = validate(&dir, entry);
        assert_eq!(exit, 1, "{entry}\n{out}");
        assert!(out.contains(&format!("error[{code}]")), "{entry}\n{out}");
        assert!(out.contains(wants), "{entry}\nwants {wants:?}\n{out}");
        assert!(out.contains("p.yaml:"), "a location: {out}");
    }
    // The location is the offending element's value.
    let (_, out) = validate(
        &dir,
        "  - policy: TerminalServer/TS_MAXDISPLAYRES\n    state: enabled\n    values:\n      TS_DisplayRes_Width: 100\n      TS_DisplayRes_Height: 1080\n",
    );
    assert!(out.contains("p.yaml:7:28"), "{out}");
    // A valid entry validates.
    let (exit, out) = validate(
        &dir,
        "  - policy: terminalserver/TS_MAXMONITOR\n    state: enabled\n    values: {TS_Max_Monitor: 2}\n",
    );
    assert_eq!(exit, 0, "{out}");
}

#[test]
fn explain_answers_by_id_name_and_check_id() {
    for topic in [
        "TerminalServer/TS_MAXDISPLAYRES",
        "TS_MAXDISPLAYRES",
        "admx:TerminalServer/TS_MAXDISPLAYRES:MaxXResolution",
    ] {
        let (code, out, err) = run(rdpgen().args(["explain", topic]));
        assert_eq!(code, 0, "{topic}: {err}");
        assert!(
            out.starts_with("TerminalServer/TS_MAXDISPLAYRES (TerminalServer.admx, class Machine"),
            "{out}"
        );
        assert!(
            out.contains("MaxXResolution ← element `TS_DisplayRes_Width`: a number 640 to 8192"),
            "{out}"
        );
    }
    let (_, out, _) = run(rdpgen().args(["explain", "TS_SECURITY_LAYER_POLICY"]));
    assert!(out.contains("set by the field `security.layer`"), "{out}");
    let (_, out, _) = run(rdpgen().args(["explain", "admx"]));
    let listed = out
        .lines()
        .filter(|l| l.starts_with("  TerminalServer") || l.starts_with("  CredSsp"))
        .count();
    assert_eq!(
        listed,
        87 + 2 + 11 + 12,
        "every Machine and Both policy of the three files"
    );
    let (_, out, _) = run(rdpgen().args([
        "explain",
        "--format",
        "json",
        "CredSsp/AllowSavedCredentials",
    ]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "admxPolicy");
    assert_eq!(v["policy"]["elements"][0]["kind"], "list");
}

#[test]
fn the_admins_own_admx_files_add_policies() {
    let dir = scratch("admx-dir");
    let defs = dir.join("PolicyDefinitions");
    std::fs::create_dir_all(&defs).unwrap();
    write(
        &defs,
        "Contoso.admx",
        r#"<?xml version="1.0" encoding="utf-8"?>
<policyDefinitions xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions" revision="1.0" schemaVersion="1.0">
  <policies>
    <policy name="Banner" class="Machine" displayName="$(string.B)" explainText="$(string.B)" key="Software\Policies\Contoso\Rdp" valueName="BannerOn">
      <elements>
        <text id="Text" valueName="BannerText" maxLength="40" required="true"/>
      </elements>
    </policy>
    <policy name="FwOff" class="Machine" displayName="$(string.B)" explainText="$(string.B)" key="Software\Policies\Microsoft\WindowsFirewall\DomainProfile" valueName="EnableFirewall">
      <enabledValue><decimal value="0"/></enabledValue>
    </policy>
    <policy name="List" class="Machine" displayName="$(string.B)" explainText="$(string.B)" key="Software\Policies\Contoso\L">
      <elements><list id="Names" key="Software\Policies\Contoso\L" additive="true" explicitValue="true"/></elements>
    </policy>
  </policies>
</policyDefinitions>
"#,
    );
    // The firewall's policy key belongs to `firewall` and `posture.firewall`; a value name
    // Registry.pol would read as a command is refused.
    for (entry, wants) in [
        (
            "  - policy: Contoso/FwOff\n    state: enabled\n",
            "writes under the firewall policy key",
        ),
        (
            "  - policy: Contoso/List\n    state: enabled\n    values: {Names: {'**delvals.': x}}\n",
            "a value name cannot start with `**`",
        ),
    ] {
        let p = write(&dir, "fw.yaml", &policy(entry));
        let (code, out, err) = run(rdpgen()
            .arg("--admx")
            .arg(&defs)
            .args(["validate", "--color", "never"])
            .arg(&p));
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains(wants), "{out}");
    }
    let p = write(
        &dir,
        "p.yaml",
        &policy(
            "  - policy: Contoso/Banner\n    state: enabled\n    values: {Text: Authorised use only}\n",
        ),
    );
    // Without the directory the policy is unknown; with it, it builds.
    let (code, out, _) = run(rdpgen().args(["validate", "--color", "never"]).arg(&p));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("RDP060"), "{out}");
    let (code, _, err) = run(rdpgen()
        .arg("--admx")
        .arg(&defs)
        .args(["build", "--target", "pol", "--out"])
        .arg(dir.join("out"))
        .arg(&p));
    assert_eq!(code, 0, "{err}");
    let pol = std::fs::read(dir.join("out/t/pol/Machine/Registry.pol")).unwrap();
    let entries = rdpgen::formats::registry_pol::read(&pol).unwrap();
    let got: Vec<(&str, &str, &RegistryValue)> = entries
        .iter()
        .map(|e| (e.key.as_str(), e.value_name.as_str(), &e.value))
        .collect();
    assert_eq!(
        got,
        [
            (
                r"Software\Policies\Contoso\Rdp",
                "BannerOn",
                &RegistryValue::Dword(1)
            ),
            (
                r"Software\Policies\Contoso\Rdp",
                "BannerText",
                &RegistryValue::Sz("Authorised use only".into())
            ),
        ]
    );
    // An ADMX file that would write outside the policy keys is refused at its line.
    write(
        &defs,
        "Bad.admx",
        "<policyDefinitions xmlns=\"http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions\">\n<policies>\n  <policy name=\"X\" class=\"Machine\" key=\"SYSTEM\\CurrentControlSet\\Services\\X\" valueName=\"Start\"/>\n</policies>\n</policyDefinitions>\n",
    );
    let (code, _, err) = run(rdpgen().arg("--admx").arg(&defs).args(["validate"]).arg(&p));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("Bad.admx:3:11: policy X: key `SYSTEM"),
        "{err}"
    );
    assert!(err.contains("not below a Group Policy root"), "{err}");
}

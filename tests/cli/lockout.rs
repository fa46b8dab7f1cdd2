//! `posture.accountLockout`: the account lockout policy, GptTmpl.inf `[System Access]`.
//! The expected lines are MS-GPSB 2.2.1.2's names and numbers (LockoutDuration -1 = until an
//! administrator unlocks), in the order of Microsoft's Server 2025 Domain Security baseline,
//! written here by hand, not taken from rdpgen's output.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{check_outcome, diff_json, rdpgen, repo, run, scratch, shared, text_of};

const IDS: [&str; 4] = [
    "posture.accountLockout.threshold",
    "posture.accountLockout.duration",
    "posture.accountLockout.resetAfter",
    "posture.accountLockout.administrator",
];

fn policy(dir: &Path, name: &str, mode: &str, lockout: &str) -> PathBuf {
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &p,
        format!("rdpgen: 1\nname: {name}\nposture:\n  mode: {mode}\n  accountLockout:\n{lockout}"),
    )
    .unwrap();
    p
}

const CIS: &str =
    "    threshold: 5\n    duration: 15m\n    resetAfter: 15m\n    administrator: true\n";

fn build(p: &Path, out: &Path) {
    let (code, _, err) = run(rdpgen().arg("build").arg(p).arg("--out").arg(out));
    assert_eq!(code, 0, "{err}");
}

fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, found);
        } else {
            found.push(p);
        }
    }
}

/// The one GPO backup folder (`gpo/{ID}`) of a build.
fn backup(out: &Path, name: &str) -> PathBuf {
    let gpo = out.join(name).join("gpo");
    std::fs::read_dir(&gpo)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("a backup folder")
}

#[test]
fn enforce_writes_the_gpo_template_and_audit_writes_nothing() {
    let dir = scratch("lockout-build");
    let enforce = policy(
        &dir,
        "lk-enforce",
        "enforce",
        "    threshold: 3\n    duration: until-unlocked\n    resetAfter: 30m\n    administrator: true\n",
    );
    let out = dir.join("out");
    build(&enforce, &out);
    let b = backup(&out, "lk-enforce");
    let inf = b.join(r"DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf");
    let bytes = std::fs::read(&inf).unwrap();
    assert_eq!(
        &bytes[..2],
        &[0xFF, 0xFE],
        "UTF-16LE with a byte-order mark"
    );
    assert_eq!(
        text_of(&inf),
        "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\nLockoutBadCount = 3\r\nResetLockoutCount = 30\r\n\
         LockoutDuration = -1\r\nAllowAdministratorLockout = 1\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"
    );
    // Backup.xml names the Security client-side extension, so Import-GPO brings the file.
    let backup_xml = text_of(&b.join("Backup.xml"));
    assert!(
        backup_xml.contains("{827D319E-6EAC-11D2-A4EA-00C04F79F83A}"),
        "{backup_xml}"
    );
    assert!(backup_xml.contains(r"SecEdit\GptTmpl.inf"), "{backup_xml}");
    let report = text_of(&b.join("gpreport.xml"));
    assert!(
        report.contains("<q1:Name>LockoutBadCount</q1:Name>\r\n          <q1:SettingNumber>3</q1:SettingNumber>\r\n          <q1:Type>Account Lockout</q1:Type>"),
        "{report}"
    );
    assert!(report.contains("<q1:Name>AllowAdministratorLockout</q1:Name>\r\n          <q1:SettingBoolean>true</q1:SettingBoolean>"));
    // Ansible applies the numbers, parameters of a fixed script, through secedit; its
    // rollback leaves them. No registry artifact carries them: they are the SAM's.
    let apply = text_of(&out.join("lk-enforce/ansible/apply.yml"));
    assert!(
        apply.contains(
            "        parameters:\n          LockoutBadCount: 3\n          ResetLockoutCount: 30\n          LockoutDuration: -1\n          AllowAdministratorLockout: 1\n"
        ),
        "{apply}"
    );
    assert!(apply.contains("secedit.exe /configure /db"), "{apply}");
    // The script parses as PowerShell (tree-sitter-powershell, where installed).
    if let Some((python, check)) = crate::ps_parse_check() {
        let script: String = apply
            .split("posture.accountLockout (secedit")
            .nth(1)
            .and_then(|t| t.split("script: !unsafe |\n").nth(1))
            .and_then(|t| t.split("        parameters:").next())
            .expect("the lockout task's script")
            .lines()
            .map(|l| format!("{}\n", l.get(10..).unwrap_or("")))
            .collect();
        assert!(script.starts_with("param($LockoutBadCount"), "{script}");
        let path = dir.join("lockout.ps1");
        std::fs::write(&path, script).unwrap();
        let (code, out, err) = run(std::process::Command::new(python).arg(check).arg(&path));
        assert_eq!(code, 0, "{out}{err}");
    }
    let rollback = text_of(&out.join("lk-enforce/ansible/rollback.yml"));
    assert!(
        rollback.contains("# posture.accountLockout is left as it is"),
        "{rollback}"
    );
    let mut all = Vec::new();
    files(&out.join("lk-enforce"), &mut all);
    for f in &all {
        let text = text_of(f);
        let carrier = f.starts_with(&b) || f.ends_with("ansible/apply.yml");
        if !carrier && text.contains("LockoutBadCount") {
            panic!("{} names LockoutBadCount", f.display());
        }
    }
    let dsc = text_of(&out.join("lk-enforce/dsc/RdpPosture.ps1"));
    assert!(dsc.contains("posture.accountLockout"), "{dsc}");

    // Audit mode: no template at all (nothing else needs one), no line anywhere.
    let audit = policy(&dir, "lk-audit", "audit", CIS);
    build(&audit, &out);
    let mut all = Vec::new();
    files(&out.join("lk-audit"), &mut all);
    assert!(!all.iter().any(|f| f.ends_with("GptTmpl.inf")), "{all:#?}");
    for f in &all {
        assert!(!text_of(f).contains("LockoutBadCount"), "{}", f.display());
    }
}

/// A collector snapshot with its `accountLockout` section replaced (`None`: removed).
fn snapshot(dir: &Path, name: &str, lockout: Option<Value>) -> PathBuf {
    let mut v: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/hosts/tier1-compliant.json")).unwrap(),
    )
    .unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("accountLockout");
    if let Some(l) = lockout {
        o.insert("accountLockout".into(), l);
    }
    let p = dir.join(format!("{name}.json"));
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    p
}

/// Property `key` (`message`, `fix`, `source`) of check `id` of the report's first host.
fn property(report: &Value, id: &str, key: &str) -> String {
    let check = report["hosts"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}"));
    check[key].as_str().unwrap_or_default().to_string()
}

fn message(report: &Value, id: &str) -> String {
    property(report, id, "message")
}

#[test]
fn diff_checks_each_number_against_the_hosts_security_policy() {
    let dir = scratch("lockout-diff");
    let p = policy(&dir, "lk", "audit", CIS);
    let good = serde_json::json!({"LockoutBadCount": 5, "LockoutDuration": 15, "ResetLockoutCount": 15, "AllowAdministratorLockout": 1});
    let (code, r) = diff_json(&p, &snapshot(&dir, "good", Some(good)));
    assert_eq!(code, 0, "{r}");
    for id in IDS {
        assert_eq!(check_outcome(&r, id), "pass", "{id}");
    }
    // Stricter than the policy passes, as the benchmarks count it: fewer failed logons, a
    // longer lockout (or -1, until an administrator unlocks), a longer reset window.
    let stricter = serde_json::json!({"LockoutBadCount": 3, "LockoutDuration": -1, "ResetLockoutCount": 30, "AllowAdministratorLockout": 1});
    let (code, r) = diff_json(&p, &snapshot(&dir, "stricter", Some(stricter)));
    assert_eq!(code, 0, "{r}");
    assert_eq!(
        message(&r, IDS[1]),
        "LockoutDuration is until an administrator unlocks the account in the host's security policy (on a member server: its local accounts)"
    );
    // Looser fails; an older Windows has no AllowAdministratorLockout line: not set, so the
    // Administrator is never locked, and the fix names the update that adds it.
    let looser =
        serde_json::json!({"LockoutBadCount": 10, "LockoutDuration": 10, "ResetLockoutCount": 15});
    let (code, r) = diff_json(&p, &snapshot(&dir, "looser", Some(looser)));
    assert_eq!(code, 1, "{r}");
    assert_eq!(
        message(&r, IDS[0]),
        "LockoutBadCount is 10 failed logons; the policy wants at most 5 failed logons (not 0)"
    );
    assert_eq!(
        message(&r, IDS[1]),
        "LockoutDuration is 10 minutes; the policy wants at least 15 minutes (or until an administrator unlocks the account)"
    );
    assert_eq!(check_outcome(&r, IDS[2]), "pass");
    assert_eq!(message(&r, IDS[3]), "AllowAdministratorLockout is not set");
    assert_eq!(check_outcome(&r, IDS[3]), "fail");
    let fix = property(&r, IDS[3], "fix");
    assert!(fix.contains("KB5020282"), "{fix}");
    // No threshold, as secedit exports it (no duration or reset line): nothing is ever locked,
    // so the duration and reset the SAM may hold apply to nothing.
    let off = serde_json::json!({"LockoutBadCount": 0, "AllowAdministratorLockout": 1});
    let (code, r) = diff_json(&p, &snapshot(&dir, "off", Some(off)));
    assert_eq!(code, 1, "{r}");
    for id in &IDS[..3] {
        assert_eq!(check_outcome(&r, id), "fail", "{id}");
    }
    assert_eq!(
        message(&r, IDS[2]),
        "ResetLockoutCount has no effect: LockoutBadCount is 0, so no account is ever locked"
    );
    // Without the section (an older collector, or secedit failed) nothing is known.
    let (code, r) = diff_json(&p, &snapshot(&dir, "none", None));
    assert_eq!(code, 3, "{r}");
    for id in IDS {
        assert_eq!(check_outcome(&r, id), "notVerified", "{id}");
    }
    assert_eq!(r["hosts"][0]["status"], "incomplete");
}

#[test]
fn a_gpo_is_evidence_only_of_the_lines_its_template_has() {
    let dir = scratch("lockout-gpo");
    let out = dir.join("out");
    let enforce = policy(&dir, "lk-enforce", "enforce", CIS);
    build(&enforce, &out);
    let (code, r) = diff_json(&enforce, &backup(&out, "lk-enforce"));
    assert_eq!(code, 0, "{r}");
    for id in IDS {
        assert_eq!(check_outcome(&r, id), "pass", "{id}");
    }
    // A GPO without the lines says nothing of the host: domain accounts take their lockout
    // from the GPO linked at the domain root.
    let partial = policy(
        &dir,
        "lk-partial",
        "enforce",
        "    threshold: 5\n    administrator: true\n",
    );
    build(&partial, &out);
    let (code, r) = diff_json(&enforce, &backup(&out, "lk-partial"));
    assert_eq!(code, 3, "{r}");
    assert_eq!(check_outcome(&r, IDS[0]), "pass");
    assert_eq!(check_outcome(&r, IDS[3]), "pass");
    assert_eq!(check_outcome(&r, IDS[1]), "notVerified");
    assert_eq!(check_outcome(&r, IDS[2]), "notVerified");
    assert!(message(&r, IDS[2]).contains("the GPO does not set ResetLockoutCount"));
    // What a GPO states is the policy's intent, not the host's: reported as such.
    assert_eq!(property(&r, IDS[0], "source"), "policy");
    // Microsoft's Domain Security baseline sets the STIG's numbers.
    let ms =
        shared().join("reference/baseline-gpos/Server2025/{0C40CF21-B6B1-48E1-9D44-B5C5606E77A8}");
    if !crate::support::available("../shared/reference/baseline-gpos", ms.is_dir()) {
        return;
    }
    let (_, r) = diff_json(repo().join("policies/stig.yaml"), &ms);
    for id in &IDS[..3] {
        assert_eq!(check_outcome(&r, id), "pass", "{id}: {r}");
    }
}

#[test]
fn validation_refuses_what_windows_refuses_at_its_place() {
    let dir = scratch("lockout-validate");
    for (lockout, code, needle) in [
        ("    duration: 0m\n", 1, "RDP067"),
        ("    duration: never\n", 1, "RDP067"),
        ("    duration: 100000m\n", 1, "RDP067"),
        ("    resetAfter: 70d\n", 1, "RDP067"),
        (
            "    duration: 10m\n    resetAfter: 20m\n",
            1,
            "is longer than the lockout `duration`",
        ),
        ("    threshold: 1000\n", 1, "1000"),
        ("    threshold: 0\n", 0, "RDP068"),
        // Enforced, a reset without a duration is checked against the host's own duration.
        ("    resetAfter: 30m\n", 0, ""),
        ("    duration: 1d\n    resetAfter: 24h\n", 0, ""),
    ] {
        let p = policy(&dir, "lk", "audit", lockout);
        if lockout == "    resetAfter: 30m\n" {
            let enforced = policy(&dir, "lk-enforced", "enforce", lockout);
            let (got, out, err) = run(rdpgen()
                .args(["validate", "--color", "never"])
                .arg(&enforced));
            assert_eq!(got, 1, "{out}{err}");
            assert!(
                format!("{out}{err}").contains("is enforced without `duration`"),
                "{out}{err}"
            );
            assert!(
                format!("{out}{err}").contains("lk-enforced.yaml:6:"),
                "{out}{err}"
            );
        }
        let (got, out, err) = run(rdpgen().args(["validate", "--color", "never"]).arg(&p));
        let text = format!("{out}{err}");
        assert_eq!(got, code, "{lockout}: {text}");
        assert!(text.contains(needle), "{lockout}: {text}");
        if code == 1 {
            // The line of the offending value, 6 or 7 (resetAfter after duration).
            assert!(
                text.contains("lk.yaml:6:") || text.contains("lk.yaml:7:"),
                "{text}"
            );
        }
    }
}

#[test]
fn import_brings_the_lockout_lines_into_an_enforcing_policy() {
    let dir = scratch("lockout-import");
    let out = dir.join("out");
    let enforce = policy(
        &dir,
        "lk-enforce",
        "enforce",
        "    threshold: 4\n    duration: until-unlocked\n    resetAfter: 20m\n    administrator: false\n",
    );
    build(&enforce, &out);
    let yaml = dir.join("back.yaml");
    let (code, _, err) = run(rdpgen()
        .arg("import")
        .arg(backup(&out, "lk-enforce"))
        .arg("-o")
        .arg(&yaml));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&yaml).unwrap();
    for line in [
        "mode: enforce",
        "threshold: 4",
        "duration: until-unlocked",
        "resetAfter: '20m'",
        "administrator: false",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    // Built again, the template is the same file.
    let again = dir.join("again");
    build(&yaml, &again);
    let name = |_: &Path| {
        text.lines()
            .find_map(|l| l.strip_prefix("name: "))
            .expect("a name")
            .trim()
            .to_string()
    };
    let inf = |o: &Path, n: &str| {
        text_of(
            &backup(o, n)
                .join(r"DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf"),
        )
    };
    let n = name(&again);
    assert_eq!(inf(&out, "lk-enforce"), inf(&again, &n));
}

/// The collector's own patterns (PowerShell `-match`, .NET regular expressions in the syntax
/// Python's `re` shares) applied to a template in secedit's format, Microsoft's Domain
/// Security baseline: they find exactly its four lockout numbers, and nothing of the other
/// sections.
#[test]
fn the_collectors_patterns_read_a_real_template() {
    let ms = shared().join(
        "reference/baseline-gpos/Server2025/{0C40CF21-B6B1-48E1-9D44-B5C5606E77A8}/DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf",
    );
    if !crate::support::available("../shared/reference/baseline-gpos", ms.is_file()) {
        return;
    }
    let (code, script, err) = run(rdpgen().arg("collector"));
    assert_eq!(code, 0, "{err}");
    let pattern = |needle: &str| {
        let line = script
            .lines()
            .find(|l| l.contains(needle) && l.contains("-match '"))
            .unwrap_or_else(|| panic!("no -match line with {needle}"));
        let start = line.rfind("-match '").unwrap() + "-match '".len();
        let rest = &line[start..];
        rest[..rest.find('\'').unwrap()].to_string()
    };
    let section = pattern("$section = $Matches[1]");
    let lockout = pattern("LockoutBadCount|");
    let program = r#"
import json, re, sys
section_re, lockout_re, path = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path, encoding="utf-16").read()
section, found = "", {}
for line in text.splitlines():
    m = re.match(section_re, line)
    if m:
        section = m.group(1)
        continue
    if section != "System Access":
        continue
    m = re.match(lockout_re, line)
    if m:
        found[m.group(1)] = int(m.group(2))
print(json.dumps(found, sort_keys=True))
"#;
    let (code, out, err) = run(std::process::Command::new("python3")
        .arg("-c")
        .arg(program)
        .arg(&section)
        .arg(&lockout)
        .arg(&ms));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        r#"{"AllowAdministratorLockout": 1, "LockoutBadCount": 3, "LockoutDuration": 15, "ResetLockoutCount": 15}"#
    );
}

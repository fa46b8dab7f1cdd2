//! The lowered model of every example, pinned by reviewed snapshots in `tests/snapshots/`.
//! After a deliberate change, bless with `UPDATE_SNAPSHOTS=1` (see `tests/support/mod.rs`),
//! then read the diff before committing it: the snapshot is the review.

use rdpgen::source::Sources;

use crate::repo;

fn model_of(path: &std::path::Path) -> rdpgen::model::Model {
    crate::model_of(path)
}

#[test]
fn lowered_models_match_reviewed_snapshots() {
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = model_of(&path).describe();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        crate::assert_snapshot(&format!("tests/snapshots/{stem}.model.txt"), text);
        checked += 1;
    }
    assert!(checked >= 4);
}

#[test]
fn lowering_is_deterministic() {
    let path = repo().join("examples/tier1.yaml");
    assert_eq!(model_of(&path), model_of(&path));
}

#[test]
fn inverted_and_odd_policies_write_what_the_admx_says() {
    let dir = crate::scratch("odd");
    let path = dir.join("p.yaml");
    std::fs::write(
        &path,
        "rdpgen: 1\nname: odd\nconnection:\n  allow: true\nredirection:\n  smartCards: true\n  drives: false\nsessions:\n  deleteTempFoldersOnExit: true\n  perSessionTempFolders: false\n  idleTimeout: never\n",
    )
    .unwrap();
    let text = model_of(&path).describe();
    for line in [
        r"policy HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\fDenyTSConnections = REG_DWORD 0  <- connection.allow [TerminalServer.admx TS_DISABLE_CONNECTIONS Enabled]",
        r"policy HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\fEnableSmartCard = REG_DWORD 1  <- redirection.smartCards [TerminalServer.admx TS_SMART_CARD Disabled]",
        r"policy HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\fDisableCdm = REG_DWORD 1  <- redirection.drives [TerminalServer.admx TS_CLIENT_DRIVE_M Enabled]",
        r"policy HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\DeleteTempDirsOnExit = REG_DWORD 1  <- sessions.deleteTempFoldersOnExit [TerminalServer.admx TS_TEMP_DELETE Disabled]",
        r"policy HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\PerSessionTempDir = REG_DWORD 0  <- sessions.perSessionTempFolders [TerminalServer.admx TS_TEMP_PER_SESSION Enabled]",
        r"policy HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\MaxIdleTime = REG_DWORD 0  <- sessions.idleTimeout [TerminalServer.admx TS_SESSIONS_Idle_Limit_2 Enabled]",
    ] {
        assert!(text.contains(line), "missing:\n{line}\nin:\n{text}");
    }
}

#[test]
fn unset_fields_write_nothing() {
    let dir = crate::scratch("unset");
    let path = dir.join("p.yaml");
    std::fs::write(&path, "rdpgen: 1\nname: empty\n").unwrap();
    let model = model_of(&path);
    assert!(
        model.registry.is_empty()
            && model.firewall.is_empty()
            && model.logon_rights.is_empty()
            && model.host_actions.is_empty()
    );
    assert_eq!(model.gpo.display_name, "rdpgen empty");
}

#[test]
fn gpo_guids_are_stable_uuidv5_of_the_name() {
    let dir = crate::scratch("guid");
    let a = dir.join("a.yaml");
    std::fs::write(&a, "rdpgen: 1\nname: same-name\n").unwrap();
    let b = dir.join("b.yaml");
    std::fs::write(&b, "rdpgen: 1\nname: same-name\ndescription: other\n").unwrap();
    let (ga, gb) = (model_of(&a).gpo.guid, model_of(&b).gpo.guid);
    assert_eq!(ga, gb);
    assert_eq!(ga.len(), 38);
    // Version 5 in the third group.
    assert_eq!(&ga[15..16], "5", "{ga}");
    let c = dir.join("c.yaml");
    std::fs::write(&c, "rdpgen: 1\nname: other-name\n").unwrap();
    assert_ne!(model_of(&c).gpo.guid, ga);
}

#[test]
fn baselines_take_their_values_from_the_catalog() {
    // Every field a baseline sets must carry the value of a catalog benchmark item of that
    // baseline's benchmark, and every such item must be in the baseline.
    for (baseline, pick) in [
        (
            "cis-level1",
            (|s: &rdpgen::catalog::Setting| {
                s.cis
                    .iter()
                    .filter(|b| b.level.starts_with("L1"))
                    .collect::<Vec<_>>()
            }) as fn(&rdpgen::catalog::Setting) -> Vec<&rdpgen::catalog::Benchmark>,
        ),
        ("cis-level2", |s: &rdpgen::catalog::Setting| {
            // Level 2 includes Level 1; the Windows 11 (workstation) items are not server items.
            s.cis
                .iter()
                .filter(|b| b.level.starts_with("L1") || b.level.starts_with("L2 (MS"))
                .collect()
        }),
        ("stig", |s: &rdpgen::catalog::Setting| {
            s.stig.iter().collect()
        }),
    ] {
        let text = rdpgen::policy::builtin::baseline(baseline).unwrap();
        let mut sources = Sources::default();
        let dir = crate::scratch(baseline);
        let path = dir.join("b.yaml");
        std::fs::write(&path, text).unwrap();
        let policy = rdpgen::compile::check(rdpgen::compile::Input::File(&path), &mut sources)
            .unwrap()
            .policy
            .unwrap();
        let json = serde_json::to_value(&policy).unwrap();
        for setting in rdpgen::catalog::SETTINGS {
            // `role` says which benchmark profile a baseline is written for; it writes nothing.
            if setting.field == "role" {
                continue;
            }
            let actual = setting.field.split('.').try_fold(&json, |v, k| v.get(k));
            let items = pick(setting);
            match (items.first(), actual) {
                (Some(item), Some(actual)) => {
                    let expected: serde_json::Value = serde_json::from_str(item.value).unwrap();
                    assert_eq!(
                        actual, &expected,
                        "{baseline} {}: {}",
                        setting.field, item.id
                    );
                }
                (Some(item), None) => panic!("{baseline} lacks {} ({})", setting.field, item.id),
                (None, Some(_)) => panic!(
                    "{baseline} sets {} without a catalog benchmark item",
                    setting.field
                ),
                (None, None) => {}
            }
        }
    }
}

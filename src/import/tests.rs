//! The round-trip property: for generated policies P, `import(build(P))` rebuilds to the
//! same Registry.pol entries and GptTmpl.inf, through every source kind `build` writes.
//! Policies are generated from the catalog, so a setting added there is covered here.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::catalog::{self, Mapping};
use crate::emit::{self, Options, Target, pol_entries};
use crate::formats::registry_pol::PolEntry;
use crate::policy::Policy;

const ADDRESSES: &[&str] = &[
    "10.0.0.0/8",
    "192.168.1.7",
    "2001:db8::/32",
    "local-subnet",
    "any",
    "10.1.2.3/8",
    "172.16.0.0/255.240.0.0",
];
const ACCOUNTS: &[&str] = &[
    "Administrators",
    "Remote Desktop Users",
    "Guests",
    "Local account",
    "CORP\\RDP Admins",
    "S-1-5-21-1-2-3-1001",
];
const PROFILES: &[&str] = &["domain", "private", "public"];

fn pick<'a>(pool: &[&'a str], bits: u32) -> Vec<&'a str> {
    pool.iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, s)| *s)
        .collect()
}

/// A policy with each catalog field absent or set to a value its mapping allows.
fn generated(seeds: &[u32]) -> Value {
    let mut root = json!({"rdpgen": 1, "name": "gen-a1"});
    for (setting, &seed) in catalog::SETTINGS.iter().zip(seeds) {
        if seed % 3 == 0 {
            continue;
        }
        let s = seed / 3;
        let value = match (setting.field, setting.mapping) {
            ("connection.port", _) => json!(1 + s % 65535),
            // Validation refuses a pin beside a template (RDP033); an import reads a hash
            // beside a template as the template's enrollment.
            ("certificate.thumbprint", _) if root["certificate"]["template"].is_string() => {
                continue;
            }
            ("credentials.restrictedAdmin", _) => json!(s % 2 == 0),
            // Import reads a keep-alive interval back in minutes.
            ("connection.keepAlive", _) if s % 5 == 0 => json!("never"),
            ("connection.keepAlive", _) => json!(format!("{}m", 1 + s % 999_999)),
            (_, Mapping::Count) => json!(1 + s % 999_999),
            ("certificate.thumbprint", _) => json!(format!("{s:08X}").repeat(5)),
            ("tls.minVersion", _) => json!(["1.0", "1.1", "1.2", "1.3"][(s % 4) as usize]),
            ("tls.minimumOs", _) => json!(
                ["windows-server-2019", "windows-server-2022", "windows-11"][(s % 3) as usize]
            ),
            ("firewall.profiles", _) => json!(pick(PROFILES, s)),
            ("firewall.allowFrom", _) => json!(pick(ADDRESSES, s)),
            ("firewall.builtinRules", _) => json!(["override", "keep"][(s % 2) as usize]),
            ("logonRights.allow" | "logonRights.deny", _) => json!(pick(ACCOUNTS, s)),
            (_, Mapping::Bool { .. }) => json!(s % 2 == 0),
            (_, Mapping::Enum(table)) => json!(table[s as usize % table.len()].0),
            (_, Mapping::Duration) => {
                json!(catalog::SESSION_DURATIONS[s as usize % catalog::SESSION_DURATIONS.len()].0)
            }
            (_, Mapping::Text) => json!(format!("Tmpl-{s} x")),
            (_, Mapping::CommaList) => json!(
                (0..=s % 3)
                    .map(|i| format!("lic{i}.example.com"))
                    .collect::<Vec<_>>()
            ),
            _ => continue,
        };
        let Some((section, key)) = setting.field.split_once('.') else {
            continue;
        };
        root[section][key] = value;
    }
    root
}

fn sorted(mut entries: Vec<PolEntry>) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = entries
        .drain(..)
        .map(|e| {
            (
                e.key.to_ascii_lowercase(),
                e.value_name.to_ascii_lowercase(),
                format!("{:?}", e.value),
            )
        })
        .collect();
    out.sort();
    out
}

fn build(policy: &Policy) -> Vec<emit::Artifact> {
    let model = crate::lower::lower(policy).expect("lowers");
    emit::emit(
        &model,
        &[Target::Pol, Target::Reg, Target::Lgpo, Target::Gpo],
        &Options::default(),
    )
    .expect("emits")
}

fn write(dir: &Path, artifacts: &[emit::Artifact]) {
    for a in artifacts {
        let path = dir.join(&a.path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, &a.bytes).expect("write");
    }
}

fn gpt_tmpl(artifacts: &[emit::Artifact]) -> Option<Vec<u8>> {
    artifacts
        .iter()
        .find(|a| a.path.ends_with("GptTmpl.inf"))
        .map(|a| a.bytes.clone())
}

fn round_trip(json: &Value, dir: &Path) {
    let policy: Policy = serde_json::from_value(json.clone()).expect("a policy");
    let artifacts = build(&policy);
    let _ = std::fs::remove_dir_all(dir);
    write(dir, &artifacts);
    let expected =
        sorted(pol_entries(&crate::lower::lower(&policy).expect("lowers")).expect("pol"));
    assert!(
        json.as_object().is_some_and(|o| {
            o.keys()
                .all(|k| ["rdpgen", "name", "logonRights"].contains(&k.as_str()))
        }) || !expected.is_empty(),
        "a policy with settings writes entries"
    );
    // A host where the GPO applied, as the collector snapshots it.
    let model = crate::lower::lower(&policy).expect("lowers");
    std::fs::write(dir.join("host.json"), snapshot(&model).to_string()).expect("write");
    for source in [
        "pol/Machine/Registry.pol",
        "reg/apply.reg",
        "lgpo/machine.txt",
        "gpo",
        "host.json",
    ] {
        let input = super::read::source(&dir.join(source), None).expect("reads");
        let mapped = super::map::map(&input);
        assert!(mapped.errors.is_empty(), "{source}: {:?}", mapped.errors);
        assert!(
            mapped.unmapped.is_empty(),
            "{source}: {:?}",
            mapped.unmapped
        );
        let name = mapped.name_hint.clone().unwrap_or_else(|| "gen-a1".into());
        let back: Policy =
            serde_json::from_value(mapped.to_json(&name)).expect("the import is a policy");
        let rebuilt = crate::lower::lower(&back).expect("the import lowers");
        assert_eq!(
            sorted(pol_entries(&rebuilt).expect("pol")),
            expected,
            "{source}\n{json:#}"
        );
        if source == "gpo" || source == "host.json" {
            assert_eq!(
                gpt_tmpl(&build(&back)),
                gpt_tmpl(&artifacts),
                "GptTmpl.inf\n{json:#}"
            );
        }
    }
}

/// The collector snapshot of a host holding exactly the model's values and logon rights.
fn snapshot(model: &crate::model::Model) -> Value {
    use crate::formats::RegistryValue;
    let registry: Vec<Value> = pol_entries(model)
        .expect("pol")
        .into_iter()
        .map(|e| {
            let (kind, data) = match &e.value {
                RegistryValue::Dword(d) => ("REG_DWORD", json!(d)),
                RegistryValue::Sz(t) => ("REG_SZ", json!(t)),
                RegistryValue::Binary(b) => (
                    "REG_BINARY",
                    json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
                ),
                other => panic!("the model writes no {other:?}"),
            };
            json!({"key": format!("HKLM\\{}", e.key), "name": e.value_name, "type": kind, "data": data})
        })
        .collect();
    let mut rights = serde_json::Map::new();
    for r in &model.logon_rights {
        let members: Vec<String> = r
            .accounts
            .iter()
            .map(|a| {
                a.sid
                    .as_ref()
                    .map_or_else(|| a.name.clone(), |s| format!("*{s}"))
            })
            .collect();
        rights.insert(r.right.as_str().to_string(), json!(members));
    }
    let mut snap = json!({
        "rdpgenSnapshot": 1,
        "host": "gen-host",
        "capturedAt": "2026-11-24T10:00:00Z",
        "registry": registry,
        "logonRights": rights,
    });
    // An enforced account lockout, as secedit exports it once the GPO applied.
    if let Some(l) = model.account_lockout.filter(|l| l.enforced) {
        let lines: serde_json::Map<String, Value> = l
            .lines()
            .into_iter()
            .map(|(n, v)| (n.to_string(), json!(v)))
            .collect();
        snap["accountLockout"] = Value::Object(lines);
    }
    snap
}

#[test]
fn every_example_round_trips_through_every_source_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in ["tier1", "dmz-jump", "workgroup", "break-glass-0x904"] {
        let mut sources = crate::source::Sources::default();
        let chain = crate::policy::load_chain(
            &root.join("examples").join(format!("{example}.yaml")),
            &mut sources,
        )
        .expect("loads");
        let policy = crate::validate::validate(chain).policy.expect("valid");
        let dir =
            std::env::temp_dir().join(format!("rdpgen-import-{}-{example}", std::process::id()));
        round_trip(&serde_json::to_value(&policy).expect("json"), &dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn generated_policies_round_trip(seeds in proptest::collection::vec(any::<u32>(), catalog::SETTINGS.len())) {
        let json = generated(&seeds);
        let dir = std::env::temp_dir().join(format!("rdpgen-import-prop-{}", std::process::id()));
        round_trip(&json, &dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! `rdpgen build --target osquery` and `rdpgen diff` on osquery results. The pack's queries run
//! in SQLite (python3's sqlite3) on tables with osquery's columns, filled from collector
//! snapshots by `.ci/osquery-play.py` as osquery would show those hosts; `diff`'s verdicts on
//! the results log must equal the collector path's (`.ci/osquery-compare.py`: same failing
//! checks, what osquery cannot see *not verified*, never passed). Without python3's sqlite3 the
//! SQLite tests say SKIPPED, and fail when `CI` is set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rdpgen::catalog::evidence::registry_locations;
use rdpgen::escape::sql::literal;
use serde_json::Value;

use crate::{rdpgen, repo, run, scratch};

const POLICY: &str = "examples/tier1.yaml";
const PACK_NAME: &str = "tier1-servers";

fn build_pack(dir: &Path) -> PathBuf {
    let (code, _, err) = run(rdpgen()
        .args(["build", POLICY, "--target", "osquery", "--out"])
        .arg(dir));
    assert_eq!(code, 0, "{err}");
    dir.join(PACK_NAME)
        .join("osquery")
        .join(format!("{PACK_NAME}.conf"))
}

fn sqlite() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import sqlite3"])
        .status()
        .is_ok_and(|s| s.success());
    crate::available("python3 with its sqlite3 module", ok)
}

fn host_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/hosts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Plays osqueryd with both packs (the main one and `<name>-listener`) into one results log:
/// `snapshots` are `path` or `path@unixtime`.
fn play(pack: &Path, log: &Path, snapshots: &[String]) {
    let listener_pack = pack.with_file_name(format!("{PACK_NAME}-listener.conf"));
    let listener_log = log.with_extension("listener");
    for (p, name, out) in [
        (pack, PACK_NAME.to_string(), log),
        (
            &listener_pack,
            format!("{PACK_NAME}-listener"),
            &listener_log,
        ),
    ] {
        let (code, stdout, err) = run(Command::new("python3")
            .arg(repo().join(".ci/osquery-play.py"))
            .arg(p)
            .arg(name)
            .arg(out)
            .args(snapshots));
        assert_eq!(code, 0, "{stdout}{err}");
    }
    let mut text = std::fs::read_to_string(log).unwrap();
    text.push_str(&std::fs::read_to_string(&listener_log).unwrap());
    std::fs::write(log, text).unwrap();
}

/// Builds the pack into `dir` and plays every fixture host (`examples/hosts/*.json`) into
/// `dir/osqueryd.results.log`; returns the log and the hosts.
fn play_fixture_hosts(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let pack = build_pack(dir);
    let log = dir.join("osqueryd.results.log");
    let hosts = host_files();
    let args: Vec<String> = hosts.iter().map(|p| p.display().to_string()).collect();
    play(&pack, &log, &args);
    (log, hosts)
}

fn diff_json(hosts: &[PathBuf], out: &Path) -> Value {
    let (code, _, err) = run(rdpgen()
        .args(["diff", POLICY])
        .args(hosts)
        .args(["--format", "json", "-o"])
        .arg(out));
    assert!(code == 0 || code == 1 || code == 3, "{err}");
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn failing(host: &Value) -> BTreeSet<String> {
    host["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn host<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == name)
        .unwrap_or_else(|| panic!("no host {name} in {report}"))
}

/// Checks osquery cannot see: the report must say "not verified" for them.
const BLIND: [&str; 5] = [
    "certificate.eku",
    "certificate.privateKey",
    "consistency.networkCategory",
    "logonRights.",
    "posture.accountLockout.",
];

fn visible(ids: &BTreeSet<String>) -> BTreeSet<String> {
    ids.iter()
        .filter(|id| !BLIND.iter().any(|b| id.starts_with(b)))
        .cloned()
        .collect()
}

#[test]
fn the_pack_is_snapshot_queries_for_windows_reading_every_collector_location() {
    let dir = scratch("osquery-pack");
    let pack: Value =
        serde_json::from_str(&std::fs::read_to_string(build_pack(&dir)).unwrap()).unwrap();
    assert_eq!(pack["platform"], "windows");
    let queries = pack["queries"].as_object().unwrap();
    let names: Vec<&str> = queries.keys().map(String::as_str).collect();
    // Only the tables the audit needs; the listening socket is the `-listener` pack's.
    assert_eq!(names, ["certificates", "firewall_rules", "registry"]);
    let listener: Value = serde_json::from_str(
        &std::fs::read_to_string(
            dir.join(PACK_NAME)
                .join("osquery")
                .join(format!("{PACK_NAME}-listener.conf")),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(
        listener["queries"]["listening_ports"]["query"]
            .as_str()
            .unwrap()
            .contains("FROM listening_ports")
    );
    for (name, q) in queries {
        assert_eq!(q["platform"], "windows", "{name}");
        assert!(q["interval"].as_u64().unwrap() > 0, "{name}");
        assert_eq!(q["snapshot"], true, "{name}");
        assert!(!q["description"].as_str().unwrap().is_empty(), "{name}");
    }
    let sql = queries["registry"]["query"].as_str().unwrap();
    // Planned by osquery: a `key IN (...)` constraint naming every location.
    assert!(sql.contains("FROM registry WHERE key IN ("), "{sql}");
    for l in registry_locations() {
        let key = literal(&format!("HKEY_LOCAL_MACHINE\\{}", l.key));
        assert!(sql.contains(&key), "{key} missing from {sql}");
    }
    assert!(!sql.to_ascii_lowercase().contains("'password'"));
    assert!(
        queries["certificates"]["query"]
            .as_str()
            .unwrap()
            .contains("SSLCertificateSHA1Hash")
    );
    assert!(
        queries["firewall_rules"]["query"]
            .as_str()
            .unwrap()
            .contains("FROM windows_firewall_rules")
    );
}

#[test]
fn the_pack_runs_in_sqlite_and_diff_on_its_results_log_equals_the_collector_path() {
    if !sqlite() {
        return;
    }
    let dir = scratch("osquery-play");
    let (log, hosts) = play_fixture_hosts(&dir);
    let collector = diff_json(&hosts, &dir.join("collector.json"));
    let osquery = diff_json(std::slice::from_ref(&log), &dir.join("osquery.json"));
    let (code, out, err) = run(Command::new("python3")
        .arg(repo().join(".ci/osquery-compare.py"))
        .arg(dir.join("collector.json"))
        .arg(dir.join("osquery.json")));
    assert_eq!(code, 0, "{out}{err}");
    // The same hosts, and for each the failing checks osquery can see are the collector's.
    let names = |r: &Value| -> BTreeSet<String> {
        r["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["host"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&collector), names(&osquery));
    let mut drifted = 0;
    for name in names(&collector) {
        let c = host(&collector, &name);
        let o = host(&osquery, &name);
        assert_eq!(visible(&failing(c)), failing(o), "{name}");
        if c["status"] == "drifted" && !visible(&failing(c)).is_empty() {
            drifted += 1;
            assert_eq!(o["status"], "drifted", "{name}");
        }
        if c["status"] == "compliant" {
            assert_eq!(o["status"], "incomplete", "{name}: {o}");
        }
        assert!(
            o["evidence"]
                .as_str()
                .unwrap()
                .contains("registry keys queried by osquery"),
            "{o}"
        );
    }
    assert!(drifted >= 3, "the fixtures must include drifted hosts");
}

fn renamed(src: &Path, name: &str, dir: &Path) -> PathBuf {
    let mut snap: Value = serde_json::from_str(&std::fs::read_to_string(src).unwrap()).unwrap();
    snap["host"] = Value::String(name.into());
    let out = dir.join(format!(
        "{name}-{}",
        src.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&out, snap.to_string()).unwrap();
    out
}

#[test]
fn the_newest_snapshot_of_a_host_wins_by_unix_time() {
    if !sqlite() {
        return;
    }
    let dir = scratch("osquery-newest");
    let pack = build_pack(&dir);
    let compliant = repo().join("examples/hosts/tier1-compliant.json");
    let name = host(
        &diff_json(std::slice::from_ref(&compliant), &dir.join("c.json")),
        "RDS-T1-01",
    )["host"]
        .as_str()
        .unwrap()
        .to_string();
    let drifted = renamed(
        &repo().join("examples/hosts/tier1-drifted.json"),
        &name,
        &dir,
    );
    let want_drift = visible(&failing(host(
        &diff_json(std::slice::from_ref(&drifted), &dir.join("d.json")),
        &name,
    )));
    assert!(!want_drift.is_empty());
    let c = compliant.display().to_string();
    let d = drifted.display().to_string();
    // The drifted state is older though later in the file: the compliant one wins.
    let log = dir.join("a.log");
    play(
        &pack,
        &log,
        &[format!("{c}@1795000000"), format!("{d}@1794990000")],
    );
    let r = diff_json(std::slice::from_ref(&log), &dir.join("a.json"));
    assert_eq!(r["hosts"].as_array().unwrap().len(), 1);
    assert!(failing(host(&r, &name)).is_empty(), "{r}");
    // Newer: the drift shows.
    let log = dir.join("b.log");
    play(
        &pack,
        &log,
        &[format!("{c}@1795000000"), format!("{d}@1795010000")],
    );
    let r = diff_json(std::slice::from_ref(&log), &dir.join("b.json"));
    assert_eq!(failing(host(&r, &name)), want_drift);
    assert_eq!(host(&r, &name)["status"], "drifted");
}

fn log_lines(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn queries_without_results_leave_their_checks_not_verified() {
    if !sqlite() {
        return;
    }
    let dir = scratch("osquery-missing");
    let pack = build_pack(&dir);
    let full = dir.join("full.log");
    let compliant = repo().join("examples/hosts/tier1-compliant.json");
    play(&pack, &full, &[compliant.display().to_string()]);
    let only_registry: Vec<String> = log_lines(&full)
        .into_iter()
        .filter(|l| l["name"] == format!("pack_{PACK_NAME}_registry"))
        .map(|l| l.to_string())
        .collect();
    assert_eq!(only_registry.len(), 1);
    let log = dir.join("registry-only.log");
    std::fs::write(&log, only_registry.join("\n") + "\n").unwrap();
    let r = diff_json(std::slice::from_ref(&log), &dir.join("r.json"));
    let h = &r["hosts"][0];
    assert_eq!(h["status"], "incomplete", "{h}");
    for c in h["checks"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let from_registry = c["location"].as_str().unwrap().starts_with("HKLM\\");
        if (id.starts_with("certificate.") && !from_registry) || id == "consistency.listening" {
            assert_eq!(c["outcome"], "notVerified", "{c}");
        }
    }
}

#[test]
fn osqueryi_json_in_a_host_directory_gives_the_results_log_verdict() {
    if !sqlite() {
        return;
    }
    let dir = scratch("osqueryi");
    let (log, _) = play_fixture_hosts(&dir);
    let fleet = dir.join("fleet");
    for line in log_lines(&log) {
        let host_dir = fleet.join(line["hostIdentifier"].as_str().unwrap());
        std::fs::create_dir_all(&host_dir).unwrap();
        let query = line["name"].as_str().unwrap().rsplit('_').next().unwrap();
        let query = if query == "ports" {
            "listening_ports"
        } else if query == "rules" {
            "firewall_rules"
        } else {
            query
        };
        std::fs::write(
            host_dir.join(format!("{query}.json")),
            serde_json::to_string_pretty(&line["snapshot"]).unwrap(),
        )
        .unwrap();
    }
    let from_log = diff_json(std::slice::from_ref(&log), &dir.join("log.json"));
    let from_dirs = diff_json(std::slice::from_ref(&fleet), &dir.join("dirs.json"));
    for h in from_log["hosts"].as_array().unwrap() {
        let name = h["host"].as_str().unwrap();
        let other = host(&from_dirs, name);
        // Expiry is judged at the capture time, which osqueryi does not print.
        let strip = |s: BTreeSet<String>| -> BTreeSet<String> {
            s.into_iter()
                .filter(|i| i != "certificate.expiry")
                .collect()
        };
        assert_eq!(strip(failing(h)), strip(failing(other)), "{name}");
    }
}

#[test]
fn hostile_host_identifiers_and_data_stay_text_and_a_bad_line_is_named() {
    let dir = scratch("osquery-hostile");
    let hostile = "evil\u{1b}[31m\nhost'); DROP TABLE registry; --";
    let data = "2'\"\\n\u{1b}]0;pwned\u{7}";
    let line = serde_json::json!({
        "name": format!("pack_{PACK_NAME}_registry"),
        "hostIdentifier": hostile,
        "unixTime": 1_900_000_000,
        "snapshot": [{
            "key": "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp",
            "path": "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\\SecurityLayer",
            "name": "SecurityLayer", "type": "REG_SZ", "data": data
        }],
        "action": "snapshot"
    });
    let log = dir.join("osqueryd.results.log");
    std::fs::write(&log, format!("{line}\n")).unwrap();
    let (code, out, _) = run(rdpgen().args(["diff", POLICY]).arg(&log));
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("security.layer"), "{out}");
    let r = diff_json(std::slice::from_ref(&log), &dir.join("r.json"));
    assert_eq!(r["hosts"][0]["host"], hostile);
    // A line that is not JSON: the log is unreadable, named by file and line.
    std::fs::write(
        &log,
        format!("{line}\n{{\"name\": \"pack_{PACK_NAME}_registry\"\n"),
    )
    .unwrap();
    let (code, out, _) = run(rdpgen().args(["diff", POLICY]).arg(&log));
    assert_eq!(code, 1);
    assert!(out.contains("osqueryd.results.log:2:"), "{out}");
    // A log of another pack only: unreadable, saying which pack was looked for.
    std::fs::write(&log, line.to_string().replace(PACK_NAME, "other") + "\n").unwrap();
    let (code, out, _) = run(rdpgen().args(["diff", POLICY]).arg(&log));
    assert_eq!(code, 1);
    assert!(out.contains(&format!("pack_{PACK_NAME}_<query>")), "{out}");
}

#[test]
fn fleet_policies_run_in_sqlite_and_agree_with_diff_field_by_field() {
    if !sqlite() {
        return;
    }
    let dir = scratch("osquery-fleet");
    let pack = build_pack(&dir);
    let fleet = pack.with_file_name("fleet-policies.yml");
    let text = std::fs::read_to_string(&fleet).unwrap();
    assert!(text.contains("kind: policy") && text.contains("platform: windows"));
    let verdicts_file = dir.join("fleet.json");
    let hosts = host_files();
    let (code, out, err) = run(Command::new("python3")
        .arg(repo().join(".ci/osquery-play.py"))
        .arg("--fleet")
        .arg(&fleet)
        .arg(&verdicts_file)
        .arg(&pack)
        .arg(PACK_NAME)
        .arg(dir.join("r.log"))
        .args(&hosts));
    assert_eq!(code, 0, "{out}{err}");
    let verdicts: Value =
        serde_json::from_str(&std::fs::read_to_string(&verdicts_file).unwrap()).unwrap();
    let collector = diff_json(&hosts, &dir.join("collector.json"));
    let mut failed = 0;
    for h in collector["hosts"].as_array().unwrap() {
        let name = h["host"].as_str().unwrap();
        for (policy, passes) in verdicts[name].as_object().unwrap() {
            let field = policy.rsplit(": ").next().unwrap();
            // The registry checks of the field, as the collector path judges them.
            let checks: Vec<&Value> = h["checks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| {
                    c["field"] == field
                        && c["location"].as_str().unwrap().starts_with("HKLM\\")
                        && !c["id"].as_str().unwrap().starts_with("consistency.")
                })
                .collect();
            assert!(!checks.is_empty(), "{name}: no registry check for {field}");
            let want = checks.iter().all(|c| c["outcome"] == "pass");
            assert_eq!(passes.as_bool().unwrap(), want, "{name}: {field}");
            failed += usize::from(!want);
        }
    }
    assert!(failed >= 3, "the fixtures must drift some fields");
}

#[test]
fn a_results_log_named_on_the_command_line_is_read_whatever_its_name() {
    let dir = scratch("osquery-sniff");
    let line = serde_json::json!({
        "name": format!("pack_{PACK_NAME}-listener_listening_ports"),
        "hostIdentifier": "rds-sniff",
        "unixTime": 1_795_000_000,
        "snapshot": [{"listening": "0"}],
        "action": "snapshot"
    });
    let file = dir.join("results.json");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let r = diff_json(std::slice::from_ref(&file), &dir.join("r.json"));
    let h = host(&r, "rds-sniff");
    let listening = h["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "consistency.listening")
        .unwrap();
    assert_eq!(listening["outcome"], "fail", "{h}");
}

/// `rdpgen import` of one host of a results log imports what the collector snapshot of the
/// same host imports, as far as Group Policy goes: both imports build to the same
/// Registry.pol bytes, or both are refused with the same diagnostics (a drifted host can hold
/// values no valid policy has). osquery reads no logon rights, so those are the snapshot's
/// only.
#[test]
fn import_reads_one_host_of_a_results_log_as_its_collector_snapshot() {
    if !sqlite() {
        return;
    }
    let dir = scratch("osquery-import");
    let (log, hosts) = play_fixture_hosts(&dir);
    let (code, _, err) = run(rdpgen().arg("import").arg(&log));
    assert_ne!(code, 0);
    assert!(
        err.contains("pick one with --host") && err.contains("RDS-T1-01"),
        "{err}"
    );
    let (code, _, err) = run(rdpgen().arg("import").arg(&log).args(["--host", "nope"]));
    assert_ne!(code, 0);
    assert!(err.contains("no host `nope` in the log"), "{err}");
    let (mut built, mut refused) = (0, 0);
    for snapshot in &hosts {
        let state: Value =
            serde_json::from_str(&std::fs::read_to_string(snapshot).unwrap()).unwrap();
        let name = state["host"].as_str().expect("a host name").to_string();
        // (exit code, stderr without file names, Registry.pol of the import's build)
        let import = |source: &Path, host: Option<&str>, tag: &str| {
            let yaml = dir.join(format!("{name}-{tag}.yaml"));
            let mut cmd = rdpgen();
            cmd.args(["import", "--name", "imported"]).arg(source);
            if let Some(h) = host {
                cmd.args(["--host", h]);
            }
            let (code, _, err) = run(cmd.arg("-o").arg(&yaml));
            let file = source.file_name().unwrap().to_string_lossy().to_string();
            let err = err
                .replace(&file, "SOURCE")
                .replace(&yaml.display().to_string(), "OUT");
            if code != 0 {
                return (code, err, Vec::new());
            }
            let out = dir.join(format!("{name}-{tag}-build"));
            let (code, _, err) = run(rdpgen()
                .arg("build")
                .arg(&yaml)
                .args(["--target", "pol", "--out"])
                .arg(&out));
            assert_eq!(code, 0, "{err}");
            let pol = std::fs::read(out.join("imported/pol/Machine/Registry.pol")).unwrap();
            (0, String::new(), pol)
        };
        let from_log = import(&log, Some(&name), "log");
        let from_snapshot = import(snapshot, None, "snapshot");
        assert_eq!(from_log, from_snapshot, "{name}: the imports differ");
        if from_log.0 == 0 {
            assert!(from_log.2.len() > 8, "{name}: nothing was imported");
            built += 1;
        } else {
            assert!(
                from_log.1.contains("do not form a valid policy"),
                "{}",
                from_log.1
            );
            refused += 1;
        }
    }
    assert!(
        built >= 4 && refused >= 1,
        "{built} built, {refused} refused"
    );
}

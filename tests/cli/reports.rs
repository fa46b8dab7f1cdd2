//! What leaves the terminal (issue 18): CSV for spreadsheets, SARIF and GitHub workflow
//! commands for `validate`, `init`, and a man page with the sections readers look for.

use serde_json::Value;

use crate::{rdpgen, run, scratch};

/// RFC 4180 fields of one CSV text (quoted fields may hold `,`, `""` and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "unterminated row"
    );
    rows
}

#[test]
fn csv_is_one_row_per_host_and_check() {
    let (code, out, _) = run(rdpgen().args([
        "diff",
        "examples/tier1.yaml",
        "examples/hosts",
        "--format",
        "csv",
    ]));
    assert_eq!(code, 1);
    assert!(out.contains("\r\n"), "CRLF rows");
    let rows = parse_csv(&out);
    assert_eq!(
        rows[0],
        [
            "host",
            "status",
            "field",
            "check",
            "outcome",
            "desired",
            "actual",
            "source",
            "cause",
            "benchmarks",
            "fix"
        ]
    );
    assert!(rows.iter().all(|r| r.len() == 11));
    let hosts: std::collections::BTreeSet<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    // Seven example hosts (tier1-builtin-widens.json came with the effective firewall).
    assert_eq!(hosts.len(), 7);
    let layer = rows
        .iter()
        .find(|r| r[0] == "RDS-T1-02" && r[3] == "security.layer")
        .unwrap();
    assert_eq!(layer[1], "drifted");
    assert_eq!(layer[4], "fail");
    assert_eq!(layer[5], "REG_DWORD 2 (tls)");
    assert_eq!(layer[8], "C3");
    assert!(layer[9].contains("CIS 18.10.57.3.9.3"), "{layer:?}");
    assert!(
        rows.iter()
            .any(|r| r[4] == "not verified" && r[1] == "incomplete")
    );
}

#[test]
fn csv_cells_from_hosts_cannot_become_formulas() {
    let dir = scratch("csv-hostile");
    let good =
        std::fs::read_to_string(crate::repo().join("examples/hosts/tier1-drifted.json")).unwrap();
    std::fs::write(
        dir.join("evil.json"),
        good.replace(
            "RDS-T1-02",
            "=HYPERLINK(\\\"http://x\\\",\\\"y\\\"),\\r\\nnext",
        ),
    )
    .unwrap();
    let (_, out, _) = run(rdpgen()
        .args(["diff", "examples/tier1.yaml", "--format", "csv"])
        .arg(dir.join("evil.json")));
    let rows = parse_csv(&out);
    assert!(rows.len() > 10);
    for r in &rows[1..] {
        assert!(r[0].starts_with("'="), "{:?}", r[0]);
        assert!(r.len() == 11);
    }
}

fn bad_policy() -> std::path::PathBuf {
    let dir = scratch("validate-formats");
    let p = dir.join("bad policy.yaml");
    std::fs::write(
        &p,
        "rdpgen: 1\nname: bad\nsecurity:\n  layer: rdp\n  nla: true\nfirewall:\n  allowFrom: [\"10.1.2.3/8\"]\n",
    )
    .unwrap();
    p
}

#[test]
fn validate_writes_sarif_with_regions() {
    let p = bad_policy();
    let (code, out, _) = run(rdpgen().args(["validate", "--format", "sarif"]).arg(&p));
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let nla = results.iter().find(|r| r["ruleId"] == "RDP030").unwrap();
    assert_eq!(nla["level"], "error");
    let loc = &nla["locations"][0]["physicalLocation"];
    assert!(
        loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("bad%20policy.yaml")
    );
    assert_eq!(loc["region"]["startLine"], 5);
    assert_eq!(loc["region"]["startColumn"], 8);
    let rules: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["RDP030", "RDP032", "RDP037"]);
}

#[test]
fn validate_writes_github_workflow_commands() {
    let p = bad_policy();
    let (code, out, _) = run(rdpgen().args(["validate", "--format", "github"]).arg(&p));
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let file = p.display().to_string();
    assert!(
        lines[0].starts_with(&format!("::error file={file},line=5,col=8,endLine=5,endColumn=12,title=RDP030::`security.nla: true` cannot work")),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("::warning file="), "{}", lines[1]);
    // Every line is one command: `::kind props::message`, no raw line breaks in a message.
    for l in lines {
        let rest = l.strip_prefix("::").unwrap();
        let (head, _message) = rest.split_once("::").unwrap();
        let (kind, props) = head.split_once(' ').unwrap();
        assert!(["error", "warning"].contains(&kind));
        for p in props.split(',') {
            assert!(p.contains('='), "{p}");
        }
    }
}

#[test]
fn init_prints_a_policy_that_validates() {
    let dir = scratch("init");
    for (args, extends) in [
        (vec!["init"], None),
        (
            vec!["init", "--baseline", "cis-level1", "--name", "web-servers"],
            Some("cis-level1"),
        ),
        (vec!["init", "--baseline", "stig"], Some("stig")),
        (vec!["init", "--baseline", "cis-level2"], Some("cis-level2")),
        (
            vec!["init", "--baseline", "msft-baseline"],
            Some("msft-baseline"),
        ),
    ] {
        let (code, out, err) = run(rdpgen().args(&args));
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with("# yaml-language-server: $schema="));
        if let Some(b) = extends {
            assert!(out.contains(&format!("extends: [{b}]")), "{out}");
        }
        let p = dir.join("p.yaml");
        std::fs::write(&p, &out).unwrap();
        let (code, vout, verr) = run(rdpgen().arg("validate").arg(&p));
        assert_eq!(code, 0, "{vout}{verr}");
        // cis-level1 and stig deny `Local account` while allowing Administrators: RDP056 says
        // only domain members of the group may log on (issue 14); nothing else may warn.
        assert!(vout.contains("valid (0 errors, "), "{vout}");
        let warnings: Vec<&str> = vout.lines().filter(|l| l.starts_with("warning[")).collect();
        assert!(
            warnings.iter().all(|w| w.starts_with("warning[RDP056]")),
            "{vout}"
        );
    }
    // Every role with every baseline validates without errors; a workgroup host denies no
    // local account (that would deny everyone).
    // Every built-in baseline, so a new one is covered here without editing this list.
    let baselines: Vec<&str> = rdpgen::policy::builtin::names().collect();
    assert!(
        baselines.len() >= 5 && baselines.contains(&"cis-level1") && baselines.contains(&"stig"),
        "{baselines:?}"
    );
    for role in ["member-server", "domain-controller", "workgroup"] {
        for &baseline in &baselines {
            let (code, out, _) =
                run(rdpgen().args(["init", "--role", role, "--baseline", baseline]));
            assert_eq!(code, 0);
            assert!(out.contains(&format!("role: {role}")), "{out}");
            if role == "workgroup" {
                assert!(out.contains("deny: [Guests]"), "{out}");
            }
            let p = dir.join("r.yaml");
            std::fs::write(&p, &out).unwrap();
            let (code, vout, _) = run(rdpgen().arg("validate").arg(&p));
            assert_eq!(code, 0, "{role} {baseline}: {vout}");
            assert!(
                vout.contains("valid (0 errors"),
                "{role} {baseline}: {vout}"
            );
        }
    }
    let (code, _, err) = run(rdpgen().args(["init", "--baseline", "cis-level9"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("`cis-level9` is not a built-in baseline"),
        "{err}"
    );
    let (code, _, err) = run(rdpgen().args(["init", "--name", "Bad Name"]));
    assert_eq!(code, 2);
    assert!(err.contains("is not a policy name"), "{err}");
}

#[test]
fn the_man_page_has_every_command_and_section_and_no_missing_pages() {
    let (code, man, _) = run(rdpgen().arg("man"));
    assert_eq!(code, 0);
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH COMMANDS",
        ".SH \"EXIT STATUS\"",
        ".SH FILES",
        ".SH ENVIRONMENT",
        ".SH EXAMPLES",
    ] {
        assert!(man.contains(section), "missing {section}");
    }
    for cmd in [
        "validate",
        "build",
        "diff",
        "schema",
        "explain",
        "collector",
        "init",
        "import",
        "completions",
        "man",
    ] {
        assert!(
            man.contains(&format!(".SS \"rdpgen {cmd}\"")),
            "missing {cmd}"
        );
    }
    assert!(man.contains("\\-\\-allow\\-incomplete"));
    // No reference to pages that do not exist (`rdpgen-validate(1)`).
    assert!(!man.contains("rdpgen\\-validate(1)") && !man.contains("rdpgen-validate(1)"));
}

#[test]
fn the_html_report_names_the_policy_and_shows_every_host_without_paths() {
    let dir = scratch("html-fleet");
    let good =
        std::fs::read_to_string(crate::repo().join("examples/hosts/tier1-compliant.json")).unwrap();
    let bad =
        std::fs::read_to_string(crate::repo().join("examples/hosts/tier1-drifted.json")).unwrap();
    for i in 0..40 {
        let text = if i % 5 == 0 { &bad } else { &good };
        let name = format!("HOST-{i:03}");
        let text = text.replace("RDS-T1-01", &name).replace("RDS-T1-02", &name);
        std::fs::write(dir.join(format!("{name}.json")), text).unwrap();
    }
    let policy = crate::repo().join("examples/tier1.yaml");
    let (code, html, _) = run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "1795514400")
        .args(["diff", "--format", "html"])
        .arg(&policy)
        .arg(&dir));
    assert_eq!(code, 1);
    assert!(html.contains("<title>Remote Desktop posture: tier1-servers</title>"));
    assert!(html.contains("<td id=\"policy\"><b>tier1-servers</b> (tier1.yaml)</td>"));
    assert!(html.contains("<p id=\"description\">RDP posture for tier-1 member servers</p>"));
    assert!(html.contains("<td id=\"report-date\">2026-11-24T10:00:00Z</td>"));
    assert!(
        html.contains("Hosts captured 2026-11-24T09:00:00Z."),
        "capture date"
    );
    assert!(html.contains("<b>Score: "));
    assert!(html.contains("id=\"count-compliant\"><b>32</b>compliant"));
    assert!(html.contains("id=\"count-drifted\"><b>8</b>drifted"));
    assert!(html.contains("id=\"count-errors\">"));
    // Benchmarks, cause and fix of a finding.
    assert!(html.contains("CIS 18.10.57.3.9.3"));
    assert!(html.contains("deploy this policy (its GPO"));
    // Every host in the grid and in the details; nothing hides them.
    for i in 0..40 {
        let name = format!("HOST-{i:03}");
        assert_eq!(html.matches(&format!("{name}</")).count(), 2, "{name}");
    }
    assert!(!html.contains("max-height") && !html.contains("overflow:auto"));
    assert!(html.contains("@media print"));
    // Self-contained, no scripts, no absolute paths of the auditor's machine.
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    assert!(
        !html.contains(&*crate::repo().to_string_lossy()),
        "an absolute path leaked"
    );
    assert!(
        !html.contains(&*dir.to_string_lossy()),
        "an absolute path leaked"
    );
}

fn waiver_policy(dir: &std::path::Path, expires: &str, hosts: &str) -> std::path::PathBuf {
    let p = dir.join("waived.yaml");
    std::fs::write(
        &p,
        format!(
            "rdpgen: 1\nname: tier1-servers\nextends: [./tier1.yaml]\nwaivers:\n  - field: security.layer\n    hosts: [{hosts}]\n    reason: \"legacy thin clients until the Q1 refresh\"\n    expires: \"{expires}\"\n"
        ),
    )
    .unwrap();
    std::fs::copy(
        crate::repo().join("examples/tier1.yaml"),
        dir.join("tier1.yaml"),
    )
    .unwrap();
    p
}

/// `diff` on RDS-T1-04, whose only finding is `security.layer`, at 2026-11-24.
fn waived_diff(policy: &std::path::Path, format: &str) -> (i32, String, String) {
    run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "1795514400")
        .args(["diff", "--color", "never", "--format", format])
        .arg(policy)
        .arg(crate::repo().join("examples/hosts/tier1-policy-vs-local.json")))
}

#[test]
fn a_live_waiver_turns_drift_into_waived_in_every_format() {
    let dir = scratch("waiver-live");
    let p = waiver_policy(&dir, "2026-12-31", "\"RDS-T1-*\"");
    let (code, text, err) = waived_diff(&p, "text");
    assert_eq!(code, 0, "{text}{err}");
    assert!(text.contains("compliant RDS-T1-04"), "{text}");
    assert!(text.contains("waived  security.layer"), "{text}");
    assert!(text.contains("waived until 2026-12-31: legacy thin clients until the Q1 refresh"));
    let (_, json, _) = waived_diff(&p, "json");
    let v: Value = serde_json::from_str(&json).unwrap();
    let c = v["hosts"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "security.layer")
        .unwrap()
        .clone();
    assert_eq!(c["outcome"], "waived");
    let (_, sarif, _) = waived_diff(&p, "sarif");
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let r = &v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "security.layer")
        .unwrap()
        .clone();
    assert_eq!(r["suppressions"][0]["kind"], "external");
    assert!(
        r["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("legacy thin clients")
    );
    let (_, junit, _) = waived_diff(&p, "junit");
    assert!(junit.contains("name=\"security.layer\">\n      <skipped message=\"waived until 2026-12-31: legacy thin clients"), "{junit}");
    let (_, csv, _) = waived_diff(&p, "csv");
    assert!(
        csv.lines().any(|l| l.contains(",security.layer,waived,")),
        "{csv}"
    );
    let (_, html, _) = waived_diff(&p, "html");
    assert!(html.contains("<h2>Waived</h2>"));
    // validate is silent about a live waiver.
    let (code, out, _) = run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "1795514400")
        .arg("validate")
        .arg(&p));
    assert_eq!(code, 0);
    // The only warning is cis-level1's RDP056 (issue 14), none about the waiver.
    assert!(out.contains("valid (0 errors, "), "{out}");
    assert!(!out.contains("RDP090") && !out.contains("RDP091"), "{out}");
}

#[test]
fn an_expired_waiver_hides_nothing_and_is_a_warning() {
    let dir = scratch("waiver-expired");
    let p = waiver_policy(&dir, "2026-11-23", "\"*\"");
    let (code, text, err) = waived_diff(&p, "text");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("error   security.layer"), "{text}");
    assert!(
        text.contains("the waiver until 2026-11-23 has expired"),
        "{text}"
    );
    assert!(
        err.contains("warning: the waiver for `security.layer` expired on 2026-11-23"),
        "{err}"
    );
    let (code, out, _) = run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "1795514400")
        .args(["validate", "--deny-warnings"])
        .arg(&p));
    assert_eq!(code, 1);
    assert!(out.contains("warning[RDP090]"), "{out}");
    assert!(
        out.contains("the waiver for `security.layer` expired on 2026-11-23"),
        "{out}"
    );
}

#[test]
fn a_waiver_that_matches_nothing_is_a_warning() {
    let dir = scratch("waiver-nothing");
    // The host list matches no host of the run.
    let p = waiver_policy(&dir, "2026-12-31", "\"WEB-*\"");
    let (code, _, err) = waived_diff(&p, "text");
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "warning: the waiver for `security.layer` matched no failing check on any host"
        ),
        "{err}"
    );
    // A field the policy does not set, and a bad day: validate says so.
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "rdpgen: 1\nname: bad\nwaivers:\n  - field: security.nla\n    reason: x\n    expires: \"2027-02-30\"\n  - field: tls.minVersion\n    reason: \"  \"\n    expires: \"2027-01-01\"\n").unwrap();
    let (code, out, _) = run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "1795514400")
        .arg("validate")
        .arg(&bad));
    assert_eq!(code, 1, "{out}");
    for needle in [
        "error[RDP092]: waiver `expires: 2027-02-30` is not a day written YYYY-MM-DD",
        "warning[RDP091]: the waiver's `security.nla` is neither a field this policy sets nor a `diff` check id",
        "error[RDP092]: the waiver for `tls.minVersion` gives no reason",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in {out}");
    }
}

#[test]
fn only_findings_leaves_out_what_passed_but_counts_every_host() {
    let (code, out, _) = run(rdpgen().args([
        "diff",
        "examples/tier1.yaml",
        "examples/hosts",
        "--format",
        "json",
        "--only-findings",
    ]));
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let hosts = v["hosts"].as_array().unwrap();
    // 2 of 7 hosts are compliant: left out; the summary still counts them.
    assert_eq!(hosts.len(), 5);
    assert_eq!(v["summary"]["hosts"], 7);
    assert_eq!(v["summary"]["compliant"], 2);
    for h in hosts {
        assert_ne!(h["status"], "compliant");
        assert!(
            h["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["outcome"] != "pass")
        );
    }
    assert_eq!(v["summary"]["hostsWithFindingsPerArea"]["security"], 2);
}

#[test]
fn shard_reports_merge_into_the_report_of_one_run() {
    let dir = scratch("merge");
    let hosts: Vec<_> = std::fs::read_dir(crate::repo().join("examples/hosts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut sorted = hosts.clone();
    sorted.sort();
    let (a, b) = sorted.split_at(3);
    let mut shards = Vec::new();
    for (i, part) in [a, b].iter().enumerate() {
        let out = dir.join(format!("shard{i}.json"));
        let (code, _, err) = run(rdpgen()
            .env("SOURCE_DATE_EPOCH", "1795514400")
            .args(["diff", "examples/tier1.yaml", "--format", "json", "-o"])
            .arg(&out)
            .args(part.iter()));
        assert!(code == 1 || code == 3 || code == 0, "{err}");
        shards.push(out);
    }
    let (code, merged, _) = run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "1795514400")
        .args(["report", "merge", "--format", "json"])
        .args(&shards));
    let (whole_code, whole, _) = run(rdpgen()
        .env("SOURCE_DATE_EPOCH", "1795514400")
        .args(["diff", "examples/tier1.yaml", "--format", "json"])
        .args(&sorted));
    assert_eq!(code, whole_code);
    let m: Value = serde_json::from_str(&merged).unwrap();
    let w: Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(m["summary"], w["summary"]);
    assert_eq!(m["hosts"], w["hosts"]);
    assert_eq!(m["policy"]["sha256"], w["policy"]["sha256"]);
    // Any format from the merged hosts.
    let (_, text, _) = run(rdpgen()
        .args(["report", "merge", "--format", "text"])
        .args(&shards));
    assert!(
        text.contains("7 hosts: 2 compliant, 4 drifted, 1 incomplete, 0 unreadable"),
        "{text}"
    );
    // Reports of another policy do not merge.
    let other = dir.join("other.json");
    let (_, _, _) = run(rdpgen()
        .args(["diff", "examples/dmz-jump.yaml", "--format", "json", "-o"])
        .arg(&other)
        .arg(&sorted[0]));
    let (code, _, err) = run(rdpgen()
        .args(["report", "merge"])
        .arg(&shards[0])
        .arg(&other));
    assert_eq!(code, 2);
    assert!(
        err.contains("only reports of the same policy merge"),
        "{err}"
    );
    // Not a report.
    let (code, _, err) = run(rdpgen()
        .args(["report", "merge"])
        .arg(crate::repo().join("examples/hosts/tier1-compliant.json")));
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a JSON report of `rdpgen diff`"),
        "{err}"
    );
    // Hosts are streamed, but a shard whose last host is malformed stops the merge before
    // anything is written, with the line of that host.
    let mut bad: Value =
        serde_json::from_str(&std::fs::read_to_string(&shards[1]).unwrap()).unwrap();
    let last = bad["hosts"].as_array_mut().unwrap().last_mut().unwrap();
    last.as_object_mut().unwrap().remove("status");
    let bad_path = dir.join("bad-shard.json");
    std::fs::write(&bad_path, serde_json::to_string_pretty(&bad).unwrap()).unwrap();
    let merged_path = dir.join("merged.json");
    let (code, stdout, err) = run(rdpgen()
        .args(["report", "merge", "--format", "json", "-o"])
        .arg(&merged_path)
        .arg(&shards[0])
        .arg(&bad_path));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing field `status`"), "{err}");
    assert!(err.contains("(line "), "{err}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(!merged_path.exists(), "a partial merged report was written");
}

#[test]
fn build_json_names_every_file_written_with_its_hash() {
    let out = scratch("build-json");
    let (code, stdout, _) = run(rdpgen()
        .args([
            "build",
            "examples/workgroup.yaml",
            "--target",
            "reg,pol",
            "--format",
            "json",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let written = v["written"].as_array().unwrap();
    assert_eq!(written.len(), 3, "{v}");
    for w in written {
        let path = std::path::Path::new(w["path"].as_str().unwrap());
        let bytes = std::fs::read(path).unwrap();
        use sha2::Digest as _;
        let hash: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(w["sha256"], hash.as_str());
        assert_eq!(w["bytes"], bytes.len());
        assert_eq!(w["policy"], "workgroup-host");
        assert!(["reg", "pol"].contains(&w["target"].as_str().unwrap()));
    }
    assert!(v["diagnostics"].is_array());
}

#[test]
fn build_deny_warnings_writes_nothing_on_a_warning() {
    let out = scratch("build-deny");
    // tier1 extends cis-level1, whose logon rights warn (RDP056).
    let (code, stdout, stderr) = run(rdpgen()
        .args(["build", "examples/tier1.yaml", "--deny-warnings", "--out"])
        .arg(&out));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("1 warning, and --deny-warnings is set"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"));
    assert!(std::fs::read_dir(&out).unwrap().next().is_none());
    // A policy without warnings builds.
    let (code, _, stderr) = run(rdpgen()
        .args([
            "build",
            "examples/workgroup.yaml",
            "--deny-warnings",
            "--out",
        ])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn validate_and_build_take_a_directory_of_policies() {
    let dir = scratch("policy-dir");
    for e in ["workgroup", "dmz-jump"] {
        std::fs::copy(
            crate::repo().join(format!("examples/{e}.yaml")),
            dir.join(format!("{e}.yaml")),
        )
        .unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not a policy").unwrap();
    let (code, stdout, _) = run(rdpgen().arg("validate").arg(&dir));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("dmz-jump.yaml: valid") && stdout.contains("workgroup.yaml: valid"),
        "{stdout}"
    );
    let out = scratch("policy-dir-out");
    let (code, _, stderr) = run(rdpgen()
        .arg("build")
        .arg(&dir)
        .args(["--target", "reg", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("dmz-jump/reg/apply.reg").is_file());
    assert!(out.join("workgroup-host/reg/apply.reg").is_file());
    let empty = scratch("policy-dir-empty");
    let (code, _, stderr) = run(rdpgen().arg("validate").arg(&empty));
    assert_eq!(code, 2);
    assert!(stderr.contains("holds no policy"), "{stderr}");
}

#[test]
fn a_policy_can_come_from_standard_input() {
    use std::io::Write as _;
    use std::process::Stdio;
    let text = std::fs::read(crate::repo().join("examples/workgroup.yaml")).unwrap();
    let bad = b"rdpgen: 1\nname: x\nsecurity:\n  nla: yes\n".to_vec();
    for (input, code, needle) in [
        (text, 0, "<stdin>: valid (0 errors, 0 warnings)"),
        (bad, 1, "--> <stdin>:4:8"),
    ] {
        let mut child = rdpgen()
            .args(["validate", "--color", "never", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(code), "{stdout}");
        assert!(stdout.contains(needle), "{stdout}");
    }
    let (code, _, err) = run(rdpgen().args(["validate", "-", "-"]));
    assert_eq!(code, 2);
    assert!(err.contains("can be named once"), "{err}");
}

#[test]
fn diff_findings_point_at_the_policy_line_in_github_and_sarif() {
    let host = crate::repo().join("examples/hosts/tier1-drifted.json");
    let (code, out, _) = run(rdpgen()
        .args(["diff", "examples/tier1.yaml", "--format", "github"])
        .arg(&host));
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    // `security.layer: tls` is line 15, column 10 of examples/tier1.yaml.
    assert!(
        lines.iter().any(|l| l.starts_with("::error file=examples/tier1.yaml,line=15,col=10,title=security.layer on RDS-T1-02::RDS-T1-02: SecurityLayer is REG_DWORD 1")),
        "{out}"
    );
    // logonRights come from the cis-level1 baseline: the annotation is at `extends`.
    let extends_line = std::fs::read_to_string(crate::repo().join("examples/tier1.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.starts_with("extends:"))
        .unwrap()
        + 1;
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "::error file=examples/tier1.yaml,line={extends_line},"
        )) && l.contains("logonRights.deny")),
        "{out}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("::notice title=rdpgen diff::1 hosts: 0 compliant, 1 drifted")
    );
    for l in &lines {
        assert!(
            l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice "),
            "{l}"
        );
    }
    let (_, sarif, _) = run(rdpgen()
        .args(["diff", "examples/tier1.yaml", "--format", "sarif"])
        .arg(&host));
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let r = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "security.layer")
        .unwrap()
        .clone();
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "examples/tier1.yaml");
    assert_eq!(loc["region"]["startLine"], 15);
    assert!(
        r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("tier1-drifted.json")
    );
}

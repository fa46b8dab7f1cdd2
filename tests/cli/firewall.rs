//! Does the firewall scope hold on a host as Windows ships it? The generated Registry.pol (and
//! `.reg`, and DSC v3 document) of every example is evaluated here the way Windows Firewall
//! decides, by an evaluator written for this test and sharing nothing with rdpgen's audit:
//! a packet is dropped when any block rule in effect matches, else admitted when any allow rule
//! in effect matches, else dropped (DefaultInboundAction Block). Group Policy rules are always in
//! effect; local rules only where AllowLocalPolicyMerge is not 0. The host's local store holds
//! Windows' built-in `RemoteDesktop-UserMode-In-TCP/UDP` (port 3389, any address, every
//! profile, enabled) and an administrator's "allow anything on the RDP port" rule. Inside and
//! outside addresses, IPv4 and IPv6, every profile, every protocol the policy uses: the results
//! are pinned per example.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rdpgen::formats::RegistryValue;
use rdpgen::formats::reg_file::{self, RegFileAction, RegSection};
use rdpgen::formats::registry_pol;

use crate::{rdpgen, repo, run, scratch};

const PROFILES: [&str; 3] = ["Domain", "Private", "Public"];

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    local: bool,
    fields: Vec<(String, String)>,
}

impl Rule {
    fn parse(name: &str, local: bool, text: &str) -> Self {
        let fields = text
            .split('|')
            .skip(1)
            .filter(|f| !f.is_empty())
            .map(|f| {
                let (k, v) = f.split_once('=').expect("field=value");
                (k.to_string(), v.to_string())
            })
            .collect();
        Self {
            name: name.into(),
            local,
            fields,
        }
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn one(&self, key: &str) -> Option<&str> {
        self.all(key).first().copied()
    }

    fn matches(&self, profile: &str, protocol: u8, port: u16, addr: IpAddr) -> bool {
        if self.one("Active") == Some("FALSE") || self.one("Dir") != Some("In") {
            return false;
        }
        let profiles = self.all("Profile");
        if !profiles.is_empty() && !profiles.contains(&profile) {
            return false;
        }
        if let Some(p) = self.one("Protocol")
            && p.parse::<u8>().unwrap() != protocol
        {
            return false;
        }
        let ports = self.all("LPort");
        if !ports.is_empty()
            && !ports.iter().any(|p| match p.split_once('-') {
                Some((a, b)) => (a.parse().unwrap()..=b.parse().unwrap()).contains(&port),
                None => p.parse::<u16>().ok() == Some(port),
            })
        {
            return false;
        }
        // Remote Desktop is TermService in svchost.exe.
        if let Some(app) = self.one("App")
            && !app.to_ascii_lowercase().ends_with("\\svchost.exe")
        {
            return false;
        }
        if let Some(svc) = self.one("Svc")
            && !svc.eq_ignore_ascii_case("termservice")
        {
            return false;
        }
        let ra: Vec<&str> = self.all("RA4").into_iter().chain(self.all("RA6")).collect();
        ra.is_empty() || ra.iter().any(|a| address_matches(a, addr))
    }
}

fn to_u128(a: IpAddr) -> (bool, u128) {
    match a {
        IpAddr::V4(v) => (true, u128::from(u32::from(v))),
        IpAddr::V6(v) => (false, u128::from(v)),
    }
}

/// One RA4/RA6 token against one address. `LocalSubnet` never matches: the probes are chosen
/// off every subnet of the test host.
fn address_matches(token: &str, addr: IpAddr) -> bool {
    let (v4, x) = to_u128(addr);
    if token.eq_ignore_ascii_case("LocalSubnet") {
        return false;
    }
    if let Some((a, b)) = token.split_once('-') {
        let (a4, a) = to_u128(a.parse().unwrap());
        let (b4, b) = to_u128(b.parse().unwrap());
        assert_eq!(a4, b4);
        return a4 == v4 && a <= x && x <= b;
    }
    let (net, bits) = match token.split_once('/') {
        Some((n, m)) => {
            let n: IpAddr = n.parse().unwrap();
            let bits = match m.parse::<IpAddr>() {
                Ok(IpAddr::V4(mask)) => u32::from(mask).count_ones(),
                _ => m.parse::<u32>().unwrap(),
            };
            (n, bits)
        }
        None => {
            let n: IpAddr = token.parse().unwrap();
            (n, if n.is_ipv4() { 32 } else { 128 })
        }
    };
    let (n4, n) = to_u128(net);
    if n4 != v4 {
        return false;
    }
    let width = if v4 { 32 } else { 128 };
    let shift = width - bits;
    if shift >= 128 {
        return true;
    }
    (n >> shift) == (x >> shift)
}

/// The host: the policy's rules and profile settings, plus the local store described above.
struct Host {
    rules: Vec<Rule>,
    /// AllowLocalPolicyMerge per profile, as the policy sets it (absent: merged).
    merge: [bool; 3],
}

impl Host {
    fn new(policy: Vec<(String, String, RegistryValue)>, port: u16) -> Self {
        let mut rules = vec![
            Rule::parse(
                "RemoteDesktop-UserMode-In-TCP",
                true,
                r"v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|",
            ),
            Rule::parse(
                "RemoteDesktop-UserMode-In-UDP",
                true,
                r"v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=3389|App=%SystemRoot%\system32\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28776|",
            ),
            Rule::parse(
                "admin-any-tcp",
                true,
                &format!(
                    "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort={port}|Name=open|"
                ),
            ),
            Rule::parse(
                "admin-any-udp",
                true,
                &format!(
                    "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort={port}|Name=open|"
                ),
            ),
        ];
        let mut merge = [true; 3];
        for (key, name, value) in policy {
            let key = key.to_ascii_lowercase();
            if key == r"software\policies\microsoft\windowsfirewall\firewallrules" {
                let RegistryValue::Sz(text) = &value else {
                    panic!("{name}")
                };
                rules.push(Rule::parse(&name, false, text));
            }
            for (i, p) in ["domainprofile", "privateprofile", "publicprofile"]
                .iter()
                .enumerate()
            {
                if key == format!(r"software\policies\microsoft\windowsfirewall\{p}")
                    && name.eq_ignore_ascii_case("AllowLocalPolicyMerge")
                {
                    merge[i] = value != RegistryValue::Dword(0);
                }
            }
        }
        Self { rules, merge }
    }

    fn admits(&self, profile: usize, protocol: u8, port: u16, addr: IpAddr) -> bool {
        let in_effect: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| !r.local || self.merge[profile])
            .filter(|r| r.matches(PROFILES[profile], protocol, port, addr))
            .collect();
        if in_effect.iter().any(|r| r.one("Action") == Some("Block")) {
            return false;
        }
        in_effect.iter().any(|r| r.one("Action") == Some("Allow"))
    }
}

fn build(policy: &Path, targets: &[&str]) -> PathBuf {
    let out = scratch("firewall").join("out");
    let mut cmd = rdpgen();
    cmd.arg("build").arg(policy).arg("--out").arg(&out);
    for t in targets {
        cmd.args(["--target", t]);
    }
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stderr}");
    out
}

fn pol_values(out: &Path, name: &str) -> Vec<(String, String, RegistryValue)> {
    let bytes = std::fs::read(out.join(name).join("pol/Machine/Registry.pol")).unwrap();
    registry_pol::read(&bytes)
        .unwrap()
        .into_iter()
        .map(|e| (e.key, e.value_name, e.value))
        .collect()
}

fn reg_values(out: &Path, name: &str) -> Vec<(String, String, RegistryValue)> {
    let bytes = std::fs::read(out.join(name).join("reg/apply.reg")).unwrap();
    let mut values = Vec::new();
    for section in reg_file::read(&bytes).unwrap().sections {
        let RegSection::Key { path, values: vals } = section else {
            continue;
        };
        let key = path
            .strip_prefix("HKEY_LOCAL_MACHINE\\")
            .unwrap_or(&path)
            .to_string();
        for v in vals {
            if let RegFileAction::Set(value) = v.action {
                values.push((key.clone(), v.name.unwrap_or_default(), value));
            }
        }
    }
    values
}

/// What one example must give: the port, the protocols, the chosen profiles, addresses inside
/// `allowFrom` and outside it. Written out by hand, not derived from the policy.
struct Expect {
    file: &'static str,
    name: &'static str,
    port: u16,
    protocols: &'static [u8],
    chosen: &'static [usize],
    inside: &'static [&'static str],
    outside: &'static [&'static str],
}

const OUTSIDE_ALWAYS: [&str; 4] = ["8.8.8.8", "0.0.0.0", "2001:4860:4860::8888", "::1"];

const EXAMPLES: [Expect; 4] = [
    Expect {
        file: "examples/tier1.yaml",
        name: "tier1-servers",
        port: 3389,
        protocols: &[6, 17],
        chosen: &[0],
        inside: &["10.20.0.1", "10.20.255.255", "192.168.10.5"],
        outside: &[
            "10.19.255.255",
            "10.21.0.0",
            "192.168.11.0",
            "255.255.255.255",
        ],
    },
    Expect {
        file: "examples/dmz-jump.yaml",
        name: "dmz-jump",
        port: 53389,
        protocols: &[6],
        chosen: &[1, 2],
        inside: &["203.0.113.10", "203.0.113.11"],
        outside: &["203.0.113.9", "203.0.113.12"],
    },
    Expect {
        file: "examples/workgroup.yaml",
        name: "workgroup-host",
        port: 3389,
        protocols: &[6, 17],
        chosen: &[1],
        inside: &["192.168.1.20", "fd12:3456::1"],
        outside: &["192.169.0.0", "172.16.0.1", "fe80::1", "fc00::1"],
    },
    Expect {
        file: "examples/break-glass-0x904.yaml",
        name: "break-glass-0x904",
        port: 3389,
        protocols: &[6],
        chosen: &[0, 1],
        inside: &["10.0.0.1", "10.255.255.254"],
        outside: &["11.0.0.0", "9.255.255.255"],
    },
];

fn check(host: &Host, e: &Expect, what: &str, outside_admitted_on_chosen: bool) {
    let names: Vec<&str> = host.rules.iter().map(|r| r.name.as_str()).collect();
    let what = format!("{what} (rules {})", names.join(","));
    let what = what.as_str();
    for (profile, profile_name) in PROFILES.iter().enumerate() {
        let chosen = e.chosen.contains(&profile);
        for &protocol in e.protocols {
            for a in e.inside {
                let addr: IpAddr = a.parse().unwrap();
                assert_eq!(
                    host.admits(profile, protocol, e.port, addr),
                    chosen,
                    "{what} {}: {a} over {protocol} on {profile_name}",
                    e.name,
                );
            }
            for a in e.outside.iter().chain(&OUTSIDE_ALWAYS) {
                let addr: IpAddr = a.parse().unwrap();
                assert_eq!(
                    host.admits(profile, protocol, e.port, addr),
                    chosen && outside_admitted_on_chosen,
                    "{what} {}: {a} over {protocol} on {profile_name}",
                    e.name,
                );
            }
            // A protocol the policy does not use stays closed everywhere (no rule of rdpgen's
            // opens it; the admin's rules are TCP and UDP on the port).
        }
    }
}

#[test]
fn every_example_keeps_its_scope_against_windows_own_rules() {
    for e in &EXAMPLES {
        let out = build(&repo().join(e.file), &["pol", "reg"]);
        for (what, values) in [
            ("Registry.pol", pol_values(&out, e.name)),
            ("apply.reg", reg_values(&out, e.name)),
        ] {
            // As shipped: local rules merged on every profile.
            check(&Host::new(values.clone(), e.port), e, what, false);
            // With a baseline that stops local rules on every profile, the policy's own rules
            // still admit exactly the scope.
            let mut host = Host::new(values, e.port);
            host.merge = [false; 3];
            check(&host, e, &format!("{what} (merge off)"), false);
        }
    }
}

#[test]
fn the_evaluator_can_fail_rdpgen_before_issue_13_would_not_keep_the_scope() {
    // The allow rules alone, as rdpgen wrote them before it blocked the rest: Windows' own
    // rules admit 8.8.8.8 on every profile. The evaluator must say so.
    let e = &EXAMPLES[0];
    let out = build(&repo().join(e.file), &["pol"]);
    let allow_only: Vec<_> = pol_values(&out, e.name)
        .into_iter()
        .filter(|(_, name, _)| !name.contains("-Block-"))
        .collect();
    let host = Host::new(allow_only, e.port);
    for profile in 0..3 {
        assert!(host.admits(profile, 6, 3389, "8.8.8.8".parse().unwrap()));
        assert!(host.admits(profile, 17, 3389, "2001:4860:4860::8888".parse().unwrap()));
    }
}

fn scratch_policy(yaml: &str) -> PathBuf {
    let dir = scratch("firewall-policy");
    let path = dir.join("p.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

#[test]
fn keep_leaves_the_scope_advisory_and_local_subnet_only_the_profiles() {
    // builtinRules: keep: no block rules, so the built-in rules admit the world everywhere.
    let keep = scratch_policy(
        "rdpgen: 1\nname: keep\nfirewall:\n  profiles: [domain]\n  allowFrom: [10.0.0.0/8]\n  builtinRules: keep\n",
    );
    let out = build(&keep, &["pol"]);
    let values = pol_values(&out, "keep");
    assert!(!values.iter().any(|(_, n, _)| n.contains("-Block-")));
    let host = Host::new(values, 3389);
    for profile in 0..3 {
        assert!(host.admits(profile, 6, 3389, "8.8.8.8".parse().unwrap()));
    }
    // local-subnet: no address block rule (no complement), the profile block rule holds.
    let subnet = scratch_policy(
        "rdpgen: 1\nname: subnet\nfirewall:\n  profiles: [private]\n  allowFrom: [local-subnet]\n",
    );
    let out = build(&subnet, &["pol"]);
    let host = Host::new(pol_values(&out, "subnet"), 3389);
    assert!(host.admits(1, 6, 3389, "8.8.8.8".parse().unwrap()));
    assert!(!host.admits(0, 6, 3389, "8.8.8.8".parse().unwrap()));
    assert!(!host.admits(2, 17, 3389, "8.8.8.8".parse().unwrap()));
}

#[test]
fn dsc3_rules_keep_the_scope_as_local_rules() {
    // The DSC v3 document's rules, as the local store would hold them, next to the same local
    // rules: the scope holds while local rules are merged.
    let e = &EXAMPLES[0];
    let out = build(&repo().join(e.file), &["dsc3"]);
    let text = std::fs::read_to_string(out.join(e.name).join("dsc3/rdp.dsc.yaml")).unwrap();
    let node = rdpgen::policy::yaml::parse(&text).unwrap();
    let doc = rdpgen::policy::TreeNode::from_yaml(&node, rdpgen::source::FileId(0)).to_json();
    let list = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "Microsoft.Windows/FirewallRuleList")
        .unwrap();
    let mut host = Host::new(Vec::new(), e.port);
    for r in list["properties"]["rules"].as_array().unwrap() {
        let mut text = format!(
            "v2.10|Action={}|Active=TRUE|Dir=In|Protocol={}|LPort={}|",
            r["action"].as_str().unwrap(),
            r["protocol"],
            r["localPorts"].as_str().unwrap()
        );
        for p in r["profiles"].as_array().unwrap() {
            if p != "All" {
                text.push_str(&format!("Profile={}|", p.as_str().unwrap()));
            }
        }
        let remote = r["remoteAddresses"].as_str().unwrap();
        if remote != "*" {
            for a in remote.split(',') {
                let key = if a.contains(':') { "RA6" } else { "RA4" };
                text.push_str(&format!("{key}={a}|"));
            }
        }
        if let Some(app) = r["applicationName"].as_str() {
            text.push_str(&format!("App={app}|"));
        }
        host.rules
            .push(Rule::parse(r["name"].as_str().unwrap(), true, &text));
    }
    check(&host, e, "rdp.dsc.yaml", false);
}

// ---------------------------------------------------------------------------------------
// `rdpgen diff`: the effective firewall of a snapshot

/// tier1-compliant.json with its firewall section and firewall registry values changed.
fn host_with(edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("examples/hosts/tier1-compliant.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    let path = scratch("firewall-host").join("host.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    path
}

fn diff(policy: &Path, host: &Path) -> (i32, String) {
    let (code, stdout, stderr) = run(rdpgen()
        .args(["diff", "--color", "never"])
        .arg(policy)
        .arg(host));
    (code, format!("{stdout}{stderr}"))
}

fn tier1() -> PathBuf {
    repo().join("examples/tier1.yaml")
}

fn drop_registry(v: &mut serde_json::Value, name_contains: &str) {
    v["registry"]
        .as_array_mut()
        .unwrap()
        .retain(|r| !r["name"].as_str().unwrap().contains(name_contains));
}

fn push_rule(v: &mut serde_json::Value, rule: serde_json::Value) {
    v["firewall"]["rules"].as_array_mut().unwrap().push(rule);
}

#[test]
fn diff_names_each_rule_that_widens_the_scope_and_not_the_neutralised_or_disabled_ones() {
    // The block rules are in place: the built-in rules are neutralised, and a disabled rule
    // from anywhere is no finding either.
    let host = host_with(|v| {
        push_rule(
            v,
            serde_json::json!({"name": "old-rdp", "enabled": false, "direction": "Inbound",
                "action": "Allow", "protocol": "TCP", "localPorts": ["3389"],
                "remoteAddresses": ["Any"], "profiles": ["Any"], "policyStore": "Local"}),
        );
    });
    let (code, out) = diff(&tier1(), &host);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("compliant RDS-T1-01: 68 checks passed, all verified"),
        "{out}"
    );
    // Without the block rules (what rdpgen wrote before), each widening rule is named with its
    // store and remote addresses; Public is not named: the policy's AllowLocalPolicyMerge 0
    // drops local rules there.
    let host = host_with(|v| drop_registry(v, "-Block-"));
    let (code, out) = diff(&tier1(), &host);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(
        "error   firewall.effective:local:RemoteDesktop-UserMode-In-TCP: rule `RemoteDesktop-UserMode-In-TCP` (\"Remote Desktop - User Mode (TCP-In)\", local store, remote addresses any) lets RDP in from 0.0.0.0-10.19.255.255,10.21.0.0-192.168.9.255,192.168.11.0-255.255.255.255,any IPv6 on Domain; from any on Private, outside `firewall.allowFrom`\n          at local store rule RemoteDesktop-UserMode-In-TCP (the collector's rule list)\n          fix: deploy this policy's firewall rules (GPO, `reg/apply.reg` or DSC), or remove or narrow the rule named"
    ), "{out}");
    assert!(!out.contains("old-rdp"), "{out}");
}

#[test]
fn diff_sees_profiles_merge_default_action_and_the_legacy_policy() {
    // Local rules merged on Public too (no AllowLocalPolicyMerge 0), firewall off on Private,
    // the legacy WF_RemoteDesktop policy for Domain with `*`.
    let host = host_with(|v| {
        drop_registry(v, "-Block-");
        for p in v["firewall"]["profiles"].as_array_mut().unwrap() {
            p["allowLocalPolicyMerge"] = serde_json::Value::Null;
            // Off locally; the policy leaves it unconfigured, so the local value counts.
            if p["profile"] == "Private" {
                p["enableFirewall"] = if p["store"] == "PersistentStore" {
                    false.into()
                } else {
                    serde_json::Value::Null
                };
            }
        }
        v["registry"].as_array_mut().unwrap().extend([
            serde_json::json!({"key": r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\DomainProfile\Services\RemoteDesktop", "name": "Enabled", "type": "REG_DWORD", "data": 1}),
            serde_json::json!({"key": r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\DomainProfile\Services\RemoteDesktop", "name": "RemoteAddresses", "type": "REG_SZ", "data": "*"}),
        ]);
        v["firewall"]["rules"] = serde_json::json!([]);
    });
    let (code, out) = diff(&tier1(), &host);
    assert_eq!(code, 1, "{out}");
    for needle in [
        "error   firewall.effective:profile:Private: the firewall is off on the Private profile, so RDP is admitted from any address there (any outside the policy's scope); no rule can restrict it",
        "error   firewall.effective:policy:WF_RemoteDesktop (DomainProfile): rule `WF_RemoteDesktop (DomainProfile)` (Group Policy store, remote addresses any) lets RDP in from 0.0.0.0-10.19.255.255,10.21.0.0-192.168.9.255,192.168.11.0-255.255.255.255,any IPv6 on Domain, outside `firewall.allowFrom`",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    // Default inbound Allow on Public (in the policy key) admits everything no block rule stops.
    let host = host_with(|v| {
        drop_registry(v, "-Block-Profiles");
        v["registry"].as_array_mut().unwrap().push(serde_json::json!({"key": r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\PublicProfile", "name": "DefaultInboundAction", "type": "REG_DWORD", "data": 0}));
    });
    let (code, out) = diff(&tier1(), &host);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error   firewall.effective:default:Public: the Public profile admits unmatched inbound traffic (DefaultInboundAction = Allow), so RDP gets in from 10.20.0.0/16,192.168.10.0/24, outside the policy's scope"), "{out}");
}

#[test]
fn diff_reports_rdp_dropped_on_a_chosen_profile_as_a_0x904_cause() {
    // A block rule from elsewhere covers 10.0.0.0/8 on Domain: the admins are locked out.
    let host = host_with(|v| {
        push_rule(
            v,
            serde_json::json!({"name": "quarantine", "enabled": true, "direction": "Inbound",
                "action": "Block", "protocol": "Any", "localPorts": ["Any"],
                "remoteAddresses": ["10.0.0.0/255.0.0.0"], "profiles": ["Domain"],
                "policyStore": "GroupPolicy"}),
        );
    });
    let (code, out) = diff(&tier1(), &host);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error   firewall.effective:reachable:Domain: RDP from `firewall.allowFrom` does not get through on the Domain profile: 10.20.0.0/16 (a block rule drops it) [0x904/0x7 cause C5]"), "{out}");
}

#[test]
fn diff_with_keep_warns_and_without_local_rules_assumes_windows_defaults() {
    let keep = scratch_policy(
        "rdpgen: 1\nname: keep\nfirewall:\n  profiles: [domain]\n  allowFrom: [10.20.0.0/16]\n  builtinRules: keep\n",
    );
    let host = host_with(|_| {});
    let (_, out) = diff(&keep, &host);
    assert!(out.contains("warning firewall.effective:local:RemoteDesktop-UserMode-In-TCP: rule `RemoteDesktop-UserMode-In-TCP` (\"Remote Desktop - User Mode (TCP-In)\", local store, remote addresses any) lets RDP in"), "{out}");
    // A Registry.pol alone: the GPO's rules are known, local rules are not; Windows' built-in
    // rules are assumed, and the GPO's block rules neutralise them.
    let out_dir = build(&tier1(), &["pol"]);
    let pol = out_dir.join("tier1-servers/pol/Machine/Registry.pol");
    let (_, out) = diff(&tier1(), &pol);
    assert!(!out.contains("firewall.effective:"), "{out}");
    let (_, out, _) = run(rdpgen()
        .args(["diff", "--color", "never", "--verbose"])
        .arg(tier1())
        .arg(&pol));
    assert!(
        out.contains("Windows' built-in Remote Desktop rules assumed enabled"),
        "{out}"
    );
}

#[test]
fn policy_version_is_what_microsofts_baselines_write() {
    // Every Server 2025 baseline GPO with firewall settings writes PolicyVersion 538 beside
    // them, read here with rdpgen's Registry.pol reader; rdpgen writes the same.
    let dir = crate::shared().join("reference/baseline-gpos/Server2025");
    if !crate::available("../shared/reference/baseline-gpos", dir.is_dir()) {
        return;
    }
    let mut versions = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let pol = entry
            .unwrap()
            .path()
            .join("DomainSysvol/GPO/Machine/registry.pol");
        let Ok(bytes) = std::fs::read(&pol) else {
            continue;
        };
        for e in registry_pol::read(&bytes).unwrap() {
            if e.key.eq_ignore_ascii_case(rdpgen::catalog::keys::FWPOL)
                && e.value_name == "PolicyVersion"
            {
                versions.push(e.value);
            }
        }
    }
    assert_eq!(
        versions,
        vec![RegistryValue::Dword(rdpgen::model::FIREWALL_POLICY_VERSION); 2],
        "the Member Server and Domain Controller baselines"
    );
    let out = build(&repo().join("examples/tier1.yaml"), &["pol"]);
    assert!(pol_values(&out, "tier1-servers").contains(&(
        rdpgen::catalog::keys::FWPOL.to_string(),
        "PolicyVersion".to_string(),
        RegistryValue::Dword(538)
    )));
}

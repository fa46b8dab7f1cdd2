//! The effective firewall for RDP, decided the way Windows Firewall decides it: a packet on an
//! enabled profile is dropped when any block rule in effect matches it, otherwise admitted when
//! any allow rule in effect matches it (or the profile's default inbound action is Allow).
//! Rules of the Group Policy store are always in effect; local rules (the host's own store,
//! Windows' built-in `RemoteDesktop-UserMode-In-*` among them) only on profiles where the
//! resultant policy leaves `AllowLocalPolicyMerge` on.
//!
//! Pure functions: the model's scope and the host's firewall state in, findings out. The host
//! state is assembled from every source a host file can hold: the rule strings under the
//! policy and local `FirewallRules` keys, the collector's rule list (every store), the
//! per-profile values of both stores, and the legacy `WF_RemoteDesktop` policy. When a host
//! file says nothing about local rules (a Registry.pol, a `.reg` export of policy keys),
//! Windows' built-in Remote Desktop rules are assumed present and enabled, as Windows leaves
//! them when Remote Desktop is turned on.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::compare::{FindingSeverity, Outcome};
use super::snapshot::{FirewallInfo, HostState};
use crate::catalog::{self, Setting, keys};
use crate::firewall_address::FirewallAddress;
use crate::formats::firewall_rule::RuleString;
use crate::formats::{Hive, RegistryValue};
use crate::model::FirewallProfile;

const PROFILES: &Setting = catalog::field("firewall.profiles");
const ALLOW_FROM: &Setting = catalog::field("firewall.allowFrom");
use crate::model::{FirewallScope, Protocol};

/// One finding of the evaluation; `compare` turns it into a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: String,
    /// `firewall.allowFrom` or `firewall.profiles`.
    pub setting: &'static Setting,
    pub location: String,
    pub desired: String,
    pub actual: String,
    pub outcome: Outcome,
    pub severity: FindingSeverity,
    /// The 0x904/0x7 cause, when the finding is one (RDP not admitted where the policy wants).
    pub cause: Option<&'static str>,
    pub message: String,
}

// ---------------------------------------------------------------------------------------
// Address sets

trait Bound: Copy + Ord {
    const MIN: Self;
    const MAX: Self;
    fn inc(self) -> Option<Self>;
    fn dec(self) -> Option<Self>;
}

impl Bound for u32 {
    const MIN: Self = 0;
    const MAX: Self = u32::MAX;
    fn inc(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn dec(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

impl Bound for u128 {
    const MIN: Self = 0;
    const MAX: Self = u128::MAX;
    fn inc(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn dec(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

fn normalise<T: Bound>(mut spans: Vec<(T, T)>) -> Vec<(T, T)> {
    spans.retain(|(a, b)| a <= b);
    spans.sort();
    let mut out: Vec<(T, T)> = Vec::new();
    for (a, b) in spans {
        if let Some(last) = out.last_mut()
            && (a <= last.1 || last.1.inc() == Some(a))
        {
            if b > last.1 {
                last.1 = b;
            }
            continue;
        }
        out.push((a, b));
    }
    out
}

fn subtract<T: Bound>(from: &[(T, T)], take: &[(T, T)]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    for &(a, b) in from {
        let mut pieces = vec![(a, b)];
        for &(c, d) in take {
            let mut next = Vec::new();
            for (x, y) in pieces {
                if d < x || c > y {
                    next.push((x, y));
                    continue;
                }
                if c > x
                    && let Some(end) = c.dec()
                {
                    next.push((x, end));
                }
                if d < y
                    && let Some(start) = d.inc()
                {
                    next.push((start, y));
                }
            }
            pieces = next;
        }
        out.extend(pieces);
    }
    normalise(out)
}

fn full<T: Bound>(spans: &[(T, T)]) -> bool {
    spans.first() == Some(&(T::MIN, T::MAX))
}

/// A set of remote addresses: IPv4 and IPv6 intervals, and keywords whose extent only the
/// host knows (`LocalSubnet`, `DefaultGateway`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
    /// Canonical spellings (`LocalSubnet`).
    keywords: BTreeSet<String>,
}

impl AddressSet {
    #[must_use]
    pub fn any() -> Self {
        Self {
            v4: vec![(0, u32::MAX)],
            v6: vec![(0, u128::MAX)],
            keywords: BTreeSet::new(),
        }
    }

    fn is_any(&self) -> bool {
        full(&self.v4) && full(&self.v6)
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty() && self.keywords.is_empty()
    }

    fn union(&self, other: &Self) -> Self {
        let mut s = Self {
            v4: normalise(self.v4.iter().chain(&other.v4).copied().collect()),
            v6: normalise(self.v6.iter().chain(&other.v6).copied().collect()),
            keywords: self.keywords.union(&other.keywords).cloned().collect(),
        };
        if s.is_any() {
            s.keywords.clear();
        }
        s
    }

    /// `self` without `other`. A keyword survives unless `other` names it too or covers every
    /// address.
    fn minus(&self, other: &Self) -> Self {
        let keywords = if other.is_any() {
            BTreeSet::new()
        } else {
            self.keywords.difference(&other.keywords).cloned().collect()
        };
        Self {
            v4: subtract(&self.v4, &other.v4),
            v6: subtract(&self.v6, &other.v6),
            keywords,
        }
    }

    /// Whether every address of `other`'s intervals is in `self` (keywords aside).
    fn covers_intervals(&self, other: &Self) -> bool {
        subtract(&other.v4, &self.v4).is_empty() && subtract(&other.v6, &self.v6).is_empty()
    }

    fn intervals_only(&self) -> Self {
        Self {
            keywords: BTreeSet::new(),
            ..self.clone()
        }
    }

    fn add_address(&mut self, a: FirewallAddress) {
        match a {
            FirewallAddress::Any => *self = Self::any(),
            FirewallAddress::LocalSubnet => {
                self.keywords.insert("LocalSubnet".into());
            }
            FirewallAddress::V4 { network, prefix } => {
                let start = u32::from(network);
                let host = if prefix >= 32 { 0 } else { u32::MAX >> prefix };
                self.v4.push((start, start | host));
            }
            FirewallAddress::V6 { network, prefix } => {
                let start = u128::from(network);
                let host = if prefix >= 128 {
                    0
                } else {
                    u128::MAX >> prefix
                };
                self.v6.push((start, start | host));
            }
            FirewallAddress::V4Range { first, last } => {
                self.v4.push((u32::from(first), u32::from(last)));
            }
            FirewallAddress::V6Range { first, last } => {
                self.v6.push((u128::from(first), u128::from(last)));
            }
        }
    }

    /// From the model's list; empty means any address.
    #[must_use]
    pub fn of_model(addresses: &[FirewallAddress]) -> Self {
        if addresses.is_empty() {
            return Self::any();
        }
        let mut s = Self::default();
        for a in addresses {
            s.add_address(*a);
        }
        s.v4 = normalise(std::mem::take(&mut s.v4));
        s.v6 = normalise(std::mem::take(&mut s.v6));
        if s.is_any() {
            s.keywords.clear();
        }
        s
    }

    /// From the tokens Windows writes (`RA4=`/`RA6=` values, `RemoteAddress` of NetSecurity,
    /// the legacy policy's comma list): `*`/`Any`, keywords, addresses, subnets in prefix or
    /// mask form, and `a-b` ranges. An empty list means any address.
    #[must_use]
    pub fn of_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        let mut s = Self::default();
        let mut seen = false;
        for item in tokens {
            for token in item.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                seen = true;
                s.add_token(token);
            }
        }
        if !seen {
            return Self::any();
        }
        s.v4 = normalise(std::mem::take(&mut s.v4));
        s.v6 = normalise(std::mem::take(&mut s.v6));
        if s.is_any() {
            s.keywords.clear();
        }
        s
    }

    fn add_token(&mut self, token: &str) {
        let lower = token.to_ascii_lowercase();
        match lower.as_str() {
            "*" | "any" => {
                *self = self.union(&Self::any());
                return;
            }
            "localsubnet" | "localsubnet4" | "localsubnet6" | "local-subnet" => {
                self.keywords.insert("LocalSubnet".into());
                return;
            }
            _ => {}
        }
        if let Some((a, b)) = token.split_once('-') {
            match (a.trim().parse::<Ipv4Addr>(), b.trim().parse::<Ipv4Addr>()) {
                (Ok(a), Ok(b)) => {
                    self.v4.push((u32::from(a), u32::from(b)));
                    return;
                }
                _ => {
                    if let (Ok(a), Ok(b)) =
                        (a.trim().parse::<Ipv6Addr>(), b.trim().parse::<Ipv6Addr>())
                    {
                        self.v6.push((u128::from(a), u128::from(b)));
                        return;
                    }
                }
            }
        }
        match FirewallAddress::parse(token) {
            Ok(p) if p.address != FirewallAddress::LocalSubnet => self.add_address(p.address),
            // DefaultGateway, DHCP, DNS, WINS, Internet, Intranet, ...: only the host knows.
            _ => {
                self.keywords.insert(token.to_string());
            }
        }
    }
}

fn v4_text(a: u32, b: u32) -> String {
    if a == b {
        return Ipv4Addr::from(a).to_string();
    }
    let size = u64::from(b) - u64::from(a) + 1;
    if size.is_power_of_two() && u64::from(a) % size == 0 {
        let prefix = 32 - size.trailing_zeros();
        return format!("{}/{prefix}", Ipv4Addr::from(a));
    }
    format!("{}-{}", Ipv4Addr::from(a), Ipv4Addr::from(b))
}

fn v6_text(a: u128, b: u128) -> String {
    if a == b {
        return Ipv6Addr::from(a).to_string();
    }
    let host = b - a;
    if host.wrapping_add(1) & host == 0 && a & host == 0 {
        let prefix = 128 - (host.count_ones());
        return format!("{}/{prefix}", Ipv6Addr::from(a));
    }
    format!("{}-{}", Ipv6Addr::from(a), Ipv6Addr::from(b))
}

impl std::fmt::Display for AddressSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_any() {
            return f.write_str("any");
        }
        let mut parts: Vec<String> = self.keywords.iter().cloned().collect();
        if full(&self.v4) {
            parts.push("any IPv4".into());
        } else {
            parts.extend(self.v4.iter().map(|&(a, b)| v4_text(a, b)));
        }
        if full(&self.v6) {
            parts.push("any IPv6".into());
        } else {
            parts.extend(self.v6.iter().map(|&(a, b)| v6_text(a, b)));
        }
        if parts.is_empty() {
            return f.write_str("none");
        }
        f.write_str(&parts.join(","))
    }
}

// ---------------------------------------------------------------------------------------
// Rules and profiles of the host

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Store {
    /// Delivered by Group Policy: always in effect.
    GroupPolicy,
    /// The host's own rules: dropped where `AllowLocalPolicyMerge` is 0.
    Local,
}

impl Store {
    fn as_str(self) -> &'static str {
        match self {
            Self::GroupPolicy => "Group Policy store",
            Self::Local => "local store",
        }
    }
}

/// An inbound rule as Windows matches it against RDP traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    pub name: String,
    /// The display name, when it says something the name does not (not an `@dll,-id`
    /// resource string, not the name again).
    pub display_name: Option<String>,
    pub store: Store,
    pub enabled: bool,
    pub inbound: bool,
    pub block: bool,
    /// `None`: every protocol.
    pub protocol: Option<u16>,
    /// `None`: every port; otherwise inclusive ranges (keywords such as `RPC` match nothing).
    pub ports: Option<Vec<(u16, u16)>>,
    pub remote: AddressSet,
    /// Domain, Private, Public.
    pub profiles: [bool; 3],
    /// Whether the program/service conditions admit Remote Desktop (svchost.exe, TermService).
    pub matches_rdp_program: bool,
    /// Where the rule was found, for messages.
    pub origin: String,
}

fn profile_index(p: FirewallProfile) -> usize {
    match p {
        FirewallProfile::Domain => 0,
        FirewallProfile::Private => 1,
        FirewallProfile::Public => 2,
    }
}

fn profiles_of<'a>(names: impl IntoIterator<Item = &'a str>) -> [bool; 3] {
    let mut out = [false; 3];
    let mut seen = false;
    for part in names.into_iter().flat_map(|n| n.split(',')) {
        let t = part.trim().to_ascii_lowercase();
        if t.is_empty() {
            continue;
        }
        seen = true;
        match t.as_str() {
            "domain" => out[0] = true,
            "private" | "standard" => out[1] = true,
            "public" => out[2] = true,
            "any" | "all" => out = [true; 3],
            _ => {}
        }
    }
    if seen { out } else { [true; 3] }
}

fn protocol_of(text: &str) -> Option<u16> {
    match text.trim().to_ascii_uppercase().as_str() {
        "TCP" => Some(6),
        "UDP" => Some(17),
        "" | "ANY" | "256" => None,
        other => Some(other.parse().unwrap_or(u16::MAX)),
    }
}

fn ports_of<'a>(items: impl IntoIterator<Item = &'a str>) -> Option<Vec<(u16, u16)>> {
    let mut out = Vec::new();
    let mut seen = false;
    for token in items
        .into_iter()
        .flat_map(|i| i.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        seen = true;
        if token.eq_ignore_ascii_case("any") || token == "*" {
            return None;
        }
        let (a, b) = token.split_once('-').unwrap_or((token, token));
        if let (Ok(a), Ok(b)) = (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            out.push((a, b));
        }
    }
    if seen { Some(out) } else { None }
}

/// Whether program and service conditions let the rule match Remote Desktop's traffic
/// (TermService in svchost.exe).
fn matches_rdp_program(program: Option<&str>, service: Option<&str>) -> bool {
    let any = |v: Option<&str>| {
        v.is_none_or(|s| {
            let t = s.trim();
            t.is_empty() || t == "*" || t.eq_ignore_ascii_case("any")
        })
    };
    let program_ok = any(program)
        || program.is_some_and(|p| p.trim().to_ascii_lowercase().ends_with("\\svchost.exe"));
    let service_ok =
        any(service) || service.is_some_and(|s| s.trim().eq_ignore_ascii_case("termservice"));
    program_ok && service_ok
}

fn display(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && !t.starts_with('@')).then(|| t.to_string())
}

impl HostRule {
    /// A rule string of a `FirewallRules` key.
    #[must_use]
    pub fn of_rule_string(name: &str, store: Store, r: &RuleString, origin: String) -> Self {
        // Registry value names reach the audit lower-cased; a `Name=` equal to the value name
        // gives back its spelling (rdpgen's rules have Name = id).
        let (name, display_name) = match r.name.as_deref() {
            Some(d) if d.eq_ignore_ascii_case(name) => (d.to_string(), None),
            Some(d) => (name.to_string(), display(d)),
            None => (name.to_string(), None),
        };
        Self {
            name,
            display_name,
            store,
            enabled: r.active.unwrap_or(true),
            inbound: r
                .dir
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case("In")),
            block: r
                .action
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("Block")),
            protocol: r.protocol.map(u16::from),
            ports: ports_of(r.local_ports.iter().map(String::as_str)),
            remote: AddressSet::of_tokens(
                r.remote_v4.iter().chain(&r.remote_v6).map(String::as_str),
            ),
            profiles: profiles_of(r.profiles.iter().map(String::as_str)),
            matches_rdp_program: matches_rdp_program(r.app.as_deref(), r.svc.as_deref()),
            origin,
        }
    }

    fn of_snapshot(r: &super::snapshot::FirewallRuleInfo) -> Self {
        let store = match r.policy_store.as_deref() {
            Some(s) if s.eq_ignore_ascii_case("GroupPolicy") => Store::GroupPolicy,
            _ => Store::Local,
        };
        Self {
            name: r.name.clone(),
            display_name: r
                .display_name
                .as_deref()
                .filter(|d| !d.eq_ignore_ascii_case(&r.name))
                .and_then(display),
            store,
            enabled: r.enabled,
            inbound: r.direction.eq_ignore_ascii_case("Inbound"),
            block: r.action.eq_ignore_ascii_case("Block"),
            protocol: protocol_of(&r.protocol),
            ports: ports_of(r.local_ports.iter().map(String::as_str)),
            remote: AddressSet::of_tokens(r.remote_addresses.iter().map(String::as_str)),
            profiles: profiles_of(r.profiles.iter().map(String::as_str)),
            matches_rdp_program: matches_rdp_program(r.program.as_deref(), r.service.as_deref()),
            origin: "the collector's rule list".into(),
        }
    }

    fn matches(&self, profile: usize, protocol: Protocol, port: u16) -> bool {
        self.enabled
            && self.inbound
            && self.profiles[profile]
            && self.matches_rdp_program
            && self
                .protocol
                .is_none_or(|p| p == u16::from(protocol.number()))
            && self
                .ports
                .as_ref()
                .is_none_or(|ranges| ranges.iter().any(|&(a, b)| a <= port && port <= b))
    }
}

/// The settings of one profile that decide what reaches RDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileState {
    pub enabled: bool,
    pub default_block: bool,
    pub merge_local: bool,
}

/// Everything the evaluation reads of one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFirewall {
    pub rules: Vec<HostRule>,
    /// Domain, Private, Public.
    pub profiles: [ProfileState; 3],
    /// The built-in rules were assumed, not seen.
    pub assumed_builtin: bool,
    /// The host file shows the Group Policy store's rules (the policy `FirewallRules` key, or
    /// the collector's rule list); without them nothing can be decided.
    pub policy_rules_known: bool,
    /// What the host's inputs cover, for the "not verified" reason.
    pub evidence: String,
}

/// The profile names in the order of [`keys::FW_POLICY_PROFILES`].
pub const PROFILE_NAMES: [&str; 3] = ["Domain", "Private", "Public"];

fn dword(host: &HostState, key: &str, name: &str) -> Option<u32> {
    let path = super::snapshot::RegistryPath::new(Hive::LocalMachine, key, name);
    match host.registry.get(&path) {
        Some(RegistryValue::Dword(v)) => Some(*v),
        Some(RegistryValue::Sz(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

fn string(host: &HostState, key: &str, name: &str) -> Option<String> {
    let path = super::snapshot::RegistryPath::new(Hive::LocalMachine, key, name);
    match host.registry.get(&path) {
        Some(RegistryValue::Sz(s) | RegistryValue::ExpandSz(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Windows' own Remote Desktop rules as a fresh install has them once Remote Desktop is on.
#[must_use]
pub fn builtin_rules() -> Vec<HostRule> {
    [("RemoteDesktop-UserMode-In-TCP", 6), ("RemoteDesktop-UserMode-In-UDP", 17)]
        .into_iter()
        .map(|(name, protocol)| HostRule {
            name: name.into(),
            display_name: None,
            store: Store::Local,
            enabled: true,
            inbound: true,
            block: false,
            protocol: Some(protocol),
            ports: Some(vec![(3389, 3389)]),
            remote: AddressSet::any(),
            profiles: [true; 3],
            matches_rdp_program: true,
            origin: "assumed: the host file lists no local rules, and Windows enables this one with Remote Desktop".into(),
        })
        .collect()
}

fn local_rules_known(host: &HostState) -> bool {
    // The collector's rule list covers every store; a `.reg` export of the local rules key
    // shows that store. Nothing else reads local rules.
    host.firewall.is_some()
        || host.evidence.firewall
        || host.evidence.keys.contains(&(
            super::snapshot::HiveId::LocalMachine,
            keys::FWLOCAL_RULES.to_ascii_lowercase(),
        ))
}

/// Reads the host's firewall state from every source it holds.
#[must_use]
pub fn host_firewall(host: &HostState) -> HostFirewall {
    let mut rules: Vec<HostRule> = Vec::new();
    for (key, store) in [
        (keys::FWPOL_RULES, Store::GroupPolicy),
        (keys::FWLOCAL_RULES, Store::Local),
    ] {
        let key_lower = key.to_ascii_lowercase();
        for (path, value) in host
            .registry
            .iter()
            .filter(|(p, _)| p.hive == super::snapshot::HiveId::LocalMachine && p.key == key_lower)
        {
            if let RegistryValue::Sz(text) = value
                && let Ok(r) = RuleString::parse(text)
            {
                rules.push(HostRule::of_rule_string(
                    &path.name,
                    store,
                    &r,
                    format!("HKLM\\{key}"),
                ));
            }
        }
    }
    // The legacy "Allow inbound Remote Desktop exceptions" policy: TCP 3389 for Domain
    // (DomainProfile) or Private and Public (StandardProfile).
    for (profile_key, profiles) in [
        (keys::FW_LEGACY_PROFILES[0], [true, false, false]),
        (keys::FW_LEGACY_PROFILES[1], [false, true, true]),
    ] {
        let key = keys::fw_legacy_remote_desktop(profile_key);
        if dword(host, &key, keys::FW_LEGACY_ENABLED) == Some(1) {
            let remote =
                string(host, &key, keys::FW_LEGACY_REMOTE_ADDRESSES).unwrap_or_else(|| "*".into());
            rules.push(HostRule {
                name: format!("WF_RemoteDesktop ({profile_key})"),
                display_name: None,
                store: Store::GroupPolicy,
                enabled: true,
                inbound: true,
                block: false,
                protocol: Some(6),
                ports: Some(vec![(3389, 3389)]),
                remote: AddressSet::of_tokens([remote.as_str()]),
                profiles,
                matches_rdp_program: true,
                origin: format!("HKLM\\{key} (WindowsFirewall.admx WF_RemoteDesktop)"),
            });
        }
    }
    if let Some(FirewallInfo { rules: listed, .. }) = &host.firewall {
        for r in listed {
            let rule = HostRule::of_snapshot(r);
            // The collector's view of a rule wins over its registry form.
            rules.retain(|x| !(x.store == rule.store && x.name.eq_ignore_ascii_case(&rule.name)));
            rules.push(rule);
        }
    }
    let policy_rules_known = host.firewall.is_some()
        || host
            .value(&super::snapshot::RegistryPath::new(
                Hive::LocalMachine,
                keys::FWPOL_RULES,
                "",
            ))
            .is_ok();
    // Local rules seen in the registry (a `.reg` export or snapshot of the local rules key)
    // count as knowledge of that store too.
    let assumed_builtin =
        !local_rules_known(host) && !rules.iter().any(|r| r.store == Store::Local);
    if assumed_builtin {
        rules.extend(builtin_rules());
    }
    rules.sort_by(|a, b| {
        (a.store, a.name.to_ascii_lowercase()).cmp(&(b.store, b.name.to_ascii_lowercase()))
    });
    let mut profiles = [ProfileState {
        enabled: true,
        default_block: true,
        merge_local: true,
    }; 3];
    for (i, state) in profiles.iter_mut().enumerate() {
        let seen = profile_settings(host, i);
        if let Some((v, _)) = seen.enabled {
            state.enabled = v;
        }
        if let Some((v, _)) = seen.default_block {
            state.default_block = v;
        }
        if let Some((v, _)) = seen.merge_local {
            state.merge_local = v;
        }
    }
    HostFirewall {
        rules,
        profiles,
        assumed_builtin,
        policy_rules_known,
        evidence: host.evidence.describe(),
    }
}

/// One profile's switches as the host shows them, each with where it came from: the Group
/// Policy value wins over the host's own, as Windows applies them; `None`: nothing seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeenProfile {
    pub enabled: Option<(bool, Source)>,
    pub default_block: Option<(bool, Source)>,
    pub merge_local: Option<(bool, Source)>,
}

/// Where a profile switch was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The Group Policy value (registry or the collector's GroupPolicy store).
    Policy,
    /// The host's own setting.
    Local,
}

/// What the host shows of profile `i` (Domain, Private, Public).
#[must_use]
pub fn profile_settings(host: &HostState, i: usize) -> SeenProfile {
    let mut out = SeenProfile::default();
    let state = &mut out;
    let pol = format!("{}\\{}", keys::FWPOL, keys::FW_POLICY_PROFILES[i]);
    let local = format!("{}\\{}", keys::FWLOCAL, keys::FW_LOCAL_PROFILES[i]);
    let listed = |store: &str| {
        host.firewall.iter().flat_map(|f| &f.profiles).find(|p| {
            p.profile.eq_ignore_ascii_case(PROFILE_NAMES[i]) && p.store.eq_ignore_ascii_case(store)
        })
    };
    let gp = listed("GroupPolicy");
    let persistent = listed("PersistentStore").or_else(|| listed("Local"));
    let pick =
        |policy: Option<bool>, snap_gp: Option<bool>, loc: Option<bool>, snap_loc: Option<bool>| {
            policy
                .or(snap_gp)
                .map(|v| (v, Source::Policy))
                .or(loc.or(snap_loc).map(|v| (v, Source::Local)))
        };
    let action = |s: Option<&String>| {
        s.and_then(|a| match a.to_ascii_lowercase().as_str() {
            "block" => Some(true),
            "allow" => Some(false),
            _ => None,
        })
    };
    if let Some(v) = pick(
        dword(host, &pol, keys::FW_ENABLE).map(|v| v != 0),
        gp.and_then(|p| p.enable_firewall),
        dword(host, &local, keys::FW_ENABLE).map(|v| v != 0),
        persistent.and_then(|p| p.enable_firewall),
    ) {
        state.enabled = Some(v);
    }
    if let Some(v) = pick(
        dword(host, &pol, keys::FW_DEFAULT_INBOUND).map(|v| v != 0),
        gp.and_then(|p| action(p.default_inbound_action.as_ref())),
        dword(host, &local, keys::FW_DEFAULT_INBOUND).map(|v| v != 0),
        persistent.and_then(|p| action(p.default_inbound_action.as_ref())),
    ) {
        state.default_block = Some(v);
    }
    if let Some(v) = dword(host, &pol, keys::FW_LOCAL_POLICY_MERGE)
        .map(|v| v != 0)
        .or_else(|| gp.and_then(|p| p.allow_local_policy_merge))
    {
        state.merge_local = Some((v, Source::Policy));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// Why a rule admits RDP where the scope does not.
struct Widening {
    /// Per profile, the addresses admitted outside the scope.
    profiles: Vec<(&'static str, AddressSet)>,
    protocols: BTreeSet<&'static str>,
    /// Only because of the profile (the addresses are inside `allowFrom`).
    profile_only: bool,
}

fn in_effect(rule: &HostRule, state: &ProfileState) -> bool {
    rule.store == Store::GroupPolicy || state.merge_local
}

fn scope_text(scope: &FirewallScope) -> String {
    let profiles = if scope.profiles.is_empty() {
        "every profile".to_string()
    } else {
        scope
            .profiles
            .iter()
            .map(|p| p.windows_name())
            .collect::<Vec<_>>()
            .join(",")
    };
    let protocols: Vec<&str> = scope.protocols.iter().map(|p| p.as_str()).collect();
    format!(
        "RDP ({} port {}) only from {} on {profiles}",
        protocols.join("+"),
        scope.port,
        AddressSet::of_model(&scope.allow_from)
    )
}

/// Evaluates the host's effective firewall against the policy's scope: one failing finding per
/// rule (or profile setting) that admits RDP from outside `allowFrom` or on a profile the
/// policy did not choose, one per chosen profile where RDP from `allowFrom` is not admitted
/// (a 0x904/0x7 cause, C5), and a passing finding when neither happens.
#[must_use]
pub fn evaluate(scope: &FirewallScope, fw: &HostFirewall) -> Vec<Finding> {
    let desired = scope_text(scope);
    if !fw.policy_rules_known {
        return vec![Finding {
            id: "firewall.effective".into(),
            setting: ALLOW_FROM,
            location: "effective inbound rules for the RDP port".into(),
            desired,
            actual: "not collected".into(),
            outcome: Outcome::NotVerified,
            severity: FindingSeverity::Warning,
            cause: None,
            message: format!(
                "the inputs hold neither the Group Policy firewall rules nor the collector's rule list, so what Windows Firewall admits cannot be decided (they cover {})",
                fw.evidence
            ),
        }];
    }
    let allow_from = AddressSet::of_model(&scope.allow_from);
    let chosen = |i: usize| {
        scope.profiles.is_empty() || scope.profiles.iter().any(|p| profile_index(*p) == i)
    };
    // Advisory scopes (keep) and addresses rdpgen cannot block (local-subnet) are warnings.
    let advisory = !scope.enforced;
    let mut findings = Vec::new();
    let mut widening: Vec<(usize, Widening)> = Vec::new();
    let mut unreachable: Vec<(usize, String)> = Vec::new();
    let mut evaluated = 0usize;
    for (pi, state) in fw.profiles.iter().enumerate() {
        let name = PROFILE_NAMES[pi];
        let inside = if chosen(pi) {
            allow_from.clone()
        } else {
            AddressSet::default()
        };
        if !state.enabled {
            let extra = AddressSet::any().minus(&inside);
            if !extra.is_empty() {
                findings.push(Finding {
                    id: format!("firewall.effective:profile:{name}"),
                    setting: if chosen(pi) { ALLOW_FROM } else { PROFILES },
                    location: format!("{name} profile (EnableFirewall)"),
                    desired: desired.clone(),
                    actual: format!("firewall off on {name}: RDP from any address"),
                    outcome: Outcome::Fail,
                    severity: if advisory {
                        FindingSeverity::Warning
                    } else {
                        FindingSeverity::Error
                    },
                    cause: None,
                    message: format!(
                        "the firewall is off on the {name} profile, so RDP is admitted from any address there ({extra} outside the policy's scope); no rule can restrict it"
                    ),
                });
            }
            continue;
        }
        for &protocol in &scope.protocols {
            let matching: Vec<(usize, &HostRule)> = fw
                .rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.matches(pi, protocol, scope.port) && in_effect(r, state))
                .collect();
            let blocked = matching
                .iter()
                .filter(|(_, r)| r.block)
                .fold(AddressSet::default(), |acc, (_, r)| acc.union(&r.remote));
            let mut admitted = AddressSet::default();
            for &(ri, rule) in matching.iter().filter(|(_, r)| !r.block) {
                evaluated += 1;
                admitted = admitted.union(&rule.remote);
                let extra = rule.remote.minus(&blocked).minus(&inside);
                if extra.is_empty() {
                    continue;
                }
                let profile_only =
                    !chosen(pi) && rule.remote.minus(&blocked).minus(&allow_from).is_empty();
                match widening.iter_mut().find(|(i, _)| *i == ri) {
                    Some((_, w)) => {
                        match w.profiles.iter_mut().find(|(p, _)| *p == name) {
                            Some((_, a)) => *a = a.union(&extra),
                            None => w.profiles.push((name, extra)),
                        }
                        w.protocols.insert(protocol.as_str());
                        w.profile_only &= profile_only;
                    }
                    None => widening.push((
                        ri,
                        Widening {
                            profiles: vec![(name, extra)],
                            protocols: [protocol.as_str()].into_iter().collect(),
                            profile_only,
                        },
                    )),
                }
            }
            if !state.default_block {
                let extra = AddressSet::any().minus(&blocked).minus(&inside);
                admitted = AddressSet::any();
                if !extra.is_empty()
                    && !findings
                        .iter()
                        .any(|f: &Finding| f.id == format!("firewall.effective:default:{name}"))
                {
                    findings.push(Finding {
                        id: format!("firewall.effective:default:{name}"),
                        setting: if chosen(pi) { ALLOW_FROM } else { PROFILES },
                        location: format!("{name} profile (DefaultInboundAction)"),
                        desired: desired.clone(),
                        actual: format!("default inbound action Allow on {name}"),
                        outcome: Outcome::Fail,
                        severity: if advisory {
                            FindingSeverity::Warning
                        } else {
                            FindingSeverity::Error
                        },
                        cause: None,
                        message: format!(
                            "the {name} profile admits unmatched inbound traffic (DefaultInboundAction = Allow), so RDP gets in from {extra}, outside the policy's scope"
                        ),
                    });
                }
            }
            // RDP from allowFrom must get through on the chosen profiles (TCP carries every
            // connection; UDP is an optimisation the client falls back from).
            if chosen(pi) && protocol == Protocol::Tcp {
                let reachable = admitted.minus(&blocked);
                if !reachable.covers_intervals(&allow_from.intervals_only()) {
                    let missing = allow_from.intervals_only().minus(&reachable);
                    let why = if !state.merge_local
                        && fw.rules.iter().any(|r| {
                            r.store == Store::Local
                                && !r.block
                                && r.matches(pi, protocol, scope.port)
                        }) {
                        "local rules are dropped there (AllowLocalPolicyMerge = 0) and no Group Policy rule admits it"
                    } else if allow_from.intervals_only().minus(&admitted).is_empty() {
                        "a block rule drops it"
                    } else {
                        "no allow rule in effect admits it"
                    };
                    unreachable.push((pi, format!("{missing} ({why})")));
                }
            }
        }
    }
    for (ri, w) in widening {
        let Some(rule) = fw.rules.get(ri) else {
            continue;
        };
        let store = rule.store.as_str();
        let protocols: Vec<&str> = w.protocols.iter().copied().collect();
        let assumed = rule.origin.starts_with("assumed");
        // "from X on Domain; from any on Private,Public": profiles with the same addresses
        // together.
        let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
        for (profile, addresses) in &w.profiles {
            let text = addresses.to_string();
            match groups.iter_mut().find(|(t, _)| *t == text) {
                Some((_, ps)) => ps.push(profile),
                None => groups.push((text, vec![profile])),
            }
        }
        let admitted = groups
            .iter()
            .map(|(a, ps)| format!("from {a} on {}", ps.join(",")))
            .collect::<Vec<_>>()
            .join("; ");
        let shown = rule
            .display_name
            .as_deref()
            .map(|d| format!("\"{d}\", "))
            .unwrap_or_default();
        let mut message = format!(
            "rule `{}` ({shown}{store}, remote addresses {}) lets RDP in {admitted}",
            rule.name, rule.remote,
        );
        if w.profile_only {
            message.push_str(", a profile the policy does not choose");
        } else {
            message.push_str(", outside `firewall.allowFrom`");
        }
        if assumed {
            let _ = write!(message, " ({})", rule.origin);
        }
        findings.push(Finding {
            id: format!(
                "firewall.effective:{}:{}",
                match rule.store {
                    Store::GroupPolicy => "policy",
                    Store::Local => "local",
                },
                rule.name
            ),
            setting: if w.profile_only { PROFILES } else { ALLOW_FROM },
            location: if assumed {
                format!("{store} rule {} (assumed)", rule.name)
            } else {
                format!("{store} rule {} ({})", rule.name, rule.origin)
            },
            desired: desired.clone(),
            actual: format!("{} port {} {admitted}", protocols.join("+"), scope.port),
            outcome: Outcome::Fail,
            severity: if advisory || (scope.unenforceable_addresses && !w.profile_only) {
                FindingSeverity::Warning
            } else {
                FindingSeverity::Error
            },
            cause: None,
            message,
        });
    }
    for (pi, missing) in unreachable {
        let name = PROFILE_NAMES[pi];
        findings.push(Finding {
            id: format!("firewall.effective:reachable:{name}"),
            setting: PROFILES,
            location: format!("{name} profile"),
            desired: desired.clone(),
            actual: format!("RDP from {missing} dropped"),
            outcome: Outcome::Fail,
            severity: FindingSeverity::Error,
            cause: Some("C5"),
            message: format!(
                "RDP from `firewall.allowFrom` does not get through on the {name} profile: {missing}"
            ),
        });
    }
    if findings.is_empty() {
        let neutralised = fw
            .rules
            .iter()
            .filter(|r| r.enabled && r.inbound && !r.block && r.matches_rdp_program)
            .count();
        findings.push(Finding {
            id: "firewall.effective".into(),
            setting: ALLOW_FROM,
            location: "effective inbound rules for the RDP port".into(),
            desired: desired.clone(),
            actual: desired.clone(),
            outcome: Outcome::Pass,
            severity: FindingSeverity::Error,
            cause: None,
            message: format!(
                "Windows Firewall admits {desired}: {evaluated} allow rule matches evaluated, {neutralised} enabled allow rules on the host, none widens the scope{}",
                if fw.assumed_builtin {
                    " (Windows' built-in Remote Desktop rules assumed enabled)"
                } else {
                    ""
                }
            ),
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(tokens: &[&str]) -> AddressSet {
        AddressSet::of_tokens(tokens.iter().copied())
    }

    #[test]
    fn address_sets_subtract_as_intervals_and_keep_unknown_keywords() {
        let any = AddressSet::any();
        let scope = set(&["10.0.0.0/255.0.0.0"]);
        assert_eq!(
            any.minus(&scope).to_string(),
            "0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255,any IPv6"
        );
        assert!(set(&["10.1.0.0/16"]).minus(&scope).is_empty());
        assert_eq!(
            set(&["LocalSubnet"]).minus(&scope).to_string(),
            "LocalSubnet"
        );
        assert!(set(&["LocalSubnet"]).minus(&any).is_empty());
        assert_eq!(set(&["10.0.0.1-10.0.0.9", "*"]), any);
        assert_eq!(set(&[]), any);
        assert_eq!(set(&["fe80::/64"]).to_string(), "fe80::/64");
        assert_eq!(
            set(&["203.0.113.10/255.255.255.255"]).to_string(),
            "203.0.113.10"
        );
    }

    fn scope() -> FirewallScope {
        FirewallScope {
            profiles: vec![FirewallProfile::Domain],
            allow_from: vec![FirewallAddress::parse("10.0.0.0/8").unwrap().address],
            port: 3389,
            protocols: vec![Protocol::Tcp],
            enforced: true,
            unenforceable_addresses: false,
        }
    }

    fn host(values: &[(&str, &str, &str)]) -> HostState {
        let mut h = HostState::default();
        h.evidence.all_registry = true;
        for (key, name, text) in values {
            h.registry.insert(
                super::super::snapshot::RegistryPath::new(Hive::LocalMachine, key, name),
                RegistryValue::Sz((*text).to_string()),
            );
        }
        h
    }

    const ALLOW: &str = "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|LPort=3389|RA4=10.0.0.0/255.0.0.0|";

    #[test]
    fn local_rules_in_the_registry_replace_the_assumed_built_ins() {
        // No rule list and no local rules: Windows' built-ins are assumed, and they widen.
        let fw = host_firewall(&host(&[(keys::FWPOL_RULES, "allow", ALLOW)]));
        assert!(fw.assumed_builtin);
        let ids: Vec<String> = evaluate(&scope(), &fw).into_iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            ["firewall.effective:local:RemoteDesktop-UserMode-In-TCP",]
        );
        // The local store's own values say the built-in TCP rule is disabled: no finding.
        let fw = host_firewall(&host(&[
            (keys::FWPOL_RULES, "allow", ALLOW),
            (
                keys::FWLOCAL_RULES,
                "RemoteDesktop-UserMode-In-TCP",
                "v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=3389|App=%SystemRoot%\\system32\\svchost.exe|Svc=termservice|",
            ),
        ]));
        assert!(!fw.assumed_builtin);
        let findings = evaluate(&scope(), &fw);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].outcome, Outcome::Pass);
        // A GPO rule from elsewhere that opens the port to the world is named, in its store.
        let fw = host_firewall(&host(&[
            (keys::FWPOL_RULES, "allow", ALLOW),
            (
                keys::FWPOL_RULES,
                "OpenRDP",
                "v2.10|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|Name=Open RDP|",
            ),
            (
                keys::FWLOCAL_RULES,
                "x",
                "v2.10|Action=Allow|Active=FALSE|Dir=In|",
            ),
        ]));
        let f = evaluate(&scope(), &fw);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].id, "firewall.effective:policy:openrdp");
        assert_eq!(f[0].outcome, Outcome::Fail);
        assert_eq!(
            f[0].message,
            "rule `openrdp` (\"Open RDP\", Group Policy store, remote addresses any) lets RDP in from 0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255,any IPv6 on Domain; from any on Private,Public, outside `firewall.allowFrom`"
        );
    }

    #[test]
    fn program_conditions() {
        assert!(matches_rdp_program(None, None));
        assert!(matches_rdp_program(
            Some(r"%SystemRoot%\system32\svchost.exe"),
            Some("termservice")
        ));
        assert!(matches_rdp_program(Some("Any"), Some("Any")));
        assert!(!matches_rdp_program(Some(r"C:\app\app.exe"), None));
        assert!(!matches_rdp_program(None, Some("Dnscache")));
    }

    #[test]
    fn ports_and_profiles() {
        assert_eq!(ports_of(["3389"]), Some(vec![(3389, 3389)]));
        assert_eq!(ports_of(["3380-3390", "RPC"]), Some(vec![(3380, 3390)]));
        assert_eq!(ports_of(["Any"]), None);
        assert_eq!(ports_of([]), None);
        assert_eq!(profiles_of(["Domain, Private"]), [true, true, false]);
        assert_eq!(profiles_of(["Any"]), [true; 3]);
        assert_eq!(profiles_of([]), [true; 3]);
    }
}

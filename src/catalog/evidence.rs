//! What the audit reads of a host: every registry location the collector script, the osquery
//! pack and the live reader query, derived from the settings catalog plus the few values the
//! audit reads outside it (listener flags, the firewall's own settings). One list, so every
//! collector reads exactly what `diff` compares.

use super::{SETTINGS, keys};

/// Values read by the audit outside the catalog's settings: the listener and logon flags of
/// the 0x904/0x7 cause C6.
pub const LISTENER_FLAGS: &[(&str, &str)] = &[
    (keys::RDP_TCP, keys::LISTENER_ENABLED),
    (keys::TERMINAL_SERVER, keys::LOGONS_DISABLED),
    (keys::TERMINAL_SERVER, keys::DRAIN_MODE),
];

/// The firewall's own settings the effective-firewall evaluation reads
/// (`crate::audit::firewall`): per profile, policy and local, and the legacy `WF_RemoteDesktop`
/// policy.
fn firewall_settings() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for profile in keys::FW_POLICY_PROFILES {
        for name in [
            keys::FW_ENABLE,
            keys::FW_DEFAULT_INBOUND,
            keys::FW_LOCAL_POLICY_MERGE,
        ] {
            out.push((format!("{}\\{profile}", keys::FWPOL), name.to_string()));
        }
    }
    for profile in keys::FW_LEGACY_PROFILES {
        for name in [keys::FW_LEGACY_ENABLED, keys::FW_LEGACY_REMOTE_ADDRESSES] {
            out.push((keys::fw_legacy_remote_desktop(profile), name.to_string()));
        }
    }
    for profile in keys::FW_LOCAL_PROFILES {
        for name in [keys::FW_ENABLE, keys::FW_DEFAULT_INBOUND] {
            out.push((format!("{}\\{profile}", keys::FWLOCAL), name.to_string()));
        }
    }
    out
}

/// A key below HKLM and the value names the audit reads there; `None` reads every value
/// (the Group Policy firewall rules key, whose value names are rule ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub key: String,
    pub names: Option<Vec<String>>,
}

/// Every registry location the audit reads, sorted by key, names sorted and unique.
#[must_use]
pub fn registry_locations() -> Vec<Location> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for s in SETTINGS {
        if let Some(p) = s.policy {
            pairs.push((p.key.to_string(), p.value_name.to_string()));
        }
        for l in s.local {
            if l.key != keys::SCHANNEL_PROTOCOLS {
                pairs.push((l.key.to_string(), l.value_name.to_string()));
            }
        }
    }
    for key in keys::tls_server_keys() {
        pairs.push((key.clone(), keys::SCHANNEL_ENABLED.into()));
        pairs.push((key, keys::SCHANNEL_DISABLED_BY_DEFAULT.into()));
    }
    for (key, name) in LISTENER_FLAGS {
        pairs.push(((*key).to_string(), (*name).to_string()));
    }
    pairs.extend(firewall_settings());
    // Keys read whole: the firewall rules (the catalog names no value there) and the keys of
    // ADMX list elements (their value names are the entries).
    let mut whole: Vec<String> = vec![keys::FWPOL_RULES.to_string()];
    admx_values(&mut pairs, &mut whole);
    whole.sort_by_key(|k| k.to_ascii_lowercase());
    whole.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    pairs.retain(|(k, _)| !whole.iter().any(|w| w.eq_ignore_ascii_case(k)));
    pairs.sort_by_key(|(k, n)| (k.to_ascii_lowercase(), n.to_ascii_lowercase()));
    pairs.dedup_by(|a, b| a.0.eq_ignore_ascii_case(&b.0) && a.1.eq_ignore_ascii_case(&b.1));
    let mut out: Vec<Location> = Vec::new();
    for (key, name) in pairs {
        match out.last_mut() {
            Some(last) if last.key.eq_ignore_ascii_case(&key) => {
                if let Some(names) = &mut last.names {
                    names.push(name);
                }
            }
            _ => out.push(Location {
                key,
                names: Some(vec![name]),
            }),
        }
    }
    out.extend(whole.into_iter().map(|key| Location { key, names: None }));
    out.sort_by_key(|l| l.key.to_ascii_lowercase());
    out
}

/// Every value the Machine policies of [`super::admx`] can write (the `admx:` section): the
/// policy's value, its lists, each element's value; list elements' keys go to `whole`.
fn admx_values(pairs: &mut Vec<(String, String)>, whole: &mut Vec<String>) {
    use super::admx::{ElementKind, ListItem, PolicyClass};
    let key = |k: &str| k.to_string();
    let items = |pairs: &mut Vec<(String, String)>, list: &[ListItem]| {
        for i in list {
            pairs.push((key(i.key), i.value_name.to_string()));
        }
    };
    for p in super::admx::all().filter(|p| p.class != PolicyClass::User) {
        if let Some(v) = p.value_name {
            pairs.push((key(p.key), v.to_string()));
        }
        items(pairs, p.enabled_list);
        items(pairs, p.disabled_list);
        for e in p.elements {
            match &e.kind {
                ElementKind::List { .. } => whole.push(key(e.key)),
                ElementKind::Boolean {
                    on_list, off_list, ..
                } => {
                    pairs.push((key(e.key), e.value_name.to_string()));
                    items(pairs, on_list);
                    items(pairs, off_list);
                }
                ElementKind::Enum { items: choices, .. } => {
                    pairs.push((key(e.key), e.value_name.to_string()));
                    for c in *choices {
                        items(pairs, c.value_list);
                    }
                }
                _ => pairs.push((key(e.key), e.value_name.to_string())),
            }
        }
    }
}

/// Every key below HKLM the audit reads, sorted.
#[must_use]
pub fn registry_keys() -> Vec<String> {
    registry_locations().into_iter().map(|l| l.key).collect()
}

/// The vocabulary shared by the osquery pack (written by `emit`) and the reading of its
/// results (in `audit`).
pub mod osquery {
    /// The pack's query names; results are named `pack_<policy>_<query>`.
    pub const REGISTRY: &str = "registry";
    pub const CERTIFICATES: &str = "certificates";
    pub const FIREWALL_RULES: &str = "firewall_rules";
    pub const LISTENING_PORTS: &str = "listening_ports";
    pub const QUERY_NAMES: [&str; 4] = [REGISTRY, CERTIFICATES, FIREWALL_RULES, LISTENING_PORTS];
    /// The listener pack (`listening_ports`) is loaded as `<policy>-listener`: the main pack reads
    /// only the registry, certificates and firewall tables.
    pub const LISTENER_PACK_SUFFIX: &str = "-listener";
}

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
    // The firewall rules key is read whole (below); the catalog names no value there.
    pairs.retain(|(k, _)| !k.eq_ignore_ascii_case(keys::FWPOL_RULES));
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
    out.push(Location {
        key: keys::FWPOL_RULES.to_string(),
        names: None,
    });
    out.sort_by_key(|l| l.key.to_ascii_lowercase());
    out
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

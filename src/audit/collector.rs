//! The collector script: the template plus the registry values the catalog knows, so the
//! collector reads exactly what `diff` compares and nothing else (the RDP-Tcp key can hold
//! secrets such as `Password`; only named values are read).

use serde_json::json;

use crate::catalog::{SETTINGS, keys};

const TEMPLATE: &str = include_str!("../../templates/collector/collector.ps1.hbs");

/// Values read by the audit outside the catalog's settings: the listener and logon flags of
/// the 0x904/0x7 cause C6.
pub const LISTENER_FLAGS: &[(&str, &str)] = &[
    (keys::RDP_TCP, keys::LISTENER_ENABLED),
    (keys::TERMINAL_SERVER, keys::LOGONS_DISABLED),
    (keys::TERMINAL_SERVER, keys::DRAIN_MODE),
];

/// The firewall's own settings the effective-firewall evaluation reads
/// (`super::firewall`): per profile, policy and local, and the legacy `WF_RemoteDesktop`
/// policy.
fn firewall_settings() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for profile in ["DomainProfile", "PrivateProfile", "PublicProfile"] {
        for name in [
            "EnableFirewall",
            "DefaultInboundAction",
            "AllowLocalPolicyMerge",
        ] {
            out.push((format!("{}\\{profile}", keys::FWPOL), name.to_string()));
        }
    }
    for profile in ["DomainProfile", "StandardProfile"] {
        for name in ["Enabled", "RemoteAddresses"] {
            out.push((
                format!("{}\\{profile}\\Services\\RemoteDesktop", keys::FWPOL),
                name.to_string(),
            ));
        }
    }
    for profile in ["DomainProfile", "StandardProfile", "PublicProfile"] {
        for name in ["EnableFirewall", "DefaultInboundAction"] {
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

/// The collector script.
///
/// # Errors
/// A template error (a bug).
pub fn render() -> Result<String, handlebars::RenderError> {
    let locations: Vec<_> = registry_locations()
        .into_iter()
        .map(|l| json!({"key": l.key, "names": l.names}))
        .collect();
    let mut hb = handlebars::Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let data = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "snapshot_version": super::snapshot::SNAPSHOT_VERSION,
        "locations": locations,
        // Whole, so the template never writes `\{{` (which Handlebars reads as an escape).
        "rdp_tcp_key": format!("HKLM\\{}", keys::RDP_TCP),
    });
    hb.render_template(TEMPLATE, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(s: &str) -> bool {
        !s.contains(['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'])
            && !s.chars().any(char::is_control)
    }

    #[test]
    fn locations_are_safe_single_quoted_literals() {
        for l in registry_locations() {
            assert!(safe(&l.key), "{}", l.key);
            for n in l.names.iter().flatten() {
                assert!(safe(n), "{n}");
            }
        }
    }

    #[test]
    fn the_script_has_no_unrendered_token_and_names_the_listener_key() {
        let script = render().unwrap();
        assert!(!script.contains("{{") && !script.contains("}}"), "{script}");
        assert!(script.contains(&format!("'HKLM\\{}'", keys::RDP_TCP)));
        // Only named values of the listener key are read: never `Password`.
        assert!(!script.contains("'Password'"));
        let rdp = registry_locations()
            .into_iter()
            .find(|l| l.key == keys::RDP_TCP)
            .unwrap();
        let names = rdp.names.unwrap();
        assert!(names.iter().any(|n| n == "PortNumber"));
        assert!(names.iter().any(|n| n == "fEnableWinStation"));
        assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("Password")));
        let all = registry_locations();
        let fw: Vec<_> = all
            .iter()
            .filter(|l| l.key.eq_ignore_ascii_case(keys::FWPOL_RULES))
            .collect();
        assert_eq!(fw.len(), 1);
        assert_eq!(fw[0].names, None);
    }
}

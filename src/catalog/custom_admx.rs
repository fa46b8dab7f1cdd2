//! rdpgen's own administrative template (`admx/rdpgen.admx`, `admx/en-US/rdpgen.adml`): the
//! settings rdpgen manages that no Microsoft ADMX covers, as data. The ADMX back end renders
//! these rows; the GPO back end writes the same keys, value names, types and data into the
//! GPO's `registry.pol`, so Group Policy Management shows them as policies of this template.
//!
//! Layout (in the manner of Microsoft's security-guide template, `SecGuide.admx`): one target
//! namespace `rdpgen.Policies.RDP` (prefix `rdpgen`), its own `supportedOn` definitions (no
//! `<using>`, so the file loads even where `Windows.admx` is missing), a root category
//! `rdpgen` with one sub-category per area, and:
//!
//! - the listener port: one policy whose only content is a `decimal` element (1..65535,
//!   REG_DWORD) on `RDP-Tcp\PortNumber`, in the shape of Microsoft's `TS_MAXDISPLAYRES`: no
//!   policy-level `valueName` and no `enabledValue`/`disabledValue`, so the editor and
//!   gpreport show Enabled with the port for every port, 3389 included. (A policy-level
//!   `valueName` equal to the element's, with a `disabledValue` of 3389, made `port: 3389`
//!   read back as Disabled; no Microsoft policy has that shape, and a test compares every
//!   policy here with the shapes of Microsoft's.) Disabled, as for every elements-only
//!   policy, deletes the value; the explain text says to enable it with 3389 instead;
//! - SCHANNEL server protocols: one policy per TLS version, without elements: Enabled writes
//!   the `enabledList` (`Enabled`=1, `DisabledByDefault`=0) and Disabled the `disabledList`
//!   (`Enabled`=0, `DisabledByDefault`=1) under `...\Protocols\TLS x.y\Server`. `tls.minVersion`
//!   is lowered to exactly these states (every version at or above the minimum Enabled, every
//!   version below Disabled), so the template adds no value of its own.
//!
//! - `Lsa\DisableRestrictedAdmin` (`credentials.restrictedAdmin`): one policy without
//!   elements, Enabled writes 0 (Restricted Admin and Remote Credential Guard accepted),
//!   Disabled writes 1.
//!
//! The listener certificate (`SSLCertificateSHA1Hash`, REG_BINARY) has no row: ADMX cannot
//! describe binary data, so the GPO carries it as a Group Policy Preferences registry item.
//! Explain texts are a short paragraph on the registry effect followed by the setting's
//! `explanation` from [`super::SETTINGS`].

use super::{Data, keys, setting};
use crate::formats::RegistryValue;
use crate::model::TlsVersion;

/// Base name of the template files.
pub const FILE_STEM: &str = "rdpgen";
/// Target namespace (must be unique among the ADMX files in a store).
pub const NAMESPACE: &str = "rdpgen.Policies.RDP";
/// Target prefix.
pub const PREFIX: &str = "rdpgen";
/// `revision` of the ADMX and ADML, and the ADMX's `minRequiredRevision`.
pub const REVISION: &str = "1.0";
/// ADML `displayName` and `description`.
pub const DISPLAY_NAME: &str = "rdpgen Remote Desktop settings";
pub const DESCRIPTION: &str = "Remote Desktop listener and SCHANNEL settings that rdpgen manages and no Microsoft administrative template covers.";

/// A category of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub name: &'static str,
    pub display_name: &'static str,
    /// Parent category in this file; `None` for the root.
    pub parent: Option<&'static str>,
}

pub const ROOT_CATEGORY: &str = "rdpgen";
pub const LISTENER_CATEGORY: &str = "RDP_Listener";
pub const SCHANNEL_CATEGORY: &str = "SCHANNEL_Server_Protocols";
pub const CREDENTIALS_CATEGORY: &str = "RDP_Credentials";

pub const CATEGORIES: &[Category] = &[
    Category {
        name: ROOT_CATEGORY,
        display_name: "rdpgen Remote Desktop posture",
        parent: None,
    },
    Category {
        name: LISTENER_CATEGORY,
        display_name: "RDP listener (RDP-Tcp)",
        parent: Some(ROOT_CATEGORY),
    },
    Category {
        name: SCHANNEL_CATEGORY,
        display_name: "SCHANNEL server protocols",
        parent: Some(ROOT_CATEGORY),
    },
    Category {
        name: CREDENTIALS_CATEGORY,
        display_name: "Restricted Admin and Remote Credential Guard",
        parent: Some(ROOT_CATEGORY),
    },
];

/// A `supportedOn` definition of the template (name, display text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportedOn {
    pub name: &'static str,
    pub display_name: &'static str,
}

pub const SUPPORTED_VISTA: &str = "SUPPORTED_WindowsVista_Server2008";
pub const SUPPORTED_WIN7: &str = "SUPPORTED_Windows7_Server2008R2";
pub const SUPPORTED_WIN11: &str = "SUPPORTED_Windows11_Server2022";

pub const SUPPORTED_ON: &[SupportedOn] = &[
    SupportedOn {
        name: SUPPORTED_VISTA,
        display_name: "At least Windows Vista or Windows Server 2008",
    },
    SupportedOn {
        name: SUPPORTED_WIN7,
        display_name: "At least Windows 7 or Windows Server 2008 R2",
    },
    SupportedOn {
        name: SUPPORTED_WIN11,
        display_name: "At least Windows 11 or Windows Server 2022",
    },
];

/// How a policy of the template writes its value(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomValue {
    /// Only a `decimal` element (REG_DWORD) on `value_name`: Enabled writes the number entered,
    /// Disabled deletes the value (Group Policy's rule for elements-only policies).
    Decimal {
        value_name: &'static str,
        element_id: String,
        min: u32,
        max: u32,
        /// The Windows default, the presentation's `defaultValue`.
        default: u32,
        /// Label of the presentation's `decimalTextBox`.
        label: &'static str,
    },
    /// No elements: Enabled writes `enabled`, Disabled writes `disabled` (REG_DWORD values
    /// under the policy key, in this order).
    Switch {
        enabled: Vec<(&'static str, u32)>,
        disabled: Vec<(&'static str, u32)>,
    },
}

/// One policy of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomPolicy {
    /// Policy `name` (an ADMX `itemName`); also the ADML string id of its display name.
    pub name: String,
    /// The policy-language field it carries.
    pub field: &'static str,
    pub display_name: String,
    /// Full explain text (registry effect, then the catalog explanation).
    pub explain: String,
    pub category: &'static str,
    pub supported_on: &'static str,
    /// Key below HKEY_LOCAL_MACHINE.
    pub key: String,
    pub value: CustomValue,
}

/// The state of a custom policy that a set of registry values amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomState {
    /// Enabled; for a decimal policy, with this value.
    Enabled(Option<u32>),
    /// Disabled: for a switch, its `disabledList` (a decimal policy's Disabled state deletes
    /// its value, so no set of values reads back as Disabled).
    Disabled,
}

impl CustomPolicy {
    /// ADML string id of the explain text.
    #[must_use]
    pub fn explain_id(&self) -> String {
        format!("{}_Help", self.name)
    }

    /// Every value name the policy writes, in ADMX order.
    #[must_use]
    pub fn value_names(&self) -> Vec<&'static str> {
        match &self.value {
            CustomValue::Decimal { value_name, .. } => vec![value_name],
            CustomValue::Switch { enabled, .. } => enabled.iter().map(|(n, _)| *n).collect(),
        }
    }

    /// The state that exactly these `(value name, value)` pairs under [`CustomPolicy::key`]
    /// express, as Group Policy's editor reads them back; `None` when they match no state of
    /// the template.
    #[must_use]
    pub fn state_of(&self, values: &[(&str, &RegistryValue)]) -> Option<CustomState> {
        let dword = |name: &str| {
            values.iter().find_map(|(n, v)| match v {
                RegistryValue::Dword(d) if n.eq_ignore_ascii_case(name) => Some(*d),
                _ => None,
            })
        };
        match &self.value {
            CustomValue::Decimal {
                value_name,
                min,
                max,
                ..
            } => {
                if values.len() != 1 {
                    return None;
                }
                match dword(value_name)? {
                    d if (*min..=*max).contains(&d) => Some(CustomState::Enabled(Some(d))),
                    _ => None,
                }
            }
            CustomValue::Switch { enabled, disabled } => {
                let matches = |list: &[(&str, u32)]| {
                    values.len() == list.len()
                        && list.iter().all(|(name, data)| dword(name) == Some(*data))
                };
                if matches(enabled) {
                    Some(CustomState::Enabled(None))
                } else if matches(disabled) {
                    Some(CustomState::Disabled)
                } else {
                    None
                }
            }
        }
    }
}

/// The value a SCHANNEL switch holds when its protocol is on (`Enabled`=1,
/// `DisabledByDefault`=0) or off (the reverse), as `tls.minVersion` is lowered.
fn schannel_switch(value_name: &str, on: bool) -> u32 {
    match (value_name, on) {
        ("Enabled", true) | ("DisabledByDefault", false) => 1,
        _ => 0,
    }
}

fn explain(intro: &str, field: &str) -> String {
    match setting(field) {
        Some(s) => format!("{intro}\n\n{}", s.explanation),
        None => intro.to_string(),
    }
}

/// Every policy of the template, in file order.
#[must_use]
pub fn policies() -> Vec<CustomPolicy> {
    let mut out = Vec::new();
    if let Some(port) = setting("connection.port").and_then(|s| s.local.first()) {
        let default = match port.windows_default {
            Some(Data::Dword(d)) => d,
            _ => 3389,
        };
        let name = "RDP_ListenerPort".to_string();
        out.push(CustomPolicy {
            name: name.clone(),
            field: "connection.port",
            display_name: "Listener port of RDP-Tcp".into(),
            explain: explain(
                &format!(
                    "Sets the port the Remote Desktop listener RDP-Tcp accepts connections on: \
                     HKEY_LOCAL_MACHINE\\{}, value {} (REG_DWORD).\n\n\
                     Enabled: the listener uses the port entered below (1 to 65535); enter \
                     {default} for the Windows default.\n\
                     Disabled: deletes the value, which leaves the listener without its port. \
                     Do not use it; to return to the Windows default, enable this setting with \
                     {default}.\n\
                     Not configured: the value is left as it is. It is not under a Policies key, \
                     so it stays when this setting no longer applies.",
                    port.key, port.value_name
                ),
                "connection.port",
            ),
            category: LISTENER_CATEGORY,
            supported_on: SUPPORTED_VISTA,
            key: port.key.to_string(),
            value: CustomValue::Decimal {
                value_name: port.value_name,
                element_id: format!("{name}_Value"),
                min: 1,
                max: 65_535,
                default,
                label: "Port number:",
            },
        });
    }
    if let Some(tls) = setting("tls.minVersion") {
        let protocols = keys::SSL_PROTOCOLS
            .into_iter()
            .map(|p| (p.to_string(), None))
            .chain(
                TlsVersion::ALL
                    .into_iter()
                    .map(|v| (format!("TLS {}", v.as_str()), Some(v))),
            );
        for (protocol, version) in protocols {
            let key = keys::schannel_server(&protocol);
            let names: Vec<&'static str> = tls.local.iter().map(|l| l.value_name).collect();
            let list = |on: bool| {
                names
                    .iter()
                    .map(|n| (*n, schannel_switch(n, on)))
                    .collect::<Vec<_>>()
            };
            let describe = |list: &[(&str, u32)]| {
                list.iter()
                    .map(|(n, d)| format!("{n}={d}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (enabled, disabled) = (list(true), list(false));
            let v = &protocol;
            let rule = match version {
                None => {
                    "rdpgen disables SSL 2.0 and SSL 3.0 whenever the policy sets tls.minVersion."
                }
                Some(TlsVersion::Tls13) => {
                    "rdpgen enables every version at or above the policy's tls.minVersion \
                     and disables every version below it. It writes TLS 1.3 only when \
                     tls.minimumOs names a release with a TLS 1.3 server (Windows Server 2022 \
                     and later, Windows 11) or when 1.3 is the minimum."
                }
                Some(_) => {
                    "rdpgen enables every version at or above the policy's tls.minVersion \
                     and disables every version below it."
                }
            };
            out.push(CustomPolicy {
                name: format!(
                    "SCHANNEL_Server_{}",
                    protocol.replace(' ', "").replace('.', "_")
                ),
                field: "tls.minVersion",
                display_name: format!("{v} for SCHANNEL servers"),
                explain: explain(
                    &format!(
                        "Turns {v} on or off for every server that uses SCHANNEL, the \
                         Remote Desktop listener included: HKEY_LOCAL_MACHINE\\{key} (REG_DWORD \
                         values).\n\n\
                         Enabled: servers accept {v} ({}).\n\
                         Disabled: servers refuse {v} ({}).\n\
                         Not configured: the values are left as they are. They are not under a \
                         Policies key, so they stay when this setting no longer applies.\n\n\
                         {rule}",
                        describe(&enabled),
                        describe(&disabled)
                    ),
                    "tls.minVersion",
                ),
                category: SCHANNEL_CATEGORY,
                supported_on: match version {
                    None | Some(TlsVersion::Tls10) => SUPPORTED_VISTA,
                    Some(TlsVersion::Tls13) => SUPPORTED_WIN11,
                    _ => SUPPORTED_WIN7,
                },
                key,
                value: CustomValue::Switch { enabled, disabled },
            });
        }
    }
    if let Some(local) = setting("credentials.restrictedAdmin").and_then(|s| s.local.first()) {
        out.push(CustomPolicy {
            name: "RDP_RestrictedAdmin".to_string(),
            field: "credentials.restrictedAdmin",
            display_name: "Accept Restricted Admin and Remote Credential Guard connections".into(),
            explain: explain(
                &format!(
                    "Sets whether this host accepts Remote Desktop connections in Restricted \
                     Admin mode or with Windows Defender Remote Credential Guard: \
                     HKEY_LOCAL_MACHINE\\{}, value {} (REG_DWORD).\n\n\
                     Enabled: accepted ({}=0).\n\
                     Disabled: not accepted ({}=1).\n\
                     Not configured: the value is left as it is. It is not under a Policies key, \
                     so it stays when this setting no longer applies.",
                    local.key, local.value_name, local.value_name, local.value_name
                ),
                "credentials.restrictedAdmin",
            ),
            category: CREDENTIALS_CATEGORY,
            supported_on: SUPPORTED_WIN7,
            key: local.key.to_string(),
            value: CustomValue::Switch {
                enabled: vec![(local.value_name, 0)],
                disabled: vec![(local.value_name, 1)],
            },
        });
    }
    // `posture.lmCompatibilityLevel` in `enforce` mode (the Security Options setting "Network
    // security: LAN Manager authentication level" writes the same value).
    if let Some(local) = setting("posture.lmCompatibilityLevel").and_then(|s| s.local.first()) {
        let name = "RDP_LmCompatibilityLevel".to_string();
        out.push(CustomPolicy {
            name: name.clone(),
            field: "posture.lmCompatibilityLevel",
            display_name: "LAN Manager authentication level".into(),
            explain: explain(
                &format!(
                    "Sets the LAN Manager authentication level NLA falls back to:                      HKEY_LOCAL_MACHINE\\{}, value {} (REG_DWORD), as the Security Options                      setting \"Network security: LAN Manager authentication level\" does.\n\n\
                     Enabled: the level entered below (0 to 5; 5 sends NTLMv2 only and refuses \
                     LM and NTLM).\n\
                     Disabled: deletes the value, which Windows reads as 3.\n\
                     Not configured: the value is left as it is. It is not under a Policies key, \
                     so it stays when this setting no longer applies.",
                    local.key, local.value_name
                ),
                "posture.lmCompatibilityLevel",
            ),
            category: CREDENTIALS_CATEGORY,
            supported_on: SUPPORTED_VISTA,
            key: local.key.to_string(),
            value: CustomValue::Decimal {
                value_name: local.value_name,
                element_id: format!("{name}_Value"),
                min: 0,
                max: 5,
                default: 3,
                label: "Level (0 to 5):",
            },
        });
    }
    out
}

/// The policy of the template that writes `value_name` under `key` (both case-insensitive).
#[must_use]
pub fn policy_for(key: &str, value_name: &str) -> Option<CustomPolicy> {
    policies().into_iter().find(|p| {
        p.key.eq_ignore_ascii_case(key)
            && p.value_names()
                .iter()
                .any(|n| n.eq_ignore_ascii_case(value_name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_admx_item_names_and_unique() {
        let policies = policies();
        assert_eq!(policies.len(), 9);
        let mut ids: Vec<String> = policies.iter().map(|p| p.name.clone()).collect();
        ids.extend(policies.iter().map(CustomPolicy::explain_id));
        ids.extend(CATEGORIES.iter().map(|c| c.name.to_string()));
        ids.extend(SUPPORTED_ON.iter().map(|s| s.name.to_string()));
        for id in &ids {
            assert!(id.chars().all(|c| c.is_alphanumeric() || c == '_'), "{id}");
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn switches_match_the_lowering_rule() {
        assert_eq!(schannel_switch("Enabled", true), 1);
        assert_eq!(schannel_switch("DisabledByDefault", true), 0);
        assert_eq!(schannel_switch("Enabled", false), 0);
        assert_eq!(schannel_switch("DisabledByDefault", false), 1);
        let tls12 = policy_for(&keys::schannel_server("TLS 1.2"), "enabled").unwrap();
        let on = [
            ("Enabled", &RegistryValue::Dword(1)),
            ("DisabledByDefault", &RegistryValue::Dword(0)),
        ];
        assert_eq!(tls12.state_of(&on), Some(CustomState::Enabled(None)));
        let off = [
            ("DisabledByDefault", &RegistryValue::Dword(1)),
            ("Enabled", &RegistryValue::Dword(0)),
        ];
        assert_eq!(tls12.state_of(&off), Some(CustomState::Disabled));
        assert_eq!(tls12.state_of(&on[..1]), None);
    }

    #[test]
    fn port_reads_back_as_windows_shows_it() {
        let port = policy_for(keys::RDP_TCP, "PortNumber").unwrap();
        let state = |d| port.state_of(&[("PortNumber", &RegistryValue::Dword(d))]);
        assert_eq!(state(53_389), Some(CustomState::Enabled(Some(53_389))));
        // The Windows default is a port like any other: Enabled, with its value.
        assert_eq!(state(3389), Some(CustomState::Enabled(Some(3389))));
        assert_eq!(state(0), None);
        assert_eq!(state(70_000), None);
        assert!(port.explain.contains(keys::RDP_TCP));
        assert!(
            port.explain
                .ends_with(setting("connection.port").unwrap().explanation)
        );
    }
}

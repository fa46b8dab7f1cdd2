//! Lowering: a valid [`Policy`] becomes the [`Model`]. Every registry operation comes from a
//! catalog row (key, value name, type, the data each ADMX state writes); nothing here spells a
//! registry path. Deterministic: catalog order, sorted firewall scopes, no clock.

use serde_json::Value;

use crate::catalog::{self, Data, LocalValue, Mapping, Setting, State, keys};
use crate::firewall_address::{FirewallAddress, complement};
use crate::formats::firewall_rule::{RuleString, ra4, ra6};
use crate::formats::{Hive, RegistryValue};
use crate::model::{
    Account, CertificateRequirements, CertificateSource, FIREWALL_POLICY_VERSION, FirewallAction,
    FirewallRule, FirewallScope, GpoMetadata, HostAction, LogonRight, Model, Protocol, Provenance,
    RegistryAction, RegistryOp, Scope, UserRight,
};
use crate::policy::Policy;
use crate::policy::types::{BuiltinRules, FirewallProfile, TlsVersion, Transport};
use crate::validate::rules::normalize_thumbprint;

/// The namespace of rdpgen's deterministic GPO GUIDs (UUIDv5 of the policy name).
pub const GPO_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6f1c_7a52_9d3e_5b8a_a1f4_2c0e_9b7d_3e51);

/// Why a valid policy could not be lowered. Validation rules out every case; reaching one is a
/// bug in rdpgen, reported instead of panicking.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LowerError {
    #[error("`{field}` has a value the catalog does not map: {value}")]
    Unmapped { field: String, value: String },
    #[error("firewall rule `{id}` cannot be written: {reason}")]
    FirewallRule { id: String, reason: String },
}

/// Lowers a validated policy.
///
/// # Errors
/// Only on inconsistencies between validation and the catalog (bugs), never on user input
/// that passed validation.
pub fn lower(policy: &Policy) -> Result<Model, LowerError> {
    let json = serde_json::to_value(policy).unwrap_or(Value::Null);
    let mut registry = Vec::new();
    for setting in catalog::SETTINGS {
        let Some(value) = lookup(&json, setting.field) else {
            continue;
        };
        registry.extend(lower_setting(setting, value)?);
    }
    registry.extend(lower_tls(policy));
    let (firewall, firewall_scope) = match lower_firewall(policy) {
        Some((rules, scope)) => (rules, Some(scope)),
        None => (Vec::new(), None),
    };
    if !firewall.is_empty() {
        registry.push(policy_version_op());
    }
    for rule in &firewall {
        registry.push(firewall_op(rule)?);
    }
    let certificate = lower_certificate(policy);
    let mut host_actions = Vec::new();
    if let CertificateSource::Thumbprint(t) = &certificate.source {
        host_actions.push(HostAction::BindListenerCertificate {
            thumbprint: t.clone(),
        });
    }
    if policy
        .certificate
        .as_ref()
        .and_then(|c| c.repair_key_permissions)
        == Some(true)
    {
        host_actions.push(HostAction::RepairPrivateKeyPermissions {
            certificate: certificate.source.clone(),
        });
    }
    Ok(Model {
        name: policy.name.clone(),
        description: policy.description.clone(),
        policy_hash: policy_hash(&json),
        gpo: gpo_metadata(policy),
        registry,
        firewall,
        firewall_scope,
        certificate,
        logon_rights: lower_logon_rights(policy),
        host_actions,
        rollback_origin: crate::model::RollbackOrigin::WindowsDefaults,
        waivers: policy
            .waivers
            .iter()
            .flatten()
            .map(|w| crate::model::Waiver {
                field: w.field.clone(),
                hosts: w.hosts.clone().unwrap_or_default(),
                reason: w.reason.clone(),
                expires: w.expires.clone(),
            })
            .collect(),
    })
}

/// SHA-256 of the policy's canonical JSON (struct order, maps sorted by serde_json).
fn policy_hash(json: &Value) -> String {
    use sha2::Digest as _;
    let bytes = serde_json::to_vec(json).unwrap_or_default();
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn lookup<'a>(json: &'a Value, field: &str) -> Option<&'a Value> {
    field
        .split('.')
        .try_fold(json, |v, segment| v.get(segment))
        .filter(|v| !v.is_null())
}

fn data_value(data: Data) -> RegistryValue {
    match data {
        Data::Dword(v) => RegistryValue::Dword(v),
        Data::Sz(s) => RegistryValue::Sz(s.to_string()),
    }
}

fn lower_setting(setting: &'static Setting, value: &Value) -> Result<Vec<RegistryOp>, LowerError> {
    let unmapped = || LowerError::Unmapped {
        field: setting.field.to_string(),
        value: value.to_string(),
    };
    let Some(policy) = setting.policy else {
        return lower_local(setting, value);
    };
    let (state, data) = match setting.mapping {
        Mapping::Bool { when_true } => {
            let b = value.as_bool().ok_or_else(unmapped)?;
            let state = match (b, when_true) {
                (true, s) => s,
                (false, State::Enabled) => State::Disabled,
                (false, State::Disabled) => State::Enabled,
            };
            let data = match state {
                State::Enabled => policy.enabled,
                State::Disabled => policy.disabled,
            }
            .ok_or_else(unmapped)?;
            (state, data_value(data))
        }
        Mapping::Enum(table) => {
            let s = value.as_str().ok_or_else(unmapped)?;
            let v = table
                .iter()
                .find(|(name, _)| *name == s)
                .ok_or_else(unmapped)?
                .1;
            (State::Enabled, RegistryValue::Dword(v))
        }
        Mapping::Duration => {
            let s = value.as_str().ok_or_else(unmapped)?;
            (
                State::Enabled,
                RegistryValue::Dword(catalog::session_duration_ms(s).ok_or_else(unmapped)?),
            )
        }
        Mapping::Text => (
            State::Enabled,
            RegistryValue::Sz(value.as_str().ok_or_else(unmapped)?.to_string()),
        ),
        Mapping::CommaList => {
            let items: Vec<&str> = value
                .as_array()
                .ok_or_else(unmapped)?
                .iter()
                .map(|v| v.as_str().ok_or_else(unmapped))
                .collect::<Result<_, _>>()?;
            (State::Enabled, RegistryValue::Sz(items.join(",")))
        }
        Mapping::Special | Mapping::AuditOnly | Mapping::Metadata => return Ok(Vec::new()),
    };
    Ok(vec![RegistryOp {
        hive: Hive::LocalMachine,
        key: policy.key.to_string(),
        value_name: policy.value_name.to_string(),
        action: RegistryAction::Set(data),
        scope: Scope::Policy,
        provenance: Provenance {
            field: setting.field.to_string(),
            admx: Some((policy.file, policy.id)),
            state: Some(state),
        },
        rollback: None,
    }])
}

fn local_op(
    setting: &Setting,
    local: &LocalValue,
    key: String,
    value: RegistryValue,
) -> RegistryOp {
    RegistryOp {
        hive: Hive::LocalMachine,
        key,
        value_name: local.value_name.to_string(),
        action: RegistryAction::Set(value),
        scope: Scope::Local,
        provenance: Provenance {
            field: setting.field.to_string(),
            admx: None,
            state: None,
        },
        rollback: local.windows_default.map(data_value),
    }
}

/// Settings without a Group Policy that write a local value: port and thumbprint.
fn lower_local(setting: &'static Setting, value: &Value) -> Result<Vec<RegistryOp>, LowerError> {
    let unmapped = || LowerError::Unmapped {
        field: setting.field.to_string(),
        value: value.to_string(),
    };
    let Some(local) = setting.local.first() else {
        return Ok(Vec::new());
    };
    let data = match setting.field {
        "connection.port" => RegistryValue::Dword(
            value
                .as_i64()
                .and_then(|p| u32::try_from(p).ok())
                .ok_or_else(unmapped)?,
        ),
        "certificate.thumbprint" => {
            let hex = normalize_thumbprint(value.as_str().ok_or_else(unmapped)?);
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .filter(|b| b.len() == 20)
                .ok_or_else(unmapped)?;
            RegistryValue::Binary(bytes)
        }
        _ => return Ok(Vec::new()),
    };
    Ok(vec![local_op(setting, local, local.key.to_string(), data)])
}

/// SCHANNEL server switches: SSL 2.0 and 3.0 off, every TLS version below the minimum off and
/// every one at or above it on. TLS 1.3 is written only where the OS has it: when the policy
/// targets releases that do (`tls.minimumOs`), or when it is the minimum (validation makes
/// that an error on a release without it); otherwise it is left to the Windows default.
fn lower_tls(policy: &Policy) -> Vec<RegistryOp> {
    let Some(tls) = policy.tls.as_ref() else {
        return Vec::new();
    };
    let Some(min) = tls.min_version else {
        return Vec::new();
    };
    let Some(setting) = catalog::setting("tls.minVersion") else {
        return Vec::new();
    };
    let has_tls13 = min == TlsVersion::Tls13 || tls.minimum_os.is_some_and(|os| os.has_tls13());
    let mut switches: Vec<(String, bool)> = keys::SSL_PROTOCOLS
        .into_iter()
        .map(|p| (keys::schannel_server(p), false))
        .collect();
    for version in TlsVersion::ALL {
        if version == TlsVersion::Tls13 && !has_tls13 {
            continue;
        }
        switches.push((keys::tls_server_key(version), version >= min));
    }
    let mut ops = Vec::new();
    for (key, on) in switches {
        for local in setting.local {
            let enabled = local.value_name == keys::SCHANNEL_ENABLED;
            // Enabled=1 / DisabledByDefault=0 for a protocol that is on, the reverse for off.
            let v = u32::from(enabled == on);
            ops.push(local_op(
                setting,
                local,
                key.clone(),
                RegistryValue::Dword(v),
            ));
        }
    }
    ops
}

fn lower_firewall(policy: &Policy) -> Option<(Vec<FirewallRule>, FirewallScope)> {
    let fw = policy.firewall.as_ref()?;
    let mut profiles: Vec<FirewallProfile> = fw.profiles.clone().unwrap_or_default();
    profiles.sort();
    profiles.dedup();
    if profiles.len() == FirewallProfile::ALL.len() {
        profiles.clear();
    }
    let mut addresses: Vec<FirewallAddress> = fw
        .allow_from
        .iter()
        .flatten()
        .filter_map(|a| FirewallAddress::parse(a).ok())
        .map(|p| p.address)
        .collect();
    addresses.sort();
    addresses.dedup();
    if addresses.contains(&FirewallAddress::Any) {
        addresses.clear();
    }
    let conn = policy.connection.clone().unwrap_or_default();
    let port = conn
        .port
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(3389);
    let mut protocols = vec![Protocol::Tcp];
    if conn.transport != Some(Transport::Tcp) {
        protocols.push(Protocol::Udp);
    }
    let enforced = fw.builtin_rules != Some(BuiltinRules::Keep);
    // Empty means any address: nothing to block.
    let outside = if addresses.is_empty() {
        Some(Vec::new())
    } else {
        complement(&addresses)
    };
    let other_profiles: Vec<FirewallProfile> = if profiles.is_empty() {
        Vec::new()
    } else {
        FirewallProfile::ALL
            .into_iter()
            .filter(|p| !profiles.contains(p))
            .collect()
    };
    let name = &policy.name;
    let rule = |id: String,
                action: FirewallAction,
                protocol: Protocol,
                description: String,
                profiles: Vec<FirewallProfile>,
                remote_addresses: Vec<FirewallAddress>| FirewallRule {
        display_name: id.clone(),
        id,
        action,
        description,
        group: "rdpgen".to_string(),
        protocol,
        local_port: port,
        profiles,
        remote_addresses,
    };
    let mut rules = Vec::new();
    for &protocol in &protocols {
        let p = protocol.as_str();
        rules.push(rule(
            format!("rdpgen-{name}-{p}-In"),
            FirewallAction::Allow,
            protocol,
            format!(
                "Inbound Remote Desktop on {p} port {port}, managed by the rdpgen policy {name}"
            ),
            profiles.clone(),
            addresses.clone(),
        ));
    }
    if enforced {
        for &protocol in &protocols {
            let p = protocol.as_str();
            if let Some(outside) = outside.as_ref().filter(|o| !o.is_empty()) {
                rules.push(rule(
                    format!("rdpgen-{name}-{p}-In-Block-Outside"),
                    FirewallAction::Block,
                    protocol,
                    format!(
                        "Blocks Remote Desktop on {p} port {port} from every address outside firewall.allowFrom of the rdpgen policy {name}, whatever other rules allow"
                    ),
                    Vec::new(),
                    outside.clone(),
                ));
            }
            if !other_profiles.is_empty() {
                rules.push(rule(
                    format!("rdpgen-{name}-{p}-In-Block-Profiles"),
                    FirewallAction::Block,
                    protocol,
                    format!(
                        "Blocks Remote Desktop on {p} port {port} on the profiles outside firewall.profiles of the rdpgen policy {name}, whatever other rules allow"
                    ),
                    other_profiles.clone(),
                    Vec::new(),
                ));
            }
        }
    }
    let scope = FirewallScope {
        profiles,
        allow_from: addresses,
        port,
        protocols,
        enforced,
        unenforceable_addresses: enforced && outside.is_none(),
    };
    Some((rules, scope))
}

/// `PolicyVersion` of the firewall policy: Microsoft's baselines write it beside their
/// firewall settings, and the firewall editor writes it with the first rule.
fn policy_version_op() -> RegistryOp {
    RegistryOp {
        hive: Hive::LocalMachine,
        key: keys::FWPOL.to_string(),
        value_name: "PolicyVersion".to_string(),
        action: RegistryAction::Set(RegistryValue::Dword(FIREWALL_POLICY_VERSION)),
        scope: Scope::Policy,
        provenance: Provenance {
            field: "firewall.profiles".to_string(),
            admx: None,
            state: None,
        },
        rollback: None,
    }
}

impl FirewallRule {
    /// The rule in the [MS-GPFAS] grammar, as Group Policy stores it.
    #[must_use]
    pub fn to_rule_string(&self) -> RuleString {
        let mut rule = RuleString {
            version: "2.10".to_string(),
            action: Some(self.action.as_str().into()),
            active: Some(true),
            dir: Some("In".into()),
            protocol: Some(self.protocol.number()),
            profiles: self
                .profiles
                .iter()
                .map(|p| match p {
                    FirewallProfile::Domain => "Domain".to_string(),
                    FirewallProfile::Private => "Private".to_string(),
                    FirewallProfile::Public => "Public".to_string(),
                })
                .collect(),
            local_ports: vec![self.local_port.to_string()],
            // Allow rules admit only the Remote Desktop service; block rules stop every
            // program on the port, so no other rule can reopen it.
            app: (self.action == FirewallAction::Allow)
                .then(|| r"%SystemRoot%\system32\svchost.exe".into()),
            svc: (self.action == FirewallAction::Allow).then(|| "termservice".into()),
            name: Some(self.display_name.clone()),
            desc: Some(self.description.clone()),
            embed_ctxt: Some(self.group.clone()),
            ..RuleString::default()
        };
        for a in &self.remote_addresses {
            match a {
                FirewallAddress::Any => {}
                FirewallAddress::LocalSubnet => {
                    rule.remote_v4.push("LocalSubnet".into());
                    rule.remote_v6.push("LocalSubnet".into());
                }
                FirewallAddress::V4 { network, prefix } => {
                    rule.remote_v4.push(ra4(*network, *prefix))
                }
                FirewallAddress::V6 { network, prefix } => {
                    rule.remote_v6.push(ra6(*network, *prefix))
                }
                FirewallAddress::V4Range { .. } => rule.remote_v4.push(a.to_string()),
                FirewallAddress::V6Range { .. } => rule.remote_v6.push(a.to_string()),
            }
        }
        rule
    }
}

fn firewall_op(rule: &FirewallRule) -> Result<RegistryOp, LowerError> {
    let text = rule
        .to_rule_string()
        .write()
        .map_err(|e| LowerError::FirewallRule {
            id: rule.id.clone(),
            reason: e.to_string(),
        })?;
    let field = if rule.remote_addresses.is_empty() {
        "firewall.profiles"
    } else {
        "firewall.allowFrom"
    };
    Ok(RegistryOp {
        hive: Hive::LocalMachine,
        key: keys::FWPOL_RULES.to_string(),
        value_name: rule.id.clone(),
        action: RegistryAction::Set(RegistryValue::Sz(text)),
        scope: Scope::Policy,
        provenance: Provenance {
            field: field.to_string(),
            admx: None,
            state: None,
        },
        rollback: None,
    })
}

fn lower_certificate(policy: &Policy) -> CertificateRequirements {
    let c = policy.certificate.clone().unwrap_or_default();
    let source = match (&c.thumbprint, &c.template) {
        (Some(t), _) => CertificateSource::Thumbprint(normalize_thumbprint(t)),
        (None, Some(t)) => CertificateSource::Template(t.clone()),
        (None, None) => CertificateSource::Unmanaged,
    };
    CertificateRequirements {
        source,
        expiry_warning_days: c.expiry_warning_days,
        min_key_size: c.min_key_size,
        allow_self_signed: c.allow_self_signed,
    }
}

fn lower_logon_rights(policy: &Policy) -> Vec<LogonRight> {
    let Some(lr) = &policy.logon_rights else {
        return Vec::new();
    };
    [
        (UserRight::SeRemoteInteractiveLogonRight, &lr.allow),
        (UserRight::SeDenyRemoteInteractiveLogonRight, &lr.deny),
    ]
    .into_iter()
    .filter_map(|(right, list)| {
        list.as_ref().map(|names| LogonRight {
            right,
            accounts: names
                .iter()
                .map(|n| Account {
                    name: n.clone(),
                    sid: catalog::accounts::sid_of(n),
                })
                .collect(),
        })
    })
    .collect()
}

fn gpo_metadata(policy: &Policy) -> GpoMetadata {
    let gpo = policy.gpo.clone().unwrap_or_default();
    let guid = gpo.guid.map_or_else(
        || {
            let u = uuid::Uuid::new_v5(&GPO_NAMESPACE, policy.name.as_bytes());
            format!("{{{}}}", u.hyphenated()).to_uppercase()
        },
        |g| g.to_uppercase(),
    );
    GpoMetadata {
        display_name: gpo
            .display_name
            .unwrap_or_else(|| format!("rdpgen {}", policy.name)),
        guid,
        domain: gpo.domain,
    }
}

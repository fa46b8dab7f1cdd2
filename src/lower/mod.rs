//! Lowering: a valid [`Policy`] becomes the [`Model`]. Every registry operation comes from a
//! catalog row (key, value name, type, the data each ADMX state writes); nothing here spells a
//! registry path. Deterministic: catalog order, sorted firewall scopes, no clock.

use crate::catalog::{self, Data, LocalValue, Mapping, Setting, State, keys};
use crate::firewall_address::{FirewallAddress, complement};
use crate::formats::{Hive, RegistryValue};
use crate::model::{
    Account, CertificateRequirements, CertificateSource, FirewallAction, FirewallRule,
    FirewallScope, GPO_NAMESPACE, GpoMetadata, HostAction, LogonRight, Model, Protocol, Provenance,
    RegistryAction, RegistryOp, Scope, UserRight,
};
use crate::policy::Policy;
use crate::policy::types::{
    BuiltinRules, DefaultInbound, FirewallProfile, PostureMode, TlsVersion, Transport,
};
use crate::validate::rules::normalize_thumbprint;

/// Why a valid policy could not be lowered. Validation rules out every case; reaching one is a
/// bug in rdpgen, reported instead of panicking.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LowerError {
    #[error("`{field}` has a value the catalog does not map: {value}")]
    Unmapped { field: String, value: String },
    #[error(transparent)]
    FirewallRule(#[from] crate::model::FirewallRuleError),
    #[error("the policy cannot be hashed: {0}")]
    Hash(String),
}

/// Lowers a validated policy.
///
/// # Errors
/// Only on inconsistencies between validation and the catalog (bugs), never on user input
/// that passed validation.
pub fn lower(policy: &Policy) -> Result<Model, LowerError> {
    let mut registry = Vec::new();
    let mut audit_registry = Vec::new();
    let posture = policy.posture.as_ref();
    let enforce = posture.and_then(|p| p.mode) == Some(PostureMode::Enforce);
    for setting in catalog::SETTINGS {
        let Some(value) = field_value(policy, setting.field) else {
            continue;
        };
        let ops = lower_setting(setting, &value)?;
        if setting.field.starts_with("posture.") && !enforce {
            audit_registry.extend(ops);
        } else {
            registry.extend(ops);
        }
    }
    let firewall_posture =
        posture
            .and_then(|p| p.firewall.as_ref())
            .map(|f| crate::model::FirewallPosture {
                enabled: f.enabled,
                default_block: f.default_inbound.map(|d| d == DefaultInbound::Block),
                merge_local: f.local_rules,
                enforced: enforce,
            });
    if let Some(fp) = firewall_posture.filter(|f| f.enforced) {
        registry.extend(lower_firewall_posture(fp));
    }
    let account_lockout = posture
        .and_then(|p| p.account_lockout.as_ref())
        .map(|l| lower_account_lockout(l, enforce));
    registry.extend(lower_tls(policy));
    registry.extend(lower_usb(policy)?);
    registry.extend(lower_admx(policy)?);
    let (firewall, firewall_scope) = match lower_firewall(policy) {
        Some((rules, scope)) => (rules, Some(scope)),
        None => (Vec::new(), None),
    };
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
    let model = Model {
        name: policy.name.clone(),
        description: policy.description.clone(),
        policy_hash: policy_hash(policy)?,
        gpo: gpo_metadata(policy),
        registry,
        audit_registry,
        firewall_posture,
        account_lockout,
        firewall,
        host_firewall_values: std::collections::BTreeMap::new(),
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
    };
    // Every rule must have a registry form: the back ends derive it.
    model.firewall_registry()?;
    Ok(model)
}

/// The `admx:` section, in list order: what the Group Policy editor writes for each policy's
/// state and element values ([`catalog::admx::writes`]).
fn lower_admx(policy: &Policy) -> Result<Vec<RegistryOp>, LowerError> {
    const ADMX: &Setting = catalog::field("admx");
    let empty = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for entry in policy.admx.iter().flatten() {
        let unmapped = || LowerError::Unmapped {
            field: ADMX.field.to_string(),
            value: entry.policy.clone(),
        };
        let def = catalog::admx::lookup(&entry.policy).ok_or_else(unmapped)?;
        let state = entry.state.state();
        let writes = catalog::admx::writes(def, state, entry.values.as_ref().unwrap_or(&empty))
            .map_err(|_| unmapped())?;
        out.extend(writes.into_iter().map(|w| admx_op(w, ADMX, def, state)));
    }
    Ok(out)
}

/// `posture.firewall` in `enforce` mode: the three switches as Group Policy values of each
/// profile (`SOFTWARE\Policies\Microsoft\WindowsFirewall\<Profile>Profile`).
fn lower_firewall_posture(fp: crate::model::FirewallPosture) -> Vec<RegistryOp> {
    const ENABLED: &Setting = catalog::field("posture.firewall.enabled");
    const INBOUND: &Setting = catalog::field("posture.firewall.defaultInbound");
    const LOCAL: &Setting = catalog::field("posture.firewall.localRules");
    let mut out = Vec::new();
    for profile in keys::FW_POLICY_PROFILES {
        for (setting, name, value) in [
            (ENABLED, keys::FW_ENABLE, fp.enabled),
            (INBOUND, keys::FW_DEFAULT_INBOUND, fp.default_block),
            (LOCAL, keys::FW_LOCAL_POLICY_MERGE, fp.merge_local),
        ] {
            let Some(on) = value else { continue };
            out.push(RegistryOp {
                hive: Hive::LocalMachine,
                key: format!("{}\\{profile}", keys::FWPOL),
                value_name: name.to_string(),
                action: RegistryAction::Set(RegistryValue::Dword(u32::from(on))),
                scope: Scope::Policy,
                provenance: Provenance {
                    setting,
                    admx: None,
                    state: None,
                },
                rollback: None,
            });
        }
    }
    out
}

/// `redirection.usb`: TS_USB_REDIRECTION_DISABLE through the ADMX table, Enabled with
/// Administrators and Users (2) or Disabled (the value deleted).
fn lower_usb(policy: &Policy) -> Result<Vec<RegistryOp>, LowerError> {
    const USB: &Setting = catalog::field("redirection.usb");
    let Some(allowed) = policy.redirection.as_ref().and_then(|r| r.usb) else {
        return Ok(Vec::new());
    };
    let unmapped = || LowerError::Unmapped {
        field: USB.field.to_string(),
        value: allowed.to_string(),
    };
    let def = USB
        .policy
        .and_then(|u| catalog::admx::of_file(u.file, u.id))
        .ok_or_else(unmapped)?;
    let (state, values) = if allowed {
        let mut v = std::collections::BTreeMap::new();
        v.insert(
            "UsbAccessRight".to_string(),
            catalog::admx::Input::Text("UsbMode_AdminsAndUsers".into()),
        );
        (State::Enabled, v)
    } else {
        (State::Disabled, std::collections::BTreeMap::new())
    };
    let writes = catalog::admx::writes(def, state, &values).map_err(|_| unmapped())?;
    Ok(writes
        .into_iter()
        .map(|w| admx_op(w, USB, def, state))
        .collect())
}

/// One value an ADMX policy writes, as a Group Policy registry operation of `setting`.
fn admx_op(
    w: catalog::admx::Write,
    setting: &'static Setting,
    def: &'static catalog::admx::Policy,
    state: State,
) -> RegistryOp {
    RegistryOp {
        hive: Hive::LocalMachine,
        key: w.key.to_string(),
        value_name: w.value_name,
        action: match w.value {
            Some(v) => RegistryAction::Set(v),
            None => RegistryAction::Delete,
        },
        scope: Scope::Policy,
        provenance: Provenance {
            setting,
            admx: Some((def.file, def.name)),
            state: Some(state),
        },
        rollback: None,
    }
}

/// SHA-256 of the policy's canonical JSON (object keys sorted, as serde_json's `Value` keeps
/// them).
fn policy_hash(policy: &Policy) -> Result<String, LowerError> {
    use sha2::Digest as _;
    let hash_error = |e: serde_json::Error| LowerError::Hash(e.to_string());
    let canonical = serde_json::to_value(policy).map_err(hash_error)?;
    let bytes = serde_json::to_vec(&canonical).map_err(hash_error)?;
    Ok(sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The value of a catalog field that lowering writes, read from the typed policy.
#[derive(Debug, Clone, Copy)]
enum FieldValue<'a> {
    Bool(bool),
    Int(i64),
    Text(&'a str),
    /// An enum item as the YAML spells it (the catalog's `Mapping::Enum` names).
    Choice(&'static str),
    List(&'a [String]),
}

impl std::fmt::Display for FieldValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Text(s) | Self::Choice(s) => write!(f, "{s:?}"),
            Self::List(items) => write!(f, "{items:?}"),
        }
    }
}

/// The configured value of `field` (a catalog setting's field) in `policy`, or `None` when
/// it is not configured or lowering does not read it through the catalog (firewall,
/// certificate template/thumbprint sources, logon rights, TLS: their own functions below).
/// Typed: a renamed policy field fails to compile here, and `every_written_field_is_read`
/// checks that every catalog field that writes a value is answered.
fn field_value<'a>(p: &'a Policy, field: &str) -> Option<FieldValue<'a>> {
    use FieldValue::{Bool, Choice, Int, List, Text};
    let connection = p.connection.as_ref();
    let security = p.security.as_ref();
    let sessions = p.sessions.as_ref();
    let redirection = p.redirection.as_ref();
    let text = |s: &'a Option<String>| s.as_deref().map(Text);
    match field {
        "connection.allow" => connection?.allow.map(Bool),
        "connection.port" => connection?.port.map(Int),
        "connection.transport" => connection?.transport.map(|t| Choice(t.as_str())),
        "connection.keepAlive" => text(&connection?.keep_alive),
        "connection.maxConnections" => connection?.max_connections.map(Int),
        "connection.autoReconnect" => connection?.auto_reconnect.map(Bool),
        "connection.networkDetect" => connection?.network_detect.map(|v| Choice(v.as_str())),
        "connection.disconnectOnLock" => connection?.disconnect_on_lock.map(Bool),
        "security.layer" => security?.layer.map(|v| Choice(v.as_str())),
        "security.nla" => security?.nla.map(Bool),
        "security.encryption" => security?.encryption.map(|v| Choice(v.as_str())),
        "security.promptForPassword" => security?.prompt_for_password.map(Bool),
        "security.secureRpc" => security?.secure_rpc.map(Bool),
        "security.disablePasswordSaving" => security?.disable_password_saving.map(Bool),
        "certificate.template" => text(&p.certificate.as_ref()?.template),
        "certificate.thumbprint" => text(&p.certificate.as_ref()?.thumbprint),
        "licensing.mode" => p.licensing.as_ref()?.mode.map(|v| Choice(v.as_str())),
        "licensing.servers" => p.licensing.as_ref()?.servers.as_deref().map(List),
        "sessions.idleTimeout" => text(&sessions?.idle_timeout),
        "sessions.disconnectedTimeout" => text(&sessions?.disconnected_timeout),
        "sessions.activeTimeout" => text(&sessions?.active_timeout),
        "sessions.singleSessionPerUser" => sessions?.single_session_per_user.map(Bool),
        "sessions.deleteTempFoldersOnExit" => sessions?.delete_temp_folders_on_exit.map(Bool),
        "sessions.perSessionTempFolders" => sessions?.per_session_temp_folders.map(Bool),
        "sessions.endSessionAtLimit" => sessions?.end_session_at_limit.map(Bool),
        "sessions.shadow" => sessions?.shadow.map(|v| Choice(v.as_str())),
        "redirection.clipboard" => redirection?.clipboard.map(Bool),
        "redirection.drives" => redirection?.drives.map(Bool),
        "redirection.printers" => redirection?.printers.map(Bool),
        "redirection.comPorts" => redirection?.com_ports.map(Bool),
        "redirection.lptPorts" => redirection?.lpt_ports.map(Bool),
        "redirection.pnpDevices" => redirection?.pnp_devices.map(Bool),
        "redirection.smartCards" => redirection?.smart_cards.map(Bool),
        "redirection.clipboardServerToClient" => redirection?
            .clipboard_server_to_client
            .map(|v| Choice(v.as_str())),
        "redirection.clipboardClientToServer" => redirection?
            .clipboard_client_to_server
            .map(|v| Choice(v.as_str())),
        "redirection.uiAutomation" => redirection?.ui_automation.map(Bool),
        "redirection.location" => redirection?.location.map(Bool),
        "redirection.webAuthn" => redirection?.web_authn.map(Bool),
        "redirection.audioCapture" => redirection?.audio_capture.map(Bool),
        "redirection.camera" => redirection?.camera.map(Bool),
        "redirection.timeZone" => redirection?.time_zone.map(Bool),
        "credentials.encryptionOracle" => p
            .credentials
            .as_ref()?
            .encryption_oracle
            .map(|v| Choice(v.as_str())),
        "credentials.allowProtectedCreds" => {
            p.credentials.as_ref()?.allow_protected_creds.map(Bool)
        }
        "credentials.restrictedAdmin" => p.credentials.as_ref()?.restricted_admin.map(Bool),
        "remoteAssistance.solicited" => p.remote_assistance.as_ref()?.solicited.map(Bool),
        "remoteAssistance.unsolicited" => p.remote_assistance.as_ref()?.unsolicited.map(Bool),
        "posture.lmCompatibilityLevel" => p.posture.as_ref()?.lm_compatibility_level.map(Int),
        "posture.cipherSuites" => p.posture.as_ref()?.cipher_suites.as_deref().map(List),
        _ => None,
    }
}

fn data_value(data: Data) -> RegistryValue {
    match data {
        Data::Dword(v) => RegistryValue::Dword(v),
        Data::Sz(s) => RegistryValue::Sz(s.to_string()),
    }
}

fn lower_setting(
    setting: &'static Setting,
    value: &FieldValue<'_>,
) -> Result<Vec<RegistryOp>, LowerError> {
    let unmapped = || LowerError::Unmapped {
        field: setting.field.to_string(),
        value: value.to_string(),
    };
    let Some(policy) = setting.policy else {
        return lower_local(setting, value);
    };
    let op = |value_name: &str, state: State, data: RegistryValue| RegistryOp {
        hive: Hive::LocalMachine,
        key: policy.key.to_string(),
        value_name: value_name.to_string(),
        action: RegistryAction::Set(data),
        scope: Scope::Policy,
        provenance: Provenance {
            setting,
            admx: Some((policy.file, policy.id)),
            state: Some(state),
        },
        rollback: None,
    };
    if setting.mapping == Mapping::Minutes {
        // The policy's own switch, and for Enabled the minutes in its decimal element.
        let FieldValue::Text(s) = *value else {
            return Err(unmapped());
        };
        let minutes = catalog::keep_alive_minutes(s).ok_or_else(unmapped)?;
        let own = |state: State, data: Option<Data>| {
            data.map(|d| op(policy.value_name, state, data_value(d)))
                .ok_or_else(unmapped)
        };
        if minutes == 0 {
            return Ok(vec![own(State::Disabled, policy.disabled)?]);
        }
        let Some(catalog::Element::Decimal { value_name, .. }) = policy.element else {
            return Err(unmapped());
        };
        return Ok(vec![
            own(State::Enabled, policy.enabled)?,
            op(value_name, State::Enabled, RegistryValue::Dword(minutes)),
        ]);
    }
    let (state, data) = match setting.mapping {
        Mapping::Bool { when_true } => {
            let FieldValue::Bool(b) = *value else {
                return Err(unmapped());
            };
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
            let FieldValue::Choice(s) = *value else {
                return Err(unmapped());
            };
            let v = table
                .iter()
                .find(|(name, _)| *name == s)
                .ok_or_else(unmapped)?
                .1;
            (State::Enabled, RegistryValue::Dword(v))
        }
        Mapping::Duration => {
            let FieldValue::Text(s) = *value else {
                return Err(unmapped());
            };
            (
                State::Enabled,
                RegistryValue::Dword(catalog::session_duration_ms(s).ok_or_else(unmapped)?),
            )
        }
        Mapping::Text => {
            let FieldValue::Text(s) = *value else {
                return Err(unmapped());
            };
            (State::Enabled, RegistryValue::Sz(s.to_string()))
        }
        Mapping::CommaList => {
            let FieldValue::List(items) = *value else {
                return Err(unmapped());
            };
            (State::Enabled, RegistryValue::Sz(items.join(",")))
        }
        Mapping::Count => {
            let FieldValue::Int(n) = *value else {
                return Err(unmapped());
            };
            let n = u32::try_from(n).map_err(|_| unmapped())?;
            match policy.element {
                Some(catalog::Element::Decimal { min, max, .. }) if (min..=max).contains(&n) => {
                    (State::Enabled, RegistryValue::Dword(n))
                }
                _ => return Err(unmapped()),
            }
        }
        Mapping::Minutes | Mapping::Special | Mapping::AuditOnly | Mapping::Metadata => {
            return Ok(Vec::new());
        }
    };
    Ok(vec![op(policy.value_name, state, data)])
}

fn local_op(
    setting: &'static Setting,
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
            setting,
            admx: None,
            state: None,
        },
        rollback: local.windows_default.map(data_value),
    }
}

/// Settings without a Group Policy that write a local value: port, thumbprint and
/// DisableRestrictedAdmin.
fn lower_local(
    setting: &'static Setting,
    value: &FieldValue<'_>,
) -> Result<Vec<RegistryOp>, LowerError> {
    let unmapped = || LowerError::Unmapped {
        field: setting.field.to_string(),
        value: value.to_string(),
    };
    let Some(local) = setting.local.first() else {
        return Ok(Vec::new());
    };
    let data = match setting.field {
        "connection.port" => match *value {
            FieldValue::Int(p) => RegistryValue::Dword(u32::try_from(p).map_err(|_| unmapped())?),
            _ => return Err(unmapped()),
        },
        "posture.lmCompatibilityLevel" => match *value {
            FieldValue::Int(n) => RegistryValue::Dword(u32::try_from(n).map_err(|_| unmapped())?),
            _ => return Err(unmapped()),
        },
        // DisableRestrictedAdmin: 0 accepts Restricted Admin / Remote Credential Guard.
        "credentials.restrictedAdmin" => match *value {
            FieldValue::Bool(accepted) => RegistryValue::Dword(u32::from(!accepted)),
            _ => return Err(unmapped()),
        },
        "certificate.thumbprint" => {
            let FieldValue::Text(t) = *value else {
                return Err(unmapped());
            };
            let hex = normalize_thumbprint(t);
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
    let setting = const { catalog::field("tls.minVersion") };
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
        // Allow rules admit only the Remote Desktop service; block rules stop every
        // program on the port, so no other rule can reopen it.
        program: (action == FirewallAction::Allow)
            .then(|| r"%SystemRoot%\system32\svchost.exe".to_string()),
        service: (action == FirewallAction::Allow).then(|| "termservice".to_string()),
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

/// `posture.accountLockout` as the numbers of GptTmpl.inf `[System Access]`. Validation
/// refused durations outside [`catalog::LOCKOUT_MINUTES`].
fn lower_account_lockout(
    l: &crate::policy::types::AccountLockout,
    enforced: bool,
) -> crate::model::AccountLockout {
    crate::model::AccountLockout {
        threshold: l.threshold.and_then(|t| u32::try_from(t).ok()),
        duration: l.duration.as_deref().and_then(catalog::lockout_duration),
        reset_after: l.reset_after.as_deref().and_then(catalog::lockout_minutes),
        administrator: l.administrator,
        enforced,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A policy that configures every field lowering reads through the catalog.
    fn everything() -> Policy {
        serde_json::from_value(serde_json::json!({
            "rdpgen": 1,
            "name": "all",
            "connection": {
                "allow": true, "port": 3390, "transport": "tcp", "autoReconnect": false,
                "keepAlive": "2h", "maxConnections": 20,
                "networkDetect": "off", "disconnectOnLock": true
            },
            "security": {
                "layer": "tls", "nla": true, "encryption": "high", "promptForPassword": true,
                "secureRpc": true, "disablePasswordSaving": true
            },
            "certificate": {"template": "RDP", "thumbprint": "00112233445566778899AABBCCDDEEFF00112233"},
            "licensing": {"mode": "per-user", "servers": ["a", "b"]},
            "sessions": {
                "idleTimeout": "15m", "disconnectedTimeout": "1h", "activeTimeout": "1d",
                "singleSessionPerUser": true, "deleteTempFoldersOnExit": true,
                "perSessionTempFolders": true, "endSessionAtLimit": true, "shadow": "view-with-consent"
            },
            "redirection": {
                "clipboard": false, "drives": false, "printers": false, "comPorts": false,
                "lptPorts": false, "pnpDevices": false, "smartCards": true,
                "clipboardServerToClient": "none", "clipboardClientToServer": "plain-text",
                "uiAutomation": false, "location": false, "webAuthn": false,
                "audioCapture": false, "camera": false, "timeZone": true
            },
            "credentials": {
                "encryptionOracle": "force-updated-clients", "allowProtectedCreds": true,
                "restrictedAdmin": true
            },
            "remoteAssistance": {"solicited": false, "unsolicited": false},
            "posture": {"lmCompatibilityLevel": 5, "cipherSuites": ["TLS_AES_256_GCM_SHA384"]}
        }))
        .expect("a valid policy")
    }

    #[test]
    fn every_written_field_is_read() {
        let p = everything();
        let mut checked = 0;
        for s in catalog::SETTINGS {
            let writes = match s.mapping {
                Mapping::Bool { .. }
                | Mapping::Enum(_)
                | Mapping::Duration
                | Mapping::Text
                | Mapping::CommaList
                | Mapping::Count
                | Mapping::Minutes => true,
                // The local values lower_local writes; every other special field has its own
                // function (listed, so a new special field must be placed).
                Mapping::Special => match s.field {
                    "connection.port"
                    | "certificate.thumbprint"
                    | "credentials.restrictedAdmin"
                    | "posture.lmCompatibilityLevel" => true,
                    "tls.minVersion"
                    | "certificate.repairKeyPermissions"
                    | "firewall.profiles"
                    | "firewall.allowFrom"
                    | "firewall.builtinRules"
                    | "logonRights.allow"
                    | "logonRights.deny"
                    | "admx"
                    | "redirection.usb"
                    | "posture.firewall.enabled"
                    | "posture.firewall.defaultInbound"
                    | "posture.firewall.localRules"
                    | "posture.accountLockout.threshold"
                    | "posture.accountLockout.duration"
                    | "posture.accountLockout.resetAfter"
                    | "posture.accountLockout.administrator" => false,
                    other => panic!("special field {other}: which function lowers it?"),
                },
                Mapping::AuditOnly | Mapping::Metadata => false,
            };
            let value = field_value(&p, s.field);
            if writes {
                assert!(value.is_some(), "{} is not read by lowering", s.field);
                assert!(
                    !lower_setting(s, &value.unwrap())
                        .expect("lowers")
                        .is_empty(),
                    "{} writes nothing",
                    s.field
                );
                checked += 1;
            }
        }
        assert!(checked >= 46, "{checked}");
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_an_error_not_an_empty_model() {
        let s = catalog::setting("security.nla").expect("in the catalog");
        assert!(matches!(
            lower_setting(s, &FieldValue::Text("yes")),
            Err(LowerError::Unmapped { .. })
        ));
    }
}

//! Comparing one host with the model: every registry operation (by effective value, as Windows
//! resolves policy over local), every firewall rule (by meaning, not spelling), the listener
//! certificate, and the consistency checks behind the 0x904/0x7 causes.

use std::collections::BTreeSet;

use serde::Serialize;

use super::snapshot::{HostState, NotCaptured, RegistryPath};
use super::time::parse_rfc3339;
use crate::catalog::{self, Mapping, Setting, State, keys};
use crate::firewall_address::FirewallAddress;
use crate::formats::firewall_rule::RuleString;
use crate::formats::{Hive, RegistryValue};
use crate::model::describe::value_text;
use crate::model::{
    CertificateSource, FirewallAction, FirewallRule, Model, RegistryAction, RegistryOp,
};

/// The part of the posture a check belongs to (the columns of the HTML grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Area {
    Connection,
    Security,
    Tls,
    Certificate,
    Firewall,
    Licensing,
    Sessions,
    Redirection,
    Credentials,
}

impl Area {
    pub const ALL: [Area; 9] = [
        Self::Connection,
        Self::Security,
        Self::Tls,
        Self::Certificate,
        Self::Firewall,
        Self::Licensing,
        Self::Sessions,
        Self::Redirection,
        Self::Credentials,
    ];

    #[must_use]
    pub fn of_field(field: &str) -> Self {
        match field.split('.').next().unwrap_or("") {
            "connection" => Self::Connection,
            "tls" => Self::Tls,
            "certificate" => Self::Certificate,
            "firewall" => Self::Firewall,
            "licensing" => Self::Licensing,
            "sessions" => Self::Sessions,
            "redirection" => Self::Redirection,
            "credentials" => Self::Credentials,
            _ => Self::Security,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connection => "connection",
            Self::Security => "security",
            Self::Tls => "tls",
            Self::Certificate => "certificate",
            Self::Firewall => "firewall",
            Self::Licensing => "licensing",
            Self::Sessions => "sessions",
            Self::Redirection => "redirection",
            Self::Credentials => "credentials",
        }
    }
}

/// Where the value that counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueSource {
    /// The Group Policy key: it wins while present.
    Policy,
    /// The system's own value (listener, SCHANNEL, ...).
    Local,
    /// Neither exists.
    Absent,
    /// A fact the collector reported (certificate, listener, network).
    Snapshot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Pass,
    Fail,
    /// The host file did not capture this location.
    NotCollected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FindingSeverity {
    Warning,
    Error,
}

/// One check of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Stable id: the policy field, with a suffix where one field has several checks.
    pub id: String,
    /// The policy field that sets what this checks.
    pub field: String,
    pub area: Area,
    /// Registry path or object checked.
    pub location: String,
    pub desired: String,
    pub actual: String,
    pub source: ValueSource,
    pub outcome: Outcome,
    pub severity: FindingSeverity,
    /// The 0x904/0x7 cause this relates to.
    pub cause: Option<&'static str>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum HostStatus {
    Compliant,
    Drifted,
    Unreadable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostReport {
    pub host: String,
    pub sources: Vec<String>,
    pub status: HostStatus,
    /// Why the host could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub checks: Vec<Check>,
}

impl HostReport {
    #[must_use]
    pub fn unreadable(host: String, sources: Vec<String>, error: String) -> Self {
        Self {
            host,
            sources,
            status: HostStatus::Unreadable,
            error: Some(error),
            checks: Vec::new(),
        }
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Fail)
    }
}

fn path_text(hive: Hive, key: &str, name: &str) -> String {
    format!("{}\\{key}\\{name}", hive.short_name())
}

/// A registry value as people read it, with the policy-language meaning where the catalog
/// knows one: `REG_DWORD 2 (tls)`.
#[must_use]
pub fn meaning(setting: Option<&Setting>, value: &RegistryValue) -> String {
    let raw = value_text(value);
    let Some(s) = setting else { return raw };
    let number = match value {
        RegistryValue::Dword(v) => Some(*v),
        RegistryValue::Sz(t) => t.trim().parse().ok(),
        _ => None,
    };
    let Some(n) = number else { return raw };
    let name = match s.mapping {
        Mapping::Enum(table) => table
            .iter()
            .find(|(_, v)| *v == n)
            .map(|(name, _)| (*name).to_string()),
        Mapping::Duration => catalog::SESSION_DURATIONS
            .iter()
            .find(|(_, v)| *v == n)
            .map(|(name, _)| (*name).to_string()),
        Mapping::Bool { when_true } => s.policy.and_then(|p| {
            let enabled = matches!(p.enabled, Some(catalog::Data::Dword(v)) if v == n);
            let disabled = matches!(p.disabled, Some(catalog::Data::Dword(v)) if v == n);
            let state = if enabled {
                State::Enabled
            } else if disabled {
                State::Disabled
            } else {
                return None;
            };
            Some((state == when_true).to_string())
        }),
        _ => None,
    };
    match name {
        Some(name) => format!("{raw} ({name})"),
        None => raw,
    }
}

/// Equal as Windows treats them: same type and data, or a DWORD and a string holding the same
/// decimal number; some fields compare case-insensitively or as sets.
fn equivalent(field: &str, want: &RegistryValue, got: &RegistryValue) -> bool {
    if want == got {
        return true;
    }
    match (want, got) {
        (RegistryValue::Dword(a), RegistryValue::Sz(s))
        | (RegistryValue::Dword(a), RegistryValue::ExpandSz(s)) => {
            s.trim().parse::<u32>().ok() == Some(*a)
        }
        (RegistryValue::Sz(a), RegistryValue::Sz(b) | RegistryValue::ExpandSz(b)) => match field {
            "licensing.servers" => {
                let set = |s: &str| -> BTreeSet<String> {
                    s.split(',')
                        .map(|x| x.trim().to_ascii_lowercase())
                        .filter(|x| !x.is_empty())
                        .collect()
                };
                set(a) == set(b)
            }
            "certificate.template" => a.eq_ignore_ascii_case(b),
            _ => false,
        },
        _ => false,
    }
}

struct Auditor<'a> {
    model: &'a Model,
    host: &'a HostState,
    checks: Vec<Check>,
}

/// Audits one host against the model.
#[must_use]
pub fn audit(model: &Model, host: &HostState) -> HostReport {
    let mut a = Auditor {
        model,
        host,
        checks: Vec::new(),
    };
    for op in &model.registry {
        // Rules and PolicyVersion: the firewall checks below judge what they do.
        if keys::is_firewall_policy_key(&op.key) {
            continue;
        }
        a.registry_check(op);
    }
    for rule in &model.firewall {
        a.firewall_check(rule);
        // A missing block rule widens the scope; it is not a reason RDP fails (C5).
        if rule.action == FirewallAction::Block
            && let Some(last) = a.checks.last_mut()
        {
            last.cause = None;
        }
    }
    a.effective_firewall_check();
    a.certificate_checks();
    a.consistency_checks();
    let status = if a.checks.iter().any(|c| c.outcome == Outcome::Fail) {
        HostStatus::Drifted
    } else {
        HostStatus::Compliant
    };
    HostReport {
        host: host.name.clone(),
        sources: host.sources.clone(),
        status,
        error: None,
        checks: a.checks,
    }
}

impl Auditor<'_> {
    #[allow(clippy::too_many_arguments)] // a check is a record; naming every part is clearer
    fn push(
        &mut self,
        id: String,
        field: &str,
        location: String,
        desired: String,
        actual: String,
        source: ValueSource,
        outcome: Outcome,
        severity: FindingSeverity,
        message: String,
    ) {
        let cause = catalog::setting(field).and_then(|s| s.causes.first().copied());
        self.checks.push(Check {
            id,
            field: field.to_string(),
            area: Area::of_field(field),
            location,
            desired,
            actual,
            source,
            outcome,
            severity,
            cause,
            message,
        });
    }

    /// The effective value of a policy-scope operation: the policy value while present, else
    /// the local value the catalog names for the same setting.
    fn effective(
        &self,
        op: &RegistryOp,
        setting: Option<&Setting>,
    ) -> Result<(Option<RegistryValue>, ValueSource, String), NotCaptured> {
        let policy_path = RegistryPath::new(op.hive, &op.key, &op.value_name);
        let here = path_text(op.hive, &op.key, &op.value_name);
        let local = setting
            .filter(|_| op.scope == crate::model::Scope::Policy)
            .and_then(|s| {
                s.local
                    .iter()
                    .find(|l| l.value_name.eq_ignore_ascii_case(&op.value_name))
            });
        let policy_value = self.host.value(&policy_path);
        match (policy_value, local) {
            (Ok(Some(v)), _) => Ok((
                Some(v.clone()),
                if op.scope == crate::model::Scope::Policy {
                    ValueSource::Policy
                } else {
                    ValueSource::Local
                },
                here,
            )),
            (policy, Some(l)) => {
                let local_path = RegistryPath::new(Hive::LocalMachine, l.key, l.value_name);
                let local_text = path_text(Hive::LocalMachine, l.key, l.value_name);
                match self.host.value(&local_path) {
                    Ok(Some(v)) => Ok((Some(v.clone()), ValueSource::Local, local_text)),
                    Ok(None) => Ok((None, ValueSource::Absent, here)),
                    Err(NotCaptured) => policy.map(|_| (None, ValueSource::Absent, here)),
                }
            }
            (Ok(None), None) => Ok((None, ValueSource::Absent, here)),
            (Err(e), None) => Err(e),
        }
    }

    fn registry_check(&mut self, op: &RegistryOp) {
        let field = op.provenance.field.clone();
        let setting = catalog::setting(&field);
        let id = if field == "tls.minVersion" {
            // `...\TLS 1.2\Server` + `Enabled`.
            let version = op.key.rsplit('\\').nth(1).unwrap_or("");
            format!("{field}:{version}:{}", op.value_name)
        } else {
            field.clone()
        };
        let (desired_value, desired) = match &op.action {
            RegistryAction::Set(v) => (Some(v), meaning(setting, v)),
            RegistryAction::Delete => (None, "absent".to_string()),
        };
        let here = path_text(op.hive, &op.key, &op.value_name);
        match self.effective(op, setting) {
            Err(NotCaptured) => self.push(
                id,
                &field,
                here,
                desired,
                "not collected".into(),
                ValueSource::Absent,
                Outcome::NotCollected,
                FindingSeverity::Warning,
                format!("the host file holds no `{}` key", op.key),
            ),
            Ok((actual, source, location)) => {
                let ok = match (desired_value, &actual) {
                    (Some(want), Some(got)) => equivalent(&field, want, got),
                    (None, None) => true,
                    _ => false,
                };
                let actual_text = actual
                    .as_ref()
                    .map_or_else(|| "absent".to_string(), |v| meaning(setting, v));
                let found = match source {
                    ValueSource::Policy => {
                        format!("{} is {actual_text} in the policy key", op.value_name)
                    }
                    ValueSource::Local if op.scope == crate::model::Scope::Local => {
                        format!("{} is {actual_text}", op.value_name)
                    }
                    ValueSource::Local => format!(
                        "{} is {actual_text} locally, with no policy value",
                        op.value_name
                    ),
                    ValueSource::Absent | ValueSource::Snapshot => {
                        format!("{} is not set", op.value_name)
                    }
                };
                let message = if ok {
                    found
                } else {
                    format!("{found}; the policy wants {desired}")
                };
                self.push(
                    id,
                    &field,
                    location,
                    desired,
                    actual_text,
                    source,
                    if ok { Outcome::Pass } else { Outcome::Fail },
                    FindingSeverity::Error,
                    message,
                );
            }
        }
    }

    /// What Windows Firewall admits on the RDP port, from every rule of every store
    /// (`super::firewall`).
    fn effective_firewall_check(&mut self) {
        let Some(scope) = &self.model.firewall_scope else {
            return;
        };
        let host = super::firewall::host_firewall(self.host);
        for f in super::firewall::evaluate(scope, &host) {
            self.push(
                f.id,
                f.field,
                f.location,
                f.desired,
                f.actual,
                ValueSource::Snapshot,
                f.outcome,
                f.severity,
                f.message,
            );
            if let Some(last) = self.checks.last_mut() {
                last.cause = f.cause;
            }
        }
    }

    fn firewall_check(&mut self, rule: &FirewallRule) {
        let field = if rule.remote_addresses.is_empty() {
            "firewall.profiles"
        } else {
            "firewall.allowFrom"
        };
        let id = format!("firewall:{}", rule.id);
        let location = format!("HKLM\\{}\\{}", keys::FWPOL_RULES, rule.id);
        let want = RuleShape::of_model(rule);
        let desired = want.describe();
        let path = RegistryPath::new(Hive::LocalMachine, keys::FWPOL_RULES, &rule.id);
        let from_registry = match self.host.value(&path) {
            Ok(Some(RegistryValue::Sz(text))) => Some(Ok(
                RuleString::parse(text).map(|r| RuleShape::of_rule_string(&r))
            )),
            Ok(Some(other)) => Some(Ok(Err(
                crate::formats::firewall_rule::RuleStringError::BadValue {
                    field: "type".into(),
                    value: value_text(other),
                },
            ))),
            Ok(None) => Some(Err(())),
            Err(NotCaptured) => None,
        };
        let from_snapshot = self.host.firewall.as_ref().and_then(|f| {
            f.rules
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(&rule.id))
                .map(RuleShape::of_snapshot)
        });
        let found = match (from_registry, from_snapshot) {
            (Some(Ok(Ok(shape))), _) | (_, Some(shape)) => Some(Ok(shape)),
            (Some(Ok(Err(e))), None) => Some(Err(e.to_string())),
            (Some(Err(())), None) => None,
            (None, None) => {
                self.push(
                    id,
                    field,
                    location,
                    desired,
                    "not collected".into(),
                    ValueSource::Absent,
                    Outcome::NotCollected,
                    FindingSeverity::Warning,
                    "the host file holds no firewall rules".into(),
                );
                return;
            }
        };
        match found {
            None => self.push(
                id,
                field,
                location,
                desired,
                "absent".into(),
                ValueSource::Absent,
                Outcome::Fail,
                FindingSeverity::Error,
                match rule.action {
                    FirewallAction::Allow => format!(
                        "the allow rule `{}` is missing: RDP is not allowed by this policy's rule",
                        rule.id
                    ),
                    FirewallAction::Block => format!(
                        "the block rule `{}` is missing: other allow rules can widen the policy's scope",
                        rule.id
                    ),
                },
            ),
            Some(Err(e)) => self.push(
                id,
                field,
                location,
                desired,
                "unreadable rule".into(),
                ValueSource::Policy,
                Outcome::Fail,
                FindingSeverity::Error,
                format!("the rule `{}` cannot be parsed: {e}", rule.id),
            ),
            Some(Ok(got)) => {
                let ok = got == want;
                let actual = got.describe();
                let verb = match rule.action {
                    FirewallAction::Allow => "allows",
                    FirewallAction::Block => "is",
                };
                let message = if ok {
                    format!("rule `{}` {verb} {actual}", rule.id)
                } else {
                    format!(
                        "rule `{}` {verb} {actual}; the policy wants {desired}",
                        rule.id
                    )
                };
                self.push(
                    id,
                    field,
                    location,
                    desired,
                    actual,
                    ValueSource::Policy,
                    if ok { Outcome::Pass } else { Outcome::Fail },
                    FindingSeverity::Error,
                    message,
                );
            }
        }
    }

    fn certificate_checks(&mut self) {
        let req = &self.model.certificate;
        let Some(cert) = self.host.certificate.clone() else {
            let wants_checks = req.expiry_warning_days.is_some()
                || req.min_key_size.is_some()
                || req.allow_self_signed.is_some()
                || req.source != CertificateSource::Unmanaged;
            if wants_checks && self.host.kinds.contains("collector") {
                self.push(
                    "certificate.inUse".into(),
                    "certificate.thumbprint",
                    "RDP-Tcp listener certificate".into(),
                    "a certificate".into(),
                    "none reported".into(),
                    ValueSource::Snapshot,
                    Outcome::Fail,
                    FindingSeverity::Error,
                    "the collector found no certificate for the RDP-Tcp listener".into(),
                );
            }
            return;
        };
        let location = format!("certificate {} ({})", cert.thumbprint, cert.subject);
        let now = self.host.captured_at.as_deref().and_then(parse_rfc3339);
        let not_after = parse_rfc3339(&cert.not_after);
        let not_before = parse_rfc3339(&cert.not_before);
        if let (Some(now), Some(end)) = (now, not_after) {
            let days_left = (end - now).div_euclid(86_400);
            let expired = end <= now;
            let warn_days = req.expiry_warning_days.map(i64::from);
            let (outcome, severity, message) = if expired {
                (
                    Outcome::Fail,
                    FindingSeverity::Error,
                    format!("the listener certificate expired on {}", cert.not_after),
                )
            } else if warn_days.is_some_and(|w| days_left < w) {
                (
                    Outcome::Fail,
                    FindingSeverity::Warning,
                    format!(
                        "the listener certificate expires in {days_left} days, on {}",
                        cert.not_after
                    ),
                )
            } else if not_before.is_some_and(|b| b > now) {
                (
                    Outcome::Fail,
                    FindingSeverity::Error,
                    format!(
                        "the listener certificate is not valid before {}",
                        cert.not_before
                    ),
                )
            } else {
                (
                    Outcome::Pass,
                    FindingSeverity::Error,
                    format!("the listener certificate is valid for {days_left} more days"),
                )
            };
            let desired = warn_days.map_or_else(
                || "not expired".to_string(),
                |w| format!("valid for at least {w} more days"),
            );
            self.push(
                "certificate.expiry".into(),
                "certificate.expiryWarningDays",
                location.clone(),
                desired,
                format!(
                    "expires {} ({days_left} days after capture)",
                    cert.not_after
                ),
                ValueSource::Snapshot,
                outcome,
                severity,
                message,
            );
        }
        if req.allow_self_signed == Some(false) {
            let ok = !cert.self_signed;
            self.push(
                "certificate.selfSigned".into(),
                "certificate.allowSelfSigned",
                location.clone(),
                "issued by a CA".into(),
                if cert.self_signed {
                    "self-signed".into()
                } else {
                    format!("issued by {}", cert.issuer)
                },
                ValueSource::Snapshot,
                if ok { Outcome::Pass } else { Outcome::Fail },
                FindingSeverity::Error,
                if ok {
                    "the listener certificate is CA-issued".into()
                } else {
                    "the listener uses a self-signed certificate, which the policy does not allow"
                        .into()
                },
            );
        }
        if let Some(min) = req.min_key_size {
            match cert.key_size {
                Some(size) => {
                    let ok = size >= min;
                    self.push(
                        "certificate.keySize".into(),
                        "certificate.minKeySize",
                        location.clone(),
                        format!("at least {min} bits"),
                        format!("{size} bits"),
                        ValueSource::Snapshot,
                        if ok { Outcome::Pass } else { Outcome::Fail },
                        FindingSeverity::Error,
                        if ok {
                            format!("the key has {size} bits")
                        } else {
                            format!("the key has {size} bits, fewer than {min}")
                        },
                    );
                }
                None => self.push(
                    "certificate.keySize".into(),
                    "certificate.minKeySize",
                    location.clone(),
                    format!("at least {min} bits"),
                    "not collected".into(),
                    ValueSource::Snapshot,
                    Outcome::NotCollected,
                    FindingSeverity::Warning,
                    "the key size was not collected".into(),
                ),
            }
        }
        const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
        const RD_AUTH: &str = "1.3.6.1.4.1.311.54.1.2";
        // A certificate without an EKU extension is valid for every purpose.
        let eku_ok =
            cert.ekus.is_empty() || cert.ekus.iter().any(|e| e == SERVER_AUTH || e == RD_AUTH);
        self.push("certificate.eku".into(), "certificate.template", location.clone(), "Server Authentication or Remote Desktop Authentication EKU".into(), if cert.ekus.is_empty() { "no EKU extension (any purpose)".into() } else { cert.ekus.join(", ") }, ValueSource::Snapshot, if eku_ok { Outcome::Pass } else { Outcome::Fail }, FindingSeverity::Error, if eku_ok { "the certificate may authenticate a server".into() } else { "the certificate lacks the Server Authentication and Remote Desktop Authentication EKUs (event 1054)".into() });
        match cert.network_service_can_read_key {
            Some(ok) => self.push(
                "certificate.privateKey".into(),
                "certificate.repairKeyPermissions",
                cert.key_file.clone().unwrap_or_else(|| location.clone()),
                "NETWORK SERVICE can read the private key".into(),
                if ok {
                    "readable".into()
                } else {
                    "not readable".into()
                },
                ValueSource::Snapshot,
                if ok { Outcome::Pass } else { Outcome::Fail },
                FindingSeverity::Error,
                if ok {
                    "NETWORK SERVICE can read the private key".into()
                } else {
                    "NETWORK SERVICE cannot read the private key file under MachineKeys".into()
                },
            ),
            None => self.push(
                "certificate.privateKey".into(),
                "certificate.repairKeyPermissions",
                location.clone(),
                "NETWORK SERVICE can read the private key".into(),
                "key file not found".into(),
                ValueSource::Snapshot,
                Outcome::Fail,
                FindingSeverity::Error,
                "the private key file of the listener certificate was not found".into(),
            ),
        }
        if let CertificateSource::Thumbprint(want) = &req.source {
            let got = cert.thumbprint.to_ascii_uppercase().replace([' ', ':'], "");
            let ok = &got == want;
            self.push(
                "certificate.binding".into(),
                "certificate.thumbprint",
                location,
                want.clone(),
                got.clone(),
                ValueSource::Snapshot,
                if ok { Outcome::Pass } else { Outcome::Fail },
                FindingSeverity::Error,
                if ok {
                    "the listener uses the pinned certificate".into()
                } else {
                    format!("the listener uses {got}, not the pinned {want}")
                },
            );
        }
    }

    fn consistency_checks(&mut self) {
        // C4: a TLS-capable layer needs TLS 1.2 enabled on the server side.
        let layer_path = RegistryPath::new(Hive::LocalMachine, keys::TS_POLICY, "SecurityLayer");
        let listener_layer = RegistryPath::new(Hive::LocalMachine, keys::RDP_TCP, "SecurityLayer");
        let layer = self
            .host
            .registry
            .get(&layer_path)
            .or_else(|| self.host.registry.get(&listener_layer));
        let tls12 = keys::tls_server_key(crate::policy::types::TlsVersion::Tls12);
        let enabled =
            self.host
                .registry
                .get(&RegistryPath::new(Hive::LocalMachine, &tls12, "Enabled"));
        let layer_uses_tls = !matches!(layer, Some(RegistryValue::Dword(0)));
        if layer_uses_tls && matches!(enabled, Some(RegistryValue::Dword(0))) {
            self.push(
                "consistency.tls12".into(),
                "tls.minVersion",
                path_text(Hive::LocalMachine, &tls12, "Enabled"),
                "TLS 1.2 enabled for the TLS-capable security layer".into(),
                "REG_DWORD 0 (disabled)".into(),
                ValueSource::Local,
                Outcome::Fail,
                FindingSeverity::Error,
                "TLS 1.2 is disabled on the server while the security layer needs TLS".into(),
            );
        }
        // C5: a network categorised Public while the RDP rules exclude the public profile.
        if let Some(fw) = &self.host.firewall
            && let Some(rule) = self.model.firewall.first()
            && !rule.profiles.is_empty()
            && !rule
                .profiles
                .contains(&crate::policy::types::FirewallProfile::Public)
        {
            for net in fw
                .network_categories
                .iter()
                .filter(|n| n.category.eq_ignore_ascii_case("Public"))
            {
                self.push(format!("consistency.networkCategory:{}", net.interface), "firewall.profiles", format!("network {}", net.interface), "a network category the RDP rules cover".into(), "Public".into(), ValueSource::Snapshot, Outcome::Fail, FindingSeverity::Warning, format!("interface `{}` is categorised Public, where this policy's RDP rules do not apply", net.interface));
            }
        }
        // C7: nothing listens on the listener's port.
        if let Some(listener) = &self.host.listener
            && listener.listening == Some(false)
        {
            self.push(
                "consistency.listening".into(),
                "connection.port",
                "RDP-Tcp listener".into(),
                "listening".into(),
                "not listening".into(),
                ValueSource::Snapshot,
                Outcome::Fail,
                FindingSeverity::Error,
                "nothing listens on the RDP port".into(),
            );
        }
    }
}

/// A firewall rule reduced to what it allows, so spellings that mean the same compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleShape {
    pub enabled: bool,
    pub allow_inbound: bool,
    pub block_inbound: bool,
    pub protocol: String,
    pub ports: BTreeSet<String>,
    /// Lower-case; all three when the rule names none.
    pub profiles: BTreeSet<String>,
    /// Normalised addresses; empty means any.
    pub remote: BTreeSet<String>,
}

fn all_profiles(profiles: BTreeSet<String>) -> BTreeSet<String> {
    if profiles.is_empty() || profiles.contains("any") || profiles.contains("all") {
        ["domain", "private", "public"]
            .into_iter()
            .map(String::from)
            .collect()
    } else {
        profiles
    }
}

fn normalise_address(a: &str) -> Option<String> {
    let t = a.trim();
    match t.to_ascii_lowercase().as_str() {
        "*" | "any" => None,
        "localsubnet" | "local-subnet" | "localsubnet4" | "localsubnet6" => {
            Some("local-subnet".into())
        }
        lower => Some(
            FirewallAddress::parse(t).map_or_else(|_| lower.to_string(), |p| p.address.to_string()),
        ),
    }
}

fn normalise_remote<'a>(items: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for item in items {
        for part in item.split(',') {
            match normalise_address(part) {
                Some(a) => {
                    out.insert(a);
                }
                None => return BTreeSet::new(),
            }
        }
    }
    out
}

fn protocol_name(p: &str) -> String {
    match p.trim().to_ascii_uppercase().as_str() {
        "6" | "TCP" => "TCP".into(),
        "17" | "UDP" => "UDP".into(),
        "256" | "ANY" | "" => "any".into(),
        other => other.to_string(),
    }
}

impl RuleShape {
    #[must_use]
    pub fn of_rule_string(r: &RuleString) -> Self {
        Self {
            enabled: r.active.unwrap_or(true),
            allow_inbound: r
                .action
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("Allow"))
                && r.dir
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("In")),
            block_inbound: r
                .action
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("Block"))
                && r.dir
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("In")),
            protocol: protocol_name(&r.protocol.map(|p| p.to_string()).unwrap_or_default()),
            ports: r.local_ports.iter().map(|p| p.trim().to_string()).collect(),
            profiles: all_profiles(r.profiles.iter().map(|p| p.to_ascii_lowercase()).collect()),
            remote: normalise_remote(r.remote_v4.iter().chain(&r.remote_v6).map(String::as_str)),
        }
    }

    #[must_use]
    pub fn of_model(rule: &FirewallRule) -> Self {
        Self::of_rule_string(&rule.to_rule_string())
    }

    #[must_use]
    pub fn of_snapshot(r: &super::snapshot::FirewallRuleInfo) -> Self {
        Self {
            enabled: r.enabled,
            allow_inbound: r.action.eq_ignore_ascii_case("Allow")
                && r.direction.eq_ignore_ascii_case("Inbound"),
            block_inbound: r.action.eq_ignore_ascii_case("Block")
                && r.direction.eq_ignore_ascii_case("Inbound"),
            protocol: protocol_name(&r.protocol),
            ports: r
                .local_ports
                .iter()
                .flat_map(|p| p.split(','))
                .map(|p| p.trim().to_string())
                .collect(),
            profiles: all_profiles(
                r.profiles
                    .iter()
                    .flat_map(|p| p.split(','))
                    .map(|p| p.trim().to_ascii_lowercase())
                    .collect(),
            ),
            remote: normalise_remote(r.remote_addresses.iter().map(String::as_str)),
        }
    }

    #[must_use]
    pub fn describe(&self) -> String {
        let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(",");
        format!(
            "{}{} {} port {} on {} from {}",
            if self.enabled { "" } else { "(disabled) " },
            if self.allow_inbound {
                "inbound"
            } else if self.block_inbound {
                "blocking inbound"
            } else {
                "not an inbound allow or block rule:"
            },
            self.protocol,
            join(&self.ports),
            join(&self.profiles),
            if self.remote.is_empty() {
                "any".to_string()
            } else {
                join(&self.remote)
            },
        )
    }
}

//! Comparing one host with the model: every registry operation (by effective value, as Windows
//! resolves policy over local, and as Windows reads the value's type), every firewall rule (by
//! meaning, not spelling), the listener certificate, the Remote Desktop logon rights, and the
//! consistency checks behind the 0x904/0x7 causes.
//!
//! Every check has one of three outcomes: pass, fail, or not verified (the host's inputs hold
//! no evidence for it, with the reason). A host is compliant only when every check of every
//! model item was verified and passed (the evidence rules: README, "Evidence").

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::snapshot::{HostState, LockoutEvidence, NotCaptured, RegistryPath};
use super::time::parse_rfc3339;
use crate::catalog::{self, Mapping, Setting, State, keys};
use crate::firewall_address::FirewallAddress;
use crate::formats::firewall_rule::{RuleString, RuleStringError};
use crate::formats::{Hive, RegistryValue};
use crate::model::describe::value_text;
use crate::model::{
    Account, CertificateSource, FirewallAction, FirewallRule, LogonRight, Model, RegistryAction,
    RegistryOp, Scope, UserRight,
};

/// The part of the posture a check belongs to (the columns of the HTML grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    LogonRights,
}

impl Area {
    pub const ALL: [Area; 10] = [
        Self::Connection,
        Self::Security,
        Self::Tls,
        Self::Certificate,
        Self::Firewall,
        Self::Licensing,
        Self::Sessions,
        Self::Redirection,
        Self::Credentials,
        Self::LogonRights,
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
            "logonRights" => Self::LogonRights,
            // Remote Assistance is another way into a session: reported with security.
            "remoteAssistance" => Self::Security,
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
            Self::LogonRights => "logonRights",
        }
    }
}

/// Where the value that counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueSource {
    /// The Group Policy key: it wins while present.
    Policy,
    /// The system's own value (listener, SCHANNEL, ...).
    Local,
    /// Neither exists.
    Absent,
    /// A fact the collector reported (certificate, listener, network, logon rights).
    Snapshot,
    /// Nothing: the inputs hold no evidence for the check.
    None,
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Pass,
    Fail,
    /// The host's inputs hold no evidence for this check; the message says which.
    NotVerified,
    /// It failed, and a waiver of the policy accepts that until it expires.
    Waived,
}

impl Outcome {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::NotVerified => "not verified",
            Self::Waived => "waived",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// What happened; for a check that is not verified, which evidence is missing.
    pub message: String,
    /// The change that repairs the host, for a failing check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The waiver that accepts this failure (or that expired), with its reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<String>,
}

/// A check as a JSON report holds it, read back by `rdpgen report merge`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckRecord {
    id: String,
    field: String,
    area: Area,
    location: String,
    desired: String,
    actual: String,
    source: ValueSource,
    outcome: Outcome,
    severity: FindingSeverity,
    cause: Option<String>,
    message: String,
    #[serde(default)]
    fix: Option<String>,
    #[serde(default)]
    waiver: Option<String>,
}

impl<'de> Deserialize<'de> for Check {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        CheckRecord::deserialize(d).map(Self::from)
    }
}

impl From<CheckRecord> for Check {
    fn from(r: CheckRecord) -> Self {
        Self {
            id: r.id,
            field: r.field,
            area: r.area,
            location: r.location,
            desired: r.desired,
            actual: r.actual,
            source: r.source,
            outcome: r.outcome,
            severity: r.severity,
            // Only a cause the catalog knows: a report cannot invent one.
            cause: r.cause.and_then(|id| catalog::cause(&id).map(|c| c.id)),
            message: r.message,
            fix: r.fix,
            waiver: r.waiver,
        }
    }
}

/// The verdict on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HostStatus {
    /// Every check was verified and passed.
    Compliant,
    /// At least one check failed.
    Drifted,
    /// Nothing failed, but at least one check could not be verified.
    Incomplete,
    /// The host's files could not be read.
    Unreadable,
}

impl HostStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "compliant",
            Self::Drifted => "drifted",
            Self::Incomplete => "incomplete",
            Self::Unreadable => "unreadable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostReport {
    pub host: String,
    pub sources: Vec<String>,
    pub status: HostStatus,
    /// Why the host could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the inputs were evidence of.
    pub evidence: String,
    /// When the host's state was captured (collector snapshots), RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
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
            evidence: "nothing".into(),
            captured_at: None,
            checks: Vec::new(),
        }
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Fail)
    }

    pub fn not_verified(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| c.outcome == Outcome::NotVerified)
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
    // Only a value of the type Windows reads carries the field's meaning.
    let RegistryValue::Dword(n) = value else {
        return raw;
    };
    let n = *n;
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

fn type_name(v: &RegistryValue) -> &'static str {
    match v {
        RegistryValue::Dword(_) => "REG_DWORD",
        RegistryValue::Qword(_) => "REG_QWORD",
        RegistryValue::DwordBigEndian(_) => "REG_DWORD_BIG_ENDIAN",
        RegistryValue::Sz(_) => "REG_SZ",
        RegistryValue::ExpandSz(_) => "REG_EXPAND_SZ",
        RegistryValue::MultiSz(_) => "REG_MULTI_SZ",
        RegistryValue::Binary(_) => "REG_BINARY",
        RegistryValue::None(_) => "REG_NONE",
        RegistryValue::Other { .. } => "another type",
    }
}

/// SCHANNEL reads `Enabled` and `DisabledByDefault` of a protocol key as booleans.
fn is_schannel_flag(op: &RegistryOp) -> bool {
    keys::is_schannel_flag(&op.key, &op.value_name)
}

/// Equal as Windows reads them. The types must match (Windows ignores a REG_SZ where it reads
/// a REG_DWORD); SCHANNEL flags compare as booleans; some strings compare case-insensitively
/// or as sets.
fn equivalent(op: &RegistryOp, want: &RegistryValue, got: &RegistryValue) -> bool {
    if want == got {
        return true;
    }
    let field = op.provenance.field();
    match (want, got) {
        (RegistryValue::Dword(a), RegistryValue::Dword(b)) if is_schannel_flag(op) => {
            (*a != 0) == (*b != 0)
        }
        (RegistryValue::Sz(a), RegistryValue::Sz(b)) => match field {
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

/// The change that repairs a host whose registry value differs from the policy.
/// Whether the policy's artifacts write a registry value the audit checks
/// ([`Model::registry`]) or only the audit reads it ([`Model::audit_registry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    ByArtifacts,
    ByNoArtifact,
}

/// How a registry value on the host compares with the policy's, before any text is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judged {
    /// The host holds another type, which Windows ignores.
    TypeDiffers {
        want: &'static str,
        got: &'static str,
    },
    /// The same value (or both absent).
    Same,
    /// Absent, and Windows' own value for an absent one is the policy's (LmCompatibilityLevel 3).
    AbsentReadsAs(u32),
    /// Anything else.
    Differs,
}

impl Judged {
    fn passes(self) -> bool {
        matches!(self, Self::Same | Self::AbsentReadsAs(_))
    }
}

fn judge(op: &RegistryOp, want: Option<&RegistryValue>, got: Option<&RegistryValue>) -> Judged {
    match (want, got) {
        (Some(want), Some(got)) if type_name(want) != type_name(got) => Judged::TypeDiffers {
            want: type_name(want),
            got: type_name(got),
        },
        (Some(want), Some(got)) if equivalent(op, want, got) => Judged::Same,
        (None, None) => Judged::Same,
        (Some(RegistryValue::Dword(want)), None)
            if catalog::absent_reads_as(&op.key, &op.value_name) == Some(*want) =>
        {
            Judged::AbsentReadsAs(*want)
        }
        _ => Judged::Differs,
    }
}

fn registry_fix(op: &RegistryOp, desired: &str) -> String {
    let target = match op.scope {
        Scope::Policy => "its GPO, `reg/apply.reg` or DSC",
        Scope::Local => "`reg/apply.reg`, DSC or its GPO",
    };
    match &op.action {
        RegistryAction::Set(_) => format!(
            "deploy this policy ({target}): it sets {} to {desired}",
            op.value_name
        ),
        RegistryAction::Delete => format!(
            "deploy this policy ({target}): it deletes {}",
            op.value_name
        ),
    }
}

/// The catalog settings the audit's own checks are filed under, resolved at compile time.
mod fields {
    use crate::catalog::{self, Setting};

    pub const CERTIFICATE_ALLOW_SELF_SIGNED: &Setting =
        catalog::field("certificate.allowSelfSigned");
    pub const CERTIFICATE_EXPIRY_WARNING_DAYS: &Setting =
        catalog::field("certificate.expiryWarningDays");
    pub const CERTIFICATE_MIN_KEY_SIZE: &Setting = catalog::field("certificate.minKeySize");
    pub const CERTIFICATE_REPAIR_KEY_PERMISSIONS: &Setting =
        catalog::field("certificate.repairKeyPermissions");
    pub const CERTIFICATE_TEMPLATE: &Setting = catalog::field("certificate.template");
    pub const CERTIFICATE_THUMBPRINT: &Setting = catalog::field("certificate.thumbprint");
    pub const CONNECTION_ALLOW: &Setting = catalog::field("connection.allow");
    pub const CONNECTION_PORT: &Setting = catalog::field("connection.port");
    pub const FIREWALL_ALLOW_FROM: &Setting = catalog::field("firewall.allowFrom");
    pub const FIREWALL_PROFILES: &Setting = catalog::field("firewall.profiles");
    pub const LOGON_RIGHTS_ALLOW: &Setting = catalog::field("logonRights.allow");
    pub const LOGON_RIGHTS_DENY: &Setting = catalog::field("logonRights.deny");
    pub const TLS_MIN_VERSION: &Setting = catalog::field("tls.minVersion");
}

/// A check being described; `pass`, `fail` or `not_verified` records it.
struct Draft<'a, 'm> {
    auditor: &'a mut Auditor<'m>,
    check: Check,
}

impl Draft<'_, '_> {
    fn at(mut self, location: impl Into<String>) -> Self {
        self.check.location = location.into();
        self
    }
    fn want(mut self, desired: impl Into<String>) -> Self {
        self.check.desired = desired.into();
        self
    }
    fn got(mut self, actual: impl Into<String>, source: ValueSource) -> Self {
        self.check.actual = actual.into();
        self.check.source = source;
        self
    }
    fn warning(mut self) -> Self {
        self.check.severity = FindingSeverity::Warning;
        self
    }
    fn cause(mut self, cause: &'static str) -> Self {
        self.check.cause = Some(cause);
        self
    }
    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.check.fix = Some(fix.into());
        self
    }
    fn outcome(mut self, outcome: Outcome, message: impl Into<String>) {
        self.check.outcome = outcome;
        self.check.message = message.into();
        if outcome != Outcome::Fail {
            self.check.fix = None;
        }
        if outcome == Outcome::NotVerified {
            self.check.actual = "not verified".into();
            self.check.source = ValueSource::None;
        }
        self.auditor.checks.push(self.check);
    }
    fn pass(self, message: impl Into<String>) {
        self.outcome(Outcome::Pass, message);
    }
    fn fail(self, message: impl Into<String>) {
        self.outcome(Outcome::Fail, message);
    }
    fn result(self, ok: bool, pass: impl Into<String>, fail: impl Into<String>) {
        if ok {
            self.pass(pass);
        } else {
            self.fail(fail);
        }
    }
    fn not_verified(self, reason: impl Into<String>) {
        self.outcome(Outcome::NotVerified, reason);
    }
}

struct Auditor<'a> {
    model: &'a Model,
    host: &'a HostState,
    checks: Vec<Check>,
    /// See [`Expected::without_passed_text`].
    passed_text: bool,
}

/// What every host is compared with that depends on the model alone, worked out once per
/// audit run instead of once per host: each firewall rule's expected shape and its text.
pub struct Expected<'m> {
    model: &'m Model,
    rules: Vec<ExpectedRule>,
    passed_text: bool,
}

/// A policy firewall rule as every host is compared with it.
struct ExpectedRule {
    want: RuleShape,
    /// `want` described: the check's desired value.
    desired: String,
    /// The rule string this policy's artifacts write, and what reading it gives: a host that
    /// holds exactly this text (every compliant one) reuses the result instead of parsing it.
    written: Option<(String, Result<Parsed, RuleStringError>)>,
}

/// A host's rule string read as [`Auditor::firewall_check`] reads it: its shape and its
/// description.
#[derive(Clone)]
struct Parsed {
    shape: RuleShape,
    described: String,
}

impl Parsed {
    fn of_text(text: &str) -> Result<Self, RuleStringError> {
        RuleString::parse(text).map(|r| {
            let shape = RuleShape::of_rule_string(&r);
            let described = shape.describe();
            Self { shape, described }
        })
    }
}

impl<'m> Expected<'m> {
    #[must_use]
    pub fn new(model: &'m Model) -> Self {
        let rules = model
            .firewall
            .iter()
            .map(|rule| {
                let want = RuleShape::of_model(rule);
                let desired = want.describe();
                let written = rule.to_rule_string().write().ok().map(|text| {
                    let parsed = Parsed::of_text(&text);
                    (text, parsed)
                });
                ExpectedRule {
                    want,
                    desired,
                    written,
                }
            })
            .collect();
        Self {
            model,
            rules,
            passed_text: true,
        }
    }

    /// For a report that prints no passing check (text without `--verbose`, SARIF, GitHub
    /// annotations, HTML, `--only-findings`): a registry check that passes keeps its id,
    /// field, area, outcome and source, and its location, desired and actual values and
    /// message are left empty instead of being built for every host. Every check that does
    /// not pass is the same as with [`Expected::new`].
    #[must_use]
    pub fn without_passed_text(mut self) -> Self {
        self.passed_text = false;
        self
    }
}

/// Audits one host against the model.
#[must_use]
pub fn audit(model: &Model, host: &HostState) -> HostReport {
    audit_expected(&Expected::new(model), host)
}

/// Audits one host against what [`Expected::new`] worked out for the model: the same report
/// as [`audit`], for many hosts of one model.
#[must_use]
pub fn audit_expected(expected: &Expected<'_>, host: &HostState) -> HostReport {
    let model = expected.model;
    let mut a = Auditor {
        model,
        host,
        checks: Vec::new(),
        passed_text: expected.passed_text,
    };
    // The settings; the firewall's rules are judged by what they do (below), not by their
    // registry form.
    for op in &model.registry {
        a.registry_check(op, Written::ByArtifacts);
    }
    for op in &model.audit_registry {
        a.registry_check(op, Written::ByNoArtifact);
    }
    for (rule, expected) in model.firewall.iter().zip(&expected.rules) {
        a.firewall_check(rule, expected);
    }
    a.effective_firewall_check();
    a.firewall_posture_checks();
    a.certificate_checks();
    for right in &model.logon_rights {
        a.logon_right_check(right);
    }
    a.account_lockout_checks();
    a.consistency_checks();
    let status = verdict(&a.checks);
    HostReport {
        host: host.name.clone(),
        sources: host.sources.clone(),
        status,
        error: None,
        evidence: host.evidence.describe(),
        captured_at: host.captured_at.clone(),
        checks: a.checks,
    }
}

/// The verdict of a host's checks: drifted on any failure; incomplete when something was not
/// verified (or nothing passed); compliant otherwise. A waived failure counts as passing.
#[must_use]
pub fn verdict(checks: &[Check]) -> HostStatus {
    if checks.iter().any(|c| c.outcome == Outcome::Fail) {
        HostStatus::Drifted
    } else if checks.iter().any(|c| c.outcome == Outcome::NotVerified)
        || !checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Pass | Outcome::Waived))
    {
        HostStatus::Incomplete
    } else {
        HostStatus::Compliant
    }
}

impl<'m> Auditor<'m> {
    /// Starts a check filed under `setting`; its cause is the setting's first 0x904/0x7
    /// cause.
    fn check(&mut self, id: impl Into<String>, setting: &'static Setting) -> Draft<'_, 'm> {
        let field = setting.field;
        let cause = setting.causes.first().copied();
        Draft {
            check: Check {
                id: id.into(),
                field: field.to_string(),
                area: Area::of_field(field),
                location: String::new(),
                desired: String::new(),
                actual: String::new(),
                source: ValueSource::Absent,
                outcome: Outcome::NotVerified,
                severity: FindingSeverity::Error,
                cause,
                message: String::new(),
                fix: None,
                waiver: None,
            },
            auditor: self,
        }
    }

    /// The effective value of an operation: the policy value while present, else the local
    /// value the catalog names for the same setting.
    fn effective(
        &self,
        op: &RegistryOp,
        setting: Option<&Setting>,
    ) -> Result<(Option<RegistryValue>, ValueSource, String), String> {
        let policy_path = RegistryPath::new(op.hive, &op.key, &op.value_name);
        let here = path_text(op.hive, &op.key, &op.value_name);
        let local = setting.filter(|_| op.scope == Scope::Policy).and_then(|s| {
            s.local
                .iter()
                .find(|l| l.value_name.eq_ignore_ascii_case(&op.value_name))
        });
        let policy_value = self.host.value(&policy_path);
        match (policy_value, local) {
            (Ok(Some(v)), _) => Ok((
                Some(v.clone()),
                if op.scope == Scope::Policy {
                    ValueSource::Policy
                } else {
                    ValueSource::Local
                },
                here,
            )),
            (policy, Some(l)) => {
                let local_path = RegistryPath::new(Hive::LocalMachine, l.key, l.value_name);
                let local_text = path_text(Hive::LocalMachine, l.key, l.value_name);
                match (self.host.value(&local_path), policy) {
                    (Ok(Some(v)), _) => Ok((Some(v.clone()), ValueSource::Local, local_text)),
                    (_, Err(NotCaptured)) => Err(missing_registry(self.host, &op.key)),
                    // The policy key is evidence and does not set the value; when the local
                    // value was not seen either, this policy's setting is still not enforced.
                    _ => Ok((None, ValueSource::Absent, here)),
                }
            }
            (Ok(None), None) => Ok((None, ValueSource::Absent, here)),
            (Err(NotCaptured), None) => Err(missing_registry(self.host, &op.key)),
        }
    }

    fn registry_check(&mut self, op: &RegistryOp, written: Written) {
        let field = op.provenance.field();
        let setting = Some(op.provenance.setting);
        let admx_policy = op
            .provenance
            .admx
            .filter(|_| field == "admx")
            .and_then(|(file, name)| catalog::admx::of_file(file, name));
        let id = if let Some(p) = admx_policy {
            // `admx:TerminalServer/TS_MAXDISPLAYRES:MaxXResolution`; a value below another key
            // than the policy's (a list's) names the key too.
            if op.key.eq_ignore_ascii_case(p.key) {
                format!("admx:{}:{}", p.id(), op.value_name)
            } else {
                format!("admx:{}:{}\\{}", p.id(), op.key, op.value_name)
            }
        } else if field.starts_with("posture.firewall.") {
            // `...\WindowsFirewall\DomainProfile` → `posture.firewall.enabled:Domain`.
            let profile = op.key.rsplit('\\').next().unwrap_or("");
            let profile = profile.strip_suffix("Profile").unwrap_or(profile);
            format!("{field}:{profile}")
        } else if field == "tls.minVersion" {
            // `...\TLS 1.2\Server` + `Enabled`.
            let version = op.key.rsplit('\\').nth(1).unwrap_or("");
            format!("{field}:{version}:{}", op.value_name)
        } else if setting
            .and_then(|s| s.policy)
            .is_some_and(|p| !p.value_name.eq_ignore_ascii_case(&op.value_name))
        {
            // A second value of one policy (TS_KEEP_ALIVE's KeepAliveInterval): its own check.
            format!("{field}:{}", op.value_name)
        } else {
            field.to_string()
        };
        let desired_value = match &op.action {
            RegistryAction::Set(v) => Some(v),
            RegistryAction::Delete => None,
        };
        let desired =
            || desired_value.map_or_else(|| "absent".to_string(), |v| meaning(setting, v));
        let here = || path_text(op.hive, &op.key, &op.value_name);
        match self.effective(op, setting) {
            Err(reason) => self
                .check(id, op.provenance.setting)
                .at(here())
                .want(desired())
                .not_verified(reason),
            Ok((actual, source, location)) => {
                let judged = judge(op, desired_value, actual.as_ref());
                if judged.passes() && !self.passed_text {
                    // Not printed (see `Expected::without_passed_text`): the outcome, id,
                    // field and source are all a report of this run reads.
                    return self
                        .check(id, op.provenance.setting)
                        .got(String::new(), source)
                        .pass(String::new());
                }
                let desired = desired();
                let fix = if written == Written::ByNoArtifact {
                    // Audited, not written: the policy's artifacts do not carry it.
                    format!(
                        "set {} to {desired} on the host (a host-wide setting rdpgen audits; `posture.mode: enforce` makes every artifact write it)",
                        op.value_name
                    )
                } else {
                    registry_fix(op, &desired)
                };
                let actual_text = actual
                    .as_ref()
                    .map_or_else(|| "absent".to_string(), |v| meaning(setting, v));
                let found = match source {
                    ValueSource::Policy => {
                        format!("{} is {actual_text} in the policy key", op.value_name)
                    }
                    ValueSource::Local if op.scope == Scope::Local => {
                        format!("{} is {actual_text}", op.value_name)
                    }
                    ValueSource::Local => format!(
                        "{} is {actual_text} locally, with no policy value",
                        op.value_name
                    ),
                    ValueSource::Absent | ValueSource::Snapshot | ValueSource::None => {
                        format!("{} is not set", op.value_name)
                    }
                };
                let message = match judged {
                    Judged::TypeDiffers { want, got } => format!(
                        "{found}: Windows reads {} as {want} and ignores a {got}; the policy wants {desired}",
                        op.value_name
                    ),
                    Judged::Same => found,
                    Judged::AbsentReadsAs(want) => {
                        format!("{found}, which Windows reads as {want}")
                    }
                    Judged::Differs => format!("{found}; the policy wants {desired}"),
                };
                let draft = self
                    .check(id, op.provenance.setting)
                    .at(location)
                    .want(desired)
                    .got(actual_text, source)
                    .fix(fix);
                if judged.passes() {
                    draft.pass(message);
                } else {
                    draft.fail(message);
                }
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
            let mut draft = self
                .check(f.id, f.setting)
                .at(f.location)
                .want(f.desired)
                .got(f.actual, ValueSource::Snapshot)
                .fix("deploy this policy's firewall rules (GPO, `reg/apply.reg` or DSC), or remove or narrow the rule named");
            draft.check.cause = f.cause;
            if f.severity == FindingSeverity::Warning {
                draft = draft.warning();
            }
            draft.outcome(f.outcome, f.message);
        }
    }

    /// `posture.firewall` in audit mode: each profile's switch as Windows applies it (the
    /// Group Policy value, else the host's own, else Windows' default where the host file shows
    /// both locations empty). In enforce mode the Group Policy values are registry checks.
    fn firewall_posture_checks(&mut self) {
        use super::firewall::{PROFILE_NAMES, Source, profile_settings};
        let Some(fp) = self.model.firewall_posture.filter(|f| !f.enforced) else {
            return;
        };
        const ENABLED: &Setting = catalog::field("posture.firewall.enabled");
        const INBOUND: &Setting = catalog::field("posture.firewall.defaultInbound");
        const LOCAL: &Setting = catalog::field("posture.firewall.localRules");
        for (i, profile) in PROFILE_NAMES.iter().enumerate() {
            let seen = profile_settings(self.host, i);
            let pol = format!("{}\\{}", keys::FWPOL, keys::FW_POLICY_PROFILES[i]);
            let local = format!("{}\\{}", keys::FWLOCAL, keys::FW_LOCAL_PROFILES[i]);
            let host = self.host;
            // Windows' default applies only where the host file shows the value absent in every
            // place it could be set.
            let absent = |name: &str, places: &[&str]| {
                host.firewall.is_none()
                    && places.iter().all(|k| {
                        matches!(
                            host.value(&RegistryPath::new(Hive::LocalMachine, k, name)),
                            Ok(None)
                        )
                    })
            };
            for (setting, name, want, got, default, places, words) in [
                (
                    ENABLED,
                    keys::FW_ENABLE,
                    fp.enabled,
                    seen.enabled,
                    true,
                    vec![pol.as_str(), local.as_str()],
                    ("on", "off"),
                ),
                (
                    INBOUND,
                    keys::FW_DEFAULT_INBOUND,
                    fp.default_block,
                    seen.default_block,
                    true,
                    vec![pol.as_str(), local.as_str()],
                    ("block", "allow"),
                ),
                (
                    LOCAL,
                    keys::FW_LOCAL_POLICY_MERGE,
                    fp.merge_local,
                    seen.merge_local,
                    true,
                    vec![pol.as_str()],
                    ("merged", "ignored"),
                ),
            ] {
                let Some(want) = want else { continue };
                let word = |b: bool| if b { words.0 } else { words.1 };
                let id = format!("{}:{profile}", setting.field);
                let at = format!("HKLM\\{pol}\\{name}");
                let fix = format!(
                    "set {name} of the {profile} profile through Group Policy (`posture.mode: enforce` writes it), or on the host"
                );
                let draft = self
                    .check(id, setting)
                    .at(at)
                    .want(word(want).to_string())
                    .fix(fix);
                let (value, source, from) = match got {
                    Some((v, Source::Policy)) => (v, ValueSource::Policy, "by Group Policy"),
                    Some((v, Source::Local)) => (v, ValueSource::Local, "on the host"),
                    None if absent(name, &places) => (
                        default,
                        ValueSource::Absent,
                        "by Windows' default (no value set)",
                    ),
                    None => {
                        draft.not_verified(format!(
                            "the host file shows neither the Group Policy nor the host's {name} of the {profile} profile"
                        ));
                        continue;
                    }
                };
                let message = format!("{profile} profile: {name} is {} {from}", word(value));
                let draft = draft.got(word(value).to_string(), source);
                if value == want {
                    draft.pass(message);
                } else {
                    draft.fail(format!("{message}; the policy wants {}", word(want)));
                }
            }
        }
    }

    fn firewall_check(&mut self, rule: &FirewallRule, expected: &ExpectedRule) {
        let (want, desired) = (&expected.want, expected.desired.as_str());
        let setting = if rule.remote_addresses.is_empty() {
            fields::FIREWALL_PROFILES
        } else {
            fields::FIREWALL_ALLOW_FROM
        };
        let id = format!("firewall:{}", rule.id);
        let location = format!("HKLM\\{}\\{}", keys::FWPOL_RULES, rule.id);
        let path = RegistryPath::new(Hive::LocalMachine, keys::FWPOL_RULES, &rule.id);
        let from_registry = match self.host.value(&path) {
            Ok(Some(RegistryValue::Sz(text))) => Some(Ok(match &expected.written {
                Some((written, parsed)) if written == text => parsed.clone(),
                _ => Parsed::of_text(text),
            })),
            Ok(Some(other)) => Some(Ok(Err(RuleStringError::BadValue {
                field: "type".into(),
                value: value_text(other),
            }))),
            Ok(None) => Some(Err(())),
            Err(NotCaptured) => None,
        };
        let from_snapshot = self.host.firewall.as_ref().and_then(|f| {
            f.rules
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(&rule.id))
                .map(|r| {
                    let shape = RuleShape::of_snapshot(r);
                    let described = shape.describe();
                    Parsed { shape, described }
                })
        });
        let host = self.host;
        let mut draft = self
            .check(id, setting)
            .at(location)
            .want(desired)
            .fix("deploy this policy's GPO (or DSC) firewall rules");
        let verb = match rule.action {
            FirewallAction::Allow => "allows",
            FirewallAction::Block => "is",
        };
        if rule.action == FirewallAction::Block {
            // A missing block rule widens the scope; it is not a reason RDP fails (C5).
            draft.check.cause = None;
        }
        match (from_registry, from_snapshot) {
            (Some(Ok(Ok(got))), _) | (_, Some(got)) => {
                let actual = got.described;
                let ok = got.shape == *want;
                draft.got(actual.clone(), ValueSource::Policy).result(
                    ok,
                    format!("rule `{}` {verb} {actual}", rule.id),
                    format!(
                        "rule `{}` {verb} {actual}; the policy wants {desired}",
                        rule.id
                    ),
                );
            }
            (Some(Ok(Err(e))), None) => draft
                .got("unreadable rule", ValueSource::Policy)
                .fail(format!("the rule `{}` cannot be parsed: {e}", rule.id)),
            (Some(Err(())), None) => {
                draft
                    .got("absent", ValueSource::Absent)
                    .fail(match rule.action {
                        FirewallAction::Allow => format!(
                            "the allow rule `{}` is missing: RDP is not allowed by this policy's rule",
                            rule.id
                        ),
                        FirewallAction::Block => format!(
                            "the block rule `{}` is missing: other allow rules can widen the policy's scope",
                            rule.id
                        ),
                    });
            }
            (None, None) => draft.not_verified(format!(
                "the inputs hold no firewall rules (they cover {})",
                host.evidence.describe()
            )),
        }
    }

    /// The certificate fields the policy sets, each with the id of its check.
    fn certificate_fields(&self) -> Vec<(&'static str, &'static Setting)> {
        let req = &self.model.certificate;
        let mut out = Vec::new();
        if req.expiry_warning_days.is_some() || req.source != CertificateSource::Unmanaged {
            out.push((
                "certificate.expiry",
                fields::CERTIFICATE_EXPIRY_WARNING_DAYS,
            ));
        }
        if req.allow_self_signed == Some(false) {
            out.push((
                "certificate.selfSigned",
                fields::CERTIFICATE_ALLOW_SELF_SIGNED,
            ));
        }
        if req.min_key_size.is_some() {
            out.push(("certificate.keySize", fields::CERTIFICATE_MIN_KEY_SIZE));
        }
        if self.model.host_actions.iter().any(|a| {
            matches!(
                a,
                crate::model::HostAction::RepairPrivateKeyPermissions { .. }
            )
        }) {
            out.push((
                "certificate.privateKey",
                fields::CERTIFICATE_REPAIR_KEY_PERMISSIONS,
            ));
        }
        if let CertificateSource::Thumbprint(_) = &req.source {
            out.push(("certificate.binding", fields::CERTIFICATE_THUMBPRINT));
        }
        out
    }

    fn certificate_checks(&mut self) {
        let fields = self.certificate_fields();
        if fields.is_empty() {
            return;
        }
        if !self.host.evidence.certificate {
            let reason = format!(
                "the inputs hold no listener certificate (a collector snapshot's `certificate` section; they cover {})",
                self.host.evidence.describe()
            );
            for (id, field) in fields {
                self.check(id, field)
                    .at("RDP-Tcp listener certificate")
                    .not_verified(reason.clone());
            }
            return;
        }
        let req = self.model.certificate.clone();
        let Some(cert) = self.host.certificate.clone() else {
            self.check("certificate.inUse", fields::CERTIFICATE_THUMBPRINT)
                .at("RDP-Tcp listener certificate")
                .want("a certificate")
                .got("none reported", ValueSource::Snapshot)
                .fix(bind_fix())
                .fail("the collector found no certificate for the RDP-Tcp listener");
            return;
        };
        let location = format!("certificate {} ({})", cert.thumbprint, cert.subject);
        let now = self.host.captured_at.as_deref().and_then(parse_rfc3339);
        let not_after = parse_rfc3339(&cert.not_after);
        let not_before = parse_rfc3339(&cert.not_before);
        let warn_days = req.expiry_warning_days.map(i64::from);
        let desired = warn_days.map_or_else(
            || "not expired".to_string(),
            |w| format!("valid for at least {w} more days"),
        );
        if let (Some(now), Some(end)) = (now, not_after) {
            let days_left = (end - now).div_euclid(86_400);
            let draft = self
                .check("certificate.expiry", fields::CERTIFICATE_EXPIRY_WARNING_DAYS)
                .at(location.clone())
                .want(desired)
                .got(
                    format!(
                        "expires {} ({days_left} days after capture)",
                        cert.not_after
                    ),
                    ValueSource::Snapshot,
                )
                .fix(if cert.self_signed {
                    "bind a CA-issued certificate (`certificate.template` for auto-enrolment, or `certificate.thumbprint`); to recover now, delete the self-signed certificate from Cert:\\LocalMachine\\Remote Desktop and restart SessionEnv".to_string()
                } else {
                    "renew the listener certificate: auto-enrolment from `certificate.template`, or bind the renewed one with `certificate.thumbprint`".to_string()
                });
            if end <= now {
                draft.fail(format!(
                    "the listener certificate expired on {}",
                    cert.not_after
                ));
            } else if warn_days.is_some_and(|w| days_left < w) {
                draft.warning().fail(format!(
                    "the listener certificate expires in {days_left} days, on {}",
                    cert.not_after
                ));
            } else if not_before.is_some_and(|b| b > now) {
                draft.fail(format!(
                    "the listener certificate is not valid before {}",
                    cert.not_before
                ));
            } else {
                draft.pass(format!(
                    "the listener certificate is valid for {days_left} more days"
                ));
            }
        } else if fields.iter().any(|(id, _)| *id == "certificate.expiry") {
            self.check(
                "certificate.expiry",
                fields::CERTIFICATE_EXPIRY_WARNING_DAYS,
            )
            .at(location.clone())
            .want(desired)
            .not_verified(if now.is_none() {
                "the snapshot has no usable capture time (`capturedAt`)"
            } else {
                "the certificate's NotAfter is not an RFC 3339 time"
            });
        }
        if req.allow_self_signed == Some(false) {
            self.check(
                "certificate.selfSigned",
                fields::CERTIFICATE_ALLOW_SELF_SIGNED,
            )
            .at(location.clone())
            .want("issued by a CA")
            .got(
                if cert.self_signed {
                    "self-signed".to_string()
                } else {
                    format!("issued by {}", cert.issuer)
                },
                ValueSource::Snapshot,
            )
            .fix(bind_fix())
            .result(
                !cert.self_signed,
                "the listener certificate is CA-issued",
                "the listener uses a self-signed certificate, which the policy does not allow",
            );
        }
        if let Some(min) = req.min_key_size {
            let draft = self
                .check("certificate.keySize", fields::CERTIFICATE_MIN_KEY_SIZE)
                .at(location.clone())
                .want(format!("at least {min} bits"));
            match cert.key_size {
                Some(size) => draft
                    .got(format!("{size} bits"), ValueSource::Snapshot)
                    .fix(format!(
                        "enrol or bind a certificate with a key of at least {min} bits (the template's minimum key size, or `certificate.thumbprint`)"
                    ))
                    .result(
                        size >= min,
                        format!("the key has {size} bits"),
                        format!("the key has {size} bits, fewer than {min}"),
                    ),
                None => draft.not_verified("the snapshot holds no key size"),
            }
        }
        const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
        const RD_AUTH: &str = "1.3.6.1.4.1.311.54.1.2";
        // A certificate without an EKU extension is valid for every purpose.
        let eku_ok =
            cert.ekus.is_empty() || cert.ekus.iter().any(|e| e == SERVER_AUTH || e == RD_AUTH);
        let osquery = self.host.evidence.osquery;
        if osquery {
            self.check("certificate.eku", fields::CERTIFICATE_TEMPLATE)
                .at(location.clone())
                .want("Server Authentication or Remote Desktop Authentication EKU")
                .not_verified("osquery's certificates table has no extended key usages");
        } else {
            self.check("certificate.eku", fields::CERTIFICATE_TEMPLATE)
            .at(location.clone())
            .want("Server Authentication or Remote Desktop Authentication EKU")
            .got(
                if cert.ekus.is_empty() {
                    "no EKU extension (any purpose)".to_string()
                } else {
                    cert.ekus.join(", ")
                },
                ValueSource::Snapshot,
            )
            .fix("enrol from a template whose EKUs include Server Authentication or Remote Desktop Authentication, or bind such a certificate")
            .result(
                eku_ok,
                "the certificate may authenticate a server",
                "the certificate lacks the Server Authentication and Remote Desktop Authentication EKUs (event 1054)",
            );
        }
        let draft = self
            .check(
                "certificate.privateKey",
                fields::CERTIFICATE_REPAIR_KEY_PERMISSIONS,
            )
            .want("NETWORK SERVICE can read the private key");
        match cert.network_service_can_read_key {
            None if osquery => draft
                .at(location.clone())
                .not_verified("osquery cannot read the private key file's ACL"),
            Some(ok) => draft
                .at(cert.key_file.clone().unwrap_or_else(|| location.clone()))
                .got(if ok { "readable" } else { "not readable" }, ValueSource::Snapshot)
                .fix("grant NETWORK SERVICE read on that key file only: apply this policy's DSC with `certificate.repairKeyPermissions: true` (event 1055 until then)")
                .result(
                    ok,
                    "NETWORK SERVICE can read the private key",
                    "NETWORK SERVICE cannot read the private key file under MachineKeys",
                ),
            None => draft
                .at(location.clone())
                .got("key file not found", ValueSource::Snapshot)
                .fix("re-import the certificate with its private key into LocalMachine\\My (or re-enrol from `certificate.template`)")
                .fail("the private key file of the listener certificate was not found"),
        }
        if let CertificateSource::Thumbprint(want) = &req.source {
            let got = cert.thumbprint.to_ascii_uppercase().replace([' ', ':'], "");
            let ok = &got == want;
            self.check("certificate.binding", fields::CERTIFICATE_THUMBPRINT)
                .at(location)
                .want(want.clone())
                .got(got.clone(), ValueSource::Snapshot)
                .fix("apply this policy's DSC configuration: it binds the pinned certificate to RDP-Tcp")
                .result(
                    ok,
                    "the listener uses the pinned certificate".to_string(),
                    format!("the listener uses {got}, not the pinned {want}"),
                );
        }
    }

    fn logon_right_check(&mut self, right: &LogonRight) {
        let (field, right_name) = match right.right {
            UserRight::SeRemoteInteractiveLogonRight => {
                (fields::LOGON_RIGHTS_ALLOW, "SeRemoteInteractiveLogonRight")
            }
            UserRight::SeDenyRemoteInteractiveLogonRight => (
                fields::LOGON_RIGHTS_DENY,
                "SeDenyRemoteInteractiveLogonRight",
            ),
        };
        let desired = right
            .accounts
            .iter()
            .map(account_text)
            .collect::<Vec<_>>()
            .join(", ");
        let host = self.host;
        let draft = self
            .check(field.field, field)
            .at(format!("GptTmpl.inf [Privilege Rights] {right_name}"))
            .want(if desired.is_empty() {
                "no account".to_string()
            } else {
                desired
            })
            .fix(format!(
                "deploy this policy's GPO (its GptTmpl.inf sets {right_name} to exactly these accounts)"
            ));
        if !host.evidence.logon_rights {
            draft.not_verified(format!(
                "the inputs hold no logon rights (a collector snapshot's `logonRights` section or a GPO's GptTmpl.inf; they cover {})",
                host.evidence.describe()
            ));
            return;
        }
        let held = host.logon_rights.as_ref().and_then(|r| match right.right {
            UserRight::SeRemoteInteractiveLogonRight => r.allow.as_ref(),
            UserRight::SeDenyRemoteInteractiveLogonRight => r.deny.as_ref(),
        });
        let Some(held) = held else {
            draft
                .got("not set", ValueSource::Absent)
                .fail(format!("{right_name} is not set"));
            return;
        };
        let missing: Vec<String> = right
            .accounts
            .iter()
            .filter(|a| !held.iter().any(|m| account_matches(a, m)))
            .map(account_text)
            .collect();
        let extra: Vec<String> = held
            .iter()
            .filter(|m| !right.accounts.iter().any(|a| account_matches(a, m)))
            .map(|m| member_text(m))
            .collect();
        let actual = if held.is_empty() {
            "no account".to_string()
        } else {
            held.iter()
                .map(|m| member_text(m))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("lacks {}", missing.join(", ")));
        }
        if !extra.is_empty() {
            problems.push(format!("also holds {}", extra.join(", ")));
        }
        draft.got(actual.clone(), ValueSource::Snapshot).result(
            problems.is_empty(),
            format!("{right_name} holds exactly {actual}"),
            format!("{right_name} {}", problems.join(" and ")),
        );
    }

    /// `posture.accountLockout`: each number the policy sets against the host's
    /// `[System Access]` (a collector's secedit export or a GPO's GptTmpl.inf). Evidence that
    /// lacks a line shows it is not set; inputs without that section prove nothing.
    fn account_lockout_checks(&mut self) {
        let Some(want) = self.model.account_lockout else {
            return;
        };
        fn minutes(m: i64) -> String {
            match m {
                -1 => "until an administrator unlocks the account".to_string(),
                1 => "1 minute".to_string(),
                m => format!("{m} minutes"),
            }
        }
        fn admin(v: i64) -> String {
            if v == 0 {
                "0 (the Administrator is never locked out)".to_string()
            } else {
                format!("{v} (the Administrator is locked out like other accounts)")
            }
        }
        fn count(v: i64) -> String {
            match v {
                0 => "0 (never locks)".to_string(),
                1 => "1 failed logon".to_string(),
                v => format!("{v} failed logons"),
            }
        }
        /// Field, `[System Access]` name, the policy's number, the host's, and how to say it.
        type Row = (
            &'static str,
            &'static str,
            Option<i64>,
            Option<i64>,
            fn(i64) -> String,
        );
        let host = self.host;
        let seen = host.account_lockout;
        let rows: [Row; 4] = [
            (
                "posture.accountLockout.threshold",
                keys::LOCKOUT_BAD_COUNT,
                want.threshold.map(i64::from),
                seen.and_then(|s| s.threshold),
                count,
            ),
            (
                "posture.accountLockout.duration",
                keys::LOCKOUT_DURATION,
                want.duration,
                seen.and_then(|s| s.duration),
                minutes,
            ),
            (
                "posture.accountLockout.resetAfter",
                keys::LOCKOUT_RESET,
                want.reset_after.map(i64::from),
                seen.and_then(|s| s.reset_after),
                minutes,
            ),
            (
                "posture.accountLockout.administrator",
                keys::LOCKOUT_ADMINISTRATOR,
                want.administrator.map(i64::from),
                seen.and_then(|s| s.administrator),
                admin,
            ),
        ];
        // The benchmarks' direction (CIS 1.2.x, WN22-AC-0000x0): fewer failed logons, a longer
        // or administrator-only unlock and a longer reset window are at least as strict, so a
        // host that is stricter than the policy's number passes; `build` writes the number.
        let meets = |name: &str, want: i64, got: i64| match name {
            keys::LOCKOUT_BAD_COUNT if want == 0 => got == 0,
            keys::LOCKOUT_BAD_COUNT => (1..=want).contains(&got),
            keys::LOCKOUT_DURATION if want == -1 => got == -1,
            keys::LOCKOUT_DURATION => got == -1 || got >= want,
            keys::LOCKOUT_RESET => got >= want,
            _ => got == want,
        };
        let wanted = |name: &str, want: i64, text: fn(i64) -> String| match name {
            keys::LOCKOUT_BAD_COUNT if want > 0 => format!("at most {} (not 0)", text(want)),
            keys::LOCKOUT_DURATION if want != -1 => format!(
                "at least {} (or until an administrator unlocks the account)",
                text(want)
            ),
            keys::LOCKOUT_RESET => format!("at least {}", text(want)),
            _ => text(want),
        };
        // With no threshold Windows locks no account: the duration and reset it holds apply to
        // nothing (secedit then leaves them out of its export).
        let never_locks =
            seen.and_then(|s| s.threshold) == Some(0) && want.threshold.is_some_and(|t| t > 0);
        let gpo_only = host.evidence.account_lockout == LockoutEvidence::Gpo;
        let source = if gpo_only {
            ValueSource::Policy
        } else {
            ValueSource::Snapshot
        };
        // What a pass covers: a GPO's line is what it applies; a collector's export is the
        // host's SAM, which on a member server holds only its local accounts.
        let scope = if gpo_only {
            " in the GPO"
        } else {
            " in the host's security policy (on a member server: its local accounts)"
        };
        for (field, name, desired, got, text) in rows {
            let Some(desired) = desired else { continue };
            let setting = catalog::field(field);
            let fix = if want.enforced {
                format!("deploy this policy's GPO (its GptTmpl.inf sets {name})")
            } else if name == keys::LOCKOUT_ADMINISTRATOR && got.is_none() {
                "install the October 2022 (KB5020282) or later updates, which add the setting, then set it in the host's security policy or with `posture.mode: enforce`".to_string()
            } else {
                format!(
                    "set {name} in the security policy that governs the host (for domain accounts the GPO linked at the domain root), or write it with `posture.mode: enforce`"
                )
            };
            let want_text = wanted(name, desired, text);
            let draft = self
                .check(field, setting)
                .at(format!("GptTmpl.inf [System Access] {name}"))
                .want(want_text.clone())
                .fix(fix);
            if host.evidence.account_lockout == LockoutEvidence::None {
                draft.not_verified(format!(
                    "the inputs hold no account lockout policy (a collector snapshot's `accountLockout` section or a GPO's GptTmpl.inf; they cover {})",
                    host.evidence.describe()
                ));
                continue;
            }
            let applies_to_nothing =
                never_locks && matches!(name, keys::LOCKOUT_DURATION | keys::LOCKOUT_RESET);
            match got {
                _ if applies_to_nothing => draft
                    .got("not applicable", source)
                    .fail(format!(
                        "{name} has no effect: {} is 0, so no account is ever locked",
                        keys::LOCKOUT_BAD_COUNT
                    )),
                None if gpo_only => draft.not_verified(format!(
                    "the GPO does not set {name}, which says nothing of the host: the account lockout of domain accounts comes from the GPO linked at the domain root, that of local accounts from the host's own policy"
                )),
                None => draft
                    .got("not set", ValueSource::Absent)
                    .fail(format!("{name} is not set")),
                Some(v) => draft.got(text(v), source).result(
                    meets(name, desired, v),
                    format!("{name} is {}{scope}", text(v)),
                    format!("{name} is {}; the policy wants {want_text}", text(v)),
                ),
            }
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
        let tls12 = keys::tls_server_key(crate::model::TlsVersion::Tls12);
        let enabled = self.host.registry.get(&RegistryPath::new(
            Hive::LocalMachine,
            &tls12,
            keys::SCHANNEL_ENABLED,
        ));
        let layer_uses_tls = !matches!(layer, Some(RegistryValue::Dword(0)));
        if layer_uses_tls && matches!(enabled, Some(RegistryValue::Dword(0))) {
            self.check("consistency.tls12", fields::TLS_MIN_VERSION)
                .at(path_text(Hive::LocalMachine, &tls12, keys::SCHANNEL_ENABLED))
                .want("TLS 1.2 enabled for the TLS-capable security layer")
                .got("REG_DWORD 0 (disabled)", ValueSource::Local)
                .fix("enable TLS 1.2 on the server (`tls.minVersion: \"1.2\"`, deployed) and restart TermService")
                .fail("TLS 1.2 is disabled on the server while the security layer needs TLS");
        }
        // C5: a network categorised Public while the RDP rules exclude the public profile.
        if let Some(fw) = &self.host.firewall
            && let Some(rule) = self.model.firewall.first()
            && !rule.profiles.is_empty()
            && !rule
                .profiles
                .contains(&crate::model::FirewallProfile::Public)
        {
            let public: Vec<String> = fw
                .network_categories
                .iter()
                .filter(|n| n.category.eq_ignore_ascii_case("Public"))
                .map(|n| n.interface.clone())
                .collect();
            if self.host.evidence.osquery && fw.network_categories.is_empty() {
                self.check("consistency.networkCategory", fields::FIREWALL_PROFILES)
                    .at("network categories")
                    .want("a network category the RDP rules cover")
                    .not_verified("osquery has no table of the networks' categories (Public, Private, DomainAuthenticated)");
            }
            for interface in public {
                self.check(format!("consistency.networkCategory:{interface}"), fields::FIREWALL_PROFILES)
                    .at(format!("network {interface}"))
                    .want("a network category the RDP rules cover")
                    .got("Public", ValueSource::Snapshot)
                    .warning()
                    .fix("correct the network's category (Set-NetConnectionProfile, or the domain network's NLA detection); adding `public` to `firewall.profiles` only accepts the risk")
                    .fail(format!("interface `{interface}` is categorised Public, where this policy's RDP rules do not apply"));
            }
        }
        // C6: Remote Desktop wanted, but the listener disabled or logons disabled or drained.
        if self.wants_connections() {
            self.listener_flag_checks();
        }
        // C7: nothing listens on the listener's port.
        if self.wants_connections() {
            let host = self.host;
            let draft = self
                .check("consistency.listening", fields::CONNECTION_PORT)
                .at("RDP-Tcp listener")
                .want("listening")
                .fix("start TermService and check which process holds the port (`netstat -abno`)");
            match host.listener.as_ref().map(|l| l.listening) {
                None => draft.not_verified(format!(
                    "the inputs hold no listener state (a collector snapshot's `listener` section; they cover {})",
                    host.evidence.describe()
                )),
                Some(None) => draft.not_verified("the collector could not tell whether anything listens on the RDP port"),
                Some(Some(true)) => draft
                    .got("listening", ValueSource::Snapshot)
                    .pass("the RDP port has a listener"),
                Some(Some(false)) => draft
                    .got("not listening", ValueSource::Snapshot)
                    .fail("nothing listens on the RDP port"),
            }
        }
    }

    fn wants_connections(&self) -> bool {
        self.model.registry.iter().any(|op| {
            op.provenance.field() == "connection.allow"
                && matches!(op.action, RegistryAction::Set(RegistryValue::Dword(0)))
        })
    }

    /// C6: `fEnableWinStation` of RDP-Tcp, `WinStationsDisabled` (`change logon /disable`)
    /// and `TSServerDrainMode` (`change logon /drain`), read where the evidence has them.
    fn listener_flag_checks(&mut self) {
        let flags: [(&str, &str, &str, u32, &str); 3] = [
            (
                "consistency.listenerEnabled",
                keys::RDP_TCP,
                keys::LISTENER_ENABLED,
                1,
                "the RDP-Tcp listener is disabled (fEnableWinStation = 0)",
            ),
            (
                "consistency.logonsEnabled",
                keys::TERMINAL_SERVER,
                keys::LOGONS_DISABLED,
                0,
                "logons are disabled (`change logon /disable`, WinStationsDisabled = 1)",
            ),
            (
                "consistency.drainMode",
                keys::TERMINAL_SERVER,
                keys::DRAIN_MODE,
                0,
                "new logons are refused: the server is draining (`change logon /drain`, TSServerDrainMode)",
            ),
        ];
        let host = self.host;
        for (id, key, name, good, bad) in flags {
            let path = RegistryPath::new(Hive::LocalMachine, key, name);
            let draft = self
                .check(id, fields::CONNECTION_ALLOW)
                .at(path_text(Hive::LocalMachine, key, name))
                .want(format!("REG_DWORD {good} or absent"))
                .cause("C6")
                .fix("`change logon /enable` (or reset the listener flag) and restart TermService");
            match host.value(&path) {
                Err(NotCaptured) => draft.not_verified(missing_registry(host, key)),
                Ok(None) => draft
                    .got("absent", ValueSource::Absent)
                    .pass(format!("{name} is not set")),
                Ok(Some(v)) => {
                    let ok = match (id, v) {
                        ("consistency.listenerEnabled", RegistryValue::Dword(n)) => *n != 0,
                        (_, RegistryValue::Dword(n)) => *n == good,
                        _ => false,
                    };
                    draft.got(value_text(v), ValueSource::Local).result(
                        ok,
                        format!("{name} is {}", value_text(v)),
                        bad,
                    );
                }
            }
        }
    }
}

fn missing_registry(host: &HostState, key: &str) -> String {
    format!(
        "the inputs hold no evidence of `HKLM\\{key}` (they cover {})",
        host.evidence.describe()
    )
}

fn bind_fix() -> &'static str {
    "bind a CA-issued certificate: `certificate.template` (auto-enrolment) or `certificate.thumbprint`; `certificate.allowSelfSigned: true` would only accept the risk, it does not repair the host"
}

/// Well-known domain groups by relative id: `Domain Admins` is `S-1-5-21-<domain>-512` on
/// every domain.
const DOMAIN_RIDS: &[(&str, &str)] = &[
    ("Domain Admins", "512"),
    ("Domain Users", "513"),
    ("Domain Guests", "514"),
    ("Domain Computers", "515"),
    ("Domain Controllers", "516"),
    ("Schema Admins", "518"),
    ("Enterprise Admins", "519"),
    ("Group Policy Creator Owners", "520"),
    ("Protected Users", "525"),
];

fn account_text(a: &Account) -> String {
    match &a.sid {
        Some(sid) if !a.name.eq_ignore_ascii_case(sid) => format!("{} ({sid})", a.name),
        _ => a.name.clone(),
    }
}

fn member_text(m: &str) -> String {
    let bare = m.strip_prefix('*').unwrap_or(m);
    match catalog::accounts::name_of(bare) {
        Some(name) => format!("{name} ({bare})"),
        None => bare.to_string(),
    }
}

/// `CORP\Domain Admins` → `domain admins`; `BUILTIN\Guests` → `guests`.
fn bare_name(name: &str) -> String {
    name.rsplit('\\')
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase()
}

/// Whether a member of a host's (or GPO's) right is the policy's account: the same SID; a
/// well-known domain group by its relative id; or the same name (ignoring a domain prefix).
fn account_matches(account: &Account, member: &str) -> bool {
    let bare = member.strip_prefix('*').unwrap_or(member);
    let member_sid = if bare.to_ascii_uppercase().starts_with("S-1-") {
        Some(bare.to_ascii_uppercase())
    } else {
        catalog::accounts::sid_of(&bare_name(bare)).map(|s| s.to_ascii_uppercase())
    };
    let account_sid = account
        .sid
        .clone()
        .or_else(|| catalog::accounts::sid_of(&bare_name(&account.name)))
        .map(|s| s.to_ascii_uppercase());
    match (&account_sid, &member_sid) {
        (Some(a), Some(m)) => return a == m,
        (None, Some(m)) => {
            let name = bare_name(&account.name);
            return DOMAIN_RIDS.iter().any(|(group, rid)| {
                group.eq_ignore_ascii_case(&name)
                    && m.starts_with("S-1-5-21-")
                    && m.rsplit('-').next() == Some(rid)
            });
        }
        _ => {}
    }
    if account.name.contains('\\') && bare.contains('\\') {
        account.name.eq_ignore_ascii_case(bare)
    } else {
        bare_name(&account.name) == bare_name(bare)
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

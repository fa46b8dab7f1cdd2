//! `dsc/RdpPosture.ps1`: a PowerShell DSC configuration (`RdpPosture`) and its rollback
//! (`RdpPostureRollback`), rendered from `templates/dsc/`.
//!
//! - Every registry operation of the model becomes a PSDesiredStateConfiguration `Registry`
//!   resource, except the Group Policy form of the firewall rules (values under the
//!   `FirewallRules` policy key), which become NetworkingDsc `Firewall` resources instead.
//! - Host actions become `Script` resources: binding the listener certificate through
//!   `Win32_TSGeneralSetting`, and granting NETWORK SERVICE read on one private key file.
//!   The binding is the one mechanism for the listener certificate here: the model's
//!   `SSLCertificateSHA1Hash` registry value is not also written by a `Registry` resource
//!   (two unordered writers of one value, the registry one unchecked), and the binding
//!   `DependsOn` `Script ListenerCertificateCheck`, which fails unless the certificate, with
//!   its private key, is in `Cert:\LocalMachine\My`: DSC then skips everything that depends
//!   on it.
//! - Every policy string reaches the script as a single-quoted literal made by
//!   [`crate::escape::powershell`]; the templates paste values and never quote them. Script
//!   blocks read their one input (a thumbprint) through a `$using:` variable.

pub(in crate::emit) mod names;

use std::fmt::Write as _;
use std::sync::OnceLock;

use handlebars::Handlebars;
use serde::Serialize;

use super::{Artifact, EmitError, Target};
use crate::catalog::{State, keys};
use crate::escape::powershell::{self, ArrayLiteral, CommentText, Literal, comment_text, literal};
use crate::firewall_address::FirewallAddress;
use crate::formats::RegistryValue;
use crate::model::FirewallProfile;
use crate::model::{CertificateSource, FirewallRule, HostAction, Model, Protocol, RegistryOp};
use names::{Namer, registry_words, words};

/// Whether this back end is finished.
pub const AVAILABLE: bool = true;

/// The path of the artifact, below `<out>/<policy>/`.
pub const PATH: &str = "dsc/RdpPosture.ps1";

/// NetworkingDsc release the configuration imports (`Firewall`). 9.0.0 is the current stable
/// release on the PowerShell Gallery (later versions are previews or add nothing `Firewall`
/// uses) and the one the DSC_Firewall schema in formats.md §6.2 describes.
pub const NETWORKING_DSC_VERSION: &str = "9.0.0";

/// The inbox PSDesiredStateConfiguration of Windows PowerShell 5.1 (`Registry`, `Script`).
/// Pinning the inbox version keeps a gallery PSDesiredStateConfiguration 2.x, if one is
/// installed, from being picked (formats.md §6.3).
pub const PSDSC_VERSION: &str = "1.1";

const MAIN: &str = include_str!("../../templates/dsc/RdpPosture.ps1.hbs");
const CONFIGURATION: &str = include_str!("../../templates/dsc/configuration.ps1.hbs");
const KEY_FILE: &str = include_str!("../../templates/dsc/key-file.ps1.hbs");

#[derive(Serialize)]
struct Document {
    version: &'static str,
    policy: CommentText,
    policy_hash: CommentText,
    description: Option<CommentText>,
    gpo_display_name: CommentText,
    logon_rights: bool,
    /// `posture.accountLockout` in enforce mode: the SAM, not the registry.
    account_lockout: bool,
    /// What RdpPostureRollback restores, one comment line each.
    rollback_notes: Vec<CommentText>,
    psdsc_version: &'static str,
    networking_dsc_version: &'static str,
    apply: Configuration,
    rollback: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    name: &'static str,
    networking: bool,
    registry: Vec<RegistryResource>,
    firewall: Vec<FirewallResource>,
    bind_listener: Option<BindListener>,
    repair_key: Option<RepairKey>,
}

#[derive(Serialize)]
struct RegistryResource {
    name: String,
    comment: CommentText,
    key: Literal,
    value_name: Literal,
    /// `None` with `ensure` Absent.
    value_type: Option<Literal>,
    value_data: Option<ValueData>,
    ensure: &'static str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ValueData {
    One(Literal),
    Many(ArrayLiteral),
}

#[derive(Serialize)]
struct FirewallResource {
    name: String,
    rule_name: Literal,
    present: bool,
    display_name: Literal,
    description: Literal,
    group: Literal,
    action: Literal,
    protocol: Literal,
    local_port: ArrayLiteral,
    remote_address: ArrayLiteral,
    profile: ArrayLiteral,
    program: Option<Literal>,
    service: Option<Literal>,
}

#[derive(Serialize)]
struct BindListener {
    thumbprint: Literal,
}

/// The value the listener-certificate binding owns: `RDP-Tcp\SSLCertificateSHA1Hash`.
pub(in crate::emit) fn is_listener_certificate(op: &RegistryOp) -> bool {
    op.key.eq_ignore_ascii_case(keys::RDP_TCP)
        && op.value_name.eq_ignore_ascii_case(keys::LISTENER_CERT_HASH)
}

/// Whether the model binds the listener certificate as a host action.
pub(in crate::emit) fn binds_listener(model: &Model) -> bool {
    model
        .host_actions
        .iter()
        .any(|a| matches!(a, HostAction::BindListenerCertificate { .. }))
}

#[derive(Serialize)]
struct RepairKey {
    /// Empty: the certificate the listener uses.
    thumbprint: Literal,
    describe: CommentText,
    depends_on: Option<Literal>,
}

/// The settings' registry operations: the local targets express the firewall as firewall
/// resources, never in its Group Policy registry form.
pub(in crate::emit) fn registry_ops(model: &Model) -> Vec<&RegistryOp> {
    model.registry.iter().collect()
}

fn error(message: String) -> EmitError {
    EmitError::Target {
        target: Target::Dsc,
        message,
    }
}

/// `ValueType` and `ValueData` as the Registry resource reads them: DWord and QWord as the
/// decimal of the signed number it parses them into (`[Int32]::Parse`), binary as hex digits.
fn value(op: &RegistryOp, value: &RegistryValue) -> Result<(Literal, ValueData), EmitError> {
    let one = |s: &str| ValueData::One(literal(s));
    let (kind, data) = match value {
        RegistryValue::Sz(s) => ("String", one(s)),
        RegistryValue::ExpandSz(s) => ("ExpandString", one(s)),
        RegistryValue::MultiSz(items) => ("MultiString", ValueData::Many(powershell::array(items))),
        RegistryValue::Dword(v) => (
            "Dword",
            one(&i32::from_ne_bytes(v.to_ne_bytes()).to_string()),
        ),
        RegistryValue::Qword(v) => (
            "Qword",
            one(&i64::from_ne_bytes(v.to_ne_bytes()).to_string()),
        ),
        RegistryValue::Binary(bytes) => {
            let hex = bytes.iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            });
            ("Binary", one(&hex))
        }
        other => {
            return Err(error(format!(
                "the Registry resource cannot write `{}` as {}",
                op.value_name,
                crate::model::describe::value_text(other)
            )));
        }
    };
    Ok((literal(kind), data))
}

fn comment(op: &RegistryOp) -> CommentText {
    let mut text = op.provenance.field().to_string();
    if let Some((file, id)) = op.provenance.admx {
        let _ = write!(text, " ({file} {id}");
        match op.provenance.state {
            Some(State::Enabled) => text.push_str(", Enabled)"),
            Some(State::Disabled) => text.push_str(", Disabled)"),
            None => text.push(')'),
        }
    }
    comment_text(&text)
}

fn registry_resources(
    model: &Model,
    namer: &mut Namer,
    rollback: bool,
) -> Result<Vec<RegistryResource>, EmitError> {
    let mut ops = registry_ops(model);
    if !rollback && binds_listener(model) {
        // Script BindListenerCertificate sets it (after the certificate check).
        ops.retain(|op| !is_listener_certificate(op));
    }
    let names = registry_words(&ops);
    ops.iter()
        .zip(names)
        .map(|(op, words)| {
            let target = op.value_after(rollback);
            let (value_type, value_data) = match target {
                Some(v) => {
                    let (t, d) = value(op, v)?;
                    (Some(t), Some(d))
                }
                None => (None, None),
            };
            Ok(RegistryResource {
                name: namer.name(&words),
                comment: comment(op),
                key: literal(&format!("{}\\{}", op.hive.regedit_name(), op.key)),
                value_name: literal(&op.value_name),
                ensure: if value_type.is_some() {
                    "Present"
                } else {
                    "Absent"
                },
                value_type,
                value_data,
            })
        })
        .collect()
}

/// NetworkingDsc `RemoteAddress` entries: `Any`, `LocalSubnet`, or CIDR.
fn remote_addresses(rule: &FirewallRule) -> Vec<String> {
    if rule.remote_addresses.is_empty() || rule.remote_addresses.contains(&FirewallAddress::Any) {
        return vec!["Any".into()];
    }
    rule.remote_addresses
        .iter()
        .map(|a| match a {
            FirewallAddress::LocalSubnet => "LocalSubnet".to_string(),
            other => other.to_string(),
        })
        .collect()
}

pub(in crate::emit) fn profile_name(p: FirewallProfile) -> &'static str {
    match p {
        FirewallProfile::Domain => "Domain",
        FirewallProfile::Private => "Private",
        FirewallProfile::Public => "Public",
    }
}

fn firewall_resources(model: &Model, namer: &mut Namer, present: bool) -> Vec<FirewallResource> {
    model
        .firewall
        .iter()
        .map(|rule| {
            let profiles: Vec<&str> = if rule.profiles.is_empty() {
                vec!["Any"]
            } else {
                rule.profiles.iter().map(|p| profile_name(*p)).collect()
            };
            FirewallResource {
                name: namer.name(&words(&rule.id)),
                rule_name: literal(&rule.id),
                present,
                display_name: literal(&rule.display_name),
                description: literal(&rule.description),
                group: literal(&rule.group),
                action: literal(rule.action.as_str()),
                protocol: literal(match rule.protocol {
                    Protocol::Tcp => "TCP",
                    Protocol::Udp => "UDP",
                }),
                local_port: powershell::array([rule.local_port.to_string()]),
                remote_address: powershell::array(remote_addresses(rule)),
                profile: powershell::array(profiles),
                program: rule.program.as_deref().map(literal),
                service: rule.service.as_deref().map(literal),
            }
        })
        .collect()
}

fn host_actions(model: &Model) -> (Option<BindListener>, Option<RepairKey>) {
    let mut bind = None;
    let mut repair = None;
    for action in &model.host_actions {
        match action {
            HostAction::BindListenerCertificate { thumbprint } => {
                bind = Some(BindListener {
                    thumbprint: literal(thumbprint),
                });
            }
            HostAction::RepairPrivateKeyPermissions { certificate } => {
                let (thumbprint, describe) = match certificate {
                    CertificateSource::Thumbprint(t) => (t.as_str(), format!("certificate {t}")),
                    CertificateSource::Template(_) => {
                        ("", "the one enrolled from certificate.template".to_string())
                    }
                    CertificateSource::Unmanaged => (
                        "",
                        "the listener's own (self-signed) certificate".to_string(),
                    ),
                };
                repair = Some(RepairKey {
                    thumbprint: literal(thumbprint),
                    describe: comment_text(&describe),
                    depends_on: None,
                });
            }
        }
    }
    if let (Some(_), Some(r)) = (&bind, &mut repair) {
        r.depends_on = Some(literal("[Script]BindListenerCertificate"));
    }
    (bind, repair)
}

fn configuration(model: &Model, rollback: bool) -> Result<Configuration, EmitError> {
    let mut namer = Namer::powershell();
    for reserved in [
        "ListenerCertificateCheck",
        "BindListenerCertificate",
        "RepairPrivateKeyPermissions",
    ] {
        namer.name(&[reserved.to_string()]);
    }
    let registry = registry_resources(model, &mut namer, rollback)?;
    let firewall = firewall_resources(model, &mut namer, !rollback);
    let (bind_listener, repair_key) = if rollback {
        (None, None)
    } else {
        host_actions(model)
    };
    Ok(Configuration {
        name: if rollback {
            "RdpPostureRollback"
        } else {
            "RdpPosture"
        },
        networking: !firewall.is_empty(),
        registry,
        firewall,
        bind_listener,
        repair_key,
    })
}

/// The templates, compiled once per process: compiling them (a `pest` parse with line and
/// column bookkeeping) cost more than everything else a build does for one policy.
fn handlebars() -> Result<&'static Handlebars<'static>, EmitError> {
    static REGISTRY: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut hb = Handlebars::new();
            hb.set_strict_mode(true);
            // Values are escaped by `crate::escape` before they reach the template.
            hb.register_escape_fn(handlebars::no_escape);
            for (name, text) in [
                ("main", MAIN),
                ("configuration", CONFIGURATION),
                ("key-file", KEY_FILE),
            ] {
                hb.register_template_string(name, text)
                    .map_err(|e| format!("template `{name}`: {e}"))?;
            }
            Ok(hb)
        })
        .as_ref()
        .map_err(|e| error(e.clone()))
}

/// The script text (without the byte-order mark the artifact carries).
///
/// # Errors
/// A registry value the Registry resource cannot express, or a template error (a bug).
pub fn render(model: &Model) -> Result<String, EmitError> {
    let document = Document {
        version: env!("CARGO_PKG_VERSION"),
        policy: comment_text(&model.name),
        policy_hash: comment_text(&model.policy_hash),
        description: model.description.as_deref().map(comment_text),
        gpo_display_name: comment_text(&model.gpo.display_name),
        logon_rights: !model.logon_rights.is_empty(),
        account_lockout: model.account_lockout.is_some_and(|l| l.enforced),
        rollback_notes: crate::model::rollback::summary(model, "RdpPosture")
            .iter()
            .map(|line| comment_text(line))
            .collect(),
        psdsc_version: PSDSC_VERSION,
        networking_dsc_version: NETWORKING_DSC_VERSION,
        apply: configuration(model, false)?,
        rollback: configuration(model, true)?,
    };
    let text = handlebars()?
        .render("main", &document)
        .map_err(|e| error(format!("template: {e}")))?;
    // Each resource in the templates ends with a blank line; drop the one before `Node`'s `}`.
    Ok(text.replace("        }\n\n    }\n}", "        }\n    }\n}"))
}

/// `dsc/RdpPosture.ps1`, UTF-8 with a byte-order mark: Windows PowerShell 5.1 reads a `.ps1`
/// without one in the ANSI code page.
///
/// # Errors
/// See [`render`].
pub fn emit(model: &Model) -> Result<Vec<Artifact>, EmitError> {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(render(model)?.as_bytes());
    Ok(vec![Artifact {
        path: PATH.into(),
        bytes,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Hive;
    use crate::model::RegistryAction;
    use crate::model::{Provenance, Scope};

    fn op() -> RegistryOp {
        RegistryOp {
            hive: Hive::LocalMachine,
            key: "K".into(),
            value_name: "V".into(),
            action: RegistryAction::Delete,
            scope: Scope::Local,
            provenance: Provenance {
                setting: const { crate::catalog::field("security.nla") },
                admx: None,
                state: None,
            },
            rollback: None,
        }
    }

    fn text(v: &RegistryValue) -> (String, String) {
        let (kind, data) = value(&op(), v).unwrap();
        let data = match data {
            ValueData::One(l) => l.as_str().to_string(),
            ValueData::Many(a) => a.as_str().to_string(),
        };
        (kind.as_str().to_string(), data)
    }

    #[test]
    fn registry_data_takes_the_forms_the_registry_resource_parses() {
        let t = |k: &str, d: &str| (k.to_string(), d.to_string());
        // [Int32]::Parse / [Int64]::Parse: the same bits, read as signed.
        assert_eq!(text(&RegistryValue::Dword(3389)), t("'Dword'", "'3389'"));
        assert_eq!(text(&RegistryValue::Dword(u32::MAX)), t("'Dword'", "'-1'"));
        assert_eq!(
            text(&RegistryValue::Dword(0x8000_0000)),
            t("'Dword'", "'-2147483648'")
        );
        assert_eq!(text(&RegistryValue::Qword(u64::MAX)), t("'Qword'", "'-1'"));
        assert_eq!(
            text(&RegistryValue::Binary(vec![0x9f, 0x2b, 0x00])),
            t("'Binary'", "'9f2b00'")
        );
        assert_eq!(
            text(&RegistryValue::MultiSz(vec!["a'b".into(), "c".into()])),
            t("'MultiString'", "@('a''b', 'c')")
        );
        assert_eq!(
            text(&RegistryValue::Sz("x’".into())),
            t("'String'", "'x’’'")
        );
        assert_eq!(
            text(&RegistryValue::ExpandSz("%SystemRoot%".into())),
            t("'ExpandString'", "'%SystemRoot%'")
        );
        assert!(value(&op(), &RegistryValue::DwordBigEndian(1)).is_err());
        assert!(value(&op(), &RegistryValue::None(vec![])).is_err());
    }

    #[test]
    fn firewall_addresses_in_networking_dsc_spelling() {
        let rule = |addresses: Vec<FirewallAddress>| FirewallRule {
            id: "r".into(),
            display_name: "r".into(),
            action: crate::model::FirewallAction::Allow,
            description: "r".into(),
            group: "g".into(),
            protocol: Protocol::Tcp,
            local_port: 3389,
            profiles: vec![],
            remote_addresses: addresses,
            program: None,
            service: None,
        };
        let v4 = FirewallAddress::parse("10.0.0.0/8").unwrap().address;
        assert_eq!(remote_addresses(&rule(vec![])), ["Any"]);
        assert_eq!(
            remote_addresses(&rule(vec![FirewallAddress::Any, v4])),
            ["Any"]
        );
        assert_eq!(
            remote_addresses(&rule(vec![v4, FirewallAddress::LocalSubnet])),
            ["10.0.0.0/8", "LocalSubnet"]
        );
    }
}

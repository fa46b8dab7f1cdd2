//! `dsc3/rdp.dsc.yaml` and `dsc3/rollback.dsc.yaml`: DSC v3 configuration documents, written
//! line by line by [`write_document`] (a template bought nothing here: every line is a key and
//! a scalar, and compiling one cost more than the rest of the target).
//!
//! Registry operations become `Microsoft.Windows/Registry` instances (the Group Policy form of
//! the firewall rules excepted); the firewall rules become one
//! `Microsoft.Windows/FirewallRuleList` instance. Property names follow the resource manifests
//! of PowerShell/DSC; instance names match `^[a-zA-Z0-9 ]+$` and are unique. Every string
//! reaches the document as a scalar made by [`crate::escape::yaml`].
//!
//! The listener certificate has one writer here too: the `Microsoft.Windows/Registry`
//! instance for `RDP-Tcp\SSLCertificateSHA1Hash`, which `dependsOn` the instance
//! `Listener certificate check` (the Windows PowerShell adapter running a
//! PSDesiredStateConfiguration `Script` that fails unless the certificate, with its private
//! key, is in `Cert:\LocalMachine\My`). DSC processes an instance only after its
//! dependencies and stops a `set` at the first instance that fails, so the value is never
//! written for a certificate the host does not have. The key-permission repair has no DSC v3
//! resource and is listed in the header.

use std::fmt::Write as _;

use super::dsc::names::{Namer, registry_words};
use super::dsc::{is_listener_certificate, profile_name, registry_ops};
use super::{Artifact, EmitError, Target};
use crate::escape::{single_line, yaml};
use crate::firewall_address::FirewallAddress;
use crate::formats::RegistryValue;
use crate::model::FirewallProfile;
use crate::model::{CertificateSource, FirewallRule, HostAction, Model, RegistryOp};

/// Whether this back end is finished.
pub const AVAILABLE: bool = true;

/// The `$schema` of the documents: DSC v3's bundled configuration document schema.
pub const SCHEMA: &str = "https://aka.ms/dsc/schemas/v3/bundled/config/document.json";

/// YAML text made only of [`yaml::Scalar`]s, numbers and flow punctuation.
struct Yaml(String);

impl From<yaml::Scalar> for Yaml {
    fn from(s: yaml::Scalar) -> Self {
        Self(s.as_str().to_string())
    }
}

struct Document {
    schema: &'static str,
    file: &'static str,
    version: &'static str,
    /// For comments: a policy name is `^[a-z0-9][a-z0-9-]*$`, the hash hex digits.
    policy: String,
    policy_hash: String,
    yaml_version: yaml::Scalar,
    yaml_policy: yaml::Scalar,
    yaml_policy_hash: yaml::Scalar,
    role: yaml::Scalar,
    rollback: bool,
    /// What the rollback document restores, one comment line each.
    rollback_notes: Vec<String>,
    description: Option<yaml::Scalar>,
    host_actions: Vec<String>,
    logon_rights: bool,
    /// `posture.accountLockout` in enforce mode: the SAM, not the registry.
    account_lockout: bool,
    certificate_check: Option<CertificateCheck>,
    registry: Vec<Registry>,
    firewall: Option<FirewallList>,
}

struct Registry {
    name: yaml::Scalar,
    key_path: yaml::Scalar,
    value_name: yaml::Scalar,
    /// `None`: `_exist: false`.
    value_kind: Option<&'static str>,
    value_data: Option<Yaml>,
    /// `[resourceId(...)]` of the certificate check, for the certificate binding.
    depends_on: Option<yaml::Scalar>,
}

/// The instance that fails unless the bound certificate, with its private key, is in
/// LocalMachine\My.
struct CertificateCheck {
    name: yaml::Scalar,
    /// The thumbprint, for the header (40 hex digits).
    thumbprint: String,
    get_script: yaml::Scalar,
    test_script: yaml::Scalar,
    set_script: yaml::Scalar,
}

/// The adapter that runs PSDesiredStateConfiguration resources in Windows PowerShell (DSC 3.0
/// to 3.2; later releases also call it `Microsoft.Adapter/WindowsPowerShell`).
pub const POWERSHELL_ADAPTER: &str = "Microsoft.Windows/WindowsPowerShell";

const CHECK_NAME: &str = "Listener certificate check";

fn certificate_check(thumbprint: &str) -> Result<CertificateCheck, EmitError> {
    // The thumbprint is validated hex; it still reaches PowerShell only as a literal.
    let path =
        crate::escape::powershell::literal(&format!("Cert:\\LocalMachine\\My\\{thumbprint}"));
    let path = path.as_str();
    let find = format!("$c = Get-Item -LiteralPath {path} -ErrorAction SilentlyContinue");
    let has = "($null -ne $c -and $c.HasPrivateKey)";
    let message = crate::escape::powershell::literal(&format!(
        "rdpgen: certificate {thumbprint} with its private key is not in Cert:\\LocalMachine\\My; import it (with the key) first"
    ));
    Ok(CertificateCheck {
        name: scalar(CHECK_NAME)?,
        thumbprint: thumbprint.to_string(),
        get_script: scalar(&format!("{find}; @{{ Result = [string]{has} }}"))?,
        test_script: scalar(&format!("{find}; {has}"))?,
        set_script: scalar(&format!(
            "{find}; if (-not {has}) {{ throw {} }}",
            message.as_str()
        ))?,
    })
}

struct FirewallList {
    name: yaml::Scalar,
    rules: Vec<Rule>,
}

struct Rule {
    name: yaml::Scalar,
    present: bool,
    description: yaml::Scalar,
    application_name: Option<yaml::Scalar>,
    service_name: Option<yaml::Scalar>,
    action: &'static str,
    protocol: u8,
    local_ports: yaml::Scalar,
    remote_addresses: yaml::Scalar,
    profiles: Yaml,
    grouping: yaml::Scalar,
}

fn error(message: String) -> EmitError {
    EmitError::Target {
        target: Target::Dsc3,
        message,
    }
}

/// Every string of the document: a DSC v3 literal (never an expression, see
/// [`crate::escape::dsc_literal`]) as a YAML scalar.
fn scalar(text: &str) -> Result<yaml::Scalar, EmitError> {
    yaml::scalar(&crate::escape::dsc_literal(text))
        .map_err(|e| error(format!("`{}`: {e}", text.escape_debug())))
}

fn flow<I: IntoIterator<Item = String>>(items: I) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(", "))
}

/// The `valueData` variant and its YAML.
fn value_data(op: &RegistryOp, value: &RegistryValue) -> Result<(&'static str, Yaml), EmitError> {
    Ok(match value {
        RegistryValue::Sz(s) => ("String", scalar(s)?.into()),
        RegistryValue::ExpandSz(s) => ("ExpandString", scalar(s)?.into()),
        RegistryValue::MultiSz(items) => {
            let items = items
                .iter()
                .map(|s| scalar(s).map(|s| s.as_str().to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            ("MultiString", Yaml(flow(items)))
        }
        RegistryValue::Binary(bytes) => ("Binary", Yaml(flow(bytes.iter().map(u8::to_string)))),
        RegistryValue::Dword(v) => ("DWord", Yaml(v.to_string())),
        RegistryValue::Qword(v) => ("QWord", Yaml(v.to_string())),
        other => {
            return Err(error(format!(
                "Microsoft.Windows/Registry cannot write `{}` as {}",
                op.value_name,
                crate::model::describe::value_text(other)
            )));
        }
    })
}

fn registry(
    model: &Model,
    namer: &mut Namer,
    rollback: bool,
    check: Option<&CertificateCheck>,
) -> Result<Vec<Registry>, EmitError> {
    // The one expression rdpgen writes on purpose: built from the adapter type and an
    // instance name (`^[a-zA-Z0-9 ]+$`, see `Namer`), never from policy or host text.
    let depends_on = check
        .map(|c| {
            let text = format!(
                "[resourceId('{POWERSHELL_ADAPTER}', '{}')]",
                c.name.as_str().trim_matches('\'')
            );
            yaml::scalar(&text).map_err(|e| error(format!("`{}`: {e}", text.escape_debug())))
        })
        .transpose()?;
    let ops = registry_ops(model);
    let names = registry_words(&ops);
    ops.iter()
        .zip(names)
        .map(|(op, words)| {
            let target = op.value_after(rollback);
            let (value_kind, value_data) = match target {
                Some(v) => {
                    let (kind, data) = value_data(op, v)?;
                    (Some(kind), Some(data))
                }
                None => (None, None),
            };
            Ok(Registry {
                name: scalar(&namer.name(&words))?,
                key_path: scalar(&format!("{}\\{}", op.hive.short_name(), op.key))?,
                value_name: scalar(&op.value_name)?,
                depends_on: (value_kind.is_some() && is_listener_certificate(op))
                    .then(|| depends_on.clone())
                    .flatten(),
                value_kind,
                value_data,
            })
        })
        .collect()
}

/// `remoteAddresses` in the form `INetFwRule::RemoteAddresses` reads it back, which is what
/// the resource's `get` returns and `dsc config test` compares: `*`, or a comma-separated list
/// of `LocalSubnet`, IPv4 subnets and addresses with their dotted mask (a bare address reads
/// back as `/255.255.255.255`), IPv6 subnets with their prefix length, and ranges.
fn remote_addresses(rule: &FirewallRule) -> String {
    if rule.remote_addresses.is_empty() || rule.remote_addresses.contains(&FirewallAddress::Any) {
        return "*".into();
    }
    rule.remote_addresses
        .iter()
        .map(|a| match *a {
            FirewallAddress::LocalSubnet => "LocalSubnet".to_string(),
            FirewallAddress::V4 { network, prefix } => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(prefix.min(32)))
                };
                format!("{network}/{}", std::net::Ipv4Addr::from(mask))
            }
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `profiles` as the resource reads them back: `profiles_from_mask` in PowerShell/DSC's
/// `windows_firewall` resource reports the three profiles together as `[All]`.
fn profiles(rule: &FirewallRule) -> Vec<String> {
    if rule.profiles.is_empty() || rule.profiles.len() == FirewallProfile::ALL.len() {
        vec!["All".into()]
    } else {
        rule.profiles
            .iter()
            .map(|p| profile_name(*p).to_string())
            .collect()
    }
}

fn firewall(
    model: &Model,
    name: yaml::Scalar,
    present: bool,
) -> Result<Option<FirewallList>, EmitError> {
    if model.firewall.is_empty() {
        return Ok(None);
    }
    let rules = model
        .firewall
        .iter()
        .map(|rule| {
            Ok(Rule {
                // INetFwRule.Name, the name the firewall shows: the rule's display name, which
                // rdpgen makes equal to its id, so every target names the rule alike.
                name: scalar(&rule.display_name)?,
                present,
                description: scalar(&rule.description)?,
                application_name: rule.program.as_deref().map(scalar).transpose()?,
                service_name: rule.service.as_deref().map(scalar).transpose()?,
                action: rule.action.as_str(),
                protocol: rule.protocol.number(),
                local_ports: scalar(&rule.local_port.to_string())?,
                remote_addresses: scalar(&remote_addresses(rule))?,
                profiles: Yaml(flow(profiles(rule))),
                grouping: scalar(&rule.group)?,
            })
        })
        .collect::<Result<Vec<_>, EmitError>>()?;
    Ok(Some(FirewallList { name, rules }))
}

fn host_actions(model: &Model) -> Vec<String> {
    model
        .host_actions
        .iter()
        .filter_map(|a| match a {
            // Expressed: the SSLCertificateSHA1Hash instance after the certificate check.
            HostAction::BindListenerCertificate { .. } => None,
            HostAction::RepairPrivateKeyPermissions { certificate } => {
                let mut text = "grant NETWORK SERVICE read on the private key of ".to_string();
                match certificate {
                    CertificateSource::Thumbprint(t) => {
                        let _ = write!(text, "certificate {t}");
                    }
                    _ => text.push_str("the listener's certificate"),
                }
                Some(text)
            }
        })
        .collect()
}

/// One document: the policy, or its rollback.
///
/// # Errors
/// A value DSC v3 cannot express, or a template error (a bug).
pub fn render(model: &Model, rollback: bool) -> Result<String, EmitError> {
    let mut namer = Namer::dsc3();
    let firewall_name = scalar(&namer.name(&["RDP".into(), "firewall".into(), "rules".into()]))?;
    let check = match model.host_actions.iter().find_map(|a| match a {
        HostAction::BindListenerCertificate { thumbprint } if !rollback => Some(thumbprint),
        _ => None,
    }) {
        Some(thumbprint) => {
            let name = namer.name(
                &CHECK_NAME
                    .split(' ')
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            );
            if name != CHECK_NAME {
                return Err(error(format!(
                    "instance name `{name}` instead of `{CHECK_NAME}` (a bug)"
                )));
            }
            Some(certificate_check(thumbprint)?)
        }
        None => None,
    };
    let registry = registry(model, &mut namer, rollback, check.as_ref())?;
    let document = Document {
        schema: SCHEMA,
        file: if rollback {
            "rollback.dsc.yaml"
        } else {
            "rdp.dsc.yaml"
        },
        version: env!("CARGO_PKG_VERSION"),
        policy: single_line(&model.name),
        policy_hash: single_line(&model.policy_hash),
        yaml_version: scalar(env!("CARGO_PKG_VERSION"))?,
        yaml_policy: scalar(&model.name)?,
        yaml_policy_hash: scalar(&model.policy_hash)?,
        role: scalar(if rollback { "rollback" } else { "apply" })?,
        rollback,
        rollback_notes: crate::model::rollback::summary(model, "rdp.dsc.yaml")
            .iter()
            .map(|line| single_line(line))
            .collect(),
        description: model
            .description
            .as_deref()
            .map(|d| scalar(&single_line(d)))
            .transpose()?,
        host_actions: host_actions(model),
        logon_rights: !model.logon_rights.is_empty(),
        account_lockout: model.account_lockout.is_some_and(|l| l.enforced),
        certificate_check: check,
        registry,
        firewall: firewall(model, firewall_name, !rollback)?,
    };
    Ok(write_document(&document))
}

/// The document's text. Every value is a [`yaml::Scalar`], a number, a fixed word or flow
/// punctuation around scalars; comment lines carry single-line text only.
fn write_document(d: &Document) -> String {
    let mut out = String::with_capacity(4096 + 512 * d.registry.len());
    // One line of the document; `writeln!` into a `String` cannot fail.
    macro_rules! line {
        ($($arg:tt)*) => {{
            let _ = writeln!(out, $($arg)*);
        }};
    }
    line!(
        "# {}: DSC v3 configuration document generated by rdpgen {}; do not edit.",
        d.file,
        d.version
    );
    line!("# Policy {}, sha256 {}.", d.policy, d.policy_hash);
    if d.rollback {
        line!("# Undoes rdp.dsc.yaml: its registry values, and removes its firewall rules.");
        for note in &d.rollback_notes {
            line!("# {note}");
        }
    } else {
        line!("# Sets the policy's registry values and its inbound Remote Desktop firewall rules;");
        line!("# rollback.dsc.yaml beside it undoes them.");
        if let Some(check) = &d.certificate_check {
            line!(
                "# The listener certificate is bound once: the SSLCertificateSHA1Hash instance runs only after"
            );
            line!(
                "# '{}', which fails unless certificate {}",
                check.name,
                check.thumbprint
            );
            line!(
                "# with its private key is in Cert:\\LocalMachine\\My (Windows PowerShell adapter, Script)."
            );
        }
        if !d.host_actions.is_empty() {
            line!(
                "# Not expressed in DSC v3 (dsc/RdpPosture.ps1 does them with Script resources):"
            );
            for action in &d.host_actions {
                line!("#   - {action}");
            }
        }
        if d.logon_rights {
            line!(
                "# The policy's logon rights (logonRights) are user rights, not registry values: not set here."
            );
        }
        if d.account_lockout {
            line!(
                "# The account lockout (posture.accountLockout) is kept in the SAM, not the registry: not set"
            );
            line!("# here (the GPO backup's GptTmpl.inf sets it).");
        }
    }
    line!(
        "# Apply from an elevated shell with DSC 3.2 or later: dsc config set --file {}",
        d.file
    );
    line!("$schema: {}", d.schema);
    line!("metadata:");
    line!("  Microsoft.DSC:");
    line!("    securityContext: elevated");
    line!("  rdpgen:");
    line!("    version: {}", d.yaml_version);
    line!("    policy: {}", d.yaml_policy);
    line!("    sha256: {}", d.yaml_policy_hash);
    line!("    role: {}", d.role);
    if let Some(description) = &d.description {
        line!("    description: {description}");
    }
    line!("resources:");
    if let Some(check) = &d.certificate_check {
        line!("- name: {}", check.name);
        line!("  type: {POWERSHELL_ADAPTER}");
        line!("  properties:");
        line!("    resources:");
        line!("    - name: {}", check.name);
        line!("      type: PSDesiredStateConfiguration/Script");
        line!("      properties:");
        line!("        GetScript: {}", check.get_script);
        line!("        TestScript: {}", check.test_script);
        line!("        SetScript: {}", check.set_script);
    }
    for r in &d.registry {
        line!("- name: {}", r.name);
        line!("  type: Microsoft.Windows/Registry");
        if let Some(depends_on) = &r.depends_on {
            line!("  dependsOn:");
            line!("  - {depends_on}");
        }
        line!("  properties:");
        line!("    keyPath: {}", r.key_path);
        line!("    valueName: {}", r.value_name);
        match (r.value_kind, &r.value_data) {
            (Some(kind), Some(data)) => {
                line!("    valueData:");
                line!("      {kind}: {}", data.0);
            }
            _ => line!("    _exist: false"),
        }
    }
    if let Some(firewall) = &d.firewall {
        line!("- name: {}", firewall.name);
        line!("  type: Microsoft.Windows/FirewallRuleList");
        line!("  properties:");
        line!("    rules:");
        for rule in &firewall.rules {
            line!("    - name: {}", rule.name);
            if !rule.present {
                line!("      _exist: false");
                continue;
            }
            line!("      _exist: true");
            line!("      description: {}", rule.description);
            if let Some(application) = &rule.application_name {
                line!("      applicationName: {application}");
            }
            if let Some(service) = &rule.service_name {
                line!("      serviceName: {service}");
            }
            line!("      protocol: {}", rule.protocol);
            line!("      localPorts: {}", rule.local_ports);
            line!("      remoteAddresses: {}", rule.remote_addresses);
            line!("      direction: Inbound");
            line!("      action: {}", rule.action);
            line!("      enabled: true");
            line!("      profiles: {}", rule.profiles.0);
            line!("      grouping: {}", rule.grouping);
        }
    }
    out
}

/// `dsc3/rdp.dsc.yaml` and `dsc3/rollback.dsc.yaml`.
///
/// # Errors
/// See [`render`].
pub fn emit(model: &Model) -> Result<Vec<Artifact>, EmitError> {
    Ok(vec![
        Artifact {
            path: "dsc3/rdp.dsc.yaml".into(),
            bytes: render(model, false)?.into_bytes(),
        },
        Artifact {
            path: "dsc3/rollback.dsc.yaml".into(),
            bytes: render(model, true)?.into_bytes(),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Hive;
    use crate::model::RegistryAction;
    use crate::model::{Protocol, Provenance, Scope};

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

    #[test]
    fn value_data_variants_follow_the_registry_resource() {
        let t = |v: RegistryValue| {
            let (kind, data) = value_data(&op(), &v).unwrap();
            (kind, data.0)
        };
        assert_eq!(
            t(RegistryValue::Dword(u32::MAX)),
            ("DWord", "4294967295".into())
        );
        assert_eq!(
            t(RegistryValue::Qword(u64::MAX)),
            ("QWord", u64::MAX.to_string())
        );
        assert_eq!(
            t(RegistryValue::Binary(vec![159, 0])),
            ("Binary", "[159, 0]".into())
        );
        assert_eq!(
            t(RegistryValue::MultiSz(vec!["a'b".into(), "c".into()])),
            ("MultiString", "['a''b', c]".into())
        );
        assert_eq!(
            t(RegistryValue::Sz("yes".into())),
            ("String", "'yes'".into())
        );
        assert_eq!(
            t(RegistryValue::ExpandSz("%SystemRoot%".into())),
            ("ExpandString", "'%SystemRoot%'".into())
        );
        assert!(value_data(&op(), &RegistryValue::DwordBigEndian(1)).is_err());
        assert!(value_data(&op(), &RegistryValue::Sz("a\nb".into())).is_err());
    }

    #[test]
    fn remote_addresses_as_inetfwrule_reads_them() {
        let rule = |addresses: Vec<FirewallAddress>| FirewallRule {
            id: "r".into(),
            display_name: "r".into(),
            action: crate::model::FirewallAction::Allow,
            description: "r".into(),
            group: "g".into(),
            protocol: Protocol::Udp,
            local_port: 3389,
            profiles: vec![],
            remote_addresses: addresses,
            program: None,
            service: None,
        };
        let v6 = FirewallAddress::parse("2001:db8::/32").unwrap().address;
        assert_eq!(remote_addresses(&rule(vec![])), "*");
        assert_eq!(remote_addresses(&rule(vec![FirewallAddress::Any])), "*");
        assert_eq!(
            remote_addresses(&rule(vec![FirewallAddress::LocalSubnet, v6])),
            "LocalSubnet,2001:db8::/32"
        );
        // IPv4 in mask form, a bare address with the all-ones mask, as Windows returns them.
        let v4 = |s: &str| FirewallAddress::parse(s).unwrap().address;
        assert_eq!(
            remote_addresses(&rule(vec![
                v4("10.0.0.0/8"),
                v4("203.0.113.10"),
                v4("0.0.0.0/0")
            ])),
            "10.0.0.0/255.0.0.0,203.0.113.10/255.255.255.255,0.0.0.0/0.0.0.0"
        );
        let range = FirewallAddress::V4Range {
            first: "0.0.0.0".parse().unwrap(),
            last: "9.255.255.255".parse().unwrap(),
        };
        assert_eq!(
            remote_addresses(&rule(vec![range])),
            "0.0.0.0-9.255.255.255"
        );
    }

    #[test]
    fn profiles_as_the_resource_reads_them_back() {
        let rule = |profiles: Vec<FirewallProfile>| FirewallRule {
            id: "r".into(),
            display_name: "r".into(),
            action: crate::model::FirewallAction::Block,
            description: "r".into(),
            group: "g".into(),
            protocol: Protocol::Tcp,
            local_port: 3389,
            profiles,
            remote_addresses: vec![],
            program: None,
            service: None,
        };
        assert_eq!(profiles(&rule(vec![])), ["All"]);
        assert_eq!(profiles(&rule(FirewallProfile::ALL.to_vec())), ["All"]);
        assert_eq!(
            profiles(&rule(vec![
                FirewallProfile::Private,
                FirewallProfile::Public
            ])),
            ["Private", "Public"]
        );
    }

    /// Every string of the v3 document, with a hostile value that starts with `[` in every
    /// field a policy or the model can reach: none is an expression, and each reads back.
    #[test]
    fn every_string_of_the_document_is_a_literal_for_dsc() {
        use crate::policy::yaml::{Node, NodeValue, parse};
        let hostile = "[concat(envvar('SECRET'))]";
        let policy: crate::policy::Policy = serde_json::from_value(serde_json::json!({
            "rdpgen": 1,
            "name": "dsc-hostile",
            "description": hostile,
            "security": {"layer": "tls"},
            "certificate": {"template": hostile},
            "firewall": {"profiles": ["domain"], "allowFrom": ["10.0.0.0/8"]},
        }))
        .unwrap();
        let mut model = crate::lower::lower(&policy).unwrap();
        let mut extra = op();
        extra.value_name = "[v]".into();
        extra.action = RegistryAction::Set(RegistryValue::Sz("[sz]".into()));
        model.registry.push(extra.clone());
        extra.action = RegistryAction::Set(RegistryValue::ExpandSz("[x]".into()));
        model.registry.push(extra.clone());
        extra.action =
            RegistryAction::Set(RegistryValue::MultiSz(vec!["[m]".into(), "[[n".into()]));
        model.registry.push(extra);
        for rule in &mut model.firewall {
            rule.display_name = "[dn]".into();
            rule.description = "[desc]".into();
            rule.group = "[group]".into();
        }
        assert!(!model.firewall.is_empty());
        fn strings(node: &Node, out: &mut Vec<String>) {
            match &node.value {
                NodeValue::Str { text, .. } => out.push(text.clone()),
                NodeValue::Seq(items) => items.iter().for_each(|i| strings(i, out)),
                // `dependsOn` holds rdpgen's own `[resourceId(...)]` expression.
                NodeValue::Map(entries) => entries
                    .iter()
                    .filter(|(k, _)| k.name != "dependsOn")
                    .for_each(|(_, v)| strings(v, out)),
                _ => {}
            }
        }
        for rollback in [false, true] {
            let text = render(&model, rollback).unwrap();
            let mut found = Vec::new();
            strings(&parse(&text).unwrap(), &mut found);
            for s in &found {
                assert!(
                    crate::escape::dsc_read(s).is_some(),
                    "{s:?} would be evaluated by DSC in\n{text}"
                );
            }
            let read: Vec<&str> = found
                .iter()
                .filter_map(|s| crate::escape::dsc_read(s))
                .collect();
            assert!(read.contains(&hostile), "{hostile} reads back in\n{text}");
            if !rollback {
                for expected in ["[desc]", "[group]", "[v]", "[sz]", "[x]", "[m]", "[[n"] {
                    assert!(read.contains(&expected), "{expected} reads back in\n{text}");
                }
            }
        }
    }
}

//! A plain-text rendering of the model, one line per fact, used for reviewed snapshot tests
//! and `rdpgen build --explain`-style output.

use std::fmt::Write as _;

use super::{CertificateSource, HostAction, Model, RegistryAction, Scope};
use crate::catalog::State;
use crate::formats::RegistryValue;

/// Registry data as a person reads it: `REG_DWORD 2`, `REG_SZ "text"`, `REG_BINARY 9f2b...`.
#[must_use]
pub fn value_text(value: &RegistryValue) -> String {
    match value {
        RegistryValue::Dword(v) => format!("REG_DWORD {v}"),
        RegistryValue::Qword(v) => format!("REG_QWORD {v}"),
        RegistryValue::DwordBigEndian(v) => format!("REG_DWORD_BIG_ENDIAN {v}"),
        RegistryValue::Sz(s) => format!("REG_SZ {s:?}"),
        RegistryValue::ExpandSz(s) => format!("REG_EXPAND_SZ {s:?}"),
        RegistryValue::MultiSz(items) => format!("REG_MULTI_SZ {items:?}"),
        RegistryValue::Binary(b) => format!("REG_BINARY {}", hex(b)),
        RegistryValue::None(b) => format!("REG_NONE {}", hex(b)),
        RegistryValue::Other { kind, data } => format!("type {kind} {}", hex(data)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Model {
    /// Every fact of the model, one per line, deterministic.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "policy {} sha256:{}", self.name, self.policy_hash);
        if let Some(d) = &self.description {
            let _ = writeln!(out, "description {d:?}");
        }
        let _ = writeln!(
            out,
            "gpo {:?} {} domain {}",
            self.gpo.display_name,
            self.gpo.guid,
            self.gpo.domain.as_deref().unwrap_or("-")
        );
        // The settings and the firewall's derived registry form, as the registry back ends
        // write them.
        let ops = match self.registry_ops() {
            Ok(ops) => ops,
            Err(e) => {
                let _ = writeln!(out, "registry: {e}");
                self.registry.clone()
            }
        };
        let _ = writeln!(out, "registry ({} operations):", ops.len());
        for op in &ops {
            let action = match &op.action {
                RegistryAction::Set(v) => format!("= {}", value_text(v)),
                RegistryAction::Delete => "delete".to_string(),
            };
            let scope = match op.scope {
                Scope::Policy => "policy",
                Scope::Local => "local",
            };
            let rollback = match &op.rollback {
                Some(v) => format!("restore {}", value_text(v)),
                None => "delete".to_string(),
            };
            let admx = match (op.provenance.admx, op.provenance.state) {
                (Some((file, id)), Some(state)) => format!(
                    " [{file} {id} {}]",
                    match state {
                        State::Enabled => "Enabled",
                        State::Disabled => "Disabled",
                    }
                ),
                (Some((file, id)), None) => format!(" [{file} {id}]"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {scope} {}\\{}\\{} {action}  <- {}{admx}; rollback {rollback}",
                op.hive.short_name(),
                op.key,
                op.value_name,
                op.provenance.field(),
            );
        }
        if !self.audit_registry.is_empty() {
            let _ = writeln!(
                out,
                "audited, written by no artifact ({} values):",
                self.audit_registry.len()
            );
            for op in &self.audit_registry {
                let action = match &op.action {
                    RegistryAction::Set(v) => format!("= {}", value_text(v)),
                    RegistryAction::Delete => "absent".to_string(),
                };
                let _ = writeln!(
                    out,
                    "  audit {}\\{}\\{} {action}  <- {}",
                    op.hive.short_name(),
                    op.key,
                    op.value_name,
                    op.provenance.field(),
                );
            }
        }
        if let Some(fp) = &self.firewall_posture {
            let word = |v: Option<bool>, on: &str, off: &str| match v {
                Some(true) => on.to_string(),
                Some(false) => off.to_string(),
                None => "-".to_string(),
            };
            let _ = writeln!(
                out,
                "firewall posture (every profile, {}): enabled {} inbound {} local rules {}",
                if fp.enforced { "enforced" } else { "audited" },
                word(fp.enabled, "on", "off"),
                word(fp.default_block, "block", "allow"),
                word(fp.merge_local, "merged", "ignored"),
            );
        }
        if let Some(l) = &self.account_lockout {
            let lines: Vec<String> = l
                .lines()
                .iter()
                .map(|(n, v)| format!("{n} = {v}"))
                .collect();
            let _ = writeln!(
                out,
                "account lockout ({}): {}",
                if l.enforced { "enforced" } else { "audited" },
                lines.join(", ")
            );
        }
        let _ = writeln!(out, "firewall ({} rules):", self.firewall.len());
        for rule in &self.firewall {
            let profiles = if rule.profiles.is_empty() {
                "all".to_string()
            } else {
                rule.profiles
                    .iter()
                    .map(|p| format!("{p:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let from = if rule.remote_addresses.is_empty() {
                "any".to_string()
            } else {
                rule.remote_addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let _ = writeln!(
                out,
                "  {} {} {} in profiles {profiles} from {from} ({:?})",
                rule.id,
                rule.protocol.as_str(),
                rule.local_port,
                rule.display_name
            );
        }
        let source = match &self.certificate.source {
            CertificateSource::Unmanaged => "unmanaged".to_string(),
            CertificateSource::Template(t) => format!("template {t:?}"),
            CertificateSource::Thumbprint(t) => format!("thumbprint {t}"),
        };
        let opt = |v: Option<u32>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
        let _ = writeln!(
            out,
            "certificate {source}; expiry warning days {}; min key size {}; self-signed allowed {}",
            opt(self.certificate.expiry_warning_days),
            opt(self.certificate.min_key_size),
            self.certificate
                .allow_self_signed
                .map_or("-".to_string(), |b| b.to_string())
        );
        let _ = writeln!(out, "logon rights:");
        for right in &self.logon_rights {
            let accounts: Vec<String> = right
                .accounts
                .iter()
                .map(|a| match &a.sid {
                    Some(sid) => format!("{} ({sid})", a.name),
                    None => a.name.clone(),
                })
                .collect();
            let _ = writeln!(out, "  {}: {}", right.right.as_str(), accounts.join(", "));
        }
        let _ = writeln!(out, "host actions:");
        for action in &self.host_actions {
            let text = match action {
                HostAction::BindListenerCertificate { thumbprint } => {
                    format!(
                        "bind the RDP-Tcp listener to certificate {thumbprint} (Win32_TSGeneralSetting)"
                    )
                }
                HostAction::RepairPrivateKeyPermissions { certificate } => format!(
                    "grant NETWORK SERVICE read on the private key of the {} certificate",
                    match certificate {
                        CertificateSource::Unmanaged => "listener's current".to_string(),
                        CertificateSource::Template(t) => format!("template {t:?}"),
                        CertificateSource::Thumbprint(t) => format!("bound {t}"),
                    }
                ),
            };
            let _ = writeln!(out, "  {text}");
        }
        if !self.waivers.is_empty() {
            let _ = writeln!(out, "waivers:");
            for w in &self.waivers {
                let _ = writeln!(
                    out,
                    "  {} on {} until {}: {:?}",
                    w.field,
                    if w.hosts.is_empty() {
                        "every host".to_string()
                    } else {
                        w.hosts.join(", ")
                    },
                    w.expires,
                    w.reason
                );
            }
        }
        out
    }
}

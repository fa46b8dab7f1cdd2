//! The collector script: the template plus the registry keys the catalog knows, so the
//! collector reads exactly what `diff` compares.

use serde_json::json;

use crate::catalog::{SETTINGS, keys};

const TEMPLATE: &str = include_str!("../../templates/collector/collector.ps1.hbs");

/// Every key below HKLM the audit reads, sorted.
#[must_use]
pub fn registry_keys() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in SETTINGS {
        if let Some(p) = s.policy {
            out.push(p.key.to_string());
        }
        for l in s.local {
            if l.key != keys::SCHANNEL_PROTOCOLS {
                out.push(l.key.to_string());
            }
        }
    }
    out.extend(keys::tls_server_keys());
    out.push(keys::TERMINAL_SERVER.to_string());
    out.push(keys::FWPOL_RULES.to_string());
    // The firewall's own settings, policy and local, for the effective-firewall evaluation.
    out.push(keys::FWPOL.to_string());
    for profile in ["DomainProfile", "PrivateProfile", "PublicProfile"] {
        out.push(format!("{}\\{profile}", keys::FWPOL));
    }
    for profile in ["DomainProfile", "StandardProfile"] {
        out.push(format!(
            "{}\\{profile}\\Services\\RemoteDesktop",
            keys::FWPOL
        ));
    }
    for profile in ["DomainProfile", "StandardProfile", "PublicProfile"] {
        out.push(format!("{}\\{profile}", keys::FWLOCAL));
    }
    out.sort_by_key(|k| k.to_ascii_lowercase());
    out.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    out
}

/// The collector script.
///
/// # Errors
/// A template error (a bug).
pub fn render() -> Result<String, handlebars::RenderError> {
    let keys = registry_keys();
    // The keys are catalog constants and become single-quoted PowerShell literals.
    debug_assert!(keys.iter().all(|k| !k.contains('\'')));
    let mut hb = handlebars::Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let data = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "snapshot_version": super::snapshot::SNAPSHOT_VERSION,
        "keys": keys,
        "rdp_tcp": keys::RDP_TCP,
    });
    hb.render_template(TEMPLATE, &data)
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_safe_single_quoted_literals() {
        for k in super::registry_keys() {
            assert!(
                !k.contains(['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'])
                    && !k.chars().any(char::is_control),
                "{k}"
            );
        }
    }
}

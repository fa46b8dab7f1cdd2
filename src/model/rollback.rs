//! What rollback restores. By default every [`RegistryOp`] rolls back to the catalog's Windows
//! default (local values Windows always has, such as the listener port) or to deletion: that
//! is not what a given host had, and on a hardened host it weakens it (deleting the SCHANNEL
//! switches turns TLS 1.0/1.1 back to the operating system's default). With a host's state
//! (`rdpgen build --rollback-from`), `crate::audit::rollback::from_host` makes every
//! rollback restore the value the host had and delete only the values it did not have; the
//! rollback artifacts say which in their comments ([`summary`]).

use super::{Model, RegistryAction, RegistryOp, RollbackOrigin, Scope};
use crate::catalog::keys;
use crate::formats::RegistryValue;

/// With Windows defaults, the values whose rollback weakens a host that was hardened before
/// the policy: the SCHANNEL switches that turn a protocol off (deleted: the operating
/// system's default applies, which enables TLS 1.0 and 1.1 before Windows Server 2025 and
/// Windows 11 24H2), as `(HKLM\key\value, what rollback does)`.
#[must_use]
pub fn weakening(model: &Model) -> Vec<(String, String)> {
    if model.rollback_origin == RollbackOrigin::Host {
        return Vec::new();
    }
    let prefix = format!("{}\\", keys::SCHANNEL_PROTOCOLS.to_ascii_lowercase());
    model
        .registry
        .iter()
        .filter(|op| op.scope == Scope::Local)
        .filter(|op| op.key.to_ascii_lowercase().starts_with(&prefix))
        // Only the switches that turn a protocol off: undoing `Enabled`=1 weakens nothing.
        .filter(|op| {
            matches!(
                (&op.action, op.value_name.to_ascii_lowercase().as_str()),
                (RegistryAction::Set(RegistryValue::Dword(0)), "enabled")
                    | (
                        RegistryAction::Set(RegistryValue::Dword(1)),
                        "disabledbydefault"
                    )
            )
        })
        .map(|op| (location(op), after(op)))
        .collect()
}

/// With Windows defaults, the local values rollback resets to a fixed default instead of
/// the host's value (the listener port back to 3389, even on a host that listened on 3390).
#[must_use]
pub fn reset_to_default(model: &Model) -> Vec<(String, String)> {
    if model.rollback_origin == RollbackOrigin::Host {
        return Vec::new();
    }
    model
        .registry
        .iter()
        .filter(|op| op.scope == Scope::Local && op.rollback.is_some())
        .map(|op| (location(op), after(op)))
        .collect()
}

fn location(op: &RegistryOp) -> String {
    format!("{}\\{}\\{}", op.hive.short_name(), op.key, op.value_name)
}

fn after(op: &RegistryOp) -> String {
    match &op.rollback {
        Some(v) => format!("set to {}", super::describe::value_text(v)),
        None => "deleted".to_string(),
    }
}

/// What a rollback artifact restores, as comment lines (catalog text only: no policy or host
/// string reaches them). `undoes` names the artifact it undoes.
#[must_use]
pub fn summary(model: &Model, undoes: &str) -> Vec<String> {
    let mut lines = Vec::new();
    match model.rollback_origin {
        RollbackOrigin::Host => {
            lines.push(format!(
                "rdpgen rollback of {undoes}: restores the values the host given to --rollback-from had, and deletes only the values it did not have."
            ));
        }
        RollbackOrigin::WindowsDefaults => {
            lines.push(format!(
                "rdpgen rollback of {undoes}: restores Windows defaults, not what this host had before: values with a Windows default get it back, every other value {undoes} sets is deleted."
            ));
            lines.push("To restore a host's own values, build with `rdpgen build --rollback-from <snapshot>` (a collector snapshot or a .reg export of the host).".to_string());
            let weak = weakening(model);
            if !weak.is_empty() {
                lines.push("This weakens a host that was hardened before the policy: deleting these SCHANNEL switches returns each protocol the policy turns off to the operating system's default (TLS 1.0 and 1.1 are on by default before Windows Server 2025 and Windows 11 24H2):".to_string());
                lines.extend(weak.iter().map(|(path, what)| format!("  {path}: {what}")));
            }
            let reset = reset_to_default(model);
            if !reset.is_empty() {
                lines.push("These local values go back to the Windows default whatever the host had (a listener on another port moves back):".to_string());
                lines.extend(reset.iter().map(|(path, what)| format!("  {path}: {what}")));
            }
        }
    }
    lines
}

//! `rdpgen build --rollback-from`: the rollback of a model made from what one host had, read
//! with the same host-input reader as `rdpgen diff` (collector snapshots, `.reg` exports,
//! Registry.pol files, the live registry on Windows).

use super::HostState;
use super::snapshot::{HiveId, RegistryPath};
use crate::model::{Model, RollbackOrigin};

/// The host file does not say what the host had for some values the policy sets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the host state does not cover {} value(s) the policy sets, so rollback cannot say what the host had: {}; \
     use a collector snapshot (`rdpgen collector`), or export those keys too (`reg export <key> <file>.reg`; a key's subtree counts as captured)",
    .missing.len(),
    .missing.join(", ")
)]
pub struct NotCovered {
    /// `HKLM\key\value` of every value not covered, in model order.
    pub missing: Vec<String>,
}

/// Whether the host file captured `key`: inside its evidence (a collector snapshot or the
/// live registry: everything; a Registry.pol or GPO: the Group Policy keys; a `.reg` export:
/// its keys), or below a key a `.reg` export holds — `reg export` writes a key's whole
/// subtree, so a subkey missing from the export did not exist.
fn captured(host: &HostState, hive: HiveId, key: &str) -> bool {
    let evidence = &host.evidence;
    if evidence.covers_key(hive, key) {
        return true;
    }
    let mut current = key.to_ascii_lowercase();
    while let Some(i) = current.rfind('\\') {
        current.truncate(i);
        if evidence.keys.contains(&(hive, current.clone())) {
            return true;
        }
    }
    false
}

/// Makes every rollback of `model` restore what `host` had: the host's value where it had
/// one, deletion where it had none.
///
/// # Errors
/// [`NotCovered`], naming every value whose key the host file did not capture (nothing is
/// changed then).
pub fn from_host(model: &mut Model, host: &HostState) -> Result<(), NotCovered> {
    let mut missing = Vec::new();
    let firewall = model.firewall_registry().unwrap_or_default();
    let mut restored = Vec::with_capacity(model.registry.len() + firewall.len());
    for op in model.registry.iter().chain(&firewall) {
        let path = RegistryPath::new(op.hive, &op.key, &op.value_name);
        if !captured(host, path.hive, &path.key) {
            missing.push(format!(
                "{}\\{}\\{}",
                op.hive.short_name(),
                op.key,
                op.value_name
            ));
            continue;
        }
        restored.push(host.registry.get(&path).cloned());
    }
    if !missing.is_empty() {
        return Err(NotCovered { missing });
    }
    let (settings, firewall_values) = restored.split_at(model.registry.len());
    for (op, value) in model.registry.iter_mut().zip(settings) {
        op.rollback = value.clone();
    }
    model.host_firewall_values = firewall
        .iter()
        .zip(firewall_values)
        .filter_map(|(op, value)| {
            value
                .clone()
                .map(|v| (crate::model::firewall_location(&op.key, &op.value_name), v))
        })
        .collect();
    model.rollback_origin = RollbackOrigin::Host;
    Ok(())
}

//! `pol/Machine/Registry.pol`: every registry operation of the model, in the order Windows
//! writes keys (component-wise, case-insensitive), values in catalog order within a key.

use super::{Artifact, EmitError};
use crate::formats::Hive;
use crate::formats::registry_pol::{self, PolEntry};
use crate::model::{Model, RegistryAction};

/// The Machine-side Registry.pol entries of the model, sorted as Windows writes them.
///
/// # Errors
/// A firewall rule without a registry form (never for a lowered model).
pub fn pol_entries(model: &Model) -> Result<Vec<PolEntry>, EmitError> {
    let mut entries: Vec<PolEntry> = model
        .registry_ops()?
        .iter()
        .filter(|op| op.hive == Hive::LocalMachine)
        .map(|op| match &op.action {
            RegistryAction::Set(value) => PolEntry {
                key: op.key.clone(),
                value_name: op.value_name.clone(),
                value: value.clone(),
            },
            RegistryAction::Delete => PolEntry::delete_value(op.key.clone(), &op.value_name),
        })
        .collect();
    registry_pol::sort_for_windows(&mut entries);
    Ok(entries)
}

pub fn emit(model: &Model) -> Result<Artifact, EmitError> {
    Ok(Artifact {
        path: "pol/Machine/Registry.pol".into(),
        bytes: registry_pol::write(&pol_entries(model)?)?,
    })
}

//! `reg/apply.reg` and `reg/rollback.reg`: regedit 5.00 files. Apply sets every value of the
//! model; rollback undoes exactly those values — it deletes what Windows does not have by
//! default and restores the Windows default of local values such as the listener port. Keys
//! are never deleted, because other software and other GPOs keep values in them too.

use super::{Artifact, EmitError};
use crate::formats::reg_file::{self, RegFile, RegFileValue, RegSection};
use crate::formats::registry_pol::compare_keys;
use crate::model::{Model, RegistryOp};

/// Groups values by key; keys in Windows order, values in model order.
fn sections(model: &Model, value: impl Fn(&RegistryOp) -> RegFileValue) -> RegFile {
    let mut keys: Vec<(String, Vec<RegFileValue>)> = Vec::new();
    for op in &model.registry {
        let path = format!("{}\\{}", op.hive.regedit_name(), op.key);
        match keys.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&path)) {
            Some((_, values)) => values.push(value(op)),
            None => keys.push((path, vec![value(op)])),
        }
    }
    keys.sort_by(|a, b| compare_keys(&a.0, &b.0));
    RegFile {
        sections: keys
            .into_iter()
            .map(|(path, values)| RegSection::Key { path, values })
            .collect(),
    }
}

pub fn emit(model: &Model) -> Result<Vec<Artifact>, EmitError> {
    let line = |rollback: bool| {
        move |op: &RegistryOp| match op.value_after(rollback) {
            Some(v) => RegFileValue::set(op.value_name.clone(), v.clone()),
            None => RegFileValue::delete(op.value_name.clone()),
        }
    };
    let apply = sections(model, line(false));
    let rollback = sections(model, line(true));
    Ok(vec![
        Artifact {
            path: "reg/apply.reg".into(),
            bytes: reg_file::write(&apply)?,
        },
        Artifact {
            path: "reg/rollback.reg".into(),
            bytes: reg_file::write(&rollback)?,
        },
    ])
}

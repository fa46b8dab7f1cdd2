//! `reg/apply.reg` and `reg/rollback.reg`: regedit 5.00 files. Apply sets every value of the
//! model; rollback undoes exactly those values. By default it deletes what Windows does not
//! have by default and restores the Windows default of local values such as the listener
//! port; with `rdpgen build --rollback-from` it restores what that host had and deletes only
//! what it did not have. The rollback ends with `;` comment lines saying which, and (for
//! Windows defaults) naming the values whose rollback weakens a hardened host. Keys are never
//! deleted, because other software and other GPOs keep values in them too.

use super::{Artifact, EmitError};
use crate::formats::reg_file::{self, RegFile, RegFileValue, RegSection};
use crate::formats::registry_pol::compare_keys;
use crate::model::rollback::summary;
use crate::model::{Model, RegistryOp};

/// The `;` comment lines at the end of `rollback.reg`.
fn rollback_header(model: &Model) -> Vec<String> {
    summary(model, "apply.reg")
        .into_iter()
        .map(|line| format!("; {line}"))
        .collect()
}

/// `text` (a .reg document) followed by `comments`, as UTF-16LE with a BOM. The comments go
/// last, after a blank line: regedit, Wine and Samba read `;` lines anywhere, but hivex
/// (`hivexregedit --merge`) refuses a comment inside a key's block, and the conformance
/// import check refuses text between the header and the first key.
fn with_comments(text: &str, comments: &[String]) -> Vec<u8> {
    let mut out_text = String::with_capacity(text.len() + 200 * comments.len());
    out_text.push_str(text);
    if !out_text.ends_with("\r\n\r\n") {
        out_text.push_str("\r\n");
    }
    for line in comments {
        out_text.push_str(line);
        out_text.push_str("\r\n");
    }
    let mut out = Vec::with_capacity(2 + 2 * out_text.len());
    out.extend_from_slice(&[0xFF, 0xFE]);
    crate::formats::utf16::push_le(&mut out, &out_text);
    out
}

/// Groups values by key; keys in Windows order, values in model order.
fn sections(ops: &[RegistryOp], value: impl Fn(&RegistryOp) -> RegFileValue) -> RegFile {
    let mut keys: Vec<(String, Vec<RegFileValue>)> = Vec::new();
    for op in ops {
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
    let ops = model.registry_ops()?;
    let apply = sections(&ops, line(false));
    let rollback = sections(&ops, line(true));
    Ok(vec![
        Artifact {
            path: "reg/apply.reg".into(),
            bytes: reg_file::write(&apply)?,
        },
        Artifact {
            path: "reg/rollback.reg".into(),
            bytes: with_comments(&reg_file::write_text(&rollback)?, &rollback_header(model)),
        },
    ])
}

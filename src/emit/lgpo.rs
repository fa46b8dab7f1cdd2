//! `lgpo/machine.txt`: the model as LGPO.exe text (`LGPO.exe /t machine.txt`, or
//! `/r machine.txt /w registry.pol`), Unicode with a byte-order mark, in the same order as the
//! Registry.pol back end.

use super::{Artifact, EmitError, pol_entries};
use crate::formats::Hive;
use crate::formats::lgpo_text::{self, LgpoAction, LgpoEntry};
use crate::model::Model;

pub fn emit(model: &Model) -> Result<Artifact, EmitError> {
    let entries: Vec<LgpoEntry> = pol_entries(model)?
        .into_iter()
        .map(|e| {
            let deleted = e.value_name.strip_prefix("**del.").map(str::to_string);
            let (value_name, action) = match deleted {
                Some(name) => (name, LgpoAction::Delete),
                None => (e.value_name, LgpoAction::Set(e.value)),
            };
            LgpoEntry {
                hive: Hive::LocalMachine,
                key: e.key,
                value_name,
                action,
            }
        })
        .collect();
    let header = format!(
        "rdpgen policy {}: apply with LGPO.exe /t machine.txt",
        model.name
    );
    let text = lgpo_text::write_with_header(&[header.as_str()], &entries)?;
    Ok(Artifact {
        path: "lgpo/machine.txt".into(),
        bytes: lgpo_text::encode_unicode(&text),
    })
}

//! Group Policy Preferences `Machine\Preferences\Registry\Registry.xml` ([MS-GPPREF] §2.2.1.12):
//! the registry values no ADMX can carry. One `<Registry>` item per value, in model order, as
//! `Set-GPPrefRegistryValue` writes them (attribute order, `image` = the action's index,
//! numbers as fixed-width upper-case hex, binary as upper-case hex without separators); the
//! item `uid` is a UUIDv5 of the GPO and the value, `changed` the backup time.
//!
//! Action `U` (Update) creates the value or overwrites its data; a deletion is action `D`.

use super::{Backup, EmitError, PreferenceItem, bug, xml_error};
use crate::formats::RegistryValue;
use crate::formats::xml::XmlWriter;

const SETTINGS_CLSID: &str = "{A3CCFC41-DFDB-43a5-8D26-0FE8B954DA51}";
const ITEM_CLSID: &str = "{9CD4B2F4-923D-47f5-A062-E897DD1DAD50}";

/// Type name and `value` attribute of a preference value; `None` for types rdpgen never
/// writes here.
fn type_and_value(value: &RegistryValue) -> Option<(&'static str, String)> {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02X}")).collect::<String>();
    Some(match value {
        RegistryValue::Sz(s) => ("REG_SZ", s.clone()),
        RegistryValue::ExpandSz(s) => ("REG_EXPAND_SZ", s.clone()),
        RegistryValue::Binary(b) => ("REG_BINARY", hex(b)),
        RegistryValue::Dword(d) => ("REG_DWORD", format!("{d:08X}")),
        RegistryValue::Qword(q) => ("REG_QWORD", format!("{q:016X}")),
        _ => return None,
    })
}

fn item(w: &mut XmlWriter, backup: &Backup<'_>, item: &PreferenceItem) -> Result<(), EmitError> {
    let (action, image) = if item.value.is_some() {
        ("U", "2")
    } else {
        ("D", "3")
    };
    let (kind, value) = match &item.value {
        Some(v) => type_and_value(v).ok_or_else(|| {
            bug(format!(
                "a preference item cannot hold {}",
                crate::formats::registry_value::kind_name(v.kind())
            ))
        })?,
        None => ("REG_SZ", String::new()),
    };
    let changed = backup.time.preferences();
    let desc = format!("rdpgen policy {}: {}", backup.model.name, item.field);
    w.raw("\r\n\t");
    w.open(
        "Registry",
        &[
            ("clsid", ITEM_CLSID),
            ("name", &item.value_name),
            ("status", &item.value_name),
            ("image", image),
            ("changed", &changed),
            ("uid", &item.uid),
            ("desc", &desc),
        ],
    );
    w.empty(
        "Properties",
        &[
            ("action", action),
            ("displayDecimal", "0"),
            ("default", "0"),
            ("hive", item.hive.regedit_name()),
            ("key", &item.key),
            ("name", &item.value_name),
            ("type", kind),
            ("value", &value),
        ],
    );
    w.close("Registry");
    Ok(())
}

/// The Registry.xml document (UTF-8, no byte-order mark).
pub(super) fn registry_xml(backup: &Backup<'_>) -> Result<String, EmitError> {
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n");
    w.open("RegistrySettings", &[("clsid", SETTINGS_CLSID)]);
    for i in &backup.preferences {
        item(&mut w, backup, i)?;
    }
    w.raw("\r\n");
    w.close("RegistrySettings");
    w.raw("\r\n");
    w.finish().map_err(xml_error)
}

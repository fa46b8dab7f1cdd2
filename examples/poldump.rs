//! `poldump FILE.pol`: prints rdpgen's reading of a Registry.pol as JSON in the shape Samba's
//! `pol2json.py` prints (`{"signature", "version", "entries": [{"key", "value", "type",
//! "type_name", "size", "data"}]}`), so `.ci/conformance-formats.sh` can compare the two
//! readers entry by entry. Exit status: 0 read, 1 refused by the reader, 2 usage or I/O.

use std::fmt::Write as _;
use std::process::ExitCode;

use rdpgen::formats::registry_pol::{self, PolEntry};
use rdpgen::formats::registry_value::{RegistryValue, kind_name};
use serde_json::{Value, json};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: poldump FILE.pol");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("poldump: {}: {error}", path.display());
            return ExitCode::from(2);
        }
    };
    let entries = match registry_pol::read(&bytes) {
        Ok(entries) => entries,
        Err(error) => {
            eprintln!("poldump: {}: {error}", path.display());
            return ExitCode::from(1);
        }
    };
    let document = json!({
        "signature": "PReg",
        "version": registry_pol::VERSION,
        "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
    });
    match serde_json::to_string_pretty(&document) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("poldump: {error}");
            ExitCode::from(2)
        }
    }
}

/// Samba's spelling of a type: `REG_SZ`, ..., `type12` for codes it has no name for.
fn type_name(kind: u32) -> String {
    match kind {
        0..=7 | 11 => kind_name(kind),
        other => format!("type{other}"),
    }
}

fn hex(bytes: &[u8]) -> Value {
    let mut text = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    json!({ "hex": text })
}

/// `pol2json.py`'s `REG_MULTI_SZ` rule: split the text (without its last two NULs) on NUL when
/// it ends with two NULs and is longer than two characters, else the empty list; fall back to
/// hex when joining the list again does not give the same bytes.
fn multi_sz_json(items: &[String], bytes: &[u8]) -> Value {
    let mut text: String = items
        .iter()
        .flat_map(|item| item.chars().chain(['\0']))
        .collect();
    text.push('\0');
    let chars: Vec<char> = text.chars().collect();
    let list: Vec<String> = if text.ends_with("\0\0") && chars.len() > 2 {
        chars[..chars.len() - 2]
            .iter()
            .collect::<String>()
            .split('\0')
            .map(str::to_owned)
            .collect()
    } else {
        Vec::new()
    };
    let again: Vec<u8> = (list.join("\0") + "\0\0")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    if again == bytes {
        json!(list)
    } else {
        hex(bytes)
    }
}

fn entry_json(entry: &PolEntry) -> Value {
    let bytes = entry.value.to_bytes();
    let data = match &entry.value {
        RegistryValue::Sz(text) | RegistryValue::ExpandSz(text) => json!(text),
        RegistryValue::Dword(number) | RegistryValue::DwordBigEndian(number) => json!(number),
        RegistryValue::Qword(number) => json!(number),
        RegistryValue::MultiSz(items) => multi_sz_json(items, &bytes),
        RegistryValue::None(_) => Value::Null,
        RegistryValue::Binary(data) | RegistryValue::Other { data, .. } => hex(data),
    };
    json!({
        "key": entry.key,
        "value": entry.value_name,
        "type": entry.value.kind(),
        "type_name": type_name(entry.value.kind()),
        "size": bytes.len(),
        "data": data,
    })
}

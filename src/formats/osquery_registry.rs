//! osquery's `registry` table as text: the `path` of a key or value below HKLM, and a value's
//! `type` and `data` columns. One writer ([`text`], for the queries that compare) and one reader
//! ([`read`], for results), so both sides agree on how osquery spells a value.

use super::RegistryValue;

/// A key below HKEY_LOCAL_MACHINE as osquery's `key` column spells it.
#[must_use]
pub fn key_path(key: &str) -> String {
    format!("HKEY_LOCAL_MACHINE\\{key}")
}

/// A value below HKEY_LOCAL_MACHINE as osquery's `path` column spells it.
#[must_use]
pub fn value_path(key: &str, name: &str) -> String {
    format!("{}\\{name}", key_path(key))
}

/// `'REG_DWORD:2'`-style text of a value as osquery's registry table shows it (`type`, `:`,
/// `data`): REG_DWORD as signed decimal, binary as upper-case hex, REG_MULTI_SZ joined by
/// commas.
pub fn text(value: &RegistryValue) -> String {
    match value {
        RegistryValue::Dword(n) => format!("REG_DWORD:{}", n.cast_signed()),
        RegistryValue::DwordBigEndian(n) => format!("REG_DWORD_BIG_ENDIAN:{}", n.cast_signed()),
        RegistryValue::Qword(n) => format!("REG_QWORD:{n}"),
        RegistryValue::Sz(s) => format!("REG_SZ:{s}"),
        RegistryValue::ExpandSz(s) => format!("REG_EXPAND_SZ:{s}"),
        RegistryValue::MultiSz(v) => format!("REG_MULTI_SZ:{}", v.join(",")),
        RegistryValue::Binary(b) => format!(
            "REG_BINARY:{}",
            b.iter().map(|x| format!("{x:02X}")).collect::<String>()
        ),
        RegistryValue::None(_) => "REG_NONE:(zero-length binary value)".into(),
        RegistryValue::Other { .. } => "UNKNOWN:".into(),
    }
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if !t.len().is_multiple_of(2) || !t.is_ascii() {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
        .collect()
}

/// # Errors
/// The data is not what `kind` holds (a DWORD that is no 32-bit number, odd hex).
///
/// A registry row's data as Windows holds it, from osquery's text: REG_DWORD is the signed
/// decimal of the 32 bits, binary types upper-case hex, REG_MULTI_SZ its strings joined by
/// `,` (osquery loses the boundaries), REG_NONE a fixed text.
pub fn read(kind: &str, data: &str) -> Result<RegistryValue, String> {
    let bad = || format!("`{data}` is not {kind} data");
    let dword = || -> Result<u32, String> {
        let n: i64 = data.trim().parse().map_err(|_| bad())?;
        if let Ok(v) = u32::try_from(n) {
            Ok(v)
        } else {
            i32::try_from(n).map(i32::cast_unsigned).map_err(|_| bad())
        }
    };
    Ok(match kind.to_ascii_uppercase().as_str() {
        "REG_DWORD" => RegistryValue::Dword(dword()?),
        "REG_DWORD_BIG_ENDIAN" => RegistryValue::DwordBigEndian(dword()?),
        "REG_QWORD" => RegistryValue::Qword(data.trim().parse().map_err(|_| bad())?),
        "REG_SZ" | "REG_LINK" => RegistryValue::Sz(data.to_string()),
        "REG_EXPAND_SZ" => RegistryValue::ExpandSz(data.to_string()),
        "REG_MULTI_SZ" => RegistryValue::MultiSz(if data.is_empty() {
            Vec::new()
        } else {
            data.split(',').map(str::to_string).collect()
        }),
        "REG_BINARY" | "REG_RESOURCE_LIST" | "REG_FULL_RESOURCE_DESCRIPTOR" => {
            RegistryValue::Binary(hex_bytes(data).ok_or_else(bad)?)
        }
        // REG_NONE ("(zero-length binary value)") and types osquery does not name: a value
        // Windows reads as no DWORD or string at all.
        _ => RegistryValue::None(Vec::new()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dword_text_is_read_as_osquery_writes_it() {
        assert_eq!(read("REG_DWORD", "-1"), Ok(RegistryValue::Dword(u32::MAX)));
        assert_eq!(read("REG_DWORD", "2"), Ok(RegistryValue::Dword(2)));
        assert!(read("REG_DWORD", "x").is_err());
        assert_eq!(
            read("REG_BINARY", "0AFF"),
            Ok(RegistryValue::Binary(vec![10, 255]))
        );
        assert_eq!(
            read("REG_NONE", "(zero-length binary value)"),
            Ok(RegistryValue::None(Vec::new()))
        );
    }

    #[test]
    fn what_text_writes_read_reads_back() {
        for value in [
            RegistryValue::Dword(0),
            RegistryValue::Dword(u32::MAX),
            RegistryValue::Qword(7),
            RegistryValue::Sz("it's".into()),
            RegistryValue::ExpandSz("%SystemRoot%".into()),
            RegistryValue::MultiSz(vec!["a".into(), "b".into()]),
            RegistryValue::Binary(vec![0, 0xAB]),
        ] {
            let t = text(&value);
            let (kind, data) = t.split_once(':').unwrap();
            assert_eq!(read(kind, data), Ok(value.clone()), "{t}");
        }
        assert_eq!(
            value_path(r"SYSTEM\X", "Y"),
            r"HKEY_LOCAL_MACHINE\SYSTEM\X\Y"
        );
    }
}

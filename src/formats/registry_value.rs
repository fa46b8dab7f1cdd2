//! `RegistryValue`: a typed registry value and its registry data encoding (the bytes
//! `RegSetValueEx` stores: UTF-16LE strings with NUL terminators, little-endian integers),
//! plus the `Hive` a key lives in. Shared by every file codec in `formats`.

use serde::Serialize;
use thiserror::Error;

use super::utf16;

/// `REG_NONE`: no type; Registry.pol uses it, with no data, for "create the key".
pub const REG_NONE: u32 = 0;
/// `REG_SZ`: a UTF-16LE string with a NUL terminator.
pub const REG_SZ: u32 = 1;
/// `REG_EXPAND_SZ`: like `REG_SZ`, with `%VARIABLE%` references expanded by readers.
pub const REG_EXPAND_SZ: u32 = 2;
/// `REG_BINARY`: raw bytes.
pub const REG_BINARY: u32 = 3;
/// `REG_DWORD`: a little-endian 32-bit number.
pub const REG_DWORD: u32 = 4;
/// `REG_DWORD_BIG_ENDIAN`: a big-endian 32-bit number.
pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
/// `REG_LINK`: a symbolic link (kept as [`RegistryValue::Other`]).
pub const REG_LINK: u32 = 6;
/// `REG_MULTI_SZ`: NUL-terminated UTF-16LE strings followed by one more NUL.
pub const REG_MULTI_SZ: u32 = 7;
/// `REG_QWORD`: a little-endian 64-bit number.
pub const REG_QWORD: u32 = 11;

/// The REG_* name of a type code (`REG_SZ`), or `type N` for codes without one here.
#[must_use]
pub fn kind_name(kind: u32) -> String {
    match kind {
        REG_NONE => "REG_NONE".to_owned(),
        REG_SZ => "REG_SZ".to_owned(),
        REG_EXPAND_SZ => "REG_EXPAND_SZ".to_owned(),
        REG_BINARY => "REG_BINARY".to_owned(),
        REG_DWORD => "REG_DWORD".to_owned(),
        REG_DWORD_BIG_ENDIAN => "REG_DWORD_BIG_ENDIAN".to_owned(),
        REG_LINK => "REG_LINK".to_owned(),
        REG_MULTI_SZ => "REG_MULTI_SZ".to_owned(),
        REG_QWORD => "REG_QWORD".to_owned(),
        other => format!("type {other}"),
    }
}

/// Whether `kind` has its own [`RegistryValue`] variant (and so must not be `Other`).
#[must_use]
pub fn is_modelled_kind(kind: u32) -> bool {
    matches!(
        kind,
        REG_NONE
            | REG_SZ
            | REG_EXPAND_SZ
            | REG_BINARY
            | REG_DWORD
            | REG_DWORD_BIG_ENDIAN
            | REG_MULTI_SZ
            | REG_QWORD
    )
}

/// A registry value: its type and its data.
///
/// JSON form (serde, externally tagged): `{"Dword": 1}`, `{"Sz": "text"}`,
/// `{"MultiSz": ["a", "b"]}`, `{"Binary": [1, 255]}`, `{"Other": {"kind": 6, "data": []}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RegistryValue {
    /// `REG_NONE` with its raw data (Registry.pol's "create key" entry has none).
    None(Vec<u8>),
    /// `REG_SZ`.
    Sz(String),
    /// `REG_EXPAND_SZ`.
    ExpandSz(String),
    /// `REG_BINARY`.
    Binary(Vec<u8>),
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_DWORD_BIG_ENDIAN`.
    DwordBigEndian(u32),
    /// `REG_MULTI_SZ`; an empty list is stored as a single NUL.
    MultiSz(Vec<String>),
    /// `REG_QWORD`.
    Qword(u64),
    /// Any other type code (`REG_LINK`, `REG_RESOURCE_LIST`, ...) with its raw data.
    /// `kind` is never one of the codes above when produced by [`RegistryValue::from_bytes`].
    Other {
        /// The REG_* type code.
        kind: u32,
        /// The raw data.
        data: Vec<u8>,
    },
}

/// Why bytes are not valid data for a registry type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueDecodeError {
    /// A UTF-16 string type with an odd number of bytes.
    #[error("{} data has an odd length ({len} bytes); UTF-16LE needs an even number", kind_name(*kind))]
    OddLength {
        /// The type code.
        kind: u32,
        /// The data length in bytes.
        len: usize,
    },
    /// A string without its final NUL code unit (`00 00`).
    #[error("{} data does not end with a NUL code unit (`00 00`)", kind_name(*kind))]
    MissingTerminator {
        /// The type code.
        kind: u32,
    },
    /// A `REG_MULTI_SZ` that does not end with the empty string that closes the list.
    #[error("REG_MULTI_SZ data does not end with two NUL code units (`00 00 00 00`)")]
    MissingListTerminator,
    /// An unpaired UTF-16 surrogate.
    #[error("{} data holds an unpaired UTF-16 surrogate at byte {offset}", kind_name(*kind))]
    InvalidUtf16 {
        /// The type code.
        kind: u32,
        /// Offset of the bad code unit within the data.
        offset: usize,
    },
    /// A fixed-size type with the wrong number of bytes.
    #[error("{} data must be exactly {expected} bytes, found {found}", kind_name(*kind))]
    WrongSize {
        /// The type code.
        kind: u32,
        /// The size the type needs.
        expected: usize,
        /// The size found.
        found: usize,
    },
}

/// Why a [`RegistryValue`] cannot be stored so that it reads back as the same value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueShapeError {
    /// `Other` carrying a type code that has its own variant.
    #[error("`Other` cannot carry {}; use the `RegistryValue` variant of that type", kind_name(*kind))]
    OtherWithModelledKind {
        /// The type code.
        kind: u32,
    },
    /// A `REG_MULTI_SZ` item that is empty: readers stop the list at an empty string.
    #[error(
        "REG_MULTI_SZ item {index} is empty; an empty string ends the list for Windows readers"
    )]
    EmptyMultiSzItem {
        /// Index of the item.
        index: usize,
    },
    /// A `REG_MULTI_SZ` item holding a NUL character, which separates items.
    #[error("REG_MULTI_SZ item {index} contains a NUL character, which separates items")]
    NulInMultiSzItem {
        /// Index of the item.
        index: usize,
    },
}

impl RegistryValue {
    /// The REG_* type code.
    #[must_use]
    pub fn kind(&self) -> u32 {
        match self {
            Self::None(_) => REG_NONE,
            Self::Sz(_) => REG_SZ,
            Self::ExpandSz(_) => REG_EXPAND_SZ,
            Self::Binary(_) => REG_BINARY,
            Self::Dword(_) => REG_DWORD,
            Self::DwordBigEndian(_) => REG_DWORD_BIG_ENDIAN,
            Self::MultiSz(_) => REG_MULTI_SZ,
            Self::Qword(_) => REG_QWORD,
            Self::Other { kind, .. } => *kind,
        }
    }

    /// The registry data: strings as UTF-16LE with a NUL terminator; `REG_MULTI_SZ` as each
    /// item with its NUL and then one more NUL (an empty list is `00 00`); integers in the
    /// byte order of their type.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::None(data) | Self::Binary(data) | Self::Other { data, .. } => data.clone(),
            Self::Sz(text) | Self::ExpandSz(text) => utf16::to_le_nul(text),
            Self::Dword(number) => number.to_le_bytes().to_vec(),
            Self::DwordBigEndian(number) => number.to_be_bytes().to_vec(),
            Self::Qword(number) => number.to_le_bytes().to_vec(),
            Self::MultiSz(items) => {
                let mut out = Vec::new();
                for item in items {
                    utf16::push_le(&mut out, item);
                    out.extend_from_slice(&[0, 0]);
                }
                out.extend_from_slice(&[0, 0]);
                out
            }
        }
    }

    /// Decodes registry data of type `kind`, strictly: strings must have an even length, be
    /// valid UTF-16 and end with their NUL; `REG_MULTI_SZ` must end with the empty string
    /// (two NULs; a lone `00 00` is the empty list); `REG_DWORD`/`REG_DWORD_BIG_ENDIAN` must
    /// be 4 bytes and `REG_QWORD` 8. The inverse of [`RegistryValue::to_bytes`] for every
    /// value it writes. Type codes without a variant become [`RegistryValue::Other`].
    ///
    /// # Errors
    /// [`ValueDecodeError`] saying what is wrong with the data.
    pub fn from_bytes(kind: u32, data: &[u8]) -> Result<Self, ValueDecodeError> {
        Ok(match kind {
            REG_NONE => Self::None(data.to_vec()),
            REG_BINARY => Self::Binary(data.to_vec()),
            REG_SZ => Self::Sz(decode_string(kind, data)?),
            REG_EXPAND_SZ => Self::ExpandSz(decode_string(kind, data)?),
            REG_DWORD => Self::Dword(u32::from_le_bytes(fixed::<4>(kind, data)?)),
            REG_DWORD_BIG_ENDIAN => {
                Self::DwordBigEndian(u32::from_be_bytes(fixed::<4>(kind, data)?))
            }
            REG_QWORD => Self::Qword(u64::from_le_bytes(fixed::<8>(kind, data)?)),
            REG_MULTI_SZ => Self::MultiSz(decode_multi_string(data)?),
            _ => Self::Other {
                kind,
                data: data.to_vec(),
            },
        })
    }

    /// Whether `data` decodes as `kind`: exactly the error [`RegistryValue::from_bytes`] would
    /// return, or `Ok` when it would decode, without building the value (no allocation).
    ///
    /// # Errors
    /// The [`ValueDecodeError`] of [`RegistryValue::from_bytes`].
    pub fn check_bytes(kind: u32, data: &[u8]) -> Result<(), ValueDecodeError> {
        let surrogate = |kind, bytes: &[u8]| match utf16::first_unpaired_surrogate_le(bytes) {
            Some(index) => Err(ValueDecodeError::InvalidUtf16 {
                kind,
                offset: 2 * index,
            }),
            None => Ok(()),
        };
        match kind {
            REG_SZ | REG_EXPAND_SZ => {
                if !data.len().is_multiple_of(2) {
                    return Err(ValueDecodeError::OddLength {
                        kind,
                        len: data.len(),
                    });
                }
                match data.split_last_chunk::<2>() {
                    Some((text, [0, 0])) => surrogate(kind, text),
                    _ => Err(ValueDecodeError::MissingTerminator { kind }),
                }
            }
            REG_DWORD | REG_DWORD_BIG_ENDIAN => fixed::<4>(kind, data).map(drop),
            REG_QWORD => fixed::<8>(kind, data).map(drop),
            REG_MULTI_SZ => {
                if !data.len().is_multiple_of(2) {
                    return Err(ValueDecodeError::OddLength {
                        kind,
                        len: data.len(),
                    });
                }
                match data {
                    [0, 0] => Ok(()),
                    [.., 0, 0, 0, 0] => {
                        // Items are separated by NULs, which are no surrogates: the first
                        // unpaired one of the whole body is the first one of its item.
                        surrogate(kind, &data[..data.len() - 4])
                    }
                    [.., 0, 0] | [] => Err(ValueDecodeError::MissingListTerminator),
                    _ => Err(ValueDecodeError::MissingTerminator { kind }),
                }
            }
            _ => Ok(()),
        }
    }

    /// Checks that this value reads back unchanged from the bytes [`RegistryValue::to_bytes`]
    /// writes: `Other` must not carry a modelled type code, and `REG_MULTI_SZ` items must be
    /// non-empty and NUL-free.
    ///
    /// # Errors
    /// [`ValueShapeError`] naming the problem.
    pub fn check_shape(&self) -> Result<(), ValueShapeError> {
        match self {
            Self::Other { kind, .. } if is_modelled_kind(*kind) => {
                Err(ValueShapeError::OtherWithModelledKind { kind: *kind })
            }
            Self::MultiSz(items) => {
                for (index, item) in items.iter().enumerate() {
                    if item.is_empty() {
                        return Err(ValueShapeError::EmptyMultiSzItem { index });
                    }
                    if item.contains('\0') {
                        return Err(ValueShapeError::NulInMultiSzItem { index });
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

fn fixed<const N: usize>(kind: u32, data: &[u8]) -> Result<[u8; N], ValueDecodeError> {
    data.try_into().map_err(|_| ValueDecodeError::WrongSize {
        kind,
        expected: N,
        found: data.len(),
    })
}

fn string_units(kind: u32, data: &[u8]) -> Result<Vec<u16>, ValueDecodeError> {
    if !data.len().is_multiple_of(2) {
        return Err(ValueDecodeError::OddLength {
            kind,
            len: data.len(),
        });
    }
    Ok(utf16::units_le(data))
}

fn decode_units(kind: u32, units: &[u16], first_unit: usize) -> Result<String, ValueDecodeError> {
    utf16::decode(units).map_err(|index| ValueDecodeError::InvalidUtf16 {
        kind,
        offset: 2 * (first_unit + index),
    })
}

fn decode_string(kind: u32, data: &[u8]) -> Result<String, ValueDecodeError> {
    if !data.len().is_multiple_of(2) {
        return Err(ValueDecodeError::OddLength {
            kind,
            len: data.len(),
        });
    }
    match data.split_last_chunk::<2>() {
        Some((text, [0, 0])) => {
            utf16::decode_le(text).map_err(|index| ValueDecodeError::InvalidUtf16 {
                kind,
                offset: 2 * index,
            })
        }
        _ => Err(ValueDecodeError::MissingTerminator { kind }),
    }
}

fn decode_multi_string(data: &[u8]) -> Result<Vec<String>, ValueDecodeError> {
    let units = string_units(REG_MULTI_SZ, data)?;
    match units.as_slice() {
        [0] => return Ok(Vec::new()),
        [.., 0, 0] => {}
        [.., 0] | [] => return Err(ValueDecodeError::MissingListTerminator),
        [..] => {
            return Err(ValueDecodeError::MissingTerminator { kind: REG_MULTI_SZ });
        }
    }
    // Every item ends with its own NUL; the last NUL closes the list.
    let body = &units[..units.len() - 2];
    let mut items = Vec::new();
    let mut start = 0;
    for (index, &unit) in body.iter().enumerate() {
        if unit == 0 {
            items.push(decode_units(REG_MULTI_SZ, &body[start..index], start)?);
            start = index + 1;
        }
    }
    items.push(decode_units(REG_MULTI_SZ, &body[start..], start)?);
    Ok(items)
}

/// The registry hive a key lives in, for the formats that name it (`.reg`, LGPO text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Hive {
    /// `HKEY_LOCAL_MACHINE` (Computer Configuration).
    LocalMachine,
    /// `HKEY_CURRENT_USER` (User Configuration).
    CurrentUser,
}

impl Hive {
    /// The root key name regedit writes: `HKEY_LOCAL_MACHINE` / `HKEY_CURRENT_USER`.
    #[must_use]
    pub fn regedit_name(self) -> &'static str {
        match self {
            Self::LocalMachine => "HKEY_LOCAL_MACHINE",
            Self::CurrentUser => "HKEY_CURRENT_USER",
        }
    }

    /// The abbreviation `reg.exe` and PowerShell use: `HKLM` / `HKCU`.
    #[must_use]
    pub fn short_name(self) -> &'static str {
        match self {
            Self::LocalMachine => "HKLM",
            Self::CurrentUser => "HKCU",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check_bytes` accepts and refuses exactly what `from_bytes` does, with the same error,
    /// for every type and every data of up to seven units over NUL, ASCII and both surrogate
    /// halves, each also with one odd byte more.
    #[test]
    fn check_bytes_agrees_with_from_bytes() {
        const UNITS: [u16; 4] = [0x0000, 0x0041, 0xD83D, 0xDE00];
        let mut datas: Vec<Vec<u8>> = vec![Vec::new()];
        let mut from = 0;
        for _ in 0..7 {
            let to = datas.len();
            for index in from..to {
                for unit in UNITS {
                    let mut next = datas[index].clone();
                    next.extend_from_slice(&unit.to_le_bytes());
                    datas.push(next);
                }
            }
            from = to;
        }
        let odd: Vec<Vec<u8>> = datas.iter().map(|d| [&d[..], &[0x41]].concat()).collect();
        datas.extend(odd);
        let mut refused = 0;
        for kind in 0..=12 {
            for data in &datas {
                let decoded = RegistryValue::from_bytes(kind, data).map(drop);
                assert_eq!(
                    RegistryValue::check_bytes(kind, data),
                    decoded,
                    "kind {kind}, {data:02X?}"
                );
                refused += usize::from(decoded.is_err());
            }
        }
        assert!(refused > 50_000, "{refused}");
    }

    #[test]
    fn encodes_each_type_as_the_registry_stores_it() {
        assert_eq!(RegistryValue::Sz(String::new()).to_bytes(), [0, 0]);
        assert_eq!(RegistryValue::Sz("A".into()).to_bytes(), [0x41, 0, 0, 0]);
        assert_eq!(
            RegistryValue::ExpandSz("%".into()).to_bytes(),
            [0x25, 0, 0, 0]
        );
        assert_eq!(RegistryValue::Dword(0x0102_0304).to_bytes(), [4, 3, 2, 1]);
        assert_eq!(
            RegistryValue::DwordBigEndian(0x0102_0304).to_bytes(),
            [1, 2, 3, 4]
        );
        assert_eq!(RegistryValue::Qword(1).to_bytes(), [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(RegistryValue::MultiSz(vec![]).to_bytes(), [0, 0]);
        assert_eq!(
            RegistryValue::MultiSz(vec!["a".into(), "b".into()]).to_bytes(),
            [0x61, 0, 0, 0, 0x62, 0, 0, 0, 0, 0]
        );
        assert_eq!(RegistryValue::Binary(vec![1, 2]).to_bytes(), [1, 2]);
        assert_eq!(RegistryValue::None(vec![]).to_bytes(), Vec::<u8>::new());
        assert_eq!(
            RegistryValue::Other {
                kind: 6,
                data: vec![9]
            }
            .kind(),
            6
        );
    }

    #[test]
    fn decodes_what_it_encodes() {
        let values = [
            RegistryValue::None(vec![1]),
            RegistryValue::Sz("x\0y".into()),
            RegistryValue::Sz(String::new()),
            RegistryValue::ExpandSz("%SystemRoot%\\😀".into()),
            RegistryValue::Binary(vec![]),
            RegistryValue::Dword(7),
            RegistryValue::DwordBigEndian(7),
            RegistryValue::MultiSz(vec![]),
            RegistryValue::MultiSz(vec![String::new()]),
            RegistryValue::MultiSz(vec!["a".into(), String::new(), "b".into()]),
            RegistryValue::Qword(u64::MAX),
            RegistryValue::Other {
                kind: 0x1234,
                data: vec![1, 2, 3],
            },
        ];
        for value in values {
            assert_eq!(
                RegistryValue::from_bytes(value.kind(), &value.to_bytes()),
                Ok(value.clone())
            );
        }
    }

    #[test]
    fn rejects_malformed_data() {
        assert_eq!(
            RegistryValue::from_bytes(REG_SZ, &[0x41, 0, 0]),
            Err(ValueDecodeError::OddLength {
                kind: REG_SZ,
                len: 3
            })
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_SZ, &[0x41, 0]),
            Err(ValueDecodeError::MissingTerminator { kind: REG_SZ })
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_EXPAND_SZ, &[]),
            Err(ValueDecodeError::MissingTerminator {
                kind: REG_EXPAND_SZ
            })
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_SZ, &[0x41, 0, 0x00, 0xD8, 0, 0]),
            Err(ValueDecodeError::InvalidUtf16 {
                kind: REG_SZ,
                offset: 2
            })
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_DWORD, &[1, 0, 0]),
            Err(ValueDecodeError::WrongSize {
                kind: REG_DWORD,
                expected: 4,
                found: 3
            })
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_QWORD, &[0; 4]),
            Err(ValueDecodeError::WrongSize {
                kind: REG_QWORD,
                expected: 8,
                found: 4
            })
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_MULTI_SZ, &[0x61, 0, 0, 0]),
            Err(ValueDecodeError::MissingListTerminator)
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_MULTI_SZ, &[]),
            Err(ValueDecodeError::MissingListTerminator)
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_MULTI_SZ, &[0x61, 0]),
            Err(ValueDecodeError::MissingTerminator { kind: REG_MULTI_SZ })
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_MULTI_SZ, &[0x61, 0, 0, 0xDC, 0, 0, 0, 0]),
            Err(ValueDecodeError::InvalidUtf16 {
                kind: REG_MULTI_SZ,
                offset: 2
            })
        );
        assert_eq!(
            RegistryValue::from_bytes(REG_DWORD, &[1, 0, 0])
                .unwrap_err()
                .to_string(),
            "REG_DWORD data must be exactly 4 bytes, found 3"
        );
    }

    #[test]
    fn checks_shape() {
        assert!(
            RegistryValue::MultiSz(vec!["a".into()])
                .check_shape()
                .is_ok()
        );
        assert_eq!(
            RegistryValue::MultiSz(vec!["a".into(), String::new()]).check_shape(),
            Err(ValueShapeError::EmptyMultiSzItem { index: 1 })
        );
        assert_eq!(
            RegistryValue::MultiSz(vec!["a\0b".into()]).check_shape(),
            Err(ValueShapeError::NulInMultiSzItem { index: 0 })
        );
        assert_eq!(
            RegistryValue::Other {
                kind: REG_SZ,
                data: vec![]
            }
            .check_shape(),
            Err(ValueShapeError::OtherWithModelledKind { kind: REG_SZ })
        );
        assert!(
            RegistryValue::Other {
                kind: REG_LINK,
                data: vec![]
            }
            .check_shape()
            .is_ok()
        );
    }

    #[test]
    fn serializes_externally_tagged() {
        let json = serde_json::to_string(&[
            RegistryValue::Dword(1),
            RegistryValue::Sz("a".into()),
            RegistryValue::Other {
                kind: 6,
                data: vec![1],
            },
        ])
        .expect("plain data serializes");
        assert_eq!(
            json,
            r#"[{"Dword":1},{"Sz":"a"},{"Other":{"kind":6,"data":[1]}}]"#
        );
    }

    #[test]
    fn names_hives() {
        assert_eq!(Hive::LocalMachine.regedit_name(), "HKEY_LOCAL_MACHINE");
        assert_eq!(Hive::CurrentUser.regedit_name(), "HKEY_CURRENT_USER");
        assert_eq!(Hive::LocalMachine.short_name(), "HKLM");
        assert_eq!(Hive::CurrentUser.short_name(), "HKCU");
        assert_eq!(kind_name(11), "REG_QWORD");
        assert_eq!(kind_name(12), "type 12");
    }
}

//! Registry.pol (`PReg` version 1, [MS-GPREG] §2.2.1): the file Group Policy's registry
//! client-side extension applies. Owns the byte layout (header, `[key;name;type;size;data]`
//! records in UTF-16LE), the key-path and value-name rules a writer must enforce, the
//! component-wise key order Windows writes, and a strict, linear-time reader in two forms:
//! [`read`] builds owned [`PolEntry`]s, [`read_view`] borrows the data from the file and keeps
//! keys and names in one string (the same checks, the same errors).
//!
//! The hive is not stored: `Machine\Registry.pol` is `HKEY_LOCAL_MACHINE`, `User\Registry.pol`
//! is `HKEY_CURRENT_USER`. Special value names (`**del.`, `**delvals.`, the empty name with
//! `REG_NONE`) are ordinary entries here; [`PolEntry`] has constructors for them.

use std::cmp::Ordering;

use thiserror::Error;

use super::registry_value::{RegistryValue, ValueDecodeError, ValueShapeError, kind_name};
use super::utf16;

/// The four signature bytes, `PReg`.
pub const SIGNATURE: [u8; 4] = *b"PReg";
/// The only version readers accept.
pub const VERSION: u32 = 1;
/// Largest data size a record may carry (the `Size` field is capped at 0xFFFF).
pub const MAX_DATA_LEN: usize = 0xFFFF;
/// Longest value name, in UTF-16 code units ([MS-GPREG]: `Value = 1*259ValueCharacter`).
pub const MAX_VALUE_NAME_LEN: usize = 259;
/// Longest key name component, in characters (registry limit).
pub const MAX_KEY_COMPONENT_LEN: usize = 255;
/// The value name that deletes every value of a key (as `GPEdit` spells it).
pub const DELETE_ALL_VALUES: &str = "**delvals.";
/// The prefix of a value name that deletes the named value (as `GPEdit` spells it).
pub const DELETE_VALUE_PREFIX: &str = "**del.";

const OPEN: u16 = 0x5B; // [
const SEMICOLON: u16 = 0x3B; // ;
const CLOSE: u16 = 0x5D; // ]

/// One record of a Registry.pol file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolEntry {
    /// Key path without hive, components separated by `\` (`Software\Policies\...`).
    pub key: String,
    /// Value name; empty for the default value or the "create key" entry.
    pub value_name: String,
    /// Type and data.
    pub value: RegistryValue,
}

impl PolEntry {
    /// An entry that sets `value_name` under `key`.
    pub fn new(
        key: impl Into<String>,
        value_name: impl Into<String>,
        value: RegistryValue,
    ) -> Self {
        Self {
            key: key.into(),
            value_name: value_name.into(),
            value,
        }
    }

    /// `**del.<name>`: delete the value on every refresh. Written as Windows writes it:
    /// `REG_SZ`, size 4, data `20 00 00 00` (one space and its NUL).
    pub fn delete_value(key: impl Into<String>, value_name: &str) -> Self {
        Self::new(
            key,
            format!("{DELETE_VALUE_PREFIX}{value_name}"),
            RegistryValue::Sz(" ".to_owned()),
        )
    }

    /// `**delvals.`: delete every value of the key before the entries that follow it.
    /// Same type and data as [`PolEntry::delete_value`].
    pub fn delete_all_values(key: impl Into<String>) -> Self {
        Self::new(key, DELETE_ALL_VALUES, RegistryValue::Sz(" ".to_owned()))
    }

    /// The empty name with `REG_NONE` and no data: create the key only.
    pub fn create_key(key: impl Into<String>) -> Self {
        Self::new(key, "", RegistryValue::None(Vec::new()))
    }

    /// Whether this is a `**delvals.` entry (matched case-insensitively, like the client).
    #[must_use]
    pub fn is_delete_all_values(&self) -> bool {
        self.value_name.eq_ignore_ascii_case(DELETE_ALL_VALUES)
    }

    /// Checks what [`write()`] requires of this entry.
    ///
    /// # Errors
    /// [`PolEntryError`] naming the first problem.
    pub fn check(&self) -> Result<(), PolEntryError> {
        check_key(&self.key)?;
        check_value_name(&self.value_name)?;
        check_value(&self.value)
    }
}

/// What is wrong with one entry given to [`write()`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolEntryError {
    /// The key path is empty.
    #[error("the key path is empty")]
    EmptyKey,
    /// The key path has an empty component (leading, trailing or doubled `\`).
    #[error("the key path has an empty component (leading, trailing or doubled `\\`)")]
    EmptyKeyComponent,
    /// The key path names a hive; Registry.pol keys are relative to the file's hive.
    #[error("the key path starts with the hive `{root}`; Registry.pol keys have no hive")]
    KeyHasHive {
        /// The first component.
        root: String,
    },
    /// A character outside printable ASCII ([MS-GPREG] `IdCharacter`).
    #[error("the key path has {} at character {position}; keys are printable ASCII", describe_char(*character))]
    KeyCharacter {
        /// The character.
        character: char,
        /// Its 0-based character position in the key path.
        position: usize,
    },
    /// A key name longer than the registry allows.
    #[error("a key path component is {len} characters long; the limit is {MAX_KEY_COMPONENT_LEN}")]
    KeyComponentTooLong {
        /// Its length in characters.
        len: usize,
    },
    /// A value name longer than [MS-GPREG] allows.
    #[error("the value name is {len} UTF-16 code units long; the limit is {MAX_VALUE_NAME_LEN}")]
    ValueNameTooLong {
        /// Its length in UTF-16 code units.
        len: usize,
    },
    /// A control character in the value name.
    #[error("the value name has {} at character {position}", describe_char(*character))]
    ValueNameCharacter {
        /// The character.
        character: char,
        /// Its 0-based character position in the value name.
        position: usize,
    },
    /// A NUL inside `REG_SZ`/`REG_EXPAND_SZ` text: the Group Policy client and Samba stop
    /// at it, so the value would not read back.
    #[error("the {} text contains a NUL character at character {position}", kind_name(*kind))]
    NulInString {
        /// The type code.
        kind: u32,
        /// Its 0-based character position.
        position: usize,
    },
    /// `REG_NONE` with data: Windows writes `REG_NONE` only as the empty "create key" entry,
    /// and Samba's Registry.pol code drops such data.
    #[error(
        "`REG_NONE` carries {len} bytes of data; Registry.pol uses `REG_NONE` only without data (create the key)"
    )]
    NoneWithData {
        /// The data length in bytes.
        len: usize,
    },
    /// A value that does not read back unchanged.
    #[error(transparent)]
    Shape(#[from] ValueShapeError),
    /// Data larger than the `Size` field allows.
    #[error("the data is {len} bytes; Registry.pol records hold at most {MAX_DATA_LEN}")]
    DataTooLarge {
        /// The data length in bytes.
        len: usize,
    },
}

/// [`write()`] refused an entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("Registry.pol entry {index} (key `{}`, value `{}`): {problem}", .key.escape_debug(), .value_name.escape_debug())]
pub struct PolWriteError {
    /// 0-based index of the entry.
    pub index: usize,
    /// Its key path.
    pub key: String,
    /// Its value name.
    pub value_name: String,
    /// What is wrong.
    pub problem: PolEntryError,
}

fn describe_char(character: char) -> String {
    format!(
        "`{}` (U+{:04X})",
        character.escape_debug(),
        u32::from(character)
    )
}

fn check_key(key: &str) -> Result<(), PolEntryError> {
    if key.is_empty() {
        return Err(PolEntryError::EmptyKey);
    }
    if let Some((position, character)) = key
        .chars()
        .enumerate()
        .find(|&(_, c)| !(' '..='~').contains(&c))
    {
        return Err(PolEntryError::KeyCharacter {
            character,
            position,
        });
    }
    let mut components = key.split('\\');
    let root = components.next().unwrap_or_default();
    let upper_root = root.to_ascii_uppercase();
    if matches!(
        upper_root.as_str(),
        "HKLM" | "HKCU" | "HKCR" | "HKU" | "HKCC"
    ) || upper_root.starts_with("HKEY_")
    {
        return Err(PolEntryError::KeyHasHive {
            root: root.to_owned(),
        });
    }
    for component in key.split('\\') {
        if component.is_empty() {
            return Err(PolEntryError::EmptyKeyComponent);
        }
        if component.len() > MAX_KEY_COMPONENT_LEN {
            return Err(PolEntryError::KeyComponentTooLong {
                len: component.len(),
            });
        }
    }
    Ok(())
}

fn check_value_name(name: &str) -> Result<(), PolEntryError> {
    let len = name.encode_utf16().count();
    if len > MAX_VALUE_NAME_LEN {
        return Err(PolEntryError::ValueNameTooLong { len });
    }
    if let Some((position, character)) = name.chars().enumerate().find(|&(_, c)| c.is_control()) {
        return Err(PolEntryError::ValueNameCharacter {
            character,
            position,
        });
    }
    Ok(())
}

fn check_value(value: &RegistryValue) -> Result<(), PolEntryError> {
    value.check_shape()?;
    if let RegistryValue::None(data) = value
        && !data.is_empty()
    {
        return Err(PolEntryError::NoneWithData { len: data.len() });
    }
    if let RegistryValue::Sz(text) | RegistryValue::ExpandSz(text) = value
        && let Some(position) = text.chars().position(|c| c == '\0')
    {
        return Err(PolEntryError::NulInString {
            kind: value.kind(),
            position,
        });
    }
    Ok(())
}

/// Serialises `entries` in the order given (see [`sort_for_windows`] for the order Windows
/// writes). An empty slice gives the 8-byte header.
///
/// # Errors
/// [`PolWriteError`] for the first entry that breaks a rule of [`PolEntry::check`].
pub fn write(entries: &[PolEntry]) -> Result<Vec<u8>, PolWriteError> {
    let mut out = Vec::with_capacity(8 + entries.len() * 128);
    out.extend_from_slice(&SIGNATURE);
    out.extend_from_slice(&VERSION.to_le_bytes());
    for (index, entry) in entries.iter().enumerate() {
        let fail = |problem| PolWriteError {
            index,
            key: entry.key.clone(),
            value_name: entry.value_name.clone(),
            problem,
        };
        entry.check().map_err(fail)?;
        let data = entry.value.to_bytes();
        let size = u32::try_from(data.len())
            .ok()
            .filter(|&size| size as usize <= MAX_DATA_LEN)
            .ok_or_else(|| fail(PolEntryError::DataTooLarge { len: data.len() }))?;
        push_unit(&mut out, OPEN);
        out.extend_from_slice(&utf16::to_le_nul(&entry.key));
        push_unit(&mut out, SEMICOLON);
        out.extend_from_slice(&utf16::to_le_nul(&entry.value_name));
        push_unit(&mut out, SEMICOLON);
        out.extend_from_slice(&entry.value.kind().to_le_bytes());
        push_unit(&mut out, SEMICOLON);
        out.extend_from_slice(&size.to_le_bytes());
        push_unit(&mut out, SEMICOLON);
        out.extend_from_slice(&data);
        push_unit(&mut out, CLOSE);
    }
    Ok(out)
}

fn push_unit(out: &mut Vec<u8>, unit: u16) {
    out.extend_from_slice(&unit.to_le_bytes());
}

/// Orders entries the way rdpgen defines Windows' order ([formats.md §1.4]): entries of a key
/// together; keys compared component by component (split on `\`), each component by ordinal
/// comparison of its upper-cased UTF-16 code units, so `Windows\WinRM` sorts before
/// `Windows NT` and `Tcpip\...` before `Tcpip6\...`; within a key `**delvals.` first, then the
/// other entries in their given order. Stable; key case is kept as written.
pub fn sort_for_windows(entries: &mut [PolEntry]) {
    entries.sort_by(|a, b| {
        compare_keys(&a.key, &b.key)
            .then_with(|| b.is_delete_all_values().cmp(&a.is_delete_all_values()))
    });
}

/// Registry order of two key paths: component-wise, case-insensitive ordinal.
#[must_use]
pub fn compare_keys(a: &str, b: &str) -> Ordering {
    // Lazily, without allocating: this runs O(n log n) times in every sort.
    fn upper(component: &str) -> impl Iterator<Item = u16> + '_ {
        component.encode_utf16().map(utf16::upcase_unit)
    }
    let mut left = a.split('\\');
    let mut right = b.split('\\');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => match upper(x).cmp(upper(y)) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
        }
    }
}

/// Which part of a record a reader error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolField {
    /// The key path.
    Key,
    /// The value name.
    ValueName,
    /// The type code.
    Type,
    /// The size field.
    Size,
    /// The data.
    Data,
}

impl std::fmt::Display for PolField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Key => "key path",
            Self::ValueName => "value name",
            Self::Type => "type",
            Self::Size => "size",
            Self::Data => "data",
        })
    }
}

/// What [`read`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolReadProblem {
    /// Fewer than 8 bytes.
    #[error(
        "the file is {len} bytes long; a Registry.pol starts with an 8-byte header (`PReg`, version 1)"
    )]
    TruncatedHeader {
        /// The file length.
        len: usize,
    },
    /// The first four bytes are not `PReg`.
    #[error("expected the signature `PReg` (50 52 65 67), found {found}")]
    BadSignature {
        /// The bytes found, as hex.
        found: String,
    },
    /// The version is not 1.
    #[error("expected version 1 (01 00 00 00), found {found}")]
    BadVersion {
        /// The version found.
        found: u32,
    },
    /// A record does not start with `[`.
    #[error("expected `[` (5B 00) to start an entry, found {found}")]
    ExpectedOpenBracket {
        /// The bytes found, as hex.
        found: String,
    },
    /// A `;` is missing after a field.
    #[error("expected `;` (3B 00) after the {after}, found {found}")]
    ExpectedSemicolon {
        /// The field before it.
        after: PolField,
        /// The bytes found, as hex.
        found: String,
    },
    /// A record does not end with `]`.
    #[error("expected `]` (5D 00) after the data, found {found}")]
    ExpectedCloseBracket {
        /// The bytes found, as hex.
        found: String,
    },
    /// The file ends inside a record.
    #[error("the file ends inside an entry; expected the {expected}")]
    Truncated {
        /// What was expected next.
        expected: String,
    },
    /// A string has no NUL terminator before the end of the file.
    #[error("the {field} has no NUL terminator (00 00) before the end of the file")]
    UnterminatedString {
        /// Which string.
        field: PolField,
    },
    /// A string holds an unpaired surrogate.
    #[error("the {field} is not valid UTF-16: unpaired surrogate at offset {unit_offset}")]
    InvalidUtf16 {
        /// Which string.
        field: PolField,
        /// File offset of the bad code unit.
        unit_offset: usize,
    },
    /// The size field exceeds the format's limit.
    #[error("the size field is {size}; Registry.pol records hold at most {MAX_DATA_LEN} bytes")]
    SizeOverLimit {
        /// The size field.
        size: u32,
    },
    /// The size field says more bytes than the file has left.
    #[error("the size field says {size} bytes but only {remaining} bytes remain in the file")]
    SizeBeyondEnd {
        /// The size field.
        size: u32,
        /// Bytes left after the size field's `;`.
        remaining: usize,
    },
    /// The data does not decode as its type.
    #[error("bad {} data: {reason}", kind_name(*kind))]
    BadData {
        /// The type code.
        kind: u32,
        /// Why.
        reason: ValueDecodeError,
    },
}

/// [`read`] refused the input; `offset` is the byte where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("Registry.pol offset {offset} (0x{offset:x}): {problem}")]
pub struct PolReadError {
    /// Byte offset in the file.
    pub offset: usize,
    /// What is wrong.
    pub problem: PolReadProblem,
}

/// Parses a Registry.pol strictly: header `PReg` version 1, then records
/// `[key\0;name\0;type;size;data]` up to the exact end of the input. Keys and names are
/// taken as written (any valid UTF-16); [`read_view`] checks every record's data by type
/// ([`RegistryValue::check_bytes`] refuses exactly what [`RegistryValue::from_bytes`]
/// refuses), then each record is decoded into an owned entry. Linear in the input; never
/// allocates more than the input size for data.
///
/// # Errors
/// [`PolReadError`] with the byte offset and what was expected there.
pub fn read(bytes: &[u8]) -> Result<Vec<PolEntry>, PolReadError> {
    read_view(bytes).map(|view| view.to_entries())
}

/// A Registry.pol read by [`read_view`]: every record's key and value name decoded once into
/// one string, its data left where it is in the file's bytes. Two heap blocks for the whole
/// file instead of three per entry.
#[derive(Debug, Clone)]
pub struct PolView<'a> {
    bytes: &'a [u8],
    text: String,
    records: Vec<RecordAt>,
}

/// Where one record's parts are: `key` and `name` in [`PolView::text`], `data` in the file.
#[derive(Debug, Clone, Copy)]
struct RecordAt {
    key: (usize, usize),
    name: (usize, usize),
    kind: u32,
    data: (usize, usize),
}

/// One record of a [`PolView`], borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolRecord<'v> {
    /// Key path without hive, as in [`PolEntry::key`].
    pub key: &'v str,
    /// Value name, as in [`PolEntry::value_name`].
    pub value_name: &'v str,
    /// The REG_* type code.
    pub kind: u32,
    /// The data as written; [`read_view`] has checked that it decodes as `kind`.
    pub data: &'v [u8],
}

impl PolRecord<'_> {
    /// The decoded value (what [`read`] puts in [`PolEntry::value`]).
    #[must_use]
    pub fn value(&self) -> RegistryValue {
        // `read_view` ran `RegistryValue::check_bytes`, which accepts exactly what
        // `from_bytes` decodes; the fallback keeps the bytes rather than panic.
        RegistryValue::from_bytes(self.kind, self.data).unwrap_or_else(|_| RegistryValue::Other {
            kind: self.kind,
            data: self.data.to_vec(),
        })
    }

    /// This record as an owned [`PolEntry`].
    #[must_use]
    pub fn to_entry(&self) -> PolEntry {
        PolEntry::new(self.key, self.value_name, self.value())
    }
}

impl<'a> PolView<'a> {
    /// The number of records.
    #[must_use]
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the file has no record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = PolRecord<'_>> {
        self.records.iter().map(|at| self.record(*at))
    }

    /// Every record as an owned [`PolEntry`]: equal to what [`read`] returns.
    #[must_use]
    pub fn to_entries(&self) -> Vec<PolEntry> {
        self.iter().map(|record| record.to_entry()).collect()
    }

    fn record(&self, at: RecordAt) -> PolRecord<'_> {
        let text = |(start, end): (usize, usize)| self.text.get(start..end).unwrap_or_default();
        let (start, end) = at.data;
        PolRecord {
            key: text(at.key),
            value_name: text(at.name),
            kind: at.kind,
            data: self.bytes.get(start..end).unwrap_or_default(),
        }
    }
}

/// The reader: [`read`] is this and [`PolView::to_entries`]. Keys and names are decoded into one string (a key repeated by
/// consecutive records is stored once); data is checked with [`RegistryValue::check_bytes`]
/// and decoded only when [`PolRecord::value`] asks. The record list is pre-sized from the
/// file length.
///
/// # Errors
/// [`PolReadError`] with the byte offset and what was expected there.
pub fn read_view(bytes: &[u8]) -> Result<PolView<'_>, PolReadError> {
    let mut cursor = Cursor { bytes, pos: 0 };
    cursor.header()?;
    // A record is at least 26 bytes (`[`, NUL, `;`, NUL, `;`, type, `;`, size, `;`, `]`);
    // real files average well above 100, and a short guess only costs one more growth.
    let mut records = Vec::with_capacity(bytes.len() / 128);
    // Registry text is nearly all ASCII (one byte of text per two of UTF-16) and keys repeat;
    // names and keys are about half of a typical file.
    let mut text = Text {
        text: String::with_capacity(bytes.len() / 8),
        scratch: Vec::new(),
    };
    let mut last_key = None;
    while cursor.pos < bytes.len() {
        records.push(cursor.entry(&mut text, &mut last_key)?);
    }
    Ok(PolView {
        bytes,
        text: text.text,
        records,
    })
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the end of the file".to_owned();
    }
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// The keys and value names of a [`PolView`], decoded back to back into one string.
struct Text {
    text: String,
    /// Reused by [`utf16::decode_le_into`].
    scratch: Vec<u8>,
}

impl Text {
    /// Appends UTF-16LE `raw` (no NUL) and returns where it is; errors with the code-unit
    /// index of an unpaired surrogate.
    fn push(&mut self, raw: &[u8]) -> Result<(usize, usize), usize> {
        let start = self.text.len();
        utf16::decode_le_into(raw, &mut self.text, &mut self.scratch)?;
        Ok((start, self.text.len()))
    }
}

impl<'a> Cursor<'a> {
    fn fail(&self, problem: PolReadProblem) -> PolReadError {
        PolReadError {
            offset: self.pos,
            problem,
        }
    }

    fn remaining(&self) -> &[u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Up to two bytes at the cursor, for messages.
    fn peek_hex(&self) -> String {
        let rest = self.remaining();
        hex(&rest[..rest.len().min(2)])
    }

    fn unit(&self) -> Option<u16> {
        match self.remaining() {
            [lo, hi, ..] => Some(u16::from_le_bytes([*lo, *hi])),
            _ => None,
        }
    }

    /// `expected` is only called to report a truncation: this runs four times per record, and
    /// formatting the message eagerly used to be a fifth of the reader's time.
    fn expect_unit(
        &mut self,
        unit: u16,
        problem: impl FnOnce(String) -> PolReadProblem,
        expected: impl FnOnce() -> String,
    ) -> Result<(), PolReadError> {
        match self.unit() {
            Some(found) if found == unit => {
                self.pos += 2;
                Ok(())
            }
            Some(_) => Err(self.fail(problem(self.peek_hex()))),
            None => Err(self.fail(PolReadProblem::Truncated {
                expected: expected(),
            })),
        }
    }

    fn semicolon(&mut self, after: PolField) -> Result<(), PolReadError> {
        self.expect_unit(
            SEMICOLON,
            |found| PolReadProblem::ExpectedSemicolon { after, found },
            || format!("`;` after the {after}"),
        )
    }

    fn u32(&mut self, field: PolField) -> Result<u32, PolReadError> {
        match self.remaining() {
            [a, b, c, d, ..] => {
                let value = u32::from_le_bytes([*a, *b, *c, *d]);
                self.pos += 4;
                Ok(value)
            }
            _ => Err(self.fail(PolReadProblem::Truncated {
                expected: format!("4-byte {field}"),
            })),
        }
    }

    /// The 8-byte header: `PReg`, version 1.
    fn header(&mut self) -> Result<(), PolReadError> {
        let bytes = self.bytes;
        if bytes.len() < 8 {
            return Err(self.fail(PolReadProblem::TruncatedHeader { len: bytes.len() }));
        }
        if bytes[..4] != SIGNATURE {
            return Err(self.fail(PolReadProblem::BadSignature {
                found: hex(&bytes[..4]),
            }));
        }
        self.pos = 4;
        let version = self.u32(PolField::Type)?;
        if version != VERSION {
            self.pos = 4;
            return Err(self.fail(PolReadProblem::BadVersion { found: version }));
        }
        Ok(())
    }

    /// A NUL-terminated UTF-16LE string, handed to `decode`; leaves the cursor after the NUL.
    fn string<T>(
        &mut self,
        field: PolField,
        decode: impl FnOnce(&'a [u8]) -> Result<T, usize>,
    ) -> Result<(T, &'a [u8]), PolReadError> {
        let start = self.pos;
        let rest: &'a [u8] = self.bytes.get(start..).unwrap_or_default();
        let Some(len) = utf16::nul_position(rest) else {
            return Err(self.fail(PolReadProblem::UnterminatedString { field }));
        };
        let raw = &rest[..2 * len];
        let text = decode(raw).map_err(|index| PolReadError {
            offset: start + 2 * index,
            problem: PolReadProblem::InvalidUtf16 {
                field,
                unit_offset: start + 2 * index,
            },
        })?;
        self.pos = start + 2 * len + 2;
        Ok((text, raw))
    }

    /// One record: its key and name appended to `text`, its data checked in place. `last_key`
    /// is the previous record's key as written and where `text` holds it: consecutive records
    /// nearly always share their key, and comparing bytes is cheaper than finding the NUL and
    /// decoding again.
    fn entry(
        &mut self,
        text: &mut Text,
        last_key: &mut Option<(&'a [u8], (usize, usize))>,
    ) -> Result<RecordAt, PolReadError> {
        self.expect_unit(
            OPEN,
            |found| PolReadProblem::ExpectedOpenBracket { found },
            || "`[` that starts an entry".to_owned(),
        )?;
        let rest: &'a [u8] = self.bytes.get(self.pos..).unwrap_or_default();
        let key = match last_key {
            Some((raw, at))
                if rest.len() > raw.len() + 1
                    && rest.starts_with(raw)
                    && rest[raw.len()..raw.len() + 2] == [0, 0] =>
            {
                self.pos += raw.len() + 2;
                *at
            }
            _ => {
                let (at, raw) = self.string(PolField::Key, |raw| text.push(raw))?;
                *last_key = Some((raw, at));
                at
            }
        };
        self.semicolon(PolField::Key)?;
        let (name, _) = self.string(PolField::ValueName, |raw| text.push(raw))?;
        self.semicolon(PolField::ValueName)?;
        let kind = self.u32(PolField::Type)?;
        self.semicolon(PolField::Type)?;
        let size_at = self.pos;
        let size = self.u32(PolField::Size)?;
        self.semicolon(PolField::Size)?;
        let remaining = self.remaining().len();
        let len = usize::try_from(size).unwrap_or(usize::MAX);
        if len > MAX_DATA_LEN {
            return Err(PolReadError {
                offset: size_at,
                problem: PolReadProblem::SizeOverLimit { size },
            });
        }
        if len > remaining {
            return Err(PolReadError {
                offset: size_at,
                problem: PolReadProblem::SizeBeyondEnd { size, remaining },
            });
        }
        let data_at = self.pos;
        let data: &'a [u8] = &self.bytes[data_at..data_at + len];
        RegistryValue::check_bytes(kind, data).map_err(|reason| PolReadError {
            offset: data_at,
            problem: PolReadProblem::BadData { kind, reason },
        })?;
        self.pos += len;
        self.expect_unit(
            CLOSE,
            |found| PolReadProblem::ExpectedCloseBracket { found },
            || "`]` that ends the entry".to_owned(),
        )?;
        Ok(RecordAt {
            key,
            name,
            kind,
            data: (data_at, data_at + len),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses an `xxd`-style dump (offset, hex groups, ASCII column) into bytes.
    fn from_xxd(dump: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for line in dump.lines().filter(|l| !l.trim().is_empty()) {
            let (offset, rest) = line.split_once(": ").expect("offset");
            assert_eq!(
                usize::from_str_radix(offset.trim(), 16).expect("hex offset"),
                out.len()
            );
            let hex_part = rest.split("  ").next().expect("hex part");
            for group in hex_part.split_whitespace() {
                for pair in group.as_bytes().chunks(2) {
                    let text = std::str::from_utf8(pair).expect("ascii");
                    out.push(u8::from_str_radix(text, 16).expect("hex byte"));
                }
            }
        }
        out
    }

    /// formats.md §1.5 (key `Software\Policies\X`, `A` = DWORD 1, then `**del.B`), written out
    /// in full: the spec elides 0x50..0x6f, which is the second record's key, byte for byte
    /// the same as the first one's.
    const SPEC_EXAMPLE: &str = "
00000000: 5052 6567 0100 0000 5b00 5300 6f00 6600  PReg....[.S.o.f.
00000010: 7400 7700 6100 7200 6500 5c00 5000 6f00  t.w.a.r.e.\\.P.o.
00000020: 6c00 6900 6300 6900 6500 7300 5c00 5800  l.i.c.i.e.s.\\.X.
00000030: 0000 3b00 4100 0000 3b00 0400 0000 3b00  ..;.A...;.....;.
00000040: 0400 0000 3b00 0100 0000 5d00 5b00 5300  ....;.....].[.S.
00000050: 6f00 6600 7400 7700 6100 7200 6500 5c00  o.f.t.w.a.r.e.\\.
00000060: 5000 6f00 6c00 6900 6300 6900 6500 7300  P.o.l.i.c.i.e.s.
00000070: 5c00 5800 0000 3b00 2a00 2a00 6400 6500  \\.X...;.*.*.d.e.
00000080: 6c00 2e00 4200 0000 3b00 0100 0000 3b00  l...B...;.....;.
00000090: 0400 0000 3b00 2000 0000 5d00            ....;. ...].
";

    fn spec_entries() -> Vec<PolEntry> {
        vec![
            PolEntry::new("Software\\Policies\\X", "A", RegistryValue::Dword(1)),
            PolEntry::delete_value("Software\\Policies\\X", "B"),
        ]
    }

    #[test]
    fn writes_the_spec_example_byte_for_byte() {
        let expected = from_xxd(SPEC_EXAMPLE);
        assert_eq!(expected.len(), 0x9c);
        assert_eq!(write(&spec_entries()).expect("valid entries"), expected);
    }

    #[test]
    fn reads_the_spec_example() {
        assert_eq!(read(&from_xxd(SPEC_EXAMPLE)), Ok(spec_entries()));
    }

    #[test]
    fn empty_file_is_the_header() {
        assert_eq!(write(&[]).expect("no entries"), b"PReg\x01\0\0\0");
        assert_eq!(read(b"PReg\x01\0\0\0"), Ok(vec![]));
    }

    #[test]
    fn special_entries_match_windows() {
        let bytes =
            write(&[PolEntry::delete_all_values("K"), PolEntry::create_key("K")]).expect("valid");
        let expected: Vec<u8> = [
            &b"PReg\x01\0\0\0"[..],
            b"[\0K\0\0\0;\0*\0*\0d\0e\0l\0v\0a\0l\0s\0.\0\0\0;\0\x01\0\0\0;\0\x04\0\0\0;\0 \0\0\0]\0",
            b"[\0K\0\0\0;\0\0\0;\0\0\0\0\0;\0\0\0\0\0;\0]\0",
        ]
        .concat();
        assert_eq!(bytes, expected);
    }

    fn keys(entries: &[PolEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn sorts_components_not_strings() {
        let mut entries = vec![
            PolEntry::new(
                "Software\\Policies\\Microsoft\\Windows NT\\DNSClient",
                "a",
                RegistryValue::Dword(1),
            ),
            PolEntry::new(
                "Software\\Policies\\Microsoft\\Windows\\WinRM\\Service",
                "b",
                RegistryValue::Dword(1),
            ),
            PolEntry::new(
                "System\\CurrentControlSet\\Services\\Tcpip6\\Parameters",
                "c",
                RegistryValue::Dword(1),
            ),
            PolEntry::new(
                "System\\CurrentControlSet\\Services\\Tcpip\\Parameters",
                "d",
                RegistryValue::Dword(1),
            ),
        ];
        sort_for_windows(&mut entries);
        assert_eq!(
            keys(&entries),
            [
                "Software\\Policies\\Microsoft\\Windows\\WinRM\\Service",
                "Software\\Policies\\Microsoft\\Windows NT\\DNSClient",
                "System\\CurrentControlSet\\Services\\Tcpip\\Parameters",
                "System\\CurrentControlSet\\Services\\Tcpip6\\Parameters",
            ]
        );
    }

    #[test]
    fn sort_groups_keys_case_insensitively_and_puts_delvals_first() {
        let mut entries = vec![
            PolEntry::new("software\\B", "z", RegistryValue::Dword(1)),
            PolEntry::new("Software\\A_x", "1", RegistryValue::Dword(1)),
            PolEntry::new("Software\\B", "y", RegistryValue::Dword(2)),
            PolEntry::new("Software\\Ab", "2", RegistryValue::Dword(1)),
            PolEntry::delete_all_values("SOFTWARE\\b"),
            PolEntry::new("software\\b", "x", RegistryValue::Dword(3)),
        ];
        sort_for_windows(&mut entries);
        let names: Vec<&str> = entries.iter().map(|e| e.value_name.as_str()).collect();
        // `_` (0x5F) sorts after upper-case letters, as in the registry.
        assert_eq!(names, ["2", "1", "**delvals.", "z", "y", "x"]);
    }

    fn problem(entry: PolEntry) -> PolEntryError {
        write(&[PolEntry::new("Ok", "", RegistryValue::Dword(0)), entry])
            .map(|_| ())
            .expect_err("entry must be rejected")
            .problem
    }

    #[test]
    fn rejects_bad_keys() {
        let key = |k: &str| problem(PolEntry::new(k, "v", RegistryValue::Dword(1)));
        assert_eq!(key(""), PolEntryError::EmptyKey);
        assert_eq!(key("\\Software"), PolEntryError::EmptyKeyComponent);
        assert_eq!(key("Software\\"), PolEntryError::EmptyKeyComponent);
        assert_eq!(key("Software\\\\X"), PolEntryError::EmptyKeyComponent);
        assert_eq!(
            key("HKLM\\Software"),
            PolEntryError::KeyHasHive {
                root: "HKLM".into()
            }
        );
        assert_eq!(
            key("hkey_local_machine\\Software"),
            PolEntryError::KeyHasHive {
                root: "hkey_local_machine".into()
            }
        );
        assert_eq!(
            key("HKCU"),
            PolEntryError::KeyHasHive {
                root: "HKCU".into()
            }
        );
        assert_eq!(
            key("Soft\nware"),
            PolEntryError::KeyCharacter {
                character: '\n',
                position: 4
            }
        );
        assert_eq!(
            key("Soft\u{7f}"),
            PolEntryError::KeyCharacter {
                character: '\u{7f}',
                position: 4
            }
        );
        assert_eq!(
            key("Logiciel\\é"),
            PolEntryError::KeyCharacter {
                character: 'é',
                position: 9
            }
        );
        assert_eq!(
            key(&"k".repeat(256)),
            PolEntryError::KeyComponentTooLong { len: 256 }
        );
        // Printable ASCII including `[`, `]` and `;` is allowed: fields are length-delimited.
        assert!(write(&[PolEntry::new("A [b]; c\\d", "v", RegistryValue::Dword(1))]).is_ok());
        assert!(write(&[PolEntry::new("k".repeat(255), "v", RegistryValue::Dword(1))]).is_ok());
    }

    #[test]
    fn rejects_bad_names_and_data() {
        let name = |n: &str| problem(PolEntry::new("K", n, RegistryValue::Dword(1)));
        assert_eq!(
            name(&"n".repeat(260)),
            PolEntryError::ValueNameTooLong { len: 260 }
        );
        assert_eq!(
            name("a\tb"),
            PolEntryError::ValueNameCharacter {
                character: '\t',
                position: 1
            }
        );
        assert!(write(&[PolEntry::new("K", "n".repeat(259), RegistryValue::Dword(1))]).is_ok());
        assert_eq!(
            problem(PolEntry::new(
                "K",
                "v",
                RegistryValue::Binary(vec![0; 0x1_0000])
            )),
            PolEntryError::DataTooLarge { len: 0x1_0000 }
        );
        assert!(
            write(&[PolEntry::new(
                "K",
                "v",
                RegistryValue::Binary(vec![0; 0xFFFF])
            )])
            .is_ok()
        );
        assert_eq!(
            problem(PolEntry::new("K", "v", RegistryValue::Sz("a\0".into()))),
            PolEntryError::NulInString {
                kind: 1,
                position: 1
            }
        );
        assert_eq!(
            problem(PolEntry::new(
                "K",
                "v",
                RegistryValue::MultiSz(vec![String::new()])
            )),
            PolEntryError::Shape(ValueShapeError::EmptyMultiSzItem { index: 0 })
        );
        assert_eq!(
            problem(PolEntry::new("K", "v", RegistryValue::None(vec![0]))),
            PolEntryError::NoneWithData { len: 1 }
        );
        assert_eq!(
            problem(PolEntry::new(
                "K",
                "v",
                RegistryValue::Other {
                    kind: 4,
                    data: vec![]
                }
            )),
            PolEntryError::Shape(ValueShapeError::OtherWithModelledKind { kind: 4 })
        );
    }

    #[test]
    fn write_error_names_the_entry() {
        let error = write(&[
            PolEntry::new("Ok", "", RegistryValue::Dword(0)),
            PolEntry::new("HKLM\\X", "v\n", RegistryValue::Dword(1)),
        ])
        .expect_err("hive in key");
        assert_eq!(error.index, 1);
        assert_eq!(
            error.to_string(),
            "Registry.pol entry 1 (key `HKLM\\\\X`, value `v\\n`): the key path starts with the hive `HKLM`; Registry.pol keys have no hive"
        );
    }

    fn utf16(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        utf16::push_le(&mut out, text);
        out
    }

    /// A record built by hand: `[key\0;name\0;type;size;data]`.
    fn record(key: &str, name: &str, kind: u32, size: u32, data: &[u8]) -> Vec<u8> {
        [
            utf16("["),
            utf16::to_le_nul(key),
            utf16(";"),
            utf16::to_le_nul(name),
            utf16(";"),
            kind.to_le_bytes().to_vec(),
            utf16(";"),
            size.to_le_bytes().to_vec(),
            utf16(";"),
            data.to_vec(),
            utf16("]"),
        ]
        .concat()
    }

    fn read_error(bytes: &[u8]) -> (usize, PolReadProblem) {
        let error = read(bytes).expect_err("malformed input");
        (error.offset, error.problem)
    }

    const HEADER: &[u8] = b"PReg\x01\0\0\0";

    #[test]
    fn reader_reports_header_problems() {
        assert_eq!(
            read_error(b"PReg\x01"),
            (0, PolReadProblem::TruncatedHeader { len: 5 })
        );
        assert_eq!(
            read_error(b"PRex\x01\0\0\0"),
            (
                0,
                PolReadProblem::BadSignature {
                    found: "50 52 65 78".into()
                }
            )
        );
        assert_eq!(
            read_error(b"PReg\x02\0\0\0"),
            (4, PolReadProblem::BadVersion { found: 2 })
        );
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one table of cases reads better than several tests
    fn reader_reports_record_problems_with_offsets() {
        let good = record("K", "v", 4, 4, &[1, 0, 0, 0]);
        // Key at 10..14, `;` at 14, name 16..20, `;` 20, type 22..26, `;` 26, size 28..32,
        // `;` 32, data 34..38, `]` 38..40.
        let with = |at: usize, bytes: &[u8]| {
            let mut r = [HEADER, &good].concat();
            r.splice(at..at + bytes.len(), bytes.iter().copied());
            r
        };
        assert_eq!(
            read_error(&with(8, b"(\0")),
            (
                8,
                PolReadProblem::ExpectedOpenBracket {
                    found: "28 00".into()
                }
            )
        );
        assert_eq!(
            read_error(&with(14, b",\0")),
            (
                14,
                PolReadProblem::ExpectedSemicolon {
                    after: PolField::Key,
                    found: "2C 00".into()
                }
            )
        );
        assert_eq!(
            read_error(&with(32, b":\0")),
            (
                32,
                PolReadProblem::ExpectedSemicolon {
                    after: PolField::Size,
                    found: "3A 00".into()
                }
            )
        );
        assert_eq!(
            read_error(&with(38, b"}\0")),
            (
                38,
                PolReadProblem::ExpectedCloseBracket {
                    found: "7D 00".into()
                }
            )
        );
        assert_eq!(
            read_error(&with(10, &[0x00, 0xDC])),
            (
                10,
                PolReadProblem::InvalidUtf16 {
                    field: PolField::Key,
                    unit_offset: 10
                }
            )
        );
        // Lying size fields: beyond the end, and over the format's limit.
        assert_eq!(
            read_error(&with(28, &[0xff, 0, 0, 0])),
            (
                28,
                PolReadProblem::SizeBeyondEnd {
                    size: 255,
                    remaining: 6
                }
            )
        );
        assert_eq!(
            read_error(&with(28, &[0xff, 0xff, 0xff, 0xff])),
            (28, PolReadProblem::SizeOverLimit { size: u32::MAX })
        );
        // Every truncation point is a clean error.
        let full = [HEADER, &good].concat();
        for cut in 9..full.len() {
            assert!(read(&full[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            read_error(&full[..13]),
            (
                10,
                PolReadProblem::UnterminatedString {
                    field: PolField::Key
                }
            )
        );
        assert_eq!(
            read_error(&full[..30]),
            (
                28,
                PolReadProblem::Truncated {
                    expected: "4-byte size".into()
                }
            )
        );
        assert_eq!(
            read_error(&full[..38]),
            (
                38,
                PolReadProblem::Truncated {
                    expected: "`]` that ends the entry".into()
                }
            )
        );
        // Trailing garbage after the last record.
        assert_eq!(
            read_error(&[&full[..], b"x"].concat()),
            (
                40,
                PolReadProblem::Truncated {
                    expected: "`[` that starts an entry".into()
                }
            )
        );
    }

    #[test]
    fn reader_reports_bad_data() {
        let bad_sz = [HEADER, &record("K", "v", 1, 2, b"A\0")].concat();
        assert_eq!(
            read_error(&bad_sz),
            (
                34,
                PolReadProblem::BadData {
                    kind: 1,
                    reason: ValueDecodeError::MissingTerminator { kind: 1 }
                }
            )
        );
        let odd_sz = [HEADER, &record("K", "v", 1, 3, b"A\0\0")].concat();
        assert_eq!(
            read_error(&odd_sz),
            (
                34,
                PolReadProblem::BadData {
                    kind: 1,
                    reason: ValueDecodeError::OddLength { kind: 1, len: 3 }
                }
            )
        );
        let short_dword = [HEADER, &record("K", "v", 4, 2, &[1, 0])].concat();
        assert_eq!(
            read_error(&short_dword),
            (
                34,
                PolReadProblem::BadData {
                    kind: 4,
                    reason: ValueDecodeError::WrongSize {
                        kind: 4,
                        expected: 4,
                        found: 2
                    }
                }
            )
        );
        assert_eq!(
            read(&short_dword).expect_err("short dword").to_string(),
            "Registry.pol offset 34 (0x22): bad REG_DWORD data: REG_DWORD data must be exactly 4 bytes, found 2"
        );
    }

    #[test]
    fn reader_keeps_unmodelled_types_and_any_utf16() {
        let bytes = [HEADER, &record("Clé", "nom", 6, 2, &[1, 2])].concat();
        assert_eq!(
            read(&bytes),
            Ok(vec![PolEntry::new(
                "Clé",
                "nom",
                RegistryValue::Other {
                    kind: 6,
                    data: vec![1, 2]
                }
            )])
        );
    }
}

//! regedit `.reg` files: the model ([`RegFile`]), a writer for "Windows Registry Editor
//! Version 5.00" exactly as regedit exports it (UTF-16LE with BOM, CRLF, a blank line before
//! each key, `hex` data wrapped like regedit), and a strict reader for version 5.00 and
//! `REGEDIT4` files that reports errors by line and column.
//!
//! Safety rule of the writer: no string it is given can start a new key or value line.
//! Key paths and value names with control characters or `]` are refused; `REG_SZ` text with
//! control characters is written as `hex(1):` instead of a quoted string.

use std::fmt::Write as _;

use thiserror::Error;

use super::registry_value::{
    REG_EXPAND_SZ, REG_MULTI_SZ, RegistryValue, ValueDecodeError, ValueShapeError, kind_name,
};
use super::utf16;

/// The first line of a version 5.00 file.
pub const HEADER_V5: &str = "Windows Registry Editor Version 5.00";
/// The first line of a version 4 (ANSI) file.
pub const HEADER_V4: &str = "REGEDIT4";
/// Longest key name component, in characters (registry limit).
pub const MAX_KEY_COMPONENT_LEN: usize = 255;

/// Root keys as regedit spells them.
const ROOTS: [&str; 5] = [
    "HKEY_LOCAL_MACHINE",
    "HKEY_CURRENT_USER",
    "HKEY_CLASSES_ROOT",
    "HKEY_USERS",
    "HKEY_CURRENT_CONFIG",
];
/// Abbreviations `reg.exe` accepts and regedit does not.
const ABBREVIATIONS: [(&str, &str); 5] = [
    ("HKLM", "HKEY_LOCAL_MACHINE"),
    ("HKCU", "HKEY_CURRENT_USER"),
    ("HKCR", "HKEY_CLASSES_ROOT"),
    ("HKU", "HKEY_USERS"),
    ("HKCC", "HKEY_CURRENT_CONFIG"),
];
/// `export_hex_data`'s `MAX_HEX_CHARS`: wrap once a line reaches this many characters.
const MAX_HEX_CHARS: usize = 77;

/// A `.reg` file: sections in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegFile {
    /// `[key]` and `[-key]` sections, in order.
    pub sections: Vec<RegSection>,
}

/// One `[...]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegSection {
    /// `[path]`: create the key (and its parents), then apply `values` in order.
    Key {
        /// Full path with the root spelled out: `HKEY_LOCAL_MACHINE\SOFTWARE\...`.
        path: String,
        /// Value lines under the key.
        values: Vec<RegFileValue>,
    },
    /// `[-path]`: delete the key and all its subkeys.
    DeleteKey {
        /// Full path with the root spelled out.
        path: String,
    },
}

/// One value line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegFileValue {
    /// The value name; `None` is the default value (`@`).
    pub name: Option<String>,
    /// Set or delete.
    pub action: RegFileAction,
}

/// What a value line does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegFileAction {
    /// `"name"=<data>`.
    Set(RegistryValue),
    /// `"name"=-`.
    Delete,
}

impl RegFileValue {
    /// A line that sets the named value.
    pub fn set(name: impl Into<String>, value: RegistryValue) -> Self {
        Self {
            name: Some(name.into()),
            action: RegFileAction::Set(value),
        }
    }

    /// A line that deletes the named value.
    pub fn delete(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            action: RegFileAction::Delete,
        }
    }
}

/// What is wrong with a key path (in a model given to [`write()`], or in a file).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyPathError {
    /// The first component is not one of the five root keys.
    #[error("unknown root key `{}`; expected HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_CLASSES_ROOT, HKEY_USERS or HKEY_CURRENT_CONFIG", .root.escape_debug())]
    UnknownRoot {
        /// The first component.
        root: String,
    },
    /// An abbreviation such as `HKLM`, which regedit does not accept.
    #[error("abbreviated root key `{root}`; .reg files spell it out as `{full}`")]
    AbbreviatedRoot {
        /// The abbreviation.
        root: String,
        /// The full name.
        full: &'static str,
    },
    /// A leading, trailing or doubled `\`.
    #[error("the key path has an empty component (trailing or doubled `\\`)")]
    EmptyComponent {
        /// 0-based character position of the empty component.
        position: usize,
    },
    /// `]` or a control character, which would end the key line early.
    #[error("the key path has {} at character {position}; key paths cannot hold `]` or control characters", describe_char(*character))]
    Character {
        /// The character.
        character: char,
        /// Its 0-based character position.
        position: usize,
    },
    /// Whitespace right before the `]`, which importers that trim lines lose.
    #[error("the key path ends with whitespace, which importers that trim lines would drop")]
    TrailingWhitespace {
        /// 0-based character position of the whitespace.
        position: usize,
    },
    /// A key name longer than the registry allows.
    #[error("a key name is {len} characters long; the limit is {MAX_KEY_COMPONENT_LEN}")]
    ComponentTooLong {
        /// 0-based character position of the component.
        position: usize,
        /// Its length in characters.
        len: usize,
    },
    /// `[-HKEY_...]` naming a root key alone.
    #[error("a root key cannot be deleted")]
    DeleteRoot,
}

impl KeyPathError {
    fn position(&self) -> usize {
        match self {
            Self::EmptyComponent { position }
            | Self::TrailingWhitespace { position }
            | Self::Character { position, .. }
            | Self::ComponentTooLong { position, .. } => *position,
            Self::UnknownRoot { .. } | Self::AbbreviatedRoot { .. } | Self::DeleteRoot => 0,
        }
    }
}

fn describe_char(character: char) -> String {
    format!(
        "`{}` (U+{:04X})",
        character.escape_debug(),
        u32::from(character)
    )
}

/// Checks a full key path and returns it with the root in regedit's spelling.
fn canonical_key_path(path: &str, delete: bool) -> Result<String, KeyPathError> {
    if let Some((position, character)) = path
        .chars()
        .enumerate()
        .find(|&(_, c)| c == ']' || c.is_control())
    {
        return Err(KeyPathError::Character {
            character,
            position,
        });
    }
    let (root, rest) = match path.split_once('\\') {
        Some((root, rest)) => (root, Some(rest)),
        None => (path, None),
    };
    let Some(canonical) = ROOTS.iter().find(|r| r.eq_ignore_ascii_case(root)) else {
        if let Some((_, full)) = ABBREVIATIONS
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(root))
        {
            return Err(KeyPathError::AbbreviatedRoot {
                root: root.to_owned(),
                full,
            });
        }
        return Err(KeyPathError::UnknownRoot {
            root: root.to_owned(),
        });
    };
    let Some(rest) = rest else {
        return if delete {
            Err(KeyPathError::DeleteRoot)
        } else {
            Ok((*canonical).to_owned())
        };
    };
    let mut position = root.chars().count() + 1;
    for component in rest.split('\\') {
        let len = component.chars().count();
        if len == 0 {
            return Err(KeyPathError::EmptyComponent { position });
        }
        if len > MAX_KEY_COMPONENT_LEN {
            return Err(KeyPathError::ComponentTooLong { position, len });
        }
        position += len + 1;
    }
    Ok(format!("{canonical}\\{rest}"))
}

/// What is wrong with one part of the model given to [`write()`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegWriteProblem {
    /// A bad key path.
    #[error(transparent)]
    KeyPath(#[from] KeyPathError),
    /// `Some("")` as a value name.
    #[error("empty value name; use `None` for the default value (`@`)")]
    EmptyValueName,
    /// A control character in a value name.
    #[error("the value name has {} at character {position}", describe_char(*character))]
    ValueNameCharacter {
        /// The character.
        character: char,
        /// Its 0-based character position.
        position: usize,
    },
    /// A value that would not read back unchanged.
    #[error(transparent)]
    Shape(#[from] ValueShapeError),
}

/// [`write()`] refused part of the model.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(".reg section {section} (key `{}`{}): {problem}", .path.escape_debug(), value_label(.value_name.as_ref()))]
pub struct RegWriteError {
    /// 0-based index of the section.
    pub section: usize,
    /// Its key path.
    pub path: String,
    /// The value line's name, when the problem is in a value line (`Some(None)` = `@`).
    pub value_name: Option<Option<String>>,
    /// What is wrong.
    pub problem: RegWriteProblem,
}

fn value_label(name: Option<&Option<String>>) -> String {
    match name {
        None => String::new(),
        Some(None) => ", value `@`".to_owned(),
        Some(Some(name)) => format!(", value `{}`", name.escape_debug()),
    }
}

/// Serialises `file` as regedit exports it: BOM `FF FE`, UTF-16LE, CRLF, the version 5.00
/// header, a blank line before each key line, one extra CRLF at the end.
///
/// # Errors
/// [`RegWriteError`] for the first key path, value name or value that cannot be written.
pub fn write(file: &RegFile) -> Result<Vec<u8>, RegWriteError> {
    let text = write_text(file)?;
    let mut out = Vec::with_capacity(2 + 2 * text.len());
    out.extend_from_slice(&[0xFF, 0xFE]);
    utf16::push_le(&mut out, &text);
    Ok(out)
}

/// The text [`write()`] encodes as UTF-16LE (without the BOM).
///
/// # Errors
/// As [`write()`].
pub fn write_text(file: &RegFile) -> Result<String, RegWriteError> {
    let mut out = String::new();
    out.push_str(HEADER_V5);
    out.push_str("\r\n");
    for (section, entry) in file.sections.iter().enumerate() {
        let (path, values, delete) = match entry {
            RegSection::Key { path, values } => (path, values.as_slice(), false),
            RegSection::DeleteKey { path } => (path, &[][..], true),
        };
        let fail = |value_name: Option<&RegFileValue>, problem: RegWriteProblem| RegWriteError {
            section,
            path: path.clone(),
            value_name: value_name.map(|v| v.name.clone()),
            problem,
        };
        let canonical = canonical_key_path(path, delete).map_err(|e| fail(None, e.into()))?;
        if canonical.ends_with(char::is_whitespace) {
            let position = canonical.chars().count() - 1;
            return Err(fail(
                None,
                KeyPathError::TrailingWhitespace { position }.into(),
            ));
        }
        out.push_str(if delete { "\r\n[-" } else { "\r\n[" });
        out.push_str(&canonical);
        out.push_str("]\r\n");
        for value in values {
            push_value(&mut out, value).map_err(|problem| fail(Some(value), problem))?;
        }
    }
    out.push_str("\r\n");
    Ok(out)
}

fn check_value_name(name: &str) -> Result<(), RegWriteProblem> {
    if name.is_empty() {
        return Err(RegWriteProblem::EmptyValueName);
    }
    match name.chars().enumerate().find(|&(_, c)| c.is_control()) {
        Some((position, character)) => Err(RegWriteProblem::ValueNameCharacter {
            character,
            position,
        }),
        None => Ok(()),
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
}

fn push_value(out: &mut String, value: &RegFileValue) -> Result<(), RegWriteProblem> {
    let line_start = out.len();
    match &value.name {
        None => out.push('@'),
        Some(name) => {
            check_value_name(name)?;
            out.push('"');
            escape_into(out, name);
            out.push('"');
        }
    }
    out.push('=');
    let line_len = out[line_start..].encode_utf16().count();
    match &value.action {
        RegFileAction::Delete => out.push('-'),
        RegFileAction::Set(data) => {
            data.check_shape()?;
            match data {
                RegistryValue::Sz(text) if !text.chars().any(char::is_control) => {
                    out.push('"');
                    escape_into(out, text);
                    out.push('"');
                }
                RegistryValue::Dword(number) => {
                    let _ = write!(out, "dword:{number:08x}");
                }
                RegistryValue::Binary(bytes) => push_hex(out, line_len, "hex:", bytes),
                other => push_hex(
                    out,
                    line_len,
                    &format!("hex({:x}):", other.kind()),
                    &other.to_bytes(),
                ),
            }
        }
    }
    out.push_str("\r\n");
    Ok(())
}

/// regedit's `export_hex_data`: `xx,` pairs, wrapped with `\` + CRLF + two spaces once the
/// line reaches [`MAX_HEX_CHARS`] characters; no comma after the last byte.
fn push_hex(out: &mut String, mut line_len: usize, type_tag: &str, data: &[u8]) {
    out.push_str(type_tag);
    line_len += type_tag.len();
    for (index, byte) in data.iter().enumerate() {
        let _ = write!(out, "{byte:02x}");
        if index + 1 == data.len() {
            break;
        }
        out.push(',');
        line_len += 3;
        if line_len >= MAX_HEX_CHARS {
            out.push_str("\\\r\n  ");
            line_len = 2;
        }
    }
}

/// What [`read`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegReadProblem {
    /// A UTF-16 big-endian byte order mark.
    #[error("UTF-16 big-endian byte order mark (FE FF); .reg files are UTF-16LE (FF FE) or 8-bit")]
    Utf16BigEndian,
    /// UTF-16LE text without its byte order mark.
    #[error("UTF-16LE text without the byte order mark FF FE")]
    Utf16WithoutBom,
    /// An odd number of bytes after the UTF-16LE byte order mark.
    #[error("the file ends in the middle of a UTF-16 code unit (odd number of bytes after FF FE)")]
    TruncatedUtf16,
    /// An unpaired UTF-16 surrogate.
    #[error("not valid UTF-16LE: unpaired surrogate")]
    InvalidUtf16,
    /// Invalid UTF-8 after a UTF-8 byte order mark.
    #[error("not valid UTF-8 although the file starts with the UTF-8 byte order mark")]
    InvalidUtf8,
    /// A carriage return not followed by a line feed.
    #[error("carriage return (CR) not followed by a line feed")]
    LoneCarriageReturn,
    /// The first line is not a known header.
    /// The first line is not quoted: a file that is not a registry export (a secret, a key) must
    /// not have its content printed in messages and CI logs.
    #[error(
        "not a registry export: the first line is not the header `Windows Registry Editor Version 5.00` or `REGEDIT4`"
    )]
    MissingHeader {
        /// The start of the first line.
        found: String,
    },
    /// `REGEDIT4` in a UTF-16 file.
    #[error("`REGEDIT4` header in a UTF-16 file; version 4 files are 8-bit (ANSI)")]
    HeaderEncodingMismatch,
    /// A value line before any key line.
    #[error("value line before any `[key]` line")]
    ValueBeforeKey,
    /// A value line after a `[-key]` line.
    #[error("value line under a `[-key]` (delete key) line")]
    ValueUnderDeleteKey,
    /// A line that is none of the known kinds.
    #[error("expected a `[key]` line, a value line starting with `\"` or `@`, a `;` comment or a blank line, found `{}`", .found.escape_debug())]
    UnexpectedLine {
        /// The character found.
        found: char,
    },
    /// A key line without `]`.
    #[error("the key line has no closing `]`")]
    MissingCloseBracket,
    /// Text after the `]` of a key line.
    #[error("unexpected text after the `]` of the key line")]
    TextAfterKey,
    /// A bad key path.
    #[error(transparent)]
    KeyPath(#[from] KeyPathError),
    /// A quoted string without its closing quote.
    #[error("unterminated quoted string: no closing `\"` on this line")]
    UnterminatedQuote,
    /// `\` followed by something other than `\` or `"` inside quotes.
    #[error("unknown escape `\\{}` in a quoted string; only `\\\\` and `\\\"` are allowed", .found.escape_debug())]
    UnknownEscape {
        /// The character after the backslash.
        found: char,
    },
    /// A control character in a value name.
    #[error("the value name has {}", describe_char(*character))]
    ValueNameCharacter {
        /// The character.
        character: char,
    },
    /// No `=` right after the value name.
    #[error("expected `=` right after the value name, found {found}")]
    ExpectedEquals {
        /// What was found.
        found: String,
    },
    /// Data that is none of the known forms.
    #[error("expected `\"text\"`, `dword:`, `hex:`, `hex(N):` or `-` after `=`, found {found}")]
    UnknownValueType {
        /// What was found.
        found: String,
    },
    /// `hex(N)` with a bad N.
    #[error("expected 1 to 8 hex digits and `):` in `hex(N):`")]
    BadTypeNumber,
    /// Something other than a hex digit where one was expected.
    #[error("bad hex digit: expected two hex digits, found {found}")]
    BadHexDigit {
        /// What was found.
        found: String,
    },
    /// A `dword:` with fewer than 8 hex digits.
    #[error("short dword: `dword:` needs exactly 8 hex digits, found {digits}")]
    ShortDword {
        /// The number of digits.
        digits: usize,
    },
    /// A `dword:` with more than 8 hex digits.
    #[error("long dword: `dword:` needs exactly 8 hex digits, found {digits}")]
    LongDword {
        /// The number of digits.
        digits: usize,
    },
    /// Something other than `,` between hex bytes.
    #[error("expected `,` between hex bytes, found {found}")]
    ExpectedComma {
        /// What was found.
        found: String,
    },
    /// A `,` with no byte after it.
    #[error("hex data ends with `,`; expected another byte")]
    TrailingComma,
    /// A `\` continuation on the last line.
    #[error("the line ends with `\\` but the file has no next line to continue the data")]
    ContinuationAtEnd,
    /// Text after a complete value.
    #[error("unexpected text after the value: `{}`", .found.escape_debug())]
    TextAfterValue {
        /// The text found.
        found: String,
    },
    /// Data that does not decode as its type.
    #[error("bad {} data: {reason}", kind_name(*kind))]
    BadData {
        /// The type code.
        kind: u32,
        /// Why.
        reason: ValueDecodeError,
    },
}

/// [`read`] refused the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(".reg line {line}, column {column}: {problem}")]
pub struct RegReadError {
    /// 1-based line number (the header is line 1).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub problem: RegReadProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// Version 5.00: `hex(2)`/`hex(7)` data is UTF-16LE.
    V5,
    /// REGEDIT4: `hex(2)`/`hex(7)` data is ANSI (Windows-1252 here).
    V4,
}

/// Parses a `.reg` file strictly. Accepts UTF-16LE with BOM (version 5.00 header) and 8-bit
/// files (UTF-8, with or without BOM, else Windows-1252) with either header; CRLF or LF line
/// ends; blank lines; `;` comment lines; `\` continuations (with leading whitespace) inside
/// `hex` data. Root keys must be spelled out (any case; returned in regedit's spelling).
/// `""` as a value name is the default value (`None`). Linear in the input.
///
/// # Errors
/// [`RegReadError`] with the 1-based line and column and what was wrong.
pub fn read(bytes: &[u8]) -> Result<RegFile, RegReadError> {
    let (text, utf16_file) = decode(bytes)?;
    let lines = split_lines(&text)?;
    let header = lines.first().copied().unwrap_or_default();
    let version = match header.trim_end_matches([' ', '\t']) {
        HEADER_V5 => Version::V5,
        HEADER_V4 if utf16_file => {
            return Err(at(1, 1, RegReadProblem::HeaderEncodingMismatch));
        }
        HEADER_V4 => Version::V4,
        other => {
            return Err(at(
                1,
                1,
                RegReadProblem::MissingHeader {
                    found: other.chars().take(40).collect(),
                },
            ));
        }
    };
    Parser { lines, version }.parse()
}

fn at(line: usize, column: usize, problem: RegReadProblem) -> RegReadError {
    RegReadError {
        line,
        column,
        problem,
    }
}

/// Line and column (1-based) of the end of `text`.
fn end_position(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let last = text.rsplit('\n').next().unwrap_or_default();
    (line, last.trim_end_matches('\r').chars().count() + 1)
}

/// The text of the file and whether it was UTF-16.
fn decode(bytes: &[u8]) -> Result<(String, bool), RegReadError> {
    match bytes {
        [0xFF, 0xFE, rest @ ..] => {
            let units = utf16::units_le(rest);
            if !rest.len().is_multiple_of(2) {
                let (line, column) = end_position(&String::from_utf16_lossy(&units));
                return Err(at(line, column, RegReadProblem::TruncatedUtf16));
            }
            let text = utf16::decode(&units).map_err(|index| {
                let before = utf16::decode(&units[..index]).unwrap_or_default();
                let (line, column) = end_position(&before);
                at(line, column, RegReadProblem::InvalidUtf16)
            })?;
            Ok((text, true))
        }
        [0xFE, 0xFF, ..] => Err(at(1, 1, RegReadProblem::Utf16BigEndian)),
        [0xEF, 0xBB, 0xBF, rest @ ..] => match std::str::from_utf8(rest) {
            Ok(text) => Ok((text.to_owned(), false)),
            Err(error) => {
                let before = std::str::from_utf8(&rest[..error.valid_up_to()]).unwrap_or_default();
                let (line, column) = end_position(before);
                Err(at(line, column, RegReadProblem::InvalidUtf8))
            }
        },
        [first, 0, ..] if *first != 0 => Err(at(1, 1, RegReadProblem::Utf16WithoutBom)),
        _ => Ok((
            match std::str::from_utf8(bytes) {
                Ok(text) => text.to_owned(),
                Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
            },
            false,
        )),
    }
}

/// Windows-1252 to Unicode; the five unassigned bytes map to the C1 controls, as Windows does.
fn windows_1252(byte: u8) -> char {
    const HIGH: [u16; 32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ];
    match byte {
        0x80..=0x9F => {
            char::from_u32(u32::from(HIGH[usize::from(byte - 0x80)])).unwrap_or('\u{FFFD}')
        }
        _ => char::from(byte),
    }
}

fn split_lines(text: &str) -> Result<Vec<&str>, RegReadError> {
    let mut lines = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(byte) = line.find('\r') {
            return Err(at(
                index + 1,
                line[..byte].chars().count() + 1,
                RegReadProblem::LoneCarriageReturn,
            ));
        }
        lines.push(line);
    }
    Ok(lines)
}

fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c == ' ' || c == '\t')
}

fn describe_next(text: &str) -> String {
    match text.chars().next() {
        None => "the end of the line".to_owned(),
        Some(c) => format!("`{}`", c.escape_debug()),
    }
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    version: Version,
}

impl Parser<'_> {
    /// An error at byte `byte` of line index `index`.
    fn fail(&self, index: usize, byte: usize, problem: RegReadProblem) -> RegReadError {
        let line = self.lines.get(index).copied().unwrap_or_default();
        let column = line
            .get(..byte)
            .map_or(1, |before| before.chars().count() + 1);
        at(index + 1, column, problem)
    }

    fn parse(&self) -> Result<RegFile, RegReadError> {
        let mut sections: Vec<RegSection> = Vec::new();
        let mut index = 1;
        while let Some(&line) = self.lines.get(index) {
            let start = line.len() - line.trim_start_matches([' ', '\t']).len();
            let body = &line[start..];
            match body.chars().next() {
                None | Some(';') => index += 1,
                Some('[') => {
                    sections.push(self.key_line(index, start)?);
                    index += 1;
                }
                Some('@' | '"') => {
                    let (value, next) = self.value_line(index, start)?;
                    match sections.last_mut() {
                        Some(RegSection::Key { values, .. }) => values.push(value),
                        Some(RegSection::DeleteKey { .. }) => {
                            return Err(self.fail(
                                index,
                                start,
                                RegReadProblem::ValueUnderDeleteKey,
                            ));
                        }
                        None => {
                            return Err(self.fail(index, start, RegReadProblem::ValueBeforeKey));
                        }
                    }
                    index = next;
                }
                Some(found) => {
                    return Err(self.fail(index, start, RegReadProblem::UnexpectedLine { found }));
                }
            }
        }
        Ok(RegFile { sections })
    }

    fn key_line(&self, index: usize, start: usize) -> Result<RegSection, RegReadError> {
        let line = self.lines[index];
        let mut path_start = start + 1;
        let delete = line[path_start..].starts_with('-');
        if delete {
            path_start += 1;
        }
        let Some(close) = line[path_start..].find(']').map(|at| path_start + at) else {
            return Err(self.fail(index, line.len(), RegReadProblem::MissingCloseBracket));
        };
        if !is_blank(&line[close + 1..]) {
            return Err(self.fail(index, close + 1, RegReadProblem::TextAfterKey));
        }
        let raw = &line[path_start..close];
        let path = canonical_key_path(raw, delete).map_err(|error| {
            let byte = raw
                .char_indices()
                .nth(error.position())
                .map_or(raw.len(), |(b, _)| b);
            self.fail(index, path_start + byte, error.into())
        })?;
        Ok(if delete {
            RegSection::DeleteKey { path }
        } else {
            RegSection::Key {
                path,
                values: Vec::new(),
            }
        })
    }

    /// A value line starting at byte `start` of line `index`; returns the value and the index
    /// of the next line to read (after any continuation lines).
    fn value_line(
        &self,
        index: usize,
        start: usize,
    ) -> Result<(RegFileValue, usize), RegReadError> {
        let line = self.lines[index];
        let (name, after_name) = if line[start..].starts_with('@') {
            (None, start + 1)
        } else {
            let (name, end) = self.quoted(index, start)?;
            if let Some(character) = name.chars().find(|c| c.is_control()) {
                return Err(self.fail(
                    index,
                    start,
                    RegReadProblem::ValueNameCharacter { character },
                ));
            }
            ((!name.is_empty()).then_some(name), end)
        };
        if !line[after_name..].starts_with('=') {
            return Err(self.fail(
                index,
                after_name,
                RegReadProblem::ExpectedEquals {
                    found: describe_next(&line[after_name..]),
                },
            ));
        }
        let data_start = after_name + 1;
        let (action, next) = self.data(index, data_start)?;
        Ok((RegFileValue { name, action }, next))
    }

    /// A quoted string starting at the `"` at byte `start`; returns it and the byte after the
    /// closing quote.
    fn quoted(&self, index: usize, start: usize) -> Result<(String, usize), RegReadError> {
        let line = self.lines[index];
        let mut text = String::new();
        let mut chars = line[start + 1..]
            .char_indices()
            .map(|(b, c)| (start + 1 + b, c));
        while let Some((byte, c)) = chars.next() {
            match c {
                '"' => return Ok((text, byte + 1)),
                '\\' => match chars.next() {
                    Some((_, escaped @ ('\\' | '"'))) => text.push(escaped),
                    Some((_, found)) => {
                        return Err(self.fail(
                            index,
                            byte,
                            RegReadProblem::UnknownEscape { found },
                        ));
                    }
                    None => break,
                },
                other => text.push(other),
            }
        }
        Err(self.fail(index, start, RegReadProblem::UnterminatedQuote))
    }

    fn rest_blank(&self, index: usize, byte: usize) -> Result<(), RegReadError> {
        let rest = &self.lines[index][byte..];
        let found = rest.trim_start_matches([' ', '\t']);
        if found.is_empty() {
            Ok(())
        } else {
            Err(self.fail(
                index,
                byte + (rest.len() - found.len()),
                RegReadProblem::TextAfterValue {
                    found: found.chars().take(20).collect(),
                },
            ))
        }
    }

    fn data(&self, index: usize, start: usize) -> Result<(RegFileAction, usize), RegReadError> {
        let line = self.lines[index];
        let rest = &line[start..];
        let tag = |tag: &str| {
            rest.get(..tag.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(tag))
        };
        if rest.starts_with('-') {
            self.rest_blank(index, start + 1)?;
            return Ok((RegFileAction::Delete, index + 1));
        }
        if rest.starts_with('"') {
            let (text, end) = self.quoted(index, start)?;
            self.rest_blank(index, end)?;
            return Ok((RegFileAction::Set(RegistryValue::Sz(text)), index + 1));
        }
        if tag("dword:") {
            let digits_at = start + "dword:".len();
            let digits: &str = line[digits_at..]
                .split(|c: char| !c.is_ascii_alphanumeric())
                .next()
                .unwrap_or_default();
            if let Some(bad) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
                return Err(self.fail(
                    index,
                    digits_at + bad.0,
                    RegReadProblem::BadHexDigit {
                        found: format!("`{}`", bad.1),
                    },
                ));
            }
            let problem = match digits.len() {
                8 => None,
                n if n < 8 => Some(RegReadProblem::ShortDword { digits: n }),
                n => Some(RegReadProblem::LongDword { digits: n }),
            };
            if let Some(problem) = problem {
                return Err(self.fail(index, digits_at, problem));
            }
            self.rest_blank(index, digits_at + 8)?;
            let number = u32::from_str_radix(digits, 16).unwrap_or_default();
            return Ok((RegFileAction::Set(RegistryValue::Dword(number)), index + 1));
        }
        let (kind, list_at) = if tag("hex:") {
            (super::registry_value::REG_BINARY, start + 4)
        } else if tag("hex(") {
            let number_at = start + 4;
            let inner = &line[number_at..];
            let close = inner.find("):").filter(|&n| {
                (1..=8).contains(&n) && inner[..n].chars().all(|c| c.is_ascii_hexdigit())
            });
            let Some(close) = close else {
                return Err(self.fail(index, number_at, RegReadProblem::BadTypeNumber));
            };
            (
                u32::from_str_radix(&inner[..close], 16).unwrap_or_default(),
                number_at + close + 2,
            )
        } else {
            return Err(self.fail(
                index,
                start,
                RegReadProblem::UnknownValueType {
                    found: describe_next(rest),
                },
            ));
        };
        let (bytes, next) = self.hex_list(index, list_at)?;
        let converted;
        let data = if self.version == Version::V4 && (kind == REG_EXPAND_SZ || kind == REG_MULTI_SZ)
        {
            converted = ansi_to_utf16le(&bytes);
            &converted
        } else {
            &bytes
        };
        let value = RegistryValue::from_bytes(kind, data).map_err(|reason| {
            self.fail(index, list_at, RegReadProblem::BadData { kind, reason })
        })?;
        Ok((RegFileAction::Set(value), next))
    }

    /// Comma-separated two-digit hex bytes from byte `start` of line `index`, following `\`
    /// continuations; returns the bytes and the index of the next line.
    fn hex_list(&self, mut index: usize, start: usize) -> Result<(Vec<u8>, usize), RegReadError> {
        let mut bytes = Vec::new();
        let mut pos = start;
        // After a comma (or at the start) a byte is expected; after a byte, a comma.
        let mut need_byte = false;
        loop {
            let line = self.lines[index];
            let rest = &line[pos..];
            let trimmed = rest.trim_start_matches([' ', '\t']);
            pos += rest.len() - trimmed.len();
            let Some(c) = trimmed.chars().next() else {
                if need_byte {
                    return Err(self.fail(index, pos, RegReadProblem::TrailingComma));
                }
                return Ok((bytes, index + 1));
            };
            if c == '\\' {
                if !is_blank(&trimmed[1..]) {
                    return Err(self.fail(
                        index,
                        pos,
                        RegReadProblem::BadHexDigit {
                            found: "`\\`".to_owned(),
                        },
                    ));
                }
                if index + 1 >= self.lines.len() {
                    return Err(self.fail(index, pos, RegReadProblem::ContinuationAtEnd));
                }
                index += 1;
                pos = 0;
                continue;
            }
            if need_byte || bytes.is_empty() {
                let pair = trimmed
                    .get(..2)
                    .filter(|p| p.chars().all(|c| c.is_ascii_hexdigit()));
                let Some(pair) = pair else {
                    let bad = trimmed.char_indices().find(|(_, c)| !c.is_ascii_hexdigit());
                    let (offset, found) = match bad {
                        Some((offset, c)) if offset < 2 => {
                            (offset, format!("`{}`", c.escape_debug()))
                        }
                        _ => (trimmed.len(), "the end of the line".to_owned()),
                    };
                    return Err(self.fail(
                        index,
                        pos + offset,
                        RegReadProblem::BadHexDigit { found },
                    ));
                };
                bytes.push(u8::from_str_radix(pair, 16).unwrap_or_default());
                pos += 2;
                need_byte = false;
            } else if c == ',' {
                pos += 1;
                need_byte = true;
            } else {
                return Err(self.fail(
                    index,
                    pos,
                    RegReadProblem::ExpectedComma {
                        found: format!("`{}`", c.escape_debug()),
                    },
                ));
            }
        }
    }
}

/// REGEDIT4 `hex(2)`/`hex(7)` data: ANSI bytes (NUL-terminated) to UTF-16LE.
fn ansi_to_utf16le(bytes: &[u8]) -> Vec<u8> {
    let text: String = bytes.iter().map(|&b| windows_1252(b)).collect();
    let mut out = Vec::with_capacity(2 * bytes.len());
    utf16::push_le(&mut out, &text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::registry_value::REG_SZ;

    const TS: &str =
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services";

    fn key(path: &str, values: Vec<RegFileValue>) -> RegSection {
        RegSection::Key {
            path: path.to_owned(),
            values,
        }
    }

    fn default_value(value: RegistryValue) -> RegFileValue {
        RegFileValue {
            name: None,
            action: RegFileAction::Set(value),
        }
    }

    fn text_of(sections: Vec<RegSection>) -> String {
        write_text(&RegFile { sections }).expect("valid model")
    }

    fn utf16_bom(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        utf16::push_le(&mut out, text);
        out
    }

    #[test]
    fn writes_the_spec_example() {
        let file = RegFile {
            sections: vec![key(
                TS,
                vec![
                    RegFileValue::set("UserAuthentication", RegistryValue::Dword(1)),
                    RegFileValue::set("SecurityLayer", RegistryValue::Dword(2)),
                    RegFileValue::delete("fPromptForPassword"),
                ],
            )],
        };
        let expected = "Windows Registry Editor Version 5.00\r\n\
            \r\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services]\r\n\
            \"UserAuthentication\"=dword:00000001\r\n\
            \"SecurityLayer\"=dword:00000002\r\n\
            \"fPromptForPassword\"=-\r\n\
            \r\n";
        let bytes = write(&file).expect("valid model");
        assert_eq!(&bytes[..6], [0xFF, 0xFE, b'W', 0, b'i', 0]);
        assert_eq!(bytes, utf16_bom(expected));
        assert_eq!(read(&bytes), Ok(file));
    }

    #[test]
    fn writes_each_type_like_regedit() {
        let text = text_of(vec![
            key(
                "HKEY_CURRENT_USER\\K",
                vec![
                    default_value(RegistryValue::Sz("d".into())),
                    RegFileValue::set("dw", RegistryValue::Dword(0x00AB_CDEF)),
                    RegFileValue::set("bin", RegistryValue::Binary(vec![0x01, 0xFF])),
                    RegFileValue::set("empty", RegistryValue::Binary(vec![])),
                    RegFileValue::set("exp", RegistryValue::ExpandSz("%A%".into())),
                    RegFileValue::set(
                        "multi",
                        RegistryValue::MultiSz(vec!["a".into(), "b".into()]),
                    ),
                    RegFileValue::set("nothing", RegistryValue::MultiSz(vec![])),
                    RegFileValue::set("q", RegistryValue::Qword(1)),
                    RegFileValue::set("be", RegistryValue::DwordBigEndian(1)),
                    RegFileValue::set("none", RegistryValue::None(vec![])),
                    RegFileValue::set(
                        "other",
                        RegistryValue::Other {
                            kind: 0x20,
                            data: vec![7],
                        },
                    ),
                ],
            ),
            RegSection::DeleteKey {
                path: "HKEY_CURRENT_USER\\Gone".into(),
            },
        ]);
        assert_eq!(
            text,
            "Windows Registry Editor Version 5.00\r\n\
             \r\n\
             [HKEY_CURRENT_USER\\K]\r\n\
             @=\"d\"\r\n\
             \"dw\"=dword:00abcdef\r\n\
             \"bin\"=hex:01,ff\r\n\
             \"empty\"=hex:\r\n\
             \"exp\"=hex(2):25,00,41,00,25,00,00,00\r\n\
             \"multi\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n\
             \"nothing\"=hex(7):00,00\r\n\
             \"q\"=hex(b):01,00,00,00,00,00,00,00\r\n\
             \"be\"=hex(5):00,00,00,01\r\n\
             \"none\"=hex(0):\r\n\
             \"other\"=hex(20):07\r\n\
             \r\n\
             [-HKEY_CURRENT_USER\\Gone]\r\n\
             \r\n"
        );
    }

    #[test]
    fn escapes_names_and_strings() {
        let text = text_of(vec![key(
            "HKEY_LOCAL_MACHINE\\K",
            vec![RegFileValue::set(
                "a\"b\\c",
                RegistryValue::Sz("C:\\x \"q\"".into()),
            )],
        )]);
        assert!(
            text.contains("\r\n\"a\\\"b\\\\c\"=\"C:\\\\x \\\"q\\\"\"\r\n"),
            "{text}"
        );
    }

    #[test]
    fn control_characters_in_text_become_hex_1() {
        for (text, line) in [
            (
                "a\r\n[HKEY_LOCAL_MACHINE\\X]",
                "\"v\"=hex(1):61,00,0d,00,0a,00,5b,00,48,00,4b,00,45,00,59,00,5f,00,4c,00,4f,00,\\\r\n  43,00,41,00,4c,00,5f,00,4d,00,41,00,43,00,48,00,49,00,4e,00,45,00,5c,00,58,\\\r\n  00,5d,00,00,00\r\n",
            ),
            ("\0", "\"v\"=hex(1):00,00,00,00\r\n"),
            ("a\tb", "\"v\"=hex(1):61,00,09,00,62,00,00,00\r\n"),
        ] {
            let file = RegFile {
                sections: vec![key(
                    "HKEY_LOCAL_MACHINE\\K",
                    vec![RegFileValue::set("v", RegistryValue::Sz(text.into()))],
                )],
            };
            let written = write_text(&file).expect("valid model");
            assert!(written.contains(line), "{written}");
            assert_eq!(read(&write(&file).expect("valid")), Ok(file));
        }
    }

    /// Bytes per line of the first `hex` value in `text`.
    fn bytes_per_line(text: &str) -> Vec<usize> {
        let start = text.find("=hex").expect("hex value");
        let mut counts = Vec::new();
        for (index, line) in text[start..].split("\r\n").enumerate() {
            let data = if index == 0 {
                line.split_once("):")
                    .or_else(|| line.split_once(':'))
                    .expect("tag")
                    .1
            } else {
                line
            };
            let data = data.trim_start().trim_end_matches('\\');
            counts.push(data.split(',').filter(|b| !b.is_empty()).count());
            if !line.ends_with('\\') {
                break;
            }
        }
        counts
    }

    #[test]
    fn wraps_hex_like_regedit() {
        let data = RegistryValue::ExpandSz("x".repeat(49)); // 100 bytes with the NUL
        let default = text_of(vec![key(
            "HKEY_LOCAL_MACHINE\\K",
            vec![default_value(data.clone())],
        )]);
        assert_eq!(bytes_per_line(&default), [23, 25, 25, 25, 2]);
        let named = text_of(vec![key(
            "HKEY_LOCAL_MACHINE\\K",
            vec![RegFileValue::set("FriendlyTypeName", data)],
        )]);
        assert_eq!(bytes_per_line(&named), [17, 25, 25, 25, 8]);
        for line in named.split("\r\n") {
            assert!(line.chars().count() <= 80, "{line}");
            if line.starts_with("  ") {
                assert!(
                    line.chars().count() == 78 || !line.ends_with('\\'),
                    "{line}"
                );
            }
        }
        // Exactly filling a line: no dangling continuation after the last byte.
        let exact = text_of(vec![key(
            "HKEY_LOCAL_MACHINE\\K",
            vec![default_value(RegistryValue::Binary(vec![0xAB; 24]))],
        )]);
        assert_eq!(bytes_per_line(&exact), [24]);
        let wrap = text_of(vec![key(
            "HKEY_LOCAL_MACHINE\\K",
            vec![default_value(RegistryValue::Binary(vec![0xAB; 26]))],
        )]);
        // `@=hex:` is 6 characters: 6 + 3n >= 77 first at n = 24.
        assert_eq!(bytes_per_line(&wrap), [24, 2]);
    }

    fn write_problem(section: RegSection) -> RegWriteProblem {
        write(&RegFile {
            sections: vec![section],
        })
        .expect_err("must be refused")
        .problem
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one table of cases reads better than several tests
    fn refuses_paths_and_names_that_could_break_lines() {
        let path = |p: &str| write_problem(key(p, vec![]));
        assert_eq!(
            path("HKEY_LOCAL_MACHINE\\A]\r\n\"x\"=dword:1"),
            KeyPathError::Character {
                character: ']',
                position: 20
            }
            .into()
        );
        assert_eq!(
            path("HKEY_LOCAL_MACHINE\\A\nB"),
            KeyPathError::Character {
                character: '\n',
                position: 20
            }
            .into()
        );
        assert_eq!(
            path("HKEY_LOCAL_MACHINE\\A\\"),
            KeyPathError::EmptyComponent { position: 21 }.into()
        );
        assert_eq!(
            path("HKEY_LOCAL_MACHINE\\\\A"),
            KeyPathError::EmptyComponent { position: 19 }.into()
        );
        assert_eq!(
            path("HKEY_NOWHERE\\A"),
            KeyPathError::UnknownRoot {
                root: "HKEY_NOWHERE".into()
            }
            .into()
        );
        assert_eq!(
            path(""),
            KeyPathError::UnknownRoot {
                root: String::new()
            }
            .into()
        );
        assert_eq!(
            path("HKLM\\A"),
            KeyPathError::AbbreviatedRoot {
                root: "HKLM".into(),
                full: "HKEY_LOCAL_MACHINE"
            }
            .into()
        );
        assert_eq!(
            path(&format!("HKEY_USERS\\{}", "k".repeat(256))),
            KeyPathError::ComponentTooLong {
                position: 11,
                len: 256
            }
            .into()
        );
        assert_eq!(
            path("HKEY_USERS\\A \\B "),
            KeyPathError::TrailingWhitespace { position: 15 }.into()
        );
        assert!(
            write(&RegFile {
                sections: vec![key("HKEY_USERS\\ A \\B", vec![])]
            })
            .is_ok()
        );
        assert_eq!(
            write_problem(RegSection::DeleteKey {
                path: "HKEY_USERS".into()
            }),
            KeyPathError::DeleteRoot.into()
        );
        let name = |n: &str| {
            write_problem(key(
                "HKEY_USERS\\K",
                vec![RegFileValue::set(n, RegistryValue::Dword(1))],
            ))
        };
        assert_eq!(
            name("a\nb"),
            RegWriteProblem::ValueNameCharacter {
                character: '\n',
                position: 1
            }
        );
        assert_eq!(name(""), RegWriteProblem::EmptyValueName);
        assert_eq!(
            write_problem(key(
                "HKEY_USERS\\K",
                vec![RegFileValue::set(
                    "m",
                    RegistryValue::MultiSz(vec![String::new()])
                )]
            )),
            RegWriteProblem::Shape(ValueShapeError::EmptyMultiSzItem { index: 0 })
        );
        let error = write(&RegFile {
            sections: vec![key(
                "HKEY_USERS\\K",
                vec![RegFileValue::set("a\nb", RegistryValue::Dword(1))],
            )],
        })
        .expect_err("control character");
        assert_eq!(
            error.to_string(),
            ".reg section 0 (key `HKEY_USERS\\\\K`, value `a\\nb`): the value name has `\\n` (U+000A) at character 1"
        );
    }

    #[test]
    fn writer_spells_roots_out() {
        let text = text_of(vec![key("hkey_local_machine\\Software", vec![])]);
        assert!(text.contains("[HKEY_LOCAL_MACHINE\\Software]"));
        assert!(
            text_of(vec![key("HKEY_CURRENT_CONFIG", vec![])]).contains("[HKEY_CURRENT_CONFIG]\r\n")
        );
    }

    #[test]
    fn reads_what_regedit_exports() {
        let export = "Windows Registry Editor Version 5.00\r\n\
            \r\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]\r\n\
            @=\"default\"\r\n\
            \"Path\"=\"C:\\\\Program Files\\\\\\\"x\\\"\"\r\n\
            \"Count\"=dword:0000002a\r\n\
            \"Expand\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,25,\\\r\n\
            \x20 00,00,00\r\n\
            \"Multi\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n\
            \"Bin\"=hex:de,ad,BE,EF\r\n\
            \"Big\"=hex(b):00,00,00,00,01,00,00,00\r\n\
            \r\n";
        let file = read(&utf16_bom(export)).expect("valid export");
        assert_eq!(
            file.sections,
            [key(
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\Test",
                vec![
                    default_value(RegistryValue::Sz("default".into())),
                    RegFileValue::set("Path", RegistryValue::Sz("C:\\Program Files\\\"x\"".into())),
                    RegFileValue::set("Count", RegistryValue::Dword(42)),
                    RegFileValue::set("Expand", RegistryValue::ExpandSz("%SystemRoot%".into())),
                    RegFileValue::set(
                        "Multi",
                        RegistryValue::MultiSz(vec!["a".into(), "b".into()])
                    ),
                    RegFileValue::set("Bin", RegistryValue::Binary(vec![0xDE, 0xAD, 0xBE, 0xEF])),
                    RegFileValue::set("Big", RegistryValue::Qword(1 << 32)),
                ],
            )]
        );
    }

    #[test]
    fn reads_regedit4_comments_lf_and_continuations() {
        // REGEDIT4: Windows-1252 text (0xE9 = é), ANSI hex(2)/hex(7) data, LF line ends.
        let mut bytes = b"REGEDIT4\n; comment\n\n  [HKEY_CURRENT_USER\\Caf".to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(
            b"]  \n\"\"=\"root\"\n\"e\"=hex(2):25,41,\\\n\t  25,00\n\"m\"=hex(7):61,00,80,00,00\n[-hkey_current_user\\Old]\n",
        );
        let file = read(&bytes).expect("valid REGEDIT4");
        assert_eq!(
            file.sections,
            [
                key(
                    "HKEY_CURRENT_USER\\Café",
                    vec![
                        default_value(RegistryValue::Sz("root".into())),
                        RegFileValue::set("e", RegistryValue::ExpandSz("%A%".into())),
                        RegFileValue::set(
                            "m",
                            RegistryValue::MultiSz(vec!["a".into(), "€".into()])
                        ),
                    ],
                ),
                RegSection::DeleteKey {
                    path: "HKEY_CURRENT_USER\\Old".into()
                },
            ]
        );
        // UTF-8 without BOM and with BOM, version 5.00 header (as hivexregedit writes).
        let utf8 =
            "Windows Registry Editor Version 5.00\n[HKEY_USERS\\é]\n\"v\"=hex(2):41,00,00,00\n";
        let expected = vec![key(
            "HKEY_USERS\\é",
            vec![RegFileValue::set("v", RegistryValue::ExpandSz("A".into()))],
        )];
        assert_eq!(read(utf8.as_bytes()).expect("utf-8").sections, expected);
        assert_eq!(
            read(&[&[0xEF, 0xBB, 0xBF][..], utf8.as_bytes()].concat())
                .expect("utf-8 bom")
                .sections,
            expected
        );
    }

    fn read_problem(text: &str) -> (usize, usize, RegReadProblem) {
        let error = read(&utf16_bom(text)).expect_err("malformed input");
        (error.line, error.column, error.problem)
    }

    const H: &str = "Windows Registry Editor Version 5.00\r\n";

    #[test]
    fn reports_encoding_and_header_errors() {
        let mut odd = utf16_bom(&format!("{H}[HKEY_USERS\\K]\r\n"));
        odd.push(b'x');
        let error = read(&odd).expect_err("odd length");
        assert_eq!(
            (error.line, error.column, error.problem),
            (3, 1, RegReadProblem::TruncatedUtf16)
        );
        let mut lone = utf16_bom(&format!("{H}[HKEY_USERS\\K"));
        lone.extend_from_slice(&[0x00, 0xD8, b']', 0]);
        let error = read(&lone).expect_err("lone surrogate");
        assert_eq!(
            (error.line, error.column, error.problem),
            (2, 14, RegReadProblem::InvalidUtf16)
        );
        assert_eq!(
            read(&[0xFE, 0xFF, 0, b'W']).expect_err("be").problem,
            RegReadProblem::Utf16BigEndian
        );
        assert_eq!(
            read(b"W\0i\0").expect_err("no bom").problem,
            RegReadProblem::Utf16WithoutBom
        );
        let error = read(b"\xEF\xBB\xBFREGEDIT4\n\xFF").expect_err("bad utf-8");
        assert_eq!(
            (error.line, error.column, error.problem),
            (2, 1, RegReadProblem::InvalidUtf8)
        );
        assert_eq!(
            read_problem("Windows Registry Editor Version 4.00\r\n"),
            (
                1,
                1,
                RegReadProblem::MissingHeader {
                    found: "Windows Registry Editor Version 4.00".into()
                }
            )
        );
        assert_eq!(
            read(b"").expect_err("empty").problem,
            RegReadProblem::MissingHeader {
                found: String::new()
            }
        );
        assert_eq!(
            read_problem("REGEDIT4\r\n"),
            (1, 1, RegReadProblem::HeaderEncodingMismatch)
        );
        assert_eq!(
            read_problem(&format!("{H}[HKEY_USERS\\K]\r\"a\"=-\r\n")),
            (2, 15, RegReadProblem::LoneCarriageReturn)
        );
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one table of cases reads better than several tests
    fn reports_structure_errors_with_line_and_column() {
        let cases: Vec<(String, (usize, usize, RegReadProblem))> = vec![
            (
                format!("{H}\"a\"=dword:00000001\r\n"),
                (2, 1, RegReadProblem::ValueBeforeKey),
            ),
            (
                format!("{H}[-HKEY_USERS\\K]\r\n@=\"x\"\r\n"),
                (3, 1, RegReadProblem::ValueUnderDeleteKey),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n  x=1\r\n"),
                (3, 3, RegReadProblem::UnexpectedLine { found: 'x' }),
            ),
            (
                format!("{H}[HKEY_USERS\\K\r\n"),
                (2, 14, RegReadProblem::MissingCloseBracket),
            ),
            (
                format!("{H}[HKEY_USERS\\K] x\r\n"),
                (2, 15, RegReadProblem::TextAfterKey),
            ),
            (
                format!("{H}[HKEY_USERS\\A]]\r\n"),
                (2, 15, RegReadProblem::TextAfterKey),
            ),
            (
                format!("{H}[HKEY_NOWHERE\\K]\r\n"),
                (
                    2,
                    2,
                    KeyPathError::UnknownRoot {
                        root: "HKEY_NOWHERE".into(),
                    }
                    .into(),
                ),
            ),
            (
                format!("{H}[HKCU\\K]\r\n"),
                (
                    2,
                    2,
                    KeyPathError::AbbreviatedRoot {
                        root: "HKCU".into(),
                        full: "HKEY_CURRENT_USER",
                    }
                    .into(),
                ),
            ),
            (
                format!("{H}[HKEY_USERS\\A\\\\B]\r\n"),
                (2, 15, KeyPathError::EmptyComponent { position: 13 }.into()),
            ),
            (
                format!("{H}[HKEY_USERS\\A\tB]\r\n"),
                (
                    2,
                    14,
                    KeyPathError::Character {
                        character: '\t',
                        position: 12,
                    }
                    .into(),
                ),
            ),
            (
                format!("{H}[-HKEY_USERS]\r\n"),
                (2, 3, KeyPathError::DeleteRoot.into()),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n\"a=dword:00000001\r\n"),
                (3, 1, RegReadProblem::UnterminatedQuote),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n\"a\"=\"x\r\n"),
                (3, 5, RegReadProblem::UnterminatedQuote),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n\"a\\n\"=-\r\n"),
                (3, 3, RegReadProblem::UnknownEscape { found: 'n' }),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n\"a\" = -\r\n"),
                (
                    3,
                    4,
                    RegReadProblem::ExpectedEquals {
                        found: "` `".into(),
                    },
                ),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n@\r\n"),
                (
                    3,
                    2,
                    RegReadProblem::ExpectedEquals {
                        found: "the end of the line".into(),
                    },
                ),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n@=word:1\r\n"),
                (
                    3,
                    3,
                    RegReadProblem::UnknownValueType {
                        found: "`w`".into(),
                    },
                ),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n@=-x\r\n"),
                (3, 4, RegReadProblem::TextAfterValue { found: "x".into() }),
            ),
            (
                format!("{H}[HKEY_USERS\\K]\r\n@=\"x\" ;c\r\n"),
                (3, 7, RegReadProblem::TextAfterValue { found: ";c".into() }),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(read_problem(&text), expected, "{text:?}");
        }
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one table of cases reads better than several tests
    fn reports_data_errors_with_line_and_column() {
        let k = format!("{H}[HKEY_USERS\\K]\r\n");
        let cases: Vec<(String, (usize, usize, RegReadProblem))> = vec![
            (
                format!("{k}\"a\"=dword:1\r\n"),
                (3, 11, RegReadProblem::ShortDword { digits: 1 }),
            ),
            (
                format!("{k}\"a\"=dword:\r\n"),
                (3, 11, RegReadProblem::ShortDword { digits: 0 }),
            ),
            (
                format!("{k}\"a\"=dword:000000001\r\n"),
                (3, 11, RegReadProblem::LongDword { digits: 9 }),
            ),
            (
                format!("{k}\"a\"=dword:0000000g\r\n"),
                (
                    3,
                    18,
                    RegReadProblem::BadHexDigit {
                        found: "`g`".into(),
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex:01,0g\r\n"),
                (
                    3,
                    13,
                    RegReadProblem::BadHexDigit {
                        found: "`g`".into(),
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex:01,2\r\n"),
                (
                    3,
                    13,
                    RegReadProblem::BadHexDigit {
                        found: "the end of the line".into(),
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex:01;02\r\n"),
                (
                    3,
                    11,
                    RegReadProblem::ExpectedComma {
                        found: "`;`".into(),
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex:0102\r\n"),
                (
                    3,
                    11,
                    RegReadProblem::ExpectedComma {
                        found: "`0`".into(),
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex:01,\r\n"),
                (3, 12, RegReadProblem::TrailingComma),
            ),
            (
                format!("{k}\"a\"=hex:01,\\\r\n\r\n"),
                (4, 1, RegReadProblem::TrailingComma),
            ),
            (
                format!("{k}\"a\"=hex:01,\\"),
                (3, 12, RegReadProblem::ContinuationAtEnd),
            ),
            (
                format!("{k}\"a\"=hex:01,\\ x\r\n"),
                (
                    3,
                    12,
                    RegReadProblem::BadHexDigit {
                        found: "`\\`".into(),
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex(x):01\r\n"),
                (3, 9, RegReadProblem::BadTypeNumber),
            ),
            (
                format!("{k}\"a\"=hex(123456789):01\r\n"),
                (3, 9, RegReadProblem::BadTypeNumber),
            ),
            (
                format!("{k}\"a\"=hex(2)01\r\n"),
                (3, 9, RegReadProblem::BadTypeNumber),
            ),
            (
                format!("{k}\"a\"=hex(2):41,00,00\r\n"),
                (
                    3,
                    12,
                    RegReadProblem::BadData {
                        kind: REG_EXPAND_SZ,
                        reason: ValueDecodeError::OddLength {
                            kind: REG_EXPAND_SZ,
                            len: 3,
                        },
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex(7):41,00,00\r\n"),
                (
                    3,
                    12,
                    RegReadProblem::BadData {
                        kind: REG_MULTI_SZ,
                        reason: ValueDecodeError::OddLength {
                            kind: REG_MULTI_SZ,
                            len: 3,
                        },
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex(1):41,00\r\n"),
                (
                    3,
                    12,
                    RegReadProblem::BadData {
                        kind: REG_SZ,
                        reason: ValueDecodeError::MissingTerminator { kind: REG_SZ },
                    },
                ),
            ),
            (
                format!("{k}\"a\"=hex(4):01,00\r\n"),
                (
                    3,
                    12,
                    RegReadProblem::BadData {
                        kind: 4,
                        reason: ValueDecodeError::WrongSize {
                            kind: 4,
                            expected: 4,
                            found: 2,
                        },
                    },
                ),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(read_problem(&text), expected, "{text:?}");
        }
        assert_eq!(
            read(&utf16_bom(&format!("{k}\"a\"=dword:1\r\n")))
                .expect_err("short")
                .to_string(),
            ".reg line 3, column 11: short dword: `dword:` needs exactly 8 hex digits, found 1"
        );
    }

    #[test]
    fn reports_long_key_names_and_control_characters_in_names() {
        assert_eq!(
            read_problem(&format!("{H}[HKEY_USERS\\{}]\r\n", "k".repeat(256))),
            (
                2,
                13,
                KeyPathError::ComponentTooLong {
                    position: 11,
                    len: 256
                }
                .into()
            )
        );
        assert_eq!(
            read_problem(&format!("{H}[HKEY_USERS\\K]\r\n  \"a\tb\"=-\r\n")),
            (3, 3, RegReadProblem::ValueNameCharacter { character: '\t' })
        );
    }

    #[test]
    fn reads_empty_name_as_default_and_hex_4_as_dword() {
        let file = read(&utf16_bom(&format!(
            "{H}[HKEY_USERS\\K]\r\n\"\"=hex(4):01,00,00,00\r\n"
        )))
        .expect("valid");
        assert_eq!(
            file.sections,
            [key(
                "HKEY_USERS\\K",
                vec![default_value(RegistryValue::Dword(1))]
            )]
        );
    }
}

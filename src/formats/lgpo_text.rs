//! The "LGPO text" format that `LGPO.exe /t` applies and `LGPO.exe /r ... /w` turns into a
//! Registry.pol (LGPO.exe v3.0 documentation, formats.md §5): records of four lines
//! (configuration, key, value name, action) separated by blank lines, `;` comment lines.
//! Writer only; the result is text, [`encode_unicode`] gives the bytes LGPO.exe reads
//! (UTF-16LE with BOM — LGPO.exe reads Unicode or ANSI, never UTF-8).
//!
//! Escaping (\[infer\], verify with LGPO.exe): LGPO.exe documents the escapes `\r`, `\n` and `\\`
//! in `SZ:`/`EXSZ:`/`MULTISZ:` text and `\0` as the `MULTISZ:` separator, while its own
//! example `EXSZ:%USERPROFILE%\Desktop` shows a lone `\` kept as is. The writer therefore
//! doubles a backslash only where it would otherwise start an escape (before `\`, `0`, `r`,
//! `n`, `t`, in either case, or before the `\0` separator), and leaves other backslashes alone, so paths
//! read the same under either reading. Text with CR, LF or NUL is refused: rdpgen never
//! relies on the unverified `\r`/`\n` escapes.

use std::fmt::Write as _;

use thiserror::Error;

use super::registry_value::{Hive, RegistryValue, ValueShapeError, kind_name};

/// The value-name line LGPO.exe reads as the key's default value.
pub const DEFAULT_VALUE_NAME: &str = "(Default)";

/// One LGPO text record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LgpoEntry {
    /// `Computer` (`HKEY_LOCAL_MACHINE`) or `User` (`HKEY_CURRENT_USER`).
    pub hive: Hive,
    /// Key path without hive.
    pub key: String,
    /// Value name; empty for the default value. Must be empty for key-level actions.
    pub value_name: String,
    /// What to do.
    pub action: LgpoAction,
}

/// The action line of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LgpoAction {
    /// `DWORD:`, `QWORD:`, `SZ:`, `EXSZ:`, `MULTISZ:` or `BINARY:`.
    Set(RegistryValue),
    /// `DELETE` (Registry.pol `**del.<name>`).
    Delete,
    /// `DELETEALLVALUES` with value name `*` (Registry.pol `**delvals.`).
    DeleteAllValues,
    /// `CREATEKEY` with value name `*` (Registry.pol key-only entry).
    CreateKey,
}

/// What is wrong with one record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LgpoEntryError {
    /// The key path is empty.
    #[error("the key path is empty")]
    EmptyKey,
    /// A leading, trailing or doubled `\`.
    #[error("the key path has an empty component (leading, trailing or doubled `\\`)")]
    EmptyKeyComponent,
    /// The key path names a hive; the configuration line says which one.
    #[error("the key path starts with the hive `{root}`; LGPO text keys have no hive")]
    KeyHasHive {
        /// The first component.
        root: String,
    },
    /// A control character, which would break the line format.
    #[error("the {field} has {} at character {position}; LGPO text lines cannot hold control characters", describe_char(*character))]
    ControlCharacter {
        /// Which line.
        field: &'static str,
        /// The character.
        character: char,
        /// Its 0-based character position.
        position: usize,
    },
    /// Leading or trailing whitespace, which LGPO.exe may trim.
    #[error("the {field} starts or ends with whitespace, which LGPO text cannot keep")]
    SurroundingWhitespace {
        /// Which line.
        field: &'static str,
    },
    /// A value literally named `(Default)`, which LGPO.exe reads as the default value.
    #[error("a value named `(Default)` cannot be told apart from the default value in LGPO text")]
    DefaultValueName,
    /// A value name on a key-level action.
    #[error(
        "`{action}` applies to the whole key; leave the value name empty (it is written as `*`)"
    )]
    ValueNameOnKeyAction {
        /// The action.
        action: &'static str,
    },
    /// A value type LGPO text has no action for.
    #[error("LGPO text has no action for {} values{hint}", kind_name(*kind))]
    UnsupportedType {
        /// The type code.
        kind: u32,
        /// Extra advice.
        hint: &'static str,
    },
    /// CR, LF or NUL in text data.
    #[error("the {} text has {} at character {position}; LGPO text cannot hold line breaks or NUL", kind_name(*kind), describe_char(*character))]
    StringControl {
        /// The type code.
        kind: u32,
        /// The character.
        character: char,
        /// Its 0-based character position.
        position: usize,
    },
    /// A value that would not read back unchanged.
    #[error(transparent)]
    Shape(#[from] ValueShapeError),
}

/// [`write()`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LgpoWriteError {
    /// A header comment with a line break.
    #[error("LGPO header comment {index} contains a line break")]
    CommentLineBreak {
        /// 0-based index of the comment.
        index: usize,
    },
    /// A record that cannot be written.
    #[error("LGPO entry {index} (key `{}`, value `{}`): {problem}", .key.escape_debug(), .value_name.escape_debug())]
    Entry {
        /// 0-based index of the entry.
        index: usize,
        /// Its key path.
        key: String,
        /// Its value name.
        value_name: String,
        /// What is wrong.
        problem: LgpoEntryError,
    },
}

fn describe_char(character: char) -> String {
    format!(
        "`{}` (U+{:04X})",
        character.escape_debug(),
        u32::from(character)
    )
}

/// Writes `entries` as LGPO text: CRLF line ends, a blank line between records.
///
/// # Errors
/// [`LgpoWriteError`] for the first record that cannot be written.
pub fn write(entries: &[LgpoEntry]) -> Result<String, LgpoWriteError> {
    write_with_header(&[], entries)
}

/// Like [`write()`], preceded by one `; <comment>` line per comment and a blank line.
///
/// # Errors
/// [`LgpoWriteError`] for a comment with a line break or a record that cannot be written.
pub fn write_with_header(
    comments: &[&str],
    entries: &[LgpoEntry],
) -> Result<String, LgpoWriteError> {
    let mut out = String::new();
    for (index, comment) in comments.iter().enumerate() {
        if comment.contains(['\r', '\n']) {
            return Err(LgpoWriteError::CommentLineBreak { index });
        }
        out.push(';');
        if !comment.is_empty() {
            out.push(' ');
            out.push_str(comment);
        }
        out.push_str("\r\n");
    }
    for (index, entry) in entries.iter().enumerate() {
        if index > 0 || !comments.is_empty() {
            out.push_str("\r\n");
        }
        push_entry(&mut out, entry).map_err(|problem| LgpoWriteError::Entry {
            index,
            key: entry.key.clone(),
            value_name: entry.value_name.clone(),
            problem,
        })?;
    }
    Ok(out)
}

/// `text` as LGPO.exe reads Unicode files: BOM `FF FE`, then UTF-16LE.
#[must_use]
pub fn encode_unicode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + 2 * text.len());
    out.extend_from_slice(&[0xFF, 0xFE]);
    super::utf16::push_le(&mut out, text);
    out
}

fn check_line(field: &'static str, text: &str) -> Result<(), LgpoEntryError> {
    if let Some((position, character)) = text.chars().enumerate().find(|&(_, c)| c.is_control()) {
        return Err(LgpoEntryError::ControlCharacter {
            field,
            character,
            position,
        });
    }
    if text.trim() != text {
        return Err(LgpoEntryError::SurroundingWhitespace { field });
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), LgpoEntryError> {
    if key.is_empty() {
        return Err(LgpoEntryError::EmptyKey);
    }
    check_line("key path", key)?;
    if key.split('\\').any(str::is_empty) {
        return Err(LgpoEntryError::EmptyKeyComponent);
    }
    let root = key.split('\\').next().unwrap_or_default();
    let upper = root.to_ascii_uppercase();
    if matches!(upper.as_str(), "HKLM" | "HKCU" | "HKCR" | "HKU" | "HKCC")
        || upper.starts_with("HKEY_")
    {
        return Err(LgpoEntryError::KeyHasHive {
            root: root.to_owned(),
        });
    }
    Ok(())
}

fn push_entry(out: &mut String, entry: &LgpoEntry) -> Result<(), LgpoEntryError> {
    check_key(&entry.key)?;
    let name = match &entry.action {
        LgpoAction::DeleteAllValues | LgpoAction::CreateKey => {
            if !entry.value_name.is_empty() {
                let action = if entry.action == LgpoAction::CreateKey {
                    "CREATEKEY"
                } else {
                    "DELETEALLVALUES"
                };
                return Err(LgpoEntryError::ValueNameOnKeyAction { action });
            }
            "*"
        }
        LgpoAction::Set(_) | LgpoAction::Delete => {
            if entry.value_name.is_empty() {
                DEFAULT_VALUE_NAME
            } else if entry.value_name.eq_ignore_ascii_case(DEFAULT_VALUE_NAME) {
                return Err(LgpoEntryError::DefaultValueName);
            } else {
                check_line("value name", &entry.value_name)?;
                entry.value_name.as_str()
            }
        }
    };
    let action = action_line(&entry.action)?;
    out.push_str(match entry.hive {
        Hive::LocalMachine => "Computer",
        Hive::CurrentUser => "User",
    });
    out.push_str("\r\n");
    out.push_str(&entry.key);
    out.push_str("\r\n");
    out.push_str(name);
    out.push_str("\r\n");
    out.push_str(&action);
    out.push_str("\r\n");
    Ok(())
}

fn action_line(action: &LgpoAction) -> Result<String, LgpoEntryError> {
    let value = match action {
        LgpoAction::Delete => return Ok("DELETE".to_owned()),
        LgpoAction::DeleteAllValues => return Ok("DELETEALLVALUES".to_owned()),
        LgpoAction::CreateKey => return Ok("CREATEKEY".to_owned()),
        LgpoAction::Set(value) => value,
    };
    value.check_shape()?;
    let mut line = String::new();
    match value {
        RegistryValue::Dword(number) => {
            let _ = write!(line, "DWORD:{number}");
        }
        RegistryValue::Qword(number) => {
            let _ = write!(line, "QWORD:{number}");
        }
        RegistryValue::Sz(text) => {
            check_text(value.kind(), text)?;
            line.push_str("SZ:");
            push_escaped(&mut line, text, false);
        }
        RegistryValue::ExpandSz(text) => {
            check_text(value.kind(), text)?;
            line.push_str("EXSZ:");
            push_escaped(&mut line, text, false);
        }
        RegistryValue::MultiSz(items) => {
            line.push_str("MULTISZ:");
            for (index, item) in items.iter().enumerate() {
                check_text(value.kind(), item)?;
                if index > 0 {
                    line.push_str("\\0");
                }
                push_escaped(&mut line, item, index + 1 < items.len());
            }
        }
        RegistryValue::Binary(bytes) => {
            line.push_str("BINARY:");
            for (index, byte) in bytes.iter().enumerate() {
                if index > 0 {
                    line.push(',');
                }
                let _ = write!(line, "{byte:02x}");
            }
        }
        RegistryValue::None(_) => {
            return Err(LgpoEntryError::UnsupportedType {
                kind: value.kind(),
                hint: "; use `LgpoAction::CreateKey` for a key-only entry",
            });
        }
        RegistryValue::DwordBigEndian(_) | RegistryValue::Other { .. } => {
            return Err(LgpoEntryError::UnsupportedType {
                kind: value.kind(),
                hint: "",
            });
        }
    }
    Ok(line)
}

fn check_text(kind: u32, text: &str) -> Result<(), LgpoEntryError> {
    match text
        .chars()
        .enumerate()
        .find(|&(_, c)| matches!(c, '\r' | '\n' | '\0'))
    {
        Some((position, character)) => Err(LgpoEntryError::StringControl {
            kind,
            character,
            position,
        }),
        None => Ok(()),
    }
}

/// Appends `text`, doubling each backslash that would otherwise start an escape; `separator_follows`
/// says a `\0` separator comes right after `text`.
fn push_escaped(out: &mut String, text: &str, separator_follows: bool) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let next = chars.peek().copied().or(separator_follows.then_some('\\'));
            if matches!(next, Some('\\' | '0' | 'r' | 'n' | 't' | 'R' | 'N' | 'T')) {
                out.push('\\');
            }
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: &str = "SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services";

    fn set(name: &str, value: RegistryValue) -> LgpoEntry {
        LgpoEntry {
            hive: Hive::LocalMachine,
            key: TS.to_owned(),
            value_name: name.to_owned(),
            action: LgpoAction::Set(value),
        }
    }

    #[test]
    fn writes_the_spec_example() {
        let text = write_with_header(
            &["rdpgen: require NLA"],
            &[
                set("UserAuthentication", RegistryValue::Dword(1)),
                set("SecurityLayer", RegistryValue::Dword(2)),
            ],
        )
        .expect("valid entries");
        assert_eq!(
            text,
            "; rdpgen: require NLA\r\n\
             \r\n\
             Computer\r\n\
             SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\r\n\
             UserAuthentication\r\n\
             DWORD:1\r\n\
             \r\n\
             Computer\r\n\
             SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\r\n\
             SecurityLayer\r\n\
             DWORD:2\r\n"
        );
    }

    fn action(entry: LgpoEntry) -> String {
        let text = write(&[entry]).expect("valid entry");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines.len(), 5, "{text}");
        format!("{}|{}|{}", lines[0], lines[2], lines[3])
    }

    #[test]
    fn spells_every_action() {
        assert_eq!(
            action(set("a", RegistryValue::Dword(u32::MAX))),
            "Computer|a|DWORD:4294967295"
        );
        assert_eq!(
            action(set("a", RegistryValue::Qword(u64::MAX))),
            "Computer|a|QWORD:18446744073709551615"
        );
        assert_eq!(
            action(set("a", RegistryValue::Sz("Authorized users only!".into()))),
            "Computer|a|SZ:Authorized users only!"
        );
        assert_eq!(
            action(set("a", RegistryValue::Sz(String::new()))),
            "Computer|a|SZ:"
        );
        assert_eq!(
            action(set(
                "a",
                RegistryValue::ExpandSz("%USERPROFILE%\\Desktop".into())
            )),
            "Computer|a|EXSZ:%USERPROFILE%\\Desktop"
        );
        assert_eq!(
            action(set(
                "a",
                RegistryValue::MultiSz(vec!["One".into(), "Two".into(), "Three".into()])
            )),
            "Computer|a|MULTISZ:One\\0Two\\0Three"
        );
        assert_eq!(
            action(set("a", RegistryValue::MultiSz(vec![]))),
            "Computer|a|MULTISZ:"
        );
        assert_eq!(
            action(set("a", RegistryValue::Binary(vec![0, 0xFF, 1]))),
            "Computer|a|BINARY:00,ff,01"
        );
        assert_eq!(
            action(set("", RegistryValue::Dword(1))),
            "Computer|(Default)|DWORD:1"
        );
        let mut user = set("a", RegistryValue::Dword(0));
        user.hive = Hive::CurrentUser;
        user.action = LgpoAction::Delete;
        assert_eq!(action(user), "User|a|DELETE");
        let mut all = set("", RegistryValue::Dword(0));
        all.action = LgpoAction::DeleteAllValues;
        assert_eq!(action(all.clone()), "Computer|*|DELETEALLVALUES");
        all.action = LgpoAction::CreateKey;
        assert_eq!(action(all), "Computer|*|CREATEKEY");
    }

    #[test]
    fn doubles_only_backslashes_that_would_start_an_escape() {
        let sz = |text: &str| action(set("a", RegistryValue::Sz(text.into())));
        assert_eq!(
            sz("C:\\Windows\\System32"),
            "Computer|a|SZ:C:\\Windows\\System32"
        );
        assert_eq!(sz("C:\\new\\route"), "Computer|a|SZ:C:\\\\new\\\\route");
        assert_eq!(sz("\\\\server\\share"), "Computer|a|SZ:\\\\\\server\\share");
        assert_eq!(sz("a\\0"), "Computer|a|SZ:a\\\\0");
        assert_eq!(sz("end\\"), "Computer|a|SZ:end\\");
        assert_eq!(
            action(set(
                "a",
                RegistryValue::MultiSz(vec!["C:\\".into(), "D:\\".into()])
            )),
            "Computer|a|MULTISZ:C:\\\\\\0D:\\"
        );
    }

    fn problem(entry: LgpoEntry) -> LgpoEntryError {
        match write(&[entry]).expect_err("must be refused") {
            LgpoWriteError::Entry { problem, .. } => problem,
            other @ LgpoWriteError::CommentLineBreak { .. } => panic!("unexpected {other}"),
        }
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one table of cases reads better than several tests
    fn refuses_what_would_break_the_format() {
        let sz = |text: &str| problem(set("a", RegistryValue::Sz(text.into())));
        assert_eq!(
            sz("a\r\nb"),
            LgpoEntryError::StringControl {
                kind: 1,
                character: '\r',
                position: 1
            }
        );
        assert_eq!(
            sz("a\nComputer"),
            LgpoEntryError::StringControl {
                kind: 1,
                character: '\n',
                position: 1
            }
        );
        assert_eq!(
            sz("\0"),
            LgpoEntryError::StringControl {
                kind: 1,
                character: '\0',
                position: 0
            }
        );
        assert_eq!(
            problem(set(
                "a",
                RegistryValue::MultiSz(vec!["x".into(), "y\n".into()])
            )),
            LgpoEntryError::StringControl {
                kind: 7,
                character: '\n',
                position: 1
            }
        );
        assert_eq!(
            problem(set("a\nDWORD:1", RegistryValue::Dword(1))),
            LgpoEntryError::ControlCharacter {
                field: "value name",
                character: '\n',
                position: 1
            }
        );
        assert_eq!(
            problem(set(" a", RegistryValue::Dword(1))),
            LgpoEntryError::SurroundingWhitespace {
                field: "value name"
            }
        );
        assert_eq!(
            problem(set("(default)", RegistryValue::Dword(1))),
            LgpoEntryError::DefaultValueName
        );
        let key = |k: &str| {
            let mut entry = set("a", RegistryValue::Dword(1));
            entry.key = k.to_owned();
            problem(entry)
        };
        assert_eq!(key(""), LgpoEntryError::EmptyKey);
        assert_eq!(key("A\\\\B"), LgpoEntryError::EmptyKeyComponent);
        assert_eq!(key("A\\"), LgpoEntryError::EmptyKeyComponent);
        assert_eq!(
            key("HKLM\\A"),
            LgpoEntryError::KeyHasHive {
                root: "HKLM".into()
            }
        );
        assert_eq!(
            key("A\r\nB"),
            LgpoEntryError::ControlCharacter {
                field: "key path",
                character: '\r',
                position: 1
            }
        );
        assert_eq!(
            key("A "),
            LgpoEntryError::SurroundingWhitespace { field: "key path" }
        );
        assert_eq!(
            problem(set("a", RegistryValue::DwordBigEndian(1))),
            LgpoEntryError::UnsupportedType { kind: 5, hint: "" }
        );
        assert!(matches!(
            problem(set("a", RegistryValue::None(vec![]))),
            LgpoEntryError::UnsupportedType { kind: 0, .. }
        ));
        let mut keyed = set("a", RegistryValue::Dword(1));
        keyed.action = LgpoAction::DeleteAllValues;
        assert_eq!(
            problem(keyed),
            LgpoEntryError::ValueNameOnKeyAction {
                action: "DELETEALLVALUES"
            }
        );
        assert_eq!(
            write_with_header(&["ok", "bad\r\nComputer"], &[]),
            Err(LgpoWriteError::CommentLineBreak { index: 1 })
        );
        assert_eq!(
            write(&[
                set("a", RegistryValue::Dword(1)),
                set("b\n", RegistryValue::Dword(1))
            ])
            .expect_err("control character")
            .to_string(),
            "LGPO entry 1 (key `SOFTWARE\\\\Policies\\\\Microsoft\\\\Windows NT\\\\Terminal Services`, value `b\\n`): the value name has `\\n` (U+000A) at character 1; LGPO text lines cannot hold control characters"
        );
    }

    #[test]
    fn encodes_as_unicode_with_bom() {
        assert_eq!(encode_unicode("Aé"), [0xFF, 0xFE, 0x41, 0, 0xE9, 0]);
    }
}

//! Security templates (`GptTmpl.inf`), the file the Security client-side extension applies
//! from `Machine\microsoft\windows nt\SecEdit\`. rdpgen writes `[System Access]` (the account
//! lockout numbers) and `[Privilege Rights]`.
//!
//! Written as Windows writes it ([obs] Microsoft's security-baseline backups): UTF-16LE with a
//! byte-order mark, CRLF line ends, `[Unicode]` `Unicode=yes`, `[System Access]` with one
//! `Name = number` line each, `[Version]` `signature="$CHICAGO$"` `Revision=1`, then
//! `[Privilege Rights]` with one
//! `SeSomethingRight = *S-1-5-32-544,CORP\Name` line per right (`Right =` for an empty list).
//! Members are SIDs prefixed with `*`, or account names Windows resolves when it applies the
//! template. The reader accepts any template (other sections are skipped) and returns the
//! privilege rights in file order.

use thiserror::Error;

use super::utf16;

/// One line of `[Privilege Rights]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivilegeRight {
    /// `SeRemoteInteractiveLogonRight`.
    pub name: String,
    /// `*S-1-5-32-544` or an account name, in order.
    pub members: Vec<String>,
}

/// The parts of a security template rdpgen writes and reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityTemplate {
    /// Numeric `[System Access]` lines (`LockoutBadCount = 5`), in order. The reader keeps
    /// only lines whose value is a decimal number.
    pub system_access: Vec<(String, i64)>,
    pub privilege_rights: Vec<PrivilegeRight>,
}

impl SecurityTemplate {
    /// Whether the template says nothing (no file is written for it).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.system_access.is_empty() && self.privilege_rights.is_empty()
    }

    /// The number a `[System Access]` line gives, matched as Windows does (case-insensitively).
    #[must_use]
    pub fn system_access(&self, name: &str) -> Option<i64> {
        self.system_access
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Why a template could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecurityTemplateWriteError {
    #[error("`{0}` is not a privilege or right name (`Se...`, letters only)")]
    BadRightName(String),
    #[error("`{0}` is not a [System Access] setting name (letters only)")]
    BadSettingName(String),
    #[error("`{right}` member `{member}` cannot be written: {reason}")]
    BadMember {
        right: String,
        member: String,
        reason: &'static str,
    },
}

/// Why a template could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecurityTemplateReadError {
    #[error("not UTF-16LE with a byte-order mark")]
    NotUtf16,
    #[error("unpaired UTF-16 surrogate at code unit {0}")]
    BadUtf16(usize),
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
}

const UNICODE: &str = "[Unicode]\r\nUnicode=yes\r\n";
const VERSION: &str = "[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n";

fn check_member(right: &str, member: &str) -> Result<(), SecurityTemplateWriteError> {
    let reason = if member.is_empty() {
        Some("it is empty")
    } else if member.trim() != member {
        Some("it starts or ends with white space")
    } else if member.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if member.contains(',') {
        Some("`,` separates members")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(SecurityTemplateWriteError::BadMember {
            right: right.to_string(),
            member: member.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// The template as text (CRLF line ends, no byte-order mark).
///
/// # Errors
/// A right name that is not `Se` + letters, or a member that would change the line's meaning.
pub fn write_text(template: &SecurityTemplate) -> Result<String, SecurityTemplateWriteError> {
    let mut out = String::from(UNICODE);
    if !template.system_access.is_empty() {
        out.push_str("[System Access]\r\n");
        for (name, value) in &template.system_access {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(SecurityTemplateWriteError::BadSettingName(name.clone()));
            }
            out.push_str(&format!("{name} = {value}\r\n"));
        }
    }
    out.push_str(VERSION);
    if template.privilege_rights.is_empty() {
        return Ok(out);
    }
    out.push_str("[Privilege Rights]\r\n");
    for right in &template.privilege_rights {
        if !(right.name.starts_with("Se")
            && right.name.len() > 2
            && right.name.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err(SecurityTemplateWriteError::BadRightName(right.name.clone()));
        }
        for member in &right.members {
            check_member(&right.name, member)?;
        }
        out.push_str(&right.name);
        out.push_str(" =");
        if !right.members.is_empty() {
            out.push(' ');
            out.push_str(&right.members.join(","));
        }
        out.push_str("\r\n");
    }
    Ok(out)
}

/// The template as Windows stores it: UTF-16LE with a byte-order mark.
///
/// # Errors
/// As [`write_text`].
pub fn write(template: &SecurityTemplate) -> Result<Vec<u8>, SecurityTemplateWriteError> {
    let text = write_text(template)?;
    let mut out = Vec::with_capacity(2 + 2 * text.len());
    out.extend_from_slice(&[0xFF, 0xFE]);
    utf16::push_le(&mut out, &text);
    Ok(out)
}

/// Reads the `[Privilege Rights]` of a UTF-16LE template (with byte-order mark).
///
/// # Errors
/// Another encoding, a line outside any section, or a privilege line without `=`.
pub fn read(bytes: &[u8]) -> Result<SecurityTemplate, SecurityTemplateReadError> {
    let body = bytes
        .strip_prefix(&[0xFF, 0xFE])
        .filter(|b| b.len() % 2 == 0)
        .ok_or(SecurityTemplateReadError::NotUtf16)?;
    let text =
        utf16::decode(&utf16::units_le(body)).map_err(SecurityTemplateReadError::BadUtf16)?;
    let mut section: Option<String> = None;
    let mut template = SecurityTemplate::default();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line).trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.to_string());
            continue;
        }
        let syntax = |message: &str| SecurityTemplateReadError::Syntax {
            line: index + 1,
            message: message.to_string(),
        };
        match section.as_deref() {
            None => return Err(syntax("a line before the first section")),
            Some(s) if s.eq_ignore_ascii_case("System Access") => {
                // Numeric settings only; `NewAdministratorName = "x"` and the like are skipped.
                if let Some((name, value)) = line.split_once('=')
                    && let Ok(value) = value.trim().parse::<i64>()
                {
                    template
                        .system_access
                        .push((name.trim().to_string(), value));
                }
            }
            Some(s) if s.eq_ignore_ascii_case("Privilege Rights") => {
                let (name, members) = line
                    .split_once('=')
                    .ok_or_else(|| syntax("a privilege line without `=`"))?;
                let members = members.trim();
                template.privilege_rights.push(PrivilegeRight {
                    name: name.trim().to_string(),
                    members: if members.is_empty() {
                        Vec::new()
                    } else {
                        members.split(',').map(|m| m.trim().to_string()).collect()
                    },
                });
            }
            Some(_) => {}
        }
    }
    Ok(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights() -> SecurityTemplate {
        SecurityTemplate {
            system_access: Vec::new(),
            privilege_rights: vec![
                PrivilegeRight {
                    name: "SeRemoteInteractiveLogonRight".into(),
                    members: vec!["*S-1-5-32-544".into(), "*S-1-5-32-555".into()],
                },
                PrivilegeRight {
                    name: "SeDenyRemoteInteractiveLogonRight".into(),
                    members: vec!["*S-1-5-32-546".into(), "CORP\\Tier 0 & Admins".into()],
                },
                PrivilegeRight {
                    name: "SeCreateTokenPrivilege".into(),
                    members: vec![],
                },
            ],
        }
    }

    #[test]
    fn writes_what_windows_writes() {
        let text = write_text(&rights()).unwrap();
        assert_eq!(
            text,
            "[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n\
             [Privilege Rights]\r\n\
             SeRemoteInteractiveLogonRight = *S-1-5-32-544,*S-1-5-32-555\r\n\
             SeDenyRemoteInteractiveLogonRight = *S-1-5-32-546,CORP\\Tier 0 & Admins\r\n\
             SeCreateTokenPrivilege =\r\n"
        );
        let bytes = write(&rights()).unwrap();
        // FF FE then "[U" in UTF-16LE, as in Microsoft's baselines.
        assert_eq!(&bytes[..6], &[0xFF, 0xFE, 0x5B, 0x00, 0x55, 0x00]);
        assert_eq!(read(&bytes).unwrap(), rights());
    }

    /// The lockout lines come where Microsoft's Domain Security baseline has them: after
    /// `[Unicode]`, before `[Version]`; the reader finds them in that file.
    #[test]
    fn writes_and_reads_system_access() {
        let t = SecurityTemplate {
            system_access: vec![
                ("LockoutBadCount".into(), 3),
                ("ResetLockoutCount".into(), 15),
                ("LockoutDuration".into(), -1),
            ],
            privilege_rights: vec![],
        };
        assert_eq!(
            write_text(&t).unwrap(),
            "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\nLockoutBadCount = 3\r\n\
             ResetLockoutCount = 15\r\nLockoutDuration = -1\r\n\
             [Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"
        );
        let back = read(&write(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.system_access("lockoutduration"), Some(-1));
        let mut text = vec![0xFF, 0xFE];
        utf16::push_le(
            &mut text,
            "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\nNewGuestName = \"Visitor\"\r\nLockoutBadCount = 10\r\n",
        );
        assert_eq!(
            read(&text).unwrap().system_access,
            vec![("LockoutBadCount".to_string(), 10)]
        );
    }

    #[test]
    fn refuses_members_that_change_the_line() {
        for bad in ["a,b", " a", "a\nb", ""] {
            let t = SecurityTemplate {
                system_access: Vec::new(),
                privilege_rights: vec![PrivilegeRight {
                    name: "SeRemoteInteractiveLogonRight".into(),
                    members: vec![bad.into()],
                }],
            };
            assert!(matches!(
                write(&t),
                Err(SecurityTemplateWriteError::BadMember { .. })
            ));
        }
        let t = SecurityTemplate {
            system_access: Vec::new(),
            privilege_rights: vec![PrivilegeRight {
                name: "Se Bad".into(),
                members: vec![],
            }],
        };
        assert!(write(&t).is_err());
        let t = SecurityTemplate {
            system_access: vec![("Lockout\r\n[Privilege Rights]".into(), 1)],
            privilege_rights: vec![],
        };
        assert!(matches!(
            write(&t),
            Err(SecurityTemplateWriteError::BadSettingName(_))
        ));
    }

    #[test]
    fn reader_is_strict_about_encoding() {
        assert_eq!(read(b"[Unicode]"), Err(SecurityTemplateReadError::NotUtf16));
        let mut odd = vec![0xFF, 0xFE];
        utf16::push_le(&mut odd, "x = y");
        assert!(matches!(
            read(&odd),
            Err(SecurityTemplateReadError::Syntax { line: 1, .. })
        ));
    }
}

//! YAML: a scalar is written plain when it is unmistakably a string in YAML 1.1 and 1.2 (starts
//! with a letter, only letters, digits, spaces and `._/\-()`, not a boolean or null word);
//! otherwise single-quoted, with `'` doubled — the one escape single-quoted scalars have.
//! Double-quoted and block scalars are never produced. Characters that a single-quoted scalar
//! cannot carry on one line (controls, line and paragraph separators, the byte-order mark,
//! U+FFFE/U+FFFF) are refused: callers pass one-line text (see [`super::single_line`]).

use std::fmt;

use serde::Serialize;

/// A YAML scalar, quotes included when it needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Scalar(String);

impl Scalar {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A character a one-line YAML scalar cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("U+{:04X} cannot be written in a one-line YAML scalar", u32::from(*.0))]
pub struct Unrepresentable(pub char);

/// Words YAML 1.1 or 1.2 reads as booleans or null when plain (compared case-insensitively).
const RESERVED: [&str; 9] = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"];

/// `text` as a plain or single-quoted scalar that every YAML parser reads back as the string
/// `text`.
///
/// # Errors
/// `text` holds a control character, a line or paragraph separator, U+FEFF, U+FFFE or U+FFFF.
pub fn scalar(text: &str) -> Result<Scalar, Unrepresentable> {
    if let Some(c) = text.chars().find(|&c| super::breaks_line(c)) {
        return Err(Unrepresentable(c));
    }
    if is_plain_safe(text) {
        return Ok(Scalar(text.to_string()));
    }
    Ok(Scalar(format!("'{}'", text.replace('\'', "''"))))
}

/// `text` as a scalar tagged `!unsafe`: Ansible reads it as the string `text` and never
/// templates it, so `{{`, `{%` and `{#` in policy text stay text. Always single-quoted.
///
/// # Errors
/// As [`scalar`].
pub fn unsafe_scalar(text: &str) -> Result<Scalar, Unrepresentable> {
    if let Some(c) = text.chars().find(|&c| super::breaks_line(c)) {
        return Err(Unrepresentable(c));
    }
    Ok(Scalar(format!("!unsafe '{}'", text.replace('\'', "''"))))
}

fn is_plain_safe(text: &str) -> bool {
    let starts_with_letter = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    starts_with_letter
        && !text.ends_with(' ')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._/\\-()".contains(c))
        && !RESERVED.iter().any(|w| w.eq_ignore_ascii_case(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> String {
        scalar(text).unwrap().0
    }

    #[test]
    fn plain_only_when_unambiguous() {
        assert_eq!(s("fDenyTSConnections"), "fDenyTSConnections");
        assert_eq!(
            s(r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"),
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"
        );
        assert_eq!(s("rdpgen x (TCP-In)"), "rdpgen x (TCP-In)");
        for quoted in [
            "", "yes", "No", "ON", "off", "y", "null", "true", "1.2", "0x10", "3389", "-x", "a: b",
            "a #b", "a,b", "[a]", "{a}", "*a", "&a", "!a", "%a", "@a", "`a", "|a", ">a", "'a",
            "\"a", "a ", " a", "~", "a:b", "ä",
        ] {
            assert!(s(quoted).starts_with('\''), "{quoted:?} must be quoted");
        }
        assert_eq!(s("it's"), "'it''s'");
        assert_eq!(s("’‘"), "'’‘'");
    }

    #[test]
    fn unsafe_scalars_are_tagged_and_single_quoted() {
        assert_eq!(
            unsafe_scalar("{{ lookup('pipe', 'id') }}")
                .unwrap()
                .as_str(),
            "!unsafe '{{ lookup(''pipe'', ''id'') }}'"
        );
        assert_eq!(unsafe_scalar("").unwrap().as_str(), "!unsafe ''");
        assert!(unsafe_scalar("a\nb").is_err());
    }

    #[test]
    fn refuses_what_a_one_line_scalar_cannot_carry() {
        for bad in [
            "a\nb", "a\rb", "a\tb", "\u{85}", "\u{2028}", "\u{2029}", "\u{feff}", "\u{0}",
            "\u{fffe}",
        ] {
            assert!(scalar(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            scalar("a\u{2028}").unwrap_err().to_string(),
            "U+2028 cannot be written in a one-line YAML scalar"
        );
    }
}

#[cfg(test)]
mod round_trip {
    use proptest::prelude::*;

    use super::scalar;
    use crate::policy::yaml::{NodeValue, parse};

    proptest! {
        #[test]
        fn every_scalar_reads_back_as_its_text(text in "([a-zA-Z0-9 ._/\\\\()'\"#:,\\[\\]{}&*!|>%@`-]|\\PC){0,30}") {
            prop_assume!(scalar(&text).is_ok());
            let doc = format!("k: {}\n", scalar(&text).unwrap());
            let node = parse(&doc).unwrap();
            let NodeValue::Map(map) = node.value else { panic!("{doc}") };
            match &map[0].1.value {
                NodeValue::Str { text: read, .. } => prop_assert_eq!(read, &text),
                other => prop_assert!(false, "{doc} read as {other:?}"),
            }
        }
    }
}

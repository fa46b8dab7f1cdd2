//! The audited escape helpers, one per target language. Every string that came from a policy
//! file passes through one of these before it reaches a generated script or document, so a
//! template only ever pastes text that is already safe where it lands.
//!
//! - [`powershell`]: single-quoted (verbatim) PowerShell literals and `#` comment text.
//! - [`github`]: GitHub Actions workflow-command messages and properties.
//! - [`sql`]: single-quoted SQLite literals (the osquery pack).
//! - [`yaml`]: YAML scalars that are plain or single-quoted, never anything that needs escapes.
//!
//! XML (and the HTML report, which uses XML's escape) is escaped in one place,
//! [`crate::formats::xml`]: its writer for every XML document, `escape_untrusted` for HTML.

pub mod github;
pub mod powershell;
pub mod sql;
pub mod terminal;
pub mod yaml;

pub use crate::formats::text::is_bidi_control;

/// `text` as a DSC v3 literal string: DSC evaluates a string that starts with `[` as an
/// expression (`[concat(envvar('X'))]`), and reads a leading `[[` as one literal `[`. So a
/// string that starts with `[` gets one more; every other string is already literal.
#[must_use]
pub fn dsc_literal(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with('[') {
        std::borrow::Cow::Owned(format!("[{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// What DSC v3 makes of a literal string written by [`dsc_literal`]: the leading `[[` becomes
/// `[`. `None` for a string DSC would evaluate as an expression.
#[must_use]
pub fn dsc_read(text: &str) -> Option<&str> {
    if text.starts_with("[[") {
        Some(&text[1..])
    } else if text.starts_with('[') {
        None
    } else {
        Some(text)
    }
}

/// `text` on one line of printable characters: every control character (`\n`, `\t`, ...),
/// every Unicode line or paragraph separator, the byte-order mark and the noncharacters
/// U+FFFE/U+FFFF become a space. For free text (a policy's
/// description) that goes into a comment or a one-line field.
#[must_use]
pub fn single_line(text: &str) -> String {
    text.chars()
        .map(|c| if breaks_line(c) { ' ' } else { c })
        .collect()
}

/// Characters some reader may take as the end of a line, or that no text file should carry:
/// C0/C1 controls (NEL included), U+2028, U+2029, the byte-order mark, U+FFFE and U+FFFF.
pub(crate) fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::{dsc_literal, dsc_read, single_line};

    #[test]
    fn dsc_literals_are_never_expressions_and_read_back() {
        for text in [
            "[concat(envvar('X'))]",
            "[[already]",
            "[",
            "[]",
            "plain",
            "a[b]",
            "",
        ] {
            let literal = dsc_literal(text);
            assert_eq!(dsc_read(&literal), Some(text), "{text:?}");
        }
        assert_eq!(dsc_literal("[x]"), "[[x]");
        assert_eq!(dsc_read("[x]"), None);
    }

    #[test]
    fn single_line_replaces_every_line_break_and_control() {
        assert_eq!(
            single_line("a\nb\r\nc\td\u{85}e\u{2028}f\u{2029}g\u{feff}h\u{7f}i\u{ffff}"),
            "a b  c d e f g h i "
        );
        assert_eq!(single_line("plain ’quoted’ $(x)"), "plain ’quoted’ $(x)");
    }
}

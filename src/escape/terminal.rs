//! Text for a terminal or a CI log: a string from a host snapshot or a policy must not be able
//! to move the cursor, rewrite earlier lines, set the window title, hide text or reorder it.
//! Every C0 control (ESC included, tab and line feed kept only where asked), DEL, every C1
//! control (CSI U+009B included), the bidirectional controls and the line/paragraph
//! separators become a visible `\u{…}` escape, so a reader sees that something was there.

use std::borrow::Cow;

/// Whether `c` is unsafe to print to a terminal.
#[must_use]
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || super::is_bidi_control(c)
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
        )
}

/// `text` with every unsafe character (line feeds and tabs included) escaped: for one-line
/// fields such as host names, interface names and messages.
#[must_use]
pub fn sanitize(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// `text` with every unsafe character escaped except line feeds and tabs: for multi-line text
/// that rdpgen itself laid out.
#[must_use]
pub fn sanitize_multiline(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_lines && (c == '\n' || c == '\t');
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_reordering_cannot_reach_the_terminal() {
        let hostile = "eth0\u{1b}[2K\u{1b}[1A\rcompliant\u{9b}31m\u{7}\u{202e}gnp.exe\u{8}\n";
        let safe = sanitize(hostile);
        assert!(!safe.chars().any(is_unsafe), "{safe:?}");
        assert_eq!(
            safe,
            "eth0\\u{1b}[2K\\u{1b}[1A\\u{d}compliant\\u{9b}31m\\u{7}\\u{202e}gnp.exe\\u{8}\\u{a}"
        );
        assert_eq!(sanitize_multiline("a\n\tb\u{1b}c"), "a\n\tb\\u{1b}c");
        assert!(matches!(sanitize("Ethernet 2 ünï"), Cow::Borrowed(_)));
    }
}

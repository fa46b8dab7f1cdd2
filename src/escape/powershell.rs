//! PowerShell: the only way a policy string enters a generated script is as a single-quoted
//! (verbatim) string literal. Inside one, PowerShell expands nothing — no `$variable`, no
//! `$(subexpression)`, no backtick escape — and the only special character is the single quote,
//! written twice to stand for itself. PowerShell's tokenizer also takes U+2018, U+2019, U+201A
//! and U+201B as single quotes, so those are doubled too. Double-quoted strings and here-strings
//! are never produced.

use std::fmt;

use serde::Serialize;

/// Every character PowerShell reads as a single quote (`'` and its typographic variants).
pub const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// A single-quoted PowerShell string literal, quotes included: `'it''s'`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Literal(String);

impl Literal {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` as a single-quoted literal that evaluates to exactly `text`.
#[must_use]
pub fn literal(text: &str) -> Literal {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if SINGLE_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    Literal(out)
}

/// An array of single-quoted literals: `@('a', 'b')`; `@()` when empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ArrayLiteral(String);

impl ArrayLiteral {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArrayLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The items as an array of single-quoted literals.
#[must_use]
pub fn array<I, S>(items: I) -> ArrayLiteral
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let inner: Vec<String> = items.into_iter().map(|s| literal(s.as_ref()).0).collect();
    ArrayLiteral(format!("@({})", inner.join(", ")))
}

/// Text for the rest of a `#` line comment: one line, no control characters, so nothing in it
/// can end the comment. (`#>` and `<#` mean nothing inside a line comment.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CommentText(String);

impl CommentText {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `text` made safe to follow `# ` on one line.
#[must_use]
pub fn comment_text(text: &str) -> CommentText {
    CommentText(super::single_line(text))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// PowerShell's rule for a single-quoted string (System.Management.Automation.Language
    /// tokenizer): it opens with any single quote; inside, two quote characters in a row stand
    /// for the second one; any other quote character closes it. Returns the value and how many
    /// characters the literal took.
    fn read_literal(src: &str) -> Option<(String, usize)> {
        let chars: Vec<char> = src.chars().collect();
        if !SINGLE_QUOTES.contains(chars.first()?) {
            return None;
        }
        let mut value = String::new();
        let mut i = 1;
        while i < chars.len() {
            let c = chars[i];
            if SINGLE_QUOTES.contains(&c) {
                match chars.get(i + 1) {
                    Some(next) if SINGLE_QUOTES.contains(next) => {
                        value.push(*next);
                        i += 2;
                        continue;
                    }
                    _ => return Some((value, i + 1)),
                }
            }
            value.push(c);
            i += 1;
        }
        None
    }

    #[test]
    fn doubles_every_single_quote_and_nothing_else() {
        assert_eq!(literal("it's").as_str(), "'it''s'");
        assert_eq!(literal("").as_str(), "''");
        assert_eq!(
            literal("\u{2018}a\u{2019}b\u{201A}c\u{201B}").as_str(),
            "'\u{2018}\u{2018}a\u{2019}\u{2019}b\u{201A}\u{201A}c\u{201B}\u{201B}'"
        );
        assert_eq!(
            literal("\"$(calc)`n${x};#><#|").as_str(),
            "'\"$(calc)`n${x};#><#|'"
        );
        assert_eq!(array(["a'", "b"]).as_str(), "@('a''', 'b')");
        assert_eq!(array(Vec::<String>::new()).as_str(), "@()");
    }

    #[test]
    fn comment_text_stays_on_one_line() {
        assert_eq!(
            comment_text("x\n#> Remove-Item C:\\ -Recurse\r<#").as_str(),
            "x #> Remove-Item C:\\ -Recurse <#"
        );
    }

    proptest! {
        #[test]
        fn literal_reads_back_as_exactly_the_text(
            text in "([a-z$`\"#<>|;(){} '\u{2018}\u{2019}\u{201A}\u{201B}\u{201C}\u{201D}\n]|\\PC){0,40}",
            tail in "[ a-z;]{0,5}",
        ) {
            let lit = literal(&text);
            let src = format!("{lit}{tail}");
            let (value, used) = read_literal(&src).expect("a closed literal");
            prop_assert_eq!(value, text);
            prop_assert_eq!(used, lit.as_str().chars().count());
        }
    }
}

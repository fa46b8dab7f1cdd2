//! SQLite string literals, for the osquery pack. Every text that reaches a query passes
//! through [`literal`]: a single-quoted literal with each `'` doubled, which SQLite (and so
//! osquery) reads back as exactly that text; nothing in it can end the literal.

/// `text` as a single-quoted SQLite literal.
#[must_use]
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A comma-separated list of literals, for `IN (...)`.
#[must_use]
pub fn literal_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(literal)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_and_nothing_else_changes() {
        assert_eq!(literal("a"), "'a'");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(
            literal("'); DROP TABLE registry; --"),
            "'''); DROP TABLE registry; --'"
        );
        assert_eq!(literal("a\\b\nc"), "'a\\b\nc'");
        assert_eq!(literal_list(["x", "y'"]), "'x', 'y'''");
    }
}

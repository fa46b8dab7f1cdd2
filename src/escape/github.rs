//! GitHub Actions workflow commands (`::error file=F,line=L::message`): a message and a
//! property value as the Actions toolkit escapes them (`%`, and `:` `,` in properties), with
//! every control character made visible first (terminal::sanitize), so a host or policy
//! string can neither end the command, start another one on a new line, nor drive the log.

use super::terminal;

/// The message part, after the second `::`.
#[must_use]
pub fn data(s: &str) -> String {
    terminal::sanitize(s).replace('%', "%25")
}

/// A property value (`file=`, `title=`).
#[must_use]
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{data, property};

    #[test]
    fn a_string_cannot_break_out_of_its_command() {
        let hostile = "x\r\n::error title=fake::compliant\u{1b}[2K 100%";
        let d = data(hostile);
        assert!(!d.contains(['\r', '\n', '\u{1b}']), "{d}");
        assert!(d.ends_with("100%25"), "{d}");
        let p = property("a,b:c\n");
        assert_eq!(p, "a%2Cb%3Ac\\u{a}");
    }
}

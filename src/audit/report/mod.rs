//! Reports of an audit, written as hosts are checked: each writer gets the hosts one by one and
//! a summary at the end, so memory does not grow with the fleet beyond the summary.

mod html;
mod json;
mod junit;
mod sarif;
mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::compare::{Area, FindingSeverity, HostReport, HostStatus, Outcome};

pub use html::Html;
pub use json::Json;
pub use junit::Junit;
pub use sarif::Sarif;
pub use text::Text;

/// What every report names at its top.
#[derive(Debug, Clone)]
pub struct Context {
    pub policy_name: String,
    pub policy_file: String,
    pub policy_hash: String,
    pub version: &'static str,
}

/// Status of one host in one area, for the hosts × areas grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// No check of the host belongs to the area.
    NotChecked,
    Pass,
    /// Nothing failed, but something in the area could not be verified.
    NotVerified,
    Warning,
    Error,
}

/// Fleet-wide counts, kept while hosts stream past.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub hosts: usize,
    pub compliant: usize,
    pub drifted: usize,
    pub incomplete: usize,
    pub unreadable: usize,
    /// Failing hosts per check id, with the check's field and cause.
    pub findings: BTreeMap<String, FindingCount>,
    /// Hosts per check id that could not be verified.
    pub not_verified: BTreeMap<String, FindingCount>,
    /// One row per host: name, status and the cell of each area in [`Area::ALL`] order.
    pub grid: Vec<(String, HostStatus, [Cell; Area::ALL.len()])>,
}

#[derive(Debug, Default, Clone)]
pub struct FindingCount {
    pub hosts: usize,
    pub field: String,
    pub cause: Option<&'static str>,
}

impl Summary {
    pub fn add(&mut self, host: &HostReport) {
        self.hosts += 1;
        match host.status {
            HostStatus::Compliant => self.compliant += 1,
            HostStatus::Drifted => self.drifted += 1,
            HostStatus::Incomplete => self.incomplete += 1,
            HostStatus::Unreadable => self.unreadable += 1,
        }
        let mut cells = [Cell::NotChecked; Area::ALL.len()];
        for check in &host.checks {
            let i = Area::ALL.iter().position(|a| *a == check.area).unwrap_or(0);
            let cell = match (check.outcome, check.severity) {
                (Outcome::Pass, _) => Cell::Pass,
                (Outcome::Fail, FindingSeverity::Warning) => Cell::Warning,
                (Outcome::Fail, FindingSeverity::Error) => Cell::Error,
                (Outcome::NotVerified, _) => Cell::NotVerified,
            };
            cells[i] = cells[i].max(cell);
            let map = match check.outcome {
                Outcome::Fail => &mut self.findings,
                Outcome::NotVerified => &mut self.not_verified,
                Outcome::Pass => continue,
            };
            let entry = map.entry(check.id.clone()).or_default();
            entry.hosts += 1;
            entry.field.clone_from(&check.field);
            entry.cause = check.cause;
        }
        self.grid.push((host.host.clone(), host.status, cells));
    }
}

impl Summary {
    /// `3 hosts: 1 compliant, 1 drifted, 1 incomplete, 0 unreadable`.
    #[must_use]
    pub fn line(&self) -> String {
        format!(
            "{} hosts: {} compliant, {} drifted, {} incomplete, {} unreadable",
            self.hosts, self.compliant, self.drifted, self.incomplete, self.unreadable
        )
    }
}

/// A report format.
pub trait Report {
    /// # Errors
    /// Writing fails.
    fn begin(&mut self, out: &mut dyn Write, ctx: &Context) -> io::Result<()>;
    /// # Errors
    /// Writing fails.
    fn host(&mut self, out: &mut dyn Write, host: &HostReport) -> io::Result<()>;
    /// # Errors
    /// Writing fails.
    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> io::Result<()>;
}

/// Text safe for XML and HTML: markup characters escaped, and characters XML cannot hold
/// (controls other than tab, line feed and carriage return) and bidirectional controls (which
/// would reorder what a reader sees) replaced with U+FFFD. Every
/// string that reaches the JUnit and HTML reports passes through here.
#[must_use]
pub fn xml_text(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
                || matches!(c, '\u{FFFE}' | '\u{FFFF}')
                || crate::validate::rules::is_bidi_control(c)
            {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    quick_xml::escape::escape(clean.as_str()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn xml_text_escapes_markup_and_strips_illegal_characters() {
        assert_eq!(
            xml_text("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(xml_text("a\u{0}b\u{1b}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
        assert_eq!(xml_text("]]>"), "]]&gt;");
    }
}
